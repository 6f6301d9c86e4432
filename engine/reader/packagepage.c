/* packagepage.c: a SCORM package unit's page: its parts, and a launch framed from the package
 * origin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "reader_private.h"
#include "relais/cmi5.h"
#include "relais/error.h"
#include "relais/progress.h"

struct launch *relais_reader_launch(struct relais_reader *r, const char *secret)
{
	size_t i;

	if (secret == NULL || strlen(secret) != SECRET_HEX - 1) {
		return NULL;
	}
	for (i = 0; i < MAX_LAUNCHES; i++) {
		if (r->launches[i].secret[0] != '\0' &&
		    sodium_memcmp(r->launches[i].secret, secret, SECRET_HEX - 1) == 0) {
			r->launches[i].last_used = time(NULL);
			return &r->launches[i];
		}
	}
	return NULL;
}

/* A new launch, replacing the least recently used one when all are taken. */
static struct launch *new_launch(struct relais_reader *r)
{
	struct launch *l = &r->launches[0];
	unsigned char raw[16];
	size_t i;

	for (i = 1; i < MAX_LAUNCHES; i++) {
		if (r->launches[i].last_used < l->last_used) {
			l = &r->launches[i];
		}
	}
	memset(l, 0, sizeof(*l));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(l->secret, sizeof(l->secret), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	l->last_used = time(NULL);
	return l;
}

/* Whether an item plays here: a file of the bundle (a cmi5 AU on the network does not). */
static int playable(const struct relais_package_item *it)
{
	return it->launch != NULL && strncmp(it->launch, "http://", 7) != 0 &&
	       strncmp(it->launch, "https://", 8) != 0;
}

/* The item to launch: ?item=N when it launches, else the first SCO or AU not done, else the
 * first. */
static int pick_item(struct request *req, const char *course_id, const struct relais_unit *u,
                     const int *done, size_t *out)
{
	const struct relais_package_org *org = &u->package->orgs[0];
	int first = -1, open = -1;
	size_t i;

	if (req->query_item != NULL) {
		char *end;
		unsigned long n = strtoul(req->query_item, &end, 10);
		if (*end != '\0' || n >= org->n_items || !playable(&org->items[n])) {
			return -1;
		}
		*out = n;
		return 0;
	}
	(void)course_id;
	for (i = 0; i < org->n_items; i++) {
		if (!playable(&org->items[i])) {
			continue;
		}
		if (first < 0) {
			first = (int)i;
		}
		if (open < 0 &&
		    (org->items[i].sco || u->package->standard == RELAIS_PACKAGE_CMI5) &&
		    !done[i]) {
			open = (int)i;
		}
	}
	if (first < 0) {
		return -1;
	}
	*out = (size_t)(open >= 0 ? open : first);
	return 0;
}

/*
 * A cmi5 AU's launch (docs/reader.md, "cmi5"): its session recorded in the
 * home (LMS.LaunchData, launched), its one-time fetch and token made, and
 * the launch URL of its file on the package origin into *src. On failure,
 * the error page is set and -1 returned.
 */
static int cmi5_launch(struct request *req, struct launch *l, const char *course_id,
                       const struct relais_unit *u, const char *host, struct relais_strbuf *src)
{
	struct relais_reader *r = req->reader;
	const struct relais_package_item *it = &u->package->orgs[0].items[l->item];
	struct relais_cmi5_au au = {course_id, u->id, u->package, l->item};
	struct relais_cmi5_session s;
	char launch_url[4096], return_url[512], pkg_base[128];
	unsigned char raw[16];
	size_t n = strlen(u->path) + 1;

	(void)snprintf(pkg_base, sizeof(pkg_base), "%s/l/%s/", host, l->secret);
	(void)snprintf(launch_url, sizeof(launch_url), "%sc/%s", pkg_base, it->launch + n);
	(void)snprintf(return_url, sizeof(return_url), "%sreturn", pkg_base);
	if (relais_cmi5_launch(&s, r->home, r->ctx, l->profile_id, &au, launch_url, return_url) !=
	    0) {
		relais_reader_page_error(req, 500, relais_errmsg(r->ctx));
		memset(l, 0, sizeof(*l));
		return -1;
	}
	(void)snprintf(l->session_id, sizeof(l->session_id), "%s", s.id);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(l->token, sizeof(l->token), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	l->fetched = 0;
	/* The AU's own query first, then the launch parameters of cmi5 8.1. */
	relais_strbuf_add(src, pkg_base);
	relais_strbuf_add(src, "c/");
	relais_strbuf_add_url(src, it->launch + n);
	relais_strbuf_add(src, it->parameters);
	relais_strbuf_add(src, strchr(it->parameters, '?') ? "&" : "?");
	relais_strbuf_add(src, "endpoint=");
	relais_strbuf_add_url(src, pkg_base);
	relais_strbuf_add_url(src, "xapi/");
	relais_strbuf_add(src, "&fetch=");
	relais_strbuf_add_url(src, pkg_base);
	relais_strbuf_add_url(src, "fetch");
	relais_strbuf_add(src, "&actor=");
	relais_strbuf_add_url(src, s.actor);
	relais_strbuf_add(src, "&registration=");
	relais_strbuf_add_url(src, s.registration);
	relais_strbuf_add(src, "&activityId=");
	relais_strbuf_add_url(src, it->id);
	relais_cmi5_session_clear(&s);
	if (src->rc != 0) {
		relais_reader_page_error(req, 500, "out of memory");
		return -1;
	}
	return 0;
}

void relais_reader_page_package(struct request *req, const char *course_id, relais_bundle *b,
                                size_t ui)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	const struct relais_unit *u = &m->units[ui];
	const struct relais_package_org *org = &u->package->orgs[0];
	enum lang lang = req->session->lang;
	struct relais_reader *r = req->reader;
	const char *host;
	struct relais_strbuf src = {0};
	struct launch *l;
	int *done = NULL;
	size_t i, item, n_launch = 0;

	if ((done = calloc(org->n_items, sizeof(*done))) == NULL) {
		relais_reader_page_error(req, 500, "out of memory");
		return;
	}
	for (i = 0; i < org->n_items; i++) {
		char *saved = NULL;
		if (!playable(&org->items[i])) {
			continue;
		}
		n_launch++;
		if (relais_progress_package_saved(&saved, &done[i], r->home, r->ctx,
		                                  req->session->profile_id, course_id, u->id,
		                                  org->items[i].id) != 0) {
			relais_reader_page_error(req, 500, relais_errmsg(r->ctx));
			goto out;
		}
		free(saved);
	}
	if (pick_item(req, course_id, u, done, &item) != 0) {
		relais_reader_page_error(req, 404, relais_tr(lang, M_NOT_FOUND));
		goto out;
	}
	l = new_launch(r);
	l->profile_id = req->session->profile_id;
	(void)snprintf(l->course_id, sizeof(l->course_id), "%s", course_id);
	(void)snprintf(l->unit_id, sizeof(l->unit_id), "%s", u->id);
	l->item = item;
	l->lang = lang;
	/* The package's origin takes the other name of loopback than the page:
	 * another site, so the reader's cookie is never sent to it nor from it. */
	host = req->host != NULL && strncmp(req->host, "localhost:", 10) == 0 ? r->pkg_origin_ip
	                                                                      : r->pkg_origin_name;
	(void)snprintf(req->frame_src, sizeof(req->frame_src), "%s", host);
	if (u->package->standard == RELAIS_PACKAGE_CMI5 &&
	    cmi5_launch(req, l, course_id, u, host, &src) != 0) {
		goto out;
	}

	relais_reader_set_title(req, u->title);
	relais_strbuf_printf(&req->body, "<p class=\"meta\" lang=\"%s\"><a href=\"/c/",
	                     m->language);
	relais_strbuf_add_url(&req->body, course_id);
	relais_strbuf_add(&req->body, "/\">");
	relais_strbuf_add_html(&req->body, m->title);
	relais_strbuf_printf(&req->body, "</a></p><h1 lang=\"%s\">", m->language);
	relais_strbuf_add_html(&req->body, u->title);
	relais_strbuf_add(&req->body, "</h1>");
	if (n_launch > 1) {
		relais_strbuf_printf(&req->body, "<nav aria-label=\"%s\"><ol class=\"outline\">",
		                     relais_tr(lang, M_PACKAGE_PARTS));
		for (i = 0; i < org->n_items; i++) {
			const struct relais_package_item *it = &org->items[i];
			relais_strbuf_printf(&req->body, "<li lang=\"%s\">", m->language);
			if (playable(it) && i != item) {
				relais_strbuf_add(&req->body, "<a href=\"/c/");
				relais_strbuf_add_url(&req->body, course_id);
				relais_strbuf_add(&req->body, "/");
				relais_strbuf_add_url(&req->body, u->path);
				relais_strbuf_printf(&req->body, "?item=%zu\">", i);
			} else if (i == item) {
				relais_strbuf_add(&req->body, "<strong aria-current=\"page\">");
			}
			relais_strbuf_add_html(&req->body, it->title);
			relais_strbuf_add(&req->body, !playable(it) ? ""
			                              : i == item   ? "</strong>"
			                                            : "</a>");
			if (done[i]) {
				relais_strbuf_printf(&req->body,
				                     " <span class=\"state done\">(%s)</span>",
				                     relais_tr(lang, M_STATE_DONE));
			}
			relais_strbuf_add(&req->body, "</li>");
		}
		relais_strbuf_add(&req->body, "</ol></nav>");
	}
	relais_strbuf_printf(&req->body, "<p class=\"meta\">%s</p>",
	                     relais_tr(lang, M_PACKAGE_SAVED));
	/* Scripts and forms of the package, on its own origin: no top
	 * navigation, no pop-ups, and nothing of the reader's origin. */
	relais_strbuf_add(&req->body, "<iframe class=\"package\" sandbox=\"allow-scripts "
	                              "allow-same-origin allow-forms\" title=\"");
	relais_strbuf_add_html(&req->body, org->items[item].title);
	if (src.len > 0) {
		relais_strbuf_add(&req->body, "\" src=\"");
		relais_strbuf_add_html(&req->body, src.p);
		relais_strbuf_add(&req->body, "\"></iframe>");
	} else {
		relais_strbuf_printf(&req->body, "\" src=\"%s/l/%s/\"></iframe>", host, l->secret);
	}
out:
	relais_strbuf_free(&src);
	free(done);
}
