//! Graphviz DOT export of the dependency graph (spec 01 §5.1 layout).

use super::model::Task;
use std::fmt::Write;

fn color(status: &str) -> &'static str {
    match status {
        "completed" => "lightgreen",
        "in_progress" => "lightyellow",
        "blocked" => "lightcoral",
        "draft" => "aliceblue",
        "todo" => "lightgray",
        _ => "white",
    }
}

/// Escape a string for a double-quoted DOT id. Labels keep the two-character `\n` line breaks
/// the layout uses, so only quotes and backslashes of the *values* are escaped.
fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One node per task, then `blocked_by` edges (solid), then `depends_on` edges (dashed), each in
/// task order and declared order, including edges to ids that are not tasks.
pub fn render(tasks: &[Task]) -> String {
    let mut out = String::from(
        "digraph task_dependencies {\n  rankdir=LR;\n  node [shape=box, style=filled];\n\n",
    );
    for t in tasks {
        let id = quote(&t.id);
        let priority = quote(&t.priority);
        let fill = color(&t.status);
        if t.unblocker {
            let _ = writeln!(
                out,
                "  \"{id}\" [label=\"{id}\\n{priority}\\n[UNBLOCKER]\", fillcolor=\"{fill}\", peripheries=2, fontweight=bold];"
            );
        } else {
            let _ = writeln!(
                out,
                "  \"{id}\" [label=\"{id}\\n{priority}\", fillcolor=\"{fill}\"];"
            );
        }
    }
    out.push_str("\n  // blocked_by edges (hard blockers)\n");
    for t in tasks {
        for dep in &t.blocked_by {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [style=solid, color=black];",
                quote(dep),
                quote(&t.id)
            );
        }
    }
    out.push_str("\n  // depends_on edges (informational)\n");
    for t in tasks {
        for dep in &t.depends_on {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [style=dashed, color=gray];",
                quote(dep),
                quote(&t.id)
            );
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::graph::tests::task;

    #[test]
    fn empty_graph_is_the_skeleton() {
        assert_eq!(
            render(&[]),
            "digraph task_dependencies {\n  rankdir=LR;\n  node [shape=box, style=filled];\n\n\n  // blocked_by edges (hard blockers)\n\n  // depends_on edges (informational)\n}\n"
        );
    }

    #[test]
    fn nodes_and_edges() {
        let mut a = task("TASK-0001", "todo", "P2", &[]);
        a.unblocker = true;
        let mut b = task("TASK-0003", "blocked", "P1", &["TASK-0001"]);
        b.depends_on = vec!["TASK-0099".into(), "odd\"id".into()];
        let dot = render(&[a, b]);
        assert!(dot.contains("  \"TASK-0001\" [label=\"TASK-0001\\nP2\\n[UNBLOCKER]\", fillcolor=\"lightgray\", peripheries=2, fontweight=bold];\n"));
        assert!(
            dot.contains("  \"TASK-0003\" [label=\"TASK-0003\\nP1\", fillcolor=\"lightcoral\"];\n")
        );
        assert!(dot.contains("  \"TASK-0001\" -> \"TASK-0003\" [style=solid, color=black];\n"));
        assert!(dot.contains("  \"TASK-0099\" -> \"TASK-0003\" [style=dashed, color=gray];\n"));
        assert!(dot.contains("  \"odd\\\"id\" -> \"TASK-0003\""));
    }
}
