// SPDX-License-Identifier: MIT OR Apache-2.0

//! The on-board self-test of one carveout device: its info, sysfs, mappings, sync, the
//! refusals of `mmap`, ioctl and `lseek`, and `pread`/`pwrite` at the edges; one line per case.
//!
//! [`run`] saves the region's contents first, and hands them back for [`restore`]: the
//! `selftest` command runs the bad calls (`contract.rs`) and the kill cases (`kill.rs`) in
//! between (`suites.rs`).

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;

use carveout::{Access, Carveout, MappingMut, SyncDirection};

use crate::harness::raw;
use crate::harness::raw::consts::{
    CARVEOUT_IOC_INFO, EACCES, EFAULT, EINVAL, ENOSPC, ENOTTY, EPERM, MAP_PRIVATE, MAP_SHARED,
    PROT_EXEC, PROT_READ, PROT_WRITE, SEEK_DATA, SEEK_HOLE,
};
use crate::harness::{
    check_mapping, check_words, expect_errno, fill_mapping, fill_words, pattern, pattern_bytes,
    region_len, Report,
};

/// Compares `len` bytes at `offset` read with pread against the pattern.
fn check_pread(dev: &Carveout, offset: usize, len: usize, seed: u32) -> Result<(), String> {
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

/// Checks the sysfs attributes: written as documented, equal to the info ioctl's.
fn check_sysfs_attributes(dev: &Carveout) -> Result<(), String> {
    let info = dev.info();
    let dir = dev.sysfs_dir();
    for (attribute, want) in [
        ("phys_addr", format!("{:#x}\n", info.phys_base)),
        ("size", format!("{}\n", info.size)),
        ("memory_type", format!("{}\n", info.memory_type)),
    ] {
        let path = dir.join(attribute);
        let got =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: read: {e}", path.display()))?;
        if got != want {
            return Err(format!("{}: got {got:?}, want {want:?}", path.display()));
        }
    }
    // And the library reads them back as the ioctl's values.
    let attrs = dev.sysfs_attributes().map_err(|e| e.to_string())?;
    if (attrs.phys_addr, attrs.size, attrs.memory_type)
        != (info.phys_base, info.size, info.memory_type)
    {
        return Err(format!("read as {attrs:?}, the info ioctl says {info:?}"));
    }
    Ok(())
}

/// Checks `/sys/class/misc/<name>/device`: a platform device the `carveout` driver serves, with
/// a device-tree node.
fn check_sysfs_device(dev: &Carveout) -> Result<(), String> {
    let device = dev.platform_device().map_err(|e| e.to_string())?;
    if !device.starts_with("/sys/devices/platform/") {
        return Err(format!(
            "device is {}, not under /sys/devices/platform",
            device.display()
        ));
    }
    let driver = device.join("driver");
    let target =
        std::fs::read_link(&driver).map_err(|e| format!("{}: read link: {e}", driver.display()))?;
    if target.file_name().and_then(|n| n.to_str()) != Some("carveout") {
        return Err(format!(
            "{} points to {}, not the carveout driver",
            driver.display(),
            target.display()
        ));
    }
    let of_node = device.join("of_node");
    match std::fs::symlink_metadata(&of_node) {
        Ok(meta) if meta.file_type().is_symlink() => Ok(()),
        Ok(_) => Err(format!("{} is not a link", of_node.display())),
        Err(e) => Err(format!("{}: {e}", of_node.display())),
    }
}

/// `lseek` to `to`: expects the new position `want`.
fn seek_to(file: &mut &std::fs::File, to: SeekFrom, want: u64) -> Result<(), String> {
    match file.seek(to) {
        Ok(got) if got == want => Ok(()),
        Ok(got) => Err(format!("lseek {to:?} gave {got}, want {want}")),
        Err(e) => Err(format!("lseek {to:?}: {e}, want {want}")),
    }
}

/// `lseek` with every whence, inside the region: the positions it gives.
fn check_seek_inside(dev: &Carveout, size: u64) -> Result<(), String> {
    let mut file = dev.file();
    seek_to(&mut file, SeekFrom::Start(8), 8)?;
    seek_to(&mut file, SeekFrom::Current(4), 12)?;
    seek_to(&mut file, SeekFrom::Current(-12), 0)?;
    seek_to(&mut file, SeekFrom::Start(size), size)?;
    seek_to(&mut file, SeekFrom::Current(0), size)?;
    seek_to(&mut file, SeekFrom::End(-4), size - 4)?;
    // Lossless: a region is far smaller than 2^63 bytes.
    seek_to(&mut file, SeekFrom::End(-(size as i64)), 0)
}

/// `lseek` to a position before 0 or past the end: `EINVAL`, and the position stays.
fn check_seek_outside(dev: &Carveout, size: u64) -> Result<(), String> {
    let mut file = dev.file();
    seek_to(&mut file, SeekFrom::Start(8), 8)?;
    // Lossless: a region is far smaller than 2^63 bytes.
    let signed = size as i64;
    for to in [
        SeekFrom::Current(-9),
        SeekFrom::Current(signed),
        SeekFrom::End(1),
        SeekFrom::End(-signed - 1),
        SeekFrom::Start(size + 1),
        SeekFrom::Start(1 << 62),
    ] {
        expect_errno(file.seek(to), EINVAL, "EINVAL").map_err(|e| format!("lseek {to:?}: {e}"))?;
    }
    seek_to(&mut file, SeekFrom::Current(0), 8).map_err(|e| format!("after EINVAL: {e}"))
}

/// `lseek` with `SEEK_DATA` or `SEEK_HOLE`: `EINVAL`, and the position stays.
fn check_seek_other_whence(dev: &Carveout) -> Result<(), String> {
    let mut file = dev.file();
    seek_to(&mut file, SeekFrom::Start(8), 8)?;
    for (whence, name) in [(SEEK_DATA, "SEEK_DATA"), (SEEK_HOLE, "SEEK_HOLE")] {
        expect_errno(raw::lseek(file.as_fd(), 0, whence), EINVAL, "EINVAL")
            .map_err(|e| format!("lseek {name} 0: {e}"))?;
    }
    seek_to(&mut file, SeekFrom::Current(0), 8).map_err(|e| format!("after EINVAL: {e}"))
}

/// `read` and `write` from the file position, which follows them.
fn check_read_write_follow(dev: &Carveout, size: u64) -> Result<(), String> {
    let mut file = dev.file();
    let at = |offset: u64| -> Result<[u8; 4], String> {
        let mut word = [0u8; 4];
        dev.read_exact_at(&mut word, offset)
            .map_err(|e| e.to_string())?;
        Ok(word)
    };
    seek_to(&mut file, SeekFrom::End(-8), size - 8)?;
    let mut word = [0u8; 4];
    file.read_exact(&mut word)
        .map_err(|e| format!("read at {:#x}: {e}", size - 8))?;
    if word != at(size - 8)? {
        return Err(format!("read at {:#x} differs from pread there", size - 8));
    }
    seek_to(&mut file, SeekFrom::Current(0), size - 4).map_err(|e| format!("after read: {e}"))?;
    file.write_all(&[0x5a, 0xa5, 0x3c, 0xc3])
        .map_err(|e| format!("write at {:#x}: {e}", size - 4))?;
    if at(size - 4)? != [0x5a, 0xa5, 0x3c, 0xc3] {
        return Err(format!(
            "pread at {:#x} does not show what write wrote there",
            size - 4
        ));
    }
    seek_to(&mut file, SeekFrom::Current(0), size).map_err(|e| format!("after write: {e}"))?;
    match file.read(&mut word) {
        Ok(0) => {}
        other => return Err(format!("read at the end gave {other:?}, want 0 bytes")),
    }
    expect_errno(file.write(&word), ENOSPC, "ENOSPC")
        .map_err(|e| format!("write at the end: {e}"))?;
    seek_to(&mut file, SeekFrom::Start(0), 0)?;
    file.read_exact(&mut word)
        .map_err(|e| format!("read at 0: {e}"))?;
    if word != at(0)? {
        return Err("read at 0 differs from pread there".into());
    }
    Ok(())
}

/// The byte ranges a sync check writes and reads back: the region's first 64 KiB and its last
/// page (all of a smaller region). Enough to see a sync lose or change data at either end of the
/// region and around an unaligned range near its start, without writing and reading a 16 MiB
/// region three times over in an emulator.
fn sync_spans(len: usize) -> Vec<(usize, usize)> {
    const HEAD: usize = 64 << 10;
    let tail = carveout::page_size().min(len);
    if len <= HEAD + tail {
        vec![(0, len)]
    } else {
        vec![(0, HEAD), (len - tail, tail)]
    }
}

/// Writes the pattern of `seed` through the mapping over [`sync_spans`], syncs `len` bytes at
/// `offset` in `direction`, and checks that the mapping and pread still see the pattern there.
fn check_sync(
    dev: &Carveout,
    whole: &MappingMut,
    seed: u32,
    (offset, len): (u64, u64),
    direction: SyncDirection,
) -> Result<(), String> {
    let spans = sync_spans(whole.len());
    for &(at, n) in &spans {
        fill_words(whole, seed, at / 4..(at + n) / 4)?;
    }
    dev.sync(offset, len, direction)
        .map_err(|e| e.to_string())?;
    for &(at, n) in &spans {
        check_words(whole, seed, 0, at / 4..(at + n) / 4)?;
        check_pread(dev, at, n, seed)?;
    }
    Ok(())
}

/// Runs every case of this suite on `dev`, named `name` in the report, after saving the
/// region's contents: the contents saved, for [`restore`] once the other suites have run, or
/// `None` when a case failed that leaves nothing more to test (the device's info, saving the
/// contents, mapping the whole region).
pub fn run(dev: &Carveout, name: &str, report: &mut Report) -> Option<Vec<u8>> {
    let page = carveout::page_size();
    let size = region_len(dev);
    let info = dev.info();

    let info_ok = (|| {
        if size == 0 || !size.is_multiple_of(page) || !info.phys_base.is_multiple_of(page as u64) {
            return Err(format!(
                "bad geometry: base {:#x}, size {:#x}",
                info.phys_base, info.size
            ));
        }
        let file_name = dev
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if info.name != file_name {
            return Err(format!(
                "name '{}' is not the device file's name '{file_name}'",
                info.name
            ));
        }
        Ok(())
    })();
    let info_valid = info_ok.is_ok();
    report.case(
        name,
        &format!(
            "info: {:#x} bytes at {:#x}, {}",
            info.size, info.phys_base, info.memory_type
        ),
        info_ok,
    );
    if !info_valid {
        return None;
    }
    report.case(
        name,
        "region claimed in /proc/iomem",
        iomem_lists(info.phys_base, info.size, &info.name),
    );
    report.case(
        name,
        "sysfs phys_addr, size, memory_type: as documented, equal to the info ioctl's",
        check_sysfs_attributes(dev),
    );
    report.case(
        name,
        "sysfs device: a platform device of the carveout driver, with an of_node",
        check_sysfs_device(dev),
    );

    let saved = match dev.contents() {
        Ok(saved) => saved,
        Err(e) => {
            report.case(name, "save contents", Err(e.to_string()));
            return None;
        }
    };

    // Whole region: write through the mapping, read back with pread.
    let whole = match dev.map_mut(0, size) {
        Ok(map) => map,
        Err(e) => {
            report.case(name, "mmap whole region", Err(e.to_string()));
            return None;
        }
    };
    report.case(
        name,
        "write via mmap, verify via pread",
        fill_mapping(&whole, 0x1111_1111).and_then(|()| check_pread(dev, 0, size, 0x1111_1111)),
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
        .map_mut(offset as u64, len)
        .map_err(|e| e.to_string())
        .and_then(|window| {
            fill_mapping(&window, 0x3333_3333)?;
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
            let word = |w: usize| whole.read_u32(w * 4).map_err(|e| e.to_string());
            let first = offset / 4;
            for w in 0..len / 4 {
                if word(first + w)? != pattern(0x3333_3333, w) {
                    return Err(format!(
                        "whole mapping word {:#x} differs from the window's",
                        first + w
                    ));
                }
            }
            if offset >= 4 && word(first - 1)? != pattern(0x2222_2222, first - 1) {
                return Err("the word before the window changed".into());
            }
            if offset + len < size
                && word(first + len / 4)? != pattern(0x2222_2222, first + len / 4)
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

    let flags_ok = vm_flags(whole.as_ptr() as usize).and_then(|flags| {
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

    // CARVEOUT_IOC_SYNC succeeds on every memory type and leaves the contents as they were,
    // right after CPU stores through a mapping: even for-cpu alone (an invalidate also cleans,
    // so no CPU write is dropped), and over a range that starts and ends inside cache lines.
    let memory_type = dev.memory_type();
    let all = (0, info.size);
    for (seed, direction) in [
        (0x7777_0001, SyncDirection::ForDevice),
        (0x7777_0002, SyncDirection::ForCpu),
        (0x7777_0003, SyncDirection::Bidirectional),
    ] {
        report.case(
            name,
            &format!("sync {direction} over the whole region ({memory_type}): 0, contents intact"),
            check_sync(dev, &whole, seed, all, direction),
        );
    }
    report.case(
        name,
        "sync for-cpu of 61 bytes at byte 3: 0, the bytes around it intact",
        check_sync(dev, &whole, 0x7777_0005, (3, 61), SyncDirection::ForCpu),
    );
    let window_sync = dev
        .map_mut(offset as u64, len)
        .map_err(|e| e.to_string())
        .and_then(|window| {
            fill_mapping(&window, 0x7777_0004)?;
            window
                .sync(dev, 0, len, SyncDirection::Bidirectional)
                .map_err(|e| e.to_string())?;
            check_mapping(&window, 0x7777_0004, 0)?;
            // The window's words are numbered from 0, as in the window case above.
            let mut buf = vec![0u8; len];
            dev.read_exact_at(&mut buf, offset as u64)
                .map_err(|e| e.to_string())?;
            if buf != pattern_bytes(0x7777_0004, 0, len) {
                return Err(format!(
                    "pread at {offset:#x} differs from the window's pattern"
                ));
            }
            Ok(())
        });
    report.case(
        name,
        "sync both through a window mapping (its range, relative to it): 0, contents intact",
        window_sync,
    );
    report.case(
        name,
        "sync of length 0 at the end: 0",
        dev.sync(info.size, 0, SyncDirection::ForDevice)
            .map_err(|e| e.to_string()),
    );
    let ro_sync = Carveout::open_with(dev.path(), Access::ReadOnly)
        .and_then(|ro| ro.sync(0, ro.size(), SyncDirection::Bidirectional))
        .map_err(|e| e.to_string());
    report.case(name, "sync on a read-only open: 0", ro_sync);
    drop(whole);

    let rw = PROT_READ | PROT_WRITE;
    report.case(
        name,
        "mmap offset past the end: EINVAL",
        expect_errno(dev.map_mut(size as u64, page), EINVAL, "EINVAL"),
    );
    report.case(
        name,
        "mmap length past the end: EINVAL",
        expect_errno(dev.map_mut(0, size + page), EINVAL, "EINVAL"),
    );
    report.case(
        name,
        "mmap window crossing the end: EINVAL",
        expect_errno(
            dev.map_mut((size - page) as u64, 2 * page),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "mmap offset whose byte sum overflows: EINVAL",
        expect_errno(dev.map_mut(0x7fff_ffff_f000, page), EINVAL, "EINVAL"),
    );
    report.case(
        name,
        "mmap MAP_PRIVATE: EINVAL",
        expect_errno(
            raw::map_carveout(dev, 0, page, rw, MAP_PRIVATE),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "mmap PROT_EXEC: EPERM",
        expect_errno(
            raw::map_carveout(dev, 0, page, PROT_READ | PROT_EXEC, MAP_SHARED),
            EPERM,
            "EPERM",
        ),
    );
    let mprotect_ok = dev
        .map_mut(0, page)
        .map_err(|e| e.to_string())
        .and_then(|m| expect_errno(raw::protect(&m, rw | PROT_EXEC), EACCES, "EACCES"));
    report.case(name, "mprotect adding PROT_EXEC: EACCES", mprotect_ok);

    let ro_ok = Carveout::open_with(dev.path(), Access::ReadOnly)
        .map_err(|e| e.to_string())
        .and_then(|ro| {
            expect_errno(ro.map_mut(0, page), EACCES, "EACCES for PROT_WRITE")?;
            let map = ro.map(0, page).map_err(|e| e.to_string())?;
            // Word 1 holds what the cases above left there (on a one-page region, the window's
            // pattern): compare with pread, not with an assumed pattern.
            let mut word = [0u8; 4];
            ro.read_exact_at(&mut word, 4).map_err(|e| e.to_string())?;
            let mapped = map.read_u32(4).map_err(|e| e.to_string())?;
            if mapped != u32::from_ne_bytes(word) {
                return Err(format!(
                    "read-only mapping shows {mapped:#010x} at byte 4, pread {:#010x}",
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

    let fd = dev.file().as_fd();
    report.case(
        name,
        "unknown ioctl: ENOTTY",
        expect_errno(
            raw::ioctl_unmapped(fd, CARVEOUT_IOC_INFO + 1),
            ENOTTY,
            "ENOTTY",
        ),
    );
    report.case(
        name,
        "info ioctl with a bad pointer: EFAULT",
        expect_errno(raw::ioctl_unmapped(fd, CARVEOUT_IOC_INFO), EFAULT, "EFAULT"),
    );

    // lseek over the region's fixed size; read and write follow the position.
    let region = info.size;
    report.case(
        name,
        "lseek SEEK_END 0: the region's size",
        seek_to(&mut dev.file(), SeekFrom::End(0), region),
    );
    report.case(
        name,
        "lseek SEEK_SET, SEEK_CUR, SEEK_END inside the region: the position asked",
        check_seek_inside(dev, region),
    );
    report.case(
        name,
        "lseek before 0 or past the end: EINVAL, the position unchanged",
        check_seek_outside(dev, region),
    );
    report.case(
        name,
        "lseek SEEK_DATA, SEEK_HOLE: EINVAL, the position unchanged",
        check_seek_other_whence(dev),
    );
    report.case(
        name,
        "read and write from the file position, which follows them",
        check_read_write_follow(dev, region),
    );

    let mut buf = [0u8; 8];
    let eof = match dev.file().read_at(&mut buf, size as u64) {
        Ok(0) => Ok(()),
        other => Err(format!("pread at the end gave {other:?}, want 0 bytes")),
    };
    report.case(name, "pread at the end: 0 bytes", eof);
    let short = match dev.file().read_at(&mut buf, size as u64 - 4) {
        Ok(4) => Ok(()),
        other => Err(format!("gave {other:?}, want 4 bytes")),
    };
    report.case(name, "pread crossing the end: shortened", short);
    report.case(
        name,
        "pread at a huge offset: 0 bytes",
        match dev.file().read_at(&mut buf, 1 << 62) {
            Ok(0) => Ok(()),
            other => Err(format!("gave {other:?}, want 0 bytes")),
        },
    );
    report.case(
        name,
        "pwrite at the end: ENOSPC",
        expect_errno(dev.file().write_at(&buf, size as u64), ENOSPC, "ENOSPC"),
    );

    Some(saved)
}

/// Writes back the contents [`run`] saved, and checks them: the last case of the self-test.
pub fn restore(dev: &Carveout, name: &str, saved: &[u8], report: &mut Report) {
    let restored = dev
        .write_all_at(saved, 0)
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
