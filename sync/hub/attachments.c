/* attachments.c: xAPI attachment data (multipart/mixed in and out, kept by sha2) and signed
 * statements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/jws.h"
#include "relais/multipart.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

#define SIGNATURE_USAGE "http://adlnet.gov/expapi/attachments/signature"
#define REPLY_MAX (512u * 1024 * 1024) /* a multipart answer */

/* Checks a signature attachment's JWS (part p) against st. */
static int check_signature(relais_ctx *ctx, const cJSON *st, const struct relais_multipart_part *p,
                           const char *where)
{
	char *payload = NULL, msg[256];
	int keyed = 0, rc;

	rc = relais_jws_verify(&payload, &keyed, ctx, p->body, p->len);
	if (rc == 0) {
		rc = relais_jws_statement_matches(ctx, st, payload);
	}
	free(payload);
	if (rc == RELAIS_EFORMAT || rc == RELAIS_ESIGNATURE) {
		/* A bad signature is a bad statement: 400, naming it. */
		(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s.attachments: %s", where, msg);
	}
	return rc;
}

int relais_hub_attachments_check(relais_hub *hub, relais_ctx *ctx, const cJSON *st,
                                 const char *where)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(st, "attachments"), *a;
	struct relais_hub_parts *parts = hub->parts;
	size_t i, k = 0;
	int rc;

	cJSON_ArrayForEach(a, list)
	{
		const char *sha2 = cJSON_GetObjectItemCaseSensitive(a, "sha2")->valuestring;
		const char *usage = cJSON_GetObjectItemCaseSensitive(a, "usageType")->valuestring;
		const char *type = cJSON_GetObjectItemCaseSensitive(a, "contentType")->valuestring;
		const struct relais_multipart_part *found = NULL;
		int is_signature = strcmp(usage, SIGNATURE_USAGE) == 0;
		for (i = 0; parts != NULL && i < parts->n; i++) {
			if (strcasecmp(parts->part[i].hash, sha2) == 0) {
				parts->used[i] = 1;
				found = &parts->part[i];
			}
		}
		if (is_signature && strcasecmp(type, "application/octet-stream") != 0) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s.attachments[%zu]: a signature's contentType must be "
			                   "application/octet-stream",
			                   where, k);
		}
		if (found == NULL && (is_signature || !cJSON_HasObjectItem(a, "fileUrl"))) {
			return relais_fail(
			        ctx, RELAIS_EFORMAT,
			        "%s.attachments[%zu]: no fileUrl and no multipart part with "
			        "sha2 %.128s",
			        where, k, sha2);
		}
		if (is_signature && (rc = check_signature(ctx, st, found, where)) != 0) {
			return rc;
		}
		k++;
	}
	return 0;
}

/* The bytes who's attachments hold now. Returns 0 or RELAIS_EIO. */
static int held_by(unsigned long long *total, relais_hub *hub, relais_ctx *ctx, const char *key)
{
	relais_hub_sql_stmt *q = NULL;
	int rc = 0;

	if (relais_hub_sql_prepare(
	            hub->db, "SELECT COALESCE(SUM(length), 0) FROM attachment WHERE credential = ?",
	            -1, &q, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "attachments");
	}
	relais_hub_sql_bind_text(q, 1, key, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(q) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "attachments");
	} else {
		*total = (unsigned long long)relais_hub_sql_column_int64(q, 0);
	}
	relais_hub_sql_finalize(q);
	return rc;
}

int relais_hub_attachments_keep(relais_hub *hub, relais_ctx *ctx,
                                const struct relais_hub_credential *who)
{
	struct relais_hub_parts *parts = hub->parts;
	unsigned long long total = 0;
	relais_hub_sql_stmt *q = NULL;
	char now[32], sha2[RELAIS_SHA2_HEX_MAX];
	size_t i, j;
	int rc = 0;

	if (parts == NULL || parts->n == 0) {
		return 0;
	}
	for (i = 0; i < parts->n; i++) {
		if (!parts->used[i]) {
			return relais_fail(
			        ctx, RELAIS_EFORMAT,
			        "multipart part %zu (X-Experience-API-Hash %.128s) is no "
			        "statement's attachment",
			        i + 2, parts->part[i].hash);
		}
	}
	if ((rc = held_by(&total, hub, ctx, who->key)) != 0) {
		return rc;
	}
	relais_now_iso(now);
	if (relais_hub_sql_prepare(
	            hub->db,
	            "INSERT INTO attachment(sha2, content_type, length, data, credential, "
	            "stored) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	            -1, &q, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "attachments");
	}
	for (i = 0; i < parts->n && rc == 0; i++) {
		const struct relais_multipart_part *p = &parts->part[i];
		for (j = 0; p->hash[j] != '\0'; j++) {
			sha2[j] = (char)(p->hash[j] >= 'A' && p->hash[j] <= 'F' ? p->hash[j] + 32
			                                                        : p->hash[j]);
		}
		sha2[j] = '\0';
		relais_hub_sql_bind_text(q, 1, sha2, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(
		        q, 2, p->content_type[0] ? p->content_type : "application/octet-stream", -1,
		        RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_int64(q, 3, (long long)p->len);
		relais_hub_sql_bind_blob(q, 4, p->body, p->len, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(q, 5, who->key, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(q, 6, now, -1, RELAIS_HUB_SQL_STATIC);
		if (relais_hub_sql_step(q) != RELAIS_HUB_SQL_DONE) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "attachments");
		} else if (relais_hub_sql_changes(hub->db) > 0) {
			total += p->len;
			if (total > parts->per_credential_max) {
				rc = relais_fail(
				        ctx, RELAIS_ELIMIT,
				        "these credentials' attachments would pass the hub's "
				        "--max-attachments-per-credential (%llu bytes)",
				        parts->per_credential_max);
			}
		}
		relais_hub_sql_reset(q);
	}
	relais_hub_sql_finalize(q);
	return rc;
}

int relais_hub_post_multipart(struct relais_hub_reply *reply, relais_hub *hub, relais_ctx *ctx,
                              const char *type, const char *body, size_t len,
                              const char *statement_id, size_t max_attachment,
                              unsigned long long per_credential_max,
                              const struct relais_hub_credential *who)
{
	struct relais_multipart_part parts[RELAIS_MULTIPART_PARTS_MAX];
	struct relais_hub_parts set;
	char boundary[RELAIS_MULTIPART_BOUNDARY_MAX], sum[RELAIS_SHA2_HEX_MAX], msg[300];
	size_t n = 0, i;
	int rc;

	memset(reply, 0, sizeof(*reply));
	if ((rc = relais_multipart_boundary(boundary, ctx, type)) != 0 ||
	    (rc = relais_multipart_parse(parts, RELAIS_MULTIPART_PARTS_MAX, &n, ctx, body, len,
	                                 boundary)) != 0) {
		return relais_hub_reply_error(reply, rc == RELAIS_ELIMIT ? 413 : 400,
		                              relais_errmsg(ctx));
	}
	if (n == 0 || strncasecmp(parts[0].content_type, "application/json", 16) != 0) {
		return relais_hub_reply_error(reply, 400,
		                              "the first multipart part must be the statements, "
		                              "Content-Type application/json");
	}
	for (i = 1; i < n; i++) {
		const struct relais_multipart_part *p = &parts[i];
		size_t hl = strlen(p->hash);
		if (strcasecmp(p->encoding, "binary") != 0) {
			(void)snprintf(
			        msg, sizeof(msg),
			        "multipart part %zu: Content-Transfer-Encoding must be binary",
			        i + 1);
			return relais_hub_reply_error(reply, 400, msg);
		}
		if (p->len > max_attachment) {
			(void)snprintf(
			        msg, sizeof(msg),
			        "multipart part %zu is larger than the hub's --max-attachment "
			        "(%zu bytes)",
			        i + 1, max_attachment);
			return relais_hub_reply_error(reply, 413, msg);
		}
		if (hl == 0 || strspn(p->hash, "0123456789abcdefABCDEF") != hl ||
		    relais_sha2_hex(sum, ctx, hl, p->body, p->len) != 0) {
			(void)snprintf(msg, sizeof(msg),
			               "multipart part %zu needs an X-Experience-API-Hash (a SHA-2 "
			               "in hex)",
			               i + 1);
			return relais_hub_reply_error(reply, 400, msg);
		}
		if (strcasecmp(sum, p->hash) != 0) {
			(void)snprintf(msg, sizeof(msg),
			               "multipart part %zu: its data does not have the SHA-2 its "
			               "X-Experience-API-Hash names",
			               i + 1);
			return relais_hub_reply_error(reply, 400, msg);
		}
	}
	memset(&set, 0, sizeof(set));
	set.part = parts + 1;
	set.n = n - 1;
	set.per_credential_max = per_credential_max;
	hub->parts = &set;
	rc = statement_id != NULL
	             ? relais_hub_put(reply, hub, ctx, statement_id, parts[0].body, parts[0].len,
	                              who)
	             : relais_hub_post(reply, hub, ctx, parts[0].body, parts[0].len, who);
	hub->parts = NULL;
	return rc;
}

/* Adds the data of attachment sha2 as a part, when the hub holds it and it is not in yet. */
static int add_part(struct relais_strbuf *b, relais_hub_sql_stmt *q, cJSON *seen,
                    const char *boundary, const char *sha2)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, seen)
	{
		if (strcasecmp(s->valuestring, sha2) == 0) {
			return 0;
		}
	}
	if (!cJSON_AddItemToArray(seen, cJSON_CreateString(sha2))) {
		return RELAIS_ENOMEM;
	}
	relais_hub_sql_bind_text(q, 1, sha2, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(q) == RELAIS_HUB_SQL_ROW) {
		relais_strbuf_printf(b,
		                     "\r\n--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: "
		                     "binary\r\nX-Experience-API-Hash: %s\r\n\r\n",
		                     boundary, (const char *)relais_hub_sql_column_text(q, 0),
		                     (const char *)relais_hub_sql_column_text(q, 2));
		relais_strbuf_addn(b, relais_hub_sql_column_blob(q, 1),
		                   (size_t)relais_hub_sql_column_bytes(q, 1));
	}
	relais_hub_sql_reset(q);
	return 0;
}

int relais_hub_attachments_reply(char **out, size_t *len, char boundary[40], relais_hub *hub,
                                 relais_ctx *ctx, const char *json)
{
	struct relais_strbuf b = {.max = REPLY_MAX};
	cJSON *doc = cJSON_Parse(json), *seen = cJSON_CreateArray();
	const cJSON *list, *st, *a;
	relais_hub_sql_stmt *q = NULL;
	unsigned char raw[16];
	int rc = 0;

	*out = NULL;
	*len = 0;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(boundary, 40, raw, sizeof(raw));
	if (doc == NULL || seen == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (relais_hub_sql_prepare(
	            hub->db,
	            "SELECT content_type, data, sha2 FROM attachment WHERE sha2 = lower(?)", -1, &q,
	            NULL) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "attachments");
		goto out;
	}
	relais_strbuf_printf(&b, "--%s\r\nContent-Type: application/json\r\n\r\n%s", boundary,
	                     json);
	list = cJSON_GetObjectItemCaseSensitive(doc, "statements");
	for (st = cJSON_IsArray(list) ? list->child : doc; st != NULL && rc == 0;
	     st = cJSON_IsArray(list) ? st->next : NULL) {
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(st, "attachments"))
		{
			const cJSON *sha2 = cJSON_GetObjectItemCaseSensitive(a, "sha2");
			if (cJSON_IsString(sha2) &&
			    (rc = add_part(&b, q, seen, boundary, sha2->valuestring)) != 0) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
				break;
			}
		}
	}
	relais_strbuf_printf(&b, "\r\n--%s--\r\n", boundary);
	if (rc == 0 && b.rc != 0) {
		rc = relais_fail(ctx, b.rc, "the statements' attachments: %s",
		                 b.rc == RELAIS_ELIMIT ? "too large" : "out of memory");
	}
	if (rc == 0) {
		*len = b.len;
		*out = b.p;
		b.p = NULL;
	}
out:
	relais_hub_sql_finalize(q);
	relais_strbuf_free(&b);
	cJSON_Delete(seen);
	cJSON_Delete(doc);
	return rc;
}
