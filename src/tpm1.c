// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: TPM 1.2 devices.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * This version drives TPM 2.0 only.  A TPM 1.2 is recognised by its
 * response tag and refused with one clear message, never misdriven as a
 * TPM 2.0.
 */
#include "tpms.h"

/**
 * tpms_tpm1_refuse() - report a TPM 1.2 and refuse it
 * @chip: the chip
 *
 * Return: -ENODEV.
 */
int tpms_tpm1_refuse(struct tpms_chip *chip)
{
	dev_err(chip->dev.parent,
		"TPM 1.2 device found: not supported by tpm_safe, leaving it alone\n");
	return -ENODEV;
}
