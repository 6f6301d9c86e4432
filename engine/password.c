/* password.c: passwords and PINs kept as Argon2id hashes (libsodium). */
#include <string.h>

#include <sodium.h>

#include "relais/error.h"
#include "relais/password.h"

int relais_password_hash(char out[RELAIS_PASSWORD_HASH_MAX], relais_ctx *ctx, const char *password)
{
	_Static_assert(crypto_pwhash_STRBYTES <= RELAIS_PASSWORD_HASH_MAX, "hash size");
	if (crypto_pwhash_str_alg(
	            out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		return relais_fail(ctx, RELAIS_ECRYPTO, "not enough memory to hash a password");
	}
	return 0;
}

int relais_password_verify(relais_ctx *ctx, const char *hash, const char *password)
{
	char dummy[RELAIS_PASSWORD_HASH_MAX];

	if (hash == NULL) {
		(void)relais_password_hash(dummy, ctx, password);
		sodium_memzero(dummy, sizeof(dummy));
		return relais_fail(ctx, RELAIS_EPASSWORD, "wrong name or password");
	}
	if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0) {
		return relais_fail(ctx, RELAIS_EPASSWORD, "wrong name or password");
	}
	return 0;
}
