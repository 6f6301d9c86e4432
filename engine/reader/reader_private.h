/* reader_private.h: what the reader's files share: server, cache, frame, pages (private). */
#ifndef RELAIS_READER_PRIVATE_H
#define RELAIS_READER_PRIVATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "relais/strbuf.h"
#include "i18n.h"
#include "relais/bundle.h"
#include "relais/home.h"
#include "relais/http.h"
#include "relais/manifest.h"
#include "relais/quiz.h"
#include "relais/reader.h"

#define SECRET_HEX 33
#define MAX_SESSIONS 32
#define MAX_OPEN_COURSES 32
#define MAX_LAUNCHES 16 /* package launches served at once; the oldest goes first */
#define MAX_FIELDS 600
#define CACHE_MAX (2u * 1024 * 1024)  /* unit pages' entries kept in memory */
#define CACHE_ENTRY_MAX (256u * 1024) /* larger ones are read each time */

struct session {
	char id[SECRET_HEX];   /* the cookie */
	char csrf[SECRET_HEX]; /* the token every POST carries */
	int64_t profile_id;    /* 0: nobody chosen yet */
	enum lang lang;
	time_t last_used;
};

/* A lesson's HTML or a quiz's JSON, already read and checked, kept for the next request. */
struct cached_entry {
	char *path;
	unsigned char *data;
	size_t len;
};

struct open_course {
	char *id;
	char *file;
	relais_bundle *bundle;
	time_t checked;          /* when the library was last asked for this course's file */
	unsigned char *verified; /* a bit per manifest entry: checked against its SHA-256 */
	struct cached_entry *cache;
	size_t n_cache;
};

/* One request as the pages see it. */
struct request {
	struct relais_reader *reader;
	struct session *session;
	const char *method;
	const char *path;
	const char *query_q;    /* ?q= for search */
	const char *query_item; /* ?item= on a package's page: the SCO to launch */
	const char *host;       /* the Host header (checked already) */
	struct relais_form_field *fields;
	size_t n_fields;
	/* What the page answers. */
	unsigned status;
	struct relais_strbuf body;
	char *title;              /* page title, escaped on output */
	const char *content_type; /* of the entry sent as stored (media) */
	/* A course entry sent as stored in the bundle (media): checked already. */
	const relais_bundle *entry_bundle; /* NULL: none */
	const char *entry_path;
	struct relais_bundle_span entry;
	char location[1024];  /* redirect target when status is 303 */
	unsigned refresh;     /* >0: the page reloads itself after this many seconds */
	char frame_src[64];   /* the package origin the page frames; "" none */
	char attachment[160]; /* body sent as a text/calendar file of this name; "" none */
};

/* Where a sync started from the reader stands, as the pages show it. */
struct sync_state {
	int running;      /* a sync thread is working */
	unsigned what;    /* RELAIS_READER_SYNC_* of the run going on or last ended */
	int ended;        /* a run ended since the reader started */
	int status;       /* of the last run ended: 0 or a negative status */
	char error[256];  /* its message when it failed */
	char course[128]; /* the course downloading now; "" when none */
	uint64_t version, done, total;
};

/* A sync started from the outbox or Updates page; shared with its thread. */
struct sync_job {
	pthread_mutex_t lock;
	struct sync_state state;
	int orphaned;             /* the reader stopped: the thread frees this */
	relais_reader_sync_fn fn; /* the program's hook; NULL: syncing is not offered */
	void *fn_data;
	char home[4096];
};

/*
 * One launch of a SCORM package's SCO or a cmi5 AU (packagepage.c): the package origin
 * serves it, its files and its commits only under its secret.
 */
struct launch {
	char secret[SECRET_HEX]; /* "": free */
	int64_t profile_id;
	char course_id[RELAIS_ID_MAX + 1];
	char unit_id[RELAIS_ID_MAX + 1];
	size_t item; /* in the package's first organisation */
	time_t last_used;
	/* cmi5 (docs/reader.md, "cmi5"): the AU's session, its one-time fetch
	 * and the token that fetch hands out; "" when not cmi5. */
	char session_id[37];
	char token[SECRET_HEX];
	int fetched;
	enum lang lang;
};

/* Fills req with the page for GET/POST req->path. */
typedef void (*relais_reader_route_fn)(struct request *req);

struct relais_reader {
	relais_reader_route_fn route; /* the pages (pages.c): the server knows no page */
	struct sync_job *sync;
	pthread_mutex_t lock; /* held while a request is answered */
	relais_ctx *ctx;
	relais_home *home;
	relais_http_server *server;
	unsigned port;
	char secret[SECRET_HEX];
	char url[128];
	char host_ip[40], host_name[40], origin_ip[48], origin_name[48];
	struct session sessions[MAX_SESSIONS];
	struct open_course courses[MAX_OPEN_COURSES];
	/* The package origin (pkgserver.c): a second port, its own origin. */
	relais_http_server *pkg_server;
	unsigned pkg_port;
	char pkg_host_ip[40], pkg_host_name[40], pkg_origin_ip[48], pkg_origin_name[48];
	struct launch launches[MAX_LAUNCHES];
	size_t cache_bytes;  /* over every course, at most CACHE_MAX */
	unsigned char *lent; /* an entry too big to keep, freed on the next read */
};

/* pages.c: fills req with the page for GET/POST req->path. */
void relais_reader_route(struct request *req);

/* server.c: listens on 127.0.0.1:port (0: any) and fills r's port, url and names. */
int relais_reader_listen(struct relais_reader *r, unsigned port);

/* server.c: an answer with a CSP, cookie and redirect when not NULL. */
relais_http_response *relais_reader_respond(unsigned status, const char *type, const void *data,
                                            size_t len, enum relais_http_mem mode, const char *csp,
                                            const char *cookie, const char *location);

/* server.c: a short refusal in plain text. */
relais_http_response *relais_reader_refuse(unsigned status, const char *why);

/*
 * server.c: NULL when hreq's method is GET, HEAD or POST (PUT and DELETE
 * too when documents: the package origin's xAPI endpoint) and its
 * Content-Length at most body_max (then the body is held to it), else the
 * refusal (405, or 413 saying too_large).
 */
relais_http_response *relais_reader_admit(relais_http_request *hreq, size_t body_max,
                                          const char *too_large, int documents);

/* server.c: req's checked course entry (req->entry), with csp. */
relais_http_response *relais_reader_send_entry(struct relais_reader *r, const struct request *req,
                                               relais_http_request *hreq, const char *csp);

/* pages.c: the Content-Type of a course's media entry (no markup, no script). */
const char *relais_reader_media_type(const char *path);

/* pkgserver.c: the package origin on another loopback port; stop it with relais_http_stop(). */
int relais_reader_package_listen(struct relais_reader *r);

/*
 * packagepage.c: the page of package unit i (SCORM or cmi5): a new launch
 * framed from the package origin.
 */
void relais_reader_page_package(struct request *req, const char *course_id, relais_bundle *b,
                                size_t i);

/* sessionpage.c: a course's upcoming sessions as a <section> with an <hN> heading. */
void relais_reader_sessions(struct request *req, const char *course_id, const relais_manifest *m,
                            int heading);

/*
 * sessionpage.c: a session's start or end (local, in its zone; ms its UTC
 * time, -1 when unknown) as a <time> in this laptop's zone.
 */
void relais_reader_session_when(struct request *req, const struct relais_session *s,
                                const char *local, long long ms);

/*
 * attendpage.c: a trainer's roster for session SESSION of the course
 * (GET), and its saving (POST): /c/<course>/attendance/<session>.
 */
void relais_reader_page_attendance(struct request *req, const char *course_id,
                                   const relais_manifest *m, const char *session_id, int post);

/* sessionpage.c: "SESSION.ics" into req->body (req->attachment set); 0 when no such session. */
int relais_reader_session_ics(struct request *req, const char *course_id, const relais_manifest *m,
                              const char *file);

/* packagepage.c: the launch of a secret, or NULL. */
struct launch *relais_reader_launch(struct relais_reader *r, const char *secret);

/* frame.c: the page req built, inside layout.html (malloc'd), or NULL: out of memory. */
char *relais_reader_frame(const struct request *req, size_t *len);

/* cache.c: closes every open course and drops what was kept. */
void relais_reader_cache_clear(struct relais_reader *r);

/* The value of a submitted form field, or NULL. */
const char *relais_reader_form_value(const struct request *req, const char *name);

/* The bundle of an installed course, opened once and kept. NULL: not installed. */
relais_bundle *relais_reader_course(struct relais_reader *r, const char *course_id);

/* What relais_reader_entry() makes of an entry before keeping it. */
enum relais_reader_entry_kind {
	RELAIS_READER_AS_STORED, /* the bytes as the bundle holds them */
	RELAIS_READER_LESSON,    /* relais_html_sanitize() */
	RELAIS_READER_QUIZ,      /* relais_html_sanitize_quiz(): every HTML fragment cleaned */
};

/*
 * An entry of an installed course (a unit's page), read and checked against
 * its hash the first time, then by its CRC-32, and kept within CACHE_MAX.
 * A lesson or a quiz is kept as the allow-list (relais/html.h) left it, so
 * nothing in it can reach the reader's own markup. *data is borrowed until
 * the next call of relais_reader_course(). Returns 0 or the status of
 * relais_bundle_read() or of the cleaning.
 */
int relais_reader_entry(struct relais_reader *r, const char *course_id, const char *path,
                        enum relais_reader_entry_kind kind, const unsigned char **data,
                        size_t *len);

/*
 * Where an entry of an open course lies in its file, for sending as stored.
 * Checks the whole entry against its SHA-256 the first time (streaming),
 * and again after the file changed. *bundle is borrowed like the course's.
 */
int relais_reader_entry_span(struct relais_reader *r, const char *course_id, const char *path,
                             struct relais_bundle_span *span, const relais_bundle **bundle);

/*
 * Starts a sync (what: RELAIS_READER_SYNC_*) in a thread of its own, with
 * its own database connection, so pages keep being served. Returns 0, or 1
 * when a sync is already running, or a negative status.
 */
int relais_reader_sync_start(struct relais_reader *r, unsigned what);

/* Where the sync started from the reader stands (a copy). */
void relais_reader_sync_state(struct relais_reader *r, struct sync_state *out);

/* pages.c: appends <input type=hidden name=token>: every form carries the session's token. */
void relais_reader_token_field(struct request *req);

/* updatespage.c: GET /updates, what the hub offers and how a sync goes; POST /updates/check. */
void relais_reader_page_updates(struct request *req);
void relais_reader_post_updates(struct request *req);

/* Sets a plain error page. */
void relais_reader_page_error(struct request *req, unsigned status, const char *what);

/* Sets the page's title (escaped on output). */
void relais_reader_set_title(struct request *req, const char *title);

/*
 * The certificates pages (certpage.c) of the learner studying: the list
 * when rest is "", else the printable certificate "KEYID-ID" (404 when it
 * is not theirs).
 */
void relais_reader_page_certificates(struct request *req, const char *rest);

#endif
