//! For the layout tests of the modules that read a counterpart's structs
//! (`apache`, `uwsgi`): the offsets a C compiler gives, from the
//! counterpart's own headers. Test builds only.

use std::path::Path;
use std::process::Command;

/// Compiles a program that includes `includes` and prints
/// `offsetof(type, field)` for each of `fields`, then each of `extra`
/// (integer expressions), one a line; returns them in that order. `prepare`
/// may put headers into the build directory first; `hint` says what to
/// install when compiling fails.
pub fn offsets(
    name: &str,
    includes: &[&str],
    fields: &[(&str, &str)],
    extra: &[&str],
    cflags: &[String],
    prepare: impl FnOnce(&Path),
    hint: &str,
) -> Vec<usize> {
    let dir = std::env::temp_dir().join(format!("fpm_compat-{name}-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    prepare(&dir);
    let mut c = String::from("#include <stddef.h>\n#include <stdio.h>\n");
    for include in includes {
        c += &format!("#include {include}\n");
    }
    c += "int main(void) {\n";
    for (ty, field) in fields {
        c += &format!("  printf(\"%zu\\n\", offsetof({ty}, {field}));\n");
    }
    for expression in extra {
        c += &format!("  printf(\"%zu\\n\", (size_t)({expression}));\n");
    }
    c += "  return 0;\n}\n";
    std::fs::write(dir.join("layout.c"), c).unwrap();
    let exe = dir.join("layout");
    let status = Command::new("cc")
        .args(cflags)
        .arg(format!("-I{}", dir.display()))
        .arg(dir.join("layout.c"))
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling against {name}'s headers failed: {hint}");
    let out = Command::new(&exe).output().expect("the layout program runs");
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.parse().unwrap()).collect()
}
