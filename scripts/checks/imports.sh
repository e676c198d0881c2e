#!/usr/bin/env bash
# Imports one way: the module graph read from src/ has no cycle and no arrow
# up the declared layers (scripts/import_graph.py), ARCHITECTURE.md's copy
# of it is current, and no file passes 550 lines before its tests
# (scripts/loc.py). First the check shows it can fail: a copy of src/ with a
# made-up cycle and an upward arrow must be refused, naming both, and so must
# a stale copy of the graph.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$ROOT/src" "$work/src"
echo 'use crate::settings::Directive;' >>"$work/src/registry.rs"
echo 'use crate::ffi::os;' >>"$work/src/headers.rs"
if out=$(python3 "$ROOT/scripts/import_graph.py" --src "$work/src" --check 2>&1); then
    echo "a cycle and an upward arrow passed the check:"; echo "$out"; exit 1
fi
grep -Eq '^cycle: (registry -> settings -> registry|settings -> registry -> settings)$' <<<"$out" || { echo "the made-up cycle was not named: $out"; exit 1; }
grep -q '^upward arrow: headers (pure) -> ffi::os (ffi)$' <<<"$out" || { echo "the made-up upward arrow was not named: $out"; exit 1; }
echo "made-up cycle and upward arrow refused:"
grep -E '^(cycle|upward)' <<<"$out" | sed 's/^/  /'

sed 's/^  module  /  modul   /' "$ROOT/ARCHITECTURE.md" >"$work/stale.md"
if python3 "$ROOT/scripts/import_graph.py" --check "$work/stale.md" >/dev/null 2>&1; then
    echo "a stale copy of the graph passed the check"; exit 1
fi
echo "a stale copy of the graph in a document refused"

python3 "$ROOT/scripts/import_graph.py" --check "$ROOT/ARCHITECTURE.md"
echo "the largest files (lines of code, before tests, tests, all; at most 550 before tests):"
python3 "$ROOT/scripts/loc.py" --max 550 | sort -k2 -n | tail -4
