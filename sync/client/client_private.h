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
	int refused; /* the hub refused the credentials */
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
