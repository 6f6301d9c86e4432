/* bundle.h: open a signed course bundle in place and read its entries. */
#ifndef RELAIS_BUNDLE_H
#define RELAIS_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/key.h"
#include "relais/manifest.h"

#define RELAIS_BUNDLE_MANIFEST "manifest.json"
#define RELAIS_BUNDLE_SIGNATURE "manifest.json.minisig"
#define RELAIS_BUNDLE_UNTRUSTED_COMMENT "relais bundle signature"

typedef struct relais_bundle relais_bundle;

/*
 * Opens the bundle at path and checks, without reading any content entry:
 * the archive's whole structure, that manifest.json and its signature come
 * first, that the signature is by key and verifies, that the manifest is
 * valid, and that the archive holds exactly the entries the manifest lists,
 * each with its listed size.
 *
 * key may be NULL only to inspect an untrusted bundle: then the signature is
 * not checked and nothing read from it may be trusted.
 *
 * Returns 0, or RELAIS_ENOTFOUND, RELAIS_EIO, RELAIS_EFORMAT, RELAIS_ELIMIT,
 * RELAIS_ESIGNATURE, RELAIS_ENOMEM with a message naming the entry or field.
 */
int relais_bundle_open(relais_bundle **out, relais_ctx *ctx, const char *path,
                       const relais_pubkey *key);

/* Frees a bundle; accepts NULL. */
void relais_bundle_free(relais_bundle *b);

/* The manifest; borrowed until relais_bundle_free(). */
const relais_manifest *relais_bundle_manifest(const relais_bundle *b);

/* The key id the signature names (verified only when opened with a key). */
const char *relais_bundle_signer(const relais_bundle *b);

/*
 * Reads one entry into *out (malloc'd, NUL-terminated for convenience, the
 * NUL not counted in *out_len), after checking it against its size and
 * SHA-256. Nothing is returned unless every byte checks out.
 * Returns 0, RELAIS_ENOTFOUND, RELAIS_EHASH, RELAIS_EFORMAT, RELAIS_ELIMIT,
 * RELAIS_EIO, RELAIS_ENOMEM. Safe to call from several threads.
 */
int relais_bundle_read(unsigned char **out, size_t *out_len, relais_ctx *ctx,
                       const relais_bundle *b, const char *path);

/*
 * Reads and checks every entry, using up to `threads` threads.
 * Returns 0 or the first failure (its message names the entry).
 */
int relais_bundle_verify_all(relais_ctx *ctx, const relais_bundle *b, int threads);

/*
 * Checks one entry against its size and SHA-256, streaming it through the
 * hash (constant memory, nothing kept). Returns 0 or as relais_bundle_read().
 */
int relais_bundle_check(relais_ctx *ctx, const relais_bundle *b, const char *path);

/* Where an entry's bytes lie in the bundle file, as stored. */
struct relais_bundle_span {
	int fd;                    /* the bundle's file, borrowed until relais_bundle_free() */
	unsigned long long offset; /* of the stored bytes (raw deflate when deflated) */
	unsigned long long stored_len;
	unsigned long long size; /* once inflated */
	uint32_t crc32;          /* of the inflated bytes */
	int deflated;
	size_t index; /* in the manifest's entries */
};

/*
 * Finds an entry's stored bytes, checking its local header. The bytes are
 * NOT checked: only send them after relais_bundle_check() passed for this
 * entry and while relais_bundle_changed() says 0.
 * Returns 0, RELAIS_ENOTFOUND, RELAIS_EFORMAT, RELAIS_EIO.
 */
int relais_bundle_span(struct relais_bundle_span *out, relais_ctx *ctx, const relais_bundle *b,
                       const char *path);

/*
 * Reads an entry like relais_bundle_read(), inflating in one go and checking
 * only its size and CRC-32: for an entry relais_bundle_check() (or
 * relais_bundle_read()) passed, while relais_bundle_changed() says 0.
 */
int relais_bundle_reread(unsigned char **out, size_t *out_len, relais_ctx *ctx,
                         const relais_bundle *b, const char *path);

/* 1 when the open file was written, replaced in place or cannot be seen since it was opened. */
int relais_bundle_changed(const relais_bundle *b);

/* Size of the bundle file in bytes. */
unsigned long long relais_bundle_file_size(const relais_bundle *b);

#endif
