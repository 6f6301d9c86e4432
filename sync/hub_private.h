/* hub_private.h: what the hub's store, server and reports share (private). */
#ifndef RELAIS_HUB_PRIVATE_H
#define RELAIS_HUB_PRIVATE_H

#include <sodium.h>
#include <sqlite3.h>

#include "home_private.h" /* relais_db_fail, relais_now_iso */
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
int hub_stmt(relais_hub *hub, int slot, const char *sql, sqlite3_stmt **out);

/*
 * Inflates a gzip image of len bytes into *out (malloc'd, NUL-terminated),
 * refusing past max bytes. Returns 0, -1 when it is not gzip or is damaged or
 * truncated, -2 when it inflates past max (a gzip bomb, or simply too much).
 */
int hub_gunzip(char **out, size_t *out_len, const char *in, size_t len, size_t max);

/* Milliseconds since the epoch of an ISO 8601 date-time; -1 when malformed. */
long long hub_parse_time(const char *iso);

#endif
