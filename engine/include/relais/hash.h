/* hash.h: SHA-256 of buffers and files, as lower-case hex. */
#ifndef RELAIS_HASH_H
#define RELAIS_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

#define RELAIS_SHA256_HEX 65 /* 64 lower-case hex digits and a NUL */

typedef struct relais_sha256 {
	unsigned char state[256]; /* opaque; large enough for the library's state */
} relais_sha256;

void relais_sha256_init(relais_sha256 *h);
void relais_sha256_update(relais_sha256 *h, const void *data, size_t len);
void relais_sha256_final_hex(relais_sha256 *h, char out[RELAIS_SHA256_HEX]);

/* SHA-256 of a buffer as hex. */
void relais_sha256_hex(char out[RELAIS_SHA256_HEX], const void *data, size_t len);

/*
 * SHA-256 of a whole file as hex, read in chunks; *size_out (when not NULL)
 * gets its size. Returns 0, RELAIS_ENOTFOUND or RELAIS_EIO.
 */
int relais_sha256_file(char out[RELAIS_SHA256_HEX], uint64_t *size_out, relais_ctx *ctx,
                       const char *path);

#define RELAIS_SHA1_HEX 41 /* 40 lower-case hex digits and a NUL */

/* SHA-1 of a buffer as hex: only where a protocol asks for it (xAPI's ETags). */
int relais_sha1_hex(char out[RELAIS_SHA1_HEX], const void *data, size_t len);

/* Whether s is exactly 64 lower-case hex digits. */
int relais_sha256_hex_valid(const char *s);

#endif
