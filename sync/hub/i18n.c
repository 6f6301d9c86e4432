/* i18n.c: the coordinators' pages in five languages, from the tables po2c.py makes of po/hub. */
#include <ctype.h>
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

void relais_hub_tr_format(char *out, size_t size, enum hub_lang lang, enum hub_msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	relais_lang_vformat(out, size, relais_hub_tr(lang, msg), ap);
	va_end(ap);
}

const char *relais_hub_tr_name(enum hub_lang lang, const char *prefix, const char *name)
{
	char key[96];
	size_t i, n = strlen(prefix);
	const char *s;

	if (snprintf(key, sizeof(key), "%s%s", prefix, name) >= (int)sizeof(key)) {
		return name;
	}
	for (i = n; key[i] != '\0'; i++) {
		key[i] = key[i] == '-' ? '_' : (char)toupper((unsigned char)key[i]);
	}
	s = relais_hub_tr_key(lang, key, strlen(key));
	return s ? s : name;
}

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
	/* MONTH_1 to MONTH_12 follow each other in the template. */
	relais_lang_date(out, size, relais_hub_tr(lang, HUB_M_DATE),
	                 &relais_hub_words[(unsigned)lang < HUB_LANG_COUNT ? lang : HUB_LANG_EN]
	                                  [HUB_M_MONTH_1],
	                 date);
}
