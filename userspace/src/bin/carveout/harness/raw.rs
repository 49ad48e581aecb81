// SPDX-License-Identifier: MIT OR Apache-2.0

//! The calls of the program that the library does not make: requests the kernel must refuse
//! (flags the library never passes, bad pointers, malformed ioctl arguments), `mm` operations
//! on mappings, mappings of other files and of RAM, and processes (fork, signals, users).
//!
//! Part of the harness, used by the suites; it imports only the library. The constants come
//! from the C headers, as the library's do (`consts.c`, `build.rs`).

use std::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use std::fs::File;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::ptr::NonNull;

use carveout::{Carveout, Mapping, MappingMut, MemoryType};

/// The constants of the C headers (`consts.c`, extracted by `build.rs`).
///
/// The library includes the same table and uses another part of it: unused entries are
/// expected.
#[allow(
    dead_code,
    reason = "a generated table; `expect` would fail the day every entry is used"
)]
pub(crate) mod consts {
    include!(concat!(env!("OUT_DIR"), "/consts.rs"));
}

use consts::{
    CARVEOUT_IOC_SYNC, IOCB_CMD_PREAD, MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED,
    MREMAP_FIXED, MREMAP_MAYMOVE, OFFSETOF_CARVEOUT_SYNC_FLAGS, OFFSETOF_CARVEOUT_SYNC_LENGTH,
    OFFSETOF_CARVEOUT_SYNC_OFFSET, OFFSETOF_CARVEOUT_SYNC_RESERVED, OFFSETOF_IOCB_BUF,
    OFFSETOF_IOCB_FILDES, OFFSETOF_IOCB_LIO_OPCODE, OFFSETOF_IOCB_NBYTES, OFFSETOF_IOCB_OFFSET,
    OFFSETOF_IO_EVENT_RES, OFFSETOF_RUSAGE_RU_MINFLT, PROT_NONE, PROT_READ, PROT_WRITE,
    PR_SET_THP_DISABLE, RUSAGE_SELF, SIZEOF_CARVEOUT_SYNC, SIZEOF_CARVEOUT_SYNC_FLAGS,
    SIZEOF_CARVEOUT_SYNC_LENGTH, SIZEOF_CARVEOUT_SYNC_OFFSET, SIZEOF_CARVEOUT_SYNC_RESERVED,
    SIZEOF_IOCB, SIZEOF_IO_EVENT, SIZEOF_RUSAGE, SIZEOF_RUSAGE_RU_MINFLT, SYS_IO_DESTROY,
    SYS_IO_GETEVENTS, SYS_IO_SETUP, SYS_IO_SUBMIT,
};

// The raw sync argument below writes `offset` and `length` as u64, `flags` and `reserved` as
// u32; getrusage's minor faults are read as a `long`.
const _: () = assert!(SIZEOF_CARVEOUT_SYNC_OFFSET == 8 && SIZEOF_CARVEOUT_SYNC_LENGTH == 8);
const _: () = assert!(SIZEOF_CARVEOUT_SYNC_FLAGS == 4 && SIZEOF_CARVEOUT_SYNC_RESERVED == 4);
const _: () = assert!(SIZEOF_RUSAGE_RU_MINFLT == size_of::<c_long>());
const _: () = assert!(OFFSETOF_RUSAGE_RU_MINFLT.is_multiple_of(size_of::<c_long>()));

/// `MAP_FAILED`: `(void *) -1` in every C library.
const MAP_FAILED: *mut c_void = std::ptr::without_provenance_mut(usize::MAX);

/// An address below `mmap_min_addr`: never mapped, so the kernel can only fail to access it.
const UNMAPPED: usize = 16;

extern "C" {
    fn mmap64(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        off: i64,
    ) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn mremap(old: *mut c_void, old_len: usize, new_len: usize, flags: c_int, ...) -> *mut c_void;
    fn prctl(option: c_int, ...) -> c_int;
    fn mprotect(addr: *mut c_void, len: usize, prot: c_int) -> c_int;
    fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    fn lseek64(fd: c_int, offset: i64, whence: c_int) -> i64;
    fn pread64(fd: c_int, buf: *mut c_void, len: usize, off: i64) -> isize;
    fn pwrite64(fd: c_int, buf: *const c_void, len: usize, off: i64) -> isize;
    fn preadv64(fd: c_int, iov: *const IoVec, count: c_int, off: i64) -> isize;
    fn pwritev64(fd: c_int, iov: *const IoVec, count: c_int, off: i64) -> isize;
    fn fork() -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn _exit(code: c_int) -> !;
    fn setgroups(size: usize, list: *const c_uint) -> c_int;
    fn setgid(gid: c_uint) -> c_int;
    fn setuid(uid: c_uint) -> c_int;
    fn alarm(seconds: c_uint) -> c_uint;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn pause() -> c_int;
    fn getrusage(who: c_int, usage: *mut c_long) -> c_int;
    fn personality(persona: c_ulong) -> c_int;
    fn syscall(number: c_long, ...) -> c_long;
}

/// `Ok` for a C call's 0, else the `errno`.
fn check(ret: c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `mmap(2)` of `fd` (or anonymous memory, with `fd` -1) with any protection and flags, at an
/// address the kernel picks: a page-aligned mapping for the caller alone.
fn mmap(fd: c_int, len: usize, offset: i64, prot: c_int, flags: c_int) -> io::Result<NonNull<u8>> {
    // SAFETY: A NULL hint without `MAP_FIXED` lets the kernel pick a free range: no existing
    // mapping, no memory Rust uses, is replaced.
    let addr = unsafe { mmap64(std::ptr::null_mut(), len, prot, flags, fd, offset) };
    if addr == MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(addr.cast()).ok_or_else(|| io::Error::other("mmap returned NULL"))
}

/// `mmap(2)` of a carveout with any offset, length, protection and flags, for the requests the
/// kernel must refuse (the library maps only shared, never executable): read through the
/// [`Mapping`] only, whatever `prot` allows.
pub(crate) fn map_carveout(
    dev: &Carveout,
    offset: i64,
    len: usize,
    prot: c_int,
    flags: c_int,
) -> io::Result<Mapping> {
    let ptr = mmap(dev.as_fd().as_raw_fd(), len, offset, prot, flags)?;
    // SAFETY: `mmap` just made this page-aligned mapping for us alone, readable (the callers
    // all ask for `PROT_READ`), of the carveout's memory type (every mapping of a carveout has
    // it).
    Ok(unsafe { Mapping::from_raw_parts(ptr, len, dev.memory_type(), dev.path()) })
}

/// A shared read-write mapping of `len` bytes of `file` at byte `offset` (`/dev/mem`, a UIO
/// device), accessed as `memory_type`: the caller's claim, which must allow no access the real
/// memory type forbids.
pub(crate) fn map_file(
    file: &File,
    path: &Path,
    len: usize,
    offset: i64,
    memory_type: MemoryType,
) -> io::Result<MappingMut> {
    let prot = PROT_READ | PROT_WRITE;
    let ptr = mmap(file.as_raw_fd(), len, offset, prot, MAP_SHARED)?;
    // SAFETY: `mmap` just made this page-aligned, read-write mapping for us alone; the caller
    // vouches for `memory_type`.
    Ok(unsafe { MappingMut::from_raw_parts(ptr, len, memory_type, path) })
}

/// Anonymous read-write RAM: shared with the children forked afterwards, or private and
/// faulted in up front when `populate`. Accessed as `memory_type` (RAM allows any).
pub(crate) fn map_anonymous(
    len: usize,
    shared: bool,
    populate: bool,
    memory_type: MemoryType,
) -> io::Result<MappingMut> {
    let flags = MAP_ANONYMOUS
        | if shared { MAP_SHARED } else { MAP_PRIVATE }
        | if populate { MAP_POPULATE } else { 0 };
    let ptr = mmap(-1, len, 0, PROT_READ | PROT_WRITE, flags)?;
    let path = Path::new("(anonymous memory)");
    // SAFETY: `mmap` just made this page-aligned, read-write mapping for us alone, of RAM,
    // which allows every access `memory_type` allows.
    Ok(unsafe { MappingMut::from_raw_parts(ptr, len, memory_type, path) })
}

/// `mprotect(2)` of the whole of `map`.
pub(crate) fn protect(map: &Mapping, prot: c_int) -> io::Result<()> {
    // SAFETY: `map` hands out values, never references, so no Rust reference into it exists
    // for a protection change to invalidate; an access it forbids afterwards is a signal.
    check(unsafe { mprotect(map.as_ptr().cast(), map.len(), prot) })
}

/// `mprotect(2)` of `len` bytes at byte `at` of `map` (page multiples).
pub(crate) fn protect_part(map: &Mapping, at: usize, len: usize, prot: c_int) -> io::Result<()> {
    let start = window(map, at, len)?;
    // SAFETY: As in `protect`, for a part of the mapping.
    check(unsafe { mprotect(start.cast(), len, prot) })
}

/// `madvise(2)` of the whole of `map`.
pub(crate) fn advise(map: &Mapping, advice: c_int) -> io::Result<()> {
    // SAFETY: As in `protect`: advice may at most change what later loads of the mapping read.
    check(unsafe { madvise(map.as_ptr().cast(), map.len(), advice) })
}

/// A mapping with a hole: the part before it, the hole's address, the part after it.
pub(crate) struct Holed {
    pub(crate) before: MappingMut,
    pub(crate) hole: usize,
    pub(crate) after: Option<MappingMut>,
}

/// `munmap(2)` of `len` bytes at byte `offset` of `map` (page multiples, `offset` > 0): the
/// parts before and after stay mapped, each a [`MappingMut`] of its own.
pub(crate) fn punch_hole(map: MappingMut, offset: usize, len: usize) -> io::Result<Holed> {
    let (memory_type, path) = (map.memory_type(), map.path().to_owned());
    assert!(
        0 < offset && offset + len <= map.len(),
        "a hole inside the mapping"
    );
    let (ptr, total) = map.into_raw_parts();
    // SAFETY: `ptr..ptr + total` is the mapping we own; the hole is inside it.
    let hole = unsafe { ptr.add(offset) };
    // SAFETY: Nothing accesses the hole afterwards but a test child that expects `SIGSEGV`
    // there; the rest is handed back to owners below, whatever the result.
    let unmapped = check(unsafe { munmap(hole.as_ptr().cast(), len) });
    let rebuild = |at: NonNull<u8>, len: usize| {
        // SAFETY: A part of the read-write mapping we own, handed to one owner.
        unsafe { MappingMut::from_raw_parts(at, len, memory_type, path.clone()) }
    };
    if let Err(e) = unmapped {
        drop(rebuild(ptr, total));
        return Err(e);
    }
    let after_len = total - offset - len;
    Ok(Holed {
        before: rebuild(ptr, offset),
        hole: hole.as_ptr() as usize,
        after: (after_len > 0).then(|| {
            // SAFETY: Inside the mapping (asserted above).
            rebuild(unsafe { hole.add(len) }, after_len)
        }),
    })
}

/// An ioctl whose argument is an address that is never mapped: a request that takes a pointer
/// must fail with `EFAULT`.
pub(crate) fn ioctl_unmapped(fd: BorrowedFd<'_>, request: u32) -> io::Result<()> {
    // SAFETY: Whatever the request, the kernel cannot access memory at `UNMAPPED` (below
    // `mmap_min_addr`): no memory of this process changes.
    let ret = unsafe { ioctl(fd.as_raw_fd(), c_ulong::from(request), UNMAPPED) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `CARVEOUT_IOC_SYNC` with any field values, laid out as the header lays `struct
/// carveout_sync` out, for the arguments the kernel must refuse.
pub(crate) fn sync_raw(
    fd: BorrowedFd<'_>,
    offset: u64,
    length: u64,
    flags: u32,
    reserved: u32,
) -> io::Result<()> {
    let mut arg = [0u8; SIZEOF_CARVEOUT_SYNC];
    arg[OFFSETOF_CARVEOUT_SYNC_OFFSET..][..8].copy_from_slice(&offset.to_ne_bytes());
    arg[OFFSETOF_CARVEOUT_SYNC_LENGTH..][..8].copy_from_slice(&length.to_ne_bytes());
    arg[OFFSETOF_CARVEOUT_SYNC_FLAGS..][..4].copy_from_slice(&flags.to_ne_bytes());
    arg[OFFSETOF_CARVEOUT_SYNC_RESERVED..][..4].copy_from_slice(&reserved.to_ne_bytes());
    // SAFETY: `CARVEOUT_IOC_SYNC` is `_IOW` of `SIZEOF_CARVEOUT_SYNC` bytes: the kernel only
    // reads `arg`, which is that long.
    let ret = unsafe {
        ioctl(
            fd.as_raw_fd(),
            c_ulong::from(CARVEOUT_IOC_SYNC),
            arg.as_ptr(),
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `lseek(2)` with any `whence` (std's `SeekFrom` has only `SEEK_SET`, `SEEK_CUR`,
/// `SEEK_END`): the new position.
pub(crate) fn lseek(fd: BorrowedFd<'_>, offset: i64, whence: c_int) -> io::Result<u64> {
    // SAFETY: No memory is passed; a bad `whence` is an error.
    let position = unsafe { lseek64(fd.as_raw_fd(), offset, whence) };
    u64::try_from(position).map_err(|_| io::Error::last_os_error())
}

/// `struct iovec`.
#[repr(C)]
struct IoVec {
    base: *mut c_void,
    len: usize,
}

/// The two system calls a driver's `read` and `write` may be reached by: the driver's plain
/// `read`/`write` serve `pread`/`pwrite`, its `read_iter`/`write_iter` serve `preadv`/`pwritev`
/// (the VFS prefers the plain ones where a file has both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Io {
    /// `pread(2)`, `pwrite(2)`: one buffer.
    Plain,
    /// `preadv(2)`, `pwritev(2)`: the same buffer as two `iovec`s, split in the middle (at a
    /// 16-byte boundary, so that a Device-type buffer is still accessed aligned).
    Vector,
}

impl Io {
    /// Both ways.
    pub(crate) const BOTH: [Io; 2] = [Io::Plain, Io::Vector];

    /// The name of the read call.
    pub(crate) fn read_name(self) -> &'static str {
        match self {
            Io::Plain => "pread",
            Io::Vector => "preadv",
        }
    }

    /// The name of the write call.
    pub(crate) fn write_name(self) -> &'static str {
        match self {
            Io::Plain => "pwrite",
            Io::Vector => "pwritev",
        }
    }

    /// Reads `len` bytes at `offset` into `buf`.
    ///
    /// # Safety
    ///
    /// The kernel's writes to `[buf, buf + len)` must invalidate no Rust reference (the memory
    /// may be unmapped: the kernel fails the call then).
    unsafe fn read(self, fd: BorrowedFd<'_>, buf: *mut u8, len: usize, offset: i64) -> isize {
        match self {
            // SAFETY: The caller's contract.
            Io::Plain => unsafe { pread64(fd.as_raw_fd(), buf.cast(), len, offset) },
            Io::Vector => {
                let iov = Self::split(buf, len);
                // SAFETY: The caller's contract; `iov` covers `[buf, buf + len)`.
                unsafe { preadv64(fd.as_raw_fd(), iov.as_ptr(), 2, offset) }
            }
        }
    }

    /// Writes `len` bytes at `offset` from `buf`; the kernel only reads `buf`.
    fn write(self, fd: BorrowedFd<'_>, buf: *const u8, len: usize, offset: i64) -> isize {
        match self {
            // SAFETY: The kernel only reads `[buf, buf + len)`, and fails the call where it
            // cannot.
            Io::Plain => unsafe { pwrite64(fd.as_raw_fd(), buf.cast(), len, offset) },
            Io::Vector => {
                let iov = Self::split(buf.cast_mut(), len);
                // SAFETY: As above; `iov` covers `[buf, buf + len)`.
                unsafe { pwritev64(fd.as_raw_fd(), iov.as_ptr(), 2, offset) }
            }
        }
    }

    /// `[buf, buf + len)` as two `iovec`s.
    fn split(buf: *mut u8, len: usize) -> [IoVec; 2] {
        let first = len / 2 / 16 * 16;
        [
            IoVec {
                base: buf.cast(),
                len: first,
            },
            IoVec {
                base: buf.wrapping_add(first).cast(),
                len: len - first,
            },
        ]
    }
}

/// A read into `buf` at any offset, negative ones included (std takes only `u64`).
pub(crate) fn read_at(
    fd: BorrowedFd<'_>,
    io: Io,
    buf: &mut [u8],
    offset: i64,
) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of its length, and borrowed mutably here.
    let n = unsafe { io.read(fd, buf.as_mut_ptr(), buf.len(), offset) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// A write of `buf` at any offset.
pub(crate) fn write_at(fd: BorrowedFd<'_>, io: Io, buf: &[u8], offset: i64) -> io::Result<usize> {
    let n = io.write(fd, buf.as_ptr(), buf.len(), offset);
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// A read of `len` bytes at 0 into an address that is never mapped.
pub(crate) fn read_unmapped(fd: BorrowedFd<'_>, io: Io, len: usize) -> io::Result<usize> {
    // SAFETY: The kernel cannot write at `UNMAPPED`: no memory of this process changes.
    let n = unsafe { io.read(fd, std::ptr::without_provenance_mut(UNMAPPED), len, 0) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// A write of `len` bytes at 0 from an address that is never mapped.
pub(crate) fn write_unmapped(fd: BorrowedFd<'_>, io: Io, len: usize) -> io::Result<usize> {
    let n = io.write(fd, std::ptr::without_provenance(UNMAPPED), len, 0);
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// A read of `len` bytes at `offset` into `map` at byte `at`: memory the kernel may have to
/// fault in, or that may end early (`at + len` is checked against the mapping's length).
pub(crate) fn read_into(
    fd: BorrowedFd<'_>,
    io: Io,
    map: &MappingMut,
    at: usize,
    len: usize,
    offset: i64,
) -> io::Result<usize> {
    let buf = window(map, at, len)?;
    // SAFETY: `[buf, buf + len)` lies inside `map`, which hands out values, never references:
    // the kernel's writes there invalidate no Rust reference.
    let n = unsafe { io.read(fd, buf, len, offset) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// A write of `len` bytes at `offset` from `map` at byte `at`, as [`read_into`] reads.
pub(crate) fn write_from(
    fd: BorrowedFd<'_>,
    io: Io,
    map: &Mapping,
    at: usize,
    len: usize,
    offset: i64,
) -> io::Result<usize> {
    let buf = window(map, at, len)?;
    let n = io.write(fd, buf, len, offset);
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// The address of `len` bytes at byte `at` of `map`, if they lie inside it.
fn window(map: &Mapping, at: usize, len: usize) -> io::Result<*mut u8> {
    match at.checked_add(len) {
        // SAFETY: `at <= map.len()`, so the pointer stays inside the mapping or one past it.
        Some(end) if end <= map.len() => Ok(unsafe { map.as_ptr().add(at) }),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{len:#x} bytes at {at:#x} leave the {:#x}-byte mapping",
                map.len()
            ),
        )),
    }
}

/// An inaccessible anonymous range of `len` bytes that [`move_mapping`] can move mappings into;
/// unmapped when dropped (with whatever was moved into it and is still there).
pub(crate) struct Reserved {
    addr: NonNull<u8>,
    len: usize,
}

impl Reserved {
    pub(crate) fn new(len: usize) -> io::Result<Self> {
        let addr = mmap(-1, len, 0, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS)?;
        Ok(Self { addr, len })
    }

    /// The range's first address.
    pub(crate) fn addr(&self) -> usize {
        self.addr.as_ptr() as usize
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        // SAFETY: The range is ours; nothing in it is referenced by Rust (a mapping moved into
        // it was given up by [`move_mapping`]'s caller, or dropped already).
        unsafe { munmap(self.addr.as_ptr().cast(), self.len) };
    }
}

/// `mremap(2)` of the whole of `map` to the address `to` (`MREMAP_FIXED`), which must lie in
/// `into` with the mapping's length: the moved mapping. On failure the mapping stays where it
/// was, and is returned with the error.
pub(crate) fn move_mapping(
    map: MappingMut,
    into: &Reserved,
    to: usize,
) -> Result<MappingMut, (MappingMut, io::Error)> {
    let (memory_type, path) = (map.memory_type(), map.path().to_owned());
    let len = map.len();
    if to < into.addr()
        || to
            .checked_add(len)
            .is_none_or(|end| end > into.addr() + into.len)
    {
        return Err((
            map,
            io::Error::other(format!("{to:#x}: not inside the reserved range")),
        ));
    }
    let (ptr, len) = map.into_raw_parts();
    // SAFETY: The mapping is ours (taken from `map`); the destination lies inside `into`, an
    // inaccessible range of ours that nothing references, which `MREMAP_FIXED` replaces.
    let new = unsafe {
        mremap(
            ptr.as_ptr().cast(),
            len,
            len,
            MREMAP_MAYMOVE | MREMAP_FIXED,
            std::ptr::without_provenance_mut::<c_void>(to),
        )
    };
    let rebuild = |at: NonNull<u8>| {
        // SAFETY: The read-write mapping we own, at `at`, handed to one owner.
        unsafe { MappingMut::from_raw_parts(at, len, memory_type, path.clone()) }
    };
    if new == MAP_FAILED {
        let err = io::Error::last_os_error();
        return Err((rebuild(ptr), err));
    }
    match NonNull::new(new.cast()) {
        Some(at) => Ok(rebuild(at)),
        None => Err((rebuild(ptr), io::Error::other("mremap returned NULL"))),
    }
}

/// `prctl(PR_SET_THP_DISABLE)`: transparent huge pages off (`true`) or back on for this
/// process; the kernel then maps no block of a PFN map either.
pub(crate) fn set_thp_disabled(disabled: bool) -> io::Result<()> {
    // SAFETY: No memory is passed.
    check(unsafe {
        prctl(
            PR_SET_THP_DISABLE,
            c_ulong::from(disabled),
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        )
    })
}

/// The kilobytes of page tables this process holds (`VmPTE` in `/proc/self/status`).
pub(crate) fn page_table_kb() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmPTE:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::other("/proc/self/status: no VmPTE line"))
}

/// The lines of `/proc/self/smaps` about the mapping that starts at `addr`.
pub(crate) fn smaps_of(addr: usize) -> io::Result<Vec<String>> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let head = format!("{addr:x}-");
    let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines
        .next()
        .ok_or_else(|| io::Error::other(format!("/proc/self/smaps: no mapping at {addr:#x}")))?;
    let mut out = vec![first.to_owned()];
    // The header of the next mapping starts with an address range, its fields with a name.
    out.extend(
        lines
            .take_while(|l| {
                !l.split(' ')
                    .next()
                    .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
            })
            .map(str::to_owned),
    );
    Ok(out)
}

/// The minor page faults this process has taken so far (getrusage's `ru_minflt`).
pub(crate) fn minor_faults() -> io::Result<u64> {
    // `struct rusage` as the C headers lay it out, in `long`s (its fields are `long`s and
    // `struct timeval`s of them, with the C library's default `time_t`).
    let mut usage = [0 as c_long; SIZEOF_RUSAGE.div_ceil(size_of::<c_long>())];
    // SAFETY: `usage` is writable and at least as large as `struct rusage`, and aligned for
    // its `long`s.
    check(unsafe { getrusage(RUSAGE_SELF, usage.as_mut_ptr()) })?;
    Ok(u64::try_from(usage[OFFSETOF_RUSAGE_RU_MINFLT / size_of::<c_long>()]).unwrap_or(0))
}

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
}

/// Forks a child that runs `f` and exits with its value; returns the child's pid. The child gets
/// `timeout` seconds (then SIGALRM ends it). Call it only while this process has one thread:
/// the child runs `f` alone, and a lock another thread held would stay held in it.
pub(crate) fn spawn(timeout: u32, f: impl FnOnce() -> i32) -> io::Result<c_int> {
    // SAFETY: `fork` duplicates the process; the child below runs `f` and exits without
    // returning into the parent's code.
    let pid = unsafe { fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: `alarm` has no preconditions.
        unsafe { alarm(timeout) };
        let code = f();
        // SAFETY: Ends the child without running the parent's exit handlers or destructors
        // (the parent runs those).
        unsafe { _exit(code) };
    }
    Ok(pid)
}

/// Runs `f` in a forked child (see [`spawn`]) and waits for it to end.
pub(crate) fn in_child(timeout: u32, f: impl FnOnce() -> i32) -> io::Result<Exit> {
    wait(spawn(timeout, f)?)
}

/// Sends signal `sig` to process `pid` (a child of ours).
pub(crate) fn signal(pid: c_int, sig: c_int) -> io::Result<()> {
    // SAFETY: No memory is passed; a bad pid or signal is an error.
    check(unsafe { kill(pid, sig) })
}

/// Waits for child `pid` to end.
pub(crate) fn wait(pid: c_int) -> io::Result<Exit> {
    let mut status: c_int = 0;
    loop {
        // SAFETY: `status` is a valid place for the result.
        if unsafe { waitpid(pid, &raw mut status, 0) } == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // std decodes the wait status as the C library's W* macros do.
    let status = ExitStatus::from_raw(status);
    match (status.code(), status.signal()) {
        (Some(code), _) => Ok(Exit::Code(code)),
        (None, Some(sig)) => Ok(Exit::Signal(sig)),
        (None, None) => Err(io::Error::other(format!("child {pid}: {status}"))),
    }
}

/// Sleeps until a signal arrives; a signal whose default action ends the process ends it here.
pub(crate) fn wait_for_signal() {
    // SAFETY: No preconditions.
    unsafe { pause() };
}

/// An AIO control block or event, as the kernel lays it out: bytes at the C offsets, aligned
/// for its 64-bit fields.
#[repr(C, align(8))]
struct AioBytes<const N: usize>([u8; N]);

impl<const N: usize> AioBytes<N> {
    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.0[at..][..bytes.len()].copy_from_slice(bytes);
    }
}

/// A `pread` of `buf.len()` bytes at `offset` through the kernel's AIO (`io_setup`,
/// `io_submit`, `io_getevents`), which reaches a driver's `read_iter` from an AIO request: the
/// bytes read.
pub(crate) fn aio_pread(fd: BorrowedFd<'_>, buf: &mut [u8], offset: i64) -> io::Result<usize> {
    let mut ctx: c_ulong = 0;
    // SAFETY: `io_setup` writes one `aio_context_t` (an `unsigned long`) to `ctx`.
    if unsafe { syscall(c_long::from(SYS_IO_SETUP), 1 as c_long, &raw mut ctx) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut iocb = AioBytes([0u8; SIZEOF_IOCB]);
    // `IOCB_CMD_PREAD` is 0: it fits the 16-bit opcode.
    iocb.put(
        OFFSETOF_IOCB_LIO_OPCODE,
        &(IOCB_CMD_PREAD as u16).to_ne_bytes(),
    );
    iocb.put(
        OFFSETOF_IOCB_FILDES,
        &fd.as_raw_fd().unsigned_abs().to_ne_bytes(),
    );
    iocb.put(OFFSETOF_IOCB_BUF, &(buf.as_mut_ptr() as u64).to_ne_bytes());
    iocb.put(OFFSETOF_IOCB_NBYTES, &(buf.len() as u64).to_ne_bytes());
    iocb.put(OFFSETOF_IOCB_OFFSET, &offset.to_ne_bytes());
    let mut list = [&raw mut iocb];
    // SAFETY: `list` holds one valid control block, whose buffer `buf` stays borrowed until the
    // request completes below.
    let submitted = unsafe {
        syscall(
            c_long::from(SYS_IO_SUBMIT),
            ctx,
            1 as c_long,
            list.as_mut_ptr(),
        )
    };
    let result = if submitted != 1 {
        Err(io::Error::last_os_error())
    } else {
        let mut event = AioBytes([0u8; SIZEOF_IO_EVENT]);
        // SAFETY: `event` has room for the one event asked for; no timeout (NULL).
        let got = unsafe {
            syscall(
                c_long::from(SYS_IO_GETEVENTS),
                ctx,
                1 as c_long,
                1 as c_long,
                &raw mut event,
                std::ptr::null_mut::<c_void>(),
            )
        };
        if got != 1 {
            Err(io::Error::last_os_error())
        } else {
            let mut res = [0u8; 8];
            res.copy_from_slice(&event.0[OFFSETOF_IO_EVENT_RES..][..8]);
            let res = i64::from_ne_bytes(res);
            usize::try_from(res).map_err(|_| {
                // A negative errno: small, it fits an `i32`.
                io::Error::from_raw_os_error(i32::try_from(-res).unwrap_or(i32::MAX))
            })
        }
    };
    // SAFETY: `ctx` is the context made above; its one request has completed or failed.
    unsafe { syscall(c_long::from(SYS_IO_DESTROY), ctx) };
    result
}

/// Adds `flag` (`READ_IMPLIES_EXEC`, say) to this process's personality. Use it in a child.
pub(crate) fn add_personality(flag: u32) -> io::Result<()> {
    // SAFETY: No memory is passed; 0xffffffff only queries the personality.
    let old = unsafe { personality(0xffff_ffff) };
    if old < 0 {
        return Err(io::Error::last_os_error());
    }
    // A personality is a non-negative `int`: widening it is lossless.
    let new = c_ulong::from(old.unsigned_abs() | flag);
    // SAFETY: As above; the flag only changes how later mappings of this process are made.
    if unsafe { personality(new) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Drops root for an unprivileged user and group (`nobody`, 65534). Use it in a child.
pub(crate) fn become_nobody() -> io::Result<()> {
    // SAFETY: An empty list is valid.
    check(unsafe { setgroups(0, std::ptr::null()) })?;
    // SAFETY: No preconditions.
    check(unsafe { setgid(65534) })?;
    // SAFETY: No preconditions.
    check(unsafe { setuid(65534) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hole_leaves_both_sides_mapped() {
        let page = carveout::page_size();
        let map = map_anonymous(3 * page, false, true, MemoryType::Cached).unwrap();
        map.write_u32(0, 1).unwrap();
        map.write_u32(2 * page, 3).unwrap();
        let holed = punch_hole(map, page, page).unwrap();
        assert_eq!(holed.before.read_u32(0).unwrap(), 1);
        let after = holed.after.expect("a part after the hole");
        assert_eq!(after.read_u32(0).unwrap(), 3);
        assert_eq!(holed.hole, holed.before.as_ptr() as usize + page);
    }

    #[test]
    fn children_report_codes_and_signals() {
        assert_eq!(in_child(10, || 3).unwrap(), Exit::Code(3));
        let killed = in_child(10, || {
            // `std::process::id` is the child's own pid here.
            let pid = c_int::try_from(std::process::id()).unwrap_or(c_int::MAX);
            let _ = signal(pid, consts::SIGKILL);
            0
        });
        assert_eq!(killed.unwrap(), Exit::Signal(consts::SIGKILL));
    }

    #[test]
    fn aio_reads_what_pread_reads() {
        let path = std::env::temp_dir().join(format!("carveout-aio-{}", std::process::id()));
        let bytes: Vec<u8> = (0..=255).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = File::open(&path).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(aio_pread(file.as_fd(), &mut buf, 100).unwrap(), 16);
        assert_eq!(&buf[..], &bytes[100..116]);
        assert_eq!(aio_pread(file.as_fd(), &mut buf, 250).unwrap(), 6);
        let mut none = [0u8; 0];
        assert_eq!(
            aio_pread(file.as_fd(), &mut none, -1)
                .unwrap_err()
                .raw_os_error(),
            Some(consts::EINVAL)
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn lseek_takes_any_whence() {
        let file = File::open("/dev/null").unwrap();
        assert_eq!(lseek(file.as_fd(), 0, 0).unwrap(), 0);
        assert_eq!(
            lseek(file.as_fd(), 0, 99).map_err(|e| e.raw_os_error()),
            Err(Some(consts::EINVAL))
        );
    }

    #[test]
    fn bad_pointers_fail_cleanly() {
        let file = File::open("/dev/null").unwrap();
        for io in Io::BOTH {
            assert!(read_unmapped(file.as_fd(), io, 4).is_ok_and(|n| n == 0));
            let mut buf = [0u8; 4];
            assert_eq!(
                read_at(file.as_fd(), io, &mut buf, -4096).map_err(|e| e.raw_os_error()),
                Err(Some(consts::EINVAL))
            );
        }
        assert_eq!(
            ioctl_unmapped(file.as_fd(), CARVEOUT_IOC_SYNC).map_err(|e| e.raw_os_error()),
            Err(Some(consts::ENOTTY))
        );
    }

    #[test]
    fn both_ways_move_every_byte_in_place() {
        let path = std::env::temp_dir().join(format!("carveout-raw-io-{}", std::process::id()));
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        let page = carveout::page_size();
        let len = 2 * page + 100;
        let src = map_anonymous(len, false, false, MemoryType::Cached).unwrap();
        let dst = map_anonymous(len, false, false, MemoryType::Cached).unwrap();
        for io in Io::BOTH {
            for at in 0..len {
                src.write_u8(at, (at % 251) as u8 ^ io as u8).unwrap();
            }
            assert_eq!(write_from(file.as_fd(), io, &src, 0, len, 8).unwrap(), len);
            assert_eq!(read_into(file.as_fd(), io, &dst, 0, len, 8).unwrap(), len);
            for at in 0..len {
                assert_eq!(
                    dst.read_u8(at).unwrap(),
                    src.read_u8(at).unwrap(),
                    "{io:?} {at}"
                );
            }
        }
    }

    #[test]
    fn minor_faults_count_first_touches() {
        let page = carveout::page_size();
        let map = map_anonymous(16 * page, false, false, MemoryType::Cached).unwrap();
        let before = minor_faults().unwrap();
        for p in 0..16 {
            map.write_u8(p * page, 1).unwrap();
        }
        assert!(minor_faults().unwrap() >= before + 16);
    }
}
