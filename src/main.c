// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: module entry points and object accounting.
 *
 * Copyright (C) 2026 The tpm_safe developers
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "tpms.h"

bool tpms_hwrng_enable = true;
module_param_named(hwrng, tpms_hwrng_enable, bool, 0644);
MODULE_PARM_DESC(hwrng, "Register each chip as hwrng tpm-safe-rng-N (default 1); read at chip registration");

/*
 * Created and destroyed counts of every object kind, in debugfs
 * (tpm_safe/objects), so tests can prove that nothing leaked.
 */
static atomic_long_t tpms_created[TPMS_OBJ_NR];
static atomic_long_t tpms_destroyed[TPMS_OBJ_NR];
static const char * const tpms_obj_names[TPMS_OBJ_NR] = {
	[TPMS_OBJ_CHIP] = "chip",
	[TPMS_OBJ_FILE] = "file",
	[TPMS_OBJ_PROXY] = "vtpm",
	[TPMS_OBJ_SPACE] = "space",
};

static atomic_long_t tpms_live_chips;
static struct dentry *tpms_debugfs;

void tpms_obj_created(enum tpms_obj kind)
{
	atomic_long_inc(&tpms_created[kind]);
	if (kind == TPMS_OBJ_CHIP)
		atomic_long_inc(&tpms_live_chips);
}

void tpms_obj_destroyed(enum tpms_obj kind)
{
	atomic_long_inc(&tpms_destroyed[kind]);
	if (kind == TPMS_OBJ_CHIP &&
	    atomic_long_dec_and_test(&tpms_live_chips))
		wake_up_var(&tpms_live_chips);
}

static int tpms_objects_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < TPMS_OBJ_NR; i++)
		seq_printf(m, "%s %ld %ld\n", tpms_obj_names[i],
			   atomic_long_read(&tpms_created[i]),
			   atomic_long_read(&tpms_destroyed[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tpms_objects);

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
	debugfs_create_file("objects", 0400, tpms_debugfs, NULL,
			    &tpms_objects_fops);
	tpms_rm_debugfs(tpms_debugfs);
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
	tpms_cdev_exit();
err_core:
	tpms_core_exit();
	return rc;
}

static void __exit tpms_exit(void)
{
	int i;

	tpms_crb_exit();
	tpms_tis_exit();
	tpms_vtpm_exit();
	/*
	 * Files and virtual TPMs pin the module; chip memory may still be
	 * released late (deferred kobject release): wait for it.  The last
	 * release wakes this wait from this module's code, and its task may
	 * be preempted before it has left that code.  No task switches out
	 * voluntarily inside it, and synchronize_rcu_tasks() returns once
	 * every task has done so since: then none is left in this module.
	 */
	wait_var_event(&tpms_live_chips, !atomic_long_read(&tpms_live_chips));
	synchronize_rcu_tasks();
	debugfs_remove_recursive(tpms_debugfs);
	tpms_cdev_exit();
	tpms_core_exit();
	for (i = 0; i < TPMS_OBJ_NR; i++) {
		long c = atomic_long_read(&tpms_created[i]);
		long d = atomic_long_read(&tpms_destroyed[i]);

		if (c != d)
			pr_err("Leaked %ld %s objects (%ld created, %ld destroyed)\n",
			       c - d, tpms_obj_names[i], c, d);
		else
			pr_info("%s objects: %ld created and destroyed\n",
				tpms_obj_names[i], c);
	}
}

module_init(tpms_init);
module_exit(tpms_exit);

MODULE_DESCRIPTION("TPM driver with an unbreakable chip lifecycle");
MODULE_AUTHOR("The tpm_safe developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TPMS_VERSION);
