/*
 * fastfuse.h — the C ABI of FastFuse (libfastfuse.so / libfastfuse.a), a FUSE runtime that speaks /dev/fuse itself.
 *
 * The shape is libfuse's low-level API: a table of callbacks, one per FUSE request, working on inode numbers.
 *
 * Answering a request — two styles, mixable per callback and per request:
 *   - Synchronous: fill the callback's out arguments and return 0, or return a NEGATIVE errno (-ENOENT, -EIO…),
 *     as in libfuse. Any other positive value than FASTFUSE_ASYNC is a bug in the callback and answers EIO.
 *   - Asynchronous (the reference): answer with one fastfuse_reply_*(ctx->req, …) call, inside the callback or
 *     later from any thread, and return FASTFUSE_ASYNC. See "Replies" below.
 *   - A NULL callback answers ENOSYS, except release, opendir and releasedir, which succeed, and forget,
 *     forget_multi, init and destroy, which have no answer.
 *   - Reply structs (struct fuse_entry_out, fuse_attr_out, fuse_open_out…) are the kernel's own, from
 *     <linux/fuse.h>: FastFuse's structs are laid out byte for byte as the kernel's (checked against the header
 *     by the runtime's tests), so what a callback writes goes to the kernel unchanged. They arrive zeroed: fill
 *     what you know. Any <linux/fuse.h> from protocol 7.31 on works: the layouts used here have not changed, and
 *     the newer ones (statx, passthrough) are declared here.
 *
 * Threads. fastfuse_run serves on the calling thread plus the library's own; fastfuse_start only on the library's.
 *   Request callbacks and forget/forget_multi run on the library's worker threads, several at once (`threads` in
 *   fastfuse_mount: on /dev/fuse one request per worker at a time; on the uring and fuse-uring transports each
 *   worker has many requests in flight). init runs once on a worker, before any other callback; destroy runs once,
 *   last, on a worker or in fastfuse_destroy's thread, after every worker stopped calling. Interrupt callbacks
 *   (fastfuse_req_interrupt_func) and retrieve callbacks run on a library thread that serves no requests.
 *   Every fastfuse_* function may be called from any thread, also from inside callbacks, except fastfuse_run,
 *   fastfuse_unmount and fastfuse_destroy, which wait for the workers and must not be called from a callback.
 *
 * Blocking. A callback may block: its worker waits with it. On /dev/fuse the other workers go on; on a ring
 *   transport every request in flight on that worker waits too. Anything slow (network, disk, locks held by
 *   other requests, SETLKW) should return FASTFUSE_ASYNC and reply from elsewhere: no worker is held then.
 *
 * Lifetimes. Everything the library passes to a callback — ctx, names, in-structs (fuse_setattr_in, fuse_lk_in,
 *   fuse_forget_one), WRITE data, the out arguments, the READ buffer, the dirbuf — is valid only until the
 *   callback returns: copy what a later reply needs. `ud` is yours; the library never reads it. What you pass to
 *   the library — options, the ops table, names, reply data — is copied before the call returns; you keep
 *   ownership (fastfuse_reply_data_fd's descriptor: see there). Strings from the library (fastfuse_last_error,
 *   fastfuse_version) are the library's: never free them.
 *
 * Unmount. The session ends when the filesystem is unmounted (umount, fusermount3 -u, fastfuse_unmount) or the
 *   kernel ends the connection. Requests still waiting for a reply are then answered EIO and their tokens die
 *   (a later reply returns -EALREADY); replies and notifications racing with the end are dropped and counted,
 *   never an error; notifications after it return -ENOTCONN. A session handle stays valid until
 *   fastfuse_destroy; after that, passing it is refused with EINVAL (it is looked up, never followed).
 *
 * Names are passed as a NUL-terminated string and its length (no NUL counted), never longer than 255 bytes.
 * Only plain C types cross the boundary; a session and a request are opaque handles. Every function catches every
 * failure inside the library: none unwinds into C.
 *
 * Link with $(pkg-config --cflags --libs fastfuse) (shared) or --static (libfastfuse.a; it also needs -lm
 * -lpthread -ldl -lrt, which --static adds). The library is a NativeAOT image: it carries its own runtime and
 * needs only libc.
 */
#ifndef FASTFUSE_H
#define FASTFUSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/fuse.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FASTFUSE_VERSION_MAJOR 0
#define FASTFUSE_VERSION_MINOR 2
#define FASTFUSE_VERSION_PATCH 0

/* An open session: one mount, its worker threads and its stats. */
typedef struct fastfuse_session fastfuse_session;

/*
 * One request, from the moment its callback is called until it is answered: an opaque token (not a pointer to
 * memory: never dereference it). Answer it with one fastfuse_reply_* call, inside the callback or later, from any
 * thread. The token stays safe to pass after that: a second reply, or a reply after the session ended, is refused
 * with -EALREADY and changes nothing.
 */
typedef struct fastfuse_req fastfuse_req;

/* Who asked: the request's id, the node it is about, the caller's credentials. Lives on the library's stack:
 * valid only during the callback it is passed to (copy what a later reply needs). */
struct fastfuse_ctx {
	uint64_t unique;  /* the kernel's request id */
	uint64_t nodeid;  /* the node in the request header */
	uint32_t uid, gid, pid;
	uint32_t umask;   /* the caller's umask for mknod, mkdir and create (apply it yourself, once); 0 otherwise */
	fastfuse_req *req; /* this request, for fastfuse_reply_* and fastfuse_req_* (since 0.2) */
};

/*
 * Returned by a callback that answers through fastfuse_reply_*(ctx->req, ...) instead of its return value and out
 * arguments. The reply may come before the callback returns (from this thread or another) or at any time after,
 * from any thread. Whatever a callback returns, a reply made before it returned is the answer.
 */
#define FASTFUSE_ASYNC 0x41535943 /* "ASYC": a value no callback returns by accident */

/* Directory entries being packed into a READDIR / READDIRPLUS reply; valid only inside the readdir callback. */
struct fastfuse_dirbuf;

/*
 * Add one READDIR entry. `mode_type` is the file type in st_mode form (mode & S_IFMT) or 0 if unknown;
 * `next_off` is the offset the kernel sends back to continue after this entry.
 * In READDIRPLUS mode the entry carries no attributes (node id 0), so the kernel looks the name up.
 * Returns 1 when added, 0 when the reply is full (stop: the kernel asks again from the last next_off),
 * or a negative errno for a bad argument (NULL, or a name longer than 255 bytes).
 */
int fastfuse_dir_add(struct fastfuse_dirbuf *db, const char *name, uint64_t ino, uint32_t mode_type, int64_t next_off);

/*
 * Add one READDIRPLUS entry with its attributes and timeouts. When this returns 1 and the name is not "." or "..",
 * the kernel holds one more lookup reference to entry->nodeid (if not 0), exactly as after a lookup reply, and
 * will forget it later. In plain READDIR mode only entry->attr.ino and the type from entry->attr.mode are used.
 * Returns 1, 0 or a negative errno as fastfuse_dir_add.
 */
int fastfuse_dir_add_plus(struct fastfuse_dirbuf *db, const char *name, const struct fuse_entry_out *entry, int64_t next_off);

/* 1 when the kernel asked for READDIRPLUS (use fastfuse_dir_add_plus), else 0. */
int fastfuse_dir_is_plus(const struct fastfuse_dirbuf *db);

/* statx(2) answers, laid out as the kernel's struct fuse_statx_out (protocol 7.39; declared here so any
 * <linux/fuse.h> works). stat.mask says which fields are filled (STATX_BASIC_STATS, STATX_BTIME…). */
struct fastfuse_sx_time { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };
/* As struct statx: the fields stat.mask names are valid. */
struct fastfuse_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct fastfuse_sx_time atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare2[14];
};
/* The STATX answer: the attributes and how long the kernel may cache them. */
struct fastfuse_statx_out {
	uint64_t attr_valid;      /* seconds the kernel may cache it */
	uint32_t attr_valid_nsec;
	uint32_t flags;
	uint64_t spare[2];
	struct fastfuse_statx stat;
};

/* What the kernel offered at INIT and what the session asks for; see the init callback. */
struct fastfuse_conn {
	uint32_t proto_major;          /* the kernel's protocol version */
	uint32_t proto_minor;          /* the version agreed */
	uint64_t capable;              /* FUSE_* INIT flags the kernel offers (flags | flags2 << 32, as in <linux/fuse.h>) */
	uint64_t want;                 /* in/out: the flags asked for; only those also offered are used */
	uint32_t max_write;            /* in/out: largest WRITE payload (at most the session's buffer size) */
	uint32_t max_readahead;        /* in/out */
	uint32_t max_background;       /* in/out (<= 65535) */
	uint32_t congestion_threshold; /* in/out (<= 65535) */
	uint32_t time_gran;            /* in/out: timestamp granularity in ns */
	uint32_t max_stack_depth;      /* in/out: FUSE passthrough stacking depth */
	uint32_t reserved[8];
};

/*
 * The callbacks. `ud` is the userdata given to fastfuse_mount. Grow-only: new members are added at the end, and
 * fastfuse_mount takes sizeof(struct fastfuse_ops) so an old program keeps working with a newer library.
 */
struct fastfuse_ops {
	/* LOOKUP: name in parent. Fill out (nodeid, attr, entry_valid/attr_valid timeouts); each successful answer
	 * with nodeid != 0 is one lookup reference the kernel later gives back through forget. nodeid 0 with
	 * entry_valid set is a negative entry (cached "does not exist"); -ENOENT is one that is not cached. Async:
	 * fastfuse_reply_entry. */
	int (*lookup)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
	              struct fuse_entry_out *out);
	/* has_fh: the kernel sent the open file's handle (fstat on an open file). */
	int (*getattr)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int has_fh,
	               struct fuse_attr_out *out);
	/* in->valid says which fields to apply (FATTR_MODE, FATTR_SIZE…). */
	int (*setattr)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const struct fuse_setattr_in *in,
	               struct fuse_attr_out *out);
	/* Write the target into buf (`size` bytes of room) and its length into *len; if *len is left alone the target
	 * is taken as the NUL-terminated string in buf. */
	int (*readlink)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, char *buf, size_t size, size_t *len);
	/* MKNOD: create a regular file, device, FIFO or socket (mode has the type bits; rdev the device). ctx->umask
	 * is the caller's umask: apply it once. Answer as lookup (fastfuse_reply_entry). */
	int (*mknod)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
	             uint32_t mode, uint32_t rdev, struct fuse_entry_out *out);
	/* mode: the permission bits asked for (use mode & 07777 and add S_IFDIR: do not rely on the type bits). */
	int (*mkdir)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
	             uint32_t mode, struct fuse_entry_out *out);
	/* UNLINK: remove the name (the node lives on while open or looked up). Async: fastfuse_reply_err(req, 0). */
	int (*unlink)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen);
	/* RMDIR: remove the empty directory (else -ENOTEMPTY). Async: fastfuse_reply_err(req, 0). */
	int (*rmdir)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen);
	/* SYMLINK: a new symbolic link `name` in parent pointing at `target` (targetlen bytes, NUL-terminated).
	 * Answer as lookup. */
	int (*symlink)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
	               const char *target, size_t targetlen, struct fuse_entry_out *out);
	/* flags: 0, RENAME_NOREPLACE, RENAME_EXCHANGE or RENAME_WHITEOUT. */
	int (*rename)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
	              uint64_t newparent, const char *newname, size_t newnamelen, uint32_t flags);
	/* LINK: a new name for ino (hard link). Answer as lookup, with ino's entry (nlink grown). */
	int (*link)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t newparent, const char *newname,
	            size_t newnamelen, struct fuse_entry_out *out);
	/* Set out->fh to your handle and out->open_flags (FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE…). */
	int (*open)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, int flags, struct fuse_open_out *out);
	/* buf is `size` bytes in the worker's reply buffer: write the data there and its length into *len
	 * (fewer than size means end of file). No copy is made: buf is what goes to the kernel. */
	int (*read)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off, size_t size,
	            void *buf, size_t *len);
	/* data is the kernel's buffer, valid during the call. write_flags: FUSE_WRITE_CACHE… Set *written. */
	int (*write)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off, const void *data,
	             size_t size, uint32_t write_flags, uint32_t *written);
	/* STATFS: the filesystem's sizes (out->st: blocks, bfree, bavail, files, ffree, bsize, namelen, frsize).
	 * Async: fastfuse_reply_statfs. */
	int (*statfs)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, struct fuse_statfs_out *out);
	/* RELEASE: the last close of an open file; fh is the open callback's. NULL succeeds. The answer is not
	 * waited for by any caller: do not block in it. Async: fastfuse_reply_err(req, 0). */
	int (*release)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int flags,
	               uint32_t release_flags, uint64_t lock_owner);
	/* FSYNC: make the file's data (and with datasync 0 its metadata) durable. Async: fastfuse_reply_err. */
	int (*fsync)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int datasync);
	/* SETXATTR: set name to value (size bytes); flags XATTR_CREATE / XATTR_REPLACE. */
	int (*setxattr)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const char *name, size_t namelen,
	                const void *value, size_t size, int flags);
	/* size 0: only tell the value's length in *len (buf is NULL). Otherwise write at most `size` bytes into buf
	 * and the length into *len, or return -ERANGE when the value is longer. */
	int (*getxattr)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const char *name, size_t namelen,
	                void *buf, size_t size, size_t *len);
	/* As getxattr, with the names each followed by a NUL. */
	int (*listxattr)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, void *buf, size_t size, size_t *len);
	/* REMOVEXATTR: remove name (-ENODATA when absent). */
	int (*removexattr)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const char *name, size_t namelen);
	/* FLUSH: a close(2) of a descriptor (one per close; lock_owner identifies the closer's POSIX locks, which
	 * end here). Async: fastfuse_reply_err. */
	int (*flush)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, uint64_t lock_owner);
	/* OPENDIR: as open, for a directory. NULL succeeds (fh 0). */
	int (*opendir)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, int flags, struct fuse_open_out *out);
	/* Add entries from `off` on with fastfuse_dir_add / fastfuse_dir_add_plus until one returns <= 0. */
	int (*readdir)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off,
	               struct fastfuse_dirbuf *db);
	/* RELEASEDIR: the last close of an open directory. NULL succeeds. */
	int (*releasedir)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int flags);
	/* FSYNCDIR: as fsync, for a directory. */
	int (*fsyncdir)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int datasync);
	/* ACCESS: access(2)/faccessat without default_permissions: 0 when `mask` (R_OK, W_OK, X_OK, F_OK) is allowed
	 * to ctx's caller, else -EACCES. */
	int (*access)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, int mask);
	/* CREATE: open(O_CREAT) of a name that does not exist: create it (mode, ctx->umask) and open it with flags.
	 * Fill entry as lookup and open as open. NULL: the kernel uses mknod then open. Async:
	 * fastfuse_reply_create. */
	int (*create)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
	              uint32_t mode, int flags, struct fuse_entry_out *entry, struct fuse_open_out *open);
	/* FORGET: the kernel drops nlookup of its lookup references to ino (when they reach 0, ino may be freed once
	 * nothing else holds it). No answer and no token. */
	void (*forget)(void *ud, uint64_t ino, uint64_t nlookup);
	/* FALLOCATE: fallocate(2) mode (0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE…) on off..off+len. */
	int (*fallocate)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off, int64_t len,
	                 int mode);
	/* LSEEK: SEEK_DATA / SEEK_HOLE from off: the resulting offset into *result (-ENXIO past the end). NULL: the
	 * kernel answers them itself from the file size. Async: fastfuse_reply_lseek. */
	int (*lseek)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off, int whence,
	             int64_t *result);
	/* COPY_FILE_RANGE(_64): copy len bytes between two open files inside the filesystem; *copied is how many.
	 * Async: fastfuse_reply_write. */
	int (*copy_file_range)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino_in, uint64_t fh_in, int64_t off_in,
	                       uint64_t ino_out, uint64_t fh_out, int64_t off_out, uint64_t len, uint64_t flags,
	                       uint64_t *copied);
	/* Once, first, on the worker that reads INIT, before any other callback: read conn, change what you want.
	 * Optional. */
	void (*init)(void *ud, struct fastfuse_conn *conn);
	/* Once, last, when the session ends (unmount, DESTROY, or fastfuse_destroy), after every other callback
	 * returned and every waiting request was answered EIO. On a worker or in fastfuse_destroy's thread. */
	void (*destroy)(void *ud);
	/* ---- added after the first table (still in 0.1) ---- */
	/* GETLK: the first POSIX lock that would conflict with in->lk (out->lk), or l_type F_UNLCK. Async:
	 * fastfuse_reply_lock. */
	int (*getlk)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const struct fuse_lk_in *in,
	             struct fuse_lk_out *out);
	/* SETLK / SETLKW (wait 1): take or release in->lk for in->owner. With wait, do not block a worker: return
	 * FASTFUSE_ASYNC and answer when the lock is granted (fastfuse_reply_err(req, 0)), or -EINTR from
	 * fastfuse_req_interrupt_func. flock(2) comes here too, with FUSE_LK_FLOCK in in->lk_flags. */
	int (*setlk)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const struct fuse_lk_in *in, int wait);
	/* BMAP: the device block of file block *block (blockdev filesystems only). Async: fastfuse_reply_bmap. */
	int (*bmap)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint32_t blocksize, uint64_t *block);
	/* SYNCFS: syncfs(2) on the mount: make everything durable. */
	int (*syncfs)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino);
	/* ---- added in 0.2 ---- */
	/* BATCH_FORGET: `count` forgets at once (the array is valid during the call). NULL: forget is called for each.
	 * No answer and no token. */
	void (*forget_multi)(void *ud, size_t count, const struct fuse_forget_one *forgets);
	/* open(O_TMPFILE) in `parent`: create a file without a name (nlink 0) and open it; answer as create
	 * (fastfuse_reply_create). Without O_EXCL it may later get a name through link. ctx->umask applies.
	 * NULL: the kernel answers EOPNOTSUPP to O_TMPFILE on this mount. */
	int (*tmpfile)(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, uint32_t mode, int flags,
	               struct fuse_entry_out *entry, struct fuse_open_out *open);
	/* statx(2) asking for more than GETATTR carries (btime): fill out->stat and set out->stat.mask.
	 * NULL: the kernel uses getattr from then on (no btime). */
	int (*statx)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int has_fh, uint32_t sx_flags,
	             uint32_t sx_mask, struct fastfuse_statx_out *out);
	/* poll(2)/select/epoll on an open file: set *revents to the ready events among `events`. When flags has
	 * FUSE_POLL_SCHEDULE_NOTIFY and nothing is ready, keep `kh` and call fastfuse_notify_poll(session, kh) once
	 * something is: the kernel then polls again. NULL: the kernel treats every file as always ready. */
	int (*poll)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, uint64_t kh, uint32_t flags,
	            uint32_t events, uint32_t *revents);
	/* ioctl(2) on an open file (restricted ioctls: the kernel copies `in_size` bytes in and `out_size` out, as
	 * _IOC_SIZE(cmd) says). `arg` is the caller's address, never to be followed. Write at most out_size bytes of
	 * output into out with their count in *out_len, and the ioctl's return value (>= 0) into *result.
	 * Return -ENOTTY for a command you do not know. NULL: every ioctl on the mount fails with ENOTTY. */
	int (*ioctl)(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, uint32_t flags, uint32_t cmd,
	             uint64_t arg, const void *in, size_t in_size, void *out, size_t out_size, int32_t *result,
	             size_t *out_len);
};

/*
 * ---- Replies (the asynchronous style) ----
 *
 * A callback that returns FASTFUSE_ASYNC answers its request with exactly one of these, passing ctx->req. Each may
 * be called inside the callback or later, from any thread, and copies what it is given before it returns (except
 * fastfuse_reply_data_fd, see there). The out arguments of a callback are not used for a request answered this way.
 *
 * Every reply returns 0 when the request is answered, or a negative errno, and then the request is NOT answered:
 *   -EALREADY  the request was answered already (a second reply), or the token is stale (the session ended and
 *              answered it EIO, or its callback answered through its return value);
 *   -EINVAL    NULL argument, or this reply does not fit the request's opcode (reply_attr to a LOOKUP…), or the
 *              data is longer than the kernel asked for: answer again with the right reply.
 * fastfuse_last_error() says which. The reply goes to the kernel before the call returns on /dev/fuse; on a ring
 * transport it is queued to the ring's thread. Between the unmount and the session's end the token is still live:
 * a reply then returns 0 and is dropped (the kernel has no one to give it to; counted as dropped_stale). Once the
 * session has ended — fastfuse_run has returned, or fastfuse_unmount / fastfuse_destroy — every token is dead and
 * a reply returns -EALREADY.
 *
 * A request that was never answered is answered EIO when its session ends, so no caller waits for ever. FORGET and BATCH_FORGET have no answer and no
 * token (libfuse's fuse_reply_none is implicit).
 */

/* Fail the request: err is an errno, positive as in libfuse or negative as callbacks return it.
 * err 0 answers success without a payload, for the opcodes whose answer is only a status (UNLINK, RMDIR, RENAME,
 * RELEASE, RELEASEDIR, FLUSH, FSYNC, FSYNCDIR, SETXATTR, REMOVEXATTR, ACCESS, SETLK, SETLKW, FALLOCATE, SYNCFS). */
int fastfuse_reply_err(fastfuse_req *req, int err);
/* LOOKUP (nodeid 0: a negative entry, cached for entry_valid), MKNOD, MKDIR, SYMLINK, LINK. On success the kernel
 * holds one more lookup reference to entry->nodeid. */
int fastfuse_reply_entry(fastfuse_req *req, const struct fuse_entry_out *entry);
/* CREATE and TMPFILE: the new entry and its open file. */
int fastfuse_reply_create(fastfuse_req *req, const struct fuse_entry_out *entry, const struct fuse_open_out *open);
/* GETATTR, SETATTR. */
int fastfuse_reply_attr(fastfuse_req *req, const struct fuse_attr_out *attr);
/* OPEN, OPENDIR. */
int fastfuse_reply_open(fastfuse_req *req, const struct fuse_open_out *open);
/* Bytes: READ data (fewer than asked means end of file), READLINK's target (no NUL), READDIR / READDIRPLUS entries
 * packed with fastfuse_add_direntry*, GETXATTR's value and LISTXATTR's names when the request's size was not 0.
 * At most the size the kernel asked for. data may be NULL when size is 0. */
int fastfuse_reply_buf(fastfuse_req *req, const void *data, size_t size);
/* As fastfuse_reply_buf, gathered from `count` (0..1024) segments. */
int fastfuse_reply_iov(fastfuse_req *req, const struct iovec *iov, int count);
/* READ: `size` bytes of the file `fd` from `off` (fewer at its end). Inside the callback the bytes are spliced from
 * fd to the kernel without passing through user memory where the transport can (keep fd open until the callback
 * returns); from a later reply they are read before this call returns. */
int fastfuse_reply_data_fd(fastfuse_req *req, int fd, int64_t off, size_t size);
/* GETXATTR / LISTXATTR asked with size 0: the length the value (or the name list) needs. */
int fastfuse_reply_xattr(fastfuse_req *req, size_t size);
/* STATFS. */
int fastfuse_reply_statfs(fastfuse_req *req, const struct fuse_statfs_out *st);
/* GETLK: the lock that conflicts, or l_type F_UNLCK. */
int fastfuse_reply_lock(fastfuse_req *req, const struct fuse_lk_out *lk);
/* WRITE (bytes written, at most the size written), COPY_FILE_RANGE (below 2^32) and COPY_FILE_RANGE_64. */
int fastfuse_reply_write(fastfuse_req *req, uint64_t count);
/* LSEEK: the resulting offset. */
int fastfuse_reply_lseek(fastfuse_req *req, int64_t off);
/* BMAP: the device block. */
int fastfuse_reply_bmap(fastfuse_req *req, uint64_t block);
/* STATX. */
int fastfuse_reply_statx(fastfuse_req *req, const struct fastfuse_statx_out *statx);
/* POLL: the ready events. */
int fastfuse_reply_poll(fastfuse_req *req, uint32_t revents);
/* IOCTL: the ioctl's return value (>= 0) and at most the out_size the kernel asked for of output. */
int fastfuse_reply_ioctl(fastfuse_req *req, int32_t result, const void *data, size_t size);

/*
 * Pack one READDIR entry (fastfuse_add_direntry) or READDIRPLUS entry (fastfuse_add_direntry_plus, with attributes;
 * the kernel takes a lookup reference to entry->nodeid unless the name is "." or "..") into buf, for a later
 * fastfuse_reply_buf. Returns the bytes the entry takes; it is written only when that is at most `size`, so stop
 * when the result is larger than the room left. 0 for a bad argument (NULL, or a name not 1..255 bytes).
 * `mode_type` and `next_off` are as in fastfuse_dir_add. Reply with at most fastfuse_dir_size(db) bytes.
 */
size_t fastfuse_add_direntry(void *buf, size_t size, const char *name, uint64_t ino, uint32_t mode_type,
                             int64_t next_off);
size_t fastfuse_add_direntry_plus(void *buf, size_t size, const char *name, const struct fuse_entry_out *entry,
                                  int64_t next_off);
/* The size the kernel asked for in this READDIR / READDIRPLUS (valid during the readdir callback). */
size_t fastfuse_dir_size(const struct fastfuse_dirbuf *db);

/* 1 when the kernel has interrupted the request (the caller got a signal; answer -EINTR if you stop early), 0 if
 * not, -EALREADY once it is answered. Cheap: one atomic read unless some request was interrupted. */
int fastfuse_req_interrupted(fastfuse_req *req);

/* Called once, on a library thread that serves no requests, when the request is interrupted: at once (on that
 * thread) if it was already; never after the request was answered (a reply that races with it may still be
 * answering: its own reply may return -EALREADY). May answer the request (-EINTR). One per request.
 * Returns 0, -EALREADY (answered), or -EBUSY (one is registered for this request already). */
typedef void (*fastfuse_interrupt_fn)(fastfuse_req *req, void *data);
int fastfuse_req_interrupt_func(fastfuse_req *req, fastfuse_interrupt_fn fn, void *data);

/* The caller's supplementary groups (read from /proc/PID/status, as libfuse does): up to `size` gids into list.
 * Returns how many the caller has (more than size: call again with a larger list), or a negative errno (-ESRCH:
 * the caller has exited; -EALREADY). Call it before answering. */
int fastfuse_req_getgroups(fastfuse_req *req, int size, uint32_t *list);

/*
 * Mount a filesystem. `options` is a comma-separated "-o" list, or NULL: the mount options of the fastfuse command
 * (allow_other, allow_root, default_permissions, ro, fsname=NAME, subtype=NAME, max_read=N, the VFS flags, fusermount,
 * lazy_umount, auto_unmount, transport=auto|devfuse|uring|fuse-uring, uring_depth=N, no_splice_read, and
 * writeback_cache, which asks for FUSE_WRITEBACK_CACHE at INIT before the init callback sees conn->want), plus
 * "debug" (one log line per request) and the session's own threads=N (1–256; not with a nonzero `threads`
 * argument), spin=US (0–1000000: how long a worker polls for the next request before it sleeps) and
 * max_write=BYTES (4096–1048576). The options the command's filesystems carry out themselves — entry_timeout,
 * attr_timeout, negative_timeout, direct_io, kernel_cache, auto_cache, passthrough, size, nr_inodes — are refused,
 * with what a C filesystem does instead (entry_valid, FOPEN_DIRECT_IO…): no option is accepted and then ignored.
 * `ops` is copied (ops_size = sizeof(struct fastfuse_ops)); `userdata` is handed to every callback.
 * `threads`: worker threads, each with its own /dev/fuse fd (0 = the threads= option, else the number of CPUs).
 * The session does not serve yet: call fastfuse_run or fastfuse_start.
 * Returns NULL on error: fastfuse_last_error() says why (missing mountpoint, unknown option…).
 */
fastfuse_session *fastfuse_mount(const char *mountpoint, const char *options, const struct fastfuse_ops *ops,
                                 size_t ops_size, void *userdata, int threads);

/* Serve until the filesystem is unmounted (fusermount3 -u, umount, or fastfuse_unmount from another thread). The
 * session's first loop runs on the calling thread (with threads=1 on /dev/fuse every callback does; the other
 * loops have threads of their own). Called after fastfuse_start, it only waits for the end.
 * Returns 0, or a positive errno (EINVAL for a bad handle). */
int fastfuse_run(fastfuse_session *s);

/* Serve on background threads and return at once. Returns 0 or a positive errno. */
int fastfuse_start(fastfuse_session *s);

/* Unmount (lazily with lazy != 0: MNT_DETACH) and stop the workers. Returns 0 or a positive errno
 * (EBUSY: files are still open and lazy was 0). Do not call it from a callback. */
int fastfuse_unmount(fastfuse_session *s, int lazy);

/* Unmount if still mounted (lazily), stop, and free the session. The handle is dead afterwards: passing it to any
 * function is refused with EINVAL, never followed (but do not destroy a session another thread is still using). */
void fastfuse_destroy(fastfuse_session *s);

/* Per-opcode counts and latencies as text, NUL-terminated in buf (truncated to size - 1 bytes).
 * Returns the full text's length without the NUL (as snprintf), or a negative errno. */
int fastfuse_stats(fastfuse_session *s, char *buf, size_t size);

/*
 * A session's counters as numbers (fastfuse_stats gives the same as text). Grow-only: members are added at the end.
 * Set `size` to sizeof(struct fastfuse_stats) before the call; the library fills at most that many bytes and sets
 * `size` to how many it filled and `version` to FASTFUSE_STATS_VERSION. Counts are read while workers run: each is
 * exact, the set is not one instant.
 */
#define FASTFUSE_STATS_VERSION 2
#define FASTFUSE_STATS_OPCODES 64
struct fastfuse_stats {
	uint32_t size;
	uint32_t version;
	uint64_t requests;                        /* every request handled */
	uint64_t count[FASTFUSE_STATS_OPCODES];   /* per FUSE opcode (index FUSE_LOOKUP…; 0: CUSE and unknown ones) */
	uint64_t errors[FASTFUSE_STATS_OPCODES];  /* of those, the ones answered with an error */
	uint64_t protocol_errors;                 /* requests that broke the protocol (answered EINVAL or EIO) */
	uint64_t handler_exceptions;              /* callbacks that failed inside the runtime (answered EIO) */
	uint64_t unimplemented;                   /* opcodes without a row (answered ENOSYS) */
	uint64_t interrupts;                      /* FUSE_INTERRUPT requests received */
	uint64_t forgets;                         /* FORGET and BATCH_FORGET entries */
	uint64_t pending;                         /* deferred replies still outstanding */
	uint64_t dropped_stale;                   /* replies written after their session or request ended: dropped */
	uint64_t reply_enoent, reply_enodev, reply_other_errors; /* replies the kernel refused, by errno */
	uint64_t notifications_sent, notifications_refused, notifications_dropped;
	uint64_t spliced_replies, splice_fallbacks;
	uint32_t depth;                           /* requests in flight per loop (1 on /dev/fuse workers) */
	uint32_t reserved;
	/* version 2 (0.2) */
	uint64_t deferred_replies;                /* replies sent after their callback returned (FASTFUSE_ASYNC) */
	uint64_t heap_allocated_bytes;            /* bytes the library's own heap has allocated since it was loaded, all
	                                             sessions, background work included (a session re-reads the mount
	                                             table whenever a mount on the system changes) */
	uint64_t request_path_allocated_bytes;    /* of those, what the request path allocated: the loops' threads and
	                                             the fastfuse_reply_* calls on the threads making them. Flat while
	                                             serving means requests and replies allocate nothing */
};

/* Fill *out (see struct fastfuse_stats). Returns 0 or a negative errno (-EINVAL: NULL, or out->size below 8). */
int fastfuse_stats_get(fastfuse_session *s, struct fastfuse_stats *out);

/*
 * Serve a filesystem mounted already: `fd` is an open /dev/fuse descriptor whose mount(2) was done by the caller
 * (or a parent that passed it on, as mount.fuse3 does with /dev/fd/N). The session takes the descriptor and closes
 * it in fastfuse_destroy. `options` holds only the session's own options (threads=, spin=, max_write=, transport=,
 * uring_depth=, no_splice_read, debug): mount options belong to the mount(2) already made and are refused.
 * fastfuse_unmount on such a session stops serving; unmounting the mount is the caller's (umount2). The kernel
 * ends the session when the mount goes away (fastfuse_run then returns). Returns NULL on error.
 */
fastfuse_session *fastfuse_mount_fd(int fd, const char *options, const struct fastfuse_ops *ops, size_t ops_size,
                                    void *userdata, int threads);

/* The session a request belongs to (for notifications and backing files from inside a callback); NULL for a
 * stale token. */
fastfuse_session *fastfuse_req_session(fastfuse_req *req);

/*
 * ---- Notifications: the filesystem tells the kernel something changed (from any thread, also inside a callback,
 * except fastfuse_notify_retrieve's answer, which needs a free worker) ----
 * Each returns 0 or the kernel's negative errno: -ENOENT (the kernel does not know that node or name, which is
 * not a failure: nothing was cached), -ENOSYS (the kernel's protocol is older than the notification), -ENOTCONN
 * (the session has ended: nothing was written), -EINVAL for a bad argument.
 */
/* Drop cached attributes of ino, and its cached pages from off for len bytes (len 0: to the end; off < 0: only
 * the attributes). */
int fastfuse_notify_inval_inode(fastfuse_session *s, uint64_t ino, int64_t off, int64_t len);
/* Drop the cached name in parent (and the node's attributes it carries); with expire_only the entry only times out
 * (protocol 7.38). */
int fastfuse_notify_inval_entry(fastfuse_session *s, uint64_t parent, const char *name, size_t namelen, int expire_only);
/* The name in parent that referred to child was removed: the kernel drops it and its dentry (as after unlink). */
int fastfuse_notify_delete(fastfuse_session *s, uint64_t parent, uint64_t child, const char *name, size_t namelen);
/* Put `size` bytes into ino's page cache at off (the file grows to cover them). */
int fastfuse_notify_store(fastfuse_session *s, uint64_t ino, int64_t off, const void *data, size_t size);
/* Ask the kernel for up to `size` bytes of ino's page cache from off. fn is called once, on a library thread,
 * with what the kernel had (buf valid during the call; err 0), or with err < 0 if the kernel refused or the
 * session ended first. Returns 0 when asked (fn will be called) or a negative errno (fn will not). */
typedef void (*fastfuse_retrieve_fn)(void *data, int err, int64_t off, const void *buf, size_t size);
int fastfuse_notify_retrieve(fastfuse_session *s, uint64_t ino, int64_t off, size_t size, fastfuse_retrieve_fn fn,
                             void *data);
/* A poll handle (kh from the poll callback) is ready: the kernel polls again. */
int fastfuse_notify_poll(fastfuse_session *s, uint64_t kh);
/* The kernel sends every request it has not had an answer to again (protocol 7.40). */
int fastfuse_notify_resend(fastfuse_session *s);
/* Every cached name becomes stale at once (protocol 7.44). */
int fastfuse_notify_inc_epoch(fastfuse_session *s);
/* Ask the kernel to forget these nodes if nothing uses them (protocol 7.45). */
int fastfuse_notify_prune(fastfuse_session *s, const uint64_t *nodeids, size_t count);

/*
 * ---- FUSE passthrough: reads and writes of a file go to a backing file in the kernel ----
 * Ask for FUSE_PASSTHROUGH (1ULL << 37) in the init callback's want, register the backing file here, and answer
 * OPEN or CREATE with fastfuse_open_passthrough. Needs CAP_SYS_ADMIN.
 */
/* Register fd (an open regular file; keep it open or not, the kernel holds its own reference) as a backing file.
 * Returns its backing id (> 0) or a negative errno (-EPERM without CAP_SYS_ADMIN, -EOPNOTSUPP when passthrough
 * was not agreed at INIT). */
int fastfuse_backing_open(fastfuse_session *s, int fd);
/* Drop a backing id once no open reply will use it again (open files keep their backing file). 0 or -errno. */
int fastfuse_backing_close(fastfuse_session *s, int backing_id);
/* Mark an OPEN / CREATE answer as passthrough to backing_id (sets FOPEN_PASSTHROUGH and the backing id field,
 * which older <linux/fuse.h> call padding). Returns 0, or -EINVAL for NULL or an id <= 0. */
int fastfuse_open_passthrough(struct fuse_open_out *out, int backing_id);

/* Why the last call on this thread failed; valid until the next fastfuse_ call on this thread. Never NULL. */
const char *fastfuse_last_error(void);

/* "fastfuse VERSION (FUSE 7.45)": VERSION is FastFuse's one version, the <Version> in Directory.Build.props,
 * the same the fastfuse command prints with --version and the NuGet package carries. */
const char *fastfuse_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FASTFUSE_H */
