/* test_http.c: the HTTP helper: its form parser, and the deadlines of a real server on loopback. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
