/* certpage.c: the learner's certificates in the reader: a list, and a printable page each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_private.h"
#include "relais/certificate.h"
#include "relais/profile.h"

/* The list page (rest "") or certificate "KEYID-ID" of the learner studying. */
void relais_reader_page_certificates(struct request *req, const char *rest)
{
	enum lang l = req->session->lang;
	char date[96];
	struct relais_stored_certificate *certs = NULL;
	struct relais_profile me;
	relais_ctx *ctx = req->reader->ctx;
	size_t n = 0, unverified = 0, i;
	char name[64];

	if (relais_profile_get(&me, req->reader->home, ctx, req->session->profile_id) != 0) {
		relais_reader_page_error(req, 400, relais_tr(l, M_BAD_REQUEST));
		return;
	}
	/* A shared laptop: each learner sees their own certificates only. */
	if (relais_certificate_list(&certs, &n, &unverified, req->reader->home, ctx, me.email) !=
	    0) {
		relais_profile_clear(&me);
		relais_reader_page_error(req, 500, relais_errmsg(ctx));
		return;
	}
	relais_profile_clear(&me);
	if (rest[0] == '\0') {
		relais_reader_set_title(req, relais_tr(l, M_CERT_TITLE));
		relais_strbuf_printf(&req->body, "<h1>%s</h1>", relais_tr(l, M_CERT_TITLE));
		if (unverified > 0) {
			/* Not hidden without a word: the learner would think it lost. */
			char line[512];
			relais_tr_nformat(line, sizeof(line), l, M_CERT_UNVERIFIED, unverified,
			                  (unsigned)unverified);
			relais_strbuf_add(&req->body,
			                  "<p class=\"banner failed\" role=\"status\">");
			relais_strbuf_add_html(&req->body, line);
			relais_strbuf_add(&req->body, "</p>");
		}
		if (n == 0) {
			relais_strbuf_printf(&req->body, "<p>%s</p>", relais_tr(l, M_CERT_NONE));
		}
		relais_strbuf_add(&req->body, "<ul class=\"cards\">");
		for (i = 0; i < n; i++) {
			const struct relais_certificate *c = &certs[i].c;
			relais_strbuf_add(&req->body, "<li class=\"card\"><h2>");
			relais_strbuf_add_html(&req->body, c->title);
			relais_tr_date(date, sizeof(date), l, c->date);
			relais_strbuf_printf(&req->body,
			                     "</h2><p class=\"meta\"><strong>%s</strong> · %s "
			                     "<time datetime=\"%s\">%s</time>",
			                     relais_tr(l, c->programme ? M_CERT_KIND_PROGRAMME
			                                               : M_CERT_KIND_COURSE),
			                     relais_tr(l, M_CERT_DATE), c->date, date);
			if (certs[i].revoked[0] != '\0') {
				relais_strbuf_printf(&req->body, " · <strong>%s</strong>",
				                     relais_tr(l, M_CERT_REVOKED));
			}
			relais_strbuf_printf(
			        &req->body,
			        "</p><p><a class=\"button\" href=\"/certificates/%s-%u\">%s"
			        "</a></p></li>",
			        c->key_id, c->id, relais_tr(l, M_CERT_OPEN));
		}
		relais_strbuf_add(&req->body, "</ul>");
		goto out;
	}
	for (i = 0; i < n; i++) {
		(void)snprintf(name, sizeof(name), "%s-%u", certs[i].c.key_id, certs[i].c.id);
		if (strcmp(name, rest) == 0) {
			break;
		}
	}
	if (i == n) {
		relais_reader_page_error(req, 404, relais_tr(l, M_NOT_FOUND));
		goto out;
	}
	{
		const struct relais_certificate *c = &certs[i].c;
		char hours[16], line[256];
		char *svg = NULL;

		relais_reader_set_title(req, relais_tr(l, M_CERT_HEADING));
		relais_strbuf_printf(
		        &req->body, "<article class=\"certificate\"><h1>%s</h1><p>%s</p>",
		        relais_tr(l, M_CERT_HEADING), relais_tr(l, M_CERT_THIS_CERTIFIES));
		relais_strbuf_add(&req->body, "<p class=\"learner\">");
		relais_strbuf_add_html(&req->body, c->name);
		relais_strbuf_add(&req->body, " <span class=\"meta\">");
		relais_strbuf_add_html(&req->body, c->email);
		relais_strbuf_printf(
		        &req->body, "</span></p><p>%s</p><p class=\"course\">",
		        relais_tr(l, c->programme ? M_CERT_PROGRAMME : M_CERT_COMPLETED));
		relais_strbuf_add_html(&req->body, c->title);
		if (c->programme) {
			relais_tr_nformat(line, sizeof(line), l, M_CERT_PROGRAMME_SESSIONS,
			                  c->sessions, c->sessions);
			relais_strbuf_add(&req->body, "</p><ul class=\"programme\">");
			for (size_t k = 0; k < c->n_courses; k++) {
				relais_strbuf_add(&req->body, "<li>");
				relais_strbuf_add_html(&req->body, c->courses[k].title[0]
				                                           ? c->courses[k].title
				                                           : c->courses[k].id);
				relais_strbuf_add(&req->body, "</li>");
			}
			relais_strbuf_add(&req->body, "</ul><p>");
			relais_strbuf_add_html(&req->body, line);
		} else {
			relais_tr_format(line, sizeof(line), l, M_CERT_VERSION, c->version);
			relais_strbuf_add(&req->body, " <span class=\"meta\">(");
			relais_strbuf_add_html(&req->body, c->course);
			relais_strbuf_printf(&req->body, ", %s)</span>", line);
		}
		relais_tr_date(date, sizeof(date), l, c->date);
		relais_strbuf_printf(&req->body,
		                     "</p><dl><dt>%s</dt><dd><time datetime=\"%s\">%s</time></dd>",
		                     relais_tr(l, M_CERT_DATE), c->date, date);
		if (c->score >= 0) {
			relais_strbuf_printf(&req->body, "<dt>%s</dt><dd>%d %%</dd>",
			                     relais_tr(l, M_CERT_SCORE), c->score);
		}
		relais_certificate_hours(hours, c);
		if (hours[0] != '\0') {
			relais_strbuf_printf(&req->body, "<dt>%s</dt><dd>%s</dd>",
			                     relais_tr(l, M_CERT_HOURS), hours);
		}
		relais_strbuf_add(&req->body, "</dl>");
		if (certs[i].revoked[0] != '\0') {
			relais_strbuf_printf(&req->body, "<p class=\"banner failed\">%s</p>",
			                     relais_tr(l, M_CERT_REVOKED));
		}
		/* The QR code carries the code itself; a page without one still has the code. */
		(void)relais_certificate_qr_svg(&svg, ctx, c->code);
		relais_strbuf_printf(
		        &req->body,
		        "<div class=\"proof\"><div class=\"qr\">%s</div><div><h2>%s</h2>"
		        "<p class=\"code\">",
		        svg ? svg : "", relais_tr(l, M_CERT_CODE));
		free(svg);
		relais_strbuf_add(&req->body, c->code); /* base32 and dashes: nothing to escape */
		relais_tr_format(line, sizeof(line), l, M_CERT_SIGNED, c->key_id, c->id);
		relais_strbuf_printf(&req->body,
		                     "</p><p class=\"meta\">%s</p><p>%s</p></div></div>", line,
		                     relais_tr(l, M_CERT_CHECK));
		relais_strbuf_printf(&req->body, "<p class=\"noprint meta\">%s</p></article>",
		                     relais_tr(l, M_CERT_PRINT));
	}
out:
	relais_certificate_list_free(certs, n);
}
