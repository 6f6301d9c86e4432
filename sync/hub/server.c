/* server.c: the hub's HTTP side (through relais/http.h): xAPI resources and the reports pages. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "relais/gzip.h"
#include "relais/http.h"
#include "relais/xapi.h"
#include "hub_private.h"
#include "relais/error.h"

#define XAPI_VERSION "1.0.3"
#define SESSION_HEX 33
#define MAX_SESSIONS 64
#define SESSION_SECONDS (8 * 3600)
#define COOKIE "relais_hub_session"
#define MAX_PARAMS 32
#define CSP_PAGE "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
#define AUTH_MAX 1024 /* an Authorization header's value */

struct session {
	char token[SESSION_HEX];
	char email[201];
	time_t expires;
};

struct relais_hub_server {
	relais_ctx *ctx;
	relais_hub *hub;
	relais_http_server *http;
	struct session sessions[MAX_SESSIONS];
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

/* The Agent JSON naming credentials key (called name), or NULL: out of memory. */
static char *authority_of(const char *key, const char *name)
{
	cJSON *a = cJSON_CreateObject(), *account;
	char *out = NULL;

	if (a != NULL && cJSON_AddStringToObject(a, "objectType", "Agent") != NULL &&
	    cJSON_AddStringToObject(a, "name", name) != NULL &&
	    (account = cJSON_AddObjectToObject(a, "account")) != NULL &&
	    cJSON_AddStringToObject(account, "homePage", RELAIS_XAPI_HUB_HOMEPAGE) != NULL &&
	    cJSON_AddStringToObject(account, "name", key) != NULL) {
		out = cJSON_PrintUnformatted(a);
	}
	cJSON_Delete(a);
	return out;
}

/* HTTP Basic credentials; sets *authority to the Agent JSON naming them. */
static int authenticate(struct relais_hub_server *s, relais_http_request *req, char **authority)
{
	char buf[AUTH_MAX], *name = NULL;
	const char *key, *secret;
	int ok = 0;

	*authority = NULL;
	if (basic_auth(buf, sizeof(buf), &key, &secret, relais_http_header(req, "Authorization")) ==
	            0 &&
	    relais_hub_credentials_check(s->hub, s->ctx, key, secret, &name) == 0) {
		*authority = authority_of(key, name);
		ok = *authority != NULL;
	}
	free(name);
	sodium_memzero(buf, sizeof(buf));
	return ok;
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
	relais_hub_reply_clear(r);
	return resp;
}

/* What a statements request must show before its credentials are looked at. */
static relais_http_response *statements_preamble(relais_http_request *req)
{
	const char *method = relais_http_method(req);
	const char *version = relais_http_header(req, "X-Experience-API-Version");

	if (version == NULL || strncmp(version, "1.0", 3) != 0 ||
	    (version[3] != '\0' && version[3] != '.')) {
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

static relais_http_response *statements(struct relais_hub_server *s, relais_http_request *req)
{
	struct relais_hub_reply r = {0};
	const char *method = relais_http_method(req);
	const char *encoding = relais_http_header(req, "Content-Encoding");
	const char *type = relais_http_header(req, "Content-Type");
	char *authority = NULL, *inflated = NULL;
	relais_http_response *resp;
	size_t len;
	const char *body = relais_http_body(req, &len);
	int rc;

	if ((resp = statements_preamble(req)) != NULL) {
		return resp;
	}
	if (!authenticate(s, req, &authority)) {
		return auth_failed();
	}
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		struct params ps = {0};
		(void)relais_http_query_each(req, collect_param, &ps);
		free(authority);
		if (ps.overflow) {
			return xapi_error(400, "too many parameters");
		}
		rc = relais_hub_get(&r, s->hub, s->ctx, ps.p, ps.n);
		return rc == 0 ? reply_out(req, &r) : xapi_error(500, relais_errmsg(s->ctx));
	}
	if (encoding != NULL) {
		if (strcmp(encoding, "gzip") != 0) {
			free(authority);
			return xapi_error(415, "only gzip content encoding is accepted");
		}
		rc = relais_gunzip(&inflated, &len, body, len, RELAIS_HUB_INFLATED_MAX);
		if (rc != 0) {
			free(authority);
			return rc == -2 ? xapi_error(413, "the body inflates past the limit")
			                : xapi_error(400, "the gzip body is damaged");
		}
		body = inflated;
	}
	if (type == NULL || strncmp(type, "application/json", 16) != 0) {
		free(inflated);
		free(authority);
		return xapi_error(400, "Content-Type must be application/json");
	}
	if (strcmp(method, "POST") == 0) {
		rc = relais_hub_post(&r, s->hub, s->ctx, body, len, authority);
	} else {
		rc = relais_hub_put(&r, s->hub, s->ctx, relais_http_query(req, "statementId"), body,
		                    len, authority);
	}
	free(inflated);
	free(authority);
	if (rc != 0) {
		relais_hub_reply_clear(&r);
		return xapi_error(500, relais_errmsg(s->ctx));
	}
	return reply_out(req, &r);
}

/* ---- the coordinators' pages ---- */

static struct session *session_of(struct relais_hub_server *s, relais_http_request *req)
{
	const char *token = relais_http_cookie(req, COOKIE);
	time_t now = time(NULL);
	size_t i;

	if (token == NULL || strlen(token) != SESSION_HEX - 1) {
		return NULL;
	}
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (s->sessions[i].token[0] != '\0' && s->sessions[i].expires > now &&
		    sodium_memcmp(s->sessions[i].token, token, SESSION_HEX - 1) == 0) {
			return &s->sessions[i];
		}
	}
	return NULL;
}

static relais_http_response *page(unsigned status, const char *type, const char *body)
{
	return respond(status, type, body, 0, NULL, NULL);
}

static relais_http_response *login_page(struct relais_hub_server *s, unsigned status, int failed)
{
	char *html = NULL;
	relais_http_response *resp;

	if (relais_hub_page_login(&html, s->ctx, failed) != 0) {
		return page(500, "text/plain", "out of memory\n");
	}
	resp = page(status, "text/html; charset=utf-8", html);
	free(html);
	return resp;
}

static relais_http_response *reports_page(struct relais_hub_server *s, const struct session *who)
{
	char *html = NULL;
	relais_http_response *resp;

	if (relais_hub_page_reports(&html, s->hub, s->ctx, who->email) != 0) {
		return page(500, "text/plain", "out of memory\n");
	}
	resp = page(200, "text/html; charset=utf-8", html);
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

/* Checks a sign-in form; on success starts a session and answers with its cookie. */
static relais_http_response *login(struct relais_hub_server *s, relais_http_request *req)
{
	struct relais_http_field *fields = NULL;
	struct session *who;
	const char *email, *password;
	char cookie[160];
	unsigned char raw[16];
	size_t len, n = 0, i;
	const char *body = relais_http_body(req, &len);
	int ok;

	ok = relais_http_form_parse(&fields, &n, body, len, 8, 1024) == 0 &&
	     (email = field(fields, n, "email")) != NULL && strlen(email) <= 200 &&
	     (password = field(fields, n, "password")) != NULL &&
	     relais_hub_coordinator_check(s->hub, s->ctx, email, password) == 0;
	if (!ok) {
		relais_http_fields_free(fields, n);
		return login_page(s, 401, 1);
	}
	who = &s->sessions[0];
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (s->sessions[i].expires < who->expires) {
			who = &s->sessions[i];
		}
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(who->token, sizeof(who->token), raw, sizeof(raw));
	(void)snprintf(who->email, sizeof(who->email), "%s", email);
	who->expires = time(NULL) + SESSION_SECONDS;
	relais_http_fields_free(fields, n);
	(void)snprintf(cookie, sizeof(cookie),
	               COOKIE "=%s; Path=/reports; HttpOnly; SameSite=Strict", who->token);
	return redirect("/reports", cookie);
}

static relais_http_response *report_file(struct relais_hub_server *s, const char *name, int csv)
{
	char *out = NULL, disposition[128];
	relais_http_response *resp;

	if (relais_hub_report(&out, s->hub, s->ctx, name,
	                      csv ? RELAIS_REPORT_CSV : RELAIS_REPORT_JSON) != 0) {
		return page(500, "text/plain", relais_errmsg(s->ctx));
	}
	(void)snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.%s\"", name,
	               csv ? "csv" : "json");
	resp = respond(200, csv ? "text/csv; charset=utf-8" : "application/json", out, 0,
	               "Content-Disposition", disposition);
	free(out);
	return resp;
}

static relais_http_response *reports(struct relais_hub_server *s, relais_http_request *req)
{
	const char *url = relais_http_path(req), *method = relais_http_method(req);
	const char *origin = relais_http_header(req, "Origin");
	const char *host = relais_http_header(req, "Host");
	struct session *who;
	char want[300];
	size_t i;

	if (strcmp(url, "/reports/style.css") == 0) {
		const struct relais_embedded_file *f =
		        relais_embedded_find(relais_hub_pages, "style.css");
		return f ? page(200, f->type, (const char *)f->data)
		         : page(404, "text/plain", "not found\n");
	}
	if (strcmp(method, "POST") == 0 && origin != NULL && host != NULL) {
		/* A form posted from another site is refused. */
		(void)snprintf(want, sizeof(want), "://%s", host);
		if (strstr(origin, want) == NULL || strcmp(strstr(origin, want), want) != 0) {
			return page(403, "text/plain", "refused: another site's form\n");
		}
	}
	if (strcmp(url, "/reports/login") == 0) {
		return strcmp(method, "POST") == 0 ? login(s, req) : login_page(s, 200, 0);
	}
	if ((who = session_of(s, req)) == NULL) {
		return redirect("/reports/login", NULL);
	}
	if (strcmp(url, "/reports/logout") == 0 && strcmp(method, "POST") == 0) {
		memset(who, 0, sizeof(*who));
		return login_page(s, 200, 0);
	}
	if (strcmp(url, "/reports") == 0 || strcmp(url, "/reports/") == 0) {
		return reports_page(s, who);
	}
	for (i = 0; relais_hub_reports[i]; i++) {
		size_t n = strlen(relais_hub_reports[i]);
		const char *name = url + strlen("/reports/");
		if (strncmp(name, relais_hub_reports[i], n) == 0 &&
		    (strcmp(name + n, ".csv") == 0 || strcmp(name + n, ".json") == 0)) {
			return report_file(s, relais_hub_reports[i], strcmp(name + n, ".csv") == 0);
		}
	}
	return page(404, "text/plain", "not found\n");
}

/* Which methods are served, and how large a body may be: decided before any body arrives. */
static relais_http_response *on_headers(void *data, relais_http_request *req)
{
	const char *method = relais_http_method(req), *url = relais_http_path(req);
	const char *length = relais_http_header(req, "Content-Length");

	(void)data;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
		if (strncmp(url, "/xapi/", 6) == 0) {
			return xapi_error(405, "method not allowed");
		}
		return page(405, "text/plain", "method not allowed\n");
	}
	if (length != NULL && strtoull(length, NULL, 10) > RELAIS_HUB_BODY_MAX) {
		return xapi_error(413, "the body is too large");
	}
	relais_http_body_limit(req, RELAIS_HUB_BODY_MAX);
	return NULL;
}

static relais_http_response *on_request(void *data, relais_http_request *req)
{
	struct relais_hub_server *s = data;
	const char *method = relais_http_method(req), *url = relais_http_path(req);

	if (relais_http_body_too_large(req)) {
		return xapi_error(413, "the body is too large");
	}
	if (strcmp(url, "/xapi/about") == 0 && strcmp(method, "GET") == 0) {
		return respond(200, "application/json",
		               "{\"version\":[\"1.0.3\",\"1.0.2\",\"1.0.1\",\"1.0.0\"]}", 1, NULL,
		               NULL);
	}
	if (strcmp(url, "/xapi/statements") == 0) {
		return statements(s, req);
	}
	if (strncmp(url, "/reports", 8) == 0 && (url[8] == '\0' || url[8] == '/')) {
		return reports(s, req);
	}
	if (strcmp(url, "/") == 0) {
		return redirect("/reports", NULL);
	}
	return xapi_error(404, "no such resource");
}

int relais_hub_server_start(relais_hub_server **out, relais_ctx *ctx, relais_hub *hub,
                            const char *address, unsigned port)
{
	struct relais_hub_server *s;
	struct relais_http_options hopt;
	struct in_addr probe;

	*out = NULL;
	if (port > 65535 || inet_pton(AF_INET, address, &probe) != 1) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "cannot listen on %s:%u: not an IPv4 address", address, port);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->ctx = ctx;
	s->hub = hub;
	memset(&hopt, 0, sizeof(hopt));
	hopt.address = address;
	hopt.port = port;
	hopt.threads = 1;
	hopt.connection_limit = 256;
	hopt.timeout_seconds = 120;
	hopt.on_headers = on_headers;
	hopt.on_request = on_request;
	hopt.data = s;
	if (relais_http_start(&s->http, ctx, &hopt) != 0) {
		free(s);
		return relais_errcode(ctx);
	}
	*out = s;
	return 0;
}

unsigned relais_hub_server_port(const relais_hub_server *s)
{
	return relais_http_port(s->http);
}

void relais_hub_server_stop(relais_hub_server *s)
{
	if (s != NULL) {
		relais_http_stop(s->http);
		sodium_memzero(s->sessions, sizeof(s->sessions));
		free(s);
	}
}
