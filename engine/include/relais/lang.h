/* lang.h: choosing an interface language from a browser's wishes, and writing dates in it. */
#ifndef RELAIS_LANG_H
#define RELAIS_LANG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The index in codes[0..n) of a language code ("pt", "pt-BR", "PT_br": a
 * region is ignored, case too); -1 when it is none of them or NULL.
 */
int relais_lang_find(const char *const *codes, int n, const char *code);

/*
 * The index in codes[0..n) of the language an Accept-Language header
 * (RFC 9110: "fr-CH, fr;q=0.9, en;q=0.5") prefers: the one of highest
 * q-value, the earlier on a tie; 0 (the fallback) when none is wanted or
 * the header is NULL.
 */
int relais_lang_pick(const char *const *codes, int n, const char *accept_language);

/*
 * Writes a date ("YYYY-MM-DD", or a timestamp starting with one) through
 * format, a printf format taking the day (int), the month's name and the
 * year (int) in that order ("%d %s %d", "%d de %s de %d"), months[0..12)
 * naming the months. The rest of a timestamp follows after a space ("T" is
 * dropped). Text that does not start with a valid date is copied as it is.
 * Always NUL-terminates out (size > 0).
 */
void relais_lang_date(char *out, size_t size, const char *format, const char *const months[12],
                      const char *date);

/*
 * vsnprintf with a catalogue's format (checked at build time against the
 * English text's conversions); out is "" if it fails. size > 0.
 */
void relais_lang_vformat(char *out, size_t size, const char *format, va_list ap);

#endif
