# Appended by configure to phpize's Makefile (after its Makefile.global, so
# the assignments below win). There is no C source: cargo builds the library
# and these rules copy it to modules/fpm_compat.so, the file phpize's
# install-modules, test and clean rules already handle.

# Its own target directory: the PHP/PHP_CONFIG given to cargo here would
# otherwise make a plain `cargo build` in a checkout redo the bindings.
FPM_COMPAT_TARGET = $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),$(top_builddir)/target/phpize)
FPM_COMPAT_CARGO = cd $(top_srcdir) && PHP=$(PHP_EXECUTABLE) PHP_CONFIG=$(FPM_COMPAT_PHP_CONFIG) \
	$(CARGO) build --release --locked --target-dir $(FPM_COMPAT_TARGET) && \
	cp $(FPM_COMPAT_TARGET)/release/libfpm_compat.so $(top_builddir)/modules/fpm_compat.so

# `make`: cargo judges what is stale, so it is asked every time.
all: fpm-compat
fpm-compat:
	$(FPM_COMPAT_CARGO)

# `make install` (often run as root, where cargo may be missing) builds only
# if `make` was not run first.
install-modules: modules/fpm_compat.so
modules/fpm_compat.so:
	$(FPM_COMPAT_CARGO)

# `make test`: the phpt suite in php-tests/, with the module loaded.
TESTS ?= $(top_srcdir)/php-tests
PHP_TEST_SHARED_EXTENSIONS = -d extension=fpm_compat.so

# `make install DESTDIR=…` as well as phpize's own INSTALL_ROOT.
INSTALL_ROOT ?= $(DESTDIR)

clean: fpm-compat-clean
fpm-compat-clean:
	$(CARGO) clean --manifest-path $(top_srcdir)/Cargo.toml --target-dir $(FPM_COMPAT_TARGET)

.PHONY: fpm-compat fpm-compat-clean
