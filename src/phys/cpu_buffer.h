/* SPDX-License-Identifier: GPL-2.0 */
/* The preemption and context primitives src/phys/cpu_buffer.rs needs. */
#ifndef CARVEOUT_PHYS_CPU_BUFFER_H
#define CARVEOUT_PHYS_CPU_BUFFER_H

#include <linux/types.h>

unsigned int carveout_get_cpu(void);
void carveout_put_cpu(void);
bool carveout_in_task(void);

#endif
