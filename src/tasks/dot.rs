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
#[path = "tests/dot.rs"]
mod tests;
