/* home.c: the home folder, its database (SQLite, WAL) and schema migrations. */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"

#define PATH_LEN 4096
#define BUSY_TIMEOUT_MS 60000

struct relais_home {
	sqlite3 *db;
	char path[PATH_LEN];
	char library[PATH_LEN + 16];
	int schema;
};

/*
 * The schema, one migration per entry, applied in order, each in its own
 * transaction with PRAGMA user_version recording how far the database is.
 * Append only: never edit a migration that has shipped.
 */
static const char *const migrations[] = {
        /* 1: learners, publishers, courses, progress, outbox, settings, search. */
        "CREATE TABLE profile ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  email TEXT NOT NULL UNIQUE,"
        "  org TEXT NOT NULL DEFAULT '',"
        "  created TEXT NOT NULL);"
        "CREATE TABLE trusted_key ("
        "  id TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  public_key TEXT NOT NULL,"
        "  added TEXT NOT NULL);"
        "CREATE TABLE course ("
        "  id TEXT PRIMARY KEY,"
        "  version INTEGER NOT NULL,"
        "  title TEXT NOT NULL,"
        "  language TEXT NOT NULL,"
        "  summary TEXT NOT NULL,"
        "  estimated_minutes INTEGER NOT NULL,"
        "  signer TEXT NOT NULL,"
        "  file TEXT NOT NULL,"
        "  installed TEXT NOT NULL);"
        "CREATE TABLE unit ("
        "  course_id TEXT NOT NULL REFERENCES course(id) ON DELETE CASCADE,"
        "  position INTEGER NOT NULL,"
        "  id TEXT NOT NULL,"
        "  title TEXT NOT NULL,"
        "  kind TEXT NOT NULL CHECK (kind IN ('lesson', 'quiz')),"
        "  path TEXT NOT NULL,"
        "  pass_percent INTEGER NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (course_id, id));"
        "CREATE TABLE progress ("
        "  profile_id INTEGER NOT NULL REFERENCES profile(id) ON DELETE CASCADE,"
        "  course_id TEXT NOT NULL,"
        "  unit_id TEXT NOT NULL,"
        "  viewed INTEGER NOT NULL DEFAULT 0,"
        "  attempts INTEGER NOT NULL DEFAULT 0,"
        "  best_percent INTEGER NOT NULL DEFAULT -1,"
        "  passed INTEGER NOT NULL DEFAULT 0,"
        "  updated TEXT NOT NULL,"
        "  PRIMARY KEY (profile_id, course_id, unit_id));"
        "CREATE TABLE completion ("
        "  profile_id INTEGER NOT NULL REFERENCES profile(id) ON DELETE CASCADE,"
        "  course_id TEXT NOT NULL,"
        "  completed TEXT NOT NULL,"
        "  PRIMARY KEY (profile_id, course_id));"
        "CREATE TABLE outbox ("
        "  seq INTEGER PRIMARY KEY,"
        "  id TEXT NOT NULL UNIQUE,"
        "  profile_id INTEGER NOT NULL,"
        "  verb TEXT NOT NULL,"
        "  object TEXT NOT NULL,"
        "  statement TEXT NOT NULL,"
        "  created TEXT NOT NULL,"
        "  sent TEXT,"
        "  set_aside TEXT);"
        "CREATE INDEX outbox_pending ON outbox(seq) WHERE sent IS NULL AND set_aside IS NULL;"
        "CREATE TABLE setting ("
        "  key TEXT PRIMARY KEY,"
        "  value TEXT NOT NULL);"
        "CREATE VIRTUAL TABLE lesson_text USING fts5("
        "  course_id UNINDEXED, unit_id UNINDEXED, title, body,"
        "  tokenize = 'unicode61 remove_diacritics 2');",
        /* 2: why a hub refused a statement, for the learner to see. */
        "ALTER TABLE outbox ADD COLUMN refusal TEXT;",
        /* 3: each course id belongs to the publisher key that first installed
         * it, even after the course is removed (its progress stays). */
        "CREATE TABLE course_publisher ("
        "  course_id TEXT PRIMARY KEY,"
        "  signer TEXT NOT NULL,"
        "  bound TEXT NOT NULL);"
        "INSERT INTO course_publisher(course_id, signer, bound) "
        "  SELECT id, signer, installed FROM course;",
        /* 4: a learner may keep their place on a shared laptop with a PIN. */
        "ALTER TABLE profile ADD COLUMN pin_hash TEXT;",
        /* 5: courses down (docs/catalogue.md): hub keys trusted as distributors,
         * apart from publishers, each with the last catalogue accepted from it
         * (serial, ETag, bytes, signature); downloads in progress. */
        "CREATE TABLE hub_key ("
        "  id TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  public_key TEXT NOT NULL,"
        "  added TEXT NOT NULL,"
        "  serial INTEGER NOT NULL DEFAULT 0,"
        "  etag TEXT,"
        "  catalogue BLOB,"
        "  signature TEXT,"
        "  accepted TEXT);"
        "CREATE TABLE download ("
        "  sha256 TEXT PRIMARY KEY,"
        "  course_id TEXT NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  kind TEXT NOT NULL CHECK (kind IN ('bundle', 'delta')),"
        "  started TEXT NOT NULL);",
        /* 6: each quiz attempt, from its start (the
         * seed of its order, its deadline) to its submission (its responses). */
        "CREATE TABLE quiz_attempt ("
        "  id INTEGER PRIMARY KEY,"
        "  profile_id INTEGER NOT NULL REFERENCES profile(id) ON DELETE CASCADE,"
        "  course_id TEXT NOT NULL,"
        "  unit_id TEXT NOT NULL,"
        "  seed INTEGER NOT NULL,"
        "  started INTEGER NOT NULL,"
        "  deadline INTEGER,"
        "  submitted TEXT,"
        "  late INTEGER NOT NULL DEFAULT 0,"
        "  percent INTEGER,"
        "  responses TEXT);"
        "CREATE UNIQUE INDEX quiz_attempt_open ON quiz_attempt(profile_id, course_id, unit_id) "
        "  WHERE submitted IS NULL;",
        /* 7: the version of each course each learner last opened, for the
         * library's "New" and "Updated" marks; a learner with progress in a
         * course has opened the version installed. */
        "CREATE TABLE course_opened ("
        "  profile_id INTEGER NOT NULL REFERENCES profile(id) ON DELETE CASCADE,"
        "  course_id TEXT NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  opened TEXT NOT NULL,"
        "  PRIMARY KEY (profile_id, course_id));"
        "INSERT INTO course_opened(profile_id, course_id, version, opened) "
        "  SELECT p.profile_id, p.course_id, c.version, MAX(p.updated) "
        "  FROM progress p JOIN course c ON c.id = p.course_id "
        "  GROUP BY p.profile_id, p.course_id;",
        /* 8: keys that change (docs/catalogue.md, "Key rotation", "Revoked keys"):
         * each rotation record accepted (old key endorsing new), and each
         * publisher key a trusted hub's catalogue revoked, trusted or not. */
        "CREATE TABLE key_rotation ("
        "  old TEXT NOT NULL,"
        "  new TEXT NOT NULL,"
        "  date TEXT NOT NULL,"
        "  accepted TEXT NOT NULL,"
        "  source TEXT NOT NULL,"
        "  PRIMARY KEY (old, new));"
        "CREATE TABLE revoked_key ("
        "  id TEXT PRIMARY KEY,"
        "  date TEXT NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  seen TEXT NOT NULL);",
        /* 9: certificates from hubs (docs/certificates.md), each kept as its
         * code, verified against a trusted hub key before it is stored;
         * revoked is the date the hub said it was revoked (NULL: valid).
         * IF NOT EXISTS: a database taken back to an earlier version keeps it. */
        "CREATE TABLE IF NOT EXISTS certificate ("
        "  key_id TEXT NOT NULL,"
        "  id INTEGER NOT NULL,"
        "  email TEXT NOT NULL,"
        "  course_id TEXT NOT NULL,"
        "  code TEXT NOT NULL,"
        "  received TEXT NOT NULL,"
        "  revoked TEXT,"
        "  PRIMARY KEY (key_id, id));",
        /* 10: each SCORM SCO's data model as its player last committed it
         * (docs/reader.md, "Packages"), to restore on the next launch, with
         * the statuses and score that decide its statements. */
        "CREATE TABLE IF NOT EXISTS package_state ("
        "  profile_id INTEGER NOT NULL,"
        "  course_id TEXT NOT NULL,"
        "  unit_id TEXT NOT NULL,"
        "  item_id TEXT NOT NULL,"
        "  cmi TEXT NOT NULL,"
        "  completion INTEGER NOT NULL DEFAULT -1,"
        "  success INTEGER NOT NULL DEFAULT -1,"
        "  score REAL,"
        "  done INTEGER NOT NULL DEFAULT 0,"
        "  updated TEXT NOT NULL,"
        "  PRIMARY KEY (profile_id, course_id, unit_id, item_id));",
        /* 11: cmi5 (docs/reader.md, "cmi5"): each learner's registration in
         * each cmi5 package unit, each AU session from its launch to its
         * end (verbs: the cmi5 verbs seen, as RELAIS_CMI5_V_* bits), and the
         * xAPI documents (State, Activity and Agent Profiles) AUs keep. */
        "CREATE TABLE IF NOT EXISTS cmi5_registration ("
        "  profile_id INTEGER NOT NULL,"
        "  course_id TEXT NOT NULL,"
        "  unit_id TEXT NOT NULL,"
        "  registration TEXT NOT NULL UNIQUE,"
        "  satisfied TEXT,"
        "  created TEXT NOT NULL,"
        "  PRIMARY KEY (profile_id, course_id, unit_id));"
        "CREATE TABLE IF NOT EXISTS cmi5_session ("
        "  id TEXT PRIMARY KEY,"
        "  profile_id INTEGER NOT NULL,"
        "  course_id TEXT NOT NULL,"
        "  unit_id TEXT NOT NULL,"
        "  au_id TEXT NOT NULL,"
        "  au_title TEXT NOT NULL,"
        "  registration TEXT NOT NULL,"
        "  launched INTEGER NOT NULL,"
        "  last INTEGER NOT NULL,"
        "  verbs INTEGER NOT NULL DEFAULT 0,"
        "  ended INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX IF NOT EXISTS cmi5_session_open ON cmi5_session(profile_id, au_id) "
        "  WHERE NOT ended;"
        "CREATE TABLE IF NOT EXISTS xapi_document ("
        "  resource INTEGER NOT NULL,"
        "  activity TEXT NOT NULL,"
        "  agent TEXT NOT NULL,"
        "  registration TEXT NOT NULL,"
        "  doc_id TEXT NOT NULL,"
        "  type TEXT NOT NULL,"
        "  body BLOB NOT NULL,"
        "  etag TEXT NOT NULL,"
        "  updated TEXT NOT NULL,"
        "  PRIMARY KEY (resource, activity, agent, registration, doc_id));",
        /* 12 (issue 14): trainer profiles (a PIN required; they take attendance),
         * and each profile's wrong PINs with the moment (UTC seconds) before
         * which no PIN of theirs is checked, so that a restart keeps the wait. */
        "ALTER TABLE profile ADD COLUMN trainer INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE IF NOT EXISTS pin_failure ("
        "  profile_id INTEGER PRIMARY KEY REFERENCES profile(id) ON DELETE CASCADE,"
        "  failures INTEGER NOT NULL,"
        "  until INTEGER NOT NULL);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int relais_db_fail(relais_ctx *ctx, sqlite3 *db, int status, const char *what)
{
	int code = sqlite3_errcode(db);

	/* In WAL mode a full disk often shows as an I/O error: ask the OS. */
	if (code == SQLITE_FULL || sqlite3_system_errno(db) == ENOSPC) {
		return relais_fail(ctx, RELAIS_EIO, "%s: the disk is full", what);
	}
	if (code == SQLITE_NOMEM) {
		return relais_fail(ctx, RELAIS_ENOMEM, "%s: out of memory", what);
	}
	return relais_fail(ctx, status, "%s: %s", what, sqlite3_errmsg(db));
}

sqlite3 *relais_home_db(relais_home *home)
{
	return home->db;
}

int relais_db_run(sqlite3_stmt *st, relais_home *home, relais_ctx *ctx, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0
	                                         : relais_db_fail(ctx, home->db, RELAIS_EIO, what);

	sqlite3_finalize(st);
	return rc;
}

int relais_db_prepare(sqlite3_stmt **out, relais_home *home, relais_ctx *ctx, const char *sql)
{
	if (sqlite3_prepare_v2(home->db, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return relais_db_fail(ctx, home->db, RELAIS_EIO, "database");
	}
	return 0;
}

int relais_db_begin(relais_home *home, relais_ctx *ctx)
{
	if (sqlite3_exec(home->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, home->db, RELAIS_EIO, "database");
	}
	return 0;
}

int relais_db_commit(relais_home *home, relais_ctx *ctx)
{
	if (sqlite3_exec(home->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = relais_db_fail(ctx, home->db, RELAIS_EIO, "database");
		relais_db_rollback(home);
		return rc;
	}
	return 0;
}

void relais_db_rollback(relais_home *home)
{
	if (!sqlite3_get_autocommit(home->db)) {
		sqlite3_exec(home->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

char *relais_db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

void *relais_push(void *array, size_t *count, size_t size)
{
	void **items = array;
	size_t n = *count, cap;
	char *grown;

	/* The capacity is implied by the count: 4, then each power of two. */
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		cap = n ? n * 2 : 4;
		if (cap > SIZE_MAX / size) {
			return NULL;
		}
		grown = realloc(*items, cap * size);
		if (grown == NULL) {
			return NULL;
		}
		*items = grown;
	}
	memset((char *)*items + n * size, 0, size);
	(*count)++;
	return (char *)*items + n * size;
}

/* Finds the home folder from the environment. */
static int default_path(relais_ctx *ctx, char *out, size_t size)
{
	const char *env = getenv("RELAIS_HOME");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env != NULL && env[0] != '\0') {
		n = snprintf(out, size, "%s", env);
	} else if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(out, size, "%s/relais", xdg);
	} else {
		if (home == NULL || home[0] == '\0') {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (home == NULL) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "no home folder: set RELAIS_HOME or HOME");
		}
		n = snprintf(out, size, "%s/.local/share/relais", home);
	}
	if (n < 0 || (size_t)n >= size) {
		return relais_fail(ctx, RELAIS_ELIMIT, "home folder path too long");
	}
	return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(relais_ctx *ctx, const char *path)
{
	char tmp[PATH_LEN];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", path);
	}
	for (p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
				return relais_fail(ctx, RELAIS_EIO, "%s: %s", tmp, strerror(errno));
			}
			*p = c;
			if (c == '\0') {
				break;
			}
		}
	}
	return 0;
}

static int migrate(relais_home *home, relais_ctx *ctx)
{
	sqlite3_stmt *st = NULL;
	char pragma[64];
	int v;

	if (sqlite3_prepare_v2(home->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return relais_db_fail(ctx, home->db, RELAIS_EIO, "database");
	}
	home->schema = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (home->schema > N_MIGRATIONS) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "the database was made by a newer relais (schema %d, this one "
		                   "knows %d)",
		                   home->schema, N_MIGRATIONS);
	}
	for (v = home->schema + 1; v <= N_MIGRATIONS; v++) {
		if (relais_db_begin(home, ctx) != 0) {
			return relais_errcode(ctx);
		}
		/* Another process may have migrated while we waited for the lock. */
		if (sqlite3_prepare_v2(home->db, "PRAGMA user_version", -1, &st, NULL) !=
		            SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			relais_db_rollback(home);
			return relais_db_fail(ctx, home->db, RELAIS_EIO, "database");
		}
		home->schema = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (home->schema >= v) {
			relais_db_rollback(home);
			continue;
		}
		(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
		if (sqlite3_exec(home->db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(home->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
			int rc = relais_db_fail(ctx, home->db, RELAIS_EIO, "database migration");
			relais_db_rollback(home);
			return rc;
		}
		if (relais_db_commit(home, ctx) != 0) {
			return relais_errcode(ctx);
		}
		home->schema = v;
	}
	return 0;
}

int relais_home_open(relais_home **out, relais_ctx *ctx, const char *path)
{
	relais_home *home = NULL;
	char dbpath[PATH_LEN + 16];
	unsigned mode;
	int rc;

	*out = NULL;
	home = calloc(1, sizeof(*home));
	if (home == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (path != NULL) {
		if (snprintf(home->path, sizeof(home->path), "%s", path) >=
		    (int)sizeof(home->path)) {
			rc = relais_fail(ctx, RELAIS_ELIMIT, "home folder path too long");
			goto out;
		}
	} else if ((rc = default_path(ctx, home->path, sizeof(home->path))) != 0) {
		goto out;
	}
	(void)snprintf(home->library, sizeof(home->library), "%s/library", home->path);
	(void)snprintf(dbpath, sizeof(dbpath), "%s/relais.db", home->path);
	if ((rc = make_dirs(ctx, home->library)) != 0) {
		goto out;
	}
	/* The database holds the sync secret and the learners' records: only
	 * this account reads it, whatever the umask or the folder's mode. SQLite
	 * gives its -wal and -shm files the database's mode. */
	if ((rc = relais_file_make_private(ctx, dbpath)) != 0) {
		goto out;
	}
	if (relais_dir_is_open(home->path, &mode)) {
		relais_log(ctx, RELAIS_LOG_WARN,
		           "%s is open to other accounts (mode %04o); its files are not, but "
		           "`chmod 700 %s` keeps even their names private",
		           home->path, mode, home->path);
	}
	if (sqlite3_open_v2(dbpath, &home->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, home->db, RELAIS_EIO, dbpath);
		goto out;
	}
	sqlite3_extended_result_codes(home->db, 0);
	sqlite3_busy_timeout(home->db, BUSY_TIMEOUT_MS);
	/* WAL lets the reader and the sync client work at once; FULL makes a
	 * committed event survive a power cut. */
	if (sqlite3_exec(home->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                 "PRAGMA foreign_keys = ON;",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, home->db, RELAIS_EIO, dbpath);
		goto out;
	}
	if ((rc = migrate(home, ctx)) != 0) {
		goto out;
	}
	*out = home;
	home = NULL;
out:
	relais_home_close(home);
	return rc;
}

void relais_home_close(relais_home *home)
{
	if (home == NULL) {
		return;
	}
	sqlite3_close_v2(home->db);
	free(home);
}

const char *relais_home_path(const relais_home *home)
{
	return home->path;
}

const char *relais_home_library(const relais_home *home)
{
	return home->library;
}

int relais_home_schema_version(const relais_home *home)
{
	return home->schema;
}

int relais_setting_get(char **out, relais_home *home, relais_ctx *ctx, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = relais_db_prepare(&st, home, ctx, "SELECT value FROM setting WHERE key = ?")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = relais_db_text(st, 0);
		rc = *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = relais_db_fail(ctx, home->db, RELAIS_EIO, "settings");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_setting_set(relais_home *home, relais_ctx *ctx, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO setting(key, value) VALUES (?, ?) "
	                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
	             ? 0
	             : relais_db_fail(ctx, home->db, RELAIS_EIO, "settings");
	sqlite3_finalize(st);
	return rc;
}
