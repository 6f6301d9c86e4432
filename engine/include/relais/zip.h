/* zip.h: the strict, deterministic ZIP subset that bundles use (private). */
#ifndef RELAIS_ZIP_H
#define RELAIS_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

/*
 * Bundles use one canonical form of ZIP (docs/bundle-format.md): no ZIP64,
 * no extra fields, no comments, no data descriptors, fixed time stamps and
 * attributes, entries back to back. The writer produces exactly that form
 * and the reader accepts nothing else, so a changed byte anywhere in a
 * bundle is either covered by a signature or hash, or breaks the form.
 */

#define RELAIS_ZIP_STORE 0
#define RELAIS_ZIP_DEFLATE 8
#define RELAIS_ZIP_MAX_ENTRIES 20000
#define RELAIS_ZIP_MAX_NAME 255
#define RELAIS_ZIP_MAX_SIZE 0xFFFFFFFEu /* no ZIP64: every size and offset fits 32 bits */

/* One entry as it goes into an archive. */
struct relais_zip_source {
	const char *name;
	const unsigned char *data; /* already compressed when method is DEFLATE */
	size_t data_len;
	uint32_t size; /* uncompressed */
	uint32_t crc32;
	int method;
};

/* One entry as the central directory describes it. */
struct relais_zip_entry {
	char name[RELAIS_ZIP_MAX_NAME + 1];
	uint32_t offset; /* of the local header */
	uint32_t csize;
	uint32_t size;
	uint32_t crc32;
	int method;
};

typedef struct relais_zip relais_zip;

/* The highest deflate level (libdeflate's): the default for bundles. */
#define RELAIS_ZIP_MAX_LEVEL 12

/*
 * Deflates data at the given level (1 to RELAIS_ZIP_MAX_LEVEL; any other
 * value means the highest) with libdeflate into *out (malloc'd) and reports the
 * method to store it with: STORE when deflating does not make it smaller (then
 * *out is NULL and the raw data is stored). Also computes the CRC-32.
 */
int relais_zip_compress(unsigned char **out, size_t *out_len, int *method, uint32_t *crc,
                        const unsigned char *data, size_t len, int level);

/* Writes the entries, in order, as one archive through write_fn. */
typedef int (*relais_zip_write_fn)(void *data, const void *buf, size_t len);
int relais_zip_write(relais_ctx *ctx, const struct relais_zip_source *src, size_t n,
                     relais_zip_write_fn write_fn, void *write_data);

/*
 * The same archive written one entry at a time, so that a caller can stream
 * an entry's bytes (relais_zip_write() is built on it): every header is
 * derived from the entry's name, method, CRC-32, sizes and offset.
 */
typedef struct relais_zip_writer relais_zip_writer;
int relais_zip_writer_new(relais_zip_writer **out, relais_ctx *ctx, relais_zip_write_fn write_fn,
                          void *write_data);
/*
 * Writes src's local header and name. Then exactly src->data_len bytes
 * follow: src->data when not NULL, otherwise the caller's, through
 * relais_zip_writer_data(), before the next entry.
 */
int relais_zip_writer_add(relais_zip_writer *w, relais_ctx *ctx,
                          const struct relais_zip_source *src);
int relais_zip_writer_data(relais_zip_writer *w, relais_ctx *ctx, const void *buf, size_t len);
/* Writes the central directory and the end record. */
int relais_zip_writer_finish(relais_zip_writer *w, relais_ctx *ctx);
/* Bytes of local headers and data written so far. */
uint64_t relais_zip_writer_size(const relais_zip_writer *w);
void relais_zip_writer_free(relais_zip_writer *w);

/*
 * Opens an archive and checks its whole structure (every header field, that
 * entries are contiguous and cover the file, that names are safe and unique)
 * without reading any entry's data. `label` names the file in messages.
 * Returns 0, RELAIS_EFORMAT, RELAIS_ELIMIT, RELAIS_EIO, RELAIS_ENOMEM.
 */
int relais_zip_open(relais_zip **out, relais_ctx *ctx, const char *path);
void relais_zip_free(relais_zip *zip);

size_t relais_zip_count(const relais_zip *zip);
const struct relais_zip_entry *relais_zip_entry_at(const relais_zip *zip, size_t i);

/* Index of the entry with this name, or -1. */
long relais_zip_find(const relais_zip *zip, const char *name);

/*
 * Streams entry i's uncompressed bytes to fn in chunks, checking its local
 * header against the central directory, that it inflates to exactly its
 * declared size (never more: decompression bombs stop there), and its CRC-32.
 * Safe to call from several threads on one zip.
 */
typedef int (*relais_zip_data_fn)(void *data, const unsigned char *buf, size_t len);
int relais_zip_read(relais_ctx *ctx, const relais_zip *zip, size_t i, relais_zip_data_fn fn,
                    void *fn_data);

/* The archive's open file, borrowed until relais_zip_free(). */
int relais_zip_fd(const relais_zip *zip);

/*
 * Where entry i's stored bytes (compressed when deflated) start in the file,
 * after checking its local header against the central directory.
 */
int relais_zip_data_at(uint64_t *offset, relais_ctx *ctx, const relais_zip *zip, size_t i);

/*
 * Reads entry i whole into out (its declared size), inflating in one go,
 * and checks its size and CRC-32 (not the canonical form relais_zip_read
 * checks: for entries read that way before, in a file unchanged since).
 */
int relais_zip_read_whole(unsigned char *out, relais_ctx *ctx, const relais_zip *zip, size_t i);

/* Checks that an entry path is relative, normalised and safe. Returns 0 or -1 and a reason. */
int relais_zip_path_ok(const char *name, const char **why);

#endif
