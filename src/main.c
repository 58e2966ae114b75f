// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: module entry points.
 *
 * Copyright (C) 2026 The tpm_safe developers
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "tpms.h"

static struct dentry *tpms_debugfs;

bool tpms_hwrng_enable = true;
module_param_named(hwrng, tpms_hwrng_enable, bool, 0644);
MODULE_PARM_DESC(hwrng, "Register each chip as hwrng tpm-safe-rng-N (default 1); read at chip registration");

#ifdef TPMS_PLANT
/*
 * Deliberate bugs, compiled in only by `make TPMS_PLANT=...` for the test
 * bed's self-test (tests/harness-selftest.sh): each must turn a guest run
 * red.  warn, null and leak (an object counter) on any kernel; uaf, lockdep
 * and kleak (a plain kmalloc leak) only on the debug kernel, where KASAN,
 * lockdep and kmemleak are the only ones that can see them.
 */
static DEFINE_MUTEX(tpms_plant_a);
static DEFINE_MUTEX(tpms_plant_b);

static int tpms_plant(void)
{
	static const char *victim;
	u8 *p;

	if (!strcmp(TPMS_PLANT, "warn")) {
		WARN_ON(1);
	} else if (!strcmp(TPMS_PLANT, "null")) {
		pr_info("planted: %c\n", *READ_ONCE(victim));
	} else if (!strcmp(TPMS_PLANT, "leak")) {
		tpms_obj_created(TPMS_OBJ_FILE);
	} else if (!strcmp(TPMS_PLANT, "uaf")) {
		p = kmalloc(32, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		kfree(p);
		pr_info("planted: %u\n", READ_ONCE(p[8]));
	} else if (!strcmp(TPMS_PLANT, "lockdep")) {
		mutex_lock(&tpms_plant_a);
		mutex_lock(&tpms_plant_b);
		mutex_unlock(&tpms_plant_b);
		mutex_unlock(&tpms_plant_a);
		mutex_lock(&tpms_plant_b);
		mutex_lock(&tpms_plant_a);
		mutex_unlock(&tpms_plant_a);
		mutex_unlock(&tpms_plant_b);
	} else if (!strcmp(TPMS_PLANT, "kleak")) {
		p = kmalloc(96, GFP_KERNEL);
		pr_info("planted: leaked %p\n", p);
	}
	return 0;
}
#else
static int tpms_plant(void)
{
	return 0;
}
#endif

static int __init tpms_init(void)
{
	int rc;

	tpms_sysfs_init();
	rc = tpms_core_init();
	if (rc)
		return rc;
	rc = tpms_cdev_init();
	if (rc)
		goto err_core;
	tpms_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	tpms_obj_debugfs(tpms_debugfs);
	tpms_rm_debugfs(tpms_debugfs);
	tpms_log_debugfs(tpms_debugfs);
	rc = tpms_vtpm_init();
	if (rc)
		goto err_cdev;
	rc = tpms_tis_init();
	if (rc)
		goto err_vtpm;
	rc = tpms_crb_init();
	if (rc)
		goto err_tis;
	pr_info("version %s loaded\n", TPMS_VERSION);
	return tpms_plant();

err_tis:
	tpms_tis_exit();
err_vtpm:
	tpms_vtpm_exit();
err_cdev:
	debugfs_remove_recursive(tpms_debugfs);
	tpms_log_exit();
	tpms_cdev_exit();
err_core:
	tpms_core_exit();
	return rc;
}

static void __exit tpms_exit(void)
{
	tpms_crb_exit();
	tpms_tis_exit();
	tpms_vtpm_exit();
	tpms_obj_wait_chips();
	debugfs_remove_recursive(tpms_debugfs);
	tpms_log_exit();
	tpms_cdev_exit();
	tpms_core_exit();
	tpms_obj_report();
}

module_init(tpms_init);
module_exit(tpms_exit);

MODULE_DESCRIPTION("TPM driver with an unbreakable chip lifecycle");
MODULE_AUTHOR("The tpm_safe developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TPMS_VERSION);
