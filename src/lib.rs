//! `tasks`: a task-workflow CLI for repositories of `*.task.yaml` files.
//!
//! Data flows one way: `cli` turns argv into an [`app::Invocation`] holding the typed command of
//! one family in `commands`; `app` discovers the repository and runs it; the command works
//! through the domain modules (`tasks`, `context`, `worktree`, `qa`, `ledger`, `quarantine`,
//! `store`, `git`) and returns a typed report, which `output` renders as JSON or text, and
//! errors as the coded error of [`error::Error`]. No module imports one above it.

pub mod alloc;
pub mod app;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod complete;
pub mod context;
pub mod error;
pub mod evidence;
pub mod git;
pub mod help;
pub mod ids;
pub mod ledger;
pub mod metrics;
pub mod notify;
pub mod output;
pub mod pretty;
pub mod qa;
pub mod quarantine;
pub mod repo;
pub mod schema;
pub mod standards;
pub mod start;
pub mod store;
pub mod swar;
pub mod tasks;
pub mod telemetry;
pub mod text;
pub mod threads;
pub mod trace;
pub mod validation;
pub mod worktree;

use std::ffi::OsString;

/// Parse `argv`, run the command and return the process exit code.
pub fn main_with(argv: Vec<OsString>) -> u8 {
    // A shell asking for completions (`COMPLETE=bash tasks -- …`): answered, then exit.
    complete::answer_if_asked();
    let _run = trace::phase("run (all)");
    let clock = clock::Clock::from_env();
    let parsed = {
        let _parse = trace::phase("parse");
        cli::parse(argv)
    };
    match parsed {
        cli::Parsed::Print { text, what, format } => match format {
            // A schema is a JSON document of its own, printed as is in every format.
            output::Format::Text => output::print_raw(&text),
            output::Format::Json if what == "schema" => output::print_raw(&text),
            // One JSON document on stdout in every case: the text as a field (the version as
            // just its number).
            output::Format::Json => output::print_raw(&format!(
                "{{\n  \"success\": true,\n  \"{what}\": {},\n  \"generated_at\": {}\n}}\n",
                serde_json::Value::String(match what {
                    "version" => env!("CARGO_PKG_VERSION").to_string(),
                    _ => text,
                }),
                serde_json::Value::String(clock::iso(clock.now()))
            )),
        },
        cli::Parsed::Usage {
            error,
            format,
            shape,
            ..
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
            let printer = app::printer(&invocation, &clock);
            run_guarded(&printer, || app::run(invocation, &printer, &cwd, clock))
        }
    }
}

/// Run `work`, turning a panic (a bug) into the coded E999 error in the requested format
/// instead of a Rust backtrace and exit 101 (contract D3/D4).
fn run_guarded(printer: &output::Printer, work: impl FnOnce() -> u8) -> u8 {
    use std::sync::{Arc, Mutex};
    let message = Arc::new(Mutex::new(String::new()));
    let slot = Arc::clone(&message);
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut m) = slot.lock() {
            *m = format!("{text}{place}");
        }
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    let _ = std::panic::take_hook();
    match outcome {
        Ok(code) => code,
        Err(_) => {
            let what = message.lock().map(|m| m.clone()).unwrap_or_default();
            let error = error::Error::new(
                error::ErrorCode::E999,
                format!("internal error: {what}"),
            )
            .with_recovery(
                "This is a bug in tasks: please report it with the command you ran. No state file was left half-written.",
            );
            printer.error(&error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_e999_exit_1() {
        let printer = output::Printer {
            format: output::Format::Text,
            shape: output::Shape::Flat,
            generated_at: String::new(),
        };
        assert_eq!(run_guarded(&printer, || panic!("boom")), 1);
        assert_eq!(run_guarded(&printer, || 7), 7);
    }
}
