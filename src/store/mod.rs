//! File-system primitives every state change goes through: exclusive locks, atomic replacement,
//! SHA-256 and the JSON state transaction. State files are written only through `store/`
//! (moving a released quarantine entry and removing the old copy are the only other changes).

pub mod atomic;
pub mod beneath;
pub mod fault;
pub mod fs;
pub mod hash;
mod json;
mod lock;
pub mod paths;
pub mod txn;

pub use atomic::{Durability, atomic_create, atomic_write, atomic_write_with, sync_dir};
pub use hash::{Hasher, sha256_file, sha256_hex};
pub use json::{
    StateError, open_state, read_json, read_state, try_update_json, update_existing_json,
    update_json, write_json_atomic,
};
pub use lock::{LockGuard, lock_exclusive, try_lock_exclusive};
