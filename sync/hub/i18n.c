/* i18n.c: the coordinators' pages in five languages, from the tables po2c.py makes of po/hub. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hub_private.h"
#include "relais/lang.h"

const char *relais_hub_tr(enum hub_lang lang, enum hub_msg msg)
{
	const char *s;

	if ((unsigned)lang >= HUB_LANG_COUNT || (unsigned)msg >= HUB_M_COUNT) {
		return "";
	}
	s = relais_hub_words[lang][msg];
	return s ? s : "";
}

const char *relais_hub_tr_key(enum hub_lang lang, const char *key, size_t len)
{
	int m;

	for (m = 0; m < HUB_M_COUNT; m++) {
		if (strlen(relais_hub_keys[m]) == len &&
		    strncmp(relais_hub_keys[m], key, len) == 0) {
			return relais_hub_tr(lang, (enum hub_msg)m);
		}
	}
	return NULL;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void relais_hub_tr_format(char *out, size_t size, enum hub_lang lang, enum hub_msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	if (vsnprintf(out, size, relais_hub_tr(lang, msg), ap) < 0 && size > 0) {
		out[0] = '\0';
	}
	va_end(ap);
}
#pragma GCC diagnostic pop

const char *relais_hub_lang_code(enum hub_lang lang)
{
	return (unsigned)lang < HUB_LANG_COUNT ? relais_hub_lang_codes[lang] : "en";
}

enum hub_lang relais_hub_lang_choose(const char *asked, const char *kept, const char *accept)
{
	int l = relais_lang_find(relais_hub_lang_codes, HUB_LANG_COUNT, asked);

	if (l < 0) {
		l = relais_lang_find(relais_hub_lang_codes, HUB_LANG_COUNT, kept);
	}
	if (l < 0) {
		l = relais_lang_pick(relais_hub_lang_codes, HUB_LANG_COUNT, accept);
	}
	return (enum hub_lang)l;
}

void relais_hub_tr_date(char *out, size_t size, enum hub_lang lang, const char *date)
{
	const char *months[12];
	int i;

	/* MONTH_1 to MONTH_12 follow each other in the template. */
	for (i = 0; i < 12; i++) {
		months[i] = relais_hub_tr(lang, (enum hub_msg)(HUB_M_MONTH_1 + i));
	}
	relais_lang_date(out, size, relais_hub_tr(lang, HUB_M_DATE), months, date);
}
