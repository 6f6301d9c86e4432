/* session_private.h: live sessions inside other JSON documents (manifest, catalogue). */
#ifndef RELAIS_SESSION_PRIVATE_H
#define RELAIS_SESSION_PRIVATE_H

#include <cjson/cJSON.h>

#include "relais/session.h"

/*
 * Reads a session object: `where` prefixes messages ("manifest: sessions[0].");
 * with_course reads the catalogue's "course" and "cancelled" members too.
 * Unknown members are refused. The shape is checked (not the tz database nor
 * the units: relais_session_check does that). On failure *out is cleared.
 */
int relais_session_from_cjson(struct relais_session *out, relais_ctx *ctx, const cJSON *obj,
                              const char *where, int with_course);

/* The session as a new cJSON object in the documented member order, or NULL. */
cJSON *relais_session_to_cjson(const struct relais_session *s, int with_course);

#endif
