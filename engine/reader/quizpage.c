/* quizpage.c: a quiz as the reader shows it: the HTML form, and the scored result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "quizpage.h"
#include "relais/error.h"
#include "relais/util.h"
#include "relais/strbuf.h"

#define BLANK "_____"

/* The quiz's words in one language, from the reader's catalogue (po/reader). */
struct words {
	const char *question, *yes, *no, *your_answer, *right, *partly, *wrong, *unanswered,
	        *choose, *score, *percent, *colon;
	char decimal;
	/* Attempts and time limits: printf formats, each %u or %s as commented. */
	const char *attempt_of; /* attempt %u of %u */
	enum lang lang;         /* for the messages with a plural (relais_tr_n) */
	const char *start_note; /* the time runs once started */
	const char *start;      /* the button */
	const char *deadline;   /* before it: the time of the deadline */
	const char *time_left;  /* before the countdown */
	const char *late;       /* a late submission */
};

/* The words in the language whose code is lang ("fr", "ar-EG"; English if unknown). */
static const struct words *words_for(struct words *w, const char *lang)
{
	int found = relais_lang_from_code(lang);
	enum lang l = found >= 0 ? (enum lang)found : LANG_EN;

	w->question = relais_tr(l, M_QUIZ_QUESTION);
	w->yes = relais_tr(l, M_QUIZ_YES);
	w->no = relais_tr(l, M_QUIZ_NO);
	w->your_answer = relais_tr(l, M_QUIZ_YOUR_ANSWER);
	w->right = relais_tr(l, M_QUIZ_RIGHT);
	w->partly = relais_tr(l, M_QUIZ_PARTLY);
	w->wrong = relais_tr(l, M_QUIZ_WRONG);
	w->unanswered = relais_tr(l, M_QUIZ_UNANSWERED);
	w->choose = relais_tr(l, M_QUIZ_CHOOSE);
	w->score = relais_tr(l, M_QUIZ_SCORE);
	w->percent = relais_tr(l, M_QUIZ_PERCENT);
	w->colon = relais_tr(l, M_QUIZ_COLON);
	w->decimal = relais_tr(l, M_QUIZ_DECIMAL)[0] ? relais_tr(l, M_QUIZ_DECIMAL)[0] : '.';
	w->attempt_of = relais_tr(l, M_QUIZ_ATTEMPT_OF);
	w->lang = l;
	w->start_note = relais_tr(l, M_QUIZ_START_NOTE);
	w->start = relais_tr(l, M_QUIZ_START);
	w->deadline = relais_tr(l, M_QUIZ_DEADLINE);
	w->time_left = relais_tr(l, M_QUIZ_TIME_LEFT);
	w->late = relais_tr(l, M_QUIZ_LATE);
	return w;
}

/* ---- bounded output (engine/strbuf.h) ---- */

static void put_uint(struct relais_strbuf *b, size_t n)
{
	char tmp[32];

	(void)snprintf(tmp, sizeof(tmp), "%zu", n);
	relais_strbuf_add(b, tmp);
}

/*
 * Appends HTML meant for a <label> or <li>: a fragment that is exactly one
 * paragraph (what Markdown gives) loses its <p> so the label stays phrasing
 * content.
 */
static void put_inline_html(struct relais_strbuf *b, const char *html)
{
	size_t n = strlen(html);

	if (n >= 7 && strncmp(html, "<p>", 3) == 0 && strcmp(html + n - 4, "</p>") == 0) {
		const char *inner = html + 3;
		size_t inner_n = n - 7;
		const char *again = strstr(inner, "<p");

		if (again == NULL || again >= inner + inner_n) {
			relais_strbuf_addn(b, inner, inner_n);
			return;
		}
	}
	relais_strbuf_addn(b, html, n);
}

/*
 * The first blank of a missing-word question's text that stands in its text,
 * not inside a tag (an attribute value): the text is cleaned markup, whose
 * only raw '<' and '>' open and close tags. NULL when there is none.
 */
static const char *find_blank(const char *html)
{
	const char *p = html, *blank;

	while ((blank = strstr(p, BLANK)) != NULL) {
		const char *open = NULL, *q;
		for (q = p; q < blank; q++) {
			if (*q == '<') {
				open = q;
			} else if (*q == '>') {
				open = NULL;
			}
		}
		if (open == NULL) {
			return blank;
		}
		p = strchr(blank, '>'); /* past the tag that holds it */
		if (p == NULL) {
			return NULL;
		}
	}
	return NULL;
}

/* A score held as a double back in ten-thousandths. */
static long units_of(double score)
{
	return score > 0 ? (long)(score * 10000.0 + 0.5) : 0;
}

/* ---- form ---- */

/*
 * The order an attempt shows n items in: the quiz's own without a seed,
 * else drawn from it (rows apart from choices, so they move independently).
 */
static void order(size_t *perm, size_t n, const uint64_t *seed, const char *id, int rows)
{
	size_t i;

	if (seed == NULL) {
		for (i = 0; i < n; i++) {
			perm[i] = i;
		}
		return;
	}
	relais_quiz_shuffle(perm, n, rows ? ~*seed : *seed, id);
}

/* Writes "relais-<id>", the element id prefix for question q. */
static void put_elem(struct relais_strbuf *b, const struct relais_quiz_question *q)
{
	relais_strbuf_add(b, "relais-");
	relais_strbuf_add(b, q->id);
}

static void put_legend(struct relais_strbuf *b, const struct words *w,
                       const struct relais_quiz_question *q, size_t number)
{
	if (q->title != NULL) {
		relais_strbuf_add_html(b, q->title);
	} else {
		relais_strbuf_add(b, w->question);
		relais_strbuf_add(b, " ");
		put_uint(b, number);
	}
}

/* One radio button or check box for answer value v, with its label. */
static void put_choice(struct relais_strbuf *b, const struct relais_quiz_question *q,
                       const char *kind, const char *value, const char *label_html)
{
	relais_strbuf_add(b, "<div class=\"relais-choice\"><input type=\"");
	relais_strbuf_add(b, kind);
	relais_strbuf_add(b, "\" name=\"q-");
	relais_strbuf_add(b, q->id);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "_");
	relais_strbuf_add(b, value);
	relais_strbuf_add(b, "\" value=\"");
	relais_strbuf_add(b, value);
	relais_strbuf_add(b, "\"> <label for=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "_");
	relais_strbuf_add(b, value);
	relais_strbuf_add(b, "\">");
	put_inline_html(b, label_html);
	relais_strbuf_add(b, "</label></div>\n");
}

/* A text box (or text area for essays) and its label. */
static void put_text_input(struct relais_strbuf *b, const struct words *w,
                           const struct relais_quiz_question *q, int hidden_label)
{
	relais_strbuf_add(b, "<label for=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "_v\"");
	if (hidden_label) {
		relais_strbuf_add(b, " class=\"relais-sr-only\"");
	}
	relais_strbuf_add(b, ">");
	relais_strbuf_add(b, w->your_answer);
	relais_strbuf_add(b, "</label> ");
	/* maxlength counts UTF-16 units, each at most 3 UTF-8 bytes: a browser
	 * then never sends a value the scorer would ignore. */
	if (q->type == RELAIS_QUIZ_ESSAY) {
		relais_strbuf_add(b, "<textarea rows=\"6\" maxlength=\"333\" name=\"q-");
	} else {
		relais_strbuf_add(b,
		                  "<input type=\"text\" maxlength=\"333\" autocomplete=\"off\" ");
		if (q->type == RELAIS_QUIZ_NUMERICAL) {
			relais_strbuf_add(b, "inputmode=\"decimal\" ");
		}
		relais_strbuf_add(b, "name=\"q-");
	}
	relais_strbuf_add(b, q->id);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, q->type == RELAIS_QUIZ_ESSAY ? "_v\"></textarea>" : "_v\">");
}

/* The pair index of matching row `row` (pairs that are not distractors, from 0). */
static size_t pair_of_row(const struct relais_quiz_question *q, size_t row)
{
	size_t i, r = 0;

	for (i = 0; i < q->n_pairs; i++) {
		if (q->pairs[i].question_html[0] != '\0' && r++ == row) {
			return i;
		}
	}
	return 0; /* not reached: row < n_rows */
}

/*
 * Rows in the attempt's order, each drop-down listing the choices in the
 * attempt's order (not the rows', which would give the key away); field
 * names and values keep the quiz's own indices.
 */
static void put_matching_rows(struct relais_strbuf *b, const struct words *w,
                              const struct relais_quiz_question *q, const uint64_t *seed)
{
	size_t rows[RELAIS_QUIZ_MAX_ANSWERS], choices[RELAIS_QUIZ_MAX_ANSWERS], k, j, row;

	order(rows, q->n_rows, seed, q->id, 1);
	order(choices, q->n_choices, seed, q->id, 0);
	for (k = 0; k < q->n_rows; k++) {
		row = rows[k];
		relais_strbuf_add(b, "<div class=\"relais-row\"><label for=\"");
		put_elem(b, q);
		relais_strbuf_add(b, "_r");
		put_uint(b, row);
		relais_strbuf_add(b, "\">");
		put_inline_html(b, q->pairs[pair_of_row(q, row)].question_html);
		relais_strbuf_add(b, "</label> <select name=\"q-");
		relais_strbuf_add(b, q->id);
		relais_strbuf_add(b, ".");
		put_uint(b, row);
		relais_strbuf_add(b, "\" id=\"");
		put_elem(b, q);
		relais_strbuf_add(b, "_r");
		put_uint(b, row);
		relais_strbuf_add(b, "\"><option value=\"\">");
		relais_strbuf_add(b, w->choose);
		relais_strbuf_add(b, "</option>");
		for (j = 0; j < q->n_choices; j++) {
			relais_strbuf_add(b, "<option value=\"");
			put_uint(b, choices[j]);
			relais_strbuf_add(b, "\">");
			relais_strbuf_add_html(b, q->choices[choices[j]]);
			relais_strbuf_add(b, "</option>");
		}
		relais_strbuf_add(b, "</select></div>\n");
	}
}

static void render_form_question(struct relais_strbuf *b, const struct words *w,
                                 const struct relais_quiz_question *q, size_t number,
                                 const uint64_t *seed)
{
	size_t perm[RELAIS_QUIZ_MAX_ANSWERS], i;
	const char *blank = NULL;
	char value[32];

	if (q->type == RELAIS_QUIZ_DESCRIPTION) {
		relais_strbuf_add(b, "<div class=\"relais-description\" id=\"");
		put_elem(b, q);
		relais_strbuf_add(b, "\">");
		if (q->title != NULL) {
			relais_strbuf_add(b, "<h2>");
			relais_strbuf_add_html(b, q->title);
			relais_strbuf_add(b, "</h2>");
		}
		relais_strbuf_add(b, q->text_html);
		relais_strbuf_add(b, "</div>\n");
		return;
	}
	relais_strbuf_add(b, "<fieldset class=\"relais-question relais-");
	relais_strbuf_add(b, relais_quiz_type_name(q->type));
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "\"");
	if (q->category != NULL) {
		relais_strbuf_add(b, " data-category=\"");
		relais_strbuf_add_html(b, q->category);
		relais_strbuf_add(b, "\"");
	}
	relais_strbuf_add(b, ">\n<legend>");
	put_legend(b, w, q, number);
	relais_strbuf_add(b, "</legend>\n<div class=\"relais-text\">");
	/* A missing word typed in goes where the blank is. */
	if (q->missing_word &&
	    (q->type == RELAIS_QUIZ_SHORTANSWER || q->type == RELAIS_QUIZ_NUMERICAL)) {
		blank = find_blank(q->text_html);
	}
	if (blank != NULL) {
		relais_strbuf_addn(b, q->text_html, (size_t)(blank - q->text_html));
		put_text_input(b, w, q, 1);
		relais_strbuf_add(b, blank + strlen(BLANK));
	} else {
		relais_strbuf_add(b, q->text_html);
	}
	relais_strbuf_add(b, "</div>\n");
	switch (q->type) {
	case RELAIS_QUIZ_MULTICHOICE:
		order(perm, q->n_answers, seed, q->id, 0);
		for (i = 0; i < q->n_answers; i++) {
			(void)snprintf(value, sizeof(value), "%zu", perm[i]);
			put_choice(b, q, q->single ? "radio" : "checkbox", value,
			           q->answers[perm[i]].text_html);
		}
		break;
	case RELAIS_QUIZ_TRUEFALSE:
		put_choice(b, q, "radio", "true", w->yes);
		put_choice(b, q, "radio", "false", w->no);
		break;
	case RELAIS_QUIZ_SHORTANSWER:
	case RELAIS_QUIZ_NUMERICAL:
	case RELAIS_QUIZ_ESSAY:
		if (blank == NULL) {
			relais_strbuf_add(b, "<div class=\"relais-answer\">");
			put_text_input(b, w, q, 0);
			relais_strbuf_add(b, "</div>\n");
		}
		break;
	case RELAIS_QUIZ_MATCHING:
		put_matching_rows(b, w, q, seed);
		break;
	case RELAIS_QUIZ_DESCRIPTION:
		break;
	}
	relais_strbuf_add(b, "</fieldset>\n");
}

int relais_reader_quiz_form(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                            const uint64_t *seed, const char *lang)
{
	struct relais_strbuf b = {.max = RELAIS_QUIZ_MAX_HTML};
	struct words words;
	const struct words *w = words_for(&words, lang);
	size_t i, number = 0;

	for (i = 0; i < relais_quiz_count(quiz); i++) {
		const struct relais_quiz_question *q = relais_quiz_question_at(quiz, i);

		if (q->type != RELAIS_QUIZ_DESCRIPTION) {
			number++;
		}
		render_form_question(&b, w, q, number, seed);
	}
	return relais_strbuf_finish(out, &b, ctx, "quiz");
}

/* ---- result ---- */

/* Writes a score in ten-thousandths as a short decimal: 1, 0.5, 0.3333. */
static void put_score(struct relais_strbuf *b, const struct words *w, long units)
{
	char tmp[32];
	int n;

	if (units < 0) {
		units = 0;
	}
	n = snprintf(tmp, sizeof(tmp), "%ld%c%04ld", units / 10000, w->decimal, units % 10000);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		return;
	}
	while (tmp[n - 1] == '0') {
		tmp[--n] = '\0';
	}
	if (tmp[n - 1] == w->decimal) {
		tmp[--n] = '\0';
	}
	relais_strbuf_add(b, tmp);
}

/*
 * Lists the items of a choice or matching response ("0[,]2", "0[.]1[,]1[.]0");
 * items that do not name an answer, row or choice of q are skipped.
 */
static void put_items(struct relais_strbuf *b, const struct relais_quiz_question *q,
                      const char *response)
{
	const char *p = response, *end, *dot;
	size_t k, row, i, r;

	relais_strbuf_add(b, "<ul class=\"relais-response-items\">");
	while (*p != '\0') {
		end = strstr(p, "[,]");
		if (end == NULL) {
			end = p + strlen(p);
		}
		if (q->type == RELAIS_QUIZ_MULTICHOICE) {
			if (relais_quiz_read_index(&k, p, (size_t)(end - p), q->n_answers) == 0) {
				relais_strbuf_add(b, "<li>");
				put_inline_html(b, q->answers[k].text_html);
				relais_strbuf_add(b, "</li>");
			}
		} else {
			dot = strstr(p, "[.]");
			if (dot != NULL && dot < end &&
			    relais_quiz_read_index(&row, p, (size_t)(dot - p), q->n_rows) == 0 &&
			    relais_quiz_read_index(&k, dot + 3, (size_t)(end - dot - 3),
			                           q->n_choices) == 0) {
				/* Find the row's pair to show its left side. */
				for (i = 0, r = 0; i < q->n_pairs; i++) {
					if (q->pairs[i].question_html[0] == '\0') {
						continue;
					}
					if (r++ == row) {
						break;
					}
				}
				relais_strbuf_add(b, "<li class=\"");
				relais_strbuf_add(b, q->pairs[i].choice == k ? "relais-right"
				                                             : "relais-wrong");
				relais_strbuf_add(b, "\">");
				put_inline_html(b, q->pairs[i].question_html);
				relais_strbuf_add(b, " → ");
				relais_strbuf_add_html(b, q->choices[k]);
				relais_strbuf_add(b, "</li>");
			}
		}
		p = *end != '\0' ? end + 3 : end;
	}
	relais_strbuf_add(b, "</ul>");
}

/* What the learner typed, as text. */
static void put_typed(struct relais_strbuf *b, const char *text)
{
	relais_strbuf_add(b, "<span class=\"relais-typed\">");
	relais_strbuf_add_html(b, text);
	relais_strbuf_add(b, "</span>");
}

static void render_result_question(struct relais_strbuf *b, const struct words *w,
                                   const struct relais_quiz_question *q,
                                   const struct relais_question_result *r, size_t number)
{
	long units = units_of(r->score);
	const char *status, *cls;

	if (!r->scored) {
		cls = "relais-unscored";
		status = NULL;
	} else if (!r->answered) {
		cls = "relais-unanswered";
		status = w->unanswered;
	} else if (units >= 10000) {
		cls = "relais-right";
		status = w->right;
	} else if (units > 0) {
		cls = "relais-partial";
		status = w->partly;
	} else {
		cls = "relais-wrong";
		status = w->wrong;
	}
	if (q->type == RELAIS_QUIZ_DESCRIPTION) {
		render_form_question(b, w, q, number, NULL); /* text only, same as the form */
		return;
	}
	relais_strbuf_add(b, "<section class=\"relais-question relais-result ");
	relais_strbuf_add(b, cls);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "\">\n<h2>");
	put_legend(b, w, q, number);
	relais_strbuf_add(b, "</h2>\n<div class=\"relais-text\">");
	relais_strbuf_add(b, q->text_html);
	relais_strbuf_add(b, "</div>\n");
	if (r->answered) {
		relais_strbuf_add(b, "<div class=\"relais-response\">");
		relais_strbuf_add(b, w->your_answer);
		relais_strbuf_add(b, w->colon);
		switch (q->type) {
		case RELAIS_QUIZ_MULTICHOICE:
		case RELAIS_QUIZ_MATCHING:
			put_items(b, q, r->response);
			break;
		case RELAIS_QUIZ_TRUEFALSE:
			if (strcmp(r->response, "true") == 0) {
				relais_strbuf_add(b, w->yes);
			} else if (strcmp(r->response, "false") == 0) {
				relais_strbuf_add(b, w->no);
			} else {
				put_typed(b, r->response); /* not ours: shown as it is */
			}
			break;
		case RELAIS_QUIZ_SHORTANSWER:
		case RELAIS_QUIZ_NUMERICAL:
		case RELAIS_QUIZ_ESSAY:
		case RELAIS_QUIZ_DESCRIPTION:
			put_typed(b, r->response);
			break;
		}
		relais_strbuf_add(b, "</div>\n");
	}
	if (status != NULL) {
		relais_strbuf_add(b, "<p class=\"relais-status\">");
		relais_strbuf_add(b, status);
		relais_strbuf_add(b, " (");
		put_score(b, w, units);
		relais_strbuf_add(b, " / 1)</p>\n");
	}
	if (r->feedback_html != NULL && r->feedback_html[0] != '\0') {
		relais_strbuf_add(b, "<div class=\"relais-feedbacks\">");
		relais_strbuf_add(b, r->feedback_html);
		relais_strbuf_add(b, "</div>\n");
	}
	relais_strbuf_add(b, "</section>\n");
}

int relais_reader_quiz_result(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                              const struct relais_quiz_result *result, const char *lang)
{
	struct relais_strbuf b = {.max = RELAIS_QUIZ_MAX_HTML};
	struct words words;
	const struct words *w = words_for(&words, lang);
	size_t i, number = 0;
	char pct[16];

	*out = NULL;
	if (result->n_questions != relais_quiz_count(quiz) ||
	    (result->n_questions > 0 && result->questions == NULL)) {
		return relais_fail(ctx, RELAIS_EINVAL, "quiz: the result is not one of this quiz");
	}
	for (i = 0; i < result->n_questions; i++) {
		const struct relais_question_result *r = &result->questions[i];

		if (r->id == NULL || strcmp(r->id, relais_quiz_question_at(quiz, i)->id) != 0 ||
		    r->response == NULL) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "quiz: the result is not one of this quiz");
		}
	}
	relais_strbuf_add(&b, "<p class=\"relais-total\">");
	relais_strbuf_add(&b, w->score);
	relais_strbuf_add(&b, " ");
	put_score(&b, w, units_of(result->score));
	relais_strbuf_add(&b, " / ");
	put_uint(&b, result->max);
	(void)snprintf(pct, sizeof(pct), " (%d", result->percent);
	relais_strbuf_add(&b, pct);
	relais_strbuf_add(&b, w->percent);
	relais_strbuf_add(&b, ")</p>\n");
	for (i = 0; i < relais_quiz_count(quiz); i++) {
		if (relais_quiz_question_at(quiz, i)->type != RELAIS_QUIZ_DESCRIPTION) {
			number++;
		}
		render_result_question(&b, w, relais_quiz_question_at(quiz, i),
		                       &result->questions[i], number);
	}
	return relais_strbuf_finish(out, &b, ctx, "quiz");
}

/* ---- attempts and time limits ---- */

/* One format of the words with one or two unsigned numbers, escaped. The
 * formats are the constant words above, each with %u conversions only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void put_words(struct relais_strbuf *b, const char *fmt, unsigned x, unsigned y)
{
	char tmp[512];
	int n = snprintf(tmp, sizeof(tmp), fmt, x, y);

	if (n > 0 && (size_t)n < sizeof(tmp)) {
		relais_strbuf_add_html(b, tmp);
	}
}
#pragma GCC diagnostic pop

void relais_reader_quiz_limits(struct relais_strbuf *b, const struct relais_quiz_attempt *a,
                               unsigned max_attempts, const char *lang)
{
	struct words words;
	const struct words *w = words_for(&words, lang);
	char iso[32], shown[32];
	struct tm tm;
	time_t t, now = time(NULL);
	struct tm today;

	if (max_attempts > 0) {
		relais_strbuf_add(b, "<p class=\"relais-attempts\">");
		put_words(b, w->attempt_of, (unsigned)a->submitted + 1, max_attempts);
		relais_strbuf_add(b, "</p>\n");
	}
	if (a->deadline <= 0) {
		return;
	}
	/* The laptop's own zone is the learner's: the reader runs where they read. */
	t = (time_t)(a->deadline / 1000);
	if (localtime_r(&t, &tm) == NULL || localtime_r(&now, &today) == NULL ||
	    strftime(shown, sizeof(shown),
	             tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year ? "%H:%M"
	                                                                        : "%Y-%m-%d %H:%M",
	             &tm) == 0) {
		return;
	}
	relais_time_format(iso, a->deadline);
	relais_strbuf_printf(b, "<p class=\"relais-deadline\" data-deadline=\"%lld\">",
	                     a->deadline);
	relais_strbuf_add_html(b, w->deadline);
	relais_strbuf_printf(b, " <time datetime=\"%s\">%s</time>.", iso, shown);
	relais_strbuf_add(b, " <span class=\"relais-countdown\" role=\"timer\" hidden>");
	relais_strbuf_add_html(b, w->time_left);
	relais_strbuf_add(b, " <span class=\"relais-left\"></span></span></p>\n");
}

void relais_reader_quiz_no_attempt(struct relais_strbuf *b, unsigned max_attempts, const char *lang)
{
	struct words words;

	relais_strbuf_add(b, "<p class=\"banner failed relais-no-attempt\" role=\"status\">");
	put_words(b, relais_tr_n(words_for(&words, lang)->lang, M_QUIZ_NO_ATTEMPT, max_attempts),
	          max_attempts, 0);
	relais_strbuf_add(b, "</p>\n");
}

void relais_reader_quiz_start(struct relais_strbuf *b, const struct relais_quiz_attempt *a,
                              unsigned max_attempts, unsigned minutes, const char *lang)
{
	struct words words;
	const struct words *w = words_for(&words, lang);

	relais_strbuf_add(b, "<p class=\"relais-time-limit\">");
	put_words(b, relais_tr_n(w->lang, M_QUIZ_TIME_LIMIT, minutes), minutes, 0);
	relais_strbuf_add(b, " ");
	relais_strbuf_add_html(b, w->start_note);
	relais_strbuf_add(b, "</p>\n");
	if (max_attempts > 0) {
		relais_strbuf_add(b, "<p class=\"relais-attempts\">");
		put_words(b, w->attempt_of, (unsigned)a->submitted + 1, max_attempts);
		relais_strbuf_add(b, "</p>\n");
	}
	relais_strbuf_add(b, "<input type=\"hidden\" name=\"start\" value=\"1\">"
	                     "<p><button type=\"submit\">");
	relais_strbuf_add_html(b, w->start);
	relais_strbuf_add(b, "</button></p>");
}

void relais_reader_quiz_late(struct relais_strbuf *b, const char *lang)
{
	struct words words;

	relais_strbuf_add(b, "<p class=\"banner failed relais-late\" role=\"status\">");
	relais_strbuf_add_html(b, words_for(&words, lang)->late);
	relais_strbuf_add(b, "</p>\n");
}
