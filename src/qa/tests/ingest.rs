use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/qa")
        .join(name);
    std::fs::read(path).unwrap()
}

fn read(log: &[u8], hints: Hints) -> (Ingested, Vec<u8>) {
    let mut copy = Vec::new();
    let got = ingest(log, &mut copy, &hints).unwrap();
    (got, copy)
}

#[test]
fn the_log_is_copied_byte_for_byte_and_hashed() {
    let mut log = fixture("jest-fail.log");
    log.extend_from_slice(b"\r\n\xff\xfe no newline at the end");
    let (got, copy) = read(&log, Hints::default());
    assert_eq!(copy, log);
    assert_eq!(got.size, log.len() as u64);
    assert_eq!(got.sha256, crate::store::sha256_hex(&log));
}

#[test]
fn the_named_kind_beats_the_command_which_beats_the_log() {
    let log = fixture("jest-fail.log");
    let (detected, _) = read(&log, Hints::default());
    assert_eq!(detected.kind, Some(Kind::Test), "detected in the log");
    let (by_command, _) = read(
        &log,
        Hints {
            command: Some("pnpm run typecheck"),
            ..Hints::default()
        },
    );
    assert_eq!(by_command.kind, Some(Kind::Typecheck));
    let (named, _) = read(
        &log,
        Hints {
            command: Some("pnpm run typecheck"),
            command_type: Some("lint"),
            ..Hints::default()
        },
    );
    assert_eq!(named.kind, Some(Kind::Lint));
    assert_eq!(
        named.command_id.as_deref(),
        Some("lint"),
        "the id follows the kind"
    );
}

#[test]
fn a_given_command_id_is_kept_and_made_safe_only_in_the_file_name() {
    let (got, _) = read(
        b"Tests: 1 passed, 1 total\n",
        Hints {
            command_type: Some("test"),
            command_id: Some("unit/../web tests"),
            ..Hints::default()
        },
    );
    assert_eq!(got.command_id.as_deref(), Some("unit/../web tests"));
    let name = got.file_name();
    assert_eq!(name, format!("unit----web-tests-{}.log", &got.sha256[..12]));
    assert!(!name.contains('/'));
}

#[test]
fn a_log_nothing_identifies_has_no_kind_and_no_id() {
    let (got, _) = read(b"hello\nworld\n", Hints::default());
    assert_eq!((got.kind, got.command_id.as_deref()), (None, None));
    assert!(!got.crashed(), "an unknown kind says nothing about a crash");
    assert_eq!(got.exit_code(None), (0, true));
    assert!(got.file_name().starts_with("unknown-"));
}

#[test]
fn the_exit_code_is_inferred_from_failures_and_crashes_unless_given() {
    let (failing, _) = read(&fixture("jest-fail.log"), Hints::default());
    assert!(failing.recognized && !failing.crashed());
    assert_eq!(failing.exit_code(None), (1, true));
    assert_eq!(
        failing.exit_code(Some(0)),
        (0, false),
        "given beats inferred"
    );

    // A test run that printed no summary crashed: failed, whatever else it printed.
    let (crashed, _) = read(
        b"RUNS src/a.test.ts\nSegmentation fault\n",
        Hints {
            command_type: Some("test"),
            ..Hints::default()
        },
    );
    assert!(crashed.crashed());
    assert_eq!(crashed.exit_code(None), (1, true));

    // A clean lint run prints nothing and passed.
    let (clean, _) = read(
        b"",
        Hints {
            command: Some("pnpm lint"),
            ..Hints::default()
        },
    );
    assert!(clean.recognized && !clean.crashed());
    assert_eq!(clean.exit_code(None), (0, true));
}

#[test]
fn a_failing_reader_and_a_failing_writer_are_told_apart() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = Vec::new();
    let read_side = ingest(
        std::io::BufReader::new(Broken),
        &mut sink,
        &Hints::default(),
    );
    assert!(matches!(read_side, Err(CopyError::Read(_))));
    let write_side = ingest(&b"line\n"[..], &mut Full, &Hints::default());
    assert!(
        matches!(write_side, Err(CopyError::Write(e)) if e.kind() == std::io::ErrorKind::StorageFull)
    );
}

#[test]
fn a_log_that_says_nothing_is_read_as_the_kind_recorded_for_its_id() {
    let hints = Hints {
        command_id: Some("unit"),
        recorded_type: Some("test"),
        ..Hints::default()
    };
    let (got, _) = read(b"RUNS src/a.test.ts\nSegmentation fault\n", hints);
    assert_eq!(got.kind, Some(Kind::Test));
    assert!(got.crashed(), "a test log without its summary");
    assert_eq!(got.exit_code(None), (1, true));
    // Anything else that tells the kind beats the recorded one.
    let (detected, _) = read(&fixture("tsc-fail.log"), hints);
    assert_eq!(detected.kind, Some(Kind::Typecheck));
}
