/* fuzz_html.c: libFuzzer harness: lesson HTML through the allow-list, then its output again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relais/context.h"
#include "relais/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relais_html_report first, second;
	relais_ctx *ctx = NULL;
	char *copy = NULL, *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	if (relais_ctx_new(&ctx) != 0) {
		return 0;
	}
	copy = malloc(size ? size : 1); /* exact size: ASan sees a read past the end */
	if (copy == NULL) {
		goto out;
	}
	if (size > 0) {
		memcpy(copy, data, size);
	}
	if (relais_html_sanitize(&out, &len, &first, ctx, copy, size) != 0) {
		goto out;
	}
	/* What the reader keeps is itself kept whole: nothing left to remove,
	 * and no form or script survives in any spelling. */
	if (relais_html_sanitize(&again, &len2, &second, ctx, out, len) != 0 ||
	    second.removed != 0 || strstr(out, "<form") != NULL || strstr(out, "<script") != NULL ||
	    strstr(out, "<meta") != NULL) {
		abort();
	}
out:
	free(again);
	free(out);
	free(copy);
	relais_ctx_free(ctx);
	return 0;
}
