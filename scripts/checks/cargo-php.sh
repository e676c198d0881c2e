#!/usr/bin/env bash
# `cargo php install` (cargo-php, from crates.io) builds the extension, copies
# it and enables it in a php.ini; `cargo php remove` undoes both. Run here with
# a temporary directory and php.ini, so the system is never touched.
source "$(dirname "$0")/../lib.sh"
# Its own root, kept in .work between runs: a cargo-php of the major version
# this was written against, and PATH (which ext-php-rs's build script watches)
# stays as the main build saw it, so the build below is the one scripts/test made.
cargo_php="$ROOT/.work/cargo-php/bin/cargo-php"
[ -x "$cargo_php" ] || cargo install --quiet --locked --version '^0.2' --root "$ROOT/.work/cargo-php" cargo-php
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ext" && touch "$work/php.ini"
where=(--install-dir "$work/ext" --ini-path "$work/php.ini")

echo "$ cargo php install --release --yes ${where[*]}"
(cd "$ROOT" && "$cargo_php" php install --release --yes "${where[@]}" >"$work/install.log" 2>&1) \
    || { tail -20 "$work/install.log"; exit 1; }
# That php.ini alone (no scan directory), as a user's php.ini would load it.
loaded=$(PHP_INI_SCAN_DIR= php -c "$work/php.ini" -d extension_dir="$work/ext" -r 'echo phpversion("fpm_compat");')
[ "$loaded" = "$(cargo_version)" ] || { echo "not loaded through $work/php.ini: '$loaded'"; cat "$work/php.ini"; exit 1; }
echo "loads through $(cat "$work/php.ini"), version $loaded"

echo "$ cargo php remove --yes ${where[*]}"
(cd "$ROOT" && "$cargo_php" php remove --yes "${where[@]}" >"$work/remove.log" 2>&1) \
    || { tail -20 "$work/remove.log"; exit 1; }
[ -z "$(ls "$work/ext")" ] && ! grep -q fpm_compat "$work/php.ini" || { echo "cargo php remove left something"; exit 1; }
