// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: chip lifecycle, the ops fence, and command transmission.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Every path that reaches a backend goes through tpms_get_ops(): take a
 * device reference, read-lock ops_sem, check ops, lock the chip, check
 * suspended, power up.  tpms_chip_unregister() stops producers, removes
 * the user entry points, wakes blocked waiters, takes the write lock, sends
 * the last command and clears ops.  The chip memory itself lives until
 * the last reference is put.
 */

#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/freezer.h>
#include <linux/pm_runtime.h>
#include <linux/suspend.h>
#include <linux/slab.h>

#include "tpms.h"

dev_t tpms_devt;
static DEFINE_IDA(tpms_ida);

/* chips of process-served backends, for the system sleep notifier */
static DEFINE_MUTEX(tpms_sleep_lock);
static LIST_HEAD(tpms_sleep_chips);
static bool tpms_sleeping;		/* between sleep prepare and post */

/* Retry TPM2_RC_RETRY / TESTING with a doubling delay, this long in all. */
#define TPMS_RETRY_FIRST_MS	20
#define TPMS_RETRY_TOTAL_MS	2000

static void tpms_chip_release(struct device *dev)
{
	struct tpms_chip *chip = to_tpms_chip(dev);

	put_device(chip->dev.parent);
	ida_free(&tpms_ida, chip->num);
	kfree(chip->cc_attrs);
	kvfree(chip->log);
	kvfree(chip->log_text);
	kfree(chip);
	tpms_obj_destroyed(TPMS_OBJ_CHIP);
}

static void tpms_chip_abort(struct tpms_chip *chip);
static void tpms_chip_fence(struct tpms_chip *chip, bool last_command);

/* System shutdown or reboot: no command may run after this. */
static int tpms_class_shutdown_pre(struct device *dev)
{
	struct tpms_chip *chip = to_tpms_chip(dev);

	/*
	 * A chip already stopped may have lost its backend: fence only.  The
	 * parent's device lock, held here and by the backend's remove,
	 * orders this against a stop in progress.
	 */
	if (!test_bit(TPMS_F_DYING, &chip->flags))
		tpms_chip_abort(chip);
	tpms_chip_fence(chip, true);
	return 0;
}

/*
 * Made by class_create(): the class core frees it, whenever the last
 * reference goes, with no code or data of this module.
 */
struct class *tpms_class;

unsigned int tpms_max_chips = TPMS_MAX_CHIPS;
module_param_named(max_chips, tpms_max_chips, uint, 0444);
MODULE_PARM_DESC(max_chips, "Chip numbers, 1 to 1024 (default 1024); each chip has a raw and an rm node");
static_assert(TPMS_MAX_CHIPS == 1024, "max_chips' description states the limit");

/**
 * tpms_chip_num_reserve() - reserve a chip number ahead of the chip
 *
 * For a backend that can tell its user at once that no chip can be made
 * (/dev/tpmsafe-vtpmx at open).  Pass the number to tpms_chip_alloc(), or
 * give it back with tpms_chip_num_unreserve().
 *
 * Return: the number, -ENOSPC when all tpms_max_chips are in use, or
 * -ENOMEM.
 */
int tpms_chip_num_reserve(void)
{
	return ida_alloc_max(&tpms_ida, tpms_max_chips - 1, GFP_KERNEL);
}

void tpms_chip_num_unreserve(int num)
{
	ida_free(&tpms_ida, num);
}

/**
 * tpms_chip_alloc() - allocate a chip for a backend
 * @parent: the backend's device; the chip holds a reference on it
 * @ops:    backend callbacks, valid until tpms_chip_unregister() returns
 * @priv:   backend data, see tpms_chip_priv()
 * @flags:  TPMS_BACKEND_* flags
 * @num:    a number from tpms_chip_num_reserve(), which the chip then owns
 *          (also when this fails), or TPMS_NUM_ANY
 *
 * Return: the chip, or an ERR_PTR.  Release it with tpms_chip_put().
 */
struct tpms_chip *tpms_chip_alloc(struct device *parent,
				  const struct tpms_backend_ops *ops,
				  void *priv, unsigned int flags, int num)
{
	struct tpms_chip *chip;
	int rc;

	chip = kzalloc(sizeof(*chip), GFP_KERNEL);
	if (!chip) {
		if (num >= 0)
			tpms_chip_num_unreserve(num);
		return ERR_PTR(-ENOMEM);
	}

	rc = num >= 0 ? num : tpms_chip_num_reserve();
	if (rc < 0) {
		dev_err(parent, "no free tpm_safe chip number (max_chips=%u): %pe\n",
			tpms_max_chips, ERR_PTR(rc));
		kfree(chip);
		return ERR_PTR(rc);
	}
	chip->num = rc;
	tpms_obj_created(TPMS_OBJ_CHIP);

	init_rwsem(&chip->ops_sem);
	mutex_init(&chip->lock);
	init_waitqueue_head(&chip->sleep_wq);
	INIT_LIST_HEAD(&chip->sleep_node);
	mutex_init(&chip->spaces_lock);
	INIT_LIST_HEAD(&chip->spaces);
	chip->ops = ops;
	chip->backend_ops = ops;
	chip->priv = priv;
	chip->backend_flags = flags;
	chip->max_cmd = TPMS_MAX_CMD;
	/* TPM 2.0's timeouts and durations until a TPM 1.2 reports its own */
	tpms_tpm2_set_durations(chip);

	device_initialize(&chip->dev);
	chip->dev.class = tpms_class;
	chip->dev.parent = get_device(parent);
	chip->dev.release = tpms_chip_release;
	chip->dev.devt = MKDEV(MAJOR(tpms_devt), chip->num);
	/* From here on put_device() frees everything. */
	rc = dev_set_name(&chip->dev, "tpmsafe%d", chip->num);
	if (rc) {
		put_device(&chip->dev);
		return ERR_PTR(rc);
	}

	cdev_init(&chip->cdev, &tpms_fops);
	chip->cdev.owner = THIS_MODULE;
	return chip;
}

/**
 * tpms_chip_set_max_cmd() - the longest command the backend can take
 * @chip: the chip, before tpms_chip_register()
 * @max:  bytes (at most TPMS_MAX_CMD; a longer command gets -E2BIG)
 */
void tpms_chip_set_max_cmd(struct tpms_chip *chip, size_t max)
{
	chip->max_cmd = min_t(size_t, max, TPMS_MAX_CMD);
}

/**
 * tpms_chip_put() - drop the backend's reference from tpms_chip_alloc()
 * @chip: the chip
 */
void tpms_chip_put(struct tpms_chip *chip)
{
	put_device(&chip->dev);
}

void *tpms_chip_priv(struct tpms_chip *chip)
{
	return chip->priv;
}

int tpms_chip_num(struct tpms_chip *chip)
{
	return chip->num;
}

const char *tpms_chip_name(struct tpms_chip *chip)
{
	return dev_name(&chip->dev);
}

/* A cancel asked for the command in the backend now (sysfs cancel). */
static bool tpms_chip_cancelling(struct tpms_chip *chip)
{
	unsigned long seq = READ_ONCE(chip->cmd_seq);

	return (seq & 1) && READ_ONCE(chip->cancel_seq) == seq;
}

/**
 * tpms_chip_aborting() - should a backend give up waiting?
 * @chip: the chip
 *
 * True once unregister has started, except for unregister's own last
 * command, and while the command in the backend is to be cancelled
 * (sysfs cancel).  Backends test it in their wait condition; the core
 * wakes them through ops->abort() after setting it.
 */
bool tpms_chip_aborting(struct tpms_chip *chip)
{
	return (test_bit(TPMS_F_DYING, &chip->flags) &&
		!test_bit(TPMS_F_FINAL, &chip->flags)) ||
	       tpms_chip_cancelling(chip);
}

/**
 * tpms_chip_timeout() - one of the TIS timeouts A..D
 * @chip: the chip
 * @t:    which
 *
 * Return: jiffies: TPM 2.0's fixed values, or those a TPM 1.2 reported
 * (corrected) once its start-up has read them.
 */
unsigned long tpms_chip_timeout(struct tpms_chip *chip, enum tpms_timeout t)
{
	return READ_ONCE(chip->timeout[t]);
}

/**
 * tpms_chip_killable() - may a fatal signal end a backend's wait?
 * @chip: the chip, inside the fence
 *
 * False while a resource-manager space's command sequence runs: it goes
 * to its end for a caller being killed, so that nothing the TPM made is
 * lost.  Backends then wait unkillable (TASK_IDLE) to the command's
 * timeout, as upstream's TPM core always does.
 */
bool tpms_chip_killable(struct tpms_chip *chip)
{
	return !chip->no_kill;
}

/**
 * tpms_chip_killed() - does a fatal signal end the backend's wait now?
 * @chip: the chip, inside the fence
 *
 * Return: true when the caller is being killed and the chip is killable.
 */
bool tpms_chip_killed(struct tpms_chip *chip)
{
	return !chip->no_kill && fatal_signal_pending(current);
}

static int tpms_power_up(struct tpms_chip *chip)
{
	struct device *parent = chip->dev.parent;
	int rc;

	if (chip->backend_flags & TPMS_BACKEND_RUNTIME_PM) {
		rc = pm_runtime_resume_and_get(parent);
		if (rc < 0) {
			dev_err_ratelimited(&chip->dev,
					    "cannot resume %s: %d\n",
					    dev_name(parent), rc);
			/*
			 * Clear the runtime-PM error: the device stays
			 * suspended and the next command tries again.
			 */
			pm_runtime_set_suspended(parent);
			return -EIO;
		}
	}
	if (chip->ops->power_up) {
		rc = chip->ops->power_up(chip);
		if (rc) {
			if (chip->backend_flags & TPMS_BACKEND_RUNTIME_PM)
				pm_runtime_put_autosuspend(parent);
			return rc;
		}
	}
	return 0;
}

static void tpms_power_down(struct tpms_chip *chip)
{
	struct device *parent = chip->dev.parent;

	if (chip->ops->power_down)
		chip->ops->power_down(chip);
	if (chip->backend_flags & TPMS_BACKEND_RUNTIME_PM) {
		pm_runtime_mark_last_busy(parent);
		pm_runtime_put_autosuspend(parent);
	}
}

/*
 * The fence, for every way in:
 * TPMS_ENTER_KILLABLE - a fatal signal ends the wait for the chip lock;
 * TPMS_ENTER_WAIT     - the system sleep paths wait regardless: giving up
 *                       there would mark the chip suspended while a
 *                       command still owns the backend;
 * TPMS_ENTER_TRY      - never sleep on ops_sem or the chip lock (a command
 *                       in flight, an unregister): -EBUSY instead.
 */
enum tpms_enter_mode {
	TPMS_ENTER_KILLABLE,
	TPMS_ENTER_WAIT,
	TPMS_ENTER_TRY,
};

/*
 * @evict: flush the objects a space left loaded (tpms_rm_evict()), unless
 * they are @keep's: false for commands that neither need nor see them, and
 * for the sleep paths (whose eviction, if any, must not fail the entry).
 */
static int tpms_fence_enter(struct tpms_chip *chip, enum tpms_enter_mode mode,
			    bool evict, struct tpms_space *keep)
{
	int rc = 0;

	get_device(&chip->dev);
	if (mode != TPMS_ENTER_TRY) {
		down_read(&chip->ops_sem);
	} else if (!down_read_trylock(&chip->ops_sem)) {
		rc = -EBUSY;
		goto out_put;
	}
	if (!chip->ops || test_bit(TPMS_F_DYING, &chip->flags)) {
		atomic64_inc(&chip->stats.refused_gone);
		rc = -ENODEV;
		goto out_up;
	}
	switch (mode) {
	case TPMS_ENTER_KILLABLE:
		rc = mutex_lock_killable(&chip->lock);
		break;
	case TPMS_ENTER_WAIT:
		mutex_lock(&chip->lock);
		break;
	case TPMS_ENTER_TRY:
		rc = mutex_trylock(&chip->lock) ? 0 : -EBUSY;
		break;
	}
	if (rc)
		goto out_up;
	/* unregister may have begun while this caller waited for the lock */
	if (test_bit(TPMS_F_DYING, &chip->flags)) {
		atomic64_inc(&chip->stats.refused_gone);
		rc = -ENODEV;
		goto out_unlock;
	}
	if (test_bit(TPMS_F_SUSPENDED, &chip->flags)) {
		atomic64_inc(&chip->stats.refused_suspended);
		rc = -EAGAIN;
		goto out_unlock;
	}
	rc = tpms_power_up(chip);
	if (rc)
		goto out_unlock;
	/*
	 * Objects a space left loaded go before anyone else's command; a TPM
	 * that stops answering midway keeps the others out.
	 */
	if (evict) {
		rc = tpms_rm_evict(chip, keep);
		if (rc) {
			tpms_power_down(chip);
			goto out_unlock;
		}
	}
	return 0;

out_unlock:
	mutex_unlock(&chip->lock);
out_up:
	up_read(&chip->ops_sem);
out_put:
	put_device(&chip->dev);
	return rc;
}

/**
 * tpms_get_ops() - enter the fence
 * @chip: the chip
 *
 * Return: 0 with the chip referenced, ops_sem read-held, the chip locked
 * and powered; -ENODEV when the backend is gone or going, -EAGAIN while
 * suspended, -EINTR on a fatal signal, or the power-up error.
 */
int tpms_get_ops(struct tpms_chip *chip)
{
	return tpms_fence_enter(chip, TPMS_ENTER_KILLABLE, true, NULL);
}

/**
 * tpms_get_ops_space() - enter the fence for a command of a space
 * @chip: the chip
 * @sp:   the space, whose objects left loaded stay so
 *
 * Return: as tpms_get_ops().
 */
int tpms_get_ops_space(struct tpms_chip *chip, struct tpms_space *sp)
{
	return tpms_fence_enter(chip, TPMS_ENTER_KILLABLE, true, sp);
}

/**
 * tpms_get_ops_rng() - enter the fence for TPM2_GetRandom
 * @chip: the chip
 * @wait: false for callers that must not wait for another command (the
 *        hwrng core's non-waiting reads): -EBUSY instead of sleeping on a
 *        command in flight or an unregister in progress.  Powering up may
 *        still sleep, within the backend's own timeouts.
 *
 * GetRandom neither needs nor sees transient objects: a space's loaded
 * objects stay loaded (tpms_rm_evict()).
 *
 * Return: as tpms_get_ops(); without @wait also -EBUSY, never -EINTR.
 */
int tpms_get_ops_rng(struct tpms_chip *chip, bool wait)
{
	return tpms_fence_enter(chip, wait ? TPMS_ENTER_KILLABLE :
				TPMS_ENTER_TRY, false, NULL);
}

/**
 * tpms_get_ops_wait() - enter the fence, waiting for the chip regardless
 * @chip: the chip
 *
 * For the cleanup of a closed space: a command in flight always finishes
 * first, even when the closing task is being killed.
 *
 * Return: as tpms_get_ops(), never -EINTR.
 */
int tpms_get_ops_wait(struct tpms_chip *chip)
{
	return tpms_fence_enter(chip, TPMS_ENTER_WAIT, true, NULL);
}

/**
 * tpms_put_ops() - leave the fence entered by tpms_get_ops()
 * @chip: the chip
 */
void tpms_put_ops(struct tpms_chip *chip)
{
	tpms_power_down(chip);
	mutex_unlock(&chip->lock);
	up_read(&chip->ops_sem);
	put_device(&chip->dev);
}

/**
 * tpms_wait_awake() - wait out a system sleep before entering the fence
 * @chip: the chip
 *
 * While a sleep transition holds the chip (TPMS_F_SLEEP_HELD) a caller in
 * process context waits here, freezable and with no lock held, instead of
 * being refused.  Callers must not hold locks.
 *
 * Return: 0, or -ERESTARTSYS on a signal.
 */
int tpms_wait_awake(struct tpms_chip *chip)
{
	return wait_event_freezable(chip->sleep_wq,
				    !test_bit(TPMS_F_SLEEP_HELD, &chip->flags) ||
				    test_bit(TPMS_F_DYING, &chip->flags));
}

static unsigned long tpms_duration(struct tpms_chip *chip, u32 ordinal)
{
	/* registration of a TPM that may be slow to start: its probe too */
	if (test_bit(TPMS_F_STARTING, &chip->flags) &&
	    (chip->backend_flags & TPMS_BACKEND_SLOW_START))
		return msecs_to_jiffies(TPMS_SLOW_START_MS);
	if (test_bit(TPMS_F_TPM2, &chip->flags))
		return tpms_tpm2_duration(chip, ordinal);
	if (test_bit(TPMS_F_TPM1, &chip->flags))
		return tpms_tpm1_duration(chip, ordinal);
	return chip->duration[TPMS_DUR_LONG];
}

/* A command the backend's going cut off; unregister's own last one is not */
static void tpms_count_gone(struct tpms_chip *chip)
{
	if (!test_bit(TPMS_F_FINAL, &chip->flags))
		atomic64_inc(&chip->stats.err_gone);
}

/* the family whose response tags are expected: 2, 1, or 0 (probing) */
static int tpms_family(struct tpms_chip *chip)
{
	if (test_bit(TPMS_F_TPM2, &chip->flags))
		return 2;
	return test_bit(TPMS_F_TPM1, &chip->flags) ? 1 : 0;
}

static ssize_t tpms_backend_transmit(struct tpms_chip *chip, u8 *buf,
				     size_t bufsiz, size_t len)
{
	const struct tpms_backend_ops *ops = chip->ops;
	u32 ordinal = tpms_hdr_code(buf);
	ssize_t n;
	int rc;

	atomic64_inc(&chip->stats.commands);
	rc = ops->send(chip, buf, len);
	if (!rc)
		rc = ops->wait(chip, tpms_duration(chip, ordinal));
	if (rc) {
		ops->cancel(chip);
		switch (rc) {
		case -ETIME:
			atomic64_inc(&chip->stats.err_timeout);
			dev_err_ratelimited(&chip->dev,
					    "command 0x%x timed out, cancelled\n",
					    ordinal);
			break;
		case -ENODEV:
			if (tpms_chip_cancelling(chip) &&
			    !test_bit(TPMS_F_DYING, &chip->flags)) {
				atomic64_inc(&chip->stats.cancelled);
				dev_info_ratelimited(&chip->dev,
						     "command 0x%x cancelled through sysfs\n",
						     ordinal);
				rc = -ECANCELED;
				break;
			}
			tpms_count_gone(chip);
			break;
		case -EINTR:
			atomic64_inc(&chip->stats.err_intr);
			break;
		default:
			atomic64_inc(&chip->stats.err_io);
			dev_err_ratelimited(&chip->dev,
					    "command 0x%x failed: %d\n",
					    ordinal, rc);
		}
		return rc;
	}

	n = ops->recv(chip, buf, bufsiz);
	rc = tpms_check_rsp(buf, n);
	/* a TPM 1.2 answering with a TPM 2.0 tag, or the other way round */
	if (!rc && !tpms_rsp_tag_ok(buf, tpms_family(chip)))
		rc = -EIO;
	if (rc) {
		ops->cancel(chip);
		if (rc == -ENODEV) {
			tpms_count_gone(chip);
		} else {
			atomic64_inc(&chip->stats.err_io);
			dev_err_ratelimited(&chip->dev,
					    "command 0x%x: malformed response (%zd)\n",
					    ordinal, n);
		}
		return rc;
	}
	return n;
}

/* the sequence number is odd while the command is in the backend */
static ssize_t tpms_try_transmit(struct tpms_chip *chip, u8 *buf,
				 size_t bufsiz, size_t len)
{
	ssize_t n;

	WRITE_ONCE(chip->cmd_seq, chip->cmd_seq + 1);
	n = tpms_backend_transmit(chip, buf, bufsiz, len);
	WRITE_ONCE(chip->cmd_seq, chip->cmd_seq + 1);
	return n;
}

/**
 * tpms_chip_cancel() - cancel the command in the backend (sysfs cancel)
 * @chip: the chip
 *
 * Enters the fence only as far as ops (the chip lock is the command's):
 * marks the command in flight, if any, to be cancelled and wakes its
 * waiter through ops->abort(), which does no I/O.  The command's own
 * caller, inside the fence, cancels it in the backend (ops->cancel()) and
 * gets -ECANCELED.  A command that starts later is not affected.
 *
 * Return: 0, or -ENODEV when the chip is gone or going.
 */
int tpms_chip_cancel(struct tpms_chip *chip)
{
	unsigned long seq;
	int rc = 0;

	get_device(&chip->dev);
	down_read(&chip->ops_sem);
	if (!chip->ops || test_bit(TPMS_F_DYING, &chip->flags)) {
		atomic64_inc(&chip->stats.refused_gone);
		rc = -ENODEV;
	} else {
		seq = READ_ONCE(chip->cmd_seq);
		if (seq & 1) {
			WRITE_ONCE(chip->cancel_seq, seq);
			/* the waiter re-checks after its wake-up */
			smp_mb();
			if (chip->ops->abort)
				chip->ops->abort(chip);
		}
	}
	up_read(&chip->ops_sem);
	put_device(&chip->dev);
	return rc;
}

/**
 * tpms_transmit() - send one command and receive its response
 * @chip:   the chip, inside the fence
 * @buf:    command in, response out
 * @bufsiz: size of @buf
 * @len:    command length (its header's size field)
 *
 * TPM 2.0 commands answered with RC_RETRY or RC_TESTING are resent with a
 * growing delay.  Return: the response length or a negative errno.
 */
ssize_t tpms_transmit(struct tpms_chip *chip, u8 *buf, size_t bufsiz,
		      size_t len)
{
	unsigned int delay = TPMS_RETRY_FIRST_MS, waited = 0;
	u8 hdr[TPMS_HDR];
	ssize_t n;
	int rc;

	rc = tpms_check_cmd(buf, len);
	if (rc)
		return rc;
	/* the backend's buffer is smaller: refused whole, nothing is sent */
	if (len > chip->max_cmd)
		return -E2BIG;
	/*
	 * A retry response is only a header, so only those bytes need
	 * restoring; a longer one overwrote the command and is returned.
	 */
	memcpy(hdr, buf, sizeof(hdr));
	for (;;) {
		u32 code;

		n = tpms_try_transmit(chip, buf, bufsiz, len);
		if (n != TPMS_HDR || !test_bit(TPMS_F_TPM2, &chip->flags))
			return n;
		code = tpms_hdr_code(buf);
		if (code != TPM2_RC_RETRY && code != TPM2_RC_TESTING)
			return n;
		if (waited >= TPMS_RETRY_TOTAL_MS || tpms_chip_aborting(chip))
			return n;
		atomic64_inc(&chip->stats.retries);
		msleep(delay);
		waited += delay;
		delay *= 2;
		memcpy(buf, hdr, sizeof(hdr));
	}
}

/**
 * tpms_transmit_cmd() - transmit a command the driver built itself
 * @chip:    the chip, inside the fence
 * @buf:     command in, response out (TPMS_MAX_CMD bytes)
 * @len:     command length
 * @min_rsp: the shortest successful response the caller can parse
 * @what:    command name for the log
 *
 * Return: 0 on success, the TPM's response code (> 0) when it refused the
 * command, or a negative errno.
 */
ssize_t tpms_transmit_cmd(struct tpms_chip *chip, u8 *buf, size_t len,
			  size_t min_rsp, const char *what)
{
	ssize_t n = tpms_transmit(chip, buf, TPMS_MAX_CMD, len);
	u32 code;

	if (n < 0)
		return n;
	code = tpms_hdr_code(buf);
	if (code)
		return code;
	if (n < min_rsp) {
		dev_err_ratelimited(&chip->dev, "%s: response too short (%zd)\n",
				    what, n);
		return -EIO;
	}
	return 0;
}

/*
 * Take the write lock, send the last commands (the spaces' flushes, then
 * TPM2_Shutdown), clear ops.  After this no backend callback runs.  Safe to
 * call more than once.
 */
static void tpms_chip_fence(struct tpms_chip *chip, bool last_command)
{
	down_write(&chip->ops_sem);
	if (chip->ops && last_command &&
	    test_bit(TPMS_F_TPM2, &chip->flags) &&
	    !test_bit(TPMS_F_SUSPENDED, &chip->flags)) {
		mutex_lock(&chip->lock);
		set_bit(TPMS_F_FINAL, &chip->flags);
		/* a killed unbind or rmmod still leaves nothing behind */
		chip->no_kill = true;
		if (!tpms_power_up(chip)) {
			/* the resource manager's spaces leave nothing behind */
			tpms_rm_flush_chip(chip);
			tpms_tpm2_shutdown(chip, TPM2_SU_CLEAR);
			tpms_power_down(chip);
		}
		chip->no_kill = false;
		clear_bit(TPMS_F_FINAL, &chip->flags);
		mutex_unlock(&chip->lock);
	}
	chip->ops = NULL;
	up_write(&chip->ops_sem);
}

/*
 * Refuse new entries and wake commands blocked in the backend.  ops may
 * already be NULL (fenced at system shutdown), but the backend calling us
 * is alive.
 */
static void tpms_chip_abort(struct tpms_chip *chip)
{
	set_bit(TPMS_F_DYING, &chip->flags);
	/* order DYING before the wake-up: waiters re-check it when woken */
	smp_mb__after_atomic();
	if (chip->backend_ops->abort)
		chip->backend_ops->abort(chip);
	wake_up_all(&chip->sleep_wq);
}

static void tpms_chip_teardown(struct tpms_chip *chip, bool last_command)
{
	/*
	 * Abort first: removing the hwrng and the char device waits for
	 * callers inside them, which may be blocked on the backend.
	 */
	tpms_chip_abort(chip);
	tpms_log_del(chip);
	if (test_and_clear_bit(TPMS_F_HWRNG, &chip->flags))
		tpms_hwrng_unregister(chip);
	if (test_and_clear_bit(TPMS_F_ADDED, &chip->flags))
		cdev_device_del(&chip->cdev, &chip->dev);
	tpms_rm_del(chip);
	/* the backend, once more: a caller may have entered before DYING */
	tpms_chip_abort(chip);

	/* may wait for the sleep notifier inside the fence: woken above */
	mutex_lock(&tpms_sleep_lock);
	list_del_init(&chip->sleep_node);
	mutex_unlock(&tpms_sleep_lock);

	tpms_chip_fence(chip, last_command);
	tpms_rm_fenced(chip);

	/* what the removal cut short: after it, stats/ can no longer be read */
	if ((atomic64_read(&chip->stats.err_gone) ||
	     atomic64_read(&chip->stats.refused_gone)) &&
	    !test_and_set_bit(TPMS_F_REMOVAL_LOGGED, &chip->flags))
		dev_info(&chip->dev,
			 "removed: %lld command(s) cut off, %lld caller(s) refused\n",
			 (long long)atomic64_read(&chip->stats.err_gone),
			 (long long)atomic64_read(&chip->stats.refused_gone));
}

/*
 * Wait for the command in flight, if any, to leave the backend.  The
 * fence checks TPMS_F_SUSPENDED under the chip lock, so once the lock has
 * been taken here after setting it, no command reaches the backend.
 */
static void tpms_sleep_drain(struct tpms_chip *chip)
{
	down_read(&chip->ops_sem);
	mutex_lock(&chip->lock);
	mutex_unlock(&chip->lock);
	up_read(&chip->ops_sem);
}

/*
 * A backend whose server is a process stops answering when the freezer
 * stops that process.  So before the freezer runs, while the servers still
 * answer, each such chip (registered, or registering: its start-up
 * commands hold the fence) lets its command in flight finish and is held
 * suspended; a chip that starts registering during the hold is refused
 * (-EAGAIN).  The hold ends after thaw, unless the device's own resume
 * failed (the chip then waits for the next resume).
 */
static int tpms_pm_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct tpms_chip *chip;

	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		mutex_lock(&tpms_sleep_lock);
		tpms_sleeping = true;
		/*
		 * Every chip is held before any is waited for: while one
		 * stalled server's command runs out its duration, no other
		 * chip starts a new one, so N stalled servers cost one
		 * duration, not N.  The servers keep what is loaded.
		 */
		list_for_each_entry(chip, &tpms_sleep_chips, sleep_node) {
			set_bit(TPMS_F_SLEEP_HELD, &chip->flags);
			set_bit(TPMS_F_SUSPENDED, &chip->flags);
		}
		list_for_each_entry(chip, &tpms_sleep_chips, sleep_node)
			tpms_sleep_drain(chip);
		mutex_unlock(&tpms_sleep_lock);
		break;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		mutex_lock(&tpms_sleep_lock);
		tpms_sleeping = false;
		list_for_each_entry(chip, &tpms_sleep_chips, sleep_node) {
			if (test_and_clear_bit(TPMS_F_SLEEP_HELD, &chip->flags) &&
			    !test_bit(TPMS_F_DEV_ASLEEP, &chip->flags))
				clear_bit(TPMS_F_SUSPENDED, &chip->flags);
			wake_up_all(&chip->sleep_wq);
		}
		mutex_unlock(&tpms_sleep_lock);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block tpms_pm_nb = {
	.notifier_call = tpms_pm_notify,
};

/**
 * tpms_chip_register() - start the TPM and make the chip visible
 * @chip: a chip from tpms_chip_alloc()
 *
 * Return: 0, or a negative errno with the chip fenced; the backend still
 * owns its reference either way.
 */
int tpms_chip_register(struct tpms_chip *chip)
{
	int rc;

	if (chip->backend_flags & TPMS_BACKEND_NO_SLEEP_IO) {
		mutex_lock(&tpms_sleep_lock);
		list_add_tail(&chip->sleep_node, &tpms_sleep_chips);
		if (tpms_sleeping) {
			set_bit(TPMS_F_SLEEP_HELD, &chip->flags);
			set_bit(TPMS_F_SUSPENDED, &chip->flags);
		}
		mutex_unlock(&tpms_sleep_lock);
	}
	rc = tpms_get_ops(chip);
	if (rc)
		goto err_unstarted;
	set_bit(TPMS_F_STARTING, &chip->flags);
	rc = tpms_tpm2_probe(chip);
	if (rc > 0) {
		set_bit(TPMS_F_TPM1, &chip->flags);
		rc = tpms_tpm1_auto_startup(chip);
	} else if (!rc) {
		rc = tpms_tpm2_auto_startup(chip);
	}
	clear_bit(TPMS_F_STARTING, &chip->flags);
	tpms_put_ops(chip);
	if (rc > 0)
		rc = -ENODEV;
	if (rc)
		goto err_unstarted;

	tpms_sysfs_setup(chip);
	rc = cdev_device_add(&chip->cdev, &chip->dev);
	if (rc) {
		dev_err(chip->dev.parent, "cannot add %s: %d\n",
			dev_name(&chip->dev), rc);
		goto err_started;
	}
	set_bit(TPMS_F_ADDED, &chip->flags);
	/* no resource manager for TPM 1.2 */
	rc = test_bit(TPMS_F_TPM2, &chip->flags) ? tpms_rm_add(chip) : 0;
	if (rc)
		goto err_started;

	if (tpms_hwrng_enable) {
		rc = tpms_hwrng_register(chip);
		if (rc)
			goto err_started;
		set_bit(TPMS_F_HWRNG, &chip->flags);
	}
	tpms_log_add(chip);
	if (test_bit(TPMS_F_TPM2, &chip->flags))
		dev_info(&chip->dev, "TPM 2.0 on %s, %u PCR bank(s)%s\n",
			 dev_name(chip->dev.parent), chip->nr_banks,
			 chip->log_what);
	else
		dev_info(&chip->dev, "TPM 1.2 on %s, %u PCRs%s\n",
			 dev_name(chip->dev.parent), chip->nr_pcrs,
			 chip->log_what);
	return 0;

err_started:
	/* the TPM was started: it gets its Shutdown */
	tpms_chip_teardown(chip, true);
	return rc;
err_unstarted:
	tpms_chip_teardown(chip, false);
	return rc;
}

/**
 * tpms_chip_unregister() - fence the chip and remove it from userspace
 * @chip: the chip
 *
 * Refuses new entries and wakes commands blocked in the backend, stops
 * the hwrng, removes the char device and sysfs (waiting for their
 * callers, woken already), wakes the backend again, takes the write lock,
 * sends TPM2_Shutdown(CLEAR) and clears ops.  Open files keep the memory
 * and get errors from now on.  Idempotent.
 */
void tpms_chip_unregister(struct tpms_chip *chip)
{
	tpms_chip_teardown(chip, true);
}

/**
 * tpms_chip_pm_suspend() - system sleep: fence the chip as suspended
 * @chip: the chip
 *
 * Enters the fence, saves and flushes what a space left loaded (its saved
 * contexts outlive the sleep), sends TPM2_Shutdown(STATE) whether or not
 * that worked (a TPM 1.2 gets TPM_SaveState), and marks the chip
 * suspended: from then on every entry
 * point refuses (-EAGAIN; the hwrng returns no data) without touching the
 * backend.  Never fails: a TPM that does not answer must not abort system
 * suspend.  A process-served chip is already held suspended by then
 * (tpms_pm_notify()), and gets no TPM2_Shutdown: its server keeps its
 * state.
 *
 * Return: 0.
 */
int tpms_chip_pm_suspend(struct tpms_chip *chip)
{
	int rc;

	set_bit(TPMS_F_DEV_ASLEEP, &chip->flags);
	/* a failed eviction must not keep TPM2_Shutdown from being sent */
	rc = tpms_fence_enter(chip, TPMS_ENTER_WAIT, false, NULL);
	if (rc) {
		/* gone, or held since sleep prepare: nothing reaches the TPM */
		set_bit(TPMS_F_SUSPENDED, &chip->flags);
		return 0;
	}
	/* a userspace server is frozen by now: it cannot answer */
	if (test_bit(TPMS_F_TPM2, &chip->flags) &&
	    !(chip->backend_flags & TPMS_BACKEND_NO_SLEEP_IO)) {
		/*
		 * Saved contexts outlive Startup(STATE): a space's loaded
		 * objects are saved first.  What a TPM that stops answering
		 * keeps is forgotten at the next entry (the new epoch).
		 */
		tpms_rm_evict(chip, NULL);
		tpms_tpm2_shutdown(chip, TPM2_SU_STATE);
		/* what is loaded now is gone after Startup(STATE) */
		chip->rm_epoch++;
	} else if (test_bit(TPMS_F_TPM1, &chip->flags) &&
		   !(chip->backend_flags & TPMS_BACKEND_NO_SLEEP_IO)) {
		tpms_tpm1_save_state(chip);
	}
	set_bit(TPMS_F_SUSPENDED, &chip->flags);
	tpms_put_ops(chip);
	return 0;
}

/**
 * tpms_chip_pm_resume() - system resume: let commands through again
 * @chip: the chip
 *
 * The firmware sends TPM2_Startup(STATE) after a real sleep; the backend
 * has restored what it needs (TIS: the interrupt vector) before calling
 * this.  A process-served chip is
 * let go only after thaw, by tpms_pm_notify().  A backend whose own
 * resume fails does not call this: the chip stays suspended (-EAGAIN)
 * until a later resume succeeds.
 *
 * Return: 0.
 */
int tpms_chip_pm_resume(struct tpms_chip *chip)
{
	down_read(&chip->ops_sem);
	mutex_lock(&chip->lock);
	clear_bit(TPMS_F_DEV_ASLEEP, &chip->flags);
	/* a process-served chip stays held until its server is thawed */
	if (!test_bit(TPMS_F_SLEEP_HELD, &chip->flags))
		clear_bit(TPMS_F_SUSPENDED, &chip->flags);
	mutex_unlock(&chip->lock);
	up_read(&chip->ops_sem);
	/* a closed space waits to flush what it had in the TPM */
	wake_up_all(&chip->sleep_wq);
	return 0;
}

int tpms_core_init(void)
{
	int rc;

	rc = tpms_rm_check_params();
	if (rc)
		return rc;
	if (!tpms_max_chips || tpms_max_chips > TPMS_MAX_CHIPS) {
		pr_err("max_chips=%u: must be 1 to %d\n", tpms_max_chips,
		       TPMS_MAX_CHIPS);
		return -EINVAL;
	}
	/* minors: the raw nodes, then the rm nodes */
	rc = alloc_chrdev_region(&tpms_devt, 0, 2 * tpms_max_chips, "tpm_safe");
	if (rc) {
		pr_err("cannot allocate a char device region: %d\n", rc);
		return rc;
	}
	tpms_class = TPMS_CLASS_CREATE("tpm_safe");
	if (IS_ERR(tpms_class)) {
		rc = PTR_ERR(tpms_class);
		pr_err("cannot register class tpm_safe: %d\n", rc);
		goto err_region;
	}
	tpms_class->shutdown_pre = tpms_class_shutdown_pre;
	tpms_rm_class = TPMS_CLASS_CREATE("tpm_safe_rm");
	if (IS_ERR(tpms_rm_class)) {
		rc = PTR_ERR(tpms_rm_class);
		pr_err("cannot register class tpm_safe_rm: %d\n", rc);
		goto err_class;
	}
	rc = register_pm_notifier(&tpms_pm_nb);
	if (rc) {
		pr_err("cannot watch system sleep: %d\n", rc);
		goto err_rm_class;
	}
	return 0;

err_rm_class:
	class_destroy(tpms_rm_class);
err_class:
	class_destroy(tpms_class);
err_region:
	unregister_chrdev_region(tpms_devt, 2 * tpms_max_chips);
	return rc;
}

/* Called once every chip is released (tpms_exit() waits for that). */
void tpms_core_exit(void)
{
	unregister_pm_notifier(&tpms_pm_nb);
	class_destroy(tpms_rm_class);
	class_destroy(tpms_class);
	unregister_chrdev_region(tpms_devt, 2 * tpms_max_chips);
}
