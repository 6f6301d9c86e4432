/* copy.c: a SQLite hub moved into an empty PostgreSQL database: every table, then its bundles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"

#define TABLES_MAX 64
#define COLUMNS_MAX 64
#define NAME_SIZE 64
#define PATH_SIZE 4096
#define PROGRESS_MS 3000 /* a progress line at most this often */

struct table {
	char name[NAME_SIZE];
	char columns[COLUMNS_MAX * (NAME_SIZE + 4)]; /* "a", "b", ... as PostgreSQL orders them */
	unsigned char bytea[COLUMNS_MAX];
	int n_columns;
	int done;
	long long rows; /* in the source */
};

/* A file copied under a temporary name, renamed into place after the commit. */
struct staged {
	char tmp[PATH_SIZE];
	char final[PATH_SIZE];
};

struct copy {
	relais_hub *src, *dst;
	relais_ctx *ctx;
	struct table tables[TABLES_MAX];
	size_t n_tables;
	struct staged *files;
	size_t n_files;
	struct table *current; /* the table whose columns each_name lists */
	long long total, copied, last_ms;
};

/* Whether name is a plain identifier (the schema's are), safe to quote as it is. */
static int plain(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_')) {
			return 0;
		}
	}
	return i > 0 && i < NAME_SIZE;
}

static struct table *find(struct copy *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_tables; i++) {
		if (strcmp(c->tables[i].name, name) == 0) {
			return &c->tables[i];
		}
	}
	return NULL;
}

/* Refuses (RELAIS_EFORMAT) a from that is not a relais hub; never changes it. */
static int check_source(relais_ctx *ctx, const char *from)
{
	relais_hub_sql *db = NULL;
	relais_hub_sql_stmt *st = NULL;
	int rc = 0;

	if (!relais_file_exists(from)) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "%s: no such file", from);
	}
	if (relais_hub_sql_open(&db, from, relais_hub_vfs(), 0) != 0 ||
	    relais_hub_sql_prepare(db,
	                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	                           "name IN ('statement', 'credential', 'coordinator')",
	                           -1, &st, NULL) != 0 ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a relais hub database (%s)", from,
		                 relais_hub_sql_errmsg(db));
	} else if (relais_hub_sql_column_int(st, 0) != 3) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "%s: not a relais hub database (no statement, credential and "
		                 "coordinator tables)",
		                 from);
	}
	relais_hub_sql_finalize(st);
	relais_hub_sql_close(db);
	return rc;
}

/* Names of one backend's tables or one table's columns (sql, ?1 = table), one per row. */
static int each_name(relais_hub *hub, relais_ctx *ctx, const char *sql, const char *table,
                     int (*fn)(struct copy *c, const char *name, relais_hub_sql_stmt *row),
                     struct copy *c)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step;

	if (relais_hub_sql_prepare(hub->db, sql, -1, &st, NULL) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub schema");
	}
	if (table != NULL) {
		relais_hub_sql_bind_text(st, 1, table, -1, RELAIS_HUB_SQL_STATIC);
	}
	while (rc == 0 && (step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		const char *name = (const char *)relais_hub_sql_column_text(st, 0);
		rc = fn(c, name ? name : "", st);
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub schema");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int pg_table(struct copy *c, const char *name, relais_hub_sql_stmt *row)
{
	(void)row;
	if (!plain(name) || c->n_tables == TABLES_MAX) {
		return relais_fail(c->ctx, RELAIS_ELIMIT, "PostgreSQL table %s: cannot copy it",
		                   name);
	}
	(void)snprintf(c->tables[c->n_tables++].name, NAME_SIZE, "%s", name);
	return 0;
}

static int lite_table(struct copy *c, const char *name, relais_hub_sql_stmt *row)
{
	(void)row;
	if (find(c, name) == NULL) {
		return relais_fail(c->ctx, RELAIS_EFORMAT,
		                   "table %s of the SQLite hub has no PostgreSQL counterpart (this "
		                   "relais-hub's schemas differ): nothing copied",
		                   name);
	}
	return 0;
}

static int pg_column(struct copy *c, const char *name, relais_hub_sql_stmt *row)
{
	struct table *t = c->current;
	const char *type = (const char *)relais_hub_sql_column_text(row, 1);
	size_t len = strlen(t->columns);

	if (!plain(name) || t->n_columns == COLUMNS_MAX) {
		return relais_fail(c->ctx, RELAIS_ELIMIT, "%s.%s: cannot copy it", t->name, name);
	}
	(void)snprintf(t->columns + len, sizeof(t->columns) - len, "%s\"%s\"",
	               t->n_columns ? ", " : "", name);
	t->bytea[t->n_columns++] = type != NULL && strcmp(type, "bytea") == 0;
	return 0;
}

static int lite_column(struct copy *c, const char *name, relais_hub_sql_stmt *row)
{
	char quoted[NAME_SIZE + 3];

	(void)row;
	(void)snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	if (strstr(c->current->columns, quoted) == NULL) {
		return relais_fail(c->ctx, RELAIS_EFORMAT,
		                   "column %s.%s of the SQLite hub has no PostgreSQL counterpart "
		                   "(this relais-hub's schemas differ): nothing copied",
		                   c->current->name, name);
	}
	return 0;
}

/*
 * The tables of both schemas, which must be the same (hub_schema, the
 * PostgreSQL version, aside), and their columns.
 */
static int load_schema(struct copy *c)
{
	relais_hub_sql_stmt *st = NULL;
	char sql[256];
	size_t i;
	int rc;

	if ((rc = each_name(c->dst, c->ctx,
	                    "SELECT table_name FROM information_schema.tables WHERE table_schema "
	                    "= current_schema() AND table_type = 'BASE TABLE' AND table_name <> "
	                    "'hub_schema' ORDER BY table_name",
	                    NULL, pg_table, c)) != 0 ||
	    (rc = each_name(c->src, c->ctx,
	                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
	                    "LIKE 'sqlite\\_%' ESCAPE '\\'",
	                    NULL, lite_table, c)) != 0) {
		return rc;
	}
	for (i = 0; i < c->n_tables; i++) {
		struct table *t = &c->tables[i];
		c->current = t;
		if ((rc = each_name(c->dst, c->ctx,
		                    "SELECT column_name, data_type FROM information_schema.columns "
		                    "WHERE table_schema = current_schema() AND table_name = ?1 "
		                    "ORDER BY ordinal_position",
		                    t->name, pg_column, c)) != 0 ||
		    (rc = each_name(c->src, c->ctx, "SELECT name FROM pragma_table_info(?1)",
		                    t->name, lite_column, c)) != 0) {
			return rc;
		}
		(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", t->name);
		if (relais_hub_sql_prepare(c->src->db, sql, -1, &st, NULL) != 0 ||
		    relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
			relais_hub_sql_finalize(st);
			/* A table PostgreSQL has and SQLite lacks. */
			return relais_fail(
			        c->ctx, RELAIS_EFORMAT,
			        "table %s of the PostgreSQL schema is not in the SQLite hub "
			        "(%s): nothing copied",
			        t->name, relais_hub_sql_errmsg(c->src->db));
		}
		t->rows = relais_hub_sql_column_int64(st, 0);
		c->total += t->rows;
		relais_hub_sql_finalize(st);
		st = NULL;
	}
	c->current = NULL;
	return 0;
}

/* Refuses (RELAIS_EEXIST) a target holding any row (its own identity_rule setting aside). */
static int check_empty(struct copy *c)
{
	relais_hub_sql_stmt *st = NULL;
	char sql[256];
	size_t i;
	int step;

	for (i = 0; i < c->n_tables; i++) {
		(void)snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\"%s LIMIT 1",
		               c->tables[i].name,
		               strcmp(c->tables[i].name, "hub_setting") == 0
		                       ? " WHERE key <> 'identity_rule'"
		                       : "");
		if (relais_hub_sql_prepare(c->dst->db, sql, -1, &st, NULL) != 0) {
			return relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
		}
		step = relais_hub_sql_step(st);
		relais_hub_sql_finalize(st);
		if (step == RELAIS_HUB_SQL_ROW) {
			return relais_fail(
			        c->ctx, RELAIS_EEXIST,
			        "the PostgreSQL database already holds a hub (its table %s "
			        "has rows): copy into an empty database",
			        c->tables[i].name);
		}
		if (step != RELAIS_HUB_SQL_DONE) {
			return relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
		}
	}
	/* The source's settings replace the ones opening the target wrote. */
	if (relais_hub_sql_exec(c->dst->db, "DELETE FROM hub_setting") != 0) {
		return relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
	}
	return 0;
}

/* A progress line: a table's rows once copied (force), else at most every PROGRESS_MS. */
static void progress(struct copy *c, const struct table *t, long long rows, int force)
{
	char iso[32];
	long long now = relais_now_iso(iso);

	if (force) {
		relais_log(c->ctx, RELAIS_LOG_INFO, "%s: %lld rows (%lld of %lld in all)", t->name,
		           rows, c->copied + rows, c->total);
	} else if (now - c->last_ms >= PROGRESS_MS) {
		relais_log(c->ctx, RELAIS_LOG_INFO, "%s: %lld of %lld rows (%lld of %lld in all)",
		           t->name, rows, t->rows, c->copied + rows, c->total);
		c->last_ms = now;
	}
}

/* Copies table t with one COPY. */
static int copy_table(struct copy *c, struct table *t)
{
	relais_hub_sql_stmt *rd = NULL;
	char sql[sizeof(t->columns) + 128];
	long long rows = 0, got = 0;
	int rc = 0, step;

	(void)snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\"", t->columns, t->name);
	if (relais_hub_sql_prepare(c->src->db, sql, -1, &rd, NULL) != 0) {
		rc = relais_hub_sql_fail(c->ctx, c->src->db, RELAIS_EIO, t->name);
		goto out;
	}
	(void)snprintf(sql, sizeof(sql), "COPY \"%s\" (%s) FROM STDIN", t->name, t->columns);
	if (relais_hub_sql_copy_begin(c->dst->db, sql) != 0) {
		rc = relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, t->name);
		goto out;
	}
	while ((step = relais_hub_sql_step(rd)) == RELAIS_HUB_SQL_ROW) {
		if (relais_hub_sql_copy_row(c->dst->db, rd, t->bytea) != 0) {
			rc = relais_fail(c->ctx, RELAIS_EFORMAT, "%s, row %lld: %s", t->name,
			                 rows + 1, relais_hub_sql_errmsg(c->dst->db));
			relais_hub_sql_copy_end(c->dst->db, 0, NULL);
			goto out;
		}
		if (++rows % 1024 == 0) {
			progress(c, t, rows, 0);
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(c->ctx, c->src->db, RELAIS_EIO, t->name);
		relais_hub_sql_copy_end(c->dst->db, 0, NULL);
		goto out;
	}
	if (relais_hub_sql_copy_end(c->dst->db, 1, &got) != 0) {
		rc = relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, t->name);
		goto out;
	}
	if (got != rows) {
		rc = relais_fail(c->ctx, RELAIS_EIO, "%s: %lld rows read, PostgreSQL took %lld",
		                 t->name, rows, got);
		goto out;
	}
	t->rows = rows;
	progress(c, t, rows, 1);
	c->copied += rows;
out:
	relais_hub_sql_finalize(rd);
	return rc;
}

/* Whether every table t refers to (a foreign key) is copied already. */
static int ready(struct copy *c, const struct table *t, relais_hub_sql_stmt *fk)
{
	int ok = 1;

	relais_hub_sql_reset(fk);
	relais_hub_sql_bind_text(fk, 1, t->name, -1, RELAIS_HUB_SQL_STATIC);
	while (relais_hub_sql_step(fk) == RELAIS_HUB_SQL_ROW) {
		const struct table *r = find(c, (const char *)relais_hub_sql_column_text(fk, 0));
		if (r != NULL && r != t && !r->done) {
			ok = 0;
		}
	}
	return ok;
}

/* Turns the tables' own triggers off (on 0) or on again (1), in the copy's transaction: the
 * tallies they keep (migration 19) are copied as they are, not counted again. */
static int table_triggers(struct copy *c, int on)
{
	char sql[256];
	size_t i;

	for (i = 0; i < c->n_tables; i++) {
		(void)snprintf(sql, sizeof(sql), "ALTER TABLE \"%s\" %s TRIGGER USER",
		               c->tables[i].name, on ? "ENABLE" : "DISABLE");
		if (relais_hub_sql_exec(c->dst->db, sql) != 0) {
			return relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
		}
	}
	return 0;
}

/* Every table, those a foreign key refers to before the tables that refer. */
static int copy_tables(struct copy *c)
{
	relais_hub_sql_stmt *fk = NULL;
	size_t i, left = c->n_tables;
	int rc = 0, moved;

	if (relais_hub_sql_prepare(c->dst->db,
	                           "SELECT confrelid::regclass::text FROM pg_constraint WHERE "
	                           "contype = 'f' AND conrelid = ?1::regclass",
	                           -1, &fk, NULL) != 0) {
		return relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
	}
	rc = table_triggers(c, 0);
	while (left > 0 && rc == 0) {
		moved = 0;
		for (i = 0; i < c->n_tables && rc == 0; i++) {
			struct table *t = &c->tables[i];
			if (!t->done && ready(c, t, fk)) {
				rc = copy_table(c, t);
				t->done = 1;
				left--;
				moved = 1;
			}
		}
		if (!moved && rc == 0) {
			rc = relais_fail(c->ctx, RELAIS_EFORMAT,
			                 "the PostgreSQL tables' foreign keys form a cycle");
		}
	}
	if (rc == 0) {
		rc = table_triggers(c, 1);
	}
	relais_hub_sql_finalize(fk);
	return rc;
}

/* Sets every identity column's sequence past the ids copied. */
static int sequences(struct copy *c)
{
	relais_hub_sql_stmt *st = NULL;
	char sql[512];
	int rc = 0, step;

	if (relais_hub_sql_prepare(c->dst->db,
	                           "SELECT table_name, column_name FROM information_schema.columns "
	                           "WHERE table_schema = current_schema() AND is_identity = 'YES'",
	                           -1, &st, NULL) != 0) {
		return relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
	}
	while (rc == 0 && (step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		const char *t = (const char *)relais_hub_sql_column_text(st, 0);
		const char *col = (const char *)relais_hub_sql_column_text(st, 1);
		if (!plain(t) || !plain(col)) {
			rc = relais_fail(c->ctx, RELAIS_ELIMIT, "%s.%s: cannot set its sequence", t,
			                 col);
			break;
		}
		(void)snprintf(sql, sizeof(sql),
		               "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), "
		               "COALESCE((SELECT max(\"%s\") FROM \"%s\"), 0) + 1, false)",
		               t, col, col, t);
		if (relais_hub_sql_exec(c->dst->db, sql) != 0) {
			rc = relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
		}
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(c->ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int path_join(char *out, relais_ctx *ctx, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_SIZE, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_SIZE) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", dir);
	}
	return 0;
}

/*
 * Copies the published files (bundles, deltas) that from_dir holds, listed
 * by sql (name, sha256 of the bytes), into files/incoming under temporary
 * names; each is checked against its hash.
 */
static int stage(struct copy *c, const char *from_dir, const char *files, const char *sql)
{
	relais_hub_sql_stmt *st = NULL;
	char src[PATH_SIZE], name[64], have[RELAIS_SHA256_HEX];
	int rc = 0, step;

	if (relais_hub_sql_prepare(c->src->db, sql, -1, &st, NULL) != 0) {
		return relais_hub_sql_fail(c->ctx, c->src->db, RELAIS_EIO, "published files");
	}
	while (rc == 0 && (step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		const char *file = (const char *)relais_hub_sql_column_text(st, 0);
		const char *sha = (const char *)relais_hub_sql_column_text(st, 1);
		struct staged *s;
		if ((rc = path_join(src, c->ctx, from_dir, file)) != 0) {
			break;
		}
		if (!relais_file_exists(src)) {
			continue; /* pruned: the source hub has no copy either */
		}
		if (files == NULL) {
			rc = relais_fail(
			        c->ctx, RELAIS_EINVAL,
			        "the hub has published bundles (%s): give --files DIR, the "
			        "PostgreSQL hub's shared folder",
			        src);
			break;
		}
		if ((s = relais_push(&c->files, &c->n_files, sizeof(*c->files))) == NULL) {
			rc = relais_fail(c->ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
		(void)snprintf(name, sizeof(name), "incoming/copy-%ld-%zu", (long)getpid(),
		               c->n_files);
		if ((rc = path_join(s->final, c->ctx, files, file)) != 0 ||
		    (rc = path_join(s->tmp, c->ctx, files, name)) != 0 ||
		    (rc = relais_hub_file_copy(have, NULL, c->ctx, src, s->tmp, sha)) != 0) {
			s->tmp[0] = '\0';
			break;
		}
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(c->ctx, c->src->db, RELAIS_EIO, "published files");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int stage_files(struct copy *c, const char *from, const char *from_files, const char *files)
{
	static const char *const subs[] = {"", "/bundles", "/deltas", "/incoming"};
	char dir[PATH_SIZE];
	size_t i;
	int n, rc;

	n = from_files ? snprintf(dir, sizeof(dir), "%s", from_files)
	               : snprintf(dir, sizeof(dir), "%s.d", from);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		return relais_fail(c->ctx, RELAIS_ELIMIT, "%s: path too long", from);
	}
	for (i = 0; files != NULL && i < sizeof(subs) / sizeof(subs[0]); i++) {
		char sub[PATH_SIZE];
		n = snprintf(sub, sizeof(sub), "%s%s", files, subs[i]);
		if (n < 0 || (size_t)n >= sizeof(sub)) {
			return relais_fail(c->ctx, RELAIS_ELIMIT, "%s: path too long", files);
		}
		if ((rc = relais_dir_make(c->ctx, sub, 0755)) != 0) {
			return rc;
		}
	}
	if ((rc = stage(
	             c, dir, files,
	             "SELECT 'bundles/' || sha256 || '.relais', sha256 FROM published_bundle")) !=
	            0 ||
	    (rc = stage(c, dir, files,
	                "SELECT 'deltas/' || from_sha256 || '-' || to_sha256 || '.delta', sha256 "
	                "FROM published_delta")) != 0) {
		return rc;
	}
	return 0;
}

/* Removes the staged files (failure), or renames them into place (commit). */
static int place_files(struct copy *c, int keep)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->n_files; i++) {
		if (c->files[i].tmp[0] == '\0') {
			continue;
		}
		if (keep && rc == 0) {
			rc = relais_file_rename(c->ctx, c->files[i].tmp, c->files[i].final);
		} else {
			relais_file_remove(c->ctx, c->files[i].tmp);
		}
	}
	return rc;
}

int relais_hub_copy(struct relais_hub_copy_result *out, relais_ctx *ctx, const char *from,
                    const char *from_files, const char *url, const char *files)
{
	struct copy *c = calloc(1, sizeof(*c));
	char iso[32];
	long long start = relais_now_iso(iso);
	int rc, src_tx = 0, dst_tx = 0;

	memset(out, 0, sizeof(*out));
	if (c == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	c->ctx = ctx;
	c->last_ms = start;
	if (!relais_hub_sql_is_pg(url)) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "the target must be a PostgreSQL database (postgresql://...)");
		goto out;
	}
	/* The target first: one unreachable leaves the source untouched. Opening
	 * the source brings it to the current schema, as serve would. */
	if ((rc = check_source(ctx, from)) != 0 || (rc = relais_hub_open(&c->dst, ctx, url)) != 0 ||
	    (rc = relais_hub_open(&c->src, ctx, from)) != 0) {
		goto out;
	}
	/* The source's write lock: no hub writes to it while it is read. */
	if (relais_hub_sql_begin(c->src->db) != 0) {
		rc = relais_hub_sql_fail(ctx, c->src->db, RELAIS_EIO, from);
		goto out;
	}
	src_tx = 1;
	if (relais_hub_sql_begin(c->dst->db) != 0 ||
	    relais_hub_sql_exec(c->dst->db, "SET LOCAL client_encoding = 'UTF8'") != 0) {
		rc = relais_hub_sql_fail(ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
		goto out;
	}
	dst_tx = 1;
	if ((rc = load_schema(c)) != 0 || (rc = check_empty(c)) != 0 ||
	    (rc = stage_files(c, from, from_files, files)) != 0 || (rc = copy_tables(c)) != 0 ||
	    (rc = sequences(c)) != 0) {
		goto out;
	}
	dst_tx = 0;
	if (relais_hub_sql_commit(c->dst->db) != 0) {
		rc = relais_hub_sql_fail(ctx, c->dst->db, RELAIS_EIO, "PostgreSQL");
		goto out;
	}
	if ((rc = place_files(c, 1)) != 0) {
		goto out;
	}
	/* Statistics for the planner, as after any bulk load (not needed for correctness). */
	if (relais_hub_sql_exec(c->dst->db, "ANALYZE") != 0) {
		relais_log(ctx, RELAIS_LOG_WARN, "PostgreSQL: ANALYZE: %s",
		           relais_hub_sql_errmsg(c->dst->db));
	}
	out->tables = c->n_tables;
	out->rows = c->copied;
	out->files = c->n_files;
	out->ms = relais_now_iso(iso) - start;
out:
	if (dst_tx) {
		relais_hub_sql_rollback(c->dst->db);
	}
	if (rc != 0) {
		place_files(c, 0);
	}
	if (src_tx) {
		relais_hub_sql_rollback(c->src->db);
	}
	relais_hub_close(c->src);
	relais_hub_close(c->dst);
	free(c->files);
	free(c);
	return rc;
}
