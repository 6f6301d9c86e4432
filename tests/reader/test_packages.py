#!/usr/bin/env python3
"""test_packages.py: a SCORM package unit plays from the reader's package origin: its page
frames a launch from another loopback port, the launch's commits are kept (and refused
whole when wrong), progress and statements follow, and resuming gets the data back."""
import http.client
import json
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib as rl  # noqa: E402

PACKAGES = os.path.join(testlib.SOURCE_ROOT, "tests", "data", "packages")
IFRAME = rl.re.compile(r'<iframe class="package" sandbox="allow-scripts allow-same-origin '
                       r'allow-forms" title="[^"]*" src="http://(localhost|127\.0\.0\.1):(\d+)'
                       r'/l/([0-9a-f]{32})/"></iframe>')


def commit12(status="incomplete", location="", suspend="", raw=""):
    return json.dumps({"cmi": {"suspend_data": suspend, "core": {
        "lesson_location": location, "lesson_status": status, "exit": "suspend",
        "session_time": "00:01:30", "score": {"raw": raw, "min": "0", "max": "100"}}}}).encode()


class Launch:
    """The package origin of one launch, spoken to as its player would."""

    def __init__(self, host, port, secret):
        self.host, self.port, self.secret = host, port, secret

    def request(self, method, rest, body=None, headers=None, secret=None, host=None):
        h = {"Host": host or "%s:%d" % (self.host, self.port)}
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, "/l/%s/%s" % (secret or self.secret, rest), body=body,
                         headers=h)
            r = conn.getresponse()
            return rl.Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def commit(self, body, terminate=False, **kw):
        return self.request("POST", "commit?terminate=true" if terminate else "commit", body,
                            {"Content-Type": "application/json;charset=UTF-8"}, **kw)


class PackageUnits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = rl.make_laptop_home(cls)
        key = os.path.join(cls.home.root, "k.key")
        for name in ("scorm12-protocol", "scorm2004-two", "cmi5-two"):
            bundle = os.path.join(cls.home.root, name + ".relais")
            cls.home.run("pack", os.path.join(PACKAGES, name), "--secret-key", key,
                         "--language", "en", "-o", bundle)
            cls.home.run("install", bundle)
        ids = [l.split()[0] for l in cls.home.run("list").splitlines() if l.strip()]
        cls.ids = [i for i in ids if i != rl.COURSE_ID]
        cls.reader = rl.Reader(cls.home)
        cls.session = rl.Client(cls.reader)  # the printed address opens one session
        cls.session.open_session()
        cls.session.choose_learner()

    @classmethod
    def tearDownClass(cls):
        cls.reader.stop()

    def tab(self):
        """A tab of the learner's browser (the same session cookie)."""
        t = rl.Client(self.reader)
        t.cookies = dict(self.session.cookies)
        return t

    def course(self, word):
        return [i for i in self.ids if word in i][0]

    def launch(self, tab, course, item=None):
        outline = tab.get("/c/%s/" % course)
        self.assertEqual(outline.status, 200, outline)
        link = rl.re.search(r'<li><a href="(/c/[^"]+)"', outline.text).group(1)
        page = tab.get(link + ("?item=%d" % item if item is not None else ""))
        self.assertEqual(page.status, 200, page)
        m = IFRAME.search(page.text)
        self.assertIsNotNone(m, page.text)
        host, port, secret = m.group(1), int(m.group(2)), m.group(3)
        self.assertNotEqual(port, self.reader.port)
        self.assertEqual(host, "localhost")  # the other name of loopback: another site
        self.assertIn("frame-src http://localhost:%d" % port,
                      page.header("Content-Security-Policy"))
        return Launch(host, port, secret), page

    def test_scorm12_commit_saves_resumes_and_records(self):
        tab = self.tab()
        course = self.course("protocol")
        launch, _ = self.launch(tab, course)
        player = launch.request("GET", "")
        self.assertEqual(player.status, 200, player)
        self.assertIn("_/scorm-again.min.js", player.text)
        self.assertIn("frame-ancestors http://127.0.0.1:%d" % self.reader.port,
                      player.header("Content-Security-Policy"))
        lib = launch.request("GET", "_/scorm-again.min.js")
        self.assertEqual(lib.status, 200)
        self.assertIn(b"Scorm12API", lib.body)
        state = json.loads(launch.request("GET", "state").body)
        self.assertEqual(state["standard"], "scorm-1.2")
        self.assertEqual(state["launch"], "c/check.html?lang=en")
        self.assertEqual(state["launch_data"], "attempts=3")
        self.assertEqual(state["mastery_score"], 80)
        self.assertIsNone(state["saved"])
        sco = launch.request("GET", "c/check.html")
        self.assertEqual(sco.status, 200, sco)
        self.assertIn(b"LMSInitialize", sco.body)
        self.assertIn("frame-ancestors 'self'", sco.header("Content-Security-Policy"))

        ok = launch.commit(commit12("incomplete", "question-1", "q1=b"))
        self.assertEqual(ok.status, 200, ok)
        self.assertEqual(json.loads(ok.body), {"result": True, "errorCode": 0})
        outline = tab.get("/c/%s/" % course)
        self.assertIn("Package · Started", outline.text)

        # Closing and coming back is a new launch that gets its data back.
        again, _ = self.launch(self.tab(), course)
        saved = json.loads(again.request("GET", "state").body)["saved"]["cmi"]
        self.assertEqual(saved["suspend_data"], "q1=b")
        self.assertEqual(saved["core"]["lesson_location"], "question-1")

        done = again.commit(commit12("passed", "end", "q1=b", "100"), terminate=True)
        self.assertEqual(done.status, 200, done)
        outline = tab.get("/c/%s/" % course)
        self.assertIn("Package · Done, best 100%", outline.text)
        db = sqlite3.connect(self.home.db)
        rows = db.execute("SELECT verb, statement FROM outbox WHERE statement LIKE ? "
                          "ORDER BY rowid", ("%" + course + "%",)).fetchall()
        verbs = [v for v, _ in rows]
        self.assertEqual(verbs, ["completed", "passed", "suspended", "completed"], verbs)
        passed = json.loads(rows[1][1])
        self.assertEqual(passed["result"]["score"], {"scaled": 1, "raw": 100, "min": 0,
                                                     "max": 100})
        self.assertTrue(passed["result"]["success"])
        self.assertEqual(passed["context"]["contextActivities"]["category"][0]["id"],
                         "https://w3id.org/xapi/scorm")
        self.assertEqual(json.loads(rows[2][1])["result"]["duration"], "PT1M30.00S")
        # The same status again records nothing new.
        self.assertEqual(again.commit(commit12("passed", "end", "q1=b", "100")).status, 200)
        self.assertEqual(db.execute("SELECT count(*) FROM outbox WHERE statement LIKE ?",
                                    ("%" + course + "%",)).fetchone()[0], 4)

    def test_commit_refusals_save_nothing(self):
        tab = self.tab()
        course = self.course("protocol")
        launch, _ = self.launch(tab, course)
        db = sqlite3.connect(self.home.db)

        def kept():
            return db.execute("SELECT count(*) FROM package_state WHERE cmi LIKE '%refused%'"
                              ).fetchone()[0]

        wrong = launch.commit(commit12(suspend="refused"), secret="0" * 32)
        self.assertEqual(wrong.status, 403, wrong)
        self.assertIn(b"launch is unknown", wrong.body)
        host = launch.commit(commit12(suspend="refused"), host="evil.example")
        self.assertEqual(host.status, 421, host)
        reader_host = launch.commit(commit12(suspend="refused"), host="127.0.0.1:%d"
                                    % self.reader.port)
        self.assertEqual(reader_host.status, 421, reader_host)
        cross = launch.request("POST", "commit", commit12(suspend="refused"),
                               {"Origin": "http://127.0.0.1:%d" % self.reader.port})
        self.assertEqual(cross.status, 403, cross)
        huge = launch.commit(commit12(suspend="refused" + "x" * 4090))
        self.assertEqual(huge.status, 413, huge)
        self.assertIn(b"cmi.suspend_data is over SCORM 1.2's 4096 characters", huge.body)
        # A body over the limit is refused from its headers, before it is read.
        body = b'{"cmi":{"suspend_data":"' + b"x" * (600 * 1024) + b'"}}'
        got = rl.raw_exchange(launch.port, (
            "POST /l/%s/commit HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: "
            "application/json\r\nContent-Length: %d\r\n\r\n"
            % (launch.secret, launch.port, len(body))).encode(), chunks=[body])
        self.assertEqual(rl.status_of(got), 413, got[:200])
        bad = launch.commit(b"cmi.core.lesson_status=passed")
        self.assertEqual(bad.status, 400, bad)
        self.assertEqual(kept(), 0)
        # Only the launch's package, and only its listed files.
        self.assertEqual(launch.request("GET", "c/../../../manifest.json").status, 404)
        self.assertEqual(launch.request("GET", "c/nothing.html").status, 404)
        # The reader's own pages are not on the package origin, nor its cookie's session.
        self.assertEqual(launch.request("GET", "/../../").status, 404)
        self.assertEqual(launch.request("GET", "", host="127.0.0.1").status, 421)

    def test_scorm2004_limits_and_two_scos(self):
        tab = self.tab()
        course = self.course("consular")
        launch, page = self.launch(tab, course)
        self.assertIn('aria-current="page"', page.text)
        state = json.loads(launch.request("GET", "state").body)
        self.assertEqual(state["standard"], "scorm-2004")
        long_ok = json.dumps({"cmi": {"suspend_data": "é" * 64000, "location": "p2",
                                      "exit": "suspend", "completion_status": "completed",
                                      "success_status": "passed", "score": {"scaled": "0.9"}}})
        self.assertEqual(launch.commit(long_ok.encode()).status, 200)
        over = json.dumps({"cmi": {"suspend_data": "x" * 64001}})
        self.assertEqual(launch.commit(over.encode()).status, 413)
        saved = json.loads(self.launch(tab, course, 0)[0].request("GET", "state").body)
        self.assertEqual(len(saved["saved"]["cmi"]["suspend_data"]), 64000)
        # One SCO of two done: the unit is started, not done.
        self.assertIn("Package · Started", tab.get("/c/%s/" % course).text)


if __name__ == "__main__":
    testlib.main()
