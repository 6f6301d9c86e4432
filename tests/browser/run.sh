#!/bin/sh
# run.sh: the browser tests: installs the pinned npm packages if missing, then runs run.mjs.
cd "$(dirname "$0")" || exit 1
if [ ! -d node_modules ]; then
	npm ci --no-audit --no-fund || exit 1
fi
node --test --test-reporter=spec run.mjs
