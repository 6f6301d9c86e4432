/* utf8.h: UTF-8 validation for names and texts that come from outside. */
#ifndef RELAIS_UTF8_H
#define RELAIS_UTF8_H

#include <stddef.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, no NUL). */
int relais_utf8_valid(const char *s, size_t len);

/*
 * Copies in to out (size bytes, always NUL-terminated) with every control
 * character, backslash and byte of invalid UTF-8 written as \xNN, so a name
 * taken from an untrusted file can be shown on a terminal safely.
 */
void relais_printable(char *out, size_t size, const char *in);

#endif
