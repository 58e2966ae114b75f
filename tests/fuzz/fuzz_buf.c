// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: libFuzzer target for the pure command/response validation and
 * parsing code, built from the module's own src/buf.c.  Every input is
 * treated as a user command, a device response and each parsed response
 * type; ASan/UBSan catch any out-of-bounds access, and the asserts check
 * what the validators promise.
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "../../src/buf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/*
	 * An exactly-sized heap copy: a read one byte past the input's end
	 * lands in ASan's redzone (a larger stack buffer would hide it).
	 */
	u8 *buf;
	const u8 *p;
	u16 banks[8];
	int n, rc;

	if (size > TPMS_MAX_CMD + 16)
		size = TPMS_MAX_CMD + 16;
	buf = malloc(size ? size : 1);
	assert(buf);
	memcpy(buf, data, size);

	/* a command from userspace: accepted ones are sendable as they are */
	if (size >= 6) {
		rc = tpms_check_user_cmd(buf, size);
		if (!rc) {
			assert(tpms_hdr_len(buf) >= TPMS_HDR);
			assert(tpms_hdr_len(buf) <= size);
			assert(tpms_hdr_len(buf) <= TPMS_MAX_CMD);
		}
	}

	/* a response from a device: accepted ones are exactly their size */
	rc = tpms_check_rsp(buf, size);
	if (!rc)
		assert(size >= TPMS_HDR && tpms_hdr_len(buf) == size);

	n = tpms_parse_pcr_banks(buf, size, banks, 8);
	assert(n < 0 || n <= 8);
	n = tpms_parse_random(buf, size, &p);
	if (n >= 0)
		assert(p >= buf && p + n <= buf + size);
	n = tpms_parse_pcr_digest(buf, size, &p);
	if (n >= 0)
		assert(p >= buf && p + n <= buf + size);
	n = tpms_parse_tpm1_sized(buf, size, &p);
	if (n >= 0)
		assert(p >= buf && p + n <= buf + size);
	if (size >= TPMS_HDR && tpms_rsp_tag_ok(buf, 1) && tpms_rsp_tag_ok(buf, 2))
		assert(tpms_hdr_tag(buf) == TPM1_TAG_RSP_COMMAND);

	/* the resource manager's parsers stay inside the input */
	{
		struct tpms_cmd_handles h;
		unsigned int nh = size ? data[0] % (TPMS_MAX_CMD_HANDLES + 2) : 0;
		u32 cap, prop, count, attrs[8];
		size_t off;
		bool more;

		rc = tpms_parse_cmd_handles(buf, size, nh, &h);
		if (!rc) {
			assert(h.nr == nh && TPMS_HDR + 4 * nh <= size);
			assert(h.nr_sess <= TPMS_MAX_CMD_SESSIONS);
		} else {
			assert(nh > TPMS_MAX_CMD_HANDLES ||
			       size < TPMS_HDR + 4 * nh);
		}
		tpms_parse_get_cap(buf, size, &cap, &prop, &count);
		n = tpms_parse_cap_commands(buf, size, attrs, 8, &more);
		assert(n < 0 || n <= 8);
		if (!tpms_parse_cap_handles(buf, size, &more, &count, &off))
			assert(off + 4 * (size_t)count == size);
	}

	/* the builder never writes past its buffer */
	if (size >= 2) {
		struct tpms_buf b;
		u8 out[64];
		size_t i;

		tpms_buf_init(&b, out, data[0] % sizeof(out), 0x8001, 0x17b);
		for (i = 1; i < size && i < 200; i++)
			tpms_buf_u32(&b, data[i]);
		rc = tpms_buf_finish(&b);
		assert(rc < 0 || (size_t)rc <= data[0] % sizeof(out));
		rc = tpms_build_cap_handles(out, data[0] % sizeof(out),
					    data[1] & 1, (const u32 *)buf,
					    (size - 2) / 4 % 16);
		assert(rc < 0 || (size_t)rc <= data[0] % sizeof(out));
	}
	free(buf);
	return 0;
}
