//! Validation runs: a task's validation pipeline (`pipeline.rs`) and the runner of one command
//! (`runner.rs`). Being built for issue 13; the
//! `--run-validation` command is not there yet.

pub mod pipeline;
pub mod runner;
