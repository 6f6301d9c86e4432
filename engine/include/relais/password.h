/* password.h: passwords and PINs kept as Argon2id hashes (libsodium). */
#ifndef RELAIS_PASSWORD_H
#define RELAIS_PASSWORD_H

#include <stddef.h>

#include "relais/context.h"

#define RELAIS_PASSWORD_HASH_MAX 128 /* an encoded hash fits, NUL included */

/*
 * Hashes password into out (an encoded Argon2id string with its own salt
 * and costs, at libsodium's interactive limits: about 64 MiB and a tenth of
 * a second). Returns 0, or RELAIS_ECRYPTO when memory runs out.
 */
int relais_password_hash(char out[RELAIS_PASSWORD_HASH_MAX], relais_ctx *ctx, const char *password);

/*
 * 0 when password matches hash; RELAIS_EPASSWORD otherwise. With hash NULL
 * (no such account) it spends the same time on a hash of its own before
 * saying no, so that a guesser cannot tell unknown accounts by the clock.
 */
int relais_password_verify(relais_ctx *ctx, const char *hash, const char *password);

#endif
