/* package.c: a SCORM 1.2, SCORM 2004 or cmi5 package -> its files and launch information. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "course_private.h"
#include "relais/archive.h"
#include "relais/error.h"
#include "relais/utf8.h"
#include "relais/zip.h"

#define PATH_LEN 4096
#define TEXT_MAX 4096
#define XML_MAX (4u * 1024 * 1024)

#define CMI5_NS "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

/* What reading one package needs, and where its problems go. */
struct pkg {
	relais_ctx *ctx;
	relais_diag *diag;
	relais_diag *warn;        /* NULL: warnings are dropped */
	char file[PATH_LEN];      /* the manifest as messages name it: "x.zip/imsmanifest.xml" */
	const relais_archive *a;  /* the package's files */
	struct relais_package *p; /* what is being built */
	xmlNodePtr resources;     /* SCORM */
	size_t cap_items;
	size_t n_items; /* in all organisations, against RELAIS_PACKAGE_MAX_ITEMS */
	int problems;
	int fatal;
	char *language; /* found in the manifest, or NULL */
	char *title;
};

static void problem(struct pkg *P, xmlNodePtr at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void problem(struct pkg *P, xmlNodePtr at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	P->problems++;
	if (relais_diag_add(P->diag, P->file, at ? (unsigned)xmlGetLineNo(at) : 0, "%s", msg) !=
	    0) {
		P->fatal = RELAIS_ENOMEM;
	}
}

static void warning(struct pkg *P, xmlNodePtr at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void warning(struct pkg *P, xmlNodePtr at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (P->warn == NULL) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (relais_diag_add(P->warn, P->file, at ? (unsigned)xmlGetLineNo(at) : 0, "warning: %s",
	                    msg) != 0) {
		P->fatal = RELAIS_ENOMEM;
	}
}

static const char *local_name(xmlNodePtr n)
{
	return n && n->name ? (const char *)n->name : "";
}

static int is_elem(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && strcasecmp(local_name(n), name) == 0;
}

/* The first child element of n with this local name (any namespace, any case). */
static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	for (c = n ? n->children : NULL; c; c = c->next) {
		if (is_elem(c, name)) {
			return c;
		}
	}
	return NULL;
}

/*
 * An attribute by local name, in any namespace and any case (SCORM 1.2
 * writes adlcp:scormtype, 2004 adlcp:scormType). Borrowed from the tree.
 */
static const char *attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n ? n->properties : NULL; a; a = a->next) {
		if (strcasecmp((const char *)a->name, name) == 0 && a->children &&
		    a->children->content) {
			return (const char *)a->children->content;
		}
	}
	return NULL;
}

/* A node's text, spaces trimmed, as a malloc'd string; NULL on no memory. */
static char *text_of(struct pkg *P, xmlNodePtr n)
{
	xmlChar *raw = n ? xmlNodeGetContent(n) : NULL;
	const char *s = raw ? (const char *)raw : "";
	size_t len;
	char *out;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1])) {
		len--;
	}
	if (len > TEXT_MAX) {
		len = TEXT_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
			len--; /* never cut inside a character */
		}
	}
	out = strndup(s, len);
	xmlFree(raw);
	if (out == NULL) {
		P->fatal = RELAIS_ENOMEM;
	}
	return out;
}

static char *dup_or_fail(struct pkg *P, const char *s)
{
	char *out = strdup(s ? s : "");

	if (out == NULL) {
		P->fatal = RELAIS_ENOMEM;
	}
	return out;
}

/* Decodes %XX escapes in the path part of a URL. Returns 0, or -1 for a bad escape. */
static int percent_decode(char *out, size_t size, const char *in, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = in[i];
		if (c == '%') {
			char hex[3];
			char *end;
			long v;
			if (i + 2 >= len) {
				return -1;
			}
			hex[0] = in[i + 1];
			hex[1] = in[i + 2];
			hex[2] = 0;
			v = strtol(hex, &end, 16);
			if (*end != '\0' || v <= 0) {
				return -1;
			}
			c = (char)v;
			i += 2;
		}
		if (o + 1 >= size) {
			return -1;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Whether s starts with a URL scheme ("http:", "app:"). */
static int has_scheme(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p)) {
		return 0;
	}
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.') {
		p++;
	}
	return *p == ':' && p - s > 1; /* "C:" is a drive, said apart */
}

/*
 * Resolves a launch reference (a URL relative to the package's root) to a
 * file of the package: *bundle_path gets its path in the package (the
 * bundle folder goes before it when the package is placed), *query the rest
 * ("?a=1", "#x" or ""). Reports a problem against `at` and returns -1 when it
 * is absolute, climbs out, or names no file of the package.
 */
static int launch_file(struct pkg *P, xmlNodePtr at, const char *what, const char *ref,
                       char **bundle_path, char **query)
{
	char decoded[PATH_LEN], norm[PATH_LEN], shown[512];
	size_t cut = strcspn(ref, "?#"), len = 0;
	char *save = NULL, *tok;
	const char *why;

	*bundle_path = *query = NULL;
	relais_printable(shown, sizeof(shown), ref);
	if (ref[0] == '/' || ref[0] == '\\' || has_scheme(ref) ||
	    (isalpha((unsigned char)ref[0]) && ref[1] == ':')) {
		problem(P, at,
		        "%s %s is an absolute path or URL; it must name a file of the package",
		        what, shown);
		return -1;
	}
	if (cut == 0 || percent_decode(decoded, sizeof(decoded), ref, cut) != 0) {
		problem(P, at, "%s %s is not a file path", what, shown);
		return -1;
	}
	norm[0] = '\0';
	for (tok = strtok_r(decoded, "/\\", &save); tok; tok = strtok_r(NULL, "/\\", &save)) {
		size_t tl = strlen(tok);
		if (strcmp(tok, ".") == 0) {
			continue;
		}
		if (strcmp(tok, "..") == 0) {
			/* Even when it would come back in: one spelling per file. */
			problem(P, at, "%s %s leaves the package (a \"..\" component)", what,
			        shown);
			return -1;
		}
		if (len + tl + 2 > sizeof(norm)) {
			problem(P, at, "%s %s is too long", what, shown);
			return -1;
		}
		if (len > 0) {
			norm[len++] = '/';
		}
		memcpy(norm + len, tok, tl + 1);
		len += tl;
	}
	if (len == 0 || relais_zip_path_ok(norm, &why) != 0) {
		problem(P, at, "%s %s is not a safe file path", what, shown);
		return -1;
	}
	if (relais_archive_find(P->a, norm) == NULL) {
		problem(P, at, "%s %s is not in the package", what, shown);
		return -1;
	}
	*bundle_path = dup_or_fail(P, norm);
	*query = dup_or_fail(P, ref + cut);
	return P->fatal ? -1 : 0;
}

/* A new item at the end of organisation o. NULL after a problem or on no memory. */
static struct relais_package_item *new_item(struct pkg *P, struct relais_package_org *o,
                                            xmlNodePtr at)
{
	struct relais_package_item *it;

	if (++P->n_items > RELAIS_PACKAGE_MAX_ITEMS) {
		if (P->n_items == RELAIS_PACKAGE_MAX_ITEMS + 1) {
			problem(P, at, "more than %d items", RELAIS_PACKAGE_MAX_ITEMS);
		}
		return NULL;
	}
	if (o->n_items == P->cap_items) {
		size_t cap = P->cap_items ? P->cap_items * 2 : 16;
		it = realloc(o->items, cap * sizeof(*it));
		if (it == NULL) {
			P->fatal = RELAIS_ENOMEM;
			return NULL;
		}
		o->items = it;
		P->cap_items = cap;
	}
	it = &o->items[o->n_items++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* Reads a decimal in [lo, hi]; returns 0, or -1 after a problem. */
static int decimal(struct pkg *P, xmlNodePtr at, const char *what, const char *s, double lo,
                   double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	while (isspace((unsigned char)*end)) {
		end++;
	}
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
		problem(P, at, "%s \"%s\" is not a number from %g to %g", what, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- SCORM ---- */

/* The resource with this identifier, or NULL. */
static xmlNodePtr find_resource(struct pkg *P, const char *id)
{
	xmlNodePtr r;

	for (r = P->resources ? P->resources->children : NULL; r; r = r->next) {
		const char *rid = attr(r, "identifier");
		if (is_elem(r, "resource") && rid && strcmp(rid, id) == 0) {
			return r;
		}
	}
	return NULL;
}

/*
 * Appends an item's parameters to its resource's query the way SCORM's
 * content packaging says (CAM 3.4.1.10): a leading '?' or '&' dropped, then
 * joined with '&' or '?'; a '#' fragment appended as it is.
 */
static char *join_parameters(struct pkg *P, const char *query, const char *params)
{
	char buf[TEXT_MAX + 16];
	int n;

	if (params == NULL || params[0] == '\0') {
		return dup_or_fail(P, query);
	}
	if (params[0] == '#') {
		n = strchr(query, '#') ? snprintf(buf, sizeof(buf), "%s", query)
		                       : snprintf(buf, sizeof(buf), "%s%s", query, params);
	} else {
		while (*params == '?' || *params == '&') {
			params++;
		}
		n = snprintf(buf, sizeof(buf), "%s%s%s", query, strchr(query, '?') ? "&" : "?",
		             params);
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		return dup_or_fail(P, query);
	}
	return dup_or_fail(P, buf);
}

/* The primary objective's minNormalizedMeasure, when it satisfies by measure. */
static xmlNodePtr scaled_passing(xmlNodePtr item)
{
	xmlNodePtr prim = child(child(child(item, "sequencing"), "objectives"), "primaryObjective");
	const char *by = attr(prim, "satisfiedByMeasure");

	if (prim == NULL || by == NULL || strcmp(by, "true") != 0) {
		return NULL;
	}
	return child(prim, "minNormalizedMeasure");
}

static void scorm_item(struct pkg *P, struct relais_package_org *o, xmlNodePtr n, unsigned level)
{
	struct relais_package_item *it;
	const char *id = attr(n, "identifier"), *ref = attr(n, "identifierref");
	xmlNodePtr c, x;

	if (level > RELAIS_PACKAGE_MAX_LEVEL) {
		problem(P, n, "items nested deeper than %d levels", RELAIS_PACKAGE_MAX_LEVEL);
		return;
	}
	if ((it = new_item(P, o, n)) == NULL) {
		return;
	}
	it->level = level;
	it->id = dup_or_fail(P, id);
	if (id == NULL || id[0] == '\0') {
		problem(P, n, "item without an identifier");
	}
	it->title = text_of(P, child(n, "title"));
	if (it->title && it->title[0] == '\0') {
		free(it->title);
		it->title = dup_or_fail(P, id ? id : "?");
	}
	it->parameters = dup_or_fail(P, "");
	it->data_from_lms = text_of(P, child(n, "dataFromLMS")); /* 1.2: datafromlms */
	it->launch_parameters = dup_or_fail(P, "");
	if (ref != NULL && ref[0] != '\0') {
		xmlNodePtr r = find_resource(P, ref);
		const char *href = attr(r, "href"), *type;
		char joined[PATH_LEN], *query = NULL;
		xmlChar *b1 = NULL, *b2 = NULL;
		int w;

		if (r == NULL) {
			problem(P, n, "item %s names resource %s, which the manifest does not have",
			        id ? id : "?", ref);
			return;
		}
		if (href == NULL || href[0] == '\0') {
			problem(P, r, "resource %s, launched by item %s, has no href", ref,
			        id ? id : "?");
			return;
		}
		b1 = xmlGetNsProp(P->resources, (const xmlChar *)"base", XML_XML_NAMESPACE);
		b2 = xmlGetNsProp(r, (const xmlChar *)"base", XML_XML_NAMESPACE);
		w = snprintf(joined, sizeof(joined), "%s%s%s", b1 ? (const char *)b1 : "",
		             b2 ? (const char *)b2 : "", href);
		xmlFree(b1);
		xmlFree(b2);
		if (w < 0 || (size_t)w >= sizeof(joined)) {
			problem(P, r, "resource %s: href too long", ref);
			return;
		}
		if (launch_file(P, r, "launch file", joined, &it->launch, &query) != 0) {
			free(query);
			return;
		}
		free(it->parameters);
		it->parameters = join_parameters(P, query, attr(n, "parameters"));
		free(query);
		type = attr(r, "scormType"); /* 1.2: scormtype */
		it->sco = type != NULL && strcasecmp(type, "sco") == 0;
	}
	if ((x = child(n, "masteryscore")) != NULL) {
		char *t = text_of(P, x);
		if (t && t[0] &&
		    decimal(P, x, "masteryscore", t, 0, 100, &it->mastery_score) == 0) {
			it->has_mastery = 1;
		}
		free(t);
	}
	if ((x = scaled_passing(n)) != NULL) {
		char *t = text_of(P, x);
		if (t && t[0] &&
		    decimal(P, x, "minNormalizedMeasure", t, -1, 1, &it->mastery_score) == 0) {
			it->has_mastery = 1;
		}
		free(t);
	}
	if ((x = child(n, "completionThreshold")) != NULL) {
		/* 4th edition: an attribute; 3rd: the element's text. */
		const char *v = attr(x, "minProgressMeasure");
		char *t = v ? dup_or_fail(P, v) : text_of(P, x);
		if (t && t[0] &&
		    decimal(P, x, "completionThreshold", t, 0, 1, &it->completion_threshold) == 0) {
			it->has_completion_threshold = 1;
		}
		free(t);
	}
	for (c = n->children; c && !P->fatal; c = c->next) {
		if (is_elem(c, "item")) {
			scorm_item(P, o, c, level + 1);
		}
	}
}

static void scorm_org(struct pkg *P, struct relais_package_org *o, xmlNodePtr n)
{
	xmlNodePtr c;

	P->cap_items = 0;
	o->id = dup_or_fail(P, attr(n, "identifier"));
	o->title = text_of(P, child(n, "title"));
	for (c = n->children; c && !P->fatal; c = c->next) {
		if (is_elem(c, "item")) {
			scorm_item(P, o, c, 0);
		}
	}
	if (o->n_items == 0 && P->problems == 0) {
		problem(P, n, "organization %s has no item", o->id ? o->id : "?");
	}
}

/* The SCORM version from schemaversion, or from the namespaces when it is absent. */
static int scorm_version(struct pkg *P, xmlDocPtr doc, xmlNodePtr root)
{
	xmlNodePtr sv = child(child(root, "metadata"), "schemaversion");
	char *v;
	int standard = 0;

	if (sv == NULL) {
		if (xmlSearchNsByHref(doc, root,
		                      (const xmlChar *)"http://www.adlnet.org/xsd/adlcp_v1p3")) {
			standard = RELAIS_PACKAGE_SCORM2004;
			P->p->version = dup_or_fail(P, "2004");
		} else if (xmlSearchNsByHref(
		                   doc, root,
		                   (const xmlChar *)"http://www.adlnet.org/xsd/adlcp_rootv1p2")) {
			standard = RELAIS_PACKAGE_SCORM12;
			P->p->version = dup_or_fail(P, "1.2");
		} else {
			problem(P, root,
			        "no <schemaversion> in <metadata>, and no SCORM namespace: not a "
			        "SCORM "
			        "1.2 or 2004 package");
		}
		return standard;
	}
	v = text_of(P, sv);
	if (v == NULL) {
		return 0;
	}
	if (strcmp(v, "1.2") == 0) {
		standard = RELAIS_PACKAGE_SCORM12;
	} else if (strcmp(v, "CAM 1.3") == 0 || strcmp(v, "2004 3rd Edition") == 0 ||
	           strcmp(v, "2004 4th Edition") == 0) {
		standard = RELAIS_PACKAGE_SCORM2004;
	} else {
		char shown[128];
		relais_printable(shown, sizeof(shown), v);
		problem(P, sv,
		        "SCORM version \"%s\" is not supported (relais plays \"1.2\", \"CAM 1.3\", "
		        "\"2004 3rd Edition\" and \"2004 4th Edition\")",
		        shown);
	}
	P->p->version = v;
	return standard;
}

/* The language and title in the manifest's LOM metadata, if any. */
static void scorm_lom(struct pkg *P, xmlNodePtr root)
{
	xmlNodePtr general = child(child(child(root, "metadata"), "lom"), "general");
	xmlNodePtr lang = child(general, "language");
	xmlNodePtr title = child(general, "title");

	if (lang != NULL) {
		P->language = text_of(P, lang);
	}
	if (title != NULL) {
		/* <title><langstring xml:lang> (1.2) or <title><string language> (2004) */
		xmlNodePtr s = child(title, "langstring") ? child(title, "langstring")
		                                          : child(title, "string");
		P->title = text_of(P, s ? s : title);
		if (P->language == NULL && s != NULL) {
			xmlChar *l = xmlNodeGetLang(s);
			const char *l2 = attr(s, "language");
			if (l != NULL || l2 != NULL) {
				P->language = dup_or_fail(P, l ? (const char *)l : l2);
			}
			xmlFree(l);
		}
	}
}

static void read_scorm(struct pkg *P, xmlDocPtr doc, xmlNodePtr root)
{
	xmlNodePtr orgs, c, def = NULL;
	const char *def_id;
	size_t n = 0, i = 0;

	if (!is_elem(root, "manifest")) {
		problem(P, root, "the root element is <%s>, not <manifest>", local_name(root));
		return;
	}
	P->p->standard = scorm_version(P, doc, root);
	if (P->p->standard == 0) {
		return;
	}
	P->p->id = dup_or_fail(P, attr(root, "identifier"));
	scorm_lom(P, root);
	P->resources = child(root, "resources");
	orgs = child(root, "organizations");
	for (c = orgs ? orgs->children : NULL; c; c = c->next) {
		n += is_elem(c, "organization");
	}
	if (n == 0) {
		problem(P, orgs ? orgs : root, "no <organization>: nothing to launch");
		return;
	}
	if (n > RELAIS_PACKAGE_MAX_ORGS) {
		problem(P, orgs, "more than %d organizations", RELAIS_PACKAGE_MAX_ORGS);
		return;
	}
	def_id = attr(orgs, "default");
	for (c = orgs->children; c && def_id; c = c->next) {
		const char *id = attr(c, "identifier");
		if (is_elem(c, "organization") && id && strcmp(id, def_id) == 0) {
			def = c;
		}
	}
	if (def_id != NULL && def == NULL) {
		problem(P, orgs, "default organization %s is not in <organizations>", def_id);
		return;
	}
	P->p->orgs = calloc(n, sizeof(*P->p->orgs));
	if (P->p->orgs == NULL) {
		P->fatal = RELAIS_ENOMEM;
		return;
	}
	/* The default one first: the one a reader plays. */
	if (def != NULL) {
		P->p->n_orgs = ++i;
		scorm_org(P, &P->p->orgs[0], def);
	}
	for (c = orgs->children; c && !P->fatal; c = c->next) {
		if (is_elem(c, "organization") && c != def) {
			P->p->n_orgs = ++i;
			scorm_org(P, &P->p->orgs[i - 1], c);
		}
	}
	if (P->title == NULL || P->title[0] == '\0') {
		free(P->title);
		P->title = dup_or_fail(P, P->p->orgs[0].title);
	}
}

/* ---- cmi5 ---- */

/* The first langstring of a cmi5 title, and its language. */
static char *cmi5_text(struct pkg *P, xmlNodePtr n, char **lang)
{
	xmlNodePtr s = child(n, "langstring");

	if (lang != NULL && s != NULL && attr(s, "lang") != NULL && *lang == NULL) {
		*lang = dup_or_fail(P, attr(s, "lang"));
	}
	return text_of(P, s ? s : n);
}

static void cmi5_au(struct pkg *P, struct relais_package_org *o, xmlNodePtr n, unsigned level)
{
	struct relais_package_item *it = new_item(P, o, n);
	xmlNodePtr url = child(n, "url");
	const char *v;
	char *u = NULL;

	if (it == NULL) {
		return;
	}
	it->level = level;
	it->id = dup_or_fail(P, attr(n, "id"));
	if (attr(n, "id") == NULL) {
		problem(P, n, "<au> without an id");
	}
	it->title = cmi5_text(P, child(n, "title"), NULL);
	it->parameters = dup_or_fail(P, "");
	it->data_from_lms = dup_or_fail(P, "");
	it->launch_parameters = text_of(P, child(n, "launchParameters"));
	if ((v = attr(n, "moveOn")) != NULL) {
		static const char *const names[] = {"NotApplicable", "Passed", "Completed",
		                                    "CompletedAndPassed", "CompletedOrPassed"};
		int k;
		for (k = 0; k < 5 && strcmp(names[k], v) != 0; k++) {
		}
		if (k == 5) {
			problem(P, n, "moveOn \"%s\" is not one of cmi5's values", v);
		}
		it->move_on = k < 5 ? k : 0;
	}
	if ((v = attr(n, "launchMethod")) != NULL) {
		if (strcmp(v, "OwnWindow") == 0) {
			it->launch_method = RELAIS_CMI5_OWN_WINDOW;
		} else if (strcmp(v, "AnyWindow") != 0) {
			problem(P, n, "launchMethod \"%s\" is not AnyWindow or OwnWindow", v);
		}
	}
	if ((v = attr(n, "masteryScore")) != NULL &&
	    decimal(P, n, "masteryScore", v, 0, 1, &it->mastery_score) == 0) {
		it->has_mastery = 1;
	}
	u = text_of(P, url);
	if (u == NULL) {
		return;
	}
	if (url == NULL || u[0] == '\0') {
		problem(P, n, "<au> %s has no <url>", it->id ? it->id : "?");
	} else if (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) {
		/* Allowed by cmi5, but it needs the network every time. */
		warning(P, url,
		        "AU %s launches from the network (%s): learners offline cannot play it",
		        it->id ? it->id : "?", u);
		it->launch = u;
		u = NULL;
	} else {
		char *query = NULL;
		if (launch_file(P, url, "AU url", u, &it->launch, &query) == 0) {
			free(it->parameters);
			it->parameters = query;
			query = NULL;
		}
		free(query);
	}
	free(u);
}

static void cmi5_children(struct pkg *P, struct relais_package_org *o, xmlNodePtr n, unsigned level)
{
	xmlNodePtr c;

	if (level > RELAIS_PACKAGE_MAX_LEVEL) {
		problem(P, n, "blocks nested deeper than %d levels", RELAIS_PACKAGE_MAX_LEVEL);
		return;
	}
	for (c = n->children; c && !P->fatal; c = c->next) {
		if (is_elem(c, "au")) {
			cmi5_au(P, o, c, level);
		} else if (is_elem(c, "block")) {
			struct relais_package_item *it = new_item(P, o, c);
			if (it == NULL) {
				return;
			}
			it->level = level;
			it->id = dup_or_fail(P, attr(c, "id"));
			it->title = cmi5_text(P, child(c, "title"), NULL);
			it->parameters = dup_or_fail(P, "");
			it->data_from_lms = dup_or_fail(P, "");
			it->launch_parameters = dup_or_fail(P, "");
			cmi5_children(P, o, c, level + 1);
		}
	}
}

static void read_cmi5(struct pkg *P, xmlNodePtr root)
{
	xmlNodePtr course = child(root, "course");
	const char *ns = root && root->ns ? (const char *)root->ns->href : "";

	if (!is_elem(root, "courseStructure")) {
		problem(P, root, "the root element is <%s>, not <courseStructure>",
		        local_name(root));
		return;
	}
	if (strcmp(ns, CMI5_NS) != 0) {
		char shown[256];
		relais_printable(shown, sizeof(shown), ns);
		problem(P, root,
		        "cmi5 course structure namespace \"%s\" is not supported (relais plays "
		        "cmi5 v1: %s)",
		        shown, CMI5_NS);
		return;
	}
	P->p->standard = RELAIS_PACKAGE_CMI5;
	P->p->version = dup_or_fail(P, "1.0");
	if (course == NULL || attr(course, "id") == NULL) {
		problem(P, course ? course : root, "no <course id=...>");
		return;
	}
	P->p->id = dup_or_fail(P, attr(course, "id"));
	P->title = cmi5_text(P, child(course, "title"), &P->language);
	P->p->orgs = calloc(1, sizeof(*P->p->orgs));
	if (P->p->orgs == NULL) {
		P->fatal = RELAIS_ENOMEM;
		return;
	}
	P->p->n_orgs = 1;
	P->p->orgs[0].id = dup_or_fail(P, P->p->id);
	P->p->orgs[0].title = dup_or_fail(P, P->title);
	P->cap_items = 0;
	cmi5_children(P, &P->p->orgs[0], root, 0);
	if (P->p->orgs[0].n_items == 0 && P->problems == 0) {
		problem(P, root, "no <au>: nothing to launch");
	}
}

/* Whether any launchable item is in the first organisation. */
static int launchable(const struct relais_package *p)
{
	size_t i;

	for (i = 0; p->n_orgs > 0 && i < p->orgs[0].n_items; i++) {
		if (p->orgs[0].items[i].launch != NULL) {
			return 1;
		}
	}
	return 0;
}

/* A manifest in a sub-folder: the package was zipped one folder too high. */
static const char *nested_manifest(const relais_archive *a)
{
	size_t i;

	for (i = 0; i < a->n_files; i++) {
		const char *slash = strrchr(a->files[i].path, '/');
		if (slash && (strcmp(slash + 1, "imsmanifest.xml") == 0 ||
		              strcmp(slash + 1, "cmi5.xml") == 0)) {
			return a->files[i].path;
		}
	}
	return NULL;
}

void relais_packager_pkg_clear(struct relais_packager_pkg *pkg)
{
	relais_package_free(pkg->p);
	relais_archive_free(pkg->a);
	free(pkg->title);
	free(pkg->language);
	memset(pkg, 0, sizeof(*pkg));
}

int relais_packager_read_package(struct relais_packager_pkg *out, relais_ctx *ctx,
                                 relais_diag *diag, relais_diag *warn, const char *pkg_path,
                                 size_t max_file)
{
	struct relais_archive_limits lim = {0};
	struct pkg P;
	relais_archive *a = NULL;
	const struct relais_archive_file *mf;
	xmlParserCtxtPtr xc = NULL;
	xmlDocPtr doc = NULL;
	const char *name, *nested;
	int rc, is_cmi5;

	memset(out, 0, sizeof(*out));
	memset(&P, 0, sizeof(P));
	P.ctx = ctx;
	P.diag = diag;
	P.warn = warn;
	lim.max_file = max_file;
	rc = relais_archive_read(&a, ctx, pkg_path, &lim);
	if (rc == RELAIS_ENOMEM || rc == RELAIS_EIO) {
		return rc;
	}
	if (rc != 0) {
		if (relais_diag_add(diag, pkg_path, 0, "%s", relais_errmsg(ctx)) != 0) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		return RELAIS_EFORMAT;
	}
	P.a = a;
	is_cmi5 = relais_archive_find(a, "cmi5.xml") != NULL;
	name = is_cmi5 ? "cmi5.xml" : "imsmanifest.xml";
	(void)snprintf(P.file, sizeof(P.file), "%s/%s", pkg_path, name);
	mf = relais_archive_find(a, name);
	if (mf == NULL) {
		nested = nested_manifest(a);
		if (nested != NULL) {
			rc = relais_diag_add(
			        diag, pkg_path, 0,
			        "no imsmanifest.xml or cmi5.xml at the package's root, "
			        "but %s: package the folder's contents, not the folder",
			        nested);
		} else {
			rc = relais_diag_add(diag, pkg_path, 0,
			                     "no imsmanifest.xml (SCORM) or cmi5.xml (cmi5) at the "
			                     "package's root: not a SCORM or cmi5 package");
		}
		rc = rc != 0 ? relais_fail(ctx, RELAIS_ENOMEM, "out of memory") : RELAIS_EFORMAT;
		goto out;
	}
	if (mf->len > XML_MAX) {
		relais_diag_add(diag, P.file, 0, "%zu bytes, over the limit of %u", mf->len,
		                XML_MAX);
		rc = RELAIS_EFORMAT;
		goto out;
	}
	P.p = calloc(1, sizeof(*P.p));
	xc = xmlNewParserCtxt();
	if (P.p == NULL || xc == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	/* No network, no entity expansion, no DTD loading; errors kept, not printed. */
	doc = xmlCtxtReadMemory(xc, (const char *)mf->data, (int)mf->len, name, NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
		const xmlError *e = xmlCtxtGetLastError(xc);
		char msg[256];
		relais_printable(msg, sizeof(msg), e && e->message ? e->message : "not XML");
		msg[strcspn(msg, "\\")] = '\0'; /* the message's own "\n" */
		relais_diag_add(diag, P.file, e ? (unsigned)e->line : 0, "not well-formed XML: %s",
		                msg);
		rc = RELAIS_EFORMAT;
		goto out;
	}
	if (is_cmi5) {
		read_cmi5(&P, xmlDocGetRootElement(doc));
	} else {
		read_scorm(&P, doc, xmlDocGetRootElement(doc));
	}
	if (P.fatal) {
		rc = relais_fail(ctx, P.fatal, "out of memory");
		goto out;
	}
	if (P.problems == 0 && !launchable(P.p)) {
		problem(&P, xmlDocGetRootElement(doc),
		        "nothing to launch: no item names a resource");
	}
	if (P.problems > 0) {
		rc = RELAIS_EFORMAT;
		goto out;
	}
	out->p = P.p;
	out->a = a;
	out->id = P.p->id;
	out->title = P.title;
	out->language = P.language;
	P.p = NULL;
	a = NULL;
	P.title = P.language = NULL;
out:
	free(P.title);
	free(P.language);
	relais_package_free(P.p);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(xc);
	relais_archive_free(a);
	return rc;
}

int relais_packager_place_package(struct relais_package **out, relais_course *c, relais_ctx *ctx,
                                  relais_diag *diag, struct relais_packager_pkg *pkg,
                                  const char *pkg_path, const char *prefix)
{
	char path[PATH_LEN], shown[512];
	struct relais_package *p = pkg->p;
	const char *why;
	size_t i, k, o;
	int rc = 0;

	*out = NULL;
	/* Every file of the package goes into the bundle, under its folder. */
	for (i = 0; i < pkg->a->n_files; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", prefix, pkg->a->files[i].path) >=
		            (int)sizeof(path) ||
		    relais_zip_path_ok(path, &why) != 0) {
			relais_printable(shown, sizeof(shown), pkg->a->files[i].path);
			if (relais_diag_add(diag, pkg_path, 0,
			                    "file %s: its bundle path under %s/ would be over 255 "
			                    "bytes",
			                    shown, prefix) != 0) {
				return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			}
			rc = RELAIS_EFORMAT;
		}
	}
	if (rc != 0) {
		return rc;
	}
	for (o = 0; o < p->n_orgs; o++) {
		for (k = 0; k < p->orgs[o].n_items; k++) {
			struct relais_package_item *it = &p->orgs[o].items[k];
			char *full;
			if (it->launch == NULL || strncmp(it->launch, "http://", 7) == 0 ||
			    strncmp(it->launch, "https://", 8) == 0) {
				continue;
			}
			if (snprintf(path, sizeof(path), "%s/%s", prefix, it->launch) >=
			            (int)sizeof(path) ||
			    (full = strdup(path)) == NULL) {
				return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			}
			free(it->launch);
			it->launch = full;
		}
	}
	for (i = 0; i < pkg->a->n_files; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", prefix, pkg->a->files[i].path);
		rc = relais_packager_add_entry(c, path, pkg->a->files[i].data,
		                               pkg->a->files[i].len);
		pkg->a->files[i].data = NULL; /* now the course's */
		if (rc != 0) {
			return relais_fail(ctx, rc, "out of memory");
		}
	}
	*out = p;
	pkg->p = NULL;
	pkg->id = NULL;
	return 0;
}

int relais_course_is_package(const char *path)
{
	char name[PATH_LEN];
	struct stat st;

	if (stat(path, &st) != 0) {
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		return 0;
	}
	if (snprintf(name, sizeof(name), "%s/course.json", path) < (int)sizeof(name) &&
	    stat(name, &st) == 0) {
		return 0;
	}
	if (snprintf(name, sizeof(name), "%s/imsmanifest.xml", path) < (int)sizeof(name) &&
	    stat(name, &st) == 0) {
		return 1;
	}
	return snprintf(name, sizeof(name), "%s/cmi5.xml", path) < (int)sizeof(name) &&
	       stat(name, &st) == 0;
}

/*
 * A course id from a manifest identifier: an IRI gives its last segment;
 * letters are lowered, anything else becomes '-'. "" when nothing is left.
 */
static void derive_id(char *out, size_t size, const char *src)
{
	const char *s = src, *slash;
	size_t len = strlen(src), o = 0;

	while (len > 0 && src[len - 1] == '/') {
		len--;
	}
	slash = memrchr(src, '/', len);
	if (slash != NULL && (size_t)(slash - src) + 1 < len) {
		s = slash + 1;
		len -= (size_t)(s - src);
	}
	for (; len > 0 && o + 1 < size && o < RELAIS_ID_MAX; s++, len--) {
		unsigned char c = (unsigned char)tolower((unsigned char)*s);
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
		if (!ok) {
			c = '-';
		}
		if (o == 0 && !isalnum(c)) {
			continue;
		}
		if (c == '-' && out[o - 1] == '-') {
			continue;
		}
		out[o++] = (char)c;
	}
	while (o > 0 && (out[o - 1] == '-' || out[o - 1] == '.')) {
		o--;
	}
	out[o] = '\0';
}

int relais_course_load_package(relais_course **out, relais_ctx *ctx, relais_diag *diag,
                               const char *pkg_path, const struct relais_package_options *popt,
                               const struct relais_course_options *opt)
{
	struct relais_packager_pkg pkg;
	struct relais_package_options none = {0};
	char id[RELAIS_ID_MAX + 1], prefix[128];
	relais_course *c = NULL;
	relais_manifest *m;
	const char *title, *language;
	size_t before = relais_diag_count(diag);
	int rc;

	*out = NULL;
	if (popt == NULL) {
		popt = &none;
	}
	rc = relais_packager_read_package(&pkg, ctx, diag, opt ? opt->warnings : NULL, pkg_path,
	                                  opt && opt->max_media_size ? opt->max_media_size
	                                                             : RELAIS_MEDIA_MAX_DEFAULT);
	if (rc != 0) {
		goto out;
	}
	if (popt->id != NULL) {
		(void)snprintf(id, sizeof(id), "%s", popt->id);
		if (strlen(popt->id) > RELAIS_ID_MAX || !relais_id_ok(popt->id)) {
			relais_diag_add(
			        diag, pkg_path, 0,
			        "id \"%s\" must be 1-64 lower-case letters, digits, dots or "
			        "dashes",
			        popt->id);
		}
	} else {
		derive_id(id, sizeof(id), pkg.id ? pkg.id : "");
		if (!relais_id_ok(id)) {
			relais_diag_add(diag, pkg_path, 0,
			                "the manifest's identifier gives no usable course id; give "
			                "one with --id");
		}
	}
	title = popt->title ? popt->title : pkg.title;
	if (title == NULL || title[0] == '\0') {
		relais_diag_add(diag, pkg_path, 0,
		                "the manifest gives no title; give one with --title");
	}
	language = popt->language ? popt->language : pkg.language;
	if (language == NULL || language[0] == '\0') {
		relais_diag_add(diag, pkg_path, 0,
		                "the manifest names no language; give one with --language (such as "
		                "\"fr\" or \"en-GB\")");
	} else if (!relais_language_ok(language)) {
		relais_diag_add(diag, pkg_path, 0,
		                "language \"%s\" is not a BCP 47 tag such as \"fr\" or \"en-GB\"%s",
		                language, popt->language ? "" : "; give one with --language");
	}
	if (relais_diag_count(diag) > before) {
		rc = RELAIS_EFORMAT;
		goto out;
	}
	(void)snprintf(prefix, sizeof(prefix), "packages/%s", id);
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->m = m = calloc(1, sizeof(*c->m))) == NULL ||
	    (m->units = calloc(1, sizeof(*m->units))) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	m->n_units = 1;
	m->format = RELAIS_MANIFEST_FORMAT;
	m->version = popt->version ? popt->version : 1;
	m->id = strdup(id);
	m->title = strdup(title);
	m->language = strdup(language);
	m->summary = strdup("");
	m->authors = calloc(1, sizeof(char *));
	m->units[0].id = strdup(id);
	m->units[0].title = strdup(title);
	m->units[0].kind = RELAIS_UNIT_PACKAGE;
	m->units[0].path = strdup(prefix);
	if (!m->id || !m->title || !m->language || !m->summary || !m->authors || !m->units[0].id ||
	    !m->units[0].title || !m->units[0].path) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	rc = relais_packager_place_package(&m->units[0].package, c, ctx, diag, &pkg, pkg_path,
	                                   prefix);
	if (rc != 0) {
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (rc == RELAIS_EFORMAT) {
		relais_fail(ctx, rc, "%zu problem%s in %s", relais_diag_count(diag) - before,
		            relais_diag_count(diag) - before == 1 ? "" : "s", pkg_path);
	}
	relais_course_free(c);
	relais_packager_pkg_clear(&pkg);
	return rc;
}
