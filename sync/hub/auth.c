/* auth.c: who may use the hub: API credentials (BLAKE2b) and coordinators' passwords (Argon2id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"

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

int relais_hub_credentials_add(relais_hub *hub, relais_ctx *ctx, const char *name,
                               char key[RELAIS_HUB_KEY_HEX], char secret[RELAIS_HUB_SECRET_HEX])
{
	unsigned char raw_key[16], raw_secret[32];
	char hash_hex[65], now[32];
	const char *row[4] = {key, name, hash_hex, now};
	int rc;

	if (name == NULL || name[0] == '\0' || strlen(name) > 200) {
		return relais_fail(ctx, RELAIS_EINVAL, "credentials need a name of 1 to 200 bytes");
	}
	randombytes_buf(raw_key, sizeof(raw_key));
	randombytes_buf(raw_secret, sizeof(raw_secret));
	hex(key, raw_key, sizeof(raw_key));
	hex(secret, raw_secret, sizeof(raw_secret));
	secret_hash(hash_hex, secret);
	relais_now_iso(now);
	rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_CREDENTIAL_ADD,
	                      "INSERT INTO credential(key, name, secret_hash, created) "
	                      "VALUES (?, ?, ?, ?)",
	                      "credentials", row, 4);
	sodium_memzero(raw_secret, sizeof(raw_secret));
	return rc;
}

int relais_hub_credentials_check(relais_hub *hub, relais_ctx *ctx, const char *key,
                                 const char *secret, char **name)
{
	char hash_hex[65];
	sqlite3_stmt *st = NULL;
	int rc = RELAIS_EPASSWORD;

	*name = NULL;
	if (key == NULL || secret == NULL || strlen(secret) > 256) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "bad credentials");
	}
	secret_hash(hash_hex, secret);
	if (sqlite3_prepare_v2(hub->db, "SELECT name, secret_hash FROM credential WHERE key = ?",
	                       -1, &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *stored = (const char *)sqlite3_column_text(st, 1);
		if (stored != NULL && strlen(stored) == 64 &&
		    sodium_memcmp(stored, hash_hex, 64) == 0) {
			*name = strdup((const char *)sqlite3_column_text(st, 0));
			rc = *name ? 0 : RELAIS_ENOMEM;
		}
	}
	sqlite3_finalize(st);
	return rc == 0 ? 0 : relais_fail(ctx, rc, "bad credentials");
}

int relais_hub_coordinator_add(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *password)
{
	char hash[crypto_pwhash_STRBYTES], now[32];
	const char *row[3] = {email, hash, now};

	if (email == NULL || strchr(email, '@') == NULL || strlen(email) > 200) {
		return relais_fail(ctx, RELAIS_EINVAL, "\"%s\" is not an email address",
		                   email ? email : "");
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
	return relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_COORDINATOR_ADD,
	                        "INSERT INTO coordinator(email, password_hash, created) VALUES "
	                        "(lower(?), ?, ?) ON CONFLICT(email) DO UPDATE SET password_hash = "
	                        "excluded.password_hash",
	                        "coordinators", row, 3);
}

int relais_hub_coordinator_check(relais_hub *hub, relais_ctx *ctx, const char *email,
                                 const char *password)
{
	sqlite3_stmt *st = NULL;
	char hash[crypto_pwhash_STRBYTES];
	int found = 0;

	if (email == NULL || password == NULL || strlen(password) > 1024) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "wrong email or password");
	}
	if (sqlite3_prepare_v2(hub->db,
	                       "SELECT password_hash FROM coordinator WHERE email = lower(?)", -1,
	                       &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		(void)snprintf(hash, sizeof(hash), "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	/* An unknown email is checked against a hash made at start-up, so the
	 * answer takes as long either way. */
	if (crypto_pwhash_str_verify(found ? hash : hub->dummy_hash, password, strlen(password)) !=
	            0 ||
	    !found) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "wrong email or password");
	}
	return 0;
}
