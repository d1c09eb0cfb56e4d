//! Integration tests: the real binary against temporary git repositories.

mod bad_input;
mod cache;
mod cli;
mod context;
mod crash;
mod evidence;
mod explain;
mod forms;
mod graph_verbs;
mod hostile;
mod ledger;
mod lifecycle;
mod lint;
mod list;
mod people;
mod pick;
mod pilot;
mod qa;
mod quarantine;
mod sample_repo;
mod shapes;
mod support;
mod telemetry;
mod validate;
mod validation;
mod worktree;
