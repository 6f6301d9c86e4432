/* query.c: GET /xapi/statements: one statement by id, or a filtered page with a "more" cursor. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

#define QUERY_VALUE_MAX 2048
#define PAGE_BYTES_MAX (256u * 1024 * 1024) /* 500 statements of any size */
#define MORE_MAX (64u * 1024)
#define MAX_LANGUAGES 16 /* ranges of Accept-Language weighed */

/* A language range of Accept-Language, with its weight. */
struct language {
	char tag[40];
	double q;
};

/* How statements are returned: the format asked for and, for canonical, the languages. */
struct form {
	enum { FORM_EXACT, FORM_IDS, FORM_CANONICAL } kind;
	struct language langs[MAX_LANGUAGES];
	size_t n_langs;
};

/* SQL: the terms (migration 11) of the agent, verb and activity filters (bound to ?1, ?2, ?3). */
#define AGENT_TERM RELAIS_HUB_TERM("?1")
#define VERB_TERM RELAIS_HUB_TERM("?2")
#define ACTIVITY_TERM RELAIS_HUB_TERM("?3")

/* A statements query once its parameters are checked. */
struct query {
	char *agent_key; /* malloc'd */
	const char *verb, *activity, *registration, *since, *until, *cursor;
	const char *mine; /* the credential whose statements alone may be read, or NULL */
	long long since_ms, until_ms, after;
	long limit;
	int asc, rel_agents, rel_acts;
	struct form form;
};

static const char *param(const struct relais_hub_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(p[i].name, name) == 0) {
			return p[i].value;
		}
	}
	return NULL;
}

/*
 * Parameter name, when given, must be true or false: sets *out. Returns 0,
 * or refuses the request in reply ("NAME must be true or false").
 */
static int boolean(int *out, struct relais_hub_reply *reply, const struct relais_hub_param *params,
                   size_t n, const char *name)
{
	const char *v = param(params, n, name);
	char msg[64];

	*out = v != NULL && strcmp(v, "true") == 0;
	if (v == NULL || *out || strcmp(v, "false") == 0) {
		return 0;
	}
	(void)snprintf(msg, sizeof(msg), "%s must be true or false", name);
	return relais_hub_reply_error(reply, 400, msg);
}

/*
 * Reads Accept-Language (RFC 9110: "fr-CH, fr;q=0.9, *;q=0.5") into f,
 * most wanted first; ranges beyond MAX_LANGUAGES, or malformed, are left out.
 */
static void accept_language(struct form *f, const char *header)
{
	const char *p = header;

	f->n_langs = 0;
	while (p != NULL && *p && f->n_langs < MAX_LANGUAGES) {
		struct language l = {.q = 1};
		size_t len = 0, i;
		const char *end = strchr(p, ','), *semi;
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		while (p[len] && p[len] != ',' && p[len] != ';' && p[len] != ' ' && len < 39) {
			l.tag[len] = p[len];
			len++;
		}
		l.tag[len] = '\0';
		semi = strchr(p, ';');
		if (semi != NULL && (end == NULL || semi < end)) {
			const char *qs = strstr(semi, "q=");
			if (qs != NULL && (end == NULL || qs < end)) {
				l.q = strtod(qs + 2, NULL);
			}
		}
		if (len > 0 && l.q > 0) {
			/* stable: equal weights keep the order they were given in */
			for (i = f->n_langs; i > 0 && f->langs[i - 1].q < l.q; i--) {
				f->langs[i] = f->langs[i - 1];
			}
			f->langs[i] = l;
			f->n_langs++;
		}
		p = end ? end + 1 : NULL;
	}
}

/* Whether language tag key is within the range tag ("en" holds "en-GB"), or the reverse. */
static int within(const char *key, const char *tag)
{
	size_t k = strlen(key), t = strlen(tag);

	return (k > t && strncasecmp(key, tag, t) == 0 && key[t] == '-') ||
	       (t > k && strncasecmp(tag, key, k) == 0 && tag[k] == '-');
}

/* Keeps one entry of language map m: the best for f's languages, else the first. */
static void one_language(cJSON *m, const struct form *f)
{
	cJSON *keep = NULL, *k, *next;
	size_t i;

	for (i = 0; keep == NULL && i < f->n_langs; i++) {
		const char *tag = f->langs[i].tag;
		cJSON_ArrayForEach(k, m)
		{
			if (strcasecmp(k->string, tag) == 0 || strcmp(tag, "*") == 0) {
				keep = k;
				break;
			}
		}
		cJSON_ArrayForEach(k, m)
		{
			if (keep == NULL && within(k->string, tag)) {
				keep = k;
			}
		}
	}
	keep = keep ? keep : m->child;
	for (k = m->child; k != NULL; k = next) {
		next = k->next;
		if (k != keep) {
			cJSON_Delete(cJSON_DetachItemViaPointer(m, k));
		}
	}
}

/*
 * format=canonical: every language map (a verb's display, an Activity's
 * name and description, its components' descriptions, an attachment's)
 * cut to one language, the one Accept-Language prefers. Extensions are
 * left as they are: their members are not xAPI's.
 */
static void canonical(cJSON *node, const struct form *f)
{
	cJSON *child;

	for (child = node ? node->child : NULL; child != NULL; child = child->next) {
		if (cJSON_IsObject(node) && strcmp(child->string, "extensions") == 0) {
			continue;
		}
		if (cJSON_IsObject(node) && cJSON_IsObject(child) &&
		    (strcmp(child->string, "display") == 0 || strcmp(child->string, "name") == 0 ||
		     strcmp(child->string, "description") == 0)) {
			one_language(child, f);
		} else {
			canonical(child, f);
		}
	}
}

/* format=ids: an Agent or Group by its identifier, an anonymous Group's members so. */
static void ids_agent(cJSON *a)
{
	cJSON *m;

	cJSON_DeleteItemFromObjectCaseSensitive(a, "name");
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(a, "member"))
	{
		cJSON_DeleteItemFromObjectCaseSensitive(m, "name");
	}
}

/* format=ids: an Activity by its id alone. */
static void ids_activity(cJSON *a)
{
	cJSON *k, *next;

	for (k = a ? a->child : NULL; k != NULL; k = next) {
		next = k->next;
		if (strcmp(k->string, "id") != 0) {
			cJSON_Delete(cJSON_DetachItemViaPointer(a, k));
		}
	}
}

/*
 * format=ids (Communication 2.1.3): only the identifiers of Agents, Groups
 * (and anonymous Groups' members), Verbs and Activities, in a SubStatement too.
 */
static void ids_statement(cJSON *st)
{
	cJSON *obj = cJSON_GetObjectItemCaseSensitive(st, "object");
	cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "objectType");
	cJSON *ctx = cJSON_GetObjectItemCaseSensitive(st, "context"), *kind, *a;
	const char *t = cJSON_IsString(type) ? type->valuestring : "Activity";

	ids_agent(cJSON_GetObjectItemCaseSensitive(st, "actor"));
	ids_agent(cJSON_GetObjectItemCaseSensitive(st, "authority"));
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "verb"),
	                                        "display");
	if (strcmp(t, "Activity") == 0) {
		ids_activity(obj);
	} else if (strcmp(t, "Agent") == 0 || strcmp(t, "Group") == 0) {
		ids_agent(obj);
	} else if (strcmp(t, "SubStatement") == 0) {
		ids_statement(obj);
	}
	ids_agent(cJSON_GetObjectItemCaseSensitive(ctx, "instructor"));
	ids_agent(cJSON_GetObjectItemCaseSensitive(ctx, "team"));
	cJSON_ArrayForEach(kind, cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities"))
	{
		if (cJSON_IsArray(kind)) {
			cJSON_ArrayForEach(a, kind)
			{
				ids_activity(a);
			}
		} else {
			ids_activity(kind);
		}
	}
}

/* A stored statement as the query's format asks: malloc'd, or NULL when out of memory. */
static char *formatted(const char *body, const struct form *f)
{
	cJSON *o;
	char *text;

	if (f->kind == FORM_EXACT) {
		return strdup(body);
	}
	o = cJSON_Parse(body);
	if (f->kind == FORM_IDS) {
		ids_statement(o);
	} else {
		canonical(o, f);
	}
	text = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return text;
}

static int single(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx, const char *id,
                  int voided, const struct form *form, const char *mine)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step;

	if (!relais_xapi_uuid_ok(id)) {
		return relais_hub_reply_error(reply, 400,
		                              voided ? "voidedStatementId must be a UUID"
		                                     : "statementId must be a UUID");
	}
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT body, stored_ms FROM statement WHERE id = lower(?1) AND voided = ?2 "
	            "AND (?3 IS NULL OR credential = ?3)",
	            -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_bind_text(st, 1, id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int(st, 2, voided);
	if (mine != NULL) {
		relais_hub_sql_bind_text(st, 3, mine, -1, RELAIS_HUB_SQL_STATIC);
	}
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		reply->body = formatted((const char *)relais_hub_sql_column_text(st, 0), form);
		reply->status = 200;
		relais_hub_http_date(reply->modified, relais_hub_sql_column_int64(st, 1));
		rc = reply->body ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if (step == RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_reply_error(reply, 404, "no such statement");
	} else {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* Refuses a parameter this hub does not know, or one too long. */
static int check_names(struct relais_hub_reply *reply, const struct relais_hub_param *params,
                       size_t n)
{
	static const char *const known_params[] = {"statementId",
	                                           "voidedStatementId",
	                                           "agent",
	                                           "verb",
	                                           "activity",
	                                           "registration",
	                                           "related_activities",
	                                           "related_agents",
	                                           "since",
	                                           "until",
	                                           "limit",
	                                           "format",
	                                           "attachments",
	                                           "ascending",
	                                           "cursor",
	                                           NULL};
	size_t i;

	for (i = 0; i < n; i++) {
		const char *const *k;
		for (k = known_params; *k && strcmp(*k, params[i].name) != 0; k++) {
		}
		if (*k == NULL) {
			char msg[160];
			(void)snprintf(msg, sizeof(msg), "unknown parameter %.100s",
			               params[i].name);
			return relais_hub_reply_error(reply, 400, msg);
		}
		if (strlen(params[i].value) > QUERY_VALUE_MAX) {
			return relais_hub_reply_error(reply, 400, "a parameter is too long");
		}
	}
	return 0;
}

/* GET by statementId or voidedStatementId: format and attachments are the only others allowed. */
static int by_id(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                 const struct relais_hub_param *params, size_t n, const char *sid, const char *vid,
                 const struct form *form, const char *mine)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(params[i].name, "format") != 0 &&
		    strcmp(params[i].name, "attachments") != 0 &&
		    strcmp(params[i].name, sid ? "statementId" : "voidedStatementId") != 0) {
			return relais_hub_reply_error(
			        reply, 400,
			        "statementId and voidedStatementId take no other filter");
		}
	}
	return single(reply, hub, ctx, sid ? sid : vid, vid != NULL, form, mine);
}

/*
 * Checks the filters and paging parameters into q. Returns 0 (the request
 * refused in reply when reply->status is set) or a failure.
 */
static int parse_filters(struct query *q, struct relais_hub_reply *reply,
                         const struct relais_hub_param *params, size_t n)
{
	const char *limit_s = param(params, n, "limit"), *agent_json = param(params, n, "agent");
	char *end;
	int rc;

	q->verb = param(params, n, "verb");
	q->activity = param(params, n, "activity");
	q->registration = param(params, n, "registration");
	q->since = param(params, n, "since");
	q->until = param(params, n, "until");
	q->cursor = param(params, n, "cursor");
	q->limit = 100;
	if (limit_s != NULL) {
		q->limit = strtol(limit_s, &end, 10);
		if (*end != '\0' || q->limit < 0) {
			return relais_hub_reply_error(reply, 400,
			                              "limit must be a non-negative integer");
		}
	}
	if (q->limit == 0 || q->limit > RELAIS_HUB_PAGE_MAX) {
		q->limit = RELAIS_HUB_PAGE_MAX;
	}
	if ((rc = boolean(&q->asc, reply, params, n, "ascending")) != 0 || reply->status != 0) {
		return rc;
	}
	if (q->since != NULL && (q->since_ms = relais_time_parse(q->since)) < 0) {
		return relais_hub_reply_error(reply, 400, "since must be an ISO 8601 time");
	}
	if (q->until != NULL && (q->until_ms = relais_time_parse(q->until)) < 0) {
		return relais_hub_reply_error(reply, 400, "until must be an ISO 8601 time");
	}
	if (q->cursor != NULL) {
		q->after = strtoll(q->cursor, &end, 10);
		if (*end != '\0' || q->after < 0) {
			return relais_hub_reply_error(reply, 400,
			                              "cursor is not one this hub made");
		}
	}
	if ((rc = boolean(&q->rel_agents, reply, params, n, "related_agents")) != 0 ||
	    reply->status != 0 ||
	    (rc = boolean(&q->rel_acts, reply, params, n, "related_activities")) != 0 ||
	    reply->status != 0) {
		return rc;
	}
	if (agent_json != NULL) {
		cJSON *a = cJSON_Parse(agent_json);
		q->agent_key = relais_xapi_agent_key(a);
		cJSON_Delete(a);
		if (q->agent_key == NULL) {
			return relais_hub_reply_error(
			        reply, 400, "agent must be an Agent or identified Group as JSON");
		}
	}
	if ((q->verb != NULL && strchr(q->verb, ':') == NULL) ||
	    (q->activity != NULL && strchr(q->activity, ':') == NULL)) {
		return relais_hub_reply_error(reply, 400, "verb and activity must be IRIs");
	}
	if (q->registration != NULL && !relais_xapi_uuid_ok(q->registration)) {
		return relais_hub_reply_error(reply, 400, "registration must be a UUID");
	}
	return 0;
}

/*
 * What the filters ask of a statement, as SQL conditions on alias t ("s" for
 * the statement itself, "t" for the statement a StatementRef points at);
 * since, until and the cursor always apply to s.
 */
static void filter_sql(char *buf, size_t size, const struct query *q, const char *t)
{
	struct relais_strbuf b = {.max = size};

	if (q->agent_key != NULL && q->rel_agents) {
		relais_strbuf_printf(&b,
		                     " AND %s.seq IN (SELECT seq FROM statement_agent WHERE term "
		                     "= " AGENT_TERM ")",
		                     t);
	} else if (q->agent_key != NULL) {
		relais_strbuf_printf(&b,
		                     " AND (%s.actor_term = " AGENT_TERM
		                     " OR (%s.object_kind = 2 AND "
		                     "%s.object_term = " AGENT_TERM "))",
		                     t, t, t);
	}
	if (q->verb != NULL) {
		relais_strbuf_printf(&b, " AND %s.verb_term = " VERB_TERM, t);
	}
	if (q->activity != NULL && q->rel_acts) {
		relais_strbuf_printf(&b,
		                     " AND %s.seq IN (SELECT seq FROM statement_activity WHERE "
		                     "term = " ACTIVITY_TERM ")",
		                     t);
	} else if (q->activity != NULL) {
		relais_strbuf_printf(
		        &b, " AND %s.object_kind = 1 AND %s.object_term = " ACTIVITY_TERM, t, t);
	}
	if (q->registration != NULL) {
		relais_strbuf_printf(&b, " AND %s.registration = lower(?4)", t);
	}
	if (q->since != NULL) {
		relais_strbuf_add(&b, " AND s.stored_ms > ?5");
	}
	if (q->until != NULL) {
		relais_strbuf_add(&b, " AND s.stored_ms <= ?6");
	}
	if (q->mine != NULL) {
		/* With a filter, its own index is the narrow one: the unary + keeps
		 * SQLite from walking every statement of the credential instead. */
		relais_strbuf_add(&b, q->agent_key || q->verb || q->activity || q->registration
		                              ? " AND +s.credential = ?9"
		                              : " AND s.credential = ?9");
	}
	(void)snprintf(buf, size, "%s", b.p ? b.p : "");
	relais_strbuf_free(&b);
}

/*
 * The page's SQL. When filtering, a statement whose StatementRef target
 * meets the filters is returned too (XAPI-00162): a second arm joins the
 * target. Both arms walk an index in seq order under the LIMIT.
 */
static void query_sql(char *sql, size_t size, const struct query *q)
{
	char own[1024], target[1024];
	int filtering = q->agent_key || q->verb || q->activity || q->registration;
	const char *dir = q->asc ? "ASC" : "DESC";
	const char *window = q->cursor ? (q->asc ? " AND s.seq > ?7" : " AND s.seq < ?7") : "";

	filter_sql(own, sizeof(own), q, "s");
	if (filtering) {
		filter_sql(target, sizeof(target), q, "t");
		(void)snprintf(
		        sql, size,
		        "SELECT seq, body FROM (SELECT * FROM (SELECT s.seq AS seq, s.body "
		        "AS body FROM statement s WHERE s.voided = 0%s%s ORDER BY s.seq %s "
		        "LIMIT ?8) AS a UNION SELECT * FROM (SELECT s.seq, s.body FROM statement "
		        "s JOIN statement t ON t.seq = s.target_seq WHERE s.target_seq IS "
		        "NOT NULL AND s.voided = 0%s%s ORDER BY s.seq %s LIMIT ?8) AS b) AS u "
		        "ORDER "
		        "BY seq %s LIMIT ?8",
		        own, window, dir, target, window, dir, dir);
	} else {
		(void)snprintf(sql, size,
		               "SELECT s.seq, s.body FROM statement s WHERE s.voided = 0%s%s ORDER "
		               "BY s.seq %s LIMIT ?8",
		               own, window, dir);
	}
}

static void bind_query(relais_hub_sql_stmt *st, const struct query *q)
{
	if (q->agent_key) {
		relais_hub_sql_bind_text(st, 1, q->agent_key, -1, RELAIS_HUB_SQL_STATIC);
	}
	if (q->verb) {
		relais_hub_sql_bind_text(st, 2, q->verb, -1, RELAIS_HUB_SQL_STATIC);
	}
	if (q->activity) {
		relais_hub_sql_bind_text(st, 3, q->activity, -1, RELAIS_HUB_SQL_STATIC);
	}
	if (q->registration) {
		relais_hub_sql_bind_text(st, 4, q->registration, -1, RELAIS_HUB_SQL_STATIC);
	}
	if (q->since) {
		relais_hub_sql_bind_int64(st, 5, q->since_ms);
	}
	if (q->until) {
		relais_hub_sql_bind_int64(st, 6, q->until_ms);
	}
	if (q->cursor) {
		relais_hub_sql_bind_int64(st, 7, q->after);
	}
	if (q->mine) {
		relais_hub_sql_bind_text(st, 9, q->mine, -1, RELAIS_HUB_SQL_STATIC);
	}
	/* One more than asked: its presence says there is a next page. */
	relais_hub_sql_bind_int64(st, 8, q->limit + 1);
}

/* The next page's path (*out, malloc'd): the same query, after statement last_seq. */
static int more_path(char **out, relais_ctx *ctx, const struct relais_hub_param *params, size_t n,
                     long long last_seq)
{
	struct relais_strbuf more = {.max = MORE_MAX};
	size_t i;

	*out = NULL;
	relais_strbuf_add(&more, "/xapi/statements?");
	for (i = 0; i < n; i++) {
		if (strcmp(params[i].name, "cursor") != 0) {
			relais_strbuf_add_url(&more, params[i].name);
			relais_strbuf_add(&more, "=");
			relais_strbuf_add_url(&more, params[i].value);
			relais_strbuf_add(&more, "&");
		}
	}
	relais_strbuf_printf(&more, "cursor=%lld", (long long)last_seq);
	if (more.rc != 0) {
		relais_strbuf_free(&more);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	*out = more.p;
	return 0;
}

/* Runs st and writes the page {"statements": [...], "more": "..."} into reply. */
static int write_page(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                      relais_hub_sql_stmt *st, const struct query *q,
                      const struct relais_hub_param *params, size_t n)
{
	struct relais_strbuf page = {.max = PAGE_BYTES_MAX};
	long long last_seq = 0;
	size_t rows = 0;
	int rc = 0, step;

	relais_strbuf_add(&page, "{\"statements\":[");
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW && rows < (size_t)q->limit) {
		char *text = formatted((const char *)relais_hub_sql_column_text(st, 1), &q->form);
		if (text == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		last_seq = relais_hub_sql_column_int64(st, 0);
		relais_strbuf_add(&page, rows > 0 ? "," : "");
		relais_strbuf_add(&page, text);
		free(text);
		rows++;
	}
	if (step != RELAIS_HUB_SQL_ROW && step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	relais_strbuf_add(&page, "],\"more\":\"");
	if (step == RELAIS_HUB_SQL_ROW) {
		if ((rc = more_path(&reply->more, ctx, params, n, last_seq)) != 0) {
			goto out;
		}
		relais_strbuf_add(&page, reply->more);
	}
	relais_strbuf_add(&page, "\"}");
	if (page.rc != 0) {
		free(reply->more);
		reply->more = NULL;
		rc = relais_fail(ctx, page.rc, "a page of statements: %s",
		                 page.rc == RELAIS_ELIMIT ? "too large" : "out of memory");
		goto out;
	}
	reply->status = 200;
	reply->body = page.p;
	page.p = NULL;
out:
	relais_strbuf_free(&page);
	return rc;
}

int relais_hub_get(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const struct relais_hub_param *params, size_t n, const char *languages,
                   const struct relais_hub_credential *who)
{
	const char *sid = param(params, n, "statementId");
	const char *vid = param(params, n, "voidedStatementId");
	const char *format = param(params, n, "format");
	struct query q = {0};
	relais_hub_sql_stmt *st = NULL;
	char sql[3072];
	int rc, attachments;

	memset(reply, 0, sizeof(*reply));
	relais_now_iso(reply->consistent);
	if (!(who->scopes & (RELAIS_HUB_SCOPE_READ_ALL | RELAIS_HUB_SCOPE_READ_MINE))) {
		return relais_hub_reply_error(reply, 403,
		                              "these credentials may not read statements");
	}
	q.mine = who->scopes & RELAIS_HUB_SCOPE_READ_ALL ? NULL : who->key;
	if ((rc = check_names(reply, params, n)) != 0 || reply->status != 0) {
		return rc;
	}
	if (format != NULL && strcmp(format, "exact") != 0 && strcmp(format, "ids") != 0 &&
	    strcmp(format, "canonical") != 0) {
		return relais_hub_reply_error(reply, 400, "format must be ids, exact or canonical");
	}
	q.form.kind = format == NULL || strcmp(format, "exact") == 0 ? FORM_EXACT
	              : strcmp(format, "ids") == 0                   ? FORM_IDS
	                                                             : FORM_CANONICAL;
	accept_language(&q.form, languages);
	if ((rc = boolean(&attachments, reply, params, n, "attachments")) != 0 ||
	    reply->status != 0) {
		return rc;
	}
	if (sid != NULL || vid != NULL) {
		return by_id(reply, hub, ctx, params, n, sid, vid, &q.form, q.mine);
	}
	if ((rc = parse_filters(&q, reply, params, n)) != 0 || reply->status != 0) {
		goto out;
	}
	query_sql(sql, sizeof(sql), &q);
	if (relais_hub_sql_prepare(hub->db, sql, -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	bind_query(st, &q);
	rc = write_page(reply, hub, ctx, st, &q, params, n);
out:
	relais_hub_sql_finalize(st);
	free(q.agent_key);
	return rc;
}
