/* SPDX-License-Identifier: GPL-2.0 */
/* What src/task.rs asks of the scheduler for a long call's task. */
#ifndef CARVEOUT_TASK_H
#define CARVEOUT_TASK_H

#include <linux/types.h>

void carveout_cond_resched(void);
bool carveout_fatal_signal_pending(void);

#endif
