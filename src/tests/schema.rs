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
    assert!(by_name("--list").is_some(), "a flag is also accepted");
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
    let info = |flag: &str| crate::cli::command_info(flag).unwrap();
    // Flat: the report's fields at the top.
    let list = command(info("list"));
    assert!(list["$defs"]["Success"]["properties"]["tasks"].is_object());
    // Envelope: under data, with error null.
    let init = command(info("init-context"));
    assert_eq!(
        init["$defs"]["Success"]["properties"]["data"]["$ref"],
        "#/$defs/Report"
    );
    assert_eq!(
        init["$defs"]["Failure"]["required"],
        json!(["success", "error", "generated_at", "data"])
    );
    // A verdict: success may be false, the error is listed.
    let validate = command(info("validate"));
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
    assert!(at("version") < at("anyOf"));
    assert!(at("anyOf") < at("$defs"));
    assert!(text.ends_with("}\n"));
}
