/* test_key.c: minisign-format keys, signatures and their failure modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/key.h"

static const char msg[] = "{\"format\":1}";

static int give_password(void *data, char *buf, size_t size)
{
	snprintf(buf, size, "%s", (const char *)data);
	return 0;
}

static void sign_and_verify(void **state)
{
	relais_ctx *ctx = NULL;
	relais_pubkey *pub = NULL, *pub2 = NULL;
	relais_seckey *sec = NULL;
	char *sig = NULL, *sig2 = NULL, *trusted = NULL;
	size_t len = 0, len2 = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_keypair_generate(&pub, &sec, ctx), 0);
	assert_int_equal(relais_sign(&sig, &len, ctx, sec, msg, strlen(msg), "u", "relais c 1"), 0);
	assert_int_equal(strncmp(sig, "untrusted comment: u\nRU", 23), 0); /* "ED" */
	assert_non_null(strstr(sig, "\ntrusted comment: relais c 1\n"));
	/* Ed25519 is deterministic: the same input signs to the same bytes. */
	assert_int_equal(relais_sign(&sig2, &len2, ctx, sec, msg, strlen(msg), "u", "relais c 1"),
	                 0);
	assert_int_equal(len, len2);
	assert_memory_equal(sig, sig2, len);

	assert_int_equal(relais_verify(ctx, pub, msg, strlen(msg), sig, len, &trusted), 0);
	assert_string_equal(trusted, "relais c 1");
	assert_int_equal(relais_verify(ctx, pub, "{\"format\":2}", 12, sig, len, NULL),
	                 RELAIS_ESIGNATURE);
	assert_string_equal(relais_errmsg(ctx), "signature does not verify");

	/* The public half derived from the secret key is the same key. */
	assert_int_equal(relais_seckey_public(&pub2, ctx, sec), 0);
	assert_int_equal(relais_verify(ctx, pub2, msg, strlen(msg), sig, len, NULL), 0);

	/* Altering the trusted comment breaks the global signature. */
	char *tc = strstr(sig, "relais c 1\n");
	tc[7] = 'd';
	assert_int_equal(relais_verify(ctx, pub, msg, strlen(msg), sig, len, NULL),
	                 RELAIS_ESIGNATURE);
	assert_string_equal(relais_errmsg(ctx), "trusted comment signature does not verify");

	free(sig);
	free(sig2);
	free(trusted);
	relais_pubkey_free(pub);
	relais_pubkey_free(pub2);
	relais_seckey_free(sec);
	relais_ctx_free(ctx);
}

static void other_key_is_named(void **state)
{
	relais_ctx *ctx = NULL;
	relais_pubkey *pub = NULL, *other = NULL;
	relais_seckey *sec = NULL, *other_sec = NULL;
	char *sig = NULL, id[RELAIS_KEYID_HEX], want[80];
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_keypair_generate(&pub, &sec, ctx), 0);
	assert_int_equal(relais_keypair_generate(&other, &other_sec, ctx), 0);
	assert_int_equal(relais_sign(&sig, &len, ctx, sec, msg, strlen(msg), "u", "t"), 0);
	assert_int_equal(relais_verify(ctx, other, msg, strlen(msg), sig, len, NULL),
	                 RELAIS_ESIGNATURE);
	relais_pubkey_id(pub, id);
	snprintf(want, sizeof(want), "signed by another key (%s, expected ", id);
	assert_non_null(strstr(relais_errmsg(ctx), want));
	assert_int_equal(relais_signature_key_id(ctx, sig, len, id), 0);
	free(sig);
	relais_pubkey_free(pub);
	relais_pubkey_free(other);
	relais_seckey_free(sec);
	relais_seckey_free(other_sec);
	relais_ctx_free(ctx);
}

static void malformed_signatures(void **state)
{
	static const char *bad[] = {
	        "",
	        "untrusted comment: u\n",
	        "untrusted comment: u\nRUQ\ntrusted comment: t\nAAAA\n",
	        "not a comment\nRUQAAAA\ntrusted comment: t\nAAAA\n",
	};
	relais_ctx *ctx = NULL;
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	char *sig = NULL;
	size_t len = 0, i;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_keypair_generate(&pub, &sec, ctx), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        relais_verify(ctx, pub, msg, strlen(msg), bad[i], strlen(bad[i]), NULL),
		        RELAIS_EFORMAT);
		assert_string_equal(relais_errmsg(ctx), "malformed signature");
	}
	/* A signature without its final newline is not the canonical form. */
	assert_int_equal(relais_sign(&sig, &len, ctx, sec, msg, strlen(msg), "u", "t"), 0);
	assert_int_equal(relais_verify(ctx, pub, msg, strlen(msg), sig, len - 1, NULL),
	                 RELAIS_EFORMAT);
	free(sig);
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	relais_ctx_free(ctx);
}

static void key_files_round_trip(void **state)
{
	char *dir = craft_tmpdir(), p_pub[512], p_sec[512], p_enc[512];
	relais_ctx *ctx = NULL;
	relais_pubkey *pub = NULL, *loaded = NULL;
	relais_seckey *sec = NULL, *sec_loaded = NULL;
	char id1[RELAIS_KEYID_HEX], id2[RELAIS_KEYID_HEX];
	char *sig = NULL;
	size_t len = 0;

	snprintf(p_pub, sizeof(p_pub), "%s/k.pub", dir);
	snprintf(p_sec, sizeof(p_sec), "%s/k.key", dir);
	snprintf(p_enc, sizeof(p_enc), "%s/enc.key", dir);
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_keypair_generate(&pub, &sec, ctx), 0);
	assert_int_equal(relais_pubkey_save(ctx, pub, p_pub), 0);
	assert_int_equal(relais_seckey_save(ctx, sec, p_sec, NULL), 0);
	/* Never overwrite a key. */
	assert_int_equal(relais_pubkey_save(ctx, pub, p_pub), RELAIS_EEXIST);
	assert_int_equal(relais_seckey_save(ctx, sec, p_sec, NULL), RELAIS_EEXIST);

	assert_int_equal(relais_pubkey_load(&loaded, ctx, p_pub), 0);
	relais_pubkey_id(pub, id1);
	relais_pubkey_id(loaded, id2);
	assert_string_equal(id1, id2);
	assert_int_equal(relais_seckey_load(&sec_loaded, ctx, p_sec, NULL, NULL), 0);
	assert_int_equal(relais_sign(&sig, &len, ctx, sec_loaded, msg, strlen(msg), "u", "t"), 0);
	assert_int_equal(relais_verify(ctx, loaded, msg, strlen(msg), sig, len, NULL), 0);
	relais_seckey_free(sec_loaded);
	sec_loaded = NULL;

	/* Password-protected: the right password opens it, a wrong one is named. */
	assert_int_equal(relais_seckey_save(ctx, sec, p_enc, "correct horse"), 0);
	assert_int_equal(relais_seckey_load(&sec_loaded, ctx, p_enc, give_password, "wrong"),
	                 RELAIS_EPASSWORD);
	assert_non_null(strstr(relais_errmsg(ctx), "wrong password"));
	assert_null(sec_loaded);
	assert_int_equal(relais_seckey_load(&sec_loaded, ctx, p_enc, NULL, NULL), RELAIS_EPASSWORD);
	assert_int_equal(
	        relais_seckey_load(&sec_loaded, ctx, p_enc, give_password, "correct horse"), 0);
	relais_seckey_id(sec_loaded, id2);
	assert_string_equal(id1, id2);

	/* A file that is not a key. */
	craft_write(dir, "junk.pub", "untrusted comment: x\nnot base64 at all\n");
	snprintf(p_pub, sizeof(p_pub), "%s/junk.pub", dir);
	relais_pubkey_free(loaded);
	loaded = NULL;
	assert_int_equal(relais_pubkey_load(&loaded, ctx, p_pub), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(ctx), "not a minisign public key"));

	free(sig);
	relais_pubkey_free(pub);
	relais_pubkey_free(loaded);
	relais_seckey_free(sec);
	relais_seckey_free(sec_loaded);
	relais_ctx_free(ctx);
	craft_rmtree(dir);
	free(dir);
}

/* A file, and a message given in parts, verify as the same bytes in one buffer do. */
static void verify_in_parts(void **state)
{
	relais_ctx *ctx = NULL;
	relais_pubkey *pub = NULL, *other = NULL;
	relais_seckey *sec = NULL, *other_sec = NULL;
	relais_verifier *v = NULL;
	char *sig = NULL, *trusted = NULL, *dir = craft_tmpdir(), path[512];
	unsigned char *big = malloc(300000);
	size_t len = 0, i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < 300000; i++) {
		big[i] = (unsigned char)(i * 7 + i / 251);
	}
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_keypair_generate(&pub, &sec, ctx), 0);
	assert_int_equal(relais_keypair_generate(&other, &other_sec, ctx), 0);
	assert_int_equal(relais_sign(&sig, &len, ctx, sec, big, 300000, "u", "parts"), 0);
	craft_write_bytes(dir, "big", big, 300000);
	(void)snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(relais_verify_file(ctx, pub, path, sig, len, &trusted), 0);
	assert_string_equal(trusted, "parts");
	free(trusted);
	assert_int_equal(relais_verify_file(ctx, other, path, sig, len, NULL), RELAIS_ESIGNATURE);

	/* In parts of any size; one byte changed anywhere does not verify. */
	assert_int_equal(relais_verifier_new(&v, ctx, pub, sig, len), 0);
	for (i = 0; i < 300000; i += 4099) {
		relais_verifier_update(v, big + i, i + 4099 > 300000 ? 300000 - i : 4099);
	}
	assert_int_equal(relais_verifier_end(v, ctx, NULL), 0);
	relais_verifier_free(v);
	big[150000] ^= 1;
	craft_write_bytes(dir, "big", big, 300000);
	assert_int_equal(relais_verify_file(ctx, pub, path, sig, len, NULL), RELAIS_ESIGNATURE);
	assert_string_equal(relais_errmsg(ctx), "signature does not verify");
	assert_int_equal(relais_verifier_new(&v, ctx, pub, sig, len), 0);
	relais_verifier_update(v, big, 300000);
	assert_int_equal(relais_verifier_end(v, ctx, NULL), RELAIS_ESIGNATURE);
	relais_verifier_free(v);

	/* A malformed signature fails before the file is read; a missing file is named. */
	assert_int_equal(relais_verify_file(ctx, pub, path, "junk\n", 5, NULL), RELAIS_EFORMAT);
	(void)snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(relais_verify_file(ctx, pub, path, sig, len, NULL), RELAIS_ENOTFOUND);
	assert_non_null(strstr(relais_errmsg(ctx), "absent"));
	assert_int_equal(relais_verify_file(ctx, pub, dir, sig, len, NULL), RELAIS_EFORMAT);

	craft_rmtree(dir);
	free(dir);
	free(sig);
	free(big);
	relais_pubkey_free(pub);
	relais_pubkey_free(other);
	relais_seckey_free(sec);
	relais_seckey_free(other_sec);
	relais_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(sign_and_verify),      cmocka_unit_test(other_key_is_named),
	        cmocka_unit_test(malformed_signatures), cmocka_unit_test(key_files_round_trip),
	        cmocka_unit_test(verify_in_parts),
	};

	if (relais_crypto_init() != 0) {
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
