/* sessionpage.c: a course's upcoming live sessions, in the laptop's time zone, and their .ics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "reader_private.h"
#include "relais/profile.h"
#include "relais/session.h"
#include "relais/strbuf.h"
#include "relais/updates.h"

#define RECENT_MS (7LL * 24 * 3600 * 1000) /* a trainer's sessions shown after they start */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "6 December 2026 09:00 (CET)" in this laptop's zone; in the session's own when the
 * laptop cannot convert (its tz database lacks the zone). */
void relais_reader_session_when(struct request *req, const struct relais_session *s,
                                const char *local, long long ms)
{
	struct relais_local_time t;
	char raw[64], shown[160];

	if (ms >= 0 && relais_tz_local(&t, ms, NULL) == 0) {
		(void)snprintf(raw, sizeof(raw), "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day,
		               t.hour, t.minute);
		relais_tr_date(shown, sizeof(shown), req->session->lang, raw);
		relais_strbuf_printf(&req->body,
		                     "<time datetime=\"%04d-%02d-%02dT%02d:%02d%+03ld:%02ld\">",
		                     t.year, t.month, t.day, t.hour, t.minute, t.utc_offset / 3600,
		                     (t.utc_offset < 0 ? -t.utc_offset : t.utc_offset) % 3600 / 60);
		relais_strbuf_add_html(&req->body, shown);
		relais_strbuf_add(&req->body, " (");
		relais_strbuf_add_html(&req->body, t.zone);
		relais_strbuf_add(&req->body, ")</time>");
		return;
	}
	(void)snprintf(raw, sizeof(raw), "%.10s %.5s", local, local + 11);
	relais_tr_date(shown, sizeof(shown), req->session->lang, raw);
	relais_strbuf_add_html(&req->body, shown);
	relais_strbuf_add(&req->body, " (");
	relais_strbuf_add_html(&req->body, s->timezone);
	relais_strbuf_add(&req->body, ")");
}

void relais_reader_sessions(struct request *req, const char *course_id, const relais_manifest *m,
                            int heading)
{
	struct relais_session *s = NULL;
	struct relais_profile me;
	size_t n = 0, shown = 0;
	long long now = now_ms();
	enum lang lang = req->session->lang;
	int trainer = 0;

	if (relais_updates_sessions(&s, &n, req->reader->home, req->reader->ctx, course_id, m) !=
	    0) {
		relais_clear(req->reader->ctx);
		return; /* the sessions are a courtesy beside the course */
	}
	if (relais_profile_get(&me, req->reader->home, req->reader->ctx,
	                       req->session->profile_id) == 0) {
		trainer = me.trainer;
		relais_profile_clear(&me);
	}
	for (size_t i = 0; i < n; i++) {
		long long start = relais_tz_to_utc(s[i].timezone, s[i].start);
		long long end = relais_tz_to_utc(s[i].timezone, s[i].end);
		/* A trainer also sees those of the last week, to take attendance late. */
		int recent = trainer && start >= 0 && start >= now - RECENT_MS;
		if (end >= 0 && end < now && !recent) {
			continue; /* over */
		}
		if (shown++ == 0) {
			relais_strbuf_printf(&req->body,
			                     "<section class=\"sessions\"><h%d>%s</h%d><ul>",
			                     heading, relais_tr(lang, M_SESSIONS_TITLE), heading);
		}
		relais_strbuf_printf(&req->body, "<li class=\"session%s\"><strong lang=\"%s\">",
		                     s[i].cancelled ? " cancelled" : "", m->language);
		relais_strbuf_add_html(&req->body, s[i].title);
		relais_strbuf_add(&req->body, "</strong>");
		if (s[i].cancelled) {
			relais_strbuf_printf(&req->body, " <em>%s</em>",
			                     relais_tr(lang, M_SESSION_CANCELLED));
		}
		relais_strbuf_add(&req->body, "<br>");
		relais_reader_session_when(req, &s[i], s[i].start, start);
		relais_strbuf_add(&req->body, " – ");
		relais_reader_session_when(req, &s[i], s[i].end, end);
		relais_strbuf_add(&req->body, "<br>");
		if (s[i].online) {
			relais_strbuf_printf(&req->body, "%s: <a href=\"",
			                     relais_tr(lang, M_SESSION_ONLINE));
			relais_strbuf_add_html(&req->body, s[i].online);
			relais_strbuf_add(&req->body, "\">");
			relais_strbuf_add_html(&req->body, s[i].online);
			relais_strbuf_add(&req->body, "</a>");
		} else {
			relais_strbuf_add_html(&req->body, s[i].place);
		}
		if (s[i].trainer && s[i].trainer[0]) {
			relais_strbuf_printf(&req->body,
			                     " · %s: ", relais_tr(lang, M_SESSION_TRAINER));
			relais_strbuf_add_html(&req->body, s[i].trainer);
		}
		if (s[i].n_before > 0) {
			relais_strbuf_printf(&req->body,
			                     "<br>%s: ", relais_tr(lang, M_SESSION_BEFORE));
			for (size_t k = 0; k < s[i].n_before; k++) {
				const struct relais_unit *u =
				        relais_manifest_unit(m, s[i].before[k]);
				relais_strbuf_add(&req->body, k ? ", " : "");
				relais_strbuf_printf(&req->body, "<span lang=\"%s\">", m->language);
				relais_strbuf_add_html(&req->body, u ? u->title : s[i].before[k]);
				relais_strbuf_add(&req->body, "</span>");
			}
		}
		if (!s[i].cancelled && start >= 0) {
			relais_strbuf_add(&req->body, "<br><a class=\"ics\" download href=\"/c/");
			relais_strbuf_add_url(&req->body, course_id);
			relais_strbuf_add(&req->body, "/sessions/");
			relais_strbuf_add_url(&req->body, s[i].id);
			relais_strbuf_printf(&req->body, ".ics\">%s</a>",
			                     relais_tr(lang, M_SESSION_CALENDAR));
		}
		if (trainer && !s[i].cancelled) {
			relais_strbuf_add(&req->body, "<br><a class=\"attendance\" href=\"/c/");
			relais_strbuf_add_url(&req->body, course_id);
			relais_strbuf_add(&req->body, "/attendance/");
			relais_strbuf_add_url(&req->body, s[i].id);
			relais_strbuf_printf(&req->body, "\">%s<span class=\"visually-hidden\">: ",
			                     relais_tr(lang, M_ATTEND_TAKE));
			relais_strbuf_add_html(&req->body, s[i].title);
			relais_strbuf_add(&req->body, "</span></a>");
		}
		relais_strbuf_add(&req->body, "</li>");
	}
	if (shown > 0) {
		relais_strbuf_add(&req->body, "</ul></section>");
	}
	relais_sessions_free(s, n);
}

int relais_reader_session_ics(struct request *req, const char *course_id, const relais_manifest *m,
                              const char *file)
{
	struct relais_session *s = NULL;
	size_t n = 0, len = 0, flen = strlen(file);
	char *ics = NULL;
	int found = 0;

	if (flen < 5 || strcmp(file + flen - 4, ".ics") != 0 ||
	    relais_updates_sessions(&s, &n, req->reader->home, req->reader->ctx, course_id, m) !=
	            0) {
		relais_clear(req->reader->ctx);
		return 0;
	}
	for (size_t i = 0; i < n && !found; i++) {
		if (strlen(s[i].id) == flen - 4 && memcmp(s[i].id, file, flen - 4) == 0 &&
		    relais_session_ics(&ics, &len, req->reader->ctx, &s[i], m->title, now_ms()) ==
		            0) {
			found = 1;
			relais_strbuf_addn(&req->body, ics, len);
			(void)snprintf(req->attachment, sizeof(req->attachment), "%s-%s", course_id,
			               file);
			free(ics);
		}
	}
	relais_sessions_free(s, n);
	return found;
}
