//! Fault injection for the crash-safety tests: every step of a state change that a crash or a
//! failing disk could interrupt calls [`point`]. Two environment variables drive it:
//!
//! - `TASKS_CRASH_AT=N`: the process is killed (SIGKILL: no destructor, no flush, exactly like
//!   `kill -9`) when it reaches the N-th point;
//! - `TASKS_FAIL_AT=N`: the N-th point fails with an I/O error ("No space left on device"), so
//!   the command takes its error path;
//! - `TASKS_PANIC_AT=N`: the process panics at the N-th point, as a bug would there: the panic
//!   unwinds to the coded E999 error, and what the step did not finish is undone on the next
//!   lock, as after a crash.
//!
//! Points are counted from 1 in the order the process reaches them. Without the variables a
//! point costs one read of the plan (made once). The hooks are part of every build on purpose: the
//! released binary is the one whose crash behaviour the tests check.

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static REACHED: AtomicU64 = AtomicU64::new(0);

struct Plan {
    crash_at: Option<u64>,
    fail_at: Option<u64>,
    panic_at: Option<u64>,
}

fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Plan {
            crash_at: read("TASKS_CRASH_AT"),
            fail_at: read("TASKS_FAIL_AT"),
            panic_at: read("TASKS_PANIC_AT"),
        }
    })
}

/// A step that does I/O which can fail (create, write, sync, rename): kills the process or
/// fails when the test plan says so.
pub fn point() -> io::Result<()> {
    reach(true)
}

/// A moment between two steps where only a crash can happen (after a rename, say: an error
/// there would be a lie, the change is made).
pub fn crash_point() {
    let _ = reach(false);
}

fn reach(can_fail: bool) -> io::Result<()> {
    let plan = plan();
    if plan.crash_at.is_none() && plan.fail_at.is_none() && plan.panic_at.is_none() {
        return Ok(());
    }
    let n = REACHED.fetch_add(1, Ordering::Relaxed) + 1;
    if plan.crash_at == Some(n) {
        // SIGKILL cannot be caught: the process ends here, as with `kill -9`.
        // SAFETY: getpid and kill have no preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
    if plan.panic_at == Some(n) {
        panic!("TASKS_PANIC_AT={n}: a panic injected at this step");
    }
    if can_fail && plan.fail_at == Some(n) {
        return Err(io::Error::from_raw_os_error(libc::ENOSPC));
    }
    Ok(())
}
