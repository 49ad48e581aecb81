// SPDX-License-Identifier: GPL-2.0
/*
 * For src/phys/cpu_buffer.rs: get_cpu() and put_cpu() (preemption off, then this CPU's id; and
 * back), and in_task(), which are macros without a binding.
 */

#include <linux/preempt.h>
#include <linux/smp.h>

#include "cpu_buffer.h"

unsigned int carveout_get_cpu(void)
{
	return get_cpu();
}

void carveout_put_cpu(void)
{
	put_cpu();
}

bool carveout_in_task(void)
{
	return in_task();
}
