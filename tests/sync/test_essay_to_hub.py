#!/usr/bin/env python3
"""test_essay_to_hub.py: an essay written in the reader is kept with its attempt, sent by relais
sync as the result.response of its question's statement, and shown to coordinators in the
hub's essays report, escaped, on the reports page, in CSV and in JSON."""
import html
import json
import os
import re
import signal
import sqlite3
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, TESTS)
sys.path.insert(0, os.path.join(TESTS, "reader"))
sys.path.insert(0, os.path.join(TESTS, "hub"))
import hublib as hl  # noqa: E402
import readerlib as rl  # noqa: E402
import testlib  # noqa: E402

COURSE = os.path.join(TESTS, "fixtures", "quiz-rules")
QUIZ = "/c/quiz-rules/quiz/matching"
QUIZ_PAGE = QUIZ + ".json"
# Markup and quotes, to be shown as text; a line break and non-ASCII, to arrive intact.
ESSAY = 'I greet them <b>first</b> & say "bienvenue".\nThen I listen — always.'
QUESTION = hl.RELAIS_ACTIVITIES + "quiz-rules/matching/report"


class LaptopHome(rl.LaptopHome):
    """The quiz-rules course instead of the sample one."""

    def __init__(self, root):
        self.root = root
        self.path = os.path.join(root, "home")
        os.mkdir(self.path)
        self.env = testlib.laptop_env(self.path)
        pub, key = os.path.join(root, "k.pub"), os.path.join(root, "k.key")
        bundle = os.path.join(root, "rules.relais")
        self.run("keygen", "--public-key", pub, "--secret-key", key, "--no-password")
        self.run("pack", COURSE, "--secret-key", key, "-o", bundle)
        self.run("trust", "add", pub)
        self.run("install", bundle)
        self.run("profile", "add", "--name", rl.LEARNER_NAME, "--email", rl.LEARNER_EMAIL)


class EssayToHub(unittest.TestCase):
    def test_an_essay_reaches_the_coordinator(self):
        laptop = LaptopHome(testlib.temp_dir(self, "relais-essay-"))
        reader = rl.Reader(laptop)
        self.addCleanup(reader.stop)
        c = rl.Client(reader)
        c.open_session()
        token = c.choose_learner()
        page = c.get(QUIZ_PAGE)
        self.assertEqual(page.status, 200, page)
        self.assertIn('<textarea', page.text)
        attempt = re.search(r'name="attempt" value="(\d+)"', page.text).group(1)
        r = c.post(QUIZ, [("token", token), ("attempt", attempt), ("q-report", ESSAY)])
        self.assertEqual(r.status, 200, r)
        self.assertIn(rl.SAVED, r.text)
        self.assertIn(html.escape(ESSAY).replace("&#x27;", "&#39;"), r.text)
        # The same form sent again (a reload of the result) records nothing more.
        again = c.post(QUIZ, [("token", token), ("attempt", attempt), ("q-report", "other")])
        self.assertEqual(again.status, 409, again)
        reader.stop(signal.SIGTERM)

        db = sqlite3.connect(laptop.db)
        self.addCleanup(db.close)
        saved = db.execute("SELECT responses FROM quiz_attempt WHERE id = ? AND submitted "
                           "IS NOT NULL", (int(attempt),)).fetchone()
        self.assertIsNotNone(saved, "the attempt was not closed")
        self.assertEqual(json.loads(saved[0]).get("report"), ESSAY)
        answered = [json.loads(s) for (s,) in db.execute("SELECT statement FROM outbox")]
        essays = [s for s in answered if s["object"]["id"] == QUESTION]
        self.assertEqual(len(essays), 1, [s["object"]["id"] for s in answered])
        self.assertEqual(essays[0]["result"]["response"], ESSAY)
        self.assertNotIn("score", essays[0]["result"])
        self.assertEqual(essays[0]["object"]["definition"]["interactionType"], "long-fill-in")

        hub_db = hl.make_hub_db(self)
        key, secret = hub_db.credentials()
        hub_db.coordinator("coord@example.org")
        hub = hl.start_hub(self, hub_db)
        p = testlib.run(testlib.RELAIS, ["sync", "--hub", hub.url, "--key", key, "--secret",
                                         secret], env=laptop.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = hl.Client(hub, key, secret).statement(essays[0]["id"])
        self.assertEqual(got["result"]["response"], ESSAY)

        rows = hub_db.report_json()["essays"]
        self.assertEqual([(r["email"], r["course"], r["quiz"], r["question"], r["essay"])
                          for r in rows],
                         [(rl.LEARNER_EMAIL, "quiz-rules", "matching", "report", ESSAY)])
        b = hl.Client(hub, version=None)
        form = urllib.parse.urlencode({"email": "coord@example.org",
                                       "password": hl.PASSWORD}).encode()
        r = b.request("POST", "/reports/login", body=form,
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 303, r)
        page = b.request("GET", "/reports/quizzes").body.decode()
        self.assertIn('id="essays"', page)
        self.assertIn(html.escape(ESSAY, quote=True).replace("&#x27;", "&#39;"), page)
        self.assertNotIn("<b>first</b>", page)


if __name__ == "__main__":
    testlib.main()
