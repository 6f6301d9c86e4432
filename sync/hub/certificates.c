/* certificates.c: the hub issues, lists, revokes and checks completion certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/bundle.h"
#include "relais/certificate.h"
#include "relais/cohort.h"
#include "relais/error.h"
#include "relais/key.h"
#include "relais/manifest.h"
#include "relais/publish.h"
#include "relais/session.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

#define LIST_MAX (64u * 1024 * 1024)
#define MAILTO "mbox:mailto:"

/*
 * Each learner's first completion (completed or passed, of the course
 * activity itself) of a course published now, with no certificate yet, for
 * the learners `who` picks. The score is the completion's own, else the mean
 * of the learner's best score in each of the course's quizzes. (A term is
 * one text and a course one current bundle: the longer GROUP BY, which
 * PostgreSQL needs, makes the same groups.)
 */
#define DUE(who)                                                                                   \
	"SELECT s.actor, s.course, substr(min(s.timestamp), 1, 10), coalesce(max(s.actor_name), "  \
	"''), coalesce(max(s.scaled), (SELECT avg(best) FROM (SELECT max(q.scaled) AS best FROM "  \
	"statement q WHERE q.course_term = s.course_term AND q.actor_term = s.actor_term AND "     \
	"q.voided = 0 AND q.unit IS NOT NULL AND q.scaled IS NOT NULL AND q.verb_term IN (SELECT " \
	"id FROM term WHERE text IN ('" RELAIS_XAPI_VERBS "passed', '" RELAIS_XAPI_VERBS           \
	"failed')) GROUP BY q.unit) AS u)), b.version, b.title, b.sha256 FROM published_bundle b " \
	"JOIN "                                                                                    \
	"term tc ON tc.text = b.course JOIN statement s ON s.course_term = tc.id AND s.verb_term " \
	"IN (SELECT id FROM term WHERE text IN ('" RELAIS_XAPI_VERBS                               \
	"completed', '" RELAIS_XAPI_VERBS "passed')) WHERE b.state = 'current' AND " who           \
	" AND s.voided = 0 AND "                                                                   \
	"s.unit IS NULL AND NOT EXISTS (SELECT 1 FROM certificate c WHERE c.actor = s.actor AND "  \
	"c.course = s.course) GROUP BY s.actor, s.course, s.actor_term, s.course_term, "           \
	"b.version, b.title, b.sha256 ORDER BY min(s.timestamp), s.actor, s.course"
/* Every learner; or those of the statements one credential stored (through its index). */
#define DUE_ALL DUE("1 = 1")
#define DUE_MINE DUE("s.actor_term IN (SELECT actor_term FROM statement WHERE credential = ?1)")

static int db_fail(relais_hub *hub, relais_ctx *ctx, const char *what)
{
	return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, what);
}

static const char *text(relais_hub_sql_stmt *st, int col)
{
	const char *t = (const char *)relais_hub_sql_column_text(st, col);
	return t ? t : "";
}

/* The estimated minutes of the published bundle sha256, or 0 when it cannot be read. */
static unsigned bundle_minutes(relais_hub *hub, const char *sha256)
{
	char path[4096], etag[65];
	relais_bundle *b = NULL;
	relais_ctx *ctx = NULL;
	unsigned minutes = 0;

	/* The hub checked the bundle's signature when it was published. */
	if (relais_ctx_new(&ctx) == 0 &&
	    relais_hub_published_file(path, sizeof(path), etag, hub, ctx, 0, sha256) == 0 &&
	    relais_bundle_open(&b, ctx, path, NULL) == 0) {
		minutes = relais_bundle_manifest(b)->estimated_minutes;
	}
	relais_bundle_free(b);
	relais_ctx_free(ctx);
	return minutes;
}

/*
 * Records c for actor under key (a course id, or PROGRAMME and the cohort's
 * id) and signs it with its new id, inside the caller's transaction.
 */
static int record(relais_hub *hub, relais_ctx *ctx, const relais_seckey *sec,
                  struct relais_certificate *c, const char *actor, const char *key)
{
	relais_hub_sql_stmt *ins = NULL, *upd = NULL;
	char now[32];
	int rc = 0;

	relais_now_iso(now);
	if (relais_hub_sql_prepare(hub->db,
	                           "INSERT INTO certificate(actor, course, code, issued) "
	                           "VALUES (?, ?, '', ?)",
	                           -1, &ins, NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_prepare(hub->db, "UPDATE certificate SET code = ? WHERE id = ?", -1,
	                           &upd, NULL) != RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "issuing a certificate");
		goto out;
	}
	relais_hub_sql_bind_text(ins, 1, actor, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(ins, 2, key, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(ins, 3, now, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(ins) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "issuing a certificate");
		goto out;
	}
	c->id = (uint32_t)relais_hub_sql_last_insert_id(hub->db);
	if ((rc = relais_certificate_sign(c, ctx, sec)) != 0) {
		goto out;
	}
	relais_hub_sql_bind_text(upd, 1, c->code, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int64(upd, 2, c->id);
	if (relais_hub_sql_step(upd) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "issuing a certificate");
	}
out:
	relais_hub_sql_finalize(ins);
	relais_hub_sql_finalize(upd);
	return rc;
}

/* Signs and records one certificate from a row of DUE, inside the caller's transaction. */
static int issue_one(relais_hub *hub, relais_ctx *ctx, const relais_seckey *sec,
                     relais_hub_sql_stmt *due)
{
	struct relais_certificate c = {0};
	const char *actor = text(due, 0);
	int rc = 0;

	c.name = strdup(text(due, 3));
	c.email = strdup(strncmp(actor, MAILTO, strlen(MAILTO)) == 0 ? actor + strlen(MAILTO)
	                                                             : actor);
	c.course = strdup(text(due, 1));
	c.title = strdup(text(due, 6));
	if (c.name == NULL || c.email == NULL || c.course == NULL || c.title == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	c.version = (uint32_t)relais_hub_sql_column_int64(due, 5);
	(void)snprintf(c.date, sizeof(c.date), "%s", text(due, 2));
	c.score = relais_hub_sql_column_type(due, 4) == RELAIS_HUB_SQL_NULL
	                  ? -1
	                  : (int)(relais_hub_sql_column_double(due, 4) * 100 + 0.5);
	c.minutes = bundle_minutes(hub, text(due, 7));
	rc = record(hub, ctx, sec, &c, actor, text(due, 1));
out:
	relais_certificate_clear(&c);
	return rc;
}

/* ---- programme certificates: a cohort's courses and sessions, all done ---- */

/*
 * The first matching statement's timestamp (sql: ?1 the actor, ?2 the
 * course or activity) into when, "" when there is none.
 */
static int first_time(char when[32], relais_hub *hub, relais_ctx *ctx, const char *sql,
                      const char *actor, const char *what)
{
	relais_hub_sql_stmt *st = NULL;
	int step;

	when[0] = '\0';
	if (relais_hub_sql_prepare(hub->db, sql, -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "programme certificates");
	}
	relais_hub_sql_bind_text(st, 1, actor, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, what, -1, RELAIS_HUB_SQL_STATIC);
	if ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW &&
	    relais_hub_sql_column_type(st, 0) != RELAIS_HUB_SQL_NULL) {
		(void)snprintf(when, 32, "%s", text(st, 0));
	}
	relais_hub_sql_finalize(st);
	return step == RELAIS_HUB_SQL_ROW || step == RELAIS_HUB_SQL_DONE
	               ? 0
	               : db_fail(hub, ctx, "programme certificates");
}

#define COMPLETION_OF                                                                              \
	"SELECT min(timestamp) FROM statement WHERE actor_term = " RELAIS_HUB_TERM(                \
	        "?1") " AND course_term = " RELAIS_HUB_TERM("?2") " AND unit IS NULL AND voided "  \
	                                                          "= "                             \
	                                                          "0 AND verb_term IN (SELECT id " \
	                                                          "FROM term WHERE text IN "       \
	                                                          "('" RELAIS_XAPI_VERBS           \
	                                                          "completed', "                   \
	                                                          "'" RELAIS_XAPI_VERBS            \
	                                                          "passed'))"
#define ATTENDANCE_OF                                                                              \
	"SELECT min(timestamp) FROM statement WHERE actor_term = " RELAIS_HUB_TERM(                \
	        "?1") " AND object_term = " RELAIS_HUB_TERM("?2") " AND voided = 0 AND verb_term " \
	                                                          "= " RELAIS_HUB_TERM(            \
	                                                                  "'" RELAIS_XAPI_VERBS    \
	                                                                  "attended"               \
	                                                                  "'")

/* What a cohort's programme takes: its courses (published now) and its sessions. */
struct programme {
	struct relais_certificate base; /* cohort id and name, courses, minutes */
	char **sessions;                /* each session's activity IRI */
	size_t n_sessions;
	char key[8 + RELAIS_ID_MAX + 1]; /* the certificate row's course: "cohort:<id>" */
};

static void programme_clear(struct programme *p)
{
	for (size_t i = 0; i < p->n_sessions; i++) {
		free(p->sessions[i]);
	}
	free(p->sessions);
	relais_certificate_clear(&p->base);
}

/*
 * Reads cohort c's programme into *p; *ok 0 when it has no course or one of
 * its courses is not published now (no certificate then).
 */
static int programme_read(struct programme *p, int *ok, relais_hub *hub, relais_ctx *ctx,
                          const struct relais_hub_cohort *c)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step;

	memset(p, 0, sizeof(*p));
	*ok = 0;
	(void)snprintf(p->key, sizeof(p->key), "cohort:%s", c->id);
	if (c->n_assignments == 0 || c->n_assignments > 255) {
		return 0;
	}
	p->base.programme = 1;
	if ((p->base.course = strdup(c->id)) == NULL || (p->base.title = strdup(c->name)) == NULL ||
	    (p->base.courses = calloc(c->n_assignments, sizeof(*p->base.courses))) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT title, sha256 FROM published_bundle WHERE course = ?1 "
	                           "AND state = 'current'",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "programme certificates");
	}
	for (size_t i = 0; i < c->n_assignments; i++) {
		struct relais_certificate_course *k = &p->base.courses[p->base.n_courses];
		relais_hub_sql_reset(st);
		relais_hub_sql_bind_text(st, 1, c->assignments[i].course, -1,
		                         RELAIS_HUB_SQL_STATIC);
		if ((step = relais_hub_sql_step(st)) != RELAIS_HUB_SQL_ROW) {
			rc = step == RELAIS_HUB_SQL_DONE
			             ? 0
			             : db_fail(hub, ctx, "programme certificates");
			relais_hub_sql_finalize(st);
			return rc; /* a course not published now: no certificate yet */
		}
		p->base.n_courses++;
		if ((k->id = strdup(c->assignments[i].course)) == NULL ||
		    (k->title = strdup(text(st, 0))) == NULL) {
			relais_hub_sql_finalize(st);
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		p->base.minutes += bundle_minutes(hub, text(st, 1));
	}
	relais_hub_sql_finalize(st);
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT course, id, start, \"end\", timezone FROM course_session "
	            "WHERE cohort = ?1 AND cancelled = 0 ORDER BY course, id",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "programme certificates");
	}
	relais_hub_sql_bind_text(st, 1, c->id, -1, RELAIS_HUB_SQL_STATIC);
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		char iri[1024], **slot;
		long long a = relais_tz_to_utc(text(st, 4), text(st, 2));
		long long b = relais_tz_to_utc(text(st, 4), text(st, 3));
		if (relais_session_iri(iri, sizeof(iri), text(st, 0), text(st, 1)) != 0) {
			continue;
		}
		if ((slot = relais_push(&p->sessions, &p->n_sessions, sizeof(*slot))) == NULL ||
		    (*slot = strdup(iri)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
		if (a >= 0 && b > a) {
			p->base.minutes += (unsigned)((b - a) / 60000);
		}
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "programme certificates");
	}
	relais_hub_sql_finalize(st);
	p->base.sessions = (uint32_t)p->n_sessions;
	*ok = rc == 0;
	return rc;
}

/*
 * Issues the programme certificate of p to email's learner when every course
 * is completed and every session attended, and none exists yet. credential:
 * only a learner of the statements it stored.
 */
static int programme_issue(size_t *issued, relais_hub *hub, relais_ctx *ctx, relais_seckey **sec,
                           const struct programme *p, const char *email, const char *credential)
{
	struct relais_certificate c = p->base;
	relais_hub_sql_stmt *st = NULL;
	char actor[16 + RELAIS_COHORT_EMAIL_MAX], when[32], last[32] = "";
	int rc = 0, step, skip = 0;

	(void)snprintf(actor, sizeof(actor), MAILTO "%s", email);
	if (relais_hub_sql_prepare(
	            hub->db,
	            credential ? "SELECT (SELECT count(*) FROM certificate WHERE actor = ?1 AND "
	                         "course = ?2), (SELECT max(actor_name) FROM statement WHERE "
	                         "actor_term = " RELAIS_HUB_TERM(
	                                 "?1") "), (SELECT count(*) FROM statement WHERE "
	                                       "credential = ?3 AND actor_term = " RELAIS_HUB_TERM(
	                                               "?1") ")"
	                       : "SELECT (SELECT count(*) FROM certificate WHERE actor = ?1 AND "
	                         "course = ?2), (SELECT max(actor_name) FROM statement WHERE "
	                         "actor_term = " RELAIS_HUB_TERM("?1") "), 1",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "programme certificates");
	}
	relais_hub_sql_bind_text(st, 1, actor, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, p->key, -1, RELAIS_HUB_SQL_STATIC);
	if (credential) {
		relais_hub_sql_bind_text(st, 3, credential, -1, RELAIS_HUB_SQL_STATIC);
	}
	if ((step = relais_hub_sql_step(st)) != RELAIS_HUB_SQL_ROW) {
		relais_hub_sql_finalize(st);
		return db_fail(hub, ctx, "programme certificates");
	}
	skip = relais_hub_sql_column_int64(st, 0) > 0 || relais_hub_sql_column_int64(st, 2) == 0;
	c.name = skip ? NULL : strdup(text(st, 1));
	relais_hub_sql_finalize(st);
	if (skip) {
		return 0;
	}
	for (size_t i = 0; rc == 0 && !skip && i < p->base.n_courses + p->n_sessions; i++) {
		rc = i < p->base.n_courses ? first_time(when, hub, ctx, COMPLETION_OF, actor,
		                                        p->base.courses[i].id)
		                           : first_time(when, hub, ctx, ATTENDANCE_OF, actor,
		                                        p->sessions[i - p->base.n_courses]);
		skip = when[0] == '\0';
		if (strcmp(when, last) > 0) {
			(void)snprintf(last, sizeof(last), "%s", when);
		}
	}
	if (rc == 0 && !skip) {
		(void)snprintf(c.date, sizeof(c.date), "%.10s", last);
		c.email = (char *)email;
		c.code = NULL;
		c.payload = NULL;
		if (c.name == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		} else if (*sec == NULL) {
			rc = relais_hub_catalogue_key(sec, hub, ctx);
		}
		/* A programme whose course ids do not fit in a code gets none
		 * (docs/certificates.md). */
		if (rc == 0 && (rc = relais_certificate_sign(&c, ctx, *sec)) == RELAIS_ELIMIT) {
			relais_clear(ctx);
			rc = 0;
			skip = 1;
		}
		free(c.code);
		free(c.payload);
		c.code = NULL;
		c.payload = NULL;
		if (rc == 0 && !skip && (rc = record(hub, ctx, *sec, &c, actor, p->key)) == 0) {
			(*issued)++;
		}
		free(c.code);
		free(c.payload);
	}
	free(c.name);
	return rc;
}

/* Every cohort's programme certificates now due (credential: its learners' only). */
static int programmes_issue(size_t *issued, relais_hub *hub, relais_ctx *ctx, relais_seckey **sec,
                            const char *credential)
{
	struct relais_hub_cohort *list = NULL;
	size_t n = 0;
	int rc;

	if ((rc = relais_hub_cohort_list(&list, &n, hub, ctx)) != 0) {
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct relais_hub_cohort_learner *l = NULL;
		struct programme p;
		size_t n_l = 0;
		int ok = 0;
		if ((rc = programme_read(&p, &ok, hub, ctx, &list[i])) == 0 && ok &&
		    (rc = relais_hub_cohort_learners(&l, &n_l, hub, ctx, &list[i], NULL)) == 0) {
			for (size_t j = 0; rc == 0 && j < n_l; j++) {
				rc = programme_issue(issued, hub, ctx, sec, &p, l[j].email,
				                     credential);
			}
		}
		relais_hub_cohort_learners_free(l, n_l);
		programme_clear(&p);
	}
	relais_hub_cohorts_free(list, n);
	return rc;
}

int relais_hub_certificates_issue(size_t *issued, relais_hub *hub, relais_ctx *ctx,
                                  const char *credential)
{
	relais_seckey *sec = NULL;
	relais_hub_sql_stmt *due = NULL;
	int rc = 0, step;

	*issued = 0;
	if (relais_hub_sql_begin(hub->db) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "issuing certificates");
	}
	if (relais_hub_sql_prepare(hub->db, credential ? DUE_MINE : DUE_ALL, -1, &due, NULL) !=
	    RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "issuing certificates");
		goto out;
	}
	if (credential != NULL) {
		relais_hub_sql_bind_text(due, 1, credential, -1, RELAIS_HUB_SQL_STATIC);
	}
	while ((step = relais_hub_sql_step(due)) == RELAIS_HUB_SQL_ROW) {
		if (sec == NULL && (rc = relais_hub_catalogue_key(&sec, hub, ctx)) != 0) {
			goto out;
		}
		if ((rc = issue_one(hub, ctx, sec, due)) != 0) {
			goto out;
		}
		(*issued)++;
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "issuing certificates");
		goto out;
	}
	relais_hub_sql_finalize(due);
	due = NULL;
	rc = programmes_issue(issued, hub, ctx, &sec, credential);
out:
	relais_hub_sql_finalize(due);
	relais_seckey_free(sec);
	if (rc == 0 && relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "issuing certificates");
	}
	if (rc != 0) {
		(void)relais_hub_sql_rollback(hub->db);
		*issued = 0;
	}
	return rc;
}

int relais_hub_certificates_list(char **out, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_strbuf o = {.max = LIST_MAX};
	relais_hub_sql_stmt *st = NULL;
	size_t issued;
	int rc, step;

	*out = NULL;
	if ((rc = relais_hub_certificates_issue(&issued, hub, ctx, NULL)) != 0 &&
	    rc != RELAIS_ENOTFOUND) {
		return rc;
	}
	rc = 0;
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT id, issued, actor, course, revoked, coalesce(reason, ''), code "
	            "FROM certificate ORDER BY id",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "certificates");
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		relais_strbuf_printf(&o, "%lld  %.10s  %s  %s  ",
		                     relais_hub_sql_column_int64(st, 0), text(st, 1), text(st, 2),
		                     text(st, 3));
		if (relais_hub_sql_column_type(st, 4) == RELAIS_HUB_SQL_NULL) {
			relais_strbuf_add(&o, "valid\n");
		} else {
			relais_strbuf_printf(&o, "revoked %.10s (%s)\n", text(st, 4), text(st, 5));
		}
		relais_strbuf_printf(&o, "  %s\n", text(st, 6));
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "certificates");
	}
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		relais_strbuf_free(&o);
		return rc;
	}
	return relais_strbuf_finish(out, &o, ctx, "certificates");
}

int relais_hub_certificates_json(char **out, relais_hub *hub, relais_ctx *ctx,
                                 const struct relais_hub_credential *who)
{
	int all = (who->scopes & RELAIS_HUB_SCOPE_READ_ALL) != 0;
	cJSON *root = NULL, *list;
	relais_hub_sql_stmt *st = NULL;
	size_t issued;
	int rc = 0, step;

	*out = NULL;
	if (!all && (who->scopes & RELAIS_HUB_SCOPE_READ_MINE) == 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "this credential may not read certificates");
	}
	/* A laptop's sync issues for its own learners (an indexed look, not a
	 * scan of the whole store); a read-all tool's, for all. */
	if ((rc = relais_hub_certificates_issue(&issued, hub, ctx, all ? NULL : who->key)) != 0 &&
	    rc != RELAIS_ENOTFOUND) {
		return rc;
	}
	rc = 0;
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT id, code, revoked FROM certificate c WHERE ?1 OR c.actor IN "
	            "(SELECT actor FROM statement WHERE credential = ?2) ORDER BY id",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "certificates");
	}
	relais_hub_sql_bind_int(st, 1, all);
	relais_hub_sql_bind_text(st, 2, who->key, -1, RELAIS_HUB_SQL_STATIC);
	if ((root = cJSON_CreateObject()) == NULL ||
	    (list = cJSON_AddArrayToObject(root, "certificates")) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(list, o) ||
		    cJSON_AddNumberToObject(o, "id", (double)relais_hub_sql_column_int64(st, 0)) ==
		            NULL ||
		    cJSON_AddStringToObject(o, "code", text(st, 1)) == NULL ||
		    (relais_hub_sql_column_type(st, 2) == RELAIS_HUB_SQL_NULL
		             ? cJSON_AddNullToObject(o, "revoked")
		             : cJSON_AddStringToObject(o, "revoked", text(st, 2))) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "certificates");
		goto out;
	}
	if ((*out = cJSON_PrintUnformatted(root)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
out:
	relais_hub_sql_finalize(st);
	cJSON_Delete(root);
	return rc;
}

int relais_hub_certificate_revoke(relais_hub *hub, relais_ctx *ctx, long long id,
                                  const char *reason)
{
	relais_hub_sql_stmt *st = NULL;
	char now[32];
	int rc = 0;

	relais_now_iso(now);
	if (relais_hub_sql_prepare(hub->db,
	                           "UPDATE certificate SET revoked = coalesce(revoked, ?), "
	                           "reason = coalesce(reason, ?) WHERE id = ?",
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return db_fail(hub, ctx, "revoking a certificate");
	}
	relais_hub_sql_bind_text(st, 1, now, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(st, 2, reason, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int64(st, 3, id);
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "revoking a certificate");
	} else if (relais_hub_sql_changes(hub->db) == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no certificate %lld", id);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

int relais_hub_certificate_check(struct relais_certificate *out, relais_hub *hub, relais_ctx *ctx,
                                 const char *code)
{
	relais_seckey *sec = NULL;
	relais_pubkey *pub = NULL;
	relais_hub_sql_stmt *st = NULL;
	int rc;

	if ((rc = relais_certificate_decode(out, ctx, code)) != 0) {
		return rc;
	}
	if ((rc = relais_hub_catalogue_key(&sec, hub, ctx)) != 0 ||
	    (rc = relais_seckey_public(&pub, ctx, sec)) != 0) {
		goto out;
	}
	if (relais_certificate_verify(ctx, out, pub) != 0) {
		char id[RELAIS_KEYID_HEX];
		relais_pubkey_id(pub, id);
		rc = strcmp(id, out->key_id) != 0
		             ? relais_fail(ctx, RELAIS_ESIGNATURE,
		                           "certificate signed by another hub's key (%s)",
		                           out->key_id)
		             : RELAIS_ESIGNATURE;
		goto out;
	}
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT substr(revoked, 1, 10), coalesce(reason, '') FROM certificate "
	            "WHERE id = ? AND revoked IS NOT NULL",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		rc = db_fail(hub, ctx, "certificates");
		goto out;
	}
	relais_hub_sql_bind_int64(st, 1, out->id);
	switch (relais_hub_sql_step(st)) {
	case RELAIS_HUB_SQL_ROW:
		rc = relais_fail(ctx, RELAIS_EINVAL, "certificate revoked on %s: %s", text(st, 0),
		                 text(st, 1));
		break;
	case RELAIS_HUB_SQL_DONE:
		break;
	default: /* not known to be unrevoked: not valid either */
		rc = db_fail(hub, ctx, "certificates");
	}
out:
	relais_hub_sql_finalize(st);
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	return rc;
}
