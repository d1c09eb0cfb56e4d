//! File-system primitives every state change goes through: exclusive locks, atomic replacement
//! and SHA-256. Nothing outside `store/` writes state files directly.

mod atomic;
mod hash;
mod lock;

pub use atomic::{atomic_write, write_json_atomic};
pub use hash::{sha256_file, sha256_hex};
pub use lock::{LockGuard, lock_exclusive};
