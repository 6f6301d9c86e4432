/* walbuf.c: the hub database's SQLite VFS: a commit's WAL frames reach the file in a few writes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hub_private.h"

/*
 * SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then
 * the page), about 620 for a batch of 100 statements (perf: 14% of the
 * hub's CPU time, most of it the calls themselves). This VFS wraps the
 * default one; for WAL files, writes that follow one another are gathered
 * in a buffer and written together before anything else touches the file:
 * a read, a sync (so that a commit is on disk before SQLite publishes it in
 * the WAL index, synchronous = FULL), a truncation, a size, a file control
 * or a close. Every other call goes straight to the default VFS, so the
 * files, locks and shared memory are SQLite's own.
 */

#define WALBUF_SIZE (1024 * 1024)
#define WRITE_MAX (64 * 1024)
#define VFS_NAME "relais-hub"

struct walfile {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, placed after this struct */
	char *buf;          /* WAL files only, made at the first write */
	size_t len;         /* bytes held in buf */
	sqlite3_int64 off;  /* where buf's first byte goes */
	int is_wal;
};

static sqlite3_vfs walbuf_vfs;
static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;

static sqlite3_vfs *real_vfs(void)
{
	return walbuf_vfs.pAppData;
}

/*
 * Writes what the buffer holds, in writes of WRITE_MAX at most (the unix
 * VFS cuts a larger one to 17 bits and reports the disk full). Returns
 * SQLITE_OK or the write's error; the buffer is emptied.
 */
static int flush(struct walfile *f)
{
	size_t done = 0, n;
	int rc = SQLITE_OK;

	for (; done < f->len && rc == SQLITE_OK; done += n) {
		n = f->len - done < WRITE_MAX ? f->len - done : WRITE_MAX;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
		                               f->off + (sqlite3_int64)done);
	}
	f->len = 0;
	return rc;
}

static int wb_close(sqlite3_file *file)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

static int wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct walfile *f = (struct walfile *)file;
	int rc;

	if (f->is_wal && f->buf == NULL) {
		f->buf = malloc(WALBUF_SIZE); /* none: writes go straight through */
	}
	if (f->buf == NULL || amt < 0 || (size_t)amt > WRITE_MAX) {
		rc = flush(f);
		return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, amt, off);
	}
	if (f->len > 0 &&
	    (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)amt > WALBUF_SIZE) &&
	    (rc = flush(f)) != SQLITE_OK) {
		return rc;
	}
	if (f->len == 0) {
		f->off = off;
	}
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_lock(sqlite3_file *file, int lock)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xLock(r, lock);
}

static int wb_unlock(sqlite3_file *file, int lock)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xUnlock(r, lock);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xCheckReservedLock(r, out);
}

static int wb_sector_size(sqlite3_file *file)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xSectorSize(r);
}

static int wb_device(sqlite3_file *file)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xDeviceCharacteristics(r);
}

static int wb_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xShmLock(r, offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *file)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	r->pMethods->xShmBarrier(r);
}

static int wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xShmUnmap(r, delete_flag);
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	struct walfile *f = (struct walfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	sqlite3_file *r = ((struct walfile *)file)->real;
	return r->pMethods->xUnfetch(r, off, p);
}

static const sqlite3_io_methods wb_methods = {
        3,
        wb_close,
        wb_read,
        wb_write,
        wb_truncate,
        wb_sync,
        wb_file_size,
        wb_lock,
        wb_unlock,
        wb_check_reserved,
        wb_file_control,
        wb_sector_size,
        wb_device,
        wb_shm_map,
        wb_shm_lock,
        wb_shm_barrier,
        wb_shm_unmap,
        wb_fetch,
        wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
	struct walfile *f = (struct walfile *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out_flags);
	/* Only a file the default VFS opened (its methods set) is ours to close. */
	f->base.pMethods = f->real->pMethods != NULL ? &wb_methods : NULL;
	return rc;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}

static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs()->xAccess(real_vfs(), name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static void register_vfs(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (real == NULL || real->iVersion < 2) {
		return;
	}
	walbuf_vfs = *real;
	walbuf_vfs.szOsFile = (int)sizeof(struct walfile) + real->szOsFile;
	walbuf_vfs.pNext = NULL;
	walbuf_vfs.zName = VFS_NAME;
	walbuf_vfs.pAppData = real;
	walbuf_vfs.xOpen = wb_open;
	walbuf_vfs.xDelete = wb_delete;
	walbuf_vfs.xAccess = wb_access;
	walbuf_vfs.xFullPathname = wb_full_pathname;
	if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK) {
		walbuf_vfs.zName = NULL;
	}
}

const char *relais_hub_vfs(void)
{
	pthread_once(&walbuf_once, register_vfs);
	return walbuf_vfs.zName; /* NULL: SQLite's default */
}
