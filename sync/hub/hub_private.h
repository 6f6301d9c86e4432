/* hub_private.h: what the hub's files share (private): the handle, the statement cache, replies. */
#ifndef RELAIS_HUB_PRIVATE_H
#define RELAIS_HUB_PRIVATE_H

#include <sodium.h>
#include <sqlite3.h>

#include "relais/db.h"
#include "relais/embed.h"
#include "relais/util.h"
#include "relais/hub.h"

struct cJSON;

#define HUB_CACHED 16

struct relais_hub {
	sqlite3 *db;
	sqlite3_stmt *cache[HUB_CACHED];         /* statements prepared once, by slot */
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown coordinators */
};

/* The slots of the statement cache, one per SQL text, for all the hub's files. */
enum relais_hub_slot {
	RELAIS_HUB_SLOT_IDENTITY = 1,
	RELAIS_HUB_SLOT_INSERT,
	RELAIS_HUB_SLOT_AGENT,
	RELAIS_HUB_SLOT_ACTIVITY,
	RELAIS_HUB_SLOT_VOID,
	RELAIS_HUB_SLOT_CREDENTIAL_ADD,
	RELAIS_HUB_SLOT_COORDINATOR_ADD,
	RELAIS_HUB_SLOT_VOID_OWNER,
};

/*
 * The prepared statement kept in slot (1 to HUB_CACHED - 1) for sql, reset
 * and with no bindings; prepared on first use. Returns 0 or -1.
 */
int relais_hub_stmt(relais_hub *hub, int slot, const char *sql, sqlite3_stmt **out);

/*
 * Runs sql (cached in slot), which changes rows and returns none, with texts
 * bound to ?1 to ?n (NULL binds NULL). Returns 0 or RELAIS_EIO, the message
 * naming what.
 */
int relais_hub_write(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql, const char *what,
                     const char *const *texts, size_t n);

/*
 * Refuses a request: reply gets status and the body {"error": message}.
 * Returns 0, or RELAIS_ENOMEM when the body could not be made.
 */
int relais_hub_reply_error(struct relais_hub_reply *r, unsigned status, const char *message);

/*
 * Stores items (a JSON array when is_array, else one statement) in one
 * transaction, all or none, under the xAPI id rules; forced_id is a PUT's
 * statementId (or NULL). Adds to *stored (new) and *known (already held).
 * who stores them (its scopes are checked: 403 when beyond them).
 * Returns 0 with reply->status 200 and the ids as body, or 400, 403 or 409
 * and the problem (also left on ctx); or a negative status on local failure.
 */
int relais_hub_store_all(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                         struct cJSON *items, int is_array, const char *forced_id,
                         const struct relais_hub_credential *who, size_t *stored, size_t *known);

/*
 * Gives relais_hub_store_each its statements one at a time: sets *st to the
 * next (borrowed until the next call) or to NULL after the last. Returns 0,
 * or a status with its message on ctx (the whole batch is then refused).
 */
typedef int (*relais_hub_next_fn)(struct cJSON **st, relais_ctx *ctx, void *data);

/*
 * relais_hub_store_all for statements too many to hold at once (import):
 * stores what next gives, named "statements[i]", in one transaction, all or
 * none, keeping no ids (reply->body stays NULL). Returns as
 * relais_hub_store_all, or next's status (nothing stored).
 */
int relais_hub_store_each(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                          relais_hub_next_fn next, void *data,
                          const struct relais_hub_credential *who, size_t *stored, size_t *known);

/*
 * The credential laptop key key_id is registered to (*who) and the key
 * (*pub, the caller frees). Returns 0; RELAIS_ENOTFOUND (unknown key);
 * RELAIS_EINVAL (its credential is revoked); or another status.
 */
struct relais_pubkey;
int relais_hub_laptop_key_find(struct relais_hub_credential *who, struct relais_pubkey **pub,
                               relais_hub *hub, relais_ctx *ctx, const char *key_id);

/*
 * Opens another connection to hub's database (already migrated), for a
 * thread of its own. Returns 0, RELAIS_EINVAL (an in-memory hub), RELAIS_EIO.
 */
int relais_hub_open_another(relais_hub **out, relais_ctx *ctx, const relais_hub *hub);

/*
 * Coordinator sign-in lockout (login.c). relais_hub_login_locked sets
 * *wait (seconds) when email or address has failed too often lately;
 * relais_hub_login_failed counts a failure against both and
 * relais_hub_login_succeeded forgets them. Each returns 0 or RELAIS_EIO.
 */
int relais_hub_login_locked(long *wait, relais_hub *hub, relais_ctx *ctx, const char *email,
                            const char *address);
int relais_hub_login_failed(relais_hub *hub, relais_ctx *ctx, const char *email,
                            const char *address);
int relais_hub_login_succeeded(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *address);

/*
 * Measures JSON text before it is parsed, so that parsing costs a bounded
 * amount of memory. Statements are the elements of an array item_depth
 * deep (1: a POST body's array; a POST of one object at depth 1 is one
 * statement; 2: a records file's "statements"). Returns 1 with msg set
 * when it holds more than max_items statements, a statement over
 * RELAIS_HUB_STATEMENT_MAX bytes or more than max_values values and
 * names; 0 otherwise (the text may still not be JSON).
 */
int relais_hub_measure(char *msg, size_t size, const char *json, size_t len, size_t max_items,
                       size_t max_values, int item_depth);

/* The files of pages/: layout.html, login.html, style.css and the rest. */
extern const struct relais_embedded_file relais_hub_pages[];

/* The coordinators' sign-in page (*out, malloc'd), with "wrong password" when failed. */
int relais_hub_page_login(char **out, relais_ctx *ctx, int failed);

/* The reports page for the coordinator signed in as email (*out, malloc'd). */
int relais_hub_page_reports(char **out, relais_hub *hub, relais_ctx *ctx, const char *email);

/* The BLAKE2b-256 (hex) of a statement's identity (relais_xapi_identity). */
struct cJSON;
int relais_hub_identity_hash(char out[65], relais_ctx *ctx, const struct cJSON *statement);

#endif
