//! Integration tests: the real binary against temporary git repositories.

mod bad_input;
mod cache;
mod cli;
mod explain;
mod graph_verbs;
mod list;
mod pick;
mod sample_repo;
mod support;
mod validate;
