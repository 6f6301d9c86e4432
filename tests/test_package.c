/* test_package.c: package units: the manifest's launch information, and reading SCORM/cmi5
 * packages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "course_private.h"
#include "relais/archive.h"
#include "relais/course.h"
#include "relais/diag.h"
#include "relais/error.h"
#include "relais/manifest.h"

#define SHA                                                                                        \
	"\"sha256\":\""                                                                            \
	"0000000000000000000000000000000000000000000000000000000000000000\""

/* A SCORM 2004 unit and a cmi5 unit, as the packer writes them (canonical order). */
static const char good[] =
        "{\"format\":1,\"id\":\"c\",\"version\":1,\"title\":\"T\",\"language\":\"en\","
        "\"summary\":\"\",\"authors\":[],\"estimated_minutes\":0,\"units\":["
        "{\"id\":\"s\",\"title\":\"S\",\"type\":\"package\",\"path\":\"packages/s\","
        "\"package\":{\"standard\":\"scorm-2004\",\"version\":\"2004 4th Edition\",\"id\":\"M\","
        "\"organizations\":[{\"id\":\"O\",\"title\":\"Org\",\"items\":["
        "{\"id\":\"F\",\"title\":\"Folder\",\"level\":0},"
        "{\"id\":\"A\",\"title\":\"One\",\"level\":1,\"launch\":\"packages/s/a.html\","
        "\"parameters\":\"?x=1\",\"scorm_type\":\"sco\",\"mastery_score\":0.6,"
        "\"completion_threshold\":0.75,\"data_from_lms\":\"d\"},"
        "{\"id\":\"B\",\"title\":\"Two\",\"level\":1,\"launch\":\"packages/s/b.html\","
        "\"scorm_type\":\"asset\"}]}]}},"
        "{\"id\":\"k\",\"title\":\"K\",\"type\":\"package\",\"path\":\"packages/k\","
        "\"package\":{\"standard\":\"cmi5\",\"version\":\"1.0\",\"id\":\"https://e.org/c\","
        "\"organizations\":[{\"id\":\"https://e.org/c\",\"title\":\"C\",\"items\":["
        "{\"id\":\"https://e.org/au\",\"title\":\"AU\",\"level\":0,"
        "\"launch\":\"packages/k/au.html\",\"launch_method\":\"OwnWindow\","
        "\"move_on\":\"CompletedOrPassed\",\"mastery_score\":0.8,"
        "\"launch_parameters\":\"{}\"}]}]}}],"
        "\"entries\":[{\"path\":\"packages/k/au.html\",\"size\":1," SHA
        "},{\"path\":\"packages/s/a.html\",\"size\":2," SHA
        "},{\"path\":\"packages/s/b.html\",\"size\":3," SHA "}]}";

static void package_units_parse_and_round_trip(void **state)
{
	relais_manifest *m = NULL;
	relais_ctx *ctx = NULL;
	const struct relais_package *p;
	const struct relais_package_item *it;
	char *json = NULL;
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	if (relais_manifest_parse(&m, ctx, good, strlen(good)) != 0) {
		fail_msg("%s", relais_errmsg(ctx));
	}
	assert_int_equal(m->units[0].kind, RELAIS_UNIT_PACKAGE);
	p = m->units[0].package;
	assert_int_equal(p->standard, RELAIS_PACKAGE_SCORM2004);
	assert_string_equal(p->version, "2004 4th Edition");
	assert_int_equal(p->n_orgs, 1);
	assert_int_equal(p->orgs[0].n_items, 3);
	assert_null(p->orgs[0].items[0].launch);
	it = &p->orgs[0].items[1];
	assert_int_equal(it->level, 1);
	assert_string_equal(it->launch, "packages/s/a.html");
	assert_string_equal(it->parameters, "?x=1");
	assert_true(it->sco);
	assert_true(it->has_mastery);
	assert_true(it->mastery_score == 0.6);
	assert_true(it->has_completion_threshold);
	assert_string_equal(it->data_from_lms, "d");
	assert_false(p->orgs[0].items[2].sco);
	p = m->units[1].package;
	assert_int_equal(p->standard, RELAIS_PACKAGE_CMI5);
	it = &p->orgs[0].items[0];
	assert_int_equal(it->launch_method, RELAIS_CMI5_OWN_WINDOW);
	assert_int_equal(it->move_on, RELAIS_CMI5_COMPLETED_OR_PASSED);
	assert_true(it->mastery_score == 0.8);
	assert_string_equal(it->launch_parameters, "{}");
	/* What is signed is what was read. */
	assert_int_equal(relais_manifest_to_json(&json, &len, ctx, m), 0);
	assert_string_equal(json, good);
	free(json);
	relais_manifest_free(m);
	relais_ctx_free(ctx);
}

/* Replaces the first `from` in good with `to`; expects rc 0 when words is NULL. */
static void try(relais_ctx *ctx, const char *from, const char *to, const char *words)
{
	char json[8192];
	const char *at = strstr(good, from);
	relais_manifest *m = NULL;
	int rc;

	assert_non_null(at);
	snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	rc = relais_manifest_parse(&m, ctx, json, strlen(json));
	if (words == NULL) {
		if (rc != 0) {
			fail_msg("%s -> %s: %s", from, to, relais_errmsg(ctx));
		}
		relais_manifest_free(m);
		return;
	}
	if (rc == 0 || strstr(relais_errmsg(ctx), words) == NULL) {
		fail_msg("%s -> %s: got %d \"%s\", wanted \"%s\"", from, to, rc, relais_errmsg(ctx),
		         words);
	}
	assert_null(m);
}

static void launch_information_is_checked(void **state)
{
	relais_ctx *ctx = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	try(ctx, "\"launch\":\"packages/s/a.html\"", "\"launch\":\"packages/s/z.html\"",
	    "units[0].package.organizations[0].items[1].launch names packages/s/z.html, which is "
	    "not an entry of the package");
	/* An entry, but another unit's: each package plays its own files. */
	try(ctx, "\"launch\":\"packages/s/a.html\"", "\"launch\":\"packages/k/au.html\"",
	    "items[1].launch names packages/k/au.html");
	/* A remote launch: cmi5 only. */
	try(ctx, "\"launch\":\"packages/s/a.html\"", "\"launch\":\"https://e.org/a.html\"",
	    "which is not an entry of the package");
	try(ctx, "\"launch\":\"packages/k/au.html\"", "\"launch\":\"https://e.org/au.html\"", NULL);
	try(ctx, "\"standard\":\"scorm-2004\"", "\"standard\":\"scorm-3\"",
	    "package.standard must be \"scorm-1.2\", \"scorm-2004\" or \"cmi5\"");
	try(ctx, "\"level\":1,\"launch\":\"packages/s/a", "\"level\":2,\"launch\":\"packages/s/a",
	    "items[1].level breaks the outline");
	try(ctx, "{\"id\":\"F\",\"title\":\"Folder\",\"level\":0}",
	    "{\"id\":\"F\",\"title\":\"Folder\",\"level\":1}", "items[0].level breaks the outline");
	try(ctx, "\"mastery_score\":0.6", "\"mastery_score\":60",
	    "items[1].mastery_score must be a number from -1 to 1");
	try(ctx, "\"mastery_score\":0.8", "\"mastery_score\":-0.5",
	    "items[0].mastery_score must be a number from 0 to 1");
	try(ctx, "\"scorm_type\":\"asset\"", "\"scorm_type\":\"page\"",
	    "items[2].scorm_type must be \"sco\" or \"asset\"");
	try(ctx, "\"move_on\":\"CompletedOrPassed\"", "\"move_on\":\"Whenever\"",
	    "items[0].move_on is not a known value");
	try(ctx, "\"path\":\"packages/s\"", "\"path\":\"../s\"", "units[0].path ../s");
	try(ctx, "\"items\":[{\"id\":\"https",
	    "\"items\":[{\"id\":\"x\",\"title\":\"B\",\"level\":0},{\"id\":\"https", NULL);
	try(ctx,
	    "{\"id\":\"https://e.org/au\",\"title\":\"AU\",\"level\":0,\"launch\":\"packages/k/"
	    "au.html\",",
	    "{\"id\":\"https://e.org/au\",\"title\":\"AU\",\"level\":0,",
	    "organizations[0] has nothing to launch");
	/* A reader that does not know a type refuses the bundle, naming it. */
	try(ctx, "\"type\":\"package\"", "\"type\":\"video\"",
	    "units[0].type must be \"lesson\", \"quiz\" or \"package\"; \"video\" is not known");
	relais_ctx_free(ctx);
}

static char *data_path(const char *name)
{
	const char *root = getenv("RELAIS_SOURCE_ROOT");
	char *out = malloc(4096);

	assert_non_null(root);
	assert_non_null(out);
	snprintf(out, 4096, "%s/tests/data/packages/%s", root, name);
	return out;
}

static void reads_a_scorm12_folder(void **state)
{
	struct relais_course_options opt = {0};
	struct relais_package_options popt = {.version = 3};
	relais_course *c = NULL;
	relais_diag *diag = NULL;
	relais_ctx *ctx = NULL;
	const struct relais_package_item *it;
	char *src = data_path("scorm12-protocol");
	size_t i;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_diag_new(&diag), 0);
	if (relais_course_load_package(&c, ctx, diag, src, &popt, &opt) != 0) {
		fail_msg("%s: %s", relais_errmsg(ctx), relais_diag_get(diag, 0));
	}
	assert_string_equal(c->m->id, "org.example.reception-protocol");
	assert_string_equal(c->m->language, "en");
	assert_int_equal(c->m->version, 3);
	assert_int_equal(c->m->units[0].kind, RELAIS_UNIT_PACKAGE);
	assert_string_equal(c->m->units[0].path, "packages/org.example.reception-protocol");
	it = &c->m->units[0].package->orgs[0].items[0];
	assert_string_equal(it->launch, "packages/org.example.reception-protocol/check.html");
	assert_string_equal(it->parameters, "?lang=en");
	assert_true(it->sco);
	assert_true(it->mastery_score == 80);
	assert_string_equal(it->data_from_lms, "attempts=3");
	/* Every file of the package, under the unit's folder. */
	assert_int_equal(c->n_entries, 4);
	for (i = 0; i < c->n_entries; i++) {
		assert_memory_equal(c->entries[i].path, "packages/org.example.reception-protocol/",
		                    40);
	}
	relais_course_free(c);
	relais_diag_free(diag);
	relais_ctx_free(ctx);
	free(src);
}

static void reads_cmi5_and_warns_about_remote_aus(void **state)
{
	struct relais_packager_pkg pkg;
	relais_diag *diag = NULL, *warn = NULL;
	relais_ctx *ctx = NULL;
	char *src = data_path("cmi5-two");

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_diag_new(&warn), 0);
	assert_int_equal(relais_packager_read_package(&pkg, ctx, diag, warn, src, 1 << 20), 0);
	assert_int_equal(pkg.p->standard, RELAIS_PACKAGE_CMI5);
	assert_string_equal(pkg.language, "fr");
	assert_string_equal(pkg.title, "L'entretien de visa");
	assert_int_equal(pkg.p->orgs[0].n_items, 3);
	/* Before placing, launches are relative to the package. */
	assert_string_equal(pkg.p->orgs[0].items[2].launch, "au2/index.html");
	assert_string_equal(pkg.p->orgs[0].items[2].parameters, "?questions=5");
	assert_int_equal(pkg.p->orgs[0].items[2].move_on, RELAIS_CMI5_PASSED);
	assert_int_equal(relais_diag_count(warn), 0);
	relais_packager_pkg_clear(&pkg);
	relais_diag_free(diag);
	relais_diag_free(warn);
	relais_ctx_free(ctx);
	free(src);
}

static void archive_refuses_a_missing_file(void **state)
{
	relais_archive *a = NULL;
	relais_ctx *ctx = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_archive_read(&a, ctx, "/nonexistent/p.zip", NULL),
	                 RELAIS_ENOTFOUND);
	assert_null(a);
	relais_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(package_units_parse_and_round_trip),
	        cmocka_unit_test(launch_information_is_checked),
	        cmocka_unit_test(reads_a_scorm12_folder),
	        cmocka_unit_test(reads_cmi5_and_warns_about_remote_aus),
	        cmocka_unit_test(archive_refuses_a_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
