/* http.c: the HTTP server helper (libmicrohttpd): requests, bodies, responses, common headers. */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "relais/error.h"
#include "relais/http.h"

#define FRAMED_BLOCK (32 * 1024)

/* What a connection is waiting for from its client, and so which deadline applies. */
enum wait {
	WAIT_NOTHING, /* a request is being answered: no deadline */
	WAIT_HEADERS, /* a request line and headers, due header_ms after since */
	WAIT_BODY,    /* a body, due body_ms + length (or received) / rate after since */
};

/*
 * An open connection, oldest first (for options.evict_above and the
 * deadlines). Its fields are read and written under held_lock.
 */
struct held {
	struct held *prev, *next;
	int fd;
	int asked; /* a whole request's headers came in on it */
	int listed;
	enum wait wait;
	uint64_t since;    /* ms, CLOCK_MONOTONIC: when the wait began */
	uint64_t length;   /* the body's Content-Length, or UINT64_MAX: judged by received */
	uint64_t received; /* body bytes received so far */
};

struct relais_http_server {
	struct MHD_Daemon *daemon;
	struct relais_http_options opt;
	unsigned port;
	pthread_mutex_t held_lock;
	struct held *oldest, *newest;
	unsigned n_held;
	/* The sweeper: a thread that shuts down connections past their deadline. */
	uint64_t header_ms, body_ms, rate;
	pthread_cond_t sweep_wake;
	pthread_t sweeper;
	int sweeper_started, stopping;
	uint64_t sweep_at; /* when the sweeper wakes next (ms); UINT64_MAX: when told */
};

struct relais_http_request {
	struct MHD_Connection *conn;
	relais_http_server *server;
	const char *method;
	const char *path;
	char *body;
	size_t body_len, body_cap, body_max;
	int too_large;
	int answered;      /* a response was queued from on_headers */
	int by_received;   /* the body has no length (or too long one): judged as it comes */
	struct held *held; /* the connection's, for its deadlines; may be NULL */
	void *user;
	/* A job deferred to a pool: queued, then done with its result. */
	relais_http_request *next;
	relais_http_job_fn job;
	void *job_data;
	relais_http_pool *pool;
	relais_http_response *job_result;
	int job_stage; /* 0: none, 1: from on_headers, 2: from on_request */
	int job_done;
	int job_inline; /* the job runs on the network thread (the pool is drained) */
};

#define POOL_MAX 64

struct relais_http_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	relais_http_request *head, *tail;
	int stopping;
	unsigned n;
	pthread_t threads[POOL_MAX];
	void *locals[POOL_MAX];
	struct pool_thread {
		relais_http_pool *pool;
		void *local;
	} args[POOL_MAX];
};

struct relais_http_response {
	struct MHD_Response *r;
	unsigned status;
	int cache_control;          /* the handler chose its own Cache-Control */
	relais_http_stream *stream; /* a streamed response's body */
};

/* What relais_http_defer() hands back: never sent, never freed. */
static relais_http_response deferred_marker;
/* What a job that answered with relais_http_stream_begin() returns. */
static relais_http_response streamed_marker;

/* A file range framed by bytes before and after, read on demand. */
struct framed {
	int fd;
	uint64_t offset, len;
	size_t head_len, tail_len;
	unsigned char frame[]; /* head then tail */
};

const char *relais_http_method(const relais_http_request *req)
{
	return req->method;
}

const char *relais_http_path(const relais_http_request *req)
{
	return req->path;
}

const char *relais_http_header(const relais_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *relais_http_cookie(const relais_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *relais_http_query(const relais_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct each {
	relais_http_pair_fn fn;
	void *data;
};

static enum MHD_Result on_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct each *e = cls;

	(void)kind;
	return e->fn(e->data, key, value) == 0 ? MHD_YES : MHD_NO;
}

size_t relais_http_query_each(const relais_http_request *req, relais_http_pair_fn fn, void *data)
{
	struct each e = {fn, data};
	int n = MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_pair, &e);

	return n > 0 ? (size_t)n : 0;
}

void relais_http_client_address(char *out, size_t out_size, const relais_http_request *req)
{
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	out[0] = '\0';
	if (sa == NULL) {
		return;
	}
	if (sa->sa_family == AF_INET) {
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		                out, (socklen_t)out_size);
	} else if (sa->sa_family == AF_INET6) {
		(void)inet_ntop(AF_INET6,
		                &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		                (socklen_t)out_size);
	}
}

int relais_http_accepts_gzip(const relais_http_request *req)
{
	const char *v = relais_http_header(req, "Accept-Encoding");

	/* A token "gzip", unless given a zero quality ("gzip;q=0"). */
	while (v != NULL && *v) {
		const char *end = strchr(v, ',');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		while (n > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			n--;
		}
		if (n >= 4 && strncasecmp(v, "gzip", 4) == 0 &&
		    (n == 4 || v[4] == ';' || v[4] == ' ' || v[4] == '\t')) {
			const char *q = memchr(v, '=', n);
			if (q == NULL || strtod(q + 1, NULL) > 0.0) {
				return 1;
			}
			return 0;
		}
		v = end ? end + 1 : NULL;
	}
	return 0;
}

void relais_http_body_limit(relais_http_request *req, size_t max)
{
	req->body_max = max;
}

const char *relais_http_body(const relais_http_request *req, size_t *len)
{
	*len = req->body_len;
	return req->body ? req->body : "";
}

int relais_http_body_too_large(const relais_http_request *req)
{
	return req->too_large;
}

void relais_http_set_user(relais_http_request *req, void *p)
{
	req->user = p;
}

void *relais_http_user(const relais_http_request *req)
{
	return req->user;
}

static relais_http_response *wrap(struct MHD_Response *r, unsigned status, const char *type)
{
	relais_http_response *resp;

	if (r == NULL) {
		return NULL;
	}
	resp = calloc(1, sizeof(*resp));
	if (resp == NULL) {
		MHD_destroy_response(r);
		return NULL;
	}
	resp->r = r;
	resp->status = status;
	if (type != NULL && MHD_add_response_header(r, "Content-Type", type) != MHD_YES) {
		relais_http_response_free(resp);
		return NULL;
	}
	return resp;
}

relais_http_response *relais_http_response_buffer(unsigned status, const char *type,
                                                  const void *data, size_t len,
                                                  enum relais_http_mem mode)
{
	enum MHD_ResponseMemoryMode m = mode == RELAIS_HTTP_COPY         ? MHD_RESPMEM_MUST_COPY
	                                : mode == RELAIS_HTTP_PERSISTENT ? MHD_RESPMEM_PERSISTENT
	                                                                 : MHD_RESPMEM_MUST_FREE;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, m);

	if (r == NULL && mode == RELAIS_HTTP_OWNED) {
		free((void *)data);
	}
	return wrap(r, status, type);
}

static ssize_t framed_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct framed *f = cls;
	uint64_t total = f->head_len + f->len + f->tail_len;
	size_t done = 0;

	if (pos >= total) {
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	while (done < max && pos < total) {
		if (pos < f->head_len) {
			size_t n = f->head_len - (size_t)pos;
			n = n < max - done ? n : max - done;
			memcpy(buf + done, f->frame + pos, n);
			done += n;
			pos += n;
		} else if (pos < f->head_len + f->len) {
			uint64_t at = pos - f->head_len;
			uint64_t left = f->len - at;
			size_t n = left < max - done ? (size_t)left : max - done;
			ssize_t got = pread(f->fd, buf + done, n, (off_t)(f->offset + at));
			if (got <= 0) {
				if (got < 0 && errno == EINTR) {
					continue;
				}
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			done += (size_t)got;
			pos += (uint64_t)got;
		} else {
			size_t at = (size_t)(pos - f->head_len - f->len);
			size_t n = f->tail_len - at;
			n = n < max - done ? n : max - done;
			memcpy(buf + done, f->frame + f->head_len + at, n);
			done += n;
			pos += n;
		}
	}
	return (ssize_t)done;
}

static void framed_free(void *cls)
{
	struct framed *f = cls;

	close(f->fd);
	free(f);
}

relais_http_response *relais_http_response_file(unsigned status, const char *type, int fd,
                                                uint64_t offset, uint64_t len, const void *head,
                                                size_t head_len, const void *tail, size_t tail_len)
{
	struct MHD_Response *r;
	struct framed *f;
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (own < 0) {
		return NULL;
	}
	if (head_len == 0 && tail_len == 0) {
		r = MHD_create_response_from_fd_at_offset64(len, own, offset);
		if (r == NULL) {
			close(own);
		}
		return wrap(r, status, type);
	}
	if (head_len > FRAMED_BLOCK || tail_len > FRAMED_BLOCK ||
	    (f = malloc(sizeof(*f) + head_len + tail_len)) == NULL) {
		close(own);
		return NULL;
	}
	f->fd = own;
	f->offset = offset;
	f->len = len;
	f->head_len = head_len;
	f->tail_len = tail_len;
	if (head_len > 0) {
		memcpy(f->frame, head, head_len);
	}
	if (tail_len > 0) {
		memcpy(f->frame + head_len, tail, tail_len);
	}
	r = MHD_create_response_from_callback(head_len + len + tail_len, FRAMED_BLOCK, framed_read,
	                                      f, framed_free);
	if (r == NULL) {
		framed_free(f);
	}
	return wrap(r, status, type);
}

int relais_http_response_header(relais_http_response *resp, const char *name, const char *value)
{
	if (MHD_add_response_header(resp->r, name, value) != MHD_YES) {
		return RELAIS_ENOMEM;
	}
	if (strcasecmp(name, "Cache-Control") == 0) {
		resp->cache_control = 1;
	}
	return 0;
}

int relais_http_response_header_set(relais_http_response *resp, const char *name, const char *value)
{
	const char *old;
	char copy[256];

	while ((old = MHD_get_response_header(resp->r, name)) != NULL) {
		/* libmicrohttpd frees old while comparing: compare with a copy. */
		if (snprintf(copy, sizeof(copy), "%s", old) >= (int)sizeof(copy) ||
		    MHD_del_response_header(resp->r, name, copy) != MHD_YES) {
			return RELAIS_ENOMEM;
		}
	}
	return relais_http_response_header(resp, name, value);
}

void relais_http_response_free(relais_http_response *resp)
{
	if (resp == NULL) {
		return;
	}
	MHD_destroy_response(resp->r);
	free(resp);
}

static void stream_attach(relais_http_stream *st, struct MHD_Connection *conn);

/* Queues req's resp with the common security headers, and frees it. */
static enum MHD_Result queue(relais_http_request *req, relais_http_response *resp)
{
	const relais_http_server *s = req->server;
	enum MHD_Result ret = MHD_NO;

	if (resp == NULL) {
		return MHD_NO;
	}
	if (resp->stream != NULL) {
		stream_attach(resp->stream, req->conn);
	}
	if ((s->opt.on_response == NULL || s->opt.on_response(s->opt.data, req, resp) == 0) &&
	    MHD_add_response_header(resp->r, "X-Content-Type-Options", "nosniff") == MHD_YES &&
	    /* same-origin, not no-referrer: with no-referrer a browser sends
	     * "Origin: null" on form posts, which an Origin check must refuse. */
	    MHD_add_response_header(resp->r, "Referrer-Policy", "same-origin") == MHD_YES &&
	    MHD_add_response_header(resp->r, "X-Frame-Options", "DENY") == MHD_YES &&
	    (resp->cache_control ||
	     MHD_add_response_header(resp->r, "Cache-Control", "no-store") == MHD_YES)) {
		ret = MHD_queue_response(req->conn, resp->status, resp->r);
	}
	relais_http_response_free(resp);
	return ret;
}

/*
 * Suspends conn and queues req's job on its pool: returns 0, and the
 * connection resumes once the job is done. Once the pool is drained, runs
 * the job here instead and returns 1.
 */
static int defer_now(relais_http_request *req, int stage)
{
	relais_http_pool *pool = req->pool;
	int inline_run;

	req->job_stage = stage;
	pthread_mutex_lock(&pool->lock);
	inline_run = pool->stopping;
	if (!inline_run) {
		MHD_suspend_connection(req->conn);
		req->next = NULL;
		if (pool->tail != NULL) {
			pool->tail->next = req;
		} else {
			pool->head = req;
		}
		pool->tail = req;
		pthread_cond_signal(&pool->wake);
	}
	pthread_mutex_unlock(&pool->lock);
	if (inline_run) {
		relais_http_response *resp;
		req->job_inline = 1;
		resp = req->job(req->job_data, pool->locals[0], req);
		if (resp != &streamed_marker) {
			req->job_result = resp;
			req->job_done = 1;
		}
	}
	return inline_run;
}

/* --- deadlines --- */

static void unlist(relais_http_server *s, struct held *h);

static uint64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* When h's wait is over (ms), UINT64_MAX when it has none. Under held_lock. */
static uint64_t due(const relais_http_server *s, const struct held *h)
{
	uint64_t n, secs;

	if (h->wait == WAIT_HEADERS) {
		return h->since + s->header_ms;
	}
	if (h->wait != WAIT_BODY) {
		return UINT64_MAX;
	}
	n = h->length != UINT64_MAX ? h->length : h->received;
	secs = n / s->rate;
	if (secs > UINT32_MAX) {
		secs = UINT32_MAX; /* a century: no overflow below */
	}
	return h->since + s->body_ms + secs * 1000u + n % s->rate * 1000u / s->rate;
}

/*
 * Starts h's wait for what comes next: nothing (a request being answered),
 * a request's headers, or a body of length bytes (UINT64_MAX: judged by the
 * bytes received). Accepts NULL (a connection we could not keep a record of).
 */
static void await(relais_http_server *s, struct held *h, enum wait wait, uint64_t length)
{
	if (h == NULL) {
		return;
	}
	pthread_mutex_lock(&s->held_lock);
	h->wait = wait;
	h->since = now_ms();
	h->length = length;
	h->received = 0;
	if (due(s, h) < s->sweep_at) {
		pthread_cond_signal(&s->sweep_wake);
	}
	pthread_mutex_unlock(&s->held_lock);
}

/*
 * The sweeper: sleeps until the first deadline and shuts down every
 * connection past its own. libmicrohttpd calls no handler while headers or
 * a body trickle in, and its idle timeout restarts at every byte, so this
 * is the only way to bound how long a client may take. shutdown(), never
 * close(): the network thread that owns the connection sees it end and
 * closes it as usual; it removes the record (on_connection, CLOSED) under
 * held_lock before it closes the descriptor, so the descriptor shut down
 * here is always still this connection's.
 */
static void *sweep(void *arg)
{
	relais_http_server *s = arg;
	struct held *h, *next;
	struct timespec ts;
	uint64_t now, at, first;

	pthread_mutex_lock(&s->held_lock);
	while (!s->stopping) {
		now = now_ms();
		first = UINT64_MAX;
		for (h = s->oldest; h != NULL; h = next) {
			next = h->next;
			at = due(s, h);
			if (at <= now) {
				(void)shutdown(h->fd, SHUT_RDWR);
				h->wait = WAIT_NOTHING;
				unlist(s, h);
			} else if (at < first) {
				first = at;
			}
		}
		s->sweep_at = first;
		if (first == UINT64_MAX) {
			pthread_cond_wait(&s->sweep_wake, &s->held_lock);
		} else {
			ts.tv_sec = (time_t)(first / 1000u);
			ts.tv_nsec = (long)(first % 1000u) * 1000000L;
			(void)pthread_cond_timedwait(&s->sweep_wake, &s->held_lock, &ts);
		}
	}
	pthread_mutex_unlock(&s->held_lock);
	return NULL;
}

/* What on_headers answered: go on to the body, or answer now. */
static enum MHD_Result after_headers(relais_http_server *s, relais_http_request *req,
                                     relais_http_response *early)
{
	const char *length;

	if (early == &deferred_marker) {
		if (!defer_now(req, 1)) {
			return MHD_YES; /* called again once resumed */
		}
		req->job_done = 0;
		req->job_stage = 0;
		early = req->job_result;
		req->job_result = NULL;
	}
	if (early != NULL) {
		req->answered = 1;
		return queue(req, early);
	}
	length = relais_http_header(req, "Content-Length");
	if (length != NULL && strtoull(length, NULL, 10) > req->body_max) {
		req->too_large = 1;
	}
	/* A body longer than accepted is dropped as it comes: it is judged,
	 * like a chunked one, by what came so far. */
	req->by_received = length == NULL || req->too_large;
	await(s, req->held, WAIT_BODY, req->by_received ? UINT64_MAX : strtoull(length, NULL, 10));
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	relais_http_server *s = cls;
	relais_http_request *req = *con_cls;
	relais_http_response *resp;

	(void)version;
	if (req == NULL) {
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct held *h = ci != NULL ? ci->socket_context : NULL;
		if (h != NULL) {
			pthread_mutex_lock(&s->held_lock);
			h->asked = 1;
			h->wait = WAIT_NOTHING;
			pthread_mutex_unlock(&s->held_lock);
		}
		req = calloc(1, sizeof(*req));
		if (req == NULL) {
			return MHD_NO;
		}
		*con_cls = req;
		req->held = h;
		req->conn = conn;
		req->server = s;
		req->method = method;
		req->path = url;
		return after_headers(
		        s, req, s->opt.on_headers ? s->opt.on_headers(s->opt.data, req) : NULL);
	}
	if (req->job_stage != 0) {
		/* Resumed: the job has its answer. */
		int stage = req->job_stage;
		if (!req->job_done) {
			return MHD_YES; /* not yet (a spurious call) */
		}
		resp = req->job_result;
		req->job_result = NULL;
		req->job_done = 0;
		req->job_stage = 0;
		if (stage == 1) {
			return after_headers(s, req, resp);
		}
		req->answered = 1;
		return queue(req, resp);
	}
	if (req->answered) {
		*upload_size = 0; /* refused already: the body is dropped */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (req->by_received && req->held != NULL) {
			pthread_mutex_lock(&s->held_lock);
			req->held->received += n;
			pthread_mutex_unlock(&s->held_lock);
		}
		if (req->too_large || n > req->body_max - req->body_len) {
			req->too_large = 1;
			free(req->body);
			req->body = NULL;
			req->body_len = 0;
			req->body_cap = 0;
			return MHD_YES;
		}
		if (req->body_len + n + 1 > req->body_cap) {
			/* Grows by doubling, never past the limit. */
			size_t cap = req->body_cap ? req->body_cap : 4096;
			char *grown;
			while (cap < req->body_len + n + 1) {
				cap *= 2;
			}
			if (cap > req->body_max + 1) {
				cap = req->body_max + 1;
			}
			if ((grown = realloc(req->body, cap)) == NULL) {
				return MHD_NO;
			}
			req->body = grown;
			req->body_cap = cap;
		}
		memcpy(req->body + req->body_len, upload, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	await(s, req->held, WAIT_NOTHING, 0); /* the whole request is in */
	resp = s->opt.on_request(s->opt.data, req);
	if (resp == &deferred_marker) {
		if (!defer_now(req, 2)) {
			return MHD_YES; /* called again once resumed */
		}
		resp = req->job_result;
		req->job_result = NULL;
		req->job_done = 0;
		req->job_stage = 0;
	}
	req->answered = 1;
	return queue(req, resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	relais_http_server *s = cls;
	relais_http_request *req = *con_cls;

	(void)conn;
	(void)toe;
	if (req == NULL) {
		return;
	}
	/* A kept-alive connection's next request is due like a new one's. */
	await(s, req->held, WAIT_HEADERS, 0);
	relais_http_response_free(req->job_result);
	if (req->user != NULL && req->server->opt.free_user != NULL) {
		req->server->opt.free_user(req->user);
	}
	free(req->body);
	free(req);
	*con_cls = NULL;
}

/*
 * Decodes %XX in place like libmicrohttpd, except that %00 stays as written:
 * a NUL would cut the path short and answer another address than the one
 * asked for. "/x.html%00.png" then names no entry and gets 404.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;

	(void)cls;
	(void)conn;
	while (*r) {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2]) &&
		    !(r[1] == '0' && r[2] == '0')) {
			char hexpair[3] = {r[1], r[2], 0};
			*w++ = (char)strtol(hexpair, NULL, 16);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void unlist(relais_http_server *s, struct held *h)
{
	if (!h->listed) {
		return;
	}
	if (h->prev != NULL) {
		h->prev->next = h->next;
	} else {
		s->oldest = h->next;
	}
	if (h->next != NULL) {
		h->next->prev = h->prev;
	} else {
		s->newest = h->prev;
	}
	h->prev = h->next = NULL;
	h->listed = 0;
	s->n_held--;
}

/*
 * Keeps a new connection in the list, its headers due within header_ms,
 * and, past evict_above, shuts down the oldest one that has not yet sent a
 * whole request (or the oldest of all): connections held open and silent
 * then cost their holder a new one each, while a client that asks at once
 * is served. Called under held_lock; libmicrohttpd closes a descriptor only
 * after telling on_connection, which takes the same lock, so the descriptor
 * shut down is still the connection's.
 */
static void hold(relais_http_server *s, struct held *h)
{
	struct held *victim;

	h->wait = WAIT_HEADERS;
	h->since = now_ms();
	if (h->since + s->header_ms < s->sweep_at) {
		pthread_cond_signal(&s->sweep_wake);
	}
	h->prev = s->newest;
	if (s->newest != NULL) {
		s->newest->next = h;
	} else {
		s->oldest = h;
	}
	s->newest = h;
	h->listed = 1;
	s->n_held++;
	while (s->opt.evict_above > 0 && s->n_held > s->opt.evict_above) {
		for (victim = s->oldest; victim != NULL && victim->asked; victim = victim->next) {
		}
		if (victim == NULL && (victim = s->oldest) == NULL) {
			break; /* n_held counts the list: not reached */
		}
		(void)shutdown(victim->fd, SHUT_RDWR);
		unlist(s, victim);
	}
}

/*
 * Keeps a record of each connection, for its deadlines and evict_above.
 * Answers go out in more than one write; without TCP_NODELAY the second
 * waits for the client's delayed acknowledgement (up to 200 ms).
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	relais_http_server *s = cls;
	const union MHD_ConnectionInfo *info;
	struct held *h;
	int one = 1;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((h = *socket_context) != NULL) {
			pthread_mutex_lock(&s->held_lock);
			unlist(s, h);
			pthread_mutex_unlock(&s->held_lock);
			free(h);
			*socket_context = NULL;
		}
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED) {
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL) {
		return;
	}
	(void)setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((h = calloc(1, sizeof(*h))) != NULL) {
		h->fd = info->connect_fd;
		*socket_context = h;
		pthread_mutex_lock(&s->held_lock);
		hold(s, h);
		pthread_mutex_unlock(&s->held_lock);
	}
}

int relais_http_start(relais_http_server **out, relais_ctx *ctx,
                      const struct relais_http_options *opt)
{
	const char *address = opt->address ? opt->address : "127.0.0.1";
	struct sockaddr_storage addr;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_AUTO; /* epoll where there is one: more than FD_SETSIZE sockets */
	const union MHD_DaemonInfo *info;
	pthread_condattr_t monotonic;
	relais_http_server *s;

	assert(opt->on_request != NULL);
	*out = NULL;
	if (opt->port > 65535) {
		return relais_fail(ctx, RELAIS_EINVAL, "port %u is out of range", opt->port);
	}
	memset(&addr, 0, sizeof(addr));
	if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)opt->port);
	} else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)opt->port);
		flags |= MHD_USE_IPv6;
	} else {
		return relais_fail(ctx, RELAIS_EINVAL, "%s is not a numeric address", address);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->opt = *opt;
	s->opt.address = NULL; /* not kept: the caller's string */
	s->header_ms = (opt->header_timeout_seconds ? opt->header_timeout_seconds : 10u) * 1000ull;
	s->body_ms = (opt->body_timeout_seconds ? opt->body_timeout_seconds : 30u) * 1000ull;
	s->rate = opt->body_min_rate ? opt->body_min_rate : 1000u;
	s->sweep_at = UINT64_MAX;
	if (pthread_mutex_init(&s->held_lock, NULL) != 0) {
		free(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (pthread_condattr_init(&monotonic) != 0) {
		pthread_mutex_destroy(&s->held_lock);
		free(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->sweep_wake, &monotonic) != 0) {
		pthread_condattr_destroy(&monotonic);
		pthread_mutex_destroy(&s->held_lock);
		free(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	pthread_condattr_destroy(&monotonic);
	s->daemon = MHD_start_daemon(
	        flags, (uint16_t)opt->port, NULL, NULL, on_access, s, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_UNESCAPE_CALLBACK,
	        unescape, s, MHD_OPTION_CONNECTION_TIMEOUT,
	        opt->timeout_seconds ? opt->timeout_seconds : 30u, MHD_OPTION_THREAD_POOL_SIZE,
	        opt->threads ? opt->threads : 1u, MHD_OPTION_CONNECTION_LIMIT,
	        opt->connection_limit ? opt->connection_limit : 64u,
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->per_ip_limit,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	        opt->connection_memory ? opt->connection_memory : (size_t)(64 * 1024),
	        MHD_OPTION_END);
	if (s->daemon == NULL) {
		pthread_cond_destroy(&s->sweep_wake);
		pthread_mutex_destroy(&s->held_lock);
		free(s);
		return relais_fail(ctx, RELAIS_EIO, "cannot listen on %s:%u (in use?)", address,
		                   opt->port);
	}
	if (pthread_create(&s->sweeper, NULL, sweep, s) != 0) {
		relais_http_stop(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "cannot start the deadline thread");
	}
	s->sweeper_started = 1;
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : opt->port;
	*out = s;
	return 0;
}

unsigned relais_http_port(const relais_http_server *s)
{
	return s->port;
}

void relais_http_stop(relais_http_server *s)
{
	if (s == NULL) {
		return;
	}
	if (s->sweeper_started) {
		pthread_mutex_lock(&s->held_lock);
		s->stopping = 1;
		pthread_cond_signal(&s->sweep_wake);
		pthread_mutex_unlock(&s->held_lock);
		pthread_join(s->sweeper, NULL);
	}
	MHD_stop_daemon(s->daemon);
	pthread_cond_destroy(&s->sweep_wake);
	pthread_mutex_destroy(&s->held_lock);
	free(s);
}

/* --- work off the network threads --- */

static void *pool_main(void *arg)
{
	struct pool_thread *t = arg;
	relais_http_pool *pool = t->pool;
	relais_http_response *resp;
	relais_http_request *req;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->head == NULL && !pool->stopping) {
			pthread_cond_wait(&pool->wake, &pool->lock);
		}
		req = pool->head;
		if (req == NULL) {
			pthread_mutex_unlock(&pool->lock);
			return NULL; /* stopping, and nothing left */
		}
		pool->head = req->next;
		if (pool->head == NULL) {
			pool->tail = NULL;
		}
		pthread_mutex_unlock(&pool->lock);
		resp = req->job(req->job_data, t->local, req);
		if (resp == &streamed_marker) {
			continue; /* answered already: req may be gone */
		}
		req->job_result = resp;
		req->job_done = 1;
		MHD_resume_connection(req->conn);
	}
}

int relais_http_pool_new(relais_http_pool **out, relais_ctx *ctx, unsigned threads,
                         void *const *locals)
{
	relais_http_pool *pool;
	unsigned i;

	*out = NULL;
	assert(threads >= 1 && threads <= POOL_MAX);
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	for (i = 0; i < threads; i++) {
		pool->locals[i] = locals[i];
		pool->args[i].pool = pool;
		pool->args[i].local = locals[i];
		if (pthread_create(&pool->threads[i], NULL, pool_main, &pool->args[i]) != 0) {
			break;
		}
		pool->n++;
	}
	if (pool->n < threads) {
		relais_http_pool_drain(pool);
		relais_http_pool_free(pool);
		return relais_fail(ctx, RELAIS_ENOMEM, "cannot start worker threads");
	}
	*out = pool;
	return 0;
}

void relais_http_pool_drain(relais_http_pool *pool)
{
	unsigned i;

	if (pool == NULL) {
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->n; i++) {
		pthread_join(pool->threads[i], NULL);
	}
	pool->n = 0;
}

void relais_http_pool_free(relais_http_pool *pool)
{
	if (pool == NULL) {
		return;
	}
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	free(pool);
}

relais_http_response *relais_http_defer(relais_http_request *req, relais_http_pool *pool,
                                        relais_http_job_fn fn, void *data)
{
	req->pool = pool;
	req->job = fn;
	req->job_data = data;
	return &deferred_marker;
}

/* --- streamed responses --- */

#define STREAM_BUFFER (64 * 1024)
#define STREAM_FLUSH_MS 10

/*
 * A streamed body: the writer (a job) fills buf and appends it to the
 * spool file fd; the reader (the connection's network thread) sends the
 * spool's first flushed bytes. When the reader has caught up, it suspends
 * its connection (libmicrohttpd allows it from a content reader; returning
 * 0 alone would make its polling thread spin) and the writer's next flush,
 * or its close, resumes it. Shared by both ends, freed by the last one.
 */
struct relais_http_stream {
	pthread_mutex_t lock;
	int fd;
	struct MHD_Connection *conn; /* set when the response is queued */
	uint64_t flushed;            /* bytes in the spool */
	int refs;                    /* the writer's end, the response */
	int waiting;                 /* the connection is suspended until the next flush */
	int closed, complete;        /* the writer is done; the body is whole */
	int gone;                    /* the response was freed: nobody reads */
	int failed;                  /* the spool could not be written */
	uint64_t flush_at;           /* ms, CLOCK_MONOTONIC: the last flush */
	size_t len;                  /* bytes in buf */
	unsigned char buf[STREAM_BUFFER];
};

/* Drops one end's reference; frees the stream with the last. */
static void stream_unref(relais_http_stream *st, int response)
{
	int last;

	pthread_mutex_lock(&st->lock);
	if (response) {
		st->gone = 1;
	}
	last = --st->refs == 0;
	pthread_mutex_unlock(&st->lock);
	if (last) {
		close(st->fd);
		pthread_mutex_destroy(&st->lock);
		free(st);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	relais_http_stream *st = cls;
	ssize_t got;
	size_t n;

	pthread_mutex_lock(&st->lock);
	if (pos >= st->flushed) {
		if (st->closed) {
			got = st->complete ? MHD_CONTENT_READER_END_OF_STREAM
			                   : MHD_CONTENT_READER_END_WITH_ERROR;
		} else {
			st->waiting = 1;
			MHD_suspend_connection(st->conn);
			got = 0; /* called again once resumed */
		}
		pthread_mutex_unlock(&st->lock);
		return got;
	}
	n = st->flushed - pos < max ? (size_t)(st->flushed - pos) : max;
	pthread_mutex_unlock(&st->lock);
	do {
		got = pread(st->fd, buf, n, (off_t)pos);
	} while (got < 0 && errno == EINTR);
	return got > 0 ? got : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	stream_unref(cls, 1);
}

/* The connection st's reader suspends and its writer resumes. */
static void stream_attach(relais_http_stream *st, struct MHD_Connection *conn)
{
	pthread_mutex_lock(&st->lock);
	st->conn = conn;
	pthread_mutex_unlock(&st->lock);
}

/* Opens an unlinked temporary file in $TMPDIR (or /tmp); -1 when it cannot. */
static int spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0') {
		dir = "/tmp";
	}
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		return fd;
	}
#endif
	if (snprintf(path, sizeof(path), "%s/relais-spool-XXXXXX", dir) >= (int)sizeof(path)) {
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0) {
		(void)unlink(path);
	}
	return fd;
}

relais_http_response *relais_http_response_stream(relais_http_stream **out, unsigned status,
                                                  const char *type)
{
	relais_http_stream *st;
	relais_http_response *resp;
	struct MHD_Response *r;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return NULL;
	}
	if ((st->fd = spool_open()) < 0) {
		free(st);
		return NULL;
	}
	if (pthread_mutex_init(&st->lock, NULL) != 0) {
		close(st->fd);
		free(st);
		return NULL;
	}
	st->refs = 2;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, FRAMED_BLOCK, stream_read, st,
	                                      stream_free);
	if (r == NULL) {
		st->refs = 1;
		stream_unref(st, 0);
		return NULL;
	}
	resp = wrap(r, status, type); /* on failure, frees r and so the response's end */
	if (resp == NULL) {
		stream_unref(st, 0);
		return NULL;
	}
	resp->stream = st;
	*out = st;
	return resp;
}

relais_http_response *relais_http_stream_begin(relais_http_request *req, relais_http_response *resp)
{
	assert(resp->stream != NULL && req->job != NULL);
	req->job_result = resp;
	req->job_done = 1;
	if (!req->job_inline) {
		MHD_resume_connection(req->conn);
	}
	return &streamed_marker;
}

/* Appends buf to the spool and wakes the reader. Returns as relais_http_stream_write(). */
static int stream_flush(relais_http_stream *st)
{
	size_t done = 0;
	ssize_t n;
	int gone;

	while (done < st->len && !st->failed) {
		n = pwrite(st->fd, st->buf + done, st->len - done, (off_t)(st->flushed + done));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			st->failed = 1;
		} else {
			done += (size_t)n;
		}
	}
	st->len = 0;
	st->flush_at = now_ms();
	pthread_mutex_lock(&st->lock);
	st->flushed += done;
	gone = st->gone;
	if (st->waiting && done > 0) {
		st->waiting = 0;
		MHD_resume_connection(st->conn);
	}
	pthread_mutex_unlock(&st->lock);
	return st->failed ? RELAIS_EIO : gone ? RELAIS_ENOTFOUND : 0;
}

int relais_http_stream_write(relais_http_stream *st, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n;
	int rc;

	if (st->failed) {
		return RELAIS_EIO;
	}
	while (len > 0) {
		n = STREAM_BUFFER - st->len < len ? STREAM_BUFFER - st->len : len;
		memcpy(st->buf + st->len, p, n);
		st->len += n;
		p += n;
		len -= n;
		if (st->len == STREAM_BUFFER && (rc = stream_flush(st)) != 0) {
			return rc;
		}
	}
	/* A slow query's rows go out within STREAM_FLUSH_MS, not a buffer at a time. */
	if (st->len > 0 && now_ms() - st->flush_at >= STREAM_FLUSH_MS) {
		return stream_flush(st);
	}
	return 0;
}

void relais_http_stream_close(relais_http_stream *st, int ok)
{
	if (st == NULL) {
		return;
	}
	if (ok && st->len > 0) {
		(void)stream_flush(st); /* a failure sets st->failed, read below */
	}
	pthread_mutex_lock(&st->lock);
	st->closed = 1;
	st->complete = ok && !st->failed;
	if (st->waiting) {
		st->waiting = 0;
		MHD_resume_connection(st->conn);
	}
	pthread_mutex_unlock(&st->lock);
	stream_unref(st, 0);
}

/* --- urlencoded forms --- */

int relais_http_is_form(const char *content_type)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	return content_type != NULL && strncasecmp(content_type, form, n) == 0 &&
	       (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* Decodes s[0..n) (+ and %XX) into a new string. */
static int decode(char **out, const char *s, size_t n, size_t max)
{
	char *d;
	size_t i, w = 0;

	*out = NULL;
	if (n > 3 * max) {
		return RELAIS_ELIMIT;
	}
	d = malloc(n + 1);
	if (d == NULL) {
		return RELAIS_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[w++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
			    (s[i + 1] == '0' && s[i + 2] == '0')) {
				free(d);
				return RELAIS_EFORMAT;
			}
			d[w++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			d[w++] = s[i];
		}
	}
	d[w] = '\0';
	if (w > max) {
		free(d);
		return RELAIS_ELIMIT;
	}
	*out = d;
	return 0;
}

int relais_http_form_parse(struct relais_http_field **fields, size_t *n, const char *body,
                           size_t len, size_t max_fields, size_t max_value)
{
	struct relais_http_field *f = NULL;
	size_t count = 0, pos = 0;
	int rc = 0;

	*fields = NULL;
	*n = 0;
	while (pos < len) {
		const char *start = body + pos, *amp = memchr(start, '&', len - pos), *eq;
		size_t seg = amp ? (size_t)(amp - start) : len - pos;
		struct relais_http_field *more;
		pos += seg + 1;
		if (seg == 0) {
			continue;
		}
		if (count >= max_fields) {
			rc = RELAIS_ELIMIT;
			goto out;
		}
		more = realloc(f, (count + 1) * sizeof(*f));
		if (more == NULL) {
			rc = RELAIS_ENOMEM;
			goto out;
		}
		f = more;
		memset(&f[count], 0, sizeof(f[count]));
		count++;
		eq = memchr(start, '=', seg);
		if ((rc = decode(&f[count - 1].name, start, eq ? (size_t)(eq - start) : seg,
		                 max_value)) != 0 ||
		    (rc = decode(&f[count - 1].value, eq ? eq + 1 : start + seg,
		                 eq ? seg - (size_t)(eq - start) - 1 : 0, max_value)) != 0) {
			goto out;
		}
	}
	*fields = f;
	*n = count;
	f = NULL;
	count = 0;
out:
	relais_http_fields_free(f, count);
	return rc;
}

void relais_http_fields_free(struct relais_http_field *fields, size_t n)
{
	size_t i;

	for (i = 0; fields != NULL && i < n; i++) {
		free(fields[i].name);
		free(fields[i].value);
	}
	free(fields);
}

/* ---- files served as immutable, cacheable resources ---- */

#include <sys/stat.h> /* here, so that this part stays one appended block */

int relais_http_etag_matches(const relais_http_request *req, const char *etag)
{
	const char *h = relais_http_header(req, "If-None-Match");
	size_t n = strlen(etag);

	if (h == NULL) {
		return 0;
	}
	while (*h != '\0') {
		while (*h == ' ' || *h == '\t' || *h == ',') {
			h++;
		}
		if (*h == '*') {
			return 1;
		}
		if (strncmp(h, "W/", 2) == 0) {
			h += 2; /* If-None-Match compares weakly */
		}
		if (*h == '"' && strncmp(h + 1, etag, n) == 0 && h[n + 1] == '"') {
			return 1;
		}
		while (*h != '\0' && *h != ',') {
			h++;
		}
	}
	return 0;
}

/*
 * Reads one "bytes=" range of a file of size bytes: 1 with [*first, *last]
 * when satisfiable, 0 when the header is to be ignored (absent, malformed,
 * several ranges), -1 when unsatisfiable.
 */
static int parse_range(uint64_t *first, uint64_t *last, const char *h, uint64_t size)
{
	unsigned long long a = 0, b = 0;
	const char *p;
	char *end;

	if (h == NULL || strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL) {
		return 0;
	}
	p = h + 6;
	while (*p == ' ') {
		p++;
	}
	if (*p == '-') {
		if (!isdigit((unsigned char)p[1])) {
			return 0;
		}
		errno = 0;
		b = strtoull(p + 1, &end, 10);
		if (errno != 0 || *end != '\0') {
			return 0;
		}
		if (b == 0 || size == 0) {
			return -1;
		}
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (!isdigit((unsigned char)*p)) {
		return 0;
	}
	errno = 0;
	a = strtoull(p, &end, 10);
	if (errno != 0 || *end != '-') {
		return 0;
	}
	p = end + 1;
	if (*p == '\0') {
		b = UINT64_MAX;
	} else {
		if (!isdigit((unsigned char)*p)) {
			return 0;
		}
		errno = 0;
		b = strtoull(p, &end, 10);
		if (errno != 0 || *end != '\0' || b < a) {
			return 0;
		}
	}
	if (a >= size) {
		return -1;
	}
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}

static int add_headers(relais_http_response *resp, const char *etag, const char *cache_control)
{
	char quoted[160];

	if (snprintf(quoted, sizeof(quoted), "\"%s\"", etag) >= (int)sizeof(quoted)) {
		return RELAIS_EINVAL;
	}
	return relais_http_response_header(resp, "ETag", quoted) != 0 ||
	                       relais_http_response_header(resp, "Cache-Control", cache_control) !=
	                               0 ||
	                       relais_http_response_header(resp, "Accept-Ranges", "bytes") != 0
	               ? RELAIS_ENOMEM
	               : 0;
}

relais_http_response *relais_http_respond_file(const relais_http_request *req, const char *path,
                                               const char *type, const char *etag,
                                               const char *cache_control)
{
	relais_http_response *resp = NULL;
	const char *if_range = relais_http_header(req, "If-Range");
	char quoted[160], range[128];
	uint64_t first = 0, last = 0, size;
	struct stat sb;
	int fd, r;

	if (relais_http_etag_matches(req, etag)) {
		resp = relais_http_response_buffer(304, NULL, "", 0, RELAIS_HTTP_PERSISTENT);
		if (resp != NULL && add_headers(resp, etag, cache_control) != 0) {
			relais_http_response_free(resp);
			resp = NULL;
		}
		return resp;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0) {
			close(fd);
		}
		return relais_http_response_buffer(404, "text/plain", "not found\n", 10,
		                                   RELAIS_HTTP_PERSISTENT);
	}
	size = (uint64_t)sb.st_size;
	(void)snprintf(quoted, sizeof(quoted), "\"%s\"", etag);
	r = parse_range(&first, &last, relais_http_header(req, "Range"), size);
	if (r != 0 && if_range != NULL && strcmp(if_range, quoted) != 0) {
		r = 0; /* the client's copy is of another file: all of this one */
	}
	if (r < 0) {
		(void)snprintf(range, sizeof(range), "bytes */%llu", (unsigned long long)size);
		resp = relais_http_response_buffer(416, "text/plain", "range not satisfiable\n", 22,
		                                   RELAIS_HTTP_PERSISTENT);
	} else if (r > 0) {
		(void)snprintf(range, sizeof(range), "bytes %llu-%llu/%llu",
		               (unsigned long long)first, (unsigned long long)last,
		               (unsigned long long)size);
		resp = relais_http_response_file(206, type, fd, first, last - first + 1, NULL, 0,
		                                 NULL, 0);
	} else {
		resp = relais_http_response_file(200, type, fd, 0, size, NULL, 0, NULL, 0);
	}
	close(fd);
	if (resp != NULL &&
	    (add_headers(resp, etag, cache_control) != 0 ||
	     (r != 0 && relais_http_response_header(resp, "Content-Range", range) != 0))) {
		relais_http_response_free(resp);
		resp = NULL;
	}
	return resp;
}
