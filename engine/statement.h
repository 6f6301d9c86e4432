/* statement.h: xAPI 1.0.3 statements for learner events (private; docs/statements.md). */
#ifndef RELAIS_STATEMENT_H
#define RELAIS_STATEMENT_H

#include <stddef.h>

#include "relais/context.h"
#include "relais/xapi.h"

/* The context extension that carries the learner's organisation. */

/* Who, did what, to what: enough to write one statement. */
struct relais_event {
	const char *learner_name;
	const char *learner_email;
	const char *learner_org; /* "" when none */
	const char *verb;        /* "experienced", "attempted", "answered", "passed", ... */
	const char *course_id;
	const char *course_title;
	const char *language; /* the course's */
	const char *unit_id;  /* NULL for the course itself */
	const char *unit_title;
	const char *unit_kind;   /* "lesson", "quiz", "question" or "package" */
	const char *question_id; /* for "answered" */
	/* Result, when has_result. */
	int has_result;
	double scaled, raw, min, max; /* min 0 but for packages that say otherwise */
	int success;                  /* -1 unknown, 0 failed, 1 succeeded */
	int completion;               /* -1 unknown, 0, 1 */
	const char *response;
	double duration_s;       /* < 0 when unknown */
	const char *interaction; /* a question's xAPI interactionType, or NULL */
	int late;                /* a quiz submitted past its deadline */
	/* attended (docs/statements.md, "Attendance"): the live session as the object,
	 * the trainer as context.instructor, a statement id and timestamp given. */
	const char *session_id;
	const char *session_title;
	const char *instructor_name;
	const char *instructor_email;
	const char *statement_id; /* NULL: a fresh version 4 UUID */
	const char *timestamp;    /* NULL: now */
};

/* The category of statements from SCORM packages (ADL's SCORM profile for xAPI). */
#define RELAIS_XAPI_SCORM_PROFILE "https://w3id.org/xapi/scorm"

/* The result extension of a quiz submitted past its deadline (docs/statements.md). */
#define RELAIS_XAPI_LATE "https://relais.invalid/xapi/extensions/late"

/*
 * Makes a statement with a fresh UUID and the current time. Sets *out_json
 * (malloc'd) and out_id (36 characters and NUL). Returns 0 or RELAIS_ENOMEM.
 */
int relais_statement_make(char **out_json, char out_id[37], relais_ctx *ctx,
                          const struct relais_event *ev);

/*
 * The id of the statement that says the person with this email attended
 * the session whose activity IRI is session_iri: a version 5 UUID (SHA-1,
 * RFC 4122) of "<session IRI> mailto:<email, lower-case>" in the URL
 * namespace, so that recording the same person twice gives the same id.
 * Returns 0, or -1 when the name is too long.
 */
int relais_statement_attended_id(char out[37], const char *session_iri, const char *email);

/* The activity IRI of a course's live session: <course IRI>/session/<session id>. */
int relais_session_iri(char *out, size_t size, const char *course_id, const char *session_id);

/* A fresh random (version 4) UUID in lower case. */
void relais_statement_uuid(char out[37]);

/* s seconds as an ISO 8601 duration with centiseconds, as xAPI asks ("PT1M2.34S"). */
void relais_statement_duration(char out[48], double s);

/* The IRI of a verb's short name, e.g. http://adlnet.gov/expapi/verbs/passed. */
const char *relais_verb_iri(const char *verb);

#endif
