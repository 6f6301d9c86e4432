/* zip.c: write and read the one canonical ZIP form that bundles use (libdeflate, zlib). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "relais/error.h"
#include "relais/utf8.h"
#include "relais/zip.h"

#define LOCAL_SIG 0x04034b50u
#define CENTRAL_SIG 0x02014b50u
#define END_SIG 0x06054b50u
#define LOCAL_LEN 30
#define CENTRAL_LEN 46
#define END_LEN 22
#define VERSION_MADE_BY 0x031E /* Unix, ZIP 3.0 */
#define VERSION_NEEDED 20
#define FLAGS 0x0800 /* names are UTF-8 */
#define DOS_TIME 0
#define DOS_DATE 0x0021           /* 1980-01-01: no time stamps, so bundles are reproducible */
#define EXTERNAL_ATTR 0x81A40000u /* regular file, 0644 */
#define CHUNK 65536

struct relais_zip {
	int fd;
	char *path;
	size_t n;
	struct relais_zip_entry *entries;
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] | ((unsigned)p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

#define PROBE 65536
#define PROBE_MIN 4096

/*
 * Whether the first 64 KiB (or all of a smaller entry) barely shrink at level
 * 1 (under 0.5%): then deflating at a high level, about thirty times slower,
 * would cost much time for nothing. Deterministic like everything in a bundle.
 */
static int looks_incompressible(const unsigned char *data, size_t len)
{
	struct libdeflate_compressor *c;
	unsigned char *out;
	size_t n = len < PROBE ? len : PROBE;
	size_t got;

	c = libdeflate_alloc_compressor(1);
	out = malloc(n);
	if (c == NULL || out == NULL) {
		libdeflate_free_compressor(c);
		free(out);
		return 0;
	}
	/* 0 when the output would not fit in 99.5% of the input */
	got = libdeflate_deflate_compress(c, data, n, out, n * 995 / 1000);
	libdeflate_free_compressor(c);
	free(out);
	return got == 0;
}

int relais_zip_compress(unsigned char **out, size_t *out_len, int *method, uint32_t *crc,
                        const unsigned char *data, size_t len, int level)
{
	struct libdeflate_compressor *c;
	unsigned char *buf;
	size_t got;

	*out = NULL;
	*out_len = 0;
	*method = RELAIS_ZIP_STORE;
	if (len > RELAIS_ZIP_MAX_SIZE) {
		return RELAIS_ELIMIT;
	}
	*crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
	if (len < 2) {
		return 0; /* deflate cannot make it smaller */
	}
	if (len >= PROBE_MIN && looks_incompressible(data, len)) {
		return 0; /* photographs, archives: stored, not deflated in vain */
	}
	if (level < 1 || level > RELAIS_ZIP_MAX_LEVEL) {
		level = RELAIS_ZIP_MAX_LEVEL;
	}
	c = libdeflate_alloc_compressor(level);
	buf = malloc(len - 1);
	if (c == NULL || buf == NULL) {
		libdeflate_free_compressor(c);
		free(buf);
		return RELAIS_ENOMEM;
	}
	/* Output must be smaller than the input, else 0: the entry is stored. */
	got = libdeflate_deflate_compress(c, data, len, buf, len - 1);
	libdeflate_free_compressor(c);
	if (got == 0) {
		free(buf);
		return 0;
	}
	*out = buf;
	*out_len = got;
	*method = RELAIS_ZIP_DEFLATE;
	return 0;
}

static void local_header(unsigned char *h, const struct relais_zip_source *s, size_t name_len)
{
	put32(h, LOCAL_SIG);
	put16(h + 4, VERSION_NEEDED);
	put16(h + 6, FLAGS);
	put16(h + 8, (unsigned)s->method);
	put16(h + 10, DOS_TIME);
	put16(h + 12, DOS_DATE);
	put32(h + 14, s->crc32);
	put32(h + 18, (uint32_t)s->data_len);
	put32(h + 22, s->size);
	put16(h + 26, (unsigned)name_len);
	put16(h + 28, 0);
}

static void central_header(unsigned char *h, const struct relais_zip_source *s, size_t name_len,
                           uint32_t offset)
{
	put32(h, CENTRAL_SIG);
	put16(h + 4, VERSION_MADE_BY);
	put16(h + 6, VERSION_NEEDED);
	put16(h + 8, FLAGS);
	put16(h + 10, (unsigned)s->method);
	put16(h + 12, DOS_TIME);
	put16(h + 14, DOS_DATE);
	put32(h + 16, s->crc32);
	put32(h + 20, (uint32_t)s->data_len);
	put32(h + 24, s->size);
	put16(h + 28, (unsigned)name_len);
	put16(h + 30, 0); /* extra */
	put16(h + 32, 0); /* comment */
	put16(h + 34, 0); /* disk */
	put16(h + 36, 0); /* internal attributes */
	put32(h + 38, EXTERNAL_ATTR);
	put32(h + 42, offset);
}

struct relais_zip_writer {
	relais_zip_write_fn write_fn;
	void *write_data;
	struct relais_zip_entry *entries; /* what the central directory will say */
	size_t n, cap;
	uint64_t offset;  /* where the next local header goes */
	uint64_t pending; /* bytes still owed to the last entry */
	int failed;
};

int relais_zip_writer_new(relais_zip_writer **out, relais_ctx *ctx, relais_zip_write_fn write_fn,
                          void *write_data)
{
	relais_zip_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	w->write_fn = write_fn;
	w->write_data = write_data;
	*out = w;
	return 0;
}

void relais_zip_writer_free(relais_zip_writer *w)
{
	if (w == NULL) {
		return;
	}
	free(w->entries);
	free(w);
}

/* Passes bytes on, remembering a failure so that nothing follows it. */
static int emit(relais_zip_writer *w, const void *buf, size_t len)
{
	int rc;

	if (len == 0) {
		return 0;
	}
	if ((rc = w->write_fn(w->write_data, buf, len)) != 0) {
		w->failed = 1;
	}
	return rc;
}

int relais_zip_writer_add(relais_zip_writer *w, relais_ctx *ctx,
                          const struct relais_zip_source *src)
{
	unsigned char h[LOCAL_LEN];
	struct relais_zip_entry *e;
	size_t name_len = strlen(src->name);
	int rc;

	if (w->failed) {
		return relais_fail(ctx, RELAIS_EIO, "archive writer already failed");
	}
	if (w->pending != 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "entry %s is missing %llu bytes",
		                   w->entries[w->n - 1].name, (unsigned long long)w->pending);
	}
	if (w->n >= RELAIS_ZIP_MAX_ENTRIES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%zu entries, over the limit of %d",
		                   w->n + 1, RELAIS_ZIP_MAX_ENTRIES);
	}
	if (name_len == 0 || name_len > RELAIS_ZIP_MAX_NAME) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: entry name too long", src->name);
	}
	if (src->data_len > RELAIS_ZIP_MAX_SIZE ||
	    w->offset + LOCAL_LEN + name_len + src->data_len > RELAIS_ZIP_MAX_SIZE) {
		return relais_fail(ctx, RELAIS_ELIMIT, "bundle larger than 4 GiB");
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct relais_zip_entry *grown = realloc(w->entries, cap * sizeof(*grown));
		if (grown == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		w->entries = grown;
		w->cap = cap;
	}
	e = &w->entries[w->n];
	memcpy(e->name, src->name, name_len + 1);
	e->offset = (uint32_t)w->offset;
	e->csize = (uint32_t)src->data_len;
	e->size = src->size;
	e->crc32 = src->crc32;
	e->method = src->method;
	w->n++;
	local_header(h, src, name_len);
	if ((rc = emit(w, h, LOCAL_LEN)) != 0 || (rc = emit(w, src->name, name_len)) != 0) {
		return rc;
	}
	w->offset += LOCAL_LEN + name_len + src->data_len;
	if (src->data == NULL) {
		w->pending = src->data_len;
		return 0;
	}
	return emit(w, src->data, src->data_len);
}

int relais_zip_writer_data(relais_zip_writer *w, relais_ctx *ctx, const void *buf, size_t len)
{
	if (w->failed) {
		return relais_fail(ctx, RELAIS_EIO, "archive writer already failed");
	}
	if (len > w->pending) {
		return relais_fail(ctx, RELAIS_EINVAL, "more data than the entry's size");
	}
	w->pending -= len;
	return emit(w, buf, len);
}

int relais_zip_writer_finish(relais_zip_writer *w, relais_ctx *ctx)
{
	unsigned char h[CENTRAL_LEN];
	struct relais_zip_source s;
	uint64_t cd_start = w->offset, cd_size = 0;
	size_t i, name_len;
	int rc;

	if (w->failed) {
		return relais_fail(ctx, RELAIS_EIO, "archive writer already failed");
	}
	if (w->pending != 0) {
		return relais_fail(ctx, RELAIS_EINVAL, "entry %s is missing %llu bytes",
		                   w->entries[w->n - 1].name, (unsigned long long)w->pending);
	}
	for (i = 0; i < w->n; i++) {
		cd_size += CENTRAL_LEN + strlen(w->entries[i].name);
	}
	if (cd_start + cd_size + END_LEN > RELAIS_ZIP_MAX_SIZE) {
		return relais_fail(ctx, RELAIS_ELIMIT, "bundle larger than 4 GiB");
	}
	for (i = 0; i < w->n; i++) {
		const struct relais_zip_entry *e = &w->entries[i];
		name_len = strlen(e->name);
		s.name = e->name;
		s.data = NULL;
		s.data_len = e->csize;
		s.size = e->size;
		s.crc32 = e->crc32;
		s.method = e->method;
		central_header(h, &s, name_len, e->offset);
		if ((rc = emit(w, h, CENTRAL_LEN)) != 0 || (rc = emit(w, e->name, name_len)) != 0) {
			return rc;
		}
	}
	put32(h, END_SIG);
	put16(h + 4, 0);
	put16(h + 6, 0);
	put16(h + 8, (unsigned)w->n);
	put16(h + 10, (unsigned)w->n);
	put32(h + 12, (uint32_t)cd_size);
	put32(h + 16, (uint32_t)cd_start);
	put16(h + 20, 0);
	return emit(w, h, END_LEN);
}

uint64_t relais_zip_writer_size(const relais_zip_writer *w)
{
	return w->offset;
}

int relais_zip_write(relais_ctx *ctx, const struct relais_zip_source *src, size_t n,
                     relais_zip_write_fn write_fn, void *write_data)
{
	relais_zip_writer *w = NULL;
	size_t i;
	int rc;

	if (n > RELAIS_ZIP_MAX_ENTRIES) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%zu entries, over the limit of %d", n,
		                   RELAIS_ZIP_MAX_ENTRIES);
	}
	if ((rc = relais_zip_writer_new(&w, ctx, write_fn, write_data)) != 0) {
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		struct relais_zip_source s = src[i];
		if (s.data == NULL && s.data_len == 0) {
			s.data = (const unsigned char *)""; /* an empty entry owes nothing */
		}
		rc = relais_zip_writer_add(w, ctx, &s);
	}
	if (rc == 0) {
		rc = relais_zip_writer_finish(w, ctx);
	}
	relais_zip_writer_free(w);
	return rc;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return -1;
		}
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int relais_zip_path_ok(const char *name, const char **why)
{
	const char *p, *seg;
	size_t len = strlen(name);

	*why = NULL;
	if (len == 0) {
		*why = "is empty";
	} else if (len > RELAIS_ZIP_MAX_NAME) {
		*why = "is too long";
	} else if (name[0] == '/') {
		*why = "is absolute";
	} else if (!relais_utf8_valid(name, len)) {
		*why = "is not UTF-8";
	}
	for (p = name; *why == NULL && *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
			*why = "contains a control character or backslash";
		}
	}
	for (seg = name; *why == NULL;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0) {
			*why = "has an empty path component";
		} else if ((n == 1 && seg[0] == '.') ||
		           (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "contains . or ..";
		}
		if (end == NULL) {
			break;
		}
		seg = end + 1;
	}
	return *why ? -1 : 0;
}

static int cmp_names(const void *a, const void *b)
{
	const struct relais_zip_entry *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Parses and checks the central directory in cd (cd_len bytes, n entries). */
static int parse_central(relais_ctx *ctx, relais_zip *zip, const unsigned char *cd, size_t cd_len,
                         uint64_t cd_offset)
{
	const struct relais_zip_entry **sorted = NULL;
	uint64_t expect_offset = 0;
	size_t pos = 0, i;
	const char *why;
	int rc = 0;

	for (i = 0; i < zip->n; i++) {
		struct relais_zip_entry *e = &zip->entries[i];
		const unsigned char *h = cd + pos;
		char shown[RELAIS_ZIP_MAX_NAME * 4 + 1];
		unsigned name_len;
		uint32_t ext;

		if (cd_len - pos < CENTRAL_LEN || get32(h) != CENTRAL_SIG) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: central directory entry %zu is damaged", zip->path,
			                   i + 1);
		}
		name_len = get16(h + 28);
		if (name_len == 0 || name_len > RELAIS_ZIP_MAX_NAME ||
		    cd_len - pos - CENTRAL_LEN < name_len) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: central directory entry %zu has a bad name length",
			                   zip->path, i + 1);
		}
		memcpy(e->name, h + CENTRAL_LEN, name_len);
		e->name[name_len] = '\0';
		if (memchr(e->name, '\0', name_len) != NULL) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: entry %zu has a NUL in its name", zip->path, i + 1);
		}
		/* Until the name is checked, messages show it escaped. */
		relais_printable(shown, sizeof(shown), e->name);
		e->method = (int)get16(h + 10);
		e->crc32 = get32(h + 16);
		e->csize = get32(h + 20);
		e->size = get32(h + 24);
		e->offset = get32(h + 42);
		ext = get32(h + 38);
		if ((ext >> 16 & 0170000) == 0120000) {
			return relais_fail(ctx, RELAIS_EFORMAT, "%s: entry %s is a symlink",
			                   zip->path, shown);
		}
		if ((ext >> 16 & 0170000) == 0040000 || e->name[name_len - 1] == '/') {
			return relais_fail(ctx, RELAIS_EFORMAT, "%s: entry %s is a directory",
			                   zip->path, shown);
		}
		if (relais_zip_path_ok(e->name, &why) != 0) {
			return relais_fail(ctx, RELAIS_EFORMAT, "%s: entry path %s %s", zip->path,
			                   shown, why);
		}
		if (e->method != RELAIS_ZIP_STORE && e->method != RELAIS_ZIP_DEFLATE) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: entry %s uses an unsupported compression method",
			                   zip->path, shown);
		}
		if (get16(h + 4) != VERSION_MADE_BY || get16(h + 6) != VERSION_NEEDED ||
		    get16(h + 8) != FLAGS || get16(h + 12) != DOS_TIME ||
		    get16(h + 14) != DOS_DATE || get16(h + 30) != 0 || get16(h + 32) != 0 ||
		    get16(h + 34) != 0 || get16(h + 36) != 0 || ext != EXTERNAL_ATTR ||
		    (e->method == RELAIS_ZIP_STORE && e->csize != e->size)) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: entry %s has a damaged or non-canonical header",
			                   zip->path, shown);
		}
		if (e->offset != expect_offset) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: entry %s is not where the directory says",
			                   zip->path, shown);
		}
		expect_offset += (uint64_t)LOCAL_LEN + name_len + e->csize;
		pos += CENTRAL_LEN + name_len;
	}
	if (pos != cd_len || expect_offset != cd_offset) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "%s: the archive has bytes outside its entries", zip->path);
	}
	/* Names must be unique: sort pointers and compare neighbours. */
	sorted = malloc((zip->n ? zip->n : 1) * sizeof(*sorted));
	if (sorted == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	for (i = 0; i < zip->n; i++) {
		sorted[i] = &zip->entries[i];
	}
	qsort(sorted, zip->n, sizeof(*sorted), cmp_names);
	for (i = 1; i < zip->n; i++) {
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: entry %s is present twice",
			                 zip->path, sorted[i]->name);
			break;
		}
	}
	free(sorted);
	return rc;
}

int relais_zip_open(relais_zip **out, relais_ctx *ctx, const char *path)
{
	unsigned char end[END_LEN], magic[4];
	unsigned char *cd = NULL;
	relais_zip *zip = NULL;
	uint64_t size, cd_offset, cd_size;
	struct stat st;
	int rc = 0;

	*out = NULL;
	zip = calloc(1, sizeof(*zip));
	if (zip == NULL || (zip->path = strdup(path)) == NULL) {
		free(zip);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	zip->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (zip->fd < 0) {
		rc = relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                 path, strerror(errno));
		goto out;
	}
	if (fstat(zip->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: not a regular file", path);
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (size < 4 || pread_all(zip->fd, magic, 4, 0) != 0 ||
	    (get32(magic) != LOCAL_SIG && get32(magic) != END_SIG)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a ZIP file", path);
		goto out;
	}
	if (size > RELAIS_ZIP_MAX_SIZE) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "%s: larger than 4 GiB", path);
		goto out;
	}
	if (size < END_LEN || pread_all(zip->fd, end, END_LEN, size - END_LEN) != 0 ||
	    get32(end) != END_SIG) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "%s: truncated (no end-of-archive record at the end)", path);
		goto out;
	}
	zip->n = get16(end + 10);
	cd_size = get32(end + 12);
	cd_offset = get32(end + 16);
	if (get16(end + 4) != 0 || get16(end + 6) != 0 || get16(end + 8) != zip->n ||
	    get16(end + 20) != 0 || cd_offset + cd_size != size - END_LEN) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: damaged end-of-archive record", path);
		goto out;
	}
	if (zip->n > RELAIS_ZIP_MAX_ENTRIES) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "%s: too many entries", path);
		goto out;
	}
	if (cd_size > (uint64_t)zip->n * (CENTRAL_LEN + RELAIS_ZIP_MAX_NAME)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: damaged central directory", path);
		goto out;
	}
	cd = malloc(cd_size ? cd_size : 1);
	zip->entries = calloc(zip->n ? zip->n : 1, sizeof(*zip->entries));
	if (cd == NULL || zip->entries == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (pread_all(zip->fd, cd, cd_size, cd_offset) != 0) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: cannot read the central directory", path);
		goto out;
	}
	rc = parse_central(ctx, zip, cd, cd_size, cd_offset);
	if (rc != 0) {
		goto out;
	}
	*out = zip;
	zip = NULL;
out:
	free(cd);
	relais_zip_free(zip);
	return rc;
}

void relais_zip_free(relais_zip *zip)
{
	if (zip == NULL) {
		return;
	}
	if (zip->fd >= 0) {
		close(zip->fd);
	}
	free(zip->entries);
	free(zip->path);
	free(zip);
}

size_t relais_zip_count(const relais_zip *zip)
{
	return zip->n;
}

const struct relais_zip_entry *relais_zip_entry_at(const relais_zip *zip, size_t i)
{
	return i < zip->n ? &zip->entries[i] : NULL;
}

long relais_zip_find(const relais_zip *zip, const char *name)
{
	size_t i;

	for (i = 0; i < zip->n; i++) {
		if (strcmp(zip->entries[i].name, name) == 0) {
			return (long)i;
		}
	}
	return -1;
}

/* Checks the local header of e against the central directory's copy. */
static int check_local(relais_ctx *ctx, const relais_zip *zip, const struct relais_zip_entry *e)
{
	unsigned char h[LOCAL_LEN + RELAIS_ZIP_MAX_NAME];
	size_t name_len = strlen(e->name);

	if (pread_all(zip->fd, h, LOCAL_LEN + name_len, e->offset) != 0) {
		return relais_fail(ctx, RELAIS_EIO, "%s: cannot read entry %s", zip->path, e->name);
	}
	if (get32(h) != LOCAL_SIG || get16(h + 4) != VERSION_NEEDED || get16(h + 6) != FLAGS ||
	    get16(h + 8) != (unsigned)e->method || get16(h + 10) != DOS_TIME ||
	    get16(h + 12) != DOS_DATE || get32(h + 14) != e->crc32 || get32(h + 18) != e->csize ||
	    get32(h + 22) != e->size || get16(h + 26) != name_len || get16(h + 28) != 0 ||
	    memcmp(h + LOCAL_LEN, e->name, name_len) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "%s: entry %s: local header does not match the directory",
		                   zip->path, e->name);
	}
	return 0;
}

int relais_zip_read(relais_ctx *ctx, const relais_zip *zip, size_t i, relais_zip_data_fn fn,
                    void *fn_data)
{
	const struct relais_zip_entry *e;
	unsigned char *in = NULL, *outbuf = NULL;
	uint64_t pos, left, produced = 0;
	uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
	int zinit = 0, done = 0, padding_checked = 0, rc;
	unsigned char last = 0;
	z_stream zs;

	if (i >= zip->n) {
		return relais_fail(ctx, RELAIS_EINVAL, "no entry %zu", i);
	}
	e = &zip->entries[i];
	rc = check_local(ctx, zip, e);
	if (rc != 0) {
		return rc;
	}
	in = malloc(CHUNK);
	outbuf = malloc(CHUNK);
	if (in == NULL || outbuf == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	memset(&zs, 0, sizeof(zs));
	if (e->method == RELAIS_ZIP_DEFLATE) {
		if (inflateInit2(&zs, -15) != Z_OK) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		zinit = 1;
	}
	pos = (uint64_t)e->offset + LOCAL_LEN + strlen(e->name);
	left = e->csize;
	while (left > 0) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		if (pread_all(zip->fd, in, n, pos) != 0) {
			rc = relais_fail(ctx, RELAIS_EIO, "%s: entry %s is cut short", zip->path,
			                 e->name);
			goto out;
		}
		pos += n;
		left -= n;
		if (e->method == RELAIS_ZIP_STORE) {
			crc = (uint32_t)crc32(crc, in, (uInt)n);
			produced += n;
			if ((rc = fn(fn_data, in, n)) != 0) {
				goto out;
			}
			continue;
		}
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		while (zs.avail_in > 0 || (left == 0 && !done)) {
			int zrc;
			size_t got;
			if (done) {
				rc = relais_fail(ctx, RELAIS_EFORMAT,
				                 "%s: entry %s has data after its end", zip->path,
				                 e->name);
				goto out;
			}
			zs.next_out = outbuf;
			zs.avail_out = CHUNK;
			/* Z_BLOCK stops at block ends, so the padding after the
			 * final block can be seen before zlib discards it. */
			zrc = inflate(&zs, Z_BLOCK);
			if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
				rc = relais_fail(ctx, RELAIS_EFORMAT,
				                 "%s: entry %s: compressed data is corrupt",
				                 zip->path, e->name);
				goto out;
			}
			got = CHUNK - zs.avail_out;
			if (produced + got > e->size) {
				rc = relais_fail(ctx, RELAIS_ELIMIT,
				                 "%s: entry %s inflates past its declared size",
				                 zip->path, e->name);
				goto out;
			}
			produced += got;
			crc = (uint32_t)crc32(crc, outbuf, (uInt)got);
			if (got > 0 && (rc = fn(fn_data, outbuf, got)) != 0) {
				goto out;
			}
			if (!padding_checked && (zs.data_type & 128) && (zs.data_type & 64)) {
				/* The final block just ended: the bits left in its last
				 * byte must be zero, as deflate writes them. */
				unsigned pad = (unsigned)zs.data_type & 63u;
				unsigned char byte = zs.next_in > in ? zs.next_in[-1] : last;
				padding_checked = 1;
				if (pad >= 8 || (pad > 0 && (byte >> (8 - pad)) != 0)) {
					rc = relais_fail(ctx, RELAIS_EFORMAT,
					                 "%s: entry %s: compressed data has stray "
					                 "bits after its end",
					                 zip->path, e->name);
					goto out;
				}
			}
			if (zrc == Z_STREAM_END) {
				done = 1;
			} else if (zrc == Z_BUF_ERROR || (got == 0 && zs.avail_in == 0)) {
				break; /* needs more input */
			}
		}
		last = in[n - 1];
	}
	if (e->method == RELAIS_ZIP_DEFLATE) {
		if (!done || zs.avail_in != 0 || !padding_checked) {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "%s: entry %s: compressed data is truncated", zip->path,
			                 e->name);
			goto out;
		}
	}
	if (produced != e->size) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "%s: entry %s is shorter than its declared size", zip->path,
		                 e->name);
		goto out;
	}
	if (crc != e->crc32) {
		rc = relais_fail(ctx, RELAIS_EHASH, "%s: entry %s fails its CRC-32 check",
		                 zip->path, e->name);
		goto out;
	}
	rc = 0;
out:
	if (zinit) {
		inflateEnd(&zs);
	}
	free(in);
	free(outbuf);
	return rc;
}

int relais_zip_fd(const relais_zip *zip)
{
	return zip->fd;
}

int relais_zip_data_at(uint64_t *offset, relais_ctx *ctx, const relais_zip *zip, size_t i)
{
	int rc;

	*offset = 0;
	if (i >= zip->n) {
		return relais_fail(ctx, RELAIS_EINVAL, "no entry %zu", i);
	}
	if ((rc = check_local(ctx, zip, &zip->entries[i])) != 0) {
		return rc;
	}
	*offset = (uint64_t)zip->entries[i].offset + LOCAL_LEN + strlen(zip->entries[i].name);
	return 0;
}

int relais_zip_read_whole(unsigned char *out, relais_ctx *ctx, const relais_zip *zip, size_t i)
{
	const struct relais_zip_entry *e;
	struct libdeflate_decompressor *d = NULL;
	unsigned char *in = NULL;
	uint64_t pos;
	size_t got = 0;
	int rc;

	if ((rc = relais_zip_data_at(&pos, ctx, zip, i)) != 0) {
		return rc;
	}
	e = &zip->entries[i];
	if (e->method == RELAIS_ZIP_STORE) {
		if (pread_all(zip->fd, out, e->size, pos) != 0) {
			return relais_fail(ctx, RELAIS_EIO, "%s: entry %s is cut short", zip->path,
			                   e->name);
		}
		got = e->size;
	} else {
		in = malloc(e->csize ? e->csize : 1);
		d = libdeflate_alloc_decompressor();
		if (in == NULL || d == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if (pread_all(zip->fd, in, e->csize, pos) != 0) {
			rc = relais_fail(ctx, RELAIS_EIO, "%s: entry %s is cut short", zip->path,
			                 e->name);
			goto out;
		}
		if (libdeflate_deflate_decompress(d, in, e->csize, out, e->size, &got) !=
		    LIBDEFLATE_SUCCESS) {
			rc = relais_fail(ctx, RELAIS_EFORMAT,
			                 "%s: entry %s: compressed data is corrupt", zip->path,
			                 e->name);
			goto out;
		}
	}
	if (got != e->size || libdeflate_crc32(0, out, got) != e->crc32) {
		rc = relais_fail(ctx, RELAIS_EHASH, "%s: entry %s fails its CRC-32 check",
		                 zip->path, e->name);
		goto out;
	}
	rc = 0;
out:
	libdeflate_free_decompressor(d);
	free(in);
	return rc;
}
