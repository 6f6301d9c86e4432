/* attendance.c: a trainer's roster for a live session and the attended statements it makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home_private.h"
#include "progress_private.h"
#include "relais/attendance.h"
#include "relais/catalogue.h"
#include "relais/error.h"
#include "relais/updates.h"
#include "relais/xapi.h"
#include "statement.h"

#define IRI_MAX 512

/* Whether org is one of the names (exact strings, as sync matches audiences). */
static int named(const char *org, char *const *names, size_t n)
{
	for (size_t i = 0; org[0] != '\0' && i < n; i++) {
		if (strcmp(names[i], org) == 0) {
			return 1;
		}
	}
	return 0;
}

int relais_attendance_roster(struct relais_profile **out, size_t *n, size_t *n_first,
                             relais_home *home, relais_ctx *ctx, int64_t trainer_id,
                             const char *course_id)
{
	struct relais_catalogue *cat = NULL;
	struct relais_profile *all = NULL, *list = NULL, me = {0};
	const struct relais_catalogue_course *c;
	char *const *orgs = NULL;
	size_t n_all = 0, n_orgs = 0, count = 0, first = 0;
	int rc;

	*out = NULL;
	*n = *n_first = 0;
	if ((rc = relais_profile_get(&me, home, ctx, trainer_id)) != 0 ||
	    (rc = relais_updates_catalogue(&cat, home, ctx)) != 0 ||
	    (rc = relais_profile_list(&all, &n_all, home, ctx)) != 0) {
		goto out;
	}
	c = cat ? relais_catalogue_find(cat, course_id) : NULL;
	if (c != NULL && c->n_audience > 0) {
		orgs = c->audience;
		n_orgs = c->n_audience;
	} else {
		orgs = &me.org;
		n_orgs = 1;
	}
	if (n_all > 0 && (list = calloc(n_all, sizeof(*list))) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	/* Two passes keep each part in the list's order (by name); the
	 * structs move, their strings with them. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n_all; i++) {
			if (all[i].name != NULL && !all[i].trainer &&
			    named(all[i].org, orgs, n_orgs) == (pass == 0)) {
				list[count++] = all[i];
				memset(&all[i], 0, sizeof(all[i]));
			}
		}
		if (pass == 0) {
			first = count;
		}
	}
	*out = list;
	*n = count;
	*n_first = first;
	list = NULL;
out:
	free(list);
	relais_profile_list_free(all, n_all);
	relais_catalogue_free(cat);
	relais_profile_clear(&me);
	return rc;
}

int relais_attendance_list(struct relais_profile **out, size_t *n, relais_home *home,
                           relais_ctx *ctx, const char *course_id, const struct relais_session *s)
{
	struct relais_profile *list = NULL;
	sqlite3_stmt *st = NULL;
	char iri[IRI_MAX];
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if (relais_session_iri(iri, sizeof(iri), course_id, s->id) != 0) {
		return relais_fail(ctx, RELAIS_ELIMIT, "session id too long for an IRI");
	}
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT json_extract(statement, '$.actor.name'), "
	             "substr(json_extract(statement, '$.actor.mbox'), 8), "
	             "coalesce(json_extract(statement, "
	             "'$.context.extensions.\"" RELAIS_XAPI_ORGANISATION
	             "\"'), '') FROM outbox WHERE verb = 'attended' AND "
	             "json_extract(statement, '$.object.id') = ? ORDER BY 1 COLLATE NOCASE, 2")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, iri, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_profile *p = relais_push(&list, &count, sizeof(*list));
		if (p == NULL || (p->name = relais_db_text(st, 0)) == NULL ||
		    (p->email = relais_db_text(st, 1)) == NULL ||
		    (p->org = relais_db_text(st, 2)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	relais_profile_list_free(list, count);
	sqlite3_finalize(st);
	return rc;
}

/*
 * Makes ev's statement (its id fixed) and puts it in the outbox as
 * profile_id's record, unless the outbox holds that id already (*added 0).
 * Inside the caller's transaction, which makes the check and the write one.
 */
static int add_once(int *added, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                    const struct relais_event *ev)
{
	sqlite3_stmt *st = NULL;
	char *json = NULL, id[37];
	int rc, step;

	*added = 0;
	if ((rc = relais_db_prepare(&st, home, ctx, "SELECT 1 FROM outbox WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, ev->statement_id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step == SQLITE_ROW) {
		return 0;
	}
	if (step != SQLITE_DONE) {
		return relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
	}
	if ((rc = relais_statement_make(&json, id, ctx, ev)) == 0 &&
	    (rc = relais_progress_outbox_add(home, ctx, profile_id, id, ev->verb, ev->session_title,
	                                     json)) == 0) {
		*added = 1;
	}
	free(json);
	return rc;
}

int relais_attendance_record(size_t *added, relais_home *home, relais_ctx *ctx, int64_t trainer_id,
                             const relais_manifest *m, const struct relais_session *s,
                             const struct relais_attendee *people, size_t n)
{
	struct relais_profile trainer = {0};
	char iri[IRI_MAX], id[37], when[32];
	long long start = relais_tz_to_utc(s->timezone, s->start);
	size_t i;
	int rc;

	*added = 0;
	if (n > RELAIS_ATTENDEES_MAX) {
		return relais_fail(ctx, RELAIS_ELIMIT, "at most %d people at once",
		                   RELAIS_ATTENDEES_MAX);
	}
	if (start < 0 || relais_session_iri(iri, sizeof(iri), m->id, s->id) != 0) {
		return relais_fail(ctx, RELAIS_EFORMAT, "session %s: its start does not convert",
		                   s->id);
	}
	for (i = 0; i < n; i++) {
		if (relais_profile_fields_ok(ctx, people[i].name, people[i].email, people[i].org) !=
		    0) {
			char why[256];
			(void)snprintf(why, sizeof(why), "%s", relais_errmsg(ctx));
			return relais_fail(ctx, RELAIS_EINVAL, "person %zu: %s", i + 1, why);
		}
	}
	if ((rc = relais_profile_get(&trainer, home, ctx, trainer_id)) != 0) {
		return rc;
	}
	if (!trainer.trainer) {
		rc = relais_fail(ctx, RELAIS_EINVAL, "only a trainer's profile records attendance");
		goto out;
	}
	relais_time_format(when, start);
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		struct relais_event ev = {0};
		char email[RELAIS_EMAIL_MAX + 1];
		int one = 0;
		/* As profiles keep them: the same person, the same actor at the hub. */
		for (size_t k = 0; k <= strlen(people[i].email) && k < sizeof(email); k++) {
			char c = people[i].email[k];
			email[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		if (relais_statement_attended_id(id, iri, email) != 0) {
			rc = relais_fail(ctx, RELAIS_ELIMIT, "person %zu: email too long", i + 1);
			break;
		}
		ev.learner_name = people[i].name;
		ev.learner_email = email;
		ev.learner_org = people[i].org ? people[i].org : "";
		ev.verb = "attended";
		ev.course_id = m->id;
		ev.course_title = m->title;
		ev.language = m->language;
		ev.success = ev.completion = -1;
		ev.duration_s = -1;
		ev.session_id = s->id;
		ev.session_title = s->title;
		ev.instructor_name = trainer.name;
		ev.instructor_email = trainer.email;
		ev.statement_id = id;
		ev.timestamp = when;
		if ((rc = add_once(&one, home, ctx, trainer_id, &ev)) == 0) {
			*added += (size_t)one;
		}
	}
	if (rc == 0) {
		rc = relais_db_commit(home, ctx);
	} else {
		relais_db_rollback(home);
	}
	if (rc != 0) {
		*added = 0;
	}
out:
	relais_profile_clear(&trainer);
	return rc;
}
