/* test_progress.c: learner events, their xAPI statements, completion, and two writers at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "craft.h"
#include "relais/course.h"
#include "relais/error.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/outbox.h"
#include "relais/progress.h"
#include "relais/trust.h"

struct fx {
	char *dir;
	char home_path[512];
	relais_ctx *ctx;
	relais_home *home;
	int64_t who;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct relais_install_result r;
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	relais_course *c = NULL;
	relais_diag *d = NULL;
	char src[600], bundle[600], pubf[600];

	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	snprintf(f->home_path, sizeof(f->home_path), "%s/home", f->dir);
	snprintf(src, sizeof(src), "%s/src", f->dir);
	snprintf(bundle, sizeof(bundle), "%s/c.relais", f->dir);
	snprintf(pubf, sizeof(pubf), "%s/k.pub", f->dir);
	craft_course(src);
	assert_int_equal(relais_keypair_generate(&pub, &sec, f->ctx), 0);
	assert_int_equal(relais_pubkey_save(f->ctx, pub, pubf), 0);
	assert_int_equal(relais_diag_new(&d), 0);
	assert_int_equal(relais_course_load(&c, f->ctx, d, src, NULL), 0);
	assert_int_equal(relais_course_pack(f->ctx, c, sec, bundle, NULL), 0);
	assert_int_equal(relais_home_open(&f->home, f->ctx, f->home_path), 0);
	assert_int_equal(relais_trust_add(f->home, f->ctx, pubf, NULL, NULL), 0);
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, bundle), 0);
	assert_int_equal(relais_profile_add(&f->who, f->home, f->ctx, "Marie Curie",
	                                    "Marie@Example.org", "Ministry"),
	                 0);
	relais_course_free(c);
	relais_diag_free(d);
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	relais_home_close(f->home);
	relais_ctx_free(f->ctx);
	craft_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* The pending statements, parsed; the caller deletes the array. */
static cJSON *pending(struct fx *f)
{
	struct relais_outbox_item *items = NULL;
	cJSON *all = cJSON_CreateArray();
	size_t n = 0, i;

	assert_int_equal(relais_outbox_pending(&items, &n, f->home, f->ctx, 1000), 0);
	for (i = 0; i < n; i++) {
		cJSON *st = cJSON_Parse(items[i].statement);
		assert_non_null(st);
		assert_string_equal(cJSON_GetObjectItem(st, "id")->valuestring, items[i].id);
		cJSON_AddItemToArray(all, st);
	}
	relais_outbox_free(items, n);
	return all;
}

static const char *verb_of(const cJSON *st)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(st, "verb"), "id")->valuestring;
}

static void statement_shape(void **state)
{
	struct fx *f = *state;
	cJSON *all, *st, *actor, *object, *parent;
	const char *id;
	int64_t count = 0;

	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, f->who, "field-safety", "arrive"),
	        0);
	all = pending(f);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	st = cJSON_GetArrayItem(all, 0);
	id = cJSON_GetObjectItem(st, "id")->valuestring;
	/* A version 4 UUID, lower case. */
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '4');
	assert_non_null(strchr("89ab", id[19]));
	actor = cJSON_GetObjectItem(st, "actor");
	assert_string_equal(cJSON_GetObjectItem(actor, "mbox")->valuestring,
	                    "mailto:marie@example.org");
	assert_string_equal(cJSON_GetObjectItem(actor, "name")->valuestring, "Marie Curie");
	assert_string_equal(verb_of(st), "http://adlnet.gov/expapi/verbs/experienced");
	object = cJSON_GetObjectItem(st, "object");
	assert_string_equal(cJSON_GetObjectItem(object, "id")->valuestring,
	                    "https://relais.invalid/xapi/activities/field-safety/arrive");
	assert_string_equal(
	        cJSON_GetObjectItem(
	                cJSON_GetObjectItem(cJSON_GetObjectItem(object, "definition"), "name"),
	                "en")
	                ->valuestring,
	        "Arriving");
	parent = cJSON_GetArrayItem(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "context"),
	                                                "contextActivities"),
	                            "parent"),
	        0);
	assert_string_equal(cJSON_GetObjectItem(parent, "id")->valuestring,
	                    "https://relais.invalid/xapi/activities/field-safety");
	assert_int_equal(strlen(cJSON_GetObjectItem(st, "timestamp")->valuestring), 24);
	/* Coordinators report by organisation: it travels in the context. */
	assert_string_equal(
	        cJSON_GetObjectItem(
	                cJSON_GetObjectItem(cJSON_GetObjectItem(st, "context"), "extensions"),
	                "https://relais.invalid/xapi/extensions/organisation")
	                ->valuestring,
	        "Ministry");
	cJSON_Delete(all);
	assert_int_equal(relais_outbox_count(&count, f->home, f->ctx), 0);
	assert_int_equal(count, 1);
	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, f->who, "field-safety", "nope"),
	        RELAIS_ENOTFOUND);
	assert_int_equal(relais_outbox_count(&count, f->home, f->ctx), 0);
	assert_int_equal(count, 1);
}

static void quiz_and_completion(void **state)
{
	struct fx *f = *state;
	struct relais_question_result q[2] = {
	        {.id = "register", .scored = 1, .score = 1, .answered = 1, .response = "true"},
	        {.id = "contact", .scored = 1, .score = 0, .answered = 1, .response = "your car"},
	};
	struct relais_quiz_result r = {.score = 1,
	                               .max = 2,
	                               .scaled = 0.5,
	                               .percent = 49,
	                               .questions = q,
	                               .n_questions = 2};
	struct relais_course_progress cp;
	int passed = -1, completed = -1, completions = 0, i;
	cJSON *all, *st;

	/* 49% against a pass mark of 50%: failed, two answers recorded. */
	assert_int_equal(relais_progress_quiz_submitted(f->home, f->ctx, f->who, "field-safety",
	                                                "check", &r, 75.5, &passed, &completed),
	                 0);
	assert_int_equal(passed, 0);
	assert_int_equal(completed, 0);
	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, f->who, "field-safety", "stay"), 0);
	q[1].score = 1;
	r.score = 2;
	r.scaled = 1;
	r.percent = 100;
	assert_int_equal(relais_progress_quiz_submitted(f->home, f->ctx, f->who, "field-safety",
	                                                "check", &r, 30, &passed, &completed),
	                 0);
	assert_int_equal(passed, 1);
	assert_int_equal(completed, 1);
	/* Viewing again does not complete the course twice. */
	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, f->who, "field-safety", "arrive"),
	        0);
	assert_int_equal(relais_progress_get(&cp, f->home, f->ctx, f->who, "field-safety"), 0);
	assert_true(cp.completed);
	assert_int_equal(cp.done, 3);
	assert_int_equal(cp.units[2].attempts, 2);
	assert_int_equal(cp.units[2].best_percent, 100);
	relais_course_progress_clear(&cp);

	all = pending(f);
	for (i = 0; i < cJSON_GetArraySize(all); i++) {
		st = cJSON_GetArrayItem(all, i);
		if (strcmp(verb_of(st), "http://adlnet.gov/expapi/verbs/completed") == 0) {
			completions++;
		}
		if (strcmp(verb_of(st), "http://adlnet.gov/expapi/verbs/failed") == 0) {
			cJSON *res = cJSON_GetObjectItem(st, "result");
			assert_int_equal(
			        cJSON_GetObjectItem(cJSON_GetObjectItem(res, "score"), "max")
			                ->valueint,
			        2);
			assert_true(cJSON_IsFalse(cJSON_GetObjectItem(res, "success")));
			assert_string_equal(cJSON_GetObjectItem(res, "duration")->valuestring,
			                    "PT1M15.50S");
		}
	}
	assert_int_equal(completions, 1);
	/* 1 experienced + (2 answered + failed) + experienced + (2 answered + passed)
	 * + completed + experienced. */
	assert_int_equal(cJSON_GetArraySize(all), 1 + 3 + 1 + 3 + 1 + 1);
	cJSON_Delete(all);
}

static void set_aside_keeps_the_reason(void **state)
{
	struct fx *f = *state;
	struct relais_outbox_item *items = NULL;
	struct relais_set_aside *aside = NULL;
	size_t n = 0, n_aside = 0;
	int64_t before = 0, after = 0;
	const char *first;

	assert_true(relais_home_schema_version(f->home) >= 4);
	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, f->who, "field-safety", "arrive"),
	        0);
	assert_int_equal(relais_outbox_count(&before, f->home, f->ctx), 0);
	assert_int_equal(relais_outbox_pending(&items, &n, f->home, f->ctx, 10), 0);
	assert_true(n >= 2);
	first = items[0].id;
	assert_int_equal(relais_outbox_set_aside(f->home, f->ctx, first,
	                                         "statements[0].actor.mbox: must be a mailto: IRI"),
	                 0);
	assert_int_equal(
	        relais_outbox_mark_sent(f->home, f->ctx, (const char *const *)&items[1].id, 1), 0);
	assert_int_equal(relais_outbox_count(&after, f->home, f->ctx), 0);
	assert_int_equal(after, before - 2);
	assert_int_equal(relais_outbox_set_aside_list(&aside, &n_aside, f->home, f->ctx, 10), 0);
	assert_int_equal(n_aside, 1);
	assert_string_equal(aside[0].id, first);
	assert_string_equal(aside[0].reason, "statements[0].actor.mbox: must be a mailto: IRI");
	relais_set_aside_free(aside, n_aside);
	relais_outbox_free(items, n);
}

/* A record set aside goes back in the queue on request, and a USB export carries it. */
static void set_aside_records_can_be_retried_and_are_exported(void **state)
{
	struct fx *f = *state;
	struct relais_outbox_item *items = NULL;
	struct relais_set_aside *aside = NULL;
	size_t n = 0, n_aside = 0, count = 0, exported = 0;
	int64_t pending = 0;
	char path[600], *first;
	const char *unknown = "00000000-0000-4000-8000-000000000000";
	const char *both[2];

	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, f->who, "field-safety", "arrive"),
	        0);
	assert_int_equal(relais_outbox_pending(&items, &n, f->home, f->ctx, 10), 0);
	assert_true(n >= 2);
	first = items[0].id;
	assert_int_equal(relais_outbox_set_aside(f->home, f->ctx, first, "refused"), 0);
	assert_int_equal(relais_outbox_count(&pending, f->home, f->ctx), 0);
	assert_int_equal(pending, (int64_t)n - 1);

	/* The export holds what is set aside as well as what is pending. */
	assert_int_equal(relais_outbox_set_aside_list(&aside, &n_aside, f->home, f->ctx, 100), 0);
	relais_set_aside_free(aside, n_aside);
	assert_true(n_aside >= 1);
	snprintf(path, sizeof(path), "%s/records.gz", f->dir);
	assert_int_equal(relais_outbox_export(&exported, f->home, f->ctx, path), 0);
	assert_int_equal(exported, (size_t)pending + n_aside);

	/* One unknown id among the named ones: refused, nothing changes. */
	both[0] = first;
	both[1] = unknown;
	assert_int_equal(relais_outbox_retry(&count, f->home, f->ctx, both, 2), RELAIS_ENOTFOUND);
	assert_non_null(strstr(relais_errmsg(f->ctx), unknown));
	assert_int_equal(count, 0);
	assert_int_equal(relais_outbox_count(&pending, f->home, f->ctx), 0);
	assert_int_equal(pending, (int64_t)n - 1);

	assert_int_equal(relais_outbox_retry(&count, f->home, f->ctx, both, 1), 0);
	assert_int_equal(count, 1);
	assert_int_equal(relais_outbox_count(&pending, f->home, f->ctx), 0);
	assert_int_equal(pending, (int64_t)n);

	/* Without ids: every record set aside. */
	assert_int_equal(relais_outbox_set_aside(f->home, f->ctx, items[0].id, "a"), 0);
	assert_int_equal(relais_outbox_set_aside(f->home, f->ctx, items[1].id, "b"), 0);
	assert_int_equal(relais_outbox_retry(&count, f->home, f->ctx, NULL, 0), 0);
	assert_int_equal(count, n_aside + 1); /* earlier tests' records too */
	assert_int_equal(relais_outbox_set_aside_list(&aside, &n_aside, f->home, f->ctx, 10), 0);
	assert_int_equal(n_aside, 0);
	relais_set_aside_free(aside, n_aside);
	relais_outbox_free(items, n);
}

struct writer {
	const char *home_path;
	int64_t who;
	int failures;
};

/* Records lesson views through its own connection, as the reader does. */
static void *view_many(void *arg)
{
	struct writer *w = arg;
	relais_home *home = NULL;
	relais_ctx *ctx = NULL;
	int i;

	if (relais_ctx_new(&ctx) != 0 || relais_home_open(&home, ctx, w->home_path) != 0) {
		w->failures = 1000;
		return NULL;
	}
	for (i = 0; i < 200; i++) {
		if (relais_progress_lesson_viewed(home, ctx, w->who, "field-safety", "arrive") !=
		    0) {
			fprintf(stderr, "writer: %s\n", relais_errmsg(ctx));
			w->failures++;
		}
	}
	relais_home_close(home);
	relais_ctx_free(ctx);
	return NULL;
}

/* The sync client marks statements sent from another process; neither may fail. */
static void two_writers_never_see_a_locked_database(void **state)
{
	struct fx *f = *state;
	struct writer w = {f->home_path, f->who, 0};
	char db_path[600];
	sqlite3 *db = NULL;
	pthread_t tid;
	int i, failures = 0;

	snprintf(db_path, sizeof(db_path), "%s/relais.db", f->home_path);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 60000);
	assert_int_equal(pthread_create(&tid, NULL, view_many, &w), 0);
	for (i = 0; i < 200; i++) {
		if (sqlite3_exec(db,
		                 "BEGIN IMMEDIATE; UPDATE outbox SET sent = 'x' WHERE seq IN "
		                 "(SELECT seq FROM outbox WHERE sent IS NULL LIMIT 3); COMMIT;",
		                 NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "other writer: %s\n", sqlite3_errmsg(db));
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			failures++;
		}
	}
	pthread_join(tid, NULL);
	sqlite3_close(db);
	assert_int_equal(w.failures, 0);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(statement_shape),
	        cmocka_unit_test(quiz_and_completion),
	        cmocka_unit_test(set_aside_keeps_the_reason),
	        cmocka_unit_test(set_aside_records_can_be_retried_and_are_exported),
	        cmocka_unit_test(two_writers_never_see_a_locked_database),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
