/* delta.c: deltas between two versions of a bundle (docs/bundle-format.md, "Deltas"). */
#include "relais/delta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "relais/bundle.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/library.h"
#include "relais/manifest.h"
#include "relais/strbuf.h"
#include "relais/zip.h"

#define MAGIC "RELAISD\001"
#define MAGIC_LEN 8
#define MAX_HEADER 256     /* magic, id and ten fields fit well under this */
#define MAX_SIGNATURE 4096 /* a minisign signature is about 300 bytes */
#define MAX_VERSION (1ull << 53)
#define MAX_PATCH (RELAIS_MANIFEST_MAX_BYTES + MAX_SIGNATURE + 65536)
#define PATCH_LEVEL 19
#define CHUNK 65536

enum { OP_COPY = 1, OP_LITERAL = 2, OP_PACK = 3 };

/* ---- small encodings ---------------------------------------------------- */

static void put_uv(struct relais_strbuf *b, uint64_t v)
{
	char c[10];
	size_t n = 0;

	do {
		c[n] = (char)(v & 0x7f);
		v >>= 7;
		if (v != 0) {
			c[n] |= (char)0x80;
		}
		n++;
	} while (v != 0);
	relais_strbuf_addn(b, c, n);
}

static void put_u32(struct relais_strbuf *b, uint32_t v)
{
	char c[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};

	relais_strbuf_addn(b, c, 4);
}

static void hex_to_raw(unsigned char raw[32], const char *hex)
{
	for (size_t i = 0; i < 32; i++) {
		unsigned hi =
		        (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
		                                               : hex[2 * i + 1] - 'a' + 10);
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
}

static void raw_to_hex(char hex[RELAIS_SHA256_HEX], const unsigned char raw[32])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[64] = '\0';
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

/* SHA-256 and size of an open file, read from its start. */
static int hash_fd(char out[RELAIS_SHA256_HEX], uint64_t *size, relais_ctx *ctx, int fd,
                   const char *label)
{
	unsigned char *buf = malloc(CHUNK);
	relais_sha256 h;
	uint64_t off = 0;
	ssize_t n;

	if (buf == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	relais_sha256_init(&h);
	while ((n = pread(fd, buf, CHUNK, (off_t)off)) != 0) {
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			free(buf);
			return relais_fail(ctx, RELAIS_EIO, "%s: %s", label, strerror(errno));
		}
		relais_sha256_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	relais_sha256_final_hex(&h, out);
	*size = off;
	return 0;
}

/* Reads archive entry i (manifest.json or its signature) whole; *out malloc'd. */
static int read_entry(unsigned char **out, relais_ctx *ctx, const relais_zip *zip, size_t i,
                      size_t max)
{
	const struct relais_zip_entry *e = relais_zip_entry_at(zip, i);
	unsigned char *buf;
	int rc;

	*out = NULL;
	if (e == NULL || e->size > max) {
		return relais_fail(ctx, RELAIS_ELIMIT, "entry %zu is missing or too large", i);
	}
	buf = malloc(e->size ? e->size : 1);
	if (buf == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if ((rc = relais_zip_read_whole(buf, ctx, zip, i)) != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* ---- the header --------------------------------------------------------- */

struct header {
	struct relais_delta_info info;
	uint64_t manifest_len, signature_len, patch_len, ops_len;
	size_t len; /* of the header itself */
};

static void encode_header(struct relais_strbuf *b, const struct header *h)
{
	unsigned char raw[32];
	size_t id_len = strlen(h->info.id);

	relais_strbuf_addn(b, MAGIC, MAGIC_LEN);
	relais_strbuf_addn(b, (const char[]){(char)id_len}, 1);
	relais_strbuf_addn(b, h->info.id, id_len);
	put_uv(b, h->info.from_version);
	put_uv(b, h->info.to_version);
	hex_to_raw(raw, h->info.from_sha256);
	relais_strbuf_addn(b, (const char *)raw, 32);
	hex_to_raw(raw, h->info.to_sha256);
	relais_strbuf_addn(b, (const char *)raw, 32);
	put_uv(b, h->info.to_size);
	put_uv(b, h->manifest_len);
	put_uv(b, h->signature_len);
	put_uv(b, h->patch_len);
	put_uv(b, h->ops_len);
}

/* A cursor over bytes in memory (the header). */
struct cursor {
	const unsigned char *p;
	size_t len, at;
};

static int cur_uv(uint64_t *v, struct cursor *c)
{
	unsigned shift = 0;

	*v = 0;
	for (;;) {
		unsigned char byte;
		if (c->at >= c->len || shift > 56) {
			return -1;
		}
		byte = c->p[c->at++];
		*v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			return 0;
		}
		shift += 7;
	}
}

static int parse_header(struct header *h, relais_ctx *ctx, const unsigned char *p, size_t len,
                        uint64_t file_size, const char *label)
{
	struct cursor c = {p, len, 0};
	size_t id_len;

	memset(h, 0, sizeof(*h));
	if (len < MAGIC_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: not a relais delta", label);
	}
	c.at = MAGIC_LEN;
	if (c.at >= len || (id_len = p[c.at++]) == 0 || id_len > RELAIS_ID_MAX ||
	    len - c.at < id_len) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: damaged delta header", label);
	}
	memcpy(h->info.id, p + c.at, id_len);
	h->info.id[id_len] = '\0';
	c.at += id_len;
	if (!relais_id_ok(h->info.id)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: bad course id in delta header", label);
	}
	if (cur_uv(&h->info.from_version, &c) != 0 || cur_uv(&h->info.to_version, &c) != 0 ||
	    len - c.at < 64) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: damaged delta header", label);
	}
	raw_to_hex(h->info.from_sha256, p + c.at);
	raw_to_hex(h->info.to_sha256, p + c.at + 32);
	c.at += 64;
	if (cur_uv(&h->info.to_size, &c) != 0 || cur_uv(&h->manifest_len, &c) != 0 ||
	    cur_uv(&h->signature_len, &c) != 0 || cur_uv(&h->patch_len, &c) != 0 ||
	    cur_uv(&h->ops_len, &c) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: damaged delta header", label);
	}
	h->len = c.at;
	if (h->info.from_version == 0 || h->info.from_version >= h->info.to_version ||
	    h->info.to_version > MAX_VERSION) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: delta versions out of order", label);
	}
	if (h->info.to_size > RELAIS_ZIP_MAX_SIZE || h->manifest_len == 0 ||
	    h->manifest_len > RELAIS_MANIFEST_MAX_BYTES || h->signature_len == 0 ||
	    h->signature_len > MAX_SIGNATURE || h->patch_len == 0 || h->patch_len > MAX_PATCH ||
	    h->ops_len > RELAIS_ZIP_MAX_SIZE) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: delta header sizes out of range",
		                   label);
	}
	if (file_size != h->len + h->patch_len + h->ops_len) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "%s: delta is %llu bytes, its header announces %llu", label,
		                   (unsigned long long)file_size,
		                   (unsigned long long)(h->len + h->patch_len + h->ops_len));
	}
	return 0;
}

/* Opens a delta and reads its header; *fd is the open file. */
static int open_delta(struct header *h, int *fd, relais_ctx *ctx, const char *path)
{
	unsigned char buf[MAX_HEADER];
	struct stat st;
	size_t n;
	int rc;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		return relais_fail(ctx, errno == ENOENT ? RELAIS_ENOTFOUND : RELAIS_EIO, "%s: %s",
		                   path, strerror(errno));
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: not a regular file", path);
		goto fail;
	}
	n = (uint64_t)st.st_size < sizeof(buf) ? (size_t)st.st_size : sizeof(buf);
	if (pread_all(*fd, buf, n, 0) != 0) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: cannot read", path);
		goto fail;
	}
	if ((rc = parse_header(h, ctx, buf, n, (uint64_t)st.st_size, path)) == 0) {
		return 0;
	}
fail:
	close(*fd);
	*fd = -1;
	return rc;
}

int relais_delta_read_info(struct relais_delta_info *info, relais_ctx *ctx, const char *delta_path)
{
	struct header h;
	int fd, rc;

	if ((rc = open_delta(&h, &fd, ctx, delta_path)) != 0) {
		return rc;
	}
	close(fd);
	if (info != NULL) {
		*info = h.info;
	}
	return 0;
}

/* ---- building ----------------------------------------------------------- */

/* What the delta says about one entry of the new bundle. */
struct plan_op {
	int kind;
	int level;      /* OP_PACK */
	size_t base;    /* OP_COPY: base content index */
	size_t count;   /* OP_COPY: entries in the run */
	size_t new_zip; /* OP_LITERAL: the new archive's entry */
};

/* Whether two stored entries hold the same bytes. */
static int same_stored(int *same, relais_ctx *ctx, const relais_zip *a, size_t ia,
                       const relais_zip *b, size_t ib)
{
	const struct relais_zip_entry *ea = relais_zip_entry_at(a, ia),
	                              *eb = relais_zip_entry_at(b, ib);
	unsigned char *x = NULL, *y = NULL;
	uint64_t oa, ob, left;
	int rc = 0;

	*same = 0;
	if (ea->method != eb->method || ea->crc32 != eb->crc32 || ea->csize != eb->csize ||
	    ea->size != eb->size) {
		return 0;
	}
	if ((rc = relais_zip_data_at(&oa, ctx, a, ia)) != 0 ||
	    (rc = relais_zip_data_at(&ob, ctx, b, ib)) != 0) {
		return rc;
	}
	x = malloc(CHUNK);
	y = malloc(CHUNK);
	if (x == NULL || y == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	for (left = ea->csize; left > 0;) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		if (pread_all(relais_zip_fd(a), x, n, oa) != 0 ||
		    pread_all(relais_zip_fd(b), y, n, ob) != 0) {
			rc = relais_fail(ctx, RELAIS_EIO, "cannot read entry %s", ea->name);
			goto out;
		}
		if (memcmp(x, y, n) != 0) {
			goto out;
		}
		oa += n;
		ob += n;
		left -= n;
	}
	*same = 1;
out:
	free(x);
	free(y);
	return rc;
}

/* Orders base content entries by SHA-256, to find moved or renamed files. */
static int cmp_by_sha(const void *a, const void *b, void *arg)
{
	const relais_manifest *m = arg;
	const size_t *x = a, *y = b;
	int c = memcmp(m->entries[*x].sha256, m->entries[*y].sha256, 32);

	return c ? c : (*x > *y) - (*x < *y);
}

/* The level (1-12) at which the packer's rule gives this entry's stored bytes, or 0. */
static int find_level(int *level, relais_ctx *ctx, const relais_zip *zip, size_t i,
                      const unsigned char *raw, size_t raw_len, int first_try)
{
	const struct relais_zip_entry *e = relais_zip_entry_at(zip, i);
	unsigned char *stored = NULL;
	uint64_t off;
	int rc, l;

	*level = 0;
	if ((rc = relais_zip_data_at(&off, ctx, zip, i)) != 0) {
		return rc;
	}
	stored = malloc(e->csize ? e->csize : 1);
	if (stored == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (pread_all(relais_zip_fd(zip), stored, e->csize, off) != 0) {
		free(stored);
		return relais_fail(ctx, RELAIS_EIO, "cannot read entry %s", e->name);
	}
	for (l = 0; l <= RELAIS_ZIP_MAX_LEVEL && *level == 0; l++) {
		int try = l == 0 ? first_try : RELAIS_ZIP_MAX_LEVEL + 1 - l;
		unsigned char *out = NULL;
		size_t out_len;
		int method;
		uint32_t crc;
		if (try < 1 || (l > 0 && try == first_try)) {
			continue;
		}
		if ((rc = relais_zip_compress(&out, &out_len, &method, &crc, raw, raw_len, try)) !=
		    0) {
			free(stored);
			return relais_fail(ctx, rc, "cannot compress %s", e->name);
		}
		if (method == e->method && crc == e->crc32) {
			const unsigned char *got = out ? out : raw;
			size_t got_len = out ? out_len : raw_len;
			if (got_len == e->csize && memcmp(got, stored, got_len) == 0) {
				*level = try;
			}
		}
		free(out);
	}
	free(stored);
	return 0;
}

/* Where the delta's bytes go: counted only, or written. */
struct sink {
	relais_atomic_file *af; /* NULL: count only */
	uint64_t len;
	int rc;
};

static void sink_put(struct sink *s, const void *p, size_t n)
{
	if (s->rc == 0 && s->af != NULL) {
		s->rc = relais_atomic_write(s->af, p, n);
	}
	s->len += n;
}

static void sink_buf(struct sink *s, struct relais_strbuf *b)
{
	if (b->rc != 0 && s->rc == 0) {
		s->rc = b->rc;
	}
	sink_put(s, b->p, b->len);
	relais_strbuf_reset(b);
}

/* Writes (or counts) the ops, streaming literal bytes from the new archive. */
static void emit_ops(struct sink *s, relais_ctx *ctx, const struct plan_op *ops, size_t n_ops,
                     const relais_zip *nz)
{
	struct relais_strbuf b = {0};
	unsigned char *chunk = NULL;
	size_t i;

	for (i = 0; i < n_ops && s->rc == 0; i++) {
		const struct plan_op *op = &ops[i];
		relais_strbuf_addn(&b, (const char[]){(char)op->kind}, 1);
		if (op->kind == OP_PACK) {
			relais_strbuf_addn(&b, (const char[]){(char)op->level}, 1);
			sink_buf(s, &b);
		} else if (op->kind == OP_COPY) {
			put_uv(&b, op->base);
			put_uv(&b, op->count);
			sink_buf(s, &b);
		} else {
			const struct relais_zip_entry *e = relais_zip_entry_at(nz, op->new_zip);
			uint64_t off, left;
			relais_strbuf_addn(&b, (const char[]){(char)e->method}, 1);
			put_u32(&b, e->crc32);
			put_uv(&b, e->csize);
			sink_buf(s, &b);
			if (s->af == NULL) {
				s->len += e->csize;
				continue;
			}
			if (chunk == NULL && (chunk = malloc(CHUNK)) == NULL) {
				s->rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
				break;
			}
			if ((s->rc = relais_zip_data_at(&off, ctx, nz, op->new_zip)) != 0) {
				break;
			}
			for (left = e->csize; left > 0 && s->rc == 0;) {
				size_t n = left < CHUNK ? (size_t)left : CHUNK;
				if (pread_all(relais_zip_fd(nz), chunk, n, off) != 0) {
					s->rc = relais_fail(ctx, RELAIS_EIO, "cannot read entry %s",
					                    e->name);
					break;
				}
				sink_put(s, chunk, n);
				off += n;
				left -= n;
			}
		}
	}
	free(chunk);
	relais_strbuf_free(&b);
}

/* The new manifest and signature as a zstd frame with the old manifest as its prefix. */
static int make_patch(unsigned char **out, size_t *out_len, relais_ctx *ctx,
                      const unsigned char *prefix, size_t prefix_len, const unsigned char *src,
                      size_t src_len)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(src_len), got;
	unsigned char *buf = malloc(cap);

	*out = NULL;
	if (cc == NULL || buf == NULL) {
		ZSTD_freeCCtx(cc);
		free(buf);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, PATCH_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_refPrefix(cc, prefix, prefix_len))) {
		ZSTD_freeCCtx(cc);
		free(buf);
		return relais_fail(ctx, RELAIS_ENOMEM, "zstd: cannot set up the manifest patch");
	}
	got = ZSTD_compress2(cc, buf, cap, src, src_len);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(got)) {
		free(buf);
		return relais_fail(ctx, RELAIS_ENOMEM, "zstd: %s", ZSTD_getErrorName(got));
	}
	*out = buf;
	*out_len = got;
	return 0;
}

int relais_delta_build(struct relais_delta_info *info, relais_ctx *ctx, const char *old_bundle,
                       const char *new_bundle, const char *out_path)
{
	relais_bundle *ob = NULL, *nb = NULL;
	relais_zip *oz = NULL, *nz = NULL;
	const relais_manifest *om, *nm;
	unsigned char *old_manifest = NULL, *head = NULL, *patch = NULL;
	struct plan_op *ops = NULL;
	size_t *by_sha = NULL, n_ops = 0, patch_len = 0, i;
	relais_atomic_file *af = NULL;
	struct relais_strbuf hb = {0};
	struct header h;
	struct sink count = {0}, out = {0};
	uint64_t from_size;
	int rc, level = 0;

	memset(&h, 0, sizeof(h));
	if ((rc = relais_bundle_open(&ob, ctx, old_bundle, NULL)) != 0 ||
	    (rc = relais_bundle_open(&nb, ctx, new_bundle, NULL)) != 0 ||
	    (rc = relais_bundle_verify_all(ctx, ob, 2)) != 0 ||
	    (rc = relais_bundle_verify_all(ctx, nb, 2)) != 0) {
		goto out;
	}
	om = relais_bundle_manifest(ob);
	nm = relais_bundle_manifest(nb);
	if (strcmp(om->id, nm->id) != 0) {
		rc = relais_fail(ctx, RELAIS_EINVAL, "%s is course %s, %s is course %s", old_bundle,
		                 om->id, new_bundle, nm->id);
		goto out;
	}
	if (nm->version <= om->version) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "%s: version %llu is not newer than %s's version %llu", new_bundle,
		                 (unsigned long long)nm->version, old_bundle,
		                 (unsigned long long)om->version);
		goto out;
	}
	if (strcmp(relais_bundle_signer(ob), relais_bundle_signer(nb)) != 0) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE, "%s is signed by key %s, %s by key %s",
		                 old_bundle, relais_bundle_signer(ob), new_bundle,
		                 relais_bundle_signer(nb));
		goto out;
	}
	if ((rc = relais_zip_open(&oz, ctx, old_bundle)) != 0 ||
	    (rc = relais_zip_open(&nz, ctx, new_bundle)) != 0) {
		goto out;
	}
	(void)snprintf(h.info.id, sizeof(h.info.id), "%s", nm->id);
	h.info.from_version = om->version;
	h.info.to_version = nm->version;
	if ((rc = hash_fd(h.info.from_sha256, &from_size, ctx, relais_zip_fd(oz), old_bundle)) !=
	            0 ||
	    (rc = hash_fd(h.info.to_sha256, &h.info.to_size, ctx, relais_zip_fd(nz), new_bundle)) !=
	            0) {
		goto out;
	}
	h.manifest_len = relais_zip_entry_at(nz, 0)->size;
	h.signature_len = relais_zip_entry_at(nz, 1)->size;
	if (h.signature_len > MAX_SIGNATURE) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "%s: signature too large", new_bundle);
		goto out;
	}
	/* The new manifest and signature, one after the other. */
	head = malloc(h.manifest_len + h.signature_len);
	if (head == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = relais_zip_read_whole(head, ctx, nz, 0)) != 0 ||
	    (rc = relais_zip_read_whole(head + h.manifest_len, ctx, nz, 1)) != 0 ||
	    (rc = read_entry(&old_manifest, ctx, oz, 0, RELAIS_MANIFEST_MAX_BYTES)) != 0) {
		goto out;
	}
	if ((rc = make_patch(&patch, &patch_len, ctx, old_manifest,
	                     relais_zip_entry_at(oz, 0)->size, head,
	                     h.manifest_len + h.signature_len)) != 0) {
		goto out;
	}
	h.patch_len = patch_len;

	ops = calloc(nm->n_entries + 2, sizeof(*ops));
	by_sha = malloc((om->n_entries ? om->n_entries : 1) * sizeof(*by_sha));
	if (ops == NULL || by_sha == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	/* manifest.json and its signature: recompressed when this libdeflate
	 * gives their stored bytes back, else carried as they are. */
	for (i = 0; i < 2; i++) {
		const unsigned char *raw = head + (i ? h.manifest_len : 0);
		size_t raw_len = i ? h.signature_len : h.manifest_len;
		if ((rc = find_level(&level, ctx, nz, i, raw, raw_len, level)) != 0) {
			goto out;
		}
		ops[n_ops].kind = level ? OP_PACK : OP_LITERAL;
		ops[n_ops].level = level;
		ops[n_ops].new_zip = i;
		n_ops++;
	}
	for (i = 0; i < om->n_entries; i++) {
		by_sha[i] = i;
	}
	qsort_r(by_sha, om->n_entries, sizeof(*by_sha), cmp_by_sha, (void *)om);
	for (i = 0; i < nm->n_entries; i++) {
		const struct relais_manifest_entry *ne = &nm->entries[i];
		const struct relais_manifest_entry *same_path = relais_manifest_entry(om, ne->path);
		size_t base = 0, lo = 0, hi = om->n_entries;
		int found = 0, same = 0;
		if (same_path != NULL && memcmp(same_path->sha256, ne->sha256, 32) == 0) {
			base = (size_t)(same_path - om->entries);
			found = 1;
		} else {
			while (lo < hi) { /* the first base entry with this hash */
				size_t mid = lo + (hi - lo) / 2;
				if (memcmp(om->entries[by_sha[mid]].sha256, ne->sha256, 32) < 0) {
					lo = mid + 1;
				} else {
					hi = mid;
				}
			}
			if (lo < om->n_entries &&
			    memcmp(om->entries[by_sha[lo]].sha256, ne->sha256, 32) == 0) {
				base = by_sha[lo];
				found = 1;
			}
		}
		if (found && om->entries[base].size == ne->size &&
		    (rc = same_stored(&same, ctx, oz, base + 2, nz, i + 2)) != 0) {
			goto out;
		}
		if (same && n_ops > 0 && ops[n_ops - 1].kind == OP_COPY &&
		    ops[n_ops - 1].base + ops[n_ops - 1].count == base) {
			ops[n_ops - 1].count++;
		} else if (same) {
			ops[n_ops].kind = OP_COPY;
			ops[n_ops].base = base;
			ops[n_ops].count = 1;
			n_ops++;
		} else {
			ops[n_ops].kind = OP_LITERAL;
			ops[n_ops].new_zip = i + 2;
			n_ops++;
		}
	}
	emit_ops(&count, ctx, ops, n_ops, nz);
	if ((rc = count.rc) != 0) {
		goto out;
	}
	h.ops_len = count.len;
	encode_header(&hb, &h);
	if (hb.rc != 0) {
		rc = relais_fail(ctx, hb.rc, "out of memory");
		goto out;
	}
	if ((rc = relais_atomic_open(&af, ctx, out_path, 0644)) != 0) {
		goto out;
	}
	out.af = af;
	sink_buf(&out, &hb);
	sink_put(&out, patch, patch_len);
	emit_ops(&out, ctx, ops, n_ops, nz);
	if ((rc = out.rc) != 0) {
		goto out;
	}
	rc = relais_atomic_commit(af);
	af = NULL;
	if (rc == 0 && info != NULL) {
		*info = h.info;
	}
out:
	relais_atomic_abort(af);
	relais_strbuf_free(&hb);
	free(by_sha);
	free(ops);
	free(patch);
	free(head);
	free(old_manifest);
	relais_zip_free(oz);
	relais_zip_free(nz);
	relais_bundle_free(ob);
	relais_bundle_free(nb);
	return rc;
}

/* ---- applying ----------------------------------------------------------- */

/* Reads the ops section in chunks, never past its end. */
struct reader {
	int fd;
	uint64_t pos, end; /* in the file */
	unsigned char buf[CHUNK];
	size_t have, at;
	const char *label;
};

static int rd_fill(struct reader *r, relais_ctx *ctx)
{
	uint64_t left = r->end - r->pos;
	size_t n = left < CHUNK ? (size_t)left : CHUNK;

	if (n == 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "%s: delta is cut short", r->label);
	}
	if (pread_all(r->fd, r->buf, n, r->pos) != 0) {
		return relais_fail(ctx, RELAIS_EIO, "%s: cannot read", r->label);
	}
	r->pos += n;
	r->have = n;
	r->at = 0;
	return 0;
}

static int rd_byte(unsigned char *b, struct reader *r, relais_ctx *ctx)
{
	int rc;

	if (r->at == r->have && (rc = rd_fill(r, ctx)) != 0) {
		return rc;
	}
	*b = r->buf[r->at++];
	return 0;
}

static int rd_uv(uint64_t *v, struct reader *r, relais_ctx *ctx)
{
	unsigned shift = 0;
	unsigned char b;
	int rc;

	*v = 0;
	do {
		if (shift > 56) {
			return relais_fail(ctx, RELAIS_EFORMAT, "%s: damaged delta", r->label);
		}
		if ((rc = rd_byte(&b, r, ctx)) != 0) {
			return rc;
		}
		*v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return 0;
}

/* Where the rebuilt bundle goes: hashed, counted, never past its size. */
struct out {
	relais_atomic_file *af;
	relais_sha256 hash;
	uint64_t written, limit;
	relais_ctx *ctx;
	const char *label;
};

static int out_write(void *data, const void *buf, size_t len)
{
	struct out *o = data;

	if (len > o->limit - o->written) {
		return relais_fail(o->ctx, RELAIS_EHASH,
		                   "%s: the rebuilt bundle grows past its declared %llu bytes",
		                   o->label, (unsigned long long)o->limit);
	}
	o->written += len;
	relais_sha256_update(&o->hash, buf, len);
	return relais_atomic_write(o->af, buf, len);
}

/* Decodes the manifest patch into head (exactly want bytes). */
static int apply_patch(unsigned char *head, size_t want, relais_ctx *ctx, int fd,
                       const struct header *h, const unsigned char *prefix, size_t prefix_len,
                       const char *label)
{
	unsigned char *patch = malloc(h->patch_len), *dst = malloc(want + 1);
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	size_t got;
	int rc = 0;

	if (patch == NULL || dst == NULL || dc == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (pread_all(fd, patch, h->patch_len, h->len) != 0) {
		rc = relais_fail(ctx, RELAIS_EIO, "%s: cannot read", label);
		goto out;
	}
	if (ZSTD_findFrameCompressedSize(patch, h->patch_len) != h->patch_len) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: the manifest patch is damaged", label);
		goto out;
	}
	if (ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, 23)) ||
	    ZSTD_isError(ZSTD_DCtx_refPrefix(dc, prefix, prefix_len))) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "zstd: cannot set up");
		goto out;
	}
	/* One byte of room more than announced: a frame that fills it
	 * inflates past its declared size, and stops there. */
	got = ZSTD_decompressDCtx(dc, dst, want + 1, patch, h->patch_len);
	if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_dstSize_tooSmall) {
		rc = relais_fail(ctx, RELAIS_ELIMIT,
		                 "%s: the manifest patch inflates past its declared size", label);
		goto out;
	}
	if (ZSTD_isError(got)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: the manifest patch is damaged (%s)",
		                 label, ZSTD_getErrorName(got));
		goto out;
	}
	if (got != want) {
		rc = relais_fail(ctx, got > want ? RELAIS_ELIMIT : RELAIS_EFORMAT,
		                 "%s: the manifest patch gives %zu bytes, not %zu", label, got,
		                 want);
		goto out;
	}
	memcpy(head, dst, want);
out:
	ZSTD_freeDCtx(dc);
	free(dst);
	free(patch);
	return rc;
}

/* Streams n bytes at off in fd into the writer. */
static int stream_in(relais_zip_writer *w, relais_ctx *ctx, int fd, uint64_t off, uint64_t n,
                     unsigned char *chunk, const char *label)
{
	int rc;

	while (n > 0) {
		size_t k = n < CHUNK ? (size_t)n : CHUNK;
		if (pread_all(fd, chunk, k, off) != 0) {
			return relais_fail(ctx, RELAIS_EIO, "%s: cannot read", label);
		}
		if ((rc = relais_zip_writer_data(w, ctx, chunk, k)) != 0) {
			return rc;
		}
		off += k;
		n -= k;
	}
	return 0;
}

int relais_delta_apply(struct relais_delta_info *info, relais_ctx *ctx, const char *base_bundle,
                       const char *delta_path, const char *out_path)
{
	struct reader *r = NULL;
	struct header h;
	struct out o;
	relais_zip *bz = NULL;
	relais_zip_writer *w = NULL;
	relais_manifest *bm = NULL, *nm = NULL;
	unsigned char *base_manifest = NULL, *head = NULL, *chunk = NULL;
	char sum[RELAIS_SHA256_HEX];
	uint64_t base_size, n_new, k = 0;
	int fd = -1, rc;

	memset(&o, 0, sizeof(o));
	if ((rc = open_delta(&h, &fd, ctx, delta_path)) != 0) {
		return rc;
	}
	if (info != NULL) {
		*info = h.info;
	}
	if ((rc = relais_zip_open(&bz, ctx, base_bundle)) != 0 ||
	    (rc = hash_fd(sum, &base_size, ctx, relais_zip_fd(bz), base_bundle)) != 0) {
		goto out;
	}
	if (strcmp(sum, h.info.from_sha256) != 0) {
		rc = relais_fail(
		        ctx, RELAIS_EHASH,
		        "%s: delta is for another base (%s version %llu with SHA-256 %.16s...)",
		        base_bundle, h.info.id, (unsigned long long)h.info.from_version,
		        h.info.from_sha256);
		goto out;
	}
	if (relais_zip_count(bz) < 2 ||
	    strcmp(relais_zip_entry_at(bz, 0)->name, RELAIS_BUNDLE_MANIFEST) != 0 ||
	    (rc = read_entry(&base_manifest, ctx, bz, 0, RELAIS_MANIFEST_MAX_BYTES)) != 0 ||
	    (rc = relais_manifest_parse(&bm, ctx, (const char *)base_manifest,
	                                relais_zip_entry_at(bz, 0)->size)) != 0) {
		if (rc == 0) {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a bundle", base_bundle);
		}
		goto out;
	}
	if (relais_zip_count(bz) != bm->n_entries + 2) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: not a bundle", base_bundle);
		goto out;
	}
	head = malloc(h.manifest_len + h.signature_len);
	if (head == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = apply_patch(head, h.manifest_len + h.signature_len, ctx, fd, &h, base_manifest,
	                      relais_zip_entry_at(bz, 0)->size, delta_path)) != 0) {
		goto out;
	}
	if ((rc = relais_manifest_parse(&nm, ctx, (const char *)head, h.manifest_len)) != 0) {
		relais_prefix(ctx, "%s: new manifest", delta_path);
		goto out;
	}
	if (strcmp(nm->id, h.info.id) != 0 || nm->version != h.info.to_version) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: the new manifest is not %s version %llu",
		                 delta_path, h.info.id, (unsigned long long)h.info.to_version);
		goto out;
	}
	r = malloc(sizeof(*r));
	chunk = malloc(CHUNK);
	if (r == NULL || chunk == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	r->fd = fd;
	r->pos = h.len + h.patch_len;
	r->end = r->pos + h.ops_len;
	r->have = r->at = 0;
	r->label = delta_path;
	o.ctx = ctx;
	o.limit = h.info.to_size;
	o.label = delta_path;
	relais_sha256_init(&o.hash);
	if ((rc = relais_atomic_open(&o.af, ctx, out_path, 0644)) != 0 ||
	    (rc = relais_zip_writer_new(&w, ctx, out_write, &o)) != 0) {
		goto out;
	}
	n_new = nm->n_entries + 2;
	while (k < n_new) {
		struct relais_zip_source s;
		const unsigned char *raw = NULL;
		unsigned char kind, byte;
		uint64_t a, count, t;

		s.name = k == 0   ? RELAIS_BUNDLE_MANIFEST
		         : k == 1 ? RELAIS_BUNDLE_SIGNATURE
		                  : nm->entries[k - 2].path;
		s.size = (uint32_t)(k == 0   ? h.manifest_len
		                    : k == 1 ? h.signature_len
		                             : nm->entries[k - 2].size);
		if (k >= 2 && nm->entries[k - 2].size > RELAIS_ZIP_MAX_SIZE) {
			rc = relais_fail(ctx, RELAIS_ELIMIT, "%s: entry %s too large", delta_path,
			                 s.name);
			goto out;
		}
		raw = k == 0 ? head : k == 1 ? head + h.manifest_len : NULL;
		if ((rc = rd_byte(&kind, r, ctx)) != 0) {
			goto out;
		}
		if (kind == OP_PACK && raw != NULL) {
			unsigned char *packed = NULL;
			size_t packed_len;
			if ((rc = rd_byte(&byte, r, ctx)) != 0) {
				goto out;
			}
			if (byte < 1 || byte > RELAIS_ZIP_MAX_LEVEL) {
				rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: bad deflate level %u",
				                 delta_path, byte);
				goto out;
			}
			if ((rc = relais_zip_compress(&packed, &packed_len, &s.method, &s.crc32,
			                              raw, s.size, byte)) != 0) {
				rc = relais_fail(ctx, rc, "cannot compress %s", s.name);
				goto out;
			}
			s.data = packed ? packed : raw;
			s.data_len = packed ? packed_len : s.size;
			rc = relais_zip_writer_add(w, ctx, &s);
			free(packed);
			if (rc != 0) {
				goto out;
			}
			k++;
		} else if (kind == OP_LITERAL) {
			unsigned char c4[4];
			if ((rc = rd_byte(&byte, r, ctx)) != 0) {
				goto out;
			}
			s.method = byte;
			for (t = 0; t < 4; t++) {
				if ((rc = rd_byte(&c4[t], r, ctx)) != 0) {
					goto out;
				}
			}
			s.crc32 = (uint32_t)c4[0] | (uint32_t)c4[1] << 8 | (uint32_t)c4[2] << 16 |
			          (uint32_t)c4[3] << 24;
			if ((rc = rd_uv(&a, r, ctx)) != 0) {
				goto out;
			}
			if ((s.method != RELAIS_ZIP_STORE && s.method != RELAIS_ZIP_DEFLATE) ||
			    (s.method == RELAIS_ZIP_STORE && a != s.size)) {
				rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: literal %s is damaged",
				                 delta_path, s.name);
				goto out;
			}
			if (a > (r->end - r->pos) + (r->have - r->at)) {
				rc = relais_fail(ctx, RELAIS_EFORMAT,
				                 "%s: literal %s runs past the end of the delta",
				                 delta_path, s.name);
				goto out;
			}
			s.data = NULL;
			s.data_len = (size_t)a;
			if ((rc = relais_zip_writer_add(w, ctx, &s)) != 0) {
				goto out;
			}
			/* What is buffered first, then the rest straight from the file. */
			t = a < r->have - r->at ? a : r->have - r->at;
			if (t > 0 &&
			    (rc = relais_zip_writer_data(w, ctx, r->buf + r->at, t)) != 0) {
				goto out;
			}
			r->at += t;
			if ((rc = stream_in(w, ctx, fd, r->pos, a - t, chunk, delta_path)) != 0) {
				goto out;
			}
			r->pos += a - t;
			k++;
		} else if (kind == OP_COPY && raw == NULL) {
			if ((rc = rd_uv(&a, r, ctx)) != 0 || (rc = rd_uv(&count, r, ctx)) != 0) {
				goto out;
			}
			if (count == 0 || count > n_new - k || a >= bm->n_entries ||
			    count > bm->n_entries - a) {
				rc = relais_fail(ctx, RELAIS_EFORMAT,
				                 "%s: a copy names base entries out of range",
				                 delta_path);
				goto out;
			}
			for (t = 0; t < count; t++, k++) {
				const struct relais_manifest_entry *be = &bm->entries[a + t];
				const struct relais_manifest_entry *ne = &nm->entries[k - 2];
				const struct relais_zip_entry *ze =
				        relais_zip_entry_at(bz, a + t + 2);
				uint64_t off;
				if (be->size != ne->size ||
				    memcmp(be->sha256, ne->sha256, 32) != 0 ||
				    strcmp(ze->name, be->path) != 0 || ze->size != be->size) {
					rc = relais_fail(ctx, RELAIS_EFORMAT,
					                 "%s: entry %s is not the base's %s",
					                 delta_path, ne->path, be->path);
					goto out;
				}
				s.name = ne->path;
				s.size = ze->size;
				s.method = ze->method;
				s.crc32 = ze->crc32;
				s.data = NULL;
				s.data_len = ze->csize;
				if ((rc = relais_zip_data_at(&off, ctx, bz, a + t + 2)) != 0 ||
				    (rc = relais_zip_writer_add(w, ctx, &s)) != 0 ||
				    (rc = stream_in(w, ctx, relais_zip_fd(bz), off, ze->csize,
				                    chunk, base_bundle)) != 0) {
					goto out;
				}
			}
		} else {
			rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: unknown or misplaced op %u",
			                 delta_path, kind);
			goto out;
		}
	}
	if (r->at != r->have || r->pos != r->end) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: delta has bytes after its last entry",
		                 delta_path);
		goto out;
	}
	if ((rc = relais_zip_writer_finish(w, ctx)) != 0) {
		goto out;
	}
	relais_sha256_final_hex(&o.hash, sum);
	if (o.written != h.info.to_size || strcmp(sum, h.info.to_sha256) != 0) {
		rc = relais_fail(ctx, RELAIS_EHASH,
		                 "%s: the rebuilt bundle is not %s version %llu (size or SHA-256 "
		                 "differs)",
		                 delta_path, h.info.id, (unsigned long long)h.info.to_version);
		goto out;
	}
	rc = relais_atomic_commit(o.af);
	o.af = NULL;
out:
	relais_atomic_abort(o.af);
	relais_zip_writer_free(w);
	free(chunk);
	free(r);
	relais_manifest_free(nm);
	relais_manifest_free(bm);
	free(head);
	free(base_manifest);
	relais_zip_free(bz);
	if (fd >= 0) {
		close(fd);
	}
	return rc;
}

/* ---- installing --------------------------------------------------------- */

int relais_delta_install(struct relais_install_result *out, relais_home *home, relais_ctx *ctx,
                         const char *delta_path)
{
	struct relais_course_info c;
	struct relais_delta_info info;
	char tmp[4096];
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((rc = relais_delta_read_info(&info, ctx, delta_path)) != 0) {
		return rc;
	}
	rc = relais_library_get(&c, home, ctx, info.id);
	if (rc == RELAIS_ENOTFOUND) {
		return relais_fail(ctx, rc,
		                   "%s: course %s is not installed; install the whole bundle",
		                   delta_path, info.id);
	}
	if (rc != 0) {
		return rc;
	}
	(void)snprintf(out->id, sizeof(out->id), "%s", info.id);
	if (c.version == info.to_version) {
		out->outcome = RELAIS_UNCHANGED;
		out->version = c.version;
		goto out;
	}
	if (c.version != info.from_version) {
		rc = relais_fail(ctx, RELAIS_EHASH,
		                 "%s: delta is for another base: it updates %s version %llu to "
		                 "%llu, and version %llu is installed",
		                 delta_path, info.id, (unsigned long long)info.from_version,
		                 (unsigned long long)info.to_version,
		                 (unsigned long long)c.version);
		goto out;
	}
	/* Rebuilt beside the library (same file system), then installed as any
	 * bundle is: signature, trust, binding, rollback, every byte. */
	if (snprintf(tmp, sizeof(tmp), "%s/%s-%llu.rebuilt.relais", relais_home_path(home), info.id,
	             (unsigned long long)info.to_version) >= (int)sizeof(tmp)) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "home path too long");
		goto out;
	}
	/* What a rebuild killed mid-way left behind (only files nobody holds). */
	{
		size_t swept;
		(void)relais_atomic_sweep(ctx, relais_home_path(home), &swept);
	}
	if ((rc = relais_delta_apply(NULL, ctx, c.file, delta_path, tmp)) != 0) {
		goto out;
	}
	rc = relais_library_install(out, home, ctx, tmp);
	unlink(tmp);
out:
	relais_course_info_clear(&c);
	return rc;
}
