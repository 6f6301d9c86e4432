/* server.c: who may ask the reader, sessions, how answers go out, and the sync thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "reader_private.h"
#include "relais/error.h"
#include "relais/http.h"
#include "ui.h"

#define BODY_MAX (64 * 1024) /* a form: profile or quiz answers */
#define FIELD_VALUE_MAX 4096
#define COOKIE "relais_session"
#define READER_THREADS 2 /* network threads; page work is serialised */

#define CSP_PAGE                                                                                   \
	"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "          \
	"object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
#define CSP_MEDIA "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

static void hex_secret(char out[SECRET_HEX])
{
	unsigned char raw[16];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, SECRET_HEX, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

const char *relais_reader_form_value(const struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_fields; i++) {
		if (strcmp(req->fields[i].name, name) == 0) {
			return req->fields[i].value;
		}
	}
	return NULL;
}

static struct session *find_session(struct relais_reader *r, const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != SECRET_HEX - 1) {
		return NULL;
	}
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (r->sessions[i].id[0] != '\0' &&
		    sodium_memcmp(r->sessions[i].id, id, SECRET_HEX - 1) == 0) {
			r->sessions[i].last_used = time(NULL);
			return &r->sessions[i];
		}
	}
	return NULL;
}

/* A new session, replacing the least recently used one when all are taken. */
static struct session *new_session(struct relais_reader *r, enum lang lang)
{
	struct session *s = &r->sessions[0];
	size_t i;

	for (i = 1; i < MAX_SESSIONS; i++) {
		if (r->sessions[i].last_used < s->last_used) {
			s = &r->sessions[i];
		}
	}
	memset(s, 0, sizeof(*s));
	hex_secret(s->id);
	hex_secret(s->csrf);
	s->lang = lang;
	s->last_used = time(NULL);
	return s;
}

/* An answer with the reader's CSP, cookie and redirect when given. */
relais_http_response *relais_reader_respond(unsigned status, const char *type, const void *data,
                                            size_t len, enum relais_http_mem mode, const char *csp,
                                            const char *cookie, const char *location)
{
	relais_http_response *resp = relais_http_response_buffer(status, type, data, len, mode);

	if (resp == NULL) {
		return NULL;
	}
	if ((csp != NULL &&
	     relais_http_response_header(resp, "Content-Security-Policy", csp) != 0) ||
	    (cookie != NULL && relais_http_response_header(resp, "Set-Cookie", cookie) != 0) ||
	    (location != NULL && relais_http_response_header(resp, "Location", location) != 0)) {
		relais_http_response_free(resp);
		return NULL;
	}
	return resp;
}

/* A short refusal: plain text, so nothing in it can be markup. */
relais_http_response *relais_reader_refuse(unsigned status, const char *why)
{
	return relais_reader_respond(status, "text/plain; charset=utf-8", why, strlen(why),
	                             RELAIS_HTTP_PERSISTENT, "default-src 'none'", NULL, NULL);
}

static int host_ok(const struct relais_reader *r, const char *host)
{
	return host != NULL && (strcmp(host, r->host_ip) == 0 || strcmp(host, r->host_name) == 0);
}

static int origin_ok(const struct relais_reader *r, const char *origin)
{
	/* Same-origin POSTs from old browsers may carry no Origin; the token
	 * still protects them. */
	return origin == NULL || strcmp(origin, r->origin_ip) == 0 ||
	       strcmp(origin, r->origin_name) == 0;
}

static relais_http_response *serve_static(const char *name)
{
	const struct relais_embedded_file *f = relais_embedded_find(relais_ui_files, name);

	if (f == NULL || strcmp(name, "layout.html") == 0) {
		return relais_reader_refuse(404, "not found\n");
	}
	return relais_reader_respond(200, f->type, f->data, f->len, RELAIS_HTTP_PERSISTENT,
	                             CSP_PAGE, NULL, NULL);
}

static relais_http_response *read_form(struct request *req, relais_http_request *hreq,
                                       struct relais_http_field **hfields, size_t *n)
{
	const char *body;
	size_t len, i;
	int rc;

	if (relais_http_body_too_large(hreq)) {
		return relais_reader_refuse(413, "refused: the form is too large\n");
	}
	if (!relais_http_is_form(relais_http_header(hreq, "Content-Type"))) {
		return relais_reader_refuse(400, "refused: malformed form\n");
	}
	body = relais_http_body(hreq, &len);
	rc = relais_http_form_parse(hfields, n, body, len, MAX_FIELDS, FIELD_VALUE_MAX);
	if (rc == RELAIS_ELIMIT) {
		return relais_reader_refuse(413, "refused: the form is too large\n");
	}
	if (rc != 0) {
		return relais_reader_refuse(rc == RELAIS_ENOMEM ? 500 : 400,
		                            rc == RELAIS_ENOMEM ? "out of memory\n"
		                                                : "refused: malformed form\n");
	}
	if (*n > 0 && (req->fields = calloc(*n, sizeof(*req->fields))) == NULL) {
		return relais_reader_refuse(500, "out of memory\n");
	}
	for (i = 0; i < *n; i++) {
		req->fields[i].name = (*hfields)[i].name;
		req->fields[i].value = (*hfields)[i].value;
	}
	req->n_fields = *n;
	return NULL;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * A course entry whose bytes were checked against the signed manifest: a
 * stored entry goes out straight from the bundle file; a deflated one as
 * gzip (the same deflate bytes between a gzip header and trailer) when the
 * browser takes gzip, else inflated into a buffer for this answer only.
 */
relais_http_response *relais_reader_send_entry(struct relais_reader *r, const struct request *req,
                                               relais_http_request *hreq, const char *csp)
{
	static const unsigned char gzip_head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	const struct relais_bundle_span *e = &req->entry;
	relais_http_response *resp = NULL;

	if (!e->deflated) {
		resp = relais_http_response_file(req->status, req->content_type, e->fd, e->offset,
		                                 e->stored_len, NULL, 0, NULL, 0);
	} else if (relais_http_accepts_gzip(hreq)) {
		unsigned char tail[8];
		put_le32(tail, e->crc32);
		put_le32(tail + 4, (uint32_t)e->size);
		resp = relais_http_response_file(req->status, req->content_type, e->fd, e->offset,
		                                 e->stored_len, gzip_head, sizeof(gzip_head), tail,
		                                 sizeof(tail));
		if (resp != NULL &&
		    relais_http_response_header(resp, "Content-Encoding", "gzip") != 0) {
			relais_http_response_free(resp);
			resp = NULL;
		}
	} else {
		unsigned char *data = NULL;
		size_t len = 0;
		if (relais_bundle_reread(&data, &len, r->ctx, req->entry_bundle, req->entry_path) !=
		    0) {
			return relais_reader_refuse(500, "the course's file cannot be read\n");
		}
		resp = relais_http_response_buffer(req->status, req->content_type, data, len,
		                                   RELAIS_HTTP_OWNED);
	}
	if (resp != NULL &&
	    (relais_http_response_header(resp, "Vary", "Accept-Encoding") != 0 ||
	     relais_http_response_header(resp, "Content-Security-Policy", csp) != 0)) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	return resp;
}

static relais_http_response *answer(struct relais_reader *r, relais_http_request *hreq)
{
	struct request req;
	struct session *s;
	char cookie[128];
	relais_http_response *ret = NULL;
	struct relais_http_field *hfields = NULL;
	size_t n_hfields = 0;
	const char *key, *lang, *method = relais_http_method(hreq), *url = relais_http_path(hreq);
	char *page;
	size_t len;

	memset(&req, 0, sizeof(req));
	s = find_session(r, relais_http_cookie(hreq, COOKIE));
	key = relais_http_query(hreq, "k");
	if (s == NULL) {
		/* Only the address printed at launch opens a session. */
		if (strcmp(method, "GET") != 0 || key == NULL || strlen(key) != SECRET_HEX - 1 ||
		    r->secret[0] == '\0' || sodium_memcmp(key, r->secret, SECRET_HEX - 1) != 0) {
			return relais_reader_refuse(
			        403, r->secret[0] == '\0'
			                     ? "this reader is private, and the address relais "
			                       "read printed opens it once: use the tab it "
			                       "opened, or restart relais read\n"
			                     : "this reader is private: open the address that "
			                       "relais read printed\n");
		}
		/* Single use: the browser that opened it keeps its cookie; nobody
		 * else can open sessions and push the learner's out. */
		sodium_memzero(r->secret, sizeof(r->secret));
		s = new_session(
		        r, relais_lang_from_header(relais_http_header(hreq, "Accept-Language")));
		(void)snprintf(cookie, sizeof(cookie),
		               COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", s->id);
		/* Drop the secret from the address bar and history. */
		return relais_reader_respond(303, "text/plain; charset=utf-8", "", 0,
		                             RELAIS_HTTP_PERSISTENT, NULL, cookie, "/");
	}
	if (strncmp(url, "/static/", 8) == 0 && strcmp(method, "GET") == 0) {
		return serve_static(url + 8);
	}
	lang = relais_http_query(hreq, "lang");
	if (lang != NULL && relais_lang_from_code(lang) >= 0) {
		s->lang = (enum lang)relais_lang_from_code(lang);
	}
	if (strcmp(method, "POST") == 0) {
		const char *token;
		if (!origin_ok(r, relais_http_header(hreq, "Origin"))) {
			return relais_reader_refuse(
			        403, "refused: the request comes from another site\n");
		}
		if ((ret = read_form(&req, hreq, &hfields, &n_hfields)) != NULL) {
			goto out;
		}
		req.session = s;
		token = relais_reader_form_value(&req, "token");
		if (token == NULL || strlen(token) != SECRET_HEX - 1 ||
		    sodium_memcmp(token, s->csrf, SECRET_HEX - 1) != 0) {
			ret = relais_reader_refuse(
			        403, "refused: the form's token is missing or stale; reload the "
			             "page\n");
			goto out;
		}
	}
	req.reader = r;
	req.session = s;
	req.method = method;
	req.path = url;
	req.query_q = relais_http_query(hreq, "q");
	req.query_item = relais_http_query(hreq, "item");
	req.host = relais_http_header(hreq, "Host");
	req.status = 200;
	r->route(&req);

	if (req.status == 303) {
		ret = relais_reader_respond(303, "text/plain; charset=utf-8", "", 0,
		                            RELAIS_HTTP_PERSISTENT, NULL, NULL, req.location);
	} else if (req.entry_bundle != NULL) {
		ret = relais_reader_send_entry(r, &req, hreq, CSP_MEDIA);
	} else if (req.attachment[0] != '\0' && req.body.rc == 0) {
		char disposition[200];
		(void)snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"",
		               req.attachment);
		ret = relais_reader_respond(200, "text/calendar; charset=utf-8", req.body.p,
		                            req.body.len, RELAIS_HTTP_COPY, CSP_MEDIA, NULL, NULL);
		if (ret != NULL &&
		    relais_http_response_header(ret, "Content-Disposition", disposition) != 0) {
			relais_http_response_free(ret);
			ret = relais_reader_refuse(500, "out of memory\n");
		}
	} else if (req.body.rc || (page = relais_reader_frame(&req, &len)) == NULL) {
		ret = relais_reader_refuse(500, "out of memory\n");
	} else {
		/* A package's page frames the package origin, and only that. */
		char csp[sizeof(CSP_PAGE) + 128];
		(void)snprintf(csp, sizeof(csp), "%s%s%s", CSP_PAGE,
		               req.frame_src[0] ? "; frame-src " : "", req.frame_src);
		ret = relais_reader_respond(req.status, "text/html; charset=utf-8", page, len,
		                            RELAIS_HTTP_OWNED, csp, NULL, NULL);
	}
out:
	free(req.title);
	relais_strbuf_free(&req.body);
	free(req.fields);
	relais_http_fields_free(hfields, n_hfields);
	return ret;
}

relais_http_response *relais_reader_admit(relais_http_request *hreq, size_t body_max,
                                          const char *too_large, int documents)
{
	const char *method = relais_http_method(hreq);
	const char *length = relais_http_header(hreq, "Content-Length");

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "POST") != 0 &&
	    (!documents || (strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0))) {
		return relais_reader_refuse(405, "method not allowed\n");
	}
	if (length != NULL && strtoull(length, NULL, 10) > body_max) {
		return relais_reader_refuse(413, too_large);
	}
	relais_http_body_limit(hreq, body_max);
	return NULL;
}

/* Who may ask, and how much they may send: decided before any body arrives. */
static relais_http_response *on_headers(void *data, relais_http_request *hreq)
{
	struct relais_reader *r = data;

	/* DNS rebinding: a page from elsewhere that resolves to
	 * 127.0.0.1 still names its own host. */
	if (!host_ok(r, relais_http_header(hreq, "Host"))) {
		return relais_reader_refuse(421, "refused: wrong Host header\n");
	}
	return relais_reader_admit(hreq, BODY_MAX, "refused: the form is too large\n", 0);
}

static relais_http_response *on_request(void *data, relais_http_request *hreq)
{
	struct relais_reader *r = data;
	relais_http_response *ret;

	/* Pages, sessions, caches and the database are one at a time;
	 * reading requests and sending answers go on in parallel. */
	pthread_mutex_lock(&r->lock);
	ret = answer(r, hreq);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* The hook's progress: kept for the Updates page. */
static void on_progress(void *data, const char *course_id, uint64_t version, uint64_t done,
                        uint64_t total)
{
	struct sync_job *job = data;

	pthread_mutex_lock(&job->lock);
	(void)snprintf(job->state.course, sizeof(job->state.course), "%s", course_id);
	job->state.version = version;
	job->state.done = done;
	job->state.total = total;
	pthread_mutex_unlock(&job->lock);
}

static void *sync_thread(void *arg)
{
	struct sync_job *job = arg;
	char error[sizeof(job->state.error)] = "";
	int orphaned, rc;

	/* The program's hook opens its own connection: the reader's is busy
	 * serving pages. What it achieves is in the outbox, the library and
	 * the settings. */
	rc = job->fn(job->fn_data, job->home, job->state.what, on_progress, job, error,
	             sizeof(error));
	pthread_mutex_lock(&job->lock);
	job->state.running = 0;
	job->state.ended = 1;
	job->state.status = rc;
	job->state.course[0] = '\0';
	(void)snprintf(job->state.error, sizeof(job->state.error), "%s",
	               rc == 0    ? ""
	               : error[0] ? error
	                          : "the sync failed");
	orphaned = job->orphaned;
	pthread_mutex_unlock(&job->lock);
	if (orphaned) {
		pthread_mutex_destroy(&job->lock);
		free(job);
	}
	return NULL;
}

int relais_reader_sync_start(struct relais_reader *r, unsigned what)
{
	pthread_t tid;
	int busy;

	if (r->sync->fn == NULL) {
		return relais_fail(r->ctx, RELAIS_EINVAL, "this reader cannot sync");
	}
	pthread_mutex_lock(&r->sync->lock);
	busy = r->sync->state.running;
	if (!busy) {
		r->sync->state.running = 1;
		r->sync->state.what = what;
		r->sync->state.course[0] = '\0';
		r->sync->state.done = r->sync->state.total = 0;
	}
	pthread_mutex_unlock(&r->sync->lock);
	if (busy) {
		return 1;
	}
	if (pthread_create(&tid, NULL, sync_thread, r->sync) != 0) {
		pthread_mutex_lock(&r->sync->lock);
		r->sync->state.running = 0;
		pthread_mutex_unlock(&r->sync->lock);
		return relais_fail(r->ctx, RELAIS_ENOMEM, "cannot start a sync");
	}
	pthread_detach(tid);
	return 0;
}

void relais_reader_sync_state(struct relais_reader *r, struct sync_state *out)
{
	pthread_mutex_lock(&r->sync->lock);
	*out = r->sync->state;
	pthread_mutex_unlock(&r->sync->lock);
}

int relais_reader_listen(struct relais_reader *r, unsigned port)
{
	struct relais_http_options hopt;

	hex_secret(r->secret);
	memset(&hopt, 0, sizeof(hopt));
	hopt.address = "127.0.0.1"; /* loopback only, always */
	hopt.port = port;
	hopt.threads = READER_THREADS;
	/* Every client of a loopback server has the same address, so a limit
	 * per address would lock the learner out with the holder: instead,
	 * past 48 connections the oldest silent one is closed, and idle ones
	 * close after 15 s. */
	hopt.connection_limit = 256;
	hopt.evict_above = 48;
	hopt.timeout_seconds = 15;
	hopt.on_headers = on_headers;
	hopt.on_request = on_request;
	hopt.data = r;
	if (relais_http_start(&r->server, r->ctx, &hopt) != 0) {
		return relais_fail(r->ctx, RELAIS_EIO, "cannot listen on 127.0.0.1:%u (in use?)",
		                   port);
	}
	r->port = relais_http_port(r->server);
	(void)snprintf(r->host_ip, sizeof(r->host_ip), "127.0.0.1:%u", r->port);
	(void)snprintf(r->host_name, sizeof(r->host_name), "localhost:%u", r->port);
	(void)snprintf(r->origin_ip, sizeof(r->origin_ip), "http://127.0.0.1:%u", r->port);
	(void)snprintf(r->origin_name, sizeof(r->origin_name), "http://localhost:%u", r->port);
	(void)snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%u/?k=%s", r->port, r->secret);
	return 0;
}
