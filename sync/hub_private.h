/* hub_private.h: what the hub's store, server and reports share (private). */
#ifndef RELAIS_HUB_PRIVATE_H
#define RELAIS_HUB_PRIVATE_H

#include <sodium.h>
#include <sqlite3.h>

#include "relais/hub.h"

struct relais_hub {
	sqlite3 *db;
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown coordinators */
};

/* Records the database's error for what and returns status. */
int hub_db_fail(relais_ctx *ctx, sqlite3 *db, int status, const char *what);

/* Milliseconds since the epoch of an ISO 8601 date-time; -1 when malformed. */
long long hub_parse_time(const char *iso);

/* Writes the current time as ISO 8601 UTC with milliseconds; returns it in ms. */
long long hub_now(char out[32]);

#endif
