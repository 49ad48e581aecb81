// SPDX-License-Identifier: GPL-2.0

//! Why probe refused a node: every refusal with the values it names, and its errno.
//!
//! Each refusal is logged once, by [`ProbeError::report`], where probe finds it; the texts
//! name the property, the value and the rule it breaks, and are what the bad boards of
//! `make dt-matrix` expect. Three kinds are not logged here: a property the kernel's property
//! code could not read (it logs that itself), an allocation failure, and an interrupt whose
//! controller has not probed yet (a deferral, which the driver core retries).

use core::ffi::CStr;
use kernel::{
    device::Device,
    fmt,
    prelude::*,
    str::CString, //
};

use crate::{
    phys::{
        ClaimError,
        LookupError,
        MemoryType,
        RegionTarget,
        ReservedRegion,
        PHYS_MAX, //
    },
    uapi,
};

/// Why probe refused a node.
pub(crate) enum ProbeError<'a> {
    /// The device has no device-tree node.
    NoNode,
    /// A property could not be read; the kernel's property code has logged it.
    Property(Error),
    /// Out of memory.
    NoMemory(Error),
    /// The device name (`label` or the node name) is empty, too long or contains `/`.
    BadName(CString),
    /// `linux,memory-type` names no memory type.
    BadMemoryType(CString),
    /// `linux,dma-buf-export` on a device-memory region.
    ExportDevice,
    /// `memory-region` has more than one entry; `names` lists their targets, quoted.
    ManyRegions { entries: usize, names: KVec<u8> },
    /// The `memory-region` entry names no usable reserved region.
    Lookup(LookupError, RegionTarget),
    /// The region's `reg` (`base`, `size`) lies beyond this kernel's physical addresses.
    Unaddressable {
        region: RegionTarget,
        base: u64,
        size: u64,
    },
    /// The kernel reserved another range than the region's `reg` (`dt`: base, size) gives.
    Mismatch {
        region: ReservedRegion,
        dt: (u64, u64),
    },
    /// The region cannot be claimed.
    Claim(ClaimError, ReservedRegion),
    /// The region cannot be mapped into the kernel with its memory type.
    MapKernel(Error, ReservedRegion, MemoryType),
    /// The inode for user mappings cannot be allocated.
    MappingSpace(Error),
    /// Another carveout node has the device name.
    NameTaken(&'a CStr, Error),
    /// The misc device cannot be registered.
    Register(&'a CStr, Error),
    /// The node names an interrupt that this kernel cannot map (`EPROBE_DEFER`: not yet).
    NoInterrupt(Error),
    /// The interrupt (its number) is on a controller whose enable and disable sleep.
    SlowBusInterrupt(u32),
    /// The interrupt (its number) cannot be requested.
    RequestInterrupt(u32, Error),
}

impl ProbeError<'_> {
    /// The errno probe returns.
    pub(crate) fn errno(&self) -> Error {
        match self {
            Self::NoNode => ENODEV,
            Self::Lookup(err, _) => err.errno(),
            Self::BadName(_)
            | Self::BadMemoryType(_)
            | Self::ExportDevice
            | Self::ManyRegions { .. }
            | Self::Unaddressable { .. }
            | Self::Mismatch { .. } => EINVAL,
            Self::Claim(err, _) => err.errno(),
            Self::Property(e)
            | Self::NoMemory(e)
            | Self::MapKernel(e, ..)
            | Self::MappingSpace(e)
            | Self::NameTaken(_, e)
            | Self::Register(_, e)
            | Self::NoInterrupt(e)
            | Self::RequestInterrupt(_, e) => *e,
            Self::SlowBusInterrupt(_) => EINVAL,
        }
    }

    /// Logs the refusal against `dev`, unless it is one that is not logged here (see the
    /// module doc), and returns the errno for probe.
    pub(crate) fn report(self, dev: &Device) -> Error {
        let logged_elsewhere = matches!(
            self,
            Self::Property(_) | Self::NoMemory(_) | Self::Claim(ClaimError::NoMemory, _)
        );
        // The interrupt controller has not probed yet: not an error, the driver core probes again
        // once more drivers have bound (the device is listed in `devices_deferred` meanwhile).
        let deferred = matches!(&self, Self::NoInterrupt(e) if *e == EPROBE_DEFER);
        if deferred {
            return self.errno();
        }
        if !logged_elsewhere {
            dev_err!(dev, "{}\n", self);
        }
        self.errno()
    }
}

/// The text of a name, or a placeholder for one that is not UTF-8.
fn text(name: &CStr) -> &str {
    name.to_str().unwrap_or("?")
}

impl fmt::Display for ProbeError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoNode => {
                f.write_str("no device-tree node: this driver is probed from the device tree")
            }
            Self::Property(e) => f.write_fmt(fmt!("cannot read a property: {e:?}")),
            Self::NoMemory(e) => f.write_fmt(fmt!("out of memory: {e:?}")),
            Self::BadName(name) => f.write_fmt(fmt!(
                "device name '{}' is invalid: it must be 1 to {} bytes without '/'",
                text(name),
                uapi::NAME_LEN - 1
            )),
            Self::BadMemoryType(value) => f.write_fmt(fmt!(
                "linux,memory-type = '{}' is invalid: use \"write-combine\", \"cached\" or \"device\"",
                text(value)
            )),
            Self::ExportDevice => f.write_str(
                "linux,dma-buf-export on a region with linux,memory-type = \"device\": device memory cannot be exported (importers access it with plain stores, which fault on Device memory); use \"write-combine\" or \"cached\", or drop linux,dma-buf-export"
            ),
            Self::ManyRegions { entries, names } => f.write_fmt(fmt!(
                "memory-region has {} entries ({}): a carveout maps exactly one region; give each its own node",
                entries,
                core::str::from_utf8(names).unwrap_or("?")
            )),
            Self::Lookup(LookupError::NoProperty, _) => {
                f.write_str("no memory-region property: a carveout must name its region")
            }
            Self::Lookup(LookupError::BadPhandle, _) => {
                f.write_str("memory-region does not point to a device-tree node")
            }
            Self::Lookup(LookupError::Disabled, region) => {
                f.write_fmt(fmt!("{region} is disabled"))
            }
            Self::Lookup(LookupError::NotReserved, region) => f.write_fmt(fmt!(
                "{region} is not a region of /reserved-memory that the kernel reserved"
            )),
            Self::Unaddressable { region, base, size } => f.write_fmt(fmt!(
                "{region} at {base:#x} (size {size:#x}) lies beyond this kernel's physical addresses (up to {PHYS_MAX:#x}): enable CONFIG_ARM_LPAE or move the region"
            )),
            Self::Mismatch { region, dt } => {
                let spec = region.spec();
                f.write_fmt(fmt!(
                    "{region}: the device tree gives {:#x} bytes at {:#x}, but the kernel reserved {:#x} bytes at {:#x}",
                    dt.1,
                    dt.0,
                    spec.size,
                    spec.base
                ))
            }
            Self::Claim(err @ ClaimError::Invalid(_), region) => {
                let spec = region.spec();
                f.write_fmt(fmt!(
                    "{region} (base {:#x}, size {:#x}): {err}",
                    spec.base,
                    spec.size
                ))
            }
            Self::Claim(err, region) => {
                let spec = region.spec();
                let last = spec.base.saturating_add(spec.size).saturating_sub(1);
                f.write_fmt(fmt!("{region} [{:#x}-{last:#x}] {err}", spec.base))
            }
            Self::MapKernel(_, region, memory_type) => {
                let spec = region.spec();
                f.write_fmt(fmt!(
                    "cannot map {region} ({:#x} bytes at {:#x}) {} into the kernel: too large for vmalloc space?",
                    spec.size,
                    spec.base,
                    memory_type.name()
                ))
            }
            Self::MappingSpace(e) => f.write_fmt(fmt!(
                "cannot allocate the inode for user mappings: {e:?}"
            )),
            Self::NameTaken(name, e) => f.write_fmt(fmt!(
                "device name '{}' is taken by another carveout node ({e:?}): give one a different label",
                text(name)
            )),
            Self::Register(name, e) => f.write_fmt(fmt!(
                "cannot register /dev/{}: {e:?} (is the name taken?)",
                text(name)
            )),
            Self::NoInterrupt(e) => f.write_fmt(fmt!(
                "interrupts: the node names an interrupt this kernel cannot map ({e:?}): check its interrupt-parent and the number of cells its controller takes"
            )),
            Self::SlowBusInterrupt(irq) => f.write_fmt(fmt!(
                "interrupt {irq} (the doorbell) is on a controller behind a slow bus, whose mask and unmask sleep: give the doorbell a line of an interrupt controller that can mask from a handler"
            )),
            Self::RequestInterrupt(irq, e) => f.write_fmt(fmt!(
                "cannot request interrupt {irq} (the doorbell): {e:?} (does another driver hold it, or does its controller need a threaded handler?)"
            )),
        }
    }
}
