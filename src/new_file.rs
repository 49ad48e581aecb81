// SPDX-License-Identifier: GPL-2.0

//! A file made for user space (a dma-buf, a doorbell's listener) and the descriptor reserved for
//! it: user space learns the number first, and the file is installed only then, so a fault on
//! the way leaves the process no descriptor.

use kernel::{
    fs::file::{
        File,
        FileDescriptorReservation, //
    },
    sync::aref::ARef,
};

/// A new file, and the descriptor reserved for it. Dropping it, uninstalled, releases both.
pub(crate) struct NewFile {
    reservation: FileDescriptorReservation,
    file: ARef<File>,
}

impl NewFile {
    /// `file`, to be installed at `reservation`'s descriptor.
    pub(crate) fn new(reservation: FileDescriptorReservation, file: ARef<File>) -> Self {
        Self { reservation, file }
    }

    /// The file descriptor it will have.
    pub(crate) fn fd(&self) -> u32 {
        self.reservation.reserved_fd()
    }

    /// Installs the file in the process's file table, at [`NewFile::fd`]: from here on the
    /// process may close it, and nothing can undo this.
    pub(crate) fn install(self) {
        self.reservation.fd_install(self.file);
    }
}
