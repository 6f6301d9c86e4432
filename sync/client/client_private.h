/* client_private.h: what the sync client's files share: hub addresses, credentials, curl set-up. */
#ifndef RELAIS_CLIENT_PRIVATE_H
#define RELAIS_CLIENT_PRIVATE_H

#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "relais/home.h"
#include "relais/sync.h"

#define RELAIS_CLIENT_URL_MAX 2048
#define RELAIS_CLIENT_CREDENTIAL_MAX 256

/* Where curl's byte counter adds what it writes and reads. */
struct relais_client_bytes {
	uint64_t *up, *down;
};

/* Checks a credential: bounded, printable, and for the key no ':' (Basic auth splits there). */
int relais_client_check_credential(relais_ctx *ctx, const char *what, const char *v, int is_key);

/*
 * Copies a hub address without trailing slashes into out (RELAIS_CLIENT_URL_MAX
 * bytes, room left for a path of 64 bytes) after checking it; warns when plain
 * http leaves loopback.
 */
int relais_client_check_hub(char *out, relais_ctx *ctx, const char *url);

/* A setting's value, or NULL when unset or empty, in *out. */
int relais_client_remembered(char **out, relais_home *home, relais_ctx *ctx, const char *key);

/*
 * Sets what every request of the client shares on c: http(s) only, Basic
 * credentials, user agent, connect timeout and low-speed limit from o, no
 * signals, keep-alive, errbuf (CURL_ERROR_SIZE bytes), and a counter of
 * the bytes written and read into *count (which must outlive c's requests).
 * Returns 0 or RELAIS_ENOMEM.
 */
int relais_client_curl_setup(CURL *c, relais_ctx *ctx, const struct relais_sync_options *o,
                             const char *key, const char *secret, char *errbuf,
                             struct relais_client_bytes *count);

/* A curl write callback appending to the struct relais_strbuf data (stops at its cap). */
size_t relais_client_to_buffer(char *p, size_t size, size_t nmemb, void *data);

/* Whether the header line p (n bytes) is a non-empty X-Experience-API-Version. */
int relais_client_version_header(const char *p, size_t n);

/* Copies in into out up to the first of stop (or its end), printable ASCII only, cut to fit. */
void relais_client_printable(char *out, size_t size, const char *in, char stop);

/*
 * Fails with RELAIS_EIO and a message naming the status, content type and
 * (for a redirect) the target of c's last reply, which did not come from an
 * xAPI server (a captive portal, a firewall, a wrong address).
 */
int relais_client_not_xapi(relais_ctx *ctx, CURL *c, long http);

/* Where a hub address leads (docs/sync.md, "Finding the LRS"). */
struct relais_client_lrs {
	char base[RELAIS_CLIENT_URL_MAX + 8]; /* the xAPI base: statements at base/statements */
	int gzip;                             /* its about says it takes gzip request bodies */
	int relais_hub; /* a relais hub: courses and laptop keys at the parent of base */
	int remembered; /* read from the setting sync.lrs, not asked in this run */
};

/*
 * Finds the LRS behind hub (checked, without trailing slash): the one in
 * the setting sync.lrs when it was found for hub (unless fresh), else by
 * asking about, GET hub/about then hub/xapi/about on c (set up by
 * relais_client_curl_setup; its URL, method, headers and callbacks are
 * changed), and remembers it. Returns 0; RELAIS_EIO with a message when
 * neither answer describes an xAPI 1.0 LRS or no reply came (*retry says
 * whether trying again may help); other statuses on local failures.
 */
int relais_client_lrs_find(struct relais_client_lrs *out, int *retry, CURL *c, char *errbuf,
                           relais_home *home, relais_ctx *ctx, const char *hub, int fresh);

/* The address of a relais hub: its xAPI base without the final /xapi. */
void relais_client_lrs_root(char *out, size_t size, const struct relais_client_lrs *lrs);

/* Writes lrs, found for hub, to the setting sync.lrs. */
int relais_client_lrs_remember(relais_home *home, relais_ctx *ctx, const char *hub,
                               const struct relais_client_lrs *lrs);

/* Sleeps for seconds, resuming after signals that are handled. */
void relais_client_pause(double seconds);

/* Milliseconds since start on the monotonic clock. */
long relais_client_elapsed_ms(const struct timespec *start);

/*
 * Where courses come from (docs/catalogue.md, "Where the files are"): the
 * hub's /relais/ over HTTP, or a folder.
 */
struct relais_client_source {
	relais_ctx *ctx;
	const struct relais_sync_options *net;
	const char *dir; /* a folder, or NULL */
	char base[RELAIS_CLIENT_URL_MAX + 16];
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct relais_client_bytes count;
	uint64_t *bytes_up, *bytes_down;
	int refused;    /* the hub refused the credentials */
	int not_relais; /* the hub address is an LRS that is not a relais hub: no courses */
	char hub[RELAIS_CLIENT_URL_MAX]; /* the address given (checked), or "" */
};

/* The progress of one file's download: bytes on disk of all. */
typedef void (*relais_client_progress_fn)(void *data, uint64_t done, uint64_t total);

/*
 * Opens the source: the folder dir, else the hub of net (or the remembered
 * one) with its credentials. up/down count HTTP bytes. Returns 0,
 * RELAIS_EINVAL (no hub, bad address or credentials) or RELAIS_ENOMEM.
 */
int relais_client_source_open(struct relais_client_source *src, relais_home *home, relais_ctx *ctx,
                              const struct relais_sync_options *net, const char *dir, uint64_t *up,
                              uint64_t *down);
void relais_client_source_close(struct relais_client_source *src);

/*
 * Fetches a small file (the catalogue, its signature) whole, of at most max
 * bytes (RELAIS_ELIMIT beyond): *out malloc'd and NUL-terminated. Over HTTP
 * with If-None-Match: etag_in when not NULL; *not_modified is set on 304
 * (and *out NULL); *etag_out (when not NULL) gets the reply's ETag, malloc'd,
 * "" when none. RELAIS_ENOTFOUND when the source has no such file.
 */
int relais_client_fetch_small(char **out, size_t *len, char **etag_out, int *not_modified,
                              struct relais_client_source *src, const char *rel,
                              const char *etag_in, size_t max);

/*
 * Brings the part file at path to the size bytes of rel, resuming from what
 * it holds (Range and If-Range with the strong ETag "<sha256>"; a 200 reply
 * starts it again), never taking more than size bytes. Returns 0 when the
 * file holds size bytes (its hash is the caller's to check); otherwise a
 * status with a message, and *keep says whether the part is worth resuming
 * (the network cut) or must go (a full disk, more bytes than announced, a
 * refusal).
 */
int relais_client_fetch_file(int *keep, struct relais_client_source *src, const char *rel,
                             const char *path, uint64_t size, const char *sha256,
                             relais_client_progress_fn progress, void *progress_data);

/*
 * Brings the certificates of this laptop's learners from the hub
 * (/relais/certificates) and stores each one a trusted hub key signed; one
 * that is not is refused (logged, counted in *refused) and the others kept.
 * A hub without certificates is not an error. Returns 0 or a status.
 */
int relais_client_certificates(size_t *stored, size_t *refused, struct relais_client_source *src,
                               relais_home *home, relais_ctx *ctx);

#endif
