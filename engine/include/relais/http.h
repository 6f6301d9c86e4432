/* http.h: the one HTTP server helper both servers (reader, hub) answer through. */
#ifndef RELAIS_HTTP_H
#define RELAIS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

/*
 * A server is a pool of network threads calling the caller's handlers. A
 * request is opaque and borrowed by the handlers for the time of the call;
 * a handler answers with a response it made, which the server sends and
 * frees. Every response goes out with the same security headers
 * (X-Content-Type-Options: nosniff, Referrer-Policy: same-origin,
 * X-Frame-Options: DENY, and Cache-Control: no-store unless the response
 * set its own); the Content-Security-Policy is the caller's to add.
 */

typedef struct relais_http_server relais_http_server;
typedef struct relais_http_request relais_http_request;
typedef struct relais_http_response relais_http_response;

/*
 * Called once a request's headers are in, before its body. May call
 * relais_http_body_limit() to accept a body, and may refuse right away by
 * returning a response (a 401, a 413): the body is then never read.
 * Returns NULL to go on.
 */
typedef relais_http_response *(*relais_http_headers_fn)(void *data, relais_http_request *req);

/*
 * Called once the whole request is in. Returns the response, or NULL to
 * close the connection without one (out of memory).
 */
typedef relais_http_response *(*relais_http_handler_fn)(void *data, relais_http_request *req);

struct relais_http_options {
	const char *address;       /* numeric IPv4 or IPv6; NULL: 127.0.0.1 */
	unsigned port;             /* 0: any free port */
	unsigned threads;          /* network threads; 0: 1 */
	unsigned connection_limit; /* 0: 64 */
	unsigned per_ip_limit;     /* connections from one address; 0: no limit */
	unsigned timeout_seconds;  /* idle connections close; 0: 30 */
	/* Past this many open connections, the oldest that has sent no whole
	 * request yet (else the oldest) is closed to make room; 0: never. Keep
	 * it below connection_limit, which refuses new ones outright. */
	unsigned evict_above;
	/*
	 * Deadlines, however the client spaces its bytes (the idle timeout
	 * restarts at each one). A request's line and headers must all be in
	 * within header_timeout_seconds of the connection's opening, or of the
	 * previous answer on a kept-alive connection; 0: 10. Its body must be
	 * in within body_timeout_seconds + Content-Length / body_min_rate
	 * seconds of its headers, or, for a body without a length (chunked)
	 * or longer than accepted, within body_timeout_seconds + the bytes
	 * received so far / body_min_rate; 0: 30 s and 1000 bytes/s. A
	 * connection past its deadline is closed without an answer (the
	 * request is still coming in, and libmicrohttpd sends nothing then).
	 */
	unsigned header_timeout_seconds;
	unsigned body_timeout_seconds;
	unsigned body_min_rate;
	size_t connection_memory;          /* per connection, for headers; 0: 64 KiB */
	relais_http_headers_fn on_headers; /* may be NULL */
	relais_http_handler_fn on_request;
	/* Called on every response just before it is sent (e.g. to set a header
	 * that depends on the request); returns 0, or non-zero to close the
	 * connection without an answer. May be NULL. */
	int (*on_response)(void *data, const relais_http_request *req, relais_http_response *resp);
	void *data;                    /* passed to all three */
	void (*free_user)(void *user); /* frees what relais_http_set_user() kept; may be NULL */
};

/*
 * Starts listening and answering. A path's %XX are decoded, except %00,
 * which stays as written so that a NUL never cuts a path short.
 * Returns 0, RELAIS_EINVAL (bad address or port), RELAIS_EIO (cannot
 * listen), RELAIS_ENOMEM.
 */
int relais_http_start(relais_http_server **out, relais_ctx *ctx,
                      const struct relais_http_options *opt);

/* The port the server listens on (the one chosen when asked for 0). */
unsigned relais_http_port(const relais_http_server *s);

/* Stops answering, waits for the network threads, frees; accepts NULL. */
void relais_http_stop(relais_http_server *s);

/* --- the request (borrowed, valid during the handler call) --- */

const char *relais_http_method(const relais_http_request *req);
const char *relais_http_path(const relais_http_request *req);
/* A request header's value (case-insensitive name), or NULL. */
const char *relais_http_header(const relais_http_request *req, const char *name);
/* A cookie's value, or NULL. */
const char *relais_http_cookie(const relais_http_request *req, const char *name);
/* A query argument's decoded value, or NULL. */
const char *relais_http_query(const relais_http_request *req, const char *name);

/* Calls fn for each query argument in order (value NULL for "?a"); stops when fn returns non-zero.
 * Returns how many were seen. */
typedef int (*relais_http_pair_fn)(void *data, const char *name, const char *value);
size_t relais_http_query_each(const relais_http_request *req, relais_http_pair_fn fn, void *data);

/* The client's address as text ("127.0.0.1"), "" when unknown. */
void relais_http_client_address(char *out, size_t out_size, const relais_http_request *req);

/* Whether the client accepts a gzip Content-Encoding. */
int relais_http_accepts_gzip(const relais_http_request *req);

/*
 * Accepts a body of up to max bytes (from on_headers; the default is 0).
 * A longer body is read and dropped, and relais_http_body_too_large() says so;
 * a Content-Length over max says so before any byte arrives.
 */
void relais_http_body_limit(relais_http_request *req, size_t max);
/* The body collected (NUL-terminated, the NUL not counted); "" when none. */
const char *relais_http_body(const relais_http_request *req, size_t *len);
int relais_http_body_too_large(const relais_http_request *req);

/* A pointer the handlers may keep with the request (freed by the free_user option, if any). */
void relais_http_set_user(relais_http_request *req, void *p);
void *relais_http_user(const relais_http_request *req);

/* --- work off the network threads --- */

/*
 * A pool of threads for work too slow for the network threads (password
 * hashing, reports, the store): while a job runs its connection waits and
 * every other connection goes on being served. Each thread has its own
 * local pointer (e.g. its own database connection).
 */
typedef struct relais_http_pool relais_http_pool;
typedef relais_http_response *(*relais_http_job_fn)(void *data, void *local,
                                                    relais_http_request *req);

/* Starts threads (1 to 64) threads, thread i given locals[i]. Returns 0 or RELAIS_ENOMEM. */
int relais_http_pool_new(relais_http_pool **out, relais_ctx *ctx, unsigned threads,
                         void *const *locals);

/*
 * Finishes the queued jobs and stops the threads; jobs deferred afterwards
 * run on the caller's thread (with locals[0]). Call before relais_http_stop().
 */
void relais_http_pool_drain(relais_http_pool *pool);

/* Frees a drained pool (after relais_http_stop()); accepts NULL. */
void relais_http_pool_free(relais_http_pool *pool);

/*
 * From on_headers or on_request: runs fn(data, local, req) on one of pool's
 * threads, and returns a marker that the handler must return as it is.
 * What fn returns is then what the handler would have returned.
 */
relais_http_response *relais_http_defer(relais_http_request *req, relais_http_pool *pool,
                                        relais_http_job_fn fn, void *data);

/* --- streamed responses (a body written by a job as it goes) --- */

/*
 * A streamed body: the job writes it as fast as it is produced into a
 * spool (an unlinked temporary file, in $TMPDIR or /tmp), and the
 * connection sends what was spooled so far, chunked (no Content-Length),
 * waiting, off every thread, when it has caught up with the writer. The
 * job is done when it has written everything; a slow client is then served
 * from the spool at its own pace, holding no job thread.
 */
typedef struct relais_http_stream relais_http_stream;

/*
 * A response whose body is written through *out (the writer's end, which
 * the caller must close with relais_http_stream_close() whatever happens).
 * Headers may be added as to any response. NULL: out of memory or no
 * temporary file (*out is then NULL).
 */
relais_http_response *relais_http_response_stream(relais_http_stream **out, unsigned status,
                                                  const char *type);

/*
 * From a job (relais_http_defer): sends resp (a streamed response) now, its
 * headers at once and its body as it is written. Returns what the job must
 * return as it is, once it has closed the stream. req must not be used after
 * this call (the connection may be done with it at any time), nor anything
 * it lent (paths, headers, query values).
 */
relais_http_response *relais_http_stream_begin(relais_http_request *req,
                                               relais_http_response *resp);

/*
 * Appends len bytes to the body. Returns 0; RELAIS_EIO when the spool
 * cannot be written; RELAIS_ENOTFOUND when nobody reads any more (the
 * client has gone, or asked with HEAD). Either way the job should stop.
 */
int relais_http_stream_write(relais_http_stream *st, const void *data, size_t len);

/*
 * Ends the body and frees the writer's end; accepts NULL. ok: the body is
 * complete (the terminating chunk is sent after it). !ok: the connection is
 * cut instead, so that the client sees an incomplete transfer, never a
 * shorter file that looks whole.
 */
void relais_http_stream_close(relais_http_stream *st, int ok);

/* --- responses (the server frees them once queued) --- */

enum relais_http_mem {
	RELAIS_HTTP_COPY,       /* copied now */
	RELAIS_HTTP_PERSISTENT, /* borrowed: must outlive the server (static data) */
	RELAIS_HTTP_OWNED,      /* malloc'd, freed by the response, also on failure */
};

/* A response from a buffer; type NULL sends no Content-Type. NULL: out of memory. */
relais_http_response *relais_http_response_buffer(unsigned status, const char *type,
                                                  const void *data, size_t len,
                                                  enum relais_http_mem mode);

/*
 * A response of len bytes of the file fd from offset (sent with sendfile),
 * framed by head and tail bytes when given (copied; e.g. a gzip header and
 * trailer around raw deflate data). fd stays the caller's: the response
 * keeps its own duplicate. NULL: out of memory or descriptors.
 */
relais_http_response *relais_http_response_file(unsigned status, const char *type, int fd,
                                                uint64_t offset, uint64_t len, const void *head,
                                                size_t head_len, const void *tail, size_t tail_len);

/* Adds a header (Content-Encoding, Set-Cookie, Location, ETag, CSP...). Returns 0 or RELAIS_ENOMEM.
 */
int relais_http_response_header(relais_http_response *resp, const char *name, const char *value);

/*
 * Replaces every value of header name by value (adds it when absent).
 * Returns 0 or RELAIS_ENOMEM.
 */
int relais_http_response_header_set(relais_http_response *resp, const char *name,
                                    const char *value);

/* Frees a response that was not returned to the server; accepts NULL. */
void relais_http_response_free(relais_http_response *resp);

/* --- urlencoded forms --- */

struct relais_http_field {
	char *name;
	char *value;
};

/*
 * Parses an application/x-www-form-urlencoded body into *fields (freed with
 * relais_http_fields_free). Returns 0, RELAIS_ELIMIT (more than max_fields
 * fields, or a name or value over max_value bytes), RELAIS_EFORMAT (a bad
 * %-escape or %00), RELAIS_ENOMEM. No message is set: the caller answers.
 */
int relais_http_form_parse(struct relais_http_field **fields, size_t *n, const char *body,
                           size_t len, size_t max_fields, size_t max_value);
void relais_http_fields_free(struct relais_http_field *fields, size_t n);

/* Whether a Content-Type header names a urlencoded form. */
int relais_http_is_form(const char *content_type);

/* --- files served as immutable, cacheable resources --- */

/* Whether req's If-None-Match is "*" or names the entity tag etag (given without quotes). */
int relais_http_etag_matches(const relais_http_request *req, const char *etag);

/*
 * Answers req with the file at path (Content-Type type), the resource whose
 * strong entity tag is etag (without quotes), with Cache-Control
 * cache_control and Accept-Ranges: bytes: 304 when If-None-Match names it;
 * for one "bytes=" range (a-b, a-, -n), 206 with Content-Range, unless an
 * If-Range names another tag (then 200); 416 with "Content-Range: bytes
 * * /size" when the range is unsatisfiable; 200 with the whole file
 * otherwise (several ranges or a malformed Range header are ignored, as
 * RFC 9110 allows). 404 (text) when the file cannot be opened. HEAD gets
 * the same headers and no body. NULL: out of memory.
 */
relais_http_response *relais_http_respond_file(const relais_http_request *req, const char *path,
                                               const char *type, const char *etag,
                                               const char *cache_control);

#endif
