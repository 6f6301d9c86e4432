/* home_private.h: the database handle and helpers the engine's modules share. */
#ifndef RELAIS_HOME_PRIVATE_H
#define RELAIS_HOME_PRIVATE_H

#include <sqlite3.h>

#include "relais/home.h"

/* The home's database connection; borrowed. */
sqlite3 *relais_home_db(relais_home *home);

/* Records the database's error for what was being done and returns status. */
int relais_db_fail(relais_ctx *ctx, sqlite3 *db, int status, const char *what);

/* BEGIN IMMEDIATE (waits for other writers), COMMIT, ROLLBACK. */
int relais_db_begin(relais_home *home, relais_ctx *ctx);
int relais_db_commit(relais_home *home, relais_ctx *ctx);
void relais_db_rollback(relais_home *home);

/* Prepares sql or records why not. */
int relais_db_prepare(sqlite3_stmt **out, relais_home *home, relais_ctx *ctx, const char *sql);

/* A column as a malloc'd string ("" for NULL); NULL only when out of memory. */
char *relais_db_text(sqlite3_stmt *st, int col);

/*
 * Appends one zeroed element of size bytes to the array *array holding
 * *count elements, growing it by doubling, and returns the new element
 * (*count is then one more); NULL when out of memory, the array unchanged.
 * The array is freed by its owner as usual.
 */
void *relais_push(void *array, size_t *count, size_t size);

/*
 * Writes the current UTC time as ISO 8601 with milliseconds
 * ("2026-11-29T10:00:00.000Z"); returns it in milliseconds since the epoch.
 */
long long relais_now_iso(char out[32]);

#endif
