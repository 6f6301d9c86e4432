/* reader.c: a reader's life: start it (server, pages, cache, send job), stop it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "reader_private.h"
#include "relais/cmi5.h"
#include "relais/error.h"
#include "relais/reader.h"

int relais_reader_start(relais_reader **out, relais_ctx *ctx, relais_home *home,
                        const struct relais_reader_options *opt)
{
	unsigned port = opt ? opt->port : 0;
	struct relais_reader *r;
	int rc;

	*out = NULL;
	if (port > 65535) {
		return relais_fail(ctx, RELAIS_EINVAL, "port %u is out of range", port);
	}
	/* cmi5 sessions a reader left open (closed, killed) end now as abandoned. */
	if ((rc = relais_cmi5_abandon(NULL, home, ctx, 0, NULL)) != 0) {
		return rc;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	r->ctx = ctx;
	r->home = home;
	r->sync = calloc(1, sizeof(*r->sync));
	if (r->sync == NULL) {
		free(r);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&r->sync->lock, NULL);
	if (opt != NULL) {
		r->sync->fn = opt->sync;
		r->sync->fn_data = opt->sync_data;
	}
	(void)snprintf(r->sync->home, sizeof(r->sync->home), "%s", relais_home_path(home));
	pthread_mutex_init(&r->lock, NULL);
	r->route = relais_reader_route;
	if ((rc = relais_reader_listen(r, port)) != 0 ||
	    (rc = relais_reader_package_listen(r)) != 0) {
		relais_http_stop(r->server);
		pthread_mutex_destroy(&r->lock);
		pthread_mutex_destroy(&r->sync->lock);
		free(r->sync);
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

const char *relais_reader_url(const relais_reader *r)
{
	return r->url;
}

unsigned relais_reader_port(const relais_reader *r)
{
	return r->port;
}

void relais_reader_stop(relais_reader *r)
{
	if (r == NULL) {
		return;
	}
	relais_http_stop(r->pkg_server);
	relais_http_stop(r->server);
	pthread_mutex_destroy(&r->lock);
	/* A sync still running finishes on its own and frees its job. */
	pthread_mutex_lock(&r->sync->lock);
	r->sync->orphaned = r->sync->state.running;
	pthread_mutex_unlock(&r->sync->lock);
	if (!r->sync->orphaned) {
		pthread_mutex_destroy(&r->sync->lock);
		free(r->sync);
	}
	relais_reader_cache_clear(r);
	sodium_memzero(r->secret, sizeof(r->secret));
	sodium_memzero(r->sessions, sizeof(r->sessions));
	sodium_memzero(r->launches, sizeof(r->launches));
	free(r);
}
