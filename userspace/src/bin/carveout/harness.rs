// SPDX-License-Identifier: MIT OR Apache-2.0

//! What every test suite of the program shares: the [`Report`] that prints one line per case
//! and the closing `N passed, N failed`, the word pattern the suites write and check, errno
//! checks, a small random generator, the driver's bind and unbind files; and [`raw`], the calls
//! the library does not make.
//!
//! The suites (`suites/`) import this module and the library, never each other: what two of
//! them need lives here.

pub(crate) mod raw;

use std::fmt::Display;
use std::io;
use std::ops::Range;

use carveout::{Carveout, Mapping, MappingMut};

/// The directory of the carveout platform driver in sysfs.
const DRIVER: &str = "/sys/bus/platform/drivers/carveout";

/// Counts of passed and failed cases.
#[derive(Default)]
pub(crate) struct Report {
    pub(crate) passed: u32,
    pub(crate) failed: u32,
}

/// A run in which a case failed (or timed out): the report's lines say which.
#[derive(Debug)]
pub(crate) struct CasesFailed;

impl Report {
    /// Prints the summary line; [`CasesFailed`] if any case failed.
    pub(crate) fn finish(&self) -> Result<(), CasesFailed> {
        println!("{} passed, {} failed", self.passed, self.failed);
        if self.failed > 0 {
            Err(CasesFailed)
        } else {
            Ok(())
        }
    }

    /// A case that does not apply to this device (a region too small for it): one line, not
    /// counted.
    pub(crate) fn skip(&mut self, dev: &str, name: &str, why: &str) {
        println!("SKIP {dev}: {name}: {why}");
    }

    /// A case whose watchdog fired before its work was done: one `TIMEOUT` line, counted as a
    /// failure but told apart from a check that failed.
    pub(crate) fn timeout(&mut self, dev: &str, name: &str, why: &str) {
        self.failed += 1;
        println!("TIMEOUT {dev}: {name}: {why}");
    }

    /// A case: one `PASS` or `FAIL` line, counted.
    pub(crate) fn case(&mut self, dev: &str, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("PASS {dev}: {name}");
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL {dev}: {name}: {why}");
            }
        }
    }
}

/// The bytes of a block entry, if this kernel maps a carveout's PFN ranges with block entries:
/// arm64 with transparent huge pages (a PMD's reach, 2 MiB with 4 KiB pages). `None` on 32-bit
/// ARM and on kernels without transparent huge pages, where every page takes a page entry at
/// `mmap`. (The driver says it the same way: `CONFIG_ARCH_SUPPORTS_PMD_PFNMAP`, which arm64
/// selects with transparent huge pages.)
pub(crate) fn block_size() -> Option<usize> {
    let page = carveout::page_size();
    (cfg!(target_arch = "aarch64")
        && std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists())
    // A table of 8-byte entries fills a page: a PMD entry maps that many pages.
    .then_some(page * (page / 8))
}

/// The whole blocks of `block` bytes that a mapping of `len` bytes at user address `addr` of
/// physical memory from `phys` spans where the two addresses are congruent modulo `block` (the
/// faults a first pass over the mapping takes with block entries); 0 where they are not.
pub(crate) fn whole_blocks(addr: usize, len: usize, phys: u64, block: usize) -> usize {
    let mask = block - 1;
    if (addr as u64 ^ phys) & mask as u64 != 0 {
        return 0;
    }
    let first = (addr + mask) & !mask;
    let last = (addr + len) & !mask;
    last.saturating_sub(first) / block
}

/// Describes how a child ended, against what was wanted.
pub(crate) fn expect_exit(got: io::Result<raw::Exit>, want: raw::Exit) -> Result<(), String> {
    match got {
        Ok(exit) if exit == want => Ok(()),
        Ok(exit) => Err(format!("child ended with {exit:?}, want {want:?}")),
        Err(e) => Err(format!("fork/wait: {e}")),
    }
}

/// Checks that a load from `hole`, an address just unmapped, kills a child (given `timeout`
/// seconds) with `SIGSEGV`.
pub(crate) fn expect_segv_at(hole: usize, timeout: u32) -> Result<(), String> {
    let hole = hole as *const u32;
    expect_exit(
        raw::in_child(timeout, || {
            // SAFETY: The child loads from the hole on purpose, to die of SIGSEGV. Were
            // something mapped there since, the load would only read it (and the case fail: the
            // child exits 0).
            unsafe { hole.read_volatile() };
            0
        }),
        raw::Exit::Signal(raw::consts::SIGSEGV),
    )
}

/// The region's size in bytes, as a length in this address space.
pub(crate) fn region_len(dev: &Carveout) -> usize {
    usize::try_from(dev.size()).unwrap_or(usize::MAX)
}

/// A 32-bit value that differs for every word and seed, so a misplaced window shows.
pub(crate) fn pattern(seed: u32, word: usize) -> u32 {
    let x = (word as u32).wrapping_mul(0x9e37_79b1) ^ seed.rotate_left(7) ^ (word as u32 >> 16);
    x ^ (x >> 15)
}

/// The pattern of `seed` for `len / 4` words from word `first_word`, as bytes.
pub(crate) fn pattern_bytes(seed: u32, first_word: usize, len: usize) -> Vec<u8> {
    (0..len / 4)
        .flat_map(|w| pattern(seed, first_word + w).to_ne_bytes())
        .collect()
}

/// Writes the pattern of `seed` to every word of `map`, numbered from 0.
pub(crate) fn fill_mapping(map: &MappingMut, seed: u32) -> Result<(), String> {
    fill_words(map, seed, 0..map.len() / 4)
}

/// Fills words `words` of `map` with the pattern of `seed` for those words.
pub(crate) fn fill_words(map: &MappingMut, seed: u32, words: Range<usize>) -> Result<(), String> {
    for w in words {
        map.write_u32(w * 4, pattern(seed, w))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Checks that word `w` of `map` holds the pattern of `seed` for word `first_word + w`.
pub(crate) fn check_mapping(map: &Mapping, seed: u32, first_word: usize) -> Result<(), String> {
    check_words(map, seed, first_word, 0..map.len() / 4)
}

/// As [`check_mapping`], for words `words` of `map` only.
pub(crate) fn check_words(
    map: &Mapping,
    seed: u32,
    first_word: usize,
    words: Range<usize>,
) -> Result<(), String> {
    for w in words {
        let got = map.read_u32(w * 4).map_err(|e| e.to_string())?;
        let want = pattern(seed, first_word + w);
        if got != want {
            return Err(format!(
                "mapping word {w} (byte {:#x}): got {got:#010x}, want {want:#010x}",
                w * 4
            ));
        }
    }
    Ok(())
}

/// An error that may carry an `errno`: std's, or the library's.
pub(crate) trait Errno: Display {
    /// The `errno`, if the error has one.
    fn errno(&self) -> Option<i32>;
}

impl Errno for io::Error {
    fn errno(&self) -> Option<i32> {
        self.raw_os_error()
    }
}

impl Errno for carveout::Error {
    fn errno(&self) -> Option<i32> {
        self.raw_os_error()
    }
}

/// Expects `result` to fail with `errno`, called `name` in the message.
pub(crate) fn expect_errno<T, E: Errno>(
    result: Result<T, E>,
    errno: i32,
    name: &str,
) -> Result<(), String> {
    match result {
        Ok(_) => Err(format!("succeeded, want {name}")),
        Err(e) if e.errno() == Some(errno) => Ok(()),
        Err(e) => Err(format!("failed with {e}, want {name}")),
    }
}

/// A small deterministic generator (xorshift64*), seeded per worker.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Writes `node` to the driver's `bind` or `unbind` file.
pub(crate) fn driver_control(what: &str, node: &str) -> Result<(), String> {
    let path = format!("{DRIVER}/{what}");
    std::fs::write(&path, node).map_err(|e| format!("{path}: write '{node}': {e}"))
}
