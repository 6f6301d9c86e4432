#!/bin/sh
# demo.sh: install what is missing, build relais, and run the demo: a
# publisher key is made, the sample courses are packed, signed, verified and
# installed on a demo laptop home, a local hub starts on SQLite with a
# coordinator account, and the reader opens the courses in the browser.
set -eu
cd "$(dirname "$0")"

./deps.sh
[ -d build ] || meson setup build
ninja -C build
relais=build/cli/relais
out=${RELAIS_DEMO_DIR:-demo}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ ! -f "$out/publisher.pub" ]; then
	"$relais" keygen --public-key "$out/publisher.pub" --secret-key "$out/publisher.key" \
		--no-password
fi
for course in courses/*/; do
	"$relais" pack "$course" --secret-key "$out/publisher.key" \
		-o "$out/$(basename "$course").relais"
done
for bundle in "$out"/*.relais; do
	"$relais" verify "$bundle" --public-key "$out/publisher.pub"
done
echo
# A learner's laptop: its own home folder, trusting the demo publisher.
RELAIS_HOME="$out/home"
export RELAIS_HOME
"$relais" trust add "$out/publisher.pub" --name "Demo training academy"
"$relais" install "$out"/*.relais

# The coordinators' hub, on this machine, with SQLite.
hub=build/cli/relais-hub
hubdb="$out/hub.db"
hubport=${RELAIS_DEMO_HUB_PORT:-8080}
if [ ! -f "$out/hub-credentials.txt" ]; then
	"$hub" credentials add --name "Demo laptop" --db "$hubdb" >"$out/hub-credentials.txt"
	RELAIS_HUB_PASSWORD=demo-coordinator \
		"$hub" coordinator add --email coordinator@demo.invalid --db "$hubdb"
fi
"$hub" serve --db "$hubdb" --listen "127.0.0.1:$hubport" >"$out/hub.out" 2>"$out/hub.log" &
hubpid=$!
trap 'kill $hubpid 2>/dev/null' EXIT INT TERM
sleep 1
key=$(sed -n 's/^key: *//p' "$out/hub-credentials.txt")
secret=$(sed -n 's/^secret: *//p' "$out/hub-credentials.txt")
# The laptop remembers the hub from its first sync (nothing to send yet).
"$relais" sync --hub "http://127.0.0.1:$hubport" --key "$key" --secret "$secret" || true

echo
echo "Bundles and the demo publisher key are in $out/; the demo laptop's home is $RELAIS_HOME."
echo "The hub's reports: http://127.0.0.1:$hubport/reports"
echo "  (coordinator@demo.invalid / demo-coordinator)."
echo "The reader follows: open the address on its first line; its 'Waiting to be"
echo "sent' page sends what you did to the hub. Stop both with Ctrl-C."
"$relais" read
