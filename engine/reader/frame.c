/* frame.c: the page frame: layout.html around a page's body, with the navigation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_private.h"
#include "ui.h"

static const char *layout_html(void)
{
	const struct relais_embedded_file *f = relais_embedded_find(relais_ui_files, "layout.html");

	return f ? (const char *)f->data : "{{body}}";
}

/* The header: navigation, then every language, each named in itself. */
static void page_header(struct relais_strbuf *h, const struct request *req)
{
	enum lang l = req->session->lang;
	int i;

	relais_strbuf_printf(h, "<nav aria-label=\"relais\"><ul><li><a href=\"/\">%s</a></li>",
	                     relais_tr(l, M_NAV_LIBRARY));
	relais_strbuf_printf(h, "<li><a href=\"/search\">%s</a></li>", relais_tr(l, M_NAV_SEARCH));
	relais_strbuf_printf(h, "<li><a href=\"/outbox\">%s</a></li>", relais_tr(l, M_NAV_OUTBOX));
	relais_strbuf_printf(h, "<li><a href=\"/updates\">%s</a></li>",
	                     relais_tr(l, M_NAV_UPDATES));
	relais_strbuf_printf(h, "<li><a href=\"/who\">%s</a></li></ul></nav>",
	                     relais_tr(l, M_NAV_WHO));
	relais_strbuf_printf(h, "<nav class=\"langs\" aria-label=\"%s\"><ul>",
	                     relais_tr(l, M_LANGUAGES));
	for (i = 0; i < LANG_COUNT; i++) {
		const char *code = relais_lang_code((enum lang)i);
		relais_strbuf_printf(h,
		                     "<li><a href=\"?lang=%s\" lang=\"%s\" hreflang=\"%s\" "
		                     "dir=\"%s\"%s>%s</a></li>",
		                     code, code, code, relais_tr((enum lang)i, M_LANG_DIR),
		                     i == (int)l ? " aria-current=\"true\"" : "",
		                     relais_tr((enum lang)i, M_LANG_NAME));
	}
	relais_strbuf_add(h, "</ul></nav>");
}

char *relais_reader_frame(const struct request *req, size_t *len)
{
	struct relais_strbuf h = {0}, head = {0};
	const char *t = layout_html(), *p;

	page_header(&head, req);
	while ((p = strstr(t, "{{")) != NULL) {
		const char *end = strstr(p, "}}");
		if (end == NULL) {
			break;
		}
		relais_strbuf_addn(&h, t, (size_t)(p - t));
		if (strncmp(p, "{{lang}}", 8) == 0) {
			relais_strbuf_add(&h, relais_lang_code(req->session->lang));
		} else if (strncmp(p, "{{dir}}", 7) == 0) {
			relais_strbuf_add(&h, relais_tr(req->session->lang, M_LANG_DIR));
		} else if (strncmp(p, "{{title}}", 9) == 0) {
			relais_strbuf_add_html(&h, req->title ? req->title : "relais");
		} else if (strncmp(p, "{{skip}}", 8) == 0) {
			relais_strbuf_add_html(&h, relais_tr(req->session->lang, M_SKIP));
		} else if (strncmp(p, "{{refresh}}", 11) == 0) {
			/* A page that follows work going on reloads itself, no script needed. */
			if (req->refresh > 0) {
				relais_strbuf_printf(
				        &h, "<meta http-equiv=\"refresh\" content=\"%u\">\n",
				        req->refresh);
			}
		} else if (strncmp(p, "{{header}}", 10) == 0) {
			relais_strbuf_addn(&h, head.p ? head.p : "", head.len);
		} else if (strncmp(p, "{{body}}", 8) == 0) {
			relais_strbuf_addn(&h, req->body.p ? req->body.p : "", req->body.len);
		}
		t = end + 2;
	}
	relais_strbuf_add(&h, t);
	relais_strbuf_free(&head);
	if (h.rc) {
		relais_strbuf_free(&h);
		return NULL;
	}
	*len = h.len;
	return h.p;
}

void relais_reader_page_error(struct request *req, unsigned status, const char *what)
{
	req->status = status;
	relais_strbuf_free(&req->body);
	free(req->title);
	req->title = strdup(relais_tr(req->session->lang, M_ERROR));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>", relais_tr(req->session->lang, M_ERROR));
	relais_strbuf_add_html(&req->body, what);
	relais_strbuf_add(&req->body, "</p><p><a href=\"/\">");
	relais_strbuf_add_html(&req->body, relais_tr(req->session->lang, M_NAV_LIBRARY));
	relais_strbuf_add(&req->body, "</a></p>");
}
