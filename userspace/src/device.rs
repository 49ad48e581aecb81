//! An open carveout device and RAII mappings of it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;

use crate::sys;
use crate::uapi::{self, Info};

/// An error that names the file and the operation that failed.
#[derive(Debug)]
pub struct OpError {
    pub path: PathBuf,
    pub op: String,
    pub err: io::Error,
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.op, self.err)
    }
}

impl std::error::Error for OpError {}

/// An open `/dev/<name>` with what the driver reported about it.
pub struct Device {
    pub path: PathBuf,
    pub file: File,
    pub info: Info,
}

impl Device {
    /// Opens `path` read-write and asks the driver for the region's info.
    pub fn open(path: &Path) -> Result<Device, OpError> {
        Self::open_with(path, true)
    }

    /// Opens `path`, read-only unless `write`.
    pub fn open_with(path: &Path, write: bool) -> Result<Device, OpError> {
        let file = OpenOptions::new()
            .read(true)
            .write(write)
            .open(path)
            .map_err(|err| OpError {
                path: path.into(),
                op: format!("open ({})", if write { "read-write" } else { "read-only" }),
                err,
            })?;
        let mut raw = [0u8; uapi::INFO_SIZE];
        sys::ioctl_read(file.as_fd(), uapi::CARVEOUT_IOC_INFO, &mut raw).map_err(|err| {
            OpError {
                path: path.into(),
                op: "ioctl CARVEOUT_IOC_INFO (is this a carveout device?)".into(),
                err,
            }
        })?;
        Ok(Device {
            path: path.into(),
            file,
            info: Info::from_bytes(&raw),
        })
    }

    /// The region size in bytes.
    pub fn size(&self) -> usize {
        usize::try_from(self.info.size).unwrap_or(usize::MAX)
    }

    pub fn error(&self, op: impl Into<String>, err: io::Error) -> OpError {
        OpError {
            path: self.path.clone(),
            op: op.into(),
            err,
        }
    }

    /// Maps `len` bytes at byte `offset` of the region, shared, read-write.
    pub fn map(&self, offset: usize, len: usize) -> Result<Mapping, OpError> {
        self.map_raw(
            offset as i64,
            len,
            sys::PROT_READ | sys::PROT_WRITE,
            sys::MAP_SHARED,
        )
        .map_err(|err| self.error(format!("mmap {len:#x} bytes at offset {offset:#x}"), err))
    }

    /// mmap with any arguments, for the tests of refused requests.
    pub fn map_raw(&self, offset: i64, len: usize, prot: i32, flags: i32) -> io::Result<Mapping> {
        Mapping::of_file_with(&self.file, len, offset, prot, flags)
    }

    /// The whole region, read with pread.
    pub fn contents(&self) -> Result<Vec<u8>, OpError> {
        let mut buf = vec![0u8; self.size()];
        self.read_exact_at(&mut buf, 0)?;
        Ok(buf)
    }

    /// pread of exactly `buf.len()` bytes at `offset`.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<(), OpError> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|err| self.error(format!("pread {:#x} bytes at {offset:#x}", buf.len()), err))
    }

    /// pwrite of all of `buf` at `offset`.
    pub fn write_all_at(&self, buf: &[u8], offset: u64) -> Result<(), OpError> {
        self.file
            .write_all_at(buf, offset)
            .map_err(|err| self.error(format!("pwrite {:#x} bytes at {offset:#x}", buf.len()), err))
    }
}

/// A mapping of a carveout, unmapped on drop. The memory can change under us (the kernel or
/// another process may write it), so it is only accessed with volatile, aligned 32-bit loads
/// and stores, which every memory type (even `device`) allows.
pub struct Mapping {
    addr: *mut u8,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes of any file at byte `offset`, shared, read-write (for /dev/mem and UIO).
    pub fn of_file(file: &File, len: usize, offset: i64) -> io::Result<Mapping> {
        Self::of_file_with(
            file,
            len,
            offset,
            sys::PROT_READ | sys::PROT_WRITE,
            sys::MAP_SHARED,
        )
    }

    /// Maps `len` bytes of `file` at byte `offset` with any protection and flags.
    fn of_file_with(
        file: &File,
        len: usize,
        offset: i64,
        prot: i32,
        flags: i32,
    ) -> io::Result<Mapping> {
        let addr = sys::map(file.as_fd(), len, prot, flags, offset)?;
        Ok(Mapping { addr, len })
    }

    /// Anonymous RAM, faulted in up front when `populate`.
    pub fn anonymous(len: usize, populate: bool) -> io::Result<Mapping> {
        let addr = sys::map_anonymous(len, populate)?;
        Ok(Mapping { addr, len })
    }

    /// Anonymous RAM shared with the children this process forks afterwards.
    pub fn anonymous_shared(len: usize) -> io::Result<Mapping> {
        let addr = sys::map_shared_anonymous(len)?;
        Ok(Mapping { addr, len })
    }

    /// Word `word` of a mapping of RAM (from [`Mapping::anonymous_shared`]) as an atomic, for
    /// counters and flags shared between processes. Not for device mappings: exclusive
    /// load/store is defined for normal cacheable memory only.
    pub fn ram_atomic_u32(&self, word: usize) -> &AtomicU32 {
        assert!(
            word < self.words(),
            "word {word} outside a mapping of {} bytes",
            self.len
        );
        // SAFETY: In bounds (checked), 4-byte aligned (page-aligned base), valid for as long as
        // `self` (the returned borrow), and only ever accessed atomically by its users.
        unsafe { AtomicU32::from_ptr(self.addr.cast::<u32>().add(word)) }
    }

    /// Panics unless `len` bytes at `offset` are inside the mapping, in whole 32-bit words.
    fn check_span(&self, offset: usize, len: usize) {
        assert!(
            offset + len <= self.len && offset.is_multiple_of(4) && len.is_multiple_of(4),
            "{len:#x} bytes at {offset:#x} are not whole words inside a mapping of {:#x} bytes",
            self.len
        );
    }

    /// Copies `buf.len()` bytes at `offset` out of the mapping: with `memcpy`, or word by word
    /// (volatile, aligned) for memory types that allow nothing else.
    pub fn copy_out(&self, offset: usize, buf: &mut [u8], words_only: bool) {
        self.check_span(offset, buf.len());
        if words_only {
            for (i, chunk) in buf.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&self.read_u32(offset / 4 + i).to_ne_bytes());
            }
        } else {
            // SAFETY: In bounds (checked); `buf` does not overlap a mapping of the device. The
            // benchmark that uses this is the only writer of the region while it runs.
            unsafe {
                std::ptr::copy_nonoverlapping(self.addr.add(offset), buf.as_mut_ptr(), buf.len())
            }
        }
    }

    /// Copies `buf` into the mapping at `offset`; see [`Mapping::copy_out`].
    pub fn copy_in(&self, offset: usize, buf: &[u8], words_only: bool) {
        self.check_span(offset, buf.len());
        if words_only {
            for (i, chunk) in buf.chunks_exact(4).enumerate() {
                let word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                self.write_u32(offset / 4 + i, word);
            }
        } else {
            // SAFETY: As in `copy_out`.
            unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), self.addr.add(offset), buf.len()) }
        }
    }

    pub fn addr(&self) -> usize {
        self.addr as usize
    }

    /// Number of 32-bit words in the mapping.
    pub fn words(&self) -> usize {
        self.len / 4
    }

    pub fn read_u32(&self, word: usize) -> u32 {
        assert!(
            word < self.words(),
            "word {word} outside a mapping of {} bytes",
            self.len
        );
        // SAFETY: In bounds (checked), 4-byte aligned (page-aligned base), and the mapping lives
        // as long as `self`.
        unsafe { self.addr.cast::<u32>().add(word).read_volatile() }
    }

    pub fn write_u32(&self, word: usize, value: u32) {
        assert!(
            word < self.words(),
            "word {word} outside a mapping of {} bytes",
            self.len
        );
        // SAFETY: As in `read_u32`.
        unsafe { self.addr.cast::<u32>().add(word).write_volatile(value) }
    }

    /// munmap `len` bytes at byte `offset` of the mapping; touching them afterwards raises
    /// SIGSEGV. The rest stays mapped; drop still unmaps the whole range.
    pub fn unmap_part(&self, offset: usize, len: usize) -> io::Result<()> {
        assert!(offset + len <= self.len, "range outside the mapping");
        // SAFETY: The range is inside our mapping; it is accessed afterwards only by tests that
        // expect the resulting signal.
        unsafe { sys::unmap(self.addr.add(offset), len) }
    }

    /// mremap to `new_len`, allowed to move; on failure the mapping is unchanged.
    pub fn remap(self, new_len: usize) -> Result<Mapping, (Mapping, io::Error)> {
        // SAFETY: On success `self` is forgotten below, so the old range is never used again.
        match unsafe { sys::remap(self.addr, self.len, new_len) } {
            Ok(addr) => {
                std::mem::forget(self);
                Ok(Mapping { addr, len: new_len })
            }
            Err(e) => Err((self, e)),
        }
    }

    /// madvise the whole mapping.
    pub fn advise(&self, advice: i32) -> io::Result<()> {
        sys::advise(self.addr, self.len, advice)
    }

    /// mprotect the whole mapping.
    pub fn protect(&self, prot: i32) -> io::Result<()> {
        sys::protect(self.addr, self.len, prot)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `addr..addr + len` is our mapping and `self` is its only user.
        if let Err(err) = unsafe { sys::unmap(self.addr, self.len) } {
            eprintln!(
                "carveout: munmap {:#x} bytes at {:p}: {err}",
                self.len, self.addr
            );
        }
    }
}
