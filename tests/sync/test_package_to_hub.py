#!/usr/bin/env python3
"""test_package_to_hub.py: a SCORM 1.2 package played on a laptop (through the reader's package
origin, as its player speaks to it) records its commits as xAPI statements; relais sync sends
them to a real relais-hub serve, which then holds them as made: completed and passed with the
score, in ADL's SCORM profile category, and the suspended session. The same for a cmi5
course: the AUs' statements as they sent them, and the reader's launched and satisfied."""
import json
import os
import re
import signal
import sqlite3
import sys
import unittest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
sys.path.insert(0, os.path.join(TESTS, "reader"))
sys.path.insert(0, os.path.join(TESTS, "hub"))
import hublib as hl  # noqa: E402
import readerlib as rl  # noqa: E402
import testlib  # noqa: E402
from test_packages import IFRAME, PACKAGES, Launch, commit12  # noqa: E402
import test_cmi5 as c5  # noqa: E402

VERBS = "http://adlnet.gov/expapi/verbs/"
SCORM_CATEGORY = "https://w3id.org/xapi/scorm"
ACTIVITIES = hl.RELAIS_ACTIVITIES


class PackageToHub(unittest.TestCase):
    def play(self, laptop):
        """Through the reader: open the package unit, load its player, state and SCO, commit
        'incomplete' then 'passed' with 85 out of 100 (the mastery score is 80)."""
        key = os.path.join(laptop.root, "k.key")
        bundle = os.path.join(laptop.root, "protocol.relais")
        laptop.run("pack", os.path.join(PACKAGES, "scorm12-protocol"), "--secret-key", key,
                   "--language", "en", "-o", bundle)
        laptop.run("install", bundle)
        course = [l.split()[0] for l in laptop.run("list").splitlines()
                  if l.strip() and l.split()[0] != rl.COURSE_ID][0]
        reader = rl.Reader(laptop)
        self.addCleanup(reader.stop)
        c = rl.Client(reader)
        c.open_session()
        c.choose_learner()
        outline = c.get("/c/%s/" % course)
        self.assertEqual(outline.status, 200, outline)
        unit = re.search(r'<li><a href="(/c/[^"]+)"', outline.text).group(1)
        page = c.get(unit)
        self.assertEqual(page.status, 200, page)
        m = IFRAME.search(page.text)
        self.assertIsNotNone(m, page.text)
        launch = Launch(m.group(1), int(m.group(2)), m.group(3))
        for rest in ("", "state", "c/check.html"):
            r = launch.request("GET", rest)
            self.assertEqual(r.status, 200, "GET %s: %r" % (rest, r))
        for body, end in ((commit12("incomplete", "question-1", "q1=b"), False),
                          (commit12("passed", "end", "q1=b;q2=a", "85"), True)):
            r = launch.commit(body, terminate=end)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(json.loads(r.body), {"result": True, "errorCode": 0})
        self.assertIn("Package · Done, best 85%", c.get("/c/%s/" % course).text)
        reader.stop(signal.SIGTERM)
        return course

    def test_the_hub_holds_the_package_statements(self):
        laptop = rl.make_laptop_home(self)
        course = self.play(laptop)
        db = sqlite3.connect(laptop.db)
        self.addCleanup(db.close)
        recorded = {i: json.loads(s) for i, s in db.execute("SELECT id, statement FROM outbox")}

        hub_db = hl.make_hub_db(self)
        key, secret = hub_db.credentials()
        hub = hl.start_hub(self, hub_db)
        self.assertEqual(hl.sync_up(self, laptop.env, hub, key, secret), [len(recorded), 0, 0])
        self.assertEqual(db.execute("SELECT count(*) FROM outbox WHERE sent IS NULL")
                         .fetchone()[0], 0)

        got, _ = hl.Client(hub, key, secret).query_all({"limit": 100})
        held = {s["id"]: hl.without_server_fields(s) for s in got}
        self.assertEqual(held, recorded, "the hub does not hold the laptop's statements as made")
        # The package unit's statements (ADL's SCORM profile), and the course's completion.
        unit = [st for st in held.values() if st["object"]["id"].startswith(ACTIVITIES + course
                                                                            + "/")]
        self.assertTrue(unit, "the package's commits made no statements")
        by_verb = {}
        for st in unit:
            by_verb.setdefault(st["verb"]["id"], []).append(st)
            self.assertIn(SCORM_CATEGORY, [a["id"] for a in st["context"].get(
                "contextActivities", {}).get("category", [])], st)
            self.assertEqual(st["actor"]["mbox"], "mailto:" + rl.LEARNER_EMAIL)
        self.assertEqual(sorted(by_verb), sorted(VERBS + v for v in
                                                 ("completed", "passed", "suspended")))
        passed = by_verb[VERBS + "passed"]
        self.assertEqual(len(passed), 1, passed)
        self.assertEqual(passed[0]["result"]["score"],
                         {"scaled": 0.85, "raw": 85, "min": 0, "max": 100})
        self.assertTrue(passed[0]["result"]["success"])
        self.assertEqual(len(by_verb[VERBS + "completed"]), 1)
        self.assertEqual(by_verb[VERBS + "suspended"][0]["result"]["duration"], "PT1M30.00S")
        whole = [st["verb"]["id"] for st in held.values()
                 if st["object"]["id"] == ACTIVITIES + course]
        self.assertEqual(whole, [VERBS + "completed"])  # its only unit is done

        # The hub's own filter finds them by verb as well.
        only, _ = hl.Client(hub, key, secret).query_all({"verb": VERBS + "passed"})
        self.assertEqual([s["id"] for s in only], [passed[0]["id"]])

    def test_the_hub_holds_the_cmi5_statements(self):
        laptop = rl.make_laptop_home(self)
        key = os.path.join(laptop.root, "k.key")
        bundle = os.path.join(laptop.root, "visa.relais")
        laptop.run("pack", os.path.join(PACKAGES, "cmi5-two"), "--secret-key", key,
                   "--language", "en", "-o", bundle)
        laptop.run("install", bundle)
        course = [l.split()[0] for l in laptop.run("list").splitlines() if "visa" in l][0]
        reader = rl.Reader(laptop)
        self.addCleanup(reader.stop)
        c = rl.Client(reader)
        c.open_session()
        c.choose_learner()
        unit = re.search(r'<li><a href="(/c/[^"]+)"', c.get("/c/%s/" % course).text).group(1)
        for item, steps in ((0, [("completed", {"completion": True, "duration": "PT1M"})]),
                            (2, [("passed", {"success": True, "score": {"scaled": 0.9},
                                             "duration": "PT2M"})])):
            au = c5.AU(c5.IFRAME.search(c.get("%s?item=%d" % (unit, item)).text).group(1))
            au.start()
            self.assertEqual(au.send("initialized").status, 200)
            for verb, result in steps:
                r = au.send(verb, result, moveon=True)
                self.assertEqual(r.status, 200, r)
            self.assertEqual(au.send("terminated", {"duration": "PT3M"}).status, 200)
        reader.stop(signal.SIGTERM)
        db = sqlite3.connect(laptop.db)
        self.addCleanup(db.close)
        recorded = {i: json.loads(s) for i, s in db.execute("SELECT id, statement FROM outbox")}

        hub_db = hl.make_hub_db(self)
        hkey, secret = hub_db.credentials()
        hub = hl.start_hub(self, hub_db)
        self.assertEqual(hl.sync_up(self, laptop.env, hub, hkey, secret),
                         [len(recorded), 0, 0])
        got, _ = hl.Client(hub, hkey, secret).query_all({"limit": 100})
        held = {s["id"]: hl.without_server_fields(s) for s in got}
        self.assertEqual(held, recorded, "the hub does not hold the laptop's statements as made")
        for au, verbs in ((c5.AU1, ["launched", "initialized", "completed", "terminated"]),
                          (c5.AU2, ["launched", "initialized", "passed", "terminated"])):
            only, _ = hl.Client(hub, hkey, secret).query_all(
                {"activity": au, "ascending": "true"})
            self.assertEqual([s["verb"]["id"].rsplit("/", 1)[1] for s in only], verbs)
        sat, _ = hl.Client(hub, hkey, secret).query_all(
            {"verb": "https://w3id.org/xapi/adl/verbs/satisfied"})
        self.assertEqual(len(sat), 1)
        self.assertEqual(sat[0]["actor"]["mbox"], "mailto:" + rl.LEARNER_EMAIL)


if __name__ == "__main__":
    testlib.main()
