// SPDX-License-Identifier: GPL-2.0

//! Probe-time configuration: what a device's node asks for, read and checked before anything
//! is claimed or mapped.

use core::ffi::CStr;
use kernel::{
    device::Device,
    prelude::*,
    str::CString, //
};

use crate::{
    phys::{
        MemoryType,
        ReservedRegion,
        PHYS_MAX, //
    },
    probe_error::ProbeError,
    region::{
        addressable,
        check_placement,
        PlacementError, //
    },
    uapi,
};

/// Device-tree property naming the device file; the node name is used without it.
const PROP_LABEL: &CStr = c"label";
/// Device-tree property choosing the memory type.
const PROP_MEMORY_TYPE: &CStr = c"linux,memory-type";
/// Device-tree property allowing the region to be exported as dma-bufs.
const PROP_DMA_BUF_EXPORT: &CStr = c"linux,dma-buf-export";
/// Device-tree property naming the region's doorbell, an interrupt.
const PROP_INTERRUPTS: &CStr = c"interrupts";
/// The same, with its interrupt controller named in the entry.
const PROP_INTERRUPTS_EXTENDED: &CStr = c"interrupts-extended";

/// What a carveout node asks for: a device name, a memory type and one reserved region whose
/// placement the device tree and the kernel agree on.
pub(crate) struct Config {
    /// The device name: `/dev/<name>`.
    pub(crate) name: CString,
    /// The memory type of every mapping of the region.
    pub(crate) memory_type: MemoryType,
    /// The region `memory-region` names.
    pub(crate) region: ReservedRegion,
    /// Whether windows of the region may be exported as dma-bufs (`CARVEOUT_IOC_EXPORT`).
    pub(crate) dma_buf_export: bool,
    /// Whether the node names an interrupt (`interrupts` or `interrupts-extended`): the
    /// region's doorbell.
    pub(crate) interrupt: bool,
}

impl Config {
    /// Reads and checks `dev`'s device-tree node.
    pub(crate) fn read(dev: &Device) -> Result<Self, ProbeError<'static>> {
        let fwnode = dev.fwnode().ok_or(ProbeError::NoNode)?;

        let name = if fwnode.property_present(PROP_LABEL) {
            fwnode
                .property_read::<CString>(PROP_LABEL)
                .required_by(dev)
                .map_err(ProbeError::Property)?
        } else {
            CString::try_from_fmt(fmt!("{}", fwnode.display_name()))
                .map_err(ProbeError::NoMemory)?
        };
        let bytes = name.to_bytes();
        if bytes.is_empty() || bytes.len() >= uapi::NAME_LEN || bytes.contains(&b'/') {
            return Err(ProbeError::BadName(name));
        }

        let memory_type = if fwnode.property_present(PROP_MEMORY_TYPE) {
            let value = fwnode
                .property_read::<CString>(PROP_MEMORY_TYPE)
                .required_by(dev)
                .map_err(ProbeError::Property)?;
            MemoryType::from_dt(value.to_bytes()).ok_or(ProbeError::BadMemoryType(value))?
        } else {
            MemoryType::WriteCombine
        };

        // Device memory is no buffer for other drivers: the kernel's importers store to a
        // dma-buf's kernel mapping with plain CPU accesses (videobuf2 ignores `is_iomem`), and an
        // unaligned one faults on Device memory.
        let dma_buf_export = fwnode.property_present(PROP_DMA_BUF_EXPORT);
        if dma_buf_export && memory_type == MemoryType::Device {
            return Err(ProbeError::ExportDevice);
        }

        let interrupt = fwnode.property_present(PROP_INTERRUPTS)
            || fwnode.property_present(PROP_INTERRUPTS_EXTENDED);

        let region = Self::one_region(dev)?;
        Ok(Self {
            name,
            memory_type,
            region,
            dma_buf_export,
            interrupt,
        })
    }

    /// The one region `dev`'s `memory-region` names, placed where its `reg` says.
    fn one_region(dev: &Device) -> Result<ReservedRegion, ProbeError<'static>> {
        let entries = ReservedRegion::count(dev);
        if entries > 1 {
            return Err(ProbeError::ManyRegions {
                entries,
                names: Self::region_names(dev, entries),
            });
        }
        let region = ReservedRegion::lookup(dev, 0).map_err(|(err, region)| {
            // A region the kernel did not reserve may be one it could not address: say so.
            match region.dt_reg() {
                Some((base, size)) if !addressable(base, size, PHYS_MAX) => {
                    ProbeError::Unaddressable { region, base, size }
                }
                _ => ProbeError::Lookup(err, region),
            }
        })?;
        let spec = region.spec();
        match check_placement(region.dt_reg(), (spec.base, spec.size), PHYS_MAX) {
            Ok(()) => Ok(region),
            Err(err) => {
                let (base, size) = region.dt_reg().unwrap_or((spec.base, spec.size));
                Err(match err {
                    PlacementError::Unaddressable => ProbeError::Unaddressable {
                        region: region.target().clone(),
                        base,
                        size,
                    },
                    PlacementError::Mismatch => ProbeError::Mismatch {
                        region,
                        dt: (base, size),
                    },
                })
            }
        }
    }

    /// The targets of `dev`'s `entries` `memory-region` entries, quoted and comma-separated,
    /// for the message that refuses them; as many as memory allows.
    fn region_names(dev: &Device, entries: usize) -> KVec<u8> {
        let mut names = KVec::new();
        for index in 0..entries {
            let target = match ReservedRegion::lookup(dev, index) {
                Ok(region) => region.target().clone(),
                Err((_, target)) => target,
            };
            let sep: &[u8] = if index == 0 { b"'" } else { b", '" };
            let pushed = names
                .extend_from_slice(sep, GFP_KERNEL)
                .and_then(|()| names.extend_from_slice(target.name().as_bytes(), GFP_KERNEL))
                .and_then(|()| names.extend_from_slice(b"'", GFP_KERNEL));
            if pushed.is_err() {
                break;
            }
        }
        names
    }
}
