/* trust.h: the publishers whose bundles this laptop accepts, and the hubs whose catalogues it
 * reads. */
#ifndef RELAIS_TRUST_H
#define RELAIS_TRUST_H

#include <stddef.h>
#include <stdint.h>

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
 * A key trusted as a hub key is refused (RELAIS_EINVAL): the two roles stay
 * apart (docs/catalogue.md, "Roles of keys").
 */
int relais_trust_add(relais_home *home, relais_ctx *ctx, const char *pub_path, const char *name,
                     char out_id[RELAIS_KEYID_HEX]);

/* Lists trusted keys, oldest first; free with relais_trust_list_free(). */
int relais_trust_list(struct relais_trusted_key **out, size_t *n, relais_home *home,
                      relais_ctx *ctx);
void relais_trust_list_free(struct relais_trusted_key *keys, size_t n);

/* Stops trusting a key, publisher or hub. RELAIS_ENOTFOUND when it was not trusted. */
int relais_trust_remove(relais_home *home, relais_ctx *ctx, const char *key_id);

/* The trusted key with this id, or RELAIS_ENOTFOUND ("untrusted key"). */
int relais_trust_lookup(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                        const char *key_id);

/* A hub key: trusted to sign catalogues (what exists), never bundles. */
struct relais_hub_key {
	char id[RELAIS_KEYID_HEX];
	char *name;
	char *added;     /* ISO 8601 UTC */
	uint64_t serial; /* of the last catalogue accepted from it; 0: none yet */
	char *accepted;  /* when that was, ISO 8601 UTC; "" when never */
	uint64_t catalogue_bytes;
};

/*
 * Trusts a hub key as a distributor: pub is a minisign .pub file or the
 * base64 line of one. name as for relais_trust_add(). A key trusted as a
 * publisher is refused (RELAIS_EINVAL). Adding it again updates its name
 * and keeps what was accepted from it.
 */
int relais_trust_add_hub(relais_home *home, relais_ctx *ctx, const char *pub, const char *name,
                         char out_id[RELAIS_KEYID_HEX]);

/* Lists trusted hub keys, oldest first; free with relais_trust_hub_list_free(). */
int relais_trust_list_hubs(struct relais_hub_key **out, size_t *n, relais_home *home,
                           relais_ctx *ctx);
void relais_trust_hub_list_free(struct relais_hub_key *keys, size_t n);

/* The trusted hub key with this id; RELAIS_ESIGNATURE ("signed by another key") when none. */
int relais_trust_hub_lookup(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                            const char *key_id);

/* The last catalogue accepted from a hub key, as it came. */
struct relais_hub_catalogue {
	char key_id[RELAIS_KEYID_HEX];
	uint64_t serial;
	char *etag; /* "" when the source gave none (a folder) */
	char *json; /* the catalogue's bytes, NUL-terminated */
	size_t len;
	char *sig;
	size_t sig_len;
};

/*
 * The last catalogue accepted from key_id, or when key_id is NULL the most
 * recently accepted from any trusted hub key. *found is 0 (and *out zeroed)
 * when there is none.
 */
int relais_trust_hub_catalogue(struct relais_hub_catalogue *out, int *found, relais_home *home,
                               relais_ctx *ctx, const char *key_id);
void relais_hub_catalogue_clear(struct relais_hub_catalogue *c);

/* Records a verified catalogue as the last one accepted from key_id. */
int relais_trust_hub_accept(relais_home *home, relais_ctx *ctx, const char *key_id, uint64_t serial,
                            const char *etag, const char *json, size_t len, const char *sig,
                            size_t sig_len);

#endif
