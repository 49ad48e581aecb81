/* SPDX-License-Identifier: GPL-2.0 */
/* The interrupt line of a doorbell: the glue of src/doorbell/line.rs (line.c). */
#ifndef CARVEOUT_DOORBELL_LINE_H
#define CARVEOUT_DOORBELL_LINE_H

#include <linux/types.h>

unsigned int carveout_irq_trigger(unsigned int irq);
bool carveout_irq_bus_locked(unsigned int irq);

#endif
