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

/* Appends template file with each {{name}} replaced by its slot's value (unknown: nothing). */
static void fill(struct relais_strbuf *out, const char *file, const struct slot *slots, size_t n)
{
	const struct relais_embedded_file *f = relais_embedded_find(relais_hub_pages, file);
	const char *t = f ? (const char *)f->data : "", *p, *end;
	size_t i, len;

	while ((p = strstr(t, "{{")) != NULL && (end = strstr(p, "}}")) != NULL) {
		relais_strbuf_addn(out, t, (size_t)(p - t));
		len = (size_t)(end - p - 2);
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

/* Wraps body in layout.html; *out is malloc'd. */
static int finish(char **out, relais_ctx *ctx, struct relais_strbuf *body)
{
	struct relais_strbuf page = {.max = PAGE_MAX};
	struct slot slot = {"body", body->p ? body->p : ""};

	*out = NULL;
	if (body->rc == 0) {
		fill(&page, "layout.html", &slot, 1);
	}
	if (body->rc != 0 || page.rc != 0) {
		int rc = body->rc ? body->rc : page.rc;
		relais_strbuf_free(&page);
		return relais_fail(ctx, rc, "a reports page: %s",
		                   rc == RELAIS_ELIMIT ? "too large" : "out of memory");
	}
	*out = page.p;
	return 0;
}

int relais_hub_page_login(char **out, relais_ctx *ctx, int failed)
{
	struct relais_strbuf body = {0}, alert = {0};
	struct slot slot = {"alert", ""};
	int rc;

	if (failed) {
		fill(&alert, "login-failed.html", NULL, 0);
		slot.value = alert.p ? alert.p : "";
	}
	fill(&body, "login.html", &slot, 1);
	if (alert.rc != 0) {
		body.rc = alert.rc;
	}
	rc = finish(out, ctx, &body);
	relais_strbuf_free(&alert);
	relais_strbuf_free(&body);
	return rc;
}

int relais_hub_page_reports(char **out, relais_hub *hub, relais_ctx *ctx, const char *email)
{
	struct relais_strbuf body = {.max = PAGE_MAX}, sections = {.max = PAGE_MAX}, who = {0};
	char count_text[24], *table = NULL;
	int64_t count = 0;
	size_t i;
	int rc;

	(void)relais_hub_count(&count, hub, ctx);
	(void)snprintf(count_text, sizeof(count_text), "%lld", (long long)count);
	relais_strbuf_add_html(&who, email);
	for (i = 0; relais_hub_reports[i]; i++) {
		/* A table that cannot be made leaves its section empty. */
		struct slot report[] = {{"name", relais_hub_reports[i]}, {"table", ""}};
		if (relais_hub_report(&table, hub, ctx, relais_hub_reports[i],
		                      RELAIS_REPORT_HTML) == 0) {
			report[1].value = table;
		}
		fill(&sections, "report.html", report, 2);
		free(table);
		table = NULL;
	}
	{
		struct slot frame[] = {{"count", count_text},
		                       {"email", who.p ? who.p : ""},
		                       {"reports", sections.p ? sections.p : ""}};
		fill(&body, "reports.html", frame, 3);
	}
	if (body.rc == 0) {
		body.rc = who.rc ? who.rc : sections.rc;
	}
	rc = finish(out, ctx, &body);
	relais_strbuf_free(&who);
	relais_strbuf_free(&sections);
	relais_strbuf_free(&body);
	return rc;
}

/* The verdict on a code, escaped: valid (with what it says), revoked, or invalid and why. */
static void verdict(struct relais_strbuf *o, relais_hub *hub, relais_ctx *ctx, const char *code)
{
	struct relais_certificate c;
	char hours[16];
	int rc = relais_hub_certificate_check(&c, hub, ctx, code);
	const char *cls = rc == 0 ? "valid" : rc == RELAIS_EINVAL ? "revoked" : "invalid";

	relais_strbuf_printf(o, "<section class=\"verdict %s\" role=\"status\"><h2>", cls);
	relais_strbuf_add(o, rc == 0               ? "Valid certificate"
	                     : rc == RELAIS_EINVAL ? "Revoked certificate"
	                                           : "Invalid certificate");
	relais_strbuf_add(o, "</h2>");
	if (rc != 0) {
		relais_strbuf_add(o, "<p>");
		relais_strbuf_add_html(o, relais_errmsg(ctx));
		relais_strbuf_add(o, "</p>");
	}
	if (rc == 0 || rc == RELAIS_EINVAL) {
		relais_certificate_hours(hours, &c);
		relais_strbuf_add(o, "<dl><dt>Learner</dt><dd>");
		relais_strbuf_add_html(o, c.name);
		relais_strbuf_add(o, " &lt;");
		relais_strbuf_add_html(o, c.email);
		relais_strbuf_add(o, "&gt;</dd><dt>Course</dt><dd>");
		relais_strbuf_add_html(o, c.title);
		relais_strbuf_add(o, " (");
		relais_strbuf_add_html(o, c.course);
		relais_strbuf_printf(o, ", version %u)</dd><dt>Completed</dt><dd>%s</dd>",
		                     c.version, c.date);
		if (c.score >= 0) {
			relais_strbuf_printf(o, "<dt>Score</dt><dd>%d%%</dd>", c.score);
		}
		if (hours[0] != '\0') {
			relais_strbuf_printf(o, "<dt>Hours</dt><dd>%s</dd>", hours);
		}
		relais_strbuf_printf(o,
		                     "<dt>Certificate</dt><dd>%u, signed by hub key %s</dd></dl>",
		                     c.id, c.key_id);
	}
	relais_strbuf_add(o, "</section>");
	relais_certificate_clear(&c);
}

int relais_hub_page_verify(char **out, relais_hub *hub, relais_ctx *ctx, const char *code)
{
	struct relais_strbuf body = {0}, result = {0}, typed = {0};
	int rc;

	if (code != NULL && code[0] != '\0') {
		verdict(&result, hub, ctx, code);
		relais_strbuf_add_html(&typed, code);
	}
	{
		struct slot slots[] = {{"result", result.p ? result.p : ""},
		                       {"code", typed.p ? typed.p : ""}};
		fill(&body, "verify.html", slots, 2);
	}
	if (body.rc == 0) {
		body.rc = result.rc ? result.rc : typed.rc;
	}
	rc = finish(out, ctx, &body);
	relais_strbuf_free(&typed);
	relais_strbuf_free(&result);
	relais_strbuf_free(&body);
	return rc;
}
