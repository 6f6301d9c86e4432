/* test_jws.c: signed xAPI statements: JWS RS256/384/512 with an x5c certificate, forgeries refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "relais/error.h"
#include "relais/jws.h"

#define STATEMENT                                                                                  \
	"{\"id\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\",\"actor\":{\"mbox\":\"mailto:a@example." \
	"org\"},"                                                                                  \
	"\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/experienced\"},"                        \
	"\"object\":{\"id\":\"http://example.org/a\"}}"

struct keys {
	EVP_PKEY *signer, *other;
	X509 *signer_cert, *other_cert;
};

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name;

	assert_non_null(cert);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1,
	                           0);
	X509_set_issuer_name(cert, name);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	return cert;
}

static int setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	k->signer = EVP_RSA_gen(2048);
	k->other = EVP_RSA_gen(2048);
	assert_non_null(k->signer);
	assert_non_null(k->other);
	k->signer_cert = self_signed(k->signer);
	k->other_cert = self_signed(k->other);
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	X509_free(k->signer_cert);
	X509_free(k->other_cert);
	EVP_PKEY_free(k->signer);
	EVP_PKEY_free(k->other);
	free(k);
	return 0;
}

static void b64(char *out, size_t size, const void *data, size_t len, int variant)
{
	assert_true(sodium_base64_ENCODED_LEN(len, variant) <= size);
	sodium_bin2base64(out, size, data, len, variant);
}

/* A compact JWS of payload signed by key with alg (header names cert in x5c when not NULL). */
static char *sign(const char *alg, const char *payload, EVP_PKEY *key, X509 *cert)
{
	static char header[8192], signing[16384], out[20000];
	char h64[12000], p64[4096], s64[1024], der64[4096];
	unsigned char der[4096], *dp = der, sig[1024];
	size_t sig_len = sizeof(sig);
	const EVP_MD *md = strcmp(alg, "RS384") == 0   ? EVP_sha384()
	                   : strcmp(alg, "RS512") == 0 ? EVP_sha512()
	                                               : EVP_sha256();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int der_len;

	if (cert != NULL) {
		der_len = i2d_X509(cert, &dp);
		assert_true(der_len > 0 && (size_t)der_len < sizeof(der));
		b64(der64, sizeof(der64), der, (size_t)der_len, sodium_base64_VARIANT_ORIGINAL);
		(void)snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"x5c\":[\"%s\"]}", alg,
		               der64);
	} else {
		(void)snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", alg);
	}
	b64(h64, sizeof(h64), header, strlen(header), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	b64(p64, sizeof(p64), payload, strlen(payload), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	(void)snprintf(signing, sizeof(signing), "%s.%s", h64, p64);
	assert_int_equal(EVP_DigestSignInit(mctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(mctx, sig, &sig_len, (const unsigned char *)signing,
	                                strlen(signing)),
	                 1);
	EVP_MD_CTX_free(mctx);
	b64(s64, sizeof(s64), sig, sig_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	(void)snprintf(out, sizeof(out), "%s.%s", signing, s64);
	return out;
}

static int verify(char **payload, int *keyed, relais_ctx **ctx, const char *jws)
{
	assert_int_equal(relais_ctx_new(ctx), 0);
	return relais_jws_verify(payload, keyed, *ctx, jws, strlen(jws));
}

static void each_rs_algorithm_verifies_with_its_certificate(void **state)
{
	static const char *const algs[] = {"RS256", "RS384", "RS512"};
	struct keys *k = *state;
	size_t i;

	for (i = 0; i < 3; i++) {
		relais_ctx *ctx = NULL;
		char *payload = NULL;
		int keyed = -1;
		assert_int_equal(verify(&payload, &keyed, &ctx,
		                        sign(algs[i], STATEMENT, k->signer, k->signer_cert)),
		                 0);
		assert_int_equal(keyed, 1);
		assert_string_equal(payload, STATEMENT);
		free(payload);
		relais_ctx_free(ctx);
	}
}

static void signed_with_another_key_is_refused(void **state)
{
	struct keys *k = *state;
	relais_ctx *ctx = NULL;
	char *payload = NULL;
	int keyed = -1;

	/* The header names the other key's certificate; the signer's key signed. */
	assert_int_equal(
	        verify(&payload, &keyed, &ctx, sign("RS256", STATEMENT, k->signer, k->other_cert)),
	        RELAIS_ESIGNATURE);
	assert_null(payload);
	assert_string_equal(relais_errmsg(ctx),
	                    "the JWS signature does not verify with its x5c certificate");
	relais_ctx_free(ctx);
}

static void changed_payload_is_refused(void **state)
{
	struct keys *k = *state;
	relais_ctx *ctx = NULL;
	char *payload = NULL, jws[20000], *dot1, *dot2, other[4096];
	const char *changed = "{\"actor\":{\"mbox\":\"mailto:mallory@example.org\"}}";
	int keyed = -1;

	/* A payload swapped after signing: the signature no longer covers it. */
	(void)snprintf(jws, sizeof(jws), "%s", sign("RS256", STATEMENT, k->signer, k->signer_cert));
	dot1 = strchr(jws, '.');
	dot2 = strchr(dot1 + 1, '.');
	b64(other, sizeof(other), changed, strlen(changed),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	{
		char rebuilt[20000];
		*dot1 = '\0';
		(void)snprintf(rebuilt, sizeof(rebuilt), "%s.%s%s", jws, other, dot2);
		assert_int_equal(verify(&payload, &keyed, &ctx, rebuilt), RELAIS_ESIGNATURE);
	}
	assert_null(payload);
	relais_ctx_free(ctx);
}

static void other_algorithms_and_bad_forms_are_refused(void **state)
{
	static const struct {
		const char *jws, *msg;
	} bad[] = {
	        /* {"alg":"HS256"} . {} . x */
	        {"eyJhbGciOiJIUzI1NiJ9.e30.eA", "the JWS algorithm must be RS256, RS384 or RS512"},
	        /* {"alg":"none"} */
	        {"eyJhbGciOiJub25lIn0.e30.", "the JWS algorithm must be RS256, RS384 or RS512"},
	        {"eyJhbGciOiJSUzI1NiJ9.e30",
	         "the signature is not a JWS in compact form (three parts)"},
	        {"a.b.c.d", "the signature is not a JWS in compact form (three parts)"},
	        {"!!.e30.eA", "the JWS is not base64url"},
	        /* {"alg":"RS256"} . {'actor": (not JSON) . x */
	        {"eyJhbGciOiJSUzI1NiJ9.eydhY3RvciI6.eA", "the JWS payload is not a JSON statement"},
	        /* {"alg":"RS256","x5c":["AAAA"]} */
	        {"eyJhbGciOiJSUzI1NiIsIng1YyI6WyJBQUFBIl19.e30.eA",
	         "the JWS header's first x5c certificate holds no RSA key"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		relais_ctx *ctx = NULL;
		char *payload = NULL;
		int keyed = -1;
		assert_int_equal(verify(&payload, &keyed, &ctx, bad[i].jws), RELAIS_EFORMAT);
		assert_null(payload);
		assert_string_equal(relais_errmsg(ctx), bad[i].msg);
		relais_ctx_free(ctx);
	}
}

static void without_a_certificate_the_form_is_checked(void **state)
{
	struct keys *k = *state;
	relais_ctx *ctx = NULL;
	char *payload = NULL;
	int keyed = -1;

	assert_int_equal(verify(&payload, &keyed, &ctx, sign("RS512", STATEMENT, k->signer, NULL)),
	                 0);
	assert_int_equal(keyed, 0);
	assert_string_equal(payload, STATEMENT);
	free(payload);
	relais_ctx_free(ctx);
}

static void payload_must_be_the_statement(void **state)
{
	relais_ctx *ctx = NULL;
	cJSON *st = cJSON_Parse(STATEMENT);
	cJSON *with_sig = cJSON_Parse(STATEMENT);
	const char *no_id = "{\"actor\":{\"mbox\":\"mailto:a@example.org\"},\"verb\":{\"id\":"
	                    "\"http://adlnet.gov/expapi/verbs/experienced\"},\"object\":{\"id\":"
	                    "\"http://example.org/a\"}}";
	const char *other = "{\"actor\":{\"mbox\":\"mailto:a@example.org\"},\"verb\":{\"id\":"
	                    "\"http://adlnet.gov/expapi/verbs/failed\"},\"object\":{\"id\":"
	                    "\"http://example.org/a\"}}";

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	/* The stored statement carries the signature among its attachments and what the
	 * LRS adds (stored, authority, version); none of that is signed. */
	cJSON_AddItemToObject(with_sig, "attachments", cJSON_Parse("[{\"usageType\":\"x:y\"}]"));
	cJSON_AddStringToObject(with_sig, "stored", "2026-12-06T10:00:00Z");
	cJSON_AddStringToObject(with_sig, "version", "1.0.3");
	assert_int_equal(relais_jws_statement_matches(ctx, with_sig, STATEMENT), 0);
	assert_int_equal(relais_jws_statement_matches(ctx, st, no_id), 0);
	assert_int_equal(relais_jws_statement_matches(ctx, with_sig, other), RELAIS_EFORMAT);
	assert_string_equal(relais_errmsg(ctx), "the signature's payload is not this statement");
	assert_int_equal(relais_jws_statement_matches(ctx, st, "[1]"), RELAIS_EFORMAT);
	cJSON_Delete(st);
	cJSON_Delete(with_sig);
	relais_ctx_free(ctx);
}

static void sha2_of_each_length(void **state)
{
	relais_ctx *ctx = NULL;
	char out[RELAIS_SHA2_HEX_MAX];

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_sha2_hex(out, ctx, 64, "abc", 3), 0);
	assert_string_equal(out,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(relais_sha2_hex(out, ctx, 56, "abc", 3), 0);
	assert_string_equal(out, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
	assert_int_equal(relais_sha2_hex(out, ctx, 96, "abc", 3), 0);
	assert_int_equal(strlen(out), 96);
	assert_int_equal(relais_sha2_hex(out, ctx, 128, "abc", 3), 0);
	assert_int_equal(strlen(out), 128);
	assert_int_equal(relais_sha2_hex(out, ctx, 40, "abc", 3), RELAIS_EINVAL);
	relais_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(each_rs_algorithm_verifies_with_its_certificate),
	        cmocka_unit_test(signed_with_another_key_is_refused),
	        cmocka_unit_test(changed_payload_is_refused),
	        cmocka_unit_test(other_algorithms_and_bad_forms_are_refused),
	        cmocka_unit_test(without_a_certificate_the_form_is_checked),
	        cmocka_unit_test(payload_must_be_the_statement),
	        cmocka_unit_test(sha2_of_each_length),
	};

	if (sodium_init() < 0) {
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
