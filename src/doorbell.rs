// SPDX-License-Identifier: GPL-2.0

//! The doorbell of a carveout: the interrupt of its device-tree node, counted, waking the
//! processes that listen for it, as a UIO device does, through listener files of its own
//! (`CARVEOUT_IOC_DOORBELL`; `docs/abi.md`, "The doorbell").
//!
//! # Policy
//!
//! - Every interrupt adds one to the count and wakes every listener; a listener reads the count
//!   and learns how many rang since it last read (nothing is lost when several ring first).
//! - A level-triggered line is masked by the handler at each interrupt and stays masked until a
//!   listener unmasks it, once the device has been told to lower it: the line would interrupt
//!   again as soon as the handler returned otherwise. Interrupts while masked are not counted
//!   (a device that still holds the line interrupts again once unmasked).
//! - An edge-triggered line is masked only when a listener asks; edges while it is masked are
//!   delivered as one interrupt when it is unmasked (the kernel resends a pending edge).
//!
//! # Locking
//!
//! `state` is a spinlock taken with interrupts off; the handler takes it too. Under it the
//! handler and the listeners change `masked` and disable or enable the line together, so the
//! line's disable depth is 1 exactly when `masked` is set, whoever changed it last. The line's
//! controller must not sleep to enable or disable it (probe refuses a slow-bus controller).
//!
//! # Unbind
//!
//! The interrupt's registration is held in the driver data by a [`DoorbellIrq`], whose drop
//! revokes the doorbell first: under the lock it takes the listeners' hold on the line (so no
//! listener enables or disables it again) and wakes every listener: blocked reads return
//! `ENODEV`, `poll` gives `POLLERR | POLLHUP`. Then the registration is freed (`free_irq` waits
//! for a running handler); the handler holds the doorbell and a line of its own, so an interrupt
//! between the two counts into a doorbell nobody reads. After `free_irq`, an interrupt reaches no
//! code of this driver. The listeners hold the doorbell (and its wait queue) until their files
//! are released.

mod bell;
mod line;
mod listener;

pub(crate) use bell::{
    Doorbell,
    DoorbellHandler,
    DoorbellIrq, //
};
pub(crate) use line::IrqLine;
pub(crate) use listener::{
    listen,
    NewListener, //
};
