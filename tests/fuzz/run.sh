#!/bin/sh
# run.sh: run one libFuzzer harness for a bounded time over its kept corpus.
# usage: run.sh HARNESS CORPUS_DIR SECONDS
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# New inputs go to the scratch folder; the kept corpus is only read.
# libFuzzer exits 77 on a crash, which meson would count as a skip: say 1.
"$1" -max_total_time="$3" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=1 \
	-artifact_prefix="$work/" "$work" "$2"
