//! Stops early, with the Debian package to install, when a piece the PHP
//! bindings need is missing; and links so the library tolerates being loaded
//! outside PHP (symbols resolve lazily when PHP loads it).
use std::path::Path;
use std::process::Command;

fn fail(what: &str, package: &str) -> ! {
    panic!(
        "\n\nfpm_compat: {what} is missing.\n  Install it with: apt-get install {package}\n  (or run ./scripts/demo, which installs what is missing)\n"
    );
}

fn main() {
    println!("cargo:rerun-if-env-changed=PHP_CONFIG");
    println!("cargo:rerun-if-changed=build.rs");
    let php_config = std::env::var("PHP_CONFIG").unwrap_or_else(|_| "php-config".into());
    let includes = match Command::new(&php_config).arg("--include-dir").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => fail("php-config (the PHP development files)", "php8.2-dev"),
    };
    if !Path::new(&includes).join("main/php.h").exists() {
        fail(&format!("the PHP headers ({includes}/main/php.h)"), "php8.2-dev");
    }
    let has_libclang = ["/usr/lib/llvm-14/lib", "/usr/lib/llvm-15/lib", "/usr/lib/llvm-16/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("libclang"))
        || std::env::var_os("LIBCLANG_PATH").is_some();
    if !has_libclang {
        fail("libclang (needed by bindgen to read the PHP headers)", "libclang-dev clang");
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,lazy");
}
