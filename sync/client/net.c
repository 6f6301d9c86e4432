/* net.c: what the sync client's requests share: hub addresses, credentials, curl's set-up. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais_config.h"

#include "client_private.h"

#define URL_MAX RELAIS_CLIENT_URL_MAX
#define CREDENTIAL_MAX RELAIS_CLIENT_CREDENTIAL_MAX

/*
 * Counts the bytes of the HTTP exchange as curl wrote and read them:
 * request and reply headers and bodies (the reply before content decoding),
 * not TLS records or TCP/IP overhead.
 */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	struct relais_client_bytes *count = userp;

	(void)h;
	(void)data;
	switch (type) {
	case CURLINFO_HEADER_OUT:
	case CURLINFO_DATA_OUT:
		*count->up += size;
		break;
	case CURLINFO_HEADER_IN:
	case CURLINFO_DATA_IN:
		*count->down += size;
		break;
	case CURLINFO_TEXT:
	case CURLINFO_SSL_DATA_IN:
	case CURLINFO_SSL_DATA_OUT:
	case CURLINFO_END:
		break;
	}
	return 0;
}

size_t relais_client_to_buffer(char *p, size_t size, size_t nmemb, void *data)
{
	struct relais_strbuf *b = data;

	(void)size; /* always 1 for curl's write callback */
	relais_strbuf_addn(b, p, nmemb);
	return b->rc == 0 ? nmemb : 0;
}

int relais_client_version_header(const char *p, size_t n)
{
	static const char name[] = "x-experience-api-version:";
	size_t i;

	if (n <= sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0) {
		return 0;
	}
	for (i = sizeof(name) - 1; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
			return 1;
		}
	}
	return 0;
}

void relais_client_printable(char *out, size_t size, const char *in, char stop)
{
	size_t n = 0;

	for (; *in != '\0' && *in != stop && n + 1 < size; in++) {
		unsigned char c = (unsigned char)*in;
		out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	while (n > 0 && out[n - 1] == ' ') {
		n--;
	}
	out[n] = '\0';
}

/* Sleeps for seconds, resuming after signals that are handled. */
void relais_client_pause(double seconds)
{
	struct timespec ts, left;

	if (seconds <= 0) {
		return;
	}
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &left) != 0 && errno == EINTR) {
		ts = left;
	}
}

/* Milliseconds since start on the monotonic clock. */
long relais_client_elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int relais_client_check_credential(relais_ctx *ctx, const char *what, const char *v, int is_key)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > CREDENTIAL_MAX) {
		return relais_fail(ctx, RELAIS_EINVAL, "the %s must have 1 to %d characters", what,
		                   CREDENTIAL_MAX);
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f || (is_key && c == ':')) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "the %s contains a character it cannot have", what);
		}
	}
	return 0;
}

/*
 * Sets *out to whether url's host, as libcurl parses it, is a loopback
 * address: 127.0.0.0/8, ::1 or exactly "localhost" (any case). A prefix test
 * would pass http://localhost.example.org or http://127.0.0.1.example.org.
 * Fails with RELAIS_EINVAL when libcurl cannot parse url.
 */
static int loopback(int *out, relais_ctx *ctx, const char *url)
{
	unsigned char a6[16];
	struct in_addr a4;
	CURLU *u = curl_url();
	char *host = NULL;
	size_t len;
	int rc = 0;

	*out = 0;
	if (u == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host == NULL) {
		rc = relais_fail(ctx, RELAIS_EINVAL, "the hub address is not a valid URL");
		goto out;
	}
	len = strlen(host);
	if (strcasecmp(host, "localhost") == 0) {
		*out = 1;
	} else if (inet_pton(AF_INET, host, &a4) == 1) {
		*out = (ntohl(a4.s_addr) >> 24) == 127;
	} else if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = '\0';
		*out = inet_pton(AF_INET6, host + 1, a6) == 1 &&
		       memcmp(a6, &in6addr_loopback, sizeof(a6)) == 0;
	}
out:
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

int relais_client_check_hub(char *out, relais_ctx *ctx, const char *url)
{
	size_t i, n = strlen(url);
	int rc, local = 0;

	while (n > 0 && url[n - 1] == '/') {
		n--;
	}
	if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "the hub address must start with https:// (or http://)");
	}
	if (n + 64 > RELAIS_CLIENT_URL_MAX) {
		return relais_fail(ctx, RELAIS_EINVAL, "the hub address is too long");
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "the hub address contains a space or "
			                   "control character");
		}
	}
	memcpy(out, url, n);
	out[n] = '\0';
	if ((rc = loopback(&local, ctx, out)) != 0) {
		return rc;
	}
	if (strncasecmp(out, "http://", 7) == 0 && !local) {
		relais_log(ctx, RELAIS_LOG_WARN,
		           "%s is plain http: the key and secret cross the network readable", out);
	}
	return 0;
}

int relais_client_remembered(char **out, relais_home *home, relais_ctx *ctx, const char *key)
{
	int rc = relais_setting_get(out, home, ctx, key);

	if (rc == 0 && *out != NULL && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int relais_client_curl_setup(CURL *c, relais_ctx *ctx, const struct relais_sync_options *o,
                             const char *key, const char *secret, char *errbuf,
                             struct relais_client_bytes *count)
{
	int bad = 0;

#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
#else
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS) != CURLE_OK;
#endif
	bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_USERNAME, key) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_PASSWORD, secret) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "relais/" RELAIS_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	                        o->connect_timeout_s > 0 ? o->connect_timeout_s : 15L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
	                        o->low_speed_bytes > 0 ? o->low_speed_bytes : 16L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	                        o->low_speed_time_s > 0 ? o->low_speed_time_s : 60L) != CURLE_OK;
	if (errbuf != NULL) {
		bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	}
	if (count != NULL) {
		/* The debug callback only counts bytes; it needs verbose mode to be called. */
		bad |= curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_DEBUGDATA, count) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_VERBOSE, 1L) != CURLE_OK;
	}
	if (bad) {
		return relais_fail(ctx, RELAIS_ENOMEM, "cannot set up the http client");
	}
	return 0;
}
