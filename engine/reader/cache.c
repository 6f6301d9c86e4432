/* cache.c: the reader's open courses and the entries it has checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader_private.h"
#include "relais/error.h"
#include "relais/html.h"
#include "relais/library.h"

static void close_course(struct relais_reader *r, struct open_course *c)
{
	size_t i;

	for (i = 0; i < c->n_cache; i++) {
		r->cache_bytes -= c->cache[i].len;
		free(c->cache[i].path);
		free(c->cache[i].data);
	}
	free(c->cache);
	free(c->verified);
	free(c->id);
	free(c->file);
	relais_bundle_free(c->bundle);
	memset(c, 0, sizeof(*c));
}

static struct open_course *find_open(struct relais_reader *r, const char *course_id)
{
	size_t i;

	for (i = 0; i < MAX_OPEN_COURSES; i++) {
		if (r->courses[i].id != NULL && strcmp(r->courses[i].id, course_id) == 0) {
			return &r->courses[i];
		}
	}
	return NULL;
}

relais_bundle *relais_reader_course(struct relais_reader *r, const char *course_id)
{
	struct relais_course_info info;
	struct open_course *slot = find_open(r, course_id);
	time_t now = time(NULL);
	size_t i;

	/* A course installed or upgraded by another process is seen within a
	 * second, without asking the database on every request. */
	if (slot != NULL && slot->checked == now) {
		return slot->bundle;
	}
	if (relais_library_get(&info, r->home, r->ctx, course_id) != 0) {
		if (slot != NULL) {
			close_course(r, slot);
		}
		return NULL;
	}
	if (slot != NULL && strcmp(slot->file, info.file) == 0) {
		slot->checked = now;
		goto out;
	}
	if (slot == NULL) {
		for (i = 0; i < MAX_OPEN_COURSES && slot == NULL; i++) {
			if (r->courses[i].id == NULL) {
				slot = &r->courses[i];
			}
		}
	}
	if (slot == NULL) {
		slot = &r->courses[0];
	}
	close_course(r, slot);
	if (relais_library_open(&slot->bundle, r->home, r->ctx, course_id) != 0) {
		slot->bundle = NULL;
		goto out;
	}
	slot->id = strdup(course_id);
	slot->file = strdup(info.file);
	slot->checked = now;
	slot->verified = calloc(relais_bundle_manifest(slot->bundle)->n_entries / 8 + 1, 1);
	if (slot->id == NULL || slot->file == NULL || slot->verified == NULL) {
		close_course(r, slot);
	}
out:
	relais_course_info_clear(&info);
	return slot->bundle;
}

/* Drops what was learnt about a course's file once the file changed under it. */
static void forget_if_changed(struct relais_reader *r, struct open_course *c)
{
	size_t i;

	if (!relais_bundle_changed(c->bundle)) {
		return;
	}
	for (i = 0; i < c->n_cache; i++) {
		r->cache_bytes -= c->cache[i].len;
		free(c->cache[i].path);
		free(c->cache[i].data);
	}
	c->n_cache = 0;
	memset(c->verified, 0, relais_bundle_manifest(c->bundle)->n_entries / 8 + 1);
}

static int is_verified(const struct open_course *c, size_t i)
{
	return (c->verified[i / 8] >> (i % 8)) & 1;
}

static void set_verified(struct open_course *c, size_t i)
{
	c->verified[i / 8] |= (unsigned char)(1u << (i % 8));
}

/* The open course, its file seen unchanged since its entries were checked. */
static struct open_course *open_fresh(struct relais_reader *r, const char *course_id)
{
	struct open_course *c = find_open(r, course_id);

	if (c == NULL || c->bundle == NULL) {
		(void)relais_fail(r->ctx, RELAIS_ENOTFOUND, "no course %s is open", course_id);
		return NULL;
	}
	forget_if_changed(r, c);
	return c;
}

int relais_reader_entry(struct relais_reader *r, const char *course_id, const char *path,
                        enum relais_reader_entry_kind kind, const unsigned char **data, size_t *len)
{
	struct open_course *c = open_fresh(r, course_id);
	const struct relais_manifest_entry *me;
	struct cached_entry *grown;
	unsigned char *bytes = NULL;
	size_t n = 0, i, at;
	int rc;

	*data = NULL;
	*len = 0;
	if (c == NULL) {
		return RELAIS_ENOTFOUND;
	}
	for (i = 0; i < c->n_cache; i++) {
		if (strcmp(c->cache[i].path, path) == 0) {
			*data = c->cache[i].data;
			*len = c->cache[i].len;
			return 0;
		}
	}
	me = relais_manifest_entry(relais_bundle_manifest(c->bundle), path);
	if (me == NULL) {
		return relais_fail(r->ctx, RELAIS_ENOTFOUND, "no entry %s in the bundle", path);
	}
	at = (size_t)(me - relais_bundle_manifest(c->bundle)->entries);
	/* Checked once against its SHA-256; after that its size and CRC-32
	 * tell that the unchanged file still holds the same bytes. */
	rc = is_verified(c, at) ? relais_bundle_reread(&bytes, &n, r->ctx, c->bundle, path)
	                        : relais_bundle_read(&bytes, &n, r->ctx, c->bundle, path);
	if (rc != 0) {
		return rc;
	}
	set_verified(c, at);
	if (kind != RELAIS_READER_AS_STORED) {
		/* What is kept and served is the allow-listed markup, made once. */
		struct relais_html_report report;
		char *kept = NULL;
		rc = kind == RELAIS_READER_LESSON
		             ? relais_html_sanitize(&kept, &n, &report, r->ctx, (const char *)bytes,
		                                    n)
		             : relais_html_sanitize_quiz(&kept, &n, &report, r->ctx,
		                                         (const char *)bytes, n);
		free(bytes);
		if (rc != 0) {
			return rc;
		}
		bytes = (unsigned char *)kept;
	}
	/* Keep it when it fits; otherwise lend it until the next request. */
	if (n <= CACHE_ENTRY_MAX && r->cache_bytes + n <= CACHE_MAX &&
	    (grown = realloc(c->cache, (c->n_cache + 1) * sizeof(*grown))) != NULL) {
		c->cache = grown;
		grown[c->n_cache].path = strdup(path);
		if (grown[c->n_cache].path != NULL) {
			grown[c->n_cache].data = bytes;
			grown[c->n_cache].len = n;
			c->n_cache++;
			r->cache_bytes += n;
			*data = bytes;
			*len = n;
			return 0;
		}
	}
	free(r->lent);
	r->lent = bytes;
	*data = bytes;
	*len = n;
	return 0;
}

int relais_reader_entry_span(struct relais_reader *r, const char *course_id, const char *path,
                             struct relais_bundle_span *span, const relais_bundle **bundle)
{
	struct open_course *c = open_fresh(r, course_id);
	int rc;

	*bundle = NULL;
	if (c == NULL) {
		return RELAIS_ENOTFOUND;
	}
	if ((rc = relais_bundle_span(span, r->ctx, c->bundle, path)) != 0) {
		return rc;
	}
	if (!is_verified(c, span->index)) {
		/* The whole entry, streamed through SHA-256, before any byte goes out. */
		if ((rc = relais_bundle_check(r->ctx, c->bundle, path)) != 0) {
			return rc;
		}
		set_verified(c, span->index);
	}
	*bundle = c->bundle;
	return 0;
}

void relais_reader_cache_clear(struct relais_reader *r)
{
	size_t i;

	for (i = 0; i < MAX_OPEN_COURSES; i++) {
		close_course(r, &r->courses[i]);
	}
	free(r->lent);
	r->lent = NULL;
}
