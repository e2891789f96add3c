// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * seawall runtime sensor.
 *
 * Syscalls are captured at sys_exit (raw tracepoint) so each record carries
 * every parameter together with the result; sys_enter only stashes the raw
 * arguments of wanted syscalls (the registers are gone at exit). Process
 * lifecycle comes from the sched_process_{exec,fork,exit} tracepoints.
 * Which syscalls are wanted is a map user space rewrites when rules change.
 * Records go through one ring buffer; failed reservations are counted.
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

const volatile __u32 self_tgid = 0;

struct event_buf {
	struct sw_hdr h;
	char data[SW_DATA_SZ];
	/* not sent: the task's root for put_path */
	__u64 root_d;
	__u64 root_m;
};

struct enter_args {
	__u64 args[6];
	__u32 nr;
	__u32 pad;
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

/* 0: process lifecycle wanted (always on while running) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_buf);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct enter_args);
} stash SEC(".maps");

/* counters: 0 records written, 1 records dropped (ring buffer full),
 * 2 stash overflow, 3 signals sent */
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
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * Waking the reader for every record costs an interrupt and a context
 * switch per syscall. Records are written without a wakeup until this much
 * is waiting; the reader also drains the ring on its poll timeout, so a
 * quiet stream is delivered within that timeout (100 ms in `runtime watch`).
 */
#define SW_WAKE_BYTES (256 * 1024)

static __always_inline __u64 wake_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= SW_WAKE_BYTES ? BPF_RB_FORCE_WAKEUP
										: BPF_RB_NO_WAKEUP;
}

static __always_inline struct kernfs_node *task_cgroup_kn(struct task_struct *t)
{
	struct cgroup *cg = 0;
	int mem = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (mem >= 0 && mem < CGROUP_SUBSYS_COUNT)
		cg = BPF_CORE_READ(t, cgroups, subsys[mem], cgroup);
	if (!cg)
		cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	if (!cg)
		return 0;
	return BPF_CORE_READ(cg, kn);
}

static __always_inline __u64 task_cgid(struct task_struct *t)
{
	struct kernfs_node *kn = task_cgroup_kn(t);
	return kn ? BPF_CORE_READ(kn, id) : 0;
}

static __always_inline __u32 pid_vnr(struct task_struct *t, int tgid)
{
	struct pid *p;
	if (tgid)
		p = BPF_CORE_READ(t, group_leader, thread_pid);
	else
		p = BPF_CORE_READ(t, thread_pid);
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up;
	bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]);
	return up.nr;
}

static __always_inline void fill_task(struct sw_hdr *h, struct task_struct *t)
{
	__u64 cgid = 0;
	struct kernfs_node *kn;

	h->tid = BPF_CORE_READ(t, pid);
	h->pid = BPF_CORE_READ(t, tgid);
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->uid = BPF_CORE_READ(t, cred, uid.val);
	h->gid = BPF_CORE_READ(t, cred, gid.val);
	h->loginuid = BPF_CORE_READ(t, loginuid.val);
	h->vtid = pid_vnr(t, 0);
	h->vpid = pid_vnr(t, 1);
	BPF_CORE_READ_STR_INTO(&h->comm, t, comm);
	h->tty = 0;
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (tty) {
		int major = BPF_CORE_READ(tty, driver, major);
		int minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		/* new_encode_dev */
		h->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
	}
	kn = task_cgroup_kn(t);
	if (kn)
		cgid = BPF_CORE_READ(kn, id);
	h->cgid = cgid;
}

/* Emit the path components of a cgroup the first time it is seen. */
static __always_inline void announce_cgroup(struct task_struct *t, __u64 cgid)
{
	__u8 one = 1;
	if (!cgid || bpf_map_lookup_elem(&cgroups_seen, &cgid))
		return;
	bpf_map_update_elem(&cgroups_seen, &cgid, &one, BPF_ANY);
	struct event_buf *b = get_buf();
	if (!b)
		return;
	struct kernfs_node *kn = task_cgroup_kn(t);
	__u32 off = 0;
	b->h.kind = SW_KIND_CGROUP;
	b->h.cgid = cgid;
	b->h.ts = bpf_ktime_get_boot_ns();
#pragma unroll
	for (int i = 0; i < SW_NPARAMS; i++) {
		b->h.lens[i] = 0;
		if (!kn)
			continue;
		const char *name = BPF_CORE_READ(kn, name);
		long n = bpf_probe_read_kernel_str(&b->data[off & 0x3fff], 256, name);
		if (n > 0) {
			b->h.lens[i] = n;
			off += n;
		}
		kn = kn_parent(kn);
	}
	if (bpf_ringbuf_output(&events, b, (sizeof(struct sw_hdr) + (off & 0x3fff)), wake_flags()))
		count(1);
	else
		count(0);
}

/*
 * Write the components of `path` (leaf first, NUL separated) relative to
 * the task's root, crossing mounts. Returns bytes written.
 */
static __always_inline void set_root(struct event_buf *b, struct task_struct *t)
{
	b->root_d = (__u64)BPF_CORE_READ(t, fs, root.dentry);
	b->root_m = (__u64)BPF_CORE_READ(t, fs, root.mnt);
}

/* Global (verified once, independently of the call sites). Kernel
 * pointers travel as integers; `b` may be NULL as far as the verifier knows. */
__noinline __u32 put_path(struct event_buf *b, __u32 off, __u64 dentry, __u64 mnt)
{
	if (!b)
		return 0;
	struct dentry *d = (struct dentry *)dentry;
	struct vfsmount *vmnt = (struct vfsmount *)mnt;
	struct dentry *root_d = (struct dentry *)b->root_d;
	struct vfsmount *root_m = (struct vfsmount *)b->root_m;
	struct mount *m = container_of(vmnt, struct mount, mnt);
	__u32 start = off;

	for (int i = 0; i < SW_PATH_DEPTH; i++) {
		if (!d)
			break;
		if (d == root_d && vmnt == root_m)
			break;
		struct dentry *mnt_root = BPF_CORE_READ(vmnt, mnt_root);
		if (d == mnt_root) {
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);
			if (mp == m)
				break;
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			vmnt = &m->mnt;
			continue;
		}
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (off - start >= 3584)
			break; /* budget: a path uses at most 3840 bytes */
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		long n = bpf_probe_read_kernel_str(&b->data[off & 0x3fff], 256, name);
		if (n <= 0)
			break;
		off += n;
		if (d == parent)
			break; /* pseudo file (memfd, pipe, socket) */
		d = parent;
	}
	return off - start;
}

static __always_inline struct file *fd_file(struct task_struct *t, __s64 fd)
{
	if (fd < 0 || fd > 0xfffff)
		return 0;
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt)
		return 0;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void fill_sock(struct sw_hdr *h, struct file *f)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	h->sock.family = family;
	h->sock.type = BPF_CORE_READ(sk, sk_type);
	h->sock.proto = BPF_CORE_READ(sk, sk_protocol);
	h->sock.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	h->sock.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == 2 /* AF_INET */) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
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
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	if (!ino)
		return 0;
	unsigned long magic = BPF_CORE_READ(ino, i_sb, s_magic);
	if (magic == 0x794c7630 /* OVERLAYFS_SUPER_MAGIC */) {
		struct ovl_inode *oi = container_of(ino, struct ovl_inode, vfs_inode);
		struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
		if (upper)
			flags |= SW_EXE_UPPER_LAYER;
		else
			flags |= SW_EXE_LOWER_LAYER;
	}
	if (BPF_CORE_READ(ino, __i_nlink) == 0) {
		char pfx[6] = {};
		bpf_probe_read_kernel(pfx, sizeof(pfx), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
		if (pfx[0] == 'm' && pfx[1] == 'e' && pfx[2] == 'm' && pfx[3] == 'f' && pfx[4] == 'd' &&
		    pfx[5] == ':')
			flags |= SW_EXE_FROM_MEMFD;
	}
	/* writable by the executing user: owner write bit for the owner, other write bit otherwise */
	umode_t mode = BPF_CORE_READ(ino, i_mode);
	__u32 iuid = BPF_CORE_READ(ino, i_uid.val);
	__u32 fsuid = BPF_CORE_READ(t, cred, fsuid.val);
	if (fsuid == 0 || (fsuid == iuid && (mode & 0200)) || (mode & 0002))
		flags |= SW_EXE_WRITABLE;
	return flags;
}

static __always_inline __u64 arg_at(struct sw_hdr *h, __u8 i)
{
	switch (i) {
	case 0: return h->args[0];
	case 1: return h->args[1];
	case 2: return h->args[2];
	case 3: return h->args[3];
	case 4: return h->args[4];
	case 5: return h->args[5];
	}
	return 0;
}

static __always_inline void submit(struct event_buf *b, __u32 off)
{
	if (bpf_ringbuf_output(&events, b, (sizeof(struct sw_hdr) + (off & 0x3fff)), wake_flags()))
		count(1);
	else
		count(0);
}

SEC("raw_tracepoint/sys_enter")
int sw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u32 tid = (__u32)pid_tgid;
	if (tgid == self_tgid)
		return 0;

	__u32 *sig = bpf_map_lookup_elem(&kill_targets, &tgid);
	if (sig) {
		if (!bpf_send_signal(*sig))
			count(3);
		bpf_map_delete_elem(&kill_targets, &tgid);
	}

	__u32 nr = (__u32)ctx->args[1];
	if (nr >= SW_MAX_SYSCALLS)
		return 0;
	struct sw_sc_cfg *cfg = bpf_map_lookup_elem(&sc_cfg, &nr);
	if (!cfg || !cfg->wanted)
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct enter_args a = {};
	a.nr = nr;
	a.args[0] = BPF_CORE_READ(regs, di);
	a.args[1] = BPF_CORE_READ(regs, si);
	a.args[2] = BPF_CORE_READ(regs, dx);
	a.args[3] = BPF_CORE_READ(regs, r10);
	a.args[4] = BPF_CORE_READ(regs, r8);
	a.args[5] = BPF_CORE_READ(regs, r9);
	if (bpf_map_update_elem(&stash, &tid, &a, BPF_ANY))
		count(2);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int sw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	if ((pid_tgid >> 32) == self_tgid)
		return 0;
	struct enter_args *a = bpf_map_lookup_elem(&stash, &tid);
	if (!a)
		return 0;
	__u32 nr = a->nr;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__s64 ret = ctx->args[1];
	/* the stashed call must be the one exiting (execve that succeeded never exits here) */
	if (nr >= SW_MAX_SYSCALLS || BPF_CORE_READ(regs, orig_ax) != nr) {
		bpf_map_delete_elem(&stash, &tid);
		return 0;
	}
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	announce_cgroup(t, task_cgid(t));
	struct sw_sc_cfg *cfg = bpf_map_lookup_elem(&sc_cfg, &nr);
	struct event_buf *b = get_buf();
	if (!cfg || !b) {
		bpf_map_delete_elem(&stash, &tid);
		return 0;
	}
	struct sw_hdr *h = &b->h;
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_SYSCALL;
	h->nr = nr;
	h->ret = ret;
	h->flags = 0;
	h->ino = 0;
	h->fmode = 0;
	h->ctime_ns = 0;
	h->mtime_ns = 0;
	__builtin_memset(&h->sock, 0, sizeof(h->sock));
#pragma unroll
	for (int i = 0; i < 6; i++)
		h->args[i] = a->args[i];
	__u8 str_mask = cfg->str_mask;
	__u8 sa_arg = cfg->sockaddr_arg;
	__u8 fd_arg = cfg->fd_arg;
	__u8 special = cfg->special;
	bpf_map_delete_elem(&stash, &tid);
	fill_task(h, t);

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
		__u64 len = arg_at(h, sa_arg + 1);
		if (len > 128)
			len = 128;
		if (len > 0 &&
		    !bpf_probe_read_user(&b->data[off & 0x3fff], len & 0xff, (const void *)arg_at(h, sa_arg))) {
			h->lens[2] = len;
			off += len;
		}
	}
	if (special == 1) {
		/* openat2: replace args[2] (struct open_how *) with how->flags, args[3] with mode */
		struct open_how how = {};
		if (!bpf_probe_read_user(&how, sizeof(how), (const void *)h->args[2])) {
			h->args[2] = how.flags;
			h->args[3] = how.mode;
		}
	}
	if (fd_arg <= SW_ARG_RET) {
		__s64 fd = fd_arg == SW_ARG_RET ? ret : (__s64)(int)arg_at(h, fd_arg);
		struct file *f = fd_file(t, fd);
		if (f) {
			struct inode *ino = BPF_CORE_READ(f, f_inode);
			umode_t mode = BPF_CORE_READ(ino, i_mode);
			h->fmode = mode;
			h->ino = BPF_CORE_READ(ino, i_ino);
			h->flags |= SW_SC_HAS_FILE;
			if ((mode & 0170000) == 0140000 /* S_IFSOCK */) {
				fill_sock(h, f);
			} else {
				set_root(b, t);
				__u32 n = put_path(b, off, (__u64)BPF_CORE_READ(f, f_path.dentry), (__u64)BPF_CORE_READ(f, f_path.mnt));
				h->lens[3] = n;
				off += n;
			}
		}
	}
	submit(b, off);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (tgid == self_tgid)
		return 0;
	announce_cgroup(p, task_cgid(p));
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	struct sw_hdr *h = &b->h;
	__u32 otid = old_pid;
	struct enter_args *a = bpf_map_lookup_elem(&stash, &otid);
	h->nr = a ? a->nr : 59;
	if (a)
		bpf_map_delete_elem(&stash, &otid);
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_EXEC;
	h->ret = 0;
	h->flags = 0;
	__builtin_memset(&h->sock, 0, sizeof(h->sock));
	fill_task(h, p);
	h->args[0] = old_pid;

	__u32 off = 0;
	long n = bpf_probe_read_kernel_str(&b->data[0], SW_PARAM_MAX, BPF_CORE_READ(bprm, filename));
	if (n < 0)
		n = 0;
	h->lens[0] = n;
	off += n;

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long as = BPF_CORE_READ(mm, arg_start);
	unsigned long ae = BPF_CORE_READ(mm, arg_end);
	unsigned long alen = ae - as;
	if (alen > SW_PARAM_MAX)
		alen = SW_PARAM_MAX;
	h->lens[1] = 0;
	if (alen > 0 && !bpf_probe_read_user(&b->data[off & 0x3fff], alen & (SW_PARAM_MAX - 1), (void *)as)) {
		h->lens[1] = alen & (SW_PARAM_MAX - 1);
		off += alen & (SW_PARAM_MAX - 1);
	}

	struct file *exe = BPF_CORE_READ(bprm, file);
	h->lens[2] = 0;
	h->lens[3] = 0;
	if (exe) {
		struct inode *ino = BPF_CORE_READ(exe, f_inode);
		h->flags = exe_flags(exe, p);
		h->ino = BPF_CORE_READ(ino, i_ino);
		h->fmode = BPF_CORE_READ(ino, i_mode);
		h->ctime_ns = (__u64)BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ULL +
			      BPF_CORE_READ(ino, i_ctime_nsec);
		h->mtime_ns = (__u64)BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ULL +
			      BPF_CORE_READ(ino, i_mtime_nsec);
		set_root(b, p);
		__u32 pn = put_path(b, off, (__u64)BPF_CORE_READ(exe, f_path.dentry), (__u64)BPF_CORE_READ(exe, f_path.mnt));
		h->lens[2] = pn;
		off += pn;
	}
	/* working directory */
	set_root(b, p);
	__u32 cn = put_path(b, off, (__u64)BPF_CORE_READ(p, fs, pwd.dentry), (__u64)BPF_CORE_READ(p, fs, pwd.mnt));
	h->lens[3] = cn;
	off += cn;
	submit(b, off);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sw_fork, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(parent, tgid) == self_tgid)
		return 0;
	announce_cgroup(child, task_cgid(child));
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	struct sw_hdr *h = &b->h;
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_FORK;
	h->nr = 56; /* clone */
	h->ret = 0;
	h->flags = 0;
	__builtin_memset(h->lens, 0, sizeof(h->lens));
	fill_task(h, child);
	h->args[0] = BPF_CORE_READ(parent, pid);
	h->args[1] = BPF_CORE_READ(parent, tgid);
	if (BPF_CORE_READ(child, tgid) == BPF_CORE_READ(parent, tgid))
		h->flags |= SW_FORK_THREAD;
	else
		h->ppid = BPF_CORE_READ(parent, tgid);
	set_root(b, child);
	__u32 off = put_path(b, 0, (__u64)BPF_CORE_READ(child, fs, pwd.dentry), (__u64)BPF_CORE_READ(child, fs, pwd.mnt));
	h->lens[3] = off;
	submit(b, off);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sw_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (tgid == self_tgid)
		return 0;
	__u32 tid = BPF_CORE_READ(p, pid);
	bpf_map_delete_elem(&stash, &tid);
	struct event_buf *b = get_buf();
	if (!b)
		return 0;
	struct sw_hdr *h = &b->h;
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = SW_KIND_EXIT;
	h->nr = 60;
	h->flags = 0;
	__builtin_memset(h->lens, 0, sizeof(h->lens));
	fill_task(h, p);
	h->ret = BPF_CORE_READ(p, exit_code);
	submit(b, 0);
	return 0;
}
