// SPDX-License-Identifier: MIT OR Apache-2.0

//! Bad calls from user space: each case makes one call the driver (or the kernel's mm, for the
//! device's mappings) must refuse or survive, and checks the exact errno, signal or contents.
//! Run by the `selftest` command between saving and restoring the region's contents
//! (`suites.rs`).

use std::io::Seek;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;

use carveout::{Access, Carveout, MemoryType, SyncDirection};

use crate::harness::raw::consts::{
    CARVEOUT_IOC_SYNC, CARVEOUT_SYNC_BIDIRECTIONAL, CARVEOUT_SYNC_FOR_CPU,
    CARVEOUT_SYNC_FOR_DEVICE, EACCES, EBADF, EFAULT, EINVAL, ENOSPC, EOPNOTSUPP, EOVERFLOW, EPERM,
    MADV_DONTNEED, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE, READ_IMPLIES_EXEC,
};
use crate::harness::raw::{self, Exit, Io};
use crate::harness::{
    block_size, check_mapping, check_words, expect_errno, expect_exit, expect_segv_at,
    fill_mapping, pattern, pattern_bytes, region_len, whole_blocks, Report,
};

/// Seconds a test child may run before SIGALRM ends it.
const CHILD_TIMEOUT: u32 = 10;

/// Expects every `(offset, length)` sync to fail with `EINVAL`.
fn expect_sync_einval(dev: &Carveout, ranges: &[(u64, u64)]) -> Result<(), String> {
    for &(offset, length) in ranges {
        expect_errno(
            dev.sync(offset, length, SyncDirection::ForDevice),
            EINVAL,
            "EINVAL",
        )
        .map_err(|e| format!("offset {offset:#x}, length {length:#x}: {e}"))?;
    }
    Ok(())
}

/// Reads and writes (`io`: `pread`/`pwrite` or `preadv`/`pwritev`, which reach the driver's two
/// paths) with user buffers whose pages are not present, or end early, or are a mapping of the
/// device itself. The driver copies with page faults disabled under its revocable guard, and
/// must fault such pages in outside it and go on.
fn user_pages(dev: &Carveout, name: &str, io: Io, report: &mut Report) {
    let (read, write) = (io.read_name(), io.write_name());
    let page = carveout::page_size();
    let size = region_len(dev);
    let fd = dev.file().as_fd();
    // More than one 64 KiB copy chunk where the region allows it.
    let len = size.min(4 * 64 * 1024);
    let fill = |seed: u32| -> Result<(), String> {
        let map = dev.map_mut(0, len).map_err(|e| e.to_string())?;
        fill_mapping(&map, seed)
    };

    // Private anonymous memory never touched: no page is present until the driver faults it in.
    let fresh = || raw::map_anonymous(len, false, false, MemoryType::Cached);
    let into_fresh = fill(0x7171_7171).and_then(|()| {
        let buf = fresh().map_err(|e| format!("mmap: {e}"))?;
        match raw::read_into(fd, io, &buf, 0, len, 0) {
            Ok(n) if n == len => check_mapping(&buf, 0x7171_7171, 0),
            other => Err(format!("gave {other:?}, want {len} bytes")),
        }
    });
    report.case(
        name,
        &format!("{read} into untouched memory: faulted in, every byte copied"),
        into_fresh,
    );
    let from_fresh = fill(0x7272_7272).and_then(|()| {
        let buf = fresh().map_err(|e| format!("mmap: {e}"))?;
        match raw::write_from(fd, io, &buf, 0, len, 0) {
            // Untouched anonymous memory reads as zeros.
            Ok(n) if n == len => check_zero(dev, len),
            other => Err(format!("gave {other:?}, want {len} bytes")),
        }
    });
    report.case(
        name,
        &format!("{write} from untouched memory: faulted in, every byte copied"),
        from_fresh,
    );

    // A buffer whose second page may not be written: the copy stops there, with a short count.
    // Exactly one page, since the buffer is page-aligned and the driver's pieces divide a page
    // (the kernel's user copies may in principle stop earlier; on ARM they do not).
    if size >= 2 * page {
        let short = fill(0x7373_7373).and_then(|()| {
            let buf = raw::map_anonymous(2 * page, false, false, MemoryType::Cached)
                .map_err(|e| format!("mmap: {e}"))?;
            raw::protect_part(&buf, page, page, PROT_READ).map_err(|e| format!("mprotect: {e}"))?;
            match raw::read_into(fd, io, &buf, 0, 2 * page, 0) {
                Ok(n) if n == page => check_words(&buf, 0x7373_7373, 0, 0..page / 4),
                other => Err(format!(
                    "gave {other:?}, want {page} bytes (up to the read-only page)"
                )),
            }
        });
        report.case(
            name,
            &format!("{read} into a buffer whose second page is read-only: one page, short"),
            short,
        );
    }

    // The same for a write from a buffer whose second page may not be read: at most the first
    // page is written, exactly the bytes counted, and nothing after them. (arm64's user copies
    // may stop a few dozen bytes before the unreadable page: its bulk loads fault as a whole.)
    if size >= 3 * page {
        let seed = 0x7575_7575;
        let short = fill(seed).and_then(|()| {
            let buf = raw::map_anonymous(2 * page, false, false, MemoryType::Cached)
                .map_err(|e| format!("mmap: {e}"))?;
            raw::protect_part(&buf, page, page, PROT_NONE).map_err(|e| format!("mprotect: {e}"))?;
            let n = match raw::write_from(fd, io, &buf, 0, 2 * page, 0) {
                Ok(n) if n > 0 && n <= page => n,
                other => {
                    return Err(format!(
                        "gave {other:?}, want 1 to {page} bytes (up to the unreadable page)"
                    ))
                }
            };
            // The bytes written are the buffer's (untouched anonymous memory: zeros); the
            // rest keeps the fill.
            let mut got = vec![0u8; 2 * page];
            dev.file()
                .read_exact_at(&mut got, 0)
                .map_err(|e| format!("pread: {e}"))?;
            let fill = pattern_bytes(seed, 0, 2 * page);
            match (0..2 * page).find(|&at| got[at] != if at < n { 0 } else { fill[at] }) {
                None => Ok(()),
                Some(at) => Err(format!(
                    "{n} bytes written, but byte {at:#x} is {:#04x} (want {})",
                    got[at],
                    if at < n {
                        "0, from the buffer"
                    } else {
                        "the fill, untouched"
                    }
                )),
            }
        });
        report.case(
            name,
            &format!("{write} from a buffer whose second page is unreadable: short, nothing after"),
            short,
        );
    }

    // The buffer is a mapping of the same region, with its memory type (a device region's is
    // Device memory, which refuses unaligned accesses): the copy under the guard goes straight
    // into its pages, mapped at mmap time, and must land whole and aligned.
    if size >= 2 * page {
        let own = fill(0x7474_7474).and_then(|()| {
            let map = dev.map_mut(0, 2 * page).map_err(|e| e.to_string())?;
            match raw::read_into(fd, io, &map, page, page, 0) {
                // The second page now holds the first page's words.
                Ok(n) if n == page => (0..page / 4).try_for_each(|w| {
                    let got = map.read_u32(page + w * 4).map_err(|e| e.to_string())?;
                    match pattern(0x7474_7474, w) {
                        want if got == want => Ok(()),
                        want => Err(format!(
                            "word {w} of the copy: {got:#010x}, want {want:#010x}"
                        )),
                    }
                }),
                other => Err(format!("gave {other:?}, want {page} bytes")),
            }
        });
        report.case(
            name,
            &format!("{read} into a mapping of the device itself"),
            own,
        );
    }
}

/// Checks that the first `len` bytes of the region read as zeros through a mapping.
fn check_zero(dev: &Carveout, len: usize) -> Result<(), String> {
    let map = dev.map_mut(0, len).map_err(|e| e.to_string())?;
    for at in (0..len).step_by(4) {
        match map.read_u32(at).map_err(|e| e.to_string())? {
            0 => {}
            word => return Err(format!("word at {at:#x} is {word:#x}, want 0")),
        }
    }
    Ok(())
}

/// Runs every case on `dev`; the cases that need more pages than the region has are skipped.
pub fn run(dev: &Carveout, name: &str, report: &mut Report) {
    let page = carveout::page_size();
    let size = region_len(dev);
    let region = dev.size();
    let rw = PROT_READ | PROT_WRITE;
    let fd = dev.file().as_fd();

    report.case(
        name,
        "mmap of length 0: EINVAL",
        expect_errno(dev.map_mut(0, 0), EINVAL, "EINVAL"),
    );
    report.case(
        name,
        "mmap offset not page-aligned: EINVAL",
        expect_errno(dev.map_mut(100, page), EINVAL, "EINVAL"),
    );
    // The largest page-aligned offset mmap can carry, so that the mapping would end past the
    // last offset a file may have: on a 32-bit kernel 0xffffffff pages (mmap2's page offset),
    // where page offset + length wraps (do_mmap); on a 64-bit one 2^64 minus a page, whose end
    // is past ULONG_MAX, a device's limit (file_mmap_ok). Both are `usize::MAX` pages, modulo
    // 2^64; the library refuses an offset above `i64::MAX`, so this is a raw mmap.
    let all_ones_pages = (usize::MAX as u64).wrapping_mul(page as u64) as i64;
    report.case(
        name,
        "mmap ending past the largest file offset (32-bit: page offset + length wraps): EOVERFLOW",
        expect_errno(
            raw::map_carveout(dev, all_ones_pages, page, rw, MAP_SHARED),
            EOVERFLOW,
            "EOVERFLOW",
        ),
    );

    // A fresh mapping is complete at mmap time: no page faults when reading and writing every
    // page (on ARM the pages are mapped dirty, so the first write does not fault either). Where
    // the kernel maps block entries, every whole block takes one fault on its first touch, and
    // the edges none.
    let phys = dev.info().phys_base;
    let blocks = block_size();
    let faults = dev
        .map_mut(0, size)
        .map_err(|e| e.to_string())
        .and_then(|map| {
            let want = blocks.map_or(0, |b| whole_blocks(map.as_ptr() as usize, size, phys, b));
            let before = raw::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
            for p in 0..size / page {
                let at = p * page;
                let word = map.read_u32(at).map_err(|e| e.to_string())?;
                map.write_u32(at, word ^ 1).map_err(|e| e.to_string())?;
            }
            let after = raw::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
            match after - before {
                n if n == want as u64 => Ok(()),
                n => Err(format!(
                    "{n} minor faults for {} pages, want {want} (one per whole block)",
                    size / page
                )),
            }
        });
    report.case(
        name,
        match blocks {
            None => "read and write every page of a fresh mapping: no page fault",
            Some(_) => "read and write every page of a fresh mapping: one fault per whole block, none elsewhere",
        },
        faults,
    );

    // mremap: growing is refused (VM_DONTEXPAND), the mapping stays as it was.
    let grow = dev
        .map_mut(0, page)
        .map_err(|e| e.to_string())
        .and_then(|map| {
            fill_mapping(&map, 0x4444_4444)?;
            match map.remap(2 * page) {
                Ok(_) => Err("mremap grew the mapping".into()),
                Err((map, e)) if e.raw_os_error() == Some(EFAULT) => {
                    check_mapping(&map, 0x4444_4444, 0)
                }
                Err((_, e)) => Err(format!("failed with {e}, want EFAULT")),
            }
        });
    report.case(
        name,
        "mremap growing the mapping: EFAULT, mapping intact",
        grow,
    );

    // mremap shrinking keeps the front.
    let pages = size / page;
    let shrink_name = "mremap shrinking: the front stays mapped";
    if pages < 2 {
        report.skip(name, shrink_name, "needs 2 pages");
    } else {
        let shrink = dev
            .map_mut(0, 2 * page)
            .map_err(|e| e.to_string())
            .and_then(|map| {
                fill_mapping(&map, 0x4545_4545)?;
                let map = map
                    .remap(page)
                    .map_err(|(_, e)| format!("mremap shrink: {e}"))?;
                check_mapping(&map, 0x4545_4545, 0)
            });
        report.case(name, shrink_name, shrink);
    }

    // Partial munmap of the second page (of up to 4): the rest of the mapping stays valid;
    // the unmapped part faults.
    let mapped = pages.min(4);
    let partial_name = format!(
        "partial munmap of page 2 of {mapped}: the rest is intact, the hole raises SIGSEGV"
    );
    if mapped < 2 {
        report.skip(name, &partial_name, "needs 2 pages");
    } else {
        let partial = dev
            .map_mut(0, mapped * page)
            .map_err(|e| e.to_string())
            .and_then(|map| {
                fill_mapping(&map, 0x5555_5555)?;
                let holed = raw::punch_hole(map, page, page)
                    .map_err(|e| format!("munmap of the second page: {e}"))?;
                check_mapping(&holed.before, 0x5555_5555, 0)
                    .map_err(|e| format!("before the hole: {e}"))?;
                if let Some(after) = &holed.after {
                    check_mapping(after, 0x5555_5555, 2 * page / 4)
                        .map_err(|e| format!("after the hole: {e}"))?;
                }
                expect_segv_at(holed.hole, CHILD_TIMEOUT)
            });
        report.case(name, &partial_name, partial);
    }

    // fork: the child inherits the shared mapping; writes from both sides are seen by both.
    let forked = dev
        .map_mut(0, page)
        .map_err(|e| e.to_string())
        .and_then(|map| {
            map.write_u32(0, 0x0a0a_0a0a).map_err(|e| e.to_string())?;
            map.write_u32(4, 0).map_err(|e| e.to_string())?;
            let child = raw::in_child(CHILD_TIMEOUT, || {
                if map.read_u32(0).ok() != Some(0x0a0a_0a0a) {
                    return 2;
                }
                match map.write_u32(4, 0x0b0b_0b0b) {
                    Ok(()) => 0,
                    Err(_) => 3,
                }
            });
            expect_exit(child, Exit::Code(0))
                .map_err(|e| format!("{e} (2: the child did not see the parent's write)"))?;
            let mut word = [0u8; 4];
            dev.file()
                .read_exact_at(&mut word, 4)
                .map_err(|e| format!("pread: {e}"))?;
            if map.read_u32(4).ok() != Some(0x0b0b_0b0b) || u32::from_ne_bytes(word) != 0x0b0b_0b0b
            {
                return Err("the parent does not see the child's write".into());
            }
            Ok(())
        });
    report.case(
        name,
        "fork: parent and child see each other's writes",
        forked,
    );

    // madvise(MADV_DONTNEED) cannot drop PFN pages: refused, and the data stays.
    let dontneed = dev
        .map_mut(0, page)
        .map_err(|e| e.to_string())
        .and_then(|map| {
            fill_mapping(&map, 0x6666_6666)?;
            expect_errno(raw::advise(&map, MADV_DONTNEED), EINVAL, "EINVAL")?;
            check_mapping(&map, 0x6666_6666, 0)
        });
    report.case(
        name,
        "madvise(MADV_DONTNEED): EINVAL, contents re-read intact",
        dontneed,
    );

    let mut four = [0u8; 4];
    for io in Io::BOTH {
        report.case(
            name,
            &format!("{} crossing the end: shortened", io.write_name()),
            match raw::write_at(fd, io, &four, size as i64 - 2) {
                Ok(2) => Ok(()),
                other => Err(format!("gave {other:?}, want 2 bytes")),
            },
        );
        report.case(
            name,
            &format!("{} at a huge offset: ENOSPC", io.write_name()),
            expect_errno(raw::write_at(fd, io, &four, 1 << 62), ENOSPC, "ENOSPC"),
        );
        report.case(
            name,
            &format!("{} at a negative offset: EINVAL", io.read_name()),
            expect_errno(raw::read_at(fd, io, &mut four, -4096), EINVAL, "EINVAL"),
        );
        report.case(
            name,
            &format!("{} into a bad buffer: EFAULT", io.read_name()),
            expect_errno(raw::read_unmapped(fd, io, 4), EFAULT, "EFAULT"),
        );
        report.case(
            name,
            &format!("{} from a bad buffer: EFAULT", io.write_name()),
            expect_errno(raw::write_unmapped(fd, io, 4), EFAULT, "EFAULT"),
        );
        user_pages(dev, name, io, report);
    }

    let read_only = Carveout::open_with(dev.path(), Access::ReadOnly)
        .map_err(|e| e.to_string())
        .and_then(|ro| expect_errno(ro.file().write_at(&four, 0), EBADF, "EBADF"));
    report.case(name, "read-only open: pwrite EBADF", read_only);

    // A read-only file's mapping cannot be made writable later.
    let ro_protect = Carveout::open_with(dev.path(), Access::ReadOnly)
        .map_err(|e| e.to_string())
        .and_then(|ro| {
            let map = ro.map(0, page).map_err(|e| e.to_string())?;
            expect_errno(raw::protect(&map, rw), EACCES, "EACCES")
        });
    report.case(
        name,
        "read-only open: mprotect adding PROT_WRITE: EACCES",
        ro_protect,
    );

    // CARVEOUT_IOC_SYNC refuses malformed arguments and ranges outside the region.
    report.case(
        name,
        "sync with flags 0: EINVAL",
        expect_errno(raw::sync_raw(fd, 0, page as u64, 0, 0), EINVAL, "EINVAL"),
    );
    let unknown_flags = [
        CARVEOUT_SYNC_FOR_DEVICE | 1 << 2,
        CARVEOUT_SYNC_FOR_CPU | 1 << 31,
        1 << 2,
    ];
    report.case(
        name,
        "sync with an unknown flag bit: EINVAL",
        unknown_flags.iter().try_for_each(|&flags| {
            expect_errno(
                raw::sync_raw(fd, 0, page as u64, flags, 0),
                EINVAL,
                "EINVAL",
            )
            .map_err(|e| format!("flags {flags:#x}: {e}"))
        }),
    );
    report.case(
        name,
        "sync with reserved not 0: EINVAL",
        expect_errno(
            raw::sync_raw(fd, 0, page as u64, CARVEOUT_SYNC_BIDIRECTIONAL, 1),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "sync offset past the end: EINVAL",
        expect_sync_einval(
            dev,
            &[(region + 1, 0), (region + page as u64, 1), (u64::MAX, 0)],
        ),
    );
    report.case(
        name,
        "sync length past the end: EINVAL",
        expect_sync_einval(dev, &[(0, region + 1), (region - 4, 8), (region, 1)]),
    );
    report.case(
        name,
        "sync offset + length overflowing u64: EINVAL",
        expect_sync_einval(dev, &[(8, u64::MAX - 7), (page as u64, u64::MAX)]),
    );
    report.case(
        name,
        "sync with a bad pointer: EFAULT",
        expect_errno(raw::ioctl_unmapped(fd, CARVEOUT_IOC_SYNC), EFAULT, "EFAULT"),
    );

    // The device file is root-only: an unprivileged process cannot open it.
    let path = dev.path().to_owned();
    let nobody = raw::in_child(CHILD_TIMEOUT, move || {
        if raw::become_nobody().is_err() {
            return 3;
        }
        match std::fs::File::open(&path) {
            Err(e) if e.raw_os_error() == Some(EACCES) => 0,
            Err(_) => 2,
            Ok(_) => 1,
        }
    });
    report.case(
        name,
        "open as an unprivileged user: EACCES",
        expect_exit(nobody, Exit::Code(0))
            .map_err(|e| format!("{e} (1: opened, 2: other error, 3: cannot drop root)")),
    );

    // Under READ_IMPLIES_EXEC (old 32-bit binaries without PT_GNU_STACK), every readable
    // mapping asks for PROT_EXEC too, which the device refuses.
    let implied_exec = raw::in_child(CHILD_TIMEOUT, || {
        if raw::add_personality(READ_IMPLIES_EXEC).is_err() {
            return 3;
        }
        match raw::map_carveout(dev, 0, page, PROT_READ, MAP_SHARED) {
            Err(e) if e.raw_os_error() == Some(EPERM) => 0,
            Err(_) => 2,
            Ok(_) => 1,
        }
    });
    report.case(
        name,
        "mmap PROT_READ under READ_IMPLIES_EXEC: EPERM",
        expect_exit(implied_exec, Exit::Code(0))
            .map_err(|e| format!("{e} (1: mapped, 2: other error, 3: cannot set the personality)")),
    );

    // A dma-buf through the library, where the node allows it (its `linux,dma-buf-export`
    // property, read from the device tree in sysfs); `EOPNOTSUPP` elsewhere. The export ABI in
    // full, and what importers do with a dma-buf, is tests/carveout-vivid.c's.
    let exported = dev
        .platform_device()
        .map_err(|e| e.to_string())
        .and_then(|node| {
            let allowed = node.join("of_node/linux,dma-buf-export").exists();
            let got = dev.export_dma_buf(region - page as u64, page as u64, Access::ReadOnly);
            match (allowed, got) {
                (true, Ok(buf)) => {
                    let end = std::fs::File::from(buf)
                        .seek(std::io::SeekFrom::End(0))
                        .map_err(|e| format!("lseek of the dma-buf: {e}"))?;
                    match end {
                        len if len == page as u64 => Ok(()),
                        len => Err(format!("the dma-buf has {len} bytes, want {page}")),
                    }
                }
                (true, Err(e)) => Err(format!("export failed: {e}")),
                (false, got) => expect_errno(got, EOPNOTSUPP, "EOPNOTSUPP"),
            }
        });
    report.case(
        name,
        "export_dma_buf of the last page: a dma-buf of one page, or EOPNOTSUPP without linux,dma-buf-export",
        exported,
    );
}
