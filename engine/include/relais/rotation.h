/* rotation.h: a publisher key endorsing its successor (docs/bundle-format.md, "Key rotation"). */
#ifndef RELAIS_ROTATION_H
#define RELAIS_ROTATION_H

#include <stddef.h>

#include "relais/context.h"
#include "relais/key.h"

#define RELAIS_ROTATION_MAX_BYTES 4096

struct relais_rotation {
	char old_id[RELAIS_KEYID_HEX];
	char new_id[RELAIS_KEYID_HEX];
	char *public_key; /* the new key: the base64 line of its minisign .pub file */
	char *date;       /* ISO 8601 UTC */
	char *signature;  /* minisign text, by the old key */
};

/* Makes the record by which old endorses new_key, dated now. */
int relais_rotation_make(struct relais_rotation *out, relais_ctx *ctx, const relais_seckey *old,
                         const relais_pubkey *new_key);

/* The record as one compact JSON object (*out malloc'd, NUL-terminated). */
int relais_rotation_write(char **out, size_t *out_len, relais_ctx *ctx,
                          const struct relais_rotation *r);

/* Reads a record written by relais_rotation_write(); `name` names the source. */
int relais_rotation_parse(struct relais_rotation *out, relais_ctx *ctx, const char *json,
                          size_t len, const char *name);

/*
 * Checks that the record is signed by old (whose id must be the record's
 * old_id) and sets *new_out to the endorsed key. Returns 0,
 * RELAIS_ESIGNATURE or RELAIS_EFORMAT.
 */
int relais_rotation_verify(relais_pubkey **new_out, relais_ctx *ctx, const relais_pubkey *old,
                           const struct relais_rotation *r);

/* Frees the record's strings; accepts a zeroed record. */
void relais_rotation_clear(struct relais_rotation *r);

#endif
