// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the TPM 2.0 commands the driver issues itself.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * All of them run inside the fence and use chip->cmd_buf, which the chip
 * lock protects.
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "tpms.h"

#define TPM2_CC_HIERARCHY_CONTROL	0x121
#define TPM2_CC_CLEAR			0x126
#define TPM2_CC_HIERARCHY_CHANGE_AUTH	0x129
#define TPM2_CC_CREATE_PRIMARY		0x131
#define TPM2_CC_SEQUENCE_COMPLETE	0x13E
#define TPM2_CC_SELF_TEST		0x143
#define TPM2_CC_STARTUP			0x144
#define TPM2_CC_SHUTDOWN		0x145
#define TPM2_CC_NV_READ			0x14E
#define TPM2_CC_CREATE			0x153
#define TPM2_CC_SEQUENCE_UPDATE		0x15C
#define TPM2_CC_VERIFY_SIGNATURE	0x177
#define TPM2_CC_GET_RANDOM		0x17B
#define TPM2_CC_PCR_READ		0x17E
#define TPM2_CC_PCR_EXTEND		0x182
#define TPM2_CC_EVENT_SEQUENCE_COMPLETE	0x185
#define TPM2_CC_CREATE_LOADED		0x191

#define TPM2_CAP_PCRS			5
#define TPM2_CAP_TPM_PROPERTIES		6
#define TPM2_PT_TOTAL_COMMANDS		0x129

/* Fixed TPM 2.0 timeouts and durations (PTP spec), in milliseconds. */
static const unsigned int tpms_tpm2_duration_ms[] = {
	[TPMS_DUR_SHORT] = 20,
	[TPMS_DUR_MEDIUM] = 750,
	[TPMS_DUR_LONG] = 2000,
	[TPMS_DUR_LONG_LONG] = 300000,
};

static const unsigned int tpms_tpm2_timeout_ms[] = { 750, 4000, 200, 30 };
/* before the family is known: the longer of TIS 1.2's maxima and PTP's */
static const unsigned int tpms_probe_timeout_ms[] = { 750, 4000, 750, 750 };
#define TPMS_TPM2_DURATION_DEFAULT_MS	120000

void tpms_tpm2_set_durations(struct tpms_chip *chip)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tpms_tpm2_timeout_ms); i++)
		chip->timeout[i] = msecs_to_jiffies(tpms_tpm2_timeout_ms[i]);
	for (i = 0; i < ARRAY_SIZE(tpms_tpm2_duration_ms); i++)
		chip->duration[i] = msecs_to_jiffies(tpms_tpm2_duration_ms[i]);
}

/**
 * tpms_tpm2_duration() - the longest a TPM 2.0 command may take
 * @chip:    the chip
 * @ordinal: the command code
 *
 * Return: jiffies.  Unknown commands get the 120 s default.
 */
unsigned long tpms_tpm2_duration(struct tpms_chip *chip, u32 ordinal)
{
	switch (ordinal) {
	/* bounded below upstream's default: unregister and sysfs wait on them */
	case TPM2_CC_SHUTDOWN:
	case TPM2_CC_FLUSH_CONTEXT:
	case TPM2_CC_GET_CAPABILITY:
	case TPM2_CC_PCR_READ:
	case TPM2_CC_PCR_EXTEND:
	case TPM2_CC_SEQUENCE_UPDATE:
	case TPM2_CC_SEQUENCE_COMPLETE:
	case TPM2_CC_EVENT_SEQUENCE_COMPLETE:
	case TPM2_CC_HASH_SEQUENCE_START:
		return chip->duration[TPMS_DUR_MEDIUM];
	/* an emulator restarted on saved state does its work at Startup */
	case TPM2_CC_STARTUP:
	case TPM2_CC_SELF_TEST:
	case TPM2_CC_GET_RANDOM:
	case TPM2_CC_NV_READ:
	case TPM2_CC_HIERARCHY_CONTROL:
	case TPM2_CC_HIERARCHY_CHANGE_AUTH:
		return chip->duration[TPMS_DUR_LONG];
	case TPM2_CC_CREATE_PRIMARY:
	case TPM2_CC_CREATE:
	case TPM2_CC_CREATE_LOADED:
	case TPM2_CC_VERIFY_SIGNATURE:
		return chip->duration[TPMS_DUR_LONG_LONG];
	default:
		return msecs_to_jiffies(TPMS_TPM2_DURATION_DEFAULT_MS);
	}
}

/**
 * tpms_tpm2_cmd() - finish a command built in chip->cmd_buf and transmit it
 * @chip:    the chip, inside the fence
 * @b:       the command
 * @min_rsp: the shortest successful response the caller can parse
 * @what:    command name for the log
 *
 * Return: as tpms_transmit_cmd().
 */
ssize_t tpms_tpm2_cmd(struct tpms_chip *chip, struct tpms_buf *b,
		      size_t min_rsp, const char *what)
{
	ssize_t len = tpms_buf_finish(b);

	if (len < 0)
		return len;
	return tpms_transmit_cmd(chip, b->data, len, min_rsp, what);
}

/**
 * tpms_tpm2_probe() - tell TPM 2.0 from TPM 1.2
 * @chip: the chip, inside the fence
 *
 * Sends TPM2_GetCapability; a TPM 2.0 answers with a TPM 2.0 tag whatever
 * its state, a TPM 1.2 with its own error tag.
 *
 * Return: 0 for TPM 2.0, 1 for TPM 1.2, or a negative errno.
 */
int tpms_tpm2_probe(struct tpms_chip *chip)
{
	struct tpms_buf b;
	unsigned int i;
	ssize_t rc;

	tpms_tpm2_set_durations(chip);
	for (i = 0; i < ARRAY_SIZE(tpms_probe_timeout_ms); i++)
		chip->timeout[i] = msecs_to_jiffies(tpms_probe_timeout_ms[i]);
	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_GET_CAPABILITY);
	tpms_buf_u32(&b, TPM2_CAP_TPM_PROPERTIES);
	tpms_buf_u32(&b, TPM2_PT_TOTAL_COMMANDS);
	tpms_buf_u32(&b, 1);
	rc = tpms_buf_finish(&b);
	if (rc > 0)
		rc = tpms_transmit(chip, chip->cmd_buf, TPMS_MAX_CMD, rc);
	if (rc < 0) {
		dev_err(chip->dev.parent, "no answer to the TPM probe: %zd\n",
			rc);
		return rc;
	}
	switch (tpms_hdr_tag(chip->cmd_buf)) {
	case TPM2_ST_NO_SESSIONS:
		set_bit(TPMS_F_TPM2, &chip->flags);
		tpms_tpm2_set_durations(chip);
		return 0;
	case TPM1_TAG_RSP_COMMAND:
		if (chip->backend_flags & TPMS_BACKEND_TPM2_ONLY) {
			dev_err(chip->dev.parent,
				"a TPM 1.2 answer on a TPM 2.0 interface\n");
			return -ENODEV;
		}
		return 1;
	default:
		dev_err(chip->dev.parent, "not a TPM: response tag 0x%04x\n",
			tpms_hdr_tag(chip->cmd_buf));
		return -ENODEV;
	}
}

static ssize_t tpms_tpm2_self_test(struct tpms_chip *chip)
{
	struct tpms_buf b;
	ssize_t rc = 0;
	int full;

	for (full = 0; full < 2; full++) {
		tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD,
			      TPM2_ST_NO_SESSIONS, TPM2_CC_SELF_TEST);
		tpms_buf_u8(&b, full);
		rc = tpms_tpm2_cmd(chip, &b, 0, "self test");
		if (rc == TPM2_RC_SUCCESS || rc == TPM2_RC_TESTING)
			return 0;
		if (rc < 0 || rc == TPM2_RC_INITIALIZE)
			return rc;
	}
	return rc;
}

static int tpms_tpm2_read_banks(struct tpms_chip *chip)
{
	struct tpms_buf b;
	ssize_t rc;
	int n;

	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_GET_CAPABILITY);
	tpms_buf_u32(&b, TPM2_CAP_PCRS);
	tpms_buf_u32(&b, 0);
	tpms_buf_u32(&b, 1);
	rc = tpms_buf_finish(&b);
	if (rc > 0)
		rc = tpms_transmit(chip, chip->cmd_buf, TPMS_MAX_CMD, rc);
	if (rc < 0)
		return rc;
	n = tpms_parse_pcr_banks(chip->cmd_buf, rc, chip->banks,
				 TPMS_MAX_BANKS);
	if (n < 0) {
		dev_err(chip->dev.parent, "cannot read the PCR banks (0x%x)\n",
			tpms_hdr_code(chip->cmd_buf));
		return n;
	}
	chip->nr_banks = n;
	return 0;
}

static int tpms_cc_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	x = ((x & TPMA_CC_V) ? 0x10000 : 0) | (x & TPMA_CC_INDEX);
	y = ((y & TPMA_CC_V) ? 0x10000 : 0) | (y & TPMA_CC_INDEX);
	return x < y ? -1 : x > y;
}

/*
 * Every command the TPM implements, with its attributes (TPMA_CC), for
 * the resource manager: GetCapability(TPM_CAP_COMMANDS) until it says no
 * more, the next call starting after the last command listed.
 */
static int tpms_tpm2_read_commands(struct tpms_chip *chip)
{
	u32 *attrs, next = TPM2_CC_FIRST;
	unsigned int n = 0;
	bool more = true;
	struct tpms_buf b;
	ssize_t rc;
	int got;

	attrs = kcalloc(TPMS_MAX_COMMANDS, sizeof(*attrs), GFP_KERNEL);
	if (!attrs)
		return -ENOMEM;
	while (more && n < TPMS_MAX_COMMANDS) {
		tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD,
			      TPM2_ST_NO_SESSIONS, TPM2_CC_GET_CAPABILITY);
		tpms_buf_u32(&b, TPM2_CAP_COMMANDS);
		tpms_buf_u32(&b, next);
		tpms_buf_u32(&b, TPMS_MAX_COMMANDS - n);
		rc = tpms_tpm2_cmd(chip, &b, TPMS_HDR, "command list");
		if (rc)
			goto err;
		got = tpms_parse_cap_commands(chip->cmd_buf,
					      tpms_hdr_len(chip->cmd_buf),
					      attrs + n, TPMS_MAX_COMMANDS - n,
					      &more);
		if (got < 0) {
			rc = -EIO;
			goto err;
		}
		if (!got)
			break;
		n += got;
		next = (attrs[n - 1] & TPMA_CC_INDEX) + 1;
		if (attrs[n - 1] & TPMA_CC_V)
			next |= TPM2_CC_VENDOR;
	}
	/* in command index order, vendor commands last, for the lookup */
	sort(attrs, n, sizeof(*attrs), tpms_cc_cmp, NULL);
	/* kept for the chip's life: only the commands the TPM listed */
	if (n) {
		u32 *fit = kmemdup(attrs, n * sizeof(*attrs), GFP_KERNEL);

		if (fit) {
			kfree(attrs);
			attrs = fit;
		}
	}
	chip->cc_attrs = attrs;
	chip->nr_cc = n;
	return 0;
err:
	kfree(attrs);
	dev_err(chip->dev.parent, "cannot read the TPM's command list: %s0x%zx\n",
		rc < 0 ? "-" : "", rc < 0 ? -rc : rc);
	return rc < 0 ? rc : -EIO;
}

/**
 * tpms_tpm2_auto_startup() - make a TPM 2.0 usable
 * @chip: the chip, inside the fence
 *
 * Self test; on TPM_RC_INITIALIZE, Startup(CLEAR) and self test again
 * (with TPMS_BACKEND_NO_SELFTEST: Startup(CLEAR) only, TPM_RC_INITIALIZE
 * meaning started already); then read the PCR bank allocation and the
 * command list.
 *
 * Return: 0 or a negative errno (logged).
 */
int tpms_tpm2_auto_startup(struct tpms_chip *chip)
{
	struct tpms_buf b;
	ssize_t rc;

	if (chip->backend_flags & TPMS_BACKEND_NO_SELFTEST) {
		tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD,
			      TPM2_ST_NO_SESSIONS, TPM2_CC_STARTUP);
		tpms_buf_u16(&b, TPM2_SU_CLEAR);
		rc = tpms_tpm2_cmd(chip, &b, 0, "startup");
		if (rc == TPM2_RC_INITIALIZE)
			rc = 0;
	} else {
		rc = tpms_tpm2_self_test(chip);
	}
	if (rc == TPM2_RC_INITIALIZE) {
		tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD,
			      TPM2_ST_NO_SESSIONS, TPM2_CC_STARTUP);
		tpms_buf_u16(&b, TPM2_SU_CLEAR);
		rc = tpms_tpm2_cmd(chip, &b, 0, "startup");
		if (!rc)
			rc = tpms_tpm2_self_test(chip);
	}
	if (rc) {
		dev_err(chip->dev.parent, "TPM 2.0 start-up failed: %s0x%zx\n",
			rc < 0 ? "-" : "", rc < 0 ? -rc : rc);
		return rc < 0 ? rc : -ENODEV;
	}
	rc = tpms_tpm2_read_banks(chip);
	if (!rc && !chip->cc_attrs)
		rc = tpms_tpm2_read_commands(chip);
	return rc;
}

/**
 * tpms_tpm2_pcr_read() - read one PCR of one bank
 * @chip:   the chip, inside the fence
 * @alg:    bank
 * @pcr:    index, below TPMS_NR_PCRS
 * @digest: out
 * @size:   room in @digest
 *
 * Return: the digest size, or a negative errno.
 */
int tpms_tpm2_pcr_read(struct tpms_chip *chip, u16 alg, unsigned int pcr,
		       u8 *digest, size_t size)
{
	u8 select[3] = { 0 };
	struct tpms_buf b;
	const u8 *d;
	ssize_t rc;
	int n;

	select[pcr / 8] = 1 << (pcr % 8);
	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_PCR_READ);
	tpms_buf_u32(&b, 1);
	tpms_buf_u16(&b, alg);
	tpms_buf_u8(&b, sizeof(select));
	tpms_buf_bytes(&b, select, sizeof(select));
	rc = tpms_tpm2_cmd(chip, &b, TPMS_HDR, "pcr read");
	if (rc)
		return rc < 0 ? rc : -EIO;
	n = tpms_parse_pcr_digest(chip->cmd_buf, tpms_hdr_len(chip->cmd_buf),
				  &d);
	if (n < 0)
		return n;
	if (n > size)
		return -EIO;
	memcpy(digest, d, n);
	return n;
}

/**
 * tpms_tpm2_get_random() - read random bytes from the TPM
 * @chip: the chip, inside the fence
 * @out:  buffer
 * @max:  its size
 *
 * Return: bytes stored (one command's worth, at most 64), or -errno.
 */
int tpms_tpm2_get_random(struct tpms_chip *chip, u8 *out, size_t max)
{
	struct tpms_buf b;
	const u8 *d;
	ssize_t rc;
	int n;

	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_GET_RANDOM);
	tpms_buf_u16(&b, min_t(size_t, max, 64));
	rc = tpms_tpm2_cmd(chip, &b, TPMS_HDR + 2, "get random");
	if (rc)
		return rc < 0 ? rc : -EIO;
	n = tpms_parse_random(chip->cmd_buf, tpms_hdr_len(chip->cmd_buf), &d);
	if (n < 0 || n > max)
		return -EIO;
	memcpy(out, d, n);
	return n;
}

/**
 * tpms_tpm2_shutdown() - send TPM2_Shutdown
 * @chip: the chip, inside the fence (or under the write lock)
 * @type: TPM2_SU_CLEAR or TPM2_SU_STATE
 *
 * Return: 0, or the error (logged once).
 */
int tpms_tpm2_shutdown(struct tpms_chip *chip, u16 type)
{
	struct tpms_buf b;
	ssize_t rc;

	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_SHUTDOWN);
	tpms_buf_u16(&b, type);
	rc = tpms_tpm2_cmd(chip, &b, 0, "shutdown");
	if (rc && rc != -ENODEV)
		dev_warn(&chip->dev, "TPM2_Shutdown(%s) failed: %s0x%zx\n",
			 type == TPM2_SU_CLEAR ? "CLEAR" : "STATE",
			 rc < 0 ? "-" : "", rc < 0 ? -rc : rc);
	return rc < 0 ? rc : (rc ? -EIO : 0);
}
