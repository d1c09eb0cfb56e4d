//! The process's heap: mimalloc, over an arena this module maps, so that a run that reads a warm
//! task cache can ask for transparent huge pages.
//!
//! Why: a warm `--pick` on 10,000 tasks touches ~12 MB of fresh memory. Faulted in 4 KiB at a
//! time that is ~3,000 page faults, a quarter of the run's CPU time on a VM, where a fault costs
//! several microseconds (docs/performance.md, "Issue 16, seventh round"). In 2 MiB pages it is a
//! few hundred.
//!
//! Huge pages are only asked for once a run knows it will read a large warm cache
//! ([`prefer_huge_pages`], called by the cache loader): the arena starts advised against them
//! (whatever the system's default), so memory touched until then (argument parsing, and all of
//! a context verb, which never loads the catalog) stays in 4 KiB pages, and a run that parses
//! many task files (no cache, or most files changed) turns them off again first
//! ([`prefer_small_pages`]): huge pages round every touched region up to 2 MiB, which would
//! raise such a run's peak memory by half.
//!
//! All of it is advice. Where the arena cannot be mapped or should not be (`ulimit -v` or `-d`
//! under 1.25 GiB, or a kernel that never overcommits, where the mapping would be charged in
//! full) the heap is mimalloc's own; where the kernel has no transparent huge pages or none
//! free (or its huge pages are not 2 MiB: not x86-64), the arena is ordinary memory. Every
//! command works the same.
//!
//! [`install`] also sets mimalloc's options, so that the heap is configured in one place.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The arena's size: address space only (mapped without reserving swap); mimalloc maps more on
/// its own if a run ever needs it.
const ARENA: usize = 1 << 30;

/// A transparent huge page on x86-64 (4 KiB base pages): the arena's alignment.
const HUGE: usize = 2 << 20;

/// The arena's start, once installed (0 before, or when it could not be mapped); its size is
/// [`ARENA`]. Stored last (release), once mimalloc has it.
static START: AtomicUsize = AtomicUsize::new(0);

/// mimalloc's options this module sets (indices into v3's `mi_option_e`, checked against its
/// header).
const MI_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// In KiB.
const MI_ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;

/// Set by the first call of [`install`]: later ones do nothing.
static INSTALLING: AtomicBool = AtomicBool::new(false);

unsafe extern "C" {
    /// mimalloc's (v3) `mi_manage_os_memory_ex`: use `[start, start + size)` as an arena.
    fn mi_manage_os_memory_ex(
        start: *mut libc::c_void,
        size: usize,
        is_committed: bool,
        is_pinned: bool,
        is_zero: bool,
        numa_node: libc::c_int,
        exclusive: bool,
        arena_id: *mut *mut libc::c_void,
    ) -> bool;
}

/// Configure mimalloc, map the arena (aligned to 2 MiB, readable and writable, zeroed) and
/// hand it to mimalloc. Called once, before the program allocates (an ELF constructor of the
/// binary); the arena is left out when the system gives no such mapping or should not.
///
/// The options:
/// - commit memory as it is used rather than a whole arena up front: mimalloc's default on
///   Linux nearly doubles the peak RSS of a run (`arena_eager_commit` 0);
/// - never give freed memory back to the system (`purge_delay` -1): a run lasts milliseconds,
///   and memory handed back is faulted in again (zeroed by the kernel) when it is reused, at
///   ~0.5 ms per MB on this VM; mimalloc also purged everything at exit.
pub fn install() {
    if INSTALLING.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: setting an option is a plain store, allowed at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_PURGE_DELAY, -1);
    }
    if overcommit_never() {
        return;
    }
    if too_little_room() {
        // And mimalloc's own arenas are reserved 64 MiB at a time instead of a gigabyte, which
        // would fit just as badly.
        // SAFETY: as above.
        unsafe { libmimalloc_sys::mi_option_set(MI_ARENA_RESERVE, 64 << 10) };
        return;
    }
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches no
    // existing memory; the unmapped head and tail lie inside it. mimalloc is handed the aligned
    // rest, which nothing else uses, committed (readable and writable) and zeroed.
    unsafe {
        let span = ARENA + HUGE;
        let p = libc::mmap(
            std::ptr::null_mut(),
            span,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return;
        }
        let base = p as usize;
        let start = (base + HUGE - 1) & !(HUGE - 1);
        let head = start - base;
        if head > 0 {
            libc::munmap(p, head);
        }
        let tail = span - head - ARENA;
        if tail > 0 {
            libc::munmap((start + ARENA) as *mut libc::c_void, tail);
        }
        // Small pages until a run asks (a system whose default is huge pages included).
        libc::madvise(start as *mut libc::c_void, ARENA, libc::MADV_NOHUGEPAGE);
        let mut id = std::ptr::null_mut();
        if !mi_manage_os_memory_ex(
            start as *mut _,
            ARENA,
            true,
            false,
            true,
            -1,
            false,
            &mut id,
        ) {
            libc::munmap(start as *mut libc::c_void, ARENA);
            return;
        }
        START.store(start, Ordering::Release);
    }
}

/// Address space or data segment the process keeps beside the arena, at the least: under a
/// limit that leaves less (`ulimit -v` or `-d` just above a gigabyte), the arena is left out
/// rather than leave mimalloc and the C library too little.
const ROOM: u64 = 256 << 20;

/// True when `ulimit -v` or `ulimit -d` would leave the process less than [`ROOM`] beside the
/// arena.
fn too_little_room() -> bool {
    [libc::RLIMIT_AS, libc::RLIMIT_DATA]
        .into_iter()
        .any(|resource| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes the limit into the struct it is given.
            let known = unsafe { libc::getrlimit(resource, &mut limit) } == 0;
            known && limit.rlim_cur != libc::RLIM_INFINITY && limit.rlim_cur < ARENA as u64 + ROOM
        })
}

/// True when the kernel never overcommits (`vm.overcommit_memory` = 2): there a writable
/// mapping is charged in full, address space or not, and a gigabyte charged for a few
/// milliseconds could make another process's allocation fail. The arena is then left out.
fn overcommit_never() -> bool {
    let mut byte = [0u8; 1];
    // SAFETY: open, read into a one-byte buffer on the stack, close; nothing else is touched
    // (this runs before the allocator may be used).
    unsafe {
        let fd = libc::open(
            c"/proc/sys/vm/overcommit_memory".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return false;
        }
        let read = libc::read(fd, byte.as_mut_ptr().cast(), 1);
        libc::close(fd);
        read == 1 && byte[0] == b'2'
    }
}

/// Advise the arena: fresh 2 MiB regions of it are faulted in as huge pages (`true`), or in
/// 4 KiB pages (`false`). Regions already faulted keep their pages.
fn advise(huge: bool) {
    let start = START.load(Ordering::Acquire);
    // Timed like a phase (`TASKS_TRACE_TIME`), which also shows which runs ask.
    let _t = crate::trace::phase(match (huge, start != 0) {
        (true, true) => "heap: huge pages",
        (false, true) => "heap: small pages",
        (true, false) => "heap: huge pages (no arena)",
        (false, false) => "heap: small pages (no arena)",
    });
    if start == 0 {
        return;
    }
    let advice = if huge {
        libc::MADV_HUGEPAGE
    } else {
        libc::MADV_NOHUGEPAGE
    };
    // SAFETY: advice on the arena's own mapping, which lives as long as the process; refused
    // (a kernel without transparent huge pages), it changes nothing.
    unsafe {
        libc::madvise(start as *mut libc::c_void, ARENA, advice);
    }
}

/// From now on, fault the heap in huge pages where it can (a warm cache is being read).
pub fn prefer_huge_pages() {
    advise(true);
}

/// From now on, fault the heap in 4 KiB pages (many task files are about to be parsed).
pub fn prefer_small_pages() {
    advise(false);
}

/// The arena's range, when it is installed (for tests and traces).
pub fn arena() -> Option<std::ops::Range<usize>> {
    let start = START.load(Ordering::Acquire);
    (start != 0).then(|| start..start + ARENA)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `VmFlags` line of the mapping that holds `address`, from `/proc/self/smaps`.
    fn vm_flags(address: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((from, to)) = range.split_once('-')
                && let (Ok(from), Ok(to)) = (
                    usize::from_str_radix(from, 16),
                    usize::from_str_radix(to, 16),
                )
            {
                inside = (from..to).contains(&address);
                continue;
            }
            if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.trim().to_string();
            }
        }
        panic!("no mapping holds {address:#x}");
    }

    #[test]
    fn the_arena_serves_mimalloc_and_takes_the_page_advice() {
        install();
        if overcommit_never() {
            // Left out by design there (see `overcommit_never`).
            assert_eq!(arena(), None);
            return;
        }
        let range = arena().expect("a 1 GiB address range is available to tests");
        assert_eq!(range.start % HUGE, 0);
        assert_eq!(range.len(), ARENA);
        // mimalloc allocates from it (the test binary's own allocator is the system's; mimalloc
        // is called directly).
        // SAFETY: a plain allocation, freed below.
        let block = unsafe { libmimalloc_sys::mi_malloc(3 << 20) } as usize;
        assert!(range.contains(&block), "{block:#x} outside {range:x?}");
        let flags = |f: &str| vm_flags(range.start).split(' ').any(|x| x == f);
        // Advice exists only in kernels built with transparent huge pages.
        let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists();
        assert_eq!(
            flags("nh"),
            thp,
            "advised against huge pages from the start"
        );
        if !thp {
            return;
        }
        prefer_huge_pages();
        assert!(flags("hg") && !flags("nh"));
        prefer_small_pages();
        assert!(flags("nh") && !flags("hg"));
        // Installing again changes nothing.
        install();
        assert_eq!(arena(), Some(range.clone()));
        // SAFETY: the block allocated above.
        unsafe { libmimalloc_sys::mi_free(block as *mut _) };
    }
}
