// SPDX-License-Identifier: GPL-2.0

//! What the task running a long call (a copy or a sync of a large region, the purge at unbind)
//! does between its chunks: let others run, and learn whether it was killed.

extern "C" {
    fn carveout_cond_resched();
    fn carveout_fatal_signal_pending() -> bool;
}

/// Lets another task run if one should: long maintenance and copies run in chunks with this
/// between. Only from process context, holding no spinlock and no RCU read lock.
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched` has no memory-safety preconditions; the context it needs (which
    // the callers, `read`, `write`, the sync ioctl and the purge at unbind between their guarded
    // chunks, give) is a correctness matter that `might_sleep` checks on debug kernels.
    unsafe { carveout_cond_resched() };
}

/// Whether the current task has been killed (`SIGKILL`, or a signal whose default action kills
/// it): a long copy stops between chunks for it, as `/dev/mem` does, with what it has done.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: `fatal_signal_pending` reads the current task's pending signals; it has no
    // preconditions.
    unsafe { carveout_fatal_signal_pending() }
}
