/* test_trust.c: keys that change on a laptop: rotations and revocations from a catalogue or a
 * bundle, and what they let in or keep out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "relais/catalogue.h"
#include "relais/course.h"
#include "relais/error.h"
#include "relais/library.h"
#include "relais/rotation.h"
#include "relais/trust.h"

/* Keys A (old), B (its successor), C (B's), X (a stranger) and bundles signed by them. */
struct fx {
	char *dir;
	char a_pub[512];
	char v1_a[512], v2_b[512], v2_b_carried[512], v2_b_forged[512], v3_a[512], v3_c[512];
	char a[RELAIS_KEYID_HEX], b[RELAIS_KEYID_HEX], c[RELAIS_KEYID_HEX], x[RELAIS_KEYID_HEX];
	struct relais_rotation a_to_b, b_to_c, forged; /* forged: says A, signed by X */
	relais_ctx *ctx;
	relais_home *home;
	int homes;
};

static void pack(struct fx *f, const char *src, int version, const relais_seckey *key,
                 const struct relais_rotation *recs, size_t n, const char *out)
{
	struct relais_course_options opt = {0};
	relais_course *c = NULL;
	relais_diag *d = NULL;
	char meta[600];

	(void)snprintf(meta, sizeof(meta),
	               "{\"id\": \"field-safety\", \"version\": %d, \"language\": \"en\", "
	               "\"title\": \"Field safety\", \"units\": ["
	               "{\"id\": \"arrive\", \"title\": \"Arriving\", \"lesson\": "
	               "\"lessons/arrive.md\"}, {\"id\": \"stay\", \"title\": \"Staying\", "
	               "\"lesson\": \"lessons/stay.md\"}, {\"id\": \"check\", \"title\": "
	               "\"Check\", \"quiz\": \"quiz/check.gift\"}]}\n",
	               version);
	craft_write(src, "course.json", meta);
	opt.rotations = recs;
	opt.n_rotations = n;
	assert_int_equal(relais_diag_new(&d), 0);
	assert_int_equal(relais_course_load(&c, f->ctx, d, src, NULL), 0);
	assert_int_equal(relais_course_pack(f->ctx, c, key, out, &opt), 0);
	relais_course_free(c);
	relais_diag_free(d);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	relais_pubkey *pa = NULL, *pb = NULL, *pc = NULL, *px = NULL;
	relais_seckey *sa = NULL, *sb = NULL, *sc = NULL, *sx = NULL;
	struct relais_rotation x_to_b;
	char src[600];

	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&pa, &sa, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&pb, &sb, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&pc, &sc, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&px, &sx, f->ctx), 0);
	relais_pubkey_id(pa, f->a);
	relais_pubkey_id(pb, f->b);
	relais_pubkey_id(pc, f->c);
	relais_pubkey_id(px, f->x);
	snprintf(f->a_pub, sizeof(f->a_pub), "%s/a.pub", f->dir);
	assert_int_equal(relais_pubkey_save(f->ctx, pa, f->a_pub), 0);
	assert_int_equal(relais_rotation_make(&f->a_to_b, f->ctx, sa, pb), 0);
	assert_int_equal(relais_rotation_make(&f->b_to_c, f->ctx, sb, pc), 0);
	/* A record that claims to be A's, made with X's key. */
	assert_int_equal(relais_rotation_make(&x_to_b, f->ctx, sx, pb), 0);
	f->forged = x_to_b;
	memcpy(f->forged.old_id, f->a, RELAIS_KEYID_HEX);

	snprintf(src, sizeof(src), "%s/src", f->dir);
	craft_course(src);
	snprintf(f->v1_a, sizeof(f->v1_a), "%s/v1-a.relais", f->dir);
	snprintf(f->v2_b, sizeof(f->v2_b), "%s/v2-b.relais", f->dir);
	snprintf(f->v2_b_carried, sizeof(f->v2_b_carried), "%s/v2-b-carried.relais", f->dir);
	snprintf(f->v2_b_forged, sizeof(f->v2_b_forged), "%s/v2-b-forged.relais", f->dir);
	snprintf(f->v3_a, sizeof(f->v3_a), "%s/v3-a.relais", f->dir);
	snprintf(f->v3_c, sizeof(f->v3_c), "%s/v3-c.relais", f->dir);
	pack(f, src, 1, sa, NULL, 0, f->v1_a);
	pack(f, src, 2, sb, NULL, 0, f->v2_b);
	pack(f, src, 2, sb, &f->a_to_b, 1, f->v2_b_carried);
	pack(f, src, 2, sb, &f->forged, 1, f->v2_b_forged);
	pack(f, src, 3, sa, NULL, 0, f->v3_a);
	pack(f, src, 3, sc, NULL, 0, f->v3_c);

	relais_pubkey_free(pa);
	relais_pubkey_free(pb);
	relais_pubkey_free(pc);
	relais_pubkey_free(px);
	relais_seckey_free(sa);
	relais_seckey_free(sb);
	relais_seckey_free(sc);
	relais_seckey_free(sx);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	relais_rotation_clear(&f->a_to_b);
	relais_rotation_clear(&f->b_to_c);
	relais_rotation_clear(&f->forged);
	relais_ctx_free(f->ctx);
	craft_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Each test: a fresh home trusting A, with A's version 1 installed. */
static int setup(void **state)
{
	struct fx *f = *state;
	struct relais_install_result res;
	char path[600];

	snprintf(path, sizeof(path), "%s/home-%d", f->dir, ++f->homes);
	assert_int_equal(relais_home_open(&f->home, f->ctx, path), 0);
	assert_int_equal(relais_trust_add(f->home, f->ctx, f->a_pub, "Ministry", NULL), 0);
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v1_a), 0);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	relais_home_close(f->home);
	f->home = NULL;
	return 0;
}

static uint64_t installed_version(struct fx *f)
{
	struct relais_course_info c;
	uint64_t v;

	assert_int_equal(relais_library_get(&c, f->home, f->ctx, "field-safety"), 0);
	v = c.version;
	relais_course_info_clear(&c);
	return v;
}

static int trusted(struct fx *f, const char *id)
{
	relais_pubkey *k = NULL;
	int rc = relais_trust_lookup(&k, f->home, f->ctx, id);

	relais_pubkey_free(k);
	return rc == 0;
}

static void catalogue_rotation_lets_the_new_key_update(void **state)
{
	struct fx *f = *state;
	struct relais_catalogue cat = {0};
	struct relais_trust_changes ch;
	struct relais_install_result res;
	struct relais_trusted_key *keys = NULL;
	struct relais_rotation recs[2];
	size_t n = 0, i;
	int seen = 0;

	/* Before any record, B may not touch A's course. */
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v2_b), RELAIS_ESIGNATURE);
	/* A chain given out of order: B to C, then A to B. */
	recs[0] = f->b_to_c;
	recs[1] = f->a_to_b;
	cat.rotations = recs;
	cat.n_rotations = 2;
	assert_int_equal(relais_trust_apply_catalogue(&ch, f->home, f->ctx, &cat), 0);
	assert_int_equal(ch.rotated, 2);
	assert_int_equal(ch.refused, 0);
	assert_true(trusted(f, f->b));
	assert_true(trusted(f, f->c));
	/* Applying it again changes nothing more. */
	assert_int_equal(relais_trust_apply_catalogue(&ch, f->home, f->ctx, &cat), 0);
	assert_int_equal(ch.rotated, 0);

	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v2_b), 0);
	assert_int_equal(res.outcome, RELAIS_UPGRADED);
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v3_c), 0);
	assert_int_equal(installed_version(f), 3);

	assert_int_equal(relais_trust_list(&keys, &n, f->home, f->ctx), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		/* The new keys carry the old key's name. */
		assert_string_equal(keys[i].name, "Ministry");
		if (strcmp(keys[i].id, f->a) == 0) {
			assert_string_equal(keys[i].rotated_to, f->b);
			assert_non_null(keys[i].rotated);
			seen++;
		}
	}
	assert_int_equal(seen, 1);
	relais_trust_list_free(keys, n);
}

static void forged_catalogue_rotation_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct relais_catalogue cat = {0};
	struct relais_trust_changes ch;
	struct relais_install_result res;
	struct relais_trusted_key *keys = NULL;
	size_t n = 0;

	cat.rotations = &f->forged;
	cat.n_rotations = 1;
	assert_int_equal(relais_trust_apply_catalogue(&ch, f->home, f->ctx, &cat), 0);
	assert_int_equal(ch.rotated, 0);
	assert_int_equal(ch.refused, 1);
	assert_false(trusted(f, f->b));
	assert_int_equal(relais_trust_list(&keys, &n, f->home, f->ctx), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].rotated_to, "");
	relais_trust_list_free(keys, n);
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v2_b), RELAIS_ESIGNATURE);
	assert_int_equal(installed_version(f), 1);
}

static void revoked_key_keeps_its_courses_marked(void **state)
{
	struct fx *f = *state;
	struct relais_catalogue cat = {0};
	struct relais_catalogue_revoked rev = {{0}, "2026-12-06T10:00:00Z", "key stolen"};
	struct relais_trust_changes ch;
	struct relais_install_result res;
	struct relais_course_info *list = NULL;
	struct relais_trusted_key *keys = NULL;
	relais_bundle *b = NULL;
	size_t n = 0;

	memcpy(rev.key, f->a, RELAIS_KEYID_HEX);
	cat.revoked = &rev;
	cat.n_revoked = 1;
	cat.rotations = &f->a_to_b; /* a rotation from a revoked key is refused */
	cat.n_rotations = 1;
	assert_int_equal(relais_library_list(&list, &n, f->home, f->ctx), 0);
	assert_int_equal(list[0].publisher_revoked, 0);
	relais_course_info_free(list, n);

	assert_int_equal(relais_trust_apply_catalogue(&ch, f->home, f->ctx, &cat), 0);
	assert_int_equal(ch.revoked, 1);
	assert_int_equal(ch.rotated, 0);
	assert_int_equal(ch.refused, 1);
	assert_false(trusted(f, f->b));
	assert_int_equal(relais_trust_is_revoked(f->home, f->ctx, f->a), 1);

	/* Kept, readable, marked. */
	assert_int_equal(relais_library_list(&list, &n, f->home, f->ctx), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].publisher_revoked, 1);
	relais_course_info_free(list, n);
	assert_int_equal(relais_library_open(&b, f->home, f->ctx, "field-safety"), 0);
	relais_bundle_free(b);
	/* Nothing new signed by it, nor through a record it made. */
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v3_a), RELAIS_ESIGNATURE);
	assert_non_null(strstr(relais_errmsg(f->ctx), "revoked on 2026-12-06 (key stolen)"));
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v2_b_carried),
	                 RELAIS_ESIGNATURE);
	assert_int_equal(installed_version(f), 1);

	assert_int_equal(relais_trust_list(&keys, &n, f->home, f->ctx), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].revoked, "2026-12-06T10:00:00Z");
	assert_string_equal(keys[0].revoked_reason, "key stolen");
	relais_trust_list_free(keys, n);
}

static void bundle_carries_its_rotation(void **state)
{
	struct fx *f = *state;
	struct relais_install_result res;

	/* A forged record in the bundle: refused, nothing changed. */
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v2_b_forged),
	                 RELAIS_ESIGNATURE);
	assert_non_null(strstr(relais_errmsg(f->ctx), "key rotation"));
	assert_false(trusted(f, f->b));
	assert_int_equal(installed_version(f), 1);

	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v2_b_carried), 0);
	assert_int_equal(res.outcome, RELAIS_UPGRADED);
	assert_true(trusted(f, f->b));
	assert_int_equal(relais_trust_succeeds(f->home, f->ctx, f->a, f->b), 1);
	/* The course now follows B: the retired key may not take it back. */
	assert_int_equal(relais_library_install(&res, f->home, f->ctx, f->v3_a), RELAIS_ESIGNATURE);
	assert_int_equal(installed_version(f), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(catalogue_rotation_lets_the_new_key_update, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(forged_catalogue_rotation_changes_nothing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(revoked_key_keeps_its_courses_marked, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(bundle_carries_its_rotation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
