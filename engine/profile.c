/* profile.c: the learners who share a laptop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/password.h"
#include "relais/profile.h"
#include "relais/utf8.h"

#define FIELD_MAX 200

int relais_profile_email_ok(const char *e)
{
	const char *at = strchr(e, '@');

	return at && at != e && strchr(at + 1, '@') == NULL && strchr(at + 1, '.') != NULL &&
	       at[1] != '.' && e[strlen(e) - 1] != '.' && strpbrk(e, " \t\r\n<>\"(),;:") == NULL;
}

static int text_ok(const char *s)
{
	return strlen(s) <= FIELD_MAX && relais_utf8_valid(s, strlen(s)) &&
	       strpbrk(s, "\r\n") == NULL;
}

int relais_profile_add(int64_t *out_id, relais_home *home, relais_ctx *ctx, const char *name,
                       const char *email, const char *org)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, step;

	if (org == NULL) {
		org = "";
	}
	if (name == NULL || name[0] == '\0' || !text_ok(name)) {
		return relais_fail(ctx, RELAIS_EINVAL, "the name must be one line of 1 to %d bytes",
		                   FIELD_MAX);
	}
	if (email == NULL || !text_ok(email) || !relais_profile_email_ok(email)) {
		return relais_fail(ctx, RELAIS_EINVAL, "\"%s\" is not an email address",
		                   email ? email : "");
	}
	if (!text_ok(org)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "the organisation must be one line of at most %d bytes",
		                   FIELD_MAX);
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO profile(name, email, org, created) "
	                            "VALUES (?, lower(?), ?, ?)")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
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
	                            "SELECT id, name, email, org, pin_hash FROM profile "
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
	             "SELECT id, name, email, org, pin_hash FROM profile WHERE id = ?")) != 0) {
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
		return update_one(home, ctx, "UPDATE profile SET pin_hash = NULL WHERE id = ?1", id,
		                  NULL);
	}
	if (len < RELAIS_PIN_MIN || len > RELAIS_PIN_MAX) {
		return relais_fail(ctx, RELAIS_EINVAL, "a PIN has %d to %d characters",
		                   RELAIS_PIN_MIN, RELAIS_PIN_MAX);
	}
	if ((rc = relais_password_hash(hash, ctx, pin)) != 0) {
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
