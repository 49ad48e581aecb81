// SPDX-License-Identifier: GPL-2.0

//! One carveout device: its validated, claimed region, its kernel mapping, its name, and the
//! revocation of all of it when the device is unbound.

use core::ffi::CStr;
use kernel::{
    device::Device,
    new_mutex,
    prelude::*,
    revocable::Revocable,
    str::CString,
    sync::{
        aref::ARef,
        Arc,
        Mutex, //
    },
};

use crate::{
    cache_plan::SyncDirection,
    config::Config,
    doorbell::{
        self,
        Doorbell,
        NewListener, //
    },
    misc::MappingSpace,
    new_file::NewFile,
    phys::{
        ClaimedRegion,
        DescribedVma,
        ExportedWindow,
        KernelMapping,
        MapError,
        MemoryType,
        MmapDesc,
        StackBuffer,
        UserFault,
        VmFault, //
    },
    probe_error::ProbeError,
    region::{
        ExportRangeError,
        IoSpan,
        Region, //
    },
    task::{
        cond_resched,
        fatal_signal_pending, //
    },
    uapi,
    user_copy::{
        UserDest,
        UserSource, //
    },
};

/// Bytes of a cache sync done under one hold of the kernel mapping's guard (an RCU read-side
/// critical section, where preemption may be off), between chances to reschedule.
const SYNC_CHUNK: usize = 64 << 10;

/// Bytes of a `read` or `write` copied under one hold of the kernel mapping's guard (an RCU
/// read-side critical section), between chances to reschedule.
const COPY_CHUNK: usize = 64 << 10;

/// Bytes of a `read` or `write` copied through a buffer on the stack, with page faults allowed,
/// where a copy under the guard stopped short (see [`Carveout::read`]).
const PIECE: usize = 256;

/// A probed carveout. Open files hold it in an [`Arc`](kernel::sync::Arc); unbinding revokes
/// it ([`Carveout::revoke`]) while files may still be open.
///
/// Lock order: a process's `mmap_lock`, then `claim`. [`Carveout::revoke`] takes `claim` alone,
/// and no process's `mmap_lock`.
///
/// What runs against [`Carveout::revoke`], and why it is safe:
/// - `read`, `write` and the sync `ioctl` use the kernel mapping only through its [`Revocable`]
///   guard, an RCU read-side critical section: no lock, and nothing there sleeps. The copies to
///   and from user space in it take no page fault (a fault may sleep, and a user buffer backed by
///   a slow file would then hold off unbind); a page not present ends the copy short, and a small
///   piece is copied through a buffer with faults allowed outside the guard, which faults the
///   page in for the next copy under the guard. Revoke revokes the mapping, which waits for an
///   RCU grace period, so no copy is running when the mapping is unmapped; later ones find it
///   gone: `ENODEV`.
/// - `mmap` checks and describes the mapping first (`mmap_prepare`: [`Carveout::describe_user`]),
///   and maps pages only once the kernel has linked the VMA into the file's address space
///   (`vm_ops->mapped`: [`Carveout::map_user`]), under `claim` and only while the claim is there.
///   Revoke takes the claim, then zaps the address space: a `mapped` that ran before it mapped
///   into a VMA the zap reaches; one that runs after maps nothing and fails, and the kernel
///   unmaps its VMA. So revoke waits for no `mmap` but one inside `mapped`, which holds `claim`
///   only while it maps the pages; it never takes a process's `mmap_lock`, and so never waits
///   behind whoever holds one (a reader of `/proc/PID/mem` stuck in a fault, a writer queued
///   behind it).
/// - Faults (a block on its first touch, or a page the kernel left to be faulted again: see
///   `phys/user_mapping.rs`) insert entries under `claim` and only while the claim is there
///   ([`Carveout::fault_user`]), as `mapped` does: one that ran before revoke took the claim
///   inserted into a VMA the zap reaches; one after finds no claim and raises `SIGBUS`. A fault
///   holds its VMA's lock or the process's `mmap_lock` for reading: the lock order above.
/// - Forks and `mremap` move or copy VMAs within the mapping space's `i_mmap` tree, which the
///   zap walks under its own lock; touching a zapped VMA faults, and the fault raises `SIGBUS`
///   instead of mapping the pages again.
///
/// Exported dma-bufs hold the kernel mapping and the claim too ([`ExportedWindow`]): revoke lets
/// go of this device's references, and the last holder unmaps and releases them. The doorbell's
/// listeners hold the doorbell, which the driver data's
/// [`DoorbellIrq`](crate::doorbell::DoorbellIrq) revokes when it goes.
#[pin_data]
pub(crate) struct Carveout {
    region: Region,
    memory_type: MemoryType,
    dma_buf_export: bool,
    /// The doorbell, if the node names an interrupt.
    doorbell: Option<Arc<Doorbell>>,
    // Fields drop in order: the kernel mapping goes before the claim on the range.
    #[pin]
    mapping: Revocable<Arc<KernelMapping>>,
    /// The claim on the range: `None` once the device is unbound, and every later call on its
    /// files fails with `ENODEV`. Never replaced: a mapping is mapped with the memory type of
    /// the same region that described it.
    #[pin]
    claim: Mutex<Option<Arc<ClaimedRegion>>>,
    space: MappingSpace,
    name: CString,
    dev: ARef<Device>,
}

impl Carveout {
    /// Validates and claims the region `config` (read from `dev`'s node) names, and maps it
    /// into the kernel; `doorbell` is the node's interrupt, if it names one. Every refusal is
    /// logged once, here, naming the value and the rule it breaks. Nothing is written to the
    /// region.
    pub(crate) fn probe(
        dev: &Device,
        config: Config,
        doorbell: Option<Arc<Doorbell>>,
    ) -> Result<impl PinInit<Self, Error>> {
        let claimed = ClaimedRegion::claim(&config.region, config.memory_type, &config.name)
            .map_err(|e| ProbeError::Claim(e, config.region.clone()).report(dev))?;
        let mapping = claimed.map_kernel().map_err(|e| {
            ProbeError::MapKernel(e, config.region.clone(), config.memory_type).report(dev)
        })?;
        let space = MappingSpace::new().map_err(|e| ProbeError::MappingSpace(e).report(dev))?;
        let region = *claimed.region();
        let memory_type = claimed.memory_type();
        // Built in this order, each failure drops what came before in the right order: the
        // mapping, then the claim.
        let claimed = Arc::new(claimed, GFP_KERNEL)?;
        let mapping = Arc::new(mapping, GFP_KERNEL)?;
        let dev = ARef::from(dev);
        Ok(try_pin_init!(Self {
            region,
            memory_type,
            dma_buf_export: config.dma_buf_export,
            doorbell,
            mapping <- Revocable::new(mapping),
            claim <- new_mutex!(Some(claimed)),
            space,
            name: config.name,
            dev,
        }))
    }

    /// The device, for messages.
    pub(crate) fn dev(&self) -> &Device {
        &self.dev
    }

    /// The device name (`/dev/<name>`).
    pub(crate) fn misc_name(&self) -> &CStr {
        &self.name
    }

    /// The address space every open file of the device maps through, which [`Carveout::revoke`]
    /// zaps.
    pub(crate) fn mapping_space(&self) -> &MappingSpace {
        &self.space
    }

    /// The device name, as text.
    pub(crate) fn name(&self) -> &str {
        self.name.to_str().unwrap_or("?")
    }

    /// The physical base address of the region.
    pub(crate) fn phys_base(&self) -> u64 {
        self.region.base()
    }

    /// The size of the region in bytes. A `usize`, as the kernel holds it: formatting it in
    /// decimal (the `size` attribute) divides a word, where a `u64` would need a 64-bit division,
    /// which the kernel refuses Rust on 32-bit ARM (its `__aeabi_uldivmod` panics).
    pub(crate) fn size(&self) -> usize {
        self.region.size()
    }

    /// The memory type of every mapping of the region.
    pub(crate) fn memory_type(&self) -> MemoryType {
        self.memory_type
    }

    /// Logs what probe made.
    pub(crate) fn log_probed(&self) {
        match &self.doorbell {
            None => dev_info!(
                self.dev,
                "/dev/{}: {:#x} bytes at {:#x}, {}\n",
                self.name(),
                self.region.size(),
                self.region.base(),
                self.memory_type.name()
            ),
            Some(doorbell) => dev_info!(
                self.dev,
                "/dev/{}: {:#x} bytes at {:#x}, {}, doorbell on interrupt {} ({})\n",
                self.name(),
                self.region.size(),
                self.region.base(),
                self.memory_type.name(),
                doorbell.irq(),
                doorbell.trigger().name()
            ),
        }
    }

    /// Opens a listener of the doorbell (`CARVEOUT_IOC_DOORBELL`), which may mask and unmask
    /// the line if `open_writable`; `EOPNOTSUPP` for a region without one.
    pub(crate) fn open_doorbell(
        &self,
        request: &uapi::DoorbellRequest,
        open_writable: bool,
    ) -> Result<NewListener> {
        self.check_live()?;
        let Some(doorbell) = &self.doorbell else {
            dev_dbg!(
                self.dev,
                "doorbell refused: the device-tree node has no interrupt\n"
            );
            return Err(EOPNOTSUPP);
        };
        if request.flags != 0 {
            dev_dbg!(self.dev, "doorbell refused: flags {:#x}\n", request.flags);
            return Err(EINVAL);
        }
        doorbell::listen(doorbell, open_writable)
    }

    /// Runs `f` on the claim on the range, with `claim` locked; `ENODEV` once unbound.
    fn with_live<R>(&self, f: impl FnOnce(&Arc<ClaimedRegion>) -> Result<R>) -> Result<R> {
        let claim = self.claim.lock();
        f(claim.as_ref().ok_or(ENODEV)?)
    }

    /// `ENODEV` once the device is unbound (its kernel mapping is revoked by then). Every call
    /// on an open file checks this before anything else, so that every call after unbind fails
    /// so, whatever its arguments.
    pub(crate) fn check_live(&self) -> Result {
        self.with_mapping(|_| Ok(()))
    }

    /// Runs `f` on the kernel mapping inside its guard, where `f` must not sleep; `ENODEV` once
    /// unbound.
    fn with_mapping<R>(&self, f: impl FnOnce(&KernelMapping) -> Result<R>) -> Result<R> {
        self.mapping
            .try_access_with(|mapping| f(mapping))
            .ok_or(ENODEV)?
    }

    /// The `CARVEOUT_IOC_INFO` answer; `ENODEV` once unbound.
    pub(crate) fn info(&self) -> Result<uapi::Info> {
        self.with_live(|_| Ok(()))?;
        Ok(uapi::Info::new(
            self.region.base(),
            // Lossless: `usize` is at most 64 bits on every architecture Linux supports.
            self.size() as u64,
            self.memory_type.as_uapi(),
            self.name.to_bytes(),
        ))
    }

    /// The end of the file for `lseek`: the region's size; `ENODEV` once unbound.
    pub(crate) fn seek_end(&self) -> Result<i64> {
        self.with_live(|_| Ok(()))?;
        // `Region` keeps `base + size` within a `u64`; a size beyond `i64` cannot be a position.
        i64::try_from(self.size()).map_err(|_| EOVERFLOW)
    }

    /// `CARVEOUT_IOC_SYNC`: makes a range coherent for a device or for the CPU (a cached
    /// region's cache maintenance, which loses no byte: [`crate::cache_plan`]; for the other
    /// types, which no CPU cache holds, a write barrier for the device). `EINVAL` for unknown or
    /// missing flags, a non-zero `reserved` or a range that does not lie inside the region;
    /// `ENODEV` once unbound. Any opener may sync, a read-only one too: a sync changes no value
    /// that any CPU or device reads, so it gives no power over the contents.
    pub(crate) fn sync(&self, request: &uapi::SyncRequest) -> Result {
        self.check_live()?;
        let direction = match request.flags {
            uapi::SYNC_FOR_DEVICE => SyncDirection::ForDevice,
            uapi::SYNC_FOR_CPU => SyncDirection::ForCpu,
            flags if flags == uapi::SYNC_FOR_DEVICE | uapi::SYNC_FOR_CPU => {
                SyncDirection::Bidirectional
            }
            flags => {
                dev_dbg!(self.dev, "sync refused: flags {flags:#x}\n");
                return Err(EINVAL);
            }
        };
        if request.reserved != 0 {
            dev_dbg!(
                self.dev,
                "sync refused: reserved {:#x} is not 0\n",
                request.reserved
            );
            return Err(EINVAL);
        }
        let Some((offset, len)) = self.region.sync_range(request.offset, request.length) else {
            dev_dbg!(
                self.dev,
                "sync refused: {:#x} bytes at {:#x} leave the region ({:#x} bytes)\n",
                request.length,
                request.offset,
                self.size()
            );
            return Err(EINVAL);
        };
        // In chunks, each inside the kernel mapping's guard (so that revoke cannot unmap it
        // during one), rescheduling between them and stopping for a signal: a sync of a large
        // region neither hogs the CPU nor holds off unbind. Restarting it is harmless.
        let mut done = 0;
        loop {
            let chunk = (len - done).min(SYNC_CHUNK);
            self.with_mapping(|mapping| mapping.sync(offset + done, chunk, direction))?;
            done += chunk;
            if done == len {
                return Ok(());
            }
            cond_resched();
            if current!().signal_pending() {
                return Err(ERESTARTSYS);
            }
        }
    }

    /// `CARVEOUT_IOC_EXPORT`: exports `request.length` bytes at `request.offset` as a dma-buf,
    /// writable if `request.flags` asks and the file is open for writing (`open_writable`).
    /// `EOPNOTSUPP` unless the device tree allows export; `EINVAL` for unknown flags or a range
    /// that is not whole pages inside the region (or 4 GiB or more); `EACCES` for a writable
    /// dma-buf from a file not open for writing; `ENODEV` once unbound. The dma-buf holds the
    /// claim and the kernel mapping ([`ExportedWindow`]).
    pub(crate) fn export(
        &self,
        request: &uapi::ExportRequest,
        open_writable: bool,
    ) -> Result<NewFile> {
        self.check_live()?;
        if !self.dma_buf_export {
            dev_dbg!(
                self.dev,
                "export refused: the device-tree node has no linux,dma-buf-export\n"
            );
            return Err(EOPNOTSUPP);
        }
        let writable = match request.flags {
            0 => false,
            uapi::EXPORT_WRITE => true,
            flags => {
                dev_dbg!(self.dev, "export refused: flags {flags:#x}\n");
                return Err(EINVAL);
            }
        };
        if writable && !open_writable {
            dev_dbg!(
                self.dev,
                "export refused: a writable dma-buf from a file not open for writing\n"
            );
            return Err(EACCES);
        }
        let (offset, len) = self
            .region
            .export_range(request.offset, request.length)
            .map_err(|err| {
                let why = match err {
                    ExportRangeError::Unaligned => "not whole pages",
                    ExportRangeError::Empty => "empty",
                    ExportRangeError::OutOfRange => "outside the region",
                    ExportRangeError::TooLarge => "4 GiB or more",
                };
                dev_dbg!(
                    self.dev,
                    "export refused: {:#x} bytes at {:#x}: {why} (region: {:#x} bytes)\n",
                    request.length,
                    request.offset,
                    self.size()
                );
                EINVAL
            })?;
        // Under `claim`, as revoke takes it first: while the claim is there, so is the mapping.
        let window = self.with_live(|claim| {
            let mapping = self
                .mapping
                .try_access_with(|mapping| mapping.clone())
                .ok_or(ENODEV)?;
            ExportedWindow::new(
                mapping,
                claim.clone(),
                offset,
                len,
                writable,
                self.dev.clone(),
            )
        })?;
        window.export().inspect_err(|e| {
            dev_dbg!(
                self.dev,
                "export of {len:#x} bytes at {offset:#x} failed: {e:?}\n"
            )
        })
    }

    /// `mmap`, before the VMA exists: shared mappings only, never executable, inside the
    /// region, and `ENODEV` once unbound. Describes the mapping; maps no page.
    pub(crate) fn describe_user(&self, desc: &mut MmapDesc<'_>) -> Result {
        self.with_live(|live| {
            live.describe_user(desc)
                .map_err(|err| self.map_error(err, desc.len()))
        })
    }

    /// `mmap`, once the kernel has linked `vma`, which [`Carveout::describe_user`] described,
    /// into the process and the file's address space: maps the region's window at its page
    /// offset into it, while the claim is there (see the lock order on [`Carveout`]); `ENODEV`
    /// once unbound, and the kernel unmaps the VMA.
    pub(crate) fn map_user(&self, vma: DescribedVma<'_>) -> Result {
        let len = vma.len();
        self.with_live(|live| live.map_user(vma).map_err(|err| self.map_error(err, len)))
    }

    /// A fault on a user mapping of the device (a block not mapped yet, or a page the kernel
    /// left to be faulted again): inserts the entry while the claim is there, under `claim` (see
    /// the lock order on [`Carveout`]); `SIGBUS` once unbound.
    ///
    /// # Safety
    ///
    /// `fault` must be on a VMA that [`Carveout::describe_user`] of this carveout described.
    pub(crate) unsafe fn fault_user(&self, fault: UserFault<'_>, order: u32) -> VmFault {
        // SAFETY: The claim is this carveout's, whose `describe_user` described the fault's VMA
        // through it (the caller's contract).
        self.with_live(|live| Ok(unsafe { live.fault_user(fault, order) }))
            .unwrap_or(VmFault::SIGBUS)
    }

    /// The page offset a user mapping at page offset `pgoff` is aligned on (see
    /// [`crate::phys::block_unmapped_area`]): the physical page frame number of its window.
    /// Takes no lock: the region never changes.
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    pub(crate) fn block_pgoff(&self, pgoff: usize) -> Option<usize> {
        crate::phys::block_pgoff(&self.region, pgoff)
    }

    /// The errno of a refused or failed user mapping of `len` bytes, logged.
    fn map_error(&self, err: MapError, len: usize) -> Error {
        match err {
            MapError::Private => {
                dev_dbg!(
                    self.dev,
                    "mmap refused: MAP_PRIVATE (copy-on-write of PFN memory)\n"
                );
                EINVAL
            }
            MapError::Executable => {
                dev_dbg!(self.dev, "mmap refused: PROT_EXEC (or READ_IMPLIES_EXEC)\n");
                EPERM
            }
            MapError::DescribedTwice => {
                dev_err!(self.dev, "mmap of {len} bytes described twice\n");
                EINVAL
            }
            MapError::Window(why) => {
                dev_dbg!(
                    self.dev,
                    "mmap refused: {len} bytes do not fit in the region at that offset ({why:?})\n"
                );
                EINVAL
            }
            MapError::Kernel(e) => {
                dev_err!(self.dev, "remap_pfn_range of {len} bytes failed: {e:?}\n");
                e
            }
        }
    }

    /// Revokes the carveout when its device is unbound, so that nothing reaches the region
    /// through this driver any more and no cache holds a line of it. In this order, each step
    /// relying on the ones before:
    ///
    /// 1. The claim is taken away: a new mapping fails with `ENODEV` (see the lock order on
    ///    [`Carveout`] for one in progress).
    /// 2. Every user mapping, in every process, is zapped: touching one raises `SIGBUS`, and no
    ///    process stores to the region any more (the zap flushes the TLBs).
    /// 3. The kernel mapping is revoked: later `read`, `write` and `ioctl` calls fail with
    ///    `ENODEV`, and this waits for an RCU grace period, so no copy or sync through it is
    ///    running; then it is dropped, which for a cached region cleans and invalidates every line
    ///    through it (no CPU stores there any more, after 2 and 3: what any CPU stored is written
    ///    back, and no dirty line is left to be evicted over a later user's data), then unmaps
    ///    it.
    /// 4. The range is released, so that a rebind can claim it again.
    ///
    /// Steps 3 and 4 wait for the last exported dma-buf, which holds the mapping and the claim
    /// ([`ExportedWindow`]): its release does them, in the same order.
    ///
    /// Nothing here takes a process's `mmap_lock` or waits for anything userspace controls. The
    /// region's contents are left as they are (written back, for the cached type).
    pub(crate) fn revoke(&self) {
        let claim = self.claim.lock().take();
        self.space.revoke();
        self.mapping.revoke();
        drop(claim);
        dev_dbg!(self.dev, "/dev/{}: revoked\n", self.name());
    }

    /// Copies from the region at `*pos` into `dest` through the kernel mapping and advances
    /// `*pos`. Returns 0 at or past the end of the region.
    ///
    /// One copy, under the kernel mapping's guard and without page faults; where a page of
    /// `dest` is not present (or not writable), one piece through a buffer with faults allowed,
    /// outside the guard: that faults the page in for the next copy under the guard, or finds
    /// `dest` bad there (a short count, or `EFAULT` for none).
    pub(crate) fn read(&self, pos: &mut i64, dest: &mut impl UserDest) -> Result<usize> {
        self.check_live()?;
        let (offset, len) = match self.region.io_span(*pos, dest.len()).ok_or(EINVAL)? {
            IoSpan::End => return Ok(0),
            IoSpan::At { offset, len } => (offset, len),
        };
        let mut done = 0;
        while done < len {
            let want = (len - done).min(COPY_CHUNK);
            let copied = match self
                .with_mapping(|mapping| mapping.copy_to_user_nofault(offset + done, want, dest))
            {
                Ok(copied) => copied,
                Err(e) => return Self::partial(pos, done, e),
            };
            done += copied;
            if copied < want {
                let mut piece = StackBuffer::<PIECE>::new();
                let piece = &mut piece.0[..(len - done).min(PIECE)];
                if let Err(e) = self.with_mapping(|mapping| mapping.read(offset + done, piece)) {
                    return Self::partial(pos, done, e);
                }
                let copied = dest.copy(piece);
                done += copied;
                if copied < piece.len() {
                    break;
                }
            }
            // Between chunks only: a call of one chunk (most calls) returns at once.
            if done < len && Self::pause() {
                break;
            }
        }
        Self::advance(pos, done, len)
    }

    /// Copies `src` into the region at `*pos` through the kernel mapping and advances `*pos`.
    /// Fails with `ENOSPC` at or past the end of the region.
    ///
    /// Copies as [`Carveout::read`] does, the other way. Only the bytes copied from `src` are
    /// written to the region.
    pub(crate) fn write(&self, pos: &mut i64, src: &mut impl UserSource) -> Result<usize> {
        self.check_live()?;
        if src.len() == 0 {
            return Ok(0);
        }
        let (offset, len) = match self.region.io_span(*pos, src.len()).ok_or(EINVAL)? {
            IoSpan::End => return Err(ENOSPC),
            IoSpan::At { offset, len } => (offset, len),
        };
        let mut done = 0;
        while done < len {
            let want = (len - done).min(COPY_CHUNK);
            let copied = match self
                .with_mapping(|mapping| mapping.copy_from_user_nofault(offset + done, want, src))
            {
                Ok(copied) => copied,
                Err(e) => return Self::partial(pos, done, e),
            };
            done += copied;
            if copied < want {
                let mut piece = StackBuffer::<PIECE>::new();
                let wanted = (len - done).min(PIECE);
                let copied = src.copy(&mut piece.0[..wanted]);
                let piece = &piece.0[..copied];
                if let Err(e) = self.with_mapping(|mapping| mapping.write(offset + done, piece)) {
                    // Unbound meanwhile: these bytes were taken from `src` but not written.
                    // SAFETY: `src` just moved past `copied` bytes.
                    unsafe { src.revert(copied) };
                    return Self::partial(pos, done, e);
                }
                done += copied;
                if copied < wanted {
                    break;
                }
            }
            // As in `read`.
            if done < len && Self::pause() {
                break;
            }
        }
        Self::advance(pos, done, len)
    }

    /// Lets other tasks run between two chunks of a long copy; true if the task was killed
    /// meanwhile, and the copy must stop with what it has done (at least one chunk), as
    /// `/dev/mem` stops, so that a killed process dies at once rather than after up to the whole
    /// region. Other signals wait for the end of the copy, which is bounded by the region's size.
    fn pause() -> bool {
        cond_resched();
        fatal_signal_pending()
    }

    /// Ends a copy that failed with `err` after `done` bytes: a short count if any were copied.
    fn partial(pos: &mut i64, done: usize, err: Error) -> Result<usize> {
        if done == 0 {
            return Err(err);
        }
        Self::advance(pos, done, done)
    }

    /// Moves the file position past `done` bytes of `len` asked; nothing copied is a fault.
    fn advance(pos: &mut i64, done: usize, len: usize) -> Result<usize> {
        if done == 0 && len > 0 {
            return Err(EFAULT);
        }
        // `done` is at most the region size, which fits in `i64`, and so does `*pos + done`:
        // it is at most the region size.
        *pos += done as i64;
        Ok(done)
    }
}
