/* test_html.c: lesson HTML kept to the allow-list, and what relais pack writes left as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "markdown.h"
#include "relais/context.h"
#include "relais/html.h"

static char *clean(const char *in, struct relais_html_report *rep)
{
	relais_ctx *ctx = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_html_sanitize(&out, &len, rep, ctx, in, strlen(in)), 0);
	assert_int_equal(strlen(out), len);
	relais_ctx_free(ctx);
	return out;
}

static void packed_lessons_pass_unchanged(void **state)
{
	static const char md[] =
	        "# Title\n\nSome *text* & \"quotes\" <b> and a [link](other.md#p).\n\n"
	        "| Step | Who |\n|:-----|----:|\n| 1    | Consul |\n\n"
	        "![A map](media/map.png \"Map\")\n\n```c\nint x = 1 < 2;\n```\n\n"
	        "> quoted ~~gone~~\n\n1. a\n2. b\n\n---\nline  \nbreak `code`\n"
	        "[mail](mailto:a@b.c) [web](https://example.org/?a=1&b=2)\n";
	struct relais_html_report rep;
	struct relais_md_link *links = NULL;
	size_t html_len = 0, n = 0;
	char *html = NULL, *out;

	(void)state;
	assert_int_equal(relais_markdown_render(&html, &html_len, &links, &n, md, strlen(md)), 0);
	out = clean(html, &rep);
	assert_string_equal(out, html);
	assert_int_equal(rep.removed, 0);
	free(out);
	free(html);
	relais_markdown_links_free(links, n);
}

static void hostile_markup_goes(void **state)
{
	static const struct {
		const char *in, *out, *first;
	} cases[] = {
	        /* An unclosed form would capture the reader's own button and token. */
	        {"<p>a</p><form action=\"/who/choose\" method=post><p>b", "<p>a</p><p>b</p>",
	         "<form>"},
	        {"<meta http-equiv=refresh content=\"0;url=https://evil.example/\"><p>x</p>",
	         "<p>x</p>", "<meta>"},
	        {"<p onclick=\"x()\" class=\"button\">t</p>", "<p>t</p>", "onclick attribute"},
	        {"<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>", "javascript: link"},
	        {"<a href=\" JaVa&#9;Script:alert(1)\">x</a>", "<a>x</a>", "javascript: link"},
	        {"<a href=\"data:text/html,<script>x</script>\">x</a>", "<a>x</a>", "data: link"},
	        {"<img src=\"data:image/svg+xml,<svg/>\" alt=a>", "<img alt=\"a\">", "data: link"},
	        {"<img src=\"data:image/png;base64,AA\" alt=\"\">",
	         "<img src=\"data:image/png;base64,AA\" alt=\"\">", NULL},
	        {"<base href=\"https://evil.example/\"><a href=\"x.html\">x</a>",
	         "<a href=\"x.html\">x</a>", "<base>"},
	        {"<style>p{display:none}</style><p>t</p>", "<p>t</p>", "<style>"},
	        {"<p>a<script>alert(1)</script>b</p>", "<p>ab</p>", "<script>"},
	        {"<iframe src=\"https://evil.example/\"></iframe><object></object><embed>", "",
	         "<iframe>"},
	        {"<button formaction=\"/who/add\">go</button><input name=token>", "", "<button>"},
	        {"<p>x</article><form><button>y", "<p>x</p>", "<form>"},
	        {"<custom-tag>kept text</custom-tag>", "kept text", "<custom-tag>"},
	        {"<svg><script>x</script></svg><p>t</p>", "<p>t</p>", "<svg>"},
	        {"<p>ok <!-- hidden --> <a href=\"https://example.org/\" target=_top>l</a></p>",
	         "<p>ok  <a href=\"https://example.org/\">l</a></p>", "target attribute"},
	        {"", "", NULL},
	        {"\n", "", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relais_html_report rep;
		char *out = clean(cases[i].in, &rep);
		print_message("case %zu: %s\n", i, cases[i].in);
		assert_string_equal(out, cases[i].out);
		if (cases[i].first == NULL) {
			assert_int_equal(rep.removed, 0);
		} else {
			assert_true(rep.removed > 0);
			assert_string_equal(rep.first, cases[i].first);
		}
		free(out);
	}
}

static void link_schemes(void **state)
{
	(void)state;
	assert_true(relais_html_href_ok("other.html#x"));
	assert_true(relais_html_href_ok("#top"));
	assert_true(relais_html_href_ok("HTTPS://example.org/"));
	assert_true(relais_html_href_ok("mailto:a@b.c"));
	assert_true(relais_html_href_ok("dir/a:b.html"));
	assert_true(relais_html_href_ok("a-rather-long-lesson-name.html"));
	assert_false(relais_html_href_ok("a-rather-long-scheme-name:x"));
	assert_false(relais_html_href_ok("javascript:x"));
	assert_false(relais_html_href_ok("\x01javascript:x"));
	assert_false(relais_html_href_ok("java\nscript:x"));
	assert_false(relais_html_href_ok("vbscript:x"));
	assert_false(relais_html_href_ok("data:text/html,x"));
	assert_false(relais_html_href_ok(":x"));
	assert_false(relais_html_src_ok("data:image/svg+xml,x"));
	assert_true(relais_html_src_ok("data:image/gif;base64,R0"));
	assert_true(relais_html_src_ok("media/a.png"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(packed_lessons_pass_unchanged),
	        cmocka_unit_test(hostile_markup_goes),
	        cmocka_unit_test(link_schemes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
