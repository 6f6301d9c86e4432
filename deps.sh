#!/bin/sh
# deps.sh: install the Debian 12 packages relais needs to build, test and demo.
# Installs only what is missing; uses sudo when not run as root.
set -eu

PACKAGES="
  gcc clang clang-format libclang-rt-14-dev meson ninja-build pkg-config
  libsqlite3-dev zlib1g-dev libdeflate-dev libcjson-dev libarchive-dev libsodium-dev
  libmd4c-dev libmd4c-html0-dev libxml2-dev libcmocka-dev libunistring-dev libmicrohttpd-dev
  libcurl4-openssl-dev libzstd-dev libssl-dev libqrencode-dev libglib2.0-dev libpq-dev postgresql
  nginx faketime
  python3 minisign zip unzip chromium gettext
"

command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	else
		SUDO="sudo"
	fi
	echo "deps.sh: installing:$missing"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The browser tests' npm packages (playwright-core drives Debian's chromium;
# it downloads no browser of its own), pinned by package-lock.json.
browser="$(dirname "$0")/tests/browser"
if [ -f "$browser/package-lock.json" ] && [ ! -d "$browser/node_modules" ]; then
	echo "deps.sh: installing the browser tests' npm packages"
	(cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

# scorm-again, the SCORM run-time the reader embeds (engine/reader/meson.build),
# pinned by package-lock.json.
vendor="$(dirname "$0")/engine/reader/vendor"
if [ -f "$vendor/package-lock.json" ] && [ ! -d "$vendor/node_modules" ]; then
	echo "deps.sh: installing scorm-again for the reader"
	(cd "$vendor" && npm ci --no-audit --no-fund --loglevel=error)
fi

# An independent LRS for the sync tests: Learning Locker's xAPI statements service (in memory),
# pinned by package-lock.json.
lrs="$(dirname "$0")/tests/lrs"
if [ -f "$lrs/package-lock.json" ] && [ ! -d "$lrs/node_modules" ]; then
	echo "deps.sh: installing the LRS tests' npm packages"
	(cd "$lrs" && npm ci --no-audit --no-fund --loglevel=error)
fi
