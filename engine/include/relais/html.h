/* html.h: lesson and quiz HTML cut down to an allow-list before a reader shows it. */
#ifndef RELAIS_HTML_H
#define RELAIS_HTML_H

#include <stddef.h>

#include "relais/context.h"

/*
 * A lesson is an HTML fragment shown inside the reader's own page. Only
 * text markup is kept: headings, paragraphs, lists, tables, links, images,
 * code, quotes and inline emphasis, with the attributes they need (href,
 * src, alt, title, lang, dir, width, height, align, colspan, rowspan,
 * start, and class="language-..." on code). Everything else goes:
 * form, input, button, select, textarea, meta, base, link, iframe,
 * object, embed, style, script, svg, math, template and their content;
 * every on* and other attribute; links whose scheme is not http, https or
 * mailto; image sources that are not relative, http(s) or data:image/
 * (png, jpeg, gif, webp). Unknown elements give way to their content.
 * Every element is closed where the fragment ends, so nothing in it can
 * reach the reader's markup after it.
 */

/*
 * What was removed: how many things, and the first one ("<form>", "onclick
 * attribute", "javascript: link"); for a quiz, the question that held it.
 */
struct relais_html_report {
	size_t removed;
	char first[64];
	size_t question; /* quizzes: 1-based number of the question holding first; 0 if none */
};

/*
 * Writes the kept part of html (len bytes of UTF-8) to *out (malloc'd,
 * NUL-terminated, *out_len bytes without the NUL) and says in *report what
 * went. What `relais pack` writes comes out as it went in, except that
 * character references (&copy;) come out as the characters they name.
 * Returns 0, RELAIS_ELIMIT (over 16 MiB), RELAIS_ENOMEM.
 */
int relais_html_sanitize(char **out, size_t *out_len, struct relais_html_report *report,
                         relais_ctx *ctx, const char *html, size_t len);

/*
 * The same for one HTML fragment of a quiz (question text, an answer, a
 * feedback): parsed inside a wrapper element, so text at its start stays
 * bare text (no implied <p>), and written back as the wrapper's children,
 * every element closed where the fragment ends. Returns 0, RELAIS_ELIMIT,
 * RELAIS_ENOMEM.
 */
int relais_html_sanitize_fragment(char **out, size_t *out_len, struct relais_html_report *report,
                                  relais_ctx *ctx, const char *html, size_t len);

/*
 * Quiz JSON (docs/quiz-format.md, len bytes) with every HTML fragment
 * cleaned as relais_html_sanitize_fragment() does: each string member whose
 * name ends in "_html", at any depth, duplicates included. Everything else
 * is kept. When no fragment changes, *out holds the input's own bytes;
 * otherwise the document written again (cJSON). *out is malloc'd and
 * NUL-terminated. *report counts what went over the whole quiz and names
 * the first thing and its question. Returns 0, RELAIS_EFORMAT (not JSON, a
 * fragment not UTF-8), RELAIS_ELIMIT (over RELAIS_QUIZ_MAX_BYTES),
 * RELAIS_ENOMEM.
 */
int relais_html_sanitize_quiz(char **out, size_t *out_len, struct relais_html_report *report,
                              relais_ctx *ctx, const char *json, size_t len);

/*
 * Whether a link target may stay in a lesson: relative (a course file, a
 * "#fragment"), or http:, https:, mailto:. Browsers ignore tabs and line
 * breaks in a URL and leading spaces or control characters; so does this.
 */
int relais_html_href_ok(const char *url);

/* Whether an image source may stay: relative, http(s), or data:image/png|jpeg|gif|webp. */
int relais_html_src_ok(const char *url);

#endif
