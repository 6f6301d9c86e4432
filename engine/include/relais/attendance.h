/* attendance.h: who came to a live session, recorded by a trainer as xAPI statements. */
#ifndef RELAIS_ATTENDANCE_H
#define RELAIS_ATTENDANCE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"
#include "relais/manifest.h"
#include "relais/profile.h"
#include "relais/session.h"

#define RELAIS_ATTENDEES_MAX 1000 /* people recorded at one save */

/* One person who came: a profile of this laptop or someone typed in. */
struct relais_attendee {
	const char *name;
	const char *email;
	const char *org; /* NULL or "": none */
};

/*
 * The people a trainer may tick for course_id: the laptop's learner
 * profiles (trainers' left out), those of the course's audience in the last
 * catalogue first (or, when it names none, those of the trainer's
 * organisation), then the others, each part by name. *n_first says how many
 * lead. Free with relais_profile_list_free().
 */
int relais_attendance_roster(struct relais_profile **out, size_t *n, size_t *n_first,
                             relais_home *home, relais_ctx *ctx, int64_t trainer_id,
                             const char *course_id);

/*
 * The people already recorded as present at session s (from the outbox,
 * sent or not), by name; only name, email and org are set. Free with
 * relais_profile_list_free().
 */
int relais_attendance_list(struct relais_profile **out, size_t *n, relais_home *home,
                           relais_ctx *ctx, const char *course_id, const struct relais_session *s);

/*
 * Records that people came to session s of the course m by the trainer
 * trainer_id (docs/statements.md, "Attendance"): one `attended` statement
 * per person into the outbox, all in one transaction. A statement's id
 * comes from the session and the person's email, so a person recorded
 * before adds nothing; *added counts the new statements. Returns 0,
 * RELAIS_EINVAL (not a trainer's profile; a person without a name or with a
 * malformed email, named by their position from 1: nothing is written),
 * RELAIS_ELIMIT (more than RELAIS_ATTENDEES_MAX), or a database status.
 */
int relais_attendance_record(size_t *added, relais_home *home, relais_ctx *ctx, int64_t trainer_id,
                             const relais_manifest *m, const struct relais_session *s,
                             const struct relais_attendee *people, size_t n);

#endif
