/* html.c: page building with escaping and a hard size cap. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

void html_rawn(struct html *h, const char *s, size_t n)
{
	if (h->failed) {
		return;
	}
	if (n > HTML_MAX - h->len) {
		h->failed = 1;
		return;
	}
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		char *p;
		while (cap < h->len + n + 1) {
			cap *= 2;
		}
		p = realloc(h->data, cap);
		if (p == NULL) {
			h->failed = 1;
			return;
		}
		h->data = p;
		h->cap = cap;
	}
	memcpy(h->data + h->len, s, n);
	h->len += n;
	h->data[h->len] = '\0';
}

void html_raw(struct html *h, const char *s)
{
	html_rawn(h, s, strlen(s));
}

void html_text(struct html *h, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;
		switch (*s) {
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
		html_rawn(h, run, (size_t)(s - run));
		html_raw(h, rep);
		run = s + 1;
	}
	html_rawn(h, run, (size_t)(s - run));
}

void html_printf(struct html *h, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		h->failed = 1;
		return;
	}
	html_rawn(h, buf, (size_t)n);
}

void html_url(struct html *h, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			html_rawn(h, (const char *)&c, 1);
		} else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			html_rawn(h, esc, 3);
		}
	}
}

void html_free(struct html *h)
{
	free(h->data);
	memset(h, 0, sizeof(*h));
}
