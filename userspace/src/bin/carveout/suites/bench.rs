// SPDX-License-Identifier: MIT OR Apache-2.0

//! `carveout bench [--ramfs DIR] REPS DEV...`: the same carveout through this driver, through
//! /dev/mem and through UIO (a `generic-uio` node over the same range), with plain RAM as the
//! limit, and a file of the same size in a ramfs as the anchor for `pread`/`pwrite` and for a
//! lazily mapped file (each page looked up in the page cache, and faulted in on first touch).
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
use std::path::{Path, PathBuf};
use std::time::Instant;

use carveout::{Carveout, Error, MappingMut, MemoryType};

use crate::harness::raw;
use crate::harness::raw::consts::O_SYNC;
use crate::harness::region_len;

/// How a region is reached.
enum Via<'a> {
    /// This driver's device file, through the library.
    Carveout(&'a Carveout),
    /// This driver's device file from a process that disabled transparent huge pages
    /// (`prctl(PR_SET_THP_DISABLE)`): page entries for every page at `mmap`, as on 32-bit ARM.
    CarveoutPages(&'a Carveout),
    /// A u-dma-buf device (`/dev/udmabufN`) of the same size, and its path.
    Udmabuf(File, PathBuf),
    /// /dev/mem at the region's physical base.
    DevMem(File, i64),
    /// The UIO device whose map 0 is the region, and its path.
    Uio(File, PathBuf),
    /// Anonymous RAM of the same size.
    Ram,
    /// A file of the same size in a ramfs, and its path.
    Ramfs(File, PathBuf),
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
    fn map(&self, len: usize, populate: bool) -> Option<MappingMut> {
        let t = self.memory_type;
        match &self.via {
            Via::Carveout(dev) | Via::CarveoutPages(dev) => dev.map_mut(0, len).ok(),
            Via::Udmabuf(f, path) => raw::map_file(f, path, len, 0, t).ok(),
            Via::DevMem(f, base) => raw::map_file(f, "/dev/mem".as_ref(), len, *base, t).ok(),
            Via::Uio(f, path) => raw::map_file(f, path, len, 0, t).ok(),
            Via::Ram => raw::map_anonymous(len, false, populate, t).ok(),
            Via::Ramfs(f, path) => raw::map_file(f, path, len, 0, t).ok(),
        }
    }

    /// The file `pread`/`pwrite` go to, for the ways that have one.
    fn file(&self) -> Option<&File> {
        match &self.via {
            Via::Carveout(dev) => Some(dev.file()),
            Via::Ramfs(f, _) => Some(f),
            Via::DevMem(..)
            | Via::Uio(..)
            | Via::Ram
            | Via::CarveoutPages(_)
            | Via::Udmabuf(..) => None,
        }
    }
}

/// `DIR`, if a ramfs is mounted there (from `/proc/self/mounts`).
pub fn ramfs_dir(dir: &str) -> Result<PathBuf, String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts")
        .map_err(|e| format!("/proc/self/mounts: read: {e}"))?;
    let dir = dir.trim_end_matches('/');
    let fstype = mounts.lines().rev().find_map(|line| {
        let mut fields = line.split(' ');
        let (_, point, fstype) = (fields.next()?, fields.next()?, fields.next()?);
        (point == dir).then_some(fstype)
    });
    match fstype {
        Some("ramfs") => Ok(PathBuf::from(dir)),
        Some(other) => Err(format!("bench: {dir} is a {other}, not a ramfs")),
        None => Err(format!("bench: nothing is mounted at {dir} (want a ramfs)")),
    }
}

impl Target<'_> {
    /// Runs `f` as this way's process: with transparent huge pages disabled for
    /// [`Via::CarveoutPages`], so that its mappings take page entries at `mmap`.
    fn as_process<R>(&self, f: impl FnOnce() -> Option<R>) -> Option<R> {
        let pages = matches!(self.via, Via::CarveoutPages(_));
        if pages {
            raw::set_thp_disabled(true).ok()?;
        }
        let result = f();
        if pages {
            raw::set_thp_disabled(false).ok()?;
        }
        result
    }
}

/// A file of `size` bytes created at `path` in a ramfs, every page written, so that the page
/// cache holds them all, as a used file's would.
fn ramfs_target(
    path: &Path,
    size: usize,
    memory_type: MemoryType,
) -> Result<Target<'static>, Error> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| Error::new(path, "create", e))?;
    file.write_all_at(&vec![0x5a; size], 0)
        .map_err(|e| Error::new(path, "write", e))?;
    Ok(Target {
        name: "ramfs",
        via: Via::Ramfs(file, path.to_owned()),
        memory_type,
    })
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
        self.rounds_of(&[metric], &[unit], targets, |t| measure(t).map(|s| vec![s]));
    }

    /// As [`Bench::rounds`], for a `measure` that returns one sample of each of `metrics`, in
    /// `units` (one for all, or one each).
    fn rounds_of<F>(
        &self,
        metrics: &[&str],
        units: &[&str],
        targets: &[&Target<'_>],
        mut measure: F,
    ) where
        F: FnMut(&Target<'_>) -> Option<Vec<f64>>,
    {
        let n = targets.len();
        let mut samples: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); metrics.len()]; n];
        for round in 0..self.reps {
            // Each round starts with the next target, so no target always goes first.
            for t in (0..n).map(|i| (i + round) % n) {
                if let Some(sample) = measure(targets[t]) {
                    for (m, value) in sample.into_iter().enumerate() {
                        samples[t][m].push(value);
                    }
                }
            }
        }
        for (m, metric) in metrics.iter().enumerate() {
            let unit = units.get(m).or(units.first()).copied().unwrap_or("");
            for (target, s) in targets.iter().zip(&mut samples) {
                if !s[m].is_empty() {
                    self.emit(metric, target.name, &mut s[m], unit);
                }
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

/// Benchmarks one carveout device; against a file in the ramfs at `ramfs` too, if given.
fn run_device(dev: &Carveout, reps: usize, ramfs: Option<&Path>) -> Result<(), Error> {
    let size = region_len(dev);
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
    let ramfs_file = ramfs.map(|dir| dir.join(format!("carveout-bench-{memory_type}")));
    if let Some(path) = &ramfs_file {
        targets.push(ramfs_target(path, size, memory_type)?);
    }
    let all: Vec<&Target<'_>> = targets.iter().collect();
    let bench = Bench {
        kind: memory_type.to_string(),
        reps,
    };
    println!(
        "BENCH-INFO\t{}\t{} bytes at {:#x}\t/dev/mem {}\tuio {}\tramfs {}",
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
        },
        ramfs_file
            .as_ref()
            .map_or("absent".into(), |p| p.display().to_string())
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

    // pread/pwrite, sequential in 64 KiB calls over the whole region, and random 4 KiB pages:
    // this driver against the ramfs file (the ways that have a file).
    let files: Vec<&Target<'_>> = all.iter().copied().filter(|t| t.file().is_some()).collect();
    let chunk = size.min(64 * 1024);
    for (metric, write) in [("pread-64k", false), ("pwrite-64k", true)] {
        bench.rounds(metric, "MiB/s", &files, |t| {
            let file = t.file()?;
            let mut block = vec![0x5au8; chunk];
            let start = Instant::now();
            for _ in 0..passes {
                for offset in (0..size).step_by(chunk) {
                    let offset = offset as u64;
                    if write {
                        file.write_all_at(&block, offset).ok()?;
                    } else {
                        file.read_exact_at(&mut block, offset).ok()?;
                    }
                }
            }
            Some(mib_per_s(bytes, start))
        });
    }
    let pages = random_pages(size / page, 512);
    let mut block = vec![0u8; page];
    for (metric, write) in [("pread-random-4k", false), ("pwrite-random-4k", true)] {
        bench.rounds(metric, "ops/s", &files, |t| {
            let file = t.file()?;
            let start = Instant::now();
            for &p in &pages {
                let offset = (p * page) as u64;
                if write {
                    file.write_all_at(&block, offset).ok()?;
                } else {
                    file.read_exact_at(&mut block, offset).ok()?;
                }
            }
            Some(pages.len() as f64 / start.elapsed().as_secs_f64())
        });
    }
    // Random 4 KiB pages through an established mapping, for every way.
    for (metric, write) in [("random-4k-read", false), ("random-4k-write", true)] {
        bench.rounds(metric, "ops/s", &all, |t| {
            let map = t.map(size, true)?;
            let start = Instant::now();
            for &p in &pages {
                if write {
                    map.write_from(p * page, &block).ok()?;
                } else {
                    map.read_into(p * page, &mut block).ok()?;
                }
            }
            Some(pages.len() as f64 / start.elapsed().as_secs_f64())
        });
    }

    // mmap and munmap, from one page to the whole region, timed apart: the mapping is never
    // touched. Then the first use of a fresh mapping, where the lazily mapped ways take their
    // faults: mmap, read one word of every page, munmap.
    let mut len = page;
    while len <= size {
        let iterations = (256 * 1024 * 1024 / len).clamp(16, 1000);
        let k = len / 1024;
        let metrics = [
            format!("mmap-munmap-{k}k"),
            format!("mmap-{k}k"),
            format!("munmap-{k}k"),
        ];
        let names: Vec<&str> = metrics.iter().map(String::as_str).collect();
        bench.rounds_of(&names, &["us"], &all, |t| {
            let (mut mapping, mut unmapping) = (0.0, 0.0);
            for _ in 0..iterations {
                let start = Instant::now();
                let map = t.map(len, false)?;
                let mapped = Instant::now();
                drop(map);
                mapping += (mapped - start).as_secs_f64();
                unmapping += mapped.elapsed().as_secs_f64();
            }
            let per = |s: f64| s * 1e6 / iterations as f64;
            Some(vec![per(mapping + unmapping), per(mapping), per(unmapping)])
        });
        if len >= 1024 * 1024 || len == size {
            bench.rounds(&format!("first-touch-{k}k"), "us", &all, |t| {
                let iterations = (64 * 1024 * 1024 / len).clamp(4, 64);
                let start = Instant::now();
                let mut sum = 0u32;
                for _ in 0..iterations {
                    let map = t.map(len, false)?;
                    for p in 0..len / page {
                        sum = sum.wrapping_add(map.read_u32(p * page).ok()?);
                    }
                }
                std::hint::black_box(sum);
                Some(start.elapsed().as_secs_f64() * 1e6 / iterations as f64)
            });
        }
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
    if let Some(path) = &ramfs_file {
        std::fs::remove_file(path).map_err(|e| Error::new(path, "unlink", e))?;
    }
    dev.write_all_at(&saved, 0)
}

/// Benchmarks every device in `devices`, against files in the ramfs at `ramfs` if given.
pub fn run(devices: &[Carveout], reps: usize, ramfs: Option<&Path>) -> Result<(), Error> {
    for dev in devices {
        run_device(dev, reps, ramfs)?;
    }
    Ok(())
}

/// `carveout bench-maps`: mappings of `sizes` bytes of `dev` (windows from its start) through
/// this driver's block entries and its page entries, against a u-dma-buf device, a ramfs file
/// and anonymous RAM of the same size: `mmap` + `munmap` untouched, the first pass (`mmap`, a
/// word read from every page, `munmap`) with its minor faults and the page tables it took, and
/// random reads of a word in a random 4 KiB page of a mapping already touched. One `BENCH`
/// line per figure, of kind `maps`.
pub fn run_maps(
    dev: &Carveout,
    sizes: &[usize],
    reps: usize,
    ramfs: Option<&Path>,
    udmabuf: Option<&Path>,
) -> Result<(), Error> {
    let page = carveout::page_size();
    let memory_type = dev.memory_type();
    let largest = sizes.iter().copied().max().unwrap_or(0);
    if largest > region_len(dev) {
        return Err(Error::new(
            dev.path(),
            "bench-maps",
            std::io::Error::other(format!("{largest:#x} bytes do not fit in the region")),
        ));
    }
    let bench = Bench {
        kind: "maps".into(),
        reps,
    };
    println!(
        "BENCH-INFO\tmaps\t{} bytes at {:#x}, {memory_type}\tu-dma-buf {}\tramfs {}",
        dev.size(),
        dev.info().phys_base,
        udmabuf.map_or("none".into(), |p| p.display().to_string()),
        ramfs.map_or("none".into(), |p| p.display().to_string()),
    );
    for &size in sizes {
        let label = if size >= 1 << 20 {
            format!("{}m", size >> 20)
        } else {
            format!("{}k", size >> 10)
        };
        let mut targets = vec![
            Target {
                name: "carveout",
                via: Via::Carveout(dev),
                memory_type,
            },
            Target {
                name: "carveout-4k",
                via: Via::CarveoutPages(dev),
                memory_type,
            },
        ];
        if let Some(path) = udmabuf {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|e| Error::new(path, "open (read-write)", e))?;
            targets.push(Target {
                name: "udmabuf",
                via: Via::Udmabuf(file, path.to_owned()),
                memory_type,
            });
        }
        let ramfs_file = ramfs.map(|dir| dir.join("carveout-bench-maps"));
        if let Some(path) = &ramfs_file {
            targets.push(ramfs_target(path, size, memory_type)?);
        }
        targets.push(Target {
            name: "ram",
            via: Via::Ram,
            memory_type,
        });
        let all: Vec<&Target<'_>> = targets.iter().collect();
        let pages = size / page;

        let iterations = (256 * 1024 * 1024 / size).clamp(4, 200);
        bench.rounds(&format!("mmap-munmap-{label}"), "us", &all, |t| {
            t.as_process(|| {
                let start = Instant::now();
                for _ in 0..iterations {
                    drop(t.map(size, false)?);
                }
                Some(start.elapsed().as_secs_f64() * 1e6 / iterations as f64)
            })
        });

        let metrics = [
            format!("first-pass-{label}"),
            format!("first-pass-faults-{label}"),
            format!("page-tables-kb-{label}"),
        ];
        let names: Vec<&str> = metrics.iter().map(String::as_str).collect();
        // Several passes per sample for the small sizes, so that one pass's noise does not
        // decide the figure; the faults and page tables are a pass's.
        let passes = (64 * 1024 * 1024 / size).clamp(1, 16);
        bench.rounds_of(&names, &["us", "faults", "kB"], &all, |t| {
            t.as_process(|| {
                let (mut took, mut faulted, mut grown) = (0.0, 0, 0);
                for _ in 0..passes {
                    let tables = raw::page_table_kb().ok()?;
                    let faults = raw::minor_faults().ok()?;
                    let start = Instant::now();
                    let map = t.map(size, false)?;
                    let mut sum = 0u32;
                    for p in 0..pages {
                        sum = sum.wrapping_add(map.read_u32(p * page).ok()?);
                    }
                    grown = raw::page_table_kb().ok()?.saturating_sub(tables);
                    faulted = raw::minor_faults().ok()? - faults;
                    drop(map);
                    took += start.elapsed().as_secs_f64() * 1e6;
                    std::hint::black_box(sum);
                }
                Some(vec![took / passes as f64, faulted as f64, grown as f64])
            })
        });

        let order = random_pages(pages, 100_000);
        bench.rounds(&format!("random-read-{label}"), "ns", &all, |t| {
            t.as_process(|| {
                let map = t.map(size, false)?;
                let mut sum = 0u32;
                for p in 0..pages {
                    sum = sum.wrapping_add(map.read_u32(p * page).ok()?);
                }
                let start = Instant::now();
                for &p in &order {
                    sum = sum.wrapping_add(map.read_u32(p * page + 64).ok()?);
                }
                let took = start.elapsed().as_secs_f64() * 1e9 / order.len() as f64;
                std::hint::black_box(sum);
                Some(took)
            })
        });

        drop(targets);
        if let Some(path) = &ramfs_file {
            std::fs::remove_file(path).map_err(|e| Error::new(path, "unlink", e))?;
        }
    }
    Ok(())
}
