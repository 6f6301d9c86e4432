/* fuzz_catalogue.c: libFuzzer harness for catalogue.json parsing, cohorts included. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relais/catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relais_catalogue *cat = NULL, *again = NULL;
	relais_ctx *ctx = NULL;
	char *json = NULL, *json2 = NULL;
	size_t len = 0, len2 = 0, i;

	if (relais_ctx_new(&ctx) != 0) {
		return 0;
	}
	if (relais_catalogue_parse(&cat, ctx, (const char *)data, size, "fuzz") == 0) {
		/* Every course's requirement for a learner in and out of each cohort. */
		for (i = 0; i < cat->n_courses; i++) {
			const char *due = NULL;
			(void)relais_catalogue_required_of(&due, cat, &cat->courses[i],
			                                   "aicha@example.org", "MAE");
			(void)relais_catalogue_required_of(&due, cat, &cat->courses[i], NULL, NULL);
		}
		/* What parses must write, parse again and write the same bytes. */
		if (relais_catalogue_write(&json, &len, ctx, cat) == 0) {
			if (relais_catalogue_parse(&again, ctx, json, len, "again") != 0 ||
			    relais_catalogue_write(&json2, &len2, ctx, again) != 0 || len2 != len ||
			    memcmp(json, json2, len) != 0) {
				abort();
			}
		}
	}
	free(json2);
	free(json);
	relais_catalogue_free(again);
	relais_catalogue_free(cat);
	relais_ctx_free(ctx);
	return 0;
}
