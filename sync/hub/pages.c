/* pages.c: the coordinators' pages, made from the templates in pages/ (embedded at build time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_private.h"
#include "relais/certificate.h"
#include "relais/error.h"
#include "relais/strbuf.h"

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

int relais_hub_page_reports(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                            const char *email)
{
	struct relais_strbuf body = {.max = PAGE_MAX}, sections = {.max = PAGE_MAX}, summary = {0},
	                     title = {0};
	char count_text[24], line[512], *table = NULL;
	int64_t count = 0;
	size_t i;
	int rc;

	(void)relais_hub_count(&count, hub, ctx);
	(void)snprintf(count_text, sizeof(count_text), "%lld", (long long)count);
	relais_hub_tr_format(line, sizeof(line), lang, HUB_M_REPORTS_SUMMARY, count_text, email);
	relais_strbuf_add_html(&summary, line);
	for (i = 0; relais_hub_reports[i]; i++) {
		/* A table that cannot be made leaves its section empty. */
		struct slot report[] = {
		        {"name", relais_hub_reports[i]}, {"title", ""}, {"table", ""}};
		relais_strbuf_free(&title);
		relais_strbuf_add_html(&title,
		                       relais_hub_tr_name(lang, "REPORT_", relais_hub_reports[i]));
		report[1].value = title.p ? title.p : "";
		if (relais_hub_report_table(&table, hub, ctx, relais_hub_reports[i], lang) == 0) {
			report[2].value = table;
		}
		fill(&sections, "report.html", lang, report, 3);
		free(table);
		table = NULL;
	}
	{
		struct slot frame[] = {{"summary", summary.p ? summary.p : ""},
		                       {"reports", sections.p ? sections.p : ""}};
		fill(&body, "reports.html", lang, frame, 2);
	}
	if (body.rc == 0) {
		body.rc = summary.rc ? summary.rc : sections.rc;
	}
	rc = finish(out, ctx, lang, &body);
	relais_strbuf_free(&title);
	relais_strbuf_free(&summary);
	relais_strbuf_free(&sections);
	relais_strbuf_free(&body);
	return rc;
}

/* The verdict on a code, escaped: valid (with what it says), revoked, or invalid and why. */
static void verdict(struct relais_strbuf *o, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                    const char *code)
{
	struct relais_certificate c;
	char hours[16], line[256], date[96];
	int rc = relais_hub_certificate_check(&c, hub, ctx, code);
	const char *cls = rc == 0 ? "valid" : rc == RELAIS_EINVAL ? "revoked" : "invalid";

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
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_COURSE));
		relais_strbuf_add(o, "</dt><dd>");
		relais_strbuf_add_html(o, c.title);
		relais_strbuf_add(o, " (");
		relais_strbuf_add_html(o, c.course);
		relais_hub_tr_format(line, sizeof(line), lang, HUB_M_COURSE_VERSION, c.version);
		relais_strbuf_add(o, ", ");
		relais_strbuf_add_html(o, line);
		relais_strbuf_add(o, ")</dd><dt>");
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
}

int relais_hub_page_verify(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                           const char *code)
{
	struct relais_strbuf body = {0}, result = {0}, typed = {0};
	int rc;

	if (code != NULL && code[0] != '\0') {
		verdict(&result, hub, ctx, lang, code);
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
