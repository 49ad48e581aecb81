// SPDX-License-Identifier: GPL-2.0
/*
 * The values of include/uapi/linux/carveout.h for src/uapi.rs to check its own against, the
 * kernel's asm-offsets way: this file is only compiled to assembly (never linked or run), each
 * VALUE() leaves a "->NAME number" line there, and Kbuild turns those lines into
 * uapi_header_generated.rs.
 */

#include <linux/stddef.h>

#include "../include/uapi/linux/carveout.h"

#define VALUE(name, value) asm volatile("\n.ascii \"->" #name " %0\"" : : "i" (value))

void carveout_uapi_values(void);

void carveout_uapi_values(void)
{
	VALUE(CARVEOUT_NAME_LEN, CARVEOUT_NAME_LEN);
	VALUE(CARVEOUT_MEM_WRITE_COMBINE, CARVEOUT_MEM_WRITE_COMBINE);
	VALUE(CARVEOUT_MEM_CACHED, CARVEOUT_MEM_CACHED);
	VALUE(CARVEOUT_MEM_DEVICE, CARVEOUT_MEM_DEVICE);
	VALUE(CARVEOUT_SYNC_FOR_DEVICE, CARVEOUT_SYNC_FOR_DEVICE);
	VALUE(CARVEOUT_SYNC_FOR_CPU, CARVEOUT_SYNC_FOR_CPU);
	VALUE(CARVEOUT_IOC_INFO, CARVEOUT_IOC_INFO);
	VALUE(CARVEOUT_IOC_SYNC, CARVEOUT_IOC_SYNC);
	VALUE(CARVEOUT_IOC_EXPORT, CARVEOUT_IOC_EXPORT);
	VALUE(CARVEOUT_EXPORT_WRITE, CARVEOUT_EXPORT_WRITE);
	VALUE(CARVEOUT_IOC_DOORBELL, CARVEOUT_IOC_DOORBELL);
	VALUE(CARVEOUT_DOORBELL_EDGE, CARVEOUT_DOORBELL_EDGE);
	VALUE(CARVEOUT_DOORBELL_LEVEL, CARVEOUT_DOORBELL_LEVEL);

	VALUE(INFO_SIZE, sizeof(struct carveout_info));
	VALUE(INFO_PHYS_BASE, offsetof(struct carveout_info, phys_base));
	VALUE(INFO_SIZE_FIELD, offsetof(struct carveout_info, size));
	VALUE(INFO_MEMORY_TYPE, offsetof(struct carveout_info, memory_type));
	VALUE(INFO_FLAGS, offsetof(struct carveout_info, flags));
	VALUE(INFO_NAME, offsetof(struct carveout_info, name));

	VALUE(SYNC_SIZE, sizeof(struct carveout_sync));
	VALUE(SYNC_OFFSET, offsetof(struct carveout_sync, offset));
	VALUE(SYNC_LENGTH, offsetof(struct carveout_sync, length));
	VALUE(SYNC_FLAGS, offsetof(struct carveout_sync, flags));
	VALUE(SYNC_RESERVED, offsetof(struct carveout_sync, reserved));

	VALUE(EXPORT_SIZE, sizeof(struct carveout_export));
	VALUE(EXPORT_OFFSET, offsetof(struct carveout_export, offset));
	VALUE(EXPORT_LENGTH, offsetof(struct carveout_export, length));
	VALUE(EXPORT_FLAGS, offsetof(struct carveout_export, flags));
	VALUE(EXPORT_FD, offsetof(struct carveout_export, fd));

	VALUE(DOORBELL_SIZE, sizeof(struct carveout_doorbell));
	VALUE(DOORBELL_FLAGS, offsetof(struct carveout_doorbell, flags));
	VALUE(DOORBELL_TRIGGER, offsetof(struct carveout_doorbell, trigger));
	VALUE(DOORBELL_FD, offsetof(struct carveout_doorbell, fd));
	VALUE(DOORBELL_COUNT, offsetof(struct carveout_doorbell, count));
}
