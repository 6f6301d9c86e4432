/* utf8.h: UTF-8 validation for names and texts that come from outside. */
#ifndef RELAIS_UTF8_H
#define RELAIS_UTF8_H

#include <stddef.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, no NUL). */
int relais_utf8_valid(const char *s, size_t len);

#endif
