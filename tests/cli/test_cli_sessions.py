#!/usr/bin/env python3
"""test_cli_sessions.py: live sessions in course.json: packed into the manifest, bad ones refused."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS, make_course  # noqa: E402

GOOD = {"id": "kickoff", "title": "Kick-off workshop", "start": "2031-03-10T09:00",
        "end": "2031-03-10T12:30", "timezone": "Africa/Dakar", "place": "Room 4, ENA Dakar",
        "trainer": "Awa Ndiaye", "before": ["intro"]}


def run(args):
    return subprocess.run([RELAIS] + list(args), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def with_sessions(src, sessions):
    """Rewrites course.json with one member per line, sessions last, one field per line."""
    path = os.path.join(src, "course.json")
    with open(path, encoding="utf-8") as f:
        course = json.load(f)
    course["sessions"] = sessions
    with open(path, "w", encoding="utf-8") as f:
        json.dump(course, f, indent=2)
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


class PackSessions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.src = os.path.join(self.tmp.name, "course")
        make_course(self.src)

    def tearDown(self):
        self.tmp.cleanup()

    def refused(self, session, field, words):
        """pack --check exits 1 with course.json:LINE naming field, LINE being field's line."""
        lines = with_sessions(self.src, [dict(GOOD), session])
        r = run(["pack", "--check", self.src])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        want = [i + 1 for i, l in enumerate(lines) if l.strip().startswith('"%s"' % field)][-1]
        self.assertIn("course.json:%d: session %s: %s" % (want, session["id"], field),
                      r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        return r

    def test_good_sessions_are_signed_into_the_manifest(self):
        online = dict(GOOD, id="debrief", place=None, online="https://meet.example.org/x",
                      before=[])
        del online["place"]
        with_sessions(self.src, [GOOD, online])
        key = os.path.join(self.tmp.name, "k")
        self.assertEqual(run(["keygen", "-W", "-p", key + ".pub", "-s", key + ".key"]).returncode, 0)
        out = os.path.join(self.tmp.name, "c.relais")
        r = run(["pack", self.src, "--secret-key", key + ".key", "-o", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(out) as z:
            m = json.loads(z.read("manifest.json"))
        self.assertEqual([s["id"] for s in m["sessions"]], ["kickoff", "debrief"])
        self.assertEqual(m["sessions"][0], GOOD)
        self.assertEqual(m["sessions"][1]["online"], "https://meet.example.org/x")
        self.assertEqual(list(m)[-1], "sessions")
        self.assertEqual(run(["verify", out, "--public-key", key + ".pub"]).returncode, 0)

    def test_end_before_start(self):
        self.refused(dict(GOOD, id="late", end="2031-03-10T08:00"), "end",
                     ["end 2031-03-10T08:00 is not after start 2031-03-10T09:00"])

    def test_unknown_time_zone(self):
        self.refused(dict(GOOD, id="mars", timezone="Mars/Olympus_Mons"), "timezone",
                     ['"Mars/Olympus_Mons" is not in this machine\'s time zone database'])

    def test_time_zone_path_tricks(self):
        self.refused(dict(GOOD, id="dots", timezone="../../etc/passwd"), "timezone",
                     ["time zone database"])

    def test_unknown_unit_in_before(self):
        self.refused(dict(GOOD, id="early", before=["intro", "chapter-9"]), "before",
                     ['before names unit "chapter-9", which the course does not have'])

    def test_a_time_the_clocks_skip(self):
        # Paris went to summer time at 02:00 on 2031-03-30: 02:30 never happened.
        self.refused(dict(GOOD, id="gap", timezone="Europe/Paris", start="2031-03-30T02:30",
                          end="2031-03-30T04:00"), "start", ["does not exist in Europe/Paris"])

    def test_malformed_start(self):
        self.refused(dict(GOOD, id="noon", start="10 March 2031"), "start",
                     ["YYYY-MM-DDTHH:MM"])

    def test_place_and_online_both(self):
        self.refused(dict(GOOD, id="both", online="https://x.example"), "place",
                     ["place or online: a session has exactly one of the two"])

    def test_every_problem_at_once_and_nothing_written(self):
        with_sessions(self.src, [dict(GOOD, id="a", end="2031-03-10T08:00"),
                                 dict(GOOD, id="b", timezone="Nowhere/City")])
        key = os.path.join(self.tmp.name, "k")
        run(["keygen", "-W", "-p", key + ".pub", "-s", key + ".key"])
        out = os.path.join(self.tmp.name, "c.relais")
        r = run(["pack", self.src, "--secret-key", key + ".key", "-o", out])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("session a: end", r.stderr)
        self.assertIn("session b: timezone", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    testlib.main()
