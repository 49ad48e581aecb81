//! The on-board self-test of one carveout device: one line per case, then a summary.

use std::io::{self, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;

use crate::device::{Device, Mapping};
use crate::sys::errno::{EACCES, EFAULT, EINVAL, ENOSPC, ENOTTY, EPERM, ESPIPE};
use crate::sys::{self, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::uapi;

/// Counts of passed and failed cases.
#[derive(Default)]
pub struct Report {
    pub passed: u32,
    pub failed: u32,
}

impl Report {
    /// Prints the summary line; `Failure::Tests` if any case failed.
    pub fn finish(&self) -> Result<(), crate::Failure> {
        println!("{} passed, {} failed", self.passed, self.failed);
        if self.failed > 0 {
            Err(crate::Failure::Tests)
        } else {
            Ok(())
        }
    }

    /// A case that does not apply to this device (a region too small for it): one line, not
    /// counted.
    pub fn skip(&mut self, dev: &str, name: &str, why: &str) {
        println!("SKIP {dev}: {name}: {why}");
    }

    pub fn case(&mut self, dev: &str, name: &str, result: Result<(), String>) {
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

/// A 32-bit value that differs for every word and seed, so a misplaced window shows.
pub fn pattern(seed: u32, word: usize) -> u32 {
    let x = (word as u32).wrapping_mul(0x9e37_79b1) ^ seed.rotate_left(7) ^ (word as u32 >> 16);
    x ^ (x >> 15)
}

pub fn fill_mapping(map: &Mapping, seed: u32) {
    for w in 0..map.words() {
        map.write_u32(w, pattern(seed, w));
    }
}

pub fn check_mapping(map: &Mapping, seed: u32, first_word: usize) -> Result<(), String> {
    for w in 0..map.words() {
        let (got, want) = (map.read_u32(w), pattern(seed, first_word + w));
        if got != want {
            return Err(format!(
                "mapping word {w} (byte {:#x}): got {got:#010x}, want {want:#010x}",
                w * 4
            ));
        }
    }
    Ok(())
}

pub fn pattern_bytes(seed: u32, first_word: usize, len: usize) -> Vec<u8> {
    (0..len / 4)
        .flat_map(|w| pattern(seed, first_word + w).to_ne_bytes())
        .collect()
}

/// Compares `len` bytes at `offset` read with pread against the pattern.
fn check_pread(dev: &Device, offset: usize, len: usize, seed: u32) -> Result<(), String> {
    let mut buf = vec![0u8; len];
    dev.read_exact_at(&mut buf, offset as u64)
        .map_err(|e| e.to_string())?;
    let want = pattern_bytes(seed, offset / 4, len);
    match buf.chunks(4).zip(want.chunks(4)).position(|(a, b)| a != b) {
        None => Ok(()),
        Some(w) => Err(format!(
            "pread byte {:#x}: got {:02x?}, want {:02x?}",
            offset + w * 4,
            &buf[w * 4..w * 4 + 4],
            &want[w * 4..w * 4 + 4]
        )),
    }
}

/// Expects `result` to fail with `errno`.
pub fn expect_errno<T>(result: io::Result<T>, errno: i32, name: &str) -> Result<(), String> {
    match result {
        Ok(_) => Err(format!("succeeded, want {name}")),
        Err(e) if e.raw_os_error() == Some(errno) => Ok(()),
        Err(e) => Err(format!("failed with {e}, want {name}")),
    }
}

/// The `VmFlags` line of /proc/self/smaps for the mapping at `addr`.
fn vm_flags(addr: usize) -> Result<Vec<String>, String> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")
        .map_err(|e| format!("/proc/self/smaps: read: {e}"))?;
    let mut inside = false;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ') {
            if let Some((start, _)) = range.split_once('-') {
                if let Ok(start) = usize::from_str_radix(start, 16) {
                    inside = start == addr;
                    continue;
                }
            }
        }
        if inside {
            if let Some(flags) = line.strip_prefix("VmFlags:") {
                return Ok(flags.split_whitespace().map(String::from).collect());
            }
        }
    }
    Err(format!(
        "no VmFlags for the mapping at {addr:#x} in /proc/self/smaps"
    ))
}

/// Whether /proc/iomem lists the region under the device's name.
fn iomem_lists(base: u64, size: u64, name: &str) -> Result<(), String> {
    let iomem =
        std::fs::read_to_string("/proc/iomem").map_err(|e| format!("/proc/iomem: read: {e}"))?;
    let want = format!("{:08x}-{:08x} : {name}", base, base + size - 1);
    if iomem.lines().any(|l| l.trim() == want) {
        Ok(())
    } else {
        Err(format!("no line '{want}' in /proc/iomem"))
    }
}

/// Runs every case on `dev`. The region's contents are saved first and restored at the end.
pub fn run(dev: &Device, report: &mut Report) {
    let name = dev.path.display().to_string();
    let name = name.as_str();
    let page = sys::page_size();
    let size = dev.size();
    let info = &dev.info;

    let info_ok = (|| {
        if size == 0 || !size.is_multiple_of(page) || !info.phys_base.is_multiple_of(page as u64) {
            return Err(format!(
                "bad geometry: base {:#x}, size {:#x}",
                info.phys_base, info.size
            ));
        }
        let file_name = dev.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if info.name != file_name {
            return Err(format!(
                "name '{}' is not the device file's name '{file_name}'",
                info.name
            ));
        }
        if info.memory_type_name() == "unknown" {
            return Err(format!("unknown memory type {}", info.memory_type));
        }
        Ok(())
    })();
    let info_valid = info_ok.is_ok();
    report.case(
        name,
        &format!(
            "info: {:#x} bytes at {:#x}, {}",
            info.size,
            info.phys_base,
            info.memory_type_name()
        ),
        info_ok,
    );
    if !info_valid {
        return;
    }
    report.case(
        name,
        "region claimed in /proc/iomem",
        iomem_lists(info.phys_base, info.size, &info.name),
    );

    let saved = match dev.contents() {
        Ok(saved) => saved,
        Err(e) => {
            report.case(name, "save contents", Err(e.to_string()));
            return;
        }
    };

    // Whole region: write through the mapping, read back with pread.
    let whole = match dev.map(0, size) {
        Ok(map) => map,
        Err(e) => {
            report.case(name, "mmap whole region", Err(e.to_string()));
            return;
        }
    };
    fill_mapping(&whole, 0x1111_1111);
    report.case(
        name,
        "write via mmap, verify via pread",
        check_pread(dev, 0, size, 0x1111_1111),
    );

    // And the reverse.
    let written = dev
        .write_all_at(&pattern_bytes(0x2222_2222, 0, size), 0)
        .map_err(|e| e.to_string());
    report.case(
        name,
        "write via pwrite, verify via mmap",
        written.and_then(|()| check_mapping(&whole, 0x2222_2222, 0)),
    );

    // A window at a non-zero offset must map that part of the region (vm_pgoff honoured).
    let offset = (size / 2) / page * page;
    let len = (size - offset).min(4 * page);
    let window_ok = dev
        .map(offset, len)
        .map_err(|e| e.to_string())
        .and_then(|window| {
            fill_mapping(&window, 0x3333_3333);
            // The window writes words numbered from 0; compare with the pattern at offset 0 ...
            let mut buf = vec![0u8; len];
            dev.read_exact_at(&mut buf, offset as u64)
                .map_err(|e| e.to_string())?;
            if buf != pattern_bytes(0x3333_3333, 0, len) {
                return Err(format!(
                    "pread at {offset:#x} does not show what the window at that offset wrote"
                ));
            }
            // ... and check the whole mapping sees it at the right place, with its neighbours intact.
            let first = offset / 4;
            for w in 0..len / 4 {
                if whole.read_u32(first + w) != pattern(0x3333_3333, w) {
                    return Err(format!(
                        "whole mapping word {:#x} differs from the window's",
                        first + w
                    ));
                }
            }
            if offset >= 4 && whole.read_u32(first - 1) != pattern(0x2222_2222, first - 1) {
                return Err("the word before the window changed".into());
            }
            if offset + len < size
                && whole.read_u32(first + len / 4) != pattern(0x2222_2222, first + len / 4)
            {
                return Err("the word after the window changed".into());
            }
            Ok(())
        });
    report.case(
        name,
        &format!("window of {len:#x} bytes at offset {offset:#x}"),
        window_ok,
    );

    let flags_ok = vm_flags(whole.addr()).and_then(|flags| {
        let has = |f: &str| flags.iter().any(|x| x == f);
        let missing: Vec<_> = ["io", "pf", "dd", "de", "sh"]
            .into_iter()
            .filter(|f| !has(f))
            .collect();
        let present: Vec<_> = ["ex", "me"].into_iter().filter(|f| has(f)).collect();
        if missing.is_empty() && present.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "VmFlags {flags:?}: missing {missing:?}, unexpected {present:?}"
            ))
        }
    });
    report.case(
        name,
        "VmFlags show a shared PFN/IO mapping, not executable",
        flags_ok,
    );
    drop(whole);

    let rw = PROT_READ | PROT_WRITE;
    report.case(
        name,
        "mmap offset past the end: EINVAL",
        expect_errno(
            dev.map_raw(size as i64, page, rw, MAP_SHARED),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "mmap length past the end: EINVAL",
        expect_errno(
            dev.map_raw(0, size + page, rw, MAP_SHARED),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "mmap window crossing the end: EINVAL",
        expect_errno(
            dev.map_raw((size - page) as i64, 2 * page, rw, MAP_SHARED),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "mmap offset whose byte sum overflows: EINVAL",
        expect_errno(
            dev.map_raw(0x7fff_ffff_f000, page, rw, MAP_SHARED),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "mmap MAP_PRIVATE: EINVAL",
        expect_errno(dev.map_raw(0, page, rw, MAP_PRIVATE), EINVAL, "EINVAL"),
    );
    report.case(
        name,
        "mmap PROT_EXEC: EPERM",
        expect_errno(
            dev.map_raw(0, page, PROT_READ | PROT_EXEC, MAP_SHARED),
            EPERM,
            "EPERM",
        ),
    );
    let mprotect_ok = dev
        .map_raw(0, page, rw, MAP_SHARED)
        .map_err(|e| format!("mmap: {e}"))
        .and_then(|m| expect_errno(m.protect(rw | PROT_EXEC), EACCES, "EACCES"));
    report.case(name, "mprotect adding PROT_EXEC: EACCES", mprotect_ok);

    let ro_ok = Device::open_with(&dev.path, false)
        .map_err(|e| e.to_string())
        .and_then(|ro| {
            expect_errno(
                ro.map_raw(0, page, rw, MAP_SHARED),
                EACCES,
                "EACCES for PROT_WRITE",
            )?;
            let map = ro
                .map_raw(0, page, PROT_READ, MAP_SHARED)
                .map_err(|e| format!("read-only mmap: {e}"))?;
            // Word 1 holds what the cases above left there (on a one-page region, the window's
            // pattern): compare with pread, not with an assumed pattern.
            let mut word = [0u8; 4];
            ro.read_exact_at(&mut word, 4).map_err(|e| e.to_string())?;
            if map.read_u32(1) != u32::from_ne_bytes(word) {
                return Err(format!(
                    "read-only mapping shows {:#010x} at byte 4, pread {:#010x}",
                    map.read_u32(1),
                    u32::from_ne_bytes(word)
                ));
            }
            Ok(())
        });
    report.case(
        name,
        "read-only open: PROT_WRITE EACCES, PROT_READ works",
        ro_ok,
    );

    let unknown = uapi::CARVEOUT_IOC_INFO + 1;
    report.case(
        name,
        "unknown ioctl: ENOTTY",
        expect_errno(
            sys::ioctl_addr(dev.file.as_fd(), unknown, 0),
            ENOTTY,
            "ENOTTY",
        ),
    );
    report.case(
        name,
        "info ioctl with a bad pointer: EFAULT",
        expect_errno(
            sys::ioctl_addr(dev.file.as_fd(), uapi::CARVEOUT_IOC_INFO, 16),
            EFAULT,
            "EFAULT",
        ),
    );
    report.case(
        name,
        "lseek: ESPIPE",
        expect_errno((&dev.file).seek(SeekFrom::Start(0)), ESPIPE, "ESPIPE"),
    );

    let mut buf = [0u8; 8];
    let eof = match dev.file.read_at(&mut buf, size as u64) {
        Ok(0) => Ok(()),
        other => Err(format!("pread at the end gave {other:?}, want 0 bytes")),
    };
    report.case(name, "pread at the end: 0 bytes", eof);
    let short = match dev.file.read_at(&mut buf, size as u64 - 4) {
        Ok(4) => Ok(()),
        other => Err(format!("gave {other:?}, want 4 bytes")),
    };
    report.case(name, "pread crossing the end: shortened", short);
    report.case(
        name,
        "pread at a huge offset: 0 bytes",
        match dev.file.read_at(&mut buf, 1 << 62) {
            Ok(0) => Ok(()),
            other => Err(format!("gave {other:?}, want 0 bytes")),
        },
    );
    report.case(
        name,
        "pwrite at the end: ENOSPC",
        expect_errno(dev.file.write_at(&buf, size as u64), ENOSPC, "ENOSPC"),
    );

    crate::contract::run(dev, name, report);

    let restored = dev
        .write_all_at(&saved, 0)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            if dev.contents().map_err(|e| e.to_string())? == saved {
                Ok(())
            } else {
                Err("contents differ after restore".into())
            }
        });
    report.case(name, "original contents restored", restored);
}
