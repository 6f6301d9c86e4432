#!/usr/bin/env python3
"""test_cohort_sessions_hub.py: a cohort's live session scheduled on a real relais-hub
(`session add --cohort`) reaches a laptop with the catalogue and shows, on the library, the
course outline and as an .ics, only to a learner profile that is a member of the cohort; a
member of no cohort still sees the course's own sessions; a trainer's roster for it lists the
cohort's members first, marked (docs/catalogue.md, "The catalogue")."""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "hub"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "reader"))
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402
import readerlib  # noqa: E402
from test_attendance import choose  # noqa: E402
from test_cohorts_hub import HubAndLaptop  # noqa: E402

COHORT = "Attachés 2027"
COURSE = "migration-health"
PIN = "7531"
WHEN = ["--start", "2031-03-10T09:00", "--end", "2031-03-10T12:30", "--timezone",
        "Africa/Dakar", "--place", "Room 4"]


class CohortSessionsToLaptop(HubAndLaptop, unittest.TestCase):
    def setUp(self):
        self.make_hub_and_laptop("relais-cohort-sessions-", [(COURSE, [])])
        self.db.run("cohort", "add", COHORT, "--org", "MAE")
        self.db.run("cohort", "members", COHORT, "--add", "aicha@example.org")
        self.db.run("cohort", "assign", COHORT, COURSE)
        self.db.run("session", "add", COURSE, "all-hands", "--title", "All-hands briefing",
                    *WHEN)
        self.db.run("session", "add", COURSE, "workshop", "--title", "Cohort workshop",
                    *WHEN, "--cohort", COHORT)
        self.relais(["profile", "add", "--trainer", "--name", "Tessa Mbaye", "--email",
                     "tessa@example.org", "--org", "MAE"], self.home, pin=PIN)
        self.sync()

    def pages(self, name, pin=None, paths=()):
        reader = testlib.Reader(testlib.laptop_env(self.home))
        try:
            c = readerlib.Client(reader)
            c.open_session()
            r, _ = choose(c, name, pin)
            self.assertEqual(r.status, 303, r.text)
            return [c.get(p) for p in paths]
        finally:
            reader.stop()

    def test_a_cohort_session_shows_to_its_members_only(self):
        paths = ("/", "/c/%s/" % COURSE, "/c/%s/sessions/workshop.ics" % COURSE,
                 "/c/%s/sessions/all-hands.ics" % COURSE)
        library, outline, ics, course_ics = self.pages("Aïcha Diallo", paths=paths)
        for page in (library, outline):
            self.assertIn("Cohort workshop", page.text)
            self.assertIn("All-hands briefing", page.text)
        self.assertEqual(ics.status, 200)
        self.assertIn(b"SUMMARY:Cohort workshop", ics.body)
        self.assertEqual(course_ics.status, 200)

        library, outline, ics, course_ics = self.pages("Bob Martin", paths=paths)
        for page in (library, outline):
            self.assertNotIn("Cohort workshop", page.text)
            self.assertIn("All-hands briefing", page.text)
        self.assertEqual(ics.status, 404)
        self.assertEqual(course_ics.status, 200)

        # The trainer sees it, and its roster puts the cohort's members first, marked.
        outline, roster = self.pages("Tessa Mbaye", PIN, paths=(
            "/c/%s/" % COURSE, "/c/%s/attendance/workshop" % COURSE))
        self.assertIn("Cohort workshop", outline.text)
        self.assertEqual(roster.status, 200, roster.text)
        parts = re.findall(r"<fieldset[^>]*><legend>([^<]*)</legend>(.*?)</fieldset>",
                           roster.text, re.S)
        self.assertEqual(parts[0][0], "Members of this session&#39;s cohort"
                         if "&#39;" in parts[0][0] else "Members of this session's cohort")
        self.assertIn("Aïcha Diallo", parts[0][1])
        self.assertIn("(cohort member)", parts[0][1])
        self.assertNotIn("Bob Martin", parts[0][1])
        self.assertIn("Bob Martin", parts[1][1])
        self.assertNotIn("cohort member", parts[1][1])


if __name__ == "__main__":
    testlib.main()
