/* hub_private.h: what the hub's store, server and reports share (private). */
#ifndef RELAIS_HUB_PRIVATE_H
#define RELAIS_HUB_PRIVATE_H

#include <sodium.h>
#include <sqlite3.h>

#include "relais/db.h"
#include "relais/util.h"
#include "relais/hub.h"

#define HUB_CACHED 16

struct relais_hub {
	sqlite3 *db;
	sqlite3_stmt *cache[HUB_CACHED];         /* statements prepared once, by slot */
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown coordinators */
};

/*
 * The prepared statement kept in slot (1 to HUB_CACHED - 1) for sql, reset
 * and with no bindings; prepared on first use. Returns 0 or -1.
 */
int relais_hub_stmt(relais_hub *hub, int slot, const char *sql, sqlite3_stmt **out);

/* Milliseconds since the epoch of an ISO 8601 date-time; -1 when malformed. */
long long relais_hub_parse_time(const char *iso);

#endif
