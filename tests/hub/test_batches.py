#!/usr/bin/env python3
"""test_batches.py: on PostgreSQL the hub stores a batch's statements and keeps the reports'
tables in a few statements for the whole batch (docs/hub.md, "Storing statements"); SQLite
stores them one after another. The same statements, POSTed in batches and imported from a
file larger than a batch, into a hub on each: the statements, the reports' tables and every
report must come out the same, whatever the batch mixes (the same learner and question many
times, names and organisations that change, completions out of order, answers with and
without a score, statements already held, a voiding statement and a StatementRef in the
middle of a batch, and a batch refused for a conflict found in its middle)."""
import itertools
import os
import random
import sys
import tempfile
import threading
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402
import pgcluster  # noqa: E402

A = hl.RELAIS_ACTIVITIES
SEED = 20261207
LEARNERS = ["awa@example.org", "bruno@example.org", "carla@example.org", "dede@example.org",
            "eli@example.org", "fatou@example.org"]
ORGS = ["MAE", "MSP", "MEF", None]
QUESTIONS = ["c1/quiz/q1", "c1/quiz/q2", "c1/quiz/q3", "c2/final/q1", "c2/final/q2"]


def statement(rng, email=None):
    """A random statement of a learner as the reader makes them, always with a timestamp
    (without one, when it happened is when each hub stored it)."""
    email = email or rng.choice(LEARNERS)
    kind = rng.choice(["experienced", "completed-unit", "completed-course", "answered",
                       "answered", "answered", "unscored", "verdict", "verdict"])
    result = None
    if kind == "experienced":
        verb, obj = "experienced", rng.choice(["c1/intro", "c1/m2", "c2/intro"])
    elif kind == "completed-unit":
        verb, obj = "completed", rng.choice(["c1/intro", "c2/intro"])
    elif kind == "completed-course":
        verb, obj = "completed", rng.choice(["c1", "c2"])
        result = {"completion": True}
    elif kind == "answered":
        ok = rng.random() < 0.6
        verb, obj = "answered", rng.choice(QUESTIONS)
        result = {"success": ok}
        if rng.random() < 0.8:
            result["score"] = {"scaled": rng.choice([0, 0.25, 0.5, 0.75, 1])}
    elif kind == "unscored":
        verb, obj = "answered", rng.choice(QUESTIONS)
        result = {"response": "free text"}
    else:
        verb, obj = rng.choice(["passed", "failed"]), rng.choice(["c1/quiz", "c2/final", "c2"])
        result = {"success": verb == "passed", "score": {"scaled": rng.choice([0.4, 0.9])}}
    actor = {"objectType": "Agent", "mbox": "mailto:" + email}
    if rng.random() < 0.7:
        # quotes, a backslash, braces and commas: what an array literal must escape
        actor["name"] = email.split("@")[0].title() + rng.choice(
            ["", " D.", ' "Zoë" O\'Neil \\ {x,y}', " NULL"])
    st = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
          "actor": actor, "verb": hl.verb(verb),
          "object": {"objectType": "Activity", "id": A + obj},
          "context": {"platform": "relais"},
          "timestamp": "2026-%02d-%02dT%02d:00:00.000Z" % (
              rng.randint(1, 11), rng.randint(1, 28), rng.randint(0, 23))}
    org = rng.choice(ORGS)
    if org is not None:
        st["context"]["extensions"] = {hl.ORGANISATION: org}
    if result is not None:
        st["result"] = result
    return st


def batches(rng):
    """The batches to POST: random sizes, one learner's run of statements now and then, some
    statements sent again, a voiding statement and a StatementRef among the others."""
    sent, out = [], []
    for b in range(40):
        batch = []
        for _ in range(rng.randint(1, 120)):
            if sent and rng.random() < 0.05:
                again = rng.choice(sent)
                if again not in batch:
                    batch.append(again)
                continue
            batch.append(statement(rng, rng.choice(LEARNERS[:2]) if b % 3 == 0 else None))
        if b % 7 == 3 and sent:
            target = rng.choice([s for s in sent if "completed" in s["verb"]["id"]] or sent)
            batch.insert(len(batch) // 2, hl.voiding(target["id"]))
            # and one made void in the batch itself, before its end
            batch.append(hl.voiding(batch[0]["id"]))
        if b % 9 == 4:
            ref = statement(rng)
            ref["object"] = {"objectType": "StatementRef", "id": batch[-1]["id"]}
            del ref["context"]["platform"]  # only for an Activity (xAPI 4.1.6)
            batch.append(ref)
        sent.extend(s for s in batch if "voided" not in s["verb"]["id"])
        out.append(batch)
    return out


def tables(db, credentials):
    """The reports' tables and the statements, as comparable rows: terms by their text,
    credentials by their name, scores rounded (sums made in another order)."""
    def cred(k):
        return credentials.get(k, k)

    rows = {}
    rows["statement"] = db.sql(
        "SELECT id, voided, credential FROM statement ORDER BY seq")
    rows["statement"] = [(i, v, cred(c)) for i, v, c in rows["statement"]]
    lc = db.sql("SELECT a.text, c.text, course, actor, name, organisation, started, completed, "
                "passed, last, credential FROM learner_course "
                "JOIN term a ON a.id = actor_term JOIN term c ON c.id = course_term")
    rows["learner_course"] = sorted(r[:-1] + (cred(r[-1]),) for r in lc)
    al = db.sql("SELECT o.text, a.text, kind, course, quiz, object_id, organisation, tries, "
                "missed, passes, score_sum, scored, first, last FROM activity_learner "
                "JOIN term o ON o.id = object_term JOIN term a ON a.id = actor_term")
    rows["activity_learner"] = sorted(r[:10] + ("%.9f" % float(r[10]),) + r[11:] for r in al)
    at = db.sql("SELECT o.text, organisation, kind, course, quiz, object_id, learners, "
                "learners_missed, learners_passed, tries, passes, score_sum, scored "
                "FROM activity_tally JOIN term o ON o.id = object_term")
    # A tally left at zero (its learners' rows moved to another organisation) counts nothing
    # and the reports leave it out (HAVING sum(learners) > 0): one after another leaves such
    # rows where a batch, which moves them within itself, never makes them.
    rows["activity_tally"] = sorted(r[:11] + ("%.9f" % float(r[11]),) + r[12:] for r in at
                                    if any(float(v) != 0 for v in r[6:]))
    # Kept by activity_learner's triggers (migration 27): per activity and organisation, the
    # sums of its learners' rows (scores as above).
    alltime = {}
    for o, _, kind, course, quiz, object_id, org, tries, missed, passes, score, scored, _, _ \
            in al:
        t = alltime.setdefault((o, org, kind, course, quiz, object_id), [0] * 5 + [0.0, 0])
        for i, v in enumerate((1, int(missed), int(int(passes) > 0), int(tries), int(passes),
                               float(score), int(scored))):
            t[i] += v
    rows["activity_tally_of_rows"] = sorted(
        k + tuple(str(v) for v in t[:5]) + ("%.9f" % t[5], str(t[6]))
        for k, t in alltime.items())
    # Kept as statements arrive; must equal what the learners' rows give (tallies at zero
    # left out, as above), and the reports without a date range read it.
    rows["course_tally"] = sorted(r for r in db.sql(
        "SELECT c.text, organisation, course, learners, completed, passed FROM course_tally "
        "JOIN term c ON c.id = course_term") if r[3:] != ("0", "0", "0"))
    rows["course_tally_of_rows"] = sorted(db.sql(
        "SELECT c.text, coalesce(organisation, ''), max(course), count(*), count(completed), "
        "count(CASE WHEN completed IS NOT NULL THEN passed END) FROM learner_course "
        "JOIN term c ON c.id = course_term GROUP BY c.text, coalesce(organisation, '')"))
    day_cols = "started, last, completed, last_completed, passed, last_passed"
    rows["course_day_tally"] = sorted(r for r in db.sql(
        "SELECT c.text, organisation, day, course, %s FROM course_day_tally "
        "JOIN term c ON c.id = course_term" % day_cols) if any(v != "0" for v in r[4:]))
    rows["course_day_tally_of_rows"] = sorted(r for r in db.sql(
        "SELECT c.text, org, day, max(course), sum(s), sum(l), sum(cc), sum(lc), sum(p), "
        "sum(lp) FROM (SELECT course_term, coalesce(organisation, '') AS org, "
        "substr(started, 1, 10) AS day, course, 1 AS s, 0 AS l, 0 AS cc, 0 AS lc, 0 AS p, "
        "0 AS lp FROM learner_course UNION ALL SELECT course_term, coalesce(organisation, ''), "
        "substr(last, 1, 10), course, 0, 1, 0, CASE WHEN completed IS NULL THEN 0 ELSE 1 END, "
        "0, CASE WHEN completed IS NULL OR passed IS NULL THEN 0 ELSE 1 END FROM learner_course "
        "UNION ALL SELECT course_term, coalesce(organisation, ''), substr(completed, 1, 10), "
        "course, 0, 0, 1, 0, 0, 0 FROM learner_course WHERE completed IS NOT NULL UNION ALL "
        "SELECT course_term, coalesce(organisation, ''), substr(passed, 1, 10), course, 0, 0, "
        "0, 0, 1, 0 FROM learner_course WHERE completed IS NOT NULL AND passed IS NOT NULL) x "
        "JOIN term c ON c.id = course_term GROUP BY c.text, org, day"))
    # The same by month (migration 23), kept from the days: what the days add up to.
    rows["course_month_tally"] = sorted(r for r in db.sql(
        "SELECT c.text, organisation, month, course, %s FROM course_month_tally "
        "JOIN term c ON c.id = course_term" % day_cols) if any(v != "0" for v in r[4:]))
    months = {}
    for r in rows["course_day_tally_of_rows"]:
        m = months.setdefault((r[0], r[1], r[2][:7], r[3]), [0] * 6)
        for i, v in enumerate(r[4:]):
            m[i] += int(v)
    rows["course_month_tally_of_rows"] = sorted(
        k + tuple(str(v) for v in m) for k, m in months.items() if any(m))
    # The learners view's table (migration 20): one row per learner, as their rows say.
    rows["learner"] = sorted(db.sql(
        "SELECT a.text, name, email, organisation, uniform, courses, completed, started, last "
        "FROM learner JOIN term a ON a.id = actor_term"))
    rows["learner_of_rows"] = sorted(db.sql(
        "SELECT a.text, coalesce(max(name), ''), CASE WHEN max(actor) LIKE 'mbox:mailto:%' "
        "THEN substr(max(actor), 13) ELSE max(actor) END, coalesce(max(organisation), ''), "
        "CASE WHEN count(DISTINCT coalesce(name, '')) = 1 AND "
        "count(DISTINCT coalesce(organisation, '')) = 1 THEN 1 ELSE 0 END, count(*), "
        "count(completed), min(started), max(last) FROM learner_course "
        "JOIN term a ON a.id = actor_term GROUP BY a.text"))
    # The quiz views' tallies (migration 21): per kind, activity, organisation and day (and
    # month), what the rows whose first answer was then count, then those whose last was;
    # those left at zero as above; the scores' sums in billionths.
    sides = ("learners", "missed", "passed", "tries", "passes", "score_e9", "scored")
    nums = ", ".join(p + c for p in ("first_", "last_") for c in sides)

    def day_row(r):
        return r[:7] + tuple(str(int(v)) for v in r[7:])
    for table, col, n in (("activity_day_tally", "day", 10), ("activity_month_tally", "month", 7)):
        rows[table] = sorted(day_row(r) for r in db.sql(
            "SELECT kind, o.text, organisation, %s, course, quiz, object_id, %s "
            "FROM %s JOIN term o ON o.id = object_term" % (col, nums, table))
            if any(int(v) != 0 for v in r[7:]))
        made = {}
        for o, _, kind, course, quiz, object_id, org, tries, missed, passes, score, scored, \
                first, last in al:
            counts = (1, int(missed), int(int(passes) > 0), int(tries), int(passes),
                      round(float(score) * 1e9), int(scored))
            for side, day in ((0, first[:n]), (1, last[:n])):
                t = made.setdefault((kind, o, org, day, course, quiz, object_id), [0] * 14)
                for i, v in enumerate(counts):
                    t[side * 7 + i] += v
        rows[table + "_of_rows"] = sorted(day_row(k + tuple(v)) for k, v in made.items())
    # Their totals over the organisations (migration 25): per kind, activity and day (month),
    # the sums of its organisations' rows; and by country (migration 26), the sums of the rows
    # of its organisations as they are now, however they moved between countries. by: the
    # table's column in the tallies' organisation's place, and what it is for an organisation
    # (None: not counted).
    country = dict(db.sql("SELECT name, country FROM organisation"))
    for table, col, of, by, of_org in (
            ("activity_day_total", "day", "activity_day_tally", "''", lambda org: ""),
            ("activity_month_total", "month", "activity_month_tally", "''", lambda org: ""),
            ("activity_day_country", "day", "activity_day_tally", "country", country.get),
            ("activity_month_country", "month", "activity_month_tally", "country",
             country.get)):
        rows[table] = sorted(day_row(r) for r in db.sql(
            "SELECT kind, o.text, %s, %s, course, quiz, object_id, %s "
            "FROM %s JOIN term o ON o.id = object_term" % (by, col, nums, table))
            if any(int(v) != 0 for v in r[7:]))
        summed = {}
        for r in rows[of]:
            if of_org(r[2]) is not None:
                t = summed.setdefault(r[:2] + (of_org(r[2]),) + r[3:7], [0] * 14)
                for i, v in enumerate(r[7:]):
                    t[i] += int(v)
        rows[table + "_of_rows"] = sorted(day_row(k + tuple(v)) for k, v in summed.items()
                                          if any(v))
    rows["unscored_answer"] = sorted(db.sql(
        "SELECT s.id FROM unscored_answer u JOIN statement s ON s.seq = u.seq"))
    return rows


def learners_of_rows(rows, rng_, orgs, course=None):
    """The learners view as the learners' rows say, one by one: each learner's rows of the
    organisations orgs (a set) and of course (None: all) active in the range, in the view's
    order (by name, then email, as bytes)."""
    lo, hi = rng_[0] or "0000", rng_[1] or "9999"
    by = {}
    for actor, name, organisation, started, last, completed, in_course in rows:
        if (orgs is not None and organisation not in orgs) or last[:10] < lo or \
                started[:10] > hi:
            continue
        if course is not None and in_course != course:
            continue
        by.setdefault(actor, []).append((name, organisation, last, completed))
    out = []
    for actor, mine in by.items():
        names = [n for n, _, _, _ in mine if n is not None]
        orgs = [o for _, o, _, _ in mine if o is not None]
        out.append({"learner": max(names) if names else "",
                    "email": actor[12:] if actor.startswith("mbox:mailto:") else actor,
                    "organisation": max(orgs) if orgs else "", "courses": len(mine),
                    "completed": sum(c is not None for _, _, _, c in mine),
                    "last_active": max(la for _, _, la, _ in mine)})
    return sorted(out, key=lambda x: (x["learner"].encode(), x["email"].encode()))


def walk_learners(b, query):
    """The learners the learners page lists, following its next-page links to the last."""
    import html
    import re
    import urllib.parse
    emails, pages, url = [], 0, "/reports/learners" + ("?" + query if query else "")
    while True:
        r = b.request("GET", url)
        assert r.status == 200, (url, r)
        page = r.body.decode()
        section = page.split('<section aria-labelledby="learners">')[1].split("</section>")[0]
        emails += [urllib.parse.unquote(html.unescape(e)) for e in
                   re.findall(r'href="/reports/learner\?learner=([^"]*)"', section)]
        pages += 1
        # the link as the browser follows it: the same filters, then where the page starts
        m = re.search(r'<a href="(/reports/learners[^"]*)" rel="next">', section)
        if m is None:
            return emails, pages
        url = html.unescape(m.group(1))
        assert re.fullmatch(r"/reports/learners\?(%s&)?start=[A-Za-z0-9_-]+" %
                            re.escape(query), url), url


# Date ranges the reports are asked for (from, to; None: not given), and their views. The
# statements' months are January to November: the quiz views read the months from the
# start's on for the ranges nearer November (from 15 June, 4 July, 20 July, 16 August and
# 1 September), their ends early and late in their months.
RANGES = [("2026-03-01", "2026-06-30"), ("2026-01-01", "2026-01-31"),
          ("2026-05-15", "2026-05-15"), ("2026-09-01", None), (None, "2026-04-10"),
          ("2026-02-10", "2026-02-10"), ("2026-05-21", "2026-07-02"),
          ("2026-02-28", "2026-03-01"), ("2026-04-01", "2026-04-30"), ("2026-06-15", "2026-08-14"),
          ("2026-07-04", None), ("2026-07-20", "2026-08-20"), ("2026-08-16", "2026-10-10")]
# The organisations' countries (relais-hub organisation set), one after the other, after
# ML (MAE, MSP) and BF or CI (MEF) while the batches arrived: SN with three of the four
# organisations the tallies know (MAE, MSP, MEF and none); then FR with two, moved from SN.
COUNTRY_SETS = [("country=SN", {"MAE": "SN", "MSP": "SN", "MEF": "SN"}),
                ("country=FR", {"MAE": "SN", "MSP": "FR", "MEF": "FR"})]
COUNTRIES = [by for by, _ in COUNTRY_SETS]
# The learners views' filters, asked for once the countries are as the last set has them.
LEARNERS_BY = (None, "organisation=MAE", "country=FR")
OF_FILTER = {"organisation=MAE": {"MAE"}, "country=SN": {"MAE", "MSP", "MEF"},
             "country=FR": {"MSP", "MEF"}}
DATED_VIEWS = ["status-by-course", "status-by-organisation", "completions-by-course",
               "completions-by-organisation", "completions-by-day", "completions-over-time",
               "quiz-questions", "quiz-results"]


def expected(rows, rng_):
    """The dated views as the learners' rows say, one by one: a row counts when it was active
    in the range (its last statement on or after from, its first on or before to), completed
    or passed when that happened by to."""
    lo, hi = rng_[0] or "0000", rng_[1] or "9999"
    status, by_org, days = {}, {}, {}
    for course, org, started, last, completed, passed in rows:
        done = completed is not None and completed[:10] <= hi
        if completed is not None and lo <= completed[:10] <= hi:
            days[(completed[:10], course)] = days.get((completed[:10], course), 0) + 1
        if last[:10] < lo or started[:10] > hi:
            continue
        ok = completed is not None and passed is not None and passed[:10] <= hi
        for d, k in ((status, course), (by_org, (org, course))):
            n = d.setdefault(k, [0, 0, 0])
            n[0] += 1
            n[1] += done
            n[2] += ok
    return status, by_org, days


def expected_quizzes(rows, rng_, orgs=None):
    """The dated quiz views as the learners' activity rows say, one by one: a row counts, all
    its answers, when it was active in the range (its last answer on or after from, its first
    on or before to), and of one of organisations orgs if given. Per question: learners, those
    who missed, answers; per quiz: attempts, passed, learners, learners who passed, the
    scores' sum and count."""
    lo, hi = rng_[0] or "0000", rng_[1] or "9999"
    questions, quizzes = {}, {}
    for kind, course, quiz, object_id, tries, missed, passes, score, scored, first, last, \
            organisation in rows:
        if last[:10] < lo or first[:10] > hi or (orgs is not None and organisation not in orgs):
            continue
        if kind == "1":
            q = object_id.replace(A + course + "/" + quiz + "/", "")
            n = questions.setdefault((course, quiz, q), [0, 0, 0])
            n[0] += 1
            n[1] += int(missed)
            n[2] += int(tries)
        else:
            n = quizzes.setdefault((course, quiz), [0, 0, 0, 0, 0.0, 0])
            for i, v in enumerate((int(tries), int(passes), 1, int(int(passes) > 0),
                                   float(score), int(scored))):
                n[i] += v
    return questions, quizzes


def quiz_moves(rng):
    """Batches that move a learner's row for a question and for a quiz: answered on 10
    February and 20 May (the row's last day), the May answer and verdict made void (back to
    10 February: the row made again), then answered on 3 July (an update moving it on)."""
    def at(verb, obj, day, success, score):
        st = statement(rng, "mover@example.org")
        st.update(verb=hl.verb(verb), timestamp=day + "T09:00:00.000Z",
                  result={"success": success, "score": {"scaled": score}})
        st["object"]["id"] = A + obj
        st["context"]["extensions"] = {hl.ORGANISATION: "MSP"}
        return st
    first = [at("answered", "c1/quiz/q2", "2026-02-10", False, 0),
             at("passed", "c1/quiz", "2026-02-10", True, 0.9)]
    may = [at("answered", "c1/quiz/q2", "2026-05-20", True, 1),
           at("failed", "c1/quiz", "2026-05-20", False, 0.4)]
    return [first, may, [hl.voiding(s["id"]) for s in may],
            [at("answered", "c1/quiz/q2", "2026-07-03", True, 0.75),
             at("failed", "c1/quiz", "2026-07-03", False, 0.4)]]


@unittest.skipUnless(pgcluster.available(), "PostgreSQL's server programs are not installed")
class SameOnBoth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="relais-batches-")
        cls.addClassCleanup(cls.tmp.cleanup)
        rng = random.Random(SEED)
        cls.batches = batches(rng)
        cls.moves = quiz_moves(rng)
        # More than a batch (250), and more learners than the hub's terms cache keeps (4,096):
        # the cache is emptied part way.
        cls.imported = ([statement(rng, "learner%d@example.org" % i) for i in range(4500)] +
                        [statement(rng) for _ in range(700)])
        # A scored answer and an unscored one carried twice in a file (as one laptop's
        # records gathered twice): each is stored once and counted once in the reports'
        # tables, as are the rest of its batch.
        for verb, scored in (("answered", True), ("answered", False)):
            i = next(i for i, st in enumerate(cls.imported) if i >= 4600 and
                     st["verb"]["id"].endswith(verb) and
                     ("success" in st.get("result", {})) == scored)
            cls.imported.insert(i + 1, cls.imported[i])
        cls.results = {}
        for name, pg in (("sqlite", False), ("postgresql", True)):
            root = os.path.join(cls.tmp.name, name)
            os.mkdir(root)
            db = hl.HubDb(root, postgresql=pg)
            key, secret = db.credentials("laptop")
            lk = db.laptop_key(name="carried")
            db.coordinator("admin@example.org")
            # Countries from the start (the batches then count by country as they arrive),
            # and one organisation moved between two countries every fourth batch, the move
            # and the batch at once (each move takes its tallies from one country to the
            # other).
            db.run("organisation", "set", "MAE", "--country", "ML")
            db.run("organisation", "set", "MSP", "--country", "ML")
            hub = hl.Hub(db)
            moved, statuses = [], []

            def move(country):
                moved.append(db.run("organisation", "set", "MEF", "--country", country,
                                    check=False).returncode)
            try:
                c = hl.Client(hub, key, secret)
                for i, b in enumerate(cls.batches):
                    mover = None
                    if i % 4 == 0:
                        mover = threading.Thread(target=move, args=("CI" if i % 8 else "BF",))
                        mover.start()
                    statuses.append(c.post(b).status)
                    if mover is not None:
                        mover.join()
                moves = [c.post(b).status for b in cls.moves]
                # A batch whose middle statement reuses a held id with other content: refused
                # whole, naming that statement, and nothing of it kept.
                clash = [statement(rng) for _ in range(5)]
                clash[2] = dict(statement(rng), id=cls.batches[0][0]["id"])
                refused = c.post(clash)
            finally:
                hub.stop()
            cls.moved = getattr(cls, "moved", {})
            cls.moved[name] = moved
            path = os.path.join(root, "carried.relais-records.gz")
            hl.records_file(path, cls.imported, key=lk)
            imported = db.run("import", path).stdout
            dated = {}
            hub = hl.Hub(db)
            try:
                b = hl.sign_in(hub, "admin@example.org")
                for rng_ in RANGES:
                    q = "?" + "&".join("%s=%s" % kv for kv in zip(("from", "to"), rng_) if kv[1])
                    for view in DATED_VIEWS:
                        r = b.request("GET", "/reports/%s.json%s" % (view, q))
                        dated[(rng_, view)] = r.json() if r.status == 200 else r.status
                    # one organisation's, read from its own tallies (all organisations' from
                    # their totals)
                    for view in ("quiz-questions", "quiz-results"):
                        r = b.request("GET", "/reports/%s.json%s&organisation=MAE" % (view, q))
                        dated[(rng_, view, "organisation=MAE")] = \
                            r.json() if r.status == 200 else r.status
                for by, countries in COUNTRY_SETS:
                    for org, country in countries.items():
                        db.run("organisation", "set", org, "--country", country)
                    for rng_, view in itertools.product(RANGES, ("quiz-questions",
                                                                 "quiz-results")):
                        q = "?" + "&".join("%s=%s" % kv for kv in zip(("from", "to"), rng_)
                                           if kv[1])
                        r = b.request("GET", "/reports/%s.json%s&%s" % (view, q, by))
                        dated[(rng_, view, by)] = r.json() if r.status == 200 else r.status
                for rng_ in RANGES + [(None, None)]:
                    for org in LEARNERS_BY:
                        q = "&".join(["%s=%s" % kv for kv in zip(("from", "to"), rng_)
                                      if kv[1]] + ([org] if org else []))
                        r = b.request("GET", "/reports/learners.json?" + q)
                        dated[(rng_, org, "learners")] = r.json() if r.status == 200 else r.status
                        # one course's learners (a row each in it), as a file and a page
                        r = b.request("GET", "/reports/learners.json?course=c1&" + q)
                        dated[(rng_, org, "c1")] = r.json() if r.status == 200 else r.status
                        # completions by learner, of every course and of one
                        for course in (None, "c1"):
                            r = b.request("GET", "/reports/completions-by-learner.json?" +
                                          ("course=%s&" % course if course else "") + q)
                            dated[(rng_, org, "completions", course)] = \
                                r.json() if r.status == 200 else r.status
                walked = {q: walk_learners(b, q) for q in
                          ("", "organisation=MAE&from=2026-03-01", "from=2026-05-15",
                           "country=FR&from=2026-03-01",
                           "course=c1", "course=c2&organisation=MAE&from=2026-03-01")}
                bad_start = b.request("GET", "/reports/learners?start=!").status
            finally:
                hub.stop()
            names = {key: "laptop", lk.credential: "carried"}
            cls.results[name] = {"statuses": statuses, "refused": refused.status,
                                 "refused_error": refused.error(), "imported": imported,
                                 "moves": moves, "activity_rows": db.sql(
                                     "SELECT kind, course, quiz, object_id, tries, missed, "
                                     "passes, score_sum, scored, first, last, organisation "
                                     "FROM activity_learner"),
                                 "tables": tables(db, names),
                                 "report": db.report_json(), "dated": dated,
                                 "walked": walked, "bad_start": bad_start,
                                 "learner_rows": db.sql(
                                     "SELECT actor, name, organisation, started, last, "
                                     "completed, course FROM learner_course"),
                                 "rows": db.sql(
                                     "SELECT course, coalesce(organisation, ''), started, "
                                     "last, completed, passed FROM learner_course"),
                                 "csv": db.run("report", "--format", "csv").stdout,
                                 "clash_held": db.sql(
                                     "SELECT count(*) FROM statement WHERE id = ?",
                                     (clash[0]["id"],))}

    def test_every_batch_is_stored(self):
        for name in self.results:
            self.assertEqual(self.results[name]["statuses"], [200] * len(self.batches), name)
            self.assertEqual(self.results[name]["moves"], [200] * 4, name)

    def test_the_statements_are_the_same_in_the_same_order(self):
        lite, pg = (self.results[n]["tables"]["statement"] for n in ("sqlite", "postgresql"))
        self.assertGreater(len(lite), 2000)
        self.assertTrue(any(v == "1" for _, v, _ in lite), "no statement was voided")
        self.assertEqual(lite, pg)

    def test_the_reports_tables_are_the_same(self):
        lite, pg = (self.results[n]["tables"] for n in ("sqlite", "postgresql"))
        for table in ("learner_course", "activity_learner", "activity_tally",
                      "unscored_answer", "course_tally", "course_day_tally", "learner",
                      "activity_day_tally", "activity_month_tally", "course_month_tally",
                      "activity_day_total", "activity_month_total", "activity_day_country",
                      "activity_month_country"):
            with self.subTest(table=table):
                self.assertGreater(len(lite[table]), 5)
                self.assertEqual([r for r in lite[table] if r not in pg[table]],
                                 [r for r in pg[table] if r not in lite[table]])

    def test_the_course_tallies_add_up_to_the_learners_rows(self):
        for name, r in self.results.items():
            with self.subTest(backend=name):
                self.assertEqual(r["tables"]["course_tally"],
                                 r["tables"]["course_tally_of_rows"])
                self.assertEqual(r["tables"]["course_day_tally"],
                                 r["tables"]["course_day_tally_of_rows"])

    def test_the_learners_table_is_their_rows_grouped(self):
        for name, r in self.results.items():
            with self.subTest(backend=name):
                self.assertGreater(len(r["tables"]["learner"]), 4500)
                self.assertEqual(r["tables"]["learner"], r["tables"]["learner_of_rows"])
                # names and organisations that change: learners whose rows differ in them
                self.assertTrue(any(x[4] == "0" for x in r["tables"]["learner"]))

    def test_the_learners_view_counts_each_learners_rows(self):
        for name, r in self.results.items():
            for rng_ in RANGES + [(None, None)]:
                for org in LEARNERS_BY:
                    with self.subTest(backend=name, range=rng_, by=org):
                        want = learners_of_rows(r["learner_rows"], rng_, OF_FILTER.get(org))
                        self.assertGreater(len(want), 0)
                        self.assertEqual(r["dated"][(rng_, org, "learners")], want)
                        want = learners_of_rows(r["learner_rows"], rng_, OF_FILTER.get(org),
                                                "c1")
                        self.assertGreater(len(want), 0)
                        self.assertEqual(r["dated"][(rng_, org, "c1")], want)

    def test_one_courses_completions_by_learner_are_its_rows_of_all(self):
        for name, r in self.results.items():
            seen = 0
            for rng_ in RANGES + [(None, None)]:
                for org in LEARNERS_BY:
                    with self.subTest(backend=name, range=rng_, by=org):
                        every = r["dated"][(rng_, org, "completions", None)]
                        want = [x for x in every if x["course"] == "c1"]
                        self.assertEqual(r["dated"][(rng_, org, "completions", "c1")], want)
                        seen += len(want) > 0 and len(want) < len(every)
            self.assertGreater(seen, 3, name)  # ranges where c1 had some, others had more

    def test_the_learners_pages_walk_every_learner_once_in_order(self):
        ranges = {"": ((None, None), None, None), "organisation=MAE&from=2026-03-01":
                  (("2026-03-01", None), {"MAE"}, None),
                  "from=2026-05-15": (("2026-05-15", None), None, None),
                  "country=FR&from=2026-03-01": (("2026-03-01", None), {"MSP", "MEF"}, None),
                  "course=c1": ((None, None), None, "c1"),
                  "course=c2&organisation=MAE&from=2026-03-01":
                  (("2026-03-01", None), {"MAE"}, "c2")}
        for name, r in self.results.items():
            for q, (rng_, org, course) in ranges.items():
                with self.subTest(backend=name, query=q):
                    emails, pages = r["walked"][q]
                    want = [x["email"] for x in
                            learners_of_rows(r["learner_rows"], rng_, org, course)]
                    self.assertEqual(emails, want)
                    self.assertEqual(pages, (len(want) + 499) // 500)
            self.assertGreater(len(r["walked"][""][0]), 4500)
            self.assertEqual(r["bad_start"], 400)

    def test_the_course_month_tallies_add_up_to_the_learners_rows(self):
        self.assert_made_of_rows(("course_month_tally",), 20)

    def assert_made_of_rows(self, tables, least):
        """Each table holds on both backends what tables() made of the rows it comes from
        (its name + "_of_rows"), at least least rows of it."""
        for name, r in self.results.items():
            for table in tables:
                with self.subTest(backend=name, table=table):
                    self.assertGreater(len(r["tables"][table + "_of_rows"]), least)
                    self.assertEqual(r["tables"][table], r["tables"][table + "_of_rows"])

    def test_the_quiz_tallies_add_up_to_the_learners_rows(self):
        self.assert_made_of_rows(("activity_tally",), 20)

    def test_the_quiz_day_tallies_add_up_to_the_learners_rows(self):
        self.assert_made_of_rows(("activity_day_tally", "activity_month_tally"), 50)

    def test_the_quiz_totals_add_up_the_organisations_tallies(self):
        self.assert_made_of_rows(("activity_day_total", "activity_month_total"), 50)

    def test_the_quiz_tallies_by_country_add_up_their_organisations_tallies(self):
        self.assert_made_of_rows(("activity_day_country", "activity_month_country"), 50)
        for name, codes in self.moved.items():
            self.assertEqual(codes, [0] * 10, name)  # MEF moved while the batches arrived

    def test_the_dated_quiz_views_count_the_rows_active_in_the_range(self):
        for name, r in self.results.items():
            for rng_, by in itertools.product(RANGES, [None, "organisation=MAE"] + COUNTRIES):
                with self.subTest(backend=name, range=rng_, by=by):
                    questions, quizzes = expected_quizzes(r["activity_rows"], rng_,
                                                          OF_FILTER.get(by))
                    got = r["dated"]
                    key = (by,) if by else ()
                    self.assertEqual(
                        {(x["course"], x["quiz"], x["question"]):
                         [x["learners"], x["learners_missed"], x["answers"]]
                         for x in got[(rng_, "quiz-questions") + key]}, questions)
                    results = {(x["course"], x["quiz"]): x
                               for x in got[(rng_, "quiz-results") + key]}
                    self.assertEqual(sorted(results), sorted(quizzes))
                    for k, (tries, passes, n, n_passed, score, scored) in quizzes.items():
                        x = results[k]
                        self.assertEqual([x["attempts"], x["passed"], x["learners"],
                                          x["learners_passed"]], [tries, passes, n, n_passed])
                        if scored:
                            self.assertAlmostEqual(x["average_score"], score / scored,
                                                   delta=0.0005 + 1e-9)
                        else:
                            self.assertIsNone(x["average_score"])
        # One organisation's are some of all, not none nor all.
        for name, r in self.results.items():
            got = r["dated"]
            for by in ["organisation=MAE"] + COUNTRIES:
                self.assertTrue(any(0 < len(got[(rng_, "quiz-questions", by)]) and
                                    got[(rng_, "quiz-questions", by)] !=
                                    got[(rng_, "quiz-questions")] for rng_ in RANGES), (name, by))
        # The moved rows: on 10 February only their first answers, from 21 May to 2 July
        # neither (their May answers void, their last day 3 July: active over the range).
        for name, r in self.results.items():
            feb = r["dated"][(("2026-02-10", "2026-02-10"), "quiz-questions")]
            self.assertTrue(any(x["question"] == "q2" for x in feb), name)
        lite, pg = (self.results[n]["dated"] for n in ("sqlite", "postgresql"))
        for rng_ in RANGES:
            for view in ("quiz-questions", "quiz-results"):
                self.assertEqual(lite[(rng_, view)], pg[(rng_, view)], (rng_, view))
                for by in ["organisation=MAE"] + COUNTRIES:
                    self.assertEqual(lite[(rng_, view, by)], pg[(rng_, view, by)], (rng_, view, by))

    def test_the_reports_are_the_same(self):
        self.assertEqual(self.results["sqlite"]["report"], self.results["postgresql"]["report"])

    def test_the_dated_views_count_the_learners_active_in_the_range(self):
        for name, r in self.results.items():
            for rng_ in RANGES:
                with self.subTest(backend=name, range=rng_):
                    status, by_org, days = expected(r["rows"], rng_)
                    got = r["dated"]
                    self.assertEqual(
                        {x["course"]: [x["enrolled"], x["completed"], x["passed"]]
                         for x in got[(rng_, "status-by-course")]}, status)
                    self.assertEqual(
                        {(x["organisation"], x["course"]): [x["enrolled"], x["completed"],
                                                            x["passed"]]
                         for x in got[(rng_, "status-by-organisation")]}, by_org)
                    self.assertEqual(
                        {x["course"]: [x["learners"], x["completions"]]
                         for x in got[(rng_, "completions-by-course")]},
                        {c: [n[0], n[1]] for c, n in status.items() if n[1]})
                    self.assertEqual(
                        {(x["day"], x["course"]): x["completions"]
                         for x in got[(rng_, "completions-over-time")]}, days)
                    per_day = {}
                    for (d, _), n in days.items():
                        per_day[d] = per_day.get(d, 0) + n
                    self.assertEqual({x["day"]: x["completions"]
                                      for x in got[(rng_, "completions-by-day")]}, per_day)
        self.assertTrue(any(r["dated"][(RANGES[0], "status-by-course")]
                            for r in self.results.values()))

    def test_the_report_files_read_the_same(self):
        # Numbers as text too: an average score is "0.65" on both, not "0.650" on PostgreSQL.
        lite, pg = (self.results[n]["csv"] for n in ("sqlite", "postgresql"))
        self.assertIn("quiz-results", lite)
        self.assertEqual(lite.splitlines(), pg.splitlines())

    def test_a_conflict_in_a_batchs_middle_refuses_it_whole(self):
        for name, r in self.results.items():
            with self.subTest(backend=name):
                self.assertEqual(r["refused"], 409)
                self.assertIn("statements[2]", r["refused_error"])
                self.assertEqual(r["clash_held"], [("0",)])
        self.assertEqual(self.results["sqlite"]["refused_error"],
                         self.results["postgresql"]["refused_error"])

    def test_an_import_larger_than_a_batch(self):
        for name, r in self.results.items():
            self.assertIn("5200 statements stored, 2 already held", r["imported"], name)


@unittest.skipUnless(pgcluster.available(), "PostgreSQL's server programs are not installed")
class StoredInOrder(unittest.TestCase):
    """On PostgreSQL a request's statements are made ready outside the write lock and given
    their time stored under it: however requests from several laptops interleave, the
    statements come back in the order of their times stored (a reader polling with since=
    misses none), and a statement sent without a timestamp gets its time stored."""

    def test_concurrent_batches_are_stored_in_the_order_of_their_times(self):
        import threading
        tmp = tempfile.TemporaryDirectory(prefix="relais-batches-")
        self.addCleanup(tmp.cleanup)
        db = hl.HubDb(tmp.name, postgresql=True)
        creds = [db.credentials("laptop %d" % i) for i in range(4)]
        hub = hl.start_hub(self, db)
        rng = random.Random(SEED + 1)
        work = [[[statement(rng) for _ in range(40)] for _ in range(8)] for _ in creds]
        for batches_ in work:
            for b in batches_:
                for st in b[::3]:
                    del st["timestamp"]
        failed = []

        def laptop(i):
            c = hl.Client(hub, *creds[i])
            for b in work[i]:
                r = c.post(b)
                if r.status != 200:
                    failed.append(r)

        threads = [threading.Thread(target=laptop, args=(i,)) for i in range(len(creds))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failed, [])
        sent = {st["id"]: st for w in work for b in w for st in b}
        reader = db.credentials("reports export", scope="read-all")
        got, _ = hl.Client(hub, *reader).query_all({"limit": 100})
        self.assertEqual(sorted(s["id"] for s in got), sorted(sent))
        stored = [s["stored"] for s in got]  # newest first
        self.assertEqual(stored, sorted(stored, reverse=True))
        for s in got:
            self.assertNotIn("0000-00-00", s["stored"] + s["timestamp"])
            if "timestamp" not in sent[s["id"]]:
                self.assertEqual(s["timestamp"], s["stored"])
            else:
                self.assertEqual(s["timestamp"], sent[s["id"]]["timestamp"])


if __name__ == "__main__":
    testlib.main()
