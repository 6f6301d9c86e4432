#!/usr/bin/env python3
"""test_cli_home.py: the laptop's home folder keeps its files to its own account."""
import os
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS, SOURCE_ROOT  # noqa: E402


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class HomeFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = os.path.join(self.tmp.name, "home")
        self.env = dict(os.environ, RELAIS_HOME=self.home, RELAIS_PASSWORD="")
        self.old_umask = os.umask(0o022)

    def tearDown(self):
        os.umask(self.old_umask)
        self.tmp.cleanup()

    def relais(self, *args):
        return subprocess.run([RELAIS, *args], env=self.env, capture_output=True, text=True,
                              timeout=60)

    def test_database_is_private_in_a_folder_that_already_existed(self):
        os.mkdir(self.home, 0o755)  # made by hand, open to others
        r = self.relais("profile", "add", "--name", "Awa Diallo", "--email", "awa@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(mode(os.path.join(self.home, "relais.db")), 0o600)
        # SQLite gives the write-ahead log the database's mode.
        wal = os.path.join(self.home, "relais.db-wal")
        if os.path.exists(wal):
            self.assertEqual(mode(wal), 0o600)
        self.assertIn("relais: warning: %s is open to other accounts (mode 0755)" % self.home,
                      r.stderr)
        self.assertIn("chmod 700", r.stderr)

    def test_a_database_made_readable_before_is_tightened(self):
        os.mkdir(self.home, 0o700)
        self.assertEqual(self.relais("profile", "add", "--name", "Awa Diallo", "--email", "awa@example.org").returncode, 0)
        db = os.path.join(self.home, "relais.db")
        os.chmod(db, 0o644)
        r = self.relais("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(mode(db), 0o600)
        self.assertNotIn("warning", r.stderr)  # the folder itself is private

    def test_a_new_home_is_private_without_warning(self):
        r = self.relais("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(mode(self.home), 0o700)
        self.assertEqual(mode(os.path.join(self.home, "library")), 0o700)
        self.assertEqual(mode(os.path.join(self.home, "relais.db")), 0o600)
        self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    testlib.main()
