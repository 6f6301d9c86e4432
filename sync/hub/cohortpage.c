/* cohortpage.c: the coordinators' cohorts pages: the list, one cohort, its forms and where its
 * learners stand (templates pages/cohorts.html and pages/cohort.html). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_private.h"
#include "relais/cohort.h"
#include "relais/error.h"
#include "relais/http.h"
#include "relais/publish.h"
#include "relais/session.h"
#include "relais/strbuf.h"

#define PAGE_MAX (16u * 1024 * 1024)
#define FORM_FIELDS 12               /* the live session form has 9 */
#define FORM_VALUE_MAX (256u * 1024) /* a pasted list of emails */

static const char *value(const struct relais_http_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].name, name) == 0) {
			return f[i].value;
		}
	}
	return NULL;
}

static void cell(struct relais_strbuf *o, const char *tag, const char *text)
{
	relais_strbuf_printf(o, "<%s>", tag);
	relais_strbuf_add_html(o, text);
	relais_strbuf_printf(o, "</%s>", tag);
}

/* The refusal of a form: the hub's own message, in English, after "Not saved:". */
static void alert(struct relais_strbuf *o, enum hub_lang lang, const char *message)
{
	relais_strbuf_add(o, "<p class=\"alert\" role=\"alert\">");
	relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_COHORT_REFUSED));
	relais_strbuf_add(o, " <span lang=\"en\">");
	relais_strbuf_add_html(o, message);
	relais_strbuf_add(o, "</span></p>");
}

/* The list page, with the refusal of a form when message is not NULL. */
static int page_list(struct relais_hub_page_result *r, relais_hub *hub, relais_ctx *ctx,
                     enum hub_lang lang, const char *message)
{
	struct relais_strbuf body = {.max = PAGE_MAX}, list = {.max = PAGE_MAX}, al = {0};
	struct relais_hub_cohort *c = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = relais_hub_cohort_list(&c, &n, hub, ctx)) != 0) {
		return rc;
	}
	if (n == 0) {
		relais_strbuf_add(&list, "<p>");
		relais_strbuf_add_html(&list, relais_hub_tr(lang, HUB_M_COHORTS_NONE));
		relais_strbuf_add(&list, "</p>");
	} else {
		relais_strbuf_add(&list, "<table><thead><tr>");
		cell(&list, "th", relais_hub_tr(lang, HUB_M_COHORT_NAME));
		cell(&list, "th", relais_hub_tr(lang, HUB_M_COHORT_ORG));
		cell(&list, "th", relais_hub_tr(lang, HUB_M_COHORT_MEMBERS));
		cell(&list, "th", relais_hub_tr(lang, HUB_M_COHORT_COURSES));
		relais_strbuf_add(&list, "</tr></thead><tbody>");
	}
	for (i = 0; i < n; i++) {
		relais_strbuf_printf(&list, "<tr><td><a href=\"/reports/cohorts/%s\">", c[i].id);
		relais_strbuf_add_html(&list, c[i].name);
		relais_strbuf_add(&list, "</a></td>");
		cell(&list, "td", c[i].organisation);
		relais_strbuf_printf(&list, "<td>%zu%s", c[i].n_members,
		                     c[i].everyone ? " + " : "");
		if (c[i].everyone) {
			relais_strbuf_add_html(&list, relais_hub_tr(lang, HUB_M_COHORT_EVERYONE));
		}
		relais_strbuf_printf(&list, "</td><td>%zu</td></tr>", c[i].n_assignments);
	}
	if (n > 0) {
		relais_strbuf_add(&list, "</tbody></table>");
	}
	if (message != NULL) {
		alert(&al, lang, message);
	}
	{
		struct relais_hub_page_slot slots[] = {{"list", list.p ? list.p : ""},
		                                       {"alert", al.p ? al.p : ""}};
		relais_hub_page_fill(&body, "cohorts.html", lang, slots, 2);
	}
	if (body.rc == 0) {
		body.rc = list.rc ? list.rc : al.rc;
	}
	rc = relais_hub_page_finish(&r->html, ctx, lang, &body);
	relais_strbuf_free(&al);
	relais_strbuf_free(&list);
	relais_strbuf_free(&body);
	relais_hub_cohorts_free(c, n);
	return rc;
}

/* The cohort whose id is id into *out; 0 and out->id NULL when there is none. */
static int find(struct relais_hub_cohort *out, relais_hub *hub, relais_ctx *ctx, const char *id)
{
	struct relais_hub_cohort *c = NULL;
	size_t n = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = relais_hub_cohort_list(&c, &n, hub, ctx)) != 0) {
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].id, id) == 0) {
			*out = c[i];
			memset(&c[i], 0, sizeof(c[i]));
			break;
		}
	}
	relais_hub_cohorts_free(c, n);
	return 0;
}

/* Each learner's state in each assigned course, as a table. */
static int progress(struct relais_strbuf *o, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                    const struct relais_hub_cohort *c)
{
	static const enum hub_msg states[] = {HUB_M_STATE_NOT_STARTED, HUB_M_STATE_STARTED,
	                                      HUB_M_STATE_COMPLETED};
	struct relais_hub_cohort_learner *l = NULL;
	size_t n = 0, i, j;
	int rc;

	if ((rc = relais_hub_cohort_learners(&l, &n, hub, ctx, c, NULL)) != 0) {
		return rc;
	}
	if (n == 0 || c->n_assignments == 0) {
		relais_strbuf_add(o, "<p>");
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_COHORT_NO_PROGRESS));
		relais_strbuf_add(o, "</p>");
		relais_hub_cohort_learners_free(l, n);
		return 0;
	}
	relais_strbuf_add(o, "<table class=\"cohort\"><thead><tr>");
	cell(o, "th", relais_hub_tr(lang, HUB_M_LEARNER));
	for (j = 0; j < c->n_assignments; j++) {
		cell(o, "th", c->assignments[j].course);
	}
	relais_strbuf_add(o, "</tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		relais_strbuf_add(o, "<tr>");
		cell(o, "td", l[i].email);
		for (j = 0; j < c->n_assignments; j++) {
			int s = l[i].states[j];
			relais_strbuf_printf(o, "<td class=\"state-%d%s\">", s,
			                     l[i].overdue[j] ? " overdue" : "");
			relais_strbuf_add_html(o, relais_hub_tr(lang, states[s]));
			if (l[i].overdue[j]) {
				relais_strbuf_add(o, " <strong>(");
				relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_OVERDUE));
				relais_strbuf_add(o, ")</strong>");
			}
			relais_strbuf_add(o, "</td>");
		}
		relais_strbuf_add(o, "</tr>");
	}
	relais_strbuf_add(o, "</tbody></table>");
	relais_hub_cohort_learners_free(l, n);
	return 0;
}

/* The assignments, each with its date and a form that takes it off. */
static void assignments(struct relais_strbuf *o, enum hub_lang lang,
                        const struct relais_hub_cohort *c)
{
	char date[96];
	size_t j;

	if (c->n_assignments == 0) {
		return;
	}
	relais_strbuf_add(o, "<table><thead><tr>");
	cell(o, "th", relais_hub_tr(lang, HUB_M_COURSE));
	cell(o, "th", relais_hub_tr(lang, HUB_M_COHORT_DUE));
	relais_strbuf_add(o, "<td></td></tr></thead><tbody>");
	for (j = 0; j < c->n_assignments; j++) {
		const struct relais_hub_assignment *a = &c->assignments[j];
		relais_strbuf_add(o, "<tr>");
		cell(o, "td", a->course);
		if (a->due != NULL) {
			relais_hub_tr_date(date, sizeof(date), lang, a->due);
			relais_strbuf_printf(o, "<td><time datetime=\"%s\">", a->due);
			relais_strbuf_add_html(o, date);
			relais_strbuf_add(o, "</time></td>");
		} else {
			cell(o, "td", "-");
		}
		relais_strbuf_printf(o,
		                     "<td><form method=\"post\" action=\"/reports/cohorts/%s\">"
		                     "<input type=\"hidden\" name=\"action\" value=\"unassign\">"
		                     "<input type=\"hidden\" name=\"course\" value=\"",
		                     c->id);
		relais_strbuf_add_html(o, a->course);
		relais_strbuf_add(o, "\"><button type=\"submit\">");
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_COHORT_UNASSIGN));
		relais_strbuf_add(o, "</button></form></td></tr>");
	}
	relais_strbuf_add(o, "</tbody></table>");
}

/* One cohort's page, with the refusal of a form when message is not NULL. */
static int page_cohort(struct relais_hub_page_result *r, relais_hub *hub, relais_ctx *ctx,
                       enum hub_lang lang, const struct relais_hub_cohort *c, const char *message)
{
	struct relais_strbuf body = {.max = PAGE_MAX}, name = {0}, org = {0}, every = {0},
	                     prog = {.max = PAGE_MAX}, assigned = {.max = PAGE_MAX},
	                     options = {.max = PAGE_MAX}, members = {.max = PAGE_MAX}, al = {0},
	                     mine = {.max = PAGE_MAX};
	char **courses = NULL;
	size_t n_courses = 0, i;
	int rc;

	if ((rc = relais_hub_cohort_courses(&courses, &n_courses, hub, ctx)) != 0 ||
	    (rc = progress(&prog, hub, ctx, lang, c)) != 0) {
		goto out;
	}
	relais_strbuf_add_html(&name, c->name);
	relais_strbuf_add_html(&org, c->organisation);
	if (c->everyone) {
		relais_strbuf_add(&every, " (");
		relais_strbuf_add_html(&every, relais_hub_tr(lang, HUB_M_COHORT_EVERYONE));
		relais_strbuf_add(&every, ")");
	}
	assignments(&assigned, lang, c);
	for (i = 0; i < n_courses; i++) {
		relais_strbuf_add(&options, "<option>");
		relais_strbuf_add_html(&options, courses[i]);
		relais_strbuf_add(&options, "</option>");
	}
	for (i = 0; i < c->n_assignments; i++) {
		relais_strbuf_add(&mine, "<option>");
		relais_strbuf_add_html(&mine, c->assignments[i].course);
		relais_strbuf_add(&mine, "</option>");
	}
	relais_strbuf_add(&members, "<ul class=\"members\">");
	for (i = 0; i < c->n_members; i++) {
		cell(&members, "li", c->members[i]);
	}
	relais_strbuf_add(&members, "</ul>");
	if (message != NULL) {
		alert(&al, lang, message);
	}
	{
		struct relais_hub_page_slot slots[] = {
		        {"id", c->id},
		        {"name", name.p ? name.p : ""},
		        {"organisation", org.p ? org.p : ""},
		        {"everyone", every.p ? every.p : ""},
		        {"progress", prog.p ? prog.p : ""},
		        {"assignments", assigned.p ? assigned.p : ""},
		        {"courses", options.p ? options.p : ""},
		        {"assigned_courses", mine.p ? mine.p : ""},
		        {"members", members.p ? members.p : ""},
		        {"alert", al.p ? al.p : ""},
		};
		relais_hub_page_fill(&body, "cohort.html", lang, slots,
		                     sizeof(slots) / sizeof(slots[0]));
	}
	if (body.rc == 0) {
		body.rc = name.rc | org.rc | every.rc | prog.rc | assigned.rc | options.rc |
		          members.rc | al.rc | mine.rc;
		if (body.rc != 0) {
			body.rc = RELAIS_ENOMEM;
		}
	}
	rc = relais_hub_page_finish(&r->html, ctx, lang, &body);
out:
	relais_hub_cohort_courses_free(courses, n_courses);
	relais_strbuf_free(&mine);
	relais_strbuf_free(&al);
	relais_strbuf_free(&members);
	relais_strbuf_free(&options);
	relais_strbuf_free(&assigned);
	relais_strbuf_free(&prog);
	relais_strbuf_free(&every);
	relais_strbuf_free(&org);
	relais_strbuf_free(&name);
	relais_strbuf_free(&body);
	return rc;
}

/* Splits text (modified) at blanks, commas and semicolons into *out (pointers into text). */
static int words(const char ***out, size_t *n, relais_ctx *ctx, char *text)
{
	char *w;

	*out = NULL;
	*n = 0;
	while (text != NULL && (w = strsep(&text, " \t\r\n,;")) != NULL) {
		const char **slot;
		if (*w == '\0') {
			continue;
		}
		if ((slot = relais_push(out, n, sizeof(*slot))) == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		*slot = w;
	}
	return 0;
}

/* A cohort's form: members, assign or unassign. Returns 0 or the change's status. */
static int change(relais_hub *hub, relais_ctx *ctx, const struct relais_hub_cohort *c,
                  struct relais_http_field *f, size_t n)
{
	const char *action = value(f, n, "action"), *course = value(f, n, "course");
	const char *due = value(f, n, "due");
	uint64_t serial = 0;

	if (action != NULL && strcmp(action, "members") == 0) {
		const char **add = NULL, **remove = NULL;
		size_t n_add = 0, n_remove = 0, i;
		int rc;
		/* The fields' values are the caller's to change: they are split in place. */
		for (i = 0; i < n && strcmp(f[i].name, "add") != 0; i++) {
		}
		rc = words(&add, &n_add, ctx, i < n ? f[i].value : NULL);
		for (i = 0; i < n && strcmp(f[i].name, "remove") != 0; i++) {
		}
		if (rc == 0) {
			rc = words(&remove, &n_remove, ctx, i < n ? f[i].value : NULL);
		}
		if (rc == 0) {
			rc = n_add + n_remove == 0
			             ? relais_fail(ctx, RELAIS_EINVAL, "no email to add or remove")
			             : relais_hub_cohort_members(&serial, hub, ctx, c->name, add,
			                                         n_add, remove, n_remove);
		}
		free(add);
		free(remove);
		return rc;
	}
	if (action != NULL && strcmp(action, "assign") == 0) {
		return relais_hub_cohort_assign(&serial, hub, ctx, c->name, course ? course : "",
		                                due != NULL && due[0] != '\0' ? due : NULL);
	}
	if (action != NULL && strcmp(action, "session") == 0) {
		/* A live session of one of its courses, checked as `session add --cohort`. */
		const char *place = value(f, n, "place"), *online = value(f, n, "online");
		struct relais_session s = {
		        .course = (char *)(course ? course : ""),
		        .id = (char *)value(f, n, "id"),
		        .title = (char *)value(f, n, "title"),
		        .start = (char *)value(f, n, "start"),
		        .end = (char *)value(f, n, "end"),
		        .timezone = (char *)value(f, n, "timezone"),
		        .place = (char *)(place && place[0] ? place : NULL),
		        .online = (char *)(online && online[0] ? online : NULL),
		        .cohort = c->id,
		};
		return relais_hub_session_set(&serial, hub, ctx, &s, 1);
	}
	if (action != NULL && strcmp(action, "unassign") == 0) {
		return relais_hub_cohort_unassign(&serial, hub, ctx, c->name, course ? course : "");
	}
	return relais_fail(ctx, RELAIS_EINVAL, "the form names no action");
}

int relais_hub_page_cohorts(struct relais_hub_page_result *r, relais_hub *hub, relais_ctx *ctx,
                            enum hub_lang lang, const char *rest, const char *body, size_t len)
{
	struct relais_http_field *f = NULL;
	struct relais_hub_cohort c;
	size_t n = 0;
	uint64_t serial = 0;
	char why[512] = "";
	int rc = 0, refused = 0;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	r->status = 200;
	if (body != NULL &&
	    relais_http_form_parse(&f, &n, body, len, FORM_FIELDS, FORM_VALUE_MAX) != 0) {
		r->status = 400;
		relais_fail(ctx, RELAIS_EINVAL, "the form cannot be read");
		refused = 1;
	}
	if (rest[0] == '\0' || strcmp(rest, "/") == 0) {
		if (body != NULL && !refused) {
			const char *every = value(f, n, "everyone");
			refused = relais_hub_cohort_add(&serial, hub, ctx, value(f, n, "name"),
			                                value(f, n, "organisation"),
			                                every != NULL && every[0] != '\0') != 0;
			if (!refused) {
				(void)snprintf(r->location, sizeof(r->location),
				               "/reports/cohorts");
				goto out;
			}
			r->status = relais_errcode(ctx) == RELAIS_EIO ? 500 : 400;
		}
		(void)snprintf(why, sizeof(why), "%s", relais_errmsg(ctx));
		rc = page_list(r, hub, ctx, lang, refused ? why : NULL);
		goto out;
	}
	if (rest[0] != '/' || strlen(rest + 1) >= 64 || (rc = find(&c, hub, ctx, rest + 1)) != 0 ||
	    c.id == NULL) {
		r->status = 404;
		if (rc == 0) {
			rc = page_list(r, hub, ctx, lang, "no such cohort");
		}
		goto out;
	}
	if (body != NULL && !refused) {
		if (change(hub, ctx, &c, f, n) == 0) {
			(void)snprintf(r->location, sizeof(r->location), "/reports/cohorts/%s",
			               c.id);
			goto out;
		}
		refused = 1;
		r->status = relais_errcode(ctx) == RELAIS_EIO ? 500 : 400;
	}
	(void)snprintf(why, sizeof(why), "%s", relais_errmsg(ctx));
	rc = page_cohort(r, hub, ctx, lang, &c, refused ? why : NULL);
out:
	relais_hub_cohort_clear(&c);
	relais_http_fields_free(f, n);
	return rc;
}
