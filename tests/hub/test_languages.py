#!/usr/bin/env python3
"""test_languages.py: relais-hub's pages (sign-in, reports, verify) in the five languages of
po/hub: chosen from Accept-Language, switched with ?lang= and kept by a cookie, Arabic right to
left, every page listing the languages each named in itself; a certificate's verdict in the
coordinator's language."""
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402
from test_publish import keygen, pack  # noqa: E402

LANGS = ["en", "fr", "es", "pt", "ar"]
NAMES = ["English", "Français", "Español", "Português", "العربية"]


def html_lang(page):
    m = re.search(r'<html lang="([a-z]+)" dir="(ltr|rtl)">', page)
    return m.groups() if m else None


class Languages(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.keys = testlib.temp_dir(cls, "relais-lang-keys-")
        cls.pub, cls.sec = keygen(cls.keys, "ministry")
        cls.mh = pack(cls.keys, "migration-health", cls.sec, 1)
        cls.db = hl.make_hub_db(cls)
        cls.db.run("keygen")
        cls.db.run("publisher", "add", cls.pub, "--name", "Ministry")
        cls.db.run("publish", cls.mh)
        cls.db.coordinator("coord@example.org")
        cls.hub = hl.start_hub(cls, cls.db)
        cls.laptop = hl.Client(cls.hub, *cls.db.credentials("laptop A"))

    def browser(self):
        return hl.Client(self.hub, version=None)

    def get(self, b, path, accept=None):
        r = b.request("GET", path, headers={"Accept-Language": accept} if accept else None)
        self.assertEqual(r.status, 200, r)
        return r.text

    def test_sign_in_page_from_accept_language(self):
        for accept, lang, words in [("fr-FR,fr;q=0.9", "fr", "Mot de passe"),
                                    ("es-419", "es", "Contraseña"),
                                    ("pt-BR,pt;q=0.8", "pt", "Palavra-passe"),
                                    ("ar-MA,fr;q=0.5", "ar", "كلمة المرور"),
                                    ("de-DE, pt;q=0.4, en;q=0.2", "pt", "Palavra-passe"),
                                    ("de-DE", "en", "Password"),
                                    (None, "en", "Password")]:
            with self.subTest(accept=accept):
                page = self.get(self.browser(), "/reports/login", accept)
                self.assertEqual(html_lang(page), (lang, "rtl" if lang == "ar" else "ltr"))
                self.assertIn('<label for="password">%s</label>' % words, page)
                self.assertNotIn("{{", page)

    def test_every_page_lists_the_languages(self):
        page = self.get(self.browser(), "/verify", "es")
        links = re.findall(r'<a href="\?lang=([a-z]+)" lang="([a-z]+)" hreflang="[a-z]+" '
                           r'dir="(ltr|rtl)"( aria-current="true")?>([^<]+)</a>', page)
        self.assertEqual([(c, n) for c, _, _, _, n in links], list(zip(LANGS, NAMES)))
        self.assertEqual([c for c, lang, _, _, _ in links], [lang for _, lang, _, _, _ in links])
        self.assertEqual([c for c, _, _, cur, _ in links if cur], ["es"])
        self.assertEqual([c for c, _, d, _, _ in links if d == "rtl"], ["ar"])

    def test_chosen_language_is_kept_until_changed(self):
        b = self.browser()
        r = b.request("GET", "/reports/login?lang=ar", headers={"Accept-Language": "fr"})
        self.assertEqual(r.status, 200)
        self.assertIn("relais_hub_lang=ar", r.header("Set-Cookie"))
        self.assertEqual(html_lang(r.text), ("ar", "rtl"))
        # The cookie keeps Arabic over the browser's French, through sign-in and the reports.
        form = urllib.parse.urlencode({"email": "coord@example.org",
                                       "password": hl.PASSWORD}).encode()
        r = b.request("POST", "/reports/login", body=form, headers={"Accept-Language": "fr"},
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 303, r)
        page = self.get(b, "/reports", "fr")
        self.assertEqual(html_lang(page), ("ar", "rtl"))
        self.assertIn("<h1>التقارير</h1>", page)
        self.assertIn("تم تسجيل الدخول باسم coord@example.org.", page)
        self.assertIn('<h2 id="completions-by-course">الإتمام حسب الدورة</h2>', page)
        self.assertIn('<th scope="col">الدورة</th>', page)
        # Another choice replaces it; an unknown one changes nothing.
        page = self.get(b, "/reports?lang=pt")
        self.assertIn("<h1>Relatórios</h1>", page)
        page = self.get(b, "/reports/quizzes")
        self.assertIn('<h2 id="quiz-results">Resultados dos questionários</h2>', page)
        self.assertIn('<th scope="col">pontuação média</th>', page)
        r = b.request("GET", "/reports?lang=xx")
        self.assertEqual(html_lang(r.text), ("pt", "ltr"))
        self.assertEqual(r.header_all("Set-Cookie"), [])
        # The files keep their English column names whatever the pages' language.
        csv = b.request("GET", "/reports/completions-by-course.csv").text
        self.assertTrue(csv.startswith('"course","completions","learners"'), csv)

    def test_failed_sign_in_in_the_language(self):
        b = self.browser()
        form = urllib.parse.urlencode({"email": "coord@example.org", "password": "nope"}).encode()
        r = b.request("POST", "/reports/login", body=form, headers={"Accept-Language": "es"},
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 401)
        self.assertIn('<p role="alert">Correo electrónico o contraseña incorrectos.</p>', r.text)

    def test_verify_page_in_each_language(self):
        self.laptop.store([hl.completion("migration-health", "awa@example.org",
                                         timestamp="2026-03-05T10:00:00Z")])
        r = self.laptop.request("GET", "/relais/certificates", version=False)
        code = r.json()["certificates"][0]["code"]
        q = "/verify?" + urllib.parse.urlencode({"code": code})
        expect = {"en": ("Valid certificate", "5 March 2026"),
                  "fr": ("Certificat valide", "5 mars 2026"),
                  "es": ("Certificado válido", "5 de marzo de 2026"),
                  "pt": ("Certificado válido", "5 de março de 2026"),
                  "ar": ("شهادة صالحة", "5 مارس 2026")}
        for lang, (verdict, date) in expect.items():
            with self.subTest(lang=lang):
                page = self.get(self.browser(), q + "&lang=" + lang)
                self.assertEqual(html_lang(page)[0], lang)
                self.assertIn("<h2>%s</h2>" % verdict, page)
                self.assertIn('<time datetime="2026-03-05">%s</time>' % date, page)


if __name__ == "__main__":
    testlib.main()
