/* jws.c: verifying JSON Web Signatures of xAPI statements (RS256/384/512) with libcrypto. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "relais/error.h"
#include "relais/jws.h"
#include "relais/xapi.h"

#define X5C_MAX (16u * 1024) /* bytes of one certificate, in base64 */

/* Decodes base64 (variant) text of len bytes into *out (malloc'd, NUL added). Returns 0 or -1. */
static int decode(unsigned char **out, size_t *out_len, const char *text, size_t len, int variant)
{
	unsigned char *buf = malloc(len + 1);

	*out = NULL;
	if (buf == NULL) {
		return -1;
	}
	if (sodium_base642bin(buf, len, text, len, NULL, out_len, NULL, variant) != 0) {
		free(buf);
		return -1;
	}
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

static const EVP_MD *digest_of(const char *alg)
{
	return strcmp(alg, "RS256") == 0   ? EVP_sha256()
	       : strcmp(alg, "RS384") == 0 ? EVP_sha384()
	       : strcmp(alg, "RS512") == 0 ? EVP_sha512()
	                                   : NULL;
}

/* Verifies sig over signed (the JWS's first two parts) with x5c's first certificate. */
static int verify_x5c(relais_ctx *ctx, const cJSON *x5c, const EVP_MD *md, const char *signed_part,
                      size_t signed_len, const unsigned char *sig, size_t sig_len)
{
	const cJSON *first = cJSON_IsArray(x5c) ? x5c->child : NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t der_len = 0;
	X509 *cert = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY *key;
	int rc = 0;

	if (!cJSON_IsString(first) || strlen(first->valuestring) > X5C_MAX ||
	    decode(&der, &der_len, first->valuestring, strlen(first->valuestring),
	           sodium_base64_VARIANT_ORIGINAL) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "the JWS header's x5c must be an array of base64 certificates");
		goto out;
	}
	p = der;
	cert = d2i_X509(NULL, &p, (long)der_len);
	key = cert ? X509_get0_pubkey(cert) : NULL;
	if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "the JWS header's first x5c certificate holds no RSA key");
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, md, NULL, key) != 1) {
		rc = relais_fail(ctx, RELAIS_ECRYPTO, "libcrypto could not verify a signature");
		goto out;
	}
	if (EVP_DigestVerify(mctx, sig, sig_len, (const unsigned char *)signed_part, signed_len) !=
	    1) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "the JWS signature does not verify with its x5c certificate");
	}
out:
	EVP_MD_CTX_free(mctx);
	X509_free(cert);
	free(der);
	return rc;
}

int relais_jws_verify(char **payload, int *keyed, relais_ctx *ctx, const char *jws, size_t len)
{
	const char *dot1, *dot2;
	unsigned char *head = NULL, *body = NULL, *sig = NULL;
	size_t head_len, body_len, sig_len;
	cJSON *header = NULL, *parsed = NULL;
	const cJSON *alg, *x5c;
	const EVP_MD *md;
	int rc = 0;

	*payload = NULL;
	*keyed = 0;
	if (len > RELAIS_JWS_MAX || memchr(jws, '\0', len) != NULL ||
	    (dot1 = memchr(jws, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jws))) == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jws)) != NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "the signature is not a JWS in compact form (three parts)");
	}
	if (decode(&head, &head_len, jws, (size_t)(dot1 - jws),
	           sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    decode(&body, &body_len, dot1 + 1, (size_t)(dot2 - dot1 - 1),
	           sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    decode(&sig, &sig_len, dot2 + 1, len - (size_t)(dot2 + 1 - jws),
	           sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "the JWS is not base64url");
		goto out;
	}
	header = cJSON_ParseWithLength((const char *)head, head_len);
	alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
	if (!cJSON_IsObject(header) || !cJSON_IsString(alg)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "the JWS header is not JSON with an alg");
		goto out;
	}
	if ((md = digest_of(alg->valuestring)) == NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "the JWS algorithm must be RS256, RS384 or RS512");
		goto out;
	}
	parsed = cJSON_ParseWithLength((const char *)body, body_len);
	if (!cJSON_IsObject(parsed) || strlen((const char *)body) != body_len) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "the JWS payload is not a JSON statement");
		goto out;
	}
	if ((x5c = cJSON_GetObjectItemCaseSensitive(header, "x5c")) != NULL) {
		rc = verify_x5c(ctx, x5c, md, jws, (size_t)(dot2 - jws), sig, sig_len);
		if (rc != 0) {
			goto out;
		}
		*keyed = 1;
	}
	*payload = (char *)body;
	body = NULL;
out:
	cJSON_Delete(parsed);
	cJSON_Delete(header);
	free(sig);
	free(body);
	free(head);
	return rc;
}

int relais_sha2_hex(char out[RELAIS_SHA2_HEX_MAX], relais_ctx *ctx, size_t hex_len,
                    const void *data, size_t len)
{
	const EVP_MD *md = hex_len == 56    ? EVP_sha224()
	                   : hex_len == 64  ? EVP_sha256()
	                   : hex_len == 96  ? EVP_sha384()
	                   : hex_len == 128 ? EVP_sha512()
	                                    : NULL;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (md == NULL) {
		return relais_fail(ctx, RELAIS_EINVAL, "no SHA-2 digest has %zu hex digits",
		                   hex_len);
	}
	if (EVP_Digest(data, len, sum, &n, md, NULL) != 1) {
		return relais_fail(ctx, RELAIS_ECRYPTO, "libcrypto could not hash");
	}
	sodium_bin2hex(out, RELAIS_SHA2_HEX_MAX, sum, n);
	return 0;
}

int relais_jws_statement_matches(relais_ctx *ctx, const void *statement, const char *payload)
{
	cJSON *signed_st = cJSON_Parse(payload), *copy = cJSON_Duplicate(statement, 1);
	char *a = NULL, *b = NULL;
	int rc = 0;

	if (!cJSON_IsObject(signed_st) || copy == NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "the signature's payload is not a statement");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "attachments");
	cJSON_DeleteItemFromObjectCaseSensitive(signed_st, "attachments");
	if (!cJSON_HasObjectItem(signed_st, "id")) {
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "id");
	}
	a = relais_xapi_identity(copy);
	b = relais_xapi_identity(signed_st);
	if (a == NULL || b == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	} else if (strcmp(a, b) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "the signature's payload is not this statement");
	}
out:
	free(a);
	free(b);
	cJSON_Delete(copy);
	cJSON_Delete(signed_st);
	return rc;
}
