/* scorm.c: a SCORM player's commit (the data model as JSON): checked against the version's limits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/scorm.h"
#include "relais/utf8.h"

void relais_scorm_commit_clear(struct relais_scorm_commit *c)
{
	free(c->cmi);
	memset(c, 0, sizeof(*c));
}

/* A string member of o by dotted path ("core.lesson_status"), or NULL. */
static const char *text_at(const cJSON *o, const char *path)
{
	char name[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(name)) {
			return NULL;
		}
		memcpy(name, path, n);
		name[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, name);
		if (!cJSON_IsObject(o)) {
			return NULL;
		}
		path = dot + 1;
	}
	o = cJSON_GetObjectItemCaseSensitive(o, path);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

/* Characters (code points) of valid UTF-8 text. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

/* A number the data model holds as a string; 0 when it holds none. */
static int number(double *out, const char *s)
{
	char *end;

	if (s == NULL || s[0] == '\0') {
		return 0;
	}
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

/* "HHHH:MM:SS.SS" (1.2) or "PT1H2M3.4S" (2004) in seconds; -1 when neither. */
static double seconds(const char *s)
{
	double h = 0, m = 0, sec = 0, v;
	char *end;

	if (s == NULL || s[0] == '\0') {
		return -1;
	}
	if (sscanf(s, "%lf:%lf:%lf", &h, &m, &sec) == 3) {
		return h * 3600 + m * 60 + sec;
	}
	if (s[0] != 'P') {
		return -1;
	}
	for (s++; *s; s = end) {
		if (*s == 'T') {
			end = (char *)s + 1;
			continue;
		}
		v = strtod(s, &end);
		if (end == s) {
			return -1;
		}
		switch (*end) {
		case 'D':
			v *= 86400;
			break;
		case 'H':
			v *= 3600;
			break;
		case 'M':
			v *= 60;
			break;
		case 'S':
			break;
		default:
			return -1;
		}
		sec += v;
		end++;
	}
	return sec;
}

int relais_scorm_commit_parse(struct relais_scorm_commit *out, relais_ctx *ctx, int standard,
                              const char *json, size_t len)
{
	int v12 = standard == RELAIS_PACKAGE_SCORM12;
	size_t suspend_max = v12 ? RELAIS_SCORM12_SUSPEND_MAX : RELAIS_SCORM2004_SUSPEND_MAX;
	size_t location_max = v12 ? RELAIS_SCORM12_LOCATION_MAX : RELAIS_SCORM2004_LOCATION_MAX;
	const char *suspend, *location, *status, *exit_;
	cJSON *root = NULL, *cmi;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->completion = out->success = -1;
	out->session_s = -1;
	if (len > RELAIS_SCORM_COMMIT_MAX) {
		return relais_fail(ctx, RELAIS_ELIMIT, "the commit is over %u bytes",
		                   RELAIS_SCORM_COMMIT_MAX);
	}
	if (!relais_utf8_valid(json, len) || (root = cJSON_ParseWithLength(json, len)) == NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "the commit is not JSON");
	}
	cmi = cJSON_GetObjectItemCaseSensitive(root, "cmi");
	if (!cJSON_IsObject(cmi)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "the commit has no cmi object");
		goto out;
	}
	suspend = text_at(cmi, "suspend_data");
	location = text_at(cmi, v12 ? "core.lesson_location" : "location");
	if (suspend != NULL && chars(suspend) > suspend_max) {
		rc = relais_fail(ctx, RELAIS_ELIMIT,
		                 "cmi.suspend_data is over SCORM %s's %zu characters",
		                 v12 ? "1.2" : "2004", suspend_max);
		goto out;
	}
	if (location != NULL && chars(location) > location_max) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "%s is over SCORM %s's %zu characters",
		                 v12 ? "cmi.core.lesson_location" : "cmi.location",
		                 v12 ? "1.2" : "2004", location_max);
		goto out;
	}
	if (v12) {
		/* One lesson_status carries both: passed and failed are judged, and
		 * both mean the SCO was gone through. */
		status = text_at(cmi, "core.lesson_status");
		if (status != NULL) {
			out->completion = strcmp(status, "completed") == 0 ||
			                                  strcmp(status, "passed") == 0 ||
			                                  strcmp(status, "failed") == 0
			                          ? 1
			                  : strcmp(status, "incomplete") == 0 ? 0
			                                                      : -1;
			out->success = strcmp(status, "passed") == 0   ? 1
			               : strcmp(status, "failed") == 0 ? 0
			                                               : -1;
		}
		out->has_score = number(&out->raw, text_at(cmi, "core.score.raw"));
		if (!number(&out->max, text_at(cmi, "core.score.max"))) {
			out->max = 100; /* SCORM 1.2: raw is a percentage unless told */
		}
		(void)number(&out->min, text_at(cmi, "core.score.min"));
		out->scaled =
		        out->max > out->min ? (out->raw - out->min) / (out->max - out->min) : 0;
		exit_ = text_at(cmi, "core.exit");
		out->session_s = seconds(text_at(cmi, "core.session_time"));
	} else {
		status = text_at(cmi, "completion_status");
		out->completion = status == NULL                      ? -1
		                  : strcmp(status, "completed") == 0  ? 1
		                  : strcmp(status, "incomplete") == 0 ? 0
		                                                      : -1;
		status = text_at(cmi, "success_status");
		out->success = status == NULL                  ? -1
		               : strcmp(status, "passed") == 0 ? 1
		               : strcmp(status, "failed") == 0 ? 0
		                                               : -1;
		out->has_score = number(&out->scaled, text_at(cmi, "score.scaled"));
		if (number(&out->raw, text_at(cmi, "score.raw"))) {
			(void)number(&out->min, text_at(cmi, "score.min"));
			(void)number(&out->max, text_at(cmi, "score.max"));
			if (!out->has_score && out->max > out->min) {
				out->scaled = (out->raw - out->min) / (out->max - out->min);
				out->has_score = 1;
			}
		} else if (out->has_score) {
			out->raw = out->scaled * 100;
			out->max = 100;
		}
		exit_ = text_at(cmi, "exit");
		out->session_s = seconds(text_at(cmi, "session_time"));
	}
	if (out->has_score && (out->scaled < -1 || out->scaled > 1)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "the score is out of its range");
		goto out;
	}
	out->suspended = exit_ != NULL && strcmp(exit_, "suspend") == 0;
	if ((out->cmi = cJSON_PrintUnformatted(root)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
out:
	cJSON_Delete(root);
	if (rc != 0) {
		relais_scorm_commit_clear(out);
	}
	return rc;
}
