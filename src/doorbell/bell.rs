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
    /// False once the device is unbound.
    live: bool,
}

/// The doorbell of one carveout: its line, its count, and the listeners waiting for it.
#[pin_data]
pub(crate) struct Doorbell {
    #[pin]
    state: SpinLockIrq<State>,
    #[pin]
    waiters: PollCondVar,
    line: IrqLine,
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
        pin_init!(Self {
            state <- new_spinlock_irq!(State {
                count: 0,
                masked: false,
                live: true,
            }),
            waiters <- new_poll_condvar!("carveout::doorbell"),
            line,
            trigger,
        })
    }

    /// The line's trigger type.
    pub(crate) fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The Linux interrupt number.
    pub(crate) fn irq(&self) -> u32 {
        self.line.irq()
    }

    /// An interrupt: counted, the line masked if it is a level, every listener woken.
    fn ring(&self) {
        {
            let mut state = self.state.lock();
            state.count = state.count.wrapping_add(1);
            if self.trigger == Trigger::Level && !state.masked {
                // The handler runs only while the line is enabled: `masked` was clear, so the
                // depth goes from 0 to 1.
                state.masked = true;
                self.line.disable_nosync();
            }
        }
        // A listener checks the count under the lock and is on the wait queue before it lets
        // go of it (`CondVar::wait`): it saw this count, or this wakes it.
        self.waiters.notify_all();
    }

    /// The count now: a new listener has seen it.
    pub(crate) fn count(&self) -> Result<u32> {
        let state = self.state.lock();
        if !state.live {
            return Err(ENODEV);
        }
        Ok(state.count)
    }

    /// Waits until the count differs from `seen` (unless `nonblock`: `EAGAIN`), and returns it.
    /// `ERESTARTSYS` on a signal, `ENODEV` once unbound, also for a listener already waiting.
    pub(crate) fn wait(&self, seen: u32, nonblock: bool) -> Result<u32> {
        let mut state = self.state.lock();
        loop {
            if !state.live {
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
        if !state.live {
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

    /// Masks (`unmask` false) or unmasks the line; either is a no-op if it already is so.
    /// `ENODEV` once unbound: the line may be freed.
    pub(crate) fn set_masked(&self, masked: bool) -> Result {
        let mut state = self.state.lock();
        if !state.live {
            return Err(ENODEV);
        }
        if state.masked != masked {
            state.masked = masked;
            // Under the lock, with the depth matching `masked` (see the module doc).
            if masked {
                self.line.disable_nosync();
            } else {
                self.line.enable();
            }
        }
        Ok(())
    }

    /// The device is unbound: every listener wakes and finds it gone, and none uses the line
    /// from now on (see the module doc).
    pub(crate) fn revoke(&self) {
        self.state.lock().live = false;
        self.waiters.notify_all();
    }
}

/// The interrupt handler of a doorbell, which holds it.
pub(crate) struct DoorbellHandler(Arc<Doorbell>);

impl DoorbellHandler {
    /// The handler of `doorbell`.
    pub(crate) fn new(doorbell: Arc<Doorbell>) -> Self {
        Self(doorbell)
    }
}

impl irq::Handler for DoorbellHandler {
    fn handle(&self) -> IrqReturn {
        self.0.ring();
        IrqReturn::Handled
    }
}
