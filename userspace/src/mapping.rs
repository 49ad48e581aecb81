// SPDX-License-Identifier: MIT OR Apache-2.0

//! [`Mapping`] and [`MappingMut`]: a window of a carveout in this process, read-only or
//! read-write, accessed with volatile loads and stores; and [`Carveout::map`] and
//! [`Carveout::map_mut`], which make them.
//!
//! The two methods of [`Carveout`] live here, beside the types they return, and use only its
//! public interface (its descriptor, path and [`Info`](crate::Info), and [`Carveout::sync`]):
//! the device module knows nothing of mappings, and this one builds on it.

use std::fmt;
use std::io;
use std::mem::size_of;
use std::ops::Deref;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use crate::device::{Access, Carveout, SyncDirection};
use crate::memory_type::MemoryType;
use crate::sys::{self, consts};
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

/// A value [`Mapping`] loads and [`MappingMut`] stores in one access.
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

impl Carveout {
    /// Maps `len` bytes of the region at byte `offset` (a multiple of the page size), shared and
    /// read-only (`PROT_READ`): a [`Mapping`], which has no write methods.
    ///
    /// The kernel checks the window: the arguments go to `mmap(2)` as they are.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a window that is empty, not page-aligned or not inside the region; `ENODEV`
    /// after unbind.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Access, Carveout};
    ///
    /// let dev = Carveout::open_with("carveout-fb", Access::ReadOnly)?;
    /// let map = dev.map(0, carveout::page_size())?;
    /// println!("first word: {:#010x}", map.read_u32(0)?);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn map(&self, offset: u64, len: usize) -> Result<Mapping> {
        map_window(self, offset, len, Access::ReadOnly)
    }

    /// Maps `len` bytes of the region at byte `offset` (a multiple of the page size), shared and
    /// read-write (`PROT_READ | PROT_WRITE`): a [`MappingMut`].
    ///
    /// The kernel checks the window: the arguments go to `mmap(2)` as they are.
    ///
    /// # Errors
    ///
    /// As [`Carveout::map`], and `EACCES` when the file was opened [`Access::ReadOnly`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::Carveout;
    ///
    /// let dev = Carveout::open("carveout-fb")?;
    /// let page = carveout::page_size();
    /// let map = dev.map_mut(page as u64, page)?;
    /// map.write_u32(0, 0x1234_5678)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn map_mut(&self, offset: u64, len: usize) -> Result<MappingMut> {
        // INVARIANT: Mapped read-write.
        map_window(self, offset, len, Access::ReadWrite).map(MappingMut)
    }
}

/// `mmap(2)` of `len` bytes of `carveout` at byte `offset`, shared, with the protection of
/// `access`.
fn map_window(carveout: &Carveout, offset: u64, len: usize, access: Access) -> Result<Mapping> {
    let path = carveout.path();
    let operation = || format!("mmap {len:#x} bytes at offset {offset:#x} ({access})");
    let file_offset = i64::try_from(offset).map_err(|_| {
        Error::new(
            path,
            operation(),
            io::Error::new(io::ErrorKind::InvalidInput, "the offset does not fit off_t"),
        )
    })?;
    let prot = match access {
        Access::ReadOnly => consts::PROT_READ,
        Access::ReadWrite => consts::PROT_READ | consts::PROT_WRITE,
    };
    let addr = sys::mmap_shared(carveout.as_fd(), len, prot, file_offset)
        .map_err(|e| Error::new(path, operation(), e))?;
    let info = carveout.info();
    // SAFETY: `mmap` just returned `addr`: `len` bytes that nothing else owns, readable, and
    // writable with `Access::ReadWrite`, with the region's memory type (the driver maps every
    // window with it), at byte `offset` of the carveout at `info.phys_base`.
    Ok(unsafe {
        Mapping::new(
            addr,
            len,
            offset,
            info.memory_type,
            access,
            path.to_path_buf(),
            Some(info.phys_base),
        )
    })
}

/// A shared, read-only mapping of a window of a carveout ([`Carveout::map`]), unmapped on drop.
///
/// It has no write methods: a [`MappingMut`] ([`Carveout::map_mut`]) has them, and derefs to a
/// `Mapping` for everything else, so that each read method is written once and code that only
/// reads takes a `&Mapping` of either kind. Writing through a read-only mapping is a compile
/// error, not a run-time one (see "Read-only" below).
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
/// only volatile accesses touch, so the scalar accessors ([`Mapping::read_u32`],
/// [`MappingMut::write_u32`] and the others) are sound whatever those agents do: a naturally
/// aligned `u8`, `u16` or `u32` is one access, which reads the old or the new value, never a mix;
/// a `u64` is one on a 64-bit CPU and may be two halves on a 32-bit one; an unaligned value
/// (write-combine and cached memory only) is accessed byte by byte and may mix. Volatile accesses
/// are not atomic operations: they order nothing, so a protocol that hands data over through a
/// flag needs barriers of its own.
///
/// [`Mapping::read_into`] and [`MappingMut::write_from`] on write-combine and cached memory are
/// the exception: they copy with `memcpy`, for speed, and a `memcpy` is not volatile. Rust treats
/// the bytes it copies as ordinary memory, so another agent writing them during the copy (or
/// reading them during [`MappingMut::write_from`]) is a data race, undefined behaviour in Rust's
/// memory model. In practice the copy holds a mix of old and new bytes, as in every C program
/// that `memcpy`s to or from a shared mapping and in the kernel's `memcpy_fromio` and
/// `memcpy_toio` on 32-bit Arm (`mmiocpy`, which is `memcpy`). Copy only a range that nothing
/// else touches meanwhile (a buffer handed over by a protocol), or use the scalar accessors.
///
/// A mapping holds no file descriptor: it outlives the [`Carveout`] it came from, as with
/// `mmap(2)`. Once the device is unbound, touching it raises `SIGBUS`.
///
/// # Read-only
///
/// The file's access is a run-time fact (the kernel refuses [`Carveout::map_mut`] on a file
/// opened [`Access::ReadOnly`] with `EACCES`); what a mapping allows is the type's. A `Mapping`
/// has no `write_u8` .. `write_u64`, no `write_from` and no `as_mut_slice`:
///
/// ```compile_fail,E0599
/// # fn f(map: &carveout::Mapping) -> carveout::Result<()> {
/// map.write_u8(0, 1)?;
/// # Ok(())
/// # }
/// ```
///
/// ```compile_fail,E0599
/// # fn f(map: &carveout::Mapping) -> carveout::Result<()> {
/// map.write_from(0, b"x")?;
/// # Ok(())
/// # }
/// ```
///
/// ```compile_fail,E0599
/// # fn f(mut map: carveout::Mapping) -> carveout::Result<()> {
/// // SAFETY: Never reached: this does not compile.
/// unsafe { map.as_mut_slice() }?.fill(0);
/// # Ok(())
/// # }
/// ```
///
/// The same lines compile on a [`MappingMut`], so the three examples above fail for the type
/// alone (stable rustdoc does not check the error code):
///
/// ```
/// # fn f(mut map: carveout::MappingMut) -> carveout::Result<()> {
/// map.write_u8(0, 1)?;
/// map.write_from(0, b"x")?;
/// // SAFETY: Never run: this example is only compiled.
/// unsafe { map.as_mut_slice() }?.fill(0);
/// # Ok(())
/// # }
/// ```
///
/// # Invariants
///
/// `ptr..ptr + len` is a mapping this value owns and unmaps on drop, page-aligned, readable,
/// writable if `access` is [`Access::ReadWrite`] (always so in a [`MappingMut`]), with memory
/// type `memory_type`. If `phys_base` is `Some`, it maps byte `offset` onwards of the carveout at
/// that physical base.
///
/// # Examples
///
/// ```no_run
/// use carveout::{Carveout, SyncDirection};
///
/// let dev = Carveout::open("carveout-dsp")?;
/// let map = dev.map(0, carveout::page_size())?;
/// // The DSP wrote a reply: drop stale cache lines, then read it.
/// map.sync(&dev, 0, 4, SyncDirection::ForCpu)?;
/// let reply = map.read_u32(0)?;
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

// SAFETY: Through `&Mapping` a thread gets volatile loads, `memcpy` copies and `unsafe` slice
// views; through `&MappingMut`, which derefs to it, volatile stores and `memcpy` copies into it
// too. None of them assumes that the thread is alone with the bytes: the region is shared with
// agents no Rust type can exclude (the device, other processes, and other mappings of it, which
// safe code can make and send to other threads), so each is written for bytes that change under
// it ("Concurrent access" in the type's documentation). Another thread using the same mapping is
// one more such agent and adds no case: a volatile access meets it as it meets the device, a
// `memcpy` as it meets a second mapping (the trade-off `read_into` and `write_from` document),
// and the slice views' contract already excludes every other writer, `self` included.
// Unmapping (drop, `remap`, `into_raw_parts`) takes the mapping by value, so no other thread can
// be using it then.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// A mapping of `path`.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must satisfy the type invariants with these arguments, and nothing else
    /// may unmap it.
    unsafe fn new(
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

    /// Takes ownership of a mapping this process made itself, to read it as a carveout's: of
    /// another file (`/dev/mem`, a UIO device) or of anonymous memory.
    /// [`MappingMut::from_raw_parts`] takes one to write it too.
    ///
    /// The mapping is unmapped on drop; [`Mapping::offset`] is 0, [`Mapping::access`] is
    /// [`Access::ReadOnly`] and [`Mapping::sync`] refuses it. `path` names it in errors.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must be a page-aligned, readable mapping of this process whose memory
    /// type allows every access that `memory_type` allows; nothing else may unmap it or use it
    /// as Rust memory.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Carveout, Mapping};
    ///
    /// let dev = Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096)?;
    /// let memory_type = map.memory_type();
    /// let (ptr, len) = map.into_raw_parts();
    /// // SAFETY: The parts of a mapping that nothing else owns, given back whole.
    /// let map = unsafe { Mapping::from_raw_parts(ptr, len, memory_type, dev.path()) };
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub unsafe fn from_raw_parts(
        ptr: NonNull<u8>,
        len: usize,
        memory_type: MemoryType,
        path: impl Into<PathBuf>,
    ) -> Mapping {
        // SAFETY: The caller guarantees the invariants for a read-only mapping; `phys_base` is
        // `None`.
        unsafe {
            Mapping::new(
                ptr,
                len,
                0,
                memory_type,
                Access::ReadOnly,
                path.into(),
                None,
            )
        }
    }

    /// Gives up ownership of the mapping without unmapping it: its address and length, for
    /// `munmap(2)` or [`Mapping::from_raw_parts`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Carveout, Mapping};
    ///
    /// let dev = Carveout::open("carveout-fb")?;
    /// let map = dev.map(0, 4096)?;
    /// let memory_type = map.memory_type();
    /// let (ptr, len) = map.into_raw_parts();
    /// // SAFETY: The parts of a mapping that nothing else owns, given back whole.
    /// let map = unsafe { Mapping::from_raw_parts(ptr, len, memory_type, dev.path()) };
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
    /// let map = dev.map(0, carveout::page_size())?;
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
    /// let map = dev.map(0, 8192)?;
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
    /// assert!(!dev.map(0, 4096)?.is_empty());
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
    /// let map = dev.map(0x10000, 4096)?;
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
    /// let map = dev.map(0, 4096)?;
    /// assert_eq!(map.memory_type(), dev.memory_type());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn memory_type(&self) -> MemoryType {
        self.memory_type
    }

    /// How the mapping was made: [`Access::ReadOnly`] for a `Mapping`, [`Access::ReadWrite`] for
    /// the one a [`MappingMut`] derefs to. The type says it first: only a `MappingMut` has write
    /// methods.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::Access;
    ///
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(dev.map(0, 4096)?.access(), Access::ReadOnly);
    /// assert_eq!(dev.map_mut(0, 4096)?.access(), Access::ReadWrite);
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
    /// let map = dev.map(0, 4096)?;
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
    /// let map = dev.map(0, 4096)?;
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
    /// let map = dev.map(0, 4096)?;
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
    /// let map = dev.map(0, 4096)?;
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
    /// let map = dev.map(0, 4096)?;
    /// let stamp = map.read_u64(8)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_u64(&self, offset: usize) -> Result<u64> {
        self.read(offset)
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
    /// let map = dev.map(0, 4096)?;
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
    /// let map = dev.map(0, 4096)?;
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
    /// use carveout::{Carveout, SyncDirection};
    ///
    /// let dev = Carveout::open("carveout-dsp")?;
    /// let window = dev.map_mut(0x10000, 0x1000)?;
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
    /// let map = dev.map(0, 2 * page)?;
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

/// A shared, read-write mapping of a window of a carveout ([`Carveout::map_mut`]), unmapped on
/// drop.
///
/// It derefs to [`Mapping`], which reads ([`Mapping::read_u32`], [`Mapping::read_into`], ...),
/// syncs ([`Mapping::sync`]) and tells what it maps; it adds the writes:
/// [`MappingMut::write_u8`] .. [`MappingMut::write_u64`], [`MappingMut::write_from`] and the
/// `unsafe` [`MappingMut::as_mut_slice`]. Everything [`Mapping`] says about concurrent access,
/// alignment and unbind holds for them. It is not `DerefMut`: a `&mut Mapping` could be swapped
/// for a read-only one.
///
/// # Invariants
///
/// The mapping is writable: its [`Mapping::access`] is [`Access::ReadWrite`].
///
/// # Examples
///
/// ```no_run
/// use carveout::{Carveout, SyncDirection};
///
/// let dev = Carveout::open("carveout-dsp")?;
/// let map = dev.map_mut(0, carveout::page_size())?;
/// map.write_u32(0, 0xcafe_f00d)?;
/// map.sync(&dev, 0, 4, SyncDirection::ForDevice)?;
/// assert_eq!(map.read_u32(0)?, 0xcafe_f00d);
/// # Ok::<(), carveout::Error>(())
/// ```
#[derive(Debug)]
pub struct MappingMut(Mapping);

impl Deref for MappingMut {
    type Target = Mapping;

    fn deref(&self) -> &Mapping {
        &self.0
    }
}

impl MappingMut {
    /// Takes ownership of a read-write mapping this process made itself, to access it as a
    /// carveout's: of another file (`/dev/mem`, a UIO device) or of anonymous memory.
    ///
    /// The mapping is unmapped on drop; [`Mapping::offset`] is 0 and [`Mapping::sync`] refuses
    /// it. `path` names it in errors.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must be a page-aligned mapping of this process, readable and writable,
    /// whose memory type allows every access that `memory_type` allows; nothing else may unmap
    /// it or use it as Rust memory.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::ffi::{c_int, c_void};
    /// use std::os::fd::AsRawFd;
    /// use std::ptr::NonNull;
    ///
    /// use carveout::{MappingMut, MemoryType};
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
    /// let map = unsafe { MappingMut::from_raw_parts(ptr, len, MemoryType::Device, "/dev/mem") };
    /// map.write_u32(0, 1)?;
    /// println!("{:#x}", map.read_u32(0)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub unsafe fn from_raw_parts(
        ptr: NonNull<u8>,
        len: usize,
        memory_type: MemoryType,
        path: impl Into<PathBuf>,
    ) -> MappingMut {
        // SAFETY: The caller guarantees the invariants, writable included; `phys_base` is `None`.
        let map = unsafe {
            Mapping::new(
                ptr,
                len,
                0,
                memory_type,
                Access::ReadWrite,
                path.into(),
                None,
            )
        };
        // INVARIANT: `access` is `ReadWrite`, and the caller guarantees that it is so.
        MappingMut(map)
    }

    /// Gives up ownership of the mapping without unmapping it: its address and length, for
    /// `munmap(2)` or [`MappingMut::from_raw_parts`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Carveout, MappingMut};
    ///
    /// let dev = Carveout::open("carveout-fb")?;
    /// let map = dev.map_mut(0, 4096)?;
    /// let memory_type = map.memory_type();
    /// let (ptr, len) = map.into_raw_parts();
    /// // SAFETY: The parts of a read-write mapping that nothing else owns, given back whole.
    /// let map = unsafe { MappingMut::from_raw_parts(ptr, len, memory_type, dev.path()) };
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn into_raw_parts(self) -> (NonNull<u8>, usize) {
        self.0.into_raw_parts()
    }

    /// A volatile store of `value` at byte `offset`.
    fn write<T: Scalar>(&self, offset: usize, value: T) -> Result<()> {
        let aligned = self.0.check_scalar::<T>(offset, "write")?;
        // SAFETY: As in `read`.
        let at = unsafe { self.0.ptr.as_ptr().add(offset) };
        if aligned {
            // SAFETY: As in `read`, and the mapping is writable (type invariants). No Rust
            // reference points into the mapping, so the store changes nothing Rust assumes.
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

    /// Writes the byte `value` at byte `offset`.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] outside the mapping.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map_mut(0, 4096)?;
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
    /// As [`MappingMut::write_u8`], and [`io::ErrorKind::InvalidInput`] at an odd offset of
    /// [`MemoryType::Device`] memory.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map_mut(0, 4096)?;
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
    /// As [`MappingMut::write_u8`], and [`io::ErrorKind::InvalidInput`] at an offset of
    /// [`MemoryType::Device`] memory that is not a multiple of 4.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let map = dev.map_mut(0, 4096)?;
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
    /// As [`MappingMut::write_u8`], and [`io::ErrorKind::InvalidInput`] at an offset of
    /// [`MemoryType::Device`] memory that is not a multiple of 8.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map_mut(0, 4096)?;
    /// map.write_u64(8, u64::MAX)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_u64(&self, offset: usize, value: u64) -> Result<()> {
        self.write(offset, value)
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
    /// [`io::ErrorKind::InvalidInput`] when the range is not inside the mapping.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let map = dev.map_mut(0, 4096)?;
    /// map.write_from(0x10, b"frame 1")?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_from(&self, offset: usize, buf: &[u8]) -> Result<()> {
        let operation = || format!("write {:#x} bytes at offset {offset:#x}", buf.len());
        self.0.check_range(offset, buf.len(), operation)?;
        // SAFETY: The range is inside the mapping (checked).
        let dst = unsafe { self.0.ptr.as_ptr().add(offset) };
        if self.0.memory_type.allows_unaligned() {
            // SAFETY: As in `read_into` (a read or write of the range by another agent during
            // the copy would race with it, as documented), and the mapping is writable (type
            // invariants).
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

    /// The mapping as a mutable byte slice.
    ///
    /// # Errors
    ///
    /// As [`Mapping::as_slice`].
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
    /// let mut map = dev.map_mut(0, 4096)?;
    /// // SAFETY: The display engine is off; nothing else touches the frame buffer.
    /// let bytes = unsafe { map.as_mut_slice() }?;
    /// bytes.fill(0);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub unsafe fn as_mut_slice(&mut self) -> Result<&mut [u8]> {
        self.0.check_slice("mutable slice view")?;
        // SAFETY: As in `as_slice`, writable (type invariants), borrowed mutably through
        // `&mut self` (no `&Mapping` of it lives meanwhile), and the caller guarantees that
        // nothing else accesses the bytes.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.0.ptr.as_ptr(), self.0.len) })
    }

    /// Resizes the mapping with `mremap(2)`, as [`Mapping::remap`] does; it stays writable.
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
    /// let map = dev.map_mut(0, 2 * page)?;
    /// let map = map.remap(page).map_err(|(_, e)| e)?;
    /// map.write_u32(0, 1)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn remap(self, new_len: usize) -> std::result::Result<MappingMut, (MappingMut, Error)> {
        // INVARIANT: `mremap` keeps the protection: the moved mapping is as writable.
        self.0
            .remap(new_len)
            .map(MappingMut)
            .map_err(|(map, e)| (MappingMut(map), e))
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
    fn anonymous(len: usize, memory_type: MemoryType) -> MappingMut {
        let ptr = crate::sys::tests::map_anonymous(len);
        // SAFETY: A fresh private read-write mapping of this test alone; RAM allows every
        // access.
        unsafe { MappingMut::from_raw_parts(ptr, len, memory_type, "(anonymous)") }
    }

    #[test]
    fn values_round_trip_aligned_and_not() {
        let map = anonymous(page_size(), MemoryType::Cached);
        assert_eq!(map.access(), Access::ReadWrite);
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
        let map = anonymous(len, MemoryType::WriteCombine);
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
        let mut map = anonymous(page_size(), MemoryType::Device);
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
        let map = anonymous(page_size(), MemoryType::Device);
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

    /// A read-only mapping reads, slices and says what it is; that it cannot be written is
    /// checked where it is decided, by the compiler (the `compile_fail` examples on `Mapping`).
    #[test]
    fn read_only_mappings_read_and_say_so() {
        let len = page_size();
        let writer = anonymous(len, MemoryType::Cached);
        writer.write_u32(4, 0x0bad_f00d).unwrap();
        let (ptr, len) = writer.into_raw_parts();
        // SAFETY: The parts of the mapping above, handed to one owner; RAM allows every access.
        let map = unsafe { Mapping::from_raw_parts(ptr, len, MemoryType::Cached, "(anonymous)") };
        assert_eq!(map.access(), Access::ReadOnly);
        assert_eq!(map.read_u32(4).unwrap(), 0x0bad_f00d);
        // SAFETY: Nothing writes this private memory.
        assert_eq!(unsafe { map.as_slice() }.unwrap().len(), page_size());
        let map = map.remap(len).map_err(|(_, e)| e).unwrap();
        assert_eq!(map.access(), Access::ReadOnly);
    }

    #[test]
    fn slices_see_volatile_stores() {
        let mut map = anonymous(page_size(), MemoryType::WriteCombine);
        map.write_from(0, b"abc").unwrap();
        // SAFETY: Nothing else accesses this private memory while the slice lives.
        let bytes = unsafe { map.as_mut_slice() }.unwrap();
        assert_eq!(&bytes[..3], b"abc");
        bytes[3] = b'd';
        assert_eq!(map.read_u8(3).unwrap(), b'd');
    }

    #[test]
    fn threads_share_one_mapping() {
        let map = anonymous(page_size(), MemoryType::Cached);
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
        let map = anonymous(2 * page, MemoryType::Cached);
        map.write_u32(0, 0xfeed).unwrap();
        let map = map.remap(page).map_err(|(_, e)| e).unwrap();
        assert_eq!(map.len(), page);
        assert_eq!(map.read_u32(0).unwrap(), 0xfeed);
        assert!(map.read_u32(page).is_err());
        map.write_u32(0, 0xbeef).unwrap();
        assert_eq!(map.access(), Access::ReadWrite);
    }
}
