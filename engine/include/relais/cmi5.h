/* cmi5.h: the reader as cmi5 launching system: launches, sessions, the AU's xAPI resources. */
#ifndef RELAIS_CMI5_H
#define RELAIS_CMI5_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"
#include "relais/manifest.h"
#include "relais/xapi.h"

/* A statements request's or a document's body, at most. */
#define RELAIS_CMI5_BODY_MAX (512u * 1024u)
/* Statements in one POST, at most. */
#define RELAIS_CMI5_BATCH_MAX 100
/* The State document the reader writes before each launch (cmi5 section 10). */
#define RELAIS_CMI5_LAUNCH_DATA "LMS.LaunchData"

/* The IRIs of cmi5 (sections 9.3, 9.4, 9.6), each defined here only. */
#define RELAIS_CMI5_CATEGORY "https://w3id.org/xapi/cmi5/context/categories/cmi5"
#define RELAIS_CMI5_MOVEON "https://w3id.org/xapi/cmi5/context/categories/moveon"
#define RELAIS_CMI5_EXT "https://w3id.org/xapi/cmi5/context/extensions/"
#define RELAIS_CMI5_SESSION_ID RELAIS_CMI5_EXT "sessionid"
#define RELAIS_CMI5_COURSE_TYPE "https://w3id.org/xapi/cmi5/activitytype/course"
#define RELAIS_CMI5_ADL_VERBS "https://w3id.org/xapi/adl/verbs/"

/* The cmi5 verbs a session has seen, as bits. */
enum {
	RELAIS_CMI5_V_INITIALIZED = 1,
	RELAIS_CMI5_V_COMPLETED = 2,
	RELAIS_CMI5_V_PASSED = 4,
	RELAIS_CMI5_V_FAILED = 8,
	RELAIS_CMI5_V_TERMINATED = 16,
	RELAIS_CMI5_V_ABANDONED = 32,
	RELAIS_CMI5_V_LMS = 64, /* launched, satisfied, waived: the reader's own */
	RELAIS_CMI5_V_VOIDED = 128,
};

/* The bit of a verb IRI, or 0 for a verb cmi5 does not define ("cmi5 allowed"). */
unsigned relais_cmi5_verb_bit(const char *iri);

/* What the rules of one statement look at (cmi5 section 9.3, 9.5). */
struct relais_cmi5_rule_in {
	unsigned session; /* RELAIS_CMI5_V_* seen in the session so far */
	int completed;    /* the AU was completed in this registration */
	int passed;       /* the AU was passed in this registration */
	int has_mastery;
	double mastery; /* the AU's masteryScore, 0 to 1 */
};

/*
 * Whether the AU may send a statement with verb (an IRI) now: defined says
 * it carries the cmi5 category; has_scaled and scaled its
 * result.score.scaled. Returns 0, or 1 with the reason, one line, in why.
 */
int relais_cmi5_rule(char *why, size_t size, const struct relais_cmi5_rule_in *in, const char *verb,
                     int defined, int has_scaled, double scaled);

/* The AU a launch is for: an item of a cmi5 package unit, from the signed manifest. */
struct relais_cmi5_au {
	const char *course_id;
	const char *unit_id;
	const struct relais_package *package;
	size_t item; /* in package->orgs[0] */
};

/* A launch's session, as the launch URL names it. */
struct relais_cmi5_session {
	char id[37];           /* the session id (a UUID) */
	char registration[37]; /* the learner's registration in the unit */
	char *actor;           /* the learner's Agent, JSON (malloc'd) */
};

void relais_cmi5_session_clear(struct relais_cmi5_session *s);

/*
 * Launches au for a learner (cmi5 sections 8 to 10), in one transaction
 * with full sync: abandons the learner's sessions of that AU still open,
 * makes the learner's registration in the unit the first time, writes
 * LMS.LaunchData (launch_url without the cmi5 query, return_url) into the
 * State resource and records "launched". Returns 0 with *out filled, or a
 * negative status.
 */
int relais_cmi5_launch(struct relais_cmi5_session *out, relais_home *home, relais_ctx *ctx,
                       int64_t profile_id, const struct relais_cmi5_au *au, const char *launch_url,
                       const char *return_url);

/*
 * Records "abandoned" (its duration from launch to the last statement) for
 * every session still open: all of them (profile_id 0), or one learner's
 * sessions of the AU au_id. Sets *count when not NULL.
 */
int relais_cmi5_abandon(size_t *count, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                        const char *au_id);

/* An answer of the AU's xAPI endpoint. */
struct relais_cmi5_reply {
	unsigned status;
	char *body; /* malloc'd; NULL for none */
	size_t len;
	char type[128];
	char etag[RELAIS_XAPI_ETAG_MAX]; /* "" for none */
};

void relais_cmi5_reply_clear(struct relais_cmi5_reply *r);

/*
 * POST (statement_id NULL: one statement or an array) or PUT
 * (?statementId=) statements from the AU of session session_id. Each is
 * checked by the hub's xAPI rules, then by cmi5's (its actor is the
 * learner, its object the AU; cmi5 order): all are recorded in the outbox
 * in one transaction with full sync, or none. Updates the AU's and the
 * unit's progress and records "satisfied" when the unit's moveOn is met.
 * Returns 0 with r set: 200 (the ids) or 204, 400 (not xAPI), 403 (the
 * cmi5 reason), 409 (an id already used by another statement); or a
 * negative status.
 */
int relais_cmi5_statements(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx,
                           const struct relais_cmi5_au *au, const char *session_id,
                           const char *statement_id, const char *body, size_t len);

/* GET statements?statementId=: one of the learner's statements (200), or 404. */
int relais_cmi5_statement_get(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx,
                              int64_t profile_id, const char *statement_id);

/* The document resources of the endpoint. */
enum {
	RELAIS_CMI5_STATE = 1,            /* activities/state */
	RELAIS_CMI5_ACTIVITY_PROFILE = 2, /* activities/profile */
	RELAIS_CMI5_AGENT_PROFILE = 3,    /* agents/profile */
};

struct relais_cmi5_doc_request {
	int resource;                                         /* RELAIS_CMI5_STATE, ... */
	const char *method;                                   /* GET, PUT, POST, DELETE */
	const char *activity, *agent, *registration, *doc_id; /* query parameters, or NULL */
	const char *content_type;                             /* or NULL */
	const char *body;
	size_t len;
};

/*
 * A document request from the AU of session session_id (xAPI 1.0.3
 * Communication 2.2 to 2.4): 200 (the document with its ETag, or a list of
 * ids), 204, 400, 403 (another learner's documents, or writing
 * LMS.LaunchData), 404. Returns 0 with r set, or a negative status.
 */
int relais_cmi5_document(struct relais_cmi5_reply *r, relais_home *home, relais_ctx *ctx,
                         const char *session_id, const struct relais_cmi5_doc_request *rq);

#endif
