/* fuzz_hub_post.c: libFuzzer harness for the hub's statements POST: JSON and gzip bodies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relais/gzip.h"
#include "relais/hub.h"

/*
 * The first byte chooses the path: even, the rest is a JSON body; odd, a
 * gzip body, inflated under the server's limit as the server does. Both go
 * to relais_hub_post on an in-memory hub, which keeps what it accepts.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static relais_ctx *ctx;
	static relais_hub *hub;
	struct relais_hub_reply reply = {0};
	const char *body = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	char *inflated = NULL;
	/* A laptop's credential, as the server would pass after checking it. */
	static const struct relais_hub_credential who = {
	        .key = "00000000000000000000000000000000",
	        .name = "fuzz laptop",
	        .scopes = RELAIS_HUB_SCOPES_LAPTOP,
	};

	if (hub == NULL && (sodium_init() < 0 || relais_ctx_new(&ctx) != 0 ||
	                    relais_hub_open(&hub, ctx, ":memory:") != 0)) {
		abort();
	}
	if (size == 0 || len > RELAIS_HUB_BODY_MAX) {
		return 0;
	}
	if (data[0] & 1) {
		if (relais_gunzip(&inflated, &len, body, len, RELAIS_HUB_INFLATED_MAX) != 0) {
			return 0;
		}
		body = inflated;
	}
	if (relais_hub_post(&reply, hub, ctx, body, len, &who) == 0) {
		/* Every answer is a status the server sends, with a JSON body. */
		if ((reply.status != 200 && reply.status != 400 && reply.status != 403 &&
		     reply.status != 409 && reply.status != 413) ||
		    reply.body == NULL || (reply.body[0] != '[' && reply.body[0] != '{')) {
			abort();
		}
	}
	relais_hub_reply_clear(&reply);
	free(inflated);
	return 0;
}
