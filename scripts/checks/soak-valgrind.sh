#!/usr/bin/env bash
# php -S, php-cgi behind nginx and mod_php under valgrind for 60 requests of
# the soak's mix each: no definite leak or memory error with a frame in the
# extension (about 60 s on 2 cores; ./scripts/soak-valgrind runs 300).
set -euo pipefail
exec "$(dirname "$0")/../soak-valgrind" --requests 60
