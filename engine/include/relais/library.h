/* library.h: installed courses: install, list, open, remove, search. */
#ifndef RELAIS_LIBRARY_H
#define RELAIS_LIBRARY_H

#include <stddef.h>
#include <stdint.h>

#include "relais/bundle.h"
#include "relais/home.h"

enum relais_install_outcome {
	RELAIS_INSTALLED = 1, /* new course */
	RELAIS_UPGRADED = 2,  /* replaced a lower version */
	RELAIS_UNCHANGED = 3, /* the same version was already installed */
};

struct relais_install_result {
	int outcome;
	char id[RELAIS_ID_MAX + 1];
	uint64_t version;
	uint64_t old_version; /* when upgraded */
};

/*
 * Installs a bundle: it must be signed by a trusted key that no hub revoked,
 * or by a key the bundle's rotation records lead to from one (recorded in
 * the trust store with the course), and check out byte for byte; a version lower than the installed
 * one is refused (rollback), the same version is a no-op, a higher one replaces the old and keeps
 * the learners' progress on units whose ids remain. The bundle is copied into the library
 * atomically and its lessons are indexed for search, in one transaction. On failure nothing
 * changes.
 */
int relais_library_install(struct relais_install_result *out, relais_home *home, relais_ctx *ctx,
                           const char *bundle_path);

struct relais_course_info {
	char *id;
	uint64_t version;
	char *title;
	char *language;
	char *summary;
	char *signer;
	char *file; /* the bundle in the library */
	unsigned estimated_minutes;
	unsigned n_units;
	int publisher_revoked; /* a hub revoked the key that signed it: kept, not updated */
};

/* Frees the strings of one course description; accepts a zeroed one. */
void relais_course_info_clear(struct relais_course_info *c);

/* Installed courses, by title. Free with relais_course_info_free(). */
int relais_library_list(struct relais_course_info **out, size_t *n, relais_home *home,
                        relais_ctx *ctx);
void relais_course_info_free(struct relais_course_info *c, size_t n);

/* One installed course, or RELAIS_ENOTFOUND. */
int relais_library_get(struct relais_course_info *out, relais_home *home, relais_ctx *ctx,
                       const char *course_id);

/*
 * Opens an installed course's bundle, checking its signature against the
 * trust store again (the library folder is not trusted either).
 */
int relais_library_open(relais_bundle **out, relais_home *home, relais_ctx *ctx,
                        const char *course_id);

/* Removes a course, its file, its index and its learners' progress. */
int relais_library_remove(relais_home *home, relais_ctx *ctx, const char *course_id);

struct relais_search_hit {
	char *course_id;
	char *course_title;
	char *unit_id;
	char *unit_title;
	char *snippet_html; /* escaped text with <mark>...</mark> around matches */
};

/*
 * Full-text search over every installed lesson (accents and case ignored).
 * At most limit hits, best first. Free with relais_search_free().
 */
int relais_library_search(struct relais_search_hit **out, size_t *n, relais_home *home,
                          relais_ctx *ctx, const char *query, size_t limit);
void relais_search_free(struct relais_search_hit *hits, size_t n);

#endif
