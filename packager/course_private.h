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

#endif
