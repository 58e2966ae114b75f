// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: /dev/tpmsafeN and /dev/tpmsafermN, with the semantics of the
 * kernel's /dev/tpm0 and /dev/tpmrm0.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * The raw node has one opener at a time; each open file of the rm node is
 * a space of its own (space.c), the rest is the same.  write() sends one
 * command; blocking writes wait for the response, O_NONBLOCK writes queue
 * it on a workqueue and poll()
 * reports the result (errors included); a command that meets a system
 * sleep, blocking or queued, waits for the resume.  poll() takes no lock:
 * it never waits for a command in flight, and never misses a result.
 * read() returns the response, in parts if asked.  An unread response
 * goes stale after tpms_stale_ms and is dropped the next time the file is
 * used.  No lock is held across a return to userspace; no timer outlives
 * the file.
 */
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "tpms.h"

static unsigned int tpms_stale_ms = 120000;
module_param_named(stale_ms, tpms_stale_ms, uint, 0644);
MODULE_PARM_DESC(stale_ms, "Drop an unread response after this many ms (default 120000)");

struct tpms_file {
	struct tpms_chip *chip;
	struct tpms_space *space;	/* rm node only */
	bool closing;			/* release has begun */
	struct mutex lock;		/* everything below */
	/*
	 * rsp_len and rsp_expires are also read by poll() without the lock:
	 * stored with WRITE_ONCE(), a new result's length last (release).
	 */
	ssize_t rsp_len;		/* > 0 unread bytes, < 0 an error */
	unsigned long rsp_expires;
	size_t rsp_off;
	bool rsp_started;		/* a read consumed part of it */
	bool queued;			/* a command pending in the worker */
	size_t cmd_len;
	struct work_struct async_work;
	wait_queue_head_t wq;
	u8 buf[TPMS_MAX_CMD];
};

struct workqueue_struct *tpms_wq;

/* Drop a response nobody read in time.  Called with f->lock held. */
static void tpms_file_expire(struct tpms_file *f)
{
	if (f->rsp_len > 0 && time_after_eq(jiffies, f->rsp_expires)) {
		memzero_explicit(f->buf, sizeof(f->buf));
		WRITE_ONCE(f->rsp_len, 0);
		f->rsp_off = 0;
	}
}

/*
 * The result of one command; f->lock held.  The caller wakes f->wq after
 * this store (poll() reads the result without the lock).
 */
static void tpms_file_result(struct tpms_file *f, ssize_t n)
{
	f->rsp_off = 0;
	f->rsp_started = false;
	WRITE_ONCE(f->rsp_expires, jiffies + msecs_to_jiffies(tpms_stale_ms));
	/* poll() must not see this length with an older expiry time */
	smp_store_release(&f->rsp_len, n);
}

static ssize_t tpms_file_transmit(struct tpms_file *f)
{
	ssize_t n;
	int rc;

	if (f->space) {
		n = tpms_space_transmit(f->space, f->buf, sizeof(f->buf),
					f->cmd_len);
		return n == -ENODEV ? -EPIPE : n;
	}
	rc = tpms_get_ops(f->chip);
	if (rc)
		return rc == -ENODEV ? -EPIPE : rc;
	n = tpms_transmit(f->chip, f->buf, sizeof(f->buf), f->cmd_len);
	tpms_put_ops(f->chip);
	/* aborted because the chip is going away: same as finding it gone */
	return n == -ENODEV ? -EPIPE : n;
}

/*
 * After -EAGAIN from the fence (the chip is suspended): is it a system
 * sleep's hold, to be waited out before sending again?  Once the hold is
 * over, a chip still suspended is one whose device did not resume: that
 * refusal stands.  The device resumes before the hold ends, so the hold
 * is read first.
 */
static bool tpms_sleep_retry(struct tpms_chip *chip)
{
	if (test_bit(TPMS_F_SLEEP_HELD, &chip->flags))
		return true;
	smp_rmb();	/* pairs with the full barrier ending the hold */
	return !test_bit(TPMS_F_DEV_ASLEEP, &chip->flags);
}

/* The hold is over, the chip is going away, or the file is being closed. */
static bool tpms_async_may_run(struct tpms_file *f)
{
	struct tpms_chip *chip = f->chip;

	return !test_bit(TPMS_F_SLEEP_HELD, &chip->flags) ||
	       test_bit(TPMS_F_DYING, &chip->flags) || READ_ONCE(f->closing);
}

/* The device resumed, the chip is going away, or the file is closing. */
static bool tpms_awake(struct tpms_file *f)
{
	struct tpms_chip *chip = f->chip;

	return !test_bit(TPMS_F_SUSPENDED, &chip->flags) ||
	       test_bit(TPMS_F_DYING, &chip->flags) || READ_ONCE(f->closing);
}

/*
 * An O_NONBLOCK command.  Like a blocking write, it waits out a system
 * sleep that holds the chip (the hold ends after thaw), instead of getting
 * -EAGAIN; the worker is no user task and cannot be frozen, so it waits
 * with no lock held (read(), write() and poll() go on, and the freezer
 * freezes their callers) and unfrozen (TASK_IDLE: it is no hung task).
 * A space's command (blocking or not) also waits for a suspended device's
 * resume.  release() ends the wait.
 */
static void tpms_async_work(struct work_struct *work)
{
	struct tpms_file *f = container_of(work, struct tpms_file, async_work);
	ssize_t n;

	for (;;) {
		wait_event_idle(f->chip->sleep_wq, tpms_async_may_run(f));
		mutex_lock(&f->lock);
		n = tpms_file_transmit(f);
		/* the hold may have begun after the wait, or just ended */
		if (n != -EAGAIN || READ_ONCE(f->closing))
			break;
		if (!tpms_sleep_retry(f->chip)) {
			/* a space's command waits for the device's resume too */
			if (!f->space)
				break;
			mutex_unlock(&f->lock);
			wait_event_idle(f->chip->sleep_wq, tpms_awake(f));
			continue;
		}
		mutex_unlock(&f->lock);
	}
	tpms_file_result(f, n);
	WRITE_ONCE(f->queued, false);
	mutex_unlock(&f->lock);
	/* poll()ers, and a space's blocking writer (killable) */
	wake_up(&f->wq);
}

static struct tpms_file *tpms_file_alloc(struct tpms_chip *chip)
{
	struct tpms_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return NULL;
	tpms_obj_created(TPMS_OBJ_FILE);
	get_device(&chip->dev);
	f->chip = chip;
	mutex_init(&f->lock);
	INIT_WORK(&f->async_work, tpms_async_work);
	init_waitqueue_head(&f->wq);
	return f;
}

static void tpms_file_free(struct tpms_file *f)
{
	struct tpms_chip *chip = f->chip;

	memzero_explicit(f->buf, sizeof(f->buf));
	kfree(f);
	tpms_obj_destroyed(TPMS_OBJ_FILE);
	put_device(&chip->dev);
}

static int tpms_open(struct inode *inode, struct file *file)
{
	struct tpms_chip *chip = container_of(inode->i_cdev, struct tpms_chip,
					      cdev);
	struct tpms_file *f;

	if (test_and_set_bit(0, &chip->is_open))
		return -EBUSY;
	if (!test_bit(TPMS_F_ADDED, &chip->flags)) {
		clear_bit(0, &chip->is_open);
		return -ENODEV;
	}
	f = tpms_file_alloc(chip);
	if (!f) {
		clear_bit(0, &chip->is_open);
		return -ENOMEM;
	}
	file->private_data = f;
	return stream_open(inode, file);
}

static int tpms_rm_open(struct inode *inode, struct file *file)
{
	struct tpms_chip *chip = container_of(inode->i_cdev, struct tpms_chip,
					      rm_cdev);
	struct tpms_file *f;

	if (!test_bit(TPMS_F_RM_ADDED, &chip->flags))
		return -ENODEV;
	f = tpms_file_alloc(chip);
	if (!f)
		return -ENOMEM;
	f->space = tpms_space_new(chip);
	if (!f->space) {
		tpms_file_free(f);
		return -ENOMEM;
	}
	file->private_data = f;
	return stream_open(inode, file);
}

static int tpms_release(struct inode *inode, struct file *file)
{
	struct tpms_file *f = file->private_data;
	struct tpms_chip *chip = f->chip;

	/* a worker waiting out a system sleep gives up (tpms_async_work()) */
	WRITE_ONCE(f->closing, true);
	wake_up_all(&chip->sleep_wq);
	flush_work(&f->async_work);
	if (f->space)
		tpms_space_close(f->space);
	else
		clear_bit(0, &chip->is_open);
	tpms_file_free(f);
	return 0;
}

static ssize_t tpms_write(struct file *file, const char __user *ubuf,
			  size_t size, loff_t *off)
{
	struct tpms_file *f = file->private_data;
	ssize_t ret;

	if (size > TPMS_MAX_CMD)
		return -E2BIG;

again:
	/* a blocking write waits out a system sleep instead of EAGAIN */
	if (!(file->f_flags & O_NONBLOCK)) {
		ret = tpms_wait_awake(f->chip);
		if (ret)
			return ret;
	}
	mutex_lock(&f->lock);
	tpms_file_expire(f);
	/* a response not yet read, or a command still queued */
	if ((f->rsp_len && !f->rsp_started) || f->queued) {
		ret = -EBUSY;
		goto out;
	}
	if (copy_from_user(f->buf, ubuf, size)) {
		ret = -EFAULT;
		goto out;
	}
	ret = tpms_check_user_cmd(f->buf, size);
	if (ret)
		goto out;
	f->cmd_len = tpms_hdr_len(f->buf);
	WRITE_ONCE(f->rsp_len, 0);
	f->rsp_off = 0;

	if (file->f_flags & O_NONBLOCK) {
		f->queued = true;
		queue_work(tpms_wq, &f->async_work);
		ret = size;
		goto out;
	}
	ret = tpms_file_transmit(f);
	if (ret == -EAGAIN && f->space) {
		/*
		 * A space's command on a suspended chip waits in the worker
		 * for the resume (tpms_async_work()), the caller killable
		 * and freezable.
		 */
		f->queued = true;
		queue_work(tpms_wq, &f->async_work);
		mutex_unlock(&f->lock);
		if (wait_event_state(f->wq, !READ_ONCE(f->queued),
				     (TASK_KILLABLE | TASK_FREEZABLE)))
			return -EINTR;
		mutex_lock(&f->lock);
		ret = size;
		if (f->rsp_len < 0) {
			/* errors come back from write(), as on the raw node */
			ret = f->rsp_len;
			WRITE_ONCE(f->rsp_len, 0);
		}
		goto out;
	}
	if (ret == -EAGAIN && tpms_sleep_retry(f->chip)) {
		/* the sleep hold began after the wait above, or just ended */
		mutex_unlock(&f->lock);
		goto again;
	}
	if (ret > 0) {
		tpms_file_result(f, ret);
		ret = size;
		/* another thread may be polling this file for the response */
		mutex_unlock(&f->lock);
		wake_up_interruptible(&f->wq);
		return ret;
	}
out:
	mutex_unlock(&f->lock);
	return ret;
}

static ssize_t tpms_read(struct file *file, char __user *ubuf, size_t size,
			 loff_t *off)
{
	struct tpms_file *f = file->private_data;
	ssize_t ret = 0;

	mutex_lock(&f->lock);
	tpms_file_expire(f);
	if (f->rsp_len < 0) {
		ret = f->rsp_len;
		WRITE_ONCE(f->rsp_len, 0);
	} else if (f->rsp_len > 0 && size) {
		ret = min_t(ssize_t, size, f->rsp_len);
		if (copy_to_user(ubuf, f->buf + f->rsp_off, ret)) {
			ret = -EFAULT;
			WRITE_ONCE(f->rsp_len, 0);
		} else {
			f->rsp_started = true;
			f->rsp_off += ret;
			WRITE_ONCE(f->rsp_len, f->rsp_len - ret);
		}
		if (!f->rsp_len) {
			memzero_explicit(f->buf, sizeof(f->buf));
			f->rsp_off = 0;
		}
	}
	mutex_unlock(&f->lock);
	return ret;
}

static __poll_t tpms_poll(struct file *file, poll_table *wait)
{
	struct tpms_file *f = file->private_data;
	ssize_t len;

	poll_wait(file, &f->wq, wait);
	/*
	 * No lock: f->lock is held for a whole command, and by any reader or
	 * writer, so waiting for it could take a command's duration, and
	 * trying it could report "not readable" with a result waiting.  A
	 * result is stored before f->wq is woken, and this caller is on f->wq
	 * (or was woken from it) before this load, so either the load sees
	 * the result or the wake-up comes.  A stale response is not reported;
	 * the next read or write drops it.
	 */
	len = smp_load_acquire(&f->rsp_len);
	if (len < 0 ||
	    (len > 0 && time_before(jiffies, READ_ONCE(f->rsp_expires))))
		return EPOLLIN | EPOLLRDNORM;
	return EPOLLOUT | EPOLLWRNORM;
}

const struct file_operations tpms_fops = {
	.owner = THIS_MODULE,
	.llseek = TPMS_NO_LLSEEK,
	.open = tpms_open,
	.read = tpms_read,
	.write = tpms_write,
	.poll = tpms_poll,
	.release = tpms_release,
};

const struct file_operations tpms_rm_fops = {
	.owner = THIS_MODULE,
	.llseek = TPMS_NO_LLSEEK,
	.open = tpms_rm_open,
	.read = tpms_read,
	.write = tpms_write,
	.poll = tpms_poll,
	.release = tpms_release,
};

int tpms_cdev_init(void)
{
	tpms_wq = alloc_workqueue("tpm_safe", WQ_UNBOUND, 0);
	return tpms_wq ? 0 : -ENOMEM;
}

void tpms_cdev_exit(void)
{
	destroy_workqueue(tpms_wq);
}
