/* test_manifest.c: manifest parsing: every field checked, with its name in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relais/error.h"
#include "relais/manifest.h"

#define SHA                                                                                        \
	"\"sha256\":\""                                                                            \
	"0000000000000000000000000000000000000000000000000000000000000000\""

static const char good[] =
        "{\"format\":1,\"id\":\"consular-crisis\",\"version\":7,\"title\":\"Crises\","
        "\"language\":\"fr\",\"summary\":\"s\",\"authors\":[\"A\",\"B\"],\"estimated_minutes\":90,"
        "\"units\":[{\"id\":\"intro\",\"title\":\"Intro\",\"type\":\"lesson\",\"path\":\"l/"
        "a.html\"},"
        "{\"id\":\"quiz\",\"title\":\"Quiz\",\"type\":\"quiz\",\"path\":\"q.json\",\"pass_"
        "percent\":"
        "80}],"
        "\"entries\":[{\"path\":\"l/a.html\",\"size\":12," SHA
        "},{\"path\":\"q.json\",\"size\":3," SHA "}]}";

static void parses_and_round_trips(void **state)
{
	relais_manifest *m = NULL, *again = NULL;
	relais_ctx *ctx = NULL;
	char *json = NULL;
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_manifest_parse(&m, ctx, good, strlen(good)), 0);
	assert_string_equal(m->id, "consular-crisis");
	assert_int_equal(m->version, 7);
	assert_string_equal(m->language, "fr");
	assert_int_equal(m->n_authors, 2);
	assert_int_equal(m->estimated_minutes, 90);
	assert_int_equal(m->n_units, 2);
	assert_int_equal(m->units[1].kind, RELAIS_UNIT_QUIZ);
	assert_int_equal(m->units[1].pass_percent, 80);
	assert_non_null(relais_manifest_entry(m, "q.json"));
	assert_null(relais_manifest_entry(m, "nope"));
	assert_ptr_equal(relais_manifest_unit(m, "intro"), &m->units[0]);
	/* Writing it out gives the same canonical text that was signed. */
	assert_int_equal(relais_manifest_to_json(&json, &len, ctx, m), 0);
	assert_string_equal(json, good);
	assert_int_equal(relais_manifest_parse(&again, ctx, json, len), 0);
	free(json);
	relais_manifest_free(m);
	relais_manifest_free(again);
	relais_ctx_free(ctx);
}

/* Replaces the first `from` in good with `to` and expects a failure naming `words`. */
static void bad(relais_ctx *ctx, const char *from, const char *to, const char *words)
{
	char json[4096];
	const char *at = strstr(good, from);
	relais_manifest *m = NULL;
	int rc;

	assert_non_null(at);
	snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	rc = relais_manifest_parse(&m, ctx, json, strlen(json));
	if (rc == 0 || strstr(relais_errmsg(ctx), words) == NULL) {
		fail_msg("%s -> %s: got %d \"%s\", wanted \"%s\"", from, to, rc, relais_errmsg(ctx),
		         words);
	}
	assert_null(m);
}

static void every_field_is_checked(void **state)
{
	relais_ctx *ctx = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	bad(ctx, "\"format\":1", "\"format\":2", "format 2 is not supported");
	bad(ctx, "\"version\":7", "\"version\":0", "version is out of range");
	bad(ctx, "\"version\":7", "\"version\":7.5", "version is out of range");
	bad(ctx, "\"version\":7", "\"version\":\"7\"", "version must be a number");
	bad(ctx, "consular-crisis", "Consular Crisis",
	    "id Consular Crisis is not a valid course id");
	bad(ctx, "\"language\":\"fr\"", "\"language\":\"french!\"", "not a BCP 47 tag");
	bad(ctx, "\"title\":\"Crises\"", "\"title\":\"\"", "title is empty");
	bad(ctx, "\"authors\":[\"A\",\"B\"]", "\"authors\":\"A\"", "authors must be an array");
	bad(ctx, "\"pass_percent\":80", "\"pass_percent\":101",
	    "units[1].pass_percent is out of range");
	bad(ctx, "\"type\":\"lesson\"", "\"type\":\"video\"", "units[0].type must be");
	bad(ctx, "\"path\":\"l/a.html\"}", "\"path\":\"l/b.html\"}",
	    "names l/b.html, which is not an entry");
	bad(ctx, "\"id\":\"quiz\"", "\"id\":\"intro\"", "unit id intro is used twice");
	bad(ctx, "{\"path\":\"q.json\"", "{\"path\":\"l/a.html\"",
	    "entry l/a.html is listed twice");
	bad(ctx, "{\"path\":\"q.json\"", "{\"path\":\"../q.json\"", "contains . or ..");
	bad(ctx, "{\"path\":\"q.json\"", "{\"path\":\"manifest.json\"", "is reserved");
	bad(ctx, "\"size\":12", "\"size\":-1", "entries[0].size is out of range");
	bad(ctx, "\"sha256\":\"0000", "\"sha256\":\"ABCD",
	    "sha256 is not 64 lower-case hex digits");
	bad(ctx, "{\"format\"", "[{\"format\"", "not a JSON object");
	relais_ctx_free(ctx);
}

#define ROTATION                                                                                   \
	"{\"format\":\"relais-key-rotation\",\"old\":\"5D33C0B70F9D3A01\",\"new\":"                \
	"\"8C79F50958089FB1\",\"public_key\":\"RWSxnw\",\"date\":\"2026-12-06T15:22:40.453Z\","    \
	"\"signature\":\"untrusted comment: relais key rotation\\nx\\n\"}"

/* The optional rotations member: read, written back last, and checked (docs/bundle-format.md). */
static void rotation_records(void **state)
{
	char with[4096], *json = NULL;
	relais_manifest *m = NULL;
	relais_ctx *ctx = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	snprintf(with, sizeof(with), "%.*s,\"rotations\":[" ROTATION "]}", (int)(strlen(good) - 1),
	         good);
	assert_int_equal(relais_manifest_parse(&m, ctx, with, strlen(with)), 0);
	assert_int_equal(m->n_rotations, 1);
	assert_string_equal(m->rotations[0].old_id, "5D33C0B70F9D3A01");
	assert_string_equal(m->rotations[0].new_id, "8C79F50958089FB1");
	assert_int_equal(relais_manifest_to_json(&json, &len, ctx, m), 0);
	assert_string_equal(json, with);
	free(json);
	relais_manifest_free(m);
	m = NULL;

	snprintf(with, sizeof(with), "%.*s,\"rotations\":[]}", (int)(strlen(good) - 1), good);
	assert_int_not_equal(relais_manifest_parse(&m, ctx, with, strlen(with)), 0);
	assert_non_null(strstr(relais_errmsg(ctx), "rotations must be an array of 1 to 16"));
	snprintf(with, sizeof(with),
	         "%.*s,\"rotations\":[{\"format\":\"relais-key-rotation\","
	         "\"old\":\"5D33\"}]}",
	         (int)(strlen(good) - 1), good);
	assert_int_not_equal(relais_manifest_parse(&m, ctx, with, strlen(with)), 0);
	assert_non_null(strstr(relais_errmsg(ctx), "manifest: rotations[0]."));
	assert_null(m);
	relais_ctx_free(ctx);
}

static void language_tags(void **state)
{
	assert_true(relais_language_ok("fr"));
	assert_true(relais_language_ok("en-GB"));
	assert_true(relais_language_ok("pt-BR"));
	assert_true(relais_language_ok("zh-Hant-TW"));
	assert_false(relais_language_ok(""));
	assert_false(relais_language_ok("f"));
	assert_false(relais_language_ok("english"));
	assert_false(relais_language_ok("en-"));
	assert_false(relais_language_ok("en_GB"));
	assert_true(relais_id_ok("protection-consulaire"));
	assert_true(relais_id_ok("v2.course"));
	assert_false(relais_id_ok("Upper"));
	assert_false(relais_id_ok("with space"));
	assert_false(relais_id_ok("-leading"));
	assert_false(relais_id_ok(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(parses_and_round_trips),
	        cmocka_unit_test(every_field_is_checked),
	        cmocka_unit_test(language_tags),
	        cmocka_unit_test(rotation_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
