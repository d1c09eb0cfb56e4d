//! JSON Schemas (draft 2020-12) of every JSON document the tool prints and of every state file it
//! writes, generated from the Rust types that serialize them (`schemars`, serialize contract), so
//! that a schema cannot drift from the code. `tasks --schema NAME` prints one; `docs/schemas/`
//! holds them all (the tests check both against the real outputs).
//!
//! A command's schema is `anyOf` its success document (in the command's JSON shape, contract D3)
//! and its error document. Published schemas leave objects open, so that a field added in a
//! later minor version does not break a consumer; the tests check outputs against the strict
//! form ([`strict`]), where every object is closed unless its type keeps unknown keys.

use crate::app::CommandInfo;
use crate::output::Shape;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// The version of the schema set (in every `$id`): major when a field is removed, renamed or
/// changes type, minor when a field or a schema is added.
pub const VERSION: &str = "1.0.0";

/// How a report's schema is made (`CommandInfo::report`).
pub type Of = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T` (its nested types go to the generator's definitions).
pub fn of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::json_schema(generator)
}

/// Schemas of values kept as raw JSON in the types (`#[schemars(schema_with = …)]`).
pub fn scalar(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": ["string", "number", "boolean", "null"]})
}

pub fn string_or_null(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": ["string", "null"]})
}

pub fn number_or_null(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": ["number", "null"]})
}

/// An array of objects (kept with whatever keys they have), or absent.
pub fn objects(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "array", "items": {"type": "object"}})
}

/// An array of any values, or absent.
pub fn array(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "array"})
}

/// The documents that are not a command's result: `--help`, `--version`, `--man` and
/// `--completions` with `--format json` (the text as a field), `--schema` itself, and the error
/// of a command line that names no command.
const PRINTED: [(&str, &str); 4] = [
    ("help", "the help text"),
    ("version", "the version number"),
    ("man", "the manual page (roff)"),
    ("completions", "the completion script"),
];

/// A state file the tool writes: its schema name, where it lives, and its type.
struct File {
    name: &'static str,
    path: &'static str,
    what: &'static str,
    of: Of,
}

const FILES: &[File] = &[
    File {
        name: "context.json",
        path: ".agent-output/TASK-XXXX/context.json",
        what: "a task's context: the immutable snapshot and the agents' coordination",
        of: of::<crate::context::model::Context>,
    },
    File {
        name: "context.manifest",
        path: ".agent-output/TASK-XXXX/context.manifest",
        what: "what a context was built from, with the sha256 of each source",
        of: of::<crate::context::model::Manifest>,
    },
    File {
        name: "evidence-index.json",
        path: ".agent-output/TASK-XXXX/evidence/index.json",
        what: "every piece of evidence attached to a task",
        of: of::<crate::evidence::index::Index>,
    },
    File {
        name: "standards-index.json",
        path: ".agent-output/TASK-XXXX/evidence/standards/index.json",
        what: "the standards excerpts cached for a task",
        of: of::<crate::context::excerpts::ExcerptIndex>,
    },
    File {
        name: "archive-listing.json",
        path: ".agent-output/TASK-XXXX/evidence/archives/<name>-<id>.index.json",
        what: "the listing of an archived directory (also .agent-output/.completed/TASK-XXXX/context-<id>.index.json)",
        of: of::<crate::evidence::archive::ArchiveIndex>,
    },
    File {
        name: "exceptions.json",
        path: "docs/compliance/context-cache-exceptions.json",
        what: "the exception ledger",
        of: of::<crate::ledger::Ledger>,
    },
    File {
        name: "quarantine-index.json",
        path: "docs/compliance/quarantine/index.json",
        what: "the quarantine index",
        of: of::<crate::quarantine::Index>,
    },
    File {
        name: "quarantine-entry.json",
        path: "docs/compliance/quarantine/TASK-XXXX.quarantine.json",
        what: "one quarantined task (also under resolved/ once released)",
        of: of::<crate::quarantine::Entry>,
    },
    File {
        name: "telemetry.json",
        path: ".agent-output/TASK-XXXX/telemetry-<role>.json",
        what: "what one agent role did on a task",
        of: of::<crate::telemetry::Telemetry>,
    },
    File {
        name: "metrics.json",
        path: ".agent-output/TASK-XXXX/metrics.json",
        what: "a task's success criteria (also .agent-output/.completed/TASK-XXXX/metrics.json)",
        of: of::<crate::metrics::Summary>,
    },
    File {
        name: "dashboard.json",
        path: "docs/evidence/metrics/cache-hardening-dashboard.json",
        what: "the metrics dashboard (--generate-dashboard)",
        of: of::<crate::metrics::dashboard::Dashboard>,
    },
];

/// What a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The JSON output of a command.
    Command,
    /// The JSON output of `--help`, `--version`, `--man`, `--completions`, `--schema`, and the
    /// error of a command line that names no command.
    Output,
    /// A state file.
    File,
}

/// One published schema.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: &'static str,
    pub kind: Kind,
    /// What it describes, in a few words.
    pub what: String,
}

impl Entry {
    /// Its file under `docs/schemas/`.
    pub fn doc_path(&self) -> String {
        match self.kind {
            Kind::Command | Kind::Output => format!("commands/{}.schema.json", self.name),
            Kind::File => format!(
                "files/{}.schema.json",
                self.name.strip_suffix(".json").unwrap_or(self.name)
            ),
        }
    }
}

/// Every schema, commands first (in the order of the help), then the other outputs, then files.
pub fn entries() -> Vec<Entry> {
    let commands = crate::cli::FAMILIES
        .iter()
        .flat_map(|(_, commands)| commands.iter())
        .map(|info| Entry {
            name: info.flag,
            kind: Kind::Command,
            what: format!("tasks --{} --format json", info.flag),
        });
    let printed = PRINTED
        .iter()
        .map(|(name, what)| (*name, format!("tasks --{name} --format json: {what}")))
        .chain([
            ("schema", "tasks --schema NAME: a JSON Schema".to_string()),
            (
                "error",
                "the error of a command line that names no command".to_string(),
            ),
        ])
        .map(|(name, what)| Entry {
            name,
            kind: Kind::Output,
            what,
        });
    let files = FILES.iter().map(|file| Entry {
        name: file.name,
        kind: Kind::File,
        what: format!("{}: {}", file.path, file.what),
    });
    commands.chain(printed).chain(files).collect()
}

/// The names `--schema` takes.
pub fn names() -> Vec<&'static str> {
    // Built on every run (the parser offers them): names only, no descriptions.
    let commands = crate::cli::FAMILIES
        .iter()
        .flat_map(|(_, commands)| commands.iter().map(|info| info.flag));
    let printed = PRINTED.iter().map(|(name, _)| *name);
    let files = FILES.iter().map(|file| file.name);
    commands
        .chain(printed)
        .chain(["schema", "error"])
        .chain(files)
        .collect()
}

fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
}

/// The published schema called `name` (a command's flag without `--`, another output, or a
/// file), or `None`.
pub fn by_name(name: &str) -> Option<Value> {
    let mut schema = generate(name)?;
    tidy(&mut schema);
    Some(schema)
}

/// [`by_name`] with every object closed (`additionalProperties: false`) unless its type keeps
/// unknown keys: what the tests check every output against, so that a field the code prints
/// without its type saying so cannot pass.
pub fn strict(name: &str) -> Option<Value> {
    let mut schema = generate(name)?;
    close(&mut schema);
    tidy(&mut schema);
    Some(schema)
}

fn generate(name: &str) -> Option<Value> {
    if let Some(info) = crate::cli::command_info(name) {
        return Some(command(info));
    }
    if let Some((_, what)) = PRINTED.iter().find(|(n, _)| *n == name) {
        return Some(printed(name, what));
    }
    match name {
        "schema" => return Some(schema_output()),
        "error" => return Some(error_output()),
        _ => {}
    }
    FILES.iter().find(|f| f.name == name).map(file)
}

/// The text of a schema: pretty JSON with its head (`$schema`, `$id`, `title`, `description`,
/// `$comment`) first and its definitions last, plus a newline.
pub fn to_text(schema: &Value) -> String {
    struct Ordered<'a>(&'a Map<String, Value>);
    impl serde::Serialize for Ordered<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            const FIRST: [&str; 5] = ["$schema", "$id", "title", "description", "$comment"];
            let rank = |key: &str| match FIRST.iter().position(|k| *k == key) {
                Some(i) => i,
                None if key == "$defs" => FIRST.len() + 1,
                None => FIRST.len(),
            };
            let mut entries: Vec<(&String, &Value)> = self.0.iter().collect();
            entries.sort_by_key(|(key, _)| rank(key));
            let mut map = s.serialize_map(Some(entries.len()))?;
            for (key, value) in entries {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    let text = match schema {
        Value::Object(map) => serde_json::to_string_pretty(&Ordered(map)),
        other => serde_json::to_string_pretty(other),
    };
    format!("{}\n", text.unwrap_or_default())
}

/// The top of every schema: dialect, id, title, version.
fn head(kind: &str, name: &str, title: &str, description: &str) -> Map<String, Value> {
    let mut head = Map::new();
    head.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    head.insert(
        "$id".into(),
        json!(format!("urn:tasks:schema:{kind}:{name}:{VERSION}")),
    );
    head.insert("title".into(), json!(title));
    head.insert("description".into(), json!(description));
    head.insert(
        "$comment".into(),
        json!(format!(
            "Version {VERSION} of the tasks JSON Schemas (docs/schemas/README.md)"
        )),
    );
    head
}

fn generated_at() -> Value {
    json!({
        "description": "When the document was printed (RFC 3339, UTC)",
        "type": "string",
        "format": "date-time"
    })
}

/// The schema of `--NAME --format json`: its success document in the command's shape, or its
/// error document.
fn command(info: &CommandInfo) -> Value {
    let mut generator = generator();
    let report = (info.report)(&mut generator).to_value();
    let error = generator
        .subschema_for::<crate::error::ErrorJson>()
        .to_value();
    let mut defs = generator.take_definitions(true);
    let success = success_document(info.shape, &report, &error, &defs);
    // The report itself, where the document has it under `data`.
    if matches!(info.shape, Shape::Envelope | Shape::Verdict { data: true }) {
        defs.insert("Report".into(), report);
    }
    defs.insert("Success".into(), success);
    defs.insert("Failure".into(), error_document(info.shape, &error));
    let mut schema = head(
        "command",
        info.flag,
        &format!("tasks --{} --format json", info.flag),
        info.summary,
    );
    schema.insert(
        "anyOf".into(),
        json!([{"$ref": "#/$defs/Success"}, {"$ref": "#/$defs/Failure"}]),
    );
    schema.insert("$defs".into(), Value::Object(defs));
    Value::Object(schema)
}

/// The document of a result: the report's fields at the top level (flat and verdict shapes) or
/// under `data` (envelope), with `success`, `error` and `generated_at`.
fn success_document(
    shape: Shape,
    report: &Value,
    error: &Value,
    defs: &Map<String, Value>,
) -> Value {
    let report_ref = json!({"$ref": "#/$defs/Report"});
    match shape {
        Shape::Envelope => json!({
            "type": "object",
            "properties": {
                "success": {"const": true},
                "data": report_ref,
                "error": {"type": "null"},
                "generated_at": generated_at(),
            },
            "required": ["success", "data", "error", "generated_at"],
            "additionalProperties": false
        }),
        Shape::Flat => merge(
            report,
            defs,
            &[
                ("success", json!({"const": true}), true),
                ("generated_at", generated_at(), true),
            ],
        ),
        Shape::Verdict { data } => {
            let mut fields = vec![
                (
                    "success",
                    json!({
                        "description": "false when the verdict fails (then `error` says why), or for a halt or an interrupted run (no `error`)",
                        "type": "boolean"
                    }),
                    true,
                ),
                ("generated_at", generated_at(), true),
            ];
            if data {
                fields.push(("error", json!({"anyOf": [error, {"type": "null"}]}), true));
                fields.push(("data", report_ref, true));
            } else {
                fields.push(("error", error.clone(), false));
            }
            merge(report, defs, &fields)
        }
    }
}

/// `schema` (an object, a reference to one, or a choice of them) with `fields` added to its
/// properties (`true`: required).
fn merge(schema: &Value, defs: &Map<String, Value>, fields: &[(&str, Value, bool)]) -> Value {
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name))
    {
        return merge(target, defs, fields);
    }
    for choice in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(choice) {
            let mut merged = schema.clone();
            merged[choice] = Value::Array(
                branches
                    .iter()
                    .map(|branch| merge(branch, defs, fields))
                    .collect(),
            );
            return merged;
        }
    }
    let mut merged = schema.clone();
    let Some(object) = merged.as_object_mut() else {
        return merged;
    };
    object.insert("type".into(), json!("object"));
    if let Value::Object(properties) = object.entry("properties").or_insert_with(|| json!({})) {
        for (name, field, _) in fields {
            properties.insert((*name).to_string(), field.clone());
        }
    }
    let required = object.entry("required").or_insert_with(|| json!([]));
    if let Value::Array(required) = required {
        for (name, _, is_required) in fields {
            if *is_required && !required.iter().any(|r| r == name) {
                required.push(json!(name));
            }
        }
    }
    merged
}

/// The document of an error: `success: false`, the error object, and `data: null` for the
/// shapes whose results are under `data`.
fn error_document(shape: Shape, error: &Value) -> Value {
    let data = matches!(shape, Shape::Envelope | Shape::Verdict { data: true });
    let mut properties = Map::new();
    properties.insert("success".into(), json!({"const": false}));
    let mut required = vec![json!("success"), json!("error"), json!("generated_at")];
    if data {
        properties.insert("data".into(), json!({"type": "null"}));
        required.push(json!("data"));
    }
    properties.insert("error".into(), error.clone());
    properties.insert("generated_at".into(), generated_at());
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

/// `--help`, `--version`, `--man`, `--completions` with `--format json`.
fn printed(name: &str, what: &str) -> Value {
    let mut schema = head(
        "output",
        name,
        &format!("tasks --{name} --format json"),
        &format!("{what}, as one JSON document"),
    );
    schema.insert("type".into(), json!("object"));
    schema.insert(
        "properties".into(),
        json!({
            "success": {"const": true},
            name: {"description": what, "type": "string"},
            "generated_at": generated_at(),
        }),
    );
    schema.insert("required".into(), json!(["success", name, "generated_at"]));
    schema.insert("additionalProperties".into(), json!(false));
    Value::Object(schema)
}

/// `--schema NAME` prints a JSON Schema, in every format.
fn schema_output() -> Value {
    let mut schema = head(
        "output",
        "schema",
        "tasks --schema NAME",
        "A JSON Schema (draft 2020-12) of the tasks set, printed as is in every format",
    );
    schema.insert(
        "$ref".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    schema.insert("type".into(), json!("object"));
    schema.insert(
        "properties".into(),
        json!({
            "$schema": {"const": "https://json-schema.org/draft/2020-12/schema"},
            "$id": {"type": "string", "pattern": "^urn:tasks:schema:"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "$comment": {"type": "string"},
        }),
    );
    schema.insert(
        "required".into(),
        json!(["$schema", "$id", "title", "description"]),
    );
    // The rest is the schema's own (`anyOf`, `$defs`, `properties`, …).
    schema.insert("additionalProperties".into(), json!(true));
    Value::Object(schema)
}

/// The error of a command line that names no command (`tasks --bogus --format json`).
fn error_output() -> Value {
    let mut generator = generator();
    let error = generator
        .subschema_for::<crate::error::ErrorJson>()
        .to_value();
    let defs = generator.take_definitions(true);
    let mut schema = head(
        "output",
        "error",
        "tasks --format json: a command line that names no command",
        "The usage error of a command line the tool cannot read as a command",
    );
    schema.insert(
        "anyOf".into(),
        json!([
            error_document(Shape::Flat, &error),
            error_document(Shape::Envelope, &error)
        ]),
    );
    schema.insert("$defs".into(), Value::Object(defs));
    Value::Object(schema)
}

fn file(file: &File) -> Value {
    let mut generator = generator();
    let root = (file.of)(&mut generator).to_value();
    let defs = generator.take_definitions(true);
    let mut schema = head("file", file.name, file.path, file.what);
    match root {
        Value::Object(root) => {
            for (key, value) in root {
                // The type's own title and description give way to the file's.
                if !["title", "description"].contains(&key.as_str()) {
                    schema.insert(key, value);
                }
            }
        }
        other => {
            schema.insert("allOf".into(), json!([other]));
        }
    }
    if !defs.is_empty() {
        schema.insert("$defs".into(), Value::Object(defs));
    }
    Value::Object(schema)
}

/// Keywords outside draft 2020-12 that schemars adds: the Rust integer and float `format`s
/// (`uint64`, `double`, …), which strict validators (Ajv) refuse; `minimum`/`maximum` say the
/// same. And descriptions cleaned of references to the specs and the Rust code.
fn tidy(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !["date-time", "date"].contains(&f))
            {
                object.remove("format");
            }
            if let Some(Value::String(text)) = object.get_mut("description") {
                *text = plain(text);
            }
            for (key, value) in object.iter_mut() {
                // Property names are not schemas (a property may be called `format`).
                if key == "properties" || key == "$defs" {
                    if let Value::Object(children) = value {
                        children.values_mut().for_each(tidy);
                    }
                } else {
                    tidy(value);
                }
            }
        }
        Value::Array(values) => values.iter_mut().for_each(tidy),
        _ => {}
    }
}

/// A doc comment as a consumer reads it: without "(spec 01 §7.1 …)" or "(schemas §10.1)"
/// references, and without rustdoc link brackets.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('(') {
        let inner = &rest[start + 1..];
        match inner.find(')') {
            Some(end) if inner.starts_with("spec ") || inner.starts_with("schemas §") => {
                out.push_str(rest[..start].trim_end());
                let after = &inner[end + 1..];
                // "(spec 03 §2.2; more words)" keeps the words after the reference.
                if let Some((_, words)) = inner[..end].split_once("; ") {
                    out.push_str(&format!(" ({words})"));
                }
                rest = after;
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = inner;
            }
        }
    }
    out.push_str(rest);
    out.replace("[`", "`").replace("`]", "`").replace('\n', " ")
}

/// Close every object schema that lists its properties and says nothing of others (a type that
/// keeps unknown keys says so).
fn close(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.contains_key("properties")
                && !object.contains_key("additionalProperties")
                && !object.contains_key("unevaluatedProperties")
                && !object.contains_key("patternProperties")
            {
                object.insert("additionalProperties".into(), json!(false));
            }
            for value in object.values_mut() {
                close(value);
            }
        }
        Value::Array(values) => values.iter_mut().for_each(close),
        _ => {}
    }
}

/// The name of the schema of what a command line prints (`argv` without the program name), as
/// the tool reads it: its command's, another output's, or `error` for a command line that names
/// no command; `None` when it prints text.
pub fn name_for_args(args: &[&str]) -> Option<&'static str> {
    use crate::output::Format;
    let argv: Vec<std::ffi::OsString> = std::iter::once("tasks")
        .chain(args.iter().copied())
        .map(Into::into)
        .collect();
    match crate::cli::parse(argv) {
        crate::cli::Parsed::Run(invocation) => {
            (invocation.format == Format::Json).then(|| invocation.verb.info().flag)
        }
        crate::cli::Parsed::Print { what, format, .. } => {
            (what == "schema" || format == Format::Json).then_some(what)
        }
        crate::cli::Parsed::Usage {
            command, format, ..
        } => (format == Format::Json).then(|| command.unwrap_or("error")),
    }
}

#[cfg(test)]
#[path = "tests/schema.rs"]
mod tests;
