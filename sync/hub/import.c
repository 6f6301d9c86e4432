/* import.c: relais-hub import: a relais-records file carried by hand, stored as POST would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/gzip.h"
#include "relais/key.h"

/*
 * A records file costs its bytes, then its text, then its parsed tree
 * (about 130 bytes a value): these keep the three under 64 MiB.
 */
#define IMPORT_FILE_MAX (16u * 1024 * 1024)
#define IMPORT_JSON_MAX (16u * 1024 * 1024)
#define IMPORT_STATEMENTS_MAX 10000
#define IMPORT_VALUES_MAX 300000
#define SIGNATURE_MAX 4096 /* a .minisig is under 400 bytes */

/* Keeps ctx's message and sets its status. */
static void ctx_status(relais_ctx *ctx, int status)
{
	char msg[512];

	(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
	relais_fail(ctx, status, "%s", msg);
}

/*
 * Checks raw (the file's bytes) against its detached signature at sig_path:
 * signed by a registered laptop key whose credential is not revoked. Fills
 * *who and key_id. Returns 0, or a failure naming the reason.
 */
static int check_signature(struct relais_hub_credential *who, char key_id[RELAIS_KEYID_HEX],
                           relais_hub *hub, relais_ctx *ctx, const char *path, const char *sig_path,
                           const char *raw, size_t raw_len)
{
	relais_pubkey *pub = NULL;
	char *sig = NULL;
	size_t sig_len = 0;
	int rc;

	rc = relais_file_read(&sig, &sig_len, ctx, sig_path, SIGNATURE_MAX);
	if (rc == RELAIS_ENOTFOUND) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "%s: unsigned: no signature %s (relais export-records writes it "
		                 "beside the file)",
		                 path, sig_path);
		goto out;
	}
	if (rc != 0) {
		goto out;
	}
	if ((rc = relais_signature_key_id(ctx, sig, sig_len, key_id)) != 0) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE, "%s: %s is not a minisign signature", path,
		                 sig_path);
		goto out;
	}
	if ((rc = relais_hub_laptop_key_find(who, &pub, hub, ctx, key_id)) != 0) {
		rc = relais_prefix(ctx, "%s", path);
		goto out;
	}
	if (relais_verify(ctx, pub, raw, raw_len, sig, sig_len, NULL) != 0) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "%s: bad signature: the file is not the one laptop key %s signed",
		                 path, key_id);
	}
out:
	relais_pubkey_free(pub);
	free(sig);
	return rc;
}

int relais_hub_import(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *signature_path)
{
	struct relais_hub_reply reply = {0};
	struct relais_hub_credential who;
	char *raw = NULL, *json = NULL, *sig_path = NULL, key_id[RELAIS_KEYID_HEX], msg[128];
	size_t raw_len = 0, json_len = 0;
	cJSON *doc = NULL, *items;
	const cJSON *format, *version, *laptop_key;
	int rc;

	*stored = *known = 0;
	if (signature_path == NULL) {
		size_t n = strlen(path) + sizeof(".minisig");
		if ((sig_path = malloc(n)) == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		(void)snprintf(sig_path, n, "%s.minisig", path);
	}
	if ((rc = relais_file_read(&raw, &raw_len, ctx, path, IMPORT_FILE_MAX)) != 0) {
		goto out;
	}
	if ((rc = check_signature(&who, key_id, hub, ctx, path,
	                          signature_path ? signature_path : sig_path, raw, raw_len)) != 0) {
		goto out;
	}
	rc = relais_gunzip(&json, &json_len, raw, raw_len, IMPORT_JSON_MAX);
	free(raw);
	raw = NULL;
	if (rc != 0) {
		rc = relais_fail(ctx, rc == -2 ? RELAIS_ELIMIT : RELAIS_EFORMAT,
		                 rc == -2 ? "%s: inflates past the limit"
		                          : "%s: not a gzip file, or a damaged one",
		                 path);
		goto out;
	}
	if (relais_hub_measure(msg, sizeof(msg), json, json_len, IMPORT_STATEMENTS_MAX,
	                       IMPORT_VALUES_MAX, 2)) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "%s: %s (split it into smaller files)", path,
		                 msg);
		goto out;
	}
	doc = cJSON_ParseWithLength(json, json_len);
	format = cJSON_GetObjectItemCaseSensitive(doc, "format");
	version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	laptop_key = cJSON_GetObjectItemCaseSensitive(doc, "laptop_key");
	items = cJSON_GetObjectItemCaseSensitive(doc, "statements");
	if (!cJSON_IsString(format) || strcmp(format->valuestring, "relais-records") != 0 ||
	    !cJSON_IsNumber(version) || version->valueint != 2 || !cJSON_IsArray(items) ||
	    !cJSON_IsString(laptop_key)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a relais-records file (version 2)",
		                 path);
		goto out;
	}
	if (strcmp(laptop_key->valuestring, key_id) != 0) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "%s: beyond its signer's scope: the file claims laptop key %.20s "
		                 "but is signed by %s",
		                 path, laptop_key->valuestring, key_id);
		goto out;
	}
	if (cJSON_GetArraySize(items) == 0) {
		goto out;
	}
	rc = relais_hub_store_all(&reply, hub, ctx, items, 1, NULL, &who, stored, known);
	if (rc == 0 && reply.status == 403) {
		char why[512];
		(void)snprintf(why, sizeof(why), "%s", relais_errmsg(ctx));
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "%s: beyond the scopes of credential %s (%s): %s", path, who.key,
		                 who.name, why);
	} else if (rc == 0 && reply.status != 200) {
		/* The store left the statement's problem on ctx; name the file. */
		ctx_status(ctx, reply.status == 409 ? RELAIS_EEXIST : RELAIS_EFORMAT);
		rc = relais_prefix(ctx, "%s", path);
	}
out:
	relais_hub_reply_clear(&reply);
	cJSON_Delete(doc);
	free(json);
	free(raw);
	free(sig_path);
	return rc;
}
