/* manifest.h: a bundle's manifest.json: what the course is and what it holds. */
#ifndef RELAIS_MANIFEST_H
#define RELAIS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

#define RELAIS_MANIFEST_FORMAT 1
#define RELAIS_MANIFEST_MAX_BYTES (1024 * 1024)
#define RELAIS_MANIFEST_MAX_UNITS 1000
#define RELAIS_MANIFEST_MAX_ENTRIES 10000
#define RELAIS_ID_MAX 64
#define RELAIS_QUIZ_MAX_ATTEMPTS 1000 /* a quiz unit's max_attempts */
#define RELAIS_QUIZ_MAX_MINUTES 1440  /* a quiz unit's time_limit_minutes: one day */

enum relais_unit_kind {
	RELAIS_UNIT_LESSON = 1,
	RELAIS_UNIT_QUIZ = 2,
};

struct relais_unit {
	char *id;
	char *title;
	int kind;
	char *path;       /* the bundle entry: rendered HTML, or quiz JSON */
	int pass_percent; /* quizzes only */
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

/* Frees a manifest; accepts NULL. */
void relais_manifest_free(relais_manifest *m);

/* Checks a course or unit id: 1-64 of a-z 0-9 . - starting with a letter or digit. */
int relais_id_ok(const char *id);

/* Checks a BCP 47 language tag's shape (e.g. "fr", "en-GB", "pt-BR"). */
int relais_language_ok(const char *tag);

#endif
