/* statement.c: build xAPI 1.0.3 statements (cJSON) with UUIDs frozen at the event. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "home_private.h"
#include "relais/hash.h"
#include "relais/error.h"
#include "statement.h"

#define IRI_MAX 512

const char *relais_verb_iri(const char *verb)
{
	static const char *const known[] = {"experienced", "attempted", "answered",   "passed",
	                                    "failed",      "completed", "terminated", "suspended",
	                                    "attended",    NULL};
	static const char *const iris[] = {
	        RELAIS_XAPI_VERBS "experienced", RELAIS_XAPI_VERBS "attempted",
	        RELAIS_XAPI_VERBS "answered",    RELAIS_XAPI_VERBS "passed",
	        RELAIS_XAPI_VERBS "failed",      RELAIS_XAPI_VERBS "completed",
	        RELAIS_XAPI_VERBS "terminated",  RELAIS_XAPI_VERBS "suspended",
	        RELAIS_XAPI_VERBS "attended",
	};
	size_t i;

	for (i = 0; known[i]; i++) {
		if (strcmp(known[i], verb) == 0) {
			return iris[i];
		}
	}
	return NULL;
}

void relais_statement_uuid(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	(void)snprintf(out, 37,
	               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
	               b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	               b[13], b[14], b[15]);
}

int relais_statement_attended_id(char out[37], const char *session_iri, const char *email)
{
	/* RFC 4122's URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8, as bytes. */
	static const unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
	                                     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	static const char digits[] = "0123456789abcdef";
	char name[16 + 2 * IRI_MAX], hex[RELAIS_SHA1_HEX];
	size_t len = sizeof(ns);
	int n, v;

	memcpy(name, ns, sizeof(ns));
	n = snprintf(name + len, sizeof(name) - len, "%s mailto:%s", session_iri, email);
	if (n < 0 || (size_t)n >= sizeof(name) - len) {
		return -1;
	}
	for (char *p = name + len; *p; p++) {
		*p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
	}
	/* The IRI is lower-case already (relais ids are); the email is made so. */
	if (relais_sha1_hex(hex, name, len + (size_t)n) != 0) {
		return -1;
	}
	v = hex[16] <= '9' ? hex[16] - '0' : hex[16] - 'a' + 10;
	hex[12] = '5';                 /* version 5 */
	hex[16] = digits[(v & 3) | 8]; /* the RFC 4122 variant */
	(void)snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
	               hex + 20);
	return 0;
}

int relais_session_iri(char *out, size_t size, const char *course_id, const char *session_id)
{
	int n = snprintf(out, size, RELAIS_XAPI_ACTIVITIES "%s/session/%s", course_id, session_id);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ISO 8601 duration with centiseconds, as xAPI asks ("PT1M2.34S"). */
void relais_statement_duration(char out[48], double s)
{
	long cs = lround(s * 100.0);
	long h = cs / 360000, m = (cs / 6000) % 60;
	double sec = (double)(cs % 6000) / 100.0;

	if (h > 0) {
		(void)snprintf(out, 48, "PT%ldH%ldM%.2fS", h, m, sec);
	} else if (m > 0) {
		(void)snprintf(out, 48, "PT%ldM%.2fS", m, sec);
	} else {
		(void)snprintf(out, 48, "PT%.2fS", sec);
	}
}

/* An activity object with a name in the course's language and a type. */
static cJSON *activity(const char *iri, const char *name, const char *lang, const char *type)
{
	cJSON *a = cJSON_CreateObject(), *def, *names;

	cJSON_AddStringToObject(a, "objectType", "Activity");
	cJSON_AddStringToObject(a, "id", iri);
	if (name != NULL) {
		def = cJSON_AddObjectToObject(a, "definition");
		names = cJSON_AddObjectToObject(def, "name");
		cJSON_AddStringToObject(names, lang, name);
		cJSON_AddStringToObject(def, "type", type);
	}
	return a;
}

int relais_statement_make(char **out_json, char out_id[37], relais_ctx *ctx,
                          const struct relais_event *ev)
{
	char course_iri[IRI_MAX], unit_iri[IRI_MAX], mbox[IRI_MAX], now[32], dur[48];
	const char *verb_iri = relais_verb_iri(ev->verb);
	cJSON *st = NULL, *actor, *verb, *display, *ctxobj, *parents, *result, *score, *object;
	int n;

	*out_json = NULL;
	if (verb_iri == NULL) {
		return relais_fail(ctx, RELAIS_EINVAL, "unknown verb %s", ev->verb);
	}
	n = snprintf(course_iri, sizeof(course_iri), RELAIS_XAPI_ACTIVITIES "%s", ev->course_id);
	if (n < 0 || (size_t)n >= sizeof(course_iri)) {
		return relais_fail(ctx, RELAIS_ELIMIT, "course id too long for an IRI");
	}
	if (ev->unit_id != NULL) {
		n = ev->question_id ? snprintf(unit_iri, sizeof(unit_iri), "%s/%s/%s", course_iri,
		                               ev->unit_id, ev->question_id)
		                    : snprintf(unit_iri, sizeof(unit_iri), "%s/%s", course_iri,
		                               ev->unit_id);
		if (n < 0 || (size_t)n >= sizeof(unit_iri)) {
			return relais_fail(ctx, RELAIS_ELIMIT, "unit id too long for an IRI");
		}
	}
	if (snprintf(mbox, sizeof(mbox), "mailto:%s", ev->learner_email) >= (int)sizeof(mbox)) {
		return relais_fail(ctx, RELAIS_ELIMIT, "email too long");
	}
	if (ev->session_id != NULL &&
	    relais_session_iri(unit_iri, sizeof(unit_iri), ev->course_id, ev->session_id) != 0) {
		return relais_fail(ctx, RELAIS_ELIMIT, "session id too long for an IRI");
	}
	if (ev->statement_id != NULL) {
		(void)snprintf(out_id, 37, "%s", ev->statement_id);
	} else {
		relais_statement_uuid(out_id);
	}
	if (ev->timestamp != NULL) {
		(void)snprintf(now, sizeof(now), "%s", ev->timestamp);
	} else {
		relais_now_iso(now);
	}

	st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "id", out_id);
	actor = cJSON_AddObjectToObject(st, "actor");
	cJSON_AddStringToObject(actor, "objectType", "Agent");
	cJSON_AddStringToObject(actor, "name", ev->learner_name);
	cJSON_AddStringToObject(actor, "mbox", mbox);
	verb = cJSON_AddObjectToObject(st, "verb");
	cJSON_AddStringToObject(verb, "id", verb_iri);
	display = cJSON_AddObjectToObject(verb, "display");
	cJSON_AddStringToObject(display, "en-US", ev->verb);

	if (ev->session_id != NULL) {
		object = activity(unit_iri, ev->session_title, ev->language,
		                  "http://adlnet.gov/expapi/activities/meeting");
	} else if (ev->unit_id == NULL) {
		object = activity(course_iri, ev->course_title, ev->language,
		                  "http://adlnet.gov/expapi/activities/course");
	} else if (ev->question_id != NULL) {
		object = activity(unit_iri, ev->unit_title, ev->language,
		                  "http://adlnet.gov/expapi/activities/cmi.interaction");
		if (ev->interaction != NULL) {
			cJSON_AddStringToObject(
			        cJSON_GetObjectItemCaseSensitive(object, "definition"),
			        "interactionType", ev->interaction);
		}
	} else {
		object = activity(unit_iri, ev->unit_title, ev->language,
		                  strcmp(ev->unit_kind, "quiz") == 0
		                          ? "http://adlnet.gov/expapi/activities/assessment"
		                          : "http://adlnet.gov/expapi/activities/lesson");
	}
	cJSON_AddItemToObject(st, "object", object);

	if (ev->has_result) {
		result = cJSON_AddObjectToObject(st, "result");
		if (ev->max > 0) {
			score = cJSON_AddObjectToObject(result, "score");
			cJSON_AddNumberToObject(score, "scaled", round(ev->scaled * 10000) / 10000);
			cJSON_AddNumberToObject(score, "raw", round(ev->raw * 10000) / 10000);
			cJSON_AddNumberToObject(score, "min", ev->min);
			cJSON_AddNumberToObject(score, "max", ev->max);
		}
		if (ev->success >= 0) {
			cJSON_AddBoolToObject(result, "success", ev->success);
		}
		if (ev->completion >= 0) {
			cJSON_AddBoolToObject(result, "completion", ev->completion);
		}
		if (ev->response != NULL) {
			cJSON_AddStringToObject(result, "response", ev->response);
		}
		if (ev->duration_s >= 0) {
			relais_statement_duration(dur, ev->duration_s);
			cJSON_AddStringToObject(result, "duration", dur);
		}
		if (ev->late) {
			cJSON_AddTrueToObject(cJSON_AddObjectToObject(result, "extensions"),
			                      RELAIS_XAPI_LATE);
		}
	}
	ctxobj = cJSON_AddObjectToObject(st, "context");
	cJSON_AddStringToObject(ctxobj, "platform", "relais");
	cJSON_AddStringToObject(ctxobj, "language", ev->language);
	if (ev->learner_org != NULL && ev->learner_org[0] != '\0') {
		cJSON *ext = cJSON_AddObjectToObject(ctxobj, "extensions");
		cJSON_AddStringToObject(ext, RELAIS_XAPI_ORGANISATION, ev->learner_org);
	}
	if (ev->instructor_email != NULL) {
		char ibox[IRI_MAX];
		cJSON *in = cJSON_AddObjectToObject(ctxobj, "instructor");
		(void)snprintf(ibox, sizeof(ibox), "mailto:%s", ev->instructor_email);
		cJSON_AddStringToObject(in, "objectType", "Agent");
		cJSON_AddStringToObject(in, "name", ev->instructor_name);
		cJSON_AddStringToObject(in, "mbox", ibox);
	}
	if (ev->unit_id != NULL || ev->session_id != NULL) {
		cJSON *ca = cJSON_AddObjectToObject(ctxobj, "contextActivities");
		parents = cJSON_AddArrayToObject(ca, "parent");
		if (ev->question_id != NULL) {
			char quiz_iri[IRI_MAX];
			(void)snprintf(quiz_iri, sizeof(quiz_iri), "%s/%s", course_iri,
			               ev->unit_id);
			cJSON_AddItemToArray(parents, activity(quiz_iri, NULL, NULL, NULL));
			cJSON_AddItemToArray(cJSON_AddArrayToObject(ca, "grouping"),
			                     activity(course_iri, NULL, NULL, NULL));
		} else {
			cJSON_AddItemToArray(parents, activity(course_iri, NULL, NULL, NULL));
		}
		/* ADL's SCORM profile for xAPI: its statements say so. */
		if (ev->unit_kind != NULL && strcmp(ev->unit_kind, "package") == 0) {
			cJSON_AddItemToArray(cJSON_AddArrayToObject(ca, "category"),
			                     activity(RELAIS_XAPI_SCORM_PROFILE, NULL, NULL, NULL));
		}
	}
	cJSON_AddStringToObject(st, "timestamp", now);
	*out_json = cJSON_PrintUnformatted(st);
	cJSON_Delete(st);
	return *out_json ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}
