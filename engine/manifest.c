/* manifest.c: parse, check and write manifest.json (cJSON). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/manifest.h"
#include "rotation_private.h"
#include "session_private.h"
#include "relais/utf8.h"
#include "relais/zip.h"

#define TEXT_MAX 4096
#define SHOWN_MAX 256

/* An untrusted string made safe to print, cut to a readable length. */
static const char *printable(char *buf, size_t size, const char *s)
{
	relais_printable(buf, size, s);
	return buf;
}

int relais_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > RELAIS_ID_MAX ||
	    !(islower((unsigned char)id[0]) || isdigit((unsigned char)id[0]))) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
			return 0;
		}
	}
	return 1;
}

int relais_language_ok(const char *tag)
{
	const char *p = tag;
	size_t n = 0, part = 0;

	/* A primary subtag of 2-3 letters, then subtags of 1-8 letters or digits. */
	for (; *p; p++) {
		if (*p == '-') {
			if (n == 0 || (part == 0 && (n < 2 || n > 3))) {
				return 0;
			}
			part++;
			n = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) || (part == 0 && !isalpha((unsigned char)*p)) ||
		    ++n > 8) {
			return 0;
		}
	}
	return n > 0 && (part > 0 || (n >= 2 && n <= 3)) && strlen(tag) <= 35;
}

void relais_manifest_free(relais_manifest *m)
{
	size_t i;

	if (m == NULL) {
		return;
	}
	free(m->id);
	free(m->title);
	free(m->language);
	free(m->summary);
	for (i = 0; i < m->n_authors; i++) {
		free(m->authors[i]);
	}
	free(m->authors);
	for (i = 0; i < m->n_units; i++) {
		free(m->units[i].id);
		free(m->units[i].title);
		free(m->units[i].path);
		relais_package_free(m->units[i].package);
	}
	free(m->units);
	for (i = 0; i < m->n_entries; i++) {
		free(m->entries[i].path);
	}
	free(m->entries);
	for (i = 0; i < m->n_rotations; i++) {
		relais_rotation_clear(&m->rotations[i]);
	}
	free(m->rotations);
	for (i = 0; i < m->n_sessions; i++) {
		relais_session_clear(&m->sessions[i]);
	}
	free(m->sessions);
	free(m);
}

/* An optional array member of 1 to max items: *items calloc'd for them. */
static int optional_array(void **items, relais_ctx *ctx, const cJSON *arr, size_t size, int max,
                          const char *name, const char *what)
{
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;

	if (n < 1 || n > max) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "manifest: %s must be an array of 1 to %d %s", name, max, what);
	}
	if ((*items = calloc((size_t)n, size)) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	return 0;
}

/* The optional rotations member: key rotation records, at most RELAIS_MANIFEST_MAX_ROTATIONS. */
static int parse_rotations(relais_ctx *ctx, relais_manifest *m, const cJSON *arr)
{
	const cJSON *v;
	char at[64];
	int rc;

	if (arr == NULL) {
		return 0;
	}
	if ((rc = optional_array((void **)&m->rotations, ctx, arr, sizeof(*m->rotations),
	                         RELAIS_MANIFEST_MAX_ROTATIONS, "rotations",
	                         "key rotation records")) != 0) {
		return rc;
	}
	cJSON_ArrayForEach(v, arr)
	{
		(void)snprintf(at, sizeof(at), "manifest: rotations[%zu].", m->n_rotations);
		if ((rc = relais_rotation_from_cjson(&m->rotations[m->n_rotations], ctx, v, at)) !=
		    0) {
			return rc;
		}
		m->n_rotations++;
	}
	return 0;
}

/* The optional sessions member: live sessions, ids unique, before naming units. */
static int parse_sessions(relais_ctx *ctx, relais_manifest *m, const cJSON *arr)
{
	const cJSON *v;
	char at[64];
	int rc;

	if (arr == NULL) {
		return 0;
	}
	if ((rc = optional_array((void **)&m->sessions, ctx, arr, sizeof(*m->sessions),
	                         RELAIS_SESSIONS_MAX, "sessions", "sessions")) != 0) {
		return rc;
	}
	cJSON_ArrayForEach(v, arr)
	{
		struct relais_session *s = &m->sessions[m->n_sessions];
		(void)snprintf(at, sizeof(at), "manifest: sessions[%zu].", m->n_sessions);
		if ((rc = relais_session_from_cjson(s, ctx, v, at, 0)) != 0) {
			return rc;
		}
		m->n_sessions++;
		for (size_t i = 0; i < s->n_before; i++) {
			if (relais_manifest_unit(m, s->before[i]) == NULL) {
				return relais_fail(ctx, RELAIS_EFORMAT,
				                   "%sbefore names unit %s, which is not in units",
				                   at, s->before[i]);
			}
		}
		for (size_t i = 0; i + 1 < m->n_sessions; i++) {
			if (strcmp(m->sessions[i].id, s->id) == 0) {
				return relais_fail(ctx, RELAIS_EFORMAT,
				                   "manifest: session id %s is used twice", s->id);
			}
		}
	}
	return 0;
}

/* Copies a string member; required ones must exist and be non-empty. */
static int get_string(relais_ctx *ctx, char **out, const cJSON *obj, const char *key,
                      const char *where, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (v == NULL && !required) {
		*out = strdup("");
		return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s%s must be a string", where,
		                   key);
	}
	if (required && v->valuestring[0] == '\0') {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s%s is empty", where, key);
	}
	if (strlen(v->valuestring) > TEXT_MAX) {
		return relais_fail(ctx, RELAIS_ELIMIT, "manifest: %s%s is too long", where, key);
	}
	*out = strdup(v->valuestring);
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

/* Reads a non-negative integer member no greater than max. */
static int get_uint(relais_ctx *ctx, uint64_t *out, const cJSON *obj, const char *key,
                    const char *where, uint64_t min, uint64_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!cJSON_IsNumber(v)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s%s must be a number", where,
		                   key);
	}
	d = v->valuedouble;
	if (d < (double)min || d > (double)max || d != (double)(uint64_t)d) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s%s is out of range", where,
		                   key);
	}
	*out = (uint64_t)d;
	return 0;
}

static int hex_decode(unsigned char *out, size_t n, const char *hex)
{
	size_t i;

	if (strlen(hex) != 2 * n) {
		return -1;
	}
	for (i = 0; i < 2 * n; i++) {
		int c = hex[i], v;
		if (c >= '0' && c <= '9') {
			v = c - '0';
		} else if (c >= 'a' && c <= 'f') {
			v = c - 'a' + 10;
		} else {
			return -1; /* lower case only: one spelling per hash */
		}
		if (i % 2 == 0) {
			out[i / 2] = (unsigned char)(v << 4);
		} else {
			out[i / 2] |= (unsigned char)v;
		}
	}
	return 0;
}

void relais_package_free(struct relais_package *p)
{
	size_t i, k;

	if (p == NULL) {
		return;
	}
	for (i = 0; i < p->n_orgs; i++) {
		struct relais_package_org *o = &p->orgs[i];
		for (k = 0; k < o->n_items; k++) {
			free(o->items[k].id);
			free(o->items[k].title);
			free(o->items[k].launch);
			free(o->items[k].parameters);
			free(o->items[k].data_from_lms);
			free(o->items[k].launch_parameters);
		}
		free(o->items);
		free(o->id);
		free(o->title);
	}
	free(p->orgs);
	free(p->version);
	free(p->id);
	free(p);
}

static const char *const standard_names[] = {NULL, "scorm-1.2", "scorm-2004", "cmi5"};
static const char *const launch_names[] = {"AnyWindow", "OwnWindow"};
static const char *const move_on_names[] = {"NotApplicable", "Passed", "Completed",
                                            "CompletedAndPassed", "CompletedOrPassed"};

const char *relais_package_standard_name(int standard)
{
	return standard >= 1 && standard <= 3 ? standard_names[standard] : "?";
}

const char *relais_cmi5_launch_name(int launch_method)
{
	return launch_method >= 0 && launch_method <= 1 ? launch_names[launch_method] : "?";
}

const char *relais_cmi5_move_on_name(int move_on)
{
	return move_on >= 0 && move_on <= 4 ? move_on_names[move_on] : "?";
}

/* Index of name in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}

/* Whether s is an absolute http(s) URL: a cmi5 AU played from the network. */
static int is_remote(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/* An optional number member in [min, max]; *has says whether it was there. */
static int get_double(relais_ctx *ctx, int *has, double *out, const cJSON *obj, const char *key,
                      const char *where, double min, double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*has = 0;
	if (v == NULL) {
		return 0;
	}
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max)) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "manifest: %s%s must be a number from %g to %g", where, key, min,
		                   max);
	}
	*has = 1;
	*out = v->valuedouble;
	return 0;
}

/* An optional string member naming one of names; absent gives dflt. */
static int get_enum(relais_ctx *ctx, int *out, const cJSON *obj, const char *key, const char *where,
                    const char *const *names, int n, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = dflt;
	if (v == NULL) {
		return 0;
	}
	if (!cJSON_IsString(v) || (*out = name_index(names, n, v->valuestring)) < 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s%s is not a known value",
		                   where, key);
	}
	return 0;
}

static int parse_item(relais_ctx *ctx, const relais_manifest *m, const struct relais_unit *unit,
                      struct relais_package *p, struct relais_package_item *it, const cJSON *o,
                      const char *where, unsigned prev_level, int first)
{
	char shown[SHOWN_MAX];
	const cJSON *launch = cJSON_GetObjectItemCaseSensitive(o, "launch");
	size_t plen = strlen(unit->path);
	uint64_t level;
	int rc, has;
	double lo = 0, hi = 1;

	if (!cJSON_IsObject(o)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s is not an object", where);
	}
	if ((rc = get_string(ctx, &it->id, o, "id", where, 1)) != 0 ||
	    (rc = get_string(ctx, &it->title, o, "title", where, 1)) != 0 ||
	    (rc = get_uint(ctx, &level, o, "level", where, 0, RELAIS_PACKAGE_MAX_LEVEL)) != 0 ||
	    (rc = get_string(ctx, &it->parameters, o, "parameters", where, 0)) != 0 ||
	    (rc = get_string(ctx, &it->data_from_lms, o, "data_from_lms", where, 0)) != 0 ||
	    (rc = get_string(ctx, &it->launch_parameters, o, "launch_parameters", where, 0)) != 0) {
		return rc;
	}
	/* An outline: the first item at the top, none deeper than one below the last. */
	if ((first && level != 0) || (!first && level > (uint64_t)prev_level + 1)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %slevel breaks the outline",
		                   where);
	}
	it->level = (unsigned)level;
	if (launch != NULL) {
		if ((rc = get_string(ctx, &it->launch, o, "launch", where, 1)) != 0) {
			return rc;
		}
		if (p->standard == RELAIS_PACKAGE_CMI5 && is_remote(it->launch)) {
			/* Played from the network: allowed, and said by `relais pack`. */
		} else if (strncmp(it->launch, unit->path, plen) != 0 || it->launch[plen] != '/' ||
		           relais_manifest_entry(m, it->launch) == NULL) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: %slaunch names %s, which is not an entry of "
			                   "the package",
			                   where, printable(shown, sizeof(shown), it->launch));
		}
	}
	if (p->standard == RELAIS_PACKAGE_CMI5) {
		if ((rc = get_enum(ctx, &it->launch_method, o, "launch_method", where, launch_names,
		                   2, RELAIS_CMI5_ANY_WINDOW)) != 0 ||
		    (rc = get_enum(ctx, &it->move_on, o, "move_on", where, move_on_names, 5,
		                   RELAIS_CMI5_NOT_APPLICABLE)) != 0) {
			return rc;
		}
	} else if (launch != NULL) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "scorm_type");
		if (!cJSON_IsString(t) ||
		    (strcmp(t->valuestring, "sco") != 0 && strcmp(t->valuestring, "asset") != 0)) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: %sscorm_type must be \"sco\" or \"asset\"",
			                   where);
		}
		it->sco = strcmp(t->valuestring, "sco") == 0;
	}
	if (p->standard == RELAIS_PACKAGE_SCORM12) {
		hi = 100;
	} else if (p->standard == RELAIS_PACKAGE_SCORM2004) {
		lo = -1;
	}
	if ((rc = get_double(ctx, &it->has_mastery, &it->mastery_score, o, "mastery_score", where,
	                     lo, hi)) != 0 ||
	    (rc = get_double(ctx, &has, &it->completion_threshold, o, "completion_threshold", where,
	                     0, 1)) != 0) {
		return rc;
	}
	it->has_completion_threshold = has;
	return 0;
}

/* Parses and checks a package unit's "package" member against the entries. */
static int parse_package(relais_ctx *ctx, const relais_manifest *m, struct relais_unit *unit,
                         const cJSON *pj, const char *unit_where)
{
	char where[96];
	struct relais_package *p = NULL;
	const cJSON *orgs, *oj, *ij;
	size_t i = 0, total = 0, k, launches = 0;
	char *standard = NULL;
	int rc = 0;

	(void)snprintf(where, sizeof(where), "%spackage.", unit_where);
	if (!cJSON_IsObject(pj)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %spackage must be an object",
		                   unit_where);
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	unit->package = p;
	if ((rc = get_string(ctx, &standard, pj, "standard", where, 1)) != 0) {
		goto out;
	}
	p->standard = name_index(standard_names, 4, standard);
	if (p->standard < 1) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "manifest: %sstandard must be \"scorm-1.2\", \"scorm-2004\" or "
		                 "\"cmi5\"",
		                 where);
		goto out;
	}
	if ((rc = get_string(ctx, &p->version, pj, "version", where, 1)) != 0 ||
	    (rc = get_string(ctx, &p->id, pj, "id", where, 1)) != 0) {
		goto out;
	}
	orgs = cJSON_GetObjectItemCaseSensitive(pj, "organizations");
	if (!cJSON_IsArray(orgs) || cJSON_GetArraySize(orgs) == 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "manifest: %sorganizations must be a non-empty array", where);
		goto out;
	}
	if (cJSON_GetArraySize(orgs) > RELAIS_PACKAGE_MAX_ORGS) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "manifest: %sorganizations: too many", where);
		goto out;
	}
	p->orgs = calloc((size_t)cJSON_GetArraySize(orgs), sizeof(*p->orgs));
	if (p->orgs == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(oj, orgs)
	{
		struct relais_package_org *o = &p->orgs[i];
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(oj, "items");
		char ow[128];

		(void)snprintf(ow, sizeof(ow), "%sorganizations[%zu].", where, i);
		p->n_orgs = ++i;
		if (!cJSON_IsObject(oj)) {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s is not an object", ow);
			goto out;
		}
		if ((rc = get_string(ctx, &o->id, oj, "id", ow, 1)) != 0 ||
		    (rc = get_string(ctx, &o->title, oj, "title", ow, 0)) != 0) {
			goto out;
		}
		if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) == 0) {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "manifest: %sitems must be a non-empty array", ow);
			goto out;
		}
		total += (size_t)cJSON_GetArraySize(items);
		if (total > RELAIS_PACKAGE_MAX_ITEMS) {
			rc = relais_fail(ctx, RELAIS_ELIMIT, "manifest: %sitems: too many", where);
			goto out;
		}
		o->items = calloc((size_t)cJSON_GetArraySize(items), sizeof(*o->items));
		if (o->items == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		k = 0;
		cJSON_ArrayForEach(ij, items)
		{
			char iw[160];
			(void)snprintf(iw, sizeof(iw), "%sitems[%zu].", ow, k);
			o->n_items = k + 1;
			rc = parse_item(ctx, m, unit, p, &o->items[k], ij, iw,
			                k ? o->items[k - 1].level : 0, k == 0);
			if (rc != 0) {
				goto out;
			}
			launches += i == 1 && o->items[k].launch != NULL;
			k++;
		}
	}
	if (launches == 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "manifest: %sorganizations[0] has nothing to launch", where);
		goto out;
	}
out:
	free(standard);
	return rc;
}

/* A quiz unit's optional members: shuffle, max_attempts, time_limit_minutes. */
static int quiz_limits(relais_ctx *ctx, struct relais_unit *unit, const cJSON *u, const char *where)
{
	const cJSON *shuffle = cJSON_GetObjectItemCaseSensitive(u, "shuffle");
	uint64_t n = 0;
	int rc;

	if (shuffle != NULL) {
		if (!cJSON_IsBool(shuffle)) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: %sshuffle must be true or false", where);
		}
		unit->keep_order = cJSON_IsFalse(shuffle);
	}
	if (cJSON_GetObjectItemCaseSensitive(u, "max_attempts") != NULL) {
		if ((rc = get_uint(ctx, &n, u, "max_attempts", where, 1,
		                   RELAIS_QUIZ_MAX_ATTEMPTS)) != 0) {
			return rc;
		}
		unit->max_attempts = (unsigned)n;
	}
	if (cJSON_GetObjectItemCaseSensitive(u, "time_limit_minutes") != NULL) {
		if ((rc = get_uint(ctx, &n, u, "time_limit_minutes", where, 1,
		                   RELAIS_QUIZ_MAX_MINUTES)) != 0) {
			return rc;
		}
		unit->time_limit_minutes = (unsigned)n;
	}
	return 0;
}

static int parse_units(relais_ctx *ctx, relais_manifest *m, const cJSON *units)
{
	char shown[SHOWN_MAX];
	const cJSON *u;
	size_t i = 0;
	int rc;

	if (!cJSON_IsArray(units) || cJSON_GetArraySize(units) == 0) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "manifest: units must be a non-empty array");
	}
	if (cJSON_GetArraySize(units) > RELAIS_MANIFEST_MAX_UNITS) {
		return relais_fail(ctx, RELAIS_ELIMIT, "manifest: too many units");
	}
	m->units = calloc((size_t)cJSON_GetArraySize(units), sizeof(*m->units));
	if (m->units == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(u, units)
	{
		struct relais_unit *unit = &m->units[i];
		char where[64], *type = NULL;
		uint64_t pass = 0;

		(void)snprintf(where, sizeof(where), "units[%zu].", i);
		m->n_units = ++i;
		if (!cJSON_IsObject(u)) {
			return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s is not an object",
			                   where);
		}
		if ((rc = get_string(ctx, &unit->id, u, "id", where, 1)) != 0 ||
		    (rc = get_string(ctx, &unit->title, u, "title", where, 1)) != 0 ||
		    (rc = get_string(ctx, &unit->path, u, "path", where, 1)) != 0 ||
		    (rc = get_string(ctx, &type, u, "type", where, 1)) != 0) {
			free(type);
			return rc;
		}
		if (!relais_id_ok(unit->id)) {
			free(type);
			return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %sid is not a valid id",
			                   where);
		}
		if (strcmp(type, "lesson") == 0) {
			unit->kind = RELAIS_UNIT_LESSON;
		} else if (strcmp(type, "quiz") == 0) {
			unit->kind = RELAIS_UNIT_QUIZ;
		} else if (strcmp(type, "package") == 0) {
			unit->kind = RELAIS_UNIT_PACKAGE;
		}
		if (unit->kind == 0) {
			rc = relais_fail(
			        ctx, RELAIS_EFORMAT,
			        "manifest: %stype must be \"lesson\", \"quiz\" or \"package\"; "
			        "\"%s\" is not known to this relais",
			        where, printable(shown, 64, type));
			free(type);
			return rc;
		}
		free(type);
		if (unit->kind == RELAIS_UNIT_QUIZ) {
			if ((rc = get_uint(ctx, &pass, u, "pass_percent", where, 0, 100)) != 0) {
				return rc;
			}
			unit->pass_percent = (int)pass;
			if ((rc = quiz_limits(ctx, unit, u, where)) != 0) {
				return rc;
			}
		}
		if (unit->kind == RELAIS_UNIT_PACKAGE) {
			/* path is the package's folder; its launches name its entries. */
			const char *why;
			if (relais_zip_path_ok(unit->path, &why) != 0) {
				return relais_fail(
				        ctx, RELAIS_EFORMAT, "manifest: %spath %s %s", where,
				        printable(shown, sizeof(shown), unit->path), why);
			}
			rc = parse_package(ctx, m, unit,
			                   cJSON_GetObjectItemCaseSensitive(u, "package"), where);
			if (rc != 0) {
				return rc;
			}
		} else if (relais_manifest_entry(m, unit->path) == NULL) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: %spath names %s, which is not an entry",
			                   where, printable(shown, sizeof(shown), unit->path));
		}
		if (relais_manifest_unit(m, unit->id) != unit) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: unit id %s is used twice", unit->id);
		}
	}
	return 0;
}

static int parse_entries(relais_ctx *ctx, relais_manifest *m, const cJSON *entries)
{
	char shown[SHOWN_MAX];
	const cJSON *e;
	size_t i = 0;
	int rc;

	if (!cJSON_IsArray(entries)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "manifest: entries must be an array");
	}
	if (cJSON_GetArraySize(entries) > RELAIS_MANIFEST_MAX_ENTRIES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "manifest: too many entries");
	}
	m->entries = calloc((size_t)cJSON_GetArraySize(entries) + 1, sizeof(*m->entries));
	if (m->entries == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(e, entries)
	{
		struct relais_manifest_entry *me = &m->entries[i];
		char where[64], *hex = NULL;
		const char *why;

		(void)snprintf(where, sizeof(where), "entries[%zu].", i);
		m->n_entries = ++i;
		if (!cJSON_IsObject(e)) {
			return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %s is not an object",
			                   where);
		}
		if ((rc = get_string(ctx, &me->path, e, "path", where, 1)) != 0 ||
		    (rc = get_uint(ctx, &me->size, e, "size", where, 0, RELAIS_ZIP_MAX_SIZE)) !=
		            0 ||
		    (rc = get_string(ctx, &hex, e, "sha256", where, 1)) != 0) {
			free(hex);
			return rc;
		}
		rc = hex_decode(me->sha256, sizeof(me->sha256), hex);
		free(hex);
		if (rc != 0) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: %ssha256 is not 64 lower-case hex digits",
			                   where);
		}
		if (relais_zip_path_ok(me->path, &why) != 0) {
			return relais_fail(ctx, RELAIS_EFORMAT, "manifest: entry path %s %s",
			                   printable(shown, sizeof(shown), me->path), why);
		}
		if (strcmp(me->path, "manifest.json") == 0 ||
		    strcmp(me->path, "manifest.json.minisig") == 0) {
			return relais_fail(ctx, RELAIS_EFORMAT, "manifest: %spath %s is reserved",
			                   where, me->path);
		}
		if (relais_manifest_entry(m, me->path) != me) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "manifest: entry %s is listed twice", me->path);
		}
	}
	return 0;
}

int relais_manifest_parse(relais_manifest **out, relais_ctx *ctx, const char *json, size_t len)
{
	char shown[SHOWN_MAX];
	relais_manifest *m = NULL;
	cJSON *root = NULL;
	const cJSON *authors, *a;
	uint64_t v;
	int rc = 0;

	*out = NULL;
	if (len > RELAIS_MANIFEST_MAX_BYTES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "manifest: %zu bytes, over the limit of %d",
		                   len, RELAIS_MANIFEST_MAX_BYTES);
	}
	root = cJSON_ParseWithLength(json, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "manifest: not a JSON object");
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = get_uint(ctx, &v, root, "format", "", 1, 1000)) != 0) {
		goto out;
	}
	if (v != RELAIS_MANIFEST_FORMAT) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "manifest: format %llu is not supported (this relais reads %d)",
		                 (unsigned long long)v, RELAIS_MANIFEST_FORMAT);
		goto out;
	}
	m->format = (int)v;
	if ((rc = get_string(ctx, &m->id, root, "id", "", 1)) != 0 ||
	    (rc = get_uint(ctx, &m->version, root, "version", "", 1, (1ULL << 53))) != 0 ||
	    (rc = get_string(ctx, &m->title, root, "title", "", 1)) != 0 ||
	    (rc = get_string(ctx, &m->language, root, "language", "", 1)) != 0 ||
	    (rc = get_string(ctx, &m->summary, root, "summary", "", 0)) != 0 ||
	    (rc = get_uint(ctx, &v, root, "estimated_minutes", "", 0, 100000)) != 0) {
		goto out;
	}
	m->estimated_minutes = (unsigned)v;
	if (!relais_id_ok(m->id)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "manifest: id %s is not a valid course id",
		                 printable(shown, sizeof(shown), m->id));
		goto out;
	}
	if (!relais_language_ok(m->language)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "manifest: language %s is not a BCP 47 tag",
		                 printable(shown, sizeof(shown), m->language));
		goto out;
	}
	authors = cJSON_GetObjectItemCaseSensitive(root, "authors");
	if (!cJSON_IsArray(authors) || cJSON_GetArraySize(authors) > 100) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "manifest: authors must be an array of strings");
		goto out;
	}
	m->authors = calloc((size_t)cJSON_GetArraySize(authors) + 1, sizeof(char *));
	if (m->authors == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(a, authors)
	{
		if (!cJSON_IsString(a) || strlen(a->valuestring) > TEXT_MAX) {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "manifest: authors must be an array of strings");
			goto out;
		}
		m->authors[m->n_authors] = strdup(a->valuestring);
		if (m->authors[m->n_authors++] == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = parse_entries(ctx, m, cJSON_GetObjectItemCaseSensitive(root, "entries"))) != 0 ||
	    (rc = parse_units(ctx, m, cJSON_GetObjectItemCaseSensitive(root, "units"))) != 0 ||
	    (rc = parse_sessions(ctx, m, cJSON_GetObjectItemCaseSensitive(root, "sessions"))) !=
	            0 ||
	    (rc = parse_rotations(ctx, m, cJSON_GetObjectItemCaseSensitive(root, "rotations"))) !=
	            0) {
		goto out;
	}
	*out = m;
	m = NULL;
out:
	relais_manifest_free(m);
	cJSON_Delete(root);
	return rc;
}

static cJSON *package_to_cjson(const struct relais_package *p)
{
	cJSON *o = cJSON_CreateObject(), *orgs;
	size_t i, k;

	if (o == NULL) {
		return NULL;
	}
	cJSON_AddStringToObject(o, "standard", relais_package_standard_name(p->standard));
	cJSON_AddStringToObject(o, "version", p->version);
	cJSON_AddStringToObject(o, "id", p->id);
	orgs = cJSON_AddArrayToObject(o, "organizations");
	for (i = 0; orgs && i < p->n_orgs; i++) {
		const struct relais_package_org *org = &p->orgs[i];
		cJSON *oj = cJSON_CreateObject(), *items;
		cJSON_AddStringToObject(oj, "id", org->id);
		cJSON_AddStringToObject(oj, "title", org->title ? org->title : "");
		items = cJSON_AddArrayToObject(oj, "items");
		for (k = 0; items && k < org->n_items; k++) {
			const struct relais_package_item *it = &org->items[k];
			cJSON *ij = cJSON_CreateObject();
			cJSON_AddStringToObject(ij, "id", it->id);
			cJSON_AddStringToObject(ij, "title", it->title);
			cJSON_AddNumberToObject(ij, "level", it->level);
			if (it->launch != NULL) {
				cJSON_AddStringToObject(ij, "launch", it->launch);
			}
			if (it->parameters && it->parameters[0]) {
				cJSON_AddStringToObject(ij, "parameters", it->parameters);
			}
			if (p->standard == RELAIS_PACKAGE_CMI5 && it->launch != NULL) {
				cJSON_AddStringToObject(ij, "launch_method",
				                        relais_cmi5_launch_name(it->launch_method));
				cJSON_AddStringToObject(ij, "move_on",
				                        relais_cmi5_move_on_name(it->move_on));
			} else if (it->launch != NULL) {
				cJSON_AddStringToObject(ij, "scorm_type",
				                        it->sco ? "sco" : "asset");
			}
			if (it->has_mastery) {
				cJSON_AddNumberToObject(ij, "mastery_score", it->mastery_score);
			}
			if (it->has_completion_threshold) {
				cJSON_AddNumberToObject(ij, "completion_threshold",
				                        it->completion_threshold);
			}
			if (it->data_from_lms && it->data_from_lms[0]) {
				cJSON_AddStringToObject(ij, "data_from_lms", it->data_from_lms);
			}
			if (it->launch_parameters && it->launch_parameters[0]) {
				cJSON_AddStringToObject(ij, "launch_parameters",
				                        it->launch_parameters);
			}
			cJSON_AddItemToArray(items, ij);
		}
		cJSON_AddItemToArray(orgs, oj);
	}
	return o;
}

static cJSON *to_cjson(const relais_manifest *m)
{
	cJSON *root = cJSON_CreateObject(), *units, *entries, *authors;
	char hex[65];
	size_t i, k;

	if (root == NULL) {
		return NULL;
	}
	/* The member order here is the canonical order that gets signed. */
	cJSON_AddNumberToObject(root, "format", m->format);
	cJSON_AddStringToObject(root, "id", m->id);
	cJSON_AddNumberToObject(root, "version", (double)m->version);
	cJSON_AddStringToObject(root, "title", m->title);
	cJSON_AddStringToObject(root, "language", m->language);
	cJSON_AddStringToObject(root, "summary", m->summary ? m->summary : "");
	authors = cJSON_AddArrayToObject(root, "authors");
	for (i = 0; authors && i < m->n_authors; i++) {
		cJSON_AddItemToArray(authors, cJSON_CreateString(m->authors[i]));
	}
	cJSON_AddNumberToObject(root, "estimated_minutes", m->estimated_minutes);
	units = cJSON_AddArrayToObject(root, "units");
	for (i = 0; units && i < m->n_units; i++) {
		const struct relais_unit *u = &m->units[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", u->id);
		cJSON_AddStringToObject(o, "title", u->title);
		cJSON_AddStringToObject(o, "type",
		                        u->kind == RELAIS_UNIT_QUIZ      ? "quiz"
		                        : u->kind == RELAIS_UNIT_PACKAGE ? "package"
		                                                         : "lesson");
		cJSON_AddStringToObject(o, "path", u->path);
		if (u->kind == RELAIS_UNIT_QUIZ) {
			cJSON_AddNumberToObject(o, "pass_percent", u->pass_percent);
			/* Written only when set, so older bundles keep their bytes. */
			if (u->keep_order) {
				cJSON_AddFalseToObject(o, "shuffle");
			}
			if (u->max_attempts > 0) {
				cJSON_AddNumberToObject(o, "max_attempts", u->max_attempts);
			}
			if (u->time_limit_minutes > 0) {
				cJSON_AddNumberToObject(o, "time_limit_minutes",
				                        u->time_limit_minutes);
			}
		}
		if (u->kind == RELAIS_UNIT_PACKAGE && u->package != NULL) {
			cJSON_AddItemToObject(o, "package", package_to_cjson(u->package));
		}
		cJSON_AddItemToArray(units, o);
	}
	entries = cJSON_AddArrayToObject(root, "entries");
	for (i = 0; entries && i < m->n_entries; i++) {
		const struct relais_manifest_entry *e = &m->entries[i];
		cJSON *o = cJSON_CreateObject();
		for (k = 0; k < 32; k++) {
			(void)snprintf(hex + 2 * k, 3, "%02x", e->sha256[k]);
		}
		cJSON_AddStringToObject(o, "path", e->path);
		cJSON_AddNumberToObject(o, "size", (double)e->size);
		cJSON_AddStringToObject(o, "sha256", hex);
		cJSON_AddItemToArray(entries, o);
	}
	/* Only when the course has sessions, so other bundles keep their bytes. */
	if (m->n_sessions > 0) {
		cJSON *sessions = cJSON_AddArrayToObject(root, "sessions");
		for (i = 0; sessions && i < m->n_sessions; i++) {
			cJSON_AddItemToArray(sessions, relais_session_to_cjson(&m->sessions[i], 0));
		}
	}
	/* Only when the packer was given records, so other bundles keep their bytes. */
	if (m->n_rotations > 0) {
		cJSON *rotations = cJSON_AddArrayToObject(root, "rotations");
		for (i = 0; rotations && i < m->n_rotations; i++) {
			cJSON_AddItemToArray(rotations, relais_rotation_to_cjson(&m->rotations[i]));
		}
	}
	return root;
}

int relais_manifest_to_json(char **out, size_t *out_len, relais_ctx *ctx, const relais_manifest *m)
{
	cJSON *root = to_cjson(m);

	*out = root ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	if (*out == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	*out_len = strlen(*out);
	return 0;
}

int relais_manifest_to_pretty_json(char **out, relais_ctx *ctx, const relais_manifest *m)
{
	cJSON *root = to_cjson(m);

	*out = root ? cJSON_Print(root) : NULL;
	cJSON_Delete(root);
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

const struct relais_manifest_entry *relais_manifest_entry(const relais_manifest *m,
                                                          const char *path)
{
	size_t i;

	for (i = 0; i < m->n_entries; i++) {
		if (m->entries[i].path && strcmp(m->entries[i].path, path) == 0) {
			return &m->entries[i];
		}
	}
	return NULL;
}

const struct relais_unit *relais_manifest_unit(const relais_manifest *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n_units; i++) {
		if (m->units[i].id && strcmp(m->units[i].id, id) == 0) {
			return &m->units[i];
		}
	}
	return NULL;
}
