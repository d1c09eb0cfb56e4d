fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(tasks::main_with(std::env::args_os().collect()))
}
