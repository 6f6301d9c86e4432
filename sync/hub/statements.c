/* statements.c: storing statements (POST, PUT, import): the xAPI id rules and voiding. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "progress_sql.h"
#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

static int bind_text_or_null(relais_hub_sql_stmt *st, int i, const char *s)
{
	return s ? relais_hub_sql_bind_text(st, i, s, -1, RELAIS_HUB_SQL_TRANSIENT)
	         : relais_hub_sql_bind_null(st, i);
}

/*
 * Gives f (and st, when it has none) the statement's id: the statementId of
 * a PUT (forced_id), the one st holds, or a new random UUID. Returns 0 or
 * RELAIS_EFORMAT when st's id differs from forced_id.
 */
static int assign_id(struct relais_xapi_facts *f, cJSON *st, relais_ctx *ctx, const char *where,
                     const char *forced_id)
{
	size_t i;

	if (forced_id != NULL) {
		if (f->has_id && strcasecmp(f->id, forced_id) != 0) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s.id: differs from the statementId parameter", where);
		}
		if (!f->has_id) {
			cJSON_AddStringToObject(st, "id", forced_id);
		}
		for (i = 0; i < 36; i++) {
			f->id[i] = (char)tolower((unsigned char)forced_id[i]);
		}
		f->id[36] = '\0';
	} else if (!f->has_id) {
		unsigned char b[16];
		randombytes_buf(b, sizeof(b));
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
		(void)snprintf(
		        f->id, sizeof(f->id),
		        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		        b[12], b[13], b[14], b[15]);
		cJSON_AddStringToObject(st, "id", f->id);
	}
	return 0;
}

/* The hash (hex) of st's identity: only it is kept, half the row, same rule. */
int relais_hub_identity_hash(char out[65], relais_hub *hub, relais_ctx *ctx, const cJSON *st)
{
	unsigned char h[32];

	relais_strbuf_reset(&hub->scratch);
	if (relais_xapi_identity_add(&hub->scratch, st) != 0) {
		return relais_fail(ctx, hub->scratch.rc, "%s",
		                   hub->scratch.rc == RELAIS_ENOMEM ? "out of memory"
		                                                    : "statement too large");
	}
	crypto_generichash(h, sizeof(h), (const unsigned char *)hub->scratch.p, hub->scratch.len,
	                   NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
	return 0;
}

/*
 * The id rules: sets *known when id is stored with the same identity.
 * Returns 0; RELAIS_EEXIST when it is stored with another; or a failure.
 */
static int check_known(int *known, relais_hub *hub, relais_ctx *ctx, const char *where,
                       const char *id, const char *hash)
{
	relais_hub_sql_stmt *q = NULL;
	int rc = 0, step;

	*known = 0;
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_IDENTITY,
	                    "SELECT identity_hash FROM statement WHERE id = ?", &q) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_bind_text(q, 1, id, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(q);
	if (step == RELAIS_HUB_SQL_ROW) {
		const char *had = (const char *)relais_hub_sql_column_text(q, 0);
		if (had != NULL && strcmp(had, hash) == 0) {
			*known = 1;
		} else {
			rc = relais_fail(ctx, RELAIS_EEXIST,
			                 "%s: statement %s is already stored with other content",
			                 where, id);
		}
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_reset(q);
	return rc;
}

/* Makes each single Activity in st's contextActivities an array holding it. */
static int context_arrays(relais_ctx *ctx, cJSON *st)
{
	static const char *const kinds[] = {"parent", "grouping", "category", "other"};
	cJSON *ca = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(st, "context"), "contextActivities");
	size_t i;

	for (i = 0; ca != NULL && i < 4; i++) {
		cJSON *k = cJSON_GetObjectItemCaseSensitive(ca, kinds[i]);
		if (cJSON_IsObject(k)) {
			/* k becomes an array in its place, holding an object with its members. */
			cJSON *item = cJSON_CreateObject();
			if (item == NULL) {
				return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			}
			item->child = k->child;
			k->child = item;
			k->type = (k->type & ~0xff) | cJSON_Array;
			item->prev = item;
		}
	}
	return 0;
}

/*
 * The text stored for st (*out, malloc'd): with stored, authority (the JSON
 * text given), version and timestamp set as an LRS sets them, and a single
 * Activity in contextActivities (its own and a SubStatement's) made an
 * array, the form xAPI returns (XAPI-00093). st
 * itself is changed so (no copy is made): its identity must be taken first.
 */
static int stored_text(char **out, relais_ctx *ctx, cJSON *st, const char *authority,
                       const char *now, int xapi_version)
{
	cJSON *obj;
	const cJSON *type;

	*out = NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(st, "stored");
	if (cJSON_AddStringToObject(st, "stored", now) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (authority != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(st, "authority");
		if (cJSON_AddRawToObject(st, "authority", authority) == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	if ((!cJSON_HasObjectItem(st, "version") &&
	     /* what each version's Data 2.4.10 says a statement without one is */
	     cJSON_AddStringToObject(
	             st, "version", xapi_version == RELAIS_XAPI_2_0 ? "2.0.0" : "1.0.0") == NULL) ||
	    (!cJSON_HasObjectItem(st, "timestamp") &&
	     cJSON_AddStringToObject(st, "timestamp", now) == NULL)) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (context_arrays(ctx, st) != 0) {
		return RELAIS_ENOMEM;
	}
	obj = cJSON_GetObjectItemCaseSensitive(st, "object");
	type = cJSON_GetObjectItemCaseSensitive(obj, "objectType");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "SubStatement") == 0 &&
	    context_arrays(ctx, obj) != 0) {
		return RELAIS_ENOMEM;
	}
	*out = cJSON_PrintUnformatted(st);
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

void relais_hub_terms_clear(relais_hub *hub)
{
	size_t i;

	if (hub->terms != NULL) {
		for (i = 0; i < 2 * RELAIS_HUB_TERMS_MAX; i++) {
			free(hub->terms[i].text);
		}
		memset(hub->terms, 0, 2 * RELAIS_HUB_TERMS_MAX * sizeof(*hub->terms));
	}
	hub->n_terms = 0;
}

/* The slot of text in hub's terms: its own, or the free one where it would go. */
static struct relais_hub_term *term_slot(relais_hub *hub, const char *text)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)text; *p; p++) {
		h = (h ^ *p) * 1099511628211ull;
	}
	for (i = h % (2 * RELAIS_HUB_TERMS_MAX);; i = (i + 1) % (2 * RELAIS_HUB_TERMS_MAX)) {
		struct relais_hub_term *t = &hub->terms[i];
		if (t->id == 0 || (t->hash == h && strcmp(t->text, text) == 0)) {
			t->hash = h;
			return t;
		}
	}
}

/* Remembers text's term in slot t (from term_slot); memory running out only forgets. */
static void term_keep(relais_hub *hub, struct relais_hub_term *t, const char *text, long long id)
{
	if (hub->n_terms >= RELAIS_HUB_TERMS_MAX || (t->text = strdup(text)) == NULL) {
		return;
	}
	t->id = id;
	hub->n_terms++;
}

/*
 * The term of text (store.c, migration 11) in *id, made when no statement
 * named it yet; *id is 0 (bound as NULL) when text is NULL. In the caller's
 * transaction: a batch refused takes its new terms back with it (and
 * relais_hub_terms_clear() then forgets them).
 */
static int term_of(long long *id, relais_hub *hub, relais_ctx *ctx, const char *text)
{
	struct relais_hub_term *t = NULL;
	relais_hub_sql_stmt *q = NULL;
	int step;

	*id = 0;
	if (text == NULL) {
		return 0;
	}
	if (hub->terms == NULL) {
		hub->terms = calloc(2 * RELAIS_HUB_TERMS_MAX, sizeof(*hub->terms));
	}
	if (hub->terms != NULL) {
		if (hub->n_terms >= RELAIS_HUB_TERMS_MAX) {
			relais_hub_terms_clear(hub);
		}
		t = term_slot(hub, text);
		if (t->id != 0) {
			*id = t->id;
			return 0;
		}
	}
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_TERM_FIND, "SELECT id FROM term WHERE text = ?",
	                    &q) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_bind_text(q, 1, text, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(q);
	if (step == RELAIS_HUB_SQL_ROW) {
		*id = relais_hub_sql_column_int64(q, 0);
	}
	relais_hub_sql_reset(q);
	if (step == RELAIS_HUB_SQL_ROW) {
		if (t != NULL) {
			term_keep(hub, t, text, *id);
		}
		return 0;
	}
	if (step != RELAIS_HUB_SQL_DONE ||
	    relais_hub_stmt(hub, RELAIS_HUB_SLOT_TERM_ADD,
	                    "INSERT INTO term(text) VALUES (?) RETURNING id", &q) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_bind_text(q, 1, text, -1, RELAIS_HUB_SQL_STATIC);
	if ((step = relais_hub_sql_step(q)) == RELAIS_HUB_SQL_ROW) {
		*id = relais_hub_sql_column_int64(q, 0);
	}
	relais_hub_sql_reset(q);
	if (step != RELAIS_HUB_SQL_ROW) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	if (t != NULL) {
		term_keep(hub, t, text, *id);
	}
	return 0;
}

static void bind_term(relais_hub_sql_stmt *st, int i, long long id)
{
	if (id != 0) {
		relais_hub_sql_bind_int64(st, i, id);
	} else {
		relais_hub_sql_bind_null(st, i);
	}
}

/* The statement row's columns and their values, ?19 the StatementRef's target (insert_row). */
#define INSERT_STATEMENT                                                                           \
	"INSERT INTO statement(id, identity_hash, body, stored, stored_ms, actor, "                \
	"actor_name, verb, object_id, object_kind, registration, voids, "                          \
	"organisation, course, unit, scaled, success, timestamp, target_seq, "                     \
	"credential, actor_term, verb_term, object_term, course_term) "                            \
	"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"                                             \
	"(SELECT seq FROM statement WHERE id = lower(?19)), ?20, ?21, ?22, ?23, ?24)"

/*
 * On PostgreSQL the row, its agents' and its activities' rows in one round
 * trip (each query waits for one under the write lock): the terms come as
 * arrays, ?25 the agents', ?26 the activities'.
 */
#define INSERT_STATEMENT_PG                                                                        \
	"WITH s AS (" INSERT_STATEMENT " ON CONFLICT (id) DO NOTHING RETURNING seq), "             \
	"ag AS (INSERT INTO statement_agent(term, seq) SELECT unnest(?25::bigint[]), seq "         \
	"FROM s ON CONFLICT DO NOTHING), "                                                         \
	"ac AS (INSERT INTO statement_activity(term, seq) SELECT unnest(?26::bigint[]), seq "      \
	"FROM s ON CONFLICT DO NOTHING) SELECT seq FROM s"

/* The terms of values (agents or activities): *out malloc'd, n of them (NULL when none). */
static int terms_of(long long **out, relais_hub *hub, relais_ctx *ctx, char *const *values,
                    size_t n)
{
	size_t i;
	int rc;

	*out = NULL;
	if (n == 0) {
		return 0;
	}
	if ((*out = calloc(n, sizeof(**out))) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		if ((rc = term_of(&(*out)[i], hub, ctx, values[i])) != 0) {
			free(*out);
			*out = NULL;
			return rc;
		}
	}
	return 0;
}

/* Adds n terms to array a. */
static void add_terms(struct relais_hub_sql_array *a, const long long *terms, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		relais_hub_sql_array_int64(a, terms[k]);
	}
}

/* Records terms (agents' or activities') against seq with sql (two bindings), a row each. */
static int index_rows(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql,
                      const long long *terms, size_t n, long long seq)
{
	relais_hub_sql_stmt *q = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (relais_hub_stmt(hub, slot, sql, &q) != 0) {
			return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		}
		relais_hub_sql_bind_int64(q, 1, terms[i]);
		relais_hub_sql_bind_int64(q, 2, seq);
		if (relais_hub_sql_step(q) != RELAIS_HUB_SQL_DONE) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		}
		relais_hub_sql_reset(q);
	}
	return rc;
}

/*
 * The terms of a statement's actor, verb, object and course (0 for none), and
 * of its agents and activities (*agents, *activities: malloc'd, as many as f
 * has, or NULL).
 */
static int statement_terms(long long terms[4], long long **agents, long long **activities,
                           relais_hub *hub, relais_ctx *ctx, const struct relais_xapi_facts *f)
{
	int rc;

	*agents = *activities = NULL;
	if ((rc = term_of(&terms[0], hub, ctx, f->actor ? f->actor : "")) != 0 ||
	    (rc = term_of(&terms[1], hub, ctx, f->verb)) != 0 ||
	    (rc = term_of(&terms[2], hub, ctx, f->object_id)) != 0 ||
	    (rc = term_of(&terms[3], hub, ctx, f->course)) != 0 ||
	    (rc = terms_of(agents, hub, ctx, f->agents, f->n_agents)) != 0 ||
	    (rc = terms_of(activities, hub, ctx, f->activities, f->n_activities)) != 0) {
		free(*agents);
		*agents = NULL;
	}
	return rc;
}

/*
 * Inserts the statement's row, with what queries and reports need, and its
 * agents' and activities' rows (statement_agent, statement_activity); sets
 * *seq, or leaves it 0 when a statement with its id is held already
 * (PostgreSQL; SQLite refuses it).
 */
static int insert_row(long long *seq, relais_hub *hub, relais_ctx *ctx,
                      const struct relais_xapi_facts *f, const char *hash, const char *body,
                      const char *now, long long now_ms, const char *credential)
{
	relais_hub_sql_stmt *q = NULL;
	struct relais_hub_sql_array agent_terms = {0}, activity_terms = {0};
	long long terms[4], *agents = NULL, *activities = NULL;
	const char *actor = f->actor ? f->actor : "";
	int pg = relais_hub_sql_kind(hub->db) == RELAIS_HUB_SQL_PG;
	int rc = 0, step;

	*seq = 0;

	if ((rc = statement_terms(terms, &agents, &activities, hub, ctx, f)) != 0) {
		goto out;
	}
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_INSERT,
	                    pg ? INSERT_STATEMENT_PG : INSERT_STATEMENT, &q) != 0) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	relais_hub_sql_bind_text(q, 1, f->id, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(q, 2, hash, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(q, 3, body, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_text(q, 4, now, -1, RELAIS_HUB_SQL_STATIC);
	relais_hub_sql_bind_int64(q, 5, now_ms);
	bind_text_or_null(q, 6, actor);
	bind_text_or_null(q, 7, f->actor_name);
	bind_text_or_null(q, 8, f->verb);
	bind_text_or_null(q, 9, f->object_id);
	relais_hub_sql_bind_int(q, 10, f->object_kind);
	bind_text_or_null(q, 11, f->registration);
	bind_text_or_null(q, 12, f->voids);
	bind_text_or_null(q, 13, f->organisation);
	bind_text_or_null(q, 14, f->course);
	bind_text_or_null(q, 15, f->unit);
	if (f->scaled >= -1) {
		relais_hub_sql_bind_double(q, 16, f->scaled);
	}
	if (f->success >= 0) {
		relais_hub_sql_bind_int(q, 17, f->success);
	}
	bind_text_or_null(q, 18, f->timestamp);
	/* A StatementRef's target, when held, so filters can follow it. */
	bind_text_or_null(q, 19, f->object_kind == RELAIS_XAPI_STATEMENT_REF ? f->object_id : NULL);
	bind_text_or_null(q, 20, credential);
	bind_term(q, 21, terms[0]);
	bind_term(q, 22, terms[1]);
	bind_term(q, 23, terms[2]);
	bind_term(q, 24, terms[3]);
	add_terms(&agent_terms, agents, f->n_agents);
	add_terms(&activity_terms, activities, f->n_activities);
	if (pg && (relais_hub_sql_bind_array(q, 25, &agent_terms) != 0 ||
	           relais_hub_sql_bind_array(q, 26, &activity_terms) != 0)) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if ((step = relais_hub_sql_step(q)) == RELAIS_HUB_SQL_ROW) {
		*seq = relais_hub_sql_column_int64(q, 0);
	} else if (step == RELAIS_HUB_SQL_DONE && !pg) {
		*seq = relais_hub_sql_last_insert_id(hub->db);
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_reset(q);
	if (rc == 0 && !pg && *seq != 0 &&
	    (rc = index_rows(hub, ctx, RELAIS_HUB_SLOT_AGENT,
	                     "INSERT INTO statement_agent(term, seq) VALUES (?, ?) "
	                     "ON CONFLICT DO NOTHING",
	                     agents, f->n_agents, *seq)) == 0) {
		rc = index_rows(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY,
		                "INSERT INTO statement_activity(term, seq) VALUES (?, ?) "
		                "ON CONFLICT DO NOTHING",
		                activities, f->n_activities, *seq);
	}
out:
	relais_hub_sql_array_free(&agent_terms);
	relais_hub_sql_array_free(&activity_terms);
	free(agents);
	free(activities);
	return rc;
}

/* The most statements, and the most bytes of their text, a batch holds before they are
 * inserted: bounds an import's memory (the arrays sent are about as large again). */
#define BATCH_MAX 250
#define BATCH_BYTES (4 << 20)

/* A statement checked and made ready, waiting in a batch to be inserted (PostgreSQL). */
struct ready {
	struct relais_xapi_facts f;
	char *body;
	char hash[65];
	char now[32];
	long long now_ms;
	long long terms[4], *agents, *activities;
	long long seq; /* once inserted; 0 when its id was held already */
	char where[48];
};

/*
 * On PostgreSQL, where each query is a round trip under the write lock, a
 * transaction's statements are inserted many at a time: the terms the cache
 * lacks in one query; their rows, agents and activities, and what they change
 * in the reports' tables (RELAIS_HUB_PROGRESS_MANY), in another. A voiding
 * statement or a StatementRef, which read rows the batch may hold, go one at a
 * time after it.
 */
struct batch {
	struct ready *r;
	size_t n, bytes;
	int begun; /* the transaction, and so the write lock, is taken */
	const char *credential;
	size_t stored, known; /* of the batches inserted */
	char now[32];         /* once begun, the time stored of its statements (STORED_NEXT) */
	long long now_ms;
};

/*
 * The batch's rows, agents' and activities' rows, as one statement's
 * (INSERT_STATEMENT_PG), and the reports' tables for those stored (fresh: a
 * statement held already, or sent twice in the batch, is counted once, as
 * relais_hub_progress_add would after each insert): one round trip under the
 * write lock, and the statements are not read back.
 */
#define INSERT_MANY_PG                                                                             \
	"WITH i AS (SELECT * FROM unnest(?1::text[], ?2::text[], ?3::text[], ?4::text[], "         \
	"?5::bigint[], ?6::text[], ?7::text[], ?8::text[], ?9::text[], ?10::int[], ?11::text[], "  \
	"?12::text[], ?13::text[], ?14::text[], ?15::float8[], ?16::int[], ?17::text[], "          \
	"?18::bigint[], ?19::bigint[], ?20::bigint[], ?21::bigint[], ?27::int[]) WITH ORDINALITY " \
	"AS t(id, identity_hash, body, stored, stored_ms, actor, actor_name, verb, object_id, "    \
	"object_kind, registration, organisation, course, unit, scaled, success, timestamp, "      \
	"actor_term, verb_term, object_term, course_term, kind, n)), "                             \
	"s AS (INSERT INTO statement(id, identity_hash, body, stored, stored_ms, actor, "          \
	"actor_name, verb, object_id, object_kind, registration, organisation, course, unit, "     \
	"scaled, success, timestamp, credential, actor_term, verb_term, object_term, "             \
	"course_term) "                                                                            \
	"SELECT id, identity_hash, body, stored, stored_ms, actor, actor_name, verb, object_id, "  \
	"object_kind, registration, organisation, course, unit, scaled, success, timestamp, ?22, " \
	"actor_term, verb_term, object_term, course_term FROM i ORDER BY n "                       \
	"ON CONFLICT (id) DO NOTHING RETURNING id, seq), "                                         \
	"ag AS (INSERT INTO statement_agent(term, seq) SELECT t.term, s.seq FROM "                 \
	"unnest(?23::bigint[], ?24::bigint[]) AS t(n, term) JOIN i USING (n) JOIN s USING (id) "   \
	"ON CONFLICT DO NOTHING), "                                                                \
	"ac AS (INSERT INTO statement_activity(term, seq) SELECT t.term, s.seq FROM "              \
	"unnest(?25::bigint[], ?26::bigint[]) AS t(n, term) JOIN i USING (n) JOIN s USING (id) "   \
	"ON CONFLICT DO NOTHING), "                                                                \
	"fresh AS (SELECT DISTINCT ON (s.seq) s.seq, i.kind, i.actor_term, i.verb_term, "          \
	"i.object_term, i.course_term, i.course, i.actor, i.actor_name, i.organisation, i.unit, "  \
	"i.object_id, i.success, i.scaled, i.timestamp COLLATE \"C\" AS timestamp, "               \
	"i.stored COLLATE \"C\" AS stored, ?22::text AS credential FROM i JOIN s USING (id) "      \
	"ORDER BY s.seq, i.n), " RELAIS_HUB_PROGRESS_MANY("fresh") " SELECT id, seq FROM s"

/* The 27 arrays INSERT_MANY_PG binds, in its order (the 22nd, the credential, is not one). */
enum { MANY_COLUMNS = 27 };

static void ready_clear(struct ready *r)
{
	relais_xapi_facts_clear(&r->f);
	free(r->body);
	free(r->agents);
	free(r->activities);
	memset(r, 0, sizeof(*r));
}

static void batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		ready_clear(&b->r[i]);
	}
	b->n = b->bytes = 0;
}

/* Fills the arrays of INSERT_MANY_PG (a[k] for parameter k + 1) from b's statements. */
static void batch_arrays(struct relais_hub_sql_array a[MANY_COLUMNS], const struct batch *b)
{
	size_t i, k;

	for (i = 0; i < b->n; i++) {
		const struct ready *r = &b->r[i];
		const struct relais_xapi_facts *f = &r->f;
		const char *text[] = {f->id,
		                      r->hash,
		                      r->body,
		                      r->now,
		                      NULL,
		                      f->actor,
		                      f->actor_name,
		                      f->verb,
		                      f->object_id,
		                      NULL,
		                      f->registration,
		                      f->organisation,
		                      f->course,
		                      f->unit,
		                      NULL,
		                      NULL,
		                      f->timestamp};

		for (k = 0; k < sizeof(text) / sizeof(*text); k++) {
			if (k == 4 || k == 9 || k == 14 || k == 15) {
				continue;
			}
			relais_hub_sql_array_text(&a[k], k == 5 && text[k] == NULL ? "" : text[k]);
		}
		relais_hub_sql_array_int64(&a[4], r->now_ms);
		relais_hub_sql_array_int64(&a[26], relais_hub_progress_kind(f));
		relais_hub_sql_array_int64(&a[9], f->object_kind);
		relais_hub_sql_array_double(&a[14], f->scaled, -1);
		relais_hub_sql_array_double(&a[15], f->success, 0);
		for (k = 0; k < 4; k++) {
			if (r->terms[k] != 0) {
				relais_hub_sql_array_int64(&a[17 + k], r->terms[k]);
			} else {
				relais_hub_sql_array_text(&a[17 + k], NULL);
			}
		}
		for (k = 0; k < f->n_agents; k++) {
			relais_hub_sql_array_int64(&a[22], (long long)i + 1);
			relais_hub_sql_array_int64(&a[23], r->agents[k]);
		}
		for (k = 0; k < f->n_activities; k++) {
			relais_hub_sql_array_int64(&a[24], (long long)i + 1);
			relais_hub_sql_array_int64(&a[25], r->activities[k]);
		}
	}
}

/* INSERT_MANY_PG, with the reports' tables, is longer than the 4,095 bytes C99 promises in one
 * string; GCC and clang, which build relais (MinGW's too), take it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"

/* Inserts b's statements (batch_flush): sets each one's seq, or leaves it 0 when held. */
static int batch_insert(struct batch *b, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_hub_sql_array a[MANY_COLUMNS];
	relais_hub_sql_stmt *q = NULL;
	size_t k, next = 0;
	int rc = 0, step = 0;

	memset(a, 0, sizeof(a));
	batch_arrays(a, b);
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_INSERT_MANY, INSERT_MANY_PG, &q) != 0) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		goto out;
	}
	for (k = 0; k < MANY_COLUMNS && rc == 0; k++) {
		rc = k == 21 ? relais_hub_sql_bind_text(q, 22, b->credential, -1,
		                                        RELAIS_HUB_SQL_STATIC)
		             : relais_hub_sql_bind_array(q, (int)k + 1, &a[k]);
	}
	if (rc != 0) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	/* The rows come back in the batch's order, those held already left out. */
	while (rc == 0 && (step = relais_hub_sql_step(q)) == RELAIS_HUB_SQL_ROW) {
		const char *id = (const char *)relais_hub_sql_column_text(q, 0);
		while (next < b->n && (id == NULL || strcmp(b->r[next].f.id, id) != 0)) {
			next++;
		}
		if (next == b->n) {
			rc = relais_fail(ctx, RELAIS_EIO, "statements: %s came back unasked",
			                 id ? id : "(null)");
			break;
		}
		b->r[next++].seq = relais_hub_sql_column_int64(q, 1);
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_reset(q);
out:
	for (k = 0; k < MANY_COLUMNS; k++) {
		relais_hub_sql_array_free(&a[k]);
	}
	return rc;
}
#pragma GCC diagnostic pop

/*
 * The time stored (and timestamp, when the statement has none) written into
 * a batched statement's text until the batch goes in: as long as the real
 * one, which then takes its place. Times are set under the write lock, so
 * that statements are stored in the order of their times stored, whatever
 * the order in which the nodes' requests were prepared outside it (a
 * client reading with since= misses none).
 */
#define STORED_LATER "0000-00-00T00:00:00.000Z"

/*
 * The time stored of a write transaction's statements, read once it is the
 * one writer: the clock's, but always after the last time stored. On
 * PostgreSQL the clock is the database's, not the node's: nodes on machines
 * whose clocks differ, and a clock set back, still give each transaction's
 * statements times after those committed before them, so that a reader
 * asking for what came since the last time stored it saw misses none.
 */
#define STORED_NEXT_PG                                                                             \
	"SELECT greatest(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint, "            \
	"coalesce(max(stored_ms), 0) + 1) FROM statement"
#define STORED_NEXT_SQLITE                                                                         \
	"SELECT max(CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER), "           \
	"coalesce(max(stored_ms), 0) + 1) FROM statement"

/*
 * Begins b's transaction, taking the write lock and its time stored, unless
 * it is taken: on PostgreSQL a request's statements are checked and made
 * ready outside the lock, which is taken only for what the database does.
 */
static int batch_begin(struct batch *b, relais_hub *hub, relais_ctx *ctx)
{
	int pg = relais_hub_sql_kind(hub->db) == RELAIS_HUB_SQL_PG;

	if (b->begun) {
		return 0;
	}
	if (relais_hub_sql_begin_value(hub->db, pg ? STORED_NEXT_PG : STORED_NEXT_SQLITE,
	                               &b->now_ms) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_time_format(b->now, b->now_ms);
	b->begun = 1;
	return 0;
}

/* Replaces the last occurrence of "member":"STORED_LATER" in body by now (as long). */
static void stamp(char *body, const char *member, const char *now)
{
	char key[48];
	char *p, *last = NULL;
	size_t n = (size_t)snprintf(key, sizeof(key), "\"%s\":\"" STORED_LATER, member);

	for (p = strstr(body, key); p != NULL; p = strstr(p + 1, key)) {
		last = p;
	}
	if (last != NULL) {
		memcpy(last + n - strlen(STORED_LATER), now, strlen(STORED_LATER));
	}
}

/* Gives b's statements their transaction's time stored, under the lock (STORED_LATER). */
static void batch_stamp(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct ready *r = &b->r[i];
		memcpy(r->now, b->now, sizeof(r->now));
		r->now_ms = b->now_ms;
		stamp(r->body, "stored", b->now);
		if (r->f.timestamp == NULL) { /* else a member of its own may hold the same text */
			stamp(r->body, "timestamp", b->now);
		}
	}
}

/* The texts a batch names that the terms cache does not hold: looked up, or made, at once. */
#define TERMS_MANY_PG                                                                              \
	"WITH t AS (SELECT DISTINCT unnest(?1::text[]) COLLATE \"C\" AS text), "                   \
	"made AS (INSERT INTO term(text) SELECT text FROM t WHERE NOT EXISTS (SELECT 1 FROM term " \
	"WHERE term.text = t.text) ON CONFLICT (text) DO NOTHING RETURNING id, text) "             \
	"SELECT id, text FROM made UNION ALL SELECT term.id, term.text FROM term JOIN t USING "    \
	"(text)"

/* Adds text to a unless the terms cache holds it; counts it in *n. */
static void add_missing(struct relais_hub_sql_array *a, size_t *n, relais_hub *hub,
                        const char *text)
{
	if (text != NULL && (hub->terms == NULL || term_slot(hub, text)->id == 0)) {
		relais_hub_sql_array_text(a, text);
		(*n)++;
	}
}

/*
 * The terms of b's statements (statement_terms), those the cache lacks
 * fetched in one query first: a hub of many learners has more than the
 * cache keeps, and each look-up would be a round trip under the write lock.
 */
static int batch_terms(struct batch *b, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_hub_sql_array missing = {0};
	relais_hub_sql_stmt *q = NULL;
	size_t i, k, n = 0;
	int rc = 0, step = RELAIS_HUB_SQL_DONE;

	for (i = 0; i < b->n; i++) {
		const struct relais_xapi_facts *f = &b->r[i].f;
		add_missing(&missing, &n, hub, f->actor ? f->actor : "");
		add_missing(&missing, &n, hub, f->verb);
		add_missing(&missing, &n, hub, f->object_id);
		add_missing(&missing, &n, hub, f->course);
		for (k = 0; k < f->n_agents; k++) {
			add_missing(&missing, &n, hub, f->agents[k]);
		}
		for (k = 0; k < f->n_activities; k++) {
			add_missing(&missing, &n, hub, f->activities[k]);
		}
	}
	if (n > 0 && hub->terms == NULL) {
		hub->terms = calloc(2 * RELAIS_HUB_TERMS_MAX, sizeof(*hub->terms));
	}
	if (n > 0 && hub->terms != NULL) {
		if (hub->n_terms + n > RELAIS_HUB_TERMS_MAX) {
			relais_hub_terms_clear(hub); /* room for them all, as term_of does */
		}
		if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_TERMS_MANY, TERMS_MANY_PG, &q) != 0) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		} else if (relais_hub_sql_bind_array(q, 1, &missing) != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		while (rc == 0 && (step = relais_hub_sql_step(q)) == RELAIS_HUB_SQL_ROW) {
			const char *text = (const char *)relais_hub_sql_column_text(q, 1);
			struct relais_hub_term *t = text ? term_slot(hub, text) : NULL;
			if (t != NULL && t->id == 0) {
				term_keep(hub, t, text, relais_hub_sql_column_int64(q, 0));
			}
		}
		if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		}
		relais_hub_sql_reset(q);
	}
	relais_hub_sql_array_free(&missing);
	/* Each from the cache now; one it could not keep (memory) is looked up alone. */
	for (i = 0; i < b->n && rc == 0; i++) {
		struct ready *r = &b->r[i];
		rc = statement_terms(r->terms, &r->agents, &r->activities, hub, ctx, &r->f);
	}
	return rc;
}

/*
 * Inserts the statements waiting in b, as store_one would have one at a
 * time: a statement whose id is held already is known (or, with other
 * content, refused naming it), the others stored, and the reports' tables
 * follow. Empties b.
 */
static int batch_flush(struct batch *b, relais_hub *hub, relais_ctx *ctx)
{
	size_t i;
	int rc, known;

	if (b->n == 0) {
		return 0;
	}
	if ((rc = batch_begin(b, hub, ctx)) != 0) {
		goto out;
	}
	batch_stamp(b);
	if ((rc = batch_terms(b, hub, ctx)) != 0 || (rc = batch_insert(b, hub, ctx)) != 0) {
		goto out;
	}
	for (i = 0; i < b->n && rc == 0; i++) {
		struct ready *r = &b->r[i];
		if (r->seq != 0) {
			b->stored++;
		} else if ((rc = check_known(&known, hub, ctx, r->where, r->f.id, r->hash)) == 0) {
			b->known += (size_t)known;
		}
	}
out:
	batch_clear(b);
	return rc;
}

/*
 * Puts the statement of facts f (taken: f is left empty), its text body
 * (taken: its times are STORED_LATER) and identity hash in b, to be inserted by batch_flush (at
 * once when b is full: BATCH_MAX statements or BATCH_BYTES of text).
 */
static int batch_add(struct batch *b, relais_hub *hub, relais_ctx *ctx, struct relais_xapi_facts *f,
                     char *body, const char *hash, const char *where)
{
	struct ready *r = &b->r[b->n];

	memset(r, 0, sizeof(*r));
	r->f = *f;
	memset(f, 0, sizeof(*f));
	r->body = body;
	memcpy(r->hash, hash, sizeof(r->hash));
	(void)snprintf(r->where, sizeof(r->where), "%s", where);
	b->n++;
	b->bytes += strlen(body);
	return b->n == BATCH_MAX || b->bytes >= BATCH_BYTES ? batch_flush(b, hub, ctx) : 0;
}

/*
 * Whether who may void target (xAPI 1.0.3, 2.3.2: an LRS may refuse):
 * void-all voids anything, void-mine what who stored; a statement not held
 * yet is no one's. Returns 0, RELAIS_EINVAL (refused, message set) or a
 * failure.
 */
static int may_void(relais_hub *hub, relais_ctx *ctx, const char *where, const char *target,
                    const struct relais_hub_credential *who)
{
	relais_hub_sql_stmt *q = NULL;
	int rc = 0, step;

	if (who->scopes & RELAIS_HUB_SCOPE_VOID_ALL) {
		return 0;
	}
	if (!(who->scopes & RELAIS_HUB_SCOPE_VOID_MINE)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "%s: these credentials may not void statements", where);
	}
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_VOID_OWNER,
	                    "SELECT credential FROM statement WHERE id = lower(?)", &q) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_bind_text(q, 1, target, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(q);
	if (step == RELAIS_HUB_SQL_ROW) {
		const char *owner = (const char *)relais_hub_sql_column_text(q, 0);
		if (owner == NULL || strcmp(owner, who->key) != 0) {
			rc = relais_fail(
			        ctx, RELAIS_EINVAL,
			        "%s: statement %s was stored by other credentials; voiding it "
			        "needs the void-all scope",
			        where, target);
		}
	} else if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	}
	relais_hub_sql_reset(q);
	return rc;
}

/* A voiding statement voids its target, unless that is itself a voiding statement. */
static int void_target(relais_hub *hub, relais_ctx *ctx, const char *target)
{
	return relais_hub_write(
	        hub, ctx, RELAIS_HUB_SLOT_VOID,
	        "UPDATE statement SET voided = 1 WHERE id = lower(?) AND voids IS NULL",
	        "statements", &target, 1);
}

/*
 * Stores one statement inside the request's transaction b (on SQLite, begun;
 * its time stored is b->now), or, on PostgreSQL (b->r), puts it in b's batch
 * to be stored with others: *known is then -1, and the batch counts it once
 * inserted. Sets *known when the same statement was
 * already there. Returns 0; RELAIS_EFORMAT (invalid,
 * message set); RELAIS_EEXIST (same id, other content); RELAIS_EINVAL
 * (beyond who's scopes); other statuses.
 */
static int store_one(relais_hub *hub, relais_ctx *ctx, cJSON *st, const char *where,
                     const char *forced_id, const struct relais_hub_credential *who,
                     const char *authority, char id_out[37], int *known, struct batch *b)
{
	struct relais_xapi_facts f;
	char *body = NULL, now[32], hash[65];
	long long seq = 0;
	long long now_ms;
	int rc, batched;

	*known = 0;
	rc = relais_xapi_check_version(&f, ctx, st, where,
	                               who->xapi_version ? who->xapi_version : RELAIS_XAPI_1_0);
	if (rc != 0 || (rc = relais_hub_attachments_check(hub, ctx, st, where)) != 0) {
		goto out;
	}
	if ((rc = assign_id(&f, st, ctx, where, forced_id)) != 0) {
		goto out;
	}
	memcpy(id_out, f.id, 37);
	if ((rc = relais_hub_identity_hash(hash, hub, ctx, st)) != 0) {
		goto out;
	}
	/* A voiding statement and a StatementRef read rows a batch may hold: it goes first. */
	batched = b->r != NULL && f.voids == NULL && f.object_kind != RELAIS_XAPI_STATEMENT_REF;
	if (b->r != NULL && !batched &&
	    ((rc = batch_flush(b, hub, ctx)) != 0 || (rc = batch_begin(b, hub, ctx)) != 0)) {
		goto out;
	}
	/* On PostgreSQL, where each query is a round trip under the write lock, a statement is
	 * looked for only when its insert finds its id taken, but for a voiding statement (a held
	 * one is not refused for its scopes); on SQLite (no round trips to save) first, as ever. */
	if ((f.voids != NULL || relais_hub_sql_kind(hub->db) != RELAIS_HUB_SQL_PG) &&
	    ((rc = check_known(known, hub, ctx, where, f.id, hash)) != 0 || *known)) {
		goto out;
	}
	if (f.voids != NULL && (rc = may_void(hub, ctx, where, f.voids, who)) != 0) {
		goto out;
	}
	/* A batched statement's time stored is set when the batch goes in, under the lock; the
	 * others' is their transaction's, begun by now. */
	memcpy(now, b->now, sizeof(now));
	now_ms = batched ? 0 : b->now_ms;
	if ((rc = stored_text(&body, ctx, st, authority, batched ? STORED_LATER : now,
	                      who->xapi_version)) != 0) {
		goto out;
	}
	if (batched) {
		rc = batch_add(b, hub, ctx, &f, body, hash, where);
		body = NULL;
		*known = -1;
		goto out;
	}
	if ((rc = insert_row(&seq, hub, ctx, &f, hash, body, now, now_ms, who->key)) != 0) {
		goto out;
	}
	if (seq == 0) {
		rc = check_known(known, hub, ctx, where, f.id, hash);
		goto out;
	}
	if (f.course != NULL && (rc = relais_hub_progress_add(hub, ctx, seq, &f)) != 0) {
		goto out;
	}
	if (f.voids != NULL && (rc = void_target(hub, ctx, f.voids)) == 0) {
		rc = relais_hub_progress_void(hub, ctx, f.voids);
	}
out:
	free(body);
	relais_xapi_facts_clear(&f);
	return rc;
}

/* The authority of what who stores (*out, malloc'd): an Agent naming the credential. */
static int authority_of(char **out, relais_ctx *ctx, const struct relais_hub_credential *who)
{
	cJSON *a = cJSON_CreateObject(), *account;

	*out = NULL;
	if (a != NULL) {
		cJSON_AddStringToObject(a, "objectType", "Agent");
		cJSON_AddStringToObject(a, "name", who->name);
		account = cJSON_AddObjectToObject(a, "account");
		cJSON_AddStringToObject(account, "homePage", RELAIS_XAPI_HUB_HOMEPAGE);
		cJSON_AddStringToObject(account, "name", who->key);
		*out = cJSON_PrintUnformatted(a);
		cJSON_Delete(a);
	}
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

/*
 * Stores what next gives (see relais_hub_store_each) in one transaction,
 * all or none; names them "statements[i]" when numbered, else "statement".
 * Adds each id to ids when not NULL. Returns as relais_hub_store_all, or
 * next's status (nothing stored).
 */
static int store_each(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                      relais_hub_next_fn next, void *data, int numbered, const char *forced_id,
                      const struct relais_hub_credential *who, cJSON *ids, size_t *stored,
                      size_t *known)
{
	struct batch batch = {NULL, 0, 0, 0, who->key, 0, 0, "", 0}, *b = &batch;
	cJSON *item = NULL;
	char where[48], id[37], *authority = NULL;
	size_t i;
	int rc = 0, from_next = 0, was_known, in_tx;

	if (!(who->scopes & RELAIS_HUB_SCOPE_WRITE)) {
		relais_fail(ctx, RELAIS_EINVAL, "these credentials may not store statements");
		return relais_hub_reply_error(reply, 403, relais_errmsg(ctx));
	}
	if ((rc = authority_of(&authority, ctx, who)) != 0) {
		return rc;
	}
	if (relais_hub_sql_kind(hub->db) == RELAIS_HUB_SQL_PG) {
		if ((batch.r = calloc(BATCH_MAX, sizeof(*batch.r))) == NULL) {
			free(authority);
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	/* SQLite stores one statement after another, in one transaction begun now. */
	if (batch.r == NULL && (rc = batch_begin(b, hub, ctx)) != 0) {
		free(authority);
		return rc;
	}
	for (i = 0;; i++) {
		if ((rc = next(&item, ctx, data)) != 0) {
			from_next = 1;
			break;
		}
		if (item == NULL) {
			break;
		}
		(void)snprintf(where, sizeof(where), numbered ? "statements[%zu]" : "statement", i);
		rc = store_one(hub, ctx, item, where, forced_id, who, authority, id, &was_known, b);
		if (rc != 0) {
			break;
		}
		if (was_known >= 0) { /* else in the batch, counted when inserted */
			*stored += !was_known;
			*known += was_known;
		}
		if (ids != NULL && !cJSON_AddItemToArray(ids, cJSON_CreateString(id))) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
	}
	free(authority);
	if (batch.r != NULL && !from_next) {
		/* A statement refused after others in the batch: theirs is the error, if any,
		 * that one after another would have met first. */
		int batch_rc = batch_flush(b, hub, ctx);
		rc = batch_rc != 0 ? batch_rc : rc;
		*stored += batch.stored;
		*known += batch.known;
		if (rc == 0) {
			rc = batch_begin(b, hub, ctx); /* nothing stored yet: the rest needs it */
		}
	}
	batch_clear(&batch);
	free(batch.r);
	in_tx = batch.begun; /* else nothing began: nothing to take back */
	if (rc == 0 && !from_next) {
		rc = relais_hub_attachments_keep(hub, ctx, who); /* the multipart data, if any */
	}
	if (!from_next && (rc == RELAIS_EFORMAT || rc == RELAIS_EEXIST || rc == RELAIS_EINVAL ||
	                   rc == RELAIS_ELIMIT)) {
		if (in_tx) {
			relais_hub_sql_rollback(hub->db);
		}
		relais_hub_terms_clear(hub);
		*stored = *known = 0;
		return relais_hub_reply_error(reply,
		                              rc == RELAIS_EFORMAT  ? 400
		                              : rc == RELAIS_EEXIST ? 409
		                              : rc == RELAIS_ELIMIT ? 413
		                                                    : 403,
		                              relais_errmsg(ctx));
	}
	if (rc != 0 || relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK) {
		rc = rc ? rc : relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
		if (in_tx) {
			relais_hub_sql_rollback(hub->db);
		}
		relais_hub_terms_clear(hub);
		*stored = *known = 0;
		return rc;
	}
	reply->status = 200;
	return 0;
}

/*
 * store_each on the hub's one shared writer connection, taken in turn
 * (store.c), when the hub has one: what the xAPI workers and import share.
 */
static int store_locked(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                        relais_hub_next_fn next, void *data, int numbered, const char *forced_id,
                        const struct relais_hub_credential *who, cJSON *ids, size_t *stored,
                        size_t *known)
{
	struct relais_hub_writer *w = hub->shared;
	int rc;

	if (w == NULL) {
		return store_each(reply, hub, ctx, next, data, numbered, forced_id, who, ids,
		                  stored, known);
	}
	pthread_mutex_lock(&w->lock);
	w->conn->parts = hub->parts;
	rc = store_each(reply, w->conn, ctx, next, data, numbered, forced_id, who, ids, stored,
	                known);
	w->conn->parts = NULL;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* The statements of a parsed body, one at a time: an array's elements, or one statement. */
struct parsed {
	cJSON *next;
	int is_array;
};

static int next_parsed(cJSON **st, relais_ctx *ctx, void *data)
{
	struct parsed *p = data;

	(void)ctx;
	*st = p->next;
	p->next = p->next != NULL && p->is_array ? p->next->next : NULL;
	return 0;
}

int relais_hub_store_all(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                         cJSON *items, int is_array, const char *forced_id,
                         const struct relais_hub_credential *who, size_t *stored, size_t *known)
{
	struct parsed p = {is_array ? items->child : items, is_array};
	cJSON *ids = cJSON_CreateArray();
	int rc;

	if (ids == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = store_locked(reply, hub, ctx, next_parsed, &p, is_array, forced_id, who, ids, stored,
	                  known);
	if (rc == 0 && reply->status == 200) {
		reply->body = cJSON_PrintUnformatted(ids);
		if (reply->body == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	cJSON_Delete(ids);
	return rc;
}

int relais_hub_store_each(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                          relais_hub_next_fn next, void *data,
                          const struct relais_hub_credential *who, size_t *stored, size_t *known)
{
	return store_locked(reply, hub, ctx, next, data, 1, NULL, who, NULL, stored, known);
}

/* Refuses a batch that holds the same id twice (xAPI: the whole batch). */
static int duplicate_ids(const cJSON *arr, char *dup, size_t size)
{
	const cJSON *a, *b;

	for (a = arr->child; a; a = a->next) {
		const cJSON *ia = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (!cJSON_IsString(ia)) {
			continue;
		}
		for (b = a->next; b; b = b->next) {
			const cJSON *ib = cJSON_GetObjectItemCaseSensitive(b, "id");
			if (cJSON_IsString(ib) &&
			    strcasecmp(ia->valuestring, ib->valuestring) == 0) {
				(void)snprintf(dup, size, "%s", ia->valuestring);
				return 1;
			}
		}
	}
	return 0;
}

/*
 * Whether JSON text holds a \u0000 escape inside a string: cJSON would cut
 * the string there, and the hub must store text as it was sent or refuse it.
 */
static int has_nul_escape(const char *json, size_t len)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		if (!in_string) {
			in_string = json[i] == '"';
			continue;
		}
		if (json[i] == '"') {
			in_string = 0;
		} else if (json[i] == '\\' && i + 1 < len) {
			if (json[i + 1] == 'u' && i + 5 < len && json[i + 2] == '0' &&
			    json[i + 3] == '0' && json[i + 4] == '0' && json[i + 5] == '0') {
				return 1;
			}
			i++; /* skip the escaped character */
		}
	}
	return 0;
}

int relais_hub_measure(char *msg, size_t size, const char *json, size_t len, size_t max_items,
                       size_t max_values, int item_depth)
{
	size_t i, values = 1, items = 0, item_start = 0;
	int depth = 0, in_string = 0, in_items = 0;

	for (i = 0; i < len; i++) {
		char c = json[i];
		if (in_string) {
			if (c == '\\') {
				i++;
			} else if (c == '"') {
				in_string = 0;
			}
			continue;
		}
		if (c == '"') {
			in_string = 1;
			continue;
		}
		if (in_items && depth == item_depth && (c == ',' || c == ']') && i > item_start) {
			/* The end of one statement. */
			if (i - item_start > RELAIS_HUB_STATEMENT_MAX) {
				(void)snprintf(msg, size, "statements[%zu] is larger than 1 MiB",
				               items);
				return 1;
			}
			if (++items > max_items) {
				(void)snprintf(msg, size, "more than %zu statements in one batch",
				               max_items);
				return 1;
			}
			item_start = i + 1;
		}
		if (c == '{' || c == '[') {
			if (c == '[' && depth == item_depth - 1) {
				in_items = 1;
				item_start = i + 1;
			}
			depth++;
			values++;
		} else if (c == '}' || c == ']') {
			if (c == ']' && depth == item_depth) {
				in_items = 0;
			}
			depth--;
		} else if (c == ':' || c == ',') {
			values++;
		}
		if (values > max_values) {
			(void)snprintf(msg, size, "more than %zu JSON values", max_values);
			return 1;
		}
	}
	if ((in_items && len - item_start > RELAIS_HUB_STATEMENT_MAX) ||
	    (item_depth == 1 && items == 0 && len > RELAIS_HUB_STATEMENT_MAX)) {
		(void)snprintf(msg, size, "%s is larger than 1 MiB",
		               items == 0 && !in_items ? "the statement" : "a statement");
		return 1;
	}
	return 0;
}

int relais_hub_post(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                    const char *json, size_t len, const struct relais_hub_credential *who)
{
	cJSON *doc = NULL;
	size_t stored = 0, known = 0;
	char dup[64], msg[128];
	int rc;

	memset(reply, 0, sizeof(*reply));
	/* Measured before parsing: a parsed value costs far more than its text. */
	if (relais_hub_measure(msg, sizeof(msg), json, len, RELAIS_HUB_BATCH_MAX,
	                       RELAIS_HUB_VALUES_MAX, 1)) {
		return relais_hub_reply_error(reply, 413, msg);
	}
	doc = cJSON_ParseWithLength(json, len);
	if (doc == NULL) {
		return relais_hub_reply_error(reply, 400, "the body is not JSON");
	}
	if (has_nul_escape(json, len)) {
		cJSON_Delete(doc);
		return relais_hub_reply_error(reply, 400,
		                              "strings must not contain the NUL character");
	}
	if (cJSON_IsArray(doc)) {
		if (cJSON_GetArraySize(doc) == 0) {
			rc = relais_hub_reply_error(reply, 400, "the batch is empty");
		} else if (cJSON_GetArraySize(doc) > RELAIS_HUB_BATCH_MAX) {
			(void)snprintf(msg, sizeof(msg), "more than %d statements in one batch",
			               RELAIS_HUB_BATCH_MAX);
			rc = relais_hub_reply_error(reply, 413, msg);
		} else if (duplicate_ids(doc, dup, sizeof(dup))) {
			(void)snprintf(msg, sizeof(msg),
			               "statement id %s appears twice in the batch", dup);
			rc = relais_hub_reply_error(reply, 400, msg);
		} else {
			rc = relais_hub_store_all(reply, hub, ctx, doc, 1, NULL, who, &stored,
			                          &known);
		}
	} else if (cJSON_IsObject(doc)) {
		rc = relais_hub_store_all(reply, hub, ctx, doc, 0, NULL, who, &stored, &known);
	} else {
		rc = relais_hub_reply_error(reply, 400,
		                            "the body must be a statement or an array of them");
	}
	cJSON_Delete(doc);
	return rc;
}

int relais_hub_put(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                   const char *statement_id, const char *json, size_t len,
                   const struct relais_hub_credential *who)
{
	cJSON *doc;
	size_t stored = 0, known = 0;
	char msg[128];
	int rc;

	memset(reply, 0, sizeof(*reply));
	if (statement_id == NULL || !relais_xapi_uuid_ok(statement_id)) {
		return relais_hub_reply_error(reply, 400, "statementId must be a UUID");
	}
	if (relais_hub_measure(msg, sizeof(msg), json, len, RELAIS_HUB_BATCH_MAX,
	                       RELAIS_HUB_VALUES_MAX, 1)) {
		return relais_hub_reply_error(reply, 413, msg);
	}
	doc = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return relais_hub_reply_error(reply, 400, "the body must be one statement");
	}
	if (has_nul_escape(json, len)) {
		cJSON_Delete(doc);
		return relais_hub_reply_error(reply, 400,
		                              "strings must not contain the NUL character");
	}
	rc = relais_hub_store_all(reply, hub, ctx, doc, 0, statement_id, who, &stored, &known);
	if (rc == 0 && reply->status == 200) {
		reply->status = 204;
		free(reply->body);
		reply->body = NULL;
	}
	cJSON_Delete(doc);
	return rc;
}
