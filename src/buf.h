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

#define TPM2_SU_CLEAR		0x0000
#define TPM2_SU_STATE		0x0001

#define TPM2_RC_SUCCESS		0x000
#define TPM2_RC_INITIALIZE	0x100
#define TPM2_RC_FAILURE		0x101
#define TPM2_RC_TESTING		0x90A
#define TPM2_RC_RETRY		0x922

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
int tpms_parse_pcr_banks(const u8 *rsp, size_t len, u16 *banks,
			 unsigned int max);
int tpms_parse_random(const u8 *rsp, size_t len, const u8 **data);
int tpms_parse_pcr_digest(const u8 *rsp, size_t len, const u8 **digest);

#endif /* TPMS_BUF_H */
