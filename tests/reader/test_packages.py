#!/usr/bin/env python3
"""test_packages.py: a course made of a SCORM package installs and shows in the reader,
which says plainly that it cannot play packages yet instead of a broken link."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib as rl  # noqa: E402

PACKAGE = os.path.join(testlib.SOURCE_ROOT, "tests", "data", "packages", "scorm12-protocol")


class PackageUnits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = rl.make_laptop_home(cls)
        key = os.path.join(cls.home.root, "k.key")
        bundle = os.path.join(cls.home.root, "pkg.relais")
        cls.home.run("pack", PACKAGE, "--secret-key", key, "-o", bundle)
        cls.home.run("install", bundle)
        cls.course = [l.split()[0] for l in cls.home.run("list").splitlines()
                      if l and l.split()[0] != rl.COURSE_ID and "protocol" in l.lower()][0]

    def test_outline_names_the_package_and_its_page_explains(self):
        reader = rl.Reader(self.home)
        try:
            tab = rl.Client(reader)
            tab.open_session()
            tab.choose_learner()
            outline = tab.get("/c/%s/" % self.course)
            self.assertEqual(outline.status, 200, outline)
            self.assertIn("Package", outline.text)
            link = rl.re.search(r'<li><a href="(/c/[^"]+)"', outline.text).group(1)
            page = tab.get(link)
            self.assertEqual(page.status, 501, page)
            self.assertIn("is a SCORM 1.2 package", page.text)
            self.assertIn("cannot play packages yet", page.text)
        finally:
            reader.stop()


if __name__ == "__main__":
    testlib.main()
