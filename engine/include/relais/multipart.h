/* multipart.h: multipart/mixed bodies (RFC 2046), as xAPI sends statements with their attachments.
 */
#ifndef RELAIS_MULTIPART_H
#define RELAIS_MULTIPART_H

#include <stddef.h>

#include "relais/context.h"

#define RELAIS_MULTIPART_BOUNDARY_MAX 71 /* RFC 2046: 70 characters and a NUL */
#define RELAIS_MULTIPART_PARTS_MAX 101   /* the statements and 100 attachments */

/* One part: the headers xAPI reads, and its body (borrowed from the whole body). */
struct relais_multipart_part {
	char content_type[128]; /* "" when absent */
	char hash[130];         /* X-Experience-API-Hash, "" when absent */
	char encoding[32];      /* Content-Transfer-Encoding, "" when absent */
	const char *body;
	size_t len;
};

/*
 * The boundary parameter of a Content-Type header (quotes removed) into out
 * (RELAIS_MULTIPART_BOUNDARY_MAX bytes). Returns 0, or RELAIS_EFORMAT with
 * a message on ctx when type is not multipart/mixed or has no usable
 * boundary.
 */
int relais_multipart_boundary(char out[RELAIS_MULTIPART_BOUNDARY_MAX], relais_ctx *ctx,
                              const char *type);

/*
 * Splits body (len bytes) at boundary into at most max parts (parts[0] to
 * parts[*n - 1]), whose bodies point into body: valid while body is. A
 * preamble before the first delimiter and an epilogue after the closing one
 * are ignored, as RFC 2046 says. Returns 0; RELAIS_EFORMAT (no delimiter,
 * no closing delimiter, a part without the blank line that ends its
 * headers, a header line too long); RELAIS_ELIMIT (more than max parts);
 * each with a one-line message on ctx.
 */
int relais_multipart_parse(struct relais_multipart_part *parts, size_t max, size_t *n,
                           relais_ctx *ctx, const char *body, size_t len, const char *boundary);

#endif
