// SPDX-License-Identifier: GPL-2.0

//! The read-only sysfs attributes of a carveout's misc device, in `/sys/class/misc/<name>/`:
//! `phys_addr`, `size` and `memory_type` (`docs/ABI/sysfs-class-misc-carveout` describes them).
//! Every value is fixed at probe.

use core::fmt::{
    self,
    Write, //
};

use crate::{
    carveout::Carveout,
    file::CarveoutFile,
    misc::{
        Attribute,
        AttributeGroup,
        AttributeGroups,
        AttributeList,
        SysfsText, //
    },
};

static PHYS_ADDR: Attribute<CarveoutFile> = Attribute::read_only(c"phys_addr", show_phys_addr);
static SIZE: Attribute<CarveoutFile> = Attribute::read_only(c"size", show_size);
static MEMORY_TYPE: Attribute<CarveoutFile> =
    Attribute::read_only(c"memory_type", show_memory_type);

static ATTRIBUTES: AttributeList<CarveoutFile, 4> =
    AttributeList::new(&[&PHYS_ADDR, &SIZE, &MEMORY_TYPE]);
static GROUP: AttributeGroup<CarveoutFile> = AttributeGroup::new(&ATTRIBUTES);

/// The attribute groups of every carveout's misc device.
pub(crate) static GROUPS: AttributeGroups<CarveoutFile> = AttributeGroups::new(&GROUP);

/// `phys_addr`: the physical base address, `0x` and lower-case hex.
fn show_phys_addr(carveout: &Carveout, out: &mut SysfsText<'_>) -> fmt::Result {
    writeln!(out, "{:#x}", carveout.phys_base())
}

/// `size`: the size in bytes, decimal.
fn show_size(carveout: &Carveout, out: &mut SysfsText<'_>) -> fmt::Result {
    writeln!(out, "{}", carveout.size())
}

/// `memory_type`: the device-tree spelling (`write-combine`, `cached` or `device`).
fn show_memory_type(carveout: &Carveout, out: &mut SysfsText<'_>) -> fmt::Result {
    writeln!(out, "{}", carveout.memory_type().name())
}
