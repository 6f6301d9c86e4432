/* rotation_private.h: rotation records inside other JSON documents (the catalogue). */
#ifndef RELAIS_ROTATION_PRIVATE_H
#define RELAIS_ROTATION_PRIVATE_H

#include <cjson/cJSON.h>

#include "relais/rotation.h"

/* Reads a record from a parsed object; `where` prefixes messages. */
int relais_rotation_from_cjson(struct relais_rotation *out, relais_ctx *ctx, const cJSON *obj,
                               const char *where);

/* The record as a new cJSON object, or NULL when out of memory. */
cJSON *relais_rotation_to_cjson(const struct relais_rotation *r);

#endif
