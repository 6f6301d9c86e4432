/* multipart.c: reading multipart/mixed bodies (RFC 2046) for xAPI statements with attachments. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "relais/error.h"
#include "relais/multipart.h"

#define HEADER_LINE_MAX 1024

/* The first occurrence of needle (n bytes) in hay (len bytes), or NULL. */
static const char *find(const char *hay, size_t len, const char *needle, size_t n)
{
	size_t i;

	if (n == 0 || len < n) {
		return NULL;
	}
	for (i = 0; i + n <= len; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) {
			return hay + i;
		}
	}
	return NULL;
}

int relais_multipart_boundary(char out[RELAIS_MULTIPART_BOUNDARY_MAX], relais_ctx *ctx,
                              const char *type)
{
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	if (type == NULL || strncasecmp(type, "multipart/mixed", 15) != 0 ||
	    (type[15] != '\0' && type[15] != ';' && type[15] != ' ')) {
		return relais_fail(ctx, RELAIS_EFORMAT, "Content-Type is not multipart/mixed");
	}
	for (p = type + 15; *p != '\0'; p++) {
		if (strncasecmp(p, "boundary=", 9) == 0 && (p[-1] == ';' || p[-1] == ' ')) {
			break;
		}
	}
	if (*p == '\0') {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "Content-Type multipart/mixed needs a boundary parameter");
	}
	p += 9;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && n < RELAIS_MULTIPART_BOUNDARY_MAX - 1; p++) {
			out[n++] = *p;
		}
		if (*p != '"') {
			n = 0;
		}
	} else {
		for (;
		     *p != '\0' && *p != ';' && *p != ' ' && n < RELAIS_MULTIPART_BOUNDARY_MAX - 1;
		     p++) {
			out[n++] = *p;
		}
		if (*p != '\0' && *p != ';' && *p != ' ') {
			n = 0;
		}
	}
	out[n] = '\0';
	if (n == 0) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "the multipart boundary must be 1 to 70 characters");
	}
	return 0;
}

/* Copies a header's value (trimmed) into out when the line names it. */
static void header_value(char *out, size_t size, const char *line, size_t len, const char *name)
{
	size_t n = strlen(name), v;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
		return;
	}
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t')) {
		len--;
	}
	v = len < size - 1 ? len : size - 1;
	memcpy(out, line, v);
	out[v] = '\0';
}

/* Reads the headers of part p from s (up to end); sets *body to where its body starts. */
static int headers(struct relais_multipart_part *p, relais_ctx *ctx, const char *s, const char *end,
                   const char **body, size_t index)
{
	while (s < end) {
		const char *eol = find(s, (size_t)(end - s), "\r\n", 2);
		size_t len;
		if (eol == NULL) {
			break;
		}
		len = (size_t)(eol - s);
		if (len == 0) {
			*body = eol + 2;
			return 0;
		}
		if (len > HEADER_LINE_MAX) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "multipart part %zu: a header line is too long", index);
		}
		header_value(p->content_type, sizeof(p->content_type), s, len, "Content-Type");
		header_value(p->hash, sizeof(p->hash), s, len, "X-Experience-API-Hash");
		header_value(p->encoding, sizeof(p->encoding), s, len, "Content-Transfer-Encoding");
		s = eol + 2;
	}
	return relais_fail(ctx, RELAIS_EFORMAT,
	                   "multipart part %zu: its headers do not end with a blank line", index);
}

int relais_multipart_parse(struct relais_multipart_part *parts, size_t max, size_t *n,
                           relais_ctx *ctx, const char *body, size_t len, const char *boundary)
{
	char delim[RELAIS_MULTIPART_BOUNDARY_MAX + 4];
	const char *end = body + len, *s, *next;
	size_t dlen;

	*n = 0;
	if (boundary == NULL || boundary[0] == '\0' ||
	    strlen(boundary) >= RELAIS_MULTIPART_BOUNDARY_MAX) {
		return relais_fail(ctx, RELAIS_EINVAL, "no multipart boundary");
	}
	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	/* The first delimiter starts the body or a line (after a preamble). */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		s = body + dlen - 2;
	} else if ((s = find(body, len, delim, dlen)) != NULL) {
		s += dlen;
	} else {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "the multipart body does not contain its boundary");
	}
	for (;;) {
		struct relais_multipart_part *p;
		const char *start = NULL;
		if ((size_t)(end - s) >= 2 && s[0] == '-' && s[1] == '-') {
			return 0; /* the closing delimiter: the rest is an epilogue */
		}
		while (s < end && (*s == ' ' || *s == '\t')) {
			s++; /* transport padding */
		}
		if ((size_t)(end - s) < 2 || s[0] != '\r' || s[1] != '\n') {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "multipart part %zu: the boundary line does not end "
			                   "with CRLF",
			                   *n);
		}
		s += 2;
		if (*n >= max) {
			return relais_fail(ctx, RELAIS_ELIMIT, "more than %zu multipart parts",
			                   max);
		}
		p = &parts[*n];
		memset(p, 0, sizeof(*p));
		if (headers(p, ctx, s, end, &start, *n) != 0) {
			return RELAIS_EFORMAT;
		}
		next = find(start, (size_t)(end - start), delim, dlen);
		if (next == NULL) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "the multipart body has no closing boundary");
		}
		p->body = start;
		p->len = (size_t)(next - start);
		(*n)++;
		s = next + dlen;
	}
}
