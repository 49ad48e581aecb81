// SPDX-License-Identifier: GPL-2.0

//! A doorbell's state: its count, its mask, its listeners' wait queue, and the interrupt handler
//! that rings it (the policy and the locking: the [`doorbell`](super) module doc).

use kernel::{
    irq::{
        self,
        IrqReturn, //
    },
    new_poll_condvar,
    prelude::*,
    sync::{
        new_spinlock_irq,
        poll::PollCondVar,
        Arc,
        SpinLockIrq, //
    },
};

use super::line::{
    IrqLine,
    Trigger, //
};

/// What the handler and the listeners share, under the lock.
struct State {
    /// Interrupts since the line was requested, wrapping.
    count: u32,
    /// Whether this driver holds the line disabled (its disable depth is then 1).
    masked: bool,
    /// The listeners' hold on the line, to mask and unmask it: `None` once the device is unbound
    /// (taken by [`Doorbell::revoke`], before the line is freed).
    line: Option<IrqLine>,
}

/// The doorbell of one carveout: its count, its mask, and the listeners waiting for it.
#[pin_data]
pub(crate) struct Doorbell {
    #[pin]
    state: SpinLockIrq<State>,
    #[pin]
    waiters: PollCondVar,
    irq: u32,
    trigger: Trigger,
}

/// A listener's view of the doorbell, for `poll`.
pub(crate) enum Readiness {
    /// The doorbell rang since the listener last read.
    Rang,
    /// Nothing new.
    Quiet,
    /// The device is unbound.
    Gone,
}

impl Doorbell {
    /// A doorbell on `line`, not yet rung, unmasked.
    pub(crate) fn new(line: IrqLine, trigger: Trigger) -> impl PinInit<Self> {
        let irq = line.irq();
        pin_init!(Self {
            state <- new_spinlock_irq!(State {
                count: 0,
                masked: false,
                line: Some(line),
            }),
            waiters <- new_poll_condvar!("carveout::doorbell"),
            irq,
            trigger,
        })
    }

    /// The line's trigger type.
    pub(crate) fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The Linux interrupt number.
    pub(crate) fn irq(&self) -> u32 {
        self.irq
    }

    /// An interrupt on `line` (the handler's): counted, the line masked if it is a level, every
    /// listener woken.
    fn ring(&self, line: &IrqLine) {
        {
            let mut state = self.state.lock();
            state.count = state.count.wrapping_add(1);
            // Not if a listener masked the line while this handler waited for the lock.
            if self.trigger == Trigger::Level && !state.masked {
                state.masked = true;
                line.disable_nosync();
            }
        }
        // A listener checks the count under the lock and is on the wait queue before it lets
        // go of it (`CondVar::wait`): it saw this count, or this wakes it.
        self.waiters.notify_all();
    }

    /// The count now: a new listener has seen it.
    pub(crate) fn count(&self) -> Result<u32> {
        let state = self.state.lock();
        if state.line.is_none() {
            return Err(ENODEV);
        }
        Ok(state.count)
    }

    /// Waits until the count differs from `seen` (unless `nonblock`: `EAGAIN`), and returns it.
    /// `ERESTARTSYS` on a signal, `ENODEV` once unbound, also for a listener already waiting.
    pub(crate) fn wait(&self, seen: u32, nonblock: bool) -> Result<u32> {
        let mut state = self.state.lock();
        loop {
            if state.line.is_none() {
                return Err(ENODEV);
            }
            if state.count != seen {
                return Ok(state.count);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if self.waiters.wait_interruptible(&mut state) {
                return Err(ERESTARTSYS);
            }
        }
    }

    /// Whether the count differs from `seen`, for `poll`, which waits on `waiters`.
    pub(crate) fn readiness(&self, seen: u32) -> Readiness {
        let state = self.state.lock();
        if state.line.is_none() {
            Readiness::Gone
        } else if state.count != seen {
            Readiness::Rang
        } else {
            Readiness::Quiet
        }
    }

    /// The wait queue `poll` registers on.
    pub(crate) fn waiters(&self) -> &PollCondVar {
        &self.waiters
    }

    /// Masks or unmasks the line (`masked`); either is a no-op if it already is so. `ENODEV`
    /// once unbound.
    pub(crate) fn set_masked(&self, masked: bool) -> Result {
        let mut state = self.state.lock();
        if state.masked == masked {
            return if state.line.is_some() {
                Ok(())
            } else {
                Err(ENODEV)
            };
        }
        let line = state.line.as_ref().ok_or(ENODEV)?;
        // Under the lock, with the depth matching `masked` (see the module doc).
        if masked {
            line.disable_nosync();
        } else {
            line.enable();
        }
        state.masked = masked;
        Ok(())
    }

    /// The device is unbound: every listener wakes and finds it gone, and none uses the line
    /// from now on (see the module doc).
    fn revoke(&self) {
        // The hold is a number: taking it under the lock is what ends its use.
        self.state.lock().line = None;
        self.waiters.notify_all();
    }
}

/// The interrupt handler of a doorbell: the doorbell, and the handler's own hold on the line,
/// which lives as long as the handler is registered.
pub(crate) struct DoorbellHandler {
    doorbell: Arc<Doorbell>,
    line: IrqLine,
}

impl DoorbellHandler {
    /// The handler of `doorbell`, on `line` (the same line as the doorbell's).
    pub(crate) fn new(doorbell: Arc<Doorbell>, line: IrqLine) -> Self {
        Self { doorbell, line }
    }
}

impl irq::Handler for DoorbellHandler {
    fn handle(&self) -> IrqReturn {
        self.doorbell.ring(&self.line);
        IrqReturn::Handled
    }
}

/// The doorbell's registered interrupt, in the driver data. Dropping it revokes the doorbell,
/// then frees the interrupt: however the driver data goes (an unbind, or a probe that fails
/// after it was built), no listener masks or unmasks a freed line.
pub(crate) struct DoorbellIrq<'a> {
    registration: Pin<KBox<irq::Registration<'a, DoorbellHandler>>>,
}

impl<'a> DoorbellIrq<'a> {
    /// Holds `registration`, the interrupt of its handler's doorbell.
    pub(crate) fn new(registration: Pin<KBox<irq::Registration<'a, DoorbellHandler>>>) -> Self {
        Self { registration }
    }
}

impl Drop for DoorbellIrq<'_> {
    fn drop(&mut self) {
        self.registration.handler().doorbell.revoke();
        // Then `registration` drops: `free_irq`, which waits for a running handler.
    }
}
