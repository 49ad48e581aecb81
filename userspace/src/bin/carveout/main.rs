// SPDX-License-Identifier: MIT OR Apache-2.0

//! `carveout`: inspect, read, write, fill, sync and self-test carveout devices on the board.
//!
//! Built on the `carveout` library (`userspace/src/lib.rs`), in layers that each use only the
//! ones below them and the library:
//!
//! - this file, the command line: arguments, commands, exit codes;
//! - `suites.rs` and `suites/`: the test suites (selftest, contract, kill, lifecycle, stress,
//!   race) and the benchmark, each on its own, and the `selftest` command's composition of
//!   three of them;
//! - `harness.rs`: the report (`PASS`/`FAIL`/`SKIP`/`TIMEOUT` lines and the closing
//!   `N passed, N failed`) and what the suites share; `harness/raw.rs`: the calls the library
//!   does not make (the bad ones the self-test needs, processes).
//!
//! Exit codes: 0 success, 1 a self-test case failed, 2 bad usage, 3 an operation failed or the
//! system lacks what the command needs (no carveout device to self-test).

#![warn(clippy::undocumented_unsafe_blocks)]

mod harness;
mod suites;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carveout::{Carveout, Error, MemoryType, SyncDirection, SysfsAttributes};

use crate::harness::{region_len, CasesFailed, Report};
use crate::suites::{bench, lifecycle, race, stress};

const USAGE: &str = "\
usage: carveout <command> [args]

  list                           carveout devices on this system
  info     DEV                   physical base, size, memory type and name; sysfs attributes
  read     DEV [OFFSET [LEN]]    hex dump (pread; default 256 bytes at 0)
  write    DEV OFFSET TEXT       write TEXT's bytes at OFFSET (pwrite)
  fill     DEV BYTE [OFFSET LEN] fill through an mmap of the region (OFFSET, LEN multiples of 4)
  sync     DEV [--for-device|--for-cpu|--both] [OFFSET LEN]
                                 CARVEOUT_IOC_SYNC: clean (for the device), invalidate (for the
                                 CPU) or both (the default), over the whole region by default
  selftest [DEV...]              run the self-test on DEV (default: every device in `list`)
  checksum DEV                   64-bit FNV-1a hash of the region's contents
  hold     DEV open|map          keep DEV open (or only mapped) until killed
  wait     DEV [N [unmask]]      wait for N rings of DEV's doorbell (default 1), printing the
                                 count at each wake-up; unmask the line after each (level lines)
  revoke   DEV NODE              unbind platform device NODE while DEV is mapped, check the
                                 mappings die with SIGBUS, rebind, check the contents
  stress   SECONDS DEV...        processes and threads writing and verifying windows at once
  race     TIMEOUT CYCLES unbind DEV=NODE...
  race     TIMEOUT CYCLES rmmod MODULE DEV...
                                 processes opening, mapping, forking, remapping, reading and
                                 writing every DEV while its NODE is unbound and rebound (or
                                 MODULE unloaded and reloaded) CYCLES times; a TIMEOUT line if
                                 that takes longer than TIMEOUT seconds (a watchdog)
  bench    [--ramfs DIR] REPS DEV...
                                 DEV against /dev/mem, UIO, RAM and a file of the same size in
                                 the ramfs mounted at DIR: bandwidth, pread/pwrite, random
                                 4 KiB, mmap and munmap, first touch, minor faults;
                                 tab-separated BENCH lines
  bench-maps [--ramfs DIR] [--udmabuf UDEV] REPS DEV SIZE...
                                 windows of SIZE bytes of DEV mapped with block entries and
                                 with page entries, against u-dma-buf's UDEV, a ramfs file and
                                 RAM: mmap and munmap, first pass, faults, page tables, random
                                 reads; tab-separated BENCH lines

DEV is a path or a name under /dev. Numbers may be decimal or 0x-prefixed hex.
The self-test saves the region's contents first and restores them at the end.";

enum Failure {
    /// Bad arguments: the message, then the usage (exit 2).
    Usage(String),
    /// A failed operation (exit 3).
    Op(Error),
    /// The system lacks what the command needs, such as a carveout device (exit 3).
    Environment(String),
    /// A self-test case failed; the report said which (exit 1).
    Tests,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Op(e)
    }
}

impl From<CasesFailed> for Failure {
    fn from(_: CasesFailed) -> Failure {
        Failure::Tests
    }
}

fn dev_path(arg: &str) -> PathBuf {
    Carveout::device_path(arg)
}

fn number(arg: &str, what: &str) -> Result<usize, Failure> {
    let parsed = match arg.strip_prefix("0x") {
        Some(hex) => usize::from_str_radix(hex, 16),
        None => arg.parse(),
    };
    parsed.map_err(|_| Failure::Usage(format!("{what} '{arg}' is not a number")))
}

/// Every carveout device (sysfs names the ones the carveout driver serves), opened.
fn list_devices() -> Result<Vec<Carveout>, Failure> {
    Ok(carveout::list()?
        .iter()
        .map(Carveout::open)
        .collect::<Result<_, _>>()?)
}

/// The physical range of `size` bytes at `base`: `0x58000000-0x58ffffff`. An empty region, or
/// one past the end of the address space, which a driver could report, says so instead of
/// wrapping around.
fn phys_range(base: u64, size: u64) -> String {
    match size.checked_sub(1).map(|last| base.checked_add(last)) {
        Some(Some(last)) => format!("{base:#x}-{last:#x}"),
        Some(None) => format!("{base:#x}-(past 2^64)"),
        None => format!("{base:#x}-(empty)"),
    }
}

/// The line of `list` and `info`: `/dev/carveout-fb: phys 0x58000000-0x58ffffff (16384 KiB),
/// write-combine`.
fn print_region(path: &Path, base: u64, size: u64, memory_type: MemoryType) {
    println!(
        "{}: phys {} ({} KiB), {memory_type}",
        path.display(),
        phys_range(base, size),
        size / 1024,
    );
}

/// `list`: a line for each carveout, from its sysfs attributes, without opening it (the device
/// files are root-only). A device whose attributes cannot be read (unbound meanwhile) is
/// reported and skipped; the exit status says so at the end.
fn list() -> Result<(), Failure> {
    let names = carveout::list()?;
    let mut unreadable = 0;
    for name in &names {
        match SysfsAttributes::read(name) {
            Ok(a) => print_region(
                &Carveout::device_path(name),
                a.phys_addr,
                a.size,
                a.memory_type,
            ),
            Err(e) => {
                eprintln!("carveout: {e}");
                unreadable += 1;
            }
        }
    }
    if unreadable > 0 {
        return Err(Failure::Environment(format!(
            "list: the attributes of {unreadable} of {} devices could not be read",
            names.len()
        )));
    }
    Ok(())
}

/// `info`: the line of `list`, then the sysfs attributes and the platform device.
fn print_full_info(dev: &Carveout) -> Result<(), Failure> {
    let i = dev.info();
    print_region(dev.path(), i.phys_base, i.size, i.memory_type);
    let attrs = dev.sysfs_attributes()?;
    println!(
        "{}: phys_addr {:#x}, size {}, memory_type {}",
        dev.sysfs_dir().display(),
        attrs.phys_addr,
        attrs.size,
        attrs.memory_type
    );
    println!(
        "{}: {}",
        dev.sysfs_dir().join("device").display(),
        dev.platform_device()?.display()
    );
    Ok(())
}

fn checked_range(dev: &Carveout, offset: usize, len: usize) -> Result<(), Failure> {
    match offset.checked_add(len) {
        Some(end) if end <= region_len(dev) => Ok(()),
        _ => Err(Failure::Usage(format!(
            "{:#x} bytes at {offset:#x} do not fit in {} ({:#x} bytes)",
            len,
            dev.path().display(),
            dev.size()
        ))),
    }
}

/// What `sync` was asked: the device, the direction, and the range (`None`: the whole region).
struct SyncArgs<'a> {
    dev: &'a str,
    direction: SyncDirection,
    range: Option<(usize, usize)>,
}

/// Parses `DEV [--for-device|--for-cpu|--both] [OFFSET LEN]`; the default direction is both.
fn parse_sync(args: &[String]) -> Result<SyncArgs<'_>, Failure> {
    let (dev, rest) = args
        .split_first()
        .ok_or_else(|| Failure::Usage("sync: DEV missing".into()))?;
    let (direction, range) = match rest.first().map(String::as_str) {
        Some("--for-device") => (SyncDirection::ForDevice, &rest[1..]),
        Some("--for-cpu") => (SyncDirection::ForCpu, &rest[1..]),
        Some("--both") => (SyncDirection::Bidirectional, &rest[1..]),
        Some(flag) if flag.starts_with("--") => {
            return Err(Failure::Usage(format!(
                "sync: '{flag}' is not --for-device, --for-cpu or --both"
            )))
        }
        _ => (SyncDirection::Bidirectional, rest),
    };
    let range = match range {
        [] => None,
        [offset, len] => Some((number(offset, "OFFSET")?, number(len, "LEN")?)),
        _ => {
            return Err(Failure::Usage(
                "sync: give both OFFSET and LEN, or neither".into(),
            ))
        }
    };
    Ok(SyncArgs {
        dev,
        direction,
        range,
    })
}

/// `sync DEV [--for-device|--for-cpu|--both] [OFFSET LEN]`: `CARVEOUT_IOC_SYNC`.
fn sync(args: &[String]) -> Result<(), Failure> {
    let args = parse_sync(args)?;
    let dev = Carveout::open(dev_path(args.dev))?;
    let (offset, len) = args.range.unwrap_or((0, region_len(&dev)));
    checked_range(&dev, offset, len)?;
    // Lossless: `usize` is at most 64 bits wide.
    dev.sync(offset as u64, len as u64, args.direction)?;
    Ok(())
}

fn run(args: &[String]) -> Result<(), Failure> {
    let (cmd, rest) = args
        .split_first()
        .ok_or_else(|| Failure::Usage("no command".into()))?;
    let dev_arg = || {
        rest.first()
            .map(|d| dev_path(d))
            .ok_or_else(|| Failure::Usage(format!("{cmd}: DEV missing")))
    };
    match (cmd.as_str(), rest.len()) {
        ("list", 0) => list()?,
        ("info", 1) => print_full_info(&Carveout::open(dev_arg()?)?)?,
        ("read", 1..=3) => {
            let dev = Carveout::open(dev_arg()?)?;
            let offset = rest.get(1).map_or(Ok(0), |a| number(a, "OFFSET"))?;
            let len = rest
                .get(2)
                .map_or(Ok(256.min(region_len(&dev).saturating_sub(offset))), |a| {
                    number(a, "LEN")
                })?;
            checked_range(&dev, offset, len)?;
            let mut buf = vec![0u8; len];
            dev.read_exact_at(&mut buf, offset as u64)?;
            for (i, line) in buf.chunks(16).enumerate() {
                let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
                let text: String = line
                    .iter()
                    .map(|&b| {
                        if b.is_ascii_graphic() || b == b' ' {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                println!("{:08x}  {:<47}  |{text}|", offset + i * 16, hex.join(" "));
            }
        }
        ("write", 3) => {
            let dev = Carveout::open(dev_arg()?)?;
            let offset = number(&rest[1], "OFFSET")?;
            checked_range(&dev, offset, rest[2].len())?;
            dev.write_all_at(rest[2].as_bytes(), offset as u64)?;
        }
        ("fill", 2) | ("fill", 4) => {
            let dev = Carveout::open(dev_arg()?)?;
            let byte = u8::try_from(number(&rest[1], "BYTE")?)
                .map_err(|_| Failure::Usage("BYTE must be 0 to 255".into()))?;
            let (offset, len) = match rest.len() {
                4 => (number(&rest[2], "OFFSET")?, number(&rest[3], "LEN")?),
                _ => (0, region_len(&dev)),
            };
            checked_range(&dev, offset, len)?;
            if offset % 4 != 0 || len % 4 != 0 {
                return Err(Failure::Usage(
                    "fill: OFFSET and LEN must be multiples of 4".into(),
                ));
            }
            let map = dev.map_mut(0, region_len(&dev))?;
            let word = u32::from_ne_bytes([byte; 4]);
            for at in (offset..offset + len).step_by(4) {
                map.write_u32(at, word)?;
            }
        }
        ("sync", 1..=4) => sync(rest)?,
        ("selftest", _) => {
            let devices = if rest.is_empty() {
                list_devices()?
            } else {
                rest.iter()
                    .map(|d| Carveout::open(dev_path(d)))
                    .collect::<Result<_, _>>()?
            };
            if devices.is_empty() {
                return Err(Failure::Environment(
                    "selftest: no carveout device found".into(),
                ));
            }
            let mut report = Report::default();
            for dev in &devices {
                suites::selftest_device(dev, &mut report);
            }
            report.finish()?;
        }
        ("checksum", 1) => println!("{:016x}", lifecycle::checksum(&dev_arg()?)?),
        ("wait", 1..=3) => {
            let rings = match rest.get(1) {
                Some(n) => number(n, "N")?,
                None => 1,
            };
            let unmask = match rest.get(2).map(String::as_str) {
                None => false,
                Some("unmask") => true,
                Some(other) => {
                    return Err(Failure::Usage(format!("wait: '{other}' is not 'unmask'")))
                }
            };
            wait(&Carveout::open(dev_arg()?)?, rings, unmask)?;
        }
        ("hold", 2) => {
            let how = rest[1].as_str();
            if how != "open" && how != "map" {
                return Err(Failure::Usage(format!("hold: '{how}' is not open or map")));
            }
            lifecycle::hold(&dev_arg()?, how)?;
        }
        ("revoke", 2) => {
            let mut report = Report::default();
            lifecycle::revoke(&dev_arg()?, &rest[1], &mut report)?;
            report.finish()?;
        }
        ("bench", _) => {
            let (ramfs, rest) = match rest {
                [flag, dir, rest @ ..] if flag == "--ramfs" => (
                    Some(bench::ramfs_dir(dir).map_err(Failure::Environment)?),
                    rest,
                ),
                _ => (None, rest),
            };
            let [reps, devices @ ..] = rest else {
                return Err(Failure::Usage("bench: REPS and a DEV are needed".into()));
            };
            if devices.is_empty() {
                return Err(Failure::Usage("bench: no DEV given".into()));
            }
            let reps = number(reps, "REPS")?.max(1);
            let devices = devices
                .iter()
                .map(|d| Carveout::open(dev_path(d)))
                .collect::<Result<Vec<_>, _>>()?;
            bench::run(&devices, reps, ramfs.as_deref())?;
        }
        ("bench-maps", _) => {
            let mut rest = rest;
            let (mut ramfs, mut udmabuf) = (None, None);
            loop {
                match rest {
                    [flag, dir, tail @ ..] if flag == "--ramfs" => {
                        ramfs = Some(bench::ramfs_dir(dir).map_err(Failure::Environment)?);
                        rest = tail;
                    }
                    [flag, udev, tail @ ..] if flag == "--udmabuf" => {
                        udmabuf = Some(dev_path(udev));
                        rest = tail;
                    }
                    _ => break,
                }
            }
            let [reps, dev, sizes @ ..] = rest else {
                return Err(Failure::Usage(
                    "bench-maps: REPS, DEV and a SIZE are needed".into(),
                ));
            };
            if sizes.is_empty() {
                return Err(Failure::Usage("bench-maps: no SIZE given".into()));
            }
            let reps = number(reps, "REPS")?.max(1);
            let sizes = sizes
                .iter()
                .map(|s| number(s, "SIZE"))
                .collect::<Result<Vec<_>, _>>()?;
            let dev = Carveout::open(dev_path(dev))?;
            bench::run_maps(&dev, &sizes, reps, ramfs.as_deref(), udmabuf.as_deref())?;
        }
        ("stress", 2..) => {
            let seconds = number(&rest[0], "SECONDS")? as u64;
            let devices = rest[1..]
                .iter()
                .map(|d| Carveout::open(dev_path(d)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut report = Report::default();
            stress::run(&devices, seconds, &mut report)?;
            report.finish()?;
        }
        ("race", 4..) => {
            let timeout = number(&rest[0], "TIMEOUT")? as u64;
            let cycles = number(&rest[1], "CYCLES")?;
            let (how, devices) = match rest[2].as_str() {
                "unbind" => {
                    let devices = rest[3..]
                        .iter()
                        .map(|pair| {
                            let (dev, node) = pair.split_once('=').ok_or_else(|| {
                                Failure::Usage(format!("race unbind: '{pair}' is not DEV=NODE"))
                            })?;
                            Ok((dev_path(dev), node.to_string()))
                        })
                        .collect::<Result<Vec<_>, Failure>>()?;
                    (race::Cycle::Unbind, devices)
                }
                "rmmod" if rest.len() >= 5 => (
                    race::Cycle::Rmmod(rest[3].clone()),
                    rest[4..]
                        .iter()
                        .map(|d| (dev_path(d), String::new()))
                        .collect(),
                ),
                other => {
                    return Err(Failure::Usage(format!(
                        "race: '{other}' is not 'unbind DEV=NODE...' or 'rmmod MODULE DEV...'"
                    )))
                }
            };
            let mut report = Report::default();
            race::run(timeout, cycles, how, &devices, &mut report)?;
            report.finish()?;
        }
        _ => {
            return Err(Failure::Usage(format!(
                "'{}': unknown command or wrong number of arguments",
                args.join(" ")
            )))
        }
    }
    Ok(())
}

/// `wait`: waits until `dev`'s doorbell has rung `rings` times, printing a line at each
/// wake-up; unmasks the line after each if `unmask`.
fn wait(dev: &Carveout, rings: usize, unmask: bool) -> Result<(), Failure> {
    let mut doorbell = dev.doorbell()?;
    println!(
        "{}: doorbell ({}), count {}",
        dev.path().display(),
        doorbell.trigger(),
        doorbell.count()
    );
    if unmask {
        // A ring before the listener opened may have left a level line masked.
        doorbell.unmask()?;
    }
    let mut heard = 0;
    while heard < rings {
        let new = doorbell.wait()?;
        heard += new as usize;
        println!(
            "rang {new} time(s): count {}, {heard} of {rings}",
            doorbell.count()
        );
        if unmask {
            doorbell.unmask()?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.first().map(String::as_str), Some("-h" | "--help")) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Tests) => ExitCode::from(1),
        Err(Failure::Usage(msg)) => {
            eprintln!("carveout: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Op(e)) => {
            eprintln!("carveout: {e}");
            ExitCode::from(3)
        }
        Err(Failure::Environment(msg)) => {
            eprintln!("carveout: {msg}");
            ExitCode::from(3)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &str) -> Vec<String> {
        words.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn phys_ranges_never_wrap() {
        assert_eq!(phys_range(0x5800_0000, 0x100_0000), "0x58000000-0x58ffffff");
        assert_eq!(phys_range(0, 0), "0x0-(empty)");
        assert_eq!(phys_range(0x1000, 0), "0x1000-(empty)");
        assert_eq!(
            phys_range(u64::MAX, 1),
            format!("{:#x}-{:#x}", u64::MAX, u64::MAX)
        );
        assert_eq!(
            phys_range(u64::MAX, 2),
            format!("{:#x}-(past 2^64)", u64::MAX)
        );
    }

    #[test]
    fn sync_defaults_to_both_over_the_region() {
        let a = args("carveout-dsp");
        let parsed = parse_sync(&a).ok().expect("valid");
        assert_eq!(parsed.dev, "carveout-dsp");
        assert_eq!(parsed.direction, SyncDirection::Bidirectional);
        assert_eq!(parsed.range, None);
    }

    #[test]
    fn sync_takes_a_direction_and_a_range() {
        let a = args("carveout-dsp --for-cpu 0x1000 64");
        let parsed = parse_sync(&a).ok().expect("valid");
        assert_eq!(parsed.direction, SyncDirection::ForCpu);
        assert_eq!(parsed.range, Some((0x1000, 64)));
        let a = args("carveout-dsp 4096 8");
        let parsed = parse_sync(&a).ok().expect("valid");
        assert_eq!(parsed.direction, SyncDirection::Bidirectional);
        assert_eq!(parsed.range, Some((4096, 8)));
    }

    #[test]
    fn sync_refuses_bad_usage() {
        for bad in [
            "",
            "dev --sideways",
            "dev --for-device 4096",
            "dev 1 2 3",
            "dev x 4",
        ] {
            assert!(
                matches!(parse_sync(&args(bad)), Err(Failure::Usage(_))),
                "'{bad}' accepted"
            );
        }
    }
}
