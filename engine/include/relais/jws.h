/* jws.h: JSON Web Signatures (RFC 7515, compact form) as xAPI signs statements, and SHA-2 digests.
 */
#ifndef RELAIS_JWS_H
#define RELAIS_JWS_H

#include <stddef.h>

#include "relais/context.h"

#define RELAIS_JWS_MAX (1024u * 1024) /* bytes of one compact JWS */
#define RELAIS_SHA2_HEX_MAX 129       /* SHA-512 in hex and a NUL */

/*
 * Checks a compact JWS (len bytes: header.payload.signature, base64url)
 * as xAPI 1.0.3 (Data 2.6) asks: its header is JSON naming alg RS256,
 * RS384 or RS512; its payload is JSON; and when the header carries an x5c
 * certificate chain, the signature verifies under the first certificate's
 * RSA key (the chain itself is not checked against any authority). Sets
 * *payload (malloc'd, NUL-terminated, the caller frees) and *keyed (1 when
 * a certificate's key verified it, 0 when the header named no key).
 * Returns 0; RELAIS_EFORMAT (malformed, another algorithm, a payload that
 * is not JSON, an unreadable certificate); RELAIS_ESIGNATURE (the
 * signature does not verify); RELAIS_ENOMEM; each with a message on ctx.
 */
int relais_jws_verify(char **payload, int *keyed, relais_ctx *ctx, const char *jws, size_t len);

/*
 * Whether payload (a verified JWS's) is statement (a cJSON object) as xAPI
 * compares statements (relais_xapi_identity), leaving out the attachments
 * (the signature is one of them) and the id when the payload has none.
 * Returns 0, RELAIS_EFORMAT (another statement, or not JSON) or
 * RELAIS_ENOMEM, with a message on ctx.
 */
int relais_jws_statement_matches(relais_ctx *ctx, const void *statement, const char *payload);

/*
 * The SHA-2 digest of data in lower-case hex, of the length hex_len names
 * (56, 64, 96, 128: SHA-224, -256, -384, -512), into out. Returns 0, or
 * RELAIS_EINVAL (another length) or RELAIS_ECRYPTO with a message on ctx.
 */
int relais_sha2_hex(char out[RELAIS_SHA2_HEX_MAX], relais_ctx *ctx, size_t hex_len,
                    const void *data, size_t len);

#endif
