use super::*;
use serde_json::json;

fn at(text: &str) -> DateTime<Utc> {
    parse_time(text).unwrap()
}

fn read(path: &str, size: u64) -> Event {
    Event::FileRead {
        path: Some(path.into()),
        size,
    }
}

#[test]
fn every_event_counts_where_schemas_5_1_says() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    t.apply(
        &[
            read("a.ts", 100),
            read("a.ts", 120),
            read("b.ts", 7),
            Event::FileWrite {
                path: Some("c.ts".into()),
                size: 3,
            },
            Event::FileEdit {
                path: None,
                size: 0,
            },
            Event::CacheHit { bytes: 4003 },
            Event::CacheMiss,
            Event::ContextRead {
                served: 1000,
                source: 9000,
            },
            Event::JsonCall,
            Event::JsonCall,
            Event::JsonParseFailure,
            Event::Command(CommandRun {
                command: "pnpm test".into(),
                command_id: Some("val-001".into()),
                exit_code: Some(1),
                duration_ms: 42,
                timestamp: None,
                extra: Map::new(),
            }),
        ],
        at("2026-11-29T10:00:00Z"),
        None,
    );
    let f = &t.metrics.file_operations;
    assert_eq!((f.read_calls, f.write_calls, f.edit_calls), (3, 1, 1));
    assert_eq!(f.files_read.len(), 2);
    assert_eq!(f.files_read[0].path, "a.ts");
    assert_eq!(f.files_read[0].read_count, 2);
    assert_eq!(f.files_read[0].size, 120, "the size is the latest read's");
    let c = &t.metrics.cache_operations;
    assert_eq!((c.context_reads, c.cache_hits, c.cache_misses), (1, 2, 1));
    // 4003 / 4 = 1000 (integer), plus (9000 − 1000) / 4 = 2000.
    assert_eq!(c.token_savings_estimate, 3000);
    assert_eq!((c.bytes_served, c.source_bytes), (1000, 9000));
    assert_eq!(
        (t.metrics.json_calls, t.metrics.json_parse_failures),
        (2, 1)
    );
    assert_eq!(t.metrics.commands_executed.len(), 1);
    assert_eq!(
        t.metrics.commands_executed[0].timestamp.as_deref(),
        Some("2026-11-29T10:00:00+00:00")
    );
    assert_eq!(t.sessions.len(), 1);
    assert_eq!(t.sessions[0].events["file_read"], 3);
    assert_eq!(t.sessions[0].events["context_read"], 1);
}

#[test]
fn a_context_larger_than_its_sources_saves_nothing_and_does_not_underflow() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    t.apply(
        &[Event::ContextRead {
            served: 9000,
            source: 1000,
        }],
        at("2026-11-29T10:00:00Z"),
        None,
    );
    assert_eq!(t.metrics.cache_operations.token_savings_estimate, 0);
}

#[test]
fn warnings_are_counted_per_message_and_level() {
    let mut t = Telemetry::new("TASK-0001", "reviewer");
    let w = |m: &str| Event::Warning {
        level: Level::Warning,
        message: m.into(),
    };
    t.apply(
        &[w("W1"), w("W1"), w("W2")],
        at("2026-11-29T10:00:00Z"),
        None,
    );
    t.apply(
        &[
            w("W1"),
            Event::Warning {
                level: Level::Error,
                message: "W1".into(),
            },
        ],
        at("2026-11-29T10:05:00Z"),
        None,
    );
    assert_eq!(t.warnings.len(), 3);
    assert_eq!(t.warnings[0].message, "W1");
    assert_eq!(t.warnings[0].count, 3);
    assert_eq!(
        t.warnings[0].last_seen.as_deref(),
        Some("2026-11-29T10:05:00+00:00")
    );
    assert_eq!(t.warnings[1].count, 1);
    assert_eq!(t.warnings[2].level, Level::Error);
}

#[test]
fn sessions_join_within_the_gap_and_start_anew_after_it_or_by_id() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    t.apply(&[Event::JsonCall], at("2026-11-29T10:00:00Z"), None);
    t.apply(&[Event::JsonCall], at("2026-11-29T10:29:00Z"), None);
    assert_eq!(t.sessions.len(), 1, "29 minutes later: the same session");
    assert_eq!(t.sessions[0].duration_ms, 29 * 60 * 1000);
    // 31 minutes of silence: a new session, the first kept (history, not overwritten).
    t.apply(&[Event::JsonCall], at("2026-11-29T11:00:00Z"), None);
    assert_eq!(t.sessions.len(), 2);
    assert_eq!(t.sessions[1].session_start, "2026-11-29T11:00:00+00:00");
    // A named session is its own, and comes back by its id.
    t.apply(&[Event::JsonCall], at("2026-11-29T11:01:00Z"), Some("s-1"));
    t.apply(&[Event::JsonCall], at("2026-11-29T11:03:00Z"), None);
    t.apply(&[Event::JsonCall], at("2026-11-29T11:10:00Z"), Some("s-1"));
    assert_eq!(t.sessions.len(), 3);
    assert_eq!(t.sessions[2].session_id.as_deref(), Some("s-1"));
    assert_eq!(t.sessions[2].duration_ms, 9 * 60 * 1000);
    assert_eq!(t.sessions[1].duration_ms, 3 * 60 * 1000);
    assert_eq!(
        t.session_start.as_deref(),
        Some("2026-11-29T10:00:00+00:00")
    );
    assert_eq!(t.session_end.as_deref(), Some("2026-11-29T11:10:00+00:00"));
    assert_eq!(t.duration_ms, (29 + 3 + 9) * 60 * 1000);
    assert_eq!(t.metrics.json_calls, 6);
}

#[test]
fn an_event_older_than_the_session_end_does_not_move_it_back() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    t.apply(&[Event::JsonCall], at("2026-11-29T10:10:00Z"), Some("s"));
    t.apply(&[Event::JsonCall], at("2026-11-29T10:05:00Z"), Some("s"));
    assert_eq!(t.sessions[0].session_end, "2026-11-29T10:10:00+00:00");
}

#[test]
fn the_flat_tasks_py_shape_is_read_and_converted() {
    let flat = json!({
        "agent_role": "implementer",
        "file_operations": {"read_calls": 3},
        "cache_operations": {"hits": 8, "misses": 2, "estimated_tokens_saved": 1200},
        "warnings": [{"message": "W1"}, {"message": "W1"}, {"level": "warning"}],
        "json_calls": 5,
        "json_parse_failures": 0,
        "session_start": "2026-11-29T10:00:00+00:00",
        "session_end": "2026-11-29T10:30:00+00:00",
        "custom": {"kept": true}
    });
    let t = Telemetry::from_json(flat).unwrap();
    assert_eq!(t.agent_role, "implementer");
    assert_eq!(t.metrics.file_operations.read_calls, 3);
    let c = &t.metrics.cache_operations;
    assert_eq!(
        (c.cache_hits, c.cache_misses, c.token_savings_estimate),
        (8, 2, 1200)
    );
    assert_eq!(t.metrics.json_calls, 5);
    assert_eq!(t.warnings.len(), 2, "W1 twice and an empty message");
    assert_eq!(t.warnings[0].count, 2);
    assert_eq!(t.warnings[1].message, "");
    assert_eq!(t.sessions.len(), 1);
    assert_eq!(t.sessions[0].duration_ms, 30 * 60 * 1000);
    assert_eq!(t.extra["custom"], json!({"kept": true}));
    // Written back, it is the nested shape, and reads the same.
    let again = Telemetry::from_json(serde_json::to_value(&t).unwrap()).unwrap();
    assert_eq!(again, t);
}

#[test]
fn the_nested_shape_keeps_unknown_keys_and_refuses_wrong_types() {
    let mut t = Telemetry::new("TASK-0001", "validator");
    t.apply(&[read("x", 1)], at("2026-11-29T10:00:00Z"), None);
    let mut value = serde_json::to_value(&t).unwrap();
    value["metrics"]["file_operations"]["mine"] = json!(1);
    value["extra_top"] = json!("x");
    let back = Telemetry::from_json(value.clone()).unwrap();
    assert_eq!(back.metrics.file_operations.extra["mine"], json!(1));
    assert_eq!(serde_json::to_value(&back).unwrap(), value);

    value["metrics"]["file_operations"]["read_calls"] = json!(-1);
    assert!(Telemetry::from_json(value).is_err());
    assert!(Telemetry::from_json(json!([1, 2])).is_err());
    assert!(Telemetry::from_json(json!({"metrics": {}, "agent_role": 3})).is_err());
}

#[test]
fn timestamps_with_any_offset_are_instants() {
    assert_eq!(
        parse_time("2026-11-29T12:00:00+02:00"),
        parse_time("2026-11-29T10:00:00Z")
    );
    assert_eq!(
        parse_time("2026-11-29T10:00:00"),
        parse_time("2026-11-29T10:00:00.000+00:00")
    );
    assert_eq!(
        parse_time("2026-11-29 10:00:00+00:00"),
        parse_time("2026-11-29T10:00:00Z")
    );
    assert!(parse_time("yesterday").is_none());
}

#[test]
fn telemetry_file_names() {
    assert_eq!(file_name("reviewer"), "telemetry-reviewer.json");
    assert!(is_file_name("telemetry-implementer.json"));
    assert!(is_file_name("telemetry-x.json"));
    assert!(!is_file_name("telemetry-.json"));
    assert!(!is_file_name("telemetry-a.json.tmp"));
    assert!(!is_file_name("metrics.json"));
}

#[test]
fn a_wrong_typed_metrics_or_sessions_is_refused_not_rewritten_twice() {
    assert!(Telemetry::from_json(json!({"agent_role": "implementer", "metrics": null})).is_err());
    assert!(Telemetry::from_json(json!({"agent_role": "implementer", "sessions": []})).is_err());
}

#[test]
fn lists_stay_bounded_and_counts_stay_exact() {
    let mut t = Telemetry::new("TASK-0001", "validator");
    let start = at("2026-01-01T00:00:00Z");
    for i in 0..(MAX_LISTED as i64 + 5) {
        let now = start + chrono::Duration::hours(i);
        t.apply(
            &[Event::Command(CommandRun {
                command: "x".repeat(5000),
                command_id: None,
                exit_code: Some(0),
                duration_ms: 1,
                timestamp: None,
                extra: Map::new(),
            })],
            now,
            Some(&format!("s-{i}")),
        );
    }
    assert_eq!(t.sessions.len(), MAX_LISTED);
    assert_eq!(t.metrics.commands_executed.len(), MAX_LISTED);
    assert_eq!(t.metrics.commands_executed[0].command.len(), MAX_TEXT);
    let events: u64 = t.sessions.iter().map(|s| s.events["command"]).sum();
    assert_eq!(
        events,
        MAX_LISTED as u64 + 5,
        "merged sessions keep their counts"
    );
    assert_eq!(
        t.session_start.as_deref(),
        Some("2026-01-01T00:00:00+00:00")
    );
}

#[test]
fn concurrent_events_slightly_out_of_order_join_one_session() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    t.apply(&[Event::JsonCall], at("2026-11-29T10:00:05Z"), None);
    t.apply(&[Event::JsonCall], at("2026-11-29T10:00:01Z"), None);
    assert_eq!(t.sessions.len(), 1);
    assert_eq!(t.sessions[0].session_start, "2026-11-29T10:00:01+00:00");
    assert_eq!(t.sessions[0].duration_ms, 4000);
}
