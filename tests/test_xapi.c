/* test_xapi.c: what the hub accepts as an xAPI statement, what it says when it refuses one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "relais/context.h"
#include "relais/error.h"
#include "relais/xapi.h"
#include "statement.h"

/* A statement as relais writes one for a passed quiz, every optional part filled in. */
static const char good[] =
        "{\"id\":\"3F2504E0-4F89-41D3-9A0C-0305E82C3301\","
        "\"actor\":{\"objectType\":\"Agent\",\"name\":\"Awa\","
        "\"mbox\":\"mailto:awa@ministry.invalid\"},"
        "\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/passed\","
        "\"display\":{\"en-US\":\"passed\"}},"
        "\"object\":{\"objectType\":\"Activity\","
        "\"id\":\"https://relais.invalid/xapi/activities/migration-health/quiz1\","
        "\"definition\":{\"name\":{\"fr\":\"Quiz\"},"
        "\"type\":\"http://adlnet.gov/expapi/activities/assessment\"}},"
        "\"result\":{\"score\":{\"scaled\":0.75,\"raw\":3,\"min\":0,\"max\":4},"
        "\"success\":true,\"completion\":true,\"response\":\"b\",\"duration\":\"PT1M2.50S\"},"
        "\"context\":{\"registration\":\"6fa459ea-ee8a-3ca4-894e-db77e160355e\","
        "\"platform\":\"relais\",\"language\":\"fr-FR\","
        "\"extensions\":{\"https://relais.invalid/xapi/extensions/organisation\":\"Ministry\"},"
        "\"contextActivities\":{\"parent\":[{\"id\":"
        "\"https://relais.invalid/xapi/activities/migration-health\"}]}},"
        "\"timestamp\":\"2026-11-03T10:15:00.25+01:00\"}";

/* Checks one JSON text under the rules of xAPI version (RELAIS_XAPI_*); returns the
 * status and copies the message into msg. */
static int check_as(struct relais_xapi_facts *f, const char *json, int version, char *msg,
                    size_t size)
{
	relais_ctx *ctx = NULL;
	cJSON *st = cJSON_Parse(json);
	int rc;

	assert_non_null(st);
	assert_int_equal(relais_ctx_new(&ctx), 0);
	rc = relais_xapi_check_version(f, ctx, st, "statements[0]", version);
	(void)snprintf(msg, size, "%s", relais_errmsg(ctx));
	relais_ctx_free(ctx);
	cJSON_Delete(st);
	return rc;
}

/* check_as() under xAPI 1.0.3's rules, as relais_xapi_check() checks. */
static int check_text(struct relais_xapi_facts *f, const char *json, char *msg, size_t size)
{
	return check_as(f, json, RELAIS_XAPI_1_0, msg, size);
}

/*
 * Sets the member at a dotted path of root to the JSON value (NULL: removes
 * it), making objects on the way.
 */
static void patch(cJSON *root, const char *path, const char *value)
{
	char key[128];
	const char *dot;
	cJSON *at = root, *next;

	while ((dot = strchr(path, '.')) != NULL) {
		assert_true((size_t)(dot - path) < sizeof(key));
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		next = cJSON_GetObjectItemCaseSensitive(at, key);
		if (next == NULL) {
			next = cJSON_AddObjectToObject(at, key);
		}
		assert_non_null(next);
		at = next;
		path = dot + 1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(at, path);
	if (value != NULL) {
		cJSON *v = cJSON_Parse(value);
		assert_non_null(v);
		assert_true(cJSON_AddItemToObject(at, path, v));
	}
}

/* The good statement with one change (and removed taken out, unless NULL), as text. */
static char *changed(const char *path, const char *value, const char *removed)
{
	cJSON *st = cJSON_Parse(good);
	char *out;

	assert_non_null(st);
	patch(st, path, value);
	if (removed != NULL) {
		patch(st, removed, NULL);
	}
	out = cJSON_PrintUnformatted(st);
	assert_non_null(out);
	cJSON_Delete(st);
	return out;
}

static void good_statement_gives_its_facts(void **state)
{
	struct relais_xapi_facts f;
	char msg[256];

	assert_int_equal(check_text(&f, good, msg, sizeof(msg)), 0);
	assert_true(f.has_id);
	assert_string_equal(f.id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301"); /* lower case */
	assert_string_equal(f.actor, "mbox:mailto:awa@ministry.invalid");
	assert_string_equal(f.actor_name, "Awa");
	assert_string_equal(f.verb, "http://adlnet.gov/expapi/verbs/passed");
	assert_int_equal(f.object_kind, RELAIS_XAPI_ACTIVITY);
	assert_string_equal(f.object_id,
	                    "https://relais.invalid/xapi/activities/migration-health/quiz1");
	assert_string_equal(f.course, "migration-health");
	assert_string_equal(f.unit, "quiz1");
	assert_string_equal(f.registration, "6fa459ea-ee8a-3ca4-894e-db77e160355e");
	assert_string_equal(f.organisation, "Ministry");
	assert_string_equal(f.timestamp, "2026-11-03T10:15:00.25+01:00");
	assert_true(f.scaled == 0.75);
	assert_int_equal(f.success, 1);
	assert_null(f.voids);
	assert_int_equal(f.n_agents, 1);
	assert_int_equal(f.n_activities, 2); /* the quiz and its parent course */
	relais_xapi_facts_clear(&f);
}

static void minimal_statement_is_enough(void **state)
{
	struct relais_xapi_facts f;
	char msg[256], *json;

	assert_int_equal(check_text(&f,
	                            "{\"actor\":{\"account\":{\"homePage\":\"https://hub.invalid\","
	                            "\"name\":\"u1\"}},\"verb\":{\"id\":\"urn:x:did\"},"
	                            "\"object\":{\"id\":\"urn:x:thing\"}}",
	                            msg, sizeof(msg)),
	                 0);
	assert_false(f.has_id);
	assert_string_equal(f.actor, "account:https://hub.invalid:u1");
	assert_null(f.course); /* not one of relais's activities */
	assert_true(f.scaled == -2);
	assert_int_equal(f.success, -1);
	relais_xapi_facts_clear(&f);
	/* About an agent (no platform then): its identifier is the object's. */
	json = changed("object", "{\"objectType\":\"Agent\",\"mbox\":\"mailto:a@b.c\"}",
	               "context.platform");
	assert_int_equal(check_text(&f, json, msg, sizeof(msg)), 0);
	assert_int_equal(f.object_kind, RELAIS_XAPI_AGENT);
	assert_string_equal(f.object_id, "mbox:mailto:a@b.c");
	assert_int_equal(f.n_agents, 2);
	free(json);
	relais_xapi_facts_clear(&f);
}

/* Other shapes the rules allow: each must pass. */
/* A change to the good statement: the member at path set to value (NULL: removed). */
struct variant {
	const char *path, *value;
};

/* A change and the message that refuses it. */
struct refusal {
	const char *path, *value, *msg;
};

/* Each of n changes to the good statement is refused with its message under version. */
static void expect_refusals_as(const struct refusal *bad, size_t n, int version)
{
	struct relais_xapi_facts f;
	char msg[256];
	size_t i;

	for (i = 0; i < n; i++) {
		char *json = changed(bad[i].path, bad[i].value, NULL);
		int rc = check_as(&f, json, version, msg, sizeof(msg));
		if (rc != RELAIS_EFORMAT || strcmp(msg, bad[i].msg) != 0) {
			print_error("%s = %s: rc %d, \"%s\"\n", bad[i].path,
			            bad[i].value ? bad[i].value : "(removed)", rc, msg);
		}
		assert_int_equal(rc, RELAIS_EFORMAT);
		assert_string_equal(msg, bad[i].msg);
		relais_xapi_facts_clear(&f);
		free(json);
	}
}

static void expect_refusals(const struct refusal *bad, size_t n)
{
	expect_refusals_as(bad, n, RELAIS_XAPI_1_0);
}

/* Each change to the good statement passes the check. */
static void expect_passes(const struct variant *ok, size_t n)
{
	struct relais_xapi_facts f;
	char msg[256];
	size_t i;

	for (i = 0; i < n; i++) {
		char *json = changed(ok[i].path, ok[i].value, NULL);
		int rc = check_text(&f, json, msg, sizeof(msg));
		if (rc != 0) {
			print_error("%s = %s: %s\n", ok[i].path, ok[i].value, msg);
		}
		assert_int_equal(rc, 0);
		relais_xapi_facts_clear(&f);
		free(json);
	}
}

static void allowed_variants_pass(void **state)
{
	static const struct variant ok[] = {
	        {"actor", "{\"mbox_sha1sum\":\"0123456789abcdef0123456789ABCDEF01234567\"}"},
	        {"actor", "{\"openid\":\"https://id.invalid/awa\"}"},
	        {"actor", "{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@b.c\"}]}"},
	        {"actor", "{\"objectType\":\"Group\",\"mbox\":\"mailto:team@b.c\"}"},

	        {"timestamp", "\"2026-11-03T10:15Z\""},
	        {"timestamp", "\"2026-11-03T10:15:00-0500\""},
	        {"timestamp", "\"2026-11-03T10:15:00+00\""},
	        {"result.duration", "\"P1Y2M4DT5H6M7.5S\""},
	        {"result.score.scaled", "-1"},
	        {"context.team", "{\"objectType\":\"Group\",\"mbox\":\"mailto:t@b.c\"}"},
	        {"context.contextActivities", "{\"other\":{\"id\":\"urn:x:one\"}}"},
	        {"context.statement", "{\"objectType\":\"StatementRef\","
	                              "\"id\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\"}"},
	        {"stored", "\"2026-11-03T10:16:00Z\""},
	        {"authority", "{\"account\":{\"homePage\":\"https://relais.invalid/hub\","
	                      "\"name\":\"hub\"}}"},
	        {"version", "\"1.0.3\""},
	        {"version", "\"1.0\""},
	        {"attachments",
	         "[{\"usageType\":\"urn:x:u\",\"display\":{\"en\":\"a\"},\"contentType\":"
	         "\"text/"
	         "plain\",\"length\":1,\"sha2\":\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72"
	         "b9807785afee48bb\",\"fileUrl\":\"https://f.invalid/a\"}]"},
	        {"attachments",
	         "[{\"usageType\":\"urn:x:u\",\"display\":{\"en\":\"a\"},"
	         "\"contentType\":\"text/plain\",\"length\":1,\"sha2\":"
	         "\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\"}]"},
	};
	(void)state;
	expect_passes(ok, sizeof(ok) / sizeof(ok[0]));
}

/* Each rule relais_xapi_check enforces, broken once, with the message the sender gets. */
static void each_rule_refuses_with_its_message(void **state)
{
	static const struct refusal bad[] = {
	        {"extra", "1", "statements[0].extra: is not an xAPI property here"},
	        {"id", "\"3f2504e0-4f89-41d3-9a0c-0305e82c330\"",
	         "statements[0].id: must be a UUID"},
	        {"id", "7", "statements[0].id: must be a UUID"},
	        {"actor", NULL, "statements[0].actor: is required"},
	        {"actor", "\"awa\"", "statements[0].actor: must be an Agent or Group object"},
	        {"actor.objectType", "1", "statements[0].actor.objectType: must be a string"},
	        {"actor.objectType", "\"Person\"",
	         "statements[0].actor.objectType: must be \"Agent\" or \"Group\""},
	        {"actor.member", "[]", "statements[0].actor.member: is not an xAPI property here"},
	        {"actor.name", "1", "statements[0].actor.name: must be a string"},
	        {"actor.mbox", "\"awa@ministry.invalid\"",
	         "statements[0].actor.mbox: must be a mailto: IRI"},
	        {"actor.mbox", "\"mailto:awa\"", "statements[0].actor.mbox: must be a mailto: IRI"},
	        {"actor", "{\"mbox_sha1sum\":\"0123\"}",
	         "statements[0].actor.mbox_sha1sum: must be 40 hexadecimal digits"},
	        {"actor", "{\"mbox_sha1sum\":\"0123456789abcdef0123456789abcdef0123456g\"}",
	         "statements[0].actor.mbox_sha1sum: must be 40 hexadecimal digits"},
	        {"actor", "{\"openid\":\"not a uri\"}",
	         "statements[0].actor.openid: must be a URI"},
	        {"actor", "{\"account\":{\"homePage\":\"https://hub.invalid\"}}",
	         "statements[0].actor.account: must have a homePage IRL and a name"},
	        {"actor",
	         "{\"account\":{\"homePage\":\"https://hub.invalid\",\"name\":\"u\",\"x\":1}}",
	         "statements[0].actor.x: is not an xAPI property here"},
	        {"actor.openid", "\"https://id.invalid/awa\"",
	         "statements[0].actor: must have exactly one of mbox, mbox_sha1sum, openid, "
	         "account"},
	        {"actor", "{\"name\":\"Awa\"}",
	         "statements[0].actor: must have exactly one of mbox, mbox_sha1sum, openid, "
	         "account"},
	        {"actor", "{\"objectType\":\"Group\",\"name\":\"team\"}",
	         "statements[0].actor: an anonymous Group must list its members"},
	        {"actor", "{\"objectType\":\"Group\",\"member\":{}}",
	         "statements[0].actor.member: must be an array of Agents"},
	        {"actor",
	         "{\"objectType\":\"Group\",\"member\":[{\"objectType\":\"Group\","
	         "\"mbox\":\"mailto:g@b.c\"}]}",
	         "statements[0].actor.member: must hold Agents, not Groups"},
	        {"actor", "{\"objectType\":\"Group\",\"member\":[{\"name\":\"nobody\"}]}",
	         "statements[0].actor.member: must have exactly one of mbox, mbox_sha1sum, openid, "
	         "account"},
	        {"verb", NULL, "statements[0].verb: is required and must be an object"},
	        {"verb", "\"passed\"", "statements[0].verb: is required and must be an object"},
	        {"verb.extra", "1", "statements[0].verb.extra: is not an xAPI property here"},
	        {"verb.id", "\"passed\"", "statements[0].verb.id: must be an IRI"},
	        {"verb.id", "\"http://a.invalid/x y\"", "statements[0].verb.id: must be an IRI"},
	        {"verb.display", "\"passed\"",
	         "statements[0].verb.display: must be a language map"},
	        {"verb.display", "{\"english\":\"passed\"}",
	         "statements[0].verb.display: must map RFC 5646 language tags to strings"},
	        {"verb.display", "{\"en\":1}",
	         "statements[0].verb.display: must map RFC 5646 language tags to strings"},
	        {"object", NULL, "statements[0].object: is required"},
	        {"object", "[]", "statements[0].object: must be an object"},
	        {"object.objectType", "1", "statements[0].object.objectType: must be a string"},
	        {"object.objectType", "\"Thing\"",
	         "statements[0].object.objectType: must be Activity, Agent, Group, StatementRef or "
	         "SubStatement"},
	        {"object.id", NULL, "statements[0].object.id: must be an IRI"},
	        {"object.id", "\"quiz1\"", "statements[0].object.id: must be an IRI"},
	        {"object.extra", "1", "statements[0].object.extra: is not an xAPI property here"},
	        {"object.definition", "[]",
	         "statements[0].object.definition: must be an Activity Definition"},
	        {"object.definition.extra", "1",
	         "statements[0].object.definition.extra: is not an xAPI property here"},
	        {"object.definition.name", "\"Quiz\"",
	         "statements[0].object.definition.name: must be a language map"},
	        {"object.definition.description", "{\"f r\":\"x\"}",
	         "statements[0].object.definition.description: must map RFC 5646 language tags to "
	         "strings"},
	        {"object.definition.type", "\"assessment\"",
	         "statements[0].object.definition.type: must be an IRI"},
	        {"object.definition.moreInfo", "\"here\"",
	         "statements[0].object.definition.moreInfo: must be an IRL"},
	        {"object.definition.extensions", "[]",
	         "statements[0].object.definition.extensions: must be an object"},
	        {"object.definition.extensions", "{\"level\":1}",
	         "statements[0].object.definition.extensions: keys must be IRIs"},
	        {"object", "{\"objectType\":\"StatementRef\",\"id\":\"nope\"}",
	         "statements[0].object.id: must be a UUID"},
	        {"object",
	         "{\"objectType\":\"StatementRef\","
	         "\"id\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\",\"x\":1}",
	         "statements[0].object.x: is not an xAPI property here"},
	        {"context.statement", "[]",
	         "statements[0].context.statement: must be a StatementRef"},
	        {"object", "{\"objectType\":\"Agent\",\"mbox\":\"a@b.c\"}",
	         "statements[0].object.mbox: must be a mailto: IRI"},
	        {"object",
	         "{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:a@b.c\"},"
	         "\"verb\":{\"id\":\"urn:x:v\"},\"object\":{\"objectType\":"
	         "\"SubStatement\"}}",
	         "statements[0].object.object.objectType: a SubStatement cannot hold another"},
	        {"object",
	         "{\"objectType\":\"SubStatement\",\"id\":"
	         "\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\"}",
	         "statements[0].object.id: is not an xAPI property here"},
	        {"verb.id", "\"http://adlnet.gov/expapi/verbs/voided\"",
	         "statements[0].object: a voiding statement must refer to a statement"},
	        {"result", "true", "statements[0].result: must be an object"},
	        {"result.extra", "1", "statements[0].result.extra: is not an xAPI property here"},
	        {"result.score", "0.5", "statements[0].result.score: must be a Score object"},
	        {"result.score.percent", "50",
	         "statements[0].result.score.percent: is not an xAPI property here"},
	        {"result.score.raw", "\"3\"",
	         "statements[0].result.score: scaled, raw, min and max must be numbers"},
	        {"result.score.scaled", "1.5",
	         "statements[0].result.score.scaled: must be from -1 to 1"},
	        {"result.score.min", "4", "statements[0].result.score.min: must be less than max"},
	        {"result.score.raw", "5",
	         "statements[0].result.score.raw: must be between min and max"},
	        {"result.score.raw", "-1",
	         "statements[0].result.score.raw: must be between min and max"},
	        {"result.success", "\"yes\"",
	         "statements[0].result.success: must be true or false"},
	        {"result.completion", "1",
	         "statements[0].result.completion: must be true or false"},
	        {"result.response", "2", "statements[0].result.response: must be a string"},
	        {"result.duration", "\"62 s\"",
	         "statements[0].result.duration: must be an ISO 8601 duration"},
	        {"result.duration", "\"PT\"",
	         "statements[0].result.duration: must be an ISO 8601 duration"},
	        {"result.duration", "\"P1H\"",
	         "statements[0].result.duration: must be an ISO 8601 duration"},
	        {"result.extensions", "{\"x\":1}",
	         "statements[0].result.extensions: keys must be IRIs"},
	        {"context", "1", "statements[0].context: must be an object"},
	        {"context.extra", "1", "statements[0].context.extra: is not an xAPI property here"},
	        {"context.registration", "\"r1\"",
	         "statements[0].context.registration: must be a UUID"},
	        {"context.instructor", "{}",
	         "statements[0].context.instructor: must have exactly one of mbox, mbox_sha1sum, "
	         "openid, account"},
	        {"context.team", "{\"mbox\":\"mailto:t@b.c\"}",
	         "statements[0].context.team: must be a Group"},
	        {"context.contextActivities", "[]",
	         "statements[0].context.contextActivities: must be an object of Activity lists"},
	        {"context.contextActivities.sibling", "[]",
	         "statements[0].context.contextActivities.sibling: is not an xAPI property here"},
	        {"context.contextActivities.parent", "[{\"id\":\"course\"}]",
	         "statements[0].context.contextActivities.parent.id: must be an IRI"},
	        {"context.revision", "2",
	         "statements[0].context.revision: must be a string, and only about an Activity"},
	        {"context.platform", "true",
	         "statements[0].context.platform: must be a string, and only about an Activity"},
	        {"context.language", "\"french!\"",
	         "statements[0].context.language: must be an RFC 5646 language tag"},
	        {"context.statement", "{\"id\":\"x\"}",
	         "statements[0].context.statement.id: must be a UUID"},
	        {"context.extensions", "{\"org\":\"Ministry\"}",
	         "statements[0].context.extensions: keys must be IRIs"},
	        {"timestamp", "\"2026-11-03 10:15:00Z\"",
	         "statements[0].timestamp: must be an ISO 8601 date and time with a time zone"},
	        {"timestamp", "\"2026-11-03T10:15:00\"",
	         "statements[0].timestamp: must be an ISO 8601 date and time with a time zone"},
	        {"timestamp", "\"2026-13-03T10:15:00Z\"",
	         "statements[0].timestamp: must be an ISO 8601 date and time with a time zone"},
	        {"timestamp", "\"2026-11-03T10:15:00-00:00\"",
	         "statements[0].timestamp: must be an ISO 8601 date and time with a time zone"},
	        {"timestamp", "1",
	         "statements[0].timestamp: must be an ISO 8601 date and time with a time zone"},
	        {"stored", "\"yesterday\"",
	         "statements[0].stored: must be an ISO 8601 date and time"},
	        {"authority", "\"hub\"",
	         "statements[0].authority: must be an Agent or Group object"},
	        {"version", "\"2.0.0\"", "statements[0].version: must be 1.0.x"},
	        {"version", "\"1.03\"", "statements[0].version: must be 1.0.x"},
	        {"attachments", "{}", "statements[0].attachments: must be an array"},
	        {"attachments", "[{\"fileUrl\":\"https://f.invalid/a\"}]",
	         "statements[0].attachments: each needs a usageType IRI"},
	        {"attachments", "[{\"usageType\":\"urn:x:u\",\"sha2\":\"00\"}]",
	         "statements[0].attachments: each needs a display language map"},
	        {"attachments",
	         "[{\"usageType\":\"urn:x:u\",\"display\":{\"en\":\"a\"},\"contentType\":"
	         "\"text/plain\",\"length\":1,\"sha2\":\"00\"}]",
	         "statements[0].attachments: each needs a sha2 (a SHA-2 in hex)"},
	};
	(void)state;
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

#define DEF "object.definition."
#define TYPE_MSG                                                                                   \
	"statements[0].object.definition.interactionType: must be true-false, choice, fill-in, "   \
	"long-fill-in, matching, performance, sequencing, likert, numeric or other"

/* XAPI-00049, XAPI-00050: interactionType is one of ten names, needed by the other parts. */
static void interactions_follow_the_specification(void **state)
{
	static const struct variant ok[] = {
	        {DEF "interactionType", "\"choice\""},
	        {"object.definition",
	         "{\"interactionType\":\"likert\",\"correctResponsesPattern\":[\"a\"],"
	         "\"scale\":[{\"id\":\"a\",\"description\":{\"en-US\":\"A\"}}]}"},
	};
	static const struct refusal bad[] = {
	        {DEF "interactionType", "\"choiCe\"", TYPE_MSG},
	        {DEF "interactionType", "\"Other\"", TYPE_MSG},
	        {DEF "interactionType", "\"http://a.invalid/choice\"", TYPE_MSG},
	        {DEF "interactionType", "12345", TYPE_MSG},
	        {DEF "interactionType", "{\"test\":\"value\"}", TYPE_MSG},
	        {DEF "correctResponsesPattern", "[\"a\"]",
	         "statements[0].object.definition.interactionType: is required with "
	         "correctResponsesPattern or interaction components"},
	        {DEF "scale", "[{\"id\":\"likert_0\"}]",
	         "statements[0].object.definition.interactionType: is required with "
	         "correctResponsesPattern or interaction components"},
	        {DEF "correctResponsesPattern", "\"a\"",
	         "statements[0].object.definition.correctResponsesPattern: must be an array of "
	         "strings"},
	        {DEF "choices", "[{\"description\":{\"en\":\"A\"}}]",
	         "statements[0].object.definition.choices: each component needs a string id"},
	};

	(void)state;
	expect_passes(ok, sizeof(ok) / sizeof(ok[0]));
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

/* The good statement about another object than an Activity, without its platform. */
static char *about(const char *object)
{
	cJSON *st = cJSON_Parse(good);
	char *out;

	assert_non_null(st);
	patch(st, "object", object);
	patch(st, "context.platform", NULL);
	out = cJSON_PrintUnformatted(st);
	assert_non_null(out);
	cJSON_Delete(st);
	return out;
}

/* XAPI-00090, XAPI-00091: revision and platform only about an Activity; XAPI-00092. */
static void context_follows_the_object(void **state)
{
	static const char *const objects[] = {
	        "{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:a@b.c\"},"
	        "\"verb\":{\"id\":\"urn:x:v\"},\"object\":{\"id\":\"urn:x:o\"}}",
	        "{\"objectType\":\"StatementRef\",\"id\":\"6fa459ea-ee8a-3ca4-894e-db77e160355e\"}",
	        "{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:a@b.c\"},"
	        "\"verb\":{\"id\":\"urn:x:v\"},\"object\":{\"objectType\":\"StatementRef\","
	        "\"id\":\"6fa459ea-ee8a-3ca4-894e-db77e160355e\"},"
	        "\"context\":{\"revision\":\"2\"}}",
	};
	static const struct refusal bad[] = {
	        {"context.statement",
	         "{\"objectType\":\"statementref\","
	         "\"id\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\"}",
	         "statements[0].context.statement.objectType: must be \"StatementRef\""},
	        {"context.statement", "{\"id\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\"}",
	         "statements[0].context.statement.objectType: must be \"StatementRef\""},
	};
	struct relais_xapi_facts f;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		char *json = about(objects[i]);
		assert_int_equal(check_text(&f, json, msg, sizeof(msg)), 0);
		relais_xapi_facts_clear(&f);
		free(json);
	}
	for (i = 0; i < 2; i++) {
		cJSON *st = cJSON_Parse(good);
		char *json;
		assert_non_null(st);
		patch(st, "object", objects[i]);
		patch(st, "context.revision", "\"2\"");
		patch(st, "context.platform", i ? NULL : "\"relais\"");
		json = cJSON_PrintUnformatted(st);
		assert_int_equal(check_text(&f, json, msg, sizeof(msg)), RELAIS_EFORMAT);
		assert_string_equal(msg, "statements[0].context.revision: must be a string, and "
		                         "only about an Activity");
		relais_xapi_facts_clear(&f);
		free(json);
		cJSON_Delete(st);
	}
	{
		char *json = about(objects[2]);
		assert_int_equal(check_text(&f, json, msg, sizeof(msg)), RELAIS_EFORMAT);
		assert_string_equal(msg, "statements[0].object.context.revision: must be a string, "
		                         "and only about an Activity");
		relais_xapi_facts_clear(&f);
		free(json);
	}
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

#define CONTEXT_AGENT                                                                              \
	"{\"objectType\":\"contextAgent\",\"agent\":{\"mbox\":\"mailto:p1@b.c\"},"                 \
	"\"relevantTypes\":[\"https://example.org/types/player\"]}"
#define CONTEXT_GROUP                                                                              \
	"{\"objectType\":\"contextGroup\",\"group\":{\"objectType\":\"Group\","                    \
	"\"mbox\":\"mailto:team@b.c\",\"member\":[{\"mbox\":\"mailto:p1@b.c\"}]}}"

/*
 * xAPI 2.0 (IEEE 9274.1.1, Data 2.4.6 and 2.4.10): contextAgents,
 * contextGroups and a 2.0.x version pass under 2.0 only; 1.0.3 refuses them
 * as before; a malformed contextAgent or contextGroup is refused with its
 * field named.
 */
static void xapi_2_0_rules_apply_to_2_0_requests(void **state)
{
	static const struct {
		const char *path, *value, *msg_1_0;
	} only_2_0[] = {
	        {"context.contextAgents", "[" CONTEXT_AGENT "]",
	         "statements[0].context.contextAgents: is not an xAPI property here"},
	        {"context.contextGroups", "[" CONTEXT_GROUP "]",
	         "statements[0].context.contextGroups: is not an xAPI property here"},
	        {"context.contextAgents",
	         "[{\"objectType\":\"contextAgent\",\"agent\":{\"objectType\":\"Agent\","
	         "\"account\":{\"homePage\":\"https://h.invalid\",\"name\":\"n\"}}}]",
	         "statements[0].context.contextAgents: is not an xAPI property here"},
	        {"version", "\"2.0.0\"", "statements[0].version: must be 1.0.x"},
	        {"version", "\"2.0\"", "statements[0].version: must be 1.0.x"},
	        {"version", "\"1.0.3\"", NULL},
	};
	static const struct refusal bad_2_0[] = {
	        {"context.contextAgents", CONTEXT_AGENT,
	         "statements[0].context.contextAgents: must be an array of contextAgent objects"},
	        {"context.contextAgents",
	         "[{\"objectType\":\"Should fail\",\"agent\":{\"mbox\":\"mailto:a@b.c\"}}]",
	         "statements[0].context.contextAgents[0].objectType: must be \"contextAgent\""},
	        {"context.contextAgents", "[{\"objectType\":\"contextAgent\"}]",
	         "statements[0].context.contextAgents[0].agent: is required"},
	        {"context.contextAgents",
	         "[{\"objectType\":\"contextAgent\",\"agent\":{\"key\":\"Should fail\"}}]",
	         "statements[0].context.contextAgents[0].agent.key: is not an xAPI property here"},
	        {"context.contextAgents",
	         "[{\"objectType\":\"contextAgent\",\"agent\":{\"objectType\":\"Group\","
	         "\"mbox\":\"mailto:t@b.c\"}}]",
	         "statements[0].context.contextAgents[0].agent: must be an Agent"},
	        {"context.contextAgents",
	         "[{\"objectType\":\"contextAgent\",\"agent\":{\"mbox\":\"mailto:a@b.c\"},"
	         "\"relevantTypes\":[]}]",
	         "statements[0].context.contextAgents[0].relevantTypes: must be a non-empty array "
	         "of IRIs"},
	        {"context.contextAgents",
	         "[{\"objectType\":\"contextAgent\",\"agent\":{\"mbox\":\"mailto:a@b.c\"},"
	         "\"relevantTypes\":[\"abc\"]}]",
	         "statements[0].context.contextAgents[0].relevantTypes: must be a non-empty array "
	         "of IRIs"},
	        {"context.contextGroups",
	         "[{\"objectType\":\"contextGroup\",\"group\":{\"mbox\":\"mailto:a@b.c\"}}]",
	         "statements[0].context.contextGroups[0].group: must be a Group"},
	        {"context.contextGroups",
	         "[{\"objectType\":\"contextAgent\",\"group\":{\"objectType\":\"Group\","
	         "\"mbox\":\"mailto:t@b.c\"}}]",
	         "statements[0].context.contextGroups[0].objectType: must be \"contextGroup\""},
	        {"version", "\"3.0.0\"", "statements[0].version: must be 1.0.x or 2.0.x"},
	        {"version", "\"2.0.x\"", "statements[0].version: must be 1.0.x or 2.0.x"},
	        {"version", "\"2.1.0\"", "statements[0].version: must be 1.0.x or 2.0.x"},
	};
	struct relais_xapi_facts f;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(only_2_0) / sizeof(only_2_0[0]); i++) {
		char *json = changed(only_2_0[i].path, only_2_0[i].value, NULL);
		int rc = check_as(&f, json, RELAIS_XAPI_2_0, msg, sizeof(msg));
		if (rc != 0) {
			print_error("2.0: %s = %s: %s\n", only_2_0[i].path, only_2_0[i].value, msg);
		}
		assert_int_equal(rc, 0);
		relais_xapi_facts_clear(&f);
		rc = check_as(&f, json, RELAIS_XAPI_1_0, msg, sizeof(msg));
		if (only_2_0[i].msg_1_0 == NULL) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, RELAIS_EFORMAT);
			assert_string_equal(msg, only_2_0[i].msg_1_0);
		}
		relais_xapi_facts_clear(&f);
		free(json);
	}
	expect_refusals_as(bad_2_0, sizeof(bad_2_0) / sizeof(bad_2_0[0]), RELAIS_XAPI_2_0);
	/* The agents of contextAgents are among those the statement mentions. */
	{
		char *json = changed("context.contextAgents", "[" CONTEXT_AGENT "]", NULL);
		int found = 0;
		assert_int_equal(check_as(&f, json, RELAIS_XAPI_2_0, msg, sizeof(msg)), 0);
		for (i = 0; i < f.n_agents; i++) {
			found |= strcmp(f.agents[i], "mbox:mailto:p1@b.c") == 0;
		}
		assert_true(found);
		relais_xapi_facts_clear(&f);
		free(json);
	}
}

/* The versions an X-Experience-API-Version header or a statement's version may name. */
static void version_names(void **state)
{
	static const struct {
		const char *v;
		int version;
	} cases[] = {
	        {"1.0", RELAIS_XAPI_1_0},
	        {"1.0.0", RELAIS_XAPI_1_0},
	        {"1.0.3", RELAIS_XAPI_1_0},
	        {"1.0.12", RELAIS_XAPI_1_0},
	        {"2.0", RELAIS_XAPI_2_0},
	        {"2.0.0", RELAIS_XAPI_2_0},
	        {"2.0.7", RELAIS_XAPI_2_0},
	        {"", 0},
	        {"1", 0},
	        {"1.0.", 0},
	        {"1.0x", 0},
	        {"1.0.x", 0},
	        {"1.1.0", 0},
	        {"2.1", 0},
	        {"0.95", 0},
	        {"3.0.0", 0},
	        {"2.0.0 ", 0},
	        {"BAD", 0},
	};
	size_t i;

	(void)state;
	assert_int_equal(relais_xapi_version_of(NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (relais_xapi_version_of(cases[i].v) != cases[i].version) {
			print_error("\"%s\"\n", cases[i].v);
		}
		assert_int_equal(relais_xapi_version_of(cases[i].v), cases[i].version);
	}
}

#define TWO_AGENTS "[{\"mbox\":\"mailto:a@b.c\"},{\"mbox\":\"mailto:d@b.c\"}]"
#define AUTHORITY_MSG                                                                              \
	"statements[0].authority: a Group must be anonymous and have exactly two members"

/* XAPI-00098, XAPI-00100: a Group as authority is anonymous, of exactly two Agents. */
static void authority_group_is_two_anonymous_agents(void **state)
{
	static const struct variant ok[] = {
	        {"authority", "{\"objectType\":\"Group\",\"member\":" TWO_AGENTS "}"},
	};
	static const struct refusal bad[] = {
	        {"authority",
	         "{\"objectType\":\"Group\",\"mbox\":\"mailto:g@b.c\",\"member\":" TWO_AGENTS "}",
	         AUTHORITY_MSG},
	        {"authority", "{\"objectType\":\"Group\",\"openid\":\"https://g.invalid/\"}",
	         AUTHORITY_MSG},
	        {"authority", "{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@b.c\"}]}",
	         AUTHORITY_MSG},
	        {"authority",
	         "{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@b.c\"},"
	         "{\"mbox\":\"mailto:d@b.c\"},{\"mbox\":\"mailto:e@b.c\"}]}",
	         AUTHORITY_MSG},
	};

	(void)state;
	expect_passes(ok, sizeof(ok) / sizeof(ok[0]));
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

#define TIME_MSG "statements[0].timestamp: must be an ISO 8601 date and time with a time zone"
#define DURATION_MSG "statements[0].result.duration: must be an ISO 8601 duration"

/* XAPI-00122: no -00 offset; XAPI-00124: durations, weeks alone. */
static void times_and_durations(void **state)
{
	static const struct variant ok[] = {
	        {"timestamp", "\"2026-11-03T10:15:00+00:00\""},
	        {"timestamp", "\"2026-11-03T10:15:00-05\""},
	        {"timestamp", "\"2026-11-03T10:15:00.123-00:30\""},
	        {"result.duration", "\"P4W\""},
	        {"result.duration", "\"PT0.5S\""},
	};
	static const struct refusal bad[] = {
	        {"timestamp", "\"2026-11-03T10:15:00-00\"", TIME_MSG},
	        {"timestamp", "\"2026-11-03T10:15:00-0000\"", TIME_MSG},
	        {"timestamp", "\"2026-11-03T10:15:00-00:00\"", TIME_MSG},
	        {"timestamp", "\"2026-11-03T10:15:00+24:00\"", TIME_MSG},
	        {"timestamp", "\"2026-11-03T10:15:00+01:60\"", TIME_MSG},
	        {"result.duration", "\"P4W1D\"", DURATION_MSG},
	        {"result.duration", "\"P1Y2W\"", DURATION_MSG},
	        {"result.duration", "\"P\"", DURATION_MSG},
	};

	(void)state;
	expect_passes(ok, sizeof(ok) / sizeof(ok[0]));
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

/* XAPI-00115 (Data 4.2): an attachment's display and description are language maps. */
static void attachment_language_maps(void **state)
{
	static const struct variant ok[] = {
	        {"attachments",
	         "[{\"usageType\":\"urn:x:u\",\"fileUrl\":\"https://f.invalid/a\","
	         "\"contentType\":\"text/"
	         "plain\",\"length\":1,\"sha2\":"
	         "\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\","
	         "\"display\":{\"es\":\"a\"},\"description\":{\"es-MX\":\"b\"}}]"},
	};
	static const struct refusal bad[] = {
	        {"attachments",
	         "[{\"usageType\":\"urn:x:u\",\"fileUrl\":\"https://f.invalid/a\","
	         "\"contentType\":\"text/"
	         "plain\",\"length\":1,\"sha2\":"
	         "\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\","
	         "\"display\":{\"a12345678\":\"a\"}}]",
	         "statements[0].attachments.display: must map RFC 5646 language tags to strings"},
	        {"attachments",
	         "[{\"usageType\":\"urn:x:u\",\"fileUrl\":\"https://f.invalid/a\","
	         "\"contentType\":\"text/"
	         "plain\",\"length\":1,\"sha2\":"
	         "\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\","
	         "\"display\":{\"es\":\"a\"},\"description\":\"b\"}]",
	         "statements[0].attachments.description: must be a language map"},
	};

	(void)state;
	expect_passes(ok, sizeof(ok) / sizeof(ok[0]));
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

static void not_an_object_is_refused(void **state)
{
	struct relais_xapi_facts f;
	char msg[256];

	assert_int_equal(check_text(&f, "[1]", msg, sizeof(msg)), RELAIS_EFORMAT);
	assert_string_equal(msg, "statements[0]: must be a Statement object");
	relais_xapi_facts_clear(&f);
}

static void voiding_statement_names_what_it_voids(void **state)
{
	struct relais_xapi_facts f;
	char msg[256];
	cJSON *st = cJSON_Parse(good);
	char *json;

	assert_non_null(st);
	patch(st, "verb.id", "\"http://adlnet.gov/expapi/verbs/voided\"");
	patch(st, "object",
	      "{\"objectType\":\"StatementRef\","
	      "\"id\":\"6fa459ea-ee8a-3ca4-894e-db77e160355e\"}");
	patch(st, "result", NULL);
	patch(st, "context.platform", NULL);
	json = cJSON_PrintUnformatted(st);
	assert_int_equal(check_text(&f, json, msg, sizeof(msg)), 0);
	assert_int_equal(f.object_kind, RELAIS_XAPI_STATEMENT_REF);
	assert_string_equal(f.voids, "6fa459ea-ee8a-3ca4-894e-db77e160355e");
	relais_xapi_facts_clear(&f);
	free(json);
	cJSON_Delete(st);
}

/* What relais itself writes must pass the hub's check. */
static void relais_statements_pass_the_check(void **state)
{
	static const char *const verbs[] = {"experienced", "attempted", "answered",
	                                    "passed",      "failed",    "completed"};
	struct relais_event ev = {
	        .learner_name = "Awa Diop",
	        .learner_email = "awa@ministry.invalid",
	        .learner_org = "Ministry",
	        .course_id = "migration-health",
	        .course_title = "Santé",
	        .language = "fr",
	        .unit_id = "quiz1",
	        .unit_title = "Évaluation",
	        .unit_kind = "quiz",
	        .has_result = 1,
	        .scaled = 2.0 / 3,
	        .raw = 2,
	        .max = 3,
	        .success = 1,
	        .completion = 1,
	        .response = "a[,]b",
	        .duration_s = 3723.456,
	};
	struct relais_xapi_facts f;
	relais_ctx *ctx = NULL;
	char id[37], msg[256];
	size_t i;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char *json = NULL;
		ev.verb = verbs[i];
		ev.unit_kind = strcmp(verbs[i], "answered") == 0 ? "question" : "quiz";
		ev.question_id = strcmp(verbs[i], "answered") == 0 ? "q2" : NULL;
		assert_int_equal(relais_statement_make(&json, id, ctx, &ev), 0);
		assert_int_equal(check_text(&f, json, msg, sizeof(msg)), 0);
		assert_string_equal(f.id, id);
		assert_string_equal(f.course, "migration-health");
		assert_string_equal(f.unit, "quiz1");
		assert_string_equal(f.organisation, "Ministry");
		relais_xapi_facts_clear(&f);
		free(json);
	}
	relais_ctx_free(ctx);
}

static char *identity_of(const char *json)
{
	cJSON *st = cJSON_Parse(json);
	char *id;

	assert_non_null(st);
	id = relais_xapi_identity(st);
	assert_non_null(id);
	cJSON_Delete(st);
	return id;
}

static void identity_ignores_order_and_what_the_lrs_sets(void **state)
{
	char *a = identity_of("{\"id\":\"x\",\"actor\":{\"mbox\":\"mailto:a@b.c\",\"name\":\"A\"},"
	                      "\"verb\":{\"id\":\"urn:v\"}}");
	char *b = identity_of("{\"verb\":{\"id\":\"urn:v\"},\"stored\":\"2026-11-03T10:15:00Z\","
	                      "\"version\":\"1.0.3\",\"authority\":{\"mbox\":\"mailto:h@b.c\"},"
	                      "\"actor\":{\"name\":\"A\",\"mbox\":\"mailto:a@b.c\"},\"id\":\"x\"}");
	char *c = identity_of("{\"id\":\"x\",\"actor\":{\"mbox\":\"mailto:a@b.c\",\"name\":\"B\"},"
	                      "\"verb\":{\"id\":\"urn:v\"}}");
	char *d = identity_of("{\"a\":[2,1]}");
	char *e = identity_of("{\"a\":[1,2]}");

	assert_string_equal(a, b);
	assert_string_equal(a, "{\"actor\":{\"mbox\":\"mailto:a@b.c\",\"name\":\"A\"},\"id\":\"x\","
	                       "\"verb\":{\"id\":\"urn:v\"}}");
	assert_string_not_equal(a, c); /* a different name is a different statement */
	assert_string_not_equal(d, e); /* array order matters */
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

/*
 * xAPI 1.0.3 Data 4.6, 2.0 4.2.7: durations are compared to 0.01 s, the rest
 * of the seconds' fraction left out (in a SubStatement too); up to two
 * decimals a duration is written as it came, so stored hashes stay valid.
 */
static void identity_compares_durations_to_hundredths(void **state)
{
	static const char *const same[][2] = {
	        {"P1DT12H36M0.1237S", "P1DT12H36M0.12S"},
	        {"PT1.999S", "PT1.99S"},
	        {"PT5.10S", "PT5.10S"},
	};
	static const char *const differ[][2] = {
	        {"P1DT12H36M0.1237S", "P1DT12H36M0.13S"},
	        {"PT1.5S", "PT1.50S"}, /* written as it came up to two decimals */
	        {"PT1.123S", "PT1.124M"},
	};
	char json[2][512], *id[2];
	size_t i, k;
	int sub;

	(void)state;
	for (sub = 0; sub < 2; sub++) {
		for (i = 0; i < 6; i++) {
			const char *const *pair = i < 3 ? same[i] : differ[i - 3];
			for (k = 0; k < 2; k++) {
				if (sub) {
					(void)snprintf(
					        json[k], sizeof(json[k]),
					        "{\"object\":{\"objectType\":\"SubStatement\","
					        "\"result\":{\"duration\":\"%s\"}}}",
					        pair[k]);
				} else {
					(void)snprintf(json[k], sizeof(json[k]),
					               "{\"id\":\"x\",\"result\":{\"success\":true,"
					               "\"duration\":\"%s\"}}",
					               pair[k]);
				}
				id[k] = identity_of(json[k]);
			}
			if ((strcmp(id[0], id[1]) == 0) != (i < 3)) {
				print_error("%s / %s\n", id[0], id[1]);
			}
			assert_true((strcmp(id[0], id[1]) == 0) == (i < 3));
			free(id[0]);
			free(id[1]);
		}
	}
	id[0] = identity_of("{\"result\":{\"duration\":\"PT1M2.50S\"}}");
	assert_string_equal(id[0], "{\"result\":{\"duration\":\"PT1M2.50S\"}}");
	free(id[0]);
}

/* The agents of contextAgents and the groups of contextGroups compare as actors do. */
static void identity_of_context_agents_and_groups(void **state)
{
	char *a = identity_of("{\"context\":{\"contextAgents\":[{\"objectType\":\"contextAgent\","
	                      "\"agent\":{\"mbox\":\"mailto:p1@B.C\"}}],"
	                      "\"contextGroups\":[{\"objectType\":\"contextGroup\",\"group\":"
	                      "{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@b.c\"},"
	                      "{\"mbox\":\"mailto:d@b.c\"}]}}]}}");
	char *b = identity_of("{\"context\":{\"contextAgents\":[{\"objectType\":\"contextAgent\","
	                      "\"agent\":{\"mbox\":\"mailto:p1@b.c\"}}],"
	                      "\"contextGroups\":[{\"group\":{\"objectType\":\"Group\",\"member\":"
	                      "[{\"mbox\":\"mailto:d@b.c\"},{\"mbox\":\"mailto:a@b.c\"}]},"
	                      "\"objectType\":\"contextGroup\"}]}}");
	char *c = identity_of("{\"context\":{\"contextAgents\":[{\"objectType\":\"contextAgent\","
	                      "\"agent\":{\"mbox\":\"mailto:p2@b.c\"}}],"
	                      "\"contextGroups\":[{\"objectType\":\"contextGroup\",\"group\":"
	                      "{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@b.c\"},"
	                      "{\"mbox\":\"mailto:d@b.c\"}]}}]}}");

	(void)state;
	assert_string_equal(a, b); /* e-mail domain case, member order */
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

/*
 * Hubs keep the hash of each statement's identity text: the text must stay
 * byte for byte what the rule gave when they stored it (IDENTITY_RULE 2),
 * or a laptop's retry of a stored statement would be refused with 409.
 * The expected text was made by the copy-normalise-sort-print code that
 * relais_xapi_identity() used when the rule was set.
 */
static void identity_text_is_stable(void **state)
{
	char *id = identity_of(
	        "{\"version\":\"1.0.3\",\"id\":\"ABCDEF01-2345-4789-8BCD-EF0123456789\","
	        "\"stored\":\"2026-01-01T00:00:00Z\",\"authority\":{\"mbox\":\"mailto:lrs@x.org\"},"
	        "\"timestamp\":\"2026-03-01T10:00:00.5+02:00\",\"actor\":{\"objectType\":\"Group\","
	        "\"name\":\"Tab\\there \\\"q\\\" \\u0001\",\"member\":[{\"name\":\"Zed\",\"mbox\":"
	        "\"mailto:Zed@EXAMPLE.org\"},{\"mbox\":\"mailto:amy@Example.ORG\",\"name\":\"Amy\"}"
	        "]},"
	        "\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/answered\",\"display\":{\"en\":"
	        "\"answered\"}},\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":"
	        "\"mailto:S@T.UK\"},\"verb\":{\"id\":\"urn:v\",\"display\":{\"fr\":\"v\"}},"
	        "\"object\":"
	        "{\"id\":\"urn:o\",\"definition\":{\"type\":\"urn:t\"}},\"timestamp\":"
	        "\"2026-03-01T08:00:00Z\"},\"result\":{\"score\":{\"scaled\":0.75,\"raw\":3,"
	        "\"min\":0,"
	        "\"max\":4},\"success\":true,\"response\":\"\xc3\xa9/\xc3\xbc\",\"duration\":"
	        "\"PT1M\"},\"context\":{\"registration\":\"ABCDEF01-2345-4789-8BCD-EF0123456789\","
	        "\"statement\":{\"objectType\":\"StatementRef\",\"id\":"
	        "\"ABCDEF01-2345-4789-8BCD-EF0123456780\"},\"instructor\":{\"mbox\":"
	        "\"mailto:Teach@School.EDU\"},\"contextActivities\":{\"parent\":{\"id\":\"urn:p\","
	        "\"definition\":{\"type\":\"urn:t\"}},\"grouping\":[{\"id\":\"urn:g\","
	        "\"objectType\":"
	        "\"Activity\",\"definition\":{}}]},\"extensions\":{\"urn:e\":[1.5,null,false,{"
	        "\"b\":1,"
	        "\"a\":2}]}}}");

	assert_string_equal(
	        id,
	        "{\"actor\":{\"member\":[{\"mbox\":\"mailto:Zed@example.org\",\"name\":\"Zed\"},"
	        "{\"mbox\":\"mailto:amy@example.org\",\"name\":\"Amy\"}],\"name\":\"Tab\\there "
	        "\\\"q\\\" \\u0001\",\"objectType\":\"Group\"},\"context\":{\"contextActivities\":"
	        "{\"grouping\":[{\"id\":\"urn:g\",\"objectType\":\"Activity\"}],\"parent\":{\"id\":"
	        "\"urn:p\"}},\"extensions\":{\"urn:e\":[1.5,null,false,{\"a\":2,\"b\":1}]},"
	        "\"instructor\":{\"mbox\":\"mailto:Teach@school.edu\"},\"registration\":"
	        "\"abcdef01-2345-4789-8bcd-ef0123456789\",\"statement\":{\"id\":"
	        "\"abcdef01-2345-4789-8bcd-ef0123456780\",\"objectType\":\"StatementRef\"}},\"id\":"
	        "\"abcdef01-2345-4789-8bcd-ef0123456789\",\"object\":{\"actor\":{\"mbox\":"
	        "\"mailto:S@t.uk\"},\"object\":{\"id\":\"urn:o\"},\"objectType\":\"SubStatement\","
	        "\"timestamp\":\"2026-03-01T08:00:00.000Z\",\"verb\":{\"id\":\"urn:v\"}},"
	        "\"result\":"
	        "{\"duration\":\"PT1M\",\"response\":\"\xc3\xa9/\xc3\xbc\",\"score\":{\"max\":4,"
	        "\"min\":0,\"raw\":3,\"scaled\":0.75},\"success\":true},\"timestamp\":"
	        "\"2026-03-01T08:00:00.500Z\",\"verb\":{\"id\":"
	        "\"http://adlnet.gov/expapi/verbs/answered\"}}");
	free(id);
}

static void uuid_forms(void **state)
{
	assert_true(relais_xapi_uuid_ok("3f2504e0-4f89-41d3-9a0c-0305e82c3301"));
	assert_true(relais_xapi_uuid_ok("3F2504E0-4F89-41D3-9A0C-0305E82C3301"));
	assert_false(relais_xapi_uuid_ok(""));
	assert_false(relais_xapi_uuid_ok("3f2504e0-4f89-41d3-9a0c-0305e82c330"));
	assert_false(relais_xapi_uuid_ok("3f2504e0-4f89-41d3-9a0c-0305e82c33011"));
	assert_false(relais_xapi_uuid_ok("3f2504e04f8941d39a0c0305e82c3301"));
	assert_false(relais_xapi_uuid_ok("3f2504e0-4f89-41d3-9a0c_0305e82c3301"));
	assert_false(relais_xapi_uuid_ok("3f2504g0-4f89-41d3-9a0c-0305e82c3301"));
	assert_false(relais_xapi_uuid_ok("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}"));
	assert_false(relais_xapi_uuid_ok("3f2504e0-4f89-41d3-9a0c-0305e82c3301 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(good_statement_gives_its_facts),
	        cmocka_unit_test(minimal_statement_is_enough),
	        cmocka_unit_test(allowed_variants_pass),
	        cmocka_unit_test(each_rule_refuses_with_its_message),
	        cmocka_unit_test(interactions_follow_the_specification),
	        cmocka_unit_test(context_follows_the_object),
	        cmocka_unit_test(xapi_2_0_rules_apply_to_2_0_requests),
	        cmocka_unit_test(version_names),
	        cmocka_unit_test(authority_group_is_two_anonymous_agents),
	        cmocka_unit_test(times_and_durations),
	        cmocka_unit_test(attachment_language_maps),
	        cmocka_unit_test(not_an_object_is_refused),
	        cmocka_unit_test(voiding_statement_names_what_it_voids),
	        cmocka_unit_test(relais_statements_pass_the_check),
	        cmocka_unit_test(identity_ignores_order_and_what_the_lrs_sets),
	        cmocka_unit_test(identity_compares_durations_to_hundredths),
	        cmocka_unit_test(identity_of_context_agents_and_groups),
	        cmocka_unit_test(identity_text_is_stable),
	        cmocka_unit_test(uuid_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
