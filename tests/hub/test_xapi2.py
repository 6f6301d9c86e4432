#!/usr/bin/env python3
"""test_xapi2.py: relais-hub speaking xAPI 2.0 (IEEE 9274.1.1) beside 1.0.3, as a client
sees it: the version header each request is answered with, About, and the rules that differ
(contextAgents and contextGroups, the statement's version, Last-Modified on a statement,
concurrency on State, no alternate request syntax, durations compared to 0.01 s). Each test names the requirement of xAPI
2.0 (section numbers as ADL's conformance suite, test/v2_0, names them) or the XAPI-00nnn id
it covers; the same request in 1.0.3 keeps 1.0.3's answer."""
import calendar
import email.utils
import json
import os
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

V2 = "2.0.0"
STATE = "/xapi/activities/state"


def context_agent(who="p1"):
    return {"objectType": "contextAgent",
            "agent": {"objectType": "Agent", "mbox": "mailto:%s@example.org" % who},
            "relevantTypes": ["https://example.org/types/player"]}


def context_group():
    return {"objectType": "contextGroup",
            "group": {"objectType": "Group", "mbox": "mailto:team@example.org",
                      "member": [{"mbox": "mailto:p2@example.org"}]},
            "relevantTypes": ["https://example.org/types/team"]}


class Xapi2Case(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("xapi2", scope="write,read-all,void-all")
        cls.hub = hl.start_hub(cls, cls.home)
        cls.v1 = hl.Client(cls.hub, cls.key, cls.secret)
        cls.v2 = hl.Client(cls.hub, cls.key, cls.secret, version=V2)

    def assert_answer(self, r, status, version, what):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        self.assertEqual(r.header("X-Experience-API-Version"), version,
                         "%s: X-Experience-API-Version" % what)


class Versions(Xapi2Case):
    # 4.1.6.7 (About): version lists 2.0.0 beside 1.0.3; About needs no version header.
    def test_about_lists_2_0_0_and_1_0_3(self):
        for c in (self.v1, self.v2):
            r = c.about(auth=False)
            self.assertEqual(r.status, 200, r)
            versions = r.json()["version"]
            self.assertIn("2.0.0", versions)
            self.assertIn("1.0.3", versions)

    # Communication 3.3 (XAPI-00331, 00333): 2.0 and 2.0.x are spoken and answered 2.0.0,
    # on every resource and on refusals too; 1.0.x is answered 1.0.3 as before.
    def test_each_request_is_answered_in_its_version(self):
        for version, answer in [("2.0.0", V2), ("2.0", V2), ("2.0.3", V2), ("1.0.3", "1.0.3"),
                                ("1.0", "1.0.3")]:
            with self.subTest(version=version):
                c = hl.Client(self.hub, self.key, self.secret, version=version)
                st = hl.statement()
                self.assert_answer(c.post(st), 200, answer, "POST")
                self.assert_answer(c.put(str(uuid.uuid4()), hl.statement(with_id=False)), 204,
                                   answer, "PUT")
                self.assert_answer(c.get({"statementId": st["id"]}), 200, answer, "GET")
                self.assert_answer(c.get({"statementId": str(uuid.uuid4())}), 404, answer,
                                   "GET of no statement")
                self.assert_answer(c.post({"actor": 1}), 400, answer, "bad statement")
                self.assert_answer(c.about(), 200, answer, "about")
                p = {"activityId": "https://example.org/a", "stateId": uuid.uuid4().hex,
                     "agent": json.dumps({"mbox": "mailto:a@example.org"})}
                self.assert_answer(c.request("GET", STATE + "?" + urllib.parse.urlencode(p)),
                                   404, answer, "GET state")

    # Communication 3.3: anything but 1.0.x and 2.0.x is refused with 400 (the answer then
    # says 1.0.3, as before: see docs/hub.md).
    def test_other_versions_are_refused(self):
        for version in [None, "2.1.0", "3.0.0", "2.0.x", "2.0.", "20"]:
            with self.subTest(version=version):
                c = hl.Client(self.hub, self.key, self.secret, version=version)
                st = hl.statement()
                self.assert_answer(c.post(st), 400, "1.0.3", "POST")
                self.assertIsNone(self.v2.statement(st["id"]))


class Statements(Xapi2Case):
    # Data 2.4.6 (2.0): contextAgents is a list of contextAgent objects, contextGroups of
    # contextGroup objects; kept as sent; 1.0.3 does not know them.
    def test_context_agents_and_groups_are_2_0_only(self):
        st = hl.statement(context={"contextAgents": [context_agent()],
                                   "contextGroups": [context_group()]})
        r = self.v1.post(st)
        self.assert_answer(r, 400, "1.0.3", "1.0.3 POST with contextAgents")
        self.assertIn("contextAgents", r.error())
        self.assertIsNone(self.v2.statement(st["id"]))
        self.v2.store(st)
        got = self.v2.statement(st["id"])
        self.assertEqual(got["context"]["contextAgents"], [context_agent()])
        self.assertEqual(got["context"]["contextGroups"], [context_group()])
        # The same statement again is the same statement.
        self.assert_answer(self.v2.put(st["id"], st), 204, V2, "PUT of the same statement")

    # Data 2.4.6 (2.0), the suite's contextagents.js and contextgroups.js refusals; also in
    # a SubStatement's context.
    def test_malformed_context_agents_and_groups_are_400(self):
        agent = {"objectType": "Agent", "mbox": "mailto:a@example.org"}
        cases = [
            ("contextAgents", [dict(context_agent(), objectType="Should fail")], "objectType"),
            ("contextAgents", [{"objectType": "contextAgent", "agent": {"key": "x"}}], "key"),
            ("contextAgents", [dict(context_agent(), relevantTypes=[])], "relevantTypes"),
            ("contextAgents", [dict(context_agent(), relevantTypes=["abc"])], "relevantTypes"),
            ("contextAgents", [{"objectType": "contextAgent"}], "agent"),
            ("contextAgents", context_agent(), "contextAgents"),
            ("contextGroups", [{"objectType": "contextGroup", "group": agent}], "group"),
            ("contextGroups", [dict(context_group(), objectType="contextAgent")], "objectType"),
        ]
        for field, value, named in cases:
            for sub in (False, True):
                with self.subTest(field=field, value=value, substatement=sub):
                    ctx = {field: value}
                    if sub:
                        inner = hl.statement(with_id=False, context=ctx)
                        inner.pop("timestamp", None)
                        inner["objectType"] = "SubStatement"
                        st = hl.statement(obj=inner)
                    else:
                        st = hl.statement(context=ctx)
                    r = self.v2.post(st)
                    self.assert_answer(r, 400, V2, "POST")
                    self.assertIn(named, r.error())

    # Agents named in contextAgents are agents the statement is related to.
    def test_context_agents_count_for_related_agents(self):
        who = uuid.uuid4().hex
        st = hl.statement(context={"contextAgents": [context_agent(who)]})
        self.v2.store(st)
        agent = {"objectType": "Agent", "mbox": "mailto:%s@example.org" % who}
        self.assertEqual(self.v2.ids({"agent": agent, "related_agents": "true"}), [st["id"]])
        self.assertEqual(self.v2.ids({"agent": agent}), [])

    # Data 2.4.10 (2.0; XAPI-00332): 2.0.x is accepted and kept; a statement without one is
    # 2.0.0 in 2.0 and 1.0.0 in 1.0.3; 1.0.3 refuses 2.0.0.
    def test_statement_version(self):
        for version in ["2.0.0", "2.0", "1.0.3"]:
            with self.subTest(version=version):
                st = hl.statement(version=version)
                self.v2.store(st)
                self.assertEqual(self.v2.statement(st["id"])["version"], version)
        for version in ["3.0.0", "2.1.0", "2.0.x"]:
            with self.subTest(version=version):
                r = self.v2.post(hl.statement(version=version))
                self.assert_answer(r, 400, V2, "version " + version)
                self.assertIn("version", r.error())
        r = self.v1.post(hl.statement(version="2.0.0"))
        self.assert_answer(r, 400, "1.0.3", "1.0.3 POST of version 2.0.0")
        for c, default in [(self.v2, "2.0.0"), (self.v1, "1.0.0")]:
            st = hl.statement()
            st.pop("version", None)
            c.store(st)
            self.assertEqual(c.statement(st["id"])["version"], default)

    # Communication 2.1.3.s2.b8 (2.0): GET of one statement has a Last-Modified which is its
    # stored time (to the second, as HTTP dates go).
    def test_single_statement_has_last_modified(self):
        st = hl.statement()
        self.v2.store(st)
        for c in (self.v2, self.v1):
            r = c.get({"statementId": st["id"]})
            self.assertEqual(r.status, 200, r)
            modified = r.header("Last-Modified")
            self.assertRegex(modified or "",
                             r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
            stored = hl.parse_time(r.json()["stored"])
            self.assertEqual(calendar.timegm(email.utils.parsedate(modified)), int(stored))


class Durations(Xapi2Case):
    # 4.2.7 (2.0; 1.0.3 Data 4.6): durations are compared to 0.01 s. A statement sent again
    # with its duration cut to hundredths is the same statement; another hundredth is not.
    def test_statements_compare_durations_to_hundredths(self):
        for c in (self.v2, self.v1):
            with self.subTest(version=c.version):
                st = hl.statement(result={"duration": "P1DT12H36M0.1237S"})
                c.store(st)
                again = dict(st, result={"duration": "P1DT12H36M0.12S"})
                self.assert_answer(c.post(again), 200, c.version, "same to 0.01 s")
                self.assert_answer(c.put(st["id"], again), 204, c.version, "PUT of it")
                other = dict(st, result={"duration": "P1DT12H36M0.13S"})
                self.assert_answer(c.post(other), 409, c.version, "another hundredth")
                # What was stored first is kept, every digit of it.
                self.assertEqual(c.statement(st["id"])["result"]["duration"],
                                 "P1DT12H36M0.1237S")


class Documents(Xapi2Case):
    def put_state(self, c, p, body, headers=None):
        return c.request("PUT", STATE + "?" + urllib.parse.urlencode(p), body=body,
                         headers=headers)

    # 4.1.4 Concurrency (2.0): a PUT without If-Match or If-None-Match to a State document
    # that exists is 409, with a message, and changes nothing; a new one is stored. In
    # 1.0.3, State takes such PUTs as before.
    def test_state_put_without_precondition_on_an_existing_document(self):
        p = {"activityId": "https://example.org/a/" + uuid.uuid4().hex, "stateId": "s",
             "agent": json.dumps({"mbox": "mailto:s@example.org"})}
        self.assert_answer(self.put_state(self.v2, p, b'{"v": 1}'), 204, V2, "new state")
        r = self.put_state(self.v2, p, b'{"v": 2}')
        self.assert_answer(r, 409, V2, "PUT over it")
        self.assertIn("If-Match", r.error())
        got = self.v2.request("GET", STATE + "?" + urllib.parse.urlencode(p))
        self.assertEqual(json.loads(got.body), {"v": 1})
        self.assert_answer(self.put_state(self.v2, p, b'{"v": 3}',
                                          headers={"If-Match": got.header("ETag")}),
                           204, V2, "PUT with its ETag")
        self.assert_answer(self.put_state(self.v1, p, b'{"v": 4}'), 204, "1.0.3", "1.0.3 PUT")

    # Communication 1.3 is gone from 2.0: the alternate request syntax is refused with 400
    # when the request says 2.0, in its headers or in its form; 1.0.3 keeps it.
    def test_no_alternate_request_syntax_in_2_0(self):
        p = {"activityId": "https://example.org/a/" + uuid.uuid4().hex, "stateId": "alt",
             "agent": json.dumps({"mbox": "mailto:alt@example.org"}), "content": "{}"}
        for c, form_version, status in [(self.v2, None, 400), (self.v1, "2.0.0", 400),
                                        (self.v1, "1.0.3", 204)]:
            with self.subTest(header=c.version, form=form_version):
                form = dict(p)
                if form_version:
                    form["X-Experience-API-Version"] = form_version
                r = c.request("POST", STATE + "?method=PUT",
                              body=urllib.parse.urlencode(form).encode(),
                              content_type="application/x-www-form-urlencoded",
                              version=form_version is None)
                self.assertEqual(r.status, status, r)


if __name__ == "__main__":
    testlib.main()
