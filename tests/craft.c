/* craft.c: build course folders and hand-made bundles for tests. */
#include <assert.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>
#include <zlib.h>

#include "craft.h"
#include "relais/certificate.h"
#include "relais/bundle.h"
#include "relais/catalogue.h"
#include "relais/course.h"
#include "relais/zip.h"

char *craft_tmpdir(void)
{
	char tmpl[] = "/tmp/relais-test-XXXXXX";
	char *dir = mkdtemp(tmpl);

	assert(dir != NULL);
	return strdup(dir);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void craft_rmtree(const char *path)
{
	if (path != NULL) {
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
}

static void mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST) {
				abort();
			}
			*p = '/';
		}
	}
}

void craft_write_bytes(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdirs(path);
	f = fopen(path, "wb");
	assert(f != NULL);
	assert(fwrite(data, 1, len, f) == len);
	fclose(f);
}

void craft_write(const char *dir, const char *rel, const char *text)
{
	craft_write_bytes(dir, rel, text, strlen(text));
}

void craft_course(const char *dir)
{
	craft_write(dir, "course.json",
	            "{\n"
	            "  \"id\": \"field-safety\",\n"
	            "  \"version\": 3,\n"
	            "  \"language\": \"en\",\n"
	            "  \"title\": \"Field safety\",\n"
	            "  \"summary\": \"Staying safe on a field posting.\",\n"
	            "  \"authors\": [\"Training unit\"],\n"
	            "  \"estimated_minutes\": 20,\n"
	            "  \"units\": [\n"
	            "    {\"id\": \"arrive\", \"title\": \"Arriving\", \"lesson\": "
	            "\"lessons/arrive.md\"},\n"
	            "    {\"id\": \"stay\", \"title\": \"Staying\", \"lesson\": "
	            "\"lessons/stay.md\"},\n"
	            "    {\"id\": \"check\", \"title\": \"Check\", \"quiz\": \"quiz/check.gift\", "
	            "\"pass_percent\": 50}\n"
	            "  ]\n"
	            "}\n");
	craft_write(dir, "lessons/arrive.md",
	            "# Arriving\n\nRegister with the embassy on the first day.\n\n"
	            "![Map of the district](../media/map.svg)\n\n"
	            "Then read [the next lesson](stay.md).\n\n"
	            "| Day | Task |\n|---|---|\n| 1 | Register |\n");
	craft_write(dir, "lessons/stay.md",
	            "# Staying\n\nKeep your contact details current.\n\n"
	            "Back to [arriving](arrive.md#top).\n");
	craft_write(dir, "media/map.svg",
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
	            "<title>Map</title><rect width=\"10\" height=\"10\"/></svg>\n");
	craft_write(dir, "quiz/check.gift",
	            "::Register:: You register with the embassy on the first day. {T}\n\n"
	            "::Contact:: What do you keep current? {=contact details ~your car}\n");
}

unsigned char *craft_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert(f != NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert(buf != NULL);
	assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	buf[n] = '\0'; /* text files read whole can be used as strings */
	*len = (size_t)n;
	return buf;
}

static int to_file(void *data, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, data) == len ? 0 : -1;
}

static char *manifest_for(const struct craft_entry *e, size_t n)
{
	size_t cap = 4096 + n * 400, len = 0, i, k;
	char *out = malloc(cap);
	const char *sep = "";

	assert(out != NULL);
	len += (size_t)snprintf(
	        out + len, cap - len,
	        "{\"format\":1,\"id\":\"crafted\",\"version\":1,\"title\":\"Crafted\","
	        "\"language\":\"en\",\"summary\":\"\",\"authors\":[],"
	        "\"estimated_minutes\":0,\"units\":[");
	for (i = 0; i < n; i++) {
		if (e[i].in_manifest) {
			len += (size_t)snprintf(out + len, cap - len,
			                        "{\"id\":\"u\",\"title\":\"U\",\"type\":\"lesson\","
			                        "\"path\":\"%s\"}",
			                        e[i].name);
			break;
		}
	}
	len += (size_t)snprintf(out + len, cap - len, "],\"entries\":[");
	for (i = 0; i < n; i++) {
		unsigned char sha[32];
		char hex[65];
		if (!e[i].in_manifest) {
			continue;
		}
		crypto_hash_sha256(sha, e[i].data, e[i].len);
		for (k = 0; k < 32; k++) {
			snprintf(hex + 2 * k, 3, "%02x", sha[k]);
		}
		len += (size_t)snprintf(
		        out + len, cap - len, "%s{\"path\":\"%s\",\"size\":%zu,\"sha256\":\"%s\"}",
		        sep, e[i].name,
		        e[i].declared_size >= 0 ? (size_t)e[i].declared_size : e[i].len, hex);
		sep = ",";
	}
	snprintf(out + len, cap - len, "]}");
	return out;
}

void craft_bundle(const char *path, const relais_seckey *key, const struct craft_entry *e, size_t n,
                  const char *manifest_override, int sign)
{
	struct relais_zip_source *src = calloc(n + 2, sizeof(*src));
	unsigned char **bufs = calloc(n + 2, sizeof(*bufs));
	char *manifest = manifest_override ? strdup(manifest_override) : manifest_for(e, n);
	char *sig = NULL;
	size_t sig_len = 0, m = 0, i;
	FILE *f;

	assert(src && bufs && manifest);
	if (sign == 2) {
		sig = strdup("untrusted comment: relais bundle signature\nRUQ!!notbase64\n"
		             "trusted comment: relais crafted 1\nAAAA\n");
		sig_len = strlen(sig);
	} else if (sign) {
		assert(relais_sign(&sig, &sig_len, NULL, key, manifest, strlen(manifest),
		                   RELAIS_BUNDLE_UNTRUSTED_COMMENT, "relais crafted 1") == 0);
	}
	for (i = 0; i < n + 2; i++) {
		const void *data;
		size_t len;
		long declared = -1;
		const char *name;
		if (i == 0) {
			name = RELAIS_BUNDLE_MANIFEST;
			data = manifest;
			len = strlen(manifest);
		} else if (i == 1) {
			if (!sign) {
				continue;
			}
			name = RELAIS_BUNDLE_SIGNATURE;
			data = sig;
			len = sig_len;
		} else {
			if (!e[i - 2].in_archive) {
				continue;
			}
			name = e[i - 2].name;
			data = e[i - 2].data;
			len = e[i - 2].len;
			declared = e[i - 2].declared_size;
		}
		src[m].name = name;
		assert(relais_zip_compress(&bufs[m], &src[m].data_len, &src[m].method,
		                           &src[m].crc32, data, len, 6) == 0);
		src[m].data = bufs[m] ? bufs[m] : data;
		if (bufs[m] == NULL) {
			src[m].data_len = len;
		}
		src[m].size = (uint32_t)(declared >= 0 ? (size_t)declared : len);
		if (declared >= 0 && src[m].method == RELAIS_ZIP_STORE) {
			src[m].data_len = src[m].size < len ? src[m].size : len;
		}
		m++;
	}
	f = fopen(path, "wb");
	assert(f != NULL);
	assert(relais_zip_write(NULL, src, m, to_file, f) == 0);
	fclose(f);
	for (i = 0; i < n + 2; i++) {
		free(bufs[i]);
	}
	free(bufs);
	free(src);
	free(manifest);
	free(sig);
}

size_t craft_central_offset(const unsigned char *zip, size_t len, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i + 46 + nl <= len; i++) {
		if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2 &&
		    (size_t)(zip[i + 28] | zip[i + 29] << 8) == nl &&
		    memcmp(zip + i + 46, name, nl) == 0) {
			return i;
		}
	}
	abort();
}

size_t craft_zlib_best_size(const void *data, size_t len, int window_bits)
{
	unsigned char *out;
	z_stream zs;
	uLong bound;
	size_t n;

	memset(&zs, 0, sizeof(zs));
	assert(deflateInit2(&zs, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) == Z_OK);
	bound = deflateBound(&zs, (uLong)len);
	out = malloc(bound);
	assert(out != NULL);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	assert(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	n = zs.total_out;
	deflateEnd(&zs);
	free(out);
	return n;
}

/* craft-catalogue SECKEY --certificate EMAIL: prints the code of a certificate SECKEY signs. */
static int craft_certificate(const char *key_path, const char *email)
{
	struct relais_certificate c = {0};
	relais_seckey *sec = NULL;
	relais_ctx *ctx = NULL;
	int status = 1;

	c.id = 7;
	c.name = strdup("Crafted Learner");
	c.email = strdup(email);
	c.course = strdup("migration-health");
	c.title = strdup("Migration and health across borders");
	c.version = 1;
	(void)snprintf(c.date, sizeof(c.date), "2026-11-29");
	c.score = -1;
	if (relais_crypto_init() != 0 || relais_ctx_new(&ctx) != 0 ||
	    relais_seckey_load(&sec, ctx, key_path, NULL, NULL) != 0 ||
	    relais_certificate_sign(&c, ctx, sec) != 0) {
		fprintf(stderr, "craft-catalogue: %s\n", ctx ? relais_errmsg(ctx) : "no context");
	} else {
		printf("%s\n", c.code);
		status = 0;
	}
	relais_certificate_clear(&c);
	relais_seckey_free(sec);
	relais_ctx_free(ctx);
	return status;
}

int craft_catalogue_main(int argc, char **argv)
{
	struct relais_catalogue *cat = NULL;
	relais_seckey *sec = NULL;
	relais_ctx *ctx = NULL;
	cJSON *root = NULL;
	char *in = NULL, *json = NULL, *sig = NULL, *text = NULL, path[4096];
	char id[RELAIS_KEYID_HEX];
	size_t cap = 1 << 20, len = 0, json_len = 0, sig_len = 0;
	unsigned long long serial = 0;
	int raw = argc == 5 && strcmp(argv[3], "--raw") == 0, status = 1;
	FILE *f;

	if (argc == 4 && strcmp(argv[2], "--certificate") == 0) {
		return craft_certificate(argv[1], argv[3]);
	}
	if (argc != 3 && !raw) {
		fprintf(stderr, "usage: craft-catalogue SECKEY OUTDIR [--raw SERIAL] < JSON\n");
		return 2;
	}
	if (raw) {
		serial = strtoull(argv[4], NULL, 10);
	}
	if (relais_crypto_init() != 0 || relais_ctx_new(&ctx) != 0 ||
	    relais_seckey_load(&sec, ctx, argv[1], NULL, NULL) != 0) {
		fprintf(stderr, "craft-catalogue: %s\n", ctx ? relais_errmsg(ctx) : "no context");
		goto out;
	}
	for (;;) {
		size_t n;
		in = realloc(in, cap + 1);
		assert(in != NULL);
		n = fread(in + len, 1, cap - len, stdin);
		len += n;
		if (len < cap) {
			break;
		}
		cap *= 2;
	}
	in[len] = '\0';
	if (raw) {
		json = in;
		json_len = len;
		in = NULL;
	} else {
		relais_seckey_id(sec, id);
		root = cJSON_ParseWithLength(in, len);
		if (!cJSON_IsObject(root)) {
			fprintf(stderr, "craft-catalogue: the description is not a JSON object\n");
			goto out;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(root, "hub_key");
		cJSON_AddStringToObject(root, "hub_key", id);
		text = cJSON_PrintUnformatted(root);
		if (relais_catalogue_parse(&cat, ctx, text, strlen(text), "description") != 0 ||
		    relais_catalogue_write(&json, &json_len, ctx, cat) != 0) {
			fprintf(stderr, "craft-catalogue: %s\n", relais_errmsg(ctx));
			goto out;
		}
		serial = cat->serial;
	}
	if (relais_catalogue_sign(&sig, &sig_len, ctx, sec, json, json_len, serial) != 0) {
		fprintf(stderr, "craft-catalogue: %s\n", relais_errmsg(ctx));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/catalogue.json", argv[2]);
	f = fopen(path, "wb");
	assert(f != NULL && fwrite(json, 1, json_len, f) == json_len && fclose(f) == 0);
	snprintf(path, sizeof(path), "%s/catalogue.json.minisig", argv[2]);
	f = fopen(path, "wb");
	assert(f != NULL && fwrite(sig, 1, sig_len, f) == sig_len && fclose(f) == 0);
	status = 0;
out:
	relais_catalogue_free(cat);
	cJSON_Delete(root);
	free(text);
	free(in);
	free(json);
	free(sig);
	relais_seckey_free(sec);
	relais_ctx_free(ctx);
	return status;
}

void craft_pack(const char *src, const relais_seckey *key, const char *out)
{
	relais_course *c = NULL;
	relais_diag *d = NULL;
	relais_ctx *ctx = NULL;

	assert(relais_ctx_new(&ctx) == 0);
	assert(relais_diag_new(&d) == 0);
	assert(relais_course_load(&c, ctx, d, src, NULL) == 0);
	assert(relais_course_pack(ctx, c, key, out, NULL) == 0);
	relais_course_free(c);
	relais_diag_free(d);
	relais_ctx_free(ctx);
}
