// SPDX-License-Identifier: MIT OR Apache-2.0

//! Block mappings: where the kernel maps a carveout with block entries (arm64 with transparent
//! huge pages: 2 MiB each), a mapping's address is congruent to its physical address modulo a
//! block, the blocks are mapped one fault each on first touch, the edges at `mmap`, and every
//! way the kernel reshapes a mapping (a partial `munmap`, `mremap`, fork) keeps its contents.
//! With transparent huge pages disabled for the process, a mapping takes page entries at `mmap`
//! as on 32-bit ARM. Run by the `selftest` command between saving and restoring the region's
//! contents (`suites.rs`); the unbind of a block mapping is in `lifecycle.rs` (`revoke`).

use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;

use carveout::{Carveout, Mapping};

use crate::harness::raw::consts::MADV_KEEPONFORK;
use crate::harness::raw::{self, Exit};
use crate::harness::{
    block_size, expect_exit, expect_segv_at, pattern, pattern_bytes, region_len, whole_blocks,
    Report,
};

/// Seconds a test child may run before SIGALRM ends it.
const CHILD_TIMEOUT: u32 = 10;

/// The pattern word at the start of every page of `map`, a window from byte `offset` of the
/// region, checked against the pattern of `seed` written over the whole region: the first
/// mismatch, if any.
fn check_pages(map: &Mapping, offset: usize, seed: u32) -> Result<(), String> {
    let page = carveout::page_size();
    for p in 0..map.len() / page {
        let at = p * page;
        let got = map.read_u32(at).map_err(|e| e.to_string())?;
        let want = pattern(seed, (offset + at) / 4);
        if got != want {
            return Err(format!(
                "page {p} (region byte {:#x}): got {got:#010x}, want {want:#010x}",
                offset + at
            ));
        }
    }
    Ok(())
}

/// Reads the first word of every page of `map` (see [`check_pages`]) and counts the minor
/// faults that took.
fn faults_checking(map: &Mapping, offset: usize, seed: u32) -> Result<u64, String> {
    // A first call writes its result to the stack, which takes the copy-on-write fault a fresh
    // child has there before the count starts.
    raw::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
    let before = raw::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
    check_pages(map, offset, seed)?;
    let after = raw::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
    Ok(after - before)
}

/// Whether a mapping's `smaps` lines say it is wipe-on-fork (`wf` in `VmFlags`): a child faults
/// its entries in rather than copy them.
fn wipe_on_fork(smaps: &[String]) -> bool {
    smaps
        .iter()
        .any(|l| l.starts_with("VmFlags:") && l.split_whitespace().any(|f| f == "wf"))
}

fn page_tables() -> Result<u64, String> {
    raw::page_table_kb().map_err(|e| format!("VmPTE: {e}"))
}

/// The kilobytes of page tables page entries take for `len` bytes: a table of 8-byte entries
/// per page.
fn page_entry_kb(len: usize) -> u64 {
    (len / carveout::page_size() * 8 / 1024) as u64
}

/// Runs every case on `dev`, whose contents [`crate::suites::selftest`] saved; skipped where the
/// kernel maps no blocks, or the region holds fewer than 4 of them.
pub fn run(dev: &Carveout, name: &str, report: &mut Report) {
    let page = carveout::page_size();
    let size = region_len(dev);
    let phys = dev.info().phys_base;
    let Some(block) = block_size() else {
        report.skip(
            name,
            "block mappings",
            "this kernel maps PFN ranges with page entries only (32-bit ARM, or no transparent huge pages)",
        );
        return;
    };
    if size < 4 * block + page || !phys.is_multiple_of(block as u64) {
        report.skip(
            name,
            "block mappings",
            &format!("needs 4 blocks of {block:#x} bytes and a page, at an aligned address"),
        );
        return;
    }
    let seed = 0xb10c_0000;
    let written = dev
        .file()
        .write_all_at(&pattern_bytes(seed, 0, size), 0)
        .map_err(|e| format!("pwrite of the pattern: {e}"));
    report.case(
        name,
        "blocks: the pattern written with pwrite",
        written.clone(),
    );
    if written.is_err() {
        return;
    }

    // The whole region: blocks only, one fault each, no page table for them.
    let whole = dev.map_mut(0, size).map_err(|e| e.to_string());
    let first_pass = whole.as_ref().map_err(Clone::clone).and_then(|map| {
        let addr = map.as_ptr() as usize;
        if !(addr as u64 ^ phys).is_multiple_of(block as u64) {
            return Err(format!(
                "mapped at {addr:#x}, not congruent to {phys:#x} modulo {block:#x} (get_unmapped_area)"
            ));
        }
        let tables = page_tables()?;
        let faults = faults_checking(map, 0, seed)?;
        let grown = page_tables()?.saturating_sub(tables);
        let want = (size / block) as u64;
        let smaps = raw::smaps_of(addr).map_err(|e| e.to_string())?;
        for line in &smaps {
            println!("INFO {name}: smaps: {line}");
        }
        if !wipe_on_fork(&smaps) {
            return Err("the mapping is not wipe-on-fork (no wf in smaps' VmFlags)".into());
        }
        println!(
            "INFO {name}: blocks: {} MiB at {addr:#x}: {faults} faults, page tables +{grown} kB (page entries: {} kB)",
            size >> 20,
            page_entry_kb(size)
        );
        if faults != want {
            return Err(format!("{faults} faults on the first pass, want {want} (one per block)"));
        }
        if grown >= page_entry_kb(size) {
            return Err(format!(
                "page tables grew by {grown} kB, as much as page entries take ({} kB)",
                page_entry_kb(size)
            ));
        }
        Ok(())
    });
    report.case(
        name,
        "blocks: the whole region, at an address congruent to its physical one modulo a block, wipe-on-fork: one fault per block on the first pass, no page table for them, every page as written",
        first_pass,
    );
    let Ok(whole) = whole else {
        return;
    };

    // Fork: the mapping is wipe-on-fork, so the child gets no entry copied (a block copied at
    // fork could escape a revocation racing it) and faults each block in; it reads every page
    // and writes a word in every block. (A copied block would fault once too on this CPU: the
    // kernel copies it old, and an ARMv8.0 core sets no access flag in hardware. The first pass
    // above checks wipe-on-fork itself.)
    let marker = |b: usize| 0xc0de_0000 | b as u32;
    let forked = expect_exit(
        raw::in_child(CHILD_TIMEOUT, || {
            match faults_checking(&whole, 0, seed) {
                // One per block, and a copy-on-write fault or two of the child's own stack.
                Ok(n) if (size / block) as u64 <= n && n <= (size / block) as u64 + 2 => {}
                // Lossless: at most 110.
                Ok(n) => return 10 + n.min(100) as i32,
                Err(_) => return 2,
            }
            for b in 0..size / block {
                if whole.write_u32(b * block + 8, marker(b)).is_err() {
                    return 3;
                }
            }
            0
        }),
        Exit::Code(0),
    )
    .map_err(|e| {
        format!(
            "{e} (2: a page read wrong in the child; 10 + N: N faults in the child, want {} to 2 more)",
            size / block
        )
    })
    .and_then(|()| {
        for b in 0..size / block {
            let mut word = [0u8; 4];
            dev.file()
                .read_exact_at(&mut word, (b * block + 8) as u64)
                .map_err(|e| format!("pread: {e}"))?;
            let mapped = whole.read_u32(b * block + 8).map_err(|e| e.to_string())?;
            if mapped != marker(b) || u32::from_ne_bytes(word) != marker(b) {
                return Err(format!(
                    "block {b}: the parent does not see the child's write"
                ));
            }
        }
        Ok(())
    });
    report.case(
        name,
        "blocks: fork: the child faults each block in (no entry copied), reads every page and writes to every block; the parent sees the writes",
        forked,
    );

    // A process may clear wipe-on-fork (`MADV_KEEPONFORK`); its children's mappings are
    // wipe-on-fork all the same (`vm_ops->open` sets it again on the child's VMA).
    let addr = whole.as_ptr() as usize;
    let kept = raw::advise(&whole, MADV_KEEPONFORK)
        .map_err(|e| format!("madvise(MADV_KEEPONFORK): {e}"))
        .and_then(|()| {
            expect_exit(
                raw::in_child(CHILD_TIMEOUT, || match raw::smaps_of(addr) {
                    Ok(smaps) if wipe_on_fork(&smaps) => 0,
                    Ok(_) => 3,
                    Err(_) => 2,
                }),
                Exit::Code(0),
            )
            .map_err(|e| format!("{e} (3: the child's mapping is not wipe-on-fork)"))
        });
    report.case(
        name,
        "blocks: MADV_KEEPONFORK, then fork: the child's mapping is wipe-on-fork all the same",
        kept,
    );

    // A partial munmap inside the third block splits its block entry: the rest of the block is
    // faulted again with page entries, the rest of the mapping keeps its blocks.
    let hole_at = 2 * block + 5 * page;
    let partial = raw::punch_hole(whole, hole_at, page)
        .map_err(|e| format!("munmap of a page in the third block: {e}"))
        .and_then(|holed| {
            check_pages(&holed.before, 0, seed).map_err(|e| format!("before the hole: {e}"))?;
            if let Some(after) = &holed.after {
                check_pages(after, hole_at + page, seed)
                    .map_err(|e| format!("after the hole: {e}"))?;
            }
            expect_segv_at(holed.hole, CHILD_TIMEOUT)
        });
    report.case(
        name,
        "blocks: partial munmap of a page inside a block: the rest reads as written, the hole raises SIGSEGV",
        partial,
    );

    // A window one page into the region: the edges have page entries from mmap, the whole
    // blocks in between take a fault each.
    let len = 4 * block;
    let unaligned = dev
        .map_mut(page as u64, len)
        .map_err(|e| e.to_string())
        .and_then(|map| {
            let addr = map.as_ptr() as usize;
            let want = whole_blocks(addr, len, phys + page as u64, block) as u64;
            let faults = faults_checking(&map, page, seed)?;
            if want != 3 {
                return Err(format!(
                    "mapped at {addr:#x}: {want} whole blocks, want 3 (congruent to {:#x})",
                    phys + page as u64
                ));
            }
            if faults != want {
                return Err(format!(
                    "{faults} faults, want {want} (the whole blocks; none for the edges)"
                ));
            }
            Ok(())
        });
    report.case(
        name,
        "blocks: a window one page in: page entries for the edges at mmap, one fault per whole block",
        unaligned,
    );

    // mremap moves a block mapping: to an address congruent modulo a block (the blocks move,
    // or are faulted again, one fault each at most), then to one that is not (page entries).
    let moved = dev
        .map_mut(0, len)
        .map_err(|e| e.to_string())
        .and_then(|map| {
            check_pages(&map, 0, seed)?;
            let room =
                raw::Reserved::new(2 * (len + block)).map_err(|e| format!("reserve: {e}"))?;
            let aligned = (room.addr() + block - 1) & !(block - 1);
            let map = raw::move_mapping(map, &room, aligned)
                .map_err(|(_, e)| format!("mremap to {aligned:#x}: {e}"))?;
            let faults = faults_checking(&map, 0, seed)
                .map_err(|e| format!("moved to {aligned:#x}: {e}"))?;
            if faults > (len / block) as u64 {
                return Err(format!(
                    "moved to {aligned:#x}: {faults} faults, more than one per block"
                ));
            }
            let off = aligned + len + block + page;
            let map = raw::move_mapping(map, &room, off)
                .map_err(|(_, e)| format!("mremap to {off:#x}: {e}"))?;
            check_pages(&map, 0, seed).map_err(|e| format!("moved to {off:#x}: {e}"))?;
            drop(map);
            drop(room);
            Ok(())
        });
    report.case(
        name,
        "blocks: mremap to an address congruent modulo a block (one fault per block at most), then to one that is not: every page as written",
        moved,
    );

    // With transparent huge pages disabled, the process gets page entries at mmap: no fault,
    // page tables for every page.
    let disabled = raw::set_thp_disabled(true)
        .map_err(|e| format!("prctl(PR_SET_THP_DISABLE): {e}"))
        .and_then(|()| {
            let result = page_tables().and_then(|tables| {
                let map = dev.map_mut(0, size).map_err(|e| e.to_string())?;
                let grown = page_tables()?.saturating_sub(tables);
                let faults = faults_checking(&map, 0, seed)?;
                println!(
                    "INFO {name}: page entries: {} MiB: {faults} faults, page tables +{grown} kB at mmap (page entries: {} kB)",
                    size >> 20,
                    page_entry_kb(size)
                );
                if faults != 0 {
                    return Err(format!("{faults} faults on the first pass, want 0"));
                }
                if grown < page_entry_kb(size) {
                    return Err(format!(
                        "page tables grew by {grown} kB at mmap, less than page entries take ({} kB): blocks?",
                        page_entry_kb(size)
                    ));
                }
                Ok(())
            });
            raw::set_thp_disabled(false).map_err(|e| format!("prctl back: {e}"))?;
            result
        });
    report.case(
        name,
        "blocks: with transparent huge pages disabled (prctl): page entries for every page at mmap, no fault",
        disabled,
    );

    // Faults of both sizes on the same blocks: two threads touch every page of a fresh mapping,
    // side by side, one reading and one writing, while a third toggles transparent huge pages
    // for the process, so that one thread's fault may want a block where the other's wants a
    // page entry. Every page must
    // read as written, and the kernel stay silent (the board test checks its log for warnings).
    let rounds = 100;
    let len = 4 * block;
    let stop = AtomicBool::new(false);
    let start = Barrier::new(2);
    let raced = std::thread::scope(|s| {
        let toggler = s.spawn(|| {
            let mut toggles = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let on = toggles.is_multiple_of(2);
                if raw::set_thp_disabled(on).is_err() {
                    return Err("prctl(PR_SET_THP_DISABLE) failed".to_string());
                }
                toggles += 1;
            }
            raw::set_thp_disabled(false).map_err(|e| format!("prctl back: {e}"))?;
            Ok(toggles)
        });
        let result = (|| {
            for round in 0..rounds {
                let map = dev
                    .map_mut(0, len)
                    .map_err(|e| format!("round {round}: {e}"))?;
                std::thread::scope(|inner| {
                    // The second one writes first (the word already there), so that its faults
                    // are write faults, which the kernel checks harder.
                    let second = inner.spawn(|| {
                        start.wait();
                        (0..len / page).try_for_each(|p| {
                            let want = pattern(seed, p * page / 4);
                            map.write_u32(p * page, want).map_err(|e| e.to_string())?;
                            let got = map.read_u32(p * page).map_err(|e| e.to_string())?;
                            if got == want {
                                Ok(())
                            } else {
                                Err(format!("page {p}: got {got:#010x}, want {want:#010x}"))
                            }
                        })
                    });
                    start.wait();
                    let forwards = check_pages(&map, 0, seed);
                    let second = second
                        .join()
                        .map_err(|_| format!("round {round}: the second reader panicked"))?;
                    forwards.map_err(|e| format!("round {round}, first reader: {e}"))?;
                    second.map_err(|e| format!("round {round}, second reader: {e}"))
                })?;
            }
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        let toggles = toggler
            .join()
            .map_err(|_| "the toggler panicked".to_string())??;
        result.map(|()| toggles)
    });
    let raced = raced.map(|toggles| {
        println!(
            "INFO {name}: blocks: {rounds} rounds of two readers against {toggles} prctl toggles"
        );
    });
    report.case(
        name,
        "blocks: two threads fault every page of fresh mappings side by side (reads, writes) while a third toggles transparent huge pages: every page as written",
        raced,
    );
}
