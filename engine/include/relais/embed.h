/* embed.h: web files (HTML, CSS, JS) compiled into a program by engine/embed.py. */
#ifndef RELAIS_EMBED_H
#define RELAIS_EMBED_H

#include <stddef.h>

struct relais_embedded_file {
	const char *name;          /* the file's base name, e.g. "style.css" */
	const char *type;          /* its Content-Type */
	const unsigned char *data; /* NUL after the last byte */
	size_t len;
};

/* The file called name in files (which ends with a NULL name), or NULL. */
const struct relais_embedded_file *relais_embedded_find(const struct relais_embedded_file *files,
                                                        const char *name);

#endif
