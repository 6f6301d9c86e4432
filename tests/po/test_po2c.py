#!/usr/bin/env python3
"""test_po2c.py: the build step that turns gettext catalogues into C tables (engine/po2c.py)
refuses a translation whose format string would take other arguments than the English, with
the file, line and key, and writes nothing; a missing, fuzzy or stale translation builds with
the English and a warning, and the lint check (--check) refuses it."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import testlib  # noqa: E402

PO2C = os.path.join(testlib.SOURCE_ROOT, "engine", "po2c.py")
LANGS = ["en", "fr", "es", "pt", "ar"]


class Po2c(unittest.TestCase):

    def setUp(self):
        self.tmp = testlib.temp_dir(self, "relais-po2c-")
        for name in ["reader.pot"] + [l + ".po" for l in LANGS]:
            shutil.copy(os.path.join(testlib.SOURCE_ROOT, "po", "reader", name), self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def edit(self, name, old, new):
        with open(self.path(name), encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))

    def po2c(self, *options):
        files = [self.path("reader.pot")] + [self.path(l + ".po") for l in LANGS]
        if options == ("--check",):
            args = ["--check"] + files
        else:
            args = ["--msgfmt", "msgfmt", "--prefix", "relais_reader",
                    self.path("out.c"), self.path("out.h")] + files
        return subprocess.run([sys.executable, PO2C] + args, capture_output=True, text=True,
                              timeout=60)

    def table(self):
        with open(self.path("out.c"), encoding="utf-8") as f:
            return f.read()

    def test_the_catalogues_build_and_pass(self):
        p = self.po2c()
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertIn('[M_WHO_TITLE] = "¿Quién estudia\\?",', self.table())
        p = self.po2c("--check")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(testlib.SOURCE_ROOT, "po", "reader", "reader.pot"),
                  encoding="utf-8") as f:
            n = f.read().count("\nmsgctxt ")
        self.assertEqual(p.stdout, "%d messages, all translated in en fr es pt ar\n" % n)

    def test_a_broken_format_string_is_refused(self):
        for bad in ["Intento %s de %u.", "Intento %u de.", "Intento %u de %u de %u.",
                    "Intento %u de %u al 50%"]:
            with self.subTest(bad=bad):
                self.setUp()
                self.edit("es.po", 'msgstr "Intento %u de %u."', 'msgstr "%s"' % bad)
                p = self.po2c()
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("es.po:", p.stderr)
                self.assertIn("QUIZ_ATTEMPT_OF: the format must take %u %u, in that order", p.stderr)
                self.assertFalse(os.path.exists(self.path("out.c")), "nothing half-written")
                self.assertFalse(os.path.exists(self.path("out.h")))

    def test_msgfmt_checks_it_first(self):
        self.edit("ar.po", 'msgstr "نتيجتك: %d%%"', 'msgstr "نتيجتك: %s%%"')
        p = self.po2c()
        self.assertEqual(p.returncode, 1)
        self.assertIn("msgfmt --check-format refused it", p.stderr)

    def test_fuzzy_missing_and_stale_build_in_english_but_fail_the_check(self):
        self.edit("pt.po", 'msgctxt "NAV_SEARCH"', '#, fuzzy\nmsgctxt "NAV_SEARCH"')
        self.edit("fr.po", 'msgstr "Vos cours"', 'msgstr ""')
        self.edit("ar.po", 'msgid "Your courses"\nmsgstr "دوراتك"',
                  'msgid "Your old courses"\nmsgstr "دوراتك"')
        p = self.po2c()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("NAV_SEARCH is fuzzy", p.stderr)
        table = self.table()
        self.assertEqual(table.count('[M_LIBRARY_TITLE] = "Your courses",'), 3)  # en, fr, ar
        p = self.po2c("--check")
        self.assertEqual(p.returncode, 1)
        lines = p.stderr.splitlines()
        self.assertTrue(any("pt.po:" in l and "NAV_SEARCH is fuzzy" in l for l in lines), lines)
        self.assertTrue(any("fr.po:" in l and "LIBRARY_TITLE has no translation" in l
                            for l in lines), lines)
        self.assertTrue(any("ar.po:" in l and "LIBRARY_TITLE translates an older English text"
                            in l for l in lines), lines)

    def test_plural_forms_are_compiled_and_checked(self):
        p = self.po2c()
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        table = self.table()
        # The language's own rule, compiled as C, and every form in its row.
        self.assertIn("case LANG_FR:\n\t\tform = (unsigned)((n > 1));", table)
        self.assertIn('"حوالي %u دقيقتين", "حوالي %u دقائق"', table)
        for bad, why in [
                ('msgstr[1] "environ %u minutes"', "MINUTES has 1 forms, the language's Plural-Forms 2"),
                ('msgstr[1] "environ %s minutes"', "MINUTES: the format must take %u, in that order"),
        ]:
            with self.subTest(bad=bad):
                self.setUp()
                if "%s" in bad:
                    self.edit("fr.po", 'msgstr[1] "environ %u minutes"', bad)
                else:
                    self.edit("fr.po", '\nmsgstr[1] "environ %u minutes"', "")
                p = self.po2c()
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("fr.po:", p.stderr)
                self.assertIn(why, p.stderr)
                self.assertFalse(os.path.exists(self.path("out.c")), "nothing half-written")
        self.setUp()
        self.edit("pt.po", '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n', "")
        p = self.po2c()
        self.assertEqual(p.returncode, 1)
        self.assertIn("pt.po: no Plural-Forms header", p.stderr)
        self.setUp()
        self.edit("es.po", "plural=(n != 1);", "plural=(system(n));")
        p = self.po2c()
        self.assertEqual(p.returncode, 1)
        self.assertIn("es.po: Plural-Forms must give 1 to 6 forms and an expression of n",
                      p.stderr)

    def test_a_direction_is_ltr_or_rtl(self):
        self.edit("ar.po", 'msgstr "rtl"', 'msgstr "right"')
        p = self.po2c()
        self.assertEqual(p.returncode, 1)
        self.assertIn("LANG_DIR is ltr or rtl", p.stderr)

    def test_english_comes_first(self):
        p = subprocess.run([sys.executable, PO2C, "--check", self.path("reader.pot"),
                            self.path("fr.po"), self.path("en.po")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "po2c.py: the first .po file must be en.po, the fallback\n")


if __name__ == "__main__":
    unittest.main()
