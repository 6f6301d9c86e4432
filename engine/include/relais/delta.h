/* delta.h: rebuild a newer bundle from an installed one (docs/bundle-format.md, "Deltas"). */
#ifndef RELAIS_DELTA_H
#define RELAIS_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/hash.h"
#include "relais/library.h"

struct relais_delta_info {
	char id[65];
	uint64_t from_version, to_version;
	char from_sha256[RELAIS_SHA256_HEX], to_sha256[RELAIS_SHA256_HEX];
	uint64_t to_size;
};

/*
 * Writes a delta that rebuilds new_bundle from old_bundle (same course id,
 * higher version) to out_path, atomically. *info (when not NULL) describes
 * it. Returns 0 or a negative status with a message.
 */
int relais_delta_build(struct relais_delta_info *info, relais_ctx *ctx, const char *old_bundle,
                       const char *new_bundle, const char *out_path);

/* Reads and checks a delta's header only. */
int relais_delta_read_info(struct relais_delta_info *info, relais_ctx *ctx, const char *delta_path);

/*
 * Rebuilds the new bundle from base_bundle and the delta into out_path
 * (atomically; nothing left on failure), checking the base's SHA-256 before
 * and the result's size and SHA-256 after against the delta's header.
 * Uses memory bounded by the largest entry, not the bundle. The result is
 * not verified as a bundle: install it as usual.
 * Returns 0, RELAIS_EHASH (wrong base, or the result does not rebuild
 * exactly), RELAIS_EFORMAT, RELAIS_ELIMIT, RELAIS_EIO, RELAIS_ENOMEM.
 */
int relais_delta_apply(struct relais_delta_info *info, relais_ctx *ctx, const char *base_bundle,
                       const char *delta_path, const char *out_path);

/*
 * Updates an installed course with a delta: the installed bundle must be
 * the delta's base (else RELAIS_EHASH, "delta is for another base"); the
 * bundle is rebuilt into a temporary file under the home, installed by
 * relais_library_install() (signature, trust, binding, rollback) and the
 * temporary file removed. When the delta's newer version is already
 * installed, nothing is done and out->outcome is RELAIS_UNCHANGED.
 * Returns 0 or a negative status; on failure the library is unchanged.
 */
int relais_delta_install(struct relais_install_result *out, relais_home *home, relais_ctx *ctx,
                         const char *delta_path);

#endif
