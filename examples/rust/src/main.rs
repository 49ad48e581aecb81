// SPDX-License-Identifier: MIT OR Apache-2.0

//! `carveout-map-sync`: the smallest complete use of a carveout from Rust, on the `carveout`
//! library.
//!
//! ```text
//! carveout-map-sync NAME
//! ```
//!
//! Opens `/dev/NAME`, maps its first page read-write, stores a word there, makes the store
//! visible to a device sharing the region (a sync: cache maintenance on a `cached` region, a
//! write barrier on the others), reads the word back with `pread`, and puts the old word back.
//! Exit status: 0 done, 1 a call failed or the word did not read back (the message says which),
//! 2 usage.

use std::env;
use std::error::Error;
use std::process::ExitCode;

use carveout::{Carveout, SyncDirection};

const WORD: u32 = 0xc0ff_ee00;

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let (Some(name), None) = (args.next(), args.next()) else {
        eprintln!("usage: carveout-map-sync NAME (a carveout device, /dev/NAME)");
        return ExitCode::from(2);
    };
    match run(&name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("carveout-map-sync: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(name: &str) -> Result<(), Box<dyn Error>> {
    let dev = Carveout::open(name)?;
    let info = dev.info();
    // Read-write: `dev.map` would give a read-only `Mapping`, which has no write methods.
    let map = dev.map_mut(0, carveout::page_size())?;
    let old = map.read_u32(0)?;
    map.write_u32(0, WORD)?;
    let stored = map
        .sync(&dev, 0, map.len(), SyncDirection::ForDevice)
        .and_then(|()| {
            let mut back = [0u8; 4];
            dev.read_exact_at(&mut back, 0)?;
            Ok(u32::from_ne_bytes(back))
        });
    // Leave the region as it was found, whatever failed.
    map.write_u32(0, old)?;
    map.sync(&dev, 0, map.len(), SyncDirection::ForDevice)?;
    let back = stored?;
    println!(
        "carveout-map-sync: {}: {} bytes at {:#x}, {}: stored {WORD:#010x} through mmap, synced, \
         read {back:#010x} with pread, put {old:#010x} back",
        info.name, info.size, info.phys_base, info.memory_type
    );
    if back != WORD {
        let path = dev.path().display();
        return Err(format!("{path}: read {back:#010x}, not the {WORD:#010x} stored").into());
    }
    Ok(())
}
