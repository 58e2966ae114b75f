// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the TPM Interface Specification (FIFO) over memory-mapped
 * registers, as in most PC TPMs and QEMU's -device tpm-tis.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Matches ACPI MSFT0101 (when the TPM2 table says TIS/MMIO), device tree
 * tcg,tpm-tis-mmio and PNP0C31; force=1 creates a device at 0xFED40000.
 * Users move a TPM between the kernel's tpm_tis and tpm_safe_tis through
 * the sysfs unbind/bind files: remove relinquishes the locality, disables
 * interrupts and releases the MMIO region.
 *
 * Completion: the interrupt given with irq= when it proves to work at
 * probe, else an adaptive poll that sleeps tens of microseconds at first
 * and backs off, so that a fast TPM is seen quickly and a slow one does not
 * cost a spinning core.  An interrupt whose status cannot be cleared (a
 * storm) or that stops arriving sends the device back to polling: the
 * handler is freed, the line itself is never disabled.
 *
 * Power: the device leaves the ACPI PM domain at probe, so that neither
 * runtime PM nor system sleep ever moves the TPM to another D-state (and
 * loses its loaded objects and sessions); runtime suspend only gives the
 * locality up.  System sleep always runs the suspend and resume callbacks
 * (TPM2_Shutdown(STATE); at resume the vector restored and the device
 * disarmed, until the next command), even from runtime suspend.
 */

#include <linux/acpi.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/pm_domain.h>
#include <linux/pm_runtime.h>
#include <linux/pnp.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "tpms.h"

#define TIS_NAME		"tpm_safe_tis"
#define TIS_BASE		0xFED40000
#define TIS_SIZE		0x5000

/* registers of locality 0 */
#define TIS_ACCESS		0x00
#define TIS_INT_ENABLE		0x08
#define TIS_INT_VECTOR		0x0C
#define TIS_INT_STATUS		0x10
#define TIS_INTF_CAPS		0x14
#define TIS_STS			0x18	/* burstCount in bits 8-23 */
#define TIS_DATA_FIFO		0x24
#define TIS_INTERFACE_ID	0x30
#define TIS_DID_VID		0xF00
#define TIS_RID			0xF04

#define TIS_ACCESS_VALID		0x80
#define TIS_ACCESS_ACTIVE		0x20
#define TIS_ACCESS_REQUEST_USE	0x02

#define TIS_STS_VALID		0x80
#define TIS_STS_COMMAND_READY	0x40
#define TIS_STS_GO			0x20
#define TIS_STS_DATA_AVAIL		0x10
#define TIS_STS_DATA_EXPECT		0x08
#define TIS_STS_RESPONSE_RETRY	0x02
#define TIS_STS_READ_ZERO		0x23	/* GO, RESPONSE_RETRY, bit 0 */

#define TIS_INT_DATA_AVAIL		0x01
#define TIS_INT_STS_VALID		0x02
#define TIS_INT_LOCALITY_CHANGE	0x04
#define TIS_INT_POLARITY		0x18	/* typePolarity, kept as found */
#define TIS_INT_GLOBAL		BIT(31)
/*
 * In use: the ones raised while we hold the locality.  Not commandReady:
 * it is requested just before the locality is given up, so its interrupt
 * may come when nobody can clear it any more.
 */
#define TIS_INT_USED		(TIS_INT_DATA_AVAIL | TIS_INT_STS_VALID)

/* INTF_CAPS dataTransferSizeSupport: 0 legacy (1 byte), 8, 32, 64 bytes */
#define CAPS_XFER(caps)		(((caps) >> 9) & 3)

#define TIS_STORM_IRQS		1000	/* not clearable in a second: a storm */
#define TIS_LOST_IRQS		3	/* lost in a row: poll instead */
#define TIS_RECV_ATTEMPTS	3

static bool tis_force;
module_param_named(force, tis_force, bool, 0444);
MODULE_PARM_DESC(force, "Create a TIS device at 0xFED40000 when firmware lists none (default 0)");

static int tis_irq;
module_param_named(irq, tis_irq, int, 0444);
MODULE_PARM_DESC(irq, "TIS interrupt line, tested at probe (default 0: polling; QEMU uses 5)");

static unsigned int tis_autosuspend_ms = 200;
module_param_named(tis_autosuspend_ms, tis_autosuspend_ms, uint, 0644);
MODULE_PARM_DESC(tis_autosuspend_ms, "Runtime-PM autosuspend delay of TIS devices (default 200)");

struct tis {
	void __iomem *base;
	struct device *dev;
	struct tpms_chip *chip;
	unsigned int fifo_width;	/* bytes per FIFO access: 4, or 1 */
	struct mutex irq_lock;		/* irq_line: request to free */
	int irq_line;			/* > 0 while our handler is requested */
	int irq;			/* > 0 while waits sleep for it */
	u32 int_enable;			/* INT_ENABLE while interrupts are in use */
	bool int_armed;			/* INT_ENABLE set at the device */
	bool irq_seen;			/* an interrupt we cleared */
	struct work_struct irq_work;	/* back to polling, off the ISR */
	wait_queue_head_t wq;
	unsigned long storm_start;	/* jiffies */
	unsigned int storm_count;
	bool storm;			/* status we cannot clear, many times */
	unsigned int irqs;		/* interrupts handled */
	unsigned int lost;		/* waits that ended ready, no interrupt */
	atomic_t rpm_suspends;
	atomic_t rpm_resumes;
};

static u8 tis_read8(struct tis *tis, u32 reg)
{
	return ioread8(tis->base + reg);
}

static u32 tis_read32(struct tis *tis, u32 reg)
{
	return ioread32(tis->base + reg);
}

static void tis_write8(struct tis *tis, u32 reg, u8 v)
{
	iowrite8(v, tis->base + reg);
}

static void tis_write32(struct tis *tis, u32 reg, u32 v)
{
	iowrite32(v, tis->base + reg);
}

/* Status, with "no locality" (must-read-zero bits set) reported as 0. */
static u8 tis_status(struct tis *tis)
{
	u8 sts = tis_read8(tis, TIS_STS);

	return sts & TIS_STS_READ_ZERO ? 0 : sts;
}

/* burstCount, from one aligned 32-bit read of STS (0: none, or no TPM) */
static unsigned int tis_burst(struct tis *tis)
{
	u32 sts = tis_read32(tis, TIS_STS);

	return sts == ~0U ? 0 : (sts >> 8) & 0xFFFF;
}

/* A wait ends: ready, aborting, or interrupts no longer in use. */
static bool tis_wait_over(struct tis *tis, u8 mask, bool abortable)
{
	return (tis_status(tis) & mask) == mask ||
	       (abortable && tpms_chip_aborting(tis->chip)) ||
	       READ_ONCE(tis->irq) <= 0;
}

/*
 * Sleep for the status or up to @slice: killable, or not at all (an idle
 * sleep, no hung task) while the chip says so.
 */
static void tis_wait_slice(struct tis *tis, u8 mask, bool abortable,
			   long slice)
{
	if (tpms_chip_killable(tis->chip))
		wait_event_killable_timeout(tis->wq,
					    tis_wait_over(tis, mask, abortable),
					    slice);
	else
		wait_event_idle_timeout(tis->wq,
					tis_wait_over(tis, mask, abortable),
					slice);
}

/*
 * Wait until (status & mask) == mask, or @timeout jiffies.  With a working
 * interrupt, for what raises one (data available, status valid): sleep
 * until it fires.  Otherwise poll: 10-20 us sleeps for the first 200 us,
 * then up to 100-200 us, then 1 ms.
 */
static int tis_wait_status(struct tis *tis, u8 mask, unsigned long timeout,
			   bool abortable)
{
	unsigned long stop = jiffies + timeout;
	unsigned int slept_us = 0;

	for (;;) {
		if ((tis_status(tis) & mask) == mask)
			return 0;
		if (abortable && tpms_chip_aborting(tis->chip))
			return -ENODEV;
		if (time_after(jiffies, stop))
			return -ETIME;
		if (tpms_chip_killed(tis->chip))
			return -EINTR;
		if (READ_ONCE(tis->irq) > 0 && !(mask & TIS_STS_COMMAND_READY)) {
			/* slices, so that a lost interrupt costs 10 ms at most */
			long slice = min_t(long, max_t(long, stop - jiffies, 1),
					   msecs_to_jiffies(10));

			unsigned int seen = READ_ONCE(tis->irqs);
			unsigned long t0 = jiffies;

			tis_wait_slice(tis, mask, abortable, slice);
			/*
			 * Ready after a whole slice with no interrupt handled:
			 * lost.  A few in a row (the line disabled by the
			 * kernel, say) and the device goes back to polling.
			 */
			if (READ_ONCE(tis->irqs) != seen)
				tis->lost = 0;
			else if (time_after_eq(jiffies, t0 + slice) &&
				 (tis_status(tis) & mask) == mask &&
				 ++tis->lost == TIS_LOST_IRQS)
				queue_work(system_unbound_wq, &tis->irq_work);
			continue;
		}
		if (slept_us < 200) {
			usleep_range(10, 20);
			slept_us += 15;
		} else if (slept_us < 5000) {
			usleep_range(100, 200);
			slept_us += 150;
		} else {
			usleep_range(1000, 1500);
		}
	}
}

/* Locality 0 is ours: valid, active, no request pending (so not 0xFF). */
static bool tis_locality_held(u8 acc)
{
	return (acc & (TIS_ACCESS_VALID | TIS_ACCESS_ACTIVE | TIS_ACCESS_REQUEST_USE)) ==
	       (TIS_ACCESS_VALID | TIS_ACCESS_ACTIVE);
}

static int tis_request_locality(struct tis *tis)
{
	unsigned long stop = jiffies +
			     tpms_chip_timeout(tis->chip, TPMS_TIMEOUT_A);
	u8 acc = tis_read8(tis, TIS_ACCESS);

	if (tis_locality_held(acc))
		return 0;
	tis_write8(tis, TIS_ACCESS, TIS_ACCESS_REQUEST_USE);
	do {
		acc = tis_read8(tis, TIS_ACCESS);
		if (tis_locality_held(acc))
			return 0;
		usleep_range(20, 50);
	} while (time_before(jiffies, stop));
	/*
	 * Withdraw the request (activeLocality written while not active), or
	 * the TPM would hand us the locality later, when nobody gives it up.
	 */
	tis_write8(tis, TIS_ACCESS, TIS_ACCESS_ACTIVE);
	dev_err_ratelimited(tis->dev, "locality 0 not granted (access 0x%02x)\n",
			    acc);
	return -EBUSY;
}

/*
 * Clearing INT_STATUS needs the locality: clear it before giving the
 * locality up, so that no interrupt stays raised while nobody can clear it.
 */
static void tis_relinquish_locality(struct tis *tis)
{
	if (!(tis_read8(tis, TIS_ACCESS) & TIS_ACCESS_ACTIVE))
		return;
	if (tis->int_armed)
		tis_write32(tis, TIS_INT_STATUS, ~0U);
	tis_write8(tis, TIS_ACCESS, TIS_ACCESS_ACTIVE);
}

/* commandReady, and wait until the TPM reports it */
static int tis_ready(struct tis *tis)
{
	if (tis_status(tis) & TIS_STS_COMMAND_READY)
		return 0;
	tis_write8(tis, TIS_STS, TIS_STS_COMMAND_READY);
	return tis_wait_status(tis, TIS_STS_COMMAND_READY,
			       tpms_chip_timeout(tis->chip, TPMS_TIMEOUT_B),
			       false);
}

static int tis_wait_burst(struct tis *tis, unsigned int *burst)
{
	unsigned long stop = jiffies +
			     tpms_chip_timeout(tis->chip, TPMS_TIMEOUT_D);

	do {
		*burst = tis_burst(tis);
		if (*burst)
			return 0;
		usleep_range(10, 20);
	} while (time_before(jiffies, stop));
	return -EBUSY;
}

/*
 * Write @len bytes to the FIFO, four at a time where the interface takes
 * transfers of more than one byte (INTF_CAPS), else one at a time.
 */
static void tis_fifo_write(struct tis *tis, const u8 *p, size_t len)
{
	while (tis->fifo_width == 4 && len >= 4) {
		iowrite32(get_unaligned_le32(p), tis->base + TIS_DATA_FIFO);
		p += 4;
		len -= 4;
	}
	while (len--)
		tis_write8(tis, TIS_DATA_FIFO, *p++);
}

static void tis_fifo_read(struct tis *tis, u8 *p, size_t len)
{
	while (tis->fifo_width == 4 && len >= 4) {
		put_unaligned_le32(ioread32(tis->base + TIS_DATA_FIFO), p);
		p += 4;
		len -= 4;
	}
	while (len--)
		*p++ = tis_read8(tis, TIS_DATA_FIFO);
}

static int tis_send(struct tpms_chip *chip, const u8 *buf, size_t len)
{
	struct tis *tis = tpms_chip_priv(chip);
	unsigned long c = tpms_chip_timeout(tis->chip, TPMS_TIMEOUT_C);
	unsigned int burst;
	size_t done = 0;
	int rc;

	/* the fence holds a runtime-PM reference: never suspended here */
	WARN_ONCE(!pm_runtime_active(tis->dev),
		  "%s: command while runtime-suspended\n", dev_name(tis->dev));
	rc = tis_ready(tis);
	if (rc) {
		dev_err_ratelimited(tis->dev, "TPM not ready for a command\n");
		return rc == -ETIME ? -EBUSY : rc;
	}
	/* all but the last byte; DATA_EXPECT must stay set */
	while (done < len - 1) {
		size_t n;

		rc = tis_wait_burst(tis, &burst);
		if (rc)
			goto fail;
		n = min_t(size_t, burst, len - 1 - done);
		tis_fifo_write(tis, buf + done, n);
		done += n;
		rc = tis_wait_status(tis, TIS_STS_VALID, c, false);
		if (rc)
			goto fail;
		if (!(tis_status(tis) & TIS_STS_DATA_EXPECT)) {
			rc = -EIO;
			goto fail;
		}
	}
	tis_write8(tis, TIS_DATA_FIFO, buf[len - 1]);
	rc = tis_wait_status(tis, TIS_STS_VALID, c, false);
	if (rc)
		goto fail;
	if (tis_status(tis) & TIS_STS_DATA_EXPECT) {
		rc = -EIO;
		goto fail;
	}
	tis_write8(tis, TIS_STS, TIS_STS_GO);
	return 0;

fail:
	dev_err_ratelimited(tis->dev, "sending the command failed: %d\n", rc);
	tis_write8(tis, TIS_STS, TIS_STS_COMMAND_READY);
	return rc == -ETIME ? -EIO : rc;
}

static int tis_wait(struct tpms_chip *chip, unsigned long timeout)
{
	return tis_wait_status(tpms_chip_priv(chip),
			       TIS_STS_VALID | TIS_STS_DATA_AVAIL, timeout, true);
}

/* Read @len bytes of the response, waiting for data between bursts. */
static int tis_read_bytes(struct tis *tis, u8 *p, size_t len)
{
	unsigned long c = tpms_chip_timeout(tis->chip, TPMS_TIMEOUT_C);
	unsigned int burst;
	int rc;

	while (len) {
		size_t n;

		rc = tis_wait_status(tis, TIS_STS_VALID | TIS_STS_DATA_AVAIL, c, false);
		if (rc)
			return rc;
		rc = tis_wait_burst(tis, &burst);
		if (rc)
			return rc;
		n = min_t(size_t, burst, len);
		tis_fifo_read(tis, p, n);
		p += n;
		len -= n;
	}
	return 0;
}

static int tis_recv_once(struct tis *tis, u8 *buf, size_t size)
{
	u32 len;
	int rc;

	rc = tis_read_bytes(tis, buf, TPMS_HDR);
	if (rc)
		return rc;
	len = tpms_hdr_len(buf);
	if (len < TPMS_HDR || len > size)
		return -EIO;
	rc = tis_read_bytes(tis, buf + TPMS_HDR,
			    len - TPMS_HDR);
	if (rc)
		return rc;
	rc = tis_wait_status(tis, TIS_STS_VALID,
			     tpms_chip_timeout(tis->chip, TPMS_TIMEOUT_C),
			     false);
	if (rc)
		return rc;
	if (tis_status(tis) & TIS_STS_DATA_AVAIL)
		return -EIO;		/* left-over data */
	return len;
}

static int tis_recv(struct tpms_chip *chip, u8 *buf, size_t size)
{
	struct tis *tis = tpms_chip_priv(chip);
	int rc = -EIO, i;

	for (i = 0; i < TIS_RECV_ATTEMPTS; i++) {
		rc = tis_recv_once(tis, buf, size);
		if (rc >= 0)
			break;
		/* ask the TPM to send the whole response again */
		tis_write8(tis, TIS_STS, TIS_STS_RESPONSE_RETRY);
	}
	if (rc < 0)
		dev_err_ratelimited(tis->dev, "bad response: %d\n", rc);
	tis_write8(tis, TIS_STS, TIS_STS_COMMAND_READY);
	return rc == -ETIME ? -EIO : rc;
}

static void tis_cancel(struct tpms_chip *chip)
{
	struct tis *tis = tpms_chip_priv(chip);

	tis_write8(tis, TIS_STS, TIS_STS_COMMAND_READY);
}

static void tis_abort(struct tpms_chip *chip)
{
	struct tis *tis = tpms_chip_priv(chip);

	wake_up_all(&tis->wq);
}

/*
 * Interrupts are armed only while the locality is ours: a status raised
 * after the locality is given up could not be cleared, and a level line
 * would storm.
 */
static int tis_power_up(struct tpms_chip *chip)
{
	struct tis *tis = tpms_chip_priv(chip);
	int rc = tis_request_locality(tis);

	if (rc)
		return rc;
	/* under irq_lock: the irq work may be freeing the handler */
	mutex_lock(&tis->irq_lock);
	if (tis->irq > 0 && !tis->int_armed) {
		WRITE_ONCE(tis->int_armed, true);
		tis_write32(tis, TIS_INT_ENABLE, tis->int_enable);
	}
	mutex_unlock(&tis->irq_lock);
	return 0;
}

/* Interrupts off at the device; the caller holds the locality. */
static void tis_int_disarm(struct tis *tis)
{
	tis_write32(tis, TIS_INT_ENABLE, tis->int_enable & TIS_INT_POLARITY);
	tis_write32(tis, TIS_INT_STATUS, ~0U);
	WRITE_ONCE(tis->int_armed, false);
}

static void tis_power_down(struct tpms_chip *chip)
{
	struct tis *tis = tpms_chip_priv(chip);

	mutex_lock(&tis->irq_lock);
	if (tis->int_armed)
		tis_int_disarm(tis);
	mutex_unlock(&tis->irq_lock);
	tis_relinquish_locality(tis);
}

static const struct tpms_backend_ops tis_ops = {
	.send = tis_send,
	.wait = tis_wait,
	.recv = tis_recv,
	.cancel = tis_cancel,
	.abort = tis_abort,
	.power_up = tis_power_up,
	.power_down = tis_power_down,
};

/* --- interrupts --- */

/* Count a status we cannot clear; a thousand within a second: a storm. */
static void tis_storm_check(struct tis *tis)
{
	if (time_after(jiffies, tis->storm_start + HZ)) {
		tis->storm_start = jiffies;
		tis->storm_count = 0;
	}
	if (++tis->storm_count == TIS_STORM_IRQS) {
		WRITE_ONCE(tis->storm, true);
		queue_work(system_unbound_wq, &tis->irq_work);
	}
}

/*
 * Ours is a status we could clear: IRQ_HANDLED.  No status bit set is not
 * ours (the line may be shared, and QEMU's level-triggered TIS line gives
 * about one such call per command).  A status we cannot clear (another
 * locality is active, or the TPM is gone) is not handled either: the
 * handler is freed from a work item after a storm of them, and until then
 * the kernel's spurious-interrupt check guards the line.  The line is
 * never disabled here: it may be shared.
 */
static irqreturn_t tis_isr(int irq, void *data)
{
	struct tis *tis = data;
	u32 st;

	/* disarmed: nothing of ours can be raised (another device's call) */
	if (!READ_ONCE(tis->int_armed))
		return IRQ_NONE;
	st = tis_read32(tis, TIS_INT_STATUS);
	if (!st)
		return IRQ_NONE;
	if (st != ~0U) {
		tis_write32(tis, TIS_INT_STATUS, st);
		if (!(tis_read32(tis, TIS_INT_STATUS) & st)) {
			WRITE_ONCE(tis->irq_seen, true);
			WRITE_ONCE(tis->irqs, tis->irqs + 1);
			wake_up_all(&tis->wq);
			return IRQ_HANDLED;
		}
	}
	tis_storm_check(tis);
	return IRQ_NONE;
}

/* Back to polling and the handler freed; irq_lock held. */
static void tis_irq_free(struct tis *tis)
{
	WRITE_ONCE(tis->irq, 0);
	wake_up_all(&tis->wq);	/* waiters go back to polling */
	free_irq(tis->irq_line, tis);
	tis->irq_line = 0;
}

/*
 * A storm, or interrupts lost: disarm the device (armed, it is ours: a
 * command holds the locality) and free the handler, in process context.
 * During the probe (interrupts not in use yet) the probe says why.
 */
static void tis_irq_work(struct work_struct *work)
{
	struct tis *tis = container_of(work, struct tis, irq_work);

	mutex_lock(&tis->irq_lock);
	if (tis->int_armed)
		tis_int_disarm(tis);
	if (tis->irq_line > 0) {
		if (READ_ONCE(tis->irq) > 0)
			dev_warn(tis->dev, "%s on IRQ %d: polling from now on\n",
				 READ_ONCE(tis->storm) ? "interrupt storm" :
				 "interrupts lost", tis->irq_line);
		tis_irq_free(tis);
	}
	WRITE_ONCE(tis->irq, 0);	/* never in use without a handler */
	mutex_unlock(&tis->irq_lock);
}

/* The handler freed if requested, and the work item done with. */
static void tis_irq_release(struct tis *tis)
{
	mutex_lock(&tis->irq_lock);
	if (tis->irq_line > 0)
		tis_irq_free(tis);
	mutex_unlock(&tis->irq_lock);
	/* no ISR runs any more: nothing can queue it again */
	cancel_work_sync(&tis->irq_work);
}

/*
 * At probe failure and remove, when no command can run: disarm the device
 * if the locality can be had, and release the handler whatever happens.
 */
static void tis_irq_off(struct tis *tis)
{
	if (tis->int_armed && !tis_request_locality(tis)) {
		tis_int_disarm(tis);
		tis_relinquish_locality(tis);
	}
	tis_irq_release(tis);
}

/*
 * Use @irq only if it fires: the caller holds the locality and the device
 * is disarmed.  Enable the interrupts, provoke a locality change, and wait
 * for one we can clear.  One log line either way.  Return: 0, or -EBUSY
 * when the locality is lost (then it is not held, and the handler freed).
 */
static int tis_irq_probe(struct tis *tis, int irq)
{
	int rc;

	/* INT_VECTOR holds a SERIRQ number */
	if (irq > 15) {
		dev_info(tis->dev, "IRQ %d is not a TIS vector (1 to 15): polling\n",
			 irq);
		return 0;
	}
	tis->storm_start = jiffies;
	mutex_lock(&tis->irq_lock);
	rc = request_irq(irq, tis_isr, IRQF_SHARED, TIS_NAME, tis);
	if (!rc)
		tis->irq_line = irq;	/* from here on, every exit frees it */
	mutex_unlock(&tis->irq_lock);
	if (rc) {
		dev_info(tis->dev, "cannot get IRQ %d (%d): polling\n", irq, rc);
		return 0;
	}
	tis_write8(tis, TIS_INT_VECTOR, irq);
	tis->int_enable = (tis_read32(tis, TIS_INT_ENABLE) & TIS_INT_POLARITY) |
			  TIS_INT_GLOBAL | TIS_INT_USED;
	WRITE_ONCE(tis->int_armed, true);
	tis_write32(tis, TIS_INT_ENABLE, tis->int_enable | TIS_INT_LOCALITY_CHANGE);
	/* give the locality up and take it again: a locality change */
	tis_relinquish_locality(tis);
	rc = tis_request_locality(tis);
	if (rc) {
		/*
		 * Not ours any more (logged once): nothing can be disarmed
		 * now; the next owner's probe disarms what is left.
		 */
		WRITE_ONCE(tis->int_armed, false);
		tis_irq_release(tis);
		return rc;
	}
	wait_event_timeout(tis->wq, READ_ONCE(tis->irq_seen),
			   msecs_to_jiffies(100));
	/* from now on only what fires while we hold it */
	tis_write32(tis, TIS_INT_ENABLE, tis->int_enable);
	/* under irq_lock: a storm's work item may have freed it meanwhile */
	mutex_lock(&tis->irq_lock);
	if (READ_ONCE(tis->irq_seen) && !READ_ONCE(tis->storm) &&
	    tis->irq_line > 0) {
		WRITE_ONCE(tis->irq, irq);
		mutex_unlock(&tis->irq_lock);
		dev_info(tis->dev, "using IRQ %d\n", irq);
		return 0;
	}
	mutex_unlock(&tis->irq_lock);
	dev_info(tis->dev, "IRQ %d %s: polling\n", irq,
		 READ_ONCE(tis->storm) ? "storms" : "does not fire");
	tis_int_disarm(tis);
	tis_irq_release(tis);
	return 0;
}

/* --- probe and remove, shared by the platform and PNP drivers --- */

static const char * const tis_xfer_names[] = {
	"legacy", "8-byte", "32-byte", "64-byte"
};

static void tis_remove_common(struct device *dev)
{
	struct tis *tis = dev_get_drvdata(dev);

	tpms_chip_unregister(tis->chip);
	pm_runtime_disable(dev);
	pm_runtime_dont_use_autosuspend(dev);
	tis_irq_off(tis);
	tis_relinquish_locality(tis);
	tpms_chip_put(tis->chip);
}

static int tis_probe_common(struct device *dev, struct resource *res,
			    int irq)
{
	struct tpms_chip *chip;
	struct tis *tis;
	u32 vid, caps;
	int rc;

	tis = devm_kzalloc(dev, sizeof(*tis), GFP_KERNEL);
	if (!tis)
		return -ENOMEM;
	tis->dev = dev;
	init_waitqueue_head(&tis->wq);
	mutex_init(&tis->irq_lock);
	INIT_WORK(&tis->irq_work, tis_irq_work);
	tis->base = devm_ioremap_resource(dev, res);
	if (IS_ERR(tis->base))
		return PTR_ERR(tis->base);	/* logged by devm */

	vid = tis_read32(tis, TIS_DID_VID);
	if (!vid || vid == ~0U) {
		dev_err(dev, "no TIS interface at %pR\n", res);
		return -ENODEV;
	}
	caps = tis_read32(tis, TIS_INTF_CAPS);
	tis->fifo_width = CAPS_XFER(caps) ? 4 : 1;

	chip = tpms_chip_alloc(dev, &tis_ops, tis,
			       TPMS_BACKEND_RUNTIME_PM | TPMS_BACKEND_FIRMWARE,
			       TPMS_NUM_ANY);
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	tis->chip = chip;
	dev_set_drvdata(dev, tis);

	/*
	 * The locality first: without it the TPM is not ours to use, and its
	 * interrupt registers take no writes.  Anything a previous owner left
	 * enabled or raised goes before a handler is requested.
	 */
	rc = tis_request_locality(tis);
	if (rc)
		goto err_put;
	tis->int_enable = tis_read32(tis, TIS_INT_ENABLE) & TIS_INT_POLARITY;
	tis_int_disarm(tis);
	if (irq > 0) {
		rc = tis_irq_probe(tis, irq);
		if (rc)
			goto err_put;
	}
	if (tis->int_armed)
		tis_int_disarm(tis);	/* armed by each power-up */
	tis_relinquish_locality(tis);

	/* system sleep runs the callbacks even from runtime suspend */
	dev_pm_set_driver_flags(dev, DPM_FLAG_NO_DIRECT_COMPLETE);
	pm_runtime_set_active(dev);
	pm_runtime_set_autosuspend_delay(dev, tis_autosuspend_ms);
	pm_runtime_use_autosuspend(dev);
	pm_runtime_enable(dev);

	rc = tpms_chip_register(chip);
	if (rc) {
		/* the chip is fenced already: the rest is the removal's */
		tis_remove_common(dev);
		return rc;
	}
	dev_info(dev, "%s: TIS device 0x%08x rev %u caps 0x%08x (%s transfers: %u-byte FIFO accesses), %s\n",
		 tpms_chip_name(chip), vid, tis_read8(tis, TIS_RID), caps,
		 tis_xfer_names[CAPS_XFER(caps)], tis->fifo_width,
		 tis->irq > 0 ? "interrupts" : "polling");
	return 0;

err_put:
	tpms_chip_put(chip);
	return rc;
}

/* Idle: the locality goes back; the TPM stays powered, its state kept. */
static int tis_runtime_suspend(struct device *dev)
{
	struct tis *tis = dev_get_drvdata(dev);

	atomic_inc(&tis->rpm_suspends);
	tis_relinquish_locality(tis);
	return 0;
}

static int tis_runtime_resume(struct device *dev)
{
	struct tis *tis = dev_get_drvdata(dev);

	atomic_inc(&tis->rpm_resumes);
	return 0;
}

static int tis_suspend(struct device *dev)
{
	struct tis *tis = dev_get_drvdata(dev);

	return tpms_chip_pm_suspend(tis->chip);
}

/*
 * Firmware may have reset the interface, or (after a hibernation image is
 * restored) left it armed: restore the vector, leave the device disarmed
 * with nothing raised, then go.  The next power-up arms it again.
 */
static int tis_resume(struct device *dev)
{
	struct tis *tis = dev_get_drvdata(dev);
	int irq;

	/* under irq_lock: a storm's work item cannot free the handler meanwhile */
	mutex_lock(&tis->irq_lock);
	irq = READ_ONCE(tis->irq);
	if (!tis_request_locality(tis)) {
		if (irq > 0)
			tis_write8(tis, TIS_INT_VECTOR, irq);
		tis_int_disarm(tis);
		tis_relinquish_locality(tis);
	}
	mutex_unlock(&tis->irq_lock);
	return tpms_chip_pm_resume(tis->chip);
}

/* Runtime-PM transitions, read-only, for tests and the curious. */
static ssize_t rpm_suspends_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct tis *tis = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&tis->rpm_suspends));
}
static DEVICE_ATTR_RO(rpm_suspends);

static ssize_t rpm_resumes_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct tis *tis = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&tis->rpm_resumes));
}
static DEVICE_ATTR_RO(rpm_resumes);

static struct attribute *tis_attrs[] = {
	&dev_attr_rpm_suspends.attr,
	&dev_attr_rpm_resumes.attr,
	NULL
};
ATTRIBUTE_GROUPS(tis);

static const struct dev_pm_ops tis_pm = {
	SET_SYSTEM_SLEEP_PM_OPS(tis_suspend, tis_resume)
	SET_RUNTIME_PM_OPS(tis_runtime_suspend, tis_runtime_resume, NULL)
};

#ifdef CONFIG_ACPI
/* MSFT0101 is also used by CRB TPMs: take it only for start method 6. */
static bool tis_acpi_is_mmio(struct device *dev)
{
	struct acpi_table_tpm2 *tbl;
	acpi_status st;
	bool mmio;

	if (!ACPI_COMPANION(dev))
		return true;
	st = acpi_get_table(ACPI_SIG_TPM2, 1, (struct acpi_table_header **)&tbl);
	if (ACPI_FAILURE(st)) {
		dev_err(dev, "no ACPI TPM2 table\n");
		return false;
	}
	mmio = tbl->start_method == ACPI_TPM2_MEMORY_MAPPED;
	if (!mmio)
		dev_info(dev, "TPM2 start method %u is not TIS/MMIO\n",
			 tbl->start_method);
	acpi_put_table((struct acpi_table_header *)tbl);
	return mmio;
}
#else
static bool tis_acpi_is_mmio(struct device *dev)
{
	return true;
}
#endif

static int tis_plat_probe(struct platform_device *pdev)
{
	struct resource *res;

	if (!tis_acpi_is_mmio(&pdev->dev))
		return -ENODEV;
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res) {
		dev_err(&pdev->dev, "no MMIO resource\n");
		return -ENODEV;
	}
	/*
	 * Out of the ACPI PM domain (only that one: with an ACPI companion
	 * the domain is ACPI's), left powered: its runtime suspend would
	 * put a TPM that has _PS3 into D3 after every idle spell, and a TPM
	 * that loses power loses its loaded objects and sessions, or needs
	 * TPM2_Startup before it answers again.  The bus core's detach at
	 * unbind then finds no domain.
	 */
	if (has_acpi_companion(&pdev->dev))
		dev_pm_domain_detach(&pdev->dev, false);
	return tis_probe_common(&pdev->dev, res, tis_irq);
}

static void tis_plat_remove_dev(struct platform_device *pdev)
{
	tis_remove_common(&pdev->dev);
}

TPMS_PLATFORM_REMOVE(tis_plat_remove, tis_plat_remove_dev)

static const struct acpi_device_id tis_acpi_ids[] = {
	{ "MSFT0101", 0 },
	{ }
};
MODULE_DEVICE_TABLE(acpi, tis_acpi_ids);

static const struct of_device_id tis_of_ids[] = {
	{ .compatible = "tcg,tpm-tis-mmio" },
	{ }
};
MODULE_DEVICE_TABLE(of, tis_of_ids);

static struct platform_driver tis_plat_driver = {
	.probe = tis_plat_probe,
	.remove = tis_plat_remove,
	.driver = {
		.name = TIS_NAME,
		.pm = &tis_pm,
		.dev_groups = tis_groups,
		.acpi_match_table = ACPI_PTR(tis_acpi_ids),
		.of_match_table = tis_of_ids,
	},
};

static int tis_pnp_probe(struct pnp_dev *pdev, const struct pnp_device_id *id)
{
	struct resource *res = pnp_get_resource(pdev, IORESOURCE_MEM, 0);

	if (!res) {
		dev_err(&pdev->dev, "no MMIO resource\n");
		return -ENODEV;
	}
	return tis_probe_common(&pdev->dev, res, tis_irq);
}

static void tis_pnp_remove(struct pnp_dev *pdev)
{
	tis_remove_common(&pdev->dev);
}

static const struct pnp_device_id tis_pnp_ids[] = {
	{ "PNP0C31", 0 },
	{ "" }
};
MODULE_DEVICE_TABLE(pnp, tis_pnp_ids);

static struct pnp_driver tis_pnp_driver = {
	.name = TIS_NAME,
	.id_table = tis_pnp_ids,
	.probe = tis_pnp_probe,
	.remove = tis_pnp_remove,
	.driver = {
		.pm = &tis_pm,
		.dev_groups = tis_groups,
	},
};

static struct platform_device *tis_forced;

int tpms_tis_init(void)
{
	struct resource res = DEFINE_RES_MEM(TIS_BASE, TIS_SIZE);
	int rc;

	rc = platform_driver_register(&tis_plat_driver);
	if (rc) {
		pr_err("cannot register driver %s: %d\n", TIS_NAME, rc);
		return rc;
	}
	rc = pnp_register_driver(&tis_pnp_driver);
	if (rc) {
		pr_err("cannot register PNP driver %s: %d\n", TIS_NAME, rc);
		goto err_plat;
	}
	if (tis_force && (acpi_dev_present("MSFT0101", NULL, -1) ||
			  acpi_dev_present("PNP0C31", NULL, -1))) {
		pr_info("force: the firmware lists a TPM; no device created\n");
	} else if (tis_force) {
		tis_forced = platform_device_register_simple(TIS_NAME, -1, &res,
							     1);
		if (IS_ERR(tis_forced)) {
			pr_err("force: cannot create %s: %ld\n", TIS_NAME,
			       PTR_ERR(tis_forced));
			tis_forced = NULL;
		}
	}
	return 0;

err_plat:
	platform_driver_unregister(&tis_plat_driver);
	return rc;
}

void tpms_tis_exit(void)
{
	if (tis_forced)
		platform_device_unregister(tis_forced);
	pnp_unregister_driver(&tis_pnp_driver);
	platform_driver_unregister(&tis_plat_driver);
}
