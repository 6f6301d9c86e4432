/* progress_private.h: what progress.c shares with the engine's other recorders (cmi5.c). */
#ifndef RELAIS_PROGRESS_PRIVATE_H
#define RELAIS_PROGRESS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"

/*
 * Puts a statement made elsewhere (json, its id, a verb's short name and
 * its object's name for people) into the outbox. Inside the caller's
 * transaction. Returns 0 or the database's status.
 */
int relais_progress_outbox_add(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                               const char *id, const char *verb, const char *object,
                               const char *json);

/* What one package item (SCORM SCO, cmi5 AU) stands at now. */
struct relais_package_mark {
	int completion; /* -1 unknown, 0, 1 */
	int success;    /* -1 unknown, 0 failed, 1 passed */
	int done;       /* -1: completed or passed and not failed; else as given */
	int has_score;
	double scaled;
	const char *cmi; /* the data model to keep; NULL keeps the last one ("{}" at first) */
};

/*
 * Keeps item_id's state (package_state) and the unit's progress row: the
 * unit is started, and done once n_items of its items are done (*out_done).
 * Inside the caller's transaction; records no statement.
 */
int relais_progress_package_mark(int *out_done, relais_home *home, relais_ctx *ctx,
                                 int64_t profile_id, const char *course_id, const char *unit_id,
                                 const char *item_id, size_t n_items,
                                 const struct relais_package_mark *m);

/*
 * Records the course's completion (and its statement) the first time every
 * unit is done. Inside the caller's transaction; sets *out_completed.
 */
int relais_progress_course_check(int *out_completed, relais_home *home, relais_ctx *ctx,
                                 int64_t profile_id, const char *course_id);

#endif
