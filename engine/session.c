/* session.c: live sessions: their rules, time zones through the tz database (GLib), .ics files. */
#include "relais/session.h"

#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/utf8.h"
#include "relais/util.h"
#include "session_private.h"

#define TEXT_MAX 4096
#define URL_MAX 2048
#define ICS_FOLD 75

void relais_session_clear(struct relais_session *s)
{
	if (s == NULL) {
		return;
	}
	free(s->course);
	free(s->id);
	free(s->title);
	free(s->start);
	free(s->end);
	free(s->timezone);
	free(s->place);
	free(s->online);
	free(s->trainer);
	free(s->cohort);
	for (size_t i = 0; i < s->n_before; i++) {
		free(s->before[i]);
	}
	free(s->before);
	memset(s, 0, sizeof(*s));
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return src == NULL || (*dst = strdup(src)) != NULL ? 0 : -1;
}

int relais_session_copy(struct relais_session *dst, relais_ctx *ctx,
                        const struct relais_session *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->cancelled = src->cancelled;
	if (dup_opt(&dst->course, src->course) != 0 || dup_opt(&dst->id, src->id) != 0 ||
	    dup_opt(&dst->title, src->title) != 0 || dup_opt(&dst->start, src->start) != 0 ||
	    dup_opt(&dst->end, src->end) != 0 || dup_opt(&dst->timezone, src->timezone) != 0 ||
	    dup_opt(&dst->place, src->place) != 0 || dup_opt(&dst->online, src->online) != 0 ||
	    dup_opt(&dst->trainer, src->trainer) != 0 || dup_opt(&dst->cohort, src->cohort) != 0 ||
	    (src->n_before > 0 && (dst->before = calloc(src->n_before, sizeof(char *))) == NULL)) {
		goto oom;
	}
	for (; dst->n_before < src->n_before; dst->n_before++) {
		if ((dst->before[dst->n_before] = strdup(src->before[dst->n_before])) == NULL) {
			goto oom;
		}
	}
	return 0;
oom:
	relais_session_clear(dst);
	return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

/* ---- time zones ---- */

int relais_tz_known(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	size_t n = strlen(name);
	struct stat st;
	FILE *f;

	if (n == 0 || n > RELAIS_TZ_NAME_MAX || name[0] == '/') {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+')) {
			return 0;
		}
		/* No empty, "." or ".." component: "+" and "-" start none either. */
		if ((i == 0 || name[i - 1] == '/') && (c == '/' || c == '-' || c == '+')) {
			return 0;
		}
	}
	if (name[n - 1] == '/' ||
	    snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo",
	             name) >= (int)sizeof(path) ||
	    stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (f = fopen(path, "rb")) == NULL) {
		return 0;
	}
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return n == sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

/* "YYYY-MM-DDTHH:MM[:SS]" into tm; -1 when malformed or out of range. */
static int parse_local(struct tm *tm, const char *s)
{
	int y, mo, d, h, mi, sec = 0, used = 0;
	size_t n = strlen(s);

	if ((n != 16 && n != 19) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':') {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 &&
		    !(s[i] >= '0' && s[i] <= '9')) {
			return -1;
		}
	}
	if (n == 19 ? sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6
	            : sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5) {
		return -1;
	}
	if ((size_t)used != n || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 59) {
		return -1;
	}
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	tm->tm_isdst = -1;
	return 0;
}

/*
 * Zones stay open once read: reading one from the tz database costs about
 * half a millisecond, a conversion a tenth of a microsecond, and a process
 * uses a handful of zones. Past ZONES_KEPT, a zone is read for each call.
 * This table is process-wide state, as the tz database is; it only ever
 * holds names relais_tz_known accepted.
 */
#define ZONES_KEPT 32
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static GTimeZone *zones_kept[ZONES_KEPT];

/*
 * Opens zone tz, or this machine's (the TZ variable, else /etc/localtime)
 * when tz is NULL, from the same tz database files relais_tz_known checks;
 * NULL when unknown. GLib reads them itself: nothing touches the process's
 * TZ, so any thread may convert while others read the environment. The
 * caller unrefs the zone.
 */
static GTimeZone *zone_open(const char *tz)
{
	GTimeZone *z = NULL;
	size_t i;

	if (tz == NULL) {
		return g_time_zone_new_local();
	}
	pthread_mutex_lock(&zones_lock);
	for (i = 0; i < ZONES_KEPT && zones_kept[i] != NULL; i++) {
		if (strcmp(g_time_zone_get_identifier(zones_kept[i]), tz) == 0) {
			z = g_time_zone_ref(zones_kept[i]);
			break;
		}
	}
	if (z == NULL && relais_tz_known(tz) && (z = g_time_zone_new_identifier(tz)) != NULL &&
	    i < ZONES_KEPT) {
		zones_kept[i] = g_time_zone_ref(z);
	}
	pthread_mutex_unlock(&zones_lock);
	return z;
}

/* Seconds east of UTC that zone z's clocks show at t (seconds since the epoch). */
static gint64 zone_offset(GTimeZone *z, gint64 t)
{
	return g_time_zone_get_offset(z, g_time_zone_find_interval(z, G_TIME_TYPE_UNIVERSAL, t));
}

long long relais_tz_to_utc(const char *tz, const char *local)
{
	struct tm tm;
	GTimeZone *z;
	long long wall_ms;
	gint64 wall, best = 0;
	int found = 0;

	if (parse_local(&tm, local) != 0 || (wall_ms = relais_time_parse(local)) < 0 ||
	    (z = zone_open(tz)) == NULL) {
		return -1;
	}
	wall = wall_ms / 1000; /* the clock's reading, counted as if it were UTC */
	/*
	 * The moments t that show `wall` are those with t + offset(t) == wall:
	 * none in an hour the clocks skip, two in an hour they repeat, of which
	 * the first is taken. Offsets half a day and a day either side cover any
	 * change near it.
	 */
	for (int k = -2; k <= 2; k++) {
		gint64 t = wall - zone_offset(z, wall + k * 43200);
		if (t + zone_offset(z, t) == wall && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	g_time_zone_unref(z);
	return found ? (long long)best * 1000 : -1;
}

int relais_tz_local(struct relais_local_time *out, long long ms, const char *tz)
{
	GTimeZone *z;
	struct tm tm;
	gint64 t = ms / 1000;
	time_t shown;
	gint interval;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((z = zone_open(tz)) == NULL) {
		return -1;
	}
	interval = g_time_zone_find_interval(z, G_TIME_TYPE_UNIVERSAL, t);
	out->utc_offset = g_time_zone_get_offset(z, interval);
	shown = (time_t)(t + out->utc_offset);
	if (gmtime_r(&shown, &tm) != NULL) {
		out->year = tm.tm_year + 1900;
		out->month = tm.tm_mon + 1;
		out->day = tm.tm_mday;
		out->hour = tm.tm_hour;
		out->minute = tm.tm_min;
		out->weekday = tm.tm_wday;
		/* The tz database's abbreviation, as the C library shows it: "CET", "-03". */
		(void)snprintf(out->zone, sizeof(out->zone), "%s",
		               g_time_zone_get_abbreviation(z, interval));
		rc = 0;
	}
	g_time_zone_unref(z);
	return rc;
}

/* ---- the rules ---- */

static int url_ok(const char *s)
{
	size_t n = strlen(s);
	if (n > URL_MAX || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			return 0;
		}
	}
	return strlen(strstr(s, "//") + 2) > 0;
}

static int text_ok(const char *s, int required)
{
	size_t n = s ? strlen(s) : 0;
	return s == NULL ? !required
	                 : (n > 0 || !required) && n <= TEXT_MAX && relais_utf8_valid(s, n);
}

#define FIELD(name, ...)                                                                           \
	do {                                                                                       \
		if (field) {                                                                       \
			*field = (name);                                                           \
		}                                                                                  \
		return relais_fail(ctx, RELAIS_EFORMAT, __VA_ARGS__);                              \
	} while (0)

/* Every rule that needs neither the tz database nor the course's units. */
static int check_shape(relais_ctx *ctx, const struct relais_session *s, const char **field)
{
	char shown[96];
	struct tm tm;

	if (s->id == NULL || !relais_id_ok(s->id)) {
		FIELD("id", "id must be 1-64 lower-case letters, digits, dots or dashes");
	}
	if (!text_ok(s->title, 1)) {
		FIELD("title", "title must be a non-empty string");
	}
	if (s->start == NULL || parse_local(&tm, s->start) != 0) {
		relais_printable(shown, sizeof(shown), s->start ? s->start : "");
		FIELD("start", "start \"%s\" must be a date and time YYYY-MM-DDTHH:MM", shown);
	}
	if (s->end == NULL || parse_local(&tm, s->end) != 0) {
		relais_printable(shown, sizeof(shown), s->end ? s->end : "");
		FIELD("end", "end \"%s\" must be a date and time YYYY-MM-DDTHH:MM", shown);
	}
	if (s->timezone == NULL || s->timezone[0] == '\0') {
		FIELD("timezone", "timezone must name a time zone such as \"Africa/Dakar\"");
	}
	if ((s->place != NULL) == (s->online != NULL)) {
		FIELD("place", "place or online: a session has exactly one of the two");
	}
	if (s->place != NULL && !text_ok(s->place, 1)) {
		FIELD("place", "place must be a non-empty string");
	}
	if (s->online != NULL && !url_ok(s->online)) {
		FIELD("online", "online must be an http:// or https:// address");
	}
	if (!text_ok(s->trainer, 0)) {
		FIELD("trainer", "trainer must be a string");
	}
	if (s->n_before > RELAIS_SESSION_BEFORE_MAX) {
		FIELD("before", "before names more than %d units", RELAIS_SESSION_BEFORE_MAX);
	}
	for (size_t i = 0; i < s->n_before; i++) {
		if (!relais_id_ok(s->before[i])) {
			FIELD("before", "before must list unit ids");
		}
	}
	if (s->cohort != NULL && !relais_id_ok(s->cohort)) {
		FIELD("cohort", "cohort must be a cohort id");
	}
	if (s->course != NULL && !relais_id_ok(s->course)) {
		FIELD("course", "course is not a course id");
	}
	return 0;
}

int relais_session_check(relais_ctx *ctx, const struct relais_session *s, const relais_manifest *m,
                         const char **field)
{
	char shown[RELAIS_TZ_NAME_MAX + 1];
	long long start, end;
	int rc;

	if ((rc = check_shape(ctx, s, field)) != 0) {
		return rc;
	}
	if (!relais_tz_known(s->timezone)) {
		relais_printable(shown, sizeof(shown), s->timezone);
		FIELD("timezone", "timezone \"%s\" is not in this machine's time zone database",
		      shown);
	}
	if ((start = relais_tz_to_utc(s->timezone, s->start)) < 0) {
		FIELD("start", "start %s does not exist in %s (the clocks skip it)", s->start,
		      s->timezone);
	}
	if ((end = relais_tz_to_utc(s->timezone, s->end)) < 0) {
		FIELD("end", "end %s does not exist in %s (the clocks skip it)", s->end,
		      s->timezone);
	}
	if (end <= start) {
		FIELD("end", "end %s is not after start %s", s->end, s->start);
	}
	for (size_t i = 0; m != NULL && i < s->n_before; i++) {
		if (relais_manifest_unit(m, s->before[i]) == NULL) {
			FIELD("before", "before names unit \"%s\", which the course does not have",
			      s->before[i]);
		}
	}
	return 0;
}

/* ---- JSON ---- */

static int member_text(char **out, relais_ctx *ctx, const cJSON *obj, const char *key,
                       const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (v == NULL) {
		return 0;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) > TEXT_MAX) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s%s must be a string", where, key);
	}
	*out = strdup(v->valuestring);
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

int relais_session_from_cjson(struct relais_session *out, relais_ctx *ctx, const cJSON *obj,
                              const char *where, int with_course)
{
	static const char *const names[] = {"course",    "id",     "title",  "start",   "end",
	                                    "timezone",  "place",  "online", "trainer", "before",
	                                    "cancelled", "cohort", NULL};
	const cJSON *m, *before, *cancelled;
	const char *field = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(obj)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s is not an object", where);
	}
	cJSON_ArrayForEach(m, obj)
	{
		size_t i = with_course ? 0 : 1;
		char shown[64];
		while (names[i] != NULL && strcmp(names[i], m->string) != 0) {
			i++;
		}
		if (names[i] == NULL || (!with_course && (strcmp(m->string, "cancelled") == 0 ||
		                                          strcmp(m->string, "cohort") == 0))) {
			relais_printable(shown, sizeof(shown), m->string);
			return relais_fail(ctx, RELAIS_EFORMAT, "%sunknown member \"%s\"", where,
			                   shown);
		}
	}
	if ((with_course && (rc = member_text(&out->course, ctx, obj, "course", where)) != 0) ||
	    (rc = member_text(&out->id, ctx, obj, "id", where)) != 0 ||
	    (rc = member_text(&out->title, ctx, obj, "title", where)) != 0 ||
	    (rc = member_text(&out->start, ctx, obj, "start", where)) != 0 ||
	    (rc = member_text(&out->end, ctx, obj, "end", where)) != 0 ||
	    (rc = member_text(&out->timezone, ctx, obj, "timezone", where)) != 0 ||
	    (rc = member_text(&out->place, ctx, obj, "place", where)) != 0 ||
	    (rc = member_text(&out->online, ctx, obj, "online", where)) != 0 ||
	    (rc = member_text(&out->trainer, ctx, obj, "trainer", where)) != 0 ||
	    (with_course && (rc = member_text(&out->cohort, ctx, obj, "cohort", where)) != 0)) {
		goto out;
	}
	if (with_course && out->course == NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%scourse must be a string", where);
		goto out;
	}
	before = cJSON_GetObjectItemCaseSensitive(obj, "before");
	if (before != NULL) {
		const cJSON *b;
		int n = cJSON_IsArray(before) ? cJSON_GetArraySize(before) : -1;
		if (n < 0 || n > RELAIS_SESSION_BEFORE_MAX) {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "%sbefore must be a list of unit ids",
			                 where);
			goto out;
		}
		if (n > 0 && (out->before = calloc((size_t)n, sizeof(char *))) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		cJSON_ArrayForEach(b, before)
		{
			if (!cJSON_IsString(b) || strlen(b->valuestring) > RELAIS_ID_MAX) {
				rc = relais_fail(ctx, RELAIS_EFORMAT,
				                 "%sbefore must be a list of unit ids", where);
				goto out;
			}
			if ((out->before[out->n_before++] = strdup(b->valuestring)) == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	cancelled = cJSON_GetObjectItemCaseSensitive(obj, "cancelled");
	if (cancelled != NULL) {
		if (!cJSON_IsBool(cancelled)) {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "%scancelled must be true or false",
			                 where);
			goto out;
		}
		out->cancelled = cJSON_IsTrue(cancelled);
	}
	if ((rc = check_shape(ctx, out, &field)) != 0) {
		char msg[512];
		(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
		rc = relais_fail(ctx, rc, "%s%s", where, msg);
	}
out:
	if (rc != 0) {
		relais_session_clear(out);
	}
	return rc;
}

cJSON *relais_session_to_cjson(const struct relais_session *s, int with_course)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	if (o == NULL || (with_course && !cJSON_AddStringToObject(o, "course", s->course)) ||
	    !cJSON_AddStringToObject(o, "id", s->id) ||
	    !cJSON_AddStringToObject(o, "title", s->title) ||
	    !cJSON_AddStringToObject(o, "start", s->start) ||
	    !cJSON_AddStringToObject(o, "end", s->end) ||
	    !cJSON_AddStringToObject(o, "timezone", s->timezone) ||
	    (s->place && !cJSON_AddStringToObject(o, "place", s->place)) ||
	    (s->online && !cJSON_AddStringToObject(o, "online", s->online)) ||
	    (s->trainer && !cJSON_AddStringToObject(o, "trainer", s->trainer)) ||
	    (arr = cJSON_AddArrayToObject(o, "before")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < s->n_before; i++) {
		cJSON *b = cJSON_CreateString(s->before[i]);
		if (b == NULL || !cJSON_AddItemToArray(arr, b)) {
			cJSON_Delete(b);
			cJSON_Delete(o);
			return NULL;
		}
	}
	/* cohort only when set: a course's session is written as before it existed. */
	if (with_course && (!cJSON_AddBoolToObject(o, "cancelled", s->cancelled) ||
	                    (s->cohort && !cJSON_AddStringToObject(o, "cohort", s->cohort)))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- calendar files ---- */

/* Appends one content line: escaped when text, folded at 75 octets, ending in CRLF. */
static void ics_line(struct relais_strbuf *b, const char *name, const char *value, int text)
{
	struct relais_strbuf line = {0};
	size_t col = 0, i = 0;

	relais_strbuf_add(&line, name);
	relais_strbuf_add(&line, ":");
	for (const char *p = value; *p; p++) {
		if (text && (*p == '\\' || *p == ';' || *p == ',')) {
			relais_strbuf_addn(&line, "\\", 1);
			relais_strbuf_addn(&line, p, 1);
		} else if (text && *p == '\n') {
			relais_strbuf_add(&line, "\\n");
		} else if ((unsigned char)*p >= 0x20 || *p == '\t') {
			relais_strbuf_addn(&line, p, 1);
		}
	}
	if (line.rc != 0) {
		b->rc = b->rc ? b->rc : line.rc;
		relais_strbuf_free(&line);
		return;
	}
	/* Fold before 75 octets, never inside a UTF-8 sequence (RFC 5545 3.1). */
	while (i < line.len) {
		size_t take = line.len - i, room = col == 0 ? ICS_FOLD : ICS_FOLD - 1;
		if (take > room) {
			take = room;
			while (take > 0 && ((unsigned char)line.p[i + take] & 0xc0) == 0x80) {
				take--;
			}
		}
		if (col > 0) {
			relais_strbuf_add(b, "\r\n ");
		}
		relais_strbuf_addn(b, line.p + i, take);
		i += take;
		col++;
	}
	relais_strbuf_add(b, "\r\n");
	relais_strbuf_free(&line);
}

static void ics_time(char out[17], long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	(void)strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int relais_session_ics(char **out, size_t *out_len, relais_ctx *ctx, const struct relais_session *s,
                       const char *course_title, long long now_ms)
{
	struct relais_strbuf b = {0}, uid = {0}, desc = {0};
	long long start = relais_tz_to_utc(s->timezone, s->start);
	long long end = relais_tz_to_utc(s->timezone, s->end);
	char stamp[17], dtstart[17], dtend[17];
	int rc;

	*out = NULL;
	*out_len = 0;
	if (start < 0 || end < 0) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "session %s: its times do not convert in %s", s->id,
		                   s->timezone);
	}
	ics_time(stamp, now_ms);
	ics_time(dtstart, start);
	ics_time(dtend, end);
	/* The same session keeps its UID, so a calendar updates it on a new import. */
	relais_strbuf_printf(&uid, "%s.%s@relais", s->course ? s->course : "course", s->id);
	if (course_title) {
		relais_strbuf_add(&desc, course_title);
	}
	if (s->trainer && s->trainer[0]) {
		relais_strbuf_printf(&desc, "%s%s", desc.len ? "\n" : "", s->trainer);
	}
	if (s->online) {
		relais_strbuf_printf(&desc, "%s%s", desc.len ? "\n" : "", s->online);
	}
	relais_strbuf_add(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//relais//sessions//EN\r\n"
	                      "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n");
	ics_line(&b, "UID", uid.p ? uid.p : "", 0);
	ics_line(&b, "DTSTAMP", stamp, 0);
	ics_line(&b, "DTSTART", dtstart, 0);
	ics_line(&b, "DTEND", dtend, 0);
	ics_line(&b, "SUMMARY", s->title, 1);
	ics_line(&b, "LOCATION", s->place ? s->place : s->online, 1);
	if (s->online) {
		ics_line(&b, "URL", s->online, 0);
	}
	if (desc.len > 0) {
		ics_line(&b, "DESCRIPTION", desc.p, 1);
	}
	ics_line(&b, "STATUS", s->cancelled ? "CANCELLED" : "CONFIRMED", 0);
	relais_strbuf_add(&b, "END:VEVENT\r\nEND:VCALENDAR\r\n");
	if (uid.rc != 0 || desc.rc != 0) {
		b.rc = b.rc ? b.rc : RELAIS_ENOMEM;
	}
	relais_strbuf_free(&uid);
	relais_strbuf_free(&desc);
	*out_len = b.len;
	rc = relais_strbuf_finish(out, &b, ctx, "calendar file");
	if (rc != 0) {
		*out_len = 0;
	}
	return rc;
}
