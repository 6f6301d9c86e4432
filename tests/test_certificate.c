/* test_certificate.c: certificates signed, coded, read back, and every forgery refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "relais/certificate.h"
#include "relais/error.h"
#include "relais/key.h"

struct fixture {
	relais_ctx *ctx;
	relais_pubkey *pub, *other_pub;
	relais_seckey *sec, *other_sec;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(relais_crypto_init(), 0);
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&f->pub, &f->sec, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&f->other_pub, &f->other_sec, f->ctx), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	relais_pubkey_free(f->pub);
	relais_pubkey_free(f->other_pub);
	relais_seckey_free(f->sec);
	relais_seckey_free(f->other_sec);
	relais_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void sample(struct relais_certificate *c)
{
	memset(c, 0, sizeof(*c));
	c->id = 42;
	c->name = strdup("Aïssata Diallo");
	c->email = strdup("aissata@example.org");
	c->course = strdup("org.example.consular-basics");
	c->title = strdup("Consular basics <1>");
	c->version = 3;
	(void)snprintf(c->date, sizeof(c->date), "2026-11-29");
	c->score = 87;
	c->minutes = 90;
}

/*
 * The code of bytes as docs/certificates.md says, written apart from the
 * engine's encoder: base32 (RFC 4648, no padding), then 4 check characters
 * (the first 20 bits of BLAKE2b-256 of the bytes), in groups of 4.
 */
static char *code_of(const unsigned char *data, size_t len)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char h[32];
	char *plain = calloc(len * 2 + 16, 1), *out = calloc(len * 3 + 32, 1);
	size_t n = 0, i, o = 0;
	uint32_t acc = 0, chk;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			plain[n++] = b32[(acc >> bits) & 31];
		}
	}
	if (bits > 0) {
		plain[n++] = b32[(acc << (5 - bits)) & 31];
	}
	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	chk = ((uint32_t)h[0] << 12) | ((uint32_t)h[1] << 4) | (h[2] >> 4);
	for (i = 0; i < 4; i++) {
		plain[n++] = b32[(chk >> (5 * (3 - i))) & 31];
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0) {
			out[o++] = '-';
		}
		out[o++] = plain[i];
	}
	free(plain);
	return out;
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	struct relais_certificate c, d;
	char hours[16], *again, *lower, *p;

	sample(&c);
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->sec), 0);
	/* Only base32 letters and digits, in groups of four. */
	assert_int_equal(strspn(c.code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-"), strlen(c.code));
	assert_int_equal(c.code[4], '-');

	assert_int_equal(relais_certificate_decode(&d, f->ctx, c.code), 0);
	assert_int_equal(relais_certificate_verify(f->ctx, &d, f->pub), 0);
	assert_string_equal(d.key_id, c.key_id);
	assert_int_equal(d.id, 42);
	assert_string_equal(d.name, "Aïssata Diallo");
	assert_string_equal(d.email, "aissata@example.org");
	assert_string_equal(d.course, "org.example.consular-basics");
	assert_string_equal(d.title, "Consular basics <1>");
	assert_int_equal(d.version, 3);
	assert_string_equal(d.date, "2026-11-29");
	assert_int_equal(d.score, 87);
	relais_certificate_hours(hours, &d);
	assert_string_equal(hours, "1.5");
	assert_string_equal(d.code, c.code);

	/* The code the test writes from the documented format is the engine's. */
	again = malloc(d.payload_len + 64);
	memcpy(again, d.payload, d.payload_len);
	memcpy(again + d.payload_len, d.sig, 64);
	p = code_of((unsigned char *)again, d.payload_len + 64);
	assert_string_equal(p, c.code);
	free(p);
	free(again);
	relais_certificate_clear(&d);

	/* Read aloud and typed back: lower case, spaces for dashes, a line break. */
	lower = strdup(c.code);
	for (p = lower; *p; p++) {
		*p = *p == '-' ? ' ' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	}
	lower[9] = '\n';
	assert_int_equal(relais_certificate_decode(&d, f->ctx, lower), 0);
	assert_int_equal(relais_certificate_verify(f->ctx, &d, f->pub), 0);
	relais_certificate_clear(&d);
	free(lower);

	/* Deterministic: the same certificate signs to the same code. */
	again = strdup(c.code);
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->sec), 0);
	assert_string_equal(again, c.code);
	free(again);

	/* No score, no duration. */
	c.score = -1;
	c.minutes = 0;
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->sec), 0);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, c.code), 0);
	assert_int_equal(d.score, -1);
	relais_certificate_hours(hours, &d);
	assert_string_equal(hours, "");
	relais_certificate_clear(&d);
	relais_certificate_clear(&c);
}

/* A payload changed (a better score) and coded again with good check letters. */
static void tampered_payload(void **state)
{
	struct fixture *f = *state;
	struct relais_certificate c, d;
	unsigned char *bytes;
	char *forged;

	sample(&c);
	c.score = 40;
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->sec), 0);
	bytes = malloc(c.payload_len + 65); /* room for a byte too many, below */
	memcpy(bytes, c.payload, c.payload_len);
	memcpy(bytes + c.payload_len, c.sig, 64);
	bytes[21] = 95; /* the score */
	forged = code_of(bytes, c.payload_len + 64);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, forged), 0);
	assert_int_equal(d.score, 95);
	assert_int_equal(relais_certificate_verify(f->ctx, &d, f->pub), RELAIS_ESIGNATURE);
	assert_string_equal(relais_errmsg(f->ctx),
	                    "certificate signature does not verify: it was altered");
	relais_certificate_clear(&d);
	free(forged);

	/* The signature's last byte changed. */
	bytes[21] = 40;
	bytes[c.payload_len + 63] ^= 1;
	forged = code_of(bytes, c.payload_len + 64);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, forged), 0);
	assert_int_equal(relais_certificate_verify(f->ctx, &d, f->pub), RELAIS_ESIGNATURE);
	relais_certificate_clear(&d);
	free(forged);

	/* Trailing bytes after the title are not a certificate. */
	memmove(bytes + c.payload_len + 1, bytes + c.payload_len, 64);
	bytes[c.payload_len] = 0;
	forged = code_of(bytes, c.payload_len + 65);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, forged), RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(f->ctx), "not a certificate code (bad layout)");
	free(forged);
	free(bytes);
	relais_certificate_clear(&c);
}

static void other_key(void **state)
{
	struct fixture *f = *state;
	struct relais_certificate c, d;

	sample(&c);
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->other_sec), 0);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, c.code), 0);
	assert_int_equal(relais_certificate_verify(f->ctx, &d, f->pub), RELAIS_ESIGNATURE);
	assert_non_null(strstr(relais_errmsg(f->ctx), "certificate signed by another key"));
	assert_int_equal(relais_certificate_verify(f->ctx, &d, f->other_pub), 0);
	relais_certificate_clear(&d);
	relais_certificate_clear(&c);
}

static void typos_refused(void **state)
{
	struct fixture *f = *state;
	struct relais_certificate c, d;
	char *typo;
	size_t i, refused = 0, tries = 0;

	sample(&c);
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->sec), 0);
	typo = strdup(c.code);
	/* One letter misheard, anywhere in the code: the check letters catch it. */
	for (i = 0; typo[i]; i++) {
		char was = typo[i];
		if (was == '-') {
			continue;
		}
		typo[i] = was == 'A' ? 'B' : 'A';
		tries++;
		if (relais_certificate_decode(&d, f->ctx, typo) == RELAIS_EFORMAT) {
			refused++;
		} else {
			relais_certificate_clear(&d);
		}
		typo[i] = was;
	}
	assert_int_equal(refused, tries);
	typo[5] = typo[5] == 'A' ? 'B' : 'A';
	assert_int_equal(relais_certificate_decode(&d, f->ctx, typo), RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(f->ctx),
	                    "certificate code mistyped: its check letters do not match");

	/* Characters outside the alphabet, named by place: 0, 1, 8 and 9 are not in base32. */
	memcpy(typo, c.code, strlen(c.code));
	typo[2] = '0';
	assert_int_equal(relais_certificate_decode(&d, f->ctx, typo), RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(f->ctx),
	                    "certificate code: character 3 is not part of a code");
	typo[2] = '<';
	assert_int_equal(relais_certificate_decode(&d, f->ctx, typo), RELAIS_EFORMAT);

	/* A letter left out, or a group. */
	memcpy(typo, c.code, strlen(c.code) + 1);
	memmove(typo + 7, typo + 8, strlen(typo + 8) + 1);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, typo), RELAIS_EFORMAT);
	memcpy(typo, c.code, strlen(c.code) + 1);
	memmove(typo + 5, typo + 10, strlen(typo + 10) + 1);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, typo), RELAIS_EFORMAT);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, ""), RELAIS_EFORMAT);
	assert_int_equal(relais_certificate_decode(&d, f->ctx, "ABCD-EFGH"), RELAIS_EFORMAT);
	free(typo);
	relais_certificate_clear(&c);
}

static void qr_svg(void **state)
{
	struct fixture *f = *state;
	struct relais_certificate c;
	char *svg = NULL;

	sample(&c);
	assert_int_equal(relais_certificate_sign(&c, f->ctx, f->sec), 0);
	assert_int_equal(relais_certificate_qr_svg(&svg, f->ctx, c.code), 0);
	assert_int_equal(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	/* The finder pattern's top-left corner, after the quiet zone of 4. */
	assert_non_null(strstr(svg, "M4 4h1v1h-1z"));
	assert_non_null(strstr(svg, "</svg>"));
	free(svg);
	relais_certificate_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(round_trip), cmocka_unit_test(tampered_payload),
	        cmocka_unit_test(other_key),  cmocka_unit_test(typos_refused),
	        cmocka_unit_test(qr_svg),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
