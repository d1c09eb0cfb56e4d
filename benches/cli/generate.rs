//! Deterministic synthetic task repositories for the benchmark.
//!
//! Everything is driven by a fixed-seed xorshift64* generator, so the same scenario always
//! produces byte-identical files. Files look like real `*.task.yaml` files (schema 1.1, a
//! multi-line description, scope, a plan with steps, acceptance criteria, deliverables, a
//! validation pipeline, context and comments) and weigh 3-15 KB each, so parse cost is realistic.
//!
//! Two shapes:
//! - [`Shape::Realistic`]: ids are split into "epics" of 1-10 consecutive tasks chained by
//!   `blocked_by` (sometimes with a diamond edge to the task two back, sometimes with an extra
//!   blocker on an older completed task). Old epics are finished, recent ones partly done, so about
//!   60% of tasks are completed; 90% of those are archived under `docs/completed-tasks/`, the rest
//!   still sit under `tasks/<area>/`. Active tasks are todo / in_progress / blocked / draft across
//!   several areas. No blocked unblocker is generated (that would make `--pick` halt with exit 2).
//! - [`Shape::Chain`]: one `blocked_by` chain through every task; the last task is P0 and every
//!   other one P1 or P2, so every task inherits P0 through the whole chain.
//! - [`Shape::Random`]: every task is blocked by [`RANDOM_BLOCKERS`] distinct random earlier
//!   tasks, P0, P1 and P2 equally likely, nothing completed: early tasks transitively block
//!   thousands of others, the stress case for effective priorities and their reasons.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// xorshift64* (Vigna). Small, fast, deterministic; statistical quality is irrelevant here.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Realistic,
    Chain,
    Random,
}

/// Blockers per task in [`Shape::Random`] (fewer for the first tasks).
pub const RANDOM_BLOCKERS: usize = 3;

/// One benchmark input.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub tasks: usize,
    pub shape: Shape,
}

impl Scenario {
    pub fn realistic(tasks: usize) -> Scenario {
        Scenario {
            name: format!("{tasks} tasks"),
            tasks,
            shape: Shape::Realistic,
        }
    }

    pub fn chain(tasks: usize) -> Scenario {
        Scenario {
            name: format!("chain of {tasks}"),
            tasks,
            shape: Shape::Chain,
        }
    }

    pub fn random(tasks: usize) -> Scenario {
        Scenario {
            name: format!("{tasks} with {RANDOM_BLOCKERS} random blockers"),
            tasks,
            shape: Shape::Random,
        }
    }

    /// Directory-friendly name.
    pub fn slug(&self) -> String {
        match self.shape {
            Shape::Realistic => format!("tasks-{}", self.tasks),
            Shape::Chain => format!("chain-{}", self.tasks),
            Shape::Random => format!("random-{}", self.tasks),
        }
    }
}

/// What was written, for the report.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub root: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub min_bytes: u64,
    pub max_bytes: u64,
    pub archived: usize,
    pub completed: usize,
    pub active_by_status: Vec<(&'static str, usize)>,
    pub blocked_by_edges: usize,
    /// Longest `blocked_by` path (in tasks) among all generated tasks, completed ones included.
    pub longest_chain: usize,
    /// Longest `blocked_by` path through unfinished tasks only (what readiness depends on).
    pub longest_open_chain: usize,
}

struct Area {
    name: &'static str,
    epics: &'static [&'static str],
    code_root: &'static str,
    doc: &'static str,
    commands: &'static [&'static str],
}

const AREAS: &[Area] = &[
    Area {
        name: "backend",
        epics: &["billing", "auth", "jobs", "search", "notifications"],
        code_root: "services/api/src",
        doc: "docs/architecture/backend.md",
        commands: &[
            "cargo test --locked -p api",
            "cargo clippy --all-targets -- -D warnings",
            "make -C services/api integration",
        ],
    },
    Area {
        name: "mobile",
        epics: &["onboarding", "offline-sync", "push", "settings"],
        code_root: "apps/mobile/src",
        doc: "docs/architecture/mobile.md",
        commands: &[
            "pnpm --filter @app/mobile test",
            "pnpm --filter @app/mobile lint",
            "pnpm --filter @app/mobile typecheck",
        ],
    },
    Area {
        name: "web",
        epics: &["dashboard", "checkout", "accessibility", "design-system"],
        code_root: "apps/web/src",
        doc: "docs/architecture/web.md",
        commands: &[
            "pnpm --filter @app/web test",
            "pnpm --filter @app/web build",
            "pnpm exec playwright test --project=chromium",
        ],
    },
    Area {
        name: "infra",
        epics: &["ci", "observability", "networking", "backups"],
        code_root: "infra/terraform",
        doc: "docs/operations/runbook.md",
        commands: &[
            "terraform -chdir=infra/terraform validate",
            "tflint --recursive",
            "bash scripts/smoke.sh staging",
        ],
    },
    Area {
        name: "data",
        epics: &["warehouse", "exports", "quality"],
        code_root: "pipelines/src",
        doc: "docs/architecture/data.md",
        commands: &[
            "python -m pytest pipelines/tests -q",
            "dbt build --select state:modified+",
        ],
    },
];

const VERBS: &[&str] = &[
    "Add",
    "Refactor",
    "Harden",
    "Document",
    "Migrate",
    "Remove",
    "Instrument",
    "Cache",
    "Split",
    "Validate",
    "Speed up",
    "Replace",
    "Introduce",
    "Backfill",
    "Deprecate",
    "Audit",
];
const ADJECTIVES: &[&str] = &[
    "retryable",
    "idempotent",
    "paginated",
    "encrypted",
    "versioned",
    "incremental",
    "offline",
    "batched",
    "rate-limited",
    "localized",
    "accessible",
    "structured",
    "resumable",
];
const NOUNS: &[&str] = &[
    "webhook consumer",
    "session store",
    "export job",
    "feature flags",
    "audit log",
    "search index",
    "invoice renderer",
    "push token registry",
    "settings screen",
    "health checks",
    "deployment pipeline",
    "error reporting",
    "schema migrations",
    "permission model",
    "rate limiter",
    "image uploads",
    "email templates",
    "billing ledger",
];
const SUBJECTS: &[&str] = &[
    "The current implementation",
    "The existing handler",
    "This component",
    "The nightly job",
    "Our integration layer",
    "The client",
    "The previous migration",
    "The API contract",
];
const PROBLEMS: &[&str] = &[
    "drops events when the upstream times out",
    "holds a lock across network calls",
    "recomputes the same values on every request",
    "has no metrics, so incidents are diagnosed from logs alone",
    "duplicates validation rules that already exist in the schema",
    "fails silently when the payload is larger than expected",
    "cannot be rolled back without manual database edits",
    "blocks the release train because its tests are flaky",
    "ignores the tenant boundary in two code paths",
    "stores timestamps in local time instead of UTC",
];
const ACTIONS: &[&str] = &[
    "Introduce a bounded retry budget with jittered backoff",
    "Move the shared logic behind a small, well-tested interface",
    "Record latency and error counters and wire them into the dashboard",
    "Write the migration in two phases so it can be deployed without downtime",
    "Cover the edge cases with table-driven tests before changing behaviour",
    "Keep the old code path behind a flag until the rollout is complete",
    "Document the new behaviour in the runbook and the changelog",
    "Add a contract test that pins the wire format",
    "Replace the ad-hoc parsing with the generated client",
    "Measure before and after on the staging data set",
];
const CRITERIA: &[&str] = &[
    "All existing tests pass and new tests cover the failure modes listed above",
    "p95 latency does not regress by more than 5% on the staging benchmark",
    "The feature is behind a flag that defaults to off in production",
    "Errors are reported with a stable code and a recovery hint",
    "The runbook describes how to roll back the change",
    "No new warnings from the linters or the type checker",
    "Metrics appear on the team dashboard within one deploy",
    "The migration is reversible and was rehearsed on a copy of production",
    "Accessibility checks report no new violations",
    "Documentation links from the README resolve",
];
const OUT_OF_SCOPE: &[&str] = &[
    "Redesigning the public API",
    "Changes to the billing provider integration",
    "Performance work beyond the hot path identified here",
    "Localisation of the new strings",
    "Backfilling historical data older than 90 days",
];
const REASONS: &[&str] = &[
    "Waiting for the vendor to enable the sandbox account",
    "Needs a decision from the architecture review",
    "Staging cluster is being rebuilt",
    "Blocked on security sign-off for the new scopes",
];

fn sentence(rng: &mut Rng) -> String {
    format!(
        "{} {}; {}.",
        rng.pick(SUBJECTS),
        rng.pick(PROBLEMS),
        rng.pick(ACTIONS).to_lowercase()
    )
}

fn slugify(text: &str, words: usize) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(words)
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// A task before rendering.
struct Spec {
    num: usize,
    title: String,
    status: &'static str,
    priority: &'static str,
    area: usize,
    epic: &'static str,
    /// Under `tasks/<area>/<epic>/` rather than `tasks/<area>/`.
    nested: bool,
    archived: bool,
    unblocker: bool,
    order: Option<i64>,
    blocked_by: Vec<usize>,
    depends_on: Vec<usize>,
    blocked_reason: Option<&'static str>,
    /// 0 = terse (~3 KB) .. 4 = very detailed (~12-15 KB).
    verbosity: usize,
}

fn id(num: usize) -> String {
    format!("TASK-{num:04}")
}

fn priority(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=4 => "P0",
        5..=39 => "P1",
        _ => "P2",
    }
}

fn verbosity(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=29 => 0,
        30..=64 => 1,
        65..=84 => 2,
        85..=94 => 3,
        _ => 4,
    }
}

fn base_spec(rng: &mut Rng, num: usize, area: usize, epic: &'static str) -> Spec {
    let adjective = if rng.chance(60) {
        format!("{} ", rng.pick(ADJECTIVES))
    } else {
        String::new()
    };
    let title = format!(
        "{} {}{} in {}",
        rng.pick(VERBS),
        adjective,
        rng.pick(NOUNS),
        epic
    );
    Spec {
        num,
        title,
        status: "todo",
        priority: priority(rng),
        area,
        epic,
        nested: rng.chance(30),
        archived: false,
        unblocker: false,
        order: rng.chance(50).then(|| rng.range(1, 100) as i64),
        blocked_by: Vec::new(),
        depends_on: Vec::new(),
        blocked_reason: None,
        verbosity: verbosity(rng),
    }
}

/// Fraction (in percent) of an epic that is already completed, by its position in history.
fn done_percent(position: usize, total: usize) -> usize {
    let f = position * 100 / total.max(1);
    if f < 30 { 100 } else { 90 * (100 - f) / 70 }
}

fn realistic(rng: &mut Rng, n: usize) -> Vec<Spec> {
    let mut specs: Vec<Spec> = Vec::with_capacity(n);
    let mut completed: Vec<usize> = Vec::new();
    let mut next = 1;
    while next <= n {
        // Epic sizes 1-10, skewed towards short chains.
        let len = (rng.range(1, 10).min(rng.range(1, 10))).min(n - next + 1);
        let done = (len * done_percent(next, n) + rng.below(100)) / 100;
        let area = rng.below(AREAS.len());
        let epic = *rng.pick(AREAS[area].epics);
        let nested = rng.chance(30);
        let mut first_active_draft = false;
        for k in 0..len {
            let num = next + k;
            let mut s = base_spec(rng, num, area, epic);
            s.nested = nested;
            if k > 0 {
                s.blocked_by.push(num - 1);
                if k > 1 && rng.chance(20) {
                    s.blocked_by.push(num - 2); // diamond: k-2 -> k-1 -> k and k-2 -> k
                }
            }
            if !completed.is_empty() && rng.chance(if k == 0 { 30 } else { 10 }) {
                for _ in 0..rng.range(1, 2) {
                    let old = *rng.pick(&completed);
                    if !s.blocked_by.contains(&old) {
                        s.blocked_by.push(old);
                    }
                }
            }
            if !completed.is_empty() && rng.chance(30) {
                for _ in 0..rng.range(1, 3) {
                    let old = *rng.pick(&completed);
                    if !s.depends_on.contains(&old) {
                        s.depends_on.push(old);
                    }
                }
            }
            if k < done {
                s.status = "completed";
                s.archived = rng.chance(90);
                s.unblocker = rng.chance(3);
            } else if k == done {
                // First unfinished task of the epic: its blockers are all completed.
                s.status = match rng.below(100) {
                    0..=49 => "todo",
                    50..=71 => "in_progress",
                    72..=81 => "blocked",
                    _ => "draft",
                };
                if s.status == "blocked" {
                    s.blocked_reason = Some(*rng.pick(REASONS));
                }
                first_active_draft = s.status == "draft";
                s.unblocker = matches!(s.status, "todo" | "in_progress") && rng.chance(4);
            } else {
                // Behind an unfinished blocker. Tasks directly behind a draft must be `blocked`.
                let behind_draft = first_active_draft && s.blocked_by.contains(&(next + done));
                s.status = if behind_draft || rng.chance(60) {
                    "blocked"
                } else {
                    "todo"
                };
                if s.status == "blocked" {
                    s.blocked_reason = Some("Waiting for the previous step of the epic");
                }
            }
            specs.push(s);
        }
        for k in 0..done {
            completed.push(next + k);
        }
        next += len;
    }
    specs
}

fn chain(rng: &mut Rng, n: usize) -> Vec<Spec> {
    (1..=n)
        .map(|num| {
            let area = rng.below(AREAS.len());
            let epic = *rng.pick(AREAS[area].epics);
            let mut s = base_spec(rng, num, area, epic);
            s.priority = if num == n {
                "P0"
            } else if rng.chance(40) {
                "P1"
            } else {
                "P2"
            };
            if num > 1 {
                s.blocked_by.push(num - 1);
                s.status = "blocked";
                s.blocked_reason = Some("Waiting for the previous link of the chain");
            }
            s
        })
        .collect()
}

fn random(rng: &mut Rng, n: usize) -> Vec<Spec> {
    (1..=n)
        .map(|num| {
            let area = rng.below(AREAS.len());
            let epic = *rng.pick(AREAS[area].epics);
            let mut s = base_spec(rng, num, area, epic);
            s.priority = *rng.pick(&["P0", "P1", "P2"]);
            while s.blocked_by.len() < RANDOM_BLOCKERS.min(num - 1) {
                let blocker = rng.range(1, num - 1);
                if !s.blocked_by.contains(&blocker) {
                    s.blocked_by.push(blocker);
                }
            }
            if !s.blocked_by.is_empty() {
                s.status = "blocked";
                s.blocked_reason = Some("Waiting for its blockers");
            }
            s
        })
        .collect()
}

fn rel_path(s: &Spec) -> String {
    let file = format!("{}-{}.task.yaml", id(s.num), slugify(&s.title, 5));
    let area = AREAS[s.area].name;
    if s.archived {
        format!("docs/completed-tasks/{file}")
    } else if s.nested {
        format!("tasks/{area}/{}/{file}", s.epic)
    } else {
        format!("tasks/{area}/{file}")
    }
}

fn id_list(out: &mut String, key: &str, nums: &[usize], flow: bool) {
    if nums.is_empty() {
        if flow {
            let _ = writeln!(out, "{key}: []");
        }
        return;
    }
    if flow {
        let ids: Vec<String> = nums.iter().map(|&n| id(n)).collect();
        let _ = writeln!(out, "{key}: [{}]", ids.join(", "));
    } else {
        let _ = writeln!(out, "{key}:");
        for &n in nums {
            let _ = writeln!(out, "  - {}", id(n));
        }
    }
}

fn render(rng: &mut Rng, s: &Spec) -> String {
    let area = &AREAS[s.area];
    let v = s.verbosity;
    let mut out = String::with_capacity(4096 * (v + 1));
    let _ = writeln!(out, "# {}: {}", id(s.num), s.title);
    out.push_str("# Synthetic task generated by benches/cli (deterministic; do not edit).\n");
    out.push_str("schema_version: \"1.1\"\n");
    let _ = writeln!(out, "id: {}", id(s.num));
    let _ = writeln!(out, "title: {}", s.title);
    let _ = writeln!(out, "status: {}", s.status);
    let _ = writeln!(out, "priority: {}", s.priority);
    let _ = writeln!(out, "area: {}", area.name);
    if s.unblocker || rng.chance(30) {
        let _ = writeln!(out, "unblocker: {}", s.unblocker);
    }
    if let Some(order) = s.order {
        let _ = writeln!(out, "order: {order}");
    }
    let flow = rng.chance(40);
    id_list(&mut out, "blocked_by", &s.blocked_by, flow);
    id_list(&mut out, "depends_on", &s.depends_on, flow);
    if let Some(reason) = s.blocked_reason {
        let _ = writeln!(out, "blocked_reason: {reason}");
    }
    let _ = writeln!(
        out,
        "created: 2025-{:02}-{:02}\nowner: team-{}\nlabels: [{}, {}]",
        rng.range(1, 12),
        rng.range(1, 28),
        area.name,
        area.name,
        s.epic
    );
    out.push('\n');

    out.push_str("description: |\n");
    for _ in 0..rng.range(4 + v, 6 + 3 * v) {
        let _ = writeln!(out, "  {}", sentence(rng));
    }
    out.push_str(
        "  \n  Background: see the linked design notes; the numbers below come from the\n",
    );
    out.push_str("  last incident review and the staging benchmark.\n\n");

    out.push_str("scope:\n  in:\n");
    for _ in 0..rng.range(2, 3 + 2 * v) {
        let _ = writeln!(out, "    - {}", rng.pick(ACTIONS));
    }
    out.push_str("  out:\n");
    for _ in 0..rng.range(1, 3) {
        let _ = writeln!(out, "    - {}", rng.pick(OUT_OF_SCOPE));
    }
    out.push('\n');

    out.push_str(
        "# Steps are done in order; each lists the files it is expected to touch.\nplan:\n",
    );
    for step in 1..=rng.range(2 + v / 2, 3 + 2 * v) {
        let _ = writeln!(out, "  - id: step-{step}");
        let _ = writeln!(out, "    title: {}", rng.pick(ACTIONS));
        out.push_str("    details: |\n");
        for _ in 0..rng.range(2, 2 + v) {
            let _ = writeln!(out, "      {}", sentence(rng));
        }
        out.push_str("    outputs:\n");
        for _ in 0..rng.range(1, 3) {
            let noun = slugify(rng.pick::<&str>(NOUNS), 3).replace('-', "_");
            let _ = writeln!(out, "      - {}/{}/{noun}.rs", area.code_root, s.epic);
        }
    }
    out.push('\n');

    out.push_str("acceptance_criteria:\n");
    for _ in 0..rng.range(3, 4 + 2 * v) {
        let _ = writeln!(out, "  - {}", rng.pick(CRITERIA));
    }
    out.push_str("\ndeliverables:\n");
    for _ in 0..rng.range(1, 2 + v) {
        let noun = slugify(rng.pick::<&str>(NOUNS), 3);
        let _ = writeln!(out, "  - {}/{}/{noun}", area.code_root, s.epic);
    }
    let _ = writeln!(out, "  - docs/changelog/{}.md", id(s.num).to_lowercase());

    out.push_str("\nvalidation:\n  pipeline:\n");
    for command in area.commands.iter().take(rng.range(1, area.commands.len())) {
        let _ = writeln!(out, "    - command: \"{command}\"");
        let _ = writeln!(out, "      description: {}", rng.pick(CRITERIA));
    }
    out.push_str("\ncontext:\n  related_docs:\n");
    let _ = writeln!(out, "    - {}", area.doc);
    for _ in 0..rng.range(0, 2) {
        let _ = writeln!(out, "    - docs/adr/{:04}-{}.md", rng.range(1, 80), s.epic);
    }
    if v >= 2 {
        out.push_str("  notes: |\n");
        for _ in 0..rng.range(2, 2 * v) {
            let _ = writeln!(out, "    {}", sentence(rng));
        }
    }
    out
}

/// Write one scenario under `dir` (which must not exist yet or be empty). The repository root
/// is marked by an empty `.git` directory, which is all the tool looks for.
pub fn generate(scenario: &Scenario, dir: &Path) -> io::Result<Summary> {
    let seed = 0x7A5C_0001 ^ (scenario.tasks as u64) ^ ((scenario.shape as u64) << 40);
    let mut rng = Rng::new(seed);
    let specs = match scenario.shape {
        Shape::Realistic => realistic(&mut rng, scenario.tasks),
        Shape::Chain => chain(&mut rng, scenario.tasks),
        Shape::Random => random(&mut rng, scenario.tasks),
    };

    std::fs::create_dir_all(dir.join(".git"))?;
    std::fs::create_dir_all(dir.join("docs/completed-tasks"))?;
    std::fs::create_dir_all(dir.join("tasks"))?;
    std::fs::write(
        dir.join("tasks/README.md"),
        "# Tasks\n\nSynthetic repository generated by benches/cli.\n",
    )?;

    let mut summary = Summary {
        root: dir.to_path_buf(),
        min_bytes: u64::MAX,
        ..Summary::default()
    };
    let mut by_status: Vec<(&'static str, usize)> = ["todo", "in_progress", "blocked", "draft"]
        .iter()
        .map(|s| (*s, 0))
        .collect();
    for s in &specs {
        let path = dir.join(rel_path(s));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = render(&mut rng, s);
        std::fs::write(&path, &text)?;
        let len = text.len() as u64;
        summary.files += 1;
        summary.bytes += len;
        summary.min_bytes = summary.min_bytes.min(len);
        summary.max_bytes = summary.max_bytes.max(len);
        summary.archived += usize::from(s.archived);
        summary.completed += usize::from(s.status == "completed");
        summary.blocked_by_edges += s.blocked_by.len();
        if let Some(entry) = by_status.iter_mut().find(|(name, _)| *name == s.status) {
            entry.1 += 1;
        }
    }
    summary.active_by_status = by_status;
    // Blockers always have smaller numbers, so one pass in id order gives the longest path.
    let mut depth = vec![0usize; specs.len() + 1];
    let mut open_depth = vec![0usize; specs.len() + 1];
    for s in &specs {
        depth[s.num] = 1 + s.blocked_by.iter().map(|&b| depth[b]).max().unwrap_or(0);
        if s.status != "completed" {
            open_depth[s.num] = 1 + s
                .blocked_by
                .iter()
                .map(|&b| open_depth[b])
                .max()
                .unwrap_or(0);
        }
    }
    summary.longest_chain = depth.iter().copied().max().unwrap_or(0);
    summary.longest_open_chain = open_depth.iter().copied().max().unwrap_or(0);
    if summary.files == 0 {
        summary.min_bytes = 0;
    }
    Ok(summary)
}
