// SPDX-License-Identifier: GPL-2.0

//! Which part of a user mapping takes block entries (2 MiB each on arm64 with 4 KiB pages)
//! instead of page entries, as plain arithmetic.
//!
//! Nothing here touches the kernel: the same file is compiled with `rustc --test` on the host
//! (`make host-test`). `phys/user_mapping.rs` applies the rules: at `mmap` it maps the edges with
//! page entries and leaves the span to faults; a fault inserts a block where [`fault_block`]
//! finds one, and a page entry where it does not.
//!
//! A block entry maps `block` bytes of physical memory aligned to `block` at a user address
//! aligned to `block`. So a mapping of the physical address `phys` at the user address `start`
//! can take block entries only if the two are congruent modulo `block`, and then exactly over the
//! aligned blocks that lie wholly inside `[start, end)`; the parts before and after them, the
//! edges, take page entries.

/// The user addresses `[first, last)` of the mapping `[start, end)` of physical memory from
/// `phys` that block entries of `block` bytes (a power of two) cover, or `None` if the addresses
/// are not congruent modulo `block` or no whole block fits.
pub(crate) fn block_span(
    start: usize,
    end: usize,
    phys: u64,
    block: usize,
) -> Option<(usize, usize)> {
    if !block.is_power_of_two() {
        return None;
    }
    let mask = block - 1;
    // Lossless: `usize` is at most 64 bits on every target this builds for.
    if (start as u64 ^ phys) & mask as u64 != 0 {
        return None;
    }
    let first = start.checked_add(mask)? & !mask;
    let last = end & !mask;
    (first < last).then_some((first, last))
}

/// The user address of the block of `block` bytes (a power of two) that holds `addr`, if that
/// block lies wholly inside the mapping `[start, end)`.
pub(crate) fn fault_block(addr: usize, start: usize, end: usize, block: usize) -> Option<usize> {
    if !block.is_power_of_two() {
        return None;
    }
    let first = addr & !(block - 1);
    let last = first.checked_add(block)?;
    (first >= start && last <= end).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;
    const BLOCK: usize = 2 * MIB;

    #[test]
    fn aligned_mapping_is_all_blocks() {
        let start = 0x7f00_0000_0000;
        assert_eq!(
            block_span(start, start + 16 * MIB, 0x5800_0000, BLOCK),
            Some((start, start + 16 * MIB))
        );
    }

    #[test]
    fn edges_take_pages() {
        // 4 KiB into a block on both sides: one block short at each end.
        let start = 0x7f00_0000_1000;
        let phys = 0x5800_1000;
        assert_eq!(
            block_span(start, start + 8 * MIB, phys, BLOCK),
            Some((0x7f00_0020_0000, 0x7f00_0080_0000))
        );
    }

    #[test]
    fn incongruent_addresses_take_no_block() {
        let start = 0x7f00_0000_0000;
        assert_eq!(
            block_span(start, start + 16 * MIB, 0x5800_1000, BLOCK),
            None
        );
        // Congruent modulo 4 KiB and 1 MiB, not 2 MiB.
        assert_eq!(
            block_span(start, start + 16 * MIB, 0x5810_0000, BLOCK),
            None
        );
    }

    #[test]
    fn too_small_for_a_block() {
        let start = 0x7f00_0000_0000;
        assert_eq!(
            block_span(start, start + BLOCK - 4096, 0x5800_0000, BLOCK),
            None
        );
        // 2 MiB long but straddling two blocks.
        let start = 0x7f00_0010_0000;
        assert_eq!(block_span(start, start + BLOCK, 0x5810_0000, BLOCK), None);
    }

    #[test]
    fn exactly_one_block() {
        let start = 0x7f00_0020_0000;
        assert_eq!(
            block_span(start, start + BLOCK, 0x5820_0000, BLOCK),
            Some((start, start + BLOCK))
        );
    }

    #[test]
    fn top_of_the_address_space_does_not_wrap() {
        let start = usize::MAX - 4095;
        assert_eq!(block_span(start, usize::MAX, 0xffff_f000, BLOCK), None);
        assert_eq!(
            fault_block(usize::MAX - 4095, usize::MAX - BLOCK, usize::MAX, BLOCK),
            None
        );
    }

    #[test]
    fn bad_block_sizes() {
        assert_eq!(block_span(0, BLOCK, 0, 0), None);
        assert_eq!(block_span(0, 3 * MIB, 0, 3 * MIB), None);
        assert_eq!(fault_block(0, 0, BLOCK, 0), None);
    }

    #[test]
    fn fault_inside_a_whole_block() {
        let start = 0x7f00_0000_0000;
        let end = start + 4 * MIB;
        assert_eq!(
            fault_block(start + 3 * MIB, start, end, BLOCK),
            Some(start + BLOCK)
        );
        assert_eq!(fault_block(start, start, end, BLOCK), Some(start));
    }

    #[test]
    fn fault_in_a_partial_block() {
        // After a partial munmap: the mapping starts 4 KiB into a block.
        let start = 0x7f00_0000_1000;
        let end = 0x7f00_0040_0000;
        assert_eq!(fault_block(start, start, end, BLOCK), None);
        assert_eq!(
            fault_block(start + BLOCK, start, end, BLOCK),
            Some(0x7f00_0020_0000)
        );
        // Or ends 4 KiB short of one.
        assert_eq!(
            fault_block(0x7f00_0030_0000, 0x7f00_0020_0000, 0x7f00_003f_f000, BLOCK),
            None
        );
    }
}
