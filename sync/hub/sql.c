/* sql.c: the hub's database layer: SQLite (a thin wrapper) and PostgreSQL (libpq) behind one API.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "relais/error.h"
#include "relais/strbuf.h"
#include "sql.h"

/* The most parameters one statement binds. */
#define RELAIS_HUB_SQL_PARAMS_MAX 64

/* One SQL text prepared on the PostgreSQL connection, under name "s<n>". */
struct pg_prepared {
	char *sql;       /* as the hub wrote it (the key) */
	PGresult *shape; /* PQdescribePrepared: parameters and columns */
	char name[16];
};

struct relais_hub_sql {
	int kind;
	sqlite3 *lite;
	/* PostgreSQL */
	PGconn *pg;
	char *msg;      /* the last error, or NULL */
	int status;     /* and its status */
	int changes;    /* of the last command */
	int lost_in_tx; /* the connection dropped inside a transaction: refuse until rollback */
	int in_tx;
	unsigned generation; /* bumped at each new connection: statements prepare again */
	unsigned next_name;
	int cursors;    /* streamed queries open in the transaction the first of them began */
	unsigned slots; /* the cursor names (relais_rows0, 1...) streamed statements hold */
	/* Open addressing by the text's hash; each entry allocated on its own, so that a
	 * statement's pointer to it (relais_hub_sql_stmt.p) stays good when the table grows. */
	struct pg_prepared **prep;
	size_t n_prep, cap_prep;
	struct relais_strbuf row; /* a COPY row being written */
};

/* One PostgreSQL parameter's value, as text (format 0) or bytes (format 1). */
struct pg_param {
	const char *value; /* NULL: SQL NULL */
	char *owned;       /* value when copied */
	int len;
	int format;
	char num[32];
};

struct relais_hub_sql_stmt {
	relais_hub_sql *db;
	sqlite3_stmt *lite;
	/* PostgreSQL */
	char *sql;                   /* the text as given (the prepared table's key) */
	const struct pg_prepared *p; /* valid while generation matches */
	unsigned generation;
	struct pg_param *params;
	const char **values; /* for PQexecPrepared, n_params each */
	int *lengths;
	int *formats;
	int n_params;
	PGresult *res;         /* of the last execution, or NULL before the first step */
	int row;               /* current row in res */
	unsigned char **blobs; /* per column of the current row, unescaped bytea */
	char (*reals)[32];     /* per column, a real number's text as SQLite writes it */
	int single;            /* relais_hub_sql_stream(): rows fetched through a cursor */
	int streaming;         /* its cursor is open: the connection serves it alone */
	int own_tx;            /* its cursor is in a transaction that streamed queries began */
	char cursor[16];       /* its cursor's name */
	int slot;              /* its number, a bit of slots (-1: none) */
	Oid *types;            /* a cursor's parameters' types, as its query's (or NULL) */
	int n_types;
};

int relais_hub_sql_is_pg(const char *where)
{
	return where != NULL &&
	       (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0);
}

int relais_hub_sql_kind(const relais_hub_sql *db)
{
	return db->kind;
}

/* ---- PostgreSQL helpers ---- */

/* Keeps msg (its first line) as the connection's last error; returns status. */
static int pg_error(relais_hub_sql *db, int status, const char *msg)
{
	size_t n;

	free(db->msg);
	db->status = status;
	n = strcspn(msg, "\n");
	db->msg = strndup(msg, n);
	if (db->msg != NULL && strncmp(db->msg, "ERROR:  ", 8) == 0) {
		memmove(db->msg, db->msg + 8, strlen(db->msg + 8) + 1);
	}
	return status;
}

/* The status a failed result stands for, its message kept. */
static int pg_result_error(relais_hub_sql *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int status = RELAIS_EIO;

	if (PQstatus(db->pg) != CONNECTION_OK) {
		if (db->in_tx) {
			db->lost_in_tx = 1;
		}
		return pg_error(db, RELAIS_EBUSY, "the PostgreSQL server is unreachable");
	}
	if (state != NULL) {
		if (strncmp(state, "23", 2) == 0) {
			status = RELAIS_ECONSTRAINT;
		} else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
		           strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
		           strcmp(state, "55P03") == 0) {
			status = RELAIS_EBUSY;
		} else if (strcmp(state, "53200") == 0) {
			status = RELAIS_ENOMEM;
		}
	}
	return pg_error(db, status, m ? m : PQerrorMessage(db->pg));
}

static void pg_forget_prepared(relais_hub_sql *db)
{
	size_t i;

	for (i = 0; i < db->cap_prep; i++) {
		if (db->prep[i] != NULL) {
			free(db->prep[i]->sql);
			PQclear(db->prep[i]->shape);
			free(db->prep[i]);
		}
	}
	free(db->prep);
	db->prep = NULL;
	db->n_prep = db->cap_prep = 0;
}

/*
 * What every connection of the hub sets: notices kept out of its log, and no JIT
 * compilation. The hub's queries are short reads of indexes and tallies; PostgreSQL would
 * compile those its cost estimate calls large (jit_above_cost), and that took 10 to 30 ms a
 * query, more than running it: a dated report page on a 10-million-statement hub went from
 * 173 to 106 ms at p95 without it (docs/benchmarks.md).
 */
#define PG_SESSION "SET client_min_messages = warning; SET jit = off"

/* A working connection: made again when the last one dropped. Returns 0 or RELAIS_EBUSY. */
static int pg_ready(relais_hub_sql *db)
{
	if (db->lost_in_tx) {
		return pg_error(db, RELAIS_EBUSY,
		                "the PostgreSQL connection was lost inside a transaction");
	}
	if (PQstatus(db->pg) == CONNECTION_OK) {
		return 0;
	}
	PQreset(db->pg);
	pg_forget_prepared(db);
	db->generation++;
	db->in_tx = 0;
	db->cursors = 0;
	if (PQstatus(db->pg) != CONNECTION_OK) {
		return pg_error(db, RELAIS_EBUSY, PQerrorMessage(db->pg));
	}
	PQclear(PQexec(db->pg, PG_SESSION));
	return 0;
}

static uint64_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	}
	return h;
}

/* The offset of the parenthesis closing the one at s[0], outside quotes; 0 when none. */
static size_t closing(const char *s, size_t *comma)
{
	size_t i;
	int depth = 0;
	char quote = 0;

	*comma = 0;
	for (i = 0; s[i]; i++) {
		if (quote) {
			quote = s[i] == quote ? 0 : quote;
		} else if (s[i] == '\'' || s[i] == '"') {
			quote = s[i];
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')' && --depth == 0) {
			return i;
		} else if (s[i] == ',' && depth == 1 && *comma == 0) {
			*comma = i;
		}
	}
	return 0;
}

/*
 * The hub's SQL in PostgreSQL's dialect, the one place where the two
 * differ: ?N becomes $N and a bare ? the next number; group_concat(x, sep)
 * string_agg; min(a, b) and max(a, b) least and greatest; json_extract(x,
 * '$.a.b') jsonb_extract_path_text(x::jsonb, 'a', 'b'); a unary + before a
 * column (SQLite's way to keep an index out of a plan) goes; COLLATE
 * BINARY (bytes, SQLite's default) is COLLATE "C", the hub's texts' own
 * collation, for a parameter beside a column of them. Quotes are
 * left alone. Returns a malloc'd text, or NULL (no memory).
 */
static char *pg_text(const char *sql)
{
	struct relais_strbuf b = {0};
	int next = 0;
	char quote = 0;
	const char *s = sql;

	while (*s) {
		size_t word = 0, end, comma;
		if (quote) {
			quote = *s == quote ? 0 : quote;
			relais_strbuf_addn(&b, s++, 1);
			continue;
		}
		if (*s == '\'' || *s == '"') {
			quote = *s;
			relais_strbuf_addn(&b, s++, 1);
			continue;
		}
		if (*s == '?') {
			char *e;
			long v = strtol(s + 1, &e, 10);
			if (e != s + 1) {
				next = v > next ? (int)v : next;
			} else {
				v = ++next;
			}
			relais_strbuf_printf(&b, "$%ld", v);
			s = e;
			continue;
		}
		if (*s == '+' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
			size_t k = b.len;
			while (k > 0 && b.p[k - 1] == ' ') {
				k--;
			}
			if (k == 0 || strchr("=(,<>", b.p[k - 1]) != NULL ||
			    (k >= 3 && strncasecmp(b.p + k - 3, "AND", 3) == 0) ||
			    (k >= 2 && strncasecmp(b.p + k - 2, "OR", 2) == 0)) {
				s++;
				continue;
			}
		}
		if (!isalpha((unsigned char)*s) && *s != '_') {
			relais_strbuf_addn(&b, s++, 1);
			continue;
		}
		while (isalnum((unsigned char)s[word]) || s[word] == '_') {
			word++;
		}
		if (s[word] == '(' && (end = closing(s + word, &comma)) != 0) {
			if (word == 12 && strncasecmp(s, "group_concat", 12) == 0) {
				relais_strbuf_add(&b, "string_agg");
				s += word;
				continue;
			}
			if (word == 3 && comma != 0 &&
			    (strncasecmp(s, "min", 3) == 0 || strncasecmp(s, "max", 3) == 0)) {
				relais_strbuf_add(&b, tolower((unsigned char)s[1]) == 'i'
				                              ? "least"
				                              : "greatest");
				s += word;
				continue;
			}
			if (word == 12 && comma != 0 && strncasecmp(s, "json_extract", 12) == 0) {
				const char *arg = s + word + comma + 1, *stop = s + word + end;
				char *x = strndup(s + word + 1, comma - 1),
				     *inner = x ? pg_text(x) : NULL;
				while (*arg == ' ') {
					arg++;
				}
				relais_strbuf_printf(&b, "jsonb_extract_path_text((%s)::jsonb",
				                     inner ? inner : "");
				free(x);
				free(inner);
				if (strncmp(arg, "'$.", 3) == 0) {
					arg += 3;
					while (arg < stop && *arg != '\'') {
						size_t n = strcspn(arg, ".'");
						relais_strbuf_add(&b, ", '");
						relais_strbuf_addn(&b, arg, n);
						relais_strbuf_add(&b, "'");
						arg += n + (arg[n] == '.');
					}
				}
				relais_strbuf_add(&b, ")");
				s = stop + 1;
				continue;
			}
		}
		if (word == 6 && strncasecmp(s, "BINARY", 6) == 0 && b.len >= 8 &&
		    strncasecmp(b.p + b.len - 8, "COLLATE ", 8) == 0) {
			relais_strbuf_add(&b, "\"C\"");
			s += word;
			continue;
		}
		relais_strbuf_addn(&b, s, word);
		s += word;
	}
	return relais_strbuf_detach(&b);
}

/* The text sql prepared on db's connection (prepared now when new to it, its first n_given
 * parameters of types given, the others inferred); NULL on failure. */
static const struct pg_prepared *pg_prepared(relais_hub_sql *db, const char *sql, int n_given,
                                             const Oid *given)
{
	struct pg_prepared *p;
	PGresult *res;
	char *text;
	size_t i, mask;
	int in_tx;

	if (pg_ready(db) != 0) {
		return NULL;
	}
	if (db->n_prep * 2 >= db->cap_prep) {
		size_t cap = db->cap_prep ? db->cap_prep * 2 : 64;
		struct pg_prepared **old = db->prep, **grown = calloc(cap, sizeof(*grown));
		size_t old_cap = db->cap_prep;
		if (grown == NULL) {
			pg_error(db, RELAIS_ENOMEM, "out of memory");
			return NULL;
		}
		for (i = 0; i < old_cap; i++) {
			if (old[i] != NULL) {
				size_t j = text_hash(old[i]->sql) & (cap - 1);
				while (grown[j] != NULL) {
					j = (j + 1) & (cap - 1);
				}
				grown[j] = old[i];
			}
		}
		free(old);
		db->prep = grown;
		db->cap_prep = cap;
	}
	mask = db->cap_prep - 1;
	for (i = text_hash(sql) & mask; db->prep[i] != NULL; i = (i + 1) & mask) {
		if (strcmp(db->prep[i]->sql, sql) == 0) {
			return db->prep[i];
		}
	}
	text = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL || (text = pg_text(sql)) == NULL ||
	    (p->sql = strdup(sql)) == NULL) {
		free(text);
		free(p);
		pg_error(db, RELAIS_ENOMEM, "out of memory");
		return NULL;
	}
	(void)snprintf(p->name, sizeof(p->name), "s%u", db->next_name++);
	/* In a transaction, a statement that does not prepare must leave it
	 * usable, as in SQLite: a savepoint takes the failure back. */
	in_tx = PQtransactionStatus(db->pg) == PQTRANS_INTRANS;
	if (in_tx) {
		PQclear(PQexec(db->pg, "SAVEPOINT relais_prepare"));
	}
	res = PQprepare(db->pg, p->name, text, n_given, given);
	/* A parameter PostgreSQL cannot type (unused, or only in "?3 IS NULL")
	 * is text, as SQLite would take it: named in the error, one at a time. */
	{
		Oid types[RELAIS_HUB_SQL_PARAMS_MAX] = {0};
		int n_types = 0;
		const char *state;
		while (PQresultStatus(res) == PGRES_FATAL_ERROR &&
		       (state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL &&
		       (strcmp(state, "42P18") == 0 || strcmp(state, "42P08") == 0)) {
			const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			const char *d = m ? strchr(m, '$') : NULL;
			long k = d ? strtol(d + 1, NULL, 10) : 0;
			if (k < 1 || k > RELAIS_HUB_SQL_PARAMS_MAX || types[k - 1] != 0) {
				break;
			}
			types[k - 1] = 25; /* text */
			n_types = (int)k > n_types ? (int)k : n_types;
			PQclear(res);
			if (in_tx) {
				PQclear(PQexec(db->pg, "ROLLBACK TO SAVEPOINT relais_prepare"));
			}
			res = PQprepare(db->pg, p->name, text, n_types, types);
		}
	}
	free(text);
	if (in_tx) {
		PQclear(PQexec(db->pg, PQresultStatus(res) == PGRES_COMMAND_OK
		                               ? "RELEASE SAVEPOINT relais_prepare"
		                               : "ROLLBACK TO SAVEPOINT relais_prepare; "
		                                 "RELEASE SAVEPOINT relais_prepare"));
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_result_error(db, res);
		PQclear(res);
		free(p->sql);
		free(p);
		return NULL;
	}
	PQclear(res);
	p->shape = PQdescribePrepared(db->pg, p->name);
	if (PQresultStatus(p->shape) != PGRES_COMMAND_OK) {
		pg_result_error(db, p->shape);
		PQclear(p->shape);
		p->shape = NULL;
		/* The statement stays prepared on the server under its name: leave
		 * it there, the table forgets it. */
		free(p->sql);
		free(p);
		return NULL;
	}
	db->prep[i] = p;
	db->n_prep++;
	return p;
}

/*
 * A streamed query (relais_hub_sql_stream) on PostgreSQL is a cursor fetched CURSOR_ROWS
 * rows at a time: the planner then prefers a plan that yields its first rows soon
 * (cursor_tuple_fraction), such as walking an index in the order asked for rather than
 * sorting the whole result first, and the client holds a batch of rows, not the result.
 */
#define CURSOR_ROWS 1000

/* Runs "what cursor" for st's cursor (FETCH 1000 FROM, CLOSE); returns its result. */
static PGresult *pg_cursor(relais_hub_sql_stmt *st, const char *what)
{
	char sql[64];

	(void)snprintf(sql, sizeof(sql), "%s %s", what, st->cursor);
	return PQexec(st->db->pg, sql);
}

/* Ends a streamed query: closes its cursor, and the transaction that held it when it was
 * the last open there. */
static void pg_abandon(relais_hub_sql_stmt *st)
{
	if (st->streaming) {
		PQclear(pg_cursor(st, "CLOSE"));
	}
	if (st->own_tx && st->db->cursors > 0 && --st->db->cursors == 0) {
		PQclear(PQexec(st->db->pg, "ROLLBACK")); /* they only read */
	}
	st->streaming = st->own_tx = 0;
}

static void pg_drop_result(relais_hub_sql_stmt *st)
{
	int c;

	pg_abandon(st);
	if (st->blobs != NULL && st->res != NULL) {
		for (c = 0; c < PQnfields(st->res); c++) {
			PQfreemem(st->blobs[c]);
		}
	}
	free(st->blobs);
	st->blobs = NULL;
	free(st->reals);
	st->reals = NULL;
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
}

/* Runs a command with no parameters. */
/*
 * Whether a command that just failed may run again on a new connection:
 * the connection dropped (a server restart: each idle connection learns it
 * at its next command) outside a transaction, on the first try.
 */
static int pg_again(relais_hub_sql *db, int attempt, int was_in_tx)
{
	return attempt == 0 && !was_in_tx && PQstatus(db->pg) != CONNECTION_OK;
}

/* Runs sql (one or more commands); with value, the last one's one integer goes there. */
static int pg_command_value(relais_hub_sql *db, const char *sql, long long *value)
{
	PGresult *res;
	int rc = 0, attempt, was_in_tx = db->in_tx;

	for (attempt = 0;; attempt++) {
		if ((rc = pg_ready(db)) != 0) {
			return rc;
		}
		res = PQexec(db->pg, sql);
		if (PQresultStatus(res) == PGRES_COMMAND_OK ||
		    PQresultStatus(res) == PGRES_TUPLES_OK || !pg_again(db, attempt, was_in_tx)) {
			break;
		}
		PQclear(res);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pg_result_error(db, res);
	} else if (value != NULL) {
		if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0)) {
			rc = pg_error(db, RELAIS_EIO, "a query gave no value");
		} else {
			*value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		}
	} else if (PQnfields(res) == 0 && PQcmdTuples(res)[0] != '\0') {
		db->changes = atoi(PQcmdTuples(res));
	}
	PQclear(res);
	return rc;
}

static int pg_command(relais_hub_sql *db, const char *sql)
{
	return pg_command_value(db, sql, NULL);
}

/* ---- connections ---- */

int relais_hub_sql_open(relais_hub_sql **out, const char *where, const char *vfs, int flags)
{
	relais_hub_sql *db = calloc(1, sizeof(*db));

	*out = db;
	if (db == NULL) {
		return RELAIS_ENOMEM;
	}
	if (relais_hub_sql_is_pg(where)) {
		db->kind = RELAIS_HUB_SQL_PG;
		db->pg = PQconnectdb(where);
		if (db->pg == NULL) {
			return pg_error(db, RELAIS_ENOMEM, "out of memory");
		}
		if (PQstatus(db->pg) != CONNECTION_OK) {
			return pg_error(db, RELAIS_EBUSY, PQerrorMessage(db->pg));
		}
		return pg_command(db, PG_SESSION);
	}
	db->kind = RELAIS_HUB_SQL_SQLITE;
	if (sqlite3_open_v2(where, &db->lite,
	                    SQLITE_OPEN_READWRITE |
	                            ((flags & RELAIS_HUB_SQL_CREATE) ? SQLITE_OPEN_CREATE : 0) |
	                            ((flags & RELAIS_HUB_SQL_NOMUTEX) ? SQLITE_OPEN_NOMUTEX : 0),
	                    vfs) != SQLITE_OK) {
		return RELAIS_EIO;
	}
	return 0;
}

void relais_hub_sql_close(relais_hub_sql *db)
{
	if (db == NULL) {
		return;
	}
	if (db->kind == RELAIS_HUB_SQL_PG) {
		pg_forget_prepared(db);
		PQfinish(db->pg);
		relais_strbuf_free(&db->row);
	} else {
		sqlite3_close_v2(db->lite);
	}
	free(db->msg);
	free(db);
}

const char *relais_hub_sql_filename(relais_hub_sql *db)
{
	const char *f;

	if (db->kind != RELAIS_HUB_SQL_SQLITE) {
		return NULL;
	}
	f = sqlite3_db_filename(db->lite, "main");
	return f && f[0] ? f : NULL;
}

int relais_hub_sql_readonly(relais_hub_sql *db)
{
	return db->kind == RELAIS_HUB_SQL_SQLITE && sqlite3_db_readonly(db->lite, "main") > 0;
}

void relais_hub_sql_busy_timeout(relais_hub_sql *db, int ms)
{
	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		sqlite3_busy_timeout(db->lite, ms);
	}
}

/* SQLite's result code as a status (0, ROW, DONE or negative). */
static int lite_status(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_ROW:
		return RELAIS_HUB_SQL_ROW;
	case SQLITE_DONE:
		return RELAIS_HUB_SQL_DONE;
	case SQLITE_CONSTRAINT:
		return RELAIS_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RELAIS_EBUSY;
	case SQLITE_NOMEM:
		return RELAIS_ENOMEM;
	default:
		return RELAIS_EIO;
	}
}

int relais_hub_sql_exec(relais_hub_sql *db, const char *script)
{
	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return lite_status(sqlite3_exec(db->lite, script, NULL, NULL, NULL));
	}
	return pg_command(db, script);
}

int relais_hub_sql_custom_plans(relais_hub_sql *db, int on)
{
	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return 0;
	}
	return pg_command(db,
	                  on ? "SET plan_cache_mode = force_custom_plan" : "RESET plan_cache_mode");
}

/* One writer at a time, as SQLite's BEGIN IMMEDIATE: what a write
 * transaction read stays true until it commits (an If-Match, a quota). */
#define PG_BEGIN "BEGIN; SELECT pg_advisory_xact_lock(7273658)"

int relais_hub_sql_begin(relais_hub_sql *db)
{
	int rc;

	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return lite_status(sqlite3_exec(db->lite, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	}
	if ((rc = pg_command(db, PG_BEGIN)) == 0) {
		db->in_tx = 1;
	}
	return rc;
}

int relais_hub_sql_begin_value(relais_hub_sql *db, const char *sql, long long *value)
{
	sqlite3_stmt *st = NULL;
	char *all;
	int rc;

	if (db->kind == RELAIS_HUB_SQL_PG) {
		/* In the round trip that takes the lock. */
		if ((all = malloc(sizeof(PG_BEGIN "; ") + strlen(sql))) == NULL) {
			return RELAIS_ENOMEM;
		}
		strcpy(all, PG_BEGIN "; ");
		strcat(all, sql);
		rc = pg_command_value(db, all, value);
		free(all);
		if (rc == 0) {
			db->in_tx = 1;
		} else if (PQstatus(db->pg) == CONNECTION_OK &&
		           PQtransactionStatus(db->pg) != PQTRANS_IDLE) {
			pg_command(db, "ROLLBACK"); /* nothing is left begun */
		}
		return rc;
	}
	if ((rc = relais_hub_sql_begin(db)) != RELAIS_HUB_SQL_OK) {
		return rc;
	}
	rc = lite_status(sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL));
	if (rc == RELAIS_HUB_SQL_OK) {
		rc = sqlite3_step(st) == SQLITE_ROW ? RELAIS_HUB_SQL_OK
		                                    : lite_status(sqlite3_errcode(db->lite));
		*value = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != RELAIS_HUB_SQL_OK) {
		sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int relais_hub_sql_commit(relais_hub_sql *db)
{
	PGresult *res;
	int rc = 0;

	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return lite_status(sqlite3_exec(db->lite, "COMMIT", NULL, NULL, NULL));
	}
	if ((rc = pg_ready(db)) != 0) {
		return rc;
	}
	/* A transaction that failed part way answers COMMIT with ROLLBACK. */
	res = PQexec(db->pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_result_error(db, res);
	} else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		rc = pg_error(db, RELAIS_EIO, "the transaction failed and was rolled back");
	}
	PQclear(res);
	db->in_tx = 0;
	return rc;
}

int relais_hub_sql_rollback(relais_hub_sql *db)
{
	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return lite_status(sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL));
	}
	db->in_tx = 0;
	if (db->lost_in_tx) {
		db->lost_in_tx = 0; /* nothing to take back: the server did */
		return 0;
	}
	return pg_command(db, "ROLLBACK");
}

/* ---- statements ---- */

static int prepare(relais_hub_sql *db, const char *sql, int len, relais_hub_sql_stmt **out,
                   const char **tail, unsigned flags)
{
	relais_hub_sql_stmt *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (st == NULL) {
		return RELAIS_ENOMEM;
	}
	st->db = db;
	st->row = -1;
	st->slot = -1;
	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		if ((rc = sqlite3_prepare_v3(db->lite, sql, len, flags, &st->lite, tail)) !=
		    SQLITE_OK) {
			free(st);
			return lite_status(rc);
		}
		*out = st;
		return 0;
	}
	st->sql = len < 0 ? strdup(sql) : strndup(sql, (size_t)len);
	if (tail != NULL) {
		*tail = sql + (len < 0 ? strlen(sql) : (size_t)len);
	}
	if (st->sql == NULL) {
		free(st);
		return pg_error(db, RELAIS_ENOMEM, "out of memory");
	}
	if ((st->p = pg_prepared(db, st->sql, 0, NULL)) == NULL &&
	    (!pg_again(db, 0, db->in_tx) || (st->p = pg_prepared(db, st->sql, 0, NULL)) == NULL)) {
		rc = db->status;
		free(st->sql);
		free(st);
		return rc;
	}
	st->generation = db->generation;
	st->n_params = PQnparams(st->p->shape);
	if (st->n_params > 0 &&
	    ((st->params = calloc((size_t)st->n_params, sizeof(*st->params))) == NULL ||
	     (st->values = calloc((size_t)st->n_params, sizeof(*st->values))) == NULL ||
	     (st->lengths = calloc((size_t)st->n_params, sizeof(*st->lengths))) == NULL ||
	     (st->formats = calloc((size_t)st->n_params, sizeof(*st->formats))) == NULL)) {
		free(st->params);
		free(st->values);
		free(st->lengths);
		free(st->sql);
		free(st);
		return pg_error(db, RELAIS_ENOMEM, "out of memory");
	}
	*out = st;
	return 0;
}

int relais_hub_sql_prepare(relais_hub_sql *db, const char *sql, int len, relais_hub_sql_stmt **out,
                           const char **tail)
{
	return prepare(db, sql, len, out, tail, 0);
}

int relais_hub_sql_prepare_persistent(relais_hub_sql *db, const char *sql,
                                      relais_hub_sql_stmt **out)
{
	return prepare(db, sql, -1, out, NULL, SQLITE_PREPARE_PERSISTENT);
}

/* Parameter i (from 1) of a PostgreSQL statement, emptied; NULL when out of range. */
static struct pg_param *pg_param(relais_hub_sql_stmt *st, int i)
{
	struct pg_param *p;

	if (i < 1 || i > st->n_params) {
		return NULL;
	}
	p = &st->params[i - 1];
	free(p->owned);
	memset(p, 0, sizeof(*p));
	return p;
}

int relais_hub_sql_bind_text(relais_hub_sql_stmt *st, int i, const char *s, int len, int mem)
{
	struct pg_param *p;

	if (st->lite != NULL) {
		return lite_status(sqlite3_bind_text(
		        st->lite, i, s, len,
		        mem == RELAIS_HUB_SQL_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT));
	}
	if ((p = pg_param(st, i)) == NULL) {
		return RELAIS_EINVAL;
	}
	if (s == NULL) {
		return 0;
	}
	if (len >= 0 || mem != RELAIS_HUB_SQL_STATIC) {
		p->owned = len >= 0 ? strndup(s, (size_t)len) : strdup(s);
		if (p->owned == NULL) {
			return RELAIS_ENOMEM;
		}
		s = p->owned;
	}
	p->value = s;
	return 0;
}

int relais_hub_sql_bind_blob(relais_hub_sql_stmt *st, int i, const void *data, size_t len, int mem)
{
	struct pg_param *p;

	if (st->lite != NULL) {
		return lite_status(sqlite3_bind_blob64(
		        st->lite, i, data, len,
		        mem == RELAIS_HUB_SQL_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT));
	}
	if ((p = pg_param(st, i)) == NULL) {
		return RELAIS_EINVAL;
	}
	if (len > 0x7fffffff) {
		return RELAIS_ELIMIT;
	}
	if (mem != RELAIS_HUB_SQL_STATIC) {
		if ((p->owned = malloc(len ? len : 1)) == NULL) {
			return RELAIS_ENOMEM;
		}
		memcpy(p->owned, data, len);
		data = p->owned;
	}
	p->value = data ? data : "";
	p->len = (int)len;
	p->format = 1;
	return 0;
}

static int pg_bind_number(relais_hub_sql_stmt *st, int i, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int pg_bind_number(relais_hub_sql_stmt *st, int i, const char *fmt, ...)
{
	struct pg_param *p = pg_param(st, i);
	va_list ap;

	if (p == NULL) {
		return RELAIS_EINVAL;
	}
	va_start(ap, fmt);
	(void)vsnprintf(p->num, sizeof(p->num), fmt, ap);
	va_end(ap);
	p->value = p->num;
	return 0;
}

int relais_hub_sql_bind_int(relais_hub_sql_stmt *st, int i, int v)
{
	if (st->lite != NULL) {
		return lite_status(sqlite3_bind_int(st->lite, i, v));
	}
	return pg_bind_number(st, i, "%d", v);
}

int relais_hub_sql_bind_int64(relais_hub_sql_stmt *st, int i, long long v)
{
	if (st->lite != NULL) {
		return lite_status(sqlite3_bind_int64(st->lite, i, v));
	}
	return pg_bind_number(st, i, "%lld", (long long)v);
}

int relais_hub_sql_bind_double(relais_hub_sql_stmt *st, int i, double v)
{
	if (st->lite != NULL) {
		return lite_status(sqlite3_bind_double(st->lite, i, v));
	}
	return pg_bind_number(st, i, "%.17g", v);
}

int relais_hub_sql_bind_null(relais_hub_sql_stmt *st, int i)
{
	if (st->lite != NULL) {
		return lite_status(sqlite3_bind_null(st->lite, i));
	}
	return pg_param(st, i) ? 0 : RELAIS_EINVAL;
}

int relais_hub_sql_clear_bindings(relais_hub_sql_stmt *st)
{
	int i;

	if (st->lite != NULL) {
		return lite_status(sqlite3_clear_bindings(st->lite));
	}
	for (i = 1; i <= st->n_params; i++) {
		(void)pg_param(st, i);
	}
	return 0;
}

/* Runs a PostgreSQL statement with its bindings; keeps its rows. */
static int pg_execute(relais_hub_sql_stmt *st)
{
	relais_hub_sql *db = st->db;
	int i, rc, attempt, was_in_tx = db->in_tx;
	ExecStatusType es;

	for (i = 0; i < st->n_params; i++) {
		st->values[i] = st->params[i].value;
		st->lengths[i] = st->params[i].len;
		st->formats[i] = st->params[i].format;
	}
	for (attempt = 0;; attempt++) {
		if ((rc = pg_ready(db)) != 0) {
			return rc;
		}
		if (st->generation != db->generation) {
			if ((st->p = pg_prepared(db, st->sql, st->n_types, st->types)) == NULL) {
				return db->status;
			}
			st->generation = db->generation;
		}
		if (!st->single) {
			st->res = PQexecPrepared(db->pg, st->p->name, st->n_params, st->values,
			                         st->lengths, st->formats, 0);
		} else {
			/* DECLARE (its text is the statement's, relais_hub_sql_stream), then the
			 * first rows. */
			if (!st->own_tx && db->cursors > 0) {
				st->own_tx = 1;
				db->cursors++;
			} else if (!st->own_tx && PQtransactionStatus(db->pg) == PQTRANS_IDLE) {
				/* A whole file's query runs long enough for JIT to pay: the
				 * server's setting, not PG_SESSION's. */
				PQclear(PQexec(db->pg, "BEGIN; SET LOCAL jit TO DEFAULT"));
				st->own_tx = PQtransactionStatus(db->pg) == PQTRANS_INTRANS;
				db->cursors = st->own_tx;
			}
			st->res = PQexecPrepared(db->pg, st->p->name, st->n_params, st->values,
			                         st->lengths, st->formats, 0);
			if (PQresultStatus(st->res) == PGRES_COMMAND_OK) {
				st->streaming = 1;
				PQclear(st->res);
				st->res = pg_cursor(st, "FETCH 1000 FROM");
			}
		}
		es = PQresultStatus(st->res);
		if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK ||
		    !pg_again(db, attempt, was_in_tx || st->own_tx)) {
			break;
		}
		PQclear(st->res);
		st->res = NULL;
	}
	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
		rc = st->res != NULL ? pg_result_error(db, st->res)
		                     : pg_error(db, RELAIS_EIO, PQerrorMessage(db->pg));
		pg_drop_result(st);
		return rc;
	}
	if (PQnfields(st->res) == 0 && PQcmdTuples(st->res)[0] != '\0') {
		db->changes = atoi(PQcmdTuples(st->res));
	}
	if (PQnfields(st->res) > 0 &&
	    ((st->blobs = calloc((size_t)PQnfields(st->res), sizeof(*st->blobs))) == NULL ||
	     (st->reals = calloc((size_t)PQnfields(st->res), sizeof(*st->reals))) == NULL)) {
		pg_drop_result(st);
		return pg_error(db, RELAIS_ENOMEM, "out of memory");
	}
	return 0;
}

int relais_hub_sql_step(relais_hub_sql_stmt *st)
{
	int rc, c;

	if (st->lite != NULL) {
		return lite_status(sqlite3_step(st->lite));
	}
	if (st->res == NULL && (rc = pg_execute(st)) != 0) {
		return rc;
	}
	if (st->blobs != NULL) {
		for (c = 0; c < PQnfields(st->res); c++) {
			PQfreemem(st->blobs[c]);
			st->blobs[c] = NULL;
		}
	}
	if (st->row + 1 < PQntuples(st->res)) {
		st->row++;
		return RELAIS_HUB_SQL_ROW;
	}
	if (st->streaming && PQntuples(st->res) == CURSOR_ROWS) {
		/* The cursor's next rows. */
		PGresult *next = pg_cursor(st, "FETCH 1000 FROM");
		if (PQresultStatus(next) != PGRES_TUPLES_OK) {
			rc = pg_result_error(st->db, next);
			PQclear(next);
			pg_abandon(st);
			st->row = PQntuples(st->res);
			return rc;
		}
		PQclear(st->res);
		st->res = next; /* same columns: blobs and reals stay as allocated */
		st->row = 0;
		if (PQntuples(next) > 0) {
			return RELAIS_HUB_SQL_ROW;
		}
	}
	pg_abandon(st);
	st->row = PQntuples(st->res);
	return RELAIS_HUB_SQL_DONE;
}

void relais_hub_sql_stream(relais_hub_sql_stmt *st)
{
	size_t n;
	char *sql;
	int i;

	if (st->lite != NULL || st->single || st->sql == NULL) {
		return;
	}
	/* A name of a few, taken until finalized, so that the statement's text (its prepared
	 * table's key) is one of a few per query. */
	for (i = 0; i < 31 && (st->db->slots & (1u << i)) != 0; i++) {
	}
	if (i == 31) {
		return;
	}
	st->db->slots |= 1u << i;
	st->slot = i;
	(void)snprintf(st->cursor, sizeof(st->cursor), "relais_rows%d", i);
	n = strlen(st->sql) + strlen(st->cursor) + sizeof("DECLARE  NO SCROLL CURSOR FOR ");
	if ((sql = malloc(n)) == NULL) {
		return; /* not streamed: the whole result, as before */
	}
	/* PostgreSQL does not infer the types of a DECLARE's parameters: those the query
	 * was prepared with. */
	if (st->p != NULL && st->n_params > 0 &&
	    (st->types = calloc((size_t)st->n_params, sizeof(*st->types))) != NULL) {
		for (i = 0; i < st->n_params; i++) {
			st->types[i] = PQparamtype(st->p->shape, i);
		}
		st->n_types = st->n_params;
	}
	(void)snprintf(sql, n, "DECLARE %s NO SCROLL CURSOR FOR %s", st->cursor, st->sql);
	free(st->sql);
	st->sql = sql;
	st->generation = st->db->generation - 1; /* prepared again, as a cursor */
	st->single = 1;
}

int relais_hub_sql_reset(relais_hub_sql_stmt *st)
{
	if (st == NULL) {
		return 0;
	}
	if (st->lite != NULL) {
		return lite_status(sqlite3_reset(st->lite));
	}
	pg_drop_result(st);
	return 0;
}

void relais_hub_sql_finalize(relais_hub_sql_stmt *st)
{
	if (st == NULL) {
		return;
	}
	if (st->lite != NULL) {
		sqlite3_finalize(st->lite);
	} else {
		pg_drop_result(st);
		if (st->slot >= 0) {
			st->db->slots &= ~(1u << st->slot);
		}
		(void)relais_hub_sql_clear_bindings(st);
		free(st->params);
		free(st->values);
		free(st->lengths);
		free(st->formats);
		free(st->types);
		free(st->sql);
	}
	free(st);
}

/* Whether a PostgreSQL statement has column col in a current row. */
static int pg_has(const relais_hub_sql_stmt *st, int col)
{
	return st->res != NULL && st->row >= 0 && st->row < PQntuples(st->res) && col >= 0 &&
	       col < PQnfields(st->res);
}

/*
 * A real number's text as SQLite's gives it ("%!.15g": 15 digits, and a
 * whole number keeps ".0"), so that a report reads the same on both
 * backends (PostgreSQL writes numeric 0.1 as "0.100", float8 1 as "1").
 */
static const char *real_text(char out[32], double v)
{
	char *e;
	int n = snprintf(out, 32, "%.15g", v);

	if (n > 0 && n < 28 && strpbrk(out, ".ni") == NULL) { /* not nan, inf */
		e = strchr(out, 'e');
		if (e == NULL) {
			memcpy(out + n, ".0", 3);
		} else {
			memmove(e + 2, e, strlen(e) + 1);
			memcpy(e, ".0", 2);
		}
	}
	return out;
}

const unsigned char *relais_hub_sql_column_text(relais_hub_sql_stmt *st, int col)
{
	if (st->lite != NULL) {
		return sqlite3_column_text(st->lite, col);
	}
	if (!pg_has(st, col) || PQgetisnull(st->res, st->row, col)) {
		return NULL;
	}
	if (PQftype(st->res, col) == 17) {
		return relais_hub_sql_column_blob(st, col);
	}
	if (relais_hub_sql_column_type(st, col) == RELAIS_HUB_SQL_FLOAT) {
		return (const unsigned char *)real_text(st->reals[col],
		                                        relais_hub_sql_column_double(st, col));
	}
	return (const unsigned char *)PQgetvalue(st->res, st->row, col);
}

const void *relais_hub_sql_column_blob(relais_hub_sql_stmt *st, int col)
{
	size_t len;

	if (st->lite != NULL) {
		return sqlite3_column_blob(st->lite, col);
	}
	if (!pg_has(st, col) || PQgetisnull(st->res, st->row, col)) {
		return NULL;
	}
	if (PQftype(st->res, col) != 17) {
		return PQgetvalue(st->res, st->row, col);
	}
	if (st->blobs[col] == NULL) {
		st->blobs[col] = PQunescapeBytea(
		        (const unsigned char *)PQgetvalue(st->res, st->row, col), &len);
	}
	return st->blobs[col];
}

int relais_hub_sql_column_bytes(relais_hub_sql_stmt *st, int col)
{
	size_t len = 0;
	const unsigned char *v;

	if (st->lite != NULL) {
		return sqlite3_column_bytes(st->lite, col);
	}
	if (!pg_has(st, col) || PQgetisnull(st->res, st->row, col)) {
		return 0;
	}
	if (PQftype(st->res, col) != 17) {
		return PQgetlength(st->res, st->row, col);
	}
	/* bytea: the length unescaped (\x and two digits per byte). */
	v = (const unsigned char *)PQgetvalue(st->res, st->row, col);
	if (v[0] == '\\' && v[1] == 'x') {
		return (PQgetlength(st->res, st->row, col) - 2) / 2;
	}
	if (relais_hub_sql_column_blob(st, col) != NULL) {
		PQfreemem(PQunescapeBytea(v, &len));
	}
	return (int)len;
}

long long relais_hub_sql_column_int64(relais_hub_sql_stmt *st, int col)
{
	const char *v;

	if (st->lite != NULL) {
		return sqlite3_column_int64(st->lite, col);
	}
	if (!pg_has(st, col) || PQgetisnull(st->res, st->row, col)) {
		return 0;
	}
	v = PQgetvalue(st->res, st->row, col);
	if (PQftype(st->res, col) == 16) {
		return v[0] == 't';
	}
	return strchr(v, '.') || strchr(v, 'e') ? (long long)strtod(v, NULL) : strtoll(v, NULL, 10);
}

int relais_hub_sql_column_int(relais_hub_sql_stmt *st, int col)
{
	if (st->lite != NULL) {
		return sqlite3_column_int(st->lite, col);
	}
	return (int)relais_hub_sql_column_int64(st, col);
}

double relais_hub_sql_column_double(relais_hub_sql_stmt *st, int col)
{
	if (st->lite != NULL) {
		return sqlite3_column_double(st->lite, col);
	}
	if (!pg_has(st, col) || PQgetisnull(st->res, st->row, col)) {
		return 0;
	}
	return strtod(PQgetvalue(st->res, st->row, col), NULL);
}

int relais_hub_sql_column_type(relais_hub_sql_stmt *st, int col)
{
	if (st->lite != NULL) {
		switch (sqlite3_column_type(st->lite, col)) {
		case SQLITE_INTEGER:
			return RELAIS_HUB_SQL_INTEGER;
		case SQLITE_FLOAT:
			return RELAIS_HUB_SQL_FLOAT;
		case SQLITE_BLOB:
			return RELAIS_HUB_SQL_BLOB;
		case SQLITE_NULL:
			return RELAIS_HUB_SQL_NULL;
		default:
			return RELAIS_HUB_SQL_TEXT;
		}
	}
	if (!pg_has(st, col) || PQgetisnull(st->res, st->row, col)) {
		return RELAIS_HUB_SQL_NULL;
	}
	switch (PQftype(st->res, col)) {
	case 16: /* bool */
	case 20: /* int8 */
	case 21: /* int2 */
	case 23: /* int4 */
	case 26: /* oid */
		return RELAIS_HUB_SQL_INTEGER;
	case 700: /* float4 */
	case 701: /* float8 */
		return RELAIS_HUB_SQL_FLOAT;
	case 1700: /* numeric: sum() of integers gives one */
		return strchr(PQgetvalue(st->res, st->row, col), '.') ? RELAIS_HUB_SQL_FLOAT
		                                                      : RELAIS_HUB_SQL_INTEGER;
	case 17: /* bytea */
		return RELAIS_HUB_SQL_BLOB;
	default:
		return RELAIS_HUB_SQL_TEXT;
	}
}

int relais_hub_sql_column_count(relais_hub_sql_stmt *st)
{
	if (st->lite != NULL) {
		return sqlite3_column_count(st->lite);
	}
	return st->res ? PQnfields(st->res) : PQnfields(st->p->shape);
}

const char *relais_hub_sql_column_name(relais_hub_sql_stmt *st, int col)
{
	if (st->lite != NULL) {
		return sqlite3_column_name(st->lite, col);
	}
	return PQfname(st->res ? st->res : st->p->shape, col);
}

int relais_hub_sql_changes(relais_hub_sql *db)
{
	return db->kind == RELAIS_HUB_SQL_SQLITE ? sqlite3_changes(db->lite) : db->changes;
}

long long relais_hub_sql_last_insert_id(relais_hub_sql *db)
{
	PGresult *res;
	long long id = 0;

	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return sqlite3_last_insert_rowid(db->lite);
	}
	res = PQexec(db->pg, "SELECT lastval()");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	}
	PQclear(res);
	return id;
}

const char *relais_hub_sql_errmsg(relais_hub_sql *db)
{
	if (db == NULL) {
		return "out of memory";
	}
	if (db->kind == RELAIS_HUB_SQL_SQLITE) {
		return db->lite ? sqlite3_errmsg(db->lite) : "out of memory";
	}
	return db->msg ? db->msg : "not an error";
}

int relais_hub_sql_fail(relais_ctx *ctx, relais_hub_sql *db, int status, const char *what)
{
	if (db != NULL && db->kind == RELAIS_HUB_SQL_SQLITE && db->lite != NULL) {
		int code = sqlite3_errcode(db->lite);
		/* In WAL mode a full disk often shows as an I/O error: ask the OS. */
		if (code == SQLITE_FULL || sqlite3_system_errno(db->lite) == ENOSPC) {
			return relais_fail(ctx, RELAIS_EIO, "%s: the disk is full", what);
		}
		if (code == SQLITE_NOMEM) {
			return relais_fail(ctx, RELAIS_ENOMEM, "%s: out of memory", what);
		}
		if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
			status = RELAIS_EBUSY;
		}
	} else if (db != NULL && db->kind == RELAIS_HUB_SQL_PG &&
	           (PQstatus(db->pg) != CONNECTION_OK || db->lost_in_tx)) {
		status = RELAIS_EBUSY;
	}
	return relais_fail(ctx, status, "%s: %s", what, relais_hub_sql_errmsg(db));
}

char *relais_hub_sql_dup(relais_hub_sql_stmt *st, int col)
{
	const unsigned char *t = relais_hub_sql_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

/* ---- array literals (PostgreSQL) ---- */

/* The separator before the next element: '{' before the first. */
static void array_next(struct relais_hub_sql_array *a)
{
	relais_strbuf_addn(&a->b, a->b.len == 0 ? "{" : ",", 1);
}

void relais_hub_sql_array_text(struct relais_hub_sql_array *a, const char *s)
{
	size_t from, i;

	array_next(a);
	if (s == NULL) {
		relais_strbuf_addn(&a->b, "NULL", 4);
		return;
	}
	/* Quoted, with '"' and '\' escaped: the only bytes array_in reads inside quotes. */
	relais_strbuf_addn(&a->b, "\"", 1);
	for (from = i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			relais_strbuf_addn(&a->b, s + from, i - from);
			relais_strbuf_addn(&a->b, "\\", 1);
			from = i;
		}
	}
	relais_strbuf_addn(&a->b, s + from, i - from);
	relais_strbuf_addn(&a->b, "\"", 1);
}

void relais_hub_sql_array_int64(struct relais_hub_sql_array *a, long long v)
{
	array_next(a);
	relais_strbuf_printf(&a->b, "%lld", v);
}

void relais_hub_sql_array_double(struct relais_hub_sql_array *a, double v, double min)
{
	array_next(a);
	if (v < min) {
		relais_strbuf_addn(&a->b, "NULL", 4);
	} else {
		relais_strbuf_printf(&a->b, "%.17g", v); /* as relais_hub_sql_bind_double */
	}
}

int relais_hub_sql_bind_array(relais_hub_sql_stmt *st, int i, struct relais_hub_sql_array *a)
{
	if (!a->closed) {
		relais_strbuf_add(&a->b, a->b.len == 0 ? "{}" : "}");
		a->closed = 1;
	}
	if (a->b.rc != 0) {
		return a->b.rc;
	}
	return relais_hub_sql_bind_text(st, i, a->b.p, -1, RELAIS_HUB_SQL_STATIC);
}

void relais_hub_sql_array_free(struct relais_hub_sql_array *a)
{
	relais_strbuf_free(&a->b);
}

/* ---- bulk loading (COPY) ---- */

int relais_hub_sql_copy_begin(relais_hub_sql *db, const char *copy_sql)
{
	PGresult *res;
	int rc;

	if (db->kind != RELAIS_HUB_SQL_PG) {
		return RELAIS_EINVAL;
	}
	if ((rc = pg_ready(db)) != 0) {
		return rc;
	}
	res = PQexec(db->pg, copy_sql);
	rc = PQresultStatus(res) == PGRES_COPY_IN ? 0 : pg_result_error(db, res);
	PQclear(res);
	return rc;
}

/* Appends n bytes as a COPY text field: \\, newline, return and tab escaped. */
static int copy_text(struct relais_strbuf *b, const unsigned char *s, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		const char *esc = s[i] == '\\'   ? "\\\\"
		                  : s[i] == '\n' ? "\\n"
		                  : s[i] == '\r' ? "\\r"
		                  : s[i] == '\t' ? "\\t"
		                                 : NULL;
		if (s[i] == '\0') {
			return RELAIS_EFORMAT;
		}
		if (esc != NULL) {
			relais_strbuf_addn(b, (const char *)s + from, i - from);
			relais_strbuf_add(b, esc);
			from = i + 1;
		}
	}
	relais_strbuf_addn(b, (const char *)s + from, n - from);
	return 0;
}

/* Appends n bytes as a bytea field: \\x and their hex digits. */
static void copy_bytea(struct relais_strbuf *b, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char pair[2];
	size_t i;

	relais_strbuf_add(b, "\\\\x");
	for (i = 0; i < n; i++) {
		pair[0] = hex[s[i] >> 4];
		pair[1] = hex[s[i] & 15];
		relais_strbuf_addn(b, pair, 2);
	}
}

int relais_hub_sql_copy_row(relais_hub_sql *db, relais_hub_sql_stmt *from,
                            const unsigned char *bytea)
{
	struct relais_strbuf *b = &db->row;
	int i, n = relais_hub_sql_column_count(from), rc = 0;

	if (db->kind != RELAIS_HUB_SQL_PG) {
		return RELAIS_EINVAL;
	}
	b->max = 0x7fffffff;
	relais_strbuf_reset(b);
	for (i = 0; i < n && rc == 0; i++) {
		int type = relais_hub_sql_column_type(from, i);
		if (i > 0) {
			relais_strbuf_addn(b, "\t", 1);
		}
		if (type == RELAIS_HUB_SQL_NULL) {
			relais_strbuf_add(b, "\\N");
		} else if (bytea != NULL && bytea[i]) {
			const void *p = relais_hub_sql_column_blob(from, i);
			copy_bytea(b, p, (size_t)relais_hub_sql_column_bytes(from, i));
		} else if (type == RELAIS_HUB_SQL_INTEGER) {
			relais_strbuf_printf(b, "%lld", relais_hub_sql_column_int64(from, i));
		} else if (type == RELAIS_HUB_SQL_FLOAT) {
			relais_strbuf_printf(b, "%.17g", relais_hub_sql_column_double(from, i));
		} else {
			const unsigned char *t = relais_hub_sql_column_text(from, i);
			rc = copy_text(b, t ? t : (const unsigned char *)"",
			               (size_t)relais_hub_sql_column_bytes(from, i));
		}
	}
	relais_strbuf_addn(b, "\n", 1);
	if (rc != 0) {
		return pg_error(db, rc, "a text holds a NUL byte, which PostgreSQL cannot store");
	}
	if (b->rc != 0) {
		return pg_error(db, b->rc, "a row too large to copy");
	}
	if (PQputCopyData(db->pg, b->p, (int)b->len) != 1) {
		return pg_error(db, RELAIS_EIO, PQerrorMessage(db->pg));
	}
	return 0;
}

int relais_hub_sql_copy_end(relais_hub_sql *db, int ok, long long *rows)
{
	PGresult *res;
	int rc = 0, first = 1;

	if (rows != NULL) {
		*rows = 0;
	}
	if (db->kind != RELAIS_HUB_SQL_PG) {
		return RELAIS_EINVAL;
	}
	if (PQputCopyEnd(db->pg, ok ? NULL : "the copy was abandoned") != 1) {
		rc = pg_error(db, RELAIS_EIO, PQerrorMessage(db->pg));
	}
	while ((res = PQgetResult(db->pg)) != NULL) {
		if (first && rc == 0) {
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				rc = ok ? pg_result_error(db, res) : 0;
			} else if (rows != NULL) {
				*rows = strtoll(PQcmdTuples(res), NULL, 10);
			}
		}
		first = 0;
		PQclear(res);
	}
	relais_strbuf_free(&db->row);
	return rc;
}
