// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the TPM 1.2 commands the driver issues itself.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * A TPM 1.2 is told from a TPM 2.0 by its answer to the probe
 * (tpms_tpm2_probe()).  Start-up reads its timeouts and durations, sends
 * TPM_Startup(ST_CLEAR) when it has not been started, and runs its self
 * test.  All of these run inside the fence and use chip->cmd_buf, which
 * the chip lock protects.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>

#include "tpms.h"

#define TPM1_ORD_PCR_READ		0x015
#define TPM1_ORD_GET_RANDOM		0x046
#define TPM1_ORD_CONTINUE_SELF_TEST	0x053
#define TPM1_ORD_GET_CAPABILITY		0x065
#define TPM1_ORD_READ_PUBEK		0x07C
#define TPM1_ORD_SAVE_STATE		0x098
#define TPM1_ORD_STARTUP		0x099

#define TPM1_ST_CLEAR			1

/* return codes */
#define TPM1_DEACTIVATED		6
#define TPM1_DISABLED			7
#define TPM1_INVALID_POSTINIT		38
#define TPM1_RETRY			0x800
#define TPM1_DOING_SELFTEST		0x802

/* the most a reported timeout or duration is taken to be, microseconds */
#define TPMS_TPM1_MAX_US		(600U * USEC_PER_SEC)
/* TPM_SaveState answered TPM_RETRY: sent again this often, 100 ms apart */
#define TPMS_TPM1_SAVE_TRIES		10

/* Timeouts A..D when the TPM reports none (TIS 1.2), milliseconds */
static const unsigned int tpms_tpm1_timeout_ms[] = { 750, 2000, 750, 750 };
/*
 * Durations (short, medium, long) when the TPM reports none, and the least
 * a reported one is raised to, milliseconds.
 */
static const unsigned int tpms_tpm1_duration_ms[] = { 2000, 20000, 60000 };
static const unsigned int tpms_tpm1_duration_min_ms[] = { 20, 750, 2000 };
/* an ordinal this driver does not know */
#define TPMS_TPM1_DURATION_DEFAULT_MS	120000

static ssize_t tpms_tpm1_cmd(struct tpms_chip *chip, struct tpms_buf *b,
			     size_t min_rsp, const char *what)
{
	ssize_t len = tpms_buf_finish(b);

	if (len < 0)
		return len;
	return tpms_transmit_cmd(chip, b->data, len, min_rsp, what);
}

static void tpms_tpm1_init(struct tpms_buf *b, struct tpms_chip *chip,
			   u32 ordinal)
{
	tpms_buf_init(b, chip->cmd_buf, TPMS_MAX_CMD, TPM1_TAG_RQU_COMMAND,
		      ordinal);
}

/*
 * TPM_GetCapability.  Return: 0 with *@data at the resp bytes (in
 * chip->cmd_buf) and *@len their count, at least @min; the TPM's refusal
 * as its code (> 0), unlogged; -EIO for a malformed answer (logged); or
 * a negative errno.
 */
static ssize_t tpms_tpm1_get_cap_rc(struct tpms_chip *chip, u32 cap,
				    u32 subcap, const u8 **data, int *len,
				    unsigned int min, const char *what)
{
	struct tpms_buf b;
	ssize_t rc;

	tpms_tpm1_init(&b, chip, TPM1_ORD_GET_CAPABILITY);
	tpms_buf_u32(&b, cap);
	if (subcap == ~0U) {
		tpms_buf_u32(&b, 0);
	} else {
		tpms_buf_u32(&b, 4);
		tpms_buf_u32(&b, subcap);
	}
	rc = tpms_tpm1_cmd(chip, &b, TPMS_HDR + 4, what);
	if (rc)
		return rc;
	*len = tpms_parse_tpm1_sized(chip->cmd_buf,
				     tpms_hdr_len(chip->cmd_buf), data);
	if (*len < 0 || *len < min) {
		dev_err_ratelimited(&chip->dev, "%s: malformed answer\n", what);
		return -EIO;
	}
	return 0;
}

/**
 * tpms_tpm1_get_cap() - TPM_GetCapability
 * @chip:   the chip, inside the fence
 * @cap:    capArea
 * @subcap: the 32-bit subCap, or ~0 for none
 * @data:   out: the resp bytes, in chip->cmd_buf
 * @min:    the fewest resp bytes the caller reads
 * @what:   for the log
 *
 * Return: the resp size; -EIO when the TPM refuses or answers malformed
 * (logged), or a negative errno.
 */
int tpms_tpm1_get_cap(struct tpms_chip *chip, u32 cap, u32 subcap,
		      const u8 **data, unsigned int min, const char *what)
{
	ssize_t rc;
	int len;

	rc = tpms_tpm1_get_cap_rc(chip, cap, subcap, data, &len, min, what);
	if (rc > 0) {
		dev_err_ratelimited(&chip->dev, "%s: TPM error 0x%zx\n",
				    what, rc);
		return -EIO;
	}
	return rc < 0 ? rc : len;
}

/**
 * tpms_tpm1_version() - the TCG and firmware versions a TPM 1.x reports
 * @chip: the chip, inside the fence
 * @ver:  out: major, minor, revMajor, revMinor
 *
 * TPM_CAP_VERSION_VAL (a TPM 1.2's TPM_CAP_VERSION_INFO: a tag, then the
 * four bytes); a TPM 1.1 has no such capability and refuses it, so it is
 * asked TPM_CAP_VERSION (TPM_STRUCT_VER, the four bytes) instead.
 *
 * Return: 0; -EIO when the TPM refuses both or answers malformed (logged),
 * or a negative errno.
 */
int tpms_tpm1_version(struct tpms_chip *chip, u8 ver[4])
{
	const u8 *d;
	ssize_t rc;
	int len;

	rc = tpms_tpm1_get_cap_rc(chip, TPM1_CAP_VERSION_VAL, ~0U, &d, &len, 6,
				  "caps");
	if (rc < 0)
		return rc;
	if (!rc) {
		memcpy(ver, d + 2, 4);
		return 0;
	}
	rc = tpms_tpm1_get_cap(chip, TPM1_CAP_VERSION, ~0U, &d, 4, "caps");
	if (rc < 0)
		return rc;
	memcpy(ver, d, 4);
	return 0;
}

/*
 * The values of a TPM_CAP_PROP_TIS_TIMEOUT or _DURATION answer, as jiffies
 * in @out: a first value below 1 ms means all are in milliseconds (a
 * chip's wrong unit); none is taken above TPMS_TPM1_MAX_US; a zero gets
 * @def_ms, a value below @min_ms is raised to it.  Sets *@adjusted when a
 * value was changed.
 */
static void tpms_tpm1_values(const u8 *d, unsigned long *out, unsigned int n,
			     const unsigned int *def_ms,
			     const unsigned int *min_ms, bool *adjusted)
{
	bool ms = get_unaligned_be32(d) && get_unaligned_be32(d) < 1000;
	unsigned int i;
	u64 v, raw;

	for (i = 0; i < n; i++) {
		raw = get_unaligned_be32(d + 4 * i);
		v = min_t(u64, ms ? raw * 1000 : raw, TPMS_TPM1_MAX_US);
		if (!v)
			v = def_ms[i] * 1000;
		else if (min_ms && v < min_ms[i] * 1000)
			v = min_ms[i] * 1000;
		if (v != raw)
			*adjusted = true;
		WRITE_ONCE(out[i], usecs_to_jiffies(v));
	}
}

/*
 * TIS timeouts A..D, then durations short, medium, long, with the
 * corrections.  Return: 0, the TPM's refusal (> 0; TPM_INVALID_POSTINIT
 * before TPM_Startup), or a negative errno.
 */
static ssize_t tpms_tpm1_read_times(struct tpms_chip *chip)
{
	const u8 *d;
	ssize_t rc;
	int len;

	rc = tpms_tpm1_get_cap_rc(chip, TPM1_CAP_PROPERTY,
				  TPM1_CAP_PROP_TIS_TIMEOUT, &d, &len, 16,
				  "timeouts");
	if (rc)
		return rc;
	tpms_tpm1_values(d, chip->timeout, 4, tpms_tpm1_timeout_ms, NULL,
			 &chip->timeouts_adjusted);
	rc = tpms_tpm1_get_cap_rc(chip, TPM1_CAP_PROPERTY,
				  TPM1_CAP_PROP_TIS_DURATION, &d, &len, 12,
				  "durations");
	if (rc)
		return rc;
	tpms_tpm1_values(d, chip->duration, 3, tpms_tpm1_duration_ms,
			 tpms_tpm1_duration_min_ms, &chip->durations_adjusted);
	chip->duration[TPMS_DUR_LONG_LONG] = chip->duration[TPMS_DUR_LONG];
	return 0;
}

/**
 * tpms_tpm1_duration() - the longest a TPM 1.2 command may take
 * @chip:    the chip
 * @ordinal: the command's ordinal
 *
 * Return: jiffies: the TPM's own short, medium or long duration by the
 * command's kind (key generation and the full self test are long), 120 s
 * for an ordinal not listed here.
 */
unsigned long tpms_tpm1_duration(struct tpms_chip *chip, u32 ordinal)
{
	switch (ordinal) {
	case 0x00A:	/* OIAP */
	case 0x00B:	/* OSAP */
	case 0x014:	/* Extend */
	case TPM1_ORD_PCR_READ:
	case 0x021:	/* GetPubKey */
	case TPM1_ORD_GET_RANDOM:
	case 0x047:	/* StirRandom */
	case 0x054:	/* GetTestResult */
	case TPM1_ORD_GET_CAPABILITY:
	case 0x06F:	/* PhysicalEnable */
	case 0x070:	/* PhysicalDisable */
	case 0x072:	/* PhysicalSetDeactivated */
	case TPM1_ORD_STARTUP:
	case 0x0BA:	/* FlushSpecific */
	case 0x0C8:	/* PCR_Reset */
	case 0x0CC:	/* NV_DefineSpace */
	case 0x0CD:	/* NV_WriteValue */
	case 0x0CF:	/* NV_ReadValue */
		return chip->duration[TPMS_DUR_SHORT];
	case 0x00C:	/* ChangeAuth */
	case 0x010:	/* ChangeAuthOwner */
	case 0x016:	/* Quote */
	case 0x017:	/* Seal */
	case 0x018:	/* Unseal */
	case 0x01E:	/* UnBind */
	case 0x020:	/* LoadKey */
	case 0x028:	/* CreateMigrationBlob */
	case 0x02A:	/* ConvertMigrationBlob */
	case 0x032:	/* CertifyKey */
	case 0x03C:	/* Sign */
	case 0x03E:	/* Quote2 */
	case 0x041:	/* LoadKey2 */
	case TPM1_ORD_CONTINUE_SELF_TEST:
	case 0x05B:	/* OwnerClear */
	case 0x05D:	/* ForceClear */
	case 0x07A:	/* ActivateIdentity */
	case TPM1_ORD_READ_PUBEK:
	case 0x07D:	/* OwnerReadPubek */
	case TPM1_ORD_SAVE_STATE:
		return chip->duration[TPMS_DUR_MEDIUM];
	case 0x00D:	/* TakeOwnership */
	case 0x01F:	/* CreateWrapKey */
	case 0x050:	/* SelfTestFull */
	case 0x078:	/* CreateEndorsementKeyPair */
	case 0x079:	/* MakeIdentity */
	case 0x07F:	/* CreateRevocableEK */
		return chip->duration[TPMS_DUR_LONG];
	default:
		return msecs_to_jiffies(TPMS_TPM1_DURATION_DEFAULT_MS);
	}
}

/**
 * tpms_tpm1_pcr_read() - TPM_PCRRead
 * @chip:   the chip, inside the fence
 * @pcr:    index
 * @digest: out, TPM1_DIGEST_SIZE bytes
 *
 * Return: 0, the TPM's return code (> 0), or a negative errno.
 */
ssize_t tpms_tpm1_pcr_read(struct tpms_chip *chip, u32 pcr, u8 *digest)
{
	struct tpms_buf b;
	ssize_t rc;

	tpms_tpm1_init(&b, chip, TPM1_ORD_PCR_READ);
	tpms_buf_u32(&b, pcr);
	rc = tpms_tpm1_cmd(chip, &b, TPMS_HDR + TPM1_DIGEST_SIZE, "pcr read");
	if (!rc)
		memcpy(digest, chip->cmd_buf + TPMS_HDR, TPM1_DIGEST_SIZE);
	return rc;
}

/*
 * TPM_ContinueSelfTest, then wait while PCR 0 answers "doing self test" or
 * times out (some TPMs do not answer while they test themselves), for the
 * long duration at most.  A disabled or deactivated TPM is usable for what
 * it allows: not an error (its sysfs files say so).
 */
static int tpms_tpm1_self_test(struct tpms_chip *chip)
{
	unsigned long stop;
	unsigned int delay = 5;
	u8 digest[TPM1_DIGEST_SIZE];
	struct tpms_buf b;
	ssize_t rc;

	tpms_tpm1_init(&b, chip, TPM1_ORD_CONTINUE_SELF_TEST);
	rc = tpms_tpm1_cmd(chip, &b, 0, "self test");
	if (rc < 0)
		return rc;
	stop = jiffies + chip->duration[TPMS_DUR_LONG];
	for (;;) {
		rc = tpms_tpm1_pcr_read(chip, 0, digest);
		if ((rc == TPM1_DOING_SELFTEST || rc == -ETIME) &&
		    time_before(jiffies, stop) && !tpms_chip_aborting(chip)) {
			msleep(delay);
			delay = min(delay * 2, 100U);
			continue;
		}
		if (rc == TPM1_DISABLED || rc == TPM1_DEACTIVATED) {
			dev_info(chip->dev.parent, "TPM 1.2 is %s\n",
				 rc == TPM1_DISABLED ? "disabled" :
				 "deactivated");
			return 0;
		}
		return rc;
	}
}

/**
 * tpms_tpm1_auto_startup() - make a TPM 1.2 usable
 * @chip: the chip, inside the fence
 *
 * Reads the timeouts (TPM_Startup(ST_CLEAR) first when the TPM says it has
 * not been started), the durations, the self test's outcome and the number
 * of PCRs.
 *
 * Return: 0 or a negative errno (logged).
 */
int tpms_tpm1_auto_startup(struct tpms_chip *chip)
{
	struct tpms_buf b;
	unsigned int i;
	const u8 *d;
	ssize_t rc;

	/* until the TPM tells its own: the defaults, for the first commands */
	for (i = 0; i < ARRAY_SIZE(tpms_tpm1_timeout_ms); i++)
		chip->timeout[i] = msecs_to_jiffies(tpms_tpm1_timeout_ms[i]);
	for (i = 0; i < ARRAY_SIZE(tpms_tpm1_duration_ms); i++)
		chip->duration[i] = msecs_to_jiffies(tpms_tpm1_duration_ms[i]);
	chip->duration[TPMS_DUR_LONG_LONG] = chip->duration[TPMS_DUR_LONG];
	rc = tpms_tpm1_read_times(chip);
	if (rc == TPM1_INVALID_POSTINIT) {
		tpms_tpm1_init(&b, chip, TPM1_ORD_STARTUP);
		tpms_buf_u16(&b, TPM1_ST_CLEAR);
		rc = tpms_tpm1_cmd(chip, &b, 0, "startup");
		if (!rc)
			rc = tpms_tpm1_read_times(chip);
	}
	if (!rc)
		rc = tpms_tpm1_self_test(chip);
	if (!rc) {
		rc = tpms_tpm1_get_cap(chip, TPM1_CAP_PROPERTY,
				       TPM1_CAP_PROP_PCR, &d, 4, "pcr count");
		if (rc >= 0) {
			chip->nr_pcrs = get_unaligned_be32(d);
			rc = 0;
		}
	}
	if (rc) {
		dev_err(chip->dev.parent, "TPM 1.2 start-up failed: %s0x%zx\n",
			rc < 0 ? "-" : "", rc < 0 ? -rc : rc);
		return rc < 0 ? rc : -ENODEV;
	}
	return 0;
}

/**
 * tpms_tpm1_get_random() - TPM_GetRandom
 * @chip: the chip, inside the fence
 * @out:  buffer
 * @max:  its size
 *
 * Return: bytes stored (one command's worth, at most 128), or -errno.
 */
int tpms_tpm1_get_random(struct tpms_chip *chip, u8 *out, size_t max)
{
	struct tpms_buf b;
	const u8 *d;
	ssize_t rc;
	int n;

	tpms_tpm1_init(&b, chip, TPM1_ORD_GET_RANDOM);
	tpms_buf_u32(&b, min_t(size_t, max, 128));
	rc = tpms_tpm1_cmd(chip, &b, TPMS_HDR + 4, "get random");
	if (rc)
		return rc < 0 ? rc : -EIO;
	n = tpms_parse_tpm1_sized(chip->cmd_buf, tpms_hdr_len(chip->cmd_buf),
				  &d);
	if (n < 0 || n > max)
		return -EIO;
	memcpy(out, d, n);
	return n;
}

/**
 * tpms_tpm1_read_pubek() - TPM_ReadPubek
 * @chip: the chip, inside the fence
 * @key:  out: the TPM_PUBKEY (in chip->cmd_buf)
 *
 * Return: its length, or -EIO when the TPM refuses (owned, say) or
 * answers malformed, or a negative errno.
 */
int tpms_tpm1_read_pubek(struct tpms_chip *chip, const u8 **key)
{
	u8 nonce[TPM1_DIGEST_SIZE] = { 0 };
	struct tpms_buf b;
	ssize_t rc;

	tpms_tpm1_init(&b, chip, TPM1_ORD_READ_PUBEK);
	tpms_buf_bytes(&b, nonce, sizeof(nonce));
	rc = tpms_tpm1_cmd(chip, &b, TPMS_HDR + TPM1_DIGEST_SIZE, "read pubek");
	if (rc)
		return rc < 0 ? rc : -EIO;
	*key = chip->cmd_buf + TPMS_HDR;
	/* the key, then a digest over it */
	return tpms_hdr_len(chip->cmd_buf) - TPMS_HDR - TPM1_DIGEST_SIZE;
}

/**
 * tpms_tpm1_save_state() - TPM_SaveState, before system sleep
 * @chip: the chip, inside the fence
 *
 * A failure is logged and otherwise ignored: it must not abort suspend.
 */
void tpms_tpm1_save_state(struct tpms_chip *chip)
{
	struct tpms_buf b;
	unsigned int tries;
	ssize_t rc;

	/* a TPM busy with its own work answers TPM_RETRY: again, briefly */
	for (tries = 1; ; tries++) {
		tpms_tpm1_init(&b, chip, TPM1_ORD_SAVE_STATE);
		rc = tpms_tpm1_cmd(chip, &b, 0, "save state");
		if (rc != TPM1_RETRY || tries == TPMS_TPM1_SAVE_TRIES)
			break;
		msleep(100);
	}
	if (rc && rc != -ENODEV)
		dev_warn(&chip->dev, "TPM_SaveState failed: %s0x%zx\n",
			 rc < 0 ? "-" : "", rc < 0 ? -rc : rc);
}
