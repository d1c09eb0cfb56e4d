//! The run of one command: the context every verb gets (repository, format, clock, task catalog,
//! warnings), and dispatch from [`Command`] to the verb that does the work.

use crate::clock::{Clock, iso};
use crate::error::Result;
use crate::ids;
use crate::output::{Format, Printer, Report, Shape};
use crate::repo::Repo;
use crate::tasks::Catalog;
use crate::verbs;
use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};

/// One command per invocation (contract D1). Nothing past `cli.rs` sees clap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List { filter: String },
    Pick { filter: String },
    Validate,
    RefreshCache,
    Graph,
    Explain { id: String },
    CheckHalt,
}

impl Command {
    /// The JSON shape of this command's output (contract D3).
    pub fn shape(&self) -> Shape {
        match self {
            Command::Graph | Command::RefreshCache => Shape::FlatSuccess,
            Command::List { .. }
            | Command::Pick { .. }
            | Command::Validate
            | Command::Explain { .. }
            | Command::CheckHalt => Shape::Flat,
        }
    }

    /// Input checks that need no repository: ids are checked before any path is built.
    fn check_arguments(&self) -> Result<()> {
        if let Command::Explain { id } = self {
            ids::check_cli_id("--explain", id)?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Invocation {
    pub command: Command,
    pub format: Format,
    pub repo_root: Option<PathBuf>,
}

/// What every verb can reach.
pub struct Ctx {
    pub repo: Repo,
    pub format: Format,
    pub clock: Clock,
    catalog: OnceCell<Catalog>,
    force_rebuild: bool,
    warnings: RefCell<Vec<String>>,
}

impl Ctx {
    pub fn new(repo: Repo, format: Format, clock: Clock) -> Ctx {
        Ctx {
            repo,
            format,
            clock,
            catalog: OnceCell::new(),
            force_rebuild: false,
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// The task catalog, loaded on first use (through the cache), its warnings recorded once.
    pub fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| {
            let catalog = Catalog::load(&self.repo, self.force_rebuild);
            // Seam for the exception ledger: today every broken file is reported once per run.
            let warnings = catalog.warnings(&self.repo, |_| true);
            self.warnings.borrow_mut().extend(warnings);
            catalog
        })
    }

    /// A warning for stderr (printed before the result, in every format).
    pub fn warn(&self, message: impl Into<String>) {
        self.warnings.borrow_mut().push(message.into());
    }

    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    /// Absolute path string of a repo-relative path.
    pub fn abs(&self, rel: &str) -> String {
        self.repo.abs_string(rel)
    }
}

/// Run one invocation from `cwd` and return the process exit code.
pub fn run(invocation: Invocation, cwd: &Path, clock: Clock) -> u8 {
    let printer = Printer {
        format: invocation.format,
        shape: invocation.command.shape(),
        generated_at: iso(clock.now()),
    };
    if let Err(e) = invocation.command.check_arguments() {
        return printer.error(&e);
    }
    let repo = match Repo::discover(invocation.repo_root.as_deref(), cwd) {
        Ok(repo) => repo,
        Err(e) => return printer.error(&e),
    };
    let mut ctx = Ctx::new(repo, invocation.format, clock);
    ctx.force_rebuild = invocation.command == Command::RefreshCache;
    let exit = match dispatch(&ctx, &printer, &invocation.command) {
        Ok(exit) => exit,
        Err(e) => {
            printer.warnings(&ctx.take_warnings());
            printer.error(&e)
        }
    };
    // The process ends here: freeing thousands of tasks one by one is wasted work.
    std::mem::forget(ctx);
    exit
}

/// Warnings first (stderr), then the result.
fn emit<R: Report>(ctx: &Ctx, printer: &Printer, report: R) -> u8 {
    printer.warnings(&ctx.take_warnings());
    let exit = printer.success(&report);
    std::mem::forget(report);
    exit
}

fn dispatch(ctx: &Ctx, printer: &Printer, command: &Command) -> Result<u8> {
    Ok(match command {
        Command::List { filter } => emit(ctx, printer, verbs::list::run(ctx, filter)),
        Command::Pick { filter } => emit(ctx, printer, verbs::pick::run(ctx, filter)),
        Command::Validate => emit(ctx, printer, verbs::validate::run(ctx)?),
        Command::RefreshCache => emit(ctx, printer, verbs::refresh::run(ctx)),
        Command::Graph => emit(ctx, printer, verbs::graph::run(ctx)),
        Command::Explain { id } => emit(ctx, printer, verbs::explain::run(ctx, id)?),
        Command::CheckHalt => emit(ctx, printer, verbs::check_halt::run(ctx)),
    })
}
