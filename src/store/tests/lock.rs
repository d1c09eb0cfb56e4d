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
