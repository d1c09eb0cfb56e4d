//! Running the CLI as a child process and measuring it: wall time around spawn-to-reap, and the
//! child's own resource usage from `wait4(2)`.
//!
//! Why `wait4` (through the `libc` crate) rather than polling `/proc/<pid>/status` for `VmHWM`:
//! the kernel fills `ru_maxrss` for exactly the reaped child when it exits, so the peak is exact
//! even for a run that lasts a few milliseconds, and there is no sampling race (a poller can miss
//! the peak, and `/proc/<pid>/status` of an exited zombie no longer has `VmHWM`).
//! `getrusage(RUSAGE_CHILDREN)` would only give the maximum over *all* children so far.
//!
//! Why every run goes through a helper process ([`HELPER_FLAG`]): on `execve` Linux folds the
//! high-water RSS of the memory map being replaced into the new program's `ru_maxrss`. A child
//! spawned straight from the harness starts from the harness's map (`posix_spawn` shares it,
//! `fork` copies it), so its `ru_maxrss` is at least the harness's own peak, ~40 MiB after the
//! sanity check has parsed the 10,000-task `--list` JSON. The helper is this bench binary
//! exec'd afresh (a ~2 MiB map); it spawns the CLI, reaps it and reports the numbers on stdout.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// One run of the CLI.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// User + system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size of the child, in KiB (`ru_maxrss` is in KiB on Linux).
    pub max_rss_kib: u64,
    pub exit_code: i32,
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

/// First argument that makes the bench binary act as the measuring helper:
/// `HELPER_FLAG BIN ARGS...`, run in the directory to measure in.
pub const HELPER_FLAG: &str = "--measure-child";

/// Run `bin args` in `cwd` once, through a fresh helper process (see the module docs), and
/// return what the CLI itself cost.
pub fn run_once(bin: &Path, args: &[&str], cwd: &Path) -> io::Result<Sample> {
    let out = Command::new(std::env::current_exe()?)
        .arg(HELPER_FLAG)
        .arg(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<i128> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let &[wall_ns, cpu_ns, max_rss_kib, exit_code] = fields.as_slice() else {
        return Err(io::Error::other(format!(
            "the measuring helper failed ({}): {text:?}",
            out.status
        )));
    };
    Ok(Sample {
        wall: Duration::from_nanos(wall_ns as u64),
        cpu: Duration::from_nanos(cpu_ns as u64),
        max_rss_kib: max_rss_kib as u64,
        exit_code: exit_code as i32,
    })
}

/// The helper's side of [`run_once`]: `args` are `BIN ARGS...`; prints
/// `wall_ns cpu_ns max_rss_kib exit_code` on one line.
pub fn helper_main(args: &[OsString]) -> ExitCode {
    let Some((bin, rest)) = args.split_first() else {
        eprintln!("{HELPER_FLAG} needs a binary");
        return ExitCode::FAILURE;
    };
    let cwd = Path::new(".");
    match spawn_and_reap(bin, rest, cwd) {
        Ok(s) => {
            println!(
                "{} {} {} {}",
                s.wall.as_nanos(),
                s.cpu.as_nanos(),
                s.max_rss_kib,
                s.exit_code
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot run {}: {e}", Path::new(bin).display());
            ExitCode::FAILURE
        }
    }
}

/// Spawn `bin args` in `cwd` (in the helper process) with stdin, stdout and stderr on
/// `/dev/null`, wait for it with `wait4`, and return what it cost. The exit code is -1 when it
/// died of a signal.
fn spawn_and_reap(bin: &OsStr, args: &[OsString], cwd: &Path) -> io::Result<Sample> {
    let start = Instant::now();
    let child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct for which all-zero bytes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own un-reaped child; both out-pointers are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall = start.elapsed();
    // The child is reaped already; dropping the handle neither waits nor kills.
    drop(child);
    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok(Sample {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
        exit_code,
    })
}

/// Summary statistics of a series of samples.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub runs: usize,
    pub min: Duration,
    pub median: Duration,
    pub mean: Duration,
    pub max: Duration,
    pub cpu_median: Duration,
    pub rss_max_kib: u64,
}

fn median(sorted: &[Duration]) -> Duration {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

impl Stats {
    pub fn of(samples: &[Sample]) -> Stats {
        assert!(!samples.is_empty(), "no samples");
        let mut wall: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        wall.sort();
        let mut cpu: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
        cpu.sort();
        Stats {
            runs: samples.len(),
            min: wall[0],
            median: median(&wall),
            mean: wall.iter().sum::<Duration>() / samples.len() as u32,
            max: wall[wall.len() - 1],
            cpu_median: median(&cpu),
            rss_max_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
        }
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// The binary to measure: `--bin`/`TASKS_BIN`, else the one cargo built for this bench (under
/// `cargo bench` that is the optimised target/release/tasks), else target/release/tasks, built
/// with `cargo build --release` when missing.
pub fn locate_binary(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(bin) = explicit {
        return Ok(bin);
    }
    if let Some(bin) = option_env!("CARGO_BIN_EXE_tasks").map(PathBuf::from)
        && bin.exists()
    {
        return Ok(bin);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = manifest.join("target/release/tasks");
    if !bin.exists() {
        eprintln!("building {} ...", bin.display());
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--bin", "tasks"])
            .current_dir(manifest)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err("cargo build --release failed".to_string());
        }
    }
    Ok(bin)
}
