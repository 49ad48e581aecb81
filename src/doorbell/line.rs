// SPDX-License-Identifier: GPL-2.0

//! The interrupt line of a doorbell: its trigger type, and its enable and disable, which the
//! Rust `kernel` crate of Linux 7.3 does not wrap (`line.c` reads what bindings cannot reach).

use kernel::{
    bindings,
    ffi::c_uint,
    irq::IrqRequest, //
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

/// A hold on an interrupt line this driver requests, to enable and disable it.
///
/// # Invariants
///
/// A handler of this driver is registered for `irq` whenever [`IrqLine::enable`] or
/// [`IrqLine::disable_nosync`] runs, and they run in balanced pairs (an enable only after a
/// disable): the owner of each hold ([`DoorbellHandler`](super::DoorbellHandler), inside the
/// registration; the [`Doorbell`](super::Doorbell), whose hold is taken before the registration
/// is freed) keeps to that.
pub(crate) struct IrqLine {
    irq: u32,
}

impl IrqLine {
    /// A hold on `request`'s line.
    ///
    /// # Safety
    ///
    /// The hold must be used (enabled or disabled) only while a handler of this driver is
    /// registered for the line, and in balanced pairs.
    pub(crate) unsafe fn new(request: &IrqRequest<'_>) -> Self {
        // INVARIANT: The caller's contract.
        Self { irq: request.irq() }
    }

    /// The Linux interrupt number (`/proc/interrupts`).
    pub(crate) fn irq(&self) -> u32 {
        self.irq
    }

    /// The trigger type `request`'s line was given.
    pub(crate) fn trigger(request: &IrqRequest<'_>) -> Trigger {
        // SAFETY: `request` is a valid interrupt of a bound device (its type's invariant): its
        // descriptor lives at least as long as the device is bound.
        let trigger = unsafe { carveout_irq_trigger(request.irq()) };
        if trigger & bindings::IRQ_TYPE_LEVEL_MASK == 0
            && trigger & bindings::IRQ_TYPE_EDGE_BOTH != 0
        {
            Trigger::Edge
        } else {
            Trigger::Level
        }
    }

    /// Whether `request`'s line has its controller behind a slow bus, whose enable and disable
    /// sleep.
    pub(crate) fn bus_locked(request: &IrqRequest<'_>) -> bool {
        // SAFETY: As in `trigger`.
        unsafe { carveout_irq_bus_locked(request.irq()) }
    }

    /// Enables the line after [`IrqLine::disable_nosync`]. Does not sleep: the line's
    /// controller has no bus lock (checked at probe).
    pub(crate) fn enable(&self) {
        // SAFETY: A handler is registered for `irq` and this balances a disable (type
        // invariant).
        unsafe { bindings::enable_irq(self.irq) };
    }

    /// Disables the line without waiting for a running handler (which may be the caller).
    pub(crate) fn disable_nosync(&self) {
        // SAFETY: A handler is registered for `irq` (type invariant).
        unsafe { bindings::disable_irq_nosync(self.irq) };
    }
}
