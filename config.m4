dnl fpm_compat is written in Rust and has no C source: configure finds cargo
dnl and the php-config to build against, and Makefile.frag has cargo build the
dnl library and puts it where phpize's install and test rules expect a module
dnl (modules/fpm_compat.so). The version is read from Cargo.toml, its only home.

PHP_ARG_ENABLE([fpm_compat],
  [whether to enable fpm_compat (PHP-FPM's functions on every SAPI)],
  [AS_HELP_STRING([--enable-fpm_compat], [Enable fpm_compat (default: yes)])],
  [yes])

if test "$PHP_FPM_COMPAT" != "no"; then
  dnl rustup installs cargo in ~/.cargo/bin, often not in the PATH of a build.
  AC_PATH_PROG([CARGO], [cargo], [no], [$PATH$PATH_SEPARATOR$HOME/.cargo/bin])
  if test "$CARGO" = "no"; then
    AC_MSG_ERROR([cargo not found: install Rust (https://rustup.rs) or run configure with CARGO=/path/to/cargo])
  fi

  dnl ext-php-rs wants an absolute php-config; phpize may hold a bare name.
  FPM_COMPAT_PHP_CONFIG=`command -v "$PHP_CONFIG"`
  AC_MSG_CHECKING([for the php-config cargo builds against])
  AC_MSG_RESULT([$FPM_COMPAT_PHP_CONFIG])

  AC_MSG_CHECKING([for the fpm_compat version in Cargo.toml])
  FPM_COMPAT_VERSION=`$SED -n 's/^version *= *"\(.*\)"/\1/p' "$abs_srcdir/Cargo.toml" | head -n 1`
  AC_MSG_RESULT([$FPM_COMPAT_VERSION])

  PHP_SUBST([CARGO])
  PHP_SUBST([FPM_COMPAT_PHP_CONFIG])
  PHP_ADD_BUILD_DIR([modules])
  PHP_ADD_MAKEFILE_FRAGMENT([$abs_srcdir/Makefile.frag], [$abs_srcdir], [$abs_builddir])
fi
