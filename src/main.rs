// The C entry point is this file's `main`, not Rust's runtime start (see `main` below); the
// unit-test build of this file keeps the test harness's own.
#![cfg_attr(not(test), no_main)]

// A task run allocates hundreds of thousands of small strings and frees few (the process ends
// first): mimalloc does that at a fraction of the system allocator's cost (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Before anything allocates (an ELF constructor, ahead of Rust's runtime): mimalloc's options
/// and the arena through which a warm run asks for huge pages (`tasks::alloc::install`).
extern "C" fn configure_heap() {
    tasks::alloc::install();
}

#[used]
#[unsafe(link_section = ".init_array")]
static CONFIGURE_HEAP: extern "C" fn() = configure_heap;

/// The process's entry point, called by the C runtime. Rust's own start-up is left out: it
/// reads all of `/proc/self/maps` to place the main thread's stack guard, ~0.15 ms of every run
/// on the benchmark VM (docs/performance.md). What else it does that matters here is done by
/// `tasks::start::prepare` (standard descriptors, SIGPIPE), `tasks::start::arguments` (the
/// arguments, from `argc`/`argv`: std reads them itself only on glibc) and below (a panic that
/// escapes the command's own guard exits 101, as it did; standard output is flushed at the end).
/// What is lost: a stack overflow ends the process with SIGSEGV, without Rust's one-line
/// message, and the main thread has no name in a panic message.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    // A panic must not unwind out of an `extern "C"` function (that aborts): caught here.
    let run = std::panic::catch_unwind(|| {
        tasks::start::prepare();
        // SAFETY: `argc` and `argv` are what the C runtime passed to `main`.
        let argv = unsafe { tasks::start::arguments(argc, argv) };
        let code = tasks::main_with(argv);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        code
    });
    run.map_or(101, libc::c_int::from)
}
