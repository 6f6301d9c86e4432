/* context.c: error messages and log routing carried on a relais_ctx. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relais/context.h"
#include "relais/error.h"

#define ERRMSG_MAX 512

struct relais_ctx {
	int status;
	char msg[ERRMSG_MAX];
	relais_log_fn log;
	void *log_data;
};

int relais_ctx_new(relais_ctx **out)
{
	relais_ctx *ctx = calloc(1, sizeof(*ctx));

	*out = NULL;
	if (ctx == NULL) {
		return RELAIS_ENOMEM;
	}
	*out = ctx;
	return 0;
}

void relais_ctx_free(relais_ctx *ctx)
{
	free(ctx);
}

const char *relais_errmsg(const relais_ctx *ctx)
{
	if (ctx == NULL) {
		return "out of memory";
	}
	if (ctx->msg[0] == '\0') {
		return ctx->status ? relais_strerror(ctx->status) : "no error";
	}
	return ctx->msg;
}

int relais_errcode(const relais_ctx *ctx)
{
	return ctx ? ctx->status : RELAIS_ENOMEM;
}

void relais_ctx_set_log(relais_ctx *ctx, relais_log_fn fn, void *data)
{
	ctx->log = fn;
	ctx->log_data = data;
}

int relais_fail(relais_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	if (ctx == NULL) {
		return status;
	}
	ctx->status = status;
	va_start(ap, fmt);
	/* Truncation is acceptable here: the message is for people, and is
	 * still one line when cut. */
	(void)vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	/* Keep the message on one line whatever the input was. */
	while ((nl = strpbrk(ctx->msg, "\r\n")) != NULL) {
		*nl = ' ';
	}
	return status;
}

int relais_prefix(relais_ctx *ctx, const char *fmt, ...)
{
	char prefix[ERRMSG_MAX], old[ERRMSG_MAX];
	va_list ap;

	if (ctx == NULL) {
		return RELAIS_ENOMEM;
	}
	va_start(ap, fmt);
	(void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	(void)snprintf(old, sizeof(old), "%s", relais_errmsg(ctx));
	return relais_fail(ctx, ctx->status, "%s: %s", prefix, old);
}

void relais_clear(relais_ctx *ctx)
{
	ctx->status = 0;
	ctx->msg[0] = '\0';
}

void relais_log(relais_ctx *ctx, int level, const char *fmt, ...)
{
	char line[ERRMSG_MAX];
	va_list ap;

	if (ctx == NULL || ctx->log == NULL) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ctx->log(ctx->log_data, level, line);
}
