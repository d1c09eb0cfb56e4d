//! Links the unwinder statically (`libgcc_eh.a`) on Linux with glibc, where the linker has it,
//! so that the binary does not load `libgcc_s.so` at start-up: that library's constructor
//! probes the CPU with `cpuid`, an instruction a virtual machine traps (~9 µs each on the
//! benchmark VM), ~0.2 ms of every run (docs/performance.md). Panics unwind the same way; where
//! the archive is not found, or when cross-compiling, nothing changes.
//!
//! The archive is asked of the program that links the binary (the configured linker, else
//! `cc`, as rustc does), so that it comes from the same compiler as the rest of the link.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // A linker configured, or another `cc` first on the PATH: asked again.
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    println!("cargo:rerun-if-env-changed=PATH");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("HOST") != var("TARGET")
    {
        return;
    }
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    let Ok(out) = Command::new(&linker)
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
    // The archive's directory is versioned (`/usr/lib/gcc/x86_64-linux-gnu/12`): when an
    // upgrade removes it, the next build asks again instead of failing to link.
    println!("cargo:rerun-if-changed={}", archive.display());
    if let Some(dir) = archive.parent() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}
