// SPDX-License-Identifier: MIT OR Apache-2.0

//! What sysfs tells about carveout devices, without opening them: [`SysfsAttributes`] and
//! [`list`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::memory_type::MemoryType;
use crate::{Error, Result};

/// Where misc devices appear in sysfs.
const MISC_CLASS: &str = "/sys/class/misc";

/// The name of the driver that serves carveout devices.
const DRIVER: &str = "carveout";

/// The sysfs directory of the misc device `name`.
pub(crate) fn class_dir(name: &str) -> PathBuf {
    Path::new(MISC_CLASS).join(name)
}

/// The attributes of a carveout in `/sys/class/misc/<name>/`: the same facts as the info
/// ioctl, readable by anyone (the device file is root-only).
///
/// # Examples
///
/// ```no_run
/// let attrs = carveout::SysfsAttributes::read("carveout-fb")?;
/// println!("{:#x} bytes at {:#x}, {}", attrs.size, attrs.phys_addr, attrs.memory_type);
/// # Ok::<(), carveout::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysfsAttributes {
    /// `phys_addr`: the physical base address, written `0x5a000000`.
    pub phys_addr: u64,
    /// `size`: the size in bytes, written in decimal.
    pub size: u64,
    /// `memory_type`: `write-combine`, `cached` or `device`.
    pub memory_type: MemoryType,
}

impl SysfsAttributes {
    /// Reads the attributes of the carveout `name` (`"carveout-fb"`).
    ///
    /// # Errors
    ///
    /// The error reading a file (`ENOENT` if there is no such device, or its driver has no
    /// attributes), or [`io::ErrorKind::InvalidData`] for a value that is not written as
    /// documented; the error names the file.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{MemoryType, SysfsAttributes};
    ///
    /// let attrs = SysfsAttributes::read("carveout-mbox")?;
    /// assert_eq!(attrs.memory_type, MemoryType::Device);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read(name: &str) -> Result<SysfsAttributes> {
        SysfsAttributes::read_dir(&class_dir(name))
    }

    /// Reads the attributes in `dir`.
    fn read_dir(dir: &Path) -> Result<SysfsAttributes> {
        let phys_addr = attribute(dir, "phys_addr", |text| {
            let hex = text
                .strip_prefix("0x")
                .ok_or("not 0x-prefixed hexadecimal")?;
            u64::from_str_radix(hex, 16).map_err(|_| "not 0x-prefixed hexadecimal")
        })?;
        let size = attribute(dir, "size", |text| {
            text.parse::<u64>().map_err(|_| "not a decimal number")
        })?;
        let memory_type = attribute(dir, "memory_type", |text| {
            text.parse::<MemoryType>()
                .map_err(|_| "not write-combine, cached or device")
        })?;
        Ok(SysfsAttributes {
            phys_addr,
            size,
            memory_type,
        })
    }
}

/// Reads `dir/name`, one line, and parses it without its newline.
fn attribute<T>(
    dir: &Path,
    name: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, &'static str>,
) -> Result<T> {
    let path = dir.join(name);
    let text = fs::read_to_string(&path).map_err(|e| Error::new(&path, "read", e))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    parse(line).map_err(|why| {
        Error::new(
            &path,
            "read",
            io::Error::new(io::ErrorKind::InvalidData, format!("'{line}' is {why}")),
        )
    })
}

/// The names of the carveout devices: the misc devices whose device the `carveout` driver
/// serves, sorted, from sysfs alone. No device file is opened, so a device the caller may not
/// open (the files are root-only) is listed too, and one that goes away meanwhile is left out.
///
/// # Errors
///
/// The error reading `/sys/class/misc`.
///
/// # Examples
///
/// ```no_run
/// // As any user: the attributes are world-readable.
/// for name in carveout::list()? {
///     let attrs = carveout::SysfsAttributes::read(&name)?;
///     println!("{name}: {:#x} bytes, {}", attrs.size, attrs.memory_type);
/// }
/// # Ok::<(), carveout::Error>(())
/// ```
pub fn list() -> Result<Vec<String>> {
    let class = Path::new(MISC_CLASS);
    let read_error = |e| Error::new(class, "read directory", e);
    let mut names = Vec::new();
    for entry in fs::read_dir(class).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // A misc device without a parent device, or whose device another driver serves, is
        // not a carveout.
        let driver = fs::read_link(entry.path().join("device/driver"));
        if driver.is_ok_and(|d| d.file_name().is_some_and(|n| n == DRIVER)) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of attribute files with these contents, removed on drop.
    struct Attributes(PathBuf);

    impl Attributes {
        fn new(test: &str, files: &[(&str, &str)]) -> Attributes {
            let dir = std::env::temp_dir().join(format!("carveout-{test}-{}", std::process::id()));
            fs::create_dir_all(&dir).unwrap();
            for (name, text) in files {
                fs::write(dir.join(name), text).unwrap();
            }
            Attributes(dir)
        }
    }

    impl Drop for Attributes {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn reads_the_documented_formats() {
        let dir = Attributes::new(
            "good",
            &[
                ("phys_addr", "0x5a000000\n"),
                ("size", "1048576\n"),
                ("memory_type", "cached\n"),
            ],
        );
        let attrs = SysfsAttributes::read_dir(&dir.0).unwrap();
        assert_eq!(
            attrs,
            SysfsAttributes {
                phys_addr: 0x5a00_0000,
                size: 1 << 20,
                memory_type: MemoryType::Cached,
            }
        );
    }

    #[test]
    fn names_the_file_of_a_bad_value() {
        let dir = Attributes::new(
            "bad",
            &[
                ("phys_addr", "5a000000\n"),
                ("size", "0x100000\n"),
                ("memory_type", "uncached\n"),
            ],
        );
        let e = SysfsAttributes::read_dir(&dir.0).unwrap_err();
        assert_eq!(e.path(), dir.0.join("phys_addr"));
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(
            e.to_string().contains("'5a000000' is not 0x-prefixed"),
            "{e}"
        );
        fs::write(dir.0.join("phys_addr"), "0x0\n").unwrap();
        let e = SysfsAttributes::read_dir(&dir.0).unwrap_err();
        assert_eq!(e.path(), dir.0.join("size"));
        fs::remove_file(dir.0.join("size")).unwrap();
        let e = SysfsAttributes::read_dir(&dir.0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
