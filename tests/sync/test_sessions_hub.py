#!/usr/bin/env python3
"""test_sessions_hub.py: live sessions from a trainer's course.json and from relais-hub session
reach a laptop through the signed catalogue: a changed date shows in the reader after the next
sync, in the laptop's own time zone, with an .ics to add it to a calendar; the hub refuses the
same bad sessions as pack --check, naming the field, and changes nothing then."""
import json
import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "reader"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib  # noqa: E402
from hublib import HubDb  # noqa: E402
from testlib import RELAIS  # noqa: E402
from test_courses_hub import _hub, hub_get  # noqa: E402

COURSE = "migration-health"
KICKOFF = {"id": "kickoff", "title": "Kick-off workshop", "start": "2031-03-10T09:00",
           "end": "2031-03-10T12:30", "timezone": "Africa/Dakar",
           "place": "Room 4, ENA Dakar", "trainer": "Awa Ndiaye", "before": ["ihr-framework"]}


class SessionsFromHub(unittest.TestCase):
    def setUp(self):
        self.work = testlib.temp_dir(self, "relais-sessions-hub-")
        self.relais(["keygen", "-p", "t.pub", "-s", "t.key", "-W"], None)
        src = os.path.join(self.work, "src")
        shutil.copytree(testlib.course_dir(COURSE), src)
        with open(os.path.join(src, "course.json")) as f:
            meta = json.load(f)
        meta["sessions"] = [KICKOFF]
        with open(os.path.join(src, "course.json"), "w") as f:
            json.dump(meta, f)
        self.bundle = os.path.join(self.work, "mh.relais")
        self.relais(["pack", src, "-s", "t.key", "-o", self.bundle], None)
        self.db = HubDb(self.work)
        self.hub_pub = os.path.join(self.work, "hub.pub")
        with open(self.hub_pub, "w") as f:
            f.write(self.db.run("keygen").stdout)
        self.db.run("publisher", "add", os.path.join(self.work, "t.pub"))
        self.db.run("publish", self.bundle)
        self.key, self.secret = self.db.credentials("laptop")
        self.home = os.path.join(self.work, "home")
        os.mkdir(self.home)
        self.relais(["trust", "add", "t.pub"], self.home)
        self.relais(["profile", "add", "--name", readerlib.LEARNER_NAME, "--email",
                     readerlib.LEARNER_EMAIL], self.home)

    def relais(self, args, home, tz=None):
        env = testlib.laptop_env(home)
        if tz:
            env["TZ"] = tz
        return testlib.checked(testlib.run(RELAIS, args, env=env, cwd=self.work, timeout=180),
                               "relais " + " ".join(args[:2]))

    def sync(self, hub):
        self.relais(["sync", "--hub", hub.url.rstrip("/"), "--key", self.key, "--secret",
                     self.secret, "--hub-key", self.hub_pub], self.home)

    def serial(self, hub):
        return json.loads(hub_get(hub, "/relais/catalogue.json", self.key, self.secret))

    def outline(self, tz):
        """The course outline's text and the kickoff .ics, from `relais read` run with TZ=tz."""
        env = testlib.laptop_env(self.home)
        env["TZ"] = tz
        reader = testlib.Reader(env)
        try:
            c = readerlib.Client(reader)
            c.open_session()
            c.choose_learner()
            page = c.get("/c/%s/" % COURSE)
            self.assertEqual(page.status, 200)
            ics = c.get("/c/%s/sessions/kickoff.ics" % COURSE)
            return page.text, ics
        finally:
            reader.stop()

    def test_bad_sessions_refused_naming_the_field(self):
        before = self.db.run("session", "list").stdout
        cases = [
            (["--start", "2031-03-10T09:00", "--end", "2031-03-10T08:00"], "end",
             "is not after start"),
            (["--timezone", "Mars/Olympus"], "timezone", "time zone database"),
            (["--before", "ihr-framework,nope"], "before", 'unit "nope"'),
        ]
        base = {"--title": "Extra", "--start": "2031-04-01T10:00", "--end": "2031-04-01T11:00",
                "--timezone": "Europe/Lisbon", "--place": "Lisbon"}
        for extra, field, words in cases:
            opts = dict(base)
            opts.update(dict(zip(extra[::2], extra[1::2])))
            args = ["session", "add", COURSE, "extra"] + [x for kv in opts.items() for x in kv]
            p = self.db.run(*args, check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertRegex(p.stderr, r"^relais-hub: session extra: %s .*%s" % (field, words))
            self.assertEqual(len(p.stderr.strip().split("\n")), 1, p.stderr)
        p = self.db.run("session", "add", "no-such-course", "x", *[x for kv in base.items()
                                                                for x in kv], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("course no-such-course is not published", p.stderr)
        p = self.db.run("session", "change", COURSE, "nope", "--title", "X", check=False)
        self.assertIn("has no session nope", p.stderr)
        self.assertEqual(self.db.run("session", "list").stdout, before)

    def test_a_changed_date_reaches_the_laptop_at_the_next_sync(self):
        with _hub(self.db) as hub:
            cat = self.serial(hub)
            self.assertEqual([(s["course"], s["id"]) for s in cat["sessions"]],
                             [(COURSE, "kickoff")])
            self.sync(hub)
            text, ics = self.outline("Asia/Kolkata")
            # 09:00 in Dakar (UTC) is 14:30 in Kolkata (UTC+5:30).
            self.assertIn("Kick-off workshop", text)
            self.assertIn("10 March 2031 14:30 (IST)", text)
            self.assertIn("The International Health Regulations at points of entry", text)
            self.assertEqual(ics.status, 200)
            self.assertIn("text/calendar", ics.header("Content-Type"))
            self.assertIn("attachment", ics.header("Content-Disposition"))
            self.assertIn(b"\r\nDTSTART:20310310T090000Z\r\n", ics.body)

            # The coordinator moves it by a day and a half-hour, and adds an online one.
            p = self.db.run("session", "change", COURSE, "kickoff", "--start",
                            "2031-03-11T09:30", "--end", "2031-03-11T12:30")
            self.assertRegex(p.stdout, r"session kickoff of %s changed; catalogue serial "
                             r"(\d+)" % COURSE)
            self.assertGreater(int(re.search(r"serial (\d+)", p.stdout).group(1)), cat["serial"])
            self.db.run("session", "add", COURSE, "debrief", "--title", "Debrief",
                        "--start", "2031-05-02T15:00", "--end", "2031-05-02T16:00",
                        "--timezone", "America/Sao_Paulo", "--online",
                        "https://meet.example.org/debrief")
            listed = self.db.run("session", "list", COURSE).stdout
            self.assertIn("kickoff 2031-03-11T09:30 to 2031-03-11T12:30 Africa/Dakar (hub)",
                          listed)
            self.assertIn("debrief", listed)
            # Nothing changes on the laptop before it syncs (offline, the old date).
            text, _ = self.outline("Asia/Kolkata")
            self.assertIn("10 March 2031 14:30", text)
            self.sync(hub)
            text, ics = self.outline("Asia/Kolkata")
            self.assertIn("11 March 2031 15:00 (IST)", text)
            self.assertNotIn("10 March 2031", text)
            self.assertIn("https://meet.example.org/debrief", text)
            self.assertIn("2 May 2031 23:30 (IST)", text)  # 15:00 in São Paulo (UTC-3)
            self.assertIn(b"\r\nDTSTART:20310311T093000Z\r\n", ics.body)

            # Cancelled: still listed, marked, and no calendar file offered.
            self.db.run("session", "cancel", COURSE, "kickoff")
            self.sync(hub)
            text, ics = self.outline("Europe/Paris")
            self.assertIn("Cancelled", text)
            self.assertIn("11 March 2031 10:30 (CET)", text)
            self.assertNotIn("/sessions/kickoff.ics", text)

            # The hub keeps its own version of the session, over any bundle's.
            self.db.run("unpublish", COURSE, check=False)
            self.assertEqual(self.db.sql(
                "SELECT start, cancelled, source FROM course_session WHERE id = 'kickoff'"),
                [("2031-03-11T09:30", "1", "hub")])


if __name__ == "__main__":
    testlib.main()
