//! Links the unwinder statically (`libgcc_eh.a`) on Linux with glibc, where the C toolchain has
//! it, so that the binary does not load `libgcc_s.so` at start-up: that library's constructor
//! probes the CPU with `cpuid`, an instruction a virtual machine traps (~9 µs each on the
//! benchmark VM), ~0.2 ms of every run (docs/performance.md). Panics unwind the same way; where
//! the archive is not found, or when cross-compiling, nothing changes.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("HOST") != var("TARGET")
    {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let Ok(out) = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let printed = String::from_utf8_lossy(&out.stdout);
    let archive = Path::new(printed.trim());
    // Without the archive, the compiler prints the bare name back.
    if !out.status.success() || !archive.is_absolute() || !archive.is_file() {
        return;
    }
    if let Some(dir) = archive.parent() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}
