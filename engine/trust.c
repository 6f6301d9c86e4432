/* trust.c: the trust store: publishers' public keys this laptop accepts, and hub keys it reads
 * catalogues by. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/trust.h"
#include "relais/util.h"

#define KEY_FILE_MAX 4096
#define NAME_MAX_LEN 200

/* The base64 line of a public key file, as a malloc'd string. */
static char *key_line(const char *text)
{
	const char *p = text, *nl;

	if (strncmp(p, "untrusted comment:", 18) == 0 && (nl = strchr(p, '\n')) != NULL) {
		p = nl + 1;
	}
	nl = strpbrk(p, "\r\n");
	return nl ? strndup(p, (size_t)(nl - p)) : strdup(p);
}

/*
 * 1 when the query with ?1 = id (and ?2 = id2 when not NULL) finds a row, 0
 * when not, or a negative status.
 */
static int query_finds(relais_home *home, relais_ctx *ctx, const char *sql, const char *id,
                       const char *id2)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_db_prepare(&st, home, ctx, sql)) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (id2 != NULL) {
		sqlite3_bind_text(st, 2, id2, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_add(relais_home *home, relais_ctx *ctx, const char *pub_path, const char *name,
                     char out_id[RELAIS_KEYID_HEX])
{
	relais_pubkey *pub = NULL;
	sqlite3_stmt *st = NULL;
	char id[RELAIS_KEYID_HEX], now[32];
	char *text = NULL, *line = NULL;
	size_t len = 0;
	int rc;

	/* Loading first gives the same messages as everywhere keys are read. */
	if ((rc = relais_pubkey_load(&pub, ctx, pub_path)) != 0 ||
	    (rc = relais_file_read(&text, &len, ctx, pub_path, KEY_FILE_MAX)) != 0) {
		goto out;
	}
	relais_pubkey_id(pub, id);
	if (name == NULL || name[0] == '\0') {
		name = id;
	}
	if (strlen(name) > NAME_MAX_LEN || strpbrk(name, "\r\n") != NULL) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "the name must be one line of at most %d bytes", NAME_MAX_LEN);
		goto out;
	}
	line = key_line(text);
	if (line == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = query_finds(home, ctx, "SELECT 1 FROM hub_key WHERE id = ?", id, NULL)) != 0) {
		if (rc > 0) {
			rc = relais_fail(
			        ctx, RELAIS_EINVAL,
			        "key %s is trusted as a hub key: a key is a publisher's or a "
			        "hub's, never both",
			        id);
		}
		goto out;
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO trusted_key(id, name, public_key, added) "
	                            "VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
	                            "name = excluded.name")) != 0) {
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, line, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
		goto out;
	}
	if (out_id != NULL) {
		memcpy(out_id, id, RELAIS_KEYID_HEX);
	}
out:
	sqlite3_finalize(st);
	relais_pubkey_free(pub);
	free(line);
	free(text);
	return rc;
}

void relais_trust_list_free(struct relais_trusted_key *keys, size_t n)
{
	size_t i;

	for (i = 0; keys && i < n; i++) {
		free(keys[i].name);
		free(keys[i].added);
		free(keys[i].rotated);
		free(keys[i].revoked);
		free(keys[i].revoked_reason);
	}
	free(keys);
}

int relais_trust_list(struct relais_trusted_key **out, size_t *n, relais_home *home,
                      relais_ctx *ctx)
{
	struct relais_trusted_key *keys = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT t.id, t.name, t.added, r.new, r.date, v.date, v.reason "
	             "FROM trusted_key t LEFT JOIN revoked_key v ON v.id = t.id "
	             "LEFT JOIN key_rotation r ON r.rowid = (SELECT rowid FROM key_rotation "
	             "WHERE old = t.id ORDER BY date DESC LIMIT 1) ORDER BY t.added, t.id")) != 0) {
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_trusted_key *k = relais_push(&keys, &count, sizeof(*keys));
		if (k == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		(void)snprintf(k->id, sizeof(k->id), "%s",
		               (const char *)sqlite3_column_text(st, 0));
		k->name = relais_db_text(st, 1);
		k->added = relais_db_text(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			(void)snprintf(k->rotated_to, sizeof(k->rotated_to), "%s",
			               (const char *)sqlite3_column_text(st, 3));
			if ((k->rotated = relais_db_text(st, 4)) == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
		    ((k->revoked = relais_db_text(st, 5)) == NULL ||
		     (k->revoked_reason = relais_db_text(st, 6)) == NULL)) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if (k->name == NULL || k->added == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
		goto out;
	}
	*out = keys;
	*n = count;
	keys = NULL;
out:
	relais_trust_list_free(keys, count);
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_remove(relais_home *home, relais_ctx *ctx, const char *key_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_db_prepare(&st, home, ctx, "DELETE FROM trusted_key WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	} else if (sqlite3_changes(relais_home_db(home)) == 0) {
		sqlite3_finalize(st);
		st = NULL;
		if ((rc = relais_db_prepare(&st, home, ctx, "DELETE FROM hub_key WHERE id = ?")) !=
		    0) {
			return rc;
		}
		sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
		} else if (sqlite3_changes(relais_home_db(home)) == 0) {
			rc = relais_fail(ctx, RELAIS_ENOTFOUND, "key %s is not trusted", key_id);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_lookup(relais_pubkey **out, relais_home *home, relais_ctx *ctx, const char *key_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT public_key FROM trusted_key WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		rc = relais_pubkey_parse(out, ctx, line, strlen(line), "trust store");
	} else if (rc == SQLITE_DONE) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "signed by key %s, which is not trusted (see relais trust add)",
		                 key_id);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_is_revoked(relais_home *home, relais_ctx *ctx, const char *key_id)
{
	return query_finds(home, ctx, "SELECT 1 FROM revoked_key WHERE id = ?", key_id, NULL);
}

int relais_trust_lookup_signer(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                               const char *key_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT date, reason FROM revoked_key WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *reason = (const char *)sqlite3_column_text(st, 1);
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "signed by key %s, which was revoked on %.10s%s%s%s: nothing new "
		                 "signed by it is installed",
		                 key_id, (const char *)sqlite3_column_text(st, 0),
		                 reason && reason[0] ? " (" : "", reason ? reason : "",
		                 reason && reason[0] ? ")" : "");
	} else if (rc == SQLITE_DONE) {
		rc = relais_trust_lookup(out, home, ctx, key_id);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_succeeds(relais_home *home, relais_ctx *ctx, const char *old_id,
                          const char *new_id)
{
	/* UNION (not UNION ALL) keeps each key once, so a cycle of records ends. */
	return query_finds(home, ctx,
	                   "WITH RECURSIVE chain(k) AS (SELECT ?1 WHERE ?1 NOT IN (SELECT id FROM "
	                   "revoked_key) UNION SELECT r.new FROM key_rotation r JOIN chain c ON "
	                   "r.old = c.k WHERE r.new NOT IN (SELECT id FROM revoked_key)) "
	                   "SELECT 1 FROM chain WHERE k = ?2",
	                   old_id, new_id);
}

/* A key reached while following rotation records, with its public key. */
struct reached {
	char id[RELAIS_KEYID_HEX];
	relais_pubkey *pub;
};

/* Where a walk over rotation records stands. */
struct walk {
	relais_home *home;
	relais_ctx *ctx;
	const struct relais_rotation *recs;
	size_t n;
	int strict;           /* a refused record fails the walk */
	unsigned char *state; /* per record: 0 not reached, 1 accepted, 2 refused */
	size_t *order;        /* accepted records, in the order they were */
	size_t n_order;
	struct reached *keys;
	size_t n_keys;
	size_t refused;
};

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n_keys; i++) {
		relais_pubkey_free(w->keys[i].pub);
	}
	free(w->keys);
	free(w->state);
	free(w->order);
}

static const relais_pubkey *walk_key(const struct walk *w, const char *id)
{
	for (size_t i = 0; i < w->n_keys; i++) {
		if (strcmp(w->keys[i].id, id) == 0) {
			return w->keys[i].pub;
		}
	}
	return NULL;
}

static int walk_add(struct walk *w, const char *id, relais_pubkey *pub)
{
	struct reached *k = relais_push(&w->keys, &w->n_keys, sizeof(*w->keys));
	if (k == NULL) {
		relais_pubkey_free(pub);
		return relais_fail(w->ctx, RELAIS_ENOMEM, "out of memory");
	}
	(void)snprintf(k->id, sizeof(k->id), "%s", id);
	k->pub = pub;
	return 0;
}

/*
 * Record i's old key: *old NULL when it is neither trusted nor reached yet.
 * Refuses (RELAIS_ESIGNATURE) a record whose keys are revoked or whose new
 * key is a hub's.
 */
static int walk_old(const relais_pubkey **old, struct walk *w, const struct relais_rotation *r)
{
	relais_pubkey *pub = NULL;
	int rc;

	*old = walk_key(w, r->old_id);
	if (*old == NULL) {
		rc = relais_trust_lookup(&pub, w->home, w->ctx, r->old_id);
		if (rc == RELAIS_ESIGNATURE) {
			return 0;
		}
		if (rc != 0 || (rc = walk_add(w, r->old_id, pub)) != 0) {
			return rc;
		}
		*old = pub;
	}
	if ((rc = relais_trust_is_revoked(w->home, w->ctx, r->old_id)) != 0 ||
	    (rc = relais_trust_is_revoked(w->home, w->ctx, r->new_id)) != 0) {
		return rc < 0 ? rc
		              : relais_fail(
		                        w->ctx, RELAIS_ESIGNATURE,
		                        "key rotation %s -> %s: a revoked key takes no part in a "
		                        "rotation",
		                        r->old_id, r->new_id);
	}
	if ((rc = query_finds(w->home, w->ctx, "SELECT 1 FROM hub_key WHERE id = ?", r->new_id,
	                      NULL)) != 0) {
		return rc < 0 ? rc
		              : relais_fail(w->ctx, RELAIS_ESIGNATURE,
		                            "key rotation %s -> %s: %s is trusted as a hub key",
		                            r->old_id, r->new_id, r->new_id);
	}
	return 0;
}

/*
 * Follows the records from the trusted, unrevoked keys until none more is
 * reached: each reached record is verified with its old key and accepted or
 * refused (logged; in a strict walk, the walk's failure).
 */
static int walk_run(struct walk *w)
{
	int progress = 1, rc;

	if (w->n > 0 && ((w->state = calloc(w->n, 1)) == NULL ||
	                 (w->order = calloc(w->n, sizeof(*w->order))) == NULL)) {
		return relais_fail(w->ctx, RELAIS_ENOMEM, "out of memory");
	}
	while (progress) {
		progress = 0;
		for (size_t i = 0; i < w->n; i++) {
			const struct relais_rotation *r = &w->recs[i];
			const relais_pubkey *old = NULL;
			relais_pubkey *pub = NULL;

			if (w->state[i] != 0) {
				continue;
			}
			rc = walk_old(&old, w, r);
			if (rc == 0 && old == NULL) {
				continue;
			}
			if (rc == 0) {
				rc = relais_rotation_verify(&pub, w->ctx, old, r);
			}
			if (rc == RELAIS_ESIGNATURE || rc == RELAIS_EFORMAT) {
				w->state[i] = 2;
				w->refused++;
				progress = 1;
				if (w->strict) {
					return rc;
				}
				relais_log(w->ctx, RELAIS_LOG_WARN,
				           "a key rotation record was refused, nothing taken from "
				           "it: %s",
				           relais_errmsg(w->ctx));
				continue;
			}
			if (rc != 0 || (rc = walk_add(w, r->new_id, pub)) != 0) {
				return rc;
			}
			w->state[i] = 1;
			w->order[w->n_order++] = i;
			progress = 1;
		}
	}
	return 0;
}

int relais_trust_follow_rotations(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                                  const char *signer, const struct relais_rotation *recs, size_t n)
{
	struct walk w = {home, ctx, recs, n, 1, NULL, NULL, 0, NULL, 0, 0};
	const relais_pubkey *pub;
	int rc;

	*out = NULL;
	if ((rc = walk_run(&w)) != 0) {
		goto out;
	}
	pub = NULL;
	for (size_t i = 0; i < w.n_order && pub == NULL; i++) {
		if (strcmp(recs[w.order[i]].new_id, signer) == 0) {
			pub = walk_key(&w, signer);
		}
	}
	if (pub == NULL) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "signed by key %s, which is not trusted, and no key rotation "
		                 "record leads to it from a trusted key",
		                 signer);
		goto out;
	}
	/* A copy the caller owns: the walk's keys go with it. */
	for (size_t i = 0; i < w.n_keys; i++) {
		if (w.keys[i].pub == pub) {
			*out = w.keys[i].pub;
			w.keys[i].pub = NULL;
		}
	}
out:
	walk_free(&w);
	return rc;
}

/* relais_trust_record_rotations(), also counting the records refused. */
static int record(size_t *applied, size_t *refused, relais_home *home, relais_ctx *ctx,
                  const struct relais_rotation *recs, size_t n, const char *source)
{
	struct walk w = {home, ctx, recs, n, 0, NULL, NULL, 0, NULL, 0, 0};
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	if (applied != NULL) {
		*applied = 0;
	}
	rc = walk_run(&w);
	*refused = w.refused;
	if (rc != 0) {
		goto out;
	}
	relais_now_iso(now);
	for (size_t k = 0; k < w.n_order; k++) {
		const struct relais_rotation *r = &recs[w.order[k]];
		int fresh;

		/* The new key takes the old one's name; a key trusted already keeps its own. */
		if ((rc = relais_db_prepare(
		             &st, home, ctx,
		             "INSERT INTO trusted_key(id, name, public_key, added) "
		             "SELECT ?1, name, ?2, ?3 FROM trusted_key WHERE id = ?4 "
		             "ON CONFLICT(id) DO NOTHING")) != 0) {
			goto out;
		}
		sqlite3_bind_text(st, 1, r->new_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->public_key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->old_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
		if ((rc = relais_db_prepare(&st, home, ctx,
		                            "INSERT OR IGNORE INTO key_rotation(old, new, date, "
		                            "accepted, source) VALUES (?, ?, ?, ?, ?)")) != 0) {
			goto out;
		}
		sqlite3_bind_text(st, 1, r->old_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->new_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->date, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, source, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
			goto out;
		}
		fresh = sqlite3_changes(relais_home_db(home)) > 0;
		sqlite3_finalize(st);
		st = NULL;
		if (fresh) {
			if (applied != NULL) {
				(*applied)++;
			}
			relais_log(ctx, RELAIS_LOG_WARN,
			           "publisher key %s rotated to %s on %.10s (a record in the %s): "
			           "%s may now update the courses of %s",
			           r->old_id, r->new_id, r->date, source, r->new_id, r->old_id);
		}
	}
out:
	sqlite3_finalize(st);
	walk_free(&w);
	return rc;
}

int relais_trust_record_rotations(size_t *applied, relais_home *home, relais_ctx *ctx,
                                  const struct relais_rotation *recs, size_t n, const char *source)
{
	size_t refused;
	return record(applied, &refused, home, ctx, recs, n, source);
}

/* Records one revoked key; logs it when this laptop trusted it. */
static int revoke(size_t *revoked, relais_home *home, relais_ctx *ctx,
                  const struct relais_catalogue_revoked *k)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, fresh;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT OR IGNORE INTO revoked_key(id, date, reason, seen) "
	                            "VALUES (?, ?, ?, ?)")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, k->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->reason ? k->reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
		goto out;
	}
	fresh = sqlite3_changes(relais_home_db(home)) > 0;
	sqlite3_finalize(st);
	st = NULL;
	if (!fresh) {
		goto out;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT t.name, (SELECT count(*) FROM course c WHERE c.signer "
	                            "= t.id) FROM trusted_key t WHERE t.id = ?")) != 0) {
		goto out;
	}
	sqlite3_bind_text(st, 1, k->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int courses = sqlite3_column_int(st, 1);
		(*revoked)++;
		relais_log(ctx, RELAIS_LOG_WARN,
		           "publisher key %s (%s) was revoked on %.10s%s%s%s: %d installed "
		           "course%s kept and marked; nothing new signed by it is installed",
		           k->key, (const char *)sqlite3_column_text(st, 0), k->date,
		           k->reason && k->reason[0] ? " (" : "", k->reason ? k->reason : "",
		           k->reason && k->reason[0] ? ")" : "", courses, courses == 1 ? "" : "s");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_apply_catalogue(struct relais_trust_changes *out, relais_home *home,
                                 relais_ctx *ctx, const struct relais_catalogue *cat)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (cat->n_revoked == 0 && cat->n_rotations == 0) {
		return 0;
	}
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	/* Revocations first: a rotation from or to a revoked key is refused. */
	for (size_t i = 0; i < cat->n_revoked && rc == 0; i++) {
		rc = revoke(&out->revoked, home, ctx, &cat->revoked[i]);
	}
	if (rc == 0) {
		rc = record(&out->rotated, &out->refused, home, ctx, cat->rotations,
		            cat->n_rotations, "catalogue");
	}
	if (rc != 0) {
		relais_db_rollback(home);
		return rc;
	}
	return relais_db_commit(home, ctx);
}

/*
 * Reads a public key given as a file, or as the base64 line of one: *pub
 * and *line (the base64 line, malloc'd).
 */
static int load_any_key(relais_pubkey **pub, char **line, relais_ctx *ctx, const char *arg)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*pub = NULL;
	*line = NULL;
	rc = relais_file_read(&text, &len, ctx, arg, KEY_FILE_MAX);
	if (rc == RELAIS_ENOTFOUND && strchr(arg, '/') == NULL && strlen(arg) < KEY_FILE_MAX) {
		text = strdup(arg);
		if (text == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		len = strlen(text);
		if ((rc = relais_pubkey_parse(pub, ctx, text, len, "hub key")) != 0) {
			rc = relais_fail(ctx, RELAIS_EINVAL,
			                 "%s: no such file, nor a public key's base64 line", arg);
		}
	} else if (rc == 0) {
		rc = relais_pubkey_parse(pub, ctx, text, len, arg);
	}
	if (rc == 0 && (*line = key_line(text)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (rc != 0) {
		relais_pubkey_free(*pub);
		*pub = NULL;
	}
	free(text);
	return rc;
}

int relais_trust_add_hub(relais_home *home, relais_ctx *ctx, const char *pub_arg, const char *name,
                         char out_id[RELAIS_KEYID_HEX])
{
	relais_pubkey *pub = NULL;
	sqlite3_stmt *st = NULL;
	char id[RELAIS_KEYID_HEX], now[32];
	char *line = NULL;
	int rc;

	if ((rc = load_any_key(&pub, &line, ctx, pub_arg)) != 0) {
		goto out;
	}
	relais_pubkey_id(pub, id);
	if (name == NULL || name[0] == '\0') {
		name = id;
	}
	if (strlen(name) > NAME_MAX_LEN || strpbrk(name, "\r\n") != NULL) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "the name must be one line of at most %d bytes", NAME_MAX_LEN);
		goto out;
	}
	if ((rc = query_finds(home, ctx, "SELECT 1 FROM trusted_key WHERE id = ?", id, NULL)) !=
	    0) {
		if (rc > 0) {
			rc = relais_fail(
			        ctx, RELAIS_EINVAL,
			        "key %s is trusted as a publisher: a key is a publisher's or "
			        "a hub's, never both",
			        id);
		}
		goto out;
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO hub_key(id, name, public_key, added) "
	                            "VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
	                            "name = excluded.name")) != 0) {
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, line, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
		goto out;
	}
	if (out_id != NULL) {
		memcpy(out_id, id, RELAIS_KEYID_HEX);
	}
out:
	sqlite3_finalize(st);
	relais_pubkey_free(pub);
	free(line);
	return rc;
}

void relais_trust_hub_list_free(struct relais_hub_key *keys, size_t n)
{
	size_t i;

	for (i = 0; keys && i < n; i++) {
		free(keys[i].name);
		free(keys[i].added);
		free(keys[i].accepted);
	}
	free(keys);
}

int relais_trust_list_hubs(struct relais_hub_key **out, size_t *n, relais_home *home,
                           relais_ctx *ctx)
{
	struct relais_hub_key *keys = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT id, name, added, serial, accepted, "
	                            "coalesce(length(catalogue), 0) FROM hub_key "
	                            "ORDER BY added, id")) != 0) {
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_hub_key *k = relais_push(&keys, &count, sizeof(*keys));
		if (k == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		(void)snprintf(k->id, sizeof(k->id), "%s",
		               (const char *)sqlite3_column_text(st, 0));
		k->name = relais_db_text(st, 1);
		k->added = relais_db_text(st, 2);
		k->serial = (uint64_t)sqlite3_column_int64(st, 3);
		k->accepted = relais_db_text(st, 4);
		k->catalogue_bytes = (uint64_t)sqlite3_column_int64(st, 5);
		if (k->name == NULL || k->added == NULL || k->accepted == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
		goto out;
	}
	*out = keys;
	*n = count;
	keys = NULL;
out:
	relais_trust_hub_list_free(keys, count);
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_hub_lookup(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                            const char *key_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT public_key FROM hub_key WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		rc = relais_pubkey_parse(out, ctx, line, strlen(line), "trust store");
	} else if (rc == SQLITE_DONE) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "signed by another key (%s, not a trusted hub key: see relais "
		                 "trust add-hub)",
		                 key_id);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	}
	sqlite3_finalize(st);
	return rc;
}

void relais_hub_catalogue_clear(struct relais_hub_catalogue *c)
{
	if (c == NULL) {
		return;
	}
	free(c->etag);
	free(c->json);
	free(c->sig);
	memset(c, 0, sizeof(*c));
}

/* A blob or text column as a malloc'd, NUL-terminated copy. */
static char *column_copy(sqlite3_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *out = malloc(n + 1);

	if (out != NULL) {
		if (n > 0) {
			memcpy(out, p, n);
		}
		out[n] = '\0';
		*len = n;
	}
	return out;
}

int relais_trust_hub_catalogue(struct relais_hub_catalogue *out, int *found, relais_home *home,
                               relais_ctx *ctx, const char *key_id)
{
	sqlite3_stmt *st = NULL;
	size_t etag_len;
	int rc;

	memset(out, 0, sizeof(*out));
	*found = 0;
	rc = relais_db_prepare(
	        &st, home, ctx,
	        key_id != NULL ? "SELECT id, serial, etag, catalogue, signature FROM hub_key "
	                         "WHERE id = ? AND catalogue IS NOT NULL"
	                       : "SELECT id, serial, etag, catalogue, signature FROM hub_key "
	                         "WHERE catalogue IS NOT NULL ORDER BY accepted DESC LIMIT 1");
	if (rc != 0) {
		return rc;
	}
	if (key_id != NULL) {
		sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		(void)snprintf(out->key_id, sizeof(out->key_id), "%s",
		               (const char *)sqlite3_column_text(st, 0));
		out->serial = (uint64_t)sqlite3_column_int64(st, 1);
		out->etag = column_copy(st, 2, &etag_len);
		out->json = column_copy(st, 3, &out->len);
		out->sig = column_copy(st, 4, &out->sig_len);
		if (out->etag == NULL || out->json == NULL || out->sig == NULL) {
			relais_hub_catalogue_clear(out);
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		} else {
			*found = 1;
			rc = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_trust_hub_accept(relais_home *home, relais_ctx *ctx, const char *key_id, uint64_t serial,
                            const char *etag, const char *json, size_t len, const char *sig,
                            size_t sig_len)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "UPDATE hub_key SET serial = ?, etag = ?, catalogue = ?, "
	                            "signature = ?, accepted = ? WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)serial);
	sqlite3_bind_text(st, 2, etag ? etag : "", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, json, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sig, (int)sig_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, key_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "trust store");
	} else if (sqlite3_changes(relais_home_db(home)) == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "key %s is not a trusted hub key", key_id);
	}
	sqlite3_finalize(st);
	return rc;
}
