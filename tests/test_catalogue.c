/* test_catalogue.c: the catalogue's format, signature and refusals (docs/catalogue.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relais/catalogue.h"
#include "relais/error.h"
#include "relais/key.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fixture {
	relais_ctx *ctx;
	relais_pubkey *pub;
	relais_seckey *sec;
	char key_id[RELAIS_KEYID_HEX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(relais_crypto_init(), 0);
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&f->pub, &f->sec, f->ctx), 0);
	relais_pubkey_id(f->pub, f->key_id);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	relais_pubkey_free(f->pub);
	relais_seckey_free(f->sec);
	relais_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* A catalogue of two courses, one for an organisation, required, with a delta; and cohorts. */
static char *sample_with(struct fixture *f, size_t *len, uint64_t serial,
                         struct relais_catalogue_cohort *cohorts, size_t n_cohorts)
{
	char *audience[] = {"MAE"};
	struct relais_catalogue_delta delta = {1, SHA_A, 1234, SHA_B};
	struct relais_catalogue_course courses[2] = {
	        {.id = "fr-intro",
	         .version = 2,
	         .title = "Introduction",
	         .language = "fr",
	         .size = 4096,
	         .sha256 = SHA_B,
	         .published = "2026-12-01T10:00:00.000Z",
	         .deltas = &delta,
	         .n_deltas = 1},
	        {.id = "gdpr",
	         .version = 7,
	         .title = "Données personnelles",
	         .language = "fr-BE",
	         .size = 1,
	         .sha256 = SHA_A,
	         .audience = audience,
	         .n_audience = 1,
	         .required = 1,
	         .due = "2027-01-31",
	         .published = "2026-12-02T10:00:00.000Z"},
	};
	struct relais_catalogue_publisher pub = {.name = "Ministry"};
	struct relais_catalogue cat = {.serial = serial,
	                               .issued = "2026-12-06T10:00:00.000Z",
	                               .expires = "2027-01-05T10:00:00.000Z",
	                               .publishers = &pub,
	                               .n_publishers = 1,
	                               .courses = courses,
	                               .n_courses = 2,
	                               .cohorts = cohorts,
	                               .n_cohorts = n_cohorts};
	char *json = NULL;

	memcpy(cat.hub_key, f->key_id, RELAIS_KEYID_HEX);
	memcpy(pub.key, f->key_id, RELAIS_KEYID_HEX);
	memcpy(courses[0].publisher, f->key_id, RELAIS_KEYID_HEX);
	memcpy(courses[1].publisher, f->key_id, RELAIS_KEYID_HEX);
	assert_int_equal(relais_catalogue_write(&json, len, f->ctx, &cat), 0);
	return json;
}

static char *sample(struct fixture *f, size_t *len, uint64_t serial)
{
	return sample_with(f, len, serial, NULL, 0);
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	struct relais_catalogue *cat = NULL;
	char *sig = NULL, *again = NULL;
	size_t len, sig_len, again_len;
	char *json = sample(f, &len, 42);

	assert_int_equal(relais_catalogue_sign(&sig, &sig_len, f->ctx, f->sec, json, len, 42), 0);
	assert_non_null(strstr(sig, "trusted comment: relais-catalogue 42\n"));
	assert_int_equal(relais_catalogue_verify(&cat, f->ctx, f->pub, json, len, sig, sig_len), 0);
	assert_int_equal(cat->serial, 42);
	assert_int_equal(cat->n_courses, 2);
	const struct relais_catalogue_course *c = relais_catalogue_find(cat, "gdpr");
	assert_non_null(c);
	assert_string_equal(c->title, "Données personnelles");
	assert_int_equal(c->required, 1);
	assert_string_equal(c->due, "2027-01-31");
	assert_int_equal(c->n_audience, 1);
	assert_string_equal(c->audience[0], "MAE");
	c = relais_catalogue_find(cat, "fr-intro");
	assert_non_null(c);
	assert_null(c->due);
	assert_int_equal(c->n_deltas, 1);
	assert_int_equal(c->deltas[0].size, 1234);
	assert_string_equal(c->deltas[0].sha256, SHA_B);
	assert_null(relais_catalogue_find(cat, "nothing"));

	/* What was read writes back to the same bytes. */
	assert_int_equal(relais_catalogue_write(&again, &again_len, f->ctx, cat), 0);
	assert_int_equal(again_len, len);
	assert_memory_equal(again, json, len);

	relais_catalogue_free(cat);
	free(again);
	free(sig);
	free(json);
}

static void signature_refusals(void **state)
{
	struct fixture *f = *state;
	struct relais_catalogue *cat = NULL;
	relais_pubkey *other_pub = NULL;
	relais_seckey *other_sec = NULL;
	char *sig = NULL;
	size_t len, sig_len;
	char *json = sample(f, &len, 42);

	/* Signed by another key. */
	assert_int_equal(relais_keypair_generate(&other_pub, &other_sec, f->ctx), 0);
	assert_int_equal(relais_catalogue_sign(&sig, &sig_len, f->ctx, other_sec, json, len, 42),
	                 0);
	assert_int_equal(relais_catalogue_verify(&cat, f->ctx, f->pub, json, len, sig, sig_len),
	                 RELAIS_ESIGNATURE);
	assert_null(cat);
	free(sig);

	/* A signature made for another serial cannot be moved onto this one. */
	assert_int_equal(relais_catalogue_sign(&sig, &sig_len, f->ctx, f->sec, json, len, 41), 0);
	assert_int_equal(relais_catalogue_verify(&cat, f->ctx, f->pub, json, len, sig, sig_len),
	                 RELAIS_ESIGNATURE);
	assert_non_null(strstr(relais_errmsg(f->ctx), "another serial"));
	free(sig);

	/* One changed byte. */
	assert_int_equal(relais_catalogue_sign(&sig, &sig_len, f->ctx, f->sec, json, len, 42), 0);
	json[len - 5] ^= 1;
	assert_int_equal(relais_catalogue_verify(&cat, f->ctx, f->pub, json, len, sig, sig_len),
	                 RELAIS_ESIGNATURE);
	free(sig);

	relais_pubkey_free(other_pub);
	relais_seckey_free(other_sec);
	free(json);
}

/* Replaces the first occurrence of from in json with to and parses the result. */
static int parse_edited(struct fixture *f, const char *json, const char *from, const char *to)
{
	struct relais_catalogue *cat = NULL;
	const char *at = strstr(json, from);
	assert_non_null(at);
	size_t n = strlen(json) - strlen(from) + strlen(to);
	char *edited = malloc(n + 1);
	assert_non_null(edited);
	(void)snprintf(edited, n + 1, "%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
	int rc = relais_catalogue_parse(&cat, f->ctx, edited, n, "catalogue.json");
	relais_catalogue_free(cat);
	free(edited);
	return rc;
}

static void rotation_records(void **state)
{
	struct fixture *f = *state;
	relais_pubkey *next_pub = NULL, *got = NULL;
	relais_seckey *next_sec = NULL;
	struct relais_rotation r, back;
	char *json = NULL, next_id[RELAIS_KEYID_HEX];
	size_t len;

	assert_int_equal(relais_keypair_generate(&next_pub, &next_sec, f->ctx), 0);
	relais_pubkey_id(next_pub, next_id);
	assert_int_equal(relais_rotation_make(&r, f->ctx, f->sec, next_pub), 0);
	assert_string_equal(r.old_id, f->key_id);
	assert_string_equal(r.new_id, next_id);
	assert_int_equal(relais_rotation_write(&json, &len, f->ctx, &r), 0);
	assert_int_equal(relais_rotation_parse(&back, f->ctx, json, len, "r.json"), 0);

	/* The old key endorses the new one; the endorsed key is the new key. */
	assert_int_equal(relais_rotation_verify(&got, f->ctx, f->pub, &back), 0);
	char got_id[RELAIS_KEYID_HEX];
	relais_pubkey_id(got, got_id);
	assert_string_equal(got_id, next_id);
	relais_pubkey_free(got);

	/* Only the old key's signature counts: checked against another key, refused. */
	assert_int_equal(relais_rotation_verify(&got, f->ctx, next_pub, &back), RELAIS_ESIGNATURE);
	assert_null(got);

	/* A record whose new key was swapped (by a thief's key) does not verify. */
	relais_pubkey *thief_pub = NULL;
	relais_seckey *thief_sec = NULL;
	struct relais_rotation forged;
	assert_int_equal(relais_keypair_generate(&thief_pub, &thief_sec, f->ctx), 0);
	assert_int_equal(relais_rotation_make(&forged, f->ctx, f->sec, thief_pub), 0);
	free(back.public_key);
	back.public_key = strdup(forged.public_key);
	memcpy(back.new_id, forged.new_id, RELAIS_KEYID_HEX);
	assert_int_equal(relais_rotation_verify(&got, f->ctx, f->pub, &back), RELAIS_ESIGNATURE);

	/* Rotations and revocations travel in the catalogue and read back. */
	struct relais_catalogue cat = {.serial = 1,
	                               .issued = "2026-12-06T10:00:00.000Z",
	                               .expires = "2027-01-05T10:00:00.000Z",
	                               .rotations = &r,
	                               .n_rotations = 1};
	struct relais_catalogue_revoked revoked = {.date = "2026-12-06T10:00:00.000Z",
	                                           .reason = "lost"};
	memcpy(revoked.key, forged.new_id, RELAIS_KEYID_HEX);
	cat.revoked = &revoked;
	cat.n_revoked = 1;
	memcpy(cat.hub_key, f->key_id, RELAIS_KEYID_HEX);
	char *text = NULL;
	struct relais_catalogue *read = NULL;
	assert_int_equal(relais_catalogue_write(&text, &len, f->ctx, &cat), 0);
	assert_int_equal(relais_catalogue_parse(&read, f->ctx, text, len, "c"), 0);
	assert_int_equal(read->n_rotations, 1);
	assert_int_equal(read->n_revoked, 1);
	assert_string_equal(read->revoked[0].reason, "lost");
	assert_int_equal(relais_rotation_verify(&got, f->ctx, f->pub, &read->rotations[0]), 0);
	relais_pubkey_free(got);

	relais_catalogue_free(read);
	free(text);
	relais_rotation_clear(&forged);
	relais_rotation_clear(&back);
	relais_rotation_clear(&r);
	free(json);
	relais_pubkey_free(thief_pub);
	relais_seckey_free(thief_sec);
	relais_pubkey_free(next_pub);
	relais_seckey_free(next_sec);
}

static void format_refusals(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *json = sample(f, &len, 3);

	assert_int_equal(parse_edited(f, json, "\"version\":1", "\"version\":2"), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "version 2 is not supported"));
	assert_int_equal(parse_edited(f, json, "\"serial\":3", "\"serial\":3,\"serial\":4"),
	                 RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "appears twice"));
	assert_int_equal(parse_edited(f, json, "\"serial\":3", "\"serial\":3,\"extra\":1"),
	                 RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "unknown member \"extra\""));
	assert_int_equal(parse_edited(f, json, "\"serial\":3", "\"serial\":-3"), RELAIS_EFORMAT);
	assert_int_equal(parse_edited(f, json, "\"sha256\":\"" SHA_B "\"", "\"sha256\":\"ABC\""),
	                 RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(f->ctx),
	                    "catalogue.json: courses[0].sha256 must be 64 lower-case hex digits");
	assert_int_equal(parse_edited(f, json, "\"due\":\"2027-01-31\"", "\"due\":\"2027-02-31\""),
	                 RELAIS_EFORMAT);
	assert_int_equal(parse_edited(f, json, "\"id\":\"gdpr\"", "\"id\":\"a\""), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "ascending order"));
	assert_int_equal(parse_edited(f, json, "\"id\":\"gdpr\"", "\"id\":\"../x\""),
	                 RELAIS_EFORMAT);
	assert_int_equal(parse_edited(f, json, "\"from_version\":1", "\"from_version\":2"),
	                 RELAIS_EFORMAT);
	assert_int_equal(parse_edited(f, json, "\"expires\":\"2027", "\"expires\":\"2025"),
	                 RELAIS_EFORMAT);
	assert_int_equal(parse_edited(f, json, "{", "["), RELAIS_EFORMAT);

	/* Over 4 MiB: refused before parsing. */
	struct relais_catalogue *cat = NULL;
	size_t big = RELAIS_CATALOGUE_MAX_BYTES + 1;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	memcpy(huge, json, len);
	assert_int_equal(relais_catalogue_parse(&cat, f->ctx, huge, big, "catalogue.json"),
	                 RELAIS_ELIMIT);
	free(huge);
	free(json);
}

/* The hash of aicha@example.org in cohort c0ffee0000000001 (computed apart, with Python). */
#define AICHA_HASH "34ce0fa904393ae19caaa33619c9ee93ad52dfb18b22c2ee042ca18a78560919"

static void cohorts(void **state)
{
	struct fixture *f = *state;
	struct relais_catalogue *cat = NULL;
	char members[2][RELAIS_SHA256_HEX], *again = NULL;
	struct relais_catalogue_assignment a1[] = {{"fr-intro", "2027-01-10"},
	                                           {"gdpr", "2027-02-01"}};
	struct relais_catalogue_assignment a2[] = {{"fr-intro", "2026-12-20"}};
	struct relais_catalogue_cohort co[2] = {
	        {.id = "c0ffee0000000001",
	         .name = "Attachés 2027",
	         .organisation = "MAE",
	         .members = members,
	         .n_members = 2,
	         .assignments = a1,
	         .n_assignments = 2},
	        {.id = "c0ffee0000000002",
	         .name = "Consular staff",
	         .organisation = "Consulates",
	         .everyone = 1,
	         .assignments = a2,
	         .n_assignments = 1},
	};
	const char *due = NULL;
	size_t len, again_len, plain_len;
	char *plain = sample(f, &plain_len, 5);

	/* The key is the hash of the cohort id and the lower-cased email, nothing else. */
	relais_cohort_member_hash(members[0], "c0ffee0000000001", "Aicha@Example.ORG");
	assert_string_equal(members[0], AICHA_HASH);
	relais_cohort_member_hash(members[1], "c0ffee0000000001", "bob@example.org");
	if (strcmp(members[0], members[1]) > 0) {
		char t[RELAIS_SHA256_HEX];
		memcpy(t, members[0], sizeof(t));
		memcpy(members[0], members[1], sizeof(t));
		memcpy(members[1], t, sizeof(t));
	}
	char other[RELAIS_SHA256_HEX];
	relais_cohort_member_hash(other, "c0ffee0000000002", "aicha@example.org");
	assert_string_not_equal(other, AICHA_HASH);

	/* No cohort: the member is left out, as laptops that predate it expect. */
	assert_null(strstr(plain, "cohorts"));
	char *json = sample_with(f, &len, 5, co, 2);
	assert_non_null(strstr(json, "\"cohorts\":[{\"id\":\"c0ffee0000000001\""));
	assert_null(strstr(json, "example.org"));
	assert_int_equal(relais_catalogue_parse(&cat, f->ctx, json, len, "catalogue.json"), 0);
	assert_int_equal(cat->n_cohorts, 2);
	assert_string_equal(cat->cohorts[0].name, "Attachés 2027");
	assert_int_equal(cat->cohorts[0].n_members, 2);
	assert_int_equal(cat->cohorts[1].everyone, 1);
	assert_string_equal(cat->cohorts[0].assignments[1].due, "2027-02-01");
	assert_int_equal(relais_catalogue_write(&again, &again_len, f->ctx, cat), 0);
	assert_int_equal(again_len, len);
	assert_memory_equal(again, json, len);

	const struct relais_catalogue_course *intro = relais_catalogue_find(cat, "fr-intro");
	const struct relais_catalogue_course *gdpr = relais_catalogue_find(cat, "gdpr");
	/* A member: assigned with the cohort's date; the earliest of the course's and hers. */
	assert_true(relais_catalogue_required_of(&due, cat, intro, "AICHA@example.org", "MAE"));
	assert_string_equal(due, "2027-01-10");
	assert_true(relais_catalogue_required_of(&due, cat, gdpr, "aicha@example.org", "MAE"));
	assert_string_equal(due, "2027-01-31");
	/* Not a member: only what the course itself requires. */
	assert_false(relais_catalogue_required_of(&due, cat, intro, "carla@example.org", "MAE"));
	assert_null(due);
	assert_true(relais_catalogue_required_of(&due, cat, gdpr, "carla@example.org", "MAE"));
	assert_string_equal(due, "2027-01-31");
	/* Everyone of an organisation, whatever their email. */
	assert_true(
	        relais_catalogue_required_of(&due, cat, intro, "dan@example.org", "Consulates"));
	assert_string_equal(due, "2026-12-20");
	assert_false(relais_catalogue_required_of(&due, cat, intro, "dan@example.org", "MAE"));
	relais_catalogue_free(cat);

	/* Refused: a plain email, members out of order, an unknown member, a bad date. */
	assert_int_equal(parse_edited(f, json, AICHA_HASH, "aicha@example.org"), RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(f->ctx),
	                    "catalogue.json: cohorts[0].members must hold member hashes (64 "
	                    "lower-case hex digits)");
	assert_int_equal(
	        parse_edited(f, json, "\"everyone\":false", "\"everyone\":false,\"emails\":[]"),
	        RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "cohorts[0].unknown member \"emails\""));
	assert_int_equal(parse_edited(f, json, "\"due\":\"2027-01-10\"", "\"due\":\"10/01/2027\""),
	                 RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(f->ctx), "catalogue.json: cohorts[0].assignments[0].due "
	                                           "must be a date YYYY-MM-DD or null");
	assert_int_equal(
	        parse_edited(f, json, "\"id\":\"c0ffee0000000002\"", "\"id\":\"c0ffee0000000000\""),
	        RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "cohorts are not in ascending order"));
	assert_int_equal(
	        parse_edited(f, json, "\"organisation\":\"Consulates\"", "\"organisation\":\"\""),
	        RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(f->ctx), "everyone needs an organisation"));
	free(again);
	free(json);
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(signature_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(format_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(rotation_records, setup, teardown),
	        cmocka_unit_test_setup_teardown(cohorts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
