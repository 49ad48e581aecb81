// SPDX-License-Identifier: GPL-2.0

//! The `/reserved-memory` region a device's `memory-region` names.
//!
//! `linux/of_reserved_mem.h` is not in the Rust bindings of Linux 7.3, and the phandle and node
//! helpers are inline: `reserved.c` reads the facts, and [`ReservedRegion::lookup`] decides what
//! they mean.

use core::{
    ffi::{
        c_int,
        CStr, //
    },
    mem::{
        offset_of,
        size_of, //
    },
};
use kernel::{
    bindings,
    device::Device,
    fmt,
    prelude::*, //
};

use crate::{
    ffi::raw_device,
    region::RegionSpec, //
};

/// Mirror of `struct carveout_rmem` in `reserved.h`: what the device tree and the kernel's
/// reserved-memory table say about one `memory-region` target.
#[derive(Clone)]
#[repr(C)]
struct RawReservedRegion {
    base: u64,
    size: u64,
    dt_base: u64,
    dt_size: u64,
    dt_reg: bool,
    has_property: bool,
    resolved: bool,
    available: bool,
    under_root_rmem: bool,
    reserved: bool,
    no_map: bool,
    reusable: bool,
    name: [u8; 48],
}

// `reserved.c` asserts the same layout for `struct carveout_rmem`.
const _: () = {
    assert!(size_of::<RawReservedRegion>() == 88);
    assert!(offset_of!(RawReservedRegion, base) == 0);
    assert!(offset_of!(RawReservedRegion, size) == 8);
    assert!(offset_of!(RawReservedRegion, dt_base) == 16);
    assert!(offset_of!(RawReservedRegion, dt_size) == 24);
    assert!(offset_of!(RawReservedRegion, dt_reg) == 32);
    assert!(offset_of!(RawReservedRegion, has_property) == 33);
    assert!(offset_of!(RawReservedRegion, resolved) == 34);
    assert!(offset_of!(RawReservedRegion, available) == 35);
    assert!(offset_of!(RawReservedRegion, under_root_rmem) == 36);
    assert!(offset_of!(RawReservedRegion, reserved) == 37);
    assert!(offset_of!(RawReservedRegion, no_map) == 38);
    assert!(offset_of!(RawReservedRegion, reusable) == 39);
    assert!(offset_of!(RawReservedRegion, name) == 40);
};

// The C structs behind these pointers are only passed through, but bindgen gives some structs
// they contain no fields on some configurations (this board's warned of `sched_statistics`,
// empty without `CONFIG_SCHEDSTATS`), which `improper_ctypes` flags even behind a pointer.
// `allow`, not `expect`: whether it fires depends on the configuration.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_rmem_count(dev: *mut bindings::device) -> c_int;
    fn carveout_rmem_lookup(dev: *mut bindings::device, index: c_int, out: *mut RawReservedRegion);
}

/// Why [`ReservedRegion::lookup`] found no usable region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// The node has no `memory-region` property.
    NoProperty,
    /// The `memory-region` phandle does not resolve to a node.
    BadPhandle,
    /// The target node is disabled.
    Disabled,
    /// The target is not a region the kernel reserved under `/reserved-memory`.
    NotReserved,
}

impl LookupError {
    /// The errno probe returns for this error.
    pub(crate) fn errno(self) -> Error {
        match self {
            Self::NoProperty | Self::Disabled => ENODEV,
            Self::BadPhandle | Self::NotReserved => EINVAL,
        }
    }
}

/// The node one `memory-region` entry points to, as far as it is known: its name and its `reg`.
/// What [`ReservedRegion::lookup`] returns beside a [`LookupError`], for the message; nothing can
/// be claimed through it.
#[derive(Clone)]
pub(crate) struct RegionTarget {
    raw: RawReservedRegion,
}

impl RegionTarget {
    /// The first entry of the node's own `reg`, as the device tree gives it: (base, size).
    /// `None` for a node without `reg` (a region the kernel placed itself).
    pub(crate) fn dt_reg(&self) -> Option<(u64, u64)> {
        self.raw
            .dt_reg
            .then_some((self.raw.dt_base, self.raw.dt_size))
    }

    /// The node's name, as text (empty if no node was found).
    pub(crate) fn name(&self) -> &str {
        CStr::from_bytes_until_nul(&self.raw.name)
            .ok()
            .and_then(|name| name.to_str().ok())
            .unwrap_or("?")
    }
}

impl fmt::Display for RegionTarget {
    /// `memory-region '<name>'`, the way every probe message names the region.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(fmt!("memory-region '{}'", self.name()))
    }
}

/// A region of the root's `/reserved-memory` that the kernel reserved at boot, named by one
/// `memory-region` entry.
///
/// # Invariants
///
/// `target.raw` describes an enabled child of the root's `reserved-memory` node that
/// `of_reserved_mem_lookup()` found: its `base` and `size` are what the kernel reserved for it,
/// its `no_map` and `reusable` its own properties.
#[derive(Clone)]
pub(crate) struct ReservedRegion {
    target: RegionTarget,
}

impl ReservedRegion {
    /// The number of entries of `dev`'s `memory-region` property (0 without one).
    pub(crate) fn count(dev: &Device) -> usize {
        // SAFETY: `raw_device(dev)` points to a live `struct device` for the duration of the
        // call (it is borrowed from `dev`); the helper only reads its device-tree node.
        let count = unsafe { carveout_rmem_count(raw_device(dev)) };
        usize::try_from(count).unwrap_or(0)
    }

    /// Looks up entry `index` of `dev`'s `memory-region`. On error, also returns what is known
    /// of the target node, for the message.
    pub(crate) fn lookup(dev: &Device, index: usize) -> Result<Self, (LookupError, RegionTarget)> {
        let mut raw = RawReservedRegion {
            base: 0,
            size: 0,
            dt_base: 0,
            dt_size: 0,
            dt_reg: false,
            has_property: false,
            resolved: false,
            available: false,
            under_root_rmem: false,
            reserved: false,
            no_map: false,
            reusable: false,
            name: [0; 48],
        };
        // An index past `c_int` names no entry: the helper then resolves no node (`BadPhandle`).
        let index = c_int::try_from(index).unwrap_or(c_int::MAX);
        // SAFETY: `raw_device(dev)` points to a live `struct device` for the duration of the
        // call and `raw` is a valid, writable `struct carveout_rmem` (layout checked above).
        unsafe { carveout_rmem_lookup(raw_device(dev), index, &mut raw) };
        let verdict = if !raw.has_property {
            Err(LookupError::NoProperty)
        } else if !raw.resolved {
            Err(LookupError::BadPhandle)
        } else if !raw.available {
            Err(LookupError::Disabled)
        } else if !raw.under_root_rmem || !raw.reserved {
            Err(LookupError::NotReserved)
        } else {
            Ok(())
        };
        let target = RegionTarget { raw };
        match verdict {
            // INVARIANT: The facts checked just above are the invariant's.
            Ok(()) => Ok(Self { target }),
            Err(err) => Err((err, target)),
        }
    }

    /// The node's name and `reg`.
    pub(crate) fn target(&self) -> &RegionTarget {
        &self.target
    }

    /// The first entry of the node's own `reg`, as the device tree gives it (see
    /// [`RegionTarget::dt_reg`]).
    pub(crate) fn dt_reg(&self) -> Option<(u64, u64)> {
        self.target.dt_reg()
    }

    /// What the kernel reserved and the node's own properties.
    pub(crate) fn spec(&self) -> RegionSpec {
        let raw = &self.target.raw;
        RegionSpec {
            base: raw.base,
            size: raw.size,
            no_map: raw.no_map,
            reusable: raw.reusable,
        }
    }
}

impl fmt::Display for ReservedRegion {
    /// `memory-region '<name>'`, the way every probe message names the region.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.target.fmt(f)
    }
}
