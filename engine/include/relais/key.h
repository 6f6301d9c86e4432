/* key.h: Ed25519 keys and signatures in minisign's file formats. */
#ifndef RELAIS_KEY_H
#define RELAIS_KEY_H

#include <stddef.h>

#include "relais/context.h"

/* Key ids are printed as 16 upper-case hex digits, as minisign prints them. */
#define RELAIS_KEYID_HEX 17

typedef struct relais_pubkey relais_pubkey;
typedef struct relais_seckey relais_seckey; /* kept in guarded, wiped memory */

/*
 * Asked for the password of an encrypted secret key: fills buf (NUL-terminated,
 * at most size bytes) and returns 0, or a negative status to give up.
 */
typedef int (*relais_password_fn)(void *data, char *buf, size_t size);

/* Initialises the cryptographic library once per process. Returns 0, or RELAIS_ECRYPTO. */
int relais_crypto_init(void);

/* Makes a fresh key pair. Returns 0, or RELAIS_ENOMEM. */
int relais_keypair_generate(relais_pubkey **pub_out, relais_seckey **sec_out, relais_ctx *ctx);

/*
 * Writes a public key file, refusing to replace an existing file
 * (RELAIS_EEXIST). Returns 0 or a negative status.
 */
int relais_pubkey_save(relais_ctx *ctx, const relais_pubkey *pub, const char *path);

/*
 * Writes a secret key file (mode 0600), encrypted with password as minisign
 * does (scrypt), or unencrypted when password is NULL. Refuses to replace an
 * existing file. Returns 0 or a negative status.
 */
int relais_seckey_save(relais_ctx *ctx, const relais_seckey *sec, const char *path,
                       const char *password);

/* Reads a public key from a minisign .pub file. Returns 0 or a negative status. */
int relais_pubkey_load(relais_pubkey **out, relais_ctx *ctx, const char *path);

/*
 * Parses a public key from text: the base64 line alone or a whole .pub file.
 * `name` names the source in messages.
 */
int relais_pubkey_parse(relais_pubkey **out, relais_ctx *ctx, const char *text, size_t len,
                        const char *name);

/*
 * Reads a minisign secret key file. For an encrypted key, calls ask for the
 * password; a wrong password gives RELAIS_EPASSWORD. Returns 0 or a negative
 * status.
 */
int relais_seckey_load(relais_seckey **out, relais_ctx *ctx, const char *path,
                       relais_password_fn ask, void *ask_data);

/* The text of a minisign .pub file for pub (*out, malloc'd). */
int relais_pubkey_text(char **out, relais_ctx *ctx, const relais_pubkey *pub);

/*
 * The text of an unencrypted minisign secret key file for sec (*out,
 * malloc'd: the caller wipes it before freeing), for keys kept where a
 * file is not (a database the user's account alone reads).
 */
int relais_seckey_text(char **out, relais_ctx *ctx, const relais_seckey *sec);

/* Reads back what relais_seckey_text() wrote; `name` names the source in messages. */
int relais_seckey_parse(relais_seckey **out, relais_ctx *ctx, const char *text, size_t len,
                        const char *name);

/* Free a key; accept NULL. Secret keys are wiped. */
void relais_pubkey_free(relais_pubkey *pub);
void relais_seckey_free(relais_seckey *sec);

/* Writes the key id as 16 hex digits and a NUL. */
void relais_pubkey_id(const relais_pubkey *pub, char out[RELAIS_KEYID_HEX]);
void relais_seckey_id(const relais_seckey *sec, char out[RELAIS_KEYID_HEX]);

/* The public half of a secret key. Returns 0, or RELAIS_ENOMEM. */
int relais_seckey_public(relais_pubkey **out, relais_ctx *ctx, const relais_seckey *sec);

/*
 * Signs msg as `minisign -S` does (BLAKE2b-512 prehash, algorithm "ED"),
 * with the given untrusted and trusted comments (one line each). Sets *out to
 * the malloc'd .minisig text and *out_len to its length. Deterministic: the
 * same key, message and comments give the same bytes.
 */
int relais_sign(char **out, size_t *out_len, relais_ctx *ctx, const relais_seckey *sec,
                const void *msg, size_t msg_len, const char *untrusted_comment,
                const char *trusted_comment);

/*
 * Checks a .minisig text against msg and pub: the signature must be by pub's
 * key id, verify, and its trusted comment must verify too. Strict: the text
 * must be in the exact form relais_sign() writes (canonical base64, four
 * lines, final newline). On success and when trusted_out is not NULL, sets it
 * to a malloc'd copy of the trusted comment.
 * Returns 0, RELAIS_EFORMAT (malformed), RELAIS_ESIGNATURE (other key or
 * does not verify), RELAIS_ENOMEM.
 */
int relais_verify(relais_ctx *ctx, const relais_pubkey *pub, const void *msg, size_t msg_len,
                  const char *sig, size_t sig_len, char **trusted_out);

/*
 * relais_verify over a file's bytes, read in parts: any size, constant
 * memory. Returns as relais_verify, or RELAIS_ENOTFOUND, RELAIS_EIO, or
 * RELAIS_EFORMAT (not a regular file), the message naming path.
 */
int relais_verify_file(relais_ctx *ctx, const relais_pubkey *pub, const char *path, const char *sig,
                       size_t sig_len, char **trusted_out);

/*
 * relais_verify over a message given in parts, for bytes that pass by
 * (read from a file while they are used): relais_verifier_new checks the
 * signature's form and key id (failing as relais_verify does),
 * relais_verifier_update adds bytes, relais_verifier_end checks the
 * signature over all of them (once; then only relais_verifier_free).
 */
typedef struct relais_verifier relais_verifier;
int relais_verifier_new(relais_verifier **out, relais_ctx *ctx, const relais_pubkey *pub,
                        const char *sig, size_t sig_len);
void relais_verifier_update(relais_verifier *v, const void *data, size_t len);
int relais_verifier_end(relais_verifier *v, relais_ctx *ctx, char **trusted_out);

/* Frees a verifier; accepts NULL. */
void relais_verifier_free(relais_verifier *v);

/*
 * Reads the key id a .minisig text claims, without verifying anything.
 * Returns 0 or RELAIS_EFORMAT.
 */
int relais_signature_key_id(relais_ctx *ctx, const char *sig, size_t sig_len,
                            char out[RELAIS_KEYID_HEX]);

/* Bytes of a raw Ed25519 signature (relais_sign_detached). */
#define RELAIS_SIGNATURE_BYTES 64

/*
 * A raw Ed25519 signature of msg (no prehash, no comments), for payloads
 * that carry their own framing (certificates, docs/certificates.md).
 * Deterministic. Returns 0 or RELAIS_ECRYPTO.
 */
int relais_sign_detached(unsigned char sig[RELAIS_SIGNATURE_BYTES], const relais_seckey *sec,
                         const void *msg, size_t msg_len);

/* Checks what relais_sign_detached() made: 0, or RELAIS_ESIGNATURE. Sets no message. */
int relais_verify_detached(const relais_pubkey *pub, const void *msg, size_t msg_len,
                           const unsigned char sig[RELAIS_SIGNATURE_BYTES]);

#endif
