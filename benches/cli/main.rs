//! End-to-end benchmark of the `tasks` binary: `cargo bench --bench cli`.
//!
//! Generates deterministic synthetic repositories (100 / 1,000 / 10,000 tasks, a 10,000-task
//! `blocked_by` chain and, on request, tasks with random blockers) in a temporary directory, then runs the release binary from each
//! repository root and measures, per command:
//! - cold: `tasks/.cache/` deleted before every run (every file is read and parsed again and the
//!   cache is rewritten);
//! - warm: cache present and no task file changed.
//!
//! Cold series run one after another; the warm series of a repository are interleaved (a round
//! runs each command once), so that a burst of noise on the machine weighs on every command
//! alike.
//!
//! Wall time is spawn-to-reap; peak RSS and CPU time come from `wait4`, taken in a small helper
//! process so that the harness's own memory does not leak into the child's peak RSS (see
//! `measure.rs`). The result is printed as Markdown on stdout (progress goes to stderr). See
//! docs/performance.md.
//!
//! Options (after `--`, e.g. `cargo bench --bench cli -- --runs 5`):
//!   --runs N           timed runs per command and cache state (default 15; one extra untimed
//!                      warm-up run precedes each series)
//!   --sizes A,B,...    realistic repository sizes (default 150,1000,10000; add 100000 for the
//!                      large target: ~3 minutes more)
//!   --chain N          length of the chain stress repository (default 10000; 0 skips it)
//!   --random N         tasks of the random-blockers stress repository (each blocked by 3
//!                      random earlier tasks; default 0, which skips it)
//!   --bin PATH         binary to measure (default: the `tasks` binary cargo built for this
//!                      bench, i.e. target/release/tasks; env TASKS_BIN works too)
//!   --dir DIR          generate the repositories under DIR and keep them (default: a temp dir)
//!   --generate-only    with --dir: only generate the repositories, measure nothing
//!   --out FILE         also write the Markdown report to FILE

mod generate;
mod measure;

use generate::{Scenario, Summary};
use measure::{HELPER_FLAG, Sample, Stats, locate_binary, mib, ms, run_once};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// A command measured: its label (the task id shown as `ID`), its arguments, and whether a
/// cold run (no task cache) means anything for it.
struct Measured {
    label: &'static str,
    args: Vec<String>,
    cold: bool,
}

/// The commands measured on a repository whose `--pick` chose `picked`; the context verbs only
/// where the repository has a context (`with_context`). Exit 1 from `--pick` means "nothing
/// ready".
fn commands(picked: Option<&str>, with_context: bool) -> Vec<Measured> {
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect();
    let mut out = vec![
        Measured {
            label: "--list --format json",
            args: owned(&["--list", "--format", "json"]),
            cold: true,
        },
        Measured {
            label: "--pick",
            args: owned(&["--pick"]),
            cold: true,
        },
        Measured {
            label: "--pick --format json",
            args: owned(&["--pick", "--format", "json"]),
            cold: true,
        },
    ];
    if let Some(id) = picked {
        out.push(Measured {
            label: "--explain ID",
            args: owned(&["--explain", id]),
            cold: true,
        });
        if with_context {
            out.push(Measured {
                label: "--get-context ID --format json",
                args: owned(&["--get-context", id, "--format", "json"]),
                cold: false,
            });
            out.push(Measured {
                label: "--update-agent ID",
                args: owned(&[
                    "--update-agent",
                    id,
                    "--agent",
                    "implementer",
                    "--status",
                    "in_progress",
                    "--format",
                    "json",
                ]),
                cold: false,
            });
        }
    }
    out
}

/// A target: (tasks, command label, warm ms, cold ms, peak RSS MB).
type Target = (usize, &'static str, u64, Option<u64>, Option<u64>);

/// The targets of issue 16.
const TARGETS: &[Target] = &[
    (10_000, "--pick", 20, Some(500), Some(40)),
    (10_000, "--pick --format json", 20, Some(500), Some(40)),
    (10_000, "--list --format json", 35, Some(500), Some(60)),
    (10_000, "--explain ID", 20, Some(500), Some(40)),
    (10_000, "--get-context ID --format json", 5, None, Some(20)),
    (10_000, "--update-agent ID", 5, None, Some(20)),
    (100_000, "--pick", 200, Some(5_000), Some(300)),
    (150, "--list --format json", 5, Some(30), None),
    (150, "--pick", 5, Some(30), None),
    (150, "--pick --format json", 5, Some(30), None),
    (150, "--explain ID", 5, Some(30), None),
    (150, "--get-context ID --format json", 5, None, None),
];

/// Context verbs are measured on repositories up to this size (a git commit of all files is
/// made for them).
const CONTEXT_UP_TO: usize = 10_000;

struct Options {
    runs: usize,
    sizes: Vec<usize>,
    chain: usize,
    random: usize,
    bin: Option<PathBuf>,
    dir: Option<PathBuf>,
    generate_only: bool,
    out: Option<PathBuf>,
}

fn usage() -> String {
    let doc: Vec<&str> = include_str!("main.rs")
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(""))
        .collect();
    doc.join("\n")
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        runs: 15,
        sizes: vec![150, 1_000, 10_000],
        chain: 10_000,
        random: 0,
        bin: std::env::var_os("TASKS_BIN").map(PathBuf::from),
        dir: None,
        generate_only: false,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |text: String| {
            text.trim()
                .replace('_', "")
                .parse::<usize>()
                .map_err(|e| format!("bad number {text:?}: {e}"))
        };
        match arg.as_str() {
            // `cargo bench` passes --bench to harness=false targets.
            "--bench" => {}
            "--runs" => o.runs = number(value("--runs")?)?.max(1),
            "--sizes" => {
                o.sizes = value("--sizes")?
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| number(s.to_string()))
                    .collect::<Result<_, _>>()?
            }
            "--chain" => o.chain = number(value("--chain")?)?,
            "--random" => o.random = number(value("--random")?)?,
            "--bin" => o.bin = Some(PathBuf::from(value("--bin")?)),
            "--dir" => o.dir = Some(PathBuf::from(value("--dir")?)),
            "--generate-only" => o.generate_only = true,
            "--out" => o.out = Some(PathBuf::from(value("--out")?)),
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other:?}\n\n{}", usage())),
        }
    }
    if o.generate_only && o.dir.is_none() {
        return Err("--generate-only needs --dir DIR".to_string());
    }
    Ok(o)
}

fn command_output(program: &str, args: &[&str], cwd: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn machine_description(bin: &Path) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let kib: u64 = s.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB RAM", kib as f64 / 1024.0 / 1024.0))
        })
        .unwrap_or_default();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let commit = command_output("git", &["rev-parse", "--short", "HEAD"], manifest)
        .unwrap_or_else(|| "unknown".to_string());
    let dirty = command_output("git", &["status", "--porcelain", "--", "src"], manifest)
        .is_some_and(|s| !s.is_empty());
    let rustc = command_output("rustc", &["--version"], manifest).unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {mem}, Linux {kernel}, {rustc}; binary {} at commit {commit}{}",
        bin.display(),
        if dirty { " (src/ modified)" } else { "" }
    )
}

struct Row {
    scenario: String,
    /// A realistic repository (not a stress shape): the linearity and target tables use these.
    realistic: bool,
    tasks: usize,
    command: &'static str,
    cold: bool,
    stats: Stats,
    exit_codes: Vec<i32>,
}

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// Run the binary once with output captured, check that it loads every generated file, and
/// describe what `--pick` chose.
fn sanity_check(
    bin: &Path,
    root: &Path,
    summary: &Summary,
) -> Result<(String, Option<String>), String> {
    let _ = std::fs::remove_dir_all(root.join("tasks/.cache"));
    let out = Command::new(bin)
        .args(["--list", "--format", "json"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(0) {
        return Err(format!("--list exited {:?}: {stderr}", out.status.code()));
    }
    if stderr.contains("Failed to parse") || stderr.contains("Duplicate") {
        return Err(format!("generated files are not clean:\n{stderr}"));
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("--list --format json is not JSON: {e}"))?;
    let count = doc["count"].as_u64().unwrap_or(0) as usize;
    if count != summary.files {
        return Err(format!(
            "--list reports {count} tasks, {} were generated",
            summary.files
        ));
    }
    let out = Command::new(bin)
        .args(["--pick", "--format", "json"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let code = out.status.code();
    if !matches!(code, Some(0 | 1)) {
        return Err(format!(
            "--pick exited {code:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("--pick --format json is not JSON: {e}"))?;
    let id = doc["task"]["id"].as_str().map(str::to_string);
    let described = if code == Some(0) {
        format!(
            "picks {} ({}, effective {}, reason {})",
            doc["task"]["id"].as_str().unwrap_or("?"),
            doc["task"]["priority"].as_str().unwrap_or("?"),
            doc["task"]["effective_priority"].as_str().unwrap_or("?"),
            doc["reason"].as_str().unwrap_or("?"),
        )
    } else {
        "nothing ready (exit 1)".to_string()
    };
    Ok((described, id))
}

/// Make the repository a git repository with one commit (the generator writes an empty `.git`)
/// and give `id` a context, for the context verbs.
fn context_setup(bin: &Path, root: &Path, id: &str) -> Result<(), String> {
    let git = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=bench",
                "-c",
                "user.email=bench@example.com",
                // Committing 10,000 files leaves 10,000 loose objects, and git then packs them
                // in a background `gc --auto` that took a core from the first series measured
                // (the 10,000-task cold `--list`: 623 ms against ~320 for the other cold rows).
                "-c",
                "gc.auto=0",
                "-c",
                "maintenance.auto=false",
            ])
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "git {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let _ = std::fs::remove_dir(root.join(".git"));
    git(&["init", "-q"])?;
    std::fs::write(root.join(".gitignore"), "docs/compliance/\n")
        .map_err(|e| format!("cannot write .gitignore: {e}"))?;
    git(&["add", "-A"])?;
    git(&["commit", "-qm", "benchmark repository"])?;
    let out = Command::new(bin)
        .args(["--init-context", id, "--format", "json"])
        .env("TASKS_TELEMETRY", "off")
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "--init-context {id} exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(())
}

/// How long to wait after the last change to a repository before measuring warm runs: the tool
/// trusts a cached file or directory listing only once its modification time is two seconds
/// older than the listing (`SETTLED_SECS`), plus a margin for a coarse clock.
const SETTLE: Duration = Duration::from_millis(2_500);

/// Make the machine quiet before a series: `sync(2)`, so that what was just written (the
/// generated files, half a gigabyte with 100,000 tasks; the git objects of the context setup,
/// 10,000 small files; the last cold run's cache) goes to the disk now, not by the kernel's
/// flusher threads ~30 s later in the middle of a series; then wait [`SETTLE`]. Says what on
/// stderr.
fn settle(what: &str) {
    let syncing = Instant::now();
    // SAFETY: `sync` takes no arguments and only schedules and waits for writeback.
    unsafe { libc::sync() };
    eprintln!(
        "  synced in {:.1} s; waiting {:.1} s for {what} to settle",
        syncing.elapsed().as_secs_f64(),
        SETTLE.as_secs_f64()
    );
    std::thread::sleep(SETTLE);
}

/// A run's exit code is one the command may give: 0, or 1 ("nothing ready") except for a list.
fn check_exit(bin: &Path, args: &[&str], sample: &Sample) -> Result<(), String> {
    if !matches!(sample.exit_code, 0 | 1) || (args[0] == "--list" && sample.exit_code != 0) {
        return Err(format!(
            "{} {} exited {}",
            bin.display(),
            args.join(" "),
            sample.exit_code
        ));
    }
    Ok(())
}

/// The samples' statistics and the exit codes they gave.
fn summarise(samples: &[Sample]) -> (Stats, Vec<i32>) {
    let mut codes: Vec<i32> = samples.iter().map(|s| s.exit_code).collect();
    codes.sort_unstable();
    codes.dedup();
    (Stats::of(samples), codes)
}

/// A cold series: `tasks/.cache/` deleted before each run, one untimed warm-up run (page
/// cache) then `runs` timed runs, one after another.
fn cold_series(
    bin: &Path,
    root: &Path,
    args: &[&str],
    runs: usize,
) -> Result<(Stats, Vec<i32>), String> {
    let cache = root.join("tasks/.cache");
    let mut samples: Vec<Sample> = Vec::with_capacity(runs);
    for i in 0..=runs {
        if cache.exists() {
            std::fs::remove_dir_all(&cache).map_err(|e| format!("cannot clear the cache: {e}"))?;
        }
        let sample = run_once(bin, args, root).map_err(|e| format!("cannot run: {e}"))?;
        check_exit(bin, args, &sample)?;
        if i > 0 {
            samples.push(sample);
        }
    }
    Ok(summarise(&samples))
}

/// The warm series of several commands on one repository, interleaved: one untimed warm-up
/// run of each (which also writes the cache if none is there), then `runs` rounds of one timed
/// run of each command in turn. A burst of noise on the machine (this VM has them, lasting a
/// fraction of a second to minutes) then falls on every command alike instead of on whichever
/// series happened to run through it.
fn warm_series(
    bin: &Path,
    root: &Path,
    commands: &[Vec<&str>],
    runs: usize,
) -> Result<Vec<(Stats, Vec<i32>)>, String> {
    let mut samples: Vec<Vec<Sample>> = commands.iter().map(|_| Vec::with_capacity(runs)).collect();
    for round in 0..=runs {
        for (args, samples) in commands.iter().zip(&mut samples) {
            let sample = run_once(bin, args, root).map_err(|e| format!("cannot run: {e}"))?;
            check_exit(bin, args, &sample)?;
            if round > 0 {
                samples.push(sample);
            }
        }
    }
    Ok(samples.iter().map(|s| summarise(s)).collect())
}

fn scenario_table(report: &mut String, generated: &[(Scenario, Summary, String, u64)]) {
    report.push_str(
        "| scenario | files | total MiB | file KB min / avg / max | completed (archived) | \
         active todo / in_progress / blocked / draft | blocked_by edges | longest chain (all / unfinished) | \
         cache MiB | pick result |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (scenario, s, picked, cache_bytes) in generated {
        let status = |name: &str| {
            s.active_by_status
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0, |(_, c)| *c)
        };
        let _ = writeln!(
            report,
            "| {} | {} | {:.1} | {:.1} / {:.1} / {:.1} | {} ({}) | {} / {} / {} / {} | {} | {} / {} | {:.1} | {} |",
            scenario.name,
            s.files,
            s.bytes as f64 / 1024.0 / 1024.0,
            s.min_bytes as f64 / 1000.0,
            s.bytes as f64 / s.files.max(1) as f64 / 1000.0,
            s.max_bytes as f64 / 1000.0,
            s.completed,
            s.archived,
            status("todo"),
            status("in_progress"),
            status("blocked"),
            status("draft"),
            s.blocked_by_edges,
            s.longest_chain,
            s.longest_open_chain,
            *cache_bytes as f64 / 1024.0 / 1024.0,
            picked
        );
    }
}

fn results_table(report: &mut String, rows: &[Row]) {
    report.push_str(
        "| scenario | command | cache | runs | min ms | median ms | mean ms | max ms | \
         CPU median ms | peak RSS MiB | exit |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let s = &r.stats;
        let codes: Vec<String> = r.exit_codes.iter().map(i32::to_string).collect();
        let _ = writeln!(
            report,
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.command,
            if r.cold { "cold" } else { "warm" },
            s.runs,
            ms(s.min),
            ms(s.median),
            ms(s.mean),
            ms(s.max),
            ms(s.cpu_median),
            mib(s.rss_max_kib),
            codes.join(",")
        );
    }
}

/// Median cost per task for each realistic size, and how it grows from size to size.
fn linearity_table(report: &mut String, rows: &[Row], sizes: &[usize]) {
    let realistic: Vec<&Row> = rows.iter().filter(|r| r.realistic).collect();
    if sizes.len() < 2 {
        report.push_str("(needs two sizes or more: `--sizes 150,10000`)\n");
        return;
    }
    report.push_str("| command | cache |");
    for n in sizes {
        let _ = write!(report, " µs/task at {n} |");
    }
    report.push_str(" median growth per 10× tasks |\n|---|---|");
    for _ in 0..=sizes.len() {
        report.push_str("---|");
    }
    report.push('\n');
    for command in [
        "--list --format json",
        "--pick",
        "--pick --format json",
        "--explain ID",
    ] {
        let command = &command;
        for cold in [true, false] {
            let medians: Vec<Option<Duration>> = sizes
                .iter()
                .map(|&n| {
                    realistic
                        .iter()
                        .find(|r| r.tasks == n && r.command == *command && r.cold == cold)
                        .map(|r| r.stats.median)
                })
                .collect();
            let _ = write!(
                report,
                "| `{command}` | {} |",
                if cold { "cold" } else { "warm" }
            );
            for (n, m) in sizes.iter().zip(&medians) {
                match m {
                    Some(m) => {
                        let _ = write!(report, " {:.1} |", m.as_secs_f64() * 1e6 / *n as f64);
                    }
                    None => report.push_str(" – |"),
                }
            }
            // Growth of the median between consecutive sizes, normalised to a 10× step.
            let growth: Vec<String> = sizes
                .windows(2)
                .zip(medians.windows(2))
                .filter_map(|(n, m)| {
                    let (a, b) = (m[0]?, m[1]?);
                    let step = (n[1] as f64 / n[0] as f64).log10();
                    let g = (b.as_secs_f64() / a.as_secs_f64()).powf(1.0 / step);
                    Some(format!("{}→{}: {g:.1}×", n[0], n[1]))
                })
                .collect();
            let _ = writeln!(report, " {} |", growth.join(", "));
        }
    }
}

fn targets(report: &mut String, rows: &[Row]) {
    let _ = writeln!(
        report,
        "| repository | command | warm target | warm median (slowest) | cold target | cold median (slowest) | peak RSS target | peak RSS | met? |\n|---|---|---|---|---|---|---|---|---|"
    );
    for &(tasks, label, warm_ms, cold_ms, rss_mb) in TARGETS {
        let find = |cold: bool| {
            rows.iter()
                .find(|r| r.realistic && r.tasks == tasks && r.command == label && r.cold == cold)
        };
        let Some(warm) = find(false) else {
            continue;
        };
        let cold = find(true);
        let mut met = warm.stats.median <= Duration::from_millis(warm_ms);
        let cold_text = match (cold_ms, cold) {
            (Some(limit), Some(c)) => {
                met &= c.stats.median <= Duration::from_millis(limit);
                format!("{} ({})", ms(c.stats.median), ms(c.stats.max))
            }
            _ => "–".to_string(),
        };
        let peak = cold
            .map_or(0, |c| c.stats.rss_max_kib)
            .max(warm.stats.rss_max_kib);
        if let Some(limit) = rss_mb {
            met &= peak as f64 * 1024.0 / 1e6 <= limit as f64;
        }
        let _ = writeln!(
            report,
            "| {tasks} tasks | `{label}` | ≤ {warm_ms} ms | {} ({}) | {} | {cold_text} | {} | {:.1} MB | {} |",
            ms(warm.stats.median),
            ms(warm.stats.max),
            cold_ms.map_or("–".to_string(), |c| format!("≤ {c} ms")),
            rss_mb.map_or("–".to_string(), |m| format!("≤ {m} MB")),
            peak as f64 * 1024.0 / 1e6,
            if met { "yes" } else { "**NO**" }
        );
    }
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if argv.first().is_some_and(|a| a == HELPER_FLAG) {
        return measure::helper_main(&argv[1..]);
    }
    let options = match parse_options() {
        Ok(o) => o,
        Err(message) => return fail(message),
    };
    let mut scenarios: Vec<Scenario> = options
        .sizes
        .iter()
        .map(|&n| Scenario::realistic(n))
        .collect();
    if options.chain > 0 {
        scenarios.push(Scenario::chain(options.chain));
    }
    if options.random > 0 {
        scenarios.push(Scenario::random(options.random));
    }

    let temp;
    let base = match &options.dir {
        Some(dir) => dir.clone(),
        None => match tempfile::Builder::new().prefix("tasks-bench-").tempdir() {
            Ok(dir) => {
                temp = dir;
                temp.path().to_path_buf()
            }
            Err(e) => return fail(format!("cannot create a temp dir: {e}")),
        },
    };

    let mut generated = Vec::new();
    for scenario in &scenarios {
        let root = base.join(scenario.slug());
        if root.exists()
            && let Err(e) = std::fs::remove_dir_all(&root)
        {
            return fail(format!("cannot clear {}: {e}", root.display()));
        }
        let started = Instant::now();
        match generate::generate(scenario, &root) {
            Ok(summary) => {
                eprintln!(
                    "generated {} in {} ({} files, {:.1} MiB) in {:.1} s",
                    scenario.name,
                    root.display(),
                    summary.files,
                    summary.bytes as f64 / 1024.0 / 1024.0,
                    started.elapsed().as_secs_f64()
                );
                generated.push((scenario.clone(), summary));
            }
            Err(e) => return fail(format!("cannot generate {}: {e}", root.display())),
        }
    }
    if options.generate_only {
        return ExitCode::SUCCESS;
    }
    // Files written less than two seconds ago are hashed again on every run (the tool's "racily
    // clean" rule): a warm run right after generating would measure that, not a warm cache.
    settle("the generated files");

    let bin = match locate_binary(options.bin.clone()) {
        Ok(bin) => bin,
        Err(message) => return fail(message),
    };
    let machine = machine_description(&bin);
    eprintln!("measuring {machine}");

    let mut rows: Vec<Row> = Vec::new();
    let mut described = Vec::new();
    for (scenario, summary) in &generated {
        let (picked, picked_id) = match sanity_check(&bin, &summary.root, summary) {
            Ok(p) => p,
            Err(message) => return fail(format!("{}: {message}", scenario.name)),
        };
        let cache_bytes = cache_file_bytes(&summary.root);
        described.push((scenario.clone(), summary.clone(), picked, cache_bytes));
        let with_context = scenario.shape == generate::Shape::Realistic
            && scenario.tasks <= CONTEXT_UP_TO
            && match picked_id.as_deref() {
                Some(id) => match context_setup(&bin, &summary.root, id) {
                    Ok(()) => true,
                    Err(message) => return fail(format!("{}: {message}", scenario.name)),
                },
                None => false,
            };
        if with_context {
            settle("the git repository of the context verbs");
        }
        let measured = commands(picked_id.as_deref(), with_context);
        let args: Vec<Vec<&str>> = measured
            .iter()
            .map(|c| c.args.iter().map(String::as_str).collect())
            .collect();
        let row = |command: &Measured, cold: bool, (stats, exit_codes): (Stats, Vec<i32>)| Row {
            scenario: scenario.name.clone(),
            realistic: scenario.shape == generate::Shape::Realistic,
            tasks: scenario.tasks,
            command: command.label,
            cold,
            stats,
            exit_codes,
        };
        // Cold series one after another (each clears the cache), then the warm ones interleaved.
        let mut cold_rows = Vec::new();
        for (command, args) in measured.iter().zip(&args).filter(|(c, _)| c.cold) {
            eprintln!(
                "  {} `{}` cold x{}",
                scenario.name, command.label, options.runs
            );
            match cold_series(&bin, &summary.root, args, options.runs) {
                Ok(result) => cold_rows.push(row(command, true, result)),
                Err(message) => return fail(format!("{}: {message}", scenario.name)),
            }
        }
        // The cold runs recreated `tasks/.cache/`, which changed `tasks/`: listed again on every
        // run until that change is two seconds old.
        settle("tasks/ after the cold runs");
        eprintln!(
            "  {} warm, {} commands interleaved x{}",
            scenario.name,
            measured.len(),
            options.runs
        );
        let warm = match warm_series(&bin, &summary.root, &args, options.runs) {
            Ok(warm) => warm,
            Err(message) => return fail(format!("{}: {message}", scenario.name)),
        };
        // In the table: each command's cold row, then its warm row.
        let mut cold_rows = cold_rows.into_iter();
        for (command, result) in measured.iter().zip(warm) {
            if command.cold {
                rows.extend(cold_rows.next());
            }
            rows.push(row(command, false, result));
        }
    }

    let mut report = String::new();
    let _ = writeln!(report, "## tasks CLI benchmark\n\nMachine: {machine}\n");
    report.push_str("### Inputs\n\n");
    scenario_table(&mut report, &described);
    report.push_str("\n### Wall time and peak memory\n\n");
    results_table(&mut report, &rows);
    report.push_str("\n### Cost per task (linearity)\n\n");
    linearity_table(&mut report, &rows, &options.sizes);
    report.push_str("\n### Targets\n\n");
    targets(&mut report, &rows);
    print!("{report}");
    if let Some(path) = &options.out
        && let Err(e) = std::fs::write(path, &report)
    {
        return fail(format!("cannot write {}: {e}", path.display()));
    }
    ExitCode::SUCCESS
}

/// The size of the task cache file (whatever its layout version), 0 when there is none.
fn cache_file_bytes(root: &std::path::Path) -> u64 {
    std::fs::read_dir(root.join("tasks/.cache"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("task-index.v") && name.ends_with(".bin")
        })
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}
