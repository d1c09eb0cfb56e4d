//! Opening what lies below a directory without ever following a link: every component of a
//! relative path is opened with `openat(…, O_NOFOLLOW)` relative to the directory above it.
//! A path that was checked and then raced — a directory swapped for a link to somewhere else
//! between the check and the read — fails (`ELOOP`/`ENOTDIR`) instead of being followed: what
//! is read is always below the directory that was opened first.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path};

/// What a directory entry is (never following a link).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Link,
    Fifo,
    Socket,
    Device,
    Other,
}

/// The calling thread's `errno`.
#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn errno() -> *mut libc::c_int {
    // SAFETY: always valid for the calling thread.
    unsafe { libc::__errno_location() }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
unsafe fn errno() -> *mut libc::c_int {
    // SAFETY: always valid for the calling thread.
    unsafe { libc::__error() }
}

/// An open directory.
#[derive(Debug)]
pub struct Dir(OwnedFd);

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a name with a NUL byte"))
}

fn openat(dir: BorrowedFd, name: &OsStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let name = cstr(name)?;
    loop {
        // SAFETY: a valid directory descriptor and a NUL-terminated name; the result is owned.
        let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC) };
        if fd >= 0 {
            // SAFETY: a descriptor just returned by openat, owned by nobody else.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

const DIR_FLAGS: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;

impl AsRawFd for Dir {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

impl Dir {
    /// Open `path` itself (its last component must not be a link).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let c = cstr(path.as_os_str())?;
        // SAFETY: a NUL-terminated path; the result is owned.
        let fd = unsafe { libc::open(c.as_ptr(), DIR_FLAGS | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a descriptor just returned by open.
        Ok(Dir(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// A path that names this very directory, whatever happens to its name later
    /// (`/proc/self/fd/N` on Linux); `None` where there is no such thing.
    pub fn anchored_path(&self) -> Option<std::path::PathBuf> {
        let path = std::path::PathBuf::from(format!("/proc/self/fd/{}", self.0.as_raw_fd()));
        path.is_dir().then_some(path)
    }

    /// The names of `rel`'s components: only plain names (no `..`, no root, `.` skipped).
    fn names(rel: &Path) -> io::Result<Vec<&OsStr>> {
        rel.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| match c {
                Component::Normal(name) => Ok(name),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a plain relative path", rel.display()),
                )),
            })
            .collect()
    }

    /// The directory `rel` below this one, each component opened without following a link.
    pub fn dir(&self, rel: &Path) -> io::Result<Dir> {
        let mut current = self.0.try_clone()?;
        for name in Dir::names(rel)? {
            current = openat(current.as_fd(), name, DIR_FLAGS)?;
        }
        Ok(Dir(current))
    }

    /// The file `rel` below this one, opened for reading; no component may be a link. Opened
    /// non-blocking (a FIFO in its place does not hang), then checked to be a regular file.
    pub fn file(&self, rel: &Path) -> io::Result<File> {
        let names = Dir::names(rel)?;
        let Some((last, parents)) = names.split_last() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "an empty path"));
        };
        let mut current = self.0.try_clone()?;
        for name in parents {
            current = openat(current.as_fd(), name, DIR_FLAGS)?;
        }
        let fd = openat(
            current.as_fd(),
            last,
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK,
        )?;
        let file = File::from(fd);
        if !file.metadata()?.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        Ok(file)
    }

    /// Create the directory `name` in this one (mode `0o777` less the umask, as
    /// `std::fs::create_dir`); `name` is one plain component, created where this directory is,
    /// whatever happens to the names above it.
    pub fn mkdir(&self, name: &OsStr) -> io::Result<()> {
        self.mkdir_mode(name, 0o777)
    }

    /// [`Dir::mkdir`] with `mode` (less the umask).
    pub fn mkdir_mode(&self, name: &OsStr, mode: libc::mode_t) -> io::Result<()> {
        let c = Dir::single(name)?;
        // SAFETY: a valid directory descriptor and a NUL-terminated name.
        if unsafe { libc::mkdirat(self.0.as_raw_fd(), c.as_ptr(), mode) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The directory `name` in this one, opened without following a link; created first when
    /// missing ([`Dir::mkdir_mode`]; one made by someone else meanwhile is opened, and so
    /// checked, the same way). Whether this call created it.
    pub fn dir_or_create(&self, name: &OsStr, mode: libc::mode_t) -> io::Result<(Dir, bool)> {
        match self.dir(Path::new(name)) {
            Ok(below) => Ok((below, false)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let created = match self.mkdir_mode(name, mode) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(e),
                };
                Ok((self.dir(Path::new(name))?, created))
            }
            Err(e) => Err(e),
        }
    }

    /// Remove the empty directory `name` in this one (never a link or a file).
    pub fn rmdir(&self, name: &OsStr) -> io::Result<()> {
        let c = Dir::single(name)?;
        // SAFETY: a valid directory descriptor and a NUL-terminated name.
        if unsafe { libc::unlinkat(self.0.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Another descriptor of this directory.
    pub fn try_clone(&self) -> io::Result<Dir> {
        self.0.try_clone().map(Dir)
    }

    /// `name` as one plain component (no `/`, not `.` or `..`, not empty).
    fn single(name: &OsStr) -> io::Result<CString> {
        if Dir::names(Path::new(name))?.len() != 1 || name.as_bytes().contains(&b'/') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a single plain name",
            ));
        }
        cstr(name)
    }

    /// What `fstat` says of this directory itself.
    pub fn stat(&self) -> io::Result<libc::stat> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: an open descriptor and a buffer of the size `fstat` writes.
        if unsafe { libc::fstat(self.0.as_raw_fd(), st.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fstat` succeeded, so it filled `st`.
        Ok(unsafe { st.assume_init() })
    }

    /// The names in this directory (not `.` and `..`), in no particular order.
    pub fn entries(&self) -> io::Result<Vec<OsString>> {
        // fdopendir takes the descriptor over: give it a duplicate.
        let dup = self.0.try_clone()?;
        let raw = dup.as_raw_fd();
        // SAFETY: a valid directory descriptor; on success the stream owns it.
        let stream = unsafe { libc::fdopendir(raw) };
        if stream.is_null() {
            return Err(io::Error::last_os_error());
        }
        std::mem::forget(dup);
        let mut names = Vec::new();
        loop {
            // SAFETY: errno is reset so that the end of the stream can be told from an error.
            unsafe { *errno() = 0 };
            // SAFETY: a stream opened above and not yet closed.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                let e = io::Error::last_os_error();
                // SAFETY: the stream is closed once, here.
                unsafe { libc::closedir(stream) };
                if e.raw_os_error().unwrap_or(0) != 0 {
                    return Err(e);
                }
                return Ok(names);
            }
            // SAFETY: readdir returned a valid entry whose name is NUL-terminated.
            let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) };
            let bytes = name.to_bytes();
            if bytes != b"." && bytes != b".." {
                names.push(OsString::from_vec(bytes.to_vec()));
            }
        }
    }

    /// What `name` in this directory is, without following a link.
    pub fn kind(&self, name: &OsStr) -> io::Result<Kind> {
        let st = self.stat_at(name)?;
        Ok(match st.st_mode & libc::S_IFMT {
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFREG => Kind::File,
            libc::S_IFLNK => Kind::Link,
            libc::S_IFIFO => Kind::Fifo,
            libc::S_IFSOCK => Kind::Socket,
            libc::S_IFCHR | libc::S_IFBLK => Kind::Device,
            _ => Kind::Other,
        })
    }

    /// What `fstatat` says of the entry `name` in this directory (a link itself, not followed).
    pub fn stat_at(&self, name: &OsStr) -> io::Result<libc::stat> {
        let c = cstr(name)?;
        // SAFETY: zeroed is a valid `stat`; fstatat fills it.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor, a NUL-terminated name and a writable stat.
        let rc = unsafe {
            libc::fstatat(
                self.0.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(st)
    }

    /// The target of the link `name` in this directory, as written.
    pub fn read_link(&self, name: &OsStr) -> io::Result<OsString> {
        let c = cstr(name)?;
        let mut buf = vec![0u8; 4096];
        // SAFETY: a valid descriptor, a NUL-terminated name and a buffer of the given size.
        let n = unsafe {
            libc::readlinkat(
                self.0.as_raw_fd(),
                c.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        buf.truncate(n as usize);
        Ok(OsString::from_vec(buf))
    }
}

#[cfg(test)]
#[path = "tests/beneath.rs"]
mod tests;
