//! `--graph`: the dependency graph as Graphviz DOT.

use crate::app::Ctx;
use crate::output::{Report, Text};
use crate::tasks::dot;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GraphReport {
    pub dot: String,
    pub task_count: usize,
}

pub fn run(ctx: &Ctx) -> GraphReport {
    let tasks = &ctx.catalog().tasks;
    GraphReport {
        dot: dot::render(tasks),
        task_count: tasks.len(),
    }
}

impl Report for GraphReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&self.dot);
        out.stderr.push_str(
            "\n# Render with: tasks --graph | dot -Tpng -o tasks.png\n# Or view online: https://dreampuf.github.io/GraphvizOnline/\n",
        );
    }
}
