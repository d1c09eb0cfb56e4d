//! Helper threads that may not start: a system that refuses a thread (a process limit in a
//! container, say) makes a command slower, never fail. Every caller does the work itself when
//! [`try_spawn`] gives nothing.

/// Start `work` on a thread of `scope`, or `None` when the system refuses one.
pub fn try_spawn<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new().spawn_scoped(scope, work).ok()
}
