/* fuzz_reader_request.c: libFuzzer harness: requests through the reader's pages and form parser. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"
#include "reader_private.h"
#include "relais/course.h"
#include "relais/diag.h"
#include "relais/error.h"
#include "relais/key.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/trust.h"

#define FIELD_VALUE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One reader over a home with craft_course() installed and one learner, made at the first input. */
static struct relais_reader *reader;
static int64_t learner;

static void die(const char *what, relais_ctx *ctx)
{
	fprintf(stderr, "fuzz_reader_request: %s: %s\n", what, ctx ? relais_errmsg(ctx) : "");
	abort();
}

static struct relais_reader *make_reader(void)
{
	struct relais_reader *r = calloc(1, sizeof(*r));
	struct relais_install_result inst;
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	relais_course *c = NULL;
	relais_diag *d = NULL;
	char *dir = craft_tmpdir(), src[600], bundle[600], pubpath[600], home[600];
	char kid[RELAIS_KEYID_HEX];

	if (r == NULL || relais_crypto_init() != 0 || relais_ctx_new(&r->ctx) != 0) {
		die("setup", NULL);
	}
	(void)snprintf(src, sizeof(src), "%s/src", dir);
	(void)snprintf(bundle, sizeof(bundle), "%s/c.relais", dir);
	(void)snprintf(pubpath, sizeof(pubpath), "%s/k.pub", dir);
	(void)snprintf(home, sizeof(home), "%s/home", dir);
	craft_course(src);
	if (relais_keypair_generate(&pub, &sec, r->ctx) != 0 ||
	    relais_pubkey_save(r->ctx, pub, pubpath) != 0 || relais_diag_new(&d) != 0 ||
	    relais_course_load(&c, r->ctx, d, src, NULL) != 0 ||
	    relais_course_pack(r->ctx, c, sec, bundle, NULL) != 0 ||
	    relais_home_open(&r->home, r->ctx, home) != 0 ||
	    relais_trust_add(r->home, r->ctx, pubpath, "fuzz", kid) != 0 ||
	    relais_library_install(&inst, r->home, r->ctx, bundle) != 0 ||
	    relais_profile_add(&learner, r->home, r->ctx, "Fuzz", "fuzz@example.org", "") != 0) {
		die("setup", r->ctx);
	}
	relais_course_free(c);
	relais_diag_free(d);
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	free(dir); /* the folder stays for the run: the home lives in it */
	if ((r->sync = calloc(1, sizeof(*r->sync))) == NULL) {
		die("setup", NULL);
	}
	pthread_mutex_init(&r->sync->lock, NULL);
	pthread_mutex_init(&r->lock, NULL);
	r->route = relais_reader_route;
	memcpy(r->sessions[0].id, "0123456789abcdef0123456789abcdef", SECRET_HEX);
	memcpy(r->sessions[0].csrf, "fedcba9876543210fedcba9876543210", SECRET_HEX);
	return r;
}

/*
 * The input is "METHOD PATH\n" then the ?q= value up to a second "\n", then
 * the urlencoded form body of a POST; the session is the learner's at each
 * input, in English or French by the first byte's low bit. Changing PINs is
 * left out: each Argon2id hash costs 64 MiB and a tenth of a second.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relais_http_field *hfields = NULL;
	struct request req;
	char *copy = NULL, *path, *q = NULL, *body = "", *nl;
	size_t n = 0, i, len, body_len = 0;

	if (reader == NULL) {
		reader = make_reader();
	}
	if ((copy = malloc(size + 1)) == NULL) {
		return 0;
	}
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (strlen(copy) != size || (path = strchr(copy, ' ')) == NULL) {
		goto out; /* a NUL never reaches the pages: the server refuses it first */
	}
	*path++ = '\0';
	if ((nl = strchr(path, '\n')) != NULL) {
		*nl = '\0';
		q = nl + 1;
		if ((nl = strchr(q, '\n')) != NULL) {
			*nl = '\0';
			body = nl + 1;
			body_len = strlen(body);
		}
	}
	if ((strcmp(copy, "GET") != 0 && strcmp(copy, "POST") != 0) || path[0] != '/' ||
	    strncmp(path, "/who/pin", 8) == 0) {
		goto out;
	}
	memset(&req, 0, sizeof(req));
	if (strcmp(copy, "POST") == 0 && relais_http_form_parse(&hfields, &n, body, body_len,
	                                                        MAX_FIELDS, FIELD_VALUE_MAX) != 0) {
		goto out;
	}
	if (n > 0 && (req.fields = calloc(n, sizeof(*req.fields))) == NULL) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		req.fields[i].name = hfields[i].name;
		req.fields[i].value = hfields[i].value;
	}
	req.n_fields = n;
	reader->sessions[0].profile_id = learner;
	reader->sessions[0].lang = size > 0 && (data[0] & 1) ? LANG_FR : LANG_EN;
	req.reader = reader;
	req.session = &reader->sessions[0];
	req.method = copy;
	req.path = path;
	req.query_q = q;
	req.status = 200;
	reader->route(&req);
	if (req.status != 303 && req.entry_bundle == NULL && !req.body.rc) {
		char *page = relais_reader_frame(&req, &len);
		if (page != NULL && strstr(page, "</html>") == NULL) {
			abort(); /* every page is whole */
		}
		free(page);
	}
	free(req.title);
	relais_strbuf_free(&req.body);
	free(req.fields);
out:
	relais_http_fields_free(hfields, n);
	free(copy);
	return 0;
}
