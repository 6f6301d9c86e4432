/* html.c: lesson and quiz HTML parsed with libxml2 and written back through an allow-list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "relais/error.h"
#include "relais/html.h"
#include "relais/quiz.h"
#include "relais/strbuf.h"
#include "relais/utf8.h"

#define HTML_MAX (16u * 1024 * 1024)
#define DEPTH_MAX 256 /* libxml2 stops nesting far below this anyway */

/* Elements kept with their allowed attributes; void ones have no end tag. */
static const char *const kept[] = {
        "a",     "abbr",  "b",      "blockquote", "br",  "caption", "cite",       "code",   "dd",
        "del",   "dfn",   "div",    "dl",         "dt",  "em",      "figcaption", "figure", "h1",
        "h2",    "h3",    "h4",     "h5",         "h6",  "hr",      "i",          "img",    "ins",
        "kbd",   "li",    "mark",   "ol",         "p",   "pre",     "q",          "s",      "samp",
        "small", "span",  "strong", "sub",        "sup", "table",   "tbody",      "td",     "tfoot",
        "th",    "thead", "time",   "tr",         "u",   "ul",      "var",        "wbr",    NULL,
};
static const char *const voids[] = {"br", "hr", "img", "wbr", NULL};

/* Elements removed with everything inside them. */
static const char *const dropped[] = {
        "applet",   "audio",    "base",   "button", "canvas", "embed",    "frame",
        "frameset", "iframe",   "input",  "link",   "math",   "meta",     "noembed",
        "noframes", "noscript", "object", "option", "param",  "picture",  "plaintext",
        "script",   "select",   "source", "style",  "svg",    "template", "textarea",
        "title",    "track",    "video",  "xmp",    NULL,
};

/*
 * A fragment is parsed inside this element, so that text at its start is not
 * put in an implied <p>; the element itself is not written back. It has no
 * closing tag: the end of the input closes it and all it holds.
 */
#define WRAPPER "relais-fragment"

struct writer {
	struct relais_strbuf out;
	struct relais_html_report *report;
	xmlNodePtr wrapper; /* the WRAPPER element of a fragment, NULL for a lesson */
};

static int in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, name) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Counts one thing removed, naming it when it is the first: prefix what suffix. */
static void removed(struct writer *w, const char *prefix, const char *what, const char *suffix)
{
	if (w->report->removed++ == 0) {
		(void)snprintf(w->report->first, sizeof(w->report->first), "%s%s%s", prefix, what,
		               suffix);
	}
}

/* Text for element content or a double-quoted attribute: & < > " escaped, as md4c writes. */
static void add_escaped(struct relais_strbuf *b, const char *s)
{
	size_t from = 0, i;

	for (i = 0; s[i] != '\0'; i++) {
		const char *rep = s[i] == '&'   ? "&amp;"
		                  : s[i] == '<' ? "&lt;"
		                  : s[i] == '>' ? "&gt;"
		                  : s[i] == '"' ? "&quot;"
		                                : NULL;
		if (rep != NULL) {
			relais_strbuf_addn(b, s + from, i - from);
			relais_strbuf_add(b, rep);
			from = i + 1;
		}
	}
	relais_strbuf_addn(b, s + from, i - from);
}

/* The scheme of a URL as a browser reads it, lower-cased into out; "" when relative. */
static void scheme_of(char *out, size_t size, const char *url)
{
	size_t n = 0;
	int too_long = 0;

	out[0] = '\0';
	/* Leading spaces and C0 controls are stripped, tabs and line breaks ignored anywhere. */
	while (*url != '\0' && (unsigned char)*url <= 0x20) {
		url++;
	}
	for (; *url != '\0'; url++) {
		char c = *url;
		if (c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		if (c == ':') {
			/* ":x" names no scheme, and none kept is this long: both refused as "?". */
			out[too_long || n == 0 ? 0 : n] = '\0';
			if (too_long || n == 0) {
				(void)snprintf(out, size, "?");
			}
			return;
		}
		if (c == '/' || c == '?' || c == '#') {
			break;
		}
		if (n + 1 >= size) {
			too_long = 1;
		} else {
			out[n++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
		}
	}
	out[0] = '\0'; /* no colon before the path: relative */
}

int relais_html_href_ok(const char *url)
{
	char scheme[16];

	scheme_of(scheme, sizeof(scheme), url);
	return scheme[0] == '\0' || strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	       strcmp(scheme, "mailto") == 0;
}

int relais_html_src_ok(const char *url)
{
	static const char *const images[] = {"data:image/png", "data:image/jpeg", "data:image/gif",
	                                     "data:image/webp", NULL};
	char scheme[16];
	size_t i;

	scheme_of(scheme, sizeof(scheme), url);
	if (scheme[0] == '\0' || strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) {
		return 1;
	}
	if (strcmp(scheme, "data") != 0) {
		return 0;
	}
	for (i = 0; images[i] != NULL; i++) {
		size_t n = strlen(images[i]);
		if (strncasecmp(url, images[i], n) == 0 && (url[n] == ';' || url[n] == ',')) {
			return 1;
		}
	}
	return 0;
}

/* Whether an attribute may stay on an element, its value judged too. */
static int attribute_ok(const char *element, const char *name, const char *value)
{
	if (strcmp(name, "title") == 0 || strcmp(name, "lang") == 0 || strcmp(name, "dir") == 0) {
		return 1;
	}
	if (strcmp(element, "a") == 0 && strcmp(name, "href") == 0) {
		return relais_html_href_ok(value);
	}
	if (strcmp(element, "img") == 0) {
		if (strcmp(name, "src") == 0) {
			return relais_html_src_ok(value);
		}
		return strcmp(name, "alt") == 0 || strcmp(name, "width") == 0 ||
		       strcmp(name, "height") == 0;
	}
	if (strcmp(element, "td") == 0 || strcmp(element, "th") == 0) {
		return strcmp(name, "align") == 0 || strcmp(name, "colspan") == 0 ||
		       strcmp(name, "rowspan") == 0;
	}
	if (strcmp(element, "ol") == 0) {
		return strcmp(name, "start") == 0;
	}
	if (strcmp(element, "code") == 0 && strcmp(name, "class") == 0) {
		const char *p = value + 9;
		if (strncmp(value, "language-", 9) != 0 || *p == '\0') {
			return 0;
		}
		for (; *p != '\0'; p++) {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '+' ||
			      *p == '#' || *p == '.')) {
				return 0;
			}
		}
		return 1;
	}
	return 0;
}

static void write_nodes(struct writer *w, xmlNodePtr n, unsigned depth);

static void write_element(struct writer *w, xmlNodePtr n, unsigned depth)
{
	const char *name = (const char *)n->name;
	xmlAttrPtr a;

	if (in_list(dropped, name)) {
		removed(w, "<", name, ">");
		return;
	}
	if (n == w->wrapper) {
		write_nodes(w, n->children, depth + 1);
		return;
	}
	if (!in_list(kept, name)) {
		/* html, head and body are libxml2's wrapping (head holds what it
		 * moved there: meta, title...); anything else unknown goes, its text stays. */
		if (strcmp(name, "html") != 0 && strcmp(name, "head") != 0 &&
		    strcmp(name, "body") != 0) {
			removed(w, "<", name, ">");
		}
		write_nodes(w, n->children, depth + 1);
		return;
	}
	relais_strbuf_add(&w->out, "<");
	relais_strbuf_add(&w->out, name);
	for (a = n->properties; a != NULL; a = a->next) {
		xmlChar *value = xmlNodeGetContent((xmlNodePtr)a);
		const char *v = value != NULL ? (const char *)value : "";
		if (attribute_ok(name, (const char *)a->name, v)) {
			relais_strbuf_add(&w->out, " ");
			relais_strbuf_add(&w->out, (const char *)a->name);
			relais_strbuf_add(&w->out, "=\"");
			add_escaped(&w->out, v);
			relais_strbuf_add(&w->out, "\"");
		} else if (strcmp((const char *)a->name, "href") == 0 ||
		           strcmp((const char *)a->name, "src") == 0) {
			char scheme[16];
			scheme_of(scheme, sizeof(scheme), v);
			removed(w, "", scheme, ": link");
		} else {
			removed(w, "", (const char *)a->name, " attribute");
		}
		xmlFree(value);
	}
	relais_strbuf_add(&w->out, ">");
	if (in_list(voids, name)) {
		return;
	}
	write_nodes(w, n->children, depth + 1);
	relais_strbuf_add(&w->out, "</");
	relais_strbuf_add(&w->out, name);
	relais_strbuf_add(&w->out, ">");
}

static void write_nodes(struct writer *w, xmlNodePtr n, unsigned depth)
{
	if (depth > DEPTH_MAX) {
		removed(w, "", "nesting too deep", "");
		return;
	}
	for (; n != NULL; n = n->next) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			write_element(w, n, depth);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content != NULL) {
				add_escaped(&w->out, (const char *)n->content);
			}
			break;
		case XML_COMMENT_NODE:
		case XML_DTD_NODE:
			break; /* comments say nothing to a learner; the DTD is libxml2's */
		default:
			removed(w, "", "markup that is not an element", "");
			break;
		}
	}
}

/* The wrapper of a parsed fragment: the first child of the body, as the parser left it. */
static xmlNodePtr find_wrapper(htmlDocPtr doc)
{
	xmlNodePtr n = xmlDocGetRootElement(doc);

	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "body") == 0) {
			n = n->children;
			return n != NULL && n->type == XML_ELEMENT_NODE &&
			                       strcmp((const char *)n->name, WRAPPER) == 0
			               ? n
			               : NULL;
		}
	}
	return NULL;
}

/*
 * Parses len bytes of html (as a fragment when fragment is set) with pc and
 * appends the kept part to w->out. Returns 0 or RELAIS_ENOMEM; w->out.rc
 * says whether the output fitted.
 */
static int clean(struct writer *w, htmlParserCtxtPtr pc, const char *html, size_t len, int fragment)
{
	static const char prefix[] = "<" WRAPPER ">";
	struct relais_strbuf in = {.max = HTML_MAX + sizeof(prefix)};
	htmlDocPtr doc;
	size_t i;

	for (i = 0;
	     i < len && (html[i] == ' ' || html[i] == '\n' || html[i] == '\t' || html[i] == '\r');
	     i++) {
	}
	if (i == len) {
		return 0; /* nothing but white space, which no page needs */
	}
	if (fragment) {
		relais_strbuf_add(&in, prefix);
		relais_strbuf_addn(&in, html, len);
		if (in.rc != 0) {
			return RELAIS_ENOMEM;
		}
		html = in.p;
		len = in.len;
	}
	doc = htmlCtxtReadMemory(pc, html, (int)len, NULL, "UTF-8",
	                         HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	relais_strbuf_free(&in);
	if (doc == NULL) {
		return RELAIS_ENOMEM;
	}
	w->wrapper = fragment ? find_wrapper(doc) : NULL;
	write_nodes(w, doc->children, 0);
	w->wrapper = NULL;
	xmlFreeDoc(doc);
	return 0;
}

/* Hands w->out over as *out, or fails naming what (a lesson, a quiz) was too large. */
static int finish(char **out, size_t *out_len, struct writer *w, relais_ctx *ctx, int rc,
                  const char *what)
{
	*out_len = w->out.len;
	*out = rc == 0 ? relais_strbuf_detach(&w->out) : NULL;
	if (*out != NULL) {
		/* The buffer grew by doubling; what is kept (the reader's cache holds
		 * every cleaned lesson) takes only the text's own size. */
		char *fit = realloc(*out, *out_len + 1);
		*out = fit != NULL ? fit : *out;
	} else {
		*out_len = 0;
		if (rc == 0 && w->out.rc == RELAIS_ELIMIT) {
			rc = relais_fail(ctx, RELAIS_ELIMIT, "%s is too large", what);
		} else {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	relais_strbuf_free(&w->out);
	return rc;
}

/* Runs clean() once with a parser context of its own. */
static int sanitize(char **out, size_t *out_len, struct relais_html_report *report, relais_ctx *ctx,
                    const char *html, size_t len, int fragment)
{
	const char *what = fragment ? "html fragment" : "lesson";
	htmlParserCtxtPtr pc = NULL;
	struct writer w;
	int rc = 0;

	*out = NULL;
	*out_len = 0;
	memset(report, 0, sizeof(*report));
	memset(&w, 0, sizeof(w));
	w.report = report;
	w.out.max = HTML_MAX * 2;
	if (len > HTML_MAX) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s is over %u bytes", what, HTML_MAX);
	}
	if ((pc = htmlNewParserCtxt()) == NULL) {
		rc = RELAIS_ENOMEM;
	} else {
		rc = clean(&w, pc, html, len, fragment);
		htmlFreeParserCtxt(pc);
	}
	return finish(out, out_len, &w, ctx, rc, what);
}

int relais_html_sanitize(char **out, size_t *out_len, struct relais_html_report *report,
                         relais_ctx *ctx, const char *html, size_t len)
{
	return sanitize(out, out_len, report, ctx, html, len, 0);
}

int relais_html_sanitize_fragment(char **out, size_t *out_len, struct relais_html_report *report,
                                  relais_ctx *ctx, const char *html, size_t len)
{
	return sanitize(out, out_len, report, ctx, html, len, 1);
}

/* ---- quiz JSON ---- */

struct quiz_walk {
	relais_ctx *ctx;
	htmlParserCtxtPtr pc;   /* one parser for every fragment */
	const cJSON *questions; /* the array quiz.c reads, to number questions */
	struct relais_html_report *report;
	int changed; /* some fragment came out different */
};

/* Whether a member's name says it holds HTML (docs/quiz-format.md 2.3): "..._html". */
static int names_html(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	return n >= 5 && strcasecmp(name + n - 5, "_html") == 0;
}

/* Cleans one fragment in place; question is 1-based, 0 outside the questions. */
static int clean_member(struct quiz_walk *qw, cJSON *item, size_t question)
{
	struct relais_html_report one;
	struct writer w;
	const char *s = item->valuestring;
	size_t len = strlen(s);
	int rc;

	if (!relais_utf8_valid(s, len)) {
		if (question > 0) {
			return relais_fail(qw->ctx, RELAIS_EFORMAT,
			                   "quiz: question %zu: %s is not valid utf-8", question,
			                   item->string);
		}
		return relais_fail(qw->ctx, RELAIS_EFORMAT, "quiz: %s is not valid utf-8",
		                   item->string);
	}
	/* Text with no '<' and no '&' can open no element and name no character:
	 * it is kept as it is, without a parser. */
	if (strchr(s, '<') == NULL && strchr(s, '&') == NULL) {
		return 0;
	}
	memset(&one, 0, sizeof(one));
	memset(&w, 0, sizeof(w));
	w.report = &one;
	w.out.max = RELAIS_QUIZ_MAX_BYTES * 2;
	if ((rc = clean(&w, qw->pc, s, len, 1)) == 0 && w.out.rc == 0) {
		const char *clean_s = w.out.p != NULL ? w.out.p : "";
		if (strcmp(clean_s, s) != 0) {
			qw->changed = 1;
			if (cJSON_SetValuestring(item, clean_s) == NULL) {
				rc = RELAIS_ENOMEM;
			}
		}
	} else if (rc == 0) {
		rc = w.out.rc;
	}
	relais_strbuf_free(&w.out);
	if (rc != 0) {
		return rc == RELAIS_ELIMIT ? relais_fail(qw->ctx, rc, "quiz is too large")
		                           : relais_fail(qw->ctx, rc, "out of memory");
	}
	if (one.removed > 0 && qw->report->removed == 0) {
		memcpy(qw->report->first, one.first, sizeof(one.first));
		qw->report->question = question;
	}
	qw->report->removed += one.removed;
	return 0;
}

/* Cleans every "..._html" string member under node, at any depth. */
static int clean_json(struct quiz_walk *qw, cJSON *node, size_t question)
{
	cJSON *item;
	size_t i = 0;
	int rc;

	cJSON_ArrayForEach(item, node)
	{
		size_t q = node == qw->questions ? ++i : question;

		if (cJSON_IsString(item) && item->valuestring != NULL && names_html(item->string)) {
			rc = clean_member(qw, item, q);
		} else if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
			rc = clean_json(qw, item, q);
		} else {
			rc = 0;
		}
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int relais_html_sanitize_quiz(char **out, size_t *out_len, struct relais_html_report *report,
                              relais_ctx *ctx, const char *json, size_t len)
{
	struct quiz_walk qw;
	cJSON *doc = NULL;
	char *copy = NULL, *printed = NULL;
	int rc = 0;

	*out = NULL;
	*out_len = 0;
	memset(report, 0, sizeof(*report));
	memset(&qw, 0, sizeof(qw));
	qw.ctx = ctx;
	qw.report = report;
	if (len > RELAIS_QUIZ_MAX_BYTES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "quiz: over %d bytes",
		                   RELAIS_QUIZ_MAX_BYTES);
	}
	if ((copy = malloc(len + 1)) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	/* Read as relais_quiz_parse() reads it, so every string it takes is seen here. */
	if ((doc = cJSON_ParseWithOpts(copy, NULL, 1)) == NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: not valid json");
		goto out;
	}
	if ((qw.pc = htmlNewParserCtxt()) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	qw.questions = cJSON_GetObjectItemCaseSensitive(doc, "questions");
	if ((rc = clean_json(&qw, doc, 0)) != 0) {
		goto out;
	}
	if (!qw.changed) {
		*out = copy; /* as it came: same bytes, nothing to write again */
		*out_len = len;
		copy = NULL;
		goto out;
	}
	if ((printed = cJSON_PrintUnformatted(doc)) == NULL || (*out = strdup(printed)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	*out_len = strlen(*out);
out:
	cJSON_free(printed);
	htmlFreeParserCtxt(qw.pc);
	cJSON_Delete(doc);
	free(copy);
	return rc;
}
