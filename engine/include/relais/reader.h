/* reader.h: the local web reader, served on 127.0.0.1 to the laptop's browser. */
#ifndef RELAIS_READER_H
#define RELAIS_READER_H

#include "relais/home.h"

typedef struct relais_reader relais_reader;

/*
 * Sends the records waiting in the outbox of the home at home_path, from a
 * thread of the reader's own, while pages keep being served: the program
 * hands the reader this hook, so the reader knows nothing of sync. It opens
 * what it needs itself; what it achieves shows in the outbox and settings.
 * Returns 0 or a negative status.
 */
typedef int (*relais_reader_send_fn)(void *data, const char *home_path);

struct relais_reader_options {
	unsigned port;                      /* 0: any free port */
	relais_reader_send_fn send_records; /* NULL: the outbox page offers no button */
	void *send_records_data;            /* must outlive a send still running at stop */
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
