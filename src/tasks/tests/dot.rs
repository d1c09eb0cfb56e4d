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
