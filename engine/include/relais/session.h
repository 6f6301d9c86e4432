/* session.h: a course's live sessions: checking them, time zones, calendar (.ics) files. */
#ifndef RELAIS_SESSION_H
#define RELAIS_SESSION_H

#include <stddef.h>

#include "relais/context.h"
#include "relais/manifest.h"

#define RELAIS_SESSIONS_MAX 200       /* sessions of one course */
#define RELAIS_SESSION_BEFORE_MAX 100 /* units named in one session's before */
#define RELAIS_TZ_NAME_MAX 128

/*
 * One live session (docs/bundle-format.md, "Sessions"). Strings are
 * malloc'd and belong to the struct (relais_session_clear). start and end
 * are wall-clock times in timezone, "YYYY-MM-DDTHH:MM" (":SS" allowed).
 */
struct relais_session {
	char *course;   /* the course id: in the catalogue and on the laptop; NULL in a manifest */
	char *id;       /* unique in its course, by the course id rule */
	char *title;    /* non-empty */
	char *start;    /* wall-clock time in timezone */
	char *end;      /* after start */
	char *timezone; /* an IANA name known to the tz database: "Africa/Dakar" */
	char *place;    /* where it happens; NULL for an online session */
	char *online;   /* an http(s) URL; NULL for a session in a place */
	char *trainer;  /* may be NULL */
	char **before;  /* unit ids to finish before */
	size_t n_before;
	int cancelled; /* the hub cancelled it (catalogue only) */
	char *cohort;  /* the id of the cohort it belongs to (catalogue only); NULL: the course's */
};

/*
 * The activity IRI of a course's live session, <course IRI>/session/<session
 * id>, the object of its attended statements. 0, or -1 when size is too small.
 */
int relais_session_iri(char *out, size_t size, const char *course_id, const char *session_id);

/* Frees what s holds and zeroes it; accepts NULL. */
void relais_session_clear(struct relais_session *s);

/* Deep copy of src into *dst (zeroed first). 0 or RELAIS_ENOMEM. */
int relais_session_copy(struct relais_session *dst, relais_ctx *ctx,
                        const struct relais_session *src);

/*
 * Checks a session against the rules of docs/bundle-format.md: every field,
 * the time zone in this machine's tz database, end after start, and, when m
 * is not NULL, every id of before a unit of m. Returns 0, or RELAIS_EFORMAT
 * with a message that starts with the field's name ("end 2027-01-01T09:00 is
 * not after start ...") and *field (when not NULL) set to that name.
 */
int relais_session_check(relais_ctx *ctx, const struct relais_session *s, const relais_manifest *m,
                         const char **field);

/* Whether name is a zone of this machine's tz database ($TZDIR or /usr/share/zoneinfo). */
int relais_tz_known(const char *name);

/*
 * Milliseconds since the epoch of the wall-clock time `local`
 * ("YYYY-MM-DDTHH:MM[:SS]") in zone tz, or -1 when either is malformed or
 * the time does not exist there (skipped by a change to summer time). A
 * time that happens twice there (the hour repeated when summer time ends)
 * gives its first occurrence. Safe to call from several threads: it never
 * sets TZ or any other environment variable.
 */
long long relais_tz_to_utc(const char *tz, const char *local);

/* A moment as a clock in some zone shows it. */
struct relais_local_time {
	int year, month, day, hour, minute;
	int weekday;     /* 0 Sunday */
	long utc_offset; /* seconds east of UTC */
	char zone[16];   /* the tz database's abbreviation: "CET", "-03" */
};

/*
 * Converts ms since the epoch to the wall clock of zone tz, or of this
 * machine (the TZ variable, else /etc/localtime) when tz is NULL.
 * Returns 0 or -1. Safe to call from several threads.
 */
int relais_tz_local(struct relais_local_time *out, long long ms, const char *tz);

/*
 * Writes an iCalendar object (RFC 5545) for the session: one VEVENT with
 * times in UTC, CRLF line endings, lines folded at 75 octets, text escaped.
 * course_title may be NULL; now_ms stamps it (DTSTAMP). *out is malloc'd.
 * Returns 0, RELAIS_EFORMAT (a time that does not convert), RELAIS_ENOMEM.
 */
int relais_session_ics(char **out, size_t *out_len, relais_ctx *ctx, const struct relais_session *s,
                       const char *course_title, long long now_ms);

#endif
