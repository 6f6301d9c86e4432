#!/usr/bin/env python3
"""test_cli_basics.py: relais --help, --version, help COMMAND and usage errors."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from testlib import RELAIS, SOURCE_ROOT  # noqa: E402

# Every command, as the overview lists them.
COMMANDS = ["keygen", "pack", "verify", "inspect", "trust", "install", "list", "remove",
            "profile", "progress", "read", "sync", "export-records", "outbox"]

# The options (or arguments) each command's help must name.
COMMAND_OPTIONS = {
    "keygen": ["--public-key", "--secret-key", "--no-password"],
    "pack": ["--secret-key", "--output", "--check", "--max-media-size", "--threads"],
    "verify": ["--public-key"],
    "inspect": ["--json"],
    "trust": ["trust add PUBLIC_KEY", "--name"],
    "install": ["BUNDLE"],
    "list": [],
    "remove": ["COURSE_ID"],
    "profile": ["profile add", "--name", "--email", "--org", "--pin", "profile pin",
                "profile remove", "--none"],
    "progress": ["--json"],
    "read": ["--port", "--no-browser"],
    "sync": ["--hub", "--key", "--secret", "--batch", "--attempts", "--watch"],
    "export-records": ["FILE"],
    "outbox": ["outbox retry", "ID"],
}


def run(args, cwd=None, home=None):
    """Runs relais with no terminal and no inherited password."""
    env = dict(os.environ)
    env.pop("RELAIS_PASSWORD", None)
    if home is not None:
        env["RELAIS_HOME"] = home
    return subprocess.run([RELAIS] + list(args), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL,
                          start_new_session=True)


def project_version():
    with open(os.path.join(SOURCE_ROOT, "meson.build"), encoding="utf-8") as f:
        m = re.search(r"project\([^)]*?version\s*:\s*'([^']+)'", f.read(), re.S)
    return m.group(1) if m else None


class Basics(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="relais-basics-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name

    def assert_one_error_line(self, p, status, *words):
        """Exit status, nothing on stdout, exactly one `relais: ` line on stderr."""
        self.assertEqual(p.returncode, status, p.stderr)
        self.assertEqual(p.stdout, "")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("relais: "), lines[0])
        self.assertTrue(p.stderr.endswith("\n"))
        for w in words:
            self.assertIn(w, lines[0])

    def assert_nothing_written(self):
        self.assertEqual(os.listdir(self.tmp), [])

    def test_help_lists_every_command(self):
        for flag in ("--help", "-h"):
            with self.subTest(flag=flag):
                p = run([flag])
                self.assertEqual(p.returncode, 0)
                self.assertEqual(p.stderr, "")
                self.assertTrue(p.stdout.startswith("usage: relais COMMAND"), p.stdout)
                for cmd in COMMANDS + ["help"]:
                    self.assertRegex(p.stdout, r"(?m)^  %s\s+\S" % cmd)
                self.assertIn("--version", p.stdout)

    def test_help_alone_is_the_overview(self):
        p = run(["help"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout, run(["--help"]).stdout)

    def test_version_matches_the_project(self):
        expected = project_version()
        self.assertIsNotNone(expected, "no version in meson.build")
        for flag in ("--version", "-V"):
            with self.subTest(flag=flag):
                p = run([flag])
                self.assertEqual(p.returncode, 0)
                self.assertEqual(p.stderr, "")
                self.assertEqual(p.stdout, "relais %s\n" % expected)

    def test_help_command_shows_its_usage_and_options(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                p = run(["help", cmd])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "")
                self.assertTrue(p.stdout.startswith("usage: relais %s" % cmd), p.stdout)
                for opt in COMMAND_OPTIONS[cmd]:
                    self.assertIn(opt, p.stdout)
                # `relais CMD --help` and `-h` print the same text, and touch no home.
                for flag in ("--help", "-h"):
                    q = run([cmd, flag], cwd=self.tmp,
                            home=os.path.join(self.tmp, "home"))
                    self.assertEqual(q.returncode, 0, q.stderr)
                    self.assertEqual(q.stdout, p.stdout)
        self.assert_nothing_written()

    def test_help_wins_over_a_missing_argument(self):
        # A user asking for help gets it even with an incomplete command line.
        p = run(["pack", "--help"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("usage: relais pack"))

    def test_no_arguments_is_a_usage_error(self):
        p = run([])
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")
        self.assertIn("usage: relais COMMAND", p.stderr)

    def test_unknown_command(self):
        for args in (["frobnicate"], ["help", "frobnicate"], ["--bogus"], ["Pack"]):
            with self.subTest(args=args):
                p = run(args, cwd=self.tmp)
                self.assert_one_error_line(p, 2, "unknown command", args[-1])
        self.assert_nothing_written()

    def test_unknown_option_is_a_usage_error(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                p = run([cmd, "--bogus", "x"], cwd=self.tmp)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertRegex(p.stderr, r"(?m)^relais: .*\S")
                self.assertIn("relais help %s" % cmd, p.stderr)
        self.assert_nothing_written()

    def test_unknown_option_is_one_relais_line_naming_it(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                p = run([cmd, "--bogus", "x"], cwd=self.tmp)
                self.assert_one_error_line(p, 2, "--bogus")

    def test_option_without_its_value_is_one_relais_line_naming_it(self):
        p = run(["pack", "course", "--secret-key"], cwd=self.tmp)
        self.assert_one_error_line(p, 2, "secret-key")

    def test_missing_required_arguments(self):
        cases = [
            (["pack"], "course folder"),
            (["pack", "--check"], "course folder"),
            (["pack", "course"], "--secret-key"),
            (["pack", "a", "b", "--secret-key", "k.key"], "course folder"),
            (["keygen"], "--public-key"),
            (["keygen", "--public-key", "k.pub"], "--secret-key"),
            (["keygen", "--secret-key", "k.key", "--no-password"], "--public-key"),
            (["keygen", "-p", "k.pub", "-s", "k.key", "-W", "extra"], "extra"),
            (["verify"], "bundle"),
            (["verify", "b.relais"], "--public-key"),
            (["verify", "a.relais", "b.relais", "-p", "k.pub"], "bundle"),
            (["inspect"], "bundle"),
            (["inspect", "a.relais", "b.relais"], "bundle"),
        ]
        for args, word in cases:
            with self.subTest(args=args):
                p = run(args, cwd=self.tmp)
                self.assert_one_error_line(p, 2, word, "relais help %s" % args[0])
        # No key, bundle or temporary file was made by a refused command.
        self.assert_nothing_written()

    def test_bad_option_values(self):
        os.mkdir(os.path.join(self.tmp, "course"))
        cases = [
            (["pack", "--check", "--max-media-size", "12Q", "course"], "--max-media-size"),
            (["pack", "--check", "--max-media-size", "0", "course"], "--max-media-size"),
            (["pack", "--check", "--max-media-size", "-5", "course"], "--max-media-size"),
            (["pack", "--check", "-m", "1KX", "course"], "--max-media-size"),
            (["pack", "-s", "k.key", "-j", "0", "course"], "--threads"),
            (["pack", "-s", "k.key", "-j", "65", "course"], "--threads"),
        ]
        for args, word in cases:
            with self.subTest(args=args):
                p = run(args, cwd=self.tmp)
                self.assert_one_error_line(p, 2, word)
        self.assertEqual(os.listdir(self.tmp), ["course"])
        self.assertEqual(os.listdir(os.path.join(self.tmp, "course")), [])

    def test_usage_error_differs_from_failure(self):
        # A command line that parses but names a missing file fails with 1, not 2.
        p = run(["verify", "missing.relais", "-p", "missing.pub"], cwd=self.tmp)
        self.assert_one_error_line(p, 1, "missing.pub")
        p = run(["inspect", "missing.relais"], cwd=self.tmp)
        self.assert_one_error_line(p, 1, "missing.relais")


if __name__ == "__main__":
    testlib.main()
