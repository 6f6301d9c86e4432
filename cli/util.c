/* util.c: the command table, messages, passwords and sizes for relais and relais-hub. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "relais/certificate.h"
#include "relais/fsutil.h"
#include "relais/home.h"
#include "relais/utf8.h"
#include "relais/error.h"
#include "relais/key.h"
#include "relais_config.h"

static const char *program = "relais";

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s help %s')\n", program, cmd);
	return EXIT_USAGE;
}

const struct option cli_no_options[] = {{NULL, 0, NULL, 0}};

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char shortopt[3] = {'-', (char)optopt, '\0'};

	/* For a short option, argv[optind - 1] may hold several; name just it. */
	if (optopt != 0 && strncmp(arg, "--", 2) != 0) {
		arg = shortopt;
	}
	if (c == ':') {
		return cli_usage(cmd, "option '%s' needs a value", arg);
	}
	return cli_usage(cmd, "unknown option '%s'", arg);
}

int cli_fail(relais_ctx *ctx)
{
	cli_error("%s", relais_errmsg(ctx));
	return EXIT_FAIL;
}

int cli_password_from(const char *env_name, const char *prompt, char *buf, size_t size)
{
	const char *env = getenv(env_name);
	struct termios old, quiet;
	FILE *tty;
	size_t n;
	int echo_off = 0;

	if (env != NULL) {
		if (strlen(env) >= size) {
			return RELAIS_ELIMIT;
		}
		memcpy(buf, env, strlen(env) + 1);
		return 0;
	}
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL) {
		return RELAIS_EPASSWORD; /* no terminal to ask on */
	}
	fprintf(tty, "%s", prompt ? prompt : "Password: ");
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(buf, (int)size, tty) == NULL) {
		buf[0] = '\0';
	}
	if (echo_off) {
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	}
	fputc('\n', tty);
	fclose(tty);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	}
	return 0;
}

int cli_password(void *prompt, char *buf, size_t size)
{
	return cli_password_from("RELAIS_PASSWORD", prompt, buf, size);
}

static const struct command *find(const struct cli_program *p, const char *name)
{
	size_t i;

	for (i = 0; p->commands[i]; i++) {
		if (strcmp(p->commands[i]->name, name) == 0) {
			return p->commands[i];
		}
	}
	return NULL;
}

/* The library's warnings, on stderr; a command may install its own logger. */
static void print_warning(void *data, int level, const char *msg)
{
	(void)data;
	if (level >= RELAIS_LOG_WARN) {
		cli_error("warning: %s", msg);
	}
}

int cli_main(const struct cli_program *p, int argc, char **argv)
{
	const struct command *cmd;
	relais_ctx *ctx = NULL;
	int i, status;

	program = p->name;
	if (argc < 2) {
		p->overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc < 3)) {
		p->overview(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", p->name, RELAIS_VERSION);
		return EXIT_OK;
	}
	i = strcmp(argv[1], "help") == 0 ? 2 : 1;
	cmd = find(p, argv[i]);
	if (cmd == NULL) {
		cli_error("unknown command '%s' (see '%s --help')", argv[i], p->name);
		return EXIT_USAGE;
	}
	if (i == 2) {
		fputs(cmd->usage, stdout);
		return EXIT_OK;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
	}
	if (relais_crypto_init() != 0) {
		cli_error("cannot initialise the cryptographic library");
		return EXIT_FAIL;
	}
	if (relais_ctx_new(&ctx) != 0) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	relais_ctx_set_log(ctx, print_warning, NULL);
	status = cmd->run(ctx, argc - 1, argv + 1);
	relais_ctx_free(ctx);
	if (fflush(stdout) != 0 && status == EXIT_OK) {
		cli_error("cannot write to standard output");
		status = EXIT_FAIL;
	}
	return status;
}

int cli_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	unsigned long long mult = 1;

	errno = 0;
	if (*s < '0' || *s > '9') {
		return -1;
	}
	v = strtoull(s, &end, 10);
	if (errno != 0) {
		return -1;
	}
	if (*end == 'K' || *end == 'k') {
		mult = 1024;
	} else if (*end == 'M' || *end == 'm') {
		mult = 1024 * 1024;
	} else if (*end == 'G' || *end == 'g') {
		mult = 1024ULL * 1024 * 1024;
	} else if (*end != '\0') {
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "B") != 0 &&
	    strcmp(end + 1, "iB") != 0) {
		return -1;
	}
	if (v > (unsigned long long)SIZE_MAX / mult) {
		return -1;
	}
	*out = (size_t)(v * mult);
	return 0;
}

void cli_human_size(char *buf, size_t size, unsigned long long bytes)
{
	if (bytes < 1024) {
		(void)snprintf(buf, size, "%llu bytes", bytes);
	} else if (bytes < 1024 * 1024) {
		(void)snprintf(buf, size, "%.1f KiB", (double)bytes / 1024);
	} else {
		(void)snprintf(buf, size, "%.1f MiB", (double)bytes / (1024 * 1024));
	}
}

int cli_open_home(relais_home **home, relais_ctx *ctx)
{
	if (relais_home_open(home, ctx, NULL) != 0) {
		return cli_fail(ctx);
	}
	return EXIT_OK;
}

int cli_certificate_code(char **out, relais_ctx *ctx, const char *arg)
{
	size_t len;

	if (relais_file_exists(arg)) {
		return relais_file_read(out, &len, ctx, arg, RELAIS_CERTIFICATE_CODE_MAX);
	}
	*out = strdup(arg);
	return *out ? 0 : relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
}

void cli_certificate_print(FILE *f, const struct relais_certificate *c)
{
	char name[4 * RELAIS_CERTIFICATE_TEXT_MAX + 1], email[sizeof(name)], course[sizeof(name)];
	char title[sizeof(name)], hours[16];

	relais_printable(name, sizeof(name), c->name);
	relais_printable(email, sizeof(email), c->email);
	relais_printable(course, sizeof(course), c->course);
	relais_printable(title, sizeof(title), c->title);
	relais_certificate_hours(hours, c);
	fprintf(f, "certificate %u, signed by hub key %s\n", c->id, c->key_id);
	fprintf(f, "learner:   %s <%s>\n", name, email);
	if (c->programme) {
		/* A cohort's whole programme: its courses, then the sessions attended. */
		fprintf(f, "programme: %s (cohort %s)\n", title, course);
		for (size_t i = 0; i < c->n_courses; i++) {
			relais_printable(course, sizeof(course), c->courses[i].id);
			relais_printable(title, sizeof(title), c->courses[i].title);
			if (title[0] != '\0') {
				fprintf(f, "  course:  %s (%s)\n", title, course);
			} else {
				fprintf(f, "  course:  %s\n", course);
			}
		}
		fprintf(f, "sessions:  %u attended\n", c->sessions);
	} else {
		fprintf(f, "course:    %s (%s, version %u)\n", title, course, c->version);
	}
	fprintf(f, "completed: %s\n", c->date);
	if (c->score >= 0) {
		fprintf(f, "score:     %d%%\n", c->score);
	}
	if (hours[0] != '\0') {
		fprintf(f, "hours:     %s\n", hours);
	}
	fprintf(f, "code:      %s\n", c->code);
}
