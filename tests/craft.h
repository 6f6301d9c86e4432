/* craft.h: test helpers that build course folders and (hostile) bundles. */
#ifndef RELAIS_TEST_CRAFT_H
#define RELAIS_TEST_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "relais/key.h"

/* Makes a fresh temporary folder; returns its malloc'd path. */
char *craft_tmpdir(void);

/* Removes a folder tree; accepts NULL. */
void craft_rmtree(const char *path);

/* Writes text to dir/rel, making folders on the way. */
void craft_write(const char *dir, const char *rel, const char *text);
void craft_write_bytes(const char *dir, const char *rel, const void *data, size_t len);

/* Writes a small valid course (two lessons, a picture, a quiz) into dir. */
void craft_course(const char *dir);

/* Packs the course folder src signed with key into the bundle out (asserts it works). */
void craft_pack(const char *src, const relais_seckey *key, const char *out);

/* Reads a whole file, NUL-terminated; *len gets its size. Caller frees. */
unsigned char *craft_slurp(const char *path, size_t *len);

/* One entry of a crafted bundle. */
struct craft_entry {
	const char *name;
	const void *data;
	size_t len;
	long declared_size; /* >= 0: what the headers claim instead of len */
	int in_manifest;    /* list it in the manifest */
	int in_archive;     /* write it into the archive */
};

/*
 * Writes a bundle at path: manifest.json listing the entries marked
 * in_manifest (with their true size and SHA-256), its signature by key
 * (none when sign is 0, a garbled one when 2), then the entries marked in_archive in the given
 * order. manifest_override, when not NULL, replaces the manifest text.
 */
void craft_bundle(const char *path, const relais_seckey *key, const struct craft_entry *e, size_t n,
                  const char *manifest_override, int sign);

/*
 * Size of data deflated by zlib at its best level, 9: what other tools make
 * (zip -9, gzip -9). window_bits as for deflateInit2: -15 raw, 31 gzip.
 */
size_t craft_zlib_best_size(const void *data, size_t len, int window_bits);

/* Offset of the central directory record for entry `name` in a ZIP file image. */
size_t craft_central_offset(const unsigned char *zip, size_t len, const char *name);

/*
 * The craft-catalogue command: `craft-catalogue SECKEY OUTDIR [--raw SERIAL]`
 * reads a catalogue's JSON on stdin and writes OUTDIR/catalogue.json and
 * its .minisig signed by the (unencrypted) hub key SECKEY. Without --raw the
 * description is a catalogue whose hub_key is filled in from SECKEY, parsed
 * and written back by relais_catalogue_write (the hub's exact bytes); with
 * --raw the bytes are signed as they are, for SERIAL (malformed, oversized).
 * Returns the process's exit status.
 */
int craft_catalogue_main(int argc, char **argv);

#endif
