/* hub_private.h: what the hub's files share (private): the handle, the statement cache, replies. */
#ifndef RELAIS_HUB_PRIVATE_H
#define RELAIS_HUB_PRIVATE_H

#include <sodium.h>
#include <sqlite3.h>

#include "relais/db.h"
#include "relais/util.h"
#include "relais/hub.h"

struct cJSON;

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

/*
 * Refuses a request: reply gets status and the body {"error": message}.
 * Returns 0, or RELAIS_ENOMEM when the body could not be made.
 */
int relais_hub_reply_error(struct relais_hub_reply *r, unsigned status, const char *message);

/*
 * Stores items (a JSON array when is_array, else one statement) in one
 * transaction, all or none, under the xAPI id rules; forced_id is a PUT's
 * statementId (or NULL). Adds to *stored (new) and *known (already held).
 * Returns 0 with reply->status 200 and the ids as body, or 400 or 409 and
 * the problem (also left on ctx); or a negative status on local failure.
 */
int relais_hub_store_all(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                         struct cJSON *items, int is_array, const char *forced_id,
                         const char *authority, size_t *stored, size_t *known);

#endif
