/* store.c: the hub database: opening it, its numbered migrations, the statement cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/strbuf.h"

/* Migration 12 fills the reports' tables from the statements already held. */
#define FILL_LEARNER_COURSE "INSERT INTO learner_course " RELAIS_HUB_LEARNER_COURSE("1 = 1") ";"
#define FILL_ACTIVITY_LEARNER                                                                      \
	"INSERT INTO activity_learner " RELAIS_HUB_ACTIVITY_LEARNER("1 = 1") ";"
#define FILL_ACTIVITY_TALLY "INSERT INTO activity_tally " RELAIS_HUB_ACTIVITY_TALLY("1 = 1") ";"
#define FILL_UNSCORED_ANSWER                                                                       \
	"INSERT INTO unscored_answer SELECT seq FROM statement WHERE verb_term "                   \
	"= " RELAIS_HUB_VERB_TERM("answered") " AND success IS NULL;"

/* The SQL is laid out as SQL, not as clang-format would. */
/* clang-format off */
/*
 * SQLite's three row triggers name_add, name_drop and name_change on table: after an
 * insert, add; after a delete, drop; after an update (when, a " WHEN ..." clause, or ""),
 * change (mostly drop then add: the old row's counts taken back, the new one's added).
 */
#define LITE_ROW_TRIGGERS(name, table, add, drop, when, change) \
	"CREATE TRIGGER " name "_add AFTER INSERT ON " table " BEGIN " add " END;" \
	"CREATE TRIGGER " name "_drop AFTER DELETE ON " table " BEGIN " drop " END;" \
	"CREATE TRIGGER " name "_change AFTER UPDATE ON " table when " BEGIN " change " END;"
/* Whether a learner_course row's change (old to new) changes what course_tally and
 * course_day_tally count of it (SQLite's row trigger). */
#define TALLY_CHANGED \
	"old.organisation IS NOT new.organisation OR old.course IS NOT new.course OR " \
	"old.completed IS NOT new.completed OR old.passed IS NOT new.passed OR " \
	"substr(old.started, 1, 10) IS NOT substr(new.started, 1, 10) OR " \
	"substr(old.last, 1, 10) IS NOT substr(new.last, 1, 10)"
#define DAY_TALLY_MERGE \
	" ON CONFLICT(course_term, organisation, day) DO UPDATE SET " \
	"started = course_day_tally.started + excluded.started, " \
	"last = course_day_tally.last + excluded.last, " \
	"completed = course_day_tally.completed + excluded.completed, " \
	"last_completed = course_day_tally.last_completed + excluded.last_completed, " \
	"passed = course_day_tally.passed + excluded.passed, " \
	"last_passed = course_day_tally.last_passed + excluded.last_passed;"
#define COURSE_TALLY_MERGE \
	" ON CONFLICT(course_term, organisation) DO UPDATE SET " \
	"learners = course_tally.learners + excluded.learners, " \
	"completed = course_tally.completed + excluded.completed, " \
	"passed = course_tally.passed + excluded.passed;"
/* k (1 or -1) times learner_course row r (new or old, in a SQLite trigger) in course_tally
 * and course_day_tally. */
#define TALLY_KEY(r) r ".course_term, coalesce(" r ".organisation, ''), "
#define IF_COMPLETED(r, k) "CASE WHEN " r ".completed IS NOT NULL THEN " k " ELSE 0 END"
#define IF_PASSED(r, k) \
	"CASE WHEN " r ".completed IS NOT NULL AND " r ".passed IS NOT NULL THEN " k " ELSE 0 END"
/* A row's contributions to course_day_tally, one a day it counts on (grouped by the caller). */
#define DAY_ROWS(r, k) \
	"SELECT substr(" r ".started, 1, 10) AS day, " k " AS s, 0 AS l, 0 AS c, 0 AS lc, " \
	"0 AS p, 0 AS lp UNION ALL SELECT substr(" r ".last, 1, 10), 0, " k ", 0, " \
	IF_COMPLETED(r, k) ", 0, " IF_PASSED(r, k) " UNION ALL SELECT substr(" r \
	".completed, 1, 10), 0, 0, " k ", 0, 0, 0 WHERE " r ".completed IS NOT NULL " \
	"UNION ALL SELECT substr(" r ".passed, 1, 10), 0, 0, 0, 0, " k ", 0 WHERE " r \
	".completed IS NOT NULL AND " r ".passed IS NOT NULL"
#define LITE_TALLY(r, k) \
	"INSERT INTO course_tally SELECT " TALLY_KEY(r) r ".course, " k ", " IF_COMPLETED(r, k) \
	", " IF_PASSED(r, k) " WHERE true" COURSE_TALLY_MERGE \
	"INSERT INTO course_day_tally SELECT " TALLY_KEY(r) "day, " r ".course, sum(s), sum(l), " \
	"sum(c), sum(lc), sum(p), sum(lp) FROM (" DAY_ROWS(r, k) ") d GROUP BY day" \
	DAY_TALLY_MERGE
/* The same for the rows of a transition table (PostgreSQL's statement triggers), at once. */
#define PG_TALLY(rows, times) \
	"INSERT INTO course_tally " RELAIS_HUB_COURSE_TALLY(rows, times) COURSE_TALLY_MERGE \
	"INSERT INTO course_day_tally " RELAIS_HUB_COURSE_DAY_TALLY(rows, times) DAY_TALLY_MERGE
#define LITE_TRIGGERS \
	LITE_ROW_TRIGGERS("learner_course_tally", "learner_course", LITE_TALLY("new", "1"), \
	                  LITE_TALLY("old", "-1"), " WHEN " TALLY_CHANGED, \
	                  LITE_TALLY("old", "-1") LITE_TALLY("new", "1"))
#define PG_TRIGGERS \
	"CREATE FUNCTION learner_course_tallies() RETURNS trigger LANGUAGE plpgsql AS $$ " \
	"BEGIN IF TG_OP <> 'INSERT' THEN " PG_TALLY("old_rows", "-1 * ") \
	" END IF; IF TG_OP <> 'DELETE' THEN " PG_TALLY("new_rows", "") \
	" END IF; RETURN NULL; END $$;" \
	"CREATE TRIGGER learner_course_tally_add AFTER INSERT ON learner_course " \
	"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION learner_course_tallies();" \
	"CREATE TRIGGER learner_course_tally_drop AFTER DELETE ON learner_course " \
	"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION learner_course_tallies();" \
	"CREATE TRIGGER learner_course_tally_change AFTER UPDATE ON learner_course " \
	"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION learner_course_tallies();"
/* The two tables, in a backend's integer and text types, and their first rows. */
#define TALLY_TABLES(integer, text, rowid) \
	"CREATE TABLE course_tally (course_term " integer " NOT NULL, organisation " text \
	" NOT NULL, course " text " NOT NULL, learners " integer " NOT NULL, completed " integer \
	" NOT NULL, passed " integer " NOT NULL, PRIMARY KEY (course_term, organisation))" rowid \
	";CREATE TABLE course_day_tally (course_term " integer " NOT NULL, organisation " text \
	" NOT NULL, day " text " NOT NULL, course " text " NOT NULL, started " integer \
	" NOT NULL, last " integer " NOT NULL, completed " integer " NOT NULL, last_completed " \
	integer " NOT NULL, passed " integer " NOT NULL, last_passed " integer " NOT NULL, " \
	"PRIMARY KEY (course_term, organisation, day))" rowid ";"
#define TALLY_FILL \
	"INSERT INTO course_tally " RELAIS_HUB_COURSE_TALLY("learner_course", "") ";" \
	"INSERT INTO course_day_tally " RELAIS_HUB_COURSE_DAY_TALLY("learner_course", "") ";"
/* Migration 21: activity_learner's rows per kind, activity, organisation and day
 * (activity_day_tally) and month (activity_month_tally), what a row counts (1 learner;
 * whether it missed; whether it passed; its tries, passes, scores' sum and count) on the day
 * (month) of its first answer (first_) and of its last (last_). The scores' sum is kept in
 * billionths, an integer, so that adding and taking off rows as they move leaves no rounding
 * behind (a sum of doubles drifts, and an average at x.xxx5 then rounds the other way). Row r's seven numbers (r: new.
 * or old. in a SQLite trigger, "" for a table's) k (1 or -1) times, or zeros, named with
 * prefix p. */
#define ACT_COUNTS(r, k, p) \
	k " AS " p "learners, " k " * " r "missed AS " p "missed, " \
	"CASE WHEN " r "passes > 0 THEN " k " ELSE 0 END AS " p "passed, " \
	k " * " r "tries AS " p "tries, " k " * " r "passes AS " p "passes, " \
	k " * CAST(round(" r "score_sum * 1000000000) AS BIGINT) AS " p "score_e9, " \
	k " * " r "scored AS " p "scored"
#define ACT_ZEROS(p) \
	"0 AS " p "learners, 0 AS " p "missed, 0 AS " p "passed, 0 AS " p "tries, " \
	"0 AS " p "passes, 0 AS " p "score_e9, 0 AS " p "scored"
/* The day (n "10") or month ("7") of row r's time when. */
#define ACT_KEY(r, when, n) \
	"SELECT " r "kind AS kind, " r "object_term AS object_term, " r "organisation AS org, " \
	"substr(" r when ", 1, " n ") AS day, " r "course_term AS course_term, " \
	r "course AS course, " r "quiz AS quiz, " r "object_id AS object_id, "
/* Row r's two contributions (from: "" in a SQLite trigger, else " FROM " a table). */
#define ACT_ROWS(r, from, k, n) \
	ACT_KEY(r, "first", n) ACT_COUNTS(r, k, "first_") ", " ACT_ZEROS("last_") from \
	" UNION ALL " ACT_KEY(r, "last", n) ACT_ZEROS("first_") ", " ACT_COUNTS(r, k, "last_") from
#define ACT_SUMS(p) \
	"sum(" p "learners), sum(" p "missed), sum(" p "passed), sum(" p "tries), " \
	"sum(" p "passes), sum(" p "score_e9), sum(" p "scored)"
#define ACT_ADD(t, c) c " = " t "." c " + excluded." c
#define ACT_ADD_SIDE(t, p) \
	ACT_ADD(t, p "learners") ", " ACT_ADD(t, p "missed") ", " ACT_ADD(t, p "passed") ", " \
	ACT_ADD(t, p "tries") ", " ACT_ADD(t, p "passes") ", " ACT_ADD(t, p "score_e9") ", " \
	ACT_ADD(t, p "scored")
/* Adding to the row of key (a list of columns) of table t. */
#define ACT_MERGE(t, key) \
	" ON CONFLICT(" key ") DO UPDATE SET " ACT_ADD_SIDE(t, "first_") ", " \
	ACT_ADD_SIDE(t, "last_") ";"
/* The rows of a query (x, a tally's columns or ACT_ROWS', joined by join) added up by
 * group, a list of columns that starts table t's rows, then added to t's row of key (an
 * upsert changes a row once). */
#define ACT_SUMS_INTO(t, group, rows, join, key) \
	"INSERT INTO " t " SELECT " group ", max(course_term), max(course), max(quiz), " \
	"max(object_id), " ACT_SUMS("first_") ", " ACT_SUMS("last_") " FROM (" rows ") x" join \
	" GROUP BY " group ACT_MERGE(t, key)
/* The contributions (ACT_ROWS) added to table t (its period column col). */
#define ACT_TALLY(t, col, rows) \
	ACT_SUMS_INTO(t, "kind, object_term, org, day", rows, "", \
	              "kind, " col ", object_term, organisation")
/* rows(n), a macro's name, into both tables. */
#define ACT_TALLIES(rows) \
	ACT_TALLY("activity_day_tally", "day", rows("10")) \
	ACT_TALLY("activity_month_tally", "month", rows("7"))
#define ACT_LITE_NEW(n) ACT_ROWS("new.", "", "1", n)
#define ACT_LITE_OLD(n) ACT_ROWS("old.", "", "-1", n)
#define ACT_LITE_MOVE(n) ACT_LITE_OLD(n) " UNION ALL " ACT_LITE_NEW(n)
#define ACT_PG_NEW(n) ACT_ROWS("", " FROM new_rows", "1", n)
#define ACT_PG_OLD(n) ACT_ROWS("", " FROM old_rows", "-1", n)
#define ACT_PG_MOVE(n) ACT_PG_OLD(n) " UNION ALL " ACT_PG_NEW(n)
#define ACT_FILL(n) ACT_ROWS("", " FROM activity_learner", "1", n)
/* Whether an activity_learner row's change (old to new) changes what it counts. */
#define ACT_CHANGED \
	"old.kind IS NOT new.kind OR old.object_term IS NOT new.object_term OR " \
	"old.organisation IS NOT new.organisation OR old.tries IS NOT new.tries OR " \
	"old.missed IS NOT new.missed OR old.passes IS NOT new.passes OR " \
	"old.score_sum IS NOT new.score_sum OR old.scored IS NOT new.scored OR " \
	"substr(old.first, 1, 10) IS NOT substr(new.first, 1, 10) OR " \
	"substr(old.last, 1, 10) IS NOT substr(new.last, 1, 10)"
#define ACT_LITE_TRIGGERS \
	LITE_ROW_TRIGGERS("activity_learner_tally", "activity_learner", \
	                  ACT_TALLIES(ACT_LITE_NEW), ACT_TALLIES(ACT_LITE_OLD), \
	                  " WHEN " ACT_CHANGED, ACT_TALLIES(ACT_LITE_MOVE))
/* PostgreSQL's: once a statement, over its rows (an update's old and new together); the
 * function (create: CREATE, or CREATE OR REPLACE) adds them to tallies(rows). */
#define ACT_PG_FUNCTION(create, tallies) \
	create " FUNCTION activity_learner_tallies() RETURNS trigger LANGUAGE plpgsql AS $$ " \
	"BEGIN IF TG_OP = 'INSERT' THEN " tallies(ACT_PG_NEW) \
	" ELSIF TG_OP = 'DELETE' THEN " tallies(ACT_PG_OLD) \
	" ELSE " tallies(ACT_PG_MOVE) " END IF; RETURN NULL; END $$;"
#define ACT_PG_TRIGGERS \
	ACT_PG_FUNCTION("CREATE", ACT_TALLIES) \
	"CREATE TRIGGER activity_learner_tally_add AFTER INSERT ON activity_learner " \
	"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION activity_learner_tallies();" \
	"CREATE TRIGGER activity_learner_tally_drop AFTER DELETE ON activity_learner " \
	"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION activity_learner_tallies();" \
	"CREATE TRIGGER activity_learner_tally_change AFTER UPDATE ON activity_learner " \
	"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION activity_learner_tallies();"
#define ACT_SIDE_COLS(p, integer) \
	p "learners " integer " NOT NULL, " p "missed " integer " NOT NULL, " p "passed " integer \
	" NOT NULL, " p "tries " integer " NOT NULL, " p "passes " integer " NOT NULL, " p \
	"score_e9 " integer " NOT NULL, " p "scored " integer " NOT NULL, "
/* Table t with period column col (a backend's types); its key puts the periods before the
 * activities, so that the views read a range of them. */
#define ACT_TABLE(t, col, integer, text, rowid) \
	"CREATE TABLE " t " (kind INTEGER NOT NULL, object_term " integer " NOT NULL, " \
	"organisation " text " NOT NULL, " col " " text " NOT NULL, course_term " integer \
	" NOT NULL, course " text " NOT NULL, quiz " text " NOT NULL, object_id " text \
	" NOT NULL, " ACT_SIDE_COLS("first_", integer) ACT_SIDE_COLS("last_", integer) \
	"PRIMARY KEY (kind, " col ", object_term, organisation))" rowid ";"
/* Both tables and their first rows. */
#define ACT_TABLES(integer, text, rowid) \
	ACT_TABLE("activity_day_tally", "day", integer, text, rowid) \
	ACT_TABLE("activity_month_tally", "month", integer, text, rowid) \
	ACT_TALLIES(ACT_FILL)
/* Migration 20: learner, one row per learner (RELAIS_HUB_LEARNER), made again from
 * learner_course for the learners of terms (an SQL list) whose rows changed in what it
 * holds; a row whose last statement alone moved on only moves learner's last on. */
#define LEARNER_MERGE \
	" ON CONFLICT(actor_term) DO UPDATE SET name = excluded.name, email = excluded.email, " \
	"organisation = excluded.organisation, uniform = excluded.uniform, " \
	"courses = excluded.courses, completed = excluded.completed, " \
	"started = excluded.started, last = excluded.last;"
#define LEARNER_OF(terms) \
	"INSERT INTO learner " RELAIS_HUB_LEARNER("actor_term IN " terms) LEARNER_MERGE \
	"DELETE FROM learner WHERE actor_term IN " terms " AND NOT EXISTS (SELECT 1 " \
	"FROM learner_course c WHERE c.actor_term = learner.actor_term);"
/* Whether learner_course row o's change to n changes its learner's row (is_not: the
 * backend's "IS NOT" for values that may be NULL). */
#define LEARNER_CHANGED(o, n, is_not) \
	o ".actor_term <> " n ".actor_term OR " o ".name " is_not " " n ".name OR " \
	o ".organisation " is_not " " n ".organisation OR (" o ".completed IS NULL) <> (" \
	n ".completed IS NULL) OR " o ".started <> " n ".started OR " o ".last > " n ".last"
#define LITE_LEARNER_TRIGGERS \
	LITE_ROW_TRIGGERS("learner_course_learner", "learner_course", \
	                  LEARNER_OF("(new.actor_term)"), LEARNER_OF("(old.actor_term)"), \
	                  " WHEN " LEARNER_CHANGED("old", "new", "IS NOT"), \
	                  LEARNER_OF("(old.actor_term, new.actor_term)")) \
	"CREATE TRIGGER learner_course_learner_last AFTER UPDATE ON learner_course WHEN NOT (" \
	LEARNER_CHANGED("old", "new", "IS NOT") ") AND new.last > old.last BEGIN " \
	"UPDATE learner SET last = new.last WHERE actor_term = new.actor_term " \
	"AND last < new.last; END;"
/* The rows of an update's transition tables that match (the same key) or do not. */
#define PG_PAIRS "new_rows n JOIN old_rows o ON o.course_term = n.course_term " \
	"AND o.actor_term = n.actor_term"
#define PG_UNPAIRED(b) \
	"(SELECT 1 FROM " b " y WHERE y.course_term = x.course_term AND " \
	"y.actor_term = x.actor_term)"
#define PG_LEARNER_TRIGGERS \
	"CREATE FUNCTION learner_course_learners() RETURNS trigger LANGUAGE plpgsql AS $$ " \
	"BEGIN IF TG_OP = 'INSERT' THEN " LEARNER_OF("(SELECT actor_term FROM new_rows)") \
	" ELSIF TG_OP = 'DELETE' THEN " LEARNER_OF("(SELECT actor_term FROM old_rows)") \
	" ELSE " LEARNER_OF("(SELECT n.actor_term FROM " PG_PAIRS " WHERE " \
	LEARNER_CHANGED("o", "n", "IS DISTINCT FROM") " UNION SELECT x.actor_term FROM " \
	"new_rows x WHERE NOT EXISTS " PG_UNPAIRED("old_rows") " UNION SELECT " \
	"x.actor_term FROM old_rows x WHERE NOT EXISTS " PG_UNPAIRED("new_rows") ")") \
	"UPDATE learner l SET last = m.last FROM (SELECT actor_term, max(last) AS last " \
	"FROM new_rows GROUP BY actor_term) m WHERE l.actor_term = m.actor_term " \
	"AND l.last < m.last; END IF; RETURN NULL; END $$;" \
	"CREATE TRIGGER learner_course_learner_add AFTER INSERT ON learner_course " \
	"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION learner_course_learners();" \
	"CREATE TRIGGER learner_course_learner_drop AFTER DELETE ON learner_course " \
	"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION learner_course_learners();" \
	"CREATE TRIGGER learner_course_learner_change AFTER UPDATE ON learner_course " \
	"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION learner_course_learners();"
/* The table, its first rows, and the indexes the learners view walks in its order: every
 * learner by name and email; the uniform ones of an organisation; the others (a few); a
 * course's learners (their rows in it). And the completions by learner in their order
 * (report.c). */
#define LEARNER_TABLE(integer, text) \
	"CREATE TABLE learner (actor_term " integer " PRIMARY KEY, name " text " NOT NULL, " \
	"email " text " NOT NULL, organisation " text " NOT NULL, uniform INTEGER NOT NULL, " \
	"courses " integer " NOT NULL, completed " integer " NOT NULL, started " text \
	" NOT NULL, last " text " NOT NULL);" \
	"INSERT INTO learner " RELAIS_HUB_LEARNER("true") ";" \
	"CREATE INDEX learner_name ON learner(name, email);" \
	"CREATE INDEX learner_organisation ON learner(organisation, name, email) " \
	"WHERE uniform = 1;" \
	"CREATE INDEX learner_mixed ON learner(uniform) WHERE uniform = 0;" \
	"CREATE INDEX learner_course_completions ON learner_course(coalesce(name, ''), " \
	"(" RELAIS_HUB_EMAIL("actor") "), course) WHERE completed IS NOT NULL;" \
	"CREATE INDEX learner_course_learners ON learner_course(course_term, " \
	"coalesce(name, ''), (" RELAIS_HUB_EMAIL("actor") "));"
#define LEARNER_LISTED \
	"CREATE INDEX learner_listed ON learner(name, email, organisation) WHERE uniform = 1;"
/* Migration 23: course_day_tally by month (course_month_tally), kept from it by triggers, so
 * that the dated status and completions views read whole months and at most 15 days a side
 * (report.c, PERIODS_IN_RANGE), not every day. Its numbers, k (1 or -1) times those of
 * course_day_tally row r (new. or old. in a SQLite trigger, "" for a table's), or their
 * sums. */
#define MONTH_NUMS(r, k) \
	k r "started AS started, " k r "last AS last, " k r "completed AS completed, " \
	k r "last_completed AS last_completed, " k r "passed AS passed, " \
	k r "last_passed AS last_passed"
#define MONTH_KEY(r) \
	r "course_term AS course_term, " r "organisation AS organisation, " \
	"substr(" r "day, 1, 7) AS month, " r "course AS course, "
#define MONTH_MERGE \
	" ON CONFLICT(course_term, organisation, month) DO UPDATE SET " \
	"started = course_month_tally.started + excluded.started, " \
	"last = course_month_tally.last + excluded.last, " \
	"completed = course_month_tally.completed + excluded.completed, " \
	"last_completed = course_month_tally.last_completed + excluded.last_completed, " \
	"passed = course_month_tally.passed + excluded.passed, " \
	"last_passed = course_month_tally.last_passed + excluded.last_passed;"
/* The rows of table t, k times; rows such as these added up by month. */
#define MONTH_ROWS(t, k) "SELECT " MONTH_KEY("") MONTH_NUMS("", k) " FROM " t
#define MONTH_OF(rows) \
	"SELECT course_term, organisation, month, max(course), sum(started), sum(last), " \
	"sum(completed), sum(last_completed), sum(passed), sum(last_passed) FROM (" rows \
	") x GROUP BY course_term, organisation, month"
#define MONTH_TABLE(integer, text, rowid) \
	"CREATE TABLE course_month_tally (course_term " integer " NOT NULL, organisation " text \
	" NOT NULL, month " text " NOT NULL, course " text " NOT NULL, started " integer \
	" NOT NULL, last " integer " NOT NULL, completed " integer " NOT NULL, last_completed " \
	integer " NOT NULL, passed " integer " NOT NULL, last_passed " integer " NOT NULL, " \
	"PRIMARY KEY (course_term, organisation, month))" rowid ";" \
	"INSERT INTO course_month_tally " MONTH_OF(MONTH_ROWS("course_day_tally", "")) ";"
#define MONTH_LITE_ROW(r, k) \
	"INSERT INTO course_month_tally SELECT " MONTH_KEY(r) MONTH_NUMS(r, k) " WHERE true" \
	MONTH_MERGE
#define MONTH_LITE_TRIGGERS \
	LITE_ROW_TRIGGERS("course_day_tally_month", "course_day_tally", \
	                  MONTH_LITE_ROW("new.", ""), MONTH_LITE_ROW("old.", "-"), "", \
	                  MONTH_LITE_ROW("old.", "-") MONTH_LITE_ROW("new.", ""))
#define MONTH_PG_TRIGGERS \
	"CREATE FUNCTION course_day_tally_months() RETURNS trigger LANGUAGE plpgsql AS $$ " \
	"BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO course_month_tally " \
	MONTH_OF(MONTH_ROWS("new_rows", "")) MONTH_MERGE " ELSIF TG_OP = 'DELETE' THEN " \
	"INSERT INTO course_month_tally " MONTH_OF(MONTH_ROWS("old_rows", "-")) MONTH_MERGE \
	" ELSE INSERT INTO course_month_tally " \
	MONTH_OF(MONTH_ROWS("old_rows", "-") " UNION ALL " MONTH_ROWS("new_rows", "")) \
	MONTH_MERGE " END IF; RETURN NULL; END $$;" \
	"CREATE TRIGGER course_day_tally_month_add AFTER INSERT ON course_day_tally " \
	"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION course_day_tally_months();" \
	"CREATE TRIGGER course_day_tally_month_drop AFTER DELETE ON course_day_tally " \
	"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION course_day_tally_months();" \
	"CREATE TRIGGER course_day_tally_month_change AFTER UPDATE ON course_day_tally " \
	"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT " \
	"EXECUTE FUNCTION course_day_tally_months();"
/* Migration 25: activity_day_tally and activity_month_tally with every organisation's rows
 * together (activity_day_total, activity_month_total), so that the dated quiz views of all
 * organisations read a row per question and day (month), not one per question, organisation
 * and day: the days at a range's ends are then a few hundred rows each, not thousands
 * (report.c, QUIZ_SOURCE_ALL). Kept by triggers on the tallies in SQLite, by
 * activity_learner's in PostgreSQL. Row r's numbers (r: new. or old. in a SQLite trigger;
 * k: "" or "-"). */
#define TOTAL_SIDE(r, k, p) \
	k r p "learners AS " p "learners, " k r p "missed AS " p "missed, " \
	k r p "passed AS " p "passed, " k r p "tries AS " p "tries, " \
	k r p "passes AS " p "passes, " k r p "score_e9 AS " p "score_e9, " \
	k r p "scored AS " p "scored"
/* Adding to a key's total in table t. */
#define TOTAL_MERGE(t, col) ACT_MERGE(t, "kind, " col ", object_term")
/* The rows of a query (a tally's columns, its period named period) added to table t (its
 * period column col), a question's and period's together. */
#define TOTAL_OF(t, col, period, rows) \
	ACT_SUMS_INTO(t, "kind, " period ", object_term", rows, "", "kind, " col ", object_term")
#define TOTAL_TABLE(t, col, from, integer, text, rowid) \
	"CREATE TABLE " t " (kind INTEGER NOT NULL, " col " " text " NOT NULL, object_term " \
	integer " NOT NULL, course_term " integer " NOT NULL, course " text " NOT NULL, quiz " \
	text " NOT NULL, object_id " text " NOT NULL, " ACT_SIDE_COLS("first_", integer) \
	ACT_SIDE_COLS("last_", integer) "PRIMARY KEY (kind, " col ", object_term))" rowid ";" \
	TOTAL_OF(t, col, col, "SELECT * FROM " from)
#define TOTAL_TABLES(integer, text, rowid) \
	TOTAL_TABLE("activity_day_total", "day", "activity_day_tally", integer, text, rowid) \
	TOTAL_TABLE("activity_month_total", "month", "activity_month_tally", integer, text, rowid)
/* SQLite's: a row at a time, vals added to its key's total (PostgreSQL's below); a change
 * that keeps the key (an upsert's, as every change is) adds the differences, one that moves
 * it takes old off and puts new on. */
#define TOTAL_LITE_ROW(t, col, r, vals) \
	"INSERT INTO " t " SELECT " r "kind, " r col ", " r "object_term, " r "course_term, " \
	r "course, " r "quiz, " r "object_id, " vals " WHERE true" TOTAL_MERGE(t, col)
#define TOTAL_DIFF(p) \
	"new." p "learners - old." p "learners, new." p "missed - old." p "missed, " \
	"new." p "passed - old." p "passed, new." p "tries - old." p "tries, " \
	"new." p "passes - old." p "passes, new." p "score_e9 - old." p "score_e9, " \
	"new." p "scored - old." p "scored"
#define TOTAL_SAME_KEY(col) \
	"old.kind = new.kind AND old." col " = new." col " AND old.object_term = new.object_term"
/* Tally table from's four triggers: row(t, col, r, vals) adds vals of its row r (new. or old.)
 * where they count; same, the condition on old and new under which a change keeps the key. */
#define TOTAL_LITE_TRIGGERS_OF(from, t, col, row, same) \
	LITE_ROW_TRIGGERS(from "_total", from, \
	                  row(t, col, "new.", TOTAL_SIDE("new.", "", "first_") ", " \
	                      TOTAL_SIDE("new.", "", "last_")), \
	                  row(t, col, "old.", TOTAL_SIDE("old.", "-", "first_") ", " \
	                      TOTAL_SIDE("old.", "-", "last_")), \
	                  " WHEN " same, \
	                  row(t, col, "new.", TOTAL_DIFF("first_") ", " TOTAL_DIFF("last_"))) \
	"CREATE TRIGGER " from "_total_move AFTER UPDATE ON " from " WHEN NOT (" \
	same ") BEGIN " \
	row(t, col, "old.", TOTAL_SIDE("old.", "-", "first_") ", " \
	    TOTAL_SIDE("old.", "-", "last_")) \
	row(t, col, "new.", TOTAL_SIDE("new.", "", "first_") ", " \
	    TOTAL_SIDE("new.", "", "last_")) " END;"
#define TOTAL_LITE_TRIGGERS \
	TOTAL_LITE_TRIGGERS_OF("activity_day_tally", "activity_day_total", "day", \
	                       TOTAL_LITE_ROW, TOTAL_SAME_KEY("day")) \
	TOTAL_LITE_TRIGGERS_OF("activity_month_tally", "activity_month_total", "month", \
	                       TOTAL_LITE_ROW, TOTAL_SAME_KEY("month"))
/* PostgreSQL's: the contributions (ACT_ROWS, their period named day) added to the totals by
 * activity_learner's statement trigger with the organisations' tallies, from the same rows
 * at once: triggers on the tallies would have PostgreSQL keep their changed rows for each
 * statement, which cost the ingest a quarter more of its time in PostgreSQL. */
#define ACT_TALLIES_AND_TOTALS(rows) \
	ACT_TALLIES(rows) TOTAL_OF("activity_day_total", "day", "day", rows("10")) \
	TOTAL_OF("activity_month_total", "month", "day", rows("7"))
#define TOTAL_PG_TRIGGERS ACT_PG_FUNCTION("CREATE OR REPLACE", ACT_TALLIES_AND_TOTALS)

/* Migration 26: the quiz tallies by country (activity_day_country, activity_month_country):
 * the organisations' rows added up by the country each organisation has (one of none is not
 * counted), so that a country's dated quiz views read a row per question and day (month),
 * however many organisations it holds (report.c, QUIZ_SOURCE_COUNTRY), not each
 * organisation's. Kept as migration 25's totals are (SQLite: the same triggers on the
 * tallies; PostgreSQL: activity_learner's statement trigger), and moved when an
 * organisation's country changes (triggers on organisation). Adding to a key's row of table
 * activity_<col>_country: */
#define COUNTRY_KEY(col) "kind, country, " col ", object_term"
#define COUNTRY_MERGE(col) ACT_MERGE("activity_" col "_country", COUNTRY_KEY(col))
/* The rows of a query (a tally's columns, its organisation named org, its period named
 * period) added up by their organisations' countries. */
#define COUNTRY_OF(col, period, rows) \
	ACT_SUMS_INTO("activity_" col "_country", "kind, o.country, " period ", object_term", \
	              rows, " JOIN organisation o ON o.name = x.org", COUNTRY_KEY(col))
/* Its key puts the country before the periods, so that the views read a range of its. */
#define COUNTRY_TABLE(col, integer, text, rowid) \
	"CREATE TABLE activity_" col "_country (kind INTEGER NOT NULL, country " text \
	" NOT NULL, " col " " text " NOT NULL, object_term " integer " NOT NULL, course_term " \
	integer " NOT NULL, course " text " NOT NULL, quiz " text " NOT NULL, object_id " text \
	" NOT NULL, " ACT_SIDE_COLS("first_", integer) ACT_SIDE_COLS("last_", integer) \
	"PRIMARY KEY (kind, country, " col ", object_term))" rowid ";" \
	COUNTRY_OF(col, col, "SELECT *, organisation AS org FROM activity_" col "_tally")
#define COUNTRY_TABLES(integer, text, rowid) \
	COUNTRY_TABLE("day", integer, text, rowid) COUNTRY_TABLE("month", integer, text, rowid)
/* SQLite's: tally row r's vals added to its total and to its organisation's country's; the
 * tallies' triggers of migration 25 made again to do both (a change that keeps the
 * organisation as well as the total's key adds the differences). */
#define COUNTRY_LITE_ROW(col, r, vals) \
	"INSERT INTO activity_" col "_country SELECT " r "kind, o.country, " r col ", " \
	r "object_term, " r "course_term, " r "course, " r "quiz, " r "object_id, " vals \
	" FROM organisation o WHERE o.name = " r "organisation AND o.country IS NOT NULL" \
	COUNTRY_MERGE(col)
#define TOTAL_COUNTRY_ROW(t, col, r, vals) TOTAL_LITE_ROW(t, col, r, vals) COUNTRY_LITE_ROW(col, r, vals)
#define COUNTRY_SAME_KEY(col) TOTAL_SAME_KEY(col) " AND old.organisation = new.organisation"
#define TOTAL_LITE_DROPS(from) \
	"DROP TRIGGER " from "_total_add; DROP TRIGGER " from "_total_drop; " \
	"DROP TRIGGER " from "_total_change; DROP TRIGGER " from "_total_move;"
/* An organisation's tallies of table activity_<col>_tally, k times, added to the country
 * of its row r (new. or old.), if any. */
#define COUNTRY_MOVE(col, r, k) \
	"INSERT INTO activity_" col "_country SELECT kind, " r "country, " col ", object_term, " \
	"course_term, course, quiz, object_id, " TOTAL_SIDE("", k, "first_") ", " \
	TOTAL_SIDE("", k, "last_") " FROM activity_" col "_tally WHERE organisation = " r \
	"name AND " r "country IS NOT NULL" COUNTRY_MERGE(col)
#define COUNTRY_MOVES(r, k) COUNTRY_MOVE("day", r, k) COUNTRY_MOVE("month", r, k)
#define COUNTRY_MOVED "old.country IS NOT new.country OR old.name IS NOT new.name"
#define COUNTRY_LITE_TRIGGERS \
	TOTAL_LITE_DROPS("activity_day_tally") TOTAL_LITE_DROPS("activity_month_tally") \
	TOTAL_LITE_TRIGGERS_OF("activity_day_tally", "activity_day_total", "day", \
	                       TOTAL_COUNTRY_ROW, COUNTRY_SAME_KEY("day")) \
	TOTAL_LITE_TRIGGERS_OF("activity_month_tally", "activity_month_total", "month", \
	                       TOTAL_COUNTRY_ROW, COUNTRY_SAME_KEY("month")) \
	LITE_ROW_TRIGGERS("organisation_country", "organisation", COUNTRY_MOVES("new.", ""), \
	                  COUNTRY_MOVES("old.", "-"), " WHEN " COUNTRY_MOVED, \
	                  COUNTRY_MOVES("old.", "-") COUNTRY_MOVES("new.", ""))
/* PostgreSQL's: the contributions added by country by activity_learner's statement trigger
 * with the tallies and totals. An organisation's move first waits for the transactions
 * storing statements to end and holds off new ones (SHARE ROW EXCLUSIVE, which also queues
 * moves one after another): one that read the organisation's country before the move
 * committed has then written its tallies, which the move reads, and one after reads the new
 * country. */
#define ACT_TALLIES_TOTALS_COUNTRIES(rows) \
	ACT_TALLIES_AND_TOTALS(rows) COUNTRY_OF("day", "day", rows("10")) \
	COUNTRY_OF("month", "day", rows("7"))
#define COUNTRY_PG_TRIGGERS \
	ACT_PG_FUNCTION("CREATE OR REPLACE", ACT_TALLIES_TOTALS_COUNTRIES) \
	"CREATE FUNCTION organisation_country() RETURNS trigger LANGUAGE plpgsql AS $$ " \
	"BEGIN LOCK TABLE activity_day_tally, activity_month_tally IN SHARE ROW EXCLUSIVE MODE; " \
	"IF TG_OP <> 'INSERT' THEN " COUNTRY_MOVES("old.", "-") " END IF; " \
	"IF TG_OP <> 'DELETE' THEN " COUNTRY_MOVES("new.", "") " END IF; " \
	"RETURN NULL; END $$;" \
	"CREATE TRIGGER organisation_country_add AFTER INSERT OR DELETE ON organisation " \
	"FOR EACH ROW EXECUTE FUNCTION organisation_country();" \
	"CREATE TRIGGER organisation_country_change AFTER UPDATE ON organisation FOR EACH ROW " \
	"WHEN (old.country IS DISTINCT FROM new.country OR old.name IS DISTINCT FROM new.name) " \
	"EXECUTE FUNCTION organisation_country();"

/* Migration 27: activity_tally (each activity's sums per organisation) kept by
 * activity_learner's triggers, as the tallies by day are, instead of by the ingest taking
 * its learners' rows off before their upsert and adding them back after: each tally row
 * changes once a batch where it changed twice, and nothing reads the rows again. Row r's
 * numbers (r: new. or old. in a SQLite trigger, "" for a transition table's, from: "" or
 * " FROM " it), k (1 or -1) times; such rows added up into activity_tally. */
#define ALLTIME_ROWS(r, from, k) \
	"SELECT " r "object_term AS object_term, " r "organisation AS organisation, " \
	r "kind AS kind, " r "course_term AS course_term, " r "course AS course, " \
	r "quiz AS quiz, " r "object_id AS object_id, " k " AS learners, " \
	k " * " r "missed AS missed, CASE WHEN " r "passes > 0 THEN " k " ELSE 0 END AS passed, " \
	k " * " r "tries AS tries, " k " * " r "passes AS passes, " \
	k " * " r "score_sum AS score_sum, " k " * " r "scored AS scored" from
#define ALLTIME_OF(rows) \
	"INSERT INTO activity_tally SELECT object_term, organisation, max(kind), " \
	"max(course_term), max(course), max(quiz), max(object_id), sum(learners), sum(missed), " \
	"sum(passed), sum(tries), sum(passes), sum(score_sum), sum(scored) FROM (" rows ") x " \
	"GROUP BY object_term, organisation ON CONFLICT(object_term, organisation) DO UPDATE SET " \
	"learners = activity_tally.learners + excluded.learners, " \
	"learners_missed = activity_tally.learners_missed + excluded.learners_missed, " \
	"learners_passed = activity_tally.learners_passed + excluded.learners_passed, " \
	"tries = activity_tally.tries + excluded.tries, " \
	"passes = activity_tally.passes + excluded.passes, " \
	"score_sum = activity_tally.score_sum + excluded.score_sum, " \
	"scored = activity_tally.scored + excluded.scored;"
#define ALLTIME_LITE_NEW ALLTIME_ROWS("new.", "", "1")
#define ALLTIME_LITE_OLD ALLTIME_ROWS("old.", "", "-1")
#define ALLTIME_LITE_TRIGGERS \
	LITE_ROW_TRIGGERS("activity_learner_alltime", "activity_learner", \
	                  ALLTIME_OF(ALLTIME_LITE_NEW), ALLTIME_OF(ALLTIME_LITE_OLD), \
	                  " WHEN " ACT_CHANGED, \
	                  ALLTIME_OF(ALLTIME_LITE_OLD " UNION ALL " ALLTIME_LITE_NEW))
/* PostgreSQL's: by activity_learner's statement trigger with the other tallies, from the
 * same transition tables. ACT_PG_FUNCTION hands tallies() the name of the rows' macro
 * (ACT_PG_NEW, ACT_PG_OLD or ACT_PG_MOVE); ALLTIME_ plus that name is the same rows'. */
#define ALLTIME_ACT_PG_NEW ALLTIME_ROWS("", " FROM new_rows", "1")
#define ALLTIME_ACT_PG_OLD ALLTIME_ROWS("", " FROM old_rows", "-1")
#define ALLTIME_ACT_PG_MOVE ALLTIME_ACT_PG_OLD " UNION ALL " ALLTIME_ACT_PG_NEW
#define ACT_EVERY_TALLY(rows) ACT_TALLIES_TOTALS_COUNTRIES(rows) ALLTIME_OF(ALLTIME_##rows)
#define ALLTIME_PG_TRIGGERS ACT_PG_FUNCTION("CREATE OR REPLACE", ACT_EVERY_TALLY)

/* Migration 24: course_day_tally by month, then day: a date range's days at its ends (report.c,
 * DAYS_OF) without reading every course's and organisation's days. By day alone it would also
 * offer the views by day their order, and both backends then walked it row by row instead of
 * reading the table and sorting (3 to 15 times slower). */
#define COURSE_DAY_INDEX \
	"CREATE INDEX course_day_tally_month ON course_day_tally((substr(day, 1, 7)), day);"
/* clang-format on */

/* Migration 19's triggers make it longer, on both backends, than the 4,095 bytes C99
 * promises every compiler takes in one string; GCC and clang, the compilers relais is built with
 * (MinGW's too), take it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
static const char *const migrations[] = {
        /* 1: statements with what queries and reports need, credentials,
         * coordinators and their sessions. */
        "CREATE TABLE statement ("
        "  seq INTEGER PRIMARY KEY,"
        "  id TEXT NOT NULL UNIQUE,"
        "  identity_hash TEXT NOT NULL,"
        "  body TEXT NOT NULL,"
        "  stored TEXT NOT NULL,"
        "  stored_ms INTEGER NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  actor_name TEXT,"
        "  verb TEXT NOT NULL,"
        "  object_id TEXT,"
        "  object_kind INTEGER NOT NULL,"
        "  registration TEXT,"
        "  voided INTEGER NOT NULL DEFAULT 0,"
        "  voids TEXT,"
        "  organisation TEXT,"
        "  course TEXT,"
        "  unit TEXT,"
        "  scaled REAL,"
        "  success INTEGER,"
        "  timestamp TEXT,"
        "  target_seq INTEGER);"
        "CREATE INDEX statement_target ON statement(target_seq, seq) WHERE target_seq IS NOT NULL;"
        "CREATE INDEX statement_actor ON statement(actor, seq);"
        "CREATE INDEX statement_verb ON statement(verb, seq);"
        "CREATE INDEX statement_object ON statement(object_id, seq);"
        "CREATE INDEX statement_registration ON statement(registration, seq);"
        "CREATE INDEX statement_stored ON statement(stored_ms);"
        "CREATE INDEX statement_course ON statement(course, verb);"
        "CREATE TABLE statement_agent (agent TEXT NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (agent, seq)) WITHOUT ROWID;"
        "CREATE TABLE statement_activity (activity TEXT NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (activity, seq)) WITHOUT ROWID;"
        "CREATE TABLE credential ("
        "  key TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  secret_hash TEXT NOT NULL,"
        "  created TEXT NOT NULL);"
        "CREATE TABLE coordinator ("
        "  email TEXT PRIMARY KEY,"
        "  password_hash TEXT NOT NULL,"
        "  created TEXT NOT NULL);",
        /* 2: settings of the store itself, e.g. identity_rule (rehash()). */
        "CREATE TABLE hub_setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        /* 3: credentials get scopes (those made before: a laptop's, write,
         * read-mine, void-mine) and can be revoked; each statement records
         * the credential that stored it (NULL for the statements stored
         * before: they can be read with read-all and voided with void-all
         * only); laptops' signing keys, registered against a credential. */
        "ALTER TABLE credential ADD COLUMN scopes INTEGER NOT NULL DEFAULT 11;"
        "ALTER TABLE credential ADD COLUMN revoked TEXT;"
        "ALTER TABLE statement ADD COLUMN credential TEXT;"
        "CREATE INDEX statement_credential ON statement(credential, seq);"
        "CREATE TABLE laptop_key ("
        "  key_id TEXT PRIMARY KEY,"
        "  credential TEXT NOT NULL REFERENCES credential(key),"
        "  public_key TEXT NOT NULL,"
        "  registered TEXT NOT NULL);",
        /* 4: failed coordinator sign-ins, per account and per address, for
         * lockout; in the database so that hub nodes sharing it agree. */
        "CREATE TABLE login_failure ("
        "  kind TEXT NOT NULL,"
        "  who TEXT NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  locked_until INTEGER NOT NULL,"
        "  last_failure INTEGER NOT NULL,"
        "  PRIMARY KEY (kind, who)) WITHOUT ROWID;",
        /* 5: publishing (catalogue.c): the publisher keys whose bundles the
         * hub distributes, every bundle published (state current: listed;
         * previous: superseded; withdrawn: unpublished), the deltas between
         * them, and the signed catalogue as served (the latest only). IF NOT
         * EXISTS: a database taken back to an earlier version (tests do) keeps
         * its tables. */
        "CREATE TABLE IF NOT EXISTS publisher ("
        "  key_id TEXT PRIMARY KEY,"
        "  public_key TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  added TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS published_bundle ("
        "  sha256 TEXT PRIMARY KEY,"
        "  course TEXT NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  title TEXT NOT NULL,"
        "  language TEXT NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  publisher TEXT NOT NULL,"
        "  audience TEXT NOT NULL,"
        "  required INTEGER NOT NULL,"
        "  due TEXT,"
        "  published TEXT NOT NULL,"
        "  state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'withdrawn')),"
        "  UNIQUE (course, version));"
        "CREATE INDEX IF NOT EXISTS published_bundle_state ON published_bundle(state, course);"
        "CREATE TABLE IF NOT EXISTS published_delta ("
        "  from_sha256 TEXT NOT NULL,"
        "  to_sha256 TEXT NOT NULL,"
        "  from_version INTEGER NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  sha256 TEXT NOT NULL,"
        "  PRIMARY KEY (from_sha256, to_sha256)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS catalogue ("
        "  serial INTEGER PRIMARY KEY,"
        "  body BLOB NOT NULL,"
        "  signature BLOB NOT NULL,"
        "  etag TEXT NOT NULL,"
        "  signature_etag TEXT NOT NULL,"
        "  expires_ms INTEGER NOT NULL);",
        /* 6: xAPI documents (State, Activity Profile, Agent Profile; kind is
         * RELAIS_HUB_RES_*), keyed by activity, agent identifier,
         * registration and id ('' where a resource has none); credential is
         * the one that first stored it. */
        "CREATE TABLE document ("
        "  kind INTEGER NOT NULL,"
        "  activity TEXT NOT NULL,"
        "  agent TEXT NOT NULL,"
        "  registration TEXT NOT NULL,"
        "  doc_id TEXT NOT NULL,"
        "  content_type TEXT NOT NULL,"
        "  body BLOB NOT NULL,"
        "  etag TEXT NOT NULL,"
        "  updated TEXT NOT NULL,"
        "  updated_ms INTEGER NOT NULL,"
        "  credential TEXT,"
        "  UNIQUE (kind, activity, agent, registration, doc_id));",
        /* 7: publisher keys that change (catalogue.c): the key rotation
         * records the hub verified and carries in its catalogue, in the order
         * taken, and the keys it revoked (their name kept for the list). */
        "CREATE TABLE IF NOT EXISTS publisher_rotation ("
        "  seq INTEGER PRIMARY KEY,"
        "  old_key TEXT NOT NULL,"
        "  new_key TEXT NOT NULL,"
        "  record TEXT NOT NULL,"
        "  taken TEXT NOT NULL,"
        "  UNIQUE (old_key, new_key));"
        "CREATE TABLE IF NOT EXISTS publisher_revoked ("
        "  key_id TEXT PRIMARY KEY,"
        "  name TEXT,"
        "  date TEXT NOT NULL,"
        "  reason TEXT NOT NULL);",
        /* 8: each credential's documents, to hold them to
         * --max-documents-per-credential without reading the whole table. */
        "CREATE INDEX IF NOT EXISTS document_credential ON document(credential);",
        /* 9: certificates the hub issued (certificates.c): one per learner
         * and course, its code as signed; revoked with a date and reason.
         * IF NOT EXISTS: a database taken back to an earlier version keeps it. */
        "CREATE TABLE IF NOT EXISTS certificate ("
        "  id INTEGER PRIMARY KEY,"
        "  actor TEXT NOT NULL,"
        "  course TEXT NOT NULL,"
        "  code TEXT NOT NULL,"
        "  issued TEXT NOT NULL,"
        "  revoked TEXT,"
        "  reason TEXT,"
        "  UNIQUE (actor, course));",
        /* 10: attachment data sent with statements (attachments.c), once per
         * sha2; credential is the one that first stored it, whose total
         * --max-attachments-per-credential bounds. */
        "CREATE TABLE IF NOT EXISTS attachment ("
        "  sha2 TEXT PRIMARY KEY,"
        "  content_type TEXT NOT NULL,"
        "  length INTEGER NOT NULL,"
        "  data BLOB NOT NULL,"
        "  credential TEXT NOT NULL,"
        "  stored TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS attachment_credential ON attachment(credential, length);",
        /* 11: agents, verbs, activities and
         * courses as small integers (term) in the indexes, which held their
         * text: each statement wrote about 540 pages of WAL in a batch of 100,
         * 310 now. The text columns stay for the reports and bodies. */
        "CREATE TABLE term (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);"
        "INSERT OR IGNORE INTO term(text) SELECT actor FROM statement;"
        "INSERT OR IGNORE INTO term(text) SELECT verb FROM statement;"
        "INSERT OR IGNORE INTO term(text) SELECT object_id FROM statement "
        "  WHERE object_id IS NOT NULL;"
        "INSERT OR IGNORE INTO term(text) SELECT course FROM statement WHERE course IS NOT NULL;"
        "INSERT OR IGNORE INTO term(text) SELECT agent FROM statement_agent;"
        "INSERT OR IGNORE INTO term(text) SELECT activity FROM statement_activity;"
        "ALTER TABLE statement ADD COLUMN actor_term INTEGER;"
        "ALTER TABLE statement ADD COLUMN verb_term INTEGER;"
        "ALTER TABLE statement ADD COLUMN object_term INTEGER;"
        "ALTER TABLE statement ADD COLUMN course_term INTEGER;"
        "UPDATE statement SET actor_term = (SELECT id FROM term WHERE text = actor),"
        "  verb_term = (SELECT id FROM term WHERE text = verb),"
        "  object_term = (SELECT id FROM term WHERE text = object_id),"
        "  course_term = (SELECT id FROM term WHERE text = course);"
        "DROP INDEX statement_actor;"
        "DROP INDEX statement_verb;"
        "DROP INDEX statement_object;"
        "DROP INDEX statement_course;"
        "CREATE INDEX statement_actor ON statement(actor_term, seq);"
        "CREATE INDEX statement_verb ON statement(verb_term, seq);"
        "CREATE INDEX statement_object ON statement(object_term, seq);"
        "CREATE INDEX statement_course ON statement(course_term, verb_term);"
        "CREATE TABLE statement_agent_term (term INTEGER NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (term, seq)) WITHOUT ROWID;"
        "INSERT INTO statement_agent_term SELECT t.id, a.seq FROM statement_agent a"
        "  JOIN term t ON t.text = a.agent;"
        "DROP TABLE statement_agent;"
        "ALTER TABLE statement_agent_term RENAME TO statement_agent;"
        "CREATE TABLE statement_activity_term (term INTEGER NOT NULL, seq INTEGER NOT NULL,"
        "  PRIMARY KEY (term, seq)) WITHOUT ROWID;"
        "INSERT INTO statement_activity_term SELECT t.id, a.seq FROM statement_activity a"
        "  JOIN term t ON t.text = a.activity;"
        "DROP TABLE statement_activity;"
        "ALTER TABLE statement_activity_term RENAME TO statement_activity;",
        /* 12: live sessions by course and id: those of the current bundle
         * (source 'bundle', replaced at each publish) and those the hub scheduled or
         * changed (source 'hub', kept over a bundle's of the same id). */
        "CREATE TABLE course_session ("
        "  course TEXT NOT NULL,"
        "  id TEXT NOT NULL,"
        "  title TEXT NOT NULL,"
        "  start TEXT NOT NULL,"
        "  \"end\" TEXT NOT NULL,"
        "  timezone TEXT NOT NULL,"
        "  place TEXT,"
        "  online TEXT,"
        "  trainer TEXT,"
        "  before TEXT NOT NULL DEFAULT '[]',"
        "  cancelled INTEGER NOT NULL DEFAULT 0,"
        "  source TEXT NOT NULL CHECK (source IN ('bundle', 'hub')),"
        "  PRIMARY KEY (course, id)) WITHOUT ROWID;",
        /* 13: cohorts (cohorts.c): learners a coordinator groups by email
         * (lower-cased), or everyone of an organisation, and the courses
         * assigned to them with a due date (YYYY-MM-DD or NULL). IF NOT
         * EXISTS: a database taken back to an earlier version keeps them. */
        "CREATE TABLE IF NOT EXISTS cohort ("
        "  id TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  organisation TEXT NOT NULL,"
        "  everyone INTEGER NOT NULL,"
        "  created TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS cohort_member ("
        "  cohort TEXT NOT NULL REFERENCES cohort(id),"
        "  email TEXT NOT NULL,"
        "  PRIMARY KEY (cohort, email));"
        "CREATE TABLE IF NOT EXISTS cohort_course ("
        "  cohort TEXT NOT NULL REFERENCES cohort(id),"
        "  course TEXT NOT NULL,"
        "  due TEXT,"
        "  PRIMARY KEY (cohort, course));",
        /* 14: reports for coordinators (docs/hub.md, "Reports"): each learner's
         * state in each course, kept up to date as statements arrive
         * (progress.c) so that reports read one row per learner and course
         * (and per learner and question);
         * organisations' countries; a coordinator's organisation (NULL: an
         * administrator, as every coordinator made before). */
        "CREATE TABLE learner_course ("
        "actor_term INTEGER NOT NULL,"
        "course_term INTEGER NOT NULL,"
        "course TEXT NOT NULL,"
        "actor TEXT NOT NULL,"
        "name TEXT,"
        "organisation TEXT,"
        "started TEXT NOT NULL,"
        "completed TEXT,"
        "passed TEXT,"
        "last TEXT NOT NULL,"
        "credential TEXT,"
        "PRIMARY KEY (course_term, actor_term));"
        "CREATE INDEX learner_course_actor ON learner_course(actor_term);"
        "CREATE INDEX learner_course_organisation ON learner_course(organisation, course_term);"
        "CREATE INDEX learner_course_completed ON learner_course(completed)"
        "WHERE completed IS NOT NULL;" FILL_LEARNER_COURSE "CREATE TABLE activity_learner ("
        "object_term INTEGER NOT NULL,"
        "actor_term INTEGER NOT NULL,"
        "kind INTEGER NOT NULL," /* 1: a question's answers; 2: a quiz's verdicts */
        "course_term INTEGER NOT NULL,"
        "course TEXT NOT NULL,"
        "quiz TEXT NOT NULL,"
        "object_id TEXT NOT NULL,"
        "organisation TEXT NOT NULL,"
        "tries INTEGER NOT NULL,"
        "missed INTEGER NOT NULL,"
        "passes INTEGER NOT NULL,"
        "score_sum REAL NOT NULL,"
        "scored INTEGER NOT NULL,"
        "first TEXT NOT NULL,"
        "last TEXT NOT NULL,"
        "PRIMARY KEY (object_term, actor_term));"
        "CREATE INDEX activity_learner_course ON activity_learner(course_term, kind);"
        "CREATE INDEX activity_learner_last ON activity_learner(kind, last);"
        "CREATE TABLE activity_tally ("
        "object_term INTEGER NOT NULL,"
        "organisation TEXT NOT NULL,"
        "kind INTEGER NOT NULL,"
        "course_term INTEGER NOT NULL,"
        "course TEXT NOT NULL,"
        "quiz TEXT NOT NULL,"
        "object_id TEXT NOT NULL,"
        "learners INTEGER NOT NULL,"
        "learners_missed INTEGER NOT NULL,"
        "learners_passed INTEGER NOT NULL,"
        "tries INTEGER NOT NULL,"
        "passes INTEGER NOT NULL,"
        "score_sum REAL NOT NULL,"
        "scored INTEGER NOT NULL,"
        "PRIMARY KEY (object_term, organisation));" FILL_ACTIVITY_LEARNER FILL_ACTIVITY_TALLY
        /* Answers without a score (essays among them): the essays report reads these. */
        "CREATE TABLE unscored_answer (seq INTEGER PRIMARY KEY);" FILL_UNSCORED_ANSWER
        "CREATE TABLE organisation (name TEXT PRIMARY KEY, country TEXT);"
        "ALTER TABLE coordinator ADD COLUMN organisation TEXT;",
        /* 15: the cohort a hub's live session belongs
         * to (sessions.c), NULL for a course's session; a cohort's programme
         * certificate needs its learners' attendance of each (certificates.c). */
        "ALTER TABLE course_session ADD COLUMN cohort TEXT;",
        /* 16: coordinators' sign-in sessions (login.c), in the database so
         * that every node serving it knows them: the SHA-256 (hex) of the
         * cookie's token, never the token; expires in seconds since the epoch.
         * IF NOT EXISTS, as 13. */
        "CREATE TABLE IF NOT EXISTS coordinator_session ("
        "  token_hash TEXT PRIMARY KEY,"
        "  email TEXT NOT NULL,"
        "  expires INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS coordinator_session_expires "
        "  ON coordinator_session(expires);",
        /* 17: reports on PostgreSQL (docs/benchmarks.md, "bench/hub"): the
         * live sessions' attendance statements by verb and course. Nothing
         * here: SQLite finds them through statement_verb already (its plan
         * does not weigh how many statements share a verb). */
        "",
        /* 18: reports on a large hub (docs/benchmarks.md, "Reports at 10
         * million statements"): what the views without a date range read of
         * each learner's row, so that they scan this index, not the rows
         * (names, addresses, times). Its entries change only with a new row
         * or a first completion or pass, not with each statement. */
        "CREATE INDEX learner_course_state ON learner_course(course_term, organisation, course, "
        "completed, passed);",
        /* 19: the reports, counted as statements arrive: per course and
         * organisation ('' for none) the learner_course rows, those
         * completed, those completed and passed (course_tally, the views
         * without a date range); and per day, how many rows started, last
         * changed, completed and passed that day (course_day_tally: with
         * a date range, who was active in it is who started by its end
         * less who stopped before its start). Triggers keep both as the
         * rows change, whatever changes them. */
        (TALLY_TABLES("INTEGER", "TEXT", " WITHOUT ROWID") TALLY_FILL LITE_TRIGGERS),
        /* 20: the learners view (docs/hub.md, "Reports"): one row per learner, what it
         * shows of them without a date range, their first and last day, kept by
         * triggers as their learner_course rows change, and read in the view's order
         * from its indexes, a page at a time; the completions by learner in their order. */
        (LEARNER_TABLE("INTEGER", "TEXT") LITE_LEARNER_TRIGGERS),
        /* 21: the quiz views with a date range, counted as statements arrive: per kind,
         * activity, organisation and day (activity_day_tally) and month
         * (activity_month_tally), what the activity_learner rows whose first answer was then
         * count, and the same for those whose last answer was (active in a range is first by
         * its end less last before its start, each the months before, then the days).
         * Triggers keep both as the rows change. */
        (ACT_TABLES("INTEGER", "TEXT", " WITHOUT ROWID") ACT_LITE_TRIGGERS),
        /* 22: the learners view with a date range in its order, a learner at a time
         * (report.c): the uniform learners by name, email and organisation
         * (learner_listed), and each one's rows with what the view counts of them
         * (learner_course_active, which serves all learner_course_actor did). */
        (LEARNER_LISTED "DROP INDEX learner_course_actor;"
                        "CREATE INDEX learner_course_active ON learner_course(actor_term, last, "
                        "started, completed);"),
        /* 23: course_day_tally by month, kept from it by triggers (MONTH_TABLE). */
        (MONTH_TABLE("INTEGER", "TEXT", " WITHOUT ROWID") MONTH_LITE_TRIGGERS),
        /* 24: a date range's days at its ends found by month and day, not by reading every day
         * of every course and organisation (COURSE_DAY_INDEX). */
        COURSE_DAY_INDEX,
        /* 25: the quiz tallies of all organisations together, kept from them by triggers
         * (TOTAL_TABLES). */
        (TOTAL_TABLES("INTEGER", "TEXT", " WITHOUT ROWID") TOTAL_LITE_TRIGGERS),
        /* 26: the quiz tallies by country, kept from them by the same triggers and moved
         * by organisation's (COUNTRY_TABLES). */
        (COUNTRY_TABLES("INTEGER", "TEXT", " WITHOUT ROWID") COUNTRY_LITE_TRIGGERS),
        /* 27: activity_tally kept by activity_learner's triggers (ALLTIME_LITE_TRIGGERS). */
        ALLTIME_LITE_TRIGGERS,
};

/*
 * The same schema for PostgreSQL: pg_migrations[i] brings a database to
 * version pg_versions[i] (the SQLite list's numbering), the first one at
 * once to the version it had when PostgreSQL came. Texts compare as bytes
 * (COLLATE "C"), as in SQLite. Append here whenever the list above grows.
 */
#define PG_TEXT "TEXT COLLATE \"C\""
static const int pg_versions[] = {11, 11, 11, 11, 12, 13, 14, 14, 15, 16, 17, 18, 19,
                                  19, 20, 21, 21, 22, 23, 23, 24, 25, 25, 26, 26, 27};
static const char *const pg_migrations[] = {
        /* 1 to 11 */
        "CREATE TABLE statement ("
        "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        "  id " PG_TEXT " NOT NULL UNIQUE,"
        "  identity_hash " PG_TEXT " NOT NULL,"
        "  body " PG_TEXT " NOT NULL,"
        "  stored " PG_TEXT " NOT NULL,"
        "  stored_ms BIGINT NOT NULL,"
        "  actor " PG_TEXT " NOT NULL,"
        "  actor_name " PG_TEXT ","
        "  verb " PG_TEXT " NOT NULL,"
        "  object_id " PG_TEXT ","
        "  object_kind INTEGER NOT NULL,"
        "  registration " PG_TEXT ","
        "  voided INTEGER NOT NULL DEFAULT 0,"
        "  voids " PG_TEXT ","
        "  organisation " PG_TEXT ","
        "  course " PG_TEXT ","
        "  unit " PG_TEXT ","
        "  scaled DOUBLE PRECISION,"
        "  success INTEGER,"
        "  timestamp " PG_TEXT ","
        "  target_seq BIGINT,"
        "  credential " PG_TEXT ","
        "  actor_term BIGINT,"
        "  verb_term BIGINT,"
        "  object_term BIGINT,"
        "  course_term BIGINT);"
        "CREATE INDEX statement_target ON statement(target_seq, seq) WHERE target_seq IS NOT NULL;"
        "CREATE INDEX statement_registration ON statement(registration, seq);"
        "CREATE INDEX statement_stored ON statement(stored_ms);"
        "CREATE INDEX statement_credential ON statement(credential, seq);"
        "CREATE INDEX statement_actor ON statement(actor_term, seq);"
        "CREATE INDEX statement_verb ON statement(verb_term, seq);"
        "CREATE INDEX statement_object ON statement(object_term, seq);"
        "CREATE INDEX statement_course ON statement(course_term, verb_term);"
        "CREATE TABLE statement_agent (term BIGINT NOT NULL, seq BIGINT NOT NULL,"
        "  PRIMARY KEY (term, seq));"
        "CREATE TABLE statement_activity (term BIGINT NOT NULL, seq BIGINT NOT NULL,"
        "  PRIMARY KEY (term, seq));"
        "CREATE TABLE term (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        "  text " PG_TEXT " NOT NULL UNIQUE);",
        /* 1 to 11, continued */
        "CREATE TABLE credential ("
        "  key " PG_TEXT " PRIMARY KEY,"
        "  name " PG_TEXT " NOT NULL,"
        "  secret_hash " PG_TEXT " NOT NULL,"
        "  created " PG_TEXT " NOT NULL,"
        "  scopes INTEGER NOT NULL DEFAULT 11,"
        "  revoked " PG_TEXT ");"
        "CREATE TABLE coordinator ("
        "  email " PG_TEXT " PRIMARY KEY,"
        "  password_hash " PG_TEXT " NOT NULL,"
        "  created " PG_TEXT " NOT NULL);"
        "CREATE TABLE hub_setting (key " PG_TEXT " PRIMARY KEY, value " PG_TEXT " NOT NULL);"
        "CREATE TABLE laptop_key ("
        "  key_id " PG_TEXT " PRIMARY KEY,"
        "  credential " PG_TEXT " NOT NULL REFERENCES credential(key),"
        "  public_key " PG_TEXT " NOT NULL,"
        "  registered " PG_TEXT " NOT NULL);"
        "CREATE TABLE login_failure ("
        "  kind " PG_TEXT " NOT NULL,"
        "  who " PG_TEXT " NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  locked_until BIGINT NOT NULL,"
        "  last_failure BIGINT NOT NULL,"
        "  PRIMARY KEY (kind, who));",
        /* 1 to 11, continued */
        "CREATE TABLE publisher ("
        "  key_id " PG_TEXT " PRIMARY KEY,"
        "  public_key " PG_TEXT " NOT NULL,"
        "  name " PG_TEXT " NOT NULL,"
        "  added " PG_TEXT " NOT NULL);"
        "CREATE TABLE published_bundle ("
        "  sha256 " PG_TEXT " PRIMARY KEY,"
        "  course " PG_TEXT " NOT NULL,"
        "  version BIGINT NOT NULL,"
        "  title " PG_TEXT " NOT NULL,"
        "  language " PG_TEXT " NOT NULL,"
        "  size BIGINT NOT NULL,"
        "  publisher " PG_TEXT " NOT NULL,"
        "  audience " PG_TEXT " NOT NULL,"
        "  required INTEGER NOT NULL,"
        "  due " PG_TEXT ","
        "  published " PG_TEXT " NOT NULL,"
        "  state " PG_TEXT " NOT NULL CHECK (state IN ('current', 'previous', 'withdrawn')),"
        "  UNIQUE (course, version));"
        "CREATE INDEX published_bundle_state ON published_bundle(state, course);"
        "CREATE TABLE published_delta ("
        "  from_sha256 " PG_TEXT " NOT NULL,"
        "  to_sha256 " PG_TEXT " NOT NULL,"
        "  from_version BIGINT NOT NULL,"
        "  size BIGINT NOT NULL,"
        "  sha256 " PG_TEXT " NOT NULL,"
        "  PRIMARY KEY (from_sha256, to_sha256));"
        "CREATE TABLE catalogue ("
        "  serial BIGINT PRIMARY KEY,"
        "  body BYTEA NOT NULL,"
        "  signature BYTEA NOT NULL,"
        "  etag " PG_TEXT " NOT NULL,"
        "  signature_etag " PG_TEXT " NOT NULL,"
        "  expires_ms BIGINT NOT NULL);",
        /* 1 to 11, continued */
        "CREATE TABLE document ("
        "  kind INTEGER NOT NULL,"
        "  activity " PG_TEXT " NOT NULL,"
        "  agent " PG_TEXT " NOT NULL,"
        "  registration " PG_TEXT " NOT NULL,"
        "  doc_id " PG_TEXT " NOT NULL,"
        "  content_type " PG_TEXT " NOT NULL,"
        "  body BYTEA NOT NULL,"
        "  etag " PG_TEXT " NOT NULL,"
        "  updated " PG_TEXT " NOT NULL,"
        "  updated_ms BIGINT NOT NULL,"
        "  credential " PG_TEXT ","
        "  UNIQUE (kind, activity, agent, registration, doc_id));"
        "CREATE INDEX document_credential ON document(credential);"
        "CREATE TABLE publisher_rotation ("
        "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        "  old_key " PG_TEXT " NOT NULL,"
        "  new_key " PG_TEXT " NOT NULL,"
        "  record " PG_TEXT " NOT NULL,"
        "  taken " PG_TEXT " NOT NULL,"
        "  UNIQUE (old_key, new_key));"
        "CREATE TABLE publisher_revoked ("
        "  key_id " PG_TEXT " PRIMARY KEY,"
        "  name " PG_TEXT ","
        "  date " PG_TEXT " NOT NULL,"
        "  reason " PG_TEXT " NOT NULL);"
        "CREATE TABLE certificate ("
        "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        "  actor " PG_TEXT " NOT NULL,"
        "  course " PG_TEXT " NOT NULL,"
        "  code " PG_TEXT " NOT NULL,"
        "  issued " PG_TEXT " NOT NULL,"
        "  revoked " PG_TEXT ","
        "  reason " PG_TEXT ","
        "  UNIQUE (actor, course));"
        "CREATE TABLE attachment ("
        "  sha2 " PG_TEXT " PRIMARY KEY,"
        "  content_type " PG_TEXT " NOT NULL,"
        "  length BIGINT NOT NULL,"
        "  data BYTEA NOT NULL,"
        "  credential " PG_TEXT " NOT NULL,"
        "  stored " PG_TEXT " NOT NULL);"
        "CREATE INDEX attachment_credential ON attachment(credential, length);",
        /* 12: live sessions */
        "CREATE TABLE course_session ("
        "  course " PG_TEXT " NOT NULL,"
        "  id " PG_TEXT " NOT NULL,"
        "  title " PG_TEXT " NOT NULL,"
        "  start " PG_TEXT " NOT NULL,"
        "  \"end\" " PG_TEXT " NOT NULL,"
        "  timezone " PG_TEXT " NOT NULL,"
        "  place " PG_TEXT ","
        "  online " PG_TEXT ","
        "  trainer " PG_TEXT ","
        "  before " PG_TEXT " NOT NULL DEFAULT '[]',"
        "  cancelled INTEGER NOT NULL DEFAULT 0,"
        "  source " PG_TEXT " NOT NULL CHECK (source IN ('bundle', 'hub')),"
        "  PRIMARY KEY (course, id));",
        /* 13: cohorts */
        "CREATE TABLE cohort ("
        "  id " PG_TEXT " PRIMARY KEY,"
        "  name " PG_TEXT " NOT NULL UNIQUE,"
        "  organisation " PG_TEXT " NOT NULL,"
        "  everyone INTEGER NOT NULL,"
        "  created " PG_TEXT " NOT NULL);"
        "CREATE TABLE cohort_member ("
        "  cohort " PG_TEXT " NOT NULL REFERENCES cohort(id),"
        "  email " PG_TEXT " NOT NULL,"
        "  PRIMARY KEY (cohort, email));"
        "CREATE TABLE cohort_course ("
        "  cohort " PG_TEXT " NOT NULL REFERENCES cohort(id),"
        "  course " PG_TEXT " NOT NULL,"
        "  due " PG_TEXT ","
        "  PRIMARY KEY (cohort, course));",
        /* 14: reports for coordinators */
        "CREATE TABLE learner_course ("
        "actor_term BIGINT NOT NULL,"
        "course_term BIGINT NOT NULL,"
        "course " PG_TEXT " NOT NULL,"
        "actor " PG_TEXT " NOT NULL,"
        "name " PG_TEXT ","
        "organisation " PG_TEXT ","
        "started " PG_TEXT " NOT NULL,"
        "completed " PG_TEXT ","
        "passed " PG_TEXT ","
        "last " PG_TEXT " NOT NULL,"
        "credential " PG_TEXT ","
        "PRIMARY KEY (course_term, actor_term));"
        "CREATE INDEX learner_course_actor ON learner_course(actor_term);"
        "CREATE INDEX learner_course_organisation ON learner_course(organisation, course_term);"
        "CREATE INDEX learner_course_completed ON learner_course(completed)"
        "WHERE completed IS NOT NULL;" FILL_LEARNER_COURSE,
        /* 14, continued */
        "CREATE TABLE activity_learner ("
        "object_term BIGINT NOT NULL,"
        "actor_term BIGINT NOT NULL,"
        "kind INTEGER NOT NULL,"
        "course_term BIGINT NOT NULL,"
        "course " PG_TEXT " NOT NULL,"
        "quiz " PG_TEXT " NOT NULL,"
        "object_id " PG_TEXT " NOT NULL,"
        "organisation " PG_TEXT " NOT NULL,"
        "tries BIGINT NOT NULL,"
        "missed BIGINT NOT NULL,"
        "passes BIGINT NOT NULL,"
        "score_sum DOUBLE PRECISION NOT NULL,"
        "scored BIGINT NOT NULL,"
        "first " PG_TEXT " NOT NULL,"
        "last " PG_TEXT " NOT NULL,"
        "PRIMARY KEY (object_term, actor_term));"
        "CREATE INDEX activity_learner_course ON activity_learner(course_term, kind);"
        "CREATE INDEX activity_learner_last ON activity_learner(kind, last);"
        "CREATE TABLE activity_tally ("
        "object_term BIGINT NOT NULL,"
        "organisation " PG_TEXT " NOT NULL,"
        "kind INTEGER NOT NULL,"
        "course_term BIGINT NOT NULL,"
        "course " PG_TEXT " NOT NULL,"
        "quiz " PG_TEXT " NOT NULL,"
        "object_id " PG_TEXT " NOT NULL,"
        "learners BIGINT NOT NULL,"
        "learners_missed BIGINT NOT NULL,"
        "learners_passed BIGINT NOT NULL,"
        "tries BIGINT NOT NULL,"
        "passes BIGINT NOT NULL,"
        "score_sum DOUBLE PRECISION NOT NULL,"
        "scored BIGINT NOT NULL,"
        "PRIMARY KEY (object_term, organisation));" FILL_ACTIVITY_LEARNER FILL_ACTIVITY_TALLY
        "CREATE TABLE unscored_answer (seq BIGINT PRIMARY KEY);" FILL_UNSCORED_ANSWER
        "CREATE TABLE organisation (name " PG_TEXT " PRIMARY KEY, country " PG_TEXT ");"
        "ALTER TABLE coordinator ADD COLUMN organisation " PG_TEXT ";",
        /* 15: a live session's cohort */
        "ALTER TABLE course_session ADD COLUMN cohort " PG_TEXT ";",
        /* 16: coordinators' sign-in sessions */
        "CREATE TABLE coordinator_session ("
        "  token_hash " PG_TEXT " PRIMARY KEY,"
        "  email " PG_TEXT " NOT NULL,"
        "  expires BIGINT NOT NULL);"
        "CREATE INDEX coordinator_session_expires ON coordinator_session(expires);",
        /* 17: the attendance report's statements (unit 'session', a few): its
         * plan reads them here, not the whole table, PostgreSQL judging by
         * statement_verb alone that a verb is a tenth of the statements. */
        ("CREATE INDEX statement_session ON statement(verb_term, course_term) "
         "WHERE unit = 'session';"),
        /* 18: nothing: PostgreSQL reads an index in place of the rows only where its
         * pages are all visible, which each statement's update of its learner's row
         * undoes. */
        "",
        /* 19: the reports, counted as statements arrive (as SQLite's 19) */
        (TALLY_TABLES("BIGINT", PG_TEXT, "") TALLY_FILL),
        /* 19, continued: on PostgreSQL the triggers fire once a statement, with the rows it
         * changed (a batch's upsert: many), and tally them together. */
        PG_TRIGGERS,
        /* 20: the learners view's table (as SQLite's 20), its triggers once a statement */
        (LEARNER_TABLE("BIGINT", PG_TEXT) PG_LEARNER_TRIGGERS),
        /* 21: the quiz views' tallies by day and month (as SQLite's 21) */
        ACT_TABLES("BIGINT", PG_TEXT, ""),
        /* 21, continued: its statement triggers, as 19's */
        ACT_PG_TRIGGERS,
        /* 22: learner_listed (as SQLite's 22). Not learner_course_active: every statement
         * moves its row's last on, and an index of that column would make each such update
         * write a new entry in each of the table's indexes (no heap-only update): PostgreSQL
         * reads each learner's rows from learner_course_actor and their heap. */
        LEARNER_LISTED,
        /* 23: course_month_tally (as SQLite's 23), its statement triggers as 19's */
        MONTH_TABLE("BIGINT", PG_TEXT, ""),
        MONTH_PG_TRIGGERS,
        /* 24: as SQLite's 24; an update of a tally keeps its day, so stays heap-only */
        COURSE_DAY_INDEX,
        /* 25: as SQLite's 25, kept by activity_learner's statement trigger
         * (ACT_TALLIES_AND_TOTALS) */
        TOTAL_TABLES("BIGINT", PG_TEXT, ""),
        TOTAL_PG_TRIGGERS,
        /* 26: as SQLite's 26, kept by activity_learner's statement trigger and moved by
         * organisation's (COUNTRY_PG_TRIGGERS) */
        COUNTRY_TABLES("BIGINT", PG_TEXT, ""),
        COUNTRY_PG_TRIGGERS,
        /* 27: as SQLite's 27, by activity_learner's statement trigger (ALLTIME_PG_TRIGGERS) */
        ALLTIME_PG_TRIGGERS,
};
#pragma GCC diagnostic pop

/* Recomputes every stored statement's identity hash under today's rule. */
static int rehash(relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *rd = NULL, *wr = NULL;
	char hash[65];
	int rc = 0, step;

	if (relais_hub_sql_prepare(hub->db, "SELECT seq, body FROM statement", -1, &rd, NULL) !=
	            RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_prepare(hub->db, "UPDATE statement SET identity_hash = ? WHERE seq = ?",
	                           -1, &wr, NULL) != RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
		goto out;
	}
	while ((step = relais_hub_sql_step(rd)) == RELAIS_HUB_SQL_ROW) {
		cJSON *st = cJSON_ParseWithLength((const char *)relais_hub_sql_column_text(rd, 1),
		                                  (size_t)relais_hub_sql_column_bytes(rd, 1));
		rc = st ? relais_hub_identity_hash(hash, hub, ctx, st)
		        : relais_fail(ctx, RELAIS_EFORMAT, "statement %lld: unreadable body",
		                      (long long)relais_hub_sql_column_int64(rd, 0));
		cJSON_Delete(st);
		if (rc != 0) {
			goto out;
		}
		relais_hub_sql_bind_text(wr, 1, hash, -1, RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_int64(wr, 2, relais_hub_sql_column_int64(rd, 0));
		if (relais_hub_sql_step(wr) != RELAIS_HUB_SQL_DONE) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO,
			                         "hub database migration");
			goto out;
		}
		relais_hub_sql_reset(wr);
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
	}
out:
	relais_hub_sql_finalize(rd);
	relais_hub_sql_finalize(wr);
	return rc;
}

/* The writer's checkpoint threshold, in pages of the WAL (SQLite's default: 1000). */
#define WAL_PAGES "16000"

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Says, before a hub made by an older relais-hub is brought to version N_MIGRATIONS, that
 * this can take minutes (docs/hub.md, "Upgrading relais-hub"): not a hung hub. */
static void upgrading(relais_ctx *ctx, int have)
{
	if (have > 0 && have < N_MIGRATIONS) {
		relais_log(ctx, RELAIS_LOG_WARN,
		           "upgrading the hub database from version %d to %d: on a hub of millions "
		           "of statements this takes minutes; let it finish",
		           have, N_MIGRATIONS);
	}
}

int relais_hub_stmt(relais_hub *hub, int slot, const char *sql, relais_hub_sql_stmt **out)
{
	if (hub->cache[slot] == NULL &&
	    relais_hub_sql_prepare_persistent(hub->db, sql, &hub->cache[slot]) !=
	            RELAIS_HUB_SQL_OK) {
		*out = NULL;
		return -1;
	}
	relais_hub_sql_reset(hub->cache[slot]);
	relais_hub_sql_clear_bindings(hub->cache[slot]);
	*out = hub->cache[slot];
	return 0;
}

int relais_hub_write(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql, const char *what,
                     const char *const *texts, size_t n)
{
	relais_hub_sql_stmt *st = NULL;
	size_t i;
	int rc = 0;

	if (relais_hub_stmt(hub, slot, sql, &st) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, what);
	}
	for (i = 0; i < n; i++) {
		if (texts[i] != NULL) {
			relais_hub_sql_bind_text(st, (int)i + 1, texts[i], -1,
			                         RELAIS_HUB_SQL_STATIC);
		}
	}
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, what);
	}
	relais_hub_sql_reset(st);
	relais_hub_sql_clear_bindings(st); /* the texts are the caller's */
	return rc;
}

/*
 * The rule relais_xapi_identity() follows; raised whenever it changes, so
 * that the stored hashes are recomputed (rehash()) once, at open:
 * 1: members sorted, LRS-set properties left out;
 * 2: compared as xAPI 1.0.3 says (UUID case, times as instants, no verb
 *    displays or activity definitions, e-mail domain case, member order);
 * 3: and result.duration to 0.01 s (1.0.3 Data 4.6, 2.0 4.2.7), and the
 *    agents of 2.0's contextAgents and contextGroups as agents.
 */
#define IDENTITY_RULE 3

/* Brings the stored identity hashes to IDENTITY_RULE, in one transaction. */
static int identities_current(relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int rule = 1, rc = 0, step;
	char value[16];

	if (relais_hub_sql_prepare(hub->db,
	                           "SELECT value FROM hub_setting WHERE key = 'identity_rule'", -1,
	                           &st, NULL) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		rule = relais_hub_sql_column_int(st, 0);
	} else if (step != RELAIS_HUB_SQL_DONE) {
		/* Not rule 1: every statement would be hashed again for nothing. */
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	relais_hub_sql_finalize(st);
	if (rc != 0 || rule >= IDENTITY_RULE) {
		return rc;
	}
	(void)snprintf(value, sizeof(value), "%d", IDENTITY_RULE);
	if (relais_hub_sql_begin(hub->db) != RELAIS_HUB_SQL_OK) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	if ((rc = rehash(hub, ctx)) == 0 &&
	    (relais_hub_sql_prepare(
	             hub->db,
	             "INSERT INTO hub_setting(key, value) VALUES ('identity_rule', ?) "
	             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	             -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	     relais_hub_sql_bind_text(st, 1, value, -1, RELAIS_HUB_SQL_STATIC) !=
	             RELAIS_HUB_SQL_OK ||
	     relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE ||
	     relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK)) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database");
	}
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		relais_hub_sql_rollback(hub->db);
	}
	return rc;
}

#define N_PG_MIGRATIONS ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))

/*
 * PostgreSQL's migrations, under an advisory lock so that nodes starting
 * together run each once; the version is kept in hub_schema.
 */
static int migrate_pg(relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int i, have = 0, rc = 0;
	char set[64];

	if (pg_versions[N_PG_MIGRATIONS - 1] != N_MIGRATIONS) {
		return relais_fail(
		        ctx, RELAIS_EINVAL,
		        "this relais-hub has no PostgreSQL schema for hub database version "
		        "%d yet (the SQLite schema only)",
		        N_MIGRATIONS);
	}
	if (relais_hub_sql_begin(hub->db) != 0 ||
	    relais_hub_sql_exec(hub->db, "SELECT pg_advisory_xact_lock(7273657);"
	                                 "CREATE TABLE IF NOT EXISTS hub_schema "
	                                 "(version INTEGER NOT NULL)") != 0 ||
	    relais_hub_sql_prepare(hub->db, "SELECT max(version) FROM hub_schema", -1, &st, NULL) !=
	            0 ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
		goto out;
	}
	have = relais_hub_sql_column_int(st, 0);
	if (have > N_MIGRATIONS) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "the hub database was made by a newer relais");
		goto out;
	}
	upgrading(ctx, have);
	for (i = 0; i < N_PG_MIGRATIONS; i++) {
		if (pg_versions[i] <= have) {
			continue;
		}
		(void)snprintf(set, sizeof(set),
		               "DELETE FROM hub_schema; INSERT INTO hub_schema "
		               "VALUES (%d)",
		               pg_versions[i]);
		/* An empty one (nothing to do on PostgreSQL) only moves the version. */
		if ((pg_migrations[i][0] != '\0' &&
		     relais_hub_sql_exec(hub->db, pg_migrations[i]) != 0) ||
		    relais_hub_sql_exec(hub->db, set) != 0) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO,
			                         "hub database migration");
			goto out;
		}
	}
	if (relais_hub_sql_commit(hub->db) != 0) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "hub database migration");
	}
out:
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		relais_hub_sql_rollback(hub->db);
	}
	return rc;
}

static int migrate(relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int v, have = 0;
	char pragma[48];

	if (relais_hub_sql_kind(hub->db) == RELAIS_HUB_SQL_PG) {
		return migrate_pg(hub, ctx);
	}
	if (relais_hub_sql_prepare(hub->db, "PRAGMA user_version", -1, &st, NULL) ==
	            RELAIS_HUB_SQL_OK &&
	    relais_hub_sql_step(st) == RELAIS_HUB_SQL_ROW) {
		have = relais_hub_sql_column_int(st, 0);
	}
	relais_hub_sql_finalize(st);
	if (have > N_MIGRATIONS) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "the hub database was made by a newer relais");
	}
	upgrading(ctx, have);
	for (v = have + 1; v <= N_MIGRATIONS; v++) {
		(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
		int rc = 0;
		if (relais_hub_sql_begin(hub->db) != RELAIS_HUB_SQL_OK ||
		    relais_hub_sql_exec(hub->db, migrations[v - 1]) != RELAIS_HUB_SQL_OK) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO,
			                         "hub database migration");
		}
		if (rc == 0 && (relais_hub_sql_exec(hub->db, pragma) != RELAIS_HUB_SQL_OK ||
		                relais_hub_sql_commit(hub->db) != RELAIS_HUB_SQL_OK)) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO,
			                         "hub database migration");
		}
		if (rc != 0) {
			relais_hub_sql_rollback(hub->db);
			return rc;
		}
	}
	return 0;
}

int relais_hub_open(relais_hub **out, relais_ctx *ctx, const char *path)
{
	relais_hub *hub = calloc(1, sizeof(*hub));
	int rc;

	*out = NULL;
	if (hub == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (relais_hub_sql_is_pg(path)) {
		/* The URL may hold a password: named, never shown. */
		if (relais_hub_sql_open(&hub->db, path, NULL, 0) != 0) {
			rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EBUSY, "PostgreSQL");
			goto fail;
		}
		if ((hub->url = strdup(path)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto fail;
		}
		if ((rc = migrate(hub, ctx)) != 0 || (rc = identities_current(hub, ctx)) != 0) {
			goto fail;
		}
		goto ready;
	}
	if (relais_hub_sql_open(&hub->db, path, relais_hub_vfs(), RELAIS_HUB_SQL_CREATE) != 0) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, path);
		goto fail;
	}
	relais_hub_sql_busy_timeout(hub->db, 60000);
	if (relais_hub_sql_exec(hub->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                                 "PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;") !=
	    RELAIS_HUB_SQL_OK) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, path);
		goto fail;
	}
	if ((rc = migrate(hub, ctx)) != 0 || (rc = identities_current(hub, ctx)) != 0) {
		goto fail;
	}
	/* A hub that cannot write would accept connections and fail every
	 * sync: refuse to start instead. Taking the write lock proves it. */
	if (relais_hub_sql_readonly(hub->db) ||
	    relais_hub_sql_exec(hub->db, "BEGIN IMMEDIATE; CREATE TEMP TABLE w(x); ROLLBACK") !=
	            RELAIS_HUB_SQL_OK) {
		rc = relais_fail(
		        ctx, RELAIS_EIO, "%s: the hub cannot write to its database (%s)", path,
		        relais_hub_sql_readonly(hub->db) ? "the file or its folder is read-only"
		                                         : relais_hub_sql_errmsg(hub->db));
		goto fail;
	}
ready : {
	unsigned char noise[16];
	randombytes_buf(noise, sizeof(noise));
	if (crypto_pwhash_str_alg(hub->dummy_hash, (const char *)noise, sizeof(noise),
	                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                          crypto_pwhash_MEMLIMIT_INTERACTIVE,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "not enough memory for password hashing");
		goto fail;
	}
}
	*out = hub;
	return 0;
fail:
	relais_hub_close(hub);
	return rc;
}

/*
 * A connection to the hub database at path (migrated by first), set up by
 * pragmas; flags adds to relais_hub_sql_open's (RELAIS_HUB_SQL_NOMUTEX for
 * one that the caller's own lock guards).
 */
static int open_connection(relais_hub **out, relais_ctx *ctx, const char *path,
                           const relais_hub *first, const char *pragmas, int flags)
{
	relais_hub *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if (relais_hub_sql_open(&h->db, path, relais_hub_vfs(), flags) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_exec(h->db, pragmas) != RELAIS_HUB_SQL_OK) {
		int rc = relais_hub_sql_fail(ctx, h->db, RELAIS_EIO, path);
		relais_hub_close(h);
		return rc;
	}
	relais_hub_sql_busy_timeout(h->db, 60000);
	memcpy(h->dummy_hash, first->dummy_hash, sizeof(h->dummy_hash));
	*out = h;
	return 0;
}

int relais_hub_open_reader(relais_hub **out, relais_ctx *ctx, relais_hub *first, const char *url)
{
	relais_hub_sql_stmt *st = NULL;
	relais_hub *h;
	int have = -1, rc = 0;

	*out = NULL;
	if (first->url == NULL || !relais_hub_sql_is_pg(url)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "--reports-db: the reports read a PostgreSQL replica of a "
		                   "PostgreSQL hub (postgresql://...)");
	}
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->url = strdup(url)) == NULL) {
		free(h);
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	memcpy(h->dummy_hash, first->dummy_hash, sizeof(h->dummy_hash));
	/* The URL may hold a password: named, never shown. */
	if (relais_hub_sql_open(&h->db, url, NULL, 0) != 0) {
		rc = relais_hub_sql_fail(ctx, h->db, RELAIS_EBUSY, "PostgreSQL (--reports-db)");
		goto out;
	}
	/* No hub_schema: no hub at all (the query naming it would not parse). */
	if (relais_hub_sql_prepare(h->db, "SELECT to_regclass('hub_schema') IS NOT NULL", -1, &st,
	                           NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, h->db, RELAIS_EIO, "--reports-db");
		goto out;
	}
	have = relais_hub_sql_column_int(st, 0) ? -1 : 0;
	relais_hub_sql_finalize(st);
	st = NULL;
	if (have != 0 && (relais_hub_sql_prepare(h->db, "SELECT max(version) FROM hub_schema", -1,
	                                         &st, NULL) != RELAIS_HUB_SQL_OK ||
	                  relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW)) {
		rc = relais_hub_sql_fail(ctx, h->db, RELAIS_EIO, "--reports-db");
		goto out;
	}
	if (have != 0) {
		have = relais_hub_sql_column_int(st, 0);
	}
	if (have != N_MIGRATIONS) {
		rc = relais_fail(ctx, RELAIS_EFORMAT,
		                 "--reports-db holds a hub database of version %d, not %d as --db: "
		                 "name a replica of --db",
		                 have, N_MIGRATIONS);
		goto out;
	}
	if (first->files != NULL && relais_hub_files_set(h, ctx, first->files) != 0) {
		rc = RELAIS_ENOMEM;
	}
out:
	relais_hub_sql_finalize(st);
	if (rc != 0) {
		relais_hub_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

int relais_hub_open_another(relais_hub **out, relais_ctx *ctx, relais_hub *first)
{
	const char *path = relais_hub_sql_filename(first->db);
	int rc;

	*out = NULL;
	if (first->url != NULL) {
		/* PostgreSQL: a connection per thread, each writing for itself. */
		relais_hub *h = calloc(1, sizeof(*h));
		if (h == NULL || (h->url = strdup(first->url)) == NULL) {
			free(h);
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		if (relais_hub_sql_open(&h->db, first->url, NULL, 0) != 0) {
			rc = relais_hub_sql_fail(ctx, h->db, RELAIS_EBUSY, "PostgreSQL");
			relais_hub_close(h);
			return rc;
		}
		memcpy(h->dummy_hash, first->dummy_hash, sizeof(h->dummy_hash));
		if (first->files != NULL && relais_hub_files_set(h, ctx, first->files) != 0) {
			relais_hub_close(h);
			return RELAIS_ENOMEM;
		}
		*out = h;
		return 0;
	}
	if (path == NULL || path[0] == '\0') {
		return relais_fail(ctx, RELAIS_EINVAL, "an in-memory hub has one connection only");
	}
	if (first->writer == NULL) {
		struct relais_hub_writer *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		/* Used under w->lock only: SQLite's own mutexes are not needed.
		 * Synchronous FULL: each commit syncs the WAL before the POST is
		 * answered. Checkpoints move pages less often than SQLite's
		 * default (1,000 pages, about one batch of 100 statements), so
		 * that the index pages every batch touches are copied once for
		 * many batches. */
		if ((rc = open_connection(&w->conn, ctx, path, first,
		                          "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
		                          "PRAGMA cache_size = -32768;"
		                          "PRAGMA wal_autocheckpoint = " WAL_PAGES ";",
		                          RELAIS_HUB_SQL_NOMUTEX)) != 0) {
			free(w);
			return rc;
		}
		pthread_mutex_init(&w->lock, NULL);
		first->writer = w;
	}
	if ((rc = open_connection(out, ctx, path, first,
	                          "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	                          "PRAGMA cache_size = -8192;",
	                          0)) != 0) {
		return rc;
	}
	(*out)->shared = first->writer;
	if (first->files != NULL && (rc = relais_hub_files_set(*out, ctx, first->files)) != 0) {
		relais_hub_close(*out);
		*out = NULL;
	}
	return rc;
}

int relais_hub_is_postgresql(const char *path)
{
	return relais_hub_sql_is_pg(path);
}

int relais_hub_files_set(relais_hub *hub, relais_ctx *ctx, const char *dir)
{
	char *copy;

	if (dir == NULL || dir[0] == '\0') {
		return relais_fail(ctx, RELAIS_EINVAL, "the files folder is empty");
	}
	if ((copy = strdup(dir)) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	free(hub->files);
	hub->files = copy;
	return 0;
}

void relais_hub_close(relais_hub *hub)
{
	size_t i;

	if (hub != NULL) {
		if (hub->writer != NULL) {
			relais_hub_close(hub->writer->conn);
			pthread_mutex_destroy(&hub->writer->lock);
			free(hub->writer);
		}
		for (i = 0; i < HUB_CACHED; i++) {
			relais_hub_sql_finalize(hub->cache[i]);
		}
		relais_hub_terms_clear(hub);
		free(hub->terms);
		relais_strbuf_free(&hub->scratch);
		relais_hub_sql_close(hub->db);
		free(hub->url);
		free(hub->files);
		free(hub);
	}
}

void relais_hub_reply_clear(struct relais_hub_reply *r)
{
	free(r->body);
	free(r->more);
	memset(r, 0, sizeof(*r));
}

int relais_hub_reply_error(struct relais_hub_reply *r, unsigned status, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	r->status = status;
	cJSON_AddStringToObject(o, "error", message);
	free(r->body);
	r->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return r->body ? 0 : RELAIS_ENOMEM;
}

/*
 * The statements' number without reading them all (every report page shows
 * it; count(*) reads a whole index, 10 ms at 200,000 statements and growing
 * with the hub). SQLite: no statement row is ever deleted and a new rowid is
 * the largest plus one, so the largest seq is the count, from the end of the
 * primary key. PostgreSQL's identity leaves gaps (a statement already held
 * takes a number and is not stored), so: counted while the table is small,
 * beyond COUNT_EXACT_MAX the statistics' live rows (inserts as they commit,
 * re-estimated by each ANALYZE), within about a percent.
 */
#define COUNT_EXACT_MAX "100000"
#define COUNT_SQLITE "SELECT coalesce(max(seq), 0) FROM statement"
#define COUNT_PG                                                                                   \
	"SELECT CASE WHEN greatest(c.reltuples, pg_stat_get_live_tuples(c.oid)) "                  \
	"< " COUNT_EXACT_MAX " THEN (SELECT count(*) FROM statement) "                             \
	"ELSE greatest(c.reltuples::bigint, pg_stat_get_live_tuples(c.oid)) END "                  \
	"FROM pg_class c WHERE c.oid = 'statement'::regclass"

int relais_hub_count(int64_t *out, relais_hub *hub, relais_ctx *ctx)
{
	relais_hub_sql_stmt *st = NULL;
	int rc = 0;

	*out = 0;
	if (relais_hub_sql_prepare(hub->db,
	                           relais_hub_sql_kind(hub->db) == RELAIS_HUB_SQL_PG ? COUNT_PG
	                                                                             : COUNT_SQLITE,
	                           -1, &st, NULL) != RELAIS_HUB_SQL_OK ||
	    relais_hub_sql_step(st) != RELAIS_HUB_SQL_ROW) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "statements");
	} else {
		*out = relais_hub_sql_column_int64(st, 0);
	}
	relais_hub_sql_finalize(st);
	return rc;
}
