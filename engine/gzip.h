/* gzip.h: whole-buffer gzip compression for what crosses the network (private). */
#ifndef RELAIS_GZIP_H
#define RELAIS_GZIP_H

#include <stddef.h>

/*
 * Compresses len bytes of in as one gzip member (RFC 1952: no file name,
 * time 0) with libdeflate at level 1 to 12, into *out (malloc'd, *out_len
 * bytes). Returns 0, or RELAIS_ENOMEM.
 */
int relais_gzip(unsigned char **out, size_t *out_len, const void *in, size_t len, int level);

#endif
