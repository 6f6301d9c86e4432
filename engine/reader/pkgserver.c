/* pkgserver.c: the package origin: a SCORM launch's player, its package's files, its commits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include <sodium.h>

#include "reader_private.h"
#include "relais/cmi5.h"
#include "relais/error.h"
#include "relais/progress.h"
#include "relais/scorm.h"
#include "relais/zip.h"
#include "ui.h"

#define PKG_THREADS 2
#define PREFIX_LEN (3 + SECRET_HEX - 1 + 1) /* "/l/" SECRET "/" */

/*
 * Package content runs its own scripts (often inline, sometimes eval) and
 * talks only to its own origin; it may be framed by the player and the
 * reader's package page, nothing else.
 */
#define CSP_PACKAGE_FMT                                                                            \
	"default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; connect-src 'self'; "       \
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self' %s %s"
#define CSP_PLAYER_FMT                                                                             \
	"default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; "   \
	"frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors %s %s"

static int pkg_host_ok(const struct relais_reader *r, const char *host)
{
	return host != NULL &&
	       (strcmp(host, r->pkg_host_ip) == 0 || strcmp(host, r->pkg_host_name) == 0);
}

/* The launch's player (player 1) or package content (0): framed only by the reader. */
static void csp(char *out, size_t size, const struct relais_reader *r, int player)
{
	if (player) {
		(void)snprintf(out, size, CSP_PLAYER_FMT, r->origin_ip, r->origin_name);
	} else {
		(void)snprintf(out, size, CSP_PACKAGE_FMT, r->origin_ip, r->origin_name);
	}
}

static relais_http_response *json_answer(unsigned status, char *json)
{
	relais_http_response *resp;

	if (json == NULL) {
		return relais_reader_refuse(500, "out of memory\n");
	}
	resp = relais_reader_respond(status, "application/json", json, strlen(json),
	                             RELAIS_HTTP_OWNED, "default-src 'none'", NULL, NULL);
	if (resp == NULL) {
		return NULL;
	}
	if (relais_http_response_header(resp, "Cache-Control", "no-store") != 0) {
		relais_http_response_free(resp);
		return NULL;
	}
	return resp;
}

static const char *web_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	        {".html", "text/html; charset=utf-8"},
	        {".htm", "text/html; charset=utf-8"},
	        {".js", "text/javascript"},
	        {".css", "text/css"},
	        {".json", "application/json"},
	        {".xml", "application/xml"},
	        {".woff", "font/woff"},
	        {".woff2", "font/woff2"},
	        {".ttf", "font/ttf"},
	        {".vtt", "text/vtt"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(dot, types[i].ext) == 0) {
			return types[i].type;
		}
	}
	return relais_reader_media_type(path);
}

/* The launch's SCO and what the player needs to start it, restoring the saved data model. */
static relais_http_response *state(struct relais_reader *r, const struct launch *l,
                                   const struct relais_unit *u)
{
	const struct relais_package_item *it = &u->package->orgs[0].items[l->item];
	char *saved = NULL, *json = NULL, profile[32];
	cJSON *o = cJSON_CreateObject(), *cmi = NULL;
	char *launch = NULL;
	size_t n;
	int done;

	if (relais_progress_package_saved(&saved, &done, r->home, r->ctx, l->profile_id,
	                                  l->course_id, l->unit_id, it->id) != 0) {
		cJSON_Delete(o);
		return relais_reader_refuse(500, "the saved data cannot be read\n");
	}
	if (saved != NULL && (cmi = cJSON_Parse(saved)) == NULL) {
		cmi = cJSON_CreateNull();
	}
	/* The launch file, relative to the launch's folder on this origin. */
	n = strlen(u->path) + 1;
	if (strlen(it->launch) > n) {
		size_t size = strlen(it->launch) + strlen(it->parameters) + 3;
		if ((launch = malloc(size)) != NULL) {
			(void)snprintf(launch, size, "c/%s%s", it->launch + n, it->parameters);
		}
	}
	(void)snprintf(profile, sizeof(profile), "%lld", (long long)l->profile_id);
	if (o != NULL && launch != NULL) {
		cJSON_AddStringToObject(o, "standard",
		                        relais_package_standard_name(u->package->standard));
		cJSON_AddStringToObject(o, "launch", launch);
		cJSON_AddStringToObject(o, "learner_id", profile);
		cJSON_AddStringToObject(o, "learner_name", "");
		cJSON_AddStringToObject(o, "launch_data", it->data_from_lms);
		if (it->has_mastery) {
			cJSON_AddNumberToObject(o, "mastery_score", it->mastery_score);
		}
		if (it->has_completion_threshold) {
			cJSON_AddNumberToObject(o, "completion_threshold",
			                        it->completion_threshold);
		}
		cJSON_AddItemToObject(o, "saved", cmi ? cmi : cJSON_CreateNull());
		cmi = NULL;
		json = cJSON_PrintUnformatted(o);
	}
	cJSON_Delete(cmi);
	cJSON_Delete(o);
	free(launch);
	free(saved);
	return json_answer(200, json);
}

static int origin_ok(const struct relais_reader *r, const char *origin)
{
	return origin == NULL || strcmp(origin, r->pkg_origin_ip) == 0 ||
	       strcmp(origin, r->pkg_origin_name) == 0;
}

/* A Commit / LMSCommit (Terminate / LMSFinish with ?terminate=true): saved, or refused whole. */
static relais_http_response *commit(struct relais_reader *r, const struct launch *l,
                                    const struct relais_unit *u, relais_http_request *hreq)
{
	const struct relais_package_org *org = &u->package->orgs[0];
	const char *term = relais_http_query(hreq, "terminate");
	struct relais_scorm_commit c;
	const char *body;
	size_t len, i, n_scos = 0;
	int rc;

	if (!origin_ok(r, relais_http_header(hreq, "Origin"))) {
		return relais_reader_refuse(403, "refused: the request comes from another site\n");
	}
	if (relais_http_body_too_large(hreq)) {
		return relais_reader_refuse(413, "refused: the commit is too large\n");
	}
	body = relais_http_body(hreq, &len);
	rc = relais_scorm_commit_parse(&c, r->ctx, u->package->standard, body ? body : "", len);
	if (rc != 0) {
		char why[300];
		(void)snprintf(why, sizeof(why), "refused: %s\n", relais_errmsg(r->ctx));
		return relais_reader_refuse(rc == RELAIS_ELIMIT   ? 413
		                            : rc == RELAIS_ENOMEM ? 500
		                                                  : 400,
		                            why);
	}
	for (i = 0; i < org->n_items; i++) {
		n_scos += org->items[i].launch != NULL && org->items[i].sco;
	}
	rc = relais_progress_package_commit(
	        r->home, r->ctx, l->profile_id, l->course_id, l->unit_id, org->items[l->item].id,
	        n_scos ? n_scos : 1, &c, term != NULL && strcmp(term, "true") == 0, NULL, NULL);
	relais_scorm_commit_clear(&c);
	if (rc != 0) {
		return relais_reader_refuse(500, "the commit could not be saved\n");
	}
	return json_answer(200, strdup("{\"result\":true,\"errorCode\":0}"));
}

/* A file of the launch's package, checked against the signed manifest first. */
static relais_http_response *content(struct relais_reader *r, const struct launch *l,
                                     const struct relais_unit *u, const char *rel,
                                     relais_http_request *hreq)
{
	struct request req;
	char path[4096], policy[512];
	const char *why;
	relais_bundle *b = relais_reader_course(r, l->course_id);
	int n = snprintf(path, sizeof(path), "%s/%s", u->path, rel);

	if (b == NULL || n < 0 || (size_t)n >= sizeof(path) ||
	    relais_zip_path_ok(path, &why) != 0 ||
	    relais_manifest_entry(relais_bundle_manifest(b), path) == NULL) {
		return relais_reader_refuse(404, "not found\n");
	}
	memset(&req, 0, sizeof(req));
	if (relais_reader_entry_span(r, l->course_id, path, &req.entry, &req.entry_bundle) != 0) {
		return relais_reader_refuse(500, "the course's file cannot be read\n");
	}
	req.status = 200;
	req.entry_path = relais_bundle_manifest(req.entry_bundle)->entries[req.entry.index].path;
	req.content_type = web_type(path);
	csp(policy, sizeof(policy), r, 0);
	return relais_reader_send_entry(r, &req, hreq, policy);
}

/* ---- cmi5: the fetch URL, the AU's xAPI endpoint, the return page ---- */

/* An endpoint answer, with the xAPI version header. */
static relais_http_response *xapi_answer(struct relais_cmi5_reply *cr)
{
	relais_http_response *resp;
	char *body = cr->body;
	size_t len = cr->len;

	cr->body = NULL;
	resp = relais_reader_respond(cr->status, body ? cr->type : "application/json",
	                             body ? body : "", body ? len : 0,
	                             body ? RELAIS_HTTP_OWNED : RELAIS_HTTP_PERSISTENT,
	                             "default-src 'none'", NULL, NULL);
	if (resp == NULL) {
		return NULL; /* an owned body is freed with it */
	}
	if (relais_http_response_header(resp, "Cache-Control", "no-store") != 0 ||
	    relais_http_response_header(resp, "X-Experience-API-Version", "1.0.3") != 0 ||
	    (cr->etag[0] && relais_http_response_header(resp, "ETag", cr->etag) != 0)) {
		relais_http_response_free(resp);
		return NULL;
	}
	return resp;
}

/* POST fetch: the launch's token, once (cmi5 8.2); then the error JSON, code 1. */
static relais_http_response *cmi5_fetch(struct launch *l)
{
	cJSON *o = cJSON_CreateObject();
	char *json;

	if (o == NULL) {
		return relais_reader_refuse(500, "out of memory\n");
	}
	if (l->fetched) {
		cJSON_AddStringToObject(o, "error-code", "1");
		cJSON_AddStringToObject(o, "error-text",
		                        "the authorization token of this launch was already "
		                        "handed out: launch the AU again from the reader");
	} else {
		cJSON_AddStringToObject(o, "auth-token", l->token);
		l->fetched = 1;
	}
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return json_answer(200, json);
}

/* Whether the request carries the launch's token (Authorization: Basic <token>). */
static int token_ok(const struct launch *l, relais_http_request *hreq)
{
	const char *a = relais_http_header(hreq, "Authorization");

	return l->fetched && a != NULL && strncmp(a, "Basic ", 6) == 0 &&
	       strlen(a + 6) == SECRET_HEX - 1 &&
	       sodium_memcmp(a + 6, l->token, SECRET_HEX - 1) == 0;
}

/* xapi/<resource>: the statements and documents of the launch's AU session. */
static relais_http_response *cmi5_xapi(struct relais_reader *r, struct launch *l,
                                       const struct relais_unit *u, const char *resource,
                                       relais_http_request *hreq)
{
	const char *method = relais_http_method(hreq), *body;
	struct relais_cmi5_au au = {l->course_id, l->unit_id, u->package, l->item};
	struct relais_cmi5_reply cr;
	size_t len;
	int rc;

	memset(&cr, 0, sizeof(cr));
	if (strcmp(resource, "about") == 0) {
		return json_answer(200, strdup("{\"version\":[\"1.0.3\"]}"));
	}
	if (!token_ok(l, hreq)) {
		return relais_reader_refuse(401, "refused: no valid token for this AU session\n");
	}
	if (relais_http_body_too_large(hreq)) {
		return relais_reader_refuse(413, "refused: the request is too large\n");
	}
	body = relais_http_body(hreq, &len);
	if (strcmp(resource, "statements") == 0) {
		if (strcmp(method, "GET") == 0) {
			rc = relais_cmi5_statement_get(&cr, r->home, r->ctx, l->profile_id,
			                               relais_http_query(hreq, "statementId"));
		} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
			const char *id = relais_http_query(hreq, "statementId");
			if (strcmp(method, "PUT") == 0 && id == NULL) {
				return relais_reader_refuse(400, "PUT needs statementId\n");
			}
			rc = relais_cmi5_statements(&cr, r->home, r->ctx, &au, l->session_id,
			                            strcmp(method, "PUT") == 0 ? id : NULL,
			                            body ? body : "", body ? len : 0);
		} else {
			return relais_reader_refuse(405, "method not allowed\n");
		}
	} else {
		struct relais_cmi5_doc_request rq;
		memset(&rq, 0, sizeof(rq));
		rq.resource = strcmp(resource, "activities/state") == 0 ? RELAIS_CMI5_STATE
		              : strcmp(resource, "activities/profile") == 0
		                      ? RELAIS_CMI5_ACTIVITY_PROFILE
		              : strcmp(resource, "agents/profile") == 0 ? RELAIS_CMI5_AGENT_PROFILE
		                                                        : 0;
		if (rq.resource == 0) {
			return relais_reader_refuse(404, "not found\n");
		}
		rq.method = method;
		rq.activity = relais_http_query(hreq, "activityId");
		rq.agent = relais_http_query(hreq, "agent");
		rq.registration = relais_http_query(hreq, "registration");
		rq.doc_id = relais_http_query(hreq, rq.resource == RELAIS_CMI5_STATE ? "stateId"
		                                                                     : "profileId");
		rq.content_type = relais_http_header(hreq, "Content-Type");
		rq.body = body ? body : "";
		rq.len = body ? len : 0;
		rc = relais_cmi5_document(&cr, r->home, r->ctx, l->session_id, &rq);
	}
	if (rc != 0) {
		relais_cmi5_reply_clear(&cr);
		return relais_reader_refuse(500, "the AU's data could not be saved\n");
	}
	return xapi_answer(&cr);
}

/* The page an AU returns to (LMS.LaunchData returnURL): the part is over. */
static relais_http_response *cmi5_return(const struct relais_reader *r, const struct launch *l)
{
	char page[1024], policy[512];
	int n;

	n = snprintf(page, sizeof(page),
	             "<!DOCTYPE html><html lang=\"%s\" dir=\"%s\"><meta "
	             "charset=\"utf-8\"><title></title>"
	             "<p style=\"font:1.1em sans-serif;margin:2em\">%s</p></html>",
	             relais_lang_code(l->lang), relais_lang_rtl(l->lang) ? "rtl" : "ltr",
	             relais_tr(l->lang, M_CMI5_RETURNED));
	if (n < 0 || (size_t)n >= sizeof(page)) {
		return relais_reader_refuse(500, "the page is too long\n");
	}
	(void)snprintf(policy, sizeof(policy),
	               "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors %s %s",
	               r->origin_ip, r->origin_name);
	return relais_reader_respond(200, "text/html; charset=utf-8", page, (size_t)n,
	                             RELAIS_HTTP_COPY, policy, NULL, NULL);
}

static relais_http_response *answer(struct relais_reader *r, relais_http_request *hreq)
{
	const char *method = relais_http_method(hreq), *url = relais_http_path(hreq), *rest;
	const struct relais_embedded_file *f;
	const struct relais_unit *u;
	char secret[SECRET_HEX], policy[512];
	relais_bundle *b;
	struct launch *l;

	if (strncmp(url, "/l/", 3) != 0 || strlen(url) < PREFIX_LEN || url[PREFIX_LEN - 1] != '/') {
		return relais_reader_refuse(404, "not found\n");
	}
	memcpy(secret, url + 3, SECRET_HEX - 1);
	secret[SECRET_HEX - 1] = '\0';
	if ((l = relais_reader_launch(r, secret)) == NULL) {
		return relais_reader_refuse(403,
		                            "refused: this launch is unknown or over; open the "
		                            "unit again from the reader\n");
	}
	rest = url + PREFIX_LEN;
	b = relais_reader_course(r, l->course_id);
	u = b ? relais_manifest_unit(relais_bundle_manifest(b), l->unit_id) : NULL;
	if (u == NULL || u->kind != RELAIS_UNIT_PACKAGE || l->item >= u->package->orgs[0].n_items) {
		return relais_reader_refuse(404, "not found\n");
	}
	if (l->session_id[0] != '\0') {
		if (!origin_ok(r, relais_http_header(hreq, "Origin"))) {
			return relais_reader_refuse(
			        403, "refused: the request comes from another site\n");
		}
		if (strcmp(rest, "fetch") == 0) {
			return strcmp(method, "POST") == 0
			               ? cmi5_fetch(l)
			               : relais_reader_refuse(405, "use POST\n");
		}
		if (strncmp(rest, "xapi/", 5) == 0) {
			return cmi5_xapi(r, l, u, rest + 5, hreq);
		}
		if (strcmp(rest, "return") == 0) {
			return cmi5_return(r, l);
		}
		if (strncmp(rest, "c/", 2) == 0 && strcmp(method, "GET") == 0) {
			return content(r, l, u, rest + 2, hreq);
		}
		return relais_reader_refuse(404, "not found\n");
	}
	if (strcmp(method, "POST") == 0) {
		return strcmp(rest, "commit") == 0 ? commit(r, l, u, hreq)
		                                   : relais_reader_refuse(404, "not found\n");
	}
	if (strcmp(rest, "") == 0 || strncmp(rest, "_/", 2) == 0) {
		f = relais_embedded_find(relais_player_files, rest[0] ? rest + 2 : "player.html");
		if (f == NULL || (rest[0] && strcmp(f->name, "player.html") == 0)) {
			return relais_reader_refuse(404, "not found\n");
		}
		csp(policy, sizeof(policy), r, 1);
		return relais_reader_respond(200, f->type, f->data, f->len, RELAIS_HTTP_PERSISTENT,
		                             policy, NULL, NULL);
	}
	if (strcmp(rest, "state") == 0) {
		return state(r, l, u);
	}
	if (strncmp(rest, "c/", 2) == 0) {
		return content(r, l, u, rest + 2, hreq);
	}
	return relais_reader_refuse(404, "not found\n");
}

/* Who may ask, and how much they may send: decided before any body arrives. */
static relais_http_response *on_headers(void *data, relais_http_request *hreq)
{
	struct relais_reader *r = data;

	if (!pkg_host_ok(r, relais_http_header(hreq, "Host"))) {
		return relais_reader_refuse(421, "refused: wrong Host header\n");
	}
	return relais_reader_admit(hreq, RELAIS_SCORM_COMMIT_MAX,
	                           "refused: the commit is too large\n", 1);
}

static relais_http_response *on_request(void *data, relais_http_request *hreq)
{
	struct relais_reader *r = data;
	relais_http_response *ret;

	/* The same lock as the reader's pages: one database, one cache. */
	pthread_mutex_lock(&r->lock);
	ret = answer(r, hreq);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int relais_reader_package_listen(struct relais_reader *r)
{
	struct relais_http_options hopt;

	memset(&hopt, 0, sizeof(hopt));
	hopt.address = "127.0.0.1"; /* loopback only, always */
	hopt.port = 0;
	hopt.threads = PKG_THREADS;
	hopt.connection_limit = 256;
	hopt.evict_above = 48;
	hopt.timeout_seconds = 15;
	hopt.on_headers = on_headers;
	hopt.on_request = on_request;
	hopt.data = r;
	if (relais_http_start(&r->pkg_server, r->ctx, &hopt) != 0) {
		return relais_fail(r->ctx, RELAIS_EIO, "cannot listen on 127.0.0.1 for packages");
	}
	r->pkg_port = relais_http_port(r->pkg_server);
	(void)snprintf(r->pkg_host_ip, sizeof(r->pkg_host_ip), "127.0.0.1:%u", r->pkg_port);
	(void)snprintf(r->pkg_host_name, sizeof(r->pkg_host_name), "localhost:%u", r->pkg_port);
	(void)snprintf(r->pkg_origin_ip, sizeof(r->pkg_origin_ip), "http://127.0.0.1:%u",
	               r->pkg_port);
	(void)snprintf(r->pkg_origin_name, sizeof(r->pkg_origin_name), "http://localhost:%u",
	               r->pkg_port);
	return 0;
}
