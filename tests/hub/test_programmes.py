#!/usr/bin/env python3
"""test_programmes.py: a cohort's live sessions and its programme certificate on relais-hub
(docs/hub.md, "Live sessions", "Cohorts", "Certificates"; docs/catalogue.md; docs/certificates.md):
`session add --cohort` puts the cohort's id on the catalogue's session (a course's session is
written as before); an unknown cohort, or a course the cohort is not assigned, is refused in one
line with nothing written; a member who completed every assigned course and attended every
session of the cohort gets one programme certificate, and not before; `certificate verify` and
/verify check it."""
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
import test_cohorts  # noqa: E402
from test_cohorts import login, post  # noqa: E402

NAME = "Attachés 2027"
MH, PC = "migration-health", "protection-consulaire"
WHEN = ["--title", "Kick-off", "--start", "2031-03-10T09:00", "--end", "2031-03-10T12:30",
        "--timezone", "Africa/Dakar", "--place", "Room 4"]


def attended(course, session, email, name, timestamp):
    """An attended statement as a trainer's roster makes it (docs/statements.md)."""
    return {"id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "name": name, "mbox": "mailto:" + email},
            "verb": hl.verb("attended"),
            "object": {"objectType": "Activity",
                       "id": hl.RELAIS_ACTIVITIES + "%s/session/%s" % (course, session),
                       "definition": {"name": {"en": session},
                                      "type": "http://adlnet.gov/expapi/activities/meeting"}},
            "context": {"platform": "relais", "language": "en",
                        "instructor": {"objectType": "Agent", "name": "Tessa",
                                       "mbox": "mailto:tessa@example.org"},
                        "contextActivities": {"parent": [{"objectType": "Activity",
                                                          "id": hl.RELAIS_ACTIVITIES + course}]}},
            "timestamp": timestamp}


class Hub(unittest.TestCase):
    """The hub of test_cohorts.py: both sample courses published."""
    setUpClass = classmethod(test_cohorts.Cohorts.setUpClass.__func__)
    setUp = test_cohorts.Cohorts.setUp
    catalogue = test_cohorts.Cohorts.catalogue
    refused = test_cohorts.Cohorts.refused

    def cohort(self, name=NAME, courses=(MH, PC), members=("awa@example.org",)):
        self.db.run("cohort", "add", name, "--org", "MAE")
        if members:
            self.db.run("cohort", "members", name, "--add", *members)
        for c in courses:
            self.db.run("cohort", "assign", name, c)
        listed = self.db.run("cohort", "list").stdout
        line = [x for x in listed.splitlines() if name in x][0]
        return re.search(r"id ([0-9a-f]{16})", line).group(1)

class CohortSessions(Hub):

    def test_a_cohort_session_carries_the_cohort_id_in_the_catalogue(self):
        cid = self.cohort(courses=(MH,))
        self.db.run("session", "add", MH, "all-hands", *WHEN)
        raw, cat = self.catalogue()
        # A course's session has no cohort member: the catalogue is written as before.
        self.assertEqual([s["id"] for s in cat["sessions"]], ["all-hands"])
        self.assertNotIn(b'"cohort"', raw)

        # By name or by id.
        p = self.db.run("session", "add", MH, "workshop", *WHEN, "--cohort", NAME)
        self.assertIn("session workshop of %s added" % MH, p.stdout)
        self.db.run("session", "add", MH, "debrief", *WHEN, "--cohort", cid)
        _, cat = self.catalogue()
        by_id = {s["id"]: s for s in cat["sessions"]}
        self.assertNotIn("cohort", by_id["all-hands"])
        self.assertEqual(by_id["workshop"]["cohort"], cid)
        self.assertEqual(by_id["debrief"]["cohort"], cid)
        self.assertEqual(list(by_id["workshop"])[-1], "cohort")  # last, after cancelled
        self.assertIn("cohort " + cid, self.db.run("session", "list", MH).stdout)

        # change keeps it; --cohort "" makes it the whole course's again.
        self.db.run("session", "change", MH, "debrief", "--title", "Debriefing")
        _, cat = self.catalogue()
        self.assertEqual({s["id"]: s for s in cat["sessions"]}["debrief"]["cohort"], cid)
        self.db.run("session", "change", MH, "debrief", "--cohort", "")
        _, cat = self.catalogue()
        self.assertNotIn("cohort", {s["id"]: s for s in cat["sessions"]}["debrief"])

    def test_unknown_cohort_and_unassigned_course_refused(self):
        self.cohort(courses=(MH,))
        self.refused("session", "add", MH, "x", *WHEN, "--cohort", "Nobody 2030",
                     says='session cohort: no cohort named "Nobody 2030"')
        self.refused("session", "add", PC, "x", *WHEN, "--cohort", NAME,
                     says='session cohort: course %s is not assigned to cohort "%s"'
                     % (PC, NAME))
        self.db.run("session", "add", PC, "x", *WHEN)
        self.refused("session", "change", PC, "x", "--cohort", NAME,
                     says="is not assigned to cohort")

    def test_cohort_page_schedules_a_session(self):
        cid = self.cohort(courses=(MH,))
        self.db.coordinator("coord@example.org")
        hub = hl.start_hub(self, self.db)
        b = login(hub)
        page = b.request("GET", "/reports/cohorts/%s?lang=en" % cid).body.decode()
        self.assertIn("Schedule a live session for this cohort", page)
        # Only the cohort's own courses are offered.
        form = page[page.index('name="action" value="session"'):]
        self.assertIn("<option>%s</option>" % MH, form[:form.index("</select>")])
        self.assertNotIn("<option>%s</option>" % PC, form[:form.index("</select>")])
        fields = {"action": "session", "course": MH, "id": "workshop", "title": "Workshop",
                  "start": "2031-03-10T09:00", "end": "2031-03-10T12:30",
                  "timezone": "Africa/Dakar", "place": "Room 4", "online": ""}
        before, _ = self.catalogue()
        bad = dict(fields, end="2031-03-10T08:00")
        r = post(b, "/reports/cohorts/%s" % cid, bad)
        self.assertEqual(r.status, 400)
        self.assertIn("end 2031-03-10T08:00 is not after start", r.body.decode())
        r = post(b, "/reports/cohorts/%s" % cid, dict(fields, course=PC))
        self.assertEqual(r.status, 400)
        self.assertIn("is not assigned to cohort", r.body.decode())
        self.assertEqual(self.catalogue()[0], before)
        r = post(b, "/reports/cohorts/%s" % cid, fields)
        self.assertEqual((r.status, r.header("Location")), (303, "/reports/cohorts/%s" % cid))
        _, cat = self.catalogue()
        self.assertEqual([(s["id"], s.get("cohort")) for s in cat["sessions"]],
                         [("workshop", cid)])


class ProgrammeCertificates(Hub):
    def setUp(self):
        self.hub_pub = None
        self.db = hl.make_hub_db(self)
        self.hub_pub = os.path.join(self.db.root, "hub.pub")
        with open(self.hub_pub, "w") as f:
            f.write(self.db.run("keygen").stdout)
        self.db.run("publisher", "add", self.pub, "--name", "Ministry")
        self.db.run("publish", *self.bundles)
        self.n_export = 0
        self.cid = self.cohort(members=("awa@example.org", "kofi@example.org"))
        self.db.run("session", "add", MH, "workshop", *WHEN, "--cohort", NAME)
        # Another course session, and a cancelled cohort one: neither is required.
        self.db.run("session", "add", PC, "open-day", *WHEN)
        self.db.run("session", "add", PC, "dropped", *WHEN, "--cohort", NAME)
        self.db.run("session", "cancel", PC, "dropped")
        self.hub = hl.start_hub(self, self.db)
        self.laptop = hl.Client(self.hub, *self.db.credentials("laptop A"))

    def certificates(self):
        r = self.laptop.request("GET", "/relais/certificates", version=False)
        self.assertEqual(r.status, 200, r)
        return r.json()["certificates"]

    def programme_codes(self):
        codes = []
        for c in self.certificates():
            p = self.db.run("certificate", "verify", c["code"])
            if "programme:" in p.stdout:
                codes.append(c["code"])
        return codes

    def test_issued_once_every_course_and_session_is_done_and_not_before(self):
        awa = ("awa@example.org", "Awa Ndiaye")
        self.laptop.store([hl.completion(MH, awa[0], name=awa[1],
                                         timestamp="2031-02-01T10:00:00.000Z")])
        self.assertEqual(self.programme_codes(), [])
        self.laptop.store([hl.completion(PC, awa[0], name=awa[1],
                                         timestamp="2031-02-20T10:00:00.000Z"),
                           # bob did everything but is not a member: no programme for him.
                           hl.completion(MH, "bob@example.org", name="Bob"),
                           hl.completion(PC, "bob@example.org", name="Bob"),
                           attended(MH, "workshop", "bob@example.org", "Bob",
                                    "2031-03-10T09:00:00.000Z"),
                           # kofi attended but completed only one course.
                           hl.completion(MH, "kofi@example.org", name="Kofi"),
                           attended(MH, "workshop", "kofi@example.org", "Kofi",
                                    "2031-03-10T09:00:00.000Z")])
        # Both courses done, the cohort's session not attended yet: still none.
        self.assertEqual(self.programme_codes(), [])
        self.assertNotIn("cohort:", self.db.run("certificate", "list").stdout)

        self.laptop.store([attended(MH, "workshop", awa[0], awa[1],
                                    "2031-03-10T09:00:00.000Z")])
        codes = self.programme_codes()
        self.assertEqual(len(codes), 1)
        code = codes[0]
        # Asked again: the same one, not a second.
        self.assertEqual(self.programme_codes(), [code])
        listed = self.db.run("certificate", "list").stdout
        self.assertIn("awa@example.org  cohort:%s  valid" % self.cid, listed)
        self.assertNotIn("bob@example.org  cohort:", listed)
        self.assertNotIn("kofi@example.org  cohort:", listed)

        p = self.db.run("certificate", "verify", code)
        self.assertIn("learner:   Awa Ndiaye <awa@example.org>", p.stdout)
        self.assertIn("programme: %s (cohort %s)" % (NAME, self.cid), p.stdout)
        self.assertIn("  course:  Migration and health across borders (%s)" % MH, p.stdout)
        self.assertIn("(%s)" % PC, p.stdout)
        self.assertIn("sessions:  1 attended", p.stdout)
        # The day of the last requirement met: the workshop.
        self.assertIn("completed: 2031-03-10", p.stdout)
        # 120 + 120 minutes of courses and the 3.5 hours of the workshop.
        self.assertIn("hours:     7.5\n", p.stdout)
        self.assertTrue(p.stdout.endswith("valid\n"))
        # The course certificates keep their format: "version", no programme.
        for c in self.certificates():
            if c["code"] != code:
                out = self.db.run("certificate", "verify", c["code"]).stdout
                self.assertRegex(out, r"course: .*version 1\)")

        r = hl.Client(self.hub).request(
            "GET", "/verify?" + urllib.parse.urlencode({"code": code, "lang": "en"}),
            version=False)
        self.assertEqual(r.status, 200)
        self.assertIn("Valid certificate", r.text)
        self.assertIn("Programme", r.text)
        self.assertIn(NAME, r.text)
        self.assertIn("Live sessions attended</dt><dd>1</dd>", r.text)
        self.assertIn("Migration and health across borders (%s)" % MH, r.text)

        # Offline, on a laptop that trusts this hub's key.
        home = testlib.temp_dir(self, "relais-programme-home-")
        env = testlib.laptop_env(home)
        testlib.checked(testlib.run(testlib.RELAIS, ["trust", "add-hub", self.hub_pub], env=env),
                        "relais trust add-hub")
        p = testlib.run(testlib.RELAIS, ["certificate", "verify", code], env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("programme: %s" % NAME, p.stdout)
        self.assertIn("valid: signed by a hub key this laptop trusts", p.stdout)
        # Altered: a programme made to say more sessions does not verify.
        p = self.db.run("certificate", "verify", code[:-9] + ("A" if code[-9] != "A" else "B")
                        + code[-8:], check=False)
        self.assertEqual(p.returncode, 1)

        # Revoked like any other.
        cert_id = re.search(r"certificate (\d+),", self.db.run("certificate", "verify",
                                                                code).stdout).group(1)
        self.db.run("certificate", "revoke", cert_id, "--reason", "wrong cohort")
        p = self.db.run("certificate", "verify", code, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("revoked", p.stderr)


if __name__ == "__main__":
    testlib.main()
