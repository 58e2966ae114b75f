// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the TPM as a hardware random number generator.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Registered last and unregistered first; hwrng_unregister() waits for
 * reads in progress, and each read goes through the fence; a read that
 * may not wait never queues behind another command.
 */
#include <linux/kernel.h>

#include "tpms.h"

/*
 * @wait false: the hwrng core is switching generators or serving an
 * O_NONBLOCK reader, with its global reading mutex held, so every reader
 * and every other hwrng waits with us: no data rather than waiting for a
 * command in flight or an unregister.
 */
static int tpms_hwrng_read(struct hwrng *rng, void *data, size_t max,
			   bool wait)
{
	struct tpms_chip *chip = container_of(rng, struct tpms_chip, hwrng);
	int rc;

	rc = tpms_get_ops_rng(chip, wait);
	if (rc)	/* suspended or busy: no data now */
		return rc == -EAGAIN || rc == -EBUSY ? 0 : rc;
	if (test_bit(TPMS_F_TPM1, &chip->flags))
		rc = tpms_tpm1_get_random(chip, data, max);
	else
		rc = tpms_tpm2_get_random(chip, data, max);
	tpms_put_ops(chip);
	return rc;
}

/**
 * tpms_hwrng_register() - offer the chip as hwrng "tpm-safe-rng-N"
 * @chip: a registered chip
 *
 * Return: 0 or the hwrng core's error (logged).
 */
int tpms_hwrng_register(struct tpms_chip *chip)
{
	int rc;

	snprintf(chip->hwrng_name, sizeof(chip->hwrng_name),
		 "tpm-safe-rng-%d", chip->num);
	chip->hwrng.name = chip->hwrng_name;
	chip->hwrng.read = tpms_hwrng_read;
	rc = hwrng_register(&chip->hwrng);
	if (rc)
		dev_err(&chip->dev, "cannot register hwrng %s: %d\n",
			chip->hwrng_name, rc);
	return rc;
}

void tpms_hwrng_unregister(struct tpms_chip *chip)
{
	hwrng_unregister(&chip->hwrng);
}
