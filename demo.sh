#!/bin/sh
# demo.sh: install what is missing, build relais, and run the demo: a
# publisher key is made, the sample courses are packed, signed and verified,
# a local hub on SQLite publishes them in its signed catalogue (with a
# coordinator account), a demo laptop home brings them down with one
# `relais sync`, and the reader opens the courses in the browser.
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
# The coordinators' hub, on this machine, with SQLite: it distributes the
# demo publisher's courses in a catalogue signed with its own key.
hub=build/cli/relais-hub
hubdb="$out/hub.db"
hubport=${RELAIS_DEMO_HUB_PORT:-8080}
if [ ! -f "$out/hub-credentials.txt" ]; then
	"$hub" credentials add --name "Demo laptop" --db "$hubdb" >"$out/hub-credentials.txt"
	RELAIS_HUB_PASSWORD=demo-coordinator \
		"$hub" coordinator add --email coordinator@demo.invalid --db "$hubdb"
	"$hub" keygen --db "$hubdb" >"$out/hub.pub"
	"$hub" publisher add "$out/publisher.pub" --name "Demo training academy" --db "$hubdb"
	"$hub" publish "$out"/*.relais --db "$hubdb"
fi
"$hub" serve --db "$hubdb" --listen "127.0.0.1:$hubport" >"$out/hub.out" 2>"$out/hub.log" &
hubpid=$!
trap 'kill $hubpid 2>/dev/null' EXIT INT TERM
sleep 1
key=$(sed -n 's/^key: *//p' "$out/hub-credentials.txt")
secret=$(sed -n 's/^secret: *//p' "$out/hub-credentials.txt")

# A learner's laptop: its own home folder, trusting the demo publisher; its
# first sync takes the hub's key and brings the published courses down.
RELAIS_HOME="$out/home"
export RELAIS_HOME
"$relais" trust add "$out/publisher.pub" --name "Demo training academy"
"$relais" sync --hub "http://127.0.0.1:$hubport" --key "$key" --secret "$secret" \
	--hub-key "$out/hub.pub"

echo
echo "Bundles and the demo publisher key are in $out/; the demo laptop's home is $RELAIS_HOME."
echo "The hub's reports: http://127.0.0.1:$hubport/reports"
echo "  (coordinator@demo.invalid / demo-coordinator)."
echo "The reader follows: open the address on its first line; its 'Waiting to be"
echo "sent' page sends what you did to the hub, its 'Updates' page brings new"
echo "versions down (relais-hub publish a bundle with a higher version to try it)."
echo "Stop both with Ctrl-C."
"$relais" read
