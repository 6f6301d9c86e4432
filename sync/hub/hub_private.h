/* hub_private.h: what the hub's files share (private): the handle, the statement cache, replies. */
#ifndef RELAIS_HUB_PRIVATE_H
#define RELAIS_HUB_PRIVATE_H

#include <pthread.h>
#include <stdint.h>
#include <sodium.h>
#include "sql.h"

#include "relais/db.h"
#include "relais/embed.h"
#include "relais/hash.h"
#include "relais/strbuf.h"
#include "relais/util.h"
#include "relais/hub.h"
#include "relais/xapi.h"

/* enum hub_lang, enum hub_msg: generated from po/hub by engine/po2c.py. */
#include "hub_words.h"

struct cJSON;

#define HUB_CACHED 48

/*
 * The one connection a server's threads store statements through, in
 * turn: its page cache stays warm from one batch to the next (another
 * connection's commit would empty it), and writers queue on the lock
 * instead of in SQLite's busy sleeps.
 */
struct relais_hub_writer {
	pthread_mutex_t lock;
	struct relais_hub *conn;
};

/*
 * Terms (store.c, migration 11) this connection has read or made, by text:
 * a term never changes once committed, so only a rollback empties it.
 * Open addressing, at most RELAIS_HUB_TERMS_MAX, emptied when full.
 */
#define RELAIS_HUB_TERMS_MAX 4096
struct relais_hub_term {
	uint64_t hash;
	long long id; /* 0: free slot */
	char *text;
};

struct relais_hub {
	relais_hub_sql *db;
	relais_hub_sql_stmt *cache[HUB_CACHED];  /* statements prepared once, by slot */
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown coordinators */
	struct relais_hub_writer *writer;        /* made by open_another, freed by close */
	struct relais_hub_writer *shared;        /* borrowed from the hub opened first */
	struct relais_strbuf scratch;            /* text made and dropped per statement */
	struct relais_hub_parts *parts;          /* attachment data of the request being stored */
	struct relais_hub_term *terms;           /* RELAIS_HUB_TERMS_MAX * 2 slots, or NULL */
	char *url;                               /* PostgreSQL's, to open more connections */
	char *files; /* published bundles and deltas (relais_hub_files_set), or NULL: "<db>.d" */
	size_t n_terms;
};

/*
 * The name of the VFS the hub opens its database with (walbuf.c: the
 * default one, WAL writes gathered), registered at the first call; NULL
 * (SQLite's default) when it could not be.
 */
const char *relais_hub_vfs(void);

/* Forgets the terms hub remembers (after a rollback, which may take new ones back). */
void relais_hub_terms_clear(relais_hub *hub);

/* The slots of the statement cache, one per SQL text, for all the hub's files. */
enum relais_hub_slot {
	RELAIS_HUB_SLOT_IDENTITY = 1,
	RELAIS_HUB_SLOT_INSERT,
	RELAIS_HUB_SLOT_AGENT,
	RELAIS_HUB_SLOT_ACTIVITY,
	RELAIS_HUB_SLOT_VOID,
	RELAIS_HUB_SLOT_CREDENTIAL_ADD,
	RELAIS_HUB_SLOT_COORDINATOR_ADD,
	RELAIS_HUB_SLOT_VOID_OWNER,
	RELAIS_HUB_SLOT_DOC_READ,
	RELAIS_HUB_SLOT_DOC_WRITE,
	RELAIS_HUB_SLOT_DOC_LIST,
	RELAIS_HUB_SLOT_DOC_QUOTA,
	RELAIS_HUB_SLOT_TERM_FIND,
	RELAIS_HUB_SLOT_TERM_ADD,
	RELAIS_HUB_SLOT_PROGRESS_ADD,
	RELAIS_HUB_SLOT_PROGRESS_DROP,
	RELAIS_HUB_SLOT_PROGRESS_REDO,
	RELAIS_HUB_SLOT_COORDINATOR_REMOVE,
	RELAIS_HUB_SLOT_ORGANISATION_SET,
	RELAIS_HUB_SLOT_ACTIVITY_ADD,
	RELAIS_HUB_SLOT_ACTIVITY_DROP,
	RELAIS_HUB_SLOT_ACTIVITY_REDO,
	RELAIS_HUB_SLOT_UNSCORED_ADD,
	RELAIS_HUB_SLOT_INSERT_MANY,
	RELAIS_HUB_SLOT_TERMS_MANY,
};

/*
 * SQL for the term (store.c, migration 11) of the text bound at parameter p
 * ("?1"): agents, verbs, activities and courses are indexed by their term,
 * a small integer; NULL when no statement names the text.
 */
#define RELAIS_HUB_TERM(p) "(SELECT id FROM term WHERE text = " p ")"

/*
 * The prepared statement kept in slot (1 to HUB_CACHED - 1) for sql, reset
 * and with no bindings; prepared on first use. Returns 0 or -1.
 */
int relais_hub_stmt(relais_hub *hub, int slot, const char *sql, relais_hub_sql_stmt **out);

/*
 * Runs sql (cached in slot), which changes rows and returns none, with texts
 * bound to ?1 to ?n (NULL binds NULL). Returns 0 or RELAIS_EIO, the message
 * naming what.
 */
int relais_hub_write(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql, const char *what,
                     const char *const *texts, size_t n);

/*
 * Refuses a request: reply gets status and the body {"error": message}.
 * Returns 0, or RELAIS_ENOMEM when the body could not be made.
 */
int relais_hub_reply_error(struct relais_hub_reply *r, unsigned status, const char *message);

/*
 * Stores items (a JSON array when is_array, else one statement) in one
 * transaction, all or none, under the xAPI id rules; forced_id is a PUT's
 * statementId (or NULL). Adds to *stored (new) and *known (already held).
 * who stores them (its scopes are checked: 403 when beyond them).
 * Returns 0 with reply->status 200 and the ids as body, or 400, 403 or 409
 * and the problem (also left on ctx); or a negative status on local failure.
 */
int relais_hub_store_all(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                         struct cJSON *items, int is_array, const char *forced_id,
                         const struct relais_hub_credential *who, size_t *stored, size_t *known);

/*
 * Gives relais_hub_store_each its statements one at a time: sets *st to the
 * next (borrowed until the next call) or to NULL after the last. Returns 0,
 * or a status with its message on ctx (the whole batch is then refused).
 */
typedef int (*relais_hub_next_fn)(struct cJSON **st, relais_ctx *ctx, void *data);

/*
 * relais_hub_store_all for statements too many to hold at once (import):
 * stores what next gives, named "statements[i]", in one transaction, all or
 * none, keeping no ids (reply->body stays NULL). Returns as
 * relais_hub_store_all, or next's status (nothing stored).
 */
int relais_hub_store_each(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                          relais_hub_next_fn next, void *data,
                          const struct relais_hub_credential *who, size_t *stored, size_t *known);

/* A change to the store that the catalogue reflects (cohorts.c). Returns 0 or a status. */
typedef int (*relais_hub_change_fn)(relais_hub *hub, relais_ctx *ctx, void *data);

/*
 * Runs change and signs the next catalogue (*serial; 0 without a catalogue
 * key) in one transaction: on any failure nothing is written.
 */
int relais_hub_catalogue_change(uint64_t *serial, relais_hub *hub, relais_ctx *ctx,
                                relais_hub_change_fn change, void *data);

/* Adds the hub's cohorts to a catalogue being made (none: it stays without). */
struct relais_catalogue;
int relais_hub_cohorts_load(struct relais_catalogue *cat, relais_hub *hub, relais_ctx *ctx);

/*
 * The credential laptop key key_id is registered to (*who) and the key
 * (*pub, the caller frees). Returns 0; RELAIS_ENOTFOUND (unknown key);
 * RELAIS_EINVAL (its credential is revoked); or another status.
 */
struct relais_pubkey;
int relais_hub_laptop_key_find(struct relais_hub_credential *who, struct relais_pubkey **pub,
                               relais_hub *hub, relais_ctx *ctx, const char *key_id);

/*
 * Copies src into dst atomically (mode 0644), hashing the bytes written
 * (catalogue.c). With want (not NULL), refuses (RELAIS_EHASH, nothing
 * written) bytes that do not hash to it.
 */
int relais_hub_file_copy(char sha[RELAIS_SHA256_HEX], uint64_t *size, relais_ctx *ctx,
                         const char *src, const char *dst, const char *want);

/*
 * Opens another connection to hub's database (already migrated), for a
 * thread of its own; it stores statements through a writer connection
 * that all of hub's others share (made on the first call, closed with
 * hub: hub must outlive them, and calls to this function must not run at
 * once). Returns 0, RELAIS_EINVAL (an in-memory hub), RELAIS_EIO.
 */
int relais_hub_open_another(relais_hub **out, relais_ctx *ctx, relais_hub *hub);

/*
 * Opens a connection that only reads, to the PostgreSQL database at url (a
 * streaming replica of hub's, for the reports: docs/hub.md), after checking
 * that it holds a hub at this program's schema version. hub must be on
 * PostgreSQL too. Returns 0, RELAIS_EINVAL, RELAIS_EBUSY (unreachable),
 * RELAIS_EFORMAT (another schema), RELAIS_EIO, RELAIS_ENOMEM.
 */
int relais_hub_open_reader(relais_hub **out, relais_ctx *ctx, relais_hub *hub, const char *url);

/*
 * Coordinator sign-in lockout (login.c). relais_hub_login_locked sets
 * *wait (seconds) when email or address has failed too often lately;
 * relais_hub_login_failed counts a failure against both and
 * relais_hub_login_succeeded forgets them. Each returns 0 or RELAIS_EIO.
 */
int relais_hub_login_locked(long *wait, relais_hub *hub, relais_ctx *ctx, const char *email,
                            const char *address);
int relais_hub_login_failed(relais_hub *hub, relais_ctx *ctx, const char *email,
                            const char *address);
int relais_hub_login_succeeded(relais_hub *hub, relais_ctx *ctx, const char *email,
                               const char *address);

/*
 * Coordinator sign-in sessions (login.c), kept in the database so that
 * every node serving it knows them; a session is stored as the SHA-256 of
 * its token, never the token. relais_hub_session_start makes a random
 * token (hex) for email that lasts seconds, and deletes sessions past
 * their end. relais_hub_session_find copies the email of token's session
 * into email and, with end, ends it (on every node). Each returns 0;
 * RELAIS_ENOTFOUND (find: no such session, or it has expired: then it is
 * deleted); RELAIS_EIO.
 */
#define RELAIS_HUB_SESSION_HEX 33 /* a token: 32 hex digits and a NUL */
#define RELAIS_HUB_EMAIL_MAX 201  /* a coordinator's email and its NUL */
int relais_hub_session_start(char token[RELAIS_HUB_SESSION_HEX], relais_hub *hub, relais_ctx *ctx,
                             const char *email, long seconds);
int relais_hub_session_find(char email[RELAIS_HUB_EMAIL_MAX], relais_hub *hub, relais_ctx *ctx,
                            const char *token, int end);

/*
 * Measures JSON text before it is parsed, so that parsing costs a bounded
 * amount of memory. Statements are the elements of an array item_depth
 * deep (1: a POST body's array; a POST of one object at depth 1 is one
 * statement; 2: a records file's "statements"). Returns 1 with msg set
 * when it holds more than max_items statements, a statement over
 * RELAIS_HUB_STATEMENT_MAX bytes or more than max_values values and
 * names; 0 otherwise (the text may still not be JSON).
 */
int relais_hub_measure(char *msg, size_t size, const char *json, size_t len, size_t max_items,
                       size_t max_values, int item_depth);

/* The hub's catalogue key, which signs certificates too; RELAIS_ENOTFOUND when it has none. */
struct relais_seckey;
int relais_hub_catalogue_key(struct relais_seckey **out, relais_hub *hub, relais_ctx *ctx);

/* Prepares sql on the hub's connection (catalogue.c); RELAIS_EIO with SQLite's message. */
int relais_hub_prepare(relais_hub_sql_stmt **st, relais_hub *hub, relais_ctx *ctx, const char *sql);

/* sessions.c: the sessions of the current courses into cat, by course and id. */
struct relais_catalogue;
struct relais_session;
int relais_hub_sessions_load(struct relais_catalogue *cat, relais_hub *hub, relais_ctx *ctx);

/* sessions.c: a newly published bundle's sessions replace the course's earlier bundle's;
 * those the hub scheduled or changed stay. In the caller's transaction. */
int relais_hub_sessions_publish(relais_hub *hub, relais_ctx *ctx, const char *course,
                                const struct relais_session *sessions, size_t n);

/* The report name as an HTML <table>, its headings in lang (relais_hub_report otherwise). */
int relais_hub_report_table(char **out, relais_hub *hub, relais_ctx *ctx, const char *name,
                            enum hub_lang lang);

/* What a coordinator's views show: each NULL or "" when not given (report.c, "filters"). */
struct relais_hub_filter {
	const char
	        *scope; /* the coordinator's organisation; NULL: an administrator, who sees all */
	const char *course, *organisation, *country;
	const char *from, *to; /* days, YYYY-MM-DD, both included */
	const char *learner;   /* learner-* views: an email or an actor's identity */
	const char *start;     /* learners view: its page's first learner (a next page's link) */
};

/* Where a streamed report's bytes go: write returns 0, or non-zero to stop the report. */
struct relais_hub_sink {
	int (*write)(void *data, const char *p, size_t n);
	void *data;
};

/*
 * Report view name for f as CSV or JSON, every row (no size limit), written
 * to sink as the query yields them (on PostgreSQL a row at a time, not the
 * whole result first). Nothing is written before the query has run, so a
 * failure then leaves nothing written. Returns 0; RELAIS_ENOTFOUND;
 * RELAIS_EIO (the query failed, or the sink stopped it; ctx says which).
 */
int relais_hub_report_stream(relais_hub *hub, relais_ctx *ctx, const char *name, int format,
                             const struct relais_hub_filter *f, const struct relais_hub_sink *sink);

/*
 * Report view name (relais_hub_reports) for f as an HTML table, its headings
 * in lang, at most max_rows rows (0: all), then a note when there are more;
 * *next gets the start (relais_hub_filter) of the next page of the learners
 * view when there is one (the caller frees it), else NULL.
 */
int relais_hub_report_page(char **out, char **next, relais_hub *hub, relais_ctx *ctx,
                           const char *name, enum hub_lang lang, const struct relais_hub_filter *f,
                           size_t max_rows);

/* Whether token is a learners page's start (relais_hub_filter) as its links carry it. */
int relais_hub_learners_start_valid(const char *token);

/* Report view name's rows as a JSON array of objects (*out, the caller deletes it). */
int relais_hub_report_rows(struct cJSON **out, relais_hub *hub, relais_ctx *ctx, const char *name,
                           const struct relais_hub_filter *f);

/* 0 when f->learner exists for f->scope's coordinator; RELAIS_ENOTFOUND (404) otherwise. */
int relais_hub_learner_visible(relais_hub *hub, relais_ctx *ctx, const struct relais_hub_filter *f);

/* The filters' choices for f->scope: {"course": [...], "organisation": [...], "country": [...]}. */
int relais_hub_report_choices(struct cJSON **out, relais_hub *hub, relais_ctx *ctx,
                              const struct relais_hub_filter *f);

/*
 * The organisation coordinator email reports on (organisation, "" for an
 * administrator). Returns 0; RELAIS_ENOTFOUND (no such coordinator, e.g.
 * removed since signing in); RELAIS_EIO.
 */
int relais_hub_coordinator_scope(char organisation[201], relais_hub *hub, relais_ctx *ctx,
                                 const char *email);

/* ---- progress.c: learner_course, each learner's state in each course (migration 14) ---- */

/* SQL: the term of verb v (RELAIS_XAPI_VERBS v), NULL until a statement names it. */
#define RELAIS_HUB_VERB_TERM(v) "(SELECT id FROM term WHERE text = '" RELAIS_XAPI_VERBS v "')"

/* SQL: when a statement happened (its timestamp; when it was stored, without one). */
#define RELAIS_HUB_WHEN "coalesce(timestamp, stored)"

/* The SQL is laid out as SQL, not as clang-format would. */
/* clang-format off */

/*
 * SQL: learner_course's rows (in its column order) made from the statements
 * that are not voided and meet cond, one per learner and course: the first
 * statement, the first completion of the course itself, the first passed
 * verdict in it (on the course, a quiz or a package unit), the last
 * statement, the credential that stored the first completion. Standard
 * SQL (PostgreSQL takes it too); migration 14 fills the table with it.
 */
#define RELAIS_HUB_LEARNER_COURSE(cond) \
	"SELECT actor_term, course_term, max(course), max(actor), max(actor_name), " \
	"max(organisation), min(" RELAIS_HUB_WHEN "), " \
	"min(CASE WHEN unit IS NULL AND verb_term = " RELAIS_HUB_VERB_TERM("completed") \
	" THEN " RELAIS_HUB_WHEN " END), " \
	"min(CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("passed") \
	" THEN " RELAIS_HUB_WHEN " END), " \
	"max(" RELAIS_HUB_WHEN "), " \
	"(SELECT s.credential FROM statement s WHERE s.actor_term = g.actor_term " \
	"AND s.course_term = g.course_term AND s.voided = 0 AND s.unit IS NULL " \
	"AND s.verb_term = " RELAIS_HUB_VERB_TERM("completed") " " \
	"ORDER BY coalesce(s.timestamp, s.stored), s.seq LIMIT 1) " \
	"FROM statement g WHERE voided = 0 AND course_term IS NOT NULL AND " cond " " \
	"GROUP BY actor_term, course_term"

/*
 * SQL: activity_learner's rows (in its column order) made from the
 * statements not voided that meet cond, per activity and learner: kind 1,
 * a question's scored answers (answered, with a success); kind 2, a quiz's
 * or package unit's verdicts (passed, failed). How many, whether one was
 * wrong (failed), how many succeeded, the scores' sum and count, the first
 * and last.
 */
#define RELAIS_HUB_ACTIVITY_LEARNER(cond) \
	"SELECT object_term, actor_term, max(CASE WHEN verb_term = " \
	RELAIS_HUB_VERB_TERM("answered") " THEN 1 ELSE 2 END), course_term, max(course), " \
	"coalesce(max(unit), ''), max(object_id), coalesce(max(organisation), ''), count(*), " \
	"max(CASE WHEN success = 0 THEN 1 ELSE 0 END), " \
	"sum(CASE WHEN success = 1 THEN 1 ELSE 0 END), coalesce(sum(scaled), 0), count(scaled), " \
	"min(" RELAIS_HUB_WHEN "), max(" RELAIS_HUB_WHEN ") " \
	"FROM statement WHERE voided = 0 AND course_term IS NOT NULL AND object_term IS NOT NULL " \
	"AND ((verb_term = " RELAIS_HUB_VERB_TERM("answered") " AND success IS NOT NULL AND " \
	"unit IS NOT NULL) OR verb_term IN (" RELAIS_HUB_VERB_TERM("passed") ", " \
	RELAIS_HUB_VERB_TERM("failed") ")) AND " cond " " \
	"GROUP BY object_term, actor_term, course_term"

/* SQL: a learner's email as the reports show it: an mbox's address, else the actor's identity
 * (a plain comparison, not LIKE, so that an index can hold it; the hub writes the prefix so). */
#define RELAIS_HUB_EMAIL(actor) \
	"CASE WHEN substr(" actor ", 1, 12) = 'mbox:mailto:' THEN substr(" actor ", 13) " \
	"ELSE " actor " END"

/* SQL: learner's rows (migration 20, in its column order) made from the learner_course rows
 * that meet cond, one per learner: the name, email and organisation the learners view shows
 * ('' for none), whether every row has that name and organisation (uniform: then any of
 * them, as a date range picks, shows the same), the courses, those completed, the first
 * start and the last statement. */
#define RELAIS_HUB_LEARNER(cond) \
	"SELECT actor_term, coalesce(max(name), ''), " RELAIS_HUB_EMAIL("max(actor)") ", " \
	"coalesce(max(organisation), ''), CASE WHEN min(coalesce(name, '')) = " \
	"max(coalesce(name, '')) AND min(coalesce(organisation, '')) = " \
	"max(coalesce(organisation, '')) THEN 1 ELSE 0 END, count(*), count(completed), " \
	"min(started), max(last) FROM learner_course WHERE " cond " GROUP BY actor_term"

/* SQL: course_tally's rows (migration 19) made from the learner_course rows of table from
 * (learner_course itself, or a trigger's transition table), per course and organisation
 * ('' for none): how many learners, completed, completed and passed; times each ("", or
 * "-1 * "). */
#define RELAIS_HUB_COURSE_TALLY(from, times) \
	"SELECT course_term, coalesce(organisation, ''), max(course), " times "count(*), " \
	times "count(completed), " times "count(CASE WHEN completed IS NOT NULL THEN passed END) " \
	"FROM " from " GROUP BY course_term, coalesce(organisation, '')"

/* SQL: course_day_tally's rows (migration 19) made from the learner_course rows of table
 * from, times each: per course, organisation and day, the rows that started that day, whose
 * last statement was that day (and of those, the completed, and the completed and passed
 * ones), that completed that day, that passed that day having completed. */
#define RELAIS_HUB_COURSE_DAY_TALLY(from, times) \
	"SELECT course_term, org, day, max(course), " times "sum(s), " times "sum(l), " \
	times "sum(c), " times "sum(lc), " times "sum(p), " times "sum(lp) " \
	"FROM (SELECT course_term, coalesce(organisation, '') AS org, " \
	"substr(started, 1, 10) AS day, course, 1 AS s, 0 AS l, 0 AS c, 0 AS lc, 0 AS p, 0 AS lp " \
	"FROM " from " UNION ALL SELECT course_term, " \
	"coalesce(organisation, ''), substr(last, 1, 10), course, 0, 1, 0, " \
	"CASE WHEN completed IS NOT NULL THEN 1 ELSE 0 END, 0, " \
	"CASE WHEN completed IS NOT NULL AND passed IS NOT NULL THEN 1 ELSE 0 END " \
	"FROM " from " UNION ALL SELECT course_term, " \
	"coalesce(organisation, ''), substr(completed, 1, 10), course, 0, 0, 1, 0, 0, 0 " \
	"FROM " from " WHERE completed IS NOT NULL UNION ALL SELECT " \
	"course_term, coalesce(organisation, ''), substr(passed, 1, 10), course, 0, 0, 0, 0, 1, 0 " \
	"FROM " from " WHERE completed IS NOT NULL AND passed IS NOT NULL" \
	") x GROUP BY course_term, org, day"

/* SQL: activity_tally's rows made from activity_learner's that meet cond (per activity and
 * organisation: the sums of its learners' rows). */
#define RELAIS_HUB_ACTIVITY_TALLY(cond) \
	"SELECT object_term, organisation, max(kind), max(course_term), max(course), max(quiz), " \
	"max(object_id), count(*), sum(missed), sum(CASE WHEN passes > 0 THEN 1 ELSE 0 END), " \
	"sum(tries), sum(passes), sum(score_sum), sum(scored) FROM activity_learner WHERE " cond \
	" GROUP BY object_term, organisation"

/* clang-format on */

/*
 * Keeps the reports' tables (migration 14) up to date inside the caller's
 * transaction: relais_hub_progress_add after statement seq (facts f) is
 * inserted, and relais_hub_progress_void after statement id (if held) is
 * voided, which makes that learner's rows for its course and activity
 * again. Return 0 or RELAIS_EIO.
 */
int relais_hub_progress_add(relais_hub *hub, relais_ctx *ctx, long long seq,
                            const struct relais_xapi_facts *f);
int relais_hub_progress_void(relais_hub *hub, relais_ctx *ctx, const char *id);

/* ---- i18n.c: the pages' words (po/hub, generated into hub_words.h) ---- */

/* The string for msg in lang; never NULL. */
const char *relais_hub_tr(enum hub_lang lang, enum hub_msg msg);

/* The string for the message whose key is the len bytes at key; NULL when none. */
const char *relais_hub_tr_key(enum hub_lang lang, const char *key, size_t len);

/*
 * The message prefix + name, the name upper-cased with '-' as '_'
 * ("COL_", "average_score": COL_AVERAGE_SCORE), in lang; name when none.
 */
const char *relais_hub_tr_name(enum hub_lang lang, const char *prefix, const char *name);

/* Formats a message that takes arguments (checked against the English at build time). */
void relais_hub_tr_format(char *out, size_t size, enum hub_lang lang, enum hub_msg msg, ...);

/* Writes a date ("YYYY-MM-DD...") as lang writes it (relais_lang_date). */
void relais_hub_tr_date(char *out, size_t size, enum hub_lang lang, const char *date);

/* The language's code ("en", "ar"). */
const char *relais_hub_lang_code(enum hub_lang lang);

/*
 * The pages' language: asked (?lang=), else kept (the language cookie),
 * else the best of Accept-Language, else English. Each may be NULL.
 */
enum hub_lang relais_hub_lang_choose(const char *asked, const char *kept, const char *accept);

/* ---- pages.c: the coordinators' pages, in lang ---- */

/*
 * The public verify page (docs/certificates.md) for code, or the empty form
 * when code is NULL or "" (*out, malloc'd): valid, invalid or revoked, with
 * the learner, course and date; everything escaped. No page, but the hub's
 * failure (RELAIS_EBUSY: its database away), when the revocations cannot be
 * read: a certificate is then neither valid nor invalid.
 */
int relais_hub_page_verify(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                           const char *code);

/* The files of pages/: layout.html, login.html, style.css and the rest. */
extern const struct relais_embedded_file relais_hub_pages[];

/* A {{name}} in a page template and the text (already escaped) that replaces it. */
#define RELAIS_HUB_SLOTS_MAX 16
struct relais_hub_page_slot {
	const char *name;
	const char *value;
};

/* Appends template file in lang with its slots (at most RELAIS_HUB_SLOTS_MAX) and {{t:KEY}}. */
void relais_hub_page_fill(struct relais_strbuf *out, const char *file, enum hub_lang lang,
                          const struct relais_hub_page_slot *slots, size_t n);

/* Wraps body in the pages' layout, in lang (*out malloc'd). Returns 0 or a status. */
int relais_hub_page_finish(char **out, relais_ctx *ctx, enum hub_lang lang,
                           struct relais_strbuf *body);

/* What a cohorts page answers: a page (status, html) or a redirect after a change. */
struct relais_hub_page_result {
	unsigned status;
	char *html;         /* malloc'd, or NULL with a location */
	char location[128]; /* "" unless a redirect */
};

/*
 * The coordinators' cohorts pages (cohortpage.c): rest is the path after
 * /reports/cohorts ("" or "/<id>"); body a POSTed form (NULL for GET).
 * Returns 0 with *r filled, or a negative status.
 */
int relais_hub_page_cohorts(struct relais_hub_page_result *r, relais_hub *hub, relais_ctx *ctx,
                            enum hub_lang lang, const char *rest, const char *body, size_t len);

/* The coordinators' sign-in page (*out, malloc'd), with "wrong password" when failed. */
int relais_hub_page_login(char **out, relais_ctx *ctx, enum hub_lang lang, int failed);

/* The coordinators' pages (docs/hub.md, "Reports"). */
enum relais_hub_page_kind {
	RELAIS_HUB_PAGE_OVERVIEW, /* /reports: progress and completions */
	RELAIS_HUB_PAGE_QUIZZES,  /* /reports/quizzes */
	RELAIS_HUB_PAGE_LEARNERS, /* /reports/learners */
	RELAIS_HUB_PAGE_LEARNER,  /* /reports/learner?learner=: one learner (f->learner) */
	RELAIS_HUB_PAGE_ADMIN,    /* /reports/admin: coordinators and credentials */
};

#define RELAIS_HUB_PAGE_ROWS 500 /* rows of a table on a page; its CSV and JSON have all */

/*
 * Reports page kind (not ADMIN) for the coordinator signed in as email,
 * with filters f (f->scope: the coordinator's organisation) (*out, malloc'd).
 */
int relais_hub_page_reports(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                            const char *email, int kind, const struct relais_hub_filter *f);

/*
 * The administrators' page: coordinators and credentials, each with a
 * form to remove or revoke it, and forms to add them; notice (escaped
 * here; NULL: none) says what the last form did, secret (NULL: none) is a
 * new credential's key and secret, shown once.
 */
int relais_hub_page_admin(char **out, relais_hub *hub, relais_ctx *ctx, enum hub_lang lang,
                          const char *email, const char *notice, const char *secret);

/* Appends an SVG bar chart of rows (day, completions), titled, its description in lang. */
void relais_hub_chart(struct relais_strbuf *o, enum hub_lang lang, const char *id,
                      const char *title, const struct cJSON *rows);

/* The coordinators (email, organisation, created) or credentials (key, name, scopes, created,
 * revoked) as a JSON array. */
int relais_hub_coordinators_rows(struct cJSON **out, relais_hub *hub, relais_ctx *ctx);
int relais_hub_credentials_rows(struct cJSON **out, relais_hub *hub, relais_ctx *ctx);

/* The BLAKE2b-256 (hex) of a statement's identity (relais_xapi_identity), made in hub's scratch. */
struct cJSON;
int relais_hub_identity_hash(char out[65], relais_hub *hub, relais_ctx *ctx,
                             const struct cJSON *statement);

/* ---- documents.c: State, Activity Profile, Agent Profile, Activities, Agents ---- */

/* The resources documents.c answers, by path (relais_hub_resource_of()). */
enum relais_hub_resource {
	RELAIS_HUB_RES_STATE = 1,        /* /xapi/activities/state */
	RELAIS_HUB_RES_ACTIVITY_PROFILE, /* /xapi/activities/profile */
	RELAIS_HUB_RES_AGENT_PROFILE,    /* /xapi/agents/profile */
	RELAIS_HUB_RES_ACTIVITIES,       /* /xapi/activities */
	RELAIS_HUB_RES_AGENTS,           /* /xapi/agents */
};

#define RELAIS_HUB_DOCUMENT_MAX (1024u * 1024) /* default --max-document */
/* default --max-documents-per-credential: 256 MiB */
#define RELAIS_HUB_DOCUMENTS_PER_CREDENTIAL (256ull * 1024 * 1024)
#define RELAIS_HUB_ETAG_MAX RELAIS_XAPI_ETAG_MAX
#define RELAIS_HUB_DATE_MAX 40 /* an HTTP date */

/* An HTTP date (RFC 7231, IMF-fixdate) of ms since the epoch; no locale involved. */
void relais_hub_http_date(char out[RELAIS_HUB_DATE_MAX], long long ms);

/* The resource path names (RELAIS_HUB_RES_*), or 0 when it is none of them. */
int relais_hub_resource_of(const char *path);

/* One request to those resources, its headers and query already taken apart. */
struct relais_hub_doc_request {
	int resource;                          /* RELAIS_HUB_RES_* */
	const char *method;                    /* GET, HEAD, PUT, POST, DELETE */
	const struct relais_hub_param *params; /* the query parameters */
	size_t n;
	const char *content_type; /* or NULL */
	const char *if_match;     /* or NULL */
	const char *if_none_match;
	const char *body; /* len bytes, any content */
	size_t len;
	size_t max_document;          /* larger documents get 413 */
	uint64_t max_documents_total; /* bytes of documents one credential may store (413) */
	int xapi_version;             /* RELAIS_XAPI_1_0 or RELAIS_XAPI_2_0 (relais/xapi.h) */
};

/* Its answer: status, body (any bytes) and the headers that go with it ("" for none). */
struct relais_hub_doc_reply {
	unsigned status;
	char *body; /* malloc'd, or NULL for none */
	size_t len;
	char type[256];
	char etag[RELAIS_HUB_ETAG_MAX]; /* quoted */
	char modified[RELAIS_HUB_DATE_MAX];
};

/*
 * Answers rq as xAPI 1.0.3 says (Communication 2.2 to 2.7, 3.1) for who:
 * 200 (a document, a list of ids, an Activity or Person object, with its
 * ETag), 204, or 400, 403, 404, 405, 409, 412, 413 with {"error": ...}.
 * Writes need the write scope, reads read-mine or read-all; without
 * read-all, documents first stored by another credential do not exist for
 * who (404, left out of lists; 403 on writes). Returns 0 with r->status
 * set, or a negative status on local failure (message on ctx). Clear r
 * with relais_hub_doc_reply_clear() in every case.
 */
int relais_hub_document(struct relais_hub_doc_reply *r, relais_hub *hub, relais_ctx *ctx,
                        const struct relais_hub_doc_request *rq,
                        const struct relais_hub_credential *who);
void relais_hub_doc_reply_clear(struct relais_hub_doc_reply *r);

/* ---- attachments.c: attachment data sent in multipart/mixed, signed statements ---- */

#define RELAIS_HUB_ATTACHMENT_MAX (8u * 1024 * 1024)          /* default --max-attachment */
#define RELAIS_HUB_ATTACHMENTS_PER_CREDENTIAL (1024ull << 20) /* its default: 1 GiB */

/* The attachment parts of one multipart request, while its statements are stored. */
struct relais_multipart_part;
struct relais_hub_parts {
	const struct relais_multipart_part *part; /* after the statements' part */
	size_t n;
	unsigned char used[128]; /* part i matched an Attachment object */
	unsigned long long per_credential_max;
};

/*
 * Checks st's attachments against hub->parts (NULL: a request without
 * parts): each without fileUrl needs a part with its sha2; a signature
 * (usageType .../signature) needs contentType application/octet-stream,
 * its JWS as a part, RS256/384/512, and a payload equal to st without its
 * attachments. Marks the parts used. Returns 0, or RELAIS_EFORMAT with a
 * message naming where.
 */
int relais_hub_attachments_check(relais_hub *hub, relais_ctx *ctx, const struct cJSON *st,
                                 const char *where);

/*
 * Stores hub->parts (when any) for who inside the caller's transaction,
 * content-addressed by sha2. Returns 0; RELAIS_EFORMAT (a part no statement
 * names); RELAIS_ELIMIT (past who's total); RELAIS_EIO.
 */
int relais_hub_attachments_keep(relais_hub *hub, relais_ctx *ctx,
                                const struct relais_hub_credential *who);

/*
 * POST or PUT (statement_id not NULL) /xapi/statements with a
 * multipart/mixed body of Content-Type type: as relais_hub_post and
 * relais_hub_put, plus 400 for a malformed body or parts that do not match
 * the attachments, 413 for a part over max_attachment bytes or past the
 * credential's per_credential_max.
 */
int relais_hub_post_multipart(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                              const char *type, const char *body, size_t len,
                              const char *statement_id, size_t max_attachment,
                              unsigned long long per_credential_max,
                              const struct relais_hub_credential *who);

/*
 * The answer to GET with attachments=true: json (a statement or a
 * StatementResult) and the data of the attachments it names that the hub
 * holds, as multipart/mixed (*out, malloc'd, *len bytes) with boundary
 * (written into boundary). Returns 0 or a negative status.
 */
int relais_hub_attachments_reply(char **out, size_t *len, char boundary[40], relais_hub *hub,
                                 relais_ctx *ctx, const char *json);

#endif
