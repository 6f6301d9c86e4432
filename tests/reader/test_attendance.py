#!/usr/bin/env python3
"""test_attendance.py: a trainer takes attendance at a live session in the reader: only a
trainer's profile opens the roster, saving writes one attended statement per person in one
transaction and saving again writes none, an unknown session or a bad email is refused, and
wrong PINs cost a growing wait that a restart of the reader does not reset."""
import datetime
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib as rl  # noqa: E402

COURSE = rl.COURSE_ID
TRAINER = ("Tessa Mbaye", "tessa@example.org", "MAE")
TRAINER_PIN = "7531"
LEARNERS = [("Aïcha Diallo", "aicha@example.org", "MAE"),
            ("Bruno Costa", "bruno@example.org", "MININT")]
ACTIVITY = "https://relais.invalid/xapi/activities/" + COURSE
SESSION_TYPE = "http://adlnet.gov/expapi/activities/meeting"


def sessions_now():
    """Live sessions around today: one to come, one that started two days ago, one long past."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    def at(d, h):
        return (now + datetime.timedelta(days=d, hours=h)).strftime("%Y-%m-%dT%H:%M")
    return [
        {"id": "kickoff", "title": "Kick-off workshop", "start": "2031-03-10T09:00",
         "end": "2031-03-10T12:30", "timezone": "Africa/Dakar", "place": "Room 4, ENA Dakar",
         "trainer": "Tessa Mbaye"},
        {"id": "review", "title": "Case review", "start": at(-2, 0), "end": at(-2, 2),
         "timezone": "UTC", "online": "https://meet.example.org/review"},
        {"id": "old", "title": "Last year's briefing", "start": at(-40, 0), "end": at(-40, 1),
         "timezone": "UTC", "place": "Hall B"},
    ]


def make_home(owner, sessions):
    """A laptop home with the course (carrying sessions), a trainer and two learners."""
    root = testlib.temp_dir(owner, "relais-attendance-")
    home = os.path.join(root, "home")
    os.mkdir(home)
    env = testlib.laptop_env(home)
    src = os.path.join(root, "src")
    shutil.copytree(rl.COURSE_DIR, src)
    with open(os.path.join(src, "course.json")) as f:
        meta = json.load(f)
    meta["sessions"] = sessions
    with open(os.path.join(src, "course.json"), "w") as f:
        json.dump(meta, f)

    def run(*args, pin=None):
        e = dict(env)
        if pin:
            e["RELAIS_PIN"] = pin
        return testlib.checked(testlib.run(testlib.RELAIS, args, env=e, cwd=root), "relais")
    run("keygen", "-p", "k.pub", "-s", "k.key", "-W")
    run("pack", src, "-s", "k.key", "-o", "mh.relais")
    run("trust", "add", "k.pub")
    run("install", "mh.relais")
    run("profile", "add", "--trainer", "--name", TRAINER[0], "--email", TRAINER[1], "--org",
        TRAINER[2], pin=TRAINER_PIN)
    for name, email, org in LEARNERS:
        run("profile", "add", "--name", name, "--email", email, "--org", org)
    return env, os.path.join(home, "relais.db"), run


def choose(client, name, pin=None):
    """Chooses the profile called name on /who (with its PIN); the answer and the token."""
    r = client.get("/who")
    token = rl.token_of(r.text)
    for m in re.finditer(r'name="profile" value="(\d+)"><button type="submit">([^<(]*)', r.text):
        if rl.html.unescape(m.group(2)).strip() == name:
            fields = [("token", token), ("profile", m.group(1))]
            if pin is not None:
                fields.append(("pin", pin))
            return client.post("/who/choose", fields), token
    raise AssertionError("no profile %r on /who" % name)


def attended(db):
    """The attended statements in the outbox, in order: (profile_id, statement)."""
    c = sqlite3.connect(db, timeout=10)
    try:
        return [(p, json.loads(s)) for p, s in c.execute(
            "SELECT profile_id, statement FROM outbox WHERE verb = 'attended' ORDER BY seq")]
    finally:
        c.close()


class Attendance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sessions = sessions_now()
        cls.env, cls.db, _ = make_home(cls, cls.sessions)

    def setUp(self):
        self.reader = testlib.Reader(self.env)
        self.addCleanup(self.reader.stop, signal.SIGTERM)
        self.c = rl.Client(self.reader)
        self.c.open_session()
        c = sqlite3.connect(self.db)
        c.execute("DELETE FROM outbox")
        c.execute("DELETE FROM pin_failure")
        c.commit()
        c.close()

    def as_trainer(self):
        r, token = choose(self.c, TRAINER[0], TRAINER_PIN)
        self.assertEqual(r.status, 303, r.text)
        return token

    def roster(self, session="review"):
        return self.c.get("/c/%s/attendance/%s" % (COURSE, session))

    def test_a_learner_gets_403_and_no_link(self):
        r, token = choose(self.c, LEARNERS[0][0])
        self.assertEqual(r.status, 303)
        outline = self.c.get("/c/%s/" % COURSE).text
        self.assertIn("Kick-off workshop", outline)
        self.assertNotIn("Take attendance", outline)
        r = self.roster()
        self.assertEqual(r.status, 403)
        self.assertIn("Only a trainer&#39;s profile takes attendance.", r.text)
        r = self.c.post("/c/%s/attendance/review" % COURSE, [("token", token), ("p2", "on")])
        self.assertEqual(r.status, 403)
        self.assertEqual(attended(self.db), [])

    def test_the_trainer_signs_in_with_the_pin(self):
        r, _ = choose(self.c, TRAINER[0])
        self.assertEqual(r.status, 200)
        self.assertIn('name="pin"', r.text)
        r, _ = choose(self.c, TRAINER[0], "0000")
        self.assertEqual(r.status, 403)
        self.assertEqual(self.c.get("/").status, 303)  # still nobody chosen
        r, _ = choose(self.c, TRAINER[0], TRAINER_PIN)
        self.assertEqual(r.status, 303)
        # The PIN page offers no way to remove a trainer's PIN.
        self.assertNotIn('value="remove"', self.c.get("/who/pin").text)

    def test_roster_save_and_save_again(self):
        token = self.as_trainer()
        outline = self.c.get("/c/%s/" % COURSE).text
        # Upcoming and started within the week: a roster each; long past: none.
        self.assertIn('href="/c/%s/attendance/kickoff"' % COURSE, outline)
        self.assertIn('href="/c/%s/attendance/review"' % COURSE, outline)
        self.assertNotIn("attendance/old", outline)
        self.assertIn("attendance/review", self.c.get("/").text)
        page = self.roster()
        self.assertEqual(page.status, 200, page.text)
        self.assertIn("Attendance: Case review", page.text)
        # The trainer's organisation's learners first; the trainer is not on the roster.
        boxes = re.findall(r'<input type="checkbox" name="(p\d+)"> ([^<]*)', page.text)
        self.assertEqual([rl.html.unescape(n).strip() for _, n in boxes],
                         ["Aïcha Diallo", "Bruno Costa"])
        self.assertLess(page.text.index("Aïcha"), page.text.index("Other learners on this laptop"))
        self.assertLess(page.text.index("Other learners on this laptop"), page.text.index("Bruno"))
        self.assertNotIn('value="%s"' % TRAINER[0], page.text)
        form = [("token", token)] + [(b, "on") for b, _ in boxes] + [
            ("name1", "Chidi Okafor"), ("email1", "Chidi@Example.org"), ("org1", "ECOWAS"),
            ("name2", ""), ("email2", ""), ("name3", ""), ("email3", "")]
        r = self.c.post("/c/%s/attendance/review" % COURSE, form)
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("Saved on this laptop: 3 new presences.", r.text)
        self.assertIn("3 people recorded as present", r.text)
        rows = attended(self.db)
        self.assertEqual(len(rows), 3)
        trainer_id = rows[0][0]
        review = self.sessions[1]
        start = review["start"] + ":00.000Z"
        by_email = {}
        for pid, st in rows:
            self.assertEqual(pid, trainer_id)  # the trainer's records, on their outbox page
            self.assertEqual(st["verb"], {"id": "http://adlnet.gov/expapi/verbs/attended",
                                          "display": {"en-US": "attended"}})
            self.assertEqual(st["object"], {
                "objectType": "Activity", "id": ACTIVITY + "/session/review",
                "definition": {"name": {"en": "Case review"}, "type": SESSION_TYPE}})
            self.assertEqual(st["context"]["instructor"], {
                "objectType": "Agent", "name": TRAINER[0], "mbox": "mailto:" + TRAINER[1]})
            self.assertEqual(st["context"]["contextActivities"]["parent"],
                             [{"objectType": "Activity", "id": ACTIVITY}])
            self.assertEqual(st["timestamp"], start)
            self.assertRegex(st["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                       r"[0-9a-f]{12}$")
            # As docs/statements.md says: UUID v5 of "<session IRI> mailto:<email>".
            self.assertEqual(st["id"], str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/session/review %s"
                                                      % (ACTIVITY, st["actor"]["mbox"]))))
            by_email[st["actor"]["mbox"]] = st
        self.assertEqual(sorted(by_email), ["mailto:aicha@example.org", "mailto:bruno@example.org",
                                            "mailto:chidi@example.org"])
        self.assertEqual(by_email["mailto:chidi@example.org"]["actor"]["name"], "Chidi Okafor")
        self.assertEqual(by_email["mailto:chidi@example.org"]["context"]["extensions"],
                         {"https://relais.invalid/xapi/extensions/organisation": "ECOWAS"})
        self.assertEqual(by_email["mailto:bruno@example.org"]["context"]["extensions"],
                         {"https://relais.invalid/xapi/extensions/organisation": "MININT"})
        # The same people again (an email typed in another case): nothing new.
        form[-6:-4] = [("name1", "Chidi O."), ("email1", "chidi@example.org")]
        r = self.c.post("/c/%s/attendance/review" % COURSE, form)
        self.assertEqual(r.status, 200)
        self.assertIn("Saved on this laptop: 0 new presences.", r.text)
        self.assertEqual(attended(self.db), rows)
        # The roster shows them ticked, and the outbox page shows the three records.
        self.assertEqual(len(re.findall(r'type="checkbox" name="p\d+" checked', self.roster().text)),
                         2)
        outbox = self.c.get("/outbox").text
        self.assertEqual(outbox.count("attended a live session"), 3)
        for name in ("Aïcha Diallo", "Bruno Costa", "Chidi Okafor"):
            self.assertIn(name, outbox)

    def test_unknown_or_cancelled_session_refused(self):
        token = self.as_trainer()
        r = self.roster("nope")
        self.assertEqual(r.status, 404)
        self.assertIn("This course has no session &quot;nope&quot;.", r.text)
        r = self.c.post("/c/%s/attendance/nope" % COURSE, [("token", token), ("name1", "A B"),
                                                            ("email1", "ab@example.org")])
        self.assertEqual(r.status, 404)
        self.assertEqual(self.c.get("/c/no-such-course/attendance/review").status, 404)
        self.assertEqual(attended(self.db), [])

    def test_bad_email_refused_naming_the_row(self):
        token = self.as_trainer()
        boxes = re.findall(r'name="(p\d+)"', self.roster().text)
        form = [("token", token)] + [(b, "on") for b in boxes] + [
            ("name1", "Chidi Okafor"), ("email1", "chidi@example.org"),
            ("name2", "Dora Lima"), ("email2", "dora at example.org")]
        r = self.c.post("/c/%s/attendance/review" % COURSE, form)
        self.assertEqual(r.status, 400)
        self.assertIn("Row 2: &quot;dora at example.org&quot; is not an email address.", r.text)
        # Nothing written, not even the ticked ones; the form comes back as it was sent.
        self.assertEqual(attended(self.db), [])
        self.assertIn('value="dora at example.org"', r.text)
        r = self.c.post("/c/%s/attendance/review" % COURSE,
                        [("token", token), ("email3", "eve@example.org")])
        self.assertEqual(r.status, 400)
        self.assertIn("Row 3: type a name as well as the email.", r.text)
        self.assertEqual(attended(self.db), [])

    def wrong_pin(self):
        r, _ = choose(self.c, TRAINER[0], "0000")
        m = re.search(r"wait (\d+) seconds?", r.text)
        return r.status, int(m.group(1)) if m else 0

    def test_wrong_pins_wait_grows_and_survives_a_restart(self):
        # Two typos are free; the third makes the next try wait.
        self.assertEqual(self.wrong_pin(), (403, 0))
        self.assertEqual(self.wrong_pin(), (403, 0))
        self.assertEqual(self.wrong_pin(), (403, 0))
        status, first = self.wrong_pin()
        self.assertEqual(status, 429)
        self.assertIn(first, (1, 2))
        # The right PIN waits too, and so it does after the reader restarts.
        self.reader.stop(signal.SIGTERM)
        self.reader = testlib.Reader(self.env)
        self.addCleanup(self.reader.stop, signal.SIGTERM)
        self.c = rl.Client(self.reader)
        self.c.open_session()
        r, _ = choose(self.c, TRAINER[0], TRAINER_PIN)
        self.assertEqual(r.status, 429, r.text)
        self.assertRegex(r.text, r"Too many wrong PINs: wait \d+ seconds?, then try again.")
        time.sleep(first + 1.1)
        self.assertEqual(self.wrong_pin(), (403, 0))
        status, second = self.wrong_pin()
        self.assertEqual(status, 429)
        self.assertGreater(second, first)
        self.assertIn(second, (3, 4))
        time.sleep(second + 1.1)
        r, _ = choose(self.c, TRAINER[0], TRAINER_PIN)
        self.assertEqual(r.status, 303)
        c = sqlite3.connect(self.db)
        self.assertEqual(c.execute("SELECT count(*) FROM pin_failure").fetchone()[0], 0)
        c.close()


if __name__ == "__main__":
    testlib.main()
