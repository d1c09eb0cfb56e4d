//! YAML loading for task files: a small generic value tree built through serde-saphyr with the
//! options the contract needs (single document, duplicate keys rejected, YAML 1.2 core scalars,
//! non-finite floats kept so field rules can judge them, nesting and size budgets).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A parsed YAML node. Mappings keep their keys as written (stringified scalars).
///
/// Equality is structural with floats compared by their bits, so that a document equals itself
/// even when it holds `.nan` (the lifecycle verbs compare a file before and after an edit).
#[derive(Debug, Clone)]
pub enum Yaml {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl PartialEq for Yaml {
    fn eq(&self, other: &Yaml) -> bool {
        match (self, other) {
            (Yaml::Null, Yaml::Null) => true,
            (Yaml::Bool(a), Yaml::Bool(b)) => a == b,
            (Yaml::Int(a), Yaml::Int(b)) => a == b,
            (Yaml::Float(a), Yaml::Float(b)) => a.to_bits() == b.to_bits(),
            (Yaml::Str(a), Yaml::Str(b)) => a == b,
            (Yaml::Seq(a), Yaml::Seq(b)) => a == b,
            (Yaml::Map(a), Yaml::Map(b)) => a == b,
            _ => false,
        }
    }
}

/// Why a document could not be loaded, with the 1-based position when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl Yaml {
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Yaml::Null)
    }

    /// The scalar as text the way a user wrote it, for scalar nodes only.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Yaml::Null => None,
            Yaml::Bool(b) => Some(b.to_string()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(format_float(*f)),
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Seq(_) | Yaml::Map(_) => None,
        }
    }
}

/// Floats print in their shortest round-trip form (`2.5`, `1e-7`), integral ones with `.0`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    // YAML 1.2 core: `yes`/`no`/`on`/`off` stay strings here; boolean fields interpret them.
    options.strict_booleans = true;
    options.with_snippet = false;
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    options
}

/// Parse one YAML document. Empty input (or only comments) is `Yaml::Null`.
pub fn parse(text: &str) -> Result<Yaml, YamlError> {
    serde_saphyr::from_str_with_options::<Yaml>(text, options()).map_err(yaml_error)
}

/// The top level of a document, with only some mapping values built.
#[derive(Debug, Clone, PartialEq)]
pub enum TopLevel {
    /// Empty, or only comments.
    Empty,
    Seq,
    Scalar,
    /// The kept keys with their values, in document order.
    Map(Vec<(String, Yaml)>),
}

impl TopLevel {
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            TopLevel::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Parse one YAML document but build only the top-level values whose key satisfies `keep`.
/// Everything else is still parsed and checked (syntax, duplicate keys, a single document,
/// nesting budget) but not allocated: task files carry long plans and descriptions that the
/// task list never reads.
pub fn parse_top_level(text: &str, keep: fn(&str) -> bool) -> Result<TopLevel, YamlError> {
    serde_saphyr::with_deserializer_from_str_with_options(text, options(), |de| {
        de.deserialize_any(TopLevelVisitor { keep })
    })
    .map_err(yaml_error)
}

fn yaml_error(err: serde_saphyr::Error) -> YamlError {
    let location = err.location();
    let rendered = err.render_with_formatter(&serde_saphyr::UserMessageFormatter);
    YamlError {
        message: explain_message(&strip_location_suffix(&rendered)),
        line: location.map(|l| l.line()).filter(|l| *l > 0),
        column: location.map(|l| l.column()).filter(|c| *c > 0),
    }
}

struct TopLevelVisitor {
    keep: fn(&str) -> bool,
}

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML document")
    }
    fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_i128<E>(self, _: i128) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_u128<E>(self, _: u128) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_none<E>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Empty)
    }
    fn visit_unit<E>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Empty)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<TopLevel, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Yaml>()? {
            let key = map_key(key)?;
            if (self.keep)(&key) {
                entries.push((key, map.next_value::<Yaml>()?));
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(TopLevel::Map(entries))
    }
}

fn map_key<E: de::Error>(key: Yaml) -> Result<String, E> {
    match key {
        Yaml::Seq(_) | Yaml::Map(_) => Err(E::custom("complex mapping keys are not supported")),
        Yaml::Null => Ok("null".to_string()),
        scalar => Ok(scalar.scalar_text().unwrap_or_default()),
    }
}

/// The parser quotes a character as `` `x' ``; print it as `'x'`, and say how to fix the
/// characters YAML reserves (a plain value cannot start with them).
fn explain_message(message: &str) -> String {
    const PREFIX: &str = "unexpected character: `";
    let Some(start) = message.find(PREFIX) else {
        return message.to_string();
    };
    let rest = &message[start + PREFIX.len()..];
    let mut chars = rest.chars();
    let (Some(c), Some('\'')) = (chars.next(), chars.next()) else {
        return message.to_string();
    };
    let mut out = format!(
        "{}unexpected character '{c}'{}",
        &message[..start],
        chars.as_str()
    );
    if matches!(c, '`' | '@' | '%') {
        out.push_str(" (a plain value cannot start with it: put the value in quotes)");
    }
    out
}

/// The formatter appends ` at line L, column C`; the position is reported separately.
fn strip_location_suffix(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    match first.rfind(" at line ") {
        Some(idx) if first[idx..].contains(", column ") => first[..idx].to_string(),
        _ => first.to_string(),
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Yaml, E> {
        Ok(Yaml::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Yaml, E> {
        Ok(Yaml::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Yaml, E> {
        Ok(Yaml::Int(v.into()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Yaml, E> {
        i128::try_from(v)
            .map(Yaml::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Yaml, E> {
        Ok(Yaml::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Yaml, E> {
        Ok(Yaml::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        Yaml::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Yaml>()? {
            items.push(item);
        }
        Ok(Yaml::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<Yaml, Yaml>()? {
            entries.push((map_key(key)?, value));
        }
        Ok(Yaml::Map(entries))
    }
}

#[cfg(test)]
#[path = "tests/yaml.rs"]
mod tests;
