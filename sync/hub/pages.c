/* pages.c: the coordinators' pages, made from the templates in pages/ (embedded at build time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_private.h"
#include "relais/certificate.h"
#include "relais/error.h"
#include "relais/strbuf.h"

#include <cjson/cJSON.h>

#define PAGE_MAX (384u * 1024 * 1024) /* five report tables of up to 64 MiB each */

/* A {{name}} in a template and the text (already escaped) that replaces it. */
struct slot {
	const char *name;
	const char *value;
};

/*
 * Appends template file with each {{name}} replaced by its slot's value and
 * each {{t:KEY}} by the message KEY in lang, escaped (unknown: nothing).
 */
static void fill(struct relais_strbuf *out, const char *file, enum hub_lang lang,
                 const struct slot *slots, size_t n)
{
	const struct relais_embedded_file *f = relais_embedded_find(relais_hub_pages, file);
	const char *t = f ? (const char *)f->data : "", *p, *end;
	size_t i, len;

	while ((p = strstr(t, "{{")) != NULL && (end = strstr(p, "}}")) != NULL) {
		relais_strbuf_addn(out, t, (size_t)(p - t));
		len = (size_t)(end - p - 2);
		if (len > 2 && strncmp(p + 2, "t:", 2) == 0) {
			const char *words = relais_hub_tr_key(lang, p + 4, len - 2);
			relais_strbuf_add_html(out, words ? words : "");
		}
		for (i = 0; i < n; i++) {
			if (strlen(slots[i].name) == len &&
			    strncmp(p + 2, slots[i].name, len) == 0) {
				relais_strbuf_add(out, slots[i].value);
			}
		}
		t = end + 2;
	}
	relais_strbuf_add(out, t);
}

/* The list of languages, each named in itself, the current one marked. */
static void languages(struct relais_strbuf *o, enum hub_lang lang)
{
	int i;

	relais_strbuf_printf(o, "<nav class=\"langs\" aria-label=\"");
	relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_LANGUAGES));
	relais_strbuf_add(o, "\"><ul>");
	for (i = 0; i < HUB_LANG_COUNT; i++) {
		const char *code = relais_hub_lang_code((enum hub_lang)i);
		relais_strbuf_printf(o,
		                     "<li><a href=\"?lang=%s\" lang=\"%s\" hreflang=\"%s\" "
		                     "dir=\"%s\"%s>",
		                     code, code, code,
		                     relais_hub_tr((enum hub_lang)i, HUB_M_LANG_DIR),
		                     i == (int)lang ? " aria-current=\"true\"" : "");
		relais_strbuf_add_html(o, relais_hub_tr((enum hub_lang)i, HUB_M_LANG_NAME));
		relais_strbuf_add(o, "</a></li>");
	}
	relais_strbuf_add(o, "</ul></nav>");
}

/* Wraps body in layout.html, in lang; *out is malloc'd. */
static int finish(char **out, relais_ctx *ctx, enum hub_lang lang, struct relais_strbuf *body)
{
	struct relais_strbuf page = {.max = PAGE_MAX}, list = {0};
	struct slot slots[] = {{"body", body->p ? body->p : ""},
	                       {"lang", relais_hub_lang_code(lang)},
	                       {"dir", relais_hub_tr(lang, HUB_M_LANG_DIR)},
	                       {"langs", ""}};

	*out = NULL;
	languages(&list, lang);
	slots[3].value = list.p ? list.p : "";
	if (body->rc == 0 && list.rc == 0) {
		fill(&page, "layout.html", lang, slots, sizeof(slots) / sizeof(slots[0]));
	}
	relais_strbuf_free(&list);
	if (body->rc != 0 || page.rc != 0) {
		int rc = body->rc ? body->rc : page.rc;
		relais_strbuf_free(&page);
		return relais_fail(ctx, rc, "a reports page: %s",
		                   rc == RELAIS_ELIMIT ? "too large" : "out of memory");
	}
	*out = page.p;
	return 0;
}

int relais_hub_page_login(char **out, relais_ctx *ctx, enum hub_lang lang, int failed)
{
	struct relais_strbuf body = {0}, alert = {0};
	struct slot slot = {"alert", ""};
	int rc;

	if (failed) {
		fill(&alert, "login-failed.html", lang, NULL, 0);
		slot.value = alert.p ? alert.p : "";
	}
	fill(&body, "login.html", lang, &slot, 1);
	if (alert.rc != 0) {
		body.rc = alert.rc;
	}
	rc = finish(out, ctx, lang, &body);
	relais_strbuf_free(&alert);
	relais_strbuf_free(&body);
	return rc;
}

/* The reports pages: their path, heading and views (relais_hub_reports). */
static const struct {
	const char *path;
	enum hub_msg heading;
	const char *views[6];
} kinds[] = {
        [RELAIS_HUB_PAGE_OVERVIEW] = {"/reports",
                                      HUB_M_REPORTS,
                                      {"status-by-course", "status-by-organisation",
                                       "completions-by-day", "completions-by-course",
                                       "completions-by-organisation", NULL}},
        [RELAIS_HUB_PAGE_QUIZZES] = {"/reports/quizzes",
                                     HUB_M_PAGE_QUIZZES,
                                     {"quiz-questions", "quiz-results", "essays", NULL}},
        [RELAIS_HUB_PAGE_LEARNERS] = {"/reports/learners",
                                      HUB_M_PAGE_LEARNERS,
                                      {"learners", "completions-by-learner", "attendance", NULL}},
        [RELAIS_HUB_PAGE_LEARNER] = {"/reports/learner",
                                     HUB_M_PAGE_LEARNER,
                                     {"learner-courses", "learner-statements", NULL}},
};

/* "?course=...&..." for the filters given (learner's too), escaped for an attribute; or "". */
static void query_of(struct relais_strbuf *o, const struct relais_hub_filter *f)
{
	struct relais_strbuf q = {0};
	const char *names[] = {"course", "organisation", "country", "from", "to", "learner"};
	const char *values[] = {f->course, f->organisation, f->country, f->from, f->to, f->learner};
	size_t i;

	for (i = 0; i < 6; i++) {
		if (values[i] != NULL && values[i][0] != '\0') {
			relais_strbuf_printf(&q, "%s%s=", q.len ? "&" : "?", names[i]);
			relais_strbuf_add_url(&q, values[i]);
		}
	}
	relais_strbuf_add_html(o, q.p ? q.p : "");
	relais_strbuf_free(&q);
}

/* <option>s of the choices of kind, the one given selected. */
static void options(struct relais_strbuf *o, const cJSON *choices, const char *kind,
                    const char *given)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(choices, kind))
	{
		relais_strbuf_add(o, "<option");
		if (given != NULL && strcmp(given, c->valuestring) == 0) {
			relais_strbuf_add(o, " selected");
		}
		relais_strbuf_add(o, ">");
		relais_strbuf_add_html(o, c->valuestring);
		relais_strbuf_add(o, "</option>");
	}
}

static void filters(struct relais_strbuf *o, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                    int kind, const struct relais_hub_filter *f)
{
	struct relais_strbuf c = {0}, g = {0}, k = {0}, from = {0}, to = {0};
	cJSON *choices = NULL;

	if (relais_hub_report_choices(&choices, hub, ctx, f) == 0) {
		options(&c, choices, "course", f->course);
		options(&g, choices, "organisation", f->organisation);
		options(&k, choices, "country", f->country);
	}
	relais_strbuf_add_html(&from, f->from ? f->from : "");
	relais_strbuf_add_html(&to, f->to ? f->to : "");
	{
		struct slot slots[] = {
		        {"action", kinds[kind].path},      {"courses", c.p ? c.p : ""},
		        {"organisations", g.p ? g.p : ""}, {"countries", k.p ? k.p : ""},
		        {"from", from.p ? from.p : ""},    {"to", to.p ? to.p : ""}};
		fill(o, "filters.html", lang, slots, sizeof(slots) / sizeof(slots[0]));
	}
	cJSON_Delete(choices);
	relais_strbuf_free(&c);
	relais_strbuf_free(&g);
	relais_strbuf_free(&k);
	relais_strbuf_free(&from);
	relais_strbuf_free(&to);
}

/* The links to the pages, the current one marked, the filters carried. */
static void pages_nav(struct relais_strbuf *o, enum hub_lang lang, int kind, int admin,
                      const struct relais_hub_filter *f)
{
	struct relais_hub_filter keep = *f;
	int i;

	keep.learner = NULL;
	relais_strbuf_add(o, "<nav class=\"pages\" aria-label=\"");
	relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_REPORTS));
	relais_strbuf_add(o, "\"><ul>");
	for (i = 0; i < RELAIS_HUB_PAGE_LEARNER; i++) {
		relais_strbuf_printf(o, "<li><a href=\"%s", kinds[i].path);
		query_of(o, &keep);
		relais_strbuf_printf(o, "\"%s>", i == kind ? " aria-current=\"page\"" : "");
		relais_strbuf_add_html(o, relais_hub_tr(lang, kinds[i].heading));
		relais_strbuf_add(o, "</a></li>");
	}
	if (admin) {
		relais_strbuf_printf(o, "<li><a href=\"/reports/admin\"%s>",
		                     kind == RELAIS_HUB_PAGE_ADMIN ? " aria-current=\"page\"" : "");
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_PAGE_ADMIN));
		relais_strbuf_add(o, "</a></li>");
	}
	relais_strbuf_add(o, "</ul></nav>");
}

/* The page's frame: heading, who is signed in, sign-out, the pages' links; body inside. */
static int frame(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                 const char *email, int kind, const struct relais_hub_filter *f,
                 const char *heading, struct relais_strbuf *filter_form,
                 struct relais_strbuf *sections)
{
	struct relais_strbuf body = {.max = PAGE_MAX}, summary = {0}, nav = {0}, h = {0};
	char count_text[24], line[512];
	int64_t count = 0;
	int rc;

	(void)relais_hub_count(&count, hub, ctx);
	(void)snprintf(count_text, sizeof(count_text), "%lld", (long long)count);
	relais_hub_tr_format(line, sizeof(line), lang, HUB_M_REPORTS_SUMMARY, count_text, email);
	relais_strbuf_add_html(&summary, line);
	if (f->scope != NULL) {
		relais_hub_tr_format(line, sizeof(line), lang, HUB_M_SCOPE_ORG, f->scope);
	} else {
		relais_hub_tr_format(line, sizeof(line), lang, HUB_M_SCOPE_ALL);
	}
	relais_strbuf_add(&summary, " ");
	relais_strbuf_add_html(&summary, line);
	pages_nav(&nav, lang, kind, f->scope == NULL, f);
	relais_strbuf_add_html(&h, heading);
	{
		struct slot frame_slots[] = {{"heading", h.p ? h.p : ""},
		                             {"summary", summary.p ? summary.p : ""},
		                             {"nav", nav.p ? nav.p : ""},
		                             {"filters", filter_form->p ? filter_form->p : ""},
		                             {"reports", sections->p ? sections->p : ""}};
		fill(&body, "reports.html", lang, frame_slots, 5);
	}
	if (body.rc == 0) {
		body.rc = summary.rc ? summary.rc
		          : nav.rc   ? nav.rc
		          : h.rc     ? h.rc
		                     : (filter_form->rc ? filter_form->rc : sections->rc);
	}
	rc = finish(out, ctx, lang, &body);
	relais_strbuf_free(&h);
	relais_strbuf_free(&nav);
	relais_strbuf_free(&summary);
	relais_strbuf_free(&body);
	return rc;
}

int relais_hub_page_reports(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                            const char *email, int kind, const struct relais_hub_filter *f)
{
	struct relais_strbuf sections = {.max = PAGE_MAX}, title = {0}, query = {0}, chart = {0},
	                     form = {0}, heading = {0};
	struct relais_strbuf more = {0};
	char *table = NULL, *next = NULL;
	size_t i;
	int rc, busy = 0;

	query_of(&query, f);
	if (kind != RELAIS_HUB_PAGE_LEARNER) {
		filters(&form, hub, ctx, lang, kind, f);
		relais_strbuf_add(&heading, relais_hub_tr(lang, kinds[kind].heading));
	} else {
		char line[512];
		relais_hub_tr_format(line, sizeof(line), lang, HUB_M_LEARNER_OF, f->learner);
		relais_strbuf_add(&heading, line);
	}
	for (i = 0; kinds[kind].views[i]; i++) {
		const char *name = kinds[kind].views[i];
		/* A table that cannot be made leaves its section empty; but when the
		 * database cannot be reached (busy), the page fails below: its tables
		 * would all be empty, as if nothing had been recorded. */
		struct slot report[] = {{"name", name},
		                        {"title", ""},
		                        {"table", ""},
		                        {"query", query.p ? query.p : ""},
		                        {"chart", ""}};
		relais_strbuf_free(&title);
		relais_strbuf_free(&chart);
		relais_strbuf_add_html(&title, relais_hub_tr_name(lang, "REPORT_", name));
		report[1].value = title.p ? title.p : "";
		if (strcmp(name, "completions-by-day") == 0) {
			/* The chart, its table below as its text alternative; the same by course
			 * as files. */
			cJSON *rows = NULL;
			if ((rc = relais_hub_report_rows(&rows, hub, ctx, name, f)) == 0) {
				relais_hub_chart(&chart, lang, "chart-completions",
				                 relais_hub_tr_name(lang, "REPORT_", name), rows);
			}
			cJSON_Delete(rows);
			busy |= rc == RELAIS_EBUSY;
			relais_strbuf_add(&chart, "<p>");
			relais_strbuf_add_html(&chart,
			                       relais_hub_tr(lang, HUB_M_BY_DAY_AND_COURSE));
			relais_strbuf_printf(
			        &chart,
			        " <a href=\"/reports/completions-over-time.csv%s\">CSV</a>"
			        " · <a href=\"/reports/completions-over-time.json%s\">"
			        "JSON</a></p>",
			        query.p ? query.p : "", query.p ? query.p : "");
			report[4].value = chart.p ? chart.p : "";
		}
		if ((rc = relais_hub_report_page(&table, &next, hub, ctx, name, lang, f,
		                                 RELAIS_HUB_PAGE_ROWS)) == 0) {
			report[2].value = table;
		}
		busy |= rc == RELAIS_EBUSY;
		if (next != NULL) {
			/* The learners after this page's: its filters, then where it starts. */
			char line[128], rows[16];
			relais_strbuf_free(&more);
			relais_strbuf_add(&more, table);
			relais_strbuf_printf(&more,
			                     "<p class=\"more\"><a href=\"/reports/learners%s",
			                     query.p ? query.p : "");
			relais_strbuf_printf(&more, "%sstart=%s\" rel=\"next\">",
			                     query.p && query.p[0] ? "&amp;" : "?", next);
			(void)snprintf(rows, sizeof(rows), "%d", RELAIS_HUB_PAGE_ROWS);
			relais_hub_tr_format(line, sizeof(line), lang, HUB_M_NEXT_LEARNERS, rows);
			relais_strbuf_add_html(&more, line);
			relais_strbuf_add(&more, "</a></p>");
			report[2].value = more.p ? more.p : "";
			free(next);
			next = NULL;
		}
		fill(&sections, "report.html", lang, report, 5);
		free(table);
		table = NULL;
	}
	rc = busy ? relais_fail(ctx, RELAIS_EBUSY, "the hub database cannot be reached")
	          : frame(out, hub, ctx, lang, email, kind, f, heading.p ? heading.p : "", &form,
	                  &sections);
	relais_strbuf_free(&more);
	relais_strbuf_free(&heading);
	relais_strbuf_free(&form);
	relais_strbuf_free(&chart);
	relais_strbuf_free(&query);
	relais_strbuf_free(&title);
	relais_strbuf_free(&sections);
	return rc;
}

/* A programme certificate's cohort, courses and sessions attended, after an open <dt>. */
static void programme_lines(struct relais_strbuf *o, enum hub_lang lang,
                            const struct relais_certificate *c)
{
	relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_PROGRAMME));
	relais_strbuf_add(o, "</dt><dd>");
	relais_strbuf_add_html(o, c->title);
	relais_strbuf_add(o, "</dd><dt>");
	relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_PROGRAMME_COURSES));
	relais_strbuf_add(o, "</dt><dd><ul>");
	for (size_t i = 0; i < c->n_courses; i++) {
		relais_strbuf_add(o, "<li>");
		relais_strbuf_add_html(o, c->courses[i].title[0] ? c->courses[i].title
		                                                 : c->courses[i].id);
		relais_strbuf_add(o, " (");
		relais_strbuf_add_html(o, c->courses[i].id);
		relais_strbuf_add(o, ")</li>");
	}
	relais_strbuf_add(o, "</ul></dd><dt>");
	relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_PROGRAMME_SESSIONS));
	relais_strbuf_printf(o, "</dt><dd>%u</dd>", c->sessions);
}

/* The verdict on a code, escaped: valid (with what it says), revoked, or invalid and why. */
static int verdict(struct relais_strbuf *o, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                   const char *code)
{
	struct relais_certificate c;
	char hours[16], line[256], date[96];
	int rc = relais_hub_certificate_check(&c, hub, ctx, code);
	const char *cls = rc == 0 ? "valid" : rc == RELAIS_EINVAL ? "revoked" : "invalid";

	/* The hub failing (its database away) says nothing of the certificate: no verdict. */
	if (rc == RELAIS_EBUSY || rc == RELAIS_EIO || rc == RELAIS_ENOMEM) {
		relais_certificate_clear(&c);
		return rc;
	}

	relais_strbuf_printf(o, "<section class=\"verdict %s\" role=\"status\"><h2>", cls);
	relais_strbuf_add_html(o, relais_hub_tr(lang, rc == 0               ? HUB_M_VALID
	                                              : rc == RELAIS_EINVAL ? HUB_M_REVOKED
	                                                                    : HUB_M_INVALID));
	relais_strbuf_add(o, "</h2>");
	if (rc != 0) {
		/* The reason is the hub's own message, in English. */
		relais_strbuf_add(o, "<p lang=\"en\">");
		relais_strbuf_add_html(o, relais_errmsg(ctx));
		relais_strbuf_add(o, "</p>");
	}
	if (rc == 0 || rc == RELAIS_EINVAL) {
		relais_certificate_hours(hours, &c);
		relais_strbuf_add(o, "<dl><dt>");
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_LEARNER));
		relais_strbuf_add(o, "</dt><dd>");
		relais_strbuf_add_html(o, c.name);
		relais_strbuf_add(o, " &lt;");
		relais_strbuf_add_html(o, c.email);
		relais_strbuf_add(o, "&gt;</dd><dt>");
		if (c.programme) {
			programme_lines(o, lang, &c);
		} else {
			relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_COURSE));
			relais_strbuf_add(o, "</dt><dd>");
			relais_strbuf_add_html(o, c.title);
			relais_strbuf_add(o, " (");
			relais_strbuf_add_html(o, c.course);
			relais_hub_tr_format(line, sizeof(line), lang, HUB_M_COURSE_VERSION,
			                     c.version);
			relais_strbuf_add(o, ", ");
			relais_strbuf_add_html(o, line);
			relais_strbuf_add(o, ")</dd>");
		}
		relais_strbuf_add(o, "<dt>");
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_COMPLETED));
		relais_hub_tr_date(date, sizeof(date), lang, c.date);
		relais_strbuf_add(o, "</dt><dd><time datetime=\"");
		relais_strbuf_add_html(o, c.date);
		relais_strbuf_add(o, "\">");
		relais_strbuf_add_html(o, date);
		relais_strbuf_add(o, "</time></dd>");
		if (c.score >= 0) {
			relais_strbuf_add(o, "<dt>");
			relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_SCORE));
			relais_strbuf_printf(o, "</dt><dd>%d%%</dd>", c.score);
		}
		if (hours[0] != '\0') {
			relais_strbuf_add(o, "<dt>");
			relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_HOURS));
			relais_strbuf_printf(o, "</dt><dd>%s</dd>", hours);
		}
		relais_strbuf_add(o, "<dt>");
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_CERTIFICATE));
		relais_hub_tr_format(line, sizeof(line), lang, HUB_M_CERT_SIGNED, c.id, c.key_id);
		relais_strbuf_add(o, "</dt><dd>");
		relais_strbuf_add_html(o, line);
		relais_strbuf_add(o, "</dd></dl>");
	}
	relais_strbuf_add(o, "</section>");
	relais_certificate_clear(&c);
	return 0;
}

int relais_hub_page_verify(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                           const char *code)
{
	struct relais_strbuf body = {0}, result = {0}, typed = {0};
	int rc;

	if (code != NULL && code[0] != '\0') {
		if ((rc = verdict(&result, hub, ctx, lang, code)) != 0) {
			relais_strbuf_free(&result);
			return rc;
		}
		relais_strbuf_add_html(&typed, code);
	}
	{
		struct slot slots[] = {{"result", result.p ? result.p : ""},
		                       {"code", typed.p ? typed.p : ""}};
		fill(&body, "verify.html", lang, slots, 2);
	}
	if (body.rc == 0) {
		body.rc = result.rc ? result.rc : typed.rc;
	}
	rc = finish(out, ctx, lang, &body);
	relais_strbuf_free(&typed);
	relais_strbuf_free(&result);
	relais_strbuf_free(&body);
	return rc;
}

void relais_hub_page_fill(struct relais_strbuf *out, const char *file, enum hub_lang lang,
                          const struct relais_hub_page_slot *slots, size_t n)
{
	struct slot s[RELAIS_HUB_SLOTS_MAX];
	size_t i;

	for (i = 0; i < n && i < RELAIS_HUB_SLOTS_MAX; i++) {
		s[i].name = slots[i].name;
		s[i].value = slots[i].value;
	}
	fill(out, file, lang, s, i);
}

int relais_hub_page_finish(char **out, relais_ctx *ctx, enum hub_lang lang,
                           struct relais_strbuf *body)
{
	return finish(out, ctx, lang, body);
}

/* A table of rows' columns cols (headings COL_*), each row with a form posting its key to action.
 */
static void admin_table(struct relais_strbuf *o, enum hub_lang lang, const cJSON *rows,
                        const char *const *cols, const char *key, const char *action,
                        enum hub_msg button, const char *skip_if)
{
	const cJSON *row;
	size_t c;

	relais_strbuf_add(o, "<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
	for (c = 0; cols[c]; c++) {
		relais_strbuf_add(o, "<th scope=\"col\">");
		relais_strbuf_add_html(o, relais_hub_tr_name(lang, "COL_", cols[c]));
		relais_strbuf_add(o, "</th>");
	}
	relais_strbuf_add(o, "<td></td></tr></thead><tbody>");
	cJSON_ArrayForEach(row, rows)
	{
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(row, key);
		const cJSON *skip = skip_if ? cJSON_GetObjectItemCaseSensitive(row, skip_if) : NULL;
		relais_strbuf_add(o, "<tr>");
		for (c = 0; cols[c]; c++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, cols[c]);
			relais_strbuf_add(o, "<td>");
			if (strcmp(cols[c], "organisation") == 0 && cJSON_IsString(v) &&
			    v->valuestring[0] == '\0') {
				relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_ADMINISTRATOR));
			} else {
				relais_strbuf_add_html(o, cJSON_IsString(v) ? v->valuestring : "");
			}
			relais_strbuf_add(o, "</td>");
		}
		relais_strbuf_add(o, "<td>");
		if (cJSON_IsString(k) && !(cJSON_IsString(skip) && skip->valuestring[0] != '\0')) {
			relais_strbuf_printf(o,
			                     "<form method=\"post\" action=\"%s\"><input "
			                     "type=\"hidden\" name=\"%s\" value=\"",
			                     action, key);
			relais_strbuf_add_html(o, k->valuestring);
			relais_strbuf_add(o, "\"><button type=\"submit\">");
			relais_strbuf_add_html(o, relais_hub_tr(lang, button));
			relais_strbuf_add(o, "<span class=\"visually-hidden\"> ");
			relais_strbuf_add_html(o, k->valuestring);
			relais_strbuf_add(o, "</span></button></form>");
		}
		relais_strbuf_add(o, "</td></tr>");
	}
	relais_strbuf_add(o, "</tbody></table></div>");
}

int relais_hub_page_admin(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                          const char *email, const char *notice, const char *secret)
{
	static const char *const coord_cols[] = {"email", "organisation", "created", NULL};
	static const char *const cred_cols[] = {"key",     "name",    "scopes",
	                                        "created", "revoked", NULL};
	struct relais_strbuf body = {.max = PAGE_MAX}, coords = {0}, creds = {0}, note = {0},
	                     none = {0};
	struct relais_hub_filter all = {0};
	cJSON *rows = NULL;
	int rc;

	if (notice != NULL) {
		relais_strbuf_add(&note, "<p role=\"status\">");
		relais_strbuf_add_html(&note, notice);
		relais_strbuf_add(&note, "</p>");
	}
	if (secret != NULL) {
		relais_strbuf_add(&note, "<p class=\"secret\">");
		relais_strbuf_add_html(&note, secret);
		relais_strbuf_add(&note, "</p>");
	}
	if (relais_hub_coordinators_rows(&rows, hub, ctx) == 0) {
		admin_table(&coords, lang, rows, coord_cols, "email",
		            "/reports/admin/coordinator-remove", HUB_M_REMOVE, NULL);
	}
	cJSON_Delete(rows);
	rows = NULL;
	if (relais_hub_credentials_rows(&rows, hub, ctx) == 0) {
		admin_table(&creds, lang, rows, cred_cols, "key",
		            "/reports/admin/credential-revoke", HUB_M_REVOKE, "revoked");
	}
	cJSON_Delete(rows);
	{
		struct slot slots[] = {{"notice", note.p ? note.p : ""},
		                       {"coordinators", coords.p ? coords.p : ""},
		                       {"credentials", creds.p ? creds.p : ""}};
		fill(&body, "admin.html", lang, slots, 3);
	}
	if (body.rc == 0) {
		body.rc = note.rc ? note.rc : coords.rc ? coords.rc : creds.rc;
	}
	rc = frame(out, hub, ctx, lang, email, RELAIS_HUB_PAGE_ADMIN, &all,
	           relais_hub_tr(lang, HUB_M_PAGE_ADMIN), &none, &body);
	relais_strbuf_free(&none);
	relais_strbuf_free(&note);
	relais_strbuf_free(&coords);
	relais_strbuf_free(&creds);
	relais_strbuf_free(&body);
	return rc;
}
