/* pages.c: the reader's pages: library, outline, lesson, quiz, search, outbox, learners. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "quizpage.h"
#include "reader_private.h"
#include "relais/error.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/outbox.h"
#include "relais/progress.h"
#include "relais/quiz.h"
#include "relais/updates.h"
#include "relais/zip.h"

#define SEARCH_LIMIT 50
#define OUTBOX_SHOWN 200

void relais_reader_set_title(struct request *req, const char *title)
{
	free(req->title);
	req->title = strdup(title);
}

static void set_title(struct request *req, const char *title)
{
	relais_reader_set_title(req, title);
}

static void redirect(struct request *req, const char *location)
{
	req->status = 303;
	(void)snprintf(req->location, sizeof(req->location), "%s", location);
}

static enum lang L(const struct request *req)
{
	return req->session->lang;
}

/* <input type=hidden name=token>: every form carries the session's token. */
void relais_reader_token_field(struct request *req)
{
	relais_strbuf_printf(&req->body, "<input type=\"hidden\" name=\"token\" value=\"%s\">",
	                     req->session->csrf);
}

static void unit_href(struct relais_strbuf *h, const char *course_id, const struct relais_unit *u)
{
	relais_strbuf_add(h, "/c/");
	relais_strbuf_add_url(h, course_id);
	relais_strbuf_add(h, "/");
	relais_strbuf_add_url(h, u->path);
}

/* The unit to continue with: the first not done, else the last touched. */
static const struct relais_unit *next_unit(const relais_manifest *m,
                                           const struct relais_course_progress *cp)
{
	size_t i;

	for (i = 0; i < m->n_units && i < cp->n_units; i++) {
		if (cp->units[i].state != RELAIS_UNIT_DONE) {
			return &m->units[i];
		}
	}
	return &m->units[0];
}

static void page_who(struct request *req)
{
	struct relais_profile *p = NULL;
	relais_home *home = req->reader->home;
	size_t n = 0, i;

	set_title(req, relais_tr(L(req), M_WHO_TITLE));
	if (relais_profile_list(&p, &n, home, req->reader->ctx) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>%s</p>", relais_tr(L(req), M_WHO_TITLE),
	                     relais_tr(L(req), M_WHO_INTRO));
	if (n > 0) {
		relais_strbuf_add(&req->body, "<ul class=\"cards\">");
		for (i = 0; i < n; i++) {
			relais_strbuf_add(&req->body,
			                  "<li><form method=\"post\" action=\"/who/choose\">");
			relais_reader_token_field(req);
			relais_strbuf_printf(
			        &req->body,
			        "<input type=\"hidden\" name=\"profile\" value=\"%lld\">"
			        "<button type=\"submit\">",
			        (long long)p[i].id);
			relais_strbuf_add_html(&req->body, p[i].name);
			if (p[i].org[0]) {
				relais_strbuf_add(&req->body, " (");
				relais_strbuf_add_html(&req->body, p[i].org);
				relais_strbuf_add(&req->body, ")");
			}
			if (p[i].trainer) {
				relais_strbuf_printf(&req->body,
				                     " <span class=\"meta\">· %s</span>",
				                     relais_tr(L(req), M_SESSION_TRAINER));
			}
			relais_strbuf_add(&req->body, "</button></form></li>");
		}
		relais_strbuf_add(&req->body, "</ul>");
	}
	relais_strbuf_printf(&req->body, "<h2>%s</h2><form method=\"post\" action=\"/who/add\">",
	                     relais_tr(L(req), M_WHO_ADD));
	relais_reader_token_field(req);
	relais_strbuf_printf(
	        &req->body,
	        "<label for=\"name\">%s</label><input type=\"text\" id=\"name\" name=\"name\" "
	        "required maxlength=\"200\" autocomplete=\"name\">"
	        "<label for=\"email\">%s</label><input type=\"email\" id=\"email\" "
	        "name=\"email\" required maxlength=\"200\" autocomplete=\"email\">"
	        "<label for=\"org\">%s</label><input type=\"text\" id=\"org\" name=\"org\" "
	        "maxlength=\"200\" autocomplete=\"organization\">"
	        "<p><button type=\"submit\">%s</button></p></form>",
	        relais_tr(L(req), M_NAME), relais_tr(L(req), M_EMAIL), relais_tr(L(req), M_ORG),
	        relais_tr(L(req), M_START));
	relais_profile_list_free(p, n);
}

/*
 * Checks a learner's PIN: 0 when right (or they have none), M_PIN_WRONG,
 * or M_PIN_WAIT with *wait set when a wrong PIN came too recently (the
 * growing wait is kept in the home: relais_profile_try_pin). A negative
 * status when the check itself failed.
 */
static int check_pin(struct request *req, int64_t id, const char *pin, int *wait)
{
	int rc = relais_profile_try_pin(wait, req->reader->home, req->reader->ctx, id,
	                                pin != NULL ? pin : "");

	return rc == RELAIS_EPASSWORD ? M_PIN_WRONG : rc == RELAIS_ELIMIT ? M_PIN_WAIT : rc;
}

/* "Your PIN" for choosing learner p; why: 0, M_PIN_WRONG or M_PIN_WAIT. */
static void page_pin_ask(struct request *req, const struct relais_profile *p, int why, int wait)
{
	char line[512];

	set_title(req, relais_tr(L(req), M_PIN_TITLE));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>", relais_tr(L(req), M_PIN_TITLE));
	relais_tr_format(line, sizeof(line), L(req), M_PIN_ASK, p->name);
	relais_strbuf_add_html(&req->body, line);
	relais_strbuf_add(&req->body, "</p>");
	if (why == M_PIN_WRONG) {
		req->status = 403;
		relais_strbuf_printf(&req->body, "<p class=\"banner\" role=\"alert\">%s</p>",
		                     relais_tr(L(req), M_PIN_WRONG));
	} else if (why == M_PIN_WAIT) {
		req->status = 429;
		relais_tr_nformat(line, sizeof(line), L(req), M_PIN_WAIT, (unsigned long)wait,
		                  wait);
		relais_strbuf_add(&req->body, "<p class=\"banner\" role=\"alert\">");
		relais_strbuf_add_html(&req->body, line);
		relais_strbuf_add(&req->body, "</p>");
	}
	relais_strbuf_add(&req->body, "<form method=\"post\" action=\"/who/choose\">");
	relais_reader_token_field(req);
	relais_strbuf_printf(&req->body,
	                     "<input type=\"hidden\" name=\"profile\" value=\"%lld\">"
	                     "<label for=\"pin\">%s</label><input type=\"password\" id=\"pin\" "
	                     "name=\"pin\" required minlength=\"%d\" maxlength=\"%d\" "
	                     "autocomplete=\"current-password\" autofocus>"
	                     "<p><button type=\"submit\">%s</button></p></form>",
	                     (long long)p->id, relais_tr(L(req), M_PIN_LABEL), RELAIS_PIN_MIN,
	                     RELAIS_PIN_MAX, relais_tr(L(req), M_PIN_CONTINUE));
}

static void post_who(struct request *req, int adding)
{
	relais_ctx *ctx = req->reader->ctx;
	int64_t id = 0;

	if (adding) {
		if (relais_profile_add(&id, req->reader->home, ctx,
		                       relais_reader_form_value(req, "name"),
		                       relais_reader_form_value(req, "email"),
		                       relais_reader_form_value(req, "org")) != 0) {
			relais_reader_page_error(req,
			                         relais_errcode(ctx) == RELAIS_ENOMEM ? 500 : 400,
			                         relais_errmsg(ctx));
			return;
		}
	} else {
		struct relais_profile p;
		const char *v = relais_reader_form_value(req, "profile");
		const char *pin = relais_reader_form_value(req, "pin");
		int why = 0, wait = 0;
		id = v ? strtoll(v, NULL, 10) : 0;
		if (id <= 0 || relais_profile_get(&p, req->reader->home, ctx, id) != 0) {
			relais_reader_page_error(req, 400, relais_tr(L(req), M_BAD_REQUEST));
			return;
		}
		/* A learner with a PIN is chosen only with it: first the question. */
		if (p.has_pin && (pin == NULL || (why = check_pin(req, id, pin, &wait)) != 0)) {
			if (why < 0) {
				relais_reader_page_error(req, 500, relais_errmsg(ctx));
			} else {
				page_pin_ask(req, &p, why, wait);
			}
			relais_profile_clear(&p);
			return;
		}
		relais_profile_clear(&p);
	}
	req->session->profile_id = id;
	redirect(req, "/");
}

/* The current learner's PIN: set, change or remove it. done: 0 or the message to show. */
static void page_pin(struct request *req, int done, int alert)
{
	struct relais_profile me;
	char line[128];

	if (relais_profile_get(&me, req->reader->home, req->reader->ctx,
	                       req->session->profile_id) != 0) {
		redirect(req, "/who");
		return;
	}
	set_title(req, relais_tr(L(req), M_PIN_TITLE));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>%s</p>", relais_tr(L(req), M_PIN_TITLE),
	                     relais_tr(L(req), M_PIN_INTRO));
	if (done == M_PIN_WAIT) {
		relais_tr_nformat(line, sizeof(line), L(req), M_PIN_WAIT, (unsigned long)alert,
		                  alert);
		relais_strbuf_add(&req->body, "<p class=\"banner\" role=\"alert\">");
		relais_strbuf_add_html(&req->body, line);
		relais_strbuf_add(&req->body, "</p>");
	} else if (done != 0) {
		relais_strbuf_printf(&req->body, "<p class=\"banner\" role=\"%s\">%s</p>",
		                     alert ? "alert" : "status", relais_tr(L(req), (enum msg)done));
	}
	relais_strbuf_add(&req->body, "<form method=\"post\" action=\"/who/pin\">");
	relais_reader_token_field(req);
	if (me.has_pin) {
		relais_strbuf_printf(&req->body,
		                     "<label for=\"current\">%s</label><input type=\"password\" "
		                     "id=\"current\" name=\"current\" maxlength=\"%d\" "
		                     "autocomplete=\"current-password\">",
		                     relais_tr(L(req), M_PIN_CURRENT), RELAIS_PIN_MAX);
	}
	relais_strbuf_printf(&req->body,
	                     "<label for=\"pin\">%s</label><input type=\"password\" id=\"pin\" "
	                     "name=\"pin\" maxlength=\"%d\" autocomplete=\"new-password\">"
	                     "<p><button type=\"submit\" name=\"action\" value=\"set\">%s</button>",
	                     relais_tr(L(req), M_PIN_NEW), RELAIS_PIN_MAX,
	                     relais_tr(L(req), M_PIN_SAVE));
	if (me.has_pin && !me.trainer) {
		relais_strbuf_printf(&req->body,
		                     " <button type=\"submit\" name=\"action\" "
		                     "value=\"remove\">%s</button>",
		                     relais_tr(L(req), M_PIN_REMOVE));
	}
	relais_strbuf_add(&req->body, "</p></form>");
	relais_profile_clear(&me);
}

static void post_pin(struct request *req)
{
	struct relais_profile me;
	relais_ctx *ctx = req->reader->ctx;
	const char *action = relais_reader_form_value(req, "action");
	const char *pin = relais_reader_form_value(req, "pin");
	int64_t id = req->session->profile_id;
	int removing = action != NULL && strcmp(action, "remove") == 0, why = 0, wait = 0;
	size_t len = pin != NULL ? strlen(pin) : 0;

	if (relais_profile_get(&me, req->reader->home, ctx, id) != 0) {
		relais_reader_page_error(req, 400, relais_tr(L(req), M_BAD_REQUEST));
		return;
	}
	/* Whoever sits at an open session changes a PIN only by knowing it. */
	if (me.has_pin &&
	    (why = check_pin(req, id, relais_reader_form_value(req, "current"), &wait)) != 0) {
		relais_profile_clear(&me);
		if (why < 0) {
			relais_reader_page_error(req, 500, relais_errmsg(ctx));
			return;
		}
		req->status = why == M_PIN_WAIT ? 429 : 403;
		page_pin(req, why, why == M_PIN_WAIT ? wait : 1);
		return;
	}
	relais_profile_clear(&me);
	if (!removing && (len < RELAIS_PIN_MIN || len > RELAIS_PIN_MAX)) {
		req->status = 400;
		page_pin(req, M_PIN_LENGTH, 1);
		return;
	}
	if (relais_profile_set_pin(req->reader->home, ctx, id, removing ? NULL : pin) != 0) {
		relais_reader_page_error(req, relais_errcode(ctx) == RELAIS_EINVAL ? 400 : 500,
		                         relais_errmsg(ctx));
		return;
	}
	page_pin(req, removing ? M_PIN_REMOVED : M_PIN_SAVED, 0);
}

/* A card's marks: New, Updated, Required (due, overdue); nothing when it has none. */
static void course_marks(struct request *req, const struct relais_course_mark *m)
{
	char due[128], date[96];

	if (m == NULL || m->flags == 0) {
		return;
	}
	relais_strbuf_printf(&req->body, "<p class=\"marks\" lang=\"%s\">",
	                     relais_lang_code(L(req)));
	if (m->flags & RELAIS_MARK_NEW) {
		relais_strbuf_printf(&req->body, "<span class=\"mark new\">%s</span> ",
		                     relais_tr(L(req), M_MARK_NEW));
	}
	if (m->flags & RELAIS_MARK_UPDATED) {
		relais_strbuf_printf(&req->body, "<span class=\"mark updated\">%s</span> ",
		                     relais_tr(L(req), M_MARK_UPDATED));
	}
	if (m->flags & RELAIS_MARK_REQUIRED) {
		relais_strbuf_printf(&req->body, "<span class=\"mark required%s\">",
		                     (m->flags & RELAIS_MARK_OVERDUE) ? " overdue" : "");
		if (m->due[0] != '\0') {
			relais_tr_date(date, sizeof(date), L(req), m->due);
			relais_tr_format(due, sizeof(due), L(req), M_REQUIRED_DUE, date);
			relais_strbuf_add_html(&req->body, due);
		} else {
			relais_strbuf_add(&req->body, relais_tr(L(req), M_REQUIRED));
		}
		if (m->flags & RELAIS_MARK_OVERDUE) {
			relais_strbuf_printf(&req->body, " (<strong>%s</strong>)",
			                     relais_tr(L(req), M_OVERDUE));
		}
		relais_strbuf_add(&req->body, "</span>");
	}
	relais_strbuf_add(&req->body, "</p>");
}

static void page_library(struct request *req)
{
	char buf[512];
	struct relais_course_info *c = NULL;
	relais_ctx *ctx = req->reader->ctx;
	struct relais_profile me;
	struct relais_course_mark *marks = NULL;
	size_t n = 0, n_marks = 0, i;

	if (relais_profile_get(&me, req->reader->home, ctx, req->session->profile_id) != 0) {
		redirect(req, "/who");
		return;
	}
	set_title(req, relais_tr(L(req), M_LIBRARY_TITLE));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p class=\"meta\">",
	                     relais_tr(L(req), M_LIBRARY_TITLE));
	relais_tr_format(buf, sizeof(buf), L(req), M_CURRENT_LEARNER, me.name);
	relais_strbuf_add_html(&req->body, buf);
	relais_strbuf_printf(&req->body,
	                     "</p><p class=\"meta\"><a href=\"/who/pin\">%s</a> · <a "
	                     "href=\"/certificates\">%s</a></p>",
	                     relais_tr(L(req), me.has_pin ? M_PIN_LINK_CHANGE : M_PIN_LINK_SET),
	                     relais_tr(L(req), M_NAV_CERTIFICATES));
	relais_profile_clear(&me);
	if (relais_library_list(&c, &n, req->reader->home, ctx) != 0 ||
	    relais_updates_marks(&marks, &n_marks, req->reader->home, ctx, req->session->profile_id,
	                         NULL) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		relais_course_info_free(c, n);
		return;
	}
	relais_updates_order(c, n, marks, n_marks);
	if (n == 0) {
		relais_strbuf_printf(&req->body, "<p>%s</p>", relais_tr(L(req), M_LIBRARY_EMPTY));
	}
	relais_strbuf_add(&req->body, "<ul class=\"cards\">");
	for (i = 0; i < n; i++) {
		struct relais_course_progress cp;
		relais_bundle *b = relais_reader_course(req->reader, c[i].id);
		char label[128];
		if (b == NULL || relais_progress_get(&cp, req->reader->home, ctx,
		                                     req->session->profile_id, c[i].id) != 0) {
			continue; /* a course that no longer opens is not offered */
		}
		relais_strbuf_printf(&req->body, "<li class=\"card\" lang=\"%s\"><h2><a href=\"/c/",
		                     c[i].language);
		relais_strbuf_add_url(&req->body, c[i].id);
		relais_strbuf_add(&req->body, "/\">");
		relais_strbuf_add_html(&req->body, c[i].title);
		relais_strbuf_add(&req->body, "</a></h2>");
		course_marks(req, relais_course_marks_find(marks, n_marks, c[i].id));
		relais_strbuf_add(&req->body, "<p>");
		relais_strbuf_add_html(&req->body, c[i].summary);
		relais_strbuf_add(&req->body, "</p>");
		if (c[i].publisher_revoked) {
			relais_strbuf_printf(
			        &req->body,
			        "<p class=\"revoked\" lang=\"%s\"><strong>%s</strong></p>",
			        relais_lang_code(L(req)), relais_tr(L(req), M_PUBLISHER_REVOKED));
		}
		relais_tr_nformat(label, sizeof(label), L(req), M_UNITS_DONE, cp.total, cp.done,
		                  cp.total);
		relais_strbuf_printf(
		        &req->body,
		        "<p class=\"meta\" lang=\"%s\"><progress max=\"%u\" value=\"%u\" "
		        "aria-label=\"%s\"></progress> %s",
		        relais_lang_code(L(req)), cp.total, cp.done,
		        relais_tr(L(req), M_PROGRESS_LABEL), label);
		if (cp.completed) {
			relais_strbuf_printf(&req->body, " · <strong>%s</strong>",
			                     relais_tr(L(req), M_COMPLETED));
		}
		if (c[i].estimated_minutes) {
			relais_strbuf_add(&req->body, " · ");
			relais_tr_nformat(buf, sizeof(buf), L(req), M_MINUTES,
			                  c[i].estimated_minutes, c[i].estimated_minutes);
			relais_strbuf_add_html(&req->body, buf);
		}
		relais_strbuf_add(&req->body, "</p><p><a class=\"button\" href=\"");
		unit_href(&req->body, c[i].id, next_unit(relais_bundle_manifest(b), &cp));
		relais_strbuf_printf(&req->body, "\" lang=\"%s\">%s<span class=\"skip\"> ",
		                     relais_lang_code(L(req)),
		                     relais_tr(L(req), cp.done ? M_CONTINUE : M_BEGIN));
		relais_strbuf_add_html(&req->body, c[i].title);
		relais_strbuf_add(&req->body, "</span></a></p>");
		relais_reader_sessions(req, c[i].id, relais_bundle_manifest(b), 3);
		relais_strbuf_add(&req->body, "</li>");
		relais_course_progress_clear(&cp);
	}
	relais_strbuf_add(&req->body, "</ul>");
	relais_course_marks_free(marks, n_marks);
	relais_course_info_free(c, n);
}

static void page_outline(struct request *req, const char *course_id, relais_bundle *b)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	struct relais_course_progress cp;
	size_t i;

	if (relais_progress_get(&cp, req->reader->home, req->reader->ctx, req->session->profile_id,
	                        course_id) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	set_title(req, m->title);
	relais_strbuf_printf(&req->body, "<article lang=\"%s\"><h1>", m->language);
	relais_strbuf_add_html(&req->body, m->title);
	relais_strbuf_add(&req->body, "</h1><p>");
	relais_strbuf_add_html(&req->body, m->summary);
	relais_strbuf_add(&req->body, "</p></article>");
	if (cp.completed) {
		relais_strbuf_printf(&req->body, "<p class=\"banner\"><a href=\"/c/");
		relais_strbuf_add_url(&req->body, course_id);
		relais_strbuf_printf(&req->body, "/complete\">%s</a></p>",
		                     relais_tr(L(req), M_COURSE_DONE));
	}
	relais_reader_sessions(req, course_id, m, 2);
	relais_strbuf_printf(&req->body, "<h2>%s</h2><ol class=\"outline\">",
	                     relais_tr(L(req), M_OUTLINE));
	for (i = 0; i < m->n_units && i < cp.n_units; i++) {
		static const enum msg states[] = {M_STATE_NEW, M_STATE_SEEN, M_STATE_DONE};
		const struct relais_unit *u = &m->units[i];
		relais_strbuf_add(&req->body, "<li><a href=\"");
		unit_href(&req->body, course_id, u);
		relais_strbuf_printf(&req->body, "\" lang=\"%s\">", m->language);
		relais_strbuf_add_html(&req->body, u->title);
		relais_strbuf_printf(&req->body, "</a> <span class=\"state%s\">(%s · %s",
		                     cp.units[i].state == RELAIS_UNIT_DONE ? " done" : "",
		                     relais_tr(L(req), u->kind == RELAIS_UNIT_QUIZ      ? M_QUIZ
		                                       : u->kind == RELAIS_UNIT_PACKAGE ? M_PACKAGE
		                                                                        : M_LESSON),
		                     relais_tr(L(req), states[cp.units[i].state]));
		if (u->kind != RELAIS_UNIT_LESSON && cp.units[i].best_percent >= 0) {
			relais_strbuf_add(&req->body, ", ");
			char best[64];
			relais_tr_format(best, sizeof(best), L(req), M_BEST,
			                 cp.units[i].best_percent);
			relais_strbuf_add_html(&req->body, best);
		}
		relais_strbuf_add(&req->body, ")</span></li>");
	}
	relais_strbuf_add(&req->body, "</ol>");
	relais_course_progress_clear(&cp);
}

/* Previous and next links around a unit. */
static void pager(struct request *req, const char *course_id, const relais_manifest *m, size_t i)
{
	relais_strbuf_add(&req->body, "<nav class=\"pager\" aria-label=\"pager\">");
	if (i > 0) {
		relais_strbuf_add(&req->body, "<a href=\"");
		unit_href(&req->body, course_id, &m->units[i - 1]);
		relais_strbuf_printf(&req->body, "\" rel=\"prev\">← %s</a>",
		                     relais_tr(L(req), M_PREVIOUS));
	} else {
		relais_strbuf_add(&req->body, "<span></span>");
	}
	relais_strbuf_add(&req->body, "<a href=\"/c/");
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_printf(&req->body, "/\">%s</a>", relais_tr(L(req), M_OUTLINE));
	if (i + 1 < m->n_units) {
		relais_strbuf_add(&req->body, "<a href=\"");
		unit_href(&req->body, course_id, &m->units[i + 1]);
		relais_strbuf_printf(&req->body, "\" rel=\"next\">%s →</a>",
		                     relais_tr(L(req), M_NEXT));
	}
	relais_strbuf_add(&req->body, "</nav>");
}

/* The line above a unit's page: the course's title, linking to its outline. */
static void course_link(struct request *req, const char *course_id, const relais_manifest *m)
{
	relais_strbuf_printf(&req->body, "<p class=\"meta\" lang=\"%s\"><a href=\"/c/",
	                     m->language);
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_add(&req->body, "/\">");
	relais_strbuf_add_html(&req->body, m->title);
	relais_strbuf_add(&req->body, "</a></p>");
}

static void page_lesson(struct request *req, const char *course_id, relais_bundle *b, size_t i)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	const struct relais_unit *u = &m->units[i];
	const unsigned char *html = NULL;
	size_t len = 0;

	if (relais_reader_entry(req->reader, course_id, u->path, RELAIS_READER_LESSON, &html,
	                        &len) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	set_title(req, u->title);
	course_link(req, course_id, m);
	relais_strbuf_printf(&req->body, "<article lang=\"%s\">", m->language);
	relais_strbuf_addn(&req->body, (const char *)html, len);
	relais_strbuf_add(&req->body, "</article><form method=\"post\" action=\"/c/");
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_add(&req->body, "/read/");
	relais_strbuf_add_url(&req->body, u->id);
	relais_strbuf_add(&req->body, "\">");
	relais_reader_token_field(req);
	relais_strbuf_printf(&req->body, "<p><button type=\"submit\">%s</button></p></form>",
	                     relais_tr(L(req), M_MARK_READ));
	pager(req, course_id, m, i);
}

static relais_quiz *load_quiz(struct request *req, const char *course_id,
                              const struct relais_unit *u)
{
	const unsigned char *json = NULL;
	relais_quiz *quiz = NULL;
	size_t len = 0;

	if (relais_reader_entry(req->reader, course_id, u->path, RELAIS_READER_QUIZ, &json, &len) !=
	            0 ||
	    relais_quiz_parse(&quiz, req->reader->ctx, (const char *)json, len) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		quiz = NULL;
	}
	return quiz;
}

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void quiz_heading(struct request *req, const char *course_id, const relais_manifest *m,
                         const struct relais_unit *u)
{
	set_title(req, u->title);
	course_link(req, course_id, m);
	relais_strbuf_printf(&req->body, "<h1 lang=\"%s\">", m->language);
	relais_strbuf_add_html(&req->body, u->title);
	relais_strbuf_add(&req->body, "</h1><p>");
	char mark[64];

	relais_tr_format(mark, sizeof(mark), L(req), M_PASS_MARK, u->pass_percent);
	relais_strbuf_add_html(&req->body, mark);
	relais_strbuf_add(&req->body, "</p>");
}

/* The quiz's form action, "/c/<course>/quiz/<unit>", opening a <form>. */
static void quiz_form_open(struct request *req, const char *course_id, const relais_manifest *m,
                           const struct relais_unit *u)
{
	relais_strbuf_add(&req->body, "<form class=\"quiz\" method=\"post\" action=\"/c/");
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_add(&req->body, "/quiz/");
	relais_strbuf_add_url(&req->body, u->id);
	relais_strbuf_printf(&req->body, "\" lang=\"%s\">", m->language);
	relais_reader_token_field(req);
}

/*
 * The quiz of the learner's open attempt, in its order; a quiz with a time
 * limit first asks to start one (a POST), and one whose attempts are used
 * up says so instead (docs/quiz-format.md, section 3).
 */
static void page_quiz(struct request *req, const char *course_id, relais_bundle *b, size_t i)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	const struct relais_unit *u = &m->units[i];
	relais_quiz *quiz = load_quiz(req, course_id, u);
	relais_ctx *ctx = req->reader->ctx;
	const char *lang = relais_lang_code(L(req));
	struct relais_quiz_attempt a;
	char *form = NULL;

	if (quiz == NULL) {
		return;
	}
	if (relais_progress_attempt_get(&a, req->reader->home, ctx, req->session->profile_id,
	                                course_id, u->id) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	if (a.id == 0 && u->max_attempts > 0 && a.submitted >= (int)u->max_attempts) {
		quiz_heading(req, course_id, m, u);
		relais_reader_quiz_no_attempt(&req->body, u->max_attempts, lang);
		pager(req, course_id, m, i);
		goto out;
	}
	if (a.id == 0 && u->time_limit_minutes > 0) {
		quiz_heading(req, course_id, m, u);
		quiz_form_open(req, course_id, m, u);
		relais_reader_quiz_start(&req->body, &a, u->max_attempts, u->time_limit_minutes,
		                         lang);
		relais_strbuf_add(&req->body, "</form>");
		pager(req, course_id, m, i);
		goto out;
	}
	if ((a.id == 0 &&
	     relais_progress_attempt_start(&a, req->reader->home, ctx, req->session->profile_id,
	                                   course_id, u->id, u->max_attempts, 0) != 0) ||
	    relais_reader_quiz_form(&form, ctx, quiz, u->keep_order ? NULL : &a.seed, lang) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	quiz_heading(req, course_id, m, u);
	relais_reader_quiz_limits(&req->body, &a, u->max_attempts, lang);
	quiz_form_open(req, course_id, m, u);
	relais_strbuf_printf(&req->body, "<input type=\"hidden\" name=\"started\" value=\"%lld\">",
	                     now_ms());
	relais_strbuf_printf(&req->body, "<input type=\"hidden\" name=\"attempt\" value=\"%lld\">",
	                     (long long)a.id);
	relais_strbuf_add(&req->body, form);
	relais_strbuf_printf(&req->body,
	                     "<p><button type=\"submit\" lang=\"%s\">%s</button></p></form>",
	                     relais_lang_code(L(req)), relais_tr(L(req), M_SUBMIT));
	pager(req, course_id, m, i);
out:
	free(form);
	relais_quiz_free(quiz);
}

/* POST start=1: starts an attempt at a quiz with a time limit, then shows it. */
static void post_quiz_start(struct request *req, const char *course_id, relais_bundle *b, size_t i)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	const struct relais_unit *u = &m->units[i];
	struct relais_strbuf to = {0};
	struct relais_quiz_attempt a;
	int rc;

	rc = relais_progress_attempt_start(&a, req->reader->home, req->reader->ctx,
	                                   req->session->profile_id, course_id, u->id,
	                                   u->max_attempts, u->time_limit_minutes);
	if (rc == RELAIS_ELIMIT) {
		req->status = 403;
		quiz_heading(req, course_id, m, u);
		relais_reader_quiz_no_attempt(&req->body, u->max_attempts,
		                              relais_lang_code(L(req)));
		return;
	}
	if (rc != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	unit_href(&to, course_id, u);
	if (to.rc || to.len >= sizeof(req->location)) {
		relais_reader_page_error(req, 500, "out of memory");
	} else {
		redirect(req, to.p);
	}
	relais_strbuf_free(&to);
}

static void post_quiz(struct request *req, const char *course_id, relais_bundle *b, size_t i)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	const struct relais_unit *u = &m->units[i];
	struct relais_quiz_result result;
	relais_quiz *quiz = NULL;
	relais_ctx *ctx = req->reader->ctx;
	const char *started = relais_reader_form_value(req, "started");
	const char *attempt = relais_reader_form_value(req, "attempt");
	struct relais_quiz_submission sub = {.max_attempts = u->max_attempts,
	                                     .time_limit_minutes = u->time_limit_minutes,
	                                     .duration_s = -1};
	struct relais_quiz_outcome o = {0};
	char *html = NULL, score[64];
	int rc;

	memset(&result, 0, sizeof(result));
	if (relais_reader_form_value(req, "start") != NULL) {
		post_quiz_start(req, course_id, b, i);
		return;
	}
	if ((quiz = load_quiz(req, course_id, u)) == NULL) {
		return;
	}
	if (started != NULL) {
		long long t = strtoll(started, NULL, 10), now = now_ms();
		if (t > 0 && t <= now && now - t < 86400000LL) {
			sub.duration_s = (double)(now - t) / 1000.0;
		}
	}
	if (attempt != NULL) {
		long long id = strtoll(attempt, NULL, 10);
		sub.attempt_id = id > 0 ? id : -1; /* -1: names no attempt, refused */
	}
	if (relais_quiz_score(&result, ctx, quiz, req->fields, req->n_fields) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	rc = relais_progress_quiz_attempt_submitted(&o, req->reader->home, ctx,
	                                            req->session->profile_id, course_id, u->id,
	                                            &sub, &result);
	if (rc == RELAIS_ELIMIT) {
		req->status = 403;
		quiz_heading(req, course_id, m, u);
		relais_reader_quiz_no_attempt(&req->body, u->max_attempts,
		                              relais_lang_code(L(req)));
		goto out;
	}
	if (rc == RELAIS_EEXIST || rc == RELAIS_EINVAL) {
		relais_reader_page_error(req, 409, relais_errmsg(ctx));
		goto out;
	}
	if (rc != 0 ||
	    relais_reader_quiz_result(&html, ctx, quiz, &result, relais_lang_code(L(req))) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	quiz_heading(req, course_id, m, u);
	if (o.late) {
		relais_reader_quiz_late(&req->body, relais_lang_code(L(req)));
	}
	relais_strbuf_printf(
	        &req->body, "<p class=\"banner%s\" role=\"status\"><strong>%s</strong> · ",
	        o.passed ? "" : " failed", relais_tr(L(req), o.passed ? M_PASSED : M_FAILED));
	relais_tr_format(score, sizeof(score), L(req), M_SCORE, result.percent);
	relais_strbuf_add_html(&req->body, score);
	relais_strbuf_printf(&req->body, " · <span class=\"recorded\">%s</span></p>",
	                     relais_tr(L(req), M_RECORDED));
	if (o.completed) {
		relais_strbuf_printf(&req->body, "<p class=\"banner\"><a href=\"/c/");
		relais_strbuf_add_url(&req->body, course_id);
		relais_strbuf_printf(&req->body, "/complete\">%s</a></p>",
		                     relais_tr(L(req), M_COURSE_DONE));
	}
	relais_strbuf_printf(&req->body, "<div lang=\"%s\">", m->language);
	relais_strbuf_add(&req->body, html);
	relais_strbuf_add(&req->body, "</div><p><a class=\"button secondary\" href=\"");
	unit_href(&req->body, course_id, u);
	relais_strbuf_printf(&req->body, "\">%s</a></p>", relais_tr(L(req), M_RETRY));
	pager(req, course_id, m, i);
out:
	free(html);
	relais_quiz_result_clear(&result);
	relais_quiz_free(quiz);
}

static void post_read(struct request *req, const char *course_id, relais_bundle *b, size_t i)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	struct relais_strbuf next = {0};

	if (relais_progress_lesson_viewed(req->reader->home, req->reader->ctx,
	                                  req->session->profile_id, course_id,
	                                  m->units[i].id) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	if (i + 1 < m->n_units) {
		unit_href(&next, course_id, &m->units[i + 1]);
	} else {
		relais_strbuf_add(&next, "/c/");
		relais_strbuf_add_url(&next, course_id);
		relais_strbuf_add(&next, "/");
	}
	if (next.rc || next.len >= sizeof(req->location)) {
		relais_reader_page_error(req, 500, "out of memory");
	} else {
		redirect(req, next.p);
	}
	relais_strbuf_free(&next);
}

static void page_complete(struct request *req, const char *course_id, relais_bundle *b)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	struct relais_course_progress cp;
	struct relais_strbuf outline = {0};
	int completed;

	if (relais_progress_get(&cp, req->reader->home, req->reader->ctx, req->session->profile_id,
	                        course_id) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	completed = cp.completed;
	relais_course_progress_clear(&cp);
	if (!completed) {
		/* Only a learner who completed the course is told so. */
		relais_strbuf_add(&outline, "/c/");
		relais_strbuf_add_url(&outline, course_id);
		relais_strbuf_add(&outline, "/");
		if (!outline.rc && outline.len < sizeof(req->location)) {
			redirect(req, outline.p);
		} else {
			relais_reader_page_error(req, 500, "out of memory");
		}
		relais_strbuf_free(&outline);
		return;
	}

	set_title(req, relais_tr(L(req), M_COURSE_DONE));
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p lang=\"%s\"><strong>",
	                     relais_tr(L(req), M_COURSE_DONE), m->language);
	relais_strbuf_add_html(&req->body, m->title);
	relais_strbuf_printf(&req->body, "</strong></p><p>%s</p><p><a href=\"/\">%s</a></p>",
	                     relais_tr(L(req), M_COURSE_DONE_TEXT),
	                     relais_tr(L(req), M_NAV_LIBRARY));
	(void)course_id;
}

const char *relais_reader_media_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	        {".svg", "image/svg+xml"},   {".png", "image/png"},
	        {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"},
	        {".gif", "image/gif"},       {".webp", "image/webp"},
	        {".pdf", "application/pdf"}, {".mp3", "audio/mpeg"},
	        {".ogg", "audio/ogg"},       {".mp4", "video/mp4"},
	        {".webm", "video/webm"},     {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(dot, types[i].ext) == 0) {
			return types[i].type;
		}
	}
	return "application/octet-stream";
}

/* Whether path is the page of one of the course's units. */
static int is_unit_page(const relais_manifest *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n_units; i++) {
		if (strcmp(m->units[i].path, path) == 0) {
			return 1;
		}
	}
	return 0;
}

/* GET /c/<course>/<entry> and POST /c/<course>/{read,quiz}/<unit>. */
static void route_course(struct request *req, const char *rest)
{
	char course_id[RELAIS_ID_MAX + 1];
	const char *slash = strchr(rest, '/'), *entry;
	const relais_manifest *m;
	relais_bundle *b;
	size_t i, idlen;
	const char *why;
	int post = strcmp(req->method, "POST") == 0;

	idlen = slash ? (size_t)(slash - rest) : strlen(rest);
	if (idlen == 0 || idlen > RELAIS_ID_MAX) {
		relais_reader_page_error(req, 404, relais_tr(L(req), M_NOT_FOUND));
		return;
	}
	memcpy(course_id, rest, idlen);
	course_id[idlen] = '\0';
	if (!relais_id_ok(course_id) ||
	    (b = relais_reader_course(req->reader, course_id)) == NULL) {
		relais_reader_page_error(req, 404, relais_tr(L(req), M_NOT_FOUND));
		return;
	}
	if (slash == NULL) {
		redirect(req, "/");
		return;
	}
	m = relais_bundle_manifest(b);
	entry = slash + 1;
	/* Its outline or a unit's page opens the course for this learner: no
	 * longer new, nor updated until a newer version comes. */
	if (!post && (entry[0] == '\0' || is_unit_page(m, entry)) &&
	    relais_updates_opened(req->reader->home, req->reader->ctx, req->session->profile_id,
	                          course_id, m->version) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	if (entry[0] == '\0' && !post) {
		page_outline(req, course_id, b);
		return;
	}
	if (strcmp(entry, "complete") == 0 && !post) {
		page_complete(req, course_id, b);
		return;
	}
	if (strncmp(entry, "attendance/", 11) == 0) {
		relais_reader_page_attendance(req, course_id, m, entry + 11, post);
		return;
	}
	if (strncmp(entry, "sessions/", 9) == 0 && !post) {
		if (!relais_reader_session_ics(req, course_id, m, entry + 9)) {
			relais_reader_page_error(req, 404, relais_tr(L(req), M_NOT_FOUND));
		}
		return;
	}
	if (post) {
		int is_read = strncmp(entry, "read/", 5) == 0;
		int is_quiz = strncmp(entry, "quiz/", 5) == 0;
		const struct relais_unit *u =
		        (is_read || is_quiz) ? relais_manifest_unit(m, entry + 5) : NULL;
		if (u == NULL || (is_read && u->kind != RELAIS_UNIT_LESSON) ||
		    (is_quiz && u->kind != RELAIS_UNIT_QUIZ)) {
			relais_reader_page_error(req, 404, relais_tr(L(req), M_NOT_FOUND));
			return;
		}
		i = (size_t)(u - m->units);
		if (is_read) {
			post_read(req, course_id, b, i);
		} else {
			post_quiz(req, course_id, b, i);
		}
		return;
	}
	/* A package unit: SCORM plays from the package origin (packagepage.c). */
	for (i = 0; i < m->n_units; i++) {
		if (m->units[i].kind == RELAIS_UNIT_PACKAGE &&
		    strcmp(m->units[i].path, entry) == 0) {
			relais_reader_page_package(req, course_id, b, i);
			return;
		}
	}
	/* Only entries the signed manifest lists are served, by exact path. */
	if (relais_zip_path_ok(entry, &why) != 0 || relais_manifest_entry(m, entry) == NULL) {
		relais_reader_page_error(req, 404, relais_tr(L(req), M_NOT_FOUND));
		return;
	}
	for (i = 0; i < m->n_units; i++) {
		if (strcmp(m->units[i].path, entry) == 0) {
			if (m->units[i].kind == RELAIS_UNIT_QUIZ) {
				page_quiz(req, course_id, b, i);
			} else {
				page_lesson(req, course_id, b, i);
			}
			return;
		}
	}
	if (relais_reader_entry_span(req->reader, course_id, entry, &req->entry,
	                             &req->entry_bundle) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	req->entry_path = relais_bundle_manifest(req->entry_bundle)->entries[req->entry.index].path;
	req->content_type = relais_reader_media_type(entry);
}

static void page_search(struct request *req)
{
	struct relais_search_hit *hits = NULL;
	size_t n = 0, i;
	const char *q = req->query_q ? req->query_q : "";

	set_title(req, relais_tr(L(req), M_SEARCH_TITLE));
	relais_strbuf_printf(
	        &req->body,
	        "<h1>%s</h1><form method=\"get\" action=\"/search\" role=\"search\">"
	        "<label for=\"q\">%s</label><input type=\"search\" id=\"q\" name=\"q\" "
	        "maxlength=\"256\" value=\"",
	        relais_tr(L(req), M_SEARCH_TITLE), relais_tr(L(req), M_SEARCH_LABEL));
	relais_strbuf_add_html(&req->body, q);
	relais_strbuf_printf(&req->body, "\"> <button type=\"submit\">%s</button></form>",
	                     relais_tr(L(req), M_SEARCH_BUTTON));
	if (q[0] == '\0') {
		return;
	}
	if (relais_library_search(&hits, &n, req->reader->home, req->reader->ctx, q,
	                          SEARCH_LIMIT) != 0) {
		relais_reader_page_error(req, 400, relais_errmsg(req->reader->ctx));
		return;
	}
	relais_strbuf_add(&req->body, "<p role=\"status\">");
	if (n == 0) {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_SEARCH_NONE));
	} else if (n == 1) {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_SEARCH_ONE));
	} else {
		char count[64];
		relais_tr_nformat(count, sizeof(count), L(req), M_SEARCH_COUNT, n, n);
		relais_strbuf_add_html(&req->body, count);
	}
	relais_strbuf_add(&req->body, "</p><ul class=\"cards\">");
	for (i = 0; i < n; i++) {
		relais_bundle *b = relais_reader_course(req->reader, hits[i].course_id);
		const struct relais_unit *u =
		        b ? relais_manifest_unit(relais_bundle_manifest(b), hits[i].unit_id) : NULL;
		if (u == NULL) {
			continue;
		}
		relais_strbuf_printf(&req->body, "<li class=\"card\" lang=\"%s\"><h2><a href=\"",
		                     relais_bundle_manifest(b)->language);
		unit_href(&req->body, hits[i].course_id, u);
		relais_strbuf_add(&req->body, "\">");
		relais_strbuf_add_html(&req->body, hits[i].unit_title);
		relais_strbuf_add(&req->body, "</a></h2><p class=\"meta\">");
		relais_strbuf_add_html(&req->body, hits[i].course_title);
		relais_strbuf_add(&req->body, "</p><p>");
		relais_strbuf_add(&req->body, hits[i].snippet_html);
		relais_strbuf_add(&req->body, "</p></li>");
	}
	relais_strbuf_add(&req->body, "</ul>");
	relais_search_free(hits, n);
}

/* What a learner reads for a statement's verb. */
static const char *verb_words(enum lang lang, const char *verb)
{
	static const struct {
		const char *verb;
		enum msg words;
	} verbs[] = {
	        {"experienced", M_VERB_EXPERIENCED}, {"answered", M_VERB_ANSWERED},
	        {"passed", M_VERB_PASSED},           {"failed", M_VERB_FAILED},
	        {"completed", M_VERB_COMPLETED},     {"suspended", M_VERB_SUSPENDED},
	        {"terminated", M_VERB_TERMINATED},   {"attended", M_VERB_ATTENDED},
	};
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].verb, verb) == 0) {
			return relais_tr(lang, verbs[i].words);
		}
	}
	return verb;
}

static void post_send(struct request *req)
{
	if (relais_reader_sync_start(req->reader, RELAIS_READER_SYNC_RECORDS) < 0) {
		relais_reader_page_error(req, 500, relais_errmsg(req->reader->ctx));
		return;
	}
	redirect(req, "/outbox");
}

/* "Send again": one of the learner's own set-aside records back in the queue. */
static void post_retry(struct request *req)
{
	struct relais_set_aside *aside = NULL;
	relais_ctx *ctx = req->reader->ctx;
	const char *id = relais_reader_form_value(req, "id");
	size_t n = 0, i, count = 0;
	int mine = 0;

	if (relais_outbox_set_aside_of(&aside, &n, req->reader->home, ctx, req->session->profile_id,
	                               (size_t)-1 / 2) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		return;
	}
	for (i = 0; i < n && id != NULL; i++) {
		mine |= strcmp(aside[i].id, id) == 0;
	}
	relais_set_aside_free(aside, n);
	if (!mine) {
		relais_reader_page_error(req, 400, relais_tr(L(req), M_BAD_REQUEST));
		return;
	}
	if (relais_outbox_retry(&count, req->reader->home, ctx, &id, 1) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		return;
	}
	redirect(req, "/outbox");
}

static void page_outbox(struct request *req)
{
	struct relais_outbox_item *items = NULL;
	struct relais_set_aside *aside = NULL;
	relais_ctx *ctx = req->reader->ctx;
	char *hub = NULL, *last_ok = NULL, *last_try = NULL, line[256], date[96];
	int64_t count = 0, me = req->session->profile_id;
	size_t n = 0, n_aside = 0, i;
	struct sync_state sync;

	relais_reader_sync_state(req->reader, &sync);
	set_title(req, relais_tr(L(req), M_OUTBOX_TITLE));
	/* A shared laptop: each learner sees only their own records. */
	if (relais_outbox_count_of(&count, req->reader->home, ctx, me) != 0 ||
	    relais_outbox_pending_of(&items, &n, req->reader->home, ctx, me, OUTBOX_SHOWN) != 0 ||
	    relais_outbox_set_aside_of(&aside, &n_aside, req->reader->home, ctx, me,
	                               OUTBOX_SHOWN) != 0 ||
	    relais_setting_get(&hub, req->reader->home, ctx, "sync.hub") != 0 ||
	    relais_setting_get(&last_ok, req->reader->home, ctx, "sync.last_success") != 0 ||
	    relais_setting_get(&last_try, req->reader->home, ctx, "sync.last_attempt") != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	relais_strbuf_printf(&req->body, "<h1>%s</h1><p>%s</p><p role=\"status\">",
	                     relais_tr(L(req), M_OUTBOX_TITLE), relais_tr(L(req), M_OUTBOX_INTRO));
	if (count == 0) {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_OUTBOX_EMPTY));
	} else {
		relais_tr_format(line, sizeof(line), L(req), M_OUTBOX_COUNT, (long long)count);
		relais_strbuf_add_html(&req->body, line);
	}
	relais_strbuf_add(&req->body, " ");
	if (last_ok != NULL) {
		last_ok[strlen(last_ok) > 19 ? 19 : strlen(last_ok)] = '\0';
		relais_tr_date(date, sizeof(date), L(req), last_ok);
		relais_tr_format(line, sizeof(line), L(req), M_LAST_SENT, date);
		relais_strbuf_add_html(&req->body, line);
	} else {
		relais_strbuf_add(&req->body, relais_tr(L(req), M_NEVER_SENT));
	}
	if (last_try != NULL && (last_ok == NULL || strncmp(last_try, last_ok, 19) != 0)) {
		last_try[strlen(last_try) > 19 ? 19 : strlen(last_try)] = '\0';
		relais_strbuf_add(&req->body, " ");
		relais_tr_date(date, sizeof(date), L(req), last_try);
		relais_tr_format(line, sizeof(line), L(req), M_LAST_TRY, date);
		relais_strbuf_add_html(&req->body, line);
	}
	relais_strbuf_add(&req->body, "</p>");
	if (hub == NULL) {
		relais_strbuf_printf(&req->body, "<p>%s</p>", relais_tr(L(req), M_NO_HUB));
	} else if (sync.running) {
		relais_strbuf_printf(&req->body, "<p role=\"status\">%s</p>",
		                     relais_tr(L(req), M_SENDING));
	} else if (count > 0) {
		relais_strbuf_add(&req->body, "<form method=\"post\" action=\"/outbox/send\">");
		relais_reader_token_field(req);
		relais_strbuf_printf(&req->body,
		                     "<p><button type=\"submit\">%s</button></p></form>",
		                     relais_tr(L(req), M_SEND_NOW));
	}
	if (n > 0) {
		relais_strbuf_printf(
		        &req->body,
		        "<table><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		        "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
		        relais_tr(L(req), M_WHEN), relais_tr(L(req), M_LEARNER),
		        relais_tr(L(req), M_EVENT), relais_tr(L(req), M_ACTIVITY));
		for (i = 0; i < n; i++) {
			relais_strbuf_add(&req->body, "<tr><td>");
			relais_strbuf_addn(
			        &req->body, items[i].created,
			        strlen(items[i].created) > 19 ? 19 : strlen(items[i].created));
			relais_strbuf_add(&req->body, "</td><td>");
			relais_strbuf_add_html(&req->body, items[i].learner);
			relais_strbuf_add(&req->body, "</td><td>");
			relais_strbuf_add_html(&req->body, verb_words(L(req), items[i].verb));
			relais_strbuf_add(&req->body, "</td><td>");
			relais_strbuf_add_html(&req->body, items[i].object);
			relais_strbuf_add(&req->body, "</td></tr>");
		}
		relais_strbuf_add(&req->body, "</tbody></table>");
	}
	if (n_aside > 0) {
		relais_strbuf_printf(
		        &req->body,
		        "<h2>%s</h2><p>%s</p><table><thead><tr><th scope=\"col\">%s</th>"
		        "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		        "<th scope=\"col\"><span class=\"visually-hidden\">%s</span></th></tr>"
		        "</thead><tbody>",
		        relais_tr(L(req), M_SET_ASIDE_TITLE), relais_tr(L(req), M_SET_ASIDE_INTRO),
		        relais_tr(L(req), M_WHEN), relais_tr(L(req), M_ACTIVITY),
		        relais_tr(L(req), M_REASON), relais_tr(L(req), M_SEND_AGAIN));
		for (i = 0; i < n_aside; i++) {
			relais_strbuf_add(&req->body, "<tr><td>");
			relais_strbuf_addn(&req->body, aside[i].when,
			                   strlen(aside[i].when) > 19 ? 19 : strlen(aside[i].when));
			relais_strbuf_add(&req->body, "</td><td>");
			relais_strbuf_add_html(&req->body, aside[i].object);
			relais_strbuf_add(&req->body, "</td><td>");
			relais_strbuf_add_html(&req->body, aside[i].reason);
			relais_strbuf_add(&req->body, "</td><td><form method=\"post\" "
			                              "action=\"/outbox/retry\">");
			relais_reader_token_field(req);
			relais_strbuf_add(&req->body,
			                  "<input type=\"hidden\" name=\"id\" value=\"");
			relais_strbuf_add_html(&req->body, aside[i].id);
			relais_strbuf_printf(
			        &req->body,
			        "\"><button type=\"submit\">%s</button></form></td></tr>",
			        relais_tr(L(req), M_SEND_AGAIN));
		}
		relais_strbuf_add(&req->body, "</tbody></table>");
	}
out:
	free(hub);
	free(last_ok);
	free(last_try);
	relais_set_aside_free(aside, n_aside);
	relais_outbox_free(items, n);
}

void relais_reader_route(struct request *req)
{
	const char *p = req->path;
	int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

	if (strcmp(p, "/who") == 0 && get) {
		page_who(req);
		return;
	}
	if (strcmp(p, "/who/choose") == 0 && !get) {
		post_who(req, 0);
		return;
	}
	if (strcmp(p, "/who/add") == 0 && !get) {
		post_who(req, 1);
		return;
	}
	/* Everything else is someone's studying: know who first. */
	if (req->session->profile_id == 0) {
		if (get) {
			redirect(req, "/who");
		} else {
			relais_reader_page_error(req, 400, relais_tr(L(req), M_BAD_REQUEST));
		}
		return;
	}
	if (strcmp(p, "/") == 0 && get) {
		page_library(req);
	} else if (strcmp(p, "/search") == 0 && get) {
		page_search(req);
	} else if (strcmp(p, "/outbox") == 0 && get) {
		page_outbox(req);
	} else if (strcmp(p, "/outbox/send") == 0 && !get) {
		post_send(req);
	} else if (strcmp(p, "/updates") == 0 && get) {
		relais_reader_page_updates(req);
	} else if (strcmp(p, "/updates/check") == 0 && !get) {
		relais_reader_post_updates(req);
	} else if (strcmp(p, "/outbox/retry") == 0 && !get) {
		post_retry(req);
	} else if (strcmp(p, "/who/pin") == 0 && get) {
		page_pin(req, 0, 0);
	} else if (strcmp(p, "/who/pin") == 0 && !get) {
		post_pin(req);
	} else if (strcmp(p, "/certificates") == 0 && get) {
		relais_reader_page_certificates(req, "");
	} else if (strncmp(p, "/certificates/", 14) == 0 && get) {
		relais_reader_page_certificates(req, p + 14);
	} else if (strncmp(p, "/c/", 3) == 0) {
		route_course(req, p + 3);
	} else {
		relais_reader_page_error(req, 404, relais_tr(L(req), M_NOT_FOUND));
	}
}
