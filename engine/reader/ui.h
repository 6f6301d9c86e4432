/* ui.h: the web UI's files, embedded at build time by embed.py (private). */
#ifndef RELAIS_UI_H
#define RELAIS_UI_H

#include <stddef.h>

struct ui_file {
	const char *name;
	const char *type;
	const unsigned char *data; /* NUL after the last byte */
	size_t len;
};

/* Ends with an entry whose name is NULL. */
extern const struct ui_file ui_files[];

#endif
