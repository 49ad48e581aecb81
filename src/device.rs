// SPDX-License-Identifier: GPL-2.0

//! One carveout device: its validated, claimed region, its kernel mapping and its name.

use core::ffi::CStr;
use kernel::{
    device::Device,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    mm::virt::{
        flags as vm_flags,
        VmaNew, //
    },
    page::PAGE_SIZE,
    prelude::*,
    str::CString,
    sync::aref::ARef, //
};

use crate::{
    misc::MiscName,
    phys::{
        ClaimError,
        ClaimedRegion,
        KernelMapping,
        LookupError,
        MapError,
        MemoryType,
        ReservedRegion, //
    },
    region::IoSpan,
    uapi,
};

/// Device-tree property naming the device file; the node name is used without it.
const PROP_LABEL: &CStr = c"label";
/// Device-tree property choosing the memory type.
const PROP_MEMORY_TYPE: &CStr = c"linux,memory-type";

/// A probed carveout.
pub(crate) struct Carveout {
    // Fields drop in order: the kernel mapping goes before the claim on the range is released.
    mapping: KernelMapping,
    claimed: ClaimedRegion,
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
    pub(crate) fn probe(dev: &Device) -> Result<Self> {
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

        let reserved = ReservedRegion::lookup(dev).map_err(|(err, target)| {
            let target = target.as_deref().and_then(|t| t.to_str().ok()).unwrap_or("?");
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
            ClaimError::Busy => {
                dev_err!(
                    dev,
                    "memory-region '{}' [{:#x}-{:#x}] is already claimed: a carveout has one user\n",
                    reserved.name(),
                    spec.base,
                    spec.base.saturating_add(spec.size).saturating_sub(1)
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

        Ok(Self {
            mapping,
            claimed,
            name,
            dev: dev.into(),
        })
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
        let region = self.claimed.region();
        dev_info!(
            self.dev,
            "/dev/{}: {:#x} bytes at {:#x}, {}\n",
            self.name(),
            region.size(),
            region.base(),
            self.claimed.memory_type().name()
        );
    }

    /// The `CARVEOUT_IOC_INFO` answer.
    pub(crate) fn info(&self) -> [u8; uapi::INFO_SIZE] {
        let region = self.claimed.region();
        uapi::Info {
            phys_base: region.base(),
            // Lossless: `usize` is at most 64 bits on every architecture Linux supports.
            size: region.size() as u64,
            memory_type: self.claimed.memory_type().as_uapi(),
            name: self.name.to_bytes(),
        }
        .to_bytes()
    }

    /// Maps a window of the region into `vma`: shared mappings only, never executable.
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
        self.claimed.map_user(vma).map_err(|err| match err {
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

    /// Copies from the region at `*pos` into `dest` through the kernel mapping and advances
    /// `*pos`. Returns 0 at or past the end of the region.
    pub(crate) fn read(&self, pos: &mut i64, dest: &mut IovIterDest<'_>) -> Result<usize> {
        let (offset, len) = match self
            .claimed
            .region()
            .io_span(*pos, dest.len())
            .ok_or(EINVAL)?
        {
            IoSpan::End => return Ok(0),
            IoSpan::At { offset, len } => (offset, len),
        };
        let mut bounce = KVec::from_elem(0u8, len.min(PAGE_SIZE), GFP_KERNEL)?;
        let mut done = 0;
        while done < len {
            let chunk = &mut bounce[..(len - done).min(PAGE_SIZE)];
            self.mapping.read(offset + done, chunk)?;
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
        let (offset, len) = match self
            .claimed
            .region()
            .io_span(*pos, src.len())
            .ok_or(EINVAL)?
        {
            IoSpan::End => return Err(ENOSPC),
            IoSpan::At { offset, len } => (offset, len),
        };
        let mut bounce = KVec::from_elem(0u8, len.min(PAGE_SIZE), GFP_KERNEL)?;
        let mut done = 0;
        while done < len {
            let want = (len - done).min(PAGE_SIZE);
            let copied = src.copy_from_iter(&mut bounce[..want]);
            self.mapping.write(offset + done, &bounce[..copied])?;
            done += copied;
            if copied < want {
                break;
            }
        }
        Self::advance(pos, done, len)
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
