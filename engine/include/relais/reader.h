/* reader.h: the local web reader, served on 127.0.0.1 to the laptop's browser. */
#ifndef RELAIS_READER_H
#define RELAIS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"

typedef struct relais_reader relais_reader;

/* What a sync started from the reader brings: records up, courses down, or both. */
#define RELAIS_READER_SYNC_RECORDS 1u
#define RELAIS_READER_SYNC_COURSES 2u

/*
 * Called by the hook as a course download goes: the bytes of it on disk so
 * far of all it has (the signature of relais_courses_progress_fn).
 */
typedef void (*relais_reader_progress_fn)(void *data, const char *course_id, uint64_t version,
                                          uint64_t done, uint64_t total);

/*
 * Runs one sync of the home at home_path (what: RELAIS_READER_SYNC_*), from
 * a thread of the reader's own, while pages keep being served: the program
 * hands the reader this hook, so the reader knows nothing of sync. It opens
 * what it needs itself, reports downloads through progress(progress_data,
 * ...), and on failure leaves one line for the learner in errmsg (errmsg_size
 * bytes, NUL-terminated). What it achieves shows in the outbox, the library
 * and the settings. Returns 0 or a negative status.
 */
typedef int (*relais_reader_sync_fn)(void *data, const char *home_path, unsigned what,
                                     relais_reader_progress_fn progress, void *progress_data,
                                     char *errmsg, size_t errmsg_size);

struct relais_reader_options {
	unsigned port;              /* 0: any free port */
	relais_reader_sync_fn sync; /* NULL: the outbox and Updates pages offer no button */
	void *sync_data;            /* must outlive a sync still running at stop */
};

/*
 * Starts serving home's library on 127.0.0.1 (opt may be NULL: any free port) in a
 * thread of its own. Only requests that carry this launch's secret (in the
 * address from relais_reader_url(), then a session cookie) and the right
 * Host header are served; state changes are POSTs with a session token.
 * The reader uses home from its thread until stopped: the caller must not
 * use home meanwhile. Returns 0 or a negative status.
 */
int relais_reader_start(relais_reader **out, relais_ctx *ctx, relais_home *home,
                        const struct relais_reader_options *opt);

/* The address to open, with the launch secret; borrowed until stop. */
const char *relais_reader_url(const relais_reader *reader);

/* The port it listens on. */
unsigned relais_reader_port(const relais_reader *reader);

/* Stops serving and frees the reader; accepts NULL. */
void relais_reader_stop(relais_reader *reader);

#endif
