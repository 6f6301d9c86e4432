"""clilib.py: what the command-line tests share: paths, a small PNG and a small course."""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import MINISIGN, RELAIS, SOURCE_ROOT  # noqa: E402,F401 (used by the tests)


def png(width=1, height=1, padding=0):
    """A small valid greyscale PNG, optionally followed by `padding` zero bytes."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"") + b"\0" * padding)


# Line numbers matter: test_cli_pack's broken-course tests name them.
COURSE_JSON = """{
  "id": "mini-course",
  "version": 3,
  "language": "en",
  "title": "A small course",
  "summary": "Two lessons and a quiz.",
  "units": [
    {"id": "intro", "title": "Introduction", "lesson": "lessons/01-intro.md"},
    {"id": "next", "title": "Next steps", "lesson": "lessons/02-next.md"},
    {"id": "check", "title": "Check", "quiz": "quiz/check.gift", "pass_percent": 50}
  ]
}
"""

LESSON_1 = """# Introduction

Welcome to the course.

![A diagram](../media/diagram.png)

Continue with [the next lesson](02-next.md).
"""

LESSON_2 = """# Next steps

Go back to [the introduction](01-intro.md).

See the [handout](../media/handout.txt).
"""

QUIZ = """// A short quiz.

::Q1:: Offline reading works without a network. {T}

::Q2:: Which is the bundle format? {=a ZIP file ~a tarball}

::Q3:: Which tool checks
the signature? {
=minisign
~gzip
}
"""


def make_course(path):
    """Writes a small valid course: two lessons, a picture, a handout and a GIFT quiz."""
    for sub in ("lessons", "media", "quiz"):
        os.makedirs(os.path.join(path, sub))
    files = {
        "course.json": COURSE_JSON,
        "lessons/01-intro.md": LESSON_1,
        "lessons/02-next.md": LESSON_2,
        "media/handout.txt": "A handout.\n",
        "quiz/check.gift": QUIZ,
    }
    for rel, text in files.items():
        with open(os.path.join(path, rel), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(path, "media", "diagram.png"), "wb") as f:
        f.write(png())
