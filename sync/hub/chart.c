/* chart.c: completions over time as an SVG bar chart drawn on the server (no JavaScript). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"

#define BARS_MAX 400 /* days (or months, when there are more days) */
#define W 800
#define H 260
#define LEFT 48
#define BOTTOM 40
#define TOP 16
#define LABELLED_MAX 40 /* bars that carry their number */

struct bar {
	char label[11]; /* YYYY-MM-DD or YYYY-MM */
	double n;
};

/* Sums rows' completions by day, or by month when there are more days than bars. */
static size_t gather(struct bar *bars, const cJSON *rows, size_t label_len)
{
	const cJSON *row;
	size_t n = 0;

	cJSON_ArrayForEach(row, rows)
	{
		const cJSON *day = cJSON_GetObjectItemCaseSensitive(row, "day");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(row, "completions");
		if (!cJSON_IsString(day) || !cJSON_IsNumber(c) || strlen(day->valuestring) < 10) {
			continue;
		}
		if (n == 0 || strncmp(bars[n - 1].label, day->valuestring, label_len) != 0) {
			if (n == BARS_MAX) {
				return BARS_MAX + 1;
			}
			(void)snprintf(bars[n].label, sizeof(bars[n].label), "%.*s", (int)label_len,
			               day->valuestring);
			bars[n++].n = 0;
		}
		bars[n - 1].n += c->valuedouble;
	}
	return n;
}

void relais_hub_chart(struct relais_strbuf *o, enum hub_lang lang, const char *id,
                      const char *title, const cJSON *rows)
{
	struct bar bars[BARS_MAX];
	double max = 0, total = 0, bw;
	size_t n, i, most = 0;
	char line[512], num[32], peak[32];

	n = gather(bars, rows, 10);
	if (n > BARS_MAX) {
		n = gather(bars, rows, 7);
	}
	if (n > BARS_MAX) {
		n = BARS_MAX;
	}
	for (i = 0; i < n; i++) {
		total += bars[i].n;
		if (bars[i].n > max) {
			max = bars[i].n;
			most = i;
		}
	}
	/* The pattern tells the bars apart in print and for those who do not see colour. */
	relais_strbuf_printf(o,
	                     "<figure class=\"chart\"><svg role=\"img\" viewBox=\"0 0 %d %d\" "
	                     "width=\"100%%\" aria-labelledby=\"%s-t %s-d\" "
	                     "xmlns=\"http://www.w3.org/2000/svg\"><title id=\"%s-t\">",
	                     W, H, id, id, id);
	relais_strbuf_add_html(o, title);
	relais_strbuf_printf(o, "</title><desc id=\"%s-d\">", id);
	(void)snprintf(num, sizeof(num), "%.0f", total);
	(void)snprintf(peak, sizeof(peak), "%.0f", max);
	if (n == 0) {
		relais_strbuf_add_html(o, relais_hub_tr(lang, HUB_M_CHART_EMPTY));
	} else {
		relais_hub_tr_format(line, sizeof(line), lang, HUB_M_CHART_DESC, num, bars[0].label,
		                     bars[n - 1].label, bars[most].label, peak);
		relais_strbuf_add_html(o, line);
	}
	relais_strbuf_add(o, "</desc><defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" "
	                     "width=\"6\" height=\"6\" patternTransform=\"rotate(45)\"><rect "
	                     "width=\"6\" height=\"6\" fill=\"#dbe6f5\"/><rect width=\"3\" "
	                     "height=\"6\" fill=\"#1f4e8c\"/></pattern></defs>");
	relais_strbuf_printf(
	        o,
	        "<g aria-hidden=\"true\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	        "stroke=\"#000\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	        "stroke=\"#000\"/>",
	        LEFT, TOP, LEFT, H - BOTTOM, LEFT, H - BOTTOM, W - 8, H - BOTTOM);
	relais_strbuf_printf(
	        o,
	        "<text x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"end\">%s</text>"
	        "<text x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"end\">0</text>",
	        LEFT - 6, TOP + 10, peak, LEFT - 6, H - BOTTOM);
	bw = n ? (double)(W - LEFT - 16) / (double)n : 0;
	for (i = 0; i < n && max > 0; i++) {
		double h = (H - BOTTOM - TOP) * bars[i].n / max;
		relais_strbuf_printf(o,
		                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		                     "fill=\"url(#hatch)\" stroke=\"#000\" stroke-width=\"1\"/>",
		                     LEFT + 4 + bw * (double)i + bw * 0.1, H - BOTTOM - h, bw * 0.8,
		                     h);
		if (n <= LABELLED_MAX && h > 18) {
			/* Few bars: each says its number, inside its top, for print. */
			relais_strbuf_printf(
			        o,
			        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
			        "text-anchor=\"middle\" fill=\"#000\" stroke=\"#fff\" "
			        "stroke-width=\"3\" paint-order=\"stroke\">%.0f</text>",
			        LEFT + 4 + bw * (double)i + bw * 0.5, H - BOTTOM - h + 15,
			        bars[i].n);
		}
	}
	if (n > 0) {
		relais_strbuf_printf(o,
		                     "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s</text>"
		                     "<text x=\"%d\" y=\"%d\" font-size=\"14\" "
		                     "text-anchor=\"end\">%s</text>",
		                     LEFT, H - BOTTOM + 20, bars[0].label, W - 8, H - BOTTOM + 20,
		                     bars[n - 1].label);
	}
	relais_strbuf_add(o, "</g></svg></figure>");
}
