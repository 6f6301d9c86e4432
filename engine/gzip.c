/* gzip.c: the one gzip module: whole buffers with libdeflate, streams and inflating with zlib. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

struct relais_gunzip_reader {
	z_stream zs;
	FILE *f;
	char *path; /* for messages */
	relais_gzip_tap_fn tap;
	void *tap_data;
	int ended; /* the member's trailer was checked */
	unsigned char in[65536];
};

int relais_gunzip_reader_open(relais_gunzip_reader **out, relais_ctx *ctx, const char *path,
                              relais_gzip_tap_fn tap, void *tap_data)
{
	relais_gunzip_reader *r;
	struct stat st;
	int rc = 0;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (inflateInit2(&r->zs, 31) != Z_OK) { /* 31: gzip only */
		free(r->path);
		free(r);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	r->tap = tap;
	r->tap_data = tap_data;
	if ((r->f = fopen(path, "rb")) == NULL) {
		rc = relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                 path, strerror(errno));
	} else if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a regular file", path);
	}
	if (rc != 0) {
		relais_gunzip_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Reads more of the file into r->in; *eof when none is left. Returns 0 or RELAIS_EIO. */
static int refill(relais_gunzip_reader *r, relais_ctx *ctx, int *eof)
{
	size_t n = fread(r->in, 1, sizeof(r->in), r->f);

	if (n == 0 && ferror(r->f)) {
		return relais_fail(ctx, RELAIS_EIO, "%s: cannot read it", r->path);
	}
	if (n > 0 && r->tap != NULL) {
		r->tap(r->tap_data, r->in, n);
	}
	r->zs.next_in = r->in;
	r->zs.avail_in = (uInt)n;
	*eof = n == 0;
	return 0;
}

int relais_gunzip_reader_read(relais_gunzip_reader *r, relais_ctx *ctx, void *buf, size_t size,
                              size_t *got)
{
	int eof = 0, rc, zrc;

	*got = 0;
	if (r->ended || size == 0) {
		return 0;
	}
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)(size > UINT_MAX ? UINT_MAX : size);
	while (r->zs.avail_out > 0) {
		if (r->zs.avail_in == 0) {
			if ((rc = refill(r, ctx, &eof)) != 0) {
				return rc;
			}
			if (eof) {
				return relais_fail(
				        ctx, RELAIS_EFORMAT, "%s: %s", r->path,
				        r->zs.total_in == 0
				                ? "empty, not a gzip file"
				                : "truncated: the gzip data stops short");
			}
		}
		zrc = inflate(&r->zs, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			/* One member, and nothing after it (what is signed is what is read). */
			while (r->zs.avail_in == 0 && !eof) {
				if ((rc = refill(r, ctx, &eof)) != 0) {
					return rc;
				}
			}
			if (r->zs.avail_in > 0) {
				return relais_fail(ctx, RELAIS_EFORMAT,
				                   "%s: bytes follow the gzip data", r->path);
			}
			r->ended = 1;
			break;
		}
		if (zrc != Z_OK && (zrc != Z_BUF_ERROR || r->zs.avail_in > 0)) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: not a gzip file, or a damaged one", r->path);
		}
	}
	*got = (size_t)(r->zs.next_out - (Bytef *)buf);
	return 0;
}

void relais_gunzip_reader_free(relais_gunzip_reader *r)
{
	if (r == NULL) {
		return;
	}
	inflateEnd(&r->zs);
	if (r->f != NULL) {
		fclose(r->f);
	}
	free(r->path);
	free(r);
}
