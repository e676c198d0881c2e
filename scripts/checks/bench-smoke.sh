#!/usr/bin/env bash
# The benchmark runs (README "Performance"): ./bench/run --smoke starts every
# server of the per-server bench, with and without the extension, times a
# couple of rounds and writes the picture and its table. It asserts nothing
# about the figures (a shared CI machine cannot judge them), only that the
# run ends and writes both; about a minute.
source "$(dirname "$0")/../lib.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$ROOT/bench/run" --smoke --out "$out" > "$out/bench.log" 2>&1 || { tail -40 "$out/bench.log"; exit 1; }
grep -q '^what the finish adds, (c) - (a): nginx + php-fpm ' "$out/bench.log" || { tail -40 "$out/bench.log"; exit 1; }
[ "$(head -c 8 "$out/finish.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "no PNG written"; exit 1; }
rows=$(grep -c '^| ' "$out/finish.md")
((rows >= 10)) || { echo "finish.md has $rows table lines"; cat "$out/finish.md"; exit 1; }
echo "bench smoke: $(grep -c . "$out/bench.log") lines of output, finish.png $(stat -c %s "$out/finish.png") B, finish.md $rows table lines"
