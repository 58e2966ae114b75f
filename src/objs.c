// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: object accounting, so a test can prove that nothing leaked.
 *
 * Copyright (C) 2026 The tpm_safe developers
 */

#include <linux/debugfs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/wait_bit.h>

#include "tpms.h"

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

void tpms_obj_debugfs(struct dentry *dir)
{
	debugfs_create_file("objects", 0400, dir, NULL, &tpms_objects_fops);
}

/*
 * Files and virtual TPMs pin the module; chip memory may still be released
 * late (deferred kobject release): module exit waits for it.  The last
 * release wakes this wait from this module's code, and its task may be
 * preempted before it has left that code.  No task switches out voluntarily
 * inside it, and synchronize_rcu_tasks() returns once every task has done so
 * since: then none is left in this module.
 */
void tpms_obj_wait_chips(void)
{
	wait_var_event(&tpms_live_chips, !atomic_long_read(&tpms_live_chips));
	synchronize_rcu_tasks();
}

/* at module exit: one line per kind, an error for each that leaked */
void tpms_obj_report(void)
{
	int i;

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
