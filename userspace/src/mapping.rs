// SPDX-License-Identifier: GPL-2.0

//! [`Mapping`]: a window of a carveout in this process, accessed with volatile loads and stores.

use std::fmt;
use std::io;
use std::mem::size_of;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use crate::device::{Access, Carveout, SyncDirection};
use crate::memory_type::MemoryType;
use crate::sys;
use crate::{Error, Result};

/// The page size: mapping offsets and region sizes are multiples of it.
///
/// # Examples
///
/// ```
/// let page = carveout::page_size();
/// assert!(page.is_power_of_two());
/// ```
pub fn page_size() -> usize {
    sys::page_size()
}

/// A value [`Mapping`] loads and stores in one access.
trait Scalar: Copy {
    /// Its Rust name, for messages.
    const NAME: &'static str;
    /// Its value in native byte order, from `bytes` (exactly its size).
    fn from_ne_slice(bytes: &[u8]) -> Self;
    /// Writes its native-order bytes to `out` (exactly its size).
    fn to_ne_slice(self, out: &mut [u8]);
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const NAME: &'static str = stringify!($t);
            fn from_ne_slice(bytes: &[u8]) -> $t {
                let mut raw = [0u8; size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_ne_bytes(raw)
            }
            fn to_ne_slice(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
scalar!(u8, u16, u32, u64);

/// A shared mapping of a window of a carveout, unmapped on drop.
///
/// The memory can change at any time (a device, another process or another mapping may write
/// it), so the mapping hands out values, never references: every access is a volatile load or
/// store, bounds-checked, and on [`MemoryType::Device`] memory naturally aligned (an unaligned
/// access there raises `SIGBUS`, so it is refused). On the other types an unaligned value is
/// accessed byte by byte. Byte slices ([`Mapping::as_slice`]) exist, but are `unsafe`.
///
/// # Concurrent access
///
/// The region is shared with agents Rust's memory model does not describe: the device, other
/// processes, other mappings of it (at other addresses, which the compiler cannot know alias),
/// and other threads using this mapping (it is [`Sync`]). The crate treats it as I/O memory, which
/// only volatile accesses touch, so the scalar accessors ([`Mapping::read_u32`] and the others)
/// are sound whatever those agents do: a naturally aligned `u8`, `u16` or `u32` is one access,
/// which reads the old or the new value, never a mix; a `u64` is one on a 64-bit CPU and may be
/// two halves on a 32-bit one; an unaligned value (write-combine and cached memory only) is
/// accessed byte by byte and may mix. Volatile accesses are not atomic operations: they order
/// nothing, so a protocol that hands data over through a flag needs barriers of its own.
///
/// [`Mapping::read_into`] and [`Mapping::write_from`] on write-combine and cached memory are the
/// exception: they copy with `memcpy`, for speed, and a `memcpy` is not volatile. Rust treats
/// the bytes it copies as ordinary memory, so another agent writing them during the copy (or
/// reading them during [`Mapping::write_from`]) is a data race, undefined behaviour in Rust's
/// memory model. In practice the copy holds a mix of old and new bytes, as in every C program
/// that `memcpy`s to or from a shared mapping and in the kernel's `memcpy_fromio` and
/// `memcpy_toio` on 32-bit Arm (`mmiocpy`, which is `memcpy`). Copy only a range that nothing
/// else touches meanwhile (a buffer handed over by a protocol), or use the scalar accessors.
///
/// A mapping holds no file descriptor: it outlives the [`Carveout`] it came from, as with
/// `mmap(2)`. Once the device is unbound, touching it raises `SIGBUS`.
///
/// # Invariants
///
/// `ptr..ptr + len` is a mapping this value owns and unmaps on drop, page-aligned, readable,
/// writable if `access` is [`Access::ReadWrite`], with memory type `memory_type`. If
/// `phys_base` is `Some`, it maps byte `offset` onwards of the carveout at that physical base.
///
/// # Examples
///
/// ```no_run
/// use carveout::{Access, Carveout, SyncDirection};
///
/// let dev = Carveout::open("carveout-dsp")?;
/// let map = dev.map(0, carveout::page_size(), Access::ReadWrite)?;
/// map.write_u32(0, 0xcafe_f00d)?;
/// map.sync(&dev, 0, 4, SyncDirection::ForDevice)?;
/// assert_eq!(map.read_u32(0)?, 0xcafe_f00d);
/// # Ok::<(), carveout::Error>(())
/// ```
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
    offset: u64,
    memory_type: MemoryType,
    access: Access,
    path: PathBuf,
    phys_base: Option<u64>,
}

// SAFETY: The mapping belongs to the process, not to a thread: any thread may access it, and
// the thread that owns the `Mapping` may unmap it (`munmap` is not tied to the thread that called
// `mmap`).
unsafe impl Send for Mapping {}

// SAFETY: Through `&Mapping` a thread gets volatile loads and stores, `memcpy` copies and
// `unsafe` slice views. None of them assumes that the thread is alone with the bytes: the
// region is shared with agents no Rust type can exclude (the device, other processes, and other
// `Mapping`s of it, which safe code can make and send to other threads), so each is written for
// bytes that change under it ("Concurrent access" in the type's documentation). Another thread
// using the same `Mapping` is one more such agent and adds no case: a volatile access meets it
// as it meets the device, a `memcpy` as it meets a second mapping (the trade-off `read_into` and
// `write_from` document), and the slice views' contract already excludes every other writer,
// `self` included. Unmapping (drop, `remap`, `into_raw_parts`) takes the `Mapping` by value, so
// no other thread can be using it then.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// A mapping of `path`.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must satisfy the type invariants with these arguments, and nothing else
    /// may unmap it.
    pub(crate) unsafe fn new(
        ptr: NonNull<u8>,
        len: usize,
        offset: u64,
        memory_type: MemoryType,
        access: Access,
        path: PathBuf,
        phys_base: Option<u64>,
    ) -> Mapping {
        // INVARIANT: The caller guarantees it.
        Mapping {
            ptr,
            len,
            offset,
            memory_type,
            access,
            path,
            phys_base,
        }
    }

    /// Takes ownership of a mapping this process made itself: of another file (`/dev/mem`, a
    /// UIO device) or of anonymous memory, to access it as a carveout's.
    ///
    /// The mapping is unmapped on drop; [`Mapping::offset`] is 0 and [`Mapping::sync`] refuses
    /// it. `path` names it in errors.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must be a page-aligned mapping of this process, readable, writable if
    /// `access` is [`Access::ReadWrite`], whose memory type allows every access that
    /// `memory_type` allows; nothing else may unmap it or use it as Rust memory.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::ffi::{c_int, c_void};
    /// use std::os::fd::AsRawFd;
    /// use std::ptr::NonNull;
    ///
    /// use carveout::{Access, Mapping, MemoryType};
    ///
    /// extern "C" {
    ///     // glibc's `mmap` with a 64-bit offset on every target (plain `mmap` takes `off_t`,
    ///     // 32 bits on 32-bit targets).
    ///     fn mmap64(
    ///         addr: *mut c_void,
    ///         len: usize,
    ///         prot: c_int,
    ///         flags: c_int,
    ///         fd: c_int,
    ///         offset: i64,
    ///     ) -> *mut c_void;
    /// }
    /// let devmem = std::fs::OpenOptions::new().read(true).write(true).open("/dev/mem")?;
    /// let (len, fd) = (carveout::page_size(), devmem.as_raw_fd());
    /// // PROT_READ | PROT_WRITE, MAP_SHARED (the same on every Linux target), at physical
    /// // address 0x58000000.
    /// // SAFETY: A NULL hint picks a free range; nothing existing is replaced.
    /// let ptr = unsafe { mmap64(std::ptr::null_mut(), len, 3, 1, fd, 0x5800_0000) };
    /// let ptr = NonNull::new(ptr.cast::<u8>())
    ///     .filter(|p| p.as_ptr() as isize != -1)
    ///     .ok_or("mmap failed")?;
    /// // SAFETY: `mmap64` made this shared, read-write mapping for us alone. `Device` allows the
    /// // fewest accesses (naturally aligned ones), which every memory type allows: right
    /// // whatever /dev/mem picks (on 32-bit Arm: RAM, no-map carveouts included, cached, or
    /// // write-combine with `O_SYNC`; anything else strongly ordered, where `memcpy` faults).
    /// let map = unsafe {
    ///     Mapping::from_raw_parts(ptr, len, MemoryType::Device, Access::ReadWrite, "/dev/mem")
    /// };
    /// println!("{:#x}", map.read_u32(0)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub unsafe fn from_raw_parts(
        ptr: NonNull<u8>,
        len: usize,
        memory_type: MemoryType,
        access: Access,
        path: impl Into<PathBuf>,
    ) -> Mapping {
        // SAFETY: The caller guarantees the invariants; `phys_base` is `None`.
        unsafe { Mapping::new(ptr, len, 0, memory_type, access, path.into(), None) }
    }

    /// Gives up ownership of the mapping without unmapping it: its address and length, for
    /// `munmap(2)` or [`Mapping::from_raw_parts`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Access, Carveout, Mapping};
    ///
    /// let dev = Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, Access::ReadOnly)?;
    /// let (memory_type, access) = (map.memory_type(), map.access());
    /// let (ptr, len) = map.into_raw_parts();
    /// // SAFETY: The parts of a mapping that nothing else owns, given back whole.
    /// let map = unsafe { Mapping::from_raw_parts(ptr, len, memory_type, access, dev.path()) };
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn into_raw_parts(self) -> (NonNull<u8>, usize) {
        let parts = (self.ptr, self.len);
        // Dropping the path and the rest, but not the mapping.
        let mut this = std::mem::ManuallyDrop::new(self);
        drop(std::mem::take(&mut this.path));
        parts
    }

    /// The address of the first byte.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, carveout::page_size(), carveout::Access::ReadOnly)?;
    /// assert_eq!(map.as_ptr() as usize % carveout::page_size(), 0);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The length in bytes.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 8192, carveout::Access::ReadOnly)?;
    /// assert_eq!(map.len(), 8192);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (`mmap(2)` never makes one).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert!(!dev.map(0, 4096, carveout::Access::ReadOnly)?.is_empty());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The byte offset in the region of the mapping's first byte.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0x10000, 4096, carveout::Access::ReadOnly)?;
    /// assert_eq!(map.offset(), 0x10000);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The memory type, which decides the accesses allowed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// assert_eq!(map.memory_type(), dev.memory_type());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn memory_type(&self) -> MemoryType {
        self.memory_type
    }

    /// Whether the mapping may be written.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// assert!(map.write_u8(0, 1).is_err());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn access(&self) -> Access {
        self.access
    }

    /// The file the mapping maps.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// assert_eq!(map.path(), dev.path());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses `operation` with `kind`, saying `why`.
    #[cold]
    fn refuse(&self, operation: String, kind: io::ErrorKind, why: String) -> Error {
        Error::refused(&self.path, operation, kind, why)
    }

    /// Checks that `len` bytes at byte `offset` are inside the mapping.
    fn check_range(&self, offset: usize, len: usize, operation: impl Fn() -> String) -> Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(self.refuse(
                operation(),
                io::ErrorKind::InvalidInput,
                format!(
                    "{len:#x} bytes at {offset:#x} are not inside the mapping of {:#x} bytes",
                    self.len
                ),
            )),
        }
    }

    /// Checks that the mapping may be written.
    fn check_writable(&self, operation: impl Fn() -> String) -> Result<()> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(self.refuse(
                operation(),
                io::ErrorKind::PermissionDenied,
                "the mapping is read-only".into(),
            )),
        }
    }

    /// Checks a `T` at byte `offset`: inside, and aligned if the memory type needs it. Whether
    /// it is aligned.
    fn check_scalar<T: Scalar>(&self, offset: usize, what: &str) -> Result<bool> {
        let operation = || format!("{what}_{} at offset {offset:#x}", T::NAME);
        let size = size_of::<T>();
        self.check_range(offset, size, operation)?;
        // The base is page-aligned: the offset's alignment is the address's.
        let aligned = offset.is_multiple_of(size);
        if !aligned && !self.memory_type.allows_unaligned() {
            return Err(self.refuse(
                operation(),
                io::ErrorKind::InvalidInput,
                format!(
                    "not {size}-byte aligned, and {} memory allows only naturally aligned \
                     accesses (an unaligned one raises SIGBUS)",
                    self.memory_type
                ),
            ));
        }
        Ok(aligned)
    }

    /// A volatile load of a `T` at byte `offset`.
    fn read<T: Scalar>(&self, offset: usize) -> Result<T> {
        let aligned = self.check_scalar::<T>(offset, "read")?;
        // SAFETY: `offset + size_of::<T>()` is inside the mapping (checked), so the pointer
        // stays inside it.
        let at = unsafe { self.ptr.as_ptr().add(offset) };
        if aligned {
            // SAFETY: Inside the mapping, which is readable and lives as long as `self` (type
            // invariants); aligned (checked). Memory that another agent may change is read with
            // a volatile load, which assumes nothing about it.
            return Ok(unsafe { at.cast::<T>().read_volatile() });
        }
        // An unaligned value, on a memory type that allows byte accesses (checked).
        let mut bytes = [0u8; 8];
        let bytes = &mut bytes[..size_of::<T>()];
        for (i, byte) in bytes.iter_mut().enumerate() {
            // SAFETY: As above, for one byte (always aligned) inside the checked range.
            *byte = unsafe { at.add(i).read_volatile() };
        }
        Ok(T::from_ne_slice(bytes))
    }

    /// A volatile store of `value` at byte `offset`.
    fn write<T: Scalar>(&self, offset: usize, value: T) -> Result<()> {
        self.check_writable(|| format!("write_{} at offset {offset:#x}", T::NAME))?;
        let aligned = self.check_scalar::<T>(offset, "write")?;
        // SAFETY: As in `read`.
        let at = unsafe { self.ptr.as_ptr().add(offset) };
        if aligned {
            // SAFETY: As in `read`, and the mapping is writable (checked). No Rust reference
            // points into the mapping, so the store changes nothing Rust assumes.
            unsafe { at.cast::<T>().write_volatile(value) };
            return Ok(());
        }
        let mut bytes = [0u8; 8];
        let bytes = &mut bytes[..size_of::<T>()];
        value.to_ne_slice(bytes);
        for (i, byte) in bytes.iter().enumerate() {
            // SAFETY: As above, for one byte inside the checked range.
            unsafe { at.add(i).write_volatile(*byte) };
        }
        Ok(())
    }

    /// Reads the byte at byte `offset`.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] outside the mapping.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// let status = map.read_u8(3)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_u8(&self, offset: usize) -> Result<u8> {
        self.read(offset)
    }

    /// Reads the `u16` at byte `offset`, in native byte order.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] outside the mapping, or at an odd offset of
    /// [`MemoryType::Device`] memory.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// let half = map.read_u16(2)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_u16(&self, offset: usize) -> Result<u16> {
        self.read(offset)
    }

    /// Reads the `u32` at byte `offset`, in native byte order.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] outside the mapping, or at an offset of
    /// [`MemoryType::Device`] memory that is not a multiple of 4.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// let word = map.read_u32(0x10)?;
    /// assert!(map.read_u32(0x11).is_err()); // device memory: unaligned
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_u32(&self, offset: usize) -> Result<u32> {
        self.read(offset)
    }

    /// Reads the `u64` at byte `offset`, in native byte order, in one access where the CPU has
    /// one.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] outside the mapping, or at an offset of
    /// [`MemoryType::Device`] memory that is not a multiple of 8.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// let stamp = map.read_u64(8)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_u64(&self, offset: usize) -> Result<u64> {
        self.read(offset)
    }

    /// Writes the byte `value` at byte `offset`.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] outside the mapping;
    /// [`io::ErrorKind::PermissionDenied`] on a read-only mapping.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadWrite)?;
    /// map.write_u8(7, b'!')?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_u8(&self, offset: usize, value: u8) -> Result<()> {
        self.write(offset, value)
    }

    /// Writes the `u16` `value` at byte `offset`, in native byte order.
    ///
    /// # Errors
    ///
    /// As [`Mapping::write_u8`], and [`io::ErrorKind::InvalidInput`] at an odd offset of
    /// [`MemoryType::Device`] memory.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadWrite)?;
    /// map.write_u16(2, 0xbeef)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_u16(&self, offset: usize, value: u16) -> Result<()> {
        self.write(offset, value)
    }

    /// Writes the `u32` `value` at byte `offset`, in native byte order.
    ///
    /// # Errors
    ///
    /// As [`Mapping::write_u8`], and [`io::ErrorKind::InvalidInput`] at an offset of
    /// [`MemoryType::Device`] memory that is not a multiple of 4.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadWrite)?;
    /// map.write_u32(0, 1)?; // ring the doorbell
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_u32(&self, offset: usize, value: u32) -> Result<()> {
        self.write(offset, value)
    }

    /// Writes the `u64` `value` at byte `offset`, in native byte order, in one access where
    /// the CPU has one.
    ///
    /// # Errors
    ///
    /// As [`Mapping::write_u8`], and [`io::ErrorKind::InvalidInput`] at an offset of
    /// [`MemoryType::Device`] memory that is not a multiple of 8.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadWrite)?;
    /// map.write_u64(8, u64::MAX)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_u64(&self, offset: usize, value: u64) -> Result<()> {
        self.write(offset, value)
    }

    /// Copies `buf.len()` bytes at byte `offset` out of the mapping.
    ///
    /// On [`MemoryType::Device`] memory the copy is made of naturally aligned volatile loads
    /// (32-bit words where the address is a multiple of 4, bytes elsewhere), as device memory
    /// requires. On write-combine and cached memory it is a `memcpy`: much faster, but not
    /// volatile, so a write to the range by anything else while it runs (the device, another
    /// process, another mapping, another thread) is a data race, undefined behaviour in Rust's
    /// memory model; in practice `buf` gets a mix of old and new bytes, as a C program's
    /// `memcpy` or the kernel's `memcpy_fromio` would (see "Concurrent access" on [`Mapping`]).
    /// Copy a range that nothing writes meanwhile, or read it with the scalar accessors. On no
    /// memory type is the copy atomic.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] when the range is not inside the mapping.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// let mut message = [0u8; 64];
    /// map.read_into(0x100, &mut message)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_into(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.check_range(offset, buf.len(), || {
            format!("read {:#x} bytes at offset {offset:#x}", buf.len())
        })?;
        // SAFETY: The range is inside the mapping (checked).
        let src = unsafe { self.ptr.as_ptr().add(offset) };
        if self.memory_type.allows_unaligned() {
            // SAFETY: `src..src + len` is inside the readable mapping (checked, invariants) and
            // the memory type allows any access (checked), `memcpy`'s included; `buf` is
            // ordinary memory, so the two do not overlap. No reference into the mapping exists
            // for the copy to invalidate. A write to the range by another agent during the copy
            // would race with it: the trade-off the method documents, taken for speed.
            unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
            return Ok(());
        }
        for (i, chunk) in aligned_chunks(offset, buf.len()) {
            let at = offset + i;
            match chunk {
                4 => buf[i..i + 4].copy_from_slice(&self.read::<u32>(at)?.to_ne_bytes()),
                _ => buf[i] = self.read::<u8>(at)?,
            }
        }
        Ok(())
    }

    /// Copies `buf` into the mapping at byte `offset`.
    ///
    /// As in [`Mapping::read_into`]: naturally aligned volatile stores on
    /// [`MemoryType::Device`] memory; a `memcpy` on write-combine and cached memory, where a
    /// read or write of the range by anything else while it runs is a data race (in practice
    /// the other agent sees a mix of old and new bytes, as with the kernel's `memcpy_toio`).
    /// Hand the range over only after the copy, or write it with the scalar accessors.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] when the range is not inside the mapping;
    /// [`io::ErrorKind::PermissionDenied`] on a read-only mapping.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadWrite)?;
    /// map.write_from(0x10, b"frame 1")?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_from(&self, offset: usize, buf: &[u8]) -> Result<()> {
        let operation = || format!("write {:#x} bytes at offset {offset:#x}", buf.len());
        self.check_writable(operation)?;
        self.check_range(offset, buf.len(), operation)?;
        // SAFETY: The range is inside the mapping (checked).
        let dst = unsafe { self.ptr.as_ptr().add(offset) };
        if self.memory_type.allows_unaligned() {
            // SAFETY: As in `read_into` (a read or write of the range by another agent during
            // the copy would race with it, as documented), and the mapping is writable
            // (checked).
            unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), dst, buf.len()) };
            return Ok(());
        }
        for (i, chunk) in aligned_chunks(offset, buf.len()) {
            let at = offset + i;
            match chunk {
                4 => self.write::<u32>(at, u32::from_ne_slice(&buf[i..i + 4]))?,
                _ => self.write::<u8>(at, buf[i])?,
            }
        }
        Ok(())
    }

    /// The mapping as a byte slice.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] on [`MemoryType::Device`] memory: a slice allows any
    /// access, and `memcpy` or unaligned loads there raise `SIGBUS`. Use
    /// [`Mapping::read_u32`] or [`Mapping::read_into`].
    ///
    /// # Safety
    ///
    /// Nothing may write the mapped bytes while the slice lives: no device, no other process,
    /// no other mapping of the region, no `pwrite` to it, no store through `self`. (Rust
    /// assumes that the bytes behind a shared reference do not change.)
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096, carveout::Access::ReadOnly)?;
    /// // SAFETY: Nothing writes the frame buffer while this program reads it.
    /// let bytes = unsafe { map.as_slice() }?;
    /// let sum: u32 = bytes.iter().map(|&b| u32::from(b)).sum();
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub unsafe fn as_slice(&self) -> Result<&[u8]> {
        self.check_slice("slice view")?;
        // SAFETY: The mapping is readable for `len` bytes while `self` lives (invariants), and
        // allows any access (checked); the caller guarantees that the bytes do not change.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) })
    }

    /// The mapping as a mutable byte slice.
    ///
    /// # Errors
    ///
    /// As [`Mapping::as_slice`], and [`io::ErrorKind::PermissionDenied`] on a read-only
    /// mapping.
    ///
    /// # Safety
    ///
    /// Nothing else may read or write the mapped bytes while the slice lives: no device, no
    /// other process, no other mapping of the region, no `pread` or `pwrite` of them.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let mut map = dev.map(0, 4096, carveout::Access::ReadWrite)?;
    /// // SAFETY: The display engine is off; nothing else touches the frame buffer.
    /// let bytes = unsafe { map.as_mut_slice() }?;
    /// bytes.fill(0);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub unsafe fn as_mut_slice(&mut self) -> Result<&mut [u8]> {
        self.check_writable(|| "mutable slice view".into())?;
        self.check_slice("mutable slice view")?;
        // SAFETY: As in `as_slice`, writable (checked), borrowed mutably through `&mut self`,
        // and the caller guarantees that nothing else accesses the bytes.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) })
    }

    /// Checks that the memory type allows a slice.
    fn check_slice(&self, operation: &str) -> Result<()> {
        if self.memory_type.allows_unaligned() {
            return Ok(());
        }
        Err(self.refuse(
            operation.into(),
            io::ErrorKind::InvalidInput,
            format!(
                "{} memory allows only naturally aligned accesses, and a slice allows any \
                 (memcpy raises SIGBUS): use read_u8..read_u64/write_u8..write_u64 at aligned \
                 offsets, or read_into/write_from",
                self.memory_type
            ),
        ))
    }

    /// Syncs `len` bytes at byte `offset` of the mapping in `direction`, through `carveout`,
    /// the device it maps (see [`Carveout::sync`]).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] when the range is not inside the mapping, or `carveout`
    /// is not the device it maps; else as [`Carveout::sync`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Access, Carveout, SyncDirection};
    ///
    /// let dev = Carveout::open("carveout-dsp")?;
    /// let window = dev.map(0x10000, 0x1000, Access::ReadWrite)?;
    /// window.write_from(0, b"command")?;
    /// window.sync(&dev, 0, 7, SyncDirection::ForDevice)?; // bytes 0x10000..0x10007 of the region
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn sync(
        &self,
        carveout: &Carveout,
        offset: usize,
        len: usize,
        direction: SyncDirection,
    ) -> Result<()> {
        let operation = || format!("sync {direction} {len:#x} bytes at offset {offset:#x}");
        self.check_range(offset, len, operation)?;
        if self.phys_base != Some(carveout.info().phys_base) {
            return Err(self.refuse(
                operation(),
                io::ErrorKind::InvalidInput,
                format!("not a mapping of {}", carveout.path().display()),
            ));
        }
        // Lossless: `usize` is at most 64 bits wide on every Linux target.
        carveout.sync(self.offset + offset as u64, len as u64, direction)
    }

    /// Resizes the mapping with `mremap(2)`, which may move it: the front `new_len` bytes stay
    /// mapped. Growing a carveout mapping fails with `EFAULT` (it is `VM_DONTEXPAND`).
    ///
    /// # Errors
    ///
    /// The mapping, unchanged, and the `mremap` error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let page = carveout::page_size();
    /// let map = dev.map(0, 2 * page, carveout::Access::ReadWrite)?;
    /// let map = map.remap(page).map_err(|(_, e)| e)?;
    /// assert_eq!(map.len(), page);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn remap(self, new_len: usize) -> std::result::Result<Mapping, (Mapping, Error)> {
        // SAFETY: `self` owns the mapping (invariants); on success it is forgotten below, so
        // the old range is never used again.
        match unsafe { sys::remap(self.ptr, self.len, new_len) } {
            Ok(ptr) => {
                let mut moved = std::mem::ManuallyDrop::new(self);
                // INVARIANT: `mremap` moved the mapping, with its file, offset and protection,
                // to `ptr..ptr + new_len`.
                let path = std::mem::take(&mut moved.path);
                // SAFETY: As the invariant above; `moved` is never dropped, so the new range
                // has this one owner.
                Ok(unsafe {
                    Mapping::new(
                        ptr,
                        new_len,
                        moved.offset,
                        moved.memory_type,
                        moved.access,
                        path,
                        moved.phys_base,
                    )
                })
            }
            Err(e) => {
                let operation = format!("mremap {:#x} bytes to {new_len:#x}", self.len);
                let error = Error::new(&self.path, operation, e);
                Err((self, error))
            }
        }
    }
}

/// Splits `len` bytes at byte `offset` into naturally aligned accesses, which device memory
/// allows: (index in the buffer, 1 or 4 bytes), with 32-bit words wherever the address is
/// 4-byte aligned.
fn aligned_chunks(offset: usize, len: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i == len {
            return None;
        }
        let chunk = if (offset + i).is_multiple_of(4) && len - i >= 4 {
            4
        } else {
            1
        };
        let at = i;
        i += chunk;
        Some((at, chunk))
    })
}

impl fmt::Debug for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("path", &self.path)
            .field("offset", &format_args!("{:#x}", self.offset))
            .field("len", &format_args!("{:#x}", self.len))
            .field("addr", &self.ptr)
            .field("memory_type", &self.memory_type)
            .field("access", &self.access)
            .finish()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: The mapping is this value's (invariants), and the value is going away.
        // Like closing a file, unmapping a mapping this process owns cannot fail in a way
        // anyone could act on: the result is ignored.
        let _ = unsafe { sys::unmap(self.ptr, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anonymous read-write memory that claims to be of `memory_type`.
    fn anonymous(len: usize, memory_type: MemoryType, access: Access) -> Mapping {
        let ptr = crate::sys::tests::map_anonymous(len);
        // SAFETY: A fresh private mapping of this test alone; RAM allows every access.
        unsafe { Mapping::from_raw_parts(ptr, len, memory_type, access, "(anonymous)") }
    }

    #[test]
    fn values_round_trip_aligned_and_not() {
        let map = anonymous(page_size(), MemoryType::Cached, Access::ReadWrite);
        map.write_u32(8, 0x1122_3344).unwrap();
        assert_eq!(map.read_u32(8).unwrap(), 0x1122_3344);
        map.write_u64(13, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(map.read_u64(13).unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(
            map.read_u8(13).unwrap(),
            0x0102_0304_0506_0708u64.to_ne_bytes()[0]
        );
        map.write_u16(1, 0xa55a).unwrap();
        assert_eq!(map.read_u16(1).unwrap(), 0xa55a);
    }

    #[test]
    fn out_of_bounds_is_refused() {
        let len = page_size();
        let map = anonymous(len, MemoryType::WriteCombine, Access::ReadWrite);
        assert!(map.read_u32(len - 4).is_ok());
        let e = map.read_u32(len - 2).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(e.raw_os_error(), None);
        assert!(e.to_string().contains("not inside the mapping"), "{e}");
        assert!(map.read_u8(usize::MAX).is_err());
        assert!(map.read_into(len - 1, &mut [0u8; 2]).is_err());
        assert!(map.write_from(usize::MAX, &[0u8; 2]).is_err());
    }

    #[test]
    fn device_memory_refuses_unaligned_accesses_and_slices() {
        let mut map = anonymous(page_size(), MemoryType::Device, Access::ReadWrite);
        assert!(map.write_u32(4, 7).is_ok());
        let e = map.read_u32(6).unwrap_err();
        assert!(
            e.to_string().contains("only naturally aligned accesses"),
            "{e}"
        );
        assert!(map.write_u16(3, 1).is_err());
        assert!(map.read_u64(4).is_err());
        // Naturally aligned accesses of every width are allowed.
        assert!(map.read_u8(3).is_ok());
        assert!(map.write_u16(2, 1).is_ok());
        assert!(map.write_u64(8, u64::MAX).is_ok());
        assert_eq!(map.read_u64(8).unwrap(), u64::MAX);
        // SAFETY: Refused before any slice exists.
        let e = unsafe { map.as_slice() }.unwrap_err();
        assert!(
            e.to_string()
                .contains("device memory allows only naturally aligned"),
            "{e}"
        );
        // SAFETY: As above.
        assert!(unsafe { map.as_mut_slice() }.is_err());
    }

    #[test]
    fn device_copies_are_word_by_word_and_exact() {
        let map = anonymous(page_size(), MemoryType::Device, Access::ReadWrite);
        let data: Vec<u8> = (0..37).collect();
        map.write_from(3, &data).unwrap();
        let mut back = vec![0u8; 37];
        map.read_into(3, &mut back).unwrap();
        assert_eq!(back, data);
        assert_eq!(map.read_u8(2).unwrap(), 0);
        assert_eq!(map.read_u8(40).unwrap(), 0);
        let chunks: Vec<_> = aligned_chunks(3, 10).collect();
        assert_eq!(chunks, [(0, 1), (1, 4), (5, 4), (9, 1)]);
    }

    #[test]
    fn read_only_mappings_refuse_writes() {
        let mut map = anonymous(page_size(), MemoryType::Cached, Access::ReadOnly);
        let e = map.write_u8(0, 1).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(map.write_from(0, b"x").is_err());
        // SAFETY: Refused before any slice exists.
        assert!(unsafe { map.as_mut_slice() }.is_err());
        // SAFETY: Nothing writes this private memory.
        assert_eq!(unsafe { map.as_slice() }.unwrap().len(), page_size());
    }

    #[test]
    fn slices_see_volatile_stores() {
        let mut map = anonymous(page_size(), MemoryType::WriteCombine, Access::ReadWrite);
        map.write_from(0, b"abc").unwrap();
        // SAFETY: Nothing else accesses this private memory while the slice lives.
        let bytes = unsafe { map.as_mut_slice() }.unwrap();
        assert_eq!(&bytes[..3], b"abc");
        bytes[3] = b'd';
        assert_eq!(map.read_u8(3).unwrap(), b'd');
    }

    #[test]
    fn threads_share_one_mapping() {
        let map = anonymous(page_size(), MemoryType::Cached, Access::ReadWrite);
        let words_per_thread = page_size() / 4 / 4;
        std::thread::scope(|s| {
            for t in 0..4 {
                let map = &map;
                s.spawn(move || {
                    for i in 0..words_per_thread {
                        let at = (t * words_per_thread + i) * 4;
                        map.write_u32(at, u32::try_from(at).unwrap()).unwrap();
                    }
                });
            }
        });
        for at in (0..page_size()).step_by(4) {
            assert_eq!(map.read_u32(at).unwrap(), u32::try_from(at).unwrap());
        }
    }

    #[test]
    fn remap_shrinks_and_keeps_the_front() {
        let page = page_size();
        let map = anonymous(2 * page, MemoryType::Cached, Access::ReadWrite);
        map.write_u32(0, 0xfeed).unwrap();
        let map = map.remap(page).map_err(|(_, e)| e).unwrap();
        assert_eq!(map.len(), page);
        assert_eq!(map.read_u32(0).unwrap(), 0xfeed);
        assert!(map.read_u32(page).is_err());
    }
}
