/* SPDX-License-Identifier: Apache-2.0 */
/* Record layout shared by sensor.bpf.c and src/record.rs (keep in sync). */
#ifndef SEAWALL_SENSOR_H
#define SEAWALL_SENSOR_H

#define SW_MAX_SYSCALLS 512
#define SW_NPARAMS 4
#define SW_PARAM_MAX 4096
#define SW_DATA_SZ 20480 /* writes start below 16384 and are at most 4096 long */
#define SW_PATH_DEPTH 24

/* record kinds */
#define SW_KIND_SYSCALL 1 /* a syscall exit carrying every parameter */
#define SW_KIND_EXEC 2    /* successful execve/execveat (sched_process_exec) */
#define SW_KIND_FORK 3    /* sched_process_fork (process or thread) */
#define SW_KIND_EXIT 4    /* sched_process_exit */
#define SW_KIND_CGROUP 5  /* first sighting of a cgroup: its path components */

/* exec flags (Falco's PPM_EXE_*) */
#define SW_EXE_WRITABLE (1 << 0)
#define SW_EXE_UPPER_LAYER (1 << 1)
#define SW_EXE_FROM_MEMFD (1 << 2)
#define SW_EXE_LOWER_LAYER (1 << 3)
/* fork flags */
#define SW_FORK_THREAD (1 << 0)
/* syscall record flags */
#define SW_SC_HAS_SOCK (1 << 0)
#define SW_SC_HAS_FILE (1 << 1)

/* per-syscall configuration written by user space */
#define SW_ARG_NONE 0xff
#define SW_ARG_RET 6
struct sw_sc_cfg {
	__u8 wanted;
	__u8 str_mask;     /* bit i: argument i is a user string */
	__u8 sockaddr_arg; /* argument holding a struct sockaddr (len in next arg) */
	__u8 fd_arg;       /* argument (or SW_ARG_RET) naming an fd to describe */
	__u8 special;      /* 1: openat2 (read struct open_how); 2: capset (send the new capability sets) */
	__u8 pad[3];
};

struct sw_sock {
	__u16 family;
	__u16 type;
	__u16 proto;
	__u16 lport;
	__u16 rport;
	__u16 pad[3];
	__u8 laddr[16];
	__u8 raddr[16];
};

struct sw_hdr {
	__u64 ts;
	__u64 cgid;
	__s64 ret;
	__u64 args[6];
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	/* uid .. vtid and comm: set in exec records only, zero in the others
	 * (the thread table has them) */
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 tty;
	__u32 vpid;
	__u32 vtid;
	__u16 kind;
	__u16 nr;
	__u32 flags;
	__u16 lens[SW_NPARAMS];
	char comm[16];
	struct sw_sock sock;
	__u64 ino;      /* exec: exe inode; syscall: file inode of fd_arg */
	__u64 ctime_ns; /* exec: exe inode ctime */
	__u64 mtime_ns; /* exec: exe inode mtime */
	__u32 fmode;    /* i_mode of the file behind fd_arg / the exe */
	__u32 pad2;
};

#endif
