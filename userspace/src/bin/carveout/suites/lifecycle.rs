// SPDX-License-Identifier: MIT OR Apache-2.0

//! Lifecycle tests that need the driver's sysfs controls: unbinding a device while processes map
//! it, and holding a device open or mapped (so the board script can try to unload the module).

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::path::Path;

use carveout::{Carveout, Error, SyncDirection};

use crate::harness::raw::consts::{ENODEV, MAP_PRIVATE, PROT_READ, SIGBUS};
use crate::harness::raw::{self, Exit, Io};
use crate::harness::{
    check_mapping, driver_control, expect_errno, fill_mapping, region_len, Report,
};
/// An ioctl number of the driver's type that it does not define (`_IO(0xB9, 0x7f)`).
const UNKNOWN_IOCTL: u32 = 0xb97f;
/// Seconds a child may wait for the parent before SIGALRM ends it.
const CHILD_TIMEOUT: u32 = 60;

/// `carveout hold DEV open|map`: keeps DEV open (or only mapped, with the file closed), prints
/// "holding", then waits for a signal (kill it to let go).
pub fn hold(path: &Path, how: &str) -> Result<(), Error> {
    let dev = Carveout::open(path)?;
    let held = match how {
        // The mapping keeps the file referenced after `dev` closes it.
        "map" => {
            let map = dev.map_mut(0, carveout::page_size())?;
            drop(dev);
            (None, Some(map))
        }
        _ => (Some(dev), None),
    };
    println!("holding {} ({how})", path.display());
    raw::wait_for_signal();
    drop(held);
    Ok(())
}

/// `carveout checksum DEV`: a 64-bit FNV-1a hash of the region's contents (pread).
pub fn checksum(path: &Path) -> Result<u64, Error> {
    let dev = Carveout::open(path)?;
    Ok(dev.contents()?.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }))
}

/// `carveout revoke DEV NODE`: unbinds platform device NODE (which serves DEV) while this
/// process and two children map it, checks what each sees, rebinds, and checks the contents
/// survived. The region's contents are restored at the end.
pub fn revoke(path: &Path, node: &str, report: &mut Report) -> Result<(), Error> {
    let name = format!("revoke {}", path.display());
    let name = name.as_str();
    let dev = Carveout::open(path)?;
    let size = region_len(&dev);
    let page = carveout::page_size();
    let saved = dev.contents()?;
    let seed = 0x7e70_0e00;
    let whole = dev.map_mut(0, size)?;
    fill_mapping(&whole, seed)
        .map_err(|why| Error::new(path, "fill the mapping", std::io::Error::other(why)))?;

    let pipe = || std::io::pipe().map_err(|e| Error::new(path, "pipe", e));
    let (mut go_rx, mut go_tx) = pipe()?;
    let (mut ready_rx, mut ready_tx) = pipe()?;
    let spawn = |f: &mut dyn FnMut() -> i32| {
        raw::spawn(CHILD_TIMEOUT, f).map_err(|e| Error::new(path, "fork", e))
    };

    // Child 1 touches the mapping it inherited, before the unbind and after; child 4 touches
    // it only after, at its last page. Where the kernel maps blocks, such a mapping is
    // wipe-on-fork: a child's entries are faulted in, not copied. Child 1's first block is mapped
    // before the unbind (the revocation must zap it), child 4's last block never is (the fault
    // handler must refuse it). Child 2 maps a window itself.
    let inherited = spawn(&mut || {
        if whole.read_u32(0).is_err() || ready_tx.write_all(b"r").is_err() {
            return 2;
        }
        let mut go = [0u8; 1];
        if go_rx.read_exact(&mut go).is_err() {
            return 2;
        }
        // Touching the revoked mapping raises SIGBUS: the value does not matter.
        let _ = whole.read_u32(0);
        0
    })?;
    let untouched = spawn(&mut || {
        let mut go = [0u8; 1];
        if go_rx.read_exact(&mut go).is_err() {
            return 2;
        }
        let _ = whole.read_u32(size - page);
        0
    })?;
    // The second page, where there is one: a window at a non-zero offset.
    let own_offset = if size > page { page } else { 0 };
    let own = spawn(&mut || {
        let Ok(map) = dev.map_mut(own_offset as u64, page) else {
            return 3;
        };
        if ready_tx.write_all(b"r").is_err() {
            return 2;
        }
        let mut go = [0u8; 1];
        if go_rx.read_exact(&mut go).is_err() {
            return 2;
        }
        let _ = map.read_u32(0);
        0
    })?;
    // Child 3 holds the descriptor root opened, then drops root for `nobody` (as a process
    // handed the descriptor over a socket would be; the board's kernel has no AF_UNIX): the
    // revocation reaches it as it reaches root's.
    let (mut held_rx, mut held_tx) = pipe()?;
    let unprivileged = spawn(&mut || {
        let Ok(map) = dev.map_mut(0, page) else {
            return 3;
        };
        if raw::become_nobody().is_err() {
            return 4;
        }
        if held_tx.write_all(b"r").is_err() {
            return 2;
        }
        let mut go = [0u8; 1];
        if go_rx.read_exact(&mut go).is_err() {
            return 2;
        }
        let mut buf = [0u8; 4];
        let fd = dev.file().as_fd();
        if raw::read_at(fd, Io::Plain, &mut buf, 0).map_err(|e| e.raw_os_error())
            != Err(Some(ENODEV))
        {
            return 5;
        }
        if raw::aio_pread(fd, &mut buf, 0).map_err(|e| e.raw_os_error()) != Err(Some(ENODEV)) {
            return 6;
        }
        let _ = map.read_u32(0);
        0
    })?;
    drop(held_tx);
    drop(ready_tx);
    let mut ready = [0u8; 2];
    let mut held = [0u8; 1];
    let child_ready =
        ready_rx.read_exact(&mut ready).is_ok() && held_rx.read_exact(&mut held).is_ok();

    // The kernel's AIO reaches the driver's `read_iter` from an AIO request.
    let mut by_aio = [0u8; 16];
    let mut by_pread = [0u8; 16];
    report.case(
        name,
        "before unbind: an AIO read gives what pread gives",
        raw::aio_pread(dev.file().as_fd(), &mut by_aio, 0)
            .map_err(|e| format!("AIO read: {e}"))
            .and_then(|n| {
                dev.read_exact_at(&mut by_pread, 0)
                    .map_err(|e| e.to_string())?;
                if n == by_aio.len() && by_aio == by_pread {
                    Ok(())
                } else {
                    Err(format!(
                        "AIO read {n} bytes {by_aio:02x?}, pread {by_pread:02x?}"
                    ))
                }
            }),
    );

    let unbound = driver_control("unbind", node);
    let was_unbound = unbound.is_ok();
    report.case(name, "unbind while three processes map the device", unbound);
    if was_unbound {
        let mut buf = [0u8; 4];
        for io in Io::BOTH {
            report.case(
                name,
                &format!(
                    "after unbind: {} on a file still open: ENODEV",
                    io.read_name()
                ),
                expect_errno(
                    raw::read_at(dev.file().as_fd(), io, &mut buf, 0),
                    ENODEV,
                    "ENODEV",
                ),
            );
        }
        report.case(
            name,
            "after unbind: mmap on a file still open: ENODEV",
            expect_errno(dev.map_mut(0, page), ENODEV, "ENODEV"),
        );
        report.case(
            name,
            "after unbind: info ioctl: ENODEV",
            expect_errno(dev.query_info(), ENODEV, "ENODEV"),
        );
        report.case(
            name,
            "after unbind: lseek on a file still open: ENODEV",
            expect_errno(dev.file().seek(SeekFrom::Start(0)), ENODEV, "ENODEV"),
        );
        report.case(
            name,
            "after unbind: sync ioctl: ENODEV",
            expect_errno(
                dev.sync(0, dev.size(), SyncDirection::Bidirectional),
                ENODEV,
                "ENODEV",
            ),
        );
        // Every call that reaches the driver fails so, whatever its arguments: also those that
        // would give 0, ENOSPC or EINVAL on a bound device. (A `preadv`/`pwritev` of 0 bytes
        // never reaches it: the VFS answers 0 itself, `vfs_readv` in fs/read_write.c.)
        let end = size as i64;
        for io in Io::BOTH {
            let cases: &[_] = match io {
                Io::Plain => &[("at the end", end, 4), ("of 0 bytes", 0, 0)],
                Io::Vector => &[("at the end", end, 4)],
            };
            for &(what, at, len) in cases {
                report.case(
                    name,
                    &format!("after unbind: {} {what}: ENODEV", io.read_name()),
                    expect_errno(
                        raw::read_at(dev.file().as_fd(), io, &mut buf[..len], at),
                        ENODEV,
                        "ENODEV",
                    ),
                );
                report.case(
                    name,
                    &format!("after unbind: {} {what}: ENODEV", io.write_name()),
                    expect_errno(
                        raw::write_at(dev.file().as_fd(), io, &buf[..len], at),
                        ENODEV,
                        "ENODEV",
                    ),
                );
            }
        }
        report.case(
            name,
            "after unbind: an AIO read: ENODEV",
            expect_errno(
                raw::aio_pread(dev.file().as_fd(), &mut buf, 0),
                ENODEV,
                "ENODEV",
            ),
        );
        report.case(
            name,
            "after unbind: mmap MAP_PRIVATE: ENODEV",
            expect_errno(
                raw::map_carveout(&dev, 0, page, PROT_READ, MAP_PRIVATE),
                ENODEV,
                "ENODEV",
            ),
        );
        report.case(
            name,
            "after unbind: an unknown ioctl: ENODEV",
            expect_errno(
                raw::ioctl_unmapped(dev.file().as_fd(), UNKNOWN_IOCTL),
                ENODEV,
                "ENODEV",
            ),
        );
        report.case(
            name,
            "after unbind: the device file is gone",
            if path.exists() {
                Err(format!("{} still exists", path.display()))
            } else {
                Ok(())
            },
        );
        let iomem = std::fs::read_to_string("/proc/iomem").unwrap_or_default();
        let claim = format!(" : {}", dev.info().name);
        report.case(
            name,
            "after unbind: the range is released from /proc/iomem",
            if iomem.lines().any(|l| l.ends_with(&claim)) {
                Err(format!("/proc/iomem still lists '{}'", dev.info().name))
            } else {
                Ok(())
            },
        );
    }
    // Let the children touch their mappings now.
    let released = go_tx.write_all(b"gggg").map_err(|e| e.to_string());
    drop(go_tx);
    let want = Exit::Signal(SIGBUS);
    for (pid, what) in [
        (
            inherited,
            "an inherited mapping, touched before the unbind too,",
        ),
        (
            untouched,
            "an inherited mapping's last page, untouched in the child before,",
        ),
        (own, "another process's own mapping"),
        (
            unprivileged,
            "an unprivileged holder's mapping, after ENODEV for its pread and AIO read,",
        ),
    ] {
        let result = raw::wait(pid)
            .map_err(|e| format!("wait: {e}"))
            .and_then(|exit| {
                released.clone()?;
                if !child_ready {
                    return Err(format!("the child never got ready ({exit:?})"));
                }
                if exit == want {
                    Ok(())
                } else {
                    Err(format!("child ended with {exit:?}, want {want:?}"))
                }
            });
        report.case(
            name,
            &format!("after unbind: touching {what} raises SIGBUS"),
            result,
        );
    }
    // Our own mapping is revoked too; it is unmapped here without being touched.
    drop(whole);
    drop(dev);

    if !was_unbound {
        return Ok(());
    }
    let bound = driver_control("bind", node);
    let rebound = bound.is_ok();
    report.case(name, "rebind", bound);
    if !rebound {
        return Ok(());
    }
    let dev = Carveout::open(path)?;
    let map = dev.map_mut(0, size)?;
    report.case(
        name,
        "after rebind: a new mapping sees the contents written before unbind",
        check_mapping(&map, seed, 0),
    );
    drop(map);
    dev.write_all_at(&saved, 0)?;
    report.case(
        name,
        "original contents restored",
        if dev.contents()? == saved {
            Ok(())
        } else {
            Err("contents differ after restore".into())
        },
    );
    Ok(())
}
