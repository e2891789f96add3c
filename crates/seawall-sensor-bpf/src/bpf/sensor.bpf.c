// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * seawall runtime sensor.
 *
 * Syscalls are captured at sys_exit only (BTF tracepoint), so each record
 * carries every parameter together with the result. The arguments are read
 * from the saved user registers, which x86-64 leaves intact until the return
 * to user space (as Falco's modern probe does); user memory they point to is
 * read at exit too, which is also when the kernel has resolved the fds.
 * Successful execve/execveat are reported by sched_process_exec (the old
 * image's argument pointers are gone at their exit); process lifecycle comes
 * from the sched_process_{exec,fork,exit} tracepoints.
 *
 * Every kernel structure is read with direct (BTF-checked) loads rather
 * than bpf_probe_read helper calls: this runs on every syscall of the host.
 * Which syscalls are wanted is a map user space rewrites when rules change.
 * Records go through one ring buffer; failed writes are counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

_Static_assert(sizeof(struct sw_hdr) == 224, "sw_hdr layout changed: update record.rs");
_Static_assert(__builtin_offsetof(struct sw_hdr, sock) == 140, "sw_hdr layout changed: update record.rs");
_Static_assert(__builtin_offsetof(struct sw_hdr, ino) == 192, "sw_hdr layout changed: update record.rs");
_Static_assert(sizeof(struct sw_open_filter) == 240, "sw_open_filter layout changed: update open_filter.rs");
_Static_assert(__builtin_offsetof(struct sw_open_filter, path_needle) == 120, "sw_open_filter layout changed: update open_filter.rs");

const volatile __u32 self_tgid = 0;
/* set by user space once a kill response is queued: until then no syscall
 * pays for the kill_targets lookup */
volatile __u32 response_armed = 0;
/* generation of the open filter's cached path decisions: bumped by calls
 * that move files or mounts, and by user space when the filter changes */
volatile __u32 of_gen = 0;

/* The parts the open filter reads come first, so that an open it leaves
 * out touches the first pages of this buffer only; the record (h and the
 * data after it) follows. */
struct event_buf {
	/* not sent: the task's root and the path to write, for put_path */
	__u64 root_d;
	__u64 root_m;
	__u64 path_d;
	__u64 path_m;
	/* not sent: the cgroup this CPU announced or saw last */
	__u64 last_cgid;
	/* not sent: bytes this CPU wrote since it last looked at the backlog */
	__u64 unchecked;
	/* not sent: put_path reached the root (the path is whole) */
	__u64 path_done;
	/* not sent: the open being decided by open_kept (has_file: path_d/path_m
	 * and the root are set) */
	__u64 of_name;
	__u64 of_has_file;
	/* not sent: this CPU's cache of the open filter's path decisions,
	 * direct-mapped by dentry (most opens are of files opened before) */
	struct sw_of_slot of_slots[SW_OF_SLOTS];
	/* the record */
	struct sw_hdr h;
	char data[SW_DATA_SZ];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct sw_sc_cfg);
} sc_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_buf);
} scratch SEC(".maps");

/* counters: 0 records written, 1 records dropped (ring buffer full),
 * 2 opens the open filter left out, 3 signals sent */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} cgroups_seen SEC(".maps");

/* response: tgid -> signal to deliver at its next syscall */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} kill_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_open_filter);
} open_filter SEC(".maps");

/* path hashes of the open filter (tagged by class) -> terms they satisfy */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} of_keys SEC(".maps");



struct kernfs_node___old {
	struct kernfs_node *parent;
};

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
}

static __always_inline struct event_buf *get_buf(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return kn->__parent;
	return ((struct kernfs_node___old *)kn)->parent;
}

/*
 * Waking the reader for every record costs an interrupt and a context
 * switch per syscall, and even asking the ring how much is waiting costs a
 * cache miss on the reader's position. So records are written without a
 * wakeup, and each CPU looks at the backlog only after writing another
 * SW_CHECK_BYTES: if SW_WAKE_BYTES or more are waiting then, it wakes the
 * reader. A reader that is behind is awake anyway (it only sleeps after
 * draining the ring, and the poll it sleeps in returns at once while data is
 * waiting). The reader also drains the ring on its poll timeout, so a quiet
 * stream is delivered within that timeout (100 ms in `runtime watch`).
 */
#define SW_WAKE_BYTES (256 * 1024)
#define SW_CHECK_BYTES (32 * 1024)

static __always_inline void submit(struct event_buf *b, __u32 off)
{
	__u64 size = sizeof(struct sw_hdr) + (off & 0x3fff);
	__u64 flags = BPF_RB_NO_WAKEUP;
	b->unchecked += size;
	if (b->unchecked >= SW_CHECK_BYTES) {
		b->unchecked = 0;
		if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= SW_WAKE_BYTES)
			flags = BPF_RB_FORCE_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, &b->h, size, flags))
		count(1);
	else
		count(0);
}

static __always_inline struct kernfs_node *task_cgroup_kn(struct task_struct *t)
{
	struct cgroup *cg = 0;
	struct css_set *cs = t->cgroups;
	int mem = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (mem >= 0 && mem < CGROUP_SUBSYS_COUNT) {
		struct cgroup_subsys_state *css = cs->subsys[mem];
		if (css)
			cg = css->cgroup;
	}
	if (!cg)
		cg = cs->dfl_cgrp;
	if (!cg)
		return 0;
	return cg->kn;
}

static __always_inline __u32 pid_vnr(struct task_struct *t, int tgid)
{
	struct pid *p = tgid ? t->group_leader->thread_pid : t->thread_pid;
	if (!p)
		return 0;
	unsigned int level = p->level;
	if (level == 0)
		return p->numbers[0].nr;
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]);
	return up.nr;
}

/* Fills the task part of an exec record (`t` is the current task, `kn` its
 * cgroup node from task_cgroup_kn). */
static __always_inline void fill_task(struct sw_hdr *h, struct task_struct *t, struct kernfs_node *kn)
{
	const struct cred *cred = t->cred;
	h->tid = t->pid;
	h->pid = t->tgid;
	h->ppid = t->real_parent->tgid;
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->loginuid = t->loginuid.val;
	h->vtid = pid_vnr(t, 0);
	h->vpid = pid_vnr(t, 1);
	bpf_get_current_comm(&h->comm, sizeof(h->comm));
	h->tty = 0;
	struct tty_struct *tty = t->signal->tty;
	if (tty) {
		int major = tty->driver->major;
		int minor = tty->driver->minor_start + tty->index;
		/* new_encode_dev */
		h->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
	}
	h->cgid = kn ? kn->id : 0;
}

/* The task part of a syscall, fork or exit record: user space takes names,
 * ids, tty and credentials from the thread table (set by the exec records
 * and the /proc snapshot, inherited on fork, changed by set*id and capset),
 * so these records carry only what locates the thread. */
static __always_inline void fill_task_min(struct sw_hdr *h, struct task_struct *t, struct kernfs_node *kn)
{
	h->tid = t->pid;
	h->pid = t->tgid;
	h->ppid = t->real_parent->tgid;
	h->uid = 0;
	h->gid = 0;
	h->loginuid = 0;
	h->vtid = 0;
	h->vpid = 0;
	h->tty = 0;
	__builtin_memset(h->comm, 0, sizeof(h->comm));
	h->cgid = kn ? kn->id : 0;
}

/* Emit the path components of a cgroup the first time it is seen. Called
 * before the buffer is filled for the event itself. */
static __always_inline void announce_cgroup(struct event_buf *b, struct kernfs_node *kn)
{
	__u8 one = 1;
	if (!kn)
		return;
	__u64 cgid = kn->id;
	if (!cgid || cgid == b->last_cgid)
		return;
	b->last_cgid = cgid;
	if (bpf_map_lookup_elem(&cgroups_seen, &cgid))
		return;
	bpf_map_update_elem(&cgroups_seen, &cgid, &one, BPF_ANY);
	__u32 off = 0;
	b->h.kind = SW_KIND_CGROUP;
	b->h.cgid = cgid;
	b->h.ts = bpf_ktime_get_boot_ns();
#pragma unroll
	for (int i = 0; i < SW_NPARAMS; i++) {
		b->h.lens[i] = 0;
		if (!kn)
			continue;
		long n = bpf_probe_read_kernel_str(&b->data[off & 0x3fff], 256, kn->name);
		if (n > 0) {
			b->h.lens[i] = n;
			off += n;
		}
		kn = kn_parent(kn);
	}
	submit(b, off);
}

static __always_inline void set_root(struct event_buf *b, struct task_struct *t)
{
	struct fs_struct *fs = t->fs;
	b->root_d = (__u64)fs->root.dentry;
	b->root_m = (__u64)fs->root.mnt;
}

/*
 * Write the components of the path (leaf first, NUL separated) relative to
 * the task's root (set_root), crossing mounts. Returns bytes written.
 * Global, so it is verified once, independently of the call sites: the
 * kernel pointers travel through the buffer (b->path_d, b->path_m) as
 * integers and are cast back to (read-only) BTF pointers; `b` may be NULL as
 * far as the verifier knows.
 */
__noinline __u32 put_path(struct event_buf *b, __u32 off)
{
	if (!b)
		return 0;
	__u64 root_d = b->root_d;
	__u64 root_m = b->root_m;
	__u64 dentry = b->path_d;
	__u64 mnt = b->path_m;
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct dentry *d = bpf_core_cast((void *)dentry, struct dentry);
	struct mount *m = bpf_core_cast((void *)(mnt - mnt_off), struct mount);
	__u32 start = off;
	b->path_done = 0;

	for (int i = 0; i < SW_PATH_DEPTH; i++) {
		if (!d)
			break;
		if ((__u64)d == root_d && (__u64)m + mnt_off == root_m) {
			b->path_done = 1;
			break;
		}
		if (d == m->mnt.mnt_root) {
			struct mount *mp = m->mnt_parent;
			if (mp == m || !mp) {
				b->path_done = 1;
				break;
			}
			d = m->mnt_mountpoint;
			m = mp;
			continue;
		}
		struct dentry *parent = d->d_parent;
		if (off - start >= 3584)
			break; /* budget: a path uses at most 3840 bytes */
		long n = bpf_probe_read_kernel_str(&b->data[off & 0x3fff], 256, d->d_name.name);
		if (n <= 0)
			break;
		off += n;
		if (d == parent) {
			b->path_done = 1;
			break; /* pseudo file (memfd, pipe, socket) */
		}
		d = parent;
	}
	return off - start;
}

static __always_inline __u32 of_lookup(__u64 key)
{
	__u32 *v = bpf_map_lookup_elem(&of_keys, &key);
	return v ? *v : 0;
}

/* Terms whose path tests the path at data[0..plen) passes (written by
 * put_path: components leaf first, NUL-terminated). */
static __always_inline __u32 path_sat(struct event_buf *b, struct sw_open_filter *f, __u32 plen)
{
	__u64 h = SW_OF_SEED, g = SW_OF_SEED, hdir = SW_OF_SEED, win = 0;
	__u32 depth = 0, prefix_hits = 0, pathc_hits = 0;
	__u32 pdepth = f->uses[SW_OF_PREFIX] ? f->prefix_depth : 0;
	__u32 npath = 0;
#pragma unroll
	for (int k = 0; k < SW_OF_NEEDLES; k++)
		if (f->path_mask[k])
			npath = k + 1;
	for (int i = 0; i < SW_OF_PATH_SCAN; i++) {
		if (i >= plen)
			break;
		__u8 c = b->data[(plen - 1 - i) & 0x3fff];
		if (c == 0) {
			if (i > 0) {
				/* h: the first `depth` components */
				depth++;
				hdir = h;
				if (depth <= pdepth)
					prefix_hits |= of_lookup(h ^ SW_OF_TAG_PREFIX);
			}
			g = SW_OF_SEED;
		} else if (npath) {
			win = (win << 8) | c;
#pragma unroll
			for (int k = 0; k < SW_OF_NEEDLES; k++) {
				if (k < npath && (win & f->path_mask[k]) == f->path_needle[k])
					pathc_hits |= f->path_terms[k];
			}
		}
		h = (h ^ c) * SW_OF_PRIME;
		g = (g ^ c) * SW_OF_PRIME;
	}
	depth++;
	if (depth <= pdepth)
		prefix_hits |= of_lookup(h ^ SW_OF_TAG_PREFIX);
	__u32 sat = f->terms;
	if (f->uses[SW_OF_PREFIX])
		sat &= prefix_hits | ~f->uses[SW_OF_PREFIX];
	if (f->uses[SW_OF_PATHC])
		sat &= pathc_hits | ~f->uses[SW_OF_PATHC];
	if (f->uses[SW_OF_NAME])
		sat &= of_lookup(h ^ SW_OF_TAG_NAME) | ~f->uses[SW_OF_NAME];
	if (f->uses[SW_OF_DIR])
		sat &= of_lookup(hdir ^ SW_OF_TAG_DIR) | ~f->uses[SW_OF_DIR];
	if (f->uses[SW_OF_FILENAME])
		sat &= of_lookup(g ^ SW_OF_TAG_FILENAME) | ~f->uses[SW_OF_FILENAME];
	return sat;
}

#define SW_REP 0x0101010101010101ULL
/*
 * Whether the raw name at data[0..raw) may hold one of the first nraw raw
 * needles: a needle can only be where its first byte is, and those bytes
 * are looked for 8 at a time (bytes past the name can only add
 * candidates). The byte-by-byte scan runs only when this holds. Global, so
 * it is verified once.
 */
__noinline int raw_candidates(struct event_buf *b, struct sw_open_filter *f, __u32 raw, __u32 nraw)
{
	__u64 any = 0;
	if (!b || !f)
		return 1;
	for (int w = 0; w < SW_OF_RAW_SCAN / 8; w++) {
		if (w * 8 >= raw)
			break;
		__u64 x = *(__u64 *)&b->data[(w * 8) & 0x3ff8];
#pragma unroll
		for (int k = 0; k < SW_OF_NEEDLES; k++) {
			__u64 y = x ^ f->raw_first[k];
			if (k < nraw)
				any |= (y - SW_REP) & ~y & (SW_REP << 7);
		}
	}
	return any != 0;
}

#define SW_OF_IS_WRITE 1
#define SW_OF_IS_FAILED 2
/*
 * The open filter's decision for the open in b (of_name: its name in user
 * memory; of_has_file: path_d/path_m and the root are the opened file's),
 * made before anything is read for the record. Tests are taken cheapest
 * first; the path's part is cached per file and root. Global, so it is
 * verified once.
 */
__noinline int open_kept(struct event_buf *b, __u32 how)
{
	__u32 zero = 0;
	struct sw_open_filter *f = bpf_map_lookup_elem(&open_filter, &zero);
	if (!b || !f || !f->on)
		return 1;
	__u32 sat = f->terms;
	if (!(how & SW_OF_IS_WRITE))
		sat &= ~f->uses[SW_OF_WRITE];
	if (how & SW_OF_IS_FAILED)
		sat &= ~f->uses[SW_OF_SUCCESS];
	else
		sat &= ~f->uses[SW_OF_FAILED];
	if (!sat)
		return 0;

	__u32 path_classes = f->uses[SW_OF_NAME] | f->uses[SW_OF_DIR] | f->uses[SW_OF_FILENAME] |
			     f->uses[SW_OF_PREFIX] | f->uses[SW_OF_PATHC];
	/* a term with nothing left to test holds */
	if (sat & ~(path_classes | f->uses[SW_OF_RAW]))
		return 1;
	/* no file (a failed open): the path tests pass */
	if ((sat & path_classes) && b->of_has_file) {
		__u64 d = b->path_d;
		__u32 gen = of_gen;
		struct sw_of_slot *slot = &b->of_slots[((d >> 6) ^ (d >> 16)) & (SW_OF_SLOTS - 1)];
		__u32 ps;
		if (slot->dentry == d && slot->mnt == b->path_m && slot->root_d == b->root_d &&
		    slot->root_m == b->root_m && slot->gen == gen && slot->valid) {
			ps = slot->sat;
		} else {
			__u32 n = put_path(b, 0);
			/* cut short or too long to hash: the path tests pass */
			ps = (b->path_done && n && n <= SW_OF_PATH_SCAN) ? path_sat(b, f, n) : ~0U;
			slot->dentry = d;
			slot->mnt = b->path_m;
			slot->root_d = b->root_d;
			slot->root_m = b->root_m;
			slot->gen = gen;
			slot->sat = ps;
			slot->valid = 1;
		}
		sat &= ps;
		if (!sat)
			return 0;
	}
	if (sat & ~f->uses[SW_OF_RAW])
		return 1;

	if (sat & f->uses[SW_OF_RAW]) {
		/* one more byte than scanned and the NUL: longer names are cut */
		long n = bpf_probe_read_user_str(&b->data[0], SW_OF_RAW_SCAN + 2, (const void *)b->of_name);
		if (n > 0 && n <= SW_OF_RAW_SCAN + 1) {
			__u32 raw = n - 1, hits = 0, nraw = 0;
			__u64 win = 0;
#pragma unroll
			for (int k = 0; k < SW_OF_NEEDLES; k++)
				if (f->raw_mask[k])
					nraw = k + 1;
			if (!raw_candidates(b, f, raw, nraw))
				raw = 0;
			for (int i = 0; i < SW_OF_RAW_SCAN; i++) {
				if (i >= raw)
					break;
				win = (win << 8) | (__u8)b->data[i & 0x3fff];
#pragma unroll
				for (int k = 0; k < SW_OF_NEEDLES; k++) {
					if (k < nraw && (win & f->raw_mask[k]) == f->raw_needle[k])
						hits |= f->raw_terms[k];
				}
			}
			sat &= hits | ~f->uses[SW_OF_RAW];
		}
	}
	return sat != 0;
}

static __always_inline __u32 write_path(struct event_buf *b, __u32 off, struct dentry *d,
					       struct vfsmount *m)
{
	b->path_d = (__u64)d;
	b->path_m = (__u64)m;
	return put_path(b, off);
}

static __always_inline struct file *fd_file(struct task_struct *t, __s64 fd)
{
	if (fd < 0 || fd > 0xfffff)
		return 0;
	struct fdtable *fdt = t->files->fdt;
	if (!fdt)
		return 0;
	if ((unsigned int)fd >= fdt->max_fds)
		return 0;
	/* fdt->fd[fd] without a helper call: the slot is read as the first
	 * (pointer) member of a struct the verifier knows, a faulting read
	 * gives 0 */
	__u64 slot = (__u64)fdt->fd + (__u64)fd * sizeof(void *);
	struct callback_head *p = bpf_core_cast((void *)slot, struct callback_head);
	void *f = p->next;
	if (!f)
		return 0;
	return bpf_core_cast(f, struct file);
}

static __always_inline void fill_sock(struct sw_hdr *h, struct file *f)
{
	struct socket *sock = bpf_core_cast(f->private_data, struct socket);
	if (!sock)
		return;
	struct sock *sk = sock->sk;
	if (!sk)
		return;
	__u16 family = sk->__sk_common.skc_family;
	h->sock.family = family;
	h->sock.type = sk->sk_type;
	h->sock.proto = sk->sk_protocol;
	h->sock.lport = sk->__sk_common.skc_num;
	h->sock.rport = __builtin_bswap16(sk->__sk_common.skc_dport);
	if (family == 2 /* AF_INET */) {
		__u32 l = sk->__sk_common.skc_rcv_saddr;
		__u32 r = sk->__sk_common.skc_daddr;
		__builtin_memcpy(h->sock.laddr, &l, 4);
		__builtin_memcpy(h->sock.raddr, &r, 4);
	} else if (family == 10 /* AF_INET6 */) {
		BPF_CORE_READ_INTO(&h->sock.laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&h->sock.raddr, sk, __sk_common.skc_v6_daddr);
	}
	h->flags |= SW_SC_HAS_SOCK;
}

static __always_inline __u32 exe_flags(struct file *exe, struct task_struct *t)
{
	__u32 flags = 0;
	struct inode *ino = exe->f_inode;
	if (!ino)
		return 0;
	unsigned long magic = ino->i_sb->s_magic;
	if (magic == 0x794c7630 /* OVERLAYFS_SUPER_MAGIC */) {
		__u64 vfs_off = bpf_core_field_offset(struct ovl_inode, vfs_inode);
		struct ovl_inode *oi = bpf_core_cast((void *)((__u64)ino - vfs_off), struct ovl_inode);
		if (oi->__upperdentry)
			flags |= SW_EXE_UPPER_LAYER;
		else
			flags |= SW_EXE_LOWER_LAYER;
	}
	if (ino->__i_nlink == 0) {
		char pfx[6] = {};
		bpf_probe_read_kernel(pfx, sizeof(pfx), exe->f_path.dentry->d_name.name);
		if (pfx[0] == 'm' && pfx[1] == 'e' && pfx[2] == 'm' && pfx[3] == 'f' && pfx[4] == 'd' &&
		    pfx[5] == ':')
			flags |= SW_EXE_FROM_MEMFD;
	}
	/* writable by the executing user: owner write bit for the owner, other write bit otherwise */
	umode_t mode = ino->i_mode;
	__u32 iuid = ino->i_uid.val;
	__u32 fsuid = t->cred->fsuid.val;
	if (fsuid == 0 || (fsuid == iuid && (mode & 0200)) || (mode & 0002))
		flags |= SW_EXE_WRITABLE;
	return flags;
}

/* argument i of the call: a register, but a2 and a3 stand for the third
 * and fourth (openat2 replaces them with how->flags and the mode) */
static __always_inline __u64 reg_arg(struct pt_regs *regs, __u8 i, __u64 a2, __u64 a3)
{
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return a2;
	case 3: return a3;
	case 4: return regs->r8;
	case 5: return regs->r9;
	}
	return 0;
}

#define NR_EXECVE 59
#define NR_EXECVEAT 322

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit, struct pt_regs *regs, long ret)
{
	if (response_armed) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		__u32 *sig = bpf_map_lookup_elem(&kill_targets, &tgid);
		if (sig) {
			if (!bpf_send_signal(*sig))
				count(3);
			bpf_map_delete_elem(&kill_targets, &tgid);
		}
	}

	/* most calls are not wanted: their cost is this lookup */
	__u32 nr = (__u32)regs->orig_ax;
	if (nr >= SW_MAX_SYSCALLS)
		return 0;
	struct sw_sc_cfg *cfg = bpf_map_lookup_elem(&sc_cfg, &nr);
	if (!cfg)
		return 0;
	if (cfg->moves && ret >= 0)
		__sync_fetch_and_add(&of_gen, 1);
	if (!cfg->wanted)
		return 0;
	/* a successful exec returns into the new image: sched_process_exec
	 * reported it, and the registers hold the old image's pointers */
	if ((nr == NR_EXECVE || nr == NR_EXECVEAT) && ret == 0)
		return 0;
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	__u8 str_mask = cfg->str_mask;
	__u8 sa_arg = cfg->sockaddr_arg;
	__u8 fd_arg = cfg->fd_arg;
	__u8 special = cfg->special;
	__u8 open_flags = cfg->open_flags;
	__u8 open_name = cfg->open_name;

	struct task_struct *t = bpf_get_current_task_btf();
	struct sw_hdr *h = &b->h;
	__u64 a2 = regs->dx, a3 = regs->r10;
	if (special == 1) {
		/* openat2: args[2] (struct open_how *) becomes how->flags, args[3] the mode */
		struct open_how how = {};
		if (!bpf_probe_read_user(&how, sizeof(how), (const void *)a2)) {
			a2 = how.flags;
			a3 = how.mode;
		}
	}
	if (open_flags) {
		/* the open filter, before anything is written or read for the record */
		struct file *of = ret >= 0 ? fd_file(t, ret) : 0;
		/* directories always pass: later calls resolve paths against them */
		if (!of || (of->f_inode->i_mode & 0170000) != 0040000) {
			__u64 oflags = open_flags == SW_OPEN_CREAT ? 1 : reg_arg(regs, (open_flags - 1) & 7, a2, a3);
			__u32 acc = oflags & 3;
			__u32 how = (acc == 1 || acc == 2 ? SW_OF_IS_WRITE : 0) | (ret < 0 ? SW_OF_IS_FAILED : 0);
			b->of_name = reg_arg(regs, open_name & 7, a2, a3);
			b->of_has_file = of != 0;
			if (of) {
				set_root(b, t);
				b->path_d = (__u64)of->f_path.dentry;
				b->path_m = (__u64)of->f_path.mnt;
			}
			if (!open_kept(b, how)) {
				count(2);
				return 0;
			}
		}
	}

	/* the sensor's own calls: after the open filter, which leaves most
	 * opens out without asking whose they are */
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;

	h->nr = nr;
	h->ret = ret;
	h->flags = 0;
	h->ino = 0;
	h->fmode = 0;
	h->ctime_ns = 0;
	h->mtime_ns = 0;
	__builtin_memset(&h->sock, 0, sizeof(h->sock));
	h->args[0] = regs->di;
	h->args[1] = regs->si;
	h->args[2] = a2;
	h->args[3] = a3;
	h->args[4] = regs->r8;
	h->args[5] = regs->r9;

	/* a record follows: announce its cgroup first (a record of its own) */
	struct kernfs_node *kn = task_cgroup_kn(t);
	announce_cgroup(b, kn);
	h->kind = SW_KIND_SYSCALL;

	__u32 off = 0;
	int p = 0;
	h->lens[0] = 0;
	h->lens[1] = 0;
	h->lens[2] = 0;
	h->lens[3] = 0;
#pragma unroll
	for (int i = 0; i < 6; i++) {
		if (!(str_mask & (1 << i)))
			continue;
		if (p >= 2)
			break;
		long n = bpf_probe_read_user_str(&b->data[off & 0x3fff], SW_PARAM_MAX,
						 (const void *)h->args[i]);
		if (n < 0)
			n = 0;
		if (p == 0)
			h->lens[0] = n;
		else
			h->lens[1] = n;
		off += n;
		p++;
	}

	if (sa_arg < 6) {
		__u64 len = reg_arg(regs, sa_arg + 1, a2, a3);
		if (len > 128)
			len = 128;
		if (len > 0 &&
		    !bpf_probe_read_user(&b->data[off & 0x3fff], len & 0xff, (const void *)reg_arg(regs, sa_arg, a2, a3))) {
			h->lens[2] = len;
			off += len;
		}
	}
	if (special == 2) {
		/* capset: the sets in force after the call, in args[2..4] */
		const struct cred *cred = t->cred;
		h->args[2] = 0;
		h->args[3] = 0;
		h->args[4] = 0;
		bpf_core_read(&h->args[2], 8, &cred->cap_inheritable);
		bpf_core_read(&h->args[3], 8, &cred->cap_permitted);
		bpf_core_read(&h->args[4], 8, &cred->cap_effective);
	}
	if (fd_arg <= SW_ARG_RET) {
		__s64 fd = fd_arg == SW_ARG_RET ? ret : (__s64)(int)reg_arg(regs, fd_arg, a2, a3);
		struct file *f = fd_file(t, fd);
		if (f) {
			struct inode *ino = f->f_inode;
			umode_t mode = ino->i_mode;
			h->fmode = mode;
			h->ino = ino->i_ino;
			h->flags |= SW_SC_HAS_FILE;
			if ((mode & 0170000) == 0140000 /* S_IFSOCK */) {
				fill_sock(h, f);
			} else {
				set_root(b, t);
				__u32 n = write_path(b, off, f->f_path.dentry, f->f_path.mnt);
				h->lens[3] = n;
				off += n;
			}
		}
	}
	fill_task_min(h, t, kn);
	h->ts = bpf_ktime_get_boot_ns();
	submit(b, off);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (p->tgid == self_tgid)
		return 0;
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	struct kernfs_node *kn = task_cgroup_kn(p);
	announce_cgroup(b, kn);
	struct sw_hdr *h = &b->h;
	/* execve or execveat: the syscall number is still in the saved registers */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
	__u32 nr = regs ? (__u32)regs->orig_ax : NR_EXECVE;
	h->nr = nr == NR_EXECVEAT ? NR_EXECVEAT : NR_EXECVE;
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_EXEC;
	h->ret = 0;
	h->flags = 0;
	__builtin_memset(&h->sock, 0, sizeof(h->sock));
	fill_task(h, p, kn);
	h->args[0] = old_pid;
	/* the new image's capabilities (kernel_cap_t is 8 bytes in both of its
	 * layouts: u64 val since 6.3, u32 cap[2] before) */
	const struct cred *cred = p->cred;
	h->args[1] = 0;
	h->args[2] = 0;
	h->args[3] = 0;
	bpf_core_read(&h->args[1], 8, &cred->cap_permitted);
	bpf_core_read(&h->args[2], 8, &cred->cap_effective);
	bpf_core_read(&h->args[3], 8, &cred->cap_inheritable);

	__u32 off = 0;
	long n = bpf_probe_read_kernel_str(&b->data[0], SW_PARAM_MAX, bprm->filename);
	if (n < 0)
		n = 0;
	h->lens[0] = n;
	off += n;

	struct mm_struct *mm = p->mm;
	unsigned long as = mm->arg_start;
	unsigned long ae = mm->arg_end;
	unsigned long alen = ae - as;
	if (alen > SW_PARAM_MAX)
		alen = SW_PARAM_MAX;
	h->lens[1] = 0;
	if (alen > 0 && !bpf_probe_read_user(&b->data[off & 0x3fff], alen & (SW_PARAM_MAX - 1), (void *)as)) {
		h->lens[1] = alen & (SW_PARAM_MAX - 1);
		off += alen & (SW_PARAM_MAX - 1);
	}

	struct file *exe = bprm->file;
	h->lens[2] = 0;
	h->lens[3] = 0;
	if (exe) {
		struct inode *ino = exe->f_inode;
		h->flags = exe_flags(exe, p);
		h->ino = ino->i_ino;
		h->fmode = ino->i_mode;
		h->ctime_ns = (__u64)ino->i_ctime_sec * 1000000000ULL + ino->i_ctime_nsec;
		h->mtime_ns = (__u64)ino->i_mtime_sec * 1000000000ULL + ino->i_mtime_nsec;
		set_root(b, p);
		__u32 pn = write_path(b, off, exe->f_path.dentry, exe->f_path.mnt);
		h->lens[2] = pn;
		off += pn;
	}
	/* working directory */
	set_root(b, p);
	struct fs_struct *fs = p->fs;
	__u32 cn = write_path(b, off, fs->pwd.dentry, fs->pwd.mnt);
	h->lens[3] = cn;
	off += cn;
	submit(b, off);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sw_fork, struct task_struct *parent, struct task_struct *child)
{
	if (parent->tgid == self_tgid)
		return 0;
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	struct kernfs_node *kn = task_cgroup_kn(child);
	announce_cgroup(b, kn);
	struct sw_hdr *h = &b->h;
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_FORK;
	h->nr = 56; /* clone */
	h->ret = 0;
	h->flags = 0;
	__builtin_memset(h->lens, 0, sizeof(h->lens));
	fill_task_min(h, child, kn);
	h->args[0] = parent->pid;
	h->args[1] = parent->tgid;
	if (child->tgid == parent->tgid)
		h->flags |= SW_FORK_THREAD;
	else
		h->ppid = parent->tgid;
	set_root(b, child);
	struct fs_struct *fs = child->fs;
	__u32 off = write_path(b, 0, fs->pwd.dentry, fs->pwd.mnt);
	h->lens[3] = off;
	submit(b, off);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sw_exit, struct task_struct *p)
{
	if (p->tgid == self_tgid)
		return 0;
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	struct sw_hdr *h = &b->h;
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_EXIT;
	h->nr = 60;
	h->flags = 0;
	__builtin_memset(h->lens, 0, sizeof(h->lens));
	fill_task_min(h, p, task_cgroup_kn(p));
	h->ret = p->exit_code;
	submit(b, 0);
	return 0;
}
