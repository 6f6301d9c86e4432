#!/usr/bin/env python3
"""test_certificates.py: certificates on relais-hub (docs/certificates.md): a completion of a
published course gets one, signed with the hub's key; GET /relais/certificates gives a laptop
its own learners' only; the public /verify page says valid, invalid or revoked and escapes
what it shows, and gives no verdict (503) when its database is away; relais-hub certificate
list, revoke and verify."""
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
import testlib  # noqa: E402
from test_publish import keygen, pack  # noqa: E402

CODE = re.compile(r"^  ([A-Z2-7]{4}(?:-[A-Z2-7]{1,4})+)$", re.M)
HOSTILE = '<script>alert("x")</script>&amp;'


def typo(code):
    """The code with one letter changed, as a misheard letter would."""
    i = 10 if code[10] != "-" else 11
    return code[:i] + ("B" if code[i] == "A" else "A") + code[i + 1:]


class Certificates(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.keys = testlib.temp_dir(cls, "relais-cert-keys-")
        cls.pub, cls.sec = keygen(cls.keys, "ministry")
        cls.mh = pack(cls.keys, "migration-health", cls.sec, 1)

    def setUp(self):
        self.db = hl.make_hub_db(self)
        self.db.run("keygen")
        self.db.run("publisher", "add", self.pub, "--name", "Ministry")
        self.db.run("publish", self.mh)
        self.hub = hl.start_hub(self, self.db)
        self.laptop = hl.Client(self.hub, *self.db.credentials("laptop A"))
        self.other = hl.Client(self.hub, *self.db.credentials("laptop B"))

    def certificates(self, client):
        r = client.request("GET", "/relais/certificates", version=False)
        self.assertEqual(r.status, 200, r)
        return r.json()["certificates"]

    def verify_page(self, code):
        r = hl.Client(self.hub).request(
            "GET", "/verify?" + urllib.parse.urlencode({"code": code}), version=False)
        self.assertEqual(r.status, 200, r)
        self.assertIn("text/html", r.header("Content-Type"))
        return r.text

    def test_a_completion_of_a_published_course_gets_a_certificate(self):
        self.laptop.store([
            hl.completion("migration-health", "awa@example.org", name="Awa Ndiaye",
                          timestamp="2026-11-20T09:00:00.000Z"),
            # A second completion later changes nothing: the first one counts.
            hl.completion("migration-health", "awa@example.org", name="Awa Ndiaye",
                          timestamp="2026-11-25T09:00:00.000Z"),
            # A course the hub does not publish gets none.
            hl.completion("unpublished-course", "awa@example.org", name="Awa Ndiaye"),
        ])
        certs = self.certificates(self.laptop)
        self.assertEqual(len(certs), 1)
        self.assertIsNone(certs[0]["revoked"])
        code = certs[0]["code"]
        # Asked again: the same certificate, not a second one.
        self.assertEqual(self.certificates(self.laptop), certs)

        listed = self.db.run("certificate", "list").stdout
        self.assertIn("awa@example.org  migration-health  valid", listed)
        self.assertEqual(CODE.findall(listed), [code])

        p = self.db.run("certificate", "verify", code)
        self.assertIn("learner:   Awa Ndiaye <awa@example.org>", p.stdout)
        self.assertIn("course:    Migration and health across borders (migration-health, "
                      "version 1)", p.stdout)
        self.assertIn("completed: 2026-11-20", p.stdout)
        self.assertIn("hours:     2\n", p.stdout)  # estimated_minutes 120
        self.assertTrue(p.stdout.endswith("valid\n"))

        page = self.verify_page(code)
        self.assertIn("Valid certificate", page)
        self.assertIn("Awa Ndiaye &lt;awa@example.org&gt;", page)
        self.assertIn("Migration and health across borders", page)
        self.assertIn("2026-11-20", page)

    def test_the_score_is_the_mean_of_the_best_quiz_results(self):
        quiz = hl.statement("kofi", "passed", obj=hl.activity(
            hl.RELAIS_ACTIVITIES + "migration-health/evaluation"),
            result={"score": {"scaled": 0.6}, "success": True})
        better = hl.statement("kofi", "passed", obj=hl.activity(
            hl.RELAIS_ACTIVITIES + "migration-health/evaluation"),
            result={"score": {"scaled": 0.8}, "success": True})
        self.laptop.store([quiz, better,
                           hl.completion("migration-health", "kofi@example.org")])
        code = self.certificates(self.laptop)[0]["code"]
        self.assertIn("score:     80%", self.db.run("certificate", "verify", code).stdout)

    def test_verify_page_valid_mistyped_forged_revoked(self):
        self.laptop.store([hl.completion("migration-health", "awa@example.org")])
        code = self.certificates(self.laptop)[0]["code"]

        # No account, no code: the form.
        r = hl.Client(self.hub).request("GET", "/verify", version=False)
        self.assertEqual(r.status, 200)
        self.assertIn('<form method="get" action="/verify">', r.text)

        # Typed back in lower case with spaces: still valid.
        self.assertIn("Valid certificate", self.verify_page(code.lower().replace("-", " ")))

        page = self.verify_page(typo(code))
        self.assertIn("Invalid certificate", page)
        self.assertIn("mistyped", page)
        self.assertNotIn("awa@example.org", page)

        # A certificate from another hub, valid there, is refused here.
        other = hl.make_hub_db(self)
        other.run("keygen")
        other.run("publisher", "add", self.pub)
        other.run("publish", self.mh)
        other_hub = hl.start_hub(self, other)
        c = hl.Client(other_hub, *other.credentials())
        c.store([hl.completion("migration-health", "awa@example.org")])
        foreign = c.request("GET", "/relais/certificates", version=False).json()
        foreign_code = foreign["certificates"][0]["code"]
        self.assertIn("Valid certificate", hl.Client(other_hub).request(
            "GET", "/verify?code=" + foreign_code, version=False).text)
        page = self.verify_page(foreign_code)
        self.assertIn("Invalid certificate", page)
        self.assertIn("another hub", page)
        p = self.db.run("certificate", "verify", foreign_code, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("another hub", p.stderr)

        # Revoked: the page says so and why; the CLI refuses it; laptops are told.
        p = self.db.run("certificate", "revoke", "1", "--reason", "issued in error")
        self.assertEqual(p.stdout, "certificate 1 is revoked\n")
        page = self.verify_page(code)
        self.assertIn("Revoked certificate", page)
        self.assertIn("issued in error", page)
        p = self.db.run("certificate", "verify", code, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("revoked", p.stderr)
        self.assertIsNotNone(self.certificates(self.laptop)[0]["revoked"])
        self.assertIn("revoked", self.db.run("certificate", "list").stdout)

        bad = self.db.run("certificate", "revoke", "99", "--reason", "x", check=False)
        self.assertEqual((bad.returncode, bad.stderr.strip()),
                         (1, "relais-hub: no certificate 99"))
        bad = self.db.run("certificate", "revoke", "1", check=False)
        self.assertEqual(bad.returncode, 2)

    @hl.DATABASE_DOWN
    def test_verify_page_with_the_database_away_gives_no_verdict(self):
        # Whether a certificate is revoked cannot be read: neither valid nor invalid, but 503.
        self.laptop.store([hl.completion("migration-health", "awa@example.org")])
        code = self.certificates(self.laptop)[0]["code"]
        self.assertIn("Valid certificate", self.verify_page(code))
        cluster = pgcluster.shared()
        cluster.stop("fast")
        try:
            r = hl.Client(self.hub).request(
                "GET", "/verify?" + urllib.parse.urlencode({"code": code}), version=False,
                headers={"Accept-Language": "fr"})
            self.assertEqual((r.status, r.header("Retry-After")), (503, "5"), r.text[:300])
            self.assertIn("base de données", r.text)
            self.assertNotIn("certificat", r.text.lower())
        finally:
            cluster.start()
        self.assertIn("Valid certificate", self.verify_page(code))

    def test_verify_page_escapes_everything(self):
        self.laptop.store([hl.completion("migration-health", "x@example.org", name=HOSTILE)])
        code = self.certificates(self.laptop)[0]["code"]
        page = self.verify_page(code)
        self.assertIn("Valid certificate", page)
        self.assertNotIn("<script>", page)
        self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;", page)

        # Hostile codes: escaped back in the form, never a 500, the hub stays up.
        for hostile in [HOSTILE, "</textarea><script>x</script>", "A" * 5000, "\u00e9\u0000",
                        code + "<b>", "RC" * 40]:
            page = self.verify_page(hostile)
            self.assertIn("Invalid certificate", page)
            self.assertNotIn("<script>", page)
            self.assertNotIn("</textarea><", page.replace("</textarea>\n", ""))
        self.assertEqual(hl.Client(self.hub).about().status, 200)

    def test_scopes(self):
        self.laptop.store([hl.completion("migration-health", "awa@example.org")])
        self.other.store([hl.completion("migration-health", "binta@example.org")])
        mine = self.certificates(self.laptop)
        theirs = self.certificates(self.other)
        self.assertEqual(len(mine), 1)
        self.assertEqual(len(theirs), 1)
        self.assertNotEqual(mine[0]["code"], theirs[0]["code"])
        self.assertIn("AWA", self.db.run("certificate", "verify", mine[0]["code"])
                      .stdout.upper())

        # read-all sees both; a credential that may only write sees none (403).
        reader = hl.Client(self.hub, *self.db.credentials("reports", scope="read-all"))
        self.assertEqual(len(self.certificates(reader)), 2)
        writer = hl.Client(self.hub, *self.db.credentials("writer", scope="write"))
        r = writer.request("GET", "/relais/certificates", version=False)
        self.assertEqual(r.status, 403)
        r = hl.Client(self.hub).request("GET", "/relais/certificates", version=False)
        self.assertEqual(r.status, 401)
        r = hl.Client(self.hub, self.laptop.key, "0" * 64).request(
            "GET", "/relais/certificates", version=False)
        self.assertEqual(r.status, 401)


if __name__ == "__main__":
    testlib.main()
