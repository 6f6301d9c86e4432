/* strbuf.h: a growing string with a hard cap, for every module that writes text (private). */
#ifndef RELAIS_STRBUF_H
#define RELAIS_STRBUF_H

#include <stddef.h>

#include "relais/context.h"

#define RELAIS_STRBUF_DEFAULT_MAX (8u * 1024 * 1024)

/*
 * Zero-initialise one (max 0 means RELAIS_STRBUF_DEFAULT_MAX). The first
 * failure is kept in rc (RELAIS_ENOMEM, or RELAIS_ELIMIT past max) and every
 * later append does nothing, so callers check once at the end. p is
 * NUL-terminated whenever it is not NULL, and belongs to the buffer until
 * taken.
 */
struct relais_strbuf {
	char *p;
	size_t len, cap, max;
	int rc;
};

/* Appends n bytes as they are (binary safe: NUL bytes included). */
void relais_strbuf_addn(struct relais_strbuf *b, const char *s, size_t n);
/* Appends the NUL-terminated string s. */
void relais_strbuf_add(struct relais_strbuf *b, const char *s);

/* Appends text escaped for HTML content or a quoted attribute (& < > " '). */
void relais_strbuf_add_htmln(struct relais_strbuf *b, const char *s, size_t n);
void relais_strbuf_add_html(struct relais_strbuf *b, const char *s);

/* Appends s percent-encoded for a URL path or query value ('/' kept). */
void relais_strbuf_add_url(struct relais_strbuf *b, const char *s);

/* Appends formatted text of any length (within the cap); arguments are not escaped. */
void relais_strbuf_printf(struct relais_strbuf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * Empties the buffer and clears rc, keeping its memory and max, so one
 * buffer can be filled again and again (one per request, say).
 */
void relais_strbuf_reset(struct relais_strbuf *b);

/*
 * Takes the text: returns it malloc'd and NUL-terminated ("" when nothing
 * was added), owned by the caller, and leaves the buffer empty (keeping
 * max). Returns NULL when rc is set or memory runs out; the text is freed
 * then, and rc says why.
 */
char *relais_strbuf_detach(struct relais_strbuf *b);

/*
 * relais_strbuf_detach() for a function that reports through ctx: sets *out
 * to the text and returns 0, or sets *out to NULL, frees the text and fails
 * with RELAIS_ELIMIT ("WHAT: output exceeds N bytes") or RELAIS_ENOMEM.
 * Either way the buffer is left empty, rc cleared, max kept.
 */
int relais_strbuf_finish(char **out, struct relais_strbuf *b, relais_ctx *ctx, const char *what);

/* Frees the text and resets the buffer (keeping max). */
void relais_strbuf_free(struct relais_strbuf *b);

#endif
