/* iso8601.c: the clock, and times read and written as ISO 8601 (UTC, milliseconds). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "relais/util.h"

long long relais_now_iso(char out[32])
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	relais_time_format(out, (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void relais_time_format(char out[32], long long ms)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	(void)snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	               (int)(ms - (long long)secs * 1000));
}

static int days_in_month(int y, int mo)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		return 29;
	}
	return days[mo - 1];
}

/* Reads exactly n digits at *p into *out, moving *p past them. */
static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i])) {
			return -1;
		}
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

long long relais_time_parse(const char *s)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	long long ms = 0, scale = 100;
	const char *p = s;
	struct tm tm;

	if (digits(&p, 4, &y) != 0 || *p++ != '-' || digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    digits(&p, 2, &d) != 0) {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
		return -1;
	}
	if (*p == 'T') {
		p++;
		if (digits(&p, 2, &h) != 0 || *p++ != ':' || digits(&p, 2, &mi) != 0) {
			return -1;
		}
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) != 0) {
				return -1;
			}
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p)) {
					return -1;
				}
				for (; isdigit((unsigned char)*p); p++) {
					ms += (*p - '0') * scale; /* beyond milliseconds: dropped */
					scale /= 10;
				}
			}
		}
		/* 60: a leap second, counted as the next one. */
		if (h > 23 || mi > 59 || sec > 60) {
			return -1;
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) != 0) {
			return -1;
		}
		if (*p == ':') {
			p++;
		}
		if (isdigit((unsigned char)*p) && digits(&p, 2, &om) != 0) {
			return -1;
		}
		if (oh > 23 || om > 59) {
			return -1;
		}
	}
	if (*p != '\0') {
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm) * 1000 + ms -
	       (long long)sign * (oh * 3600000LL + om * 60000LL);
}
