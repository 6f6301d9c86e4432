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
 * statement acknowledged is on disk; or, when path is a postgresql:// URL,
 * that PostgreSQL database (its schema made or brought up to date).
 * Returns 0 or a negative status (RELAIS_EBUSY: PostgreSQL unreachable).
 */
int relais_hub_open(relais_hub **out, relais_ctx *ctx, const char *path);
void relais_hub_close(relais_hub *hub);

/* Whether path names a PostgreSQL database (postgresql:// or postgres://), not a SQLite file. */
int relais_hub_is_postgresql(const char *path);

/*
 * Keeps published bundles and deltas in the folder dir (made when first
 * needed) instead of the default, "<db>.d" beside a SQLite database; a hub
 * on PostgreSQL has none until this is called, and refuses to publish.
 * Every node of one database must be given the same folder (shared
 * storage). Call before relais_hub_server_start(). Returns 0, RELAIS_EINVAL
 * (dir empty) or RELAIS_ENOMEM.
 */
int relais_hub_files_set(relais_hub *hub, relais_ctx *ctx, const char *dir);

/* What a credential may do (docs/hub.md, "Credentials"): a bit each. */
enum relais_hub_scope {
	RELAIS_HUB_SCOPE_WRITE = 1,     /* store statements (POST, PUT) */
	RELAIS_HUB_SCOPE_READ_MINE = 2, /* read the statements it stored */
	RELAIS_HUB_SCOPE_READ_ALL = 4,  /* read every statement */
	RELAIS_HUB_SCOPE_VOID_MINE = 8, /* void the statements it stored */
	RELAIS_HUB_SCOPE_VOID_ALL = 16, /* void any statement */
};

/* A laptop's credential: writes, reads and voids only its own records. */
#define RELAIS_HUB_SCOPES_LAPTOP                                                                   \
	(RELAIS_HUB_SCOPE_WRITE | RELAIS_HUB_SCOPE_READ_MINE | RELAIS_HUB_SCOPE_VOID_MINE)
#define RELAIS_HUB_SCOPES_TEXT 64

/* Who made a request: a credential that passed relais_hub_credentials_check(). */
struct relais_hub_credential {
	char key[RELAIS_HUB_KEY_HEX];
	char name[201];
	unsigned scopes; /* enum relais_hub_scope bits */
	/* The xAPI version of the request these credentials came with
	 * (RELAIS_XAPI_1_0 or RELAIS_XAPI_2_0; 0 counts as 1.0): whose rules
	 * its statements are checked and stored by. */
	int xapi_version;
};

/*
 * Parses a comma-separated list of scope names (write, read-mine, read-all,
 * void-mine, void-all) into *out. Returns 0 or RELAIS_EINVAL naming the
 * unknown one.
 */
int relais_hub_scopes_parse(unsigned *out, relais_ctx *ctx, const char *list);

/* Writes scopes as the comma-separated names relais_hub_scopes_parse() reads. */
void relais_hub_scopes_text(char out[RELAIS_HUB_SCOPES_TEXT], unsigned scopes);

/*
 * Makes API credentials for a sync client or tool with the given scopes: a
 * key and a secret (hex), the secret shown once and stored only as its
 * BLAKE2b hash.
 */
int relais_hub_credentials_add(relais_hub *hub, relais_ctx *ctx, const char *name, unsigned scopes,
                               char key[RELAIS_HUB_KEY_HEX], char secret[RELAIS_HUB_SECRET_HEX]);

/*
 * 0 when key and secret match a credential that is not revoked, and fills
 * *who; RELAIS_EPASSWORD otherwise.
 */
int relais_hub_credentials_check(struct relais_hub_credential *who, relais_hub *hub,
                                 relais_ctx *ctx, const char *key, const char *secret);

/*
 * Revokes the credential key: every later request with it gets 401, and
 * files signed by the laptop keys registered to it no longer import.
 * Returns 0 or RELAIS_ENOTFOUND.
 */
int relais_hub_credentials_revoke(relais_hub *hub, relais_ctx *ctx, const char *key);

/*
 * The credentials as text for people (*out, malloc'd): one block each with
 * key, name, scopes, created, revoked and the laptop keys registered.
 */
int relais_hub_credentials_list(char **out, relais_hub *hub, relais_ctx *ctx);

/*
 * Registers a laptop's public key (minisign .pub text, or its base64 line)
 * against credential key: files it signed import as stored by that
 * credential. Registering the same key again changes nothing. Returns 0;
 * RELAIS_EFORMAT (not a public key); RELAIS_EEXIST (the key is registered to
 * another credential); RELAIS_ENOTFOUND (no such credential, or revoked).
 */
int relais_hub_laptop_key_add(relais_hub *hub, relais_ctx *ctx, const char *credential,
                              const char *pubkey, size_t len);

/*
 * Adds a coordinator, or replaces one's password (Argon2id) and
 * organisation: the coordinator of organisation sees only its learners;
 * NULL makes an administrator, who sees all and manages coordinators and
 * credentials on the web page.
 */
int relais_hub_coordinator_add(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *password, const char *organisation);

/* Removes a coordinator (signed-in sessions end at their next page). RELAIS_ENOTFOUND when none. */
int relais_hub_coordinator_remove(relais_hub *hub, relais_ctx *ctx, const char *email);

/* Records organisation name's country (ISO 3166 alpha-2, "SN"), for the reports' country filter. */
int relais_hub_organisation_set(relais_hub *hub, relais_ctx *ctx, const char *name,
                                const char *country);

/* 0 when the password is right; RELAIS_EPASSWORD otherwise (same time either way). */
int relais_hub_coordinator_check(relais_hub *hub, relais_ctx *ctx, const char *email,
                                 const char *password);

/* What a statements request gets back: an HTTP status and a JSON body. */
struct relais_hub_reply {
	unsigned status;
	char *body;          /* malloc'd JSON, or NULL for an empty body */
	char *more;          /* for GET: the next page's path, or NULL */
	char consistent[32]; /* for GET: X-Experience-API-Consistent-Through */
	char modified[40];   /* for GET of one statement: Last-Modified (its stored), or "" */
};

void relais_hub_reply_clear(struct relais_hub_reply *r);

/*
 * POST /xapi/statements: one statement or an array, stored atomically (all
 * or none). A statement whose id is already stored with the same content
 * changes nothing; with other content the whole request is refused (409).
 * who made the request: it becomes each statement's authority and is
 * recorded as the credential that stored it. reply->body is the array of
 * ids. Returns 0 with reply->status 200, 400 (message names the statement
 * and field), 403 (who has no write scope, or voids a statement another
 * credential stored without void-all), 409; or a negative status on local
 * failure.
 */
int relais_hub_post(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                    const char *json, size_t len, const struct relais_hub_credential *who);

/* PUT /xapi/statements?statementId=: one statement; 204, 400, 403 or 409. */
int relais_hub_put(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const char *statement_id, const char *json, size_t len,
                   const struct relais_hub_credential *who);

/* One query parameter of GET /xapi/statements. */
struct relais_hub_param {
	const char *name;
	const char *value;
};

/*
 * GET /xapi/statements with its query parameters: by statementId or
 * voidedStatementId, or filtered by agent, verb, activity, registration,
 * since, until, related_agents, related_activities, with limit, format
 * (exact, ids, or canonical: each language map cut to the one language
 * that languages, the request's Accept-Language or NULL, prefers),
 * ascending and the "more" cursor. 200, 400, 403 (who may not read) or
 * 404. With read-mine but not read-all, only the statements who stored
 * exist.
 */
int relais_hub_get(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const struct relais_hub_param *params, size_t n, const char *languages,
                   const struct relais_hub_credential *who);

/*
 * Reads a file written by relais export-records and its detached signature
 * (signature_path, or NULL for path + ".minisig"), and stores its
 * statements under the same rules as POST (same id and content: nothing
 * changes) as stored by the credential the signing laptop key is
 * registered to. Refuses, storing nothing, an unsigned file, a bad
 * signature, an unknown laptop key and statements beyond that credential's
 * scopes (docs/sync.md, "Export"). Sets *stored (new) and *known (already
 * held). Returns 0, RELAIS_EFORMAT, RELAIS_ESIGNATURE, RELAIS_ENOTFOUND,
 * RELAIS_EINVAL (beyond the scopes), or another status.
 */
int relais_hub_import(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *signature_path);

/* What relais_hub_copy did. */
struct relais_hub_copy_result {
	size_t tables;  /* tables copied (every table of the hub) */
	long long rows; /* rows, all tables together */
	size_t files;   /* published bundles and deltas */
	long long ms;   /* how long it took */
};

/*
 * Copies the SQLite hub at from (brought to the current schema, as opening
 * it does) into the PostgreSQL database url (its schema made as
 * relais_hub_open does), which must hold no hub data: every table, in one
 * transaction (COPY), identity sequences set past the ids copied; then the
 * published bundles and deltas of from's files folder (from_files, or NULL
 * for "<from>.d") into files, the PostgreSQL hub's shared folder (NULL:
 * refused when there are any). Progress goes to ctx's log (INFO), a line
 * a table and one every few seconds. Returns 0; RELAIS_ENOTFOUND or
 * RELAIS_EFORMAT (from is not a hub), RELAIS_EEXIST (the target holds
 * rows), RELAIS_EINVAL (url is not PostgreSQL, files missing), or another
 * status; on failure the target is as before and no file is left in files.
 */
int relais_hub_copy(struct relais_hub_copy_result *out, relais_ctx *ctx, const char *from,
                    const char *from_files, const char *url, const char *files);

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

/* ---- Certificates (docs/certificates.md) ---- */

/*
 * Issues a certificate, signed with the hub's catalogue key, for every
 * learner's first completion (completed or passed) of a course the hub
 * publishes that has none yet; when credential is not NULL, only for the
 * learners of the statements it stored. Idempotent; sets *issued to how many were made.
 * Returns 0, RELAIS_ENOTFOUND (the hub has no key yet) or another status.
 */
int relais_hub_certificates_issue(size_t *issued, relais_hub *hub, relais_ctx *ctx,
                                  const char *credential);

/*
 * The certificates as text for people (*out, malloc'd): one line each, id,
 * date, learner, course, state, then the code. Issues what is due first.
 */
int relais_hub_certificates_list(char **out, relais_hub *hub, relais_ctx *ctx);

/*
 * GET /relais/certificates for who (*out, malloc'd JSON): with read-all
 * every certificate, with read-mine those of the learners whose statements
 * who stored; RELAIS_EINVAL (403) with neither. Issues what is due first.
 */
int relais_hub_certificates_json(char **out, relais_hub *hub, relais_ctx *ctx,
                                 const struct relais_hub_credential *who);

/* Revokes certificate id with a reason. Returns 0 or RELAIS_ENOTFOUND. */
int relais_hub_certificate_revoke(relais_hub *hub, relais_ctx *ctx, long long id,
                                  const char *reason);

/*
 * Checks a certificate code against this hub's key and its revocations.
 * Returns 0 (valid), RELAIS_EFORMAT, RELAIS_ESIGNATURE (altered or another
 * hub's), RELAIS_EINVAL (revoked: the message says when and why), with the
 * decoded certificate in *out when it decodes (cleared by the caller with
 * relais_certificate_clear, in every case); or a failure of the hub's own
 * (RELAIS_EBUSY: the database cannot be reached; RELAIS_EIO, RELAIS_ENOMEM),
 * which says nothing of the certificate.
 */
struct relais_certificate;
int relais_hub_certificate_check(struct relais_certificate *out, relais_hub *hub, relais_ctx *ctx,
                                 const char *code);

/* Number of statements stored: exact on SQLite; on PostgreSQL beyond 100,000 the
 * statistics' estimate (within about a percent), read in constant time. */
int relais_hub_count(int64_t *out, relais_hub *hub, relais_ctx *ctx);

#endif

#ifndef RELAIS_HUB_SERVER_H
#define RELAIS_HUB_SERVER_H

typedef struct relais_hub_server relais_hub_server;

#define RELAIS_HUB_BODY_MAX (8u * 1024 * 1024)      /* a request body as sent */
#define RELAIS_HUB_INFLATED_MAX (16u * 1024 * 1024) /* a gzip body once inflated */

struct relais_hub_server_options {
	const char *address;          /* numeric IPv4 */
	unsigned port;                /* 0: any free one */
	const char *trusted_proxy;    /* whose X-Forwarded-Proto/-For are believed; NULL: none */
	unsigned connection_limit;    /* 0: 1000 */
	unsigned per_address_limit;   /* connections from one address; 0: 256 */
	size_t max_document;          /* bytes of one xAPI document (413 past it); 0: 1 MiB */
	uint64_t max_documents_total; /* bytes of documents per credential (413); 0: 256 MiB */
	size_t max_attachment;        /* bytes of one attachment part (413 past it); 0: 8 MiB */
	unsigned long long
	        max_attachments_per_credential; /* bytes in all, per credential; 0: 1 GiB */
	unsigned header_timeout;                /* seconds for a request's headers; 0: 10 */
	unsigned body_timeout;  /* seconds for a body, plus its length / body_min_rate; 0: 30 */
	unsigned body_min_rate; /* bytes per second; 0: 1000 */
	/* A PostgreSQL replica of the hub's database that the report pages and
	 * files read (docs/hub.md); NULL: the hub's own. */
	const char *reports_db;
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
