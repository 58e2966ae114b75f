// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the firmware's measured-boot event log, in securityfs.
 *
 * A chip that firmware describes (TIS and CRB, a forced TIS included)
 * gets the log the firmware left, from the same sources in the same order
 * as the kernel's TPM core: the ACPI TPM2 table's log area (TCPA for a TPM
 * 1.2) when the device has an ACPI companion; for a TPM 2.0 with no TPM
 * 2.0 log there, the EFI TPM event log with the final-events table
 * appended.  An EFI log in the TCG 1.2 format is not published for a TPM
 * 2.0 (the kernel's core parses it as a TPM 1.2 log).  The log is
 * copied and validated at registration (header, every event's size, its
 * digests against the Spec ID event's algorithms, the whole within the
 * area); one that fails is not published and the reason is logged once.
 *
 * securityfs tpmsafeN/binary_bios_measurements (0440) holds the events as
 * the firmware wrote them, up to the end of the last one; a TPM 1.2 also
 * gets ascii_bios_measurements, one line per event.  Unregister removes
 * the files first among the entry points; a reader that opened one before
 * gets -ENODEV from then on, and the copy lives as long as the chip; the
 * removed files' inodes become bad ones, so that a descriptor opened with
 * O_PATH reopens to -EIO, never into this module.
 * Virtual TPMs have no firmware log and get no directory.
 */

#include <linux/acpi.h>
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/efi.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "tpms.h"

/* a log area larger than this is a firmware bug */
#define TPMS_LOG_MAX		SZ_8M
/* the most algorithms a Spec ID event may list */
#define TPMS_LOG_MAX_ALGS	16
/* the largest digest a TPM 2.0 bank has (SHA-512) */
#define TPMS_LOG_MAX_DIGEST	64

/* TCG PC Client event types the log and its text form name */
#define TPMS_EV_NO_ACTION		0x03
#define TPMS_EV_SEPARATOR		0x04
#define TPMS_EV_ACTION		0x05
#define TPMS_EV_EVENT_TAG		0x06

/* the first event of a TPM 2.0 (crypto agile) log: TCG_PCClientPCREvent */
#define TPMS_EV1_HDR		32	/* pcr, type, SHA-1 digest, size */
#define TPMS_SPEC_ID_SIG		"Spec ID Event03"
#define TPMS_SPEC_ID_FIXED		28	/* signature .. numberOfAlgorithms */
/* the EFI log's version for the TPM 2.0 (crypto agile) format */
#define TPMS_EFI_LOG_TCG2	2

/* the TPM2 table's fields after the 52 bytes acpi_table_tpm2 has */
struct tpms_tpm2_log_area {
	u8 start_method_params[12];
	__le32 laml;
	__le64 lasa;
} __packed;

struct tpms_log_alg {
	u16 alg;
	u16 size;
};

/* what validation found: where the events end, and how many there are */
struct tpms_log_info {
	size_t used;
	unsigned int events;
};

#ifdef TPMS_TEST
/*
 * Test builds only: debugfs tpm_safe/test_log.  A blob written there
 * (from offset 0) replaces, as the log area, whatever the firmware left:
 * QEMU's logs are always sane, the bad-input tests need bad ones.  An
 * empty write clears it.
 */
static DEFINE_MUTEX(tpms_test_log_lock);
static u8 *tpms_test_log;
static size_t tpms_test_log_len;

static ssize_t tpms_test_log_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	size_t end;
	u8 *p;

	if (*ppos < 0 || *ppos > TPMS_LOG_MAX ||
	    count > TPMS_LOG_MAX - *ppos)
		return -EFBIG;
	end = *ppos + count;
	mutex_lock(&tpms_test_log_lock);
	if (!*ppos) {
		kvfree(tpms_test_log);
		tpms_test_log = NULL;
		tpms_test_log_len = 0;
	}
	if (end > tpms_test_log_len) {
		p = kvmalloc(end, GFP_KERNEL);
		if (!p) {
			mutex_unlock(&tpms_test_log_lock);
			return -ENOMEM;
		}
		if (tpms_test_log)
			memcpy(p, tpms_test_log, tpms_test_log_len);
		memset(p + tpms_test_log_len, 0, end - tpms_test_log_len);
		kvfree(tpms_test_log);
		tpms_test_log = p;
		tpms_test_log_len = end;
	}
	if (copy_from_user(tpms_test_log + *ppos, ubuf, count)) {
		mutex_unlock(&tpms_test_log_lock);
		return -EFAULT;
	}
	mutex_unlock(&tpms_test_log_lock);
	*ppos = end;
	return count;
}

static const struct file_operations tpms_test_log_fops = {
	.owner = THIS_MODULE,
	.write = tpms_test_log_write,
};

void tpms_log_debugfs(struct dentry *dir)
{
	debugfs_create_file("test_log", 0200, dir, NULL, &tpms_test_log_fops);
}

void tpms_log_exit(void)
{
	kvfree(tpms_test_log);
	tpms_test_log = NULL;
	tpms_test_log_len = 0;
}

/* Return: the test blob's copy, its length in @len; NULL when none. */
static u8 *tpms_log_test_area(struct tpms_chip *chip, size_t *len)
{
	u8 *p = NULL;

	mutex_lock(&tpms_test_log_lock);
	if (tpms_test_log_len) {
		p = kvmalloc(tpms_test_log_len, GFP_KERNEL);
		if (p) {
			memcpy(p, tpms_test_log, tpms_test_log_len);
			*len = tpms_test_log_len;
			dev_info(&chip->dev, "test log: %zu bytes in place of the firmware's\n",
				 *len);
		} else {
			/* never the firmware's in its place */
			p = ERR_PTR(-ENOMEM);
		}
	}
	mutex_unlock(&tpms_test_log_lock);
	return p;
}
#else
void tpms_log_debugfs(struct dentry *dir)
{
}

void tpms_log_exit(void)
{
}

static u8 *tpms_log_test_area(struct tpms_chip *chip, size_t *len)
{
	return NULL;
}
#endif

/*
 * Where the area's unwritten rest begins: the run of 0x00 or 0xFF bytes
 * that reaches its end (@len when there is none).  Events are read up to
 * there; the last one may end inside it.
 */
static size_t tpms_log_fill(const u8 *p, size_t len)
{
	size_t i = len;

	if (!len || (p[len - 1] != 0x00 && p[len - 1] != 0xff))
		return len;
	while (i && p[i - 1] == p[len - 1])
		i--;
	return i;
}

/*
 * A TPM 1.2 log (TCG PC Client 1.2: pcr, type, SHA-1 digest, size, data):
 * each event whole within the area, up to the area's end or the padding
 * after the last one.
 */
static int tpms_log1_check(struct tpms_chip *chip, const u8 *log, size_t len,
			   struct tpms_log_info *info)
{
	size_t off = 0, fill = tpms_log_fill(log, len);
	u32 size;

	info->events = 0;
	while (off < fill) {
		if (len - off < TPMS_EV1_HDR) {
			dev_warn(&chip->dev, "event log not published: event %u at offset %zu is cut off by the end of the area (%zu bytes)\n",
				 info->events, off, len);
			return -EINVAL;
		}
		size = get_unaligned_le32(log + off + 28);
		/* type 0 with no data ends the log, as upstream reads it */
		if (!get_unaligned_le32(log + off + 4) && !size)
			break;
		if (size > len - off - TPMS_EV1_HDR) {
			dev_warn(&chip->dev, "event log not published: event %u at offset %zu: its %u data bytes run past the area (%zu bytes)\n",
				 info->events, off, size, len);
			return -EINVAL;
		}
		off += TPMS_EV1_HDR + size;
		info->events++;
	}
	info->used = off;
	return 0;
}

/*
 * The Spec ID event that opens a TPM 2.0 log: its algorithms and their
 * digest sizes.  Return: the header event's length, -ENODEV when the area
 * holds no TPM 2.0 log (another source may), -EINVAL when it is malformed.
 */
static int tpms_log2_spec_id(struct tpms_chip *chip, const u8 *log,
			     size_t len, struct tpms_log_alg *algs,
			     unsigned int *nr_algs)
{
	const u8 *spec = log + TPMS_EV1_HDR;
	u32 size, n, i;

	if (len < TPMS_EV1_HDR + TPMS_SPEC_ID_FIXED ||
	    get_unaligned_le32(log) != 0 ||
	    get_unaligned_le32(log + 4) != TPMS_EV_NO_ACTION ||
	    memchr_inv(log + 8, 0, TPM1_DIGEST_SIZE) ||
	    memcmp(spec, TPMS_SPEC_ID_SIG, sizeof(TPMS_SPEC_ID_SIG)))
		return -ENODEV;
	size = get_unaligned_le32(log + 28);
	if (size > len - TPMS_EV1_HDR || size < TPMS_SPEC_ID_FIXED) {
		dev_warn(&chip->dev, "event log not published: the Spec ID event's size %u does not fit the area (%zu bytes)\n",
			 size, len);
		return -EINVAL;
	}
	n = get_unaligned_le32(spec + 24);
	if (!n || n > TPMS_LOG_MAX_ALGS) {
		dev_warn(&chip->dev, "event log not published: the Spec ID event lists %u algorithms (1 to %u)\n",
			 n, TPMS_LOG_MAX_ALGS);
		return -EINVAL;
	}
	/* the algorithms, then vendorInfoSize and the vendor's bytes */
	if (TPMS_SPEC_ID_FIXED + 4 * n + 1 > size ||
	    TPMS_SPEC_ID_FIXED + 4 * n + 1 + spec[TPMS_SPEC_ID_FIXED + 4 * n] > size) {
		dev_warn(&chip->dev, "event log not published: the Spec ID event's %u algorithms overrun its %u bytes\n",
			 n, size);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		algs[i].alg = get_unaligned_le16(spec + TPMS_SPEC_ID_FIXED + 4 * i);
		algs[i].size = get_unaligned_le16(spec + TPMS_SPEC_ID_FIXED + 4 * i + 2);
		if (!algs[i].size || algs[i].size > TPMS_LOG_MAX_DIGEST) {
			dev_warn(&chip->dev, "event log not published: the Spec ID event gives algorithm %#06x a %u-byte digest\n",
				 algs[i].alg, algs[i].size);
			return -EINVAL;
		}
	}
	*nr_algs = n;
	return TPMS_EV1_HDR + size;
}

/* Return: the digest size the Spec ID event gives @alg, 0 if it lists none. */
static u32 tpms_log2_digest_size(const struct tpms_log_alg *algs,
				 unsigned int n, u16 alg)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (algs[i].alg == alg)
			return algs[i].size;
	return 0;
}

/*
 * A TPM 2.0 log: the Spec ID event, then TCG_PCR_EVENT2s (pcr, type,
 * count, count digests of the Spec ID event's algorithms, size, data),
 * each whole within the area, up to its end or the padding after the last.
 */
static int tpms_log2_check(struct tpms_chip *chip, const u8 *log, size_t len,
			   struct tpms_log_info *info)
{
	struct tpms_log_alg algs[TPMS_LOG_MAX_ALGS];
	unsigned int nr_algs, i;
	size_t off, p, fill;
	u32 count, size;
	int rc;

	rc = tpms_log2_spec_id(chip, log, len, algs, &nr_algs);
	if (rc < 0)
		return rc;
	off = rc;
	fill = tpms_log_fill(log, len);
	info->events = 1;
	while (off < fill) {
		p = off + 12;
		if (p > len)
			goto cut;
		count = get_unaligned_le32(log + off + 8);
		if (count != nr_algs) {
			dev_warn(&chip->dev, "event log not published: event %u at offset %zu has %u digests, the Spec ID event lists %u algorithms\n",
				 info->events, off, count, nr_algs);
			return -EINVAL;
		}
		for (i = 0; i < count; i++) {
			if (p + 2 > len)
				goto cut;
			size = tpms_log2_digest_size(algs, nr_algs,
						     get_unaligned_le16(log + p));
			if (!size) {
				dev_warn(&chip->dev, "event log not published: event %u at offset %zu has a digest of algorithm %#06x, which the Spec ID event does not list\n",
					 info->events, off,
					 get_unaligned_le16(log + p));
				return -EINVAL;
			}
			p += 2 + size;
		}
		if (p + 4 > len)
			goto cut;
		size = get_unaligned_le32(log + p);
		if (!get_unaligned_le32(log + off + 4) && !size)
			break;
		if (size > len - p - 4) {
			dev_warn(&chip->dev, "event log not published: event %u at offset %zu: its %u data bytes run past the area (%zu bytes)\n",
				 info->events, off, size, len);
			return -EINVAL;
		}
		off = p + 4 + size;
		info->events++;
	}
	info->used = off;
	return 0;
cut:
	dev_warn(&chip->dev, "event log not published: event %u at offset %zu is cut off by the end of the area (%zu bytes)\n",
		 info->events, off, len);
	return -EINVAL;
}

/* Return: a copy of physical [@start, @start + @len), NULL, or an ERR_PTR. */
static u8 *tpms_log_copy_acpi(struct tpms_chip *chip, u64 start, u64 len)
{
	void __iomem *virt;
	u8 *log;

	if (len > TPMS_LOG_MAX) {
		dev_warn(&chip->dev, "event log not published: the ACPI log area of %llu bytes is over %u\n",
			 len, TPMS_LOG_MAX);
		return ERR_PTR(-EINVAL);
	}
	log = kvmalloc(len, GFP_KERNEL);
	if (!log)
		return ERR_PTR(-ENOMEM);
	virt = acpi_os_map_iomem(start, len);
	if (!virt) {
		/* as upstream: the EFI log may still be there */
		dev_warn(&chip->dev, "cannot map the ACPI event log area %#llx+%#llx\n",
			 start, len);
		kvfree(log);
		return NULL;
	}
	memcpy_fromio(log, virt, len);
	acpi_os_unmap_iomem(virt, len);
	return log;
}

/* Return: the ACPI log area's copy, NULL when the tables give none. */
static u8 *tpms_log_acpi(struct tpms_chip *chip, size_t *len)
{
	struct acpi_table_header *hdr;
	u64 start, size;

	if (test_bit(TPMS_F_TPM2, &chip->flags)) {
		const struct tpms_tpm2_log_area *area;

		if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_TPM2, 1, &hdr)))
			return NULL;
		if (hdr->length < sizeof(struct acpi_table_tpm2) + sizeof(*area)) {
			acpi_put_table(hdr);
			return NULL;
		}
		area = (void *)hdr + sizeof(struct acpi_table_tpm2);
		size = le32_to_cpu(area->laml);
		start = le64_to_cpu(area->lasa);
	} else {
		const struct acpi_table_tcpa_hdr *tcpa;

		if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_TCPA, 1, &hdr)))
			return NULL;
		tcpa = (void *)hdr;
		size = 0;
		start = 0;
		if (tcpa->platform_class == ACPI_TCPA_SERVER_TABLE) {
			const struct acpi_table_tcpa_server *s = (void *)(tcpa + 1);

			/* up to the log address: the rest is not read */
			if (hdr->length >= sizeof(*tcpa) +
					   offsetofend(typeof(*s), log_address)) {
				size = s->minimum_log_length;
				start = s->log_address;
			}
		} else if (hdr->length >= sizeof(*tcpa) +
					  sizeof(struct acpi_table_tcpa_client)) {
			const struct acpi_table_tcpa_client *c = (void *)(tcpa + 1);

			size = c->minimum_log_length;
			start = c->log_address;
		}
	}
	acpi_put_table(hdr);
	if (!start || !size)
		return NULL;
	*len = size;
	return tpms_log_copy_acpi(chip, start, size);
}

/*
 * The EFI TPM event log (TPM 2.0 format only), with the final-events
 * table's events that are not already in it appended.
 * Return: the copy, NULL when the firmware left none, or an ERR_PTR.
 */
static u8 *tpms_log_efi(struct tpms_chip *chip, size_t *len)
{
#ifdef CONFIG_EFI
	struct efi_tcg2_final_events_table *final = NULL;
	struct linux_efi_tpm_eventlog *tbl;
	size_t size, extra = 0;
	u8 *log;

	if (efi.tpm_log == EFI_INVALID_TABLE_ADDR)
		return NULL;
	tbl = memremap(efi.tpm_log, sizeof(*tbl), MEMREMAP_WB);
	if (!tbl)
		goto nomap;
	size = tbl->size;
	memunmap(tbl);
	if (!size)
		return NULL;
	if (size > TPMS_LOG_MAX) {
		dev_warn(&chip->dev, "event log not published: the EFI log of %zu bytes is over %u\n",
			 size, TPMS_LOG_MAX);
		return ERR_PTR(-EINVAL);
	}
	tbl = memremap(efi.tpm_log, sizeof(*tbl) + size, MEMREMAP_WB);
	if (!tbl)
		goto nomap;
	if (tbl->version != TPMS_EFI_LOG_TCG2) {
		dev_warn(&chip->dev, "event log not published: the EFI log has format %u, not TCG 2\n",
			 tbl->version);
		memunmap(tbl);
		return ERR_PTR(-EINVAL);
	}
	/* the final-events table's events after those the log has */
	if (efi.tpm_final_log != EFI_INVALID_TABLE_ADDR &&
	    efi_tpm_final_log_size > 0 &&
	    efi_tpm_final_log_size > tbl->final_events_preboot_size) {
		if (efi_tpm_final_log_size > TPMS_LOG_MAX - size) {
			dev_warn(&chip->dev, "event log not published: the EFI final events' %d bytes are too many\n",
				 efi_tpm_final_log_size);
			memunmap(tbl);
			return ERR_PTR(-EINVAL);
		}
		final = memremap(efi.tpm_final_log,
				 sizeof(*final) + efi_tpm_final_log_size,
				 MEMREMAP_WB);
		if (!final) {
			memunmap(tbl);
			goto nomap;
		}
		extra = efi_tpm_final_log_size - tbl->final_events_preboot_size;
	}
	log = kvmalloc(size + extra, GFP_KERNEL);
	if (log) {
		memcpy(log, tbl->log, size);
		if (extra)
			memcpy(log + size,
			       final->events + tbl->final_events_preboot_size,
			       extra);
		*len = size + extra;
	}
	if (final)
		memunmap(final);
	memunmap(tbl);
	return log ?: ERR_PTR(-ENOMEM);
nomap:
	dev_warn(&chip->dev, "event log not published: cannot map the EFI event log\n");
	return ERR_PTR(-EIO);
#else
	return NULL;
#endif
}

/* the names ascii_bios_measurements gives event types 0 .. 0x11 */
static const char * const tpms_log1_type_names[] = {
	"PREBOOT", "POST CODE", "", "NO ACTION", "SEPARATOR", "ACTION",
	"EVENT TAG", "S-CRTM Contents", "S-CRTM Version", "CPU Microcode",
	"Platform Config Flags", "Table of Devices", "Compact Hash", "IPL",
	"IPL Partition Data", "Non-Host Code", "Non-Host Config",
	"Non-Host Info",
};

/* ...and the event IDs of a TPMS_EV_EVENT_TAG; true: its data is a digest */
static const struct {
	const char *name;
	bool digest;
} tpms_log1_tag_names[] = {
	[1] = { "SMBIOS" }, [2] = { "BIS Certificate" },
	[3] = { "POST BIOS ", true }, [4] = { "ESCD ", true },
	[5] = { "CMOS" }, [6] = { "NVRAM" }, [7] = { "Option ROM" },
	[8] = { "Option ROM config" }, [10] = { "Option ROM microcode ", true },
	[11] = { "S-CRTM Version" }, [12] = { "S-CRTM Contents ", true },
	[13] = { "POST Contents ", true },
};

#define TPMS_LOG1_TEXT	1000	/* the longest bracketed name, with its NUL */

/*
 * One TPM 1.2 event as a line of ascii_bios_measurements: the PCR, the
 * SHA-1 digest, the type and a bracketed name (a text event's own text,
 * an event tag's name and digest), in upstream's format.  @name is
 * scratch space of TPMS_LOG1_TEXT bytes.  Writes into @buf, at most @room
 * bytes (0: only counts).  Return: the line's whole length.
 */
static size_t tpms_log1_line(const u8 *ev, char *name, char *buf, size_t room)
{
	u32 pcr = get_unaligned_le32(ev), type = get_unaligned_le32(ev + 4);
	u32 size = get_unaligned_le32(ev + 28);
	const u8 *data = ev + TPMS_EV1_HDR;
	const char *text = "";
	int tlen = 0, dlen = 0;

	if (type == TPMS_EV_SEPARATOR || type == TPMS_EV_ACTION) {
		if (size < TPMS_LOG1_TEXT) {
			text = data;
			tlen = size;
		}
	} else if (type == TPMS_EV_EVENT_TAG) {
		u32 id = size >= 4 ? get_unaligned_le32(data) : 0;

		if (id < ARRAY_SIZE(tpms_log1_tag_names) &&
		    tpms_log1_tag_names[id].name) {
			text = tpms_log1_tag_names[id].name;
			tlen = strlen(text);
			if (tpms_log1_tag_names[id].digest &&
			    size >= 8 + TPM1_DIGEST_SIZE)
				dlen = TPM1_DIGEST_SIZE;
		}
	} else if (type < ARRAY_SIZE(tpms_log1_type_names)) {
		text = tpms_log1_type_names[type];
		tlen = strlen(text);
	}
	snprintf(name, TPMS_LOG1_TEXT, "[%.*s%*phN]", tlen, text, dlen,
		 data + 8);
	return snprintf(buf, room, "%2d %20phN %02x %s\n", (int)pcr, ev + 8,
			type, name);
}

/* ascii_bios_measurements of a validated TPM 1.2 log */
static int tpms_log1_text(struct tpms_chip *chip)
{
	size_t off, n = 0, room;
	char *name, *text;

	name = kmalloc(TPMS_LOG1_TEXT, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	for (off = 0; off < chip->log_len;
	     off += TPMS_EV1_HDR + get_unaligned_le32(chip->log + off + 28))
		n += tpms_log1_line(chip->log + off, name, NULL, 0);
	room = n + 1;
	text = kvmalloc(room, GFP_KERNEL);
	if (!text) {
		kfree(name);
		return -ENOMEM;
	}
	n = 0;
	for (off = 0; off < chip->log_len && n < room;
	     off += TPMS_EV1_HDR + get_unaligned_le32(chip->log + off + 28))
		n += tpms_log1_line(chip->log + off, name, text + n, room - n);
	kfree(name);
	chip->log_text = text;
	chip->log_text_len = min(n, room - 1);
	return 0;
}

static int tpms_log_open(struct inode *inode, struct file *file)
{
	struct tpms_chip *chip;

	inode_lock(inode);
	chip = inode->i_private;
	if (chip)
		get_device(&chip->dev);
	inode_unlock(inode);
	if (!chip)
		return -ENODEV;
	file->private_data = chip;
	tpms_obj_created(TPMS_OBJ_FILE);
	return 0;
}

static int tpms_log_release(struct inode *inode, struct file *file)
{
	struct tpms_chip *chip = file->private_data;

	put_device(&chip->dev);
	tpms_obj_destroyed(TPMS_OBJ_FILE);
	return 0;
}

/*
 * The copy never changes and lives as long as the chip; after unregister
 * began, reads fail.  Nothing is held across the copy to userspace.
 */
static ssize_t tpms_log_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos, const void *data,
			     size_t len)
{
	struct tpms_chip *chip = file->private_data;

	if (test_bit(TPMS_F_DYING, &chip->flags))
		return -ENODEV;
	return simple_read_from_buffer(ubuf, count, ppos, data, len);
}

static ssize_t tpms_log_bin_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct tpms_chip *chip = file->private_data;

	return tpms_log_read(file, ubuf, count, ppos, chip->log,
			     chip->log_len);
}

static ssize_t tpms_log_text_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct tpms_chip *chip = file->private_data;

	return tpms_log_read(file, ubuf, count, ppos, chip->log_text,
			     chip->log_text_len);
}

static const struct file_operations tpms_log_bin_fops = {
	.owner = THIS_MODULE,
	.open = tpms_log_open,
	.read = tpms_log_bin_read,
	.llseek = default_llseek,
	.release = tpms_log_release,
};

static const struct file_operations tpms_log_text_fops = {
	.owner = THIS_MODULE,
	.open = tpms_log_open,
	.read = tpms_log_text_read,
	.llseek = default_llseek,
	.release = tpms_log_release,
};

/*
 * Find, copy and validate the log.  Return: 0 with chip->log set, or a
 * negative errno (-ENODEV: the firmware left none), already logged.
 */
static int tpms_log_read_fw(struct tpms_chip *chip)
{
	bool tpm2 = test_bit(TPMS_F_TPM2, &chip->flags);
	const char *src = "test";
	struct tpms_log_info info;
	size_t len = 0;
	u8 *area;
	int rc;

	area = tpms_log_test_area(chip, &len);
	/* the ACPI tables' log belongs to the device they describe */
	if (!area && has_acpi_companion(chip->dev.parent)) {
		src = "ACPI";
		area = tpms_log_acpi(chip, &len);
	}
	if (IS_ERR(area))
		return PTR_ERR(area);
	if (area) {
		rc = tpm2 ? tpms_log2_check(chip, area, len, &info) :
			    tpms_log1_check(chip, area, len, &info);
		/* the test log stands for the firmware's: never fall back */
		if (rc == -ENODEV && !strcmp(src, "test")) {
			dev_warn(&chip->dev, "event log not published: the test log does not open with a Spec ID event\n");
			rc = -EINVAL;
		}
		/* an ACPI area without a TPM 2.0 log: try EFI, as upstream */
		if (rc == -ENODEV) {
			kvfree(area);
			area = NULL;
		} else if (rc) {
			kvfree(area);
			return rc;
		}
	}
	if (!area && tpm2) {
		src = "EFI";
		area = tpms_log_efi(chip, &len);
		if (IS_ERR(area))
			return PTR_ERR(area);
		if (area) {
			rc = tpms_log2_check(chip, area, len, &info);
			if (rc == -ENODEV)
				dev_warn(&chip->dev, "event log not published: the EFI log does not open with a Spec ID event\n");
			if (rc) {
				kvfree(area);
				return -EINVAL;
			}
		}
	}
	if (!area)
		return -ENODEV;
	if (!info.used) {
		kvfree(area);
		dev_info(&chip->dev, "the firmware's event log area is empty\n");
		return -ENODEV;
	}
	/* keep what is published, not the padding after it */
	chip->log = kvmalloc(info.used, GFP_KERNEL);
	if (chip->log) {
		memcpy(chip->log, area, info.used);
		chip->log_len = info.used;
	}
	kvfree(area);
	if (!chip->log)
		return -ENOMEM;
	snprintf(chip->log_what, sizeof(chip->log_what),
		 ", event log: %u events (%s)", info.events, src);
	return 0;
}

/**
 * tpms_log_add() - publish the firmware's event log of a registering chip
 * @chip: the chip, started (its TPM family known)
 *
 * Nothing for a chip firmware does not describe.  A log that cannot be
 * read or fails validation is not published (logged once); the chip
 * registers all the same.
 */
void tpms_log_add(struct tpms_chip *chip)
{
	struct dentry *d;
	int rc;

	if (!(chip->backend_flags & TPMS_BACKEND_FIRMWARE))
		return;
	rc = tpms_log_read_fw(chip);
	if (!rc && !test_bit(TPMS_F_TPM2, &chip->flags))
		rc = tpms_log1_text(chip);
	if (rc == -ENOMEM)
		dev_err(&chip->dev, "event log not published: out of memory\n");
	if (rc) {
		chip->log_what[0] = 0;
		return;
	}

	d = securityfs_create_dir(dev_name(&chip->dev), NULL);
	/* a kernel without securityfs: nothing to publish it in */
	if (d == ERR_PTR(-ENODEV)) {
		chip->log_what[0] = 0;
		return;
	}
	if (IS_ERR(d))
		goto err;
	chip->log_dir = d;
	d = securityfs_create_file("binary_bios_measurements", 0440,
				   chip->log_dir, chip, &tpms_log_bin_fops);
	if (IS_ERR(d))
		goto err;
	chip->log_files[0] = d;
	if (chip->log_text) {
		d = securityfs_create_file("ascii_bios_measurements", 0440,
					   chip->log_dir, chip,
					   &tpms_log_text_fops);
		if (IS_ERR(d))
			goto err;
		chip->log_files[1] = d;
	}
	return;
err:
	dev_warn(&chip->dev, "event log not published: securityfs: %pe\n", d);
	chip->log_what[0] = 0;
	tpms_log_del(chip);
}

/**
 * tpms_log_del() - remove the chip's event log files
 * @chip: the chip
 *
 * An open file keeps the chip (and the copy) until it is closed, and
 * reads -ENODEV once unregister began.  Idempotent.
 */
void tpms_log_del(struct tpms_chip *chip)
{
	int i;

	for (i = ARRAY_SIZE(chip->log_files) - 1; i >= 0; i--) {
		struct dentry *d = chip->log_files[i];

		if (!d)
			continue;
		/* an open() from now on finds no chip */
		inode_lock(d_inode(d));
		d_inode(d)->i_private = NULL;
		inode_unlock(d_inode(d));
		/*
		 * Unlinked, a file still open keeps its dentry hashed, and the
		 * directory would then not be empty for its removal: unhash it
		 * (as d_delete() does with a dentry in use).
		 */
		dget(d);
		securityfs_remove(d);
		d_drop(d);
		/*
		 * Its inode outlives the module in an O_PATH descriptor; a
		 * reopen through /proc/self/fd must not reach this module's
		 * file operations: give it the kernel's bad ones (-EIO).
		 * Files already open keep theirs and the module with them.
		 */
		make_bad_inode(d_inode(d));
		dput(d);
		chip->log_files[i] = NULL;
	}
	if (chip->log_dir) {
		/* the same for the directory: a process inside it holds it */
		dget(chip->log_dir);
		securityfs_remove(chip->log_dir);
		d_drop(chip->log_dir);
		dput(chip->log_dir);
		chip->log_dir = NULL;
	}
}
