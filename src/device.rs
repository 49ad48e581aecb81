// SPDX-License-Identifier: GPL-2.0

//! One carveout device: its validated, claimed region, its kernel mapping, its name, and the
//! revocation of all of it when the device is unbound.

use core::ffi::CStr;
use kernel::{
    device::Device,
    fs::File,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    mm::{
        virt::{
            flags as vm_flags,
            VmaNew, //
        },
        Mm,
        MmWithUser, //
    },
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    str::CString,
    sync::{
        aref::ARef,
        Mutex, //
    },
};

use crate::{
    misc::MiscName,
    phys::{
        ClaimError,
        ClaimedRegion,
        KernelMapping,
        LookupError,
        MapError,
        MappingSpace,
        MemoryType,
        ReservedRegion, //
        PHYS_MAX,
    },
    region::{
        addressable,
        check_placement,
        IoSpan,
        PlacementError,
        Region, //
    },
    uapi,
};

/// Device-tree property naming the device file; the node name is used without it.
const PROP_LABEL: &CStr = c"label";
/// Device-tree property choosing the memory type.
const PROP_MEMORY_TYPE: &CStr = c"linux,memory-type";

/// What unbinding takes away from a carveout: its kernel mapping and its claim on the range.
struct Live {
    // Fields drop in order: the kernel mapping goes before the claim on the range is released.
    mapping: KernelMapping,
    claimed: ClaimedRegion,
}

/// The part of a carveout that `mmap`, `read`, `write` and unbinding change.
struct State {
    /// `None` once the device is unbound: every later call on its files fails with `ENODEV`.
    live: Option<Live>,
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
/// - `read`, `write` and `ioctl` use the kernel mapping and the claim only inside `state`, and
///   find `live` gone once revoke has taken it: `ENODEV`. The copy to or from user space, which
///   may fault and take `mmap_lock`, runs outside `state`.
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
    /// kernel. Every failure is logged once, here, naming the value and the rule it breaks.
    /// Nothing is written to the region.
    pub(crate) fn probe(dev: &Device) -> Result<impl PinInit<Self, Error>> {
        let fwnode = dev.fwnode().ok_or_else(|| {
            dev_err!(
                dev,
                "no device-tree node: this driver is probed from the device tree\n"
            );
            ENODEV
        })?;

        let name = if fwnode.property_present(PROP_LABEL) {
            fwnode
                .property_read::<CString>(PROP_LABEL)
                .required_by(dev)?
        } else {
            CString::try_from_fmt(fmt!("{}", fwnode.display_name()))?
        };
        let name_bytes = name.to_bytes();
        if name_bytes.is_empty() || name_bytes.len() >= uapi::NAME_LEN || name_bytes.contains(&b'/')
        {
            dev_err!(
                dev,
                "device name '{}' is invalid: it must be 1 to {} bytes without '/'\n",
                name.to_str().unwrap_or("<not UTF-8>"),
                uapi::NAME_LEN - 1
            );
            return Err(EINVAL);
        }

        let memory_type = if fwnode.property_present(PROP_MEMORY_TYPE) {
            let value = fwnode
                .property_read::<CString>(PROP_MEMORY_TYPE)
                .required_by(dev)?;
            MemoryType::from_dt(value.to_bytes()).ok_or_else(|| {
                dev_err!(
                    dev,
                    "linux,memory-type = '{}' is invalid: use \"write-combine\", \"cached\" or \"device\"\n",
                    value.to_str().unwrap_or("<not UTF-8>")
                );
                EINVAL
            })?
        } else {
            MemoryType::WriteCombine
        };

        let entries = ReservedRegion::count(dev);
        if entries > 1 {
            return Err(Self::refuse_many_regions(dev, entries));
        }

        let reserved = ReservedRegion::lookup(dev, 0).map_err(|(err, target)| {
            // A region the kernel did not reserve may be one it could not address: say so.
            let unaddressable = target.dt_reg().filter(|&(b, s)| !addressable(b, s, PHYS_MAX));
            if let Some((base, size)) = unaddressable {
                Self::refuse_unaddressable(dev, &target, base, size);
                return EINVAL;
            }
            let target = target.name();
            match err {
                LookupError::NoProperty => {
                    dev_err!(dev, "no memory-region property: a carveout must name its region\n")
                }
                LookupError::BadPhandle => {
                    dev_err!(dev, "memory-region does not point to a device-tree node\n")
                }
                LookupError::Disabled => {
                    dev_err!(dev, "memory-region '{target}' is disabled\n")
                }
                LookupError::NotReserved => dev_err!(
                    dev,
                    "memory-region '{target}' is not a region of /reserved-memory that the kernel reserved\n"
                ),
            }
            err.errno()
        })?;

        let spec = reserved.spec();
        check_placement(reserved.dt_reg(), (spec.base, spec.size), PHYS_MAX).map_err(|err| {
            let (base, size) = reserved.dt_reg().unwrap_or((spec.base, spec.size));
            match err {
                PlacementError::Unaddressable => {
                    Self::refuse_unaddressable(dev, &reserved, base, size)
                }
                PlacementError::Mismatch => dev_err!(
                    dev,
                    "memory-region '{}': the device tree gives {:#x} bytes at {:#x}, but the kernel reserved {:#x} bytes at {:#x}\n",
                    reserved.name(),
                    size,
                    base,
                    spec.size,
                    spec.base
                ),
            }
            EINVAL
        })?;
        let last = spec.base.saturating_add(spec.size).saturating_sub(1);
        let claimed = ClaimedRegion::claim(&reserved, memory_type, &name).map_err(|err| match err {
            ClaimError::Invalid(rule) => {
                dev_err!(
                    dev,
                    "memory-region '{}' (base {:#x}, size {:#x}): {}\n",
                    reserved.name(),
                    spec.base,
                    spec.size,
                    rule.rule()
                );
                EINVAL
            }
            ClaimError::NotRam => {
                dev_err!(
                    dev,
                    "memory-region '{}' [{:#x}-{:#x}] is not RAM: a carveout must lie in memory the kernel knows\n",
                    reserved.name(),
                    spec.base,
                    last
                );
                EINVAL
            }
            ClaimError::Busy => {
                dev_err!(
                    dev,
                    "memory-region '{}' [{:#x}-{:#x}] is already claimed: a carveout has one user\n",
                    reserved.name(),
                    spec.base,
                    last
                );
                EBUSY
            }
            ClaimError::NoMemory => ENOMEM,
        })?;

        let mapping = claimed.map_kernel().inspect_err(|_| {
            dev_err!(
                dev,
                "cannot map memory-region '{}' ({:#x} bytes at {:#x}) {} into the kernel: too large for vmalloc space?\n",
                reserved.name(),
                spec.size,
                spec.base,
                memory_type.name()
            )
        })?;

        let space = MappingSpace::new().inspect_err(|e| {
            dev_err!(dev, "cannot allocate the inode for user mappings: {e:?}\n")
        })?;

        let dev = ARef::from(dev);
        Ok(try_pin_init!(Self {
            region: *claimed.region(),
            memory_type,
            state <- new_mutex!(State {
                live: Some(Live { mapping, claimed }),
                mmaps: KVec::new(),
            }),
            space,
            name,
            dev,
        }))
    }

    /// Logs why a node with `entries` `memory-region` entries is refused, naming each, and
    /// returns the errno. A carveout maps exactly one region: using the first and ignoring the
    /// rest would leave memory the device tree meant for this device unclaimed.
    fn refuse_many_regions(dev: &Device, entries: usize) -> Error {
        let mut names = KVec::<u8>::new();
        for index in 0..entries {
            let name = match ReservedRegion::lookup(dev, index) {
                Ok(region) | Err((_, region)) => region,
            };
            let sep: &[u8] = if index == 0 { b"'" } else { b", '" };
            let pushed = names
                .extend_from_slice(sep, GFP_KERNEL)
                .and_then(|()| names.extend_from_slice(name.name().as_bytes(), GFP_KERNEL))
                .and_then(|()| names.extend_from_slice(b"'", GFP_KERNEL));
            if pushed.is_err() {
                break;
            }
        }
        dev_err!(
            dev,
            "memory-region has {} entries ({}): a carveout maps exactly one region; give each its own node\n",
            entries,
            core::str::from_utf8(&names).unwrap_or("?")
        );
        EINVAL
    }

    /// Logs that `region`'s `reg` lies where this kernel's physical addresses do not reach.
    fn refuse_unaddressable(dev: &Device, region: &ReservedRegion, base: u64, size: u64) {
        dev_err!(
            dev,
            "memory-region '{}' at {:#x} (size {:#x}) lies beyond this kernel's physical addresses (up to {:#x}): enable CONFIG_ARM_LPAE or move the region\n",
            region.name(),
            base,
            size,
            PHYS_MAX
        );
    }

    /// The device, for messages.
    pub(crate) fn dev(&self) -> &Device {
        &self.dev
    }

    /// The device name, as text.
    pub(crate) fn name(&self) -> &str {
        self.name.to_str().unwrap_or("?")
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

    /// Runs `f` on the live parts of the carveout, with `state` locked; `ENODEV` once unbound.
    fn with_live<R>(&self, f: impl FnOnce(&Live) -> Result<R>) -> Result<R> {
        let state = self.state.lock();
        f(state.live.as_ref().ok_or(ENODEV)?)
    }

    /// Makes `file`'s mappings revocable by [`Carveout::revoke`]. Called from `open`.
    pub(crate) fn attach(&self, file: &File) {
        self.space.attach(file);
    }

    /// The `CARVEOUT_IOC_INFO` answer; `ENODEV` once unbound.
    pub(crate) fn info(&self) -> Result<[u8; uapi::INFO_SIZE]> {
        self.with_live(|_| Ok(()))?;
        Ok(uapi::Info {
            phys_base: self.region.base(),
            // Lossless: `usize` is at most 64 bits on every architecture Linux supports.
            size: self.region.size() as u64,
            memory_type: self.memory_type.as_uapi(),
            name: self.name.to_bytes(),
        }
        .to_bytes())
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

        live.claimed.map_user(vma).map_err(|err| match err {
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
    /// `ENODEV`, every user mapping is zapped (touching it raises `SIGBUS`), then the kernel
    /// mapping and the claim on the range go, so that a rebind can claim the range again.
    /// The region's contents are left as they are.
    pub(crate) fn revoke(&self) {
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
    pub(crate) fn read(&self, pos: &mut i64, dest: &mut IovIterDest<'_>) -> Result<usize> {
        let (offset, len) = match self.region.io_span(*pos, dest.len()).ok_or(EINVAL)? {
            IoSpan::End => return Ok(0),
            IoSpan::At { offset, len } => (offset, len),
        };
        let mut bounce = KVec::from_elem(0u8, len.min(PAGE_SIZE), GFP_KERNEL)?;
        let mut done = 0;
        while done < len {
            let chunk = &mut bounce[..(len - done).min(PAGE_SIZE)];
            // The lock is not held across the copy to user space, which may fault and take
            // `mmap_lock` (see the lock order on `Carveout`).
            if let Err(e) = self.with_live(|live| live.mapping.read(offset + done, chunk)) {
                return Self::partial(pos, done, e);
            }
            let copied = dest.copy_to_iter(chunk);
            done += copied;
            if copied < chunk.len() {
                break;
            }
        }
        Self::advance(pos, done, len)
    }

    /// Copies `src` into the region at `*pos` through the kernel mapping and advances `*pos`.
    /// Fails with `ENOSPC` at or past the end of the region.
    pub(crate) fn write(&self, pos: &mut i64, src: &mut IovIterSource<'_>) -> Result<usize> {
        if src.is_empty() {
            return Ok(0);
        }
        let (offset, len) = match self.region.io_span(*pos, src.len()).ok_or(EINVAL)? {
            IoSpan::End => return Err(ENOSPC),
            IoSpan::At { offset, len } => (offset, len),
        };
        let mut bounce = KVec::from_elem(0u8, len.min(PAGE_SIZE), GFP_KERNEL)?;
        let mut done = 0;
        while done < len {
            let want = (len - done).min(PAGE_SIZE);
            let copied = src.copy_from_iter(&mut bounce[..want]);
            let chunk = &bounce[..copied];
            if let Err(e) = self.with_live(|live| live.mapping.write(offset + done, chunk)) {
                return Self::partial(pos, done, e);
            }
            done += copied;
            if copied < want {
                break;
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
