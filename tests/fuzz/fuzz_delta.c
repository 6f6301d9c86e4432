/* fuzz_delta.c: libFuzzer harness for applying deltas to a fixed base bundle. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relais/delta.h"

#ifndef FUZZ_DELTA_BASE
#error "FUZZ_DELTA_BASE names the base bundle the seeds were made against"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out_dir[32];

static void remove_out_dir(void)
{
	rmdir(out_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[64];
	struct relais_delta_info info;
	relais_ctx *ctx = NULL;
	struct stat st;
	char path[64];
	int fd, rc;

	if (out[0] == '\0') {
		snprintf(out_dir, sizeof(out_dir), "/tmp/fuzz-delta-XXXXXX");
		if (mkdtemp(out_dir) == NULL) {
			abort();
		}
		atexit(remove_out_dir);
		snprintf(out, sizeof(out), "%s/out.relais", out_dir);
	}
	/* The delta API reads files; give it one in memory. */
	fd = memfd_create("delta", 0);
	if (fd < 0 || relais_ctx_new(&ctx) != 0) {
		abort();
	}
	if (write(fd, data, size) != (ssize_t)size) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	(void)relais_delta_read_info(&info, ctx, path);
	rc = relais_delta_apply(&info, ctx, FUZZ_DELTA_BASE, path, out);
	/* Nothing half-written: the output exists only after a full, exact rebuild. */
	if ((rc == 0) != (stat(out, &st) == 0)) {
		abort();
	}
	if (rc == 0 && (uint64_t)st.st_size != info.to_size) {
		abort();
	}
	unlink(out);
	relais_ctx_free(ctx);
	close(fd);
	return 0;
}
