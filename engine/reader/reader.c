/* reader.c: the reader's HTTP side: who may ask, and how answers go out. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "reader_private.h"
#include "relais/error.h"
#include "relais/http.h"
#include "relais/library.h"
#include "relais/reader.h"
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
static relais_http_response *respond(unsigned status, const char *type, const void *data,
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
static relais_http_response *refuse(unsigned status, const char *why)
{
	return respond(status, "text/plain; charset=utf-8", why, strlen(why),
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
		return refuse(404, "not found\n");
	}
	return respond(200, f->type, f->data, f->len, RELAIS_HTTP_PERSISTENT, CSP_PAGE, NULL, NULL);
}

static const char *layout_html(void)
{
	const struct relais_embedded_file *f = relais_embedded_find(relais_ui_files, "layout.html");

	return f ? (const char *)f->data : "{{body}}";
}

/* The header: navigation, who is studying, the other language. */
static void page_header(struct relais_strbuf *h, const struct request *req)
{
	enum lang l = req->session->lang;

	relais_strbuf_printf(h, "<nav aria-label=\"relais\"><ul><li><a href=\"/\">%s</a></li>",
	                     relais_tr(l, M_NAV_LIBRARY));
	relais_strbuf_printf(h, "<li><a href=\"/search\">%s</a></li>", relais_tr(l, M_NAV_SEARCH));
	relais_strbuf_printf(h, "<li><a href=\"/outbox\">%s</a></li>", relais_tr(l, M_NAV_OUTBOX));
	relais_strbuf_printf(h, "<li><a href=\"/who\">%s</a></li>", relais_tr(l, M_NAV_WHO));
	relais_strbuf_printf(h, "<li><a href=\"?lang=%s\" lang=\"%s\">%s</a></li></ul></nav>",
	                     relais_tr(l, M_OTHER_LANG_CODE), relais_tr(l, M_OTHER_LANG_CODE),
	                     relais_tr(l, M_OTHER_LANG_NAME));
}

/* Wraps the page body in layout.html. */
static char *render_page(struct request *req, size_t *len)
{
	struct relais_strbuf h = {0}, head = {0};
	const char *t = layout_html(), *p;

	page_header(&head, req);
	while ((p = strstr(t, "{{")) != NULL) {
		const char *end = strstr(p, "}}");
		if (end == NULL) {
			break;
		}
		relais_strbuf_addn(&h, t, (size_t)(p - t));
		if (strncmp(p, "{{lang}}", 8) == 0) {
			relais_strbuf_add(&h, relais_tr(req->session->lang, M_LANG_CODE));
		} else if (strncmp(p, "{{title}}", 9) == 0) {
			relais_strbuf_add_html(&h, req->title ? req->title : "relais");
		} else if (strncmp(p, "{{skip}}", 8) == 0) {
			relais_strbuf_add_html(&h, relais_tr(req->session->lang, M_SKIP));
		} else if (strncmp(p, "{{header}}", 10) == 0) {
			relais_strbuf_addn(&h, head.p ? head.p : "", head.len);
		} else if (strncmp(p, "{{body}}", 8) == 0) {
			relais_strbuf_addn(&h, req->body.p ? req->body.p : "", req->body.len);
		}
		t = end + 2;
	}
	relais_strbuf_add(&h, t);
	relais_strbuf_free(&head);
	if (h.rc) {
		relais_strbuf_free(&h);
		return NULL;
	}
	*len = h.len;
	return h.p;
}

void relais_reader_page_error(struct request *req, unsigned status, const char *what)
{
	req->status = status;
	relais_strbuf_free(&req->body);
	free(req->title);
	req->title = strdup(relais_tr(req->session->lang, M_ERROR));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>", relais_tr(req->session->lang, M_ERROR));
	relais_strbuf_add_html(&req->body, what);
	relais_strbuf_add(&req->body, "</p><p><a href=\"/\">");
	relais_strbuf_add_html(&req->body, relais_tr(req->session->lang, M_NAV_LIBRARY));
	relais_strbuf_add(&req->body, "</a></p>");
}

static void close_course(struct relais_reader *r, struct open_course *c)
{
	size_t i;

	for (i = 0; i < c->n_cache; i++) {
		r->cache_bytes -= c->cache[i].len;
		free(c->cache[i].path);
		free(c->cache[i].data);
	}
	free(c->cache);
	free(c->id);
	free(c->file);
	relais_bundle_free(c->bundle);
	memset(c, 0, sizeof(*c));
}

static struct open_course *find_open(struct relais_reader *r, const char *course_id)
{
	size_t i;

	for (i = 0; i < MAX_OPEN_COURSES; i++) {
		if (r->courses[i].id != NULL && strcmp(r->courses[i].id, course_id) == 0) {
			return &r->courses[i];
		}
	}
	return NULL;
}

relais_bundle *relais_reader_course(struct relais_reader *r, const char *course_id)
{
	struct relais_course_info info;
	struct open_course *slot = find_open(r, course_id);
	time_t now = time(NULL);
	size_t i;

	/* A course installed or upgraded by another process is seen within a
	 * second, without asking the database on every request. */
	if (slot != NULL && slot->checked == now) {
		return slot->bundle;
	}
	if (relais_library_get(&info, r->home, r->ctx, course_id) != 0) {
		if (slot != NULL) {
			close_course(r, slot);
		}
		return NULL;
	}
	if (slot != NULL && strcmp(slot->file, info.file) == 0) {
		slot->checked = now;
		goto out;
	}
	if (slot == NULL) {
		for (i = 0; i < MAX_OPEN_COURSES && slot == NULL; i++) {
			if (r->courses[i].id == NULL) {
				slot = &r->courses[i];
			}
		}
	}
	if (slot == NULL) {
		slot = &r->courses[0];
	}
	close_course(r, slot);
	if (relais_library_open(&slot->bundle, r->home, r->ctx, course_id) != 0) {
		slot->bundle = NULL;
		goto out;
	}
	slot->id = strdup(course_id);
	slot->file = strdup(info.file);
	slot->checked = now;
	if (slot->id == NULL || slot->file == NULL) {
		close_course(r, slot);
	}
out:
	relais_course_info_clear(&info);
	return slot->bundle;
}

int relais_reader_entry(struct relais_reader *r, const char *course_id, const char *path,
                        const unsigned char **data, size_t *len)
{
	struct open_course *c = find_open(r, course_id);
	struct cached_entry *grown;
	unsigned char *bytes = NULL;
	size_t n = 0, i;
	int rc;

	*data = NULL;
	*len = 0;
	if (c == NULL || c->bundle == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOTFOUND, "no course %s is open", course_id);
	}
	for (i = 0; i < c->n_cache; i++) {
		if (strcmp(c->cache[i].path, path) == 0) {
			*data = c->cache[i].data;
			*len = c->cache[i].len;
			return 0;
		}
	}
	if ((rc = relais_bundle_read(&bytes, &n, r->ctx, c->bundle, path)) != 0) {
		return rc;
	}
	/* Keep it when it fits; otherwise lend it until the next request. */
	if (n <= CACHE_ENTRY_MAX && r->cache_bytes + n <= CACHE_MAX &&
	    (grown = realloc(c->cache, (c->n_cache + 1) * sizeof(*grown))) != NULL) {
		c->cache = grown;
		grown[c->n_cache].path = strdup(path);
		if (grown[c->n_cache].path != NULL) {
			grown[c->n_cache].data = bytes;
			grown[c->n_cache].len = n;
			c->n_cache++;
			r->cache_bytes += n;
			*data = bytes;
			*len = n;
			return 0;
		}
	}
	free(r->lent);
	r->lent = bytes;
	*data = bytes;
	*len = n;
	return 0;
}

/* Reads the posted form into req; 0, or the refusal to send. */
static relais_http_response *read_form(struct request *req, relais_http_request *hreq,
                                       struct relais_http_field **hfields, size_t *n)
{
	const char *body;
	size_t len, i;
	int rc;

	if (relais_http_body_too_large(hreq)) {
		return refuse(413, "refused: the form is too large\n");
	}
	if (!relais_http_is_form(relais_http_header(hreq, "Content-Type"))) {
		return refuse(400, "refused: malformed form\n");
	}
	body = relais_http_body(hreq, &len);
	rc = relais_http_form_parse(hfields, n, body, len, MAX_FIELDS, FIELD_VALUE_MAX);
	if (rc == RELAIS_ELIMIT) {
		return refuse(413, "refused: the form is too large\n");
	}
	if (rc != 0) {
		return refuse(rc == RELAIS_ENOMEM ? 500 : 400,
		              rc == RELAIS_ENOMEM ? "out of memory\n"
		                                  : "refused: malformed form\n");
	}
	if (*n > 0 && (req->fields = calloc(*n, sizeof(*req->fields))) == NULL) {
		return refuse(500, "out of memory\n");
	}
	for (i = 0; i < *n; i++) {
		req->fields[i].name = (*hfields)[i].name;
		req->fields[i].value = (*hfields)[i].value;
	}
	req->n_fields = *n;
	return NULL;
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
		    sodium_memcmp(key, r->secret, SECRET_HEX - 1) != 0) {
			return refuse(403,
			              "this reader is private: open the address that relais read "
			              "printed\n");
		}
		s = new_session(
		        r, relais_lang_from_header(relais_http_header(hreq, "Accept-Language")));
		(void)snprintf(cookie, sizeof(cookie),
		               COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", s->id);
		/* Drop the secret from the address bar and history. */
		return respond(303, "text/plain; charset=utf-8", "", 0, RELAIS_HTTP_PERSISTENT,
		               NULL, cookie, "/");
	}
	if (strncmp(url, "/static/", 8) == 0 && strcmp(method, "GET") == 0) {
		return serve_static(url + 8);
	}
	lang = relais_http_query(hreq, "lang");
	if (lang != NULL) {
		s->lang = strcmp(lang, "fr") == 0 ? LANG_FR : LANG_EN;
	}
	if (strcmp(method, "POST") == 0) {
		const char *token;
		if (!origin_ok(r, relais_http_header(hreq, "Origin"))) {
			return refuse(403, "refused: the request comes from another site\n");
		}
		if ((ret = read_form(&req, hreq, &hfields, &n_hfields)) != NULL) {
			goto out;
		}
		req.session = s;
		token = relais_reader_form_value(&req, "token");
		if (token == NULL || strlen(token) != SECRET_HEX - 1 ||
		    sodium_memcmp(token, s->csrf, SECRET_HEX - 1) != 0) {
			ret = refuse(403,
			             "refused: the form's token is missing or stale; reload the "
			             "page\n");
			goto out;
		}
	}
	req.reader = r;
	req.session = s;
	req.method = method;
	req.path = url;
	req.query_q = relais_http_query(hreq, "q");
	req.status = 200;
	relais_reader_route(&req);

	if (req.status == 303) {
		ret = respond(303, "text/plain; charset=utf-8", "", 0, RELAIS_HTTP_PERSISTENT, NULL,
		              NULL, req.location);
	} else if (req.raw != NULL) {
		ret = respond(req.status, req.content_type, req.raw, req.raw_len, RELAIS_HTTP_COPY,
		              req.media ? CSP_MEDIA : CSP_PAGE, NULL, NULL);
	} else if (req.body.rc || (page = render_page(&req, &len)) == NULL) {
		ret = refuse(500, "out of memory\n");
	} else {
		ret = respond(req.status, "text/html; charset=utf-8", page, len, RELAIS_HTTP_OWNED,
		              CSP_PAGE, NULL, NULL);
	}
out:
	free(req.title);
	relais_strbuf_free(&req.body);
	free(req.fields);
	relais_http_fields_free(hfields, n_hfields);
	return ret;
}

/* Who may ask, and how much they may send: decided before any body arrives. */
static relais_http_response *on_headers(void *data, relais_http_request *hreq)
{
	struct relais_reader *r = data;
	const char *method = relais_http_method(hreq);
	const char *length;

	/* DNS rebinding: a page from elsewhere that resolves to
	 * 127.0.0.1 still names its own host. */
	if (!host_ok(r, relais_http_header(hreq, "Host"))) {
		return refuse(421, "refused: wrong Host header\n");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "POST") != 0) {
		return refuse(405, "method not allowed\n");
	}
	length = relais_http_header(hreq, "Content-Length");
	if (length != NULL && strtoull(length, NULL, 10) > BODY_MAX) {
		return refuse(413, "refused: the form is too large\n");
	}
	relais_http_body_limit(hreq, BODY_MAX);
	return NULL;
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

static void *sync_thread(void *arg)
{
	struct sync_job *job = arg;
	int orphaned;

	/* The program's hook opens its own connection: the reader's is busy
	 * serving pages. What it achieves is in the outbox and the settings. */
	(void)job->fn(job->fn_data, job->home);
	pthread_mutex_lock(&job->lock);
	job->running = 0;
	orphaned = job->orphaned;
	pthread_mutex_unlock(&job->lock);
	if (orphaned) {
		pthread_mutex_destroy(&job->lock);
		free(job);
	}
	return NULL;
}

int relais_reader_send_start(struct relais_reader *r)
{
	pthread_t tid;
	int busy;

	if (r->sync->fn == NULL) {
		return relais_fail(r->ctx, RELAIS_EINVAL, "this reader cannot send records");
	}
	pthread_mutex_lock(&r->sync->lock);
	busy = r->sync->running;
	r->sync->running = 1;
	pthread_mutex_unlock(&r->sync->lock);
	if (busy) {
		return 1;
	}
	if (pthread_create(&tid, NULL, sync_thread, r->sync) != 0) {
		pthread_mutex_lock(&r->sync->lock);
		r->sync->running = 0;
		pthread_mutex_unlock(&r->sync->lock);
		return relais_fail(r->ctx, RELAIS_ENOMEM, "cannot start sending");
	}
	pthread_detach(tid);
	return 0;
}

int relais_reader_sending(struct relais_reader *r)
{
	int running;

	pthread_mutex_lock(&r->sync->lock);
	running = r->sync->running;
	pthread_mutex_unlock(&r->sync->lock);
	return running;
}

int relais_reader_start(relais_reader **out, relais_ctx *ctx, relais_home *home,
                        const struct relais_reader_options *opt)
{
	unsigned port = opt ? opt->port : 0;
	struct relais_reader *r;
	struct relais_http_options hopt;

	*out = NULL;
	if (port > 65535) {
		return relais_fail(ctx, RELAIS_EINVAL, "port %u is out of range", port);
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	r->ctx = ctx;
	r->home = home;
	r->sync = calloc(1, sizeof(*r->sync));
	if (r->sync == NULL) {
		free(r);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&r->sync->lock, NULL);
	if (opt != NULL) {
		r->sync->fn = opt->send_records;
		r->sync->fn_data = opt->send_records_data;
	}
	(void)snprintf(r->sync->home, sizeof(r->sync->home), "%s", relais_home_path(home));
	pthread_mutex_init(&r->lock, NULL);
	hex_secret(r->secret);
	memset(&hopt, 0, sizeof(hopt));
	hopt.address = "127.0.0.1"; /* loopback only, always */
	hopt.port = port;
	hopt.threads = READER_THREADS;
	hopt.connection_limit = 64;
	hopt.timeout_seconds = 30;
	hopt.on_headers = on_headers;
	hopt.on_request = on_request;
	hopt.data = r;
	if (relais_http_start(&r->server, ctx, &hopt) != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_mutex_destroy(&r->sync->lock);
		free(r->sync);
		free(r);
		return relais_fail(ctx, RELAIS_EIO, "cannot listen on 127.0.0.1:%u (in use?)",
		                   port);
	}
	r->port = relais_http_port(r->server);
	(void)snprintf(r->host_ip, sizeof(r->host_ip), "127.0.0.1:%u", r->port);
	(void)snprintf(r->host_name, sizeof(r->host_name), "localhost:%u", r->port);
	(void)snprintf(r->origin_ip, sizeof(r->origin_ip), "http://127.0.0.1:%u", r->port);
	(void)snprintf(r->origin_name, sizeof(r->origin_name), "http://localhost:%u", r->port);
	(void)snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%u/?k=%s", r->port, r->secret);
	*out = r;
	return 0;
}

const char *relais_reader_url(const relais_reader *r)
{
	return r->url;
}

unsigned relais_reader_port(const relais_reader *r)
{
	return r->port;
}

void relais_reader_stop(relais_reader *r)
{
	size_t i;

	if (r == NULL) {
		return;
	}
	relais_http_stop(r->server);
	pthread_mutex_destroy(&r->lock);
	/* A sync still running finishes on its own and frees its job. */
	pthread_mutex_lock(&r->sync->lock);
	r->sync->orphaned = r->sync->running;
	pthread_mutex_unlock(&r->sync->lock);
	if (!r->sync->orphaned) {
		pthread_mutex_destroy(&r->sync->lock);
		free(r->sync);
	}
	for (i = 0; i < MAX_OPEN_COURSES; i++) {
		close_course(r, &r->courses[i]);
	}
	free(r->lent);
	sodium_memzero(r->secret, sizeof(r->secret));
	sodium_memzero(r->sessions, sizeof(r->sessions));
	free(r);
}
