/* home.h: a learner laptop's relais home: the library folder and the database. */
#ifndef RELAIS_HOME_H
#define RELAIS_HOME_H

#include "relais/context.h"

typedef struct relais_home relais_home;

/*
 * Opens the home folder at path, or when path is NULL at $RELAIS_HOME, else
 * $XDG_DATA_HOME/relais, else ~/.local/share/relais; creates it, its
 * library/ folder and its database (SQLite, WAL, full sync) as needed and
 * brings the schema up to date (numbered migrations, each in a transaction).
 * Another process may hold the same home open: writes wait for each other
 * instead of failing. Returns 0 or a negative status.
 */
int relais_home_open(relais_home **out, relais_ctx *ctx, const char *path);

/* Closes the home; accepts NULL. */
void relais_home_close(relais_home *home);

/* The home folder and its library folder; borrowed until close. */
const char *relais_home_path(const relais_home *home);
const char *relais_home_library(const relais_home *home);

/* The schema version of the database. */
int relais_home_schema_version(const relais_home *home);

/* A setting's value (malloc'd) or NULL when unset. Returns 0 or a status. */
int relais_setting_get(char **out, relais_home *home, relais_ctx *ctx, const char *key);
int relais_setting_set(relais_home *home, relais_ctx *ctx, const char *key, const char *value);

#endif
