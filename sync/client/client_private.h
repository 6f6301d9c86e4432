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

#endif
