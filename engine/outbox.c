/* outbox.c: statements waiting for a hub: what is pending, sent, set aside, exported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/gzip.h"
#include "relais/key.h"
#include "relais/outbox.h"

#define EXPORT_MODE 0600                     /* the records name learners */
#define EXPORT_READ_MAX (256u * 1024 * 1024) /* what relais-hub import reads */
#define LAPTOP_KEY_SETTING "sync.laptop_key"
#define LAPTOP_KEY_REGISTERED "sync.laptop_key_registered"

int relais_laptop_key(relais_seckey **out, int *made, relais_home *home, relais_ctx *ctx)
{
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	char *text = NULL;
	int rc;

	*out = NULL;
	*made = 0;
	if ((rc = relais_setting_get(&text, home, ctx, LAPTOP_KEY_SETTING)) != 0) {
		return rc;
	}
	if (text != NULL && text[0] != '\0') {
		rc = relais_seckey_parse(out, ctx, text, strlen(text), "the laptop key");
		goto out;
	}
	free(text);
	text = NULL;
	if ((rc = relais_keypair_generate(&pub, &sec, ctx)) != 0 ||
	    (rc = relais_seckey_text(&text, ctx, sec)) != 0 ||
	    (rc = relais_setting_set(home, ctx, LAPTOP_KEY_SETTING, text)) != 0) {
		goto out;
	}
	*out = sec;
	sec = NULL;
	*made = 1;
out:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	relais_seckey_free(sec);
	relais_pubkey_free(pub);
	return rc;
}

int relais_laptop_key_public(char **out, int *made, relais_home *home, relais_ctx *ctx)
{
	relais_seckey *sec = NULL;
	relais_pubkey *pub = NULL;
	int rc;

	*out = NULL;
	if ((rc = relais_laptop_key(&sec, made, home, ctx)) == 0 &&
	    (rc = relais_seckey_public(&pub, ctx, sec)) == 0) {
		rc = relais_pubkey_text(out, ctx, pub);
	}
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	return rc;
}

int relais_laptop_key_registered(char **out, relais_home *home, relais_ctx *ctx)
{
	int rc = relais_setting_get(out, home, ctx, LAPTOP_KEY_REGISTERED);

	if (rc == 0 && *out != NULL && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int relais_laptop_key_set_registered(relais_home *home, relais_ctx *ctx, const char *where)
{
	return relais_setting_set(home, ctx, LAPTOP_KEY_REGISTERED, where);
}

void relais_outbox_free(struct relais_outbox_item *items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++) {
		free(items[i].id);
		free(items[i].verb);
		free(items[i].object);
		free(items[i].learner);
		free(items[i].created);
		free(items[i].statement);
	}
	free(items);
}

int relais_outbox_pending(struct relais_outbox_item **out, size_t *n, relais_home *home,
                          relais_ctx *ctx, size_t limit)
{
	return relais_outbox_pending_of(out, n, home, ctx, 0, limit);
}

int relais_outbox_count(int64_t *out, relais_home *home, relais_ctx *ctx)
{
	return relais_outbox_count_of(out, home, ctx, 0);
}

int relais_outbox_mark_sent(relais_home *home, relais_ctx *ctx, const char *const *ids, size_t n)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	size_t i;
	int rc;

	if (n == 0) {
		return 0;
	}
	relais_now_iso(now);
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "UPDATE outbox SET sent = ? WHERE id = ? AND sent IS NULL")) !=
	    0) {
		relais_db_rollback(home);
		return rc;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
			break;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_db_rollback(home);
		return rc;
	}
	return relais_db_commit(home, ctx);
}

int relais_outbox_set_aside(relais_home *home, relais_ctx *ctx, const char *id, const char *reason)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "UPDATE outbox SET set_aside = ?, refusal = ? WHERE id = ? AND "
	                            "sent IS NULL")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_outbox_retry(size_t *count, relais_home *home, relais_ctx *ctx, const char *const *ids,
                        size_t n)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	*count = 0;
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            n == 0 ? "UPDATE outbox SET set_aside = NULL, refusal = NULL "
	                                     "WHERE set_aside IS NOT NULL AND sent IS NULL"
	                                   : "UPDATE outbox SET set_aside = NULL, refusal = NULL "
	                                     "WHERE id = lower(?) AND set_aside IS NOT NULL AND "
	                                     "sent IS NULL")) != 0) {
		relais_db_rollback(home);
		return rc;
	}
	for (i = 0; i == 0 || i < n; i++) {
		if (n > 0) {
			sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
			break;
		}
		if (n > 0 && sqlite3_changes(relais_home_db(home)) == 0) {
			rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no record %s is set aside",
			                 ids[i]);
			break;
		}
		*count += (size_t)sqlite3_changes(relais_home_db(home));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		*count = 0;
		relais_db_rollback(home);
		return rc;
	}
	return relais_db_commit(home, ctx);
}

void relais_set_aside_free(struct relais_set_aside *items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++) {
		free(items[i].id);
		free(items[i].object);
		free(items[i].reason);
		free(items[i].when);
	}
	free(items);
}

int relais_outbox_set_aside_list(struct relais_set_aside **out, size_t *n, relais_home *home,
                                 relais_ctx *ctx, size_t limit)
{
	return relais_outbox_set_aside_of(out, n, home, ctx, 0, limit);
}

static int write_af(void *data, const void *buf, size_t len)
{
	return relais_atomic_write(data, buf, len);
}

/*
 * Writes path + ".minisig": a detached minisign signature by sec of the
 * file's bytes as they are on disk now.
 */
static int sign_file(relais_ctx *ctx, const relais_seckey *sec, const char *path,
                     const char *sig_path, const char id[RELAIS_KEYID_HEX])
{
	char *data = NULL, *sig = NULL, untrusted[80], trusted[80];
	size_t len = 0, sig_len = 0;
	int rc;

	(void)snprintf(untrusted, sizeof(untrusted), "signature from relais laptop key %s", id);
	(void)snprintf(trusted, sizeof(trusted), "relais-records laptop_key:%s", id);
	if ((rc = relais_file_read(&data, &len, ctx, path, EXPORT_READ_MAX)) == 0 &&
	    (rc = relais_sign(&sig, &sig_len, ctx, sec, data, len, untrusted, trusted)) == 0) {
		rc = relais_file_write_atomic(ctx, sig_path, sig, sig_len, 0644, 0);
	}
	free(sig);
	free(data);
	return rc;
}

int relais_outbox_export(size_t *count, relais_home *home, relais_ctx *ctx, const char *path)
{
	static const char head[] = "{\"format\":\"relais-records\",\"version\":2,\"laptop_key\":\"";
	static const char head2[] = "\",\"statements\":[";
	relais_atomic_file *af = NULL;
	relais_seckey *sec = NULL;
	sqlite3_stmt *st = NULL;
	char id[RELAIS_KEYID_HEX], *sig_path = NULL;
	size_t n = 0, sig_size = strlen(path) + sizeof(".minisig");
	relais_gzip_stream *gz = NULL;
	int rc, step, made;

	*count = 0;
	if ((sig_path = malloc(sig_size)) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	(void)snprintf(sig_path, sig_size, "%s.minisig", path);
	if ((rc = relais_laptop_key(&sec, &made, home, ctx)) != 0) {
		goto out;
	}
	relais_seckey_id(sec, id);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT statement FROM outbox WHERE sent IS NULL "
	                            "ORDER BY seq")) != 0) {
		goto out;
	}
	if ((rc = relais_atomic_open(&af, ctx, path, EXPORT_MODE)) != 0) {
		goto out;
	}
	if ((rc = relais_gzip_stream_new(&gz, ctx, 9, write_af, af)) != 0) {
		goto out;
	}
	if ((rc = relais_gzip_stream_put(gz, ctx, head, sizeof(head) - 1)) != 0 ||
	    (rc = relais_gzip_stream_put(gz, ctx, id, strlen(id))) != 0 ||
	    (rc = relais_gzip_stream_put(gz, ctx, head2, sizeof(head2) - 1)) != 0) {
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const void *text = sqlite3_column_text(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		if (text == NULL) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
			goto out;
		}
		if ((n > 0 && (rc = relais_gzip_stream_put(gz, ctx, ",", 1)) != 0) ||
		    (rc = relais_gzip_stream_put(gz, ctx, text, len)) != 0) {
			goto out;
		}
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
		goto out;
	}
	if ((rc = relais_gzip_stream_put(gz, ctx, "]}", 2)) != 0 ||
	    (rc = relais_gzip_stream_finish(gz, ctx)) != 0) {
		goto out;
	}
	/* An old signature must never sit beside the new file. */
	if (remove(sig_path) != 0 && errno != ENOENT) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: %s", sig_path, strerror(errno));
		goto out;
	}
	rc = relais_atomic_commit(af);
	af = NULL;
	if (rc == 0 && (rc = sign_file(ctx, sec, path, sig_path, id)) == 0) {
		*count = n;
	}
out:
	relais_gzip_stream_free(gz);
	relais_atomic_abort(af);
	sqlite3_finalize(st);
	relais_seckey_free(sec);
	free(sig_path);
	return rc;
}

/* --- one learner's records (a shared laptop shows each learner only their own) --- */

int relais_outbox_count_of(int64_t *out, relais_home *home, relais_ctx *ctx, int64_t profile_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT count(*) FROM outbox WHERE sent IS NULL AND "
	                            "set_aside IS NULL AND (?1 = 0 OR profile_id = ?1)")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)profile_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_outbox_pending_of(struct relais_outbox_item **out, size_t *n, relais_home *home,
                             relais_ctx *ctx, int64_t profile_id, size_t limit)
{
	struct relais_outbox_item *items = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT o.seq, o.id, o.verb, o.object, "
	             "coalesce(json_extract(o.statement, '$.actor.name'), p.name, ''), "
	             "o.created, o.statement FROM outbox o LEFT JOIN profile p ON "
	             "p.id = o.profile_id WHERE o.sent IS NULL AND o.set_aside IS NULL "
	             "AND (?1 = 0 OR o.profile_id = ?1) ORDER BY o.seq LIMIT ?2")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)profile_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_outbox_item *it = relais_push(&items, &count, sizeof(*items));
		if (it == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		it->seq = sqlite3_column_int64(st, 0);
		it->id = relais_db_text(st, 1);
		it->verb = relais_db_text(st, 2);
		it->object = relais_db_text(st, 3);
		it->learner = relais_db_text(st, 4);
		it->created = relais_db_text(st, 5);
		it->statement = relais_db_text(st, 6);
		if (!it->id || !it->verb || !it->object || !it->learner || !it->created ||
		    !it->statement) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
		goto out;
	}
	*out = items;
	*n = count;
	items = NULL;
out:
	relais_outbox_free(items, count);
	sqlite3_finalize(st);
	return rc;
}

int relais_outbox_set_aside_of(struct relais_set_aside **out, size_t *n, relais_home *home,
                               relais_ctx *ctx, int64_t profile_id, size_t limit)
{
	struct relais_set_aside *items = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT id, object, coalesce(refusal, ''), set_aside FROM outbox "
	             "WHERE set_aside IS NOT NULL AND (?1 = 0 OR profile_id = ?1) "
	             "ORDER BY set_aside DESC, seq DESC LIMIT ?2")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)profile_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_set_aside *it = relais_push(&items, &count, sizeof(*items));
		if (it == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		it->id = relais_db_text(st, 0);
		it->object = relais_db_text(st, 1);
		it->reason = relais_db_text(st, 2);
		it->when = relais_db_text(st, 3);
		if (!it->id || !it->object || !it->reason || !it->when) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
		goto out;
	}
	*out = items;
	*n = count;
	items = NULL;
out:
	relais_set_aside_free(items, count);
	sqlite3_finalize(st);
	return rc;
}
