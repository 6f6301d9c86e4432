#!/usr/bin/env python3
"""summary.py: print "N passed, N failed, N skipped" over the test cases of one or more meson
testlog.json files, and exit 1 when any failed or none passed.

Cases are counted from each test's standard output: the Python tests' closing
`# relais-cases: ...` line (testlib.main), TAP lines (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP,
node --test), else the meson test as one case. A test meson counts as failed is at least one
failed case. Every skip is listed with its reason; when RELAIS_EXPECTED_SKIPS is set (CI sets
it), a skip whose "test: case" and reason contain none of its comma-separated entries counts as
failed."""
import json
import os
import re
import sys

CASES = re.compile(r"^# relais-cases: (\d+) passed, (\d+) failed, (\d+) skipped$", re.M)
SKIP = re.compile(r"^# relais-skip: (.*)$", re.M)
TAP = re.compile(r"^(not ok|ok)\b[^#\n]*(#\s*(SKIP|TODO)\b\s*(.*))?$", re.M | re.I)


def cases(entry):
    """(passed, failed, [(case, why) skipped]) of one meson test."""
    out = entry.get("stdout") or ""
    result = entry.get("result")
    bad = result not in ("OK", "EXPECTEDFAIL", "SKIP")
    m = CASES.search(out)
    if m:
        passed, failed = int(m.group(1)), int(m.group(2))
        skipped = [tuple(s.split(": ", 1)) if ": " in s else (s, "") for s in SKIP.findall(out)]
        skipped += [("?", "")] * (int(m.group(3)) - len(skipped))
    elif TAP.search(out):
        passed = failed = 0
        skipped = []
        for t in TAP.finditer(out):
            if t.group(3) and t.group(3).upper() == "SKIP":
                skipped.append((t.group(0).split("#")[0].strip(), t.group(4).strip()))
            elif t.group(1).lower() == "ok":
                passed += 1
            else:
                failed += 1
    elif result == "SKIP":
        return 0, 0, [("", "the whole test")]
    else:
        return (0, 1, []) if bad else (1, 0, [])
    if bad and failed == 0:
        failed = 1  # crashed or timed out after its cases, or counted none
    return passed, failed, skipped


def main(paths):
    expected = os.environ.get("RELAIS_EXPECTED_SKIPS")
    allowed = [e.strip() for e in (expected or "").split(",") if e.strip()]
    passed = failed = skipped = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                entry = json.loads(line)
                p, fl, sk = cases(entry)
                passed += p
                failed += fl
                skipped += len(sk)
                for case, why in sk:
                    name = "%s: %s" % (entry.get("name"), case)
                    if expected is not None and not any(a in name or a in why for a in allowed):
                        print("unexpected skip (counted as failed): %s (%s)" % (name, why))
                        failed += 1
                    else:
                        print("skipped: %s (%s)" % (name, why))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
