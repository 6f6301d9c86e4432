/* sync.h: send the outbox to a hub, over the worst links; or export it for a USB stick. */
#ifndef RELAIS_SYNC_H
#define RELAIS_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"

/* Initialises the HTTP library once per process (call from main()). */
int relais_sync_global_init(void);
void relais_sync_global_cleanup(void);

/*
 * Called after each batch the hub answered: statements dealt with so far in
 * this run (acknowledged or set aside), of all there were to send (total
 * grows if the reader records more meanwhile), HTTP bytes sent so far.
 */
typedef void (*relais_sync_progress_fn)(void *data, size_t sent, size_t total, uint64_t bytes_up);

struct relais_sync_options {
	const char *hub_url; /* e.g. https://hub.example.org; NULL: the remembered one */
	const char *key;     /* HTTP Basic credentials made by relais-hub credentials add */
	const char *secret;
	size_t batch_size;      /* statements per request; 0: 100 */
	long connect_timeout_s; /* 0: 15 */
	long low_speed_bytes;   /* abort when slower than this ... 0: 16 */
	long low_speed_time_s;  /* ... for this long; 0: 60 */
	long deadline_base_s;   /* a request may take this long ... 0: 30 */
	long floor_bytes_per_s; /* ... plus its bytes and its reply's at this speed; 0: 1000 */
	int max_attempts;       /* tries per batch before giving up this run; 0: 8 */
	double backoff_base_s;  /* first retry delay ceiling; 0: 1 */
	double backoff_max_s;   /* 0: 60 */
	relais_sync_progress_fn progress;
	void *progress_data;
};

struct relais_sync_report {
	size_t sent;      /* acknowledged by the hub in this run */
	size_t left;      /* still pending afterwards */
	size_t set_aside; /* refused in an xAPI reply as invalid in this run */
	/* HTTP bytes as written and read (headers and bodies, the reply before
	 * decoding), tries that failed included; not TLS or TCP/IP overhead. */
	uint64_t bytes_up, bytes_down;
	int reached_hub;    /* at least one reply came back */
	int not_relais_hub; /* the address is an LRS but not a relais hub: no courses there */
};

/*
 * Sends every pending statement of the outbox to the hub (a relais hub, or any
 * xAPI LRS, told apart by its about resource), in batches over one kept-alive
 * connection, gzip-compressed only when the LRS's about says it takes gzip,
 * marking each batch sent only after the hub's success reply. Transient failures are retried with
 * exponential backoff and full jitter; a batch the hub refuses as invalid (400) is split until the
 * bad statement is found, which is set aside, but only on an xAPI reply (the
 * X-Experience-API-Version header and a JSON body): any other reply (a captive portal's page, a
 * redirect) ends the run and leaves the batch pending. Every request has a deadline scaled to its
 * size. Hub URL and credentials given in opt are remembered in the home's settings. The protocol,
 * normative, is docs/sync.md. Fills *out in every case. Returns 0 when nothing is left to send,
 * except what was set aside (the caller tells the learner: out->set_aside); RELAIS_EIO when the hub
 * could not be reached, kept failing, was too slow, or answered unexpectedly or not as an xAPI
 * server (trying again later may help; the report says how far it got); RELAIS_EINVAL when there is
 * no hub, an unusable address or credentials, or the hub refused the credentials (trying again
 * cannot help); other statuses on local failures.
 */
int relais_sync_run(struct relais_sync_report *out, relais_home *home, relais_ctx *ctx,
                    const struct relais_sync_options *opt);

/*
 * Courses down (docs/catalogue.md, "What a laptop does"): called as a
 * download goes, with the bytes of it on disk so far (a resumed one starts
 * where it stopped) of all it has.
 */
typedef void (*relais_courses_progress_fn)(void *data, const char *course_id, uint64_t version,
                                           uint64_t done, uint64_t total);

struct relais_courses_options {
	/* The hub, credentials, timeouts and tries per download (max_attempts,
	 * 0: 3), as for records; NULL members: the remembered ones. */
	const struct relais_sync_options *net;
	const char *from_dir; /* a folder (relais-hub export-catalogue) instead of the hub */
	relais_courses_progress_fn progress;
	void *progress_data;
};

struct relais_courses_report {
	size_t installed, updated; /* new courses, newer versions */
	size_t failed;             /* chosen but not installed (the status says why) */
	size_t skipped;            /* their publisher's key is not trusted, or revoked */
	size_t keys_rotated;       /* publisher keys newly trusted by the catalogue's rotations */
	size_t keys_revoked;       /* trusted publisher keys the catalogue newly revoked */
	uint64_t bytes_up, bytes_down; /* HTTP bytes as for records; 0 from a folder */
	uint64_t serial;               /* of the catalogue used; 0: none */
	int unchanged;                 /* the hub answered 304: the catalogue was the last one */
	int expired;                   /* the catalogue used has expired (a warning was logged) */
	int no_hub_key;                /* no hub key is trusted: nothing was done */
	int not_offered;             /* the hub is an LRS but not a relais hub: nothing was done */
	size_t certificates;         /* certificates received (new or updated) */
	size_t certificates_refused; /* not signed by a trusted hub key: not kept */
};

/*
 * Brings the courses up to date from the hub, or from opt->from_dir: fetches
 * the catalogue when it changed, checks it against the trusted hub keys
 * (refusing one by another key, malformed, over 4 MiB, or rolled back),
 * applies its key rotations and revocations to the trust store
 * (relais_trust_apply_catalogue(), each logged),
 * chooses the courses for this laptop's learners and their updates, and
 * downloads each (a delta when one applies to the installed bundle, else the
 * whole bundle, resuming a cut download), checks its SHA-256 against the
 * catalogue and installs it as relais_library_install() does. Each chosen
 * course's failure leaves its installed version as it was. Does nothing
 * (out->no_hub_key) when no hub key is trusted. Fills *out in every case.
 * Returns 0 when every chosen course was installed or skipped; the status
 * of the first failure (its message naming the course) otherwise, or of the
 * catalogue's refusal.
 */
int relais_sync_courses(struct relais_courses_report *out, relais_home *home, relais_ctx *ctx,
                        const struct relais_courses_options *opt);

#endif
