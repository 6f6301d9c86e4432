#!/usr/bin/env python3
"""test_cli.py: relais-hub's commands as a coordinator types them: help and usage errors,
credentials and coordinators, the reports as CSV and JSON, and records carried on a USB stick
imported under the same id rules as the network."""
import csv
import io
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

COMMANDS = ["serve", "credentials", "coordinator", "report", "import", "copy"]


def db_bytes(home):
    return home.dump()


class Usage(unittest.TestCase):
    def test_help_lists_the_commands(self):
        for args in (["--help"], ["-h"], ["help"]):
            with self.subTest(args=args):
                p = hl.run(args)
                self.assertEqual(p.returncode, 0, p.stderr)
                for c in COMMANDS:
                    self.assertRegex(p.stdout, r"(?m)^  %s\s" % c)
                self.assertIn("Exit status", p.stdout)

    def test_version(self):
        for flag in ("--version", "-V"):
            p = hl.run([flag])
            self.assertEqual(p.returncode, 0)
            self.assertRegex(p.stdout, r"^relais-hub \d+\.\d+\.\d+\n$")

    def test_help_command(self):
        for c in COMMANDS:
            with self.subTest(command=c):
                p = hl.run(["help", c])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertTrue(p.stdout.startswith("usage: relais-hub %s" % c), p.stdout)
                self.assertIn("--db", p.stdout)
                for flag in ("--help", "-h"):
                    q = hl.run([c, flag])
                    self.assertEqual((q.returncode, q.stdout, q.stderr), (0, p.stdout, ""))

    def test_usage_errors_exit_2(self):
        home = hl.make_hub_db(self)
        cases = [
            ([], "usage"), (["frobnicate"], "unknown command 'frobnicate'"),
            (["help", "frobnicate"], "unknown command 'frobnicate'"),
            (["credentials", "add"], "credentials add --name"),
            (["credentials", "remove", "--name", "x"], "credentials add --name"),
            (["coordinator", "add"], "coordinator add --email"),
            (["report", "--format", "xml"], "--format"),
            (["report", "--bogus"], "unknown option '--bogus'"),
            (["import"], "records file"), (["import", "a", "b"], "records file"),
            (["serve", "--listen", "nowhere"], "--listen"),
            (["serve", "--listen", "127.0.0.1:99999"], "--listen"),
            (["serve", "--db"], "needs a value"),
            (["copy"], "--from PATH"),
            (["copy", "--from", "hub.db", "--db", "other.db"], "PostgreSQL"),
            (["copy", "--from", "hub.db", "extra"], "unexpected argument 'extra'"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                extra = ["--db", home.db] if args and args[0] != "help" and \
                    "--db" not in args else []
                p = hl.run(args + extra)
                self.assertEqual(p.returncode, 2, (p.stdout, p.stderr))
                self.assertIn(message, p.stderr)
                self.assertEqual(p.stdout, "")


class Credentials(unittest.TestCase):
    def test_add_prints_a_key_and_a_secret_once(self):
        home = hl.make_hub_db(self)
        p = home.run("credentials", "add", "--name", "Laptop of Ama")
        m = re.fullmatch(r"key:\s+([0-9a-f]{32})\nsecret:\s+([0-9a-f]{64})\n"
                         r"scopes:\s+write,read-mine,void-mine\n", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        key, secret = m.groups()
        self.assertIn("shown only now", p.stderr)
        self.assertIn("Laptop of Ama", p.stderr)
        data = db_bytes(home)
        self.assertIn(key.encode(), data)
        self.assertNotIn(secret.encode(), data, "the secret is kept in the database")
        key2, secret2 = home.credentials("second")
        self.assertNotEqual(key, key2)
        self.assertNotEqual(secret, secret2)
        # both work, and neither secret opens the other key
        hub = hl.start_hub(self, home)
        self.assertEqual(hl.Client(hub, key, secret).get().status, 200)
        self.assertEqual(hl.Client(hub, key2, secret2).get().status, 200)
        self.assertEqual(hl.Client(hub, key, secret2).get().status, 401)

    def test_empty_name_is_refused(self):
        home = hl.make_hub_db(self)
        p = home.run("credentials", "add", "--name", "", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("name", p.stderr)
        self.assertEqual(p.stdout, "")


class Coordinator(unittest.TestCase):
    def test_add_with_password_from_the_environment(self):
        home = hl.make_hub_db(self)
        p = home.run("coordinator", "add", "--email", "c@x.org",
                     env={"RELAIS_HUB_PASSWORD": "long enough pw"})
        self.assertIn("c@x.org", p.stdout)
        self.assertNotIn(b"long enough pw", db_bytes(home))
        # adding again sets a new password
        home.run("coordinator", "add", "--email", "c@x.org",
                 env={"RELAIS_HUB_PASSWORD": "another password"})
        hub = hl.start_hub(self, home)
        for password, status in [("long enough pw", 401), ("another password", 303)]:
            b = hl.Client(hub, version=None)
            r = b.request("POST", "/reports/login",
                          body=("email=c%%40x.org&password=%s" % password.replace(" ", "+"))
                          .encode(), content_type="application/x-www-form-urlencoded")
            self.assertEqual(r.status, status, (password, r))

    def test_refusals(self):
        home = hl.make_hub_db(self)
        for email, password, message in [("c@x.org", "short", "at least 10 characters"),
                                         ("c@x.org", "123456789", "at least 10 characters"),
                                         ("not-an-email", "long enough pw", "email")]:
            with self.subTest(email=email, password=password):
                p = home.run("coordinator", "add", "--email", email,
                             env={"RELAIS_HUB_PASSWORD": password}, check=False)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(message, p.stderr)
                self.assertEqual(p.stdout, "")
        # no password at all, and no terminal to ask on
        p = home.run("coordinator", "add", "--email", "c@x.org", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("RELAIS_HUB_PASSWORD", p.stderr)


records_file = hl.records_file


def laptop_statements():
    """What one laptop recorded: lessons, a quiz, and completions."""
    out = []
    for i, who in enumerate(["ama", "kofi", "esi"]):
        email = "%s@example.org" % who
        for unit in ("intro", "practice"):
            st = hl.statement(who, "experienced",
                              hl.activity(hl.RELAIS_ACTIVITIES + "mh/" + unit, name=unit))
            st["actor"] = {"objectType": "Agent", "name": who.title(),
                           "mbox": "mailto:" + email}
            out.append(st)
        quiz = hl.statement(who, "passed" if i < 2 else "failed",
                            hl.activity(hl.RELAIS_ACTIVITIES + "mh/evaluation", name="Quiz"),
                            result={"score": {"scaled": 0.8 if i < 2 else 0.2, "raw": 4,
                                              "min": 0, "max": 5}, "success": i < 2})
        quiz["actor"] = {"objectType": "Agent", "name": who.title(), "mbox": "mailto:" + email}
        out.append(quiz)
        if i < 2:
            out.append(hl.completion("mh", email, who.title(), "MAE",
                                     "2026-11-2%dT09:00:00.000Z" % (i + 1)))
    return out


class Reports(unittest.TestCase):
    def test_empty_hub_reports(self):
        home = hl.make_hub_db(self)
        doc = home.report_json()
        self.assertEqual(sorted(doc), sorted(hl.REPORTS))
        self.assertTrue(all(doc[t] == [] for t in hl.REPORTS), doc)
        out = home.run("report").stdout
        self.assertEqual(re.findall(r"(?m)^# (\S+)$", out), hl.REPORTS)

    def test_report_csv_and_json_agree(self):
        home = hl.make_hub_db(self)
        path = os.path.join(home.root, "records.json.gz")
        records_file(path, laptop_statements(), home.laptop_key())
        home.run("import", path)
        doc = home.report_json()
        self.assertEqual(doc["completions-by-course"],
                         [{"course": "mh", "completions": 2, "learners": 3}])
        self.assertEqual(doc["completions-by-organisation"],
                         [{"organisation": "MAE", "course": "mh", "completions": 2}])
        self.assertEqual([(r["learner"], r["email"], r["completed"])
                          for r in doc["completions-by-learner"]],
                         [("Ama", "ama@example.org", "2026-11-21T09:00:00.000Z"),
                          ("Kofi", "kofi@example.org", "2026-11-22T09:00:00.000Z")])
        quiz = doc["quiz-results"]
        self.assertEqual(len(quiz), 1)
        self.assertEqual((quiz[0]["quiz"], quiz[0]["attempts"], quiz[0]["passed"],
                          quiz[0]["learners"], quiz[0]["learners_passed"]),
                         ("evaluation", 3, 2, 3, 2))
        self.assertAlmostEqual(quiz[0]["average_score"], 0.6, places=3)
        for table in hl.REPORTS:
            with self.subTest(table=table):
                out = home.run("report", "--format", "csv", "--table", table).stdout
                rows = list(csv.DictReader(io.StringIO(out)))
                self.assertEqual(len(rows), len(doc[table]))
                for row, obj in zip(rows, doc[table]):
                    self.assertEqual(sorted(row), sorted(obj))
                    for k, v in obj.items():
                        if isinstance(v, str):
                            self.assertEqual(row[k], v)
                        else:
                            self.assertAlmostEqual(float(row[k]), v)
                one = json.loads(home.run("report", "--format", "json", "--table",
                                          table).stdout)
                self.assertEqual(one, doc[table])

    def test_unknown_table(self):
        home = hl.make_hub_db(self)
        p = home.run("report", "--table", "nonsense", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no report called nonsense", p.stderr)


class Import(unittest.TestCase):
    def test_import_then_again_then_the_network(self):
        home = hl.make_hub_db(self)
        key, secret = home.credentials()
        laptop = home.laptop_key(key)
        sts = laptop_statements()
        path = os.path.join(home.root, "usb.json.gz")
        records_file(path, sts, laptop)
        p = home.run("import", path)
        self.assertEqual(p.stdout.strip(), "%s: %d statements stored, 0 already held"
                         % (path, len(sts)))
        p = home.run("import", path)
        self.assertEqual(p.stdout.strip(), "%s: 0 statements stored, %d already held"
                         % (path, len(sts)))
        hub = hl.start_hub(self, home)
        c = hl.Client(hub, key, secret)
        before = {s["id"]: s for s in c.query_all({"limit": "0"})[0]}
        self.assertEqual(sorted(before), sorted(st["id"] for st in sts))
        for st in sts:
            self.assertEqual(hl.without_server_fields(before[st["id"]]), st)
            self.assertEqual(before[st["id"]]["authority"]["name"], "test laptop")
            self.assertEqual(before[st["id"]]["authority"]["account"]["name"], key)
        r = c.post(sts)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [st["id"] for st in sts])
        for st in sts[:3]:
            self.assertEqual(c.put(st["id"], st).status, 204)
        after = {s["id"]: s for s in c.query_all({"limit": "0"})[0]}
        self.assertEqual(after, before, "the network changed statements the stick brought")
        # a statement changed since the stick was made is a conflict, and changes nothing
        changed = dict(sts[0], verb=hl.verb("attempted"))
        self.assertEqual(c.post(changed).status, 409)
        hub.stop()
        records_file(path, [hl.statement("new")] + [changed], laptop)
        p = home.run("import", path, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("other content", p.stderr)
        self.assertEqual(len(home.report_json()["completions-by-learner"]), 2)

    def test_network_first_then_import(self):
        home = hl.make_hub_db(self)
        key, secret = home.credentials()
        sts = laptop_statements()
        hub = hl.start_hub(self, home)
        hl.Client(hub, key, secret).store(sts[:4])
        path = os.path.join(home.root, "usb.json.gz")
        records_file(path, sts, home.laptop_key(key))
        p = home.run("import", path)
        self.assertIn("%d statements stored, 4 already held" % (len(sts) - 4), p.stdout)

    def test_bad_files_store_nothing(self):
        home = hl.make_hub_db(self)
        laptop = home.laptop_key()
        d = home.root
        good = hl.statement()
        bad = hl.statement()
        bad["verb"]["id"] = "nope"
        plain = os.path.join(d, "plain.json")
        with open(plain, "w") as f:
            json.dump({"format": "relais-records", "version": 1, "statements": [good]}, f)
        cases = [
            ("missing", os.path.join(d, "absent.gz"), None),
            ("not gzip", plain, None),
            ("wrong format", os.path.join(d, "f.gz"), dict(fmt="other-records")),
            ("wrong version", os.path.join(d, "v.gz"), dict(version=1)),
            ("one invalid statement", os.path.join(d, "i.gz"), dict(statements=[good, bad])),
        ]
        for what, path, kw in cases:
            with self.subTest(what):
                if kw is not None:
                    kw = dict(kw)
                    records_file(path, kw.pop("statements", [good]), laptop, **kw)
                p = home.run("import", path, check=False)
                self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
                self.assertTrue(p.stderr.startswith("relais-hub: "), p.stderr)
                self.assertEqual(p.stdout, "")
        key, secret = home.credentials("reports", scope="read-all")
        hub = hl.start_hub(self, home)
        self.assertEqual(hl.Client(hub, key, secret).ids({}), [], "a refused file left records")

    def test_import_names_the_invalid_statement(self):
        home = hl.make_hub_db(self)
        bad = hl.statement()
        bad["verb"]["id"] = "nope"
        path = os.path.join(home.root, "bad.gz")
        records_file(path, [hl.statement(), bad], home.laptop_key())
        p = home.run("import", path, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("statements[1].verb.id", p.stderr)


if __name__ == "__main__":
    testlib.main()
