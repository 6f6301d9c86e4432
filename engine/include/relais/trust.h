/* trust.h: the publishers whose bundles this laptop accepts. */
#ifndef RELAIS_TRUST_H
#define RELAIS_TRUST_H

#include <stddef.h>

#include "relais/home.h"
#include "relais/key.h"

struct relais_trusted_key {
	char id[RELAIS_KEYID_HEX];
	char *name;
	char *added; /* ISO 8601 UTC */
};

/*
 * Trusts the minisign public key in pub_path under name (NULL: the key id).
 * Adding a key already trusted updates its name. Sets out_id when not NULL.
 */
int relais_trust_add(relais_home *home, relais_ctx *ctx, const char *pub_path, const char *name,
                     char out_id[RELAIS_KEYID_HEX]);

/* Lists trusted keys, oldest first; free with relais_trust_list_free(). */
int relais_trust_list(struct relais_trusted_key **out, size_t *n, relais_home *home,
                      relais_ctx *ctx);
void relais_trust_list_free(struct relais_trusted_key *keys, size_t n);

/* Stops trusting a key. RELAIS_ENOTFOUND when it was not trusted. */
int relais_trust_remove(relais_home *home, relais_ctx *ctx, const char *key_id);

/* The trusted key with this id, or RELAIS_ENOTFOUND ("untrusted key"). */
int relais_trust_lookup(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                        const char *key_id);

#endif
