// SPDX-License-Identifier: GPL-2.0

//! The memory type of a carveout: one per region, for its kernel mapping and every user mapping.
//!
//! On ARMv7 two mappings of the same physical page with different memory types are
//! architecturally unpredictable (on ARMv8, arm64, "mismatched memory attributes", with a loss
//! of coherency the architecture leaves to software), so the type is chosen once, at probe, and
//! every mapping takes it from there: the kernel mapping in
//! [`KernelMapping`](super::KernelMapping), user mappings through [`MemoryType::user_prot`].
//!
//! The kernel and the user half of each type are the same attributes on both architectures:
//!
//! - write-combine, Normal non-cacheable: on 32-bit ARM `ioremap_wc` (`L_PTE_MT_DEV_WC`) and
//!   `pgprot_writecombine` (`L_PTE_MT_BUFFERABLE`), the same memory type; on arm64 both
//!   `MT_NORMAL_NC`.
//! - cached, Normal write-back: on 32-bit ARM `memremap(MEMREMAP_WB)` (`arch_memremap_wb`,
//!   `MT_MEMORY_RW`) and the default `PAGE_SHARED`, both `L_PTE_MT_WRITEALLOC`; on arm64
//!   `memremap` (through `ioremap_cache`) and `PAGE_SHARED`, both `MT_NORMAL`.
//! - device: on 32-bit ARM `ioremap` (`MT_DEVICE`) and `pgprot_device`, both
//!   `L_PTE_MT_DEV_SHARED`; on arm64 both `MT_DEVICE_nGnRE`.

use kernel::bindings;

use crate::uapi;

extern "C" {
    fn carveout_pgprot_writecombine(prot: bindings::pgprot_t) -> bindings::pgprot_t;
    fn carveout_pgprot_device(prot: bindings::pgprot_t) -> bindings::pgprot_t;
    fn carveout_pgprot_dirty(prot: bindings::pgprot_t) -> bindings::pgprot_t;
}

/// The memory type of a carveout, used for its kernel mapping and for every user mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemoryType {
    /// Normal non-cacheable, bufferable (`ioremap_wc` / `pgprot_writecombine`). The default.
    WriteCombine,
    /// Normal cacheable (`memremap(MEMREMAP_WB)` / the default user protection).
    Cached,
    /// Device memory (`ioremap` / `pgprot_device`): no merging, no speculation, aligned access.
    Device,
}

impl MemoryType {
    /// Parses the `linux,memory-type` device-tree string.
    pub(crate) fn from_dt(value: &[u8]) -> Option<Self> {
        match value {
            b"write-combine" => Some(Self::WriteCombine),
            b"cached" => Some(Self::Cached),
            b"device" => Some(Self::Device),
            _ => None,
        }
    }

    /// The device-tree spelling.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::WriteCombine => "write-combine",
            Self::Cached => "cached",
            Self::Device => "device",
        }
    }

    /// The value in the ioctl ABI (`CARVEOUT_MEM_*`).
    pub(crate) fn as_uapi(self) -> u32 {
        match self {
            Self::WriteCombine => uapi::MEM_WRITE_COMBINE,
            Self::Cached => uapi::MEM_CACHED,
            Self::Device => uapi::MEM_DEVICE,
        }
    }

    /// Whether CPU caches may hold the region's memory, so that a device sharing it needs
    /// cache maintenance (`CARVEOUT_IOC_SYNC`).
    pub(crate) fn is_cached(self) -> bool {
        match self {
            Self::Cached => true,
            Self::WriteCombine | Self::Device => false,
        }
    }

    /// The protection of a user mapping of this type, from the protection `mmap` asked for
    /// (`prot`: readable, writable, from `vm_page_prot`).
    ///
    /// Pages are mapped dirty from the start: on 32-bit ARM the kernel emulates the dirty bit,
    /// mapping a clean writable page read-only in hardware so that the first write to each page
    /// faults just to set it, and arm64 does the same without hardware dirty-bit management
    /// (ARMv8.1 and later, and only with `CONFIG_ARM64_HW_AFDBM`: the arm64 board has
    /// neither). PFN pages are never written back, so the bit carries nothing for them; without
    /// this, writing a fresh 16 MiB mapping took 4096 minor faults (`make bench`,
    /// `minor-faults-write`; the self-test's fresh-mapping case counts them on every board).
    /// 32-bit ARM's `pgprot_device` already sets it; arm64's does not.
    pub(crate) fn user_prot(self, prot: bindings::pgprot_t) -> bindings::pgprot_t {
        let prot = match self {
            // SAFETY: The helper only computes a value from its argument.
            Self::WriteCombine => unsafe { carveout_pgprot_writecombine(prot) },
            Self::Cached => prot,
            // SAFETY: As above.
            Self::Device => unsafe { carveout_pgprot_device(prot) },
        };
        // SAFETY: As above.
        unsafe { carveout_pgprot_dirty(prot) }
    }
}
