/* documents.c: xAPI 1.0.3 documents (State, Activity Profile, Agent Profile), Activities and
 * Agents. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/hash.h"
#include "relais/xapi.h"

#define PARAM_MAX 4096      /* an activityId, agent, registration, id or since */
#define TYPE_MAX 255        /* a stored Content-Type */
#define LIST_MAX 10000      /* ids in one list answer */
#define DEFINITIONS_MAX 500 /* the latest statements an Activity object is merged from */
#define NAMES_MAX 100       /* the names a Person object lists */
#define JSON_TYPE RELAIS_XAPI_JSON_TYPE

/* SQL: the term (migration 11) of the text bound to ?1. */
#define TERM_1 RELAIS_HUB_TERM("?1")

/* What each resource takes: which parameters, and which single-document id. */
struct resource {
	const char *path;
	const char *id_name; /* "stateId", "profileId"; NULL: not a document resource */
	int needs_activity;  /* activityId */
	int needs_agent;     /* agent */
	int takes_registration;
};

static const struct resource resources[] = {
        [RELAIS_HUB_RES_STATE] = {"/xapi/activities/state", "stateId", 1, 1, 1},
        [RELAIS_HUB_RES_ACTIVITY_PROFILE] = {"/xapi/activities/profile", "profileId", 1, 0, 0},
        [RELAIS_HUB_RES_AGENT_PROFILE] = {"/xapi/agents/profile", "profileId", 0, 1, 0},
        [RELAIS_HUB_RES_ACTIVITIES] = {"/xapi/activities", NULL, 1, 0, 0},
        [RELAIS_HUB_RES_AGENTS] = {"/xapi/agents", NULL, 0, 1, 0},
};

int relais_hub_resource_of(const char *path)
{
	int i;

	for (i = RELAIS_HUB_RES_STATE; i <= RELAIS_HUB_RES_AGENTS; i++) {
		if (strcmp(path, resources[i].path) == 0) {
			return i;
		}
	}
	return 0;
}

void relais_hub_doc_reply_clear(struct relais_hub_doc_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* A refusal: status and {"error": msg}. Returns 0 or RELAIS_ENOMEM. */
static int refuse(struct relais_hub_doc_reply *r, unsigned status, const char *msg)
{
	struct relais_hub_reply e = {0};
	int rc = relais_hub_reply_error(&e, status, msg);

	free(r->body);
	r->body = e.body;
	r->len = e.body ? strlen(e.body) : 0;
	r->status = status;
	(void)snprintf(r->type, sizeof(r->type), "%s", JSON_TYPE);
	r->etag[0] = r->modified[0] = '\0';
	return rc;
}

void relais_hub_http_date(char out[RELAIS_HUB_DATE_MAX], long long ms)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		out[0] = '\0';
		return;
	}
	(void)snprintf(out, RELAIS_HUB_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	               days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
	               tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A request's parameters once checked against its resource. */
struct doc_query {
	const char *activity;  /* "" when the resource takes none */
	char *agent;           /* the agent's identifier (malloc'd); "" */
	cJSON *agent_json;     /* the agent parameter parsed */
	char registration[37]; /* lower case; "" when none */
	const char *doc_id;    /* NULL: the request is about the list */
	const char *since;     /* or NULL */
	long long since_ms;
	const char *mine; /* the credential whose documents alone exist; NULL: all */
};

/*
 * Checks the parameters of rq (known, not repeated, well formed, present
 * when required). Returns 0 with q filled, or the refusal in r (r->status
 * set), or RELAIS_ENOMEM.
 */
static int check_params(struct doc_query *q, struct relais_hub_doc_reply *r,
                        const struct relais_hub_doc_request *rq)
{
	const struct resource *res = &resources[rq->resource];
	const char *names[6] = {NULL};
	const char *values[6] = {NULL};
	const char *agent = NULL, *registration = NULL;
	int is_doc = res->id_name != NULL, writes, list;
	char msg[200];
	size_t i, n = 0, k;

	if (res->needs_activity) {
		names[n++] = "activityId";
	}
	if (res->needs_agent) {
		names[n++] = "agent";
	}
	if (res->takes_registration) {
		names[n++] = "registration";
	}
	if (is_doc) {
		names[n++] = res->id_name;
		names[n++] = "since";
	}
	for (i = 0; i < rq->n; i++) {
		for (k = 0; k < n && strcmp(names[k], rq->params[i].name) != 0; k++) {
		}
		if (k == n) {
			(void)snprintf(msg, sizeof(msg), "unexpected parameter %.100s",
			               rq->params[i].name);
			return refuse(r, 400, msg);
		}
		if (values[k] != NULL) {
			(void)snprintf(msg, sizeof(msg), "parameter %s is repeated", names[k]);
			return refuse(r, 400, msg);
		}
		if (strlen(rq->params[i].value) > PARAM_MAX) {
			(void)snprintf(msg, sizeof(msg), "parameter %s is longer than %d bytes",
			               names[k], PARAM_MAX);
			return refuse(r, 400, msg);
		}
		values[k] = rq->params[i].value;
	}
	q->activity = "";
	q->agent = NULL;
	for (k = 0; k < n; k++) {
		if (strcmp(names[k], "activityId") == 0) {
			q->activity = values[k];
		} else if (strcmp(names[k], "agent") == 0) {
			agent = values[k];
		} else if (strcmp(names[k], "registration") == 0) {
			registration = values[k];
		} else if (strcmp(names[k], "since") == 0) {
			q->since = values[k];
		} else {
			q->doc_id = values[k];
		}
	}
	if (res->needs_activity && q->activity == NULL) {
		return refuse(r, 400, "parameter activityId is missing");
	}
	if (res->needs_activity && !relais_xapi_param_iri_ok(q->activity)) {
		return refuse(r, 400, "activityId must be an IRI");
	}
	if (res->needs_agent && agent == NULL) {
		return refuse(r, 400, "parameter agent is missing");
	}
	if (agent != NULL) {
		if ((q->agent_json = relais_xapi_agent_param(agent)) == NULL) {
			return refuse(r, 400,
			              "agent must be an Agent object as JSON, with exactly one "
			              "identifier (mbox, mbox_sha1sum, openid or account)");
		}
		if ((q->agent = relais_xapi_agent_key(q->agent_json)) == NULL) {
			return RELAIS_ENOMEM;
		}
	}
	q->registration[0] = '\0';
	if (registration != NULL) {
		if (!relais_xapi_uuid_ok(registration)) {
			return refuse(r, 400, "registration must be a UUID");
		}
		for (i = 0; i < 36; i++) {
			q->registration[i] = (char)tolower((unsigned char)registration[i]);
		}
		q->registration[36] = '\0';
	}
	writes = strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0;
	list = is_doc && q->doc_id == NULL;
	if (list && (writes ||
	             (strcmp(rq->method, "DELETE") == 0 && rq->resource != RELAIS_HUB_RES_STATE))) {
		(void)snprintf(msg, sizeof(msg), "parameter %s is missing", res->id_name);
		return refuse(r, 400, msg);
	}
	if (q->since != NULL && (q->since_ms = relais_time_parse(q->since)) < 0) {
		return refuse(r, 400, "since must be an ISO 8601 timestamp");
	}
	return 0;
}

/* The stored row of one document, when there is one. */
struct doc_row {
	int found;
	char etag[RELAIS_HUB_ETAG_MAX];
	char type[TYPE_MAX + 1];
	char owner[RELAIS_HUB_KEY_HEX];
	long long updated_ms;
	char *body; /* malloc'd when asked for */
	size_t len;
};

#define DOC_WHERE "kind = ?1 AND activity = ?2 AND agent = ?3 AND registration = ?4 AND doc_id = ?5"

static void bind_key(sqlite3_stmt *st, int kind, const struct doc_query *q)
{
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, q->activity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->agent ? q->agent : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->registration, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, q->doc_id, -1, SQLITE_STATIC);
}

/* Reads one document's row (with its body when want_body). Returns 0 or RELAIS_EIO/ENOMEM. */
static int doc_read(struct doc_row *row, relais_hub *hub, relais_ctx *ctx, int kind,
                    const struct doc_query *q, int want_body)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	memset(row, 0, sizeof(*row));
	if (relais_hub_stmt(
	            hub, RELAIS_HUB_SLOT_DOC_READ,
	            "SELECT etag, content_type, coalesce(credential, ''), updated_ms, body, "
	            "length(body) FROM document WHERE " DOC_WHERE,
	            &st) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	bind_key(st, kind, q);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		row->found = 1;
		(void)snprintf(row->etag, sizeof(row->etag), "%s",
		               (const char *)sqlite3_column_text(st, 0));
		(void)snprintf(row->type, sizeof(row->type), "%s",
		               (const char *)sqlite3_column_text(st, 1));
		(void)snprintf(row->owner, sizeof(row->owner), "%s",
		               (const char *)sqlite3_column_text(st, 2));
		row->updated_ms = sqlite3_column_int64(st, 3);
		row->len = (size_t)sqlite3_column_int64(st, 5);
		if (want_body) {
			const void *b = sqlite3_column_blob(st, 4);
			row->len = (size_t)sqlite3_column_bytes(st, 4);
			if ((row->body = malloc(row->len + 1)) == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			} else {
				if (row->len > 0) {
					memcpy(row->body, b, row->len);
				}
				row->body[row->len] = '\0';
			}
		}
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Whether an If-Match / If-None-Match value names etag ("*" names any). */
static int names_etag(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
		}
		if (*p == '*') {
			return 1;
		}
		if (strncmp(p, "W/", 2) == 0) {
			p += 2;
		}
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) {
			return 1;
		}
		while (*p != '\0' && *p != ',') {
			p++;
		}
	}
	return 0;
}

/*
 * The preconditions of a write (RFC 7232 as xAPI 1.0.3 3.1 and 2.0 4.1.4
 * ask): 0 when the write may go on, else the status to answer (412, or
 * 409/400 for a PUT to a profile without either header; 409 for one to an
 * existing State document in 2.0).
 */
static unsigned preconditions(const struct relais_hub_doc_request *rq, const struct doc_row *row,
                              const char **why)
{
	int profile = rq->resource != RELAIS_HUB_RES_STATE;

	if (rq->if_match != NULL && (!row->found || !names_etag(rq->if_match, row->etag))) {
		*why = "If-Match does not name the document's current ETag";
		return 412;
	}
	if (rq->if_none_match != NULL && row->found && names_etag(rq->if_none_match, row->etag)) {
		*why = "If-None-Match: the document exists";
		return 412;
	}
	if ((profile || rq->xapi_version == RELAIS_XAPI_2_0) && strcmp(rq->method, "PUT") == 0 &&
	    rq->if_match == NULL && rq->if_none_match == NULL) {
		/* xAPI 2.0 (4.1.4) protects a State document as it does a profile. */
		if (row->found) {
			*why = "the document exists: GET it to check its current state, then PUT "
			       "again with If-Match set to its ETag";
			return 409;
		}
		if (profile) {
			*why = "a PUT to a profile needs If-Match or If-None-Match";
			return 400;
		}
	}
	return 0;
}

/* Stores body as the document (inserting or replacing), owned by its first writer. */
static int doc_write(relais_hub *hub, relais_ctx *ctx, int kind, const struct doc_query *q,
                     const char *type, const char *body, size_t len, const char *who)
{
	sqlite3_stmt *st = NULL;
	char etag[RELAIS_HUB_ETAG_MAX], now[32];
	long long ms;
	int rc = 0;

	if ((rc = relais_xapi_etag(etag, body, len)) != 0) {
		return relais_fail(ctx, rc, "cannot hash the document");
	}
	ms = relais_now_iso(now);
	if (relais_hub_stmt(
	            hub, RELAIS_HUB_SLOT_DOC_WRITE,
	            "INSERT INTO document(kind, activity, agent, registration, doc_id, "
	            "content_type, body, etag, updated, updated_ms, credential) "
	            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	            "ON CONFLICT(kind, activity, agent, registration, doc_id) DO UPDATE SET "
	            "content_type = excluded.content_type, body = excluded.body, "
	            "etag = excluded.etag, updated = excluded.updated, "
	            "updated_ms = excluded.updated_ms",
	            &st) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	bind_key(st, kind, q);
	sqlite3_bind_text(st, 6, type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, len ? body : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, ms);
	sqlite3_bind_text(st, 11, who, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/*
 * Whether who may store len more bytes of documents, replacing `replaced`
 * bytes of its own: 0, or refuses r with 413 past max_total.
 */
static int within_quota(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                        const char *who, size_t len, size_t replaced, uint64_t max_total)
{
	sqlite3_stmt *st = NULL;
	uint64_t total;
	int rc = 0;

	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_DOC_QUOTA,
	                    "SELECT COALESCE(SUM(length(body)), 0) FROM document "
	                    "WHERE credential = ?1",
	                    &st) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	} else {
		total = (uint64_t)sqlite3_column_int64(st, 0);
		total = total > replaced ? total - replaced : 0;
		if (total + len > max_total) {
			rc = refuse(r, 413,
			            "this credential's documents would pass the hub's "
			            "--max-documents-per-credential");
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Deletes one document, or (doc_id NULL, State only) all of a context; mine limits to its own. */
static int doc_delete(relais_hub *hub, relais_ctx *ctx, int kind, const struct doc_query *q)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(hub->db,
	                       "DELETE FROM document WHERE kind = ?1 AND activity = ?2 AND "
	                       "agent = ?3 AND (?4 = '' AND ?5 IS NULL OR registration = ?4) "
	                       "AND (?5 IS NULL OR doc_id = ?5) "
	                       "AND (?6 IS NULL OR credential = ?6)",
	                       -1, &st, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	bind_key(st, kind, q);
	if (q->doc_id == NULL) {
		sqlite3_bind_null(st, 5);
	}
	if (q->mine != NULL) {
		sqlite3_bind_text(st, 6, q->mine, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * POST's merge (Communication 2.2.s7): the top-level members of posted set
 * on existing. *out is the merged JSON (malloc'd), or NULL with a refusal
 * in r when either is not a JSON object.
 */
static int merge(char **out, struct relais_hub_doc_reply *r, const struct doc_row *row,
                 const char *body, size_t len)
{
	int which = 0, rc;

	*out = NULL;
	if (!relais_xapi_json_type(row->type)) {
		return refuse(r, 400,
		              "the stored document is not application/json: POST cannot merge into "
		              "it (PUT replaces it)");
	}
	rc = relais_xapi_json_merge(out, &which, row->body, row->len, body, len);
	if (rc == RELAIS_EFORMAT) {
		return refuse(r, 400,
		              which == 1 ? "the stored document is not a JSON object"
		                         : "the document posted is not a JSON object");
	}
	return rc;
}

/* Whether body, sent as application/json, is a JSON object (POST merges only those). */
static int json_object(const char *body, size_t len)
{
	cJSON *j = relais_xapi_parse_whole(body, len);
	int ok = cJSON_IsObject(j);

	cJSON_Delete(j);
	return ok;
}

/* PUT, POST and DELETE of documents, in one write transaction: preconditions hold as they are
 * checked. */
static int doc_change(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                      const struct relais_hub_doc_request *rq, const struct doc_query *q,
                      const struct relais_hub_credential *who)
{
	const char *type = rq->content_type && rq->content_type[0] ? rq->content_type
	                                                           : "application/octet-stream";
	int is_delete = strcmp(rq->method, "DELETE") == 0;
	int is_post = strcmp(rq->method, "POST") == 0;
	struct doc_row row = {0};
	const char *why = NULL;
	char *merged = NULL;
	unsigned status;
	size_t owned;
	int rc = 0;

	if (!is_delete && strlen(type) > TYPE_MAX) {
		return refuse(r, 400, "Content-Type is too long");
	}
	if (!is_delete && rq->len > rq->max_document) {
		return refuse(r, 413, "the document is larger than the hub's --max-document");
	}
	if (is_post && relais_xapi_json_type(type) && !json_object(rq->body, rq->len)) {
		return refuse(r, 400,
		              "the document posted as application/json is not a JSON object");
	}
	if (sqlite3_exec(hub->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	if (q->doc_id != NULL) {
		if ((rc = doc_read(&row, hub, ctx, rq->resource, q, is_post)) != 0) {
			goto out;
		}
		if (row.found && q->mine != NULL && strcmp(row.owner, q->mine) != 0) {
			rc = refuse(r, 403, "the document was stored with another credential");
			goto out;
		}
		if ((status = preconditions(rq, &row, &why)) != 0) {
			rc = refuse(r, status, why);
			goto out;
		}
	}
	/* A document replaced counts against its owner's quota only once. */
	owned = row.found && strcmp(row.owner, who->key) == 0 ? row.len : 0;
	if (is_delete) {
		rc = doc_delete(hub, ctx, rq->resource, q);
	} else if (is_post && row.found) {
		if (!relais_xapi_json_type(type)) {
			rc = refuse(
			        r, 400,
			        "POST merges JSON: the document posted is not application/json");
			goto out;
		}
		if ((rc = merge(&merged, r, &row, rq->body, rq->len)) != 0 || merged == NULL) {
			goto out;
		}
		if (strlen(merged) > rq->max_document) {
			rc = refuse(r, 413,
			            "the merged document is larger than the hub's --max-document");
			goto out;
		}
		if ((rc = within_quota(r, hub, ctx, who->key, strlen(merged), owned,
		                       rq->max_documents_total)) != 0 ||
		    r->status == 413) {
			goto out;
		}
		rc = doc_write(hub, ctx, rq->resource, q, row.type, merged, strlen(merged),
		               who->key);
	} else {
		if ((rc = within_quota(r, hub, ctx, who->key, rq->len, owned,
		                       rq->max_documents_total)) != 0 ||
		    r->status == 413) {
			goto out;
		}
		rc = doc_write(hub, ctx, rq->resource, q, type, rq->body, rq->len, who->key);
	}
	if (rc == 0) {
		r->status = 204;
	}
out:
	if (rc == 0 && r->status == 204) {
		if (sqlite3_exec(hub->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
		}
	}
	if (rc != 0 || r->status != 204) {
		sqlite3_exec(hub->db, "ROLLBACK", NULL, NULL, NULL);
	}
	free(merged);
	free(row.body);
	return rc;
}

/* Sets r to a 200 JSON answer owning text, with its ETag; modified_ms > 0 adds Last-Modified. */
static int answer_json(struct relais_hub_doc_reply *r, relais_ctx *ctx, char *text,
                       long long modified_ms)
{
	int rc;

	if (text == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	free(r->body);
	r->body = text;
	r->len = strlen(text);
	r->status = 200;
	(void)snprintf(r->type, sizeof(r->type), "%s", JSON_TYPE);
	if ((rc = relais_xapi_etag(r->etag, r->body, r->len)) != 0) {
		return relais_fail(ctx, rc, "cannot hash the answer");
	}
	if (modified_ms > 0) {
		relais_hub_http_date(r->modified, modified_ms);
	}
	return 0;
}

/* GET of one document, or of the list of ids (since, registration optional for State). */
static int doc_get(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                   const struct relais_hub_doc_request *rq, const struct doc_query *q)
{
	sqlite3_stmt *st = NULL;
	cJSON *ids = NULL;
	long long newest = 0;
	size_t n = 0;
	int rc = 0, step;

	if (q->doc_id != NULL) {
		struct doc_row row;
		if ((rc = doc_read(&row, hub, ctx, rq->resource, q, 1)) != 0) {
			return rc;
		}
		if (!row.found || (q->mine != NULL && strcmp(row.owner, q->mine) != 0)) {
			free(row.body);
			return refuse(r, 404, "no such document");
		}
		free(r->body);
		r->body = row.body;
		r->len = row.len;
		r->status = 200;
		(void)snprintf(r->type, sizeof(r->type), "%s", row.type);
		(void)snprintf(r->etag, sizeof(r->etag), "%s", row.etag);
		relais_hub_http_date(r->modified, row.updated_ms);
		return 0;
	}
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_DOC_LIST,
	                    "SELECT doc_id, updated_ms FROM document WHERE kind = ?1 AND "
	                    "activity = ?2 AND agent = ?3 AND (?4 = '' OR registration = ?4) "
	                    "AND updated_ms > ?5 AND (?6 IS NULL OR credential = ?6) "
	                    "ORDER BY updated_ms, doc_id LIMIT ?7",
	                    &st) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	sqlite3_bind_int(st, 1, rq->resource);
	sqlite3_bind_text(st, 2, q->activity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->agent ? q->agent : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->registration, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, q->since ? q->since_ms : -1);
	if (q->mine != NULL) {
		sqlite3_bind_text(st, 6, q->mine, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, 7, LIST_MAX);
	ids = cJSON_CreateArray();
	while (ids != NULL && (step = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *id = cJSON_CreateString((const char *)sqlite3_column_text(st, 0));
		if (id == NULL || !cJSON_AddItemToArray(ids, id)) {
			cJSON_Delete(id);
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
		newest = sqlite3_column_int64(st, 1);
		n++;
	}
	if (ids == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if (rc == 0 && step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "documents");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == 0) {
		rc = answer_json(r, ctx, cJSON_PrintUnformatted(ids), n ? newest : 0);
	}
	cJSON_Delete(ids);
	return rc;
}

/* Merges a definition into into: language maps and extensions member by member, the rest replaced.
 */
static void merge_definition(cJSON *into, const cJSON *def)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, def)
	{
		cJSON *have = cJSON_GetObjectItemCaseSensitive(into, m->string);
		if (cJSON_IsObject(m) && cJSON_IsObject(have)) {
			const cJSON *e;
			cJSON_ArrayForEach(e, m)
			{
				cJSON *copy = cJSON_Duplicate(e, 1);
				if (copy == NULL) {
					continue;
				}
				cJSON *was = cJSON_GetObjectItemCaseSensitive(have, e->string);
				if (was != NULL) {
					cJSON_ReplaceItemViaPointer(have, was, copy);
				} else {
					cJSON_AddItemToObject(have, e->string, copy);
				}
			}
		} else {
			cJSON *copy = cJSON_Duplicate(m, 1);
			if (copy == NULL) {
				continue;
			}
			if (have != NULL) {
				cJSON_ReplaceItemViaPointer(into, have, copy);
			} else {
				cJSON_AddItemToObject(into, m->string, copy);
			}
		}
	}
}

/* Finds the activity id anywhere in a statement (object, context activities, sub-statements). */
static void collect_definitions(cJSON *def, const cJSON *node, const char *id, int depth)
{
	const cJSON *c;

	if (depth > 8 || node == NULL) {
		return;
	}
	if (cJSON_IsObject(node) && depth > 0) {
		const cJSON *nid = cJSON_GetObjectItemCaseSensitive(node, "id");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "objectType");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(node, "definition");
		if (cJSON_IsString(nid) && strcmp(nid->valuestring, id) == 0 &&
		    (type == NULL ||
		     (cJSON_IsString(type) && strcmp(type->valuestring, "Activity") == 0)) &&
		    cJSON_IsObject(d)) {
			merge_definition(def, d);
		}
	}
	if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
		cJSON_ArrayForEach(c, node)
		{
			if (c->string == NULL ||
			    (strcmp(c->string, "verb") != 0 && strcmp(c->string, "actor") != 0 &&
			     strcmp(c->string, "authority") != 0 &&
			     strcmp(c->string, "result") != 0 &&
			     strcmp(c->string, "attachments") != 0 &&
			     strcmp(c->string, "definition") != 0)) {
				collect_definitions(def, c, id, depth + 1);
			}
		}
	}
}

/* GET /xapi/activities: the Activity object, its definitions merged from the latest statements. */
static int activity_get(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                        const struct doc_query *q)
{
	sqlite3_stmt *st = NULL;
	cJSON *out = cJSON_CreateObject(), *def = cJSON_CreateObject();
	int rc = 0, step;

	if (out == NULL || def == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(hub->db,
	                       "SELECT body FROM statement WHERE seq IN (SELECT seq FROM "
	                       "statement_activity WHERE term = " TERM_1 " ORDER BY seq DESC "
	                       "LIMIT ?2) AND (?3 IS NULL OR credential = ?3) ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "activities");
		goto out;
	}
	sqlite3_bind_text(st, 1, q->activity, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, DEFINITIONS_MAX);
	if (q->mine != NULL) {
		sqlite3_bind_text(st, 3, q->mine, -1, SQLITE_STATIC);
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *s = cJSON_ParseWithLength((const char *)sqlite3_column_text(st, 0),
		                                 (size_t)sqlite3_column_bytes(st, 0));
		collect_definitions(def, s, q->activity, 0);
		cJSON_Delete(s);
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "activities");
	}
	if (rc != 0) {
		goto out;
	}
	cJSON_AddStringToObject(out, "objectType", "Activity");
	cJSON_AddStringToObject(out, "id", q->activity);
	if (def->child != NULL) {
		cJSON_AddItemToObject(out, "definition", def);
		def = NULL;
	}
	rc = answer_json(r, ctx, cJSON_PrintUnformatted(out), 0);
out:
	sqlite3_finalize(st);
	cJSON_Delete(def);
	cJSON_Delete(out);
	return rc;
}

/* GET /xapi/agents: the Person object of an agent, its names from the statements it made. */
static int person_get(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                      const struct doc_query *q)
{
	static const char *const ifis[] = {"mbox", "mbox_sha1sum", "openid", "account", NULL};
	const char *const *k;
	sqlite3_stmt *st = NULL;
	cJSON *out = cJSON_CreateObject(), *names = cJSON_CreateArray();
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(q->agent_json, "name");
	int rc = 0, step;

	if (out == NULL || names == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (cJSON_IsString(name)) {
		cJSON_AddItemToArray(names, cJSON_CreateString(name->valuestring));
	}
	if (sqlite3_prepare_v2(
	            hub->db,
	            "SELECT DISTINCT actor_name FROM statement WHERE actor_term = " TERM_1
	            " AND actor_name IS NOT NULL AND (?2 IS NULL OR credential = ?2) "
	            "LIMIT ?3",
	            -1, &st, NULL) != SQLITE_OK) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "agents");
		goto out;
	}
	sqlite3_bind_text(st, 1, q->agent, -1, SQLITE_STATIC);
	if (q->mine != NULL) {
		sqlite3_bind_text(st, 2, q->mine, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, 3, NAMES_MAX);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		const cJSON *have;
		int dup = 0;
		cJSON_ArrayForEach(have, names)
		{
			dup |= strcmp(have->valuestring, n) == 0;
		}
		if (!dup) {
			cJSON_AddItemToArray(names, cJSON_CreateString(n));
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "agents");
	}
	if (rc != 0) {
		goto out;
	}
	cJSON_AddStringToObject(out, "objectType", "Person");
	if (names->child != NULL) {
		cJSON_AddItemToObject(out, "name", names);
		names = NULL;
	}
	for (k = ifis; *k; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(q->agent_json, *k);
		cJSON *list;
		if (v == NULL) {
			continue;
		}
		list = cJSON_AddArrayToObject(out, *k);
		cJSON_AddItemToArray(list, cJSON_Duplicate(v, 1));
	}
	rc = answer_json(r, ctx, cJSON_PrintUnformatted(out), 0);
out:
	sqlite3_finalize(st);
	cJSON_Delete(names);
	cJSON_Delete(out);
	return rc;
}

int relais_hub_document(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                        const struct relais_hub_doc_request *rq,
                        const struct relais_hub_credential *who)
{
	struct doc_query q;
	int read = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
	int rc;

	memset(&q, 0, sizeof(q));
	memset(r, 0, sizeof(*r));
	if (rq->resource < RELAIS_HUB_RES_STATE || rq->resource > RELAIS_HUB_RES_AGENTS) {
		return relais_fail(ctx, RELAIS_EINVAL, "not a document resource");
	}
	if (!read && (resources[rq->resource].id_name == NULL ||
	              (strcmp(rq->method, "PUT") != 0 && strcmp(rq->method, "POST") != 0 &&
	               strcmp(rq->method, "DELETE") != 0))) {
		rc = refuse(r, 405, "method not allowed");
		goto out;
	}
	if ((rc = check_params(&q, r, rq)) != 0 || r->status != 0) {
		goto out;
	}
	if (read && !(who->scopes & (RELAIS_HUB_SCOPE_READ_MINE | RELAIS_HUB_SCOPE_READ_ALL))) {
		rc = refuse(r, 403, "this credential may not read (read-mine or read-all)");
		goto out;
	}
	if (!read && !(who->scopes & RELAIS_HUB_SCOPE_WRITE)) {
		rc = refuse(r, 403, "this credential may not write (write)");
		goto out;
	}
	q.mine = (who->scopes & RELAIS_HUB_SCOPE_READ_ALL) ? NULL : who->key;
	if (rq->resource == RELAIS_HUB_RES_ACTIVITIES) {
		rc = activity_get(r, hub, ctx, &q);
	} else if (rq->resource == RELAIS_HUB_RES_AGENTS) {
		rc = person_get(r, hub, ctx, &q);
	} else if (read) {
		rc = doc_get(r, hub, ctx, rq, &q);
	} else {
		rc = doc_change(r, hub, ctx, rq, &q, who);
	}
out:
	free(q.agent);
	cJSON_Delete(q.agent_json);
	return rc;
}
