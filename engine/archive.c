/* archive.c: read foreign packages (ZIP files as authoring tools write them, or folders) with
 * libarchive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "relais/archive.h"
#include "relais/error.h"
#include "relais/utf8.h"
#include "relais/zip.h"

#define NAME_MAX_BYTES 1024
#define SHOWN_MAX 256

struct reader {
	relais_ctx *ctx;
	relais_archive *a;
	size_t cap;
	uint64_t total;     /* bytes inflated so far */
	uint64_t file_size; /* of the ZIP file; 0 for a folder */
	struct relais_archive_limits lim;
};

static const char *shown(char *buf, size_t size, const char *s)
{
	relais_printable(buf, size, s);
	return buf;
}

/*
 * Normalises an entry name into out: '\' becomes '/', empty and "."
 * components go. Returns 0, or -1 with why set for a name that is absolute
 * or climbs out with "..".
 */
static int normalise(char *out, size_t size, const char *name, const char **why)
{
	char tmp[NAME_MAX_BYTES + 1], *tok, *save = NULL;
	size_t len = 0, n = strlen(name), i;

	if (n > NAME_MAX_BYTES) {
		*why = "is too long";
		return -1;
	}
	memcpy(tmp, name, n + 1);
	for (i = 0; i < n; i++) {
		if (tmp[i] == '\\') {
			tmp[i] = '/';
		}
	}
	if (tmp[0] == '/' ||
	    (n >= 2 && tmp[1] == ':' &&
	     ((tmp[0] >= 'a' && tmp[0] <= 'z') || (tmp[0] >= 'A' && tmp[0] <= 'Z')))) {
		*why = "is an absolute path";
		return -1;
	}
	out[0] = '\0';
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		size_t tl = strlen(tok);
		if (strcmp(tok, ".") == 0) {
			continue;
		}
		if (strcmp(tok, "..") == 0) {
			*why = "leaves the package (a \"..\" component)";
			return -1;
		}
		if (len + tl + 2 > size) {
			*why = "is too long";
			return -1;
		}
		if (len > 0) {
			out[len++] = '/';
		}
		memcpy(out + len, tok, tl + 1);
		len += tl;
	}
	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	return relais_zip_path_ok(out, why);
}

/* Adds one file, reading its data from ar, within the limits. */
static int add_file(struct reader *R, struct archive *ar, const char *path, int64_t declared)
{
	char show[SHOWN_MAX];
	struct relais_archive_file *f;
	unsigned char *data = NULL, *grown;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (R->a->n_files >= R->lim.max_files) {
		return relais_fail(R->ctx, RELAIS_ELIMIT, "more than %zu files (the limit)",
		                   R->lim.max_files);
	}
	if (declared > 0 && (uint64_t)declared > R->lim.max_file) {
		return relais_fail(R->ctx, RELAIS_ELIMIT,
		                   "%s is %lld bytes inflated, over the limit of %llu",
		                   shown(show, sizeof(show), path), (long long)declared,
		                   (unsigned long long)R->lim.max_file);
	}
	/* What the headers promise is checked before inflating anything; what
	 * really comes out is checked again below, as headers can lie. */
	if (declared > 0 && R->file_size > 0 &&
	    R->total + (uint64_t)declared > RELAIS_ARCHIVE_RATIO_FLOOR &&
	    (R->total + (uint64_t)declared) / R->file_size > R->lim.max_ratio) {
		return relais_fail(R->ctx, RELAIS_ELIMIT,
		                   "inflates to over %u times its size (past %llu bytes, at %s); a "
		                   "zip bomb?",
		                   R->lim.max_ratio, (unsigned long long)RELAIS_ARCHIVE_RATIO_FLOOR,
		                   shown(show, sizeof(show), path));
	}
	if (declared > 0 && R->total + (uint64_t)declared > R->lim.max_total) {
		return relais_fail(
		        R->ctx, RELAIS_ELIMIT,
		        "inflates to more than %llu bytes in all (the limit); a zip bomb?",
		        (unsigned long long)R->lim.max_total);
	}
	for (;;) {
		la_ssize_t got;
		if (cap - len < 65536) {
			size_t want = cap ? cap * 2 : 65536;
			if (declared > 0 && cap == 0 && (uint64_t)declared < want) {
				want = (size_t)declared + 1;
			}
			if (want > R->lim.max_file + 1) {
				want = (size_t)R->lim.max_file + 1;
			}
			if (want <= cap) {
				want = cap + 65536;
			}
			grown = realloc(data, want);
			if (grown == NULL) {
				rc = relais_fail(R->ctx, RELAIS_ENOMEM, "out of memory");
				goto out;
			}
			data = grown;
			cap = want;
		}
		got = archive_read_data(ar, data + len, cap - len);
		if (got < 0) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT, "%s: %s",
			                 shown(show, sizeof(show), path), archive_error_string(ar));
			goto out;
		}
		if (got == 0) {
			break;
		}
		len += (size_t)got;
		R->total += (uint64_t)got;
		if (len > R->lim.max_file) {
			rc = relais_fail(
			        R->ctx, RELAIS_ELIMIT,
			        "%s inflates to more than %llu bytes (the limit for one file)",
			        shown(show, sizeof(show), path),
			        (unsigned long long)R->lim.max_file);
			goto out;
		}
		if (R->total > R->lim.max_total) {
			rc = relais_fail(
			        R->ctx, RELAIS_ELIMIT,
			        "inflates to more than %llu bytes in all (the limit); a zip "
			        "bomb?",
			        (unsigned long long)R->lim.max_total);
			goto out;
		}
		if (R->file_size > 0 && R->total > RELAIS_ARCHIVE_RATIO_FLOOR &&
		    R->total / R->file_size > R->lim.max_ratio) {
			rc = relais_fail(R->ctx, RELAIS_ELIMIT,
			                 "inflates to over %u times its size (past %llu bytes, at "
			                 "%s); a zip bomb?",
			                 R->lim.max_ratio,
			                 (unsigned long long)RELAIS_ARCHIVE_RATIO_FLOOR,
			                 shown(show, sizeof(show), path));
			goto out;
		}
	}
	if (R->a->n_files == R->cap) {
		size_t ncap = R->cap ? R->cap * 2 : 64;
		f = realloc(R->a->files, ncap * sizeof(*f));
		if (f == NULL) {
			rc = relais_fail(R->ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		R->a->files = f;
		R->cap = ncap;
	}
	f = &R->a->files[R->a->n_files];
	f->path = strdup(path);
	if (f->path == NULL) {
		rc = relais_fail(R->ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	f->data = data;
	f->len = len;
	data = NULL;
	R->a->n_files++;
out:
	free(data);
	return rc;
}

static int cmp_files(const void *x, const void *y)
{
	const struct relais_archive_file *a = x, *b = y;

	return strcmp(a->path, b->path);
}

/* Walks the entries of an opened archive (ZIP or disk), adding regular files. */
static int walk(struct reader *R, struct archive *ar, const char *strip, int is_disk)
{
	char show[SHOWN_MAX], norm[NAME_MAX_BYTES + 1];
	struct archive_entry *e = NULL;
	size_t strip_len = strip ? strlen(strip) : 0;
	int rc = 0, r;

	e = archive_entry_new();
	if (e == NULL) {
		return relais_fail(R->ctx, RELAIS_ENOMEM, "out of memory");
	}
	for (;;) {
		const char *name, *why = NULL;
		mode_t type;

		r = archive_read_next_header2(ar, e);
		if (r == ARCHIVE_EOF) {
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT, "%s", archive_error_string(ar));
			goto out;
		}
		if (is_disk) {
			(void)archive_read_disk_descend(ar);
		}
		name = archive_entry_pathname_utf8(e);
		if (name == NULL) {
			name = archive_entry_pathname(e);
		}
		if (name == NULL || !relais_utf8_valid(name, strlen(name))) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT,
			                 "an entry's name is not UTF-8 (re-zip the package with "
			                 "UTF-8 names)");
			goto out;
		}
		if (is_disk) {
			if (strncmp(name, strip, strip_len) != 0) {
				continue;
			}
			name += strip_len;
			while (*name == '/') {
				name++;
			}
			if (*name == '\0') {
				continue; /* the folder itself */
			}
		}
		type = archive_entry_filetype(e);
		if (type == AE_IFDIR) {
			continue;
		}
		if (normalise(norm, sizeof(norm), name, &why) != 0) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT, "entry %s %s",
			                 shown(show, sizeof(show), name), why);
			goto out;
		}
		if (type != AE_IFREG) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT,
			                 "entry %s is %s; packages hold regular files only",
			                 shown(show, sizeof(show), name),
			                 type == AE_IFLNK ? "a symlink" : "not a regular file");
			goto out;
		}
		if (archive_entry_is_encrypted(e)) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT, "entry %s is encrypted",
			                 shown(show, sizeof(show), name));
			goto out;
		}
		rc = add_file(R, ar, norm,
		              archive_entry_size_is_set(e) ? archive_entry_size(e) : -1);
		if (rc != 0) {
			goto out;
		}
	}
	/* Sorted, so a name given twice sits next to its twin. */
	qsort(R->a->files, R->a->n_files, sizeof(*R->a->files), cmp_files);
	for (size_t i = 1; i < R->a->n_files; i++) {
		if (strcmp(R->a->files[i - 1].path, R->a->files[i].path) == 0) {
			rc = relais_fail(R->ctx, RELAIS_EFORMAT, "entry %s is given twice",
			                 shown(show, sizeof(show), R->a->files[i].path));
			goto out;
		}
	}
out:
	archive_entry_free(e);
	return rc;
}

int relais_archive_read(relais_archive **out, relais_ctx *ctx, const char *path,
                        const struct relais_archive_limits *limits)
{
	struct reader R;
	struct archive *ar = NULL;
	struct stat st;
	char strip[4096];
	int rc = 0, is_disk;

	*out = NULL;
	memset(&R, 0, sizeof(R));
	R.ctx = ctx;
	if (limits != NULL) {
		R.lim = *limits;
	}
	if (R.lim.max_total == 0) {
		R.lim.max_total = RELAIS_ARCHIVE_MAX_TOTAL;
	}
	if (R.lim.max_file == 0 || R.lim.max_file > R.lim.max_total) {
		R.lim.max_file = R.lim.max_total;
	}
	if (R.lim.max_files == 0) {
		R.lim.max_files = RELAIS_ARCHIVE_MAX_FILES;
	}
	if (R.lim.max_ratio == 0) {
		R.lim.max_ratio = RELAIS_ARCHIVE_MAX_RATIO;
	}
	if (stat(path, &st) != 0) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "does not exist");
	}
	is_disk = S_ISDIR(st.st_mode);
	if (!is_disk && !S_ISREG(st.st_mode)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "is neither a ZIP file nor a folder");
	}
	R.a = calloc(1, sizeof(*R.a));
	if (R.a == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	R.a->is_folder = is_disk;
	if (is_disk) {
		size_t n = strlen(path);
		while (n > 1 && path[n - 1] == '/') {
			n--;
		}
		if (n >= sizeof(strip)) {
			rc = relais_fail(ctx, RELAIS_ELIMIT, "path too long");
			goto out;
		}
		memcpy(strip, path, n);
		strip[n] = '\0';
		ar = archive_read_disk_new();
		if (ar == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		/* Symlinks are read as links (and refused), never followed. */
		archive_read_disk_set_symlink_physical(ar);
		if (archive_read_disk_open(ar, strip) != ARCHIVE_OK) {
			rc = relais_fail(ctx, RELAIS_EIO, "%s", archive_error_string(ar));
			goto out;
		}
		rc = walk(&R, ar, strip, 1);
	} else {
		R.file_size = (uint64_t)st.st_size;
		ar = archive_read_new();
		if (ar == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		/* ZIP only (seekable when possible: the central directory is read,
		 * which is what finds data-descriptor and ZIP64 sizes). */
		if (archive_read_support_format_zip(ar) != ARCHIVE_OK ||
		    archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "not a ZIP file (%s)",
			                 archive_error_string(ar) ? archive_error_string(ar) : "?");
			goto out;
		}
		rc = walk(&R, ar, NULL, 0);
	}
	if (rc != 0) {
		goto out;
	}
	*out = R.a;
	R.a = NULL;
out:
	if (ar != NULL) {
		archive_read_free(ar);
	}
	relais_archive_free(R.a);
	return rc;
}

const struct relais_archive_file *relais_archive_find(const relais_archive *a, const char *path)
{
	size_t lo = 0, hi = a->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->files[mid].path, path);
		if (c == 0) {
			return &a->files[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

void relais_archive_free(relais_archive *a)
{
	size_t i;

	if (a == NULL) {
		return;
	}
	for (i = 0; i < a->n_files; i++) {
		free(a->files[i].path);
		free(a->files[i].data);
	}
	free(a->files);
	free(a);
}
