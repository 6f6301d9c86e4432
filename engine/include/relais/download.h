/* download.h: course downloads in progress, kept in the home so that a cut one resumes. */
#ifndef RELAIS_DOWNLOAD_H
#define RELAIS_DOWNLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "relais/hash.h"
#include "relais/home.h"

/* One download: its file is RELAIS_HOME/downloads/<sha256>.part. */
struct relais_download {
	char sha256[RELAIS_SHA256_HEX]; /* of the whole file, from the catalogue */
	char course_id[65];
	uint64_t version;
	uint64_t size;    /* bytes announced by the catalogue */
	char kind[8];     /* "bundle" or "delta" */
	char started[32]; /* ISO 8601 UTC */
};

/*
 * The path of the download's file (and its folder, made 0700 when missing)
 * into out. Returns 0, RELAIS_ELIMIT or RELAIS_EIO.
 */
int relais_download_path(char *out, size_t size, relais_home *home, relais_ctx *ctx,
                         const char *sha256);

/*
 * Records a download about to start; one already recorded under the same
 * SHA-256 keeps its start time. Returns 0 or a status.
 */
int relais_download_begin(relais_home *home, relais_ctx *ctx, const struct relais_download *d);

/* Forgets a download and removes its file; accepts one not recorded. */
int relais_download_end(relais_home *home, relais_ctx *ctx, const char *sha256);

/* Downloads recorded, oldest first; free with free(). */
int relais_download_list(struct relais_download **out, size_t *n, relais_home *home,
                         relais_ctx *ctx);

#endif
