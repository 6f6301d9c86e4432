/* fuzz_gift.c: libFuzzer harness feeding arbitrary bytes to the GIFT parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relais/diag.h"
#include "relais/error.h"
#include "relais/gift.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	relais_diag *diag = NULL;
	char *json = NULL;
	char *copy = NULL;
	int rc;

	if (relais_diag_new(&diag) != 0) {
		return 0;
	}
	/* An exact-size copy, so ASan sees any read past the end: the input
	 * is not NUL-terminated. */
	copy = malloc(size ? size : 1);
	if (copy == NULL) {
		goto out;
	}
	if (size > 0) {
		memcpy(copy, data, size);
	}
	rc = relais_gift_to_json(&json, diag, "fuzz.gift", copy, size);
	/* The contract: a document exactly when no problem was found. */
	if ((rc == 0) != (json != NULL) || (rc == 0) != (relais_diag_count(diag) == 0)) {
		abort();
	}
	if (json != NULL && strlen(json) == 0) {
		abort();
	}
out:
	free(json);
	free(copy);
	relais_diag_free(diag);
	return 0;
}
