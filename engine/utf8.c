/* utf8.c: strict UTF-8 validation. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "relais/utf8.h"

int relais_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		int extra, k;
		uint32_t cp;

		if (*s == 0) {
			return 0;
		} else if (*s < 0x80) {
			s++;
			continue;
		} else if ((*s & 0xE0) == 0xC0) {
			extra = 1;
			cp = *s & 0x1F;
		} else if ((*s & 0xF0) == 0xE0) {
			extra = 2;
			cp = *s & 0x0F;
		} else if ((*s & 0xF8) == 0xF0) {
			extra = 3;
			cp = *s & 0x07;
		} else {
			return 0;
		}
		if (end - s <= extra) {
			return 0;
		}
		s++;
		for (k = 0; k < extra; k++, s++) {
			if ((*s & 0xC0) != 0x80) {
				return 0;
			}
			cp = (cp << 6) | (*s & 0x3F);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF)) {
			return 0;
		}
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t seq_len(const char *s, size_t n)
{
	size_t len = ((unsigned char)*s & 0xE0) == 0xC0   ? 2
	             : ((unsigned char)*s & 0xF0) == 0xE0 ? 3
	             : ((unsigned char)*s & 0xF8) == 0xF0 ? 4
	                                                  : 0;

	return len > 0 && len <= n && relais_utf8_valid(s, len) ? len : 0;
}

void relais_printable(char *out, size_t size, const char *in)
{
	size_t o = 0, n = strlen(in), i = 0;

	while (i < n && o + 5 < size) {
		unsigned char c = (unsigned char)in[i];
		size_t len;
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			i++;
		} else if (c >= 0x80 && (len = seq_len(in + i, n - i)) > 0 && o + len < size) {
			memcpy(out + o, in + i, len);
			o += len;
			i += len;
		} else {
			(void)snprintf(out + o, size - o, "\\x%02x", c);
			o += 4;
			i++;
		}
	}
	out[o] = '\0';
}
