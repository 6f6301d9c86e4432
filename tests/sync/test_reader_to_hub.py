#!/usr/bin/env python3
"""test_reader_to_hub.py: statements the reader makes, sent by relais sync to a real relais-hub
serve: a learner reads every lesson, fails then passes the quiz through the reader's pages; the
hub then holds exactly the outbox's statements, byte for byte as made, and its report counts
the completion once."""
import json
import signal
import os
import re
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "reader"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
import hublib as hl  # noqa: E402
import readerlib as rl  # noqa: E402
import testlib  # noqa: E402

LESSONS = ["ihr-framework", "screening", "vaccination-records", "continuity-of-care",
           "surveillance", "data-dignity", "coordination"]


class ReaderToHub(unittest.TestCase):
    def learn(self, laptop):
        """Through the reader's pages: every lesson read, the quiz failed once then passed."""
        reader = rl.Reader(laptop)
        self.addCleanup(reader.stop)
        c = rl.Client(reader)
        c.open_session()
        token = c.choose_learner()
        for unit in LESSONS:
            r = c.post("/c/%s/read/%s" % (rl.COURSE_ID, unit), [("token", token)])
            self.assertEqual(r.status, 303, "reading %s: %r" % (unit, r))
        for fields, verdict in (([], "Not passed yet"), (rl.RIGHT_ANSWERS, "Passed")):
            page = c.get(rl.QUIZ_PAGE)
            self.assertEqual(page.status, 200, page)
            started = re.search(r'name="started" value="(\d+)"', page.text).group(1)
            r = c.post(rl.QUIZ_ACTION, [("token", token), ("started", started)] + fields)
            self.assertEqual(r.status, 200, r)
            self.assertIn(rl.SAVED, r.text)
            self.assertIn(verdict, r.text)
        reader.stop(signal.SIGTERM)

    def test_the_hub_holds_exactly_what_the_reader_recorded(self):
        laptop = rl.make_laptop_home(self)
        self.learn(laptop)
        db = sqlite3.connect(laptop.db)
        self.addCleanup(db.close)
        recorded = dict(db.execute("SELECT id, statement FROM outbox"))
        verbs = {json.loads(t)["verb"]["id"].rsplit("/", 1)[-1] for t in recorded.values()}
        self.assertEqual(verbs, {"experienced", "answered", "failed", "passed", "completed"})

        hub_db = hl.make_hub_db(self)
        key, secret = hub_db.credentials()
        hub = hl.start_hub(self, hub_db)
        self.assertEqual(hl.sync_up(self, laptop.env, hub, key, secret), [len(recorded), 0, 0])

        got, _ = hl.Client(hub, key, secret).query_all({"limit": 100})
        self.assertEqual(sorted(s["id"] for s in got), sorted(recorded))
        for st in got:
            self.assertEqual(hl.without_server_fields(st), json.loads(recorded[st["id"]]),
                             "statement %s changed on the way" % st["id"])
        self.assertEqual(db.execute("SELECT count(*) FROM outbox WHERE sent IS NULL")
                         .fetchone()[0], 0)

        report = hub_db.report_json()
        self.assertEqual([(r["course"], r["completions"], r["learners"])
                          for r in report["completions-by-course"]],
                         [(rl.COURSE_ID, 1, 1)])
        self.assertEqual([(r["email"], r["course"]) for r in report["completions-by-learner"]],
                         [(rl.LEARNER_EMAIL, rl.COURSE_ID)])


if __name__ == "__main__":
    testlib.main()
