/* sql_probe.c: drives the hub's database layer (sync/hub/sql.h) line by line for test_sql.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/context.h"
#include "relais/error.h"
#include "sql.h"

/*
 * usage: sql_probe WHERE (a SQLite path or a postgresql:// URL); reads
 * commands, one a line, and answers each with lines ending in "." :
 *   exec SQL             runs a script
 *   query SQL|A|B...     prepares SQL, binds A, B... (i:N an integer, x:HEX a
 *                        blob, n: NULL, anything else text), steps it to the
 *                        end, prints each row as name=type:value cells, or
 *                        "changes N" for a statement that returns no rows
 *   again                steps the last query's statement again, bindings kept
 *   others N             prepares and steps N other statements, keeping the last
 *                        query's (the layer's table of prepared statements grows)
 *   begin, commit, rollback
 * A failure prints "error STATUS-NAME: message".
 */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
}

static void failed(relais_hub_sql *db, int rc)
{
	printf("error %s: %s\n", relais_strerror(rc), relais_hub_sql_errmsg(db));
}

static void run_rows(relais_hub_sql *db, relais_hub_sql_stmt *st)
{
	int rc, c;

	while ((rc = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		for (c = 0; c < relais_hub_sql_column_count(st); c++) {
			int t = relais_hub_sql_column_type(st, c);
			printf("%s%s=", c ? "\t" : "", relais_hub_sql_column_name(st, c));
			if (t == RELAIS_HUB_SQL_NULL) {
				printf("null");
			} else if (t == RELAIS_HUB_SQL_INTEGER) {
				printf("int:%lld", relais_hub_sql_column_int64(st, c));
			} else if (t == RELAIS_HUB_SQL_FLOAT) {
				printf("real:%g", relais_hub_sql_column_double(st, c));
			} else if (t == RELAIS_HUB_SQL_BLOB) {
				const unsigned char *b = relais_hub_sql_column_blob(st, c);
				int i, n = relais_hub_sql_column_bytes(st, c);
				printf("blob:");
				for (i = 0; i < n; i++) {
					printf("%02x", b[i]);
				}
			} else {
				printf("text:%s", (const char *)relais_hub_sql_column_text(st, c));
			}
		}
		printf("\n");
	}
	if (rc != RELAIS_HUB_SQL_DONE) {
		failed(db, rc);
	} else if (relais_hub_sql_column_count(st) == 0) {
		printf("changes %d\n", relais_hub_sql_changes(db));
	}
}

int main(int argc, char **argv)
{
	relais_hub_sql *db = NULL;
	relais_hub_sql_stmt *st = NULL;
	char line[8192];
	unsigned char blobs[16][256];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: sql_probe WHERE\n");
		return 2;
	}
	if ((rc = relais_hub_sql_open(&db, argv[1], NULL, RELAIS_HUB_SQL_CREATE)) != 0) {
		failed(db, rc);
		relais_hub_sql_close(db);
		return 1;
	}
	printf("open\n.\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "exec ", 5) == 0) {
			if ((rc = relais_hub_sql_exec(db, line + 5)) != 0) {
				failed(db, rc);
			} else {
				printf("ok\n");
			}
		} else if (strcmp(line, "begin") == 0 || strcmp(line, "commit") == 0 ||
		           strcmp(line, "rollback") == 0) {
			rc = line[0] == 'b'   ? relais_hub_sql_begin(db)
			     : line[0] == 'c' ? relais_hub_sql_commit(db)
			                      : relais_hub_sql_rollback(db);
			if (rc != 0) {
				failed(db, rc);
			} else {
				printf("ok\n");
			}
		} else if (strncmp(line, "query ", 6) == 0) {
			char *sql = line + 6, *arg = strchr(sql, '|');
			int i = 1;
			relais_hub_sql_finalize(st);
			st = NULL;
			if (arg != NULL) {
				*arg++ = '\0';
			}
			if ((rc = relais_hub_sql_prepare(db, sql, -1, &st, NULL)) != 0) {
				failed(db, rc);
				printf(".\n");
				fflush(stdout);
				continue;
			}
			while (arg != NULL && i <= 16) {
				char *next = strchr(arg, '|');
				if (next != NULL) {
					*next++ = '\0';
				}
				if (strncmp(arg, "i:", 2) == 0) {
					relais_hub_sql_bind_int64(st, i,
					                          strtoll(arg + 2, NULL, 10));
				} else if (strncmp(arg, "n:", 2) == 0) {
					relais_hub_sql_bind_null(st, i);
				} else if (strncmp(arg, "x:", 2) == 0) {
					size_t n = strlen(arg + 2) / 2, k;
					for (k = 0; k < n && k < sizeof(blobs[0]); k++) {
						blobs[i - 1][k] =
						        (unsigned char)(hexval(arg[2 + 2 * k]) *
						                                16 +
						                        hexval(arg[3 + 2 * k]));
					}
					relais_hub_sql_bind_blob(st, i, blobs[i - 1], k,
					                         RELAIS_HUB_SQL_STATIC);
				} else {
					relais_hub_sql_bind_text(st, i, arg, -1,
					                         RELAIS_HUB_SQL_TRANSIENT);
				}
				arg = next;
				i++;
			}
			run_rows(db, st);
		} else if (strncmp(line, "others ", 7) == 0) {
			int k, n = atoi(line + 7);
			for (k = 0, rc = 0; k < n && rc == 0; k++) {
				relais_hub_sql_stmt *other = NULL;
				char sql[64];
				(void)snprintf(sql, sizeof(sql), "SELECT %d AS n", k);
				if ((rc = relais_hub_sql_prepare(db, sql, -1, &other, NULL)) == 0 &&
				    relais_hub_sql_step(other) != RELAIS_HUB_SQL_ROW) {
					rc = RELAIS_EIO;
				}
				relais_hub_sql_finalize(other);
			}
			if (rc != 0) {
				failed(db, rc);
			} else {
				printf("ok\n");
			}
		} else if (strcmp(line, "again") == 0 && st != NULL) {
			relais_hub_sql_reset(st);
			run_rows(db, st);
		} else {
			printf("error unknown command\n");
		}
		printf(".\n");
		fflush(stdout);
	}
	relais_hub_sql_finalize(st);
	relais_hub_sql_close(db);
	return 0;
}
