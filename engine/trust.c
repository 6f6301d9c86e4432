/* trust.c: the trust store: publishers' public keys this laptop accepts. */
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
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "key %s is not trusted", key_id);
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
