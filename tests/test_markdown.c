/* test_markdown.c: lesson rendering and link collection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "markdown.h"

static void renders_commonmark_with_tables(void **state)
{
	static const char md[] = "# Title\n"
	                         "\n"
	                         "Some *text* and a [link](other.md#part).\n"
	                         "\n"
	                         "| Step | Who |\n"
	                         "|------|-----|\n"
	                         "| 1    | Consul |\n"
	                         "\n"
	                         "![A map](../media/map.png)\n"
	                         "\n"
	                         "<script>alert(1)</script>\n"
	                         "\n"
	                         "[Outside](https://example.org/guide.md) [mail](mailto:a@b.c)\n";
	struct relais_md_link *links = NULL;
	size_t html_len = 0, n = 0;
	char *html = NULL;

	assert_int_equal(relais_markdown_render(&html, &html_len, &links, &n, md, strlen(md)), 0);
	assert_non_null(strstr(html, "<h1>Title</h1>"));
	assert_non_null(strstr(html, "<em>text</em>"));
	assert_non_null(strstr(html, "<td>Consul</td>"));
	/* Links to lessons point at their rendered pages; others are untouched. */
	assert_non_null(strstr(html, "href=\"other.html#part\""));
	assert_non_null(strstr(html, "href=\"https://example.org/guide.md\""));
	assert_non_null(strstr(html, "<img src=\"../media/map.png\" alt=\"A map\">"));
	/* Raw HTML is shown as text, never run. */
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "&lt;script&gt;"));

	assert_int_equal(n, 4);
	assert_string_equal(links[0].target, "other.md#part");
	assert_int_equal(links[0].line, 3);
	assert_false(links[0].is_image);
	assert_string_equal(links[1].target, "../media/map.png");
	assert_int_equal(links[1].line, 9);
	assert_true(links[1].is_image);
	assert_int_equal(links[2].line, 13);
	assert_false(relais_link_is_local(links[2].target));
	assert_false(relais_link_is_local(links[3].target));
	assert_true(relais_link_is_local(links[1].target));
	assert_false(relais_link_is_local("#top"));
	free(html);
	relais_markdown_links_free(links, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(renders_commonmark_with_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
