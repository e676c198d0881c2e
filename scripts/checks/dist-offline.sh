#!/usr/bin/env bash
# The source tarball builds with no network: `cargo build --offline`, then the
# whole phpize flow, from the unpacked tarball, with a CARGO_HOME that has no
# registry cache, so any crate missing from vendor/ fails the build.
source "$(dirname "$0")/../lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tgz=$("$ROOT/scripts/dist" "$work")
tar -xzf "$tgz" -C "$work"
src="$work/$(basename "$tgz" .tgz)"

# A fresh target too: compiled crates from elsewhere could hide a hole in vendor/.
export CARGO_HOME="$work/cargo-home" CARGO_NET_OFFLINE=true CARGO_TARGET_DIR="$work/target"
echo "$ cargo build --release --offline"
# The PHP the phpize Makefile will name, so make finds this build up to date.
(cd "$src" && PHP=$(php-config --php-binary) PHP_CONFIG=$(command -v php-config) \
    cargo build --release --offline --locked >"$work/cargo.log" 2>&1) || { tail -30 "$work/cargo.log"; exit 1; }
[ ! -e "$CARGO_HOME/registry" ] || { echo "cargo reached for a registry: $(ls "$CARGO_HOME/registry")"; exit 1; }
phpize_flow "$src" "$work/root"
