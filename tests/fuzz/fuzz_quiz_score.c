/* fuzz_quiz_score.c: libFuzzer harness: quiz JSON parsed, then fuzzed answer fields scored. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relais/context.h"
#include "relais/error.h"
#include "relais/http.h"
#include "relais/quiz.h"

#define MAX_FIELDS 600 /* as the reader's forms */
#define FIELD_VALUE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input is a quiz JSON document, a NUL byte, then the urlencoded form
 * a learner's browser would send (the reader's own parser splits it). The
 * seeds are a sample course's quiz with the fields of its quiz page.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t json_len = nul != NULL ? (size_t)(nul - data) : size;
	size_t form_len = nul != NULL ? size - json_len - 1 : 0;
	struct relais_http_field *hfields = NULL;
	struct relais_form_field *fields = NULL;
	struct relais_quiz_result result;
	relais_quiz *quiz = NULL;
	relais_ctx *ctx = NULL;
	char *json = NULL, *form = NULL;
	size_t n = 0, i;

	memset(&result, 0, sizeof(result));
	if (relais_ctx_new(&ctx) != 0) {
		return 0;
	}
	/* Exact-size copies, so ASan sees any read past the end. */
	json = malloc(json_len ? json_len : 1);
	form = malloc(form_len ? form_len : 1);
	if (json == NULL || form == NULL) {
		goto out;
	}
	memcpy(json, data, json_len);
	if (form_len > 0) {
		memcpy(form, nul + 1, form_len);
	}
	if (relais_quiz_parse(&quiz, ctx, json, json_len) != 0) {
		goto out;
	}
	if (relais_http_form_parse(&hfields, &n, form, form_len, MAX_FIELDS, FIELD_VALUE_MAX) !=
	    0) {
		goto out;
	}
	if (n > 0 && (fields = calloc(n, sizeof(*fields))) == NULL) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		fields[i].name = hfields[i].name;
		fields[i].value = hfields[i].value;
	}
	if (relais_quiz_score(&result, ctx, quiz, fields, n) == 0) {
		/* The contract: one result per question, scores within their bounds. */
		if (result.n_questions != relais_quiz_count(quiz) || result.scaled < 0 ||
		    result.scaled > 1 + 1e-9 || result.percent < 0 || result.percent > 100 ||
		    result.score < 0 || result.score > result.max + 1e-9) {
			abort();
		}
		for (i = 0; i < result.n_questions; i++) {
			if (result.questions[i].score < 0 || result.questions[i].score > 1 + 1e-9) {
				abort();
			}
		}
	}
out:
	relais_quiz_result_clear(&result);
	free(fields);
	relais_http_fields_free(hfields, n);
	relais_quiz_free(quiz);
	free(form);
	free(json);
	relais_ctx_free(ctx);
	return 0;
}
