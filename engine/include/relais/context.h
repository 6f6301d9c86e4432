/* context.h: the handle that carries error messages and logging. */
#ifndef RELAIS_CONTEXT_H
#define RELAIS_CONTEXT_H

/*
 * Every relais function takes its arguments in one order:
 *
 *   1. out parameters, which the caller then owns (relais_x **out, size_t *n);
 *   2. the handle it changes or does I/O through, if any (relais_home *home,
 *      relais_hub *hub);
 *   3. the context, which receives the error message (relais_ctx *ctx);
 *   4. the inputs, const when only read, objects read included
 *      (relais_bundle_read(&data, &len, ctx, bundle, path)).
 *
 * A constructor has no handle yet: relais_hub_open(&hub, ctx, path), and
 * what it is built on is an input: relais_reader_start(&r, ctx, home, opt).
 * A fallible function returns 0 or a negative RELAIS_E* status
 * (relais/error.h) and leaves a one-line message on ctx.
 */

#include <stdarg.h>

typedef struct relais_ctx relais_ctx;

enum relais_log_level {
	RELAIS_LOG_DEBUG = 0,
	RELAIS_LOG_INFO = 1,
	RELAIS_LOG_WARN = 2,
};

/* Receives the library's log lines; the library itself never prints. */
typedef void (*relais_log_fn)(void *data, int level, const char *msg);

/* Makes a context. Returns 0, or RELAIS_ENOMEM. */
int relais_ctx_new(relais_ctx **out);

/* Frees a context; accepts NULL. */
void relais_ctx_free(relais_ctx *ctx);

/*
 * The message left by the last failing call on this context, one line,
 * lower case, no trailing period. Borrowed until the next call that fails.
 * Never NULL.
 */
const char *relais_errmsg(const relais_ctx *ctx);

/* The status of the last failing call, or 0. */
int relais_errcode(const relais_ctx *ctx);

/* Installs a log callback (NULL to silence). */
void relais_ctx_set_log(relais_ctx *ctx, relais_log_fn fn, void *data);

/*
 * Records a failure: formats the message onto ctx and returns status, so a
 * caller can write `return relais_fail(ctx, RELAIS_EFORMAT, "...")`.
 */
int relais_fail(relais_ctx *ctx, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Puts "<formatted>: " before the current message, keeping its status, and
 * returns that status: how a caller adds the file name a callee did not know.
 */
int relais_prefix(relais_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears the last error. */
void relais_clear(relais_ctx *ctx);

/* Sends one line to the log callback, if any. */
void relais_log(relais_ctx *ctx, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
