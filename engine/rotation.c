/* rotation.c: key rotation records: an old publisher key signs its successor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/error.h"
#include "relais/util.h"
#include "rotation_private.h"

#define ROTATION_FORMAT "relais-key-rotation"

/* The exact bytes the old key signs. */
static char *signed_text(const char *old_id, const char *public_key, const char *date)
{
	size_t n =
	        strlen(ROTATION_FORMAT) + strlen(old_id) + strlen(public_key) + strlen(date) + 32;
	char *s = malloc(n);
	if (s != NULL) {
		(void)snprintf(s, n, ROTATION_FORMAT "\nold: %s\nnew: %s\ndate: %s\n", old_id,
		               public_key, date);
	}
	return s;
}

static void trusted_comment(char out[64], const char *old_id, const char *new_id)
{
	(void)snprintf(out, 64, "relais-rotation %s %s", old_id, new_id);
}

/* The base64 line of a public key (the second line of its .pub text). */
static char *key_line(relais_ctx *ctx, const relais_pubkey *pub)
{
	char *text = NULL, *line, *nl;
	if (relais_pubkey_text(&text, ctx, pub) != 0) {
		return NULL;
	}
	line = strchr(text, '\n');
	line = line ? line + 1 : text;
	if ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
	}
	line = strdup(line);
	free(text);
	if (line == NULL) {
		relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	return line;
}

void relais_rotation_clear(struct relais_rotation *r)
{
	free(r->public_key);
	free(r->date);
	free(r->signature);
	memset(r, 0, sizeof(*r));
}

int relais_rotation_make(struct relais_rotation *out, relais_ctx *ctx, const relais_seckey *old,
                         const relais_pubkey *new_key)
{
	char date[32], comment[64], *text;
	size_t sig_len;
	int rc;

	memset(out, 0, sizeof(*out));
	relais_seckey_id(old, out->old_id);
	relais_pubkey_id(new_key, out->new_id);
	if (strcmp(out->old_id, out->new_id) == 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "the new key is the old key");
	}
	(void)relais_now_iso(date);
	if ((out->public_key = key_line(ctx, new_key)) == NULL) {
		return relais_errcode(ctx);
	}
	if ((out->date = strdup(date)) == NULL ||
	    (text = signed_text(out->old_id, out->public_key, date)) == NULL) {
		relais_rotation_clear(out);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	trusted_comment(comment, out->old_id, out->new_id);
	rc = relais_sign(&out->signature, &sig_len, ctx, old, text, strlen(text),
	                 "relais key rotation", comment);
	free(text);
	if (rc != 0) {
		relais_rotation_clear(out);
	}
	return rc;
}

cJSON *relais_rotation_to_cjson(const struct relais_rotation *r)
{
	cJSON *o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddStringToObject(o, "format", ROTATION_FORMAT) ||
	    !cJSON_AddStringToObject(o, "old", r->old_id) ||
	    !cJSON_AddStringToObject(o, "new", r->new_id) ||
	    !cJSON_AddStringToObject(o, "public_key", r->public_key) ||
	    !cJSON_AddStringToObject(o, "date", r->date) ||
	    !cJSON_AddStringToObject(o, "signature", r->signature)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int relais_rotation_write(char **out, size_t *out_len, relais_ctx *ctx,
                          const struct relais_rotation *r)
{
	cJSON *o = relais_rotation_to_cjson(r);
	*out = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (*out == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	*out_len = strlen(*out);
	return 0;
}

static int member(relais_ctx *ctx, char **out, const cJSON *obj, const char *where, const char *key,
                  size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL || v->valuestring[0] == '\0' ||
	    strlen(v->valuestring) > max || strchr(v->valuestring, '\n') != NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s%s must be a one-line string", where,
		                   key);
	}
	*out = strdup(v->valuestring);
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

int relais_rotation_from_cjson(struct relais_rotation *out, relais_ctx *ctx, const cJSON *obj,
                               const char *where)
{
	static const char *const names[] = {"format", "old",       "new", "public_key",
	                                    "date",   "signature", NULL};
	const cJSON *v, *m;
	char *old_id = NULL, *new_id = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(obj)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%snot a key rotation record", where);
	}
	cJSON_ArrayForEach(m, obj)
	{
		size_t i = 0;
		while (names[i] != NULL && strcmp(names[i], m->string) != 0) {
			i++;
		}
		if (names[i] == NULL || cJSON_GetObjectItemCaseSensitive(obj, m->string) != m) {
			return relais_fail(ctx, RELAIS_EFORMAT, "%sunknown or repeated member",
			                   where);
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "format");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, ROTATION_FORMAT) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%snot a key rotation record", where);
	}
	if ((rc = member(ctx, &old_id, obj, where, "old", RELAIS_KEYID_HEX - 1)) != 0 ||
	    (rc = member(ctx, &new_id, obj, where, "new", RELAIS_KEYID_HEX - 1)) != 0 ||
	    (rc = member(ctx, &out->public_key, obj, where, "public_key", 256)) != 0 ||
	    (rc = member(ctx, &out->date, obj, where, "date", 64)) != 0) {
		goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "signature");
	if (!cJSON_IsString(v) || strlen(v->valuestring) > 1024 ||
	    (out->signature = strdup(v->valuestring)) == NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%ssignature must be a minisign signature",
		                 where);
		goto fail;
	}
	if (strlen(old_id) != RELAIS_KEYID_HEX - 1 || strlen(new_id) != RELAIS_KEYID_HEX - 1 ||
	    relais_time_parse(out->date) < 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%sold, new or date is malformed", where);
		goto fail;
	}
	memcpy(out->old_id, old_id, RELAIS_KEYID_HEX);
	memcpy(out->new_id, new_id, RELAIS_KEYID_HEX);
	free(old_id);
	free(new_id);
	return 0;
fail:
	free(old_id);
	free(new_id);
	relais_rotation_clear(out);
	return rc;
}

int relais_rotation_parse(struct relais_rotation *out, relais_ctx *ctx, const char *json,
                          size_t len, const char *name)
{
	char where[300];
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > RELAIS_ROTATION_MAX_BYTES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: too large for a key rotation record",
		                   name);
	}
	if ((root = cJSON_ParseWithLength(json, len)) == NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: not JSON", name);
	}
	(void)snprintf(where, sizeof(where), "%s: ", name);
	rc = relais_rotation_from_cjson(out, ctx, root, where);
	cJSON_Delete(root);
	return rc;
}

int relais_rotation_verify(relais_pubkey **new_out, relais_ctx *ctx, const relais_pubkey *old,
                           const struct relais_rotation *r)
{
	char id[RELAIS_KEYID_HEX], comment[64], *text, *trusted = NULL;
	relais_pubkey *pub = NULL;
	int rc;

	*new_out = NULL;
	relais_pubkey_id(old, id);
	if (strcmp(id, r->old_id) != 0) {
		return relais_fail(ctx, RELAIS_ESIGNATURE, "key rotation: made for key %s, not %s",
		                   r->old_id, id);
	}
	if ((rc = relais_pubkey_parse(&pub, ctx, r->public_key, strlen(r->public_key),
	                              "key rotation")) != 0) {
		return rc;
	}
	relais_pubkey_id(pub, id);
	if (strcmp(id, r->new_id) != 0) {
		relais_pubkey_free(pub);
		return relais_fail(ctx, RELAIS_EFORMAT, "key rotation: new is %s but the key is %s",
		                   r->new_id, id);
	}
	if ((text = signed_text(r->old_id, r->public_key, r->date)) == NULL) {
		relais_pubkey_free(pub);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = relais_verify(ctx, old, text, strlen(text), r->signature, strlen(r->signature),
	                   &trusted);
	free(text);
	trusted_comment(comment, r->old_id, r->new_id);
	if (rc == 0 && strcmp(trusted, comment) != 0) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "key rotation: the signature is for other keys");
	} else if (rc != 0) {
		relais_prefix(ctx, "key rotation");
	}
	free(trusted);
	if (rc != 0) {
		relais_pubkey_free(pub);
		return rc;
	}
	*new_out = pub;
	return 0;
}
