/* html.h: a bounded string builder for pages, with HTML escaping (private). */
#ifndef RELAIS_HTML_H
#define RELAIS_HTML_H

#include <stddef.h>

#define HTML_MAX (8u * 1024 * 1024) /* no page grows past this */

struct html {
	char *data;
	size_t len, cap;
	int failed; /* out of memory or over HTML_MAX: the page is not sent */
};

/* Appends raw text (already HTML). */
void html_raw(struct html *h, const char *s);
void html_rawn(struct html *h, const char *s, size_t n);

/* Appends text, escaping & < > " '. */
void html_text(struct html *h, const char *s);

/* Appends formatted raw text; arguments are not escaped. */
void html_printf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s percent-encoded for a URL query or path segment. */
void html_url(struct html *h, const char *s);

/* Frees the buffer. */
void html_free(struct html *h);

#endif
