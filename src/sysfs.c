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
	for (i = 0; i < rc; i++)
		len += sysfs_emit_at(buf, len, "%02X", digest[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

#define TPMS_PCR_ATTR(bank, id, n)					\
static struct tpms_pcr_attr tpms_pcr_##bank##_##n = {			\
	.attr = __ATTR(n, 0444, tpms_pcr_show, NULL),			\
	.alg = id,							\
	.pcr = n,							\
}

TPMS_PCR_ATTR(sha1, 0x0004, 0);
TPMS_PCR_ATTR(sha1, 0x0004, 1);
TPMS_PCR_ATTR(sha1, 0x0004, 2);
TPMS_PCR_ATTR(sha1, 0x0004, 3);
TPMS_PCR_ATTR(sha1, 0x0004, 4);
TPMS_PCR_ATTR(sha1, 0x0004, 5);
TPMS_PCR_ATTR(sha1, 0x0004, 6);
TPMS_PCR_ATTR(sha1, 0x0004, 7);
TPMS_PCR_ATTR(sha1, 0x0004, 8);
TPMS_PCR_ATTR(sha1, 0x0004, 9);
TPMS_PCR_ATTR(sha1, 0x0004, 10);
TPMS_PCR_ATTR(sha1, 0x0004, 11);
TPMS_PCR_ATTR(sha1, 0x0004, 12);
TPMS_PCR_ATTR(sha1, 0x0004, 13);
TPMS_PCR_ATTR(sha1, 0x0004, 14);
TPMS_PCR_ATTR(sha1, 0x0004, 15);
TPMS_PCR_ATTR(sha1, 0x0004, 16);
TPMS_PCR_ATTR(sha1, 0x0004, 17);
TPMS_PCR_ATTR(sha1, 0x0004, 18);
TPMS_PCR_ATTR(sha1, 0x0004, 19);
TPMS_PCR_ATTR(sha1, 0x0004, 20);
TPMS_PCR_ATTR(sha1, 0x0004, 21);
TPMS_PCR_ATTR(sha1, 0x0004, 22);
TPMS_PCR_ATTR(sha1, 0x0004, 23);

static struct attribute *tpms_pcr_sha1_attrs[] = {
	&tpms_pcr_sha1_0.attr.attr,
	&tpms_pcr_sha1_1.attr.attr,
	&tpms_pcr_sha1_2.attr.attr,
	&tpms_pcr_sha1_3.attr.attr,
	&tpms_pcr_sha1_4.attr.attr,
	&tpms_pcr_sha1_5.attr.attr,
	&tpms_pcr_sha1_6.attr.attr,
	&tpms_pcr_sha1_7.attr.attr,
	&tpms_pcr_sha1_8.attr.attr,
	&tpms_pcr_sha1_9.attr.attr,
	&tpms_pcr_sha1_10.attr.attr,
	&tpms_pcr_sha1_11.attr.attr,
	&tpms_pcr_sha1_12.attr.attr,
	&tpms_pcr_sha1_13.attr.attr,
	&tpms_pcr_sha1_14.attr.attr,
	&tpms_pcr_sha1_15.attr.attr,
	&tpms_pcr_sha1_16.attr.attr,
	&tpms_pcr_sha1_17.attr.attr,
	&tpms_pcr_sha1_18.attr.attr,
	&tpms_pcr_sha1_19.attr.attr,
	&tpms_pcr_sha1_20.attr.attr,
	&tpms_pcr_sha1_21.attr.attr,
	&tpms_pcr_sha1_22.attr.attr,
	&tpms_pcr_sha1_23.attr.attr,
	NULL
};

static const struct attribute_group tpms_pcr_sha1_group = {
	.name = "pcr-sha1",
	.attrs = tpms_pcr_sha1_attrs,
};

TPMS_PCR_ATTR(sha256, 0x000B, 0);
TPMS_PCR_ATTR(sha256, 0x000B, 1);
TPMS_PCR_ATTR(sha256, 0x000B, 2);
TPMS_PCR_ATTR(sha256, 0x000B, 3);
TPMS_PCR_ATTR(sha256, 0x000B, 4);
TPMS_PCR_ATTR(sha256, 0x000B, 5);
TPMS_PCR_ATTR(sha256, 0x000B, 6);
TPMS_PCR_ATTR(sha256, 0x000B, 7);
TPMS_PCR_ATTR(sha256, 0x000B, 8);
TPMS_PCR_ATTR(sha256, 0x000B, 9);
TPMS_PCR_ATTR(sha256, 0x000B, 10);
TPMS_PCR_ATTR(sha256, 0x000B, 11);
TPMS_PCR_ATTR(sha256, 0x000B, 12);
TPMS_PCR_ATTR(sha256, 0x000B, 13);
TPMS_PCR_ATTR(sha256, 0x000B, 14);
TPMS_PCR_ATTR(sha256, 0x000B, 15);
TPMS_PCR_ATTR(sha256, 0x000B, 16);
TPMS_PCR_ATTR(sha256, 0x000B, 17);
TPMS_PCR_ATTR(sha256, 0x000B, 18);
TPMS_PCR_ATTR(sha256, 0x000B, 19);
TPMS_PCR_ATTR(sha256, 0x000B, 20);
TPMS_PCR_ATTR(sha256, 0x000B, 21);
TPMS_PCR_ATTR(sha256, 0x000B, 22);
TPMS_PCR_ATTR(sha256, 0x000B, 23);

static struct attribute *tpms_pcr_sha256_attrs[] = {
	&tpms_pcr_sha256_0.attr.attr,
	&tpms_pcr_sha256_1.attr.attr,
	&tpms_pcr_sha256_2.attr.attr,
	&tpms_pcr_sha256_3.attr.attr,
	&tpms_pcr_sha256_4.attr.attr,
	&tpms_pcr_sha256_5.attr.attr,
	&tpms_pcr_sha256_6.attr.attr,
	&tpms_pcr_sha256_7.attr.attr,
	&tpms_pcr_sha256_8.attr.attr,
	&tpms_pcr_sha256_9.attr.attr,
	&tpms_pcr_sha256_10.attr.attr,
	&tpms_pcr_sha256_11.attr.attr,
	&tpms_pcr_sha256_12.attr.attr,
	&tpms_pcr_sha256_13.attr.attr,
	&tpms_pcr_sha256_14.attr.attr,
	&tpms_pcr_sha256_15.attr.attr,
	&tpms_pcr_sha256_16.attr.attr,
	&tpms_pcr_sha256_17.attr.attr,
	&tpms_pcr_sha256_18.attr.attr,
	&tpms_pcr_sha256_19.attr.attr,
	&tpms_pcr_sha256_20.attr.attr,
	&tpms_pcr_sha256_21.attr.attr,
	&tpms_pcr_sha256_22.attr.attr,
	&tpms_pcr_sha256_23.attr.attr,
	NULL
};

static const struct attribute_group tpms_pcr_sha256_group = {
	.name = "pcr-sha256",
	.attrs = tpms_pcr_sha256_attrs,
};

TPMS_PCR_ATTR(sha384, 0x000C, 0);
TPMS_PCR_ATTR(sha384, 0x000C, 1);
TPMS_PCR_ATTR(sha384, 0x000C, 2);
TPMS_PCR_ATTR(sha384, 0x000C, 3);
TPMS_PCR_ATTR(sha384, 0x000C, 4);
TPMS_PCR_ATTR(sha384, 0x000C, 5);
TPMS_PCR_ATTR(sha384, 0x000C, 6);
TPMS_PCR_ATTR(sha384, 0x000C, 7);
TPMS_PCR_ATTR(sha384, 0x000C, 8);
TPMS_PCR_ATTR(sha384, 0x000C, 9);
TPMS_PCR_ATTR(sha384, 0x000C, 10);
TPMS_PCR_ATTR(sha384, 0x000C, 11);
TPMS_PCR_ATTR(sha384, 0x000C, 12);
TPMS_PCR_ATTR(sha384, 0x000C, 13);
TPMS_PCR_ATTR(sha384, 0x000C, 14);
TPMS_PCR_ATTR(sha384, 0x000C, 15);
TPMS_PCR_ATTR(sha384, 0x000C, 16);
TPMS_PCR_ATTR(sha384, 0x000C, 17);
TPMS_PCR_ATTR(sha384, 0x000C, 18);
TPMS_PCR_ATTR(sha384, 0x000C, 19);
TPMS_PCR_ATTR(sha384, 0x000C, 20);
TPMS_PCR_ATTR(sha384, 0x000C, 21);
TPMS_PCR_ATTR(sha384, 0x000C, 22);
TPMS_PCR_ATTR(sha384, 0x000C, 23);

static struct attribute *tpms_pcr_sha384_attrs[] = {
	&tpms_pcr_sha384_0.attr.attr,
	&tpms_pcr_sha384_1.attr.attr,
	&tpms_pcr_sha384_2.attr.attr,
	&tpms_pcr_sha384_3.attr.attr,
	&tpms_pcr_sha384_4.attr.attr,
	&tpms_pcr_sha384_5.attr.attr,
	&tpms_pcr_sha384_6.attr.attr,
	&tpms_pcr_sha384_7.attr.attr,
	&tpms_pcr_sha384_8.attr.attr,
	&tpms_pcr_sha384_9.attr.attr,
	&tpms_pcr_sha384_10.attr.attr,
	&tpms_pcr_sha384_11.attr.attr,
	&tpms_pcr_sha384_12.attr.attr,
	&tpms_pcr_sha384_13.attr.attr,
	&tpms_pcr_sha384_14.attr.attr,
	&tpms_pcr_sha384_15.attr.attr,
	&tpms_pcr_sha384_16.attr.attr,
	&tpms_pcr_sha384_17.attr.attr,
	&tpms_pcr_sha384_18.attr.attr,
	&tpms_pcr_sha384_19.attr.attr,
	&tpms_pcr_sha384_20.attr.attr,
	&tpms_pcr_sha384_21.attr.attr,
	&tpms_pcr_sha384_22.attr.attr,
	&tpms_pcr_sha384_23.attr.attr,
	NULL
};

static const struct attribute_group tpms_pcr_sha384_group = {
	.name = "pcr-sha384",
	.attrs = tpms_pcr_sha384_attrs,
};

TPMS_PCR_ATTR(sha512, 0x000D, 0);
TPMS_PCR_ATTR(sha512, 0x000D, 1);
TPMS_PCR_ATTR(sha512, 0x000D, 2);
TPMS_PCR_ATTR(sha512, 0x000D, 3);
TPMS_PCR_ATTR(sha512, 0x000D, 4);
TPMS_PCR_ATTR(sha512, 0x000D, 5);
TPMS_PCR_ATTR(sha512, 0x000D, 6);
TPMS_PCR_ATTR(sha512, 0x000D, 7);
TPMS_PCR_ATTR(sha512, 0x000D, 8);
TPMS_PCR_ATTR(sha512, 0x000D, 9);
TPMS_PCR_ATTR(sha512, 0x000D, 10);
TPMS_PCR_ATTR(sha512, 0x000D, 11);
TPMS_PCR_ATTR(sha512, 0x000D, 12);
TPMS_PCR_ATTR(sha512, 0x000D, 13);
TPMS_PCR_ATTR(sha512, 0x000D, 14);
TPMS_PCR_ATTR(sha512, 0x000D, 15);
TPMS_PCR_ATTR(sha512, 0x000D, 16);
TPMS_PCR_ATTR(sha512, 0x000D, 17);
TPMS_PCR_ATTR(sha512, 0x000D, 18);
TPMS_PCR_ATTR(sha512, 0x000D, 19);
TPMS_PCR_ATTR(sha512, 0x000D, 20);
TPMS_PCR_ATTR(sha512, 0x000D, 21);
TPMS_PCR_ATTR(sha512, 0x000D, 22);
TPMS_PCR_ATTR(sha512, 0x000D, 23);

static struct attribute *tpms_pcr_sha512_attrs[] = {
	&tpms_pcr_sha512_0.attr.attr,
	&tpms_pcr_sha512_1.attr.attr,
	&tpms_pcr_sha512_2.attr.attr,
	&tpms_pcr_sha512_3.attr.attr,
	&tpms_pcr_sha512_4.attr.attr,
	&tpms_pcr_sha512_5.attr.attr,
	&tpms_pcr_sha512_6.attr.attr,
	&tpms_pcr_sha512_7.attr.attr,
	&tpms_pcr_sha512_8.attr.attr,
	&tpms_pcr_sha512_9.attr.attr,
	&tpms_pcr_sha512_10.attr.attr,
	&tpms_pcr_sha512_11.attr.attr,
	&tpms_pcr_sha512_12.attr.attr,
	&tpms_pcr_sha512_13.attr.attr,
	&tpms_pcr_sha512_14.attr.attr,
	&tpms_pcr_sha512_15.attr.attr,
	&tpms_pcr_sha512_16.attr.attr,
	&tpms_pcr_sha512_17.attr.attr,
	&tpms_pcr_sha512_18.attr.attr,
	&tpms_pcr_sha512_19.attr.attr,
	&tpms_pcr_sha512_20.attr.attr,
	&tpms_pcr_sha512_21.attr.attr,
	&tpms_pcr_sha512_22.attr.attr,
	&tpms_pcr_sha512_23.attr.attr,
	NULL
};

static const struct attribute_group tpms_pcr_sha512_group = {
	.name = "pcr-sha512",
	.attrs = tpms_pcr_sha512_attrs,
};

TPMS_PCR_ATTR(sm3_256, 0x0012, 0);
TPMS_PCR_ATTR(sm3_256, 0x0012, 1);
TPMS_PCR_ATTR(sm3_256, 0x0012, 2);
TPMS_PCR_ATTR(sm3_256, 0x0012, 3);
TPMS_PCR_ATTR(sm3_256, 0x0012, 4);
TPMS_PCR_ATTR(sm3_256, 0x0012, 5);
TPMS_PCR_ATTR(sm3_256, 0x0012, 6);
TPMS_PCR_ATTR(sm3_256, 0x0012, 7);
TPMS_PCR_ATTR(sm3_256, 0x0012, 8);
TPMS_PCR_ATTR(sm3_256, 0x0012, 9);
TPMS_PCR_ATTR(sm3_256, 0x0012, 10);
TPMS_PCR_ATTR(sm3_256, 0x0012, 11);
TPMS_PCR_ATTR(sm3_256, 0x0012, 12);
TPMS_PCR_ATTR(sm3_256, 0x0012, 13);
TPMS_PCR_ATTR(sm3_256, 0x0012, 14);
TPMS_PCR_ATTR(sm3_256, 0x0012, 15);
TPMS_PCR_ATTR(sm3_256, 0x0012, 16);
TPMS_PCR_ATTR(sm3_256, 0x0012, 17);
TPMS_PCR_ATTR(sm3_256, 0x0012, 18);
TPMS_PCR_ATTR(sm3_256, 0x0012, 19);
TPMS_PCR_ATTR(sm3_256, 0x0012, 20);
TPMS_PCR_ATTR(sm3_256, 0x0012, 21);
TPMS_PCR_ATTR(sm3_256, 0x0012, 22);
TPMS_PCR_ATTR(sm3_256, 0x0012, 23);

static struct attribute *tpms_pcr_sm3_256_attrs[] = {
	&tpms_pcr_sm3_256_0.attr.attr,
	&tpms_pcr_sm3_256_1.attr.attr,
	&tpms_pcr_sm3_256_2.attr.attr,
	&tpms_pcr_sm3_256_3.attr.attr,
	&tpms_pcr_sm3_256_4.attr.attr,
	&tpms_pcr_sm3_256_5.attr.attr,
	&tpms_pcr_sm3_256_6.attr.attr,
	&tpms_pcr_sm3_256_7.attr.attr,
	&tpms_pcr_sm3_256_8.attr.attr,
	&tpms_pcr_sm3_256_9.attr.attr,
	&tpms_pcr_sm3_256_10.attr.attr,
	&tpms_pcr_sm3_256_11.attr.attr,
	&tpms_pcr_sm3_256_12.attr.attr,
	&tpms_pcr_sm3_256_13.attr.attr,
	&tpms_pcr_sm3_256_14.attr.attr,
	&tpms_pcr_sm3_256_15.attr.attr,
	&tpms_pcr_sm3_256_16.attr.attr,
	&tpms_pcr_sm3_256_17.attr.attr,
	&tpms_pcr_sm3_256_18.attr.attr,
	&tpms_pcr_sm3_256_19.attr.attr,
	&tpms_pcr_sm3_256_20.attr.attr,
	&tpms_pcr_sm3_256_21.attr.attr,
	&tpms_pcr_sm3_256_22.attr.attr,
	&tpms_pcr_sm3_256_23.attr.attr,
	NULL
};

static const struct attribute_group tpms_pcr_sm3_256_group = {
	.name = "pcr-sm3_256",
	.attrs = tpms_pcr_sm3_256_attrs,
};

static const struct {
	u16 alg;
	const struct attribute_group *group;
} tpms_pcr_groups[] = {
	{ 0x0004, &tpms_pcr_sha1_group },
	{ 0x000B, &tpms_pcr_sha256_group },
	{ 0x000C, &tpms_pcr_sha384_group },
	{ 0x000D, &tpms_pcr_sha512_group },
	{ 0x0012, &tpms_pcr_sm3_256_group },
};

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
		for (j = 0; j < ARRAY_SIZE(tpms_pcr_groups); j++)
			if (tpms_pcr_groups[j].alg == chip->banks[i])
				chip->groups[n++] = tpms_pcr_groups[j].group;
	chip->groups[n] = NULL;
	chip->dev.groups = chip->groups;
}
