/* embed.c: finding a file among those compiled in by engine/embed.py. */
#include <string.h>

#include "relais/embed.h"

const struct relais_embedded_file *relais_embedded_find(const struct relais_embedded_file *files,
                                                        const char *name)
{
	const struct relais_embedded_file *f;

	for (f = files; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0) {
			return f;
		}
	}
	return NULL;
}
