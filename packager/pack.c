/* pack.c: turn a loaded course into a signed, deterministic bundle. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "course_private.h"
#include "relais/bundle.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/zip.h"

struct packed {
	const struct course_entry *src;
	unsigned char sha256[32];
	unsigned char *deflated; /* NULL when stored */
	size_t deflated_len;
	uint32_t crc;
	int method;
	int rc;
};

struct pack_job {
	struct packed *items;
	size_t n;
	int level;
	atomic_size_t next;
};

static void *pack_worker(void *arg)
{
	struct pack_job *job = arg;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->n) {
		struct packed *p = &job->items[i];
		crypto_hash_sha256(p->sha256, p->src->data, p->src->len);
		p->rc = relais_zip_compress(&p->deflated, &p->deflated_len, &p->method, &p->crc,
		                            p->src->data, p->src->len, job->level);
	}
	return NULL;
}

static int cmp_packed(const void *a, const void *b)
{
	const struct packed *x = a, *y = b;

	return strcmp(x->src->path, y->src->path);
}

static int write_atomic(void *data, const void *buf, size_t len)
{
	return relais_atomic_write(data, buf, len);
}

/* Hashes and compresses every entry on `threads` threads. */
static void compress_all(struct packed *items, size_t n, int threads, int level)
{
	struct pack_job job = {.items = items, .n = n, .level = level};
	pthread_t tid[64];
	int i, started = 0;

	atomic_init(&job.next, 0);
	for (i = 1; i < threads && i < 64; i++) {
		if (pthread_create(&tid[started], NULL, pack_worker, &job) == 0) {
			started++;
		}
	}
	pack_worker(&job);
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
	}
}

static void fill_source(struct relais_zip_source *s, const char *name, const struct packed *p,
                        const unsigned char *raw, size_t raw_len)
{
	s->name = name;
	s->method = p->method;
	s->crc32 = p->crc;
	s->size = (uint32_t)raw_len;
	s->data = p->deflated ? p->deflated : raw;
	s->data_len = p->deflated ? p->deflated_len : raw_len;
}

int relais_course_pack(relais_ctx *ctx, const relais_course *c, const relais_seckey *key,
                       const char *out_path, const struct relais_course_options *opt)
{
	struct course_entry head[2] = {{0}};
	struct relais_zip_source *src = NULL;
	struct packed *items = NULL, meta[2];
	relais_atomic_file *af = NULL;
	relais_manifest *m = c->m;
	char *manifest = NULL, *sig = NULL, trusted[128];
	size_t manifest_len = 0, sig_len = 0, i;
	int level = opt && opt->level ? opt->level : RELAIS_ZIP_MAX_LEVEL;
	int threads = opt && opt->threads ? opt->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	memset(meta, 0, sizeof(meta));
	if (threads < 1) {
		threads = 1;
	}
	items = calloc(c->n_entries + 1, sizeof(*items));
	src = calloc(c->n_entries + 2, sizeof(*src));
	m->entries = calloc(c->n_entries + 1, sizeof(*m->entries));
	if (items == NULL || src == NULL || m->entries == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c->n_entries; i++) {
		items[i].src = &c->entries[i];
	}
	/* Content entries go in byte order of their paths: one canonical order. */
	qsort(items, c->n_entries, sizeof(*items), cmp_packed);
	compress_all(items, c->n_entries, threads, level);
	m->n_entries = c->n_entries;
	for (i = 0; i < c->n_entries; i++) {
		if (items[i].rc != 0) {
			rc = relais_fail(ctx, items[i].rc, "%s: cannot compress",
			                 items[i].src->path);
			goto out;
		}
		m->entries[i].path = items[i].src->path; /* borrowed; unset below */
		m->entries[i].size = items[i].src->len;
		memcpy(m->entries[i].sha256, items[i].sha256, 32);
	}
	/* Borrowed for the manifest's bytes only: the course keeps none. */
	m->rotations = opt ? (struct relais_rotation *)opt->rotations : NULL;
	m->n_rotations = opt && opt->rotations ? opt->n_rotations : 0;
	rc = relais_manifest_to_json(&manifest, &manifest_len, ctx, m);
	m->rotations = NULL;
	m->n_rotations = 0;
	if (rc != 0) {
		goto out;
	}
	(void)snprintf(trusted, sizeof(trusted), "relais %s %llu", m->id,
	               (unsigned long long)m->version);
	rc = relais_sign(&sig, &sig_len, ctx, key, manifest, manifest_len,
	                 RELAIS_BUNDLE_UNTRUSTED_COMMENT, trusted);
	if (rc != 0) {
		goto out;
	}
	head[0].path = RELAIS_BUNDLE_MANIFEST;
	head[0].data = (unsigned char *)manifest;
	head[0].len = manifest_len;
	head[1].path = RELAIS_BUNDLE_SIGNATURE;
	head[1].data = (unsigned char *)sig;
	head[1].len = sig_len;
	for (i = 0; i < 2; i++) {
		meta[i].src = &head[i];
		rc = relais_zip_compress(&meta[i].deflated, &meta[i].deflated_len, &meta[i].method,
		                         &meta[i].crc, head[i].data, head[i].len, level);
		if (rc != 0) {
			rc = relais_fail(ctx, rc, "cannot compress the manifest");
			goto out;
		}
		fill_source(&src[i], head[i].path, &meta[i], head[i].data, head[i].len);
	}
	for (i = 0; i < c->n_entries; i++) {
		fill_source(&src[i + 2], items[i].src->path, &items[i], items[i].src->data,
		            items[i].src->len);
	}
	rc = relais_atomic_open(&af, ctx, out_path, 0644);
	if (rc != 0) {
		goto out;
	}
	rc = relais_zip_write(ctx, src, c->n_entries + 2, write_atomic, af);
	if (rc != 0) {
		goto out;
	}
	rc = relais_atomic_commit(af);
	af = NULL;
out:
	relais_atomic_abort(af);
	for (i = 0; items && i < c->n_entries; i++) {
		free(items[i].deflated);
	}
	for (i = 0; i < 2; i++) {
		free(meta[i].deflated);
	}
	if (m->entries != NULL) {
		free(m->entries);
		m->entries = NULL;
		m->n_entries = 0;
	}
	free(items);
	free(src);
	free(manifest);
	free(sig);
	return rc;
}
