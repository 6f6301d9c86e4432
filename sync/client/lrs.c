/* lrs.c: which LRS a hub address leads to, asked of its about resource (docs/sync.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

#include "client_private.h"

#define ABOUT_MAX (64 * 1024) /* bytes of an about reply read */
#define ABOUT_TIMEOUT_MS 30000L
#define SETTING "sync.lrs"
#define TYPE_MAX 64

/* Notes a non-empty X-Experience-API-Version header in *data; a status line starts afresh. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	int *xapi = data;

	(void)size;
	if (nmemb >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		*xapi = 0;
	} else if (relais_client_version_header(p, nmemb)) {
		*xapi = 1;
	}
	return nmemb;
}
/*
 * Whether body is an xAPI about resource relais can post to: a JSON object
 * whose "version" array names a 1.0 version (1), or only other versions
 * (-1), or not an about resource (0); *gzip and *hub say whether its
 * extensions name relais-hub's.
 */
static int about_ok(int *gzip, int *hub, const struct relais_strbuf *body)
{
	cJSON *root = body->len ? cJSON_ParseWithLength(body->p, body->len) : NULL;
	cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version"), *e, *ext;
	int ok = 0;

	*gzip = *hub = 0;
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
		{
			if (cJSON_IsString(e) && e->valuestring != NULL) {
				ok = strncmp(e->valuestring, "1.0.", 4) == 0 || ok == 1 ? 1 : -1;
			}
		}
	}
	ext = cJSON_GetObjectItemCaseSensitive(root, "extensions");
	if (ok == 1 && cJSON_IsObject(ext)) {
		*gzip = cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(ext, RELAIS_XAPI_ACCEPTS_GZIP));
		*hub = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ext, RELAIS_XAPI_RELAIS_HUB));
	}
	cJSON_Delete(root);
	return ok;
}

/* What one GET of an about resource came to. */
struct asked {
	long http;            /* 0: no reply */
	int xapi;             /* the reply carried the version header (not required of about) */
	int found, gzip, hub; /* found: 1 an xAPI 1.0 LRS, -1 one of other versions only */
};

/* GETs url on c into *a; RELAIS_EIO (*retry set) when no reply came, other statuses locally. */
static int ask(struct asked *a, int *retry, CURL *c, relais_ctx *ctx, const char *url,
               struct curl_slist *headers, char *errbuf)
{
	struct relais_strbuf body = {.max = ABOUT_MAX};
	CURLcode res;
	int bad = 0, rc = 0;

	memset(a, 0, sizeof(*a));
	bad |= curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, relais_client_to_buffer) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, &body) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERDATA, &a->xapi) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ABOUT_TIMEOUT_MS) != CURLE_OK;
	if (bad) {
		return relais_fail(ctx, RELAIS_ENOMEM, "cannot set up the http client");
	}
	errbuf[0] = '\0';
	res = curl_easy_perform(c);
	/* Nothing of this request outlives it on c: its next user sets its own. */
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, NULL);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
	if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && body.rc == RELAIS_ELIMIT)) {
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(res);
		*retry = res != CURLE_WRITE_ERROR;
		rc = relais_fail(ctx, res == CURLE_WRITE_ERROR ? RELAIS_ENOMEM : RELAIS_EIO,
		                 "cannot reach the hub at %s: %c%s", url,
		                 why[0] >= 'A' && why[0] <= 'Z' ? why[0] - 'A' + 'a' : why[0],
		                 why + 1);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->http);
	if (a->http >= 500 || a->http == 408 || a->http == 429) {
		*retry = 1;
		rc = relais_fail(ctx, RELAIS_EIO, "the hub at %s keeps failing (%ld)", url,
		                 a->http);
		goto out;
	}
	a->found = a->http == 200 && body.rc == 0 ? about_ok(&a->gzip, &a->hub, &body) : 0;
out:
	relais_strbuf_free(&body);
	return rc;
}

/* Reads the setting sync.lrs into *out when it was written for hub; *known says whether. */
static int recall(int *known, struct relais_client_lrs *out, relais_home *home, relais_ctx *ctx,
                  const char *hub)
{
	char *v = NULL, *base, *kind, *enc;
	int rc;

	*known = 0;
	if ((rc = relais_client_remembered(&v, home, ctx, SETTING)) != 0 || v == NULL) {
		return rc;
	}
	/* "HUB BASE relais-hub|lrs gzip|plain" */
	base = strchr(v, ' ');
	kind = base ? strchr(base + 1, ' ') : NULL;
	enc = kind ? strchr(kind + 1, ' ') : NULL;
	if (enc != NULL) {
		*base++ = *kind++ = *enc++ = '\0';
		if (strcmp(v, hub) == 0 && strlen(base) < sizeof(out->base) &&
		    (strcmp(kind, "relais-hub") == 0 || strcmp(kind, "lrs") == 0) &&
		    (strcmp(enc, "gzip") == 0 || strcmp(enc, "plain") == 0)) {
			memcpy(out->base, base, strlen(base) + 1);
			out->relais_hub = strcmp(kind, "relais-hub") == 0;
			out->gzip = strcmp(enc, "gzip") == 0;
			*known = 1;
		}
	}
	free(v);
	return 0;
}

int relais_client_lrs_remember(relais_home *home, relais_ctx *ctx, const char *hub,
                               const struct relais_client_lrs *lrs)
{
	char v[2 * RELAIS_CLIENT_URL_MAX + 64];

	(void)snprintf(v, sizeof(v), "%s %s %s %s", hub, lrs->base,
	               lrs->relais_hub ? "relais-hub" : "lrs", lrs->gzip ? "gzip" : "plain");
	return relais_setting_set(home, ctx, SETTING, v);
}

int relais_client_lrs_find(struct relais_client_lrs *out, int *retry, CURL *c, char *errbuf,
                           relais_home *home, relais_ctx *ctx, const char *hub, int fresh)
{
	static const char *const paths[] = {"", "/xapi"};
	char url[RELAIS_CLIENT_URL_MAX + 16];
	struct curl_slist *h = NULL;
	struct asked a[2];
	size_t i;
	int rc = 0, known = 0;

	*retry = 0;
	memset(out, 0, sizeof(*out));
	if (!fresh && ((rc = recall(&known, out, home, ctx, hub)) != 0 || known)) {
		out->remembered = known;
		return rc;
	}
	if ((h = curl_slist_append(NULL, "X-Experience-API-Version: 1.0.3")) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	for (i = 0; i < 2; i++) {
		(void)snprintf(url, sizeof(url), "%s%s/about", hub, paths[i]);
		if ((rc = ask(&a[i], retry, c, ctx, url, h, errbuf)) != 0) {
			goto out;
		}
		if (a[i].found == -1) {
			rc = relais_fail(ctx, RELAIS_EIO,
			                 "the LRS at %s speaks no xAPI 1.0 version: relais sends "
			                 "1.0.3",
			                 url);
			goto out;
		}
		if (a[i].found == 1) {
			(void)snprintf(out->base, sizeof(out->base), "%s%s", hub, paths[i]);
			out->gzip = a[i].gzip;
			out->relais_hub = a[i].hub;
			rc = relais_client_lrs_remember(home, ctx, hub, out);
			goto out;
		}
	}
	/* Neither: a page from something on the path, or no LRS at this address. */
	if (a[0].http != 404 || a[1].http != 404) {
		rc = relais_client_not_xapi(ctx, c, a[1].http);
	} else {
		rc = relais_fail(ctx, RELAIS_EIO,
		                 "%s is not an LRS's xAPI address: neither %s/about (%ld) nor "
		                 "%s/xapi/about (%ld) describes an xAPI 1.0 LRS",
		                 hub, hub, a[0].http, hub, a[1].http);
	}
out:
	curl_slist_free_all(h);
	return rc;
}

int relais_client_not_xapi(relais_ctx *ctx, CURL *c, long http)
{
	char type[TYPE_MAX], where[256];
	const char *ct = NULL, *location = NULL;

	type[0] = where[0] = '\0';
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL) {
		relais_client_printable(type, sizeof(type), ct, ';');
	}
	if (http >= 300 && http < 400 &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
	    location != NULL) {
		relais_client_printable(where, sizeof(where), location, '\0');
	}
	return relais_fail(ctx, RELAIS_EIO,
	                   "the hub's address answered %ld with %s%s%s: not an xAPI reply (a "
	                   "captive portal or a wrong address?)",
	                   http, type[0] ? type : "no content type",
	                   where[0] ? ", a redirect to " : "", where);
}

void relais_client_lrs_root(char *out, size_t size, const struct relais_client_lrs *lrs)
{
	size_t n = strlen(lrs->base);

	if (n >= 5 && strcmp(lrs->base + n - 5, "/xapi") == 0) {
		n -= 5;
	}
	(void)snprintf(out, size, "%.*s", (int)n, lrs->base);
}
