//! Evidence: the typed attachments of a task (`.agent-output/<ID>/evidence/index.json`), their
//! content-addressed copies, and deterministic `tar.zst` archives of directories.

pub mod archive;
