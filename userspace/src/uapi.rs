//! The driver's ioctl ABI, mirroring `src/uapi.rs` of the module (documented in its crate doc).

/// `sizeof(struct carveout_info)`.
pub const INFO_SIZE: usize = 56;

/// `_IOR(0xB9, 0x00, struct carveout_info)`: direction read (2) << 30 | size << 16 | type << 8 | nr.
pub const CARVEOUT_IOC_INFO: u32 = (2 << 30) | ((INFO_SIZE as u32) << 16) | (0xB9 << 8);

/// What the driver reports about a carveout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub phys_base: u64,
    pub size: u64,
    pub memory_type: u32,
    pub name: String,
}

impl Info {
    /// Decodes the kernel's answer.
    pub fn from_bytes(raw: &[u8; INFO_SIZE]) -> Info {
        let u64_at = |at: usize| u64::from_ne_bytes(raw[at..at + 8].try_into().unwrap_or_default());
        let name = &raw[24..];
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        Info {
            phys_base: u64_at(0),
            size: u64_at(8),
            memory_type: u32::from_ne_bytes(raw[16..20].try_into().unwrap_or_default()),
            name: String::from_utf8_lossy(&name[..end]).into_owned(),
        }
    }

    /// The memory type's name, as in the device tree.
    pub fn memory_type_name(&self) -> &'static str {
        match self.memory_type {
            0 => "write-combine",
            1 => "cached",
            2 => "device",
            _ => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_number_matches_the_kernel_macro() {
        // _IOR(0xB9, 0x00, 56 bytes) as the kernel computes it on arm and x86.
        assert_eq!(CARVEOUT_IOC_INFO, 0x8038_b900);
    }

    #[test]
    fn decodes_the_layout() {
        let mut raw = [0u8; INFO_SIZE];
        raw[0..8].copy_from_slice(&0x4800_0000u64.to_ne_bytes());
        raw[8..16].copy_from_slice(&0x100_0000u64.to_ne_bytes());
        raw[16..20].copy_from_slice(&2u32.to_ne_bytes());
        raw[24..35].copy_from_slice(b"carveout-fb");
        let info = Info::from_bytes(&raw);
        assert_eq!(info.phys_base, 0x4800_0000);
        assert_eq!(info.size, 16 << 20);
        assert_eq!(info.memory_type_name(), "device");
        assert_eq!(info.name, "carveout-fb");
    }
}
