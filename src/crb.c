// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the Command Response Buffer interface (TCG PC Client PTP, CRB),
 * as in firmware TPMs (Intel PTT, AMD fTPM), Hyper-V and QEMU's
 * -device tpm-crb.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Matches ACPI MSFT0101 when the TPM2 table's start method is CRB (7) or
 * CRB with an ACPI start method (8); TIS devices stay with tpm_safe_tis.
 * The kernel's built-in tpm_crb keeps a device it holds: the device moves
 * between the two drivers through the sysfs unbind/bind files.
 *
 * The control area and the command and response buffers come from the TPM2
 * table and the control area itself; each must lie inside the device's
 * memory resources, have room for at least a header, and not overlap the
 * others (command and response may be one buffer).  Anything else is
 * refused at probe with one message.
 *
 * Power: a command sequence requests locality 0 and, when the TPM idles,
 * cmdReady; the locality goes back after it.  Runtime suspend (after the
 * autosuspend delay) sends goIdle.  System sleep: TPM2_Shutdown(STATE) and
 * goIdle; resume: cmdReady unless the device is runtime-suspended.  With
 * the ACPI start method (8) the firmware handles power: no goIdle, no
 * cmdReady.  Completion is polled: QEMU's CRB has no interrupt.
 */

#include <linux/acpi.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/pm_domain.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>

#include "tpms.h"

#define CRB_NAME		"tpm_safe_crb"

/* locality 0 registers, at the start of the device's first resource */
#define CRB_LOC_STATE		0x00
#define CRB_LOC_CTRL		0x08
#define CRB_LOC_STS		0x0C
#define CRB_INTF_ID		0x30
#define CRB_REGS_SIZE		0x40

#define LOC_STATE_ASSIGNED	BIT(1)
#define LOC_STATE_ACTIVE	GENMASK(4, 2)	/* the active locality */
#define LOC_STATE_VALID		BIT(7)
#define LOC_CTRL_REQUEST	BIT(0)
#define LOC_CTRL_RELINQUISH	BIT(1)
#define LOC_STS_GRANTED		BIT(0)

/* the control area, at the TPM2 table's control address */
#define CRB_CTRL_REQ		0x00
#define CRB_CTRL_STS		0x04
#define CRB_CTRL_CANCEL		0x08
#define CRB_CTRL_START		0x0C
#define CRB_CTRL_CMD_SIZE	0x18
#define CRB_CTRL_CMD_LADDR	0x1C
#define CRB_CTRL_CMD_HADDR	0x20
#define CRB_CTRL_RSP_SIZE	0x24
#define CRB_CTRL_RSP_ADDR	0x28	/* 64 bits */
#define CRB_CTRL_SIZE		0x30

#define REQ_CMD_READY		BIT(0)
#define REQ_GO_IDLE		BIT(1)
#define STS_ERROR		BIT(0)	/* tpmSts: a fatal error */
#define STS_IDLE		BIT(1)
#define START_INVOKE		BIT(0)
#define CANCEL_INVOKE		BIT(0)

/* TPM2 table start methods (ACPI_TPM2_COMMAND_BUFFER...) */
#define CRB_SM_CRB		7
#define CRB_SM_CRB_ACPI		8

/* TPM 2.0 interface timeouts (PTP), in ms */
#define CRB_TIMEOUT_A		750
#define CRB_TIMEOUT_B		4000
#define CRB_TIMEOUT_C		200

#define CRB_MAX_RES		4

/* the _DSM that starts a command (CRB with ACPI start) */
static const guid_t crb_start_guid =
	GUID_INIT(0x6BBF6CAB, 0x5463, 0x4714,
		  0xB7, 0xCD, 0xF0, 0x20, 0x3C, 0x03, 0x68, 0xD4);
#define CRB_START_DSM_REV	1
#define CRB_START_DSM_FN	1

static unsigned int crb_autosuspend_ms = 200;
module_param_named(crb_autosuspend_ms, crb_autosuspend_ms, uint, 0644);
MODULE_PARM_DESC(crb_autosuspend_ms, "Runtime-PM autosuspend delay of CRB devices, before goIdle (default 200)");

#ifdef TPMS_TEST
/*
 * Test builds only: replace the buffer layout read from the control area,
 * "cmd_pa:cmd_size:rsp_pa:rsp_size" in hex, to present what QEMU never
 * does (a buffer outside the resource, of size 0, or overlapping another).
 */
static char *crb_test_layout;
module_param_named(crb_test_layout, crb_test_layout, charp, 0444);
MODULE_PARM_DESC(crb_test_layout, "Test builds: override the CRB buffer layout (cmd_pa:cmd_size:rsp_pa:rsp_size, hex)");

/* and the start method, to drive QEMU's CRB as one with an ACPI start (8) */
static unsigned int crb_test_sm;
module_param_named(crb_test_sm, crb_test_sm, uint, 0444);
MODULE_PARM_DESC(crb_test_sm, "Test builds: take this start method instead of the TPM2 table's");
#endif

struct crb_buf {
	u64 pa;
	u32 size;
};

struct crb {
	struct device *dev;
	struct tpms_chip *chip;
	void __iomem *regs;		/* locality registers */
	void __iomem *ctrl;		/* control area */
	void __iomem *cmd;
	void __iomem *rsp;
	u32 cmd_size;
	u32 rsp_size;
	u32 sm;				/* start method */
	u64 resv_pa;			/* locality registers and control area */
	u32 resv_size;
	bool busy;			/* a command of ours holds START */
	struct resource *res[CRB_MAX_RES];
	void __iomem *map[CRB_MAX_RES];
	unsigned int nr_res;
	atomic_t rpm_suspends;
	atomic_t rpm_resumes;
	atomic_t go_idles;
	atomic_t cmd_readys;
};

static u32 crb_ctrl_read(struct crb *crb, u32 reg)
{
	return ioread32(crb->ctrl + reg);
}

static void crb_ctrl_write(struct crb *crb, u32 reg, u32 v)
{
	iowrite32(v, crb->ctrl + reg);
}

/* does the TPM take cmdReady and goIdle (not with the ACPI start method) */
static bool crb_has_idle(struct crb *crb)
{
	return crb->sm == CRB_SM_CRB;
}

/* what ends a poll early, besides its condition and its timeout */
enum crb_poll_mode {
	CRB_POLL_PLAIN,		/* nothing */
	CRB_POLL_ABORT,		/* the chip torn down: -ENODEV */
	CRB_POLL_CMD,		/* that, a fatal signal (-EINTR), tpmSts (-EIO) */
};

/*
 * Poll until (@reg & @mask) == @value, or @timeout jiffies: 10-20 us sleeps
 * for the first 200 us, then up to 100-200 us, then 1 ms.
 */
static int crb_poll(struct crb *crb, u32 reg, u32 mask, u32 value,
		    unsigned long timeout, enum crb_poll_mode mode)
{
	unsigned long stop = jiffies + timeout;
	unsigned int slept_us = 0;

	for (;;) {
		if ((crb_ctrl_read(crb, reg) & mask) == value)
			return 0;
		if (mode != CRB_POLL_PLAIN && tpms_chip_aborting(crb->chip))
			return -ENODEV;
		if (mode == CRB_POLL_CMD &&
		    (crb_ctrl_read(crb, CRB_CTRL_STS) & STS_ERROR))
			return -EIO;
		if (time_after(jiffies, stop))
			return -ETIME;
		if (mode == CRB_POLL_CMD && tpms_chip_killed(crb->chip))
			return -EINTR;
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

/*
 * Locality 0 is ours: assigned, valid, active locality 0.  The ACPI start
 * method (8) has no locality registers: always ours.
 */
static bool crb_locality_held(struct crb *crb)
{
	u32 st;

	if (!crb->regs)
		return true;
	st = ioread32(crb->regs + CRB_LOC_STATE);
	return (st & (LOC_STATE_ASSIGNED | LOC_STATE_VALID |
		      LOC_STATE_ACTIVE)) ==
	       (LOC_STATE_ASSIGNED | LOC_STATE_VALID);
}

/* Locality 0 is not ours: none assigned, or another one active. */
static bool crb_locality_gone(struct crb *crb)
{
	u32 st = ioread32(crb->regs + CRB_LOC_STATE);

	return !(st & LOC_STATE_ASSIGNED) || (st & LOC_STATE_ACTIVE);
}

/* Give locality 0 up and wait until the TPM has taken it back. */
static void crb_relinquish_locality(struct crb *crb)
{
	unsigned long stop = jiffies + msecs_to_jiffies(CRB_TIMEOUT_C);

	if (!crb->regs || crb_locality_gone(crb))
		return;
	iowrite32(LOC_CTRL_RELINQUISH, crb->regs + CRB_LOC_CTRL);
	while (!crb_locality_gone(crb)) {
		if (time_after(jiffies, stop)) {
			dev_err_ratelimited(crb->dev, "locality 0 not given up (state 0x%08x)\n",
					    ioread32(crb->regs + CRB_LOC_STATE));
			return;
		}
		usleep_range(20, 50);
	}
}

static int crb_request_locality(struct crb *crb)
{
	unsigned long stop = jiffies + msecs_to_jiffies(CRB_TIMEOUT_A);

	if (crb_locality_held(crb))
		return 0;
	iowrite32(LOC_CTRL_REQUEST, crb->regs + CRB_LOC_CTRL);
	do {
		if ((ioread32(crb->regs + CRB_LOC_STS) & LOC_STS_GRANTED) &&
		    crb_locality_held(crb))
			return 0;
		usleep_range(20, 50);
	} while (time_before(jiffies, stop));
	dev_err_ratelimited(crb->dev, "locality 0 not granted (state 0x%08x)\n",
			    ioread32(crb->regs + CRB_LOC_STATE));
	/*
	 * Withdrawn, so that the TPM does not grant it later to nobody:
	 * written whatever LOC_STATE says (not granted means not assigned).
	 */
	iowrite32(LOC_CTRL_RELINQUISH, crb->regs + CRB_LOC_CTRL);
	return -EBUSY;
}

/*
 * cmdReady (sent whatever tpmIdle says: some TPMs report it late), counted
 * when the TPM reported idle; the caller holds the locality.
 */
static int crb_cmd_ready(struct crb *crb)
{
	bool idle;
	int rc;

	if (!crb_has_idle(crb))
		return 0;
	idle = crb_ctrl_read(crb, CRB_CTRL_STS) & STS_IDLE;
	crb_ctrl_write(crb, CRB_CTRL_REQ, REQ_CMD_READY);
	rc = crb_poll(crb, CRB_CTRL_REQ, REQ_CMD_READY, 0,
		      msecs_to_jiffies(CRB_TIMEOUT_C), CRB_POLL_PLAIN);
	if (!rc && (crb_ctrl_read(crb, CRB_CTRL_STS) & STS_IDLE))
		rc = -ETIME;
	if (rc) {
		dev_err_ratelimited(crb->dev, "cmdReady not taken: %d\n", rc);
		return -EBUSY;
	}
	if (idle)
		atomic_inc(&crb->cmd_readys);
	return 0;
}

/* goIdle, unless idle already; the caller holds the locality */
static void crb_go_idle(struct crb *crb)
{
	if (!crb_has_idle(crb) || (crb_ctrl_read(crb, CRB_CTRL_STS) & STS_IDLE))
		return;
	crb_ctrl_write(crb, CRB_CTRL_REQ, REQ_GO_IDLE);
	if (crb_poll(crb, CRB_CTRL_REQ, REQ_GO_IDLE, 0,
		     msecs_to_jiffies(CRB_TIMEOUT_C), CRB_POLL_PLAIN)) {
		dev_err_ratelimited(crb->dev, "goIdle not taken\n");
		return;
	}
	atomic_inc(&crb->go_idles);
}

/* goIdle with the locality taken for it and given back (not in a command) */
static void crb_idle(struct crb *crb)
{
	if (!crb_request_locality(crb)) {
		crb_go_idle(crb);
		crb_relinquish_locality(crb);
	}
}

#ifdef CONFIG_ACPI
static int crb_acpi_start(struct crb *crb)
{
	union acpi_object *obj;

	int rc = -ENXIO;

	obj = acpi_evaluate_dsm(ACPI_HANDLE(crb->dev), &crb_start_guid,
				CRB_START_DSM_REV, CRB_START_DSM_FN, NULL);
	if (!obj)
		return rc;
	/* started: an integer 0 */
	if (obj->type == ACPI_TYPE_INTEGER && obj->integer.value == 0)
		rc = 0;
	ACPI_FREE(obj);
	return rc;
}
#else
static int crb_acpi_start(struct crb *crb)
{
	return -ENXIO;
}
#endif

static int crb_send(struct tpms_chip *chip, const u8 *buf, size_t len)
{
	struct crb *crb = tpms_chip_priv(chip);
	int rc;

	/* the fence holds a runtime-PM reference: never suspended here */
	WARN_ONCE(!pm_runtime_active(crb->dev),
		  "%s: command while runtime-suspended\n", dev_name(crb->dev));
	if (len > crb->cmd_size)
		return -E2BIG;	/* the core refuses it first */
	/* a cancelled command the TPM has not given up yet */
	if (crb_ctrl_read(crb, CRB_CTRL_START) & START_INVOKE) {
		rc = crb_poll(crb, CRB_CTRL_START, START_INVOKE, 0,
			      msecs_to_jiffies(CRB_TIMEOUT_C), CRB_POLL_ABORT);
		if (rc) {
			dev_err_ratelimited(crb->dev, "TPM still busy with a cancelled command\n");
			return rc == -ENODEV ? rc : -EBUSY;
		}
		crb->busy = false;
	}
	/* a cancel left set would cancel this command */
	crb_ctrl_write(crb, CRB_CTRL_CANCEL, 0);
	memcpy_toio(crb->cmd, buf, len);
	/* the whole command is in the buffer before the TPM is told */
	wmb();
	crb_ctrl_write(crb, CRB_CTRL_START, START_INVOKE);
	crb->busy = true;
	if (crb->sm == CRB_SM_CRB_ACPI) {
		rc = crb_acpi_start(crb);
		if (rc) {
			/*
			 * A TPM that took the START write anyway runs the
			 * command still: the core's cancel ends it
			 */
			crb->busy = crb_ctrl_read(crb, CRB_CTRL_START) &
				    START_INVOKE;
			dev_err_ratelimited(crb->dev, "ACPI start method failed: %d\n",
					    rc);
			return -EIO;
		}
	}
	return 0;
}

static int crb_wait(struct tpms_chip *chip, unsigned long timeout)
{
	struct crb *crb = tpms_chip_priv(chip);
	int rc;

	rc = crb_poll(crb, CRB_CTRL_START, START_INVOKE, 0, timeout,
		      CRB_POLL_CMD);
	if (rc == -EIO) {
		dev_err_ratelimited(crb->dev, "TPM reports a fatal error\n");
		return rc;
	}
	if (rc)
		return rc;
	crb->busy = false;
	if (crb_ctrl_read(crb, CRB_CTRL_STS) & STS_ERROR) {
		dev_err_ratelimited(crb->dev, "TPM reports a fatal error\n");
		return -EIO;
	}
	return 0;
}

static int crb_recv(struct tpms_chip *chip, u8 *buf, size_t size)
{
	struct crb *crb = tpms_chip_priv(chip);
	u32 len;

	if (size < TPMS_HDR)
		return -EIO;
	memcpy_fromio(buf, crb->rsp, TPMS_HDR);
	len = tpms_hdr_len(buf);
	if (len < TPMS_HDR || len > size || len > crb->rsp_size) {
		dev_err_ratelimited(crb->dev, "bad response size %u\n", len);
		return -EIO;
	}
	memcpy_fromio(buf + TPMS_HDR, crb->rsp + TPMS_HDR,
		      len - TPMS_HDR);
	return len;
}

/*
 * Ask the TPM to abandon our command in flight; it clears START when it
 * has.  One that does not within TIMEOUT_B (or before the chip is torn
 * down) fails the next send with -EBUSY.  Nothing in flight: nothing to do.
 */
static void crb_cancel(struct tpms_chip *chip)
{
	struct crb *crb = tpms_chip_priv(chip);

	if (!crb->busy)
		return;
	if (!(crb_ctrl_read(crb, CRB_CTRL_START) & START_INVOKE)) {
		crb->busy = false;
		return;
	}
	crb_ctrl_write(crb, CRB_CTRL_CANCEL, CANCEL_INVOKE);
	if (crb->sm == CRB_SM_CRB_ACPI && crb_acpi_start(crb))
		dev_err_ratelimited(crb->dev, "ACPI start method failed at cancel\n");
	if (!crb_poll(crb, CRB_CTRL_START, START_INVOKE, 0,
		      msecs_to_jiffies(CRB_TIMEOUT_B), CRB_POLL_ABORT))
		crb->busy = false;
	else
		dev_err_ratelimited(crb->dev, "cancel not taken\n");
}

static int crb_power_up(struct tpms_chip *chip)
{
	struct crb *crb = tpms_chip_priv(chip);
	int rc;

	rc = crb_request_locality(crb);
	if (rc)
		return rc;
	rc = crb_cmd_ready(crb);
	if (rc)
		crb_relinquish_locality(crb);
	return rc;
}

static void crb_power_down(struct tpms_chip *chip)
{
	crb_relinquish_locality(tpms_chip_priv(chip));
}

static const struct tpms_backend_ops crb_ops = {
	.send = crb_send,
	.wait = crb_wait,
	.recv = crb_recv,
	.cancel = crb_cancel,
	.power_up = crb_power_up,
	.power_down = crb_power_down,
};

/* --- the layout: control area and buffers inside the resources --- */

/* the mapping of the resource that holds [@pa, @pa + @size), or NULL */
static void __iomem *crb_map(struct crb *crb, u64 pa, u32 size)
{
	unsigned int i;

	for (i = 0; i < crb->nr_res; i++) {
		struct resource *r = crb->res[i];

		if (pa < r->start || size > resource_size(r) ||
		    pa - r->start > resource_size(r) - size)
			continue;
		if (!crb->map[i]) {
			crb->map[i] = devm_ioremap_resource(crb->dev, r);
			if (IS_ERR(crb->map[i])) {
				void __iomem *err = crb->map[i];

				crb->map[i] = NULL;
				return err;
			}
		}
		return crb->map[i] + (pa - r->start);
	}
	return NULL;
}

/* [a, a + alen) and [b, b + blen) share a byte (no sum can wrap) */
static bool crb_overlap(u64 a, u32 alen, u64 b, u32 blen)
{
	return a >= b ? a - b < blen : b - a < alen;
}

static int crb_check_buf(struct crb *crb, const char *what,
			 const struct crb_buf *b)
{
	if (b->size < TPMS_HDR) {
		dev_err(crb->dev, "%s buffer at %#llx has size %u: firmware bug, not used\n",
			what, b->pa, b->size);
		return -ENODEV;
	}
	if (crb_overlap(b->pa, b->size, crb->resv_pa, crb->resv_size)) {
		dev_err(crb->dev, "%s buffer [%#llx+%#x] overlaps the control area or the locality registers [%#llx+%#x]: firmware bug, not used\n",
			what, b->pa, b->size, crb->resv_pa, crb->resv_size);
		return -ENODEV;
	}
	return 0;
}

/*
 * Start method 7: locality 0's registers sit just before the control area,
 * and both must lie in one resource.  Start method 8 has no locality
 * registers: the control area alone.
 */
static int crb_map_ctrl(struct crb *crb, u64 ctrl_pa)
{
	void __iomem *p;

	if (crb->sm == CRB_SM_CRB) {
		if (ctrl_pa < CRB_REGS_SIZE) {
			dev_err(crb->dev, "control area at %#llx leaves no room for the locality registers: firmware bug, not used\n",
				ctrl_pa);
			return -ENODEV;
		}
		crb->resv_pa = ctrl_pa - CRB_REGS_SIZE;
		crb->resv_size = CRB_REGS_SIZE + CRB_CTRL_SIZE;
	} else {
		crb->resv_pa = ctrl_pa;
		crb->resv_size = CRB_CTRL_SIZE;
	}
	p = crb_map(crb, crb->resv_pa, crb->resv_size);
	if (IS_ERR(p))
		return PTR_ERR(p);	/* logged by devm */
	if (!p) {
		dev_err(crb->dev, "control area%s [%#llx+%#x] is outside the device's memory: firmware bug, not used\n",
			crb->sm == CRB_SM_CRB ? " and locality registers" : "",
			crb->resv_pa, crb->resv_size);
		return -ENODEV;
	}
	if (crb->sm == CRB_SM_CRB) {
		crb->regs = p;
		crb->ctrl = p + CRB_REGS_SIZE;
	} else {
		crb->ctrl = p;
	}
	return 0;
}

/*
 * The buffer addresses may read as zero while the TPM idles (upstream saw
 * it on Intel PTT): they are read with the locality held, after cmdReady.
 * A START an earlier owner left set is cancelled.
 */
static int crb_read_layout(struct crb *crb, struct crb_buf *cmd,
			   struct crb_buf *rsp)
{
	int rc;

	rc = crb_request_locality(crb);
	if (rc)
		return rc;
	rc = crb_cmd_ready(crb);
	if (rc)
		goto out;
	cmd->pa = ((u64)crb_ctrl_read(crb, CRB_CTRL_CMD_HADDR) << 32) |
		  crb_ctrl_read(crb, CRB_CTRL_CMD_LADDR);
	cmd->size = crb_ctrl_read(crb, CRB_CTRL_CMD_SIZE);
	rsp->pa = ((u64)crb_ctrl_read(crb, CRB_CTRL_RSP_ADDR + 4) << 32) |
		  crb_ctrl_read(crb, CRB_CTRL_RSP_ADDR);
	rsp->size = crb_ctrl_read(crb, CRB_CTRL_RSP_SIZE);
	if (crb_ctrl_read(crb, CRB_CTRL_START) & START_INVOKE) {
		crb_ctrl_write(crb, CRB_CTRL_CANCEL, CANCEL_INVOKE);
		/* the ACPI start method's firmware looks only when called */
		if (crb->sm == CRB_SM_CRB_ACPI)
			crb_acpi_start(crb);
		if (crb_poll(crb, CRB_CTRL_START, START_INVOKE, 0,
			     msecs_to_jiffies(CRB_TIMEOUT_B), CRB_POLL_PLAIN)) {
			dev_err(crb->dev, "a command left by an earlier owner does not end\n");
			rc = -EBUSY;
		}
	}
	crb_ctrl_write(crb, CRB_CTRL_CANCEL, 0);
	if (rc)
		crb_go_idle(crb);
out:
	crb_relinquish_locality(crb);
	return rc;
}

#ifdef TPMS_TEST
static void crb_test_override(struct crb *crb, struct crb_buf *cmd,
			      struct crb_buf *rsp)
{
	struct crb_buf c, r;

	if (!crb_test_layout || !*crb_test_layout)
		return;
	if (sscanf(crb_test_layout, "%llx:%x:%llx:%x", &c.pa, &c.size,
		   &r.pa, &r.size) != 4) {
		dev_err(crb->dev, "test layout '%s' not understood\n",
			crb_test_layout);
		return;
	}
	*cmd = c;
	*rsp = r;
	dev_info(crb->dev, "test layout: command %#llx+%#x, response %#llx+%#x\n",
		 cmd->pa, cmd->size, rsp->pa, rsp->size);
}

static u32 crb_test_start_method(struct device *dev, u32 sm)
{
	if (!crb_test_sm)
		return sm;
	dev_info(dev, "test start method %u (the TPM2 table says %u)\n",
		 crb_test_sm, sm);
	return crb_test_sm;
}
#else
static void crb_test_override(struct crb *crb, struct crb_buf *cmd,
			      struct crb_buf *rsp)
{
}

static u32 crb_test_start_method(struct device *dev, u32 sm)
{
	return sm;
}
#endif

static int crb_setup(struct crb *crb, u64 ctrl_pa)
{
	struct crb_buf cmd, rsp;
	void __iomem *p;
	int rc;

	rc = crb_map_ctrl(crb, ctrl_pa);
	if (!rc)
		rc = crb_read_layout(crb, &cmd, &rsp);
	if (rc)
		return rc;
	crb_test_override(crb, &cmd, &rsp);
	rc = crb_check_buf(crb, "command", &cmd);
	if (!rc)
		rc = crb_check_buf(crb, "response", &rsp);
	if (rc)
		goto err_idle;
	/* one buffer for both, or two apart */
	if (cmd.pa == rsp.pa) {
		cmd.size = min(cmd.size, rsp.size);
		rsp.size = cmd.size;
	} else if (crb_overlap(cmd.pa, cmd.size, rsp.pa, rsp.size)) {
		dev_err(crb->dev, "command [%#llx+%#x] and response [%#llx+%#x] buffers overlap: firmware bug, not used\n",
			cmd.pa, cmd.size, rsp.pa, rsp.size);
		rc = -ENODEV;
		goto err_idle;
	}
	p = crb_map(crb, cmd.pa, cmd.size);
	if (IS_ERR(p)) {
		rc = PTR_ERR(p);
		goto err_idle;
	}
	crb->cmd = p;
	p = crb_map(crb, rsp.pa, rsp.size);
	if (IS_ERR(p)) {
		rc = PTR_ERR(p);
		goto err_idle;
	}
	crb->rsp = p;
	if (!crb->cmd || !crb->rsp) {
		dev_err(crb->dev, "%s buffer [%#llx+%#x] is outside the device's memory: firmware bug, not used\n",
			crb->cmd ? "response" : "command",
			crb->cmd ? rsp.pa : cmd.pa,
			crb->cmd ? rsp.size : cmd.size);
		rc = -ENODEV;
		goto err_idle;
	}
	crb->cmd_size = cmd.size;
	crb->rsp_size = rsp.size;
	return 0;

err_idle:
	/* the layout was read after cmdReady: the TPM is left idle */
	crb_idle(crb);
	return rc;
}

static int crb_probe_common(struct device *dev, u32 sm, u64 ctrl_pa)
{
	struct platform_device *pdev = to_platform_device(dev);
	struct tpms_chip *chip;
	struct crb *crb;
	int rc;

	crb = devm_kzalloc(dev, sizeof(*crb), GFP_KERNEL);
	if (!crb)
		return -ENOMEM;
	crb->dev = dev;
	crb->sm = sm;
	while (crb->nr_res < CRB_MAX_RES) {
		struct resource *r;

		r = platform_get_resource(pdev, IORESOURCE_MEM, crb->nr_res);
		if (!r)
			break;
		crb->res[crb->nr_res++] = r;
	}
	if (!crb->nr_res) {
		dev_err(dev, "no MMIO resource\n");
		return -ENODEV;
	}
	rc = crb_setup(crb, ctrl_pa);
	if (rc)
		return rc;

	chip = tpms_chip_alloc(dev, &crb_ops, crb,
			       TPMS_BACKEND_RUNTIME_PM | TPMS_BACKEND_TPM2_ONLY |
			       TPMS_BACKEND_FIRMWARE, TPMS_NUM_ANY);
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	crb->chip = chip;
	tpms_chip_set_max_cmd(chip, crb->cmd_size);
	dev_set_drvdata(dev, crb);

	/* as tpm_safe_tis: out of the ACPI PM domain, never powered off */
	dev_pm_set_driver_flags(dev, DPM_FLAG_NO_DIRECT_COMPLETE);
	pm_runtime_set_active(dev);
	pm_runtime_set_autosuspend_delay(dev, crb_autosuspend_ms);
	pm_runtime_use_autosuspend(dev);
	pm_runtime_enable(dev);

	rc = tpms_chip_register(chip);
	if (rc) {
		pm_runtime_disable(dev);
		pm_runtime_dont_use_autosuspend(dev);
		crb_idle(crb);
		tpms_chip_put(chip);
		return rc;
	}
	dev_info(dev, "%s: CRB device, interface 0x%08x, start method %u, command %u / response %u bytes%s, polling\n",
		 tpms_chip_name(chip),
		 crb->regs ? ioread32(crb->regs + CRB_INTF_ID) : 0, sm,
		 crb->cmd_size, crb->rsp_size,
		 crb->cmd == crb->rsp ? " (one buffer)" : "");
	return 0;
}

static void crb_remove_common(struct device *dev)
{
	struct crb *crb = dev_get_drvdata(dev);

	tpms_chip_unregister(crb->chip);
	pm_runtime_disable(dev);
	pm_runtime_dont_use_autosuspend(dev);
	crb_idle(crb);
	tpms_chip_put(crb->chip);
}

/* Idle: goIdle; the TPM keeps its state. */
static int crb_runtime_suspend(struct device *dev)
{
	struct crb *crb = dev_get_drvdata(dev);

	atomic_inc(&crb->rpm_suspends);
	crb_idle(crb);
	return 0;
}

/* cmdReady follows in the fence's power-up */
static int crb_runtime_resume(struct device *dev)
{
	struct crb *crb = dev_get_drvdata(dev);

	atomic_inc(&crb->rpm_resumes);
	return 0;
}

static int crb_suspend(struct device *dev)
{
	struct crb *crb = dev_get_drvdata(dev);
	int rc;

	rc = tpms_chip_pm_suspend(crb->chip);
	if (rc)
		return rc;
	crb_idle(crb);
	return 0;
}

static int crb_resume(struct device *dev)
{
	struct crb *crb = dev_get_drvdata(dev);

	if (!pm_runtime_status_suspended(dev) && !crb_request_locality(crb)) {
		crb_cmd_ready(crb);
		crb_relinquish_locality(crb);
	}
	return tpms_chip_pm_resume(crb->chip);
}

/* Counters, read-only, for tests and the curious: one show for all. */
struct crb_count_attr {
	struct device_attribute attr;
	size_t off;			/* of the atomic_t in struct crb */
};

static ssize_t crb_count_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct crb *crb = dev_get_drvdata(dev);
	size_t off = container_of(attr, struct crb_count_attr, attr)->off;

	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)((u8 *)crb + off)));
}

#define CRB_COUNT(_name) {						\
	.attr = __ATTR(_name, 0444, crb_count_show, NULL),		\
	.off = offsetof(struct crb, _name),				\
}

static struct crb_count_attr crb_counts[] = {
	CRB_COUNT(rpm_suspends),
	CRB_COUNT(rpm_resumes),
	CRB_COUNT(go_idles),
	CRB_COUNT(cmd_readys),
};

static struct attribute *crb_attrs[] = {
	&crb_counts[0].attr.attr,
	&crb_counts[1].attr.attr,
	&crb_counts[2].attr.attr,
	&crb_counts[3].attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(crb);

static const struct dev_pm_ops crb_pm = {
	SET_SYSTEM_SLEEP_PM_OPS(crb_suspend, crb_resume)
	SET_RUNTIME_PM_OPS(crb_runtime_suspend, crb_runtime_resume, NULL)
};

#ifdef CONFIG_ACPI
static int crb_plat_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct acpi_device *adev = ACPI_COMPANION(dev);
	struct acpi_table_tpm2 *tbl;
	acpi_status st;
	u64 ctrl_pa;
	u32 sm;

	if (!adev)
		return -ENODEV;
	st = acpi_get_table(ACPI_SIG_TPM2, 1, (struct acpi_table_header **)&tbl);
	if (ACPI_FAILURE(st)) {
		dev_err(dev, "no ACPI TPM2 table\n");
		return -ENODEV;
	}
	if (tbl->header.length < sizeof(*tbl)) {
		dev_err(dev, "ACPI TPM2 table too short (%u bytes): firmware bug, not used\n",
			tbl->header.length);
		acpi_put_table((struct acpi_table_header *)tbl);
		return -ENODEV;
	}
	sm = tbl->start_method;
	ctrl_pa = tbl->control_address;
	acpi_put_table((struct acpi_table_header *)tbl);
	sm = crb_test_start_method(dev, sm);
	if (sm != CRB_SM_CRB && sm != CRB_SM_CRB_ACPI) {
		dev_info(dev, "TPM2 start method %u is not CRB\n", sm);
		return -ENODEV;
	}
	/* the built-in tpm_crb binds the ACPI device itself */
	if (adev->dev.driver) {
		dev_info(dev, "in use by %s; unbind it there first\n",
			 adev->dev.driver->name);
		return -ENODEV;
	}
	/* as tpm_safe_tis: a TPM in D3 would lose its objects and sessions */
	dev_pm_domain_detach(dev, false);
	return crb_probe_common(dev, sm, ctrl_pa);
}
#else
static int crb_plat_probe(struct platform_device *pdev)
{
	return -ENODEV;
}
#endif

static void crb_plat_remove_dev(struct platform_device *pdev)
{
	crb_remove_common(&pdev->dev);
}

TPMS_PLATFORM_REMOVE(crb_plat_remove, crb_plat_remove_dev)

static const struct acpi_device_id crb_acpi_ids[] = {
	{ "MSFT0101", 0 },
	{ }
};
MODULE_DEVICE_TABLE(acpi, crb_acpi_ids);

static struct platform_driver crb_plat_driver = {
	.probe = crb_plat_probe,
	.remove = crb_plat_remove,
	.driver = {
		.name = CRB_NAME,
		.pm = &crb_pm,
		.dev_groups = crb_groups,
		.acpi_match_table = ACPI_PTR(crb_acpi_ids),
	},
};

int tpms_crb_init(void)
{
	int rc = platform_driver_register(&crb_plat_driver);

	if (rc)
		pr_err("cannot register driver %s: %d\n", CRB_NAME, rc);
	return rc;
}

void tpms_crb_exit(void)
{
	platform_driver_unregister(&crb_plat_driver);
}
