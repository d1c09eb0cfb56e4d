//! The per-task context cache (spec 02, contract D6): `.agent-output/<ID>/context.json`, its
//! manifest, the payload builder shared by init and rebuild, and the standards excerpts.

pub mod build;
pub mod completeness;
pub mod excerpts;
pub mod model;
pub mod normalize;
pub mod secrets;
pub mod stage;
pub mod store;
