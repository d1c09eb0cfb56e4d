//! Per-phase timers for performance work: `TASKS_TRACE_TIME=1 tasks --pick` prints, on stderr,
//! how long each phase of the run took (`trace: discover 4.1 ms`). Off (one relaxed load per
//! phase) unless the variable is set; never part of an output scripts read.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        let on = std::env::var_os("TASKS_TRACE_TIME").is_some_and(|v| !v.is_empty());
        if on {
            origin();
        }
        on
    })
}

/// When tracing started (the first phase of the run): phases report their start from it.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// A running phase: reported when dropped.
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

/// Start timing `name` (reported on stderr at the end of the scope).
pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        start: enabled().then(Instant::now),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            eprintln!(
                "trace: {} {:.2} ms (from +{:.2} ms)",
                self.name,
                start.elapsed().as_secs_f64() * 1e3,
                start.duration_since(origin()).as_secs_f64() * 1e3
            );
        }
    }
}
