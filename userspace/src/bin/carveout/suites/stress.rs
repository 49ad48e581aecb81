// SPDX-License-Identifier: MIT OR Apache-2.0

//! `carveout stress SECONDS DEV...`: several processes, each with several threads, map windows
//! of every device, write their own words and verify them through the mapping and through
//! pread, for a bounded time. Windows overlap between workers (shared pages) or not (each
//! worker's own zone, every other round); words never do, so any mismatch is a driver bug.

use std::time::{Duration, Instant};

use carveout::{Carveout, Error};

use crate::harness::raw::{self, Exit};
use crate::harness::{pattern, region_len, Report, Rng};

const PROCESSES: usize = 2;
const THREADS: usize = 3;
const WORKERS: usize = PROCESSES * THREADS;
/// The largest window a worker maps, in pages.
const MAX_PAGES: usize = 8;

/// What one worker did.
#[derive(Default)]
struct Tally {
    rounds: u64,
    mismatches: u64,
    errors: u64,
}

/// One worker: `id` owns the words whose index is `id` modulo `WORKERS`.
fn work(dev: &Carveout, id: usize, deadline: Instant) -> Tally {
    let page = carveout::page_size();
    let pages = region_len(dev) / page;
    let zone = (pages / WORKERS).max(1);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0xff51_afd7));
    let mut tally = Tally::default();
    while Instant::now() < deadline {
        let round = tally.rounds;
        tally.rounds += 1;
        let (first, count) = if round % 2 == 0 && pages >= WORKERS {
            // Disjoint: inside this worker's own zone.
            let count = 1 + rng.below(zone.min(MAX_PAGES));
            (id * zone + rng.below(zone - count + 1), count)
        } else {
            // Overlapping: anywhere, shared with the other workers.
            let count = 1 + rng.below(pages.min(MAX_PAGES));
            (rng.below(pages - count + 1), count)
        };
        let (offset, len) = (first * page, count * page);
        let Ok(map) = dev.map_mut(offset as u64, len) else {
            tally.errors += 1;
            continue;
        };
        let seed = (id as u32) << 24 ^ round as u32;
        let first_word = offset / 4;
        let own = |w: usize| (first_word + w) % WORKERS == id;
        for w in (0..len / 4).filter(|&w| own(w)) {
            if map.write_u32(w * 4, pattern(seed, first_word + w)).is_err() {
                tally.errors += 1;
            }
        }
        for w in (0..len / 4).filter(|&w| own(w)) {
            match map.read_u32(w * 4) {
                Ok(got) if got == pattern(seed, first_word + w) => {}
                Ok(_) => tally.mismatches += 1,
                Err(_) => tally.errors += 1,
            }
        }
        let mut buf = vec![0u8; len];
        if dev.read_exact_at(&mut buf, offset as u64).is_err() {
            tally.errors += 1;
            continue;
        }
        for (w, word) in buf.chunks_exact(4).enumerate().filter(|&(w, _)| own(w)) {
            let got = u32::from_ne_bytes([word[0], word[1], word[2], word[3]]);
            if got != pattern(seed, first_word + w) {
                tally.mismatches += 1;
            }
        }
    }
    tally
}

/// One process: `THREADS` workers on every device.
fn process(devices: &[Carveout], first_id: usize, deadline: Instant) -> i32 {
    let tallies: Vec<(String, Tally)> = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter()
            .flat_map(|dev| (0..THREADS).map(move |t| (dev, first_id + t)))
            .map(|(dev, id)| {
                let handle = scope.spawn(move || work(dev, id, deadline));
                (dev.path().display().to_string(), handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| (name, h.join().unwrap_or_default()))
            .collect()
    });
    let mut bad = false;
    for (name, t) in &tallies {
        println!(
            "stress {name}: worker rounds {}, mismatches {}, errors {}",
            t.rounds, t.mismatches, t.errors
        );
        bad |= t.mismatches > 0 || t.errors > 0 || t.rounds == 0;
    }
    i32::from(bad)
}

/// Runs the stress on `devices` for `seconds`; the region contents are saved and restored.
pub fn run(devices: &[Carveout], seconds: u64, report: &mut Report) -> Result<(), Error> {
    let saved = devices
        .iter()
        .map(Carveout::contents)
        .collect::<Result<Vec<_>, _>>()?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let limit = u32::try_from(seconds + 60).unwrap_or(u32::MAX);
    let mut children = Vec::new();
    for p in 0..PROCESSES {
        let pid = raw::spawn(limit, || process(devices, p * THREADS, deadline))
            .map_err(|e| Error::new(devices[0].path(), "fork", e))?;
        children.push(pid);
    }
    let mut exits = Vec::new();
    for pid in children {
        exits.push(raw::wait(pid).map_err(|e| Error::new(devices[0].path(), "wait", e))?);
    }
    let elapsed = start.elapsed();
    let names: Vec<String> = devices
        .iter()
        .map(|d| d.path().display().to_string())
        .collect();
    report.case(
        "stress",
        &format!(
            "{PROCESSES} processes x {THREADS} threads per device on {}: no mismatch, no error",
            names.join(" ")
        ),
        if exits.iter().all(|&e| e == Exit::Code(0)) {
            Ok(())
        } else {
            Err(format!("children ended with {exits:?}"))
        },
    );
    // A watchdog, not a measure of the machine: the processes stop at the deadline, and only
    // one stuck in the driver can keep the run going this much longer.
    let bound = format!(
        "bounded in time: {} ms for {seconds} s of work",
        elapsed.as_millis()
    );
    if elapsed < Duration::from_secs(seconds + 30) {
        report.case("stress", &bound, Ok(()));
    } else {
        report.timeout(
            "stress",
            &bound,
            "its processes ran 30 s past their deadline",
        );
    }
    for (dev, buf) in devices.iter().zip(&saved) {
        dev.write_all_at(buf, 0)?;
    }
    Ok(())
}
