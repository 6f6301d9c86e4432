/* store.c: the hub database: opening it, its numbered migrations, the statement cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/strbuf.h"

/* Migration 12 fills the reports' tables from the statements already held. */
#define FILL_LEARNER_COURSE "INSERT INTO learner_course " RELAIS_HUB_LEARNER_COURSE("1 = 1") ";"
#define FILL_ACTIVITY_LEARNER                                                                      \
	"INSERT INTO activity_learner " RELAIS_HUB_ACTIVITY_LEARNER("1 = 1") ";"
#define FILL_ACTIVITY_TALLY "INSERT INTO activity_tally " RELAIS_HUB_ACTIVITY_TALLY("1 = 1") ";"
#define FILL_UNSCORED_ANSWER                                                                       \
	"INSERT INTO unscored_answer SELECT seq FROM statement WHERE verb_term "                   \
	"= " RELAIS_HUB_VERB_TERM("answered") " AND success IS NULL;"

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
        /* 2: settings of the store itself, e.g. identity_rule (rehash()). */
        "CREATE TABLE hub_setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        /* 3: credentials get scopes (those made before: a laptop's, write,
         * read-mine, void-mine) and can be revoked; each statement records
         * the credential that stored it (NULL for the statements stored
         * before: they can be read with read-all and voided with void-all
         * only); laptops' signing keys, registered against a credential. */
        "ALTER TABLE credential ADD COLUMN scopes INTEGER NOT NULL DEFAULT 11;"
        "ALTER TABLE credential ADD COLUMN revoked TEXT;"
        "ALTER TABLE statement ADD COLUMN credential TEXT;"
        "CREATE INDEX statement_credential ON statement(credential, seq);"
        "CREATE TABLE laptop_key ("
        "  key_id TEXT PRIMARY KEY,"
        "  credential TEXT NOT NULL REFERENCES credential(key),"
        "  public_key TEXT NOT NULL,"
        "  registered TEXT NOT NULL);",
        /* 4: failed coordinator sign-ins, per account and per address, for
         * lockout; in the database so that hub nodes sharing it agree. */
        "CREATE TABLE login_failure ("
        "  kind TEXT NOT NULL,"
        "  who TEXT NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  locked_until INTEGER NOT NULL,"
        "  last_failure INTEGER NOT NULL,"
        "  PRIMARY KEY (kind, who)) WITHOUT ROWID;",
        /* 5: publishing (catalogue.c): the publisher keys whose bundles the
         * hub distributes, every bundle published (state current: listed;
         * previous: superseded; withdrawn: unpublished), the deltas between
         * them, and the signed catalogue as served (the latest only). IF NOT
         * EXISTS: a database taken back to an earlier version (tests do) keeps
         * its tables. */
        "CREATE TABLE IF NOT EXISTS publisher ("
        "  key_id TEXT PRIMARY KEY,"
        "  public_key TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  added TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS published_bundle ("
        "  sha256 TEXT PRIMARY KEY,"
        "  course TEXT NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  title TEXT NOT NULL,"
        "  language TEXT NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  publisher TEXT NOT NULL,"
        "  audience TEXT NOT NULL,"
        "  required INTEGER NOT NULL,"
        "  due TEXT,"
        "  published TEXT NOT NULL,"
        "  state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'withdrawn')),"
        "  UNIQUE (course, version));"
        "CREATE INDEX IF NOT EXISTS published_bundle_state ON published_bundle(state, course);"
        "CREATE TABLE IF NOT EXISTS published_delta ("
        "  from_sha256 TEXT NOT NULL,"
        "  to_sha256 TEXT NOT NULL,"
        "  from_version INTEGER NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  sha256 TEXT NOT NULL,"
        "  PRIMARY KEY (from_sha256, to_sha256)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS catalogue ("
        "  serial INTEGER PRIMARY KEY,"
        "  body BLOB NOT NULL,"
        "  signature BLOB NOT NULL,"
        "  etag TEXT NOT NULL,"
        "  signature_etag TEXT NOT NULL,"
        "  expires_ms INTEGER NOT NULL);",
        /* 6: xAPI documents (State, Activity Profile, Agent Profile; kind is
         * RELAIS_HUB_RES_*), keyed by activity, agent identifier,
         * registration and id ('' where a resource has none); credential is
         * the one that first stored it. */
        "CREATE TABLE document ("
        "  kind INTEGER NOT NULL,"
        "  activity TEXT NOT NULL,"
        "  agent TEXT NOT NULL,"
        "  registration TEXT NOT NULL,"
        "  doc_id TEXT NOT NULL,"
        "  content_type TEXT NOT NULL,"
        "  body BLOB NOT NULL,"
        "  etag TEXT NOT NULL,"
        "  updated TEXT NOT NULL,"
        "  updated_ms INTEGER NOT NULL,"
        "  credential TEXT,"
        "  UNIQUE (kind, activity, agent, registration, doc_id));",
        /* 7: publisher keys that change (catalogue.c): the key rotation
         * records the hub verified and carries in its catalogue, in the order
         * taken, and the keys it revoked (their name kept for the list). */
        "CREATE TABLE IF NOT EXISTS publisher_rotation ("
        "  seq INTEGER PRIMARY KEY,"
        "  old_key TEXT NOT NULL,"
        "  new_key TEXT NOT NULL,"
        "  record TEXT NOT NULL,"
        "  taken TEXT NOT NULL,"
        "  UNIQUE (old_key, new_key));"
        "CREATE TABLE IF NOT EXISTS publisher_revoked ("
        "  key_id TEXT PRIMARY KEY,"
        "  name TEXT,"
        "  date TEXT NOT NULL,"
        "  reason TEXT NOT NULL);",
        /* 8: each credential's documents, to hold them to
         * --max-documents-per-credential without reading the whole table. */
        "CREATE INDEX IF NOT EXISTS document_credential ON document(credential);",
        /* 9: certificates the hub issued (certificates.c): one per learner
         * and course, its code as signed; revoked with a date and reason.
         * IF NOT EXISTS: a database taken back to an earlier version keeps it. */
        "CREATE TABLE IF NOT EXISTS certificate ("
        "  id INTEGER PRIMARY KEY,"
        "  actor TEXT NOT NULL,"
        "  course TEXT NOT NULL,"
        "  code TEXT NOT NULL,"
        "  issued TEXT NOT NULL,"
        "  revoked TEXT,"
        "  reason TEXT,"
        "  UNIQUE (actor, course));",
        /* 10: attachment data sent with statements (attachments.c), once per
         * sha2; credential is the one that first stored it, whose total
         * --max-attachments-per-credential bounds. */
        "CREATE TABLE IF NOT EXISTS attachment ("
        "  sha2 TEXT PRIMARY KEY,"
        "  content_type TEXT NOT NULL,"
        "  length INTEGER NOT NULL,"
        "  data BLOB NOT NULL,"
        "  credential TEXT NOT NULL,"
        "  stored TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS attachment_credential ON attachment(credential, length);",
        /* 11: agents, verbs, activities and
         * courses as small integers (term) in the indexes, which held their
         * text: each statement wrote about 540 pages of WAL in a batch of 100,
         * 310 now. The text columns stay for the reports and bodies. */
        "CREATE TABLE term (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);"
        "INSERT OR IGNORE INTO term(text) SELECT actor FROM statement;"
        "INSERT OR IGNORE INTO term(text) SELECT verb FROM statement;"
        "INSERT OR IGNORE INTO term(text) SELECT object_id FROM statement "
        "  WHERE object_id IS NOT NULL;"
        "INSERT OR IGNORE INTO term(text) SELECT course FROM statement WHERE course IS NOT NULL;"
        "INSERT OR IGNORE INTO term(text) SELECT agent FROM statement_agent;"
        "INSERT OR IGNORE INTO term(text) SELECT activity FROM statement_activity;"
        "ALTER TABLE statement ADD COLUMN actor_term INTEGER;"
        "ALTER TABLE statement ADD COLUMN verb_term INTEGER;"
        "ALTER TABLE statement ADD COLUMN object_term INTEGER;"
        "ALTER TABLE statement ADD COLUMN course_term INTEGER;"
        "UPDATE statement SET actor_term = (SELECT id FROM term WHERE text = actor),"
        "  verb_term = (SELECT id FROM term WHERE text = verb),"
        "  object_term = (SELECT id FROM term WHERE text = object_id),"
        "  course_term = (SELECT id FROM term WHERE text = course);"
        "DROP INDEX statement_actor;"
        "DROP INDEX statement_verb;"
        "DROP INDEX statement_object;"
        "DROP INDEX statement_course;"
        "CREATE INDEX statement_actor ON statement(actor_term, seq);"
        "CREATE INDEX statement_verb ON statement(verb_term, seq);"
        "CREATE INDEX statement_object ON statement(object_term, seq);"
        "CREATE INDEX statement_course ON statement(course_term, verb_term);"
        "CREATE TABLE statement_agent_term (term INTEGER NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (term, seq)) WITHOUT ROWID;"
        "INSERT INTO statement_agent_term SELECT t.id, a.seq FROM statement_agent a"
        "  JOIN term t ON t.text = a.agent;"
        "DROP TABLE statement_agent;"
        "ALTER TABLE statement_agent_term RENAME TO statement_agent;"
        "CREATE TABLE statement_activity_term (term INTEGER NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (term, seq)) WITHOUT ROWID;"
        "INSERT INTO statement_activity_term SELECT t.id, a.seq FROM statement_activity a"
        "  JOIN term t ON t.text = a.activity;"
        "DROP TABLE statement_activity;"
        "ALTER TABLE statement_activity_term RENAME TO statement_activity;",
        /* 12: reports for coordinators (docs/hub.md, "Reports"): each learner's
         * state in each course, kept up to date as statements arrive
         * (progress.c) so that reports read one row per learner and course
         * (and per learner and question);
         * organisations' countries; a coordinator's organisation (NULL: an
         * administrator, as every coordinator made before). */
        "CREATE TABLE learner_course ("
        "actor_term INTEGER NOT NULL,"
        "course_term INTEGER NOT NULL,"
        "course TEXT NOT NULL,"
        "actor TEXT NOT NULL,"
        "name TEXT,"
        "organisation TEXT,"
        "started TEXT NOT NULL,"
        "completed TEXT,"
        "passed TEXT,"
        "last TEXT NOT NULL,"
        "credential TEXT,"
        "PRIMARY KEY (course_term, actor_term));"
        "CREATE INDEX learner_course_actor ON learner_course(actor_term);"
        "CREATE INDEX learner_course_organisation ON learner_course(organisation, course_term);"
        "CREATE INDEX learner_course_completed ON learner_course(completed)"
        "WHERE completed IS NOT NULL;" FILL_LEARNER_COURSE "CREATE TABLE activity_learner ("
        "object_term INTEGER NOT NULL,"
        "actor_term INTEGER NOT NULL,"
        "kind INTEGER NOT NULL," /* 1: a question's answers; 2: a quiz's verdicts */
        "course_term INTEGER NOT NULL,"
        "course TEXT NOT NULL,"
        "quiz TEXT NOT NULL,"
        "object_id TEXT NOT NULL,"
        "organisation TEXT NOT NULL,"
        "tries INTEGER NOT NULL,"
        "missed INTEGER NOT NULL,"
        "passes INTEGER NOT NULL,"
        "score_sum REAL NOT NULL,"
        "scored INTEGER NOT NULL,"
        "first TEXT NOT NULL,"
        "last TEXT NOT NULL,"
        "PRIMARY KEY (object_term, actor_term));"
        "CREATE INDEX activity_learner_course ON activity_learner(course_term, kind);"
        "CREATE INDEX activity_learner_last ON activity_learner(kind, last);"
        "CREATE TABLE activity_tally ("
        "object_term INTEGER NOT NULL,"
        "organisation TEXT NOT NULL,"
        "kind INTEGER NOT NULL,"
        "course_term INTEGER NOT NULL,"
        "course TEXT NOT NULL,"
        "quiz TEXT NOT NULL,"
        "object_id TEXT NOT NULL,"
        "learners INTEGER NOT NULL,"
        "learners_missed INTEGER NOT NULL,"
        "learners_passed INTEGER NOT NULL,"
        "tries INTEGER NOT NULL,"
        "passes INTEGER NOT NULL,"
        "score_sum REAL NOT NULL,"
        "scored INTEGER NOT NULL,"
        "PRIMARY KEY (object_term, organisation));" FILL_ACTIVITY_LEARNER FILL_ACTIVITY_TALLY
        /* Answers without a score (essays among them): the essays report reads these. */
        "CREATE TABLE unscored_answer (seq INTEGER PRIMARY KEY);" FILL_UNSCORED_ANSWER
        "CREATE TABLE organisation (name TEXT PRIMARY KEY, country TEXT);"
        "ALTER TABLE coordinator ADD COLUMN organisation TEXT;",
};

/* Recomputes every stored statement's identity hash under today's rule. */
static int rehash(relais_hub *hub, relais_ctx *ctx)
{
	sqlite3_stmt *rd = NULL, *wr = NULL;
	char hash[65];
	int rc = 0, step;

	if (sqlite3_prepare_v2(hub->db, "SELECT seq, body FROM statement", -1, &rd, NULL) !=
	            SQLITE_OK ||
	    sqlite3_prepare_v2(hub->db, "UPDATE statement SET identity_hash = ? WHERE seq = ?", -1,
	                       &wr, NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
		goto out;
	}
	while ((step = sqlite3_step(rd)) == SQLITE_ROW) {
		cJSON *st = cJSON_ParseWithLength((const char *)sqlite3_column_text(rd, 1),
		                                  (size_t)sqlite3_column_bytes(rd, 1));
		rc = st ? relais_hub_identity_hash(hash, hub, ctx, st)
		        : relais_fail(ctx, RELAIS_EFORMAT, "statement %lld: unreadable body",
		                      (long long)sqlite3_column_int64(rd, 0));
		cJSON_Delete(st);
		if (rc != 0) {
			goto out;
		}
		sqlite3_bind_text(wr, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(wr, 2, sqlite3_column_int64(rd, 0));
		if (sqlite3_step(wr) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
			goto out;
		}
		sqlite3_reset(wr);
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
	}
out:
	sqlite3_finalize(rd);
	sqlite3_finalize(wr);
	return rc;
}

/* The writer's checkpoint threshold, in pages of the WAL (SQLite's default: 1000). */
#define WAL_PAGES "16000"

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

int relais_hub_write(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql, const char *what,
                     const char *const *texts, size_t n)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0;

	if (relais_hub_stmt(hub, slot, sql, &st) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, what);
	}
	for (i = 0; i < n; i++) {
		if (texts[i] != NULL) {
			sqlite3_bind_text(st, (int)i + 1, texts[i], -1, SQLITE_STATIC);
		}
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, what);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st); /* the texts are the caller's */
	return rc;
}

/*
 * The rule relais_xapi_identity() follows; raised whenever it changes, so
 * that the stored hashes are recomputed (rehash()) once, at open:
 * 1: members sorted, LRS-set properties left out;
 * 2: compared as xAPI 1.0.3 says (UUID case, times as instants, no verb
 *    displays or activity definitions, e-mail domain case, member order);
 * 3: and result.duration to 0.01 s (1.0.3 Data 4.6, 2.0 4.2.7), and the
 *    agents of 2.0's contextAgents and contextGroups as agents.
 */
#define IDENTITY_RULE 3

/* Brings the stored identity hashes to IDENTITY_RULE, in one transaction. */
static int identities_current(relais_hub *hub, relais_ctx *ctx)
{
	sqlite3_stmt *st = NULL;
	int rule = 1, rc = 0;
	char value[16];

	if (sqlite3_prepare_v2(hub->db, "SELECT value FROM hub_setting WHERE key = 'identity_rule'",
	                       -1, &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		rule = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (rule >= IDENTITY_RULE) {
		return 0;
	}
	(void)snprintf(value, sizeof(value), "%d", IDENTITY_RULE);
	if (sqlite3_exec(hub->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	if ((rc = rehash(hub, ctx)) == 0 &&
	    (sqlite3_prepare_v2(hub->db,
	                        "INSERT INTO hub_setting(key, value) VALUES ('identity_rule', ?) "
	                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	                        -1, &st, NULL) != SQLITE_OK ||
	     sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_step(st) != SQLITE_DONE ||
	     sqlite3_exec(hub->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		sqlite3_exec(hub->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
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
		int rc = 0;
		if (sqlite3_exec(hub->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(hub->db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
		}
		if (rc == 0 && (sqlite3_exec(hub->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
		                sqlite3_exec(hub->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
		}
		if (rc != 0) {
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
	if (sqlite3_open_v2(path, &hub->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    relais_hub_vfs()) != SQLITE_OK) {
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
	if ((rc = migrate(hub, ctx)) != 0 || (rc = identities_current(hub, ctx)) != 0) {
		goto fail;
	}
	/* A hub that cannot write would accept connections and fail every
	 * sync: refuse to start instead. Taking the write lock proves it. */
	if (sqlite3_db_readonly(hub->db, "main") != 0 ||
	    sqlite3_exec(hub->db, "BEGIN IMMEDIATE; CREATE TEMP TABLE w(x); ROLLBACK", NULL, NULL,
	                 NULL) != SQLITE_OK) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: the hub cannot write to its database (%s)",
		                 path,
		                 sqlite3_db_readonly(hub->db, "main") != 0
		                         ? "the file or its folder is read-only"
		                         : sqlite3_errmsg(hub->db));
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

/*
 * A connection to the hub database at path (migrated by first), set up by
 * pragmas; flags adds to sqlite3_open_v2's (SQLITE_OPEN_NOMUTEX for one
 * that the caller's own lock guards).
 */
static int open_connection(relais_hub **out, relais_ctx *ctx, const char *path,
                           const relais_hub *first, const char *pragmas, int flags)
{
	relais_hub *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | flags, relais_hub_vfs()) !=
	            SQLITE_OK ||
	    sqlite3_exec(h->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = relais_db_fail(ctx, h->db, RELAIS_EIO, path);
		relais_hub_close(h);
		return rc;
	}
	sqlite3_busy_timeout(h->db, 60000);
	memcpy(h->dummy_hash, first->dummy_hash, sizeof(h->dummy_hash));
	*out = h;
	return 0;
}

int relais_hub_open_another(relais_hub **out, relais_ctx *ctx, relais_hub *first)
{
	const char *path = sqlite3_db_filename(first->db, "main");
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		return relais_fail(ctx, RELAIS_EINVAL, "an in-memory hub has one connection only");
	}
	if (first->writer == NULL) {
		struct relais_hub_writer *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		/* Used under w->lock only: SQLite's own mutexes are not needed.
		 * Synchronous FULL: each commit syncs the WAL before the POST is
		 * answered. Checkpoints move pages less often than SQLite's
		 * default (1,000 pages, about one batch of 100 statements), so
		 * that the index pages every batch touches are copied once for
		 * many batches. */
		if ((rc = open_connection(&w->conn, ctx, path, first,
		                          "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
		                          "PRAGMA cache_size = -32768;"
		                          "PRAGMA wal_autocheckpoint = " WAL_PAGES ";",
		                          SQLITE_OPEN_NOMUTEX)) != 0) {
			free(w);
			return rc;
		}
		pthread_mutex_init(&w->lock, NULL);
		first->writer = w;
	}
	if ((rc = open_connection(out, ctx, path, first,
	                          "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	                          "PRAGMA cache_size = -8192;",
	                          0)) != 0) {
		return rc;
	}
	(*out)->shared = first->writer;
	return 0;
}

void relais_hub_close(relais_hub *hub)
{
	size_t i;

	if (hub != NULL) {
		if (hub->writer != NULL) {
			relais_hub_close(hub->writer->conn);
			pthread_mutex_destroy(&hub->writer->lock);
			free(hub->writer);
		}
		for (i = 0; i < HUB_CACHED; i++) {
			sqlite3_finalize(hub->cache[i]);
		}
		relais_hub_terms_clear(hub);
		free(hub->terms);
		relais_strbuf_free(&hub->scratch);
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

int relais_hub_reply_error(struct relais_hub_reply *r, unsigned status, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	r->status = status;
	cJSON_AddStringToObject(o, "error", message);
	free(r->body);
	r->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return r->body ? 0 : RELAIS_ENOMEM;
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
