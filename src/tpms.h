/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_safe: internal declarations of the chip core.
 *
 * Copyright (C) 2026 The tpm_safe developers
 */
#ifndef TPMS_H
#define TPMS_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/hw_random.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "backend.h"
#include "buf.h"

/* chip numbers (and raw plus rm minors, twice as many); max_chips lowers it */
#define TPMS_MAX_CHIPS		1024
extern unsigned int tpms_max_chips;
#define TPMS_MAX_BANKS		5
#define TPMS_NR_PCRS		24
/* the most TPM 2.0 commands the resource manager knows of */
#define TPMS_MAX_COMMANDS	256
/* TPM 1.2: SHA-1 PCRs, and what TPM_GetCapability is asked */
#define TPM1_DIGEST_SIZE		20
#define TPM1_CAP_FLAG			4
#define TPM1_CAP_PROPERTY		5
#define TPM1_CAP_VERSION		6
#define TPM1_CAP_VERSION_VAL		0x1A
#define TPM1_CAP_PROP_PCR		0x101
#define TPM1_CAP_PROP_MANUFACTURER	0x103
#define TPM1_CAP_PROP_OWNER		0x111
#define TPM1_CAP_PROP_TIS_TIMEOUT	0x115
#define TPM1_CAP_PROP_TIS_DURATION	0x120
#define TPM1_CAP_FLAG_PERMANENT		0x108
#define TPM1_CAP_FLAG_VOLATILE		0x109
/* each command of a slow-starting backend's registration (probe included) */
#define TPMS_SLOW_START_MS	120000

enum tpms_duration {
	TPMS_DUR_SHORT,
	TPMS_DUR_MEDIUM,
	TPMS_DUR_LONG,
	TPMS_DUR_LONG_LONG,
};

/* chip->flags bits */
enum {
	TPMS_F_ADDED,		/* char device and sysfs are visible */
	TPMS_F_DYING,		/* unregister started: no new command */
	TPMS_F_FINAL,		/* unregister's own last command is running */
	TPMS_F_SUSPENDED,	/* system sleep: no I/O until resume */
	TPMS_F_SLEEP_HELD,	/* held suspended from sleep prepare to post */
	TPMS_F_DEV_ASLEEP,	/* device suspended, no resume succeeded yet */
	TPMS_F_TPM2,
	TPMS_F_TPM1,		/* the probe found a TPM 1.2 */
	TPMS_F_STARTING,	/* registration's start-up commands */
	TPMS_F_HWRNG,		/* hwrng registered */
	TPMS_F_REMOVAL_LOGGED,	/* what a removal cut short, logged once */
	TPMS_F_RM_INIT,		/* rm_dev initialized: it holds a reference */
	TPMS_F_RM_ADDED,	/* /dev/tpmsafermN is visible */
};

/* Per-chip counters, read through sysfs stats/. */
struct tpms_stats {
	atomic64_t commands;	/* commands that reached the backend */
	atomic64_t retries;	/* TPM2_RC_RETRY / TESTING resends */
	atomic64_t err_timeout;	/* -ETIME: exceeded the command's duration */
	atomic64_t err_io;	/* backend send/recv errors, bad responses */
	atomic64_t err_gone;	/* backend disappeared mid-command */
	atomic64_t err_intr;	/* caller killed while waiting */
	atomic64_t cancelled;	/* ended by a sysfs cancel (TPM 1.2) */
	atomic64_t refused_gone;	/* fence refused: chip unregistered */
	atomic64_t refused_suspended;	/* fence refused: chip suspended */
};

struct tpms_chip {
	struct device dev;
	struct cdev cdev;

	/* the fence: ops may be used only with ops_sem held and ops != NULL */
	struct rw_semaphore ops_sem;
	const struct tpms_backend_ops *ops;
	const struct tpms_backend_ops *backend_ops;	/* never cleared */
	struct mutex lock;		/* one command sequence at a time */
	unsigned long flags;
	unsigned long is_open;		/* bit 0: /dev/tpmsafeN is open */

	void *priv;
	unsigned int backend_flags;
	size_t max_cmd;			/* longest command the backend takes */
	int num;

	unsigned long timeout[4];	/* A..D, jiffies */
	unsigned long duration[4];	/* jiffies, by enum tpms_duration */
	/* TPM 1.2: as reported, or corrected (tpm1.c) */
	bool timeouts_adjusted;
	bool durations_adjusted;
	unsigned int nr_pcrs;		/* TPM 1.2 */

	/*
	 * sysfs cancel: the sequence number of the command in the backend
	 * (odd while one is, under @lock), and the one a cancel asked for
	 */
	unsigned long cmd_seq;
	unsigned long cancel_seq;

	u16 banks[TPMS_MAX_BANKS];	/* allocated PCR banks (alg ids) */
	unsigned int nr_banks;
	const struct attribute_group *groups[3 + TPMS_MAX_BANKS + 1];

	struct hwrng hwrng;
	char hwrng_name[24];

	/*
	 * Backends whose server is a process (TPMS_BACKEND_NO_SLEEP_IO): on
	 * tpms_sleep_chips from register to unregister, the chip is held
	 * suspended from before the freezer until after thaw.
	 */
	struct list_head sleep_node;
	wait_queue_head_t sleep_wq;	/* woken when the hold ends */

	/* buffer for commands the driver itself issues, under @lock */
	u8 cmd_buf[TPMS_MAX_CMD];

	/* TPM 2.0: the commands the TPM implements (TPMA_CC), sorted */
	u32 *cc_attrs;
	unsigned int nr_cc;

	/* the resource manager: /dev/tpmsafermN and its spaces (space.c) */
	struct device rm_dev;
	struct cdev rm_cdev;
	struct mutex spaces_lock;	/* @spaces; taken inside @lock */
	struct list_head spaces;
	u64 rm_saves;			/* session saves, under @lock */
	u64 rm_epoch;			/* TPM2_Shutdown(STATE)s, under @lock */
	unsigned int rm_orphans;	/* closed spaces listed, @spaces_lock */
	bool rm_used;			/* a space was opened, @spaces_lock */
	bool rm_loaded;			/* a space's objects may be, @lock */
	bool no_kill;			/* the sequence under way ends, @lock */

	/* the firmware's event log (eventlog.c): kvmalloc'd, freed at release */
	u8 *log;
	size_t log_len;
	char *log_text;			/* TPM 1.2: ascii_bios_measurements */
	size_t log_text_len;
	struct dentry *log_dir;		/* securityfs tpmsafeN/ */
	struct dentry *log_files[2];
	char log_what[48];		/* ", event log: N events (ACPI)" or "" */

	struct tpms_stats stats;
};

static inline struct tpms_chip *to_tpms_chip(struct device *dev)
{
	return container_of(dev, struct tpms_chip, dev);
}

/* core.c */
extern struct class *tpms_class;
extern dev_t tpms_devt;
extern struct class *tpms_rm_class;
extern bool tpms_hwrng_enable;
int tpms_get_ops(struct tpms_chip *chip);
int tpms_get_ops_rng(struct tpms_chip *chip, bool wait);
int tpms_get_ops_wait(struct tpms_chip *chip);
struct tpms_space;
int tpms_get_ops_space(struct tpms_chip *chip, struct tpms_space *sp);
void tpms_put_ops(struct tpms_chip *chip);
int tpms_chip_cancel(struct tpms_chip *chip);
int tpms_wait_awake(struct tpms_chip *chip);
ssize_t tpms_transmit(struct tpms_chip *chip, u8 *buf, size_t bufsiz,
		      size_t len);
ssize_t tpms_transmit_cmd(struct tpms_chip *chip, u8 *buf, size_t len,
			  size_t min_rsp, const char *what);
int tpms_core_init(void);
void tpms_core_exit(void);

/* cdev.c */
extern const struct file_operations tpms_fops;
extern const struct file_operations tpms_rm_fops;
extern struct workqueue_struct *tpms_wq;
int tpms_cdev_init(void);
void tpms_cdev_exit(void);

/* space.c */
int tpms_rm_check_params(void);
int tpms_rm_add(struct tpms_chip *chip);
void tpms_rm_del(struct tpms_chip *chip);
void tpms_rm_flush_chip(struct tpms_chip *chip);
void tpms_rm_fenced(struct tpms_chip *chip);
int tpms_rm_evict(struct tpms_chip *chip, struct tpms_space *keep);
struct tpms_space *tpms_space_new(struct tpms_chip *chip);
void tpms_space_close(struct tpms_space *sp);
ssize_t tpms_space_transmit(struct tpms_space *sp, u8 *buf, size_t bufsiz,
			    size_t len);
void tpms_rm_debugfs(struct dentry *dir);

/* sysfs.c */
void tpms_sysfs_init(void);
void tpms_sysfs_setup(struct tpms_chip *chip);

/* eventlog.c */
void tpms_log_add(struct tpms_chip *chip);
void tpms_log_del(struct tpms_chip *chip);
void tpms_log_debugfs(struct dentry *dir);
void tpms_log_exit(void);

/* rng.c */
int tpms_hwrng_register(struct tpms_chip *chip);
void tpms_hwrng_unregister(struct tpms_chip *chip);

/* tpm2.c */
ssize_t tpms_tpm2_cmd(struct tpms_chip *chip, struct tpms_buf *b,
		      size_t min_rsp, const char *what);
int tpms_tpm2_probe(struct tpms_chip *chip);
int tpms_tpm2_auto_startup(struct tpms_chip *chip);
int tpms_tpm2_pcr_read(struct tpms_chip *chip, u16 alg, unsigned int pcr,
		       u8 *digest, size_t size);
int tpms_tpm2_get_random(struct tpms_chip *chip, u8 *out, size_t max);
int tpms_tpm2_shutdown(struct tpms_chip *chip, u16 type);
unsigned long tpms_tpm2_duration(struct tpms_chip *chip, u32 ordinal);
void tpms_tpm2_set_durations(struct tpms_chip *chip);

/* tpm1.c */
int tpms_tpm1_auto_startup(struct tpms_chip *chip);
unsigned long tpms_tpm1_duration(struct tpms_chip *chip, u32 ordinal);
int tpms_tpm1_version(struct tpms_chip *chip, u8 ver[4]);
int tpms_tpm1_get_cap(struct tpms_chip *chip, u32 cap, u32 subcap,
		      const u8 **data, unsigned int min, const char *what);
ssize_t tpms_tpm1_pcr_read(struct tpms_chip *chip, u32 pcr, u8 *digest);
int tpms_tpm1_get_random(struct tpms_chip *chip, u8 *out, size_t max);
int tpms_tpm1_read_pubek(struct tpms_chip *chip, const u8 **key);
void tpms_tpm1_save_state(struct tpms_chip *chip);

/* vtpm.c */
int tpms_vtpm_init(void);
void tpms_vtpm_exit(void);

/* tis.c */
int tpms_tis_init(void);
void tpms_tis_exit(void);

/* crb.c */
int tpms_crb_init(void);
void tpms_crb_exit(void);

/* objs.c: object accounting, so a test can prove nothing leaked */
enum tpms_obj {
	TPMS_OBJ_CHIP,
	TPMS_OBJ_FILE,
	TPMS_OBJ_PROXY,
	TPMS_OBJ_SPACE,
	TPMS_OBJ_NR,
};

void tpms_obj_created(enum tpms_obj kind);
void tpms_obj_destroyed(enum tpms_obj kind);
void tpms_obj_debugfs(struct dentry *dir);
void tpms_obj_wait_chips(void);
void tpms_obj_report(void);

#endif /* TPMS_H */
