#!/usr/bin/env python3
"""test_cohorts_hub.py: a cohort made on a real relais-hub reaches a laptop with the catalogue
(docs/catalogue.md, "Cohorts"): its member's assigned courses come down even outside their
audience, are required of that learner with the cohort's due date (overdue marked), first in
the library, and shown by relais list; a learner of the same organisation who is not a member
sees none of it; a second cohort's earlier date wins."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "reader"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib  # noqa: E402
from hublib import HubDb  # noqa: E402
from testlib import RELAIS  # noqa: E402

COHORT = "Attachés 2027"


class HubAndLaptop:
    """A hub publishing courses signed by a ministry key, and a laptop trusting both, with two
    learners of MAE (Aïcha, Bob); test_cohort_sessions_hub.py shares it."""

    def make_hub_and_laptop(self, prefix, publications):
        """publications: (course, extra relais-hub publish arguments) pairs."""
        self.work = testlib.temp_dir(self, prefix)
        self.relais(["keygen", "-p", "m.pub", "-s", "m.key", "-W"], None)
        self.db = HubDb(self.work)
        self.hub_pub = os.path.join(self.work, "hub.pub")
        with open(self.hub_pub, "w") as f:
            f.write(self.db.run("keygen").stdout)
        self.db.run("publisher", "add", os.path.join(self.work, "m.pub"), "--name", "Ministry")
        for course, args in publications:
            out = os.path.join(self.work, course + ".relais")
            self.relais(["pack", testlib.course_dir(course), "-s", "m.key", "-o", out], None)
            self.db.run("publish", out, *args)
        self.home = testlib.temp_dir(self, "home-")
        self.relais(["trust", "add", "m.pub"], self.home)
        self.relais(["trust", "add-hub", self.hub_pub], self.home)
        self.relais(["profile", "add", "--name", "Aïcha Diallo", "--email", "Aicha@Example.org",
                     "--org", "MAE"], self.home)
        self.relais(["profile", "add", "--name", "Bob Martin", "--email", "bob@example.org",
                     "--org", "MAE"], self.home)

    def relais(self, args, home, check=True, pin=None):
        env = testlib.laptop_env(home)
        if pin:
            env["RELAIS_PIN"] = pin
        p = testlib.run(RELAIS, args, env=env, cwd=self.work, timeout=180)
        if check:
            testlib.checked(p, "relais " + " ".join(args[:2]))
        return p

    def sync(self):
        stick = os.path.join(self.work, "stick")
        self.db.run("export-catalogue", stick)
        return self.relais(["sync", "--from", stick], self.home)


class CohortsToLaptop(HubAndLaptop, unittest.TestCase):
    def setUp(self):
        self.make_hub_and_laptop("relais-cohorts-laptop-",
                                 [("migration-health", []),
                                  ("protection-consulaire", ["--org", "Consulates"])])

    def lines(self):
        """relais list: {(course, learner): the rest of the learner's line}."""
        out = self.relais(["list"], self.home).stdout
        rows, course = {}, None
        for line in out.splitlines():
            if not line.startswith(" "):
                course = line.split()[0]
                continue
            m = re.match(r"    (.+?)\s{2,}(\d+/\d+ units.*)$", line)
            self.assertIsNotNone(m, line)
            rows[(course, m.group(1))] = m.group(2)
        return rows

    def library(self, learner):
        """The library page as learner sees it: its cards' course ids in order, and the page."""
        env = testlib.laptop_env(self.home)
        reader = testlib.Reader(env)
        try:
            c = readerlib.Client(reader)
            c.open_session()
            c.choose_learner(learner)
            page = c.get("/").text
        finally:
            reader.stop()
        return re.findall(r'<li class="card"[^>]*><h2><a href="/c/([^/]+)/', page), page

    def test_assigned_courses_are_required_of_members_only(self):
        # Without a cohort: the course for Consulates does not come down to MAE learners.
        p = self.sync()
        self.assertIn("installed 1,", p.stdout)
        self.assertEqual(self.lines(), {})

        self.db.run("cohort", "add", COHORT, "--org", "MAE")
        self.db.run("cohort", "members", COHORT, "--add", "aicha@example.org")
        self.db.run("cohort", "assign", COHORT, "migration-health", "--due", "2020-01-31")
        self.db.run("cohort", "assign", COHORT, "protection-consulaire", "--due", "2099-12-31")
        p = self.sync()
        # Assigned to Aïcha's cohort: brought down although its audience is another one.
        self.assertIn("installed 1,", p.stdout)
        rows = self.lines()
        self.assertRegex(rows[("migration-health", "Aïcha Diallo")],
                         r"^0/\d+ units; required, due 2020-01-31 \(overdue\)$")
        self.assertRegex(rows[("protection-consulaire", "Aïcha Diallo")],
                         r"^0/\d+ units; required, due 2099-12-31$")
        # Bob, of the same organisation, is no member: nothing required of him.
        self.assertNotIn(("migration-health", "Bob Martin"), rows)
        self.assertNotIn(("protection-consulaire", "Bob Martin"), rows)

        # The library: by due date, the overdue course first although its title sorts after.
        order, page = self.library("Aïcha Diallo")
        self.assertEqual(order, ["migration-health", "protection-consulaire"])
        self.assertIn('<span class="mark required overdue">', page)
        self.assertIn("31 January 2020", page)
        self.assertIn("31 December 2099", page)
        order, page = self.library("Bob Martin")
        self.assertEqual(order, ["protection-consulaire", "migration-health"])
        self.assertNotIn("mark required", page)

        # Everyone of MAE, in a second cohort with an earlier date: it wins, for Bob too.
        self.db.run("cohort", "add", "All MAE", "--org", "MAE", "--everyone")
        self.db.run("cohort", "assign", "All MAE", "protection-consulaire", "--due",
                    "2098-01-01")
        self.sync()
        rows = self.lines()
        self.assertTrue(rows[("protection-consulaire", "Aïcha Diallo")]
                        .endswith("; required, due 2098-01-01"))
        self.assertTrue(rows[("protection-consulaire", "Bob Martin")]
                        .endswith("; required, due 2098-01-01"))
        self.assertNotIn(("migration-health", "Bob Martin"), rows)


if __name__ == "__main__":
    testlib.main()
