use super::*;
use std::os::unix::fs::symlink;

#[test]
fn reads_below_and_never_through_a_link() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("a/b")).unwrap();
    std::fs::write(root.path().join("a/b/f"), "inside").unwrap();
    std::fs::write(outside.path().join("f"), "outside").unwrap();
    symlink(outside.path(), root.path().join("a/out")).unwrap();
    symlink("b/f", root.path().join("a/flink")).unwrap();
    let dir = Dir::open(root.path()).unwrap();
    let mut text = String::new();
    use std::io::Read;
    dir.file(Path::new("a/b/f"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "inside");
    // A link anywhere on the way, or at the end, is refused.
    assert!(dir.file(Path::new("a/out/f")).is_err());
    assert!(dir.dir(Path::new("a/out")).is_err());
    assert!(dir.file(Path::new("a/flink")).is_err());
    assert!(dir.file(Path::new("a/../a/b/f")).is_err(), "no `..`");
    let a = dir.dir(Path::new("a")).unwrap();
    let mut names = a.entries().unwrap();
    names.sort();
    assert_eq!(names, ["b", "flink", "out"]);
    assert_eq!(a.kind(OsStr::new("b")).unwrap(), Kind::Dir);
    assert_eq!(a.kind(OsStr::new("out")).unwrap(), Kind::Link);
    assert_eq!(a.read_link(OsStr::new("flink")).unwrap(), "b/f");
    // A directory swapped for a link after it was opened: the open descriptor still reads
    // the original; a new walk refuses the link.
    std::fs::rename(root.path().join("a/b"), root.path().join("a/b-real")).unwrap();
    symlink(outside.path(), root.path().join("a/b")).unwrap();
    assert!(dir.file(Path::new("a/b/f")).is_err());
    assert!(Dir::open(&root.path().join("a/b")).is_err());
}

#[test]
fn a_fifo_is_not_opened_as_a_file() {
    let root = tempfile::tempdir().unwrap();
    let fifo = CString::new(root.path().join("p").as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let dir = Dir::open(root.path()).unwrap();
    assert!(dir.file(Path::new("p")).is_err());
    assert_eq!(dir.kind(OsStr::new("p")).unwrap(), Kind::Fifo);
}

#[test]
fn mkdir_creates_in_the_open_directory_whatever_its_name_leads_to_now() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("state")).unwrap();
    let dir = Dir::open(&tmp.path().join("state")).unwrap();
    std::fs::rename(tmp.path().join("state"), tmp.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("state")).unwrap();
    dir.mkdir(OsStr::new("locks")).unwrap();
    assert!(tmp.path().join("moved/locks").is_dir());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_eq!(
        dir.mkdir(OsStr::new("locks")).unwrap_err().kind(),
        io::ErrorKind::AlreadyExists
    );
    for bad in ["a/b", "..", ""] {
        assert!(dir.mkdir(OsStr::new(bad)).is_err(), "{bad}");
    }
    assert!(!tmp.path().join("a").exists());
}
