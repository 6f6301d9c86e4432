/* home_private.h: the database handle and helpers the engine's modules share. */
#ifndef RELAIS_HOME_PRIVATE_H
#define RELAIS_HOME_PRIVATE_H

#include <sqlite3.h>

#include "relais/db.h"
#include "relais/home.h"
#include "relais/util.h"

/* The home's database connection; borrowed. */
sqlite3 *relais_home_db(relais_home *home);

/* BEGIN IMMEDIATE (waits for other writers), COMMIT, ROLLBACK. */
int relais_db_begin(relais_home *home, relais_ctx *ctx);
int relais_db_commit(relais_home *home, relais_ctx *ctx);
void relais_db_rollback(relais_home *home);

/* Runs one bound statement to its end and finalizes it; records why it failed (what). */
int relais_db_run(sqlite3_stmt *st, relais_home *home, relais_ctx *ctx, const char *what);

/* Prepares sql or records why not. */
int relais_db_prepare(sqlite3_stmt **out, relais_home *home, relais_ctx *ctx, const char *sql);

#endif
