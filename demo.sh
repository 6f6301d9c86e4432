#!/bin/sh
# demo.sh: install what is missing, build relais, and run the demo:
# a publisher key is made, the sample courses are packed, signed and verified.
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
"$relais" inspect "$out/migration-health.relais"
echo
echo "Bundles and the demo publisher key are in $out/."
echo "Check one with minisign too: unzip -o $out/migration-health.relais 'manifest.json*' -d /tmp &&"
echo "  minisign -Vm /tmp/manifest.json -p $out/publisher.pub"
