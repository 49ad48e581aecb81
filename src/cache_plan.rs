// SPDX-License-Identifier: GPL-2.0

//! The cache maintenance a sync of a cached region makes, and in which order, as plain data.
//!
//! Nothing here touches the kernel: the same file is compiled with `rustc --test` on the host
//! (`make host-test`), so that the order, which no board under QEMU can show (TCG models no
//! caches), is tested where it is decided. `phys/cache.rs` carries out a plan, one operation
//! after the other; `phys/cache.c` says which instruction each operation is on each architecture.
//!
//! # What a sync promises, and why these operations keep it
//!
//! A sync never loses a byte: no store, by any CPU, before or during the sync, is discarded.
//! That rules out every invalidate-only operation, which drops a dirty line: between a clean and
//! an invalidate of one line, another CPU (a process's mapping, a concurrent `pwrite`) may store
//! to it, and the invalidate would drop that store. So [`CacheOp`] has no such operation: each
//! operation either cleans, or cleans and invalidates one line as one step, which the
//! architecture makes atomic per line (ARMv7 `DCCIMVAC`, arm64 `DC CIVAC`, a PL310 outer cache's
//! clean-and-invalidate by physical address): a store lands either before the step, and is
//! written back, or after it, and stays in a cache, dirty, to be written back later. This is
//! what the DMA API does for `DMA_BIDIRECTIONAL` on 32-bit ARM; it is stronger than what arm64's
//! DMA API does for the CPU (`dcache_inval_poc`, which relies on the DMA API's rule that the CPU
//! leaves the buffer alone meanwhile, a rule this driver's ABI does not impose).
//!
//! Since no sync changes a value that any CPU reads, a file opened read-only may sync in every
//! direction: it gains no power over the contents by it (`docs/abi.md`).
//!
//! # Order, inner caches and outer cache (32-bit ARM)
//!
//! An outer cache (a PL310-style L2, maintained by physical address) sits between the inner
//! caches and memory:
//!
//! - For the device, data must reach memory: the inner caches are cleaned first, so that what
//!   they write back is in the outer cache before it is cleaned.
//! - For the CPU, stale lines must go: the outer cache first, then the inner caches, so that a
//!   line the inner caches fetch from the outer cache meanwhile (a prefetch) is dropped after the
//!   outer cache's copy is. A line the CPU wrote and no one synced is written back into the outer
//!   cache by the second step, not dropped: if a device wrote the same line meanwhile, the CPU's
//!   store wins, as it would on any later eviction (writers must not share a cache line).
//! - Both: the device's order, then the CPU's.
//!
//! arm64 has no outer cache to maintain: its operations reach the point of coherency themselves,
//! and the outer steps do nothing there.

/// Whom a range is made coherent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncDirection {
    /// The device will read: CPU writes must reach memory.
    ForDevice,
    /// The CPU will read: it must see what the device wrote.
    ForCpu,
    /// Both.
    Bidirectional,
}

impl SyncDirection {
    /// Whether CPU writes must reach memory.
    pub(crate) fn for_device(self) -> bool {
        matches!(self, Self::ForDevice | Self::Bidirectional)
    }
}

/// One cache-maintenance step over a range, every line of it.
///
/// There is deliberately no invalidate-only step (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheOp {
    /// Writes the inner caches' dirty lines back, by virtual address, to the point of
    /// coherency; the lines may stay or go.
    InnerClean,
    /// Writes the outer cache's dirty lines back, by physical address.
    OuterClean,
    /// Writes back and drops the inner caches' lines, one line at a time.
    InnerCleanInvalidate,
    /// Writes back and drops the outer cache's lines, one line at a time.
    OuterCleanInvalidate,
}

/// The steps of a sync for `direction`, in the order they must run.
pub(crate) fn sync_plan(direction: SyncDirection) -> &'static [CacheOp] {
    use CacheOp::*;
    match direction {
        SyncDirection::ForDevice => &[InnerClean, OuterClean],
        SyncDirection::ForCpu => &[OuterCleanInvalidate, InnerCleanInvalidate],
        SyncDirection::Bidirectional => &[InnerClean, OuterCleanInvalidate, InnerCleanInvalidate],
    }
}

/// The steps that leave no line of a cached region in any cache, what the CPUs stored written
/// back: when its kernel mapping is made at probe (lines a former cached mapping left) and
/// before it goes at unbind (lines this one filled). The same as a sync both ways.
pub(crate) fn purge_plan() -> &'static [CacheOp] {
    sync_plan(SyncDirection::Bidirectional)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CacheOp::*;

    const ALL: [SyncDirection; 3] = [
        SyncDirection::ForDevice,
        SyncDirection::ForCpu,
        SyncDirection::Bidirectional,
    ];

    fn position(plan: &[CacheOp], wanted: &[CacheOp]) -> Option<usize> {
        plan.iter().position(|op| wanted.contains(op))
    }

    fn last_position(plan: &[CacheOp], wanted: &[CacheOp]) -> Option<usize> {
        plan.iter().rposition(|op| wanted.contains(op))
    }

    #[test]
    fn every_plan_reaches_both_levels() {
        for direction in ALL {
            let plan = sync_plan(direction);
            assert!(
                position(plan, &[InnerClean, InnerCleanInvalidate]).is_some(),
                "{direction:?}: no inner step in {plan:?}"
            );
            assert!(
                position(plan, &[OuterClean, OuterCleanInvalidate]).is_some(),
                "{direction:?}: no outer step in {plan:?}"
            );
        }
    }

    #[test]
    fn for_the_device_the_inner_caches_are_cleaned_before_the_outer_cache() {
        for direction in ALL.into_iter().filter(|d| d.for_device()) {
            let plan = sync_plan(direction);
            let inner = position(plan, &[InnerClean, InnerCleanInvalidate]);
            let outer = position(plan, &[OuterClean, OuterCleanInvalidate]);
            assert!(inner < outer, "{direction:?}: {plan:?}");
        }
    }

    #[test]
    fn for_the_cpu_the_outer_cache_is_invalidated_before_the_inner_caches_last() {
        for direction in [SyncDirection::ForCpu, SyncDirection::Bidirectional] {
            let plan = sync_plan(direction);
            let outer = last_position(plan, &[OuterCleanInvalidate]);
            let inner = last_position(plan, &[InnerCleanInvalidate]);
            assert!(
                outer.is_some() && inner.is_some(),
                "{direction:?}: {plan:?}"
            );
            assert!(outer < inner, "{direction:?}: {plan:?}");
            // Nothing after the last inner invalidate can bring a stale line back.
            assert_eq!(inner, Some(plan.len() - 1), "{direction:?}: {plan:?}");
        }
    }

    #[test]
    fn a_sync_for_the_device_drops_nothing_it_need_not() {
        assert_eq!(
            sync_plan(SyncDirection::ForDevice),
            &[InnerClean, OuterClean]
        );
    }

    #[test]
    fn a_purge_leaves_every_line_written_back_and_dropped() {
        let plan = purge_plan();
        assert_eq!(plan.last(), Some(&InnerCleanInvalidate), "{plan:?}");
        assert!(plan.contains(&OuterCleanInvalidate), "{plan:?}");
        let outer = position(plan, &[OuterCleanInvalidate]);
        let inner_clean = position(plan, &[InnerClean, InnerCleanInvalidate]);
        assert!(inner_clean < outer, "{plan:?}");
    }
}
