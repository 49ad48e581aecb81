// SPDX-License-Identifier: GPL-2.0

//! Maps a device-tree reserved-memory carveout into the kernel and into user processes.
//!
//! Each device-tree node compatible with `"linux,carveout"` names a `/reserved-memory` child
//! with `memory-region = <&label>` (binding: `dts/bindings/misc/linux,carveout.yaml`):
//!
//! ```text
//! reserved-memory {
//!     #address-cells = <1>;
//!     #size-cells = <1>;
//!     ranges;
//!
//!     fb_carveout: framebuffer@48000000 {
//!         reg = <0x48000000 0x1000000>;
//!         no-map;
//!     };
//! };
//!
//! carveout-fb {
//!     compatible = "linux,carveout";
//!     memory-region = <&fb_carveout>;
//!     label = "carveout-fb";                    /* optional: /dev/<label>, else the node name */
//!     linux,memory-type = "write-combine";      /* optional: the default */
//! };
//! ```
//!
//! Probe checks that the region is reserved, not `reusable`, `no-map`, page-aligned, non-empty,
//! addressable and RAM (not device registers); claims it (it shows in `/proc/iomem` under the
//! device name); maps it into the kernel; checks that no other carveout has the name; and
//! registers the misc device `/dev/<name>`. It never writes the region: what a
//! bootloader or co-processor left there survives probe, remove and module reload.
//!
//! # Memory type
//!
//! One type per region, used for the kernel mapping and every user mapping (two ARMv7 mappings of
//! one page with different types are unpredictable):
//!
//! | `linux,memory-type` | kernel mapping | user mapping            | `CARVEOUT_MEM_*` |
//! |---------------------|----------------|-------------------------|------------------|
//! | `"write-combine"`   | `ioremap_wc`   | `pgprot_writecombine`   | 0                |
//! | `"cached"`          | `memremap(WB)` | default (cacheable)     | 1                |
//! | `"device"`          | `ioremap`      | `pgprot_device`         | 2                |
//!
//! `O_SYNC` does not change the type: a per-open type would create the mismatched alias above.
//!
//! # Userspace ABI
//!
//! - `mmap(2)`: `MAP_SHARED` only (`MAP_PRIVATE` gives `EINVAL`); `PROT_EXEC` gives `EPERM` and
//!   `mprotect` cannot add it later. The offset is a byte offset into the region (a multiple of
//!   the page size); offset + length past the end of the region gives `EINVAL`. The mapping is
//!   `VM_IO | VM_PFNMAP`, cannot grow with `mremap`, and is not in core dumps.
//! - `pread(2)`/`pwrite(2)` (and `read`/`write` from the file position) copy through the kernel
//!   mapping. Reads at or past the end return 0; writes there fail with `ENOSPC`; transfers that
//!   cross the end are shortened. `lseek(2)` fails with `ESPIPE`: use `pread`/`pwrite`.
//! - `ioctl(fd, CARVEOUT_IOC_INFO, &info)`, `CARVEOUT_IOC_INFO = _IOR(0xB9, 0x00, struct
//!   carveout_info)`; any other command gives `ENOTTY`:
//!
//! ```c
//! struct carveout_info {          /* 56 bytes, no padding, same on 32- and 64-bit */
//!     __u64 phys_base;            /* physical base address of the region */
//!     __u64 size;                 /* size in bytes */
//!     __u32 memory_type;          /* CARVEOUT_MEM_WRITE_COMBINE 0, _CACHED 1, _DEVICE 2 */
//!     __u32 flags;                /* 0 */
//!     char  name[32];             /* device name, NUL-terminated */
//! };
//! ```
//!
//! # Lifecycle
//!
//! - While a process holds a device file open or mapped, the module cannot be unloaded
//!   (`rmmod` says it is in use).
//! - Unbinding a device (`echo <node> > /sys/bus/platform/drivers/carveout/unbind`) revokes it:
//!   every user mapping of it is zapped, so touching one raises `SIGBUS`; every later call on a
//!   file still open fails with `ENODEV`; the range is released, so a rebind probes again and new
//!   mappings see the same contents. The device file is root-only (mode 0600, as devtmpfs
//!   creates it).
//!
//! Limitations:
//! - `memory-region` has exactly one entry: probe refuses a node with more, naming them.
//! - The region's `reg` must lie within this kernel's physical addresses (below 4 GiB on 32-bit
//!   ARM without LPAE): probe refuses it otherwise, naming the address the device tree gives,
//!   rather than trust the truncated address the kernel reserved.
//! - A name clash with another driver's misc device is found by the misc core, not by this driver.
//! - The kernel mapping uses vmalloc space: regions of hundreds of MiB may not fit on 32-bit ARM.

mod config;
mod device;
mod driver;
mod file;
mod misc;
mod names;
mod phys;
mod probe_error;
mod region;
mod uapi;

kernel::prelude::module! {
    type: driver::CarveoutModule,
    name: "carveout",
    authors: ["The carveout authors"],
    description: "Reserved-memory carveout mapped into user space",
    license: "GPL v2",
}
