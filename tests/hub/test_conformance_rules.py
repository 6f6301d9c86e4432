#!/usr/bin/env python3
"""test_conformance_rules.py: the hub refuses and reshapes statements as xAPI 1.0.3 says, one
test per group of requirements of ADL's conformance suite (their XAPI-000nn ids named)."""
import copy
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402

ACTIVITY = "https://example.org/activities/conformance"


def interaction(**definition):
    return {"objectType": "Activity", "id": ACTIVITY, "definition": definition}


def substatement(obj, **extra):
    sub = {"objectType": "SubStatement", "actor": hl.agent("bob"), "verb": hl.verb(),
           "object": obj}
    sub.update(extra)
    return sub


class ConformanceRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("conformance")
        cls.hub = hl.start_hub(cls, cls.home)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)

    def refused(self, st, words):
        r = self.c.post(st)
        self.assertEqual(r.status, 400, r)
        self.assertIn(words, r.error())

    def accepted(self, st):
        r = self.c.post(st)
        self.assertEqual(r.status, 200, r)
        return r.json()[0]

    def test_interaction_type(self):
        """XAPI-00049: one of ten names, as written; XAPI-00050: needed by the others."""
        scale = [{"id": "likert_0", "description": {"en-US": "OK"}}]
        self.accepted(hl.statement(obj=interaction(interactionType="likert", scale=scale,
                                                   correctResponsesPattern=["likert_0"])))
        for bad in ("liKert", "Other", "ab=c://should.fail.com", 12345, {"test": "value"}):
            with self.subTest(interactionType=bad):
                obj = interaction(interactionType=bad, scale=scale)
                self.refused(hl.statement(obj=obj), "interactionType: must be true-false")
                self.refused(hl.statement(obj=substatement(obj)),
                             "interactionType: must be true-false")
        for part, value in (("scale", scale), ("correctResponsesPattern", ["likert_0"])):
            with self.subTest(without_type=part):
                self.refused(hl.statement(obj=interaction(**{part: value})),
                             "interactionType: is required")

    def test_context_follows_the_object(self):
        """XAPI-00090/91: revision and platform only about an Activity; XAPI-00092: a
        StatementRef; XAPI-00093: a single ContextActivity returned as an array, in a
        SubStatement too."""
        ref = {"objectType": "StatementRef", "id": hl.statement()["id"]}
        for part in ("revision", "platform"):
            for obj in (ref, substatement(hl.activity())):
                with self.subTest(part=part, object=obj["objectType"]):
                    self.refused(hl.statement(obj=obj, context={part: "1"}),
                                 "context.%s: must be a string, and only about an Activity"
                                 % part)
            self.refused(hl.statement(obj=substatement(ref, context={part: "1"})),
                         "object.context.%s" % part)
        bad_ref = dict(ref, objectType="statementref")
        self.refused(hl.statement(context={"statement": bad_ref}),
                     'context.statement.objectType: must be "StatementRef"')
        one = {"objectType": "Activity", "id": ACTIVITY}
        kinds = {k: one for k in ("parent", "grouping", "category", "other")}
        st = hl.statement(obj=substatement(hl.activity(),
                                           context={"contextActivities": kinds}))
        self.accepted(st)
        stored = self.c.statement(st["id"])
        self.assertEqual(stored["object"]["context"]["contextActivities"],
                         {k: [one] for k in kinds})

    def test_authority_group(self):
        """XAPI-00098, XAPI-00100: a Group authority is anonymous, of exactly two Agents."""
        two = [hl.agent("app"), hl.agent("user")]
        self.accepted(hl.statement(authority={"objectType": "Group", "member": two}))
        for group in ({"objectType": "Group", "mbox": "mailto:g@example.org", "member": two},
                      {"objectType": "Group", "openid": "https://example.org/g"},
                      {"objectType": "Group", "member": two[:1]},
                      {"objectType": "Group", "member": two + [hl.agent("third")]}):
            with self.subTest(group=group):
                self.refused(hl.statement(authority=group),
                             "authority: a Group must be anonymous and have exactly two")

    def test_offsets_and_durations(self):
        """XAPI-00122: no -00 offset, in a SubStatement too; XAPI-00124: weeks alone."""
        for when in ("2026-11-03T10:15:00-00", "2026-11-03T10:15:00-0000",
                     "2026-11-03T10:15:00-00:00"):
            with self.subTest(timestamp=when):
                self.refused(hl.statement(timestamp=when), "timestamp: must be an ISO 8601")
                self.refused(hl.statement(obj=substatement(hl.activity(), timestamp=when)),
                             "object.timestamp: must be an ISO 8601")
        self.accepted(hl.statement(timestamp="2026-11-03T10:15:00+00"))
        self.accepted(hl.statement(result={"duration": "P4W"}))
        self.refused(hl.statement(result={"duration": "P4W1D"}),
                     "result.duration: must be an ISO 8601 duration")

    def test_formats(self):
        """XAPI-00169: canonical keeps one language, the one Accept-Language prefers;
        XAPI-00171: ids keeps identifiers only, in a SubStatement too."""
        maps = {"en-US": "US", "en-GB": "GB", "fr": "FR"}
        act = {"objectType": "Activity", "id": ACTIVITY,
               "definition": {"name": dict(maps), "description": dict(maps),
                              "extensions": {"https://example.org/x": {"name": dict(maps)}}}}
        group = {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.org"}
        sub = {"objectType": "SubStatement", "actor": group,
               "verb": {"id": "https://example.org/v", "display": dict(maps)}, "object": act}
        st = hl.statement(obj=sub, context={"contextActivities": {"category": [act]}})
        st["verb"]["display"] = dict(maps)
        self.accepted(st)
        for header, want in (("en-GB", "GB"), ("fr-CA, en;q=0.5", "FR"),
                             ("de, en-US;q=0.9, *;q=0.1", "US"), ("en", "US"), (None, "US")):
            with self.subTest(accept_language=header):
                h = {"Accept-Language": header} if header else {}
                r = self.c.get({"statementId": st["id"], "format": "canonical"}, headers=h)
                self.assertEqual(r.status, 200, r)
                got = r.json()
                cat = got["context"]["contextActivities"]["category"][0]["definition"]
                for m in (got["verb"]["display"], got["object"]["verb"]["display"],
                          got["object"]["object"]["definition"]["name"],
                          cat["name"], cat["description"]):
                    self.assertEqual(list(m.values()), [want], m)
                self.assertEqual(cat["extensions"]["https://example.org/x"]["name"], maps)
        exact = self.c.get({"statementId": st["id"]}, headers={"Accept-Language": "en-GB"})
        self.assertEqual(exact.json()["verb"]["display"], maps)
        page = self.c.get({"format": "ids", "verb": st["verb"]["id"]}).json()["statements"]
        got = [s for s in page if s["id"] == st["id"]][0]
        self.assertEqual(got["actor"], {"objectType": "Agent", "mbox": st["actor"]["mbox"]})
        self.assertEqual(got["verb"], {"id": st["verb"]["id"]})
        self.assertEqual(got["object"]["actor"],
                         {"objectType": "Group", "mbox": "mailto:team@example.org"})
        self.assertEqual(got["object"]["object"], {"id": ACTIVITY})
        self.assertEqual(got["object"]["verb"], {"id": "https://example.org/v"})
        self.assertEqual(got["context"]["contextActivities"]["category"], [{"id": ACTIVITY}])

    def test_attachment_language_maps(self):
        """XAPI-00115 (Data 4.2): an attachment's display and description are language
        maps of RFC 5646 tags."""
        def with_attachment(**maps):
            att = {"usageType": "https://example.org/usage", "contentType": "text/plain",
                   "length": 1, "sha2": "0" * 64, "fileUrl": "https://example.org/f.txt",
                   "display": {"en-US": "file"}}
            att.update(maps)
            return hl.statement(attachments=[att])
        self.accepted(with_attachment(description={"es-MX": "archivo"}))
        self.refused(with_attachment(display={"en-US": "file", "something": "x"}),
                     "attachments.display: must map RFC 5646 language tags to strings")
        self.refused(with_attachment(description="file"),
                     "attachments.description: must be a language map")


if __name__ == "__main__":
    testlib.main()
