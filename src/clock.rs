//! Time is injected: production reads the system clock, tests pin it with `TASKS_NOW`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Environment variable that pins "now" (RFC 3339), for reproducible tests and demos.
pub const NOW_ENV: &str = "TASKS_NOW";

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock { fixed: Some(at) }
    }

    /// The system clock, unless `TASKS_NOW` holds a valid RFC 3339 timestamp.
    pub fn from_env() -> Self {
        std::env::var(NOW_ENV)
            .ok()
            .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
            .map(|t| Clock::fixed(t.with_timezone(&Utc)))
            .unwrap_or_else(Clock::system)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }
}

/// UTC timestamp in the reference's form: `2026-11-25T11:34:52.661355+00:00`, the fraction
/// omitted when it is zero.
pub fn iso(at: DateTime<Utc>) -> String {
    let micros = at.timestamp_subsec_micros();
    let base = at.to_rfc3339_opts(SecondsFormat::Secs, false);
    // base is `YYYY-MM-DDTHH:MM:SS+00:00`
    if micros == 0 {
        base
    } else {
        let (date_time, offset) = base.split_at(19);
        format!("{date_time}.{micros:06}{offset}")
    }
}

#[cfg(test)]
#[path = "tests/clock.rs"]
mod tests;
