/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_safe: the interface between the chip core and its backends.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * A backend (TIS MMIO, the swtpm character-device proxy) allocates a chip
 * under its own parent device, registers it, and unregisters it from its
 * remove callback.  The core calls the backend only from inside its fence
 * (chip reference, ops_sem read-held, ops checked, chip locked, not
 * suspended, powered up), so no backend callback can run after
 * tpms_chip_unregister() has returned.
 */
#ifndef TPMS_BACKEND_H
#define TPMS_BACKEND_H

#include <linux/types.h>
#include <linux/wait.h>

struct tpms_chip;
struct device;

/**
 * struct tpms_backend_ops - what a backend implements
 * @send:     hand one whole command (@len bytes) to the device.
 * @wait:     wait until the response is ready or @timeout (jiffies) ran
 *            out.  Returns 0 when ready, -ETIME on timeout, -ENODEV when
 *            the device went away or the chip is being torn down
 *            (see tpms_chip_aborting()), -EINTR on a fatal signal (only
 *            while tpms_chip_killable(); otherwise wait unkillable, idle).
 * @recv:     copy the response into @buf (@size bytes available).  Returns
 *            its length or a negative errno.
 * @cancel:   abandon the command in flight (after a timeout or an error);
 *            the device must be ready for the next command afterwards.
 * @abort:    optional.  Called by unregister (before it removes the hwrng
 *            and the char device, and again before it takes the write
 *            lock) and by the reboot hook of a chip not yet stopped: wake
 *            every waiter blocked on the device so that it re-checks
 *            tpms_chip_aborting().  Must not sleep for long.
 * @power_up: optional.  Called inside the fence before a command sequence
 *            (request locality, commandReady).
 * @power_down: optional.  Called inside the fence after it (goIdle,
 *            relinquish locality).
 */
struct tpms_backend_ops {
	int (*send)(struct tpms_chip *chip, const u8 *buf, size_t len);
	int (*wait)(struct tpms_chip *chip, unsigned long timeout);
	int (*recv)(struct tpms_chip *chip, u8 *buf, size_t size);
	void (*cancel)(struct tpms_chip *chip);
	void (*abort)(struct tpms_chip *chip);
	int (*power_up)(struct tpms_chip *chip);
	void (*power_down)(struct tpms_chip *chip);
};

/* The TIS timeouts A..D (tpms_chip_timeout()). */
enum tpms_timeout {
	TPMS_TIMEOUT_A,
	TPMS_TIMEOUT_B,
	TPMS_TIMEOUT_C,
	TPMS_TIMEOUT_D,
};

/* Flags a backend passes to tpms_chip_alloc(). */
#define TPMS_BACKEND_RUNTIME_PM	BIT(0)	/* parent does runtime PM */
#define TPMS_BACKEND_NO_SLEEP_IO BIT(1)	/* cannot serve during system sleep */
/*
 * A process serves it: its start-up commands (state restore, a starved
 * server) get the 120 s default duration; the server leaving wakes them.
 */
#define TPMS_BACKEND_SLOW_START	BIT(2)
/* the interface exists for TPM 2.0 only (CRB): a TPM 1.2 answer is refused */
#define TPMS_BACKEND_TPM2_ONLY	BIT(3)
/* firmware describes the device (ACPI, or a forced TIS): its event log */
#define TPMS_BACKEND_FIRMWARE	BIT(4)
/*
 * TPM 2.0 started with Startup(CLEAR) alone, no TPM2_SelfTest: the TPM
 * tests each algorithm before its first use (a software TPM, whose full
 * self test costs more than the rest of its start-up together)
 */
#define TPMS_BACKEND_NO_SELFTEST	BIT(5)

/* tpms_chip_alloc()'s @num: any free chip number */
#define TPMS_NUM_ANY	(-1)

int tpms_chip_num_reserve(void);
void tpms_chip_num_unreserve(int num);
struct tpms_chip *tpms_chip_alloc(struct device *parent,
				  const struct tpms_backend_ops *ops,
				  void *priv, unsigned int flags, int num);
void tpms_chip_set_max_cmd(struct tpms_chip *chip, size_t max);
int tpms_chip_register(struct tpms_chip *chip);
void tpms_chip_unregister(struct tpms_chip *chip);
void tpms_chip_put(struct tpms_chip *chip);

void *tpms_chip_priv(struct tpms_chip *chip);
int tpms_chip_num(struct tpms_chip *chip);
const char *tpms_chip_name(struct tpms_chip *chip);
bool tpms_chip_aborting(struct tpms_chip *chip);
unsigned long tpms_chip_timeout(struct tpms_chip *chip, enum tpms_timeout t);
bool tpms_chip_killable(struct tpms_chip *chip);
bool tpms_chip_killed(struct tpms_chip *chip);

int tpms_chip_pm_suspend(struct tpms_chip *chip);
int tpms_chip_pm_resume(struct tpms_chip *chip);

#endif /* TPMS_BACKEND_H */
