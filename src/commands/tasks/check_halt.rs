//! `--check-halt`: exit 2 when an unblocker task is blocked.

use crate::app::Ctx;
use crate::output::{Report, Text};
use crate::tasks::picker::Halt;

pub fn run(ctx: &Ctx) -> Halt {
    Halt::check(&ctx.catalog().tasks)
}

impl Report for Halt {
    fn text(&self, out: &mut Text) {
        if self.halt {
            // Why the command fails: printed even with `--quiet`.
            out.alert.push_str(&format!("{}\n", self.message));
        } else {
            out.stdout
                .push_str("No halt conditions detected - workflow can proceed\n");
        }
    }

    /// A halt is not an error (no code): `success: false` and `halt: true` tell it from a
    /// usage error, which also exits 2.
    fn succeeded(&self) -> bool {
        !self.halt
    }

    fn exit_code(&self) -> u8 {
        if self.halt { 2 } else { 0 }
    }
}
