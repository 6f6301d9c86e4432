/* diag.c: the list of authoring problems reported by pack --check. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/diag.h"
#include "relais/error.h"

#define DIAG_LINE_MAX 1024

struct relais_diag {
	char **items;
	size_t kept;
	size_t count;
};

int relais_diag_new(relais_diag **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : RELAIS_ENOMEM;
}

void relais_diag_free(relais_diag *diag)
{
	size_t i;

	if (diag == NULL) {
		return;
	}
	for (i = 0; i < diag->kept; i++) {
		free(diag->items[i]);
	}
	free(diag->items);
	free(diag);
}

int relais_diag_add(relais_diag *diag, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[DIAG_LINE_MAX];
	char full[DIAG_LINE_MAX + 256];
	char **items;
	char *nl;
	va_list ap;

	diag->count++;
	if (diag->kept >= RELAIS_DIAG_MAX) {
		return 0;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0) {
		(void)snprintf(full, sizeof(full), "%s:%u: %s", file, line, msg);
	} else {
		(void)snprintf(full, sizeof(full), "%s: %s", file, msg);
	}
	while ((nl = strpbrk(full, "\r\n")) != NULL) {
		*nl = ' ';
	}
	items = realloc(diag->items, (diag->kept + 1) * sizeof(*items));
	if (items == NULL) {
		return RELAIS_ENOMEM;
	}
	diag->items = items;
	items[diag->kept] = strdup(full);
	if (items[diag->kept] == NULL) {
		return RELAIS_ENOMEM;
	}
	diag->kept++;
	return 0;
}

size_t relais_diag_count(const relais_diag *diag)
{
	return diag->count;
}

const char *relais_diag_get(const relais_diag *diag, size_t i)
{
	return i < diag->kept ? diag->items[i] : NULL;
}
