/* xapi.c: validate xAPI 1.0.3 statements and take out what the hub indexes (cJSON). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/util.h"
#include "relais/xapi.h"

#define MAX_RELATED 256

struct check {
	relais_ctx *ctx;
	struct relais_xapi_facts *f;
	int rc;
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
		p += 3;
		if (*p == ':') {
			p++;
		}
		if (*p == '\0') {
			return 1;
		}
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && p[2] == '\0') {
			/* -00:00 is not allowed by xAPI */
			return !(s[16] != 'Z' && strstr(s + 16, "-00:00") != NULL &&
			         strcmp(strstr(s + 16, "-00:00"), "-00:00") == 0);
		}
	}
	return 0;
}

/* ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][n[.n]S]]. */
static int duration_ok(const char *s)
{
	int any = 0, in_time = 0;

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
		s++;
		any = 1;
	}
	return any;
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

static int statement_ref(struct check *c, const cJSON *r, const char *where, const char *field)
{
	static const char *const keys[] = {"objectType", "id", NULL};
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s%s%s", where, field[0] ? "." : "", field);
	if (!cJSON_IsObject(r) || only_keys(c, r, sub, keys) != 0) {
		return bad(c, where, field, "must be a StatementRef");
	}
	if (!cJSON_IsString(id) || !relais_xapi_uuid_ok(id->valuestring)) {
		return bad(c, sub, "id", "must be a UUID");
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

static int context(struct check *c, const cJSON *x, const char *where, int object_is_agent)
{
	static const char *const keys[] = {
	        "registration", "instructor", "team",      "contextActivities", "revision",
	        "platform",     "language",   "statement", "extensions",        NULL};
	const cJSON *v;
	char sub[160];

	(void)snprintf(sub, sizeof(sub), "%s.context", where);
	if (!cJSON_IsObject(x)) {
		return bad(c, where, "context", "must be an object");
	}
	if (only_keys(c, x, sub, keys) != 0) {
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
	    (!cJSON_IsString(v) || object_is_agent)) {
		return bad(c, sub, "revision", "must be a string, and only about an Activity");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(x, "platform")) &&
	    (!cJSON_IsString(v) || object_is_agent)) {
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

static int object(struct check *c, const cJSON *o, const char *where, int sub, int *is_agent)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "objectType");
	const char *t = cJSON_IsString(type) ? type->valuestring : "Activity";
	char osub[160];

	*is_agent = 0;
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
		if (!sub) {
			c->f->object_kind = RELAIS_XAPI_ACTIVITY;
			c->f->object_id = strdup(id->valuestring);
		}
		return 0;
	}
	if (strcmp(t, "Agent") == 0 || strcmp(t, "Group") == 0) {
		*is_agent = 1;
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
	int is_agent = 0;

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
	if (object(c, v, where, sub, &is_agent) != 0) {
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
	    context(c, v, where, is_agent) != 0) {
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
	    agent_or_group(c, v, where, "authority") != 0) {
		return -1;
	}
	if (!sub && (v = cJSON_GetObjectItemCaseSensitive(st, "version")) &&
	    (!cJSON_IsString(v) || strncmp(v->valuestring, "1.0", 3) != 0 ||
	     (v->valuestring[3] != '\0' && v->valuestring[3] != '.'))) {
		return bad(c, where, "version", "must be 1.0.x");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(st, "attachments"))) {
		const cJSON *each;
		if (!cJSON_IsArray(v)) {
			return bad(c, where, "attachments", "must be an array");
		}
		cJSON_ArrayForEach(each, v)
		{
			const cJSON *url = cJSON_GetObjectItemCaseSensitive(each, "fileUrl");
			const cJSON *usage = cJSON_GetObjectItemCaseSensitive(each, "usageType");
			if (!cJSON_IsObject(each) || !cJSON_IsString(usage) ||
			    !iri_ok(usage->valuestring)) {
				return bad(c, where, "attachments", "each needs a usageType IRI");
			}
			if (!cJSON_IsString(url)) {
				return bad(
				        c, where, "attachments",
				        "only attachments by fileUrl are accepted (no multipart)");
			}
		}
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
	const char **names;
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
	names = malloc(n * sizeof(*names));
	if (names == NULL) {
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
			free(names);
			return -1;
		}
	}
	free(names);
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

int relais_xapi_check(struct relais_xapi_facts *facts, relais_ctx *ctx, const void *st,
                      const char *where)
{
	struct check c = {ctx, facts, 0};

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

static int cmp_members(const void *a, const void *b)
{
	const cJSON *const *x = a, *const *y = b;

	return strcmp((*x)->string, (*y)->string);
}

/* Sorts the members of every object, recursively, so order does not matter. */
static int sort_members(cJSON *node)
{
	cJSON *child, **items = NULL, *next;
	size_t n = 0, i;

	if (cJSON_IsArray(node)) {
		cJSON_ArrayForEach(child, node)
		{
			if (sort_members(child) != 0) {
				return -1;
			}
		}
		return 0;
	}
	if (!cJSON_IsObject(node)) {
		return 0;
	}
	for (child = node->child; child; child = child->next) {
		n++;
	}
	if (n == 0) {
		return 0;
	}
	items = malloc(n * sizeof(*items));
	if (items == NULL) {
		return -1;
	}
	for (i = 0, child = node->child; child; child = next, i++) {
		next = child->next;
		items[i] = child;
		if (sort_members(child) != 0) {
			free(items);
			return -1;
		}
	}
	qsort(items, n, sizeof(*items), cmp_members);
	for (i = 0; i < n; i++) {
		items[i]->prev = i > 0 ? items[i - 1] : items[n - 1];
		items[i]->next = i + 1 < n ? items[i + 1] : NULL;
	}
	node->child = items[0];
	free(items);
	return 0;
}

static void lower(char *p)
{
	for (; p && *p; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
}

/* Lower-cases a string member (a UUID: its case means nothing). */
static void lower_member(cJSON *o, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v)) {
		lower(v->valuestring);
	}
}

static int cmp_printed(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* An agent or group as compared: e-mail domains in lower case, members in one order. */
static int agent_form(cJSON *a)
{
	cJSON *mbox = cJSON_GetObjectItemCaseSensitive(a, "mbox");
	cJSON *members = cJSON_GetObjectItemCaseSensitive(a, "member");
	cJSON *each;
	char **printed = NULL;
	int n, i, rc = 0;

	if (cJSON_IsString(mbox) && strchr(mbox->valuestring, '@') != NULL) {
		lower(strchr(mbox->valuestring, '@'));
	}
	if (!cJSON_IsArray(members) || (n = cJSON_GetArraySize(members)) < 2) {
		cJSON_ArrayForEach(each, members)
		{
			rc = rc ? rc : agent_form(each);
		}
		return rc;
	}
	printed = calloc((size_t)n, sizeof(*printed));
	if (printed == NULL) {
		return -1;
	}
	i = 0;
	cJSON_ArrayForEach(each, members)
	{
		if (agent_form(each) != 0 || sort_members(each) != 0 ||
		    (printed[i++] = cJSON_PrintUnformatted(each)) == NULL) {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		qsort(printed, (size_t)n, sizeof(*printed), cmp_printed);
		while (cJSON_GetArraySize(members) > 0) {
			cJSON_DeleteItemFromArray(members, 0);
		}
		for (i = 0; i < n && rc == 0; i++) {
			cJSON *m = cJSON_Parse(printed[i]);
			if (m == NULL || !cJSON_AddItemToArray(members, m)) {
				cJSON_Delete(m);
				rc = -1;
			}
		}
	}
	for (i = 0; i < n; i++) {
		free(printed[i]);
	}
	free(printed);
	return rc;
}

/* An activity as compared: its definition is not part of the statement. */
static void activity_form(cJSON *a)
{
	cJSON_DeleteItemFromObjectCaseSensitive(a, "definition");
}

/*
 * Puts a statement (or sub-statement) in the form two statements are
 * compared in (xAPI 1.0.3, Data 2.3.1, "Statement Comparison Requirements"):
 * what an LRS may assign or change (id case, stored, authority, version),
 * verb displays, activity definitions, the serialisation of times and the
 * order of group members do not count; everything else does.
 */
static int statement_form(cJSON *st, int sub)
{
	cJSON *v, *verb, *object, *context, *each;
	const char *type;

	if (!sub) {
		cJSON_DeleteItemFromObjectCaseSensitive(st, "stored");
		cJSON_DeleteItemFromObjectCaseSensitive(st, "authority");
		cJSON_DeleteItemFromObjectCaseSensitive(st, "version");
		lower_member(st, "id");
	}
	v = cJSON_GetObjectItemCaseSensitive(st, "timestamp");
	if (cJSON_IsString(v)) {
		long long ms = relais_time_parse(v->valuestring);
		char iso[32];
		if (ms >= 0) {
			relais_time_format(iso, ms);
			if (cJSON_SetValuestring(v, iso) == NULL) {
				return -1;
			}
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(st, "actor")) && agent_form(v) != 0) {
		return -1;
	}
	verb = cJSON_GetObjectItemCaseSensitive(st, "verb");
	cJSON_DeleteItemFromObjectCaseSensitive(verb, "display");
	object = cJSON_GetObjectItemCaseSensitive(st, "object");
	v = cJSON_GetObjectItemCaseSensitive(object, "objectType");
	type = cJSON_IsString(v) ? v->valuestring : "Activity";
	if (strcmp(type, "Activity") == 0) {
		activity_form(object);
	} else if (strcmp(type, "StatementRef") == 0) {
		lower_member(object, "id");
	} else if (strcmp(type, "SubStatement") == 0) {
		if (statement_form(object, 1) != 0) {
			return -1;
		}
	} else if (agent_form(object) != 0) {
		return -1;
	}
	context = cJSON_GetObjectItemCaseSensitive(st, "context");
	lower_member(context, "registration");
	lower_member(cJSON_GetObjectItemCaseSensitive(context, "statement"), "id");
	if (((v = cJSON_GetObjectItemCaseSensitive(context, "instructor")) && agent_form(v) != 0) ||
	    ((v = cJSON_GetObjectItemCaseSensitive(context, "team")) && agent_form(v) != 0)) {
		return -1;
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(context, "contextActivities"))
	{
		if (cJSON_IsObject(v)) {
			activity_form(v);
		}
		cJSON_ArrayForEach(each, v)
		{
			if (cJSON_IsObject(each)) {
				activity_form(each);
			}
		}
	}
	return 0;
}

char *relais_xapi_identity(const void *statement)
{
	cJSON *copy = cJSON_Duplicate((const cJSON *)statement, 1);
	char *out = NULL;

	if (copy == NULL) {
		return NULL;
	}
	if (statement_form(copy, 0) == 0 && sort_members(copy) == 0) {
		out = cJSON_PrintUnformatted(copy);
	}
	cJSON_Delete(copy);
	return out;
}
