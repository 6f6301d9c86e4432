/* diag.h: a list of authoring problems, each "file:line: message". */
#ifndef RELAIS_DIAG_H
#define RELAIS_DIAG_H

#include <stddef.h>

/*
 * Linting a course collects every problem instead of stopping at the first,
 * so a trainer can fix them all in one pass. At most RELAIS_DIAG_MAX are
 * kept; the count still grows past that.
 */
#define RELAIS_DIAG_MAX 1000

typedef struct relais_diag relais_diag;

/* Makes an empty list. Returns 0, or RELAIS_ENOMEM. */
int relais_diag_new(relais_diag **out);

/* Frees a list; accepts NULL. */
void relais_diag_free(relais_diag *diag);

/*
 * Adds "file:line: message" (line 0 gives "file: message").
 * Returns 0, or RELAIS_ENOMEM.
 */
int relais_diag_add(relais_diag *diag, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Number of problems added so far (may exceed the number kept). */
size_t relais_diag_count(const relais_diag *diag);

/* The i-th kept problem, borrowed until the list is freed; NULL past the end. */
const char *relais_diag_get(const relais_diag *diag, size_t i);

#endif
