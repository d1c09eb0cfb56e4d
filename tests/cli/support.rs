//! `TestRepo`: a temporary git repository with task files, and a runner for the real binary.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct TestRepo {
    dir: tempfile::TempDir,
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as exactly one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn warnings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("Warning: "))
            .collect()
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tasks"))
}

/// Variables the tool (or its HTTP client) reads: a developer's own settings must not leak into
/// the tests (no real notification is ever sent, no proxy is used).
const ISOLATED: [&str; 20] = [
    "TASKS_NOW",
    "TASKS_AGENT",
    "TASKS_TASK",
    "TASKS_TELEMETRY",
    "TASKS_SESSION_ID",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_CHAT_ID",
    "TELEGRAM_API_BASE_URL",
    "NTFY_TOPIC",
    "NTFYT_TOPIC",
    "NTFY_BASE_URL",
    "NTFYT_BASE_URL",
    "NTFY_ACCESS_TOKEN",
    "NTFYT_ACCESS_TOKEN",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The binary, with the environment isolated from the caller's.
pub fn command() -> Command {
    let mut cmd = Command::new(bin());
    for var in ISOLATED {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Run the binary in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    finish(command().args(args).current_dir(cwd), args)
}

/// Run a prepared command, check that the binary did not panic, collect its output.
fn finish(cmd: &mut Command, args: &[&str]) -> Run {
    let out = cmd.output().expect("run tasks");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "the binary panicked on {args:?}:\n{}",
        run.stderr
    );
    check_schema(args, &run);
    run
}

/// Every JSON document the binary prints in the tests must match the published schema of what
/// printed it (docs/schemas/, `tasks --schema NAME`): a schema cannot drift from the code.
/// Output that is not one JSON document (a run killed on purpose) is left to the test.
pub fn check_schema(args: &[&str], run: &Run) {
    let Some(name) = tasks::schema::name_for_args(args) else {
        return;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&run.stdout) else {
        return;
    };
    let validator = validator(name);
    if validator.is_valid(&doc) {
        return;
    }
    // Every failure inside the branches of the top `anyOf`, with where it is in the document
    // and in the schema.
    let evaluation = validator.evaluate(&doc);
    let errors: Vec<String> = evaluation
        .iter_errors()
        .filter(|e| !e.schema_location.is_empty())
        .take(20)
        .map(|e| {
            let shown: String = e.error.to_string().chars().take(300).collect();
            format!(
                "  at {} (schema {}): {shown}",
                e.instance_location.as_str(),
                e.schema_location
            )
        })
        .collect();
    panic!(
        "the output of tasks {args:?} does not match the schema `{name}`:\n{}\noutput:\n{}",
        errors.join("\n"),
        run.stdout
    );
}

/// The compiled validator of a schema (compiled once per test binary).
pub fn validator(name: &'static str) -> std::sync::Arc<jsonschema::Validator> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static VALIDATORS: OnceLock<Mutex<HashMap<&'static str, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let mut cache = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    Arc::clone(cache.entry(name).or_insert_with(|| {
        // The strict form: every object closed unless its type keeps unknown keys.
        let schema = tasks::schema::strict(name).unwrap_or_else(|| panic!("no schema {name}"));
        Arc::new(
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("the schema {name} does not compile: {e}")),
        )
    }))
}

/// A minimal valid task file.
pub fn task_yaml(id: &str, status: &str, priority: &str, extra: &str) -> String {
    format!(
        "id: {id}\ntitle: Task {id}\nstatus: {status}\npriority: {priority}\narea: backend\n{extra}"
    )
}

impl TestRepo {
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = TestRepo { dir };
        repo.git(&["init", "-q"]);
        repo
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The canonical root, as the tool prints it.
    pub fn abs(&self, rel: &str) -> String {
        self.root()
            .canonicalize()
            .unwrap()
            .join(rel)
            .to_string_lossy()
            .into_owned()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// Write `tasks/<area>/<id>.task.yaml` (or the archive) from [`task_yaml`].
    pub fn task(&self, rel: &str, id: &str, status: &str, priority: &str, extra: &str) -> &Self {
        self.write(rel, task_yaml(id, status, priority, extra))
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel)).unwrap()
    }

    pub fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(self.root())
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    }

    /// The stdout of `git <args>` run in the repository (which must succeed).
    pub fn git_stdout(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.root())
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn commit(&self) -> &Self {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-qm", "fixture", "--allow-empty"]);
        self
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.root(), args)
    }

    /// Run with `--format json` appended; stdout must be one JSON document.
    pub fn json(&self, args: &[&str]) -> (i32, Value, Run) {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let run = self.run(&all);
        (run.code, run.json(), run)
    }
}

/// `fixtures/context/reference-v1-context.json`: a context in the exact format of `tasks.py`.
pub fn reference_context_fixture() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/context/reference-v1-context.json"),
    )
    .expect("reference context fixture")
}

/// Lowercase hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `error.code` of a JSON error document ("" when there is none).
pub fn error_code(doc: &Value) -> &str {
    doc["error"]["code"].as_str().unwrap_or("")
}

/// The ids of a `--list --format json` document, in order.
pub fn ids(doc: &Value) -> Vec<String> {
    doc["tasks"]
        .as_array()
        .expect("tasks array")
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

impl TestRepo {
    /// Run with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        finish(
            command()
                .args(args)
                .current_dir(self.root())
                .envs(env.iter().copied()),
            args,
        )
    }

    /// Every file under the root (but .git and the tool's cache) with its bytes.
    pub fn snapshot(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        files_under(self.root(), |rel| {
            !rel.starts_with(".git/") && !rel.starts_with("tasks/.cache/")
        })
    }
}

/// Every file under `root` whose repo-relative path `keep` accepts, with its bytes.
pub fn files_under(
    root: &Path,
    keep: impl Fn(&str) -> bool,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .into_owned();
            keep(&rel).then(|| (rel, std::fs::read(e.path()).unwrap()))
        })
        .collect()
}

/// One HTTP request received by [`Server`].
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP server answering each connection with the next status of `statuses`.
pub struct Server {
    pub url: String,
    requests: std::sync::mpsc::Receiver<Request>,
}

impl Server {
    pub fn start(statuses: Vec<u16>) -> Server {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for status in statuses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = tx.send(Request {
                    method,
                    path,
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
            }
        });
        Server { url, requests: rx }
    }

    /// The requests received so far (waiting briefly for late ones).
    pub fn requests(&self) -> Vec<Request> {
        let mut out = Vec::new();
        while let Ok(r) = self
            .requests
            .recv_timeout(std::time::Duration::from_millis(500))
        {
            out.push(r);
        }
        out
    }
}

/// Run the binary with stdout on a pseudo-terminal (as a person at a terminal sees it); stderr
/// is captured apart. Returns (exit code, what the terminal showed).
pub fn run_on_terminal(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let (code, shown, _) = on_terminal(cwd, args, env, Shown::Stdout);
    (code, shown)
}

/// Run with stderr on a terminal and stdout piped: (exit code, what the terminal showed,
/// stdout).
pub fn run_with_stderr_on_terminal(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    on_terminal(cwd, args, &[], Shown::Stderr)
}

#[derive(PartialEq)]
enum Shown {
    Stdout,
    Stderr,
}

fn on_terminal(
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    shown_stream: Shown,
) -> (i32, String, String) {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two file descriptors; no name, termios or window size is passed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let mut command = command();
    command
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().copied());
    if shown_stream == Shown::Stdout {
        command.stdout(slave).stderr(Stdio::null());
    } else {
        command.stderr(slave).stdout(Stdio::piped());
    }
    let child = command.spawn().expect("spawn");
    // The command holds the terminal's slave end: dropped, the terminal ends with the child.
    drop(command);
    let out = child.wait_with_output().expect("wait");
    let mut shown = Vec::new();
    let mut master = master;
    let mut buf = [0u8; 4096];
    // The slave is closed: read what is buffered until the terminal reports EOF or EIO.
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&buf[..n]);
    }
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&shown).replace("\r\n", "\n"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
