/* key.c: minisign-compatible Ed25519 key files and signatures (libsodium). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/key.h"

#define KEYNUM_BYTES 8
#define KEY_FILE_MAX 4096
#define SIG_MAX 16384
#define COMMENT_MAX 1024
#define PASSWORD_MAX 1024
#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "

/* Binary layouts, byte for byte as minisign stores them. */
struct pub_bin {
	unsigned char alg[2]; /* "Ed" */
	unsigned char keynum[KEYNUM_BYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

struct sec_bin {
	unsigned char alg[2];     /* "Ed" */
	unsigned char kdf_alg[2]; /* "Sc", or zero when unencrypted */
	unsigned char chk_alg[2]; /* "B2" */
	unsigned char salt[crypto_pwhash_scryptsalsa208sha256_SALTBYTES];
	unsigned char opslimit_le[8];
	unsigned char memlimit_le[8];
	/* The next three are encrypted together when kdf_alg is "Sc". */
	unsigned char keynum[KEYNUM_BYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char chk[crypto_generichash_BYTES];
};

struct sig_bin {
	unsigned char alg[2]; /* "ED": the message is prehashed with BLAKE2b-512 */
	unsigned char keynum[KEYNUM_BYTES];
	unsigned char sig[crypto_sign_BYTES];
};

struct relais_pubkey {
	struct pub_bin bin;
};

struct relais_seckey {
	struct sec_bin bin; /* decrypted */
};

int relais_crypto_init(void)
{
	return sodium_init() < 0 ? RELAIS_ECRYPTO : 0;
}

static void keyid_hex(const unsigned char keynum[KEYNUM_BYTES], char out[RELAIS_KEYID_HEX])
{
	int i;

	/* minisign prints the key number as a little-endian 64-bit integer. */
	for (i = 0; i < KEYNUM_BYTES; i++) {
		(void)snprintf(out + 2 * i, 3, "%02X", keynum[KEYNUM_BYTES - 1 - i]);
	}
	out[16] = '\0';
}

void relais_pubkey_id(const relais_pubkey *pub, char out[RELAIS_KEYID_HEX])
{
	keyid_hex(pub->bin.keynum, out);
}

void relais_seckey_id(const relais_seckey *sec, char out[RELAIS_KEYID_HEX])
{
	keyid_hex(sec->bin.keynum, out);
}

void relais_pubkey_free(relais_pubkey *pub)
{
	free(pub);
}

void relais_seckey_free(relais_seckey *sec)
{
	if (sec != NULL) {
		sodium_free(sec); /* wipes before freeing */
	}
}

static relais_seckey *seckey_alloc(void)
{
	relais_seckey *sec = sodium_malloc(sizeof(*sec));

	if (sec != NULL) {
		sodium_memzero(sec, sizeof(*sec));
	}
	return sec;
}

static void le64_store(unsigned char out[8], uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		out[i] = (unsigned char)(v >> (8 * i));
	}
}

static uint64_t le64_load(const unsigned char in[8])
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		v = (v << 8) | in[i];
	}
	return v;
}

static void seckey_chk(unsigned char chk[crypto_generichash_BYTES], const struct sec_bin *b)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(&st, b->alg, sizeof(b->alg));
	crypto_generichash_update(&st, b->keynum, sizeof(b->keynum));
	crypto_generichash_update(&st, b->sk, sizeof(b->sk));
	crypto_generichash_final(&st, chk, crypto_generichash_BYTES);
}

/* XORs keynum, sk and chk with the scrypt stream of password (both ways). */
static int kdf_xor(relais_ctx *ctx, struct sec_bin *b, const char *password)
{
	const size_t len = KEYNUM_BYTES + crypto_sign_SECRETKEYBYTES + crypto_generichash_BYTES;
	unsigned char *stream = sodium_malloc(len);
	unsigned char *p = b->keynum;
	size_t i;
	int rc = 0;

	if (stream == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory for the key derivation");
	}
	if (crypto_pwhash_scryptsalsa208sha256(stream, len, password, strlen(password), b->salt,
	                                       le64_load(b->opslimit_le),
	                                       (size_t)le64_load(b->memlimit_le)) != 0) {
		rc = relais_fail(ctx, RELAIS_ENOMEM,
		                 "not enough memory for the key derivation this key asks for");
		goto out;
	}
	/* keynum, sk and chk are contiguous in the struct. */
	for (i = 0; i < len; i++) {
		p[i] ^= stream[i];
	}
out:
	sodium_free(stream);
	return rc;
}

int relais_keypair_generate(relais_pubkey **pub_out, relais_seckey **sec_out, relais_ctx *ctx)
{
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;

	*pub_out = NULL;
	*sec_out = NULL;
	pub = calloc(1, sizeof(*pub));
	sec = seckey_alloc();
	if (pub == NULL || sec == NULL) {
		free(pub);
		relais_seckey_free(sec);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(sec->bin.alg, "Ed", 2);
	memcpy(sec->bin.chk_alg, "B2", 2);
	randombytes_buf(sec->bin.keynum, KEYNUM_BYTES);
	crypto_sign_keypair(pub->bin.pk, sec->bin.sk);
	memcpy(pub->bin.alg, "Ed", 2);
	memcpy(pub->bin.keynum, sec->bin.keynum, KEYNUM_BYTES);
	*pub_out = pub;
	*sec_out = sec;
	return 0;
}

int relais_seckey_public(relais_pubkey **out, relais_ctx *ctx, const relais_seckey *sec)
{
	relais_pubkey *pub = calloc(1, sizeof(*pub));

	*out = NULL;
	if (pub == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(pub->bin.alg, "Ed", 2);
	memcpy(pub->bin.keynum, sec->bin.keynum, KEYNUM_BYTES);
	/* An Ed25519 secret key ends with its public key. */
	memcpy(pub->bin.pk, sec->bin.sk + 32, crypto_sign_PUBLICKEYBYTES);
	*out = pub;
	return 0;
}

/* Writes "comment line\nbase64\n" for bin into a malloc'd string. */
static char *key_text(const char *comment, const void *bin, size_t len)
{
	size_t b64len = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	size_t total = strlen(UNTRUSTED_PREFIX) + strlen(comment) + 1 + b64len + 2;
	char *text = sodium_malloc(total);
	int n;

	if (text == NULL) {
		return NULL;
	}
	n = snprintf(text, total, "%s%s\n", UNTRUSTED_PREFIX, comment);
	if (n < 0 || (size_t)n >= total) {
		sodium_free(text);
		return NULL;
	}
	sodium_bin2base64(text + n, total - (size_t)n, (const unsigned char *)bin, len,
	                  sodium_base64_VARIANT_ORIGINAL);
	n += (int)strlen(text + n);
	text[n] = '\n';
	text[n + 1] = '\0';
	return text;
}

int relais_pubkey_save(relais_ctx *ctx, const relais_pubkey *pub, const char *path)
{
	char comment[64];
	char id[RELAIS_KEYID_HEX];
	char *text;
	int rc;

	relais_pubkey_id(pub, id);
	(void)snprintf(comment, sizeof(comment), "minisign public key %s", id);
	text = key_text(comment, &pub->bin, sizeof(pub->bin));
	if (text == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = relais_file_write_atomic(ctx, path, text, strlen(text), 0644, 1);
	sodium_free(text);
	return rc;
}

int relais_seckey_save(relais_ctx *ctx, const relais_seckey *sec, const char *path,
                       const char *password)
{
	struct sec_bin *b = NULL;
	char *text = NULL;
	int rc;

	b = sodium_malloc(sizeof(*b));
	if (b == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(b, &sec->bin, sizeof(*b));
	if (password != NULL) {
		memcpy(b->kdf_alg, "Sc", 2);
		randombytes_buf(b->salt, sizeof(b->salt));
		/* The same cost minisign -G chooses. */
		le64_store(b->opslimit_le, crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE);
		le64_store(b->memlimit_le, crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE);
		seckey_chk(b->chk, b);
		rc = kdf_xor(ctx, b, password);
		if (rc != 0) {
			goto out;
		}
	} else {
		/* minisign -W leaves the KDF fields and the checksum zero. */
		memset(b->kdf_alg, 0, sizeof(b->kdf_alg));
		memset(b->salt, 0, sizeof(b->salt));
		memset(b->opslimit_le, 0, 8);
		memset(b->memlimit_le, 0, 8);
		memset(b->chk, 0, sizeof(b->chk));
	}
	text = key_text("minisign encrypted secret key", b, sizeof(*b));
	if (text == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	rc = relais_file_write_atomic(ctx, path, text, strlen(text), 0600, 1);
out:
	if (text != NULL) {
		sodium_free(text);
	}
	sodium_free(b);
	return rc;
}

/*
 * Finds the base64 line of a key file: the line after an "untrusted
 * comment:" line, or the whole text when it is a single line. Returns its
 * start and sets *len, or NULL.
 */
static const char *key_line(const char *text, size_t len, size_t *line_len)
{
	const char *p = text, *end = text + len, *nl;

	if (len >= strlen(UNTRUSTED_PREFIX) &&
	    memcmp(text, UNTRUSTED_PREFIX, strlen(UNTRUSTED_PREFIX)) == 0) {
		nl = memchr(text, '\n', len);
		if (nl == NULL) {
			return NULL;
		}
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*line_len = (size_t)((nl ? nl : end) - p);
	while (*line_len > 0 && (p[*line_len - 1] == '\r' || p[*line_len - 1] == ' ')) {
		(*line_len)--;
	}
	return p;
}

/* Decodes exactly want bytes of base64 into bin. Returns 0 or -1. */
static int b64_exact(void *bin, size_t want, const char *b64, size_t b64_len)
{
	size_t got = 0;

	if (sodium_base642bin(bin, want, b64, b64_len, NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		return -1;
	}
	return got == want ? 0 : -1;
}

int relais_pubkey_parse(relais_pubkey **out, relais_ctx *ctx, const char *text, size_t len,
                        const char *name)
{
	relais_pubkey *pub = NULL;
	const char *line;
	size_t line_len = 0;

	*out = NULL;
	line = key_line(text, len, &line_len);
	pub = calloc(1, sizeof(*pub));
	if (pub == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (line == NULL || b64_exact(&pub->bin, sizeof(pub->bin), line, line_len) != 0) {
		free(pub);
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: not a minisign public key", name);
	}
	if (memcmp(pub->bin.alg, "Ed", 2) != 0) {
		free(pub);
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: unsupported key algorithm", name);
	}
	*out = pub;
	return 0;
}

int relais_pubkey_load(relais_pubkey **out, relais_ctx *ctx, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = relais_file_read(&text, &len, ctx, path, KEY_FILE_MAX);
	if (rc == RELAIS_ELIMIT) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a minisign public key (too large)",
		                 path);
	} else if (rc == 0) {
		rc = relais_pubkey_parse(out, ctx, text, len, path);
	}
	free(text);
	return rc;
}

int relais_seckey_load(relais_seckey **out, relais_ctx *ctx, const char *path,
                       relais_password_fn ask, void *ask_data)
{
	unsigned char chk[crypto_generichash_BYTES];
	relais_seckey *sec = NULL;
	char *password = NULL;
	char *text = NULL;
	const char *line;
	size_t len = 0, line_len = 0;
	int rc;

	*out = NULL;
	rc = relais_file_read(&text, &len, ctx, path, KEY_FILE_MAX);
	if (rc != 0) {
		goto out;
	}
	sec = seckey_alloc();
	if (sec == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	line = key_line(text, len, &line_len);
	if (line == NULL || b64_exact(&sec->bin, sizeof(sec->bin), line, line_len) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a minisign secret key", path);
		goto out;
	}
	if (memcmp(sec->bin.alg, "Ed", 2) != 0 || memcmp(sec->bin.chk_alg, "B2", 2) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: unsupported key algorithm", path);
		goto out;
	}
	if (memcmp(sec->bin.kdf_alg, "Sc", 2) == 0) {
		if (ask == NULL) {
			rc = relais_fail(ctx, RELAIS_EPASSWORD,
			                 "%s: the key is encrypted and no password was given",
			                 path);
			goto out;
		}
		password = sodium_malloc(PASSWORD_MAX);
		if (password == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		rc = ask(ask_data, password, PASSWORD_MAX);
		if (rc != 0) {
			rc = relais_fail(ctx, rc, "%s: no password given", path);
			goto out;
		}
		if (le64_load(sec->bin.memlimit_le) > (1ULL << 32) ||
		    le64_load(sec->bin.opslimit_le) > (1ULL << 34)) {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "%s: the key's derivation cost is out of range", path);
			goto out;
		}
		rc = kdf_xor(ctx, &sec->bin, password);
		if (rc != 0) {
			goto out;
		}
		seckey_chk(chk, &sec->bin);
		if (sodium_memcmp(chk, sec->bin.chk, sizeof(chk)) != 0) {
			rc = relais_fail(ctx, RELAIS_EPASSWORD, "%s: wrong password", path);
			goto out;
		}
	} else if (sec->bin.kdf_alg[0] != 0 || sec->bin.kdf_alg[1] != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: unsupported key encryption", path);
		goto out;
	}
	*out = sec;
	sec = NULL;
out:
	if (password != NULL) {
		sodium_free(password);
	}
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	relais_seckey_free(sec);
	return rc;
}

int relais_pubkey_text(char **out, relais_ctx *ctx, const relais_pubkey *pub)
{
	char comment[64], id[RELAIS_KEYID_HEX], *text;

	*out = NULL;
	relais_pubkey_id(pub, id);
	(void)snprintf(comment, sizeof(comment), "minisign public key %s", id);
	text = key_text(comment, &pub->bin, sizeof(pub->bin));
	if (text == NULL || (*out = strdup(text)) == NULL) {
		if (text != NULL) {
			sodium_free(text);
		}
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	sodium_free(text);
	return 0;
}

int relais_seckey_text(char **out, relais_ctx *ctx, const relais_seckey *sec)
{
	struct sec_bin *b = sodium_malloc(sizeof(*b));
	char *text = NULL;
	size_t len;

	*out = NULL;
	if (b == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(b, &sec->bin, sizeof(*b));
	memset(b->kdf_alg, 0, sizeof(b->kdf_alg)); /* as minisign -W writes it */
	memset(b->salt, 0, sizeof(b->salt));
	memset(b->opslimit_le, 0, 8);
	memset(b->memlimit_le, 0, 8);
	memset(b->chk, 0, sizeof(b->chk));
	text = key_text("minisign encrypted secret key", b, sizeof(*b));
	sodium_free(b);
	if (text == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	len = strlen(text);
	*out = malloc(len + 1);
	if (*out != NULL) {
		memcpy(*out, text, len + 1);
	}
	sodium_free(text); /* wiped */
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

int relais_seckey_parse(relais_seckey **out, relais_ctx *ctx, const char *text, size_t len,
                        const char *name)
{
	relais_seckey *sec = seckey_alloc();
	const char *line;
	size_t line_len = 0;

	*out = NULL;
	if (sec == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	line = key_line(text, len, &line_len);
	if (line == NULL || b64_exact(&sec->bin, sizeof(sec->bin), line, line_len) != 0 ||
	    memcmp(sec->bin.alg, "Ed", 2) != 0 || sec->bin.kdf_alg[0] != 0 ||
	    sec->bin.kdf_alg[1] != 0) {
		relais_seckey_free(sec);
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "%s: not an unencrypted minisign secret key", name);
	}
	*out = sec;
	return 0;
}

static int comment_ok(const char *c)
{
	return strlen(c) < COMMENT_MAX && strpbrk(c, "\r\n") == NULL;
}

int relais_sign(char **out, size_t *out_len, relais_ctx *ctx, const relais_seckey *sec,
                const void *msg, size_t msg_len, const char *untrusted_comment,
                const char *trusted_comment)
{
	unsigned char hash[crypto_generichash_BYTES_MAX];
	unsigned char global[crypto_sign_BYTES];
	unsigned char *gmsg = NULL;
	struct sig_bin sb;
	char b64a[128], b64b[128];
	size_t tlen, total;
	char *text = NULL;
	int n, rc = 0;

	*out = NULL;
	*out_len = 0;
	if (!comment_ok(untrusted_comment) || !comment_ok(trusted_comment)) {
		return relais_fail(ctx, RELAIS_EINVAL, "signature comments must be one short line");
	}
	crypto_generichash(hash, sizeof(hash), msg, msg_len, NULL, 0);
	memcpy(sb.alg, "ED", 2);
	memcpy(sb.keynum, sec->bin.keynum, KEYNUM_BYTES);
	crypto_sign_detached(sb.sig, NULL, hash, sizeof(hash), sec->bin.sk);

	/* The global signature covers the signature and the trusted comment. */
	tlen = strlen(trusted_comment);
	gmsg = malloc(sizeof(sb.sig) + tlen);
	if (gmsg == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(gmsg, sb.sig, sizeof(sb.sig));
	memcpy(gmsg + sizeof(sb.sig), trusted_comment, tlen);
	crypto_sign_detached(global, NULL, gmsg, sizeof(sb.sig) + tlen, sec->bin.sk);

	sodium_bin2base64(b64a, sizeof(b64a), (const unsigned char *)&sb, sizeof(sb),
	                  sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b64b, sizeof(b64b), global, sizeof(global),
	                  sodium_base64_VARIANT_ORIGINAL);
	total = strlen(UNTRUSTED_PREFIX) + strlen(untrusted_comment) + strlen(TRUSTED_PREFIX) +
	        tlen + strlen(b64a) + strlen(b64b) + 5;
	text = malloc(total);
	if (text == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	n = snprintf(text, total, "%s%s\n%s\n%s%s\n%s\n", UNTRUSTED_PREFIX, untrusted_comment, b64a,
	             TRUSTED_PREFIX, trusted_comment, b64b);
	if (n < 0 || (size_t)n >= total) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "signature text too long");
		goto out;
	}
	*out = text;
	*out_len = (size_t)n;
	text = NULL;
out:
	free(text);
	free(gmsg);
	return rc;
}

/* The four lines of a .minisig text, each without its newline. */
struct sig_lines {
	const char *line[4];
	size_t len[4];
};

static int split_sig(struct sig_lines *sl, const char *sig, size_t sig_len)
{
	const char *p = sig, *end = sig + sig_len, *nl;
	int i;

	if (sig_len > SIG_MAX) {
		return -1;
	}
	for (i = 0; i < 4; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			return -1;
		}
		sl->line[i] = p;
		sl->len[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (p != end) {
		return -1;
	}
	if (sl->len[0] < strlen(UNTRUSTED_PREFIX) ||
	    memcmp(sl->line[0], UNTRUSTED_PREFIX, strlen(UNTRUSTED_PREFIX)) != 0 ||
	    sl->len[2] < strlen(TRUSTED_PREFIX) ||
	    memcmp(sl->line[2], TRUSTED_PREFIX, strlen(TRUSTED_PREFIX)) != 0) {
		return -1;
	}
	return 0;
}

/* Decodes base64 and insists it is written the one canonical way. */
static int b64_canonical(void *bin, size_t want, const char *b64, size_t b64_len)
{
	char again[256];

	if (b64_exact(bin, want, b64, b64_len) != 0 || b64_len >= sizeof(again)) {
		return -1;
	}
	sodium_bin2base64(again, sizeof(again), bin, want, sodium_base64_VARIANT_ORIGINAL);
	return strlen(again) == b64_len && memcmp(again, b64, b64_len) == 0 ? 0 : -1;
}

int relais_signature_key_id(relais_ctx *ctx, const char *sig, size_t sig_len,
                            char out[RELAIS_KEYID_HEX])
{
	struct sig_lines sl;
	struct sig_bin sb;

	if (split_sig(&sl, sig, sig_len) != 0 ||
	    b64_canonical(&sb, sizeof(sb), sl.line[1], sl.len[1]) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "malformed signature");
	}
	keyid_hex(sb.keynum, out);
	return 0;
}

/*
 * A signature being checked over a message given in parts: the message's
 * BLAKE2b-512 (minisign's prehash) so far, and what the signature's lines
 * hold. The hash state comes first: libsodium wants it 64-byte aligned.
 */
struct relais_verifier {
	crypto_generichash_state hash;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char global[crypto_sign_BYTES]; /* over gmsg */
	unsigned char *gmsg; /* the signature, then the trusted comment (malloc'd) */
	size_t tlen;         /* the trusted comment's length */
};

/*
 * Starts v for sig (a .minisig text) by pub: checks the text's form, the
 * algorithm and the key id now, the message at finish(). Returns 0,
 * RELAIS_EFORMAT, RELAIS_ESIGNATURE or RELAIS_ENOMEM; v owns nothing on failure.
 */
static int start(struct relais_verifier *v, relais_ctx *ctx, const relais_pubkey *pub,
                 const char *sig, size_t sig_len)
{
	char want_id[RELAIS_KEYID_HEX], got_id[RELAIS_KEYID_HEX];
	struct sig_lines sl;
	struct sig_bin sb;

	v->gmsg = NULL;
	if (split_sig(&sl, sig, sig_len) != 0 ||
	    b64_canonical(&sb, sizeof(sb), sl.line[1], sl.len[1]) != 0 ||
	    b64_canonical(v->global, sizeof(v->global), sl.line[3], sl.len[3]) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "malformed signature");
	}
	if (memcmp(sb.alg, "ED", 2) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "unsupported signature algorithm (relais expects prehashed "
		                   "Ed25519, \"ED\")");
	}
	if (memcmp(sb.keynum, pub->bin.keynum, KEYNUM_BYTES) != 0) {
		keyid_hex(sb.keynum, got_id);
		relais_pubkey_id(pub, want_id);
		return relais_fail(ctx, RELAIS_ESIGNATURE,
		                   "signed by another key (%s, expected %s)", got_id, want_id);
	}
	/* The global signature covers the signature and the trusted comment. */
	v->tlen = sl.len[2] - strlen(TRUSTED_PREFIX);
	v->gmsg = malloc(sizeof(sb.sig) + v->tlen + 1);
	if (v->gmsg == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(v->gmsg, sb.sig, sizeof(sb.sig));
	memcpy(v->gmsg + sizeof(sb.sig), sl.line[2] + strlen(TRUSTED_PREFIX), v->tlen);
	memcpy(v->pk, pub->bin.pk, sizeof(v->pk));
	crypto_generichash_init(&v->hash, NULL, 0, crypto_generichash_BYTES_MAX);
	return 0;
}

/*
 * Ends v: the message hashed so far must be the one signed, and the trusted
 * comment must verify; sets *trusted_out (when not NULL) to a malloc'd copy
 * of it. Frees what v owns, whatever the outcome. Returns 0,
 * RELAIS_ESIGNATURE or RELAIS_ENOMEM.
 */
static int finish(struct relais_verifier *v, relais_ctx *ctx, char **trusted_out)
{
	unsigned char hash[crypto_generichash_BYTES_MAX];
	int rc = 0;

	crypto_generichash_final(&v->hash, hash, sizeof(hash));
	if (crypto_sign_verify_detached(v->gmsg, hash, sizeof(hash), v->pk) != 0) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE, "signature does not verify");
	} else if (crypto_sign_verify_detached(v->global, v->gmsg, crypto_sign_BYTES + v->tlen,
	                                       v->pk) != 0) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "trusted comment signature does not verify");
	} else if (trusted_out != NULL) {
		*trusted_out = strndup((const char *)v->gmsg + crypto_sign_BYTES, v->tlen);
		if (*trusted_out == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	free(v->gmsg);
	v->gmsg = NULL;
	return rc;
}

int relais_verify(relais_ctx *ctx, const relais_pubkey *pub, const void *msg, size_t msg_len,
                  const char *sig, size_t sig_len, char **trusted_out)
{
	struct relais_verifier v;
	int rc;

	if (trusted_out != NULL) {
		*trusted_out = NULL;
	}
	if ((rc = start(&v, ctx, pub, sig, sig_len)) != 0) {
		return rc;
	}
	crypto_generichash_update(&v.hash, msg, msg_len);
	return finish(&v, ctx, trusted_out);
}

int relais_verifier_new(relais_verifier **out, relais_ctx *ctx, const relais_pubkey *pub,
                        const char *sig, size_t sig_len)
{
	relais_verifier *v;
	int rc;

	*out = NULL;
	v = aligned_alloc(_Alignof(relais_verifier), sizeof(*v));
	if (v == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if ((rc = start(v, ctx, pub, sig, sig_len)) != 0) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void relais_verifier_update(relais_verifier *v, const void *data, size_t len)
{
	crypto_generichash_update(&v->hash, data, len);
}

int relais_verifier_end(relais_verifier *v, relais_ctx *ctx, char **trusted_out)
{
	if (trusted_out != NULL) {
		*trusted_out = NULL;
	}
	return finish(v, ctx, trusted_out);
}

void relais_verifier_free(relais_verifier *v)
{
	if (v != NULL) {
		free(v->gmsg);
		free(v);
	}
}

int relais_verify_file(relais_ctx *ctx, const relais_pubkey *pub, const char *path, const char *sig,
                       size_t sig_len, char **trusted_out)
{
	struct relais_verifier v;
	unsigned char buf[65536];
	struct stat st;
	FILE *f = NULL;
	size_t n;
	int rc;

	if (trusted_out != NULL) {
		*trusted_out = NULL;
	}
	if ((rc = start(&v, ctx, pub, sig, sig_len)) != 0) {
		return rc;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		rc = relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                 path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a regular file", path);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		crypto_generichash_update(&v.hash, buf, n);
	}
	if (ferror(f)) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: cannot read it", path);
		goto out;
	}
	rc = finish(&v, ctx, trusted_out);
out:
	if (f != NULL) {
		fclose(f);
	}
	free(v.gmsg); /* NULL once finish() ran */
	return rc;
}

int relais_sign_detached(unsigned char sig[RELAIS_SIGNATURE_BYTES], const relais_seckey *sec,
                         const void *msg, size_t msg_len)
{
	return crypto_sign_detached(sig, NULL, msg, msg_len, sec->bin.sk) == 0 ? 0 : RELAIS_ECRYPTO;
}

int relais_verify_detached(const relais_pubkey *pub, const void *msg, size_t msg_len,
                           const unsigned char sig[RELAIS_SIGNATURE_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, msg_len, pub->bin.pk) == 0 ? 0
	                                                                        : RELAIS_ESIGNATURE;
}
