//! Comparing two metrics documents (04 §8.4): a baseline and a current dashboard, or two task
//! summaries (`metrics.json`). Every criterion present in both gets its delta and whether it
//! improved. Pure.

use serde::Serialize;
use serde_json::Value;

/// Which way is better for a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

/// A compared criterion: its name in the comparison, the keys it is read from (a dashboard's
/// first, then a task summary's) and which way is better.
struct Criterion {
    name: &'static str,
    keys: &'static [&'static str],
    better: Better,
}

const COMPARED: [Criterion; 5] = [
    Criterion {
        name: "file_reads_per_agent",
        keys: &["avg_file_reads_per_agent"],
        better: Better::Lower,
    },
    Criterion {
        name: "repeated_warnings",
        keys: &["avg_repeated_warnings", "repeated_warnings"],
        better: Better::Lower,
    },
    Criterion {
        name: "qa_coverage",
        keys: &["avg_qa_coverage", "qa_artifact_coverage"],
        better: Better::Higher,
    },
    Criterion {
        name: "prompt_savings",
        keys: &["avg_prompt_savings", "prompt_size_savings_pct"],
        better: Better::Higher,
    },
    Criterion {
        name: "json_reliability",
        keys: &["json_reliability"],
        better: Better::Higher,
    },
];

/// One criterion compared.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Delta {
    pub baseline: f64,
    pub current: f64,
    /// `current − baseline`.
    pub delta: f64,
    /// Strictly better.
    pub improvement: bool,
    /// `improved`, `unchanged` or `regressed`.
    pub change: &'static str,
    pub better: Better,
}

/// The deltas, in the criteria's order; a criterion missing (or null) on either side is absent
/// and named in `Comparison::not_compared`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Deltas {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_reads_per_agent: Option<Delta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated_warnings: Option<Delta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qa_coverage: Option<Delta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_savings: Option<Delta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_reliability: Option<Delta>,
}

impl Deltas {
    fn slot(&mut self, name: &str) -> &mut Option<Delta> {
        match name {
            "file_reads_per_agent" => &mut self.file_reads_per_agent,
            "repeated_warnings" => &mut self.repeated_warnings,
            "qa_coverage" => &mut self.qa_coverage,
            "prompt_savings" => &mut self.prompt_savings,
            _ => &mut self.json_reliability,
        }
    }

    /// The deltas present, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Delta)> {
        [
            ("file_reads_per_agent", &self.file_reads_per_agent),
            ("repeated_warnings", &self.repeated_warnings),
            ("qa_coverage", &self.qa_coverage),
            ("prompt_savings", &self.prompt_savings),
            ("json_reliability", &self.json_reliability),
        ]
        .into_iter()
        .filter_map(|(name, d)| d.as_ref().map(|d| (name, d)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub deltas: Deltas,
    /// At least one criterion improved and none regressed.
    pub overall_improvement: bool,
    pub improved: usize,
    pub regressed: usize,
    pub unchanged: usize,
    /// Criteria missing from either document.
    pub not_compared: Vec<&'static str>,
}

/// A criterion's value in a metrics document: the first of its keys holding a finite number.
/// JSON reliability of a task summary is computed from its calls and failures.
fn value_of(doc: &serde_json::Map<String, Value>, c: &Criterion) -> Option<f64> {
    let found = c
        .keys
        .iter()
        .find_map(|k| doc.get(*k).and_then(Value::as_f64));
    found
        .or_else(|| {
            (c.name == "json_reliability").then_some(())?;
            let calls = doc.get("json_calls")?.as_u64()?;
            let failures = doc.get("json_parse_failures")?.as_u64()?;
            Some(super::reliability(calls, failures) * 100.0)
        })
        .filter(|v| v.is_finite())
}

/// Whether a JSON object is a metrics document (a dashboard or a task summary): it holds at
/// least one of the compared values.
pub fn is_metrics(doc: &serde_json::Map<String, Value>) -> bool {
    COMPARED.iter().any(|c| value_of(doc, c).is_some())
}

/// Compare `current` with `baseline`.
pub fn compare(
    baseline: &serde_json::Map<String, Value>,
    current: &serde_json::Map<String, Value>,
) -> Comparison {
    let mut deltas = Deltas::default();
    let mut not_compared = Vec::new();
    let (mut improved, mut regressed, mut unchanged) = (0, 0, 0);
    for c in &COMPARED {
        let (Some(b), Some(now)) = (value_of(baseline, c), value_of(current, c)) else {
            not_compared.push(c.name);
            continue;
        };
        if !(now - b).is_finite() {
            not_compared.push(c.name);
            continue;
        }
        let better = match c.better {
            Better::Lower => now < b,
            Better::Higher => now > b,
        };
        let change = if better {
            improved += 1;
            "improved"
        } else if now == b {
            unchanged += 1;
            "unchanged"
        } else {
            regressed += 1;
            "regressed"
        };
        *deltas.slot(c.name) = Some(Delta {
            baseline: b,
            current: now,
            delta: now - b,
            improvement: better,
            change,
            better: c.better,
        });
    }
    Comparison {
        deltas,
        overall_improvement: improved > 0 && regressed == 0,
        improved,
        regressed,
        unchanged,
        not_compared,
    }
}
