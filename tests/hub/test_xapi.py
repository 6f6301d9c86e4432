#!/usr/bin/env python3
"""test_xapi.py: relais-hub's xAPI 1.0.3 Statement and About resources as an LRS client sees
them: what is stored, what is refused and why, the id rules, voiding, queries and paging.
Cases follow the areas of ADL's LRS conformance test suite (test/v1_0_3), written anew."""
import copy
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402


class HubCase(unittest.TestCase):
    """One hub for the class; each test uses statements of its own."""

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("conformance")
        cls.hub = hl.start_hub(cls, cls.home)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)

    def assert_xapi_headers(self, r, what):
        self.assertEqual(r.header("X-Experience-API-Version"), hl.XAPI_VERSION,
                         "%s: X-Experience-API-Version of %r" % (what, r))

    def assert_refused(self, r, status, field, what):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        self.assert_xapi_headers(r, what)
        if field is not None:
            self.assertIn(field, r.error(), "%s: the message does not name %s" % (what, field))

    def unique_verb(self):
        return "https://example.org/verbs/" + uuid.uuid4().hex


class About(HubCase):
    # XAPI-00315..00319, 00331 (About needs no version header)
    def test_about_lists_the_versions(self):
        for version in (True, False):
            with self.subTest(version_header=version):
                r = self.c.about(version=version, auth=False)
                self.assertEqual(r.status, 200, r)
                self.assert_xapi_headers(r, "about")
                self.assertTrue(r.header("Content-Type").startswith("application/json"))
                versions = r.json()["version"]
                self.assertIsInstance(versions, list)
                self.assertIn("1.0.3", versions)
                self.assertIn("2.0.0", versions)
                for v in versions:
                    self.assertIn(v, ["0.9", "0.95", "1.0.0", "1.0.1", "1.0.2", "1.0.3",
                                      "2.0.0"])


class Versions(HubCase):
    # XAPI-00331, 00333
    def test_missing_or_unsupported_version_header_is_refused(self):
        st = hl.statement()
        for version in [None, "", "0.9", "0.95", "1.1.0", "2.1.0", "3.0.0", "1.0x", "1",
                        "banana"]:
            with self.subTest(version=version):
                c = hl.Client(self.hub, self.key, self.secret, version=version)
                for r, what in [(c.post(st), "POST"), (c.put(st["id"], st), "PUT"),
                                (c.get({"statementId": st["id"]}), "GET")]:
                    self.assert_refused(r, 400, "X-Experience-API-Version", what)
        self.assertIsNone(self.c.statement(st["id"]), "stored despite a refused version")

    def test_every_1_0_version_is_accepted(self):
        for version in ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3"]:
            with self.subTest(version=version):
                c = hl.Client(self.hub, self.key, self.secret, version=version)
                st = hl.statement()
                r = c.post(st)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("X-Experience-API-Version"), "1.0.3")
                self.assertEqual(c.statement(st["id"])["id"], st["id"])

    def test_version_header_on_every_xapi_response(self):
        st = hl.statement()
        conflict = dict(st, verb=hl.verb("attempted"))
        stranger = hl.Client(self.hub, "0" * 32, "0" * 64)
        cases = [
            ("POST 200", self.c.post(st), 200),
            ("POST 200 again", self.c.post(st), 200),
            ("POST 409", self.c.post(conflict), 409),
            ("PUT 204", self.c.put(str(uuid.uuid4()), hl.statement(with_id=False)), 204),
            ("POST 400", self.c.post({"actor": 1}), 400),
            ("GET 200", self.c.get({"statementId": st["id"]}), 200),
            ("GET 404", self.c.get({"statementId": str(uuid.uuid4())}), 404),
            ("GET 400", self.c.get({"nonsense": "1"}), 400),
            ("GET 401", stranger.get(), 401),
            ("no such resource", self.c.request("GET", "/xapi/no-such-resource"), 404),
        ]
        for what, r, status in cases:
            with self.subTest(what):
                self.assertEqual(r.status, status, "%s: %r" % (what, r))
                self.assert_xapi_headers(r, what)

    def test_every_error_body_is_json_naming_the_problem(self):
        st = hl.statement()
        cases = [
            ("missing version", self.c.post(st, version=False), 400),
            ("bad credentials", hl.Client(self.hub, "k", "s").post(st), 401),
            ("no such resource", self.c.request("GET", "/xapi/no-such-resource"), 404),
            ("wrong content type", self.c.post(st, content_type="text/plain"), 400),
            ("not gzip", self.c.post(b"plain", headers={"Content-Encoding": "gzip"}), 400),
            ("other encoding", self.c.post(b"x", headers={"Content-Encoding": "br"}), 415),
            ("invalid statement", self.c.post({"actor": 1}), 400),
        ]
        for what, r, status in cases:
            with self.subTest(what):
                self.assertEqual(r.status, status, r)
                self.assertTrue(r.header("Content-Type").startswith("application/json"), r)
                try:
                    doc = json.loads(r.body)
                except ValueError:
                    self.fail("%s: the body is not JSON: %r" % (what, r.body))
                self.assertIsInstance(doc.get("error"), str, r)
                self.assertNotEqual(doc["error"], "")

    def test_version_header_on_method_not_allowed(self):
        # Communication 3.2 (405 for a method not in the spec) with Communication 3.3
        # (the version header in every response).
        r = self.c.request("DELETE", "/xapi/statements?statementId=" + str(uuid.uuid4()))
        self.assertEqual(r.status, 405, r)
        self.assert_xapi_headers(r, "DELETE")


class Post(HubCase):
    # XAPI-00139, 00146, 00147, 00326
    def test_single_statement_returns_its_id_and_is_stored_as_sent(self):
        st = hl.statement("aicha")
        r = self.c.post(st)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [st["id"]])
        got = self.c.statement(st["id"])
        self.assertEqual(hl.without_server_fields(got), st)

    def test_batch_returns_ids_in_order(self):
        sts = [hl.statement("b%d" % i) for i in range(3)]
        sts[1] = hl.statement("b1", with_id=False)
        ids = self.c.store(sts)
        self.assertEqual(len(ids), 3)
        self.assertEqual(ids[0], sts[0]["id"])
        self.assertEqual(ids[2], sts[2]["id"])
        self.assertTrue(hl.is_uuid(ids[1]), ids)
        for i, sid in enumerate(ids):
            got = self.c.statement(sid)
            self.assertEqual(got["actor"]["mbox"], "mailto:b%d@example.org" % i)

    def test_id_is_assigned_when_absent(self):
        st = hl.statement(with_id=False)
        first = self.c.store(st)
        second = self.c.store(st)
        self.assertTrue(hl.is_uuid(first[0]), first)
        self.assertNotEqual(first, second, "two statements without ids got the same id")
        got = self.c.statement(first[0])
        self.assertEqual(got["id"], first[0])
        self.assertEqual(hl.without_server_fields(got), dict(st, id=first[0]))

    def test_one_invalid_statement_refuses_the_whole_batch(self):
        good = [hl.statement(), hl.statement()]
        bad = hl.statement()
        bad["verb"]["id"] = "should fail"
        r = self.c.post(good + [bad])
        self.assert_refused(r, 400, "statements[2].verb.id", "batch with a bad third")
        for st in good + [bad]:
            self.assertIsNone(self.c.statement(st["id"]), "part of a refused batch was kept")

    def test_one_conflicting_statement_refuses_the_whole_batch(self):
        held = self.c.store(hl.statement())[0]
        fresh = hl.statement()
        clash = self.c.statement(held)
        clash = dict(hl.without_server_fields(clash), verb=hl.verb("failed"))
        r = self.c.post([fresh, clash])
        self.assert_refused(r, 409, held, "batch with a conflict")
        self.assertIsNone(self.c.statement(fresh["id"]), "part of a refused batch was kept")
        self.assertEqual(self.c.statement(held)["verb"]["id"], hl.VERB + "experienced")

    def test_same_id_twice_in_a_batch_is_refused(self):
        a = hl.statement()
        b = hl.statement(id=a["id"].upper(), verb=hl.verb("attempted"))
        r = self.c.post([a, b])
        self.assert_refused(r, 400, a["id"], "duplicate ids")
        self.assertIsNone(self.c.statement(a["id"]))

    def test_empty_batch_and_non_statements_are_refused(self):
        for body in [[], [1], ["x"], [None], 7, "statement", None]:
            with self.subTest(body=body):
                r = self.c.post(json.dumps(body).encode())
                self.assert_refused(r, 400, None, repr(body))

    def test_stored_and_authority_are_set_by_the_hub(self):
        # Data 2.4.8 / 2.4.9: the LRS sets stored and authority, whatever the client says.
        st = hl.statement(stored="2001-01-01T00:00:00Z",
                          authority={"objectType": "Agent", "mbox": "mailto:forger@example.org"})
        before = time.time()
        self.c.store(st)
        after = time.time()
        got = self.c.statement(st["id"])
        stored = hl.parse_time(got["stored"])
        self.assertGreaterEqual(stored, before - 1)
        self.assertLessEqual(stored, after + 1)
        self.assertEqual(got["authority"]["account"]["name"], self.key, got["authority"])
        self.assertNotIn("mbox", got["authority"])
        self.assertIn(got["version"], ("1.0.0", "1.0.3"))
        self.assertEqual(got["timestamp"], st["timestamp"])

    def test_timestamp_defaults_to_stored_and_version_is_kept(self):
        st = hl.statement(version="1.0.3")
        del st["timestamp"]
        self.c.store(st)
        got = self.c.statement(st["id"])
        self.assertEqual(got["timestamp"], got["stored"])
        self.assertEqual(got["version"], "1.0.3")


class Put(HubCase):
    # XAPI-00142..00145
    def test_put_stores_under_statement_id(self):
        st = hl.statement()
        r = self.c.put(st["id"], st)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(hl.without_server_fields(self.c.statement(st["id"])), st)

    def test_put_without_id_in_body_takes_the_parameter(self):
        sid = str(uuid.uuid4())
        st = hl.statement(with_id=False)
        self.assertEqual(self.c.put(sid, st).status, 204)
        self.assertEqual(self.c.statement(sid)["id"], sid)

    def test_put_refusals(self):
        st = hl.statement()
        other = str(uuid.uuid4())
        cases = [
            ("no statementId", self.c.put(None, st), "statementId"),
            ("statementId not a UUID", self.c.put("true", st), "statementId"),
            ("statementId an object", self.c.put("[object Object]", st), "statementId"),
            ("id differs from statementId", self.c.put(other, st), "statementId"),
            ("a batch", self.c.put(st["id"], [st]), None),
        ]
        for what, r, field in cases:
            with self.subTest(what):
                self.assert_refused(r, 400, field, what)
        self.assertIsNone(self.c.statement(st["id"]))
        self.assertIsNone(self.c.statement(other))

    def test_put_and_post_parameters_are_exact(self):
        # XAPI-00324 (unknown parameter: 400) and XAPI-00325 (parameter in another case: 400).
        for query in ["StatementId=%s", "statementid=%s", "statementId=%s&foo=bar"]:
            with self.subTest(query=query):
                st = hl.statement()
                r = self.c.request("PUT", "/xapi/statements?" + query % st["id"], body=st)
                self.assert_refused(r, 400, None, query)
                self.assertIsNone(self.c.statement(st["id"]))
        st = hl.statement()
        self.assert_refused(self.c.request("POST", "/xapi/statements?foo=bar", body=st),
                            400, None, "POST ?foo=bar")
        self.assertIsNone(self.c.statement(st["id"]))


class IdRules(HubCase):
    # XAPI-00142 and Communication 2.1.1 (same id: 409 or no change)
    def test_same_statement_again_changes_nothing(self):
        st = hl.statement()
        self.c.store(st)
        first = self.c.statement(st["id"])
        time.sleep(0.01)
        self.assertEqual(self.c.post(st).json(), [st["id"]])
        self.assertEqual(self.c.put(st["id"], st).status, 204)
        self.assertEqual(self.c.statement(st["id"]), first, "the held statement changed")
        self.assertEqual(self.c.ids({"verb": st["verb"]["id"],
                                     "agent": st["actor"]}).count(st["id"]), 1)

    def test_members_in_another_order_are_the_same_statement(self):
        st = hl.statement(result={"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
                                  "success": True},
                          context={"platform": "relais", "language": "en"})
        self.c.store(st)
        first = self.c.statement(st["id"])

        def reverse(o):
            if isinstance(o, dict):
                return {k: reverse(o[k]) for k in reversed(list(o))}
            if isinstance(o, list):
                return [reverse(x) for x in o]
            return o
        body = json.dumps(reverse(st), indent=3).encode()
        self.assertNotEqual(body, json.dumps(st).encode())
        r = self.c.post(body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.c.put(st["id"], body).status, 204)
        self.assertEqual(self.c.statement(st["id"]), first)

    def test_same_id_other_statement_is_a_conflict(self):
        st = hl.statement()
        self.c.store(st)
        first = self.c.statement(st["id"])
        changes = [("verb", hl.verb("attempted")), ("actor", hl.agent("mallory")),
                   ("object", hl.activity("https://example.org/other")),
                   ("result", {"success": False}), ("timestamp", "2026-11-29T10:00:01.000Z")]
        for member, value in changes:
            with self.subTest(member=member):
                other = dict(st)
                other[member] = value
                self.assert_refused(self.c.post(other), 409, st["id"], "POST " + member)
                self.assert_refused(self.c.put(st["id"], other), 409, st["id"], "PUT " + member)
        self.assertEqual(self.c.statement(st["id"]), first, "a conflicting statement changed it")


class GetOne(HubCase):
    # XAPI-00149..00151, 00156, 00158, 00324, 00325
    def test_statement_id_with_other_filters_is_refused(self):
        sid = self.c.store(hl.statement())[0]
        others = {"agent": hl.agent(), "verb": hl.VERB + "experienced",
                  "activity": "https://example.org/activities/one",
                  "registration": str(uuid.uuid4()), "related_activities": "true",
                  "related_agents": "true", "since": "2012-06-01T19:09:13.245Z",
                  "until": "2012-06-01T19:09:13.245Z", "limit": "1", "ascending": "true"}
        for name, value in others.items():
            for key in ("statementId", "voidedStatementId"):
                with self.subTest(key=key, other=name):
                    r = self.c.get({key: sid, name: value})
                    self.assert_refused(r, 400, None, "%s with %s" % (key, name))
        for extra in ({"format": "ids"}, {"format": "exact"}, {"attachments": "false"},
                      {"attachments": "true"}):
            with self.subTest(extra=extra):
                r = self.c.get(dict(statementId=sid, **extra))
                self.assertEqual(r.status, 200, r)
                body = r.body
                if extra == {"attachments": "true"}:
                    # multipart/mixed: the statement is the first part (test_attachments.py)
                    self.assertTrue(r.header("Content-Type").startswith("multipart/mixed"))
                    body = body.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
                self.assertEqual(json.loads(body)["id"], sid)

    def test_unknown_or_miscased_parameters_are_refused(self):
        for name in ["foo", "StatementId", "VoidedStatementId", "Agent", "Verb", "Activity",
                     "Registration", "Related_Activities", "Related_Agents", "Since", "Until",
                     "Limit", "Format", "Attachments", "Ascending"]:
            with self.subTest(name=name):
                self.assert_refused(self.c.get({name: "1"}), 400, None, name)

    def test_missing_and_malformed_ids(self):
        self.assert_refused(self.c.get({"statementId": str(uuid.uuid4())}), 404, None,
                            "unknown id")
        self.assert_refused(self.c.get({"statementId": "12345"}), 400, "statementId", "bad id")
        self.assert_refused(self.c.get({"voidedStatementId": "x"}), 400, "voidedStatementId",
                            "bad voided id")

    def test_id_lookup_ignores_case(self):
        sid = self.c.store(hl.statement())[0]
        self.assertEqual(self.c.statement(sid.upper())["id"], sid)

    def test_bad_parameter_values_are_refused(self):
        for params in [{"limit": "-1"}, {"limit": "ten"}, {"ascending": "yes"},
                       {"format": "canonicalish"}, {"since": "yesterday"},
                       {"until": "2012-13-01T00:00:00Z"}, {"agent": "not json"},
                       {"agent": json.dumps({"name": "no identifier"})},
                       {"verb": "not-an-iri"}, {"activity": "nope"},
                       {"registration": "not-a-uuid"}, {"related_agents": "1"},
                       {"related_activities": "maybe"}, {"attachments": "yes"},
                       {"cursor": "abc"}]:
            with self.subTest(params=params):
                self.assert_refused(self.c.get(params), 400, None, repr(params))

    def test_empty_result_is_200(self):
        r = self.c.get({"verb": "http://adlnet.gov/expapi/non/existent"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"statements": [], "more": ""})

    def test_consistent_through(self):
        # XAPI-00152, 00153, 00160
        self.c.store(hl.statement())
        for params, status in [({}, 200), ({"limit": "3"}, 200), ({"format": "ids"}, 200),
                               ({"statementId": str(uuid.uuid4())}, 404),
                               ({"limit": "x"}, 400)]:
            with self.subTest(params=params):
                r = self.c.get(params)
                self.assertEqual(r.status, status, r)
                self.assert_xapi_headers(r, repr(params))
                through = r.header("X-Experience-API-Consistent-Through")
                self.assertIsNotNone(through, "no Consistent-Through on %r" % r)
                t = hl.parse_time(through)
                if status == 200:
                    for st in r.json()["statements"]:
                        self.assertLessEqual(hl.parse_time(st["stored"]), t)

    def test_consistent_through_on_a_misused_get(self):
        # XAPI-00153: "regardless of the code returned", including a GET with no headers.
        r = self.c.get({}, auth=False, version=False)
        self.assertEqual(r.status, 400, r)
        self.assertIsNotNone(r.header("X-Experience-API-Consistent-Through"), r)


class Voiding(HubCase):
    # XAPI-00016..00020, 00155, 00157, 00162, 00163
    def test_voided_statement_is_gone_except_by_voided_statement_id(self):
        v = self.unique_verb()
        target = hl.statement(v=v)
        self.c.store(target)
        void = hl.voiding(target["id"])
        self.assertEqual(self.c.store(void), [void["id"]])
        self.assertIsNone(self.c.statement(target["id"]), "a voided statement by statementId")
        got = self.c.statement(target["id"], voided=True)
        self.assertEqual(hl.without_server_fields(got), target)
        # The voided statement is gone from queries; the statement voiding it is
        # returned for its verb (XAPI-00162: it targets a statement that matches).
        self.assertEqual(self.c.ids({"verb": v}), [void["id"]], "a voided statement in a query")
        self.assertNotIn(target["id"], self.c.ids({"agent": target["actor"]}))
        self.assertIn(void["id"], self.c.ids({"verb": hl.VOIDED}))
        # the voiding statement is an ordinary statement, not a voided one
        self.assertEqual(self.c.statement(void["id"])["id"], void["id"])
        self.assertIsNone(self.c.statement(void["id"], voided=True))

    def test_voiding_twice_keeps_it_voided(self):
        target = self.c.store(hl.statement())[0]
        self.c.store(hl.voiding(target))
        self.assertEqual(self.c.post(hl.voiding(target)).status, 200)
        self.assertIsNone(self.c.statement(target))
        self.assertEqual(self.c.statement(target, voided=True)["id"], target)

    def test_a_voiding_statement_cannot_be_voided(self):
        target = self.c.store(hl.statement())[0]
        void = self.c.store(hl.voiding(target))[0]
        r = self.c.post(hl.voiding(void))
        self.assertIn(r.status, (200, 400), r)
        self.assertEqual(self.c.statement(void)["id"], void, "the voiding statement was voided")
        self.assertIsNone(self.c.statement(void, voided=True))
        self.assertIsNone(self.c.statement(target))

    def test_unvoided_statement_is_not_returned_as_voided(self):
        sid = self.c.store(hl.statement())[0]
        self.assertIsNone(self.c.statement(sid, voided=True))

    def test_voiding_must_target_a_statement_ref(self):
        target = self.c.store(hl.statement())[0]
        for obj in [hl.activity("https://example.org/" + target), hl.agent("x"),
                    {"objectType": "SubStatement", "actor": hl.agent(), "verb": hl.verb(),
                     "object": {"objectType": "StatementRef", "id": target}}]:
            with self.subTest(object=obj["objectType"]):
                st = {"actor": hl.agent(), "verb": hl.verb(hl.VOIDED), "object": obj}
                self.assert_refused(self.c.post(st), 400, "object", obj["objectType"])
        self.assertEqual(self.c.statement(target)["id"], target)

    def test_statement_ref_to_a_voided_statement_is_still_returned(self):
        v = self.unique_verb()
        target = self.c.store(hl.statement(v=v))[0]
        void = self.c.store(hl.voiding(target))[0]
        ref = hl.statement(v=v, obj={"objectType": "StatementRef", "id": target})
        self.c.store(ref)
        self.assertEqual(sorted(self.c.ids({"verb": v})), sorted([ref["id"], void]))


    def test_filters_match_statements_targeting_a_match(self):
        # Communication 2.1.3 "Filter Conditions for StatementRefs" (XAPI-00162): a statement
        # whose object is a StatementRef meets a (non-time) filter its target meets; the
        # voiding statement of a voided statement is returned for the target's verb.
        v = self.unique_verb()
        target = self.c.store(hl.statement(v=v))[0]
        void = self.c.store(hl.voiding(target))[0]
        ref = self.c.store(hl.statement(v=v, obj={"objectType": "StatementRef", "id": target}))
        self.assertEqual(sorted(self.c.ids({"verb": v})), sorted([ref[0], void]))


class Filters(unittest.TestCase):
    """A hub of its own holding known statements, so each query's answer is exact."""

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        key, secret = cls.home.credentials()
        cls.hub = hl.start_hub(cls, cls.home)
        cls.c = hl.Client(cls.hub, key, secret)
        X, Y, Z = ("https://example.org/act/x", "https://example.org/act/y",
                   "https://example.org/act/z")
        cls.R1, cls.R2 = str(uuid.uuid4()), str(uuid.uuid4())
        alice = hl.agent("alice", "Alice")
        cls.s = {
            "A": hl.statement("alice", "experienced", hl.activity(X),
                              context={"registration": cls.R1}),
            "B": hl.statement("bob", "completed", hl.activity(Y),
                              context={"instructor": alice, "contextActivities":
                                       {"parent": [hl.activity(X, name="Course X")]}}),
            "C": hl.statement("alice", "answered", hl.activity(Z),
                              context={"registration": cls.R2}),
            "D": hl.statement("carol", "mentored", alice),
            "E": hl.statement("dave", "observed", {
                "objectType": "SubStatement", "actor": alice, "verb": hl.verb("attempted"),
                "object": hl.activity(X)}),
            "F": hl.statement("erin", "experienced", hl.activity(Y),
                              context={"team": {"objectType": "Group", "member": [alice]}}),
        }
        for name in "ABCDEF":
            cls.c.store(cls.s[name])
            time.sleep(0.005)
        cls.X = X

    def names(self, params):
        by_id = {st["id"]: n for n, st in self.s.items()}
        got = self.c.ids(params)
        self.assertEqual(len(got), len(set(got)), "duplicates in %r" % params)
        return "".join(sorted(by_id.get(i, "?") for i in got))

    def test_agent(self):
        # XAPI-00181: actor, or an Agent object
        self.assertEqual(self.names({"agent": hl.agent("alice")}), "ACD")
        self.assertEqual(self.names({"agent": hl.agent("alice", "Another Name")}), "ACD")
        self.assertEqual(self.names({"agent": hl.agent("nobody")}), "")

    def test_related_agents(self):
        # XAPI-00176: also instructor, team, and agents inside a SubStatement
        self.assertEqual(self.names({"agent": hl.agent("alice"), "related_agents": "true"}),
                         "ABCDEF")
        self.assertEqual(self.names({"agent": hl.agent("alice"), "related_agents": "false"}),
                         "ACD")

    def test_verb(self):
        # XAPI-00180
        self.assertEqual(self.names({"verb": hl.VERB + "completed"}), "B")
        self.assertEqual(self.names({"verb": hl.VERB + "experienced"}), "AF")
        self.assertEqual(self.names({"verb": hl.VERB + "attempted"}), "",
                         "a SubStatement's verb is not the statement's")

    def test_activity_and_related_activities(self):
        # XAPI-00179, 00177
        self.assertEqual(self.names({"activity": self.X}), "A")
        self.assertEqual(self.names({"activity": self.X, "related_activities": "true"}), "ABE")
        self.assertEqual(self.names({"activity": "https://example.org/act/y"}), "BF")

    def test_registration(self):
        # XAPI-00178
        self.assertEqual(self.names({"registration": self.R1}), "A")
        self.assertEqual(self.names({"registration": self.R1.upper()}), "A")
        self.assertEqual(self.names({"registration": str(uuid.uuid4())}), "")

    def test_filters_combine(self):
        self.assertEqual(self.names({"agent": hl.agent("alice"),
                                     "verb": hl.VERB + "answered"}), "C")
        self.assertEqual(self.names({"agent": hl.agent("alice"), "related_agents": "true",
                                     "activity": self.X, "related_activities": "true"}), "ABE")

    def test_since_and_until(self):
        # XAPI-00174, 00175: by stored time; since exclusive, until inclusive
        stored = {n: self.c.statement(st["id"])["stored"] for n, st in self.s.items()}
        self.assertEqual(self.names({"since": stored["C"]}), "DEF")
        self.assertEqual(self.names({"until": stored["C"]}), "ABC")
        self.assertEqual(self.names({"since": stored["A"], "until": stored["D"]}), "BCD")
        self.assertEqual(self.names({"since": "2012-06-01T19:09:13.245Z"}), "ABCDEF")
        self.assertEqual(self.names({"until": "2012-06-01T19:09:13.245Z"}), "")
        # the same instant written with an offset
        from datetime import datetime, timedelta, timezone
        c = datetime.fromtimestamp(hl.parse_time(stored["C"]), timezone(timedelta(hours=2)))
        self.assertEqual(self.names({"since": c.isoformat(timespec="milliseconds")}), "DEF")

    def test_order_limit_and_ascending(self):
        # XAPI-00166, 00173: newest first unless ascending
        every = self.c.ids({})
        order = [self.s[n]["id"] for n in "ABCDEF"]
        self.assertEqual(every, order[::-1])
        self.assertEqual(self.c.ids({"ascending": "true"}), order)
        r = self.c.get({"limit": "2"})
        doc = r.json()
        self.assertEqual([s["id"] for s in doc["statements"]], order[::-1][:2])
        self.assertTrue(doc["more"].startswith("/xapi/statements?"), doc["more"])
        r = self.c.get({"limit": "0"})
        self.assertEqual(len(r.json()["statements"]), 6)

    def test_format_ids(self):
        # XAPI-00168, 00170, 00171
        sid = self.s["B"]["id"]
        for params in ({"format": "ids", "verb": hl.VERB + "completed"},
                       {"format": "ids", "statementId": sid}):
            with self.subTest(params=params):
                r = self.c.get(params)
                self.assertEqual(r.status, 200, r)
                doc = r.json()
                st = doc["statements"][0] if "statements" in doc else doc
                self.assertEqual(st["id"], sid)
                self.assertEqual(st["actor"], {"objectType": "Agent",
                                               "mbox": "mailto:bob@example.org"})
                self.assertEqual(st["context"]["instructor"],
                                 {"objectType": "Agent", "mbox": "mailto:alice@example.org"})
                self.assertNotIn("definition", st["context"]["contextActivities"]["parent"][0])
                self.assertEqual(st["verb"]["id"], hl.VERB + "completed")
        exact = self.c.get({"format": "exact", "statementId": sid}).json()
        self.assertEqual(exact["context"]["contextActivities"]["parent"][0]["definition"]
                         ["name"], {"en": "Course X"})
        self.assertEqual(exact["actor"]["name"], "Bob")
        self.assertEqual(hl.without_server_fields(exact), self.s["B"])


    def test_format_ids_reduces_verbs_to_their_id(self):
        # Communication 2.1.3 format "ids": minimum information to identify Agent, Activity,
        # Verb and Group objects (XAPI-00171).
        st = self.c.get({"format": "ids", "statementId": self.s["B"]["id"]}).json()
        self.assertEqual(st["verb"], {"id": hl.VERB + "completed"})


class ContextActivities(HubCase):
    def test_single_context_activity_is_returned_as_an_array(self):
        # Data 2.4.6.2: "the LRS MUST return every value in the contextActivities Object as an
        # array, even if it arrived as a single Activity Object".
        st = hl.statement(context={"contextActivities": {
            "parent": hl.activity("https://example.org/p")}})
        self.c.store(st)
        got = self.c.statement(st["id"])
        self.assertEqual(got["context"]["contextActivities"]["parent"],
                         [hl.activity("https://example.org/p")])


class Paging(HubCase):
    # `more` followed to the end: every statement once, in order, even while more arrive.
    def test_more_links_reach_every_statement_once(self):
        v = self.unique_verb()
        sts = [hl.statement("p%d" % i, v) for i in range(53)]
        for i in range(0, 53, 10):
            self.c.store(sts[i:i + 10])
        sent = [st["id"] for st in sts]
        for limit, asc in [(1, "false"), (5, "false"), (7, "true"), (53, "false"),
                           (100, "true")]:
            with self.subTest(limit=limit, ascending=asc):
                got, pages = self.c.query_all({"verb": v, "limit": str(limit),
                                               "ascending": asc})
                ids = [s["id"] for s in got]
                self.assertEqual(len(ids), len(set(ids)), "a statement came twice")
                self.assertEqual(ids, sent if asc == "true" else sent[::-1])
                self.assertEqual(pages, -(-53 // limit), "pages for limit %d" % limit)

    def test_paging_while_statements_arrive(self):
        v = self.unique_verb()
        first = [hl.statement("q%d" % i, v) for i in range(12)]
        self.c.store(first)
        r = self.c.get({"verb": v, "limit": "5"})
        seen = [s["id"] for s in r.json()["statements"]]
        more = r.json()["more"]
        late = [hl.statement("late%d" % i, v) for i in range(4)]
        self.c.store(late)
        while more:
            doc = self.c.request("GET", more).json()
            seen += [s["id"] for s in doc["statements"]]
            more = doc["more"]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(seen, [st["id"] for st in first][::-1],
                         "newest-first pages lost or repeated a statement")

    def test_more_keeps_the_filters(self):
        v1, v2 = self.unique_verb(), self.unique_verb()
        self.c.store([hl.statement("m", v1) for _ in range(6)] +
                     [hl.statement("m", v2) for _ in range(6)])
        got, _ = self.c.query_all({"verb": v1, "limit": "2"})
        self.assertEqual(len(got), 6)
        self.assertEqual({s["verb"]["id"] for s in got}, {v1})


def invalid_cases():
    """(what, statement, field the message must name); each must be refused with 400."""
    sid = str(uuid.uuid4())
    ok = hl.statement

    def with_(path, value, base=None):
        st = copy.deepcopy(base or ok())
        node = st
        for p in path[:-1]:
            node = node[p]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return st

    sub = {"objectType": "SubStatement", "actor": hl.agent(), "verb": hl.verb(),
           "object": hl.activity()}
    return [
        ("id not a UUID", with_(["id"], "not-a-uuid"), "id"),
        ("id a number", with_(["id"], 12345), "id"),
        ("id with braces", with_(["id"], "{%s}" % sid), "id"),
        ("no actor", with_(["actor"], KeyError), "actor"),
        ("actor a string", with_(["actor"], "alice"), "actor"),
        ("actor without identifier", with_(["actor"], {"name": "Nobody"}), "actor"),
        ("agent with two identifiers", with_(["actor", "openid"], "http://example.org/a"),
         "actor"),
        ("mbox without mailto", with_(["actor", "mbox"], "alice@example.org"), "mbox"),
        ("mbox not an address", with_(["actor", "mbox"], "mailto:alice"), "mbox"),
        ("mbox_sha1sum too short", with_(["actor"], {"mbox_sha1sum": "abc"}), "mbox_sha1sum"),
        ("openid not a URI", with_(["actor"], {"openid": "not a uri"}), "openid"),
        ("account without homePage", with_(["actor"], {"account": {"name": "a"}}), "account"),
        ("account homePage not an IRL", with_(["actor"], {"account": {
            "homePage": "example", "name": "a"}}), "account"),
        ("objectType in the wrong case", with_(["actor", "objectType"], "agent"),
         "objectType"),
        ("property in the wrong case", with_(["Actor"], hl.agent(), with_(["actor"], KeyError)),
         "Actor"),
        ("group holding a group", with_(["actor"], {"objectType": "Group", "member": [
            {"objectType": "Group", "member": [hl.agent()]}]}), "member"),
        ("anonymous group without members", with_(["actor"], {"objectType": "Group",
                                                              "name": "g"}), "actor"),
        ("group member unidentified", with_(["actor"], {"objectType": "Group", "member": [
            {"name": "x"}]}), "member"),
        ("no verb", with_(["verb"], KeyError), "verb"),
        ("verb without id", with_(["verb"], {"display": {"en-US": "did"}}), "verb.id"),
        ("verb id not an IRI", with_(["verb", "id"], "completed"), "verb.id"),
        ("verb id with a space", with_(["verb", "id"], "http://example.org/a verb"),
         "verb.id"),
        ("verb display not a language map", with_(["verb", "display"], "did"), "display"),
        ("verb display bad language tag", with_(["verb", "display"], {"not a tag": "x"}),
         "display"),
        ("verb display value not a string", with_(["verb", "display"], {"en": 3}), "display"),
        ("verb with an extra property", with_(["verb", "name"], "x"), "name"),
        ("no object", with_(["object"], KeyError), "object"),
        ("activity id not an IRI", with_(["object", "id"], "lesson one"), "object.id"),
        ("activity without id", with_(["object"], {"objectType": "Activity"}), "object.id"),
        ("unknown objectType", with_(["object", "objectType"], "Thing"), "objectType"),
        ("definition name not a language map", with_(["object", "definition", "name"],
                                                      "Lesson"), "name"),
        ("definition type not an IRI", with_(["object", "definition", "type"], "lesson"),
         "type"),
        ("definition extension key not an IRI", with_(["object", "definition", "extensions"],
                                                       {"color": "red"}), "extensions"),
        ("StatementRef id not a UUID", with_(["object"], {"objectType": "StatementRef",
                                                          "id": "123"}), "object.id"),
        ("SubStatement inside a SubStatement", with_(["object"], dict(sub, object=dict(sub))),
         "SubStatement"),
        ("SubStatement with an id", with_(["object"], dict(sub, id=sid)), "object.id"),
        ("SubStatement with stored", with_(["object"], dict(
            sub, stored="2026-11-29T10:00:00Z")), "stored"),
        ("score.scaled above 1", with_(["result"], {"score": {"scaled": 1.5}}), "scaled"),
        ("score.scaled below -1", with_(["result"], {"score": {"scaled": -1.01}}), "scaled"),
        ("raw above max", with_(["result"], {"score": {"raw": 11, "min": 0, "max": 10}}),
         "raw"),
        ("raw below min", with_(["result"], {"score": {"raw": -1, "min": 0}}), "raw"),
        ("min not below max", with_(["result"], {"score": {"min": 5, "max": 5}}), "min"),
        ("score a string", with_(["result"], {"score": {"raw": "10"}}), "score"),
        ("success not a boolean", with_(["result"], {"success": "yes"}), "success"),
        ("completion not a boolean", with_(["result"], {"completion": 1}), "completion"),
        ("response not a string", with_(["result"], {"response": 42}), "response"),
        ("duration not ISO 8601", with_(["result"], {"duration": "1 hour"}), "duration"),
        ("duration a bare T", with_(["result"], {"duration": "P1DT"}), "duration"),
        ("result extensions key not an IRI", with_(["result"], {"extensions": {"k": 1}}),
         "extensions"),
        ("timestamp not a date", with_(["timestamp"], "yesterday"), "timestamp"),
        ("timestamp month 13", with_(["timestamp"], "2026-13-01T10:00:00Z"), "timestamp"),
        ("timestamp with -00:00", with_(["timestamp"], "2026-11-29T10:00:00-00:00"),
         "timestamp"),
        ("timestamp a number", with_(["timestamp"], 1700000000), "timestamp"),
        ("unknown property", with_(["foo"], "bar"), "foo"),
        ("registration not a UUID", with_(["context"], {"registration": "abc"}),
         "registration"),
        ("context language bad tag", with_(["context"], {"language": "english please"}),
         "language"),
        ("team an Agent", with_(["context"], {"team": hl.agent("t")}), "team"),
        ("context.platform with an Agent object", with_(["context"], {"platform": "relais"},
                                                        ok(obj=hl.agent("bob"))), "platform"),
        ("context.revision with an Agent object", with_(["context"], {"revision": "2"},
                                                        ok(obj=hl.agent("bob"))), "revision"),
        ("contextActivities unknown key", with_(["context"], {"contextActivities": {
            "sibling": [hl.activity()]}}), "contextActivities"),
        ("context statement not a StatementRef", with_(["context"], {"statement": {
            "id": "nope"}}), "context.statement"),
        ("context extensions key not an IRI", with_(["context"], {"extensions": {"x": 1}}),
         "extensions"),
        ("voiding statement not targeting a StatementRef", with_(
            ["verb"], hl.verb(hl.VOIDED)), "object"),
        ("version 2.0", with_(["version"], "2.0.0"), "version"),
        ("version 0.95", with_(["version"], "0.95"), "version"),
        ("stored not a timestamp", with_(["stored"], "now"), "stored"),
        ("authority without identifier", with_(["authority"], {"name": "me"}), "authority"),
        ("attachment without usageType", with_(["attachments"], [{
            "display": {"en": "a"}, "contentType": "text/plain", "length": 1,
            "sha2": "00", "fileUrl": "https://example.org/a"}]), "attachments"),
    ]


class Validation(HubCase):
    # Data 2.2, 2.4.x, 4.x requirement areas (XAPI-00001..00130 that apply to statements)
    def test_each_invalid_statement_is_refused_naming_the_field(self):
        looked_up = 0
        for what, st, field in invalid_cases():
            with self.subTest(what):
                r = self.c.post(st)
                self.assert_refused(r, 400, field, what)
                if isinstance(st.get("id"), str) and hl.is_uuid(st["id"]):
                    self.assertIsNone(self.c.statement(st["id"]), "stored: " + what)
                    looked_up += 1
        # Most cases carry a valid id: the "not stored" check must have run for them.
        self.assertGreater(looked_up, len(invalid_cases()) // 2)

    def test_a_number_without_a_unit_is_not_a_duration(self):
        # "PT10", "P7": a number must be followed by its designator. The hub steps over the
        # string's end and decides on whatever bytes follow it, so single cases pass or fail
        # by chance; among 200 such strings some are always accepted while the bug is there.
        accepted = []
        for n in range(1, 41):
            for prefix in ("P", "PT", "P1D", "P1DT1H", "PT0."):
                st = hl.statement(result={"duration": prefix + "7" * n})
                r = self.c.post(st)
                if r.status != 400:
                    accepted.append(st["result"]["duration"])
        self.assertEqual(accepted, [], "durations without a unit were accepted")

    def test_invalid_statement_in_a_batch_names_its_position(self):
        sts = [hl.statement(), hl.statement(), with_bad_mbox(hl.statement())]
        r = self.c.post(sts)
        self.assert_refused(r, 400, "statements[2].actor.mbox", "bad third")

    def test_invalid_statement_by_put_is_refused(self):
        for what, st, field in invalid_cases()[3:12]:
            with self.subTest(what):
                sid = st.get("id") if hl.is_uuid(st.get("id")) else str(uuid.uuid4())
                self.assert_refused(self.c.put(sid, st), 400, field, what)
                self.assertIsNone(self.c.statement(sid))

    def test_valid_variety_is_accepted(self):
        sub = {"objectType": "SubStatement", "actor": hl.agent("s"),
               "verb": hl.verb("planned"), "object": hl.activity(),
               "context": {"instructor": hl.agent("i")}, "timestamp": "2026-11-29T10:00:00Z"}
        cases = [
            ("offset timestamp", hl.statement(timestamp="2026-11-29T10:00:00.123+05:30")),
            ("timestamp without seconds", hl.statement(timestamp="2026-11-29T10:00Z")),
            ("mbox_sha1sum", hl.statement(actor={"mbox_sha1sum": "a" * 40})),
            ("openid", hl.statement(actor={"openid": "http://openid.example.org/al"})),
            ("account", hl.statement(actor={"account": {"homePage": "https://example.org",
                                                        "name": "al"}})),
            ("anonymous group", hl.statement(actor={"objectType": "Group", "member": [
                hl.agent("g1"), hl.agent("g2")]})),
            ("identified group", hl.statement(actor={"objectType": "Group",
                                                     "mbox": "mailto:team@example.org"})),
            ("agent object", hl.statement(obj=hl.agent("bob"))),
            ("group object", hl.statement(obj={"objectType": "Group",
                                               "mbox": "mailto:g@example.org"})),
            ("statement ref", hl.statement(obj={"objectType": "StatementRef",
                                                "id": str(uuid.uuid4())})),
            ("substatement", hl.statement(obj=sub)),
            ("activity without objectType", hl.statement(obj={"id": "urn:example:one"})),
            ("full result", hl.statement(result={
                "score": {"scaled": -1, "raw": 0, "min": -5, "max": 5}, "success": False,
                "completion": True, "response": "a[,]b", "duration": "P1Y2M4DT5H6M7.89S",
                "extensions": {"https://example.org/ext": {"deep": [1, {"x": None}]}}})),
            ("full context", hl.statement(context={
                "registration": str(uuid.uuid4()), "instructor": hl.agent("i"),
                "team": {"objectType": "Group", "member": [hl.agent("t")]},
                "contextActivities": {"parent": [hl.activity("https://example.org/p")],
                                      "grouping": [hl.activity("https://example.org/g")],
                                      "category": [], "other": []},
                "revision": "r2", "platform": "relais", "language": "zh-Hans-CN",
                "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
                "extensions": {"urn:x:y": "z"}})),
            ("language maps", hl.statement(verb={"id": hl.VERB + "x", "display": {
                "en-GB": "x", "fr": "x", "es-419": "x", "sr-Latn-RS": "x"}})),
            ("version 1.0.0", hl.statement(version="1.0.0")),
            ("unicode", hl.statement(actor=hl.agent("ü", name="Aïcha Диалло 李"))),
        ]
        for what, st in cases:
            with self.subTest(what):
                r = self.c.post(st)
                self.assertEqual(r.status, 200, "%s: %r" % (what, r))
                got = self.c.statement(st["id"])
                self.assertEqual(got.get("version"), st.get("version", got.get("version")))
                self.assertEqual(hl.without_server_fields(got), hl.without_server_fields(st))


def with_bad_mbox(st):
    st["actor"]["mbox"] = "bob@example.org"
    return st


if __name__ == "__main__":
    testlib.main()
