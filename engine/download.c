/* download.c: the home's record of course downloads in progress (docs/catalogue.md, step 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home_private.h"
#include "relais/download.h"
#include "relais/error.h"
#include "relais/fsutil.h"

int relais_download_path(char *out, size_t size, relais_home *home, relais_ctx *ctx,
                         const char *sha256)
{
	char dir[4200];
	int n;

	if (!relais_sha256_hex_valid(sha256)) {
		return relais_fail(ctx, RELAIS_EINVAL, "not a SHA-256: %.70s", sha256);
	}
	n = snprintf(dir, sizeof(dir), "%s/downloads", relais_home_path(home));
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		return relais_fail(ctx, RELAIS_ELIMIT, "home folder path too long");
	}
	if (relais_dir_make_private(ctx, dir) != 0) {
		return relais_errcode(ctx);
	}
	n = snprintf(out, size, "%s/%s.part", dir, sha256);
	if (n < 0 || (size_t)n >= size) {
		return relais_fail(ctx, RELAIS_ELIMIT, "home folder path too long");
	}
	return 0;
}

int relais_download_begin(relais_home *home, relais_ctx *ctx, const struct relais_download *d)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO download(sha256, course_id, version, size, kind, "
	                            "started) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO "
	                            "NOTHING")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, d->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)d->version);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)d->size);
	sqlite3_bind_text(st, 5, d->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
	             ? 0
	             : relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "downloads");
	sqlite3_finalize(st);
	return rc;
}

int relais_download_end(relais_home *home, relais_ctx *ctx, const char *sha256)
{
	sqlite3_stmt *st = NULL;
	char path[4300];
	int rc;

	if ((rc = relais_download_path(path, sizeof(path), home, ctx, sha256)) != 0 ||
	    (rc = relais_file_remove(ctx, path)) != 0) {
		return rc;
	}
	if ((rc = relais_db_prepare(&st, home, ctx, "DELETE FROM download WHERE sha256 = ?")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
	             ? 0
	             : relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "downloads");
	sqlite3_finalize(st);
	return rc;
}

int relais_download_list(struct relais_download **out, size_t *n, relais_home *home,
                         relais_ctx *ctx)
{
	struct relais_download *list = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT sha256, course_id, version, size, kind, started "
	                            "FROM download ORDER BY started, sha256")) != 0) {
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_download *d = relais_push(&list, &count, sizeof(*list));
		if (d == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		(void)snprintf(d->sha256, sizeof(d->sha256), "%s", sqlite3_column_text(st, 0));
		(void)snprintf(d->course_id, sizeof(d->course_id), "%s",
		               sqlite3_column_text(st, 1));
		d->version = (uint64_t)sqlite3_column_int64(st, 2);
		d->size = (uint64_t)sqlite3_column_int64(st, 3);
		(void)snprintf(d->kind, sizeof(d->kind), "%s", sqlite3_column_text(st, 4));
		(void)snprintf(d->started, sizeof(d->started), "%s", sqlite3_column_text(st, 5));
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "downloads");
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
out:
	free(list);
	sqlite3_finalize(st);
	return rc;
}
