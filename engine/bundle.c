/* bundle.c: open signed bundles in place; read entries checked against their hashes. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "relais/bundle.h"
#include "relais/error.h"
#include "relais/zip.h"

#define SIGNATURE_MAX 4096
#define CONTENT_OFFSET 2 /* manifest.json and its signature come first */

struct relais_bundle {
	relais_zip *zip;
	relais_manifest *manifest;
	char signer[RELAIS_KEYID_HEX];
	unsigned long long file_size;
	struct stat st; /* of the open file, to see it change */
};

struct membuf {
	unsigned char *data;
	size_t len, cap;
	crypto_hash_sha256_state sha;
};

static int membuf_put(void *p, const unsigned char *buf, size_t len)
{
	struct membuf *m = p;

	if (len > m->cap - m->len) {
		return RELAIS_ELIMIT; /* the zip layer bounds sizes; this is a backstop */
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	crypto_hash_sha256_update(&m->sha, buf, len);
	return 0;
}

static int hash_put(void *p, const unsigned char *buf, size_t len)
{
	crypto_hash_sha256_update(p, buf, len);
	return 0;
}

/* Reads zip entry i whole, with a cap; does not check any hash. */
static int read_raw(unsigned char **out, size_t *out_len, unsigned char sha[32], relais_ctx *ctx,
                    const relais_zip *zip, size_t i, size_t max)
{
	const struct relais_zip_entry *e = relais_zip_entry_at(zip, i);
	struct membuf m;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (e->size > max) {
		return relais_fail(ctx, RELAIS_ELIMIT, "entry %s: %u bytes, over the limit of %zu",
		                   e->name, e->size, max);
	}
	memset(&m, 0, sizeof(m));
	m.cap = e->size;
	m.data = malloc((size_t)e->size + 1);
	if (m.data == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory reading %s", e->name);
	}
	crypto_hash_sha256_init(&m.sha);
	rc = relais_zip_read(ctx, zip, i, membuf_put, &m);
	if (rc != 0) {
		free(m.data);
		return rc;
	}
	m.data[m.len] = '\0';
	if (sha != NULL) {
		crypto_hash_sha256_final(&m.sha, sha);
	}
	*out = m.data;
	*out_len = m.len;
	return 0;
}

/* Checks that the archive holds exactly the manifest's entries, in order. */
static int check_entries(relais_ctx *ctx, const relais_bundle *b, const char *path)
{
	const relais_manifest *m = b->manifest;
	size_t n = relais_zip_count(b->zip), i;

	for (i = 0; i < m->n_entries; i++) {
		const struct relais_zip_entry *ze;
		if (i > 0 && strcmp(m->entries[i - 1].path, m->entries[i].path) >= 0) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: manifest entries are not in sorted order at %s",
			                   path, m->entries[i].path);
		}
		if (i + CONTENT_OFFSET >= n) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: manifest lists %s, which the archive lacks", path,
			                   m->entries[i].path);
		}
		ze = relais_zip_entry_at(b->zip, i + CONTENT_OFFSET);
		if (strcmp(ze->name, m->entries[i].path) != 0) {
			long at = relais_zip_find(b->zip, m->entries[i].path);
			if (at < 0) {
				return relais_fail(ctx, RELAIS_EFORMAT,
				                   "%s: manifest lists %s, which the archive lacks",
				                   path, m->entries[i].path);
			}
			if (relais_manifest_entry(m, ze->name) == NULL) {
				return relais_fail(ctx, RELAIS_EFORMAT,
				                   "%s: entry %s is not listed in the manifest",
				                   path, ze->name);
			}
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: entry %s is out of order in the archive", path,
			                   ze->name);
		}
		if (ze->size != m->entries[i].size) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "%s: entry %s is %u bytes, the manifest says %llu", path,
			                   ze->name, ze->size,
			                   (unsigned long long)m->entries[i].size);
		}
	}
	if (n > m->n_entries + CONTENT_OFFSET) {
		return relais_fail(
		        ctx, RELAIS_EFORMAT, "%s: entry %s is not listed in the manifest", path,
		        relais_zip_entry_at(b->zip, m->n_entries + CONTENT_OFFSET)->name);
	}
	return 0;
}

int relais_bundle_open(relais_bundle **out, relais_ctx *ctx, const char *path,
                       const relais_pubkey *key)
{
	unsigned char *manifest = NULL, *sig = NULL;
	size_t manifest_len = 0, sig_len = 0;
	relais_bundle *b = NULL;
	char *trusted = NULL, expect[256];
	const char *untrusted = "untrusted comment: " RELAIS_BUNDLE_UNTRUSTED_COMMENT "\n";
	struct stat st;
	int rc;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = relais_zip_open(&b->zip, ctx, path);
	if (rc != 0) {
		goto out;
	}
	if (fstat(relais_zip_fd(b->zip), &st) == 0) {
		b->file_size = (unsigned long long)st.st_size;
		b->st = st;
	}
	if (relais_zip_count(b->zip) < CONTENT_OFFSET ||
	    strcmp(relais_zip_entry_at(b->zip, 0)->name, RELAIS_BUNDLE_MANIFEST) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: the first entry is not %s", path,
		                 RELAIS_BUNDLE_MANIFEST);
		goto out;
	}
	if (strcmp(relais_zip_entry_at(b->zip, 1)->name, RELAIS_BUNDLE_SIGNATURE) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "%s: signature missing (the second entry is not %s)", path,
		                 RELAIS_BUNDLE_SIGNATURE);
		goto out;
	}
	rc = read_raw(&manifest, &manifest_len, NULL, ctx, b->zip, 0, RELAIS_MANIFEST_MAX_BYTES);
	if (rc != 0) {
		if (rc == RELAIS_ELIMIT) {
			rc = relais_fail(ctx, RELAIS_ELIMIT,
			                 "%s: manifest.json is over the limit of %d bytes", path,
			                 RELAIS_MANIFEST_MAX_BYTES);
		}
		goto out;
	}
	rc = read_raw(&sig, &sig_len, NULL, ctx, b->zip, 1, SIGNATURE_MAX);
	if (rc != 0) {
		goto out;
	}
	if (sig_len < strlen(untrusted) || memcmp(sig, untrusted, strlen(untrusted)) != 0 ||
	    relais_signature_key_id(ctx, (const char *)sig, sig_len, b->signer) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s: %s is malformed", path,
		                 RELAIS_BUNDLE_SIGNATURE);
		goto out;
	}
	if (key != NULL) {
		rc = relais_verify(ctx, key, manifest, manifest_len, (const char *)sig, sig_len,
		                   &trusted);
		if (rc != 0) {
			rc = relais_prefix(ctx, "%s: %s", path, RELAIS_BUNDLE_SIGNATURE);
			goto out;
		}
	}
	rc = relais_manifest_parse(&b->manifest, ctx, (const char *)manifest, manifest_len);
	if (rc != 0) {
		rc = relais_prefix(ctx, "%s", path);
		goto out;
	}
	if (trusted != NULL) {
		/* The trusted comment repeats the course and version, so a
		 * signature cannot be moved onto another manifest's name. */
		(void)snprintf(expect, sizeof(expect), "relais %s %llu", b->manifest->id,
		               (unsigned long long)b->manifest->version);
		if (strcmp(trusted, expect) != 0) {
			rc = relais_fail(ctx, RELAIS_ESIGNATURE,
			                 "%s: the signature's trusted comment does not match the "
			                 "manifest",
			                 path);
			goto out;
		}
	}
	rc = check_entries(ctx, b, path);
	if (rc != 0) {
		goto out;
	}
	*out = b;
	b = NULL;
out:
	free(trusted);
	free(manifest);
	free(sig);
	relais_bundle_free(b);
	return rc;
}

void relais_bundle_free(relais_bundle *b)
{
	if (b == NULL) {
		return;
	}
	relais_zip_free(b->zip);
	relais_manifest_free(b->manifest);
	free(b);
}

const relais_manifest *relais_bundle_manifest(const relais_bundle *b)
{
	return b->manifest;
}

const char *relais_bundle_signer(const relais_bundle *b)
{
	return b->signer;
}

unsigned long long relais_bundle_file_size(const relais_bundle *b)
{
	return b->file_size;
}

static int read_index(unsigned char **out, size_t *out_len, relais_ctx *ctx, const relais_bundle *b,
                      size_t i)
{
	const struct relais_manifest_entry *me = &b->manifest->entries[i];
	unsigned char sha[32];
	int rc;

	rc = read_raw(out, out_len, sha, ctx, b->zip, i + CONTENT_OFFSET, (size_t)me->size);
	if (rc != 0) {
		return rc;
	}
	if (sodium_memcmp(sha, me->sha256, sizeof(sha)) != 0) {
		free(*out);
		*out = NULL;
		*out_len = 0;
		return relais_fail(ctx, RELAIS_EHASH, "entry %s does not match its SHA-256",
		                   me->path);
	}
	return 0;
}

int relais_bundle_read(unsigned char **out, size_t *out_len, relais_ctx *ctx,
                       const relais_bundle *b, const char *path)
{
	const struct relais_manifest_entry *me = relais_manifest_entry(b->manifest, path);

	*out = NULL;
	*out_len = 0;
	if (me == NULL) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "no entry %s in the bundle", path);
	}
	return read_index(out, out_len, ctx, b, (size_t)(me - b->manifest->entries));
}

/* Streams entry i through SHA-256 and compares with the manifest, keeping nothing. */
static int check_index(relais_ctx *ctx, const relais_bundle *b, size_t i)
{
	const struct relais_manifest_entry *me = &b->manifest->entries[i];
	crypto_hash_sha256_state sha;
	unsigned char got[32];
	int rc;

	crypto_hash_sha256_init(&sha);
	if ((rc = relais_zip_read(ctx, b->zip, i + CONTENT_OFFSET, hash_put, &sha)) != 0) {
		return rc;
	}
	crypto_hash_sha256_final(&sha, got);
	if (sodium_memcmp(got, me->sha256, sizeof(got)) != 0) {
		return relais_fail(ctx, RELAIS_EHASH, "entry %s does not match its SHA-256",
		                   me->path);
	}
	return 0;
}

static const struct relais_manifest_entry *entry_of(relais_ctx *ctx, const relais_bundle *b,
                                                    const char *path)
{
	const struct relais_manifest_entry *me = relais_manifest_entry(b->manifest, path);

	if (me == NULL) {
		(void)relais_fail(ctx, RELAIS_ENOTFOUND, "no entry %s in the bundle", path);
	}
	return me;
}

int relais_bundle_check(relais_ctx *ctx, const relais_bundle *b, const char *path)
{
	const struct relais_manifest_entry *me = entry_of(ctx, b, path);

	return me ? check_index(ctx, b, (size_t)(me - b->manifest->entries)) : RELAIS_ENOTFOUND;
}

int relais_bundle_span(struct relais_bundle_span *out, relais_ctx *ctx, const relais_bundle *b,
                       const char *path)
{
	const struct relais_manifest_entry *me = entry_of(ctx, b, path);
	const struct relais_zip_entry *ze;
	uint64_t offset;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (me == NULL) {
		return RELAIS_ENOTFOUND;
	}
	i = (size_t)(me - b->manifest->entries) + CONTENT_OFFSET;
	if ((rc = relais_zip_data_at(&offset, ctx, b->zip, i)) != 0) {
		return rc;
	}
	ze = relais_zip_entry_at(b->zip, i);
	out->fd = relais_zip_fd(b->zip);
	out->offset = offset;
	out->stored_len = ze->csize;
	out->size = ze->size;
	out->crc32 = ze->crc32;
	out->deflated = ze->method == RELAIS_ZIP_DEFLATE;
	out->index = (size_t)(me - b->manifest->entries);
	return 0;
}

int relais_bundle_reread(unsigned char **out, size_t *out_len, relais_ctx *ctx,
                         const relais_bundle *b, const char *path)
{
	const struct relais_manifest_entry *me = entry_of(ctx, b, path);
	unsigned char *data;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (me == NULL) {
		return RELAIS_ENOTFOUND;
	}
	if ((data = malloc((size_t)me->size + 1)) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory reading %s", me->path);
	}
	rc = relais_zip_read_whole(data, ctx, b->zip,
	                           (size_t)(me - b->manifest->entries) + CONTENT_OFFSET);
	if (rc != 0) {
		free(data);
		return rc;
	}
	data[me->size] = '\0';
	*out = data;
	*out_len = (size_t)me->size;
	return 0;
}

int relais_bundle_changed(const relais_bundle *b)
{
	struct stat st;

	if (fstat(relais_zip_fd(b->zip), &st) != 0) {
		return 1;
	}
	return st.st_dev != b->st.st_dev || st.st_ino != b->st.st_ino ||
	       st.st_size != b->st.st_size || st.st_mtim.tv_sec != b->st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec ||
	       st.st_ctim.tv_sec != b->st.st_ctim.tv_sec ||
	       st.st_ctim.tv_nsec != b->st.st_ctim.tv_nsec;
}

struct verify_job {
	const relais_bundle *b;
	atomic_size_t next;
	pthread_mutex_t lock;
	size_t failed_at; /* lowest failing entry, so the message is stable */
	int rc;
	char msg[512];
};

static void *verify_worker(void *arg)
{
	struct verify_job *job = arg;
	relais_ctx *ctx = NULL;
	size_t i;
	int rc;

	if (relais_ctx_new(&ctx) != 0) {
		pthread_mutex_lock(&job->lock);
		job->rc = job->rc ? job->rc : RELAIS_ENOMEM;
		pthread_mutex_unlock(&job->lock);
		return NULL;
	}
	while ((i = atomic_fetch_add(&job->next, 1)) < job->b->manifest->n_entries) {
		rc = check_index(ctx, job->b, i);
		if (rc != 0) {
			pthread_mutex_lock(&job->lock);
			if (job->rc == 0 || i < job->failed_at) {
				job->rc = rc;
				job->failed_at = i;
				(void)snprintf(job->msg, sizeof(job->msg), "%s",
				               relais_errmsg(ctx));
			}
			pthread_mutex_unlock(&job->lock);
		}
	}
	relais_ctx_free(ctx);
	return NULL;
}

int relais_bundle_verify_all(relais_ctx *ctx, const relais_bundle *b, int threads)
{
	pthread_t tid[16];
	struct verify_job job;
	int i, started = 0;

	memset(&job, 0, sizeof(job));
	job.b = b;
	atomic_init(&job.next, 0);
	pthread_mutex_init(&job.lock, NULL);
	if (threads < 1) {
		threads = 1;
	}
	if (threads > 16) {
		threads = 16;
	}
	for (i = 1; i < threads; i++) {
		if (pthread_create(&tid[started], NULL, verify_worker, &job) == 0) {
			started++;
		}
	}
	verify_worker(&job);
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
	}
	pthread_mutex_destroy(&job.lock);
	if (job.rc != 0) {
		return relais_fail(ctx, job.rc, "%s",
		                   job.msg[0] ? job.msg : relais_strerror(job.rc));
	}
	return 0;
}
