/* outbox.h: statements waiting for a hub: pending, sent, set aside, exported for a USB stick. */
#ifndef RELAIS_OUTBOX_H
#define RELAIS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"
#include "relais/key.h"

/*
 * The laptop key (docs/sync.md, "Laptop key"), which signs export files and
 * which hubs register against the laptop's credential: read from the home's
 * settings, or made and kept there on first use (*made set).
 */
int relais_laptop_key(relais_seckey **out, int *made, relais_home *home, relais_ctx *ctx);

/* Its public key as a minisign .pub file's text (*out, malloc'd); made if need be. */
int relais_laptop_key_public(char **out, int *made, relais_home *home, relais_ctx *ctx);

/*
 * Where the laptop key was last registered ("HUB-URL CREDENTIAL-KEY",
 * *out malloc'd), or NULL when no hub has it yet.
 */
int relais_laptop_key_registered(char **out, relais_home *home, relais_ctx *ctx);
int relais_laptop_key_set_registered(relais_home *home, relais_ctx *ctx, const char *where);

struct relais_outbox_item {
	int64_t seq;
	char *id;        /* the statement's UUID */
	char *verb;      /* short display name of the verb */
	char *object;    /* activity name */
	char *learner;   /* the statement's actor: the learner, or whom a trainer recorded */
	char *created;   /* ISO 8601 UTC */
	char *statement; /* the JSON, as it will be sent */
};

/* Statements not yet acknowledged by a hub, oldest first, at most limit. */
int relais_outbox_pending(struct relais_outbox_item **out, size_t *n, relais_home *home,
                          relais_ctx *ctx, size_t limit);
void relais_outbox_free(struct relais_outbox_item *items, size_t n);

/*
 * Marks statements acknowledged by a hub (its success reply for their
 * batch), in one transaction. Unknown ids are ignored. Returns 0 or a
 * negative status.
 */
int relais_outbox_mark_sent(relais_home *home, relais_ctx *ctx, const char *const *ids, size_t n);

/*
 * Sets a statement aside: a hub refused it as invalid (reason: one line,
 * kept for the learner to see). It is no longer pending and never blocks
 * the others.
 */
int relais_outbox_set_aside(relais_home *home, relais_ctx *ctx, const char *id, const char *reason);

struct relais_set_aside {
	char *id;
	char *object;
	char *reason;
	char *when;
};

/* Statements set aside, newest first. Free with relais_set_aside_free(). */
int relais_outbox_set_aside_list(struct relais_set_aside **out, size_t *n, relais_home *home,
                                 relais_ctx *ctx, size_t limit);
void relais_set_aside_free(struct relais_set_aside *items, size_t n);

/*
 * Puts statements set aside back in the queue, to be sent again: those
 * named by ids (n of them), or every one when n is 0. In one transaction:
 * an id that is not set aside (RELAIS_ENOTFOUND, named) changes nothing.
 * Sets *count.
 */
int relais_outbox_retry(size_t *count, relais_home *home, relais_ctx *ctx, const char *const *ids,
                        size_t n);

/* Number of statements waiting to be sent. */
int relais_outbox_count(int64_t *out, relais_home *home, relais_ctx *ctx);

/*
 * Writes every statement not yet acknowledged (set aside ones included: a
 * hub may take what another refused) into
 * one gzip-compressed file (docs/sync.md, "Export") for carrying to the hub
 * by hand; atomically, mode 0600 (the records name learners), signed by the
 * laptop key (made now if there is none) in path + ".minisig". The
 * statements stay pending. Sets *count.
 */
int relais_outbox_export(size_t *count, relais_home *home, relais_ctx *ctx, const char *path);

/*
 * The same as relais_outbox_count(), relais_outbox_pending() and
 * relais_outbox_set_aside_list(), for one learner's records only: on a
 * shared laptop each learner sees their own (profile_id 0: every learner's).
 */
int relais_outbox_count_of(int64_t *out, relais_home *home, relais_ctx *ctx, int64_t profile_id);
int relais_outbox_pending_of(struct relais_outbox_item **out, size_t *n, relais_home *home,
                             relais_ctx *ctx, int64_t profile_id, size_t limit);
int relais_outbox_set_aside_of(struct relais_set_aside **out, size_t *n, relais_home *home,
                               relais_ctx *ctx, int64_t profile_id, size_t limit);

#endif
