/* certificate.c: completion certificates: payload, signature, code, QR code, laptop store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <sodium.h>
#include <sqlite3.h>

#include "home_private.h"
#include "relais/certificate.h"
#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/trust.h"
#include "relais/utf8.h"
#include "relais/util.h"

#define MAGIC0 'R'
#define MAGIC1 'C'
#define FORMAT 1           /* a course certificate */
#define FORMAT_PROGRAMME 2 /* a cohort's programme */
#define HEAD_BYTES 24      /* magic, format, key id, id, version or sessions, day, score, minutes */
#define PAYLOAD_MAX (HEAD_BYTES + 4 * (1 + RELAIS_CERTIFICATE_TEXT_MAX))
#define CHECK_CHARS 4 /* base32 characters of check at the end of a code */
#define GROUP 4       /* characters per group, for reading aloud */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void relais_certificate_clear(struct relais_certificate *c)
{
	if (c == NULL) {
		return;
	}
	free(c->name);
	free(c->email);
	free(c->course);
	free(c->title);
	free(c->code);
	free(c->payload);
	for (size_t i = 0; i < c->n_courses; i++) {
		free(c->courses[i].id);
		free(c->courses[i].title);
	}
	free(c->courses);
	memset(c, 0, sizeof(*c));
}

/* Days since 1970-01-01 of a YYYY-MM-DD date, or -1 (the date checked by relais_time_parse). */
static long day_number(const char *date)
{
	long long ms;

	if (strlen(date) != 10 || date[4] != '-' || date[7] != '-') {
		return -1;
	}
	ms = relais_time_parse(date);
	return ms < 0 ? -1 : (long)(ms / 86400000LL);
}

static void day_text(char out[11], unsigned day)
{
	char iso[32];

	relais_time_format(iso, (long long)day * 86400000LL);
	memcpy(out, iso, 10);
	out[10] = '\0';
}

static void be_store(unsigned char *p, uint32_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint32_t be_load(const unsigned char *p, int bytes)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < bytes; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

/* Length of s cut to at most max bytes at a character boundary. */
static size_t cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max) {
		return n;
	}
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
		n--;
	}
	return n;
}

static int hex_bytes(unsigned char *out, const char *hex, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2X", &v) != 1) {
			return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* The base32 text of data followed by its check characters, grouped, upper case. */
static char *encode(const unsigned char *data, size_t len)
{
	unsigned char check[32];
	size_t bits = len * 8, chars = (bits + 4) / 5, total = chars + CHECK_CHARS, i, o = 0;
	uint32_t chk;
	char *out = malloc(total + total / GROUP + 1);

	if (out == NULL) {
		return NULL;
	}
	crypto_generichash(check, sizeof(check), data, len, NULL, 0);
	chk = be_load(check, 3) >> 4; /* 20 bits */
	for (i = 0; i < total; i++) {
		unsigned v;
		if (i < chars) {
			size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
			unsigned w =
			        (unsigned)data[byte] << 8 | (byte + 1 < len ? data[byte + 1] : 0);
			v = (w >> (11 - shift)) & 31;
		} else {
			v = (chk >> (5 * (total - 1 - i))) & 31;
		}
		if (i > 0 && i % GROUP == 0) {
			out[o++] = '-';
		}
		out[o++] = b32[v];
	}
	out[o] = '\0';
	return out;
}

/* Appends text to p at *len, length first, cut to the limit (p has room for it). */
static void put_text(unsigned char *p, size_t *len, const char *text)
{
	size_t n = cut(text, RELAIS_CERTIFICATE_TEXT_MAX);

	p[(*len)++] = (unsigned char)n;
	memcpy(p + *len, text, n);
	*len += n;
}

/*
 * A programme's courses after the four texts: their count, then each id
 * and title; titles left out when they do not fit in the programme's limit.
 * Returns the new length, or 0 when even the ids do not fit.
 */
static size_t put_courses(unsigned char *p, size_t len, const struct relais_certificate *c)
{
	size_t need = len + 1, i;
	int titles = 1;

	for (i = 0; i < c->n_courses; i++) {
		need += 2 + cut(c->courses[i].id, RELAIS_CERTIFICATE_TEXT_MAX) +
		        cut(c->courses[i].title ? c->courses[i].title : "",
		            RELAIS_CERTIFICATE_TEXT_MAX);
	}
	if (need > RELAIS_CERTIFICATE_PROGRAMME_MAX) {
		titles = 0;
		need = len + 1;
		for (i = 0; i < c->n_courses; i++) {
			need += 2 + cut(c->courses[i].id, RELAIS_CERTIFICATE_TEXT_MAX);
		}
		if (need > RELAIS_CERTIFICATE_PROGRAMME_MAX) {
			return 0;
		}
	}
	p[len++] = (unsigned char)c->n_courses;
	for (i = 0; i < c->n_courses; i++) {
		put_text(p, &len, c->courses[i].id);
		put_text(p, &len, titles && c->courses[i].title ? c->courses[i].title : "");
	}
	return len;
}

int relais_certificate_sign(struct relais_certificate *c, relais_ctx *ctx, const relais_seckey *sec)
{
	const char *texts[4] = {c->name ? c->name : "", c->email ? c->email : "",
	                        c->course ? c->course : "", c->title ? c->title : ""};
	unsigned char *p = NULL, *both = NULL;
	long day = day_number(c->date);
	size_t len = HEAD_BYTES, i;
	int rc = 0;

	free(c->payload);
	free(c->code);
	c->payload = NULL;
	c->code = NULL;
	if (day < 0 || day > 0xffff) {
		return relais_fail(ctx, RELAIS_EINVAL, "certificate date %s is not YYYY-MM-DD",
		                   c->date);
	}
	for (i = 0; i < 4 + (c->programme ? 2 * c->n_courses : 0); i++) {
		const char *t = i < 4 ? texts[i]
		                      : (i % 2 == 0 ? c->courses[(i - 4) / 2].id
		                                    : c->courses[(i - 4) / 2].title);
		if (t != NULL && !relais_utf8_valid(t, strlen(t))) {
			return relais_fail(ctx, RELAIS_EINVAL, "certificate text is not UTF-8");
		}
	}
	if (c->programme && (c->n_courses == 0 || c->n_courses > 255)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "a programme certificate lists 1 to 255 courses");
	}
	/* The four texts always fit in a programme's limit (4 * 256 would not: keep room). */
	if ((p = malloc(PAYLOAD_MAX + RELAIS_CERTIFICATE_PROGRAMME_MAX)) == NULL ||
	    (both = malloc(PAYLOAD_MAX + RELAIS_CERTIFICATE_PROGRAMME_MAX + 64)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	relais_seckey_id(sec, c->key_id);
	p[0] = MAGIC0;
	p[1] = MAGIC1;
	p[2] = c->programme ? FORMAT_PROGRAMME : FORMAT;
	(void)hex_bytes(p + 3, c->key_id, 8);
	be_store(p + 11, c->id, 4);
	be_store(p + 15, c->programme ? c->sessions : c->version, 4);
	be_store(p + 19, (uint32_t)day, 2);
	p[21] = !c->programme && c->score >= 0 && c->score <= 100 ? (unsigned char)c->score : 0xff;
	be_store(p + 22, c->minutes > 0xffff ? 0xffff : c->minutes, 2);
	for (i = 0; i < 4; i++) {
		put_text(p, &len, texts[i]);
	}
	if (c->programme && (len = put_courses(p, len, c)) == 0) {
		rc = relais_fail(ctx, RELAIS_ELIMIT,
		                 "programme certificate: its %zu courses do not fit in %d bytes",
		                 c->n_courses, RELAIS_CERTIFICATE_PROGRAMME_MAX);
		goto out;
	}
	if ((rc = relais_sign_detached(c->sig, sec, p, len)) != 0) {
		rc = relais_fail(ctx, rc, "signing the certificate failed");
		goto out;
	}
	memcpy(both, p, len);
	memcpy(both + len, c->sig, sizeof(c->sig));
	if ((c->code = encode(both, len + sizeof(c->sig))) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	c->payload = p;
	c->payload_len = len;
	p = NULL;
out:
	free(both);
	free(p);
	return rc;
}

/* Reads one length-prefixed text at *at into *out; -1 when it runs past end or is not UTF-8. */
static int take_text(char **out, const unsigned char *p, size_t *at, size_t end)
{
	size_t n;

	if (*at >= end || (n = p[*at]) > end - *at - 1 ||
	    !relais_utf8_valid((const char *)p + *at + 1, n)) {
		return -1;
	}
	if ((*out = malloc(n + 1)) == NULL) {
		return -2;
	}
	memcpy(*out, p + *at + 1, n);
	(*out)[n] = '\0';
	*at += 1 + n;
	return 0;
}

/* A programme's courses at *at: their count (at least one), then each id and title. */
static int take_courses(struct relais_certificate *out, const unsigned char *p, size_t *at,
                        size_t end)
{
	size_t n;
	int t;

	if (*at >= end || (n = p[(*at)++]) == 0) {
		return -1;
	}
	if ((out->courses = calloc(n, sizeof(*out->courses))) == NULL) {
		return -2;
	}
	for (; out->n_courses < n; out->n_courses++) {
		struct relais_certificate_course *k = &out->courses[out->n_courses];
		if ((t = take_text(&k->id, p, at, end)) != 0 ||
		    (t = take_text(&k->title, p, at, end)) != 0) {
			out->n_courses++; /* cleared with what it holds */
			return t;
		}
	}
	return 0;
}

int relais_certificate_decode(struct relais_certificate *out, relais_ctx *ctx, const char *code)
{
	unsigned char *bytes = NULL, check[32];
	char *digits = NULL;
	size_t n = 0, i, nbytes, len, at;
	uint32_t acc = 0, chk = 0;
	int bits = 0, rc = 0, t;

	memset(out, 0, sizeof(*out));
	if (strlen(code) > RELAIS_CERTIFICATE_CODE_MAX) {
		return relais_fail(ctx, RELAIS_EFORMAT, "certificate code too long");
	}
	if ((digits = malloc(strlen(code) + 1)) == NULL ||
	    (bytes = malloc(strlen(code) + 1)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; code[i]; i++) {
		const char *hit;
		char ch = code[i];
		if (ch == ' ' || ch == '-' || ch == '\n' || ch == '\r' || ch == '\t') {
			continue;
		}
		if (ch >= 'a' && ch <= 'z') {
			ch = (char)(ch - 'a' + 'A');
		}
		if ((hit = strchr(b32, ch)) == NULL || ch == '\0') {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "certificate code: character %zu is not part of a code",
			                 i + 1);
			goto out;
		}
		digits[n++] = (char)(hit - b32);
	}
	if (n <= CHECK_CHARS + (HEAD_BYTES * 8) / 5) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "certificate code too short");
		goto out;
	}
	n -= CHECK_CHARS;
	nbytes = n * 5 / 8;
	for (i = 0, len = 0; i < n; i++) {
		acc = (acc << 5) | (uint32_t)digits[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			bytes[len++] = (unsigned char)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	for (i = 0; i < CHECK_CHARS; i++) {
		chk = (chk << 5) | (uint32_t)digits[n + i];
	}
	crypto_generichash(check, sizeof(check), bytes, nbytes, NULL, 0);
	if (acc != 0 || bits >= 5 || (be_load(check, 3) >> 4) != chk) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "certificate code mistyped: its check letters do not match");
		goto out;
	}
	if (nbytes < HEAD_BYTES + 4 + RELAIS_SIGNATURE_BYTES || bytes[0] != MAGIC0 ||
	    bytes[1] != MAGIC1 || (bytes[2] != FORMAT && bytes[2] != FORMAT_PROGRAMME)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "not a certificate code (format %d)",
		                 nbytes > 2 ? bytes[2] : 0);
		goto out;
	}
	len = nbytes - RELAIS_SIGNATURE_BYTES;
	for (i = 0; i < 8; i++) {
		(void)snprintf(out->key_id + 2 * i, 3, "%02X", bytes[3 + i]);
	}
	out->id = be_load(bytes + 11, 4);
	out->programme = bytes[2] == FORMAT_PROGRAMME;
	if (out->programme) {
		out->sessions = be_load(bytes + 15, 4);
	} else {
		out->version = be_load(bytes + 15, 4);
	}
	day_text(out->date, be_load(bytes + 19, 2));
	out->score = bytes[21] <= 100 ? bytes[21] : -1;
	out->minutes = be_load(bytes + 22, 2);
	at = HEAD_BYTES;
	if ((t = take_text(&out->name, bytes, &at, len)) != 0 ||
	    (t = take_text(&out->email, bytes, &at, len)) != 0 ||
	    (t = take_text(&out->course, bytes, &at, len)) != 0 ||
	    (t = take_text(&out->title, bytes, &at, len)) != 0 ||
	    (out->programme && (t = take_courses(out, bytes, &at, len)) != 0) || at != len) {
		rc = t == -2 ? relais_fail(ctx, RELAIS_ENOMEM, "out of memory")
		             : relais_fail(ctx, RELAIS_EFORMAT,
		                           "not a certificate code (bad layout)");
		goto out;
	}
	memcpy(out->sig, bytes + len, RELAIS_SIGNATURE_BYTES);
	if ((out->code = encode(bytes, nbytes)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	out->payload = bytes;
	out->payload_len = len;
	bytes = NULL;
out:
	if (rc != 0) {
		relais_certificate_clear(out);
	}
	free(digits);
	free(bytes);
	return rc;
}

int relais_certificate_verify(relais_ctx *ctx, const struct relais_certificate *c,
                              const relais_pubkey *pub)
{
	char id[RELAIS_KEYID_HEX];

	relais_pubkey_id(pub, id);
	if (strcmp(id, c->key_id) != 0) {
		return relais_fail(ctx, RELAIS_ESIGNATURE, "certificate signed by another key (%s)",
		                   c->key_id);
	}
	if (relais_verify_detached(pub, c->payload, c->payload_len, c->sig) != 0) {
		return relais_fail(ctx, RELAIS_ESIGNATURE,
		                   "certificate signature does not verify: it was altered");
	}
	return 0;
}

void relais_certificate_hours(char out[16], const struct relais_certificate *c)
{
	unsigned tenths = (c->minutes * 10 + 30) / 60;

	if (c->minutes == 0) {
		out[0] = '\0';
	} else if (tenths % 10 == 0) {
		(void)snprintf(out, 16, "%u", tenths / 10);
	} else {
		(void)snprintf(out, 16, "%u.%u", tenths / 10, tenths % 10);
	}
}

int relais_certificate_qr_svg(char **out, relais_ctx *ctx, const char *text)
{
	struct relais_strbuf o = {0};
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int x, y, w;

	*out = NULL;
	if (qr == NULL) {
		return relais_fail(ctx, RELAIS_ELIMIT, "text too long for a QR code");
	}
	w = qr->width + 8; /* four modules of quiet zone each side */
	relais_strbuf_printf(&o,
	                     "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" "
	                     "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" role=\"img\" "
	                     "aria-label=\"QR code\"><rect width=\"%d\" height=\"%d\" "
	                     "fill=\"#fff\"/><path fill=\"#000\" d=\"",
	                     w, w, w, w);
	for (y = 0; y < qr->width; y++) {
		for (x = 0; x < qr->width; x++) {
			if (qr->data[y * qr->width + x] & 1) {
				relais_strbuf_printf(&o, "M%d %dh1v1h-1z", x + 4, y + 4);
			}
		}
	}
	relais_strbuf_add(&o, "\"/></svg>");
	QRcode_free(qr);
	return relais_strbuf_finish(out, &o, ctx, "QR code");
}

/* ---- on a laptop ---- */

int relais_certificate_check(struct relais_certificate *out, int *revoked, relais_home *home,
                             relais_ctx *ctx, const char *code)
{
	relais_pubkey *pub = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (revoked != NULL) {
		*revoked = 0;
	}
	if ((rc = relais_certificate_decode(out, ctx, code)) != 0) {
		return rc;
	}
	rc = relais_trust_hub_lookup(&pub, home, ctx, out->key_id);
	if (rc == RELAIS_ESIGNATURE) {
		rc = relais_fail(ctx, rc,
		                 "certificate signed by a hub key this laptop does not trust (%s)",
		                 out->key_id);
	}
	if (rc == 0) {
		rc = relais_certificate_verify(ctx, out, pub);
	}
	if (rc == 0 && revoked != NULL &&
	    (rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT revoked IS NOT NULL FROM certificate "
	                            "WHERE key_id = ? AND id = ?")) == 0) {
		sqlite3_bind_text(st, 1, out->key_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, out->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*revoked = sqlite3_column_int(st, 0);
		}
		sqlite3_finalize(st);
	}
	relais_pubkey_free(pub);
	if (rc != 0) {
		relais_certificate_clear(out);
	}
	return rc;
}

int relais_certificate_store(relais_home *home, relais_ctx *ctx, const char *code,
                             const char *revoked)
{
	struct relais_certificate c;
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	if ((rc = relais_certificate_check(&c, NULL, home, ctx, code)) != 0) {
		return rc;
	}
	relais_now_iso(now);
	rc = relais_db_prepare(
	        &st, home, ctx,
	        "INSERT INTO certificate(key_id, id, email, course_id, code, received, "
	        "revoked) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key_id, id) DO "
	        "UPDATE SET code = excluded.code, revoked = excluded.revoked");
	if (rc == 0) {
		sqlite3_bind_text(st, 1, c.key_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, c.id);
		sqlite3_bind_text(st, 3, c.email, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c.course, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c.code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, revoked, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO,
			                    "storing a certificate");
		}
		sqlite3_finalize(st);
	}
	relais_certificate_clear(&c);
	return rc;
}

void relais_certificate_list_free(struct relais_stored_certificate *list, size_t n)
{
	size_t i;

	for (i = 0; i < n && list != NULL; i++) {
		relais_certificate_clear(&list[i].c);
	}
	free(list);
}

int relais_certificate_list(struct relais_stored_certificate **out, size_t *n, size_t *unverified,
                            relais_home *home, relais_ctx *ctx, const char *email)
{
	struct relais_stored_certificate *list = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if (unverified != NULL) {
		*unverified = 0;
	}
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT code, coalesce(revoked, '') FROM certificate "
	             "WHERE ?1 IS NULL OR email = ?1 ORDER BY received DESC, id DESC")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_stored_certificate *s;
		const char *code = (const char *)sqlite3_column_text(st, 0);
		const char *revoked = (const char *)sqlite3_column_text(st, 1);
		struct relais_certificate c;

		/*
		 * Checked again each time, as when it was stored: a row edited in the
		 * database, or signed by a hub key no longer trusted, is skipped, and counted.
		 */
		rc = relais_certificate_check(&c, NULL, home, ctx, code ? code : "");
		if (rc == RELAIS_EFORMAT || rc == RELAIS_ESIGNATURE) {
			rc = 0;
			if (unverified != NULL) {
				(*unverified)++;
			}
			continue;
		}
		if (rc != 0) {
			break;
		}
		if ((s = relais_push(&list, &count, sizeof(*list))) == NULL) {
			relais_certificate_clear(&c);
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
		s->c = c;
		(void)snprintf(s->revoked, sizeof(s->revoked), "%s", revoked ? revoked : "");
	}
	if (rc == 0 && step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "certificates");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_certificate_list_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return 0;
}
