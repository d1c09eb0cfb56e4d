//! `tasks`: a task-workflow CLI for repositories of `*.task.yaml` files.
//!
//! Data flows one way: `cli` turns argv into a [`app::Command`], `app` runs the verb in
//! `verbs`, which returns a typed report; `output` renders it as JSON or text, and errors as the
//! coded error of [`error::Error`].

pub mod app;
pub mod cli;
pub mod clock;
pub mod error;
pub mod git;
pub mod ids;
pub mod ledger;
pub mod output;
pub mod quarantine;
pub mod repo;
pub mod store;
pub mod tasks;
pub mod verbs;

use std::ffi::OsString;

/// Parse `argv`, run the command and return the process exit code.
pub fn main_with(argv: Vec<OsString>) -> u8 {
    let clock = clock::Clock::from_env();
    match cli::parse(argv) {
        cli::Parsed::Print(text) => {
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            0
        }
        cli::Parsed::Usage {
            error,
            format,
            shape,
        } => {
            let printer = output::Printer {
                format,
                shape,
                generated_at: clock::iso(clock.now()),
            };
            printer.usage_error(&error)
        }
        cli::Parsed::Run(invocation) => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
            app::run(invocation, &cwd, clock)
        }
    }
}
