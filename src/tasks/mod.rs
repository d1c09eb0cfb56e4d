//! Task files: parsing, discovery, the private cache, the dependency graph and the picker.

pub mod cache;
pub mod catalog;
pub mod discover;
pub mod dot;
pub mod drafts;
pub mod edit;
pub mod fastyaml;
pub mod file;
pub mod graph;
pub mod journal;
pub mod lint;
pub mod model;
pub mod parse;
pub mod pick_memo;
pub mod picker;
pub mod priority;
pub mod yaml;

pub use catalog::Catalog;
pub use model::Task;
