#!/usr/bin/env python3
"""test_cohorts.py: cohorts on relais-hub (docs/hub.md, "Cohorts"; docs/catalogue.md,
"Cohorts"): made, filled and assigned courses from the command line and from the
coordinators' pages; each change signs a catalogue with a higher serial carrying the cohort,
its members only as keyed hashes; bad input refused in one line with nothing written; and
the per-cohort view of where each learner stands."""
import hashlib
import json
import os
import re
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

NAME = "Attachés 2027"


def member_hash(cohort_id, email):
    return hashlib.sha256(("relais-cohort-member\n%s\n%s" % (cohort_id, email.lower()))
                          .encode()).hexdigest()


class Cohorts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = testlib.temp_dir(cls, "relais-cohorts-")
        pub, sec = os.path.join(cls.work, "m.pub"), os.path.join(cls.work, "m.key")
        testlib.checked(testlib.run(testlib.RELAIS, ["keygen", "-p", pub, "-s", sec, "-W"]),
                        "relais keygen")
        cls.pub = pub
        cls.bundles = []
        for course in ("migration-health", "protection-consulaire"):
            out = os.path.join(cls.work, course + ".relais")
            testlib.checked(testlib.run(testlib.RELAIS, ["pack", testlib.course_dir(course),
                                                         "-s", sec, "-o", out]), "relais pack")
            cls.bundles.append(out)

    def setUp(self):
        self.db = hl.make_hub_db(self)
        self.db.run("keygen")
        self.db.run("publisher", "add", self.pub, "--name", "Ministry")
        self.db.run("publish", *self.bundles)
        self.n_export = 0

    def catalogue(self):
        """The catalogue the hub serves now: (bytes, parsed)."""
        self.n_export += 1
        out = os.path.join(self.db.root, "export-%d" % self.n_export)
        self.db.run("export-catalogue", out)
        with open(os.path.join(out, "catalogue.json"), "rb") as f:
            raw = f.read()
        return raw, json.loads(raw)

    def refused(self, *args, says):
        """relais-hub ARGS fails with one line naming what is wrong, changing nothing."""
        before, _ = self.catalogue()
        p = self.db.run(*args, check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(says, lines[0])
        after, _ = self.catalogue()
        self.assertEqual(after, before, "a refused command changed the catalogue")

    def test_cli_cohort_reaches_the_catalogue_as_hashes(self):
        raw, cat = self.catalogue()
        # A hub without cohorts serves the catalogue laptops before cohorts read.
        self.assertNotIn("cohorts", cat)
        serial = cat["serial"]

        p = self.db.run("cohort", "add", NAME, "--org", "MAE")
        self.assertIn("catalogue serial", p.stdout)
        listed = self.db.run("cohort", "list").stdout
        self.assertIn(NAME, listed)
        cohort_id = re.search(r"id ([0-9a-f]{16})", listed).group(1)
        _, cat = self.catalogue()
        self.assertGreater(cat["serial"], serial)
        serial = cat["serial"]
        self.assertEqual(cat["cohorts"], [{"id": cohort_id, "name": NAME, "organisation": "MAE",
                                           "everyone": False, "members": [],
                                           "assignments": []}])

        emails = os.path.join(self.work, "emails.txt")
        with open(emails, "w") as f:
            f.write("carla@example.org\n\n  dan@example.org  \r\n")
        self.db.run("cohort", "members", NAME, "--add", "Aicha@Example.org", "bob@example.org",
                    "--file", emails)
        self.db.run("cohort", "assign", NAME, "migration-health", "--due", "2027-01-31")
        self.db.run("cohort", "assign", NAME, "protection-consulaire")
        raw, cat = self.catalogue()
        self.assertGreater(cat["serial"], serial)
        serial = cat["serial"]
        co = cat["cohorts"][0]
        want = sorted(member_hash(cohort_id, e) for e in
                      ("aicha@example.org", "bob@example.org", "carla@example.org",
                       "dan@example.org"))
        self.assertEqual(co["members"], want)
        self.assertEqual(co["assignments"], [
            {"course": "migration-health", "due": "2027-01-31"},
            {"course": "protection-consulaire", "due": None}])
        # The catalogue every laptop and USB copy sees names no official.
        self.assertNotIn(b"example.org", raw.lower())

        # A new date, a member out, a course off: each a new serial.
        self.db.run("cohort", "assign", NAME, "migration-health", "--due", "2027-02-15")
        _, cat = self.catalogue()
        self.assertGreater(cat["serial"], serial)
        serial = cat["serial"]
        self.assertEqual(cat["cohorts"][0]["assignments"][0]["due"], "2027-02-15")
        self.db.run("cohort", "members", NAME, "--remove", "BOB@example.org")
        self.db.run("cohort", "unassign", NAME, "protection-consulaire")
        _, cat = self.catalogue()
        self.assertGreater(cat["serial"], serial)
        co = cat["cohorts"][0]
        self.assertNotIn(member_hash(cohort_id, "bob@example.org"), co["members"])
        self.assertEqual(len(co["members"]), 3)
        self.assertEqual([a["course"] for a in co["assignments"]], ["migration-health"])

        # Everyone of an organisation.
        self.db.run("cohort", "add", "Consular staff", "--org", "Consulates", "--everyone")
        _, cat = self.catalogue()
        every = [c for c in cat["cohorts"] if c["name"] == "Consular staff"][0]
        self.assertTrue(every["everyone"])
        self.assertEqual(every["organisation"], "Consulates")
        # A withdrawn course leaves the catalogue's assignments too.
        self.db.run("unpublish", "migration-health")
        _, cat = self.catalogue()
        self.assertEqual([c["assignments"] for c in cat["cohorts"] if c["name"] == NAME], [[]])

    def test_bad_input_is_refused_in_one_line(self):
        self.db.run("cohort", "add", NAME, "--org", "MAE")
        self.refused("cohort", "add", NAME, "--org", "MAE", says='"%s" already exists' % NAME)
        self.refused("cohort", "add", "Line\nbreak", "--org", "MAE", says="name")
        self.refused("cohort", "members", NAME, "--add", "ok@example.org", "not-an-email",
                     says='"not-an-email" is not an email address')
        self.refused("cohort", "members", "Nobody", "--add", "ok@example.org",
                     says='no cohort named "Nobody"')
        self.refused("cohort", "members", NAME, "--remove", "never@example.org",
                     says="never@example.org is not a member")
        self.refused("cohort", "members", NAME, "--add", "a@example.org", "--file",
                     os.path.join(self.work, "missing.txt"), says="missing.txt")
        self.refused("cohort", "assign", NAME, "no-such-course", "--due", "2027-01-31",
                     says="course no-such-course is not in the catalogue")
        self.refused("cohort", "assign", NAME, "migration-health", "--due", "2027-02-30",
                     says="due date 2027-02-30 is not YYYY-MM-DD")
        self.refused("cohort", "assign", NAME, "migration-health", "--due", "31/01/2027",
                     says="due date 31/01/2027 is not YYYY-MM-DD")
        self.refused("cohort", "assign", "Nobody", "migration-health",
                     says='no cohort named "Nobody"')
        self.refused("cohort", "unassign", NAME, "migration-health",
                     says="migration-health is not assigned")
        self.refused("cohort", "show", "Nobody", says='no cohort named "Nobody"')
        p = self.db.run("cohort", "frobnicate", NAME, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_per_cohort_view_from_the_statements(self):
        self.db.run("cohort", "add", NAME, "--org", "MAE", "--everyone")
        self.db.run("cohort", "members", NAME, "--add", "aicha@example.org",
                    "bob@example.org", "carla@example.org")
        self.db.run("cohort", "assign", NAME, "migration-health", "--due", "2026-12-01")
        self.db.run("cohort", "assign", NAME, "protection-consulaire", "--due", "2027-06-30")
        key, secret = self.db.credentials()
        hub = hl.start_hub(self, self.db)
        c = hl.Client(hub, key, secret)
        started = hl.completion("migration-health", "Bob@example.org")
        started["verb"] = hl.verb("experienced")
        started["object"]["id"] += "/welcome"
        started["result"] = {}
        sts = [hl.completion("migration-health", "aicha@example.org", organisation="MAE"),
               started,
               # Not listed, but of the organisation: a member through "everyone".
               hl.completion("protection-consulaire", "erin@example.org", organisation="MAE"),
               # Another organisation's learner is no member.
               hl.completion("migration-health", "zoe@example.org", organisation="Other")]
        self.assertEqual(c.post(sts).status, 200)

        out = self.db.run("cohort", "show", NAME, "--today", "2026-12-10").stdout
        rows = {}
        learner = None
        for line in out.splitlines():
            m = re.match(r"  learner (\S+)$", line)
            if m:
                learner = m.group(1)
            m = re.match(r"    (\S+)\s+(.+)$", line)
            if m:
                rows[(learner, m.group(1))] = m.group(2)
        self.assertEqual(rows[("aicha@example.org", "migration-health")], "completed")
        self.assertEqual(rows[("bob@example.org", "migration-health")], "started (overdue)")
        self.assertEqual(rows[("carla@example.org", "migration-health")],
                         "not started (overdue)")
        self.assertEqual(rows[("carla@example.org", "protection-consulaire")], "not started")
        self.assertEqual(rows[("erin@example.org", "protection-consulaire")], "completed")
        self.assertNotIn("zoe@example.org", out)

        # The coordinators' progress counts the members assigned who have not started.
        status = json.loads(self.db.run("report", "--table", "status-by-course", "--format",
                                        "json").stdout)
        self.assertEqual([(r["course"], r["enrolled"], r["not_started"], r["in_progress"],
                           r["completed"]) for r in status],
                         [("migration-health", 4, 1, 1, 2), ("protection-consulaire", 4, 3, 0, 1)])

        # The same on the coordinators' page.
        self.db.coordinator("coord@example.org")
        b = login(hub)
        listed = self.db.run("cohort", "list").stdout
        cohort_id = re.search(r"id ([0-9a-f]{16})", listed).group(1)
        page = b.request("GET", "/reports/cohorts/%s?lang=en" % cohort_id)
        self.assertEqual(page.status, 200)
        text = page.body.decode()
        row = re.search(r"<tr><td>bob@example.org</td>(.*?)</tr>", text).group(1)
        self.assertIn("Started <strong>(overdue)</strong>", row)
        row = re.search(r"<tr><td>aicha@example.org</td>(.*?)</tr>", text).group(1)
        self.assertIn("Completed", row)
        self.assertNotIn("overdue", row)
        self.assertNotIn("zoe@example.org", text)

    def test_web_forms(self):
        self.db.coordinator("coord@example.org")
        hub = hl.start_hub(self, self.db)
        anon = hl.Client(hub, version=None)
        r = anon.request("GET", "/reports/cohorts")
        self.assertEqual((r.status, r.header("Location")), (303, "/reports/login"))
        r = post(anon, "/reports/cohorts", {"name": NAME, "organisation": "MAE"})
        self.assertEqual((r.status, r.header("Location")), (303, "/reports/login"))
        self.assertNotIn(NAME, self.db.run("cohort", "list").stdout)

        b = login(hub)
        page = b.request("GET", "/reports?lang=fr")
        self.assertIn('<a href="/reports/cohorts">Cohortes</a>', page.body.decode())
        page = b.request("GET", "/reports/cohorts?lang=fr")
        self.assertEqual(page.status, 200)
        self.assertIn("Aucune cohorte pour l&#39;instant.", page.body.decode())
        b.request("GET", "/reports/cohorts?lang=en")

        # Another site's form is refused before anything is written.
        r = post(b, "/reports/cohorts", {"name": NAME, "organisation": "MAE"},
                 origin="http://evil.example")
        self.assertEqual(r.status, 403)
        self.assertNotIn(NAME, self.db.run("cohort", "list").stdout)

        _, cat = self.catalogue()
        serial = cat["serial"]
        r = post(b, "/reports/cohorts", {"name": NAME, "organisation": "MAE"},
                 origin="http://" + hub.host)
        self.assertEqual((r.status, r.header("Location")), (303, "/reports/cohorts"))
        listed = self.db.run("cohort", "list").stdout
        cohort_id = re.search(r"id ([0-9a-f]{16})", listed).group(1)
        page = b.request("GET", "/reports/cohorts").body.decode()
        self.assertIn('<a href="/reports/cohorts/%s">%s</a>' % (cohort_id, NAME), page)
        r = post(b, "/reports/cohorts", {"name": NAME, "organisation": "MAE"})
        self.assertEqual(r.status, 400)
        self.assertIn("already exists", r.body.decode())

        where = "/reports/cohorts/" + cohort_id
        r = post(b, where, {"action": "members",
                            "add": "aicha@example.org\r\nBob@Example.org\r\n", "remove": ""})
        self.assertEqual((r.status, r.header("Location")), (303, where))
        r = post(b, where, {"action": "assign", "course": "migration-health",
                            "due": "2027-01-31"})
        self.assertEqual((r.status, r.header("Location")), (303, where))
        _, cat = self.catalogue()
        self.assertGreater(cat["serial"], serial)
        co = cat["cohorts"][0]
        self.assertEqual(co["members"], sorted(member_hash(cohort_id, e) for e in
                                               ("aicha@example.org", "bob@example.org")))
        self.assertEqual(co["assignments"], [{"course": "migration-health",
                                              "due": "2027-01-31"}])
        page = b.request("GET", where).body.decode()
        self.assertIn("<li>bob@example.org</li>", page)
        self.assertIn('<option>protection-consulaire</option>', page)
        self.assertIn('<time datetime="2027-01-31">', page)

        # Bad input: the page again with the reason, nothing written.
        before, _ = self.catalogue()
        for form, says in [
                ({"action": "members", "add": "carla@example.org not-an-email"},
                 "&quot;not-an-email&quot; is not an email address"),
                ({"action": "assign", "course": "migration-health", "due": "2027-13-01"},
                 "due date 2027-13-01 is not YYYY-MM-DD"),
                ({"action": "assign", "course": "nothing", "due": ""},
                 "course nothing is not in the catalogue")]:
            with self.subTest(form=form):
                r = post(b, where, form)
                self.assertEqual(r.status, 400)
                self.assertIn('<p class="alert" role="alert">Not saved: <span lang="en">'
                              + says, r.body.decode())
        after, _ = self.catalogue()
        self.assertEqual(after, before)
        self.assertNotIn("carla", self.db.run("cohort", "show", NAME).stdout)

        r = post(b, where, {"action": "unassign", "course": "migration-health"})
        self.assertEqual(r.status, 303)
        _, cat = self.catalogue()
        self.assertEqual(cat["cohorts"][0]["assignments"], [])
        self.assertEqual(b.request("GET", "/reports/cohorts/0123456789abcdef").status, 404)

        # Every language has the page's words.
        for lang, word in [("fr", "Nouvelle cohorte"), ("es", "Nueva cohorte"),
                           ("pt", "Nova coorte"), ("ar", "فوج جديد")]:
            page = b.request("GET", "/reports/cohorts?lang=" + lang).body.decode()
            self.assertIn(word, page)


def post(client, path, fields, origin=None):
    return client.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                          content_type="application/x-www-form-urlencoded",
                          headers={"Origin": origin} if origin else None)


def login(hub, email="coord@example.org"):
    return hl.sign_in(hub, email)


if __name__ == "__main__":
    testlib.main()
