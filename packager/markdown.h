/* markdown.h: lessons in CommonMark rendered to HTML, with their links (private). */
#ifndef RELAIS_MARKDOWN_H
#define RELAIS_MARKDOWN_H

#include <stddef.h>

struct relais_md_link {
	char *target;  /* as written in the source */
	unsigned line; /* 1-based line of the link in the source, 0 if unknown */
	int is_image;
};

/*
 * Renders CommonMark with tables and strikethrough to an HTML fragment (raw
 * HTML in the source is shown as text, not passed through), rewrites relative
 * links to other lessons ("x.md") to their rendered pages ("x.html"), and
 * lists every link and image. Returns 0 or RELAIS_ENOMEM; *html and *links
 * belong to the caller.
 */
int relais_markdown_render(char **html, size_t *html_len, struct relais_md_link **links,
                           size_t *n_links, const char *text, size_t len);

void relais_markdown_links_free(struct relais_md_link *links, size_t n);

/* Whether a link target points inside the course: no scheme, not absolute, not "#...". */
int relais_link_is_local(const char *target);

#endif
