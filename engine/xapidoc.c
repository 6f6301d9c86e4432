/* xapidoc.c: what every xAPI document resource shares (the hub's, the reader's cmi5 endpoint). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "relais/error.h"
#include "relais/hash.h"
#include "relais/xapi.h"

void *relais_xapi_parse_whole(const char *text, size_t len)
{
	/* Anything after the value but white space, a NUL included, makes it not JSON. */
	if (memchr(text, '\0', len) != NULL) {
		return NULL;
	}
	return cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);
}

int relais_xapi_json_type(const char *type)
{
	size_t n = strlen(RELAIS_XAPI_JSON_TYPE);

	if (type == NULL || strncasecmp(type, RELAIS_XAPI_JSON_TYPE, n) != 0) {
		return 0;
	}
	type += n;
	while (*type == ' ' || *type == '\t') {
		type++;
	}
	return *type == '\0' || *type == ';';
}

int relais_xapi_param_iri_ok(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p)) {
		return 0;
	}
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.') {
		p++;
	}
	return *p == ':' && p[1] != '\0';
}

static int hex40(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[40] == '\0';
}

void *relais_xapi_agent_param(const char *text)
{
	static const char *const allowed[] = {"objectType", "name",    "mbox", "mbox_sha1sum",
	                                      "openid",     "account", NULL};
	cJSON *a = relais_xapi_parse_whole(text, strlen(text)), *v;
	int ifis = 0;

	if (!cJSON_IsObject(a)) {
		goto bad;
	}
	cJSON_ArrayForEach(v, a)
	{
		const char *const *k;
		for (k = allowed; *k && strcmp(*k, v->string) != 0; k++) {
		}
		if (*k == NULL) {
			goto bad;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(a, "objectType");
	if (v != NULL && (!cJSON_IsString(v) || strcmp(v->valuestring, "Agent") != 0)) {
		goto bad;
	}
	v = cJSON_GetObjectItemCaseSensitive(a, "name");
	if (v != NULL && !cJSON_IsString(v)) {
		goto bad;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "mbox")) != NULL) {
		if (!cJSON_IsString(v) || strncmp(v->valuestring, "mailto:", 7) != 0 ||
		    strchr(v->valuestring + 7, '@') == NULL) {
			goto bad;
		}
		ifis++;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "mbox_sha1sum")) != NULL) {
		if (!cJSON_IsString(v) || !hex40(v->valuestring)) {
			goto bad;
		}
		ifis++;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "openid")) != NULL) {
		if (!cJSON_IsString(v) || !relais_xapi_param_iri_ok(v->valuestring)) {
			goto bad;
		}
		ifis++;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(a, "account")) != NULL) {
		const cJSON *home = cJSON_GetObjectItemCaseSensitive(v, "homePage");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsString(home) ||
		    !relais_xapi_param_iri_ok(home->valuestring) || !cJSON_IsString(name)) {
			goto bad;
		}
		ifis++;
	}
	if (ifis == 1) {
		return a;
	}
bad:
	cJSON_Delete(a);
	return NULL;
}

int relais_xapi_json_merge(char **out, int *which, const char *stored, size_t stored_len,
                           const char *posted_text, size_t len)
{
	cJSON *old = relais_xapi_parse_whole(stored, stored_len);
	cJSON *posted = relais_xapi_parse_whole(posted_text, len), *m;
	int rc = 0;

	*out = NULL;
	*which = 0;
	if (!cJSON_IsObject(old) || !cJSON_IsObject(posted)) {
		*which = cJSON_IsObject(posted) ? 1 : 2;
		rc = RELAIS_EFORMAT;
		goto out;
	}
	while ((m = posted->child) != NULL) {
		cJSON *have = cJSON_GetObjectItemCaseSensitive(old, m->string);
		cJSON_DetachItemViaPointer(posted, m);
		/* By pointer: replacing by name would free m's name before copying it. */
		if (have != NULL) {
			cJSON_ReplaceItemViaPointer(old, have, m);
		} else {
			cJSON_AddItemToObject(old, m->string, m);
		}
	}
	if ((*out = cJSON_PrintUnformatted(old)) == NULL) {
		rc = RELAIS_ENOMEM;
	}
out:
	cJSON_Delete(old);
	cJSON_Delete(posted);
	return rc;
}

int relais_xapi_etag(char out[RELAIS_XAPI_ETAG_MAX], const void *data, size_t len)
{
	char hex[RELAIS_SHA1_HEX];

	if (relais_sha1_hex(hex, data, len) != 0) {
		return RELAIS_ECRYPTO;
	}
	out[0] = '"';
	memcpy(out + 1, hex, 40);
	out[41] = '"';
	out[42] = '\0';
	return 0;
}
