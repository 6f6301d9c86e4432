/* client.c: the sync client: outbox -> hub over libcurl (docs/sync.md). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>
#include <zlib.h>

#include "relais/gzip.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/outbox.h"
#include "relais/progress.h"
#include "relais/strbuf.h"
#include "relais/sync.h"
#include "relais/util.h"
#include "relais_config.h"

#include "client_private.h"

#define BATCH_MAX 1000                  /* statements per request, whatever opt asks */
#define BATCH_RAW_MAX (4 * 1024 * 1024) /* JSON bytes of one request before gzip */
#define STATEMENT_MAX (1024 * 1024)     /* a larger statement is set aside unsent */
#define REPLY_MAX (1024 * 1024)         /* bytes of a hub reply kept; more fails the request */
#define URL_MAX RELAIS_CLIENT_URL_MAX
#define CREDENTIAL_MAX RELAIS_CLIENT_CREDENTIAL_MAX
#define REASON_MAX 200         /* bytes of a hub's refusal kept for the learner */
#define BACKOFF_CAP_S 86400    /* no single pause longer than a day, whatever opt asks */
#define DEADLINE_BASE_S 30     /* every request may take this long, plus its bytes ... */
#define FLOOR_SPEED 1000       /* ... at this many bytes a second (8 kbit/s) */
#define REPLY_PER_STATEMENT 64 /* bytes of reply allowed for per statement sent (an id) */
#define TYPE_MAX 64            /* bytes of a reply's content type named in a message */
#define EXPORT_MODE 0600       /* the records name learners */

/* One run's state: the connection, its buffers and what has happened so far. */
struct sync {
	relais_home *home;
	relais_ctx *ctx;
	const struct relais_sync_options *opt;
	struct relais_sync_report *rep;
	CURL *curl;
	struct curl_slist *gzip_headers, *plain_headers;
	struct relais_strbuf json, reply; /* capped at BATCH_RAW_MAX + 2 and REPLY_MAX */
	unsigned char *body;              /* json gzip-compressed */
	size_t body_len;                  /* bytes of the last request's body, as posted */
	struct relais_client_lrs lrs;     /* where statements go, once lrs_known */
	int lrs_known;
	int lrs_checked; /* about was asked in this run: no need to ask again */
	char url[URL_MAX + 32];
	size_t batch_size;
	int max_attempts;
	double backoff_base, backoff_max;
	size_t total;
	const char *key;
	int refused; /* the hub refused the credentials */
	int xapi;    /* the last reply carried an X-Experience-API-Version header */
	struct relais_client_bytes bytes;
	char hub[URL_MAX];
	char errbuf[CURL_ERROR_SIZE];
};

int relais_sync_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : RELAIS_ENOMEM;
}

void relais_sync_global_cleanup(void)
{
	curl_global_cleanup();
}

/*
 * Compresses in into out as one gzip member, at libdeflate's highest level:
 * a batch of 100 statements takes milliseconds, and every byte saved is one
 * the slow link does not carry.
 */
static int gzip(struct sync *s, const char *in, size_t n)
{
	unsigned char *z;
	size_t z_len;

	if (relais_gzip(&z, &z_len, in, n, 12) != 0) {
		return relais_fail(s->ctx, RELAIS_ENOMEM,
		                   "cannot compress the request: out of memory");
	}
	free(s->body);
	s->body = z;
	s->body_len = z_len;
	return 0;
}

/*
 * Notes whether the reply carries a non-empty X-Experience-API-Version header,
 * the sign of an xAPI server. A status line starts a new reply (an interim
 * 1xx one, say): only the last reply's headers count.
 */
static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct sync *s = data;

	/* size is always 1 for a header callback. */
	if (nmemb >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		s->xapi = 0;
	} else if (relais_client_version_header(p, nmemb)) {
		s->xapi = 1;
	}
	return nmemb * size;
}
/*
 * The pause before retry number attempt (0 for the first): full jitter,
 * uniform in [0, min(max, base * 2^attempt)], but at least what the hub
 * asked for in Retry-After (itself capped at max).
 */
static double backoff(const struct sync *s, int attempt, double retry_after)
{
	double ceiling = s->backoff_base;
	uint32_t ms;
	double d;
	int i;

	for (i = 0; i < attempt && ceiling < s->backoff_max; i++) {
		ceiling *= 2;
	}
	if (ceiling > s->backoff_max) {
		ceiling = s->backoff_max;
	}
	ms = (uint32_t)(ceiling * 1000);
	d = (double)randombytes_uniform(ms < UINT32_MAX ? ms + 1 : UINT32_MAX) / 1000;
	if (retry_after > s->backoff_max) {
		retry_after = s->backoff_max;
	}
	return d > retry_after ? d : retry_after;
}

/*
 * A refusal from the hub's reply as one line for the learner: the "message"
 * or "error" member of a JSON object, else the body as text; control
 * characters become spaces; cut at REASON_MAX bytes on a character boundary.
 */
static void hub_reason(char *out, size_t size, const struct relais_strbuf *reply)
{
	const char *text = reply->p;
	size_t len = reply->len, i, n = 0;
	cJSON *root = NULL, *m;

	out[0] = '\0';
	if (text == NULL || len == 0) {
		return;
	}
	root = cJSON_ParseWithLength(text, len);
	if (cJSON_IsObject(root)) {
		m = cJSON_GetObjectItemCaseSensitive(root, "message");
		if (!cJSON_IsString(m)) {
			m = cJSON_GetObjectItemCaseSensitive(root, "error");
		}
		if (cJSON_IsString(m) && m->valuestring != NULL) {
			text = m->valuestring;
			len = strlen(text);
		}
	}
	for (i = 0; i < len && n + 1 < size && n < REASON_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\0') {
			break;
		}
		out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	/* Never end inside a UTF-8 sequence. */
	if (i < len && n > 0) {
		size_t k = n;
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80) {
			k--;
		}
		if (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0xC0) {
			n = k - 1;
		}
	}
	while (n > 0 && out[n - 1] == ' ') {
		n--;
	}
	out[n] = '\0';
	cJSON_Delete(root);
}

/* Whether the reply body is JSON whose top level is an array (want_array) or an object. */
static int json_body(const struct relais_strbuf *reply, int want_array)
{
	cJSON *root = reply->len ? cJSON_ParseWithLength(reply->p, reply->len) : NULL;
	int ok = want_array ? cJSON_IsArray(root) : cJSON_IsObject(root);

	cJSON_Delete(root);
	return ok;
}

/*
 * Whether the 200 reply is an array of exactly as many ids as the batch has
 * statements, holding the id of each (xAPI: the ids, in order).
 */
static int acknowledges(const struct relais_strbuf *reply, const struct relais_outbox_item *items,
                        size_t n)
{
	cJSON *root, *e;
	size_t i;
	int ok = 1;

	root = reply->len ? cJSON_ParseWithLength(reply->p, reply->len) : NULL;
	if (!cJSON_IsArray(root) || (size_t)cJSON_GetArraySize(root) != n) {
		cJSON_Delete(root);
		return 0;
	}
	for (i = 0; i < n && ok; i++) {
		ok = 0;
		cJSON_ArrayForEach(e, root)
		{
			if (cJSON_IsString(e) && e->valuestring != NULL &&
			    strcasecmp(e->valuestring, items[i].id) == 0) {
				ok = 1;
				break;
			}
		}
	}
	cJSON_Delete(root);
	return ok;
}

/*
 * The time one request of n statements, already compressed into s->body, may
 * take from start to end: a base, plus its bytes and those of the reply at
 * the floor speed. Without it a hub that trickles its reply a few bytes a
 * second, faster than the low-speed limit, holds the run for hours.
 */
static long request_deadline_ms(const struct sync *s, size_t n)
{
	const struct relais_sync_options *o = s->opt;
	long base = o->deadline_base_s > 0 ? o->deadline_base_s : DEADLINE_BASE_S;
	long floor = o->floor_bytes_per_s > 0 ? o->floor_bytes_per_s : FLOOR_SPEED;
	double ms = (double)base * 1000 +
	            ((double)s->body_len + (double)n * REPLY_PER_STATEMENT) * 1000 / (double)floor;

	return ms < (double)LONG_MAX / 2 ? (long)ms : LONG_MAX / 2;
}

/*
 * Posts items as one JSON array, gzip-compressed when the LRS takes it.
 * Returns 0 with *http set to the reply's status and s->reply holding its
 * body; RELAIS_EIO with a message when no whole reply came back (*retry says whether trying again
 * may help); other statuses on local failures. *retry_after is the hub's Retry-After.
 */
static int post(long *http, int *retry, double *retry_after, struct sync *s,
                const struct relais_outbox_item *items, size_t n)
{
	curl_off_t after = -1;
	struct timespec start;
	const char *body;
	long deadline_ms;
	CURLcode res;
	size_t i;
	int rc, bad = 0;

	*http = 0;
	*retry = 0;
	*retry_after = 0;
	relais_strbuf_reset(&s->json);
	for (i = 0; i < n && s->json.rc == 0; i++) {
		relais_strbuf_addn(&s->json, i ? "," : "[", 1);
		relais_strbuf_add(&s->json, items[i].statement);
	}
	if (s->json.rc != 0) {
		return s->json.rc == RELAIS_ELIMIT
		               ? relais_fail(s->ctx, RELAIS_ELIMIT, "request body too large")
		               : relais_fail(s->ctx, RELAIS_ENOMEM, "out of memory");
	}
	relais_strbuf_addn(&s->json, "]", 1);
	if (s->json.rc != 0) {
		return relais_fail(s->ctx, RELAIS_ENOMEM, "out of memory");
	}
	/* Gzip only for an LRS whose about says it takes it; JSON as it is to any other. */
	if (s->lrs.gzip && (rc = gzip(s, s->json.p, s->json.len)) != 0) {
		return rc;
	}
	body = s->lrs.gzip ? (const char *)s->body : s->json.p;
	s->body_len = s->lrs.gzip ? s->body_len : s->json.len;
	relais_strbuf_reset(&s->reply);
	s->errbuf[0] = '\0';
	s->xapi = 0;
	deadline_ms = request_deadline_ms(s, n);
	/* The handle also asks about (lrs.c): set everything a POST needs each time. */
	bad |= curl_easy_setopt(s->curl, CURLOPT_URL, s->url) != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER,
	                        s->lrs.gzip ? s->gzip_headers : s->plain_headers) != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_ACCEPT_ENCODING, "gzip") != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, relais_client_to_buffer) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &s->reply) != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s) != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, deadline_ms) != CURLE_OK;
	if (bad) {
		return relais_fail(s->ctx, RELAIS_ENOMEM, "cannot set up the http client");
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	res = curl_easy_perform(s->curl);
	if (res == CURLE_WRITE_ERROR && s->reply.rc == RELAIS_ELIMIT) {
		return relais_fail(s->ctx, RELAIS_EIO, "the hub's reply is larger than %d KiB",
		                   REPLY_MAX / 1024);
	}
	if (res == CURLE_WRITE_ERROR) {
		return relais_fail(s->ctx, RELAIS_ENOMEM, "out of memory");
	}
	/* Told apart from the connect and low-speed timeouts by the time it took. */
	if (res == CURLE_OPERATION_TIMEDOUT && relais_client_elapsed_ms(&start) >= deadline_ms) {
		*retry = 1;
		return relais_fail(s->ctx, RELAIS_EIO,
		                   "the hub at %s did not answer within %ld s (a request of %zu "
		                   "statements, %zu bytes)",
		                   s->hub, (deadline_ms + 999) / 1000, n, s->body_len);
	}
	if (res != CURLE_OK) {
		const char *why = s->errbuf[0] ? s->errbuf : curl_easy_strerror(res);
		*retry = 1;
		return relais_fail(s->ctx, RELAIS_EIO, "cannot reach the hub at %s: %c%s", s->hub,
		                   why[0] >= 'A' && why[0] <= 'Z' ? why[0] - 'A' + 'a' : why[0],
		                   why + 1);
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, http);
	if (curl_easy_getinfo(s->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0) {
		*retry_after = (double)after;
	}
	s->rep->reached_hub = 1;
	return 0;
}

static void report_progress(struct sync *s)
{
	size_t done = s->rep->sent + s->rep->set_aside;

	if (s->total < done) {
		s->total = done;
	}
	if (s->opt->progress != NULL) {
		s->opt->progress(s->opt->progress_data, done, s->total, s->rep->bytes_up);
	}
}

static int set_aside(struct sync *s, const struct relais_outbox_item *it, const char *why,
                     long http, const struct relais_strbuf *reply)
{
	char reason[REASON_MAX + 64], detail[REASON_MAX + 1];
	int rc;

	hub_reason(detail, sizeof(detail), reply);
	if (http > 0) {
		(void)snprintf(reason, sizeof(reason), "%s (%ld)%s%s", why, http,
		               detail[0] ? ": " : "", detail);
	} else {
		(void)snprintf(reason, sizeof(reason), "%s", why);
	}
	if ((rc = relais_outbox_set_aside(s->home, s->ctx, it->id, reason)) != 0) {
		return rc;
	}
	relais_log(s->ctx, RELAIS_LOG_WARN, "statement %s set aside: %s", it->id, reason);
	s->rep->set_aside++;
	report_progress(s);
	return 0;
}

static int mark_sent(struct sync *s, const struct relais_outbox_item *items, size_t n)
{
	const char **ids;
	size_t i;
	int rc;

	ids = calloc(n, sizeof(*ids));
	if (ids == NULL) {
		return relais_fail(s->ctx, RELAIS_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		ids[i] = items[i].id;
	}
	rc = relais_outbox_mark_sent(s->home, s->ctx, ids, n);
	free(ids);
	if (rc == 0) {
		s->rep->sent += n;
		report_progress(s);
	}
	return rc;
}

/*
 * Finds where statements go (lrs.c): remembered, or asked of about (always
 * when fresh), retrying transient failures with backoff as a batch does.
 */
static int find_lrs(struct sync *s, int fresh)
{
	int rc, retry, attempt = 0;

	for (;;) {
		rc = relais_client_lrs_find(&s->lrs, &retry, s->curl, s->errbuf, s->home, s->ctx,
		                            s->hub, fresh);
		if (rc == 0 || !retry) {
			break;
		}
		if (++attempt >= s->max_attempts) {
			return relais_prefix(s->ctx, "gave up after %d %s", attempt,
			                     attempt == 1 ? "try" : "tries");
		}
		{
			double d = backoff(s, attempt - 1, 0);
			relais_log(s->ctx, RELAIS_LOG_INFO, "%s; trying again in %.1f s",
			           relais_errmsg(s->ctx), d);
			relais_client_pause(d);
		}
	}
	if (rc != 0) {
		return rc;
	}
	if (!s->lrs.remembered) {
		s->rep->reached_hub = 1;
		s->lrs_checked = 1;
	}
	s->lrs_known = 1;
	s->rep->not_relais_hub = !s->lrs.relais_hub;
	(void)snprintf(s->url, sizeof(s->url), "%s/statements", s->lrs.base);
	return 0;
}

/*
 * Delivers one batch: posts it, retrying transient failures with backoff,
 * and acts on the hub's answer (docs/sync.md, "Replies"). A batch the hub
 * refuses as a whole (400, 409, 413) is split in halves, each delivered in
 * turn, until the statement at fault is alone and set aside; a refusal counts
 * only when it is an xAPI reply (the version header and a JSON object), and
 * anything else ends the run with the batch still pending. Returns 0 when
 * every statement of the batch was acknowledged or set aside.
 */
static int deliver(struct sync *s, const struct relais_outbox_item *items, size_t n)
{
	double retry_after;
	int rc, retry, attempt = 0;
	size_t half, done;
	long http;

	if (n == 1 && strlen(items[0].statement) > STATEMENT_MAX) {
		struct relais_strbuf none = {0};
		return set_aside(s, &items[0], "larger than 1 MiB, not sent", 0, &none);
	}
again:
	attempt = 0;
	for (;;) {
		rc = post(&http, &retry, &retry_after, s, items, n);
		if (rc == 0) {
			retry = http >= 500 || http == 429 || http == 408;
			if (!retry) {
				break;
			}
			rc = relais_fail(s->ctx, RELAIS_EIO, "the hub at %s keeps failing (%ld)",
			                 s->hub, http);
		}
		if (!retry) {
			return rc;
		}
		if (++attempt >= s->max_attempts) {
			return relais_prefix(s->ctx, "gave up after %d %s", attempt,
			                     attempt == 1 ? "try" : "tries");
		}
		{
			double d = backoff(s, attempt - 1, retry_after);
			relais_log(s->ctx, RELAIS_LOG_INFO, "%s; trying again in %.1f s",
			           relais_errmsg(s->ctx), d);
			relais_client_pause(d);
		}
	}
	/*
	 * What was remembered may have stopped working (another LRS at the address, one that
	 * no longer takes gzip): before anything is set aside, about is asked once more.
	 */
	if (!s->lrs_checked && (http == 400 || http == 404 || http == 415)) {
		struct relais_client_lrs was = s->lrs;
		if ((rc = find_lrs(s, 1)) != 0) {
			return rc;
		}
		if (strcmp(was.base, s->lrs.base) != 0 || was.gzip != s->lrs.gzip) {
			goto again;
		}
	}
	/* A 415 says nothing of the statements: never a reason to set one aside. */
	if (http == 415 && s->lrs.gzip) {
		s->lrs.gzip = 0;
		relais_log(s->ctx, RELAIS_LOG_INFO,
		           "the LRS at %s refuses gzip bodies (415): sending plain JSON", s->hub);
		if ((rc = relais_client_lrs_remember(s->home, s->ctx, s->hub, &s->lrs)) != 0) {
			return rc;
		}
		goto again;
	}
	if (http == 415) {
		return relais_fail(s->ctx, RELAIS_EIO,
		                   "the LRS at %s refused the request as an unsupported media type "
		                   "(415): is it an xAPI LRS?",
		                   s->url);
	}
	/* Only an xAPI server's reply may mark or set aside anything. */
	if ((http == 200 && !(s->xapi && json_body(&s->reply, 1))) ||
	    ((http == 400 || http == 409 || http == 413) &&
	     !(s->xapi && json_body(&s->reply, 0))) ||
	    (http >= 300 && http < 400)) {
		return relais_client_not_xapi(s->ctx, s->curl, http);
	}
	switch (http) {
	case 200:
		if (!acknowledges(&s->reply, items, n)) {
			return relais_fail(s->ctx, RELAIS_EIO,
			                   "the reply from %s does not acknowledge the statements "
			                   "sent: is it an xapi hub (or a captive portal)?",
			                   s->hub);
		}
		return mark_sent(s, items, n);
	case 400:
	case 409:
	case 413:
		if (n == 1) {
			return set_aside(
			        s, &items[0],
			        http == 400   ? "refused by the hub as invalid"
			        : http == 409 ? "the hub holds a different statement with this id"
			                      : "too large for the hub",
			        http, &s->reply);
		}
		if (http != 413) {
			half = n / 2;
			if ((rc = deliver(s, items, half)) != 0) {
				return rc;
			}
			return deliver(s, items + half, n - half);
		}
		/* Smaller requests from now on, for the rest of the run too. */
		if (s->batch_size > n / 2) {
			s->batch_size = n / 2;
		}
		relais_log(s->ctx, RELAIS_LOG_INFO,
		           "the hub finds %zu statements too many; sending %zu at a time", n,
		           s->batch_size);
		for (done = 0; done < n; done += half) {
			half = n - done < s->batch_size ? n - done : s->batch_size;
			if ((rc = deliver(s, items + done, half)) != 0) {
				return rc;
			}
		}
		return 0;
	case 401:
	case 403:
		s->refused = 1;
		return relais_fail(
		        s->ctx, RELAIS_EINVAL,
		        "the hub refused the credentials for key '%s' (%ld): check --key "
		        "and --secret",
		        s->key, http);
	default:
		return relais_fail(s->ctx, RELAIS_EIO,
		                   "the hub at %s answered %ld: is the address right?", s->hub,
		                   http);
	}
}

/* The headers of a POST of statements, with Content-Encoding: gzip or without. */
static struct curl_slist *post_headers(int gzip)
{
	static const char *const lines[] = {
	        "X-Experience-API-Version: 1.0.3", "Content-Type: application/json",
	        /* No 100-continue round trip: it costs more on a slow link than it saves. */
	        "Expect:", "Content-Encoding: gzip"};
	struct curl_slist *h = NULL, *next;
	size_t i;

	for (i = 0; i < (gzip ? 4u : 3u); i++) {
		if ((next = curl_slist_append(h, lines[i])) == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = next;
	}
	return h;
}

/* Makes the easy handle that serves the whole run. */
static int connect_handle(struct sync *s, const char *key, const char *secret)
{
	s->curl = curl_easy_init();
	s->gzip_headers = post_headers(1);
	s->plain_headers = post_headers(0);
	if (s->curl == NULL || s->gzip_headers == NULL || s->plain_headers == NULL) {
		return relais_fail(s->ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->bytes.up = &s->rep->bytes_up;
	s->bytes.down = &s->rep->bytes_down;
	if (relais_client_curl_setup(s->curl, s->ctx, s->opt, key, secret, s->errbuf, &s->bytes) !=
	    0) {
		return relais_errcode(s->ctx);
	}
	return 0;
}

/*
 * Records the outcome in the settings: the time of this attempt, of the
 * last success, and the hub and credentials given in opt (the credentials
 * not when the hub refused them). Keeps the run's status and message.
 */
static int remember(struct sync *s, int rc, const char *secret)
{
	const struct relais_sync_options *o = s->opt;
	char now[32], saved[512];
	int wrc = 0;

	(void)snprintf(saved, sizeof(saved), "%s", relais_errmsg(s->ctx));
	relais_now_iso(now);
	if (o->hub_url != NULL && s->hub[0] != '\0') {
		wrc = relais_setting_set(s->home, s->ctx, "sync.hub", s->hub);
	}
	if (wrc == 0 && !s->refused && o->key != NULL) {
		wrc = relais_setting_set(s->home, s->ctx, "sync.key", o->key);
	}
	if (wrc == 0 && !s->refused && o->secret != NULL) {
		wrc = relais_setting_set(s->home, s->ctx, "sync.secret", secret);
	}
	if (wrc == 0) {
		wrc = relais_setting_set(s->home, s->ctx, "sync.last_attempt", now);
	}
	if (wrc == 0 && rc == 0 && s->rep->left == 0) {
		wrc = relais_setting_set(s->home, s->ctx, "sync.last_success", now);
	}
	if (rc != 0) {
		return relais_fail(s->ctx, rc, "%s", saved);
	}
	return wrc;
}

/*
 * Registers the laptop key with the hub (docs/sync.md, "Laptop key"): PUT
 * /relais/laptop-key, once per hub and credential, remembered in the
 * settings when the hub answered 204. A hub that answers 404 is an LRS
 * without relais' extension; any failure leaves it for the next sync. The
 * run's status and message are not touched: sending records matters more.
 */
static void register_laptop_key(struct sync *s, const char *secret)
{
	const struct relais_sync_options *o = s->opt;
	char url[URL_MAX + 32], where[URL_MAX + CREDENTIAL_MAX + 2], errbuf[CURL_ERROR_SIZE];
	struct relais_strbuf discard = {.max = 4096};
	struct curl_slist *h = NULL;
	char *pub = NULL, *done = NULL;
	CURL *c = NULL;
	long http = 0;
	int made = 0, bad = 0, retry = 0;
	CURLcode cc;

	(void)snprintf(where, sizeof(where), "%s %s", s->hub, s->key);
	if (relais_laptop_key_registered(&done, s->home, s->ctx) != 0 ||
	    (done != NULL && strcmp(done, where) == 0)) {
		goto out;
	}
	if ((c = curl_easy_init()) == NULL ||
	    (h = curl_slist_append(NULL, "Content-Type: text/plain")) == NULL) {
		goto out;
	}
	if (relais_client_curl_setup(c, s->ctx, o, s->key, secret, NULL, NULL) != 0) {
		goto out;
	}
	/*
	 * Only a relais hub takes laptop keys, at the parent of its xAPI base. A run that sent
	 * nothing has not asked about yet: asked here, like the PUT not counted in the run's bytes.
	 */
	if (!s->lrs_known &&
	    relais_client_lrs_find(&s->lrs, &retry, c, errbuf, s->home, s->ctx, s->hub, 0) == 0) {
		s->lrs_known = 1;
		s->rep->not_relais_hub = !s->lrs.relais_hub;
	}
	if (!s->lrs_known || !s->lrs.relais_hub ||
	    relais_laptop_key_public(&pub, &made, s->home, s->ctx) != 0) {
		goto out;
	}
	relais_client_lrs_root(url, sizeof(url), &s->lrs);
	(void)strncat(url, "/relais/laptop-key", sizeof(url) - strlen(url) - 1);
	bad |= curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, pub) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, relais_client_to_buffer) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, &discard) != CURLE_OK;
	if (bad) {
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http) == CURLE_OK &&
	    http == 204) {
		(void)relais_laptop_key_set_registered(s->home, s->ctx, where);
	} else if (http != 404) {
		relais_log(s->ctx, RELAIS_LOG_WARN,
		           "the hub did not register this laptop's key (HTTP %ld); the next sync "
		           "tries again",
		           http);
	}
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	relais_strbuf_free(&discard);
	free(pub);
	free(done);
}

int relais_sync_run(struct relais_sync_report *out, relais_home *home, relais_ctx *ctx,
                    const struct relais_sync_options *opt)
{
	struct relais_outbox_item *items = NULL;
	char *hub = NULL, *key = NULL, *stored = NULL, *secret = NULL;
	int64_t pending = 0, last_seq = -1;
	struct sync *s = NULL;
	size_t n = 0, k, raw;
	int rc = 0, checked = 0;

	memset(out, 0, sizeof(*out));
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->home = home;
	s->ctx = ctx;
	s->opt = opt;
	s->rep = out;
	s->json.max = BATCH_RAW_MAX + 2;
	s->reply.max = REPLY_MAX;
	s->batch_size = opt->batch_size ? opt->batch_size : 100;
	if (s->batch_size > BATCH_MAX) {
		s->batch_size = BATCH_MAX;
	}
	s->max_attempts = opt->max_attempts > 0 ? opt->max_attempts : 8;
	s->backoff_base = opt->backoff_base_s > 0 ? opt->backoff_base_s : 1;
	s->backoff_max = opt->backoff_max_s > 0 ? opt->backoff_max_s : 60;
	if (s->backoff_max > BACKOFF_CAP_S) {
		s->backoff_max = BACKOFF_CAP_S;
	}
	if (s->backoff_base > s->backoff_max) {
		s->backoff_base = s->backoff_max;
	}

	/* The hub and credentials: given, else remembered. */
	if ((rc = relais_client_remembered(&hub, home, ctx, "sync.hub")) != 0 ||
	    (rc = relais_client_remembered(&key, home, ctx, "sync.key")) != 0 ||
	    (rc = relais_client_remembered(&stored, home, ctx, "sync.secret")) != 0) {
		goto out;
	}
	if (opt->secret != NULL || stored != NULL) {
		const char *v = opt->secret ? opt->secret : stored;
		size_t len = strlen(v);
		secret = sodium_malloc(len + 1);
		if (secret == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(secret, v, len + 1);
	}
	if ((opt->hub_url ? opt->hub_url : hub) == NULL || (opt->key ? opt->key : key) == NULL ||
	    secret == NULL) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "no hub: give --hub URL --key KEY --secret SECRET once");
		goto out;
	}
	if ((rc = relais_client_check_hub(s->hub, ctx, opt->hub_url ? opt->hub_url : hub)) != 0 ||
	    (rc = relais_client_check_credential(ctx, "key", opt->key ? opt->key : key, 1)) != 0 ||
	    (rc = relais_client_check_credential(ctx, "secret", secret, 0)) != 0) {
		s->hub[0] = '\0';
		goto out;
	}
	checked = 1;
	s->key = opt->key ? opt->key : key;
	if ((rc = connect_handle(s, s->key, secret)) != 0) {
		goto out;
	}
	if ((rc = relais_outbox_count(&pending, home, ctx)) != 0) {
		goto out;
	}
	s->total = (size_t)pending;

	for (;;) {
		if ((rc = relais_outbox_pending(&items, &n, home, ctx, s->batch_size)) != 0) {
			goto out;
		}
		if (n == 0) {
			break;
		}
		/* Everything fetched before was acknowledged or set aside: it cannot come back. */
		if (items[0].seq <= last_seq) {
			rc = relais_fail(ctx, RELAIS_EIO,
			                 "the outbox did not record what the hub "
			                 "acknowledged");
			goto out;
		}
		/* As many as fit in BATCH_RAW_MAX; an oversized statement goes alone. */
		for (k = 0, raw = 2; k < n; k++) {
			size_t len = strlen(items[k].statement) + 1;
			if (len > STATEMENT_MAX + 1) {
				k += k == 0;
				break;
			}
			if (k > 0 && raw + len > BATCH_RAW_MAX) {
				break;
			}
			raw += len;
		}
		last_seq = items[k - 1].seq;
		if ((rc = relais_outbox_count(&pending, home, ctx)) != 0) {
			goto out;
		}
		s->total = out->sent + out->set_aside + (size_t)pending;
		if (!s->lrs_known && (rc = find_lrs(s, 0)) != 0) {
			goto out;
		}
		if ((rc = deliver(s, items, k)) != 0) {
			goto out;
		}
		relais_outbox_free(items, n);
		items = NULL;
		n = 0;
	}
	register_laptop_key(s, secret);
out:
	relais_outbox_free(items, n);
	if (home != NULL) {
		char saved[512];
		(void)snprintf(saved, sizeof(saved), "%s", relais_errmsg(ctx));
		if (relais_outbox_count(&pending, home, ctx) == 0) {
			out->left = (size_t)pending;
		}
		if (rc != 0) {
			relais_fail(ctx, rc, "%s", saved);
		}
		if (checked || rc == 0) {
			rc = remember(s, rc, secret);
		} else {
			/* Nothing usable was given: only the attempt is recorded. */
			char now[32];
			relais_now_iso(now);
			(void)relais_setting_set(home, ctx, "sync.last_attempt", now);
			relais_fail(ctx, rc, "%s", saved);
		}
	}
	curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->gzip_headers);
	curl_slist_free_all(s->plain_headers);
	relais_strbuf_free(&s->json);
	free(s->body);
	relais_strbuf_free(&s->reply);
	free(s);
	if (stored != NULL) {
		sodium_memzero(stored, strlen(stored));
		free(stored);
	}
	sodium_free(secret);
	free(key);
	free(hub);
	return rc;
}
