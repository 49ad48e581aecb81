// SPDX-License-Identifier: GPL-2.0

//! The interrupt line of a doorbell: its trigger type, and its enable and disable, which the
//! Rust `kernel` crate of Linux 7.3 does not wrap (`line.c` reads what bindings cannot reach).

use kernel::{
    bindings,
    ffi::c_uint, //
};

extern "C" {
    fn carveout_irq_trigger(irq: c_uint) -> c_uint;
    fn carveout_irq_bus_locked(irq: c_uint) -> bool;
}

/// How a line signals, as its controller translated the device tree's trigger type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// Rising, falling or both edges: each edge is one interrupt.
    Edge,
    /// High or low level, or no type given (the controller's default, which may be a level):
    /// the line interrupts for as long as the device holds it.
    Level,
}

impl Trigger {
    /// `CARVEOUT_DOORBELL_*`.
    pub(crate) fn as_uapi(self) -> u32 {
        match self {
            Self::Edge => crate::uapi::DOORBELL_EDGE,
            Self::Level => crate::uapi::DOORBELL_LEVEL,
        }
    }

    /// The name the log uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Edge => "edge",
            Self::Level => "level",
        }
    }
}

/// An interrupt line this driver has requested.
///
/// # Invariants
///
/// `irq` has a handler of this driver's for as long as the `IrqLine` lives: its owner (the
/// [`Doorbell`](super::Doorbell)) stops every use of it before the handler is freed.
pub(crate) struct IrqLine {
    irq: u32,
}

impl IrqLine {
    /// The line `irq`, as a [`Doorbell`](super::Doorbell) holds it.
    ///
    /// # Safety
    ///
    /// `irq` must be a valid interrupt number, and [`IrqLine::enable`] and
    /// [`IrqLine::disable_nosync`] must be called only while a handler of this driver is
    /// registered for it, and in balanced pairs (an enable only after a disable).
    pub(crate) unsafe fn new(irq: u32) -> Self {
        // INVARIANT: The caller's contract.
        Self { irq }
    }

    /// The Linux interrupt number (`/proc/interrupts`).
    pub(crate) fn irq(&self) -> u32 {
        self.irq
    }

    /// The trigger type the line was given.
    pub(crate) fn trigger(irq: u32) -> Trigger {
        // SAFETY: Reads the line's trigger type from its descriptor; an interrupt number
        // without a descriptor gives `IRQ_TYPE_NONE`.
        let trigger = unsafe { carveout_irq_trigger(irq) };
        if trigger & bindings::IRQ_TYPE_LEVEL_MASK == 0
            && trigger & bindings::IRQ_TYPE_EDGE_BOTH != 0
        {
            Trigger::Edge
        } else {
            Trigger::Level
        }
    }

    /// Whether the line's controller is behind a slow bus, whose enable and disable sleep.
    pub(crate) fn bus_locked(irq: u32) -> bool {
        // SAFETY: Reads the line's chip; an interrupt number without one gives false.
        unsafe { carveout_irq_bus_locked(irq) }
    }

    /// Enables the line after [`IrqLine::disable_nosync`]. Does not sleep: the line's
    /// controller has no bus lock (checked at probe).
    pub(crate) fn enable(&self) {
        // SAFETY: A handler is registered for `irq` and this balances a disable (type
        // invariant, the owner's contract).
        unsafe { bindings::enable_irq(self.irq) };
    }

    /// Disables the line without waiting for a running handler (which may be the caller).
    pub(crate) fn disable_nosync(&self) {
        // SAFETY: A handler is registered for `irq` (type invariant).
        unsafe { bindings::disable_irq_nosync(self.irq) };
    }
}
