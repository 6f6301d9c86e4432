/* sql.h: the hub's database layer (private): one API over SQLite and PostgreSQL (libpq). */
#ifndef RELAIS_HUB_SQL_H
#define RELAIS_HUB_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/strbuf.h"

/*
 * Shaped like SQLite's own API so that the hub's code reads as before: a
 * connection (relais_hub_sql) and its prepared statements
 * (relais_hub_sql_stmt), parameters ?1..?N (or ?, numbered in order),
 * columns from 0. The last error's message stays on the connection
 * (relais_hub_sql_errmsg); relais_hub_sql_fail puts it on a context.
 *
 * Statuses: 0 (RELAIS_HUB_SQL_OK), RELAIS_HUB_SQL_ROW and
 * RELAIS_HUB_SQL_DONE from step, or a negative RELAIS_E*:
 * RELAIS_ECONSTRAINT (a unique or other constraint refused the row),
 * RELAIS_EBUSY (the database is locked, unreachable or restarting: try
 * again later; a PostgreSQL connection is made again at the next
 * statement), RELAIS_ENOMEM, RELAIS_EIO (anything else).
 */
typedef struct relais_hub_sql relais_hub_sql;
typedef struct relais_hub_sql_stmt relais_hub_sql_stmt;

#define RELAIS_HUB_SQL_OK 0
#define RELAIS_HUB_SQL_ROW 100
#define RELAIS_HUB_SQL_DONE 101

/* What a bound text or blob's memory does: stays until the next bind or reset, or is copied. */
#define RELAIS_HUB_SQL_STATIC 0
#define RELAIS_HUB_SQL_TRANSIENT 1

/* Column types, as SQLite's. */
#define RELAIS_HUB_SQL_INTEGER 1
#define RELAIS_HUB_SQL_FLOAT 2
#define RELAIS_HUB_SQL_TEXT 3
#define RELAIS_HUB_SQL_BLOB 4
#define RELAIS_HUB_SQL_NULL 5

/* Backends (relais_hub_sql_kind). */
#define RELAIS_HUB_SQL_SQLITE 1
#define RELAIS_HUB_SQL_PG 2

/* relais_hub_sql_open flags. */
#define RELAIS_HUB_SQL_CREATE 1  /* SQLite: make the file when missing */
#define RELAIS_HUB_SQL_NOMUTEX 2 /* SQLite: the caller's own lock guards the connection */

/* Whether where names a PostgreSQL database (postgresql:// or postgres:// URL). */
int relais_hub_sql_is_pg(const char *where);

/*
 * Opens where: a SQLite file (through VFS vfs, NULL for the default) or a
 * PostgreSQL URL. *out is set even on failure (its message says why; close
 * it). Returns 0 or a negative status.
 */
int relais_hub_sql_open(relais_hub_sql **out, const char *where, const char *vfs, int flags);
void relais_hub_sql_close(relais_hub_sql *db);

/* RELAIS_HUB_SQL_SQLITE or RELAIS_HUB_SQL_PG. */
int relais_hub_sql_kind(const relais_hub_sql *db);

/* The SQLite file's path, or NULL (in memory, or PostgreSQL). */
const char *relais_hub_sql_filename(relais_hub_sql *db);

/* 1 when SQLite opened the file read-only; 0 otherwise. */
int relais_hub_sql_readonly(relais_hub_sql *db);

/* SQLite's busy timeout; nothing on PostgreSQL (rows wait for their locks). */
void relais_hub_sql_busy_timeout(relais_hub_sql *db, int ms);

/* Runs a script of statements with no parameters and no rows wanted. */
int relais_hub_sql_exec(relais_hub_sql *db, const char *script);

/*
 * On PostgreSQL, on (1): the statements run until off (0) are planned for
 * their parameters' values at each run (plan_cache_mode), as SQLite does;
 * not once for any values, which on the reports' "?1 IS NULL OR ..."
 * filters guesses a row or two and sorts on disk what it should hash.
 * Nothing on SQLite. Returns 0 or a negative status.
 */
int relais_hub_sql_custom_plans(relais_hub_sql *db, int on);

/*
 * A write transaction, its commit and rollback: one at a time on a
 * database (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock held to
 * the end of the transaction), so what it read stays true until it ends.
 */
int relais_hub_sql_begin(relais_hub_sql *db);

/*
 * relais_hub_sql_begin, then sql (a query giving one integer) into *value,
 * inside the transaction and once it is the one writer; on PostgreSQL in the
 * same round trip as the lock. Nothing is begun when it fails. Returns as
 * relais_hub_sql_begin.
 */
int relais_hub_sql_begin_value(relais_hub_sql *db, const char *sql, long long *value);
int relais_hub_sql_commit(relais_hub_sql *db);
int relais_hub_sql_rollback(relais_hub_sql *db);

/*
 * Prepares one statement of sql (len bytes, -1 up to its NUL); persistent
 * for one kept for the connection's life. PostgreSQL prepares each text
 * once per connection. Returns 0 with *out, or a status with *out NULL.
 */
int relais_hub_sql_prepare(relais_hub_sql *db, const char *sql, int len, relais_hub_sql_stmt **out,
                           const char **tail);
int relais_hub_sql_prepare_persistent(relais_hub_sql *db, const char *sql,
                                      relais_hub_sql_stmt **out);

int relais_hub_sql_bind_text(relais_hub_sql_stmt *st, int i, const char *s, int len, int mem);
int relais_hub_sql_bind_blob(relais_hub_sql_stmt *st, int i, const void *p, size_t len, int mem);
int relais_hub_sql_bind_int(relais_hub_sql_stmt *st, int i, int v);
int relais_hub_sql_bind_int64(relais_hub_sql_stmt *st, int i, long long v);
int relais_hub_sql_bind_double(relais_hub_sql_stmt *st, int i, double v);
int relais_hub_sql_bind_null(relais_hub_sql_stmt *st, int i);
int relais_hub_sql_clear_bindings(relais_hub_sql_stmt *st);

/* The next row: RELAIS_HUB_SQL_ROW, RELAIS_HUB_SQL_DONE, or a negative status. */
int relais_hub_sql_step(relais_hub_sql_stmt *st);

/*
 * Makes st (a query) yield its rows as they come, not the whole result
 * first, from a plan chosen to yield its first rows soon: on PostgreSQL a
 * cursor, fetched a batch at a time, in a transaction of its own unless one
 * is open (SQLite always steps row by row). Until it is done, finalized or
 * reset, its connection runs nothing else (no command, no other statement).
 */
void relais_hub_sql_stream(relais_hub_sql_stmt *st);

/* Back to before the first step, bindings kept. */
int relais_hub_sql_reset(relais_hub_sql_stmt *st);
void relais_hub_sql_finalize(relais_hub_sql_stmt *st);

/* The current row's columns, valid until the next step, reset or finalize. */
const unsigned char *relais_hub_sql_column_text(relais_hub_sql_stmt *st, int col);
const void *relais_hub_sql_column_blob(relais_hub_sql_stmt *st, int col);
int relais_hub_sql_column_bytes(relais_hub_sql_stmt *st, int col);
int relais_hub_sql_column_int(relais_hub_sql_stmt *st, int col);
long long relais_hub_sql_column_int64(relais_hub_sql_stmt *st, int col);
double relais_hub_sql_column_double(relais_hub_sql_stmt *st, int col);
int relais_hub_sql_column_type(relais_hub_sql_stmt *st, int col);
int relais_hub_sql_column_count(relais_hub_sql_stmt *st);
const char *relais_hub_sql_column_name(relais_hub_sql_stmt *st, int col);

/* Rows the last INSERT, UPDATE or DELETE changed. */
int relais_hub_sql_changes(relais_hub_sql *db);

/* The id the last INSERT into a table with one (SQLite's rowid, PostgreSQL's identity) made. */
long long relais_hub_sql_last_insert_id(relais_hub_sql *db);

/* The last error's message ("not an error" when none). */
const char *relais_hub_sql_errmsg(relais_hub_sql *db);

/*
 * Records db's last error for what on ctx and returns status, except where
 * the error says more: a full disk (RELAIS_EIO, "the disk is full"), memory
 * (RELAIS_ENOMEM), a database unreachable or busy (RELAIS_EBUSY).
 */
int relais_hub_sql_fail(relais_ctx *ctx, relais_hub_sql *db, int status, const char *what);

/*
 * Bulk loading on PostgreSQL (COPY ... FROM STDIN, text format), inside a
 * transaction: relais_hub_sql_copy_begin runs copy_sql ("COPY t (a, b)
 * FROM STDIN"); each relais_hub_sql_copy_row sends the current row of from
 * (a statement of either backend, its columns in the COPY's order), column
 * i as bytea when bytea[i] is set (bytea NULL: none); texts and blobs go as
 * their bytes, integers whole, floats with 17 significant digits (read
 * back equal), NULL as NULL. relais_hub_sql_copy_end finishes the COPY and
 * sets *rows (ok 1), or abandons it (ok 0: the transaction then fails).
 * Returns 0 or a negative status: RELAIS_EINVAL on SQLite, RELAIS_EFORMAT
 * for a text holding a NUL byte (PostgreSQL cannot store one).
 */
int relais_hub_sql_copy_begin(relais_hub_sql *db, const char *copy_sql);
int relais_hub_sql_copy_row(relais_hub_sql *db, relais_hub_sql_stmt *from,
                            const unsigned char *bytea);
int relais_hub_sql_copy_end(relais_hub_sql *db, int ok, long long *rows);

/* A column as a malloc'd string ("" for NULL); NULL only when out of memory. */
char *relais_hub_sql_dup(relais_hub_sql_stmt *st, int col);

/*
 * A PostgreSQL array literal ('{...}'), built an element at a time and
 * bound as text (relais_hub_sql_array_end): many rows' values in one
 * parameter, as unnest($1::text[]) reads them. Running out of memory is
 * reported by relais_hub_sql_array_end.
 */
struct relais_hub_sql_array {
	struct relais_strbuf b;
	int closed; /* the closing '}' is there: bound once at least */
};

/* Adds s (NULL: SQL NULL), quoted. */
void relais_hub_sql_array_text(struct relais_hub_sql_array *a, const char *s);
void relais_hub_sql_array_int64(struct relais_hub_sql_array *a, long long v);
/* Adds v, or NULL when v is below min (facts' "absent" values: -2, -1). */
void relais_hub_sql_array_double(struct relais_hub_sql_array *a, double v, double min);

/* Binds the array to st's parameter i, as often as needed; nothing is added after. Its text
 * stays a's until relais_hub_sql_array_free. */
int relais_hub_sql_bind_array(relais_hub_sql_stmt *st, int i, struct relais_hub_sql_array *a);
void relais_hub_sql_array_free(struct relais_hub_sql_array *a);

#endif
