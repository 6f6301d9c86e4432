/* certificates.c: the certificates of this laptop's learners, down from the hub at each sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client_private.h"
#include "relais/certificate.h"
#include "relais/error.h"

#define CERTIFICATES_MAX (4u * 1024 * 1024)

int relais_client_certificates(size_t *stored, size_t *refused, struct relais_client_source *src,
                               relais_home *home, relais_ctx *ctx)
{
	cJSON *root = NULL, *list, *item;
	char *json = NULL;
	size_t len = 0;
	int rc, unused;

	*stored = 0;
	*refused = 0;
	rc = relais_client_fetch_small(&json, &len, NULL, &unused, src, "certificates", NULL,
	                               CERTIFICATES_MAX);
	if (rc == RELAIS_ENOTFOUND) {
		return 0; /* a hub older than certificates */
	}
	if (rc != 0) {
		relais_prefix(ctx, "certificates");
		return rc;
	}
	root = cJSON_ParseWithLength(json, len);
	list = cJSON_GetObjectItemCaseSensitive(root, "certificates");
	if (!cJSON_IsArray(list)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "certificates: the hub's answer is not a list");
		goto out;
	}
	cJSON_ArrayForEach(item, list)
	{
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(item, "code");
		const cJSON *revoked = cJSON_GetObjectItemCaseSensitive(item, "revoked");

		if (!cJSON_IsString(code)) {
			(*refused)++;
			relais_log(ctx, RELAIS_LOG_WARN, "certificates: an entry without a code");
			continue;
		}
		rc = relais_certificate_store(home, ctx, code->valuestring,
		                              cJSON_IsString(revoked) ? revoked->valuestring
		                                                      : NULL);
		if (rc == RELAIS_EFORMAT || rc == RELAIS_ESIGNATURE) {
			/* Only what a trusted hub key signed is kept. */
			(*refused)++;
			relais_log(ctx, RELAIS_LOG_WARN, "a certificate was refused: %s",
			           relais_errmsg(ctx));
			rc = 0;
			continue;
		}
		if (rc != 0) {
			goto out;
		}
		(*stored)++;
	}
out:
	cJSON_Delete(root);
	free(json);
	return rc;
}
