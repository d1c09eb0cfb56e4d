//! What the binary does before its command runs, in place of Rust's runtime start-up (which
//! `src/main.rs` leaves out, see there): the parts of it this tool relies on.

/// Make the process ready: descriptors 0, 1 and 2 open, SIGPIPE ignored.
pub fn prepare() {
    standard_descriptors_open();
    // A closed pipe (`tasks --list | head -1`) is then an EPIPE error, which the output code
    // ends quietly on, instead of a signal that kills the process mid-write.
    // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// The program's arguments, `argv[0]` included, as the C runtime gave them to `main`.
///
/// # Safety
/// `argv` holds `argc` pointers to NUL-terminated strings (what `main` receives).
pub unsafe fn arguments(
    argc: libc::c_int,
    argv: *const *const libc::c_char,
) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    let count = usize::try_from(argc).unwrap_or(0);
    if argv.is_null() {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            // SAFETY: the caller's promise: `argv[i]` for `i < argc` is a C string.
            let arg = unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsString::from_vec(arg.to_bytes().to_vec())
        })
        .collect()
}

/// Descriptors 0, 1 and 2 that are not open are opened on `/dev/null`, in order, so that no
/// file the command opens (a state file, a lock) gets one of those numbers and receives its
/// output. Aborts when that cannot be done, as Rust's start-up does.
pub fn standard_descriptors_open() {
    for fd in 0..3 {
        // SAFETY: F_GETFD on any number only reads the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::EBADF)
        {
            continue;
        }
        // SAFETY: a plain open of a NUL-terminated path. Every lower number is open (checked
        // above, in order), so the new descriptor is `fd`.
        let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if opened != fd {
            std::process::abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In a child process (the test harness's descriptors are its own): close `closed`, open
    /// the standard ones, and report through the exit status whether each of 0, 1, 2 is open
    /// and 1 and 2 are `/dev/null` when they were closed.
    fn reopened_in_child(closed: &[libc::c_int]) -> i32 {
        // SAFETY: the child only calls async-signal-safe functions (close, fcntl, open, fstat,
        // stat, _exit) before it exits; the parent waits for it.
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                for &fd in closed {
                    libc::close(fd);
                }
                standard_descriptors_open();
                let mut null: libc::stat = std::mem::zeroed();
                libc::stat(c"/dev/null".as_ptr(), &mut null);
                let mut status = 0;
                for fd in 0..3 {
                    let mut st: libc::stat = std::mem::zeroed();
                    if libc::fstat(fd, &mut st) != 0 {
                        status |= 1 << fd;
                    } else if closed.contains(&fd) && st.st_rdev != null.st_rdev {
                        status |= 8 << fd;
                    }
                }
                libc::_exit(status);
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            assert!(libc::WIFEXITED(status));
            libc::WEXITSTATUS(status)
        }
    }

    #[test]
    fn arguments_are_read_from_argc_and_argv_bytes_as_they_are() {
        let owned = [c"tasks", c"--list", c"\xff\xfe"];
        let pointers: Vec<*const libc::c_char> = owned.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: three valid C strings.
        let args = unsafe { arguments(3, pointers.as_ptr()) };
        use std::os::unix::ffi::OsStrExt;
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        assert_eq!(bytes, [&b"tasks"[..], b"--list", b"\xff\xfe"]);
        // SAFETY: no string is read.
        assert!(unsafe { arguments(0, pointers.as_ptr()) }.is_empty());
        assert!(unsafe { arguments(2, std::ptr::null()) }.is_empty());
    }

    #[test]
    fn closed_standard_descriptors_are_opened_on_dev_null() {
        assert_eq!(reopened_in_child(&[]), 0);
        assert_eq!(reopened_in_child(&[1]), 0);
        assert_eq!(reopened_in_child(&[0, 2]), 0);
        assert_eq!(reopened_in_child(&[0, 1, 2]), 0);
    }
}
