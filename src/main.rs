// A task run allocates hundreds of thousands of small strings and frees few (the process ends
// first): mimalloc does that at a fraction of the system allocator's cost (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Before anything allocates (an ELF constructor, ahead of Rust's runtime):
/// - commit memory as it is used rather than a whole arena up front: mimalloc's default on Linux
///   nearly doubles the peak RSS of a run (`mi_option_arena_eager_commit`, index 4 of
///   `mi_option_e`);
/// - never give freed memory back to the system (`mi_option_purge_delay`, index 15, set to -1):
///   a run lasts milliseconds, and memory handed back is faulted in again (zeroed by the kernel)
///   when it is reused, at ~0.5 ms per MB on this VM; mimalloc also purged everything at exit;
/// - give mimalloc the arena through which a warm run asks for huge pages (`tasks::alloc`).
extern "C" fn lazy_commit() {
    // SAFETY: setting an option is a plain store, allowed at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(4, 0);
        libmimalloc_sys::mi_option_set(15, -1);
    }
    tasks::alloc::install();
}

#[used]
#[unsafe(link_section = ".init_array")]
static LAZY_COMMIT: extern "C" fn() = lazy_commit;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(tasks::main_with(std::env::args_os().collect()))
}
