#!/bin/sh
# test.sh: build relais and run the whole test suite (unit, cli; fuzz in CI); the
# last line counts test cases: "N passed, N failed, N skipped", each skip listed above it.
# Extra arguments go to `meson test` (for example: --suite unit).
set -eu
cd "$(dirname "$0")"

./deps.sh
[ -d build ] || meson setup build
ninja -C build
status=0
meson test -C build --print-errorlogs "$@" || status=$?
python3 tests/summary.py build/meson-logs/testlog.json
exit $status
