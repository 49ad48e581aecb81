// SPDX-License-Identifier: GPL-2.0

//! One carveout device: its validated, claimed region, its kernel mapping, its name, and the
//! revocation of all of it when the device is unbound.

use core::ffi::CStr;
use kernel::{
    device::Device,
    fs::File,
    mm::{
        virt::{
            flags as vm_flags,
            VmaNew, //
        },
        Mm,
        MmWithUser, //
    },
    new_mutex,
    prelude::*,
    revocable::Revocable,
    str::CString,
    sync::{
        aref::ARef,
        Mutex, //
    },
};

use crate::{
    config::Config,
    misc::MiscName,
    phys::{
        cond_resched,
        ClaimedRegion,
        KernelMapping,
        MapError,
        MappingSpace,
        MemoryType,
        StackBuffer,
        SyncDirection,
        UserDest,
        UserSource,
        CACHED_SYNC_AVAILABLE, //
    },
    probe_error::ProbeError,
    region::{
        IoSpan,
        Region, //
    },
    uapi,
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

/// The part of a carveout that `mmap` and unbinding change.
struct State {
    /// The claim on the range, which unbinding takes away besides the kernel mapping: `None`
    /// once the device is unbound, and every later call on its files fails with `ENODEV`.
    live: Option<ClaimedRegion>,
    /// The address spaces of `mmap` calls that mapped pages but may not have linked their VMA
    /// into the [`MappingSpace`] yet (the legacy `f_op->mmap` hook runs before the link).
    /// [`Carveout::revoke`] waits for them before it zaps.
    mmaps: KVec<ARef<Mm>>,
}

/// A probed carveout. Open files hold it in an [`Arc`](kernel::sync::Arc); unbinding revokes
/// it ([`Carveout::revoke`]) while files may still be open.
///
/// Lock order: a process's `mmap_lock`, then `state`. [`Carveout::revoke`] takes `state` alone
/// and then other processes' `mmap_lock`, never both.
///
/// What runs against [`Carveout::revoke`], and why it is safe:
/// - `read`, `write` and the sync `ioctl` use the kernel mapping only through its [`Revocable`]
///   guard, an RCU read-side critical section: no lock, and nothing there sleeps. The copies to
///   and from user space in it take no page fault (a fault may sleep, and a user buffer backed by
///   a slow file would then hold off unbind); a page not present ends the copy short, and a small
///   piece is copied through a buffer with faults allowed outside the guard, which faults the
///   page in for the next copy under the guard. Revoke first revokes the mapping, which
///   waits for an RCU grace period, so no copy is running when the mapping is unmapped; later
///   ones find it gone: `ENODEV`.
/// - `mmap` maps pages under `state` while `live` is there, and records its address space in
///   `mmaps` first; revoke waits for each recorded `mmap` to link its VMA (by taking that
///   process's `mmap_lock`) before it zaps the mapping space, so no VMA escapes the zap.
/// - Forks and `mremap` move or copy VMAs within the mapping space's `i_mmap` tree, which the
///   zap walks under its own lock; a zapped VMA has no `fault` handler, so touching it raises
///   `SIGBUS` instead of mapping the pages again.
#[pin_data]
pub(crate) struct Carveout {
    region: Region,
    memory_type: MemoryType,
    // Fields drop in order: the kernel mapping goes before `state`'s claim on the range.
    #[pin]
    mapping: Revocable<KernelMapping>,
    #[pin]
    state: Mutex<State>,
    space: MappingSpace,
    name: CString,
    dev: ARef<Device>,
}

impl MiscName for Carveout {
    fn misc_name(&self) -> &CStr {
        &self.name
    }
}

impl Carveout {
    /// Reads `dev`'s device-tree node, validates and claims its region and maps it into the
    /// kernel. Every refusal is logged once, here, naming the value and the rule it breaks.
    /// Nothing is written to the region.
    pub(crate) fn probe(dev: &Device) -> Result<impl PinInit<Self, Error>> {
        let config = Config::read(dev).map_err(|e| e.report(dev))?;
        let claimed = ClaimedRegion::claim(&config.region, config.memory_type, &config.name)
            .map_err(|e| ProbeError::Claim(e, config.region.clone()).report(dev))?;
        let mapping = claimed.map_kernel().map_err(|e| {
            ProbeError::MapKernel(e, config.region.clone(), config.memory_type).report(dev)
        })?;
        let space = MappingSpace::new().map_err(|e| ProbeError::MappingSpace(e).report(dev))?;
        let dev = ARef::from(dev);
        Ok(try_pin_init!(Self {
            region: *claimed.region(),
            memory_type: claimed.memory_type(),
            mapping <- Revocable::new(mapping),
            state <- new_mutex!(State {
                live: Some(claimed),
                mmaps: KVec::new(),
            }),
            space,
            name: config.name,
            dev,
        }))
    }

    /// The device, for messages.
    pub(crate) fn dev(&self) -> &Device {
        &self.dev
    }

    /// The device name, as text.
    pub(crate) fn name(&self) -> &str {
        self.name.to_str().unwrap_or("?")
    }

    /// The physical base address of the region.
    pub(crate) fn phys_base(&self) -> u64 {
        self.region.base()
    }

    /// The size of the region in bytes.
    pub(crate) fn size(&self) -> u64 {
        // Lossless: `usize` is at most 64 bits on every architecture Linux supports.
        self.region.size() as u64
    }

    /// The memory type of every mapping of the region.
    pub(crate) fn memory_type(&self) -> MemoryType {
        self.memory_type
    }

    /// Logs what probe made.
    pub(crate) fn log_probed(&self) {
        dev_info!(
            self.dev,
            "/dev/{}: {:#x} bytes at {:#x}, {}\n",
            self.name(),
            self.region.size(),
            self.region.base(),
            self.memory_type.name()
        );
    }

    /// Runs `f` on the claim on the range, with `state` locked; `ENODEV` once unbound.
    fn with_live<R>(&self, f: impl FnOnce(&ClaimedRegion) -> Result<R>) -> Result<R> {
        let state = self.state.lock();
        f(state.live.as_ref().ok_or(ENODEV)?)
    }

    /// Runs `f` on the kernel mapping inside its guard, where `f` must not sleep; `ENODEV` once
    /// unbound.
    fn with_mapping<R>(&self, f: impl FnOnce(&KernelMapping) -> Result<R>) -> Result<R> {
        self.mapping.try_access_with(f).ok_or(ENODEV)?
    }

    /// Makes `file`'s mappings revocable by [`Carveout::revoke`].
    ///
    /// # Safety
    ///
    /// As for [`MappingSpace::attach`]: `file` is being opened, and `self` outlives it.
    pub(crate) unsafe fn attach(&self, file: &File) {
        // SAFETY: The caller's contract is `MappingSpace::attach`'s, and `self.space` lives as
        // long as `self`.
        unsafe { self.space.attach(file) };
    }

    /// The `CARVEOUT_IOC_INFO` answer; `ENODEV` once unbound.
    pub(crate) fn info(&self) -> Result<[u8; uapi::INFO_SIZE]> {
        self.with_live(|_| Ok(()))?;
        Ok(uapi::Info {
            phys_base: self.region.base(),
            size: self.size(),
            memory_type: self.memory_type.as_uapi(),
            name: self.name.to_bytes(),
        }
        .to_bytes())
    }

    /// The end of the file for `lseek`: the region's size; `ENODEV` once unbound.
    pub(crate) fn seek_end(&self) -> Result<i64> {
        self.with_live(|_| Ok(()))?;
        // `Region` keeps `base + size` within a `u64`; a size beyond `i64` cannot be a position.
        i64::try_from(self.size()).map_err(|_| EOVERFLOW)
    }

    /// `CARVEOUT_IOC_SYNC`: makes a range coherent for a device or for the CPU (a cached
    /// region's cache maintenance; nothing to do for the other types, which no CPU cache holds).
    /// `EINVAL` for unknown or missing flags, a non-zero `reserved` or a range that does not lie
    /// inside the region; `ENODEV` once unbound.
    pub(crate) fn sync(&self, request: &uapi::SyncRequest) -> Result {
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
        if self.memory_type.is_cached() && !CACHED_SYNC_AVAILABLE {
            dev_dbg!(
                self.dev,
                "sync refused: this kernel exports no cache maintenance (CONFIG_ARM64_PMEM)\n"
            );
            return Err(EOPNOTSUPP);
        }
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

    /// Maps a window of the region into `vma`: shared mappings only, never executable, and
    /// `ENODEV` once unbound.
    pub(crate) fn map_user(&self, vma: &VmaNew) -> Result {
        if vma.flags() & vm_flags::MAYSHARE == 0 {
            dev_dbg!(
                self.dev,
                "mmap refused: MAP_PRIVATE (copy-on-write of PFN memory)\n"
            );
            return Err(EINVAL);
        }
        if vma.executable() {
            dev_dbg!(self.dev, "mmap refused: PROT_EXEC\n");
            return Err(EPERM);
        }
        vma.try_clear_mayexec()?;

        let mut state = self.state.lock();
        let State { live, mmaps } = &mut *state;
        let live = live.as_ref().ok_or(ENODEV)?;
        // Record this address space before mapping anything, so that `revoke` waits for this
        // `mmap` to link its VMA. Forget the ones whose `mmap` has surely finished: this one
        // (the caller holds its `mmap_lock`, so its earlier `mmap` is done) and those without
        // users. Entries thus stay few: about one per process that maps this device.
        let mm: &Mm = vma.mm();
        mmaps.retain(|seen| {
            !core::ptr::eq(seen.as_raw(), mm.as_raw())
                && seen
                    .mmget_not_zero()
                    .map(MmWithUser::into_mmput_async)
                    .is_some()
        });
        mmaps.push(ARef::from(mm), GFP_KERNEL)?;

        live.map_user(vma).map_err(|err| match err {
            MapError::Window(why) => {
                dev_dbg!(
                    self.dev,
                    "mmap refused: {} bytes do not fit in the region at that offset ({why:?})\n",
                    vma.end() - vma.start()
                );
                EINVAL
            }
            MapError::Kernel(e) => {
                dev_err!(self.dev, "remap_pfn_range failed: {e:?}\n");
                e
            }
        })
    }

    /// Revokes the carveout when its device is unbound: later calls on its open files fail with
    /// `ENODEV`, the kernel mapping goes, every user mapping is zapped (touching it raises
    /// `SIGBUS`), then the claim on the range goes, so that a rebind can claim the range again.
    /// The region's contents are left as they are.
    pub(crate) fn revoke(&self) {
        // No copy or sync is running on the kernel mapping once this returns (it waits for an
        // RCU grace period), and none starts: unmap it.
        self.mapping.revoke();
        let (live, mmaps) = {
            let mut state = self.state.lock();
            (
                state.live.take(),
                core::mem::replace(&mut state.mmaps, KVec::new()),
            )
        };
        // An `mmap` that mapped pages before `live` was taken may not have linked its VMA yet;
        // it holds its process's `mmap_lock` until it has. Wait for each, then zap.
        for mm in &mmaps {
            if let Some(mm) = mm.mmget_not_zero() {
                drop(mm.mmap_read_lock());
            }
        }
        drop(mmaps);
        self.space.revoke();
        drop(live);
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
            if done < len {
                cond_resched();
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
            if done < len {
                cond_resched();
            }
        }
        Self::advance(pos, done, len)
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
