/* test_session.c: live sessions: their rules, time zones through the tz database, .ics files. */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relais/catalogue.h"
#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/session.h"
#include "relais/util.h"

static const char manifest_json[] =
        "{\"format\":1,\"id\":\"c\",\"version\":1,\"title\":\"T\",\"language\":\"en\","
        "\"summary\":\"\",\"authors\":[],\"estimated_minutes\":0,"
        "\"units\":[{\"id\":\"intro\",\"title\":\"Intro\",\"type\":\"lesson\",\"path\":\"a.html\"}]"
        ","
        "\"entries\":[{\"path\":\"a.html\",\"size\":1,\"sha256\":"
        "\"0000000000000000000000000000000000000000000000000000000000000000\"}]";

static struct relais_session good(void)
{
	static char *before[] = {"intro"};
	struct relais_session s = {0};
	s.id = "kickoff";
	s.title = "Kick-off, part 1; with \\ and a long title that goes on past seventy-five "
	          "octets: élan";
	s.start = "2031-01-15T09:00";
	s.end = "2031-01-15T12:30";
	s.timezone = "Europe/Paris";
	s.place = "Room 4";
	s.trainer = "Awa Ndiaye";
	s.before = before;
	s.n_before = 1;
	return s;
}

static void check(const struct relais_session *s, int want_rc, const char *want_field,
                  const char *words)
{
	relais_manifest *m = NULL;
	relais_ctx *ctx = NULL;
	const char *field = NULL;
	char json[2048];

	(void)snprintf(json, sizeof(json), "%s}", manifest_json);
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_manifest_parse(&m, ctx, json, strlen(json)), 0);
	assert_int_equal(relais_session_check(ctx, s, m, &field), want_rc);
	if (want_rc != 0) {
		assert_string_equal(field, want_field);
		assert_non_null(strstr(relais_errmsg(ctx), words));
		/* The message starts with the field it names. */
		assert_int_equal(strncmp(relais_errmsg(ctx), want_field, strlen(want_field)), 0);
	}
	relais_manifest_free(m);
	relais_ctx_free(ctx);
}

static void rules(void **state)
{
	struct relais_session s = good();
	static char *unknown[] = {"intro", "nope"};

	(void)state;
	check(&s, 0, NULL, NULL);
	s.end = "2031-01-15T08:59";
	check(&s, RELAIS_EFORMAT, "end", "is not after start 2031-01-15T09:00");
	s.end = s.start;
	check(&s, RELAIS_EFORMAT, "end", "is not after start");
	s = good();
	s.timezone = "Europe/Atlantis";
	check(&s, RELAIS_EFORMAT, "timezone", "not in this machine's time zone database");
	s.timezone = "../zoneinfo/UTC";
	check(&s, RELAIS_EFORMAT, "timezone", "time zone database");
	s.timezone = "/usr/share/zoneinfo/UTC";
	check(&s, RELAIS_EFORMAT, "timezone", "time zone database");
	s = good();
	s.before = unknown;
	s.n_before = 2;
	check(&s, RELAIS_EFORMAT, "before", "\"nope\"");
	s = good();
	s.start = "2031-01-15 09:00";
	check(&s, RELAIS_EFORMAT, "start", "YYYY-MM-DDTHH:MM");
	s.start = "2031-02-30T09:00";
	check(&s, RELAIS_EFORMAT, "start", "2031-02-30");
	s = good();
	s.online = "https://meet.example.org/a";
	check(&s, RELAIS_EFORMAT, "place", "exactly one");
	s.place = NULL;
	check(&s, 0, NULL, NULL);
	s.online = "javascript:alert(1)";
	check(&s, RELAIS_EFORMAT, "online", "http");
	/* 2031-03-30 02:30 never happens in Paris: clocks go from 02:00 to 03:00. */
	s = good();
	s.start = "2031-03-30T02:30";
	s.end = "2031-03-30T05:00";
	check(&s, RELAIS_EFORMAT, "start", "does not exist in Europe/Paris");
}

static void time_zones(void **state)
{
	struct relais_local_time t;

	(void)state;
	assert_true(relais_tz_known("Africa/Dakar"));
	assert_true(relais_tz_known("UTC"));
	assert_false(relais_tz_known("Africa/"));
	assert_false(relais_tz_known("Africa//Dakar"));
	assert_false(relais_tz_known(""));
	/* 09:00 in Paris in winter is 08:00 UTC; in summer 07:00. */
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-01-15T09:00"), 1926230400000LL);
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-07-15T09:00") -
	                         relais_tz_to_utc("UTC", "2031-07-15T07:00"),
	                 0);
	/* Shown in another zone: 09:00 Paris is 13:30 in Kolkata (UTC+5:30). */
	assert_int_equal(relais_tz_local(&t, relais_tz_to_utc("Europe/Paris", "2031-01-15T09:00"),
	                                 "Asia/Kolkata"),
	                 0);
	assert_int_equal(t.hour, 13);
	assert_int_equal(t.minute, 30);
	assert_int_equal(t.utc_offset, 19800);
	assert_string_equal(t.zone, "IST");
	/* NULL is the machine's zone: here the TZ variable. */
	setenv("TZ", "America/Sao_Paulo", 1);
	assert_int_equal(
	        relais_tz_local(&t, relais_tz_to_utc("Europe/Paris", "2031-01-15T09:00"), NULL), 0);
	assert_int_equal(t.hour, 5);
	assert_string_equal(getenv("TZ"), "America/Sao_Paulo");
	unsetenv("TZ");
}

/* Milliseconds of a UTC time written "YYYY-MM-DDTHH:MM:SSZ": the reference. */
static long long utc(const char *iso)
{
	long long ms = relais_time_parse(iso);
	assert_true(ms >= 0);
	return ms;
}

/* Paris changes its clocks on the last Sundays of March and October, at 01:00 UTC. */
static void summer_time(void **state)
{
	struct relais_local_time t;

	(void)state;
	/* Spring: 01:59 is followed by 03:00, one minute later. */
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-03-30T01:59"),
	                 utc("2031-03-30T00:59:00Z"));
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-03-30T03:00"),
	                 utc("2031-03-30T01:00:00Z"));
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-03-30T12:00"),
	                 utc("2031-03-30T10:00:00Z"));
	/* The skipped hour does not exist: refused, not moved. */
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-03-30T02:00"), -1);
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-03-30T02:30"), -1);
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-03-30T02:59:59"), -1);
	assert_int_equal(relais_tz_local(&t, utc("2031-03-30T00:59:00Z"), "Europe/Paris"), 0);
	assert_int_equal(t.hour * 100 + t.minute, 159);
	assert_int_equal(t.utc_offset, 3600);
	assert_string_equal(t.zone, "CET");
	assert_int_equal(relais_tz_local(&t, utc("2031-03-30T01:00:00Z"), "Europe/Paris"), 0);
	assert_int_equal(t.hour * 100 + t.minute, 300);
	assert_int_equal(t.utc_offset, 7200);
	assert_string_equal(t.zone, "CEST");
	assert_int_equal(t.weekday, 0);
	/* Autumn: 02:00-02:59 happens twice; a session there means the first time. */
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-10-26T02:30"),
	                 utc("2031-10-26T00:30:00Z"));
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-10-26T02:00"),
	                 utc("2031-10-26T00:00:00Z"));
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-10-26T01:59"),
	                 utc("2031-10-25T23:59:00Z"));
	assert_int_equal(relais_tz_to_utc("Europe/Paris", "2031-10-26T03:00"),
	                 utc("2031-10-26T02:00:00Z"));
	assert_int_equal(relais_tz_local(&t, utc("2031-10-26T00:30:00Z"), "Europe/Paris"), 0);
	assert_int_equal(t.hour * 100 + t.minute, 230);
	assert_string_equal(t.zone, "CEST");
	assert_int_equal(relais_tz_local(&t, utc("2031-10-26T01:30:00Z"), "Europe/Paris"), 0);
	assert_int_equal(t.hour * 100 + t.minute, 230);
	assert_int_equal(t.utc_offset, 3600);
	assert_string_equal(t.zone, "CET");
	/* Zones far from UTC, and names as the tz database gives them. */
	assert_int_equal(relais_tz_local(&t, utc("2031-03-10T09:00:00Z"), "America/Sao_Paulo"), 0);
	assert_int_equal(t.hour, 6);
	assert_string_equal(t.zone, "-03");
	assert_int_equal(relais_tz_local(&t, utc("2031-12-31T20:00:00Z"), "Pacific/Kiritimati"), 0);
	assert_int_equal(t.year * 10000 + t.month * 100 + t.day, 20320101);
	assert_int_equal(t.hour, 10);
	assert_int_equal(relais_tz_to_utc("Asia/Kathmandu", "2031-03-10T09:00"),
	                 utc("2031-03-10T03:15:00Z"));
	/* No such day, no such zone. */
	assert_int_equal(relais_tz_to_utc("UTC", "2031-02-29T09:00"), -1);
	assert_int_equal(relais_tz_to_utc("Europe/Atlantis", "2031-03-10T09:00"), -1);
	assert_int_equal(relais_tz_local(&t, 0, "../zoneinfo/UTC"), -1);
}

/*
 * Conversions in several threads while another reads and writes the
 * environment, as libcurl and the C library do: the environment must stay
 * as it is (no TZ appearing behind the other thread's back) and every
 * conversion right. Under AddressSanitizer this also catches a getenv that
 * reads an environment another thread's setenv has freed.
 */
#define RACE_THREADS 4
#define RACE_ROUNDS 3000

static atomic_int race_done, race_wrong, race_env_changed;

static void *race_convert(void *arg)
{
	struct relais_local_time t;
	long long want_winter = utc("2031-01-15T08:00:00Z"),
	          want_summer = utc("2031-07-15T07:00:00Z");

	(void)arg;
	for (int i = 0; i < RACE_ROUNDS; i++) {
		if (relais_tz_to_utc("Europe/Paris", "2031-01-15T09:00") != want_winter ||
		    relais_tz_to_utc("Europe/Paris", "2031-07-15T09:00") != want_summer ||
		    relais_tz_local(&t, want_winter, "Asia/Kolkata") != 0 || t.hour != 13 ||
		    t.minute != 30 || strcmp(t.zone, "IST") != 0) {
			atomic_fetch_add(&race_wrong, 1);
		}
	}
	atomic_fetch_add(&race_done, 1);
	return NULL;
}

static void *race_environment(void *arg)
{
	char value[32];

	(void)arg;
	for (long i = 0; atomic_load(&race_done) < RACE_THREADS; i++) {
		(void)snprintf(value, sizeof(value), "%ld", i);
		if (setenv("RELAIS_TEST_NOISE", value, 1) != 0 ||
		    getenv("RELAIS_TEST_NOISE") == NULL || getenv("TZ") != NULL) {
			atomic_fetch_add(&race_env_changed, 1);
		}
	}
	return NULL;
}

static void threads(void **state)
{
	pthread_t conv[RACE_THREADS], env;

	(void)state;
	assert_int_equal(unsetenv("TZ"), 0);
	assert_int_equal(setenv("RELAIS_TEST_NOISE", "0", 1), 0);
	assert_int_equal(pthread_create(&env, NULL, race_environment, NULL), 0);
	for (int i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(pthread_create(&conv[i], NULL, race_convert, NULL), 0);
	}
	for (int i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(pthread_join(conv[i], NULL), 0);
	}
	assert_int_equal(pthread_join(env, NULL), 0);
	assert_int_equal(atomic_load(&race_wrong), 0);
	assert_int_equal(atomic_load(&race_env_changed), 0);
	assert_null(getenv("TZ"));
}

static void ics(void **state)
{
	struct relais_session s = good();
	relais_ctx *ctx = NULL;
	char *out = NULL, *line, *save = NULL;
	size_t len = 0;
	int folded = 0;

	(void)state;
	s.course = "consular";
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_session_ics(&out, &len, ctx, &s, "Crises, abroad", 1926000000000LL),
	                 0);
	assert_int_equal(len, strlen(out));
	assert_non_null(strstr(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
	assert_non_null(strstr(out, "\r\nUID:consular.kickoff@relais\r\n"));
	assert_non_null(strstr(out, "\r\nDTSTART:20310115T080000Z\r\n"));
	assert_non_null(strstr(out, "\r\nDTEND:20310115T113000Z\r\n"));
	assert_non_null(strstr(out, "\r\nDTSTAMP:20310112T"));
	assert_non_null(strstr(out, "\r\nLOCATION:Room 4\r\n"));
	assert_non_null(strstr(out, "\r\nDESCRIPTION:Crises\\, abroad\\nAwa Ndiaye\r\n"));
	assert_non_null(strstr(out, "END:VEVENT\r\nEND:VCALENDAR\r\n"));
	/* Every line ends in CRLF, none longer than 75 octets; folds start with a space. */
	for (const char *p = out; *p; p++) {
		if (*p == '\n') {
			assert_true(p > out && p[-1] == '\r');
		}
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 76); /* 75 and the \r */
		folded += line[0] == ' ';
		/* A fold never cuts a UTF-8 sequence. */
		assert_false(line[0] == ' ' && ((unsigned char)line[1] & 0xc0) == 0x80);
	}
	assert_true(folded >= 1);
	free(out);
	/* Unfolded, the summary reads back escaped as RFC 5545 says. */
	assert_int_equal(relais_session_ics(&out, &len, ctx, &s, NULL, 0), 0);
	{
		char unfolded[4096];
		size_t k = 0;
		for (const char *p = out; *p && k + 1 < sizeof(unfolded); p++) {
			if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
				p += 2;
				continue;
			}
			unfolded[k++] = *p;
		}
		unfolded[k] = '\0';
		assert_non_null(strstr(unfolded,
		                       "SUMMARY:Kick-off\\, part 1\\; with \\\\ and a long "
		                       "title that goes on past seventy-five octets: élan\r\n"));
	}
	free(out);
	s.place = NULL;
	s.online = "https://meet.example.org/a,b";
	assert_int_equal(relais_session_ics(&out, &len, ctx, &s, NULL, 0), 0);
	assert_non_null(strstr(out, "\r\nURL:https://meet.example.org/a,b\r\n"));
	assert_non_null(strstr(out, "\r\nLOCATION:https://meet.example.org/a\\,b\r\n"));
	free(out);
	relais_ctx_free(ctx);
}

/* In a manifest and a catalogue: read back as written, bad ones refused naming the field. */
static void in_documents(void **state)
{
	static const char sess[] =
	        ",\"sessions\":[{\"id\":\"k\",\"title\":\"K\",\"start\":\"2031-01-15T09:00\","
	        "\"end\":\"2031-01-15T10:00\",\"timezone\":\"UTC\",\"place\":\"R\",\"before\":["
	        "\"intro\"]}]}";
	relais_manifest *m = NULL;
	relais_ctx *ctx = NULL;
	char json[4096], *again = NULL;
	size_t len;

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	(void)snprintf(json, sizeof(json), "%s%s", manifest_json, sess);
	assert_int_equal(relais_manifest_parse(&m, ctx, json, strlen(json)), 0);
	assert_int_equal(m->n_sessions, 1);
	assert_string_equal(m->sessions[0].place, "R");
	assert_int_equal(relais_manifest_to_json(&again, &len, ctx, m), 0);
	assert_string_equal(again, json);
	free(again);
	relais_manifest_free(m);
	m = NULL;
	(void)snprintf(json, sizeof(json), "%s%s", manifest_json, sess);
	memcpy(strstr(json, "\"intro\"]"), "\"other\"]", 8);
	assert_int_equal(relais_manifest_parse(&m, ctx, json, strlen(json)), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(ctx), "sessions[0].before names unit other"));
	(void)snprintf(json, sizeof(json), "%s%s", manifest_json, sess);
	memcpy(strstr(json, "\"place\""), "\"where\"", 7);
	assert_int_equal(relais_manifest_parse(&m, ctx, json, strlen(json)), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(ctx), "unknown member \"where\""));
	relais_ctx_free(ctx);
}

/* The catalogue's optional sessions: written only when there are some, read back. */
static void in_catalogue(void **state)
{
	struct relais_catalogue cat = {0}, *back = NULL;
	struct relais_session two[2];
	relais_ctx *ctx = NULL;
	char *json = NULL;
	size_t len;

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	cat.serial = 7;
	cat.issued = "2031-01-01T00:00:00.000Z";
	cat.expires = "2031-02-01T00:00:00.000Z";
	memcpy(cat.hub_key, "0123456789ABCDEF", 17);
	assert_int_equal(relais_catalogue_write(&json, &len, ctx, &cat), 0);
	assert_null(strstr(json, "sessions")); /* older laptops read it */
	free(json);
	two[0] = good();
	two[0].course = "alpha";
	two[1] = good();
	two[1].course = "beta";
	two[1].cancelled = 1;
	cat.sessions = two;
	cat.n_sessions = 2;
	assert_int_equal(relais_catalogue_write(&json, &len, ctx, &cat), 0);
	assert_int_equal(relais_catalogue_parse(&back, ctx, json, len, "cat"), 0);
	assert_int_equal(back->n_sessions, 2);
	assert_string_equal(back->sessions[1].course, "beta");
	assert_true(back->sessions[1].cancelled);
	assert_false(back->sessions[0].cancelled);
	assert_string_equal(back->sessions[0].timezone, "Europe/Paris");
	relais_catalogue_free(back);
	/* Out of order: refused. */
	memcpy(strstr(json, "\"beta\""), "\"aaaa\"", 6);
	assert_int_equal(relais_catalogue_parse(&back, ctx, json, len, "cat"), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(ctx), "ascending order"));
	free(json);
	relais_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(rules),        cmocka_unit_test(time_zones),
	        cmocka_unit_test(ics),          cmocka_unit_test(in_documents),
	        cmocka_unit_test(in_catalogue), cmocka_unit_test(summer_time),
	        cmocka_unit_test(threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
