//! The run of one command: the context every command gets (repository, format, clock, task
//! catalog, warnings), the [`Verb`] trait every family's commands implement, run and emit. This
//! module knows no family: `cli.rs` turns argv into a `Box<dyn Verb>`.

use crate::clock::{Clock, iso};
use crate::error::Result;
use crate::ledger;
use crate::output::{Format, Printer, Report, Shape};
use crate::repo::Repo;
use crate::tasks::Catalog;
use crate::telemetry;
use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};

/// What every command of every family declares about itself: the one table behind the JSON
/// shape of its usage errors, the options it reads (any other is a usage error), and its help.
#[derive(Debug)]
pub struct CommandInfo {
    /// The command flag without `--` (`list`, `init-context`).
    pub flag: &'static str,
    pub shape: Shape,
    /// The schema of its report (`crate::schema::of::<TheReport>`).
    pub report: crate::schema::Of,
    /// Long names of the options it reads (global options are always allowed).
    pub reads: &'static [&'static str],
    /// One line for `tasks --help`.
    pub summary: &'static str,
    /// What it does, for `tasks COMMAND --help`.
    pub about: &'static str,
    /// `(command line, what it shows)`, each runnable as printed.
    pub examples: &'static [(&'static str, &'static str)],
    /// Exit codes and what they mean.
    pub exits: &'static str,
}

/// A command ready to run: typed arguments, checked at parse time. Each family implements it
/// for its own command enum; nothing past `cli.rs` sees clap.
pub trait Verb: std::fmt::Debug {
    fn info(&self) -> &'static CommandInfo;

    /// Run it and print its report; returns the exit code.
    fn run(&self, ctx: &Ctx, printer: &Printer) -> Result<u8>;

    /// Whether the task cache must be ignored (`--refresh-cache`).
    fn rebuilds_cache(&self) -> bool {
        false
    }

    /// Whether the tool records this command in the caller's telemetry when the role is known
    /// (the telemetry commands themselves do not).
    fn observed(&self) -> bool {
        true
    }
}

#[derive(Debug)]
pub struct Invocation {
    pub verb: Box<dyn Verb>,
    pub format: Format,
    pub repo_root: Option<PathBuf>,
    /// The task the command is about (the command flag's value, when it is a task id).
    pub subject: Option<String>,
    /// `--agent`, when given.
    pub agent: Option<&'static str>,
}

/// What every verb can reach.
pub struct Ctx {
    pub repo: Repo,
    /// The directory the command was run from (paths on the command line are relative to it).
    pub cwd: PathBuf,
    pub format: Format,
    pub clock: Clock,
    catalog: OnceCell<Catalog>,
    quarantined: OnceCell<std::collections::BTreeSet<String>>,
    force_rebuild: bool,
    warnings: RefCell<Vec<String>>,
    /// What the command did that goes into the caller's telemetry (only when `observing`).
    observed: RefCell<Vec<telemetry::Event>>,
    observing: bool,
}

impl Ctx {
    pub fn new(repo: Repo, cwd: PathBuf, format: Format, clock: Clock) -> Ctx {
        Ctx {
            repo,
            cwd,
            format,
            clock,
            catalog: OnceCell::new(),
            quarantined: OnceCell::new(),
            force_rebuild: false,
            warnings: RefCell::new(Vec::new()),
            observed: RefCell::new(Vec::new()),
            observing: false,
        }
    }

    /// The task catalog, loaded on first use (through the cache), its warnings recorded once.
    pub fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| {
            // A task move a crash interrupted is finished before the files are read.
            let recovered = crate::tasks::journal::recover_interrupted(&self.repo);
            self.warnings.borrow_mut().extend(recovered);
            let catalog = Catalog::load(&self.repo, self.force_rebuild);
            // Broken files and duplicate ids are reported once, then tracked in the exception
            // ledger (D5).
            let _t = crate::trace::phase("catalog: ledger");
            let stamp = ledger::Stamp::at(self.clock.now());
            let reconciled = ledger::reconcile(&self.repo, &catalog, &stamp);
            let warnings = catalog.warnings(
                &self.repo,
                |b| reconciled.report.contains(&b.path),
                |d| reconciled.duplicates.contains(&d.id),
            );
            let mut all = self.warnings.borrow_mut();
            all.extend(warnings);
            all.extend(reconciled.notes);
            drop(all);
            catalog
        })
    }

    /// Ids of quarantined tasks (the quarantine index). A corrupt index is E052: better to stop
    /// than to pick a quarantined task.
    pub fn quarantined(&self) -> Result<&std::collections::BTreeSet<String>> {
        if let Some(ids) = self.quarantined.get() {
            return Ok(ids);
        }
        let _t = crate::trace::phase("quarantined ids");
        let ids = crate::quarantine::Quarantine::of(&self.repo).quarantined_ids()?;
        Ok(self.quarantined.get_or_init(|| ids))
    }

    /// A warning for stderr (printed before the result, in every format).
    pub fn warn(&self, message: impl Into<String>) {
        self.warnings.borrow_mut().push(message.into());
    }

    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    /// Whether the command's work is recorded in the caller's telemetry: worth measuring what
    /// only telemetry needs.
    pub fn observing(&self) -> bool {
        self.observing
    }

    /// Record something for the caller's telemetry (nothing when not observing).
    pub fn observe(&self, event: telemetry::Event) {
        if self.observing {
            self.observed.borrow_mut().push(event);
        }
    }

    /// Print the collected warnings (stderr), recording them for the telemetry (not with
    /// `--quiet`: they were not printed).
    fn print_warnings(&self, printer: &Printer) {
        let warnings = self.take_warnings();
        for w in warnings.iter().filter(|_| !crate::output::quiet()) {
            self.observe(telemetry::Event::Warning {
                level: telemetry::Level::Warning,
                message: w.clone(),
            });
        }
        printer.warnings(&warnings);
    }

    /// Absolute path string of a repo-relative path.
    pub fn abs(&self, rel: &str) -> String {
        self.repo.abs_string(rel)
    }
}

/// The printer of an invocation: its format and its command's JSON shape.
pub fn printer(invocation: &Invocation, clock: &Clock) -> Printer {
    Printer {
        format: invocation.format,
        shape: invocation.verb.info().shape,
        generated_at: iso(clock.now()),
    }
}

/// Run one invocation from `cwd` with its printer and return the process exit code.
pub fn run(invocation: Invocation, printer: &Printer, cwd: &Path, clock: Clock) -> u8 {
    let repo = match Repo::discover(invocation.repo_root.as_deref(), cwd) {
        Ok(repo) => repo,
        Err(e) => return printer.error(&e),
    };
    let mut ctx = Ctx::new(repo, cwd.to_path_buf(), invocation.format, clock);
    ctx.force_rebuild = invocation.verb.rebuilds_cache();
    // The caller's telemetry: a command about a task, by a known role.
    let observer = match &invocation.subject {
        Some(task) if invocation.verb.observed() && telemetry::enabled() => {
            match invocation
                .agent
                .map(Ok)
                .or_else(|| telemetry::role_from_env().transpose())
            {
                Some(Ok(role)) => Some((task.clone(), role)),
                Some(Err(why)) => {
                    ctx.warn(format!(
                        "Warning: {why}; this command is not recorded in telemetry"
                    ));
                    None
                }
                None => None,
            }
        }
        _ => None,
    };
    ctx.observing = observer.is_some();
    let verb_phase = crate::trace::phase("verb (load, work, print)");
    let outcome = invocation.verb.run(&ctx, printer);
    drop(verb_phase);
    let exit = match outcome {
        Ok(exit) => {
            // A command that failed changes nothing, its caller's telemetry included.
            if let Some((task, role)) = observer {
                // The result is printed and the change made: a bug in the bookkeeping after it
                // is a warning too, never a second document or another exit code.
                let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    record_observed(&ctx, &task, role)
                }));
                if recorded.is_err() {
                    not_recorded(&task, role, "E999", "an internal error (please report it)");
                }
            }
            exit
        }
        Err(e) => {
            ctx.print_warnings(printer);
            printer.error(&e)
        }
    };
    // The process ends here: freeing thousands of tasks one by one is wasted work.
    std::mem::forget(ctx);
    exit
}

/// Add what the command did to the caller's telemetry, after its result was printed: the JSON
/// document printed, the bytes a context read served. A task without a context directory has
/// no telemetry (nothing is created); any other failure is a warning, never the command's.
fn record_observed(ctx: &Ctx, task: &str, role: &str) {
    let mut events = std::mem::take(&mut *ctx.observed.borrow_mut());
    let served = crate::output::stdout_bytes();
    for event in &mut events {
        if let telemetry::Event::ContextRead { served: s, .. } = event {
            *s = served;
        }
    }
    if ctx.format == Format::Json {
        events.push(telemetry::Event::JsonCall);
    }
    if events.is_empty() {
        return;
    }
    let session = std::env::var(telemetry::SESSION_ENV)
        .ok()
        .filter(|s| !s.is_empty());
    match telemetry::record(
        &ctx.repo,
        task,
        role,
        &events,
        session.as_deref(),
        &ctx.clock,
    ) {
        Ok(_) => {}
        Err(e) if e.code == crate::error::ErrorCode::E051 => {}
        Err(e) => not_recorded(task, role, e.code.info().code, &e.message),
    }
}

/// The caller's telemetry could not be recorded: a warning, never the command's failure.
fn not_recorded(task: &str, role: &str, code: &str, why: &str) {
    Printer::warning_line(&format!(
        "Warning: telemetry of {task} ({role}) not recorded: [{code}] {why}"
    ));
}

/// Warnings first (stderr), then the result.
pub fn emit<R: Report>(ctx: &Ctx, printer: &Printer, report: R) -> u8 {
    let _print = crate::trace::phase("print");
    ctx.print_warnings(printer);
    let exit = printer.success(&report);
    std::mem::forget(report);
    exit
}
