#!/bin/sh
# deps.sh: install the Debian 12 packages relais needs to build, test and demo.
# Installs only what is missing; uses sudo when not run as root.
set -eu

PACKAGES="
  gcc clang clang-format libclang-rt-14-dev meson ninja-build pkg-config
  libsqlite3-dev zlib1g-dev libcjson-dev libarchive-dev libsodium-dev
  libmd4c-dev libmd4c-html0-dev libcmocka-dev libunistring-dev libmicrohttpd-dev
  libcurl4-openssl-dev
  python3 minisign zip unzip
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
else
	SUDO="sudo"
fi
echo "deps.sh: installing:$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
