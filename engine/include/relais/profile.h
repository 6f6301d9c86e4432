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
};

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

#endif
