/* cmi5.c: the reader as cmi5 launching system: sessions, statement rules, the AU's documents. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "home_private.h"
#include "progress_private.h"
#include "relais/cmi5.h"
#include "relais/error.h"
#include "relais/xapi.h"
#include "statement.h"

static const char *const move_on_names[] = {"NotApplicable", "Passed", "Completed",
                                            "CompletedAndPassed", "CompletedOrPassed"};

unsigned relais_cmi5_verb_bit(const char *iri)
{
	static const struct {
		const char *iri;
		unsigned bit;
	} verbs[] = {
	        {RELAIS_XAPI_VERBS "initialized", RELAIS_CMI5_V_INITIALIZED},
	        {RELAIS_XAPI_VERBS "completed", RELAIS_CMI5_V_COMPLETED},
	        {RELAIS_XAPI_VERBS "passed", RELAIS_CMI5_V_PASSED},
	        {RELAIS_XAPI_VERBS "failed", RELAIS_CMI5_V_FAILED},
	        {RELAIS_XAPI_VERBS "terminated", RELAIS_CMI5_V_TERMINATED},
	        {RELAIS_CMI5_ADL_VERBS "abandoned", RELAIS_CMI5_V_ABANDONED},
	        {RELAIS_XAPI_VERBS "launched", RELAIS_CMI5_V_LMS},
	        {RELAIS_CMI5_ADL_VERBS "satisfied", RELAIS_CMI5_V_LMS},
	        {RELAIS_CMI5_ADL_VERBS "waived", RELAIS_CMI5_V_LMS},
	        {RELAIS_XAPI_VOIDED, RELAIS_CMI5_V_VOIDED},
	};
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].iri, iri) == 0) {
			return verbs[i].bit;
		}
	}
	return 0;
}

int relais_cmi5_rule(char *why, size_t size, const struct relais_cmi5_rule_in *in, const char *verb,
                     int defined, int has_scaled, double scaled)
{
	unsigned bit = relais_cmi5_verb_bit(verb), s = in->session;
	const char *name = strrchr(verb, '/') ? strrchr(verb, '/') + 1 : verb;

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		(void)snprintf(why, size, __VA_ARGS__);                                            \
		return 1;                                                                          \
	} while (0)
	if (s & (RELAIS_CMI5_V_TERMINATED | RELAIS_CMI5_V_ABANDONED)) {
		REFUSE("cmi5: the session is over (%s): no statement may follow",
		       s & RELAIS_CMI5_V_ABANDONED ? "abandoned" : "terminated");
	}
	if (bit == RELAIS_CMI5_V_LMS || bit == RELAIS_CMI5_V_ABANDONED) {
		REFUSE("cmi5: only the launching system sends %s", name);
	}
	if (bit == RELAIS_CMI5_V_VOIDED) {
		REFUSE("cmi5: an AU may not void statements (section 6.3)");
	}
	if (!(s & RELAIS_CMI5_V_INITIALIZED) && bit != RELAIS_CMI5_V_INITIALIZED) {
		REFUSE("cmi5: initialized must be the session's first statement, not %s", name);
	}
	if (!defined || bit == 0) {
		return 0; /* "cmi5 allowed": between initialized and terminated, any verb */
	}
	if (s & bit) {
		REFUSE("cmi5: %s was already sent in this session", name);
	}
	if (has_scaled && bit != RELAIS_CMI5_V_PASSED && bit != RELAIS_CMI5_V_FAILED) {
		REFUSE("cmi5: only passed and failed carry a score, not %s", name);
	}
	switch (bit) {
	case RELAIS_CMI5_V_COMPLETED:
		if (in->completed) {
			REFUSE("cmi5: completed was already recorded in this registration");
		}
		break;
	case RELAIS_CMI5_V_PASSED:
	case RELAIS_CMI5_V_FAILED:
		if (s & (RELAIS_CMI5_V_PASSED | RELAIS_CMI5_V_FAILED)) {
			REFUSE("cmi5: one of passed or failed per session, and %s was sent",
			       s & RELAIS_CMI5_V_PASSED ? "passed" : "failed");
		}
		if (in->passed) {
			REFUSE("cmi5: %s cannot follow passed in this registration", name);
		}
		if (in->has_mastery && has_scaled && bit == RELAIS_CMI5_V_PASSED &&
		    scaled < in->mastery) {
			REFUSE("cmi5: passed needs a scaled score of at least the masteryScore %g, "
			       "not %g",
			       in->mastery, scaled);
		}
		if (in->has_mastery && has_scaled && bit == RELAIS_CMI5_V_FAILED &&
		    scaled >= in->mastery) {
			REFUSE("cmi5: failed needs a scaled score below the masteryScore %g, not "
			       "%g",
			       in->mastery, scaled);
		}
		break;
	default:
		break;
	}
	return 0;
#undef REFUSE
}

void relais_cmi5_session_clear(struct relais_cmi5_session *s)
{
	free(s->actor);
	memset(s, 0, sizeof(*s));
}

void relais_cmi5_reply_clear(struct relais_cmi5_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An answer: status and JSON (NULL: none). Returns 0 or RELAIS_ENOMEM. */
static int reply_json(struct relais_cmi5_reply *r, unsigned status, cJSON *j)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->status = status;
	r->etag[0] = '\0';
	(void)snprintf(r->type, sizeof(r->type), "%s", RELAIS_XAPI_JSON_TYPE);
	if (j == NULL) {
		return 0;
	}
	r->body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (r->body == NULL) {
		return RELAIS_ENOMEM;
	}
	r->len = strlen(r->body);
	return 0;
}

/* A refusal: status and {"error": why}. */
static int refuse(struct relais_cmi5_reply *r, unsigned status, const char *why)
{
	cJSON *e = cJSON_CreateObject();

	if (e == NULL || cJSON_AddStringToObject(e, "error", why) == NULL) {
		cJSON_Delete(e);
		return RELAIS_ENOMEM;
	}
	return reply_json(r, status, e);
}

/* The learner's Agent as the reader's own statements name them (docs/statements.md). */
static cJSON *learner_agent(relais_home *home, relais_ctx *ctx, int64_t profile_id, int *rc)
{
	sqlite3_stmt *st = NULL;
	cJSON *a = NULL;
	char mbox[512];

	if ((*rc = relais_db_prepare(&st, home, ctx,
	                             "SELECT name, email FROM profile WHERE id = ?")) != 0) {
		return NULL;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		*rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no learner %lld", (long long)profile_id);
	} else if ((a = cJSON_CreateObject()) != NULL) {
		(void)snprintf(mbox, sizeof(mbox), "mailto:%s",
		               (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(a, "objectType", "Agent");
		cJSON_AddStringToObject(a, "name", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(a, "mbox", mbox);
	} else {
		*rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	return a;
}

/* An open session, as the home keeps it. */
struct session {
	char id[37];
	int64_t profile_id;
	char *course_id, *unit_id, *au_id, *au_title;
	char registration[37];
	long long launched, last;
	unsigned verbs;
	int ended;
};

static void session_clear(struct session *s)
{
	free(s->course_id);
	free(s->unit_id);
	free(s->au_id);
	free(s->au_title);
	memset(s, 0, sizeof(*s));
}

#define SESSION_COLUMNS                                                                            \
	"id, profile_id, course_id, unit_id, au_id, au_title, registration, launched, last, "      \
	"verbs, ended"

static int session_row(struct session *s, sqlite3_stmt *st, relais_ctx *ctx)
{
	memset(s, 0, sizeof(*s));
	(void)snprintf(s->id, sizeof(s->id), "%s", (const char *)sqlite3_column_text(st, 0));
	s->profile_id = sqlite3_column_int64(st, 1);
	s->course_id = relais_db_text(st, 2);
	s->unit_id = relais_db_text(st, 3);
	s->au_id = relais_db_text(st, 4);
	s->au_title = relais_db_text(st, 5);
	(void)snprintf(s->registration, sizeof(s->registration), "%s",
	               (const char *)sqlite3_column_text(st, 6));
	s->launched = sqlite3_column_int64(st, 7);
	s->last = sqlite3_column_int64(st, 8);
	s->verbs = (unsigned)sqlite3_column_int(st, 9);
	s->ended = sqlite3_column_int(st, 10);
	if (!s->course_id || !s->unit_id || !s->au_id || !s->au_title) {
		session_clear(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	return 0;
}

static int session_get(struct session *s, relais_home *home, relais_ctx *ctx, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT " SESSION_COLUMNS " FROM cmi5_session WHERE id = ?")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = session_row(s, st, ctx);
	} else {
		rc = step == SQLITE_DONE ? relais_fail(ctx, RELAIS_ENOTFOUND, "no session %s", id)
		                         : relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO,
		                                          "cmi5 session");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The context every statement of the reader's about a session carries (cmi5 9.6). */
static cJSON *lms_context(const struct session *s, const char *publisher_id)
{
	cJSON *c = cJSON_CreateObject(), *ca, *list, *a, *ext;

	cJSON_AddStringToObject(c, "registration", s->registration);
	ca = cJSON_AddObjectToObject(c, "contextActivities");
	list = cJSON_AddArrayToObject(ca, "category");
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "id", RELAIS_CMI5_CATEGORY);
	cJSON_AddItemToArray(list, a);
	list = cJSON_AddArrayToObject(ca, "grouping");
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "id", publisher_id);
	cJSON_AddItemToArray(list, a);
	ext = cJSON_AddObjectToObject(c, "extensions");
	cJSON_AddStringToObject(ext, RELAIS_CMI5_SESSION_ID, s->id);
	return c;
}

/*
 * Records a statement of the reader's own (launched, abandoned, satisfied)
 * for session s, with object (taken) and result (taken; NULL: none).
 */
static int lms_record(relais_home *home, relais_ctx *ctx, const struct session *s, const char *verb,
                      cJSON *object, cJSON *result, cJSON *context, const char *object_name)
{
	char id[37], ts[32];
	cJSON *st = cJSON_CreateObject(), *v, *display;
	char *json = NULL;
	int rc = 0;

	relais_statement_uuid(id);
	relais_now_iso(ts);
	cJSON_AddStringToObject(st, "id", id);
	cJSON_AddItemToObject(st, "actor", learner_agent(home, ctx, s->profile_id, &rc));
	v = cJSON_AddObjectToObject(st, "verb");
	cJSON_AddStringToObject(v, "id",
	                        strcmp(verb, "launched") == 0 ? RELAIS_XAPI_VERBS "launched"
	                        : verb[0] == 'a'              ? RELAIS_CMI5_ADL_VERBS "abandoned"
	                                                      : RELAIS_CMI5_ADL_VERBS "satisfied");
	display = cJSON_AddObjectToObject(v, "display");
	cJSON_AddStringToObject(display, "en-US", verb);
	cJSON_AddItemToObject(st, "object", object);
	if (result != NULL) {
		cJSON_AddItemToObject(st, "result", result);
	}
	cJSON_AddItemToObject(st, "context", context);
	cJSON_AddStringToObject(st, "timestamp", ts);
	if (rc == 0 && (json = cJSON_PrintUnformatted(st)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		rc = relais_progress_outbox_add(home, ctx, s->profile_id, id, verb, object_name,
		                                json);
	}
	free(json);
	cJSON_Delete(st);
	return rc;
}

static cJSON *activity_ref(const char *id)
{
	cJSON *a = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "objectType", "Activity");
	cJSON_AddStringToObject(a, "id", id);
	return a;
}

/* Ends session s with "abandoned" (inside a transaction). */
static int abandon_one(relais_home *home, relais_ctx *ctx, const struct session *s)
{
	char dur[48];
	cJSON *result = cJSON_CreateObject();
	sqlite3_stmt *st = NULL;
	int rc;

	relais_statement_duration(dur, (double)(s->last - s->launched) / 1000.0);
	cJSON_AddStringToObject(result, "duration", dur);
	if ((rc = lms_record(home, ctx, s, "abandoned", activity_ref(s->au_id), result,
	                     lms_context(s, s->au_id), s->au_title)) != 0) {
		return rc;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "UPDATE cmi5_session SET ended = 1, verbs = verbs | ? WHERE "
	                            "id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_int(st, 1, RELAIS_CMI5_V_ABANDONED);
	sqlite3_bind_text(st, 2, s->id, -1, SQLITE_STATIC);
	return relais_db_run(st, home, ctx, "cmi5 session");
}

/* abandon() inside the caller's transaction. */
static int abandon_open(size_t *count, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                        const char *au_id)
{
	sqlite3_stmt *st = NULL;
	struct session *open = NULL;
	size_t n = 0, i;
	int rc, step;

	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT " SESSION_COLUMNS " FROM cmi5_session WHERE NOT ended "
	                            "AND (?1 = 0 OR (profile_id = ?1 AND au_id = ?2)) ORDER BY "
	                            "launched")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, au_id ? au_id : "", -1, SQLITE_STATIC);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct session *s = relais_push(&open, &n, sizeof(*s));
		rc = s == NULL ? relais_fail(ctx, RELAIS_ENOMEM, "out of memory")
		               : session_row(s, st, ctx);
	}
	if (rc == 0 && step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "cmi5 session");
	}
	sqlite3_finalize(st);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = abandon_one(home, ctx, &open[i]);
	}
	for (i = 0; i < n; i++) {
		session_clear(&open[i]);
	}
	free(open);
	if (count != NULL) {
		*count = rc == 0 ? n : 0;
	}
	return rc;
}

int relais_cmi5_abandon(size_t *count, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                        const char *au_id)
{
	int rc;

	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = abandon_open(count, home, ctx, profile_id, au_id)) != 0) {
		relais_db_rollback(home);
		return rc;
	}
	return relais_db_commit(home, ctx);
}

/* The AU's kept state in the learner's registration (package_state). */
struct au_state {
	int completion, success, has_score, done;
	double score;
};

static int au_state(struct au_state *a, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                    const char *course_id, const char *unit_id, const char *au_id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	memset(a, 0, sizeof(*a));
	a->completion = a->success = -1;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT completion, success, score, done FROM package_state "
	                            "WHERE profile_id = ? AND course_id = ? AND unit_id = ? AND "
	                            "item_id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, au_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		a->completion = sqlite3_column_int(st, 0);
		a->success = sqlite3_column_int(st, 1);
		a->has_score = sqlite3_column_type(st, 2) != SQLITE_NULL;
		a->score = sqlite3_column_double(st, 2);
		a->done = sqlite3_column_int(st, 3);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "cmi5");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Whether an AU's moveOn (enum relais_cmi5_move_on) is met by its state. */
static int move_on_met(int move_on, const struct au_state *a)
{
	int completed = a->completion == 1, passed = a->success == 1;

	switch (move_on) {
	case RELAIS_CMI5_PASSED:
		return passed;
	case RELAIS_CMI5_COMPLETED:
		return completed;
	case RELAIS_CMI5_COMPLETED_AND_PASSED:
		return completed && passed;
	case RELAIS_CMI5_COMPLETED_OR_PASSED:
		return completed || passed;
	default:
		return 1; /* NotApplicable */
	}
}

static size_t n_aus(const struct relais_package *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->orgs[0].n_items; i++) {
		n += p->orgs[0].items[i].launch != NULL;
	}
	return n;
}

/*
 * Keeps AU item's state and the unit's progress; when the unit's AUs have
 * all met their moveOn, records "satisfied" for the course once per
 * registration, then the relais course's completion.
 */
static int mark_au(relais_home *home, relais_ctx *ctx, const struct relais_cmi5_au *au, size_t item,
                   const struct session *s, const struct au_state *a)
{
	const struct relais_package_item *it = &au->package->orgs[0].items[item];
	struct relais_package_mark m = {a->completion, a->success, 0, a->has_score, a->score, NULL};
	sqlite3_stmt *st = NULL;
	char iri[1024], when[32];
	int rc, done = 0, completed = 0, changes;

	m.done = move_on_met(it->move_on, a);
	if ((rc = relais_progress_package_mark(&done, home, ctx, s->profile_id, au->course_id,
	                                       au->unit_id, it->id, n_aus(au->package), &m)) != 0 ||
	    !done) {
		return rc;
	}
	relais_now_iso(when);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "UPDATE cmi5_registration SET satisfied = ? WHERE registration "
	                            "= ? AND satisfied IS NULL")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->registration, -1, SQLITE_STATIC);
	if ((rc = relais_db_run(st, home, ctx, "cmi5 registration")) != 0) {
		return rc;
	}
	changes = sqlite3_changes(relais_home_db(home));
	if (changes > 0) {
		/* The course object is the reader's own id, not the publisher's (9.4). */
		cJSON *obj, *def, *name;
		(void)snprintf(iri, sizeof(iri), "%s%s/%s", RELAIS_XAPI_ACTIVITIES, au->course_id,
		               au->unit_id);
		obj = activity_ref(iri);
		def = cJSON_AddObjectToObject(obj, "definition");
		name = cJSON_AddObjectToObject(def, "name");
		cJSON_AddStringToObject(name, "und", au->package->orgs[0].title);
		cJSON_AddStringToObject(def, "type", RELAIS_CMI5_COURSE_TYPE);
		if ((rc = lms_record(home, ctx, s, "satisfied", obj, NULL,
		                     lms_context(s, au->package->id),
		                     au->package->orgs[0].title)) != 0) {
			return rc;
		}
	}
	return relais_progress_course_check(&completed, home, ctx, s->profile_id, au->course_id);
}

/* The learner's registration in the unit, made the first time (*made). */
static int registration(char out[37], int *made, relais_home *home, relais_ctx *ctx,
                        int64_t profile_id, const struct relais_cmi5_au *au)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, step;

	*made = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT registration FROM cmi5_registration WHERE profile_id = "
	                            "? AND course_id = ? AND unit_id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, au->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, au->unit_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		(void)snprintf(out, 37, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		return relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "cmi5 registration");
	}
	relais_statement_uuid(out);
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO cmi5_registration(profile_id, course_id, unit_id, "
	                            "registration, created) VALUES (?, ?, ?, ?, ?)")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, au->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, au->unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	*made = 1;
	return relais_db_run(st, home, ctx, "cmi5 registration");
}

/* Writes a document (inside a transaction). */
static int doc_put(relais_home *home, relais_ctx *ctx, int resource, const char *activity,
                   const char *agent, const char *reg, const char *doc_id, const char *type,
                   const char *body, size_t len)
{
	char etag[RELAIS_XAPI_ETAG_MAX], now[32];
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_xapi_etag(etag, body, len)) != 0) {
		return relais_fail(ctx, rc, "cannot hash the document");
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT OR REPLACE INTO xapi_document(resource, activity, agent, "
	             "registration, doc_id, type, body, etag, updated) VALUES (?, ?, "
	             "?, ?, ?, ?, ?, ?, ?)")) != 0) {
		return rc;
	}
	sqlite3_bind_int(st, 1, resource);
	sqlite3_bind_text(st, 2, activity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
	return relais_db_run(st, home, ctx, "xapi document");
}

/* LMS.LaunchData for s (cmi5 10.2), as JSON (malloc'd). */
static char *launch_data(const struct session *s, const struct relais_package_item *it,
                         const char *return_url)
{
	cJSON *d = cJSON_CreateObject(), *tpl, *ca, *list, *a, *ext;
	char *json;

	tpl = cJSON_AddObjectToObject(d, "contextTemplate");
	ca = cJSON_AddObjectToObject(tpl, "contextActivities");
	list = cJSON_AddArrayToObject(ca, "grouping");
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "id", it->id);
	cJSON_AddItemToArray(list, a);
	ext = cJSON_AddObjectToObject(tpl, "extensions");
	cJSON_AddStringToObject(ext, RELAIS_CMI5_SESSION_ID, s->id);
	cJSON_AddStringToObject(d, "launchMode", "Normal");
	cJSON_AddStringToObject(d, "launchMethod",
	                        it->launch_method == RELAIS_CMI5_OWN_WINDOW ? "OwnWindow"
	                                                                    : "AnyWindow");
	cJSON_AddStringToObject(d, "moveOn", move_on_names[it->move_on % 5]);
	if (it->has_mastery) {
		cJSON_AddNumberToObject(d, "masteryScore", it->mastery_score);
	}
	if (it->launch_parameters != NULL && it->launch_parameters[0] != '\0') {
		cJSON_AddStringToObject(d, "launchParameters", it->launch_parameters);
	}
	cJSON_AddStringToObject(d, "returnURL", return_url);
	json = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	return json;
}

int relais_cmi5_launch(struct relais_cmi5_session *out, relais_home *home, relais_ctx *ctx,
                       int64_t profile_id, const struct relais_cmi5_au *au, const char *launch_url,
                       const char *return_url)
{
	const struct relais_package_org *org = &au->package->orgs[0];
	const struct relais_package_item *it = &org->items[au->item];
	struct session s;
	sqlite3_stmt *st = NULL;
	cJSON *agent = NULL, *context, *ext;
	char *data = NULL, *agent_key = NULL;
	size_t i;
	int rc, made;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = abandon_open(NULL, home, ctx, profile_id, it->id)) != 0 ||
	    (rc = registration(out->registration, &made, home, ctx, profile_id, au)) != 0) {
		goto out;
	}
	relais_statement_uuid(out->id);
	(void)snprintf(s.id, sizeof(s.id), "%s", out->id);
	(void)snprintf(s.registration, sizeof(s.registration), "%s", out->registration);
	s.profile_id = profile_id;
	s.launched = s.last = now_ms();
	if ((agent = learner_agent(home, ctx, profile_id, &rc)) == NULL ||
	    (agent_key = relais_xapi_agent_key(agent)) == NULL ||
	    (out->actor = cJSON_PrintUnformatted(agent)) == NULL ||
	    (data = launch_data(&s, it, return_url)) == NULL) {
		rc = rc ? rc : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO cmi5_session(" SESSION_COLUMNS
	                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)")) != 0) {
		goto out;
	}
	sqlite3_bind_text(st, 1, s.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, profile_id);
	sqlite3_bind_text(st, 3, au->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, au->unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s.registration, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, s.launched);
	sqlite3_bind_int64(st, 9, s.last);
	if ((rc = relais_db_run(st, home, ctx, "cmi5 session")) != 0) {
		goto out;
	}
	if ((rc = doc_put(home, ctx, RELAIS_CMI5_STATE, it->id, agent_key, s.registration,
	                  RELAIS_CMI5_LAUNCH_DATA, RELAIS_XAPI_JSON_TYPE, data, strlen(data))) !=
	    0) {
		goto out;
	}
	/* launched carries what the AU was launched with (9.6.3). */
	context = lms_context(&s, it->id);
	ext = cJSON_GetObjectItemCaseSensitive(context, "extensions");
	cJSON_AddStringToObject(ext, RELAIS_CMI5_EXT "launchmode", "Normal");
	cJSON_AddStringToObject(ext, RELAIS_CMI5_EXT "launchurl", launch_url);
	cJSON_AddStringToObject(ext, RELAIS_CMI5_EXT "moveon", move_on_names[it->move_on % 5]);
	if (it->has_mastery) {
		cJSON_AddNumberToObject(ext, RELAIS_CMI5_EXT "masteryscore", it->mastery_score);
	}
	if (it->launch_parameters != NULL && it->launch_parameters[0] != '\0') {
		cJSON_AddStringToObject(ext, RELAIS_CMI5_EXT "launchparameters",
		                        it->launch_parameters);
	}
	if ((rc = lms_record(home, ctx, &s, "launched", activity_ref(it->id), NULL, context,
	                     it->title)) != 0) {
		goto out;
	}
	/* The unit is started; AUs whose moveOn is NotApplicable are met at registration (9.6.1).
	 */
	for (i = 0; i < org->n_items; i++) {
		struct au_state a;
		if (org->items[i].launch == NULL || (i != au->item && !made)) {
			continue;
		}
		if (i != au->item && org->items[i].move_on != RELAIS_CMI5_NOT_APPLICABLE) {
			continue;
		}
		if ((rc = au_state(&a, home, ctx, profile_id, au->course_id, au->unit_id,
		                   org->items[i].id)) != 0 ||
		    (rc = mark_au(home, ctx, au, i, &s, &a)) != 0) {
			goto out;
		}
	}
	rc = relais_db_commit(home, ctx);
out:
	if (rc != 0) {
		relais_db_rollback(home);
		relais_cmi5_session_clear(out);
	}
	cJSON_Delete(agent);
	free(agent_key);
	free(data);
	return rc;
}

/* A string member by path of objects ("context.registration"), or NULL. */
static const cJSON *member(const cJSON *o, const char *a, const char *b)
{
	o = cJSON_GetObjectItemCaseSensitive(o, a);
	return b == NULL ? o : cJSON_GetObjectItemCaseSensitive(o, b);
}

/* Whether a list of activities (contextActivities.category) holds id. */
static int lists(const cJSON *list, const char *id)
{
	const cJSON *a;

	if (cJSON_IsObject(list)) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(list, "id");
		return cJSON_IsString(v) && strcmp(v->valuestring, id) == 0;
	}
	cJSON_ArrayForEach(a, list)
	{
		if (lists(a, id)) {
			return 1;
		}
	}
	return 0;
}

/* The outbox's statement of id, or NULL (*rc set on failure). */
static char *outbox_statement(relais_home *home, relais_ctx *ctx, const char *id,
                              int64_t profile_id, int *rc)
{
	sqlite3_stmt *st = NULL;
	char *json = NULL;
	int step;

	if ((*rc = relais_db_prepare(&st, home, ctx,
	                             "SELECT statement FROM outbox WHERE id = ? AND (? = 0 OR "
	                             "profile_id = ?)")) != 0) {
		return NULL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, profile_id);
	sqlite3_bind_int64(st, 3, profile_id);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((json = relais_db_text(st, 0)) == NULL) {
			*rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step != SQLITE_DONE) {
		*rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
	}
	sqlite3_finalize(st);
	return json;
}

/* What the statements of one request change, carried from one to the next. */
struct batch {
	struct session s;
	struct au_state a;
	const struct relais_package_item *it;
	char *learner; /* the learner's agent identifier */
	int changed_au;
};

/*
 * Checks one statement st of the AU and records it (inside the batch's
 * transaction). Returns 0 with r->status 0 (recorded, id into ids), or the
 * refusal in r, or a negative status.
 */
static int one(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx, struct batch *b,
               cJSON *st, const char *where, cJSON *ids)
{
	struct relais_xapi_facts f;
	struct relais_cmi5_rule_in in;
	const cJSON *v, *ca, *scaled;
	char why[512], *json = NULL, *have = NULL, *ident_a = NULL, *ident_b = NULL;
	unsigned bit;
	int rc, defined;

	memset(&f, 0, sizeof(f));
	if ((rc = relais_xapi_check(&f, ctx, st, where)) != 0) {
		if (rc == RELAIS_EFORMAT) {
			rc = refuse(r, 400, relais_errmsg(ctx));
		}
		goto out;
	}
	if (!f.has_id) {
		relais_statement_uuid(f.id);
		cJSON_AddStringToObject(st, "id", f.id);
	}
	if (f.actor == NULL || strcmp(f.actor, b->learner) != 0) {
		rc = refuse(r, 403, "cmi5: the actor is not the learner this AU was launched for");
		goto out;
	}
	/* The same id again: the same statement is no change, another is a conflict. */
	if ((have = outbox_statement(home, ctx, f.id, 0, &rc)) != NULL) {
		cJSON *old = cJSON_Parse(have);
		ident_a = old ? relais_xapi_identity(old) : NULL;
		ident_b = relais_xapi_identity(st);
		cJSON_Delete(old);
		if (ident_a == NULL || ident_b == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		} else if (strcmp(ident_a, ident_b) != 0) {
			rc = refuse(r, 409, "a different statement already has this id");
		} else {
			cJSON_AddItemToArray(ids, cJSON_CreateString(f.id));
		}
		goto out;
	} else if (rc != 0) {
		goto out;
	}
	ca = member(st, "context", "contextActivities");
	defined = lists(cJSON_GetObjectItemCaseSensitive(ca, "category"), RELAIS_CMI5_CATEGORY);
	bit = relais_cmi5_verb_bit(f.verb);
	v = member(st, "context", "registration");
	if (!cJSON_IsString(v) || strcasecmp(v->valuestring, b->s.registration) != 0) {
		rc = refuse(r, 403, "cmi5: context.registration is not the registration launched");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(member(st, "context", "extensions"),
	                                     RELAIS_CMI5_SESSION_ID);
	if (!cJSON_IsString(v) || strcmp(v->valuestring, b->s.id) != 0) {
		rc = refuse(r, 403, "cmi5: the session id extension is not the session launched");
		goto out;
	}
	if (defined && bit != 0 &&
	    (f.object_kind != RELAIS_XAPI_ACTIVITY || strcmp(f.object_id, b->it->id) != 0)) {
		rc = refuse(r, 403, "cmi5: the object is not the AU launched (its activityId)");
		goto out;
	}
	scaled = member(member(st, "result", "score"), "scaled", NULL);
	memset(&in, 0, sizeof(in));
	in.session = b->s.verbs;
	in.completed = b->a.completion == 1;
	in.passed = b->a.success == 1;
	in.has_mastery = b->it->has_mastery;
	in.mastery = b->it->mastery_score;
	if (relais_cmi5_rule(why, sizeof(why), &in, f.verb, defined, cJSON_IsNumber(scaled),
	                     cJSON_IsNumber(scaled) ? scaled->valuedouble : 0) != 0) {
		rc = refuse(r, 403, why);
		goto out;
	}
	if ((json = cJSON_PrintUnformatted(st)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = relais_progress_outbox_add(home, ctx, b->s.profile_id, f.id,
	                                     strrchr(f.verb, '/') ? strrchr(f.verb, '/') + 1
	                                                          : f.verb,
	                                     b->s.au_title, json)) != 0) {
		goto out;
	}
	cJSON_AddItemToArray(ids, cJSON_CreateString(f.id));
	if (defined && bit != 0) {
		b->s.verbs |= bit;
		if (bit == RELAIS_CMI5_V_COMPLETED) {
			b->a.completion = 1;
			b->changed_au = 1;
		} else if (bit == RELAIS_CMI5_V_PASSED || bit == RELAIS_CMI5_V_FAILED) {
			b->a.success = bit == RELAIS_CMI5_V_PASSED;
			if (cJSON_IsNumber(scaled)) {
				b->a.has_score = 1;
				b->a.score = scaled->valuedouble;
			}
			b->changed_au = 1;
		}
	} else if (bit == RELAIS_CMI5_V_INITIALIZED || bit == RELAIS_CMI5_V_TERMINATED) {
		b->s.verbs |= bit; /* order holds for every statement */
	}
	r->status = 0;
out:
	free(json);
	free(have);
	free(ident_a);
	free(ident_b);
	relais_xapi_facts_clear(&f);
	return rc;
}

int relais_cmi5_statements(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx,
                           const struct relais_cmi5_au *au, const char *session_id,
                           const char *statement_id, const char *body, size_t len)
{
	struct batch b;
	cJSON *root = NULL, *ids = NULL, *item;
	sqlite3_stmt *st = NULL;
	char where[32];
	int rc, i = 0, began = 0;

	memset(r, 0, sizeof(*r));
	memset(&b, 0, sizeof(b));
	b.it = &au->package->orgs[0].items[au->item];
	if (len > RELAIS_CMI5_BODY_MAX) {
		return refuse(r, 413, "the statements are too large");
	}
	if ((root = relais_xapi_parse_whole(body ? body : "", len)) == NULL) {
		return refuse(r, 400, "the body is not JSON");
	}
	if (statement_id != NULL &&
	    (!cJSON_IsObject(root) || !relais_xapi_uuid_ok(statement_id) ||
	     (cJSON_GetObjectItemCaseSensitive(root, "id") != NULL &&
	      (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "id")) ||
	       strcasecmp(cJSON_GetObjectItemCaseSensitive(root, "id")->valuestring,
	                  statement_id) != 0)))) {
		rc = refuse(r, 400, "PUT takes one statement whose id is statementId");
		goto out;
	}
	if (statement_id != NULL && cJSON_GetObjectItemCaseSensitive(root, "id") == NULL) {
		cJSON_AddStringToObject(root, "id", statement_id);
	}
	if (!cJSON_IsObject(root) && (!cJSON_IsArray(root) || cJSON_GetArraySize(root) < 1 ||
	                              cJSON_GetArraySize(root) > RELAIS_CMI5_BATCH_MAX)) {
		rc = refuse(r, 400, "a statement or an array of 1 to 100 statements is expected");
		goto out;
	}
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		goto out;
	}
	began = 1;
	if ((rc = session_get(&b.s, home, ctx, session_id)) != 0) {
		goto out;
	}
	{
		cJSON *agent = learner_agent(home, ctx, b.s.profile_id, &rc);
		b.learner = agent ? relais_xapi_agent_key(agent) : NULL;
		cJSON_Delete(agent);
		if (b.learner == NULL) {
			rc = rc ? rc : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = au_state(&b.a, home, ctx, b.s.profile_id, au->course_id, au->unit_id,
	                   b.it->id)) != 0) {
		goto out;
	}
	ids = cJSON_CreateArray();
	if (cJSON_IsObject(root)) {
		rc = one(r, home, ctx, &b, root, "statement", ids);
	} else {
		cJSON_ArrayForEach(item, root)
		{
			(void)snprintf(where, sizeof(where), "statements[%d]", i++);
			if ((rc = one(r, home, ctx, &b, item, where, ids)) != 0 || r->status != 0) {
				break;
			}
		}
	}
	if (rc != 0 || r->status != 0) {
		goto out;
	}
	b.s.last = now_ms();
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "UPDATE cmi5_session SET verbs = ?, last = ?, ended = ? WHERE "
	                            "id = ?")) != 0) {
		goto out;
	}
	sqlite3_bind_int(st, 1, (int)b.s.verbs);
	sqlite3_bind_int64(st, 2, b.s.last);
	sqlite3_bind_int(st, 3, (b.s.verbs & RELAIS_CMI5_V_TERMINATED) != 0);
	sqlite3_bind_text(st, 4, b.s.id, -1, SQLITE_STATIC);
	if ((rc = relais_db_run(st, home, ctx, "cmi5 session")) != 0) {
		goto out;
	}
	if (b.changed_au && (rc = mark_au(home, ctx, au, au->item, &b.s, &b.a)) != 0) {
		goto out;
	}
	if ((rc = relais_db_commit(home, ctx)) != 0) {
		began = 0;
		goto out;
	}
	began = 0;
	if (statement_id != NULL) {
		rc = reply_json(r, 204, NULL);
	} else {
		rc = reply_json(r, 200, ids);
		ids = NULL;
	}
out:
	if (began) {
		relais_db_rollback(home);
	}
	cJSON_Delete(ids);
	cJSON_Delete(root);
	session_clear(&b.s);
	free(b.learner);
	return rc;
}

int relais_cmi5_statement_get(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx,
                              int64_t profile_id, const char *statement_id)
{
	char *json;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (statement_id == NULL || !relais_xapi_uuid_ok(statement_id)) {
		return refuse(r, 400,
		              "statementId (a UUID) is the only query this endpoint answers");
	}
	if ((json = outbox_statement(home, ctx, statement_id, profile_id, &rc)) == NULL) {
		return rc != 0 ? rc : refuse(r, 404, "no such statement");
	}
	r->status = 200;
	r->body = json;
	r->len = strlen(json);
	(void)snprintf(r->type, sizeof(r->type), "%s", RELAIS_XAPI_JSON_TYPE);
	return 0;
}

/* ---- documents ---- */

#define DOC_WHERE                                                                                  \
	"resource = ?1 AND activity = ?2 AND agent = ?3 AND registration = ?4 AND doc_id = ?5"

static void bind_doc(sqlite3_stmt *st, int resource, const char *activity, const char *agent,
                     const char *reg, const char *doc_id)
{
	sqlite3_bind_int(st, 1, resource);
	sqlite3_bind_text(st, 2, activity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reg, -1, SQLITE_STATIC);
	if (doc_id != NULL) {
		sqlite3_bind_text(st, 5, doc_id, -1, SQLITE_STATIC);
	}
}

/* The stored document, into r (200), or 404 / found 0. */
static int doc_get(struct relais_cmi5_reply *r, int *found, relais_home *home, relais_ctx *ctx,
                   int resource, const char *activity, const char *agent, const char *reg,
                   const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	*found = 0;
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT type, body, etag FROM xapi_document WHERE " DOC_WHERE)) != 0) {
		return rc;
	}
	bind_doc(st, resource, activity, agent, reg, doc_id);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		free(r->body);
		if ((r->body = malloc(n + 1)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		} else {
			if (n > 0) {
				memcpy(r->body, sqlite3_column_blob(st, 1), n);
			}
			r->body[n] = '\0';
			r->len = n;
			r->status = 200;
			*found = 1;
			(void)snprintf(r->type, sizeof(r->type), "%s",
			               (const char *)sqlite3_column_text(st, 0));
			(void)snprintf(r->etag, sizeof(r->etag), "%s",
			               (const char *)sqlite3_column_text(st, 2));
		}
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "xapi document");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The ids of the documents that match (GET without an id): a JSON array. */
static int doc_list(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx, int resource,
                    const char *activity, const char *agent, const char *reg)
{
	sqlite3_stmt *st = NULL;
	cJSON *list = cJSON_CreateArray();
	int rc, step;

	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT doc_id FROM xapi_document WHERE resource = ?1 AND "
	                            "activity = ?2 AND agent = ?3 AND registration = ?4 ORDER BY "
	                            "doc_id LIMIT 10000")) != 0) {
		cJSON_Delete(list);
		return rc;
	}
	bind_doc(st, resource, activity, agent, reg, NULL);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON_AddItemToArray(list,
		                     cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "xapi document");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		cJSON_Delete(list);
		return rc;
	}
	return reply_json(r, 200, list);
}

int relais_cmi5_document(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx,
                         const char *session_id, const struct relais_cmi5_doc_request *rq)
{
	const char *method = rq->method, *activity = "", *agent = "";
	const char *type = rq->content_type && rq->content_type[0] ? rq->content_type
	                                                           : "application/octet-stream";
	struct session s;
	struct relais_cmi5_reply old;
	cJSON *agent_json = NULL, *learner = NULL;
	char reg[37] = "", *key = NULL, *mine = NULL, *merged = NULL;
	int rc, found, writes, needs_agent = rq->resource != RELAIS_CMI5_ACTIVITY_PROFILE;
	size_t i;

	memset(r, 0, sizeof(*r));
	memset(&old, 0, sizeof(old));
	if ((rc = session_get(&s, home, ctx, session_id)) != 0) {
		return rc;
	}
	writes = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
	if (rq->resource != RELAIS_CMI5_AGENT_PROFILE) {
		if (rq->activity == NULL || !relais_xapi_param_iri_ok(rq->activity)) {
			rc = refuse(r, 400, "activityId (an IRI) is missing or wrong");
			goto out;
		}
		activity = rq->activity;
	}
	if (needs_agent) {
		if (rq->agent == NULL ||
		    (agent_json = relais_xapi_agent_param(rq->agent)) == NULL) {
			rc = refuse(r, 400,
			            "agent must be an Agent object as JSON, with exactly one "
			            "identifier");
			goto out;
		}
		learner = learner_agent(home, ctx, s.profile_id, &rc);
		if ((key = relais_xapi_agent_key(agent_json)) == NULL || learner == NULL ||
		    (mine = relais_xapi_agent_key(learner)) == NULL) {
			rc = rc ? rc : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if (strcmp(key, mine) != 0) {
			rc = refuse(r, 403, "these documents belong to another learner");
			goto out;
		}
		agent = key;
	}
	if (rq->resource == RELAIS_CMI5_STATE && rq->registration != NULL) {
		if (!relais_xapi_uuid_ok(rq->registration)) {
			rc = refuse(r, 400, "registration must be a UUID");
			goto out;
		}
		for (i = 0; i < 36; i++) {
			reg[i] = (char)tolower((unsigned char)rq->registration[i]);
		}
		reg[36] = '\0';
	}
	if (rq->doc_id == NULL &&
	    (writes || (strcmp(method, "DELETE") == 0 && rq->resource != RELAIS_CMI5_STATE))) {
		rc = refuse(r, 400,
		            rq->resource == RELAIS_CMI5_STATE ? "stateId is missing"
		                                              : "profileId is missing");
		goto out;
	}
	if (rq->resource == RELAIS_CMI5_STATE && strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0 &&
	    (rq->doc_id == NULL || strcmp(rq->doc_id, RELAIS_CMI5_LAUNCH_DATA) == 0)) {
		rc = refuse(r, 403, "cmi5: LMS.LaunchData is the reader's: an AU only reads it");
		goto out;
	}
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		if (rq->doc_id == NULL) {
			rc = doc_list(r, home, ctx, rq->resource, activity, agent, reg);
		} else if ((rc = doc_get(r, &found, home, ctx, rq->resource, activity, agent, reg,
		                         rq->doc_id)) == 0 &&
		           !found) {
			rc = refuse(r, 404, "no such document");
		}
		goto out;
	}
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		goto out;
	}
	if (strcmp(method, "DELETE") == 0) {
		sqlite3_stmt *st = NULL;
		if ((rc = relais_db_prepare(&st, home, ctx,
		                            rq->doc_id
		                                    ? "DELETE FROM xapi_document WHERE " DOC_WHERE
		                                    : "DELETE FROM xapi_document WHERE resource = "
		                                      "?1 AND activity = ?2 AND agent = ?3 AND "
		                                      "registration = ?4")) == 0) {
			bind_doc(st, rq->resource, activity, agent, reg, rq->doc_id);
			rc = relais_db_run(st, home, ctx, "xapi document");
		}
		if (rc == 0) {
			rc = reply_json(r, 204, NULL);
		}
	} else if (strcmp(method, "POST") == 0) {
		int which;
		if ((rc = doc_get(&old, &found, home, ctx, rq->resource, activity, agent, reg,
		                  rq->doc_id)) != 0) {
			goto tx;
		}
		if (found) {
			if (!relais_xapi_json_type(old.type) || !relais_xapi_json_type(type)) {
				rc = refuse(r, 400, "POST merges JSON objects only (PUT replaces)");
				goto tx;
			}
			rc = relais_xapi_json_merge(&merged, &which, old.body, old.len, rq->body,
			                            rq->len);
			if (rc == RELAIS_EFORMAT) {
				rc = refuse(r, 400,
				            which == 1
				                    ? "the stored document is not a JSON object"
				                    : "the document posted is not a JSON object");
				goto tx;
			}
			if (rc == 0) {
				rc = doc_put(home, ctx, rq->resource, activity, agent, reg,
				             rq->doc_id, type, merged, strlen(merged));
			}
		} else {
			rc = doc_put(home, ctx, rq->resource, activity, agent, reg, rq->doc_id,
			             type, rq->body ? rq->body : "", rq->len);
		}
		if (rc == 0) {
			rc = reply_json(r, 204, NULL);
		}
	} else if (strcmp(method, "PUT") == 0) {
		if ((rc = doc_put(home, ctx, rq->resource, activity, agent, reg, rq->doc_id, type,
		                  rq->body ? rq->body : "", rq->len)) == 0) {
			rc = reply_json(r, 204, NULL);
		}
	} else {
		rc = refuse(r, 405, "method not allowed");
	}
tx:
	if (rc == 0 && r->status < 300) {
		rc = relais_db_commit(home, ctx);
	} else {
		relais_db_rollback(home);
	}
out:
	relais_cmi5_reply_clear(&old);
	cJSON_Delete(agent_json);
	cJSON_Delete(learner);
	free(key);
	free(mine);
	free(merged);
	session_clear(&s);
	return rc;
}
