/* updates.c: the Updates page's data (the last catalogue beside the library) and library marks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "home_private.h"
#include "relais/catalogue.h"
#include "relais/download.h"
#include "relais/error.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/session.h"
#include "relais/trust.h"
#include "relais/updates.h"
#include "relais/util.h"

/* The last catalogue accepted, parsed (its signature was checked when it was accepted). */
static int last_catalogue(struct relais_catalogue **out, char **accepted, relais_home *home,
                          relais_ctx *ctx)
{
	struct relais_hub_catalogue hc;
	struct relais_hub_key *keys = NULL;
	size_t n = 0, i;
	int found = 0, rc;

	*out = NULL;
	if (accepted != NULL) {
		*accepted = NULL;
	}
	if ((rc = relais_trust_hub_catalogue(&hc, &found, home, ctx, NULL)) != 0 || !found) {
		return rc;
	}
	rc = relais_catalogue_parse(out, ctx, hc.json, hc.len, "the last catalogue");
	if (rc == 0 && accepted != NULL &&
	    (rc = relais_trust_list_hubs(&keys, &n, home, ctx)) == 0) {
		for (i = 0; i < n; i++) {
			if (strcmp(keys[i].id, hc.key_id) == 0 &&
			    (*accepted = strdup(keys[i].accepted)) == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			}
		}
		relais_trust_hub_list_free(keys, n);
	}
	if (rc != 0) {
		relais_catalogue_free(*out);
		*out = NULL;
	}
	relais_hub_catalogue_clear(&hc);
	return rc;
}

int relais_updates_catalogue(struct relais_catalogue **out, relais_home *home, relais_ctx *ctx)
{
	return last_catalogue(out, NULL, home, ctx);
}

/* The installed version of course id; 0: not installed. */
static int installed_version(uint64_t *out, relais_home *home, relais_ctx *ctx, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	*out = 0;
	if ((rc = relais_db_prepare(&st, home, ctx, "SELECT version FROM course WHERE id = ?")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
	}
	sqlite3_finalize(st);
	return rc;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

int relais_updates_get(struct relais_updates **out, relais_home *home, relais_ctx *ctx)
{
	struct relais_catalogue *cat = NULL;
	struct relais_updates *u = NULL;
	struct relais_profile *p = NULL;
	struct relais_download *d = NULL;
	size_t n_p = 0, n_d = 0, i, j;
	char *accepted = NULL;
	int rc;

	*out = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if ((rc = last_catalogue(&cat, &accepted, home, ctx)) != 0 || cat == NULL) {
		goto out;
	}
	if ((rc = relais_profile_list(&p, &n_p, home, ctx)) != 0 ||
	    (rc = relais_download_list(&d, &n_d, home, ctx)) != 0) {
		goto out;
	}
	u->has_catalogue = 1;
	u->serial = cat->serial;
	u->fetched = accepted;
	accepted = NULL;
	u->expires = dup_or_empty(cat->expires);
	if (u->fetched == NULL || u->expires == NULL ||
	    (cat->n_courses > 0 &&
	     (u->courses = calloc(cat->n_courses, sizeof(*u->courses))) == NULL)) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cat->n_courses; i++) {
		const struct relais_catalogue_course *c = &cat->courses[i];
		struct relais_update_course *uc = &u->courses[u->n_courses++];
		uc->id = strdup(c->id);
		uc->title = strdup(c->title);
		uc->language = strdup(c->language);
		if (uc->id == NULL || uc->title == NULL || uc->language == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		uc->version = c->version;
		uc->size = c->size;
		if (c->required && c->due != NULL) {
			(void)snprintf(uc->due, sizeof(uc->due), "%s", c->due);
		}
		for (j = 0; j < n_p; j++) {
			const char *due = NULL;
			if (relais_catalogue_required_of(&due, cat, c, p[j].email, p[j].org)) {
				/* The learners' dates replace the course's own: the earliest. */
				if (!uc->required) {
					uc->due[0] = '\0';
				}
				if (due != NULL &&
				    (uc->due[0] == '\0' || strcmp(due, uc->due) < 0)) {
					(void)snprintf(uc->due, sizeof(uc->due), "%s", due);
				}
				uc->required = 1;
			}
		}
		for (j = 0; j < n_d; j++) {
			uc->resumable |=
			        strcmp(d[j].course_id, c->id) == 0 && d[j].version == c->version;
		}
		if ((rc = installed_version(&uc->installed, home, ctx, c->id)) != 0) {
			goto out;
		}
	}
out:
	if (rc == 0) {
		*out = u;
	} else {
		relais_updates_free(u);
	}
	free(accepted);
	free(d);
	relais_profile_list_free(p, n_p);
	relais_catalogue_free(cat);
	return rc;
}

void relais_updates_free(struct relais_updates *u)
{
	size_t i;

	if (u == NULL) {
		return;
	}
	for (i = 0; i < u->n_courses; i++) {
		free(u->courses[i].id);
		free(u->courses[i].title);
		free(u->courses[i].language);
	}
	free(u->courses);
	free(u->fetched);
	free(u->expires);
	free(u);
}

int relais_updates_marks(struct relais_course_mark **out, size_t *n, relais_home *home,
                         relais_ctx *ctx, int64_t profile_id, const char *today)
{
	struct relais_course_mark *list = NULL;
	struct relais_catalogue *cat = NULL;
	struct relais_profile me = {0};
	sqlite3_stmt *st = NULL;
	char date[RELAIS_DATE_LEN];
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if (today == NULL) {
		char now[32];
		relais_now_iso(now);
		(void)snprintf(date, sizeof(date), "%.10s", now);
		today = date;
	}
	if ((rc = relais_profile_get(&me, home, ctx, profile_id)) != 0 ||
	    (rc = last_catalogue(&cat, NULL, home, ctx)) != 0 ||
	    (rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT c.id, c.version, o.version, EXISTS (SELECT 1 FROM completion k "
	             "WHERE k.profile_id = ?1 AND k.course_id = c.id) FROM course c "
	             "LEFT JOIN course_opened o ON o.course_id = c.id AND o.profile_id = ?1 "
	             "ORDER BY c.id")) != 0) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const struct relais_catalogue_course *c = NULL;
		const char *due = NULL;
		struct relais_course_mark *m = relais_push(&list, &count, sizeof(*list));
		if (m == NULL ||
		    (m->course_id = strdup((const char *)sqlite3_column_text(st, 0))) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			m->flags |= RELAIS_MARK_NEW;
		} else if (sqlite3_column_int64(st, 2) < sqlite3_column_int64(st, 1)) {
			m->flags |= RELAIS_MARK_UPDATED;
		}
		if (cat != NULL && (c = relais_catalogue_find(cat, m->course_id)) != NULL &&
		    relais_catalogue_required_of(&due, cat, c, me.email, me.org)) {
			m->flags |= RELAIS_MARK_REQUIRED;
			if (due != NULL) {
				(void)snprintf(m->due, sizeof(m->due), "%s", due);
				if (strcmp(m->due, today) < 0 && !sqlite3_column_int(st, 3)) {
					m->flags |= RELAIS_MARK_OVERDUE;
				}
			}
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	relais_course_marks_free(list, count);
	sqlite3_finalize(st);
	relais_catalogue_free(cat);
	relais_profile_clear(&me);
	return rc;
}

void relais_course_marks_free(struct relais_course_mark *marks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(marks[i].course_id);
	}
	free(marks);
}

const struct relais_course_mark *relais_course_marks_find(const struct relais_course_mark *marks,
                                                          size_t n, const char *course_id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(marks[i].course_id, course_id) == 0) {
			return &marks[i];
		}
	}
	return NULL;
}

/* A course's place by its marks: 0 required with a date, 1 required, 2 the rest. */
static int rank(const struct relais_course_mark *m)
{
	if (m == NULL || !(m->flags & RELAIS_MARK_REQUIRED)) {
		return 2;
	}
	return m->due[0] != '\0' ? 0 : 1;
}

/* Whether course a goes before course b (by their marks ma and mb). */
static int before(const struct relais_course_mark *ma, const struct relais_course_mark *mb)
{
	int ra = rank(ma), rb = rank(mb);
	return ra != rb ? ra < rb : ra == 0 && strcmp(ma->due, mb->due) < 0;
}

void relais_updates_order(struct relais_course_info *courses, size_t n,
                          const struct relais_course_mark *marks, size_t n_marks)
{
	/* Insertion sort: stable, and a library holds tens of courses. */
	for (size_t i = 1; i < n; i++) {
		struct relais_course_info x = courses[i];
		const struct relais_course_mark *mx =
		        relais_course_marks_find(marks, n_marks, x.id);
		size_t j = i;
		while (j > 0 &&
		       before(mx, relais_course_marks_find(marks, n_marks, courses[j - 1].id))) {
			courses[j] = courses[j - 1];
			j--;
		}
		courses[j] = x;
	}
}

int relais_updates_opened(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                          const char *course_id, uint64_t version)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	relais_now_iso(now);
	/* Only a change is written: reading a page does not rewrite the row. */
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT INTO course_opened(profile_id, course_id, version, "
	             "opened) VALUES (?, ?, ?, ?) ON CONFLICT(profile_id, course_id) "
	             "DO UPDATE SET version = excluded.version, opened = "
	             "excluded.opened WHERE version <> excluded.version")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
	             ? 0
	             : relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
	sqlite3_finalize(st);
	return rc;
}

void relais_sessions_free(struct relais_session *s, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++) {
		relais_session_clear(&s[i]);
	}
	free(s);
}

static long long start_of(const struct relais_session *s)
{
	long long t = relais_tz_to_utc(s->timezone, s->start);
	return t < 0 ? (1LL << 62) : t;
}

static int by_start(const void *a, const void *b)
{
	long long x = start_of(a), y = start_of(b);
	return x < y   ? -1
	       : x > y ? 1
	               : strcmp(((const struct relais_session *)a)->id,
	                        ((const struct relais_session *)b)->id);
}

int relais_updates_sessions(struct relais_session **out, size_t *n, relais_home *home,
                            relais_ctx *ctx, const char *course_id, const relais_manifest *m)
{
	struct relais_catalogue *cat = NULL;
	struct relais_session *all = NULL;
	size_t count = 0, i, j;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = last_catalogue(&cat, NULL, home, ctx)) != 0) {
		return rc;
	}
	for (i = 0; i < m->n_sessions + (cat ? cat->n_sessions : 0); i++) {
		const struct relais_session *src =
		        i < m->n_sessions ? &m->sessions[i] : &cat->sessions[i - m->n_sessions];
		struct relais_session *dst = NULL;
		if (i >= m->n_sessions && strcmp(src->course, course_id) != 0) {
			continue;
		}
		for (j = 0; j < count && dst == NULL; j++) {
			if (strcmp(all[j].id, src->id) == 0) {
				dst = &all[j];
				relais_session_clear(dst);
			}
		}
		if (dst == NULL && (dst = relais_push(&all, &count, sizeof(*all))) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = relais_session_copy(dst, ctx, src)) != 0) {
			/* dst is left zeroed: drop it so the cleanup frees only whole ones. */
			*dst = all[--count];
			goto out;
		}
		free(dst->course);
		if ((dst->course = strdup(course_id)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (count > 1) {
		qsort(all, count, sizeof(*all), by_start);
	}
	*out = all;
	*n = count;
	all = NULL;
	count = 0;
out:
	relais_sessions_free(all, count);
	relais_catalogue_free(cat);
	return rc;
}
