// SPDX-License-Identifier: MIT OR Apache-2.0

//! `carveout race`: every way a process can use a device, at once, against the device going
//! away and coming back.
//!
//! ```text
//! carveout race TIMEOUT CYCLES unbind DEV=NODE...   unbind and rebind every NODE, CYCLES times
//! carveout race TIMEOUT CYCLES rmmod MODULE DEV...  unload and reload MODULE, CYCLES times
//! ```
//!
//! Worker processes, several per device, pick operations at random: open and close (in bursts,
//! with the info ioctl), map a window and touch it, fork with a mapping, `mremap`, large
//! `pread`/`pwrite`, a mapping held across cycles and touched by a child, and a child killed
//! with `SIGKILL` while it maps, touches and reads the whole region. Meanwhile this
//! process runs the unbind/bind (or unload/load) loop until CYCLES cycles are done (and at
//! least 10 s have passed).
//!
//! The work is bounded, not the time: TIMEOUT seconds is a watchdog for a hang, set well above
//! what the slowest machine takes. When it fires, the run says so on a `TIMEOUT` line (counted
//! as a failure), apart from the checks that failed.
//!
//! Every device is filled with a known pattern first, and every write only stores the pattern
//! word that is already there: a word that reads back otherwise is wrong data. The outcomes
//! allowed are the right data (whole, or a short count when the device went away mid-copy),
//! `SIGBUS` (a revoked mapping), `ENODEV` (a revoked or departing device), `ENOENT` (its
//! file is gone) and the worker's own `SIGKILL`. Anything else, a wrong word, another errno or signal, fails the run; so does
//! a run in which the device never went away under a worker.
//! The regions' contents are saved first and restored at the end.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use carveout::{Access, Carveout, Error, Info, MappingMut, MemoryType};

use crate::harness::raw::consts::{EFAULT, ENODEV, ENOENT, SIGBUS, SIGKILL};
use crate::harness::raw::{self, Exit};
use crate::harness::{driver_control, pattern, pattern_bytes, region_len, Report, Rng};

/// Worker processes per device against unbind/bind.
const WORKERS_PER_DEVICE: usize = 3;
/// Worker processes per device against rmmod/insmod: the module unloads only at a moment when
/// no file of any device is open, and more workers leave no such moment.
const WORKERS_PER_DEVICE_RMMOD: usize = 1;
/// With rmmod, the longest pause of a worker between operations, in milliseconds.
const PAUSE_MS: usize = 50;
/// Opens per `open` operation: a burst, to hit the moment a device file appears.
const OPEN_BURST: usize = 16;
/// The largest window a mapping operation maps, in pages.
const MAX_PAGES: usize = 8;
/// The largest `pread`/`pwrite`, in bytes.
const MAX_IO: usize = 1 << 20;
/// The longest a `SIGKILL` operation lets its child work, in milliseconds.
const KILL_MS: usize = 30;
/// The shortest run, whatever the number of cycles asked.
const MIN_RUN: Duration = Duration::from_secs(10);
/// How much longer than `MIN_RUN` a race may go on for every operation to succeed once.
const COVER_MORE: Duration = Duration::from_secs(60);
/// Seconds a forked child may run before SIGALRM ends it (and the run fails).
const CHILD_TIMEOUT: u32 = 30;

/// What a worker does.
#[derive(Clone, Copy)]
enum Op {
    Open,
    Map,
    Fork,
    Mremap,
    Pread,
    Pwrite,
    Hold,
    Kill,
}

/// Operations with their weights in the random pick.
const OPS: [(Op, usize); 8] = [
    (Op::Open, 3),
    (Op::Map, 3),
    (Op::Fork, 1),
    (Op::Mremap, 1),
    (Op::Pread, 2),
    (Op::Pwrite, 1),
    (Op::Hold, 2),
    (Op::Kill, 1),
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Open => "open+info",
            Op::Map => "mmap+touch",
            Op::Fork => "fork+touch",
            Op::Mremap => "mremap",
            Op::Pread => "pread",
            Op::Pwrite => "pwrite",
            Op::Hold => "held mapping",
            Op::Kill => "SIGKILL mid-use",
        }
    }
}

/// How one operation ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Done, and every word read was the pattern.
    Ok,
    /// A copy cut short by the device going away; the bytes copied were right.
    Short,
    Enodev,
    Enoent,
    Sigbus,
    /// Killed by the worker (`SIGKILL`) while it used the device.
    Killed,
    /// A word that was not the pattern, or info that is not the device's.
    Wrong,
    /// Any other errno or signal.
    Error,
}

const OUTCOMES: [(Outcome, &str); 8] = [
    (Outcome::Ok, "ok"),
    (Outcome::Short, "short"),
    (Outcome::Enodev, "ENODEV"),
    (Outcome::Enoent, "ENOENT"),
    (Outcome::Sigbus, "SIGBUS"),
    (Outcome::Killed, "killed"),
    (Outcome::Wrong, "WRONG DATA"),
    (Outcome::Error, "OTHER ERROR"),
];

impl Outcome {
    fn of_errno(err: &io::Error) -> Outcome {
        match err.raw_os_error() {
            Some(ENODEV) => Outcome::Enodev,
            Some(ENOENT) => Outcome::Enoent,
            _ => Outcome::Error,
        }
    }

    fn of_error(err: &Error) -> Outcome {
        Outcome::of_errno(err.io_error())
    }

    /// The exit code of a child that ended with this outcome.
    fn code(self) -> i32 {
        10 + OUTCOMES
            .iter()
            .position(|&(o, _)| o == self)
            .unwrap_or(OUTCOMES.len() - 1) as i32
    }

    fn of_exit(exit: io::Result<Exit>) -> Outcome {
        match exit {
            Ok(Exit::Signal(SIGBUS)) => Outcome::Sigbus,
            Ok(Exit::Signal(SIGKILL)) => Outcome::Killed,
            Ok(Exit::Code(code)) => usize::try_from(code - 10)
                .ok()
                .and_then(|i| OUTCOMES.get(i))
                .map_or(Outcome::Error, |&(o, _)| o),
            _ => Outcome::Error,
        }
    }

    fn index(self) -> usize {
        OUTCOMES
            .iter()
            .position(|&(o, _)| o == self)
            .unwrap_or(OUTCOMES.len() - 1)
    }
}

/// Counters shared by the workers and this process: a stop flag, then one counter per worker,
/// operation and outcome.
///
/// # Invariants
///
/// `map` is shared anonymous RAM of `1 + workers * OPS.len() * OUTCOMES.len()` words at least,
/// which every process accesses only through [`Tallies::word`], atomically.
struct Tallies {
    map: MappingMut,
    workers: usize,
}

impl Tallies {
    fn new(workers: usize) -> io::Result<Tallies> {
        let words = 1 + workers * OPS.len() * OUTCOMES.len();
        let page = carveout::page_size();
        let len = (words * 4).div_ceil(page) * page;
        // INVARIANT: `words` words of shared RAM, accessed only through `word`.
        Ok(Tallies {
            map: raw::map_anonymous(len, true, false, MemoryType::Cached)?,
            workers,
        })
    }

    /// Counter `index` as an atomic.
    fn word(&self, index: usize) -> &AtomicU32 {
        assert!(
            index < self.map.len() / 4,
            "counter {index} outside {} bytes",
            self.map.len()
        );
        // SAFETY: In bounds (checked), 4-byte aligned (a page-aligned base), RAM that lives as
        // long as `self` (the returned borrow), accessed only atomically (type invariants).
        // Exclusive loads and stores work on RAM, which is normal cacheable memory.
        unsafe { AtomicU32::from_ptr(self.map.as_ptr().cast::<u32>().add(index)) }
    }

    fn stop(&self) {
        self.word(0).store(1, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.word(0).load(Ordering::SeqCst) != 0
    }

    fn slot(worker: usize, op: usize, outcome: usize) -> usize {
        1 + (worker * OPS.len() + op) * OUTCOMES.len() + outcome
    }

    fn count(&self, worker: usize, op: usize, outcome: Outcome) {
        let slot = Self::slot(worker, op, outcome.index());
        self.word(slot).fetch_add(1, Ordering::Relaxed);
    }

    /// Whether every operation succeeded (or was killed, for the one that kills) at least once.
    fn every_op_succeeded(&self) -> bool {
        (0..OPS.len()).all(|op| {
            self.total(op, Outcome::Ok.index()) + self.total(op, Outcome::Killed.index()) > 0
        })
    }

    /// The sum over all workers.
    fn total(&self, op: usize, outcome: usize) -> u64 {
        (0..self.workers)
            .map(|w| u64::from(self.word(Self::slot(w, op, outcome)).load(Ordering::SeqCst)))
            .sum()
    }
}

/// A device under test: its file, what it must report, and its pattern.
struct Target {
    path: PathBuf,
    node: String,
    info: Info,
    seed: u32,
}

impl Target {
    fn size(&self) -> usize {
        usize::try_from(self.info.size).unwrap_or(usize::MAX)
    }

    /// Opens the device and checks its info; the outcome when that fails.
    fn open(&self) -> Result<Carveout, Outcome> {
        let dev = Carveout::open(&self.path).map_err(|e| Outcome::of_error(&e))?;
        if dev.info() == &self.info {
            Ok(dev)
        } else {
            Err(Outcome::Wrong)
        }
    }

    /// Opens the device and maps `len` bytes at byte `offset`; the file closes, the mapping
    /// keeps it. The outcome when either fails.
    fn map(&self, offset: usize, len: usize) -> Result<MappingMut, Outcome> {
        let dev = self.open()?;
        dev.map_mut(offset as u64, len)
            .map_err(|e| Outcome::of_error(&e))
    }

    /// Whether the `len` bytes of `buf` are the pattern at byte `offset`.
    fn is_pattern(&self, buf: &[u8], offset: usize) -> bool {
        buf == pattern_bytes(self.seed, offset / 4, buf.len())
    }

    /// Reads every word of `map` (which maps byte `offset` of the region), checks it and writes
    /// it back; `Wrong` at the first word that is not the pattern.
    fn touch(&self, map: &MappingMut, offset: usize) -> Outcome {
        for w in 0..map.len() / 4 {
            let want = pattern(self.seed, offset / 4 + w);
            match map.read_u32(w * 4) {
                Ok(got) if got == want => {}
                Ok(_) => return Outcome::Wrong,
                Err(_) => return Outcome::Error,
            }
            if map.write_u32(w * 4, want).is_err() {
                return Outcome::Error;
            }
        }
        Outcome::Ok
    }

    /// A random page-aligned window of at most `max_pages` pages: (byte offset, length).
    fn window(&self, rng: &mut Rng, max_pages: usize) -> (usize, usize) {
        let page = carveout::page_size();
        let pages = self.size() / page;
        let count = 1 + rng.below(pages.min(max_pages));
        ((rng.below(pages - count + 1)) * page, count * page)
    }

    /// A random byte range of at most [`MAX_IO`] bytes, in whole words.
    fn io_range(&self, rng: &mut Rng) -> (usize, usize) {
        let words = self.size() / 4;
        let count = 1 + rng.below((MAX_IO / 4).min(words));
        (rng.below(words - count + 1) * 4, count * 4)
    }
}

/// Runs `f` in a forked child and turns how it ended into an outcome.
fn in_child(f: impl FnOnce() -> Outcome) -> Outcome {
    Outcome::of_exit(raw::in_child(CHILD_TIMEOUT, || f().code()))
}

/// One operation of a worker; `held` is the worker's long-lived mapping, if any.
fn run_op(
    t: &Target,
    op: Op,
    rng: &mut Rng,
    held: &mut Option<MappingMut>,
    out: &mut dyn FnMut(Outcome),
) {
    match op {
        Op::Open => {
            for _ in 0..OPEN_BURST {
                out(t.open().map_or_else(|o| o, |_| Outcome::Ok));
            }
        }
        Op::Map => {
            let (offset, len) = t.window(rng, MAX_PAGES);
            out(in_child(|| match t.map(offset, len) {
                Err(o) => o,
                Ok(map) => t.touch(&map, offset),
            }));
        }
        Op::Fork => {
            let (offset, len) = t.window(rng, MAX_PAGES);
            out(in_child(|| {
                let map = match t.map(offset, len) {
                    Err(o) => return o,
                    Ok(map) => map,
                };
                // The grandchild touches the inherited mapping, then this child does.
                match in_child(|| t.touch(&map, offset)) {
                    Outcome::Ok => t.touch(&map, offset),
                    other => other,
                }
            }));
        }
        Op::Mremap => {
            let (offset, len) = t.window(rng, 2);
            out(in_child(|| {
                let map = match t.map(offset, len) {
                    Err(o) => return o,
                    Ok(map) => map,
                };
                // Growing is refused (EFAULT) and leaves the mapping; shrinking keeps the front.
                let page = carveout::page_size();
                let map = match map.remap(len + page) {
                    Ok(_) => return Outcome::Error,
                    Err((map, e)) if e.raw_os_error() == Some(EFAULT) => map,
                    Err((_, e)) => return Outcome::of_error(&e),
                };
                let map = if len > page {
                    match map.remap(page) {
                        Ok(map) => map,
                        Err((_, e)) => return Outcome::of_error(&e),
                    }
                } else {
                    map
                };
                t.touch(&map, offset)
            }));
        }
        Op::Pread => {
            let (offset, len) = t.io_range(rng);
            out(match t.open() {
                Err(o) => o,
                Ok(dev) => {
                    let mut buf = vec![0u8; len];
                    match dev.file().read_at(&mut buf, offset as u64) {
                        Err(e) => Outcome::of_errno(&e),
                        Ok(n) if !t.is_pattern(&buf[..n - n % 4], offset) => Outcome::Wrong,
                        Ok(n) if n == len => Outcome::Ok,
                        Ok(_) => Outcome::Short,
                    }
                }
            });
        }
        Op::Pwrite => {
            let (offset, len) = t.io_range(rng);
            out(match t.open() {
                Err(o) => o,
                Ok(dev) => match dev
                    .file()
                    .write_at(&pattern_bytes(t.seed, offset / 4, len), offset as u64)
                {
                    Err(e) => Outcome::of_errno(&e),
                    Ok(n) if n == len => Outcome::Ok,
                    Ok(_) => Outcome::Short,
                },
            });
        }
        Op::Kill => out(killed_mid_use(t, rng)),
        Op::Hold => {
            if held.is_none() {
                // Map the whole region and close the file: the mapping alone keeps it.
                match t.map(0, t.size()) {
                    Err(o) => return out(o),
                    Ok(map) => *held = Some(map),
                }
            }
            let Some(map) = held.as_ref() else { return };
            let (offset, len) = t.window(rng, MAX_PAGES);
            let outcome = in_child(|| {
                for w in offset / 4..(offset + len) / 4 {
                    match map.read_u32(w * 4) {
                        Ok(got) if got == pattern(t.seed, w) => {}
                        Ok(_) => return Outcome::Wrong,
                        Err(_) => return Outcome::Error,
                    }
                }
                Outcome::Ok
            });
            // A revoked mapping stays dead; let go of it now and then anyway, or a held
            // mapping would keep the module from ever unloading.
            if outcome != Outcome::Ok || rng.below(4) == 0 {
                *held = None;
            }
            out(outcome);
        }
    }
}

/// A child that maps, touches and reads the whole region over and over until it is killed, at
/// a random moment within [`KILL_MS`]: process exit (its mappings torn down, its file released)
/// races the device going away. It ends on its own only when something went wrong or away.
fn killed_mid_use(t: &Target, rng: &mut Rng) -> Outcome {
    let busy = || loop {
        let map = match t.map(0, t.size()) {
            Err(o) => return o,
            Ok(map) => map,
        };
        if t.touch(&map, 0) != Outcome::Ok {
            return Outcome::Wrong;
        }
        let Ok(dev) = t.open() else { continue };
        let len = t.size().min(MAX_IO);
        let mut buf = vec![0u8; len];
        match dev.file().read_at(&mut buf, 0) {
            Err(e) => return Outcome::of_errno(&e),
            Ok(n) if !t.is_pattern(&buf[..n - n % 4], 0) => return Outcome::Wrong,
            Ok(_) => {}
        }
    };
    let pid = match raw::spawn(CHILD_TIMEOUT, || busy().code()) {
        Ok(pid) => pid,
        Err(_) => return Outcome::Error,
    };
    std::thread::sleep(Duration::from_millis(rng.below(KILL_MS) as u64));
    // The child may have ended on its own already: then the kill fails and its exit tells.
    let _ = raw::signal(pid, SIGKILL);
    Outcome::of_exit(raw::wait(pid))
}

/// One worker process: random operations on `t` until the run stops.
fn worker(t: &Target, id: usize, tallies: &Tallies, pause: bool) -> i32 {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ (id as u64 + 1).wrapping_mul(0x9e37_79b9));
    let total: usize = OPS.iter().map(|&(_, w)| w).sum();
    let mut held = None;
    while !tallies.stopped() {
        let mut pick = rng.below(total);
        let (index, op) = OPS
            .iter()
            .enumerate()
            .find_map(|(i, &(op, w))| {
                if pick < w {
                    Some((i, op))
                } else {
                    pick -= w;
                    None
                }
            })
            .unwrap_or((0, Op::Open));
        run_op(t, op, &mut rng, &mut held, &mut |o| {
            tallies.count(id, index, o)
        });
        if pause {
            // Leave moments when no file is open, or the module could never unload.
            held = None;
            std::thread::sleep(Duration::from_millis(rng.below(PAUSE_MS) as u64));
        }
    }
    0
}

/// Runs `cmd args`; Ok(true) when it succeeded, Ok(false) when it exited non-zero.
fn command(cmd: &str, args: &[&str]) -> Result<bool, String> {
    Command::new(cmd)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .map_err(|e| format!("{cmd}: run: {e}"))
}

/// How the devices go away and come back.
pub enum Cycle {
    /// Unbind and rebind each device's platform node.
    Unbind,
    /// Unload and reload the module from this file.
    Rmmod(String),
}

/// One cycle of every device: Ok(true) when done, Ok(false) when refused (module in use).
fn cycle_once(how: &Cycle, targets: &[Target]) -> Result<bool, String> {
    match how {
        Cycle::Unbind => {
            for t in targets {
                driver_control("unbind", &t.node)?;
                driver_control("bind", &t.node)?;
            }
            Ok(true)
        }
        Cycle::Rmmod(module) => {
            if !command("rmmod", &["carveout"])? {
                return Ok(false);
            }
            if command("insmod", &[module])? {
                Ok(true)
            } else {
                Err(format!("insmod {module} failed after a successful rmmod"))
            }
        }
    }
}

/// Opens `path` read-only and returns its contents, for saving and checking.
fn contents(path: &Path) -> Result<Vec<u8>, Error> {
    Carveout::open_with(path, Access::ReadOnly)?.contents()
}

/// `carveout race TIMEOUT CYCLES unbind|rmmod ...`: see the module doc. `devices` are
/// (device file, platform node) pairs; the node is unused with [`Cycle::Rmmod`].
pub fn run(
    timeout: u64,
    cycles: usize,
    how: Cycle,
    devices: &[(PathBuf, String)],
    report: &mut Report,
) -> Result<(), Error> {
    let mode = match how {
        Cycle::Unbind => "unbind/bind",
        Cycle::Rmmod(_) => "rmmod/insmod",
    };
    let mut targets = Vec::new();
    let mut saved = Vec::new();
    for (i, (path, node)) in devices.iter().enumerate() {
        let dev = Carveout::open(path)?;
        let seed = 0x5eed_0000 ^ (i as u32) << 8;
        saved.push(dev.contents()?);
        dev.write_all_at(&pattern_bytes(seed, 0, region_len(&dev)), 0)?;
        targets.push(Target {
            path: path.clone(),
            node: node.clone(),
            info: dev.info().clone(),
            seed,
        });
    }
    // Against rmmod, fewer workers that pause between operations and let go of their mapping.
    let (per_device, pause) = match how {
        Cycle::Unbind => (WORKERS_PER_DEVICE, false),
        Cycle::Rmmod(_) => (WORKERS_PER_DEVICE_RMMOD, true),
    };
    let workers = targets.len() * per_device;
    let tallies =
        Tallies::new(workers).map_err(|e| Error::new("(anonymous shared memory)", "mmap", e))?;
    let mut pids = Vec::new();
    for id in 0..workers {
        let t = &targets[id / per_device];
        let limit = u32::try_from(timeout + 120).unwrap_or(u32::MAX);
        match raw::spawn(limit, || worker(t, id, &tallies, pause)) {
            Ok(pid) => pids.push(pid),
            Err(e) => {
                tallies.stop();
                for pid in pids {
                    let _ = raw::wait(pid);
                }
                return Err(Error::new(&t.path, "fork a worker", e));
            }
        }
    }

    let start = Instant::now();
    let deadline = start + Duration::from_secs(timeout);
    let (mut done, mut refused) = (0usize, 0usize);
    let mut failure = None;
    // At least `MIN_RUN`, so that a short run still gives every operation its chance, and on
    // for up to `COVER_MORE` until every operation has succeeded once: a short run on a slow
    // board can end before one has, and would then test less than it claims. (Not to the
    // deadline: an operation that never succeeds fails the run below, early.)
    while (done < cycles
        || start.elapsed() < MIN_RUN
        || (!tallies.every_op_succeeded() && start.elapsed() < MIN_RUN + COVER_MORE))
        && Instant::now() < deadline
    {
        match cycle_once(&how, &targets) {
            Ok(true) => done += 1,
            Ok(false) => {
                refused += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let elapsed = start.elapsed();
    tallies.stop();
    let exits: Vec<_> = pids.into_iter().map(raw::wait).collect();

    // Every device back, for the checks below and the tests after this one.
    let mut restored = Ok(());
    for t in &targets {
        if !t.path.exists() {
            if let Cycle::Unbind = how {
                restored = driver_control("bind", &t.node);
            }
        }
    }
    if let Cycle::Rmmod(module) = &how {
        if !Path::new("/sys/module/carveout").exists() {
            restored = command("insmod", &[module])
                .and_then(|ok| ok.then_some(()).ok_or(format!("insmod {module} failed")));
        }
    }

    let name = format!("race {mode}");
    let what = format!(
        "{done} cycles (of {cycles}) of {} device(s) in {:.1} s{}",
        targets.len(),
        elapsed.as_secs_f64(),
        if refused > 0 {
            format!(", {refused} refused while in use")
        } else {
            String::new()
        }
    );
    match failure {
        Some(e) => report.case(&name, &what, Err(e)),
        None if done < cycles => report.timeout(
            &name,
            &what,
            &format!("the {timeout} s watchdog fired first (a hang, or a machine far slower than any measured)"),
        ),
        None => report.case(&name, &what, Ok(())),
    }
    report.case(
        &name,
        &format!("{workers} worker processes ended normally"),
        if exits.iter().all(|e| matches!(e, Ok(Exit::Code(0)))) {
            Ok(())
        } else {
            Err(format!("workers ended with {exits:?}"))
        },
    );
    report.case(&name, "every device back after the loop", restored);

    let (mut wrong, mut other, mut gone) = (0, 0, 0);
    for (i, &(op, _)) in OPS.iter().enumerate() {
        let counts: Vec<String> = OUTCOMES
            .iter()
            .enumerate()
            .filter_map(|(j, &(_, label))| {
                let n = tallies.total(i, j);
                (n > 0).then(|| format!("{label} {n}"))
            })
            .collect();
        println!("{name}: {}: {}", op.name(), counts.join(", "));
        wrong += tallies.total(i, Outcome::Wrong.index());
        other += tallies.total(i, Outcome::Error.index());
        gone += [
            Outcome::Enodev,
            Outcome::Enoent,
            Outcome::Sigbus,
            Outcome::Short,
        ]
        .iter()
        .map(|o| tallies.total(i, o.index()))
        .sum::<u64>();
    }
    let all_ok = tallies.every_op_succeeded();
    report.case(
        &name,
        "only right data, SIGBUS, ENODEV or ENOENT",
        if wrong == 0 && other == 0 {
            Ok(())
        } else {
            Err(format!("{wrong} wrong data, {other} other errors"))
        },
    );
    report.case(
        &name,
        &format!("every operation succeeded (or was killed) at least once, and {gone} met a departing device"),
        if all_ok && gone > 0 {
            Ok(())
        } else {
            Err("the run did not exercise both sides".into())
        },
    );

    for (t, saved) in targets.iter().zip(&saved) {
        let dev_name = t.path.display().to_string();
        report.case(
            &name,
            &format!("{dev_name} holds the pattern after the race"),
            match contents(&t.path) {
                Ok(buf) if t.is_pattern(&buf, 0) => Ok(()),
                Ok(_) => Err("contents differ from the pattern".into()),
                Err(e) => Err(e.to_string()),
            },
        );
        Carveout::open(&t.path)?.write_all_at(saved, 0)?;
    }
    Ok(())
}
