/* hub.h: the coordinators' hub: an xAPI statement store with reports (SQLite). */
#ifndef RELAIS_HUB_H
#define RELAIS_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

typedef struct relais_hub relais_hub;

#define RELAIS_HUB_BATCH_MAX 1000               /* statements per POST */
#define RELAIS_HUB_STATEMENT_MAX (1024u * 1024) /* bytes of JSON in one statement */
#define RELAIS_HUB_VALUES_MAX 200000            /* JSON values and names in one request */
#define RELAIS_HUB_PAGE_MAX 500                 /* statements per GET page */
#define RELAIS_HUB_KEY_HEX 33
#define RELAIS_HUB_SECRET_HEX 65

/*
 * Opens (creating) the hub database at path: SQLite, WAL, full sync, so a
 * statement acknowledged is on disk. Returns 0 or a negative status.
 */
int relais_hub_open(relais_hub **out, relais_ctx *ctx, const char *path);
void relais_hub_close(relais_hub *hub);

/*
 * Makes API credentials for a sync client or tool: a key and a secret
 * (hex), the secret shown once and stored only as its BLAKE2b hash.
 */
int relais_hub_credentials_add(relais_hub *hub, relais_ctx *ctx, const char *name,
                               char key[RELAIS_HUB_KEY_HEX], char secret[RELAIS_HUB_SECRET_HEX]);

/* 0 when key and secret match; RELAIS_EPASSWORD otherwise. Sets *name (malloc'd). */
int relais_hub_credentials_check(relais_hub *hub, relais_ctx *ctx, const char *key,
                                 const char *secret, char **name);

/* Adds or replaces a coordinator's password (Argon2id). */
int relais_hub_coordinator_add(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *password);

/* 0 when the password is right; RELAIS_EPASSWORD otherwise (same time either way). */
int relais_hub_coordinator_check(relais_hub *hub, relais_ctx *ctx, const char *email,
                                 const char *password);

/* What a statements request gets back: an HTTP status and a JSON body. */
struct relais_hub_reply {
	unsigned status;
	char *body;          /* malloc'd JSON, or NULL for an empty body */
	char *more;          /* for GET: the next page's path, or NULL */
	char consistent[32]; /* for GET: X-Experience-API-Consistent-Through */
};

void relais_hub_reply_clear(struct relais_hub_reply *r);

/*
 * POST /xapi/statements: one statement or an array, stored atomically (all
 * or none). A statement whose id is already stored with the same content
 * changes nothing; with other content the whole request is refused (409).
 * authority names the credentials used. reply->body is the array of ids.
 * Returns 0 with reply->status 200, 400 (message names the statement and
 * field), 409; or a negative status on local failure.
 */
int relais_hub_post(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                    const char *json, size_t len, const char *authority);

/* PUT /xapi/statements?statementId=: one statement; 204, 400 or 409. */
int relais_hub_put(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const char *statement_id, const char *json, size_t len, const char *authority);

/* One query parameter of GET /xapi/statements. */
struct relais_hub_param {
	const char *name;
	const char *value;
};

/*
 * GET /xapi/statements with its query parameters: by statementId or
 * voidedStatementId, or filtered by agent, verb, activity, registration,
 * since, until, related_agents, related_activities, with limit, format
 * (exact or ids), ascending and the "more" cursor. 200, 400 or 404.
 */
int relais_hub_get(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const struct relais_hub_param *params, size_t n);

/*
 * Reads a file written by relais export-records and stores its statements
 * under the same rules as POST (same id and content: nothing changes).
 * Sets *stored (new) and *known (already held). Returns 0, RELAIS_EFORMAT,
 * or another status.
 */
int relais_hub_import(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *authority);

/* Reports for coordinators (docs/hub.md). */
enum relais_report_format {
	RELAIS_REPORT_CSV = 1,
	RELAIS_REPORT_JSON = 2,
	RELAIS_REPORT_HTML = 3, /* a <table> */
};

/* The report tables, by name: NULL-terminated. */
extern const char *const relais_hub_reports[];

/* Writes report `name` in format into *out (malloc'd). RELAIS_ENOTFOUND for an unknown name. */
int relais_hub_report(char **out, relais_hub *hub, relais_ctx *ctx, const char *name, int format);

/* Number of statements stored. */
int relais_hub_count(int64_t *out, relais_hub *hub, relais_ctx *ctx);

#endif

#ifndef RELAIS_HUB_SERVER_H
#define RELAIS_HUB_SERVER_H

typedef struct relais_hub_server relais_hub_server;

#define RELAIS_HUB_BODY_MAX (8u * 1024 * 1024)      /* a request body as sent */
#define RELAIS_HUB_INFLATED_MAX (16u * 1024 * 1024) /* a gzip body once inflated */

struct relais_hub_server_options {
	const char *address;        /* numeric IPv4 */
	unsigned port;              /* 0: any free one */
	const char *trusted_proxy;  /* whose X-Forwarded-Proto/-For are believed; NULL: none */
	unsigned connection_limit;  /* 0: 1000 */
	unsigned per_address_limit; /* connections from one address; 0: 256 */
};

/*
 * Serves hub's xAPI Statement and About resources and the coordinators'
 * reports as opt says, on threads of its own (each with its own connection
 * to hub's database file), until relais_hub_server_stop(). The caller must
 * not use hub meanwhile.
 */
int relais_hub_server_start(relais_hub_server **out, relais_ctx *ctx, relais_hub *hub,
                            const struct relais_hub_server_options *opt);
unsigned relais_hub_server_port(const relais_hub_server *server);
void relais_hub_server_stop(relais_hub_server *server);

#endif
