/* gift.c: parses Moodle GIFT quiz text into the quiz JSON of docs/quiz-format.md. */
#include <assert.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <md4c-html.h>
#include <uninorm.h>

#include "relais/error.h"
#include "relais/gift.h"
#include "relais/html.h"
#include "relais/quiz.h"
#include "relais/strbuf.h"
#include "relais/utf8.h"

#define QUIZ_VERSION 1
#define ID_MAX 64       /* longest id made from a title */
#define NUMBER_MAX 64   /* longest number or weight, in bytes */
#define ANSWERS_MAX 100 /* answers or pairs in one question */
#define MSG_MAX 512
#define NONE SIZE_MAX

enum fmt { FMT_MOODLE, FMT_HTML, FMT_PLAIN, FMT_MARKDOWN };

/* One character of a question after escapes are decoded; esc marks a
 * character written with a backslash, which is never syntax. */
struct cell {
	unsigned line;
	unsigned char c;
	unsigned char esc;
};

/* Cells [a, b) of the current question. */
struct span {
	size_t a;
	size_t b;
};

/* One answer of an answer set: its marker ('=', '~' or 0 for none). */
struct seg {
	char marker;
	unsigned line;
	struct span body;
};

struct id_seen {
	char id[ID_MAX + 1];
	unsigned line;
};

struct gift {
	relais_diag *diag;
	const char *file;
	cJSON *questions;
	char *category;     /* the last $CATEGORY, or NULL */
	struct cell *cells; /* the question being read */
	size_t ncells;
	size_t capcells;
	unsigned start_line; /* line of the question's first cell */
	int block_bad;       /* a problem was already reported for this question */
	size_t position;     /* 1-based position of the current question */
	struct id_seen *ids;
	size_t nids;
	size_t problems;
};

/*
 * Reports a problem at line. Returns RELAIS_EFORMAT, so a question parser can
 * give up on its question with `rc = problem(...); goto out;`, or
 * RELAIS_ENOMEM.
 */
static int problem(struct gift *g, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int problem(struct gift *g, unsigned line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->problems++;
	if (relais_diag_add(g->diag, g->file, line, "%s", msg) != 0) {
		return RELAIS_ENOMEM;
	}
	return RELAIS_EFORMAT;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Parses a decimal number [+-]digits[.digits][e[+-]digits] (or .digits),
 * whatever the C library's locale. Returns 1 and sets *out, or 0.
 */
static int parse_number(const char *s, size_t n, double *out)
{
	char tmp[NUMBER_MAX + 1];
	const char *dp = localeconv()->decimal_point;
	size_t i = 0;
	size_t digits = 0;
	char *end;
	double v;

	if (n == 0 || n > NUMBER_MAX) {
		return 0;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (tmp[i] == '+' || tmp[i] == '-') {
		i++;
	}
	while (tmp[i] >= '0' && tmp[i] <= '9') {
		i++;
		digits++;
	}
	if (tmp[i] == '.') {
		/* strtod reads the locale's decimal point; it is one byte in every
		 * locale that matters here, else give up rather than misread. */
		if (dp == NULL || strlen(dp) != 1) {
			return 0;
		}
		tmp[i] = dp[0];
		i++;
		while (tmp[i] >= '0' && tmp[i] <= '9') {
			i++;
			digits++;
		}
	}
	if (digits == 0) {
		return 0;
	}
	if (tmp[i] == 'e' || tmp[i] == 'E') {
		i++;
		if (tmp[i] == '+' || tmp[i] == '-') {
			i++;
		}
		if (!(tmp[i] >= '0' && tmp[i] <= '9')) {
			return 0;
		}
		while (tmp[i] >= '0' && tmp[i] <= '9') {
			i++;
		}
	}
	if (i != n) {
		return 0;
	}
	v = strtod(tmp, &end);
	if (end != tmp + n || !isfinite(v)) {
		return 0;
	}
	*out = v;
	return 1;
}

/* ---- cells of the current question ---- */

static int push_cell(struct gift *g, unsigned line, unsigned char c, unsigned char esc)
{
	struct cell *cells;
	size_t cap;

	if (g->ncells == g->capcells) {
		cap = g->capcells ? g->capcells * 2 : 256;
		if (cap > SIZE_MAX / sizeof(*cells)) {
			return RELAIS_ENOMEM;
		}
		cells = realloc(g->cells, cap * sizeof(*cells));
		if (cells == NULL) {
			return RELAIS_ENOMEM;
		}
		g->cells = cells;
		g->capcells = cap;
	}
	g->cells[g->ncells].line = line;
	g->cells[g->ncells].c = c;
	g->cells[g->ncells].esc = esc;
	g->ncells++;
	return 0;
}

/* Is cell i the syntax character c (not escaped)? */
static int is(const struct gift *g, size_t i, char c)
{
	return !g->cells[i].esc && g->cells[i].c == (unsigned char)c;
}

static int space_at(const struct gift *g, size_t i)
{
	return !g->cells[i].esc && is_space(g->cells[i].c);
}

static void trim(const struct gift *g, struct span *s)
{
	while (s->a < s->b && space_at(g, s->a)) {
		s->a++;
	}
	while (s->b > s->a && space_at(g, s->b - 1)) {
		s->b--;
	}
}

static int empty(const struct span *s)
{
	return s->a >= s->b;
}

/* First unescaped c in s, or NONE. */
static size_t find(const struct gift *g, struct span s, char c)
{
	size_t i;

	for (i = s.a; i < s.b; i++) {
		if (is(g, i, c)) {
			return i;
		}
	}
	return NONE;
}

/* First i in s where the unescaped characters c1 c2 start, or NONE. */
static size_t find2(const struct gift *g, struct span s, char c1, char c2)
{
	size_t i;

	for (i = s.a; i + 1 < s.b; i++) {
		if (is(g, i, c1) && is(g, i + 1, c2)) {
			return i;
		}
	}
	return NONE;
}

/* Last start of four unescaped '#' in s, or NONE. */
static size_t find_last_hash4(const struct gift *g, struct span s)
{
	size_t i;

	if (s.b < s.a || s.b - s.a < 4) {
		return NONE;
	}
	for (i = s.b - 4 + 1; i-- > s.a;) {
		if (is(g, i, '#') && is(g, i + 1, '#') && is(g, i + 2, '#') && is(g, i + 3, '#')) {
			return i;
		}
	}
	return NONE;
}

static unsigned line_of(const struct gift *g, size_t i)
{
	return i < g->ncells ? g->cells[i].line : g->start_line;
}

/* Appends the characters of s to b. Returns b->rc. */
static int decode(const struct gift *g, struct span s, struct relais_strbuf *b)
{
	size_t i;
	char c;

	for (i = s.a; i < s.b; i++) {
		c = (char)g->cells[i].c;
		relais_strbuf_addn(b, &c, 1);
	}
	return b->rc;
}

/* The characters of s, trimmed, as a malloc'd string in *out. */
static int span_string(const struct gift *g, struct span s, char **out)
{
	struct relais_strbuf b = {0};

	trim(g, &s);
	(void)decode(g, s, &b);
	*out = relais_strbuf_detach(&b);
	return *out != NULL ? 0 : b.rc;
}

/* ---- text rendering ---- */

static void trim_bytes(const char **s, size_t *n)
{
	while (*n > 0 && is_space((unsigned char)(*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((unsigned char)(*s)[*n - 1])) {
		(*n)--;
	}
}

/* Takes a leading [html], [markdown], [plain] or [moodle] off s. */
static enum fmt take_format(const char **s, size_t *n, enum fmt deflt)
{
	static const struct {
		const char *tag;
		enum fmt fmt;
	} tags[] = {
	        {"[html]", FMT_HTML},
	        {"[markdown]", FMT_MARKDOWN},
	        {"[plain]", FMT_PLAIN},
	        {"[moodle]", FMT_MOODLE},
	};
	size_t i;
	size_t k;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		k = strlen(tags[i].tag);
		if (*n >= k && memcmp(*s, tags[i].tag, k) == 0) {
			*s += k;
			*n -= k;
			return tags[i].fmt;
		}
	}
	return deflt;
}

/* Appends plain text as HTML, each line break as <br>. Returns b->rc. */
static int escape_html(struct relais_strbuf *b, const char *s, size_t n)
{
	const char *nl;

	while ((nl = memchr(s, '\n', n)) != NULL) {
		relais_strbuf_add_htmln(b, s, (size_t)(nl - s));
		relais_strbuf_add(b, "<br>");
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
	relais_strbuf_add_htmln(b, s, n);
	return b->rc;
}

static void md_out(const MD_CHAR *text, MD_SIZE size, void *data)
{
	relais_strbuf_addn(data, text, size);
}

/*
 * Reports a problem at line when html holds markup that readers remove
 * (relais_html_sanitize_quiz): a tag or attribute in [html] text, a
 * javascript: link in [markdown]. What is packed is then always kept
 * whole by the reader. Returns 0, RELAIS_EFORMAT or RELAIS_ENOMEM.
 */
static int check_markup(struct gift *g, unsigned line, const char *html)
{
	struct relais_html_report report;
	char *kept = NULL;
	size_t len = 0;
	int rc;

	rc = relais_html_sanitize_fragment(&kept, &len, &report, NULL, html, strlen(html));
	free(kept);
	if (rc != 0) {
		return rc == RELAIS_ELIMIT ? problem(g, line, "text is too long") : rc;
	}
	if (report.removed > 0) {
		return problem(g, line, "text holds %s, which readers remove%s", report.first,
		               strstr(report.first, ": link") != NULL
		                       ? " (only http, https, mailto and course links)"
		                       : "");
	}
	return 0;
}

/*
 * Renders n bytes of decoded text (a leading format tag already taken off)
 * as HTML into a malloc'd *out: escaped for plain and moodle, CommonMark
 * without raw HTML for markdown, as written for html; markup that readers
 * remove is a problem at line.
 */
static int render(struct gift *g, unsigned line, const char *s, size_t n, enum fmt fmt, char **out)
{
	struct relais_strbuf b = {0};
	int rc = 0;

	*out = NULL;
	trim_bytes(&s, &n);
	switch (fmt) {
	case FMT_HTML:
		relais_strbuf_addn(&b, s, n);
		rc = b.rc;
		break;
	case FMT_MARKDOWN:
		if (n > 0 && md_html(s, (MD_SIZE)n, md_out, &b,
		                     MD_DIALECT_COMMONMARK | MD_FLAG_NOHTML, 0) != 0) {
			rc = b.rc ? b.rc : RELAIS_ENOMEM;
		} else {
			rc = b.rc;
		}
		while (rc == 0 && b.len > 0 && is_space((unsigned char)b.p[b.len - 1])) {
			b.p[--b.len] = '\0';
		}
		break;
	case FMT_PLAIN:
	case FMT_MOODLE:
		rc = escape_html(&b, s, n);
		break;
	}
	if (rc == 0 && (fmt == FMT_HTML || fmt == FMT_MARKDOWN)) {
		rc = check_markup(g, line, b.p != NULL ? b.p : "");
	}
	if (rc == 0) {
		*out = relais_strbuf_detach(&b);
		rc = *out != NULL ? 0 : b.rc;
	}
	relais_strbuf_free(&b);
	return rc;
}

/*
 * Renders the text in cells s, which may start with its own format tag, else
 * is in deflt. Sets *out to the malloc'd HTML ("" for no text).
 */
static int span_html(struct gift *g, struct span s, enum fmt deflt, char **out)
{
	struct relais_strbuf b = {0};
	const char *p;
	size_t n;
	enum fmt fmt;
	int rc;

	*out = NULL;
	trim(g, &s);
	relais_strbuf_addn(&b, "", 0); /* p is never NULL below, even for no text */
	rc = decode(g, s, &b);
	if (rc != 0) {
		goto out;
	}
	p = b.p;
	n = b.len;
	fmt = take_format(&p, &n, deflt);
	rc = render(g, line_of(g, s.a), p, n, fmt, out);
out:
	relais_strbuf_free(&b);
	return rc;
}

/* ---- JSON helpers ---- */

static int add_str(cJSON *obj, const char *key, const char *val)
{
	return cJSON_AddStringToObject(obj, key, val) ? 0 : RELAIS_ENOMEM;
}

/* Adds val and frees it. */
static int add_own_str(cJSON *obj, const char *key, char *val)
{
	int rc = add_str(obj, key, val);

	free(val);
	return rc;
}

static int add_num(cJSON *obj, const char *key, double val)
{
	return cJSON_AddNumberToObject(obj, key, val) ? 0 : RELAIS_ENOMEM;
}

static int add_bool(cJSON *obj, const char *key, int val)
{
	return cJSON_AddBoolToObject(obj, key, val ? 1 : 0) ? 0 : RELAIS_ENOMEM;
}

static int add_str_or_null(cJSON *obj, const char *key, const char *val)
{
	if (val == NULL) {
		return cJSON_AddNullToObject(obj, key) ? 0 : RELAIS_ENOMEM;
	}
	return add_str(obj, key, val);
}

/* Adds a new object to array arr; *out is borrowed from arr. */
static int push_object(cJSON *arr, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();

	*out = NULL;
	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return RELAIS_ENOMEM;
	}
	*out = o;
	return 0;
}

static int add_array(cJSON *obj, const char *key, cJSON **out)
{
	*out = cJSON_AddArrayToObject(obj, key);
	return *out ? 0 : RELAIS_ENOMEM;
}

/* ---- answer sets ---- */

/*
 * Splits s at each unescaped marker character into *out (malloc'd, *n
 * entries); *lead gets the text before the first marker. Returns 0, a
 * problem status past ANSWERS_MAX, or RELAIS_ENOMEM.
 */
static int split(struct gift *g, struct span s, const char *markers, struct seg **out, size_t *n,
                 struct span *lead)
{
	struct seg *segs = NULL;
	size_t count = 0;
	size_t i;
	size_t k;

	*out = NULL;
	*n = 0;
	for (i = s.a; i < s.b; i++) {
		if (!g->cells[i].esc && g->cells[i].c != 0 && strchr(markers, g->cells[i].c)) {
			count++;
		}
	}
	lead->a = s.a;
	lead->b = s.b;
	if (count > ANSWERS_MAX) {
		return problem(g, g->start_line, "more than %d answers in one question",
		               ANSWERS_MAX);
	}
	if (count == 0) {
		return 0;
	}
	segs = calloc(count, sizeof(*segs));
	if (segs == NULL) {
		return RELAIS_ENOMEM;
	}
	k = 0;
	for (i = s.a; i < s.b; i++) {
		if (!g->cells[i].esc && g->cells[i].c != 0 && strchr(markers, g->cells[i].c)) {
			if (k == 0) {
				lead->b = i;
			} else {
				segs[k - 1].body.b = i;
			}
			segs[k].marker = (char)g->cells[i].c;
			segs[k].line = g->cells[i].line;
			segs[k].body.a = i + 1;
			segs[k].body.b = s.b;
			k++;
		}
	}
	*out = segs;
	*n = count;
	return 0;
}

/*
 * Reads an optional leading weight "%n%" off body, n a percentage from lo to
 * hi. Sets *has and *fraction (n / 100). Returns 0 or a problem status.
 */
static int take_weight(struct gift *g, struct seg *sg, double lo, double hi, int *has,
                       double *fraction)
{
	struct span *body = &sg->body;
	char num[NUMBER_MAX];
	size_t i;
	size_t n = 0;
	unsigned char c;
	double pct;

	*has = 0;
	trim(g, body);
	if (body->b - body->a < 2 || !is(g, body->a, '%')) {
		return 0;
	}
	c = g->cells[body->a + 1].c;
	if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))) {
		return 0;
	}
	for (i = body->a + 1; i < body->b && !is(g, i, '%'); i++) {
		if (n == sizeof(num)) {
			return problem(g, sg->line, "answer weight is too long");
		}
		num[n++] = (char)g->cells[i].c;
	}
	if (i >= body->b) {
		return problem(g, sg->line, "answer weight has no closing '%%'");
	}
	if (!parse_number(num, n, &pct)) {
		return problem(g, sg->line,
		               "bad answer weight '%%%.*s%%': write a percentage like %%50%%",
		               (int)n, num);
	}
	if (pct < lo || pct > hi) {
		return problem(g, sg->line, "answer weight %g%% is outside %g%% to %g%%", pct, lo,
		               hi);
	}
	body->a = i + 1;
	*has = 1;
	*fraction = pct / 100.0;
	return 0;
}

/* Splits body at its first unescaped '#' into text and feedback. */
static void split_feedback(const struct gift *g, struct span body, struct span *text,
                           struct span *feedback)
{
	size_t h = find(g, body, '#');

	*text = body;
	feedback->a = body.b;
	feedback->b = body.b;
	if (h != NONE) {
		text->b = h;
		feedback->a = h + 1;
	}
	trim(g, text);
	trim(g, feedback);
}

/*
 * Reads an answer worth 0 to 100% (100% without a weight) and splits it from
 * its feedback; empty_msg is the problem for an empty answer.
 */
static int weighted_answer(struct gift *g, struct seg *sg, const char *empty_msg, double *fraction,
                           struct span *text, struct span *fb)
{
	int has;
	int rc;

	rc = take_weight(g, sg, 0, 100, &has, fraction);
	if (rc != 0) {
		return rc;
	}
	if (!has) {
		*fraction = 1;
	}
	split_feedback(g, sg->body, text, fb);
	return empty(text) ? problem(g, sg->line, "%s", empty_msg) : 0;
}

/* Adds an answer's "fraction" and "feedback_html" to a. */
static int add_fraction_feedback(struct gift *g, cJSON *a, double fraction, struct span fb,
                                 enum fmt fmt)
{
	char *html = NULL;
	int rc;

	rc = add_num(a, "fraction", fraction);
	if (rc == 0) {
		rc = span_html(g, fb, fmt, &html);
	}
	if (rc == 0) {
		rc = add_own_str(a, "feedback_html", html);
	}
	return rc;
}

static int parse_multichoice(struct gift *g, cJSON *q, struct span ans, enum fmt fmt)
{
	struct seg *segs = NULL;
	struct span lead;
	struct span text;
	struct span fb;
	cJSON *arr;
	cJSON *a;
	char *html = NULL;
	size_t n = 0;
	size_t i;
	int single = 0;
	int has;
	double fraction;
	double sum = 0;
	int rc;

	rc = split(g, ans, "=~", &segs, &n, &lead);
	if (rc != 0) {
		goto out;
	}
	trim(g, &lead);
	if (!empty(&lead)) {
		rc = problem(g, line_of(g, lead.a),
		             "text before the first answer: answers start with '=' or '~'");
		goto out;
	}
	for (i = 0; i < n; i++) {
		single |= segs[i].marker == '=';
	}
	rc = add_bool(q, "single", single);
	if (rc == 0) {
		rc = add_array(q, "answers", &arr);
	}
	if (rc != 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = take_weight(g, &segs[i], -100, 100, &has, &fraction);
		if (rc != 0) {
			goto out;
		}
		if (segs[i].marker == '=') {
			if (has) {
				rc = problem(
				        g, segs[i].line,
				        "'=' marks a right answer; write '~%%50%%' for a weight");
				goto out;
			}
			fraction = 1;
		} else if (!has) {
			fraction = 0;
		}
		split_feedback(g, segs[i].body, &text, &fb);
		if (empty(&text)) {
			rc = problem(g, segs[i].line, "empty answer after '%c'", segs[i].marker);
			goto out;
		}
		if (fraction > 0) {
			sum += fraction;
		}
		rc = push_object(arr, &a);
		if (rc == 0) {
			rc = span_html(g, text, fmt, &html);
		}
		if (rc == 0 && html[0] == '\0') {
			rc = problem(g, segs[i].line, "empty answer after '%c'", segs[i].marker);
		}
		if (rc == 0) {
			rc = add_own_str(a, "text_html", html);
			html = NULL;
		}
		if (rc == 0) {
			rc = add_fraction_feedback(g, a, fraction, fb, fmt);
		}
		if (rc != 0) {
			goto out;
		}
	}
	if (n < 2) {
		rc = problem(g, g->start_line, "multiple choice needs at least 2 answers");
	} else if (!single && sum <= 0) {
		rc = problem(g, g->start_line,
		             "no correct answer: mark one with '=' or give weights like '~%%50%%'");
	} else if (!single && fabs(sum - 1.0) >= 0.005) {
		rc = problem(g, g->start_line, "right answers' weights add up to %g%%, not 100%%",
		             sum * 100);
	}
out:
	free(html);
	free(segs);
	return rc;
}

static int parse_truefalse(struct gift *g, cJSON *q, struct span ans, enum fmt fmt, int answer)
{
	struct span wrong = {ans.b, ans.b};
	struct span right = {ans.b, ans.b};
	size_t h1 = find(g, ans, '#');
	size_t h2 = NONE;
	size_t h3 = NONE;
	char *wrong_html = NULL;
	char *right_html = NULL;
	int rc;

	if (h1 != NONE) {
		h2 = find(g, (struct span){h1 + 1, ans.b}, '#');
		wrong.a = h1 + 1;
		if (h2 != NONE) {
			wrong.b = h2;
			right.a = h2 + 1;
			h3 = find(g, (struct span){h2 + 1, ans.b}, '#');
		}
	}
	if (h3 != NONE) {
		rc = problem(g, line_of(g, h3),
		             "true/false takes at most two feedbacks: '#if wrong#if right'");
		goto out;
	}
	rc = span_html(g, wrong, fmt, &wrong_html);
	if (rc == 0) {
		rc = span_html(g, right, fmt, &right_html);
	}
	if (rc == 0) {
		rc = add_bool(q, "answer", answer);
	}
	/* The feedback for choosing true is the "right" one when true is right. */
	if (rc == 0) {
		rc = add_str(q, "feedback_true_html", answer ? right_html : wrong_html);
	}
	if (rc == 0) {
		rc = add_str(q, "feedback_false_html", answer ? wrong_html : right_html);
	}
out:
	free(right_html);
	free(wrong_html);
	return rc;
}

static int parse_shortanswer(struct gift *g, cJSON *q, struct span ans, enum fmt fmt)
{
	struct seg *segs = NULL;
	struct span lead;
	struct span text;
	struct span fb;
	cJSON *arr;
	cJSON *a;
	char *s = NULL;
	size_t n = 0;
	size_t i;
	int full = 0;
	double fraction;
	int rc;

	rc = split(g, ans, "=", &segs, &n, &lead);
	if (rc != 0) {
		goto out;
	}
	trim(g, &lead);
	if (!empty(&lead)) {
		rc = problem(g, line_of(g, lead.a),
		             "answers start with '=' or '~' (true/false is T, TRUE, F or FALSE)");
		goto out;
	}
	rc = add_bool(q, "case_sensitive", 0);
	if (rc == 0) {
		rc = add_array(q, "answers", &arr);
	}
	if (rc != 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = weighted_answer(g, &segs[i], "empty answer after '='", &fraction, &text, &fb);
		if (rc != 0) {
			goto out;
		}
		full |= fraction == 1;
		if (find(g, text, '*') != NONE) {
			rc = problem(g, segs[i].line,
			             "'*' wildcards are not supported in short answers");
			goto out;
		}
		rc = push_object(arr, &a);
		if (rc == 0) {
			rc = span_string(g, text, &s);
		}
		if (rc == 0) {
			rc = add_own_str(a, "text", s);
			s = NULL;
		}
		if (rc == 0) {
			rc = add_fraction_feedback(g, a, fraction, fb, fmt);
		}
		if (rc != 0) {
			goto out;
		}
	}
	if (!full) {
		rc = problem(g, g->start_line, "no correct answer: none is worth 100%%");
	}
out:
	free(s);
	free(segs);
	return rc;
}

/* Reads "value", "value:tolerance" or "min..max" into [*lo, *hi]. */
static int numeric_answer(struct gift *g, const struct seg *sg, struct span text, double *lo,
                          double *hi)
{
	struct relais_strbuf b = {0};
	const char *s;
	const char *sep;
	size_t n;
	double v;
	double t;
	int rc;

	relais_strbuf_addn(&b, "", 0); /* p is never NULL below, even for no text */
	rc = decode(g, text, &b);
	if (rc != 0) {
		goto out;
	}
	s = b.p;
	n = b.len;
	sep = strstr(s, "..");
	if (sep != NULL && sep > s) {
		const char *m = s;
		size_t mn = (size_t)(sep - s);
		const char *x = sep + 2;
		size_t xn = n - mn - 2;

		trim_bytes(&m, &mn);
		trim_bytes(&x, &xn);
		if (!parse_number(m, mn, lo) || !parse_number(x, xn, hi)) {
			rc = problem(g, sg->line, "bad numeric range '%.60s': write it like 1..5",
			             s);
		} else if (*lo > *hi) {
			rc = problem(g, sg->line, "numeric range '%.60s' ends below its start", s);
		}
		goto out;
	}
	sep = strchr(s, ':');
	if (sep != NULL && sep > s) {
		const char *m = s;
		size_t mn = (size_t)(sep - s);
		const char *x = sep + 1;
		size_t xn = n - mn - 1;

		trim_bytes(&m, &mn);
		trim_bytes(&x, &xn);
		if (!parse_number(m, mn, &v) || !parse_number(x, xn, &t)) {
			rc = problem(g, sg->line,
			             "bad numeric answer '%.60s': write it like 3.14:0.01", s);
		} else if (t < 0) {
			rc = problem(g, sg->line, "negative tolerance in '%.60s'", s);
		} else if (!isfinite(v - t) || !isfinite(v + t)) {
			rc = problem(g, sg->line, "numeric answer '%.60s' is out of range", s);
		} else {
			*lo = v - t;
			*hi = v + t;
		}
		goto out;
	}
	if (!parse_number(s, n, &v)) {
		rc = problem(g, sg->line, "bad numeric answer '%.60s': write a number like 3.14",
		             s);
		goto out;
	}
	*lo = v;
	*hi = v;
out:
	relais_strbuf_free(&b);
	return rc;
}

static int parse_numerical(struct gift *g, cJSON *q, struct span ans, enum fmt fmt)
{
	struct seg *segs = NULL;
	struct seg *all = NULL;
	struct span lead;
	struct span text;
	struct span fb;
	struct span other = {0, 0};
	cJSON *arr;
	cJSON *a;
	char *s = NULL;
	size_t n = 0;
	size_t count = 0;
	size_t i;
	int full = 0;
	double fraction;
	double lo = 0;
	double hi = 0;
	int rc;

	ans.a++; /* the '#' */
	rc = split(g, ans, "=~", &segs, &n, &lead);
	if (rc != 0) {
		goto out;
	}
	/* The first answer may go without '='. */
	all = calloc(n + 1, sizeof(*all));
	if (all == NULL) {
		rc = RELAIS_ENOMEM;
		goto out;
	}
	trim(g, &lead);
	if (!empty(&lead)) {
		all[count].marker = 0;
		all[count].line = g->cells[lead.a].line;
		all[count].body = lead;
		count++;
	}
	for (i = 0; i < n; i++) {
		if (segs[i].marker == '~') {
			if (i + 1 != n) {
				rc = problem(g, segs[i].line,
				             "'~' must come last in a numerical question, followed "
				             "only by "
				             "'#feedback' for other answers");
				goto out;
			}
			other = segs[i].body;
			trim(g, &other);
			if (!empty(&other)) {
				if (!is(g, other.a, '#')) {
					rc = problem(g, segs[i].line,
					             "after '~' a numerical question takes only "
					             "'#feedback'");
					goto out;
				}
				other.a++;
			}
		} else {
			all[count++] = segs[i];
		}
	}
	if (count == 0) {
		rc = problem(g, g->start_line, "numerical question has no answers");
		goto out;
	}
	rc = add_array(q, "answers", &arr);
	if (rc != 0) {
		goto out;
	}
	for (i = 0; i < count; i++) {
		rc = weighted_answer(g, &all[i], "empty numerical answer", &fraction, &text, &fb);
		if (rc != 0) {
			goto out;
		}
		full |= fraction == 1;
		rc = numeric_answer(g, &all[i], text, &lo, &hi);
		if (rc == 0) {
			rc = push_object(arr, &a);
		}
		if (rc == 0) {
			rc = add_num(a, "min", lo);
		}
		if (rc == 0) {
			rc = add_num(a, "max", hi);
		}
		if (rc == 0) {
			rc = add_fraction_feedback(g, a, fraction, fb, fmt);
		}
		if (rc != 0) {
			goto out;
		}
	}
	rc = span_html(g, other, fmt, &s);
	if (rc == 0) {
		rc = add_own_str(q, "other_feedback_html", s);
		s = NULL;
	}
	if (rc == 0 && !full) {
		rc = problem(g, g->start_line, "no correct answer: none is worth 100%%");
	}
out:
	free(s);
	free(all);
	free(segs);
	return rc;
}

static int parse_matching(struct gift *g, cJSON *q, struct span ans, enum fmt fmt)
{
	struct seg *segs = NULL;
	struct span lead;
	struct span left;
	struct span right;
	cJSON *pairs;
	cJSON *choices;
	cJSON *p;
	cJSON *c;
	char *html = NULL;
	char *s = NULL;
	size_t n = 0;
	size_t rows = 0;
	size_t i;
	size_t arrow;
	int seen;
	int rc;

	rc = split(g, ans, "=", &segs, &n, &lead);
	if (rc != 0) {
		goto out;
	}
	trim(g, &lead);
	if (!empty(&lead)) {
		rc = problem(g, line_of(g, lead.a),
		             "text before the first pair: pairs start with '='");
		goto out;
	}
	rc = add_array(q, "pairs", &pairs);
	if (rc == 0) {
		rc = add_array(q, "choices", &choices);
	}
	if (rc != 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (find(g, segs[i].body, '#') != NONE) {
			rc = problem(g, segs[i].line, "matching pairs take no '#' feedback");
			goto out;
		}
		arrow = find2(g, segs[i].body, '-', '>');
		if (arrow == NONE) {
			rc = problem(g, segs[i].line, "matching pair needs 'left -> right'");
			goto out;
		}
		left = (struct span){segs[i].body.a, arrow};
		right = (struct span){arrow + 2, segs[i].body.b};
		trim(g, &right);
		if (empty(&right)) {
			rc = problem(g, segs[i].line, "matching pair has nothing after '->'");
			goto out;
		}
		rc = span_html(g, left, fmt, &html);
		if (rc == 0) {
			rc = span_string(g, right, &s);
		}
		if (rc != 0) {
			goto out;
		}
		if (html[0] != '\0') {
			rows++;
		}
		seen = 0;
		cJSON_ArrayForEach(c, choices)
		{
			seen |= strcmp(cJSON_GetStringValue(c), s) == 0;
		}
		if (!seen) {
			c = cJSON_CreateString(s);
			if (c == NULL || !cJSON_AddItemToArray(choices, c)) {
				cJSON_Delete(c);
				rc = RELAIS_ENOMEM;
				goto out;
			}
		}
		rc = push_object(pairs, &p);
		if (rc == 0) {
			rc = add_own_str(p, "question_html", html);
			html = NULL;
		}
		if (rc == 0) {
			rc = add_own_str(p, "answer", s);
			s = NULL;
		}
		if (rc != 0) {
			goto out;
		}
	}
	if (rows < 2) {
		rc = problem(g, g->start_line,
		             "matching needs at least 2 pairs, each written '=left -> right'");
	}
out:
	free(s);
	free(html);
	free(segs);
	return rc;
}

/* ---- questions ---- */

/*
 * Makes the question's id from its title, else "q<position>". Accented
 * letters keep their base letter ("Délai" gives "delai"): the title is
 * decomposed (NFKD) and its combining marks (U+0300-U+036F) dropped.
 */
static void make_id(const char *title, size_t position, char *id, size_t size)
{
	uint8_t *nfkd = NULL;
	const char *t = title;
	size_t n = 0, len = 0;
	size_t i;
	unsigned char c;

	assert(size > ID_MAX);
	if (title != NULL) {
		nfkd = u8_normalize(UNINORM_NFKD, (const uint8_t *)title, strlen(title), NULL,
		                    &len);
		if (nfkd != NULL) {
			t = (const char *)nfkd;
		} else {
			len = strlen(title); /* out of memory: slug the bytes as they are */
		}
	}
	for (i = 0; t != NULL && i < len && n < ID_MAX; i++) {
		c = (unsigned char)t[i];
		if (i + 1 < len && ((c == 0xCC && (unsigned char)t[i + 1] >= 0x80) ||
		                    (c == 0xCD && (unsigned char)t[i + 1] <= 0xAF))) {
			i++; /* a combining mark: part of the letter before */
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			id[n++] = (char)c;
		} else if (c >= 'A' && c <= 'Z') {
			id[n++] = (char)(c - 'A' + 'a');
		} else if (n > 0 && id[n - 1] != '-') {
			id[n++] = '-';
		}
	}
	free(nfkd);
	while (n > 0 && id[n - 1] == '-') {
		n--;
	}
	id[n] = '\0';
	if (n == 0) {
		(void)snprintf(id, size, "q%zu", position);
	}
}

/* Records id, or reports it as a duplicate. */
static int claim_id(struct gift *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->nids; i++) {
		if (strcmp(g->ids[i].id, id) == 0) {
			return problem(
			        g, g->start_line,
			        "duplicate question id '%s' (first used on line %u); give the "
			        "question a different title",
			        id, g->ids[i].line);
		}
	}
	assert(g->nids < RELAIS_GIFT_MAX_QUESTIONS);
	(void)snprintf(g->ids[g->nids].id, sizeof(g->ids[g->nids].id), "%s", id);
	g->ids[g->nids].line = g->start_line;
	g->nids++;
	return 0;
}

/*
 * Renders the question text: the cells before the answer set and, for a
 * missing-word question, a blank and the cells after it.
 */
static int question_text(struct gift *g, struct span before, struct span after, int missing,
                         enum fmt *fmt, char **out)
{
	struct relais_strbuf b = {0};
	const char *p;
	size_t n;
	size_t skip;
	int rc;

	*out = NULL;
	while (before.a < before.b && space_at(g, before.a)) {
		before.a++;
	}
	relais_strbuf_addn(&b, "", 0); /* p is never NULL below, even for no text */
	rc = decode(g, before, &b);
	if (rc != 0) {
		goto out;
	}
	p = b.p;
	n = b.len;
	*fmt = take_format(&p, &n, FMT_MOODLE);
	skip = (size_t)(p - b.p);
	if (missing) {
		/* Underscores would be emphasis or a rule in markdown. */
		relais_strbuf_add(&b, *fmt == FMT_MARKDOWN ? "\\_\\_\\_\\_\\_" : "_____");
		rc = decode(g, after, &b);
		if (rc != 0) {
			goto out;
		}
	}
	p = b.p + skip;
	n = b.len - skip;
	trim_bytes(&p, &n);
	if (n == 0) {
		rc = problem(g, g->start_line, "question has no text");
		goto out;
	}
	rc = render(g, g->start_line, p, n, *fmt, out);
	if (rc == 0 && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		rc = problem(g, g->start_line, "question has no text");
	}
out:
	relais_strbuf_free(&b);
	return rc;
}

enum qtype {
	Q_DESCRIPTION,
	Q_ESSAY,
	Q_MULTICHOICE,
	Q_TRUEFALSE,
	Q_SHORTANSWER,
	Q_NUMERICAL,
	Q_MATCHING
};

static const char *qtype_name(enum qtype t)
{
	switch (t) {
	case Q_DESCRIPTION:
		return "description";
	case Q_ESSAY:
		return "essay";
	case Q_MULTICHOICE:
		return "multichoice";
	case Q_TRUEFALSE:
		return "truefalse";
	case Q_SHORTANSWER:
		return "shortanswer";
	case Q_NUMERICAL:
		return "numerical";
	case Q_MATCHING:
		return "matching";
	}
	return "description";
}

/* Tells the question type from its answer set, as Moodle does. */
static enum qtype answer_type(const struct gift *g, struct span ans, int *tf_answer)
{
	struct span head = ans;
	size_t h;
	size_t n;
	char word[6];
	size_t i;

	if (empty(&ans)) {
		return Q_ESSAY;
	}
	if (is(g, ans.a, '#')) {
		return Q_NUMERICAL;
	}
	if (find(g, ans, '~') != NONE) {
		return Q_MULTICHOICE;
	}
	if (find(g, ans, '=') != NONE && find2(g, ans, '-', '>') != NONE) {
		return Q_MATCHING;
	}
	h = find(g, ans, '#');
	if (h != NONE) {
		head.b = h;
	}
	trim(g, &head);
	n = head.b > head.a ? head.b - head.a : 0;
	if (n == 0 || n >= sizeof(word)) {
		return Q_SHORTANSWER;
	}
	for (i = 0; i < n; i++) {
		if (g->cells[head.a + i].esc) {
			return Q_SHORTANSWER;
		}
		word[i] = (char)g->cells[head.a + i].c;
	}
	word[n] = '\0';
	if (strcmp(word, "T") == 0 || strcmp(word, "TRUE") == 0) {
		*tf_answer = 1;
		return Q_TRUEFALSE;
	}
	if (strcmp(word, "F") == 0 || strcmp(word, "FALSE") == 0) {
		*tf_answer = 0;
		return Q_TRUEFALSE;
	}
	return Q_SHORTANSWER;
}

/* Parses the cells of one question and appends it to g->questions. */
static int parse_question(struct gift *g)
{
	struct span all = {0, g->ncells};
	struct span before;
	struct span after = {0, 0};
	struct span ans = {0, 0};
	struct span gf = {0, 0};
	char id[ID_MAX + 1];
	char *title = NULL;
	char *html = NULL;
	cJSON *q = NULL;
	size_t open;
	size_t close;
	size_t end;
	size_t i;
	enum qtype type = Q_DESCRIPTION;
	enum fmt fmt = FMT_MOODLE;
	int tf_answer = 0;
	int missing = 0;
	int rc = 0;

	trim(g, &all);
	if (find2(g, all, ':', ':') == all.a && !empty(&all)) {
		struct span t = {all.a + 2, all.b};

		end = find2(g, t, ':', ':');
		if (end == NONE) {
			rc = problem(g, g->start_line, "question title is not closed with '::'");
			goto out;
		}
		t.b = end;
		trim(g, &t);
		if (empty(&t)) {
			rc = problem(g, g->start_line, "empty question title");
			goto out;
		}
		rc = span_string(g, t, &title);
		if (rc != 0) {
			goto out;
		}
		all.a = end + 2;
		trim(g, &all);
	}
	make_id(title, g->position, id, sizeof(id));
	rc = claim_id(g, id);
	if (rc != 0) {
		goto out;
	}

	open = find(g, all, '{');
	close = find(g, all, '}');
	if (close != NONE && (open == NONE || close < open)) {
		rc = problem(g, line_of(g, close), "'}' without a matching '{'");
		goto out;
	}
	before = all;
	if (open != NONE) {
		if (close == NONE) {
			rc = problem(g, line_of(g, open), "'{' is never closed");
			goto out;
		}
		i = find(g, (struct span){open + 1, close}, '{');
		if (i != NONE) {
			rc = problem(g, line_of(g, open), "'{' is not closed before the next '{'");
			goto out;
		}
		after = (struct span){close + 1, all.b};
		i = find(g, after, '{');
		if (i == NONE) {
			i = find(g, after, '}');
		}
		if (i != NONE) {
			rc = problem(
			        g, line_of(g, i),
			        "a question has only one answer set: separate questions with a "
			        "blank line, write \\{ and \\} for braces");
			goto out;
		}
		before.b = open;
		ans = after;
		trim(g, &ans);
		missing = !empty(&ans);
		ans = (struct span){open + 1, close};
		i = find_last_hash4(g, ans);
		if (i != NONE) {
			gf = (struct span){i + 4, ans.b};
			ans.b = i;
		}
		trim(g, &ans);
		type = answer_type(g, ans, &tf_answer);
	}

	rc = question_text(g, before, after, missing, &fmt, &html);
	if (rc != 0) {
		goto out;
	}
	q = cJSON_CreateObject();
	if (q == NULL) {
		rc = RELAIS_ENOMEM;
		goto out;
	}
	rc = add_str(q, "id", id);
	if (rc == 0) {
		rc = add_str(q, "type", qtype_name(type));
	}
	if (rc == 0) {
		rc = add_bool(q, "scored", type != Q_DESCRIPTION && type != Q_ESSAY);
	}
	if (rc == 0) {
		rc = add_str_or_null(q, "title", title);
	}
	if (rc == 0) {
		rc = add_str_or_null(q, "category", g->category);
	}
	if (rc == 0) {
		rc = add_own_str(q, "text_html", html);
		html = NULL;
	}
	if (rc == 0) {
		rc = add_bool(q, "missing_word", missing);
	}
	if (rc == 0) {
		rc = span_html(g, gf, fmt, &html);
	}
	if (rc == 0) {
		rc = add_own_str(q, "general_feedback_html", html);
		html = NULL;
	}
	if (rc != 0) {
		goto out;
	}
	switch (type) {
	case Q_DESCRIPTION:
	case Q_ESSAY:
		break;
	case Q_MULTICHOICE:
		rc = parse_multichoice(g, q, ans, fmt);
		break;
	case Q_TRUEFALSE:
		rc = parse_truefalse(g, q, ans, fmt, tf_answer);
		break;
	case Q_SHORTANSWER:
		rc = parse_shortanswer(g, q, ans, fmt);
		break;
	case Q_NUMERICAL:
		rc = parse_numerical(g, q, ans, fmt);
		break;
	case Q_MATCHING:
		rc = parse_matching(g, q, ans, fmt);
		break;
	}
	if (rc != 0) {
		goto out;
	}
	if (!cJSON_AddItemToArray(g->questions, q)) {
		rc = RELAIS_ENOMEM;
		goto out;
	}
	q = NULL;
out:
	cJSON_Delete(q);
	free(html);
	free(title);
	return rc;
}

/* Ends the current question, if any. Returns 0, RELAIS_ELIMIT or RELAIS_ENOMEM. */
static int flush(struct gift *g)
{
	int rc = 0;

	if (g->ncells == 0) {
		return 0;
	}
	g->position++;
	if (g->position > RELAIS_GIFT_MAX_QUESTIONS) {
		rc = problem(g, g->start_line, "more than %d questions in one quiz",
		             RELAIS_GIFT_MAX_QUESTIONS);
		if (rc == RELAIS_EFORMAT) {
			rc = RELAIS_ELIMIT;
		}
		goto out;
	}
	if (!g->block_bad) {
		rc = parse_question(g);
	}
	if (rc == RELAIS_EFORMAT) {
		rc = 0;
	}
out:
	g->ncells = 0;
	g->block_bad = 0;
	return rc;
}

/* Adds one line of question text, decoding its escapes. */
static int add_line(struct gift *g, unsigned line, const char *s, size_t n)
{
	size_t i;
	unsigned char c;
	unsigned char d;
	int rc;

	if (g->ncells == 0) {
		g->start_line = line;
	} else {
		rc = push_cell(g, line, '\n', 0);
		if (rc != 0) {
			return rc;
		}
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c != '\\') {
			rc = push_cell(g, line, c, 0);
		} else if (i + 1 < n && strchr("\\~=#{}:n", s[i + 1]) != NULL && s[i + 1] != 0) {
			d = (unsigned char)s[++i];
			rc = push_cell(g, line, d == 'n' ? '\n' : d, 1);
		} else {
			if (g->block_bad) {
				rc = 0;
			} else if (i + 1 >= n) {
				rc = problem(g, line,
				             "'\\' at the end of a line (write \\\\ for one)");
			} else if (s[i + 1] > ' ' && s[i + 1] < 0x7f) {
				rc = problem(g, line,
				             "unknown escape '\\%c' (write \\\\ for a backslash)",
				             s[i + 1]);
			} else {
				rc = problem(g, line,
				             "unknown escape after '\\' (write \\\\ for one)");
			}
			g->block_bad = 1;
			if (rc == RELAIS_EFORMAT) {
				rc = push_cell(g, line, c, 0);
			}
		}
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static int set_category(struct gift *g, unsigned line, const char *s, size_t n)
{
	char *cat;

	trim_bytes(&s, &n);
	if (n == 0) {
		return problem(g, line, "empty $CATEGORY");
	}
	cat = malloc(n + 1);
	if (cat == NULL) {
		return RELAIS_ENOMEM;
	}
	memcpy(cat, s, n);
	cat[n] = '\0';
	free(g->category);
	g->category = cat;
	return 0;
}

/* Takes one line (without its newline). */
static int take_line(struct gift *g, unsigned line, const char *s, size_t n)
{
	static const char cat[] = "$CATEGORY:";
	size_t lead = 0;

	if (n > 0 && s[n - 1] == '\r') {
		n--;
	}
	while (lead < n && is_space((unsigned char)s[lead])) {
		lead++;
	}
	if (lead == n) {
		return flush(g);
	}
	if (n - lead >= 2 && s[lead] == '/' && s[lead + 1] == '/') {
		return 0;
	}
	if (!relais_utf8_valid(s, n)) {
		int rc = problem(g, line, "text is not valid UTF-8 or holds a NUL byte");

		if (rc != RELAIS_EFORMAT) {
			return rc;
		}
		/* The line still counts, so the question is not split here. */
		if (g->ncells == 0) {
			g->start_line = line;
		}
		g->block_bad = 1;
		return push_cell(g, line, ' ', 0);
	}
	if (g->ncells == 0 && n - lead >= sizeof(cat) - 1 &&
	    memcmp(s + lead, cat, sizeof(cat) - 1) == 0) {
		return set_category(g, line, s + lead + sizeof(cat) - 1,
		                    n - lead - sizeof(cat) + 1);
	}
	return add_line(g, line, s, n);
}

int relais_gift_to_json(char **out_json, relais_diag *diag, const char *file, const char *text,
                        size_t len)
{
	struct gift g = {0};
	cJSON *doc = NULL;
	size_t pos = 0;
	size_t end;
	const char *nl;
	unsigned line = 0;
	int rc = 0;

	assert(out_json != NULL && diag != NULL && file != NULL);
	assert(text != NULL || len == 0);
	*out_json = NULL;
	g.diag = diag;
	g.file = file;
	if (len > RELAIS_GIFT_MAX_BYTES) {
		rc = problem(&g, 0, "quiz is %zu bytes, more than the limit of %d", len,
		             RELAIS_GIFT_MAX_BYTES);
		if (rc == RELAIS_EFORMAT) {
			rc = RELAIS_ELIMIT;
		}
		goto out;
	}
	g.ids = calloc(RELAIS_GIFT_MAX_QUESTIONS, sizeof(*g.ids));
	doc = cJSON_CreateObject();
	if (g.ids == NULL || doc == NULL) {
		rc = RELAIS_ENOMEM;
		goto out;
	}
	rc = add_str(doc, "format", RELAIS_QUIZ_FORMAT);
	if (rc == 0) {
		rc = add_num(doc, "version", QUIZ_VERSION);
	}
	if (rc == 0) {
		rc = add_array(doc, "questions", &g.questions);
	}
	if (rc != 0) {
		goto out;
	}
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		pos = 3;
	}
	while (pos < len && rc == 0) {
		nl = memchr(text + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - text) : len;
		rc = take_line(&g, ++line, text + pos, end - pos);
		if (rc == RELAIS_EFORMAT) {
			rc = 0;
		}
		pos = end + 1;
	}
	if (rc == 0) {
		rc = flush(&g);
	}
	if (rc != 0) {
		goto out;
	}
	if (g.position == 0) {
		rc = problem(&g, 0, "no questions");
		if (rc != RELAIS_EFORMAT) {
			goto out;
		}
	}
	if (g.problems > 0) {
		rc = RELAIS_EFORMAT;
		goto out;
	}
	*out_json = cJSON_PrintUnformatted(doc);
	if (*out_json == NULL) {
		rc = RELAIS_ENOMEM;
	}
out:
	cJSON_Delete(doc);
	free(g.cells);
	free(g.category);
	free(g.ids);
	return rc;
}
