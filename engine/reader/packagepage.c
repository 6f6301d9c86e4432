/* packagepage.c: a SCORM package unit's page: its parts, and a launch framed from the package
 * origin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "reader_private.h"
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

/* The item to launch: ?item=N when it launches, else the first SCO not done, else the first. */
static int pick_item(struct request *req, const char *course_id, const struct relais_unit *u,
                     const int *done, size_t *out)
{
	const struct relais_package_org *org = &u->package->orgs[0];
	int first = -1, open = -1;
	size_t i;

	if (req->query_item != NULL) {
		char *end;
		unsigned long n = strtoul(req->query_item, &end, 10);
		if (*end != '\0' || n >= org->n_items || org->items[n].launch == NULL) {
			return -1;
		}
		*out = n;
		return 0;
	}
	(void)course_id;
	for (i = 0; i < org->n_items; i++) {
		if (org->items[i].launch == NULL) {
			continue;
		}
		if (first < 0) {
			first = (int)i;
		}
		if (open < 0 && org->items[i].sco && !done[i]) {
			open = (int)i;
		}
	}
	if (first < 0) {
		return -1;
	}
	*out = (size_t)(open >= 0 ? open : first);
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
	struct launch *l;
	int *done = NULL;
	size_t i, item, n_launch = 0;

	if (u->package->standard == RELAIS_PACKAGE_CMI5) {
		char why_not[256];
		relais_tr_format(why_not, sizeof(why_not), lang, M_PACKAGE_LATER, "cmi5");
		relais_reader_page_error(req, 501, why_not);
		return;
	}
	if ((done = calloc(org->n_items, sizeof(*done))) == NULL) {
		relais_reader_page_error(req, 500, "out of memory");
		return;
	}
	for (i = 0; i < org->n_items; i++) {
		char *saved = NULL;
		if (org->items[i].launch == NULL) {
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
	/* The package's origin takes the other name of loopback than the page:
	 * another site, so the reader's cookie is never sent to it nor from it. */
	host = req->host != NULL && strncmp(req->host, "localhost:", 10) == 0 ? r->pkg_origin_ip
	                                                                      : r->pkg_origin_name;
	(void)snprintf(req->frame_src, sizeof(req->frame_src), "%s", host);

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
			if (it->launch != NULL && i != item) {
				relais_strbuf_add(&req->body, "<a href=\"/c/");
				relais_strbuf_add_url(&req->body, course_id);
				relais_strbuf_add(&req->body, "/");
				relais_strbuf_add_url(&req->body, u->path);
				relais_strbuf_printf(&req->body, "?item=%zu\">", i);
			} else if (i == item) {
				relais_strbuf_add(&req->body, "<strong aria-current=\"page\">");
			}
			relais_strbuf_add_html(&req->body, it->title);
			relais_strbuf_add(&req->body, it->launch == NULL ? ""
			                              : i == item        ? "</strong>"
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
	relais_strbuf_printf(&req->body, "\" src=\"%s/l/%s/\"></iframe>", host, l->secret);
out:
	free(done);
}
