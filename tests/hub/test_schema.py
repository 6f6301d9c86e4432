#!/usr/bin/env python3
"""test_schema.py: a hub database from before the terms (store.c, migration 9: agents, verbs,
activities and courses indexed as integers) is migrated when relais-hub opens it, and the
statements it held answer every filter, the reports and the Activities and Agents resources
as they did, beside statements stored after."""
import json
import os
import sqlite3
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402

LESSON = "https://example.org/activities/lesson-1"
COURSE = hl.RELAIS_ACTIVITIES + "mh"


def lesson(who):
    return hl.statement(who, obj=hl.activity(LESSON, name="Lesson one"),
                        context={"contextActivities": {"parent": [hl.activity(COURSE)]}})


def about_agent(who):
    """A statement whose object is who (an Agent), made by someone else."""
    return hl.statement("coach", v="mentored", obj=hl.agent(who))


class OldDatabase(unittest.TestCase):
    def answers(self, c):
        """What the hub says of its statements: ids by filter, reports, activity, person."""
        got = {}
        for name, params in (
                ("agent", {"agent": json.dumps(hl.agent("ama"))}),
                ("agent, related", {"agent": json.dumps(hl.agent("ama")),
                                    "related_agents": "true"}),
                ("verb", {"verb": hl.VERB + "completed"}),
                ("activity", {"activity": LESSON}),
                ("activity, related", {"activity": COURSE, "related_activities": "true"}),
                ("activity and verb", {"activity": LESSON, "verb": hl.VERB + "experienced"}),
                ("unknown verb", {"verb": hl.VERB + "never-used"})):
            got[name] = sorted(c.ids(params))
        r = c.request("GET", "/xapi/activities?" + urllib.parse.urlencode({"activityId": LESSON}))
        got["activity object"] = (r.status, json.loads(r.body))
        r = c.request("GET", "/xapi/agents?" + urllib.parse.urlencode(
            {"agent": json.dumps({"mbox": "mailto:ama@example.org"})}))
        got["person"] = (r.status, json.loads(r.body))
        return got

    @hl.SQLITE_ONLY
    def test_statements_stored_before_the_terms_still_answer(self):
        home = hl.make_hub_db(self)
        cred = home.credentials("Admin", scope="read-all,write,void-all")
        hub = hl.start_hub(self, home)
        c = hl.Client(hub, *cred)
        old = c.store([lesson("ama"), lesson("kofi"), about_agent("ama"),
                       hl.completion("mh", "ama@example.org", name="Ama"),
                       hl.completion("mh", "kofi@example.org", name="Kofi"),
                       hl.statement("esi", v="failed", obj=hl.activity(COURSE + "/quiz"),
                                    result={"success": False, "score": {"scaled": 0.4}}),
                       hl.statement("kofi", context={"instructor": hl.agent("ama")})])
        before = self.answers(c)
        reports = home.report_json()
        hub.stop()
        self.assertEqual(before["agent"], sorted([old[0], old[2], old[3]]))
        self.assertEqual(before["agent, related"], sorted([old[0], old[2], old[3], old[6]]))
        self.assertEqual(before["activity, related"], sorted(old[:2] + old[3:5]))
        self.assertEqual(before["unknown verb"], [])

        hl.undo_terms(home.db)
        db = sqlite3.connect(home.db)
        self.assertIsNone(db.execute("SELECT name FROM sqlite_master WHERE name = 'term'")
                          .fetchone(), "the database was not taken back")
        db.close()
        hub = hl.start_hub(self, home)
        c = hl.Client(hub, *cred)
        self.assertEqual(self.answers(c), before, "old statements answer otherwise once migrated")
        self.assertEqual(home.report_json(), reports)

        new = c.store([lesson("ama"), hl.completion("mh", "esi@example.org", name="Esi")])
        after = self.answers(c)
        self.assertEqual(after["agent"], sorted([old[0], old[2], old[3], new[0]]))
        self.assertEqual(after["verb"], sorted([old[3], old[4], new[1]]))
        self.assertEqual(after["activity"], sorted(old[:2] + new[:1]))
        self.assertEqual(after["activity, related"], sorted(old[:2] + old[3:5] + new))
        by_course = {r["course"]: r for r in home.report_json()["completions-by-course"]}
        self.assertEqual(by_course["mh"]["completions"], 3)


class RefusedBatch(unittest.TestCase):
    def test_a_refused_batch_takes_its_new_terms_back(self):
        home = hl.make_hub_db(self)
        c = hl.Client(hl.start_hub(self, home), *home.credentials("Admin", scope="read-all,write"))
        a, b = [hl.RELAIS_ACTIVITIES + "new-" + x for x in "ab"]
        bad = hl.statement("esi", obj=hl.activity(a))
        del bad["verb"]
        self.assertEqual(c.post([hl.statement("ama", obj=hl.activity(a)), bad]).status, 400)
        # b may now get the number a had in the batch taken back
        one = c.store([hl.statement("kofi", obj=hl.activity(b))])
        two = c.store([hl.statement("ama", obj=hl.activity(a))])
        self.assertEqual(c.ids({"activity": a}), two)
        self.assertEqual(c.ids({"activity": b}), one)
        self.assertEqual(c.ids({"agent": json.dumps(hl.agent("esi"))}), [])


if __name__ == "__main__":
    testlib.main()
