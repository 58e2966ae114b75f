/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_safe: the one place that knows about kernel versions.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Force-included into every source file by Kbuild.  Supported: the Debian
 * kernel series 6.1 (bookworm), 6.12 (bookworm-backports, trixie) and 7.3
 * (trixie-backports); a newer kernel is tried.  Driver code uses the
 * macros defined here, one per API change, never LINUX_VERSION_CODE.
 */
#ifndef TPMS_COMPAT_H
#define TPMS_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "tpm_safe needs Linux 6.1 or later (Debian bookworm's kernel)"
#endif

/*
 * class_create() lost its owner argument in 6.4 (struct class lost its
 * owner member: the class core no longer pins a module).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define TPMS_CLASS_CREATE(name)	class_create(THIS_MODULE, name)
#else
#define TPMS_CLASS_CREATE(name)	class_create(name)
#endif

/*
 * struct platform_driver's remove returns void since 6.11.
 * TPMS_PLATFORM_REMOVE(name, fn) defines name() with the type .remove takes,
 * calling void fn(struct platform_device *).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#define TPMS_PLATFORM_REMOVE(name, fn)				\
static int name(struct platform_device *pdev)			\
{								\
	fn(pdev);						\
	return 0;						\
}
#else
#define TPMS_PLATFORM_REMOVE(name, fn)				\
static void name(struct platform_device *pdev)			\
{								\
	fn(pdev);						\
}
#endif

/*
 * no_llseek is gone in 6.12; a NULL llseek refuses seeks with -ESPIPE there
 * as no_llseek did before.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define TPMS_NO_LLSEEK		no_llseek
#else
#define TPMS_NO_LLSEEK		NULL
#endif

/*
 * <asm/unaligned.h> moved to <linux/unaligned.h> in 6.12 (sparse 0.6.4
 * cannot parse __has_include, so this is a version test too).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <asm/unaligned.h>
#else
#include <linux/unaligned.h>
#endif

#endif /* TPMS_COMPAT_H */
