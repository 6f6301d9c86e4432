#!/usr/bin/env python3
"""test_publish.py: publishing courses on relais-hub (docs/hub.md, "Publishing courses";
docs/catalogue.md): each refusal of publish leaves the catalogue as it was, the catalogue is
signed so that minisign itself verifies it, the files are served with strong ETags, 304s,
ranges and the documented Cache-Control to credentials only, and export-catalogue writes a
folder whose files hash to what the catalogue says."""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

HEX64 = re.compile(r"[0-9a-f]{64}")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def keygen(root, name):
    pub, sec = os.path.join(root, name + ".pub"), os.path.join(root, name + ".key")
    p = testlib.run(testlib.RELAIS, ["keygen", "-p", pub, "-s", sec, "-W"])
    if p.returncode != 0:
        raise AssertionError("relais keygen: " + p.stderr)
    return pub, sec


def pack(root, course, sec, version=None, name=None):
    """A bundle of courses/<course> signed with sec, at version when given."""
    src = os.path.join(testlib.COURSES, course)
    if version is not None:
        copy = os.path.join(root, "%s-v%d-src" % (course, version))
        if not os.path.exists(copy):
            shutil.copytree(src, copy)
            doc = json.load(open(os.path.join(copy, "course.json")))
            doc["version"] = version
            if version > 1:
                doc["title"] = doc["title"] + " (v%d)" % version
            with open(os.path.join(copy, "course.json"), "w") as f:
                json.dump(doc, f, ensure_ascii=False)
        src = copy
    out = os.path.join(root, name or "%s-%s.relais" % (course, version or 1))
    p = testlib.run(testlib.RELAIS, ["pack", src, "-s", sec, "-o", out])
    if p.returncode != 0:
        raise AssertionError("relais pack: " + p.stderr)
    return out


class Publishing(unittest.TestCase):
    """One hub per test: keys, bundles and the store made from scratch."""

    @classmethod
    def setUpClass(cls):
        cls.keys = testlib.temp_dir(cls, "relais-publish-keys-")
        cls.pub, cls.sec = keygen(cls.keys, "ministry")
        cls.other_pub, cls.other_sec = keygen(cls.keys, "stranger")
        cls.mh1 = pack(cls.keys, "migration-health", cls.sec, 1)
        cls.mh2 = pack(cls.keys, "migration-health", cls.sec, 2)
        cls.pc = pack(cls.keys, "protection-consulaire", cls.sec)
        cls.mh3_other = pack(cls.keys, "migration-health", cls.other_sec, 3, "mh3-other.relais")
        cls.pc_other = pack(cls.keys, "protection-consulaire", cls.other_sec, None,
                            "pc-other.relais")

    def setUp(self):
        self.db = hl.make_hub_db(self)
        self.root = self.db.root
        self.files = self.db.files

    # --- helpers ---

    def hub_keygen(self):
        p = self.db.run("keygen")
        self.hub_pub = os.path.join(self.root, "hub.pub")
        with open(self.hub_pub, "w") as f:
            f.write(p.stdout)
        return p

    def ready(self):
        """A hub with its key and the ministry's key as a publisher."""
        self.hub_keygen()
        self.db.run("publisher", "add", self.pub, "--name", "Ministry")

    def catalogue(self):
        """The stored catalogue, through export-catalogue: (dict, bytes, signature text)."""
        out = os.path.join(self.root, "peek-%d" % len(os.listdir(self.root)))
        self.db.run("export-catalogue", out)
        data = read(os.path.join(out, "catalogue.json"))
        sig = read(os.path.join(out, "catalogue.json.minisig")).decode()
        return json.loads(data), data, sig

    def stored_files(self):
        found = []
        for sub in ("bundles", "deltas"):
            d = os.path.join(self.files, sub)
            if os.path.isdir(d):
                found += sorted(os.path.join(sub, n) for n in os.listdir(d))
        return found

    def refused(self, args, message):
        """publish ARGS exits 1 with message, and the catalogue and files stay as they were."""
        before, before_bytes, _ = self.catalogue()
        files = self.stored_files()
        p = self.db.run("publish", *args, check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, message)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        after, after_bytes, _ = self.catalogue()
        self.assertEqual(after["serial"], before["serial"])
        self.assertEqual(after_bytes, before_bytes)
        self.assertEqual(self.stored_files(), files)
        return p

    # --- the catalogue key ---

    def test_keygen_prints_the_key_and_refuses_to_replace_it(self):
        p = self.hub_keygen()
        self.assertRegex(p.stdout, r"^untrusted comment: minisign public key [0-9A-F]+\nRW")
        if not self.db.pg:  # a PostgreSQL database's files are the server's
            self.assertEqual(os.stat(self.db.db).st_mode & 0o077, 0,
                             "the database holds a key")
        again = self.db.run("keygen", check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already has catalogue key", again.stderr)
        self.assertIn("laptops", again.stderr)
        self.assertEqual(self.db.run("hub-key").stdout, p.stdout)
        replaced = self.db.run("keygen", "--replace")
        self.assertNotEqual(replaced.stdout, p.stdout)
        self.assertEqual(self.db.run("hub-key").stdout, replaced.stdout)

    def test_keygen_takes_a_given_minisign_key(self):
        p = self.db.run("keygen", "--secret-key", self.other_sec)
        self.assertEqual(p.stdout.splitlines()[1], read(self.other_pub).decode().splitlines()[1])
        # A hub key is not a publisher key.
        q = self.db.run("publisher", "add", self.other_pub, check=False)
        self.assertEqual(q.returncode, 1)
        self.assertIn("catalogue key", q.stderr)

    def test_publish_without_a_key_is_refused(self):
        self.db.run("publisher", "add", self.pub)
        p = self.db.run("publish", self.mh1, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("relais-hub keygen", p.stderr)
        self.assertEqual(self.stored_files(), [])

    # --- publishers ---

    def test_publishers_add_list_remove(self):
        self.ready()
        listed = self.db.run("publisher", "list").stdout
        m = re.search(r"^([0-9A-F]{16})  Ministry  \(0 courses listed", listed, re.M)
        self.assertIsNotNone(m, listed)
        key_id = m.group(1)
        cat, _, _ = self.catalogue()
        self.assertEqual(cat["publishers"], [{"key": key_id, "name": "Ministry"}])
        dup = self.db.run("publisher", "add", self.pub, check=False)
        self.assertEqual(dup.returncode, 1)
        self.db.run("publish", self.mh1)
        busy = self.db.run("publisher", "remove", key_id, check=False)
        self.assertEqual(busy.returncode, 1)
        self.assertIn("unpublish them first", busy.stderr)
        self.db.run("unpublish", "migration-health")
        self.db.run("publisher", "remove", key_id)
        self.assertEqual(self.catalogue()[0]["publishers"], [])
        gone = self.db.run("publisher", "remove", key_id, check=False)
        self.assertEqual(gone.returncode, 1)

    # --- publish and its refusals ---

    def test_publish_lists_the_course_with_its_hash_and_audience(self):
        self.ready()
        serial0 = self.catalogue()[0]["serial"]
        p = self.db.run("publish", self.mh1, "--org", "MFA", "--org", "Interior",
                        "--required", "--due", "2027-01-31")
        self.assertIn("published 1 bundle", p.stdout)
        cat, _, _ = self.catalogue()
        self.assertGreater(cat["serial"], serial0)
        [c] = cat["courses"]
        data = read(self.mh1)
        self.assertEqual((c["id"], c["version"], c["size"], c["sha256"]),
                         ("migration-health", 1, len(data), sha256(data)))
        self.assertEqual(c["audience"], ["MFA", "Interior"])
        self.assertEqual((c["required"], c["due"]), (True, "2027-01-31"))
        stored = os.path.join(self.files, "bundles", c["sha256"] + ".relais")
        self.assertEqual(read(stored), data)

    def test_refusals_change_nothing(self):
        self.ready()
        self.db.run("publish", self.mh1)
        with self.subTest("signed by a key that is not a publisher"):
            self.refused([self.pc_other], r"not a publisher of this hub")
        with self.subTest("not newer"):
            self.refused([self.mh1], r"version 1 of migration-health is not newer")
        with self.subTest("tampered"):
            bad = os.path.join(self.root, "tampered.relais")
            data = bytearray(read(self.pc))
            data[len(data) // 2] ^= 0x55
            with open(bad, "wb") as f:
                f.write(data)
            self.refused([bad], r"^relais-hub: .*tampered\.relais")
        with self.subTest("all or nothing"):
            self.refused([self.pc, bad], r"tampered\.relais")
            self.assertEqual([c["id"] for c in self.catalogue()[0]["courses"]],
                             ["migration-health"])
        with self.subTest("id published under another key"):
            self.db.run("publisher", "add", self.other_pub, "--name", "Stranger")
            self.refused([self.mh3_other], r"migration-health is published under key")
        with self.subTest("missing file"):
            self.refused([os.path.join(self.root, "nowhere.relais")], r"nowhere\.relais")

    def test_newer_version_replaces_and_deltas_are_offered_or_logged(self):
        self.ready()
        self.db.run("publish", self.mh1)
        p = self.db.run("publish", self.mh2)
        cat, _, _ = self.catalogue()
        [c] = cat["courses"]
        self.assertEqual(c["version"], 2)
        self.assertEqual(c["sha256"], sha256(read(self.mh2)))
        if c["deltas"]:
            [d] = c["deltas"]
            self.assertEqual((d["from_version"], d["from_sha256"]),
                             (1, sha256(read(self.mh1))))
            delta = read(os.path.join(self.files, "deltas",
                                      "%s-%s.delta" % (d["from_sha256"], c["sha256"])))
            self.assertEqual((len(delta), sha256(delta)), (d["size"], d["sha256"]))
        else:
            self.assertIn("no delta from version 1 to 2", p.stderr)

    def test_unpublish_keeps_files_until_prune(self):
        self.ready()
        self.db.run("publish", self.mh1, self.pc)
        cat, _, _ = self.catalogue()
        sha = {c["id"]: c["sha256"] for c in cat["courses"]}
        p = self.db.run("unpublish", "migration-health")
        after, _, _ = self.catalogue()
        self.assertGreater(after["serial"], cat["serial"])
        self.assertEqual([c["id"] for c in after["courses"]], ["protection-consulaire"])
        bundle = os.path.join(self.files, "bundles", sha["migration-health"] + ".relais")
        self.assertTrue(os.path.exists(bundle), p.stdout)
        self.assertEqual(self.db.run("unpublish", "migration-health", check=False).returncode, 1)
        self.assertIn("pruned 1 file", self.db.run("publish", "--prune").stdout)
        self.assertFalse(os.path.exists(bundle))
        self.assertTrue(os.path.exists(
            os.path.join(self.files, "bundles", sha["protection-consulaire"] + ".relais")))
        # Republishing needs a newer version.
        self.refused([self.mh1], r"not newer")
        self.db.run("publish", self.mh2)

    # --- the signature ---

    def test_catalogue_signature_verifies_with_minisign(self):
        self.ready()
        self.db.run("publish", self.mh1)
        cat, data, sig = self.catalogue()
        out = os.path.join(self.root, "check")
        os.mkdir(out)
        with open(os.path.join(out, "c.json"), "wb") as f:
            f.write(data)
        with open(os.path.join(out, "c.json.minisig"), "w") as f:
            f.write(sig)
        p = subprocess.run([hl.MINISIGN, "-V", "-p", self.hub_pub, "-m",
                            os.path.join(out, "c.json")], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("relais-catalogue %d" % cat["serial"], p.stdout)
        self.assertTrue(sig.startswith("untrusted comment: relais catalogue signature\n"))
        key_id = read(self.hub_pub).decode().split()[5]
        self.assertEqual(cat["hub_key"], key_id)
        # A changed byte no longer verifies.
        with open(os.path.join(out, "c.json"), "wb") as f:
            f.write(data.replace(b'"serial":', b'"serial": '))
        p = subprocess.run([hl.MINISIGN, "-V", "-p", self.hub_pub, "-m",
                            os.path.join(out, "c.json")], capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)

    # --- export ---

    def test_export_catalogue_writes_what_the_catalogue_names(self):
        self.ready()
        self.db.run("publish", self.mh1)
        self.db.run("publish", self.mh2, self.pc)
        out = os.path.join(self.root, "stick")
        p = self.db.run("export-catalogue", out)
        cat = json.loads(read(os.path.join(out, "catalogue.json")))
        names = {"catalogue.json", "catalogue.json.minisig"}
        for c in cat["courses"]:
            name = os.path.join("bundles", c["sha256"] + ".relais")
            data = read(os.path.join(out, name))
            self.assertEqual((len(data), sha256(data)), (c["size"], c["sha256"]))
            names.add(name)
            for d in c["deltas"]:
                name = os.path.join("deltas", "%s-%s.delta" % (d["from_sha256"], c["sha256"]))
                data = read(os.path.join(out, name))
                self.assertEqual((len(data), sha256(data)), (d["size"], d["sha256"]))
                names.add(name)
        found = set()
        for base, _, files in os.walk(out):
            found |= {os.path.relpath(os.path.join(base, f), out) for f in files}
        self.assertEqual(found, names)
        self.assertEqual(len(cat["courses"]), 2)
        self.assertRegex(p.stdout, r"%d files written, 0 already there" % len(names))
        again = self.db.run("export-catalogue", out)
        self.assertRegex(again.stdout, r"0 files written, %d already there" % len(names))


class Serving(unittest.TestCase):
    """The published files over HTTP, from one hub served for the whole class."""

    @classmethod
    def setUpClass(cls):
        keys = testlib.temp_dir(cls, "relais-publish-keys-")
        pub, sec = keygen(keys, "ministry")
        cls.bundle = pack(keys, "migration-health", sec, 1)
        cls.data = read(cls.bundle)
        cls.sha = sha256(cls.data)
        cls.db = hl.make_hub_db(cls)
        cls.db.run("keygen")
        cls.db.run("publisher", "add", pub)
        cls.db.run("publish", cls.bundle)
        cls.key, cls.secret = cls.db.credentials()
        cls.hub = hl.start_hub(cls, cls.db)
        cls.client = hl.Client(cls.hub, cls.key, cls.secret, version=None)

    def get(self, path, headers=None, method="GET", client=None):
        return (client or self.client).request(method, "/relais/" + path, headers=headers)

    def test_catalogue_with_etag_and_304(self):
        r = self.get("catalogue.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("ETag"), '"%s"' % sha256(r.body))
        self.assertEqual(r.header("Cache-Control"), "public, no-cache")
        self.assertEqual(json.loads(r.body)["courses"][0]["sha256"], self.sha)
        s = self.get("catalogue.json.minisig")
        self.assertEqual(s.status, 200)
        self.assertEqual(s.header("ETag"), '"%s"' % sha256(s.body))
        self.assertEqual(s.header("Cache-Control"), "public, no-cache")
        n = self.get("catalogue.json", {"If-None-Match": r.header("ETag")})
        self.assertEqual(n.status, 304)
        self.assertEqual(n.body, b"")
        self.assertEqual(n.header("ETag"), r.header("ETag"))
        # The whole exchange is small: a laptop with nothing new pays little.
        auth = self.client.auth_header()
        raw = hl.raw_exchange(self.hub.port, (
            "GET /relais/catalogue.json HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
            "If-None-Match: %s\r\nConnection: close\r\n\r\n" % (
                self.hub.host, auth, r.header("ETag"))).encode())
        self.assertTrue(raw.startswith(b"HTTP/1.1 304"), raw[:100])
        self.assertLess(len(raw), 1024, raw)
        other = self.get("catalogue.json", {"If-None-Match": '"%s"' % ("0" * 64)})
        self.assertEqual(other.status, 200)

    def test_bundle_whole_head_and_ranges(self):
        name = "bundles/%s.relais" % self.sha
        r = self.get(name)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, self.data)
        self.assertEqual(r.header("ETag"), '"%s"' % self.sha)
        self.assertEqual(r.header("Cache-Control"), "public, max-age=31536000, immutable")
        h = self.get(name, method="HEAD")
        self.assertEqual((h.status, h.body), (200, b""))
        self.assertEqual(int(h.header("Content-Length")), len(self.data))
        size = len(self.data)
        for rng, first, last in (("bytes=100-199", 100, 199), ("bytes=1000-", 1000, size - 1),
                                 ("bytes=-10", size - 10, size - 1),
                                 ("bytes=0-%d" % (size + 50), 0, size - 1)):
            with self.subTest(rng):
                p = self.get(name, {"Range": rng})
                self.assertEqual(p.status, 206, p)
                self.assertEqual(p.body, self.data[first:last + 1])
                self.assertEqual(p.header("Content-Range"),
                                 "bytes %d-%d/%d" % (first, last, size))
        bad = self.get(name, {"Range": "bytes=%d-" % size})
        self.assertEqual(bad.status, 416)
        self.assertEqual(bad.header("Content-Range"), "bytes */%d" % size)
        same = self.get(name, {"Range": "bytes=10-19", "If-Range": '"%s"' % self.sha})
        self.assertEqual((same.status, same.body), (206, self.data[10:20]))
        changed = self.get(name, {"Range": "bytes=10-19", "If-Range": '"%s"' % ("1" * 64)})
        self.assertEqual((changed.status, changed.body), (200, self.data))
        cached = self.get(name, {"If-None-Match": '"%s"' % self.sha})
        self.assertEqual((cached.status, cached.body), (304, b""))

    def test_catalogue_near_expiry_is_re_signed(self):
        first = self.get("catalogue.json")
        serial = json.loads(first.body)["serial"]
        self.db.sql("UPDATE catalogue SET expires_ms = ? WHERE serial = ?",
                    (int(time.time() * 1000) + 3600 * 1000, serial))
        again = self.get("catalogue.json")
        cat = json.loads(again.body)
        self.assertEqual(cat["serial"], serial + 1)
        self.assertNotEqual(again.header("ETag"), first.header("ETag"))
        sig = self.get("catalogue.json.minisig").body.decode()
        self.assertIn("relais-catalogue %d" % (serial + 1), sig)
        # Once is enough: the next request gets the same one.
        self.assertEqual(self.get("catalogue.json").body, again.body)

    def test_credentials_are_required(self):
        for path in ("catalogue.json", "catalogue.json.minisig",
                     "bundles/%s.relais" % self.sha):
            with self.subTest(path):
                wrong = hl.Client(self.hub, self.key, "0" * 64, version=None)
                self.assertEqual(self.get(path, client=wrong).status, 401)
                nobody = hl.Client(self.hub, version=None)
                r = self.get(path, client=nobody)
                self.assertEqual(r.status, 401)
                self.assertIn("Basic", r.header("WWW-Authenticate"))

    def test_a_delta_that_cannot_be_looked_up_is_not_404(self):
        """When the deltas' entries cannot be read, a delta is answered 500 naming them,
        not 404: that would send the laptop to the whole bundle, as if there were none."""
        path = "deltas/%s-%s.delta" % (self.sha, "1" * 64)
        self.assertEqual(self.get(path).status, 404)
        # Reading the table now fails: a view whose columns err on each row (the catalogue
        # has one), its two keys by different expressions (PostgreSQL finds one expression
        # unequal to two constants without reading a row), of the table's types (a
        # statement the hub prepared on PostgreSQL fails for good once its result's type
        # changes).
        if self.db.pg:
            keys = ("CAST(1 / (serial - serial) AS TEXT) COLLATE \"C\"",
                    "CAST(2 / (serial - serial) AS TEXT) COLLATE \"C\"")
        else:
            keys = ("CAST(abs(-9223372036854775807 - 1 + 0 * serial) AS TEXT)",
                    "CAST(abs(-9223372036854775807 - 1 + 2 * 0 * serial) AS TEXT)")
        with self.db.table_read_as("published_delta", "SELECT %s AS from_sha256, %s AS "
                                   "to_sha256, %s AS sha256 FROM catalogue" % (keys + keys[:1])):
            r = self.get(path)
            self.assertEqual(r.status, 500, r)
            self.assertIn(b"published deltas", r.body)
        self.assertEqual(self.get(path).status, 404)

    def test_unknown_and_malformed_names_are_404(self):
        for path in ("bundles/%s.relais" % ("0" * 64), "bundles/%s.relais" % self.sha.upper(),
                     "bundles/%s.relais" % self.sha[:63], "bundles/../hub.db",
                     "bundles/%s.relaisx" % self.sha, "deltas/%s-%s.delta" % (self.sha, self.sha),
                     "deltas/%s.delta" % self.sha, "catalogue.json.bak"):
            with self.subTest(path):
                self.assertEqual(self.get(path).status, 404)
        self.assertEqual(self.client.request("POST", "/relais/catalogue.json", body=b"{}").status,
                         405)


if __name__ == "__main__":
    testlib.main()
