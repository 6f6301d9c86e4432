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
};

#define RELAIS_PIN_MIN 4
#define RELAIS_PIN_MAX 64

/* Whether e is a plausible email: one @, something on each side, a dot in the domain. */
int relais_profile_email_ok(const char *e);

/*
 * Adds a learner. The email identifies them in learning records and must be
 * unique on this laptop. Sets *out_id when not NULL. Returns 0,
 * RELAIS_EINVAL (empty name, malformed email), RELAIS_EEXIST.
 */
int relais_profile_add(int64_t *out_id, relais_home *home, relais_ctx *ctx, const char *name,
                       const char *email, const char *org);

/* Learners by name. Free with relais_profile_list_free(). */
int relais_profile_list(struct relais_profile **out, size_t *n, relais_home *home, relais_ctx *ctx);
void relais_profile_list_free(struct relais_profile *p, size_t n);

/* One learner, or RELAIS_ENOTFOUND. Free the strings with relais_profile_clear(). */
int relais_profile_get(struct relais_profile *out, relais_home *home, relais_ctx *ctx, int64_t id);
void relais_profile_clear(struct relais_profile *p);

/*
 * Sets the learner's PIN (at least RELAIS_PIN_MIN characters, kept as an
 * Argon2id hash), or removes it when pin is NULL or empty. Returns 0,
 * RELAIS_EINVAL (too short or long), RELAIS_ENOTFOUND.
 */
int relais_profile_set_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *pin);

/*
 * 0 when the learner has no PIN or pin is theirs; RELAIS_EPASSWORD
 * otherwise (the same time either way); RELAIS_ENOTFOUND for no such learner.
 */
int relais_profile_check_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *pin);

/*
 * Removes a learner with their progress and completions. Their learning
 * records still waiting in the outbox stay, and are sent as usual.
 * Returns 0 or RELAIS_ENOTFOUND.
 */
int relais_profile_remove(relais_home *home, relais_ctx *ctx, int64_t id);

#endif
