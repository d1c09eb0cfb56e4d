//! Deterministic `tar.zst` archives of a directory (placeholder: being written).
