/* xapi.h: xAPI 1.0.3 and 2.0 statements as a hub receives them: validation and identity. */
#ifndef RELAIS_XAPI_H
#define RELAIS_XAPI_H

#include <stddef.h>

#include "relais/context.h"

/* What the hub indexes of a statement, taken out while validating it. */
struct relais_xapi_facts {
	char id[37]; /* lower case; assigned by the caller when absent */
	int has_id;
	char *actor;        /* the actor's identifier, e.g. "mbox:mailto:a@b.org" */
	char *verb;         /* verb IRI */
	char *object_id;    /* activity IRI, or agent identifier, or statement id */
	int object_kind;    /* RELAIS_XAPI_ACTIVITY, ... */
	char *registration; /* or NULL */
	char *voids;        /* for a voiding statement: the id it voids, else NULL */
	char *organisation; /* relais's context extension, or NULL */
	char *course;       /* for relais activities: the course id, else NULL */
	char *unit;         /* for relais activities: the unit id, else NULL */
	char *actor_name;   /* the actor's name, or NULL */
	double scaled;      /* result.score.scaled, or -2 when absent */
	int success;        /* result.success: -1 absent, 0, 1 */
	char *timestamp;    /* or NULL */
	/* Every agent and activity the statement mentions, for related_* queries. */
	char **agents;
	size_t n_agents;
	char **activities;
	size_t n_activities;
};

enum {
	RELAIS_XAPI_ACTIVITY = 1,
	RELAIS_XAPI_AGENT = 2,
	RELAIS_XAPI_STATEMENT_REF = 3,
	RELAIS_XAPI_SUBSTATEMENT = 4,
};

/* The IRIs relais writes and reads, each defined here only. */
#define RELAIS_XAPI_VERBS "http://adlnet.gov/expapi/verbs/"
#define RELAIS_XAPI_VOIDED RELAIS_XAPI_VERBS "voided"
#define RELAIS_XAPI_ACTIVITIES "https://relais.invalid/xapi/activities/"
#define RELAIS_XAPI_ORGANISATION "https://relais.invalid/xapi/extensions/organisation"
#define RELAIS_XAPI_HUB_HOMEPAGE "https://relais.invalid/hub" /* the hub's authority accounts */
/* Extensions of relais-hub's about resource (docs/sync.md, "Finding the LRS"): the hub takes
 * gzip request bodies; it is a relais hub, serving courses under the parent of its xAPI base. */
#define RELAIS_XAPI_ACCEPTS_GZIP "https://relais.invalid/xapi/extensions/accepts-gzip"
#define RELAIS_XAPI_RELAIS_HUB "https://relais.invalid/xapi/extensions/relais-hub"

/*
 * Checks one statement (a cJSON object, passed as void * so this header
 * stays free of cJSON) against the xAPI 1.0.3 rules, and fills *facts.
 * where names it in messages ("statements[3]"). Returns 0, RELAIS_EFORMAT
 * with a message naming the field ("statements[3].result.score.scaled: must
 * be from -1 to 1"; the first problem only), or RELAIS_ENOMEM. Free facts
 * with relais_xapi_facts_clear() in every case.
 */
int relais_xapi_check(struct relais_xapi_facts *facts, relais_ctx *ctx, const void *statement,
                      const char *where);

/* The xAPI versions whose rules differ (docs/hub.md, "What differs in xAPI 2.0"). */
enum {
	RELAIS_XAPI_1_0 = 1, /* 1.0.0 to 1.0.3 */
	RELAIS_XAPI_2_0 = 2, /* 2.0.x, IEEE 9274.1.1 */
};

/*
 * relais_xapi_check() under the rules of version (RELAIS_XAPI_*): 2.0 also
 * takes context.contextAgents and context.contextGroups and a version of
 * "2.0" or "2.0.x". relais_xapi_check() is this with RELAIS_XAPI_1_0.
 */
int relais_xapi_check_version(struct relais_xapi_facts *facts, relais_ctx *ctx,
                              const void *statement, const char *where, int version);

/*
 * The version an X-Experience-API-Version header or a statement's version
 * names: RELAIS_XAPI_1_0 for "1.0" or "1.0.x", RELAIS_XAPI_2_0 for "2.0"
 * or "2.0.x" (x digits), 0 for anything else (or NULL).
 */
int relais_xapi_version_of(const char *v);
void relais_xapi_facts_clear(struct relais_xapi_facts *facts);

/*
 * The statement's identity for comparison, as xAPI 1.0.3 (Data 2.3.1)
 * compares statements: members sorted; without what the LRS sets (stored,
 * authority, version); UUIDs in lower case; the timestamp as an instant
 * (00Z and 00.000+00:00 are one time); result.duration to 0.01 s
 * (PT1.1237S is PT1.12S; fewer decimals are kept as written); without verb
 * displays and activity
 * definitions; e-mail domains in lower case and group members in one order (in
 * contextAgents and contextGroups too).
 * The order of other arrays' items counts. Two statements with the same id
 * and the same identity are the same statement. Caller frees; NULL when
 * memory runs out.
 */
char *relais_xapi_identity(const void *statement);

/*
 * The same identity, appended to out (no copy of the statement is made).
 * Returns 0, or out->rc (RELAIS_ENOMEM, RELAIS_ELIMIT) when it could not.
 */
struct relais_strbuf;
int relais_xapi_identity_add(struct relais_strbuf *out, const void *statement);

/* Whether s is a UUID in its canonical textual form (either case). */
int relais_xapi_uuid_ok(const char *s);

/* The agent identifier of an Agent/Group object in a query ("agent=" JSON), or NULL. */
char *relais_xapi_agent_key(const void *agent);

/* ---- xapidoc.c: what the document resources (State, Profiles) share ---- */

#define RELAIS_XAPI_JSON_TYPE "application/json"
#define RELAIS_XAPI_ETAG_MAX 43 /* a quoted SHA-1 in hex, and a NUL */

/*
 * Parses len bytes of text (NUL-terminated at len) as JSON; anything after
 * the value but white space makes it not JSON. Returns a cJSON (the caller
 * deletes it), or NULL.
 */
void *relais_xapi_parse_whole(const char *text, size_t len);

/* Whether a Content-Type names JSON (parameters such as charset aside). */
int relais_xapi_json_type(const char *type);

/* An IRI as a query parameter needs at least: a scheme, a colon, something after. */
int relais_xapi_param_iri_ok(const char *s);

/*
 * The agent query parameter: an Agent object as JSON (objectType absent or
 * "Agent") with exactly one well-formed identifier. Returns it as a cJSON
 * (the caller deletes it), or NULL.
 */
void *relais_xapi_agent_param(const char *text);

/*
 * POST's merge of documents (Communication 2.2.s7): the top-level members
 * of posted set on stored. Returns 0 with *out (malloc'd), RELAIS_EFORMAT
 * with *which 1 (stored is not a JSON object) or 2 (posted is not), or
 * RELAIS_ENOMEM.
 */
int relais_xapi_json_merge(char **out, int *which, const char *stored, size_t stored_len,
                           const char *posted, size_t len);

/* The quoted SHA-1 (hex) of data, as xAPI 1.0.3 (Communication 3.1) computes ETags. */
int relais_xapi_etag(char out[RELAIS_XAPI_ETAG_MAX], const void *data, size_t len);

#endif
