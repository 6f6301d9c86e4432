/* i18n.c: the reader's interface words, from the tables po2c.py makes of po/reader. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"

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

/* The language named by the n bytes at code: "pt", "pt-BR", "PT_br"; -1 if none. */
static int lang_from(const char *code, size_t n)
{
	size_t base = 0;
	int l;

	while (base < n && code[base] != '-' && code[base] != '_') {
		base++;
	}
	for (l = 0; l < LANG_COUNT; l++) {
		const char *c = relais_reader_lang_codes[l];
		if (strlen(c) == base && strncasecmp(code, c, base) == 0) {
			return l;
		}
	}
	return -1;
}

int relais_lang_from_code(const char *code)
{
	return code ? lang_from(code, strlen(code)) : -1;
}

/* The q-value of one Accept-Language item's parameters (";q=0.8"), in thousandths. */
static int q_value(const char *p, const char *end)
{
	int q = 1000, scale = 100;

	while (p < end && (p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		p++;
		while (p < end && *p == ' ') {
			p++;
		}
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			q = (p < end && *p == '1') ? 1000 : 0;
			if (p < end) {
				p++;
			}
			if (p < end && *p == '.') {
				for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++) {
					q += (*p - '0') * scale;
					scale /= 10;
				}
			}
			return q > 1000 ? 1000 : q;
		}
	}
	return q;
}

enum lang relais_lang_from_header(const char *h)
{
	enum lang best = LANG_EN;
	int best_q = 0;

	while (h != NULL && *h != '\0') {
		const char *end = strchr(h, ','), *tag = h;
		size_t n = 0;
		int l, q;

		if (end == NULL) {
			end = h + strlen(h);
		}
		while (tag < end && *tag == ' ') {
			tag++;
		}
		while (tag + n < end && tag[n] != ';' && tag[n] != ' ') {
			n++;
		}
		l = lang_from(tag, n);
		q = q_value(tag + n, end);
		if (l >= 0 && q > best_q) {
			best = (enum lang)l;
			best_q = q;
		}
		h = *end ? end + 1 : end;
	}
	return best;
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

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

void relais_tr_date(char *out, size_t size, enum lang lang, const char *date)
{
	int y = -1, m = -1, d = -1, n;

	if (size == 0) {
		return;
	}
	if (strlen(date) >= 10 && date[4] == '-' && date[7] == '-') {
		y = digits(date, 4);
		m = digits(date + 5, 2);
		d = digits(date + 8, 2);
	}
	if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31) {
		(void)snprintf(out, size, "%s", date);
		return;
	}
	/* MONTH_1 to MONTH_12 follow each other in the template. */
	relais_tr_format(out, size, lang, M_DATE, d, relais_tr(lang, (enum msg)(M_MONTH_1 + m - 1)),
	                 y);
	/* "2026-12-06T10:05:00" reads "6 December 2026 10:05:00". */
	n = (int)strlen(out);
	if ((size_t)n + 1 < size && date[10] != '\0') {
		(void)snprintf(out + n, size - (size_t)n, " %s", date + 11);
	}
}
