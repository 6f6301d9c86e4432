/* fuzz_hub_request.c: libFuzzer harness for the hub's request handling: raw HTTP to a running hub.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sodium.h>

#include "relais/hub.h"

/*
 * The hub is started once, on a database in a temporary folder with one
 * credential and one coordinator, and each input is sent on a new
 * connection as it is, except that "@@" becomes the credential's Basic
 * value (base64 of key:secret), so that inputs get past the credentials
 * check into the statements code. The hub's threads run in this process:
 * a crash or sanitizer report in them fails the run.
 */
struct fixture {
	relais_ctx *ctx;
	relais_hub *hub;
	relais_hub_server *server;
	unsigned port;
	char auth[160];
};

static struct fixture *fixture(void)
{
	static struct fixture f;
	static int ready;
	char dir[] = "/dev/shm/fuzz-hub-XXXXXX", tmp[] = "/tmp/fuzz-hub-XXXXXX", path[64],
	     key[RELAIS_HUB_KEY_HEX], secret[RELAIS_HUB_SECRET_HEX], pair[128];
	struct relais_hub_server_options opt = {0};
	const char *where;

	if (ready) {
		return &f;
	}
	signal(SIGPIPE, SIG_IGN);
	/* In memory when it can: every stored batch is a full fsync. */
	if ((where = mkdtemp(dir)) == NULL) {
		where = mkdtemp(tmp);
	}
	if (sodium_init() < 0 || relais_ctx_new(&f.ctx) != 0 || where == NULL) {
		abort();
	}
	(void)snprintf(path, sizeof(path), "%s/hub.db", where);
	opt.address = "127.0.0.1";
	if (relais_hub_open(&f.hub, f.ctx, path) != 0 ||
	    relais_hub_credentials_add(f.hub, f.ctx, "fuzz", RELAIS_HUB_SCOPES_LAPTOP, key,
	                               secret) != 0 ||
	    relais_hub_coordinator_add(f.hub, f.ctx, "coord@example.org", "correct horse battery",
	                               NULL) != 0 ||
	    relais_hub_server_start(&f.server, f.ctx, f.hub, &opt) != 0) {
		abort();
	}
	f.port = relais_hub_server_port(f.server);
	(void)snprintf(pair, sizeof(pair), "%s:%s", key, secret);
	sodium_bin2base64(f.auth, sizeof(f.auth), (const unsigned char *)pair, strlen(pair),
	                  sodium_base64_VARIANT_ORIGINAL);
	ready = 1;
	return &f;
}

/* Whether buf holds a whole response: its head and Content-Length bytes of body. */
static int complete(const char *buf, size_t got)
{
	const char *end = memmem(buf, got, "\r\n\r\n", 4), *cl;
	size_t head;

	if (end == NULL) {
		return 0;
	}
	head = (size_t)(end - buf) + 4;
	cl = memmem(buf, head, "Content-Length: ", 16);
	return cl != NULL && got >= head + strtoul(cl + 16, NULL, 10);
}

/*
 * Sends request on a new connection, then reads until a whole response is
 * in, the hub closes, or 2 s pass. Whatever the hub says is HTTP.
 */
static void exchange(unsigned port, const char *request, size_t len)
{
	struct sockaddr_in a;
	struct timeval tv = {2, 0};
	char buf[65536];
	size_t got = 0;
	ssize_t n;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0) {
		abort();
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		abort(); /* the hub stopped listening */
	}
	(void)send(s, request, len, MSG_NOSIGNAL);
	(void)shutdown(s, SHUT_WR);
	while (got < sizeof(buf) - 1 && (n = recv(s, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		if (got >= 7 && memcmp(buf, "HTTP/1.", 7) != 0) {
			abort();
		}
		if (complete(buf, got)) {
			break;
		}
	}
	close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *f = fixture();
	size_t alen = strlen(f->auth), i, o = 0;
	char *req;

	if (size > 1024 * 1024) {
		return 0;
	}
	req = malloc(size * (alen > 2 ? alen : 2) + 1);
	if (req == NULL) {
		abort();
	}
	for (i = 0; i < size; i++) {
		if (i + 1 < size && data[i] == '@' && data[i + 1] == '@') {
			memcpy(req + o, f->auth, alen);
			o += alen;
			i++;
		} else {
			req[o++] = (char)data[i];
		}
	}
	exchange(f->port, req, o);
	free(req);
	return 0;
}
