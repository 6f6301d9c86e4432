#!/usr/bin/env python3
"""test_cmi5.py: the reader as cmi5 launching system, spoken to as an AU would (cmi5 sections
8 to 10): the launch URL, the one-time fetch and its token, LMS.LaunchData in the State
resource, the statements the AU may and may not send (refused with 403 and cmi5's reason),
documents kept per learner, abandoned sessions, satisfied and the unit's progress."""
import http.client
import json
import os
import sqlite3
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib as rl  # noqa: E402

PACKAGES = os.path.join(testlib.SOURCE_ROOT, "tests", "data", "packages")
IFRAME = rl.re.compile(r'<iframe class="package" sandbox="allow-scripts allow-same-origin '
                       r'allow-forms" title="[^"]*" src="([^"]+)"></iframe>')
AU1 = "https://academy.example.org/courses/visa-interview/aus/prepare"
AU2 = "https://academy.example.org/courses/visa-interview/aus/quiz"
V = "http://adlnet.gov/expapi/verbs/"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


class AU:
    """One launched AU: what its launch URL says, and its calls to the package origin."""

    def __init__(self, src):
        u = urllib.parse.urlsplit(rl.html.unescape(src))
        self.port = u.port
        self.host = "%s:%d" % (u.hostname, u.port)
        self.path = u.path
        self.q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        self.actor = json.loads(self.q["actor"])
        self.token = None
        self.launch_data = None

    def request(self, method, url, body=None, token=None, headers=None):
        u = urllib.parse.urlsplit(url)
        h = {"Host": self.host, "X-Experience-API-Version": "1.0.3"}
        if token or self.token:
            h["Authorization"] = "Basic " + (token or self.token)
        if body is not None:
            h["Content-Type"] = "application/json"
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, u.path + ("?" + u.query if u.query else ""), body=body,
                         headers=h)
            r = conn.getresponse()
            return rl.Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def fetch(self):
        return self.request("POST", self.q["fetch"])

    def xapi(self, method, rest, body=None, **kw):
        return self.request(method, self.q["endpoint"] + rest, body, **kw)

    def state_url(self, state_id, agent=None):
        return "activities/state?" + urllib.parse.urlencode({
            "stateId": state_id, "activityId": self.q["activityId"],
            "agent": json.dumps(agent or self.actor), "registration": self.q["registration"]})

    def start(self):
        """The AU's first steps: fetch, then LMS.LaunchData."""
        r = self.fetch()
        assert r.status == 200, r
        self.token = json.loads(r.body)["auth-token"]
        r = self.xapi("GET", self.state_url("LMS.LaunchData"))
        assert r.status == 200, r
        self.launch_data = json.loads(r.body)
        return self.launch_data

    def statement(self, verb, result=None, defined=True, moveon=False, **over):
        ctx = json.loads(json.dumps(self.launch_data["contextTemplate"]))
        ctx["registration"] = self.q["registration"]
        if defined:
            cats = [{"id": CMI5}] + ([{"id": MOVEON}] if moveon else [])
            ctx.setdefault("contextActivities", {})["category"] = cats
        s = {"id": str(uuid.uuid4()), "actor": self.actor,
             "verb": {"id": verb if "/" in verb else V + verb, "display": {"en-US": verb}},
             "object": {"objectType": "Activity", "id": self.q["activityId"]},
             "context": ctx, "timestamp": "2026-12-06T10:00:00.000Z"}
        if result is not None:
            s["result"] = result
        s.update(over)
        return s

    def send(self, verb, result=None, **kw):
        return self.xapi("POST", "statements", self.statement(verb, result, **kw))


class Cmi5(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = rl.make_laptop_home(cls)
        key = os.path.join(cls.home.root, "k.key")
        bundle = os.path.join(cls.home.root, "visa.relais")
        cls.home.run("pack", os.path.join(PACKAGES, "cmi5-two"), "--secret-key", key,
                     "--language", "en", "-o", bundle)
        cls.home.run("install", bundle)
        cls.course = [l.split()[0] for l in cls.home.run("list").splitlines()
                      if "visa" in l][0]
        cls.reader = rl.Reader(cls.home)
        cls.tab = rl.Client(cls.reader)
        cls.tab.open_session()
        cls.tab.choose_learner()

    @classmethod
    def tearDownClass(cls):
        cls.reader.stop()

    def unit_link(self):
        outline = self.tab.get("/c/%s/" % self.course)
        return rl.re.search(r'<li><a href="(/c/[^"]+)"', outline.text).group(1)

    def launch(self, item=None):
        page = self.tab.get(self.unit_link() + ("?item=%d" % item if item is not None else ""))
        self.assertEqual(page.status, 200, page)
        m = IFRAME.search(page.text)
        self.assertIsNotNone(m, page.text)
        return AU(m.group(1))

    def outbox(self, au_id=None):
        """(verb IRI, object id, statement) of the outbox, in order."""
        with sqlite3.connect(self.home.db) as db:
            rows = db.execute("SELECT statement FROM outbox ORDER BY seq").fetchall()
        out = [json.loads(r[0]) for r in rows]
        out = [s for s in out if "cmi5" in json.dumps(s.get("context", {}))]
        return [(s["verb"]["id"].rsplit("/", 1)[1], s["object"]["id"], s) for s in out
                if au_id is None or s["object"]["id"] == au_id]

    def test_1_launch_fetch_launch_data_and_order(self):
        au = self.launch()
        # The launch URL: the AU's file on the package origin, with cmi5's five values.
        self.assertEqual(au.host.split(":")[0], "localhost")
        self.assertNotEqual(au.port, self.reader.port)
        self.assertTrue(au.path.endswith("/c/au1/index.html"), au.path)
        self.assertEqual(au.q["activityId"], AU1)
        self.assertEqual(au.q["endpoint"], "http://%s%sxapi/" % (au.host, au.path[:-len(
            "c/au1/index.html")]))
        self.assertEqual(au.actor, {"objectType": "Agent", "name": rl.LEARNER_NAME,
                                    "mbox": "mailto:" + rl.LEARNER_EMAIL})
        uuid.UUID(au.q["registration"])
        # Nothing without the token, and the token only once.
        self.assertEqual(au.xapi("GET", au.state_url("LMS.LaunchData")).status, 401)
        data = au.start()
        again = au.fetch()
        self.assertEqual(again.status, 200)
        self.assertEqual(json.loads(again.body)["error-code"], "1")
        self.assertNotIn("auth-token", json.loads(again.body))
        self.assertEqual(au.xapi("GET", au.state_url("LMS.LaunchData"),
                                 token="0" * 32).status, 401)
        self.assertEqual(data["launchMode"], "Normal")
        self.assertEqual(data["launchMethod"], "AnyWindow")
        self.assertEqual(data["moveOn"], "Completed")
        self.assertNotIn("masteryScore", data)
        self.assertIn("/return", data["returnURL"])
        session = data["contextTemplate"]["extensions"][SESSION]
        self.assertEqual(data["contextTemplate"]["contextActivities"]["grouping"],
                         [{"id": AU1}])
        # launched is in the outbox already, with what the AU was launched with.
        launched = self.outbox(AU1)[-1]
        self.assertEqual(launched[0], "launched")
        ext = launched[2]["context"]["extensions"]
        self.assertEqual(ext[SESSION], session)
        self.assertEqual(ext["https://w3id.org/xapi/cmi5/context/extensions/moveon"],
                         "Completed")
        self.assertEqual(launched[2]["context"]["registration"], au.q["registration"])

        # cmi5's order: initialized first, once; completed once; terminated last.
        r = au.send("completed", {"completion": True, "duration": "PT1M"}, moveon=True)
        self.assertEqual(r.status, 403, r)
        self.assertIn("initialized must be the session's first statement", r.text)
        r = au.send("initialized")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(json.loads(r.body)), 1)
        self.assertEqual(au.send("initialized").status, 403)
        # Another learner's actor, another session, another AU: refused.
        r = au.send("experienced", defined=False,
                    actor={"mbox": "mailto:someone@example.org"})
        self.assertEqual(r.status, 403)
        self.assertIn("not the learner", r.text)
        bad = au.statement("experienced", defined=False)
        bad["context"]["extensions"][SESSION] = "other"
        self.assertEqual(au.xapi("POST", "statements", bad).status, 403)
        r = au.send("completed", {"completion": True}, moveon=True,
                    object={"id": AU2, "objectType": "Activity"})
        self.assertEqual(r.status, 403)
        self.assertIn("not the AU launched", r.text)
        # Not xAPI: 400, with the hub's own message.
        r = au.xapi("POST", "statements", {"actor": au.actor, "verb": {"id": "nope"}})
        self.assertEqual(r.status, 400, r)
        # A "cmi5 allowed" statement between initialized and terminated.
        self.assertEqual(au.send("experienced", defined=False).status, 200)
        st = au.statement("completed", {"completion": True, "duration": "PT1M"}, moveon=True)
        r = au.xapi("PUT", "statements?statementId=" + st["id"], st)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(au.xapi("PUT", "statements?statementId=" + st["id"], st).status, 204)
        st2 = dict(st, timestamp="2026-12-07T10:00:00.000Z")
        self.assertEqual(au.xapi("PUT", "statements?statementId=" + st["id"], st2).status, 409)
        got = au.xapi("GET", "statements?statementId=" + st["id"])
        self.assertEqual(got.status, 200)
        self.assertEqual(json.loads(got.body)["verb"]["id"], V + "completed")
        r = au.send("completed", {"completion": True}, moveon=True)
        self.assertEqual(r.status, 403)
        self.assertIn("already sent in this session", r.text)

        # Documents: the AU's own state, merged by POST; not another learner's; not LaunchData.
        self.assertEqual(au.xapi("PUT", au.state_url("bookmark"), {"page": 3}).status, 204)
        self.assertEqual(au.xapi("POST", au.state_url("bookmark"), {"seen": [1]}).status, 204)
        doc = au.xapi("GET", au.state_url("bookmark"))
        self.assertEqual(json.loads(doc.body), {"page": 3, "seen": [1]})
        self.assertTrue(doc.header("ETag").startswith('"'))
        other = {"objectType": "Agent", "mbox": "mailto:someone@example.org"}
        self.assertEqual(au.xapi("GET", au.state_url("bookmark", other)).status, 403)
        r = au.xapi("PUT", au.state_url("LMS.LaunchData"), {"moveOn": "NotApplicable"})
        self.assertEqual(r.status, 403)
        prof = "agents/profile?" + urllib.parse.urlencode(
            {"agent": json.dumps(au.actor), "profileId": "cmi5LearnerPreferences"})
        self.assertEqual(au.xapi("GET", prof).status, 404)
        self.assertEqual(au.xapi("PUT", prof, {"languagePreference": "fr"}).status, 204)
        self.assertEqual(json.loads(au.xapi("GET", prof).body), {"languagePreference": "fr"})
        aprof = "activities/profile?" + urllib.parse.urlencode(
            {"activityId": AU1, "profileId": "notes"})
        self.assertEqual(au.xapi("PUT", aprof, b"plain", headers={
            "Content-Type": "text/plain"}).status, 204)
        self.assertEqual(au.xapi("GET", aprof).body, b"plain")

        self.assertEqual(au.send("terminated", {"duration": "PT3M"}).status, 200)
        r = au.send("experienced", defined=False)
        self.assertEqual(r.status, 403)
        self.assertIn("the session is over (terminated)", r.text)
        verbs = [v for v, _, _ in self.outbox(AU1)]
        self.assertEqual(verbs, ["launched", "initialized", "experienced", "completed",
                                 "terminated"])
        # AU 1 met its moveOn (Completed): the unit is started, its first part done.
        with sqlite3.connect(self.home.db) as db:
            done = db.execute("SELECT done FROM package_state WHERE item_id = ?",
                              (AU1,)).fetchone()
        self.assertEqual(done, (1,))
        self.assertIn("(Done)", self.tab.get(self.unit_link()).text)

    def test_2_mastery_abandoned_and_satisfied(self):
        au = self.launch(item=2)
        self.assertEqual(au.q["activityId"], AU2)
        self.assertEqual(au.q["questions"], "5")  # the AU's own query is kept
        data = au.start()
        self.assertEqual(data["masteryScore"], 0.8)
        self.assertEqual(data["launchParameters"], '{"shuffle":false}')
        self.assertEqual(data["launchMethod"], "OwnWindow")
        self.assertEqual(au.send("initialized").status, 200)
        r = au.send("passed", {"success": True, "score": {"scaled": 0.5}, "duration": "PT2M"},
                    moveon=True)
        self.assertEqual(r.status, 403, r)
        self.assertIn("masteryScore 0.8", r.text)
        r = au.send("failed", {"success": False, "score": {"scaled": 0.5}}, moveon=True)
        self.assertEqual(r.status, 200, r)
        # The tab closes here: no terminated. The next launch of the AU abandons it.
        first_session = data["contextTemplate"]["extensions"][SESSION]
        au = self.launch(item=2)
        last = self.outbox(AU2)
        self.assertEqual([v for v, _, _ in last[-2:]], ["abandoned", "launched"])
        self.assertEqual(last[-2][2]["context"]["extensions"][SESSION], first_session)
        self.assertIn("duration", last[-2][2]["result"])
        self.assertEqual(last[-2][2]["context"]["registration"], au.q["registration"])
        au.start()
        self.assertEqual(au.send("initialized").status, 200)
        with sqlite3.connect(self.home.db) as db:
            satisfied = db.execute("SELECT count(*) FROM outbox WHERE verb = 'satisfied'"
                                   ).fetchone()[0]
        self.assertEqual(satisfied, 0)
        r = au.send("passed", {"success": True, "score": {"scaled": 0.9}, "duration": "PT2M"},
                    moveon=True)
        self.assertEqual(r.status, 200, r)
        r = au.send("failed", {"success": False, "score": {"scaled": 0.1}}, moveon=True)
        self.assertEqual(r.status, 403)
        self.assertEqual(au.send("terminated", {"duration": "PT3M"}).status, 200)
        # Both AUs met their moveOn: satisfied for the course, once; the unit and course done.
        sat = [s for v, _, s in self.outbox() if v == "satisfied"]
        self.assertEqual(len(sat), 1)
        self.assertEqual(sat[0]["object"]["definition"]["type"],
                         "https://w3id.org/xapi/cmi5/activitytype/course")
        self.assertEqual(sat[0]["context"]["registration"], au.q["registration"])
        outline = self.tab.get("/c/%s/" % self.course).text
        self.assertIn("Done", outline)
        with sqlite3.connect(self.home.db) as db:
            self.assertEqual(db.execute("SELECT count(*) FROM completion").fetchone()[0], 1)

    def test_3_reader_restart_abandons_open_sessions(self):
        au = self.launch(item=0)
        au.start()
        self.assertEqual(au.send("initialized").status, 200)
        session = au.launch_data["contextTemplate"]["extensions"][SESSION]
        type(self).reader.stop()
        type(self).reader = rl.Reader(self.home)
        last = self.outbox(AU1)[-1]
        self.assertEqual(last[0], "abandoned")
        self.assertEqual(last[2]["context"]["extensions"][SESSION], session)


if __name__ == "__main__":
    testlib.main()
