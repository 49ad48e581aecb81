// SPDX-License-Identifier: MIT OR Apache-2.0

//! A process killed inside a long `pread` or `pwrite` of a device dies between two chunks of
//! the copy, with the rest of it undone, rather than after copying up to the whole region.
//!
//! A child copies the whole region in one call, between the region and memory it shares with
//! this process, every page of it present (so that no page fault, which a kill also ends, stops
//! the copy); this process watches the copy go past an early offset, kills the child, and looks
//! at how far the copy got: short of the end if the driver stopped for the kill. A copy that
//! finished before the kill landed proves nothing, and is tried again.

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use carveout::{Carveout, Mapping, MappingMut, MemoryType};

use crate::harness::raw::consts::SIGKILL;
use crate::harness::raw::{self, Exit, Io};
use crate::harness::{region_len, Report};

/// Regions smaller than this copy too fast to be caught in the middle.
pub const MIN_REGION: usize = 4 << 20;
/// Where the watcher waits for the copy to arrive before the kill: a few of the driver's
/// chunks (64 KiB) in.
const WATCH: usize = 256 << 10;
/// Tries before a copy that always finished first is a failure.
const TRIES: usize = 3;
/// How long the copy may take to reach `WATCH`.
const REACH_TIMEOUT: Duration = Duration::from_secs(20);
/// Seconds a child may live (then SIGALRM ends it).
const CHILD_TIMEOUT: u32 = 60;
/// The word the region holds before a copy into it, and the one the copy brings.
const OLD: u32 = 0x0bad_cafe;
const NEW: u32 = 0x600d_f00d;

/// The two directions of the copy.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

/// How one try ended.
enum Outcome {
    /// Killed with this many bytes copied, short of the region's size.
    Stopped(usize),
    /// The whole region was copied: the kill came too late, or the driver ignored it.
    Finished(Exit, Duration),
}

/// Runs both cases on `dev`, whose contents the caller saves and restores.
pub fn run(dev: &Carveout, name: &str, report: &mut Report) {
    let size = region_len(dev);
    for (direction, what) in [(Direction::Read, "pread"), (Direction::Write, "pwrite")] {
        let case = format!(
            "SIGKILL inside a {} MiB {what}: dies with the copy unfinished",
            size >> 20
        );
        report.case(name, &case, stops(dev, size, direction));
    }
}

/// Tries up to [`TRIES`] times to kill a copy in its middle.
fn stops(dev: &Carveout, size: usize, direction: Direction) -> Result<(), String> {
    let mut finished = Vec::new();
    for _ in 0..TRIES {
        match try_once(dev, size, direction)? {
            Outcome::Stopped(copied) => {
                println!("  killed with {copied:#x} of {size:#x} bytes copied");
                return Ok(());
            }
            Outcome::Finished(exit, took) => finished.push(format!("{exit:?} after {took:?}")),
        }
    }
    Err(format!(
        "the whole region was copied despite the kill, each try: {}",
        finished.join("; ")
    ))
}

/// Fills every word of `map` with `word`.
fn fill(map: &MappingMut, word: u32) -> Result<(), String> {
    (0..map.len())
        .step_by(4)
        .try_for_each(|at| map.write_u32(at, word))
        .map_err(|e| e.to_string())
}

/// The bytes before the first word of `map` that is not `word`.
fn prefix(map: &Mapping, word: u32) -> Result<usize, String> {
    for at in (0..map.len()).step_by(4) {
        if map.read_u32(at).map_err(|e| e.to_string())? != word {
            return Ok(at);
        }
    }
    Ok(map.len())
}

fn try_once(dev: &Carveout, size: usize, direction: Direction) -> Result<Outcome, String> {
    let region = dev.map_mut(0, size).map_err(|e| e.to_string())?;
    // Memory shared with the child: what it reads into, or what it writes from.
    let buffer = raw::map_anonymous(size, true, true, MemoryType::Cached)
        .map_err(|e| format!("mmap {size} bytes of shared memory: {e}"))?;
    let (watched, before, after) = match direction {
        // The region holds NEW, the buffer OLD; the copy brings NEW into the buffer.
        Direction::Read => (&buffer, OLD, NEW),
        // The region holds OLD, the buffer NEW; the copy brings NEW into the region.
        Direction::Write => (&region, OLD, NEW),
    };
    match direction {
        Direction::Read => {
            fill(&region, NEW)?;
            fill(&buffer, OLD)?;
        }
        Direction::Write => {
            fill(&region, OLD)?;
            fill(&buffer, NEW)?;
        }
    }
    let page = carveout::page_size();
    let fd = dev.file().as_fd();
    let start = Instant::now();
    let child = raw::spawn(CHILD_TIMEOUT, || {
        // Fault every page of the buffer in first: the copy must take no fault, which a kill
        // would end whatever the driver does.
        for at in (0..size).step_by(page) {
            let touched = match direction {
                Direction::Read => buffer.write_u32(at, OLD),
                Direction::Write => buffer.read_u32(at).map(drop),
            };
            if touched.is_err() {
                return 2;
            }
        }
        let copied = match direction {
            Direction::Read => raw::read_into(fd, Io::Plain, &buffer, 0, size, 0),
            Direction::Write => raw::write_from(fd, Io::Plain, &buffer, 0, size, 0),
        };
        match copied {
            Ok(n) if n == size => 0,
            _ => 3,
        }
    })
    .map_err(|e| format!("fork: {e}"))?;
    // Wait for the copy to pass `WATCH`, then kill at once.
    let reached = loop {
        match watched.read_u32(WATCH) {
            Ok(word) if word == after => break Ok(()),
            Ok(word) if word == before => {}
            Ok(word) => break Err(format!("word {word:#x} at {WATCH:#x}, neither old nor new")),
            Err(e) => break Err(e.to_string()),
        }
        if start.elapsed() > REACH_TIMEOUT {
            break Err(format!(
                "the copy did not reach {WATCH:#x} in {REACH_TIMEOUT:?}"
            ));
        }
        std::hint::spin_loop();
    };
    let killed = raw::signal(child, SIGKILL).map_err(|e| format!("kill: {e}"));
    let exit = raw::wait(child).map_err(|e| format!("wait: {e}"))?;
    let took = start.elapsed();
    reached?;
    killed?;
    let copied = prefix(watched, after)?;
    if copied < WATCH {
        return Err(format!(
            "only {copied:#x} bytes copied, below {WATCH:#x} seen before"
        ));
    }
    if copied == size {
        return Ok(Outcome::Finished(exit, took));
    }
    if exit != Exit::Signal(SIGKILL) {
        return Err(format!(
            "{copied:#x} of {size:#x} bytes copied, and the child ended {exit:?}"
        ));
    }
    // What was not copied is untouched.
    let rest = (copied..size)
        .step_by(4)
        .try_for_each(|at| match watched.read_u32(at) {
            Ok(word) if word == before || at == copied => Ok(()),
            Ok(word) => Err(format!("word {word:#x} at {at:#x} past the copy")),
            Err(e) => Err(e.to_string()),
        });
    rest.map(|()| Outcome::Stopped(copied))
}
