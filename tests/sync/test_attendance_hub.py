#!/usr/bin/env python3
"""test_attendance_hub.py: presences a trainer saved offline in the reader reach a real
relais-hub with relais sync and show in its attendance report, a person once per session,
beside the completions."""
import os
import re
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "hub"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "reader"))
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402
import readerlib as rl  # noqa: E402
from test_attendance import (COURSE, LEARNERS, TRAINER, TRAINER_PIN, choose,  # noqa: E402
                             make_home, sessions_now)


class AttendanceToHub(unittest.TestCase):
    def save_roster(self, env, session, typed):
        """The trainer ticks every learner of the roster, types typed in, and saves."""
        reader = testlib.Reader(env)
        try:
            c = rl.Client(reader)
            c.open_session()
            r, token = choose(c, TRAINER[0], TRAINER_PIN)
            self.assertEqual(r.status, 303, r.text)
            page = c.get("/c/%s/attendance/%s" % (COURSE, session)).text
            form = [("token", token)] + [(b, "on") for b in re.findall(r'name="(p\d+)"', page)]
            for i, (name, email) in enumerate(typed, 1):
                form += [("name%d" % i, name), ("email%d" % i, email)]
            r = c.post("/c/%s/attendance/%s" % (COURSE, session), form)
            self.assertEqual(r.status, 200, r.text)
            return r.text
        finally:
            reader.stop(signal.SIGTERM)

    def test_presences_reach_the_attendance_report(self):
        sessions = sessions_now()
        env, _, _ = make_home(self, sessions)
        hub_db = hl.make_hub_db(self)
        key, secret = hub_db.credentials("trainer laptop")
        hub = hl.start_hub(self, hub_db)

        page = self.save_roster(env, "review", [("Chidi Okafor", "chidi@example.org")])
        self.assertIn("3 new presences", page)
        self.assertEqual(hl.sync_up(self, env, hub, key, secret), [3, 0, 0])
        rows = hub_db.report_json()["attendance"]
        start = sessions[1]["start"] + ":00.000Z"
        self.assertEqual(rows, sorted([
            {"course": COURSE, "session": "review", "learner": LEARNERS[0][0],
             "email": LEARNERS[0][1], "organisation": LEARNERS[0][2], "attended": start,
             "trainer": TRAINER[0]},
            {"course": COURSE, "session": "review", "learner": LEARNERS[1][0],
             "email": LEARNERS[1][1], "organisation": LEARNERS[1][2], "attended": start,
             "trainer": TRAINER[0]},
            {"course": COURSE, "session": "review", "learner": "Chidi Okafor",
             "email": "chidi@example.org", "organisation": "", "attended": start,
             "trainer": TRAINER[0]},
        ], key=lambda r: r["learner"]))
        # Saved again, and another session: only what is new travels and shows.
        page = self.save_roster(env, "review", [("Chidi Okafor", "CHIDI@example.org")])
        self.assertIn("0 new presences", page)
        self.save_roster(env, "kickoff", [])
        self.assertEqual(hl.sync_up(self, env, hub, key, secret), [2, 0, 0])
        rows = hub_db.report_json()["attendance"]
        self.assertEqual([(r["session"], r["email"]) for r in rows], [
            ("kickoff", LEARNERS[0][1]), ("kickoff", LEARNERS[1][1]),
            ("review", LEARNERS[0][1]), ("review", LEARNERS[1][1]),
            ("review", "chidi@example.org")])
        self.assertEqual(rows[0]["attended"], "2031-03-10T09:00:00.000Z")  # 09:00 in Dakar
        # In CSV as coordinators export it.
        csv = hub_db.run("report", "--format", "csv", "--table", "attendance").stdout
        lines = csv.splitlines()
        self.assertEqual(lines[0], '"course","session","learner","email","organisation",'
                                   '"attended","trainer"')
        self.assertEqual(len(lines), 6)
        self.assertIn('"review","Chidi Okafor","chidi@example.org",""', csv)


if __name__ == "__main__":
    testlib.main()
