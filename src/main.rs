// A task run allocates hundreds of thousands of small strings and frees few (the process ends
// first): mimalloc does that at a fraction of the system allocator's cost (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(tasks::main_with(std::env::args_os().collect()))
}
