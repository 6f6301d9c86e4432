/* fsutil.c: capped whole-file reads and atomic, durable file replacement. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "relais/error.h"
#include "relais/fsutil.h"

#define PATH_MAX_LEN 4096
#define SWEEP_AGE_S 60 /* a temporary file younger than this is never swept */

struct relais_atomic_file {
	relais_ctx *ctx;
	int fd;
	int failed;
	char path[PATH_MAX_LEN];
	char tmp[PATH_MAX_LEN + 16];
};

int relais_file_read(char **out, size_t *out_len, relais_ctx *ctx, const char *path, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = -1;
	int rc = 0;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                 path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "%s: %lld bytes, over the limit of %zu", path,
		                 (long long)st.st_size, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			break; /* the file shrank while we read it */
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0) {
		close(fd);
	}
	return rc;
}

/* Makes the rename durable: fsync of the folder that holds path. */
static int sync_parent(const char *path)
{
	char copy[PATH_MAX_LEN];
	int fd, rc;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy)) {
		return -1;
	}
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	rc = fsync(fd);
	close(fd);
	return rc;
}

int relais_atomic_open(relais_atomic_file **out, relais_ctx *ctx, const char *path, int mode)
{
	relais_atomic_file *af;
	int n;

	*out = NULL;
	af = calloc(1, sizeof(*af));
	if (af == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	af->ctx = ctx;
	af->fd = -1;
	if (snprintf(af->path, sizeof(af->path), "%s", path) >= (int)sizeof(af->path)) {
		free(af);
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", path);
	}
	n = snprintf(af->tmp, sizeof(af->tmp), "%s.tmpXXXXXX", path);
	if (n < 0 || n >= (int)sizeof(af->tmp)) {
		free(af);
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", path);
	}
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		int err = errno;
		free(af);
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(err));
	}
	/* Held until the file is committed or its writer dies: how
	 * relais_atomic_sweep() tells an abandoned file from one being written. */
	if (flock(af->fd, LOCK_EX | LOCK_NB) != 0 || fchmod(af->fd, (mode_t)mode) != 0) {
		int err = errno;
		relais_atomic_abort(af);
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(err));
	}
	*out = af;
	return 0;
}

int relais_atomic_write(relais_atomic_file *af, const void *data, size_t len)
{
	const char *p = data;

	if (af->failed) {
		return RELAIS_EIO;
	}
	while (len > 0) {
		ssize_t n = write(af->fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			af->failed = 1;
			return relais_fail(af->ctx, RELAIS_EIO, "%s: %s", af->path,
			                   n < 0 ? strerror(errno) : "short write");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int commit(relais_atomic_file *af, int exclusive)
{
	int err;

	if (af->failed) {
		return RELAIS_EIO;
	}
	if (fsync(af->fd) != 0 || close(af->fd) != 0) {
		err = errno;
		af->fd = -1;
		return relais_fail(af->ctx, RELAIS_EIO, "%s: %s", af->path, strerror(err));
	}
	af->fd = -1;
	if (exclusive) {
		/* link() fails if the target exists, which rename() would not. */
		if (link(af->tmp, af->path) != 0) {
			err = errno;
			return relais_fail(af->ctx, err == EEXIST ? RELAIS_EEXIST : RELAIS_EIO,
			                   "%s: %s", af->path,
			                   err == EEXIST ? "already exists" : strerror(err));
		}
		unlink(af->tmp);
	} else if (rename(af->tmp, af->path) != 0) {
		err = errno;
		return relais_fail(af->ctx, RELAIS_EIO, "%s: %s", af->path, strerror(err));
	}
	af->tmp[0] = '\0';
	if (sync_parent(af->path) != 0) {
		return relais_fail(af->ctx, RELAIS_EIO, "%s: cannot sync its folder", af->path);
	}
	return 0;
}

int relais_atomic_commit(relais_atomic_file *af)
{
	int rc = commit(af, 0);

	relais_atomic_abort(af);
	return rc;
}

void relais_atomic_abort(relais_atomic_file *af)
{
	if (af == NULL) {
		return;
	}
	if (af->fd >= 0) {
		close(af->fd);
	}
	if (af->tmp[0] != '\0') {
		unlink(af->tmp);
	}
	free(af);
}

int relais_file_write_atomic(relais_ctx *ctx, const char *path, const void *data, size_t len,
                             int mode, int exclusive)
{
	relais_atomic_file *af = NULL;
	int rc;

	if (exclusive && access(path, F_OK) == 0) {
		return relais_fail(ctx, RELAIS_EEXIST, "%s: already exists", path);
	}
	rc = relais_atomic_open(&af, ctx, path, mode);
	if (rc != 0) {
		return rc;
	}
	rc = relais_atomic_write(af, data, len);
	if (rc == 0) {
		rc = commit(af, exclusive);
	}
	relais_atomic_abort(af);
	return rc;
}

int relais_file_make_private(relais_ctx *ctx, const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0)) {
		int rc = relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

int relais_dir_is_open(const char *path, unsigned *mode)
{
	struct stat st;

	if (stat(path, &st) != 0 || (st.st_mode & 077) == 0) {
		return 0;
	}
	*mode = (unsigned)(st.st_mode & 07777);
	return 1;
}

/* Whether name looks like relais_atomic_open()'s temporary files: NAME.tmpXXXXXX. */
static int is_atomic_tmp(const char *name)
{
	size_t n = strlen(name);

	return n > 10 && memcmp(name + n - 10, ".tmp", 4) == 0;
}

int relais_atomic_sweep(relais_ctx *ctx, const char *dir, size_t *removed)
{
	time_t now = time(NULL);
	char path[PATH_MAX_LEN];
	struct stat st;
	struct dirent *e;
	DIR *d;

	*removed = 0;
	d = opendir(dir);
	if (d == NULL) {
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", dir, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		int fd, n;
		if (!is_atomic_tmp(e->d_name)) {
			continue;
		}
		n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n < 0 || n >= (int)sizeof(path)) {
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			continue;
		}
		/* A live writer holds its lock; a killed one left it free. A file
		 * just made may not be locked yet: only older ones are looked at. */
		if (fstat(fd, &st) == 0 && st.st_mtime < now - SWEEP_AGE_S &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0) {
			(*removed)++;
		}
		close(fd);
	}
	closedir(d);
	return 0;
}

int relais_dir_make(relais_ctx *ctx, const char *path, int mode)
{
	if (mkdir(path, (mode_t)mode) != 0 && errno != EEXIST) {
		return relais_fail(ctx, RELAIS_EIO, "%s: cannot make the folder (%s)", path,
		                   strerror(errno));
	}
	return 0;
}

int relais_dir_make_private(relais_ctx *ctx, const char *path)
{
	return relais_dir_make(ctx, path, 0700);
}

int relais_file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int relais_file_rename(relais_ctx *ctx, const char *from, const char *to)
{
	if (rename(from, to) != 0) {
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", to, strerror(errno));
	}
	return 0;
}

int relais_file_remove(relais_ctx *ctx, const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(errno));
	}
	return 0;
}

struct relais_part_file {
	relais_ctx *ctx;
	int fd;
	char path[PATH_MAX_LEN];
};

/* A failed write's message: a full disk or a file-size limit says so plainly. */
static int write_failed(relais_ctx *ctx, const char *path, int err)
{
	if (err == ENOSPC || err == EFBIG || err == EDQUOT) {
		return relais_fail(ctx, RELAIS_EIO, "%s: the disk is full", path);
	}
	return relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(err));
}

int relais_part_open(relais_part_file **out, uint64_t *have, relais_ctx *ctx, const char *path)
{
	relais_part_file *pf;
	struct stat st;

	*out = NULL;
	*have = 0;
	pf = calloc(1, sizeof(*pf));
	if (pf == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (snprintf(pf->path, sizeof(pf->path), "%s", path) >= (int)sizeof(pf->path)) {
		free(pf);
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", path);
	}
	pf->ctx = ctx;
	pf->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (pf->fd < 0 || fstat(pf->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int err = pf->fd < 0 ? errno : EINVAL;
		if (pf->fd >= 0) {
			close(pf->fd);
		}
		free(pf);
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", path, strerror(err));
	}
	if ((st.st_mode & 077) != 0) {
		(void)fchmod(pf->fd, 0600);
	}
	*have = (uint64_t)st.st_size;
	*out = pf;
	return 0;
}

int relais_part_restart(relais_part_file *pf)
{
	if (ftruncate(pf->fd, 0) != 0) {
		return relais_fail(pf->ctx, RELAIS_EIO, "%s: %s", pf->path, strerror(errno));
	}
	return 0;
}

int relais_part_write(relais_part_file *pf, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(pf->fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return write_failed(pf->ctx, pf->path, n < 0 ? errno : ENOSPC);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int relais_part_close(relais_part_file *pf)
{
	int rc = 0;

	if (pf == NULL) {
		return 0;
	}
	if (fsync(pf->fd) != 0) {
		rc = write_failed(pf->ctx, pf->path, errno);
	}
	if (close(pf->fd) != 0 && rc == 0) {
		rc = write_failed(pf->ctx, pf->path, errno);
	}
	free(pf);
	return rc;
}

struct relais_infile {
	relais_ctx *ctx;
	int fd;
};

int relais_infile_open(relais_infile **out, uint64_t *size, relais_ctx *ctx, const char *path)
{
	relais_infile *f;
	struct stat st;
	int fd;

	*out = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                   path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return relais_fail(ctx, RELAIS_EIO, "%s: not a regular file", path);
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		close(fd);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	f->ctx = ctx;
	f->fd = fd;
	*size = (uint64_t)st.st_size;
	*out = f;
	return 0;
}

int relais_infile_read(relais_infile *f, uint64_t offset, void *buf, size_t len, size_t *got)
{
	ssize_t n;

	do {
		n = pread(f->fd, buf, len, (off_t)offset);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		*got = 0;
		return relais_fail(f->ctx, RELAIS_EIO, "%s", strerror(errno));
	}
	*got = (size_t)n;
	return 0;
}

void relais_infile_close(relais_infile *f)
{
	if (f != NULL) {
		close(f->fd);
		free(f);
	}
}
