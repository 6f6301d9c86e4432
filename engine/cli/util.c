/* util.c: messages, passwords and sizes for the relais command. */
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
#include "relais/error.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("relais: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("relais: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'relais help %s')\n", cmd);
	return EXIT_USAGE;
}

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

int cli_password(void *prompt, char *buf, size_t size)
{
	const char *env = getenv("RELAIS_PASSWORD");
	struct termios old, quiet;
	FILE *tty;
	size_t n;

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
	fprintf(tty, "%s", prompt ? (const char *)prompt : "Password: ");
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)size, tty) == NULL) {
		buf[0] = '\0';
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	}
	return 0;
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
