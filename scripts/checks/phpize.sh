#!/usr/bin/env bash
# The PECL/PIE flow from a copy of the checkout: phpize, configure, make (cargo
# builds the library), make test (the phpt suite), make install into a
# temporary INSTALL_ROOT, load the installed module; then make clean.
source "$(dirname "$0")/../lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy_source "$work/src"
# The Makefile's default target directory (target/phpize in the copy), as a
# user gets it: a cold build. Sharing one with dist-offline.sh buys nothing:
# cargo reuses none of the crates it built from vendor/ (measured).
unset CARGO_TARGET_DIR
phpize_flow "$work/src" "$work/root"

echo "$ make clean"
(cd "$work/src" && make clean >/dev/null 2>&1)
[ ! -e "$work/src/modules/fpm_compat.so" ] || { echo "make clean left modules/fpm_compat.so"; exit 1; }
[ ! -e "$work/src/target/phpize" ] || { echo "make clean left the cargo build in target/phpize"; exit 1; }
