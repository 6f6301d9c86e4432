/* course.h: a course source folder, checked and rendered, ready to pack. */
#ifndef RELAIS_COURSE_H
#define RELAIS_COURSE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/diag.h"
#include "relais/rotation.h"
#include "relais/key.h"

#define RELAIS_COURSE_JSON_MAX (1024 * 1024)
#define RELAIS_LESSON_MAX (1024 * 1024)
#define RELAIS_MEDIA_MAX_DEFAULT (20u * 1024 * 1024)

struct relais_course_options {
	size_t max_media_size; /* bytes; 0 means RELAIS_MEDIA_MAX_DEFAULT */
	int threads;           /* for compression; 0 means one per core */
	int level;             /* deflate level 1-12; 0 means 12, the smallest */
	int check_rendered;    /* also pass each rendered lesson through the reader's
	                          allow-list (relais pack --check): a check on the
	                          packer itself, whose Markdown output never needs it */
	relais_diag *warnings; /* where warnings go (a cmi5 AU on the network); NULL drops
	                          them. Warnings do not stop loading. */
	const struct relais_rotation *rotations; /* records the bundle carries (relais pack
	                                            --rotation), borrowed; none when 0 */
	size_t n_rotations;
};

typedef struct relais_course relais_course;

/*
 * Reads the course in src_dir: course.json, every lesson (rendered to HTML),
 * every quiz (GIFT, checked and turned into quiz JSON) and every picture or
 * file a lesson links to. Every authoring problem is added to diag as
 * "file:line: message" and loading goes on, so one run finds them all.
 *
 * Returns 0 and *out when there is no problem; RELAIS_EFORMAT when diag holds
 * problems (*out NULL); RELAIS_ENOMEM or RELAIS_EIO on failures of this
 * machine rather than of the course.
 */
int relais_course_load(relais_course **out, relais_ctx *ctx, relais_diag *diag, const char *src_dir,
                       const struct relais_course_options *opt);

/* Frees a course; accepts NULL. */
void relais_course_free(relais_course *c);

/* The course id and version from course.json. */
const char *relais_course_id(const relais_course *c);
uint64_t relais_course_version(const relais_course *c);

/*
 * Builds the bundle (docs/bundle-format.md) and writes it to out_path
 * atomically: the file appears whole or not at all. Deterministic: the same
 * course and key give the same bytes. Returns 0 or a negative status.
 */
int relais_course_pack(relais_ctx *ctx, const relais_course *c, const relais_seckey *key,
                       const char *out_path, const struct relais_course_options *opt);

/* What `relais pack PKG.zip` takes from flags rather than from the package. */
struct relais_package_options {
	const char *id;       /* course and unit id; NULL: from the manifest's identifier */
	const char *title;    /* NULL: from the manifest */
	const char *language; /* NULL: from the manifest */
	uint64_t version;     /* 0 means 1 */
};

/*
 * Makes a one-unit course from a SCORM 1.2, SCORM 2004 or cmi5 package (a
 * ZIP file or a folder; docs/authoring.md): the package's files go into the
 * bundle under packages/<id>/, its launch information into the manifest.
 * Returns like relais_course_load().
 */
int relais_course_load_package(relais_course **out, relais_ctx *ctx, relais_diag *diag,
                               const char *pkg_path, const struct relais_package_options *popt,
                               const struct relais_course_options *opt);

/* Whether path is a package (a file, or a folder with imsmanifest.xml or cmi5.xml and no
 * course.json). */
int relais_course_is_package(const char *path);

#endif
