#!/usr/bin/env python3
"""test_reports.py: the coordinators' reports (docs/hub.md, "Reports"): progress per course and
organisation counted right from a crafted set of statements (duplicates, a voided completion),
filters, CSV and JSON equal to the page, the questions most missed, a learner's page, and
coordinators scoped to their organisation, administrators managing coordinators on the web."""
import csv
import html
import io
import os
import re
import sqlite3
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402

A = hl.RELAIS_ACTIVITIES


def st(email, verb, obj, org, when, result=None, name=None):
    s = {"id": str(uuid.uuid4()),
         "actor": {"objectType": "Agent", "name": name or email.split("@")[0].capitalize(),
                   "mbox": "mailto:" + email},
         "verb": hl.verb(verb),
         "object": {"objectType": "Activity", "id": A + obj,
                    "definition": {"name": {"en": obj.split("/")[-1].capitalize()}}},
         "context": {"platform": "relais",
                     "extensions": {hl.ORGANISATION: org}},
         "timestamp": when + "T10:00:00.000Z"}
    if result is not None:
        s["result"] = result
    return s


def answer(email, question, ok, org, when):
    return st(email, "answered", "c1/quiz/" + question, org, when,
              {"success": ok, "score": {"scaled": 1 if ok else 0, "raw": 1 if ok else 0,
                                        "min": 0, "max": 1}})


login = hl.sign_in


def section_rows(page, name):
    """The cells of report name's table on a page, as text."""
    m = re.search(r'<h2 id="%s">.*?<tbody>(.*?)</tbody>' % re.escape(name), page, re.S)
    assert m, "no table %s" % name
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", m.group(1))]


class Reports(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.db = hl.make_hub_db(cls)
        cls.db.coordinator("admin@example.org")
        cls.db.run("coordinator", "add", "ana@example.org", "--org", "MAE",
                   env={"RELAIS_HUB_PASSWORD": hl.PASSWORD})
        cls.db.run("organisation", "set", "MAE", "--country", "SN")
        cls.db.run("organisation", "set", "MSP", "--country", "FR")
        cls.hub = hl.start_hub(cls, cls.db)
        laptop = hl.Client(cls.hub, *cls.db.credentials("laptop", "write,read-all,void-all"))
        dup = st("carla@example.org", "completed", "c1", "MSP", "2026-02-10")
        voided = st("dan@example.org", "completed", "c1", "MSP", "2026-01-20")
        wrong = answer("bob@example.org", "q2", False, "MAE", "2026-01-09")
        statements = [
            # awa (MAE): reads, passes the quiz, completes on 10 January.
            st("awa@example.org", "experienced", "c1/lesson", "MAE", "2026-01-05"),
            answer("awa@example.org", "q1", False, "MAE", "2026-01-06"),
            answer("awa@example.org", "q1", True, "MAE", "2026-01-07"),
            answer("awa@example.org", "q2", True, "MAE", "2026-01-07"),
            st("awa@example.org", "passed", "c1/quiz", "MAE", "2026-01-07",
               {"success": True, "score": {"scaled": 1}}),
            st("awa@example.org", "completed", "c1", "MAE", "2026-01-10"),
            # bob (MAE): started only.
            st("bob@example.org", "experienced", "c1/lesson", "MAE", "2026-01-08"),
            answer("bob@example.org", "q1", True, "MAE", "2026-01-08"),
            wrong,  # voided below: q2 has one learner, who got it right
            # carla (MSP): completes on 10 February, then again (another id) the next day.
            answer("carla@example.org", "q1", False, "MSP", "2026-02-01"),
            st("carla@example.org", "passed", "c1/quiz", "MSP", "2026-02-01",
               {"success": True, "score": {"scaled": 0.9}}),
            dup,
            st("carla@example.org", "completed", "c1", "MSP", "2026-02-11"),
            # dan (MSP): a completion later voided: in progress.
            st("dan@example.org", "experienced", "c1/lesson", "MSP", "2026-01-15"),
            voided,
        ]
        cls.assert_ok(laptop.post(statements))
        cls.assert_ok(laptop.post([dup]))  # the same statement again: no effect
        cls.assert_ok(laptop.post([hl.voiding(voided["id"]), hl.voiding(wrong["id"])]))
        cls.admin = login(cls.hub, "admin@example.org")
        cls.ana = login(cls.hub, "ana@example.org")

    @staticmethod
    def assert_ok(r):
        assert r.status == 200, r

    def get(self, b, path, status=200):
        r = b.request("GET", path)
        self.assertEqual(r.status, status, (path, r.text[:300]))
        return r

    def rows(self, b, name, query=""):
        return self.get(b, "/reports/%s.json%s" % (name, query)).json()

    def test_progress_by_course_counts_each_learner_once(self):
        [row] = self.rows(self.admin, "status-by-course")
        self.assertEqual(row, {"course": "c1", "enrolled": 4, "not_started": 0, "in_progress": 2,
                               "in_progress_pct": 50, "completed": 2, "completed_pct": 50,
                               "passed": 2, "passed_pct": 50})
        by_org = self.rows(self.admin, "status-by-organisation")
        self.assertEqual([(r["organisation"], r["enrolled"], r["completed"], r["in_progress"])
                          for r in by_org], [("MAE", 2, 1, 1), ("MSP", 2, 1, 1)])
        self.assertEqual(self.rows(self.admin, "completions-over-time"),
                         [{"day": "2026-01-10", "course": "c1", "completions": 1},
                          {"day": "2026-02-10", "course": "c1", "completions": 1}])

    def test_filters(self):
        [row] = self.rows(self.admin, "status-by-course", "?organisation=MSP")
        self.assertEqual((row["enrolled"], row["completed"]), (2, 1))
        [row] = self.rows(self.admin, "status-by-course", "?country=SN")
        self.assertEqual((row["enrolled"], row["completed"]), (2, 1))
        self.assertEqual(self.rows(self.admin, "status-by-course", "?course=other"), [])
        # At the end of January carla had not completed yet.
        [row] = self.rows(self.admin, "status-by-course", "?to=2026-01-31")
        self.assertEqual((row["enrolled"], row["completed"], row["completed_pct"]), (3, 1, 33.3))
        self.assertEqual(self.rows(self.admin, "completions-over-time", "?from=2026-02-01"),
                         [{"day": "2026-02-10", "course": "c1", "completions": 1}])
        r = self.admin.request("GET", "/reports/status-by-course.csv?from=yesterday")
        self.assertEqual((r.status, r.text), (400, "from and to: give days as YYYY-MM-DD\n"))
        r = self.admin.request("GET", "/reports?from=2026-03-01&to=2026-02-01")
        self.assertEqual((r.status, r.text), (400, "from and to: from is after to\n"))

    def test_csv_and_json_equal_the_page(self):
        q = "?organisation=MAE&from=2026-01-01"
        page = self.get(self.admin, "/reports" + q).text
        # The page's download links carry its filters.
        self.assertIn('href="/reports/status-by-course.csv?organisation=MAE&amp;from=2026-01-01"',
                      page)
        for name in ["status-by-course", "status-by-organisation", "completions-by-day"]:
            shown = section_rows(page, name)
            text = self.get(self.admin, "/reports/%s.csv%s" % (name, q)).text
            self.assertEqual(list(csv.reader(io.StringIO(text)))[1:], shown, name)
            js = self.rows(self.admin, name, q)
            self.assertEqual([[("%g" % v) if isinstance(v, (int, float)) else v for v in r.values()]
                              for r in js], [[c if not re.fullmatch(r"[\d.]+", c) else
                                              "%g" % float(c) for c in row] for row in shown])
        self.assertIn("<svg role=\"img\"", page)
        self.assertIn("<title id=\"chart-completions-t\">Completions by day</title>", page)
        self.assertIn('<a href="/reports/completions-over-time.csv?organisation=MAE&amp;'
                      'from=2026-01-01">CSV</a>', page)
        self.assertIn("1 completions from 2026-01-10 to 2026-01-10", page)

    def test_questions_most_missed(self):
        rows = self.rows(self.admin, "quiz-questions")
        self.assertEqual([(r["question"], r["learners"], r["learners_missed"], r["missed_pct"])
                          for r in rows], [("q1", 3, 2, 66.7), ("q2", 1, 0, 0)])
        # A date range counts the learners who answered during it.
        self.assertEqual([(r["question"], r["learners"], r["learners_missed"]) for r in
                          self.rows(self.admin, "quiz-questions", "?from=2026-02-01")],
                         [("q1", 1, 1)])
        self.assertEqual(self.rows(self.admin, "quiz-results"),
                         [{"course": "c1", "quiz": "quiz", "attempts": 2, "passed": 2,
                           "learners": 2, "learners_passed": 2, "average_score": 0.95}])
        self.assertEqual([r["learners"] for r in self.rows(self.admin, "quiz-results",
                                                           "?to=2026-01-31")], [1])
        page = self.get(self.admin, "/reports/quizzes?lang=fr").text
        self.assertIn('<h2 id="quiz-questions">Questions les plus manquées</h2>', page)

    def test_learner_page(self):
        page = self.get(self.admin, "/reports/learner?learner=awa@example.org").text
        rows = section_rows(page, "learner-statements")
        self.assertEqual(rows[0], ["2026-01-10 10:00", "completed", "C1", "c1", "", ""])
        self.assertEqual(len(rows), 6)
        self.assertEqual(len(section_rows(self.get(
            self.admin, "/reports/learner?learner=bob@example.org").text,
            "learner-statements")), 2)  # the voided answer is not shown
        self.assertIn(["2026-01-06 10:00", "answered", "Q1", "c1", "0.0", "no"], rows)
        fr = self.get(self.admin, "/reports/learner?learner=awa@example.org&lang=fr").text
        self.assertIn("<td>a terminé</td>", fr)
        js = self.rows(self.admin, "learner-courses", "?learner=awa@example.org")
        self.assertEqual(js[0]["completed"], "2026-01-10T10:00:00.000Z")
        # The learners' list links to each learner's page.
        self.assertIn('<a href="/reports/learner?learner=awa%40example.org">',
                      self.get(self.admin, "/reports/learners").text)
        self.get(self.admin, "/reports/learner?learner=nobody@example.org", 404)

    def test_an_organisations_coordinator_sees_only_its_learners(self):
        [row] = self.rows(self.ana, "status-by-course")
        self.assertEqual((row["enrolled"], row["completed"]), (2, 1))
        self.assertEqual({r["email"] for r in self.rows(self.ana, "learners")},
                         {"awa@example.org", "bob@example.org"})
        self.get(self.ana, "/reports/learner?learner=awa@example.org")
        self.get(self.ana, "/reports/learner?learner=carla@example.org", 404)
        self.get(self.ana, "/reports/learner-statements.csv?learner=carla@example.org", 404)
        # Asking for another organisation gives nothing of it.
        self.assertEqual(self.rows(self.ana, "status-by-course", "?organisation=MSP"), [])
        self.assertEqual([r["learners"] for r in self.rows(self.ana, "quiz-questions")], [2, 1])
        self.get(self.ana, "/reports/admin", 404)
        page = self.get(self.ana, "/reports").text
        self.assertIn("You see the learners of MAE.", page)
        self.assertNotIn("/reports/admin", page)

    def test_an_administrator_adds_and_removes_a_coordinator_from_the_web(self):
        page = self.get(self.admin, "/reports/admin").text
        self.assertIn("<td>ana@example.org</td><td>MAE</td>", page)
        form = urllib.parse.urlencode({"email": "new@example.org", "organisation": "MSP",
                                       "password": "another long one"}).encode()
        r = self.admin.request("POST", "/reports/admin/coordinator-add", body=form,
                               content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 200)
        self.assertIn("Done: coordinator new@example.org added.", r.text)
        new = login(self.hub, "new@example.org", "another long one")
        self.assertEqual({x["email"] for x in self.rows(new, "learners")},
                         {"carla@example.org", "dan@example.org"})
        # Another site's form is refused.
        form = urllib.parse.urlencode({"email": "new@example.org"}).encode()
        r = self.admin.request("POST", "/reports/admin/coordinator-remove", body=form,
                               content_type="application/x-www-form-urlencoded",
                               headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        r = self.admin.request("POST", "/reports/admin/coordinator-remove", body=form,
                               content_type="application/x-www-form-urlencoded")
        self.assertIn("Done: coordinator new@example.org removed.", r.text)
        r = new.request("GET", "/reports")
        self.assertEqual((r.status, r.header("Location")), (303, "/reports/login"))
        # A credential made and revoked from the page.
        form = urllib.parse.urlencode({"name": "Laptops of MSP",
                                       "scope": "write,read-mine,void-mine"}).encode()
        r = self.admin.request("POST", "/reports/admin/credential-add", body=form,
                               content_type="application/x-www-form-urlencoded")
        m = re.search(r"key: ([0-9a-f]{32}) secret: ([0-9a-f]{64})", r.text)
        self.assertIsNotNone(m, r.text)
        laptop = hl.Client(self.hub, m.group(1), m.group(2))
        self.assertEqual(laptop.post([hl.statement()]).status, 200)
        form = urllib.parse.urlencode({"key": m.group(1)}).encode()
        r = self.admin.request("POST", "/reports/admin/credential-revoke", body=form,
                               content_type="application/x-www-form-urlencoded")
        self.assertIn("revoked", r.text)
        self.assertEqual(laptop.post([hl.statement()]).status, 401)
        # An organisation's coordinator may not use the forms.
        r = self.ana.request("POST", "/reports/admin/coordinator-add", body=form,
                             content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 404)


def choices(page):
    """A page's filter lists: {select name: [its choices, "any" left out]}."""
    return {name: [html.unescape(o) for o in re.findall(r"<option(?: selected)?>([^<]*)</option>",
                                                         opts)]
            for name, opts in re.findall(r'<select[^>]* name="([^"]+)"[^>]*>(.*?)</select>',
                                         page, re.S)}


class Choices(unittest.TestCase):
    """The filters offer each course, organisation and country a coordinator may choose, once
    each and in order, however many learners share them; the pages count every statement."""

    def test_choices_and_count(self):
        db = hl.make_hub_db(self)
        db.coordinator("admin@example.org")
        db.run("coordinator", "add", "ana@example.org", "--org", "MAE",
               env={"RELAIS_HUB_PASSWORD": hl.PASSWORD})
        db.run("organisation", "set", "MAE", "--country", "SN")
        db.run("organisation", "set", "MSP", "--country", "FR")
        hub = hl.start_hub(self, db)
        laptop = hl.Client(hub, *db.credentials("laptop", "write,read-all,void-all"))
        sts = [st("p%d@%s.example.org" % (i, org), "experienced", course + "/lesson", org, "2026-01-05")
               for i in range(3)
               for course, org in (("c3", "MAE"), ("c1", "MSP"), ("c2", "MAE"), ("c1", "MAE"),
                                   ("c4", "OMS"), ("c2", "OMS"))]
        self.assertEqual(laptop.post(sts).status, 200)
        self.assertEqual(laptop.post(sts[:5]).status, 200)  # held already: not counted again
        self.assertEqual(laptop.post([hl.voiding(sts[0]["id"])]).status, 200)
        page = self.get(login(hub, "admin@example.org"), "/reports?course=c2")
        self.assertEqual(choices(page), {"course": ["c1", "c2", "c3", "c4"],
                                         "organisation": ["MAE", "MSP", "OMS"],
                                         "country": ["FR", "SN"]})
        self.assertIn("<option selected>c2</option>", page)
        self.assertIn("19 learning records stored.", page)
        page = self.get(login(hub, "ana@example.org"), "/reports/learners")
        self.assertEqual(choices(page), {"course": ["c1", "c2", "c3"],
                                         "organisation": ["MAE"], "country": ["SN"]})
        self.assertIn("19 learning records stored.", page)

    def get(self, b, path):
        r = b.request("GET", path)
        self.assertEqual(r.status, 200, (path, r.text[:300]))
        return r.text


class Migration(unittest.TestCase):
    """A hub made before migration 14 gets its reports' tables filled from what it holds."""

    @hl.SQLITE_ONLY
    def test_reports_of_statements_stored_before(self):
        db = hl.make_hub_db(self)
        db.coordinator("admin@example.org")
        hub = hl.Hub(db)
        laptop = hl.Client(hub, *db.credentials("laptop", "write,read-all,void-all"))
        done = st("awa@example.org", "completed", "c1", "MAE", "2026-01-10")
        self.assertEqual(laptop.post([
            st("awa@example.org", "experienced", "c1/lesson", "MAE", "2026-01-05"),
            answer("awa@example.org", "q1", False, "MAE", "2026-01-06"), done,
            st("bob@example.org", "experienced", "c1/lesson", "MAE", "2026-01-08"),
            st("bob@example.org", "completed", "c1", "MAE", "2026-01-09")]).status, 200)
        self.assertEqual(laptop.post([hl.voiding(done["id"])]).status, 200)
        before = {n: self.rows(hub, n) for n in hl.REPORTS}
        hub.stop()
        con = sqlite3.connect(db.db)
        con.executescript("DROP TABLE learner_course; DROP TABLE activity_learner; DROP TABLE activity_tally;"
                          "DROP TABLE unscored_answer;"
                          "ALTER TABLE coordinator DROP COLUMN organisation;"
                          # and what later migrations added (a hub before 14 had none of it)
                          "ALTER TABLE course_session DROP COLUMN cohort;"
                          "DROP TABLE coordinator_session; DROP TABLE course_tally; DROP TABLE course_day_tally;"
                          "DROP TABLE learner;"
                          "DROP TABLE activity_day_tally; DROP TABLE activity_month_tally;"
                          "DROP TABLE course_month_tally;"
                          "DROP TABLE activity_day_total; DROP TABLE activity_month_total;"
                          "DROP TABLE activity_day_country; DROP TABLE activity_month_country;"
                          # after the tallies, whose triggers read it as they are emptied
                          "DROP TABLE organisation;"
                          "PRAGMA user_version = %d;" % (hl.REPORTS_MIGRATION - 1))
        con.close()
        # The first command of a newer relais-hub brings the hub up to date, and says so: a
        # big hub takes minutes, and must not look hung.
        p = hl.run(["credentials", "list", "--db", db.db])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"upgrading the hub database from version %d to \d+: .* "
                         r"takes minutes" % (hl.REPORTS_MIGRATION - 1))
        self.assertEqual(hl.run(["credentials", "list", "--db", db.db]).stderr, "")
        hub = hl.start_hub(self, db)
        after = {n: self.rows(hub, n) for n in hl.REPORTS}
        self.assertEqual(after, before)
        self.assertEqual([(r["enrolled"], r["completed"]) for r in after["status-by-course"]],
                         [(2, 1)])
        self.assertEqual(after["quiz-questions"][0]["learners_missed"], 1)

    def rows(self, hub, name):
        b = login(hub, "admin@example.org")
        r = b.request("GET", "/reports/%s.json" % name)
        self.assertEqual(r.status, 200, r)
        return r.json()


if __name__ == "__main__":
    testlib.main()
