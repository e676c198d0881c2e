#!/usr/bin/env bash
# The build's preflight names a missing php-config and its Debian package,
# and passes on this machine.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
preflight
if out=$(PHP_CONFIG=/nonexistent/php-config preflight 2>&1); then
    echo "preflight passed without php-config" >&2; exit 1
fi
grep -q "php-config .*apt-get install php8.2-dev" <<<"$out" || { echo "unexpected message: $out" >&2; exit 1; }
echo "preflight: ok (names php8.2-dev when php-config is missing)"
