#!/usr/bin/env python3
"""test_certificates.py: a certificate end to end (docs/certificates.md): a learner completes a
course in the reader, relais sync sends the records to a real relais-hub that publishes the
course, and the certificate the hub signs comes down in the same sync; with the hub stopped,
relais certificate verify passes offline, refuses a mistyped or foreign code, and the reader
shows it on a printable page with its code and a QR code; a revocation reaches the laptop at
the next sync."""
import os
import re
import signal
import sqlite3
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "reader"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "hub"))
sys.path.insert(0, HERE)
import hublib as hl  # noqa: E402
import readerlib as rl  # noqa: E402
import testlib  # noqa: E402
import test_reader_to_hub as rth  # noqa: E402

CODE = re.compile(r"^code:\s+([A-Z2-7-]+)$", re.M)


class CertificateEndToEnd(unittest.TestCase):
    def relais(self, *args, check=True):
        p = testlib.run(testlib.RELAIS, list(args), env=self.laptop.env, timeout=180)
        if check:
            testlib.checked(p, "relais " + " ".join(args[:2]))
        return p

    def sync(self, hub):
        return self.relais("sync", "--hub", hub.url.rstrip("/"), "--key", self.key, "--secret",
                           self.secret, "--hub-key", self.hub_pub)

    def test_completion_to_certificate_checked_offline_and_printed(self):
        self.laptop = rl.make_laptop_home(self)
        rth.ReaderToHub.learn(self, self.laptop)

        hub_db = hl.make_hub_db(self)
        self.hub_pub = os.path.join(hub_db.root, "hub.pub")
        with open(self.hub_pub, "w") as f:
            f.write(hub_db.run("keygen").stdout)
        hub_db.run("publisher", "add", os.path.join(self.laptop.root, "k.pub"))
        hub_db.run("publish", os.path.join(self.laptop.root, "mh.relais"))
        self.key, self.secret = hub_db.credentials()

        # Before any sync the laptop has none.
        self.assertIn("no certificates yet", self.relais("certificate", "list").stdout)

        hub = hl.Hub(hub_db)
        try:
            p = self.sync(hub)
        finally:
            hub.stop()
        self.assertIn("certificates: received 1, refused 0", p.stdout)

        # The hub is gone: everything below is offline.
        listed = self.relais("certificate", "list").stdout
        self.assertIn("learner:   %s <%s>" % (rl.LEARNER_NAME, rl.LEARNER_EMAIL), listed)
        self.assertIn("course:    Migration and health across borders (migration-health, "
                      "version 1)", listed)
        self.assertIn("hours:     2\n", listed)
        code = CODE.search(listed).group(1)
        # Stored as it came, in the home database.
        db = sqlite3.connect(self.laptop.db)
        self.addCleanup(db.close)
        self.assertEqual(db.execute("SELECT code FROM certificate").fetchall(), [(code,)])

        p = self.relais("certificate", "verify", code)
        self.assertIn("valid: signed by a hub key this laptop trusts", p.stdout)
        # From a file too, as a learner would keep it.
        path = os.path.join(self.laptop.root, "certificate.txt")
        with open(path, "w") as f:
            f.write(code + "\n")
        self.assertEqual(self.relais("certificate", "verify", path).returncode, 0)

        # A misheard letter is refused; so is a code signed by a hub this laptop does not trust.
        i = 12 if code[12] != "-" else 13
        typo = code[:i] + ("B" if code[i] == "A" else "A") + code[i + 1:]
        p = self.relais("certificate", "verify", typo, check=False)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertEqual(p.stderr.strip().splitlines()[-1],
                         "relais: certificate code mistyped: its check letters do not match")
        other = hl.make_hub_db(self)
        other.run("keygen")
        other.run("publisher", "add", os.path.join(self.laptop.root, "k.pub"))
        other.run("publish", os.path.join(self.laptop.root, "mh.relais"))
        ok, os_ = other.credentials()
        other_hub = hl.start_hub(self, other)
        hl.Client(other_hub, ok, os_).store([hl.completion("migration-health", rl.LEARNER_EMAIL)])
        foreign = re.search(r"^  ([A-Z2-7-]+)$", other.run("certificate", "list").stdout,
                            re.M).group(1)
        p = self.relais("certificate", "verify", foreign, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate signed by a hub key this laptop does not trust", p.stderr)

        # The reader: a Certificates link on the library, the printable page.
        reader = rl.Reader(self.laptop)
        self.addCleanup(reader.stop)
        c = rl.Client(reader)
        c.open_session()
        c.choose_learner()
        library = c.get("/")
        self.assertIn('<a href="/certificates">Certificates</a>', library.text)
        page = c.get("/certificates")
        self.assertEqual(page.status, 200)
        link = re.search(r'href="(/certificates/[0-9A-F]{16}-\d+)"', page.text).group(1)
        cert = c.get(link)
        self.assertEqual(cert.status, 200, cert.text[-1500:])
        self.assertIn("Certificate of completion", cert.text)
        self.assertIn(rl.LEARNER_NAME, cert.text)
        self.assertIn(code, cert.text)
        svg = re.search(r'<div class="qr">(<svg xmlns="http://www.w3.org/2000/svg"[^>]*>.*?'
                        r'</svg>)</div>', cert.text)
        self.assertIsNotNone(svg, cert.text[:2000])
        self.assertIn("h1v1h-1z", svg.group(1))
        css = c.get("/static/style.css").text
        self.assertIn("@media print", css)
        # In French too.
        fr = c.get(link + "?lang=fr")
        self.assertIn("Certificat de réussite", fr.text)
        # Hostile addresses: nothing but 404.
        for bad in ["/certificates/%3Cscript%3E", "/certificates/" + "A" * 3000,
                    link + "-1", link.lower(), "/certificates/../certificates"]:
            r = c.get(bad)
            self.assertIn(r.status, (400, 404), bad)
            self.assertNotIn("<script>", r.text)
        # Another learner on this laptop does not see it.
        c.add_learner("Autre", "autre@example.org")
        self.assertEqual(c.get(link).status, 404)
        reader.stop(signal.SIGTERM)

        # Revoked on the hub: the next sync says so, and verify refuses it.
        hub_db.run("certificate", "revoke", "1", "--reason", "issued in error")
        hub = hl.Hub(hub_db)
        try:
            self.sync(hub)
        finally:
            hub.stop()
        p = self.relais("certificate", "verify", code, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate 1 was revoked by its hub", p.stderr)


if __name__ == "__main__":
    unittest.main()
