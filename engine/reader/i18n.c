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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void relais_tr_format(char *out, size_t size, enum lang lang, enum msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	if (vsnprintf(out, size, relais_tr(lang, msg), ap) < 0 && size > 0) {
		out[0] = '\0';
	}
	va_end(ap);
}
#pragma GCC diagnostic pop

void relais_tr_date(char *out, size_t size, enum lang lang, const char *date)
{
	const char *months[12];
	int i;

	/* MONTH_1 to MONTH_12 follow each other in the template. */
	for (i = 0; i < 12; i++) {
		months[i] = relais_tr(lang, (enum msg)(M_MONTH_1 + i));
	}
	relais_lang_date(out, size, relais_tr(lang, M_DATE), months, date);
}
