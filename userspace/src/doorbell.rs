// SPDX-License-Identifier: MIT OR Apache-2.0

//! The doorbell of a carveout: the interrupt its device-tree node names, which a device raises
//! when it has written to the region. A [`Doorbell`] is one listener of it (its own file
//! descriptor, from `CARVEOUT_IOC_DOORBELL`), used as a UIO device file is.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use crate::uapi::{self, CARVEOUT_DOORBELL_EDGE, CARVEOUT_DOORBELL_LEVEL};
use crate::{Error, Result};

/// How the doorbell's interrupt line signals, from the device tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Each edge is one ring; the line is masked only by [`Doorbell::mask`].
    Edge,
    /// The device holds the line until told to lower it: the driver masks the line at each
    /// ring, and a listener unmasks it ([`Doorbell::unmask`]) once the device has lowered it.
    Level,
}

impl Trigger {
    /// `"edge"` or `"level"`.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Edge => "edge",
            Trigger::Level => "level",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One listener of a carveout's doorbell: [`Doorbell::wait`] blocks until it rings and says how
/// many times it rang since this listener last looked. Its file descriptor ([`AsFd`]) is
/// readable in `poll(2)`/`epoll(7)` when a wait would not block, so it fits an event loop.
///
/// # Examples
///
/// ```no_run
/// use carveout::{Carveout, Trigger};
///
/// let mbox = Carveout::open("carveout-mbox")?;
/// let mut doorbell = mbox.doorbell()?;
/// if doorbell.trigger() == Trigger::Level {
///     doorbell.unmask()?; // a ring before we opened may have left it masked
/// }
/// loop {
///     let rings = doorbell.wait()?;
///     let mut message = [0u8; 64];
///     mbox.read_exact_at(&mut message, 0)?;
///     println!("{rings} ring(s); message {:?}", &message[..8]);
///     if doorbell.trigger() == Trigger::Level {
///         // Tell the device its message was read (it lowers the line), then:
///         doorbell.unmask()?;
///     }
/// #   break;
/// }
/// # Ok::<(), carveout::Error>(())
/// ```
#[derive(Debug)]
pub struct Doorbell {
    path: PathBuf,
    file: File,
    trigger: Trigger,
    count: u32,
}

impl Doorbell {
    /// Opens a listener on `device`, the carveout's open file at `path`.
    pub(crate) fn open(path: &Path, device: BorrowedFd<'_>) -> Result<Doorbell> {
        let (fd, answer) = uapi::carveout_ioc_doorbell(device)
            .map_err(|e| Error::new(path, "ioctl CARVEOUT_IOC_DOORBELL", e))?;
        let trigger = match answer.trigger {
            CARVEOUT_DOORBELL_EDGE => Trigger::Edge,
            CARVEOUT_DOORBELL_LEVEL => Trigger::Level,
            other => {
                return Err(Error::new(
                    path,
                    "ioctl CARVEOUT_IOC_DOORBELL",
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unknown trigger {other} from the driver"),
                    ),
                ))
            }
        };
        Ok(Doorbell {
            path: path.to_path_buf(),
            file: File::from(fd),
            trigger,
            count: answer.count,
        })
    }

    /// How the line signals.
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The doorbell's count as this listener last saw it: interrupts since the driver requested
    /// the line, wrapping at 2^32.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Waits until the doorbell rings (unless it rang since this listener last looked), and
    /// returns how many times it rang since then (at least 1).
    ///
    /// # Errors
    ///
    /// `EINTR` on a signal; `ENODEV` once the device is unbound; `EAGAIN` if the descriptor was
    /// made non-blocking and nothing rang.
    pub fn wait(&mut self) -> Result<u32> {
        let mut bytes = [0u8; 4];
        let n = (&self.file)
            .read(&mut bytes)
            .map_err(|e| Error::new(&self.path, "read (doorbell listener)", e))?;
        if n != bytes.len() {
            return Err(Error::new(
                &self.path,
                "read (doorbell listener)",
                io::Error::new(io::ErrorKind::UnexpectedEof, format!("{n} bytes, not 4")),
            ));
        }
        let now = u32::from_ne_bytes(bytes);
        let rings = now.wrapping_sub(self.count);
        self.count = now;
        Ok(rings)
    }

    /// Unmasks the line: a level line after the device lowered it, or an edge line after
    /// [`Doorbell::mask`]. Edges that came while it was masked arrive as one ring.
    ///
    /// # Errors
    ///
    /// `EBADF` for a listener of a carveout opened read-only; `ENODEV` once unbound.
    pub fn unmask(&self) -> Result<()> {
        self.control(1, "write 1 (unmask)")
    }

    /// Masks the line until [`Doorbell::unmask`]; no ring is counted meanwhile.
    ///
    /// # Errors
    ///
    /// As [`Doorbell::unmask`].
    pub fn mask(&self) -> Result<()> {
        self.control(0, "write 0 (mask)")
    }

    fn control(&self, value: u32, operation: &str) -> Result<()> {
        (&self.file)
            .write_all(&value.to_ne_bytes())
            .map_err(|e| Error::new(&self.path, format!("{operation} (doorbell listener)"), e))
    }
}

impl AsFd for Doorbell {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}
