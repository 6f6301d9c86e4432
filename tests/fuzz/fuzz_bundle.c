/* fuzz_bundle.c: libFuzzer harness for opening bundles and reading their entries. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "relais/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	relais_bundle *b = NULL;
	relais_ctx *ctx = NULL;
	char path[64];
	int fd;
	size_t i;

	/* The bundle API reads files in place; give it one in memory. */
	fd = memfd_create("bundle", 0);
	if (fd < 0 || relais_ctx_new(&ctx) != 0) {
		abort();
	}
	if (write(fd, data, size) != (ssize_t)size) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* No key: the signature is parsed but not checked, so the fuzzer can
	 * reach the manifest and the entries behind it. */
	if (relais_bundle_open(&b, ctx, path, NULL) == 0) {
		const relais_manifest *m = relais_bundle_manifest(b);
		for (i = 0; i < m->n_entries; i++) {
			unsigned char *out = NULL;
			size_t len = 0;
			if (relais_bundle_read(&out, &len, ctx, b, m->entries[i].path) == 0 &&
			    len != m->entries[i].size) {
				abort();
			}
			free(out);
		}
	}
	relais_bundle_free(b);
	relais_ctx_free(ctx);
	close(fd);
	return 0;
}
