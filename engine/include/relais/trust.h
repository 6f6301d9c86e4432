/* trust.h: the publishers whose bundles this laptop accepts, and the hubs whose catalogues it
 * reads. */
#ifndef RELAIS_TRUST_H
#define RELAIS_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "relais/catalogue.h"
#include "relais/home.h"
#include "relais/key.h"
#include "relais/rotation.h"

struct relais_trusted_key {
	char id[RELAIS_KEYID_HEX];
	char *name;
	char *added;                       /* ISO 8601 UTC */
	char rotated_to[RELAIS_KEYID_HEX]; /* the key it endorsed last; "" when none */
	char *rotated;                     /* that record's date; NULL when none */
	char *revoked;                     /* when a hub revoked it; NULL when not */
	char *revoked_reason;              /* may be empty; NULL when not revoked */
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

/*
 * The trusted key with this id, or RELAIS_ESIGNATURE ("not trusted"). A
 * revoked key is still found: it verifies the courses installed before
 * (relais_trust_lookup_signer refuses it for anything new).
 */
int relais_trust_lookup(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                        const char *key_id);

/*
 * The trusted key with this id for installing something new: as
 * relais_trust_lookup(), and RELAIS_ESIGNATURE ("revoked on DATE") when a
 * hub revoked it.
 */
int relais_trust_lookup_signer(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                               const char *key_id);

/* 1 when a trusted hub's catalogue revoked key_id, 0 when not, or a negative status. */
int relais_trust_is_revoked(relais_home *home, relais_ctx *ctx, const char *key_id);

/*
 * 1 when new_id may sign what old_id signed: the same key, or a chain of
 * recorded rotations leads from old_id to new_id with no key of it revoked;
 * 0 when not, or a negative status.
 */
int relais_trust_succeeds(relais_home *home, relais_ctx *ctx, const char *old_id,
                          const char *new_id);

/* What relais_trust_apply_catalogue() changed. */
struct relais_trust_changes {
	size_t rotated; /* new keys trusted through rotation records */
	size_t revoked; /* trusted keys newly revoked */
	size_t refused; /* rotation records that did not verify (logged, nothing taken) */
};

/*
 * Applies a catalogue already verified with a trusted hub key
 * (docs/catalogue.md, "Key rotation", "Revoked keys"), in one transaction:
 * records its revoked keys, then trusts the new key of each rotation
 * record whose old key is trusted and not revoked (chains followed), under
 * the old key's name. A record that does not verify with its old key, or
 * names a revoked or hub key, is refused with a warning and changes
 * nothing. Each newly revoked trusted key and each rotation is logged
 * (RELAIS_LOG_WARN). On failure nothing changes.
 */
int relais_trust_apply_catalogue(struct relais_trust_changes *out, relais_home *home,
                                 relais_ctx *ctx, const struct relais_catalogue *cat);

/*
 * The key signer reached from a trusted, unrevoked key through the records
 * (a bundle's, docs/bundle-format.md "manifest.json"), each verified; the
 * trust store is not changed. RELAIS_ESIGNATURE when a record does not
 * verify, names a revoked key, or no chain leads to signer.
 */
int relais_trust_follow_rotations(relais_pubkey **out, relais_home *home, relais_ctx *ctx,
                                  const char *signer, const struct relais_rotation *recs, size_t n);

/*
 * Records what relais_trust_follow_rotations() accepted: trusts each new
 * key under its predecessor's name and records the rotations; source names
 * where they came from ("catalogue", "bundle"). Inside the caller's
 * transaction. *applied (may be NULL) counts the new rotations.
 */
int relais_trust_record_rotations(size_t *applied, relais_home *home, relais_ctx *ctx,
                                  const struct relais_rotation *recs, size_t n, const char *source);

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
