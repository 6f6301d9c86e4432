/* scorm.h: what a SCORM 1.2 or 2004 player commits, checked and read (docs/reader.md, "Packages").
 */
#ifndef RELAIS_SCORM_H
#define RELAIS_SCORM_H

#include <stddef.h>

#include "relais/context.h"

/* cmi.suspend_data limits, in characters: SCORM 1.2 (CMIString4096), 2004 (SPM 64000). */
#define RELAIS_SCORM12_SUSPEND_MAX 4096
#define RELAIS_SCORM2004_SUSPEND_MAX 64000
/* cmi.core.lesson_location (1.2, CMIString255) and cmi.location (2004, SPM 1000). */
#define RELAIS_SCORM12_LOCATION_MAX 255
#define RELAIS_SCORM2004_LOCATION_MAX 1000
/* A commit's JSON body, the whole data model with interactions and objectives. */
#define RELAIS_SCORM_COMMIT_MAX (512u * 1024u)

/* What one commit says, read from its data model. */
struct relais_scorm_commit {
	int completion; /* -1 unknown, 0 incomplete, 1 completed */
	int success;    /* -1 unknown, 0 failed, 1 passed */
	int has_score;
	double scaled, raw, min, max; /* max 0 when not given */
	int suspended;                /* cmi.exit (cmi.core.exit) is "suspend" */
	double session_s;             /* cmi.session_time in seconds; -1 unknown */
	char *cmi;                    /* {"cmi": ...} as compact JSON, to keep and restore */
};

/*
 * Checks a commit's body (len bytes of JSON: {"cmi": {...}} as scorm-again
 * sends it) for standard (RELAIS_PACKAGE_SCORM12 or _SCORM2004) and reads
 * it into out. Returns 0, RELAIS_EFORMAT (not that JSON; the message names
 * the field), RELAIS_ELIMIT (suspend data or location over the version's
 * limit, or the body over RELAIS_SCORM_COMMIT_MAX), RELAIS_ENOMEM. out->cmi
 * belongs to the caller (relais_scorm_commit_clear).
 */
int relais_scorm_commit_parse(struct relais_scorm_commit *out, relais_ctx *ctx, int standard,
                              const char *json, size_t len);

/* Frees what a commit holds; accepts one already cleared. */
void relais_scorm_commit_clear(struct relais_scorm_commit *c);

#endif
