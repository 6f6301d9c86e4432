/* gzip.h: whole-buffer gzip compression for what crosses the network (private). */
#ifndef RELAIS_GZIP_H
#define RELAIS_GZIP_H

#include <stddef.h>

#include "relais/context.h"

/*
 * Compresses len bytes of in as one gzip member (RFC 1952: no file name,
 * time 0) with libdeflate at level 1 to 12, into *out (malloc'd, *out_len
 * bytes). Returns 0, or RELAIS_ENOMEM.
 */
int relais_gzip(unsigned char **out, size_t *out_len, const void *in, size_t len, int level);

/*
 * Inflates a gzip image of len bytes into *out (malloc'd, NUL-terminated),
 * refusing max bytes or more. Returns 0, -1 when it is not gzip or is damaged or
 * truncated, -2 when it inflates past max (a gzip bomb, or simply too much).
 */
int relais_gunzip(char **out, size_t *out_len, const void *in, size_t len, size_t max);

/* Where a gzip stream sends its output: 0 or a negative status (kept). */
typedef int (*relais_gzip_write_fn)(void *data, const void *buf, size_t len);

/* A gzip stream (zlib) for output too large to build whole in memory. */
typedef struct relais_gzip_stream relais_gzip_stream;

/* Starts a stream at level (1-9) writing to write(data, ...). Returns 0 or RELAIS_ENOMEM. */
int relais_gzip_stream_new(relais_gzip_stream **out, relais_ctx *ctx, int level,
                           relais_gzip_write_fn write, void *data);

/* Compresses len bytes; returns 0, or the write function's status. */
int relais_gzip_stream_put(relais_gzip_stream *s, relais_ctx *ctx, const void *data, size_t len);

/* Ends the stream (the gzip trailer is written); returns 0 or a status. */
int relais_gzip_stream_finish(relais_gzip_stream *s, relais_ctx *ctx);

/* Frees the stream; accepts NULL. */
void relais_gzip_stream_free(relais_gzip_stream *s);

/* Shown each run of compressed bytes a reader takes from its file (to hash them). */
typedef void (*relais_gzip_tap_fn)(void *data, const void *buf, size_t len);

/* A gzip file inflated as it is read, in constant memory, whatever its size. */
typedef struct relais_gunzip_reader relais_gunzip_reader;

/*
 * Opens path (a regular file) to inflate it; tap (or NULL) is shown every
 * byte read from it, in order, the bytes after the gzip data included.
 * Returns 0, RELAIS_ENOTFOUND, RELAIS_EIO, RELAIS_EFORMAT (not a regular
 * file) or RELAIS_ENOMEM, the message naming path.
 */
int relais_gunzip_reader_open(relais_gunzip_reader **out, relais_ctx *ctx, const char *path,
                              relais_gzip_tap_fn tap, void *tap_data);

/*
 * Inflates up to size bytes into buf, setting *got; *got is 0 only at the
 * end, once the file has been read whole. The file must hold exactly one
 * gzip member. Returns 0, RELAIS_EFORMAT (not gzip, damaged, truncated, or
 * bytes after the member) or RELAIS_EIO, the message naming path.
 */
int relais_gunzip_reader_read(relais_gunzip_reader *r, relais_ctx *ctx, void *buf, size_t size,
                              size_t *got);

/* Closes the file and frees the reader; accepts NULL. */
void relais_gunzip_reader_free(relais_gunzip_reader *r);

#endif
