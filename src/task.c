// SPDX-License-Identifier: GPL-2.0
/*
 * For src/task.rs: cond_resched() and fatal_signal_pending(), a macro and an inline that Linux
 * 7.3's Rust bindings do not reach.
 */

#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "task.h"

void carveout_cond_resched(void)
{
	cond_resched();
}

bool carveout_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}
