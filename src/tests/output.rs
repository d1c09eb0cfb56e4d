use super::*;
use crate::error::ErrorCode;
use serde_json::{Value, json};

#[derive(Serialize)]
struct Body {
    count: u32,
    #[serde(skip)]
    failure: Option<Error>,
}

impl Report for Body {
    fn text(&self, _: &mut Text) {}
    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }
}

const AT: &str = "2026-11-25T10:00:00+00:00";

fn printer(shape: Shape) -> Printer {
    Printer {
        format: Format::Json,
        shape,
        generated_at: AT.to_string(),
    }
}

fn success(shape: Shape, failure: Option<Error>) -> Value {
    let mut out = Vec::new();
    printer(shape)
        .json_success(&mut out, &Body { count: 3, failure })
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
fn every_document_has_success_and_generated_at() {
    assert_eq!(
        success(Shape::Flat, None),
        json!({"count": 3, "success": true, "generated_at": AT})
    );
    assert_eq!(
        success(Shape::Envelope, None),
        json!({"success": true, "data": {"count": 3}, "error": null, "generated_at": AT})
    );
    assert_eq!(
        success(Shape::Verdict { data: false }, None),
        json!({"count": 3, "success": true, "generated_at": AT})
    );
    assert_eq!(
        success(Shape::Verdict { data: true }, None),
        json!({"count": 3, "success": true, "data": {"count": 3}, "error": null, "generated_at": AT})
    );
}

#[test]
fn a_failed_verdict_keeps_its_report_at_the_top_level_with_the_error() {
    let doc = success(
        Shape::Verdict { data: false },
        Some(Error::new(ErrorCode::E010, "2 problems")),
    );
    assert_eq!(doc["count"], 3);
    assert_eq!(doc["success"], false);
    assert_eq!(doc["error"]["code"], "E010");
    assert_eq!(doc["generated_at"], AT);
}

#[test]
fn errors_carry_data_null_where_the_shape_has_data() {
    let body = json!({
        "code": "E051",
        "name": "CONTEXT_NOT_FOUND",
        "message": "no context",
        "details": {"task_id": "TASK-0001"},
        "recovery_action": "Run --init-context first"
    });
    assert_eq!(
        error(Shape::Envelope),
        json!({"success": false, "error": body, "data": null, "generated_at": AT})
    );
    assert_eq!(
        error(Shape::Verdict { data: true }),
        json!({"success": false, "error": body, "data": null, "generated_at": AT})
    );
    assert_eq!(
        error(Shape::Flat),
        json!({"success": false, "error": body, "generated_at": AT})
    );
}
