/* reader_private.h: what the reader's server and its pages share (private). */
#ifndef RELAIS_READER_PRIVATE_H
#define RELAIS_READER_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "html.h"
#include "i18n.h"
#include "relais/bundle.h"
#include "relais/home.h"
#include "relais/quiz.h"

#define SECRET_HEX 33
#define MAX_SESSIONS 32
#define MAX_OPEN_COURSES 32
#define MAX_FIELDS 600

struct session {
	char id[SECRET_HEX];   /* the cookie */
	char csrf[SECRET_HEX]; /* the token every POST carries */
	int64_t profile_id;    /* 0: nobody chosen yet */
	enum lang lang;
	time_t last_used;
};

struct open_course {
	char *id;
	char *file;
	relais_bundle *bundle;
};

/* One request as the pages see it. */
struct request {
	struct relais_reader *reader;
	struct session *session;
	const char *method;
	const char *path;
	const char *query_q; /* ?q= for search */
	struct relais_form_field *fields;
	size_t n_fields;
	/* What the page answers. */
	unsigned status;
	struct html body;
	char *title;              /* page title, escaped on output */
	const char *content_type; /* for raw answers (media) */
	const unsigned char *raw; /* raw answer, borrowed or owned */
	unsigned char *raw_owned;
	size_t raw_len;
	char location[1024]; /* redirect target when status is 303 */
	int media;           /* serve raw with the media security headers */
};

struct relais_reader {
	relais_ctx *ctx;
	relais_home *home;
	struct MHD_Daemon *daemon;
	unsigned port;
	char secret[SECRET_HEX];
	char url[128];
	char host_ip[40], host_name[40], origin_ip[48], origin_name[48];
	struct session sessions[MAX_SESSIONS];
	struct open_course courses[MAX_OPEN_COURSES];
};

/* Fills req with the page for GET/POST req->path (pages.c). */
void pages_route(struct request *req);

/* The value of a submitted form field, or NULL. */
const char *form_value(const struct request *req, const char *name);

/* The bundle of an installed course, opened once and kept. NULL: not installed. */
relais_bundle *reader_course(struct relais_reader *r, const char *course_id);

/* Sets a plain error page. */
void page_error(struct request *req, unsigned status, const char *what);

#endif
