/* manifest.h: a bundle's manifest.json: what the course is and what it holds. */
#ifndef RELAIS_MANIFEST_H
#define RELAIS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/rotation.h"

struct relais_session;

#define RELAIS_MANIFEST_FORMAT 1
#define RELAIS_MANIFEST_MAX_BYTES (1024 * 1024)
#define RELAIS_MANIFEST_MAX_UNITS 1000
#define RELAIS_MANIFEST_MAX_ENTRIES 10000
#define RELAIS_MANIFEST_MAX_ROTATIONS 16
#define RELAIS_ID_MAX 64
#define RELAIS_QUIZ_MAX_ATTEMPTS 1000 /* a quiz unit's max_attempts */
#define RELAIS_QUIZ_MAX_MINUTES 1440  /* a quiz unit's time_limit_minutes: one day */

enum relais_unit_kind {
	RELAIS_UNIT_LESSON = 1,
	RELAIS_UNIT_QUIZ = 2,
	RELAIS_UNIT_PACKAGE = 3, /* a SCORM or cmi5 package (docs/bundle-format.md) */
};

/* Limits of a package unit's launch information. */
#define RELAIS_PACKAGE_MAX_ORGS 100
#define RELAIS_PACKAGE_MAX_ITEMS 1000 /* in all its organisations */
#define RELAIS_PACKAGE_MAX_LEVEL 32

enum relais_package_standard {
	RELAIS_PACKAGE_SCORM12 = 1,
	RELAIS_PACKAGE_SCORM2004 = 2,
	RELAIS_PACKAGE_CMI5 = 3,
};

/* cmi5 launchMethod. */
enum relais_cmi5_launch {
	RELAIS_CMI5_ANY_WINDOW = 0,
	RELAIS_CMI5_OWN_WINDOW = 1,
};

/* cmi5 moveOn. */
enum relais_cmi5_move_on {
	RELAIS_CMI5_NOT_APPLICABLE = 0,
	RELAIS_CMI5_PASSED = 1,
	RELAIS_CMI5_COMPLETED = 2,
	RELAIS_CMI5_COMPLETED_AND_PASSED = 3,
	RELAIS_CMI5_COMPLETED_OR_PASSED = 4,
};

/*
 * One node of a package's outline: a SCORM item, or a cmi5 AU or block.
 * Containers (SCORM items without a resource, cmi5 blocks) have no launch.
 */
struct relais_package_item {
	char *id;
	char *title;
	unsigned level;   /* depth in the outline, 0 at the top */
	char *launch;     /* a bundle entry, an http(s) URL (cmi5 only), or NULL */
	char *parameters; /* appended verbatim to the launch URL ("?a=1", "#p2"); "" */
	int sco;          /* SCORM: 1 for an SCO (uses the API), 0 for an asset */
	int has_mastery;
	double mastery_score; /* SCORM 1.2: 0-100; SCORM 2004: -1 to 1; cmi5: 0 to 1 */
	int has_completion_threshold;
	double completion_threshold; /* SCORM 2004: 0 to 1 */
	char *data_from_lms;         /* SCORM; "" when none */
	char *launch_parameters;     /* cmi5; "" when none */
	int launch_method;           /* cmi5: enum relais_cmi5_launch */
	int move_on;                 /* cmi5: enum relais_cmi5_move_on */
};

/* A SCORM organisation, or the cmi5 course. */
struct relais_package_org {
	char *id;
	char *title;
	struct relais_package_item *items; /* in outline order */
	size_t n_items;
};

struct relais_package {
	int standard;  /* enum relais_package_standard */
	char *version; /* as the package declares it: "1.2", "2004 4th Edition", "1.0" */
	char *id;      /* the SCORM manifest identifier or the cmi5 course id */
	struct relais_package_org *orgs; /* the one to play first */
	size_t n_orgs;
};

struct relais_unit {
	char *id;
	char *title;
	int kind;
	char *path;       /* the bundle entry: rendered HTML, or quiz JSON; a package's folder */
	int pass_percent; /* quizzes only */
	struct relais_package *package; /* packages only */
	/* Quizzes only (docs/bundle-format.md): "shuffle": false sets keep_order;
	 * 0 means no limit for the other two. */
	int keep_order;
	unsigned max_attempts;       /* 1..RELAIS_QUIZ_MAX_ATTEMPTS */
	unsigned time_limit_minutes; /* 1..RELAIS_QUIZ_MAX_MINUTES */
};

struct relais_manifest_entry {
	char *path;
	uint64_t size;
	unsigned char sha256[32];
};

typedef struct relais_manifest {
	int format;
	char *id;
	uint64_t version;
	char *title;
	char *language;
	char *summary;
	char **authors;
	size_t n_authors;
	unsigned estimated_minutes;
	struct relais_unit *units;
	size_t n_units;
	struct relais_manifest_entry *entries;
	size_t n_entries;
	struct relais_session *sessions; /* live sessions (relais/session.h); may be none */
	size_t n_sessions;
	struct relais_rotation *rotations; /* records endorsing the signing key; may be none */
	size_t n_rotations;
} relais_manifest;

/*
 * Parses and checks manifest JSON (len bytes). Every field is checked for
 * type and range; every entry path must be safe; units must name entries.
 * Returns 0, RELAIS_EFORMAT (the message names the field), RELAIS_ELIMIT,
 * RELAIS_ENOMEM. *out belongs to the caller (relais_manifest_free).
 */
int relais_manifest_parse(relais_manifest **out, relais_ctx *ctx, const char *json, size_t len);

/* Serialises m as the canonical compact JSON that is signed. Caller frees *out. */
int relais_manifest_to_json(char **out, size_t *out_len, relais_ctx *ctx, const relais_manifest *m);

/* Pretty-printed JSON for people. Caller frees *out. */
int relais_manifest_to_pretty_json(char **out, relais_ctx *ctx, const relais_manifest *m);

/* Finds an entry by path; borrowed from m, NULL when absent. */
const struct relais_manifest_entry *relais_manifest_entry(const relais_manifest *m,
                                                          const char *path);

/* Finds a unit by id; borrowed from m, NULL when absent. */
const struct relais_unit *relais_manifest_unit(const relais_manifest *m, const char *id);

/* Frees a package's launch information; accepts NULL. */
void relais_package_free(struct relais_package *p);

/* "scorm-1.2", "scorm-2004" or "cmi5". */
const char *relais_package_standard_name(int standard);

/* The cmi5 names: "AnyWindow", "OwnWindow"; "NotApplicable", "Passed", ... */
const char *relais_cmi5_launch_name(int launch_method);
const char *relais_cmi5_move_on_name(int move_on);

/* Frees a manifest; accepts NULL. */
void relais_manifest_free(relais_manifest *m);

/* Checks a course or unit id: 1-64 of a-z 0-9 . - starting with a letter or digit. */
int relais_id_ok(const char *id);

/* Checks a BCP 47 language tag's shape (e.g. "fr", "en-GB", "pt-BR"). */
int relais_language_ok(const char *tag);

#endif
