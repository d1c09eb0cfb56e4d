//! Benchmark of evidence archives: `cargo bench --bench evidence`.
//!
//! Builds a repository with one task and its context, and a directory of deterministic data
//! (half pseudo-random bytes, which do not compress, half repetitive text, which does), then
//! runs the release binary on it and reports, per command, the median wall time, the
//! throughput over the directory's size and the peak RSS of the process (from `wait4`, through
//! the helper process of `benches/cli/measure.rs`):
//! - `--attach-evidence ID --type directory --path data` (walk, hash, tar, zstd, index);
//! - `--verify-evidence ID` (re-hash the archive, decompress it and hash every file again);
//! - `--extract-evidence ID --id EID --to DIR` (check, decompress, write every file).
//!
//! Options (after `--`, e.g. `cargo bench --bench evidence -- --mib 256 --runs 3`):
//!   --mib N      size of the directory in MiB (default 1024)
//!   --files N    number of files it holds (default 256)
//!   --runs N     timed runs per command (default 3)
//!   --bin PATH   binary to measure (default: the one cargo built, or target/release/tasks)
//!   --dir DIR    where to build the repository (default: a temp dir; it needs about 3x the
//!                directory's size while extraction runs)
//!   --out FILE   also write the Markdown report to FILE

// Shared with the cli bench, which uses all of it.
#[allow(dead_code)]
#[path = "../cli/measure.rs"]
mod measure;

use measure::{HELPER_FLAG, Sample, Stats, locate_binary, mib, run_once};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

struct Options {
    mib: u64,
    files: u64,
    runs: usize,
    bin: Option<PathBuf>,
    dir: Option<PathBuf>,
    out: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        mib: 1024,
        files: 256,
        runs: 3,
        bin: std::env::var_os("TASKS_BIN").map(PathBuf::from),
        dir: None,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |text: String| {
            text.trim()
                .parse::<u64>()
                .map_err(|e| format!("bad number {text:?}: {e}"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--mib" => o.mib = number(value("--mib")?)?.max(1),
            "--files" => o.files = number(value("--files")?)?.max(1),
            "--runs" => o.runs = number(value("--runs")?)?.max(1) as usize,
            "--bin" => o.bin = Some(PathBuf::from(value("--bin")?)),
            "--dir" => o.dir = Some(PathBuf::from(value("--dir")?)),
            "--out" => o.out = Some(PathBuf::from(value("--out")?)),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (see benches/evidence/main.rs)"
                ));
            }
        }
    }
    Ok(o)
}

fn run(program: &str, args: &[&str], cwd: &Path) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// xorshift64*: deterministic bytes.
struct Rng(u64);

impl Rng {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// The repository, its task with a context, and `data/` of `mib` MiB in `files` files.
fn build(root: &Path, bin: &Path, mib_total: u64, files: u64) -> Result<(), String> {
    std::fs::create_dir_all(root.join("tasks/bench")).map_err(|e| e.to_string())?;
    std::fs::write(
        root.join("tasks/bench/TASK-0001-bench.task.yaml"),
        "id: TASK-0001\ntitle: Evidence bench\nstatus: in_progress\npriority: P1\narea: bench\n\
scope:\n  in: [data/]\nplan:\n  - id: 1\n    outputs: [data/]\ndeliverables: [data/]\n\
acceptance_criteria:\n  - archived\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(root.join(".gitignore"), "data/\nrestored/\n").map_err(|e| e.to_string())?;
    run("git", &["init", "-q"], root)?;
    run("git", &["add", "-A"], root)?;
    run(
        "git",
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "-qm",
            "bench",
        ],
        root,
    )?;
    run(
        bin.to_str().unwrap(),
        &["--init-context", "TASK-0001"],
        root,
    )?;
    let per_file = mib_total * 1024 * 1024 / files;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut buf = vec![0u8; 1024 * 1024];
    let text =
        b"2026-11-29T12:00:00Z INFO request handled in 12 ms status=200 path=/api/shipments\n";
    for i in 0..files {
        let dir = root.join(format!("data/part-{:02}", i % 16));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(dir.join(format!("file-{i:04}.bin")))
                .map_err(|e| e.to_string())?,
        );
        let mut left = per_file;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            if i % 2 == 0 {
                rng.fill(&mut buf[..n]);
            } else {
                for (j, b) in buf[..n].iter_mut().enumerate() {
                    *b = text[j % text.len()];
                }
            }
            file.write_all(&buf[..n]).map_err(|e| e.to_string())?;
            left -= n as u64;
        }
        file.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn series(
    bin: &Path,
    args: &[&str],
    cwd: &Path,
    runs: usize,
    before: &dyn Fn(),
) -> Result<Stats, String> {
    let mut samples: Vec<Sample> = Vec::new();
    for _ in 0..runs {
        before();
        let s = run_once(bin, args, cwd).map_err(|e| e.to_string())?;
        if s.exit_code != 0 {
            return Err(format!("{args:?} exited {}", s.exit_code));
        }
        samples.push(s);
    }
    Ok(Stats::of(&samples))
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if argv.first().is_some_and(|a| a == HELPER_FLAG) {
        return measure::helper_main(&argv[1..]);
    }
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let o = parse_options()?;
    let bin = locate_binary(o.bin.clone())?;
    let temp;
    let base = match &o.dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("tasks-evidence-bench-")
                .tempdir()
                .map_err(|e| e.to_string())?;
            temp.path().to_path_buf()
        }
    };
    let root = base.join("repo");
    let _ = std::fs::remove_dir_all(&root);
    eprintln!(
        "generating {} MiB in {} files under {}",
        o.mib,
        o.files,
        root.display()
    );
    build(&root, &bin, o.mib, o.files)?;
    let bytes = (o.mib * 1024 * 1024 / o.files * o.files) as f64;
    let mut report = String::new();
    let commit = run(
        "git",
        &["rev-parse", "--short", "HEAD"],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .unwrap_or_default();
    let _ = writeln!(
        report,
        "Evidence archive of a {} MiB directory ({} files, half incompressible), {} runs, commit {}\n",
        o.mib,
        o.files,
        o.runs,
        commit.trim()
    );
    let _ = writeln!(
        report,
        "| command | median | throughput | peak RSS |\n|---|---|---|---|"
    );
    let mut row = |label: &str, stats: &Stats| {
        let secs = stats.median.as_secs_f64();
        let _ = writeln!(
            report,
            "| `{label}` | {secs:.2} s | {:.0} MB/s ({:.0} MiB/s) | {} MiB |",
            bytes / secs / 1e6,
            bytes / secs / 1024.0 / 1024.0,
            mib(stats.rss_max_kib)
        );
    };
    let attach = [
        "--attach-evidence",
        "TASK-0001",
        "--type",
        "directory",
        "--path",
        "data",
        "--format",
        "json",
    ];
    eprintln!("  --attach-evidence x{}", o.runs);
    let stats = series(&bin, &attach, &root, o.runs, &|| {})?;
    row("--attach-evidence --type directory", &stats);
    let listed = run(
        bin.to_str().unwrap(),
        &[
            "--list-evidence",
            "TASK-0001",
            "--type",
            "archive",
            "--format",
            "json",
        ],
        &root,
    )?;
    let doc: serde_json::Value = serde_json::from_str(&listed).map_err(|e| e.to_string())?;
    let eid = doc["data"]["evidence"][0]["id"]
        .as_str()
        .ok_or("no archive listed")?
        .to_string();
    let size = doc["data"]["evidence"][0]["size"].as_u64().unwrap_or(0);
    eprintln!("  --verify-evidence x{}", o.runs);
    let stats = series(
        &bin,
        &["--verify-evidence", "TASK-0001"],
        &root,
        o.runs,
        &|| {},
    )?;
    row("--verify-evidence", &stats);
    eprintln!("  --extract-evidence x{}", o.runs);
    let restored = root.join("restored");
    let stats = series(
        &bin,
        &[
            "--extract-evidence",
            "TASK-0001",
            "--id",
            &eid,
            "--to",
            "restored",
        ],
        &root,
        o.runs,
        &|| {
            let _ = std::fs::remove_dir_all(&restored);
        },
    )?;
    row("--extract-evidence", &stats);
    let _ = writeln!(
        report,
        "\nArchive: {:.1} MiB ({:.0}% of the directory).",
        size as f64 / 1024.0 / 1024.0,
        size as f64 * 100.0 / bytes
    );
    print!("{report}");
    if let Some(out) = &o.out {
        std::fs::write(out, &report).map_err(|e| e.to_string())?;
    }
    Ok(())
}
