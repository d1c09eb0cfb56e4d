//! Rendering results and errors (contract D3): exactly one JSON document on stdout in JSON mode,
//! text on stdout otherwise, and warnings and diagnostics on stderr, always.

use crate::error::Error;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// The JSON shape a verb's result takes (contract D3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The reference's flat object plus `generated_at`.
    Flat,
    /// A flat object with `success` and `generated_at` (verbs the reference printed as text).
    FlatSuccess,
    /// `{"success": true, "data": {...}, "error": null}`.
    Envelope,
}

/// Text output of a verb: what goes to stdout and what goes to stderr.
#[derive(Debug, Default)]
pub struct Text {
    pub stdout: String,
    pub stderr: String,
}

/// A verb's result: serializable for JSON, renderable as text, with its exit code.
pub trait Report: Serialize {
    fn text(&self, out: &mut Text);
    /// Verdicts that are not errors may exit non-zero (`--pick` with nothing ready: 1).
    fn exit_code(&self) -> u8 {
        0
    }
}

/// Everything needed to print one result.
#[derive(Debug)]
pub struct Rendered {
    pub json: Value,
    pub text: Text,
    pub exit: u8,
}

impl Rendered {
    pub fn from_report<R: Report>(report: &R) -> Rendered {
        let mut text = Text::default();
        report.text(&mut text);
        Rendered {
            json: serde_json::to_value(report).unwrap_or(Value::Null),
            text,
            exit: report.exit_code(),
        }
    }
}

/// The stream printer. Broken pipes (`tasks --list | head -1`) end output quietly.
pub struct Printer {
    pub format: Format,
    pub shape: Shape,
    pub generated_at: String,
}

impl Printer {
    pub fn warnings(&self, warnings: &[String]) {
        let mut err = std::io::stderr().lock();
        for w in warnings {
            let _ = writeln!(err, "{w}");
        }
    }

    pub fn success(&self, rendered: &Rendered) -> u8 {
        match self.format {
            Format::Json => write_stdout(&self.document(rendered.json.clone(), true)),
            Format::Text => {
                write_stderr(&rendered.text.stderr);
                write_stdout(&rendered.text.stdout);
            }
        }
        rendered.exit
    }

    pub fn error(&self, error: &Error) -> u8 {
        match self.format {
            Format::Json => {
                let mut obj = Map::new();
                obj.insert("success".into(), Value::Bool(false));
                obj.insert("error".into(), error.to_json());
                match self.shape {
                    Shape::Envelope => {
                        obj.insert("data".into(), Value::Null);
                    }
                    Shape::Flat | Shape::FlatSuccess => {
                        obj.insert(
                            "generated_at".into(),
                            Value::String(self.generated_at.clone()),
                        );
                    }
                }
                write_stdout(&to_pretty(&Value::Object(obj)));
            }
            Format::Text => {
                let code = error.code.info().code;
                write_stderr(&format!(
                    "Error [{code}]: {}\nRecovery: {}\n",
                    error.message, error.recovery
                ));
            }
        }
        error.exit
    }

    fn document(&self, body: Value, success: bool) -> String {
        let doc = match self.shape {
            Shape::Envelope => serde_json::json!({
                "success": success,
                "data": body,
                "error": Value::Null,
            }),
            Shape::Flat | Shape::FlatSuccess => {
                let mut obj = match body {
                    Value::Object(obj) => obj,
                    other => {
                        let mut obj = Map::new();
                        obj.insert("result".into(), other);
                        obj
                    }
                };
                if self.shape == Shape::FlatSuccess {
                    obj.insert("success".into(), Value::Bool(success));
                }
                obj.insert(
                    "generated_at".into(),
                    Value::String(self.generated_at.clone()),
                );
                Value::Object(obj)
            }
        };
        to_pretty(&doc)
    }
}

fn to_pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string());
    s.push('\n');
    s
}

fn write_stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
}

fn write_stderr(s: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(s.as_bytes());
}
