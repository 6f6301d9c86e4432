#!/usr/bin/env python3
"""test_cli_pack.py: relais pack and pack --check on the sample courses and on broken ones."""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS, SOURCE_ROOT, make_course, png  # noqa: E402


def run(args, cwd=None):
    env = dict(os.environ)
    env.pop("RELAIS_PASSWORD", None)
    return subprocess.run([RELAIS] + list(args), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL,
                          start_new_session=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def snapshot(top):
    """Every file and folder under top with its size, mode and mtime: to see any write."""
    out = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            full = os.path.join(root, name)
            st = os.lstat(full)
            out[os.path.relpath(full, top)] = (st.st_size, st.st_mode, st.st_mtime_ns)
    return out


def sample_courses():
    return sorted(os.path.dirname(p) for p in
                  glob.glob(os.path.join(SOURCE_ROOT, "courses", "*", "course.json")))


def local_targets(markdown, images):
    """Local link or image targets of a lesson (no URL, no fragment-only link)."""
    pattern = r"!\[[^\]]*\]\(([^)\s]+)" if images else r"(?<!!)\[[^\]]*\]\(([^)\s]+)"
    out = []
    for t in re.findall(pattern, markdown):
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", t) or t.startswith("#"):
            continue
        out.append(t.split("#")[0].split("?")[0])
    return out


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="relais-pack-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def keygen(self, name="k"):
        p = run(["keygen", "-W", "-p", name + ".pub", "-s", name + ".key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        return re.match(r"key ([0-9A-F]{16}):", p.stdout).group(1)


class PackSamples(Base):
    """The real sample courses under courses/."""

    def test_samples_are_there_in_french_english_and_spanish(self):
        langs = set()
        for src in sample_courses():
            with open(os.path.join(src, "course.json"), encoding="utf-8") as f:
                langs.add(json.load(f)["language"].split("-")[0])
        self.assertTrue({"fr", "en", "es"} <= langs, langs)

    def test_pack_each_sample(self):
        courses = sample_courses()
        self.assertTrue(courses, "no course under courses/")
        kid = self.keygen()
        for src in courses:
            with self.subTest(course=os.path.basename(src)):
                self.check_sample(src, kid)

    def check_sample(self, src, kid):
        with open(os.path.join(src, "course.json"), encoding="utf-8") as f:
            course = json.load(f)
        before_src = snapshot(src)
        before_tmp = set(os.listdir(self.tmp))
        p = run(["pack", src, "--secret-key", "k.key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        out_name = "%s-%d.relais" % (course["id"], course["version"])
        bundle = self.path(out_name)
        # The default name, in the current folder; nothing else written anywhere.
        self.assertEqual(set(os.listdir(self.tmp)) - before_tmp, {out_name})
        self.assertEqual(snapshot(src), before_src, "pack changed the course folder")
        self.assertEqual(len(p.stdout.splitlines()), 1)
        self.assertTrue(p.stdout.startswith(out_name + ": " + course["id"]), p.stdout)
        self.assertIn("version %d" % course["version"], p.stdout)
        self.assertIn(kid, p.stdout)

        self.check_bundle(src, course, bundle)

        u = subprocess.run(["unzip", "-tq", bundle], capture_output=True, text=True, timeout=60)
        self.assertEqual(u.returncode, 0, u.stdout + u.stderr)
        v = run(["verify", out_name, "-p", "k.pub"], cwd=self.tmp)
        self.assertEqual(v.returncode, 0, v.stderr)

        # Same source and key, packed again: the same bytes.
        p = run(["pack", src, "-s", "k.key", "-o", "again.relais"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read(self.path("again.relais")), read(bundle))
        os.remove(self.path("again.relais"))
        os.remove(bundle)

    def check_bundle(self, src, course, bundle):
        with zipfile.ZipFile(bundle) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
            self.assertEqual(names[:2], ["manifest.json", "manifest.json.minisig"])
            content = names[2:]
            self.assertEqual(content, sorted(content, key=lambda n: n.encode("utf-8")))
            self.assertEqual(len(set(names)), len(names), "duplicate entries")
            data = {n: z.read(n) for n in names}
        manifest = json.loads(data["manifest.json"])
        for field in ("id", "version", "language", "title"):
            self.assertEqual(manifest[field], course[field])
        self.assertEqual([u["id"] for u in manifest["units"]], [u["id"] for u in course["units"]])
        # The manifest lists every content entry with its size and SHA-256, and nothing else.
        self.assertEqual([e["path"] for e in manifest["entries"]], content)
        for e in manifest["entries"]:
            self.assertEqual(e["size"], len(data[e["path"]]), e["path"])
            self.assertEqual(e["sha256"], hashlib.sha256(data[e["path"]]).hexdigest(), e["path"])

        for unit in course["units"]:
            if "lesson" in unit:
                rel = unit["lesson"]
                html = re.sub(r"\.md$", ".html", rel)
                self.assertIn(html, content, unit["id"])
                text = data[html].decode("utf-8")
                with open(os.path.join(src, rel), encoding="utf-8") as f:
                    md = f.read()
                lesson_dir = os.path.dirname(rel)
                for target in local_targets(md, images=True):
                    carried = os.path.normpath(os.path.join(lesson_dir, target))
                    self.assertIn(carried, content, "%s: image %s" % (rel, target))
                    self.assertEqual(data[carried], read(os.path.join(src, carried)))
                    self.assertTrue('src="%s"' % target in text,
                                    "%s: no <img> for %s" % (html, target))
                for target in local_targets(md, images=False):
                    if target.endswith(".md"):
                        # A link to another lesson points to its rendered page.
                        self.assertTrue('href="%s.html"' % target[:-3] in text,
                                        "%s: no link to %s.html" % (html, target[:-3]))
                    else:
                        carried = os.path.normpath(os.path.join(lesson_dir, target))
                        self.assertIn(carried, content, "%s: link %s" % (rel, target))
            else:
                quiz = re.sub(r"\.gift$", ".json", unit["quiz"])
                self.assertIn(quiz, content, unit["id"])
                q = json.loads(data[quiz])
                self.assertTrue(q["questions"], quiz)

    def test_output_option(self):
        src = sample_courses()[0]
        self.keygen()
        os.mkdir(self.path("out"))
        for flag in ("-o", "--output"):
            with self.subTest(flag=flag):
                p = run(["pack", src, "-s", "k.key", flag, "out/named.relais"], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(os.listdir(self.path("out")), ["named.relais"])
                self.assertTrue(p.stdout.startswith("out/named.relais: "), p.stdout)
                self.assertEqual(sorted(os.listdir(self.tmp)), ["k.key", "k.pub", "out"])
                v = run(["verify", "out/named.relais", "-p", "k.pub"], cwd=self.tmp)
                self.assertEqual(v.returncode, 0, v.stderr)
                os.remove(self.path("out", "named.relais"))

    def test_same_bytes_from_a_copy_elsewhere(self):
        # Another path, other modification times and modes, other thread counts.
        self.keygen()
        for src in sample_courses():
            with self.subTest(course=os.path.basename(src)):
                copy = self.path("elsewhere", "deeper", os.path.basename(src) + "-copy")
                shutil.copytree(src, copy)
                for root, dirs, files in os.walk(copy):
                    for name in files:
                        full = os.path.join(root, name)
                        os.chmod(full, 0o600)
                        os.utime(full, (1e9, 1e9))
                    for name in dirs:
                        os.utime(os.path.join(root, name), (2e9, 2e9))
                p = run(["pack", src, "-s", "k.key", "-o", "a.relais", "-j", "1"], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, p.stderr)
                p = run(["pack", copy, "-s", "k.key", "-o", "b.relais", "-j", "4"], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, p.stderr)
                a, b = read(self.path("a.relais")), read(self.path("b.relais"))
                self.assertGreater(len(a), 1000)
                self.assertEqual(a, b)
                shutil.rmtree(self.path("elsewhere"))

    def test_check_good_samples_writes_nothing(self):
        for src in sample_courses():
            with self.subTest(course=os.path.basename(src)):
                before = snapshot(src)
                p = run(["pack", "--check", src], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "")
                with open(os.path.join(src, "course.json"), encoding="utf-8") as f:
                    course = json.load(f)
                self.assertIn(course["id"], p.stdout)
                self.assertIn("version %d" % course["version"], p.stdout)
                self.assertEqual(os.listdir(self.tmp), [])
                self.assertEqual(snapshot(src), before)


class PackSmall(Base):
    """A small course made here: exact contents, and every way to break it."""

    def setUp(self):
        super().setUp()
        make_course(self.path("course"))

    def write(self, rel, text):
        with open(self.path("course", rel), "w", encoding="utf-8") as f:
            f.write(text)

    def replace(self, rel, old, new):
        with open(self.path("course", rel), encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        self.write(rel, text.replace(old, new, 1))

    def check(self, *extra):
        """pack --check on the course; returns (status, problem lines, last line)."""
        before = snapshot(self.tmp)
        p = run(["pack", "--check"] + list(extra) + ["course"], cwd=self.tmp)
        self.assertEqual(snapshot(self.tmp), before, "pack --check wrote something")
        if p.returncode != 0:
            self.assertEqual(p.stdout, "")
        lines = p.stderr.splitlines()
        return p.returncode, lines[:-1], lines[-1] if lines else ""

    def assert_problems(self, expected, *extra):
        """expected: (exact "file:line: " prefix, keyword) pairs, all of them and no other."""
        status, problems, last = self.check(*extra)
        self.assertEqual(status, 1, problems)
        self.assertEqual(last, "relais: %d problem%s in course"
                         % (len(expected), "" if len(expected) == 1 else "s"))
        self.assertEqual(len(problems), len(expected), problems)
        for prefix, keyword in expected:
            hits = [l for l in problems if l.startswith(prefix) and keyword in l[len(prefix):]]
            self.assertEqual(len(hits), 1, "%r %r not in %r" % (prefix, keyword, problems))

    def assert_problem(self, prefix, keyword, *extra):
        self.assert_problems([(prefix, keyword)], *extra)

    # The good course

    def test_check_good_course(self):
        status, problems, last = self.check()
        self.assertEqual((status, problems, last), (0, [], ""))
        p = run(["pack", "-c", "course"], cwd=self.tmp)
        self.assertEqual(p.stdout, "course: mini-course version 3 is ready to pack\n")

    def test_pack_small_course_contents(self):
        self.keygen()
        p = run(["pack", "course", "-s", "k.key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        with zipfile.ZipFile(self.path("mini-course-3.relais")) as z:
            self.assertEqual(z.namelist(), [
                "manifest.json", "manifest.json.minisig",
                "lessons/01-intro.html", "lessons/02-next.html",
                "media/diagram.png", "media/handout.txt", "quiz/check.json"])
            self.assertEqual(z.read("media/diagram.png"), png())
            self.assertEqual(z.read("media/handout.txt"), b"A handout.\n")
            intro = z.read("lessons/01-intro.html").decode("utf-8")
            quiz = json.loads(z.read("quiz/check.json"))
            manifest = json.loads(z.read("manifest.json"))
            for info in z.infolist():
                self.assertEqual(info.date_time, (1980, 1, 1, 0, 0, 0), info.filename)
        self.assertIn("<h1>Introduction</h1>", intro)
        self.assertIn('<img src="../media/diagram.png" alt="A diagram">', intro)
        self.assertIn('<a href="02-next.html">the next lesson</a>', intro)
        self.assertEqual([u["id"] for u in manifest["units"]], ["intro", "next", "check"])
        self.assertEqual(manifest["units"][2]["pass_percent"], 50)
        qs = quiz["questions"]
        self.assertEqual([q["type"] for q in qs], ["truefalse", "multichoice", "multichoice"])
        self.assertIs(qs[0]["answer"], True)
        self.assertEqual([(a["text_html"], a["fraction"]) for a in qs[1]["answers"]],
                         [("a ZIP file", 1), ("a tarball", 0)])
        self.assertEqual([(a["text_html"], a["fraction"]) for a in qs[2]["answers"]],
                         [("minisign", 1), ("gzip", 0)])

    def test_media_at_the_limit_is_accepted(self):
        with open(self.path("course", "media", "diagram.png"), "wb") as f:
            f.write(png(padding=1024 - len(png())))
        self.assertEqual(self.check("--max-media-size", "1K")[0], 0)

    # Broken courses: one problem each, at an exact file and line

    def test_missing_lesson_file(self):
        os.remove(self.path("course", "lessons", "02-next.md"))
        self.assert_problem("course/course.json:9: ", "lessons/02-next.md does not exist")

    def test_lesson_is_a_folder(self):
        os.remove(self.path("course", "lessons", "02-next.md"))
        os.mkdir(self.path("course", "lessons", "02-next.md"))
        self.assert_problem("course/course.json:9: ", "not a regular file")

    def test_broken_link_to_a_file(self):
        self.replace("lessons/02-next.md", "../media/handout.txt", "../media/handbook.txt")
        self.assert_problem("course/lessons/02-next.md:5: ", "media/handbook.txt does not exist")

    def test_broken_link_to_a_lesson(self):
        self.replace("lessons/02-next.md", "01-intro.md", "00-welcome.md")
        self.assert_problem("course/lessons/02-next.md:3: ", "not a lesson")

    def test_link_out_of_the_course(self):
        self.replace("lessons/02-next.md", "../media/handout.txt", "../../secret.txt")
        self.assert_problem("course/lessons/02-next.md:5: ", "leaves the course")

    def test_broken_image(self):
        self.replace("lessons/01-intro.md", "diagram.png", "diagramme.png")
        self.assert_problem("course/lessons/01-intro.md:5: ", "media/diagramme.png does not exist")

    def test_remote_image(self):
        self.replace("lessons/01-intro.md", "../media/diagram.png", "https://example.org/d.png")
        self.assert_problem("course/lessons/01-intro.md:5: ", "offline")

    def test_script_links_are_refused(self):
        # The reader would drop them; the packer says so instead of shipping them.
        self.replace("lessons/02-next.md", "[the introduction](01-intro.md)",
                     "[x](javascript:alert(1)) <JavaScript:alert(2)> [d](data:text/html,x)")
        self.assert_problems([("course/lessons/02-next.md:3: ", "javascript:alert(1) is not allowed"),
                              ("course/lessons/02-next.md:3: ", "JavaScript:alert(2) is not allowed"),
                              ("course/lessons/02-next.md:3: ", "data:text/html,x is not allowed")])
        self.keygen()
        p = run(["pack", "course", "-s", "k.key"], cwd=self.tmp)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertFalse(os.path.exists(self.path("mini-course-3.relais")))

    def test_data_image_of_a_picture_is_kept(self):
        self.replace("lessons/01-intro.md", "../media/diagram.png", "data:image/png;base64,iVBO")
        self.assertEqual(self.check()[0], 0)
        self.replace("lessons/01-intro.md", "data:image/png", "data:image/svg+xml")
        self.assert_problem("course/lessons/01-intro.md:5: ", "is not allowed")

    def test_image_that_is_a_symlink(self):
        os.rename(self.path("course", "media", "diagram.png"), self.path("diagram.png"))
        os.symlink(self.path("diagram.png"), self.path("course", "media", "diagram.png"))
        self.assert_problem("course/lessons/01-intro.md:5: ", "symlink")

    def test_gift_unclosed_brace(self):
        self.replace("quiz/check.gift", "~gzip\n}", "~gzip\n")
        self.assert_problem("course/quiz/check.gift:8: ", "never closed")

    def test_gift_unclosed_brace_on_one_line(self):
        self.replace("quiz/check.gift", "~a tarball}", "~a tarball")
        self.assert_problem("course/quiz/check.gift:5: ", "never closed")

    def test_gift_closing_brace_alone(self):
        self.replace("quiz/check.gift", "{T}", "T}")
        self.assert_problem("course/quiz/check.gift:3: ", "'}'")

    def test_gift_no_right_answer(self):
        self.replace("quiz/check.gift", "{=a ZIP file", "{~a ZIP file")
        self.assert_problem("course/quiz/check.gift:5: ", "correct answer")

    def test_course_id_upper_case(self):
        self.replace("course.json", '"mini-course"', '"Mini-Course"')
        self.assert_problem("course/course.json:2: ", '"Mini-Course"')

    def test_course_id_with_spaces(self):
        self.replace("course.json", '"mini-course"', '"mini course"')
        self.assert_problem("course/course.json:2: ", '"mini course"')

    def test_duplicated_unit_id(self):
        # Named on the line of the second use, the one to fix.
        self.replace("course.json", '"id": "next"', '"id": "intro"')
        self.assert_problem("course/course.json:9: ", 'unit id "intro" is used twice')

    def test_empty_unit_id_names_its_line(self):
        self.replace("course.json", '"id": "next"', '"id": ""')
        status, problems, last = self.check()
        self.assertEqual(status, 1)
        self.assertTrue(problems[0].startswith("course/course.json:9: "), problems)

    def test_missing_course_title_is_not_blamed_on_a_unit(self):
        self.replace("course.json", '  "title": "A small course",\n', "")
        status, problems, last = self.check()
        self.assertEqual(status, 1)
        self.assertEqual(len(problems), 1, problems)
        self.assertRegex(problems[0], r"^course/course\.json:(1:)? title must be")

    def test_media_over_max_media_size(self):
        with open(self.path("course", "media", "diagram.png"), "wb") as f:
            f.write(png(padding=1025 - len(png())))
        self.assert_problem("course/lessons/01-intro.md:5: ", "1025 bytes, over the limit of 1024",
                            "--max-media-size", "1K")
        # The default limit (20M) takes it.
        self.assertEqual(self.check()[0], 0)

    def test_linked_file_over_max_media_size(self):
        self.write("media/handout.txt", "x" * 2000)
        self.assert_problem("course/lessons/02-next.md:5: ", "over the limit", "-m", "1K")

    def test_course_json_missing_comma(self):
        # The comma after the "next" unit (line 9) is missing: the parser stops at line 10.
        self.replace("course.json", '"lessons/02-next.md"},', '"lessons/02-next.md"}')
        self.assert_problem("course/course.json:10: ", "JSON")

    def test_course_json_stray_word(self):
        self.replace("course.json", '"A small course",', '"A small course" x,')
        self.assert_problem("course/course.json:5: ", "JSON")

    def test_course_json_not_an_object(self):
        self.write("course.json", "[1, 2]\n")
        self.assert_problem("course/course.json:1: ", "object")

    def test_course_json_missing(self):
        os.remove(self.path("course", "course.json"))
        self.assert_problem("course/course.json: ", "missing")

    def test_version_zero(self):
        self.replace("course.json", '"version": 3', '"version": 0')
        self.assert_problem("course/course.json:3: ", "version must be an integer")

    def test_version_string(self):
        self.replace("course.json", '"version": 3', '"version": "3"')
        self.assert_problem("course/course.json:3: ", "version must be an integer")

    def test_version_fraction(self):
        self.replace("course.json", '"version": 3', '"version": 3.5')
        self.assert_problem("course/course.json:3: ", "version must be an integer")

    def test_unknown_field(self):
        self.replace("course.json", '  "summary"', '  "colour": "red",\n  "summary"')
        self.assert_problem("course/course.json:6: ", 'unknown field "colour"')

    def test_unknown_unit_field(self):
        self.replace("course.json", '"pass_percent": 50}', '"pass_percent": 50, "weight": 2}')
        self.assert_problem("course/course.json:10: ", '"weight"')

    def test_bad_language(self):
        self.replace("course.json", '"en"', '"english!"')
        self.assert_problem("course/course.json:4: ", "language")

    def test_several_problems_are_all_listed(self):
        os.remove(self.path("course", "lessons", "02-next.md"))
        self.replace("course.json", '"version": 3', '"version": 0')
        self.replace("course.json", '"mini-course"', '"Mini"')
        self.replace("quiz/check.gift", "~a tarball}", "~a tarball")
        self.replace("lessons/01-intro.md", "diagram.png", "diagramme.png")
        self.assert_problems([
            ("course/course.json:2: ", '"Mini"'),
            ("course/course.json:3: ", "version"),
            ("course/course.json:9: ", "lessons/02-next.md does not exist"),
            ("course/quiz/check.gift:5: ", "never closed"),
            ("course/lessons/01-intro.md:5: ", "diagramme.png"),
        ])

    # pack without --check writes nothing for a broken course

    def test_pack_broken_course_writes_nothing(self):
        self.keygen()
        os.mkdir(self.path("out"))
        with open(self.path("old.relais"), "wb") as f:
            f.write(b"an older bundle")
        breakages = [
            ("lessons/02-next.md", "../media/handout.txt", "../media/handbook.txt"),
            ("quiz/check.gift", "~a tarball}", "~a tarball"),
            ("course.json", '"version": 3', '"version": 0'),
        ]
        for rel, old, new in breakages:
            with self.subTest(rel=rel):
                self.replace(rel, old, new)
                for out in ([], ["-o", "out/x.relais"], ["-o", "old.relais"]):
                    before = snapshot(self.tmp)
                    p = run(["pack", "course", "-s", "k.key"] + out, cwd=self.tmp)
                    self.assertEqual(p.returncode, 1, p.stderr)
                    self.assertEqual(p.stdout, "")
                    self.assertEqual(p.stderr.splitlines()[-1], "relais: 1 problem in course")
                    self.assertRegex(p.stderr, r"(?m)^course/%s:\d+: " % re.escape(rel))
                    self.assertEqual(snapshot(self.tmp), before)
                    self.assertEqual(os.listdir(self.path("out")), [])
                    self.assertEqual(read(self.path("old.relais")), b"an older bundle")
                self.replace(rel, new, old)
        self.assertFalse(os.path.exists(self.path("mini-course-3.relais")))

    def test_pack_to_an_unwritable_place_leaves_no_temporary_file(self):
        self.keygen()
        os.mkdir(self.path("out"))
        for out in ("out", "missing/x.relais"):
            with self.subTest(out=out):
                p = run(["pack", "course", "-s", "k.key", "-o", out], cwd=self.tmp)
                self.assertEqual(p.returncode, 1)
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertTrue(p.stderr.startswith("relais: %s" % out), p.stderr)
                self.assertEqual(sorted(os.listdir(self.tmp)), ["course", "k.key", "k.pub", "out"])
                self.assertEqual(os.listdir(self.path("out")), [])


if __name__ == "__main__":
    testlib.main()
