/* certificate.h: completion certificates a hub signs and anyone checks offline
 * (docs/certificates.md). */
#ifndef RELAIS_CERTIFICATE_H
#define RELAIS_CERTIFICATE_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/home.h"
#include "relais/key.h"

#define RELAIS_CERTIFICATE_TEXT_MAX 255  /* bytes of a name, email, course id or title */
#define RELAIS_CERTIFICATE_CODE_MAX 4096 /* characters of a code as typed */

/* What a certificate says; the strings are malloc'd (relais_certificate_clear). */
struct relais_certificate {
	char key_id[RELAIS_KEYID_HEX]; /* the hub key that signed it */
	uint32_t id;                   /* the hub's number for it */
	char *name;                    /* the learner's, "" when unknown */
	char *email;
	char *course;
	char *title;
	uint32_t version;
	char date[11];    /* YYYY-MM-DD: the day of the completion */
	int score;        /* percent, 0 to 100, or -1 when none */
	unsigned minutes; /* the course's estimated minutes, 0 when unknown */
	char *code;       /* the code, grouped (relais_certificate_sign/_decode set it) */
	/* The signed bytes and the signature, as decoded. */
	unsigned char *payload;
	size_t payload_len;
	unsigned char sig[RELAIS_SIGNATURE_BYTES];
};

void relais_certificate_clear(struct relais_certificate *c);

/*
 * Signs c with the hub's key sec: sets c->key_id, c->payload, c->sig and
 * c->code. Texts longer than RELAIS_CERTIFICATE_TEXT_MAX are cut at a
 * character boundary. Returns 0, RELAIS_EINVAL (a date that is not
 * YYYY-MM-DD, a text that is not UTF-8), RELAIS_ENOMEM.
 */
int relais_certificate_sign(struct relais_certificate *c, relais_ctx *ctx,
                            const relais_seckey *sec);

/*
 * Reads a code as typed (any case; spaces, dashes and line breaks ignored)
 * into *out, without checking its signature. Returns 0, or RELAIS_EFORMAT
 * with the reason: a character that is not in a code, check letters that do
 * not match (a typo), a payload that is not a certificate.
 */
int relais_certificate_decode(struct relais_certificate *out, relais_ctx *ctx, const char *code);

/* Checks a decoded certificate's signature against pub: 0 or RELAIS_ESIGNATURE (with why). */
int relais_certificate_verify(relais_ctx *ctx, const struct relais_certificate *c,
                              const relais_pubkey *pub);

/*
 * Hours of study as people read them ("1.5"), from c->minutes; "" when
 * unknown.
 */
void relais_certificate_hours(char out[16], const struct relais_certificate *c);

/*
 * The QR code of text as an inline SVG (*out, malloc'd): black modules on
 * white, with the quiet zone, scaled by the page. Returns 0, RELAIS_ENOMEM,
 * RELAIS_ELIMIT (too long for a QR code).
 */
int relais_certificate_qr_svg(char **out, relais_ctx *ctx, const char *text);

/* ---- on a laptop: certificates verified against the trusted hub keys ---- */

/*
 * Decodes code and checks it against the hub keys home trusts. Returns 0,
 * RELAIS_EFORMAT, or RELAIS_ESIGNATURE ("signed by a hub key this laptop
 * does not trust", or altered). *revoked is set to 1 when the hub said at
 * the last sync that it was revoked (revoked may be NULL).
 */
int relais_certificate_check(struct relais_certificate *out, int *revoked, relais_home *home,
                             relais_ctx *ctx, const char *code);

/*
 * Stores a certificate a hub sent (its code), after relais_certificate_check;
 * revoked is the hub's date of revocation or NULL. Storing it again updates
 * its revocation. Returns as relais_certificate_check, or RELAIS_EIO.
 */
int relais_certificate_store(relais_home *home, relais_ctx *ctx, const char *code,
                             const char *revoked);

/* A stored certificate: decoded, with the date the hub revoked it ("" when valid). */
struct relais_stored_certificate {
	struct relais_certificate c;
	char revoked[32];
};

/*
 * The stored certificates, newest first; only email's when email is not
 * NULL. Free with relais_certificate_list_free().
 */
int relais_certificate_list(struct relais_stored_certificate **out, size_t *n, relais_home *home,
                            relais_ctx *ctx, const char *email);
void relais_certificate_list_free(struct relais_stored_certificate *list, size_t n);

#endif
