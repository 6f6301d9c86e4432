/* sessions.c: the hub's live sessions: from published bundles, scheduled or changed here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/bundle.h"
#include "relais/catalogue.h"
#include "relais/error.h"
#include "relais/publish.h"
#include "relais/strbuf.h"
#include "relais/utf8.h"
#include "relais/util.h"

#define COLUMNS                                                                                    \
	"course, id, title, start, \"end\", timezone, place, online, trainer, before, cancelled, " \
	"cohort"

static int db_fail(relais_hub *hub, relais_ctx *ctx, const char *what)
{
	return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, what);
}

#define prepare relais_hub_prepare

static char *col(relais_hub_sql_stmt *st, int i, int *oom)
{
	const char *t = (const char *)relais_hub_sql_column_text(st, i);
	char *s = t ? strdup(t) : NULL;
	if (t && s == NULL) {
		*oom = 1;
	}
	return s;
}

/* One row (COLUMNS order) into s. */
static int row_read(struct relais_session *s, relais_ctx *ctx, relais_hub_sql_stmt *st)
{
	cJSON *before = NULL, *b;
	int oom = 0;

	memset(s, 0, sizeof(*s));
	s->course = col(st, 0, &oom);
	s->id = col(st, 1, &oom);
	s->title = col(st, 2, &oom);
	s->start = col(st, 3, &oom);
	s->end = col(st, 4, &oom);
	s->timezone = col(st, 5, &oom);
	s->place = col(st, 6, &oom);
	s->online = col(st, 7, &oom);
	s->trainer = col(st, 8, &oom);
	s->cancelled = relais_hub_sql_column_int(st, 10);
	s->cohort = col(st, 11, &oom);
	before = cJSON_Parse((const char *)relais_hub_sql_column_text(st, 9));
	if (cJSON_IsArray(before) && cJSON_GetArraySize(before) > 0 &&
	    (s->before = calloc((size_t)cJSON_GetArraySize(before), sizeof(char *))) == NULL) {
		oom = 1;
	}
	cJSON_ArrayForEach(b, before)
	{
		if (s->before != NULL && cJSON_IsString(b) &&
		    (s->before[s->n_before++] = strdup(b->valuestring)) == NULL) {
			oom = 1;
		}
	}
	cJSON_Delete(before);
	if (oom) {
		relais_session_clear(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	return 0;
}

int relais_hub_sessions_load(struct relais_catalogue *cat, relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT " COLUMNS " FROM course_session WHERE course IN (SELECT course "
	                  "FROM published_bundle WHERE state = 'current') ORDER BY course, "
	                  "id")) != 0) {
		return rc;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_session *s =
		        relais_push(&cat->sessions, &cat->n_sessions, sizeof(*s));
		if (s == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
		if ((rc = row_read(s, ctx, st)) != 0) {
			cat->n_sessions--;
			break;
		}
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "sessions");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* Inserts or replaces s as a row of source; keeps a row already there when keep_hub (a bundle's).
 */
static int row_write(relais_hub *hub, relais_ctx *ctx, const struct relais_session *s,
                     const char *source, int keep_hub)
{
	relais_hub_sql_stmt *st = NULL;
	cJSON *before = cJSON_CreateArray();
	char *before_json = NULL;
	int rc;

	for (size_t i = 0; before != NULL && i < s->n_before; i++) {
		if (!cJSON_AddItemToArray(before, cJSON_CreateString(s->before[i]))) {
			cJSON_Delete(before);
			before = NULL;
		}
	}
	before_json = before ? cJSON_PrintUnformatted(before) : NULL;
	cJSON_Delete(before);
	if (before_json == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = prepare(&st, hub, ctx,
	             keep_hub ? "INSERT INTO course_session(" COLUMNS
	                        ", source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	                        "ON CONFLICT(course, id) DO NOTHING"
	                      : "INSERT INTO course_session(" COLUMNS
	                        ", source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	                        "ON CONFLICT(course, id) DO UPDATE SET title = excluded.title, "
	                        "start = excluded.start, \"end\" = excluded.\"end\", "
	                        "timezone = excluded.timezone, place = excluded.place, "
	                        "online = excluded.online, trainer = excluded.trainer, "
	                        "before = excluded.before, cancelled = excluded.cancelled, "
	                        "cohort = excluded.cohort, source = excluded.source");
	if (rc == 0) {
		const char *v[] = {s->course,   s->id,    s->title,  s->start,   s->end,
		                   s->timezone, s->place, s->online, s->trainer, before_json};
		for (int i = 0; i < 10; i++) {
			relais_hub_sql_bind_text(st, i + 1, v[i], -1, RELAIS_HUB_SQL_STATIC);
		}
		relais_hub_sql_bind_int(st, 11, s->cancelled);
		if (s->cohort != NULL) {
			relais_hub_sql_bind_text(st, 12, s->cohort, -1, RELAIS_HUB_SQL_STATIC);
		} else {
			relais_hub_sql_bind_null(st, 12);
		}
		relais_hub_sql_bind_text(st, 13, source, -1, RELAIS_HUB_SQL_STATIC);
		if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "sessions");
		}
	}
	relais_hub_sql_finalize(st);
	free(before_json);
	return rc;
}

int relais_hub_sessions_publish(relais_hub *hub, relais_ctx *ctx, const char *course,
                                const struct relais_session *sessions, size_t n)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	if ((rc = prepare(&st, hub, ctx,
	                  "DELETE FROM course_session WHERE course = ? AND source = 'bundle'")) !=
	    0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, course, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "sessions");
	}
	relais_hub_sql_finalize(st);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct relais_session s = sessions[i];
		s.course = (char *)course;
		rc = row_write(hub, ctx, &s, "bundle", 1);
	}
	return rc;
}

/* The manifest of course's current bundle (*b owns it), or RELAIS_ENOTFOUND. */
static int current_bundle(relais_bundle **b, relais_hub *hub, relais_ctx *ctx, const char *course)
{
	relais_hub_sql_stmt *st = NULL;
	char path[4096], sha256[65], etag[65];
	int rc;

	*b = NULL;
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT sha256 FROM published_bundle WHERE course = ? AND state = "
	                  "'current'")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, course, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		relais_hub_sql_finalize(st);
		return relais_fail(ctx, RELAIS_ENOTFOUND, "course %s is not published on this hub",
		                   course);
	}
	(void)snprintf(sha256, sizeof(sha256), "%s",
	               (const char *)relais_hub_sql_column_text(st, 0));
	relais_hub_sql_finalize(st);
	/* The hub's own copy, checked when it was published. */
	if ((rc = relais_hub_published_file(path, sizeof(path), etag, hub, ctx, 0, sha256)) != 0) {
		return rc;
	}
	return relais_bundle_open(b, ctx, path, NULL);
}

int relais_hub_session_get(struct relais_session *out, relais_hub *hub, relais_ctx *ctx,
                           const char *course, const char *id)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT " COLUMNS " FROM course_session WHERE course = ? AND id = ?")) !=
	    0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, course, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, id, -1, RELAIS_HUB_SQL_STATIC);
	rc = relais_hub_sql_step(st) == RELAIS_HUB_SQL_ROW
	             ? row_read(out, ctx, st)
	             : relais_fail(ctx, RELAIS_ENOTFOUND, "course %s has no session %s", course,
	                           id);
	relais_hub_sql_finalize(st);
	return rc;
}

/*
 * The id of the cohort named (or whose id is) which, into id; RELAIS_ENOTFOUND
 * when there is none, RELAIS_EINVAL when course is not assigned to it.
 */
static int cohort_of(char id[RELAIS_ID_MAX + 1], relais_hub *hub, relais_ctx *ctx,
                     const char *which, const char *course)
{
	relais_hub_sql_stmt *st = NULL;
	char shown[80];
	int rc, assigned = 0;

	relais_printable(shown, sizeof(shown), which);
	if ((rc = prepare(
	             &st, hub, ctx,
	             "SELECT c.id, (SELECT count(*) FROM cohort_course a WHERE a.cohort = "
	             "c.id AND a.course = ?2), c.name FROM cohort c WHERE c.id = ?1 OR c.name = "
	             "?1 ORDER BY CASE WHEN c.id = ?1 THEN 0 ELSE 1 END LIMIT 1")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, which, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, course, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "session cohort: no cohort named \"%s\"",
		                 shown);
	} else {
		(void)snprintf(id, RELAIS_ID_MAX + 1, "%s", relais_hub_sql_column_text(st, 0));
		assigned = relais_hub_sql_column_int(st, 1) > 0;
		relais_printable(shown, sizeof(shown),
		                 (const char *)relais_hub_sql_column_text(st, 2));
		if (!assigned) {
			rc = relais_fail(
			        ctx, RELAIS_EINVAL,
			        "session cohort: course %s is not assigned to cohort \"%s\"",
			        course, shown);
		}
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* What relais_hub_session_set changes, in relais_hub_catalogue_change's transaction. */
struct session_change {
	const struct relais_session *s;
	int adding;
};

static int session_write(relais_hub *hub, relais_ctx *ctx, void *data)
{
	const struct session_change *c = data;
	struct relais_session old;
	int rc = relais_hub_session_get(&old, hub, ctx, c->s->course, c->s->id);

	relais_session_clear(&old);
	if (c->adding && rc == 0) {
		return relais_fail(ctx, RELAIS_EEXIST,
		                   "course %s already has a session %s: change it instead",
		                   c->s->course, c->s->id);
	}
	if (c->adding && rc == RELAIS_ENOTFOUND) {
		relais_clear(ctx);
		rc = 0;
	}
	if (rc == 0 && c->s->cohort != NULL && c->s->cohort[0] != '\0') {
		struct relais_session w = *c->s;
		char id[RELAIS_ID_MAX + 1];
		if ((rc = cohort_of(id, hub, ctx, c->s->cohort, c->s->course)) == 0) {
			w.cohort = id;
			rc = row_write(hub, ctx, &w, "hub", 0);
		}
		return rc;
	}
	if (rc == 0 && c->s->cohort != NULL) {
		struct relais_session w = *c->s; /* --cohort "": the course's again */
		w.cohort = NULL;
		return row_write(hub, ctx, &w, "hub", 0);
	}
	return rc != 0 ? rc : row_write(hub, ctx, c->s, "hub", 0);
}

int relais_hub_session_set(uint64_t *serial, relais_hub *hub, relais_ctx *ctx,
                           const struct relais_session *s, int adding)
{
	struct session_change c = {s, adding};
	struct relais_session chk = *s;
	relais_bundle *b = NULL;
	const char *field = NULL;
	int rc;

	*serial = 0;
	if ((rc = current_bundle(&b, hub, ctx, s->course)) != 0) {
		return rc;
	}
	chk.cohort = NULL; /* a name or an id here: session_write finds the cohort */
	if ((rc = relais_session_check(ctx, &chk, relais_bundle_manifest(b), &field)) != 0) {
		rc = relais_prefix(ctx, "session %s", s->id ? s->id : "");
	} else {
		rc = relais_hub_catalogue_change(serial, hub, ctx, session_write, &c);
	}
	relais_bundle_free(b);
	return rc;
}

int relais_hub_session_list(char **out, relais_hub *hub, relais_ctx *ctx, const char *course)
{
	struct relais_strbuf b = {0};
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	*out = NULL;
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT " COLUMNS ", source FROM course_session WHERE ?1 IS NULL OR "
	                  "course = ?1 ORDER BY course, start, id")) != 0) {
		return rc;
	}
	if (course) {
		relais_hub_sql_bind_text(st, 1, course, -1, RELAIS_HUB_SQL_STATIC);
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		const char *place = (const char *)relais_hub_sql_column_text(st, 6);
		const char *cohort = (const char *)relais_hub_sql_column_text(st, 11);
		relais_strbuf_printf(
		        &b, "%s %s %s to %s %s%s (%s%s%s) %s: %s\n",
		        relais_hub_sql_column_text(st, 0), relais_hub_sql_column_text(st, 1),
		        relais_hub_sql_column_text(st, 3), relais_hub_sql_column_text(st, 4),
		        relais_hub_sql_column_text(st, 5),
		        relais_hub_sql_column_int(st, 10) ? " CANCELLED" : "",
		        relais_hub_sql_column_text(st, 12), cohort ? ", cohort " : "",
		        cohort ? cohort : "",
		        place ? place : (const char *)relais_hub_sql_column_text(st, 7),
		        relais_hub_sql_column_text(st, 2));
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "sessions");
	}
	relais_hub_sql_finalize(st);
	if (rc == 0 && b.len == 0) {
		relais_strbuf_add(&b, "");
	}
	if (rc != 0) {
		relais_strbuf_free(&b);
		return rc;
	}
	return relais_strbuf_finish(out, &b, ctx, "session list");
}
