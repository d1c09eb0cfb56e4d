use super::*;
use serde_json::json;

#[test]
fn each_pattern_is_found_with_its_place() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
    let cases = [
        ("key AKIAABCDEFGHIJKLMNOP here", "AWS access key"),
        (&*format!("sk_live_{}", "a".repeat(24)), "Stripe live key"),
        (jwt, "JWT token"),
        (&*format!("ghp_{}", "b".repeat(36)), "GitHub token"),
        (&*format!("glpat-{}", "c".repeat(20)), "GitLab token"),
        ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
        ("-----BEGIN PRIVATE KEY-----", "private key"),
    ];
    for (text, kind) in cases {
        let hit = scan(&json!({"a": {"b": ["ok", text]}})).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(hit.kind, kind);
        assert_eq!(hit.path, "/a/b/1");
    }
}

#[test]
fn clean_data_keys_and_near_misses_pass() {
    assert_eq!(
        scan(&json!({"AKIAABCDEFGHIJKLMNOP": "key names are not scanned", "n": 5})),
        None
    );
    assert_eq!(
        scan(&json!([
            "AKIA123",
            "ghp_short",
            "sk_test_abcdefghijklmnopqrstuvwxyz"
        ])),
        None
    );
}

#[test]
fn the_first_hit_in_document_order_wins() {
    let hit =
        scan(&json!({"a": "AKIAABCDEFGHIJKLMNOP", "b": "-----BEGIN EC PRIVATE KEY-----"})).unwrap();
    assert_eq!(hit.path, "/a");
}

/// The needles only spare the regular expressions: on strings built around every needle, every
/// pattern's own example and near misses, the scan says what the expressions alone say.
#[test]
fn the_needles_never_change_the_verdict() {
    let plain = |text: &str| {
        PATTERNS
            .iter()
            .find(|(_, pattern, _)| Regex::new(pattern).unwrap().is_match(text))
            .map(|(kind, _, _)| *kind)
    };
    let mut texts: Vec<String> = vec![
        String::new(),
        "plain words".into(),
        "AKIAABCDEFGHIJKLMNOP".into(),
        "akiaabcdefghijklmnop".into(),
        format!("sk_live_{}", "a".repeat(24)),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig".into(),
        "eyJ.eyJ.".into(),
        "-----BEGIN OPENSSH PRIVATE KEY-----".into(),
        "-----BEGIN  PRIVATE KEY-----".into(),
        "BEGIN PRIVATE KEY".into(),
    ];
    for (_, _, needles) in PATTERNS {
        for needle in needles {
            for tail in ["", "x", &"A".repeat(40), &"z9".repeat(20), "_-._-."] {
                texts.push(format!("{needle}{tail}"));
                texts.push(format!("pre {needle}{tail} post"));
            }
        }
    }
    for text in &texts {
        assert_eq!(kind_of(text), plain(text), "{text:?}");
    }
    // And every pattern is caught somewhere in that set.
    for (kind, _, _) in PATTERNS {
        assert!(texts.iter().any(|t| kind_of(t) == Some(kind)), "{kind}");
    }
}
