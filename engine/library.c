/* library.c: installed courses: verified install with rollback refusal, listing, search. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/library.h"
#include "relais/trust.h"
#include "relais/strbuf.h"

#define PATH_LEN 4096
#define COPY_CHUNK 65536
#define QUERY_MAX 256

/*
 * Opens path, checking its signature against the trust store. To install
 * (install not NULL), the key must not be revoked, and a key not trusted may
 * be reached through the bundle's rotation records (*install set to 1 then:
 * the caller records them).
 */
static int open_trusted(relais_bundle **out, int *install, relais_home *home, relais_ctx *ctx,
                        const char *path)
{
	relais_bundle *peek = NULL;
	relais_pubkey *key = NULL;
	const relais_manifest *m;
	char signer[RELAIS_KEYID_HEX];
	int rc;

	*out = NULL;
	/* First only to learn which key signed it; nothing else is trusted yet. */
	if ((rc = relais_bundle_open(&peek, ctx, path, NULL)) != 0) {
		return rc;
	}
	(void)snprintf(signer, sizeof(signer), "%s", relais_bundle_signer(peek));
	m = relais_bundle_manifest(peek);
	if (install == NULL) {
		rc = relais_trust_lookup(&key, home, ctx, signer);
	} else {
		*install = 0;
		rc = relais_trust_lookup_signer(&key, home, ctx, signer);
		if (rc == RELAIS_ESIGNATURE && m->n_rotations > 0 &&
		    (rc = relais_trust_is_revoked(home, ctx, signer)) == 0) {
			rc = relais_trust_follow_rotations(&key, home, ctx, signer, m->rotations,
			                                   m->n_rotations);
			*install = rc == 0;
		} else if (rc == 1) {
			rc = relais_trust_lookup_signer(&key, home, ctx, signer);
		}
	}
	relais_bundle_free(peek);
	if (rc != 0) {
		return relais_prefix(ctx, "%s", path);
	}
	rc = relais_bundle_open(out, ctx, path, key);
	relais_pubkey_free(key);
	return rc;
}

/*
 * Copies src into a temporary file that becomes dst only when *out is
 * committed (relais_atomic_commit); the caller owns *out.
 */
static int copy_file(relais_atomic_file **out, relais_ctx *ctx, const char *src, const char *dst)
{
	relais_atomic_file *af = NULL;
	unsigned char *buf = NULL;
	int fd = -1, rc;
	ssize_t n;

	*out = NULL;
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return relais_fail(ctx, RELAIS_EIO, "%s: %s", src, strerror(errno));
	}
	buf = malloc(COPY_CHUNK);
	if (buf == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = relais_atomic_open(&af, ctx, dst, 0600)) != 0) {
		goto out;
	}
	while ((n = read(fd, buf, COPY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = relais_fail(ctx, RELAIS_EIO, "%s: %s", src, strerror(errno));
			goto out;
		}
		if ((rc = relais_atomic_write(af, buf, (size_t)n)) != 0) {
			goto out;
		}
	}
	*out = af;
	af = NULL;
out:
	relais_atomic_abort(af);
	free(buf);
	close(fd);
	return rc;
}

/* The visible text of an HTML fragment, for the search index. */
static char *html_text(const unsigned char *html, size_t len)
{
	static const struct {
		const char *entity;
		char c;
	} entities[] = {
	        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
	char *out = malloc(len + 1);
	size_t i = 0, o = 0, k;
	int in_tag = 0;

	if (out == NULL) {
		return NULL;
	}
	while (i < len) {
		char c = (char)html[i];
		if (in_tag) {
			in_tag = c != '>';
			i++;
			continue;
		}
		if (c == '<') {
			in_tag = 1;
			out[o++] = ' ';
			i++;
			continue;
		}
		if (c == '&') {
			for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
				size_t el = strlen(entities[k].entity);
				if (len - i >= el &&
				    memcmp(html + i, entities[k].entity, el) == 0) {
					out[o++] = entities[k].c;
					i += el;
					break;
				}
			}
			if (k < sizeof(entities) / sizeof(entities[0])) {
				continue;
			}
		}
		out[o++] = c;
		i++;
	}
	out[o] = '\0';
	return out;
}

/* Runs sql with ?1 = a and, when not NULL, ?2 = b. */
static int exec_bound(relais_home *home, relais_ctx *ctx, const char *sql, const char *a,
                      const char *b)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_db_prepare(&st, home, ctx, sql)) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL) {
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Writes the course, its units and its search index; inside a transaction. */
static int record_course(relais_home *home, relais_ctx *ctx, const relais_bundle *b,
                         const char *file)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	sqlite3_stmt *st = NULL;
	char now[32];
	size_t i;
	int rc;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT INTO course(id, version, title, language, summary, estimated_minutes, "
	             "signer, file, installed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
	             "ON CONFLICT(id) DO UPDATE SET version = excluded.version, title = "
	             "excluded.title, language = excluded.language, summary = excluded.summary, "
	             "estimated_minutes = excluded.estimated_minutes, signer = excluded.signer, "
	             "file = excluded.file, installed = excluded.installed")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)m->version);
	sqlite3_bind_text(st, 3, m->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->language, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->summary, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)m->estimated_minutes);
	sqlite3_bind_text(st, 7, relais_bundle_signer(b), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = exec_bound(home, ctx, "DELETE FROM unit WHERE course_id = ?", m->id, NULL)) !=
	            0 ||
	    (rc = exec_bound(home, ctx, "DELETE FROM lesson_text WHERE course_id = ?", m->id,
	                     NULL)) != 0) {
		goto out;
	}
	for (i = 0; i < m->n_units; i++) {
		const struct relais_unit *u = &m->units[i];
		if ((rc = relais_db_prepare(
		             &st, home, ctx,
		             "INSERT INTO unit(course_id, position, id, title, kind, "
		             "path, pass_percent) VALUES (?, ?, ?, ?, ?, ?, ?)")) != 0) {
			goto out;
		}
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)i);
		sqlite3_bind_text(st, 3, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, u->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, u->kind == RELAIS_UNIT_QUIZ ? "quiz" : "lesson", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 6, u->path, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, u->pass_percent);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (u->kind == RELAIS_UNIT_LESSON) {
			unsigned char *html = NULL;
			size_t len = 0;
			char *text;
			if ((rc = relais_bundle_read(&html, &len, ctx, b, u->path)) != 0) {
				goto out;
			}
			text = html_text(html, len);
			free(html);
			if (text == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
				goto out;
			}
			rc = relais_db_prepare(&st, home, ctx,
			                       "INSERT INTO lesson_text(course_id, unit_id, title, "
			                       "body) VALUES (?, ?, ?, ?)");
			if (rc == 0) {
				sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, u->id, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 3, u->title, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
				if (sqlite3_step(st) != SQLITE_DONE) {
					rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO,
					                    "search index");
				}
			}
			free(text);
			sqlite3_finalize(st);
			st = NULL;
			if (rc != 0) {
				goto out;
			}
		}
	}
	/* Progress stays on units whose ids remain; the rest has no unit to show. */
	rc = exec_bound(home, ctx,
	                "DELETE FROM progress WHERE course_id = ?1 AND unit_id NOT IN "
	                "(SELECT id FROM unit WHERE course_id = ?1)",
	                m->id, NULL);
out:
	sqlite3_finalize(st);
	return rc;
}

/* The installed version and file of a course; *version 0 when not installed. */
static int installed(uint64_t *version, char **file, relais_home *home, relais_ctx *ctx,
                     const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	*version = 0;
	*file = NULL;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT version, file FROM course WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		if ((*file = relais_db_text(st, 1)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The name the trust store gives key_id, or a stand-in; malloc'd, NULL when out of memory. */
static char *publisher_name(relais_home *home, relais_ctx *ctx, const char *key_id)
{
	sqlite3_stmt *st = NULL;
	char *name = NULL;

	if (relais_db_prepare(&st, home, ctx, "SELECT name FROM trusted_key WHERE id = ?") == 0) {
		sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			name = relais_db_text(st, 0);
		}
		sqlite3_finalize(st);
	}
	return name ? name : strdup("a publisher no longer trusted");
}

/*
 * Whether bundle b (read from path) may be installed over what the library
 * holds: the installed version and file of its course (*version 0 when not
 * installed; *file NULL then, or when file is NULL), refusing a lower
 * version (rollback) and a bundle signed by another key than the one the
 * course id is bound to or one its rotations lead to. Returns 0 or a status with the reason.
 */
static int check_install(uint64_t *version, char **file, relais_home *home, relais_ctx *ctx,
                         const relais_bundle *b, const char *path)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	const char *signer = relais_bundle_signer(b);
	sqlite3_stmt *st = NULL;
	char *bound = NULL;
	int rc, step;

	*version = 0;
	if (file != NULL) {
		*file = NULL;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT c.version, c.file, p.signer FROM (SELECT ?1 AS id) k "
	                            "LEFT JOIN course c ON c.id = k.id LEFT JOIN "
	                            "course_publisher p ON p.course_id = k.id")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
		goto out;
	}
	*version = (uint64_t)sqlite3_column_int64(st, 0);
	if ((*version > 0 && file != NULL && (*file = relais_db_text(st, 1)) == NULL) ||
	    (sqlite3_column_type(st, 2) != SQLITE_NULL &&
	     (bound = relais_db_text(st, 2)) == NULL)) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	if (bound != NULL && strcmp(bound, signer) != 0 &&
	    (rc = relais_trust_succeeds(home, ctx, bound, signer)) != 0) {
		if (rc < 0) {
			goto out;
		}
		rc = 0; /* the binding follows the key's rotations */
	} else if (bound != NULL && strcmp(bound, signer) != 0) {
		char *owner = publisher_name(home, ctx, bound);
		char *other = publisher_name(home, ctx, signer);
		rc = relais_fail(
		        ctx, RELAIS_ESIGNATURE,
		        "%s: course %s belongs to %s (key %s); this bundle is signed by %s "
		        "(key %s)",
		        path, m->id, owner ? owner : "?", bound, other ? other : "?", signer);
		free(owner);
		free(other);
		goto out;
	}
	if (*version > m->version) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "%s: %s version %llu is older than the installed version %llu "
		                 "(refusing a rollback)",
		                 path, m->id, (unsigned long long)m->version,
		                 (unsigned long long)*version);
	}
out:
	if (rc != 0 && file != NULL) {
		free(*file);
		*file = NULL;
	}
	free(bound);
	sqlite3_finalize(st);
	return rc;
}

int relais_library_install(struct relais_install_result *out, relais_home *home, relais_ctx *ctx,
                           const char *bundle_path)
{
	relais_atomic_file *af = NULL;
	relais_bundle *b = NULL;
	const relais_manifest *m;
	char dest[PATH_LEN], *old_file = NULL;
	uint64_t have = 0;
	size_t swept;
	int rc, placed = 0, in_tx = 0, rotated = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = open_trusted(&b, &rotated, home, ctx, bundle_path)) != 0 ||
	    (rc = relais_bundle_verify_all(ctx, b, 2)) != 0) {
		goto out;
	}
	m = relais_bundle_manifest(b);
	(void)snprintf(out->id, sizeof(out->id), "%s", m->id);
	out->version = m->version;
	/* A first look, so that a refused bundle is not copied for nothing (with
	 * rotations to record, only the look inside the transaction can tell). */
	if (!rotated && (rc = check_install(&have, NULL, home, ctx, b, bundle_path)) != 0) {
		goto out;
	}
	if (have == m->version) {
		out->outcome = RELAIS_UNCHANGED;
		goto out;
	}
	/* What an install killed mid-copy left behind. */
	(void)relais_atomic_sweep(ctx, relais_home_library(home), &swept);
	if (snprintf(dest, sizeof(dest), "%s/%s-%llu.relais", relais_home_library(home), m->id,
	             (unsigned long long)m->version) >= (int)sizeof(dest)) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "library path too long");
		goto out;
	}
	if ((rc = copy_file(&af, ctx, bundle_path, dest)) != 0 ||
	    (rc = relais_db_begin(home, ctx)) != 0) {
		goto out;
	}
	in_tx = 1;
	/* The bundle's rotation records made its key trusted: recorded with the course. */
	if (rotated && (rc = relais_trust_record_rotations(NULL, home, ctx, m->rotations,
	                                                   m->n_rotations, "bundle")) != 0) {
		goto out;
	}
	/* Again under the write lock (BEGIN IMMEDIATE): another install may
	 * have finished meanwhile, and only one of two may win. */
	if ((rc = check_install(&have, &old_file, home, ctx, b, bundle_path)) != 0) {
		goto out;
	}
	if (have == m->version) {
		out->outcome = RELAIS_UNCHANGED;
		goto out;
	}
	/* The copy takes its name now, and the database points at it in the
	 * same transaction, so a crash leaves the old course whole. */
	rc = relais_atomic_commit(af);
	af = NULL;
	if (rc != 0) {
		goto out;
	}
	placed = 1;
	if ((rc = exec_bound(home, ctx,
	                     "INSERT INTO course_publisher(course_id, signer, bound) "
	                     "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) "
	                     "ON CONFLICT(course_id) DO UPDATE SET signer = excluded.signer",
	                     m->id, relais_bundle_signer(b))) != 0 ||
	    (rc = record_course(home, ctx, b, dest)) != 0) {
		goto out;
	}
	in_tx = 0;
	if ((rc = relais_db_commit(home, ctx)) != 0) {
		goto out;
	}
	placed = 0;
	if (old_file != NULL && strcmp(old_file, dest) != 0) {
		unlink(old_file);
	}
	out->outcome = have ? RELAIS_UPGRADED : RELAIS_INSTALLED;
	out->old_version = have;
out:
	if (in_tx) {
		relais_db_rollback(home);
	}
	if (placed) {
		unlink(dest);
	}
	relais_atomic_abort(af);
	free(old_file);
	relais_bundle_free(b);
	return rc;
}

void relais_course_info_clear(struct relais_course_info *c)
{
	free(c->id);
	free(c->title);
	free(c->language);
	free(c->summary);
	free(c->signer);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

void relais_course_info_free(struct relais_course_info *c, size_t n)
{
	size_t i;

	for (i = 0; c && i < n; i++) {
		relais_course_info_clear(&c[i]);
	}
	free(c);
}

#define COURSE_COLUMNS                                                                             \
	"SELECT id, version, title, language, summary, signer, file, estimated_minutes, "          \
	"(SELECT count(*) FROM unit WHERE unit.course_id = course.id), "                           \
	"EXISTS (SELECT 1 FROM revoked_key WHERE revoked_key.id = course.signer) FROM course "

static int fill_course(struct relais_course_info *c, sqlite3_stmt *st)
{
	memset(c, 0, sizeof(*c));
	c->id = relais_db_text(st, 0);
	c->version = (uint64_t)sqlite3_column_int64(st, 1);
	c->title = relais_db_text(st, 2);
	c->language = relais_db_text(st, 3);
	c->summary = relais_db_text(st, 4);
	c->signer = relais_db_text(st, 5);
	c->file = relais_db_text(st, 6);
	c->estimated_minutes = (unsigned)sqlite3_column_int(st, 7);
	c->n_units = (unsigned)sqlite3_column_int(st, 8);
	c->publisher_revoked = sqlite3_column_int(st, 9);
	return c->id && c->title && c->language && c->summary && c->signer && c->file
	               ? 0
	               : RELAIS_ENOMEM;
}

int relais_library_list(struct relais_course_info **out, size_t *n, relais_home *home,
                        relais_ctx *ctx)
{
	struct relais_course_info *list = NULL;
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            COURSE_COLUMNS "ORDER BY title COLLATE NOCASE, id")) != 0) {
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_course_info *c = relais_push(&list, &count, sizeof(*list));
		if (c == NULL || fill_course(c, st) != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
out:
	relais_course_info_free(list, count);
	sqlite3_finalize(st);
	return rc;
}

int relais_library_get(struct relais_course_info *out, relais_home *home, relais_ctx *ctx,
                       const char *course_id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = relais_db_prepare(&st, home, ctx, COURSE_COLUMNS "WHERE id = ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, course_id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		if (fill_course(out, st) != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step == SQLITE_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no course %s is installed", course_id);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "library");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_course_info_clear(out);
	}
	return rc;
}

int relais_library_open(relais_bundle **out, relais_home *home, relais_ctx *ctx,
                        const char *course_id)
{
	uint64_t version = 0;
	char *file = NULL;
	int rc;

	*out = NULL;
	if ((rc = installed(&version, &file, home, ctx, course_id)) != 0) {
		return rc;
	}
	if (version == 0) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "no course %s is installed", course_id);
	}
	rc = open_trusted(out, NULL, home, ctx, file);
	if (rc == 0 && strcmp(relais_bundle_manifest(*out)->id, course_id) != 0) {
		relais_bundle_free(*out);
		*out = NULL;
		rc = relais_fail(ctx, RELAIS_EFORMAT, "%s does not hold course %s", file,
		                 course_id);
	}
	free(file);
	return rc;
}

int relais_library_remove(relais_home *home, relais_ctx *ctx, const char *course_id)
{
	uint64_t version = 0;
	char *file = NULL;
	int rc;

	if ((rc = installed(&version, &file, home, ctx, course_id)) != 0) {
		return rc;
	}
	if (version == 0) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "no course %s is installed", course_id);
	}
	if ((rc = relais_db_begin(home, ctx)) != 0) {
		goto out;
	}
	if ((rc = exec_bound(home, ctx, "DELETE FROM lesson_text WHERE course_id = ?", course_id,
	                     NULL)) != 0 ||
	    (rc = exec_bound(home, ctx, "DELETE FROM progress WHERE course_id = ?", course_id,
	                     NULL)) != 0 ||
	    (rc = exec_bound(home, ctx, "DELETE FROM completion WHERE course_id = ?", course_id,
	                     NULL)) != 0 ||
	    (rc = exec_bound(home, ctx, "DELETE FROM course_publisher WHERE course_id = ?",
	                     course_id, NULL)) != 0 ||
	    (rc = exec_bound(home, ctx, "DELETE FROM course WHERE id = ?", course_id, NULL)) != 0) {
		relais_db_rollback(home);
		goto out;
	}
	if ((rc = relais_db_commit(home, ctx)) != 0) {
		goto out;
	}
	unlink(file);
out:
	free(file);
	return rc;
}

void relais_search_free(struct relais_search_hit *hits, size_t n)
{
	size_t i;

	for (i = 0; hits && i < n; i++) {
		free(hits[i].course_id);
		free(hits[i].course_title);
		free(hits[i].unit_id);
		free(hits[i].unit_title);
		free(hits[i].snippet_html);
	}
	free(hits);
}

/*
 * Turns what a learner typed into an FTS5 query: every word as a quoted
 * prefix, all required. Nothing of FTS5's syntax passes through.
 */
static int fts_query(char *out, size_t size, const char *q)
{
	size_t o = 0;
	int words = 0;

	while (*q) {
		const char *start;
		while (*q && !((unsigned char)*q >= 0x80 || (*q >= '0' && *q <= '9') ||
		               (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))) {
			q++;
		}
		start = q;
		while (*q && ((unsigned char)*q >= 0x80 || (*q >= '0' && *q <= '9') ||
		              (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))) {
			q++;
		}
		if (q > start) {
			int n = snprintf(out + o, size - o, "%s\"%.*s\"*", words ? " " : "",
			                 (int)(q - start), start);
			if (n < 0 || (size_t)n >= size - o) {
				return -1;
			}
			o += (size_t)n;
			words++;
		}
	}
	return words > 0 ? 0 : -1;
}

/* Escapes snippet text; \x01 and \x02 mark the matches. */
static char *snippet_html(const char *s)
{
	struct relais_strbuf b = {0};
	size_t n;

	for (;;) {
		n = strcspn(s, "\x01\x02");
		relais_strbuf_add_htmln(&b, s, n);
		if (s[n] == '\0') {
			break;
		}
		relais_strbuf_add(&b, s[n] == '\x01' ? "<mark>" : "</mark>");
		s += n + 1;
	}
	if (b.rc != 0) {
		relais_strbuf_free(&b);
		return NULL;
	}
	return b.p;
}

int relais_library_search(struct relais_search_hit **out, size_t *n, relais_home *home,
                          relais_ctx *ctx, const char *query, size_t limit)
{
	struct relais_search_hit *hits = NULL;
	sqlite3_stmt *st = NULL;
	char fts[QUERY_MAX * 4];
	size_t count = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if (strlen(query) > QUERY_MAX) {
		return relais_fail(ctx, RELAIS_ELIMIT, "search text longer than %d bytes",
		                   QUERY_MAX);
	}
	if (fts_query(fts, sizeof(fts), query) != 0) {
		return 0; /* nothing searchable: no hits */
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT t.course_id, c.title, t.unit_id, t.title, "
	                            "snippet(lesson_text, 3, char(1), char(2), '…', 16) "
	                            "FROM lesson_text t JOIN course c ON c.id = t.course_id "
	                            "WHERE lesson_text MATCH ? ORDER BY rank LIMIT ?")) != 0) {
		return rc;
	}
	sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_search_hit *h = relais_push(&hits, &count, sizeof(*hits));
		if (h == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		h->course_id = relais_db_text(st, 0);
		h->course_title = relais_db_text(st, 1);
		h->unit_id = relais_db_text(st, 2);
		h->unit_title = relais_db_text(st, 3);
		h->snippet_html = snippet_html((const char *)sqlite3_column_text(st, 4));
		if (!h->course_id || !h->course_title || !h->unit_id || !h->unit_title ||
		    !h->snippet_html) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "search");
		goto out;
	}
	*out = hits;
	*n = count;
	hits = NULL;
out:
	relais_search_free(hits, count);
	sqlite3_finalize(st);
	return rc;
}
