/* course_private.h: what a loaded course holds, shared by course.c and pack.c. */
#ifndef RELAIS_COURSE_PRIVATE_H
#define RELAIS_COURSE_PRIVATE_H

#include "relais/course.h"
#include "relais/manifest.h"

/* One future bundle entry, with its bytes in memory. */
struct course_entry {
	char *path;
	unsigned char *data;
	size_t len;
};

struct relais_course {
	relais_manifest *m; /* metadata and units; entries are filled by pack */
	struct course_entry *entries;
	size_t n_entries, cap_entries;
};

/* Adds an entry to c, taking data (freed on failure). Returns 0 or RELAIS_ENOMEM. */
int relais_packager_add_entry(relais_course *c, const char *path, unsigned char *data, size_t len);

/* A SCORM or cmi5 package read and checked, not yet placed in a course (package.c). */
struct relais_packager_pkg {
	struct relais_package *p; /* launch paths relative to the package's root */
	struct relais_archive *a; /* its files */
	const char *id;           /* the manifest's identifier, borrowed from p */
	char *title;              /* from the manifest; NULL when it has none */
	char *language;           /* likewise */
};

/*
 * Reads the package at pkg_path (a ZIP file or a folder) and its manifest.
 * Problems go to diag as "file:line: message" (RELAIS_EFORMAT), warnings
 * (a cmi5 AU on the network) to warn when not NULL. RELAIS_ENOMEM, RELAIS_EIO
 * on failures of this machine. *out is cleared with relais_packager_pkg_clear.
 */
int relais_packager_read_package(struct relais_packager_pkg *out, relais_ctx *ctx,
                                 relais_diag *diag, relais_diag *warn, const char *pkg_path,
                                 size_t max_file);

/*
 * Moves a read package's files into c under "prefix/" and gives its launch
 * information with launch paths made bundle paths (*out is the caller's).
 */
int relais_packager_place_package(struct relais_package **out, relais_course *c, relais_ctx *ctx,
                                  relais_diag *diag, struct relais_packager_pkg *pkg,
                                  const char *pkg_path, const char *prefix);

void relais_packager_pkg_clear(struct relais_packager_pkg *pkg);

#endif
