// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: building and validating TPM command and response buffers.
 *
 * Copyright (C) 2026 The tpm_safe developers
 */
#include "buf.h"

void tpms_buf_init(struct tpms_buf *b, u8 *data, size_t size, u16 tag,
		   u32 ordinal)
{
	b->data = data;
	b->size = size;
	b->len = 0;
	b->overflow = size < TPMS_HDR;
	tpms_buf_u16(b, tag);
	tpms_buf_u32(b, 0);
	tpms_buf_u32(b, ordinal);
}

void tpms_buf_bytes(struct tpms_buf *b, const u8 *p, size_t n)
{
	if (b->overflow || n > b->size - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void tpms_buf_u8(struct tpms_buf *b, u8 v)
{
	tpms_buf_bytes(b, &v, 1);
}

void tpms_buf_u16(struct tpms_buf *b, u16 v)
{
	u8 t[2];

	put_unaligned_be16(v, t);
	tpms_buf_bytes(b, t, sizeof(t));
}

void tpms_buf_u32(struct tpms_buf *b, u32 v)
{
	u8 t[4];

	put_unaligned_be32(v, t);
	tpms_buf_bytes(b, t, sizeof(t));
}

/* Store the length in the header; returns it, or -EOVERFLOW. */
ssize_t tpms_buf_finish(struct tpms_buf *b)
{
	if (b->overflow)
		return -EOVERFLOW;
	put_unaligned_be32(b->len, b->data + 2);
	return b->len;
}

void tpms_rd_init(struct tpms_rd *r, const u8 *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->bad = false;
}

const u8 *tpms_rd_bytes(struct tpms_rd *r, size_t n)
{
	const u8 *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

u8 tpms_rd_u8(struct tpms_rd *r)
{
	const u8 *p = tpms_rd_bytes(r, 1);

	return p ? *p : 0;
}

u16 tpms_rd_u16(struct tpms_rd *r)
{
	const u8 *p = tpms_rd_bytes(r, 2);

	return p ? get_unaligned_be16(p) : 0;
}

u32 tpms_rd_u32(struct tpms_rd *r)
{
	const u8 *p = tpms_rd_bytes(r, 4);

	return p ? get_unaligned_be32(p) : 0;
}

/**
 * tpms_check_user_cmd() - validate what userspace wrote to /dev/tpmsafeN
 * @buf:   the bytes written
 * @count: how many
 *
 * Same errno as the kernel's /dev/tpm0 for each case: fewer than 6 bytes
 * or fewer than the header's size field is -EINVAL.  A size field of 0 is
 * -ENODATA; one below the header size is -EINVAL (the kernel's driver
 * would pass it to the TPM).
 */
int tpms_check_user_cmd(const u8 *buf, size_t count)
{
	if (count > TPMS_MAX_CMD)
		return -E2BIG;
	if (count < 6 || count < tpms_hdr_len(buf))
		return -EINVAL;
	return tpms_check_cmd(buf, tpms_hdr_len(buf));
}

/* A command the core is about to send: @len is the header's size field. */
int tpms_check_cmd(const u8 *buf, size_t len)
{
	if (len == 0)
		return -ENODATA;
	if (len < TPMS_HDR)
		return -EINVAL;
	if (len > TPMS_MAX_CMD)
		return -E2BIG;
	return 0;
}

/*
 * A response from a backend: @len bytes arrived (or a negative errno).
 * It must hold a whole header and exactly the size the header states.
 */
int tpms_check_rsp(const u8 *buf, ssize_t len)
{
	if (len < 0)
		return len;
	if (len < TPMS_HDR || len > TPMS_MAX_CMD)
		return -EIO;
	if (tpms_hdr_len(buf) != (u32)len)
		return -EIO;
	return 0;
}

/*
 * Does a response's tag belong to the TPM's family (@family 2 or 1; 0
 * while the probe has not told)?  A TPM 2.0 answers a command with a TPM
 * 1.2 tag in kind (TPM_ST_RSP_COMMAND, TPM_RC_BAD_TAG); a TPM 1.2 never
 * uses a TPM 2.0 tag.
 */
bool tpms_rsp_tag_ok(const u8 *rsp, int family)
{
	switch (tpms_hdr_tag(rsp)) {
	case TPM2_ST_NO_SESSIONS:
	case TPM2_ST_SESSIONS:
		return family != 1;
	case TPM1_TAG_RSP_COMMAND:
		return true;
	case TPM1_TAG_RSP_AUTH1:
	case TPM1_TAG_RSP_AUTH2:
		return family != 2;
	default:
		return false;
	}
}

static int tpms_rsp_body(struct tpms_rd *r, const u8 *rsp, size_t len)
{
	if (tpms_check_rsp(rsp, len))
		return -EIO;
	if (tpms_hdr_code(rsp) != TPM2_RC_SUCCESS)
		return -EIO;
	tpms_rd_init(r, rsp + TPMS_HDR, len - TPMS_HDR);
	return 0;
}

/*
 * TPM2_GetCapability(TPM_CAP_PCRS) response: moreData, capability,
 * TPML_PCR_SELECTION.  A bank counts as allocated when any PCR of it is
 * selected.  Returns the number of banks stored, or -EIO.
 */
int tpms_parse_pcr_banks(const u8 *rsp, size_t len, u16 *banks,
			 unsigned int max)
{
	struct tpms_rd r;
	unsigned int n = 0;
	u32 count, i;

	if (tpms_rsp_body(&r, rsp, len))
		return -EIO;
	tpms_rd_u8(&r);				/* moreData */
	if (tpms_rd_u32(&r) != 5)		/* TPM_CAP_PCRS */
		return -EIO;
	count = tpms_rd_u32(&r);
	if (r.bad || count > 16)
		return -EIO;
	for (i = 0; i < count; i++) {
		u16 alg = tpms_rd_u16(&r);
		u8 size = tpms_rd_u8(&r);
		const u8 *sel = tpms_rd_bytes(&r, size);
		bool any = false;
		unsigned int j;

		if (!sel)
			return -EIO;
		for (j = 0; j < size; j++)
			any |= sel[j] != 0;
		for (j = 0; j < n; j++)
			any &= banks[j] != alg;		/* listed twice */
		if (any && n < max)
			banks[n++] = alg;
	}
	return r.bad ? -EIO : n;
}

/* TPM2_GetRandom response: TPM2B_DIGEST.  Returns the byte count. */
int tpms_parse_random(const u8 *rsp, size_t len, const u8 **data)
{
	struct tpms_rd r;
	u16 n;

	if (tpms_rsp_body(&r, rsp, len))
		return -EIO;
	n = tpms_rd_u16(&r);
	*data = tpms_rd_bytes(&r, n);
	return *data ? n : -EIO;
}

/*
 * TPM2_PCR_Read response: update counter, TPML_PCR_SELECTION out, then a
 * TPML_DIGEST.  Returns the size of the first digest, -ENODATA when the
 * TPM returned none (bank not allocated), or -EIO.
 */
int tpms_parse_pcr_digest(const u8 *rsp, size_t len, const u8 **digest)
{
	struct tpms_rd r;
	u32 count, i;
	u16 n;

	if (tpms_rsp_body(&r, rsp, len))
		return -EIO;
	tpms_rd_u32(&r);			/* pcrUpdateCounter */
	count = tpms_rd_u32(&r);
	if (r.bad || count > 16)
		return -EIO;
	for (i = 0; i < count; i++) {
		tpms_rd_u16(&r);
		tpms_rd_bytes(&r, tpms_rd_u8(&r));
	}
	count = tpms_rd_u32(&r);
	if (r.bad)
		return -EIO;
	if (count == 0)
		return -ENODATA;
	n = tpms_rd_u16(&r);
	*digest = tpms_rd_bytes(&r, n);
	return *digest ? n : -EIO;
}

/**
 * tpms_parse_cmd_handles() - the handles a command names
 * @cmd:        the command
 * @len:        its length (the header's size field, checked)
 * @nr_handles: how many handles its handle area holds (from its TPMA_CC)
 * @h:          out
 *
 * The session handles of a malformed authorization area are left out:
 * the TPM refuses that command itself.
 *
 * Return: 0, or -EINVAL when the command is too short for its handles.
 */
int tpms_parse_cmd_handles(const u8 *cmd, size_t len, unsigned int nr_handles,
			   struct tpms_cmd_handles *h)
{
	struct tpms_rd r, a;
	unsigned int i;
	u32 auth_size;

	h->nr = 0;
	h->nr_sess = 0;
	if (len < TPMS_HDR || nr_handles > TPMS_MAX_CMD_HANDLES)
		return -EINVAL;
	tpms_rd_init(&r, cmd + TPMS_HDR, len - TPMS_HDR);
	for (i = 0; i < nr_handles; i++) {
		h->handle[i] = tpms_rd_u32(&r);
		if (r.bad)
			return -EINVAL;
	}
	h->nr = nr_handles;
	if (tpms_hdr_tag(cmd) != TPM2_ST_SESSIONS)
		return 0;
	auth_size = tpms_rd_u32(&r);
	if (r.bad || auth_size > r.left)
		return 0;
	tpms_rd_init(&a, r.p, auth_size);
	while (a.left && h->nr_sess < TPMS_MAX_CMD_SESSIONS) {
		u32 s = tpms_rd_u32(&a);

		tpms_rd_bytes(&a, tpms_rd_u16(&a));	/* nonceCaller */
		tpms_rd_u8(&a);				/* sessionAttributes */
		tpms_rd_bytes(&a, tpms_rd_u16(&a));	/* hmac */
		if (a.bad)
			break;
		h->sess[h->nr_sess++] = s;
	}
	return 0;
}

/*
 * TPM2_GetCapability's parameters: capability, property, propertyCount
 * (after the authorization area, if any).  Return: 0 or -EINVAL.
 */
int tpms_parse_get_cap(const u8 *cmd, size_t len, u32 *cap, u32 *prop,
		       u32 *count)
{
	struct tpms_rd r;

	if (len < TPMS_HDR)
		return -EINVAL;
	tpms_rd_init(&r, cmd + TPMS_HDR, len - TPMS_HDR);
	if (tpms_hdr_tag(cmd) == TPM2_ST_SESSIONS)
		tpms_rd_bytes(&r, tpms_rd_u32(&r));
	*cap = tpms_rd_u32(&r);
	*prop = tpms_rd_u32(&r);
	*count = tpms_rd_u32(&r);
	return r.bad ? -EINVAL : 0;
}

/*
 * TPM2_GetCapability(TPM_CAP_COMMANDS) response: moreData, capability,
 * TPML_CCA.  Stores up to @max attributes.  Return: how many, or -EIO.
 */
int tpms_parse_cap_commands(const u8 *rsp, size_t len, u32 *attrs,
			    unsigned int max, bool *more)
{
	struct tpms_rd r;
	u32 count, i;

	if (tpms_rsp_body(&r, rsp, len))
		return -EIO;
	*more = tpms_rd_u8(&r);
	if (tpms_rd_u32(&r) != TPM2_CAP_COMMANDS)
		return -EIO;
	count = tpms_rd_u32(&r);
	if (r.bad || count > r.left / 4)
		return -EIO;
	for (i = 0; i < count && i < max; i++)
		attrs[i] = tpms_rd_u32(&r);
	return r.bad ? -EIO : (int)i;
}

/*
 * A successful TPM2_GetCapability(TPM_CAP_HANDLES) response with no
 * sessions: moreData, capability, TPML_HANDLE.  @list is the offset of the
 * first handle.  Return: 0, or -EIO.
 */
int tpms_parse_cap_handles(const u8 *rsp, size_t len, bool *more,
			   u32 *count, size_t *list)
{
	struct tpms_rd r;

	if (tpms_rsp_body(&r, rsp, len) ||
	    tpms_hdr_tag(rsp) != TPM2_ST_NO_SESSIONS)
		return -EIO;
	*more = tpms_rd_u8(&r);
	if (tpms_rd_u32(&r) != TPM2_CAP_HANDLES)
		return -EIO;
	*count = tpms_rd_u32(&r);
	if (r.bad || *count != r.left / 4 || r.left % 4)
		return -EIO;
	*list = r.p - rsp;
	return 0;
}

/* A TPM_CAP_HANDLES answer listing @handles.  Return: its length. */
ssize_t tpms_build_cap_handles(u8 *rsp, size_t size, bool more,
			       const u32 *handles, unsigned int n)
{
	struct tpms_buf b;
	unsigned int i;

	tpms_buf_init(&b, rsp, size, TPM2_ST_NO_SESSIONS, TPM2_RC_SUCCESS);
	tpms_buf_u8(&b, more);
	tpms_buf_u32(&b, TPM2_CAP_HANDLES);
	tpms_buf_u32(&b, n);
	for (i = 0; i < n; i++)
		tpms_buf_u32(&b, handles[i]);
	return tpms_buf_finish(&b);
}

/* A response that is only a header with return code @rc. */
ssize_t tpms_build_rc(u8 *rsp, size_t size, u32 rc)
{
	struct tpms_buf b;

	tpms_buf_init(&b, rsp, size, TPM2_ST_NO_SESSIONS, rc);
	return tpms_buf_finish(&b);
}

/*
 * A TPM 1.2 response whose body starts with a 32-bit size and that many
 * bytes (TPM_GetCapability's resp, TPM_GetRandom's randomBytes).  Returns
 * the size, with *@data at the bytes, or -EIO.
 */
int tpms_parse_tpm1_sized(const u8 *rsp, size_t len, const u8 **data)
{
	struct tpms_rd r;
	u32 n;

	if (tpms_rsp_body(&r, rsp, len))
		return -EIO;
	n = tpms_rd_u32(&r);
	if (r.bad || n > TPMS_MAX_CMD)
		return -EIO;
	*data = tpms_rd_bytes(&r, n);
	return *data ? (int)n : -EIO;
}
