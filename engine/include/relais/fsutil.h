/* fsutil.h: whole-file reads with a cap, and writes that land atomically. */
#ifndef RELAIS_FSUTIL_H
#define RELAIS_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"

/*
 * Reads a whole regular file of at most max bytes into *out (malloc'd, with a
 * NUL after the last byte that *out_len does not count). Returns 0,
 * RELAIS_ENOTFOUND, RELAIS_ELIMIT (larger than max), RELAIS_EIO, RELAIS_ENOMEM.
 */
int relais_file_read(char **out, size_t *out_len, relais_ctx *ctx, const char *path, size_t max);

/*
 * Writes data to path so that readers see either the old file or the whole
 * new one: a temporary file beside it, fsync, rename, fsync of the folder.
 * With exclusive set, an existing path is refused (RELAIS_EEXIST). mode is
 * the new file's permission bits. On failure nothing is left behind.
 */
int relais_file_write_atomic(relais_ctx *ctx, const char *path, const void *data, size_t len,
                             int mode, int exclusive);

/* A writer that fills a temporary file and either commits it or discards it. */
/*
 * Makes path a file only its owner may read or write (mode 0600): creates it
 * empty when missing (never following a symbolic link), and tightens its mode
 * when it is looser (a database made before this rule). Returns 0 or RELAIS_EIO.
 */
int relais_file_make_private(relais_ctx *ctx, const char *path);

/*
 * Whether the folder at path lets other accounts in (any group or other
 * permission bit). Returns 1 with *mode set, 0 when it is private or
 * cannot be read.
 */
int relais_dir_is_open(const char *path, unsigned *mode);

typedef struct relais_atomic_file relais_atomic_file;

/* Starts writing path (created with mode when committed). */
int relais_atomic_open(relais_atomic_file **out, relais_ctx *ctx, const char *path, int mode);

/* Appends len bytes. Returns 0, or RELAIS_EIO (the disk is full, ...). */
int relais_atomic_write(relais_atomic_file *af, const void *data, size_t len);

/* Syncs and renames into place; frees af whatever the outcome. */
int relais_atomic_commit(relais_atomic_file *af);

/* Removes the temporary file; accepts NULL. */
void relais_atomic_abort(relais_atomic_file *af);

/*
 * Removes the temporary files that writers killed mid-way (power cut,
 * kill -9) left in dir, a minute or more ago; files still being written
 * (their writer holds a lock) are left alone. Sets
 * *removed. Returns 0, or RELAIS_EIO when dir cannot be read.
 */
int relais_atomic_sweep(relais_ctx *ctx, const char *dir, size_t *removed);

/* Makes a folder with mode (an existing folder is fine). Returns 0 or RELAIS_EIO. */
int relais_dir_make(relais_ctx *ctx, const char *path, int mode);

/* Whether path names a regular file. */
int relais_file_exists(const char *path);

/*
 * Moves from onto to, replacing to if it exists, atomically where the
 * system allows. Returns 0 or RELAIS_EIO naming to.
 */
int relais_file_rename(relais_ctx *ctx, const char *from, const char *to);
/* Makes the folder path (mode 0700) when it is missing. Returns 0 or RELAIS_EIO. */
int relais_dir_make_private(relais_ctx *ctx, const char *path);

/* Removes a file; one already gone is not an error. Returns 0 or RELAIS_EIO. */
int relais_file_remove(relais_ctx *ctx, const char *path);

/*
 * A file that grows across runs (a download resumed): appended to, kept
 * when the writer stops, mode 0600.
 */
typedef struct relais_part_file relais_part_file;

/*
 * Opens path for appending, creating it (0600, never through a symbolic
 * link) when missing; *have gets its present size. Returns 0 or RELAIS_EIO.
 */
int relais_part_open(relais_part_file **out, uint64_t *have, relais_ctx *ctx, const char *path);

/* Empties the file, to write it again from its start. */
int relais_part_restart(relais_part_file *pf);

/* Appends len bytes. Returns 0, or RELAIS_EIO ("the disk is full", ...). */
int relais_part_write(relais_part_file *pf, const void *data, size_t len);

/* Syncs and closes; accepts NULL. Returns 0, or RELAIS_EIO when the data may not be on disk. */
int relais_part_close(relais_part_file *pf);

/* A file read piece by piece at given offsets (a bundle on a USB stick). */
typedef struct relais_infile relais_infile;

/* Opens a regular file for reading; *size gets its size. RELAIS_ENOTFOUND or RELAIS_EIO. */
int relais_infile_open(relais_infile **out, uint64_t *size, relais_ctx *ctx, const char *path);

/* Reads up to len bytes at offset into buf; *got is 0 at the end. Returns 0 or RELAIS_EIO. */
int relais_infile_read(relais_infile *f, uint64_t offset, void *buf, size_t len, size_t *got);

/* Closes; accepts NULL. */
void relais_infile_close(relais_infile *f);

#endif
