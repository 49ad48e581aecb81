//! `carveout`: inspect, read, write, fill and self-test carveout devices on the board.
//!
//! Exit codes: 0 success, 1 a self-test case failed, 2 bad usage, 3 an operation failed.

mod bench;
mod contract;
mod device;
mod lifecycle;
mod race;
mod selftest;
mod stress;
mod sys;
mod uapi;

use std::path::PathBuf;
use std::process::ExitCode;

use device::{Device, OpError};

const USAGE: &str = "\
usage: carveout <command> [args]

  list                           carveout devices on this system
  info     DEV                   physical base, size, memory type and name
  read     DEV [OFFSET [LEN]]    hex dump (pread; default 256 bytes at 0)
  write    DEV OFFSET TEXT       write TEXT's bytes at OFFSET (pwrite)
  fill     DEV BYTE [OFFSET LEN] fill through an mmap of the region (OFFSET, LEN multiples of 4)
  selftest [DEV...]              run the self-test on DEV (default: every device in `list`)
  checksum DEV                   64-bit FNV-1a hash of the region's contents
  hold     DEV open|map          keep DEV open (or only mapped) until killed
  revoke   DEV NODE              unbind platform device NODE while DEV is mapped, check the
                                 mappings die with SIGBUS, rebind, check the contents
  stress   SECONDS DEV...        processes and threads writing and verifying windows at once
  race     SECONDS CYCLES unbind DEV=NODE...
  race     SECONDS CYCLES rmmod MODULE DEV...
                                 processes opening, mapping, forking, remapping, reading and
                                 writing every DEV while its NODE is unbound and rebound (or
                                 MODULE unloaded and reloaded) CYCLES times, within SECONDS
  bench    REPS DEV...           DEV against /dev/mem, UIO and RAM: bandwidth, random 4 KiB,
                                 mmap+munmap, minor faults; tab-separated BENCH lines

DEV is a path or a name under /dev. Numbers may be decimal or 0x-prefixed hex.
The self-test saves the region's contents first and restores them at the end.";

pub enum Failure {
    Usage(String),
    Op(OpError),
    Tests,
}

impl From<OpError> for Failure {
    fn from(e: OpError) -> Failure {
        Failure::Op(e)
    }
}

fn dev_path(arg: &str) -> PathBuf {
    if arg.contains('/') {
        PathBuf::from(arg)
    } else {
        PathBuf::from("/dev").join(arg)
    }
}

fn number(arg: &str, what: &str) -> Result<usize, Failure> {
    let parsed = match arg.strip_prefix("0x") {
        Some(hex) => usize::from_str_radix(hex, 16),
        None => arg.parse(),
    };
    parsed.map_err(|_| Failure::Usage(format!("{what} '{arg}' is not a number")))
}

/// Every misc device that answers the carveout info ioctl.
fn list_devices() -> Result<Vec<Device>, Failure> {
    let class = PathBuf::from("/sys/class/misc");
    let entries = std::fs::read_dir(&class).map_err(|err| OpError {
        path: class.clone(),
        op: "read directory".into(),
        err,
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names
        .iter()
        .filter_map(|name| Device::open(&dev_path(name)).ok())
        .collect())
}

fn print_info(dev: &Device) {
    let i = &dev.info;
    println!(
        "{}: phys {:#x}-{:#x} ({} KiB), {}",
        dev.path.display(),
        i.phys_base,
        i.phys_base + i.size - 1,
        i.size / 1024,
        i.memory_type_name()
    );
}

fn checked_range(dev: &Device, offset: usize, len: usize) -> Result<(), Failure> {
    match offset.checked_add(len) {
        Some(end) if end <= dev.size() => Ok(()),
        _ => Err(Failure::Usage(format!(
            "{:#x} bytes at {offset:#x} do not fit in {} ({:#x} bytes)",
            len,
            dev.path.display(),
            dev.size()
        ))),
    }
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
        ("list", 0) => list_devices()?.iter().for_each(print_info),
        ("info", 1) => print_info(&Device::open(&dev_arg()?)?),
        ("read", 1..=3) => {
            let dev = Device::open(&dev_arg()?)?;
            let offset = rest.get(1).map_or(Ok(0), |a| number(a, "OFFSET"))?;
            let len = rest
                .get(2)
                .map_or(Ok(256.min(dev.size().saturating_sub(offset))), |a| {
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
            let dev = Device::open(&dev_arg()?)?;
            let offset = number(&rest[1], "OFFSET")?;
            checked_range(&dev, offset, rest[2].len())?;
            dev.write_all_at(rest[2].as_bytes(), offset as u64)?;
        }
        ("fill", 2) | ("fill", 4) => {
            let dev = Device::open(&dev_arg()?)?;
            let byte = u8::try_from(number(&rest[1], "BYTE")?)
                .map_err(|_| Failure::Usage("BYTE must be 0 to 255".into()))?;
            let (offset, len) = match rest.len() {
                4 => (number(&rest[2], "OFFSET")?, number(&rest[3], "LEN")?),
                _ => (0, dev.size()),
            };
            checked_range(&dev, offset, len)?;
            if offset % 4 != 0 || len % 4 != 0 {
                return Err(Failure::Usage(
                    "fill: OFFSET and LEN must be multiples of 4".into(),
                ));
            }
            let map = dev.map(0, dev.size())?;
            let word = u32::from_ne_bytes([byte; 4]);
            (offset / 4..(offset + len) / 4).for_each(|w| map.write_u32(w, word));
        }
        ("selftest", _) => {
            let devices = if rest.is_empty() {
                list_devices()?
            } else {
                rest.iter()
                    .map(|d| Device::open(&dev_path(d)))
                    .collect::<Result<_, _>>()?
            };
            if devices.is_empty() {
                return Err(Failure::Usage("selftest: no carveout device found".into()));
            }
            let mut report = selftest::Report::default();
            for dev in &devices {
                selftest::run(dev, &mut report);
            }
            report.finish()?;
        }
        ("checksum", 1) => println!("{:016x}", lifecycle::checksum(&dev_arg()?)?),
        ("hold", 2) => {
            let how = rest[1].as_str();
            if how != "open" && how != "map" {
                return Err(Failure::Usage(format!("hold: '{how}' is not open or map")));
            }
            lifecycle::hold(&dev_arg()?, how)?;
        }
        ("revoke", 2) => {
            let mut report = selftest::Report::default();
            lifecycle::revoke(&dev_arg()?, &rest[1], &mut report)?;
            report.finish()?;
        }
        ("bench", 2..) => {
            let reps = number(&rest[0], "REPS")?.max(1);
            let devices = rest[1..]
                .iter()
                .map(|d| Device::open(&dev_path(d)))
                .collect::<Result<Vec<_>, _>>()?;
            bench::run(&devices, reps)?;
        }
        ("stress", 2..) => {
            let seconds = number(&rest[0], "SECONDS")? as u64;
            let devices = rest[1..]
                .iter()
                .map(|d| Device::open(&dev_path(d)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut report = selftest::Report::default();
            stress::run(&devices, seconds, &mut report)?;
            report.finish()?;
        }
        ("race", 4..) => {
            let seconds = number(&rest[0], "SECONDS")? as u64;
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
            let mut report = selftest::Report::default();
            race::run(seconds, cycles, how, &devices, &mut report)?;
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
    }
}
