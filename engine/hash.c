/* hash.c: SHA-256 of buffers and files (libsodium). */
#include "relais/hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "relais/error.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((relais_sha256 *)0)->state),
               "relais_sha256 too small for the library's state");

static crypto_hash_sha256_state *state_of(relais_sha256 *h)
{
	return (crypto_hash_sha256_state *)(void *)h->state;
}

void relais_sha256_init(relais_sha256 *h)
{
	crypto_hash_sha256_init(state_of(h));
}

void relais_sha256_update(relais_sha256 *h, const void *data, size_t len)
{
	crypto_hash_sha256_update(state_of(h), data, len);
}

static void to_hex(char out[RELAIS_SHA256_HEX], const unsigned char sum[32])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = digits[sum[i] >> 4];
		out[2 * i + 1] = digits[sum[i] & 15];
	}
	out[64] = '\0';
}

void relais_sha256_final_hex(relais_sha256 *h, char out[RELAIS_SHA256_HEX])
{
	unsigned char sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(state_of(h), sum);
	to_hex(out, sum);
}

void relais_sha256_hex(char out[RELAIS_SHA256_HEX], const void *data, size_t len)
{
	unsigned char sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(sum, data, len);
	to_hex(out, sum);
}

int relais_sha256_file(char out[RELAIS_SHA256_HEX], uint64_t *size_out, relais_ctx *ctx,
                       const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                   path, strerror(errno));
	}
	relais_sha256 h;
	relais_sha256_init(&h);
	unsigned char buf[1 << 16];
	uint64_t total = 0;
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		relais_sha256_update(&h, buf, n);
		total += n;
	}
	int failed = ferror(f);
	(void)fclose(f);
	if (failed) {
		return relais_fail(ctx, RELAIS_EIO, "%s: read failed", path);
	}
	relais_sha256_final_hex(&h, out);
	if (size_out != NULL) {
		*size_out = total;
	}
	return 0;
}

int relais_sha1_hex(char out[RELAIS_SHA1_HEX], const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha1(), NULL) != 1 || n != 20) {
		out[0] = '\0';
		return RELAIS_ECRYPTO;
	}
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[40] = '\0';
	return 0;
}

int relais_sha256_hex_valid(const char *s)
{
	size_t i = 0;
	for (; s[i] != '\0'; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return i == 64;
}
