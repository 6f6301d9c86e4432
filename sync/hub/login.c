/* login.c: coordinator sign-in: the lockout (failures counted per account and per address) and
 * the sessions, both in the database, so that every node serving it sees the same. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/hash.h"

#define LOCK_AFTER 5       /* failures allowed before the first lock */
#define LOCK_FIRST 30      /* seconds of the first lock; each further failure doubles it */
#define LOCK_LONGEST 3600  /* a lock never lasts longer */
#define FORGET_AFTER 86400 /* failures this old are forgotten */

int relais_hub_login_locked(long *wait, relais_hub *hub, relais_ctx *ctx, const char *email,
                            const char *address)
{
	relais_hub_sql_stmt *st = NULL;
	long long now = (long long)time(NULL);
	int rc = 0;

	*wait = 0;
	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT max(locked_until) FROM login_failure WHERE "
	                           "(kind = 'account' AND who = lower(?1)) OR "
	                           "(kind = 'address' AND who = ?2)",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
	}
	relais_hub_sql_bind_text(st, 1, email, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, address, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
	} else if (relais_hub_sql_column_int64(st, 0) > now) {
		*wait = (long)(relais_hub_sql_column_int64(st, 0) - now);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_login_failed(relais_hub *hub, relais_ctx *ctx, const char *email,
                            const char *address)
{
	relais_hub_sql_stmt *st = NULL;
	long long now = (long long)time(NULL);
	int rc = 0, i;

	/* The lock after failure n (n > LOCK_AFTER) lasts LOCK_FIRST * 2^(n - LOCK_AFTER - 1).
	 * The row's own columns are named with its table: PostgreSQL finds "failures" alone
	 * ambiguous beside excluded's. */
	if (relais_hub_sql_begin(hub->db) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_prepare(
	            hub->db,
	            "INSERT INTO login_failure(kind, who, failures, locked_until, last_failure) "
	            "VALUES (?1, CASE ?1 WHEN 'account' THEN lower(?2) ELSE ?2 END, 1, 0, ?3) "
	            "ON CONFLICT(kind, who) DO UPDATE SET "
	            "failures = login_failure.failures + 1, last_failure = ?3, locked_until = CASE "
	            "WHEN login_failure.failures + 1 > ?4 THEN ?3 + min(?6, ?5 << "
	            "min(login_failure.failures - ?4, 20)) ELSE 0 END",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
		goto out;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		relais_hub_sql_reset(st);
		relais_hub_sql_bind_text(st, 1, i == 0 ? "account" : "address", -1,
		                         RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(st, 2, i == 0 ? email : address, -1,
		                         RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_int64(st, 3, now);
		relais_hub_sql_bind_int(st, 4, LOCK_AFTER);
		relais_hub_sql_bind_int(st, 5, LOCK_FIRST);
		relais_hub_sql_bind_int(st, 6, LOCK_LONGEST);
		if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
		}
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc == 0 &&
	    (relais_hub_sql_prepare(hub->db,
	                            "DELETE FROM login_failure WHERE last_failure < ?1 AND "
	                            "locked_until < ?2",
	                            -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	     relais_hub_sql_bind_int64(st, 1, now - FORGET_AFTER) != RELAIS_HUB_SQL_OK ||
	     relais_hub_sql_bind_int64(st, 2, now) != RELAIS_HUB_SQL_OK ||
	     relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE ||
	     relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK)) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
	}
out:
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		relais_hub_sql_rollback(hub->db);
	}
	return rc;
}

int relais_hub_login_succeeded(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *address)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0;

	if (relais_hub_sql_prepare(hub->db,
	                           "DELETE FROM login_failure WHERE "
	                           "(kind = 'account' AND who = lower(?1)) OR "
	                           "(kind = 'address' AND who = ?2)",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
	}
	relais_hub_sql_bind_text(st, 1, email, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, address, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "sign-in lockout");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* ---- sessions ---- */

int relais_hub_session_start(char token[RELAIS_HUB_SESSION_HEX], relais_hub *hub, relais_ctx *ctx,
                             const char *email, long seconds)
{
	relais_hub_sql_stmt *st = NULL;
	long long now = (long long)time(NULL);
	unsigned char raw[(RELAIS_HUB_SESSION_HEX - 1) / 2];
	char hash[RELAIS_SHA256_HEX];
	int rc = 0;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, RELAIS_HUB_SESSION_HEX, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	relais_sha256_hex(hash, token, RELAIS_HUB_SESSION_HEX - 1);
	if (relais_hub_sql_begin(hub->db) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_prepare(hub->db, "DELETE FROM coordinator_session WHERE expires <= ?1",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_int64(st, 1, now) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinator sessions");
		goto out;
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (relais_hub_sql_prepare(hub->db,
	                           "INSERT INTO coordinator_session(token_hash, email, expires) "
	                           "VALUES (?1, ?2, ?3)",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_text(st, 1, hash, -1, RELAIS_HUB_SQL_STATIC) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_text(st, 2, email, -1, RELAIS_HUB_SQL_STATIC) !=
	            RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_int64(st, 3, now + seconds) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE ||
	    relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinator sessions");
	}
out:
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		relais_hub_sql_rollback(hub->db);
		sodium_memzero(token, RELAIS_HUB_SESSION_HEX);
	}
	return rc;
}

int relais_hub_session_find(char email[RELAIS_HUB_EMAIL_MAX], relais_hub *hub, relais_ctx *ctx,
                            const char *token, int end)
{
	relais_hub_sql_stmt *st = NULL;
	long long now = (long long)time(NULL), expires = 0;
	char hash[RELAIS_SHA256_HEX];
	int rc = 0, step;

	email[0] = '\0';
	if (strlen(token) != RELAIS_HUB_SESSION_HEX - 1) {
		return RELAIS_ENOTFOUND;
	}
	relais_sha256_hex(hash, token, RELAIS_HUB_SESSION_HEX - 1);
	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT email, expires FROM coordinator_session "
	                           "WHERE token_hash = ?1",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_text(st, 1, hash, -1, RELAIS_HUB_SQL_STATIC) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinator sessions");
		goto out;
	}
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		const char *e = (const char *)relais_hub_sql_column_text(st, 0);
		(void)snprintf(email, RELAIS_HUB_EMAIL_MAX, "%s", e ? e : "");
		expires = relais_hub_sql_column_int64(st, 1);
	} else if (step == RELAIS_HUB_SQL_DONE) {
		rc = RELAIS_ENOTFOUND;
		goto out;
	} else {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinator sessions");
		goto out;
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (expires <= now) {
		email[0] = '\0';
		rc = RELAIS_ENOTFOUND;
	}
	if (expires <= now || end) {
		/* An expired session goes as soon as it is met; a signed-out one at once. */
		if (relais_hub_sql_prepare(hub->db,
		                           "DELETE FROM coordinator_session WHERE token_hash = ?1",
		                           -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
		    relais_hub_sql_bind_text(st, 1, hash, -1, RELAIS_HUB_SQL_STATIC) !=
		            RELAIS_HUB_SQL_OK ||
		    relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			email[0] = '\0';
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinator sessions");
		}
	}
out:
	relais_hub_sql_finalize(st);
	return rc;
}
