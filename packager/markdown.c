/* markdown.c: render lessons with md4c and collect their links and images. */
#include <stdlib.h>
#include <string.h>

#include <md4c-html.h>
#include <md4c.h>

#include "markdown.h"
#include "relais/error.h"
#include "relais/strbuf.h"

/* Rendered HTML is larger than its Markdown; lessons are at most 1 MiB. */
#define RELAIS_LESSON_HTML_MAX (8u * 1024 * 1024)

#define PARSER_FLAGS (MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_NOHTML)

static void on_html(const MD_CHAR *s, MD_SIZE n, void *data)
{
	relais_strbuf_addn(data, s, n);
}

struct collect {
	const char *doc;
	size_t doc_len;
	struct relais_md_link *links;
	size_t n, cap;
	int failed;
};

static unsigned line_at(const char *doc, size_t len, const char *at)
{
	unsigned line = 1;
	const char *p;

	if (at < doc || at > doc + len) {
		return 0;
	}
	for (p = doc; p < at; p++) {
		line += *p == '\n';
	}
	return line;
}

static void add_link(struct collect *c, const MD_ATTRIBUTE *a, int is_image)
{
	struct relais_md_link *l;
	const char *found;
	char *target;

	if (c->failed || a->size == 0) {
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct relais_md_link *p = realloc(c->links, cap * sizeof(*p));
		if (p == NULL) {
			c->failed = 1;
			return;
		}
		c->links = p;
		c->cap = cap;
	}
	target = strndup(a->text, a->size);
	if (target == NULL) {
		c->failed = 1;
		return;
	}
	l = &c->links[c->n++];
	l->target = target;
	l->is_image = is_image;
	/* md4c points into the source when it can; otherwise search for it. */
	l->line = line_at(c->doc, c->doc_len, a->text);
	if (l->line == 0 && (found = memmem(c->doc, c->doc_len, target, strlen(target))) != NULL) {
		l->line = line_at(c->doc, c->doc_len, found);
	}
}

static int enter_span(MD_SPANTYPE type, void *detail, void *data)
{
	if (type == MD_SPAN_A) {
		add_link(data, &((MD_SPAN_A_DETAIL *)detail)->href, 0);
	} else if (type == MD_SPAN_IMG) {
		add_link(data, &((MD_SPAN_IMG_DETAIL *)detail)->src, 1);
	}
	return 0;
}

static int ignore_block(MD_BLOCKTYPE type, void *detail, void *data)
{
	return 0;
}

static int ignore_span(MD_SPANTYPE type, void *detail, void *data)
{
	return 0;
}

static int ignore_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *data)
{
	return 0;
}

int relais_link_is_local(const char *t)
{
	const char *p;

	if (t[0] == '#' || t[0] == '/' || t[0] == '\0') {
		return 0;
	}
	for (p = t; *p && *p != '/' && *p != '?' && *p != '#'; p++) {
		if (*p == ':') {
			return 0; /* a scheme: http:, mailto:, ... */
		}
	}
	return 1;
}

/* Rewrites href="...x.md" and href="...x.md#frag" to .html. */
static int rewrite_lesson_links(struct relais_strbuf *o)
{
	struct relais_strbuf r = {.max = RELAIS_LESSON_HTML_MAX};
	const char *p = o->p, *end = o->p + o->len, *q;

	while (p < end && (q = memmem(p, (size_t)(end - p), "href=\"", 6)) != NULL) {
		const char *v = q + 6, *close = memchr(v, '"', (size_t)(end - v));
		const char *path_end = v;
		char *val;
		if (close == NULL) {
			break;
		}
		while (path_end < close && *path_end != '#' && *path_end != '?') {
			path_end++;
		}
		relais_strbuf_addn(&r, p, (size_t)(v - p));
		val = strndup(v, (size_t)(close - v));
		if (val == NULL) {
			relais_strbuf_free(&r);
			return RELAIS_ENOMEM;
		}
		if (relais_link_is_local(val) && path_end - v > 3 &&
		    memcmp(path_end - 3, ".md", 3) == 0) {
			relais_strbuf_addn(&r, v, (size_t)(path_end - 3 - v));
			relais_strbuf_addn(&r, ".html", 5);
			relais_strbuf_addn(&r, path_end, (size_t)(close - path_end));
		} else {
			relais_strbuf_addn(&r, v, (size_t)(close - v));
		}
		free(val);
		p = close;
	}
	relais_strbuf_addn(&r, p, (size_t)(end - p));
	if (r.rc != 0) {
		int rc = r.rc;
		relais_strbuf_free(&r);
		return rc;
	}
	relais_strbuf_free(o);
	*o = r;
	return 0;
}

int relais_markdown_render(char **html, size_t *html_len, struct relais_md_link **links,
                           size_t *n_links, const char *text, size_t len)
{
	struct collect c = {.doc = text, .doc_len = len};
	struct relais_strbuf o = {.max = RELAIS_LESSON_HTML_MAX};
	MD_PARSER parser;
	int rc = 0;

	*html = NULL;
	*html_len = 0;
	*links = NULL;
	*n_links = 0;
	if (md_html(text, (MD_SIZE)len, on_html, &o, PARSER_FLAGS, 0) != 0 || o.rc != 0) {
		rc = o.rc ? o.rc : RELAIS_ENOMEM;
		goto out;
	}
	memset(&parser, 0, sizeof(parser));
	parser.abi_version = 0;
	parser.flags = PARSER_FLAGS;
	parser.enter_block = ignore_block;
	parser.leave_block = ignore_block;
	parser.enter_span = enter_span;
	parser.leave_span = ignore_span;
	parser.text = ignore_text;
	if (md_parse(text, (MD_SIZE)len, &parser, &c) != 0 || c.failed) {
		rc = RELAIS_ENOMEM;
		goto out;
	}
	if ((rc = rewrite_lesson_links(&o)) != 0) {
		goto out;
	}
	relais_strbuf_addn(&o, "", 0); /* an empty lesson still gets a string */
	if (o.rc != 0) {
		rc = o.rc;
		goto out;
	}
	*html = o.p;
	*html_len = o.len;
	o.p = NULL;
	*links = c.links;
	*n_links = c.n;
	c.links = NULL;
	c.n = 0;
out:
	relais_strbuf_free(&o);
	relais_markdown_links_free(c.links, c.n);
	return rc;
}

void relais_markdown_links_free(struct relais_md_link *links, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(links[i].target);
	}
	free(links);
}
