//! Completion notifications (spec 01 §10): Telegram first when configured, else ntfy. Sent only
//! when the environment configures a channel, with a 10 s timeout; failures are warnings, never
//! errors.

use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);
const TELEGRAM_BASE: &str = "https://api.telegram.org";
/// The server of the plain `NTFY_*` variables: the public ntfy server everyone knows.
const NTFY_BASE: &str = "https://ntfy.sh";
/// The server of the `NTFYT_*` variables (the reference's own family).
const NTFYT_BASE: &str = "https://ntfyt.sh";

/// Where notifications go, read from the environment (empty values count as unset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub telegram: Option<Telegram>,
    pub ntfy: Option<Ntfy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telegram {
    pub token: String,
    pub chat_id: String,
    /// `TELEGRAM_API_BASE_URL`, for proxies and tests.
    pub base_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ntfy {
    pub base_url: String,
    pub topic: Option<String>,
    pub access_token: Option<String>,
}

/// What happened to one notification.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `telegram` or `ntfy` when one accepted it.
    pub channel: Option<&'static str>,
    pub warnings: Vec<String>,
}

impl Config {
    /// `TELEGRAM_BOT_TOKEN` + `TELEGRAM_CHAT_ID`; `NTFYT_TOPIC` / `NTFY_TOPIC`,
    /// `NTFYT_BASE_URL` / `NTFY_BASE_URL`, `NTFYT_ACCESS_TOKEN` / `NTFY_ACCESS_TOKEN`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Config {
        let var = |names: &[&str]| {
            names.iter().find_map(|n| {
                get(n)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        let telegram = match (var(&["TELEGRAM_BOT_TOKEN"]), var(&["TELEGRAM_CHAT_ID"])) {
            (Some(token), Some(chat_id)) => Some(Telegram {
                token,
                chat_id,
                base_url: var(&["TELEGRAM_API_BASE_URL"]).unwrap_or_else(|| TELEGRAM_BASE.into()),
            }),
            _ => None,
        };
        let topic = var(&["NTFYT_TOPIC", "NTFY_TOPIC"]);
        let access_token = var(&["NTFYT_ACCESS_TOKEN", "NTFY_ACCESS_TOKEN"]);
        // A title goes only to a server the user named: ntfyt.sh is the default of the NTFYT_*
        // variables alone; the plain NTFY_* ones default to ntfy.sh.
        let ntfyt = var(&["NTFYT_TOPIC"]).is_some() || var(&["NTFYT_ACCESS_TOKEN"]).is_some();
        let default_base = if ntfyt { NTFYT_BASE } else { NTFY_BASE };
        let ntfy = (topic.is_some() || access_token.is_some()).then(|| Ntfy {
            base_url: var(&["NTFYT_BASE_URL", "NTFY_BASE_URL"])
                .unwrap_or_else(|| default_base.into()),
            topic,
            access_token,
        });
        Config { telegram, ntfy }
    }

    pub fn is_enabled(&self) -> bool {
        self.telegram.is_some() || self.ntfy.is_some()
    }
}

/// The message of a completed task.
pub fn completion_message(task_id: &str, title: &str) -> String {
    format!("✅ {task_id} Complete: {}", title.trim())
}

/// Send `message` (priority 3): Telegram first; ntfy when Telegram is not configured or failed.
pub fn send(config: &Config, message: &str) -> Outcome {
    let mut outcome = Outcome::default();
    if !config.is_enabled() {
        return outcome;
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    if let Some(t) = &config.telegram {
        match send_telegram(&agent, t, message) {
            Ok(()) => {
                outcome.channel = Some("telegram");
                return outcome;
            }
            Err(e) => outcome.warnings.push(format!(
                "Warning: could not send the Telegram notification: {e}"
            )),
        }
    }
    if let Some(n) = &config.ntfy {
        match send_ntfy(&agent, n, message) {
            Ok(()) => outcome.channel = Some("ntfy"),
            Err(e) => outcome.warnings.push(format!(
                "Warning: could not send the ntfy notification: {e}"
            )),
        }
    }
    outcome
}

fn send_telegram(agent: &ureq::Agent, t: &Telegram, message: &str) -> Result<(), String> {
    let url = format!(
        "{}/bot{}/sendMessage",
        t.base_url.trim_end_matches('/'),
        t.token
    );
    let body = serde_json::json!({
        "chat_id": t.chat_id,
        // parse_mode is HTML: the task's own text must not be read as markup.
        "text": html_escape(message),
        "parse_mode": "HTML",
        "disable_notification": false,
    });
    let response = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("HTTP {status}")),
    }
}

fn send_ntfy(agent: &ureq::Agent, n: &Ntfy, message: &str) -> Result<(), String> {
    let base = n.base_url.trim_end_matches('/');
    let url = match &n.topic {
        Some(topic) => format!("{base}/{}", topic.trim_matches('/')),
        None => base.to_string(),
    };
    let mut request = agent
        .post(&url)
        .header("Priority", "3")
        .header("Title", "Task Workflow");
    if let Some(token) = &n.access_token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request.send(message).map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        200..=299 => Ok(()),
        status => Err(format!("HTTP {status}")),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
#[path = "tests/notify.rs"]
mod tests;
