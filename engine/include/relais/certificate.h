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

#define RELAIS_CERTIFICATE_PROGRAMME_MAX 1024 /* bytes of a programme's payload */

/* A course of a programme certificate. */
struct relais_certificate_course {
	char *id;
	char *title; /* "" when the payload had no room for it */
};

/*
 * What a certificate says; the strings are malloc'd (relais_certificate_clear).
 * A course certificate (payload format 1) names one course; a programme
 * certificate (format 2, programme set) a cohort's whole programme: course
 * is the cohort's id, title its name, and courses lists its courses.
 */
struct relais_certificate {
	char key_id[RELAIS_KEYID_HEX]; /* the hub key that signed it */
	uint32_t id;                   /* the hub's number for it */
	int programme;                 /* 1: a cohort's programme (format 2) */
	char *name;                    /* the learner's, "" when unknown */
	char *email;
	char *course; /* the course id, or the cohort's id */
	char *title;  /* the course's title, or the cohort's name */
	uint32_t version;
	uint32_t sessions;                         /* programme: the live sessions attended */
	struct relais_certificate_course *courses; /* programme: its courses */
	size_t n_courses;
	char date[11];    /* YYYY-MM-DD: the day of the completion (programme: of the last one) */
	int score;        /* percent, 0 to 100, or -1 when none (always none for a programme) */
	unsigned minutes; /* estimated minutes (programme: courses' and sessions'), 0 unknown */
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
 * character boundary. A programme's course titles are left out (made "")
 * when its payload would pass RELAIS_CERTIFICATE_PROGRAMME_MAX bytes.
 * Returns 0, RELAIS_EINVAL (a date that is not YYYY-MM-DD, a text that is
 * not UTF-8, a programme of no course or of more than 255), RELAIS_ELIMIT
 * (a programme whose course ids alone do not fit), RELAIS_ENOMEM.
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
 * NULL. Each is checked again as relais_certificate_check does: one that
 * no longer verifies (edited in the database, or its hub key no longer
 * trusted) is left out, and counted in *unverified (when not NULL), so that
 * the learner can be told. Free with relais_certificate_list_free().
 */
int relais_certificate_list(struct relais_stored_certificate **out, size_t *n, size_t *unverified,
                            relais_home *home, relais_ctx *ctx, const char *email);
void relais_certificate_list_free(struct relais_stored_certificate *list, size_t n);

#endif
