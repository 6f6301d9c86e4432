/* report.c: what coordinators read (every view's SQL is here), as CSV, JSON or an HTML table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/strbuf.h"
#include "relais/xapi.h"

#define REPORT_MAX (64u * 1024 * 1024)

/*
 * Every view binds the same parameters (struct relais_hub_filter), NULL
 * when not given: ?1 the coordinator's organisation (NULL: an
 * administrator, who sees all), ?2 course, ?3 organisation, ?4 country,
 * ?5 first day, ?6 last day (YYYY-MM-DD), ?7 a learner (an email or an
 * actor's identity). The SQL is standard (PostgreSQL takes it with $n for
 * ?n) but for json_extract in essays and learner-statements.
 */
/* The SQL is laid out as SQL, not as clang-format would. */
/* clang-format off */
/* Times compared as text with the days (an index serves them): on or after day ?5, at the
 * latest on day ?6 (any time of it sorts before ?6 || 'T99'). */
#define SINCE(col) "(?5 IS NULL OR " col " >= ?5)"
#define UNTIL(col) "(?6 IS NULL OR " col " <= ?6 || 'T99')"
#define IN_RANGE(col) SINCE(col) " AND " UNTIL(col)
#define ORG_FILTER(org) \
	"(?1 IS NULL OR " org " = ?1) AND (?3 IS NULL OR " org " = ?3) AND " \
	"(?4 IS NULL OR " org " IN (SELECT name FROM organisation WHERE country = ?4))"
#define COURSE_FILTER "(?2 IS NULL OR course_term = " RELAIS_HUB_TERM("?2") ")"
/* learner_course rows: learners active in the course during the range. */
#define LC_FILTER \
	ORG_FILTER("organisation") " AND " COURSE_FILTER " AND " \
	SINCE("last") " AND " UNTIL("started")
/* Statements: those made during the range. */
#define ST_FILTER ORG_FILTER("organisation") " AND " COURSE_FILTER " AND " IN_RANGE(RELAIS_HUB_WHEN)
/* The terms that name learner ?7. */
#define LEARNER_TERMS "(SELECT id FROM term WHERE text IN (?7, 'mbox:mailto:' || lower(?7)))"
#define EMAIL RELAIS_HUB_EMAIL
/* A question's id: its activity IRI after the quiz's. */
#define QUESTION_OF(iri, quiz) \
	"replace(" iri ", '" RELAIS_XAPI_ACTIVITIES "' || course || '/' || " quiz " || '/', '')"

#define PCT_OF(n, of) "round(100.0 * (" n ") / (" of "), 1)"
/*
 * Enrolled: who started (waiting 0) and who a cohort was assigned the
 * course without starting it (WAITING, waiting 1: not started), once per
 * learner and course whatever the number of cohorts. "Everyone of an
 * organisation" cohorts add no one here: the hub knows those learners only
 * once they start.
 */
#define WAITING \
	"(SELECT DISTINCT cc.course AS course, m.email AS email, c.organisation AS organisation " \
	"FROM cohort_course cc JOIN cohort c ON c.id = cc.cohort " \
	"JOIN cohort_member m ON m.cohort = cc.cohort WHERE " ORG_FILTER("c.organisation") \
	" AND (?2 IS NULL OR cc.course = ?2) AND NOT EXISTS (SELECT 1 FROM learner_course l " \
	"WHERE l.course_term = " RELAIS_HUB_TERM("cc.course") \
	" AND lower(l.actor) = 'mbox:mailto:' || m.email)) a"
/*
 * Without a date range, from course_tally (migration 19: the
 * learners, completed and passed of each course and organisation, kept as
 * statements arrive) in place of each learner's row: what the views read is
 * then a row per course and organisation, whatever the number of learners.
 * A cohort's waiting learner counts as one learner.
 */
#define TALLIED \
	"(SELECT course, organisation, learners, completed, passed, 0 AS waiting FROM " \
	"course_tally WHERE " ORG_FILTER("organisation") " AND " COURSE_FILTER \
	" UNION ALL SELECT course, organisation, 1, 0, 0, 1 FROM " WAITING ") e"
/*
 * The same with a date range, from course_day_tally and course_month_tally (migrations 19,
 * 23): a learner's row counts when it was active in the range, started by its end and not
 * stopped before its start; so per course and organisation, those started by the end less
 * those whose last statement came before the start, and the same for the completed and the
 * passed (from <= to, which the pages require; a completion or pass comes after the start
 * and before the last statement), read as PERIODS_IN_RANGE says.
 */
#define COURSE_VALS(e) \
	e("started", "last", "learners") ", " e("completed", "last_completed", "completed") ", " \
	e("passed", "last_passed", "passed")
#define IN_RANGE_SUMS \
	"(SELECT max(course) AS course, organisation, sum(v_learners) AS learners, " \
	"sum(v_completed) AS completed, sum(v_passed) AS passed FROM " \
	PERIODS_IN_RANGE("SELECT course_term, organisation, course, ", COURSE_VALS, \
	                 MONTHS_BACKWARD, "course_month_tally", "course_day_tally", "true", \
	                 ORG_FILTER("organisation") " AND " COURSE_FILTER) \
	" GROUP BY course_term, organisation) t"
#define TALLIED_IN_RANGE \
	"(SELECT course, organisation, learners, completed, passed, 0 AS waiting FROM " \
	IN_RANGE_SUMS " UNION ALL SELECT course, organisation, 1, 0, 0, 1 FROM " WAITING ") e"
/* Completions by day, from course_day_tally. */
#define COMPLETED_DAYS \
	"FROM course_day_tally WHERE " ORG_FILTER("organisation") " AND " COURSE_FILTER \
	" AND (?5 IS NULL OR day >= ?5) AND (?6 IS NULL OR day <= ?6)"
/*
 * A date range's counts from tallies by day and by month (the courses': migrations 19 and
 * 23; the quiz views': 21): a row (a learner's row in a course; their answers to a question,
 * or verdicts on a quiz) counts when it was first counted by the range's end and last not
 * before its start; its numbers are added on the day and month it was first counted (a
 * course row's start, completion, pass; an activity row's first answer) and on those it was
 * last (its last statement; last answer), so per key, those first by the end less those
 * last before the start. Each is read as the months before the day's month, then that
 * month's days up to it (or, the day in the second half of its month, the months to its
 * own, less the days after it): a few hundred rows a key at most, three ranges of the
 * tables' keys. The quiz views' months may be read the other way, from the start's month to
 * the newest (MONTHS_FORWARD), when that is fewer. vals(e) names each number as e(its
 * "first" column, its "last" column, its name), which comes out as v_name; cols selects the
 * key (course_term and organisation among it); which picks the tables' rows.
 */
#define ACT_VAL(e, c) e("first_" c, "last_" c, c)
#define ACT_VALS(e) \
	ACT_VAL(e, "learners") ", " ACT_VAL(e, "missed") ", " ACT_VAL(e, "passed") ", " \
	ACT_VAL(e, "tries") ", " ACT_VAL(e, "passes") ", " ACT_VAL(e, "score_e9") ", " \
	ACT_VAL(e, "scored")
/* Whether the range ends (starts) in the second half of its month: the month is then read
 * whole and the days after the end (from the start) taken back, so that at most 15 days are
 * read on each side, not up to 31. */
#define END_LATE "substr(?6, 9, 2) > '15'"
#define START_LATE "substr(?5, 9, 2) > '15'"
/* What a month's row counts of its rows first in it (f) and of those last in it (l), 1 or 0,
 * and a day's (f or l: 1, or -1 taken back). */
#define MONTH_F "CASE WHEN ?6 IS NULL OR month < substr(?6, 1, 7) OR " END_LATE " THEN 1 ELSE 0 END"
#define MONTH_L \
	"CASE WHEN month < substr(?5, 1, 7) OR (month = substr(?5, 1, 7) AND " START_LATE \
	") THEN 1 ELSE 0 END"
#define MONTH_SIGNS MONTH_F " AS f, " MONTH_L " AS l"
/* The same for the months read from the start's month on (MONTHS_FORWARD), negated:
 * f * first - l * last then comes out as those last from the start less those first after
 * the end. */
#define MONTH_F_FROM_START \
	"CASE WHEN month > substr(?6, 1, 7) OR (month = substr(?6, 1, 7) AND NOT (" END_LATE \
	")) THEN -1 ELSE 0 END"
#define MONTH_L_FROM_START \
	"CASE WHEN month > substr(?5, 1, 7) OR NOT (" START_LATE ") THEN -1 ELSE 0 END"
#define FIRST_LAST(first, last, n) "f * " first " - l * " last " AS v_" n
#define FIRST(first, last, n) "f * " first " AS v_" n
#define LAST(first, last, n) "l * " last " AS v_" n
/* The days of the month of d (?5 or ?6), those after it (or from it) when late, else those
 * before it (or to it): day between two bounds of the parameters alone, and the month its
 * first seven characters, so that an index finds them (migration 24's course_day_tally_month
 * on the month then the day, activity_day_tally's key on the day). A day is longer than its
 * month ('2026-03' < '2026-03-01') and no day is '-32'. */
#define DAYS_OF(d, late, from_late, to_early) \
	" AND substr(day, 1, 7) = substr(" d ", 1, 7) AND day " from_late " CASE WHEN " late \
	" THEN " d " ELSE substr(" d ", 1, 7) END AND day " to_early " CASE WHEN " late \
	" THEN substr(" d ", 1, 7) || '-32' ELSE " d " END"
/* The months' part: table t's months from its first to the end's (MONTH_SIGNS), or from the
 * start's to its last (MONTH_F_FROM_START, MONTH_L_FROM_START). Per key, the months' firsts
 * and lasts add up to the same (each row is first once and last once), so those first by
 * the end less those last before the start are also those last from the start on less
 * those first after the end: read that way, a recent range reads its few months to the
 * newest, not every month since the hub began (READS_FORWARD chooses). */
#define MONTHS_BACKWARD(cols, vals, t, which) \
	cols vals(FIRST_LAST) " FROM (SELECT *, " MONTH_SIGNS " FROM " t " WHERE " which \
	" AND month <= coalesce(substr(?6, 1, 7), '9999')) m"
#define MONTHS_FORWARD(cols, vals, t, which) \
	cols vals(FIRST_LAST) " FROM (SELECT *, " MONTH_F_FROM_START " AS f, " MONTH_L_FROM_START \
	" AS l FROM " t " WHERE " which " AND month >= substr(?5, 1, 7)) m"
/* A month's number, to count months between two. */
#define MONTH_NO(m) "(CAST(substr(" m ", 1, 4) AS INT) * 12 + CAST(substr(" m ", 6, 2) AS INT))"
/* 1 when the quiz views' tallies have fewer months from the range's start's to their newest
 * than from their oldest to its end's, or it has no end: the views then read their months
 * from the start's on (MONTHS_FORWARD). Of the questions' tallies (kind 1): the quizzes' have
 * the same months. Two looks into the key. */
#define READS_FORWARD \
	"SELECT CASE WHEN ?6 IS NULL OR " \
	MONTH_NO("(SELECT max(month) FROM activity_month_tally WHERE kind = 1)") " + " \
	MONTH_NO("(SELECT min(month) FROM activity_month_tally WHERE kind = 1)") " < " \
	MONTH_NO("?6") " + " MONTH_NO("?5") " THEN 1 ELSE 0 END"
/* The filters once, on the three parts together (both backends push them into each); months
 * (MONTHS_BACKWARD or MONTHS_FORWARD) reads month_table. */
#define PERIODS_IN_RANGE(cols, vals, months, month_table, day_table, which, filter) \
	"(SELECT * FROM (" months(cols, vals, month_table, which) " " \
	"UNION ALL " cols vals(FIRST) " FROM (SELECT *, CASE WHEN day <= ?6 THEN 1 ELSE -1 END " \
	"AS f FROM " day_table " WHERE " which DAYS_OF("?6", END_LATE, ">", "<=") ") e " \
	"UNION ALL " cols vals(LAST) " FROM (SELECT *, CASE WHEN day < ?5 THEN -1 ELSE 1 END " \
	"AS l FROM " day_table " WHERE " which DAYS_OF("?5", START_LATE, ">=", "<") ") s) u " \
	"WHERE " filter ") r"
/* Where the quiz views read their tallies (an argument list: cols, the month and day tables,
 * filter): by organisation, or, when no organisation, country or coordinator's scope narrows
 * them, of all organisations together (migration 25: a row per question and day, not one per
 * question, organisation and day). */
#define QUIZ_SOURCE_ORGS \
	"SELECT object_term, course_term, organisation, course, quiz, object_id, ", \
	"activity_month_tally", "activity_day_tally", ORG_FILTER("organisation") " AND " COURSE_FILTER
#define QUIZ_SOURCE_ALL \
	"SELECT object_term, course_term, course, quiz, object_id, ", "activity_month_total", \
	"activity_day_total", COURSE_FILTER
/* A country's (?4) when no organisation or coordinator's scope narrows them (migration 26:
 * a row per question, country and day, however many organisations the country holds). */
#define QUIZ_SOURCE_COUNTRY \
	"SELECT object_term, course_term, country, course, quiz, object_id, ", \
	"activity_month_country", "activity_day_country", "country = ?4 AND " COURSE_FILTER
#define ACT_IN_RANGE(months, kind, cols, month_table, day_table, filter) \
	PERIODS_IN_RANGE(cols, ACT_VALS, months, month_table, day_table, "kind = " kind, filter)
/* The same from source, a QUIZ_SOURCE_ name (expanded here into ACT_IN_RANGE's arguments). */
#define ACT_IN_RANGE_OF(months, kind, source) ACT_IN_RANGE(months, kind, source)
#define PCT_SUM(n) PCT_OF(n, "sum(learners)")
#define STATUS_TALLIED \
	"sum(learners) AS enrolled, sum(waiting) AS not_started, " \
	"sum(learners) - sum(completed) - sum(waiting) AS in_progress, " \
	PCT_SUM("sum(learners) - sum(completed) - sum(waiting)") " AS in_progress_pct, " \
	"sum(completed) AS completed, " PCT_SUM("sum(completed)") " AS completed_pct, " \
	"sum(passed) AS passed, " PCT_SUM("sum(passed)") " AS passed_pct"

/* The quiz views with a date range from rows (ACT_IN_RANGE). Per question, counted by the
 * question's term alone (its course, quiz and IRI follow from it), which hashes integers,
 * not texts. */
#define QUESTIONS_OF(rows) \
	"SELECT course, quiz, " QUESTION_OF("object_id", "quiz") " AS question, learners, " \
	"learners_missed, " PCT_OF("learners_missed", "learners") " AS missed_pct, answers " \
	"FROM (SELECT max(course) AS course, max(quiz) AS quiz, max(object_id) AS object_id, " \
	"sum(v_learners) AS learners, sum(v_missed) AS learners_missed, sum(v_tries) AS answers " \
	"FROM " rows " GROUP BY object_term) t WHERE learners > 0 " \
	"ORDER BY missed_pct DESC, learners_missed DESC, course, quiz, question"
#define QUIZZES_OF(rows) \
	"SELECT course, quiz, attempts, passed, learners, learners_passed, " \
	"round(CAST(score_e9 / 1000000000.0 / nullif(scored, 0) AS NUMERIC), 3) AS average_score " \
	"FROM (SELECT course, quiz, sum(v_tries) AS attempts, sum(v_passes) AS passed, " \
	"sum(v_learners) AS learners, sum(v_passed) AS learners_passed, " \
	"sum(v_score_e9) AS score_e9, sum(v_scored) AS scored FROM " rows \
	" GROUP BY course, quiz) t WHERE learners > 0 ORDER BY course, quiz"

struct report {
	const char *name;
	const char *sql;
	const char *dated; /* the SQL when a date range is given, if other (NULL: sql) */
	/* the SQL when a course is given and dated is not taken, if other (NULL: sql) */
	const char *of_course;
	/* the quiz views' SQL when dated is taken, six ways: [2 * source + forward], source 0
	 * by organisation, 1 all organisations when no organisation, country or scope is given
	 * (QUIZ_SOURCE_ALL), 2 a country's when no organisation or scope is given
	 * (QUIZ_SOURCE_COUNTRY);
	 * forward when the range is nearer the newest month of their tallies than the oldest
	 * (READS_FORWARD) */
	const char *const *dated_ways;
};

/* The six ways (dated_ways) of the view of(rows) of the tallies of kind. */
#define DATED_WAYS(of, kind) \
	{of(ACT_IN_RANGE_OF(MONTHS_BACKWARD, kind, QUIZ_SOURCE_ORGS)), \
	 of(ACT_IN_RANGE_OF(MONTHS_FORWARD, kind, QUIZ_SOURCE_ORGS)), \
	 of(ACT_IN_RANGE_OF(MONTHS_BACKWARD, kind, QUIZ_SOURCE_ALL)), \
	 of(ACT_IN_RANGE_OF(MONTHS_FORWARD, kind, QUIZ_SOURCE_ALL)), \
	 of(ACT_IN_RANGE_OF(MONTHS_BACKWARD, kind, QUIZ_SOURCE_COUNTRY)), \
	 of(ACT_IN_RANGE_OF(MONTHS_FORWARD, kind, QUIZ_SOURCE_COUNTRY))}
static const char *const questions_in_range[6] = DATED_WAYS(QUESTIONS_OF, "1");
static const char *const quizzes_in_range[6] = DATED_WAYS(QUIZZES_OF, "2");

/* The credential that stored the first completion; empty before hubs recorded it. Of the
 * course ?2 (course: "(?2 IS NULL OR ...)", or, when one is given, a condition an index of
 * its rows serves: SQLite would otherwise walk every completion in the order of
 * learner_course_completions and skip the other courses'). */
#define COMPLETIONS_BY_LEARNER(course) \
	"SELECT coalesce(l.name, '') AS learner, " EMAIL("l.actor") " AS email, " \
	"coalesce(l.organisation, '') AS organisation, l.course AS course, " \
	"l.completed AS completed, coalesce(k.name, '') AS credential " \
	"FROM learner_course l LEFT JOIN credential k ON k.key = l.credential " \
	"WHERE l.completed IS NOT NULL AND " ORG_FILTER("l.organisation") " AND " course " AND " \
	IN_RANGE("l.completed") " ORDER BY learner, email, course"
#define THE_COURSE "l.course_term = " RELAIS_HUB_TERM("?2")

static const struct report reports[] = {
	{"status-by-course",
	 "SELECT course, " STATUS_TALLIED " FROM " TALLIED " GROUP BY course "
	 "HAVING sum(learners) > 0 ORDER BY course",
	 "SELECT course, " STATUS_TALLIED " FROM " TALLIED_IN_RANGE " GROUP BY course "
	 "HAVING sum(learners) > 0 ORDER BY course", NULL, NULL},
	{"status-by-organisation",
	 "SELECT organisation, course, " STATUS_TALLIED " FROM " TALLIED
	 " GROUP BY organisation, course HAVING sum(learners) > 0 ORDER BY organisation, course",
	 "SELECT organisation, course, " STATUS_TALLIED " FROM " TALLIED_IN_RANGE
	 " GROUP BY organisation, course HAVING sum(learners) > 0 ORDER BY organisation, course", NULL, NULL},
	{"completions-by-course",
	 "SELECT course, sum(completed) AS completions, sum(learners) AS learners FROM course_tally "
	 "WHERE " ORG_FILTER("organisation") " AND " COURSE_FILTER
	 " GROUP BY course HAVING sum(completed) > 0 ORDER BY course",
	 "SELECT course, sum(completed) AS completions, sum(learners) AS learners FROM "
	 IN_RANGE_SUMS " GROUP BY course HAVING sum(completed) > 0 ORDER BY course", NULL, NULL},
	{"completions-by-organisation",
	 "SELECT organisation, course, sum(completed) AS completions FROM course_tally "
	 "WHERE " ORG_FILTER("organisation") " AND " COURSE_FILTER
	 " GROUP BY organisation, course HAVING sum(completed) > 0 ORDER BY 1, 2",
	 "SELECT organisation, course, sum(completed) AS completions FROM " IN_RANGE_SUMS
	 " GROUP BY organisation, course HAVING sum(completed) > 0 ORDER BY 1, 2", NULL, NULL},
	{"completions-by-day",
	 "SELECT day, sum(completed) AS completions " COMPLETED_DAYS
	 " GROUP BY day HAVING sum(completed) > 0 ORDER BY day", NULL, NULL, NULL},
	{"completions-over-time",
	 "SELECT day, course, sum(completed) AS completions " COMPLETED_DAYS
	 " GROUP BY day, course HAVING sum(completed) > 0 ORDER BY day, course", NULL, NULL, NULL},
	{"completions-by-learner", COMPLETIONS_BY_LEARNER("(?2 IS NULL OR " THE_COURSE ")"), NULL,
	 COMPLETIONS_BY_LEARNER(THE_COURSE), NULL},
	/* As LEARNERS_OF_ROWS says; made by learners_sql(). */
	{"learners", NULL, NULL, NULL, NULL},
	/* Per question: from the tallies; with a date range, from the learners' rows (those who
	 * answered it during the range, all their answers counted). */
	{"quiz-questions",
	 "SELECT course, quiz, " QUESTION_OF("object_id", "quiz") " AS question, "
	 "sum(learners) AS learners, sum(learners_missed) AS learners_missed, "
	 PCT_OF("sum(learners_missed)", "sum(learners)") " AS missed_pct, sum(tries) AS answers "
	 "FROM activity_tally WHERE kind = 1 AND " ORG_FILTER("organisation") " AND " COURSE_FILTER
	 " GROUP BY object_term, course, quiz, object_id HAVING sum(learners) > 0 "
	 "ORDER BY missed_pct DESC, learners_missed DESC, course, quiz, question",
	 QUESTIONS_OF(ACT_IN_RANGE_OF(MONTHS_BACKWARD, "1", QUIZ_SOURCE_ORGS)), NULL,
	 questions_in_range},
	{"quiz-results",
	 "SELECT course, quiz, sum(tries) AS attempts, sum(passes) AS passed, "
	 "sum(learners) AS learners, sum(learners_passed) AS learners_passed, "
	 "round(CAST(sum(score_sum) / nullif(sum(scored), 0) AS NUMERIC), 3) AS average_score "
	 "FROM activity_tally WHERE kind = 2 AND " ORG_FILTER("organisation") " AND " COURSE_FILTER
	 " GROUP BY course, quiz HAVING sum(learners) > 0 ORDER BY course, quiz",
	 QUIZZES_OF(ACT_IN_RANGE_OF(MONTHS_BACKWARD, "2", QUIZ_SOURCE_ORGS)), NULL,
	 quizzes_in_range},
	/* Essays are not scored (unscored_answer holds them): trainers read them here. */
	{"essays",
	 "SELECT coalesce(actor_name, '') AS learner, " EMAIL("actor") " AS email, "
	 "coalesce(organisation, '') AS organisation, course, unit AS quiz, "
	 QUESTION_OF("object_id", "unit") " AS question, timestamp AS answered, "
	 "coalesce(json_extract(body, '$.result.response'), '') AS essay "
	 /* CROSS JOIN: the few unscored answers first (SQLite keeps the order), each looked up. */
	 "FROM unscored_answer u CROSS JOIN statement s "
	 "WHERE s.seq = u.seq AND voided = 0 AND course IS NOT NULL AND "
	 "json_extract(body, '$.object.definition.interactionType') = 'long-fill-in' "
	 "AND " ST_FILTER " ORDER BY course, quiz, question, learner, email, answered", NULL, NULL, NULL},
	/* Who came to each live session (docs/statements.md, "Attendance"): a person once per
	 * session, when they first did. */
	{"attendance",
	 "SELECT course, substr(object_id, length('" RELAIS_XAPI_ACTIVITIES "' || course || "
	 "'/session/') + 1) AS session, coalesce(max(actor_name), '') AS learner, "
	 EMAIL("actor") " AS email, coalesce(max(organisation), '') AS organisation, "
	 "min(" RELAIS_HUB_WHEN ") AS attended, "
	 "coalesce(max(json_extract(body, '$.context.instructor.name')), '') AS trainer "
	 "FROM statement WHERE voided = 0 AND course IS NOT NULL AND unit = 'session' AND "
	 "verb_term = " RELAIS_HUB_VERB_TERM("attended") " AND " ST_FILTER
	 " GROUP BY course, object_id, actor ORDER BY course, session, learner, email", NULL, NULL, NULL},
	/* One learner (?7): each course, then everything they did, newest first. */
	{"learner-courses",
	 "SELECT course, started, last AS last_active, coalesce(completed, '') AS completed, "
	 "coalesce(CASE WHEN completed IS NOT NULL THEN passed END, '') AS passed_on "
	 "FROM learner_course WHERE actor_term IN " LEARNER_TERMS
	 " AND (?1 IS NULL OR organisation = ?1) ORDER BY course", NULL, NULL, NULL},
	{"learner-statements",
	 "SELECT " RELAIS_HUB_WHEN " AS \"when\", replace(verb, '" RELAIS_XAPI_VERBS "', '') AS verb, "
	 "coalesce(json_extract(body, '$.object.definition.name'), object_id, '') AS activity, "
	 "coalesce(course, '') AS course, CASE WHEN scaled IS NULL THEN '' "
	 "ELSE CAST(round(CAST(100 * scaled AS NUMERIC), 1) AS TEXT) END AS score_pct, "
	 "CASE success WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END AS success "
	 "FROM statement WHERE actor_term IN " LEARNER_TERMS
	 " AND voided = 0 AND (?1 IS NULL OR organisation = ?1) ORDER BY 1 DESC, seq DESC", NULL, NULL, NULL},
};

/*
 * The learners view, per learner: from learner (migration 20) where it holds what the
 * view shows, else from learner_course (LEARNERS_OF_ROWS, the view as it is defined: a
 * course, and the few learners whose rows differ in name or organisation).
 * Each part comes in the view's order, by name and email, from an index, and ?8, ?9 (a
 * page's first learner) start it there: a page reads its own rows, not those before.
 */
#define LEARNERS_OF_ROWS \
	"SELECT coalesce(max(name), '') AS learner, " EMAIL("max(actor)") " AS email, " \
	"coalesce(max(organisation), '') AS organisation, count(*) AS courses, " \
	"count(completed) AS completed, max(last) AS last_active FROM learner_course WHERE "
#define LEARNERS_KEY_OF_ROWS \
	" HAVING (coalesce(max(name), ''), " EMAIL("max(actor)") ") >= (?8, ?9)"
#define LEARNERS_KEY " AND (l.name, l.email) >= (?8, ?9)"
#define LEARNERS_ALL \
	"SELECT l.name AS learner, l.email AS email, l.organisation AS organisation, " \
	"l.courses AS courses, l.completed AS completed, l.last AS last_active FROM learner l " \
	"WHERE true"
#define LEARNERS_UNIFORM LEARNERS_ALL " AND l.uniform = 1"
/* With a date range: learners active in it, each one's rows in it counted, looked up by
 * learner (on SQLite from an index that holds what is counted, learner_course_active), the
 * learners in the view's order (learner_listed): the rows go out as they come. */
#define LEARNERS_UNIFORM_IN_RANGE \
	"SELECT l.name AS learner, l.email AS email, max(l.organisation) AS organisation, " \
	"count(*) AS courses, count(c.completed) AS completed, max(c.last) AS last_active " \
	"FROM learner l JOIN learner_course c ON c.actor_term = l.actor_term " \
	"WHERE l.uniform = 1 AND " SINCE("c.last") " AND " UNTIL("c.started")
/* A learner a group: their email is theirs alone (learner_course's actor is their term's
 * text), and grouping by the view's order lets the groups come in it. */
#define LEARNERS_IN_RANGE_GROUPS " GROUP BY l.name, l.email"
/* With a course: a learner has one row in it (learner_course's key), so the view is the
 * course's rows, read in its order from learner_course_learners (migration 20). */
#define LEARNERS_OF_COURSE \
	"SELECT coalesce(name, '') AS learner, " EMAIL("actor") " AS email, " \
	"coalesce(organisation, '') AS organisation, 1 AS courses, " \
	"CASE WHEN completed IS NULL THEN 0 ELSE 1 END AS completed, last AS last_active " \
	"FROM learner_course WHERE course_term = " RELAIS_HUB_TERM("?2") " AND " \
	ORG_FILTER("organisation") " AND " SINCE("last") " AND " UNTIL("started")
#define LEARNERS_KEY_OF_COURSE " AND (coalesce(name, ''), " EMAIL("actor") ") >= (?8, ?9)"
#define LEARNERS_MIXED \
	LEARNERS_OF_ROWS "actor_term IN (SELECT actor_term FROM learner WHERE uniform = 0) AND " \
	LC_FILTER " GROUP BY actor_term"

/* SQL: whether learner ?7 exists for the coordinator of organisation ?1 (NULL: anyone). */
#define LEARNER_VISIBLE \
	"SELECT count(*) FROM term t WHERE t.text IN (?7, 'mbox:mailto:' || lower(?7)) AND " \
	"(?1 IS NULL OR EXISTS (SELECT 1 FROM learner_course l WHERE l.actor_term = t.id AND " \
	"l.organisation = ?1))"

/*
 * SQL: the courses, organisations and countries a coordinator of ?1 may
 * filter by. Every page shows them, so they are found by skipping from one
 * value to the next along an index (learner_course's primary key, for an
 * organisation its learner_course_organisation), a lookup a course, not a
 * read of every learner's row as DISTINCT does: at 200,000 statements on
 * PostgreSQL 3.7 ms against 0.3, growing with the hub.
 */
/* A course's id is its term's text (course_term is the term of the statements' course): one
 * look-up by key. Reading it from one of the course's learner_course rows let PostgreSQL
 * choose a sequential scan for the first (1.6 s a page at 10 million statements). */
#define COURSE_TEXT "(SELECT text FROM term WHERE id = c.t)"
#define COUNTRIES \
	" UNION SELECT 'country', country FROM organisation " \
	"WHERE country IS NOT NULL AND (?1 IS NULL OR name = ?1) ORDER BY 1, 2"
/* An administrator's (?1 NULL): every course and organisation. */
#define CHOICES_ALL \
	"WITH RECURSIVE c(t) AS (SELECT min(course_term) FROM learner_course " \
	"UNION ALL SELECT (SELECT min(course_term) FROM learner_course WHERE course_term > c.t) " \
	"FROM c WHERE c.t IS NOT NULL), " \
	"o(name) AS (SELECT min(organisation) FROM learner_course " \
	"UNION ALL SELECT (SELECT min(organisation) FROM learner_course WHERE organisation > o.name) " \
	"FROM o WHERE o.name IS NOT NULL) " \
	"SELECT 'course', " COURSE_TEXT " FROM c WHERE c.t IS NOT NULL " \
	"UNION SELECT 'organisation', name FROM o WHERE name IS NOT NULL" COUNTRIES
/* An organisation's coordinator's (?1): its courses, itself once it has a learner. */
#define CHOICES_SCOPED \
	"WITH RECURSIVE c(t) AS (SELECT min(course_term) FROM learner_course WHERE organisation = ?1 " \
	"UNION ALL SELECT (SELECT min(course_term) FROM learner_course WHERE organisation = ?1 " \
	"AND course_term > c.t) FROM c WHERE c.t IS NOT NULL) " \
	"SELECT 'course', " COURSE_TEXT " FROM c WHERE c.t IS NOT NULL " \
	"UNION SELECT 'organisation', o FROM (SELECT min(organisation) AS o FROM learner_course " \
	"WHERE organisation = ?1) x WHERE o IS NOT NULL" COUNTRIES
/* clang-format on */

const char *const relais_hub_reports[] = {
        "status-by-course",
        "status-by-organisation",
        "completions-by-course",
        "completions-by-organisation",
        "completions-by-day",
        "completions-over-time",
        "completions-by-learner",
        "learners",
        "quiz-questions",
        "quiz-results",
        "essays",
        "attendance",
        "learner-courses",
        "learner-statements",
        NULL,
};

static void bind_filter(relais_hub_sql_stmt *st, const struct relais_hub_filter *f)
{
	const char *v[7] = {0};
	int i;

	if (f != NULL) {
		v[0] = f->scope, v[1] = f->course, v[2] = f->organisation, v[3] = f->country;
		v[4] = f->from, v[5] = f->to, v[6] = f->learner;
	}
	for (i = 0; i < 7; i++) {
		if (v[i] != NULL && v[i][0] != '\0') {
			/* A view that does not use the parameter has none to bind. */
			(void)relais_hub_sql_bind_text(st, i + 1, v[i], -1, RELAIS_HUB_SQL_STATIC);
		}
	}
}

/* RFC 4180 quoting; a cell that a spreadsheet would run as a formula is
 * prefixed with an apostrophe. */
static void csv_cell(struct relais_strbuf *o, const char *s)
{
	const char *p;

	relais_strbuf_addn(o, "\"", 1);
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	    s[0] == '\r') {
		relais_strbuf_addn(o, "'", 1);
	}
	for (p = s; *p; p++) {
		relais_strbuf_addn(o, p, 1);
		if (*p == '"') {
			relais_strbuf_addn(o, "\"", 1);
		}
	}
	relais_strbuf_addn(o, "\"", 1);
}

/*
 * An activity's name for people: a language map's entry in lang, else
 * English, else its first; copied into buf. Other text is itself.
 */
static const char *title_of(char *buf, size_t size, const char *v, enum hub_lang lang)
{
	cJSON *map, *e, *pick = NULL;

	if (v[0] != '{' || (map = cJSON_Parse(v)) == NULL) {
		return v;
	}
	cJSON_ArrayForEach(e, map)
	{
		if (!cJSON_IsString(e)) {
			continue;
		}
		if (pick == NULL || strncmp(e->string, relais_hub_lang_code(lang), 2) == 0 ||
		    (strncmp(e->string, "en", 2) == 0 &&
		     strncmp(pick->string, relais_hub_lang_code(lang), 2) != 0)) {
			pick = e;
		}
	}
	(void)snprintf(buf, size, "%s", pick ? pick->valuestring : "");
	cJSON_Delete(map);
	return buf;
}

/* An HTML cell: a learner's email links to their page; verbs and yes/no in lang. */
static void html_cell(struct relais_strbuf *o, const char *col, const char *v, enum hub_lang lang)
{
	relais_strbuf_add(o, "<td>");
	if (strcmp(col, "email") == 0 && v[0] != '\0') {
		relais_strbuf_add(o, "<a href=\"/reports/learner?learner=");
		relais_strbuf_add_url(o, v);
		relais_strbuf_add(o, "\">");
		relais_strbuf_add_html(o, v);
		relais_strbuf_add(o, "</a>");
	} else if (strlen(v) >= 16 && v[4] == '-' && v[10] == 'T') {
		/* A time: to the minute, as stored (UTC for relais's laptops). */
		relais_strbuf_add(o, "<time datetime=\"");
		relais_strbuf_add_html(o, v);
		relais_strbuf_printf(o, "\">%.10s %.5s</time>", v, v + 11);
	} else if ((strcmp(col, "verb") == 0 || strcmp(col, "success") == 0) && v[0] != '\0') {
		relais_strbuf_add_html(o, relais_hub_tr_name(lang, "VALUE_", v));
	} else {
		relais_strbuf_add_html(o, v);
	}
	relais_strbuf_add(o, "</td>");
}

static const struct report *find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		if (strcmp(reports[i].name, name) == 0) {
			return &reports[i];
		}
	}
	return NULL;
}

static int given(const char *v)
{
	return v != NULL && v[0] != '\0';
}

/*
 * Appends to sql the learners view for f (see LEARNERS_OF_ROWS), from a page's first learner
 * (?8, ?9) when keyed; and to other, when the view is two queries, the second (the caller
 * merges their rows in order, as they come, and adds the LIMITs).
 */
static void learners_sql(struct relais_strbuf *sql, struct relais_strbuf *other,
                         const struct relais_hub_filter *f, int keyed)
{
	struct relais_hub_filter none = {0};
	int dated, org;

	if (f == NULL) {
		f = &none;
	}
	dated = given(f->from) || given(f->to);
	org = given(f->scope) || given(f->organisation);
	if (given(f->course)) {
		relais_strbuf_add(sql, LEARNERS_OF_COURSE);
		relais_strbuf_add(sql, keyed ? LEARNERS_KEY_OF_COURSE : "");
	} else if (!dated && !org && !given(f->country)) {
		relais_strbuf_add(sql, LEARNERS_ALL);
		relais_strbuf_add(sql, keyed ? LEARNERS_KEY : "");
	} else {
		/* Two queries, each in the view's order: one with UNION ALL would have each
		 * backend sort the first part whole before its first row. */
		relais_strbuf_add(sql, dated ? LEARNERS_UNIFORM_IN_RANGE : LEARNERS_UNIFORM);
		relais_strbuf_add(sql, given(f->scope) ? " AND l.organisation = ?1" : "");
		relais_strbuf_add(sql, given(f->organisation) ? " AND l.organisation = ?3" : "");
		/* a country's organisations checked along learner_listed, in the view's order
		 * (|| '': not looked up by learner_organisation, then sorted) */
		relais_strbuf_add(sql, given(f->country)
		                               ? " AND l.organisation || '' IN (SELECT "
		                                 "name FROM organisation WHERE country = ?4)"
		                               : "");
		relais_strbuf_add(sql, keyed ? LEARNERS_KEY : "");
		relais_strbuf_add(sql, dated ? LEARNERS_IN_RANGE_GROUPS : "");
		relais_strbuf_add(other, LEARNERS_MIXED);
		relais_strbuf_add(other, keyed ? LEARNERS_KEY_OF_ROWS : "");
		relais_strbuf_add(other, " ORDER BY learner, email");
	}
	relais_strbuf_add(sql, " ORDER BY learner, email");
}

/*
 * Which of a view's two queries (both[1] NULL: one) has its next row, in the learners view's
 * order (name, then email, as bytes: SQLite's BINARY, PostgreSQL's "C"), given their last
 * steps: 0 or 1, the one with an error first.
 */
static int next_of(relais_hub_sql_stmt *const both[2], const int steps[2])
{
	const char *a, *b;
	int c;

	if (both[1] == NULL || steps[0] < 0) {
		return 0;
	}
	if (steps[1] < 0 || steps[0] != RELAIS_HUB_SQL_ROW) {
		return 1;
	}
	if (steps[1] != RELAIS_HUB_SQL_ROW) {
		return 0;
	}
	for (c = 0; c < 2; c++) {
		a = (const char *)relais_hub_sql_column_text(both[0], c);
		b = (const char *)relais_hub_sql_column_text(both[1], c);
		if (strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0) {
			return strcmp(a != NULL ? a : "", b != NULL ? b : "") > 0;
		}
	}
	return 0;
}

/* A learners page's first learner, as its link carries it: name NUL email, in base64url. */
#define START_MAX 2048

static int start_decode(char name[START_MAX], char **email, const char *token)
{
	size_t n = 0;
	char *sep;

	if (token == NULL || strlen(token) >= START_MAX ||
	    sodium_base642bin((unsigned char *)name, START_MAX - 1, token, strlen(token), NULL, &n,
	                      NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		return RELAIS_EINVAL;
	}
	name[n] = '\0';
	sep = memchr(name, '\0', n);
	/* One separator: the email ends where the token does. */
	if (sep == NULL || memchr(sep + 1, '\0', n - (size_t)(sep + 1 - name)) != NULL) {
		return RELAIS_EINVAL;
	}
	*email = sep + 1;
	return 0;
}

int relais_hub_learners_start_valid(const char *token)
{
	char name[START_MAX], *email;

	return start_decode(name, &email, token) == 0;
}

/* Sets *out to the start token of learner name, email (NULL when out of memory). */
static void start_encode(char **out, const char *name, const char *email)
{
	size_t a = strlen(name), b = strlen(email), len;
	unsigned char *raw = malloc(a + b + 1);

	*out = NULL;
	if (raw == NULL) {
		return;
	}
	memcpy(raw, name, a + 1);
	memcpy(raw + a + 1, email, b);
	len = sodium_base64_ENCODED_LEN(a + b + 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((*out = malloc(len)) != NULL) {
		sodium_bin2base64(*out, len, raw, a + b + 1,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	}
	free(raw);
}

/* The first step of a report's statement (it runs the query), planned for the filters given
 * (relais_hub_sql_custom_plans). */
static int first_step(relais_hub *hub, relais_hub_sql_stmt *st)
{
	int step;

	(void)relais_hub_sql_custom_plans(hub->db, 1);
	step = relais_hub_sql_step(st);
	(void)relais_hub_sql_custom_plans(hub->db, 0);
	return step;
}

/* Hands what o holds to sink and empties o. Returns 0 or RELAIS_EIO. */
static int drain(struct relais_strbuf *o, const struct relais_hub_sink *sink)
{
	int stop;

	if (o->rc != 0) {
		return o->rc;
	}
	stop = o->len > 0 && sink->write(sink->data, o->p, o->len) != 0;
	o->len = 0;
	return stop ? RELAIS_EIO : 0;
}

/* Runs sql (one count) with f bound; sets *n. */
static int count(long long *n, relais_hub *hub, relais_ctx *ctx, const char *sql,
                 const struct relais_hub_filter *f)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0;

	if (relais_hub_sql_prepare(hub->db, sql, -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
	}
	bind_filter(st, f);
	if (first_step(hub, st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
	} else {
		*n = relais_hub_sql_column_int64(st, 0);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* Which of a quiz view's dated_ways f takes, into *text. */
static int dated_way(const char **text, relais_hub *hub, relais_ctx *ctx, const char *const *ways,
                     const struct relais_hub_filter *f)
{
	int wide = !given(f->scope) && !given(f->organisation);
	int source = !wide ? 0 : given(f->country) ? 2 : 1;
	long long forward = 0;
	int rc = 0;

	if (given(f->from)) {
		rc = count(&forward, hub, ctx, READS_FORWARD, f);
	}
	if (rc == 0) {
		*text = ways[2 * source + (forward != 0)];
	}
	return rc;
}

/*
 * Report name for f in format, into *out (REPORT_MAX at most) or *json_out, or, with a sink
 * (CSV or JSON), written to it row by row; at most max_rows rows (0: all), the SQL limited
 * to one more to tell whether there are more; next, if not NULL, gets the start token of the
 * learners view's next page (NULL: none).
 */
static int report(char **out, cJSON **json_out, char **next, relais_hub *hub, relais_ctx *ctx,
                  const char *name, int format, enum hub_lang lang,
                  const struct relais_hub_filter *f, size_t max_rows,
                  const struct relais_hub_sink *sink)
{
	const struct report *r = find(name);
	relais_hub_sql_stmt *st = NULL, *both[2] = {NULL, NULL};
	struct relais_strbuf o = {.max = REPORT_MAX}, sql[2] = {{0}, {0}};
	cJSON *rows = NULL;
	char title[512], start[START_MAX], *start_email = NULL;
	size_t n_rows = 0;
	int cols, c, step, steps[2] = {RELAIS_HUB_SQL_DONE, RELAIS_HUB_SQL_DONE}, which = 0, i;
	int rc = 0, keyed = 0;

	if (out != NULL) {
		*out = NULL;
	}
	if (next != NULL) {
		*next = NULL;
	}
	if (r == NULL) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "no report called %s", name);
	}
	if (r->sql == NULL) {
		if (f != NULL && given(f->start)) {
			if (start_decode(start, &start_email, f->start) != 0) {
				return relais_fail(ctx, RELAIS_EINVAL, "start: not a learner");
			}
			keyed = 1;
		}
		learners_sql(&sql[0], &sql[1], f, keyed);
	} else {
		const char *text = r->sql;
		if (r->dated != NULL && f != NULL && (given(f->from) || given(f->to))) {
			text = r->dated;
			if (r->dated_ways != NULL &&
			    (rc = dated_way(&text, hub, ctx, r->dated_ways, f)) != 0) {
				return rc;
			}
		} else if (r->of_course != NULL && f != NULL && given(f->course)) {
			text = r->of_course;
		}
		relais_strbuf_add(&sql[0], text);
	}
	for (i = 0; i < 2 && rc == 0 && sql[i].len > 0; i++) {
		if (max_rows != 0) {
			relais_strbuf_printf(&sql[i], " LIMIT %zu", max_rows + 1);
		}
		if (sql[i].rc != 0) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		} else if (relais_hub_sql_prepare(hub->db, sql[i].p, -1, &both[i], NULL) !=
		           RELAIS_HUB_SQL_OK) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
		}
	}
	relais_strbuf_free(&sql[0]);
	relais_strbuf_free(&sql[1]);
	if (rc != 0) {
		goto out;
	}
	for (i = 0; i < 2 && both[i] != NULL; i++) {
		bind_filter(both[i], f);
		if (keyed) {
			(void)relais_hub_sql_bind_text(both[i], 8, start, -1,
			                               RELAIS_HUB_SQL_STATIC);
			(void)relais_hub_sql_bind_text(both[i], 9, start_email, -1,
			                               RELAIS_HUB_SQL_STATIC);
		}
		if (sink != NULL) {
			relais_hub_sql_stream(both[i]);
		}
	}
	if (sink != NULL) {
		o.max = 0; /* a row at a time */
	}
	/* The query runs before anything is written: a failure there leaves nothing. A
	 * streamed query is still running after its first step: plans reset at the end. */
	(void)relais_hub_sql_custom_plans(hub->db, 1);
	for (i = 0; i < 2 && both[i] != NULL; i++) {
		steps[i] = relais_hub_sql_step(both[i]);
	}
	if (sink == NULL) {
		(void)relais_hub_sql_custom_plans(hub->db, 0);
	}
	which = next_of(both, steps);
	st = both[which];
	step = steps[which];
	if (step != RELAIS_HUB_SQL_DONE && step != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
		goto out;
	}
	cols = relais_hub_sql_column_count(st);
	if (format == RELAIS_REPORT_JSON && sink != NULL) {
		relais_strbuf_addn(&o, "[", 1);
	} else if (format == RELAIS_REPORT_JSON) {
		rows = cJSON_CreateArray();
	} else if (format == RELAIS_REPORT_HTML) {
		relais_strbuf_add(&o, "<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
		for (c = 0; c < cols; c++) {
			relais_strbuf_add(&o, "<th scope=\"col\">");
			relais_strbuf_add_html(
			        &o, relais_hub_tr_name(lang, "COL_",
			                               relais_hub_sql_column_name(st, c)));
			relais_strbuf_add(&o, "</th>");
		}
		relais_strbuf_add(&o, "</tr></thead><tbody>");
	} else {
		for (c = 0; c < cols; c++) {
			if (c > 0) {
				relais_strbuf_addn(&o, ",", 1);
			}
			csv_cell(&o, relais_hub_sql_column_name(st, c));
		}
		relais_strbuf_add(&o, "\r\n");
	}
	/* The rows, each from the query whose row comes next. */
	for (; step == RELAIS_HUB_SQL_ROW; steps[which] = relais_hub_sql_step(st),
	                                   which = next_of(both, steps), st = both[which],
	                                   step = steps[which]) {
		cJSON *row = NULL;
		if (max_rows != 0 && n_rows == max_rows) {
			break;
		}
		if (sink != NULL && (rc = drain(&o, sink)) != 0) {
			break;
		}
		n_rows++;
		if (format == RELAIS_REPORT_JSON) {
			row = cJSON_CreateObject();
		} else if (format == RELAIS_REPORT_HTML) {
			relais_strbuf_add(&o, "<tr>");
		}
		for (c = 0; c < cols; c++) {
			const char *col = relais_hub_sql_column_name(st, c);
			const char *v = (const char *)relais_hub_sql_column_text(st, c);
			int type = relais_hub_sql_column_type(st, c);
			if (v == NULL) {
				v = "";
			}
			if (strcmp(col, "activity") == 0) {
				v = title_of(title, sizeof(title), v, lang);
			}
			if (format == RELAIS_REPORT_JSON) {
				if (type == RELAIS_HUB_SQL_INTEGER ||
				    type == RELAIS_HUB_SQL_FLOAT) {
					cJSON_AddNumberToObject(
					        row, col, relais_hub_sql_column_double(st, c));
				} else {
					cJSON_AddStringToObject(row, col, v);
				}
			} else if (format == RELAIS_REPORT_HTML) {
				html_cell(&o, col, v, lang);
			} else {
				if (c > 0) {
					relais_strbuf_addn(&o, ",", 1);
				}
				csv_cell(&o, v);
			}
		}
		if (format == RELAIS_REPORT_JSON && sink != NULL) {
			/* The bytes cJSON_PrintUnformatted() gives the whole array. */
			char *text = cJSON_PrintUnformatted(row);
			if (n_rows > 1) {
				relais_strbuf_addn(&o, ",", 1);
			}
			if (text == NULL) {
				o.rc = RELAIS_ENOMEM;
			} else {
				relais_strbuf_add(&o, text);
			}
			cJSON_free(text);
			cJSON_Delete(row);
		} else if (format == RELAIS_REPORT_JSON) {
			cJSON_AddItemToArray(rows, row);
		} else if (format == RELAIS_REPORT_HTML) {
			relais_strbuf_add(&o, "</tr>");
		} else {
			relais_strbuf_add(&o, "\r\n");
		}
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE && step != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
		goto out;
	}
	if (sink != NULL) {
		if (rc == 0 && format == RELAIS_REPORT_JSON) {
			relais_strbuf_addn(&o, "]", 1);
		}
		if (rc == 0) {
			rc = drain(&o, sink);
		}
		if (rc != 0) {
			rc = relais_fail(ctx, rc, "report %s: %s", name,
			                 rc == RELAIS_EIO ? "its output stopped" : "out of memory");
		}
		goto out;
	}
	if (format == RELAIS_REPORT_JSON && json_out != NULL) {
		*json_out = rows;
		rows = NULL;
	} else if (format == RELAIS_REPORT_JSON) {
		*out = cJSON_PrintUnformatted(rows);
	} else {
		if (format == RELAIS_REPORT_HTML) {
			relais_strbuf_add(&o, "</tbody></table></div>");
			if (step == RELAIS_HUB_SQL_ROW) {
				relais_strbuf_add(&o, "<p class=\"more\">");
				relais_strbuf_add_html(&o, relais_hub_tr(lang, HUB_M_MORE_ROWS));
				relais_strbuf_add(&o, "</p>");
			}
			/* The row after the last shown starts the next page. */
			if (step == RELAIS_HUB_SQL_ROW && next != NULL && r->sql == NULL) {
				start_encode(next, (const char *)relais_hub_sql_column_text(st, 0),
				             (const char *)relais_hub_sql_column_text(st, 1));
			}
		}
		relais_strbuf_addn(&o, "", 0);
		if (o.rc != 0) {
			rc = relais_fail(ctx, o.rc, "report %s: %s", name,
			                 o.rc == RELAIS_ELIMIT ? "too large" : "out of memory");
			goto out;
		}
		*out = o.p;
		o.p = NULL;
	}
	if (out != NULL && json_out == NULL && *out == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
out:
	cJSON_Delete(rows);
	relais_strbuf_free(&o);
	relais_hub_sql_finalize(both[0]);
	relais_hub_sql_finalize(both[1]);
	if (sink != NULL) {
		(void)relais_hub_sql_custom_plans(hub->db, 0);
	}
	return rc;
}

int relais_hub_report(char **out, relais_hub *hub, relais_ctx *ctx, const char *name, int format)
{
	return report(out, NULL, NULL, hub, ctx, name, format, HUB_LANG_EN, NULL, 0, NULL);
}

int relais_hub_report_stream(relais_hub *hub, relais_ctx *ctx, const char *name, int format,
                             const struct relais_hub_filter *f, const struct relais_hub_sink *sink)
{
	return report(NULL, NULL, NULL, hub, ctx, name, format, HUB_LANG_EN, f, 0, sink);
}

int relais_hub_report_page(char **out, char **next, relais_hub *hub, relais_ctx *ctx,
                           const char *name, enum hub_lang lang, const struct relais_hub_filter *f,
                           size_t max_rows)
{
	return report(out, NULL, next, hub, ctx, name, RELAIS_REPORT_HTML, lang, f, max_rows, NULL);
}

int relais_hub_report_rows(struct cJSON **out, relais_hub *hub, relais_ctx *ctx, const char *name,
                           const struct relais_hub_filter *f)
{
	*out = NULL;
	return report(NULL, out, NULL, hub, ctx, name, RELAIS_REPORT_JSON, HUB_LANG_EN, f, 0, NULL);
}

int relais_hub_learner_visible(relais_hub *hub, relais_ctx *ctx, const struct relais_hub_filter *f)
{
	long long n = 0;
	int rc = count(&n, hub, ctx, LEARNER_VISIBLE, f);

	if (rc == 0 && n == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no such learner");
	}
	return rc;
}

int relais_hub_report_choices(struct cJSON **out, relais_hub *hub, relais_ctx *ctx,
                              const struct relais_hub_filter *f)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0, step;

	*out = cJSON_CreateObject();
	if (*out == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (relais_hub_sql_prepare(hub->db,
	                           f != NULL && f->scope != NULL && f->scope[0] ? CHOICES_SCOPED
	                                                                        : CHOICES_ALL,
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
	}
	bind_filter(st, f);
	for (step = first_step(hub, st); step == RELAIS_HUB_SQL_ROW;
	     step = relais_hub_sql_step(st)) {
		const char *kind = (const char *)relais_hub_sql_column_text(st, 0);
		cJSON *list = cJSON_GetObjectItemCaseSensitive(*out, kind);
		if (list == NULL) {
			list = cJSON_AddArrayToObject(*out, kind);
		}
		cJSON_AddItemToArray(
		        list, cJSON_CreateString((const char *)relais_hub_sql_column_text(st, 1)));
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "report");
	}
	relais_hub_sql_finalize(st);
	return rc;
}
