use super::*;

#[test]
fn every_name_is_unique_and_found() {
    let names = names();
    let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    let commands: usize = crate::cli::FAMILIES.iter().map(|(_, c)| c.len()).sum();
    assert_eq!(names.len(), commands + PRINTED.len() + 2 + FILES.len());
    for name in names {
        assert!(by_name(name).is_some(), "{name}");
    }
    assert!(by_name("nope").is_none());
}

#[test]
fn objects_are_closed_unless_they_keep_unknown_keys() {
    let mut schema = json!({
        "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}},
        "$defs": {"Open": {"properties": {"x": {}}, "additionalProperties": true}}
    });
    close(&mut schema);
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["a"]["additionalProperties"], false);
    assert_eq!(schema["$defs"]["Open"]["additionalProperties"], true);
}

#[test]
fn merge_adds_the_document_fields_to_every_branch_of_a_choice() {
    let defs: Map<String, Value> = [(
        "B".to_string(),
        json!({"type": "object", "properties": {"b": {}}, "required": ["b"]}),
    )]
    .into_iter()
    .collect();
    let report = json!({"anyOf": [
        {"type": "object", "properties": {"a": {}}, "required": ["a"]},
        {"$ref": "#/$defs/B"}
    ]});
    let merged = merge(&report, &defs, &[("success", json!({"const": true}), true)]);
    for (branch, own) in [(0, "a"), (1, "b")] {
        let b = &merged["anyOf"][branch];
        assert_eq!(b["properties"]["success"], json!({"const": true}));
        assert_eq!(b["required"], json!([own, "success"]));
    }
    // An optional field is listed, not required.
    let merged = merge(
        &json!({"properties": {}}),
        &defs,
        &[("error", json!({}), false)],
    );
    assert_eq!(merged["required"], json!([]));
    assert!(merged["properties"].get("error").is_some());
}

#[test]
fn each_shape_puts_the_report_where_the_document_has_it() {
    // Flat: the report's fields at the top.
    let list = by_name("list").unwrap();
    assert!(list["$defs"]["Success"]["properties"]["tasks"].is_object());
    // Envelope: under data, with error null.
    let init = by_name("init-context").unwrap();
    assert_eq!(
        init["$defs"]["Success"]["properties"]["data"]["$ref"],
        "#/$defs/Report"
    );
    assert_eq!(
        init["$defs"]["Failure"]["required"],
        json!(["success", "error", "generated_at", "data"])
    );
    // A verdict: success may be false, the error is listed.
    let validate = by_name("validate").unwrap();
    let success = &validate["$defs"]["Success"];
    assert_eq!(success["properties"]["success"]["type"], "boolean");
    assert!(success["properties"].get("error").is_some());
}

#[test]
fn the_text_starts_with_the_head_and_ends_with_the_definitions() {
    let text = to_text(&by_name("list").unwrap());
    let at = |key: &str| text.find(&format!("\n  \"{key}\"")).unwrap();
    assert!(at("$schema") < at("$id"));
    assert!(at("$id") < at("title"));
    assert!(at("$comment") < at("anyOf"));
    assert!(at("anyOf") < at("$defs"));
    assert!(text.ends_with("}\n"));
}

#[test]
fn published_schemas_are_open_and_strict_ones_closed() {
    let open = by_name("list").unwrap();
    let closed = strict("list").unwrap();
    assert!(
        open["$defs"]["Success"]
            .get("additionalProperties")
            .is_none()
    );
    assert_eq!(closed["$defs"]["Success"]["additionalProperties"], false);
    // Types that keep unknown keys stay open in both.
    let context = strict("context.json").unwrap();
    assert_eq!(context["additionalProperties"], true);
}

#[test]
fn only_draft_2020_12_keywords_and_formats_are_used() {
    for name in names() {
        let text = to_text(&by_name(name).unwrap());
        for rust_format in [
            "uint", "int64", "int32", "double", "float", "uint8", "uint16",
        ] {
            assert!(
                !text.contains(&format!("\"format\": \"{rust_format}\"")),
                "{name}: format {rust_format}"
            );
        }
        let mut unknown = Vec::new();
        keywords(&by_name(name).unwrap(), &mut unknown);
        assert!(
            unknown.is_empty(),
            "{name}: keywords outside 2020-12: {unknown:?}"
        );
        assert!(!text.contains("[`"), "{name}: a rustdoc link");
        assert!(!text.contains("(spec "), "{name}: a spec reference");
    }
}

#[test]
fn plain_descriptions_drop_spec_references_and_link_brackets() {
    assert_eq!(
        plain("Draft bookkeeping (spec 01 §6.5); sorted."),
        "Draft bookkeeping; sorted."
    );
    assert_eq!(
        plain("A snapshot (spec 03 §2.2; kept as is)."),
        "A snapshot (kept as is)."
    );
    assert_eq!(plain("How it was made (schemas §1.1)."), "How it was made.");
    assert_eq!(
        plain("Empty for [`WHOLE`] (see x)."),
        "Empty for `WHOLE` (see x)."
    );
}

/// Keywords of the draft 2020-12 vocabularies this crate may use.
const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "contains",
];

/// Every keyword of `schema` not in [`KEYWORDS`] (property and definition names are not
/// keywords).
fn keywords(schema: &Value, unknown: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object {
                if !KEYWORDS.contains(&key.as_str()) {
                    unknown.push(key.clone());
                }
                match key.as_str() {
                    "properties" | "$defs" | "patternProperties" => {
                        if let Value::Object(children) = value {
                            children.values().for_each(|c| keywords(c, unknown));
                        }
                    }
                    "enum" | "const" | "default" | "examples" | "required" => {}
                    _ => keywords(value, unknown),
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|v| keywords(v, unknown)),
        _ => {}
    }
}
