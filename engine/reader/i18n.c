/* i18n.c: the reader's interface words, from the tables po2c.py makes of po/reader. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "relais/lang.h"

const char *relais_tr(enum lang lang, enum msg msg)
{
	const char *s;

	if ((unsigned)lang >= LANG_COUNT || (unsigned)msg >= M_COUNT) {
		return "";
	}
	s = relais_reader_words[lang][msg];
	return s ? s : "";
}

const char *relais_tr_n(enum lang lang, enum msg msg, unsigned long n)
{
	unsigned slot;
	const char *s;

	if ((unsigned)lang >= LANG_COUNT || (unsigned)msg >= M_COUNT) {
		return "";
	}
	slot = relais_reader_plural_slot[msg];
	if (slot == 0) {
		return relais_tr(lang, msg);
	}
	s = relais_reader_plural_words[lang][slot - 1][relais_reader_plural_form(lang, n)];
	return s ? s : relais_tr(lang, msg);
}

const char *relais_lang_code(enum lang lang)
{
	return (unsigned)lang < LANG_COUNT ? relais_reader_lang_codes[lang] : "en";
}

int relais_lang_rtl(enum lang lang)
{
	return strcmp(relais_tr(lang, M_LANG_DIR), "rtl") == 0;
}

int relais_lang_from_code(const char *code)
{
	return relais_lang_find(relais_reader_lang_codes, LANG_COUNT, code);
}

enum lang relais_lang_from_header(const char *h)
{
	return (enum lang)relais_lang_pick(relais_reader_lang_codes, LANG_COUNT, h);
}

void relais_tr_format(char *out, size_t size, enum lang lang, enum msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	relais_lang_vformat(out, size, relais_tr(lang, msg), ap);
	va_end(ap);
}

void relais_tr_nformat(char *out, size_t size, enum lang lang, enum msg msg, unsigned long n, ...)
{
	va_list ap;

	va_start(ap, n);
	relais_lang_vformat(out, size, relais_tr_n(lang, msg, n), ap);
	va_end(ap);
}

void relais_tr_date(char *out, size_t size, enum lang lang, const char *date)
{
	/* MONTH_1 to MONTH_12 follow each other in the template. */
	relais_lang_date(
	        out, size, relais_tr(lang, M_DATE),
	        &relais_reader_words[(unsigned)lang < LANG_COUNT ? lang : LANG_EN][M_MONTH_1],
	        date);
}
