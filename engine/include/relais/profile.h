/* profile.h: the learners who share this laptop. */
#ifndef RELAIS_PROFILE_H
#define RELAIS_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"

struct relais_profile {
	int64_t id;
	char *name;
	char *email;
	char *org;
	int has_pin; /* choosing this learner needs their PIN */
	int trainer; /* a trainer's profile: always a PIN; takes attendance (docs/reader.md) */
};

#define RELAIS_EMAIL_MAX 200 /* bytes: names, emails and organisations alike */
#define RELAIS_PIN_MIN 4
#define RELAIS_PIN_MAX 64

/*
 * Adds a learner. The email identifies them in learning records and must be
 * unique on this laptop. Sets *out_id when not NULL. Returns 0,
 * RELAIS_EINVAL (empty name, malformed email), RELAIS_EEXIST.
 */
int relais_profile_add(int64_t *out_id, relais_home *home, relais_ctx *ctx, const char *name,
                       const char *email, const char *org);

/*
 * Adds a trainer: as relais_profile_add, with a PIN that is required (at
 * least RELAIS_PIN_MIN characters, kept as an Argon2id hash), all in one
 * statement: nothing is added when the PIN is refused. Returns 0,
 * RELAIS_EINVAL (as relais_profile_add, or no PIN, too short or long),
 * RELAIS_EEXIST.
 */
int relais_profile_add_trainer(int64_t *out_id, relais_home *home, relais_ctx *ctx,
                               const char *name, const char *email, const char *org,
                               const char *pin);

/* Whether e is a plausible email address: one line of UTF-8, one @, a dot in the domain. */
int relais_email_ok(const char *e);

/*
 * Checks a person's name (one line, 1 to 200 bytes), email (relais_email_ok)
 * and organisation (one line, at most 200 bytes; NULL: none) as
 * relais_profile_add does. 0, or RELAIS_EINVAL with a one-line message.
 */
int relais_profile_fields_ok(relais_ctx *ctx, const char *name, const char *email, const char *org);

/* Learners by name. Free with relais_profile_list_free(). */
int relais_profile_list(struct relais_profile **out, size_t *n, relais_home *home, relais_ctx *ctx);
void relais_profile_list_free(struct relais_profile *p, size_t n);

/* One learner, or RELAIS_ENOTFOUND. Free the strings with relais_profile_clear(). */
int relais_profile_get(struct relais_profile *out, relais_home *home, relais_ctx *ctx, int64_t id);
void relais_profile_clear(struct relais_profile *p);

/*
 * Sets the learner's PIN (at least RELAIS_PIN_MIN characters, kept as an
 * Argon2id hash), or removes it when pin is NULL or empty. Returns 0,
 * RELAIS_EINVAL (too short or long; removing a trainer's), RELAIS_ENOTFOUND.
 */
int relais_profile_set_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *pin);

/*
 * 0 when the learner has no PIN or pin is theirs; RELAIS_EPASSWORD
 * otherwise (the same time either way); RELAIS_ENOTFOUND for no such learner.
 */
int relais_profile_check_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *pin);

#define RELAIS_PIN_FREE_TRIES 2 /* wrong PINs (typos) before any wait */
#define RELAIS_PIN_WAIT_MAX 300 /* seconds: the longest wait between tries */

/*
 * relais_profile_check_pin with a growing wait kept in the home, so that
 * restarting the program does not reset it: after RELAIS_PIN_FREE_TRIES
 * wrong PINs, each wrong one makes the next try wait twice as long as the
 * last (2, 4, 8 ... seconds, at most RELAIS_PIN_WAIT_MAX); a right one
 * clears the count. Returns 0 (right, or no PIN), RELAIS_EPASSWORD (wrong),
 * RELAIS_ELIMIT with *wait the seconds left when a try comes too soon (the
 * PIN is then not checked), RELAIS_ENOTFOUND.
 */
int relais_profile_try_pin(int *wait, relais_home *home, relais_ctx *ctx, int64_t id,
                           const char *pin);

/*
 * Removes a learner with their progress and completions. Their learning
 * records still waiting in the outbox stay, and are sent as usual.
 * Returns 0 or RELAIS_ENOTFOUND.
 */
int relais_profile_remove(relais_home *home, relais_ctx *ctx, int64_t id);

#endif
