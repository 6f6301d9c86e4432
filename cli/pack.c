/* pack.c: `relais pack`: check a course folder and build its signed bundle. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/bundle.h"
#include "relais/course.h"
#include "relais/diag.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/key.h"
#include "relais/rotation.h"

static void print_problems(const relais_diag *diag)
{
	size_t i, n = relais_diag_count(diag);
	const char *line;

	for (i = 0; (line = relais_diag_get(diag, i)) != NULL; i++) {
		fprintf(stderr, "%s\n", line);
	}
	if (n > i) {
		fprintf(stderr, "... and %zu more\n", n - i);
	}
}

static int run(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"secret-key", required_argument, NULL, 's'},
	        {"output", required_argument, NULL, 'o'},
	        {"check", no_argument, NULL, 'c'},
	        {"max-media-size", required_argument, NULL, 'm'},
	        {"threads", required_argument, NULL, 'j'},
	        {"id", required_argument, NULL, 'I'},
	        {"title", required_argument, NULL, 'T'},
	        {"language", required_argument, NULL, 'L'},
	        {"course-version", required_argument, NULL, 'V'},
	        {"rotation", required_argument, NULL, 'R'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_rotation rotations[RELAIS_MANIFEST_MAX_ROTATIONS];
	const char *rotation_paths[RELAIS_MANIFEST_MAX_ROTATIONS];
	size_t n_rotations = 0, n_loaded = 0, k;
	struct relais_course_options opt = {0};
	struct relais_package_options popt = {0};
	relais_diag *warnings = NULL;
	int is_package, overrides = 0;
	const char *sec_path = NULL, *out_path = NULL, *src;
	char default_out[512], id[RELAIS_KEYID_HEX], human[32];
	relais_course *course = NULL;
	relais_bundle *bundle = NULL;
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	relais_diag *diag = NULL;
	int check = 0, c, rc, status = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:o:cm:j:", opts, NULL)) != -1) {
		switch (c) {
		case 'I':
			popt.id = optarg;
			overrides = 1;
			break;
		case 'T':
			popt.title = optarg;
			overrides = 1;
			break;
		case 'L':
			popt.language = optarg;
			overrides = 1;
			break;
		case 'V': {
			char *end;
			errno = 0;
			popt.version = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' || popt.version < 1 ||
			    popt.version > (1ULL << 53)) {
				return cli_usage("pack", "--course-version must be from 1 to 2^53");
			}
			overrides = 1;
			break;
		}
		case 'R':
			if (n_rotations == RELAIS_MANIFEST_MAX_ROTATIONS) {
				return cli_usage("pack", "at most %d --rotation records",
				                 RELAIS_MANIFEST_MAX_ROTATIONS);
			}
			rotation_paths[n_rotations++] = optarg;
			break;
		case 's':
			sec_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'c':
			check = 1;
			break;
		case 'm':
			if (cli_parse_size(optarg, &opt.max_media_size) != 0 ||
			    opt.max_media_size == 0) {
				return cli_usage("pack", "--max-media-size: '%s' is not a size",
				                 optarg);
			}
			break;
		case 'j':
			opt.threads = atoi(optarg);
			if (opt.threads < 1 || opt.threads > 64) {
				return cli_usage("pack", "--threads must be from 1 to 64");
			}
			break;
		default:
			return cli_bad_option("pack", c, argv);
		}
	}
	if (argc - optind != 1) {
		return cli_usage("pack", "give exactly one course folder or package");
	}
	src = argv[optind];
	is_package = relais_course_is_package(src);
	if (overrides && !is_package) {
		return cli_usage("pack", "--id, --title, --language and --course-version are for "
		                         "packages; a course folder has course.json");
	}
	if (!check && sec_path == NULL) {
		return cli_usage("pack", "--secret-key is required (or --check to only check)");
	}
	if (relais_diag_new(&diag) != 0 || relais_diag_new(&warnings) != 0) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	opt.check_rendered = check;
	opt.warnings = warnings;
	if (is_package) {
		rc = relais_course_load_package(&course, ctx, diag, src, &popt, &opt);
	} else {
		rc = relais_course_load(&course, ctx, diag, src, &opt);
	}
	print_problems(warnings);
	if (rc == RELAIS_EFORMAT) {
		print_problems(diag);
		cli_error("%s", relais_errmsg(ctx));
		goto out;
	}
	if (rc != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (check && relais_diag_count(warnings) > 0) {
		/* --check is strict: a warning is something to look at before packing. */
		cli_error("%zu warning%s in %s", relais_diag_count(warnings),
		          relais_diag_count(warnings) == 1 ? "" : "s", src);
		goto out;
	}
	if (check) {
		printf("%s: %s version %llu is ready to pack\n", src, relais_course_id(course),
		       (unsigned long long)relais_course_version(course));
		status = EXIT_OK;
		goto out;
	}
	if (relais_seckey_load(&sec, ctx, sec_path, cli_password,
	                       "Password for the secret key: ") != 0 ||
	    relais_seckey_public(&pub, ctx, sec) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	/* The records must endorse the signing key (the last link of their chain). */
	relais_pubkey_id(pub, id);
	for (k = 0; k < n_rotations; k++) {
		char *text = NULL;
		size_t len = 0;
		rc = relais_file_read(&text, &len, ctx, rotation_paths[k],
		                      RELAIS_ROTATION_MAX_BYTES);
		if (rc == 0) {
			rc = relais_rotation_parse(&rotations[k], ctx, text, len,
			                           rotation_paths[k]);
		}
		free(text);
		if (rc != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		n_loaded++;
	}
	for (k = 0; k < n_rotations && strcmp(rotations[k].new_id, id) != 0; k++) {
	}
	if (n_rotations > 0 && k == n_rotations) {
		cli_error("%s: the rotation record endorses key %s, not the signing key %s",
		          rotation_paths[0], rotations[0].new_id, id);
		goto out;
	}
	opt.rotations = rotations;
	opt.n_rotations = n_rotations;
	if (out_path == NULL) {
		if (snprintf(default_out, sizeof(default_out), "%s-%llu.relais",
		             relais_course_id(course),
		             (unsigned long long)relais_course_version(course)) >=
		    (int)sizeof(default_out)) {
			cli_error("course id too long for a file name");
			goto out;
		}
		out_path = default_out;
	}
	if (relais_course_pack(ctx, course, sec, out_path, &opt) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	/* Read back what was written, as a learner's laptop will. */
	if (relais_bundle_open(&bundle, ctx, out_path, pub) != 0 ||
	    relais_bundle_verify_all(ctx, bundle, opt.threads ? opt.threads : 2) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	relais_pubkey_id(pub, id);
	cli_human_size(human, sizeof(human), relais_bundle_file_size(bundle));
	printf("%s: %s version %llu, %zu units, %zu entries, %s, signed by key %s\n", out_path,
	       relais_course_id(course), (unsigned long long)relais_course_version(course),
	       relais_bundle_manifest(bundle)->n_units,
	       relais_bundle_manifest(bundle)->n_entries + 2, human, id);
	status = EXIT_OK;
out:
	for (k = 0; k < n_loaded; k++) {
		relais_rotation_clear(&rotations[k]);
	}
	relais_bundle_free(bundle);
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	relais_course_free(course);
	relais_diag_free(diag);
	relais_diag_free(warnings);
	return status;
}

const struct command cmd_pack = {
        "pack",
        "check a course folder and build its signed bundle",
        "usage: relais pack SRC_DIR --secret-key SEC [-o OUT] [--max-media-size SIZE]\n"
        "                   [--rotation FILE]...\n"
        "       relais pack PACKAGE --secret-key SEC [--id ID] [--title T] [--language L]\n"
        "                   [--course-version N] [-o OUT]\n"
        "       relais pack --check SRC_DIR|PACKAGE\n"
        "\n"
        "Reads SRC_DIR/course.json, renders its lessons (CommonMark), checks its\n"
        "quizzes (GIFT), its SCORM or cmi5 packages and the pictures and files the\n"
        "lessons link to, and writes one signed bundle, <id>-<version>.relais by\n"
        "default. The same source and key always give the same bytes.\n"
        "\n"
        "PACKAGE, a SCORM 1.2, SCORM 2004 or cmi5 package (a ZIP file, or a folder\n"
        "with imsmanifest.xml or cmi5.xml), becomes a course of one unit whose id,\n"
        "title and language come from its manifest unless given here.\n"
        "\n"
        "  -s, --secret-key SEC       the minisign secret key to sign with\n"
        "  -o, --output OUT           where to write the bundle\n"
        "  -c, --check                write nothing; list every problem as file:line: message\n"
        "  -m, --max-media-size SIZE  largest picture or linked file (default 20M)\n"
        "  -j, --threads N            compression threads (default: one per core)\n"
        "      --id ID                a package's course id (default: from its manifest)\n"
        "      --title TITLE          a package's course title (default: from its manifest)\n"
        "      --language TAG         a package's language, BCP 47 (default: from its manifest)\n"
        "      --course-version N     a package's course version (default 1)\n"
        "      --rotation FILE        carry a key rotation record (relais key rotate) that\n"
        "                             endorses the signing key, so laptops trusting the old\n"
        "                             key accept this bundle; may be given up to 16 times\n"
        "\n"
        "Exit status 1 when the course has any problem; nothing is written then.\n"
        "Warnings (a cmi5 AU played from the network) do not stop packing, but\n"
        "--check exits 1 on them too.\n"
        "See docs/authoring.md for the course format.\n",
        run,
};
