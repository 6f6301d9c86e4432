#!/usr/bin/env python3
"""test_cli_verify.py: relais verify and inspect on good, damaged, forged and foreign bundles."""
import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import COURSE_JSON, MINISIGN, RELAIS, SOURCE_ROOT, make_course, png  # noqa: E402,F401


def run(args, cwd=None):
    """Runs relais; output is kept as bytes so that any byte it prints can be checked."""
    env = dict(os.environ)
    env.pop("RELAIS_PASSWORD", None)
    return subprocess.run([RELAIS] + list(args), cwd=cwd, env=env, capture_output=True,
                          timeout=300, stdin=subprocess.DEVNULL, start_new_session=True)


def text(b):
    return b.decode("utf-8", errors="replace")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def b64_line(path):
    with open(path, encoding="ascii") as f:
        return base64.b64decode(f.read().splitlines()[1], validate=True)


def layout(data):
    """Where things are in a bundle: entries (name, header, data start, data length,
    method), the central directory's offset and the end record's offset."""
    eocd = data.rindex(b"PK\x05\x06")
    n, cd_size, cd_off = struct.unpack("<HII", data[eocd + 10:eocd + 20])
    entries, p = [], cd_off
    for _ in range(n):
        (method, csize, name_len, extra_len, comment_len, local) = struct.unpack(
            "<10xH8xI4xHHH8xI", data[p:p + 46])
        name = data[p + 46:p + 46 + name_len].decode("utf-8")
        ln, le = struct.unpack("<HH", data[local + 26:local + 30])
        entries.append((name, local, local + 30 + ln + le, csize, method))
        p += 46 + name_len + extra_len + comment_len
    return entries, cd_off, eocd


class Verify(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="relais-verify-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name
        make_course(self.path("course"))
        self.kid = self.keygen("k")
        p = run(["pack", "course", "-s", "k.key", "-o", "good.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.good = read(self.path("good.relais"))
        with zipfile.ZipFile(self.path("good.relais")) as z:
            self.names = z.namelist()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def keygen(self, name):
        p = run(["keygen", "-W", "-p", name + ".pub", "-s", name + ".key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        return re.match(r"key ([0-9A-F]{16}):", text(p.stdout)).group(1)

    def assert_refused(self, p, *words):
        """Exit 1, nothing on stdout, one `relais: ` line; returns that line."""
        err = text(p.stderr)
        self.assertEqual(p.returncode, 1, err)
        self.assertEqual(p.stdout, b"")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("relais: "), lines[0])
        self.assertGreater(len(lines[0]), len("relais: ") + 8)
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]

    def verify(self, name, pub="k.pub"):
        return run(["verify", name, "--public-key", pub], cwd=self.tmp)

    # Good bundles

    def test_verify_good_bundle(self):
        for flag in ("--public-key", "-p"):
            p = run(["verify", "good.relais", flag, "k.pub"], cwd=self.tmp)
            self.assertEqual(p.returncode, 0, text(p.stderr))
            self.assertEqual(p.stderr, b"")
            out = text(p.stdout)
            self.assertEqual(len(out.splitlines()), 1, out)
            self.assertTrue(out.startswith("good.relais: "), out)
            self.assertRegex(out, r"\bmini-course\b")
            self.assertRegex(out, r"\bversion 3\b")
            self.assertRegex(out, r"\b%d entries\b" % len(self.names))
            self.assertRegex(out, r"\b%s\b" % self.kid)
        # verify only reads.
        self.assertEqual(read(self.path("good.relais")), self.good)

    def test_lesson_markup_the_reader_removes_is_named(self):
        # Signed by the publisher's own key, but not made by relais pack.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "reader"))
        import readerlib
        os.remove(self.path("k.key"))
        os.remove(self.path("k.pub"))
        p = run(["keygen", "--no-password", "-p", "k.pub", "-s", "k.key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, text(p.stderr))
        self.assertEqual(run(["pack", "course", "-s", "k.key", "-o", "good.relais"],
                             cwd=self.tmp).returncode, 0)
        readerlib.resign_bundle(self.path("good.relais"), self.path("bad.relais"),
                                self.path("k.key"), {"lessons/02-next.html":
                                                     b"<p>x</p><form action=/who/choose><p>y"})
        p = self.verify("bad.relais")
        err = text(p.stderr)
        self.assertEqual(p.returncode, 1, err)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(err, "relais: bad.relais: lesson lessons/02-next.html holds <form>, "
                              "which the reader removes\n")
        # The same bundle with the lesson left alone passes: only the markup is at fault.
        readerlib.resign_bundle(self.path("good.relais"), self.path("same.relais"),
                                self.path("k.key"), {})
        self.assertEqual(self.verify("same.relais").returncode, 0)

    def test_verify_good_sample_bundles(self):
        for src in sorted(os.listdir(os.path.join(SOURCE_ROOT, "courses"))):
            full = os.path.join(SOURCE_ROOT, "courses", src)
            if not os.path.exists(os.path.join(full, "course.json")):
                continue
            with self.subTest(course=src):
                p = run(["pack", full, "-s", "k.key", "-o", "s.relais"], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, text(p.stderr))
                p = self.verify("s.relais")
                self.assertEqual(p.returncode, 0, text(p.stderr))
                self.assertIn(self.kid, text(p.stdout))

    # Damaged bundles

    def flip_positions(self):
        """About 30 byte offsets over the whole file: in each local header, the
        manifest, the signature, the lessons' data, the central directory and the
        end record, plus evenly spaced ones."""
        data = self.good
        entries, cd_off, eocd = layout(data)
        pos = set()
        for name, local, start, size, method in entries:
            pos.add(local + 14)                 # the CRC-32 in the local header
            pos.add(start + size // 2)          # the middle of the data
            if name.startswith(("manifest", "lessons/")):
                pos.update({start, start + size - 1})
        pos.update({cd_off, cd_off + 16, cd_off + 50, (cd_off + eocd) // 2, eocd - 1})
        pos.update({eocd, eocd + 10, eocd + 16, len(data) - 1})
        pos.update(len(data) * k // 12 for k in range(12))
        return sorted(pos)

    def test_flipped_bytes_are_refused(self):
        positions = self.flip_positions()
        self.assertGreaterEqual(len(positions), 30)
        entries, cd_off, _ = layout(self.good)
        manifest, sig = entries[0], entries[1]
        self.assertEqual((manifest[0], sig[0]), ("manifest.json", "manifest.json.minisig"))
        # The spread really covers the manifest, the signature and the directory.
        self.assertTrue(any(manifest[2] <= p < manifest[2] + manifest[3] for p in positions))
        self.assertTrue(any(sig[2] <= p < sig[2] + sig[3] for p in positions))
        self.assertTrue(any(p >= cd_off for p in positions))
        for pos in positions:
            with self.subTest(offset=pos):
                bad = bytearray(self.good)
                bad[pos] ^= 0xFF
                write(self.path("bad.relais"), bytes(bad))
                line = self.assert_refused(self.verify("bad.relais"))
                # The message names the bundle or the entry at fault.
                self.assertTrue("bad.relais" in line or any(n in line for n in self.names), line)

    def test_every_changed_bit_of_compressed_data_is_refused(self):
        entries, _, _ = layout(self.good)
        accepted = []
        for name, local, start, size, method in entries:
            if method != 8:
                continue
            for bit in (0x80, 0x40, 0x20, 0x10):
                bad = bytearray(self.good)
                bad[start + size - 1] ^= bit
                write(self.path("bad.relais"), bytes(bad))
                if self.verify("bad.relais").returncode == 0:
                    accepted.append((name, hex(bit)))
        self.assertEqual(accepted, [], "bundles that differ from the signed one pass verify")

    def test_truncated_bundles_are_refused(self):
        n = len(self.good)
        _, cd_off, eocd = layout(self.good)
        for length in sorted({1, 4, 30, 100, n // 3, n // 2, cd_off, cd_off + 20, eocd,
                              n - 10, n - 1}):
            with self.subTest(length=length):
                write(self.path("cut.relais"), self.good[:length])
                self.assert_refused(self.verify("cut.relais"), "cut.relais")

    def test_extra_bytes_are_refused(self):
        for name, data in (("tail.relais", self.good + b"\0"),
                           ("head.relais", b"MZ" + self.good)):
            with self.subTest(name=name):
                write(self.path(name), data)
                self.assert_refused(self.verify(name), name)

    def test_not_a_zip(self):
        with open(self.path("notes.relais"), "w") as f:
            f.write("This is a text file, not a bundle.\n" * 20)
        self.assert_refused(self.verify("notes.relais"), "notes.relais", "ZIP")

    def test_empty_file(self):
        write(self.path("empty.relais"), b"")
        self.assert_refused(self.verify("empty.relais"), "empty.relais")

    def test_missing_file(self):
        line = self.assert_refused(self.verify("absent.relais"), "absent.relais")
        self.assertRegex(line.lower(), "no such file|does not exist|not found")

    def test_a_plain_zip_is_not_a_bundle(self):
        with zipfile.ZipFile(self.path("plain.relais"), "w") as z:
            z.writestr("lessons/01-intro.html", "<p>hello</p>")
        self.assert_refused(self.verify("plain.relais"), "plain.relais")

    def test_bad_public_key(self):
        self.assert_refused(self.verify("good.relais", pub="absent.pub"), "absent.pub")
        with open(self.path("junk.pub"), "w") as f:
            f.write("untrusted comment: nothing\nAAAA\n")
        self.assert_refused(self.verify("good.relais", pub="junk.pub"), "junk.pub")
        # A secret key is not a public key.
        self.assert_refused(self.verify("good.relais", pub="k.key"), "k.key")

    # Foreign and forged signatures

    def test_another_publishers_key(self):
        other = self.keygen("other")
        line = self.assert_refused(self.verify("good.relais", pub="other.pub"), "another key")
        self.assertIn(self.kid, line)
        self.assertIn(other, line)
        # And a bundle by the other publisher does not pass for ours.
        p = run(["pack", "course", "-s", "other.key", "-o", "theirs.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_refused(self.verify("theirs.relais"), "another key")

    def test_forged_signature_under_our_key_id(self):
        # An attacker's key relabelled with our key id: the id matches, the signature must not.
        self.keygen("evil")
        sec = bytearray(b64_line(self.path("evil.key")))
        sec[54:62] = b64_line(self.path("k.pub"))[2:10]
        sec[126:158] = hashlib.blake2b(bytes(sec[0:2] + sec[54:126]), digest_size=32).digest()
        with open(self.path("forged.key"), "w") as f:
            f.write("untrusted comment: minisign encrypted secret key\n%s\n"
                    % base64.b64encode(bytes(sec)).decode())
        p = run(["pack", "course", "-s", "forged.key", "-o", "forged.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(self.kid, text(p.stdout))
        self.assert_refused(self.verify("forged.relais"), "signature")
        # minisign agrees.
        with zipfile.ZipFile(self.path("forged.relais")) as z:
            write(self.path("manifest.json"), z.read("manifest.json"))
            write(self.path("manifest.json.minisig"), z.read("manifest.json.minisig"))
        m = subprocess.run([MINISIGN, "-V", "-m", "manifest.json", "-x", "manifest.json.minisig",
                            "-p", "k.pub"], cwd=self.tmp, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(m.returncode, 1, m.stdout + m.stderr)
        self.assertIn("Signature verification failed", m.stdout + m.stderr)

    def test_messages_carry_no_control_bytes_from_the_bundle(self):
        name = "lessons/01-intro.html".encode()
        for byte in (0x1B, 0x7F, 0x9B, 0xFF):
            with self.subTest(byte=hex(byte)):
                bad = bytearray(self.good)
                for at in (self.good.index(name), self.good.rindex(name)):
                    bad[at + 3] = byte
                write(self.path("bad.relais"), bytes(bad))
                for args in (["verify", "bad.relais", "-p", "k.pub"], ["inspect", "bad.relais"]):
                    p = run(args, cwd=self.tmp)
                    self.assertEqual(p.returncode, 1)
                    try:
                        err = p.stderr.decode("utf-8")
                    except UnicodeDecodeError:
                        self.fail("message is not UTF-8 text: %r" % p.stderr)
                    self.assertFalse(re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", err),
                                     repr(err))

    # inspect

    def test_inspect_human(self):
        p = run(["inspect", "good.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, text(p.stderr))
        self.assertEqual(p.stderr, b"")
        out = text(p.stdout)
        self.assertRegex(out, r"(?m)^course:\s+mini-course$")
        self.assertRegex(out, r"(?m)^version:\s+3$")
        self.assertRegex(out, r"(?m)^title:\s+A small course$")
        self.assertRegex(out, r"(?m)^language:\s+en$")
        self.assertRegex(out, r"(?m)^signed by:.*\b%s\b" % self.kid)
        units = re.findall(r"(?m)^\s+\d+\.\s+(lesson|quiz)\s+(\S+)\s+(.*)$", out)
        self.assertEqual([(k, i) for k, i, _ in units],
                         [("lesson", "intro"), ("lesson", "next"), ("quiz", "check")])
        self.assertIn("Next steps", units[1][2])
        self.assertIn("50%", units[2][2])
        for name in self.names[2:]:
            self.assertRegex(out, r"(?m)^\s+%s\s" % re.escape(name))

    def test_inspect_json(self):
        p = run(["inspect", "--json", "good.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, text(p.stderr))
        m = json.loads(p.stdout)
        self.assertEqual(m["id"], "mini-course")
        self.assertEqual(m["version"], 3)
        self.assertEqual([(u["id"], u["type"]) for u in m["units"]],
                         [("intro", "lesson"), ("next", "lesson"), ("check", "quiz")])
        self.assertEqual(m["units"][2]["pass_percent"], 50)
        self.assertEqual([e["path"] for e in m["entries"]], self.names[2:])
        with zipfile.ZipFile(self.path("good.relais")) as z:
            for e in m["entries"]:
                data = z.read(e["path"])
                self.assertEqual(e["size"], len(data))
                self.assertEqual(e["sha256"], hashlib.sha256(data).hexdigest())
            # The JSON is the manifest that was signed.
            self.assertEqual(m, json.loads(z.read("manifest.json")))

    def test_inspect_does_not_need_the_key(self):
        other = self.keygen("other")
        p = run(["pack", "course", "-s", "other.key", "-o", "theirs.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["inspect", "theirs.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, text(p.stderr))
        self.assertRegex(text(p.stdout), r"(?m)^signed by:.*\b%s\b" % other)
        p = run(["inspect", "--json", "theirs.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(json.loads(p.stdout)["id"], "mini-course")

    def test_inspect_refuses_what_is_not_a_bundle(self):
        entries, cd_off, _ = layout(self.good)
        manifest_mid = entries[0][2] + entries[0][3] // 2
        with open(self.path("notes.relais"), "w") as f:
            f.write("not a bundle\n")
        write(self.path("empty.relais"), b"")
        write(self.path("cut.relais"), self.good[:len(self.good) // 2])
        bad = bytearray(self.good)
        bad[manifest_mid] ^= 0xFF
        write(self.path("badmanifest.relais"), bytes(bad))
        bad = bytearray(self.good)
        bad[cd_off] ^= 0xFF
        write(self.path("baddir.relais"), bytes(bad))
        for name in ("notes.relais", "empty.relais", "cut.relais", "badmanifest.relais",
                     "baddir.relais", "absent.relais"):
            for args in (["inspect", name], ["inspect", "--json", name]):
                with self.subTest(args=args):
                    self.assert_refused(run(args, cwd=self.tmp), name)


if __name__ == "__main__":
    testlib.main()
