//! Bad calls from user space: each case makes one call the driver (or the kernel's mm, for the
//! device's mappings) must refuse or survive, and checks the exact errno, signal or contents.
//! Run by the self-test between saving and restoring the region's contents.

use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;

use crate::device::Device;
use crate::selftest::{check_mapping, expect_errno, fill_mapping, pattern, Report};
use crate::sys::errno::{EACCES, EBADF, EFAULT, EINVAL, ENOSPC, EOVERFLOW};
use crate::sys::{self, Exit, MADV_DONTNEED, MAP_SHARED, PROT_READ, PROT_WRITE, SIGSEGV};

/// Seconds a test child may run before SIGALRM ends it.
const CHILD_TIMEOUT: u32 = 10;

/// Describes how a child ended, against what was wanted.
fn expect_exit(got: std::io::Result<Exit>, want: Exit) -> Result<(), String> {
    match got {
        Ok(exit) if exit == want => Ok(()),
        Ok(exit) => Err(format!("child ended with {exit:?}, want {want:?}")),
        Err(e) => Err(format!("fork/wait: {e}")),
    }
}

/// Runs every case on `dev`; the cases that need more pages than the region has are skipped.
pub fn run(dev: &Device, name: &str, report: &mut Report) {
    let page = sys::page_size();
    let size = dev.size();
    let rw = PROT_READ | PROT_WRITE;
    let fd = dev.file.as_fd();

    report.case(
        name,
        "mmap of length 0: EINVAL",
        expect_errno(dev.map_raw(0, 0, rw, MAP_SHARED), EINVAL, "EINVAL"),
    );
    report.case(
        name,
        "mmap offset not page-aligned: EINVAL",
        expect_errno(dev.map_raw(100, page, rw, MAP_SHARED), EINVAL, "EINVAL"),
    );
    // The largest page offset a 32-bit mmap2 can carry: page offset + length wraps around.
    report.case(
        name,
        "mmap where page offset + length wraps: EOVERFLOW",
        expect_errno(
            dev.map_raw(0xffff_ffff * page as i64, page, rw, MAP_SHARED),
            EOVERFLOW,
            "EOVERFLOW",
        ),
    );

    // A fresh mapping is complete at mmap time: no page faults when reading and writing every
    // page (on ARM the pages are mapped dirty, so the first write does not fault either).
    let faults = dev.map(0, size).map_err(|e| e.to_string()).and_then(|map| {
        let before = sys::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
        for p in 0..size / page {
            let word = p * page / 4;
            map.write_u32(word, map.read_u32(word) ^ 1);
        }
        let after = sys::minor_faults().map_err(|e| format!("getrusage: {e}"))?;
        match after - before {
            0 => Ok(()),
            n => Err(format!("{n} minor faults for {} pages", size / page)),
        }
    });
    report.case(
        name,
        "read and write every page of a fresh mapping: no page fault",
        faults,
    );

    // mremap: growing is refused (VM_DONTEXPAND), the mapping stays as it was.
    let grow = dev.map(0, page).map_err(|e| e.to_string()).and_then(|map| {
        fill_mapping(&map, 0x4444_4444);
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
            .map(0, 2 * page)
            .map_err(|e| e.to_string())
            .and_then(|map| {
                fill_mapping(&map, 0x4545_4545);
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
            .map(0, mapped * page)
            .map_err(|e| e.to_string())
            .and_then(|map| {
                fill_mapping(&map, 0x5555_5555);
                map.unmap_part(page, page)
                    .map_err(|e| format!("munmap of the second page: {e}"))?;
                let words = page / 4;
                for w in (0..words).chain(2 * words..mapped * words) {
                    if map.read_u32(w) != pattern(0x5555_5555, w) {
                        return Err(format!("word {w:#x} changed after a partial munmap"));
                    }
                }
                expect_exit(
                    sys::in_child(CHILD_TIMEOUT, || {
                        map.read_u32(words);
                        0
                    }),
                    Exit::Signal(SIGSEGV),
                )
            });
        report.case(name, &partial_name, partial);
    }

    // fork: the child inherits the shared mapping; writes from both sides are seen by both.
    let forked = dev.map(0, page).map_err(|e| e.to_string()).and_then(|map| {
        map.write_u32(0, 0x0a0a_0a0a);
        map.write_u32(1, 0);
        let child = sys::in_child(CHILD_TIMEOUT, || {
            if map.read_u32(0) != 0x0a0a_0a0a {
                return 2;
            }
            map.write_u32(1, 0x0b0b_0b0b);
            0
        });
        expect_exit(child, Exit::Code(0))
            .map_err(|e| format!("{e} (2: the child did not see the parent's write)"))?;
        let mut word = [0u8; 4];
        dev.file
            .read_exact_at(&mut word, 4)
            .map_err(|e| format!("pread: {e}"))?;
        if map.read_u32(1) != 0x0b0b_0b0b || u32::from_ne_bytes(word) != 0x0b0b_0b0b {
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
    let dontneed = dev.map(0, page).map_err(|e| e.to_string()).and_then(|map| {
        fill_mapping(&map, 0x6666_6666);
        expect_errno(map.advise(MADV_DONTNEED), EINVAL, "EINVAL")?;
        check_mapping(&map, 0x6666_6666, 0)
    });
    report.case(
        name,
        "madvise(MADV_DONTNEED): EINVAL, contents re-read intact",
        dontneed,
    );

    let mut four = [0u8; 4];
    report.case(
        name,
        "pwrite crossing the end: shortened",
        match dev.file.write_at(&four, size as u64 - 2) {
            Ok(2) => Ok(()),
            other => Err(format!("gave {other:?}, want 2 bytes")),
        },
    );
    report.case(
        name,
        "pwrite at a huge offset: ENOSPC",
        expect_errno(dev.file.write_at(&four, 1 << 62), ENOSPC, "ENOSPC"),
    );
    report.case(
        name,
        "pread at a negative offset: EINVAL",
        expect_errno(
            sys::pread_raw(fd, four.as_mut_ptr() as usize, 4, -4096),
            EINVAL,
            "EINVAL",
        ),
    );
    report.case(
        name,
        "pread into a bad buffer: EFAULT",
        expect_errno(sys::pread_raw(fd, 16, 4, 0), EFAULT, "EFAULT"),
    );
    report.case(
        name,
        "pwrite from a bad buffer: EFAULT",
        expect_errno(sys::pwrite_raw(fd, 16, 4, 0), EFAULT, "EFAULT"),
    );
    let read_only = Device::open_with(&dev.path, false)
        .map_err(|e| e.to_string())
        .and_then(|ro| expect_errno(ro.file.write_at(&four, 0), EBADF, "EBADF"));
    report.case(name, "read-only open: pwrite EBADF", read_only);

    // A read-only file's mapping cannot be made writable later.
    let ro_protect = Device::open_with(&dev.path, false)
        .map_err(|e| e.to_string())
        .and_then(|ro| {
            let map = ro
                .map_raw(0, page, PROT_READ, MAP_SHARED)
                .map_err(|e| format!("read-only mmap: {e}"))?;
            expect_errno(map.protect(rw), EACCES, "EACCES")
        });
    report.case(
        name,
        "read-only open: mprotect adding PROT_WRITE: EACCES",
        ro_protect,
    );
    // The device file is root-only: an unprivileged process cannot open it.
    let path = dev.path.clone();
    let nobody = sys::in_child(CHILD_TIMEOUT, move || {
        if sys::become_nobody().is_err() {
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
}
