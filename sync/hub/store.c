/* store.c: the hub's statement store: xAPI id rules, voiding, queries (SQLite). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/xapi.h"
#include "relais/gzip.h"
#include "relais/strbuf.h"

#define IMPORT_FILE_MAX (256u * 1024 * 1024)
#define IMPORT_JSON_MAX (1024u * 1024 * 1024)
#define QUERY_VALUE_MAX 2048
#define PAGE_BYTES_MAX (256u * 1024 * 1024) /* 500 statements of any size */

static const char *const migrations[] = {
        /* 1: statements with what queries and reports need, credentials,
         * coordinators and their sessions. */
        "CREATE TABLE statement ("
        "  seq INTEGER PRIMARY KEY,"
        "  id TEXT NOT NULL UNIQUE,"
        "  identity_hash TEXT NOT NULL,"
        "  body TEXT NOT NULL,"
        "  stored TEXT NOT NULL,"
        "  stored_ms INTEGER NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  actor_name TEXT,"
        "  verb TEXT NOT NULL,"
        "  object_id TEXT,"
        "  object_kind INTEGER NOT NULL,"
        "  registration TEXT,"
        "  voided INTEGER NOT NULL DEFAULT 0,"
        "  voids TEXT,"
        "  organisation TEXT,"
        "  course TEXT,"
        "  unit TEXT,"
        "  scaled REAL,"
        "  success INTEGER,"
        "  timestamp TEXT,"
        "  target_seq INTEGER);"
        "CREATE INDEX statement_target ON statement(target_seq, seq) WHERE target_seq IS NOT NULL;"
        "CREATE INDEX statement_actor ON statement(actor, seq);"
        "CREATE INDEX statement_verb ON statement(verb, seq);"
        "CREATE INDEX statement_object ON statement(object_id, seq);"
        "CREATE INDEX statement_registration ON statement(registration, seq);"
        "CREATE INDEX statement_stored ON statement(stored_ms);"
        "CREATE INDEX statement_course ON statement(course, verb);"
        "CREATE TABLE statement_agent (agent TEXT NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (agent, seq)) WITHOUT ROWID;"
        "CREATE TABLE statement_activity (activity TEXT NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (activity, seq)) WITHOUT ROWID;"
        "CREATE TABLE credential ("
        "  key TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  secret_hash TEXT NOT NULL,"
        "  created TEXT NOT NULL);"
        "CREATE TABLE coordinator ("
        "  email TEXT PRIMARY KEY,"
        "  password_hash TEXT NOT NULL,"
        "  created TEXT NOT NULL);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int relais_hub_stmt(relais_hub *hub, int slot, const char *sql, sqlite3_stmt **out)
{
	if (hub->cache[slot] == NULL &&
	    sqlite3_prepare_v3(hub->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &hub->cache[slot],
	                       NULL) != SQLITE_OK) {
		*out = NULL;
		return -1;
	}
	sqlite3_reset(hub->cache[slot]);
	sqlite3_clear_bindings(hub->cache[slot]);
	*out = hub->cache[slot];
	return 0;
}

long long relais_hub_parse_time(const char *s)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, n = 0, sign = 0, oh = 0, om = 0;
	double sec = 0;
	const char *p;
	long long ms;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) {
		return -1;
	}
	p = s + 10;
	if (*p == 'T') {
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5) {
			return -1;
		}
		p += 6;
		if (*p == ':') {
			char *end;
			sec = strtod(p + 1, &end);
			if (end == p + 1) {
				return -1;
			}
			p = end;
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d", &oh) != 1) {
			return -1;
		}
		p += 3;
		if (*p == ':') {
			p++;
		}
		if (isdigit((unsigned char)*p)) {
			if (sscanf(p, "%2d", &om) != 1) {
				return -1;
			}
			p += 2;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec >= 61) {
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	ms = (long long)timegm(&tm) * 1000 + (long long)(sec * 1000.0 + 0.5);
	return ms - (long long)sign * (oh * 3600000LL + om * 60000LL);
}

static int migrate(relais_hub *hub, relais_ctx *ctx)
{
	sqlite3_stmt *st = NULL;
	int v, have = 0;
	char pragma[48];

	if (sqlite3_prepare_v2(hub->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		have = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (have > N_MIGRATIONS) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "the hub database was made by a newer relais");
	}
	for (v = have + 1; v <= N_MIGRATIONS; v++) {
		(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
		if (sqlite3_exec(hub->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(hub->db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(hub->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(hub->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			int rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
			sqlite3_exec(hub->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

int relais_hub_open(relais_hub **out, relais_ctx *ctx, const char *path)
{
	relais_hub *hub = calloc(1, sizeof(*hub));
	int rc;

	*out = NULL;
	if (hub == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (sqlite3_open_v2(path, &hub->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, path);
		goto fail;
	}
	sqlite3_busy_timeout(hub->db, 60000);
	if (sqlite3_exec(hub->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                 "PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, path);
		goto fail;
	}
	if ((rc = migrate(hub, ctx)) != 0) {
		goto fail;
	}
	{
		unsigned char noise[16];
		randombytes_buf(noise, sizeof(noise));
		if (crypto_pwhash_str_alg(hub->dummy_hash, (const char *)noise, sizeof(noise),
		                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
		                          crypto_pwhash_MEMLIMIT_INTERACTIVE,
		                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM,
			                 "not enough memory for password hashing");
			goto fail;
		}
	}
	*out = hub;
	return 0;
fail:
	relais_hub_close(hub);
	return rc;
}

void relais_hub_close(relais_hub *hub)
{
	size_t i;

	if (hub != NULL) {
		for (i = 0; i < HUB_CACHED; i++) {
			sqlite3_finalize(hub->cache[i]);
		}
		sqlite3_close_v2(hub->db);
		free(hub);
	}
}

void relais_hub_reply_clear(struct relais_hub_reply *r)
{
	free(r->body);
	free(r->more);
	memset(r, 0, sizeof(*r));
}

/* A reply with an error body {"error": "..."} naming the problem. */
static int reply_error(struct relais_hub_reply *r, unsigned status, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	r->status = status;
	cJSON_AddStringToObject(o, "error", message);
	free(r->body);
	r->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return r->body ? 0 : RELAIS_ENOMEM;
}

static void hex(char *out, const unsigned char *in, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

int relais_hub_credentials_add(relais_hub *hub, relais_ctx *ctx, const char *name,
                               char key[RELAIS_HUB_KEY_HEX], char secret[RELAIS_HUB_SECRET_HEX])
{
	unsigned char raw_key[16], raw_secret[32], hash[32];
	char hash_hex[65], now[32];
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (name == NULL || name[0] == '\0' || strlen(name) > 200) {
		return relais_fail(ctx, RELAIS_EINVAL, "credentials need a name of 1 to 200 bytes");
	}
	randombytes_buf(raw_key, sizeof(raw_key));
	randombytes_buf(raw_secret, sizeof(raw_secret));
	hex(key, raw_key, sizeof(raw_key));
	hex(secret, raw_secret, sizeof(raw_secret));
	/* The secret is 256 random bits: a fast hash is enough to store it. */
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)secret, 64, NULL, 0);
	hex(hash_hex, hash, sizeof(hash));
	relais_now_iso(now);
	if (sqlite3_prepare_v2(hub->db,
	                       "INSERT INTO credential(key, name, secret_hash, created) "
	                       "VALUES (?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash_hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "credentials");
	}
	sqlite3_finalize(st);
	sodium_memzero(raw_secret, sizeof(raw_secret));
	return rc;
}

int relais_hub_credentials_check(relais_hub *hub, relais_ctx *ctx, const char *key,
                                 const char *secret, char **name)
{
	unsigned char hash[32];
	char hash_hex[65];
	sqlite3_stmt *st = NULL;
	int rc = RELAIS_EPASSWORD;

	*name = NULL;
	if (key == NULL || secret == NULL || strlen(secret) > 256) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "bad credentials");
	}
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)secret, strlen(secret), NULL,
	                   0);
	hex(hash_hex, hash, sizeof(hash));
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
	sqlite3_stmt *st = NULL;
	int rc = 0;

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
	if (sqlite3_prepare_v2(hub->db,
	                       "INSERT INTO coordinator(email, password_hash, created) VALUES "
	                       "(lower(?), ?, ?) ON CONFLICT(email) DO UPDATE SET password_hash = "
	                       "excluded.password_hash",
	                       -1, &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "coordinators");
	}
	sqlite3_finalize(st);
	return rc;
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

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/*
 * Stores one statement inside the caller's transaction. Sets *known when the
 * same statement was already there. Returns 0; RELAIS_EFORMAT (invalid,
 * message set); RELAIS_EEXIST (same id, other content); other statuses.
 */
static int store_one(relais_hub *hub, relais_ctx *ctx, cJSON *st, const char *where,
                     const char *forced_id, const char *authority, char id_out[37], int *known)
{
	struct relais_xapi_facts f;
	sqlite3_stmt *q = NULL;
	cJSON *copy = NULL, *auth = NULL;
	char *identity = NULL, *body = NULL, now[32], identity_hash[65];
	long long now_ms;
	size_t i;
	int rc, step;

	*known = 0;
	rc = relais_xapi_check(&f, ctx, st, where);
	if (rc != 0) {
		goto out;
	}
	if (forced_id != NULL) {
		if (f.has_id && strcasecmp(f.id, forced_id) != 0) {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "%s.id: differs from the statementId parameter", where);
			goto out;
		}
		if (!f.has_id) {
			cJSON_AddStringToObject(st, "id", forced_id);
		}
		for (i = 0; i < 36; i++) {
			f.id[i] = (char)tolower((unsigned char)forced_id[i]);
		}
		f.id[36] = '\0';
	} else if (!f.has_id) {
		unsigned char b[16];
		randombytes_buf(b, sizeof(b));
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
		(void)snprintf(
		        f.id, sizeof(f.id),
		        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		        b[12], b[13], b[14], b[15]);
		cJSON_AddStringToObject(st, "id", f.id);
	}
	memcpy(id_out, f.id, 37);
	identity = relais_xapi_identity(st);
	if (identity == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	{
		/* Only a hash of the identity is kept: half the row, same rule. */
		unsigned char h[32];
		crypto_generichash(h, sizeof(h), (const unsigned char *)identity, strlen(identity),
		                   NULL, 0);
		sodium_bin2hex(identity_hash, sizeof(identity_hash), h, sizeof(h));
	}
	/* The id rules: the same statement again changes nothing. */
	if (relais_hub_stmt(hub, 1, "SELECT identity_hash FROM statement WHERE id = ?", &q) != 0) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	sqlite3_bind_text(q, 1, f.id, -1, SQLITE_STATIC);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		const char *had = (const char *)sqlite3_column_text(q, 0);
		if (had != NULL && strcmp(had, identity_hash) == 0) {
			*known = 1;
		} else {
			rc = relais_fail(ctx, RELAIS_EEXIST,
			                 "%s: statement %s is already stored with other content",
			                 where, f.id);
		}
		goto out;
	}
	sqlite3_reset(q);
	q = NULL;

	now_ms = relais_now_iso(now);
	copy = cJSON_Duplicate(st, 1);
	auth = authority ? cJSON_Parse(authority) : NULL;
	if (copy == NULL || (authority != NULL && auth == NULL)) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "stored");
	cJSON_AddStringToObject(copy, "stored", now);
	if (auth != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "authority");
		cJSON_AddItemToObject(copy, "authority", auth);
		auth = NULL;
	}
	if (!cJSON_HasObjectItem(copy, "version")) {
		cJSON_AddStringToObject(copy, "version", "1.0.0");
	}
	if (!cJSON_HasObjectItem(copy, "timestamp")) {
		cJSON_AddStringToObject(copy, "timestamp", now);
	}
	{
		/* A single Activity in contextActivities is stored as an array,
		 * the form xAPI returns. */
		cJSON *ca = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(copy, "context"), "contextActivities");
		static const char *const kinds[] = {"parent", "grouping", "category", "other"};
		for (i = 0; ca != NULL && i < 4; i++) {
			cJSON *k = cJSON_GetObjectItemCaseSensitive(ca, kinds[i]);
			if (cJSON_IsObject(k)) {
				cJSON *arr = cJSON_CreateArray();
				cJSON *item = cJSON_Duplicate(k, 1);
				if (arr == NULL || item == NULL) {
					cJSON_Delete(arr);
					cJSON_Delete(item);
					rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
					goto out;
				}
				cJSON_AddItemToArray(arr, item);
				cJSON_ReplaceItemInObjectCaseSensitive(ca, kinds[i], arr);
			}
		}
	}
	body = cJSON_PrintUnformatted(copy);
	if (body == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (relais_hub_stmt(
	            hub, 2,
	            "INSERT INTO statement(id, identity_hash, body, stored, stored_ms, actor, "
	            "actor_name, verb, object_id, object_kind, registration, voids, "
	            "organisation, course, unit, scaled, success, timestamp, target_seq) "
	            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	            "(SELECT seq FROM statement WHERE id = lower(?19)))",
	            &q) != 0) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	sqlite3_bind_text(q, 1, f.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, identity_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, now_ms);
	bind_text_or_null(q, 6, f.actor ? f.actor : "");
	bind_text_or_null(q, 7, f.actor_name);
	bind_text_or_null(q, 8, f.verb);
	bind_text_or_null(q, 9, f.object_id);
	sqlite3_bind_int(q, 10, f.object_kind);
	bind_text_or_null(q, 11, f.registration);
	bind_text_or_null(q, 12, f.voids);
	bind_text_or_null(q, 13, f.organisation);
	bind_text_or_null(q, 14, f.course);
	bind_text_or_null(q, 15, f.unit);
	if (f.scaled >= -1) {
		sqlite3_bind_double(q, 16, f.scaled);
	}
	if (f.success >= 0) {
		sqlite3_bind_int(q, 17, f.success);
	}
	bind_text_or_null(q, 18, f.timestamp);
	/* A StatementRef's target, when held, so filters can follow it. */
	bind_text_or_null(q, 19, f.object_kind == RELAIS_XAPI_STATEMENT_REF ? f.object_id : NULL);
	if (sqlite3_step(q) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	{
		sqlite3_int64 seq = sqlite3_last_insert_rowid(hub->db);
		sqlite3_reset(q);
		q = NULL;
		if (relais_hub_stmt(
		            hub, 3,
		            "INSERT OR IGNORE INTO statement_agent(agent, seq) VALUES (?, ?)",
		            &q) != 0) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
			goto out;
		}
		for (i = 0; i < f.n_agents && rc == 0; i++) {
			sqlite3_bind_text(q, 1, f.agents[i], -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, seq);
			if (sqlite3_step(q) != SQLITE_DONE) {
				rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
			}
			sqlite3_reset(q);
		}
		sqlite3_reset(q);
		q = NULL;
		if (rc != 0 || relais_hub_stmt(hub, 4,
		                               "INSERT OR IGNORE INTO statement_activity(activity, "
		                               "seq) VALUES (?, ?)",
		                               &q) != 0) {
			rc = rc ? rc : relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
			goto out;
		}
		for (i = 0; i < f.n_activities && rc == 0; i++) {
			sqlite3_bind_text(q, 1, f.activities[i], -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, seq);
			if (sqlite3_step(q) != SQLITE_DONE) {
				rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
			}
			sqlite3_reset(q);
		}
		sqlite3_reset(q);
		q = NULL;
	}
	if (rc == 0 && f.voids != NULL) {
		/* A voiding statement voids its target, unless that is itself
		 * a voiding statement. */
		if (relais_hub_stmt(hub, 5,
		                    "UPDATE statement SET voided = 1 WHERE id = lower(?) AND "
		                    "voids IS NULL",
		                    &q) != 0) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
			goto out;
		}
		sqlite3_bind_text(q, 1, f.voids, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		}
	}
out:
	if (q != NULL) {
		sqlite3_reset(q);
	}
	cJSON_Delete(copy);
	cJSON_Delete(auth);
	free(identity);
	free(body);
	relais_xapi_facts_clear(&f);
	return rc;
}

/* Stores statements (array items) in one transaction; ids gets their ids. */
static int store_all(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx, cJSON *items,
                     int is_array, const char *forced_id, const char *authority, size_t *stored,
                     size_t *known)
{
	cJSON *ids = cJSON_CreateArray(), *item;
	char where[48], id[37];
	size_t i = 0, n = is_array ? (size_t)cJSON_GetArraySize(items) : 1;
	int rc = 0, was_known;

	if (ids == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (sqlite3_exec(hub->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		cJSON_Delete(ids);
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	for (item = is_array ? items->child : items; i < n && item; item = item->next, i++) {
		(void)snprintf(where, sizeof(where), is_array ? "statements[%zu]" : "statement", i);
		rc = store_one(hub, ctx, item, where, forced_id, authority, id, &was_known);
		if (rc != 0) {
			break;
		}
		*stored += !was_known;
		*known += was_known;
		cJSON_AddItemToArray(ids, cJSON_CreateString(id));
		if (!is_array) {
			break;
		}
	}
	if (rc == RELAIS_EFORMAT || rc == RELAIS_EEXIST) {
		sqlite3_exec(hub->db, "ROLLBACK", NULL, NULL, NULL);
		cJSON_Delete(ids);
		*stored = *known = 0;
		return reply_error(reply, rc == RELAIS_EFORMAT ? 400 : 409, relais_errmsg(ctx));
	}
	if (rc != 0 || sqlite3_exec(hub->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = rc ? rc : relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		sqlite3_exec(hub->db, "ROLLBACK", NULL, NULL, NULL);
		cJSON_Delete(ids);
		*stored = *known = 0;
		return rc;
	}
	reply->status = 200;
	reply->body = cJSON_PrintUnformatted(ids);
	cJSON_Delete(ids);
	return reply->body ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

/* Refuses a batch that holds the same id twice (xAPI: the whole batch). */
static int duplicate_ids(const cJSON *arr, char *dup, size_t size)
{
	const cJSON *a, *b;

	for (a = arr->child; a; a = a->next) {
		const cJSON *ia = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (!cJSON_IsString(ia)) {
			continue;
		}
		for (b = a->next; b; b = b->next) {
			const cJSON *ib = cJSON_GetObjectItemCaseSensitive(b, "id");
			if (cJSON_IsString(ib) &&
			    strcasecmp(ia->valuestring, ib->valuestring) == 0) {
				(void)snprintf(dup, size, "%s", ia->valuestring);
				return 1;
			}
		}
	}
	return 0;
}

/*
 * Whether JSON text holds a \u0000 escape inside a string: cJSON would cut
 * the string there, and the hub must store text as it was sent or refuse it.
 */
static int has_nul_escape(const char *json, size_t len)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		if (!in_string) {
			in_string = json[i] == '"';
			continue;
		}
		if (json[i] == '"') {
			in_string = 0;
		} else if (json[i] == '\\' && i + 1 < len) {
			if (json[i + 1] == 'u' && i + 5 < len && json[i + 2] == '0' &&
			    json[i + 3] == '0' && json[i + 4] == '0' && json[i + 5] == '0') {
				return 1;
			}
			i++; /* skip the escaped character */
		}
	}
	return 0;
}

int relais_hub_post(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                    const char *json, size_t len, const char *authority)
{
	cJSON *doc = cJSON_ParseWithLength(json, len);
	size_t stored = 0, known = 0;
	char dup[64], msg[128];
	int rc;

	memset(reply, 0, sizeof(*reply));
	if (doc == NULL) {
		return reply_error(reply, 400, "the body is not JSON");
	}
	if (has_nul_escape(json, len)) {
		cJSON_Delete(doc);
		return reply_error(reply, 400, "strings must not contain the NUL character");
	}
	if (cJSON_IsArray(doc)) {
		if (cJSON_GetArraySize(doc) == 0) {
			rc = reply_error(reply, 400, "the batch is empty");
		} else if (cJSON_GetArraySize(doc) > RELAIS_HUB_BATCH_MAX) {
			(void)snprintf(msg, sizeof(msg), "more than %d statements in one batch",
			               RELAIS_HUB_BATCH_MAX);
			rc = reply_error(reply, 413, msg);
		} else if (duplicate_ids(doc, dup, sizeof(dup))) {
			(void)snprintf(msg, sizeof(msg),
			               "statement id %s appears twice in the batch", dup);
			rc = reply_error(reply, 400, msg);
		} else {
			rc = store_all(reply, hub, ctx, doc, 1, NULL, authority, &stored, &known);
		}
	} else if (cJSON_IsObject(doc)) {
		rc = store_all(reply, hub, ctx, doc, 0, NULL, authority, &stored, &known);
	} else {
		rc = reply_error(reply, 400, "the body must be a statement or an array of them");
	}
	cJSON_Delete(doc);
	return rc;
}

int relais_hub_put(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const char *statement_id, const char *json, size_t len, const char *authority)
{
	cJSON *doc;
	size_t stored = 0, known = 0;
	int rc;

	memset(reply, 0, sizeof(*reply));
	if (statement_id == NULL || !relais_xapi_uuid_ok(statement_id)) {
		return reply_error(reply, 400, "statementId must be a UUID");
	}
	doc = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return reply_error(reply, 400, "the body must be one statement");
	}
	if (has_nul_escape(json, len)) {
		cJSON_Delete(doc);
		return reply_error(reply, 400, "strings must not contain the NUL character");
	}
	rc = store_all(reply, hub, ctx, doc, 0, statement_id, authority, &stored, &known);
	if (rc == 0 && reply->status == 200) {
		reply->status = 204;
		free(reply->body);
		reply->body = NULL;
	}
	cJSON_Delete(doc);
	return rc;
}

static const char *param(const struct relais_hub_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(p[i].name, name) == 0) {
			return p[i].value;
		}
	}
	return NULL;
}

/* The statement reduced for format=ids: agents and groups by identifier only. */
static void reduce_agents(cJSON *node)
{
	cJSON *child;

	if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
		return;
	}
	if (cJSON_IsObject(node)) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "objectType");
		int agentish = cJSON_HasObjectItem(node, "mbox") ||
		               cJSON_HasObjectItem(node, "mbox_sha1sum") ||
		               cJSON_HasObjectItem(node, "openid") ||
		               cJSON_HasObjectItem(node, "account");
		if (agentish || (cJSON_IsString(type) && strcmp(type->valuestring, "Group") == 0)) {
			cJSON_DeleteItemFromObjectCaseSensitive(node, "name");
		}
		/* Verbs and activities keep only their id. */
		if (cJSON_HasObjectItem(node, "display") && cJSON_HasObjectItem(node, "id") &&
		    !cJSON_HasObjectItem(node, "objectType")) {
			cJSON_DeleteItemFromObjectCaseSensitive(node, "display");
		}
		if (cJSON_HasObjectItem(node, "definition") && cJSON_HasObjectItem(node, "id") &&
		    (!cJSON_IsString(type) || strcmp(type->valuestring, "Activity") == 0)) {
			cJSON_DeleteItemFromObjectCaseSensitive(node, "definition");
		}
	}
	for (child = node->child; child; child = child->next) {
		reduce_agents(child);
	}
}

static int single(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx, const char *id,
                  int voided, int ids_format)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (!relais_xapi_uuid_ok(id)) {
		return reply_error(reply, 400,
		                   voided ? "voidedStatementId must be a UUID"
		                          : "statementId must be a UUID");
	}
	if (sqlite3_prepare_v2(hub->db,
	                       "SELECT body FROM statement WHERE id = lower(?) AND voided = ?", -1,
	                       &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, voided);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 0);
		if (ids_format) {
			cJSON *o = cJSON_Parse(body);
			reduce_agents(o);
			reply->body = o ? cJSON_PrintUnformatted(o) : NULL;
			cJSON_Delete(o);
		} else {
			reply->body = strdup(body);
		}
		reply->status = 200;
		rc = reply->body ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if (step == SQLITE_DONE) {
		rc = reply_error(reply, 404, "no such statement");
	} else {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_hub_get(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const struct relais_hub_param *params, size_t n)
{
	static const char *const known_params[] = {"statementId",
	                                           "voidedStatementId",
	                                           "agent",
	                                           "verb",
	                                           "activity",
	                                           "registration",
	                                           "related_activities",
	                                           "related_agents",
	                                           "since",
	                                           "until",
	                                           "limit",
	                                           "format",
	                                           "attachments",
	                                           "ascending",
	                                           "cursor",
	                                           NULL};
	const char *sid = param(params, n, "statementId");
	const char *vid = param(params, n, "voidedStatementId");
	const char *agent_json = param(params, n, "agent"), *verb = param(params, n, "verb");
	const char *activity = param(params, n, "activity");
	const char *registration = param(params, n, "registration");
	const char *since = param(params, n, "since"), *until = param(params, n, "until");
	const char *limit_s = param(params, n, "limit"), *format = param(params, n, "format");
	const char *ascending = param(params, n, "ascending"), *cursor = param(params, n, "cursor");
	const char *related_agents = param(params, n, "related_agents");
	const char *related_activities = param(params, n, "related_activities");
	const char *attachments = param(params, n, "attachments");
	char sql[2048], *agent_key = NULL;
	struct relais_strbuf page = {.max = PAGE_BYTES_MAX};
	size_t i, rows = 0;
	long long since_ms = -1, until_ms = -1, after = -1;
	long limit = 100;
	int asc = 0, ids_format = 0, rc = 0, step;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 last_seq = 0;

	memset(reply, 0, sizeof(*reply));
	relais_now_iso(reply->consistent);
	for (i = 0; i < n; i++) {
		const char *const *k;
		for (k = known_params; *k && strcmp(*k, params[i].name) != 0; k++) {
		}
		if (*k == NULL) {
			char msg[160];
			(void)snprintf(msg, sizeof(msg), "unknown parameter %.100s",
			               params[i].name);
			return reply_error(reply, 400, msg);
		}
		if (strlen(params[i].value) > QUERY_VALUE_MAX) {
			return reply_error(reply, 400, "a parameter is too long");
		}
	}
	if (format != NULL && strcmp(format, "exact") != 0 && strcmp(format, "ids") != 0 &&
	    strcmp(format, "canonical") != 0) {
		return reply_error(reply, 400, "format must be ids, exact or canonical");
	}
	ids_format = format != NULL && strcmp(format, "ids") == 0;
	if (attachments != NULL && strcmp(attachments, "false") != 0 &&
	    strcmp(attachments, "true") != 0) {
		return reply_error(reply, 400, "attachments must be true or false");
	}
	if (sid != NULL || vid != NULL) {
		for (i = 0; i < n; i++) {
			if (strcmp(params[i].name, "format") != 0 &&
			    strcmp(params[i].name, "attachments") != 0 &&
			    strcmp(params[i].name, sid ? "statementId" : "voidedStatementId") !=
			            0) {
				return reply_error(
				        reply, 400,
				        "statementId and voidedStatementId take no other "
				        "filter");
			}
		}
		return single(reply, hub, ctx, sid ? sid : vid, vid != NULL, ids_format);
	}
	if (limit_s != NULL) {
		char *end;
		limit = strtol(limit_s, &end, 10);
		if (*end != '\0' || limit < 0) {
			return reply_error(reply, 400, "limit must be a non-negative integer");
		}
	}
	if (limit == 0 || limit > RELAIS_HUB_PAGE_MAX) {
		limit = RELAIS_HUB_PAGE_MAX;
	}
	if (ascending != NULL) {
		if (strcmp(ascending, "true") != 0 && strcmp(ascending, "false") != 0) {
			return reply_error(reply, 400, "ascending must be true or false");
		}
		asc = strcmp(ascending, "true") == 0;
	}
	if (since != NULL && (since_ms = relais_hub_parse_time(since)) < 0) {
		return reply_error(reply, 400, "since must be an ISO 8601 time");
	}
	if (until != NULL && (until_ms = relais_hub_parse_time(until)) < 0) {
		return reply_error(reply, 400, "until must be an ISO 8601 time");
	}
	if (cursor != NULL) {
		char *end;
		after = strtoll(cursor, &end, 10);
		if (*end != '\0' || after < 0) {
			return reply_error(reply, 400, "cursor is not one this hub made");
		}
	}
	if (related_agents != NULL && strcmp(related_agents, "true") != 0 &&
	    strcmp(related_agents, "false") != 0) {
		return reply_error(reply, 400, "related_agents must be true or false");
	}
	if (related_activities != NULL && strcmp(related_activities, "true") != 0 &&
	    strcmp(related_activities, "false") != 0) {
		return reply_error(reply, 400, "related_activities must be true or false");
	}
	if (agent_json != NULL) {
		cJSON *a = cJSON_Parse(agent_json);
		agent_key = relais_xapi_agent_key(a);
		cJSON_Delete(a);
		if (agent_key == NULL) {
			return reply_error(reply, 400,
			                   "agent must be an Agent or identified Group as JSON");
		}
	}
	if ((verb != NULL && strchr(verb, ':') == NULL) ||
	    (activity != NULL && strchr(activity, ':') == NULL)) {
		free(agent_key);
		return reply_error(reply, 400, "verb and activity must be IRIs");
	}
	if (registration != NULL && !relais_xapi_uuid_ok(registration)) {
		free(agent_key);
		return reply_error(reply, 400, "registration must be a UUID");
	}
	{
		/* What the filters ask of a statement, written for alias t: the
		 * statement itself (t = s), and, when filtering, the statement a
		 * StatementRef points at (t = its target), since xAPI returns a
		 * statement whose target meets the filters (XAPI-00162). Both arms
		 * walk an index in seq order under the LIMIT. */
		char own[768], target[768];
		int filtering = agent_key || verb || activity || registration;
		int rel_agents = related_agents && strcmp(related_agents, "true") == 0;
		int rel_acts = related_activities && strcmp(related_activities, "true") == 0;
		const char *dir = asc ? "ASC" : "DESC";
		const char *window = cursor ? (asc ? " AND s.seq > ?7" : " AND s.seq < ?7") : "";

		for (int arm = 0; arm < 2; arm++) {
			const char *t = arm == 0 ? "s" : "t";
			char *buf = arm == 0 ? own : target;
			(void)snprintf(
			        buf, sizeof(own), "%s%s%s%s%s%s%s%s%s%s%s%s",
			        agent_key ? (rel_agents ? " AND " : " AND (") : "",
			        agent_key ? t : "",
			        agent_key
			                ? (rel_agents ? ".seq IN (SELECT seq FROM statement_agent "
			                                "WHERE agent = ?1)"
			                              : ".actor = ?1 OR (")
			                : "",
			        agent_key && !rel_agents ? t : "",
			        agent_key && !rel_agents ? ".object_kind = 2 AND " : "",
			        agent_key && !rel_agents ? t : "",
			        agent_key && !rel_agents ? ".object_id = ?1))" : "",
			        verb ? (arm == 0 ? " AND s.verb = ?2" : " AND t.verb = ?2") : "",
			        activity ? (rel_acts ? (arm == 0 ? " AND s.seq IN (SELECT seq FROM "
			                                           "statement_activity WHERE "
			                                           "activity = ?3)"
			                                         : " AND t.seq IN (SELECT seq FROM "
			                                           "statement_activity WHERE "
			                                           "activity = ?3)")
			                             : (arm == 0 ? " AND s.object_kind = 1 AND "
			                                           "s.object_id = ?3"
			                                         : " AND t.object_kind = 1 AND "
			                                           "t.object_id = ?3"))
			                 : "",
			        registration ? (arm == 0 ? " AND s.registration = lower(?4)"
			                                 : " AND t.registration = lower(?4)")
			                     : "",
			        since ? " AND s.stored_ms > ?5" : "",
			        until ? " AND s.stored_ms <= ?6" : "");
		}
		if (filtering) {
			(void)snprintf(
			        sql, sizeof(sql),
			        "SELECT seq, body FROM (SELECT * FROM (SELECT s.seq AS seq, s.body "
			        "AS body FROM statement s WHERE s.voided = 0%s%s ORDER BY s.seq %s "
			        "LIMIT ?8) UNION SELECT * FROM (SELECT s.seq, s.body FROM "
			        "statement "
			        "s JOIN statement t ON t.seq = s.target_seq WHERE s.target_seq IS "
			        "NOT NULL AND s.voided = 0%s%s ORDER BY s.seq %s LIMIT ?8)) ORDER "
			        "BY seq %s LIMIT ?8",
			        own, window, dir, target, window, dir, dir);
		} else {
			(void)snprintf(sql, sizeof(sql),
			               "SELECT s.seq, s.body FROM statement s WHERE s.voided = "
			               "0%s%s ORDER "
			               "BY s.seq %s LIMIT ?8",
			               own, window, dir);
		}
	}
	if (sqlite3_prepare_v2(hub->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	if (agent_key) {
		sqlite3_bind_text(st, 1, agent_key, -1, SQLITE_STATIC);
	}
	if (verb) {
		sqlite3_bind_text(st, 2, verb, -1, SQLITE_STATIC);
	}
	if (activity) {
		sqlite3_bind_text(st, 3, activity, -1, SQLITE_STATIC);
	}
	if (registration) {
		sqlite3_bind_text(st, 4, registration, -1, SQLITE_STATIC);
	}
	if (since) {
		sqlite3_bind_int64(st, 5, since_ms);
	}
	if (until) {
		sqlite3_bind_int64(st, 6, until_ms);
	}
	if (cursor) {
		sqlite3_bind_int64(st, 7, after);
	}
	sqlite3_bind_int64(st, 8, limit + 1);
	relais_strbuf_add(&page, "{\"statements\":[");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 1);
		if (rows == (size_t)limit) {
			break; /* one more than asked: there is a next page */
		}
		last_seq = sqlite3_column_int64(st, 0);
		if (rows > 0) {
			relais_strbuf_add(&page, ",");
		}
		if (ids_format) {
			cJSON *o = cJSON_Parse(body);
			char *reduced;
			reduce_agents(o);
			reduced = o ? cJSON_PrintUnformatted(o) : NULL;
			cJSON_Delete(o);
			if (reduced == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
				goto out;
			}
			relais_strbuf_add(&page, reduced);
			free(reduced);
		} else {
			relais_strbuf_add(&page, body);
		}
		rows++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	relais_strbuf_add(&page, "],\"more\":\"");
	if (step == SQLITE_ROW) {
		/* The same query, after the last statement of this page. */
		struct relais_strbuf more = {.max = 64 * 1024};
		relais_strbuf_add(&more, "/xapi/statements?");
		for (i = 0; i < n; i++) {
			if (strcmp(params[i].name, "cursor") != 0) {
				relais_strbuf_add_url(&more, params[i].name);
				relais_strbuf_add(&more, "=");
				relais_strbuf_add_url(&more, params[i].value);
				relais_strbuf_add(&more, "&");
			}
		}
		relais_strbuf_printf(&more, "cursor=%lld", (long long)last_seq);
		if (more.rc != 0) {
			relais_strbuf_free(&more);
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		relais_strbuf_add(&page, more.p);
		reply->more = more.p;
	}
	relais_strbuf_add(&page, "\"}");
	if (page.rc != 0) {
		free(reply->more);
		reply->more = NULL;
		rc = relais_fail(ctx, page.rc, "a page of statements: %s",
		                 page.rc == RELAIS_ELIMIT ? "too large" : "out of memory");
		goto out;
	}
	reply->status = 200;
	reply->body = page.p;
	page.p = NULL;
out:
	sqlite3_finalize(st);
	free(agent_key);
	relais_strbuf_free(&page);
	return rc;
}

/* Keeps ctx's message and sets its status. */
static void ctx_status(relais_ctx *ctx, int status)
{
	char msg[512];

	(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
	relais_fail(ctx, status, "%s", msg);
}

int relais_hub_import(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *authority)
{
	struct relais_hub_reply reply = {0};
	char *raw = NULL, *json = NULL;
	size_t raw_len = 0, json_len = 0;
	cJSON *doc = NULL, *items;
	const cJSON *format, *version;
	int rc;

	*stored = *known = 0;
	if ((rc = relais_file_read(&raw, &raw_len, ctx, path, IMPORT_FILE_MAX)) != 0) {
		return rc;
	}
	rc = relais_gunzip(&json, &json_len, raw, raw_len, IMPORT_JSON_MAX);
	if (rc != 0) {
		rc = relais_fail(ctx, rc == -2 ? RELAIS_ELIMIT : RELAIS_EFORMAT,
		                 rc == -2 ? "%s: inflates past the limit"
		                          : "%s: not a gzip file, or a damaged one",
		                 path);
		goto out;
	}
	doc = cJSON_ParseWithLength(json, json_len);
	format = cJSON_GetObjectItemCaseSensitive(doc, "format");
	version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	items = cJSON_GetObjectItemCaseSensitive(doc, "statements");
	if (!cJSON_IsString(format) || strcmp(format->valuestring, "relais-records") != 0 ||
	    !cJSON_IsNumber(version) || version->valueint != 1 || !cJSON_IsArray(items)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a relais-records file (version 1)",
		                 path);
		goto out;
	}
	if (cJSON_GetArraySize(items) == 0) {
		goto out;
	}
	rc = store_all(&reply, hub, ctx, items, 1, NULL, authority, stored, known);
	if (rc == 0 && reply.status != 200) {
		/* The store left the statement's problem on ctx; name the file. */
		ctx_status(ctx, reply.status == 409 ? RELAIS_EEXIST : RELAIS_EFORMAT);
		rc = relais_prefix(ctx, "%s", path);
	}
out:
	relais_hub_reply_clear(&reply);
	cJSON_Delete(doc);
	free(json);
	free(raw);
	return rc;
}

int relais_hub_count(int64_t *out, relais_hub *hub, relais_ctx *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	*out = 0;
	if (sqlite3_prepare_v2(hub->db, "SELECT count(*) FROM statement", -1, &st, NULL) !=
	            SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "statements");
	} else {
		*out = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc;
}
