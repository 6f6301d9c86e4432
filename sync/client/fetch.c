/* fetch.c: the catalogue and course files from the hub over HTTP, or from a folder, resuming cut
 * downloads. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/strbuf.h"

#include "client_private.h"

#define DEADLINE_BASE_S 30 /* every request may take this long, plus its bytes ... */
#define FLOOR_SPEED 1000   /* ... at this many bytes a second (8 kbit/s) */
#define HEADER_VALUE_MAX 256
#define ERROR_BODY_MAX 4096 /* bytes of a refusal's body read (and dropped) */
#define CHUNK (64 * 1024)
#define PATH_LEN 4400

int relais_client_source_open(struct relais_client_source *src, relais_home *home, relais_ctx *ctx,
                              const struct relais_sync_options *net, const char *dir, uint64_t *up,
                              uint64_t *down)
{
	static const struct relais_sync_options none;
	char *hub = NULL, *key = NULL, *stored = NULL, *secret = NULL;
	struct relais_client_lrs lrs;
	const char *use_key;
	int rc = 0, retry = 0;

	memset(src, 0, sizeof(*src));
	src->ctx = ctx;
	src->net = net ? net : &none;
	src->bytes_up = up;
	src->bytes_down = down;
	if (dir != NULL) {
		src->dir = dir;
		return 0;
	}
	net = src->net;
	if ((rc = relais_client_remembered(&hub, home, ctx, "sync.hub")) != 0 ||
	    (rc = relais_client_remembered(&key, home, ctx, "sync.key")) != 0 ||
	    (rc = relais_client_remembered(&stored, home, ctx, "sync.secret")) != 0) {
		goto out;
	}
	if (net->secret != NULL || stored != NULL) {
		const char *v = net->secret ? net->secret : stored;
		size_t len = strlen(v);
		if ((secret = sodium_malloc(len + 1)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(secret, v, len + 1);
	}
	use_key = net->key ? net->key : key;
	if ((net->hub_url ? net->hub_url : hub) == NULL || use_key == NULL || secret == NULL) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "no hub: give --hub URL --key KEY --secret SECRET once, or --from "
		                 "DIR");
		goto out;
	}
	if ((rc = relais_client_check_hub(src->base, ctx, net->hub_url ? net->hub_url : hub)) !=
	            0 ||
	    (rc = relais_client_check_credential(ctx, "key", use_key, 1)) != 0 ||
	    (rc = relais_client_check_credential(ctx, "secret", secret, 0)) != 0) {
		goto out;
	}
	memcpy(src->hub, src->base, strlen(src->base) + 1);
	if ((src->curl = curl_easy_init()) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	src->count.up = up;
	src->count.down = down;
	if ((rc = relais_client_curl_setup(src->curl, ctx, net, use_key, secret, src->errbuf,
	                                   &src->count)) != 0) {
		goto out;
	}
	/* Courses come only from a relais hub, under the parent of its xAPI base. */
	if ((rc = relais_client_lrs_find(&lrs, &retry, src->curl, src->errbuf, home, ctx, src->hub,
	                                 0)) != 0) {
		goto out;
	}
	src->not_relais = !lrs.relais_hub;
	relais_client_lrs_root(src->base, sizeof(src->base), &lrs);
	(void)strncat(src->base, "/relais", sizeof(src->base) - strlen(src->base) - 1);
out:
	if (stored != NULL) {
		sodium_memzero(stored, strlen(stored));
		free(stored);
	}
	sodium_free(secret);
	free(key);
	free(hub);
	return rc;
}

void relais_client_source_close(struct relais_client_source *src)
{
	curl_easy_cleanup(src->curl);
	src->curl = NULL;
}

/* What one HTTP reply's headers said. */
struct reply {
	long code;
	long long range_start; /* from Content-Range; -1: none */
	char etag[HEADER_VALUE_MAX];
};

/* The value of header line p (n bytes) when it is named name (lower case, with ':'), trimmed. */
static int header_value(char *out, size_t size, const char *p, size_t n, const char *name)
{
	size_t k = strlen(name), len;

	if (n <= k || strncasecmp(p, name, k) != 0) {
		return 0;
	}
	p += k;
	n -= k;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++, n--;
	}
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ')) {
		n--;
	}
	len = n < size - 1 ? n : size - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 1;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct reply *r = data;
	char v[HEADER_VALUE_MAX];

	(void)size;
	if (nmemb >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', nmemb);
		r->code = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->range_start = -1;
		r->etag[0] = '\0';
	} else if (header_value(r->etag, sizeof(r->etag), p, nmemb, "etag:")) {
		/* kept */
	} else if (header_value(v, sizeof(v), p, nmemb, "content-range:")) {
		unsigned long long a;
		if (sscanf(v, "bytes %llu-", &a) == 1 && a <= LLONG_MAX) {
			r->range_start = (long long)a;
		}
	}
	return nmemb;
}

/* A request's deadline: a base plus its bytes at the floor speed. */
static long deadline_ms(const struct relais_client_source *src, uint64_t bytes)
{
	long base = src->net->deadline_base_s > 0 ? src->net->deadline_base_s : DEADLINE_BASE_S;
	long floor = src->net->floor_bytes_per_s > 0 ? src->net->floor_bytes_per_s : FLOOR_SPEED;
	double ms = (double)base * 1000 + (double)bytes * 1000 / (double)floor;

	return ms < (double)LONG_MAX / 2 ? (long)ms : LONG_MAX / 2;
}

/* curl's failure as one lower-case line. */
static const char *curl_why(struct relais_client_source *src, CURLcode res, char *buf, size_t size)
{
	const char *why = src->errbuf[0] ? src->errbuf : curl_easy_strerror(res);

	(void)snprintf(buf, size, "%s", why);
	if (buf[0] >= 'A' && buf[0] <= 'Z') {
		buf[0] = (char)(buf[0] - 'A' + 'a');
	}
	return buf;
}

/* An answer that is not the file: a refusal named for the learner. */
static int refused(struct relais_client_source *src, long code, const char *url)
{
	if (code == 401 || code == 403) {
		src->refused = 1;
		return relais_fail(
		        src->ctx, RELAIS_EINVAL,
		        "the hub refused the credentials (%ld): check --key and --secret", code);
	}
	if (code == 404) {
		return relais_fail(src->ctx, RELAIS_ENOTFOUND, "%s: not on the hub (404)", url);
	}
	return relais_fail(src->ctx, RELAIS_EIO, "%s: the hub answered %ld", url, code);
}

static int setup_get(struct relais_client_source *src, const char *url, struct curl_slist *h,
                     struct reply *r, long ms)
{
	int bad = 0;

	memset(r, 0, sizeof(*r));
	r->range_start = -1;
	src->errbuf[0] = '\0';
	bad |= curl_easy_setopt(src->curl, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(src->curl, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(src->curl, CURLOPT_HTTPHEADER, h) != CURLE_OK;
	bad |= curl_easy_setopt(src->curl, CURLOPT_RANGE, NULL) != CURLE_OK;
	bad |= curl_easy_setopt(src->curl, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(src->curl, CURLOPT_HEADERDATA, r) != CURLE_OK;
	bad |= curl_easy_setopt(src->curl, CURLOPT_TIMEOUT_MS, ms) != CURLE_OK;
	if (bad) {
		return relais_fail(src->ctx, RELAIS_ENOMEM, "cannot set up the http client");
	}
	return 0;
}

static int join(char *out, size_t size, relais_ctx *ctx, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= size) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s/%s: path too long", a, b);
	}
	return 0;
}

int relais_client_fetch_small(char **out, size_t *len, char **etag_out, int *not_modified,
                              struct relais_client_source *src, const char *rel,
                              const char *etag_in, size_t max)
{
	struct relais_strbuf body = {.max = max + 1};
	struct curl_slist *h = NULL;
	char url[PATH_LEN], line[HEADER_VALUE_MAX + 32], why[CURL_ERROR_SIZE];
	struct reply r;
	CURLcode res;
	int rc;

	*out = NULL;
	*len = 0;
	*not_modified = 0;
	if (etag_out != NULL) {
		*etag_out = NULL;
	}
	if ((rc = join(url, sizeof(url), src->ctx, src->dir ? src->dir : src->base, rel)) != 0) {
		return rc;
	}
	if (src->dir != NULL) {
		rc = relais_file_read(out, len, src->ctx, url, max);
		if (rc == RELAIS_ELIMIT) {
			rc = relais_fail(src->ctx, RELAIS_ELIMIT, "%s: over %zu KiB", url,
			                 max / 1024);
		}
		if (rc == 0 && etag_out != NULL && (*etag_out = strdup("")) == NULL) {
			free(*out);
			*out = NULL;
			rc = relais_fail(src->ctx, RELAIS_ENOMEM, "out of memory");
		}
		return rc;
	}
	if (etag_in != NULL && etag_in[0] != '\0' && strlen(etag_in) < HEADER_VALUE_MAX) {
		(void)snprintf(line, sizeof(line), "If-None-Match: %s", etag_in);
		if ((h = curl_slist_append(NULL, line)) == NULL) {
			return relais_fail(src->ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	if ((rc = setup_get(src, url, h, &r, deadline_ms(src, max))) != 0) {
		goto out;
	}
	curl_easy_setopt(src->curl, CURLOPT_WRITEFUNCTION, relais_client_to_buffer);
	curl_easy_setopt(src->curl, CURLOPT_WRITEDATA, &body);
	res = curl_easy_perform(src->curl);
	if (res == CURLE_WRITE_ERROR && body.rc == RELAIS_ELIMIT) {
		rc = relais_fail(src->ctx, RELAIS_ELIMIT, "%s: over %zu KiB", rel, max / 1024);
		goto out;
	}
	if (res != CURLE_OK) {
		rc = relais_fail(src->ctx, body.rc == RELAIS_ENOMEM ? RELAIS_ENOMEM : RELAIS_EIO,
		                 "cannot reach the hub at %s: %s", src->base,
		                 curl_why(src, res, why, sizeof(why)));
		goto out;
	}
	curl_easy_getinfo(src->curl, CURLINFO_RESPONSE_CODE, &r.code);
	if (r.code == 304 && etag_in != NULL) {
		*not_modified = 1;
		goto out;
	}
	if (r.code != 200) {
		rc = refused(src, r.code, url);
		goto out;
	}
	if (etag_out != NULL && (*etag_out = strdup(r.etag)) == NULL) {
		rc = relais_fail(src->ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	relais_strbuf_addn(&body, "", 0);
	if (body.p == NULL) {
		body.p = calloc(1, 1);
		if (body.p == NULL) {
			rc = relais_fail(src->ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = body.p;
	*len = body.len;
	body.p = NULL;
out:
	if (rc != 0 && etag_out != NULL) {
		free(*etag_out);
		*etag_out = NULL;
	}
	relais_strbuf_free(&body);
	curl_slist_free_all(h);
	return rc;
}

/* One file's download in progress. */
struct dl {
	struct relais_client_source *src;
	relais_part_file *pf;
	struct reply r;
	uint64_t have, size;
	int started;    /* the first body bytes of this reply were seen */
	int too_much;   /* the hub sent more than size */
	int bad_range;  /* a 206 from another offset */
	int write_fail; /* the part file could not be written (the message is on ctx) */
	relais_client_progress_fn progress;
	void *progress_data;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct dl *d = data;
	size_t n = nmemb;

	(void)size;
	if (d->r.code != 200 && d->r.code != 206) {
		return nmemb; /* a refusal's body: dropped, its size bounded by the deadline */
	}
	if (!d->started) {
		d->started = 1;
		if (d->r.code == 206 && d->r.range_start != (long long)d->have) {
			d->bad_range = 1;
			return 0;
		}
		if (d->r.code == 200 && d->have > 0) {
			/* The hub would not resume (If-Range failed, or no ranges): start again. */
			if (relais_part_restart(d->pf) != 0) {
				d->write_fail = 1;
				return 0;
			}
			d->have = 0;
		}
	}
	if (n > d->size - d->have) {
		n = (size_t)(d->size - d->have);
		d->too_much = 1;
	}
	if (n > 0 && relais_part_write(d->pf, p, n) != 0) {
		d->write_fail = 1;
		return 0;
	}
	d->have += n;
	if (d->progress != NULL) {
		d->progress(d->progress_data, d->have, d->size);
	}
	return d->too_much ? 0 : nmemb;
}

static int fetch_http(int *keep, struct dl *d, const char *rel, const char *sha256)
{
	struct relais_client_source *src = d->src;
	struct curl_slist *h = NULL;
	char url[PATH_LEN], line[128], range[48], why[CURL_ERROR_SIZE];
	uint64_t from = d->have;
	CURLcode res;
	int rc;

	if ((rc = join(url, sizeof(url), src->ctx, src->base, rel)) != 0) {
		return rc;
	}
	if (d->have > 0) {
		(void)snprintf(line, sizeof(line), "If-Range: \"%s\"", sha256);
		if ((h = curl_slist_append(NULL, line)) == NULL) {
			return relais_fail(src->ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	if ((rc = setup_get(src, url, h, &d->r, deadline_ms(src, d->size - d->have))) != 0) {
		goto out;
	}
	if (d->have > 0) {
		(void)snprintf(range, sizeof(range), "%" PRIu64 "-", d->have);
		curl_easy_setopt(src->curl, CURLOPT_RANGE, range);
	}
	curl_easy_setopt(src->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(src->curl, CURLOPT_WRITEDATA, d);
	res = curl_easy_perform(src->curl);
	curl_easy_setopt(src->curl, CURLOPT_RANGE, NULL);
	if (d->write_fail) {
		*keep = 0;
		rc = relais_errcode(src->ctx);
	} else if (d->too_much) {
		*keep = 0;
		rc = relais_fail(src->ctx, RELAIS_ELIMIT,
		                 "the hub sent more than the %" PRIu64
		                 " bytes the catalogue announced: stopped there",
		                 d->size);
	} else if (d->bad_range) {
		*keep = 0;
		rc = relais_fail(src->ctx, RELAIS_EIO,
		                 "the hub answered a request from byte %" PRIu64
		                 " with bytes from %lld",
		                 from, d->r.range_start);
	} else if (res != CURLE_OK) {
		*keep = d->have > 0;
		rc = relais_fail(src->ctx, RELAIS_EIO,
		                 "download cut at %" PRIu64 " of %" PRIu64 " bytes: %s", d->have,
		                 d->size, curl_why(src, res, why, sizeof(why)));
	} else {
		curl_easy_getinfo(src->curl, CURLINFO_RESPONSE_CODE, &d->r.code);
		if (d->r.code == 416) {
			*keep = 0;
			rc = relais_fail(src->ctx, RELAIS_EIO,
			                 "the hub refused to resume at byte %" PRIu64 " (416)",
			                 from);
		} else if (d->r.code != 200 && d->r.code != 206) {
			*keep = d->have > 0;
			rc = refused(src, d->r.code, url);
		} else if (d->have < d->size) {
			*keep = 1;
			rc = relais_fail(src->ctx, RELAIS_EIO,
			                 "download cut at %" PRIu64 " of %" PRIu64 " bytes",
			                 d->have, d->size);
		}
	}
out:
	curl_slist_free_all(h);
	return rc;
}

static int fetch_dir(int *keep, struct dl *d, const char *rel)
{
	relais_ctx *ctx = d->src->ctx;
	relais_infile *f = NULL;
	char path[PATH_LEN];
	unsigned char *buf = NULL;
	uint64_t fsize;
	size_t got;
	int rc;

	if ((rc = join(path, sizeof(path), ctx, d->src->dir, rel)) != 0 ||
	    (rc = relais_infile_open(&f, &fsize, ctx, path)) != 0) {
		*keep = d->have > 0;
		return rc;
	}
	if (fsize > d->size) {
		*keep = 0;
		rc = relais_fail(ctx, RELAIS_ELIMIT,
		                 "%s holds %" PRIu64 " bytes, more than the %" PRIu64
		                 " the catalogue announced",
		                 path, fsize, d->size);
		goto out;
	}
	if ((buf = malloc(CHUNK)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	while (d->have < d->size) {
		size_t want = d->size - d->have < CHUNK ? (size_t)(d->size - d->have) : CHUNK;
		if ((rc = relais_infile_read(f, d->have, buf, want, &got)) != 0) {
			*keep = 1;
			rc = relais_prefix(ctx, "%s", path);
			goto out;
		}
		if (got == 0) {
			*keep = 1;
			rc = relais_fail(ctx, RELAIS_EIO,
			                 "%s holds %" PRIu64 " bytes of the %" PRIu64 " announced",
			                 path, d->have, d->size);
			goto out;
		}
		if ((rc = relais_part_write(d->pf, buf, got)) != 0) {
			*keep = 0;
			goto out;
		}
		d->have += got;
		if (d->progress != NULL) {
			d->progress(d->progress_data, d->have, d->size);
		}
	}
out:
	free(buf);
	relais_infile_close(f);
	return rc;
}

int relais_client_fetch_file(int *keep, struct relais_client_source *src, const char *rel,
                             const char *path, uint64_t size, const char *sha256,
                             relais_client_progress_fn progress, void *progress_data)
{
	struct dl d;
	int rc, crc;

	*keep = 1;
	memset(&d, 0, sizeof(d));
	d.src = src;
	d.size = size;
	d.progress = progress;
	d.progress_data = progress_data;
	if ((rc = relais_part_open(&d.pf, &d.have, src->ctx, path)) != 0) {
		*keep = 0;
		return rc;
	}
	if (d.have > size) {
		/* Not what the catalogue announces: start again. */
		if ((rc = relais_part_restart(d.pf)) != 0) {
			goto out;
		}
		d.have = 0;
	}
	if (progress != NULL) {
		progress(progress_data, d.have, size);
	}
	if (d.have == size) {
		goto out;
	}
	rc = src->dir ? fetch_dir(keep, &d, rel) : fetch_http(keep, &d, rel, sha256);
out:
	crc = relais_part_close(d.pf);
	if (rc == 0 && crc != 0) {
		*keep = 0;
		rc = crc;
	}
	return rc;
}
