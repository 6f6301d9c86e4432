/* courses.c: courses down: the signed catalogue checked, the courses for this laptop chosen,
 * fetched and installed (docs/catalogue.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/catalogue.h"
#include "relais/delta.h"
#include "relais/download.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/hash.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/sync.h"
#include "relais/trust.h"
#include "relais/util.h"

#include "client_private.h"

#define SIGNATURE_MAX 8192
#define REASON_MAX 600
#define PATH_LEN 4400
#define ATTEMPTS_DEFAULT 3

/* One run's state. */
struct run {
	relais_home *home;
	relais_ctx *ctx;
	const struct relais_courses_options *opt;
	struct relais_courses_report *rep;
	struct relais_client_source src;
	struct relais_catalogue *cat;
	const struct relais_catalogue_course *current; /* being downloaded, for progress */
	int attempts;
	int first_rc;               /* the first course's failure */
	char first_why[REASON_MAX]; /* and its message */
};

/* A course chosen for download, with what is installed of it. */
struct pick {
	const struct relais_catalogue_course *c;
	int installed;
	uint64_t installed_version;
	char *file;      /* the installed bundle, or NULL */
	int required;    /* of one of the laptop's learners, or by the course itself */
	const char *due; /* the earliest due date of those, borrowed from the catalogue */
};

static void on_file_progress(void *data, uint64_t done, uint64_t total)
{
	struct run *r = data;

	if (r->opt->progress != NULL && r->current != NULL) {
		r->opt->progress(r->opt->progress_data, r->current->id, r->current->version, done,
		                 total);
	}
}

/* Notes a chosen course's failure: the first one is the run's status, the others are logged. */
static void course_failed(struct run *r, const struct relais_catalogue_course *c, int rc)
{
	char why[REASON_MAX];

	r->rep->failed++;
	(void)snprintf(why, sizeof(why), "%s v%" PRIu64 ": %s", c->id, c->version,
	               relais_errmsg(r->ctx));
	if (r->first_rc == 0) {
		r->first_rc = rc ? rc : RELAIS_EIO;
		(void)snprintf(r->first_why, sizeof(r->first_why), "%s", why);
	} else {
		relais_log(r->ctx, RELAIS_LOG_WARN, "%s", why);
	}
}

/*
 * Checks catalogue bytes and their signature against the trusted hub keys
 * and what was accepted before (docs/catalogue.md, step 2); on success
 * *out holds the parsed catalogue and the hub key's id is in key_id.
 */
static int check_catalogue(struct run *r, struct relais_catalogue **out, const char *json,
                           size_t len, const char *sig, size_t sig_len,
                           char key_id[RELAIS_KEYID_HEX])
{
	struct relais_catalogue *cat = NULL, *checked = NULL;
	struct relais_hub_catalogue prev;
	relais_pubkey *hub = NULL;
	int rc, found = 0;

	memset(&prev, 0, sizeof(prev));
	*out = NULL;
	if (len > RELAIS_CATALOGUE_MAX_BYTES) {
		return relais_fail(r->ctx, RELAIS_ELIMIT, "over %u MiB",
		                   RELAIS_CATALOGUE_MAX_BYTES >> 20);
	}
	/* The catalogue names its hub key; the signature must then be that key's. */
	if ((rc = relais_catalogue_parse(&cat, r->ctx, json, len, "catalogue.json")) != 0) {
		goto out;
	}
	memcpy(key_id, cat->hub_key, RELAIS_KEYID_HEX);
	if ((rc = relais_trust_hub_lookup(&hub, r->home, r->ctx, key_id)) != 0) {
		goto out;
	}
	if ((rc = relais_catalogue_verify(&checked, r->ctx, hub, json, len, sig, sig_len)) != 0) {
		if (rc == RELAIS_ESIGNATURE) {
			rc = relais_fail(r->ctx, RELAIS_ESIGNATURE,
			                 "signed by another key (the signature does not "
			                 "verify with hub key %s)",
			                 key_id);
		}
		goto out;
	}
	if ((rc = relais_trust_hub_catalogue(&prev, &found, r->home, r->ctx, key_id)) != 0) {
		goto out;
	}
	if (found && checked->serial < prev.serial) {
		rc = relais_fail(r->ctx, RELAIS_ESIGNATURE,
		                 "rollback: serial %" PRIu64 " is older than serial %" PRIu64
		                 " already accepted from hub key %s",
		                 checked->serial, prev.serial, key_id);
		goto out;
	}
	if (found && checked->serial == prev.serial &&
	    (prev.len != len || memcmp(prev.json, json, len) != 0)) {
		rc = relais_fail(r->ctx, RELAIS_ESIGNATURE,
		                 "rollback: serial %" PRIu64
		                 " was accepted before with other contents",
		                 checked->serial);
		goto out;
	}
	*out = checked;
	checked = NULL;
out:
	relais_hub_catalogue_clear(&prev);
	relais_catalogue_free(checked);
	relais_catalogue_free(cat);
	relais_pubkey_free(hub);
	return rc;
}

/* Steps 1 and 2: the catalogue in r->cat, fetched when it changed, checked, recorded. */
static int get_catalogue(struct run *r)
{
	struct relais_hub_catalogue stored;
	char *json = NULL, *sig = NULL, *etag = NULL, *sig_etag = NULL;
	size_t len = 0, sig_len = 0;
	char key_id[RELAIS_KEYID_HEX], now[32];
	int rc, found = 0, not_modified = 0, unused;
	long long expires;

	memset(&stored, 0, sizeof(stored));
	if ((rc = relais_trust_hub_catalogue(&stored, &found, r->home, r->ctx, NULL)) != 0) {
		return rc;
	}
	rc = relais_client_fetch_small(&json, &len, &etag, &not_modified, &r->src, "catalogue.json",
	                               found ? stored.etag : NULL, RELAIS_CATALOGUE_MAX_BYTES);
	if (rc == RELAIS_ELIMIT) {
		rc = relais_fail(r->ctx, RELAIS_ELIMIT, "the catalogue was refused: over %u MiB",
		                 RELAIS_CATALOGUE_MAX_BYTES >> 20);
		goto out;
	}
	if (rc != 0) {
		goto out;
	}
	if (not_modified) {
		/* Nothing new: the last catalogue accepted, checked again, still says what to
		 * fetch. */
		r->rep->unchanged = 1;
		rc = check_catalogue(r, &r->cat, stored.json, stored.len, stored.sig,
		                     stored.sig_len, key_id);
		if (rc != 0) {
			relais_prefix(r->ctx, "the catalogue was refused");
		}
		goto checked;
	}
	if ((rc = relais_client_fetch_small(&sig, &sig_len, &sig_etag, &unused, &r->src,
	                                    "catalogue.json.minisig", NULL, SIGNATURE_MAX)) != 0) {
		relais_prefix(r->ctx, "the catalogue's signature");
		goto out;
	}
	if ((rc = check_catalogue(r, &r->cat, json, len, sig, sig_len, key_id)) != 0) {
		relais_prefix(r->ctx, "the catalogue was refused");
		goto out;
	}
	if ((rc = relais_trust_hub_accept(r->home, r->ctx, key_id, r->cat->serial, etag, json, len,
	                                  sig, sig_len)) != 0) {
		goto out;
	}
checked:
	if (rc != 0) {
		goto out;
	}
	r->rep->serial = r->cat->serial;
	expires = relais_time_parse(r->cat->expires);
	if (expires >= 0 && expires < relais_now_iso(now)) {
		r->rep->expired = 1;
		relais_log(r->ctx, RELAIS_LOG_WARN,
		           "the catalogue (serial %" PRIu64
		           ") expired on %.10s: using it anyway; the hub should sign a new one",
		           r->cat->serial, r->cat->expires);
	}
out:
	relais_hub_catalogue_clear(&stored);
	free(sig_etag);
	free(etag);
	free(sig);
	free(json);
	return rc;
}

static void picks_free(struct pick *p, size_t n)
{
	for (size_t i = 0; p != NULL && i < n; i++) {
		free(p[i].file);
	}
	free(p);
}

static int by_priority(const void *a, const void *b)
{
	const struct pick *p = a, *q = b;
	const struct relais_catalogue_course *x = p->c, *y = q->c;
	int c;

	if (p->required != q->required) {
		return p->required ? -1 : 1;
	}
	if (p->required && (p->due == NULL) != (q->due == NULL)) {
		return p->due ? -1 : 1;
	}
	if (p->required && p->due && (c = strcmp(p->due, q->due)) != 0) {
		return c;
	}
	if ((c = strcmp(y->published, x->published)) != 0) {
		return c; /* newest first */
	}
	return strcmp(x->id, y->id);
}

/* Step 3: the courses to fetch, in order. */
static int choose(struct pick **out, size_t *n_out, struct run *r)
{
	struct relais_course_info *inst = NULL;
	struct relais_profile *profiles = NULL;
	struct pick *picks = NULL;
	size_t n_inst = 0, n_prof = 0, n = 0, i, j, k;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = relais_library_list(&inst, &n_inst, r->home, r->ctx)) != 0 ||
	    (rc = relais_profile_list(&profiles, &n_prof, r->home, r->ctx)) != 0) {
		goto out;
	}
	for (i = 0; i < r->cat->n_courses; i++) {
		const struct relais_catalogue_course *c = &r->cat->courses[i];
		const struct relais_course_info *have = NULL;
		const char *due = c->required ? c->due : NULL;
		int wanted = 0, required = c->required, mine = 0;
		struct pick *p;

		/* Required of a learner here (an assignment of their cohort too): the
		 * learners' earliest date replaces the course's own. */
		for (k = 0; k < n_prof; k++) {
			const char *d = NULL;
			if (relais_catalogue_required_of(&d, r->cat, c, profiles[k].email,
			                                 profiles[k].org)) {
				if (!mine || (d != NULL && (due == NULL || strcmp(d, due) < 0))) {
					due = d;
				}
				required = mine = 1;
			}
		}

		for (j = 0; j < n_inst; j++) {
			if (strcmp(inst[j].id, c->id) == 0) {
				have = &inst[j];
				break;
			}
		}
		if (have != NULL) {
			wanted = c->version > have->version;
		} else {
			wanted = mine || c->n_audience == 0;
			for (k = 0; k < n_prof && !wanted; k++) {
				wanted = profiles[k].org != NULL &&
				         relais_catalogue_audience_has(c, profiles[k].org);
			}
		}
		if (!wanted) {
			continue;
		}
		if ((p = relais_push(&picks, &n, sizeof(*picks))) == NULL) {
			rc = relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		p->c = c;
		p->required = required;
		p->due = due;
		if (have != NULL) {
			p->installed = 1;
			p->installed_version = have->version;
			if ((p->file = strdup(have->file)) == NULL) {
				rc = relais_fail(r->ctx, RELAIS_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	if (n > 1) {
		qsort(picks, n, sizeof(*picks), by_priority);
	}
	*out = picks;
	*n_out = n;
	picks = NULL;
	n = 0;
out:
	picks_free(picks, n);
	relais_profile_list_free(profiles, n_prof);
	relais_course_info_free(inst, n_inst);
	return rc;
}

/*
 * Step 5: fetches rel into the download of sha256, retrying cuts, and checks
 * the finished file's hash. On success path holds the file.
 */
static int download(struct run *r, const struct relais_catalogue_course *c, const char *kind,
                    const char *rel, const char *sha256, uint64_t size, char *path,
                    size_t path_size, int *resumable)
{
	struct relais_download d;
	char got[RELAIS_SHA256_HEX];
	int rc, keep = 1, attempt;

	*resumable = 0;
	memset(&d, 0, sizeof(d));
	(void)snprintf(d.sha256, sizeof(d.sha256), "%s", sha256);
	(void)snprintf(d.course_id, sizeof(d.course_id), "%s", c->id);
	(void)snprintf(d.kind, sizeof(d.kind), "%s", kind);
	d.version = c->version;
	d.size = size;
	if ((rc = relais_download_path(path, path_size, r->home, r->ctx, sha256)) != 0 ||
	    (rc = relais_download_begin(r->home, r->ctx, &d)) != 0) {
		return rc;
	}
	for (attempt = 1;; attempt++) {
		rc = relais_client_fetch_file(&keep, &r->src, rel, path, size, sha256,
		                              on_file_progress, r);
		if (rc == 0 || !keep || rc != RELAIS_EIO || attempt >= r->attempts) {
			break;
		}
		relais_log(r->ctx, RELAIS_LOG_INFO, "%s v%" PRIu64 ": %s; trying again", c->id,
		           c->version, relais_errmsg(r->ctx));
		relais_client_pause((double)attempt);
	}
	if (rc != 0) {
		if (!keep) {
			char saved[REASON_MAX];
			(void)snprintf(saved, sizeof(saved), "%s", relais_errmsg(r->ctx));
			(void)relais_download_end(r->home, r->ctx, sha256);
			relais_fail(r->ctx, rc, "%s", saved);
		} else if (rc == RELAIS_EIO) {
			char saved[REASON_MAX];
			(void)snprintf(saved, sizeof(saved), "%s", relais_errmsg(r->ctx));
			relais_fail(r->ctx, rc, "%s (the next sync resumes it)", saved);
			*resumable = 1;
		}
		return rc;
	}
	if ((rc = relais_sha256_file(got, NULL, r->ctx, path)) != 0) {
		return rc;
	}
	if (strcmp(got, sha256) != 0) {
		(void)relais_download_end(r->home, r->ctx, sha256);
		return relais_fail(r->ctx, RELAIS_EHASH,
		                   "the downloaded %s does not match the catalogue's SHA-256: "
		                   "deleted, nothing installed",
		                   kind);
	}
	return 0;
}

/* Installs the bundle at path; counts the outcome. */
static int install(struct run *r, const char *path)
{
	struct relais_install_result res;
	int rc;

	if ((rc = relais_library_install(&res, r->home, r->ctx, path)) != 0) {
		return rc;
	}
	if (res.outcome == RELAIS_INSTALLED) {
		r->rep->installed++;
	} else if (res.outcome == RELAIS_UPGRADED) {
		r->rep->updated++;
	}
	return 0;
}

/*
 * Step 4 with a delta: rebuilds the new bundle from the installed one and
 * installs it. *whole is set when the caller should take the whole bundle
 * instead: no delta fits, the hub has none, or it did not rebuild exactly;
 * a cut download is left to resume at the next sync.
 */
static int try_delta(struct run *r, const struct pick *p, int *whole)
{
	const struct relais_catalogue_course *c = p->c;
	const struct relais_catalogue_delta *d = NULL;
	char base_sha[RELAIS_SHA256_HEX], rel[200], part[PATH_LEN], built[PATH_LEN + 8];
	struct relais_delta_info info;
	size_t i;
	int rc;

	int resumable;

	*whole = 1;
	if (p->file == NULL || c->n_deltas == 0 ||
	    relais_sha256_file(base_sha, NULL, r->ctx, p->file) != 0) {
		return RELAIS_ENOTFOUND;
	}
	for (i = 0; i < c->n_deltas; i++) {
		if (strcmp(c->deltas[i].from_sha256, base_sha) == 0) {
			d = &c->deltas[i];
			break;
		}
	}
	if (d == NULL) {
		return RELAIS_ENOTFOUND;
	}
	(void)snprintf(rel, sizeof(rel), "deltas/%s-%s.delta", d->from_sha256, c->sha256);
	if ((rc = download(r, c, "delta", rel, d->sha256, d->size, part, sizeof(part),
	                   &resumable)) != 0) {
		*whole = !resumable;
		return rc;
	}
	(void)snprintf(built, sizeof(built), "%s.built", part);
	rc = relais_delta_apply(&info, r->ctx, p->file, part, built);
	if (rc == 0) {
		char got[RELAIS_SHA256_HEX];
		if ((rc = relais_sha256_file(got, NULL, r->ctx, built)) == 0 &&
		    strcmp(got, c->sha256) != 0) {
			rc = relais_fail(
			        r->ctx, RELAIS_EHASH,
			        "the rebuilt bundle does not match the catalogue's SHA-256");
		}
	}
	if (rc == 0) {
		rc = install(r, built);
	}
	(void)relais_file_remove(r->ctx, built);
	/* Applied or not, this delta has served: a bad one is not kept to fail again. */
	(void)relais_download_end(r->home, r->ctx, d->sha256);
	return rc;
}

/* Steps 4 to 6 for one course. */
static int fetch_course(struct run *r, const struct pick *p)
{
	const struct relais_catalogue_course *c = p->c;
	char rel[200], path[PATH_LEN];
	int rc, whole, resumable;

	r->current = c;
	rc = try_delta(r, p, &whole);
	if (rc == 0) {
		return 0;
	}
	if (!whole) {
		/* The delta's download was cut: the next sync resumes it, which
		 * costs less than the whole bundle on the link that cut it. */
		return rc;
	}
	if (rc != RELAIS_ENOTFOUND) {
		relais_log(r->ctx, RELAIS_LOG_INFO,
		           "%s v%" PRIu64 ": the delta did not apply (%s): taking the whole bundle",
		           c->id, c->version, relais_errmsg(r->ctx));
	}
	(void)snprintf(rel, sizeof(rel), "bundles/%s.relais", c->sha256);
	if ((rc = download(r, c, "bundle", rel, c->sha256, c->size, path, sizeof(path),
	                   &resumable)) != 0) {
		return rc;
	}
	if ((rc = install(r, path)) != 0) {
		char saved[REASON_MAX];
		(void)snprintf(saved, sizeof(saved), "%s", relais_errmsg(r->ctx));
		(void)relais_download_end(r->home, r->ctx, c->sha256);
		return relais_fail(r->ctx, rc, "%s", saved);
	}
	return relais_download_end(r->home, r->ctx, c->sha256);
}

/* Whether the publisher's key is trusted and not revoked; logs the skip when not. */
static int publisher_trusted(struct run *r, const struct relais_catalogue_course *c)
{
	relais_pubkey *key = NULL;
	int rc = relais_trust_lookup_signer(&key, r->home, r->ctx, c->publisher);

	relais_pubkey_free(key);
	if (rc == RELAIS_ESIGNATURE) {
		int revoked = relais_trust_is_revoked(r->home, r->ctx, c->publisher);
		if (revoked < 0) {
			return revoked;
		}
		relais_log(r->ctx, RELAIS_LOG_WARN,
		           revoked ? "%s v%" PRIu64 ": refused: its publisher's key %s was revoked"
		                   : "%s v%" PRIu64 ": skipped: its publisher's key %s is not "
		                     "trusted (relais trust add)",
		           c->id, c->version, c->publisher);
		r->rep->skipped++;
		return 0;
	}
	return rc == 0 ? 1 : rc;
}

/* The hub and credentials given for this run, once the hub accepted them (as records do). */
static int remember(struct run *r)
{
	const struct relais_sync_options *o = r->opt->net;
	int rc = 0;

	if (r->opt->from_dir != NULL || o == NULL) {
		return 0;
	}
	if (o->hub_url != NULL) {
		rc = relais_setting_set(r->home, r->ctx, "sync.hub", r->src.hub);
	}
	if (rc == 0 && o->key != NULL) {
		rc = relais_setting_set(r->home, r->ctx, "sync.key", o->key);
	}
	if (rc == 0 && o->secret != NULL) {
		rc = relais_setting_set(r->home, r->ctx, "sync.secret", o->secret);
	}
	return rc;
}

int relais_sync_courses(struct relais_courses_report *out, relais_home *home, relais_ctx *ctx,
                        const struct relais_courses_options *opt)
{
	struct relais_hub_key *hubs = NULL;
	struct pick *picks = NULL;
	size_t n_hubs = 0, n_picks = 0, i;
	struct relais_trust_changes changes;
	struct run r;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.home = home;
	r.ctx = ctx;
	r.opt = opt;
	r.rep = out;
	r.attempts = opt->from_dir                            ? 1
	             : opt->net && opt->net->max_attempts > 0 ? opt->net->max_attempts
	                                                      : ATTEMPTS_DEFAULT;
	if ((rc = relais_trust_list_hubs(&hubs, &n_hubs, home, ctx)) != 0) {
		return rc;
	}
	relais_trust_hub_list_free(hubs, n_hubs);
	if (n_hubs == 0) {
		out->no_hub_key = 1;
		return 0;
	}
	if ((rc = relais_client_source_open(&r.src, home, ctx, opt->net, opt->from_dir,
	                                    &out->bytes_up, &out->bytes_down)) != 0) {
		goto out;
	}
	if (r.src.not_relais) {
		/* records go to any LRS; courses only come from a relais hub */
		out->not_offered = 1;
		goto out;
	}
	if ((rc = get_catalogue(&r)) != 0 ||
	    (rc = relais_trust_apply_catalogue(&changes, home, ctx, r.cat)) != 0 ||
	    (rc = remember(&r)) != 0 || (rc = choose(&picks, &n_picks, &r)) != 0) {
		goto out;
	}
	out->keys_rotated = changes.rotated;
	out->keys_revoked = changes.revoked;
	for (i = 0; i < n_picks; i++) {
		int trusted = publisher_trusted(&r, picks[i].c);
		if (trusted < 0) {
			rc = trusted;
			goto out;
		}
		if (trusted && (rc = fetch_course(&r, &picks[i])) != 0) {
			course_failed(&r, picks[i].c, rc);
			if (rc == RELAIS_EINVAL && r.src.refused) {
				break; /* the credentials: every other course would fail the same
				          way */
			}
		}
	}
	/* Certificates come with the courses; not from a folder (docs/certificates.md). */
	if (opt->from_dir == NULL && !(r.src.refused) &&
	    (rc = relais_client_certificates(&out->certificates, &out->certificates_refused, &r.src,
	                                     home, ctx)) != 0) {
		goto out;
	}
	rc = 0;
	if (r.first_rc != 0) {
		rc = relais_fail(ctx, r.first_rc, "%s%s", r.first_why,
		                 out->failed > 1 ? " (and more above)" : "");
	}
out:
	picks_free(picks, n_picks);
	relais_catalogue_free(r.cat);
	relais_client_source_close(&r.src);
	return rc;
}
