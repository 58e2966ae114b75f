/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_safe: building and validating TPM command and response buffers.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Pure functions with no kernel state, so that the same source file is
 * built into the module and into the userspace fuzz target.
 */
#ifndef TPMS_BUF_H
#define TPMS_BUF_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/string.h>
#else
#include "kshim.h"
#endif

#define TPMS_MAX_CMD		4096
#define TPMS_HDR		10

#define TPM2_ST_NO_SESSIONS	0x8001
#define TPM2_ST_SESSIONS	0x8002
#define TPM1_TAG_RQU_COMMAND	0x00C1
#define TPM1_TAG_RSP_COMMAND	0x00C4
#define TPM1_TAG_RSP_AUTH1	0x00C5
#define TPM1_TAG_RSP_AUTH2	0x00C6

#define TPM2_SU_CLEAR		0x0000
#define TPM2_SU_STATE		0x0001

#define TPM2_RC_SUCCESS		0x000
#define TPM2_RC_HANDLE		0x08B	/* format 1: + handle number << 8 */
#define TPM2_RC_INTEGRITY	0x09F
#define TPM2_RC_INITIALIZE	0x100
#define TPM2_RC_FAILURE		0x101
#define TPM2_RC_COMMAND_SIZE	0x142
#define TPM2_RC_COMMAND_CODE	0x143
#define TPM2_RC_CONTEXT_GAP	0x901
#define TPM2_RC_OBJECT_MEMORY	0x902
#define TPM2_RC_SESSION_MEMORY	0x903
#define TPM2_RC_TESTING		0x90A
#define TPM2_RC_REFERENCE_H0	0x910
#define TPM2_RC_RETRY		0x922
/* the resource manager's own answers (TSS2 layer 11) */
#define TPMS_RC_RM_LAYER	(11u << 16)

#define TPM2_CC_HMAC_START		0x15B
#define TPM2_CC_CONTEXT_LOAD		0x161
#define TPM2_CC_CONTEXT_SAVE		0x162
#define TPM2_CC_FLUSH_CONTEXT		0x165
#define TPM2_CC_START_AUTH_SESSION	0x176
#define TPM2_CC_GET_CAPABILITY		0x17A
#define TPM2_CC_HASH_SEQUENCE_START	0x186

#define TPM2_CAP_HANDLES	1
#define TPM2_CAP_COMMANDS	2
#define TPM2_CC_FIRST		0x11F

/* TPMA_CC: a command's attributes, as TPM2_GetCapability lists them */
#define TPMA_CC_INDEX		0x0000FFFFu
#define TPMA_CC_CHANDLES_SHIFT	25
#define TPMA_CC_CHANDLES_MASK	7u
#define TPMA_CC_RHANDLE		BIT(28)
#define TPMA_CC_V		BIT(29)
/* a command code's vendor bit */
#define TPM2_CC_VENDOR		BIT(29)

/* handle types: the top byte of a handle */
#define TPM2_HT_HMAC_SESSION	0x02
#define TPM2_HT_POLICY_SESSION	0x03
#define TPM2_HT_TRANSIENT	0x80

#define TPMS_MAX_CMD_HANDLES	7	/* cHandles is 3 bits */
#define TPMS_MAX_CMD_SESSIONS	3

/* A command or response under construction. */
struct tpms_buf {
	u8 *data;
	size_t size;
	size_t len;
	bool overflow;
};

void tpms_buf_init(struct tpms_buf *b, u8 *data, size_t size, u16 tag,
		   u32 ordinal);
void tpms_buf_u8(struct tpms_buf *b, u8 v);
void tpms_buf_u16(struct tpms_buf *b, u16 v);
void tpms_buf_u32(struct tpms_buf *b, u32 v);
void tpms_buf_bytes(struct tpms_buf *b, const u8 *p, size_t n);
ssize_t tpms_buf_finish(struct tpms_buf *b);

/* A bounds-checked reader over a response. */
struct tpms_rd {
	const u8 *p;
	size_t left;
	bool bad;
};

void tpms_rd_init(struct tpms_rd *r, const u8 *p, size_t len);
u8 tpms_rd_u8(struct tpms_rd *r);
u16 tpms_rd_u16(struct tpms_rd *r);
u32 tpms_rd_u32(struct tpms_rd *r);
const u8 *tpms_rd_bytes(struct tpms_rd *r, size_t n);

static inline u16 tpms_hdr_tag(const u8 *b)
{
	return get_unaligned_be16(b);
}

static inline u32 tpms_hdr_len(const u8 *b)
{
	return get_unaligned_be32(b + 2);
}

/* ordinal of a command, return code of a response */
static inline u32 tpms_hdr_code(const u8 *b)
{
	return get_unaligned_be32(b + 6);
}

int tpms_check_user_cmd(const u8 *buf, size_t count);
int tpms_check_cmd(const u8 *buf, size_t len);
int tpms_check_rsp(const u8 *buf, ssize_t len);
bool tpms_rsp_tag_ok(const u8 *rsp, int family);
int tpms_parse_tpm1_sized(const u8 *rsp, size_t len, const u8 **data);
int tpms_parse_pcr_banks(const u8 *rsp, size_t len, u16 *banks,
			 unsigned int max);
int tpms_parse_random(const u8 *rsp, size_t len, const u8 **data);
int tpms_parse_pcr_digest(const u8 *rsp, size_t len, const u8 **digest);

/* The handles a command names, for the resource manager. */
struct tpms_cmd_handles {
	unsigned int nr;			/* in the handle area */
	unsigned int nr_sess;			/* in the authorization area */
	u32 handle[TPMS_MAX_CMD_HANDLES];
	u32 sess[TPMS_MAX_CMD_SESSIONS];
};

int tpms_parse_cmd_handles(const u8 *cmd, size_t len, unsigned int nr_handles,
			   struct tpms_cmd_handles *h);
int tpms_parse_get_cap(const u8 *cmd, size_t len, u32 *cap, u32 *prop,
		       u32 *count);
int tpms_parse_cap_commands(const u8 *rsp, size_t len, u32 *attrs,
			    unsigned int max, bool *more);
int tpms_parse_cap_handles(const u8 *rsp, size_t len, bool *more,
			   u32 *count, size_t *list);
ssize_t tpms_build_cap_handles(u8 *rsp, size_t size, bool more,
			       const u32 *handles, unsigned int n);
ssize_t tpms_build_rc(u8 *rsp, size_t size, u32 rc);

#endif /* TPMS_BUF_H */
