/* trust.c: the trust store: publishers' public keys this laptop accepts, and hub keys it reads
 * catalogues by. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/trust.h"

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

/* 1 when the query with id bound finds a row, 0 when not, or a negative status. */
static int in_table(relais_home *home, relais_ctx *ctx, const char *sql, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_db_prepare(&st, home, ctx, sql)) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
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
	if ((rc = in_table(home, ctx, "SELECT 1 FROM hub_key WHERE id = ?", id)) != 0) {
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
	             "SELECT id, name, added FROM trusted_key ORDER BY added, id")) != 0) {
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
	if ((rc = in_table(home, ctx, "SELECT 1 FROM trusted_key WHERE id = ?", id)) != 0) {
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
