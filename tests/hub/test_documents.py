#!/usr/bin/env python3
"""test_documents.py: relais-hub's xAPI 1.0.3 document resources (State, Activity Profile,
Agent Profile), the Activities and Agents resources, ETags and concurrency, HEAD and the
alternate request syntax, as an LRS client sees them. Each test names the requirement ids of
xAPI 1.0.3 (Communication part) and of ADL's conformance requirements (XAPI-00nnn) it covers."""
import hashlib
import json
import os
import sys
import threading
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITIES = "/xapi/activities"
AGENTS = "/xapi/agents"
MAX_DOCUMENT = 4096


def query(params):
    return urllib.parse.urlencode(
        [(k, json.dumps(v) if isinstance(v, (dict, bool)) else v) for k, v in params.items()])


def etag_of(body):
    return '"%s"' % hashlib.sha1(body).hexdigest()


def learner(who=None):
    return {"objectType": "Agent", "mbox": "mailto:%s@example.org" % (who or uuid.uuid4().hex)}


def activity_id():
    return "https://example.org/activities/" + uuid.uuid4().hex


class DocCase(unittest.TestCase):
    """One hub for the class (documents of at most MAX_DOCUMENT bytes); each test uses
    activities and agents of its own."""

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("conformance",
                                                   scope="write,read-all,void-mine,void-all")
        cls.hub = testlib.Server([testlib.HUB, *cls.home.serve_args(), "--listen",
                                  "127.0.0.1:0", "--max-document", str(MAX_DOCUMENT)],
                                 env=testlib.hub_env())
        cls.addClassCleanup(cls.hub.stop)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)

    def doc(self, method, path, params, body=None, headers=None, content_type="application/json",
            client=None, **kw):
        c = client or self.c
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        return c.request(method, path + "?" + query(params), body=body, headers=headers,
                         content_type=content_type, **kw)

    def state(self, **extra):
        p = {"activityId": activity_id(), "agent": learner(), "stateId": uuid.uuid4().hex}
        p.update(extra)
        return p

    def assert_status(self, r, status, what):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        self.assertEqual(r.header("X-Experience-API-Version"), hl.XAPI_VERSION, what)

    def assert_document(self, path, params, body, content_type="application/json"):
        r = self.doc("GET", path, params)
        self.assert_status(r, 200, "GET %s" % path)
        self.assertEqual(r.body, body)
        self.assertEqual(r.header("Content-Type"), content_type)
        self.assertEqual(r.header("ETag"), etag_of(body))
        self.assertRegex(r.header("Last-Modified") or "",
                         r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
        return r


class State(DocCase):
    # Communication 2.3.s3; XAPI-00230, 00190, 00189, 00188, 00187, 00192, 00191, 00233
    def test_xapi_00190_00188_00187_put_get_delete(self):
        p = self.state()
        body = b'{"bookmark": "unit-3", "score": 0.5}'
        self.assert_status(self.doc("PUT", STATE, p, body), 204, "PUT")
        self.assert_document(STATE, p, body)
        self.assert_status(self.doc("DELETE", STATE, p), 204, "DELETE")
        self.assert_status(self.doc("GET", STATE, p), 404, "GET after DELETE")

    # XAPI-00233: a POST of a document not there yet stores it as a PUT would.
    def test_xapi_00233_post_of_a_new_document_stores_it(self):
        p = self.state()
        self.assert_status(self.doc("POST", STATE, p, {"a": 1}), 204, "POST")
        self.assert_document(STATE, p, b'{"a": 1}')

    # Communication 1.5.b1: documents may have any content type, stored and returned as sent.
    def test_communication_1_5_b1_any_content_type_is_kept(self):
        p = self.state()
        body = bytes(range(256)) * 3
        self.assert_status(self.doc("PUT", STATE, p, body, content_type="image/png"), 204, "PUT")
        self.assert_document(STATE, p, body, content_type="image/png")

    # XAPI-00218, 00220, 00219, 00227: registration is part of the document's key.
    def test_xapi_00218_00220_registration_separates_documents(self):
        p = self.state()
        reg = str(uuid.uuid4())
        self.assert_status(self.doc("PUT", STATE, p, {"r": "none"}), 204, "PUT")
        self.assert_status(self.doc("PUT", STATE, dict(p, registration=reg), {"r": "one"}),
                           204, "PUT with registration")
        self.assert_document(STATE, p, b'{"r": "none"}')
        self.assert_document(STATE, dict(p, registration=reg.upper()), b'{"r": "one"}')
        self.assert_status(self.doc("DELETE", STATE, dict(p, registration=reg)), 204, "DELETE")
        self.assert_status(self.doc("GET", STATE, dict(p, registration=reg)), 404, "GET")
        self.assert_document(STATE, p, b'{"r": "none"}')

    # XAPI-00207..00215, 00196..00204, 00206, 00211: required, well-formed parameters.
    def test_xapi_00207_to_00215_bad_or_missing_parameters_are_400(self):
        p = self.state()
        cases = []
        for name in ("activityId", "agent", "stateId"):
            cases.append(("PUT without " + name, "PUT",
                          {k: v for k, v in p.items() if k != name}))
            cases.append(("POST without " + name, "POST",
                          {k: v for k, v in p.items() if k != name}))
        for name in ("activityId", "agent"):
            for m in ("GET", "DELETE"):
                cases.append(("%s without %s" % (m, name), m,
                              {k: v for k, v in p.items() if k != name}))
        bad_agents = ["not JSON", True, {"objectType": "Agent"},
                      {"mbox": "a@example.org"}, {"mbox": "mailto:a@example.org",
                                                  "openid": "https://example.org/a"},
                      {"objectType": "Group", "mbox": "mailto:g@example.org"},
                      {"account": {"homePage": "https://example.org"}},
                      {"mbox_sha1sum": "abc"}]
        for a in bad_agents:
            for m in ("PUT", "GET", "DELETE"):
                cases.append(("%s with agent %r" % (m, a), m, dict(p, agent=a)))
        for m in ("PUT", "POST", "GET", "DELETE"):
            cases.append(("%s with registration not a UUID" % m, m, dict(p, registration=True)))
        cases.append(("activityId without a scheme", "PUT", dict(p, activityId="no-scheme")))
        cases.append(("unknown parameter", "PUT", dict(p, profileId="x")))
        cases.append(("parameter in another case", "GET", dict(p, StateId="x")))
        list_params = {k: v for k, v in p.items() if k != "stateId"}
        cases.append(("since not a timestamp", "GET", dict(list_params, since="yesterday")))
        for what, method, params in cases:
            with self.subTest(what):
                body = {"x": 1} if method in ("PUT", "POST") else None
                r = self.doc(method, STATE, params, body)
                self.assert_status(r, 400, what)
                self.assertTrue(json.loads(r.body)["error"], what)
        self.assert_status(self.doc("GET", STATE, p), 404, "stored despite the refusals")

    # XAPI-00193, 00221, 00195, 00204: the ids of a context, since (exclusive).
    def test_xapi_00193_00195_ids_of_a_context_and_since(self):
        p = self.state()
        ctx = {"activityId": p["activityId"], "agent": p["agent"]}
        ids = sorted(uuid.uuid4().hex for _ in range(3))
        for i in ids:
            self.assert_status(self.doc("PUT", STATE, dict(ctx, stateId=i), {"i": i}), 204, i)
        other = dict(ctx, agent=learner())
        self.assert_status(self.doc("PUT", STATE, dict(other, stateId="theirs"), {}), 204, "o")
        r = self.doc("GET", STATE, ctx)
        self.assert_status(r, 200, "ids")
        self.assertEqual(sorted(json.loads(r.body)), ids)
        self.assertEqual(r.header("ETag"), etag_of(r.body))
        self.assertIsNotNone(r.header("Last-Modified"))
        r = self.doc("GET", STATE, dict(ctx, since="2000-01-01T00:00:00Z"))
        self.assertEqual(sorted(json.loads(r.body)), ids)
        r = self.doc("GET", STATE, dict(ctx, since="2999-01-01T00:00:00Z"))
        self.assert_status(r, 200, "since in the future")
        self.assertEqual(json.loads(r.body), [])

    # Communication 2.3.s5; XAPI-00194: DELETE without stateId deletes the whole context.
    def test_xapi_00194_delete_of_all_state_of_a_context(self):
        p = self.state()
        ctx = {"activityId": p["activityId"], "agent": p["agent"]}
        reg = str(uuid.uuid4())
        for params in (dict(ctx, stateId="a"), dict(ctx, stateId="b"),
                       dict(ctx, stateId="c", registration=reg)):
            self.assert_status(self.doc("PUT", STATE, params, {}), 204, "PUT")
        kept = dict(ctx, agent=learner(), stateId="kept")
        self.assert_status(self.doc("PUT", STATE, kept, {}), 204, "PUT kept")
        self.assert_status(self.doc("DELETE", STATE, ctx), 204, "DELETE all")
        self.assertEqual(json.loads(self.doc("GET", STATE, ctx).body), [])
        self.assert_status(self.doc("GET", STATE, kept), 200, "another agent's state")


class Merge(DocCase):
    # Communication 2.2.s7, 2.2.s8.b2; XAPI-00234, 00184, 00183
    def test_xapi_00234_00183_post_merges_top_level_members(self):
        p = self.state()
        self.assert_status(self.doc("POST", STATE, p, {"x": "foo", "y": "bar",
                                                       "car": {"make": "Ford", "km": 1}}),
                           204, "first POST")
        self.assert_status(self.doc("POST", STATE, p, {"x": "bash", "z": "faz",
                                                       "car": {"make": "Dodge"}}),
                           204, "merge")
        r = self.doc("GET", STATE, p)
        self.assertEqual(json.loads(r.body), {"x": "bash", "y": "bar", "z": "faz",
                                              "car": {"make": "Dodge"}})
        self.assertEqual(r.header("ETag"), etag_of(r.body))

    # Communication 2.2.s8.b1; XAPI-00229, 00232, 00235, 00281, 00284: what cannot be merged.
    def test_xapi_00229_00232_merges_of_non_objects_are_400_and_change_nothing(self):
        for path in (STATE, ACTIVITY_PROFILE, AGENT_PROFILE):
            if path == STATE:
                p = self.state()
            elif path == ACTIVITY_PROFILE:
                p = {"activityId": activity_id(), "profileId": "p"}
            else:
                p = {"agent": learner(), "profileId": "p"}
            json_doc = b'{"kept": true}'
            self.assert_status(self.doc("POST", path, p, json_doc), 204, path)
            for what, body, ctype in [
                    ("not JSON as text/plain", b"abc", "text/plain"),
                    ("not JSON as application/json", b'{"a": 1}{', "application/json"),
                    ("a JSON array", b"[1, 2]", "application/json"),
                    ("a JSON string", b'"text"', "application/json"),
                    ("no content type", b'{"a": 1}', None)]:
                with self.subTest(path=path, posted=what):
                    r = self.doc("POST", path, p, body, content_type=ctype)
                    self.assert_status(r, 400, what)
                    self.assert_document(path, p, json_doc)
            # The stored document is not JSON: a JSON object cannot be merged into it.
            q = dict(p, **({"stateId": "bin"} if path == STATE else {"profileId": "bin"}))
            self.assert_status(self.doc("PUT", path, q, b"raw bytes",
                                        content_type="application/octet-stream",
                                        headers={"If-None-Match": "*"}), 204, "PUT raw")
            self.assert_status(self.doc("POST", path, q, {"a": 1}), 400, "merge into raw")
            self.assert_document(path, q, b"raw bytes", "application/octet-stream")
            # Stored as application/json but an array: not an object either.
            q = dict(p, **({"stateId": "arr"} if path == STATE else {"profileId": "arr"}))
            self.assert_status(self.doc("PUT", path, q, b"[1]", headers={"If-None-Match": "*"}),
                               204, "PUT array")
            self.assert_status(self.doc("POST", path, q, {"a": 1}), 400, "merge into array")
            self.assert_document(path, q, b"[1]")

    # A POSTed JSON body must be a JSON object even when nothing is stored yet.
    def test_post_of_json_that_is_not_an_object_is_400(self):
        p = self.state()
        for body in (b"[]", b"not json", b"12"):
            with self.subTest(body=body):
                self.assert_status(self.doc("POST", STATE, p, body), 400, body)
        self.assert_status(self.doc("GET", STATE, p), 404, "stored")


class Profiles(DocCase):
    # Communication 2.7.s3, 2.7.s4, 3.1.s4; XAPI-00311, 00287, 00286, 00285, 00290, 00303
    def test_xapi_00287_activity_profile_documents(self):
        aid = activity_id()
        p = {"activityId": aid, "profileId": "prefs"}
        self.assert_status(self.doc("PUT", ACTIVITY_PROFILE, p, {"a": 1}), 400,
                           "PUT with neither If-Match nor If-None-Match")
        self.assert_status(self.doc("GET", ACTIVITY_PROFILE, p), 404, "stored by that PUT")
        self.assert_status(self.doc("PUT", ACTIVITY_PROFILE, p, {"a": 1},
                                    headers={"If-None-Match": "*"}), 204, "PUT new")
        self.assert_document(ACTIVITY_PROFILE, p, b'{"a": 1}')
        self.assert_status(self.doc("POST", ACTIVITY_PROFILE, dict(p, profileId="second"),
                                    {"b": 2}), 204, "POST new")
        r = self.doc("GET", ACTIVITY_PROFILE, {"activityId": aid})
        self.assertEqual(sorted(json.loads(r.body)), ["prefs", "second"])
        r = self.doc("GET", ACTIVITY_PROFILE, {"activityId": aid,
                                               "since": "2999-01-01T00:00:00.000Z"})
        self.assertEqual(json.loads(r.body), [])
        self.assert_status(self.doc("DELETE", ACTIVITY_PROFILE, {"activityId": aid}), 400,
                           "DELETE without profileId")
        self.assert_status(self.doc("DELETE", ACTIVITY_PROFILE, p), 204, "DELETE")
        self.assertEqual(json.loads(self.doc("GET", ACTIVITY_PROFILE,
                                             {"activityId": aid}).body), ["second"])

    # Communication 2.6.s3, 2.6.s4; XAPI-00282, 00273, 00272, 00271, 00274, 00268, 00262
    def test_xapi_00273_agent_profile_documents(self):
        a = learner()
        p = {"agent": a, "profileId": "settings"}
        self.assert_status(self.doc("PUT", AGENT_PROFILE, p, {"lang": "fr"}), 400,
                           "PUT with neither header")
        self.assert_status(self.doc("PUT", AGENT_PROFILE, p, {"lang": "fr"},
                                    headers={"If-None-Match": "*"}), 204, "PUT")
        # The same agent written another way (its name added) is the same agent.
        self.assert_document(AGENT_PROFILE, dict(p, agent=dict(a, name="Ama")),
                             b'{"lang": "fr"}')
        self.assertEqual(json.loads(self.doc("GET", AGENT_PROFILE, {"agent": a}).body),
                         ["settings"])
        for what, params in [("no agent", {"profileId": "x"}),
                             ("no profileId", {"agent": a}),
                             ("agent not an Agent", {"agent": True, "profileId": "x"})]:
            with self.subTest(what):
                self.assert_status(self.doc("DELETE", AGENT_PROFILE, params), 400, what)
        self.assert_status(self.doc("DELETE", AGENT_PROFILE, p), 204, "DELETE")
        self.assertEqual(json.loads(self.doc("GET", AGENT_PROFILE, {"agent": a}).body), [])


class Concurrency(DocCase):
    # Communication 3.1.s4.b1..b15; XAPI-00322
    def test_communication_3_1_etags_if_match_if_none_match_409_412(self):
        p = {"agent": learner(), "profileId": "p"}
        first = b'{"v": 1}'
        self.assert_status(self.doc("PUT", AGENT_PROFILE, p, first,
                                    headers={"If-None-Match": "*"}), 204, "PUT")
        tag = self.doc("GET", AGENT_PROFILE, p).header("ETag")
        self.assertEqual(tag, etag_of(first))
        self.assertRegex(tag, r'^"[0-9a-f]{40}"$')
        r = self.doc("PUT", AGENT_PROFILE, p, {"v": 2})
        self.assert_status(r, 409, "PUT of an existing profile without either header")
        self.assertIn("If-Match", json.loads(r.body)["error"])
        for what, headers in [("stale If-Match", {"If-Match": '"%s"' % ("1" * 40)}),
                              ("If-None-Match: *", {"If-None-Match": "*"}),
                              ("If-None-Match with its ETag", {"If-None-Match": tag})]:
            with self.subTest(what):
                self.assert_status(self.doc("PUT", AGENT_PROFILE, p, {"v": 2}, headers=headers),
                                   412, what)
                self.assert_status(self.doc("POST", AGENT_PROFILE, p, {"v": 2},
                                            headers=headers), 412, "POST " + what)
        self.assert_status(self.doc("DELETE", AGENT_PROFILE, p,
                                    headers={"If-Match": '"%s"' % ("1" * 40)}), 412, "DELETE")
        self.assert_document(AGENT_PROFILE, p, first)
        self.assert_status(self.doc("PUT", AGENT_PROFILE, p, b'{"v": 2}',
                                    headers={"If-Match": tag}), 204, "PUT with its ETag")
        self.assert_document(AGENT_PROFILE, p, b'{"v": 2}')
        self.assert_status(self.doc("PUT", AGENT_PROFILE, dict(p, profileId="none"), {},
                                    headers={"If-Match": tag}), 412, "If-Match, no document")
        # State takes writes without either header (Communication 3.1.s3) but honours them.
        s = self.state()
        self.assert_status(self.doc("PUT", STATE, s, first), 204, "state PUT")
        self.assert_status(self.doc("PUT", STATE, s, first), 204, "state PUT again")
        self.assert_status(self.doc("PUT", STATE, s, {"v": 3}, headers={"If-Match": '"x"'}),
                           412, "state stale If-Match")

    # Communication 3.1.s4.b5: of concurrent PUTs carrying the same ETag, exactly one wins.
    def test_concurrent_puts_with_the_same_if_match_exactly_one_wins(self):
        p = {"activityId": activity_id(), "profileId": "race"}
        self.assert_status(self.doc("PUT", ACTIVITY_PROFILE, p, b'{"v": 0}',
                                    headers={"If-None-Match": "*"}), 204, "PUT")
        tag = etag_of(b'{"v": 0}')
        results = {}

        def put(i):
            results[i] = self.doc("PUT", ACTIVITY_PROFILE, p, b'{"v": %d}' % i,
                                  headers={"If-Match": tag}).status

        threads = [threading.Thread(target=put, args=(i,)) for i in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [i for i, status in results.items() if status == 204]
        self.assertEqual(len(winners), 1, results)
        self.assertEqual(sorted(results.values()), [204] + [412] * 7)
        self.assert_document(ACTIVITY_PROFILE, p, b'{"v": %d}' % winners[0])


class ActivitiesAndAgents(DocCase):
    # Communication 2.5; XAPI-00253, 00251, 00254, 00250
    def test_xapi_00254_activity_object_merged_from_statements(self):
        aid = activity_id()
        one = hl.statement(obj={"objectType": "Activity", "id": aid, "definition": {
            "name": {"en-US": "meeting"}, "type": "http://adlnet.gov/expapi/activities/meeting"}})
        two = hl.statement(obj={"objectType": "Activity", "id": aid, "definition": {
            "name": {"fr-FR": "réunion"}, "description": {"fr-FR": "une réunion"}}})
        self.c.store([one, two])
        r = self.doc("GET", ACTIVITIES, {"activityId": aid})
        self.assert_status(r, 200, "GET activity")
        self.assertEqual(json.loads(r.body), {
            "objectType": "Activity", "id": aid, "definition": {
                "name": {"en-US": "meeting", "fr-FR": "réunion"},
                "description": {"fr-FR": "une réunion"},
                "type": "http://adlnet.gov/expapi/activities/meeting"}})
        self.assertEqual(r.header("ETag"), etag_of(r.body))
        unknown = activity_id()
        r = self.doc("GET", ACTIVITIES, {"activityId": unknown})
        self.assertEqual(json.loads(r.body), {"objectType": "Activity", "id": unknown})
        self.assert_status(self.doc("GET", ACTIVITIES, {}), 400, "no activityId")
        self.assert_status(self.doc("PUT", ACTIVITIES, {"activityId": aid}, {}), 405, "PUT")

    # Communication 2.4; XAPI-00245, 00236, 00248, 00237, 00238, 00239, 00243, 00249
    def test_xapi_00248_person_object(self):
        who = uuid.uuid4().hex
        st = hl.statement(who=who)  # actor named who.capitalize()
        self.c.store([st])
        r = self.doc("GET", AGENTS, {"agent": {"mbox": "mailto:%s@example.org" % who}})
        self.assert_status(r, 200, "GET agent")
        self.assertEqual(json.loads(r.body), {"objectType": "Person", "name": [who.capitalize()],
                                              "mbox": ["mailto:%s@example.org" % who]})
        account = {"homePage": "https://example.org", "name": "n42"}
        r = self.doc("GET", AGENTS, {"agent": {"account": account, "name": "Kofi"}})
        self.assertEqual(json.loads(r.body), {"objectType": "Person", "name": ["Kofi"],
                                              "account": [account]})
        self.assert_status(self.doc("GET", AGENTS, {}), 400, "no agent")
        self.assert_status(self.doc("GET", AGENTS, {"agent": {"name": "x"}}), 400, "no IFI")


class Head(DocCase):
    # Communication 1.1.s3.b1: HEAD answers as GET would, without the body.
    def test_communication_1_1_head_on_every_resource(self):
        p = self.state()
        ap = {"activityId": activity_id(), "profileId": "h"}
        gp = {"agent": learner(), "profileId": "h"}
        self.assert_status(self.doc("PUT", STATE, p, {"h": 1}), 204, "PUT")
        self.assert_status(self.doc("POST", ACTIVITY_PROFILE, ap, {"h": 1}), 204, "POST")
        self.assert_status(self.doc("POST", AGENT_PROFILE, gp, {"h": 1}), 204, "POST")
        for path, params in [(STATE, p), (STATE, {k: p[k] for k in ("activityId", "agent")}),
                             (ACTIVITY_PROFILE, ap), (AGENT_PROFILE, gp),
                             (ACTIVITIES, {"activityId": ap["activityId"]}),
                             (AGENTS, {"agent": gp["agent"]}),
                             (STATE, dict(p, stateId="absent"))]:
            with self.subTest(path=path, params=params):
                g = self.doc("GET", path, params)
                h = self.doc("HEAD", path, params)
                self.assertEqual(h.status, g.status)
                self.assertEqual(h.body, b"")
                for name in ("ETag", "Last-Modified", "Content-Type",
                             "X-Experience-API-Version"):
                    self.assertEqual(h.header(name), g.header(name), name)
        r = self.c.request("HEAD", "/xapi/about", auth=False, version=False)
        self.assertEqual((r.status, r.body), (200, b""))


class Refusals(DocCase):
    # Communication 3.3 (XAPI-00321, 00331): no version header, 400 on every resource.
    def test_xapi_00321_missing_version_header_is_400(self):
        p = self.state()
        for method, path, params in [
                ("PUT", STATE, p), ("GET", STATE, p), ("DELETE", STATE, p),
                ("POST", ACTIVITY_PROFILE, {"activityId": activity_id(), "profileId": "x"}),
                ("GET", AGENT_PROFILE, {"agent": learner()}),
                ("GET", ACTIVITIES, {"activityId": activity_id()}),
                ("GET", AGENTS, {"agent": learner()})]:
            with self.subTest(method=method, path=path):
                body = {"a": 1} if method in ("PUT", "POST") else None
                r = self.doc(method, path, params, body, version=False)
                self.assert_status(r, 400, "no version")
                self.assertIn("X-Experience-API-Version", json.loads(r.body)["error"])
                r = self.doc(method, path, params, body, headers={
                    "X-Experience-API-Version": "0.95"})
                self.assert_status(r, 400, "version 0.95")
        self.assert_status(self.doc("GET", STATE, p), 404, "stored without a version")

    # Communication 3.2.s3.b11: documents over the hub's limit are 413, whole or merged.
    def test_communication_3_2_s3_b11_large_documents_are_413(self):
        p = self.state()
        at_limit = b'{"a": "' + b"x" * (MAX_DOCUMENT - 9) + b'"}'
        self.assertEqual(len(at_limit), MAX_DOCUMENT)
        self.assert_status(self.doc("PUT", STATE, p, at_limit), 204, "at the limit")
        over = at_limit + b" "
        r = self.doc("PUT", STATE, p, over)
        self.assert_status(r, 413, "one byte over")
        self.assertIn("--max-document", json.loads(r.body)["error"])
        r = self.doc("PUT", STATE, p, b"z" * (MAX_DOCUMENT * 20), content_type="text/plain")
        self.assert_status(r, 413, "20 times over")
        r = self.doc("POST", STATE, p, {"c": 1})
        self.assert_status(r, 413, "a merge that grows past the limit")
        self.assert_document(STATE, p, at_limit)

    # Communication 3.2.s3.b10 and docs/hub.md "Credentials": scopes apply to documents.
    def test_scopes_apply_to_documents(self):
        p = self.state()
        self.assert_status(self.doc("PUT", STATE, p, {"owner": "admin"}), 204, "PUT")
        reader = hl.Client(self.hub, *self.home.credentials("reader", scope="read-all"))
        laptop = hl.Client(self.hub, *self.home.credentials("laptop"))  # write,read-mine,...
        writer = hl.Client(self.hub, *self.home.credentials("writer", scope="write"))
        self.assert_status(self.doc("GET", STATE, p, client=reader), 200, "read-all reads")
        self.assert_status(self.doc("PUT", STATE, p, {"x": 1}, client=reader), 403,
                           "read-all cannot write")
        self.assert_status(self.doc("GET", STATE, p, client=writer), 403, "write cannot read")
        self.assert_status(self.doc("GET", STATE, p, client=laptop), 404,
                           "read-mine: another credential's document does not exist")
        self.assert_status(self.doc("PUT", STATE, p, {"x": 1}, client=laptop), 403,
                           "read-mine cannot overwrite another credential's document")
        ctx = {"activityId": p["activityId"], "agent": p["agent"]}
        self.assertEqual(json.loads(self.doc("GET", STATE, ctx, client=laptop).body), [])
        mine = dict(ctx, stateId="mine")
        self.assert_status(self.doc("PUT", STATE, mine, {"x": 1}, client=laptop), 204, "own")
        self.assertEqual(json.loads(self.doc("GET", STATE, ctx, client=laptop).body), ["mine"])
        self.assert_status(self.doc("DELETE", STATE, ctx, client=laptop), 204, "DELETE own")
        self.assert_document(STATE, p, b'{"owner": "admin"}')
        r = self.doc("GET", STATE, p, client=hl.Client(self.hub, self.key, "0" * 64))
        self.assertEqual(r.status, 401)


class AlternateSyntax(DocCase):
    def alt(self, path, method, form, headers=None, auth=True):
        body = urllib.parse.urlencode(form).encode()
        return self.c.request("POST", path + "?method=" + method, body=body, headers=headers,
                              content_type="application/x-www-form-urlencoded", auth=auth,
                              version=False)

    # Communication 1.3.s3.b1..b15; XAPI-00336
    def test_xapi_00336_documents_through_the_alternate_syntax(self):
        p = self.state()
        form = {"activityId": p["activityId"], "agent": json.dumps(p["agent"]),
                "stateId": p["stateId"], "X-Experience-API-Version": "1.0.3"}
        r = self.alt(STATE, "PUT", dict(form, content='{"via": "form"}'))
        self.assert_status(r, 204, "PUT as POST")
        self.assert_document(STATE, p, b'{"via": "form"}')
        r = self.alt(STATE, "POST", dict(form, content='{"more": 1}',
                                         **{"Content-Type": "application/json"}))
        self.assert_status(r, 204, "merge as POST")
        r = self.alt(STATE, "GET", form)
        self.assert_status(r, 200, "GET as POST")
        self.assertEqual(json.loads(r.body), {"via": "form", "more": 1})
        tag = r.header("ETag")
        ap = {"activityId": activity_id(), "profileId": "alt",
              "X-Experience-API-Version": "1.0.3"}
        self.assert_status(self.alt(ACTIVITY_PROFILE, "PUT", dict(ap, content="{}")), 400,
                           "profile PUT without If-None-Match")
        self.assert_status(self.alt(ACTIVITY_PROFILE, "PUT", dict(ap, content="{}", **{
            "If-None-Match": "*"})), 204, "If-None-Match as a form field")
        self.assert_status(self.alt(STATE, "DELETE", dict(form, **{"If-Match": '"0"'})), 412,
                           "If-Match as a form field")
        self.assert_status(self.alt(STATE, "DELETE", dict(form, **{"If-Match": tag})), 204,
                           "DELETE as POST")
        self.assert_status(self.doc("GET", STATE, p), 404, "deleted")
        # The credentials as a form field, none in the headers.
        auth = hl.Client(self.hub, self.key, self.secret).auth_header()
        r = self.alt(STATE, "PUT", dict(form, content="{}", Authorization=auth), auth=False)
        self.assert_status(r, 204, "Authorization as a form field")
        r = self.alt(STATE, "GET", dict(form, Authorization="Basic Zm9vOmJhcg=="), auth=False)
        self.assertEqual(r.status, 401)

    def test_xapi_00336_statements_through_the_alternate_syntax(self):
        st = hl.statement()
        sid = st.pop("id")
        r = self.alt("/xapi/statements", "PUT", {"statementId": sid, "content": json.dumps(st),
                                                 "X-Experience-API-Version": "1.0.3"})
        self.assert_status(r, 204, "statement PUT as POST")
        r = self.alt("/xapi/statements", "GET", {"statementId": sid,
                                                 "X-Experience-API-Version": "1.0.3"})
        self.assert_status(r, 200, "statement GET as POST")
        self.assertEqual(json.loads(r.body)["id"], sid)

    # Communication 1.3.s3.b3, b4, b7, 3.2.s3.b6
    def test_communication_1_3_bad_alternate_requests_are_400(self):
        p = self.state()
        form = {"activityId": p["activityId"], "agent": json.dumps(p["agent"]),
                "stateId": p["stateId"], "X-Experience-API-Version": "1.0.3"}
        body = urllib.parse.urlencode(dict(form, content="{}")).encode()
        cases = [
            ("another query parameter", self.c.request(
                "POST", STATE + "?method=PUT&stateId=x", body=body, version=False,
                content_type="application/x-www-form-urlencoded")),
            ("no content for PUT", self.alt(STATE, "PUT", form)),
            ("version 0.8 in the form", self.alt(STATE, "PUT", dict(
                form, content="{}", **{"X-Experience-API-Version": "0.8"}))),
            ("no version at all", self.alt(STATE, "GET", {
                k: v for k, v in form.items() if k != "X-Experience-API-Version"})),
            ("a body that is not a form", self.c.request(
                "POST", STATE + "?method=PUT", body=json.dumps(dict(form, content="{}")).encode(),
                content_type="application/x-www-form-urlencoded", version=False)),
            ("a JSON body", self.c.request(
                "POST", STATE + "?method=PUT", body=body, content_type="application/json",
                version=False)),
            ("an unknown method", self.alt(STATE, "PATCH", dict(form, content="{}"))),
            ("an unknown form field", self.alt(STATE, "PUT", dict(form, content="{}",
                                                                  color="red"))),
        ]
        for what, r in cases:
            with self.subTest(what):
                self.assert_status(r, 400, what)
        self.assert_status(self.doc("GET", STATE, p), 404, "stored despite the refusals")


class DocQuota(DocCase):
    """docs/hub.md, `--max-documents-per-credential`: one credential's documents in all."""

    TOTAL = 3000

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("laptop")
        cls.hub = testlib.Server([testlib.HUB, *cls.home.serve_args(), "--listen",
                                  "127.0.0.1:0", "--max-documents-per-credential",
                                  str(cls.TOTAL)], env=testlib.hub_env())
        cls.addClassCleanup(cls.hub.stop)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)

    def test_a_credential_is_held_to_its_total(self):
        first, second, third = self.state(), self.state(), self.state()
        half = b"x" * (self.TOTAL // 2 - 100)
        self.assert_status(self.doc("PUT", STATE, first, half, content_type="text/plain"), 204,
                           "first half")
        self.assert_status(self.doc("PUT", STATE, second, half, content_type="text/plain"), 204,
                           "second half")
        r = self.doc("PUT", STATE, third, b"y" * 400, content_type="text/plain")
        self.assert_status(r, 413, "past the credential's total")
        self.assertIn("--max-documents-per-credential", json.loads(r.body)["error"])
        self.assert_status(self.doc("GET", STATE, third), 404, "nothing stored")
        # Replacing a document counts it once: the same size again fits.
        self.assert_status(self.doc("PUT", STATE, first, half, content_type="text/plain"), 204,
                           "replaced")
        # Another credential has a total of its own.
        other = hl.Client(self.hub, *self.home.credentials("another laptop"))
        self.assert_status(self.doc("PUT", STATE, third, b"y" * 400, content_type="text/plain",
                                    client=other), 204, "another credential")
        # Deleting frees room.
        self.assert_status(self.doc("DELETE", STATE, second), 204, "delete")
        self.assert_status(self.doc("PUT", STATE, self.state(), b"z" * 400,
                                    content_type="text/plain"), 204, "after a delete")


if __name__ == "__main__":
    testlib.main()
