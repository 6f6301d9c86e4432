#!/usr/bin/env python3
"""test_cli_profile.py: relais profile: learners who share a laptop, their PINs, removing one."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS  # noqa: E402


class Profiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.env = dict(os.environ, RELAIS_HOME=self.tmp.name + "/home")
        self.env.pop("RELAIS_PIN", None)

    def tearDown(self):
        self.tmp.cleanup()

    def relais(self, *args, pin=None):
        env = dict(self.env)
        if pin is not None:
            env["RELAIS_PIN"] = pin
        return subprocess.run([RELAIS, *args], env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def add(self, name, email, *more, pin=None):
        r = self.relais("profile", "add", "--name", name, "--email", email, *more, pin=pin)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def test_pins_are_set_listed_and_removed(self):
        self.assertIn("with a PIN", self.add("Awa Diallo", "awa@example.org", "--pin",
                                             pin="2468").stdout)
        self.add("Ben Okoro", "ben@example.org")
        listing = self.relais("profile", "list").stdout
        self.assertIn("Awa Diallo <awa@example.org>  [PIN]", listing)
        self.assertRegex(listing, r"Ben Okoro <ben@example.org>\n")
        r = self.relais("profile", "pin", "ben@example.org", pin="12")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "relais: a PIN has 4 to 64 characters\n")
        r = self.relais("profile", "pin", "BEN@example.org", pin="9753")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Ben Okoro <ben@example.org>  [PIN]", self.relais("profile", "list").stdout)
        r = self.relais("profile", "pin", "awa@example.org", "--none")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(self.relais("profile", "list").stdout, r"Awa Diallo <awa@example.org>\n")

    def test_a_pin_needs_a_terminal_or_relais_pin(self):
        r = self.relais("profile", "add", "--name", "Awa", "--email", "awa@example.org", "--pin")
        self.assertEqual(r.returncode, 1)
        self.assertIn("give the PIN in RELAIS_PIN or type it at a terminal", r.stderr)
        # All or nothing: the learner was not added without the PIN asked for.
        self.assertIn("no learners yet", self.relais("profile", "list").stdout)

    def test_a_trainer_needs_a_pin(self):
        # Refused without one (no terminal, no RELAIS_PIN), and nothing is added.
        r = self.relais("profile", "add", "--trainer", "--name", "Tessa Mbaye", "--email",
                        "tessa@example.org")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "relais: a trainer needs a PIN: give it in RELAIS_PIN or "
                                   "type it at a terminal\n")
        self.assertIn("no learners yet", self.relais("profile", "list").stdout)
        r = self.relais("profile", "add", "--trainer", "--name", "Tessa Mbaye", "--email",
                        "tessa@example.org", pin="12")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "relais: a PIN has 4 to 64 characters\n")
        self.assertIn("no learners yet", self.relais("profile", "list").stdout)
        r = self.add("Tessa Mbaye", "Tessa@Example.org", "--trainer", "--org", "ENA",
                     pin="7531")
        self.assertRegex(r.stdout, r"^added trainer \d+: Tessa Mbaye <Tessa@Example.org>, "
                                   r"with a PIN\n$")
        self.assertIn("Tessa Mbaye <tessa@example.org>, ENA  [PIN]  [trainer]",
                      self.relais("profile", "list").stdout)
        # The PIN is kept as an Argon2id hash, as learners' PINs are.
        import sqlite3
        db = sqlite3.connect(os.path.join(self.env["RELAIS_HOME"], "relais.db"))
        self.assertTrue(db.execute("SELECT pin_hash FROM profile").fetchone()[0]
                        .startswith("$argon2id$"))
        db.close()
        # A trainer's PIN can change but not go.
        r = self.relais("profile", "pin", "tessa@example.org", "--none")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "relais: a trainer's PIN cannot be removed\n")
        self.assertEqual(self.relais("profile", "pin", "tessa@example.org",
                                     pin="8642").returncode, 0)
        self.assertIn("[PIN]  [trainer]", self.relais("profile", "list").stdout)
        self.assertEqual(self.relais("profile", "list", "--trainer").returncode, 2)

    def test_remove(self):
        self.add("Awa Diallo", "awa@example.org")
        self.add("Ben Okoro", "ben@example.org")
        r = self.relais("profile", "remove", "awa@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Awa", self.relais("profile", "list").stdout)
        r = self.relais("profile", "remove", "awa@example.org")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "relais: no learner awa@example.org on this laptop "
                                   "(see relais profile list)\n")
        self.assertEqual(self.relais("profile", "remove").returncode, 2)
        self.assertEqual(self.relais("profile", "pin", "ben@example.org", "--pin").returncode, 2)


if __name__ == "__main__":
    testlib.main()
