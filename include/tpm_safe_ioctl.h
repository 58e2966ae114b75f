/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tpm_safe: ioctls on the server end of a virtual TPM
 * (a file opened from /dev/tpmsafe-vtpmx).
 *
 * Copyright (C) 2026 The tpm_safe developers
 */
#ifndef TPM_SAFE_IOCTL_H
#define TPM_SAFE_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Wait until the virtual TPM has finished registering and return N of
 * /dev/tpmsafeN; -ENODEV if it is not bound (registration failed, or
 * unbound through sysfs).  Registration sends start-up commands to the
 * server, so call this from another thread or process than the one
 * serving them (the wait is interruptible; -EINTR on a signal).
 */
#define TPMS_VTPM_IOC_GET_NUM		_IOR(0xa1, 0x20, __u32)

/* Platform device id M of tpm_safe_vtpm.M (available at once). */
#define TPMS_VTPM_IOC_GET_DEVID		_IOR(0xa1, 0x21, __u32)

#endif /* TPM_SAFE_IOCTL_H */
