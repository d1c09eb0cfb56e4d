use super::*;
use chrono::TimeZone;

#[test]
fn iso_matches_python_isoformat() {
    let t = Utc.with_ymd_and_hms(2026, 11, 25, 11, 34, 52).unwrap();
    assert_eq!(iso(t), "2026-11-25T11:34:52+00:00");
    let t = t + chrono::Duration::microseconds(661_355);
    assert_eq!(iso(t), "2026-11-25T11:34:52.661355+00:00");
    let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(50);
    assert_eq!(iso(t), "2026-01-02T03:04:05.000050+00:00");
}
