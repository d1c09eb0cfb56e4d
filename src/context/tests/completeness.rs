use super::*;
use crate::tasks::yaml::parse;

const FULL: &str = "acceptance_criteria: [works]\nscope:\n  in: [src/]\n  out: [docs]\nplan:\n  - id: 1\n    outputs: [a.ts]\ndeliverables: [a.ts]\nvalidation:\n  pipeline: [pnpm test]\ncontext:\n  standards_tier: backend\n";

fn codes(text: &str, v11: bool) -> Vec<(String, String)> {
    check(&parse(text).unwrap(), v11)
        .into_iter()
        .map(|f| (f.code.to_string(), f.field))
        .collect()
}

#[test]
fn a_complete_task_has_no_findings() {
    assert_eq!(codes(FULL, true), vec![]);
}

#[test]
fn every_empty_required_field_is_listed() {
    let text = "acceptance_criteria: {}\nscope:\n  in: ''\nplan:\n  - id: 1\n    outputs: []\n  - just text\ndeliverables: ~\nvalidation: {}\n";
    assert_eq!(
        codes(text, true),
        vec![
            ("E001".into(), "acceptance_criteria".into()),
            ("E001".into(), "scope.in".into()),
            ("E001".into(), "deliverables".into()),
            ("E001".into(), "validation.pipeline".into()),
            ("E001".into(), "plan[0].outputs".into()),
            ("W001".into(), "scope.out".into()),
            ("W002".into(), "context.standards_tier".into()),
        ]
    );
    assert!(
        !codes(text, false)
            .iter()
            .any(|(_, f)| f == "validation.pipeline"),
        "1.0 tasks need no pipeline"
    );
}
