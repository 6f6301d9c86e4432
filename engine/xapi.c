/* xapi.c: validate xAPI 1.0.3 and 2.0 statements and take out what the hub indexes (cJSON). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/strbuf.h"
#include "relais/util.h"
#include "relais/xapi.h"

#define MAX_RELATED 256

struct check {
	relais_ctx *ctx;
	struct relais_xapi_facts *f;
	int rc;
	int version; /* RELAIS_XAPI_1_0 or RELAIS_XAPI_2_0: whose rules apply */
};

/* Records the first problem only: one clear message beats a cascade. */
static int bad(struct check *c, const char *where, const char *field, const char *why)
{
	if (c->rc == 0) {
		c->rc = relais_fail(c->ctx, RELAIS_EFORMAT, "%s%s%s: %s", where,
		                    field[0] ? "." : "", field, why);
	}
	return -1;
}

int relais_xapi_uuid_ok(const char *s)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	int g, i;

	for (g = 0; g < 5; g++) {
		for (i = 0; i < groups[g]; i++, s++) {
			if (!isxdigit((unsigned char)*s)) {
				return 0;
			}
		}
		if (g < 4 && *s++ != '-') {
			return 0;
		}
	}
	return *s == '\0';
}

/* An IRI: a scheme, a colon, no white space or control characters. */
static int iri_ok(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p)) {
		return 0;
	}
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.') {
		p++;
	}
	if (*p != ':' || p[1] == '\0') {
		return 0;
	}
	for (; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '"' || *p == '{' || *p == '}' || *p == '|' || *p == '\\' || *p == '^' ||
		    *p == '`') {
			return 0;
		}
	}
	return 1;
}

/* ISO 8601 date and time with an offset or Z, as xAPI requires. */
static int timestamp_ok(const char *s)
{
	int y, mo, d, h, mi, n = 0;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) {
		return 0;
	}
	p = s + 16;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
		    (p[1] - '0') * 10 + (p[2] - '0') > 60) {
			return 0;
		}
		p += 3;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p)) {
				return 0;
			}
			while (isdigit((unsigned char)*p)) {
				p++;
			}
		}
	}
	if (relais_time_parse(s) < 0) {
		return 0; /* well formed, but no such day or time: 2026-02-31 */
	}
	if (*p == 'Z' && p[1] == '\0') {
		return 1;
	}
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2])) {
		int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = 0;
		char sign = *p;
		p += 3;
		if (*p == ':' && isdigit((unsigned char)p[1])) {
			p++;
		}
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
			om = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		/* -00, -0000 and -00:00 (an unknown offset) are not allowed by xAPI */
		return *p == '\0' && oh <= 23 && om <= 59 && !(sign == '-' && oh == 0 && om == 0);
	}
	return 0;
}

/* ISO 8601 duration: P[nY][nM][nD][T[nH][nM][n[.n]S]], or PnW alone. */
static int duration_ok(const char *s)
{
	int any = 0, in_time = 0, weeks = 0;

	if (*s++ != 'P') {
		return 0;
	}
	while (*s) {
		const char *start = s;
		if (*s == 'T') {
			if (in_time) {
				return 0;
			}
			in_time = 1;
			s++;
			if (*s == '\0') {
				return 0;
			}
			continue;
		}
		while (isdigit((unsigned char)*s)) {
			s++;
		}
		if (*s == '.') {
			s++;
			while (isdigit((unsigned char)*s)) {
				s++;
			}
		}
		if (s == start || *s == '\0' || !strchr(in_time ? "HMS" : "YMWD", *s)) {
			return 0;
		}
		weeks += *s == 'W' && !in_time;
		s++;
		any++;
	}
	return any > 0 && (weeks == 0 || any == 1);
}

static int only_keys(struct check *c, const cJSON *o, const char *where, const char *const *keys)
{
	const cJSON *k;
	const char *const *allowed;

	cJSON_ArrayForEach(k, o)
	{
		for (allowed = keys; *allowed; allowed++) {
			if (strcmp(k->string, *allowed) == 0) {
				break;
			}
		}
		if (*allowed == NULL) {
			char field[96];
			(void)snprintf(field, sizeof(field), "%s", k->string);
			return bad(c, where, field, "is not an xAPI property here");
		}
	}
	return 0;
}

static int lang_map(struct check *c, const cJSON *m, const char *where, const char *field)
{
	const cJSON *k;

	if (!cJSON_IsObject(m)) {
		return bad(c, where, field, "must be a language map");
	}
	cJSON_ArrayForEach(k, m)
	{
		if (!relais_language_ok(k->string) || !cJSON_IsString(k)) {
			return bad(c, where, field, "must map RFC 5646 language tags to strings");
		}
	}
	return 0;
}

static int extensions(struct check *c, const cJSON *e, const char *where)
{
	const cJSON *k;

	if (!cJSON_IsObject(e)) {
		return bad(c, where, "extensions", "must be an object");
	}
	cJSON_ArrayForEach(k, e)
	{
		if (!iri_ok(k->string)) {
			return bad(c, where, "extensions", "keys must be IRIs");
		}
	}
	return 0;
}

static char *dup_key(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s != NULL) {
		(void)snprintf(s, n, "%s:%s", a, b);
	}
	return s;
}

/* The identifier of an agent or identified group; NULL when it has none. */
static char *ifi_of(const cJSON *a)
{
	const cJSON *v;

	if ((v = cJSON_GetObjectItemCaseSensitive(a, "mbox")) && cJSON_IsString(v)) {
		return dup_key("mbox", v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "mbox_sha1sum")) && cJSON_IsString(v)) {
		return dup_key("mbox_sha1sum", v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "openid")) && cJSON_IsString(v)) {
		return dup_key("openid", v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "account")) && cJSON_IsObject(v)) {
		const cJSON *home = cJSON_GetObjectItemCaseSensitive(v, "homePage");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		if (cJSON_IsString(home) && cJSON_IsString(name)) {
			char *h = dup_key("account", home->valuestring), *k;
			if (h == NULL) {
				return NULL;
			}
			k = dup_key(h, name->valuestring);
			free(h);
			return k;
		}
	}
	return NULL;
}

char *relais_xapi_agent_key(const void *agent)
{
	return cJSON_IsObject((const cJSON *)agent) ? ifi_of(agent) : NULL;
}

static int remember(struct check *c, char ***list, size_t *n, char *value)
{
	char **grown;
	size_t i;

	if (value == NULL) {
		c->rc = c->rc ? c->rc : relais_fail(c->ctx, RELAIS_ENOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < *n; i++) {
		if (strcmp((*list)[i], value) == 0) {
			free(value);
			return 0;
		}
	}
	if (*n >= MAX_RELATED) {
		free(value);
		return 0;
	}
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(value);
		c->rc = c->rc ? c->rc : relais_fail(c->ctx, RELAIS_ENOMEM, "out of memory");
		return -1;
	}
	*list = grown;
	(*list)[(*n)++] = value;
	return 0;
}

static int agent(struct check *c, const cJSON *a, const char *where, const char *field,
                 int group_only);

static int agent_or_group(struct check *c, const cJSON *a, const char *where, const char *field)
{
	return agent(c, a, where, field, 0);
}

static int agent(struct check *c, const cJSON *a, const char *where, const char *field,
                 int group_only)
{
	static const char *const agent_keys[] = {"objectType", "name",    "mbox", "mbox_sha1sum",
	                                         "openid",     "account", NULL};
	static const char *const group_keys[] = {"objectType", "name",    "mbox",   "mbox_sha1sum",
	                                         "openid",     "account", "member", NULL};
	const cJSON *type, *v, *m;
	char sub[160];
	int ifis = 0, is_group;

	if (!cJSON_IsObject(a)) {
		return bad(c, where, field, "must be an Agent or Group object");
	}
	(void)snprintf(sub, sizeof(sub), "%s%s%s", where, field[0] ? "." : "", field);
	type = cJSON_GetObjectItemCaseSensitive(a, "objectType");
	if (type != NULL && !cJSON_IsString(type)) {
		return bad(c, sub, "objectType", "must be a string");
	}
	is_group = type != NULL && strcmp(type->valuestring, "Group") == 0;
	if (type != NULL && !is_group && strcmp(type->valuestring, "Agent") != 0) {
		return bad(c, sub, "objectType", "must be \"Agent\" or \"Group\"");
	}
	if (group_only && !is_group) {
		return bad(c, where, field, "must be a Group");
	}
	if (only_keys(c, a, sub, is_group ? group_keys : agent_keys) != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "name")) && !cJSON_IsString(v)) {
		return bad(c, sub, "name", "must be a string");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "mbox"))) {
		ifis++;
		if (!cJSON_IsString(v) || strncmp(v->valuestring, "mailto:", 7) != 0 ||
		    strchr(v->valuestring + 7, '@') == NULL || strpbrk(v->valuestring, " \t")) {
			return bad(c, sub, "mbox", "must be a mailto: IRI");
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "mbox_sha1sum"))) {
		size_t i;
		ifis++;
		if (!cJSON_IsString(v) || strlen(v->valuestring) != 40) {
			return bad(c, sub, "mbox_sha1sum", "must be 40 hexadecimal digits");
		}
		for (i = 0; i < 40; i++) {
			if (!isxdigit((unsigned char)v->valuestring[i])) {
				return bad(c, sub, "mbox_sha1sum", "must be 40 hexadecimal digits");
			}
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "openid"))) {
		ifis++;
		if (!cJSON_IsString(v) || !iri_ok(v->valuestring)) {
			return bad(c, sub, "openid", "must be a URI");
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "account"))) {
		static const char *const account_keys[] = {"homePage", "name", NULL};
		const cJSON *home = cJSON_GetObjectItemCaseSensitive(v, "homePage");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		ifis++;
		if (!cJSON_IsObject(v) || !cJSON_IsString(home) || !iri_ok(home->valuestring) ||
		    !cJSON_IsString(name) || only_keys(c, v, sub, account_keys) != 0) {
			return bad(c, sub, "account", "must have a homePage IRL and a name");
		}
	}
	if (ifis > 1) {
		return bad(c, where, field,
		           "must have exactly one of mbox, mbox_sha1sum, openid, account");
	}
	if (is_group) {
		m = cJSON_GetObjectItemCaseSensitive(a, "member");
		if (m != NULL) {
			const cJSON *each;
			if (!cJSON_IsArray(m)) {
				return bad(c, sub, "member", "must be an array of Agents");
			}
			cJSON_ArrayForEach(each, m)
			{
				const cJSON *t =
				        cJSON_GetObjectItemCaseSensitive(each, "objectType");
				if (t != NULL && cJSON_IsString(t) &&
				    strcmp(t->valuestring, "Group") == 0) {
					return bad(c, sub, "member",
					           "must hold Agents, not Groups");
				}
				if (agent(c, each, sub, "member", 0) != 0) {
					return -1;
				}
				char *k = ifi_of(each);
				if (k == NULL) {
					return bad(c, sub, "member", "agents must be identified");
				}
				if (remember(c, &c->f->agents, &c->f->n_agents, k) != 0) {
					return -1;
				}
			}
		} else if (ifis == 0) {
			return bad(c, where, field, "an anonymous Group must list its members");
		}
	} else if (ifis != 1) {
		return bad(c, where, field,
		           "must have exactly one of mbox, mbox_sha1sum, openid, account");
	}
	if (ifis == 1) {
		return remember(c, &c->f->agents, &c->f->n_agents, ifi_of(a));
	}
	return 0;
}

/* An interaction component list (choices, scale, source, target, steps). */
static int components(struct check *c, const cJSON *list, const char *where, const char *field)
{
	static const char *const keys[] = {"id", "description", NULL};
	const cJSON *each, *id, *d;
	char sub[224];

	(void)snprintf(sub, sizeof(sub), "%s.%s", where, field);
	if (!cJSON_IsArray(list)) {
		return bad(c, where, field, "must be an array of interaction components");
	}
	cJSON_ArrayForEach(each, list)
	{
		id = cJSON_GetObjectItemCaseSensitive(each, "id");
		if (!cJSON_IsObject(each) || only_keys(c, each, sub, keys) != 0 ||
		    !cJSON_IsString(id) || id->valuestring[0] == '\0') {
			return bad(c, where, field, "each component needs a string id");
		}
		if ((d = cJSON_GetObjectItemCaseSensitive(each, "description")) &&
		    lang_map(c, d, sub, "description") != 0) {
			return -1;
		}
	}
	return 0;
}

/*
 * The interaction properties of an Activity Definition (xAPI 1.0.3 Data
 * 2.4.4.1): interactionType is one of ten names, exactly as written, and
 * is required once any other interaction property is present.
 */
static int interaction(struct check *c, const cJSON *def, const char *where)
{
	static const char *const types[] = {
	        "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
	        "sequencing", "likert", "numeric", "other",        NULL};
	static const char *const lists[] = {"choices", "scale", "source", "target", "steps", NULL};
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(def, "interactionType");
	const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(def, "correctResponsesPattern");
	const cJSON *v;
	const char *const *t;
	int any = pattern != NULL;

	if (type != NULL) {
		for (t = types; *t && !(cJSON_IsString(type) && strcmp(type->valuestring, *t) == 0);
		     t++) {
		}
		if (*t == NULL) {
			return bad(c, where, "interactionType",
			           "must be true-false, choice, fill-in, long-fill-in, matching, "
			           "performance, sequencing, likert, numeric or other");
		}
	}
	if (pattern != NULL) {
		if (!cJSON_IsArray(pattern)) {
			return bad(c, where, "correctResponsesPattern",
			           "must be an array of strings");
		}
		cJSON_ArrayForEach(v, pattern)
		{
			if (!cJSON_IsString(v)) {
				return bad(c, where, "correctResponsesPattern",
				           "must be an array of strings");
			}
		}
	}
	for (t = lists; *t; t++) {
		if ((v = cJSON_GetObjectItemCaseSensitive(def, *t))) {
			any = 1;
			if (components(c, v, where, *t) != 0) {
				return -1;
			}
		}
	}
	if (any && type == NULL) {
		return bad(c, where, "interactionType",
		           "is required with correctResponsesPattern or interaction components");
	}
	return 0;
}

/*
 * An authority (Data 2.4.9): an Agent, or the anonymous Group of exactly two
 * Agents that OAuth 1.0 makes (the application and the user).
 */
static int authority(struct check *c, const cJSON *a, const char *where)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "objectType");
	char *ifi;

	if (agent_or_group(c, a, where, "authority") != 0) {
		return -1;
	}
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "Group") != 0) {
		return 0;
	}
	ifi = ifi_of(a);
	free(ifi);
	if (ifi != NULL || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "member")) != 2) {
		return bad(c, where, "authority",
		           "a Group must be anonymous and have exactly two members");
	}
	return 0;
}

static int activity(struct check *c, const cJSON *a, const char *where, const char *field)
{
	static const char *const keys[] = {"objectType", "id", "definition", NULL};
	static const char *const def_keys[] = {"name",
	                                       "description",
	                                       "type",
	                                       "moreInfo",
	                                       "extensions",
	                                       "interactionType",
	                                       "correctResponsesPattern",
	                                       "choices",
	                                       "scale",
	                                       "source",
	                                       "target",
	                                       "steps",
	                                       NULL};
	const cJSON *id, *def, *v;
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s%s%s", where, field[0] ? "." : "", field);
	if (!cJSON_IsObject(a)) {
		return bad(c, where, field, "must be an Activity object");
	}
	if (only_keys(c, a, sub, keys) != 0) {
		return -1;
	}
	id = cJSON_GetObjectItemCaseSensitive(a, "id");
	if (!cJSON_IsString(id) || !iri_ok(id->valuestring)) {
		return bad(c, sub, "id", "must be an IRI");
	}
	def = cJSON_GetObjectItemCaseSensitive(a, "definition");
	if (def != NULL) {
		char dsub[192];
		(void)snprintf(dsub, sizeof(dsub), "%s.definition", sub);
		if (!cJSON_IsObject(def) || only_keys(c, def, dsub, def_keys) != 0) {
			return bad(c, sub, "definition", "must be an Activity Definition");
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(def, "name")) &&
		    lang_map(c, v, dsub, "name") != 0) {
			return -1;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(def, "description")) &&
		    lang_map(c, v, dsub, "description") != 0) {
			return -1;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(def, "type")) &&
		    (!cJSON_IsString(v) || !iri_ok(v->valuestring))) {
			return bad(c, dsub, "type", "must be an IRI");
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(def, "moreInfo")) &&
		    (!cJSON_IsString(v) || !iri_ok(v->valuestring))) {
			return bad(c, dsub, "moreInfo", "must be an IRL");
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(def, "extensions")) &&
		    extensions(c, v, dsub) != 0) {
			return -1;
		}
		if (interaction(c, def, dsub) != 0) {
			return -1;
		}
	}
	return remember(c, &c->f->activities, &c->f->n_activities, strdup(id->valuestring));
}

static int context_activities(struct check *c, const cJSON *ca, const char *where)
{
	static const char *const keys[] = {"parent", "grouping", "category", "other", NULL};
	const cJSON *k;
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s.contextActivities", where);
	if (!cJSON_IsObject(ca) || only_keys(c, ca, sub, keys) != 0) {
		return bad(c, where, "contextActivities", "must be an object of Activity lists");
	}
	cJSON_ArrayForEach(k, ca)
	{
		if (cJSON_IsArray(k)) {
			const cJSON *each;
			cJSON_ArrayForEach(each, k)
			{
				if (activity(c, each, sub, k->string) != 0) {
					return -1;
				}
			}
		} else if (activity(c, k, sub, k->string) != 0) {
			return -1;
		}
	}
	return 0;
}

/* A StatementRef: objectType "StatementRef", exactly so, and a UUID. */
static int statement_ref(struct check *c, const cJSON *r, const char *where, const char *field)
{
	static const char *const keys[] = {"objectType", "id", NULL};
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "objectType");
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s%s%s", where, field[0] ? "." : "", field);
	if (!cJSON_IsObject(r) || only_keys(c, r, sub, keys) != 0) {
		return bad(c, where, field, "must be a StatementRef");
	}
	if (!cJSON_IsString(id) || !relais_xapi_uuid_ok(id->valuestring)) {
		return bad(c, sub, "id", "must be a UUID");
	}
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "StatementRef") != 0) {
		return bad(c, sub, "objectType", "must be \"StatementRef\"");
	}
	return 0;
}

static int result(struct check *c, const cJSON *r, const char *where)
{
	static const char *const keys[] = {"score",    "success",    "completion", "response",
	                                   "duration", "extensions", NULL};
	static const char *const score_keys[] = {"scaled", "raw", "min", "max", NULL};
	const cJSON *v, *s;
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s.result", where);
	if (!cJSON_IsObject(r)) {
		return bad(c, where, "result", "must be an object");
	}
	if (only_keys(c, r, sub, keys) != 0) {
		return -1;
	}
	if ((s = cJSON_GetObjectItemCaseSensitive(r, "score"))) {
		const cJSON *scaled = cJSON_GetObjectItemCaseSensitive(s, "scaled");
		const cJSON *raw = cJSON_GetObjectItemCaseSensitive(s, "raw");
		const cJSON *min = cJSON_GetObjectItemCaseSensitive(s, "min");
		const cJSON *max = cJSON_GetObjectItemCaseSensitive(s, "max");
		char ssub[192];
		(void)snprintf(ssub, sizeof(ssub), "%s.score", sub);
		if (!cJSON_IsObject(s) || only_keys(c, s, ssub, score_keys) != 0) {
			return bad(c, sub, "score", "must be a Score object");
		}
		if ((scaled && !cJSON_IsNumber(scaled)) || (raw && !cJSON_IsNumber(raw)) ||
		    (min && !cJSON_IsNumber(min)) || (max && !cJSON_IsNumber(max))) {
			return bad(c, ssub, "", "scaled, raw, min and max must be numbers");
		}
		if (scaled && (scaled->valuedouble < -1 || scaled->valuedouble > 1)) {
			return bad(c, ssub, "scaled", "must be from -1 to 1");
		}
		if (min && max && min->valuedouble >= max->valuedouble) {
			return bad(c, ssub, "min", "must be less than max");
		}
		if (raw && ((min && raw->valuedouble < min->valuedouble) ||
		            (max && raw->valuedouble > max->valuedouble))) {
			return bad(c, ssub, "raw", "must be between min and max");
		}
		if (scaled) {
			c->f->scaled = scaled->valuedouble;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "success"))) {
		if (!cJSON_IsBool(v)) {
			return bad(c, sub, "success", "must be true or false");
		}
		c->f->success = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "completion")) && !cJSON_IsBool(v)) {
		return bad(c, sub, "completion", "must be true or false");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "response")) && !cJSON_IsString(v)) {
		return bad(c, sub, "response", "must be a string");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "duration")) &&
	    (!cJSON_IsString(v) || !duration_ok(v->valuestring))) {
		return bad(c, sub, "duration", "must be an ISO 8601 duration");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "extensions")) && extensions(c, v, sub) != 0) {
		return -1;
	}
	return 0;
}

/*
 * xAPI 2.0's contextAgents (kind "Agent") or contextGroups ("Group"): a
 * list of {objectType: "contextAgent", agent, relevantTypes} (or
 * contextGroup and group), relevantTypes a non-empty list of IRIs if given.
 */
static int context_agents(struct check *c, const cJSON *list, const char *where, const char *field,
                          const char *kind)
{
	int group = strcmp(kind, "Group") == 0;
	const char *type = group ? "contextGroup" : "contextAgent";
	const char *member = group ? "group" : "agent";
	const char *const keys[] = {"objectType", member, "relevantTypes", NULL};
	const cJSON *each, *v, *iri;
	char sub[224];
	int i = 0;

	if (!cJSON_IsArray(list)) {
		return bad(c, where, field,
		           group ? "must be an array of contextGroup objects"
		                 : "must be an array of contextAgent objects");
	}
	cJSON_ArrayForEach(each, list)
	{
		(void)snprintf(sub, sizeof(sub), "%s.%s[%d]", where, field, i++);
		if (!cJSON_IsObject(each)) {
			return bad(c, sub, "", "must be an object");
		}
		if (only_keys(c, each, sub, keys) != 0) {
			return -1;
		}
		v = cJSON_GetObjectItemCaseSensitive(each, "objectType");
		if (!cJSON_IsString(v) || strcmp(v->valuestring, type) != 0) {
			return bad(c, sub, "objectType",
			           group ? "must be \"contextGroup\"" : "must be \"contextAgent\"");
		}
		v = cJSON_GetObjectItemCaseSensitive(each, member);
		if (v == NULL) {
			return bad(c, sub, member, "is required");
		}
		if (group) {
			if (agent(c, v, sub, member, 1) != 0) {
				return -1;
			}
		} else {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "objectType");
			if (cJSON_IsString(t) && strcmp(t->valuestring, "Agent") != 0) {
				return bad(c, sub, member, "must be an Agent");
			}
			if (agent(c, v, sub, member, 0) != 0) {
				return -1;
			}
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(each, "relevantTypes"))) {
			if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
				return bad(c, sub, "relevantTypes",
				           "must be a non-empty array of IRIs");
			}
			cJSON_ArrayForEach(iri, v)
			{
				if (!cJSON_IsString(iri) || !iri_ok(iri->valuestring)) {
					return bad(c, sub, "relevantTypes",
					           "must be a non-empty array of IRIs");
				}
			}
		}
	}
	return 0;
}

static int context(struct check *c, const cJSON *x, const char *where, int about_activity)
{
	static const char *const keys[] = {
	        "registration", "instructor", "team",      "contextActivities", "revision",
	        "platform",     "language",   "statement", "extensions",        NULL};
	static const char *const keys_2_0[] = {"registration",      "instructor",    "team",
	                                       "contextActivities", "revision",      "platform",
	                                       "language",          "statement",     "extensions",
	                                       "contextAgents",     "contextGroups", NULL};
	const cJSON *v;
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s.context", where);
	if (!cJSON_IsObject(x)) {
		return bad(c, where, "context", "must be an object");
	}
	if (only_keys(c, x, sub, c->version == RELAIS_XAPI_2_0 ? keys_2_0 : keys) != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "contextAgents")) &&
	    context_agents(c, v, sub, "contextAgents", "Agent") != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "contextGroups")) &&
	    context_agents(c, v, sub, "contextGroups", "Group") != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "registration"))) {
		if (!cJSON_IsString(v) || !relais_xapi_uuid_ok(v->valuestring)) {
			return bad(c, sub, "registration", "must be a UUID");
		}
		free(c->f->registration);
		c->f->registration = strdup(v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "instructor")) &&
	    agent_or_group(c, v, sub, "instructor") != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "team")) && agent(c, v, sub, "team", 1) != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "contextActivities")) &&
	    context_activities(c, v, sub) != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "revision")) &&
	    (!cJSON_IsString(v) || !about_activity)) {
		return bad(c, sub, "revision", "must be a string, and only about an Activity");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "platform")) &&
	    (!cJSON_IsString(v) || !about_activity)) {
		return bad(c, sub, "platform", "must be a string, and only about an Activity");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "language")) &&
	    (!cJSON_IsString(v) || !relais_language_ok(v->valuestring))) {
		return bad(c, sub, "language", "must be an RFC 5646 language tag");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "statement")) &&
	    statement_ref(c, v, sub, "statement") != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "extensions"))) {
		const cJSON *org;
		if (extensions(c, v, sub) != 0) {
			return -1;
		}
		org = cJSON_GetObjectItemCaseSensitive(v, RELAIS_XAPI_ORGANISATION);
		if (cJSON_IsString(org)) {
			free(c->f->organisation);
			c->f->organisation = strdup(org->valuestring);
		}
	}
	return 0;
}

static int statement(struct check *c, const cJSON *st, const char *where, int sub);

static int object(struct check *c, const cJSON *o, const char *where, int sub, int *is_activity)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "objectType");
	const char *t = cJSON_IsString(type) ? type->valuestring : "Activity";
	char osub[160];

	*is_activity = 0;
	(void)snprintf(osub, sizeof(osub), "%s.object", where);
	if (!cJSON_IsObject(o)) {
		return bad(c, where, "object", "must be an object");
	}
	if (type != NULL && !cJSON_IsString(type)) {
		return bad(c, osub, "objectType", "must be a string");
	}
	if (strcmp(t, "Activity") == 0) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
		if (activity(c, o, where, "object") != 0) {
			return -1;
		}
		*is_activity = 1;
		if (!sub) {
			c->f->object_kind = RELAIS_XAPI_ACTIVITY;
			c->f->object_id = strdup(id->valuestring);
		}
		return 0;
	}
	if (strcmp(t, "Agent") == 0 || strcmp(t, "Group") == 0) {
		if (agent_or_group(c, o, where, "object") != 0) {
			return -1;
		}
		if (!sub) {
			c->f->object_kind = RELAIS_XAPI_AGENT;
			c->f->object_id = ifi_of(o);
		}
		return 0;
	}
	if (strcmp(t, "StatementRef") == 0) {
		if (statement_ref(c, o, where, "object") != 0) {
			return -1;
		}
		if (!sub) {
			c->f->object_kind = RELAIS_XAPI_STATEMENT_REF;
			c->f->object_id =
			        strdup(cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring);
		}
		return 0;
	}
	if (strcmp(t, "SubStatement") == 0) {
		if (sub) {
			return bad(c, osub, "objectType", "a SubStatement cannot hold another");
		}
		c->f->object_kind = RELAIS_XAPI_SUBSTATEMENT;
		return statement(c, o, osub, 1);
	}
	return bad(c, osub, "objectType",
	           "must be Activity, Agent, Group, StatementRef or SubStatement");
}

/* An attachment's display and description are language maps (Data 2.4.11, 4.2). */
static int attachment_maps(struct check *c, const cJSON *a, const char *where)
{
	const cJSON *v;
	char sub[192];

	(void)snprintf(sub, sizeof(sub), "%s.attachments", where);
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "display")) &&
	    lang_map(c, v, sub, "display") != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "description")) &&
	    lang_map(c, v, sub, "description") != 0) {
		return -1;
	}
	return 0;
}

/*
 * The attachments property (Data 2.4.11): Attachment objects with a usageType
 * IRI, a display language map, a contentType, a length, a SHA-2 sha2 and an
 * optional fileUrl IRL. Whether the data came with the statement (multipart)
 * is the hub's check.
 */
static int attachments(struct check *c, const cJSON *v, const char *where)
{
	static const char *const known[] = {"usageType", "display", "description", "contentType",
	                                    "length",    "sha2",    "fileUrl",     NULL};
	const cJSON *each, *m;
	size_t i, n;

	if (!cJSON_IsArray(v)) {
		return bad(c, where, "attachments", "must be an array");
	}
	cJSON_ArrayForEach(each, v)
	{
		const cJSON *usage = cJSON_GetObjectItemCaseSensitive(each, "usageType");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(each, "contentType");
		const cJSON *len = cJSON_GetObjectItemCaseSensitive(each, "length");
		const cJSON *sha2 = cJSON_GetObjectItemCaseSensitive(each, "sha2");
		const cJSON *url = cJSON_GetObjectItemCaseSensitive(each, "fileUrl");
		if (!cJSON_IsObject(each)) {
			return bad(c, where, "attachments", "each must be an Attachment object");
		}
		cJSON_ArrayForEach(m, each)
		{
			for (i = 0; known[i] && strcmp(known[i], m->string) != 0; i++) {
			}
			if (known[i] == NULL) {
				return bad(c, where, "attachments", "unknown Attachment property");
			}
		}
		if (!cJSON_IsString(usage) || !iri_ok(usage->valuestring)) {
			return bad(c, where, "attachments", "each needs a usageType IRI");
		}
		if (!cJSON_HasObjectItem(each, "display")) {
			return bad(c, where, "attachments", "each needs a display language map");
		}
		if (attachment_maps(c, each, where) != 0) {
			return -1;
		}
		if (!cJSON_IsString(type) || strchr(type->valuestring, '/') == NULL ||
		    type->valuestring[0] == '/' || strpbrk(type->valuestring, "\r\n") != NULL) {
			return bad(c, where, "attachments", "each needs a contentType media type");
		}
		if (!cJSON_IsNumber(len) || len->valuedouble < 0 ||
		    len->valuedouble != (double)(long long)len->valuedouble) {
			return bad(c, where, "attachments", "each needs a length (an integer)");
		}
		n = cJSON_IsString(sha2) ? strlen(sha2->valuestring) : 0;
		if ((n != 56 && n != 64 && n != 96 && n != 128) ||
		    strspn(sha2->valuestring, "0123456789abcdefABCDEF") != n) {
			return bad(c, where, "attachments", "each needs a sha2 (a SHA-2 in hex)");
		}
		if (url != NULL && (!cJSON_IsString(url) || !iri_ok(url->valuestring))) {
			return bad(c, where, "attachments", "fileUrl must be an IRL");
		}
	}
	return 0;
}

static int statement(struct check *c, const cJSON *st, const char *where, int sub)
{
	static const char *const keys[] = {"id",        "actor",   "verb",        "object",
	                                   "result",    "context", "timestamp",   "stored",
	                                   "authority", "version", "attachments", NULL};
	static const char *const sub_keys[] = {"objectType", "actor",       "verb",
	                                       "object",     "result",      "context",
	                                       "timestamp",  "attachments", NULL};
	static const char *const verb_keys[] = {"id", "display", NULL};
	const cJSON *v, *verb, *verb_id;
	int is_activity = 0;

	if (!cJSON_IsObject(st)) {
		return bad(c, where, "", "must be a Statement object");
	}
	if (only_keys(c, st, where, sub ? sub_keys : keys) != 0) {
		return -1;
	}
	if (!sub && (v = cJSON_GetObjectItemCaseSensitive(st, "id"))) {
		if (!cJSON_IsString(v) || !relais_xapi_uuid_ok(v->valuestring)) {
			return bad(c, where, "id", "must be a UUID");
		}
		for (size_t i = 0; i < 36; i++) {
			c->f->id[i] = (char)tolower((unsigned char)v->valuestring[i]);
		}
		c->f->id[36] = '\0';
		c->f->has_id = 1;
	}
	v = cJSON_GetObjectItemCaseSensitive(st, "actor");
	if (v == NULL) {
		return bad(c, where, "actor", "is required");
	}
	if (agent_or_group(c, v, where, "actor") != 0) {
		return -1;
	}
	if (!sub) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		c->f->actor = ifi_of(v);
		if (c->f->actor == NULL) {
			/* An anonymous group: identified by its members, in order. */
			char *members = cJSON_PrintUnformatted(
			        cJSON_GetObjectItemCaseSensitive(v, "member"));
			c->f->actor = members ? dup_key("group", members) : NULL;
			free(members);
		}
		if (cJSON_IsString(name)) {
			c->f->actor_name = strdup(name->valuestring);
		}
	}
	verb = cJSON_GetObjectItemCaseSensitive(st, "verb");
	if (!cJSON_IsObject(verb)) {
		return bad(c, where, "verb", "is required and must be an object");
	}
	{
		char vsub[160];
		(void)snprintf(vsub, sizeof(vsub), "%s.verb", where);
		if (only_keys(c, verb, vsub, verb_keys) != 0) {
			return -1;
		}
		verb_id = cJSON_GetObjectItemCaseSensitive(verb, "id");
		if (!cJSON_IsString(verb_id) || !iri_ok(verb_id->valuestring)) {
			return bad(c, vsub, "id", "must be an IRI");
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(verb, "display")) &&
		    lang_map(c, v, vsub, "display") != 0) {
			return -1;
		}
	}
	if (!sub) {
		c->f->verb = strdup(verb_id->valuestring);
	}
	v = cJSON_GetObjectItemCaseSensitive(st, "object");
	if (v == NULL) {
		return bad(c, where, "object", "is required");
	}
	if (object(c, v, where, sub, &is_activity) != 0) {
		return -1;
	}
	if (!sub && strcmp(verb_id->valuestring, RELAIS_XAPI_VOIDED) == 0) {
		if (c->f->object_kind != RELAIS_XAPI_STATEMENT_REF) {
			return bad(c, where, "object",
			           "a voiding statement must refer to a statement");
		}
		c->f->voids = strdup(c->f->object_id);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(st, "result")) && result(c, v, where) != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(st, "context")) &&
	    context(c, v, where, is_activity) != 0) {
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(st, "timestamp"))) {
		if (!cJSON_IsString(v) || !timestamp_ok(v->valuestring)) {
			return bad(c, where, "timestamp",
			           "must be an ISO 8601 date and time with a time zone");
		}
		if (!sub) {
			c->f->timestamp = strdup(v->valuestring);
		}
	}
	if (!sub && (v = cJSON_GetObjectItemCaseSensitive(st, "stored")) &&
	    (!cJSON_IsString(v) || !timestamp_ok(v->valuestring))) {
		return bad(c, where, "stored", "must be an ISO 8601 date and time");
	}
	if (!sub && (v = cJSON_GetObjectItemCaseSensitive(st, "authority")) &&
	    authority(c, v, where) != 0) {
		return -1;
	}
	if (!sub && (v = cJSON_GetObjectItemCaseSensitive(st, "version")) &&
	    (!cJSON_IsString(v) || relais_xapi_version_of(v->valuestring) == 0 ||
	     relais_xapi_version_of(v->valuestring) > c->version)) {
		return bad(c, where, "version",
		           c->version == RELAIS_XAPI_2_0 ? "must be 1.0.x or 2.0.x"
		                                         : "must be 1.0.x");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(st, "attachments")) &&
	    attachments(c, v, where) != 0) {
		return -1;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/*
 * Refuses an object with two members of one name anywhere in node (RFC
 * 7493, I-JSON): cJSON keeps both, and readers disagree on which counts.
 */
static int no_duplicates(struct check *c, const cJSON *node, const char *where)
{
	const cJSON *child;
	const char *small[32], **names = small;
	size_t n = 0, i;

	if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
		return 0;
	}
	for (child = node->child; child; child = child->next) {
		if (no_duplicates(c, child, where) != 0) {
			return -1;
		}
		n++;
	}
	if (!cJSON_IsObject(node) || n < 2) {
		return 0;
	}
	if (n > sizeof(small) / sizeof(small[0]) && (names = malloc(n * sizeof(*names))) == NULL) {
		c->rc = relais_fail(c->ctx, RELAIS_ENOMEM, "out of memory");
		return -1;
	}
	for (i = 0, child = node->child; child; child = child->next) {
		names[i++] = child->string;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 1; i < n; i++) {
		if (strcmp(names[i - 1], names[i]) == 0) {
			if (c->rc == 0) {
				c->rc = relais_fail(c->ctx, RELAIS_EFORMAT,
				                    "%s: two members are named \"%s\"", where,
				                    names[i]);
			}
			if (names != small) {
				free(names);
			}
			return -1;
		}
	}
	if (names != small) {
		free(names);
	}
	return 0;
}

/* For relais's own activity IRIs: the course and unit ids in them. */
static void relais_ids(struct relais_xapi_facts *f)
{
	const char *p, *slash;
	size_t n = strlen(RELAIS_XAPI_ACTIVITIES);

	if (f->object_kind != RELAIS_XAPI_ACTIVITY || f->object_id == NULL ||
	    strncmp(f->object_id, RELAIS_XAPI_ACTIVITIES, n) != 0) {
		return;
	}
	p = f->object_id + n;
	slash = strchr(p, '/');
	f->course = slash ? strndup(p, (size_t)(slash - p)) : strdup(p);
	if (slash != NULL) {
		const char *end = strchr(slash + 1, '/');
		f->unit = end ? strndup(slash + 1, (size_t)(end - slash - 1)) : strdup(slash + 1);
	}
}

int relais_xapi_version_of(const char *v)
{
	int version = v == NULL                   ? 0
	              : strncmp(v, "1.0", 3) == 0 ? RELAIS_XAPI_1_0
	              : strncmp(v, "2.0", 3) == 0 ? RELAIS_XAPI_2_0
	                                          : 0;

	if (version == 0 || v[3] == '\0') {
		return version;
	}
	if (v[3] != '.' || v[4] == '\0') {
		return 0;
	}
	for (v += 4; *v; v++) {
		if (!isdigit((unsigned char)*v)) {
			return 0;
		}
	}
	return version;
}

int relais_xapi_check(struct relais_xapi_facts *facts, relais_ctx *ctx, const void *st,
                      const char *where)
{
	return relais_xapi_check_version(facts, ctx, st, where, RELAIS_XAPI_1_0);
}

int relais_xapi_check_version(struct relais_xapi_facts *facts, relais_ctx *ctx, const void *st,
                              const char *where, int version)
{
	struct check c = {ctx, facts, 0, version};

	memset(facts, 0, sizeof(*facts));
	facts->scaled = -2;
	facts->success = -1;
	if ((no_duplicates(&c, st, where) != 0 || statement(&c, st, where, 0) != 0) && c.rc == 0) {
		c.rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: invalid statement", where);
	}
	if (c.rc == 0) {
		relais_ids(facts);
	}
	return c.rc;
}

void relais_xapi_facts_clear(struct relais_xapi_facts *f)
{
	size_t i;

	free(f->actor);
	free(f->verb);
	free(f->object_id);
	free(f->registration);
	free(f->voids);
	free(f->organisation);
	free(f->course);
	free(f->unit);
	free(f->actor_name);
	free(f->timestamp);
	for (i = 0; i < f->n_agents; i++) {
		free(f->agents[i]);
	}
	free(f->agents);
	for (i = 0; i < f->n_activities; i++) {
		free(f->activities[i]);
	}
	free(f->activities);
	memset(f, 0, sizeof(*f));
}

/*
 * The identity is written straight from the statement as received, with
 * no copy: what xAPI leaves out of the comparison is skipped, what it
 * normalises is written normalised, and every object's members come in
 * name order. The text is exactly what cJSON_PrintUnformatted() gives for
 * the normalised, sorted copy that hubs made before (IDENTITY_RULE 2 in
 * sync/hub/store.c): stored hashes stay valid.
 */

/* What to do with one member of an object being written. */
enum form {
	PLAIN,        /* as it is, members sorted */
	SKIP,         /* left out */
	LOWER,        /* a string in lower case (a UUID) */
	INSTANT,      /* a timestamp, written as relais_time_format() writes it */
	AGENT,        /* an agent or group (agent_form) */
	VERB,         /* a verb: without display */
	OBJECT,       /* a statement's object, by its objectType */
	ACTIVITY,     /* an activity: without definition */
	REF,          /* a StatementRef: its id in lower case */
	CONTEXT,      /* a statement's context */
	CONTEXT_ACTS, /* contextActivities */
	RESULT,       /* a statement's result: its duration as DURATION */
	CTX_AGENTS,   /* contextAgents or contextGroups (2.0): each a CTX_AGENT */
	CTX_AGENT,    /* a contextAgent or contextGroup: its agent or group as AGENT */
	DURATION      /* a duration: seconds to 0.01 s, truncated */
};

static void write_form(struct relais_strbuf *b, const cJSON *v, enum form form);

/* A string as cJSON prints it: ", \ and control characters escaped, nothing else. */
static void write_string(struct relais_strbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : ""), *from = p;
	char esc[8];

	relais_strbuf_addn(b, "\"", 1);
	for (; *p; p++) {
		if (*p >= 32 && *p != '"' && *p != '\\') {
			continue;
		}
		relais_strbuf_addn(b, (const char *)from, (size_t)(p - from));
		switch (*p) {
		case '"':
			relais_strbuf_addn(b, "\\\"", 2);
			break;
		case '\\':
			relais_strbuf_addn(b, "\\\\", 2);
			break;
		case '\b':
			relais_strbuf_addn(b, "\\b", 2);
			break;
		case '\f':
			relais_strbuf_addn(b, "\\f", 2);
			break;
		case '\n':
			relais_strbuf_addn(b, "\\n", 2);
			break;
		case '\r':
			relais_strbuf_addn(b, "\\r", 2);
			break;
		case '\t':
			relais_strbuf_addn(b, "\\t", 2);
			break;
		default:
			(void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
			relais_strbuf_addn(b, esc, 6);
			break;
		}
		from = p + 1;
	}
	relais_strbuf_addn(b, (const char *)from, (size_t)(p - from));
	relais_strbuf_addn(b, "\"", 1);
}

/* A string transformed by f (lower case from some point, or an instant). */
static void write_lower(struct relais_strbuf *b, const char *s, size_t from)
{
	char small[64], *t = strlen(s) < sizeof(small) ? small : strdup(s);
	size_t i;

	if (t == NULL) {
		b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
		return;
	}
	if (t == small) {
		memcpy(small, s, strlen(s) + 1);
	}
	for (i = from; t[i]; i++) {
		t[i] = (char)tolower((unsigned char)t[i]);
	}
	write_string(b, t);
	if (t != small) {
		free(t);
	}
}

static int cmp_members(const void *a, const void *b)
{
	const cJSON *const *x = a, *const *y = b;

	return strcmp((*x)->string, (*y)->string);
}

/*
 * An object's members in name order, each written in the form forms gives
 * it: names[i] is the member whose first occurrence gets forms[i] (cJSON
 * finds the first), every other member is written PLAIN.
 */
static void write_object(struct relais_strbuf *b, const cJSON *o, const char *const *names,
                         const enum form *forms, size_t n_names)
{
	const cJSON *small[32], **items = small, *child, *special[16] = {0};
	size_t n = 0, i, k;

	for (child = o->child; child; child = child->next) {
		n++;
	}
	if (n > sizeof(small) / sizeof(small[0]) && (items = malloc(n * sizeof(*items))) == NULL) {
		b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
		return;
	}
	for (k = 0; k < n_names; k++) {
		special[k] = cJSON_GetObjectItemCaseSensitive(o, names[k]);
	}
	n = 0;
	for (child = o->child; child; child = child->next) {
		for (k = 0; k < n_names && special[k] != child; k++) {
		}
		if (k == n_names || forms[k] != SKIP) {
			items[n++] = child;
		}
	}
	qsort(items, n, sizeof(*items), cmp_members);
	relais_strbuf_addn(b, "{", 1);
	for (i = 0; i < n; i++) {
		enum form form = PLAIN;
		if (i > 0) {
			relais_strbuf_addn(b, ",", 1);
		}
		for (k = 0; k < n_names; k++) {
			if (special[k] == items[i]) {
				form = forms[k];
				break;
			}
		}
		write_string(b, items[i]->string);
		relais_strbuf_addn(b, ":", 1);
		write_form(b, items[i], form);
	}
	relais_strbuf_addn(b, "}", 1);
	if (items != small) {
		free(items);
	}
}

/* An array's items in their order, each in form. */
static void write_array(struct relais_strbuf *b, const cJSON *a, enum form form)
{
	const cJSON *each;

	relais_strbuf_addn(b, "[", 1);
	for (each = a->child; each; each = each->next) {
		write_form(b, each, form);
		if (each->next) {
			relais_strbuf_addn(b, ",", 1);
		}
	}
	relais_strbuf_addn(b, "]", 1);
}

static int cmp_printed(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/*
 * A group's members (two or more) in one order: each written as an agent,
 * then the texts sorted.
 */
static void write_members(struct relais_strbuf *b, const cJSON *members)
{
	struct relais_strbuf *each_b = NULL;
	const char **texts = NULL;
	const cJSON *each;
	size_t n = 0, i;

	for (each = members->child; each; each = each->next) {
		n++;
	}
	each_b = calloc(n, sizeof(*each_b));
	texts = calloc(n, sizeof(*texts));
	if (each_b == NULL || texts == NULL) {
		b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
		goto out;
	}
	for (i = 0, each = members->child; each; each = each->next, i++) {
		write_form(&each_b[i], each, AGENT);
		if (each_b[i].rc != 0 || each_b[i].p == NULL) {
			b->rc = b->rc ? b->rc : each_b[i].rc ? each_b[i].rc : RELAIS_ENOMEM;
			goto out;
		}
		texts[i] = each_b[i].p;
	}
	qsort(texts, n, sizeof(*texts), cmp_printed);
	relais_strbuf_addn(b, "[", 1);
	for (i = 0; i < n; i++) {
		relais_strbuf_add(b, texts[i]);
		if (i + 1 < n) {
			relais_strbuf_addn(b, ",", 1);
		}
	}
	relais_strbuf_addn(b, "]", 1);
out:
	for (i = 0; each_b != NULL && i < n; i++) {
		relais_strbuf_free(&each_b[i]);
	}
	free(each_b);
	free(texts);
}

/* An agent or group as compared: e-mail domains in lower case, members in one order. */
static void write_agent(struct relais_strbuf *b, const cJSON *a)
{
	static const char *const names[] = {"mbox", "member"};
	static const enum form forms[] = {PLAIN, PLAIN};
	const cJSON *mbox, *members, *child;
	const cJSON *small[32], **items = small;
	size_t n = 0, i;

	if (!cJSON_IsObject(a)) {
		write_form(b, a, PLAIN);
		return;
	}
	mbox = cJSON_GetObjectItemCaseSensitive(a, "mbox");
	members = cJSON_GetObjectItemCaseSensitive(a, "member");
	if (mbox == NULL && members == NULL) {
		write_object(b, a, names, forms, 0);
		return;
	}
	for (child = a->child; child; child = child->next) {
		n++;
	}
	if (n > sizeof(small) / sizeof(small[0]) && (items = malloc(n * sizeof(*items))) == NULL) {
		b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
		return;
	}
	for (i = 0, child = a->child; child; child = child->next) {
		items[i++] = child;
	}
	qsort(items, n, sizeof(*items), cmp_members);
	relais_strbuf_addn(b, "{", 1);
	for (i = 0; i < n; i++) {
		if (i > 0) {
			relais_strbuf_addn(b, ",", 1);
		}
		write_string(b, items[i]->string);
		relais_strbuf_addn(b, ":", 1);
		if (items[i] == mbox && cJSON_IsString(mbox) && strchr(mbox->valuestring, '@')) {
			write_lower(b, mbox->valuestring,
			            (size_t)(strchr(mbox->valuestring, '@') - mbox->valuestring));
		} else if (items[i] == members && cJSON_IsArray(members) &&
		           cJSON_GetArraySize(members) >= 2) {
			write_members(b, members);
		} else if (items[i] == members && cJSON_IsArray(members)) {
			write_array(b, members, AGENT);
		} else if (items[i] == members && cJSON_IsObject(members)) {
			/* Each member of a "member" object is taken as an agent. */
			const cJSON *m, *msmall[32], **ms = msmall;
			size_t mn = 0, j;
			for (m = members->child; m; m = m->next) {
				mn++;
			}
			if (mn > 32 && (ms = malloc(mn * sizeof(*ms))) == NULL) {
				b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
				break;
			}
			for (j = 0, m = members->child; m; m = m->next) {
				ms[j++] = m;
			}
			qsort(ms, mn, sizeof(*ms), cmp_members);
			relais_strbuf_addn(b, "{", 1);
			for (j = 0; j < mn; j++) {
				relais_strbuf_add(b, j > 0 ? "," : "");
				write_string(b, ms[j]->string);
				relais_strbuf_addn(b, ":", 1);
				write_form(b, ms[j], AGENT);
			}
			relais_strbuf_addn(b, "}", 1);
			if (ms != msmall) {
				free(ms);
			}
		} else {
			write_form(b, items[i], PLAIN);
		}
	}
	relais_strbuf_addn(b, "}", 1);
	if (items != small) {
		free(items);
	}
}

/*
 * One kind of contextActivities given as a single activity: without its
 * definition, and so is any object among its members.
 */
static void write_activity_kind(struct relais_strbuf *b, const cJSON *a)
{
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(a, "definition");
	const cJSON *small[32], **items = small, *child;
	size_t n = 0, i;

	for (child = a->child; child; child = child->next) {
		n++;
	}
	if (n > sizeof(small) / sizeof(small[0]) && (items = malloc(n * sizeof(*items))) == NULL) {
		b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
		return;
	}
	for (n = 0, child = a->child; child; child = child->next) {
		if (child != def) {
			items[n++] = child;
		}
	}
	qsort(items, n, sizeof(*items), cmp_members);
	relais_strbuf_addn(b, "{", 1);
	for (i = 0; i < n; i++) {
		relais_strbuf_add(b, i > 0 ? "," : "");
		write_string(b, items[i]->string);
		relais_strbuf_addn(b, ":", 1);
		write_form(b, items[i], cJSON_IsObject(items[i]) ? ACTIVITY : PLAIN);
	}
	relais_strbuf_addn(b, "}", 1);
	if (items != small) {
		free(items);
	}
}

/* A statement (or sub-statement) in the form two statements are compared in. */
static void write_statement(struct relais_strbuf *b, const cJSON *st, int sub)
{
	static const char *const names[] = {"stored",    "authority", "version", "id",
	                                    "timestamp", "actor",     "verb",    "object",
	                                    "context",   "result"};
	static const enum form forms[] = {SKIP,  SKIP, SKIP,   LOWER,   INSTANT,
	                                  AGENT, VERB, OBJECT, CONTEXT, RESULT};

	if (!cJSON_IsObject(st)) {
		write_form(b, st, PLAIN);
	} else if (sub) {
		write_object(b, st, names + 4, forms + 4, 6);
	} else {
		write_object(b, st, names, forms, 10);
	}
}

/*
 * A duration as xAPI compares it (1.0.3 Data 4.6, 2.0 4.2.7): the seconds'
 * fraction past its second digit left out ("PT1.2567S" is "PT1.25S").
 */
static void write_duration(struct relais_strbuf *b, const char *d)
{
	const char *dot = strrchr(d, '.');
	size_t digits = dot ? strspn(dot + 1, "0123456789") : 0;
	char cut[64]; /* longer ones (none real) are written whole */

	if (dot == NULL || digits <= 2 || strcmp(dot + 1 + digits, "S") != 0 ||
	    (size_t)(dot - d) + 5 > sizeof(cut)) {
		write_string(b, d);
		return;
	}
	(void)snprintf(cut, sizeof(cut), "%.*sS", (int)(dot - d) + 3, d);
	write_string(b, cut);
}

static void write_form(struct relais_strbuf *b, const cJSON *v, enum form form)
{
	static const char *const verb_names[] = {"display"};
	static const char *const activity_names[] = {"definition"};
	static const char *const ref_names[] = {"id"};
	static const char *const context_names[] = {
	        "registration",      "statement",     "instructor",   "team",
	        "contextActivities", "contextAgents", "contextGroups"};
	static const enum form skip[] = {SKIP}, lower_f[] = {LOWER};
	static const enum form context_forms[] = {LOWER,        REF,        AGENT,     AGENT,
	                                          CONTEXT_ACTS, CTX_AGENTS, CTX_AGENTS};
	static const char *const ctx_agent_names[] = {"agent", "group"};
	static const enum form ctx_agent_forms[] = {AGENT, AGENT};
	static const char *const result_names[] = {"duration"};
	static const enum form result_forms[] = {DURATION};
	char text[64];

	switch (form) {
	case SKIP:
		return;
	case LOWER:
		if (cJSON_IsString(v)) {
			write_lower(b, v->valuestring, 0);
			return;
		}
		break;
	case INSTANT:
		if (cJSON_IsString(v)) {
			long long ms = relais_time_parse(v->valuestring);
			char iso[32];
			if (ms >= 0) {
				relais_time_format(iso, ms);
				write_string(b, iso);
			} else {
				write_string(b, v->valuestring);
			}
			return;
		}
		break;
	case AGENT:
		write_agent(b, v);
		return;
	case VERB:
		if (cJSON_IsObject(v)) {
			write_object(b, v, verb_names, skip, 1);
			return;
		}
		break;
	case OBJECT:
		if (cJSON_IsObject(v)) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "objectType");
			const char *type = cJSON_IsString(t) ? t->valuestring : "Activity";
			if (strcmp(type, "Activity") == 0) {
				write_object(b, v, activity_names, skip, 1);
			} else if (strcmp(type, "StatementRef") == 0) {
				write_object(b, v, ref_names, lower_f, 1);
			} else if (strcmp(type, "SubStatement") == 0) {
				write_statement(b, v, 1);
			} else {
				write_agent(b, v);
			}
			return;
		}
		break;
	case ACTIVITY:
		if (cJSON_IsObject(v)) {
			write_object(b, v, activity_names, skip, 1);
			return;
		}
		break;
	case REF:
		if (cJSON_IsObject(v)) {
			write_object(b, v, ref_names, lower_f, 1);
			return;
		}
		break;
	case CONTEXT:
		if (cJSON_IsObject(v)) {
			write_object(b, v, context_names, context_forms, 7);
			return;
		}
		break;
	case CTX_AGENTS:
		if (cJSON_IsArray(v)) {
			write_array(b, v, CTX_AGENT);
			return;
		}
		break;
	case CTX_AGENT:
		if (cJSON_IsObject(v)) {
			write_object(b, v, ctx_agent_names, ctx_agent_forms, 2);
			return;
		}
		break;
	case RESULT:
		if (cJSON_IsObject(v)) {
			write_object(b, v, result_names, result_forms, 1);
			return;
		}
		break;
	case DURATION:
		if (cJSON_IsString(v)) {
			write_duration(b, v->valuestring);
			return;
		}
		break;
	case CONTEXT_ACTS:
		/* Each kind: an activity, or a list of them; either way without definitions. */
		if (cJSON_IsObject(v)) {
			const cJSON *k, *small[8], **kinds = small;
			size_t n = 0, i;
			for (k = v->child; k; k = k->next) {
				n++;
			}
			if (n > 8 && (kinds = malloc(n * sizeof(*kinds))) == NULL) {
				b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
				return;
			}
			for (i = 0, k = v->child; k; k = k->next) {
				kinds[i++] = k;
			}
			qsort(kinds, n, sizeof(*kinds), cmp_members);
			relais_strbuf_addn(b, "{", 1);
			for (i = 0; i < n; i++) {
				relais_strbuf_add(b, i > 0 ? "," : "");
				write_string(b, kinds[i]->string);
				relais_strbuf_addn(b, ":", 1);
				if (cJSON_IsObject(kinds[i])) {
					write_activity_kind(b, kinds[i]);
				} else if (cJSON_IsArray(kinds[i])) {
					write_array(b, kinds[i], ACTIVITY);
				} else {
					write_form(b, kinds[i], PLAIN);
				}
			}
			relais_strbuf_addn(b, "}", 1);
			if (kinds != small) {
				free(kinds);
			}
			return;
		}
		break;
	case PLAIN:
		break;
	}
	switch (v->type & 0xff) {
	case cJSON_NULL:
		relais_strbuf_addn(b, "null", 4);
		break;
	case cJSON_False:
		relais_strbuf_addn(b, "false", 5);
		break;
	case cJSON_True:
		relais_strbuf_addn(b, "true", 4);
		break;
	case cJSON_Number:
		/* cJSON's own number printing, into a buffer of ours. */
		if (cJSON_PrintPreallocated((cJSON *)v, text, sizeof(text), 0)) {
			relais_strbuf_add(b, text);
		} else {
			b->rc = b->rc ? b->rc : RELAIS_ENOMEM;
		}
		break;
	case cJSON_String:
		write_string(b, v->valuestring);
		break;
	case cJSON_Array:
		write_array(b, v, PLAIN);
		break;
	case cJSON_Object:
		write_object(b, v, NULL, NULL, 0);
		break;
	case cJSON_Raw:
		relais_strbuf_add(b, v->valuestring ? v->valuestring : "");
		break;
	default:
		b->rc = b->rc ? b->rc : RELAIS_EFORMAT;
		break;
	}
}

int relais_xapi_identity_add(struct relais_strbuf *out, const void *statement)
{
	write_statement(out, statement, 0);
	return out->rc;
}

char *relais_xapi_identity(const void *statement)
{
	struct relais_strbuf b = {0};

	if (relais_xapi_identity_add(&b, statement) != 0) {
		relais_strbuf_free(&b);
		return NULL;
	}
	return relais_strbuf_detach(&b);
}
