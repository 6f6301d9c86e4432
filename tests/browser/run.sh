#!/bin/sh
# run.sh: the browser tests: installs the pinned npm packages if missing, then runs run.mjs.
cd "$(dirname "$0")" || exit 1
if [ ! -d node_modules ]; then
	npm ci --no-audit --no-fund || exit 1
fi
# The spec for people on stderr, TAP on stdout for summary.py's case count.
node --test --test-reporter=spec --test-reporter-destination=stderr \
	--test-reporter=tap --test-reporter-destination=stdout "${1:-run.mjs}"
