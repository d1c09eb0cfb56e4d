use super::*;
use crate::error::ErrorCode;
use serde_json::{Value, json};

#[derive(Serialize)]
struct Body {
    count: u32,
}

fn printer(shape: Shape) -> Printer {
    Printer {
        format: Format::Json,
        shape,
        generated_at: "2026-11-25T10:00:00+00:00".to_string(),
    }
}

fn success(shape: Shape) -> Value {
    let mut out = Vec::new();
    printer(shape)
        .json_success(&mut out, &Body { count: 3 })
        .unwrap();
    assert!(out.ends_with(b"}\n"));
    serde_json::from_slice(&out).unwrap()
}

fn error(shape: Shape) -> Value {
    let mut out = Vec::new();
    let e = Error::new(ErrorCode::E051, "no context").with_detail("task_id", "TASK-0001");
    printer(shape).json_error(&mut out, &e).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn the_three_success_shapes() {
    let at = "2026-11-25T10:00:00+00:00";
    assert_eq!(
        success(Shape::Flat),
        json!({"count": 3, "generated_at": at})
    );
    assert_eq!(
        success(Shape::FlatSuccess),
        json!({"count": 3, "success": true, "generated_at": at})
    );
    assert_eq!(
        success(Shape::Envelope),
        json!({"success": true, "data": {"count": 3}, "error": null})
    );
}

#[test]
fn errors_carry_data_null_or_generated_at() {
    let body = json!({
        "code": "E051",
        "name": "CONTEXT_NOT_FOUND",
        "message": "no context",
        "details": {"task_id": "TASK-0001"},
        "recovery_action": "Run --init-context first"
    });
    assert_eq!(
        error(Shape::Envelope),
        json!({"success": false, "error": body, "data": null})
    );
    assert_eq!(
        error(Shape::Flat),
        json!({"success": false, "error": body, "generated_at": "2026-11-25T10:00:00+00:00"})
    );
}

#[test]
fn prefix_never_splits_a_character() {
    assert_eq!(prefix("0123456789abcdef", 8), "01234567");
    assert_eq!(prefix("abc", 8), "abc");
    assert_eq!(prefix("ééééééééé", 8), "éééééééé");
    assert_eq!(prefix("", 8), "");
}
