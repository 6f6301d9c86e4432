/* i18n.h: the reader's interface words in its five languages, from po/reader (private). */
#ifndef RELAIS_I18N_H
#define RELAIS_I18N_H

#include <stddef.h>

/* enum lang (LANG_EN first, LANG_COUNT) and enum msg (M_<key>, M_COUNT),
 * generated from po/reader by engine/po2c.py. */
#include "i18n_words.h"

/* The string for msg in lang; never NULL. Some take printf arguments. */
const char *relais_tr(enum lang lang, enum msg msg);

/*
 * Formats a message that takes arguments (the build checks that every
 * translation takes the English text's conversions, in the same order).
 * Always NUL-terminates out.
 */
void relais_tr_format(char *out, size_t size, enum lang lang, enum msg msg, ...);

/*
 * The string for msg in lang for the number n: a message with a plural
 * (msgid_plural in po/reader) has the form the language's Plural-Forms
 * picks for n ("1 lesson", "2 lessons"; Arabic has six); another message
 * is relais_tr's. Never NULL.
 */
const char *relais_tr_n(enum lang lang, enum msg msg, unsigned long n);

/* relais_tr_format with the form of msg for the number n (relais_tr_n). */
void relais_tr_nformat(char *out, size_t size, enum lang lang, enum msg msg, unsigned long n, ...);

/*
 * Writes a date ("YYYY-MM-DD", or a timestamp starting with one) as the
 * language writes it: "6 December 2026", "6 de diciembre de 2026"; the rest
 * of a timestamp (" 10:05:00") follows unchanged. Text that does not start
 * with a date is copied as it is. Digits stay Western in every language
 * (docs/reader.md says why). Always NUL-terminates out.
 */
void relais_tr_date(char *out, size_t size, enum lang lang, const char *date);

/* The language's code ("en", "ar"), for lang attributes and ?lang=. */
const char *relais_lang_code(enum lang lang);

/* True when the language is written right to left. */
int relais_lang_rtl(enum lang lang);

/* The language for a code ("es", "pt-BR": a region is ignored); -1 if none. */
int relais_lang_from_code(const char *code);

/*
 * The interface language for an Accept-Language header: the supported
 * language of highest q-value (the earlier on a tie); English when none is
 * supported or the header is NULL.
 */
enum lang relais_lang_from_header(const char *accept_language);

#endif
