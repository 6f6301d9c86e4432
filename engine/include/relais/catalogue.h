/* catalogue.h: the hub's signed list of published courses (docs/catalogue.md). */
#ifndef RELAIS_CATALOGUE_H
#define RELAIS_CATALOGUE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/hash.h"
#include "relais/key.h"
#include "relais/rotation.h"
#include "relais/session.h"

#define RELAIS_CATALOGUE_MAX_BYTES (4u << 20)
#define RELAIS_CATALOGUE_MAX_COURSES 10000
#define RELAIS_CATALOGUE_UNTRUSTED_COMMENT "relais catalogue signature"
#define RELAIS_CATALOGUE_MAX_COHORTS 1000
#define RELAIS_COHORT_MAX_MEMBERS 20000
#define RELAIS_COHORT_MAX_ASSIGNMENTS 200

struct relais_catalogue_delta {
	uint64_t from_version;
	char from_sha256[RELAIS_SHA256_HEX];
	uint64_t size;
	char sha256[RELAIS_SHA256_HEX];
};

struct relais_catalogue_course {
	char *id;
	uint64_t version;
	char *title;
	char *language;
	uint64_t size;
	char sha256[RELAIS_SHA256_HEX];
	char publisher[RELAIS_KEYID_HEX];
	char **audience; /* organisation names; none: everyone */
	size_t n_audience;
	int required;
	char *due;       /* YYYY-MM-DD, or NULL */
	char *published; /* ISO 8601 UTC */
	struct relais_catalogue_delta *deltas;
	size_t n_deltas;
};

struct relais_catalogue_publisher {
	char key[RELAIS_KEYID_HEX];
	char *name;
};

/* A publisher key the hub says laptops must stop trusting. */
struct relais_catalogue_revoked {
	char key[RELAIS_KEYID_HEX];
	char *date;   /* ISO 8601 UTC */
	char *reason; /* may be empty */
};

/* A course a cohort must take, by a date (docs/catalogue.md, "Cohorts"). */
struct relais_catalogue_assignment {
	char *course;
	char *due; /* YYYY-MM-DD, or NULL */
};

/*
 * A group of learners the hub assigns courses to. Members are not named:
 * each is relais_cohort_member_hash() of the cohort's id and their email.
 */
struct relais_catalogue_cohort {
	char *id; /* what a live session names to belong to this cohort */
	char *name;
	char *organisation;
	int everyone; /* every learner whose organisation is this one is a member too */
	char (*members)[RELAIS_SHA256_HEX]; /* ascending */
	size_t n_members;
	struct relais_catalogue_assignment *assignments; /* ascending by course */
	size_t n_assignments;
};

struct relais_catalogue {
	uint64_t serial;
	char *issued;  /* ISO 8601 UTC */
	char *expires; /* ISO 8601 UTC */
	char hub_key[RELAIS_KEYID_HEX];
	struct relais_catalogue_publisher *publishers;
	size_t n_publishers;
	struct relais_catalogue_course *courses; /* ascending by id */
	size_t n_courses;
	struct relais_rotation *rotations; /* publisher keys endorsing successors */
	size_t n_rotations;
	struct relais_catalogue_revoked *revoked;
	size_t n_revoked;
	struct relais_session *sessions; /* ascending by course, then id; cancelled ones kept */
	size_t n_sessions;
	struct relais_catalogue_cohort *cohorts; /* ascending by id; none: the member is left out */
	size_t n_cohorts;
};

/*
 * Parses catalogue.json bytes (no signature check): every rule of
 * docs/catalogue.md. `name` names the source in messages. Returns 0,
 * RELAIS_EFORMAT, RELAIS_ELIMIT or RELAIS_ENOMEM.
 */
int relais_catalogue_parse(struct relais_catalogue **out, relais_ctx *ctx, const char *json,
                           size_t len, const char *name);

/*
 * Writes cat as catalogue.json bytes, compact and in the documented member
 * order (*out malloc'd, NUL-terminated, *out_len without the NUL). Courses
 * must be ascending by id. Returns 0, RELAIS_EINVAL or RELAIS_ENOMEM.
 */
int relais_catalogue_write(char **out, size_t *out_len, relais_ctx *ctx,
                           const struct relais_catalogue *cat);

/* Signs catalogue bytes with the hub key: the .minisig text (*sig malloc'd). */
int relais_catalogue_sign(char **sig, size_t *sig_len, relais_ctx *ctx, const relais_seckey *hub,
                          const char *json, size_t len, uint64_t serial);

/*
 * Checks sig over json with the hub key, its trusted comment against the
 * serial, and parses. Returns 0, RELAIS_ESIGNATURE, RELAIS_EFORMAT,
 * RELAIS_ELIMIT, RELAIS_ENOMEM.
 */
int relais_catalogue_verify(struct relais_catalogue **out, relais_ctx *ctx,
                            const relais_pubkey *hub, const char *json, size_t len, const char *sig,
                            size_t sig_len);

/* The course with this id, or NULL. */
const struct relais_catalogue_course *relais_catalogue_find(const struct relais_catalogue *cat,
                                                            const char *id);

/*
 * A cohort member's hash: hex SHA-256 of "relais-cohort-member\n<cohort
 * id>\n<email with ASCII letters lower-cased>".
 */
void relais_cohort_member_hash(char out[RELAIS_SHA256_HEX], const char *cohort_id,
                               const char *email);

/* Whether the learner with email and org (either may be NULL) belongs to cohort co. */
int relais_cohort_has(const struct relais_catalogue_cohort *co, const char *email, const char *org);

/* The cohort with this id, or NULL. */
const struct relais_catalogue_cohort *relais_catalogue_cohort(const struct relais_catalogue *cat,
                                                              const char *id);

/* Whether course c's audience takes in organisation org (NULL: none); an empty one takes all. */
int relais_catalogue_audience_has(const struct relais_catalogue_course *c, const char *org);

/*
 * Whether course c is required of the learner with email and org: required
 * by its audience, or assigned to a cohort they belong to. *due: the
 * earliest due date among those (NULL: none), borrowed from cat.
 */
int relais_catalogue_required_of(const char **due, const struct relais_catalogue *cat,
                                 const struct relais_catalogue_course *c, const char *email,
                                 const char *org);

void relais_catalogue_free(struct relais_catalogue *cat);

#endif
