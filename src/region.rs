// SPDX-License-Identifier: GPL-2.0

//! The rules a carveout and every access to it obey, as plain arithmetic.
//!
//! Nothing here touches the kernel: the same file is compiled with `rustc --test` on the host
//! (`make host-test`) so that every rule is unit-tested before it runs on a board.

/// Why a reserved-memory region cannot be used as a carveout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegionError {
    /// The region lacks `no-map`, so the kernel's linear map covers it with a cached alias.
    NotNoMap,
    /// The region is `reusable` (CMA): the page allocator hands its pages out.
    Reusable,
    /// The region has no bytes.
    ZeroSize,
    /// The base is not a multiple of the page size.
    BaseUnaligned,
    /// The size is not a multiple of the page size.
    SizeUnaligned,
    /// `base + size` does not fit in a physical address.
    Overflow,
    /// The size does not fit in the kernel's address-sized integers.
    TooLarge,
}

impl RegionError {
    /// The rule that was broken, for the probe error message.
    pub(crate) fn rule(self) -> &'static str {
        match self {
            Self::NotNoMap => "must have `no-map` (else the kernel maps it cached)",
            Self::Reusable => "must not be `reusable` (CMA pages belong to the page allocator)",
            Self::ZeroSize => "size must not be zero",
            Self::BaseUnaligned => "base must be page-aligned",
            Self::SizeUnaligned => "size must be a multiple of the page size",
            Self::Overflow => "base + size must not overflow the physical address space",
            Self::TooLarge => "size must fit in the kernel's address space",
        }
    }
}

/// Why the range the kernel reserved for a region is not the one the device tree gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlacementError {
    /// The device tree places the region, in whole or in part, above the highest physical
    /// address this kernel can hold (a 32-bit `phys_addr_t` without LPAE): the kernel truncated
    /// the address when it reserved the region.
    Unaddressable,
    /// The kernel reserved another range than the device tree's `reg` gives.
    Mismatch,
}

/// Whether `[base, base + size)` lies at or below `phys_max`, with no sum overflowing.
pub(crate) fn addressable(base: u64, size: u64, phys_max: u64) -> bool {
    base <= phys_max
        && base
            .checked_add(size.saturating_sub(1))
            .is_some_and(|last| last <= phys_max)
}

/// Checks the range the kernel reserved for a region, `reserved` (base, size), against the
/// first entry of the region's own `reg`, `dt` (`None` for a region without `reg`, which the
/// kernel placed itself). The kernel's record is trusted only where it is what the device
/// tree says.
pub(crate) fn check_placement(
    dt: Option<(u64, u64)>,
    reserved: (u64, u64),
    phys_max: u64,
) -> Result<(), PlacementError> {
    let Some((base, size)) = dt else {
        return Ok(());
    };
    if !addressable(base, size, phys_max) {
        return Err(PlacementError::Unaddressable);
    }
    if (base, size) != reserved {
        return Err(PlacementError::Mismatch);
    }
    Ok(())
}

/// What the device tree says about a reserved-memory region.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegionSpec {
    /// Physical base address.
    pub(crate) base: u64,
    /// Size in bytes.
    pub(crate) size: u64,
    /// Whether the region has `no-map`.
    pub(crate) no_map: bool,
    /// Whether the region has `reusable`.
    pub(crate) reusable: bool,
}

/// A validated carveout: page-aligned, non-empty, addressable.
///
/// # Invariants
///
/// `base` and `size` are multiples of `page_size`, `size > 0`, `base + size - 1 <= phys_max`,
/// and `size` fits in `usize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    base: u64,
    size: usize,
    page_shift: u32,
}

/// Why an mmap window is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowError {
    /// The length is zero.
    Empty,
    /// The offset (in pages) lies at or past the end of the region, or overflows.
    OffsetOutOfRange,
    /// The offset is inside the region but offset + length runs past its end, or overflows.
    LengthOutOfRange,
}

/// Why a dma-buf export's range is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportRangeError {
    /// The offset or the length is not a multiple of the page size: a dma-buf is mapped by
    /// whole pages.
    Unaligned,
    /// The length is zero.
    Empty,
    /// The range does not lie inside the region.
    OutOfRange,
    /// The length does not fit the 32 bits a scatter-table entry gives it (`sg_dma_len`): a
    /// dma-buf is one entry, at most 4 GiB less a page.
    TooLarge,
}

/// Where a read or write lands in the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IoSpan {
    /// Copy `len` bytes at byte `offset`; `len` may be shorter than asked (end of region).
    At { offset: usize, len: usize },
    /// The position is at or past the end of the region.
    End,
}

impl Region {
    /// Validates `spec` for pages of `1 << page_shift` bytes and physical addresses up to
    /// `phys_max`.
    pub(crate) fn new(
        spec: RegionSpec,
        page_shift: u32,
        phys_max: u64,
    ) -> Result<Self, RegionError> {
        let page_mask = (1u64 << page_shift) - 1;
        if spec.reusable {
            return Err(RegionError::Reusable);
        }
        if !spec.no_map {
            return Err(RegionError::NotNoMap);
        }
        if spec.size == 0 {
            return Err(RegionError::ZeroSize);
        }
        if spec.base & page_mask != 0 {
            return Err(RegionError::BaseUnaligned);
        }
        if spec.size & page_mask != 0 {
            return Err(RegionError::SizeUnaligned);
        }
        match spec.base.checked_add(spec.size - 1) {
            Some(last) if last <= phys_max => {}
            _ => return Err(RegionError::Overflow),
        }
        let size = usize::try_from(spec.size).map_err(|_| RegionError::TooLarge)?;
        // INVARIANT: Every condition of the invariant was checked above.
        Ok(Self {
            base: spec.base,
            size,
            page_shift,
        })
    }

    /// Physical base address.
    pub(crate) fn base(&self) -> u64 {
        self.base
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The physical address of a user mapping of `len` bytes at page offset `pgoff`, after
    /// checking that the whole window lies inside the region. No sum can overflow.
    pub(crate) fn window(&self, pgoff: usize, len: usize) -> Result<u64, WindowError> {
        if len == 0 {
            return Err(WindowError::Empty);
        }
        let offset = pgoff
            .checked_mul(1usize << self.page_shift)
            .filter(|&offset| offset < self.size)
            .ok_or(WindowError::OffsetOutOfRange)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.size => {}
            _ => return Err(WindowError::LengthOutOfRange),
        }
        // `offset < size` and `base + size` fits in a `u64` (invariant), so this cannot wrap.
        Ok(self.base + offset as u64)
    }

    /// The byte range `[offset, offset + length)` of a cache sync, as `(offset, length)`, after
    /// checking that it lies inside the region (it may be empty, even at the end). No sum can
    /// overflow.
    pub(crate) fn sync_range(&self, offset: u64, length: u64) -> Option<(usize, usize)> {
        let offset = usize::try_from(offset).ok().filter(|&o| o <= self.size)?;
        let length = usize::try_from(length)
            .ok()
            .filter(|&l| l <= self.size - offset)?;
        Some((offset, length))
    }

    /// The byte range `[offset, offset + length)` of a dma-buf, as `(offset, length)`, after
    /// checking that it is whole pages, not empty, below 4 GiB long, and inside the region. No
    /// sum can overflow.
    pub(crate) fn export_range(
        &self,
        offset: u64,
        length: u64,
    ) -> Result<(usize, usize), ExportRangeError> {
        let page_mask = (1u64 << self.page_shift) - 1;
        if offset & page_mask != 0 || length & page_mask != 0 {
            return Err(ExportRangeError::Unaligned);
        }
        if length == 0 {
            return Err(ExportRangeError::Empty);
        }
        if length > u64::from(u32::MAX) {
            return Err(ExportRangeError::TooLarge);
        }
        let (offset, length) = self
            .sync_range(offset, length)
            .ok_or(ExportRangeError::OutOfRange)?;
        if offset == self.size {
            return Err(ExportRangeError::OutOfRange);
        }
        Ok((offset, length))
    }

    /// Where a read or write of up to `len` bytes at file position `pos` lands.
    ///
    /// Returns `None` for a negative position.
    pub(crate) fn io_span(&self, pos: i64, len: usize) -> Option<IoSpan> {
        let pos = u64::try_from(pos).ok()?;
        Some(match usize::try_from(pos) {
            Ok(offset) if offset < self.size => IoSpan::At {
                offset,
                len: len.min(self.size - offset),
            },
            _ => IoSpan::End,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIFT: u32 = 12;
    const PAGE: u64 = 1 << SHIFT;
    const PHYS32: u64 = u32::MAX as u64;

    fn spec(base: u64, size: u64) -> RegionSpec {
        RegionSpec {
            base,
            size,
            no_map: true,
            reusable: false,
        }
    }

    fn region(base: u64, size: u64) -> Region {
        match Region::new(spec(base, size), SHIFT, PHYS32) {
            Ok(region) => region,
            Err(e) => panic!("{base:#x}+{size:#x} refused: {e:?}"),
        }
    }

    #[test]
    fn accepts_a_well_formed_region() {
        let r = region(0x4800_0000, 16 << 20);
        assert_eq!(r.base(), 0x4800_0000);
        assert_eq!(r.size(), 16 << 20);
    }

    #[test]
    fn refuses_each_broken_rule() {
        let cases = [
            (
                RegionSpec {
                    no_map: false,
                    ..spec(0x4800_0000, PAGE)
                },
                RegionError::NotNoMap,
            ),
            (
                RegionSpec {
                    reusable: true,
                    ..spec(0x4800_0000, PAGE)
                },
                RegionError::Reusable,
            ),
            // CMA is the more specific problem: reported even without `no-map`.
            (
                RegionSpec {
                    reusable: true,
                    no_map: false,
                    ..spec(0x4800_0000, PAGE)
                },
                RegionError::Reusable,
            ),
            (spec(0x4800_0000, 0), RegionError::ZeroSize),
            (spec(0x4800_0800, PAGE), RegionError::BaseUnaligned),
            (spec(0x4800_0000, PAGE + 1), RegionError::SizeUnaligned),
            (spec(0xffff_f000, 2 * PAGE), RegionError::Overflow),
            (
                spec(u64::MAX & !(PAGE - 1), PAGE * 2),
                RegionError::Overflow,
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(Region::new(spec, SHIFT, PHYS32), Err(want), "{spec:?}");
            assert!(!want.rule().is_empty());
        }
        // The last page of a 32-bit physical space is fine.
        assert!(Region::new(spec(0xffff_f000, PAGE), SHIFT, PHYS32).is_ok());
    }

    #[test]
    fn placement_is_what_the_device_tree_says() {
        let dt = Some((0x5a00_0000, 0x10_0000));
        assert_eq!(
            check_placement(dt, (0x5a00_0000, 0x10_0000), PHYS32),
            Ok(())
        );
        // A region the kernel placed itself (no `reg`) has nothing to compare against.
        assert_eq!(
            check_placement(None, (0x5a00_0000, 0x10_0000), PHYS32),
            Ok(())
        );
        assert_eq!(
            check_placement(dt, (0x5a00_0000, 0x8_0000), PHYS32),
            Err(PlacementError::Mismatch)
        );
        assert_eq!(
            check_placement(dt, (0x5b00_0000, 0x10_0000), PHYS32),
            Err(PlacementError::Mismatch)
        );
    }

    #[test]
    fn placement_beyond_the_physical_address_space_is_refused() {
        // reg = <0x1 0x5a000000 0x0 0x100000> on a 32-bit kernel: reserved truncated.
        let truncated = (0x5a00_0000, 0x10_0000);
        assert_eq!(
            check_placement(Some((0x1_5a00_0000, 0x10_0000)), truncated, PHYS32),
            Err(PlacementError::Unaddressable)
        );
        // reg = <0x1 0x0 ...>: truncated to 0.
        assert_eq!(
            check_placement(Some((0x1_0000_0000, 0x10_0000)), (0, 0x10_0000), PHYS32),
            Err(PlacementError::Unaddressable)
        );
        // Starting below 4 GiB but ending above it.
        assert_eq!(
            check_placement(
                Some((0xfff0_0000, 0x20_0000)),
                (0xfff0_0000, 0x20_0000),
                PHYS32
            ),
            Err(PlacementError::Unaddressable)
        );
        // A size of more than 4 GiB, truncated by the kernel.
        assert_eq!(
            check_placement(
                Some((0x4000_0000, 0x1_0010_0000)),
                (0x4000_0000, 0x10_0000),
                PHYS32
            ),
            Err(PlacementError::Unaddressable)
        );
        // The same addresses are fine where physical addresses are 64 bits wide (LPAE, arm64).
        assert_eq!(
            check_placement(
                Some((0x1_5a00_0000, 0x10_0000)),
                (0x1_5a00_0000, 0x10_0000),
                u64::MAX
            ),
            Ok(())
        );
        // The last byte of the space is addressable; one past it is not; nothing wraps.
        assert!(addressable(0xffff_f000, 0x1000, PHYS32));
        assert!(!addressable(0xffff_f000, 0x1001, PHYS32));
        assert!(!addressable(u64::MAX, 2, u64::MAX));
        assert!(addressable(u64::MAX, 1, u64::MAX));
    }

    #[test]
    fn windows_inside_the_region_map_to_the_right_address() {
        let r = region(0x4800_0000, 16 * PAGE);
        assert_eq!(r.window(0, 16 * PAGE as usize), Ok(0x4800_0000));
        assert_eq!(r.window(3, 2 * PAGE as usize), Ok(0x4800_3000));
        assert_eq!(r.window(15, PAGE as usize), Ok(0x4800_f000));
    }

    #[test]
    fn windows_past_the_end_or_overflowing_are_refused() {
        let r = region(0x4800_0000, 16 * PAGE);
        let page = PAGE as usize;
        assert_eq!(r.window(0, 0), Err(WindowError::Empty));
        assert_eq!(r.window(16, page), Err(WindowError::OffsetOutOfRange));
        assert_eq!(
            r.window(usize::MAX, page),
            Err(WindowError::OffsetOutOfRange)
        );
        assert_eq!(
            r.window(usize::MAX >> SHIFT, page),
            Err(WindowError::OffsetOutOfRange)
        );
        assert_eq!(r.window(0, 17 * page), Err(WindowError::LengthOutOfRange));
        assert_eq!(r.window(15, 2 * page), Err(WindowError::LengthOutOfRange));
        assert_eq!(r.window(1, usize::MAX), Err(WindowError::LengthOutOfRange));
    }

    #[test]
    fn io_spans_are_clamped_to_the_region() {
        let r = region(0x4800_0000, 2 * PAGE);
        let size = 2 * PAGE as usize;
        assert_eq!(r.io_span(0, 10), Some(IoSpan::At { offset: 0, len: 10 }));
        assert_eq!(
            r.io_span(size as i64 - 4, 10),
            Some(IoSpan::At {
                offset: size - 4,
                len: 4
            })
        );
        assert_eq!(r.io_span(size as i64, 1), Some(IoSpan::End));
        assert_eq!(r.io_span(i64::MAX, 1), Some(IoSpan::End));
        assert_eq!(r.io_span(-1, 1), None);
    }

    #[test]
    fn export_ranges_are_whole_pages_inside_the_region() {
        let r = region(0x4800_0000, 4 * PAGE);
        let size = 4 * PAGE;
        assert_eq!(r.export_range(0, size), Ok((0, size as usize)));
        assert_eq!(
            r.export_range(PAGE, 2 * PAGE),
            Ok((PAGE as usize, 2 * PAGE as usize))
        );
        assert_eq!(
            r.export_range(3 * PAGE, PAGE),
            Ok((3 * PAGE as usize, PAGE as usize))
        );
        assert_eq!(r.export_range(1, PAGE), Err(ExportRangeError::Unaligned));
        assert_eq!(
            r.export_range(0, PAGE + 1),
            Err(ExportRangeError::Unaligned)
        );
        assert_eq!(r.export_range(0, 0), Err(ExportRangeError::Empty));
        assert_eq!(r.export_range(size, 0), Err(ExportRangeError::Empty));
        assert_eq!(
            r.export_range(size, PAGE),
            Err(ExportRangeError::OutOfRange)
        );
        assert_eq!(
            r.export_range(3 * PAGE, 2 * PAGE),
            Err(ExportRangeError::OutOfRange)
        );
        assert_eq!(
            r.export_range(PAGE, u64::MAX & !(PAGE - 1)),
            Err(ExportRangeError::TooLarge)
        );
        assert_eq!(r.export_range(0, 1 << 32), Err(ExportRangeError::TooLarge));
        assert_eq!(
            r.export_range(0, (1 << 32) - PAGE),
            Err(ExportRangeError::OutOfRange)
        );
        assert_eq!(
            r.export_range(u64::MAX & !(PAGE - 1), PAGE),
            Err(ExportRangeError::OutOfRange)
        );
    }

    #[test]
    fn sync_ranges_stay_inside_the_region() {
        let r = region(0x4800_0000, 2 * PAGE);
        let size = 2 * PAGE;
        assert_eq!(r.sync_range(0, size), Some((0, size as usize)));
        assert_eq!(r.sync_range(100, 28), Some((100, 28)));
        assert_eq!(r.sync_range(size, 0), Some((size as usize, 0)));
        assert_eq!(r.sync_range(size + 1, 0), None);
        assert_eq!(r.sync_range(size - 4, 5), None);
        assert_eq!(r.sync_range(0, size + 1), None);
        assert_eq!(r.sync_range(4, u64::MAX), None);
        assert_eq!(r.sync_range(u64::MAX, 1), None);
        assert_eq!(r.sync_range(u64::MAX, u64::MAX), None);
    }
}
