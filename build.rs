//! Links the extension with lazy binding: the PHP symbols it uses resolve
//! when PHP loads it, so tools that load it outside PHP can still open it.
//! (Missing build prerequisites are named by `scripts/lib.sh`'s preflight:
//! ext-php-rs's own build script runs before this one and fails first.)
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,lazy");
}
