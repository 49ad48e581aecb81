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
//! The memory type (`linux,memory-type`: `"write-combine"`, the default, `"cached"` or
//! `"device"`) is one per region and used for the kernel mapping and every user mapping: two
//! ARMv7 mappings of one page with different types are unpredictable (see `phys.rs`).
//!
//! An `interrupts` (or `interrupts-extended`) entry on the node is the region's doorbell: the
//! driver counts the interrupt and wakes the processes listening for it (see `doorbell.rs`).
//!
//! The userspace ABI (the device file, `mmap`, `pread`/`pwrite`, `lseek`, the sysfs attributes,
//! the info, sync, export and doorbell ioctls, the memory-type values, what unbind and unload do
//! to open files and mappings) is written down once, in `docs/abi.md`; the ioctls are defined by
//! `include/uapi/linux/carveout.h`, which `uapi.rs` mirrors and is checked against at build
//! time. How probe, revocation and the races are made safe: `driver.rs` (publication and
//! teardown order) and `carveout.rs` (the lock order), summarised in `docs/design.md`.
//!
//! Limitations:
//! - `memory-region` has exactly one entry: probe refuses a node with more, naming them.
//! - The region's `reg` must lie within this kernel's physical addresses (below 4 GiB on 32-bit
//!   ARM without LPAE): probe refuses it otherwise, naming the address the device tree gives,
//!   rather than trust the truncated address the kernel reserved.
//! - A name clash with another driver's misc device is found by the misc core, not by this driver.
//! - The kernel mapping uses vmalloc space: regions of hundreds of MiB may not fit on 32-bit ARM.
//! - One doorbell per node (its first interrupt), on a controller that can mask a line without
//!   sleeping: probe refuses one behind a slow bus.
//! - ARM only: 32-bit (with or without LPAE) and arm64 are built and tested (`make test
//!   BOARD=...`); `phys/cache.c` stops the build on other architectures.

// The modules, each group after the groups it uses (`ci/mod-deps.py src/carveout_main.rs`
// prints the graph; `make lint` fails on a cycle).
//
// Rust that uses no other module and no C: the ABI's types and numbers, the region's arithmetic,
// the cache plan and the block plan (all three host-tested), the table of device names, a new
// file and the descriptor reserved for it.
mod block_plan;
mod cache_plan;
mod names;
mod new_file;
mod region;
mod uapi;

// The C boundary: what Linux 7.3's `kernel` crate lacks, each beside its C glue. Only these files
// name `bindings` or declare `extern "C"` (`make lint` checks). Physical memory, then the misc
// device, which maps it; the doorbell, an interrupt and the files that listen for it.
mod ffi;
mod task;
mod user_copy;

mod phys;

mod misc;

mod doorbell;

// The driver: a device-tree node read and judged, the carveout it makes, its device file and
// attributes, and the platform driver that binds them.
mod probe_error;

mod config;

mod carveout;

mod file;

mod sysfs;

mod driver;

kernel::prelude::module! {
    type: driver::CarveoutModule,
    name: "carveout",
    authors: ["The carveout authors"],
    description: "Reserved-memory carveout mapped into user space",
    license: "GPL v2",
}
