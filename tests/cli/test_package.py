#!/usr/bin/env python3
"""test_package.py: relais pack on SCORM 1.2, SCORM 2004 and cmi5 packages, and --check on broken ones."""
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS, SOURCE_ROOT, make_course  # noqa: E402

PACKAGES = os.path.join(SOURCE_ROOT, "tests", "data", "packages")


def run(args, cwd=None):
    env = dict(os.environ)
    env.pop("RELAIS_PASSWORD", None)
    return subprocess.run([RELAIS] + list(args), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL,
                          start_new_session=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def package_files(folder):
    """Every file of a package folder: {relative path: bytes}."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            full = os.path.join(root, name)
            out[os.path.relpath(full, folder).replace(os.sep, "/")] = read(full)
    return out


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors (flag bit 3)."""

    def __init__(self, f):
        self.f = f

    def writable(self):
        return True

    def write(self, b):
        return self.f.write(b)


def make_zip(folder, out, how="plain", extra=None, drop=()):
    """Zips a package folder: plain, with data descriptors, or ZIP64; extra adds raw entries."""
    files = {k: v for k, v in package_files(folder).items() if k not in drop}
    files.update(extra or {})
    with open(out, "wb") as raw:
        stream = Unseekable(raw) if how == "descriptors" else raw
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as z:
            if how == "odd":
                # What Windows tools write: a directory entry, "./", backslashes.
                z.writestr("shared/", b"")
            for name in sorted(files):
                arc = name
                if how == "odd" and "/" in name:
                    arc = ".\\" + name.replace("/", "\\")
                if how == "zip64":
                    info = zipfile.ZipInfo(arc)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with z.open(info, "w", force_zip64=True) as w:
                        w.write(files[name])
                else:
                    z.writestr(zipfile.ZipInfo(arc), files[name], zipfile.ZIP_DEFLATED)
    return out


def line_of(text, needle):
    """1-based line of the first line holding needle."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError("%r not in the text" % needle)


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="relais-package-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def keygen(self):
        p = run(["keygen", "-W", "-p", "k.pub", "-s", "k.key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)

    def copy(self, name):
        dst = self.path(name)
        shutil.copytree(os.path.join(PACKAGES, name), dst)
        return dst

    def edit(self, folder, rel, old, new):
        """Replaces old by new in a file of a copied package; returns the new text."""
        full = os.path.join(folder, rel)
        with open(full, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        text = text.replace(old, new, 1)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
        return text

    def manifest(self, bundle):
        with zipfile.ZipFile(bundle) as z:
            return json.loads(z.read("manifest.json"))

    def check_fails(self, target, expected, code=1):
        """pack --check and pack both fail with expected (a regex) on stderr; nothing written."""
        before = set(os.listdir(self.tmp))
        p = run(["pack", "--check", target], cwd=self.tmp)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        self.assertRegex(p.stderr, expected)
        self.assertEqual(p.stdout, "")
        if os.path.exists(self.path("k.key")):
            p = run(["pack", target, "-s", "k.key", "-o", "out.relais"], cwd=self.tmp)
            self.assertEqual(p.returncode, code, p.stderr)
            self.assertRegex(p.stderr, expected)
        self.assertEqual(set(os.listdir(self.tmp)), before, "something was written")
        return p.stderr


class PackEachKind(Base):
    """Each real package packs, verifies, and its launch information is in the manifest."""

    def pack(self, target, *flags):
        p = run(["pack", target, "-s", "k.key", "-o", "b.relais"] + list(flags), cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        v = run(["verify", "b.relais", "-p", "k.pub"], cwd=self.tmp)
        self.assertEqual(v.returncode, 0, v.stderr)
        return p

    def check_files(self, folder, manifest, unit_id):
        """Every file of the package is an entry under packages/<unit>/, hashed."""
        files = package_files(folder)
        entries = {e["path"]: e for e in manifest["entries"]}
        prefix = "packages/%s/" % unit_id
        self.assertEqual(set(entries), {prefix + k for k in files})
        with zipfile.ZipFile(self.path("b.relais")) as z:
            for name, data in files.items():
                e = entries[prefix + name]
                self.assertEqual(e["size"], len(data))
                self.assertEqual(e["sha256"], hashlib.sha256(data).hexdigest())
                self.assertEqual(z.read(prefix + name), data)

    def test_scorm12(self):
        self.keygen()
        src = os.path.join(PACKAGES, "scorm12-protocol")
        self.pack(src)
        m = self.manifest(self.path("b.relais"))
        # id, title and language come from the manifest.
        self.assertEqual((m["id"], m["title"], m["language"], m["version"]),
                         ("org.example.reception-protocol", "Protocol at a reception", "en", 1))
        self.assertEqual(len(m["units"]), 1)
        u = m["units"][0]
        self.assertEqual((u["type"], u["path"]), ("package", "packages/" + m["id"]))
        pkg = u["package"]
        self.assertEqual((pkg["standard"], pkg["version"], pkg["id"]),
                         ("scorm-1.2", "1.2", "org.example.reception-protocol"))
        self.assertEqual(pkg["organizations"][0]["items"], [{
            "id": "ITEM-CHECK", "title": "Check your protocol", "level": 0,
            "launch": "packages/org.example.reception-protocol/check.html",
            "parameters": "?lang=en", "scorm_type": "sco", "mastery_score": 80,
            "data_from_lms": "attempts=3"}])
        self.check_files(src, m, u["id"])
        i = run(["inspect", "b.relais"], cwd=self.tmp)
        self.assertEqual(i.returncode, 0, i.stderr)
        self.assertIn("package org.example.reception-protocol Protocol at a reception "
                      "(scorm-1.2, version 1.2)", i.stdout)
        self.assertIn("sco   ITEM-CHECK: Check your protocol", i.stdout)
        self.assertIn("launch packages/org.example.reception-protocol/check.html?lang=en",
                      i.stdout)
        self.assertIn("masteryscore 80", i.stdout)

    def test_scorm2004_needs_a_language_and_takes_flags(self):
        self.keygen()
        src = os.path.join(PACKAGES, "scorm2004-two")
        # Its manifest names no language: the trainer is told to give one.
        p = run(["pack", src, "-s", "k.key", "-o", "b.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn("the manifest names no language; give one with --language", p.stderr)
        self.assertFalse(os.path.exists(self.path("b.relais")))
        self.pack(src, "--language", "en-GB", "--id", "consular", "--title", "Consular work",
                  "--course-version", "7")
        m = self.manifest(self.path("b.relais"))
        self.assertEqual((m["id"], m["title"], m["language"], m["version"]),
                         ("consular", "Consular work", "en-GB", 7))
        pkg = m["units"][0]["package"]
        self.assertEqual((pkg["standard"], pkg["version"]), ("scorm-2004", "2004 4th Edition"))
        org = pkg["organizations"][0]
        self.assertEqual((org["id"], org["title"]), ("ORG-CONSULAR", "Consular basics"))
        self.assertEqual(org["items"], [
            {"id": "ITEM-READ", "title": "Reading: issuing an emergency passport", "level": 0,
             "launch": "packages/consular/reading/index.html", "scorm_type": "sco",
             "completion_threshold": 0.75},
            {"id": "ITEM-TEST", "title": "Test: emergency passports", "level": 0,
             "launch": "packages/consular/test/index.html", "parameters": "?round=1",
             "scorm_type": "sco", "mastery_score": 0.6}])
        self.check_files(src, m, "consular")
        i = run(["inspect", "b.relais"], cwd=self.tmp)
        self.assertIn("organization ORG-CONSULAR (played): Consular basics", i.stdout)
        self.assertIn("launch packages/consular/test/index.html?round=1", i.stdout)
        self.assertIn("scaled passing score 0.6", i.stdout)
        self.assertIn("completion threshold 0.75", i.stdout)

    def test_cmi5(self):
        self.keygen()
        src = os.path.join(PACKAGES, "cmi5-two")
        self.pack(src)
        m = self.manifest(self.path("b.relais"))
        self.assertEqual((m["id"], m["title"], m["language"]),
                         ("visa-interview", "L'entretien de visa", "fr"))
        pkg = m["units"][0]["package"]
        self.assertEqual((pkg["standard"], pkg["id"]),
                         ("cmi5", "https://academy.example.org/courses/visa-interview"))
        items = pkg["organizations"][0]["items"]
        base = "https://academy.example.org/courses/visa-interview/"
        self.assertEqual(items[0], {
            "id": base + "aus/prepare", "title": "Préparer l'entretien", "level": 0,
            "launch": "packages/visa-interview/au1/index.html",
            "launch_method": "AnyWindow", "move_on": "Completed"})
        self.assertEqual(items[1], {"id": base + "blocks/assess", "title": "Évaluation",
                                    "level": 0})
        self.assertEqual(items[2], {
            "id": base + "aus/quiz", "title": "Quiz de l'entretien", "level": 1,
            "launch": "packages/visa-interview/au2/index.html", "parameters": "?questions=5",
            "launch_method": "OwnWindow", "move_on": "Passed", "mastery_score": 0.8,
            "launch_parameters": '{"shuffle":false}'})
        self.check_files(src, m, "visa-interview")
        i = run(["inspect", "b.relais"], cwd=self.tmp)
        self.assertIn("moveOn Passed, launchMethod OwnWindow, masteryScore 0.8", i.stdout)
        self.assertIn('launchParameters {"shuffle":false}', i.stdout)

    def test_zips_as_tools_write_them_give_the_folders_bundle(self):
        """Plain, data-descriptor, ZIP64 and odd-name zips: the same bytes as the folder."""
        self.keygen()
        for name in ("scorm12-protocol", "scorm2004-two", "cmi5-two"):
            src = os.path.join(PACKAGES, name)
            self.pack(src, "--language", "en")
            want = read(self.path("b.relais"))
            for how in ("plain", "descriptors", "zip64", "odd"):
                with self.subTest(package=name, zip=how):
                    z = make_zip(src, self.path(name + "-" + how + ".zip"), how)
                    with zipfile.ZipFile(z) as check:
                        info = check.infolist()
                        if how == "descriptors":
                            self.assertTrue(all(i.flag_bits & 0x08 for i in info))
                        if how == "zip64":
                            # Local headers need version 4.5 and carry a ZIP64 extra field.
                            raw = read(z)
                            self.assertEqual(raw.count(b"PK\x03\x04\x2d\x00"), len(info))
                    self.pack(z, "--language", "en")
                    self.assertEqual(read(self.path("b.relais")), want)

    def test_package_unit_in_a_course(self):
        self.keygen()
        course = self.path("course")
        make_course(course)
        shutil.copytree(os.path.join(PACKAGES, "cmi5-two"), os.path.join(course, "visa"))
        make_zip(os.path.join(PACKAGES, "scorm12-protocol"), os.path.join(course, "proto.zip"))
        with open(os.path.join(course, "course.json"), encoding="utf-8") as f:
            cj = json.load(f)
        cj["units"].append({"id": "visa", "title": "Visa interview", "package": "visa"})
        cj["units"].append({"id": "proto", "title": "Protocol", "package": "proto.zip"})
        with open(os.path.join(course, "course.json"), "w", encoding="utf-8") as f:
            json.dump(cj, f, indent=2)
        self.pack(course)
        m = self.manifest(self.path("b.relais"))
        units = {u["id"]: u for u in m["units"]}
        self.assertEqual([u["id"] for u in m["units"]], ["intro", "next", "check", "visa", "proto"])
        self.assertEqual(units["visa"]["package"]["standard"], "cmi5")
        self.assertEqual(units["proto"]["package"]["organizations"][0]["items"][0]["launch"],
                         "packages/proto/check.html")
        paths = [e["path"] for e in m["entries"]]
        self.assertIn("packages/visa/cmi5.xml", paths)
        self.assertIn("packages/proto/imsmanifest.xml", paths)
        i = run(["inspect", "b.relais"], cwd=self.tmp)
        self.assertRegex(i.stdout, r"4\. package visa +Visa interview \(cmi5, version 1.0\)")
        self.assertRegex(i.stdout, r"5\. package proto +Protocol \(scorm-1.2, version 1.2\)")

    def test_flags_are_for_packages_only(self):
        course = self.path("course")
        make_course(course)
        p = run(["pack", "--check", course, "--id", "x"], cwd=self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--id, --title, --language and --course-version are for packages",
                      p.stderr)


class CheckBroken(Base):
    """--check names, as file:line, what stops a package from playing; exit 1, nothing written."""

    def setUp(self):
        super().setUp()
        self.keygen()

    def test_no_manifest(self):
        z = make_zip(os.path.join(PACKAGES, "scorm12-protocol"), self.path("p.zip"),
                     drop=("imsmanifest.xml",))
        self.check_fails(z, r"(?m)^%s: no imsmanifest.xml \(SCORM\) or cmi5.xml \(cmi5\) at "
                            r"the package's root" % re.escape(z))

    def test_manifest_one_folder_down(self):
        files = package_files(os.path.join(PACKAGES, "scorm12-protocol"))
        z = self.path("p.zip")
        with zipfile.ZipFile(z, "w") as zf:
            for k, v in files.items():
                zf.writestr("course/" + k, v)
        self.check_fails(z, r"but course/imsmanifest.xml: package the folder's contents, "
                            r"not the folder")

    def test_missing_launch_file(self):
        pkg = self.copy("scorm12-protocol")
        text = self.edit(pkg, "imsmanifest.xml", 'href="check.html">', 'href="missing.html">')
        line = line_of(text, 'href="missing.html"')
        self.check_fails(pkg, r"(?m)^%s/imsmanifest.xml:%d: launch file missing.html is not "
                              r"in the package$" % (re.escape(pkg), line))
        # The same from a zip: the manifest is named inside it.
        z = make_zip(pkg, self.path("p.zip"))
        self.check_fails(z, r"(?m)^%s/imsmanifest.xml:%d: launch file missing.html" %
                         (re.escape(z), line))

    def test_missing_cmi5_au_file(self):
        pkg = self.copy("cmi5-two")
        text = self.edit(pkg, "cmi5.xml", "<url>au1/index.html</url>", "<url>au9/start.html</url>")
        self.check_fails(pkg, r"(?m)^%s/cmi5.xml:%d: AU url au9/start.html is not in the "
                              r"package$" % (re.escape(pkg), line_of(text, "au9/start.html")))

    def test_dotdot_in_manifest(self):
        pkg = self.copy("scorm2004-two")
        text = self.edit(pkg, "imsmanifest.xml", 'href="test/index.html">',
                         'href="test/../../outside.html">')
        self.check_fails(pkg, r"(?m)^%s/imsmanifest.xml:%d: launch file test/../../outside.html "
                              r"leaves the package" % (re.escape(pkg),
                                                       line_of(text, "outside.html")))

    def test_dotdot_entry_in_zip(self):
        z = make_zip(os.path.join(PACKAGES, "scorm12-protocol"), self.path("p.zip"),
                     extra={"../evil.html": b"<p>x</p>"})
        self.check_fails(z, r"(?m)^%s: entry ../evil.html leaves the package" % re.escape(z))

    def test_absolute_path_in_manifest(self):
        pkg = self.copy("scorm12-protocol")
        text = self.edit(pkg, "imsmanifest.xml", 'href="check.html">', 'href="/etc/passwd">')
        self.check_fails(pkg, r"(?m)^%s/imsmanifest.xml:%d: launch file /etc/passwd is an "
                              r"absolute path or URL" % (re.escape(pkg),
                                                         line_of(text, "/etc/passwd")))

    def test_absolute_entry_in_zip(self):
        z = make_zip(os.path.join(PACKAGES, "cmi5-two"), self.path("p.zip"),
                     extra={"/tmp/evil.html": b"<p>x</p>"})
        self.check_fails(z, r"(?m)^%s: entry /tmp/evil.html is an absolute path" % re.escape(z))

    def test_unsupported_scorm_version(self):
        pkg = self.copy("scorm12-protocol")
        text = self.edit(pkg, "imsmanifest.xml", "<schemaversion>1.2<",
                         "<schemaversion>1.1<")
        self.check_fails(pkg, r"(?m)^%s/imsmanifest.xml:%d: SCORM version \"1.1\" is not "
                              r"supported" % (re.escape(pkg), line_of(text, "schemaversion")))

    def test_zip_bomb(self):
        # 64 MiB of zeros in 8 files: about 64 KiB zipped, a ratio of some 1000.
        extra = {"video/part%d.bin" % i: bytes(8 << 20) for i in range(8)}
        z = make_zip(os.path.join(PACKAGES, "scorm12-protocol"), self.path("p.zip"),
                     extra=extra)
        self.assertLess(os.path.getsize(z), 1 << 20)
        self.check_fails(z, r"(?m)^%s: inflates to over 100 times its size \(past 16777216 "
                            r"bytes, at video/part\d.bin\); a zip bomb\?$" % re.escape(z))

    def test_file_over_the_limit(self):
        z = make_zip(os.path.join(PACKAGES, "scorm12-protocol"), self.path("p.zip"),
                     extra={"big.bin": os.urandom(3 << 20)})
        p = run(["pack", "--check", z, "--max-media-size", "2M"], cwd=self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn("big.bin is 3145728 bytes inflated, over the limit of 2097152", p.stderr)
        p = run(["pack", "--check", z, "--max-media-size", "4M"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_remote_cmi5_au_warns(self):
        pkg = self.copy("cmi5-two")
        url = "https://cdn.example.org/au1/index.html"
        text = self.edit(pkg, "cmi5.xml", "<url>au1/index.html</url>", "<url>%s</url>" % url)
        want = (r"(?m)^%s/cmi5.xml:%d: warning: AU https://academy.example.org/courses/"
                r"visa-interview/aus/prepare launches from the network \(%s\): learners "
                r"offline cannot play it$" % (re.escape(pkg), line_of(text, url), re.escape(url)))
        # --check is strict: it says so and exits 1.
        p = run(["pack", "--check", pkg], cwd=self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, want)
        self.assertIn("relais: 1 warning in", p.stderr)
        # Packing goes on, with the warning, and the manifest keeps the URL.
        p = run(["pack", pkg, "-s", "k.key", "-o", "b.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, want)
        m = self.manifest(self.path("b.relais"))
        self.assertEqual(m["units"][0]["package"]["organizations"][0]["items"][0]["launch"], url)

    def test_not_a_zip(self):
        with open(self.path("p.zip"), "wb") as f:
            f.write(b"this is not a zip file at all" * 10)
        self.check_fails(self.path("p.zip"), r"(?m)^%s: not a ZIP file" %
                         re.escape(self.path("p.zip")))

    def test_bad_xml(self):
        pkg = self.copy("cmi5-two")
        text = self.edit(pkg, "cmi5.xml", "</au>\n  <block", "</a>\n  <block")
        self.check_fails(pkg, r"(?m)^%s/cmi5.xml:%d: not well-formed XML" %
                         (re.escape(pkg), line_of(text, "</a>")))

    def test_bad_package_in_course(self):
        course = self.path("course")
        make_course(course)
        shutil.copytree(os.path.join(PACKAGES, "scorm12-protocol"), os.path.join(course, "p"))
        self.edit(os.path.join(course, "p"), "imsmanifest.xml", 'href="check.html">',
                  'href="gone.html">')
        with open(os.path.join(course, "course.json"), encoding="utf-8") as f:
            cj = json.load(f)
        cj["units"].append({"id": "p", "title": "P", "package": "p"})
        cj["units"].append({"id": "q", "title": "Q", "package": "../elsewhere.zip"})
        with open(os.path.join(course, "course.json"), "w", encoding="utf-8") as f:
            json.dump(cj, f, indent=2)
        err = self.check_fails(course, r"p/imsmanifest.xml:\d+: launch file gone.html is not in "
                                       r"the package")
        self.assertIn('unit q: "package" must be a path inside the course folder', err)


if __name__ == "__main__":
    testlib.main()
