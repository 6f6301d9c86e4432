/* import.c: relais-hub import: a relais-records file carried by hand, stored as POST would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/gzip.h"

/*
 * A records file costs its bytes, then its text, then its parsed tree
 * (about 130 bytes a value): these keep the three under 64 MiB.
 */
#define IMPORT_FILE_MAX (16u * 1024 * 1024)
#define IMPORT_JSON_MAX (16u * 1024 * 1024)
#define IMPORT_STATEMENTS_MAX 10000
#define IMPORT_VALUES_MAX 300000

/* Keeps ctx's message and sets its status. */
static void ctx_status(relais_ctx *ctx, int status)
{
	char msg[512];

	(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
	relais_fail(ctx, status, "%s", msg);
}

int relais_hub_import(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *authority)
{
	struct relais_hub_reply reply = {0};
	char *raw = NULL, *json = NULL, msg[128];
	size_t raw_len = 0, json_len = 0;
	cJSON *doc = NULL, *items;
	const cJSON *format, *version;
	int rc;

	*stored = *known = 0;
	if ((rc = relais_file_read(&raw, &raw_len, ctx, path, IMPORT_FILE_MAX)) != 0) {
		return rc;
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
	items = cJSON_GetObjectItemCaseSensitive(doc, "statements");
	if (!cJSON_IsString(format) || strcmp(format->valuestring, "relais-records") != 0 ||
	    !cJSON_IsNumber(version) || version->valueint != 1 || !cJSON_IsArray(items)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a relais-records file (version 1)",
		                 path);
		goto out;
	}
	if (cJSON_GetArraySize(items) == 0) {
		goto out;
	}
	rc = relais_hub_store_all(&reply, hub, ctx, items, 1, NULL, authority, stored, known);
	if (rc == 0 && reply.status != 200) {
		/* The store left the statement's problem on ctx; name the file. */
		ctx_status(ctx, reply.status == 409 ? RELAIS_EEXIST : RELAIS_EFORMAT);
		rc = relais_prefix(ctx, "%s", path);
	}
out:
	relais_hub_reply_clear(&reply);
	cJSON_Delete(doc);
	free(json);
	free(raw);
	return rc;
}
