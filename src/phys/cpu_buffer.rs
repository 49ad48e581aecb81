// SPDX-License-Identifier: GPL-2.0

//! A page-sized buffer per CPU, for copies that need a bounce buffer on a path that must neither
//! allocate nor lock: a device region's `read` and `write`, inside the kernel mapping's guard.

use core::cell::UnsafeCell;
use kernel::{
    cpu::nr_cpu_ids,
    page::PAGE_SIZE,
    prelude::*, //
};

extern "C" {
    fn carveout_get_cpu() -> u32;
    fn carveout_put_cpu();
    fn carveout_in_task() -> bool;
}

/// Bytes of each CPU's buffer.
pub(crate) const CPU_BUFFER: usize = PAGE_SIZE;

/// A cache line of a buffer: the alignment of every CPU's buffer (arm64's user copy aligns its
/// kernel-side pointer first, so a misaligned buffer would make its accesses to a page-aligned
/// user buffer unaligned, which a Device-type user mapping refuses).
#[repr(C, align(64))]
struct Line([u8; 64]);

/// Lines in one CPU's buffer.
const LINES: usize = CPU_BUFFER / core::mem::size_of::<Line>();

/// One [`CPU_BUFFER`]-byte buffer per possible CPU.
///
/// # Invariants
///
/// `lines` holds `LINES` lines per possible CPU id: CPU `i`'s buffer is lines
/// `[i * LINES, (i + 1) * LINES)`. A buffer is written and read only inside
/// [`CpuBuffers::with`], on its CPU, with preemption disabled, in task context.
pub(crate) struct CpuBuffers {
    lines: KVVec<UnsafeCell<Line>>,
}

// SAFETY: The buffers hold plain bytes; which thread frees them does not matter.
unsafe impl Send for CpuBuffers {}
// SAFETY: Shared use goes through `with`, which gives each CPU's buffer only to the one task
// running on that CPU with preemption disabled (and never to interrupt context, which could
// interrupt it): no two users ever hold the same buffer.
unsafe impl Sync for CpuBuffers {}

impl CpuBuffers {
    /// Allocates a zeroed buffer for every possible CPU.
    pub(crate) fn new() -> Result<Self> {
        // Lossless: a CPU id count fits in `usize` on every architecture Linux supports.
        let count = nr_cpu_ids() as usize * LINES;
        let mut lines = KVVec::with_capacity(count, GFP_KERNEL)?;
        for _ in 0..count {
            lines.push(UnsafeCell::new(Line([0; 64])), GFP_KERNEL)?;
        }
        // INVARIANT: `LINES` lines for each possible CPU id, used by nobody yet.
        Ok(Self { lines })
    }

    /// Runs `f` on this CPU's buffer with preemption disabled, so `f` must not sleep. `None` in
    /// interrupt context, where the buffer may be in use by the task it interrupted.
    ///
    /// # Safety
    ///
    /// `f` must not call `with` on the same `CpuBuffers`: it would get the same buffer again.
    pub(crate) unsafe fn with<R>(&self, f: impl FnOnce(&mut [u8; CPU_BUFFER]) -> R) -> Option<R> {
        // SAFETY: `in_task` only reads the preemption count.
        if !unsafe { carveout_in_task() } {
            return None;
        }
        // SAFETY: Disables preemption until the matching `carveout_put_cpu` below.
        let cpu = unsafe { carveout_get_cpu() } as usize;
        let first = cpu * LINES;
        let result = match self.lines.get(first..first + LINES) {
            Some(lines) => {
                let buffer = UnsafeCell::raw_get(lines.as_ptr()).cast::<[u8; CPU_BUFFER]>();
                // SAFETY: `lines` are this CPU's `LINES` contiguous lines (`UnsafeCell<Line>` is
                // laid out as `Line`, 64 bytes without padding), so `buffer` points to
                // `CPU_BUFFER` bytes inside `UnsafeCell`s, aligned to 64. No one else uses them
                // until `carveout_put_cpu`: preemption is off and this is task context (type
                // invariant), and `f` does not re-enter `with` (the caller's contract).
                Some(f(unsafe { &mut *buffer }))
            }
            // A CPU id at or past `nr_cpu_ids` does not happen; refuse rather than trust it.
            None => None,
        };
        // SAFETY: Matches the `carveout_get_cpu` above.
        unsafe { carveout_put_cpu() };
        result
    }
}
