/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_safe: the one place that knows about kernel versions.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Force-included into every source file by Kbuild.  Driver code tests
 * feature macros defined here, never LINUX_VERSION_CODE.
 */
#ifndef TPMS_COMPAT_H
#define TPMS_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#error "tpm_safe supports Linux 6.1 (Debian bookworm) only"
#endif

#endif /* TPMS_COMPAT_H */
