/* fuzz_xapi.c: libFuzzer harness for xAPI statement validation (what a hub is sent). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relais/xapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relais_xapi_facts facts;
	relais_ctx *ctx = NULL;
	cJSON *st;
	char *id;

	st = cJSON_ParseWithLength((const char *)data, size);
	if (st == NULL) {
		return 0;
	}
	if (relais_ctx_new(&ctx) != 0) {
		abort();
	}
	if (relais_xapi_check(&facts, ctx, st, "statements[0]") == 0) {
		/* What passes has what the hub indexes. */
		if (facts.actor == NULL || facts.verb == NULL ||
		    (facts.object_kind != RELAIS_XAPI_SUBSTATEMENT && facts.object_id == NULL)) {
			abort();
		}
	} else if (relais_errmsg(ctx)[0] == '\0') {
		abort(); /* every refusal says why */
	}
	relais_xapi_facts_clear(&facts);
	/* The identity of any JSON value is computed without harm. */
	id = relais_xapi_identity(st);
	free(id);
	free(relais_xapi_agent_key(st));
	cJSON_Delete(st);
	relais_ctx_free(ctx);
	return 0;
}
