/* strbuf.c: growing strings with a hard cap and HTML and URL escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/error.h"
#include "relais/strbuf.h"

void relais_strbuf_addn(struct relais_strbuf *b, const char *s, size_t n)
{
	size_t cap, max = b->max ? b->max : RELAIS_STRBUF_DEFAULT_MAX;
	char *p;

	if (b->rc != 0) {
		return;
	}
	if (n > max - b->len) {
		b->rc = RELAIS_ELIMIT;
		return;
	}
	if (b->p == NULL || b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		if (cap > max + 1) {
			cap = max + 1;
		}
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->rc = RELAIS_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n > 0) {
		memcpy(b->p + b->len, s, n);
	}
	b->len += n;
	b->p[b->len] = '\0';
}

void relais_strbuf_add(struct relais_strbuf *b, const char *s)
{
	relais_strbuf_addn(b, s, strlen(s));
}

void relais_strbuf_add_htmln(struct relais_strbuf *b, const char *s, size_t n)
{
	size_t i, from = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		relais_strbuf_addn(b, s + from, i - from);
		relais_strbuf_add(b, rep);
		from = i + 1;
	}
	relais_strbuf_addn(b, s + from, n - from);
}

void relais_strbuf_add_html(struct relais_strbuf *b, const char *s)
{
	relais_strbuf_add_htmln(b, s, strlen(s));
}

void relais_strbuf_add_url(struct relais_strbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			relais_strbuf_addn(b, (const char *)&c, 1);
		} else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			relais_strbuf_addn(b, esc, 3);
		}
	}
}

void relais_strbuf_printf(struct relais_strbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	char *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (b->rc == 0) {
			b->rc = RELAIS_EINVAL;
		}
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		relais_strbuf_addn(b, tmp, (size_t)n);
		return;
	}
	/* Longer text (a QR code's SVG, a long code): formatted again at its size. */
	if ((big = malloc((size_t)n + 1)) == NULL) {
		if (b->rc == 0) {
			b->rc = RELAIS_ENOMEM;
		}
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	relais_strbuf_addn(b, big, (size_t)n);
	free(big);
}

void relais_strbuf_reset(struct relais_strbuf *b)
{
	b->len = 0;
	b->rc = 0;
	if (b->p != NULL) {
		b->p[0] = '\0';
	}
}

char *relais_strbuf_detach(struct relais_strbuf *b)
{
	size_t max = b->max;
	char *p;
	int rc;

	relais_strbuf_addn(b, "", 0);
	p = b->rc == 0 ? b->p : NULL;
	rc = b->rc;
	if (p == NULL) {
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->rc = p == NULL ? rc : 0;
	return p;
}

int relais_strbuf_finish(char **out, struct relais_strbuf *b, relais_ctx *ctx, const char *what)
{
	size_t max = b->max ? b->max : RELAIS_STRBUF_DEFAULT_MAX;
	int rc;

	if ((*out = relais_strbuf_detach(b)) != NULL) {
		return 0;
	}
	rc = b->rc;
	b->rc = 0;
	if (rc == RELAIS_ELIMIT) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: output exceeds %zu bytes", what, max);
	}
	return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

void relais_strbuf_free(struct relais_strbuf *b)
{
	size_t max = b->max;

	free(b->p);
	memset(b, 0, sizeof(*b));
	b->max = max;
}
