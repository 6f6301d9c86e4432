/* gzip.c: whole-buffer gzip compression (libdeflate). */
#include <stdlib.h>

#include <libdeflate.h>

#include "gzip.h"
#include "relais/error.h"

int relais_gzip(unsigned char **out, size_t *out_len, const void *in, size_t len, int level)
{
	struct libdeflate_compressor *c;
	unsigned char *buf;
	size_t bound, got;

	*out = NULL;
	*out_len = 0;
	c = libdeflate_alloc_compressor(level);
	if (c == NULL) {
		return RELAIS_ENOMEM;
	}
	bound = libdeflate_gzip_compress_bound(c, len);
	buf = malloc(bound);
	got = buf ? libdeflate_gzip_compress(c, in, len, buf, bound) : 0;
	libdeflate_free_compressor(c);
	if (got == 0) { /* only when malloc failed: the bound always fits */
		free(buf);
		return RELAIS_ENOMEM;
	}
	*out = buf;
	*out_len = got;
	return 0;
}
