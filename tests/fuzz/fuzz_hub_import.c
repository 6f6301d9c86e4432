/* fuzz_hub_import.c: libFuzzer harness for relais-hub import: any file as a records file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "relais/hub.h"

/* Each input is written to a file and imported into an in-memory hub. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static relais_ctx *ctx;
	static relais_hub *hub;
	static char path[64];
	size_t stored = 0, known = 0;
	FILE *f;
	int rc;

	if (hub == NULL) {
		char dir[] = "/tmp/fuzz-import-XXXXXX";
		if (sodium_init() < 0 || relais_ctx_new(&ctx) != 0 ||
		    relais_hub_open(&hub, ctx, ":memory:") != 0 || mkdtemp(dir) == NULL) {
			abort();
		}
		(void)snprintf(path, sizeof(path), "%s/records.gz", dir);
	}
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		abort();
	}
	rc = relais_hub_import(&stored, &known, hub, ctx, path, NULL);
	if (rc != 0 && (relais_errmsg(ctx)[0] == '\0' || stored != 0 || known != 0)) {
		abort(); /* a refused file says why and stores nothing */
	}
	return 0;
}
