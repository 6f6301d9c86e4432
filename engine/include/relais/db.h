/* db.h: what every SQLite store shares (the home's and the hub's): failures and text columns. */
#ifndef RELAIS_DB_H
#define RELAIS_DB_H

#include "relais/context.h"

/* Declared, not included: sqlite3.h stays out of the public headers. */
struct sqlite3;
struct sqlite3_stmt;

/* Records the database's error for what was being done and returns status. */
int relais_db_fail(relais_ctx *ctx, struct sqlite3 *db, int status, const char *what);

/* A column as a malloc'd string ("" for NULL); NULL only when out of memory. */
char *relais_db_text(struct sqlite3_stmt *st, int col);

#endif
