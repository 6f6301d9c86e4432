/* course.c: load a course source folder, checking everything a trainer can get wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "course_private.h"
#include "markdown.h"
#include "relais/html.h"
#include "relais/session.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/gift.h"
#include "relais/utf8.h"
#include "relais/zip.h"

#define PATH_LEN 4096

/* Where problems are reported, and what the course being loaded holds. */
struct loader {
	relais_ctx *ctx;
	relais_diag *diag;
	const char *src;          /* the course folder as given */
	char json_name[PATH_LEN]; /* "<src>/course.json" */
	const char *json;         /* its text, to find line numbers */
	size_t json_len;
	size_t max_media;
	int check_rendered; /* relais_course_options.check_rendered */
	relais_diag *warn;  /* relais_course_options.warnings */
	relais_course *c;
	int fatal;            /* a failure of this machine, not of the course */
	unsigned key_line[8]; /* lines of the top-level members in top_keys */
	unsigned *unit_line;  /* line where each unit's object starts */
	size_t n_unit_lines;
};

static const char *const top_keys[] = {"id",      "version", "language",          "title",
                                       "summary", "authors", "estimated_minutes", "units"};

static unsigned line_of(const char *text, size_t len, const char *at)
{
	unsigned line = 1;
	const char *p;

	for (p = text; p < at && p < text + len; p++) {
		line += *p == '\n';
	}
	return line;
}

/* Line of the nth (from 0) `"needle"` in course.json, or 0. */
static unsigned json_line_nth(const struct loader *L, const char *needle, size_t nth)
{
	char quoted[512];
	const char *at = L->json, *end = L->json + L->json_len;
	size_t qlen;

	if (snprintf(quoted, sizeof(quoted), "\"%s\"", needle) >= (int)sizeof(quoted)) {
		return 0;
	}
	qlen = strlen(quoted);
	for (;;) {
		at = memmem(at, (size_t)(end - at), quoted, qlen);
		if (at == NULL || nth-- == 0) {
			break;
		}
		at += qlen;
	}
	return at ? line_of(L->json, L->json_len, at) : 0;
}

/* Line of the first `"needle"` in course.json, or 0. */
static unsigned json_line(const struct loader *L, const char *needle)
{
	return json_line_nth(L, needle, 0);
}

/*
 * Finds the lines of course.json's top-level members and of each unit, by
 * walking its tokens (cJSON keeps no positions). Only used for messages.
 */
static void scan_lines(struct loader *L)
{
	const char *p = L->json, *end = L->json + L->json_len;
	const char *key = NULL;
	size_t key_len = 0, k;
	unsigned line = 1, key_at = 0;
	int depth = 0, in_units = 0, units_next = 0, expect_unit = 0;

	for (; p < end; p++) {
		char c = *p;
		if (c == '\n') {
			line++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			continue;
		}
		if (in_units && depth == 2 && expect_unit && c != ']') {
			unsigned *grown =
			        realloc(L->unit_line, (L->n_unit_lines + 1) * sizeof(*grown));
			if (grown == NULL) {
				return; /* lines are a courtesy; carry on without them */
			}
			L->unit_line = grown;
			L->unit_line[L->n_unit_lines++] = line;
			expect_unit = 0;
		}
		if (c == '"') {
			const char *start = ++p;
			unsigned at = line;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end) {
					p++;
				} else if (*p == '\n') {
					line++;
				}
				p++;
			}
			key = depth == 1 ? start : NULL;
			key_len = (size_t)(p - start);
			key_at = at;
			continue;
		}
		if (c == ':') {
			for (k = 0; key && k < sizeof(top_keys) / sizeof(top_keys[0]); k++) {
				if (strlen(top_keys[k]) == key_len &&
				    memcmp(top_keys[k], key, key_len) == 0 && L->key_line[k] == 0) {
					L->key_line[k] = key_at;
					units_next = strcmp(top_keys[k], "units") == 0;
				}
			}
			key = NULL;
			continue;
		}
		key = NULL;
		if (c == '{' || c == '[') {
			depth++;
			if (c == '[' && depth == 2 && units_next) {
				in_units = 1;
				expect_unit = 1;
			}
		} else if (c == '}' || c == ']') {
			if (in_units && depth == 2) {
				in_units = 0;
			}
			depth--;
		} else if (c == ',' && in_units && depth == 2) {
			expect_unit = 1;
		}
		units_next = 0;
	}
}

/* Line of a top-level member of course.json, or 0 when it is absent. */
static unsigned top_line(const struct loader *L, const char *key)
{
	size_t k;

	for (k = 0; k < sizeof(top_keys) / sizeof(top_keys[0]); k++) {
		if (strcmp(top_keys[k], key) == 0) {
			return L->key_line[k];
		}
	}
	return json_line(L, key);
}

/* Line where unit i starts, or that of "units". */
static unsigned unit_line(const struct loader *L, size_t i)
{
	return i < L->n_unit_lines ? L->unit_line[i] : top_line(L, "units");
}

#define PROBLEM(L, file, line, ...)                                                                \
	do {                                                                                       \
		if (relais_diag_add((L)->diag, (file), (line), __VA_ARGS__) != 0) {                \
			(L)->fatal = RELAIS_ENOMEM;                                                \
		}                                                                                  \
	} while (0)

/* Joins "dir/rel" into buf; returns 0 or -1 when it does not fit. */
static int join(char *buf, size_t size, const char *dir, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", dir, rel);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Resolves target (relative to the folder of `from`, both inside the course)
 * into a normalised course-relative path in out. Returns 0, or -1 when the
 * result would leave the course folder or is not a safe bundle path.
 */
static int resolve(char *out, size_t size, const char *from, const char *target)
{
	char tmp[PATH_LEN], *segs[256], *save = NULL, *tok;
	const char *slash = strrchr(from, '/');
	size_t n = 0, i, len = 0;
	int w;

	if (slash != NULL) {
		w = snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)(slash - from), from, target);
	} else {
		w = snprintf(tmp, sizeof(tmp), "%s", target);
	}
	if (w < 0 || (size_t)w >= sizeof(tmp)) {
		return -1;
	}
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0) {
			continue;
		}
		if (strcmp(tok, "..") == 0) {
			if (n == 0) {
				return -1;
			}
			n--;
			continue;
		}
		if (n == 256) {
			return -1;
		}
		segs[n++] = tok;
	}
	if (n == 0) {
		return -1;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t sl = strlen(segs[i]);
		if (len + sl + 2 > size) {
			return -1;
		}
		if (i > 0) {
			out[len++] = '/';
		}
		memcpy(out + len, segs[i], sl);
		len += sl;
		out[len] = '\0';
	}
	return 0;
}

/* Decodes %XX escapes and drops "#fragment" and "?query". Returns 0 or -1. */
static int link_path(char *out, size_t size, const char *target)
{
	size_t o = 0;
	const char *p;

	for (p = target; *p && *p != '#' && *p != '?'; p++) {
		char c = *p;
		if (c == '%' && p[1] && p[2]) {
			char hex[3] = {p[1], p[2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (*end != '\0' || v == 0) {
				return -1;
			}
			c = (char)v;
			p += 2;
		}
		if (o + 1 >= size) {
			return -1;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

static struct course_entry *find_entry(relais_course *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_entries; i++) {
		if (strcmp(c->entries[i].path, path) == 0) {
			return &c->entries[i];
		}
	}
	return NULL;
}

/* Adds an entry; takes ownership of data. Returns 0 or RELAIS_ENOMEM. */
static int add_entry(relais_course *c, const char *path, unsigned char *data, size_t len)
{
	struct course_entry *e;

	if (c->n_entries == c->cap_entries) {
		size_t cap = c->cap_entries ? c->cap_entries * 2 : 32;
		e = realloc(c->entries, cap * sizeof(*e));
		if (e == NULL) {
			free(data);
			return RELAIS_ENOMEM;
		}
		c->entries = e;
		c->cap_entries = cap;
	}
	e = &c->entries[c->n_entries];
	e->path = strdup(path);
	if (e->path == NULL) {
		free(data);
		return RELAIS_ENOMEM;
	}
	e->data = data;
	e->len = len;
	c->n_entries++;
	return 0;
}

int relais_packager_add_entry(relais_course *c, const char *path, unsigned char *data, size_t len)
{
	return add_entry(c, path, data, len);
}

/* Reads a SCORM or cmi5 package (ZIP or folder) into the course under unit->path. */
static void load_package(struct loader *L, struct relais_unit *u, const char *src_rel,
                         unsigned json_line_no)
{
	struct relais_packager_pkg pkg;
	char full[PATH_LEN];
	int rc;

	if (join(full, sizeof(full), L->src, src_rel) != 0) {
		PROBLEM(L, L->json_name, json_line_no, "package %s: path too long", src_rel);
		return;
	}
	if (!relais_course_is_package(full)) {
		PROBLEM(L, L->json_name, json_line_no,
		        "package %s is not a ZIP file or a folder with imsmanifest.xml or cmi5.xml",
		        src_rel);
		return;
	}
	rc = relais_packager_read_package(&pkg, L->ctx, L->diag, L->warn, full, L->max_media);
	if (rc == 0) {
		rc = relais_packager_place_package(&u->package, L->c, L->ctx, L->diag, &pkg, full,
		                                   u->path);
	}
	if (rc != 0 && rc != RELAIS_EFORMAT) {
		L->fatal = rc;
	}
	relais_packager_pkg_clear(&pkg);
}

/*
 * Reads a course file for a unit or a link: must be a regular file (not a
 * symlink) inside the course, at most max bytes. Problems are reported
 * against (file, line). Returns 1 and the data, or 0 after a problem.
 */
static int read_course_file(struct loader *L, const char *rel, const char *shown, size_t max,
                            const char *file, unsigned line, const char *what, char **data,
                            size_t *len)
{
	char full[PATH_LEN];
	struct stat st;
	int rc;

	*data = NULL;
	*len = 0;
	if (join(full, sizeof(full), L->src, rel) != 0) {
		PROBLEM(L, file, line, "%s %s: path too long", what, shown);
		return 0;
	}
	if (lstat(full, &st) != 0) {
		PROBLEM(L, file, line, "%s %s does not exist", what, shown);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		PROBLEM(L, file, line, "%s %s is a symlink; bundles hold regular files only", what,
		        shown);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		PROBLEM(L, file, line, "%s %s is not a regular file", what, shown);
		return 0;
	}
	if ((unsigned long long)st.st_size > max) {
		PROBLEM(L, file, line, "%s %s is %lld bytes, over the limit of %zu", what, shown,
		        (long long)st.st_size, max);
		return 0;
	}
	rc = relais_file_read(data, len, L->ctx, full, max);
	if (rc != 0) {
		PROBLEM(L, file, line, "%s", relais_errmsg(L->ctx));
		if (rc == RELAIS_ENOMEM) {
			L->fatal = rc;
		}
		return 0;
	}
	return 1;
}

/* Replaces the extension of a path that ends in `from` with `to`. */
static int swap_ext(char *out, size_t size, const char *path, const char *from, const char *to)
{
	size_t n = strlen(path), f = strlen(from);

	if (n <= f || strcmp(path + n - f, from) != 0) {
		return -1;
	}
	return snprintf(out, size, "%.*s%s", (int)(n - f), path, to) < (int)size ? 0 : -1;
}

/* Checks a lesson's links and images; carries the files they name into the bundle. */
static void check_links(struct loader *L, const char *lesson, const char *lesson_file,
                        const struct relais_md_link *links, size_t n)
{
	char decoded[PATH_LEN], rel[PATH_LEN];
	const char *why;
	size_t i, k;

	for (i = 0; i < n && !L->fatal; i++) {
		const struct relais_md_link *l = &links[i];
		const char *what = l->is_image ? "image" : "link to";
		char *data;
		size_t len;
		int is_lesson = 0;

		if (!(l->is_image ? relais_html_src_ok(l->target)
		                  : relais_html_href_ok(l->target))) {
			/* The reader would drop it: say so now rather than ship a dead link. */
			PROBLEM(L, lesson_file, l->line,
			        "%s %s is not allowed: only http, https and mailto links, course "
			        "files and data:image/png, jpeg, gif or webp images",
			        what, l->target);
			continue;
		}
		if (!relais_link_is_local(l->target)) {
			if (l->is_image && strncmp(l->target, "data:", 5) != 0) {
				/* Learners are offline: a remote picture would not show. */
				PROBLEM(L, lesson_file, l->line,
				        "image %s is not in the course folder (learners are "
				        "offline)",
				        l->target);
			}
			continue;
		}
		if (link_path(decoded, sizeof(decoded), l->target) != 0) {
			continue; /* a "#fragment"-only or query link */
		}
		if (resolve(rel, sizeof(rel), lesson, decoded) != 0 ||
		    relais_zip_path_ok(rel, &why) != 0) {
			PROBLEM(L, lesson_file, l->line, "%s %s leaves the course folder", what,
			        l->target);
			continue;
		}
		for (k = 0; k < L->c->m->n_units; k++) {
			const struct relais_unit *u = &L->c->m->units[k];
			char src[PATH_LEN];
			if (u->kind == RELAIS_UNIT_LESSON &&
			    swap_ext(src, sizeof(src), u->path, ".html", ".md") == 0 &&
			    strcmp(src, rel) == 0) {
				is_lesson = 1;
			}
		}
		if (is_lesson) {
			continue;
		}
		if (strlen(rel) > 3 && strcmp(rel + strlen(rel) - 3, ".md") == 0) {
			PROBLEM(L, lesson_file, l->line,
			        "link to %s: not a lesson of this course (add it to course.json)",
			        l->target);
			continue;
		}
		if (find_entry(L->c, rel) != NULL) {
			continue; /* already carried */
		}
		if (!read_course_file(L, rel, l->target, L->max_media, lesson_file, l->line,
		                      l->is_image ? "image" : "linked file", &data, &len)) {
			continue;
		}
		if (add_entry(L->c, rel, (unsigned char *)data, len) != 0) {
			L->fatal = RELAIS_ENOMEM;
		}
	}
}

static void load_lesson(struct loader *L, struct relais_unit *u, const char *src_rel,
                        unsigned json_line_no)
{
	char file[PATH_LEN], out_path[PATH_LEN];
	struct relais_md_link *links = NULL;
	size_t len = 0, html_len = 0, n_links = 0;
	char *text = NULL, *html = NULL, *kept = NULL;
	struct relais_html_report report;
	size_t kept_len = 0;

	if (swap_ext(out_path, sizeof(out_path), src_rel, ".md", ".html") != 0) {
		PROBLEM(L, L->json_name, json_line_no, "lesson %s must be a .md file", src_rel);
		return;
	}
	if (!read_course_file(L, src_rel, src_rel, RELAIS_LESSON_MAX, L->json_name, json_line_no,
	                      "lesson", &text, &len)) {
		return;
	}
	(void)join(file, sizeof(file), L->src, src_rel);
	if (!relais_utf8_valid(text, len)) {
		PROBLEM(L, file, 0, "not valid UTF-8 text");
		goto out;
	}
	if (relais_markdown_render(&html, &html_len, &links, &n_links, text, len) != 0) {
		L->fatal = RELAIS_ENOMEM;
		goto out;
	}
	if (L->check_rendered &&
	    relais_html_sanitize(&kept, &kept_len, &report, L->ctx, html, html_len) != 0) {
		L->fatal = RELAIS_ENOMEM;
		goto out;
	}
	if (L->check_rendered && report.removed > 0 && strstr(report.first, ": link") == NULL) {
		/* Markdown's output should never hold these; if it does, the reader
		 * would cut them. Links are named with their line by check_links(). */
		PROBLEM(L, file, 0, "the rendered lesson holds %s, which readers remove",
		        report.first);
	}
	free(u->path);
	u->path = strdup(out_path);
	if (u->path == NULL || add_entry(L->c, out_path, (unsigned char *)html, html_len) != 0) {
		L->fatal = RELAIS_ENOMEM;
		html = NULL;
		goto out;
	}
	html = NULL;
	check_links(L, src_rel, file, links, n_links);
out:
	relais_markdown_links_free(links, n_links);
	free(kept);
	free(html);
	free(text);
}

static void load_quiz(struct loader *L, struct relais_unit *u, const char *src_rel,
                      unsigned json_line_no)
{
	char file[PATH_LEN], out_path[PATH_LEN];
	char *text = NULL, *json = NULL;
	size_t len = 0;
	int rc;

	if (swap_ext(out_path, sizeof(out_path), src_rel, ".gift", ".json") != 0) {
		PROBLEM(L, L->json_name, json_line_no, "quiz %s must be a .gift file", src_rel);
		return;
	}
	if (!read_course_file(L, src_rel, src_rel, RELAIS_GIFT_MAX_BYTES, L->json_name,
	                      json_line_no, "quiz", &text, &len)) {
		return;
	}
	(void)join(file, sizeof(file), L->src, src_rel);
	rc = relais_gift_to_json(&json, L->diag, file, text, len);
	free(text);
	if (rc == RELAIS_ENOMEM) {
		L->fatal = rc;
	}
	if (rc != 0) {
		return;
	}
	free(u->path);
	u->path = strdup(out_path);
	if (u->path == NULL ||
	    add_entry(L->c, out_path, (unsigned char *)json, strlen(json)) != 0) {
		L->fatal = RELAIS_ENOMEM;
	}
}

static int known_key(const char *key, const char *const *keys)
{
	for (; *keys; keys++) {
		if (strcmp(key, *keys) == 0) {
			return 1;
		}
	}
	return 0;
}

/* A string member: returns a copy, or NULL after reporting a problem. */
static char *string_member(struct loader *L, const cJSON *obj, const char *key, int required,
                           const char *where, unsigned line)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char *s;

	if (v == NULL && !required) {
		s = strdup("");
	} else if (!cJSON_IsString(v) || (required && v->valuestring[0] == '\0')) {
		PROBLEM(L, L->json_name, line, "%s%s must be a non-empty string", where, key);
		return NULL;
	} else {
		s = strdup(v->valuestring);
	}
	if (s == NULL) {
		L->fatal = RELAIS_ENOMEM;
	}
	return s;
}

/* An integer member in [min, max]; returns 0 and sets *out, or -1 after a problem. */
static int int_member(struct loader *L, const cJSON *obj, const char *key, long long min,
                      long long max, long long dflt, long long *out, unsigned line)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL && dflt >= 0) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
	    v->valuedouble < (double)min || v->valuedouble > (double)max) {
		PROBLEM(L, L->json_name, line, "%s must be an integer from %lld to %lld", key, min,
		        max);
		return -1;
	}
	*out = (long long)v->valuedouble;
	return 0;
}

/* A quiz's shuffle, max_attempts and time_limit_minutes (docs/authoring.md). */
static void quiz_options(struct loader *L, struct relais_unit *unit, const cJSON *u, int quiz,
                         unsigned line)
{
	static const char *const keys[] = {"shuffle", "max_attempts", "time_limit_minutes"};
	const cJSON *shuffle = cJSON_GetObjectItemCaseSensitive(u, "shuffle");
	long long n = 0;
	size_t i;

	if (!quiz) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (cJSON_GetObjectItemCaseSensitive(u, keys[i]) != NULL) {
				PROBLEM(L, L->json_name, line, "unit %s: %s is for quizzes only",
				        unit->id, keys[i]);
			}
		}
		return;
	}
	if (shuffle != NULL && !cJSON_IsBool(shuffle)) {
		PROBLEM(L, L->json_name, line, "unit %s: shuffle must be true or false", unit->id);
	} else if (shuffle != NULL) {
		unit->keep_order = cJSON_IsFalse(shuffle);
	}
	if (cJSON_GetObjectItemCaseSensitive(u, "max_attempts") != NULL &&
	    int_member(L, u, "max_attempts", 1, RELAIS_QUIZ_MAX_ATTEMPTS, -1, &n, line) == 0) {
		unit->max_attempts = (unsigned)n;
	}
	if (cJSON_GetObjectItemCaseSensitive(u, "time_limit_minutes") != NULL &&
	    int_member(L, u, "time_limit_minutes", 1, RELAIS_QUIZ_MAX_MINUTES, -1, &n, line) == 0) {
		unit->time_limit_minutes = (unsigned)n;
	}
}

static void load_units(struct loader *L, const cJSON *units)
{
	static const char *const unit_keys[] = {
	        "id",           "title",   "lesson",       "quiz",
	        "pass_percent", "shuffle", "max_attempts", "time_limit_minutes",
	        "package",      NULL};
	relais_manifest *m = L->c->m;
	const cJSON *u, *k;
	size_t i = 0;

	if (!cJSON_IsArray(units) || cJSON_GetArraySize(units) == 0) {
		PROBLEM(L, L->json_name, top_line(L, "units"), "units must be a non-empty list");
		return;
	}
	if (cJSON_GetArraySize(units) > RELAIS_MANIFEST_MAX_UNITS) {
		PROBLEM(L, L->json_name, top_line(L, "units"), "more than %d units",
		        RELAIS_MANIFEST_MAX_UNITS);
		return;
	}
	m->units = calloc((size_t)cJSON_GetArraySize(units), sizeof(*m->units));
	if (m->units == NULL) {
		L->fatal = RELAIS_ENOMEM;
		return;
	}
	/* First pass: ids, titles and kinds, so links can name any lesson. */
	cJSON_ArrayForEach(u, units)
	{
		struct relais_unit *unit = &m->units[i];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(u, "id");
		const cJSON *lesson = cJSON_GetObjectItemCaseSensitive(u, "lesson");
		const cJSON *quiz = cJSON_GetObjectItemCaseSensitive(u, "quiz");
		const cJSON *package = cJSON_GetObjectItemCaseSensitive(u, "package");
		char where[48];
		unsigned line;
		long long pass = 0;
		size_t j;

		(void)snprintf(where, sizeof(where), "units[%zu].", i);
		m->n_units = ++i;
		if (!cJSON_IsObject(u)) {
			PROBLEM(L, L->json_name, unit_line(L, i - 1), "%s must be an object",
			        where);
			continue;
		}
		line = unit_line(L, i - 1);
		cJSON_ArrayForEach(k, u)
		{
			if (!known_key(k->string, unit_keys)) {
				PROBLEM(L, L->json_name, json_line(L, k->string),
				        "unit %s: unknown field \"%s\"",
				        cJSON_IsString(id) ? id->valuestring : where, k->string);
			}
		}
		unit->id = string_member(L, u, "id", 1, where, line);
		unit->title = string_member(L, u, "title", 1, where, line);
		if (unit->id == NULL || unit->title == NULL) {
			continue;
		}
		if (!relais_id_ok(unit->id)) {
			PROBLEM(L, L->json_name, line,
			        "unit id \"%s\" must be 1-64 lower-case letters, digits, dots or "
			        "dashes",
			        unit->id);
		}
		for (j = 0; j + 1 < i; j++) {
			if (m->units[j].id && strcmp(m->units[j].id, unit->id) == 0) {
				PROBLEM(L, L->json_name, line, "unit id \"%s\" is used twice",
				        unit->id);
			}
		}
		if ((lesson != NULL) + (quiz != NULL) + (package != NULL) != 1) {
			PROBLEM(L, L->json_name, line,
			        "unit %s must have exactly one of \"lesson\", \"quiz\" or "
			        "\"package\"",
			        unit->id);
			continue;
		}
		if (package != NULL) {
			char rel[PATH_LEN], folder[PATH_LEN];
			const char *why;
			if (!cJSON_IsString(package) ||
			    resolve(rel, sizeof(rel), "", package->valuestring) != 0 ||
			    relais_zip_path_ok(rel, &why) != 0) {
				PROBLEM(L, L->json_name, line,
				        "unit %s: \"package\" must be a path inside the course "
				        "folder",
				        unit->id);
				continue;
			}
			if (cJSON_GetObjectItemCaseSensitive(u, "pass_percent") != NULL) {
				PROBLEM(L, L->json_name, line,
				        "unit %s: pass_percent is for quizzes only", unit->id);
			}
			unit->kind = RELAIS_UNIT_PACKAGE;
			(void)snprintf(folder, sizeof(folder), "packages/%s", unit->id);
			if ((unit->path = strdup(folder)) == NULL) {
				L->fatal = RELAIS_ENOMEM;
			}
			continue;
		}
		if (!cJSON_IsString(lesson ? lesson : quiz)) {
			PROBLEM(L, L->json_name, line, "unit %s: \"%s\" must be a file path",
			        unit->id, lesson ? "lesson" : "quiz");
			continue;
		}
		unit->kind = lesson ? RELAIS_UNIT_LESSON : RELAIS_UNIT_QUIZ;
		if (quiz && int_member(L, u, "pass_percent", 0, 100, 70, &pass, line) == 0) {
			unit->pass_percent = (int)pass;
		}
		if (lesson && cJSON_GetObjectItemCaseSensitive(u, "pass_percent") != NULL) {
			PROBLEM(L, L->json_name, line, "unit %s: pass_percent is for quizzes only",
			        unit->id);
		}
		quiz_options(L, unit, u, quiz != NULL, line);
		/* Until loaded, path holds the source path, normalised; lessons get
		 * their rendered name now so links between lessons resolve. */
		{
			char rel[PATH_LEN], out[PATH_LEN];
			const char *why;
			const cJSON *pj = lesson ? lesson : quiz;
			const char *p = pj ? pj->valuestring : NULL;
			if (p == NULL) {
				continue;
			}
			if (resolve(rel, sizeof(rel), "", p) != 0 ||
			    relais_zip_path_ok(rel, &why) != 0) {
				PROBLEM(L, L->json_name, json_line(L, p),
				        "unit %s: %s leaves the course folder or is not a safe "
				        "path",
				        unit->id, p);
				unit->kind = 0;
				continue;
			}
			if (lesson && swap_ext(out, sizeof(out), rel, ".md", ".html") == 0) {
				unit->path = strdup(out);
			} else {
				unit->path = strdup(rel);
			}
			if (unit->path == NULL) {
				L->fatal = RELAIS_ENOMEM;
			}
		}
	}
	/* Second pass: read, render and check each unit's file. */
	for (i = 0; i < m->n_units && !L->fatal; i++) {
		struct relais_unit *unit = &m->units[i];
		const cJSON *uj = cJSON_GetArrayItem(units, (int)i);
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(
		        uj, unit->kind == RELAIS_UNIT_LESSON    ? "lesson"
		            : unit->kind == RELAIS_UNIT_PACKAGE ? "package"
		                                                : "quiz");
		char rel[PATH_LEN];

		if (unit->kind == 0 || unit->path == NULL || !cJSON_IsString(src) ||
		    resolve(rel, sizeof(rel), "", src->valuestring) != 0) {
			continue;
		}
		if (unit->kind == RELAIS_UNIT_LESSON) {
			load_lesson(L, unit, rel, json_line(L, src->valuestring));
		} else if (unit->kind == RELAIS_UNIT_PACKAGE) {
			load_package(L, unit, rel, json_line(L, src->valuestring));
		} else {
			load_quiz(L, unit, rel, json_line(L, src->valuestring));
		}
	}
}

/*
 * Line of member `field` of session i in course.json: the ith `"id"` after
 * the "sessions" key starts that session; 0 when it cannot be found.
 */
static unsigned session_line(const struct loader *L, size_t i, const char *field)
{
	const char *end = L->json + L->json_len, *at, *next;
	char quoted[64];

	at = memmem(L->json, L->json_len, "\"sessions\"", 10);
	for (size_t k = 0; at != NULL && k <= i; k++) {
		at = memmem(at + 1, (size_t)(end - at - 1), "\"id\"", 4);
	}
	if (at == NULL) {
		return top_line(L, "sessions");
	}
	next = memmem(at + 1, (size_t)(end - at - 1), "\"id\"", 4);
	(void)snprintf(quoted, sizeof(quoted), "\"%s\"", field);
	for (const char *f = at; f != NULL; f++) {
		f = memmem(f, (size_t)(end - f), quoted, strlen(quoted));
		if (f == NULL || (next != NULL && f > next)) {
			break;
		}
		/* A key, not a value: the next non-blank is a colon. */
		const char *c = f + strlen(quoted);
		while (c < end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')) {
			c++;
		}
		if (c < end && *c == ':') {
			return line_of(L->json, L->json_len, f);
		}
	}
	return line_of(L->json, L->json_len, at);
}

/* A string member of a session, NULL when absent; *bad set when it is not a string. */
static char *session_text(struct loader *L, const cJSON *o, const char *key, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *s;

	if (v == NULL) {
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		*bad = 1;
		return NULL;
	}
	if ((s = strdup(v->valuestring)) == NULL) {
		L->fatal = RELAIS_ENOMEM;
	}
	return s;
}

/* course.json's sessions (docs/authoring.md): after the units, whose ids they name. */
static void load_sessions(struct loader *L, const cJSON *sessions)
{
	static const char *const keys[] = {"id",    "title",  "start",   "end",    "timezone",
	                                   "place", "online", "trainer", "before", NULL};
	relais_manifest *m = L->c->m;
	const cJSON *o, *k;
	size_t i = 0;

	if (sessions == NULL) {
		return;
	}
	if (!cJSON_IsArray(sessions) || cJSON_GetArraySize(sessions) > RELAIS_SESSIONS_MAX) {
		PROBLEM(L, L->json_name, top_line(L, "sessions"),
		        "sessions must be a list of at most %d sessions", RELAIS_SESSIONS_MAX);
		return;
	}
	if (cJSON_GetArraySize(sessions) == 0) {
		return;
	}
	m->sessions = calloc((size_t)cJSON_GetArraySize(sessions), sizeof(*m->sessions));
	if (m->sessions == NULL) {
		L->fatal = RELAIS_ENOMEM;
		return;
	}
	cJSON_ArrayForEach(o, sessions)
	{
		struct relais_session *s = &m->sessions[m->n_sessions];
		const cJSON *before = cJSON_GetObjectItemCaseSensitive(o, "before");
		const char *field = NULL;
		int bad = 0;

		i++;
		if (!cJSON_IsObject(o)) {
			PROBLEM(L, L->json_name, top_line(L, "sessions"),
			        "sessions[%zu] must be an object", i - 1);
			continue;
		}
		cJSON_ArrayForEach(k, o)
		{
			if (!known_key(k->string, keys)) {
				PROBLEM(L, L->json_name, session_line(L, i - 1, k->string),
				        "sessions[%zu]: unknown field \"%s\"", i - 1, k->string);
			}
		}
		s->id = session_text(L, o, "id", &bad);
		s->title = session_text(L, o, "title", &bad);
		s->start = session_text(L, o, "start", &bad);
		s->end = session_text(L, o, "end", &bad);
		s->timezone = session_text(L, o, "timezone", &bad);
		s->place = session_text(L, o, "place", &bad);
		s->online = session_text(L, o, "online", &bad);
		s->trainer = session_text(L, o, "trainer", &bad);
		m->n_sessions++;
		if (before != NULL) {
			const cJSON *b;
			int n = cJSON_IsArray(before) ? cJSON_GetArraySize(before) : -1;
			if (n < 0 || n > RELAIS_SESSION_BEFORE_MAX ||
			    (n > 0 && (s->before = calloc((size_t)n, sizeof(char *))) == NULL)) {
				PROBLEM(L, L->json_name, session_line(L, i - 1, "before"),
				        "session %s: before must be a list of unit ids",
				        s->id ? s->id : "?");
				continue;
			}
			cJSON_ArrayForEach(b, before)
			{
				if (!cJSON_IsString(b)) {
					bad = 1;
				} else if ((s->before[s->n_before++] = strdup(b->valuestring)) ==
				           NULL) {
					L->fatal = RELAIS_ENOMEM;
				}
			}
		}
		if (L->fatal) {
			return;
		}
		if (bad) {
			PROBLEM(L, L->json_name, session_line(L, i - 1, "id"),
			        "sessions[%zu]: every field is a string (before: a list of "
			        "strings)",
			        i - 1);
			continue;
		}
		if (relais_session_check(L->ctx, s, m, &field) != 0) {
			PROBLEM(L, L->json_name, session_line(L, i - 1, field), "session %s: %s",
			        s->id ? s->id : "?", relais_errmsg(L->ctx));
			relais_clear(L->ctx);
			continue;
		}
		for (size_t j = 0; j + 1 < m->n_sessions; j++) {
			if (m->sessions[j].id && strcmp(m->sessions[j].id, s->id) == 0) {
				PROBLEM(L, L->json_name, session_line(L, i - 1, "id"),
				        "session id \"%s\" is used twice", s->id);
			}
		}
	}
}

static void load_metadata(struct loader *L, const cJSON *root)
{
	static const char *const keys[] = {"id",       "version", "language",          "title",
	                                   "summary",  "authors", "estimated_minutes", "units",
	                                   "sessions", NULL};
	relais_manifest *m = L->c->m;
	const cJSON *k, *authors;
	long long v;

	cJSON_ArrayForEach(k, root)
	{
		if (!known_key(k->string, keys)) {
			PROBLEM(L, L->json_name, json_line(L, k->string), "unknown field \"%s\"",
			        k->string);
		}
	}
	m->format = RELAIS_MANIFEST_FORMAT;
	m->id = string_member(L, root, "id", 1, "", top_line(L, "id"));
	if (m->id && !relais_id_ok(m->id)) {
		PROBLEM(L, L->json_name, top_line(L, "id"),
		        "id \"%s\" must be 1-64 lower-case letters, digits, dots or dashes", m->id);
	}
	if (int_member(L, root, "version", 1, 1LL << 53, -1, &v, top_line(L, "version")) == 0) {
		m->version = (uint64_t)v;
	}
	m->language = string_member(L, root, "language", 1, "", top_line(L, "language"));
	if (m->language && !relais_language_ok(m->language)) {
		PROBLEM(L, L->json_name, top_line(L, "language"),
		        "language \"%s\" is not a BCP 47 tag such as \"fr\" or \"en-GB\"",
		        m->language);
	}
	m->title = string_member(L, root, "title", 1, "", top_line(L, "title"));
	m->summary = string_member(L, root, "summary", 0, "", top_line(L, "summary"));
	if (int_member(L, root, "estimated_minutes", 0, 100000, 0, &v,
	               top_line(L, "estimated_minutes")) == 0) {
		m->estimated_minutes = (unsigned)v;
	}
	authors = cJSON_GetObjectItemCaseSensitive(root, "authors");
	if (authors != NULL) {
		const cJSON *a;
		int ok = cJSON_IsArray(authors) && cJSON_GetArraySize(authors) <= 100;
		cJSON_ArrayForEach(a, authors)
		{
			ok = ok && cJSON_IsString(a);
		}
		if (!ok) {
			PROBLEM(L, L->json_name, top_line(L, "authors"),
			        "authors must be a list of names");
		} else {
			m->authors =
			        calloc((size_t)cJSON_GetArraySize(authors) + 1, sizeof(char *));
			if (m->authors == NULL) {
				L->fatal = RELAIS_ENOMEM;
				return;
			}
			cJSON_ArrayForEach(a, authors)
			{
				if ((m->authors[m->n_authors++] = strdup(a->valuestring)) == NULL) {
					L->fatal = RELAIS_ENOMEM;
				}
			}
		}
	}
}

int relais_course_load(relais_course **out, relais_ctx *ctx, relais_diag *diag, const char *src_dir,
                       const struct relais_course_options *opt)
{
	struct loader L;
	char *json = NULL;
	const char *end = NULL;
	cJSON *root = NULL;
	size_t len = 0;
	size_t before = relais_diag_count(diag);
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.ctx = ctx;
	L.diag = diag;
	L.src = src_dir;
	L.max_media = opt && opt->max_media_size ? opt->max_media_size : RELAIS_MEDIA_MAX_DEFAULT;
	L.check_rendered = opt != NULL && opt->check_rendered;
	L.warn = opt ? opt->warnings : NULL;
	if (join(L.json_name, sizeof(L.json_name), src_dir, "course.json") != 0) {
		return relais_fail(ctx, RELAIS_ELIMIT, "%s: path too long", src_dir);
	}
	rc = relais_file_read(&json, &len, ctx, L.json_name, RELAIS_COURSE_JSON_MAX);
	if (rc == RELAIS_ENOMEM) {
		return rc;
	}
	if (rc != 0) {
		PROBLEM(&L, L.json_name, 0, "%s",
		        rc == RELAIS_ENOTFOUND ? "missing (every course folder needs one)"
		                               : relais_errmsg(ctx));
		rc = RELAIS_EFORMAT;
		goto out;
	}
	L.json = json;
	L.json_len = len;
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (root == NULL || !cJSON_IsObject(root)) {
		PROBLEM(&L, L.json_name, root ? 1 : line_of(json, len, end ? end : json),
		        root ? "must hold a JSON object" : "not valid JSON here");
		rc = RELAIS_EFORMAT;
		goto out;
	}
	scan_lines(&L);
	L.c = calloc(1, sizeof(*L.c));
	if (L.c == NULL || (L.c->m = calloc(1, sizeof(*L.c->m))) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	load_metadata(&L, root);
	if (!L.fatal) {
		load_units(&L, cJSON_GetObjectItemCaseSensitive(root, "units"));
	}
	if (!L.fatal) {
		load_sessions(&L, cJSON_GetObjectItemCaseSensitive(root, "sessions"));
	}
	if (L.fatal) {
		rc = relais_fail(ctx, L.fatal, "out of memory");
		goto out;
	}
	if (relais_diag_count(diag) > before) {
		rc = RELAIS_EFORMAT;
		goto out;
	}
	*out = L.c;
	L.c = NULL;
	rc = 0;
out:
	if (rc == RELAIS_EFORMAT) {
		relais_fail(ctx, rc, "%zu problem%s in %s", relais_diag_count(diag) - before,
		            relais_diag_count(diag) - before == 1 ? "" : "s", src_dir);
	}
	relais_course_free(L.c);
	free(L.unit_line);
	cJSON_Delete(root);
	free(json);
	return rc;
}

void relais_course_free(relais_course *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	for (i = 0; i < c->n_entries; i++) {
		free(c->entries[i].path);
		free(c->entries[i].data);
	}
	free(c->entries);
	relais_manifest_free(c->m);
	free(c);
}

const char *relais_course_id(const relais_course *c)
{
	return c->m->id;
}

uint64_t relais_course_version(const relais_course *c)
{
	return c->m->version;
}
