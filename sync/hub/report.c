/* report.c: what coordinators read: completions and quiz results, as CSV, JSON or HTML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

#define REPORT_MAX (64u * 1024 * 1024)

/* SQL: the statement's verb is RELAIS_XAPI_VERBS v (by its term, migration 11). */
#define VERB_IS(v) "verb_term = " RELAIS_HUB_TERM("'" RELAIS_XAPI_VERBS v "'")
#define COMPLETED VERB_IS("completed")
#define ANSWERED VERB_IS("answered")
#define ATTENDED VERB_IS("attended")
/* A learner's completion of a course counts once, however often and in
 * whatever order its statements arrive: the first one, per learner. Its
 * credential is the first one's (SQLite takes a bare column from the row
 * min() chose); NULL for statements stored before credentials were recorded. */
#define FIRST_COMPLETIONS                                                                          \
	"SELECT actor, course, course_term, min(timestamp) AS day, credential, "                   \
	"max(actor_name) AS name, max(organisation) AS organisation FROM statement WHERE "         \
	"voided = 0 AND course IS NOT NULL AND unit IS NULL AND " COMPLETED                        \
	" GROUP BY actor, course"

struct report {
	const char *name;
	const char *sql;
};

static const struct report reports[] = {
        {"completions-by-course",
         "SELECT c.course AS course, count(DISTINCT c.actor) AS completions, "
         "(SELECT count(DISTINCT actor) FROM statement s WHERE s.course_term = c.course_term AND "
         "s.voided = 0) AS learners FROM (" FIRST_COMPLETIONS ") c GROUP BY c.course "
         "ORDER BY c.course"},
        {"completions-by-organisation",
         "SELECT coalesce(organisation, '') AS organisation, course, count(*) AS completions "
         "FROM (" FIRST_COMPLETIONS ") GROUP BY 1, 2 ORDER BY 1, 2"},
        {"completions-by-learner",
         "SELECT coalesce(name, '') AS learner, CASE WHEN actor LIKE 'mbox:mailto:%' THEN "
         "substr(actor, 13) ELSE actor END AS email, "
         "coalesce(organisation, '') AS organisation, course, day AS completed, "
         "coalesce((SELECT name FROM credential k WHERE k.key = f.credential), '') AS "
         "credential FROM (" FIRST_COMPLETIONS ") f ORDER BY learner, course"},
        {"completions-over-time",
         "SELECT substr(day, 1, 10) AS day, course, count(*) AS completions FROM "
         "(" FIRST_COMPLETIONS ") GROUP BY 1, 2 ORDER BY 1, 2"},
        {"quiz-results",
         "SELECT course, unit AS quiz, count(*) AS attempts, coalesce(sum(success), 0) AS passed, "
         "count(DISTINCT actor) AS learners, count(DISTINCT CASE WHEN success = 1 THEN actor END) "
         "AS learners_passed, round(avg(scaled), 3) AS average_score FROM statement WHERE "
         "voided = 0 AND verb_term IN (SELECT id FROM term WHERE text IN ('" RELAIS_XAPI_VERBS
         "passed', '" RELAIS_XAPI_VERBS "failed')) AND course IS NOT NULL GROUP BY course, unit "
         "ORDER BY course, unit"},
        /* Essays are not scored: trainers read them here (docs/hub.md). */
        {"essays",
         "SELECT coalesce(actor_name, '') AS learner, CASE WHEN actor LIKE 'mbox:mailto:%' "
         "THEN substr(actor, 13) ELSE actor END AS email, coalesce(organisation, '') AS "
         "organisation, course, unit AS quiz, replace(object_id, '" RELAIS_XAPI_ACTIVITIES
         "' || course || '/' || unit || '/', '') AS question, timestamp AS answered, "
         "coalesce(json_extract(body, '$.result.response'), '') AS essay FROM statement "
         "WHERE voided = 0 AND course IS NOT NULL AND "
         "json_extract(body, '$.object.definition.interactionType') = 'long-fill-in' "
         "AND " ANSWERED " ORDER BY course, quiz, question, learner, answered"},
        /* Who came to each live session (docs/statements.md, "Attendance"): a
         * person once per session, as the first statement that says so (its
         * row gives the bare columns beside min()). */
        {"attendance",
         "SELECT course, substr(object_id, length('" RELAIS_XAPI_ACTIVITIES "' || course || "
         "'/session/') + 1) AS session, coalesce(actor_name, '') AS learner, CASE WHEN actor "
         "LIKE 'mbox:mailto:%' THEN substr(actor, 13) ELSE actor END AS email, "
         "coalesce(organisation, '') AS organisation, min(timestamp) AS attended, "
         "coalesce(json_extract(body, '$.context.instructor.name'), '') AS trainer FROM "
         "statement WHERE voided = 0 AND course IS NOT NULL AND unit = 'session' AND " ATTENDED
         " GROUP BY course, object_id, actor ORDER BY course, session, learner, email"},
};

const char *const relais_hub_reports[] = {
        "completions-by-course",
        "completions-by-organisation",
        "completions-by-learner",
        "completions-over-time",
        "quiz-results",
        "essays",
        "attendance",
        NULL,
};

/* RFC 4180 quoting; a cell that a spreadsheet would run as a formula is
 * prefixed with an apostrophe. */
static void csv_cell(struct relais_strbuf *o, const char *s)
{
	const char *p;

	relais_strbuf_addn(o, "\"", 1);
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	    s[0] == '\r') {
		relais_strbuf_addn(o, "'", 1);
	}
	for (p = s; *p; p++) {
		relais_strbuf_addn(o, p, 1);
		if (*p == '"') {
			relais_strbuf_addn(o, "\"", 1);
		}
	}
	relais_strbuf_addn(o, "\"", 1);
}

static void html_cell(struct relais_strbuf *o, const char *s, const char *tag)
{
	relais_strbuf_printf(o, "<%s>", tag);
	relais_strbuf_add_html(o, s);
	relais_strbuf_printf(o, "</%s>", tag);
}

static int report(char **out, relais_hub *hub, relais_ctx *ctx, const char *name, int format,
                  enum hub_lang lang)
{
	const struct report *r = NULL;
	relais_hub_sql_stmt *st = NULL;
	struct relais_strbuf o = {.max = REPORT_MAX};
	cJSON *rows = NULL;
	size_t i;
	int cols, c, step, rc = 0;

	*out = NULL;
	if (relais_hub_not_yet(hub) != NULL) {
		/* Its SQL takes SQLite's bare columns beside min(). */
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "not yet available on PostgreSQL: " RELAIS_HUB_PG_NOT_YET);
	}
	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		if (strcmp(reports[i].name, name) == 0) {
			r = &reports[i];
		}
	}
	if (r == NULL) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "no report called %s", name);
	}
	if (relais_hub_sql_prepare(hub->db, r->sql, -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
	}
	cols = relais_hub_sql_column_count(st);
	if (format == RELAIS_REPORT_JSON) {
		rows = cJSON_CreateArray();
	} else if (format == RELAIS_REPORT_HTML) {
		relais_strbuf_add(&o, "<table><thead><tr>");
		for (c = 0; c < cols; c++) {
			html_cell(
			        &o,
			        relais_hub_tr_name(lang, "COL_", relais_hub_sql_column_name(st, c)),
			        "th");
		}
		relais_strbuf_add(&o, "</tr></thead><tbody>");
	} else {
		for (c = 0; c < cols; c++) {
			if (c > 0) {
				relais_strbuf_addn(&o, ",", 1);
			}
			csv_cell(&o, relais_hub_sql_column_name(st, c));
		}
		relais_strbuf_add(&o, "\r\n");
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		cJSON *row = format == RELAIS_REPORT_JSON ? cJSON_CreateObject() : NULL;
		if (format == RELAIS_REPORT_HTML) {
			relais_strbuf_add(&o, "<tr>");
		}
		for (c = 0; c < cols; c++) {
			const char *v = (const char *)relais_hub_sql_column_text(st, c);
			int type = relais_hub_sql_column_type(st, c);
			if (v == NULL) {
				v = "";
			}
			if (format == RELAIS_REPORT_JSON) {
				if (type == RELAIS_HUB_SQL_INTEGER ||
				    type == RELAIS_HUB_SQL_FLOAT) {
					cJSON_AddNumberToObject(
					        row, relais_hub_sql_column_name(st, c),
					        relais_hub_sql_column_double(st, c));
				} else {
					cJSON_AddStringToObject(
					        row, relais_hub_sql_column_name(st, c), v);
				}
			} else if (format == RELAIS_REPORT_HTML) {
				html_cell(&o, v, "td");
			} else {
				if (c > 0) {
					relais_strbuf_addn(&o, ",", 1);
				}
				csv_cell(&o, v);
			}
		}
		if (format == RELAIS_REPORT_JSON) {
			cJSON_AddItemToArray(rows, row);
		} else if (format == RELAIS_REPORT_HTML) {
			relais_strbuf_add(&o, "</tr>");
		} else {
			relais_strbuf_add(&o, "\r\n");
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
		goto out;
	}
	if (format == RELAIS_REPORT_JSON) {
		*out = cJSON_PrintUnformatted(rows);
	} else {
		if (format == RELAIS_REPORT_HTML) {
			relais_strbuf_add(&o, "</tbody></table>");
		}
		relais_strbuf_addn(&o, "", 0);
		if (o.rc != 0) {
			rc = relais_fail(ctx, o.rc, "report %s: %s", name,
			                 o.rc == RELAIS_ELIMIT ? "too large" : "out of memory");
			goto out;
		}
		*out = o.p;
		o.p = NULL;
	}
	if (*out == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
out:
	cJSON_Delete(rows);
	relais_strbuf_free(&o);
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_report(char **out, relais_hub *hub, relais_ctx *ctx, const char *name, int format)
{
	return report(out, hub, ctx, name, format, HUB_LANG_EN);
}

int relais_hub_report_table(char **out, relais_hub *hub, relais_ctx *ctx, const char *name,
                            enum hub_lang lang)
{
	return report(out, hub, ctx, name, RELAIS_REPORT_HTML, lang);
}
