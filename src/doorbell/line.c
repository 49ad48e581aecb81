// SPDX-License-Identifier: GPL-2.0
/*
 * For src/doorbell/line.rs: what the Rust bindings of Linux 7.3 cannot reach of an interrupt
 * line, because it is a static inline or a field of the chip. Nothing is decided here.
 */

#include <linux/irq.h>

#include "line.h"

/* The line's trigger type (IRQ_TYPE_*), as its controller translated the device tree's. */
unsigned int carveout_irq_trigger(unsigned int irq)
{
	return irq_get_trigger_type(irq);
}

/*
 * Whether the line's controller sits on a slow bus (an I2C or SPI expander): enabling or
 * disabling such a line takes a mutex (chip_bus_lock()), so it cannot be done under a spinlock.
 */
bool carveout_irq_bus_locked(unsigned int irq)
{
	struct irq_chip *chip = irq_get_chip(irq);

	return chip && (chip->irq_bus_lock || chip->irq_bus_sync_unlock);
}
