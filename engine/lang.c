/* lang.c: choosing an interface language from a browser's wishes, and writing dates in it. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "relais/lang.h"

/* The language named by the n bytes at code; -1 if none. */
static int find(const char *const *codes, int n, const char *code, size_t len)
{
	size_t base = 0;
	int i;

	while (base < len && code[base] != '-' && code[base] != '_') {
		base++;
	}
	for (i = 0; i < n; i++) {
		if (strlen(codes[i]) == base && base > 0 &&
		    strncasecmp(code, codes[i], base) == 0) {
			return i;
		}
	}
	return -1;
}

int relais_lang_find(const char *const *codes, int n, const char *code)
{
	return code ? find(codes, n, code, strlen(code)) : -1;
}

/* The q-value in thousandths of one item's parameters (";q=0.8"), end excluded. */
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

int relais_lang_pick(const char *const *codes, int n, const char *h)
{
	int best = 0, best_q = 0;

	while (h != NULL && *h != '\0') {
		const char *end = strchr(h, ','), *tag = h;
		size_t len = 0;
		int l, q;

		if (end == NULL) {
			end = h + strlen(h);
		}
		while (tag < end && (*tag == ' ' || *tag == '\t')) {
			tag++;
		}
		while (tag + len < end && tag[len] != ';' && tag[len] != ' ') {
			len++;
		}
		l = find(codes, n, tag, len);
		q = q_value(tag + len, end);
		if (l >= 0 && q > best_q) {
			best = l;
			best_q = q;
		}
		h = *end ? end + 1 : end;
	}
	return best;
}

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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void relais_lang_vformat(char *out, size_t size, const char *format, va_list ap)
{
	if (vsnprintf(out, size, format, ap) < 0 && size > 0) {
		out[0] = '\0';
	}
}

void relais_lang_date(char *out, size_t size, const char *format, const char *const months[12],
                      const char *date)
{
	int y = -1, m = -1, d = -1;
	size_t n;

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
	/* The format is a catalogue's, checked at build time to take %d %s %d. */
	if (snprintf(out, size, format, d, months[m - 1], y) < 0) {
		out[0] = '\0';
		return;
	}
	/* "2026-12-06T10:05:00" reads "6 December 2026 10:05:00". */
	n = strlen(out);
	if (n + 1 < size && date[10] != '\0') {
		(void)snprintf(out + n, size - n, " %s", date + 11);
	}
}
#pragma GCC diagnostic pop
