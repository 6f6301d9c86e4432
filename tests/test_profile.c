/* test_profile.c: learners on a shared laptop: PINs, and removing a learner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "relais/error.h"
#include "relais/key.h"
#include "relais/profile.h"

struct fx {
	char *dir;
	relais_ctx *ctx;
	relais_home *home;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[600];

	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	snprintf(path, sizeof(path), "%s/home", f->dir);
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	assert_int_equal(relais_home_open(&f->home, f->ctx, path), 0);
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

static void a_pin_guards_a_learner(void **state)
{
	struct fx *f = *state;
	struct relais_profile p;
	int64_t awa, ben;

	assert_int_equal(relais_profile_add(&awa, f->home, f->ctx, "Awa", "awa@example.org", ""),
	                 0);
	assert_int_equal(relais_profile_add(&ben, f->home, f->ctx, "Ben", "ben@example.org", ""),
	                 0);
	/* No PIN: anyone may choose the learner, whatever is typed. */
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, awa, ""), 0);
	assert_int_equal(relais_profile_set_pin(f->home, f->ctx, awa, "123"), RELAIS_EINVAL);
	assert_string_equal(relais_errmsg(f->ctx), "a PIN has 4 to 64 characters");
	assert_int_equal(relais_profile_set_pin(f->home, f->ctx, awa, "2468"), 0);
	assert_int_equal(relais_profile_get(&p, f->home, f->ctx, awa), 0);
	assert_true(p.has_pin);
	relais_profile_clear(&p);
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, awa, "2468"), 0);
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, awa, "2469"), RELAIS_EPASSWORD);
	assert_string_equal(relais_errmsg(f->ctx), "wrong PIN");
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, awa, ""), RELAIS_EPASSWORD);
	/* Ben's PIN-less choice is not Awa's. */
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, ben, "2469"), 0);
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, 999, "2468"), RELAIS_ENOTFOUND);
	/* Removed again. */
	assert_int_equal(relais_profile_set_pin(f->home, f->ctx, awa, NULL), 0);
	assert_int_equal(relais_profile_check_pin(f->home, f->ctx, awa, ""), 0);
	assert_int_equal(relais_profile_get(&p, f->home, f->ctx, awa), 0);
	assert_false(p.has_pin);
	relais_profile_clear(&p);
}

static void removing_a_learner(void **state)
{
	struct fx *f = *state;
	struct relais_profile p;
	int64_t id;

	assert_int_equal(relais_profile_add(&id, f->home, f->ctx, "Chen", "chen@example.org", ""),
	                 0);
	assert_int_equal(relais_profile_remove(f->home, f->ctx, id), 0);
	assert_int_equal(relais_profile_get(&p, f->home, f->ctx, id), RELAIS_ENOTFOUND);
	assert_int_equal(relais_profile_remove(f->home, f->ctx, id), RELAIS_ENOTFOUND);
	/* The address is free again. */
	assert_int_equal(relais_profile_add(&id, f->home, f->ctx, "Chen", "chen@example.org", ""),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(a_pin_guards_a_learner, setup, teardown),
	        cmocka_unit_test_setup_teardown(removing_a_learner, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
