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
	__u8 open_flags;   /* an open the open filter applies to: 1 + the argument holding
			      its flags (openat2: after `special`), SW_OPEN_CREAT for creat */
	__u8 open_name;    /* that open's name argument */
	__u8 moves;        /* 1: the call can change the path of existing files (rename,
			      mount, ...): forget the open filter's cached path decisions */
};
#define SW_OPEN_CREAT 0x80

/*
 * The open filter (seawall_event::open_filter::OpenFilter, which documents
 * the decision): terms are conjunctions of tests on an open, one bit each;
 * an open is recorded when some term holds, or when it opened a directory.
 */
#define SW_OF_WRITE 0
#define SW_OF_SUCCESS 1
#define SW_OF_FAILED 2
#define SW_OF_NAME 3
#define SW_OF_DIR 4
#define SW_OF_FILENAME 5
#define SW_OF_PREFIX 6
#define SW_OF_RAW 7
#define SW_OF_PATHC 8
#define SW_OF_CLASSES 9
#define SW_OF_NEEDLES 4
#define SW_OF_RAW_SCAN 256  /* raw names longer than this pass the raw tests */
#define SW_OF_PATH_SCAN 512 /* paths longer than this pass the path tests */
#define SW_OF_PREFIX_DEPTH 6
/* path hashes: FNV-1a 64 over the path read backwards as the kernel writes
 * it (each component, root first, as a NUL and its bytes reversed); the
 * key of a hash in of_keys is the hash xor the class's tag */
#define SW_OF_SEED 0xcbf29ce484222325ULL
#define SW_OF_PRIME 0x100000001b3ULL
#define SW_OF_TAG_NAME 0x9e3779b97f4a7c15ULL
#define SW_OF_TAG_DIR 0xc2b2ae3d27d4eb4fULL
#define SW_OF_TAG_FILENAME 0x165667b19e3779f9ULL
#define SW_OF_TAG_PREFIX 0x27d4eb2f165667c5ULL
/* a cached path decision of the open filter: for this file and root */
#define SW_OF_SLOTS 128
struct sw_of_slot {
	__u64 dentry;
	__u64 mnt;
	__u64 root_d;
	__u64 root_m;
	__u32 gen;   /* of_gen when computed */
	__u32 sat;   /* terms whose path tests the path passes */
	__u32 valid;
	__u32 pad;
};
struct sw_open_filter {
	__u32 terms;               /* bit t: term t exists */
	__u32 uses[SW_OF_CLASSES]; /* bit t: term t has a test of the class */
	__u64 raw_needle[SW_OF_NEEDLES];  /* bytes, the needle's last byte lowest */
	__u64 raw_mask[SW_OF_NEEDLES];    /* 0: slot unused */
	__u32 raw_terms[SW_OF_NEEDLES];   /* terms a hit satisfies */
	__u64 path_needle[SW_OF_NEEDLES]; /* bytes, the needle's first byte lowest */
	__u64 path_mask[SW_OF_NEEDLES];
	__u32 path_terms[SW_OF_NEEDLES];
	__u32 prefix_depth;               /* deepest prefix, in components */
	__u32 on;                         /* 0: the filter is off (every open passes) */
	__u64 raw_first[SW_OF_NEEDLES];   /* the needle's first byte in every byte; 0: unused */
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
