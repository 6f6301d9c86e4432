/* updatespage.c: the reader's Updates page: what the hub offers, what downloads, a sync to start.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_private.h"
#include "relais/error.h"
#include "relais/updates.h"

#define REFRESH_S 2 /* how often the page reloads itself while a sync runs */

static enum lang L(const struct request *req)
{
	return req->session->lang;
}

/* A size as people read it: "850 B", "12 KB", "3.4 MB" (decimal units). */
static void size_text(char *out, size_t size, uint64_t bytes)
{
	if (bytes < 1000) {
		(void)snprintf(out, size, "%" PRIu64 " B", bytes);
	} else if (bytes < 1000000) {
		(void)snprintf(out, size, "%" PRIu64 " KB", (bytes + 500) / 1000);
	} else {
		(void)snprintf(out, size, "%.1f MB", (double)bytes / 1e6);
	}
}

static int percent(uint64_t done, uint64_t total)
{
	return total == 0 ? 0 : done >= total ? 100 : (int)(done * 100 / total);
}

/* Appends a formatted interface line, escaped. */
static void add_line(struct request *req, enum msg msg, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, msg);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (vsnprintf(line, sizeof(line), relais_tr(L(req), msg), ap) < 0) {
		line[0] = '\0';
	}
#pragma GCC diagnostic pop
	va_end(ap);
	relais_strbuf_add_html(&req->body, line);
}

/* The line that follows a running sync: which course, how far. */
static void progress_line(struct request *req, const struct sync_state *s,
                          const struct relais_updates *u)
{
	const char *title = s->course;
	char done[32], total[32];
	size_t i;

	relais_strbuf_printf(&req->body, "<p class=\"banner\" role=\"status\">%s",
	                     relais_tr(L(req), M_UPDATES_RUNNING));
	if (s->course[0] != '\0') {
		for (i = 0; u != NULL && i < u->n_courses; i++) {
			if (strcmp(u->courses[i].id, s->course) == 0) {
				title = u->courses[i].title;
			}
		}
		size_text(done, sizeof(done), s->done);
		size_text(total, sizeof(total), s->total);
		relais_strbuf_add(&req->body, "<br>");
		add_line(req, M_UPDATES_DOWNLOADING, title, percent(s->done, s->total), done,
		         total);
		relais_strbuf_printf(
		        &req->body,
		        " <progress max=\"100\" value=\"%d\" aria-label=\"%s\"></progress>",
		        percent(s->done, s->total), relais_tr(L(req), M_PROGRESS_LABEL));
	}
	relais_strbuf_add(&req->body, "</p>");
}

/* One course of the catalogue: title (and whether required), version, size, where it stands. */
static void course_row(struct request *req, const struct relais_update_course *c,
                       const struct sync_state *s)
{
	char size[32];

	relais_strbuf_printf(&req->body, "<tr><td lang=\"%s\">", c->language);
	relais_strbuf_add_html(&req->body, c->title);
	relais_strbuf_add(&req->body, "</td><td>");
	if (c->required && c->due[0] != '\0') {
		char date[96];
		relais_tr_date(date, sizeof(date), L(req), c->due);
		add_line(req, M_REQUIRED_DUE, date);
	} else if (c->required) {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_REQUIRED));
	}
	size_text(size, sizeof(size), c->size);
	relais_strbuf_printf(&req->body, "</td><td>%" PRIu64 "</td><td>%s</td><td>", c->version,
	                     size);
	if (s->running && strcmp(s->course, c->id) == 0 && s->version == c->version) {
		add_line(req, M_ST_DOWNLOADING, percent(s->done, s->total));
	} else if (c->installed >= c->version) {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_ST_INSTALLED));
	} else if (c->resumable) {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_ST_RESUMABLE));
	} else if (c->installed > 0) {
		add_line(req, M_ST_UPDATE, (unsigned long long)c->installed);
	} else {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_ST_AVAILABLE));
	}
	relais_strbuf_add(&req->body, "</td></tr>");
}

void relais_reader_page_updates(struct request *req)
{
	struct relais_updates *u = NULL;
	struct sync_state s;
	size_t i;

	relais_reader_sync_state(req->reader, &s);
	if (relais_updates_get(&u, req->reader->home, req->reader->ctx) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	free(req->title);
	req->title = strdup(relais_tr(L(req), M_NAV_UPDATES));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>%s</p><p class=\"meta\">",
	                     relais_tr(L(req), M_NAV_UPDATES), relais_tr(L(req), M_UPDATES_INTRO));
	if (u->has_catalogue) {
		char when[20];
		(void)snprintf(when, sizeof(when), "%.19s", u->fetched);
		add_line(req, M_UPDATES_FETCHED, (unsigned long long)u->serial, when);
	} else {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_UPDATES_NO_CATALOGUE));
	}
	relais_strbuf_add(&req->body, "</p>");
	if (s.running) {
		/* Only a course sync has a progress line; records show on the outbox page. */
		progress_line(req, &s, u);
		req->refresh = REFRESH_S;
	} else if (s.ended && (s.what & RELAIS_READER_SYNC_COURSES)) {
		if (s.status != 0) {
			relais_strbuf_add(&req->body, "<p class=\"banner failed\" role=\"alert\">");
			add_line(req, M_UPDATES_FAILED, s.error);
			relais_strbuf_add(&req->body, "</p>");
		} else {
			relais_strbuf_printf(&req->body,
			                     "<p class=\"banner\" role=\"status\">%s</p>",
			                     relais_tr(L(req), M_UPDATES_DONE));
		}
	}
	if (!s.running && req->reader->sync->fn != NULL) {
		relais_strbuf_add(&req->body, "<form method=\"post\" action=\"/updates/check\">");
		relais_reader_token_field(req);
		relais_strbuf_printf(&req->body,
		                     "<p><button type=\"submit\">%s</button></p></form>",
		                     relais_tr(L(req), M_UPDATES_CHECK));
	}
	if (u->has_catalogue && u->n_courses == 0) {
		relais_strbuf_printf(&req->body, "<p>%s</p>", relais_tr(L(req), M_UPDATES_EMPTY));
	} else if (u->n_courses > 0) {
		relais_strbuf_printf(
		        &req->body,
		        "<table><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		        "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th "
		        "scope=\"col\">%s</th>"
		        "</tr></thead><tbody>",
		        relais_tr(L(req), M_COURSE), relais_tr(L(req), M_REQUIRED),
		        relais_tr(L(req), M_VERSION), relais_tr(L(req), M_SIZE),
		        relais_tr(L(req), M_STATUS));
		for (i = 0; i < u->n_courses; i++) {
			course_row(req, &u->courses[i], &s);
		}
		relais_strbuf_add(&req->body, "</tbody></table>");
	}
	relais_updates_free(u);
}

void relais_reader_post_updates(struct request *req)
{
	if (relais_reader_sync_start(req->reader, RELAIS_READER_SYNC_COURSES) < 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	req->status = 303;
	(void)snprintf(req->location, sizeof(req->location), "/updates");
}
