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
	return sysfs_emit(buf, "2\n");
}
static DEVICE_ATTR_RO(tpm_version_major);

static ssize_t timeouts_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);

	return sysfs_emit(buf, "%u %u %u %u\n",
			  jiffies_to_usecs(chip->timeout[0]),
			  jiffies_to_usecs(chip->timeout[1]),
			  jiffies_to_usecs(chip->timeout[2]),
			  jiffies_to_usecs(chip->timeout[3]));
}
static DEVICE_ATTR_RO(timeouts);

static ssize_t durations_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct tpms_chip *chip = to_tpms_chip(dev);

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
TPMS_STAT(refused_gone);
TPMS_STAT(refused_suspended);

static struct attribute *tpms_stats_attrs[] = {
	&dev_attr_commands.attr,
	&dev_attr_retries.attr,
	&dev_attr_err_timeout.attr,
	&dev_attr_err_io.attr,
	&dev_attr_err_gone.attr,
	&dev_attr_err_intr.attr,
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

#define TPMS_NR_PCRS	24

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

	chip->groups[n++] = &tpms_chip_group;
	chip->groups[n++] = &tpms_stats_group;
	for (i = 0; i < chip->nr_banks; i++)
		for (j = 0; j < ARRAY_SIZE(tpms_pcr_banks); j++)
			if (tpms_pcr_banks[j].alg == chip->banks[i])
				chip->groups[n++] = &tpms_pcr_banks[j].group;
	chip->groups[n] = NULL;
	chip->dev.groups = chip->groups;
}
