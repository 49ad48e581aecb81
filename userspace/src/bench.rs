// SPDX-License-Identifier: GPL-2.0

//! `carveout bench [REPS] DEV...`: the same carveout through this driver, through /dev/mem and
//! through UIO (a `generic-uio` node over the same range), with plain RAM as the limit.
//!
//! Every figure is measured `REPS` times, the ways of access taking turns within each round so
//! that drift in the emulator hits them alike, and printed as one tab-separated line:
//!
//! ```text
//! BENCH <memory type> <metric> <via> <median> <min> <max> <unit>
//! ```
//!
//! The region's contents are saved first and restored at the end.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::Instant;

use carveout::{Access, Carveout, Error, Mapping, MemoryType};

use crate::raw;
use crate::raw::consts::O_SYNC;

/// How a region is reached.
enum Via<'a> {
    /// This driver's device file, through the library.
    Carveout(&'a Carveout),
    /// /dev/mem at the region's physical base.
    DevMem(File, i64),
    /// The UIO device whose map 0 is the region, and its path.
    Uio(File, PathBuf),
    /// Anonymous RAM of the same size.
    Ram,
}

struct Target<'a> {
    name: &'static str,
    via: Via<'a>,
    /// The memory type every mapping is accessed as: the carveout's, for all ways alike, so
    /// that a device carveout is copied word by word through each (a `memcpy` would raise
    /// SIGBUS there).
    memory_type: MemoryType,
}

impl Target<'_> {
    /// Maps `len` bytes from the start of the region (RAM: populated when `populate`).
    fn map(&self, len: usize, populate: bool) -> Option<Mapping> {
        let t = self.memory_type;
        match &self.via {
            Via::Carveout(dev) => dev.map(0, len, Access::ReadWrite).ok(),
            Via::DevMem(f, base) => raw::map_file(f, "/dev/mem".as_ref(), len, *base, t).ok(),
            Via::Uio(f, path) => raw::map_file(f, path, len, 0, t).ok(),
            Via::Ram => raw::map_anonymous(len, false, populate, t).ok(),
        }
    }
}

/// Median, minimum and maximum of `samples`.
fn stats(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    (median, samples[0], samples[n - 1])
}

struct Bench {
    kind: String,
    reps: usize,
}

impl Bench {
    fn emit(&self, metric: &str, via: &str, samples: &mut [f64], unit: &str) {
        let (median, min, max) = stats(samples);
        println!(
            "BENCH\t{}\t{metric}\t{via}\t{median:.3}\t{min:.3}\t{max:.3}\t{unit}",
            self.kind
        );
    }

    /// Runs `measure` on every target, `reps` rounds with the targets taking turns (in rotating
    /// order), and emits one line per target. `measure` returns one sample, or `None` to skip
    /// the target.
    fn rounds<F>(&self, metric: &str, unit: &str, targets: &[&Target<'_>], mut measure: F)
    where
        F: FnMut(&Target<'_>) -> Option<f64>,
    {
        let n = targets.len();
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); n];
        for round in 0..self.reps {
            // Each round starts with the next target, so no target always goes first.
            for t in (0..n).map(|i| (i + round) % n) {
                if let Some(sample) = measure(targets[t]) {
                    samples[t].push(sample);
                }
            }
        }
        for (target, s) in targets.iter().zip(&mut samples) {
            if !s.is_empty() {
                self.emit(metric, target.name, s, unit);
            }
        }
    }
}

fn mib_per_s(bytes: usize, since: Instant) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / since.elapsed().as_secs_f64()
}

/// A fixed sequence of page indexes, the same for every target.
fn random_pages(pages: usize, count: usize) -> Vec<usize> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % pages as u64) as usize
        })
        .collect()
}

/// The UIO device whose map 0 starts at `base` with at least `size` bytes, if any.
fn uio_for(base: u64, size: u64) -> Option<PathBuf> {
    let read_hex = |p: PathBuf| -> Option<u64> {
        let text = std::fs::read_to_string(p).ok()?;
        u64::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
    };
    std::fs::read_dir("/sys/class/uio").ok()?.find_map(|e| {
        let dir = e.ok()?.path();
        let addr = read_hex(dir.join("maps/map0/addr"))?;
        let len = read_hex(dir.join("maps/map0/size"))?;
        let name = dir.file_name()?;
        (addr == base && len >= size).then(|| PathBuf::from("/dev").join(name))
    })
}

/// Benchmarks one carveout device.
fn run_device(dev: &Carveout, reps: usize) -> Result<(), Error> {
    let size = crate::region_len(dev);
    let page = carveout::page_size();
    let memory_type = dev.memory_type();
    let info = dev.info();
    let open_rw = |path: &str, flags: i32| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(flags)
            .open(path)
            .map_err(|e| Error::new(path, "open (read-write)", e))
    };
    let devmem_flags = match memory_type {
        MemoryType::Cached => 0,
        MemoryType::WriteCombine | MemoryType::Device => O_SYNC,
    };
    let mut targets = vec![
        Target {
            name: "carveout",
            via: Via::Carveout(dev),
            memory_type,
        },
        Target {
            name: "devmem",
            // Lossless: physical addresses are far below 2^63.
            via: Via::DevMem(open_rw("/dev/mem", devmem_flags)?, info.phys_base as i64),
            memory_type,
        },
    ];
    match uio_for(info.phys_base, info.size) {
        Some(path) => targets.push(Target {
            name: "uio",
            via: Via::Uio(open_rw(&path.to_string_lossy(), 0)?, path),
            memory_type,
        }),
        None => eprintln!("bench: no UIO device maps {:#x}", info.phys_base),
    }
    targets.push(Target {
        name: "ram",
        via: Via::Ram,
        memory_type,
    });
    let all: Vec<&Target<'_>> = targets.iter().collect();
    let bench = Bench {
        kind: memory_type.to_string(),
        reps,
    };
    println!(
        "BENCH-INFO\t{}\t{} bytes at {:#x}\t/dev/mem {}\tuio {}",
        bench.kind,
        size,
        info.phys_base,
        if devmem_flags == 0 {
            "cached"
        } else {
            "O_SYNC (write-combine)"
        },
        if all.iter().any(|t| t.name == "uio") {
            "pgprot_noncached (strongly ordered)"
        } else {
            "absent"
        }
    );

    let saved = dev.contents()?;

    // Sequential bandwidth over the whole region, 32-bit volatile accesses. Small regions are
    // walked several times, so that every sample moves at least 32 MiB and a timer tick is noise.
    let passes = (32 * 1024 * 1024 / size).max(1);
    let bytes = size * passes;
    // The loops use the mapping's words directly, as a program's hot loop would: the library's
    // checked accessors cost more per word than the access itself, in every column alike.
    bench.rounds("read", "MiB/s", &all, |t| {
        let map = t.map(size, true)?;
        let words = map.as_ptr().cast::<u32>();
        let start = Instant::now();
        let mut sum = 0u32;
        for _ in 0..passes {
            for w in 0..map.len() / 4 {
                // SAFETY: `w * 4 + 4 <= map.len()`, and the mapping is page-aligned, readable
                // and alive for the loop: an aligned word inside it. Volatile, as memory that
                // another agent may change must be read.
                sum = sum.wrapping_add(unsafe { words.add(w).read_volatile() });
            }
        }
        std::hint::black_box(sum);
        Some(mib_per_s(bytes, start))
    });
    bench.rounds("write", "MiB/s", &all, |t| {
        let map = t.map(size, true)?;
        let words = map.as_ptr().cast::<u32>();
        let start = Instant::now();
        for pass in 0..passes {
            for w in 0..map.len() / 4 {
                // SAFETY: As above; the mapping is writable (mapped read-write).
                unsafe { words.add(w).write_volatile((w + pass) as u32) };
            }
        }
        Some(mib_per_s(bytes, start))
    });
    let mut buf = vec![0x5au8; size];
    bench.rounds("memcpy-from", "MiB/s", &all, |t| {
        let map = t.map(size, true)?;
        let start = Instant::now();
        for _ in 0..passes {
            map.read_into(0, &mut buf).ok()?;
        }
        Some(mib_per_s(bytes, start))
    });
    bench.rounds("memcpy-to", "MiB/s", &all, |t| {
        let map = t.map(size, true)?;
        let start = Instant::now();
        for _ in 0..passes {
            map.write_from(0, &buf).ok()?;
        }
        Some(mib_per_s(bytes, start))
    });

    // Random 4 KiB pages: through a mapping, and through pread/pwrite of this driver.
    let pages = random_pages(size / page, 512);
    let mut block = vec![0u8; page];
    let driver = &targets[0];
    let mapped_ops = |map: &Mapping, write: bool, block: &mut [u8]| {
        let start = Instant::now();
        for &p in &pages {
            if write {
                map.write_from(p * page, block).ok()?;
            } else {
                map.read_into(p * page, block).ok()?;
            }
        }
        Some(pages.len() as f64 / start.elapsed().as_secs_f64())
    };
    for (metric, write) in [("random-4k-read", false), ("random-4k-write", true)] {
        let mut via_mmap = Vec::new();
        let mut via_syscall = Vec::new();
        let mut via_devmem = Vec::new();
        for _ in 0..reps {
            for (t, out) in [(0, &mut via_mmap), (1, &mut via_devmem)] {
                if let Some(ops) = targets[t]
                    .map(size, true)
                    .and_then(|map| mapped_ops(&map, write, &mut block))
                {
                    out.push(ops);
                }
            }
            let start = Instant::now();
            for &p in &pages {
                let offset = (p * page) as u64;
                let done = if write {
                    dev.file().write_all_at(&block, offset)
                } else {
                    dev.file().read_exact_at(&mut block, offset)
                };
                done.map_err(|e| Error::new(dev.path(), format!("{metric} at {offset:#x}"), e))?;
            }
            via_syscall.push(pages.len() as f64 / start.elapsed().as_secs_f64());
        }
        bench.emit(metric, driver.name, &mut via_mmap, "ops/s");
        bench.emit(
            metric,
            if write { "pwrite" } else { "pread" },
            &mut via_syscall,
            "ops/s",
        );
        bench.emit(metric, "devmem", &mut via_devmem, "ops/s");
    }

    // mmap + munmap, from one page to the whole region; the mapping is never touched.
    let mut len = page;
    while len <= size {
        let iterations = (256 * 1024 * 1024 / len).clamp(16, 1000);
        bench.rounds(&format!("mmap-munmap-{}k", len / 1024), "us", &all, |t| {
            let start = Instant::now();
            for _ in 0..iterations {
                drop(t.map(len, false)?);
            }
            Some(start.elapsed().as_secs_f64() * 1e6 / iterations as f64)
        });
        len *= 16;
    }

    // Minor faults while touching every page of a fresh mapping, reading then writing one word
    // per page (RAM: demand-paged).
    for (metric, write) in [("minor-faults-read", false), ("minor-faults-write", true)] {
        bench.rounds(metric, "faults", &all, |t| {
            let map = t.map(size, false)?;
            let before = raw::minor_faults().ok()?;
            let mut sum = 0u32;
            for p in 0..size / page {
                if write {
                    map.write_u32(p * page, p as u32).ok()?;
                } else {
                    sum = sum.wrapping_add(map.read_u32(p * page).ok()?);
                }
            }
            std::hint::black_box(sum);
            let after = raw::minor_faults().ok()?;
            Some((after - before) as f64)
        });
    }

    drop(targets);
    dev.write_all_at(&saved, 0)
}

/// Benchmarks every device in `devices`.
pub fn run(devices: &[Carveout], reps: usize) -> Result<(), Error> {
    for dev in devices {
        run_device(dev, reps)?;
    }
    Ok(())
}
