/* catalogue.c: the hub's signed catalogue (docs/catalogue.md), read and written with cJSON. */
#include "relais/catalogue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/utf8.h"
#include "relais/util.h"
#include "rotation_private.h"
#include "session_private.h"

#define CATALOGUE_FORMAT "relais-catalogue"
#define CATALOGUE_VERSION 1
#define TEXT_MAX 4096
#define ORG_MAX 256
#define AUDIENCE_MAX 100
#define DELTAS_MAX 16
#define PUBLISHERS_MAX 1000
#define ROTATIONS_MAX 1000
#define REVOKED_MAX 1000
#define SESSIONS_MAX 20000
#define UINT53_MAX 9007199254740992.0

/* What is being read, for messages: "NAME: courses[3].sha256 ...". */
struct reader {
	relais_ctx *ctx;
	const char *name;
};

static int bad(const struct reader *r, const char *where, const char *member, const char *what)
{
	return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %s%s %s", r->name, where, member, what);
}

/* Refuses members other than the listed ones (the format grows by its version). */
static int only_members(const struct reader *r, const cJSON *obj, const char *where,
                        const char *const *names)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, obj)
	{
		size_t i = 0;
		while (names[i] != NULL && strcmp(names[i], m->string) != 0) {
			i++;
		}
		if (names[i] == NULL) {
			char shown[64];
			relais_printable(shown, sizeof(shown), m->string);
			return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %sunknown member \"%s\"",
			                   r->name, where, shown);
		}
		/* cJSON keeps duplicates; the first would win here and the last elsewhere. */
		for (const cJSON *o = m->next; o != NULL; o = o->next) {
			if (strcmp(o->string, m->string) == 0) {
				return bad(r, where, m->string, "appears twice");
			}
		}
	}
	return 0;
}

static int get_text(const struct reader *r, char **out, const cJSON *obj, const char *where,
                    const char *key, size_t max, int may_be_empty)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		return bad(r, where, key, "must be a string");
	}
	size_t n = strlen(v->valuestring);
	if (n == 0 && !may_be_empty) {
		return bad(r, where, key, "is empty");
	}
	if (n > max) {
		return relais_fail(r->ctx, RELAIS_ELIMIT, "%s: %s%s is too long", r->name, where,
		                   key);
	}
	if (!relais_utf8_valid(v->valuestring, n)) {
		return bad(r, where, key, "is not UTF-8");
	}
	*out = strdup(v->valuestring);
	return *out ? 0 : relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
}

static int get_uint(const struct reader *r, uint64_t *out, const cJSON *obj, const char *where,
                    const char *key, uint64_t min)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v)) {
		return bad(r, where, key, "must be a number");
	}
	double d = v->valuedouble;
	if (d < (double)min || d > UINT53_MAX || d != (double)(uint64_t)d) {
		return bad(r, where, key, "is out of range");
	}
	*out = (uint64_t)d;
	return 0;
}

static int get_time(const struct reader *r, char **out, const cJSON *obj, const char *where,
                    const char *key)
{
	int rc = get_text(r, out, obj, where, key, 64, 0);
	if (rc == 0 && relais_time_parse(*out) < 0) {
		return bad(r, where, key, "is not an ISO 8601 time");
	}
	return rc;
}

static int get_sha(const struct reader *r, char out[RELAIS_SHA256_HEX], const cJSON *obj,
                   const char *where, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    !relais_sha256_hex_valid(v->valuestring)) {
		return bad(r, where, key, "must be 64 lower-case hex digits");
	}
	memcpy(out, v->valuestring, RELAIS_SHA256_HEX);
	return 0;
}

static int key_id_ok(const char *s)
{
	size_t i = 0;
	for (; s[i] != '\0'; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))) {
			return 0;
		}
	}
	return i == RELAIS_KEYID_HEX - 1;
}

static int get_key_id(const struct reader *r, char out[RELAIS_KEYID_HEX], const cJSON *obj,
                      const char *where, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL || !key_id_ok(v->valuestring)) {
		return bad(r, where, key, "must be a key id (16 upper-case hex digits)");
	}
	memcpy(out, v->valuestring, RELAIS_KEYID_HEX);
	return 0;
}

static int get_array(const struct reader *r, const cJSON **out, size_t *n, const cJSON *obj,
                     const char *where, const char *key, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsArray(v)) {
		return bad(r, where, key, "must be an array");
	}
	int count = cJSON_GetArraySize(v);
	if ((size_t)count > max) {
		return relais_fail(r->ctx, RELAIS_ELIMIT, "%s: %s%s has more than %zu items",
		                   r->name, where, key, max);
	}
	*out = v;
	*n = (size_t)count;
	return 0;
}

static int due_ok(const char *s)
{
	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && relais_time_parse(s) >= 0;
}

static int parse_delta(const struct reader *r, struct relais_catalogue_delta *d, const cJSON *o,
                       const char *where)
{
	static const char *const names[] = {"from_version", "from_sha256", "size", "sha256", NULL};
	int rc;
	if (!cJSON_IsObject(o)) {
		return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %s must be an object", r->name,
		                   where);
	}
	if ((rc = only_members(r, o, where, names)) != 0 ||
	    (rc = get_uint(r, &d->from_version, o, where, "from_version", 1)) != 0 ||
	    (rc = get_sha(r, d->from_sha256, o, where, "from_sha256")) != 0 ||
	    (rc = get_uint(r, &d->size, o, where, "size", 1)) != 0 ||
	    (rc = get_sha(r, d->sha256, o, where, "sha256")) != 0) {
		return rc;
	}
	return 0;
}

/* An object of only the members names, whose "id" has a course id's syntax (what: its kind). */
static int object_with_id(const struct reader *r, char **id, const cJSON *o, const char *where,
                          const char *const *names, const char *what)
{
	int rc;

	if (!cJSON_IsObject(o)) {
		return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %s must be an object", r->name,
		                   where);
	}
	if ((rc = only_members(r, o, where, names)) != 0 ||
	    (rc = get_text(r, id, o, where, "id", RELAIS_ID_MAX, 0)) != 0) {
		return rc;
	}
	return relais_id_ok(*id) ? 0 : bad(r, where, "id", what);
}

static int parse_course(const struct reader *r, struct relais_catalogue_course *c, const cJSON *o,
                        const char *where)
{
	static const char *const names[] = {
	        "id",       "version",  "title", "language",  "size",   "sha256", "publisher",
	        "audience", "required", "due",   "published", "deltas", NULL};
	const cJSON *arr, *v;
	size_t n, i;
	int rc;

	if ((rc = object_with_id(r, &c->id, o, where, names, "is not a course id")) != 0) {
		return rc;
	}
	if ((rc = get_uint(r, &c->version, o, where, "version", 1)) != 0 ||
	    (rc = get_text(r, &c->title, o, where, "title", TEXT_MAX, 0)) != 0 ||
	    (rc = get_text(r, &c->language, o, where, "language", 35, 0)) != 0) {
		return rc;
	}
	if (!relais_language_ok(c->language)) {
		return bad(r, where, "language", "is not a language tag");
	}
	if ((rc = get_uint(r, &c->size, o, where, "size", 1)) != 0 ||
	    (rc = get_sha(r, c->sha256, o, where, "sha256")) != 0 ||
	    (rc = get_key_id(r, c->publisher, o, where, "publisher")) != 0 ||
	    (rc = get_array(r, &arr, &n, o, where, "audience", AUDIENCE_MAX)) != 0) {
		return rc;
	}
	if (n > 0 && (c->audience = calloc(n, sizeof(*c->audience))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		if (!cJSON_IsString(v) || v->valuestring == NULL || v->valuestring[0] == '\0' ||
		    strlen(v->valuestring) > ORG_MAX ||
		    !relais_utf8_valid(v->valuestring, strlen(v->valuestring))) {
			return bad(r, where, "audience", "must hold organisation names");
		}
		if ((c->audience[i++] = strdup(v->valuestring)) == NULL) {
			return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
		}
		c->n_audience = i;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "required");
	if (!cJSON_IsBool(v)) {
		return bad(r, where, "required", "must be true or false");
	}
	c->required = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(o, "due");
	if (!cJSON_IsNull(v)) {
		if ((rc = get_text(r, &c->due, o, where, "due", 10, 0)) != 0) {
			return rc;
		}
		if (!due_ok(c->due)) {
			return bad(r, where, "due", "must be a date YYYY-MM-DD or null");
		}
	}
	if ((rc = get_time(r, &c->published, o, where, "published")) != 0 ||
	    (rc = get_array(r, &arr, &n, o, where, "deltas", DELTAS_MAX)) != 0) {
		return rc;
	}
	if (n > 0 && (c->deltas = calloc(n, sizeof(*c->deltas))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		char at[128];
		(void)snprintf(at, sizeof(at), "%sdeltas[%zu]", where, i);
		if ((rc = parse_delta(r, &c->deltas[i], v, at)) != 0) {
			return rc;
		}
		if (c->deltas[i].from_version >= c->version) {
			return bad(r, at, ".from_version",
			           "is not lower than the course's version");
		}
		c->n_deltas = ++i;
	}
	return 0;
}

static int parse_assignment(const struct reader *r, struct relais_catalogue_assignment *a,
                            const cJSON *o, const char *where)
{
	static const char *const names[] = {"course", "due", NULL};
	const cJSON *v;
	int rc;

	if (!cJSON_IsObject(o)) {
		return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %s must be an object", r->name,
		                   where);
	}
	if ((rc = only_members(r, o, where, names)) != 0 ||
	    (rc = get_text(r, &a->course, o, where, "course", RELAIS_ID_MAX, 0)) != 0) {
		return rc;
	}
	if (!relais_id_ok(a->course)) {
		return bad(r, where, "course", "is not a course id");
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "due");
	if (v == NULL || !cJSON_IsNull(v)) {
		if ((rc = get_text(r, &a->due, o, where, "due", 10, 0)) != 0) {
			return rc;
		}
		if (!due_ok(a->due)) {
			return bad(r, where, "due", "must be a date YYYY-MM-DD or null");
		}
	}
	return 0;
}

static int parse_cohort(const struct reader *r, struct relais_catalogue_cohort *co, const cJSON *o,
                        const char *where)
{
	static const char *const names[] = {
	        "id", "name", "organisation", "everyone", "members", "assignments", NULL};
	const cJSON *arr, *v;
	size_t n, i;
	int rc;

	if ((rc = object_with_id(r, &co->id, o, where, names, "is not a cohort id")) != 0) {
		return rc;
	}
	if ((rc = get_text(r, &co->name, o, where, "name", ORG_MAX, 0)) != 0 ||
	    (rc = get_text(r, &co->organisation, o, where, "organisation", ORG_MAX, 1)) != 0) {
		return rc;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "everyone");
	if (!cJSON_IsBool(v)) {
		return bad(r, where, "everyone", "must be true or false");
	}
	co->everyone = cJSON_IsTrue(v);
	if (co->everyone && co->organisation[0] == '\0') {
		return bad(r, where, "everyone", "needs an organisation");
	}
	if ((rc = get_array(r, &arr, &n, o, where, "members", RELAIS_COHORT_MAX_MEMBERS)) != 0) {
		return rc;
	}
	if (n > 0 && (co->members = calloc(n, sizeof(*co->members))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		if (!cJSON_IsString(v) || v->valuestring == NULL ||
		    !relais_sha256_hex_valid(v->valuestring)) {
			return bad(r, where, "members",
			           "must hold member hashes (64 lower-case hex digits)");
		}
		memcpy(co->members[i], v->valuestring, RELAIS_SHA256_HEX);
		if (i > 0 && strcmp(co->members[i - 1], co->members[i]) >= 0) {
			return bad(r, where, "members", "are not in ascending order");
		}
		co->n_members = ++i;
	}
	if ((rc = get_array(r, &arr, &n, o, where, "assignments", RELAIS_COHORT_MAX_ASSIGNMENTS)) !=
	    0) {
		return rc;
	}
	if (n > 0 && (co->assignments = calloc(n, sizeof(*co->assignments))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		char at[128];
		(void)snprintf(at, sizeof(at), "%sassignments[%zu].", where, i);
		co->n_assignments = i + 1;
		if ((rc = parse_assignment(r, &co->assignments[i], v, at)) != 0) {
			return rc;
		}
		if (i > 0 &&
		    strcmp(co->assignments[i - 1].course, co->assignments[i].course) >= 0) {
			return bad(r, at, "course", "is not in ascending order");
		}
		i++;
	}
	return 0;
}

/* The optional sessions: absent from catalogues of hubs that schedule no session. */
static int parse_sessions(const struct reader *r, struct relais_catalogue *cat, const cJSON *root)
{
	const cJSON *arr, *v;
	size_t n, i;
	int rc;

	if (cJSON_GetObjectItemCaseSensitive(root, "sessions") == NULL) {
		return 0;
	}
	if ((rc = get_array(r, &arr, &n, root, "", "sessions", SESSIONS_MAX)) != 0) {
		return rc;
	}
	if (n > 0 && (cat->sessions = calloc(n, sizeof(*cat->sessions))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		struct relais_session *s = &cat->sessions[i];
		char at[300];
		(void)snprintf(at, sizeof(at), "%s: sessions[%zu].", r->name, i);
		if ((rc = relais_session_from_cjson(s, r->ctx, v, at, 1)) != 0) {
			return rc;
		}
		cat->n_sessions = ++i;
		if (i > 1) {
			const struct relais_session *p = s - 1;
			int c = strcmp(p->course, s->course);
			if (c > 0 || (c == 0 && strcmp(p->id, s->id) >= 0)) {
				return relais_fail(
				        r->ctx, RELAIS_EFORMAT,
				        "%s: sessions are not in ascending order of course "
				        "and id at %s %s",
				        r->name, s->course, s->id);
			}
		}
	}
	return 0;
}

/* The optional cohorts: a hub without cohorts leaves them out, for laptops that predate them. */
static int parse_cohorts(const struct reader *r, struct relais_catalogue *cat, const cJSON *root)
{
	const cJSON *arr, *v;
	size_t n, i;
	int rc;

	if (cJSON_GetObjectItemCaseSensitive(root, "cohorts") == NULL) {
		return 0;
	}
	if ((rc = get_array(r, &arr, &n, root, "", "cohorts", RELAIS_CATALOGUE_MAX_COHORTS)) != 0) {
		return rc;
	}
	if (n > 0 && (cat->cohorts = calloc(n, sizeof(*cat->cohorts))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		char at[64];
		(void)snprintf(at, sizeof(at), "cohorts[%zu].", i);
		cat->n_cohorts = i + 1;
		if ((rc = parse_cohort(r, &cat->cohorts[i], v, at)) != 0) {
			return rc;
		}
		if (i > 0 && strcmp(cat->cohorts[i - 1].id, cat->cohorts[i].id) >= 0) {
			return relais_fail(r->ctx, RELAIS_EFORMAT,
			                   "%s: cohorts are not in ascending order of id at %s",
			                   r->name, cat->cohorts[i].id);
		}
		i++;
	}
	return 0;
}

static int parse_root(const struct reader *r, struct relais_catalogue *cat, const cJSON *root)
{
	static const char *const names[] = {
	        "format",  "version",   "serial",  "issued",   "expires", "hub_key", "publishers",
	        "courses", "rotations", "revoked", "sessions", "cohorts", NULL};
	const cJSON *arr, *v;
	size_t n, i;
	uint64_t version;
	int rc;

	if (!cJSON_IsObject(root)) {
		return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: not a JSON object", r->name);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, CATALOGUE_FORMAT) != 0) {
		return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: not a relais catalogue", r->name);
	}
	if ((rc = get_uint(r, &version, root, "", "version", 1)) != 0) {
		return rc;
	}
	if (version != CATALOGUE_VERSION) {
		return relais_fail(r->ctx, RELAIS_EFORMAT,
		                   "%s: catalogue version %" PRIu64
		                   " is not supported (this relais "
		                   "reads version %d)",
		                   r->name, version, CATALOGUE_VERSION);
	}
	if ((rc = only_members(r, root, "", names)) != 0 ||
	    (rc = get_uint(r, &cat->serial, root, "", "serial", 1)) != 0 ||
	    (rc = get_time(r, &cat->issued, root, "", "issued")) != 0 ||
	    (rc = get_time(r, &cat->expires, root, "", "expires")) != 0 ||
	    (rc = get_key_id(r, cat->hub_key, root, "", "hub_key")) != 0) {
		return rc;
	}
	if (relais_time_parse(cat->expires) <= relais_time_parse(cat->issued)) {
		return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: expires is not after issued",
		                   r->name);
	}
	if ((rc = get_array(r, &arr, &n, root, "", "publishers", PUBLISHERS_MAX)) != 0) {
		return rc;
	}
	if (n > 0 && (cat->publishers = calloc(n, sizeof(*cat->publishers))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		static const char *const pnames[] = {"key", "name", NULL};
		char at[64];
		(void)snprintf(at, sizeof(at), "publishers[%zu].", i);
		if (!cJSON_IsObject(v)) {
			return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %s must be an object",
			                   r->name, at);
		}
		if ((rc = only_members(r, v, at, pnames)) != 0 ||
		    (rc = get_key_id(r, cat->publishers[i].key, v, at, "key")) != 0 ||
		    (rc = get_text(r, &cat->publishers[i].name, v, at, "name", TEXT_MAX, 0)) != 0) {
			cat->n_publishers = i + 1;
			return rc;
		}
		cat->n_publishers = ++i;
	}
	if ((rc = get_array(r, &arr, &n, root, "", "courses", RELAIS_CATALOGUE_MAX_COURSES)) != 0) {
		return rc;
	}
	if (n > 0 && (cat->courses = calloc(n, sizeof(*cat->courses))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		char at[64];
		(void)snprintf(at, sizeof(at), "courses[%zu].", i);
		cat->n_courses = i + 1;
		if ((rc = parse_course(r, &cat->courses[i], v, at)) != 0) {
			return rc;
		}
		if (i > 0 && strcmp(cat->courses[i - 1].id, cat->courses[i].id) >= 0) {
			return relais_fail(r->ctx, RELAIS_EFORMAT,
			                   "%s: courses are not in ascending order of id at %s",
			                   r->name, cat->courses[i].id);
		}
		i++;
	}
	if ((rc = get_array(r, &arr, &n, root, "", "rotations", ROTATIONS_MAX)) != 0) {
		return rc;
	}
	if (n > 0 && (cat->rotations = calloc(n, sizeof(*cat->rotations))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		char at[300];
		(void)snprintf(at, sizeof(at), "%s: rotations[%zu].", r->name, i);
		if ((rc = relais_rotation_from_cjson(&cat->rotations[i], r->ctx, v, at)) != 0) {
			return rc;
		}
		cat->n_rotations = ++i;
	}
	if ((rc = get_array(r, &arr, &n, root, "", "revoked", REVOKED_MAX)) != 0) {
		return rc;
	}
	if (n > 0 && (cat->revoked = calloc(n, sizeof(*cat->revoked))) == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(v, arr)
	{
		static const char *const rnames[] = {"key", "date", "reason", NULL};
		struct relais_catalogue_revoked *k = &cat->revoked[i];
		char at[64];
		(void)snprintf(at, sizeof(at), "revoked[%zu].", i);
		cat->n_revoked = i + 1;
		if (!cJSON_IsObject(v)) {
			return relais_fail(r->ctx, RELAIS_EFORMAT, "%s: %s must be an object",
			                   r->name, at);
		}
		if ((rc = only_members(r, v, at, rnames)) != 0 ||
		    (rc = get_key_id(r, k->key, v, at, "key")) != 0 ||
		    (rc = get_time(r, &k->date, v, at, "date")) != 0 ||
		    (rc = get_text(r, &k->reason, v, at, "reason", TEXT_MAX, 1)) != 0) {
			return rc;
		}
		i++;
	}
	if ((rc = parse_sessions(r, cat, root)) != 0) {
		return rc;
	}
	return parse_cohorts(r, cat, root);
}

int relais_catalogue_parse(struct relais_catalogue **out, relais_ctx *ctx, const char *json,
                           size_t len, const char *name)
{
	struct reader r = {ctx, name};
	struct relais_catalogue *cat;
	cJSON *root;
	int rc;

	*out = NULL;
	if (len > RELAIS_CATALOGUE_MAX_BYTES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: over %u MiB", name,
		                   RELAIS_CATALOGUE_MAX_BYTES >> 20);
	}
	if (!relais_utf8_valid(json, len)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: not UTF-8", name);
	}
	root = cJSON_ParseWithLength(json, len);
	if (root == NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: not JSON", name);
	}
	if ((cat = calloc(1, sizeof(*cat))) == NULL) {
		cJSON_Delete(root);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = parse_root(&r, cat, root);
	cJSON_Delete(root);
	if (rc != 0) {
		relais_catalogue_free(cat);
		return rc;
	}
	*out = cat;
	return 0;
}

/* cJSON keeps numbers as doubles; every integer here is at most 2^53. */
static cJSON *add_uint(cJSON *o, const char *key, uint64_t v)
{
	return cJSON_AddNumberToObject(o, key, (double)v);
}

static cJSON *course_json(const struct relais_catalogue_course *c)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	if (o == NULL || !cJSON_AddStringToObject(o, "id", c->id) ||
	    !add_uint(o, "version", c->version) || !cJSON_AddStringToObject(o, "title", c->title) ||
	    !cJSON_AddStringToObject(o, "language", c->language) || !add_uint(o, "size", c->size) ||
	    !cJSON_AddStringToObject(o, "sha256", c->sha256) ||
	    !cJSON_AddStringToObject(o, "publisher", c->publisher) ||
	    (arr = cJSON_AddArrayToObject(o, "audience")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < c->n_audience; i++) {
		cJSON *s = cJSON_CreateString(c->audience[i]);
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			cJSON_Delete(o);
			return NULL;
		}
	}
	if (!cJSON_AddBoolToObject(o, "required", c->required ? 1 : 0) ||
	    !(c->due ? cJSON_AddStringToObject(o, "due", c->due)
	             : cJSON_AddNullToObject(o, "due")) ||
	    !cJSON_AddStringToObject(o, "published", c->published) ||
	    (arr = cJSON_AddArrayToObject(o, "deltas")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < c->n_deltas; i++) {
		const struct relais_catalogue_delta *d = &c->deltas[i];
		cJSON *x = cJSON_CreateObject();
		if (x == NULL || !cJSON_AddItemToArray(arr, x) ||
		    !add_uint(x, "from_version", d->from_version) ||
		    !cJSON_AddStringToObject(x, "from_sha256", d->from_sha256) ||
		    !add_uint(x, "size", d->size) ||
		    !cJSON_AddStringToObject(x, "sha256", d->sha256)) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

static cJSON *cohort_json(const struct relais_catalogue_cohort *co)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	if (o == NULL || !cJSON_AddStringToObject(o, "id", co->id) ||
	    !cJSON_AddStringToObject(o, "name", co->name) ||
	    !cJSON_AddStringToObject(o, "organisation", co->organisation) ||
	    !cJSON_AddBoolToObject(o, "everyone", co->everyone ? 1 : 0) ||
	    (arr = cJSON_AddArrayToObject(o, "members")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < co->n_members; i++) {
		cJSON *s = cJSON_CreateString(co->members[i]);
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			goto oom;
		}
	}
	if ((arr = cJSON_AddArrayToObject(o, "assignments")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < co->n_assignments; i++) {
		const struct relais_catalogue_assignment *a = &co->assignments[i];
		cJSON *x = cJSON_CreateObject();
		if (x == NULL || !cJSON_AddItemToArray(arr, x) ||
		    !cJSON_AddStringToObject(x, "course", a->course) ||
		    !(a->due ? cJSON_AddStringToObject(x, "due", a->due)
		             : cJSON_AddNullToObject(x, "due"))) {
			goto oom;
		}
	}
	return o;
oom:
	cJSON_Delete(o);
	return NULL;
}

int relais_catalogue_write(char **out, size_t *out_len, relais_ctx *ctx,
                           const struct relais_catalogue *cat)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *text;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 1; i < cat->n_courses; i++) {
		if (strcmp(cat->courses[i - 1].id, cat->courses[i].id) >= 0) {
			cJSON_Delete(root);
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "catalogue: courses not in order of id");
		}
	}
	if (root == NULL || !cJSON_AddStringToObject(root, "format", CATALOGUE_FORMAT) ||
	    !add_uint(root, "version", CATALOGUE_VERSION) ||
	    !add_uint(root, "serial", cat->serial) ||
	    !cJSON_AddStringToObject(root, "issued", cat->issued) ||
	    !cJSON_AddStringToObject(root, "expires", cat->expires) ||
	    !cJSON_AddStringToObject(root, "hub_key", cat->hub_key) ||
	    (arr = cJSON_AddArrayToObject(root, "publishers")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < cat->n_publishers; i++) {
		cJSON *p = cJSON_CreateObject();
		if (p == NULL || !cJSON_AddItemToArray(arr, p) ||
		    !cJSON_AddStringToObject(p, "key", cat->publishers[i].key) ||
		    !cJSON_AddStringToObject(p, "name", cat->publishers[i].name)) {
			goto oom;
		}
	}
	if ((arr = cJSON_AddArrayToObject(root, "courses")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < cat->n_courses; i++) {
		cJSON *c = course_json(&cat->courses[i]);
		if (c == NULL || !cJSON_AddItemToArray(arr, c)) {
			cJSON_Delete(c);
			goto oom;
		}
	}
	if ((arr = cJSON_AddArrayToObject(root, "rotations")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < cat->n_rotations; i++) {
		cJSON *o = relais_rotation_to_cjson(&cat->rotations[i]);
		if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto oom;
		}
	}
	if ((arr = cJSON_AddArrayToObject(root, "revoked")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < cat->n_revoked; i++) {
		const struct relais_catalogue_revoked *k = &cat->revoked[i];
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(arr, o) ||
		    !cJSON_AddStringToObject(o, "key", k->key) ||
		    !cJSON_AddStringToObject(o, "date", k->date) ||
		    !cJSON_AddStringToObject(o, "reason", k->reason ? k->reason : "")) {
			goto oom;
		}
	}
	/* Only when there are sessions: a catalogue without them reads on older laptops. */
	if (cat->n_sessions > 0 && (arr = cJSON_AddArrayToObject(root, "sessions")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < cat->n_sessions; i++) {
		cJSON *o = relais_session_to_cjson(&cat->sessions[i], 1);
		if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto oom;
		}
	}
	/* Only when there are cohorts, for the same reason. */
	if (cat->n_cohorts > 0 && (arr = cJSON_AddArrayToObject(root, "cohorts")) == NULL) {
		goto oom;
	}
	for (size_t i = 0; i < cat->n_cohorts; i++) {
		cJSON *o = cohort_json(&cat->cohorts[i]);
		if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto oom;
		}
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	*out = text;
	*out_len = strlen(text);
	if (*out_len > RELAIS_CATALOGUE_MAX_BYTES) {
		free(text);
		*out = NULL;
		*out_len = 0;
		return relais_fail(ctx, RELAIS_ELIMIT, "catalogue: over %u MiB",
		                   RELAIS_CATALOGUE_MAX_BYTES >> 20);
	}
	return 0;
oom:
	cJSON_Delete(root);
	return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

static void trusted_comment(char out[64], uint64_t serial)
{
	(void)snprintf(out, 64, "relais-catalogue %" PRIu64, serial);
}

int relais_catalogue_sign(char **sig, size_t *sig_len, relais_ctx *ctx, const relais_seckey *hub,
                          const char *json, size_t len, uint64_t serial)
{
	char comment[64];
	trusted_comment(comment, serial);
	return relais_sign(sig, sig_len, ctx, hub, json, len, RELAIS_CATALOGUE_UNTRUSTED_COMMENT,
	                   comment);
}

int relais_catalogue_verify(struct relais_catalogue **out, relais_ctx *ctx,
                            const relais_pubkey *hub, const char *json, size_t len, const char *sig,
                            size_t sig_len)
{
	char *trusted = NULL, expected[64], id[RELAIS_KEYID_HEX];
	struct relais_catalogue *cat;
	int rc;

	*out = NULL;
	if (len > RELAIS_CATALOGUE_MAX_BYTES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "catalogue: over %u MiB",
		                   RELAIS_CATALOGUE_MAX_BYTES >> 20);
	}
	rc = relais_verify(ctx, hub, json, len, sig, sig_len, &trusted);
	if (rc != 0) {
		return relais_prefix(ctx, "catalogue");
	}
	if ((rc = relais_catalogue_parse(&cat, ctx, json, len, "catalogue")) != 0) {
		free(trusted);
		return rc;
	}
	trusted_comment(expected, cat->serial);
	relais_pubkey_id(hub, id);
	if (strcmp(trusted, expected) != 0 || strcmp(cat->hub_key, id) != 0) {
		free(trusted);
		relais_catalogue_free(cat);
		return relais_fail(ctx, RELAIS_ESIGNATURE,
		                   "catalogue: the signature is for another serial or hub key");
	}
	free(trusted);
	*out = cat;
	return 0;
}

const struct relais_catalogue_course *relais_catalogue_find(const struct relais_catalogue *cat,
                                                            const char *id)
{
	size_t lo = 0, hi = cat->n_courses;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cat->courses[mid].id, id);
		if (c == 0) {
			return &cat->courses[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

void relais_cohort_member_hash(char out[RELAIS_SHA256_HEX], const char *cohort_id,
                               const char *email)
{
	static const char prefix[] = "relais-cohort-member\n";
	relais_sha256 h;

	relais_sha256_init(&h);
	relais_sha256_update(&h, prefix, sizeof(prefix) - 1);
	relais_sha256_update(&h, cohort_id, strlen(cohort_id));
	relais_sha256_update(&h, "\n", 1);
	for (const char *p = email; *p != '\0'; p++) {
		char c = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
		relais_sha256_update(&h, &c, 1);
	}
	relais_sha256_final_hex(&h, out);
}

static int by_hash(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int relais_cohort_has(const struct relais_catalogue_cohort *co, const char *email, const char *org)
{
	char hash[RELAIS_SHA256_HEX];

	if (co->everyone && org != NULL && strcmp(org, co->organisation) == 0) {
		return 1;
	}
	if (email == NULL || co->n_members == 0) {
		return 0;
	}
	relais_cohort_member_hash(hash, co->id, email);
	return bsearch(hash, co->members, co->n_members, sizeof(*co->members), by_hash) != NULL;
}

int relais_catalogue_audience_has(const struct relais_catalogue_course *c, const char *org)
{
	if (c->n_audience == 0) {
		return 1;
	}
	for (size_t i = 0; org != NULL && i < c->n_audience; i++) {
		if (strcmp(c->audience[i], org) == 0) {
			return 1;
		}
	}
	return 0;
}

/* The earlier of two due dates, NULL standing for none. */
static const char *earlier(const char *a, const char *b)
{
	if (a == NULL) {
		return b;
	}
	return b != NULL && strcmp(b, a) < 0 ? b : a;
}

int relais_catalogue_required_of(const char **due, const struct relais_catalogue *cat,
                                 const struct relais_catalogue_course *c, const char *email,
                                 const char *org)
{
	int required = 0;

	*due = NULL;
	if (c->required && relais_catalogue_audience_has(c, org)) {
		required = 1;
		*due = c->due;
	}
	for (size_t i = 0; i < cat->n_cohorts; i++) {
		const struct relais_catalogue_cohort *co = &cat->cohorts[i];
		for (size_t j = 0; j < co->n_assignments; j++) {
			if (strcmp(co->assignments[j].course, c->id) == 0 &&
			    relais_cohort_has(co, email, org)) {
				*due = required ? earlier(*due, co->assignments[j].due)
				                : co->assignments[j].due;
				required = 1;
			}
		}
	}
	return required;
}

static void course_clear(struct relais_catalogue_course *c)
{
	free(c->id);
	free(c->title);
	free(c->language);
	for (size_t i = 0; i < c->n_audience; i++) {
		free(c->audience[i]);
	}
	free(c->audience);
	free(c->due);
	free(c->published);
	free(c->deltas);
}

void relais_catalogue_free(struct relais_catalogue *cat)
{
	if (cat == NULL) {
		return;
	}
	free(cat->issued);
	free(cat->expires);
	for (size_t i = 0; i < cat->n_publishers; i++) {
		free(cat->publishers[i].name);
	}
	free(cat->publishers);
	for (size_t i = 0; i < cat->n_courses; i++) {
		course_clear(&cat->courses[i]);
	}
	free(cat->courses);
	for (size_t i = 0; i < cat->n_rotations; i++) {
		relais_rotation_clear(&cat->rotations[i]);
	}
	free(cat->rotations);
	for (size_t i = 0; i < cat->n_revoked; i++) {
		free(cat->revoked[i].date);
		free(cat->revoked[i].reason);
	}
	free(cat->revoked);
	for (size_t i = 0; i < cat->n_sessions; i++) {
		relais_session_clear(&cat->sessions[i]);
	}
	free(cat->sessions);
	for (size_t i = 0; i < cat->n_cohorts; i++) {
		struct relais_catalogue_cohort *co = &cat->cohorts[i];
		free(co->id);
		free(co->name);
		free(co->organisation);
		free(co->members);
		for (size_t j = 0; j < co->n_assignments; j++) {
			free(co->assignments[j].course);
			free(co->assignments[j].due);
		}
		free(co->assignments);
	}
	free(cat->cohorts);
	free(cat);
}
