/* catalogue.c: publishing: the hub's catalogue key, publishers, bundles and deltas, the signed
 * catalogue (docs/catalogue.md, docs/hub.md "Publishing courses"). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/bundle.h"
#include "relais/catalogue.h"
#include "relais/delta.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/hash.h"
#include "relais/publish.h"
#include "relais/strbuf.h"
#include "relais/utf8.h"

#define PATH_SIZE 4096
#define SETTING_KEY "catalogue_key"
#define SETTING_DAYS "catalogue_days"
#define DAY_MS (24LL * 3600 * 1000)
#define KEY_TEXT_MAX 4096
#define ORG_MAX 256
#define ORGS_MAX 100
#define COPY_BLOCK (64 * 1024)
#define VERIFY_THREADS 2
#define RELAIS_HUB_DELTA_BASES_TEXT "3" /* RELAIS_HUB_DELTA_BASES, for SQL */

/* ---- small helpers ---- */

static int db_fail(relais_hub *hub, relais_ctx *ctx, const char *what)
{
	return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, what);
}

int relais_hub_prepare(relais_hub_sql_stmt **st, relais_hub *hub, relais_ctx *ctx, const char *sql)
{
	if (relais_hub_sql_prepare(hub->db, sql, -1, st, NULL) != RELAIS_HUB_SQL_OK) {
		*st = NULL;
		return db_fail(hub, ctx, "hub database");
	}
	return 0;
}

#define prepare relais_hub_prepare

static int begin(relais_hub *hub, relais_ctx *ctx)
{
	return relais_hub_sql_begin(hub->db) == RELAIS_HUB_SQL_OK
	               ? 0
	               : db_fail(hub, ctx, "hub database");
}

/* Commits when rc is 0, else rolls back; returns rc (or the commit's failure). */
static int end(relais_hub *hub, relais_ctx *ctx, int rc)
{
	if (rc == 0 && relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "hub database");
	}
	if (rc != 0) {
		relais_hub_sql_rollback(hub->db);
	}
	return rc;
}

/*
 * The files folder (relais_hub_files_set, else "<db>.d" beside a SQLite
 * database), or "<folder>/<sub>" (sub may hold a file name).
 */
static int files_path(char *out, size_t size, relais_hub *hub, relais_ctx *ctx, const char *sub)
{
	const char *db = relais_hub_sql_filename(hub->db), *dir = hub->files;
	int n;

	if (dir == NULL && relais_hub_sql_kind(hub->db) == RELAIS_HUB_SQL_PG) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "a hub on PostgreSQL keeps published bundles in a files folder "
		                   "shared by its nodes: give --files DIR");
	}
	if (dir == NULL && (db == NULL || db[0] == '\0')) {
		return relais_fail(ctx, RELAIS_EINVAL, "an in-memory hub cannot publish");
	}
	if (dir != NULL) {
		n = sub ? snprintf(out, size, "%s/%s", dir, sub) : snprintf(out, size, "%s", dir);
	} else {
		n = sub ? snprintf(out, size, "%s.d/%s", db, sub) : snprintf(out, size, "%s.d", db);
	}
	if (n < 0 || (size_t)n >= size) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", dir ? dir : db);
	}
	return 0;
}

/* Makes the files folder, its bundles/, deltas/ and incoming/. */
static int files_dirs(relais_hub *hub, relais_ctx *ctx)
{
	static const char *const subs[] = {NULL, "bundles", "deltas", "incoming"};
	char path[PATH_SIZE];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((rc = files_path(path, sizeof(path), hub, ctx, subs[i])) != 0 ||
		    (rc = relais_dir_make(ctx, path, 0755)) != 0) {
			return rc;
		}
	}
	return 0;
}

/* A hub setting's value (*out malloc'd); RELAIS_ENOTFOUND when unset. */
static int setting_get(char **out, relais_hub *hub, relais_ctx *ctx, const char *key)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	*out = NULL;
	if ((rc = prepare(&st, hub, ctx, "SELECT value FROM hub_setting WHERE key = ?")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, key, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		const char *v = (const char *)relais_hub_sql_column_text(st, 0);
		*out = strdup(v ? v : "");
		rc = *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if (step == RELAIS_HUB_SQL_DONE) {
		rc = RELAIS_ENOTFOUND;
	} else {
		rc = db_fail(hub, ctx, "hub settings");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int setting_set(relais_hub *hub, relais_ctx *ctx, const char *key, const char *value)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	if ((rc = prepare(&st, hub, ctx,
	                  "INSERT INTO hub_setting(key, value) VALUES (?, ?) "
	                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, key, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, value, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "hub settings");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* The catalogue key; RELAIS_ENOTFOUND (with a message) when the hub has none. */
static int hub_key_load(relais_seckey **out, relais_hub *hub, relais_ctx *ctx)
{
	char *text = NULL;
	int rc = setting_get(&text, hub, ctx, SETTING_KEY);

	*out = NULL;
	if (rc == RELAIS_ENOTFOUND) {
		return relais_fail(ctx, RELAIS_ENOTFOUND,
		                   "this hub has no catalogue key yet: run relais-hub keygen");
	}
	if (rc == 0) {
		rc = relais_seckey_parse(out, ctx, text, strlen(text), "the hub's catalogue key");
		sodium_memzero(text, strlen(text));
	}
	free(text);
	return rc;
}

int relais_hub_catalogue_key(relais_seckey **out, relais_hub *hub, relais_ctx *ctx)
{
	return hub_key_load(out, hub, ctx);
}

static unsigned catalogue_days(relais_hub *hub, relais_ctx *ctx)
{
	char *v = NULL;
	unsigned long d = RELAIS_HUB_CATALOGUE_DAYS;

	if (setting_get(&v, hub, ctx, SETTING_DAYS) == 0) {
		char *end;
		unsigned long got = strtoul(v, &end, 10);
		if (*end == '\0' && got >= 2 && got <= 3650) {
			d = got;
		}
	}
	free(v);
	return (unsigned)d;
}

static char *column_dup(relais_hub_sql_stmt *st, int col)
{
	const char *v = (const char *)relais_hub_sql_column_text(st, col);
	return strdup(v ? v : "");
}

/* ---- the catalogue ---- */

static int load_deltas(struct relais_catalogue_course *c, relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT from_version, from_sha256, size, sha256 FROM published_delta "
	                  "WHERE to_sha256 = ? ORDER BY from_version DESC")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, c->sha256, -1, RELAIS_HUB_SQL_STATIC);
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_catalogue_delta *d =
		        relais_push(&c->deltas, &c->n_deltas, sizeof(*d));
		if (d == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
		d->from_version = (uint64_t)relais_hub_sql_column_int64(st, 0);
		(void)snprintf(d->from_sha256, sizeof(d->from_sha256), "%s",
		               (const char *)relais_hub_sql_column_text(st, 1));
		d->size = (uint64_t)relais_hub_sql_column_int64(st, 2);
		(void)snprintf(d->sha256, sizeof(d->sha256), "%s",
		               (const char *)relais_hub_sql_column_text(st, 3));
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "published deltas");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int load_audience(struct relais_catalogue_course *c, relais_ctx *ctx, const char *json)
{
	cJSON *arr = cJSON_Parse(json), *it;
	int rc = 0;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: unreadable audience", c->id);
	}
	cJSON_ArrayForEach(it, arr)
	{
		char **slot;
		if (!cJSON_IsString(it) ||
		    (slot = relais_push(&c->audience, &c->n_audience, sizeof(*slot))) == NULL ||
		    (*slot = strdup(it->valuestring)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
	}
	cJSON_Delete(arr);
	return rc;
}

/* The catalogue as the store says (serial, times and hub key left to the caller). */
static int catalogue_load(struct relais_catalogue *cat, relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = prepare(&st, hub, ctx, "SELECT key_id, name FROM publisher ORDER BY key_id")) !=
	    0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_catalogue_publisher *p =
		        relais_push(&cat->publishers, &cat->n_publishers, sizeof(*p));
		if (p == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		(void)snprintf(p->key, sizeof(p->key), "%s",
		               (const char *)relais_hub_sql_column_text(st, 0));
		if ((p->name = column_dup(st, 1)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
		goto out;
	}
	relais_hub_sql_finalize(st);
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT course, version, title, language, size, sha256, publisher, "
	                  "audience, required, due, published FROM published_bundle "
	                  "WHERE state = 'current' ORDER BY course")) != 0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_catalogue_course *c =
		        relais_push(&cat->courses, &cat->n_courses, sizeof(*c));
		if (c == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		c->version = (uint64_t)relais_hub_sql_column_int64(st, 1);
		c->size = (uint64_t)relais_hub_sql_column_int64(st, 4);
		(void)snprintf(c->sha256, sizeof(c->sha256), "%s",
		               (const char *)relais_hub_sql_column_text(st, 5));
		(void)snprintf(c->publisher, sizeof(c->publisher), "%s",
		               (const char *)relais_hub_sql_column_text(st, 6));
		c->required = relais_hub_sql_column_int(st, 8);
		if ((c->id = column_dup(st, 0)) == NULL || (c->title = column_dup(st, 2)) == NULL ||
		    (c->language = column_dup(st, 3)) == NULL ||
		    (c->published = column_dup(st, 10)) == NULL ||
		    (relais_hub_sql_column_type(st, 9) != RELAIS_HUB_SQL_NULL &&
		     (c->due = column_dup(st, 9)) == NULL)) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = load_audience(c, ctx, (const char *)relais_hub_sql_column_text(st, 7))) !=
		            0 ||
		    (rc = load_deltas(c, hub, ctx)) != 0) {
			goto out;
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "published bundles");
		goto out;
	}
	relais_hub_sql_finalize(st);
	if ((rc = prepare(&st, hub, ctx, "SELECT record FROM publisher_rotation ORDER BY seq")) !=
	    0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_rotation *r =
		        relais_push(&cat->rotations, &cat->n_rotations, sizeof(*r));
		if (r == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = relais_rotation_parse(r, ctx,
		                                (const char *)relais_hub_sql_column_text(st, 0),
		                                (size_t)relais_hub_sql_column_bytes(st, 0),
		                                "stored key rotation")) != 0) {
			goto out;
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "key rotations");
		goto out;
	}
	relais_hub_sql_finalize(st);
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT key_id, date, reason FROM publisher_revoked ORDER BY date, "
	                  "key_id")) != 0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_catalogue_revoked *k =
		        relais_push(&cat->revoked, &cat->n_revoked, sizeof(*k));
		if (k == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		(void)snprintf(k->key, sizeof(k->key), "%s",
		               (const char *)relais_hub_sql_column_text(st, 0));
		if ((k->date = column_dup(st, 1)) == NULL ||
		    (k->reason = column_dup(st, 2)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "revoked keys");
		goto out;
	}
	if ((rc = relais_hub_sessions_load(cat, hub, ctx)) == 0) {
		rc = relais_hub_cohorts_load(cat, hub, ctx);
	}
out:
	relais_hub_sql_finalize(st);
	return rc;
}

/*
 * Writes and signs a new catalogue from the store with the next serial and
 * keeps it as the one served. In the caller's transaction. With no key
 * yet, does nothing (keygen signs the first one).
 */
static int catalogue_refresh(uint64_t *serial, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_catalogue *cat = calloc(1, sizeof(*cat));
	relais_seckey *sec = NULL;
	relais_hub_sql_stmt *st = NULL;
	char issued[32], expires[32], etag[65], sig_etag[65];
	char *json = NULL, *sig = NULL;
	size_t len = 0, sig_len = 0;
	long long now;
	int rc;

	if (serial) {
		*serial = 0;
	}
	if (cat == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = hub_key_load(&sec, hub, ctx);
	if (rc == RELAIS_ENOTFOUND) {
		relais_clear(ctx);
		rc = 0;
		goto out;
	}
	if (rc != 0 || (rc = catalogue_load(cat, hub, ctx)) != 0) {
		goto out;
	}
	if ((rc = prepare(&st, hub, ctx, "SELECT coalesce(max(serial), 0) + 1 FROM catalogue")) !=
	            0 ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = rc ? rc : db_fail(hub, ctx, "catalogue");
		goto out;
	}
	cat->serial = (uint64_t)relais_hub_sql_column_int64(st, 0);
	relais_hub_sql_finalize(st);
	st = NULL;
	now = relais_now_iso(issued);
	relais_time_format(expires, now + (long long)catalogue_days(hub, ctx) * DAY_MS);
	cat->issued = issued;
	cat->expires = expires;
	relais_seckey_id(sec, cat->hub_key);
	rc = relais_catalogue_write(&json, &len, ctx, cat);
	cat->issued = cat->expires = NULL;
	if (rc != 0 ||
	    (rc = relais_catalogue_sign(&sig, &sig_len, ctx, sec, json, len, cat->serial)) != 0) {
		goto out;
	}
	relais_sha256_hex(etag, json, len);
	relais_sha256_hex(sig_etag, sig, sig_len);
	if ((rc = prepare(&st, hub, ctx,
	                  "INSERT INTO catalogue(serial, body, signature, etag, signature_etag, "
	                  "expires_ms) VALUES (?, ?, ?, ?, ?, ?)")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_int64(st, 1, (long long)cat->serial);
	relais_hub_sql_bind_blob(st, 2, json, (int)len, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_blob(st, 3, sig, (int)sig_len, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 4, etag, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 5, sig_etag, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int64(st, 6, relais_time_parse(expires));
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE ||
	    relais_hub_sql_exec(hub->db,
	                        "DELETE FROM catalogue WHERE serial < (SELECT max(serial) FROM "
	                        "catalogue)") != RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "catalogue");
		goto out;
	}
	if (serial) {
		*serial = cat->serial;
	}
out:
	relais_hub_sql_finalize(st);
	free(json);
	free(sig);
	relais_seckey_free(sec);
	relais_catalogue_free(cat);
	return rc;
}

int relais_hub_catalogue_change(uint64_t *serial, relais_hub *hub, relais_ctx *ctx,
                                relais_hub_change_fn change, void *data)
{
	int rc;

	*serial = 0;
	if ((rc = begin(hub, ctx)) != 0) {
		return rc;
	}
	if ((rc = change(hub, ctx, data)) == 0) {
		rc = catalogue_refresh(serial, hub, ctx);
	}
	return end(hub, ctx, rc);
}

/* ---- the catalogue key ---- */

int relais_hub_key_make(char **pub_text, relais_hub *hub, relais_ctx *ctx,
                        const char *secret_key_path, relais_password_fn ask, void *ask_data,
                        int replace)
{
	relais_seckey *sec = NULL, *old = NULL;
	relais_pubkey *pub = NULL;
	relais_hub_sql_stmt *st = NULL;
	char *text = NULL, id[RELAIS_KEYID_HEX], path[PATH_SIZE];
	const char *db = relais_hub_sql_filename(hub->db);
	int rc;

	*pub_text = NULL;
	rc = hub_key_load(&old, hub, ctx);
	if (rc == 0 && !replace) {
		relais_seckey_id(old, id);
		rc = relais_fail(ctx, RELAIS_EEXIST,
		                 "this hub already has catalogue key %s; with --replace, laptops "
		                 "that trust it refuse the catalogue until given the new key",
		                 id);
		goto out;
	}
	if (rc != 0 && rc != RELAIS_ENOTFOUND) {
		goto out;
	}
	rc = secret_key_path ? relais_seckey_load(&sec, ctx, secret_key_path, ask, ask_data)
	                     : relais_keypair_generate(&pub, &sec, ctx);
	if (rc != 0 || (pub == NULL && (rc = relais_seckey_public(&pub, ctx, sec)) != 0)) {
		goto out;
	}
	relais_pubkey_id(pub, id);
	if ((rc = prepare(&st, hub, ctx, "SELECT 1 FROM publisher WHERE key_id = ?")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) == RELAIS_HUB_SQL_ROW) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "key %s is a publisher key of this hub; a catalogue key must be "
		                 "another",
		                 id);
		goto out;
	}
	/* The key is kept unencrypted: only the hub's account may read the database. */
	if (db != NULL && db[0] != '\0') {
		if ((rc = relais_file_make_private(ctx, db)) != 0) {
			goto out;
		}
		(void)snprintf(path, sizeof(path), "%s-wal", db);
		if (relais_file_exists(path) && (rc = relais_file_make_private(ctx, path)) != 0) {
			goto out;
		}
		(void)snprintf(path, sizeof(path), "%s-shm", db);
		if (relais_file_exists(path) && (rc = relais_file_make_private(ctx, path)) != 0) {
			goto out;
		}
	}
	if ((rc = relais_seckey_text(&text, ctx, sec)) != 0 || (rc = begin(hub, ctx)) != 0) {
		goto out;
	}
	rc = setting_set(hub, ctx, SETTING_KEY, text);
	if (rc == 0) {
		rc = catalogue_refresh(NULL, hub, ctx);
	}
	if ((rc = end(hub, ctx, rc)) == 0) {
		rc = relais_pubkey_text(pub_text, ctx, pub);
	}
out:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	relais_hub_sql_finalize(st);
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	relais_seckey_free(old);
	return rc;
}

int relais_hub_key_public(char **out, relais_hub *hub, relais_ctx *ctx)
{
	relais_seckey *sec = NULL;
	relais_pubkey *pub = NULL;
	int rc;

	*out = NULL;
	if ((rc = hub_key_load(&sec, hub, ctx)) == 0 &&
	    (rc = relais_seckey_public(&pub, ctx, sec)) == 0) {
		rc = relais_pubkey_text(out, ctx, pub);
	}
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	return rc;
}

/* ---- publishers ---- */

#define NAME_MAX_BYTES 200
#define REASON_MAX_BYTES 1000
#define REVOCATION_TEXT (REASON_MAX_BYTES + 64)
#define KEY_CHANGES_MAX 1000 /* rotations, and revoked keys: what engine/catalogue.c reads */

static int name_check(relais_ctx *ctx, const char *name)
{
	if (name != NULL && (name[0] == '\0' || strlen(name) > NAME_MAX_BYTES ||
	                     !relais_utf8_valid(name, strlen(name)))) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "a publisher's name is 1 to %d bytes of UTF-8", NAME_MAX_BYTES);
	}
	return 0;
}

/*
 * Whether this hub revoked key id (*revoked); if so, why says when and why
 * ("on 2026-12-06 (stolen laptop)"). Returns 0, or the database's failure: a
 * revocation that cannot be read is not taken for none.
 */
static int revocation(int *revoked, char *why, size_t size, relais_hub *hub, relais_ctx *ctx,
                      const char *id)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	*revoked = 0;
	why[0] = '\0';
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT substr(date, 1, 10), reason FROM publisher_revoked WHERE "
	                  "key_id = ?")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		const char *day = (const char *)relais_hub_sql_column_text(st, 0);
		const char *reason = (const char *)relais_hub_sql_column_text(st, 1);
		*revoked = 1;
		if (reason != NULL && reason[0] != '\0') {
			(void)snprintf(why, size, "on %s (%s)", day, reason);
		} else {
			(void)snprintf(why, size, "on %s", day);
		}
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "revoked keys");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* Counts the rows of a table of key changes (publisher_rotation or publisher_revoked). */
static int key_changes_full(relais_hub *hub, relais_ctx *ctx, const char *sql, const char *what)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	if ((rc = prepare(&st, hub, ctx, sql)) != 0) {
		return rc;
	}
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = db_fail(hub, ctx, what);
	} else if (relais_hub_sql_column_int64(st, 0) >= KEY_CHANGES_MAX) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "a catalogue carries at most %d %s",
		                 KEY_CHANGES_MAX, what);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_publisher_add(char id[RELAIS_KEYID_HEX], relais_hub *hub, relais_ctx *ctx,
                             const char *pub_text, size_t len, const char *name)
{
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	relais_hub_sql_stmt *st = NULL;
	char *text = NULL, now[32], hub_id[RELAIS_KEYID_HEX], why[REVOCATION_TEXT];
	int rc, revoked;

	id[0] = '\0';
	if ((rc = relais_pubkey_parse(&pub, ctx, pub_text, len, "publisher key")) != 0) {
		return rc;
	}
	relais_pubkey_id(pub, id);
	if ((rc = name_check(ctx, name)) != 0) {
		goto out;
	}
	if ((rc = revocation(&revoked, why, sizeof(why), hub, ctx, id)) != 0) {
		goto out;
	}
	if (revoked) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "key %s was revoked %s: it may not publish again", id, why);
		goto out;
	}
	rc = hub_key_load(&sec, hub, ctx);
	if (rc == 0) {
		relais_seckey_id(sec, hub_id);
		if (strcmp(hub_id, id) == 0) {
			rc = relais_fail(ctx, RELAIS_EINVAL,
			                 "key %s is this hub's catalogue key, not a publisher's",
			                 id);
			goto out;
		}
	} else if (rc != RELAIS_ENOTFOUND) {
		goto out;
	}
	relais_clear(ctx);
	if ((rc = relais_pubkey_text(&text, ctx, pub)) != 0 || (rc = begin(hub, ctx)) != 0) {
		goto out;
	}
	relais_now_iso(now);
	if ((rc = prepare(&st, hub, ctx,
	                  "INSERT INTO publisher(key_id, public_key, name, added) VALUES "
	                  "(?, ?, ?, ?) ON CONFLICT(key_id) DO NOTHING")) == 0) {
		relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(st, 2, text, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(st, 3, name ? name : id, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(st, 4, now, -1, RELAIS_HUB_SQL_STATIC);
		if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "publishers");
		} else if (relais_hub_sql_changes(hub->db) == 0) {
			rc = relais_fail(ctx, RELAIS_EEXIST, "key %s is already a publisher", id);
		}
	}
	if (rc == 0) {
		rc = catalogue_refresh(NULL, hub, ctx);
	}
	rc = end(hub, ctx, rc);
out:
	relais_hub_sql_finalize(st);
	free(text);
	relais_seckey_free(sec);
	relais_pubkey_free(pub);
	return rc;
}

int relais_hub_publisher_list(char **out, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_strbuf b;
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.max = 16u << 20;
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT p.key_id, p.name, p.added, (SELECT count(*) FROM "
	                  "published_bundle b WHERE b.publisher = p.key_id AND b.state = "
	                  "'current') FROM publisher p ORDER BY p.key_id")) != 0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		relais_strbuf_printf(&b, "%s  %.200s  (%lld course%s listed, added %s)\n",
		                     (const char *)relais_hub_sql_column_text(st, 0),
		                     (const char *)relais_hub_sql_column_text(st, 1),
		                     (long long)relais_hub_sql_column_int64(st, 3),
		                     relais_hub_sql_column_int64(st, 3) == 1 ? "" : "s",
		                     (const char *)relais_hub_sql_column_text(st, 2));
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc == 0 && (rc = prepare(&st, hub, ctx,
	                             "SELECT old_key, new_key, json_extract(record, '$.date'), "
	                             "taken FROM publisher_rotation ORDER BY seq")) == 0) {
		while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
			relais_strbuf_printf(&b, "%s -> %s  key rotation signed %s, taken %s\n",
			                     (const char *)relais_hub_sql_column_text(st, 0),
			                     (const char *)relais_hub_sql_column_text(st, 1),
			                     (const char *)relais_hub_sql_column_text(st, 2),
			                     (const char *)relais_hub_sql_column_text(st, 3));
		}
		if (step != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "key rotations");
		}
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc == 0 &&
	    (rc = prepare(&st, hub, ctx,
	                  "SELECT v.key_id, coalesce(v.name, v.key_id), v.date, v.reason, "
	                  "(SELECT count(*) FROM published_bundle b WHERE b.publisher = "
	                  "v.key_id AND b.state = 'current') FROM publisher_revoked v ORDER BY "
	                  "v.date, v.key_id")) == 0) {
		while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
			const char *reason = (const char *)relais_hub_sql_column_text(st, 3);
			long long n = (long long)relais_hub_sql_column_int64(st, 4);
			relais_strbuf_printf(&b,
			                     "%s  %.200s  REVOKED on %s%s%.1000s  (%lld course%s "
			                     "still listed)\n",
			                     (const char *)relais_hub_sql_column_text(st, 0),
			                     (const char *)relais_hub_sql_column_text(st, 1),
			                     (const char *)relais_hub_sql_column_text(st, 2),
			                     reason && reason[0] ? ": " : "", reason ? reason : "",
			                     n, n == 1 ? "" : "s");
		}
		if (step != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "revoked keys");
		}
	}
	relais_hub_sql_finalize(st);
	if (rc == 0) {
		rc = (*out = relais_strbuf_detach(&b)) != NULL
		             ? 0
		             : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	relais_strbuf_free(&b);
	return rc;
}

int relais_hub_publisher_remove(relais_hub *hub, relais_ctx *ctx, const char *key_id)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	if ((rc = begin(hub, ctx)) != 0) {
		return rc;
	}
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT group_concat(course, ', ') FROM published_bundle WHERE "
	                  "publisher = ? AND state = 'current'")) != 0) {
		return end(hub, ctx, rc);
	}
	relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) == RELAIS_HUB_SQL_ROW &&
	    relais_hub_sql_column_type(st, 0) != RELAIS_HUB_SQL_NULL) {
		rc = relais_fail(
		        ctx, RELAIS_EINVAL,
		        "publisher %s has courses in the catalogue (%.200s): unpublish them "
		        "first",
		        key_id, (const char *)relais_hub_sql_column_text(st, 0));
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc == 0 &&
	    (rc = prepare(&st, hub, ctx, "DELETE FROM publisher WHERE key_id = ?")) == 0) {
		relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
		if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "publishers");
		} else if (relais_hub_sql_changes(hub->db) == 0) {
			rc = relais_fail(ctx, RELAIS_ENOTFOUND, "%s is not a publisher of this hub",
			                 key_id);
		}
	}
	relais_hub_sql_finalize(st);
	if (rc == 0) {
		rc = catalogue_refresh(NULL, hub, ctx);
	}
	return end(hub, ctx, rc);
}

int relais_hub_publisher_rotate(char old_id[RELAIS_KEYID_HEX], char new_id[RELAIS_KEYID_HEX],
                                relais_hub *hub, relais_ctx *ctx, const char *json, size_t len,
                                const char *source, const char *name)
{
	struct relais_rotation r = {0};
	relais_pubkey *old = NULL, *next = NULL;
	relais_seckey *sec = NULL;
	relais_hub_sql_stmt *st = NULL;
	char *record = NULL, *text = NULL, *old_name = NULL, now[32], hub_id[RELAIS_KEYID_HEX];
	char why[REVOCATION_TEXT];
	size_t record_len = 0;
	int rc, step, in_tx = 0, revoked = 0;

	old_id[0] = new_id[0] = '\0';
	if ((rc = name_check(ctx, name)) != 0 ||
	    (rc = relais_rotation_parse(&r, ctx, json, len, source)) != 0) {
		goto out;
	}
	if (strcmp(r.old_id, r.new_id) == 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: the record's new key is its old key",
		                 source);
		goto out;
	}
	if ((rc = begin(hub, ctx)) != 0) {
		goto out;
	}
	in_tx = 1;
	/* The old key: a publisher of this hub, and the record's signer. */
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT public_key, name FROM publisher WHERE key_id = ?")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, r.old_id, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		rc = relais_pubkey_parse(&old, ctx, (const char *)relais_hub_sql_column_text(st, 0),
		                         (size_t)relais_hub_sql_column_bytes(st, 0),
		                         "publisher key");
		if (rc == 0 && (old_name = column_dup(st, 1)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
	} else if ((rc = revocation(&revoked, why, sizeof(why), hub, ctx, r.old_id)) != 0) {
		/* rc set */
	} else if (revoked) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND,
		                 "%s: key %s, which the record retires, was revoked %s", source,
		                 r.old_id, why);
	} else {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND,
		                 "%s: key %s, which the record retires, is not a publisher of this "
		                 "hub",
		                 source, r.old_id);
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc != 0) {
		goto out;
	}
	if ((rc = relais_rotation_verify(&next, ctx, old, &r)) != 0) {
		relais_prefix(ctx, "%s", source);
		goto out;
	}
	/* The new key: not the catalogue key, not revoked. */
	rc = hub_key_load(&sec, hub, ctx);
	if (rc == 0) {
		relais_seckey_id(sec, hub_id);
		if (strcmp(hub_id, r.new_id) == 0) {
			rc = relais_fail(
			        ctx, RELAIS_EINVAL,
			        "%s: key %s is this hub's catalogue key, not a publisher's", source,
			        r.new_id);
			goto out;
		}
	} else if (rc != RELAIS_ENOTFOUND) {
		goto out;
	}
	relais_clear(ctx);
	rc = 0;
	if ((rc = revocation(&revoked, why, sizeof(why), hub, ctx, r.new_id)) != 0) {
		goto out;
	}
	if (revoked) {
		rc = relais_fail(ctx, RELAIS_EINVAL, "%s: key %s was revoked %s", source, r.new_id,
		                 why);
		goto out;
	}
	if ((rc = key_changes_full(hub, ctx, "SELECT count(*) FROM publisher_rotation",
	                           "key rotations")) != 0 ||
	    (rc = relais_rotation_write(&record, &record_len, ctx, &r)) != 0 ||
	    (rc = relais_pubkey_text(&text, ctx, next)) != 0) {
		goto out;
	}
	relais_now_iso(now);
	if ((rc = prepare(&st, hub, ctx,
	                  "INSERT INTO publisher_rotation(old_key, new_key, record, taken) VALUES "
	                  "(?, ?, ?, ?) ON CONFLICT(old_key, new_key) DO NOTHING")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, r.old_id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, r.new_id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 3, record, (int)record_len, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 4, now, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "key rotations");
	} else if (relais_hub_sql_changes(hub->db) == 0) {
		rc = relais_fail(ctx, RELAIS_EEXIST,
		                 "%s: the rotation from key %s to %s is already recorded", source,
		                 r.old_id, r.new_id);
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc != 0) {
		goto out;
	}
	/* A new key that already is a publisher keeps its name. */
	if ((rc = prepare(&st, hub, ctx,
	                  "INSERT INTO publisher(key_id, public_key, name, added) VALUES "
	                  "(?, ?, ?, ?) ON CONFLICT(key_id) DO NOTHING")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, r.new_id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, text, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 3, name ? name : old_name, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 4, now, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc == 0) {
		rc = catalogue_refresh(NULL, hub, ctx);
	}
	if (rc == 0) {
		memcpy(old_id, r.old_id, RELAIS_KEYID_HEX);
		memcpy(new_id, r.new_id, RELAIS_KEYID_HEX);
	}
out:
	relais_hub_sql_finalize(st);
	if (in_tx) {
		rc = end(hub, ctx, rc);
	}
	free(record);
	free(text);
	free(old_name);
	relais_seckey_free(sec);
	relais_pubkey_free(next);
	relais_pubkey_free(old);
	relais_rotation_clear(&r);
	return rc;
}

/* Whether s is a key id: 16 upper-case hex digits. */
static int key_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < RELAIS_KEYID_HEX - 1; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))) {
			return 0;
		}
	}
	return s[i] == '\0';
}

int relais_hub_publisher_revoke(size_t *listed, relais_hub *hub, relais_ctx *ctx,
                                const char *key_id, const char *reason)
{
	relais_hub_sql_stmt *st = NULL;
	char why[REVOCATION_TEXT], now[32];
	char *name = NULL;
	size_t i, n;
	int rc, step, known = 0, revoked = 0;

	*listed = 0;
	if (!key_id_valid(key_id)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "%.40s is not a key id (16 upper-case hex digits)", key_id);
	}
	if (reason == NULL) {
		reason = "";
	}
	n = strlen(reason);
	if (n > REASON_MAX_BYTES || !relais_utf8_valid(reason, n)) {
		return relais_fail(ctx, RELAIS_EINVAL, "a reason is at most %d bytes of UTF-8",
		                   REASON_MAX_BYTES);
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "a reason is one line of printable text");
		}
	}
	if ((rc = begin(hub, ctx)) != 0) {
		return rc;
	}
	if ((rc = revocation(&revoked, why, sizeof(why), hub, ctx, key_id)) != 0) {
		goto out;
	}
	if (revoked) {
		rc = relais_fail(ctx, RELAIS_EEXIST, "key %s was already revoked %s", key_id, why);
		goto out;
	}
	/* Known to this hub: a publisher, the signer of a course it published, or in a rotation. */
	if ((rc = prepare(&st, hub, ctx, "SELECT name FROM publisher WHERE key_id = ?1")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
	if ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		known = 1;
		if ((name = column_dup(st, 0)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
		goto out;
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT EXISTS (SELECT 1 FROM published_bundle WHERE publisher = ?1) OR "
	                  "EXISTS (SELECT 1 FROM publisher_rotation WHERE old_key = ?1 OR "
	                  "new_key = ?1), (SELECT count(*) FROM published_bundle WHERE publisher "
	                  "= ?1 AND state = 'current')")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = db_fail(hub, ctx, "published bundles");
		goto out;
	}
	known |= relais_hub_sql_column_int(st, 0);
	*listed = (size_t)relais_hub_sql_column_int64(st, 1);
	relais_hub_sql_finalize(st);
	st = NULL;
	if (!known) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND,
		                 "key %s is not known to this hub (no publisher, course or key "
		                 "rotation names it)",
		                 key_id);
		goto out;
	}
	if ((rc = key_changes_full(hub, ctx, "SELECT count(*) FROM publisher_revoked",
	                           "revoked keys")) != 0) {
		goto out;
	}
	relais_now_iso(now);
	if ((rc = prepare(&st, hub, ctx,
	                  "INSERT INTO publisher_revoked(key_id, name, date, reason) VALUES "
	                  "(?, ?, ?, ?)")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
	if (name != NULL) {
		relais_hub_sql_bind_text(st, 2, name, -1, RELAIS_HUB_SQL_STATIC);
	}
	relais_hub_sql_bind_text(st, 3, now, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 4, reason, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "revoked keys");
		goto out;
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	/* No longer a publisher: its courses stay listed, under its key id. */
	if ((rc = prepare(&st, hub, ctx, "DELETE FROM publisher WHERE key_id = ?")) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
		goto out;
	}
	rc = catalogue_refresh(NULL, hub, ctx);
out:
	relais_hub_sql_finalize(st);
	free(name);
	if (rc != 0) {
		*listed = 0;
	}
	return end(hub, ctx, rc);
}

/* A publisher's key; RELAIS_ESIGNATURE (with a message naming what) when unknown. */
static int publisher_key(relais_pubkey **out, relais_hub *hub, relais_ctx *ctx, const char *id,
                         const char *what)
{
	relais_hub_sql_stmt *st = NULL;
	char why[REVOCATION_TEXT];
	int rc, step, revoked = 0;

	*out = NULL;
	if ((rc = prepare(&st, hub, ctx, "SELECT public_key FROM publisher WHERE key_id = ?")) !=
	    0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		rc = relais_pubkey_parse(out, ctx, (const char *)relais_hub_sql_column_text(st, 0),
		                         (size_t)relais_hub_sql_column_bytes(st, 0),
		                         "publisher key");
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "publishers");
	} else if ((rc = revocation(&revoked, why, sizeof(why), hub, ctx, id)) != 0) {
		/* rc set */
	} else if (revoked) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "%s: signed by key %s, which this hub revoked %s", what, id, why);
	} else {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "%s: signed by key %s, which is not a publisher of this hub "
		                 "(relais-hub publisher add)",
		                 what, id);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* ---- publishing ---- */

/* A bundle given to publish, once staged under incoming/. */
struct staged {
	const char *given;
	char path[PATH_SIZE]; /* the staged copy */
	int staged;
	char sha256[RELAIS_SHA256_HEX];
	uint64_t size;
	char publisher[RELAIS_KEYID_HEX];
	char *id, *title, *language;
	uint64_t version;
	struct relais_session *sessions; /* the manifest's */
	size_t n_sessions;
};

int relais_hub_file_copy(char sha[RELAIS_SHA256_HEX], uint64_t *size, relais_ctx *ctx,
                         const char *src, const char *dst, const char *want)
{
	relais_atomic_file *af = NULL;
	relais_sha256 h;
	unsigned char *buf = malloc(COPY_BLOCK);
	FILE *in = NULL;
	uint64_t total = 0;
	size_t got;
	int rc;

	if (buf == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if ((in = fopen(src, "rb")) == NULL) {
		rc = errno == ENOENT ? relais_fail(ctx, RELAIS_ENOTFOUND, "%s: no such file", src)
		                     : relais_fail(ctx, RELAIS_EIO, "%s: cannot read (%s)", src,
		                                   strerror(errno));
		goto out;
	}
	if ((rc = relais_atomic_open(&af, ctx, dst, 0644)) != 0) {
		goto out;
	}
	relais_sha256_init(&h);
	while ((got = fread(buf, 1, COPY_BLOCK, in)) > 0) {
		relais_sha256_update(&h, buf, got);
		total += got;
		if ((rc = relais_atomic_write(af, buf, got)) != 0) {
			goto out;
		}
	}
	if (ferror(in)) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: cannot read", src);
		goto out;
	}
	relais_sha256_final_hex(&h, sha);
	if (want != NULL && strcmp(sha, want) != 0) {
		rc = relais_fail(ctx, RELAIS_EHASH, "%s: does not hash to %s", src, want);
		goto out;
	}
	rc = relais_atomic_commit(af);
	af = NULL;
	if (rc == 0 && size) {
		*size = total;
	}
out:
	relais_atomic_abort(af);
	if (in) {
		fclose(in);
	}
	free(buf);
	return rc;
}

/* Stages, verifies and reads one bundle; refuses it with a message naming it. */
static int stage(struct staged *s, relais_hub *hub, relais_ctx *ctx, size_t index)
{
	relais_bundle *b = NULL;
	relais_pubkey *key = NULL;
	const relais_manifest *m;
	char name[64];
	int rc;

	/* A random part too: nodes on other machines share the folder and their pids. */
	(void)snprintf(name, sizeof(name), "incoming/%ld-%08" PRIx32 "-%zu.relais", (long)getpid(),
	               randombytes_random(), index);
	if ((rc = files_path(s->path, sizeof(s->path), hub, ctx, name)) != 0 ||
	    (rc = relais_hub_file_copy(s->sha256, &s->size, ctx, s->given, s->path, NULL)) != 0) {
		return rc;
	}
	s->staged = 1;
	/* Opened once unchecked to learn the signer, then with its key. */
	if ((rc = relais_bundle_open(&b, ctx, s->path, NULL)) != 0) {
		goto out;
	}
	(void)snprintf(s->publisher, sizeof(s->publisher), "%s", relais_bundle_signer(b));
	relais_bundle_free(b);
	b = NULL;
	if ((rc = publisher_key(&key, hub, ctx, s->publisher, s->given)) != 0 ||
	    (rc = relais_bundle_open(&b, ctx, s->path, key)) != 0 ||
	    (rc = relais_bundle_verify_all(ctx, b, VERIFY_THREADS)) != 0) {
		goto out;
	}
	m = relais_bundle_manifest(b);
	s->version = m->version;
	if ((s->id = strdup(m->id)) == NULL || (s->title = strdup(m->title)) == NULL ||
	    (s->language = strdup(m->language)) == NULL ||
	    (m->n_sessions > 0 &&
	     (s->sessions = calloc(m->n_sessions, sizeof(*s->sessions))) == NULL)) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	for (; s->n_sessions < m->n_sessions && rc == 0; s->n_sessions++) {
		rc = relais_session_copy(&s->sessions[s->n_sessions], ctx,
		                         &m->sessions[s->n_sessions]);
	}
out:
	if (rc != 0 && rc != RELAIS_ENOMEM) {
		/* Messages name the staged copy: name the file given instead. */
		char msg[512];
		(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
		if (strncmp(msg, s->path, strlen(s->path)) == 0) {
			rc = relais_fail(ctx, rc, "%s%s", s->given, msg + strlen(s->path));
		} else if (strncmp(msg, s->given, strlen(s->given)) != 0) {
			rc = relais_prefix(ctx, "%s", s->given);
		}
	}
	relais_bundle_free(b);
	relais_pubkey_free(key);
	return rc;
}

/*
 * Sets *yes when key `to` succeeds key `from` through the chain of key
 * rotation records this hub took (from -> ... -> to), no key of the chain
 * revoked: the keys that may publish what `from` published.
 */
static int succeeds(int *yes, relais_hub *hub, relais_ctx *ctx, const char *from, const char *to)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	*yes = 0;
	/* UNION (not UNION ALL) keeps each key once, so a cycle of records ends. */
	if ((rc = prepare(
	             &st, hub, ctx,
	             "WITH RECURSIVE chain(k) AS (SELECT ?1 COLLATE BINARY WHERE ?1 NOT IN (SELECT "
	             "key_id FROM publisher_revoked) UNION SELECT r.new_key FROM "
	             "publisher_rotation r JOIN chain c ON r.old_key = c.k WHERE r.new_key "
	             "NOT IN (SELECT key_id FROM publisher_revoked)) SELECT 1 FROM chain "
	             "WHERE k = ?2")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, from, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, to, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		*yes = 1;
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "key rotations");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/*
 * Refuses s when its id is bound to a key it was not signed by (the key of
 * the id's latest version, or one that key's rotations lead to) or its
 * version is not newer.
 */
static int publishable(relais_hub *hub, relais_ctx *ctx, const struct staged *s)
{
	relais_hub_sql_stmt *st = NULL;
	char when[REVOCATION_TEXT];
	int rc, revoked = 0;

	/* Checked when staged; again here, for a revocation made since. */
	if ((rc = revocation(&revoked, when, sizeof(when), hub, ctx, s->publisher)) != 0) {
		return rc;
	}
	if (revoked) {
		return relais_fail(ctx, RELAIS_ESIGNATURE,
		                   "%s: signed by key %s, which this hub revoked %s", s->given,
		                   s->publisher, when);
	}
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT publisher, version FROM published_bundle WHERE course = ? "
	                  "ORDER BY version DESC LIMIT 1")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, s->id, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) == RELAIS_HUB_SQL_ROW) {
		const char *by = (const char *)relais_hub_sql_column_text(st, 0);
		uint64_t have = (uint64_t)relais_hub_sql_column_int64(st, 1);
		char why[REVOCATION_TEXT];
		int other = strcmp(by, s->publisher) != 0, next = 0;
		if (other && (rc = succeeds(&next, hub, ctx, by, s->publisher)) == 0 && !next &&
		    (rc = revocation(&revoked, why, sizeof(why), hub, ctx, by)) == 0) {
			if (revoked) {
				rc = relais_fail(
				        ctx, RELAIS_ESIGNATURE,
				        "%s: course %s is published under key %s, which this hub "
				        "revoked %s: no other key may take it over",
				        s->given, s->id, by, why);
			} else {
				rc = relais_fail(
				        ctx, RELAIS_ESIGNATURE,
				        "%s: course %s is published under key %s, not %s, and no "
				        "key rotation leads from one to the other",
				        s->given, s->id, by, s->publisher);
			}
		} else if (rc == 0 && s->version <= have) {
			rc = relais_fail(ctx, RELAIS_EEXIST,
			                 "%s: version %" PRIu64
			                 " of %s is not newer than the published "
			                 "version %" PRIu64,
			                 s->given, s->version, s->id, have);
		}
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int check_audience(relais_ctx *ctx, const struct relais_hub_audience *aud)
{
	size_t i;

	if (aud->n_orgs > ORGS_MAX) {
		return relais_fail(ctx, RELAIS_ELIMIT, "at most %d organisations", ORGS_MAX);
	}
	for (i = 0; i < aud->n_orgs; i++) {
		size_t n = strlen(aud->orgs[i]);
		if (n == 0 || n > ORG_MAX || !relais_utf8_valid(aud->orgs[i], n)) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "an organisation is 1 to %d bytes of UTF-8", ORG_MAX);
		}
	}
	if (aud->due != NULL && (strlen(aud->due) != 10 || aud->due[4] != '-' ||
	                         aud->due[7] != '-' || relais_time_parse(aud->due) < 0)) {
		return relais_fail(ctx, RELAIS_EINVAL, "due date %s is not YYYY-MM-DD", aud->due);
	}
	if (aud->due != NULL && !aud->required) {
		return relais_fail(ctx, RELAIS_EINVAL, "a due date goes with required");
	}
	return 0;
}

/* Builds deltas to s from its course's previous versions; a failure is logged and skipped. */
struct built_delta {
	char from[RELAIS_SHA256_HEX], sha256[RELAIS_SHA256_HEX];
	uint64_t from_version, size;
};

static int build_deltas(struct built_delta *out, size_t *n_out, relais_hub *hub, relais_ctx *ctx,
                        const struct staged *s, const char *new_path)
{
	relais_hub_sql_stmt *st = NULL;
	char base[PATH_SIZE], name[PATH_SIZE], dpath[PATH_SIZE];
	int rc, step;

	*n_out = 0;
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT sha256, version FROM published_bundle WHERE course = ? "
	                  "ORDER BY version DESC LIMIT " RELAIS_HUB_DELTA_BASES_TEXT)) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, s->id, -1, RELAIS_HUB_SQL_STATIC);
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW &&
	       *n_out < RELAIS_HUB_DELTA_BASES) {
		struct built_delta *d = &out[*n_out];
		struct relais_delta_info info;
		(void)snprintf(d->from, sizeof(d->from), "%s",
		               (const char *)relais_hub_sql_column_text(st, 0));
		d->from_version = (uint64_t)relais_hub_sql_column_int64(st, 1);
		(void)snprintf(name, sizeof(name), "bundles/%s.relais", d->from);
		if (files_path(base, sizeof(base), hub, ctx, name) != 0 ||
		    !relais_file_exists(base)) {
			relais_log(ctx, RELAIS_LOG_WARN,
			           "%s: no delta from version %" PRIu64 ": its bundle was pruned",
			           s->id, d->from_version);
			continue;
		}
		(void)snprintf(name, sizeof(name), "deltas/%s-%s.delta", d->from, s->sha256);
		if (files_path(dpath, sizeof(dpath), hub, ctx, name) != 0) {
			continue;
		}
		if (relais_delta_build(&info, ctx, base, new_path, dpath) != 0 ||
		    relais_sha256_file(d->sha256, &d->size, ctx, dpath) != 0) {
			relais_log(ctx, RELAIS_LOG_WARN,
			           "%s: no delta from version %" PRIu64 " to %" PRIu64 ": %s",
			           s->id, d->from_version, s->version, relais_errmsg(ctx));
			relais_clear(ctx);
			continue;
		}
		(*n_out)++;
	}
	relais_hub_sql_finalize(st);
	return 0;
}

static int record(relais_hub *hub, relais_ctx *ctx, const struct staged *s,
                  const struct relais_hub_audience *aud, const char *audience_json,
                  const struct built_delta *deltas, size_t n_deltas)
{
	relais_hub_sql_stmt *st = NULL;
	char now[32];
	size_t i;
	int rc;

	relais_now_iso(now);
	if ((rc = prepare(&st, hub, ctx,
	                  "UPDATE published_bundle SET state = 'previous' WHERE course = ? AND "
	                  "state = 'current'")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, s->id, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "published bundles");
	}
	relais_hub_sql_finalize(st);
	if (rc != 0 ||
	    (rc = prepare(&st, hub, ctx,
	                  "INSERT INTO published_bundle(sha256, course, version, title, language, "
	                  "size, publisher, audience, required, due, published, state) VALUES "
	                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current')")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, s->sha256, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, s->id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int64(st, 3, (long long)s->version);
	relais_hub_sql_bind_text(st, 4, s->title, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 5, s->language, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int64(st, 6, (long long)s->size);
	relais_hub_sql_bind_text(st, 7, s->publisher, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 8, audience_json, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int(st, 9, aud->required ? 1 : 0);
	if (aud->due) {
		relais_hub_sql_bind_text(st, 10, aud->due, -1, RELAIS_HUB_SQL_STATIC);
	}
	relais_hub_sql_bind_text(st, 11, now, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = relais_fail(ctx, RELAIS_EEXIST, "%s: this bundle (%s) is already published",
		                 s->given, s->sha256);
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (rc == 0) {
		rc = relais_hub_sessions_publish(hub, ctx, s->id, s->sessions, s->n_sessions);
	}
	if (rc != 0 ||
	    (rc = prepare(&st, hub, ctx,
	                  "INSERT INTO published_delta(from_sha256, to_sha256, from_version, "
	                  "size, sha256) VALUES (?, ?, ?, ?, ?) ON CONFLICT(from_sha256, "
	                  "to_sha256) DO UPDATE SET from_version = excluded.from_version, "
	                  "size = excluded.size, sha256 = excluded.sha256")) != 0) {
		return rc;
	}
	for (i = 0; i < n_deltas && rc == 0; i++) {
		relais_hub_sql_reset(st);
		relais_hub_sql_bind_text(st, 1, deltas[i].from, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(st, 2, s->sha256, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_int64(st, 3, (long long)deltas[i].from_version);
		relais_hub_sql_bind_int64(st, 4, (long long)deltas[i].size);
		relais_hub_sql_bind_text(st, 5, deltas[i].sha256, -1, RELAIS_HUB_SQL_STATIC);
		if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "published deltas");
		}
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_publish(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *const *paths,
                       size_t n, const struct relais_hub_audience *aud)
{
	struct staged *s = NULL;
	struct built_delta(*deltas)[RELAIS_HUB_DELTA_BASES] = NULL;
	size_t *n_deltas = NULL;
	relais_seckey *sec = NULL;
	cJSON *orgs = NULL;
	char *audience_json = NULL, final[PATH_SIZE], name[128];
	size_t i, j;
	int rc;

	*serial = 0;
	if (n == 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "no bundle to publish");
	}
	if ((rc = check_audience(ctx, aud)) != 0 || (rc = hub_key_load(&sec, hub, ctx)) != 0 ||
	    (rc = files_dirs(hub, ctx)) != 0) {
		goto out;
	}
	orgs = cJSON_CreateStringArray(aud->orgs, (int)aud->n_orgs);
	if (orgs == NULL || (audience_json = cJSON_PrintUnformatted(orgs)) == NULL ||
	    (s = calloc(n, sizeof(*s))) == NULL || (deltas = calloc(n, sizeof(*deltas))) == NULL ||
	    (n_deltas = calloc(n, sizeof(*n_deltas))) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	/* Every bundle checked before anything is kept. */
	for (i = 0; i < n; i++) {
		s[i].given = paths[i];
		if ((rc = stage(&s[i], hub, ctx, i)) != 0 ||
		    (rc = publishable(hub, ctx, &s[i])) != 0) {
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(s[j].id, s[i].id) == 0) {
				rc = relais_fail(ctx, RELAIS_EINVAL, "%s and %s are both course %s",
				                 s[j].given, s[i].given, s[i].id);
				goto out;
			}
		}
	}
	for (i = 0; i < n; i++) {
		(void)snprintf(name, sizeof(name), "bundles/%s.relais", s[i].sha256);
		if ((rc = files_path(final, sizeof(final), hub, ctx, name)) != 0) {
			goto out;
		}
		if ((rc = relais_file_rename(ctx, s[i].path, final)) != 0) {
			goto out;
		}
		s[i].staged = 0;
		if ((rc = build_deltas(deltas[i], &n_deltas[i], hub, ctx, &s[i], final)) != 0) {
			goto out;
		}
	}
	if ((rc = begin(hub, ctx)) != 0) {
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		/* Again inside the transaction: another publish may have come between. */
		if ((rc = publishable(hub, ctx, &s[i])) == 0) {
			rc = record(hub, ctx, &s[i], aud, audience_json, deltas[i], n_deltas[i]);
		}
	}
	if (rc == 0) {
		rc = catalogue_refresh(serial, hub, ctx);
	}
	rc = end(hub, ctx, rc);
out:
	for (i = 0; s != NULL && i < n; i++) {
		if (s[i].staged) {
			(void)remove(s[i].path);
		}
		free(s[i].id);
		free(s[i].title);
		free(s[i].language);
		for (j = 0; j < s[i].n_sessions; j++) {
			relais_session_clear(&s[i].sessions[j]);
		}
		free(s[i].sessions);
	}
	free(s);
	free(deltas);
	free(n_deltas);
	free(audience_json);
	cJSON_Delete(orgs);
	relais_seckey_free(sec);
	return rc;
}

int relais_hub_unpublish(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *id)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	*serial = 0;
	if ((rc = begin(hub, ctx)) != 0) {
		return rc;
	}
	if ((rc = prepare(&st, hub, ctx,
	                  "UPDATE published_bundle SET state = 'withdrawn' WHERE course = ? AND "
	                  "state = 'current'")) == 0) {
		relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
		if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "published bundles");
		} else if (relais_hub_sql_changes(hub->db) == 0) {
			rc = relais_fail(ctx, RELAIS_ENOTFOUND, "course %s is not in the catalogue",
			                 id);
		}
	}
	relais_hub_sql_finalize(st);
	if (rc == 0) {
		rc = catalogue_refresh(serial, hub, ctx);
	}
	return end(hub, ctx, rc);
}

int relais_hub_catalogue_days_set(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, unsigned days)
{
	char v[16];
	int rc;

	*serial = 0;
	if (days < 2 || days > 3650) {
		return relais_fail(ctx, RELAIS_EINVAL, "a catalogue lives 2 to 3650 days");
	}
	(void)snprintf(v, sizeof(v), "%u", days);
	if ((rc = begin(hub, ctx)) != 0) {
		return rc;
	}
	if ((rc = setting_set(hub, ctx, SETTING_DAYS, v)) == 0) {
		rc = catalogue_refresh(serial, hub, ctx);
	}
	return end(hub, ctx, rc);
}

/* Whether a file named in a row should stay: listed, or a delta base of a listed course. */
int relais_hub_prune(size_t *removed, relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	char name[PATH_SIZE], path[PATH_SIZE];
	int rc, step;

	*removed = 0;
	/* Bundles: withdrawn ones and those older than the bases kept for deltas. */
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT b.sha256 FROM published_bundle b WHERE b.state = 'withdrawn' "
	                  "OR (b.state = 'previous' AND (SELECT count(*) FROM published_bundle "
	                  "n WHERE n.course = b.course AND n.version > b.version) "
	                  "> " RELAIS_HUB_DELTA_BASES_TEXT ")")) != 0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		(void)snprintf(name, sizeof(name), "bundles/%s.relais",
		               (const char *)relais_hub_sql_column_text(st, 0));
		if (files_path(path, sizeof(path), hub, ctx, name) == 0 && remove(path) == 0) {
			(*removed)++;
		}
	}
	relais_hub_sql_finalize(st);
	if (step != RELAIS_HUB_SQL_DONE) {
		return db_fail(hub, ctx, "published bundles");
	}
	/* Deltas to a bundle no longer listed. */
	if ((rc = begin(hub, ctx)) != 0 ||
	    (rc = prepare(&st, hub, ctx,
	                  "SELECT from_sha256, to_sha256 FROM published_delta WHERE to_sha256 NOT "
	                  "IN (SELECT sha256 FROM published_bundle WHERE state = 'current')")) !=
	            0) {
		return rc ? end(hub, ctx, rc) : rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		(void)snprintf(name, sizeof(name), "deltas/%s-%s.delta",
		               (const char *)relais_hub_sql_column_text(st, 0),
		               (const char *)relais_hub_sql_column_text(st, 1));
		if (files_path(path, sizeof(path), hub, ctx, name) == 0 && remove(path) == 0) {
			(*removed)++;
		}
	}
	relais_hub_sql_finalize(st);
	if (step != RELAIS_HUB_SQL_DONE ||
	    relais_hub_sql_exec(
	            hub->db,
	            "DELETE FROM published_delta WHERE to_sha256 NOT IN (SELECT sha256 FROM "
	            "published_bundle WHERE state = 'current')") != RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "published deltas");
	}
	return end(hub, ctx, rc);
}

/* ---- serving ---- */

void relais_hub_catalogue_file_clear(struct relais_hub_catalogue_file *f)
{
	free(f->body);
	memset(f, 0, sizeof(*f));
}

/* Reads the served catalogue; *near set when it expires within a day. */
static int catalogue_read(struct relais_hub_catalogue_file *out, int *near, relais_hub *hub,
                          relais_ctx *ctx, int want_signature)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = prepare(&st, hub, ctx,
	                  want_signature ? "SELECT serial, signature, signature_etag, expires_ms "
	                                   "FROM catalogue ORDER BY serial DESC LIMIT 1"
	                                 : "SELECT serial, body, etag, expires_ms FROM catalogue "
	                                   "ORDER BY serial DESC LIMIT 1")) != 0) {
		return rc;
	}
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		char now[32];
		size_t len = (size_t)relais_hub_sql_column_bytes(st, 1);
		out->serial = (uint64_t)relais_hub_sql_column_int64(st, 0);
		out->len = len;
		if ((out->body = malloc(len + 1)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		} else {
			if (len > 0) {
				memcpy(out->body, relais_hub_sql_column_blob(st, 1), len);
			}
			out->body[len] = '\0';
			(void)snprintf(out->etag, sizeof(out->etag), "%s",
			               (const char *)relais_hub_sql_column_text(st, 2));
			*near = relais_hub_sql_column_int64(st, 3) - relais_now_iso(now) < DAY_MS;
		}
	} else if (step == RELAIS_HUB_SQL_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND,
		                 "this hub has no catalogue yet: run relais-hub keygen");
	} else {
		rc = db_fail(hub, ctx, "catalogue");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_catalogue_get(struct relais_hub_catalogue_file *out, relais_hub *hub,
                             relais_ctx *ctx, int want_signature)
{
	int near = 0, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = catalogue_read(out, &near, hub, ctx, want_signature)) != 0 || !near) {
		return rc;
	}
	/* Within a day of expiry: re-signed once, whoever asks first. */
	relais_hub_catalogue_file_clear(out);
	if ((rc = begin(hub, ctx)) != 0) {
		return rc;
	}
	if ((rc = catalogue_read(out, &near, hub, ctx, want_signature)) == 0 && near) {
		relais_hub_catalogue_file_clear(out);
		if ((rc = catalogue_refresh(NULL, hub, ctx)) == 0) {
			rc = catalogue_read(out, &near, hub, ctx, want_signature);
		}
	}
	if ((rc = end(hub, ctx, rc)) != 0) {
		relais_hub_catalogue_file_clear(out);
	}
	return rc;
}

/* Whether s is exactly 64 lower-case hex digits followed by end (NUL or the given char). */
static int hex_at(const char *s, char end_char)
{
	char buf[RELAIS_SHA256_HEX];

	if (strlen(s) < 64 || s[64] != end_char) {
		return 0;
	}
	memcpy(buf, s, 64);
	buf[64] = '\0';
	return relais_sha256_hex_valid(buf);
}

int relais_hub_published_file(char *path, size_t path_size, char etag[65], relais_hub *hub,
                              relais_ctx *ctx, int delta, const char *name)
{
	relais_hub_sql_stmt *st = NULL;
	char sub[PATH_SIZE];
	int rc, step;

	etag[0] = '\0';
	if (!delta) {
		if (!hex_at(name, '\0')) {
			return relais_fail(ctx, RELAIS_ENOTFOUND, "no such bundle");
		}
		(void)snprintf(sub, sizeof(sub), "bundles/%s.relais", name);
		if ((rc = files_path(path, path_size, hub, ctx, sub)) != 0) {
			return rc;
		}
		if (!relais_file_exists(path)) {
			return relais_fail(ctx, RELAIS_ENOTFOUND, "no such bundle");
		}
		memcpy(etag, name, 65);
		return 0;
	}
	if (!hex_at(name, '-') || !hex_at(name + 65, '\0')) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "no such delta");
	}
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT sha256 FROM published_delta WHERE from_sha256 = ? AND "
	                  "to_sha256 = ?")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, name, 64, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, name + 65, 64, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		(void)snprintf(etag, 65, "%s", (const char *)relais_hub_sql_column_text(st, 0));
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "published deltas"); /* not "no such delta" */
	}
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		return rc;
	}
	(void)snprintf(sub, sizeof(sub), "deltas/%s.delta", name);
	if (etag[0] == '\0' || (rc = files_path(path, path_size, hub, ctx, sub)) != 0 ||
	    !relais_file_exists(path)) {
		etag[0] = '\0';
		return rc ? rc : relais_fail(ctx, RELAIS_ENOTFOUND, "no such delta");
	}
	return 0;
}

/* ---- export ---- */

/* Writes data to path unless the file there already holds exactly it. */
static int put_bytes(size_t *written, size_t *kept, relais_ctx *ctx, const char *path,
                     const char *data, size_t len)
{
	char *have = NULL;
	size_t have_len = 0;
	int rc;

	if (relais_file_read(&have, &have_len, ctx, path, len) == 0 && have_len == len &&
	    memcmp(have, data, len) == 0) {
		free(have);
		(*kept)++;
		return 0;
	}
	free(have);
	relais_clear(ctx);
	if ((rc = relais_file_write_atomic(ctx, path, data, len, 0644, 0)) == 0) {
		(*written)++;
	}
	return rc;
}

/* Copies the store's file named sha (its SHA-256) to dst unless dst already hashes to it. */
static int put_file(size_t *written, size_t *kept, relais_ctx *ctx, const char *src,
                    const char *dst, const char *sha)
{
	char have[RELAIS_SHA256_HEX];
	int rc;

	if (relais_sha256_file(have, NULL, ctx, dst) == 0 && strcmp(have, sha) == 0) {
		(*kept)++;
		return 0;
	}
	relais_clear(ctx);
	if ((rc = relais_hub_file_copy(have, NULL, ctx, src, dst, sha)) == 0) {
		(*written)++;
	}
	return rc;
}

static int join(char *out, size_t size, relais_ctx *ctx, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", dir);
	}
	return 0;
}

int relais_hub_export_catalogue(size_t *written, size_t *kept, relais_hub *hub, relais_ctx *ctx,
                                const char *dir)
{
	struct relais_hub_catalogue_file cat = {0}, sig = {0};
	struct relais_catalogue *parsed = NULL;
	char src[PATH_SIZE], dst[PATH_SIZE], name[PATH_SIZE];
	size_t i, j;
	int rc;

	*written = *kept = 0;
	if ((rc = relais_hub_catalogue_get(&cat, hub, ctx, 0)) != 0 ||
	    (rc = relais_hub_catalogue_get(&sig, hub, ctx, 1)) != 0) {
		goto out;
	}
	if (sig.serial != cat.serial) {
		/* Re-signed between the two reads: take both again. */
		relais_hub_catalogue_file_clear(&cat);
		if ((rc = relais_hub_catalogue_get(&cat, hub, ctx, 0)) != 0) {
			goto out;
		}
	}
	if ((rc = relais_catalogue_parse(&parsed, ctx, cat.body, cat.len, "catalogue.json")) != 0 ||
	    (rc = relais_dir_make(ctx, dir, 0755)) != 0 ||
	    (rc = join(dst, sizeof(dst), ctx, dir, "bundles")) != 0 ||
	    (rc = relais_dir_make(ctx, dst, 0755)) != 0 ||
	    (rc = join(dst, sizeof(dst), ctx, dir, "deltas")) != 0 ||
	    (rc = relais_dir_make(ctx, dst, 0755)) != 0) {
		goto out;
	}
	/* The files first, so that a stick pulled out early never lists a missing one. */
	for (i = 0; i < parsed->n_courses; i++) {
		const struct relais_catalogue_course *c = &parsed->courses[i];
		(void)snprintf(name, sizeof(name), "bundles/%s.relais", c->sha256);
		if ((rc = files_path(src, sizeof(src), hub, ctx, name)) != 0 ||
		    (rc = join(dst, sizeof(dst), ctx, dir, name)) != 0 ||
		    (rc = put_file(written, kept, ctx, src, dst, c->sha256)) != 0) {
			goto out;
		}
		for (j = 0; j < c->n_deltas; j++) {
			(void)snprintf(name, sizeof(name), "deltas/%s-%s.delta",
			               c->deltas[j].from_sha256, c->sha256);
			if ((rc = files_path(src, sizeof(src), hub, ctx, name)) != 0 ||
			    (rc = join(dst, sizeof(dst), ctx, dir, name)) != 0 ||
			    (rc = put_file(written, kept, ctx, src, dst, c->deltas[j].sha256)) !=
			            0) {
				goto out;
			}
		}
	}
	if ((rc = join(dst, sizeof(dst), ctx, dir, "catalogue.json.minisig")) != 0 ||
	    (rc = put_bytes(written, kept, ctx, dst, sig.body, sig.len)) != 0 ||
	    (rc = join(dst, sizeof(dst), ctx, dir, "catalogue.json")) != 0 ||
	    (rc = put_bytes(written, kept, ctx, dst, cat.body, cat.len)) != 0) {
		goto out;
	}
out:
	relais_catalogue_free(parsed);
	relais_hub_catalogue_file_clear(&cat);
	relais_hub_catalogue_file_clear(&sig);
	return rc;
}
