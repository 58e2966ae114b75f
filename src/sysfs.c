// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: sysfs attributes of /sys/class/tpm_safe/tpmsafeN.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * The groups are attached to the device before it is added, so they appear
 * with it in one step.  Attributes that talk to the TPM go through the
 * fence; device_del() drains readers before unregister goes on.
 */
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "tpms.h"

static ssize_t tpm_version_major_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);

	return sysfs_emit(buf, "%d\n",
			  test_bit(TPMS_F_TPM1, &chip->flags) ? 1 : 2);
}
static DEVICE_ATTR_RO(tpm_version_major);

static ssize_t timeouts_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);
	int len;

	len = sysfs_emit(buf, "%u %u %u %u",
			 jiffies_to_usecs(chip->timeout[0]),
			 jiffies_to_usecs(chip->timeout[1]),
			 jiffies_to_usecs(chip->timeout[2]),
			 jiffies_to_usecs(chip->timeout[3]));
	/* TPM 1.2: as the TPM reported them, or corrected */
	if (test_bit(TPMS_F_TPM1, &chip->flags))
		len += sysfs_emit_at(buf, len, " [%s]", chip->timeouts_adjusted ?
				     "adjusted" : "original");
	return len + sysfs_emit_at(buf, len, "\n");
}
static DEVICE_ATTR_RO(timeouts);

static ssize_t durations_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);

	/* TPM 1.2 has three, as reported or corrected */
	if (test_bit(TPMS_F_TPM1, &chip->flags))
		return sysfs_emit(buf, "%u %u %u [%s]\n",
				  jiffies_to_usecs(chip->duration[TPMS_DUR_SHORT]),
				  jiffies_to_usecs(chip->duration[TPMS_DUR_MEDIUM]),
				  jiffies_to_usecs(chip->duration[TPMS_DUR_LONG]),
				  chip->durations_adjusted ? "adjusted" :
				  "original");
	return sysfs_emit(buf, "%u %u %u %u\n",
			  jiffies_to_usecs(chip->duration[TPMS_DUR_SHORT]),
			  jiffies_to_usecs(chip->duration[TPMS_DUR_MEDIUM]),
			  jiffies_to_usecs(chip->duration[TPMS_DUR_LONG]),
			  jiffies_to_usecs(chip->duration[TPMS_DUR_LONG_LONG]));
}
static DEVICE_ATTR_RO(durations);

static struct attribute *tpms_chip_attrs[] = {
	&dev_attr_tpm_version_major.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_durations.attr,
	NULL
};

static const struct attribute_group tpms_chip_group = {
	.attrs = tpms_chip_attrs,
};

/*
 * TPM 1.2: upstream's set, each read one fence entry.  The bytes a command
 * returned live in chip->cmd_buf until the fence is left.
 */

/* "PCR-NN: " and the SHA-1 digest, each byte "XX ", for every PCR */
static ssize_t pcrs_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);
	u8 digest[TPM1_DIGEST_SIZE];
	unsigned int i, j;
	ssize_t rc;
	int len = 0;

	rc = tpms_get_ops(chip);
	if (rc)
		return rc;
	for (i = 0; i < chip->nr_pcrs && i < TPMS_NR_PCRS; i++) {
		rc = tpms_tpm1_pcr_read(chip, i, digest);
		if (rc)
			break;
		len += sysfs_emit_at(buf, len, "PCR-%02u: ", i);
		for (j = 0; j < TPM1_DIGEST_SIZE; j++)
			len += sysfs_emit_at(buf, len, "%02X ", digest[j]);
		len += sysfs_emit_at(buf, len, "\n");
	}
	tpms_put_ops(chip);
	if (rc > 0)
		dev_err_ratelimited(dev, "pcr read: TPM error 0x%zx\n", rc);
	return rc ? (rc < 0 ? rc : -EIO) : len;
}
static DEVICE_ATTR_RO(pcrs);

/*
 * The endorsement key's public part, as upstream prints it: the algorithm,
 * schemes and first 12 parameter bytes, then the modulus, 16 bytes a line
 * (lowercase hex, as %16ph).
 * The TPM refuses once owned (TPM_ReadPubek disabled): -EIO.
 */
static ssize_t pubek_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);
	const u8 *key, *alg, *enc, *sig, *parms, *mod;
	struct tpms_rd r;
	u32 pn, n, i;
	int len = 0, rc;

	rc = tpms_get_ops(chip);
	if (rc)
		return rc;
	rc = tpms_tpm1_read_pubek(chip, &key);
	if (rc < 0)
		goto out;
	tpms_rd_init(&r, key, rc);
	alg = tpms_rd_bytes(&r, 4);
	enc = tpms_rd_bytes(&r, 2);
	sig = tpms_rd_bytes(&r, 2);
	pn = tpms_rd_u32(&r);
	parms = tpms_rd_bytes(&r, pn);
	n = tpms_rd_u32(&r);
	mod = tpms_rd_bytes(&r, n);
	/* RSA parameters: keyLength, numPrimes, exponentSize (12 bytes) */
	if (r.bad || pn < 12 || n > 512) {
		dev_err_ratelimited(dev, "read pubek: malformed key\n");
		rc = -EIO;
		goto out;
	}
	len = sysfs_emit(buf, "Algorithm: %4ph\nEncscheme: %2ph\nSigscheme: %2ph\n"
			 "Parameters: %12ph\nModulus length: %u\nModulus:\n",
			 alg, enc, sig, parms, n);
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%02x%s", mod[i],
				     i % 16 == 15 ? "\n" : " ");
	if (n % 16)
		len += sysfs_emit_at(buf, len, "\n");
	rc = len;
out:
	tpms_put_ops(chip);
	return rc;
}
static DEVICE_ATTR_RO(pubek);

/* the manufacturer and the TCG and firmware versions */
static ssize_t caps_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);
	const u8 *d;
	u8 ver[4];
	u32 maker;
	int rc;

	rc = tpms_get_ops(chip);
	if (rc)
		return rc;
	rc = tpms_tpm1_get_cap(chip, TPM1_CAP_PROPERTY,
			       TPM1_CAP_PROP_MANUFACTURER, &d, 4, "caps");
	if (rc < 0)
		goto out;
	maker = get_unaligned_be32(d);
	rc = tpms_tpm1_version(chip, ver);
	if (rc < 0)
		goto out;
	rc = sysfs_emit(buf, "Manufacturer: 0x%x\nTCG version: %u.%u\n"
			"Firmware version: %u.%u\n", maker, ver[0], ver[1],
			ver[2], ver[3]);
out:
	tpms_put_ops(chip);
	return rc;
}
static DEVICE_ATTR_RO(caps);

/* one byte of a capability: a flag structure's field, or a BOOL property */
static ssize_t tpms_tpm1_flag_show(struct device *dev, char *buf, u32 cap,
				   u32 subcap, unsigned int offset, bool invert)
{
	struct tpms_chip *chip = to_tpms_chip(dev);
	const u8 *d;
	int rc;

	rc = tpms_get_ops(chip);
	if (rc)
		return rc;
	rc = tpms_tpm1_get_cap(chip, cap, subcap, &d, offset + 1, "flags");
	if (rc >= 0)
		rc = sysfs_emit(buf, "%d\n", !d[offset] != !invert);
	tpms_put_ops(chip);
	return rc;
}

/* TPM_PERMANENT_FLAGS: tag, disable, ownership, deactivated, ... */
static ssize_t enabled_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return tpms_tpm1_flag_show(dev, buf, TPM1_CAP_FLAG,
				   TPM1_CAP_FLAG_PERMANENT, 2, true);
}
static DEVICE_ATTR_RO(enabled);

static ssize_t active_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return tpms_tpm1_flag_show(dev, buf, TPM1_CAP_FLAG,
				   TPM1_CAP_FLAG_PERMANENT, 4, true);
}
static DEVICE_ATTR_RO(active);

static ssize_t owned_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return tpms_tpm1_flag_show(dev, buf, TPM1_CAP_PROPERTY,
				   TPM1_CAP_PROP_OWNER, 0, false);
}
static DEVICE_ATTR_RO(owned);

/* TPM_STCLEAR_FLAGS: tag, deactivated, ... */
static ssize_t temp_deactivated_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return tpms_tpm1_flag_show(dev, buf, TPM1_CAP_FLAG,
				   TPM1_CAP_FLAG_VOLATILE, 2, false);
}
static DEVICE_ATTR_RO(temp_deactivated);

/* cancel the command in flight (tpms_chip_cancel()) */
static ssize_t cancel_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	int rc = tpms_chip_cancel(to_tpms_chip(dev));

	return rc ? rc : count;
}
static DEVICE_ATTR_WO(cancel);

static struct attribute *tpms_tpm1_attrs[] = {
	&dev_attr_tpm_version_major.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_durations.attr,
	&dev_attr_pcrs.attr,
	&dev_attr_pubek.attr,
	&dev_attr_caps.attr,
	&dev_attr_enabled.attr,
	&dev_attr_active.attr,
	&dev_attr_owned.attr,
	&dev_attr_temp_deactivated.attr,
	&dev_attr_cancel.attr,
	NULL
};

static const struct attribute_group tpms_tpm1_group = {
	.attrs = tpms_tpm1_attrs,
};

#define TPMS_STAT(name)							\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct tpms_chip *chip = to_tpms_chip(dev);			\
									\
	return sysfs_emit(buf, "%lld\n",				\
			  (long long)atomic64_read(&chip->stats.name));	\
}									\
static DEVICE_ATTR_RO(name)

TPMS_STAT(commands);
TPMS_STAT(retries);
TPMS_STAT(err_timeout);
TPMS_STAT(err_io);
TPMS_STAT(err_gone);
TPMS_STAT(err_intr);
TPMS_STAT(cancelled);
TPMS_STAT(refused_gone);
TPMS_STAT(refused_suspended);

static struct attribute *tpms_stats_attrs[] = {
	&dev_attr_commands.attr,
	&dev_attr_retries.attr,
	&dev_attr_err_timeout.attr,
	&dev_attr_err_io.attr,
	&dev_attr_err_gone.attr,
	&dev_attr_err_intr.attr,
	&dev_attr_cancelled.attr,
	&dev_attr_refused_gone.attr,
	&dev_attr_refused_suspended.attr,
	NULL
};

static const struct attribute_group tpms_stats_group = {
	.name = "stats",
	.attrs = tpms_stats_attrs,
};

/* One file per PCR: pcr-<bank>/<index>, the digest in uppercase hex. */
struct tpms_pcr_attr {
	struct device_attribute attr;
	u16 alg;
	u8 size;
	u8 pcr;
};

static ssize_t tpms_pcr_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct tpms_pcr_attr *pa = container_of(attr, struct tpms_pcr_attr,
						attr);
	struct tpms_chip *chip = to_tpms_chip(dev);
	u8 digest[64];
	int rc, i, len = 0;

	rc = tpms_get_ops(chip);
	if (rc)
		return rc;
	rc = tpms_tpm2_pcr_read(chip, pa->alg, pa->pcr, digest,
				sizeof(digest));
	tpms_put_ops(chip);
	if (rc < 0)
		return rc;
	if (rc != pa->size) {
		dev_err_ratelimited(dev, "pcr read: %d-byte digest for bank 0x%04x\n",
				    rc, pa->alg);
		return -EIO;
	}
	for (i = 0; i < rc; i++)
		len += sysfs_emit_at(buf, len, "%02X", digest[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static const char * const tpms_pcr_names[TPMS_NR_PCRS] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11",
	"12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23",
};

/*
 * The banks a chip may show, with their digest sizes; their files are filled
 * in at module init.  A bank the TPM allocates but this table lacks gets no
 * files.
 */
static struct tpms_pcr_bank {
	u16 alg;
	u8 size;
	struct attribute_group group;
	struct tpms_pcr_attr pcrs[TPMS_NR_PCRS];
	struct attribute *attrs[TPMS_NR_PCRS + 1];
} tpms_pcr_banks[] = {
	{ .alg = 0x0004, .size = 20, .group.name = "pcr-sha1" },
	{ .alg = 0x000B, .size = 32, .group.name = "pcr-sha256" },
	{ .alg = 0x000C, .size = 48, .group.name = "pcr-sha384" },
	{ .alg = 0x000D, .size = 64, .group.name = "pcr-sha512" },
	{ .alg = 0x0012, .size = 32, .group.name = "pcr-sm3_256" },
};

/**
 * tpms_sysfs_init() - build the PCR attribute groups, once, before any chip
 */
void __init tpms_sysfs_init(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(tpms_pcr_banks); i++) {
		struct tpms_pcr_bank *bank = &tpms_pcr_banks[i];

		for (j = 0; j < TPMS_NR_PCRS; j++) {
			struct tpms_pcr_attr *pa = &bank->pcrs[j];

			sysfs_attr_init(&pa->attr.attr);
			pa->attr.attr.name = tpms_pcr_names[j];
			pa->attr.attr.mode = 0444;
			pa->attr.show = tpms_pcr_show;
			pa->alg = bank->alg;
			pa->size = bank->size;
			pa->pcr = j;
			bank->attrs[j] = &pa->attr.attr;
		}
		bank->group.attrs = bank->attrs;
	}
}

/**
 * tpms_sysfs_setup() - choose the groups a chip shows
 * @chip: the chip, before its device is added
 */
void tpms_sysfs_setup(struct tpms_chip *chip)
{
	unsigned int i, j, n = 0;

	chip->groups[n++] = test_bit(TPMS_F_TPM1, &chip->flags) ?
			    &tpms_tpm1_group : &tpms_chip_group;
	chip->groups[n++] = &tpms_stats_group;
	for (i = 0; i < chip->nr_banks; i++)
		for (j = 0; j < ARRAY_SIZE(tpms_pcr_banks); j++)
			if (tpms_pcr_banks[j].alg == chip->banks[i])
				chip->groups[n++] = &tpms_pcr_banks[j].group;
	chip->groups[n] = NULL;
	chip->dev.groups = chip->groups;
}
