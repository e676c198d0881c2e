# Shared by scripts/demo and scripts/test: install what is missing, build.
# Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SO="$ROOT/target/release/libfpm_compat.so"
export FPM_COMPAT_SO="$SO"
PHP_API_DIR=/usr/lib/php/20220829
RUN_TESTS="$PHP_API_DIR/build/run-tests.php"

# Debian packages every test and the demo need. Listed once, here.
PACKAGES=(php8.2-dev php8.2-cli php8.2-cgi php8.2-fpm php8.2-phpdbg libphp8.2-embed
          clang libclang-dev apache2 libapache2-mod-php8.2 nginx libfcgi-bin
          curl wrk valgrind php-getallheaders python3-pytest)

log() { printf '\n== %s\n' "$*"; }

ensure_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        if [ "$(id -u)" != 0 ]; then
            echo "need root to apt-get install: ${missing[*]}" >&2
            exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        # Services must not start on their own: the tests start private ones.
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        apt-get install -y -q "${missing[@]}" >/dev/null
        rm -f /usr/sbin/policy-rc.d
    fi
}

# Names what the Rust build needs that is missing, and the Debian package
# that provides it (ext-php-rs's own error only says what it could not find).
preflight() {
    local php_config=${PHP_CONFIG:-php-config} problems=()
    if ! command -v "$php_config" >/dev/null; then
        problems+=("php-config (PHP's build configuration): apt-get install php8.2-dev")
    elif [ ! -f "$("$php_config" --include-dir)/main/php.h" ]; then
        problems+=("the PHP headers ($("$php_config" --include-dir)/main/php.h): apt-get install php8.2-dev")
    fi
    if ! ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/*/libclang*.so* >/dev/null 2>&1 && [ -z "${LIBCLANG_PATH:-}" ]; then
        problems+=("libclang (bindgen reads the PHP headers with it): apt-get install libclang-dev clang")
    fi
    command -v cargo >/dev/null || problems+=("cargo (Rust): install it with rustup")
    if ((${#problems[@]})); then
        printf 'fpm_compat cannot be built; missing:\n' >&2
        printf '  - %s\n' "${problems[@]}" >&2
        return 1
    fi
}

build() {
    preflight
    log "building $SO"
    (cd "$ROOT" && cargo build --release --quiet)
}
