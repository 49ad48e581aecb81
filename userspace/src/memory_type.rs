// SPDX-License-Identifier: MIT OR Apache-2.0

//! [`MemoryType`]: how the CPU maps a region, and what that allows.

use std::fmt;
use std::str::FromStr;

use crate::uapi::{CARVEOUT_MEM_CACHED, CARVEOUT_MEM_DEVICE, CARVEOUT_MEM_WRITE_COMBINE};

/// The one memory type of a region: of the kernel's mapping and of every user mapping.
///
/// It comes from the device tree's `linux,memory-type` and is reported by the info ioctl
/// ([`Info::memory_type`](crate::Info::memory_type)) and by sysfs
/// ([`SysfsAttributes::memory_type`](crate::SysfsAttributes::memory_type)), spelled as
/// [`MemoryType::name`] gives.
///
/// # Examples
///
/// ```
/// use carveout::MemoryType;
///
/// let t: MemoryType = "device".parse()?;
/// assert_eq!(t, MemoryType::Device);
/// assert!(!t.allows_unaligned());
/// assert_eq!(MemoryType::Cached.to_string(), "cached");
/// # Ok::<(), carveout::ParseMemoryTypeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryType {
    /// `"write-combine"`: Normal non-cacheable (ARMv7). Writes may be merged and reordered;
    /// no CPU cache holds the region. The default.
    WriteCombine,
    /// `"cached"`: Normal write-back. The CPU caches the region: share it with a device only
    /// with [`Carveout::sync`](crate::Carveout::sync).
    Cached,
    /// `"device"`: Device memory. Accesses happen as issued and must be naturally aligned: an
    /// unaligned one (as `memcpy` makes) raises `SIGBUS`.
    Device,
}

impl MemoryType {
    /// Every memory type.
    ///
    /// # Examples
    ///
    /// ```
    /// let names: Vec<_> = carveout::MemoryType::ALL.iter().map(|t| t.name()).collect();
    /// assert_eq!(names, ["write-combine", "cached", "device"]);
    /// ```
    pub const ALL: [MemoryType; 3] = [
        MemoryType::WriteCombine,
        MemoryType::Cached,
        MemoryType::Device,
    ];

    /// The name, as in the device tree and sysfs: `write-combine`, `cached` or `device`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(carveout::MemoryType::WriteCombine.name(), "write-combine");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MemoryType::WriteCombine => "write-combine",
            MemoryType::Cached => "cached",
            MemoryType::Device => "device",
        }
    }

    /// Whether unaligned accesses (and so `memcpy` and byte slices) are allowed: on every type
    /// but [`MemoryType::Device`], which takes only naturally aligned accesses (of any width:
    /// `u8`, `u16` at even addresses, `u32` at multiples of 4, `u64` at multiples of 8).
    ///
    /// # Examples
    ///
    /// ```
    /// use carveout::MemoryType;
    ///
    /// assert!(MemoryType::Cached.allows_unaligned());
    /// assert!(!MemoryType::Device.allows_unaligned());
    /// ```
    pub fn allows_unaligned(self) -> bool {
        match self {
            MemoryType::WriteCombine | MemoryType::Cached => true,
            MemoryType::Device => false,
        }
    }

    /// Whether CPU caches hold the region, so that sharing it with a device needs
    /// [`Carveout::sync`](crate::Carveout::sync) (a no-op on the other types).
    ///
    /// # Examples
    ///
    /// ```
    /// use carveout::MemoryType;
    ///
    /// assert!(MemoryType::Cached.needs_sync());
    /// assert!(!MemoryType::WriteCombine.needs_sync());
    /// ```
    pub fn needs_sync(self) -> bool {
        match self {
            MemoryType::Cached => true,
            MemoryType::WriteCombine | MemoryType::Device => false,
        }
    }

    /// The memory type of a `CARVEOUT_MEM_*` value, if it is one.
    pub(crate) fn from_raw(raw: u32) -> Option<MemoryType> {
        match raw {
            CARVEOUT_MEM_WRITE_COMBINE => Some(MemoryType::WriteCombine),
            CARVEOUT_MEM_CACHED => Some(MemoryType::Cached),
            CARVEOUT_MEM_DEVICE => Some(MemoryType::Device),
            _ => None,
        }
    }
}

impl fmt::Display for MemoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a [`MemoryType::name`], as sysfs and the device tree write it.
///
/// # Examples
///
/// ```
/// use carveout::MemoryType;
///
/// assert_eq!("write-combine".parse(), Ok(MemoryType::WriteCombine));
/// assert!("uncached".parse::<MemoryType>().is_err());
/// ```
impl FromStr for MemoryType {
    type Err = ParseMemoryTypeError;

    fn from_str(s: &str) -> Result<MemoryType, ParseMemoryTypeError> {
        MemoryType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| ParseMemoryTypeError(s.into()))
    }
}

/// A string that is not a [`MemoryType::name`].
///
/// # Examples
///
/// ```
/// let e = "uncached".parse::<carveout::MemoryType>().unwrap_err();
/// assert_eq!(e.to_string(), "'uncached' is not a memory type (write-combine, cached or device)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseMemoryTypeError(String);

impl fmt::Display for ParseMemoryTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a memory type (write-combine, cached or device)",
            self.0
        )
    }
}

impl std::error::Error for ParseMemoryTypeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in MemoryType::ALL {
            assert_eq!(t.name().parse::<MemoryType>(), Ok(t));
        }
        assert!("Device".parse::<MemoryType>().is_err());
        assert!("device\n".parse::<MemoryType>().is_err());
    }

    #[test]
    fn raw_values_are_the_headers() {
        assert_eq!(MemoryType::from_raw(0), Some(MemoryType::WriteCombine));
        assert_eq!(MemoryType::from_raw(1), Some(MemoryType::Cached));
        assert_eq!(MemoryType::from_raw(2), Some(MemoryType::Device));
        assert_eq!(MemoryType::from_raw(3), None);
    }
}
