/* server.c: the hub's HTTP side (through relais/http.h): xAPI resources and the reports pages. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <malloc.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "relais/gzip.h"
#include "relais/http.h"
#include "relais/publish.h"
#include "relais/xapi.h"
#include "hub_private.h"
#include "relais/error.h"

#define XAPI_VERSION "1.0.3"   /* the answer to a 1.0.x request */
#define XAPI_VERSION_2 "2.0.0" /* to a 2.0.x request */
/* GET /xapi/about: the versions, and that request bodies may be gzip (docs/sync.md). */
#define ABOUT                                                                                      \
	"{\"version\":[\"2.0.0\",\"1.0.3\",\"1.0.2\",\"1.0.1\",\"1.0.0\"],\"extensions\":{"        \
	"\"" RELAIS_XAPI_ACCEPTS_GZIP "\":true,\"" RELAIS_XAPI_RELAIS_HUB "\":true}}"
#define SESSION_SECONDS (8 * 3600)
#define COOKIE "relais_hub_session"
#define MAX_PARAMS 32
#define CSP_PAGE "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
#define COOKIE_HTTPS "__Host-relais_hub_session"
/* The language a coordinator chose on a page (?lang=), for the next pages. */
#define LANG_COOKIE "relais_hub_lang"
#define AUTH_MAX 1024                 /* an Authorization header's value */
#define FORM_MAX 4096                 /* a sign-in or sign-out form */
#define COHORT_FORM_MAX (512u * 1024) /* a cohort's form: a list of emails */
#define LAPTOP_KEY_PATH "/relais/laptop-key"
#define XAPI_WORKERS 4    /* threads storing and querying statements */
#define NETWORK_THREADS 2 /* threads reading requests and sending answers */
#define CONNECTIONS 1000  /* default connection limit */
#define PER_ADDRESS 256   /* default connections from one address */
#define IDLE_SECONDS 30   /* a connection that sends nothing this long is closed */

/*
 * A thread's own database connection and context: SQLite connections are not
 * shared. The reports' thread may read the reports from a replica (reports).
 */
struct worker {
	relais_hub *hub;
	relais_ctx *ctx;
	relais_hub *reports; /* NULL: hub */
};

/* The connection w reads the reports through: the replica's, else its own. */
static relais_hub *reports_of(struct worker *w)
{
	return w->reports != NULL ? w->reports : w->hub;
}

/*
 * The pools: statements; sign-ins (Argon2id, one at a time) and sign-outs;
 * reports (slow at scale). A network thread never waits for the database.
 */
enum { POOL_XAPI, POOL_LOGIN, POOL_REPORTS, N_POOLS };

struct relais_hub_server {
	relais_ctx *ctx;
	relais_http_server *http;
	relais_http_pool *pools[N_POOLS];
	struct worker workers[XAPI_WORKERS + 2];
	char trusted_proxy[64];                /* "" when none */
	size_t max_document;                   /* bytes of one xAPI document */
	uint64_t max_documents_total;          /* bytes of documents one credential may store */
	size_t max_attachment;                 /* bytes of one attachment part */
	unsigned long long max_per_credential; /* bytes of attachments one credential stores */
};

/* What a request carries from its headers to its body: the credentials that sent it. */
struct hub_request {
	struct relais_hub_credential who;
};

/*
 * A response of status with body (copied; NULL: empty), its Content-Type,
 * xAPI's version header or the pages' CSP, and one more header when named.
 * NULL: out of memory (the connection is then closed).
 */
static relais_http_response *respond(unsigned status, const char *type, const char *body, int xapi,
                                     const char *extra_name, const char *extra_value)
{
	relais_http_response *resp = relais_http_response_buffer(
	        status, type, body ? body : "", body ? strlen(body) : 0, RELAIS_HTTP_COPY);

	if (resp == NULL) {
		return NULL;
	}
	if ((xapi ? relais_http_response_header(resp, "X-Experience-API-Version", XAPI_VERSION)
	          : relais_http_response_header(resp, "Content-Security-Policy", CSP_PAGE)) != 0 ||
	    (extra_name != NULL &&
	     relais_http_response_header(resp, extra_name, extra_value) != 0)) {
		relais_http_response_free(resp);
		return NULL;
	}
	return resp;
}

/* An empty 303 to location, with a cookie when given. */
static relais_http_response *redirect(const char *location, const char *cookie)
{
	relais_http_response *resp =
	        relais_http_response_buffer(303, NULL, "", 0, RELAIS_HTTP_PERSISTENT);

	if (resp != NULL &&
	    ((cookie != NULL && relais_http_response_header(resp, "Set-Cookie", cookie) != 0) ||
	     relais_http_response_header(resp, "Location", location) != 0)) {
		relais_http_response_free(resp);
		return NULL;
	}
	return resp;
}

/* An xAPI refusal: status with {"error": msg}, the one body relais_hub_reply_error() makes. */
static relais_http_response *xapi_error(unsigned status, const char *msg)
{
	struct relais_hub_reply r = {0};
	relais_http_response *resp = NULL;

	if (relais_hub_reply_error(&r, status, msg) == 0) {
		resp = respond(status, "application/json", r.body, 1, NULL, NULL);
	}
	relais_hub_reply_clear(&r);
	return resp;
}

/*
 * The answer to a request the hub could not serve (rc, its message msg): 503
 * with Retry-After when the database is busy or unreachable (RELAIS_EBUSY:
 * nothing was stored; the laptop sends again), 500 otherwise.
 */
static relais_http_response *local_error(int rc, const char *msg)
{
	struct relais_hub_reply r = {0};
	relais_http_response *resp = NULL;

	if (rc != RELAIS_EBUSY) {
		return xapi_error(500, msg);
	}
	if (relais_hub_reply_error(&r, 503, msg) == 0) {
		resp = respond(503, "application/json", r.body, 1, "Retry-After", "5");
	}
	relais_hub_reply_clear(&r);
	return resp;
}

static int version_ok(const char *v)
{
	return relais_xapi_version_of(v) != 0;
}

/*
 * Sets an xAPI answer's version header to the version of the request:
 * 2.0.0 to a 2.0.x request, else 1.0.3 as respond() set it (also to a
 * request without a usable version: ADL's suites at commit 2ec25f2 want
 * 1.0.3 there for 1.0.3 and 2.0.0 for 2.0.0, from the same request; see
 * docs/hub.md).
 */
static int on_response(void *data, const relais_http_request *req, relais_http_response *resp)
{
	(void)data;
	if (strncmp(relais_http_path(req), "/xapi/", 6) != 0 ||
	    relais_xapi_version_of(relais_http_header(req, "X-Experience-API-Version")) !=
	            RELAIS_XAPI_2_0) {
		return 0;
	}
	return relais_http_response_header_set(resp, "X-Experience-API-Version", XAPI_VERSION_2);
}

/* Refuses any query parameter but the allowed one (NULL: none at all). */
static int count_param(void *data, const char *name, const char *value)
{
	const char **allowed = data;

	(void)value;
	if (allowed[0] == NULL || strcmp(name, allowed[0]) != 0) {
		allowed[1] = name; /* the first one refused */
		return 1;
	}
	return 0;
}

/*
 * The key and secret of an HTTP Basic Authorization header, decoded into
 * buf (wiped by the caller). Returns 0, or -1 when there are none.
 */
static int basic_auth(char *buf, size_t size, const char **key, const char **secret,
                      const char *header)
{
	size_t len = 0;
	char *colon;

	if (header == NULL || strncasecmp(header, "Basic ", 6) != 0 || strlen(header) > AUTH_MAX) {
		return -1;
	}
	header += 6;
	while (*header == ' ') {
		header++;
	}
	if (sodium_base642bin((unsigned char *)buf, size - 1, header, strlen(header), NULL, &len,
	                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		return -1;
	}
	buf[len] = '\0';
	if (strlen(buf) != len || (colon = strchr(buf, ':')) == NULL) {
		return -1;
	}
	*colon = '\0';
	*key = buf;
	*secret = colon + 1;
	return 0;
}

/*
 * HTTP Basic credentials; fills *who with the credential they name.
 * Returns 0, RELAIS_EBUSY (the database cannot tell now) or another status
 * (bad credentials).
 */
static int authenticate(struct worker *w, relais_http_request *req,
                        struct relais_hub_credential *who)
{
	char buf[AUTH_MAX];
	const char *key, *secret;
	int rc = RELAIS_EPASSWORD;

	memset(who, 0, sizeof(*who));
	if (basic_auth(buf, sizeof(buf), &key, &secret, relais_http_header(req, "Authorization")) ==
	    0) {
		rc = relais_hub_credentials_check(who, w->hub, w->ctx, key, secret);
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static relais_http_response *auth_failed(void)
{
	relais_http_response *resp =
	        respond(401, "application/json", "{\"error\":\"bad credentials\"}\n", 1,
	                "WWW-Authenticate", "Basic realm=\"relais hub\"");

	return resp;
}

struct params {
	struct relais_hub_param p[MAX_PARAMS];
	size_t n;
	int overflow;
};

static int collect_param(void *data, const char *name, const char *value)
{
	struct params *ps = data;

	if (ps->n >= MAX_PARAMS) {
		ps->overflow = 1;
		return 1;
	}
	ps->p[ps->n].name = name;
	ps->p[ps->n].value = value ? value : "";
	ps->n++;
	return 0;
}

/*
 * A JSON answer, gzip-compressed when the client accepts it and it is worth
 * it: on a 64 kbit/s link the ids of a batch cost as much as the statements.
 */
static relais_http_response *reply_out(relais_http_request *req, struct relais_hub_reply *r)
{
	const char *cname = r->consistent[0] ? "X-Experience-API-Consistent-Through" : NULL;
	size_t len = r->body ? strlen(r->body) : 0;
	relais_http_response *resp = NULL;
	unsigned char *out;
	size_t out_len;

	if (r->status == 204) {
		resp = respond(204, NULL, NULL, 1, NULL, NULL);
	} else if (len >= 256 && relais_http_accepts_gzip(req) &&
	           /* Level 6: the hub answers many clients; the ids compress little more. */
	           relais_gzip(&out, &out_len, r->body, len, 6) == 0) {
		resp = relais_http_response_buffer(r->status, "application/json", out, out_len,
		                                   RELAIS_HTTP_OWNED);
		if (resp != NULL &&
		    (relais_http_response_header(resp, "Content-Encoding", "gzip") != 0 ||
		     relais_http_response_header(resp, "Vary", "Accept-Encoding") != 0 ||
		     relais_http_response_header(resp, "X-Experience-API-Version", XAPI_VERSION) !=
		             0 ||
		     (cname != NULL &&
		      relais_http_response_header(resp, cname, r->consistent) != 0))) {
			relais_http_response_free(resp);
			resp = NULL;
		}
	} else {
		resp = respond(r->status, "application/json", r->body, 1, cname, r->consistent);
	}
	if (resp != NULL && r->modified[0] &&
	    relais_http_response_header(resp, "Last-Modified", r->modified) != 0) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	relais_hub_reply_clear(r);
	return resp;
}

/* What a statements request must show before its credentials are looked at. */
static relais_http_response *statements_preamble(relais_http_request *req)
{
	const char *method = relais_http_method(req);
	const char *version = relais_http_header(req, "X-Experience-API-Version");

	if (!version_ok(version)) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
			/* Statement queries carry this header whatever the answer. */
			char now[32];
			relais_now_iso(now);
			return respond(
			        400, "application/json",
			        "{\"error\":\"missing or unsupported X-Experience-API-Version "
			        "header\"}",
			        1, "X-Experience-API-Consistent-Through", now);
		}
		return xapi_error(400, "missing or unsupported X-Experience-API-Version header");
	}
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		/* POST takes no parameter, PUT exactly statementId (the alternate
		 * request syntax is not supported). */
		const char *allowed[2] = {strcmp(method, "PUT") == 0 ? "statementId" : NULL, NULL};
		char msg[160];
		(void)relais_http_query_each(req, count_param, allowed);
		if (allowed[1] != NULL) {
			(void)snprintf(msg, sizeof(msg), "unexpected parameter %.100s", allowed[1]);
			return xapi_error(400, msg);
		}
	}
	return NULL;
}

/* The largest statements body: a multipart one also carries attachments (two of the largest). */
static size_t statements_body_max(const struct relais_hub_server *s, relais_http_request *req)
{
	const char *type = relais_http_header(req, "Content-Type");

	return type != NULL && strncasecmp(type, "multipart/", 10) == 0
	               ? RELAIS_HUB_BODY_MAX + 2 * s->max_attachment
	               : RELAIS_HUB_BODY_MAX;
}

/* GET with attachments=true: the answer and the attachments' data as multipart/mixed. */
static relais_http_response *attachments_out(struct worker *w, struct relais_hub_reply *r)
{
	relais_http_response *resp = NULL;
	char boundary[40], type[80];
	char *out = NULL;
	size_t len = 0;

	if (relais_hub_attachments_reply(&out, &len, boundary, w->hub, w->ctx, r->body) != 0) {
		relais_hub_reply_clear(r);
		return xapi_error(500, relais_errmsg(w->ctx));
	}
	(void)snprintf(type, sizeof(type), "multipart/mixed; boundary=%s", boundary);
	resp = relais_http_response_buffer(200, type, out, len, RELAIS_HTTP_OWNED);
	if (resp != NULL &&
	    (relais_http_response_header(resp, "X-Experience-API-Version", XAPI_VERSION) != 0 ||
	     relais_http_response_header(resp, "X-Experience-API-Consistent-Through",
	                                 r->consistent) != 0)) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	relais_hub_reply_clear(r);
	return resp;
}

/*
 * Checks a statements request's credentials as soon as its headers are in
 * (on an xAPI worker): no body is read for a request that cannot be stored.
 */
static relais_http_response *credentials_job(void *data, void *local, relais_http_request *req)
{
	struct worker *w = local;
	struct relais_hub_credential who;
	struct hub_request *hr;
	int rc;

	(void)data;
	if ((rc = authenticate(w, req, &who)) != 0) {
		return rc == RELAIS_EBUSY ? local_error(rc, relais_errmsg(w->ctx)) : auth_failed();
	}
	if ((hr = calloc(1, sizeof(*hr))) == NULL) {
		return NULL;
	}
	hr->who = who;
	hr->who.xapi_version =
	        relais_xapi_version_of(relais_http_header(req, "X-Experience-API-Version"));
	relais_http_set_user(req, hr);
	/* A laptop key is a line of text; statements come in batches. */
	relais_http_body_limit(req, strcmp(relais_http_path(req), LAPTOP_KEY_PATH) == 0
	                                    ? FORM_MAX
	                                    : statements_body_max(data, req));
	return NULL;
}

static void free_request(void *user)
{
	free(user);
}

/* GET, POST or PUT /xapi/statements, its credentials checked (on an xAPI worker). */
static relais_http_response *statements_job(void *data, void *local, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	struct worker *w = local;
	struct relais_hub_reply r = {0};
	const struct hub_request *hr = relais_http_user(req);
	const char *method = relais_http_method(req);
	const char *encoding = relais_http_header(req, "Content-Encoding");
	const char *type = relais_http_header(req, "Content-Type");
	char *inflated = NULL;
	size_t len;
	const char *body = relais_http_body(req, &len);
	int rc;

	(void)data;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		struct params ps = {0};
		(void)relais_http_query_each(req, collect_param, &ps);
		if (ps.overflow) {
			return xapi_error(400, "too many parameters");
		}
		rc = relais_hub_get(&r, w->hub, w->ctx, ps.p, ps.n,
		                    relais_http_header(req, "Accept-Language"), &hr->who);
		if (rc == 0 && r.status == 200 && r.body != NULL &&
		    relais_http_query(req, "attachments") != NULL &&
		    strcmp(relais_http_query(req, "attachments"), "true") == 0) {
			return attachments_out(w, &r);
		}
		return rc == 0 ? reply_out(req, &r) : local_error(rc, relais_errmsg(w->ctx));
	}
	if (encoding != NULL) {
		if (strcmp(encoding, "gzip") != 0) {
			return xapi_error(415, "only gzip content encoding is accepted");
		}
		rc = relais_gunzip(&inflated, &len, body, len,
		                   statements_body_max(s, req) > RELAIS_HUB_INFLATED_MAX
		                           ? statements_body_max(s, req)
		                           : RELAIS_HUB_INFLATED_MAX);
		if (rc != 0) {
			return rc == -2 ? xapi_error(413, "the body inflates past the limit")
			                : xapi_error(400, "the gzip body is damaged");
		}
		body = inflated;
	}
	if (type != NULL && strncasecmp(type, "multipart/", 10) == 0) {
		const char *sid = relais_http_query(req, "statementId");
		if (strcmp(method, "PUT") == 0 && sid == NULL) {
			free(inflated);
			return xapi_error(400, "statementId must be a UUID");
		}
		rc = relais_hub_post_multipart(&r, w->hub, w->ctx, type, body, len,
		                               strcmp(method, "PUT") == 0 ? sid : NULL,
		                               s->max_attachment, s->max_per_credential, &hr->who);
	} else if (type == NULL || strncmp(type, "application/json", 16) != 0) {
		free(inflated);
		return xapi_error(400, "Content-Type must be application/json or multipart/mixed");
	} else if (strcmp(method, "POST") == 0) {
		rc = relais_hub_post(&r, w->hub, w->ctx, body, len, &hr->who);
	} else {
		rc = relais_hub_put(&r, w->hub, w->ctx, relais_http_query(req, "statementId"), body,
		                    len, &hr->who);
	}
	free(inflated);
	if (len > RELAIS_HUB_STATEMENT_MAX) {
		/* A large request's memory goes back to the system, not to this
		 * thread's arena, where it would stay for good. */
		(void)malloc_trim(0);
	}
	if (rc != 0) {
		relais_hub_reply_clear(&r);
		return local_error(rc, relais_errmsg(w->ctx));
	}
	return reply_out(req, &r);
}

/*
 * PUT /relais/laptop-key, its credentials checked (on an xAPI worker): a
 * laptop registers the public key that signs its export files against its
 * credential (docs/sync.md, "Laptop key"); 204.
 */
static relais_http_response *laptop_key_job(void *data, void *local, relais_http_request *req)
{
	struct worker *w = local;
	const struct hub_request *hr = relais_http_user(req);
	size_t len;
	const char *body = relais_http_body(req, &len);
	int rc;

	(void)data;
	rc = relais_hub_laptop_key_add(w->hub, w->ctx, hr->who.key, body ? body : "", len);
	if (rc == 0) {
		return respond(204, NULL, NULL, 1, NULL, NULL);
	}
	return xapi_error(rc == RELAIS_EFORMAT     ? 400
	                  : rc == RELAIS_EEXIST    ? 409
	                  : rc == RELAIS_ENOTFOUND ? 401
	                                           : 500,
	                  relais_errmsg(w->ctx));
}

/* ---- the published courses (docs/catalogue.md, "Where the files are") ---- */

#define PUBLISHED "/relais/"
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_REVALIDATE "public, no-cache"

/*
 * Which published resource url names: 1 catalogue, 2 its signature, 3 a bundle, 4 a delta,
 * 5 the certificates; 0 none.
 */
static int published_kind(const char *url)
{
	if (strncmp(url, PUBLISHED, strlen(PUBLISHED)) != 0) {
		return 0;
	}
	url += strlen(PUBLISHED);
	return strcmp(url, "catalogue.json") == 0           ? 1
	       : strcmp(url, "catalogue.json.minisig") == 0 ? 2
	       : strncmp(url, "bundles/", 8) == 0           ? 3
	       : strncmp(url, "deltas/", 7) == 0            ? 4
	       : strcmp(url, "certificates") == 0           ? 5
	                                                    : 0;
}

/* The catalogue or its signature from the store: 304 when the client has it. */
static relais_http_response *catalogue_out(struct worker *w, relais_http_request *req, int sig)
{
	struct relais_hub_catalogue_file f;
	relais_http_response *resp;
	char etag[80];
	int rc = relais_hub_catalogue_get(&f, w->hub, w->ctx, sig);

	if (rc != 0) {
		return xapi_error(rc == RELAIS_ENOTFOUND ? 404 : 500, relais_errmsg(w->ctx));
	}
	(void)snprintf(etag, sizeof(etag), "\"%s\"", f.etag);
	if (relais_http_etag_matches(req, f.etag)) {
		relais_hub_catalogue_file_clear(&f);
		resp = relais_http_response_buffer(304, NULL, "", 0, RELAIS_HTTP_PERSISTENT);
	} else {
		resp = relais_http_response_buffer(
		        200, sig ? "text/plain; charset=utf-8" : "application/json", f.body, f.len,
		        RELAIS_HTTP_OWNED);
		f.body = NULL;
	}
	if (resp != NULL &&
	    (relais_http_response_header(resp, "ETag", etag) != 0 ||
	     relais_http_response_header(resp, "Cache-Control", CACHE_REVALIDATE) != 0)) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	return resp;
}

/*
 * The certificates of who's learners (docs/certificates.md), issuing what
 * is due first: 403 for a credential that may read no statements.
 */
static relais_http_response *certificates_out(struct worker *w,
                                              const struct relais_hub_credential *who)
{
	relais_http_response *resp;
	char *json = NULL;
	int rc = relais_hub_certificates_json(&json, w->hub, w->ctx, who);

	if (rc != 0) {
		return xapi_error(rc == RELAIS_EINVAL ? 403 : 500, relais_errmsg(w->ctx));
	}
	resp = relais_http_response_buffer(200, "application/json", json, strlen(json),
	                                   RELAIS_HTTP_OWNED);
	if (resp != NULL && relais_http_response_header(resp, "Cache-Control", "no-store") != 0) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	return resp;
}

/*
 * GET or HEAD of a published resource (on an xAPI worker): the same
 * credentials as sync, any scope; names checked strictly (64 hex digits).
 */
static relais_http_response *published_job(void *data, void *local, relais_http_request *req)
{
	struct worker *w = local;
	struct relais_hub_credential who;
	const char *url = relais_http_path(req);
	int kind = published_kind(url), delta = kind == 4;
	const char *name = url + strlen(PUBLISHED) + (delta ? 7 : 8);
	const char *suffix = delta ? ".delta" : ".relais";
	size_t want = delta ? 129 : 64;
	int rc;
	char path[4096], etag[65], id[130];

	(void)data;
	if ((rc = authenticate(w, req, &who)) != 0) {
		return rc == RELAIS_EBUSY ? local_error(rc, relais_errmsg(w->ctx)) : auth_failed();
	}
	if (kind == 1 || kind == 2) {
		return catalogue_out(w, req, kind == 2);
	}
	if (kind == 5) {
		return certificates_out(w, &who);
	}
	if (strlen(name) != want + strlen(suffix) || strcmp(name + want, suffix) != 0) {
		return xapi_error(404, delta ? "no such delta" : "no such bundle");
	}
	memcpy(id, name, want);
	id[want] = '\0';
	if ((rc = relais_hub_published_file(path, sizeof(path), etag, w->hub, w->ctx, delta, id)) !=
	    0) {
		return rc == RELAIS_ENOTFOUND ? xapi_error(404, relais_errmsg(w->ctx))
		                              : local_error(rc, relais_errmsg(w->ctx));
	}
	return relais_http_respond_file(req, path, "application/octet-stream", etag,
	                                CACHE_IMMUTABLE);
}

/* ---- the coordinators' pages ---- */

/*
 * Whether the request came over HTTPS: only a configured proxy's
 * X-Forwarded-Proto is believed. Sets address to the client's (the one the
 * proxy names in X-Forwarded-For when it came through it).
 */
static int over_https(const struct relais_hub_server *s, relais_http_request *req, char *address,
                      size_t size)
{
	const char *proto, *forwarded;

	relais_http_client_address(address, size, req);
	if (s->trusted_proxy[0] == '\0' || strcmp(address, s->trusted_proxy) != 0) {
		return 0;
	}
	forwarded = relais_http_header(req, "X-Forwarded-For");
	if (forwarded != NULL) {
		const char *last = strrchr(forwarded, ',');
		last = last ? last + 1 : forwarded;
		while (*last == ' ') {
			last++;
		}
		if (*last != '\0' && strlen(last) < size) {
			(void)snprintf(address, size, "%s", last);
		}
	}
	proto = relais_http_header(req, "X-Forwarded-Proto");
	return proto != NULL && strcasecmp(proto, "https") == 0;
}

/* The session's cookie name: __Host- and Secure over HTTPS. */
static const char *cookie_name(int https)
{
	return https ? COOKIE_HTTPS : COOKIE;
}

/*
 * Finds the request's session (in the database, through w's connection: any
 * node may have started it; so only on a worker, never a network thread);
 * copies its email into email. With end, ends it. Returns 0 when signed in,
 * RELAIS_ENOTFOUND when not (no cookie, an unknown or expired session), or
 * the database's failure (page_failed answers it: the session may be fine).
 */
static int session_find(struct worker *w, relais_http_request *req, int https, char email[201],
                        int end)
{
	const char *token = relais_http_cookie(req, cookie_name(https));

	if (token == NULL || strlen(token) != RELAIS_HUB_SESSION_HEX - 1) {
		return RELAIS_ENOTFOUND;
	}
	return relais_hub_session_find(email, w->hub, w->ctx, token, end);
}

/*
 * Starts a session for email (through w's connection, on a worker); writes
 * its cookie into cookie. Returns 0 or a status.
 */
static int session_start(struct worker *w, const char *email, int https, char *cookie, size_t size)
{
	char token[RELAIS_HUB_SESSION_HEX];
	int rc;

	rc = relais_hub_session_start(token, w->hub, w->ctx, email, SESSION_SECONDS);
	if (rc == 0) {
		(void)snprintf(cookie, size,
		               https ? COOKIE_HTTPS "=%s; Path=/; Secure; HttpOnly; SameSite=Strict"
		                     : COOKIE "=%s; Path=/reports; HttpOnly; SameSite=Strict",
		               token);
	}
	sodium_memzero(token, sizeof(token));
	return rc;
}

static relais_http_response *page(unsigned status, const char *type, const char *body)
{
	return respond(status, type, body, 0, NULL, NULL);
}

/* The pages' language for req: ?lang=, else the language cookie, else Accept-Language. */
static enum hub_lang page_lang(relais_http_request *req);

/*
 * The answer to a coordinator's page or form the hub could not serve (rc,
 * the failure in ctx): when the database is busy or unreachable, 503 with
 * Retry-After and a sentence in the page's language (nothing was changed,
 * a session stays signed in, the page works again once the database is
 * back); otherwise 500 with the failure (ctx NULL: not shown, on the
 * public pages).
 */
static relais_http_response *page_failed(relais_http_request *req, relais_ctx *ctx, int rc)
{
	char body[600];

	if (rc == RELAIS_EBUSY) {
		(void)snprintf(body, sizeof(body), "%s\n",
		               relais_hub_tr(page_lang(req), HUB_M_DATABASE_AWAY));
		return respond(503, "text/plain; charset=utf-8", body, 0, "Retry-After", "5");
	}
	(void)snprintf(body, sizeof(body), "%s\n",
	               rc == RELAIS_ENOMEM ? "out of memory"
	               : ctx == NULL       ? "the hub could not answer this request"
	                                   : relais_errmsg(ctx));
	return page(500, "text/plain; charset=utf-8", body);
}

static enum hub_lang page_lang(relais_http_request *req)
{
	return relais_hub_lang_choose(relais_http_query(req, "lang"),
	                              relais_http_cookie(req, LANG_COOKIE),
	                              relais_http_header(req, "Accept-Language"));
}

/*
 * An HTML page in lang; when req asked for a language (?lang=), with the
 * cookie that keeps it for the next pages (a preference, not a secret).
 */
static relais_http_response *html_page(relais_http_request *req, unsigned status,
                                       enum hub_lang lang, const char *html)
{
	char cookie[96];

	if (relais_http_query(req, "lang") == NULL ||
	    strcmp(relais_http_query(req, "lang"), relais_hub_lang_code(lang)) != 0) {
		return respond(status, "text/html; charset=utf-8", html, 0, NULL, NULL);
	}
	(void)snprintf(cookie, sizeof(cookie),
	               LANG_COOKIE "=%s; Path=/; SameSite=Lax; Max-Age=31536000",
	               relais_hub_lang_code(lang));
	return respond(status, "text/html; charset=utf-8", html, 0, "Set-Cookie", cookie);
}

/*
 * The sign-in page in req's language; with failed, "wrong password"; with a
 * header (a cookie's end, Retry-After).
 */
static relais_http_response *login_page(relais_ctx *ctx, relais_http_request *req, unsigned status,
                                        int failed, const char *name, const char *value)
{
	char *html = NULL;
	relais_http_response *resp;
	enum hub_lang lang = page_lang(req);

	if (relais_hub_page_login(&html, ctx, lang, failed) != 0) {
		return page(500, "text/plain", "out of memory\n");
	}
	resp = name ? respond(status, "text/html; charset=utf-8", html, 0, name, value)
	            : html_page(req, status, lang, html);
	free(html);
	return resp;
}

/* The value of form field name (NULL when absent), from fields parsed from the body. */
static const char *field(const struct relais_http_field *fields, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(fields[i].name, name) == 0) {
			return fields[i].value;
		}
	}
	return NULL;
}

/*
 * Checks a sign-in form (on the sign-in thread: Argon2id is slow and takes
 * 64 MiB, one at a time), unless the account or the address is locked out;
 * on success starts a session and answers with its cookie.
 */
static relais_http_response *login_job(void *data, void *local, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	struct worker *w = local;
	struct relais_http_field *fields = NULL;
	const char *email = NULL, *password = NULL;
	char cookie[160], address[64], retry[32];
	relais_http_response *resp;
	size_t len, n = 0;
	const char *body = relais_http_body(req, &len);
	int https = over_https(s, req, address, sizeof(address)), rc;
	long wait = 0;

	if (relais_http_form_parse(&fields, &n, body, len, 8, 1024) == 0) {
		email = field(fields, n, "email");
		password = field(fields, n, "password");
	}
	if (email == NULL || strlen(email) > 200 || password == NULL) {
		resp = login_page(w->ctx, req, 401, 1, NULL, NULL);
		goto out;
	}
	if ((rc = relais_hub_login_locked(&wait, w->hub, w->ctx, email, address)) != 0) {
		resp = page_failed(req, NULL, rc);
		goto out;
	}
	if (wait > 0) {
		(void)snprintf(retry, sizeof(retry), "%ld", wait);
		resp = login_page(w->ctx, req, 429, 1, "Retry-After", retry);
		goto out;
	}
	if ((rc = relais_hub_coordinator_check(w->hub, w->ctx, email, password)) ==
	    RELAIS_EPASSWORD) {
		(void)relais_hub_login_failed(w->hub, w->ctx, email, address);
		resp = login_page(w->ctx, req, 401, 1, NULL, NULL);
		goto out;
	}
	if (rc != 0) {
		/* The database, not the password: no failure is counted. */
		resp = page_failed(req, NULL, rc);
		goto out;
	}
	(void)relais_hub_login_succeeded(w->hub, w->ctx, email, address);
	if ((rc = session_start(w, email, https, cookie, sizeof(cookie))) != 0) {
		resp = page_failed(req, NULL, rc);
		goto out;
	}
	resp = redirect("/reports", cookie);
	sodium_memzero(cookie, sizeof(cookie));
out:
	if (password != NULL) {
		sodium_memzero((char *)password, strlen(password));
	}
	relais_http_fields_free(fields, n);
	return resp;
}

/*
 * Ends the request's session (on the sign-in thread, as it started: the
 * database may be slow, and a network thread never waits for it) and
 * answers with the sign-in page and the cookie's end, so that the browser
 * forgets it too; without a session, sends to the sign-in page.
 */
static relais_http_response *logout_job(void *data, void *local, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	struct worker *w = local;
	char address[64], email[201];
	int https = over_https(s, req, address, sizeof(address));
	int rc = session_find(w, req, https, email, 1);

	if (rc == RELAIS_ENOTFOUND) {
		return redirect("/reports/login", NULL);
	} else if (rc != 0) {
		return page_failed(req, w->ctx, rc);
	}
	return login_page(w->ctx, req, 200, 0, "Set-Cookie",
	                  https ? COOKIE_HTTPS "=; Path=/; Secure; HttpOnly; SameSite=Strict; "
	                                       "Max-Age=0"
	                        : COOKIE "=; Path=/reports; HttpOnly; SameSite=Strict; Max-Age=0");
}

/*
 * The public verify page (on the sign-in thread: no account, a signature
 * check is quick): the form, or the verdict on ?code=.
 */
static relais_http_response *verify_job(void *data, void *local, relais_http_request *req)
{
	struct worker *w = local;
	relais_http_response *resp;
	char *out = NULL;
	enum hub_lang lang = page_lang(req);
	int rc;

	(void)data;
	rc = relais_hub_page_verify(&out, w->hub, w->ctx, lang, relais_http_query(req, "code"));
	if (rc != 0) {
		return page_failed(req, NULL, rc);
	}
	resp = html_page(req, 200, lang, out);
	free(out);
	return resp;
}

/* The cohorts pages (cohortpage.c): a page, or after a change the page to see it on. */
static relais_http_response *cohorts_page(struct worker *w, relais_http_request *req,
                                          const char *rest)
{
	struct relais_hub_page_result pr;
	enum hub_lang lang = page_lang(req);
	relais_http_response *resp;
	const char *body = NULL;
	size_t len = 0;
	int rc;

	if (strcmp(relais_http_method(req), "POST") == 0) {
		body = relais_http_body(req, &len);
		body = body != NULL ? body : "";
	}
	rc = relais_hub_page_cohorts(&pr, w->hub, w->ctx, lang, rest, body, len);
	if (rc != 0) {
		return page_failed(req, w->ctx, rc);
	}
	resp = pr.location[0] != '\0' ? redirect(pr.location, NULL)
	                              : html_page(req, pr.status, lang, pr.html);
	free(pr.html);
	return resp;
}

/* Whether s is a day, YYYY-MM-DD (or absent). */
static int is_day(const char *s)
{
	int i;

	if (s == NULL || s[0] == '\0') {
		return 1;
	}
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) {
			return 0;
		}
	}
	return s[10] == '\0';
}

/*
 * What an administrator's form on /reports/admin asks (action, the path's
 * end): does it and sets notice (in English, as the command line says it)
 * and, for a new credential, secret. Returns 0 or the failure's status.
 */
static int admin_form(relais_hub *hub, relais_ctx *ctx, const char *action,
                      relais_http_request *req, char *notice, size_t size, char *secret,
                      size_t secret_size)
{
	struct relais_http_field *fields = NULL;
	const char *a, *b, *c;
	size_t len, n = 0;
	const char *body = relais_http_body(req, &len);
	int rc;

	if ((rc = relais_http_form_parse(&fields, &n, body, len, 8, 1024)) != 0) {
		(void)snprintf(notice, size, "the form could not be read");
		return rc;
	}
	a = field(fields, n, "email");
	b = field(fields, n, "organisation");
	c = field(fields, n, "password");
	if (strcmp(action, "coordinator-add") == 0) {
		rc = relais_hub_coordinator_add(hub, ctx, a, c, b && b[0] ? b : NULL);
		(void)snprintf(notice, size, "coordinator %.200s added", a ? a : "");
	} else if (strcmp(action, "coordinator-remove") == 0) {
		rc = relais_hub_coordinator_remove(hub, ctx, a ? a : "");
		(void)snprintf(notice, size, "coordinator %.200s removed", a ? a : "");
	} else if (strcmp(action, "credential-add") == 0) {
		char key[RELAIS_HUB_KEY_HEX], sec[RELAIS_HUB_SECRET_HEX];
		unsigned scopes = 0;
		const char *name = field(fields, n, "name");
		rc = relais_hub_scopes_parse(&scopes, ctx, field(fields, n, "scope"));
		if (rc == 0) {
			rc = relais_hub_credentials_add(hub, ctx, name, scopes, key, sec);
		}
		if (rc == 0) {
			(void)snprintf(notice, size, "credential %.200s added", name);
			(void)snprintf(secret, secret_size, "key: %s secret: %s (shown once)", key,
			               sec);
		}
		sodium_memzero(sec, sizeof(sec));
	} else if (strcmp(action, "credential-revoke") == 0) {
		const char *key = field(fields, n, "key");
		rc = relais_hub_credentials_revoke(hub, ctx, key ? key : "");
		(void)snprintf(notice, size, "credential %.64s revoked", key ? key : "");
	} else {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no such form");
	}
	if (c != NULL) {
		sodium_memzero((char *)c, strlen(c));
	}
	relais_http_fields_free(fields, n);
	return rc;
}

/* A report file being streamed: its response goes out at the first bytes written. */
struct download {
	relais_http_request *req; /* until begun */
	relais_http_response *resp;
	relais_http_stream *st;
	relais_http_response *begun; /* what the job returns once begun */
	int gone;                    /* the client left (or asked with HEAD): nothing to log */
};

static int download_write(void *data, const char *p, size_t n)
{
	struct download *d = data;

	if (d->begun == NULL) {
		d->begun = relais_http_stream_begin(d->req, d->resp);
		d->req = NULL;
		d->resp = NULL;
	}
	int rc = relais_http_stream_write(d->st, p, n);

	d->gone = rc == RELAIS_ENOTFOUND;
	return rc;
}

/*
 * Streams report name (a relais_hub_reports entry) for *f as CSV or JSON:
 * the rows go out as the query yields them, spooled so that a slow client
 * holds neither the reports thread nor the database. A query that fails
 * before the first row gets a 500; after it, the connection is cut (no
 * final chunk: the client sees an incomplete transfer) and the hub logs it.
 */
static relais_http_response *download(struct relais_hub_server *s, struct worker *w,
                                      relais_http_request *req, const char *name, int csv,
                                      struct relais_hub_filter *f)
{
	const char **keep[] = {&f->course, &f->organisation, &f->country,
	                       &f->from,   &f->to,           &f->learner};
	struct relais_hub_sink sink = {download_write, NULL};
	struct download d = {req, NULL, NULL, NULL, 0};
	char disposition[128], *copies[6] = {0};
	relais_http_response *resp;
	size_t i;
	int rc;

	/* The query's parameters outlive the request once the answer has begun. */
	for (i = 0; i < 6; i++) {
		if (*keep[i] != NULL && (*keep[i] = copies[i] = strdup(*keep[i])) == NULL) {
			resp = page(500, "text/plain", "out of memory\n");
			goto out;
		}
	}
	(void)snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.%s\"", name,
	               csv ? "csv" : "json");
	d.resp = relais_http_response_stream(&d.st, 200,
	                                     csv ? "text/csv; charset=utf-8" : "application/json");
	if (d.resp == NULL ||
	    relais_http_response_header(d.resp, "Content-Security-Policy", CSP_PAGE) != 0 ||
	    relais_http_response_header(d.resp, "Content-Disposition", disposition) != 0) {
		resp = page(500, "text/plain", "out of memory\n");
		goto out;
	}
	sink.data = &d;
	rc = relais_hub_report_stream(reports_of(w), w->ctx, name,
	                              csv ? RELAIS_REPORT_CSV : RELAIS_REPORT_JSON, f, &sink);
	if (d.begun == NULL) {
		/* Nothing sent yet (a report always writes its header first). */
		resp = rc != 0 ? page_failed(req, w->ctx, rc)
		               : page(500, "text/plain", "empty report\n");
		goto out;
	}
	if (rc != 0 && !d.gone) {
		relais_log(s->ctx, RELAIS_LOG_WARN, "%s.%s cut short: %s", name,
		           csv ? "csv" : "json", relais_errmsg(w->ctx));
	}
	relais_http_stream_close(d.st, rc == 0);
	d.st = NULL;
	resp = d.begun;
out:
	relais_http_stream_close(d.st, 0);
	relais_http_response_free(d.resp);
	for (i = 0; i < 6; i++) {
		free(copies[i]);
	}
	return resp;
}

/* 0 when f names a learner its coordinator may see; RELAIS_ENOTFOUND; a failure. */
static int learner_visible(struct worker *w, const struct relais_hub_filter *f)
{
	if (f->learner == NULL) {
		return RELAIS_ENOTFOUND;
	}
	return relais_hub_learner_visible(reports_of(w), w->ctx, f);
}

/* The reports pages and files (on the reports thread: slow on a large hub). */
static relais_http_response *reports_job(void *data, void *local, relais_http_request *req)
{
	static const struct {
		const char *path;
		int kind;
	} paths[] = {{"/reports", RELAIS_HUB_PAGE_OVERVIEW},
	             {"/reports/", RELAIS_HUB_PAGE_OVERVIEW},
	             {"/reports/quizzes", RELAIS_HUB_PAGE_QUIZZES},
	             {"/reports/learners", RELAIS_HUB_PAGE_LEARNERS},
	             {"/reports/learner", RELAIS_HUB_PAGE_LEARNER},
	             {"/reports/admin", RELAIS_HUB_PAGE_ADMIN}};
	struct relais_hub_server *s = data;
	struct worker *w = local;
	const char *url = relais_http_path(req);
	const char *name = url + strlen("/reports/");
	char email[201], address[64], org[201], *out = NULL;
	char notice[512], line[700], secret[160];
	struct relais_hub_filter f = {0};
	enum hub_lang lang = page_lang(req);
	relais_http_response *resp;
	size_t i, n;
	int rc;

	rc = session_find(w, req, over_https(s, req, address, sizeof(address)), email, 0);
	if (rc == 0) {
		rc = relais_hub_coordinator_scope(org, w->hub, w->ctx, email);
	}
	if (rc == RELAIS_ENOTFOUND) {
		return redirect("/reports/login", NULL); /* or removed since signing in */
	} else if (rc != 0) {
		return page_failed(req, w->ctx, rc);
	}
	f.scope = org[0] ? org : NULL;
	f.course = relais_http_query(req, "course");
	f.organisation = relais_http_query(req, "organisation");
	f.country = relais_http_query(req, "country");
	f.from = relais_http_query(req, "from");
	f.to = relais_http_query(req, "to");
	f.learner = relais_http_query(req, "learner");
	f.start = relais_http_query(req, "start");
	if (f.start != NULL && f.start[0] != '\0' && !relais_hub_learners_start_valid(f.start)) {
		return page(400, "text/plain", "start: not a learner of this report\n");
	}
	if (!is_day(f.from) || !is_day(f.to)) {
		return page(400, "text/plain", "from and to: give days as YYYY-MM-DD\n");
	}
	if (f.from != NULL && f.to != NULL && f.from[0] && f.to[0] && strcmp(f.from, f.to) > 0) {
		return page(400, "text/plain", "from and to: from is after to\n");
	}
	if (strncmp(url, "/reports/admin/", 15) == 0 &&
	    strcmp(relais_http_method(req), "POST") == 0 && f.scope == NULL) {
		secret[0] = '\0';
		if (admin_form(w->hub, w->ctx, url + 15, req, notice, sizeof(notice), secret,
		               sizeof(secret)) != 0) {
			relais_hub_tr_format(line, sizeof(line), lang, HUB_M_NOTICE_FAILED,
			                     relais_errmsg(w->ctx));
		} else {
			relais_hub_tr_format(line, sizeof(line), lang, HUB_M_NOTICE_DONE, notice);
		}
		rc = relais_hub_page_admin(&out, w->hub, w->ctx, lang, email, line,
		                           secret[0] ? secret : NULL);
		sodium_memzero(secret, sizeof(secret));
		goto page_out;
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (strcmp(url, paths[i].path) != 0) {
			continue;
		}
		if (paths[i].kind == RELAIS_HUB_PAGE_ADMIN) {
			if (f.scope != NULL) {
				return page(404, "text/plain", "not found\n");
			}
			rc = relais_hub_page_admin(&out, w->hub, w->ctx, lang, email, NULL, NULL);
			goto page_out;
		}
		if (paths[i].kind == RELAIS_HUB_PAGE_LEARNER &&
		    (rc = learner_visible(w, &f)) != 0) {
			return rc == RELAIS_ENOTFOUND ? page(404, "text/plain", "no such learner\n")
			                              : page_failed(req, w->ctx, rc);
		}
		rc = relais_hub_page_reports(&out, reports_of(w), w->ctx, lang, email,
		                             paths[i].kind, &f);
		goto page_out;
	}
	if (strncmp(url, "/reports/cohorts", 16) == 0 && (url[16] == '\0' || url[16] == '/')) {
		return cohorts_page(w, req, url + 16);
	}
	for (i = 0; relais_hub_reports[i]; i++) {
		n = strlen(relais_hub_reports[i]);
		if (strncmp(name, relais_hub_reports[i], n) == 0 &&
		    (strcmp(name + n, ".csv") == 0 || strcmp(name + n, ".json") == 0)) {
			break;
		}
	}
	if (relais_hub_reports[i] == NULL) {
		return page(404, "text/plain", "not found\n");
	}
	if (strncmp(relais_hub_reports[i], "learner-", 8) == 0 &&
	    (rc = learner_visible(w, &f)) != 0) {
		return rc == RELAIS_ENOTFOUND ? page(404, "text/plain", "no such learner\n")
		                              : page_failed(req, w->ctx, rc);
	}
	return download(s, w, req, relais_hub_reports[i], strcmp(name + n, ".csv") == 0, &f);
page_out:
	if (rc != 0) {
		return page_failed(req, w->ctx, rc);
	}
	resp = html_page(req, 200, lang, out);
	free(out);
	return resp;
}

static relais_http_response *reports(struct relais_hub_server *s, relais_http_request *req)
{
	const char *url = relais_http_path(req), *method = relais_http_method(req);
	const char *origin = relais_http_header(req, "Origin");
	const char *host = relais_http_header(req, "Host");
	char want[300], address[64];
	int https = over_https(s, req, address, sizeof(address));

	if (strcmp(url, "/reports/style.css") == 0) {
		const struct relais_embedded_file *f =
		        relais_embedded_find(relais_hub_pages, "style.css");
		return f ? page(200, f->type, (const char *)f->data)
		         : page(404, "text/plain", "not found\n");
	}
	if (strcmp(method, "POST") == 0 && origin != NULL) {
		/* A form posted from another site is refused: the origin must be
		 * exactly this one, scheme included. */
		if (host == NULL ||
		    snprintf(want, sizeof(want), "%s://%s", https ? "https" : "http", host) >=
		            (int)sizeof(want) ||
		    strcmp(origin, want) != 0) {
			return page(403, "text/plain", "refused: another site's form\n");
		}
	}
	if (strcmp(method, "POST") == 0 && relais_http_body_too_large(req)) {
		return page(413, "text/plain", "refused: the form is too large\n");
	}
	if (strcmp(url, "/reports/login") == 0) {
		return strcmp(method, "POST") == 0
		               ? relais_http_defer(req, s->pools[POOL_LOGIN], login_job, s)
		               /* On a network thread: no context (both threads would share
		                * one), the page's failure is answered as it is. */
		               : login_page(NULL, req, 200, 0, NULL, NULL);
	}
	if (strcmp(url, "/reports/logout") == 0 && strcmp(method, "POST") == 0) {
		return relais_http_defer(req, s->pools[POOL_LOGIN], logout_job, s);
	}
	return relais_http_defer(req, s->pools[POOL_REPORTS], reports_job, s);
}

/* ---- documents, Activities, Agents and the alternate request syntax (documents.c) ---- */

#define ALT_FIELDS 32                  /* fields of an alternate-syntax form */
#define ALT_ANONYMOUS_MAX (64u * 1024) /* a form whose credentials are inside it */

/* Whether req uses the alternate request syntax (Communication 1.3): a POST with ?method=. */
static int alternate(relais_http_request *req)
{
	return strcmp(relais_http_method(req), "POST") == 0 &&
	       relais_http_query(req, "method") != NULL;
}

/* Whether the block below answers req. */
static int documents_route(relais_http_request *req)
{
	const char *url = relais_http_path(req);

	return relais_hub_resource_of(url) != 0 ||
	       (strcmp(url, "/xapi/statements") == 0 && alternate(req)) ||
	       (strcmp(url, "/xapi/about") == 0 && strcmp(relais_http_method(req), "HEAD") == 0);
}

static int count_any(void *data, const char *name, const char *value)
{
	(void)data;
	(void)name;
	(void)value;
	return 0;
}

/* The largest body a document request may send (a form carries its content URL-encoded). */
static size_t documents_body_max(const struct relais_hub_server *s, relais_http_request *req)
{
	size_t doc = s->max_document > RELAIS_HUB_BODY_MAX ? s->max_document : RELAIS_HUB_BODY_MAX;

	return alternate(req) ? 3 * doc + FORM_MAX : s->max_document;
}

/* Checks a document request's credentials once its headers are in (on an xAPI worker). */
static relais_http_response *documents_credentials_job(void *data, void *local,
                                                       relais_http_request *req)
{
	struct relais_hub_server *s = data;
	relais_http_response *resp = credentials_job(data, local, req);

	if (resp == NULL) {
		relais_http_body_limit(req, documents_body_max(s, req));
	}
	return resp;
}

/* What the document routes decide before a body is read; *mine says whether they took req. */
static relais_http_response *documents_on_headers(struct relais_hub_server *s,
                                                  relais_http_request *req, int *mine)
{
	const char *method = relais_http_method(req);

	*mine = documents_route(req);
	if (!*mine || strcmp(relais_http_path(req), "/xapi/about") == 0) {
		return NULL;
	}
	if (alternate(req)) {
		if (relais_http_query_each(req, count_any, NULL) != 1) {
			return xapi_error(400,
			                  "the alternate request syntax takes only method= in the "
			                  "query; other parameters go in the form");
		}
		if (relais_http_header(req, "Authorization") == NULL) {
			relais_http_body_limit(req, ALT_ANONYMOUS_MAX);
			return NULL; /* the credentials are in the form */
		}
	} else {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
		    strcmp(method, "PUT") != 0 && strcmp(method, "POST") != 0 &&
		    strcmp(method, "DELETE") != 0) {
			return xapi_error(405, "method not allowed");
		}
		if (!version_ok(relais_http_header(req, "X-Experience-API-Version"))) {
			return xapi_error(400,
			                  "missing or unsupported X-Experience-API-Version header");
		}
	}
	return relais_http_defer(req, s->pools[POOL_XAPI], documents_credentials_job, s);
}

/* A document answer: its body as stored, its type, ETag and Last-Modified. */
static relais_http_response *document_out(struct relais_hub_doc_reply *r)
{
	relais_http_response *resp = relais_http_response_buffer(
	        r->status, r->status == 204 || r->type[0] == '\0' ? NULL : r->type,
	        r->body ? r->body : "", r->body ? r->len : 0, RELAIS_HTTP_COPY);

	if (resp != NULL &&
	    (relais_http_response_header(resp, "X-Experience-API-Version", XAPI_VERSION) != 0 ||
	     (r->etag[0] && relais_http_response_header(resp, "ETag", r->etag) != 0) ||
	     (r->modified[0] &&
	      relais_http_response_header(resp, "Last-Modified", r->modified) != 0))) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	relais_hub_doc_reply_clear(r);
	return resp;
}

/* Statements through the alternate request syntax: the form's parameters and content. */
static relais_http_response *alternate_statements(struct worker *w, relais_http_request *req,
                                                  const struct params *ps, const char *method,
                                                  const char *type, const char *body, size_t len,
                                                  const struct relais_hub_credential *who)
{
	struct relais_hub_reply r = {0};
	int rc;

	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		rc = relais_hub_get(&r, w->hub, w->ctx, ps->p, ps->n,
		                    relais_http_header(req, "Accept-Language"), who);
		return rc == 0 ? reply_out(req, &r) : local_error(rc, relais_errmsg(w->ctx));
	}
	if (strcmp(method, "PUT") != 0 && strcmp(method, "POST") != 0) {
		return xapi_error(405, "method not allowed");
	}
	if (ps->n > (strcmp(method, "PUT") == 0 ? 1u : 0u) ||
	    (ps->n == 1 && strcmp(ps->p[0].name, "statementId") != 0)) {
		return xapi_error(400, strcmp(method, "PUT") == 0
		                               ? "PUT takes only the statementId parameter"
		                               : "POST takes no parameter");
	}
	if (strncmp(type, "application/json", 16) != 0) {
		return xapi_error(400, "Content-Type must be application/json");
	}
	if (len > RELAIS_HUB_BODY_MAX) {
		return xapi_error(413, "the body is too large");
	}
	rc = strcmp(method, "POST") == 0
	             ? relais_hub_post(&r, w->hub, w->ctx, body, len, who)
	             : relais_hub_put(&r, w->hub, w->ctx, ps->n ? ps->p[0].value : NULL, body, len,
	                              who);
	if (rc != 0) {
		relais_hub_reply_clear(&r);
		return local_error(rc, relais_errmsg(w->ctx));
	}
	return reply_out(req, &r);
}

/*
 * A document, Activities or Agents request, or any request in the alternate
 * syntax, once its body is in (on an xAPI worker).
 */
static relais_http_response *documents_job(void *data, void *local, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	struct worker *w = local;
	const struct hub_request *hr = relais_http_user(req);
	const char *url = relais_http_path(req);
	const char *encoding = relais_http_header(req, "Content-Encoding");
	struct relais_hub_doc_request rq;
	struct relais_hub_doc_reply r = {0};
	struct relais_hub_credential who = {0};
	struct relais_http_field *fields = NULL;
	struct params ps = {0};
	relais_http_response *resp = NULL;
	char *inflated = NULL;
	size_t len, nf = 0, i;
	const char *body = relais_http_body(req, &len);
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.method = relais_http_method(req);
	rq.content_type = relais_http_header(req, "Content-Type");
	rq.if_match = relais_http_header(req, "If-Match");
	rq.if_none_match = relais_http_header(req, "If-None-Match");
	rq.xapi_version =
	        relais_xapi_version_of(relais_http_header(req, "X-Experience-API-Version"));
	if (alternate(req)) {
		const char *auth = NULL, *content = NULL;
		const char *version = relais_http_header(req, "X-Experience-API-Version");
		if (!relais_http_is_form(rq.content_type) ||
		    relais_http_form_parse(&fields, &nf, body, len, ALT_FIELDS, len + 1) != 0) {
			resp = xapi_error(400, "the alternate request syntax needs an "
			                       "application/x-www-form-urlencoded body");
			goto out;
		}
		rq.method = relais_http_query(req, "method");
		rq.content_type = NULL;
		for (i = 0; i < nf; i++) {
			const char *name = fields[i].name, *value = fields[i].value;
			if (strcasecmp(name, "Authorization") == 0) {
				auth = value;
			} else if (strcasecmp(name, "X-Experience-API-Version") == 0) {
				version = value;
			} else if (strcasecmp(name, "Content-Type") == 0) {
				rq.content_type = value;
			} else if (strcasecmp(name, "If-Match") == 0) {
				rq.if_match = value;
			} else if (strcasecmp(name, "If-None-Match") == 0) {
				rq.if_none_match = value;
			} else if (strcmp(name, "content") == 0) {
				content = value;
			} else if (strcasecmp(name, "Content-Length") != 0 &&
			           collect_param(&ps, name, value) != 0) {
				resp = xapi_error(400, "too many parameters");
				goto out;
			}
		}
		if (strcmp(rq.method, "GET") != 0 && strcmp(rq.method, "HEAD") != 0 &&
		    strcmp(rq.method, "PUT") != 0 && strcmp(rq.method, "POST") != 0 &&
		    strcmp(rq.method, "DELETE") != 0) {
			resp = xapi_error(400, "method= must be GET, HEAD, PUT, POST or DELETE");
			goto out;
		}
		if (relais_xapi_version_of(version) != RELAIS_XAPI_1_0) {
			/* xAPI 2.0 has no alternate request syntax. */
			resp = xapi_error(400, version_ok(version)
			                               ? "xAPI 2.0 has no alternate request syntax"
			                               : "missing or unsupported "
			                                 "X-Experience-API-Version");
			goto out;
		}
		if (hr != NULL) {
			who = hr->who;
		} else {
			char buf[AUTH_MAX];
			const char *key, *secret;
			int ok = basic_auth(buf, sizeof(buf), &key, &secret, auth) == 0 &&
			         relais_hub_credentials_check(&who, w->hub, w->ctx, key, secret) ==
			                 0;
			sodium_memzero(buf, sizeof(buf));
			if (!ok) {
				resp = auth_failed();
				goto out;
			}
		}
		if (content == NULL &&
		    (strcmp(rq.method, "PUT") == 0 || strcmp(rq.method, "POST") == 0)) {
			resp = xapi_error(400,
			                  "the alternate request syntax sends the content in the "
			                  "form field content");
			goto out;
		}
		body = content ? content : "";
		len = strlen(body);
		if (rq.content_type == NULL) {
			rq.content_type = "application/json";
		}
	} else {
		who = hr->who;
		(void)relais_http_query_each(req, collect_param, &ps);
		if (ps.overflow) {
			resp = xapi_error(400, "too many parameters");
			goto out;
		}
		if (encoding != NULL && len > 0) {
			if (strcmp(encoding, "gzip") != 0) {
				resp = xapi_error(415, "only gzip content encoding is accepted");
				goto out;
			}
			rc = relais_gunzip(&inflated, &len, body, len, s->max_document + 1);
			if (rc != 0) {
				resp = rc == -2
				               ? xapi_error(413,
				                            "the document is larger than the hub's "
				                            "--max-document")
				               : xapi_error(400, "the gzip body is damaged");
				goto out;
			}
			body = inflated;
		}
	}
	if (strcmp(url, "/xapi/statements") == 0) {
		resp = alternate_statements(w, req, &ps, rq.method,
		                            rq.content_type ? rq.content_type : "", body, len,
		                            &who);
		goto out;
	}
	rq.resource = relais_hub_resource_of(url);
	rq.params = ps.p;
	rq.n = ps.n;
	rq.body = body;
	rq.len = len;
	rq.max_document = s->max_document;
	rq.max_documents_total = s->max_documents_total;
	rc = relais_hub_document(&r, w->hub, w->ctx, &rq, &who);
	resp = rc == 0 ? document_out(&r) : local_error(rc, relais_errmsg(w->ctx));
out:
	relais_hub_doc_reply_clear(&r);
	relais_http_fields_free(fields, nf);
	free(inflated);
	return resp;
}

/* The document routes once the body is in. */
static relais_http_response *documents_on_request(struct relais_hub_server *s,
                                                  relais_http_request *req)
{
	if (strcmp(relais_http_path(req), "/xapi/about") == 0) {
		return respond(200, "application/json", ABOUT, 1, NULL, NULL);
	}
	if (relais_http_body_too_large(req)) {
		return xapi_error(413,
		                  alternate(req) && relais_http_user(req) == NULL
		                          ? "an alternate-syntax form without an Authorization "
		                            "header is limited to 64 KiB"
		                          : "the document is larger than the hub's --max-document");
	}
	return relais_http_defer(req, s->pools[POOL_XAPI], documents_job, s);
}

/* ---- end of the document routes ---- */

/*
 * Which methods are served, how large a body may be, and for statements
 * whether the credentials hold: all decided before any body is read.
 */
static relais_http_response *on_headers(void *data, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	const char *method = relais_http_method(req), *url = relais_http_path(req);
	const char *length = relais_http_header(req, "Content-Length");
	relais_http_response *resp;
	int mine;

	if ((resp = documents_on_headers(s, req, &mine)) != NULL || mine) {
		return resp; /* documents, Activities, Agents, the alternate syntax */
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
		if (strncmp(url, "/xapi/", 6) == 0) {
			return xapi_error(405, "method not allowed");
		}
		return page(405, "text/plain", "method not allowed\n");
	}
	if (length != NULL && strtoull(length, NULL, 10) > (strcmp(url, "/xapi/statements") == 0
	                                                            ? statements_body_max(s, req)
	                                                            : RELAIS_HUB_BODY_MAX)) {
		return xapi_error(413, "the body is too large");
	}
	if (strcmp(url, "/xapi/statements") == 0) {
		if ((resp = statements_preamble(req)) != NULL) {
			return resp;
		}
		return relais_http_defer(req, s->pools[POOL_XAPI], credentials_job, s);
	}
	if (strcmp(url, LAPTOP_KEY_PATH) == 0 && strcmp(method, "PUT") == 0) {
		return relais_http_defer(req, s->pools[POOL_XAPI], credentials_job, s);
	}
	if (published_kind(url) != 0) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			return xapi_error(405, "method not allowed");
		}
		return relais_http_defer(req, s->pools[POOL_XAPI], published_job, s);
	}
	/* Other resources take a sign-in form at most, a cohort's a pasted list of emails; any
	 * other body is dropped. */
	relais_http_body_limit(req, strncmp(url, "/reports/cohorts", 16) == 0 ? COHORT_FORM_MAX
	                                                                      : FORM_MAX);
	return NULL;
}

static relais_http_response *on_request(void *data, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	const char *method = relais_http_method(req), *url = relais_http_path(req);

	if (documents_route(req)) {
		return documents_on_request(s, req);
	}
	if (strcmp(url, "/xapi/statements") == 0) {
		if (relais_http_body_too_large(req)) {
			return xapi_error(413, "the body is too large");
		}
		return relais_http_defer(req, s->pools[POOL_XAPI], statements_job, s);
	}
	if (strcmp(url, LAPTOP_KEY_PATH) == 0 && strcmp(method, "PUT") == 0) {
		if (relais_http_body_too_large(req)) {
			return xapi_error(413, "a laptop key is one line of text");
		}
		return relais_http_defer(req, s->pools[POOL_XAPI], laptop_key_job, s);
	}
	if (strcmp(url, "/xapi/about") == 0 && strcmp(method, "GET") == 0) {
		return respond(200, "application/json", ABOUT, 1, NULL, NULL);
	}
	if (strncmp(url, "/reports", 8) == 0 && (url[8] == '\0' || url[8] == '/')) {
		return reports(s, req);
	}
	if (strcmp(url, "/verify") == 0 && strcmp(method, "GET") == 0) {
		return relais_http_defer(req, s->pools[POOL_LOGIN], verify_job, s);
	}
	if (strcmp(url, "/") == 0) {
		return redirect("/reports", NULL);
	}
	return xapi_error(404, "no such resource");
}

/* Stops the pools (their jobs finish first), then the network threads, and frees. */
static void server_free(struct relais_hub_server *s)
{
	size_t i;

	for (i = 0; i < N_POOLS; i++) {
		relais_http_pool_drain(s->pools[i]);
	}
	relais_http_stop(s->http);
	for (i = 0; i < N_POOLS; i++) {
		relais_http_pool_free(s->pools[i]);
	}
	for (i = 0; i < XAPI_WORKERS + 2; i++) {
		relais_hub_close(s->workers[i].reports);
		relais_hub_close(s->workers[i].hub);
		relais_ctx_free(s->workers[i].ctx);
	}
	free(s);
}

int relais_hub_server_start(relais_hub_server **out, relais_ctx *ctx, relais_hub *hub,
                            const struct relais_hub_server_options *opt)
{
	struct relais_hub_server *s;
	struct relais_http_options hopt;
	struct in_addr probe;
	void *locals[XAPI_WORKERS];
	size_t i;
	int rc;

	*out = NULL;
	if (opt->port > 65535 || inet_pton(AF_INET, opt->address, &probe) != 1) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "cannot listen on %s:%u: not an IPv4 address", opt->address,
		                   opt->port);
	}
	if (opt->trusted_proxy != NULL &&
	    (strlen(opt->trusted_proxy) >= 64 ||
	     (inet_pton(AF_INET, opt->trusted_proxy, &probe) != 1 &&
	      inet_pton(AF_INET6, opt->trusted_proxy, locals) != 1))) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "--trusted-proxy %s is not a numeric address",
		                   opt->trusted_proxy);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->ctx = ctx;
	s->max_document = opt->max_document ? opt->max_document : RELAIS_HUB_DOCUMENT_MAX;
	s->max_documents_total = opt->max_documents_total ? opt->max_documents_total
	                                                  : RELAIS_HUB_DOCUMENTS_PER_CREDENTIAL;
	s->max_attachment = opt->max_attachment ? opt->max_attachment : RELAIS_HUB_ATTACHMENT_MAX;
	s->max_per_credential = opt->max_attachments_per_credential
	                                ? opt->max_attachments_per_credential
	                                : RELAIS_HUB_ATTACHMENTS_PER_CREDENTIAL;
	if (opt->trusted_proxy != NULL) {
		(void)snprintf(s->trusted_proxy, sizeof(s->trusted_proxy), "%s",
		               opt->trusted_proxy);
	}
	for (i = 0; i < XAPI_WORKERS + 2; i++) {
		if ((rc = relais_ctx_new(&s->workers[i].ctx)) != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto fail;
		}
		if ((rc = relais_hub_open_another(&s->workers[i].hub, ctx, hub)) != 0) {
			goto fail;
		}
		if (i < XAPI_WORKERS) {
			locals[i] = &s->workers[i];
		}
	}
	if ((rc = relais_http_pool_new(&s->pools[POOL_XAPI], ctx, XAPI_WORKERS, locals)) != 0) {
		goto fail;
	}
	locals[0] = &s->workers[XAPI_WORKERS];
	if ((rc = relais_http_pool_new(&s->pools[POOL_LOGIN], ctx, 1, locals)) != 0) {
		goto fail;
	}
	locals[0] = &s->workers[XAPI_WORKERS + 1];
	if (opt->reports_db != NULL &&
	    (rc = relais_hub_open_reader(&s->workers[XAPI_WORKERS + 1].reports, ctx, hub,
	                                 opt->reports_db)) != 0) {
		goto fail;
	}
	if ((rc = relais_http_pool_new(&s->pools[POOL_REPORTS], ctx, 1, locals)) != 0) {
		goto fail;
	}
	memset(&hopt, 0, sizeof(hopt));
	hopt.address = opt->address;
	hopt.port = opt->port;
	hopt.threads = NETWORK_THREADS;
	hopt.connection_limit = opt->connection_limit ? opt->connection_limit : CONNECTIONS;
	hopt.per_ip_limit = opt->per_address_limit ? opt->per_address_limit : PER_ADDRESS;
	hopt.timeout_seconds = IDLE_SECONDS;
	hopt.header_timeout_seconds = opt->header_timeout;
	hopt.body_timeout_seconds = opt->body_timeout;
	hopt.body_min_rate = opt->body_min_rate;
	hopt.on_headers = on_headers;
	hopt.on_request = on_request;
	hopt.on_response = on_response;
	hopt.free_user = free_request;
	hopt.data = s;
	if ((rc = relais_http_start(&s->http, ctx, &hopt)) != 0) {
		goto fail;
	}
	*out = s;
	return 0;
fail:
	server_free(s);
	return rc;
}

unsigned relais_hub_server_port(const relais_hub_server *s)
{
	return relais_http_port(s->http);
}

void relais_hub_server_stop(relais_hub_server *s)
{
	if (s != NULL) {
		server_free(s);
	}
}
