// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_safe: the resource manager behind /dev/tpmsafermN.
 *
 * Copyright (C) 2026 The tpm_safe developers
 *
 * Each open file of the rm node is a space.  An object is named by a
 * virtual handle (0x80000000 upwards, one per slot) and kept here as a
 * saved context, saved again after each command that made or changed it
 * (sequence objects change with use); a session is saved in the TPM
 * (ContextSave) after each command and keeps its handle.  A command loads
 * only what it names (its handle area and its authorization area) and
 * runs with the physical handles in place.  The objects of the last space
 * that sent a command stay loaded after it (the chip's resident space):
 * its next command finds them in place, and the fence flushes them before
 * anyone else's command (another space's, the raw node's, the driver's
 * own), so no other user ever sees them; a system sleep saves and flushes
 * them before TPM2_Shutdown(STATE).  A space's command flushes first what
 * of its own it does not name.
 * Commands the TPM does not implement, commands too short for their
 * handles, and commands that would make an object or session the space has
 * no slot for, are answered here with a resource-manager error and never
 * reach the TPM; a handle of another space (transient or session) is
 * refused with -EINVAL.  When the TPM cannot save or load a session because
 * the oldest saved one is too old (TPM_RC_CONTEXT_GAP), that one is loaded
 * and saved again, whichever space owns it.  A space's command sequence is
 * never killed midway (tpms_chip_killable()), so that nothing the TPM made
 * is lost; closing a space flushes what it has in the TPM from a worker.
 *
 * Locking: a space's commands run one at a time (its file's lock), inside
 * the chip's fence; every change to a space's tables is made inside the
 * fence (the chip lock).  chip->spaces_lock, taken inside the chip lock,
 * guards the list of spaces.  A space holds a reference on its chip.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "tpms.h"

#define TPMS_RM_MAX_SLOTS	64
/*
 * Virtual handles count up from the first transient handle, one per slot,
 * the lowest free slot first: a client that walks TPM_CAP_HANDLES one
 * property at a time (Linux's selftests) meets them in order, as it meets
 * upstream's, which are physical handles underneath.
 */
#define TPMS_RM_VHANDLE(i)	(0x80000000u + (i))
/* GetCapability's propertyCount for "all of them" */
#define TPMS_RM_ALL_HANDLES	256
/* a saved context's savedHandle for a sequence object */
#define TPMS_SAVED_SEQUENCE	0x80000001u

static unsigned int tpms_rm_objects = 16;
module_param_named(rm_objects, tpms_rm_objects, uint, 0444);
MODULE_PARM_DESC(rm_objects, "Transient objects per resource-manager space, 1 to 64 (default 16)");

static unsigned int tpms_rm_sessions = 16;
module_param_named(rm_sessions, tpms_rm_sessions, uint, 0444);
MODULE_PARM_DESC(rm_sessions, "Sessions per resource-manager space, 1 to 64 (default 16)");

struct class *tpms_rm_class;

static void tpms_rm_flush_orphans(struct tpms_chip *chip, bool talk);

/* A closer waiting for its space's flush (tpms_space_close()). */
struct tpms_close_waiter {
	bool done;
};

static DEFINE_SPINLOCK(tpms_close_lock);
static DECLARE_WAIT_QUEUE_HEAD(tpms_close_wq);

struct tpms_rm_ctx {
	u8 *data;		/* a TPMS_CONTEXT from ContextSave */
	u32 len;
	u32 cap;
};

struct tpms_rm_obj {
	bool used;
	bool mutable;		/* its state changes with use: save after it */
	bool dirty;		/* made or changed since its context was saved */
	u32 phandle;		/* in the TPM now; 0 when only saved */
	struct tpms_rm_ctx ctx;
};

struct tpms_rm_sess {
	u32 handle;		/* 0: free slot */
	bool loaded;		/* in the TPM now; its saved context spent */
	u64 saved;		/* chip->rm_saves when saved: oldest first */
	u64 epoch;		/* chip->rm_epoch when saved */
	struct tpms_rm_ctx ctx;
};

struct tpms_space {
	struct tpms_chip *chip;
	struct list_head node;		/* chip->spaces */
	struct work_struct close_work;
	struct tpms_close_waiter *waiter;	/* under tpms_close_lock */
	bool orphan;			/* closed, left for the chip to flush */
	u64 epoch;			/* chip->rm_epoch seen last */
	pid_t pid;			/* the opener, for debugfs */
	unsigned int nr_obj;
	unsigned int nr_sess;
	struct tpms_rm_obj *obj;
	struct tpms_rm_sess *sess;
};

/*
 * A load or save answered with: the handle or context is gone, or no
 * longer valid (the TPM was reset, or the client flushed it).
 */
static bool tpms_rm_rc_gone(ssize_t rc)
{
	u32 v = (rc & 0x80) ? rc & 0xBF : rc;	/* format 1: no H/P number */

	return rc > 0 && (rc == TPM2_RC_REFERENCE_H0 || v == TPM2_RC_HANDLE ||
			  v == TPM2_RC_INTEGRITY);
}

static bool tpms_is_session(u32 handle)
{
	return handle >> 24 == TPM2_HT_HMAC_SESSION ||
	       handle >> 24 == TPM2_HT_POLICY_SESSION;
}

/* The attributes of command @cc, or false when the TPM lacks it. */
static bool tpms_rm_attrs(struct tpms_chip *chip, u32 cc, u32 *attrs)
{
	unsigned int lo = 0, hi = chip->nr_cc;
	u32 key;

	if (cc & ~(TPM2_CC_VENDOR | TPMA_CC_INDEX))
		return false;
	/* listed in command index order, vendor commands after the rest */
	key = ((cc & TPM2_CC_VENDOR) ? 0x10000 : 0) | (cc & TPMA_CC_INDEX);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		u32 a = chip->cc_attrs[mid];
		u32 k = ((a & TPMA_CC_V) ? 0x10000 : 0) | (a & TPMA_CC_INDEX);

		if (k == key) {
			*attrs = a;
			return true;
		}
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Handles in the handle area; ContextSave's and FlushContext's one too. */
static unsigned int tpms_rm_nr_handles(u32 cc, u32 attrs)
{
	if (cc == TPM2_CC_FLUSH_CONTEXT || cc == TPM2_CC_CONTEXT_SAVE)
		return 1;
	return (attrs >> TPMA_CC_CHANDLES_SHIFT) & TPMA_CC_CHANDLES_MASK;
}

/* The slot a virtual handle of this space names, or -1. */
static int tpms_rm_obj_index(struct tpms_space *sp, u32 vhandle)
{
	u32 i;

	if (vhandle >> 24 != TPM2_HT_TRANSIENT)
		return -1;
	i = vhandle & 0xFFFFFF;
	if (i >= sp->nr_obj || !sp->obj[i].used)
		return -1;
	return i;
}

/*
 * A session of this space, by its number: the TPM lists saved sessions as
 * HMAC ones (0x02), whatever their type, and takes either handle.
 */
static struct tpms_rm_sess *tpms_rm_sess_find(struct tpms_space *sp,
					      u32 handle)
{
	unsigned int i;

	if (!tpms_is_session(handle))
		return NULL;
	for (i = 0; i < sp->nr_sess; i++)
		if (sp->sess[i].handle &&
		    (sp->sess[i].handle & 0xFFFFFF) == (handle & 0xFFFFFF))
			return &sp->sess[i];
	return NULL;
}

static void tpms_rm_ctx_free(struct tpms_rm_ctx *c)
{
	kfree_sensitive(c->data);
	c->data = NULL;
	c->len = 0;
	c->cap = 0;
}

static void tpms_rm_obj_free(struct tpms_rm_obj *o)
{
	tpms_rm_ctx_free(&o->ctx);
	o->used = false;
	o->mutable = false;
	o->dirty = false;
	o->phandle = 0;
}

static void tpms_rm_sess_free(struct tpms_rm_sess *s)
{
	tpms_rm_ctx_free(&s->ctx);
	s->handle = 0;
	s->loaded = false;
}

/* The manager's own commands, in chip->cmd_buf: TPM rc (>= 0) or -errno */
static ssize_t tpms_rm_flush(struct tpms_chip *chip, u32 handle)
{
	struct tpms_buf b;

	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_FLUSH_CONTEXT);
	tpms_buf_u32(&b, handle);
	return tpms_tpm2_cmd(chip, &b, 0, "flush context");
}

static ssize_t tpms_rm_save(struct tpms_chip *chip, u32 handle,
			    struct tpms_rm_ctx *c)
{
	struct tpms_buf b;
	ssize_t rc;
	u32 n;

	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_CONTEXT_SAVE);
	tpms_buf_u32(&b, handle);
	rc = tpms_tpm2_cmd(chip, &b, TPMS_HDR + 1, "context save");
	if (rc)
		return rc;
	n = tpms_hdr_len(chip->cmd_buf) - TPMS_HDR;
	if (n > c->cap) {
		u8 *p = kmalloc(n, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		kfree_sensitive(c->data);
		c->data = p;
		c->cap = n;
	}
	memcpy(c->data, chip->cmd_buf + TPMS_HDR, n);
	c->len = n;
	return 0;
}

static ssize_t tpms_rm_load(struct tpms_chip *chip, const struct tpms_rm_ctx *c,
			    u32 *handle)
{
	struct tpms_buf b;
	ssize_t rc;

	tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD, TPM2_ST_NO_SESSIONS,
		      TPM2_CC_CONTEXT_LOAD);
	tpms_buf_bytes(&b, c->data, c->len);
	rc = tpms_tpm2_cmd(chip, &b, TPMS_HDR + 4, "context load");
	if (!rc)
		*handle = get_unaligned_be32(chip->cmd_buf + TPMS_HDR);
	return rc;
}

/*
 * TPM_RC_CONTEXT_GAP: the oldest saved session is too far behind the
 * TPM's context counter.  Load it and save it again, whichever space owns
 * it.  A session that no longer loads is flushed and forgotten (that too
 * closes the gap); one loaded but not saved again stays loaded for its
 * owner's next command; one the TPM cannot load now (no room) is left.
 * Return: true when the gap moved.
 */
static bool tpms_rm_regap(struct tpms_chip *chip)
{
	struct tpms_rm_sess *old = NULL;
	struct tpms_space *sp;
	unsigned int i;
	ssize_t rc;
	u32 h = 0;

	/*
	 * Chosen under the list lock; sent without it.  Inside the fence a
	 * space is freed only under the chip lock, held here.
	 */
	mutex_lock(&chip->spaces_lock);
	list_for_each_entry(sp, &chip->spaces, node) {
		for (i = 0; i < sp->nr_sess; i++) {
			struct tpms_rm_sess *s = &sp->sess[i];

			if (s->handle && !s->loaded && s->ctx.data &&
			    (!old || s->saved < old->saved))
				old = s;
		}
	}
	mutex_unlock(&chip->spaces_lock);
	if (!old)
		return false;
	rc = tpms_rm_load(chip, &old->ctx, &h);
	if (!rc && h == old->handle) {
		rc = tpms_rm_save(chip, h, &old->ctx);
		if (!rc) {
			old->saved = ++chip->rm_saves;
			old->epoch = chip->rm_epoch;
		} else {
			old->loaded = true;
		}
	} else if (!rc || tpms_rm_rc_gone(rc)) {
		/* gone: its handle may be another session's now, not flushed */
		dev_warn_ratelimited(&chip->dev,
				     "context gap: session 0x%08x no longer loads (0x%zx): forgotten\n",
				     old->handle, rc);
		if (!rc)
			tpms_rm_flush(chip, h);
		tpms_rm_sess_free(old);
		rc = 0;
	}
	return !rc;
}

/*
 * Load a session the command names.  One gone from the TPM is forgotten
 * (the TPM then answers the command itself).  Return: 0, -errno, or a TPM
 * code to answer the command with.
 */
static ssize_t tpms_rm_sess_load(struct tpms_space *sp, struct tpms_rm_sess *s)
{
	ssize_t rc;
	u32 h = 0;

	if (s->loaded)
		return 0;
	rc = tpms_rm_load(sp->chip, &s->ctx, &h);
	if (rc == TPM2_RC_CONTEXT_GAP && tpms_rm_regap(sp->chip)) {
		/* the gap's handling may have loaded or forgotten this one */
		if (!s->handle || s->loaded)
			return 0;
		rc = tpms_rm_load(sp->chip, &s->ctx, &h);
	}
	if (tpms_rm_rc_gone(rc)) {
		tpms_rm_sess_free(s);
		return 0;
	}
	if (rc)
		return rc;
	if (h != s->handle) {
		tpms_rm_flush(sp->chip, h);
		tpms_rm_sess_free(s);
		return 0;
	}
	s->loaded = true;
	return 0;
}

/* Does the command name this virtual handle in its handle area? */
static bool tpms_rm_names(const struct tpms_cmd_handles *h, u32 vhandle)
{
	unsigned int i;

	for (i = 0; h && i < h->nr; i++)
		if (h->handle[i] == vhandle)
			return true;
	return false;
}

/*
 * A loaded object out of the TPM: saved first when dirty, then flushed.
 * One that cannot be saved (gone with its command, or refused) is
 * forgotten; its next use gets -EINVAL.
 * Return: 0, or a transport error (it stays loaded).
 */
static ssize_t tpms_rm_obj_out(struct tpms_chip *chip, struct tpms_rm_obj *o)
{
	ssize_t rc = 0, flush;

	if (o->dirty) {
		rc = tpms_rm_save(chip, o->phandle, &o->ctx);
		if (rc < 0 && rc != -ENOMEM)
			return rc;
		/* saved: current, whatever becomes of the flush */
		if (!rc)
			o->dirty = false;
	}
	if (!tpms_rm_rc_gone(rc)) {
		flush = tpms_rm_flush(chip, o->phandle);
		if (flush < 0)
			return flush;
	}
	if (rc) {
		dev_dbg(&chip->dev, "object 0x%08x cannot be saved (0x%zx): forgotten\n",
			o->phandle, rc);
		tpms_rm_obj_free(o);
	} else {
		o->phandle = 0;
	}
	return 0;
}

/*
 * Inside the fence: the space's loaded objects out of the TPM, each saved
 * first if dirty, but for those the command @h names (NULL: none).
 * Return: how many went, or the transport error that stopped it (the rest
 * stay loaded, as they are).
 */
static int tpms_rm_objs_out(struct tpms_space *sp,
			    const struct tpms_cmd_handles *h)
{
	unsigned int i;
	int rc, n = 0;

	for (i = 0; i < sp->nr_obj; i++) {
		if (!sp->obj[i].phandle || tpms_rm_names(h, TPMS_RM_VHANDLE(i)))
			continue;
		rc = tpms_rm_obj_out(sp->chip, &sp->obj[i]);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

/*
 * Load what the command names and put the physical handles in place.
 * Return: 0, -errno, or a TPM code to answer the command with (an object
 * that no longer loads is dropped: TPM_RC_HANDLE for its handle number).
 */
static ssize_t tpms_rm_prepare(struct tpms_space *sp, u8 *cmd, u32 cc,
			       u32 attrs, const struct tpms_cmd_handles *h)
{
	bool room = (attrs & TPMA_CC_RHANDLE) &&
		    cc != TPM2_CC_START_AUTH_SESSION;
	struct tpms_rm_sess *s;
	unsigned int i;
	ssize_t rc;

	/*
	 * Room in the TPM for what the command makes or loads: the space's
	 * own objects it does not name go first.
	 */
	for (i = 0; i < h->nr && !room; i++) {
		int idx = tpms_rm_obj_index(sp, h->handle[i]);

		room = idx >= 0 && !sp->obj[idx].phandle;
	}
	if (room) {
		rc = tpms_rm_objs_out(sp, h);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < h->nr; i++) {
		int idx = tpms_rm_obj_index(sp, h->handle[i]);

		if (idx >= 0) {
			struct tpms_rm_obj *o = &sp->obj[idx];

			if (!o->phandle) {
				rc = tpms_rm_load(sp->chip, &o->ctx,
						  &o->phandle);
				if (tpms_rm_rc_gone(rc)) {
					dev_warn_ratelimited(&sp->chip->dev,
							     "space of pid %d: object 0x%08x no longer loads (0x%zx): dropped\n",
							     sp->pid,
							     h->handle[i], rc);
					tpms_rm_obj_free(o);
					return TPMS_RC_RM_LAYER |
					       TPM2_RC_HANDLE | ((i + 1) << 8);
				}
				if (rc) {
					o->phandle = 0;
					return rc;
				}
			}
			/* a sequence object changes with the command */
			if (o->mutable)
				o->dirty = true;
			put_unaligned_be32(o->phandle, cmd + TPMS_HDR + 4 * i);
		} else if (cc != TPM2_CC_FLUSH_CONTEXT) {
			/* a saved session is flushed as it is */
			s = tpms_rm_sess_find(sp, h->handle[i]);
			rc = s ? tpms_rm_sess_load(sp, s) : 0;
			if (rc)
				return rc;
		}
	}
	for (i = 0; i < h->nr_sess; i++) {
		s = tpms_rm_sess_find(sp, h->sess[i]);
		rc = s ? tpms_rm_sess_load(sp, s) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * GetCapability(TPM_CAP_HANDLES): transient handles are the space's own
 * virtual ones; session handles only those the space owns (the TPM was
 * asked for all of them, see tpms_space_transmit()).  An answer with
 * sessions (audit) is left as it is: changing it would break its HMAC.
 */
static ssize_t tpms_rm_cap_handles(struct tpms_space *sp, u8 *rsp,
				   size_t size, ssize_t n, u32 prop, u32 count)
{
	u32 list[TPMS_RM_MAX_SLOTS];
	unsigned int k = 0, i;
	bool more = false;
	size_t off;
	u32 nr;

	if (tpms_hdr_tag(rsp) != TPM2_ST_NO_SESSIONS)
		return n;
	if (prop >> 24 == TPM2_HT_TRANSIENT) {
		for (i = 0; i < sp->nr_obj; i++) {
			if (!sp->obj[i].used || TPMS_RM_VHANDLE(i) < prop)
				continue;
			if (k == count || k == ARRAY_SIZE(list)) {
				more = true;
				break;
			}
			list[k++] = TPMS_RM_VHANDLE(i);
		}
	} else if (tpms_is_session(prop)) {
		if (tpms_parse_cap_handles(rsp, n, &more, &nr, &off))
			return n;
		for (i = 0; i < nr; i++) {
			u32 h = get_unaligned_be32(rsp + off + 4 * i);

			if (!tpms_rm_sess_find(sp, h))
				continue;
			if (k == count || k == ARRAY_SIZE(list)) {
				more = true;
				break;
			}
			list[k++] = h;
		}
	} else {
		return n;
	}
	return tpms_build_cap_handles(rsp, size, more, list, k);
}

/* The lowest free session or object slot, or -1. */
static int tpms_rm_free_slot(struct tpms_space *sp, bool session)
{
	unsigned int i;

	for (i = 0; i < (session ? sp->nr_sess : sp->nr_obj); i++)
		if (session ? !sp->sess[i].handle : !sp->obj[i].used)
			return i;
	return -1;
}

/* A successful answer: new handles into the space, listed ones mapped. */
static ssize_t tpms_rm_commit(struct tpms_space *sp, u8 *rsp, size_t size,
			      ssize_t n, u32 cc, u32 attrs, u32 saved,
			      const struct tpms_cmd_handles *h,
			      const u32 *cap)
{
	struct tpms_rm_sess *s;
	unsigned int i;
	int idx;

	if (tpms_hdr_code(rsp) != TPM2_RC_SUCCESS)
		return n;
	if ((attrs & TPMA_CC_RHANDLE) && n >= TPMS_HDR + 4) {
		u32 ph = get_unaligned_be32(rsp + TPMS_HDR);
		bool session = tpms_is_session(ph);

		idx = tpms_rm_free_slot(sp, session);
		if ((session || ph >> 24 == TPM2_HT_TRANSIENT) && idx < 0) {
			/* checked before it was sent: only if the kind surprised */
			tpms_rm_flush(sp->chip, ph);
			return tpms_build_rc(rsp, size, TPMS_RC_RM_LAYER |
					     (session ? TPM2_RC_SESSION_MEMORY :
					      TPM2_RC_OBJECT_MEMORY));
		}
		i = idx;
		if (ph >> 24 == TPM2_HT_TRANSIENT) {
			sp->obj[i].used = true;
			sp->obj[i].dirty = true;
			sp->obj[i].phandle = ph;
			/* sequence objects change with use */
			sp->obj[i].mutable = cc == TPM2_CC_HASH_SEQUENCE_START ||
					     cc == TPM2_CC_HMAC_START ||
					     saved == TPMS_SAVED_SEQUENCE;
			put_unaligned_be32(TPMS_RM_VHANDLE(i), rsp + TPMS_HDR);
		} else if (session) {
			sp->sess[i].handle = ph;
			sp->sess[i].loaded = true;
		}
	}
	if ((cc == TPM2_CC_FLUSH_CONTEXT || cc == TPM2_CC_CONTEXT_SAVE) &&
	    h->nr) {
		/*
		 * Flushed; or a session the client saved: the client's now,
		 * out of every space, to load again in this process or the
		 * next (tpm2-tools pass sessions between commands that way)
		 */
		idx = tpms_rm_obj_index(sp, h->handle[0]);
		s = tpms_rm_sess_find(sp, h->handle[0]);
		if (idx >= 0 && cc == TPM2_CC_FLUSH_CONTEXT)
			tpms_rm_obj_free(&sp->obj[idx]);
		else if (s)
			tpms_rm_sess_free(s);
	}
	if (cap && cap[0] == TPM2_CAP_HANDLES)
		n = tpms_rm_cap_handles(sp, rsp, size, n, cap[1], cap[2]);
	return n;
}

/*
 * Save a loaded session; regap at most once.  One the command ended is
 * forgotten; one the TPM cannot save is flushed and forgotten.
 * Return: 0 (saved, or ended), TPM2_RC_CONTEXT_GAP when left loaded for a
 * second try (@regap false), the TPM's code or -ENOMEM when it was flushed,
 * or a transport error (left loaded).
 */
static ssize_t tpms_rm_sess_save(struct tpms_chip *chip, struct tpms_rm_sess *s,
				 bool regap)
{
	ssize_t rc = tpms_rm_save(chip, s->handle, &s->ctx), flush;

	if (rc == TPM2_RC_CONTEXT_GAP) {
		if (!regap)
			return rc;
		if (tpms_rm_regap(chip))
			rc = tpms_rm_save(chip, s->handle, &s->ctx);
	}
	if (!rc) {
		s->loaded = false;
		s->saved = ++chip->rm_saves;
		s->epoch = chip->rm_epoch;
	} else if (tpms_rm_rc_gone(rc)) {
		/* ended by the command */
		tpms_rm_sess_free(s);
		rc = 0;
	} else if (rc > 0 || rc == -ENOMEM) {
		/* still loaded, and cannot be kept */
		dev_warn_ratelimited(&chip->dev,
				     "session 0x%08x cannot be saved (0x%zx): flushed\n",
				     s->handle, rc);
		flush = tpms_rm_flush(chip, s->handle);
		if (flush < 0)
			return flush;	/* left loaded */
		tpms_rm_sess_free(s);
	}
	return rc;
}

/*
 * After each command: save what is new or changed; objects stay loaded
 * until another's command (tpms_rm_evict()), sessions go out.
 * After a transport error nothing more is sent: what is still loaded stays
 * marked so, the next command uses it, and closing the space flushes it.
 * Sessions the TPM cannot save for the context gap are saved again once
 * the others are out of the TPM (the gap needs a free slot to be moved).
 * Return: 0; else what new (made by the command: its answer names it)
 * could not be kept, flushed and forgotten: -ENOMEM, or the TPM's code.
 * A session or object the command only used and that cannot be kept is
 * forgotten too (its next use gets -EINVAL); the answer stands.  @talk is
 * false after a transport error.
 */
static long tpms_rm_unload(struct tpms_space *sp, bool *talk)
{
	struct tpms_chip *chip = sp->chip;
	bool gap = false;
	unsigned int i;
	long err = 0;
	ssize_t rc;

	*talk = false;
	for (i = 0; i < sp->nr_obj; i++) {
		struct tpms_rm_obj *o = &sp->obj[i];
		bool fresh = !o->ctx.data;

		if (!o->used || !o->phandle || !o->dirty)
			continue;
		rc = tpms_rm_save(chip, o->phandle, &o->ctx);
		if (rc < 0 && rc != -ENOMEM)
			return err;
		if (!rc) {
			o->dirty = false;
			continue;
		}
		/*
		 * Gone with the command (a sequence completed), or not to be
		 * kept: the physical handle was never seen outside, so
		 * flushing it is safe.  Only a new one makes the answer an
		 * error.
		 */
		if (fresh && !tpms_rm_rc_gone(rc) && !err)
			err = rc;
		if (!tpms_rm_rc_gone(rc) && tpms_rm_flush(chip, o->phandle) < 0)
			return err;
		tpms_rm_obj_free(o);
	}
	for (i = 0; i < 2 * sp->nr_sess; i++) {
		struct tpms_rm_sess *s = &sp->sess[i % sp->nr_sess];
		bool fresh = !s->ctx.data;

		/* the second pass: those the gap kept from being saved */
		if (!s->handle || !s->loaded || (i >= sp->nr_sess && !gap))
			continue;
		rc = tpms_rm_sess_save(chip, s, i >= sp->nr_sess);
		if (rc == TPM2_RC_CONTEXT_GAP && i < sp->nr_sess)
			gap = true;
		else if (rc < 0 && rc != -ENOMEM)
			return err;
		else if (rc && fresh && !err)
			err = rc;
	}
	*talk = true;
	return err;
}

/*
 * After a system resume (Startup(STATE)) the TPM has dropped whatever was
 * loaded: forget it.  Objects keep their saved contexts, unless they
 * changed since (a saved context behind the object is stale: forgotten).
 */
static void tpms_rm_new_epoch(struct tpms_space *sp)
{
	unsigned int i;

	for (i = 0; i < sp->nr_obj; i++) {
		struct tpms_rm_obj *o = &sp->obj[i];

		if (o->used && (!o->ctx.data || o->dirty))
			tpms_rm_obj_free(o);
		o->phandle = 0;
		o->dirty = false;
	}
	for (i = 0; i < sp->nr_sess; i++)
		if (sp->sess[i].loaded)
			tpms_rm_sess_free(&sp->sess[i]);
	sp->epoch = sp->chip->rm_epoch;
}

/* Checks that need no TPM.  Return: 0, -EINVAL, or a code to answer with. */
static ssize_t tpms_rm_check(struct tpms_space *sp, const u8 *buf, size_t len,
			     u32 cc, u32 attrs, const struct tpms_cmd_handles *h,
			     u32 *saved)
{
	unsigned int i;

	for (i = 0; i < h->nr; i++) {
		if (h->handle[i] >> 24 == TPM2_HT_TRANSIENT &&
		    tpms_rm_obj_index(sp, h->handle[i]) < 0)
			return -EINVAL;
		if (tpms_is_session(h->handle[i]) &&
		    !tpms_rm_sess_find(sp, h->handle[i]))
			return -EINVAL;
	}
	for (i = 0; i < h->nr_sess; i++)
		if (tpms_is_session(h->sess[i]) &&
		    !tpms_rm_sess_find(sp, h->sess[i]))
			return -EINVAL;
	/* a context's savedHandle: its kind (TPMS_CONTEXT: sequence first) */
	*saved = 0;
	if (cc == TPM2_CC_CONTEXT_LOAD && len >= TPMS_HDR + 12)
		*saved = get_unaligned_be32(buf + TPMS_HDR + 8);
	if (attrs & TPMA_CC_RHANDLE) {
		bool session = cc == TPM2_CC_START_AUTH_SESSION ||
			       tpms_is_session(*saved);

		if (tpms_rm_free_slot(sp, session) < 0)
			return TPMS_RC_RM_LAYER | (session ?
			       TPM2_RC_SESSION_MEMORY : TPM2_RC_OBJECT_MEMORY);
	}
	return 0;
}

/*
 * The commands the manager answers itself, and the handles a command names.
 * Return: 0, or a code to answer with.
 */
static u32 tpms_rm_parse(struct tpms_chip *chip, const u8 *buf, size_t len,
			 u32 cc, u32 *attrs, struct tpms_cmd_handles *h)
{
	if (!tpms_rm_attrs(chip, cc, attrs))
		return TPMS_RC_RM_LAYER | TPM2_RC_COMMAND_CODE;
	if (tpms_parse_cmd_handles(buf, len, tpms_rm_nr_handles(cc, *attrs), h))
		return TPMS_RC_RM_LAYER | TPM2_RC_COMMAND_SIZE;
	return 0;
}

/* Has the space an object in the TPM?  Inside the fence. */
static bool tpms_space_objs_loaded(struct tpms_space *sp)
{
	unsigned int i;

	for (i = 0; i < sp->nr_obj; i++)
		if (sp->obj[i].phandle)
			return true;
	return false;
}

/**
 * tpms_rm_evict() - other spaces' objects out of the TPM
 * @chip: the chip, inside the fence
 * @keep: the space whose objects stay loaded (the caller's), or NULL
 *
 * A space's objects stay loaded after its command; before anyone else's
 * each is saved first if its saved context is not current, then flushed,
 * and loaded again when named.  At most one space has objects loaded; the
 * walk finds it wherever it is, a closed one included, with no other
 * bookkeeping than @chip->rm_loaded.  What a TPM that stops answering
 * keeps stays as it is: the caller's entry fails, the next one tries
 * again, and closing a space flushes what is left.  Handles from before a
 * system sleep are only forgotten (the TPM dropped them).
 *
 * Return: 0, or the transport error.
 */
int tpms_rm_evict(struct tpms_chip *chip, struct tpms_space *keep)
{
	bool no_kill = chip->no_kill;
	struct tpms_space *sp;
	int rc = 0;

	/* the fast path: no space's command left anything loaded */
	if (!chip->rm_loaded)
		return 0;
	/* for a caller being killed too: nothing is left half flushed */
	chip->no_kill = true;
	for (;;) {
		/*
		 * Chosen under the list lock; sent without it.  Inside the
		 * fence a space is freed only under the chip lock, held here.
		 */
		mutex_lock(&chip->spaces_lock);
		list_for_each_entry(sp, &chip->spaces, node)
			if (sp != keep && tpms_space_objs_loaded(sp))
				break;
		mutex_unlock(&chip->spaces_lock);
		if (list_entry_is_head(sp, &chip->spaces, node))
			break;
		if (sp->epoch != chip->rm_epoch) {
			tpms_rm_new_epoch(sp);
			continue;
		}
		/* with no handle named, all go or the TPM stopped answering */
		rc = tpms_rm_objs_out(sp, NULL);
		if (rc < 0)
			break;
		rc = 0;
	}
	if (!rc)
		chip->rm_loaded = keep && tpms_space_objs_loaded(keep);
	chip->no_kill = no_kill;
	return rc;
}

/**
 * tpms_space_transmit() - one command of a space
 * @sp:     the space
 * @buf:    command in, response out
 * @bufsiz: size of @buf
 * @len:    command length (checked by tpms_check_user_cmd())
 *
 * Never killed midway: once inside the fence, the backend's waits ignore
 * fatal signals (tpms_chip_killable()).  Everything happens inside the
 * fence, the manager's own answers too: a gone chip is -ENODEV whatever
 * the command, and @buf is left as it came when the fence refuses (the
 * caller may send it again).
 *
 * Return: the response length, or a negative errno: -EINVAL for a handle
 * (transient or session) this space does not have; -ENOMEM when what the
 * command made or used could not be kept; the fence's errors.
 */
ssize_t tpms_space_transmit(struct tpms_space *sp, u8 *buf, size_t bufsiz,
			    size_t len)
{
	struct tpms_chip *chip = sp->chip;
	u32 cc = tpms_hdr_code(buf), attrs = 0, cap[3], saved;
	struct tpms_cmd_handles h;
	bool get_cap = false, talk;
	u8 hdr[TPMS_HDR];
	ssize_t n;
	int idx;
	long rc;

	rc = tpms_get_ops_space(chip, sp);
	if (rc)
		return rc;
	chip->no_kill = true;
	if (sp->epoch != chip->rm_epoch)
		tpms_rm_new_epoch(sp);
	n = tpms_rm_parse(chip, buf, len, cc, &attrs, &h);
	if (!n)
		n = tpms_rm_check(sp, buf, len, cc, attrs, &h, &saved);
	if (n) {
		if (n > 0)
			n = tpms_build_rc(buf, bufsiz, n);
		goto out;
	}
	idx = h.nr ? tpms_rm_obj_index(sp, h.handle[0]) : -1;
	if (cc == TPM2_CC_FLUSH_CONTEXT && idx >= 0 && !sp->obj[idx].phandle &&
	    len == TPMS_HDR + 4 && tpms_hdr_tag(buf) == TPM2_ST_NO_SESSIONS) {
		/* only a saved context here: nothing in the TPM to flush */
		tpms_rm_obj_free(&sp->obj[idx]);
		n = tpms_build_rc(buf, bufsiz, TPM2_RC_SUCCESS);
		goto out;
	}
	if (cc == TPM2_CC_GET_CAPABILITY)
		get_cap = !tpms_parse_get_cap(buf, len, &cap[0], &cap[1],
					      &cap[2]);
	/*
	 * Sessions: ask the TPM for every one from there on, so that a page
	 * holds the space's own even when others' come first.
	 */
	if (get_cap && cap[0] == TPM2_CAP_HANDLES && tpms_is_session(cap[1]) &&
	    tpms_hdr_tag(buf) == TPM2_ST_NO_SESSIONS && len == TPMS_HDR + 12)
		put_unaligned_be32(TPMS_RM_ALL_HANDLES, buf + TPMS_HDR + 8);
	n = tpms_rm_prepare(sp, buf, cc, attrs, &h);
	if (n > 0) {
		/* the manager's own load failed: its layer, not the command's */
		n = tpms_build_rc(buf, bufsiz, TPMS_RC_RM_LAYER | (n & 0xFFFF));
	} else if (!n) {
		/* an error response is only a header: the command is intact */
		memcpy(hdr, buf, sizeof(hdr));
		n = tpms_transmit(chip, buf, bufsiz, len);
		if (n == TPMS_HDR &&
		    tpms_hdr_code(buf) == TPM2_RC_CONTEXT_GAP &&
		    tpms_rm_regap(chip)) {
			memcpy(buf, hdr, sizeof(hdr));
			n = tpms_transmit(chip, buf, bufsiz, len);
		}
		/* no room for what the command loads itself: make room */
		if (n == TPMS_HDR &&
		    tpms_hdr_code(buf) == TPM2_RC_OBJECT_MEMORY &&
		    tpms_rm_objs_out(sp, &h) > 0) {
			memcpy(buf, hdr, sizeof(hdr));
			n = tpms_transmit(chip, buf, bufsiz, len);
		}
		if (n >= TPMS_HDR)
			n = tpms_rm_commit(sp, buf, bufsiz, n, cc, attrs, saved,
					   &h, get_cap ? cap : NULL);
	}
out:
	/* the space's objects stay loaded (tpms_rm_evict()) */
	rc = tpms_rm_unload(sp, &talk);
	tpms_rm_flush_orphans(chip, talk);
	if (tpms_space_objs_loaded(sp))
		chip->rm_loaded = true;
	chip->no_kill = false;
	tpms_put_ops(chip);
	if (!rc || n < 0)
		return n;
	/* something new the answer names could not be kept: say so instead */
	return rc < 0 ? rc : tpms_build_rc(buf, bufsiz,
					   TPMS_RC_RM_LAYER | (rc & 0xFFFF));
}

struct tpms_space *tpms_space_new(struct tpms_chip *chip)
{
	struct tpms_space *sp;

	sp = kzalloc(sizeof(*sp), GFP_KERNEL);
	if (!sp)
		return NULL;
	sp->nr_obj = tpms_rm_objects;
	sp->nr_sess = tpms_rm_sessions;
	sp->obj = kcalloc(sp->nr_obj, sizeof(*sp->obj), GFP_KERNEL);
	sp->sess = kcalloc(sp->nr_sess, sizeof(*sp->sess), GFP_KERNEL);
	if (!sp->obj || !sp->sess) {
		kfree(sp->obj);
		kfree(sp->sess);
		kfree(sp);
		return NULL;
	}
	tpms_obj_created(TPMS_OBJ_SPACE);
	sp->chip = chip;
	get_device(&chip->dev);
	sp->pid = task_tgid_nr(current);
	mutex_lock(&chip->spaces_lock);
	WRITE_ONCE(chip->rm_used, true);
	list_add_tail(&sp->node, &chip->spaces);
	mutex_unlock(&chip->spaces_lock);
	return sp;
}

/* Off the chip's list: no context gap handling picks it any more. */
static void tpms_space_unlist(struct tpms_space *sp)
{
	struct tpms_chip *chip = sp->chip;

	mutex_lock(&chip->spaces_lock);
	list_del_init(&sp->node);
	mutex_unlock(&chip->spaces_lock);
}

static void tpms_space_destroy(struct tpms_space *sp)
{
	struct tpms_chip *chip = sp->chip;
	unsigned int i;

	for (i = 0; i < sp->nr_obj; i++)
		tpms_rm_obj_free(&sp->obj[i]);
	for (i = 0; i < sp->nr_sess; i++)
		tpms_rm_sess_free(&sp->sess[i]);
	kfree(sp->obj);
	kfree(sp->sess);
	kfree(sp);
	tpms_obj_destroyed(TPMS_OBJ_SPACE);
	put_device(&chip->dev);
}

static void tpms_space_free(struct tpms_space *sp)
{
	tpms_space_unlist(sp);
	tpms_space_destroy(sp);
}

/*
 * Does the TPM hold anything of this space?  Under the chip lock, or
 * inside the fence.
 */
static bool tpms_space_in_tpm(struct tpms_space *sp)
{
	unsigned int i;

	for (i = 0; i < sp->nr_obj; i++)
		if (READ_ONCE(sp->obj[i].phandle))
			return true;
	for (i = 0; i < sp->nr_sess; i++)
		if (READ_ONCE(sp->sess[i].handle))
			return true;
	return false;
}

/*
 * Inside the fence: flush everything of the space from the TPM, and forget
 * it.  A session saved before a system sleep is loaded first and flushed
 * by the handle the TPM then gives it (after a TPM reset its old handle
 * may be another session's).
 * After a transport error (@talk cleared) nothing more is sent, and what
 * may still be in the TPM stays.
 * Return: true when nothing of the space is left.
 */
static bool tpms_space_flush(struct tpms_space *sp, bool *talk)
{
	struct tpms_chip *chip = sp->chip;
	bool all = true;
	unsigned int i;
	ssize_t rc;
	u32 h;

	if (sp->epoch != chip->rm_epoch)
		tpms_rm_new_epoch(sp);
	for (i = 0; i < sp->nr_obj; i++) {
		struct tpms_rm_obj *o = &sp->obj[i];

		if (o->phandle && *talk)
			*talk = tpms_rm_flush(chip, o->phandle) >= 0;
		if (o->phandle && !*talk) {
			all = false;
			continue;
		}
		tpms_rm_obj_free(o);
	}
	for (i = 0; i < sp->nr_sess; i++) {
		struct tpms_rm_sess *s = &sp->sess[i];

		h = s->handle;
		if (h && !s->loaded && s->epoch != chip->rm_epoch) {
			h = 0;
			if (s->ctx.data && *talk) {
				rc = tpms_rm_load(chip, &s->ctx, &h);
				if (rc < 0) {
					*talk = false;
				} else if (tpms_rm_rc_gone(rc)) {
					h = 0;
				} else if (rc) {
					/* still valid: its handle is its own */
					h = s->handle;
				} else {
					s->handle = h;
					s->loaded = true;
				}
			}
		}
		if (h && *talk)
			*talk = tpms_rm_flush(chip, h) >= 0;
		if (s->handle && !*talk) {
			all = false;
			continue;
		}
		tpms_rm_sess_free(s);
	}
	/* what is still loaded goes before anyone else's command (evict) */
	return all;
}

/*
 * Unregister of a chip whose rm node was opened: every transient object
 * and session still in the TPM goes.  No client of the chip outlives it,
 * and a space's command that removal cut off may have made an object or
 * session that no one knows of.  A bounded
 * number of rounds: a TPM that keeps listing what it was told to flush
 * is left as it is.
 */
static void tpms_rm_flush_rest(struct tpms_chip *chip)
{
	static const u32 kinds[] = { TPM2_HT_TRANSIENT << 24,
				     TPM2_HT_HMAC_SESSION << 24,
				     TPM2_HT_POLICY_SESSION << 24 };
	u32 list[TPMS_RM_MAX_SLOTS];
	unsigned int k, i, round;
	struct tpms_buf b;
	size_t off;
	ssize_t rc;
	bool more;
	u32 nr;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (round = 0; round < 4; round++) {
			tpms_buf_init(&b, chip->cmd_buf, TPMS_MAX_CMD,
				      TPM2_ST_NO_SESSIONS, TPM2_CC_GET_CAPABILITY);
			tpms_buf_u32(&b, TPM2_CAP_HANDLES);
			tpms_buf_u32(&b, kinds[k]);
			tpms_buf_u32(&b, ARRAY_SIZE(list));
			rc = tpms_tpm2_cmd(chip, &b, TPMS_HDR + 9, "handles");
			if (rc < 0)
				return;
			if (rc || tpms_parse_cap_handles(chip->cmd_buf,
							 tpms_hdr_len(chip->cmd_buf),
							 &more, &nr, &off))
				break;
			nr = min_t(u32, nr, ARRAY_SIZE(list));
			for (i = 0; i < nr; i++)
				list[i] = get_unaligned_be32(chip->cmd_buf + off +
							     4 * i);
			if (nr)
				dev_dbg(&chip->dev, "unregister: %u handle(s) 0x%08x... flushed\n",
					nr, list[0]);
			for (i = 0; i < nr; i++)
				if (tpms_rm_flush(chip, list[i]) < 0)
					return;
			if (!more)
				break;
		}
	}
}

/**
 * tpms_rm_flush_chip() - unregister: flush every space from the TPM
 * @chip: the chip, its write lock and chip lock held, before the last
 *        command
 *
 * The spaces' sessions and anything loaded go from the TPM, their saved
 * contexts from memory; their files get -EPIPE until closed.  Then what
 * else is transient or a session (tpms_rm_flush_rest()).  Nothing of them
 * is left in the TPM after a rebind, unless the TPM stopped answering
 * (what it may still hold stays listed, freed at close).
 */
void tpms_rm_flush_chip(struct tpms_chip *chip)
{
	struct tpms_space *sp;
	bool talk = true;

	mutex_lock(&chip->spaces_lock);
	list_for_each_entry(sp, &chip->spaces, node)
		tpms_space_flush(sp, &talk);
	mutex_unlock(&chip->spaces_lock);
	if (talk && chip->rm_used)
		tpms_rm_flush_rest(chip);
}

/*
 * Free the closed spaces left on the chip's list (orphans).  Inside the
 * fence, each is flushed first, off the list (the chip lock keeps the
 * context gap's handling away); one the TPM stopped answering for goes
 * back, to wait for a later reap.  After unregister (ops gone, what the
 * TPM held flushed by tpms_rm_flush_chip() or lost with it) they are only
 * freed.
 */
static void tpms_rm_reap(struct tpms_chip *chip, bool flush)
{
	struct tpms_space *sp;
	bool talk = true;

	while (talk) {
		mutex_lock(&chip->spaces_lock);
		list_for_each_entry(sp, &chip->spaces, node)
			if (sp->orphan)
				break;
		if (list_entry_is_head(sp, &chip->spaces, node)) {
			mutex_unlock(&chip->spaces_lock);
			return;
		}
		list_del_init(&sp->node);
		WRITE_ONCE(chip->rm_orphans, chip->rm_orphans - 1);
		mutex_unlock(&chip->spaces_lock);
		if (flush && !tpms_space_flush(sp, &talk)) {
			mutex_lock(&chip->spaces_lock);
			list_add_tail(&sp->node, &chip->spaces);
			WRITE_ONCE(chip->rm_orphans, chip->rm_orphans + 1);
			mutex_unlock(&chip->spaces_lock);
			return;
		}
		tpms_space_destroy(sp);
	}
}

/*
 * Inside the fence, unless the caller's last command failed in transport:
 * flush and free the orphans, if any.
 */
static void tpms_rm_flush_orphans(struct tpms_chip *chip, bool talk)
{
	if (talk && READ_ONCE(chip->rm_orphans))
		tpms_rm_reap(chip, true);
}

/**
 * tpms_rm_fenced() - unregister is over: free the orphans
 * @chip: the chip, ops cleared
 */
void tpms_rm_fenced(struct tpms_chip *chip)
{
	tpms_rm_reap(chip, false);
}

/* Closed, listed for the chip to flush: by ops_sem or the chip lock. */
static void tpms_space_orphan(struct tpms_space *sp)
{
	struct tpms_chip *chip = sp->chip;

	mutex_lock(&chip->spaces_lock);
	sp->orphan = true;
	WRITE_ONCE(chip->rm_orphans, chip->rm_orphans + 1);
	mutex_unlock(&chip->spaces_lock);
}

/* The close work is done with the closer: wake it. */
static void tpms_space_closed(struct tpms_space *sp)
{
	spin_lock(&tpms_close_lock);
	if (sp->waiter) {
		WRITE_ONCE(sp->waiter->done, true);
		sp->waiter = NULL;
	}
	spin_unlock(&tpms_close_lock);
	wake_up_all(&tpms_close_wq);
}

/*
 * A closed space's flush, in the worker (never killed midway): it waits
 * for a suspended chip's resume (or its removal), and owns the space.
 * When the fence refuses, or the TPM stops answering midway, the space
 * stays listed as an orphan while the chip still has ops: an unregister
 * under way flushes it, and so does the next command or close of another
 * space; once the chip is fenced it is only freed.
 */
static void tpms_space_close_work(struct work_struct *work)
{
	struct tpms_space *sp = container_of(work, struct tpms_space,
					     close_work);
	struct tpms_chip *chip = sp->chip;
	bool talk = true;
	int rc;

	for (;;) {
		rc = tpms_get_ops_wait(chip);
		if (rc != -EAGAIN)
			break;
		wait_event_idle(chip->sleep_wq,
				!test_bit(TPMS_F_SUSPENDED, &chip->flags) ||
				test_bit(TPMS_F_DYING, &chip->flags));
	}
	if (!rc) {
		if (!tpms_space_flush(sp, &talk)) {
			/* once it is an orphan it may be reaped: wake first */
			tpms_space_closed(sp);
			dev_dbg(&chip->dev, "space of pid %d: flush cut short\n",
				sp->pid);
			tpms_space_orphan(sp);
			tpms_put_ops(chip);
			return;
		}
		/* the closer sees it gone from the list (debugfs) */
		tpms_space_unlist(sp);
		tpms_space_closed(sp);
		tpms_rm_flush_orphans(chip, talk);
		tpms_put_ops(chip);
		tpms_space_destroy(sp);
		return;
	}
	tpms_space_closed(sp);
	down_read(&chip->ops_sem);
	if (chip->ops) {
		dev_dbg(&chip->dev, "space of pid %d: flush deferred (%d)\n",
			sp->pid, rc);
		tpms_space_orphan(sp);
		up_read(&chip->ops_sem);
		return;
	}
	up_read(&chip->ops_sem);
	tpms_space_free(sp);
}

/**
 * tpms_space_close() - the space's file is closed
 * @sp: the space, no command of it running
 *
 * Flushes everything the space has in the TPM, from the worker, and frees
 * it.  The closer waits for the flush, killable and freezable, unless it
 * is being killed or the chip is suspended (a client that closes sees the
 * TPM clean when close() returns).  A space with nothing in the TPM is
 * only freed.
 */
void tpms_space_close(struct tpms_space *sp)
{
	struct tpms_close_waiter w = { .done = false };
	struct tpms_chip *chip = sp->chip;
	bool wait;

	/*
	 * Nothing in the TPM: only freed.  Under the chip lock: inside the
	 * fence others may flush this space's objects (tpms_rm_evict()) or
	 * move its sessions (the context gap) until it is off the list.  A
	 * command in flight: the worker's fence waits for it instead.
	 */
	if (mutex_trylock(&chip->lock)) {
		bool empty = !tpms_space_in_tpm(sp);

		if (empty)
			tpms_space_unlist(sp);
		mutex_unlock(&chip->lock);
		if (empty) {
			tpms_space_destroy(sp);
			return;
		}
	}
	INIT_WORK(&sp->close_work, tpms_space_close_work);
	wait = !fatal_signal_pending(current) &&
	       !test_bit(TPMS_F_SUSPENDED, &chip->flags);
	if (wait)
		sp->waiter = &w;
	queue_work(tpms_wq, &sp->close_work);
	if (!wait || !wait_event_state(tpms_close_wq, READ_ONCE(w.done),
				       (TASK_KILLABLE | TASK_FREEZABLE)))
		return;
	/* given up: the work must not touch @w; until it is done @sp lives */
	spin_lock(&tpms_close_lock);
	if (!w.done)
		sp->waiter = NULL;
	spin_unlock(&tpms_close_lock);
}

static void tpms_rm_dev_release(struct device *dev)
{
	struct tpms_chip *chip = container_of(dev, struct tpms_chip, rm_dev);

	put_device(&chip->dev);
}

/**
 * tpms_rm_add() - make /dev/tpmsafermN for a registered TPM 2.0 chip
 * @chip: the chip
 *
 * The rm device holds a reference on the chip from here until its own
 * release (tpms_rm_del() drops the one taken here).
 *
 * Return: 0 or a negative errno (logged).
 */
int tpms_rm_add(struct tpms_chip *chip)
{
	int rc;

	device_initialize(&chip->rm_dev);
	chip->rm_dev.class = tpms_rm_class;
	chip->rm_dev.parent = chip->dev.parent;
	chip->rm_dev.release = tpms_rm_dev_release;
	chip->rm_dev.devt = MKDEV(MAJOR(tpms_devt),
				  tpms_max_chips + chip->num);
	get_device(&chip->dev);
	set_bit(TPMS_F_RM_INIT, &chip->flags);
	rc = dev_set_name(&chip->rm_dev, "tpmsaferm%d", chip->num);
	if (!rc) {
		cdev_init(&chip->rm_cdev, &tpms_rm_fops);
		chip->rm_cdev.owner = THIS_MODULE;
		rc = cdev_device_add(&chip->rm_cdev, &chip->rm_dev);
	}
	if (rc) {
		dev_err(chip->dev.parent, "cannot add tpmsaferm%d: %d\n",
			chip->num, rc);
		return rc;
	}
	set_bit(TPMS_F_RM_ADDED, &chip->flags);
	return 0;
}

/* Remove /dev/tpmsafermN (waits for nobody: open files keep the memory). */
void tpms_rm_del(struct tpms_chip *chip)
{
	if (test_and_clear_bit(TPMS_F_RM_ADDED, &chip->flags))
		cdev_device_del(&chip->rm_cdev, &chip->rm_dev);
	if (test_and_clear_bit(TPMS_F_RM_INIT, &chip->flags))
		put_device(&chip->rm_dev);
}

int tpms_rm_check_params(void)
{
	if (!tpms_rm_objects || tpms_rm_objects > TPMS_RM_MAX_SLOTS ||
	    !tpms_rm_sessions || tpms_rm_sessions > TPMS_RM_MAX_SLOTS) {
		pr_err("rm_objects=%u rm_sessions=%u: each must be 1 to %u\n",
		       tpms_rm_objects, tpms_rm_sessions, TPMS_RM_MAX_SLOTS);
		return -EINVAL;
	}
	return 0;
}

static int tpms_rm_show_chip(struct device *dev, void *data)
{
	struct tpms_chip *chip = to_tpms_chip(dev);
	struct seq_file *m = data;
	struct tpms_space *sp;
	unsigned int i;

	if (mutex_lock_killable(&chip->lock))
		return -EINTR;
	mutex_lock(&chip->spaces_lock);
	list_for_each_entry(sp, &chip->spaces, node) {
		seq_printf(m, "%s space pid %d objects", dev_name(&chip->dev),
			   sp->pid);
		for (i = 0; i < sp->nr_obj; i++)
			if (sp->obj[i].used)
				seq_printf(m, " 0x%08x%s", TPMS_RM_VHANDLE(i),
					   sp->obj[i].phandle ? "(loaded)" : "");
		seq_puts(m, " sessions");
		for (i = 0; i < sp->nr_sess; i++)
			if (sp->sess[i].handle)
				seq_printf(m, " 0x%08x%s", sp->sess[i].handle,
					   sp->sess[i].loaded ? "(loaded)" : "");
		seq_putc(m, '\n');
	}
	mutex_unlock(&chip->spaces_lock);
	mutex_unlock(&chip->lock);
	return 0;
}

static int tpms_spaces_show(struct seq_file *m, void *v)
{
	return class_for_each_device(tpms_class, NULL, m, tpms_rm_show_chip);
}
DEFINE_SHOW_ATTRIBUTE(tpms_spaces);

/* debugfs tpm_safe/spaces: every space of every chip, with its handles */
void tpms_rm_debugfs(struct dentry *dir)
{
	debugfs_create_file("spaces", 0400, dir, NULL, &tpms_spaces_fops);
}
