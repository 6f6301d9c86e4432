/* attendpage.c: a trainer's roster for a live session; who came, saved as attended statements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "reader_private.h"
#include "relais/attendance.h"
#include "relais/error.h"
#include "relais/profile.h"
#include "relais/session.h"
#include "relais/strbuf.h"
#include "relais/updates.h"
#include "relais/utf8.h"

#define TYPED_ROWS 3 /* empty rows to type in people without a profile here */

/* What the page shows besides the roster: a saved count, or why a save was refused. */
struct outcome {
	int saved; /* a save went through: added says how many were new */
	size_t added;
	char alert[512]; /* "" none */
};

static enum lang L(const struct request *req)
{
	return req->session->lang;
}

/* Whether the roster's person p was ticked in the form just posted. */
static int ticked(const struct request *req, const struct relais_profile *p)
{
	char name[32];

	(void)snprintf(name, sizeof(name), "p%lld", (long long)p->id);
	return relais_reader_form_value(req, name) != NULL;
}

/* A typed row's field ("name", "email", "org") from the form; "" when absent. */
static const char *typed(const struct request *req, const char *field, unsigned row)
{
	char name[32];
	const char *v;

	(void)snprintf(name, sizeof(name), "%s%u", field, row);
	v = relais_reader_form_value(req, name);
	return v != NULL ? v : "";
}

static int recorded(const struct relais_profile *done, size_t n_done, const char *email)
{
	for (size_t i = 0; i < n_done; i++) {
		if (strcmp(done[i].email, email) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * Gathers who came from the posted form: the ticked profiles, then each
 * typed row with a name or an email. A row with one but not the other, or
 * with an email that is not one, fills o->alert naming the row: nothing is
 * saved then. Returns the count in *n (people borrows the form's strings).
 */
static int gather(struct relais_attendee *people, size_t *n, struct outcome *o,
                  const struct request *req, const struct relais_profile *roster, size_t n_roster)
{
	*n = 0;
	for (size_t i = 0; i < n_roster; i++) {
		if (ticked(req, &roster[i])) {
			people[(*n)++] = (struct relais_attendee){roster[i].name, roster[i].email,
			                                          roster[i].org};
		}
	}
	for (unsigned row = 1; row <= TYPED_ROWS; row++) {
		const char *name = typed(req, "name", row), *email = typed(req, "email", row);
		if (name[0] == '\0' && email[0] == '\0') {
			continue;
		}
		if (name[0] == '\0') {
			relais_tr_format(o->alert, sizeof(o->alert), L(req), M_ATTEND_ROW_NAME,
			                 row);
			return -1;
		}
		if (!relais_email_ok(email)) {
			char shown[96];
			relais_printable(shown, sizeof(shown), email);
			relais_tr_format(o->alert, sizeof(o->alert), L(req), M_ATTEND_ROW_EMAIL,
			                 row, shown);
			return -1;
		}
		people[(*n)++] = (struct relais_attendee){name, email, typed(req, "org", row)};
	}
	return 0;
}

static void person_box(struct request *req, const struct relais_profile *p, int checked)
{
	relais_strbuf_printf(&req->body, "<li><label><input type=\"checkbox\" name=\"p%lld\"%s> ",
	                     (long long)p->id, checked ? " checked" : "");
	relais_strbuf_add_html(&req->body, p->name);
	relais_strbuf_add(&req->body, " <span class=\"meta\">");
	relais_strbuf_add_html(&req->body, p->email);
	if (p->org[0]) {
		relais_strbuf_add(&req->body, ", ");
		relais_strbuf_add_html(&req->body, p->org);
	}
	relais_strbuf_add(&req->body, "</span></label></li>");
}

static void typed_row(struct request *req, unsigned row, int keep)
{
	static const struct {
		const char *field, *type, *complete;
		enum msg label;
	} cells[] = {
	        {"name", "text", "off", M_NAME},
	        {"email", "email", "off", M_EMAIL},
	        {"org", "text", "off", M_ORG},
	};
	char line[128];

	relais_tr_format(line, sizeof(line), L(req), M_ATTEND_ROW, row);
	relais_strbuf_add(&req->body, "<fieldset class=\"typed\"><legend>");
	relais_strbuf_add_html(&req->body, line);
	relais_strbuf_add(&req->body, "</legend>");
	for (size_t c = 0; c < sizeof(cells) / sizeof(cells[0]); c++) {
		relais_strbuf_printf(&req->body,
		                     "<label for=\"%s%u\">%s</label><input type=\"%s\" id=\"%s%u\" "
		                     "name=\"%s%u\" maxlength=\"%d\" autocomplete=\"%s\" value=\"",
		                     cells[c].field, row, relais_tr(L(req), cells[c].label),
		                     cells[c].type, cells[c].field, row, cells[c].field, row,
		                     RELAIS_EMAIL_MAX, cells[c].complete);
		if (keep) {
			relais_strbuf_add_html(&req->body, typed(req, cells[c].field, row));
		}
		relais_strbuf_add(&req->body, "\">");
	}
	relais_strbuf_add(&req->body, "</fieldset>");
}

static void roster_page(struct request *req, const char *course_id, const relais_manifest *m,
                        const struct relais_session *s, const struct relais_profile *roster,
                        size_t n_roster, size_t n_first, const struct relais_profile *done,
                        size_t n_done, const struct outcome *o)
{
	char line[512];
	int keep = o->alert[0] != '\0'; /* a refused save shows the form as it was sent */

	relais_tr_format(line, sizeof(line), L(req), M_ATTEND_TITLE, s->title);
	relais_reader_set_title(req, line);
	relais_strbuf_printf(&req->body, "<p class=\"meta\" lang=\"%s\"><a href=\"/c/",
	                     m->language);
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_add(&req->body, "/\">");
	relais_strbuf_add_html(&req->body, m->title);
	relais_strbuf_add(&req->body, "</a></p><h1>");
	relais_strbuf_add_html(&req->body, line);
	relais_strbuf_add(&req->body, "</h1><p>");
	relais_reader_session_when(req, s, s->start, relais_tz_to_utc(s->timezone, s->start));
	relais_strbuf_add(&req->body, " · ");
	relais_strbuf_add_html(&req->body, s->place ? s->place : s->online);
	relais_strbuf_add(&req->body, "</p>");
	if (o->alert[0]) {
		relais_strbuf_add(&req->body, "<p class=\"banner\" role=\"alert\">");
		relais_strbuf_add_html(&req->body, o->alert);
		relais_strbuf_add(&req->body, "</p>");
	} else if (o->saved) {
		relais_tr_nformat(line, sizeof(line), L(req), M_ATTEND_SAVED, o->added, o->added);
		relais_strbuf_add(&req->body, "<p class=\"banner\" role=\"status\">");
		relais_strbuf_add_html(&req->body, line);
		relais_strbuf_add(&req->body, "</p>");
	}
	relais_strbuf_printf(&req->body, "<p>%s</p><form method=\"post\" action=\"/c/",
	                     relais_tr(L(req), M_ATTEND_INTRO));
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_add(&req->body, "/attendance/");
	relais_strbuf_add_url(&req->body, s->id);
	relais_strbuf_add(&req->body, "\">");
	relais_reader_token_field(req);
	for (int part = 0; part < 2; part++) {
		size_t from = part == 0 ? 0 : n_first, to = part == 0 ? n_first : n_roster;
		if (from == to) {
			continue;
		}
		relais_strbuf_printf(
		        &req->body, "<fieldset><legend>%s</legend><ul class=\"roster\">",
		        relais_tr(L(req), part == 0 && n_first < n_roster ? M_ATTEND_AUDIENCE
		                          : part == 0                     ? M_ATTEND_LEARNERS
		                                                          : M_ATTEND_OTHERS));
		for (size_t i = from; i < to; i++) {
			person_box(req, &roster[i],
			           keep ? ticked(req, &roster[i])
			                : recorded(done, n_done, roster[i].email));
		}
		relais_strbuf_add(&req->body, "</ul></fieldset>");
	}
	relais_strbuf_printf(&req->body, "<h2>%s</h2>", relais_tr(L(req), M_ATTEND_TYPE_IN));
	for (unsigned row = 1; row <= TYPED_ROWS; row++) {
		typed_row(req, row, keep);
	}
	relais_strbuf_printf(&req->body, "<p><button type=\"submit\">%s</button></p></form>",
	                     relais_tr(L(req), M_ATTEND_SAVE));
	if (n_done > 0) {
		relais_tr_nformat(line, sizeof(line), L(req), M_ATTEND_RECORDED, n_done, n_done);
		relais_strbuf_add(&req->body, "<h2>");
		relais_strbuf_add_html(&req->body, line);
		relais_strbuf_add(&req->body, "</h2><ul class=\"recorded\">");
		for (size_t i = 0; i < n_done; i++) {
			relais_strbuf_add(&req->body, "<li>");
			relais_strbuf_add_html(&req->body, done[i].name);
			relais_strbuf_add(&req->body, " <span class=\"meta\">");
			relais_strbuf_add_html(&req->body, done[i].email);
			relais_strbuf_add(&req->body, "</span></li>");
		}
		relais_strbuf_add(&req->body, "</ul>");
	}
}

void relais_reader_page_attendance(struct request *req, const char *course_id,
                                   const relais_manifest *m, const char *session_id, int post)
{
	struct relais_session *sessions = NULL;
	struct relais_profile me = {0}, *roster = NULL, *done = NULL;
	struct relais_attendee *people = NULL;
	const struct relais_session *s = NULL;
	relais_home *home = req->reader->home;
	relais_ctx *ctx = req->reader->ctx;
	size_t n_sessions = 0, n_roster = 0, n_first = 0, n_done = 0, n_people = 0;
	struct outcome o = {0};
	char line[256], shown[96];

	if (relais_profile_get(&me, home, ctx, req->session->profile_id) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		return;
	}
	if (!me.trainer) {
		relais_reader_page_error(req, 403, relais_tr(L(req), M_ATTEND_TRAINERS));
		goto out;
	}
	if (relais_updates_sessions(&sessions, &n_sessions, home, ctx, course_id, m) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	for (size_t i = 0; i < n_sessions && s == NULL; i++) {
		s = strcmp(sessions[i].id, session_id) == 0 ? &sessions[i] : NULL;
	}
	if (s == NULL) {
		relais_printable(shown, sizeof(shown), session_id);
		relais_tr_format(line, sizeof(line), L(req), M_ATTEND_NO_SESSION, shown);
		relais_reader_page_error(req, 404, line);
		goto out;
	}
	if (s->cancelled) {
		relais_reader_page_error(req, 409, relais_tr(L(req), M_ATTEND_CANCELLED));
		goto out;
	}
	if (relais_attendance_roster(&roster, &n_roster, &n_first, home, ctx, me.id, course_id) !=
	    0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	if (post) {
		if ((people = calloc(n_roster + TYPED_ROWS, sizeof(*people))) == NULL) {
			relais_reader_page_error(req, 500, "out of memory");
			goto out;
		}
		if (gather(people, &n_people, &o, req, roster, n_roster) != 0) {
			req->status = 400;
		} else if (relais_attendance_record(&o.added, home, ctx, me.id, m, s, people,
		                                    n_people) != 0) {
			int rc = relais_errcode(ctx);
			relais_reader_page_error(
			        req, rc == RELAIS_EINVAL || rc == RELAIS_ELIMIT ? 400 : 500,
			        relais_errmsg(ctx));
			goto out;
		} else {
			o.saved = 1;
		}
	}
	if (relais_attendance_list(&done, &n_done, home, ctx, course_id, s) != 0) {
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		goto out;
	}
	roster_page(req, course_id, m, s, roster, n_roster, n_first, done, n_done, &o);
out:
	free(people);
	relais_profile_list_free(done, n_done);
	relais_profile_list_free(roster, n_roster);
	relais_sessions_free(sessions, n_sessions);
	relais_profile_clear(&me);
}
