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
          clang libclang-dev apache2 apache2-dev libapache2-mod-php8.2 nginx libfcgi-bin
          curl wrk valgrind php-getallheaders python3-pytest python3-brotli python3-jsonschema python3-h2 openssl
          php-symfony-http-kernel php-symfony-error-handler lighttpd uwsgi-core uwsgi-plugin-php libapache2-mod-fcgid
          python3-matplotlib)

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
        apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
        # Services must not start on their own: the tests start private ones.
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        apt-get -o DPkg::Lock::Timeout=900 install -y -q "${missing[@]}" >/dev/null
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

# The phpt suite in DIR with extension SO, under PHP and (for --CGI-- tests)
# php-cgi; the log goes to LOG and to the terminal. Shared by scripts/test and
# scripts/test-php so both judge the suite the same way.
run_phpt() { # php php-cgi run-tests.php so dir log
    local php=$1 cgi=$2 run_tests=$3 so=$4 dir=$5 out=$6
    # Debian's conf.d (opcache etc.) stays in force for the tests, as for a
    # user. The extension is given once: run-tests would append TEST_PHP_ARGS
    # to these arguments and PHP would warn "Module already loaded".
    { TEST_PHP_EXECUTABLE=$php TEST_PHP_CGI_EXECUTABLE=$cgi \
        "$php" -n "$run_tests" -q --show-diff -j2 -d "extension=$so" "$dir" 2>&1 || true; } | tee "$out"
}

# "PASSED FAILED" from a run_phpt log; a run that never printed its summary
# (crash, no tests found) counts as one failure.
phpt_counts() { # log
    local p f b
    p=$(sed -n 's/^Tests passed *: *\([0-9]*\).*/\1/p' "$1" | tail -1)
    f=$(sed -n 's/^Tests failed *: *\([0-9]*\).*/\1/p' "$1" | tail -1)
    b=$(sed -n 's/^Tests borked *: *\([0-9]*\).*/\1/p' "$1" | tail -1)
    f=$((${f:-0} + ${b:-0}))
    [ -n "$p" ] || { p=0; f=$((f + 1)); }
    echo "$p $f"
}

# The end-to-end tests (pytest, tests/e2e) with ARGS; the log goes to LOG
# and to the terminal. The PHP version they use comes from the environment
# (FPM_COMPAT_PHP_VERSION, FPM_COMPAT_SO; tests/e2e/servers.py).
run_e2e() { # log [args]
    local out=$1
    shift
    # Debian's Python, which has python3-pytest (a python3 earlier in PATH may not).
    { (cd "$ROOT/tests/e2e" && /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs "$@" 2>&1) || true; } | tee "$out"
}

# Sum of the numbers before WORD(S) in a log (0 when there are none).
sum_before() { # log words
    { grep -Eo "[0-9]+ ($2)\b" "$1" || true; } | awk '{s+=$1} END {print s+0}'
}

# "PASSED FAILED SKIPPED" from a run_e2e log; a run without a "passed"
# count counts as one failure.
pytest_counts() { # log
    local p f s
    p=$(sum_before "$1" passed); f=$(sum_before "$1" "failed|errors?"); s=$(sum_before "$1" skipped)
    grep -Eq '[0-9]+ passed' "$1" || f=$((f + 1))
    echo "$p $f $s"
}

# RUSTFLAGS of a release build (CARGO_ENCODED_RUSTFLAGS form) whose cargo
# target dir is TARGET, with FLAGS after: every absolute path rustc could
# record (panic locations, the bindings ext-php-rs generates in OUT_DIR) is
# rewritten to a fixed one, so another checkout builds the same bytes. Only
# the target's crates get these flags (cargo --target): build scripts do not.
release_rustflags() { # target [flags...]
    local flags
    flags=$(printf '%s\x1f' --remap-path-prefix="$ROOT=/build/fpm_compat" \
        --remap-path-prefix="${CARGO_HOME:-$HOME/.cargo}=/build/cargo" --remap-path-prefix="$1=/build/target" "${@:2}")
    echo "${flags%$'\x1f'}"
}

# What the release's packages and checks need to know about a PHP, as shell
# assignments, in PHP's own words ("PHP Extension Build => API20220829,NTS").
php_facts() { # php php-config
    "$1" -n -r '
        ob_start(); phpinfo(INFO_GENERAL);
        preg_match("/^PHP Extension Build => API(\\d+),/m", ob_get_clean(), $m);
        printf("php_version=%s\nxy=%d.%d\nzts=%d\ndebug=%d\narch=%s\napi=%s\n", PHP_VERSION, PHP_MAJOR_VERSION,
            PHP_MINOR_VERSION, PHP_ZTS, PHP_DEBUG, php_uname("m"), $m[1] ?? "");'
    echo "ext_dir=$("$2" --extension-dir)"
}

# The version, read from Cargo.toml: its only home.
cargo_version() { sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1; }

# Copies the source a release holds into DEST: the files git tracks, and new
# ones it does not ignore, as they are in the work tree (so a check sees
# uncommitted work, and never target/ or .work/).
copy_source() { # dest
    mkdir -p "$1"
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
        | tar --null -T - -c) | tar -x -C "$1"
}

# The PECL/PIE build in SRC: phpize, configure, make, make test, make install
# with INSTALL_ROOT=DEST; then the installed module must load under the CLI
# and report the version in Cargo.toml. configure is called as PIE calls it
# (src/Building/UnixBuild.php: only --with-php-config, no --enable-…), and
# make must leave modules/fpm_compat.so, the file PIE installs. Logs stay in
# SRC; a failing step shows the end of its log.
phpize_flow() { # src dest
    local src=$1 dest=$2 step so version
    for step in phpize "./configure --with-php-config=$(command -v php-config)" make "make test" "make install INSTALL_ROOT=$dest"; do
        echo "$ $step"
        # NO_INTERACTION: run-tests would otherwise ask to mail a failure report.
        (cd "$src" && NO_INTERACTION=1 $step >"$src/step.log" 2>&1) || { tail -40 "$src/step.log"; return 1; }
        [ "$step" != "make test" ] || grep -E '^Tests (passed|failed)' "$src/step.log"
        [ "$step" != make ] || [ -f "$src/modules/fpm_compat.so" ] || { echo "make left no modules/fpm_compat.so (PIE installs that file)"; return 1; }
    done
    so=$dest$(php-config --extension-dir)/fpm_compat.so
    # grep reads to the end (no -q): a reader that leaves early makes php's
    # next write fail, php exit 255, and pipefail call the module missing.
    php -d "extension=$so" -m | grep -x fpm_compat >/dev/null || { echo "not listed by php -m: $so"; return 1; }
    version=$(php -d "extension=$so" -r 'echo phpversion("fpm_compat");')
    [ "$version" = "$(cargo_version)" ] || { echo "version $version, Cargo.toml says $(cargo_version)"; return 1; }
    echo "installed $so loads, version $version"
}

# Servers the checks start: on 127.0.0.1, from private configs, stopped by PID.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_port() { # port pid: until something listens, or the server died
    local i
    for i in $(seq 100); do
        (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { echo "server $2 exited before listening on $1"; return 1; }
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1"; return 1
}

# SIGTERM to the process group PID leads (started with setsid), then SIGKILL.
stop_pid() { # pid
    local i
    kill -TERM -- "-$1" 2>/dev/null || return 0
    for i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$1" 2>/dev/null || true
}
