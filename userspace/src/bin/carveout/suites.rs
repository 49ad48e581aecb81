// SPDX-License-Identifier: MIT OR Apache-2.0

//! The program's test suites and its benchmark, one file each under `suites/`, and
//! [`selftest_device`], the `selftest` command's run on one device, which composes three of them.
//!
//! A suite imports the harness (`harness.rs`, `harness/raw.rs`) and the library, never another
//! suite: where the self-test needs the bad calls of `contract.rs` and the kill cases of
//! `kill.rs`, it is this module, above them, that runs them in turn.

pub(crate) mod bench;
pub(crate) mod blocks;
pub(crate) mod contract;
pub(crate) mod kill;
pub(crate) mod lifecycle;
pub(crate) mod race;
pub(crate) mod selftest;
pub(crate) mod stress;

use carveout::Carveout;

use crate::harness::{region_len, Report};

/// Self-tests `dev`: the cases of [`selftest`], then those of [`contract`], [`blocks`] and [`kill`] (or a
/// `SKIP` line for the latter on a region too small), then the restore of the region's contents,
/// which [`selftest::run`] saved first. Nothing more after a case that leaves nothing to test.
pub(crate) fn selftest_device(dev: &Carveout, report: &mut Report) {
    let name = dev.path().display().to_string();
    let name = name.as_str();
    let Some(saved) = selftest::run(dev, name, report) else {
        return;
    };
    contract::run(dev, name, report);
    blocks::run(dev, name, report);
    if region_len(dev) >= kill::MIN_REGION {
        kill::run(dev, name, report);
    } else {
        report.skip(
            name,
            "SIGKILL inside a long pread and pwrite",
            "the region copies too fast to be caught in the middle",
        );
    }
    selftest::restore(dev, name, &saved, report);
}
