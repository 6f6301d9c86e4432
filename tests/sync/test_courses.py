#!/usr/bin/env python3
"""test_courses.py: relais sync brings courses down (docs/catalogue.md, "What a laptop does")
from a fake hub and from a folder: signed catalogues checked, the right courses chosen,
downloads resumed and checked, and every refusal leaves the laptop as it was."""
import base64
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from fakecat import FakeCat, write_tree  # noqa: E402
from testlib import RELAIS  # noqa: E402

CRAFT = os.environ.get("CRAFT_CATALOGUE") or os.path.join(
    testlib.SOURCE_ROOT, "build", "tests", "craft-catalogue")
NOW = time.time()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def key_id(pub_path):
    """A minisign public key's id, as relais and minisign print it."""
    line = open(pub_path).read().splitlines()[1]
    return base64.b64decode(line)[2:10][::-1].hex().upper()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Courses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = testlib.temp_dir(cls, "relais-courses-")
        for name in ("pub", "pub2", "pub3", "hub", "other"):
            cls.cli(["keygen", "-p", name + ".pub", "-s", name + ".key", "--no-password"],
                    None, check=True)
        cls.bundles = {}
        cls.pack("mh1", "migration-health", 1)
        cls.pack("mh2", "migration-health", 2)
        cls.pack("mh2big", "migration-health", 2, noise=400000)
        cls.pack("mh3big", "migration-health", 3, noise=1500000)
        cls.pack("mh2rival", "migration-health", 2, key="pub2")
        cls.pack("pc1", "protection-consulaire", 1)
        cls.pack("pc1other", "protection-consulaire", 1, key="pub3")

    @classmethod
    def cli(cls, args, home, check=False, timeout=120):
        p = testlib.run(RELAIS, args, env=testlib.laptop_env(home), cwd=cls.work,
                        timeout=timeout)
        if check:
            testlib.checked(p, "relais")
        return p

    @classmethod
    def pack(cls, name, course, version, key="pub", noise=0):
        src = os.path.join(cls.work, "src-" + name)
        shutil.copytree(testlib.course_dir(course), src)
        with open(os.path.join(src, "course.json")) as f:
            meta = json.load(f)
        meta["version"] = version
        with open(os.path.join(src, "course.json"), "w") as f:
            json.dump(meta, f, ensure_ascii=False)
        if noise:
            with open(os.path.join(src, "media", "noise.bin"), "wb") as f:
                f.write(os.urandom(noise))
            first = os.path.join(src, meta["units"][0]["lesson"])
            with open(first, "a") as f:
                f.write("\n[Annex](../media/noise.bin)\n")
        out = os.path.join(cls.work, name + ".relais")
        cls.cli(["pack", src, "-s", key + ".key", "-o", out], None, check=True)
        cls.bundles[name] = {
            "file": out, "id": meta["id"], "version": version, "title": meta["title"],
            "language": meta["language"], "size": os.path.getsize(out), "sha256": sha256(out),
            "publisher": key_id(os.path.join(cls.work, key + ".pub"))}

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="home-", dir=self.work)
        self.site = tempfile.mkdtemp(prefix="site-", dir=self.work)
        write_tree(self.site)
        for args in (["trust", "add", "pub.pub"], ["trust", "add", "pub2.pub"],
                     ["profile", "add", "--name", "Aïcha Diallo", "--email",
                      "aicha@example.org", "--org", "MAE"],
                     ["trust", "add-hub", "hub.pub", "--name", "Ministry hub"]):
            self.cli(args, self.home, check=True)

    def entry(self, name, audience=(), required=False, due=None, published=None, deltas=()):
        b = self.bundles[name]
        return {"id": b["id"], "version": b["version"], "title": b["title"],
                "language": b["language"], "size": b["size"], "sha256": b["sha256"],
                "publisher": b["publisher"], "audience": list(audience), "required": required,
                "due": due, "published": published or iso(NOW - 3600), "deltas": list(deltas)}

    def publish(self, names, serial, site=None, key="hub", expires=None, issued=None, **kw):
        """Writes a signed catalogue of the bundles names (with their files) into site."""
        site = site or self.site
        write_tree(site)
        courses = []
        for n in names:
            e = n if isinstance(n, dict) else self.entry(n, **kw)
            courses.append(e)
            src = [b["file"] for b in self.bundles.values() if b["sha256"] == e["sha256"]][0]
            shutil.copy(src, os.path.join(site, "bundles", e["sha256"] + ".relais"))
        courses.sort(key=lambda c: c["id"])
        cat = {"format": "relais-catalogue", "version": 1, "serial": serial,
               "issued": issued or iso(NOW - 60), "expires": expires or iso(NOW + 30 * 86400),
               "hub_key": "", "publishers": [], "courses": courses, "rotations": [],
               "revoked": []}
        self.craft(site, key, json.dumps(cat))
        return cat

    def craft(self, site, key, text, raw_serial=None):
        args = [CRAFT, os.path.join(self.work, key + ".key"), site]
        if raw_serial is not None:
            args += ["--raw", str(raw_serial)]
        p = subprocess.run(args, input=text.encode(), capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def sync(self, hub, *extra, timeout=120):
        return self.cli(["sync", "--no-records", "--hub", hub.url, "--key", "K", "--secret", "S",
                         "--attempts", "1"] + list(extra), self.home, timeout=timeout)

    def installed(self):
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        try:
            return dict(db.execute("SELECT id, version FROM course").fetchall())
        finally:
            db.close()

    def accepted_serial(self):
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        try:
            return db.execute("SELECT serial FROM hub_key").fetchone()[0]
        finally:
            db.close()

    def parts(self):
        d = os.path.join(self.home, "downloads")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def refused(self, p, words):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        last = p.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("relais: "), p.stderr)
        self.assertIn(words, last)

    # --- the happy path ------------------------------------------------------------------

    def test_install_then_update(self):
        mh1 = self.bundles["mh1"]
        self.publish(["mh1", self.entry("pc1", audience=["MAE"])], 1)
        # A course for another organisation is not this laptop's.
        with FakeCat(self.site) as hub:
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("courses: installed 2, updated 0, failed 0", p.stdout)
            self.assertEqual(self.installed(), {"migration-health": 1,
                                                "protection-consulaire": 1})
            self.assertEqual(self.parts(), [])
            # Version 2, with a delta from version 1 the hub does not have: the whole bundle.
            delta = {"from_version": 1, "from_sha256": mh1["sha256"], "size": 100,
                     "sha256": "d" * 64}
            self.publish([self.entry("mh2", deltas=[delta]),
                          self.entry("pc1", audience=["MAE"])], 2)
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("courses: installed 0, updated 1, failed 0", p.stdout)
            self.assertEqual(self.installed()["migration-health"], 2)
            asked = [g["path"] for g in hub.gets]
            self.assertIn("/relais/deltas/%s-%s.delta" % (mh1["sha256"], self.bundles["mh2"]["sha256"]),
                          asked)
            self.assertIn("/relais/bundles/%s.relais" % self.bundles["mh2"]["sha256"], asked)
        trust = self.cli(["trust", "list"], self.home, check=True).stdout
        self.assertIn("%s  hub  Ministry hub" % key_id(os.path.join(self.work, "hub.pub")), trust)
        self.assertIn("catalogue serial 2", trust)

    def delta_entry(self, old, new, data):
        """Puts data in the site as the delta from bundle old to bundle new; its catalogue entry."""
        a, b = self.bundles[old], self.bundles[new]
        write_tree(self.site)
        with open(os.path.join(self.site, "deltas", "%s-%s.delta" % (a["sha256"], b["sha256"])),
                  "wb") as f:
            f.write(data)
        return {"from_version": a["version"], "from_sha256": a["sha256"], "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest()}

    def test_a_delta_that_does_not_rebuild_is_not_kept(self):
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            # The hub's delta is intact as a file but is no delta: it cannot rebuild version 2.
            bad = self.delta_entry("mh1", "mh2", os.urandom(3000))
            self.publish([self.entry("mh2", deltas=[bad])], 2)
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.installed(), {"migration-health": 2})
            self.assertIn("/relais/bundles/%s.relais" % self.bundles["mh2"]["sha256"],
                          [g["path"] for g in hub.gets], "the whole bundle replaced it")
        self.assertEqual(self.parts(), [], "the useless delta is deleted, not kept to fail again")

    def test_a_cut_delta_resumes_instead_of_taking_the_whole_bundle(self):
        self.publish(["mh1"], 1)
        made = os.path.join(self.work, "mh1-mh2.delta")
        self.cli(["delta", self.bundles["mh1"]["file"], self.bundles["mh2big"]["file"], "-o", made],
                 None, check=True)
        with open(made, "rb") as f:
            good = self.delta_entry("mh1", "mh2big", f.read())
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            self.publish([self.entry("mh2big", deltas=[good])], 2)
            hub.cut_after, hub.cuts = good["size"] // 2, 1
            p = self.sync(hub)
            self.refused(p, "the next sync resumes it")
            self.assertEqual(self.installed(), {"migration-health": 1})
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.installed(), {"migration-health": 2})
            asked = [g for g in hub.gets if g["path"].startswith("/relais/")
                     and not g["path"].startswith("/relais/catalogue")]
            self.assertFalse([g for g in asked if g["path"].startswith("/relais/bundles/%s"
                                                                       % self.bundles["mh2big"]["sha256"])],
                             "the whole bundle was never asked for")
            deltas = [g for g in asked if g["path"].startswith("/relais/deltas/")]
            self.assertEqual(deltas[-1]["range"], "bytes=%d-" % (good["size"] // 2))
        self.assertEqual(self.parts(), [])

    def test_watch_brings_courses_down_too(self):
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            proc = subprocess.Popen(
                [RELAIS, "sync", "--watch", "--no-records", "--hub", hub.url, "--key", "K",
                 "--secret", "S"], env=testlib.laptop_env(self.home), cwd=self.work,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                line = testlib.read_line(proc, "relais sync --watch", 60)
                self.assertTrue(line.startswith("courses: installed 1, updated 0, failed 0"), line)
                self.assertEqual(self.installed(), {"migration-health": 1})
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=30), 0, proc.stderr.read())
            finally:
                proc.kill()
                proc.wait()

    def test_a_hub_given_by_its_xapi_address(self):
        """Courses come from the hub's root when --hub is its xAPI base (docs/sync.md)."""
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            p = self.cli(["sync", "--no-records", "--hub", hub.url + "/xapi", "--key", "K",
                          "--secret", "S"], self.home)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("courses: installed 1, updated 0, failed 0", p.stdout)
            self.assertEqual(hub.abouts, ["/xapi/about"])
            self.assertTrue(all(g["path"].startswith("/relais/") for g in hub.gets))
        self.assertEqual(self.installed(), {"migration-health": 1})

    def test_an_lrs_that_is_not_a_relais_hub_offers_no_courses(self):
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            hub.about = {"version": ["1.0.3"]}
            p = self.sync(hub)
            self.assertEqual(hub.gets, [])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, "courses: not offered there (an xAPI LRS, not a relais hub)\n")
        self.assertEqual(p.stderr, "relais: courses are not offered by this hub address: it is "
                         "an xAPI LRS, not a relais hub\n")
        self.assertEqual(self.installed(), {})

    def test_other_organisation_not_chosen(self):
        self.publish([self.entry("pc1", audience=["Interior"])], 1)
        with FakeCat(self.site) as hub:
            p = self.sync(hub)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("courses: installed 0, updated 0, failed 0", p.stdout)
        self.assertEqual(self.installed(), {})

    def test_nothing_new_costs_under_2kb(self):
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            before, n = hub.wire, len(hub.gets)
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("courses: installed 0, updated 0, failed 0", p.stdout)
            # The catalogue's 304, then the certificates (this fake hub has none: 404).
            self.assertEqual([(g["path"], g["status"]) for g in hub.gets[n:]],
                             [("/relais/catalogue.json", 304), ("/relais/certificates", 404)])
            self.assertLess(hub.wire - before, 2048)

    # --- catalogues refused ----------------------------------------------------------------

    def test_rollback_refused(self):
        self.publish(["mh1"], 5)
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            self.publish(["mh2", "pc1"], 4)
            p = self.sync(hub)
            self.refused(p, "rollback: serial 4 is older than serial 5")
            # Same serial, other bytes: refused as well.
            self.publish(["mh2", "pc1"], 5)
            self.refused(self.sync(hub), "rollback: serial 5 was accepted before")
        self.assertEqual(self.installed(), {"migration-health": 1})
        self.assertEqual(self.accepted_serial(), 5)

    def test_other_hub_key_refused(self):
        self.publish(["mh1"], 1, key="other")
        with FakeCat(self.site) as hub:
            self.refused(self.sync(hub), "signed by another key")
            # A catalogue naming the trusted hub key but signed by another.
            cat = self.publish(["mh1"], 2, key="hub")
            text = open(os.path.join(self.site, "catalogue.json")).read()
            self.craft(self.site, "other", text, raw_serial=2)
            self.refused(self.sync(hub), "signed by another key")
        self.assertEqual(self.installed(), {})
        self.assertEqual(self.accepted_serial(), 0)
        self.assertTrue(cat)

    def test_certificates_not_signed_by_a_trusted_hub_key_are_refused(self):
        """docs/certificates.md: the laptop keeps what a trusted hub key signed, nothing else."""
        self.publish(["mh1"], 1)
        codes = {}
        for key in ("hub", "other"):
            p = subprocess.run([CRAFT, os.path.join(self.work, key + ".key"), "--certificate",
                                "%s@example.org" % key], capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            codes[key] = p.stdout.decode().strip()
        forged = codes["hub"][:-9] + codes["other"][-9:]  # the other key's signature end
        with open(os.path.join(self.site, "certificates"), "w") as f:
            json.dump({"certificates": [{"id": 7, "code": codes["other"], "revoked": None},
                                        {"id": 7, "code": codes["hub"], "revoked": None},
                                        {"id": 8, "code": forged, "revoked": None},
                                        {"id": 9}]}, f)
        with FakeCat(self.site) as hub:
            p = self.sync(hub)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("certificates: received 1, refused 3", p.stdout)
        self.assertIn("a certificate was refused: certificate signed by a hub key this laptop "
                      "does not trust", p.stderr)
        listed = self.cli(["certificate", "list"], self.home, check=True).stdout
        self.assertIn("hub@example.org", listed)
        self.assertNotIn("other@example.org", listed)
        p = self.cli(["certificate", "verify", codes["other"]], self.home)
        self.assertEqual(p.returncode, 1)

    def test_hub_key_is_not_a_publisher_key(self):
        p = self.cli(["trust", "add", "hub.pub"], self.home)
        self.refused(p, "trusted as a hub key")
        p = self.cli(["trust", "add-hub", "pub.pub"], self.home)
        self.refused(p, "trusted as a publisher")
        hub_id = key_id(os.path.join(self.work, "hub.pub"))
        self.assertEqual(self.cli(["trust", "remove", hub_id], self.home).returncode, 0)
        self.assertNotIn(hub_id, self.cli(["trust", "list"], self.home).stdout)

    def test_expired_warns_and_installs(self):
        self.publish(["mh1"], 1, issued=iso(NOW - 40 * 86400), expires=iso(NOW - 86400))
        with FakeCat(self.site) as hub:
            p = self.sync(hub)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("expired on", p.stderr)
        self.assertEqual(self.installed(), {"migration-health": 1})

    def test_malformed_and_oversized_refused(self):
        with FakeCat(self.site) as hub:
            self.craft(self.site, "hub", '{"format":"relais-catalogue","version":1,', 1)
            self.refused(self.sync(hub), "the catalogue was refused: catalogue.json")
            big = json.dumps({"format": "relais-catalogue", "pad": "x" * (4 << 20)})
            self.craft(self.site, "hub", big, 1)
            self.refused(self.sync(hub), "over 4 MiB")
        self.assertEqual(self.installed(), {})
        self.assertEqual(self.accepted_serial(), 0)

    # --- downloads --------------------------------------------------------------------------

    def test_cut_download_resumes_with_the_rest(self):
        b = self.bundles["mh2big"]
        self.publish(["mh2big"], 1)
        half = b["size"] // 2
        with FakeCat(self.site) as hub:
            hub.cut_after, hub.cuts = half, 1
            p = self.sync(hub)
            self.refused(p, "download cut at %d of %d bytes" % (half, b["size"]))
            self.assertIn("the next sync resumes it", p.stderr)
            self.assertEqual(self.parts(), [b["sha256"] + ".part"])
            part = os.path.join(self.home, "downloads", b["sha256"] + ".part")
            self.assertEqual(os.stat(part).st_mode & 0o777, 0o600)
            self.assertEqual(self.installed(), {})
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.installed(), {"migration-health": 2})
            gets = [g for g in hub.gets if g["path"].startswith("/relais/bundles/")]
            self.assertEqual(len(gets), 2)
            self.assertEqual(gets[1]["range"], "bytes=%d-" % half)
            self.assertEqual(gets[1]["if_range"], '"%s"' % b["sha256"])
            self.assertEqual(gets[1]["status"], 206)
            self.assertLessEqual(gets[1]["body"], 0.55 * b["size"])
            self.assertLessEqual(gets[0]["body"] + gets[1]["body"], 1.05 * b["size"])
        self.assertEqual(self.parts(), [])

    def test_range_refused_starts_again(self):
        b = self.bundles["mh2big"]
        self.publish(["mh2big"], 1)
        with FakeCat(self.site) as hub:
            hub.cut_after, hub.cuts = b["size"] // 3, 1
            self.assertEqual(self.sync(hub).returncode, 1)
            hub.ignore_range = True  # a 200 to a range request: the file starts again
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.installed(), {"migration-health": 2})

    def test_wrong_hash_refused(self):
        self.publish(["mh1"], 1)
        b = self.bundles["mh1"]
        path = os.path.join(self.site, "bundles", b["sha256"] + ".relais")
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 0xFF
        open(path, "wb").write(bytes(data))
        with FakeCat(self.site) as hub:
            self.refused(self.sync(hub), "does not match the catalogue's SHA-256")
        self.assertEqual(self.installed(), {})
        self.assertEqual(self.parts(), [])

    def test_more_than_announced_stopped(self):
        b = self.bundles["mh1"]
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            hub.extra = 100000
            self.refused(self.sync(hub),
                         "more than the %d bytes the catalogue announced" % b["size"])
        self.assertEqual(self.installed(), {})
        self.assertEqual(self.parts(), [])

    def test_course_bound_to_another_publisher(self):
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            self.publish(["mh2rival"], 2)
            p = self.sync(hub)
            self.assertEqual(p.returncode, 1)
            self.assertIn("migration-health v2:", p.stderr)
            self.assertIn("courses: installed 0, updated 0, failed 1", p.stdout)
        self.assertEqual(self.installed(), {"migration-health": 1})

    def test_untrusted_publisher_skipped(self):
        self.publish(["mh1", "pc1other"], 1)
        with FakeCat(self.site) as hub:
            p = self.sync(hub)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("protection-consulaire v1: skipped: its publisher's key %s is not trusted"
                      % self.bundles["pc1other"]["publisher"], p.stderr)
        self.assertEqual(self.installed(), {"migration-health": 1})

    def test_required_first(self):
        self.publish([self.entry("pc1", required=True, due="2027-01-31",
                                 published=iso(NOW - 86400)),
                      self.entry("mh1", published=iso(NOW - 60))], 1)
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            bundles = [g["path"] for g in hub.gets if "/bundles/" in g["path"]]
        self.assertEqual(bundles, ["/relais/bundles/%s.relais" % self.bundles[n]["sha256"]
                                   for n in ("pc1", "mh1")])

    def test_full_disk_keeps_the_installed_version(self):
        point = tempfile.mkdtemp(prefix="disk-", dir=self.work)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", point],
                           capture_output=True, text=True)
        if p.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: " + p.stderr.strip())
        self.addCleanup(subprocess.run, ["umount", point], capture_output=True)
        shutil.rmtree(self.home)
        self.home = point
        self.setUp_home_again()
        self.publish(["mh1"], 1)
        with FakeCat(self.site) as hub:
            self.assertEqual(self.sync(hub).returncode, 0)
            self.publish(["mh3big"], 2)
            p = self.sync(hub)
            self.refused(p, "the disk is full")
        self.assertEqual(self.installed(), {"migration-health": 1})
        self.assertEqual(self.parts(), [])
        lib = os.path.join(self.home, "library")
        for f in os.listdir(lib):
            self.assertEqual(self.cli(["verify", os.path.join(lib, f), "-p", "pub.pub"], self.home).returncode, 0)

    def setUp_home_again(self):
        for args in (["trust", "add", "pub.pub"],
                     ["profile", "add", "--name", "A", "--email", "a@example.org"],
                     ["trust", "add-hub", "hub.pub"]):
            self.cli(args, self.home, check=True)

    def test_killed_mid_download_then_finishes(self):
        b = self.bundles["mh2big"]
        self.publish(["mh2big"], 1)
        part = os.path.join(self.home, "downloads", b["sha256"] + ".part")
        with FakeCat(self.site) as hub:
            hub.rate = 60000
            proc = subprocess.Popen(
                [RELAIS, "sync", "--no-records", "--hub", hub.url, "--key", "K", "--secret",
                 "S"], env=testlib.laptop_env(self.home), cwd=self.work,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if os.path.exists(part) and os.path.getsize(part) > 30000:
                        break
                    time.sleep(0.05)
                self.assertTrue(os.path.exists(part))
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            have = os.path.getsize(part)
            self.assertLess(have, b["size"])
            hub.rate = None
            p = self.sync(hub)
            self.assertEqual(p.returncode, 0, p.stderr)
            gets = [g for g in hub.gets if "/bundles/" in g["path"]]
            self.assertEqual(gets[-1]["range"], "bytes=%d-" % have)
        self.assertEqual(self.installed(), {"migration-health": 2})
        lib = os.path.join(self.home, "library")
        for f in os.listdir(lib):
            self.assertEqual(self.cli(["verify", os.path.join(lib, f), "-p", "pub.pub"], self.home).returncode, 0)

    # --- a folder ---------------------------------------------------------------------------

    def test_from_folder_same_rules(self):
        stick = os.path.join(self.work, "stick-" + uuid.uuid4().hex[:8])
        self.publish(["mh1", self.entry("pc1", audience=["MAE"])], 3, site=stick)
        p = self.cli(["sync", "--from", stick], self.home)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("courses: installed 2, updated 0, failed 0, 0 bytes down", p.stdout)
        p = self.cli(["sync", "--from", stick], self.home)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("courses: installed 0, updated 0, failed 0", p.stdout)
        # An older stick: rollback.
        old = stick + "-old"
        self.publish(["mh2"], 2, site=old)
        self.refused(self.cli(["sync", "--from", old], self.home), "rollback")
        # A tampered bundle on a newer stick.
        self.publish(["mh2"], 4, site=stick)
        path = os.path.join(stick, "bundles", self.bundles["mh2"]["sha256"] + ".relais")
        data = bytearray(open(path, "rb").read())
        data[100] ^= 1
        open(path, "wb").write(bytes(data))
        self.refused(self.cli(["sync", "--from", stick], self.home),
                     "does not match the catalogue's SHA-256")
        # Another hub's stick.
        other = stick + "-other"
        self.publish(["mh2"], 9, site=other, key="other")
        self.refused(self.cli(["sync", "--from", other], self.home), "signed by another key")
        self.assertEqual(self.installed(), {"migration-health": 1, "protection-consulaire": 1})

    def test_hub_key_given_once_to_sync(self):
        home = tempfile.mkdtemp(prefix="home-", dir=self.work)
        self.cli(["trust", "add", "pub.pub"], home, check=True)
        stick = os.path.join(self.work, "stick-" + uuid.uuid4().hex[:8])
        self.publish(["mh1"], 1, site=stick)
        p = self.cli(["sync", "--from", stick], home)
        self.refused(p, "no hub key is trusted")
        p = self.cli(["sync", "--from", stick, "--hub-key", "hub.pub"], home)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("trusting hub key %s" % key_id(os.path.join(self.work, "hub.pub")),
                      p.stdout)
        self.assertIn("installed 1", p.stdout)

    # --- one direction only ---------------------------------------------------------------

    def record(self):
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        sid = str(uuid.uuid4())
        st = {"id": sid, "actor": {"objectType": "Agent", "name": "A",
                                   "mbox": "mailto:aicha@example.org"},
              "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced",
                       "display": {"en-US": "experienced"}},
              "object": {"objectType": "Activity",
                         "id": "https://relais.invalid/xapi/activities/migration-health/u1"},
              "timestamp": "2026-11-29T10:00:00.000Z"}
        with db:
            db.execute("INSERT INTO outbox(id, profile_id, verb, object, statement, created) "
                       "VALUES (?, 1, 'experienced', 'u1', ?, '2026-11-29T10:00:00.000Z')",
                       (sid, json.dumps(st, separators=(",", ":"))))
        db.close()
        return sid

    def test_one_direction_only(self):
        self.publish(["mh1"], 1)
        sid = self.record()
        with FakeCat(self.site) as hub:
            args = ["sync", "--hub", hub.url, "--key", "K", "--secret", "S"]
            p = self.cli(args + ["--no-courses"], self.home)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(sid, hub.statements)
            self.assertEqual(hub.gets, [])
            self.assertNotIn("courses:", p.stdout)
            self.record()
            n = len(hub.requests)
            p = self.cli(args + ["--no-records"], self.home)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(len(hub.requests), n)  # no POST
            self.assertIn("courses: installed 1", p.stdout)
            self.assertNotIn("sent ", p.stdout)
            # Both ways, in one run.
            self.publish(["mh2"], 2)
            p = self.cli(args, self.home)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("sent 1, left 0", p.stdout)
            self.assertIn("courses: installed 0, updated 1", p.stdout)


if __name__ == "__main__":
    testlib.main()
