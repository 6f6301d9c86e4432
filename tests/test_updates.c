/* test_updates.c: the Updates page's data and the library's New, Updated and Required marks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "craft.h"
#include "relais/catalogue.h"
#include "relais/course.h"
#include "relais/download.h"
#include "relais/error.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/trust.h"
#include "relais/updates.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fx {
	char *dir;
	char home_path[512], pub[512], hub_pub[512], v3[512], v4[512];
	char pub_id[RELAIS_KEYID_HEX], hub_id[RELAIS_KEYID_HEX];
	relais_ctx *ctx;
	relais_home *home;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	relais_pubkey *pub = NULL, *hub = NULL;
	relais_seckey *sec = NULL, *hub_sec = NULL;
	char src[600];
	unsigned char *text;
	size_t len;

	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	snprintf(f->home_path, sizeof(f->home_path), "%s/home", f->dir);
	snprintf(f->pub, sizeof(f->pub), "%s/k.pub", f->dir);
	snprintf(f->hub_pub, sizeof(f->hub_pub), "%s/hub.pub", f->dir);
	snprintf(f->v3, sizeof(f->v3), "%s/v3.relais", f->dir);
	snprintf(f->v4, sizeof(f->v4), "%s/v4.relais", f->dir);
	assert_int_equal(relais_keypair_generate(&pub, &sec, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&hub, &hub_sec, f->ctx), 0);
	assert_int_equal(relais_pubkey_save(f->ctx, pub, f->pub), 0);
	assert_int_equal(relais_pubkey_save(f->ctx, hub, f->hub_pub), 0);
	relais_pubkey_id(pub, f->pub_id);

	/* field-safety version 3, then the same course as version 4. */
	snprintf(src, sizeof(src), "%s/src", f->dir);
	craft_course(src);
	craft_pack(src, sec, f->v3);
	snprintf(src, sizeof(src), "%s/src/course.json", f->dir);
	text = craft_slurp(src, &len);
	assert_non_null(strstr((char *)text, "\"version\": 3"));
	strstr((char *)text, "\"version\": 3")[11] = '4';
	snprintf(src, sizeof(src), "%s/src", f->dir);
	craft_write(src, "course.json", (char *)text);
	free(text);
	craft_pack(src, sec, f->v4);

	assert_int_equal(relais_home_open(&f->home, f->ctx, f->home_path), 0);
	assert_int_equal(relais_trust_add(f->home, f->ctx, f->pub, "Field academy", NULL), 0);
	assert_int_equal(relais_trust_add_hub(f->home, f->ctx, f->hub_pub, "Hub", f->hub_id), 0);
	relais_pubkey_free(pub);
	relais_pubkey_free(hub);
	relais_seckey_free(sec);
	relais_seckey_free(hub_sec);
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

/*
 * Accepts a catalogue (as a sync does after checking it): field-safety at
 * version 5, required for MAE and due on 2027-01-31, and gdpr for everyone.
 */
static void accept_catalogue(struct fx *f, uint64_t serial)
{
	char *audience[] = {"MAE"};
	struct relais_catalogue_course courses[2] = {
	        {.id = "field-safety",
	         .version = 5,
	         .title = "Field safety",
	         .language = "en",
	         .size = 123456,
	         .sha256 = SHA_A,
	         .audience = audience,
	         .n_audience = 1,
	         .required = 1,
	         .due = "2027-01-31",
	         .published = "2026-12-02T10:00:00.000Z"},
	        {.id = "gdpr",
	         .version = 2,
	         .title = "Données personnelles",
	         .language = "fr",
	         .size = 4096,
	         .sha256 = SHA_B,
	         .published = "2026-12-01T10:00:00.000Z"},
	};
	struct relais_catalogue_publisher pub = {.name = "Field academy"};
	struct relais_catalogue cat = {.serial = serial,
	                               .issued = "2026-12-06T10:00:00.000Z",
	                               .expires = "2027-01-05T10:00:00.000Z",
	                               .publishers = &pub,
	                               .n_publishers = 1,
	                               .courses = courses,
	                               .n_courses = 2};
	char *json = NULL;
	size_t len = 0;

	memcpy(cat.hub_key, f->hub_id, RELAIS_KEYID_HEX);
	memcpy(pub.key, f->pub_id, RELAIS_KEYID_HEX);
	memcpy(courses[0].publisher, f->pub_id, RELAIS_KEYID_HEX);
	memcpy(courses[1].publisher, f->pub_id, RELAIS_KEYID_HEX);
	assert_int_equal(relais_catalogue_write(&json, &len, f->ctx, &cat), 0);
	assert_int_equal(relais_trust_hub_accept(f->home, f->ctx, f->hub_id, serial, "\"e1\"", json,
	                                         len, "sig", 3),
	                 0);
	free(json);
}

/* The marks of field-safety for who, on the day today. */
static unsigned marks_of(struct fx *f, int64_t who, const char *today, char *due)
{
	struct relais_course_mark *m = NULL;
	const struct relais_course_mark *one;
	unsigned flags;
	size_t n = 0;

	assert_int_equal(relais_updates_marks(&m, &n, f->home, f->ctx, who, today), 0);
	one = relais_course_marks_find(m, n, "field-safety");
	assert_non_null(one);
	flags = one->flags;
	if (due != NULL) {
		strcpy(due, one->due);
	}
	relais_course_marks_free(m, n);
	return flags;
}

static void sql(struct fx *f, const char *text)
{
	char path[600];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/relais.db", f->home_path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void new_then_updated_per_learner(void **state)
{
	struct fx *f = *state;
	struct relais_install_result r;
	struct relais_course_mark *m = NULL;
	int64_t ana = 0, ben = 0;
	size_t n = 0;

	assert_int_equal(relais_profile_add(&ana, f->home, f->ctx, "Ana", "ana@example.org", "MAE"),
	                 0);
	assert_int_equal(relais_profile_add(&ben, f->home, f->ctx, "Ben", "ben@example.org", "DGD"),
	                 0);
	/* Nothing installed: no marks. */
	assert_int_equal(relais_updates_marks(&m, &n, f->home, f->ctx, ana, NULL), 0);
	assert_int_equal(n, 0);
	relais_course_marks_free(m, n);

	/* Installed, never opened: new for both. */
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v3), 0);
	assert_int_equal(marks_of(f, ana, NULL, NULL), RELAIS_MARK_NEW);
	assert_int_equal(marks_of(f, ben, NULL, NULL), RELAIS_MARK_NEW);
	/* Ana opens it: nothing to mark for her, still new for Ben. Opening again changes nothing.
	 */
	assert_int_equal(relais_updates_opened(f->home, f->ctx, ana, "field-safety", 3), 0);
	assert_int_equal(relais_updates_opened(f->home, f->ctx, ana, "field-safety", 3), 0);
	assert_int_equal(marks_of(f, ana, NULL, NULL), 0);
	assert_int_equal(marks_of(f, ben, NULL, NULL), RELAIS_MARK_NEW);

	/* Version 4 arrives: updated for Ana, who read version 3; Ben's is still new. */
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v4), 0);
	assert_int_equal(r.outcome, RELAIS_UPGRADED);
	assert_int_equal(marks_of(f, ana, NULL, NULL), RELAIS_MARK_UPDATED);
	assert_int_equal(marks_of(f, ben, NULL, NULL), RELAIS_MARK_NEW);
	assert_int_equal(relais_updates_opened(f->home, f->ctx, ana, "field-safety", 4), 0);
	assert_int_equal(marks_of(f, ana, NULL, NULL), 0);

	/* Ben opens version 4 straight away: nothing to mark for him either. */
	assert_int_equal(relais_updates_opened(f->home, f->ctx, ben, "field-safety", 4), 0);
	assert_int_equal(marks_of(f, ben, NULL, NULL), 0);
}

static void required_due_and_overdue_from_the_catalogue(void **state)
{
	struct fx *f = *state;
	struct relais_install_result r;
	int64_t ana = 0, ben = 0;
	char due[RELAIS_DATE_LEN];

	assert_int_equal(relais_profile_add(&ana, f->home, f->ctx, "Ana", "ana@example.org", "MAE"),
	                 0);
	assert_int_equal(relais_profile_add(&ben, f->home, f->ctx, "Ben", "ben@example.org", "DGD"),
	                 0);
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v3), 0);
	assert_int_equal(relais_updates_opened(f->home, f->ctx, ana, "field-safety", 3), 0);
	assert_int_equal(relais_updates_opened(f->home, f->ctx, ben, "field-safety", 3), 0);
	/* No catalogue yet: nothing is required. */
	assert_int_equal(marks_of(f, ana, "2027-01-15", NULL), 0);

	accept_catalogue(f, 7);
	/* Required for MAE (Ana's organisation), not for Ben's. */
	assert_int_equal(marks_of(f, ana, "2027-01-15", due), RELAIS_MARK_REQUIRED);
	assert_string_equal(due, "2027-01-31");
	assert_int_equal(marks_of(f, ben, "2027-01-15", due), 0);
	assert_string_equal(due, "");
	/* On the due date it is not late yet; the day after it is. */
	assert_int_equal(marks_of(f, ana, "2027-01-31", NULL), RELAIS_MARK_REQUIRED);
	assert_int_equal(marks_of(f, ana, "2027-02-01", NULL),
	                 RELAIS_MARK_REQUIRED | RELAIS_MARK_OVERDUE);
	/* Completed: required still, but never overdue. */
	sql(f, "INSERT INTO completion(profile_id, course_id, completed) "
	       "SELECT id, 'field-safety', '2027-01-20T00:00:00Z' FROM profile WHERE name = 'Ana'");
	assert_int_equal(marks_of(f, ana, "2027-02-01", NULL), RELAIS_MARK_REQUIRED);
}

static void what_the_updates_page_shows(void **state)
{
	struct fx *f = *state;
	struct relais_install_result r;
	struct relais_updates *u = NULL;
	struct relais_download d = {
	        .sha256 = SHA_B, .course_id = "gdpr", .version = 2, .size = 4096, .kind = "bundle"};
	int64_t ana = 0;

	/* No catalogue was ever received: said so, nothing listed. */
	assert_int_equal(relais_updates_get(&u, f->home, f->ctx), 0);
	assert_int_equal(u->has_catalogue, 0);
	assert_int_equal(u->n_courses, 0);
	relais_updates_free(u);

	assert_int_equal(relais_profile_add(&ana, f->home, f->ctx, "Ana", "ana@example.org", "MAE"),
	                 0);
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v4), 0);
	accept_catalogue(f, 9);
	assert_int_equal(relais_download_begin(f->home, f->ctx, &d), 0);
	assert_int_equal(relais_updates_get(&u, f->home, f->ctx), 0);
	assert_int_equal(u->has_catalogue, 1);
	assert_int_equal(u->serial, 9);
	assert_int_equal(strlen(u->fetched), 24); /* ISO 8601 UTC with milliseconds */
	assert_string_equal(u->expires, "2027-01-05T10:00:00.000Z");
	assert_int_equal(u->n_courses, 2);
	/* field-safety: version 5 offered, 4 installed, required for Ana's MAE. */
	assert_string_equal(u->courses[0].id, "field-safety");
	assert_int_equal(u->courses[0].version, 5);
	assert_int_equal(u->courses[0].installed, 4);
	assert_int_equal(u->courses[0].size, 123456);
	assert_int_equal(u->courses[0].required, 1);
	assert_string_equal(u->courses[0].due, "2027-01-31");
	assert_int_equal(u->courses[0].resumable, 0);
	/* gdpr: not installed, for everyone, a cut download waiting. */
	assert_string_equal(u->courses[1].title, "Données personnelles");
	assert_int_equal(u->courses[1].installed, 0);
	assert_int_equal(u->courses[1].required, 0);
	assert_int_equal(u->courses[1].resumable, 1);
	relais_updates_free(u);
	relais_updates_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(new_then_updated_per_learner, setup, teardown),
	        cmocka_unit_test_setup_teardown(required_due_and_overdue_from_the_catalogue, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(what_the_updates_page_shows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
