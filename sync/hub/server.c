/* server.c: the hub's HTTP side (libmicrohttpd): xAPI resources and the reports pages. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <sodium.h>

#include "relais/gzip.h"
#include "relais/xapi.h"
#include "hub_private.h"
#include "relais/error.h"

#define XAPI_VERSION "1.0.3"
#define SESSION_HEX 33
#define MAX_SESSIONS 64
#define SESSION_SECONDS (8 * 3600)
#define COOKIE "relais_hub_session"
#define MAX_PARAMS 32

struct session {
	char token[SESSION_HEX];
	char email[201];
	time_t expires;
};

struct relais_hub_server {
	relais_ctx *ctx;
	relais_hub *hub;
	struct MHD_Daemon *daemon;
	unsigned port;
	struct session sessions[MAX_SESSIONS];
};

struct pending {
	char *body;
	size_t len;
	int too_large;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
                               const char *body, int xapi, const char *extra_name,
                               const char *extra_value)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = body ? strlen(body) : 0;

	resp = MHD_create_response_from_buffer(len, (void *)(body ? body : ""),
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL) {
		return MHD_NO;
	}
	if (type != NULL) {
		MHD_add_response_header(resp, "Content-Type", type);
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (xapi) {
		MHD_add_response_header(resp, "X-Experience-API-Version", XAPI_VERSION);
	} else {
		MHD_add_response_header(resp, "Content-Security-Policy",
		                        "default-src 'none'; style-src 'self'; form-action 'self'; "
		                        "frame-ancestors 'none'");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
	if (extra_name != NULL) {
		MHD_add_response_header(resp, extra_name, extra_value);
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result xapi_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *body;
	enum MHD_Result ret;

	cJSON_AddStringToObject(o, "error", msg);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	ret = respond(conn, status, "application/json", body ? body : "{}", 1, NULL, NULL);
	free(body);
	return ret;
}

/* Refuses any query parameter but the allowed one (NULL: none at all). */
static enum MHD_Result count_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	const char **allowed = cls;

	if (allowed[0] == NULL || strcmp(key, allowed[0]) != 0) {
		allowed[1] = key; /* the first one refused */
		return MHD_NO;
	}
	return MHD_YES;
}

/* HTTP Basic credentials; fills *who with the credential they name. */
static int authenticate(struct relais_hub_server *s, struct MHD_Connection *conn,
                        struct relais_hub_credential *who)
{
	char *user = NULL, *pass = NULL;
	int ok = 0;

	memset(who, 0, sizeof(*who));
	user = MHD_basic_auth_get_username_password(conn, &pass);
	if (user != NULL && pass != NULL &&
	    relais_hub_credentials_check(who, s->hub, s->ctx, user, pass) == 0) {
		ok = 1;
	}
	if (pass != NULL) {
		sodium_memzero(pass, strlen(pass));
	}
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

struct params {
	struct relais_hub_param p[MAX_PARAMS];
	size_t n;
	int overflow;
};

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct params *ps = cls;

	if (ps->n >= MAX_PARAMS) {
		ps->overflow = 1;
		return MHD_NO;
	}
	ps->p[ps->n].name = key;
	ps->p[ps->n].value = value ? value : "";
	ps->n++;
	return MHD_YES;
}

/*
 * Sends a JSON answer gzip-compressed when the client accepts it and it is
 * worth it: on a 64 kbit/s link the ids of a batch cost as much as the
 * statements. Returns MHD_NO when it did not send (the caller then sends it
 * plain).
 */
static int send_gzip(struct MHD_Connection *conn, unsigned status, const char *body,
                     const char *extra_name, const char *extra_value, enum MHD_Result *ret)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	size_t len = body ? strlen(body) : 0;
	struct MHD_Response *resp;
	unsigned char *out;
	size_t out_len;

	if (accept == NULL || strstr(accept, "gzip") == NULL || len < 256) {
		return 0;
	}
	/* Level 6: the hub answers many clients; the ids compress little more. */
	if (relais_gzip(&out, &out_len, body, len, 6) != 0) {
		return 0;
	}
	resp = MHD_create_response_from_buffer(out_len, out, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(out);
		return 0;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Content-Encoding", "gzip");
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Experience-API-Version", XAPI_VERSION);
	if (extra_name != NULL) {
		MHD_add_response_header(resp, extra_name, extra_value);
	}
	*ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return 1;
}

static enum MHD_Result reply_out(struct MHD_Connection *conn, struct relais_hub_reply *r)
{
	enum MHD_Result ret;

	if (r->status == 204) {
		ret = respond(conn, 204, NULL, NULL, 1, NULL, NULL);
	} else if (send_gzip(conn, r->status, r->body,
	                     r->consistent[0] ? "X-Experience-API-Consistent-Through" : NULL,
	                     r->consistent, &ret)) {
		/* sent compressed */
	} else if (r->consistent[0] != '\0') {
		ret = respond(conn, r->status, "application/json", r->body, 1,
		              "X-Experience-API-Consistent-Through", r->consistent);
	} else {
		ret = respond(conn, r->status, "application/json", r->body, 1, NULL, NULL);
	}
	relais_hub_reply_clear(r);
	return ret;
}

static enum MHD_Result statements(struct relais_hub_server *s, struct MHD_Connection *conn,
                                  const char *method, struct pending *p)
{
	struct relais_hub_reply r = {0};
	const char *version =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Experience-API-Version");
	const char *encoding =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	struct relais_hub_credential who;
	char *inflated = NULL;
	const char *body = p->body ? p->body : "";
	size_t len = p->len;
	enum MHD_Result ret;
	int rc;

	if (version == NULL || strncmp(version, "1.0", 3) != 0 ||
	    (version[3] != '\0' && version[3] != '.')) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
			/* Statement queries carry this header whatever the answer. */
			char now[32];
			relais_now_iso(now);
			return respond(
			        conn, 400, "application/json",
			        "{\"error\":\"missing or unsupported X-Experience-API-Version "
			        "header\"}",
			        1, "X-Experience-API-Consistent-Through", now);
		}
		return xapi_error(conn, 400,
		                  "missing or unsupported X-Experience-API-Version header");
	}
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		/* POST takes no parameter, PUT exactly statementId (the alternate
		 * request syntax is not supported). */
		const char *allowed[2] = {strcmp(method, "PUT") == 0 ? "statementId" : NULL, NULL};
		char msg[160];
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, count_param, allowed);
		if (allowed[1] != NULL) {
			(void)snprintf(msg, sizeof(msg), "unexpected parameter %.100s", allowed[1]);
			return xapi_error(conn, 400, msg);
		}
	}
	if (!authenticate(s, conn, &who)) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
		        28, (void *)"{\"error\":\"bad credentials\"}\n", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "X-Experience-API-Version", XAPI_VERSION);
		MHD_add_response_header(resp, "Content-Type", "application/json");
		ret = MHD_queue_basic_auth_fail_response(conn, "relais hub", resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		struct params ps = {0};
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
		if (ps.overflow) {
			return xapi_error(conn, 400, "too many parameters");
		}
		rc = relais_hub_get(&r, s->hub, s->ctx, ps.p, ps.n, &who);
		return rc == 0 ? reply_out(conn, &r) : xapi_error(conn, 500, relais_errmsg(s->ctx));
	}
	if (encoding != NULL) {
		if (strcmp(encoding, "gzip") != 0) {
			return xapi_error(conn, 415, "only gzip content encoding is accepted");
		}
		rc = relais_gunzip(&inflated, &len, body, len, RELAIS_HUB_INFLATED_MAX);
		if (rc != 0) {
			return rc == -2 ? xapi_error(conn, 413, "the body inflates past the limit")
			                : xapi_error(conn, 400, "the gzip body is damaged");
		}
		body = inflated;
	}
	if (type == NULL || strncmp(type, "application/json", 16) != 0) {
		free(inflated);
		return xapi_error(conn, 400, "Content-Type must be application/json");
	}
	if (strcmp(method, "POST") == 0) {
		rc = relais_hub_post(&r, s->hub, s->ctx, body, len, &who);
	} else {
		rc = relais_hub_put(
		        &r, s->hub, s->ctx,
		        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "statementId"),
		        body, len, &who);
	}
	free(inflated);
	if (rc != 0) {
		relais_hub_reply_clear(&r);
		return xapi_error(conn, 500, relais_errmsg(s->ctx));
	}
	return reply_out(conn, &r);
}

/*
 * PUT /relais/laptop-key: a laptop registers the public key that signs its
 * export files against its credential (docs/sync.md, "Laptop key"); 204.
 */
static enum MHD_Result laptop_key(struct relais_hub_server *s, struct MHD_Connection *conn,
                                  struct pending *p)
{
	struct relais_hub_credential who;
	int rc;

	if (!authenticate(s, conn, &who)) {
		return xapi_error(conn, 401, "bad credentials");
	}
	rc = relais_hub_laptop_key_add(s->hub, s->ctx, who.key, p->body ? p->body : "", p->len);
	if (rc == 0) {
		return respond(conn, 204, NULL, NULL, 1, NULL, NULL);
	}
	return xapi_error(conn,
	                  rc == RELAIS_EFORMAT     ? 400
	                  : rc == RELAIS_EEXIST    ? 409
	                  : rc == RELAIS_ENOTFOUND ? 401
	                                           : 500,
	                  relais_errmsg(s->ctx));
}

/* ---- the coordinators' pages ---- */

static struct session *session_of(struct relais_hub_server *s, struct MHD_Connection *conn)
{
	const char *token = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE);
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

/* Reads one field of an urlencoded form body into out. */
static int form_field(const char *body, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), o = 0;
	const char *p = body;

	while (p != NULL && *p) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			while (*p && *p != '&' && o + 1 < size) {
				if (*p == '+') {
					out[o++] = ' ';
					p++;
				} else if (*p == '%' && isxdigit((unsigned char)p[1]) &&
				           isxdigit((unsigned char)p[2])) {
					char h[3] = {p[1], p[2], 0};
					out[o++] = (char)strtol(h, NULL, 16);
					p += 3;
				} else {
					out[o++] = *p++;
				}
			}
			out[o] = '\0';
			return strlen(out) == o ? 0 : -1; /* no NUL inside */
		}
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

static enum MHD_Result login_page(struct relais_hub_server *s, struct MHD_Connection *conn,
                                  unsigned status, int failed)
{
	char *page = NULL;
	enum MHD_Result ret;

	if (relais_hub_page_login(&page, s->ctx, failed) != 0) {
		return respond(conn, 500, "text/plain", "out of memory\n", 0, NULL, NULL);
	}
	ret = respond(conn, status, "text/html; charset=utf-8", page, 0, NULL, NULL);
	free(page);
	return ret;
}

static enum MHD_Result reports_page(struct relais_hub_server *s, struct MHD_Connection *conn,
                                    const struct session *who)
{
	char *page = NULL;
	enum MHD_Result ret;

	if (relais_hub_page_reports(&page, s->hub, s->ctx, who->email) != 0) {
		return respond(conn, 500, "text/plain", "out of memory\n", 0, NULL, NULL);
	}
	ret = respond(conn, 200, "text/html; charset=utf-8", page, 0, NULL, NULL);
	free(page);
	return ret;
}

static enum MHD_Result reports(struct relais_hub_server *s, struct MHD_Connection *conn,
                               const char *url, const char *method, struct pending *p)
{
	struct session *who = session_of(s, conn);
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	char email[201], password[1025], cookie[160], want[300];
	enum MHD_Result ret;
	size_t i;

	if (strcmp(url, "/reports/style.css") == 0) {
		const struct relais_embedded_file *f =
		        relais_embedded_find(relais_hub_pages, "style.css");
		if (f == NULL) {
			return respond(conn, 404, "text/plain", "not found\n", 0, NULL, NULL);
		}
		return respond(conn, 200, f->type, (const char *)f->data, 0, NULL, NULL);
	}
	if (strcmp(method, "POST") == 0 && origin != NULL && host != NULL) {
		/* A form posted from another site is refused. */
		(void)snprintf(want, sizeof(want), "://%s", host);
		if (strstr(origin, want) == NULL || strcmp(strstr(origin, want), want) != 0) {
			return respond(conn, 403, "text/plain", "refused: another site's form\n", 0,
			               NULL, NULL);
		}
	}
	if (strcmp(url, "/reports/login") == 0) {
		if (strcmp(method, "POST") != 0) {
			return login_page(s, conn, 200, 0);
		}
		if (p->body == NULL || form_field(p->body, "email", email, sizeof(email)) != 0 ||
		    form_field(p->body, "password", password, sizeof(password)) != 0 ||
		    relais_hub_coordinator_check(s->hub, s->ctx, email, password) != 0) {
			sodium_memzero(password, sizeof(password));
			return login_page(s, conn, 401, 1);
		}
		sodium_memzero(password, sizeof(password));
		who = &s->sessions[0];
		for (i = 0; i < MAX_SESSIONS; i++) {
			if (s->sessions[i].expires < who->expires) {
				who = &s->sessions[i];
			}
		}
		{
			unsigned char raw[16];
			randombytes_buf(raw, sizeof(raw));
			sodium_bin2hex(who->token, sizeof(who->token), raw, sizeof(raw));
		}
		(void)snprintf(who->email, sizeof(who->email), "%s", email);
		who->expires = time(NULL) + SESSION_SECONDS;
		(void)snprintf(cookie, sizeof(cookie),
		               COOKIE "=%s; Path=/reports; HttpOnly; SameSite=Strict", who->token);
		{
			struct MHD_Response *resp = MHD_create_response_from_buffer(
			        0, (void *)"", MHD_RESPMEM_PERSISTENT);
			MHD_add_response_header(resp, "Set-Cookie", cookie);
			MHD_add_response_header(resp, "Location", "/reports");
			ret = MHD_queue_response(conn, 303, resp);
			MHD_destroy_response(resp);
		}
		return ret;
	}
	if (who == NULL) {
		struct MHD_Response *resp =
		        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Location", "/reports/login");
		ret = MHD_queue_response(conn, 303, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(url, "/reports/logout") == 0 && strcmp(method, "POST") == 0) {
		memset(who, 0, sizeof(*who));
		return login_page(s, conn, 200, 0);
	}
	if (strcmp(url, "/reports") == 0 || strcmp(url, "/reports/") == 0) {
		return reports_page(s, conn, who);
	}
	for (i = 0; relais_hub_reports[i]; i++) {
		size_t n = strlen(relais_hub_reports[i]);
		const char *name = url + strlen("/reports/");
		if (strncmp(name, relais_hub_reports[i], n) == 0 &&
		    (strcmp(name + n, ".csv") == 0 || strcmp(name + n, ".json") == 0)) {
			int csv = strcmp(name + n, ".csv") == 0;
			char *out = NULL, disposition[128];
			if (relais_hub_report(&out, s->hub, s->ctx, relais_hub_reports[i],
			                      csv ? RELAIS_REPORT_CSV : RELAIS_REPORT_JSON) != 0) {
				return respond(conn, 500, "text/plain", relais_errmsg(s->ctx), 0,
				               NULL, NULL);
			}
			(void)snprintf(disposition, sizeof(disposition),
			               "attachment; filename=\"%s.%s\"", relais_hub_reports[i],
			               csv ? "csv" : "json");
			ret = respond(conn, 200,
			              csv ? "text/csv; charset=utf-8" : "application/json", out, 0,
			              "Content-Disposition", disposition);
			free(out);
			return ret;
		}
	}
	return respond(conn, 404, "text/plain", "not found\n", 0, NULL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct relais_hub_server *s = cls;
	struct pending *p = *con_cls;

	if (p == NULL) {
		const char *length =
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
		    strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
			if (strncmp(url, "/xapi/", 6) == 0) {
				return xapi_error(conn, 405, "method not allowed");
			}
			return respond(conn, 405, "text/plain", "method not allowed\n", 0, NULL,
			               NULL);
		}
		if (length != NULL && strtoull(length, NULL, 10) > RELAIS_HUB_BODY_MAX) {
			return xapi_error(conn, 413, "the body is too large");
		}
		p = calloc(1, sizeof(*p));
		if (p == NULL) {
			return MHD_NO;
		}
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (p->len + *upload_size > RELAIS_HUB_BODY_MAX) {
			p->too_large = 1;
		} else if (!p->too_large) {
			char *grown = realloc(p->body, p->len + *upload_size + 1);
			if (grown == NULL) {
				return MHD_NO;
			}
			p->body = grown;
			memcpy(p->body + p->len, upload, *upload_size);
			p->len += *upload_size;
			p->body[p->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (p->too_large) {
		return xapi_error(conn, 413, "the body is too large");
	}
	if (strcmp(url, "/xapi/about") == 0 && strcmp(method, "GET") == 0) {
		return respond(conn, 200, "application/json",
		               "{\"version\":[\"1.0.3\",\"1.0.2\",\"1.0.1\",\"1.0.0\"]}", 1, NULL,
		               NULL);
	}
	if (strcmp(url, "/xapi/statements") == 0) {
		if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0 ||
		    strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
			return statements(s, conn, method, p);
		}
	}
	if (strcmp(url, "/relais/laptop-key") == 0 && strcmp(method, "PUT") == 0) {
		return laptop_key(s, conn, p);
	}
	if (strncmp(url, "/reports", 8) == 0 && (url[8] == '\0' || url[8] == '/')) {
		return reports(s, conn, url, method, p);
	}
	if (strcmp(url, "/") == 0) {
		struct MHD_Response *resp =
		        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;
		MHD_add_response_header(resp, "Location", "/reports");
		ret = MHD_queue_response(conn, 303, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	return xapi_error(conn, 404, "no such resource");
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	struct pending *p = *con_cls;

	if (p != NULL) {
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	int one = 1;

	if (code == MHD_CONNECTION_NOTIFY_STARTED &&
	    (info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL) {
		(void)setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

int relais_hub_server_start(relais_hub_server **out, relais_ctx *ctx, relais_hub *hub,
                            const char *address, unsigned port)
{
	struct relais_hub_server *s;
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (port > 65535 || inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "cannot listen on %s:%u: not an IPv4 address", address, port);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->ctx = ctx;
	s->hub = hub;
	s->daemon = MHD_start_daemon(
	        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
	        on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	        MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_NOTIFY_CONNECTION,
	        on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
	if (s->daemon == NULL) {
		free(s);
		return relais_fail(ctx, RELAIS_EIO, "cannot listen on %s:%u (in use?)", address,
		                   port);
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	*out = s;
	return 0;
}

unsigned relais_hub_server_port(const relais_hub_server *s)
{
	return s->port;
}

void relais_hub_server_stop(relais_hub_server *s)
{
	if (s != NULL) {
		MHD_stop_daemon(s->daemon);
		sodium_memzero(s->sessions, sizeof(s->sessions));
		free(s);
	}
}
