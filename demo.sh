#!/bin/sh
# demo.sh: install what is missing, build relais, and run the demo: a
# publisher key is made, the sample courses are packed, signed, verified and
# installed on a demo laptop home, and the reader opens them in the browser.
set -eu
cd "$(dirname "$0")"

./deps.sh
[ -d build ] || meson setup build
ninja -C build
relais=build/engine/cli/relais
out=${RELAIS_DEMO_DIR:-demo}
mkdir -p "$out"

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
RELAIS_HOME="$PWD/$out/home"
export RELAIS_HOME
"$relais" trust add "$out/publisher.pub" --name "Demo training academy"
"$relais" install "$out"/*.relais
echo
echo "Bundles and the demo publisher key are in $out/; the demo laptop's home is $RELAIS_HOME."
echo "The reader follows: open the address on its first line. Stop it with Ctrl-C."
exec "$relais" read
