/* archive.h: read a foreign package (a ZIP file or a folder) into memory, safely. */
#ifndef RELAIS_ARCHIVE_H
#define RELAIS_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

/*
 * Bundles are written by relais in one canonical ZIP form (relais/zip.h);
 * packages made by authoring tools (SCORM, cmi5) are not: they use ZIP64,
 * data descriptors, backslashes in names, directory entries. This module
 * reads them with libarchive, and reads folders the same way, so a package
 * can be given either way. Every limit below holds while inflating: reading
 * stops as soon as one would pass (decompression bombs never fill memory).
 */

/* Defaults, documented in docs/authoring.md. */
#define RELAIS_ARCHIVE_MAX_TOTAL (1024ull * 1024 * 1024) /* bytes, all files inflated */
#define RELAIS_ARCHIVE_MAX_FILES 10000
#define RELAIS_ARCHIVE_MAX_RATIO 100 /* inflated bytes per byte of the ZIP file ... */
#define RELAIS_ARCHIVE_RATIO_FLOOR (16ull * 1024 * 1024) /* ... once past this many bytes */

struct relais_archive_limits {
	uint64_t max_total; /* 0: RELAIS_ARCHIVE_MAX_TOTAL */
	uint64_t max_file;  /* one file, inflated; 0: max_total */
	size_t max_files;   /* 0: RELAIS_ARCHIVE_MAX_FILES */
	unsigned max_ratio; /* 0: RELAIS_ARCHIVE_MAX_RATIO */
};

/* One regular file of the package. */
struct relais_archive_file {
	char *path; /* normalised: relative, '/' separated, no '.' or '..' component */
	unsigned char *data;
	size_t len;
};

typedef struct relais_archive {
	struct relais_archive_file *files; /* in ascending byte order of path */
	size_t n_files;
	int is_folder; /* read from a folder rather than a ZIP file */
} relais_archive;

/*
 * Reads every regular file of the ZIP file or folder at path into memory.
 * Directory entries are skipped; names are normalised (a leading "./"
 * dropped, '\' read as '/'). Refused with RELAIS_EFORMAT and a one-line
 * message naming the entry: an absolute name or one with a ".." component,
 * a name that is not UTF-8 or not a safe bundle path, a name given twice, a
 * symlink or other special file, an encrypted entry, an archive libarchive
 * cannot read. RELAIS_ELIMIT when a limit would be passed (the message
 * says which, with the limit), RELAIS_ENOTFOUND, RELAIS_EIO, RELAIS_ENOMEM.
 * *out belongs to the caller (relais_archive_free).
 */
int relais_archive_read(relais_archive **out, relais_ctx *ctx, const char *path,
                        const struct relais_archive_limits *limits);

/* Finds a file by its normalised path; borrowed from a, NULL when absent. */
const struct relais_archive_file *relais_archive_find(const relais_archive *a, const char *path);

/* Frees what relais_archive_read() gave; accepts NULL. */
void relais_archive_free(relais_archive *a);

#endif
