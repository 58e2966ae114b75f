// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: virtual TPMs served by a userspace TPM through a character
 * device.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * /dev/tpmsafe-vtpmx works like /dev/ptmx: every open() creates a virtual
 * TPM whose server end is the opened file.  swtpm attaches unchanged with
 * `swtpm chardev --chardev /dev/tpmsafe-vtpmx`: it reads one whole command
 * per read() and writes one whole response per write().
 *
 * Each virtual TPM is a platform device tpm_safe_vtpm.M bound to the
 * platform driver tpm_safe_vtpm, whose probe registers chip tpmsafeN and
 * whose remove unregisters it; so the sysfs bind/unbind files work, and
 * the server keeps serving across a rebind.  Closing the server removes
 * the device: the command in flight fails at once, then the chip goes.
 *
 * Completion is event driven: the server's write() wakes the waiting
 * command directly.  The server's read() and write() copy through a buffer
 * of their own, never under the lock the chip side takes: a server whose
 * buffer faults slowly stalls only itself.
 */

#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/pm_runtime.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "tpms.h"
#include "tpm_safe_ioctl.h"

#define TPMS_VTPM_NAME	"tpm_safe_vtpm"
#define TPMS_VTPMX_NAME	"tpmsafe-vtpmx"

static unsigned int tpms_vtpm_autosuspend_ms = 200;
module_param_named(vtpm_autosuspend_ms, tpms_vtpm_autosuspend_ms, uint, 0644);
MODULE_PARM_DESC(vtpm_autosuspend_ms, "Runtime-PM autosuspend delay of new virtual TPM devices (default 200)");

static bool tpms_vtpm_selftest;
module_param_named(vtpm_selftest, tpms_vtpm_selftest, bool, 0644);
MODULE_PARM_DESC(vtpm_selftest, "Ask a new virtual TPM 2.0 for TPM2_SelfTest at registration (default N: it tests each algorithm on first use)");

/* every virtual TPM by id, so that probe binds only devices of its own */
static DEFINE_XARRAY_ALLOC(tpms_vtpms);

struct tpms_vtpm {
	struct kref kref;
	int id;
	struct platform_device *pdev;
	bool added;
	atomic_t add_scheduled;
	struct work_struct add_work;

	struct mutex lock;		/* protects everything below */
	wait_queue_head_t srv_wq;	/* server waits for a command */
	wait_queue_head_t cli_wq;	/* a command waits for its response */
	wait_queue_head_t reg_wq;	/* GET_NUM waits for registration */
	bool server_gone;		/* the server file is being released */
	bool reg_done;
	bool cmd_pending;		/* a command waits for the server */
	bool server_busy;		/* server read a command, owes a reply */
	bool discard;			/* ...for a command that was cancelled */
	bool rsp_ready;
	int rsp_err;
	u64 taken;			/* commands the server has read */
	unsigned long sent_at;		/* jiffies: the command was queued */
	unsigned long taken_at;		/* ...and read by the server */
	/*
	 * The server thread that read the last command (referenced), and its
	 * CPU time (ns) when the command was queued and when it was read.
	 */
	struct task_struct *srv_task;
	u64 sent_cpu;
	u64 taken_cpu;
	size_t cmd_len;
	size_t rsp_len;
	struct tpms_chip *chip;		/* bound chip, NULL when unbound */
	int num;			/* chip number reserved at open, or -1 */

	/* runtime PM: transitions, and test hooks */
	atomic_t rpm_suspends;
	atomic_t rpm_resumes;
	atomic_t io_while_suspended;	/* must stay 0 */
	atomic_t fail_resumes;		/* fail this many runtime resumes */
	atomic_t fail_sleep_resumes;	/* ...and this many system resumes */
	atomic_t resume_delay_ms;	/* slow resumes down */

	/*
	 * The command in flight, then its response (TPMS_MAX_CMD bytes, under
	 * lock).  One buffer serves both: the server's read copies the
	 * command out before any response can come in; a response is copied
	 * in only for the command in flight (a late one to a cancelled
	 * command is dropped first); and a new command is placed only once
	 * the last one was answered and received, or cancelled.
	 */
	u8 *io;

	/*
	 * The server's reads and writes copy through srv_buf (TPMS_MAX_CMD
	 * bytes, allocated with io), with only srv_lock held: a copy that
	 * faults (userfaultfd, a stopped server) holds up this server's own
	 * next read or write, never the chip.
	 */
	struct mutex srv_lock;
	u8 *srv_buf;
};

/* a thread's CPU time in ns, as of its last scheduler update */
static u64 tpms_task_cpu_ns(struct task_struct *t)
{
	return READ_ONCE(t->se.sum_exec_runtime);
}

static void tpms_vtpm_free(struct kref *kref)
{
	struct tpms_vtpm *vtpm = container_of(kref, struct tpms_vtpm, kref);

	if (vtpm->num >= 0)
		tpms_chip_num_unreserve(vtpm->num);
	/* the last command or response, and the server's copy */
	kfree_sensitive(vtpm->io);
	kfree(vtpm);
	tpms_obj_destroyed(TPMS_OBJ_PROXY);
}

static void tpms_vtpm_put(struct tpms_vtpm *vtpm)
{
	kref_put(&vtpm->kref, tpms_vtpm_free);
}

/* --- the chip side: backend callbacks, called inside the fence --- */

static int tpms_vtpm_send(struct tpms_chip *chip, const u8 *buf, size_t len)
{
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);
	int rc = 0;

	/* the fence holds a runtime-PM reference: never suspended here */
	if (WARN_ONCE(!pm_runtime_active(&vtpm->pdev->dev),
		      "%s: command while runtime-suspended\n",
		      dev_name(&vtpm->pdev->dev)))
		atomic_inc(&vtpm->io_while_suspended);

	mutex_lock(&vtpm->lock);
	if (vtpm->server_gone) {
		rc = -ENODEV;
	} else if (vtpm->cmd_pending || vtpm->rsp_ready) {
		rc = -EBUSY;	/* the core sends one at a time: a bug */
		WARN_ON_ONCE(1);
	} else {
		memcpy(vtpm->io, buf, len);
		vtpm->cmd_len = len;
		vtpm->sent_at = jiffies;
		if (vtpm->srv_task)
			vtpm->sent_cpu = tpms_task_cpu_ns(vtpm->srv_task);
		vtpm->cmd_pending = true;
	}
	mutex_unlock(&vtpm->lock);
	if (!rc)
		wake_up_interruptible(&vtpm->srv_wq);
	return rc;
}

/* The response is in, the server left, or the chip is going away. */
static bool tpms_vtpm_answered(struct tpms_chip *chip)
{
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);

	return READ_ONCE(vtpm->rsp_ready) || READ_ONCE(vtpm->server_gone) ||
	       tpms_chip_aborting(chip);
}

/*
 * How much longer a command past its deadline may wait because its server
 * is starved of CPU, in jiffies; 0 when it is not.  Called with vtpm->lock
 * held.  Among hundreds of busy servers a thread that is runnable but
 * waiting for a CPU is not a TPM stuck on the command: its duration
 * counts in the CPU time it got since the command was queued (while not
 * read) or read.  A server asleep, stopped or blocked gets no grace, nor
 * any past TPMS_VTPM_STARVED_MAX durations from the command's queueing.
 */
#define TPMS_VTPM_STARVED_MAX	8

static unsigned long tpms_vtpm_grace(struct tpms_vtpm *vtpm,
				     unsigned long timeout)
{
	struct task_struct *t = vtpm->srv_task;
	unsigned long now = jiffies;
	unsigned long end = vtpm->sent_at + TPMS_VTPM_STARVED_MAX * timeout;
	u64 used, allowed = jiffies_to_nsecs(timeout);

	if (!t || !(vtpm->cmd_pending || vtpm->server_busy) ||
	    !task_is_running(t) || !time_before(now, end))
		return 0;
	used = tpms_task_cpu_ns(t) - (vtpm->cmd_pending ? vtpm->sent_cpu :
				      vtpm->taken_cpu);
	if (used >= allowed)
		return 0;
	return min(max(nsecs_to_jiffies(allowed - used), 1UL), end - now);
}

/*
 * A command's duration is its server's time on it, counted from the
 * server's read; the server has as long again to read it.  A server
 * starved of CPU among many busy ones is slow to read and to answer, not
 * a TPM stuck on the command: its deadline moves on while it waits for a
 * CPU (tpms_vtpm_grace()).  Nothing wakes the client at the read: when a
 * deadline passes unanswered, the read's time sets the next one.
 */
static int tpms_vtpm_wait(struct tpms_chip *chip, unsigned long timeout)
{
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);
	unsigned long deadline, grace = 0;
	long rc = 0, left;

	for (;;) {
		mutex_lock(&vtpm->lock);
		deadline = (vtpm->cmd_pending ? vtpm->sent_at :
			    vtpm->taken_at) + timeout;
		if (time_after_eq(jiffies, deadline)) {
			grace = tpms_vtpm_grace(vtpm, timeout);
			if (grace)
				deadline = jiffies + grace;
		}
		mutex_unlock(&vtpm->lock);
		left = (long)(deadline - jiffies);
		if (tpms_vtpm_answered(chip) || left <= 0)
			break;
		if (tpms_chip_killable(chip)) {
			rc = wait_event_killable_timeout(vtpm->cli_wq,
							 tpms_vtpm_answered(chip),
							 left);
			if (rc < 0)
				break;
		} else {
			wait_event_idle_timeout(vtpm->cli_wq,
						tpms_vtpm_answered(chip), left);
		}
	}
	if (READ_ONCE(vtpm->rsp_ready))
		return 0;
	if (rc < 0)
		return -EINTR;
	if (READ_ONCE(vtpm->server_gone) || tpms_chip_aborting(chip))
		return -ENODEV;
	return -ETIME;
}

static int tpms_vtpm_recv(struct tpms_chip *chip, u8 *buf, size_t size)
{
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);
	int rc;

	mutex_lock(&vtpm->lock);
	if (!vtpm->rsp_ready) {
		rc = -EIO;
	} else if (vtpm->rsp_err) {
		rc = vtpm->rsp_err;
	} else if (vtpm->rsp_len > size) {
		rc = -EIO;
	} else {
		memcpy(buf, vtpm->io, vtpm->rsp_len);
		rc = vtpm->rsp_len;
	}
	vtpm->rsp_ready = false;
	mutex_unlock(&vtpm->lock);
	return rc;
}

/* Forget the command in flight; a late response to it is dropped. */
static void tpms_vtpm_cancel(struct tpms_chip *chip)
{
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);

	mutex_lock(&vtpm->lock);
	if (vtpm->cmd_pending)
		vtpm->cmd_pending = false;
	else if (vtpm->server_busy)
		vtpm->discard = true;
	vtpm->rsp_ready = false;
	mutex_unlock(&vtpm->lock);
}

static void tpms_vtpm_abort(struct tpms_chip *chip)
{
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);

	wake_up_all(&vtpm->cli_wq);
}

static const struct tpms_backend_ops tpms_vtpm_ops = {
	.send = tpms_vtpm_send,
	.wait = tpms_vtpm_wait,
	.recv = tpms_vtpm_recv,
	.cancel = tpms_vtpm_cancel,
	.abort = tpms_vtpm_abort,
};

/* --- the platform driver: one chip per bound tpm_safe_vtpm.M --- */

/*
 * The virtual TPM of a device bound to tpm_safe_vtpm, for its PM callbacks
 * and sysfs files (probe stored the chip before anything can call them).
 */
static struct tpms_vtpm *tpms_vtpm_of(struct device *dev)
{
	return tpms_chip_priv(dev_get_drvdata(dev));
}

/*
 * The virtual TPM whose device @pdev is, or NULL for any other platform
 * device (one bound through driver_override).
 */
static struct tpms_vtpm *tpms_vtpm_lookup(struct platform_device *pdev)
{
	struct tpms_vtpm *vtpm = NULL;

	if (strcmp(pdev->name, TPMS_VTPM_NAME) || pdev->id < 0)
		return NULL;
	xa_lock(&tpms_vtpms);
	vtpm = xa_load(&tpms_vtpms, pdev->id);
	if (vtpm && vtpm->pdev != pdev)
		vtpm = NULL;
	xa_unlock(&tpms_vtpms);
	return vtpm;
}

static int tpms_vtpm_probe(struct platform_device *pdev)
{
	struct tpms_vtpm *vtpm = tpms_vtpm_lookup(pdev);
	struct tpms_chip *chip;
	int num, rc;

	/*
	 * Only /dev/tpmsafe-vtpmx creates devices this driver can serve; the
	 * server's file holds the virtual TPM while its device may probe.
	 */
	if (!vtpm) {
		dev_err_ratelimited(&pdev->dev,
				    "not a virtual TPM of /dev/tpmsafe-vtpmx: refusing to bind\n");
		return -ENODEV;
	}
	/* the number reserved at open goes to the first chip; a rebind's
	 * chip takes any free one
	 */
	mutex_lock(&vtpm->lock);
	num = vtpm->num;
	vtpm->num = TPMS_NUM_ANY;
	mutex_unlock(&vtpm->lock);
	chip = tpms_chip_alloc(&pdev->dev, &tpms_vtpm_ops, vtpm,
			       TPMS_BACKEND_RUNTIME_PM |
			       TPMS_BACKEND_NO_SLEEP_IO |
			       TPMS_BACKEND_SLOW_START |
			       (READ_ONCE(tpms_vtpm_selftest) ? 0 :
				TPMS_BACKEND_NO_SELFTEST), num);
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	kref_get(&vtpm->kref);
	/* the runtime-PM callbacks find the virtual TPM through it */
	platform_set_drvdata(pdev, chip);

	pm_runtime_set_active(&pdev->dev);
	pm_runtime_set_autosuspend_delay(&pdev->dev, tpms_vtpm_autosuspend_ms);
	pm_runtime_use_autosuspend(&pdev->dev);
	pm_runtime_enable(&pdev->dev);

	rc = tpms_chip_register(chip);	/* logs why it failed */
	if (rc)
		goto err;
	mutex_lock(&vtpm->lock);
	vtpm->chip = chip;
	mutex_unlock(&vtpm->lock);
	return 0;

err:
	pm_runtime_disable(&pdev->dev);
	pm_runtime_dont_use_autosuspend(&pdev->dev);
	platform_set_drvdata(pdev, NULL);
	tpms_chip_put(chip);
	tpms_vtpm_put(vtpm);
	return rc;
}

static void tpms_vtpm_remove_dev(struct platform_device *pdev)
{
	struct tpms_chip *chip = platform_get_drvdata(pdev);
	struct tpms_vtpm *vtpm = tpms_chip_priv(chip);

	mutex_lock(&vtpm->lock);
	vtpm->chip = NULL;
	mutex_unlock(&vtpm->lock);
	tpms_chip_unregister(chip);
	pm_runtime_disable(&pdev->dev);
	pm_runtime_dont_use_autosuspend(&pdev->dev);
	tpms_chip_put(chip);
	tpms_vtpm_put(vtpm);
}

TPMS_PLATFORM_REMOVE(tpms_vtpm_remove, tpms_vtpm_remove_dev)

static int tpms_vtpm_runtime_suspend(struct device *dev)
{
	atomic_inc(&tpms_vtpm_of(dev)->rpm_suspends);
	return 0;
}

static int tpms_vtpm_runtime_resume(struct device *dev)
{
	struct tpms_vtpm *vtpm = tpms_vtpm_of(dev);
	unsigned int delay = atomic_read(&vtpm->resume_delay_ms);

	if (delay)
		msleep(delay);
	if (atomic_dec_if_positive(&vtpm->fail_resumes) >= 0)
		return -EIO;	/* injected by a test through sysfs */
	atomic_inc(&vtpm->rpm_resumes);
	return 0;
}

static int tpms_vtpm_suspend(struct device *dev)
{
	return tpms_chip_pm_suspend(dev_get_drvdata(dev));
}

static int tpms_vtpm_resume(struct device *dev)
{
	struct tpms_chip *chip = dev_get_drvdata(dev);

	if (atomic_dec_if_positive(&tpms_vtpm_of(dev)->fail_sleep_resumes) >= 0) {
		/* injected by a test: the chip stays suspended (EAGAIN) */
		dev_err(dev, "system resume failed (injected): %s refuses commands until the next resume\n",
			dev_name(&chip->dev));
		return -EIO;
	}
	return tpms_chip_pm_resume(chip);
}

static const struct dev_pm_ops tpms_vtpm_pm = {
	SET_SYSTEM_SLEEP_PM_OPS(tpms_vtpm_suspend, tpms_vtpm_resume)
	SET_RUNTIME_PM_OPS(tpms_vtpm_runtime_suspend, tpms_vtpm_runtime_resume,
			   NULL)
};

/*
 * Runtime-PM counters and test hooks of the bound device, in its sysfs:
 * each file shows one atomic counter; a test writes the hooks (how many
 * failures to inject, how long a resume takes), up to a limit (-ERANGE).
 */
struct tpms_vtpm_counter {
	struct device_attribute attr;
	size_t offset;			/* of the atomic_t in struct tpms_vtpm */
	unsigned int max;		/* the largest value a write may set */
};

static atomic_t *tpms_vtpm_counter(struct device *dev,
				   struct device_attribute *attr)
{
	struct tpms_vtpm_counter *c = container_of(attr, struct tpms_vtpm_counter,
						   attr);

	return (void *)tpms_vtpm_of(dev) + c->offset;
}

static ssize_t tpms_vtpm_counter_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(tpms_vtpm_counter(dev, attr)));
}

static ssize_t tpms_vtpm_counter_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned int n;
	int rc = kstrtouint(buf, 0, &n);

	if (rc)
		return rc;
	if (n > container_of(attr, struct tpms_vtpm_counter, attr)->max)
		return -ERANGE;
	atomic_set(tpms_vtpm_counter(dev, attr), n);
	return count;
}

#define TPMS_VTPM_COUNTER(name, mode, store, limit)			\
static struct tpms_vtpm_counter tpms_vtpm_##name = {			\
	.attr = __ATTR(name, mode, tpms_vtpm_counter_show, store),	\
	.offset = offsetof(struct tpms_vtpm, name),			\
	.max = limit,							\
}

TPMS_VTPM_COUNTER(rpm_suspends, 0444, NULL, 0);
TPMS_VTPM_COUNTER(rpm_resumes, 0444, NULL, 0);
TPMS_VTPM_COUNTER(io_while_suspended, 0444, NULL, 0);
TPMS_VTPM_COUNTER(fail_resumes, 0644, tpms_vtpm_counter_store, INT_MAX);
TPMS_VTPM_COUNTER(fail_sleep_resumes, 0644, tpms_vtpm_counter_store, INT_MAX);
TPMS_VTPM_COUNTER(resume_delay_ms, 0644, tpms_vtpm_counter_store, 10000);

static struct attribute *tpms_vtpm_attrs[] = {
	&tpms_vtpm_rpm_suspends.attr.attr,
	&tpms_vtpm_rpm_resumes.attr.attr,
	&tpms_vtpm_io_while_suspended.attr.attr,
	&tpms_vtpm_fail_resumes.attr.attr,
	&tpms_vtpm_fail_sleep_resumes.attr.attr,
	&tpms_vtpm_resume_delay_ms.attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(tpms_vtpm);

static struct platform_driver tpms_vtpm_driver = {
	.probe = tpms_vtpm_probe,
	.remove = tpms_vtpm_remove,
	.driver = {
		.name = TPMS_VTPM_NAME,
		.pm = &tpms_vtpm_pm,
		.dev_groups = tpms_vtpm_groups,
	},
};

/* --- the server side: /dev/tpmsafe-vtpmx and the files it opens --- */

static void tpms_vtpm_add_work(struct work_struct *work)
{
	struct tpms_vtpm *vtpm = container_of(work, struct tpms_vtpm,
					      add_work);
	int rc = -ENODEV;

	/* probes synchronously: its commands go to the now-serving server */
	if (!READ_ONCE(vtpm->server_gone))
		rc = platform_device_add(vtpm->pdev);
	if (rc && rc != -ENODEV)
		pr_err("cannot add %s.%d: %d\n", TPMS_VTPM_NAME, vtpm->id, rc);
	mutex_lock(&vtpm->lock);
	vtpm->added = !rc;
	vtpm->reg_done = true;
	mutex_unlock(&vtpm->lock);
	wake_up_all(&vtpm->reg_wq);
}

static int tpms_vtpmx_open(struct inode *inode, struct file *file)
{
	struct tpms_vtpm *vtpm;
	u32 id;
	int rc;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	vtpm = kzalloc(sizeof(*vtpm), GFP_KERNEL);
	if (!vtpm)
		return -ENOMEM;
	/* two slab objects, not one allocation past two pages */
	vtpm->io = kzalloc(2 * TPMS_MAX_CMD, GFP_KERNEL);
	if (!vtpm->io) {
		kfree(vtpm);
		return -ENOMEM;
	}
	vtpm->srv_buf = vtpm->io + TPMS_MAX_CMD;
	/*
	 * A chip number now: with every number in use the server learns it
	 * here (ENOSPC), not from a probe failing after its first read.
	 */
	vtpm->num = tpms_chip_num_reserve();
	if (vtpm->num < 0) {
		rc = vtpm->num;
		kfree(vtpm->io);
		kfree(vtpm);
		if (rc == -ENOSPC)
			pr_warn_ratelimited("%s: all %u chip numbers in use (max_chips)\n",
					    TPMS_VTPMX_NAME, tpms_max_chips);
		return rc;
	}
	kref_init(&vtpm->kref);
	mutex_init(&vtpm->lock);
	mutex_init(&vtpm->srv_lock);
	init_waitqueue_head(&vtpm->srv_wq);
	init_waitqueue_head(&vtpm->cli_wq);
	init_waitqueue_head(&vtpm->reg_wq);
	INIT_WORK(&vtpm->add_work, tpms_vtpm_add_work);
	tpms_obj_created(TPMS_OBJ_PROXY);

	/* the id is reserved; the entry is filled in with the device made */
	rc = xa_alloc(&tpms_vtpms, &id, NULL, xa_limit_31b, GFP_KERNEL);
	if (rc < 0)
		goto err_put;
	vtpm->id = id;

	vtpm->pdev = platform_device_alloc(TPMS_VTPM_NAME, vtpm->id);
	if (!vtpm->pdev) {
		rc = -ENOMEM;
		goto err_id;
	}
	rc = xa_err(xa_store(&tpms_vtpms, vtpm->id, vtpm, GFP_KERNEL));
	if (rc)
		goto err_pdev;

	file->private_data = vtpm;
	return stream_open(inode, file);

err_pdev:
	platform_device_put(vtpm->pdev);
err_id:
	xa_erase(&tpms_vtpms, vtpm->id);
err_put:
	tpms_vtpm_put(vtpm);
	return rc;
}

static int tpms_vtpmx_release(struct inode *inode, struct file *file)
{
	struct tpms_vtpm *vtpm = file->private_data;
	struct task_struct *srv_task;

	/* fail the command in flight at once, then remove the device */
	mutex_lock(&vtpm->lock);
	vtpm->server_gone = true;
	srv_task = vtpm->srv_task;
	vtpm->srv_task = NULL;
	mutex_unlock(&vtpm->lock);
	if (srv_task)
		put_task_struct(srv_task);
	wake_up_all(&vtpm->cli_wq);
	wake_up_all(&vtpm->srv_wq);

	atomic_set(&vtpm->add_scheduled, 1);
	flush_work(&vtpm->add_work);
	if (vtpm->added)
		platform_device_unregister(vtpm->pdev);
	else
		platform_device_put(vtpm->pdev);
	xa_erase(&tpms_vtpms, vtpm->id);
	tpms_vtpm_put(vtpm);
	return 0;
}

/*
 * The chip registers once the server shows it is serving (its first read
 * or poll): the start-up commands then meet a server that answers, however
 * long the server took to get going.
 */
static void tpms_vtpm_serving(struct tpms_vtpm *vtpm)
{
	if (!atomic_xchg(&vtpm->add_scheduled, 1))
		schedule_work(&vtpm->add_work);
}

static bool tpms_vtpm_cmd_ready(struct tpms_vtpm *vtpm)
{
	return READ_ONCE(vtpm->cmd_pending) && !READ_ONCE(vtpm->server_busy);
}

/*
 * A server's read() that took a command but could not copy it out gives it
 * back, unless the command was cancelled or answered meanwhile.
 */
static void tpms_vtpm_untake(struct tpms_vtpm *vtpm, u64 taken)
{
	mutex_lock(&vtpm->lock);
	if (vtpm->server_busy && vtpm->taken == taken) {
		vtpm->server_busy = false;
		if (vtpm->discard) {
			vtpm->discard = false;
		} else {
			vtpm->cmd_pending = true;
			/* queued again: its CPU time counts from here */
			vtpm->sent_cpu = tpms_task_cpu_ns(current);
		}
	}
	mutex_unlock(&vtpm->lock);
	wake_up_interruptible(&vtpm->srv_wq);
}

/*
 * Another thread of the same server may hold srv_lock in a copy that
 * faults: an O_NONBLOCK caller gets -EAGAIN rather than wait for it.
 */
static int tpms_vtpm_srv_lock(struct tpms_vtpm *vtpm, struct file *file)
{
	if (file->f_flags & O_NONBLOCK)
		return mutex_trylock(&vtpm->srv_lock) ? 0 : -EAGAIN;
	return mutex_lock_interruptible(&vtpm->srv_lock) ? -ERESTARTSYS : 0;
}

static ssize_t tpms_vtpmx_read(struct file *file, char __user *ubuf,
			       size_t size, loff_t *off)
{
	struct tpms_vtpm *vtpm = file->private_data;
	struct task_struct *old = NULL;
	size_t len;
	ssize_t rc;
	u64 taken;
	u8 *buf = vtpm->srv_buf;

	tpms_vtpm_serving(vtpm);
	for (;;) {
		/* waits with no lock held: another thread may write a reply */
		if (!tpms_vtpm_cmd_ready(vtpm)) {
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			rc = wait_event_interruptible(vtpm->srv_wq,
						      tpms_vtpm_cmd_ready(vtpm));
			if (rc)
				return rc;
		}
		rc = tpms_vtpm_srv_lock(vtpm, file);
		if (rc)
			return rc;
		mutex_lock(&vtpm->lock);
		if (vtpm->cmd_pending && !vtpm->server_busy)
			break;
		mutex_unlock(&vtpm->lock);	/* cancelled meanwhile */
		mutex_unlock(&vtpm->srv_lock);
	}
	len = vtpm->cmd_len;
	if (size < len) {
		mutex_unlock(&vtpm->lock);
		rc = -EIO;	/* one whole command per read */
		goto out;
	}
	/* take the command, then copy it out with only srv_lock held */
	memcpy(buf, vtpm->io, len);
	vtpm->cmd_pending = false;
	vtpm->server_busy = true;
	vtpm->discard = false;
	vtpm->taken_at = jiffies;
	taken = ++vtpm->taken;
	if (vtpm->srv_task != current) {
		old = vtpm->srv_task;
		vtpm->srv_task = get_task_struct(current);
	}
	vtpm->taken_cpu = tpms_task_cpu_ns(current);
	mutex_unlock(&vtpm->lock);
	if (old)
		put_task_struct(old);

	rc = len;
	if (copy_to_user(ubuf, buf, len)) {
		tpms_vtpm_untake(vtpm, taken);
		rc = -EFAULT;
	}
	memzero_explicit(buf, len);
out:
	mutex_unlock(&vtpm->srv_lock);
	return rc;
}

static ssize_t tpms_vtpmx_write(struct file *file, const char __user *ubuf,
				size_t size, loff_t *off)
{
	struct tpms_vtpm *vtpm = file->private_data;
	bool fault = false;
	u8 *buf = NULL;
	ssize_t rc;

	rc = tpms_vtpm_srv_lock(vtpm, file);
	if (rc)
		return rc;
	rc = size;
	/* copied in before the lock: a slow copy holds up only the server */
	if (size <= TPMS_MAX_CMD) {
		buf = vtpm->srv_buf;
		fault = copy_from_user(buf, ubuf, size);
	}

	mutex_lock(&vtpm->lock);
	if (!vtpm->server_busy) {
		rc = -EIO;		/* a response nobody asked for */
		goto out;
	}
	vtpm->server_busy = false;
	if (vtpm->discard) {
		vtpm->discard = false;	/* late answer to a cancelled command */
		goto out_wake_srv;
	}
	vtpm->rsp_err = 0;
	if (!buf) {
		vtpm->rsp_err = -EIO;
		rc = -E2BIG;
	} else if (fault) {
		vtpm->rsp_err = -EIO;
		rc = -EFAULT;
	} else {
		memcpy(vtpm->io, buf, size);
		vtpm->rsp_len = size;
	}
	vtpm->rsp_ready = true;
	wake_up(&vtpm->cli_wq);
out_wake_srv:
	/* a command queued behind the one just answered may go now */
	if (vtpm->cmd_pending)
		wake_up_interruptible(&vtpm->srv_wq);
out:
	mutex_unlock(&vtpm->lock);
	if (buf)
		memzero_explicit(buf, size);
	mutex_unlock(&vtpm->srv_lock);
	return rc;
}

static __poll_t tpms_vtpmx_poll(struct file *file, poll_table *wait)
{
	struct tpms_vtpm *vtpm = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &vtpm->srv_wq, wait);
	tpms_vtpm_serving(vtpm);
	if (tpms_vtpm_cmd_ready(vtpm))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static long tpms_vtpmx_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct tpms_vtpm *vtpm = file->private_data;
	u32 __user *out = (u32 __user *)arg;
	int rc, num = -ENODEV;

	switch (cmd) {
	case TPMS_VTPM_IOC_GET_DEVID:
		return put_user(vtpm->id, out);
	case TPMS_VTPM_IOC_GET_NUM:
		rc = wait_event_interruptible(vtpm->reg_wq,
					      READ_ONCE(vtpm->reg_done));
		if (rc)
			return rc;
		mutex_lock(&vtpm->lock);
		if (vtpm->chip)
			num = tpms_chip_num(vtpm->chip);
		mutex_unlock(&vtpm->lock);
		return num < 0 ? num : put_user(num, out);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations tpms_vtpmx_fops = {
	.owner = THIS_MODULE,
	.llseek = TPMS_NO_LLSEEK,
	.open = tpms_vtpmx_open,
	.release = tpms_vtpmx_release,
	.read = tpms_vtpmx_read,
	.write = tpms_vtpmx_write,
	.poll = tpms_vtpmx_poll,
	.unlocked_ioctl = tpms_vtpmx_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice tpms_vtpmx = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = TPMS_VTPMX_NAME,
	.fops = &tpms_vtpmx_fops,
	.mode = 0600,
};

int tpms_vtpm_init(void)
{
	int rc;

	rc = platform_driver_register(&tpms_vtpm_driver);
	if (rc) {
		pr_err("cannot register driver %s: %d\n", TPMS_VTPM_NAME, rc);
		return rc;
	}
	rc = misc_register(&tpms_vtpmx);
	if (rc) {
		pr_err("cannot register /dev/%s: %d\n", tpms_vtpmx.name, rc);
		goto err_driver;
	}
	return 0;

err_driver:
	platform_driver_unregister(&tpms_vtpm_driver);
	return rc;
}

void tpms_vtpm_exit(void)
{
	misc_deregister(&tpms_vtpmx);
	platform_driver_unregister(&tpms_vtpm_driver);
}
