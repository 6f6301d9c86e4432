/* test_http.c: the HTTP helper: its form parser, the deadlines and streamed answers of a real
 * server on loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "relais/error.h"
#include "relais/http.h"

static int parse(struct relais_http_field **f, size_t *n, const char *body)
{
	return relais_http_form_parse(f, n, body, strlen(body), 8, 16);
}

static void test_form_fields_decoded_in_order(void **state)
{
	struct relais_http_field *f = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(&f, &n, "token=ab%2Fc&q=a+b&&empty=&bare&q=%C3%A9"), 0);
	assert_int_equal(n, 5);
	assert_string_equal(f[0].name, "token");
	assert_string_equal(f[0].value, "ab/c");
	assert_string_equal(f[1].value, "a b");
	assert_string_equal(f[2].name, "empty");
	assert_string_equal(f[2].value, "");
	assert_string_equal(f[3].name, "bare");
	assert_string_equal(f[3].value, "");
	assert_string_equal(f[4].name, "q");
	assert_string_equal(f[4].value, "\xc3\xa9");
	relais_http_fields_free(f, n);
}

static void test_form_limits_and_bad_escapes(void **state)
{
	struct relais_http_field *f = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(&f, &n, "a=1&a=2&a=3&a=4&a=5&a=6&a=7&a=8&a=9"), RELAIS_ELIMIT);
	assert_null(f);
	assert_int_equal(parse(&f, &n, "a=12345678901234567"), RELAIS_ELIMIT);
	assert_int_equal(parse(&f, &n, "a=%zz"), RELAIS_EFORMAT);
	assert_int_equal(parse(&f, &n, "a=%4"), RELAIS_EFORMAT);
	assert_int_equal(parse(&f, &n, "a=x%00y"), RELAIS_EFORMAT);
	assert_int_equal(n, 0);
}

static void test_form_content_type(void **state)
{
	(void)state;
	assert_true(relais_http_is_form("application/x-www-form-urlencoded"));
	assert_true(relais_http_is_form("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
	assert_false(relais_http_is_form("application/x-www-form-urlencodedx"));
	assert_false(relais_http_is_form("multipart/form-data; boundary=x"));
	assert_false(relais_http_is_form(NULL));
}

/* --- deadlines: a server whose headers are due in 1 s, bodies in 1 s + 1 ms a byte --- */

static relais_http_response *accept_body(void *data, relais_http_request *req)
{
	(void)data;
	relais_http_body_limit(req, 64 * 1024);
	return NULL;
}

/* Answers 200 with the body's length. */
static relais_http_response *answer(void *data, relais_http_request *req)
{
	char text[32];
	size_t len;

	(void)data;
	(void)relais_http_body(req, &len);
	(void)snprintf(text, sizeof(text), "got %zu", len);
	return relais_http_response_buffer(200, "text/plain", text, strlen(text), RELAIS_HTTP_COPY);
}

struct served {
	relais_ctx *ctx;
	relais_http_server *server;
};

static int serve(void **state)
{
	struct served *sv = calloc(1, sizeof(*sv));
	struct relais_http_options opt;

	memset(&opt, 0, sizeof(opt));
	opt.threads = 2;
	opt.timeout_seconds = 120; /* idle timeout: never what closes a connection here */
	opt.header_timeout_seconds = 1;
	opt.body_timeout_seconds = 1;
	opt.body_min_rate = 1000;
	opt.on_headers = accept_body;
	opt.on_request = answer;
	assert_non_null(sv);
	assert_int_equal(relais_ctx_new(&sv->ctx), 0);
	assert_int_equal(relais_http_start(&sv->server, sv->ctx, &opt), 0);
	*state = sv;
	return 0;
}

static int unserve(void **state)
{
	struct served *sv = *state;

	relais_http_stop(sv->server);
	relais_ctx_free(sv->ctx);
	free(sv);
	return 0;
}

static int dial(const struct served *sv)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)relais_http_port(sv->server));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* A whole request on a new connection: the answer's first bytes (up to 255). */
static void exchange(char *got, size_t size, const struct served *sv, const char *request)
{
	int fd = dial(sv);
	size_t n = 0;
	ssize_t r;

	send_all(fd, request);
	while (n + 1 < size) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 30000) != 1 || (r = recv(fd, got + n, size - 1 - n, 0)) <= 0) {
			break;
		}
		n += (size_t)r;
		got[n] = '\0';
		if (strstr(got, "got ") != NULL) {
			break;
		}
	}
	got[n] = '\0';
	close(fd);
}

/*
 * Sends drip every 100 ms on fd until the server ends the connection, or
 * for at most limit_s seconds. Returns 1 when the server ended it with no
 * answer, 0 when it was still open at the end (or answered).
 */
static int drip_until_closed(int fd, const char *drip, int limit_s)
{
	time_t end = time(NULL) + limit_s;
	char buf[256];

	while (time(NULL) < end) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 100) == 1) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			return r == 0 || (r < 0 && errno == ECONNRESET);
		}
		if (send(fd, drip, strlen(drip), MSG_NOSIGNAL) < 0) {
			return errno == EPIPE || errno == ECONNRESET;
		}
	}
	return 0;
}

static void test_slow_headers_are_cut_while_others_are_served(void **state)
{
	const struct served *sv = *state;
	char got[256] = "";
	int slow = dial(sv);

	send_all(slow, "GET / HTTP/1.1\r\nHost: x\r\n");
	exchange(got, sizeof(got), sv, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_non_null(strstr(got, "HTTP/1.1 200"));
	/* One header line every 100 ms: the idle timeout never comes, the deadline does. */
	assert_true(drip_until_closed(slow, "X-Slow: 1\r\n", 20));
	close(slow);
}

static void test_kept_alive_connection_next_headers_are_due_too(void **state)
{
	const struct served *sv = *state;
	char buf[512];
	int fd = dial(sv);
	ssize_t r;

	send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	r = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	send_all(fd, "GET / HTTP/1.1\r\n");
	assert_true(drip_until_closed(fd, "X-Slow: 1\r\n", 20));
	close(fd);
}

static void test_slow_body_is_cut_and_a_brisk_one_served(void **state)
{
	const struct served *sv = *state;
	char got[256] = "", body[2001], request[2200];
	int slow = dial(sv);

	/* 2000 bytes are due within 1 s + 2 s; one byte every 100 ms would take 200 s. */
	send_all(slow, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n");
	memset(body, 'a', 2000);
	body[2000] = '\0';
	(void)snprintf(request, sizeof(request),
	               "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	               "Content-Length: 2000\r\n\r\n%s",
	               body);
	exchange(got, sizeof(got), sv, request);
	assert_non_null(strstr(got, "HTTP/1.1 200"));
	assert_non_null(strstr(got, "got 2000"));
	assert_true(drip_until_closed(slow, "a", 20));
	close(slow);
}

static void test_slow_chunked_body_is_cut(void **state)
{
	const struct served *sv = *state;
	int slow = dial(sv);

	/* Judged by what came: 1 s + a few ms, and one byte a chunk every 100 ms. */
	send_all(slow, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_true(drip_until_closed(slow, "1\r\na\r\n", 20));
	close(slow);
}

/* --- streamed answers: a job writes, the connection sends what is written --- */

#define BIG (8u * 1024 * 1024)

struct streamer {
	relais_ctx *ctx;
	relais_http_server *server;
	relais_http_pool *pool;
	int gate[2]; /* the job waits for a byte here before its second part */
	int done[2]; /* the job writes a byte here once it has closed the stream */
};

/* GET /gated: "first\n", then (once the gate opens) "second\n". /fail: the same, cut.
 * /big: BIG bytes, i % 251 each. */
static relais_http_response *stream_job(void *data, void *local, relais_http_request *req)
{
	struct streamer *sr = data;
	const char *path = relais_http_path(req);
	int big = strcmp(path, "/big") == 0, fail = strcmp(path, "/fail") == 0;
	relais_http_stream *st;
	relais_http_response *resp = relais_http_response_stream(&st, 200, "text/plain");
	unsigned char block[4096];
	char c;
	size_t i, j;

	(void)local;
	assert_non_null(resp);
	resp = relais_http_stream_begin(req, resp); /* req is no longer ours */
	if (big) {
		for (i = 0; i < BIG; i += sizeof(block)) {
			for (j = 0; j < sizeof(block); j++) {
				block[j] = (unsigned char)((i + j) % 251);
			}
			assert_int_equal(relais_http_stream_write(st, block, sizeof(block)), 0);
		}
	} else {
		assert_int_equal(relais_http_stream_write(st, "first\n", 6), 0);
		assert_int_equal(read(sr->gate[0], &c, 1), 1);
		assert_int_equal(relais_http_stream_write(st, "second\n", 7), 0);
	}
	relais_http_stream_close(st, !fail);
	assert_int_equal(write(sr->done[1], "x", 1), 1);
	return resp;
}

static relais_http_response *defer_stream(void *data, relais_http_request *req)
{
	struct streamer *sr = data;

	return relais_http_defer(req, sr->pool, stream_job, sr);
}

static int stream_serve(void **state)
{
	struct streamer *sr = calloc(1, sizeof(*sr));
	struct relais_http_options opt;
	void *locals[1] = {NULL};

	assert_non_null(sr);
	memset(&opt, 0, sizeof(opt));
	opt.threads = 2;
	opt.on_request = defer_stream;
	opt.data = sr;
	assert_int_equal(pipe(sr->gate), 0);
	assert_int_equal(pipe(sr->done), 0);
	assert_int_equal(relais_ctx_new(&sr->ctx), 0);
	assert_int_equal(relais_http_pool_new(&sr->pool, sr->ctx, 1, locals), 0);
	assert_int_equal(relais_http_start(&sr->server, sr->ctx, &opt), 0);
	*state = sr;
	return 0;
}

static int stream_unserve(void **state)
{
	struct streamer *sr = *state;

	(void)write(sr->gate[1], "x", 1); /* a failed test's job is not left waiting */
	relais_http_pool_drain(sr->pool);
	relais_http_stop(sr->server);
	relais_http_pool_free(sr->pool);
	relais_ctx_free(sr->ctx);
	close(sr->gate[0]);
	close(sr->gate[1]);
	close(sr->done[0]);
	close(sr->done[1]);
	free(sr);
	return 0;
}

static int stream_dial(const struct streamer *sr, const char *path)
{
	struct served sv = {sr->ctx, sr->server};
	char request[128];
	int fd = dial(&sv);

	(void)snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	send_all(fd, request);
	return fd;
}

/* Reads from fd into got (NUL-terminated) until it holds want (NULL: to the end), or the end. */
static size_t read_until(int fd, char *got, size_t size, size_t n, const char *want)
{
	size_t w = want ? strlen(want) : 0, from = 0;
	ssize_t r;

	while (n + 1 < size && (want == NULL || memmem(got + from, n - from, want, w) == NULL)) {
		struct pollfd p = {fd, POLLIN, 0};
		from = n > w ? n - w : 0; /* only where want may now end */
		if (poll(&p, 1, 30000) != 1 || (r = recv(fd, got + n, size - 1 - n, 0)) <= 0) {
			break;
		}
		n += (size_t)r;
		got[n] = '\0';
	}
	return n;
}

/* Whether the job said it is done within ms. */
static int job_done(const struct streamer *sr, int ms)
{
	struct pollfd p = {sr->done[0], POLLIN, 0};
	char c;

	return poll(&p, 1, ms) == 1 && read(sr->done[0], &c, 1) == 1;
}

/*
 * GET path of a gated job: the headers and "first\n" come while the job waits
 * for the gate (before the rest exists); once it opens, "second\n" and the
 * final chunk when complete, else the connection's end without a final chunk.
 */
static void gated(const struct streamer *sr, const char *path, int complete)
{
	static char got[4096];
	int fd = stream_dial(sr, path);
	size_t n;

	got[0] = '\0';
	n = read_until(fd, got, sizeof(got), 0, "first\n");
	assert_non_null(strstr(got, "HTTP/1.1 200"));
	assert_non_null(strstr(got, "Transfer-Encoding: chunked"));
	assert_non_null(strstr(got, "X-Content-Type-Options: nosniff"));
	assert_null(strstr(got, "Content-Length"));
	assert_non_null(strstr(got, "first\n"));
	assert_false(job_done(sr, 0));
	assert_int_equal(write(sr->gate[1], "x", 1), 1);
	(void)read_until(fd, got, sizeof(got), n, complete ? "\r\n0\r\n\r\n" : NULL);
	assert_true(!complete || strstr(got, "second\n") != NULL);
	assert_int_equal(strstr(got, "\r\n0\r\n\r\n") != NULL, complete);
	assert_true(job_done(sr, 30000));
	close(fd);
}

static void test_stream_sends_first_bytes_before_the_rest_exists(void **state)
{
	gated(*state, "/gated", 1);
}

static void test_stream_cut_midway_has_no_final_chunk(void **state)
{
	gated(*state, "/fail", 0);
}

/* Decodes a chunked body in place: its length, or (size_t)-1 without a final chunk. */
static size_t dechunk(unsigned char *b, size_t n)
{
	size_t r = 0, w = 0;
	char *end;

	for (;;) {
		unsigned long len = strtoul((char *)b + r, &end, 16);
		size_t at = (size_t)((unsigned char *)end - b);
		if (at + 2 > n || b[at] != '\r') {
			return (size_t)-1;
		}
		r = at + 2;
		if (len == 0) {
			return w;
		}
		if (r + len + 2 > n) {
			return (size_t)-1;
		}
		memmove(b + w, b + r, len);
		w += len;
		r += len + 2;
	}
}

static void test_stream_job_ends_while_a_client_reads_nothing(void **state)
{
	const struct streamer *sr = *state;
	size_t size = BIG + 1024 * 1024, n = 0, i, body;
	unsigned char *got = malloc(size + 1);
	int fd = stream_dial(sr, "/big");
	char *start;

	assert_non_null(got);
	/* 8 MiB, far more than the socket buffers hold: the job finishes into its spool. */
	assert_true(job_done(sr, 30000));
	n = read_until(fd, (char *)got, size + 1, 0, "\r\n0\r\n\r\n");
	close(fd);
	start = strstr((char *)got, "\r\n\r\n");
	assert_non_null(start);
	start += 4;
	body = dechunk((unsigned char *)start, n - (size_t)(start - (char *)got));
	assert_int_equal(body, BIG);
	for (i = 0; i < BIG; i++) {
		if ((unsigned char)start[i] != i % 251) {
			fail_msg("byte %zu differs", i);
		}
	}
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_form_fields_decoded_in_order),
	        cmocka_unit_test(test_form_limits_and_bad_escapes),
	        cmocka_unit_test(test_form_content_type),
	        cmocka_unit_test_setup_teardown(test_slow_headers_are_cut_while_others_are_served,
	                                        serve, unserve),
	        cmocka_unit_test_setup_teardown(test_kept_alive_connection_next_headers_are_due_too,
	                                        serve, unserve),
	        cmocka_unit_test_setup_teardown(test_slow_body_is_cut_and_a_brisk_one_served, serve,
	                                        unserve),
	        cmocka_unit_test_setup_teardown(test_slow_chunked_body_is_cut, serve, unserve),
	        cmocka_unit_test_setup_teardown(
	                test_stream_sends_first_bytes_before_the_rest_exists, stream_serve,
	                stream_unserve),
	        cmocka_unit_test_setup_teardown(test_stream_cut_midway_has_no_final_chunk,
	                                        stream_serve, stream_unserve),
	        cmocka_unit_test_setup_teardown(test_stream_job_ends_while_a_client_reads_nothing,
	                                        stream_serve, stream_unserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
