/* profile.c: the learners who share a laptop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/password.h"
#include "relais/profile.h"
#include "relais/utf8.h"

#define FIELD_MAX RELAIS_EMAIL_MAX

static int text_ok(const char *s)
{
	return strlen(s) <= FIELD_MAX && relais_utf8_valid(s, strlen(s)) &&
	       strpbrk(s, "\r\n") == NULL;
}

int relais_email_ok(const char *e)
{
	const char *at = strchr(e, '@');

	return text_ok(e) && at && at != e && strchr(at + 1, '@') == NULL &&
	       strchr(at + 1, '.') != NULL && at[1] != '.' && e[strlen(e) - 1] != '.' &&
	       strpbrk(e, " \t\r\n<>\"(),;:") == NULL;
}

/* Checks a new profile's fields and inserts it; pin_hash NULL: no PIN. */
static int insert(int64_t *out_id, relais_home *home, relais_ctx *ctx, const char *name,
                  const char *email, const char *org, const char *pin_hash, int trainer)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, step;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO profile(name, email, org, created, pin_hash, "
	                            "trainer) VALUES (?, lower(?), ?, ?, ?, ?)")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (pin_hash != NULL) {
		sqlite3_bind_text(st, 5, pin_hash, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, 6, trainer);
	step = sqlite3_step(st);
	if (step == SQLITE_CONSTRAINT) {
		rc = relais_fail(ctx, RELAIS_EEXIST, "a learner with the email %s already exists",
		                 email);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
	} else if (out_id != NULL) {
		*out_id = sqlite3_last_insert_rowid(relais_home_db(home));
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_profile_fields_ok(relais_ctx *ctx, const char *name, const char *email, const char *org)
{
	if (name == NULL || name[0] == '\0' || !text_ok(name)) {
		return relais_fail(ctx, RELAIS_EINVAL, "the name must be one line of 1 to %d bytes",
		                   FIELD_MAX);
	}
	if (email == NULL || !relais_email_ok(email)) {
		return relais_fail(ctx, RELAIS_EINVAL, "\"%s\" is not an email address",
		                   email ? email : "");
	}
	if (org != NULL && !text_ok(org)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "the organisation must be one line of at most %d bytes",
		                   FIELD_MAX);
	}
	return 0;
}

int relais_profile_add(int64_t *out_id, relais_home *home, relais_ctx *ctx, const char *name,
                       const char *email, const char *org)
{
	int rc;

	if (org == NULL) {
		org = "";
	}
	if ((rc = relais_profile_fields_ok(ctx, name, email, org)) != 0) {
		return rc;
	}
	return insert(out_id, home, ctx, name, email, org, NULL, 0);
}

static int pin_length_ok(relais_ctx *ctx, size_t len)
{
	if (len < RELAIS_PIN_MIN || len > RELAIS_PIN_MAX) {
		return relais_fail(ctx, RELAIS_EINVAL, "a PIN has %d to %d characters",
		                   RELAIS_PIN_MIN, RELAIS_PIN_MAX);
	}
	return 0;
}

int relais_profile_add_trainer(int64_t *out_id, relais_home *home, relais_ctx *ctx,
                               const char *name, const char *email, const char *org,
                               const char *pin)
{
	char hash[RELAIS_PASSWORD_HASH_MAX];
	int rc;

	if (org == NULL) {
		org = "";
	}
	if ((rc = relais_profile_fields_ok(ctx, name, email, org)) != 0) {
		return rc;
	}
	if (pin == NULL || pin[0] == '\0') {
		return relais_fail(ctx, RELAIS_EINVAL, "a trainer needs a PIN");
	}
	if ((rc = pin_length_ok(ctx, strlen(pin))) != 0 ||
	    (rc = relais_password_hash(hash, ctx, pin)) != 0) {
		return rc;
	}
	rc = insert(out_id, home, ctx, name, email, org, hash, 1);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

void relais_profile_clear(struct relais_profile *p)
{
	free(p->name);
	free(p->email);
	free(p->org);
	memset(p, 0, sizeof(*p));
}

void relais_profile_list_free(struct relais_profile *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++) {
		relais_profile_clear(&p[i]);
	}
	free(p);
}

static int fill(struct relais_profile *p, sqlite3_stmt *st)
{
	p->id = sqlite3_column_int64(st, 0);
	p->name = relais_db_text(st, 1);
	p->email = relais_db_text(st, 2);
	p->org = relais_db_text(st, 3);
	p->has_pin = sqlite3_column_type(st, 4) != SQLITE_NULL;
	p->trainer = sqlite3_column_int(st, 5);
	return p->name && p->email && p->org ? 0 : RELAIS_ENOMEM;
}

int relais_profile_list(struct relais_profile **out, size_t *n, relais_home *home, relais_ctx *ctx)
{
	struct relais_profile *list = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT id, name, email, org, pin_hash, trainer FROM profile "
	                            "ORDER BY name COLLATE NOCASE, id")) != 0) {
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_profile *p = relais_push(&list, &count, sizeof(*list));
		if (p == NULL || fill(p, st) != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
out:
	relais_profile_list_free(list, count);
	sqlite3_finalize(st);
	return rc;
}

int relais_profile_get(struct relais_profile *out, relais_home *home, relais_ctx *ctx, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT id, name, email, org, pin_hash, trainer FROM profile WHERE id = ?")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		if (fill(out, st) != 0) {
			relais_profile_clear(out);
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step == SQLITE_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no learner %lld", (long long)id);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs sql, which names one learner by ?1 (and ?2 when text is not NULL). */
static int update_one(relais_home *home, relais_ctx *ctx, const char *sql, int64_t id,
                      const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_db_prepare(&st, home, ctx, sql)) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	if (text != NULL) {
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
	} else if (sqlite3_changes(relais_home_db(home)) == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no learner %lld", (long long)id);
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_profile_set_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *pin)
{
	char hash[RELAIS_PASSWORD_HASH_MAX];
	size_t len = pin ? strlen(pin) : 0;
	int rc;

	if (len == 0) {
		struct relais_profile p;
		if ((rc = relais_profile_get(&p, home, ctx, id)) != 0) {
			return rc;
		}
		rc = p.trainer;
		relais_profile_clear(&p);
		/* A trainer keeps a PIN: the profile records attendance for others. */
		if (rc) {
			return relais_fail(ctx, RELAIS_EINVAL, "a trainer's PIN cannot be removed");
		}
		return update_one(home, ctx, "UPDATE profile SET pin_hash = NULL WHERE id = ?1", id,
		                  NULL);
	}
	if ((rc = pin_length_ok(ctx, len)) != 0 ||
	    (rc = relais_password_hash(hash, ctx, pin)) != 0) {
		return rc;
	}
	rc = update_one(home, ctx, "UPDATE profile SET pin_hash = ?2 WHERE id = ?1", id, hash);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int relais_profile_check_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *pin)
{
	sqlite3_stmt *st = NULL;
	char *hash = NULL;
	int rc, step;

	if ((rc = relais_db_prepare(&st, home, ctx, "SELECT pin_hash FROM profile WHERE id = ?")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no learner %lld", (long long)id);
	} else if (step != SQLITE_ROW) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
	} else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		hash = relais_db_text(st, 0);
		rc = hash ? relais_password_verify(ctx, hash, pin ? pin : "")
		          : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		if (rc == RELAIS_EPASSWORD) {
			rc = relais_fail(ctx, RELAIS_EPASSWORD, "wrong PIN");
		}
	}
	free(hash);
	sqlite3_finalize(st);
	return rc;
}

int relais_profile_remove(relais_home *home, relais_ctx *ctx, int64_t id)
{
	/* progress and completion go with it (ON DELETE CASCADE); the outbox
	 * keeps its records, which belong to the hub now. */
	return update_one(home, ctx, "DELETE FROM profile WHERE id = ?1", id, NULL);
}

/* Sets the moment before which no PIN of profile id is checked (seconds since the epoch). */
static int update_until(relais_home *home, relais_ctx *ctx, int64_t id, long long until)
{
	char text[32];

	(void)snprintf(text, sizeof(text), "%lld", until);
	/* The column's INTEGER affinity stores the text as a number. */
	return update_one(home, ctx, "UPDATE pin_failure SET until = ?2 WHERE profile_id = ?1", id,
	                  text);
}

/* The wait after failures wrong PINs in a row: 0 for the first free tries, then 2, 4, 8 ... s. */
static long long wait_after(long long failures)
{
	long long n = failures - RELAIS_PIN_FREE_TRIES;

	return n <= 0                                       ? 0
	       : n >= 9 || (1LL << n) > RELAIS_PIN_WAIT_MAX ? RELAIS_PIN_WAIT_MAX
	                                                    : (1LL << n);
}

int relais_profile_try_pin(int *wait, relais_home *home, relais_ctx *ctx, int64_t id,
                           const char *pin)
{
	sqlite3_stmt *st = NULL;
	long long now = (long long)time(NULL), until = 0;
	int rc, step, failed_before = 0;

	*wait = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT until FROM pin_failure WHERE profile_id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		failed_before = 1;
		until = sqlite3_column_int64(st, 0);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		return rc;
	}
	if (until > now) {
		/* A clock set back does not make the wait longer than the longest. */
		*wait = (int)(until - now > RELAIS_PIN_WAIT_MAX ? RELAIS_PIN_WAIT_MAX
		                                                : until - now);
		return relais_fail(ctx, RELAIS_ELIMIT, "too many wrong PINs: wait %d s", *wait);
	}
	rc = relais_profile_check_pin(home, ctx, id, pin);
	if (rc == 0 && failed_before) {
		return update_one(home, ctx, "DELETE FROM pin_failure WHERE profile_id = ?1", id,
		                  NULL);
	}
	if (rc != RELAIS_EPASSWORD) {
		return rc;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO pin_failure(profile_id, failures, until) "
	                            "VALUES (?1, 1, 0) ON CONFLICT(profile_id) DO UPDATE SET "
	                            "failures = failures + 1 RETURNING failures")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "profiles");
	} else {
		until = now + wait_after(sqlite3_column_int64(st, 0));
	}
	sqlite3_finalize(st);
	if (rc == 0) {
		rc = update_until(home, ctx, id, until);
	}
	return rc != 0 ? rc : relais_fail(ctx, RELAIS_EPASSWORD, "wrong PIN");
}
