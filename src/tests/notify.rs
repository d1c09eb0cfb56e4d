use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Config {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_env(|k| map.get(k).cloned())
}

#[test]
fn nothing_configured_sends_nothing() {
    assert!(!config(&[]).is_enabled());
    assert!(
        !config(&[("TELEGRAM_BOT_TOKEN", "t")]).is_enabled(),
        "a token without chat id"
    );
    assert!(
        !config(&[("NTFY_TOPIC", "  ")]).is_enabled(),
        "blank values are unset"
    );
    let outcome = send(&config(&[]), "x");
    assert_eq!(outcome.channel, None);
    assert!(outcome.warnings.is_empty());
}

#[test]
fn variables_and_their_aliases() {
    let c = config(&[
        ("NTFY_TOPIC", "/team/"),
        ("NTFYT_BASE_URL", "http://h:1/"),
        ("NTFY_ACCESS_TOKEN", "k"),
    ]);
    assert_eq!(
        c.ntfy,
        Some(Ntfy {
            base_url: "http://h:1/".into(),
            topic: Some("/team/".into()),
            access_token: Some("k".into())
        })
    );
    let c = config(&[("NTFYT_TOPIC", "a"), ("NTFY_TOPIC", "b")]);
    assert_eq!(
        c.ntfy.unwrap().topic.as_deref(),
        Some("a"),
        "the NTFYT_ spelling wins"
    );
    let c = config(&[("TELEGRAM_BOT_TOKEN", "t"), ("TELEGRAM_CHAT_ID", "42")]);
    assert_eq!(c.telegram.unwrap().base_url, "https://api.telegram.org");
}

#[test]
fn unreachable_servers_are_warnings() {
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    let c = config(&[
        ("TELEGRAM_BOT_TOKEN", "t"),
        ("TELEGRAM_CHAT_ID", "1"),
        ("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9"),
        ("NTFY_TOPIC", "x"),
        ("NTFY_BASE_URL", "http://127.0.0.1:9"),
    ]);
    let outcome = send(&c, "hello");
    assert_eq!(outcome.channel, None);
    assert_eq!(outcome.warnings.len(), 2, "{:?}", outcome.warnings);
    assert!(outcome.warnings[0].starts_with("Warning: could not send the Telegram notification"));
    assert!(outcome.warnings[1].starts_with("Warning: could not send the ntfy notification"));
}

#[test]
fn telegram_text_is_escaped_for_html() {
    assert_eq!(html_escape("a <b> & c"), "a &lt;b&gt; &amp; c");
    assert_eq!(
        completion_message("TASK-1", " Ship it "),
        "✅ TASK-1 Complete: Ship it"
    );
}

#[test]
fn each_variable_family_has_its_own_default_server() {
    let plain = config(&[("NTFY_TOPIC", "team")]).ntfy.unwrap();
    assert_eq!(
        plain.base_url, "https://ntfy.sh",
        "NTFY_* never goes to ntfyt.sh"
    );
    let token_only = config(&[("NTFY_ACCESS_TOKEN", "k")]).ntfy.unwrap();
    assert_eq!(token_only.base_url, "https://ntfy.sh");
    let reference = config(&[("NTFYT_TOPIC", "team")]).ntfy.unwrap();
    assert_eq!(reference.base_url, "https://ntfyt.sh");
    let named = config(&[("NTFY_TOPIC", "team"), ("NTFY_BASE_URL", "http://h:1")])
        .ntfy
        .unwrap();
    assert_eq!(named.base_url, "http://h:1");
}
