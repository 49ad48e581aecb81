// SPDX-License-Identifier: MIT OR Apache-2.0

//! [`Error`]: what failed, on which file, and the `errno`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The result of the crate's operations.
///
/// # Examples
///
/// ```no_run
/// fn size_of(name: &str) -> carveout::Result<u64> {
///     Ok(carveout::Carveout::open(name)?.size())
/// }
/// # let _ = size_of("carveout-fb");
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An operation that failed: the file it was on, what it was, and the [`io::Error`].
///
/// A failed system call keeps its `errno` ([`Error::raw_os_error`]); a request the crate refuses
/// before any system call (a range outside a mapping, say) has kind
/// [`io::ErrorKind::InvalidInput`] and a message that says why. It displays as
/// `path: operation: error`, complete: so [`source`](std::error::Error::source) is `None`, and a
/// reporter that prints the chain of sources does not print the underlying error twice.
/// [`Error::io_error`] gives it.
///
/// # Examples
///
/// ```no_run
/// use carveout::Carveout;
///
/// const ENOENT: i32 = 2;
/// match Carveout::open("carveout-missing") {
///     Ok(_) => println!("found"),
///     Err(e) if e.raw_os_error() == Some(ENOENT) => println!("no such device: {e}"),
///     Err(e) => eprintln!("{} failed on {}: {}", e.operation(), e.path().display(), e.io_error()),
/// }
/// ```
pub struct Error {
    // Boxed: a `Result<u32, Error>` of a volatile read stays two words.
    inner: Box<Inner>,
}

struct Inner {
    path: PathBuf,
    operation: String,
    source: io::Error,
}

impl Error {
    /// An error of `operation` on the file at `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let e = carveout::Error::new("/dev/mem", "open (read-write)", io::ErrorKind::NotFound.into());
    /// assert_eq!(e.to_string(), "/dev/mem: open (read-write): entity not found");
    /// ```
    pub fn new(path: impl Into<PathBuf>, operation: impl Into<String>, source: io::Error) -> Error {
        Error {
            inner: Box::new(Inner {
                path: path.into(),
                operation: operation.into(),
                source,
            }),
        }
    }

    /// An error of a request the crate refuses itself, of `kind`, saying `why`.
    pub(crate) fn refused(
        path: &Path,
        operation: impl Into<String>,
        kind: io::ErrorKind,
        why: impl Into<String>,
    ) -> Error {
        Error::new(path, operation, io::Error::new(kind, why.into()))
    }

    /// The file the operation was on.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let e = carveout::Carveout::open("carveout-missing").unwrap_err();
    /// assert_eq!(e.path(), std::path::Path::new("/dev/carveout-missing"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// What failed, such as `mmap 0x1000 bytes at offset 0x0 (read-write)`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let e = carveout::Carveout::open("carveout-missing").unwrap_err();
    /// assert_eq!(e.operation(), "open (read-write)");
    /// ```
    pub fn operation(&self) -> &str {
        &self.inner.operation
    }

    /// The underlying error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let e = carveout::Carveout::open("carveout-missing").unwrap_err();
    /// assert_eq!(e.io_error().kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn io_error(&self) -> &io::Error {
        &self.inner.source
    }

    /// The `errno` of the failed system call; `None` for a request the crate refused itself.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::Carveout;
    ///
    /// const EINVAL: i32 = 22;
    /// let dev = Carveout::open("carveout-fb")?;
    /// // A window past the end of the region: the kernel refuses it.
    /// let e = dev.map_mut(dev.size(), 4096).unwrap_err();
    /// assert_eq!(e.raw_os_error(), Some(EINVAL));
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        self.inner.source.raw_os_error()
    }

    /// The kind of the underlying error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// let e = carveout::Error::new("/dev/carveout-fb", "open (read-only)", ErrorKind::NotFound.into());
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        self.inner.source.kind()
    }

    /// The underlying error, without the path and operation.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let e = carveout::Error::new("/dev/carveout-fb", "pread", io::Error::from_raw_os_error(19));
    /// assert_eq!(e.into_io_error().raw_os_error(), Some(19));
    /// ```
    pub fn into_io_error(self) -> io::Error {
        self.inner.source
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.inner.path.display(),
            self.inner.operation,
            self.inner.source
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("path", &self.inner.path)
            .field("operation", &self.inner.operation)
            .field("source", &self.inner.source)
            .finish()
    }
}

/// No [`source`](std::error::Error::source): the `Display` text already ends with the
/// underlying error's (see [`Error`]).
///
/// # Examples
///
/// ```
/// use std::error::Error as _;
/// use std::io;
///
/// let e = carveout::Error::new("/dev/carveout-fb", "pread", io::Error::from_raw_os_error(19));
/// assert!(e.source().is_none());
/// assert!(e.to_string().ends_with(&io::Error::from_raw_os_error(19).to_string()));
/// ```
impl std::error::Error for Error {}

/// An [`io::Error`] of the same kind that carries this error: its message keeps the path and
/// operation, and [`io::Error::get_ref`] gives the [`Error`] back (with its `errno`).
///
/// # Examples
///
/// ```
/// use std::io;
///
/// let e = carveout::Error::new("/dev/carveout-fb", "pread", io::Error::from_raw_os_error(19));
/// let io: io::Error = e.into();
/// assert!(io.to_string().starts_with("/dev/carveout-fb: pread: "));
/// let inner = io.get_ref().and_then(|e| e.downcast_ref::<carveout::Error>());
/// assert_eq!(inner.and_then(carveout::Error::raw_os_error), Some(19));
/// ```
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}
