#!/usr/bin/env python3
"""test_cli_keys.py: relais keygen, and keys and signatures shared with the real minisign."""
import base64
import os
import re
import stat
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import COURSE_JSON, MINISIGN, RELAIS, SOURCE_ROOT, make_course, png  # noqa: E402,F401


def run(args, cwd=None, password=None, stdin_text=None, exe=RELAIS):
    """Runs a program with no terminal; RELAIS_PASSWORD set only when password is given."""
    env = dict(os.environ)
    env.pop("RELAIS_PASSWORD", None)
    if password is not None:
        env["RELAIS_PASSWORD"] = password
    return subprocess.run([exe] + list(args), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, input=stdin_text if stdin_text is not None else "",
                          start_new_session=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def key_line(path):
    """The base64 line of a minisign key file, decoded."""
    with open(path, encoding="ascii") as f:
        lines = f.read().splitlines()
    return base64.b64decode(lines[1], validate=True)


def key_id(pub_path):
    """The key id as minisign prints it: the 8 key-number bytes, little-endian, in hex."""
    return key_line(pub_path)[2:10][::-1].hex().upper()


class Keys(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="relais-keys-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def assert_one_error_line(self, p, *words):
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("relais: "), lines[0])
        for w in words:
            self.assertIn(w, lines[0])

    def keygen(self, name, password=None):
        """relais keygen NAME.pub NAME.key; returns the key id it printed."""
        args = ["keygen", "--public-key", name + ".pub", "--secret-key", name + ".key"]
        if password is None:
            args.append("--no-password")
        p = run(args, cwd=self.tmp, password=password)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.fullmatch(r"key ([0-9A-F]{16}): public key in %s\.pub, secret key in %s\.key.*\n"
                         % (name, name), p.stdout)
        self.assertIsNotNone(m, p.stdout)
        return m.group(1)

    def pack(self, key, out, password=None):
        course = self.path("course")
        if not os.path.isdir(course):
            make_course(course)
        return run(["pack", "course", "--secret-key", key, "-o", out], cwd=self.tmp,
                   password=password)

    def extract_manifest(self, bundle):
        with zipfile.ZipFile(self.path(bundle)) as z:
            names = z.namelist()
            self.assertEqual(names[:2], ["manifest.json", "manifest.json.minisig"])
            for name in names[:2]:
                with open(self.path(name), "wb") as f:
                    f.write(z.read(name))

    def minisign_verify(self, pub, signed="manifest.json", sig="manifest.json.minisig"):
        return run(["-V", "-m", signed, "-x", sig, "-p", pub], cwd=self.tmp, exe=MINISIGN)

    # relais keygen

    def test_keygen_without_password_writes_minisign_files(self):
        kid = self.keygen("k")
        with open(self.path("k.pub"), encoding="ascii") as f:
            pub_lines = f.read().splitlines()
        self.assertEqual(len(pub_lines), 2)
        self.assertEqual(pub_lines[0], "untrusted comment: minisign public key %s" % kid)
        pub = key_line(self.path("k.pub"))
        self.assertEqual(len(pub), 42)
        self.assertEqual(pub[:2], b"Ed")
        self.assertEqual(key_id(self.path("k.pub")), kid)

        sec = key_line(self.path("k.key"))
        self.assertEqual(len(sec), 158)
        self.assertEqual(sec[:2], b"Ed")
        self.assertEqual(sec[2:4], b"\0\0", "an unencrypted key has no KDF")
        self.assertEqual(sec[4:6], b"B2")
        self.assertEqual(sec[54:62], pub[2:10], "same key number in both files")
        self.assertEqual(sec[94:126], pub[10:42], "the secret key holds its public half")
        # The secret key is readable by its owner only.
        self.assertEqual(stat.S_IMODE(os.stat(self.path("k.key")).st_mode) & 0o077, 0)

    def test_keygen_makes_a_new_key_each_time(self):
        self.assertNotEqual(self.keygen("a"), self.keygen("b"))
        self.assertNotEqual(key_line(self.path("a.key")), key_line(self.path("b.key")))

    def test_keygen_without_a_password_source_fails(self):
        # No --no-password, no RELAIS_PASSWORD and no terminal: nothing to encrypt with.
        p = run(["keygen", "-p", "k.pub", "-s", "k.key"], cwd=self.tmp)
        self.assert_one_error_line(p, "password")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_keygen_refuses_an_empty_password(self):
        p = run(["keygen", "-p", "k.pub", "-s", "k.key"], cwd=self.tmp, password="")
        self.assert_one_error_line(p, "password")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_keygen_never_overwrites(self):
        self.keygen("k")
        pub, sec = read(self.path("k.pub")), read(self.path("k.key"))
        cases = [
            (["-p", "k.pub", "-s", "new.key"], "k.pub"),
            (["-p", "new.pub", "-s", "k.key"], "k.key"),
            (["-p", "k.pub", "-s", "k.key"], "k."),
        ]
        for args, named in cases:
            with self.subTest(args=args):
                p = run(["keygen", "--no-password"] + args, cwd=self.tmp)
                self.assert_one_error_line(p, named, "exists")
                self.assertEqual(p.stdout, "")
                self.assertEqual(read(self.path("k.pub")), pub)
                self.assertEqual(read(self.path("k.key")), sec)
                self.assertEqual(sorted(os.listdir(self.tmp)), ["k.key", "k.pub"])
        # A file that merely has the name is protected too.
        with open(self.path("notes.txt"), "w") as f:
            f.write("my notes\n")
        p = run(["keygen", "-W", "-p", "x.pub", "-s", "notes.txt"], cwd=self.tmp)
        self.assert_one_error_line(p, "notes.txt")
        self.assertEqual(read(self.path("notes.txt")), b"my notes\n")
        self.assertFalse(os.path.exists(self.path("x.pub")))

    # Interoperability with minisign

    def test_minisign_key_without_password_packs(self):
        p = run(["-G", "-W", "-p", "m.pub", "-s", "m.key"], cwd=self.tmp, exe=MINISIGN)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.pack("m.key", "m.relais")
        self.assertEqual(p.returncode, 0, p.stderr)
        # minisign may print the id without leading zeros; relais always prints 16 digits.
        kid = key_id(self.path("m.pub"))
        self.assertIn("signed by key %s" % kid, p.stdout)
        p = run(["verify", "m.relais", "-p", "m.pub"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(kid, p.stdout)
        self.extract_manifest("m.relais")
        p = self.minisign_verify("m.pub")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_minisign_key_with_password_packs_only_with_that_password(self):
        # Three scrypt derivations: generate, pack, pack with a wrong password.
        p = run(["-G", "-p", "p.pub", "-s", "p.key"], cwd=self.tmp, exe=MINISIGN,
                stdin_text="pw\npw\n")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(key_line(self.path("p.key"))[2:4], b"Sc", "minisign encrypted it")

        # No password at all and no terminal: refused before any work.
        p = self.pack("p.key", "none.relais")
        self.assert_one_error_line(p, "p.key", "password")
        self.assertFalse(os.path.exists(self.path("none.relais")))

        p = self.pack("p.key", "p.relais", password="wrong")
        self.assert_one_error_line(p, "p.key", "wrong password")
        self.assertEqual(p.stdout, "")

        p = self.pack("p.key", "p.relais", password="pw")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("signed by key %s" % key_id(self.path("p.pub")), p.stdout)
        p = run(["verify", "p.relais", "-p", "p.pub"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        # Nothing but the keys, the course and the one good bundle: no
        # wrong-password bundle, no temporary file.
        self.assertEqual(sorted(os.listdir(self.tmp)), ["course", "p.key", "p.pub", "p.relais"])

    def test_minisign_verifies_the_bundle_signature(self):
        kid = self.keygen("k")
        p = self.pack("k.key", "b.relais")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.extract_manifest("b.relais")
        p = self.minisign_verify("k.pub")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Trusted comment: relais mini-course 3", p.stdout)
        # The same check through unzip -p gives the same bytes.
        for name in ("manifest.json", "manifest.json.minisig"):
            u = subprocess.run(["unzip", "-p", self.path("b.relais"), name],
                               capture_output=True, timeout=60)
            self.assertEqual(u.returncode, 0)
            self.assertEqual(u.stdout, read(self.path(name)))
        with open(self.path("manifest.json.minisig"), encoding="ascii") as f:
            sig = base64.b64decode(f.read().splitlines()[1])
        self.assertEqual(sig[2:10][::-1].hex().upper(), kid)

        # Controls: minisign refuses another key and a changed manifest.
        self.keygen("other")
        p = self.minisign_verify("other.pub")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("key id", p.stdout + p.stderr)
        data = bytearray(read(self.path("manifest.json")))
        data[data.index(b'"version":3')+10] = ord("4")
        with open(self.path("manifest.json"), "wb") as f:
            f.write(data)
        p = self.minisign_verify("k.pub")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Signature verification failed", p.stdout + p.stderr)

    def test_relais_key_with_password_signs_with_minisign_and_packs(self):
        # Three scrypt derivations: keygen, minisign -S, pack.
        kid = self.keygen("r", password="s3cret words")
        sec = key_line(self.path("r.key"))
        self.assertEqual(sec[2:4], b"Sc")
        self.assertEqual(sec[4:6], b"B2")
        with open(self.path("note.txt"), "w") as f:
            f.write("signed with a relais key\n")
        p = run(["-S", "-s", "r.key", "-m", "note.txt"], cwd=self.tmp, exe=MINISIGN,
                stdin_text="s3cret words\n")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = self.minisign_verify("r.pub", signed="note.txt", sig="note.txt.minisig")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Signature and comment signature verified", p.stdout)
        with open(self.path("note.txt"), "a") as f:
            f.write("tampered\n")
        p = self.minisign_verify("r.pub", signed="note.txt", sig="note.txt.minisig")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Signature verification failed", p.stdout + p.stderr)

        p = self.pack("r.key", "r.relais", password="s3cret words")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["verify", "r.relais", "-p", "r.pub"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(kid, p.stdout)

    def test_not_a_key(self):
        make_course(self.path("course"))
        with open(self.path("junk.key"), "w") as f:
            f.write("untrusted comment: nothing\nnot base64 at all\n")
        p = self.pack("junk.key", "j.relais")
        self.assert_one_error_line(p, "junk.key")
        p = self.pack("absent.key", "j.relais")
        self.assert_one_error_line(p, "absent.key")
        self.assertFalse(os.path.exists(self.path("j.relais")))
        # A public key is not a secret key.
        self.keygen("k")
        p = self.pack("k.pub", "j.relais")
        self.assert_one_error_line(p, "k.pub")
        self.assertFalse(os.path.exists(self.path("j.relais")))


if __name__ == "__main__":
    testlib.main()
