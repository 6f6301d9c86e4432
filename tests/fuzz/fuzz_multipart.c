/* fuzz_multipart.c: libFuzzer harness for multipart/mixed bodies and the JWS in their parts. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/jws.h"
#include "relais/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input is a Content-Type header's value, a newline, then the body:
 * e.g. "multipart/mixed; boundary=b\n--b\r\n...". Every part the parser
 * gives lies inside the body; each part is also tried as a JWS.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relais_multipart_part parts[RELAIS_MULTIPART_PARTS_MAX];
	char type[512], boundary[RELAIS_MULTIPART_BOUNDARY_MAX];
	const uint8_t *nl = memchr(data, '\n', size);
	const char *body;
	relais_ctx *ctx = NULL;
	size_t n = 0, len, i;
	int rc;

	if (nl == NULL || (size_t)(nl - data) >= sizeof(type)) {
		return 0;
	}
	memcpy(type, data, (size_t)(nl - data));
	type[nl - data] = '\0';
	body = (const char *)nl + 1;
	len = size - (size_t)(nl + 1 - data);
	if (relais_ctx_new(&ctx) != 0) {
		abort();
	}
	if (relais_multipart_boundary(boundary, ctx, type) != 0) {
		if (relais_errmsg(ctx)[0] == '\0') {
			abort(); /* every refusal says why */
		}
		relais_ctx_free(ctx);
		return 0;
	}
	if (boundary[0] == '\0' || strlen(boundary) >= RELAIS_MULTIPART_BOUNDARY_MAX) {
		abort();
	}
	rc = relais_multipart_parse(parts, RELAIS_MULTIPART_PARTS_MAX, &n, ctx, body, len,
	                            boundary);
	if (n > RELAIS_MULTIPART_PARTS_MAX || (rc != 0 && relais_errmsg(ctx)[0] == '\0')) {
		abort();
	}
	for (i = 0; rc == 0 && i < n; i++) {
		char *payload = NULL;
		int keyed;
		if (parts[i].body < body || parts[i].len > len ||
		    parts[i].body + parts[i].len > body + len) {
			abort(); /* a part outside the body */
		}
		if (relais_jws_verify(&payload, &keyed, ctx, parts[i].body, parts[i].len) == 0 &&
		    payload == NULL) {
			abort();
		}
		free(payload);
	}
	relais_ctx_free(ctx);
	return 0;
}
