use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn lock_excludes_other_holders() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("x.lock"));
    let inside = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (path, inside, max_seen) = (path.clone(), inside.clone(), max_seen.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let _guard = lock_exclusive(&path).unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, Ordering::SeqCst);
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(max_seen.load(Ordering::SeqCst), 1);
}

#[test]
fn a_lock_file_is_never_created_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("created-here");
    let link = dir.path().join("x.lock");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(lock_exclusive(&link).is_err());
    assert!(try_lock_exclusive(&link).is_err());
    assert!(!target.exists(), "the lock was created through the link");
}
