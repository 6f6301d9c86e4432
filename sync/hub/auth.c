/* auth.c: who may use the hub: API credentials (BLAKE2b) and coordinators' passwords (Argon2id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/key.h"
#include "relais/strbuf.h"

static void hex(char *out, const unsigned char *in, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

/* How a secret is stored: its BLAKE2b hash in hex (256 random bits need no slow hash). */
static void secret_hash(char out[65], const char *secret)
{
	unsigned char hash[32];

	crypto_generichash(hash, sizeof(hash), (const unsigned char *)secret, strlen(secret), NULL,
	                   0);
	hex(out, hash, sizeof(hash));
}

static const struct {
	const char *name;
	unsigned bit;
} scope_names[] = {
        {"write", RELAIS_HUB_SCOPE_WRITE},       {"read-mine", RELAIS_HUB_SCOPE_READ_MINE},
        {"read-all", RELAIS_HUB_SCOPE_READ_ALL}, {"void-mine", RELAIS_HUB_SCOPE_VOID_MINE},
        {"void-all", RELAIS_HUB_SCOPE_VOID_ALL},
};

#define N_SCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

/* Migration 3 gives the credentials made before it this default. */
_Static_assert(RELAIS_HUB_SCOPES_LAPTOP == 11, "store.c migration 3 uses 11");

int relais_hub_scopes_parse(unsigned *out, relais_ctx *ctx, const char *list)
{
	const char *p = list, *end;
	size_t i, len;

	*out = 0;
	while (p != NULL && *p != '\0') {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < N_SCOPES; i++) {
			if (strlen(scope_names[i].name) == len &&
			    strncmp(scope_names[i].name, p, len) == 0) {
				*out |= scope_names[i].bit;
				break;
			}
		}
		if (i == N_SCOPES) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "unknown scope \"%.*s\" (write, read-mine, read-all, "
			                   "void-mine, void-all)",
			                   (int)(len > 40 ? 40 : len), p);
		}
		p = end ? end + 1 : NULL;
	}
	if (*out == 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "give at least one scope");
	}
	return 0;
}

void relais_hub_scopes_text(char out[RELAIS_HUB_SCOPES_TEXT], unsigned scopes)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < N_SCOPES; i++) {
		if (scopes & scope_names[i].bit) {
			int w = snprintf(out + n, RELAIS_HUB_SCOPES_TEXT - n, "%s%s", n ? "," : "",
			                 scope_names[i].name);
			n += (size_t)w; /* the five names fit: 44 bytes */
		}
	}
}

int relais_hub_credentials_add(relais_hub *hub, relais_ctx *ctx, const char *name, unsigned scopes,
                               char key[RELAIS_HUB_KEY_HEX], char secret[RELAIS_HUB_SECRET_HEX])
{
	unsigned char raw_key[16], raw_secret[32];
	char hash_hex[65], now[32], scope_num[16];
	const char *row[5] = {key, name, hash_hex, now, scope_num};
	int rc;

	if (name == NULL || name[0] == '\0' || strlen(name) > 200) {
		return relais_fail(ctx, RELAIS_EINVAL, "credentials need a name of 1 to 200 bytes");
	}
	if (scopes == 0 || (scopes & ~31u) != 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "credentials need at least one scope");
	}
	(void)snprintf(scope_num, sizeof(scope_num), "%u", scopes);
	randombytes_buf(raw_key, sizeof(raw_key));
	randombytes_buf(raw_secret, sizeof(raw_secret));
	hex(key, raw_key, sizeof(raw_key));
	hex(secret, raw_secret, sizeof(raw_secret));
	secret_hash(hash_hex, secret);
	relais_now_iso(now);
	rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_CREDENTIAL_ADD,
	                      "INSERT INTO credential(key, name, secret_hash, created, scopes) "
	                      "VALUES (?, ?, ?, ?, CAST(?5 AS INTEGER))",
	                      "credentials", row, 5);
	sodium_memzero(raw_secret, sizeof(raw_secret));
	return rc;
}

/* Fills who from a row of (key, name, scopes). */
static void fill_credential(struct relais_hub_credential *who, relais_hub_sql_stmt *st, int first)
{
	(void)snprintf(who->key, sizeof(who->key), "%s",
	               (const char *)relais_hub_sql_column_text(st, first));
	(void)snprintf(who->name, sizeof(who->name), "%s",
	               (const char *)relais_hub_sql_column_text(st, first + 1));
	who->scopes = (unsigned)relais_hub_sql_column_int(st, first + 2);
}

int relais_hub_credentials_check(struct relais_hub_credential *who, relais_hub *hub,
                                 relais_ctx *ctx, const char *key, const char *secret)
{
	char hash_hex[65];
	relais_hub_sql_stmt *st = NULL;
	int rc = RELAIS_EPASSWORD, step;

	memset(who, 0, sizeof(*who));
	if (key == NULL || secret == NULL || strlen(secret) > 256 || strlen(key) > 64) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "bad credentials");
	}
	secret_hash(hash_hex, secret);
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT key, name, scopes, secret_hash FROM credential WHERE key = ? "
	            "AND revoked IS NULL",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	}
	relais_hub_sql_bind_text(st, 1, key, -1, RELAIS_HUB_SQL_STATIC);
	if ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		const char *stored = (const char *)relais_hub_sql_column_text(st, 3);
		if (stored != NULL && strlen(stored) == 64 &&
		    sodium_memcmp(stored, hash_hex, 64) == 0) {
			fill_credential(who, st, 0);
			rc = 0;
		}
	} else if (step != RELAIS_HUB_SQL_DONE) {
		/* Not a verdict on the credentials: the database could not tell. */
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "credentials");
		relais_hub_sql_finalize(st);
		return rc;
	}
	relais_hub_sql_finalize(st);
	return rc == 0 ? 0 : relais_fail(ctx, rc, "bad credentials");
}

int relais_hub_credentials_revoke(relais_hub *hub, relais_ctx *ctx, const char *key)
{
	relais_hub_sql_stmt *st = NULL;
	char now[32];
	int rc = 0;

	relais_now_iso(now);
	if (relais_hub_sql_prepare(
	            hub->db, "UPDATE credential SET revoked = ? WHERE key = ? AND revoked IS NULL",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	}
	relais_hub_sql_bind_text(st, 1, now, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, key, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	} else if (relais_hub_sql_changes(hub->db) == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no credential %.64s, or it is revoked",
		                 key);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_credentials_list(char **out, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_strbuf o = {.max = 16u * 1024 * 1024};
	relais_hub_sql_stmt *st = NULL;
	char scopes[RELAIS_HUB_SCOPES_TEXT];
	int rc = 0, step;

	*out = NULL;
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT c.key, c.name, c.scopes, c.created, coalesce(c.revoked, '-'), "
	            "coalesce((SELECT group_concat(key_id, ' ') FROM (SELECT key_id FROM "
	            "laptop_key k WHERE k.credential = c.key ORDER BY key_id) AS kk), '-') "
	            "FROM credential c ORDER BY c.created, c.key",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		relais_hub_scopes_text(scopes, (unsigned)relais_hub_sql_column_int(st, 2));
		relais_strbuf_printf(
		        &o,
		        "key:         %s\nname:        %s\nscopes:      %s\n"
		        "created:     %s\nrevoked:     %s\nlaptop keys: %s\n\n",
		        relais_hub_sql_column_text(st, 0), relais_hub_sql_column_text(st, 1),
		        scopes, relais_hub_sql_column_text(st, 3),
		        relais_hub_sql_column_text(st, 4), relais_hub_sql_column_text(st, 5));
	}
	relais_strbuf_addn(&o, "", 0);
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	} else if (o.rc != 0) {
		rc = relais_fail(ctx, o.rc, "credentials: too many to list");
	} else {
		*out = o.p;
		o.p = NULL;
	}
	relais_strbuf_free(&o);
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_laptop_key_add(relais_hub *hub, relais_ctx *ctx, const char *credential,
                              const char *pubkey, size_t len)
{
	relais_pubkey *pub = NULL;
	relais_hub_sql_stmt *st = NULL;
	char id[RELAIS_KEYID_HEX], now[32];
	int rc, step;

	if (len > 1024) {
		return relais_fail(ctx, RELAIS_EFORMAT, "laptop key: not a minisign public key");
	}
	if ((rc = relais_pubkey_parse(&pub, ctx, pubkey, len, "laptop key")) != 0) {
		return rc;
	}
	relais_pubkey_id(pub, id);
	relais_now_iso(now);
	if (relais_hub_sql_begin(hub->db) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "laptop keys");
		goto out;
	}
	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT (SELECT 1 FROM credential WHERE key = ?1 AND revoked IS "
	                           "NULL), (SELECT credential FROM laptop_key WHERE key_id = ?2)",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_text(st, 1, credential, -1, RELAIS_HUB_SQL_STATIC) !=
	            RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_bind_text(st, 2, id, -1, RELAIS_HUB_SQL_STATIC) != RELAIS_HUB_SQL_OK ||
	    (step = relais_hub_sql_step(st)) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "laptop keys");
		goto rollback;
	}
	if (relais_hub_sql_column_type(st, 0) == RELAIS_HUB_SQL_NULL) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no credential %.64s, or it is revoked",
		                 credential);
		goto rollback;
	}
	if (relais_hub_sql_column_type(st, 1) != RELAIS_HUB_SQL_NULL) {
		if (strcmp((const char *)relais_hub_sql_column_text(st, 1), credential) != 0) {
			rc = relais_fail(ctx, RELAIS_EEXIST,
			                 "laptop key %s is registered to another credential", id);
			goto rollback;
		}
		goto rollback; /* already registered: nothing changes */
	}
	relais_hub_sql_finalize(st);
	st = NULL;
	if (relais_hub_sql_prepare(
	            hub->db,
	            "INSERT INTO laptop_key(key_id, credential, public_key, registered) "
	            "VALUES (?, ?, ?, ?)",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "laptop keys");
		goto rollback;
	}
	relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, credential, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 3, pubkey, (int)len,
	                         RELAIS_HUB_SQL_STATIC); /* as sent, parsed above */
	relais_hub_sql_bind_text(st, 4, now, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE ||
	    relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "laptop keys");
		goto rollback;
	}
	goto out;
rollback:
	relais_hub_sql_rollback(hub->db);
out:
	relais_hub_sql_finalize(st);
	relais_pubkey_free(pub);
	return rc;
}

int relais_hub_laptop_key_find(struct relais_hub_credential *who, relais_pubkey **pub,
                               relais_hub *hub, relais_ctx *ctx, const char *key_id)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step;

	memset(who, 0, sizeof(*who));
	*pub = NULL;
	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT c.key, c.name, c.scopes, k.public_key, c.revoked FROM "
	                           "laptop_key k JOIN credential c ON c.key = k.credential WHERE "
	                           "k.key_id = ?",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "laptop keys");
	}
	relais_hub_sql_bind_text(st, 1, key_id, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND,
		                 "signed by laptop key %s, which this hub does not know (one sync, "
		                 "or relais-hub credentials add-laptop-key, registers it)",
		                 key_id);
	} else if (step != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "laptop keys");
	} else if (relais_hub_sql_column_type(st, 4) != RELAIS_HUB_SQL_NULL) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "laptop key %s belongs to credential %s, which is revoked", key_id,
		                 (const char *)relais_hub_sql_column_text(st, 0));
	} else {
		const char *text = (const char *)relais_hub_sql_column_text(st, 3);
		fill_credential(who, st, 0);
		rc = relais_pubkey_parse(pub, ctx, text, strlen(text), "laptop key");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_coordinator_add(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *password, const char *organisation)
{
	char hash[crypto_pwhash_STRBYTES], now[32];
	const char *row[4] = {email, hash, now, organisation};

	if (email == NULL || strchr(email, '@') == NULL || strlen(email) > 200) {
		return relais_fail(ctx, RELAIS_EINVAL, "\"%s\" is not an email address",
		                   email ? email : "");
	}
	if (organisation != NULL && (organisation[0] == '\0' || strlen(organisation) > 200)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "an organisation needs a name of 1 to 200 bytes");
	}
	if (password == NULL || strlen(password) < 10) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "the password must have at least 10 characters");
	}
	if (crypto_pwhash_str_alg(
	            hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		return relais_fail(ctx, RELAIS_ENOMEM, "not enough memory to hash the password");
	}
	relais_now_iso(now);
	return relais_hub_write(
	        hub, ctx, RELAIS_HUB_SLOT_COORDINATOR_ADD,
	        "INSERT INTO coordinator(email, password_hash, created, organisation) "
	        "VALUES (lower(?1), ?2, ?3, ?4) ON CONFLICT(email) DO UPDATE SET "
	        "password_hash = excluded.password_hash, organisation = "
	        "excluded.organisation",
	        "coordinators", row, 4);
}

int relais_hub_coordinator_remove(relais_hub *hub, relais_ctx *ctx, const char *email)
{
	int rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_COORDINATOR_REMOVE,
	                          "DELETE FROM coordinator WHERE email = lower(?1)", "coordinators",
	                          &email, 1);

	if (rc == 0 && relais_hub_sql_changes(hub->db) == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no coordinator %.200s", email);
	}
	return rc;
}

int relais_hub_coordinator_scope(char organisation[201], relais_hub *hub, relais_ctx *ctx,
                                 const char *email)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step;

	organisation[0] = '\0';
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT coalesce(organisation, '') FROM coordinator WHERE email = "
	            "lower(?)",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	relais_hub_sql_bind_text(st, 1, email, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		(void)snprintf(organisation, 201, "%s",
		               (const char *)relais_hub_sql_column_text(st, 0));
	} else if (step == RELAIS_HUB_SQL_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no coordinator %.200s", email);
	} else {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_organisation_set(relais_hub *hub, relais_ctx *ctx, const char *name,
                                const char *country)
{
	const char *row[2] = {name, country};

	if (name == NULL || name[0] == '\0' || strlen(name) > 200) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "an organisation needs a name of 1 to 200 bytes");
	}
	if (country == NULL || strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' ||
	    country[1] < 'A' || country[1] > 'Z') {
		return relais_fail(
		        ctx, RELAIS_EINVAL,
		        "--country \"%.20s\": give an ISO 3166 code of two capital letters "
		        "(SN, FR)",
		        country ? country : "");
	}
	return relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_ORGANISATION_SET,
	                        "INSERT INTO organisation(name, country) VALUES (?1, ?2) "
	                        "ON CONFLICT(name) DO UPDATE SET country = excluded.country",
	                        "organisations", row, 2);
}

int relais_hub_coordinator_check(relais_hub *hub, relais_ctx *ctx, const char *email,
                                 const char *password)
{
	relais_hub_sql_stmt *st = NULL;
	char hash[crypto_pwhash_STRBYTES];
	int found = 0, step;

	if (email == NULL || password == NULL || strlen(password) > 1024) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "wrong email or password");
	}
	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT password_hash FROM coordinator WHERE email = lower(?)",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	relais_hub_sql_bind_text(st, 1, email, -1, RELAIS_HUB_SQL_STATIC);
	if ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		(void)snprintf(hash, sizeof(hash), "%s",
		               (const char *)relais_hub_sql_column_text(st, 0));
		found = 1;
	} else if (step != RELAIS_HUB_SQL_DONE) { /* not a wrong password: no answer */
		int rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
		relais_hub_sql_finalize(st);
		return rc;
	}
	relais_hub_sql_finalize(st);
	/* An unknown email is checked against a hash made at start-up, so the
	 * answer takes as long either way. */
	if (crypto_pwhash_str_verify(found ? hash : hub->dummy_hash, password, strlen(password)) !=
	            0 ||
	    !found) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "wrong email or password");
	}
	return 0;
}

/* Runs sql (no parameters) into a JSON array of objects of text, named by the columns. */
static int rows_of(cJSON **out, relais_hub *hub, relais_ctx *ctx, const char *sql)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step, c;

	*out = cJSON_CreateArray();
	if (*out == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (relais_hub_sql_prepare(hub->db, sql, -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		cJSON *row = cJSON_CreateObject();
		for (c = 0; c < relais_hub_sql_column_count(st); c++) {
			const char *v = (const char *)relais_hub_sql_column_text(st, c);
			cJSON_AddStringToObject(row, relais_hub_sql_column_name(st, c), v ? v : "");
		}
		cJSON_AddItemToArray(*out, row);
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_coordinators_rows(cJSON **out, relais_hub *hub, relais_ctx *ctx)
{
	return rows_of(out, hub, ctx,
	               "SELECT email, coalesce(organisation, '') AS organisation, created FROM "
	               "coordinator ORDER BY email");
}

int relais_hub_credentials_rows(cJSON **out, relais_hub *hub, relais_ctx *ctx)
{
	cJSON *rows = NULL, *row;
	char text[RELAIS_HUB_SCOPES_TEXT];
	int rc = rows_of(&rows, hub, ctx,
	                 "SELECT key, name, scopes, created, coalesce(revoked, '') AS revoked "
	                 "FROM credential ORDER BY created, key");

	cJSON_ArrayForEach(row, rows)
	{
		cJSON *scopes = cJSON_GetObjectItemCaseSensitive(row, "scopes");
		relais_hub_scopes_text(text, (unsigned)atoi(scopes ? scopes->valuestring : "0"));
		cJSON_ReplaceItemInObjectCaseSensitive(row, "scopes", cJSON_CreateString(text));
	}
	*out = rows;
	return rc;
}
