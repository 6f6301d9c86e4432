/* gzip.c: the one gzip module: whole buffers with libdeflate, streams and inflating with zlib. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "relais/error.h"
#include "relais/gzip.h"

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

int relais_gunzip(char **out, size_t *out_len, const void *in, size_t len, size_t max)
{
	z_stream zs;
	size_t cap = len * 4 + 4096;
	char *buf = NULL, *grown;
	int zrc, rc = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 31) != Z_OK) {
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out + 1 >= cap) {
			cap *= 2;
		}
		if (cap > max + 1) {
			cap = max + 1;
		}
		grown = realloc(buf, cap);
		if (grown == NULL) {
			rc = -1;
			break;
		}
		buf = grown;
		zs.next_out = (Bytef *)buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out - 1);
		zrc = inflate(&zs, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END) {
			rc = -1;
			break;
		}
		if (zs.total_out >= max) {
			rc = -2; /* a gzip bomb, or simply too much */
			break;
		}
		if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out > 0) {
			rc = -1; /* truncated */
			break;
		}
	} while (zrc != Z_STREAM_END);
	inflateEnd(&zs);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[zs.total_out] = '\0';
	*out = buf;
	*out_len = zs.total_out;
	return 0;
}

struct relais_gzip_stream {
	z_stream zs;
	relais_gzip_write_fn write;
	void *data;
};

int relais_gzip_stream_new(relais_gzip_stream **out, relais_ctx *ctx, int level,
                           relais_gzip_write_fn write, void *data)
{
	relais_gzip_stream *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (deflateInit2(&s->zs, level, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(s);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	s->write = write;
	s->data = data;
	*out = s;
	return 0;
}

/* Feeds len bytes to the deflate stream, writing what comes out; last ends it. */
static int put(relais_gzip_stream *s, relais_ctx *ctx, const void *data, size_t len, int last)
{
	unsigned char chunk[16384];
	const unsigned char *p = data;
	int rc, zrc;

	do {
		size_t in = len > UINT_MAX ? UINT_MAX : len;
		int finish = last && in == len;
		s->zs.next_in = (Bytef *)(uintptr_t)p;
		s->zs.avail_in = (uInt)in;
		do {
			s->zs.next_out = chunk;
			s->zs.avail_out = sizeof(chunk);
			zrc = deflate(&s->zs, finish ? Z_FINISH : Z_NO_FLUSH);
			if (zrc == Z_STREAM_ERROR) {
				return relais_fail(ctx, RELAIS_ENOMEM, "cannot compress");
			}
			rc = s->write(s->data, chunk, sizeof(chunk) - s->zs.avail_out);
			if (rc != 0) {
				return rc;
			}
		} while (s->zs.avail_out == 0 || (finish && zrc != Z_STREAM_END));
		p += in;
		len -= in;
	} while (len > 0);
	return 0;
}

int relais_gzip_stream_put(relais_gzip_stream *s, relais_ctx *ctx, const void *data, size_t len)
{
	return put(s, ctx, data, len, 0);
}

int relais_gzip_stream_finish(relais_gzip_stream *s, relais_ctx *ctx)
{
	return put(s, ctx, "", 0, 1);
}

void relais_gzip_stream_free(relais_gzip_stream *s)
{
	if (s == NULL) {
		return;
	}
	deflateEnd(&s->zs);
	free(s);
}
