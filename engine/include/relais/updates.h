/* updates.h: what the last catalogue offers this laptop, and the library's marks for a learner. */
#ifndef RELAIS_UPDATES_H
#define RELAIS_UPDATES_H

#include <stddef.h>
#include <stdint.h>

#include "relais/catalogue.h"
#include "relais/home.h"
#include "relais/manifest.h"
#include "relais/session.h"

#define RELAIS_DATE_LEN 11 /* YYYY-MM-DD and its NUL */

/* One course of the last catalogue accepted, as the Updates page shows it. */
struct relais_update_course {
	char *id;
	char *title;
	char *language;
	uint64_t version;   /* offered */
	uint64_t size;      /* of the whole bundle, bytes */
	uint64_t installed; /* the version installed; 0: not installed */
	int required;       /* required for the organisation of one of this laptop's learners */
	char due[RELAIS_DATE_LEN]; /* "" when none */
	int resumable;             /* a cut download of it waits for the next sync */
};

struct relais_updates {
	int has_catalogue; /* 0: no catalogue was ever accepted (the rest is empty) */
	uint64_t serial;
	char *fetched;                        /* when the catalogue was accepted, ISO 8601 UTC */
	char *expires;                        /* ISO 8601 UTC */
	struct relais_update_course *courses; /* the catalogue's order (by id) */
	size_t n_courses;
};

/*
 * What the last catalogue accepted from any trusted hub offers, beside what
 * is installed and what waits to resume (docs/reader.md, "Updates").
 * *out is the caller's: free with relais_updates_free(). Returns 0 (with
 * has_catalogue 0 when none was accepted yet) or a negative status.
 */
int relais_updates_get(struct relais_updates **out, relais_home *home, relais_ctx *ctx);
void relais_updates_free(struct relais_updates *u);

enum {
	RELAIS_MARK_NEW = 1u,      /* installed and never opened by this learner */
	RELAIS_MARK_UPDATED = 2u,  /* a newer version than the one this learner last opened */
	RELAIS_MARK_REQUIRED = 4u, /* required for the learner's organisation (or everyone) */
	RELAIS_MARK_OVERDUE = 8u,  /* required, due before today and not completed */
};

/* A library card's marks for one learner. */
struct relais_course_mark {
	char *course_id;
	unsigned flags;            /* RELAIS_MARK_* */
	char due[RELAIS_DATE_LEN]; /* of a required course; "" when none */
};

/*
 * The marks of every installed course for profile_id, by course id. today
 * is YYYY-MM-DD (UTC) for deciding what is overdue; NULL: the current date.
 * Free with relais_course_marks_free(). Returns 0 or a negative status.
 */
int relais_updates_marks(struct relais_course_mark **out, size_t *n, relais_home *home,
                         relais_ctx *ctx, int64_t profile_id, const char *today);
void relais_course_marks_free(struct relais_course_mark *marks, size_t n);

/* The marks of course_id in marks (from relais_updates_marks()), or NULL. */
const struct relais_course_mark *relais_course_marks_find(const struct relais_course_mark *marks,
                                                          size_t n, const char *course_id);

/*
 * Orders courses (from relais_library_list()) for one learner: required
 * ones with a due date first, earliest first, then required ones without,
 * then the rest, each group in its former order.
 */
struct relais_course_info;
void relais_updates_order(struct relais_course_info *courses, size_t n,
                          const struct relais_course_mark *marks, size_t n_marks);

/*
 * Records that profile_id opened course_id at version: it is then neither
 * new nor updated for them until a newer version is installed.
 */
int relais_updates_opened(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                          const char *course_id, uint64_t version);

/*
 * The live sessions of an installed course: those of its manifest m, then
 * those of the last catalogue accepted for course_id, which replace the
 * manifest's of the same id (a hub's change or cancellation) or add to
 * them. Each has its course set; sorted by start (UTC), a session whose
 * times do not convert here last. Free with relais_sessions_free().
 */
int relais_updates_sessions(struct relais_session **out, size_t *n, relais_home *home,
                            relais_ctx *ctx, const char *course_id, const relais_manifest *m);
void relais_sessions_free(struct relais_session *s, size_t n);

/*
 * The last catalogue accepted from a trusted hub, parsed (its signature was
 * checked when it was accepted); *out NULL when there is none. Free with
 * relais_catalogue_free().
 */
int relais_updates_catalogue(struct relais_catalogue **out, relais_home *home, relais_ctx *ctx);

#endif
