/* publish.h: the hub's publishing side: its catalogue key, publishers, bundles, deltas and the
 * signed catalogue (docs/catalogue.md, docs/hub.md "Publishing courses"). */
#ifndef RELAIS_PUBLISH_H
#define RELAIS_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "relais/context.h"
#include "relais/hub.h"
#include "relais/key.h"

#define RELAIS_HUB_CATALOGUE_DAYS 30 /* a catalogue's life unless set otherwise */
#define RELAIS_HUB_DELTA_BASES 3     /* previous versions a new one gets deltas from */

/*
 * Makes the hub's catalogue key (or takes the one in the minisign secret
 * key file secret_key_path, asking ask for its password when encrypted),
 * keeps it in the database (made 0600) and signs a catalogue with it.
 * *pub_text (malloc'd) is its .pub file text. An existing key is replaced
 * only with replace (RELAIS_EEXIST otherwise). Returns 0 or a status.
 */
int relais_hub_key_make(char **pub_text, relais_hub *hub, relais_ctx *ctx,
                        const char *secret_key_path, relais_password_fn ask, void *ask_data,
                        int replace);

/* The catalogue key's .pub file text (*out, malloc'd); RELAIS_ENOTFOUND when there is none. */
int relais_hub_key_public(char **out, relais_hub *hub, relais_ctx *ctx);

/*
 * Adds a publisher key (minisign .pub text or its base64 line) named name
 * (NULL: its key id). Returns 0, RELAIS_EFORMAT, RELAIS_EEXIST (already a
 * publisher), RELAIS_EINVAL (it is the hub's own key).
 */
int relais_hub_publisher_add(char id[RELAIS_KEYID_HEX], relais_hub *hub, relais_ctx *ctx,
                             const char *pub_text, size_t len, const char *name);

/*
 * The publishers as text for people (*out, malloc'd): "KEYID  NAME  (N
 * courses ...)" lines, then "OLD -> NEW  key rotation ..." and "KEYID  NAME
 * REVOKED DATE: REASON  (...)" lines.
 */
int relais_hub_publisher_list(char **out, relais_hub *hub, relais_ctx *ctx);

/*
 * Removes a publisher. Returns 0, RELAIS_ENOTFOUND, or RELAIS_EINVAL while
 * the catalogue lists courses it signed (unpublish them first).
 */
int relais_hub_publisher_remove(relais_hub *hub, relais_ctx *ctx, const char *key_id);

/*
 * Takes a key rotation record (relais key rotate; json, len: its bytes,
 * source names them in messages): its old key must be a publisher of this
 * hub and have signed it. Adds the new key as a publisher named name
 * (NULL: the old key's name) unless it already is one, keeps the record
 * (the catalogue carries it from then on) and lets the new key publish
 * the course ids bound to the old one. Sets old_id and new_id. Returns 0,
 * RELAIS_EFORMAT or RELAIS_ELIMIT (not a record), RELAIS_ENOTFOUND (the
 * old key is not a publisher), RELAIS_ESIGNATURE (not signed by it),
 * RELAIS_EINVAL (the new key is the catalogue key, or revoked),
 * RELAIS_EEXIST (already taken). Nothing changes on failure.
 */
int relais_hub_publisher_rotate(char old_id[RELAIS_KEYID_HEX], char new_id[RELAIS_KEYID_HEX],
                                relais_hub *hub, relais_ctx *ctx, const char *json, size_t len,
                                const char *source, const char *name);

/*
 * Revokes publisher key key_id (reason: one line, may be NULL): listed in
 * the catalogue's revoked keys from now on, no longer a publisher, no
 * longer a link of a rotation chain; the courses it signed stay listed
 * (*listed of them). For good: a revoked key is never a publisher again.
 * Returns 0, RELAIS_EINVAL (not a key id, bad reason), RELAIS_ENOTFOUND
 * (no publisher, course or rotation of this hub names it), RELAIS_EEXIST
 * (already revoked), RELAIS_ELIMIT.
 */
int relais_hub_publisher_revoke(size_t *listed, relais_hub *hub, relais_ctx *ctx,
                                const char *key_id, const char *reason);

/* Who a publication is for (docs/catalogue.md, "audience", "required", "due"). */
struct relais_hub_audience {
	const char *const *orgs; /* none: everyone */
	size_t n_orgs;
	int required;
	const char *due; /* YYYY-MM-DD or NULL */
};

/*
 * Publishes the bundles at paths, all or none: each verified with its
 * publisher's key (signature and every entry), newer than every version of
 * its course id this hub published, its id not published under another
 * key; stored under <db>.d/bundles/<sha256>.relais, with deltas from up to
 * RELAIS_HUB_DELTA_BASES previous versions (a delta that cannot be built is
 * logged and left out). Signs the new catalogue; *serial is its serial.
 * Returns 0, RELAIS_ENOTFOUND (no catalogue key, a missing file),
 * RELAIS_ESIGNATURE (unknown publisher, bad signature), RELAIS_EHASH,
 * RELAIS_EFORMAT, RELAIS_EEXIST (not newer), RELAIS_EINVAL, RELAIS_EIO.
 */
int relais_hub_publish(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *const *paths,
                       size_t n, const struct relais_hub_audience *aud);

/*
 * Live sessions the hub schedules (docs/hub.md, "Sessions"). set adds s
 * (adding: RELAIS_EEXIST when the course has one of that id) or replaces it
 * (its course and id name it), after relais_session_check() against the
 * course's current bundle (the message names the field: "session K: end
 * ..."), and signs a new catalogue (*serial). RELAIS_ENOTFOUND when the
 * course is not published. get reads one (RELAIS_ENOTFOUND: none); list
 * writes one line per session of course (NULL: every course).
 */
struct relais_session;
int relais_hub_session_set(uint64_t *serial, relais_hub *hub, relais_ctx *ctx,
                           const struct relais_session *s, int adding);
int relais_hub_session_get(struct relais_session *out, relais_hub *hub, relais_ctx *ctx,
                           const char *course, const char *id);
int relais_hub_session_list(char **out, relais_hub *hub, relais_ctx *ctx, const char *course);

/* Takes course id out of the catalogue (its files stay until prune). RELAIS_ENOTFOUND if not
 * listed. */
int relais_hub_unpublish(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *id);

/*
 * Removes the files the catalogue no longer names: bundles of withdrawn
 * courses, bundles older than the RELAIS_HUB_DELTA_BASES versions before a
 * listed one, deltas not listed. Sets *removed.
 */
int relais_hub_prune(size_t *removed, relais_hub *hub, relais_ctx *ctx);

/* Sets how many days (2 to 3650) a catalogue lives, and re-signs it. */
int relais_hub_catalogue_days_set(uint64_t *serial, relais_hub *hub, relais_ctx *ctx,
                                  unsigned days);

/* The catalogue as served. */
struct relais_hub_catalogue_file {
	char *body; /* catalogue.json or its .minisig, malloc'd */
	size_t len;
	char etag[65]; /* SHA-256 of body, hex */
	uint64_t serial;
};

/*
 * The current catalogue (signature when want_signature), re-signed first
 * with a new serial when it expires within a day. Returns 0,
 * RELAIS_ENOTFOUND (no catalogue yet: no key), or a status.
 */
int relais_hub_catalogue_get(struct relais_hub_catalogue_file *out, relais_hub *hub,
                             relais_ctx *ctx, int want_signature);
void relais_hub_catalogue_file_clear(struct relais_hub_catalogue_file *f);

/*
 * The file that serves bundles/<name>.relais or deltas/<name>.delta: name
 * is strictly 64 hex digits, or two joined by '-' for a delta. Sets path
 * and etag (the file's SHA-256). Returns 0, RELAIS_ENOTFOUND, or the
 * database's failure when a delta's entry cannot be read (a server answers
 * it 503 or 500, not 404, which would send a laptop to the whole bundle).
 */
int relais_hub_published_file(char *path, size_t path_size, char etag[65], relais_hub *hub,
                              relais_ctx *ctx, int delta, const char *name);

/*
 * Writes catalogue.json, its .minisig, bundles/ and deltas/ of what the
 * catalogue lists into dir (each file atomically; an identical one is
 * kept; the catalogue last). Sets *written and *kept (files).
 */
int relais_hub_export_catalogue(size_t *written, size_t *kept, relais_hub *hub, relais_ctx *ctx,
                                const char *dir);

#endif
