/* fuzz_manifest.c: libFuzzer harness for manifest.json parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "relais/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	relais_manifest *m = NULL;
	relais_ctx *ctx = NULL;
	char *json = NULL;
	size_t len = 0;

	if (relais_ctx_new(&ctx) != 0) {
		return 0;
	}
	if (relais_manifest_parse(&m, ctx, (const char *)data, size) == 0) {
		/* What parses must serialise and parse again. */
		if (relais_manifest_to_json(&json, &len, ctx, m) == 0) {
			relais_manifest *again = NULL;
			if (relais_manifest_parse(&again, ctx, json, len) != 0) {
				abort();
			}
			relais_manifest_free(again);
		}
	}
	free(json);
	relais_manifest_free(m);
	relais_ctx_free(ctx);
	return 0;
}
