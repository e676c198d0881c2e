#!/usr/bin/env bash
# The PECL/PIE flow from a copy of the checkout: phpize, configure, make (cargo
# builds the library), make test (the phpt suite), make install into a
# temporary INSTALL_ROOT, load the installed module; then make clean.
source "$(dirname "$0")/../lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy_source "$work/src"
# Compiled crates from dist-offline.sh (run just before) are reused: this check
# is about the Makefile, and cargo rebuilds fpm_compat itself from this copy.
export CARGO_TARGET_DIR="$CHECKS_TARGET"
phpize_flow "$work/src" "$work/root"

echo "$ make clean"
(cd "$work/src" && make clean >/dev/null 2>&1)
[ ! -e "$work/src/modules/fpm_compat.so" ] || { echo "make clean left modules/fpm_compat.so"; exit 1; }
[ ! -e "$CARGO_TARGET_DIR/release" ] || { echo "make clean left the cargo build in $CARGO_TARGET_DIR"; exit 1; }
