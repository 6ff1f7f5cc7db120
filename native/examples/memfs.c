/*
 * memfs.c — a read-write filesystem in memory, written against libfastfuse's C ABI (fastfuse.h) and nothing else,
 * in the asynchronous style: callbacks answer their request with fastfuse_reply_*(ctx->req, ...) and return
 * FASTFUSE_ASYNC. Most of them answer before they return; READ is answered later, from a thread of our own.
 *
 *   native/build.sh
 *   cc -O2 -pthread -I native/include native/examples/memfs.c -L out/native -lfastfuse \
 *      -Wl,-rpath,$PWD/out/native -o out/native/memfs
 *   mkdir -p /tmp/mem && out/native/memfs /tmp/mem [-o OPTIONS] [--stats]    # SIGINT/SIGTERM unmount, exit 0
 *
 * OPTIONS is the comma-separated list of fastfuse_mount (the `fastfuse` command's -o options: allow_other, ro,
 * transport=…, threads=N…). memfs takes four of them out and acts on them itself, since they are answers a
 * filesystem gives and not something the library does for it (the library refuses them): entry_timeout=S, attr_timeout=S, negative_timeout=S (how long the
 * kernel may cache names, attributes and "no such name": default 1 s each) and direct_io (every read and write
 * reaches us: no page cache). --stats prints the library's counters at exit. (`sync_read`, memfs's own, answers READ in
 * the callback instead of on the reader thread: see memfs_read.)
 *
 * Permission checks are the kernel's: memfs adds default_permissions to the options, so the kernel checks the mode
 * bits, owners and the sticky bit before it asks us, as it does for ext4. (This costs a GETATTR per path component
 * whenever attr_timeout is 0. `-o no_default_permissions`, memfs's own option, leaves it out: then nothing checks
 * permissions, which is only safe when no one but the mounting user can reach the mount.)
 *
 * What it is:
 *   - Files, directories, symlinks, hard links, FIFOs, sockets and device nodes; rename with RENAME_NOREPLACE and
 *     RENAME_EXCHANGE; extended attributes (user., trusted., security.); fallocate (KEEP_SIZE, PUNCH_HOLE,
 *     ZERO_RANGE); copy_file_range. Timestamps, link counts and errors as a local Linux filesystem (ext4) has them.
 *   - One mutex guards the whole tree: callbacks run on several library threads at once, and on the reader thread.
 *   - Node numbers are never reused (a counter), so the kernel can never confuse an old node with a new one; the
 *     table they index keeps a pointer (NULL once freed) for every node ever made.
 *   - A node lives while it has a name, the kernel holds a lookup reference to it, or it is open. The kernel takes
 *     one reference per successful LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE reply and READDIRPLUS entry, and
 *     gives them back with FORGET: an unlinked file that is still open keeps its data until its last close.
 *   - File data lives in 4 KiB chunks; a chunk never written is a hole and reads as zeros (st_blocks counts the
 *     chunks that exist). A file's chunks are one flat array of pointers, which is why files stop at 16 GiB (the
 *     array is then 32 MiB), and all files together may hold half the machine's memory (then ENOSPC), as tmpfs.
 *
 * The asynchronous replies, in short (see "Replies" in fastfuse.h):
 *   - A callback that returns FASTFUSE_ASYNC must answer its request exactly once, with one fastfuse_reply_*
 *     call on ctx->req: now, or later from any thread. ctx itself lives only during the callback, so whatever a
 *     later reply needs (the token ctx->req, the offset…) is copied out first.
 *   - Every fastfuse_reply_* copies what it is given before it returns: stack buffers are fine.
 *   - A reply that fails returns a negative errno and leaves the request unanswered; memfs says so on stderr
 *     (that would be a bug here or in the library), and undoes what it counted for the reply (lookup references).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "fastfuse.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define ROOT_INO      FUSE_ROOT_ID                /* 1: the kernel's name for the root */
#define CHUNK         4096                        /* file data granule */
#define MAX_FILE_SIZE ((uint64_t)16 << 30)        /* 16 GiB: larger sizes and offsets are EFBIG (see chunks) */
#define MAX_LINKS     65000                       /* as ext4: EMLINK past it */
#define FIRST_COOKIE  3                           /* readdir offsets: 1 after ".", 2 after "..", entries from 3 */

/* ------------------------------------------------------------------------------------------------ the tree */

struct node;

/* One name in a directory. Entries are kept twice: in their directory's listing (a list in creation order, for
 * readdir) and in one hash table for the whole filesystem (keyed by directory and name, for lookup). */
struct entry {
	struct node *dir;        /* the directory the name is in */
	struct node *node;       /* what it names */
	char *name;              /* NUL-terminated */
	size_t namelen;
	uint64_t cookie;         /* this entry's readdir offset: a listing continued from it starts after it */
	struct entry *prev, *next; /* the directory's listing, in cookie order */
	struct entry *hnext;     /* hash chain */
};

struct xattr {
	char *name;
	void *value;
	size_t size;
	struct xattr *next;
};

struct node {
	uint64_t ino;
	uint32_t mode;           /* type and permission bits, as st_mode */
	uint32_t uid, gid, rdev;
	uint32_t nlink;          /* names (directories: 2 + subdirectories; 0 once removed) */
	struct timespec atime, mtime, ctime;
	uint64_t nlookup;        /* lookup references the kernel holds */
	uint32_t nopen;          /* open handles, files and directories */
	struct xattr *xattrs;

	/* regular files: chunk i holds bytes [i * CHUNK, (i + 1) * CHUNK); NULL is a hole. Bytes past `size` in a
	 * chunk are always zero, so growing a file (truncate up, a write past the end) never shows old data. */
	uint64_t size;
	unsigned char **chunks;
	size_t nchunks;          /* length of the chunks array (may be less than size needs: the rest are holes) */
	size_t allocated;        /* chunks that exist, for st_blocks */

	/* directories */
	struct entry *first, *last; /* the listing */
	size_t count;            /* entries */
	uint64_t next_cookie;
	struct node *parent;     /* what ".." names */

	/* symlinks */
	char *target;
};

/* A READ waiting for the reader thread: everything its reply needs, copied out of the callback's arguments. */
struct read_job {
	fastfuse_req *req;
	uint64_t ino;
	int64_t off;
	size_t size;
	struct read_job *next;
};

struct memfs {
	pthread_mutex_t lock;    /* guards everything below but the queue */
	struct node **nodes;     /* by node number; NULL once freed */
	size_t nodes_cap;
	uint64_t next_ino;
	uint64_t live_nodes;
	uint64_t chunks_used;
	uint64_t max_chunks;     /* capacity: half the memory, as tmpfs */
	struct entry **hash;     /* buckets: a power of two */
	size_t hash_cap, hash_count;

	/* what the replies promise the kernel (from the options) */
	double entry_timeout, attr_timeout, negative_timeout;
	bool direct_io;
	bool sync_read;          /* answer READ in the callback (-o sync_read) */

	/* the reader thread's queue (its own lock: a READ callback never waits for the tree) */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct read_job *qhead, *qtail;
	bool stopping;
	pthread_t reader;

	/* counters printed at exit */
	atomic_ulong reads_queued, reads_answered, replies_failed;
};

static struct timespec now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

static void split_timeout(double seconds, uint64_t *sec, uint32_t *nsec)
{
	if (seconds < 0) seconds = 0;
	*sec = (uint64_t)seconds;
	*nsec = (uint32_t)((seconds - (double)*sec) * 1e9);
}

static bool is_dir(const struct node *n) { return S_ISDIR(n->mode); }
static bool is_reg(const struct node *n) { return S_ISREG(n->mode); }

static struct node *get_node(struct memfs *fs, uint64_t ino)
{
	return ino < fs->nodes_cap ? fs->nodes[ino] : NULL;
}

/* A new node with the next number, registered in the table. NULL when out of memory. */
static struct node *alloc_node(struct memfs *fs, uint32_t mode)
{
	uint64_t ino = fs->next_ino;
	if (ino >= fs->nodes_cap) {
		size_t cap = fs->nodes_cap ? fs->nodes_cap * 2 : 1024;
		struct node **grown = realloc(fs->nodes, cap * sizeof *grown);
		if (!grown) return NULL;
		memset(grown + fs->nodes_cap, 0, (cap - fs->nodes_cap) * sizeof *grown);
		fs->nodes = grown;
		fs->nodes_cap = cap;
	}
	struct node *n = calloc(1, sizeof *n);
	if (!n) return NULL;
	n->ino = ino;
	n->mode = mode;
	n->atime = n->mtime = n->ctime = now();
	n->next_cookie = FIRST_COOKIE;
	fs->nodes[ino] = n;
	fs->next_ino++;
	fs->live_nodes++;
	return n;
}

static void free_file_data(struct memfs *fs, struct node *n)
{
	for (size_t i = 0; i < n->nchunks; i++) free(n->chunks[i]);
	fs->chunks_used -= n->allocated;
	free(n->chunks);
	n->chunks = NULL;
	n->nchunks = n->allocated = 0;
}

static void free_node(struct memfs *fs, struct node *n)
{
	fs->nodes[n->ino] = NULL;
	fs->live_nodes--;
	free_file_data(fs, n);
	for (struct xattr *x = n->xattrs, *next; x; x = next) {
		next = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
	free(n->target);
	free(n);
}

/* Free the node if nothing holds it any more: no name, no kernel reference, no open handle. */
static void maybe_free(struct memfs *fs, struct node *n)
{
	if (n->ino != ROOT_INO && n->nlink == 0 && n->nlookup == 0 && n->nopen == 0) free_node(fs, n);
}

/* ---- names: the hash table and the listings ---- */

static size_t hash_name(uint64_t dir, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ dir;           /* FNV-1a, seeded with the directory */
	for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

static struct entry *find_entry(struct memfs *fs, struct node *dir, const char *name, size_t len)
{
	for (struct entry *e = fs->hash[hash_name(dir->ino, name, len) & (fs->hash_cap - 1)]; e; e = e->hnext)
		if (e->dir == dir && e->namelen == len && memcmp(e->name, name, len) == 0) return e;
	return NULL;
}

static void grow_hash(struct memfs *fs)
{
	size_t cap = fs->hash_cap * 2;
	struct entry **buckets = calloc(cap, sizeof *buckets);
	if (!buckets) return;            /* keep the old table: longer chains, still correct */
	for (size_t i = 0; i < fs->hash_cap; i++)
		for (struct entry *e = fs->hash[i], *next; e; e = next) {
			next = e->hnext;
			size_t b = hash_name(e->dir->ino, e->name, e->namelen) & (cap - 1);
			e->hnext = buckets[b];
			buckets[b] = e;
		}
	free(fs->hash);
	fs->hash = buckets;
	fs->hash_cap = cap;
}

/* Give `node` the name `name` in `dir`, at the end of the listing (the next cookie). -ENOMEM on failure. */
static int add_entry(struct memfs *fs, struct node *dir, const char *name, size_t len, struct node *node)
{
	struct entry *e = calloc(1, sizeof *e);
	char *copy = malloc(len + 1);
	if (!e || !copy) {
		free(e);
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	e->dir = dir;
	e->node = node;
	e->name = copy;
	e->namelen = len;
	e->cookie = dir->next_cookie++;
	e->prev = dir->last;
	if (dir->last) dir->last->next = e; else dir->first = e;
	dir->last = e;
	dir->count++;
	if (fs->hash_count >= fs->hash_cap) grow_hash(fs);
	size_t b = hash_name(dir->ino, name, len) & (fs->hash_cap - 1);
	e->hnext = fs->hash[b];
	fs->hash[b] = e;
	fs->hash_count++;
	return 0;
}

static void remove_entry(struct memfs *fs, struct entry *e)
{
	struct node *dir = e->dir;
	struct entry **p = &fs->hash[hash_name(dir->ino, e->name, e->namelen) & (fs->hash_cap - 1)];
	while (*p != e) p = &(*p)->hnext;
	*p = e->hnext;
	fs->hash_count--;
	if (e->prev) e->prev->next = e->next; else dir->first = e->next;
	if (e->next) e->next->prev = e->prev; else dir->last = e->prev;
	dir->count--;
	free(e->name);
	free(e);
}

/* True when `dir` is `ancestor` or lies below it. (The root, and a removed directory, are their own parent.) */
static bool is_within(const struct node *dir, const struct node *ancestor)
{
	for (;;) {
		if (dir == ancestor) return true;
		if (dir->parent == dir) return false;
		dir = dir->parent;
	}
}

/* ---- timestamps ---- */

/* A change to the node's content: mtime and ctime (a directory's content is its names). */
static void touch(struct node *n, struct timespec t) { n->mtime = n->ctime = t; }

static bool before_or_equal(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

/* A read of the node (data, a listing, a symlink): atime by the "relatime" rule, Linux's default — only when
 * atime is not newer than mtime or ctime, or is a day old. */
static void accessed(struct node *n)
{
	struct timespec t = now();
	if (before_or_equal(n->atime, n->mtime) || before_or_equal(n->atime, n->ctime) || t.tv_sec - n->atime.tv_sec >= 24 * 3600)
		n->atime = t;
}

/* ---- file data ---- */

/* Make the chunks array cover `count` chunks. */
static int reserve_chunks(struct node *n, size_t count)
{
	if (count <= n->nchunks) return 0;
	size_t cap = n->nchunks ? n->nchunks : 16;
	while (cap < count) cap *= 2;
	unsigned char **grown = realloc(n->chunks, cap * sizeof *grown);
	if (!grown) return -ENOMEM;
	memset(grown + n->nchunks, 0, (cap - n->nchunks) * sizeof *grown);
	n->chunks = grown;
	n->nchunks = cap;
	return 0;
}

/* Chunk i, allocated (zeroed) if it is a hole. NULL when out of memory. */
static unsigned char *chunk_for_write(struct memfs *fs, struct node *n, size_t i)
{
	if (reserve_chunks(n, i + 1) != 0) return NULL;
	if (!n->chunks[i]) {
		if (fs->chunks_used >= fs->max_chunks) return NULL;     /* full */
		n->chunks[i] = calloc(1, CHUNK);
		if (!n->chunks[i]) return NULL;
		n->allocated++;
		fs->chunks_used++;
	}
	return n->chunks[i];
}

static void free_chunk(struct memfs *fs, struct node *n, size_t i)
{
	if (i < n->nchunks && n->chunks[i]) {
		free(n->chunks[i]);
		n->chunks[i] = NULL;
		n->allocated--;
		fs->chunks_used--;
	}
}

/* Copy `size` bytes from `off` into buf (holes and the part past the end of the file read as zeros). */
static void read_bytes(const struct node *n, uint64_t off, void *buf, size_t size)
{
	unsigned char *out = buf;
	while (size > 0) {
		size_t i = (size_t)(off / CHUNK), in = (size_t)(off % CHUNK), k = CHUNK - in;
		if (k > size) k = size;
		if (i < n->nchunks && n->chunks[i]) memcpy(out, n->chunks[i] + in, k);
		else memset(out, 0, k);
		out += k; off += k; size -= k;
	}
}

/* Write `size` bytes at `off`, growing the file. Returns the bytes written (fewer when memory ran out), or -ENOSPC
 * when none could be. */
static ssize_t write_bytes(struct memfs *fs, struct node *n, uint64_t off, const void *data, size_t size)
{
	const unsigned char *in = data;
	size_t done = 0;
	while (done < size) {
		size_t i = (size_t)(off / CHUNK), at = (size_t)(off % CHUNK), k = CHUNK - at;
		if (k > size - done) k = size - done;
		unsigned char *c = chunk_for_write(fs, n, i);
		if (!c) break;
		memcpy(c + at, in + done, k);
		done += k; off += k;
	}
	if (done == 0 && size > 0) return -ENOSPC;
	if (off > n->size) n->size = off;
	return (ssize_t)done;
}

/* Zero [off, off + len) of the file's chunks; with `release`, whole chunks in the range are freed (holes). */
static void zero_range(struct memfs *fs, struct node *n, uint64_t off, uint64_t len, bool release)
{
	uint64_t end = off + len;
	while (off < end) {
		size_t i = (size_t)(off / CHUNK), at = (size_t)(off % CHUNK);
		uint64_t k = CHUNK - at;
		if (k > end - off) k = end - off;
		if (i >= n->nchunks) break;            /* past the array: holes already */
		if (n->chunks[i]) {
			if (release && k == CHUNK) free_chunk(fs, n, i);
			else memset(n->chunks[i] + at, 0, (size_t)k);
		}
		off += k;
	}
}

/* Free the chunks past the new end (also those FALLOC_FL_KEEP_SIZE allocated there) and zero the rest of the
 * last one, so that growing the file again shows zeros. */
static void truncate_file(struct memfs *fs, struct node *n, uint64_t size)
{
	size_t keep = (size_t)((size + CHUNK - 1) / CHUNK);
	for (size_t i = keep; i < n->nchunks; i++) free_chunk(fs, n, i);
	if (size % CHUNK && keep - 1 < n->nchunks && n->chunks[keep - 1])
		memset(n->chunks[keep - 1] + size % CHUNK, 0, CHUNK - size % CHUNK);
	n->size = size;
}

/* ------------------------------------------------------------------------------------------------ replies */

static void reply_failed(struct memfs *fs, const char *what, int r)
{
	atomic_fetch_add(&fs->replies_failed, 1);
	fprintf(stderr, "memfs: %s reply failed (%d): %s\n", what, r, fastfuse_last_error());
}

/* Answer with an error (err > 0), or with success for the requests whose answer is only a status (err 0). */
static int reply_err(struct memfs *fs, const struct fastfuse_ctx *ctx, int err)
{
	int r = fastfuse_reply_err(ctx->req, err);
	if (r != 0) reply_failed(fs, "error", r);
	return FASTFUSE_ASYNC;
}

static void fill_attr(const struct node *n, struct fuse_attr *a)
{
	a->ino = n->ino;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	a->rdev = n->rdev;
	a->blksize = CHUNK;
	if (is_reg(n)) {
		a->size = n->size;
		a->blocks = (uint64_t)n->allocated * (CHUNK / 512);
	} else if (is_dir(n)) {
		a->size = 4096;
		a->blocks = 8;
	} else if (n->target) {
		a->size = strlen(n->target);
	}
	a->atime = (uint64_t)n->atime.tv_sec;
	a->atimensec = (uint32_t)n->atime.tv_nsec;
	a->mtime = (uint64_t)n->mtime.tv_sec;
	a->mtimensec = (uint32_t)n->mtime.tv_nsec;
	a->ctime = (uint64_t)n->ctime.tv_sec;
	a->ctimensec = (uint32_t)n->ctime.tv_nsec;
}

static void fill_attr_out(const struct memfs *fs, const struct node *n, struct fuse_attr_out *out)
{
	split_timeout(fs->attr_timeout, &out->attr_valid, &out->attr_valid_nsec);
	fill_attr(n, &out->attr);
}

/* The entry the kernel will cache for `n`, counting the lookup reference the reply gives it. Under the lock, and
 * before the reply is sent: the kernel may FORGET the node (on another thread) the moment it has the reply. */
static void take_entry(const struct memfs *fs, struct node *n, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof *e);
	e->nodeid = n->ino;
	split_timeout(fs->entry_timeout, &e->entry_valid, &e->entry_valid_nsec);
	split_timeout(fs->attr_timeout, &e->attr_valid, &e->attr_valid_nsec);
	fill_attr(n, &e->attr);
	n->nlookup++;
}

/* A reply carrying an entry did not reach the kernel: give back the reference take_entry counted. */
static void untake_entry(struct memfs *fs, uint64_t ino)
{
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (n && n->nlookup > 0) {
		n->nlookup--;
		maybe_free(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
}

/* Send an entry prepared by take_entry (outside the lock). */
static int reply_entry(struct memfs *fs, const struct fastfuse_ctx *ctx, const struct fuse_entry_out *e)
{
	int r = fastfuse_reply_entry(ctx->req, e);
	if (r != 0) {
		reply_failed(fs, "entry", r);
		untake_entry(fs, e->nodeid);
	}
	return FASTFUSE_ASYNC;
}

/* ------------------------------------------------------------------------------------------------ callbacks */

static int memfs_lookup(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                        struct fuse_entry_out *unused)
{
	(void)unused;            /* out arguments are not used when we answer through fastfuse_reply_* */
	struct memfs *fs = ud;
	struct fuse_entry_out e;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *dir = get_node(fs, parent), *n = NULL;
	if (!dir) err = ENOENT;
	else if (!is_dir(dir)) err = ENOTDIR;
	else if (namelen == 1 && name[0] == '.') n = dir;
	else if (namelen == 2 && name[0] == '.' && name[1] == '.') n = dir->parent;
	else {
		struct entry *found = find_entry(fs, dir, name, namelen);
		if (found) n = found->node;
	}
	if (n) take_entry(fs, n, &e);
	pthread_mutex_unlock(&fs->lock);

	if (err) return reply_err(fs, ctx, err);
	if (!n) {
		if (fs->negative_timeout <= 0) return reply_err(fs, ctx, ENOENT);
		/* a negative entry: node id 0, which the kernel caches as "no such name" for entry_valid */
		struct fuse_entry_out neg = { 0 };
		split_timeout(fs->negative_timeout, &neg.entry_valid, &neg.entry_valid_nsec);
		int r = fastfuse_reply_entry(ctx->req, &neg);
		if (r != 0) reply_failed(fs, "negative entry", r);
		return FASTFUSE_ASYNC;
	}
	return reply_entry(fs, ctx, &e);
}

/* FORGET has no answer: this one stays synchronous (it has no ctx and no token). */
static void memfs_forget(void *ud, uint64_t ino, uint64_t nlookup)
{
	struct memfs *fs = ud;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (n) {
		n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
		maybe_free(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
}

static int memfs_getattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int has_fh,
                         struct fuse_attr_out *unused)
{
	(void)fh; (void)has_fh; (void)unused;
	struct memfs *fs = ud;
	struct fuse_attr_out out = { 0 };
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (n) fill_attr_out(fs, n, &out);
	pthread_mutex_unlock(&fs->lock);
	if (!n) return reply_err(fs, ctx, ENOENT);
	int r = fastfuse_reply_attr(ctx->req, &out);
	if (r != 0) reply_failed(fs, "attr", r);
	return FASTFUSE_ASYNC;
}

/* chmod, chown, truncate, utimensat. The kernel has checked the caller may (default_permissions); we apply what
 * in->valid names. ctime is "now" whenever anything changed, unless the kernel sends it (FATTR_CTIME). */
static int memfs_setattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const struct fuse_setattr_in *in,
                         struct fuse_attr_out *unused)
{
	(void)unused;
	struct memfs *fs = ud;
	struct fuse_attr_out out = { 0 };
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	uint32_t v = in->valid;
	if (!n) err = ENOENT;
	else if ((v & FATTR_SIZE) && is_dir(n)) err = EISDIR;
	else if ((v & FATTR_SIZE) && !is_reg(n)) err = EINVAL;
	else if ((v & FATTR_SIZE) && in->size > MAX_FILE_SIZE) err = EFBIG;
	if (!err) {
		struct timespec t = now();
		bool changed = false;
		if (v & FATTR_SIZE) {
			truncate_file(fs, n, in->size);
			n->mtime = t;                  /* truncate(2) changes mtime even when the size stays */
			changed = true;
		}
		if (v & FATTR_MODE) {
			n->mode = (n->mode & S_IFMT) | (in->mode & 07777);
			changed = true;
		}
		if (v & FATTR_UID) { n->uid = in->uid; changed = true; }
		if (v & FATTR_GID) { n->gid = in->gid; changed = true; }
		if (v & FATTR_ATIME) {
			n->atime = (v & FATTR_ATIME_NOW) ? t : (struct timespec){ (time_t)in->atime, in->atimensec };
			changed = true;
		}
		if (v & FATTR_MTIME) {
			n->mtime = (v & FATTR_MTIME_NOW) ? t : (struct timespec){ (time_t)in->mtime, in->mtimensec };
			changed = true;
		}
		if (v & FATTR_CTIME) n->ctime = (struct timespec){ (time_t)in->ctime, in->ctimensec };
		else if (changed) n->ctime = t;
		fill_attr_out(fs, n, &out);
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	int r = fastfuse_reply_attr(ctx->req, &out);
	if (r != 0) reply_failed(fs, "attr", r);
	return FASTFUSE_ASYNC;
}

static int memfs_readlink(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, char *buf, size_t size, size_t *len)
{
	(void)buf; (void)len;
	struct memfs *fs = ud;
	char target[4096];
	size_t n_target = 0;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else if (!S_ISLNK(n->mode)) err = EINVAL;
	else {
		n_target = strlen(n->target);
		if (n_target > size) n_target = size;
		memcpy(target, n->target, n_target);
		accessed(n);
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	int r = fastfuse_reply_buf(ctx->req, target, n_target);   /* the target, without a NUL */
	if (r != 0) reply_failed(fs, "readlink", r);
	return FASTFUSE_ASYNC;
}

/* The common part of mknod, mkdir, symlink and create: a new node named `name` in `parent`, owned by the caller,
 * its permission bits less the caller's umask. Sets *err and returns NULL on failure. Under the lock. */
static struct node *create_node(struct memfs *fs, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name,
                                size_t namelen, uint32_t mode, int *err)
{
	struct node *dir = get_node(fs, parent);
	if (!dir) { *err = ENOENT; return NULL; }
	if (!is_dir(dir)) { *err = ENOTDIR; return NULL; }
	if (dir->nlink == 0) { *err = ENOENT; return NULL; }         /* removed while someone was inside it */
	if (find_entry(fs, dir, name, namelen)) { *err = EEXIST; return NULL; }

	struct node *n = alloc_node(fs, (mode & S_IFMT) | (mode & 07777 & ~ctx->umask));
	if (!n) { *err = ENOMEM; return NULL; }
	n->uid = ctx->uid;
	n->gid = ctx->gid;
	if (dir->mode & S_ISGID) {           /* a setgid directory: new names get its group, new directories its bit */
		n->gid = dir->gid;
		if (S_ISDIR(mode)) n->mode |= S_ISGID;
	}
	if (S_ISDIR(mode)) {
		n->nlink = 2;                    /* its name and its own "." */
		n->parent = dir;
	} else {
		n->nlink = 1;
	}
	if (add_entry(fs, dir, name, namelen, n) != 0) {
		free_node(fs, n);
		*err = ENOMEM;
		return NULL;
	}
	if (S_ISDIR(mode)) dir->nlink++;     /* the new directory's ".." */
	touch(dir, n->ctime);
	return n;
}

static int memfs_mknod(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                       uint32_t mode, uint32_t rdev, struct fuse_entry_out *unused)
{
	(void)unused;
	struct memfs *fs = ud;
	uint32_t type = mode & S_IFMT;
	if (type == 0) type = S_IFREG;
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFBLK)
		return reply_err(fs, ctx, EINVAL);
	struct fuse_entry_out e;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = create_node(fs, ctx, parent, name, namelen, type | (mode & 07777), &err);
	if (n) {
		if (type == S_IFCHR || type == S_IFBLK) n->rdev = rdev;
		take_entry(fs, n, &e);
	}
	pthread_mutex_unlock(&fs->lock);
	return n ? reply_entry(fs, ctx, &e) : reply_err(fs, ctx, err);
}

static int memfs_mkdir(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                       uint32_t mode, struct fuse_entry_out *unused)
{
	(void)unused;
	struct memfs *fs = ud;
	struct fuse_entry_out e;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = create_node(fs, ctx, parent, name, namelen, S_IFDIR | (mode & 07777), &err);
	if (n) take_entry(fs, n, &e);
	pthread_mutex_unlock(&fs->lock);
	return n ? reply_entry(fs, ctx, &e) : reply_err(fs, ctx, err);
}

static int memfs_symlink(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                         const char *target, size_t targetlen, struct fuse_entry_out *unused)
{
	(void)unused;
	struct memfs *fs = ud;
	if (targetlen == 0) return reply_err(fs, ctx, ENOENT);
	if (targetlen >= 4096) return reply_err(fs, ctx, ENAMETOOLONG);
	char *copy = strndup(target, targetlen);
	if (!copy) return reply_err(fs, ctx, ENOMEM);
	struct fuse_entry_out e;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	/* a symlink's permission bits mean nothing on Linux: always 0777 (ctx->umask is 0 for SYMLINK) */
	struct node *n = create_node(fs, ctx, parent, name, namelen, S_IFLNK | 0777, &err);
	if (n) {
		n->target = copy;
		take_entry(fs, n, &e);
	}
	pthread_mutex_unlock(&fs->lock);
	if (!n) {
		free(copy);
		return reply_err(fs, ctx, err);
	}
	return reply_entry(fs, ctx, &e);
}

static int memfs_link(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t newparent, const char *newname,
                      size_t newnamelen, struct fuse_entry_out *unused)
{
	(void)unused;
	struct memfs *fs = ud;
	struct fuse_entry_out e;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino), *dir = get_node(fs, newparent);
	if (!n || !dir) err = ENOENT;
	else if (is_dir(n)) err = EPERM;                   /* no hard links to directories */
	else if (!is_dir(dir)) err = ENOTDIR;
	else if (dir->nlink == 0 || n->nlink == 0) err = ENOENT;
	else if (find_entry(fs, dir, newname, newnamelen)) err = EEXIST;
	else if (n->nlink >= MAX_LINKS) err = EMLINK;
	else if (add_entry(fs, dir, newname, newnamelen, n) != 0) err = ENOMEM;
	else {
		struct timespec t = now();
		n->nlink++;
		n->ctime = t;                                  /* its link count changed */
		touch(dir, t);
		take_entry(fs, n, &e);
	}
	pthread_mutex_unlock(&fs->lock);
	return err ? reply_err(fs, ctx, err) : reply_entry(fs, ctx, &e);
}

/* One name of `n` is gone: its link count drops (a directory's to 0) and its ctime is "now". A removed directory
 * becomes its own parent: the old one may be removed and freed too. */
static void unlinked(struct node *n, struct timespec t)
{
	if (is_dir(n)) {
		n->nlink = 0;
		n->parent = n;
	} else if (n->nlink > 0) {
		n->nlink--;
	}
	n->ctime = t;
}

static int remove_name(struct memfs *fs, uint64_t parent, const char *name, size_t namelen, bool rmdir)
{
	struct node *dir = get_node(fs, parent);
	if (!dir) return ENOENT;
	if (!is_dir(dir)) return ENOTDIR;
	if (rmdir && namelen == 1 && name[0] == '.') return EINVAL;
	if (rmdir && namelen == 2 && name[0] == '.' && name[1] == '.') return ENOTEMPTY;
	struct entry *e = find_entry(fs, dir, name, namelen);
	if (!e) return ENOENT;
	struct node *n = e->node;
	if (rmdir && !is_dir(n)) return ENOTDIR;
	if (rmdir && n->count > 0) return ENOTEMPTY;
	if (!rmdir && is_dir(n)) return EISDIR;

	struct timespec t = now();
	remove_entry(fs, e);
	if (rmdir) dir->nlink--;             /* its ".." is gone */
	touch(dir, t);
	unlinked(n, t);
	maybe_free(fs, n);                   /* usually not yet: the kernel still holds a lookup reference */
	return 0;
}

static int memfs_unlink(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen)
{
	struct memfs *fs = ud;
	pthread_mutex_lock(&fs->lock);
	int err = remove_name(fs, parent, name, namelen, false);
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, err);      /* 0: success */
}

static int memfs_rmdir(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen)
{
	struct memfs *fs = ud;
	pthread_mutex_lock(&fs->lock);
	int err = remove_name(fs, parent, name, namelen, true);
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, err);
}

static bool dot_or_dotdot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* RENAME_EXCHANGE: the two names swap what they name. */
static int exchange(struct node *src, struct entry *se, struct node *dst, struct entry *de, struct timespec t)
{
	struct node *a = se->node, *b = de->node;
	if (a == b) return 0;
	if (src != dst) {
		/* neither directory may end up inside itself */
		if (is_dir(a) && is_within(dst, a)) return EINVAL;
		if (is_dir(b) && is_within(src, b)) return EINVAL;
		if (is_dir(a)) a->parent = dst;
		if (is_dir(b)) b->parent = src;
		if (is_dir(a) && !is_dir(b)) { src->nlink--; dst->nlink++; }
		if (is_dir(b) && !is_dir(a)) { dst->nlink--; src->nlink++; }
	}
	se->node = b;
	de->node = a;
	a->ctime = b->ctime = t;
	touch(src, t);
	touch(dst, t);
	return 0;
}

/* The rules of rename(2), in the order the errors are found. `*victim` is set to a node that lost its last name
 * (freed by the caller if nothing else holds it). */
static int do_rename(struct memfs *fs, uint64_t parent, const char *name, size_t namelen, uint64_t newparent,
                     const char *newname, size_t newnamelen, uint32_t flags, struct node **victim)
{
	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE)) return EINVAL;     /* RENAME_WHITEOUT: no */
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) return EINVAL;
	if (dot_or_dotdot(name, namelen) || dot_or_dotdot(newname, newnamelen)) return EINVAL;
	struct node *src = get_node(fs, parent), *dst = get_node(fs, newparent);
	if (!src || !dst) return ENOENT;
	if (!is_dir(src) || !is_dir(dst)) return ENOTDIR;
	if (dst->nlink == 0) return ENOENT;
	struct entry *se = find_entry(fs, src, name, namelen);
	if (!se) return ENOENT;
	struct entry *de = find_entry(fs, dst, newname, newnamelen);
	struct node *sn = se->node, *dn = de ? de->node : NULL;
	struct timespec t = now();

	if (flags & RENAME_EXCHANGE) {
		if (!de) return ENOENT;
		return exchange(src, se, dst, de, t);
	}
	if (is_dir(sn) && is_within(dst, sn)) return EINVAL;        /* into its own subtree */
	if (dn) {
		if (flags & RENAME_NOREPLACE) return EEXIST;
		if (sn == dn) return 0;                                 /* two names of one node: nothing to do */
		if (is_dir(sn) && !is_dir(dn)) return ENOTDIR;
		if (!is_dir(sn) && is_dir(dn)) return EISDIR;
		if (is_dir(dn) && dn->count > 0) return ENOTEMPTY;
		/* replace: the target name keeps its place in the listing and now names sn */
		de->node = sn;
		if (is_dir(dn)) dst->nlink--;                           /* the replaced directory's ".." */
		unlinked(dn, t);
		*victim = dn;
	} else if (add_entry(fs, dst, newname, newnamelen, sn) != 0) {
		return ENOMEM;
	}
	remove_entry(fs, se);
	if (is_dir(sn) && src != dst) {
		sn->parent = dst;
		src->nlink--;
		dst->nlink++;
	}
	sn->ctime = t;                       /* as ext4: the moved node's ctime changes */
	touch(src, t);
	touch(dst, t);
	return 0;
}

static int memfs_rename(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                        uint64_t newparent, const char *newname, size_t newnamelen, uint32_t flags)
{
	struct memfs *fs = ud;
	struct node *victim = NULL;
	pthread_mutex_lock(&fs->lock);
	int err = do_rename(fs, parent, name, namelen, newparent, newname, newnamelen, flags, &victim);
	if (victim) maybe_free(fs, victim);
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, err);
}

/* ---- open files ---- */

static void fill_open(const struct memfs *fs, struct fuse_open_out *o)
{
	memset(o, 0, sizeof *o);
	o->fh = 0;                           /* memfs needs no per-handle state: the node number says it all */
	if (fs->direct_io) o->open_flags = FOPEN_DIRECT_IO;
}

/* Open `n` (under the lock): O_TRUNC empties it (the session asks for FUSE_ATOMIC_O_TRUNC, so the kernel leaves
 * that to us), and it counts one more handle. */
static int open_node(struct memfs *fs, struct node *n, int flags)
{
	if (is_dir(n)) return EISDIR;
	if ((flags & O_TRUNC) && is_reg(n)) {
		truncate_file(fs, n, 0);
		touch(n, now());                 /* as on Linux: even when it was empty already */
	}
	n->nopen++;
	return 0;
}

static int memfs_open(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, int flags, struct fuse_open_out *unused)
{
	(void)unused;
	struct memfs *fs = ud;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	int err = n ? open_node(fs, n, flags) : ENOENT;
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	struct fuse_open_out o;
	fill_open(fs, &o);
	int r = fastfuse_reply_open(ctx->req, &o);
	if (r != 0) {
		reply_failed(fs, "open", r);     /* the kernel never got the handle: it will not release it */
		pthread_mutex_lock(&fs->lock);
		if ((n = get_node(fs, ino))) { n->nopen--; maybe_free(fs, n); }
		pthread_mutex_unlock(&fs->lock);
	}
	return FASTFUSE_ASYNC;
}

static int memfs_create(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                        uint32_t mode, int flags, struct fuse_entry_out *unused_entry, struct fuse_open_out *unused_open)
{
	(void)unused_entry; (void)unused_open;
	struct memfs *fs = ud;
	struct fuse_entry_out e;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = create_node(fs, ctx, parent, name, namelen, S_IFREG | (mode & 07777), &err);
	if (n) {
		n->nopen = 1;
	} else if (err == EEXIST && !(flags & O_EXCL)) {
		/* someone created the name between the kernel's lookup and now: open(O_CREAT) opens what is there */
		n = find_entry(fs, get_node(fs, parent), name, namelen)->node;
		err = open_node(fs, n, flags);
		if (err) n = NULL;
	}
	if (n) take_entry(fs, n, &e);
	pthread_mutex_unlock(&fs->lock);
	if (!n) return reply_err(fs, ctx, err);

	struct fuse_open_out o;
	fill_open(fs, &o);
	int r = fastfuse_reply_create(ctx->req, &e, &o);
	if (r != 0) {
		reply_failed(fs, "create", r);
		pthread_mutex_lock(&fs->lock);
		if ((n = get_node(fs, e.nodeid)) && n->nopen > 0) n->nopen--;
		pthread_mutex_unlock(&fs->lock);
		untake_entry(fs, e.nodeid);
	}
	return FASTFUSE_ASYNC;
}

static int read_file(struct memfs *fs, uint64_t ino, int64_t off, size_t size, void *buf, size_t *n_bytes);

/* READ: queued for the reader thread, answered from there (see reader_main). Only what the reply needs is kept:
 * ctx dies with this call, its token ctx->req does not.
 * With -o sync_read (memfs's own option, for measuring what the hand-over costs: see perf/) READ is answered in the
 * synchronous style instead: the bytes go into buf, the library's reply buffer, and the callback returns 0. */
static int memfs_read(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off, size_t size,
                      void *buf, size_t *len)
{
	(void)fh;
	struct memfs *fs = ud;
	if (fs->sync_read) return -read_file(fs, ino, off, size, buf, len);
	struct read_job *job = malloc(sizeof *job);
	if (!job) return reply_err(fs, ctx, ENOMEM);
	*job = (struct read_job){ .req = ctx->req, .ino = ino, .off = off, .size = size };
	pthread_mutex_lock(&fs->qlock);
	if (fs->qtail) fs->qtail->next = job; else fs->qhead = job;
	fs->qtail = job;
	pthread_cond_signal(&fs->qcond);
	pthread_mutex_unlock(&fs->qlock);
	atomic_fetch_add(&fs->reads_queued, 1);
	return FASTFUSE_ASYNC;
}

/* The kernel's data is only valid during the call: it is copied into the file here, and WRITE answered at once. */
static int memfs_write(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off,
                       const void *data, size_t size, uint32_t write_flags, uint32_t *written)
{
	(void)fh; (void)write_flags; (void)written;
	struct memfs *fs = ud;
	ssize_t done = 0;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else if (!is_reg(n)) err = is_dir(n) ? EISDIR : EINVAL;
	else if (off < 0) err = EINVAL;
	else if ((uint64_t)off >= MAX_FILE_SIZE) err = EFBIG;
	else if (size > 0) {
		if (size > MAX_FILE_SIZE - (uint64_t)off) size = (size_t)(MAX_FILE_SIZE - (uint64_t)off);  /* a short write */
		done = write_bytes(fs, n, (uint64_t)off, data, size);
		if (done < 0) err = (int)-done;
		else touch(n, now());
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	int r = fastfuse_reply_write(ctx->req, (uint64_t)done);
	if (r != 0) reply_failed(fs, "write", r);
	return FASTFUSE_ASYNC;
}

static int memfs_release(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int flags,
                         uint32_t release_flags, uint64_t lock_owner)
{
	(void)fh; (void)flags; (void)release_flags; (void)lock_owner;
	struct memfs *fs = ud;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (n && n->nopen > 0) {
		n->nopen--;
		maybe_free(fs, n);               /* the last close of an unlinked file that the kernel forgot */
	}
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, 0);
}

/* close(2) and fsync(2): nothing to write back, the data is already where it lives. */
static int memfs_flush(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, uint64_t lock_owner)
{
	(void)ino; (void)fh; (void)lock_owner;
	return reply_err(ud, ctx, 0);
}

static int memfs_fsync(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int datasync)
{
	(void)ino; (void)fh; (void)datasync;
	return reply_err(ud, ctx, 0);
}

static int memfs_fallocate(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off,
                           int64_t len, int mode)
{
	(void)fh;
	struct memfs *fs = ud;
	bool keep = mode & FALLOC_FL_KEEP_SIZE, punch = mode & FALLOC_FL_PUNCH_HOLE, zero = mode & FALLOC_FL_ZERO_RANGE;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) return reply_err(fs, ctx, EOPNOTSUPP);
	if (punch && (zero || !keep)) return reply_err(fs, ctx, EOPNOTSUPP);   /* punching needs KEEP_SIZE */
	if (off < 0 || len <= 0) return reply_err(fs, ctx, EINVAL);
	uint64_t end = (uint64_t)off + (uint64_t)len;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else if (!is_reg(n)) err = is_dir(n) ? EISDIR : ENODEV;
	else if (punch) {
		zero_range(fs, n, (uint64_t)off, (uint64_t)len, true);
		touch(n, now());
	} else if (end > MAX_FILE_SIZE) {
		err = EFBIG;
	} else {
		/* allocate every chunk of the range, so later writes there cannot run out of memory */
		for (uint64_t i = (uint64_t)off / CHUNK; i <= (end - 1) / CHUNK && !err; i++)
			if (!chunk_for_write(fs, n, (size_t)i)) err = ENOSPC;
		if (!err) {
			if (zero) zero_range(fs, n, (uint64_t)off, (uint64_t)len, false);
			if (!keep && end > n->size) n->size = end;
			touch(n, now());              /* as ext4: every successful fallocate stamps mtime and ctime */
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, err);
}

static int memfs_copy_file_range(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino_in, uint64_t fh_in,
                                 int64_t off_in, uint64_t ino_out, uint64_t fh_out, int64_t off_out, uint64_t len,
                                 uint64_t flags, uint64_t *copied)
{
	(void)fh_in; (void)fh_out; (void)copied;
	struct memfs *fs = ud;
	if (flags != 0 || off_in < 0 || off_out < 0) return reply_err(fs, ctx, EINVAL);
	uint64_t done = 0;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *src = get_node(fs, ino_in), *dst = get_node(fs, ino_out);
	if (!src || !dst) err = ENOENT;
	else if (is_dir(src) || is_dir(dst)) err = EISDIR;
	else if (!is_reg(src) || !is_reg(dst)) err = EINVAL;
	else if ((uint64_t)off_in < src->size) {
		uint64_t count = src->size - (uint64_t)off_in;
		if (count > len) count = len;
		if ((uint64_t)off_out >= MAX_FILE_SIZE) err = EFBIG;
		else if (count > MAX_FILE_SIZE - (uint64_t)off_out) count = MAX_FILE_SIZE - (uint64_t)off_out;
		/* a chunk at a time through a small buffer (the kernel never sends overlapping ranges of one file) */
		unsigned char piece[CHUNK];
		while (!err && done < count) {
			size_t k = count - done < sizeof piece ? (size_t)(count - done) : sizeof piece;
			read_bytes(src, (uint64_t)off_in + done, piece, k);
			ssize_t w = write_bytes(fs, dst, (uint64_t)off_out + done, piece, k);
			if (w <= 0) { if (done == 0) err = ENOSPC; break; }
			done += (uint64_t)w;
			if ((size_t)w < k) break;
		}
		if (done > 0) touch(dst, now());
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	int r = fastfuse_reply_write(ctx->req, done);
	if (r != 0) reply_failed(fs, "copy_file_range", r);
	return FASTFUSE_ASYNC;
}

/* ---- directories ---- */

static int memfs_opendir(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, int flags, struct fuse_open_out *unused)
{
	(void)flags; (void)unused;
	struct memfs *fs = ud;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else if (!is_dir(n)) err = ENOTDIR;
	else n->nopen++;
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	struct fuse_open_out o = { 0 };
	int r = fastfuse_reply_open(ctx->req, &o);
	if (r != 0) {
		reply_failed(fs, "opendir", r);
		pthread_mutex_lock(&fs->lock);
		if ((n = get_node(fs, ino))) { n->nopen--; maybe_free(fs, n); }
		pthread_mutex_unlock(&fs->lock);
	}
	return FASTFUSE_ASYNC;
}

static int memfs_releasedir(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int flags)
{
	(void)fh; (void)flags;
	struct memfs *fs = ud;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (n && n->nopen > 0) {
		n->nopen--;
		maybe_free(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, 0);
}

static int memfs_fsyncdir(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int datasync)
{
	(void)ino; (void)fh; (void)datasync;
	return reply_err(ud, ctx, 0);
}

/*
 * READDIR and READDIRPLUS, packed with fastfuse_add_direntry[_plus] into a buffer of our own and sent with
 * fastfuse_reply_buf. Offsets: "." is followed by offset 1, ".." by 2, and each entry by its cookie, a number its
 * directory gave it when the name was made and never gives again. A listing continued from offset `off` resumes
 * at the first entry whose cookie is larger, so names added or removed meanwhile never make it skip or repeat
 * another (a name added during the listing may or may not appear, as POSIX allows).
 */
static int memfs_readdir(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off,
                         struct fastfuse_dirbuf *db)
{
	(void)fh;
	struct memfs *fs = ud;
	size_t room = fastfuse_dir_size(db);     /* only valid during the callback, like db */
	int plus = fastfuse_dir_is_plus(db);
	char *buf = malloc(room ? room : 1);
	/* READDIRPLUS gives the kernel a lookup reference per entry (but "." and ".."): the nodes we counted, to give
	 * the counts back if the reply fails. An entry takes at least 24 + 128 bytes. */
	uint64_t *counted = plus ? malloc((room / 152 + 1) * sizeof *counted) : NULL;
	if (!buf || (plus && !counted)) {
		free(buf);
		free(counted);
		return reply_err(fs, ctx, ENOMEM);
	}
	size_t used = 0, ncounted = 0;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *dir = get_node(fs, ino);
	if (!dir) err = ENOENT;
	else if (!is_dir(dir)) err = ENOTDIR;
	else if (off < 0) err = EINVAL;
	else if (dir->nlink > 0) {                  /* a removed directory lists nothing at all, as on ext4 */
		bool full = false;
		for (int64_t i = off; i < 2 && !full; i++) {   /* "." and ".." */
			struct fuse_entry_out e = { 0 };  /* node id 0: the kernel does not look these up */
			e.attr.ino = i == 0 ? dir->ino : dir->parent->ino;
			e.attr.mode = S_IFDIR;
			const char *name = i == 0 ? "." : "..";
			size_t k = plus ? fastfuse_add_direntry_plus(buf + used, room - used, name, &e, i + 1)
			                : fastfuse_add_direntry(buf + used, room - used, name, e.attr.ino, S_IFDIR, i + 1);
			if (k > room - used) full = true;
			else used += k;
		}
		struct entry *e = dir->first;
		while (e && (int64_t)e->cookie <= off) e = e->next;
		for (; e && !full; e = e->next) {
			size_t k;
			if (plus) {
				struct fuse_entry_out out;
				take_entry(fs, e->node, &out);
				k = fastfuse_add_direntry_plus(buf + used, room - used, e->name, &out, (int64_t)e->cookie);
				if (k > room - used) { e->node->nlookup--; break; }   /* did not fit: not sent */
				counted[ncounted++] = e->node->ino;
			} else {
				k = fastfuse_add_direntry(buf + used, room - used, e->name, e->node->ino, e->node->mode & S_IFMT,
				                          (int64_t)e->cookie);
				if (k > room - used) break;
			}
			used += k;
		}
		accessed(dir);
	}
	pthread_mutex_unlock(&fs->lock);

	if (err) {
		reply_err(fs, ctx, err);
	} else {
		int r = fastfuse_reply_buf(ctx->req, buf, used);   /* 0 bytes: the end of the listing */
		if (r != 0) {
			reply_failed(fs, "readdir", r);
			for (size_t i = 0; i < ncounted; i++) untake_entry(fs, counted[i]);
		}
	}
	free(buf);
	free(counted);
	return FASTFUSE_ASYNC;
}

static int memfs_statfs(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, struct fuse_statfs_out *unused)
{
	(void)ino; (void)unused;
	struct memfs *fs = ud;
	/* the capacity (half the memory), less what the files hold */
	uint64_t total = fs->max_chunks;
	struct fuse_statfs_out out = { 0 };
	pthread_mutex_lock(&fs->lock);
	uint64_t used = fs->chunks_used, nodes = fs->live_nodes;
	pthread_mutex_unlock(&fs->lock);
	out.st.bsize = out.st.frsize = CHUNK;
	out.st.blocks = total;
	out.st.bfree = out.st.bavail = used < total ? total - used : 0;
	out.st.files = total;                       /* as tmpfs: one inode per page of capacity */
	out.st.ffree = nodes < out.st.files ? out.st.files - nodes : 0;
	out.st.namelen = 255;
	int r = fastfuse_reply_statfs(ctx->req, &out);
	if (r != 0) reply_failed(fs, "statfs", r);
	return FASTFUSE_ASYNC;
}

/* ---- extended attributes ---- */

/* user.* (files and directories: the kernel refuses the others itself), trusted.*, security.*; not system.* (no
 * ACLs) nor names in no namespace. */
static int xattr_name_ok(const char *name)
{
	if (strncmp(name, "user.", 5) == 0) return name[5] ? 0 : EINVAL;
	if (strncmp(name, "trusted.", 8) == 0 || strncmp(name, "security.", 9) == 0) return 0;
	return EOPNOTSUPP;
}

static struct xattr *find_xattr(struct node *n, const char *name)
{
	for (struct xattr *x = n->xattrs; x; x = x->next)
		if (strcmp(x->name, name) == 0) return x;
	return NULL;
}

static int memfs_setxattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const char *name, size_t namelen,
                          const void *value, size_t size, int flags)
{
	(void)namelen;
	struct memfs *fs = ud;
	int err = xattr_name_ok(name);
	if (!err && (flags & ~(XATTR_CREATE | XATTR_REPLACE))) err = EINVAL;
	if (err) return reply_err(fs, ctx, err);
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	struct xattr *x = n ? find_xattr(n, name) : NULL;
	if (!n) err = ENOENT;
	else if ((flags & XATTR_CREATE) && x) err = EEXIST;
	else if ((flags & XATTR_REPLACE) && !x) err = ENODATA;
	else if (x && x->size == size && (size == 0 || memcmp(x->value, value, size) == 0)) {
		/* the value it has already: nothing changes, not even ctime (as ext4) */
	} else {
		void *copy = malloc(size ? size : 1);
		if (!copy) err = ENOMEM;
		else {
			memcpy(copy, value, size);
			if (!x) {
				x = calloc(1, sizeof *x);
				if (!x || !(x->name = strdup(name))) {
					free(x);
					free(copy);
					err = ENOMEM;
					goto out;
				}
				x->next = n->xattrs;
				n->xattrs = x;
			}
			free(x->value);
			x->value = copy;
			x->size = size;
			n->ctime = now();
		}
	}
out:
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, err);
}

/* size 0 asks only for the length (fastfuse_reply_xattr); otherwise the value, or ERANGE when it is longer. */
static int memfs_getxattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const char *name, size_t namelen,
                          void *buf, size_t size, size_t *len)
{
	(void)namelen; (void)buf; (void)len;
	struct memfs *fs = ud;
	int err = xattr_name_ok(name);
	if (err) return reply_err(fs, ctx, err);
	void *value = NULL;
	size_t vsize = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	struct xattr *x = n ? find_xattr(n, name) : NULL;
	if (!n) err = ENOENT;
	else if (!x) err = ENODATA;
	else if (size > 0 && x->size > size) err = ERANGE;
	else {
		vsize = x->size;
		if (size > 0 && vsize > 0 && !(value = malloc(vsize))) err = ENOMEM;
		else if (value) memcpy(value, x->value, vsize);
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	int r = size == 0 ? fastfuse_reply_xattr(ctx->req, vsize) : fastfuse_reply_buf(ctx->req, value, vsize);
	if (r != 0) reply_failed(fs, "getxattr", r);
	free(value);
	return FASTFUSE_ASYNC;
}

static int memfs_listxattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, void *buf, size_t size, size_t *len)
{
	(void)buf; (void)len;
	struct memfs *fs = ud;
	char *list = NULL;
	size_t total = 0;
	int err = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else {
		for (struct xattr *x = n->xattrs; x; x = x->next) total += strlen(x->name) + 1;
		if (size > 0 && total > size) err = ERANGE;
		else if (size > 0 && total > 0) {
			if (!(list = malloc(total))) err = ENOMEM;
			else {
				size_t at = 0;            /* each name followed by its NUL */
				for (struct xattr *x = n->xattrs; x; x = x->next) {
					size_t k = strlen(x->name) + 1;
					memcpy(list + at, x->name, k);
					at += k;
				}
			}
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) return reply_err(fs, ctx, err);
	int r = size == 0 ? fastfuse_reply_xattr(ctx->req, total) : fastfuse_reply_buf(ctx->req, list, total);
	if (r != 0) reply_failed(fs, "listxattr", r);
	free(list);
	return FASTFUSE_ASYNC;
}

static int memfs_removexattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, const char *name, size_t namelen)
{
	(void)namelen;
	struct memfs *fs = ud;
	int err = xattr_name_ok(name);
	if (err) return reply_err(fs, ctx, err);
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else {
		struct xattr **p = &n->xattrs;
		while (*p && strcmp((*p)->name, name) != 0) p = &(*p)->next;
		if (!*p) err = ENODATA;
		else {
			struct xattr *x = *p;
			*p = x->next;
			free(x->name);
			free(x->value);
			free(x);
			n->ctime = now();
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return reply_err(fs, ctx, err);
}

/* ------------------------------------------------------------------------------------------------ the reader */

/* What a READ answers: up to `size` bytes from `off` into buf (fewer at the end of the file), their count in *n.
 * 0 or an errno. */
static int read_file(struct memfs *fs, uint64_t ino, int64_t off, size_t size, void *buf, size_t *n_bytes)
{
	int err = 0;
	*n_bytes = 0;
	pthread_mutex_lock(&fs->lock);
	struct node *n = get_node(fs, ino);
	if (!n) err = ENOENT;
	else if (!is_reg(n)) err = is_dir(n) ? EISDIR : EINVAL;
	else if (off < 0) err = EINVAL;
	else {
		if ((uint64_t)off < n->size) {
			uint64_t left = n->size - (uint64_t)off;
			*n_bytes = left < size ? (size_t)left : size;   /* fewer than asked: the end of the file */
			read_bytes(n, (uint64_t)off, buf, *n_bytes);
		}
		accessed(n);
	}
	pthread_mutex_unlock(&fs->lock);
	return err;
}

/*
 * The reader thread: takes READs from the queue, copies the bytes under the tree lock into a buffer of its own,
 * and answers with fastfuse_reply_buf outside the lock. A filesystem whose reads wait for something (a disk, the
 * network) is built the same way: the library's worker that got the READ is free again as soon as the callback
 * has queued it. The hand-over is not free: when the reader sleeps, waking it on another CPU costs a few
 * microseconds on bare metal and tens in a virtual machine (perf/run measures it: fastfuse-c-memfs against
 * fastfuse-c-memfs-sync). For data already in memory, as here, answering in the callback is faster (sync_read).
 */
static void serve_read(struct memfs *fs, struct read_job *job, unsigned char **buf, size_t *cap)
{
	if (fastfuse_req_interrupted(job->req) == 1) {   /* the caller gave up (a signal) while the READ was queued */
		fastfuse_reply_err(job->req, EINTR);
		return;
	}
	if (job->size > *cap) {
		unsigned char *grown = realloc(*buf, job->size);
		if (!grown) {
			fastfuse_reply_err(job->req, ENOMEM);
			return;
		}
		*buf = grown;
		*cap = job->size;
	}
	size_t n_bytes = 0;
	int err = read_file(fs, job->ino, job->off, job->size, *buf, &n_bytes);
	int r = err ? fastfuse_reply_err(job->req, err) : fastfuse_reply_buf(job->req, *buf, n_bytes);
	if (r != 0) reply_failed(fs, "read", r);
	else atomic_fetch_add(&fs->reads_answered, 1);
}

static void *reader_main(void *arg)
{
	struct memfs *fs = arg;
	unsigned char *buf = NULL;
	size_t cap = 0;
	for (;;) {
		pthread_mutex_lock(&fs->qlock);
		while (!fs->qhead && !fs->stopping) pthread_cond_wait(&fs->qcond, &fs->qlock);
		struct read_job *job = fs->qhead;
		if (job) {
			fs->qhead = job->next;
			if (!fs->qhead) fs->qtail = NULL;
		}
		pthread_mutex_unlock(&fs->qlock);
		if (!job) break;                /* stopping, and nothing left */
		serve_read(fs, job, &buf, &cap);
		free(job);
	}
	free(buf);
	return NULL;
}

/* ------------------------------------------------------------------------------------------------ main */

/* The value of `key=` in a comma-separated option list (the last one given), or NULL. */
static const char *option_value(const char *list, const char *key, char *out, size_t outsize)
{
	const char *found = NULL;
	size_t klen = strlen(key);
	for (const char *p = list; p && *p; ) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = len - klen - 1 < outsize - 1 ? len - klen - 1 : outsize - 1;
			memcpy(out, p + klen + 1, vlen);
			out[vlen] = '\0';
			found = out;
		}
		p = end ? end + 1 : NULL;
	}
	return found;
}

static bool option_flag(const char *list, const char *flag)
{
	size_t flen = strlen(flag);
	for (const char *p = list; p && *p; ) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == flen && strncmp(p, flag, flen) == 0) return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Remove every `flag` (or `flag=value`) item from the comma-separated list, in place. */
static void remove_option(char *list, const char *flag)
{
	size_t flen = strlen(flag);
	char *out = list;
	for (char *p = list; *p; ) {
		char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool match = strncmp(p, flag, flen) == 0 && (len == flen || p[flen] == '=');   /* "flag" or "key=value" */
		if (!match) {
			if (out != list) *out++ = ',';
			memmove(out, p, len);
			out += len;
		}
		p = end ? end + 1 : p + len;
	}
	*out = '\0';
}

static double option_seconds(const char *list, const char *key, double fallback)
{
	char v[64];
	return option_value(list, key, v, sizeof v) ? strtod(v, NULL) : fallback;
}

/* SIGINT / SIGTERM: a thread of its own waits for them with sigwait (they are blocked everywhere else) and asks
 * the session to unmount, lazily so that open files do not keep it. No signal handler runs at all: nothing here
 * has to be async-signal-safe. fastfuse_run in main then returns. */
struct shutdown {
	sigset_t signals;
	fastfuse_session *session;
	atomic_bool done;                    /* main is past fastfuse_run: just exit */
};

static void *signal_main(void *arg)
{
	struct shutdown *sd = arg;
	int sig = 0;
	sigwait(&sd->signals, &sig);
	if (!atomic_load(&sd->done)) {
		int r = fastfuse_unmount(sd->session, 1);
		if (r != 0) fprintf(stderr, "memfs: unmount: %s\n", fastfuse_last_error());
	}
	return NULL;
}

static void free_tree(struct memfs *fs)
{
	for (size_t i = 0; i < fs->hash_cap; i++)
		for (struct entry *e = fs->hash[i], *next; e; e = next) {
			next = e->hnext;
			free(e->name);
			free(e);
		}
	for (size_t i = 0; i < fs->nodes_cap; i++)
		if (fs->nodes[i]) free_node(fs, fs->nodes[i]);
	free(fs->hash);
	free(fs->nodes);
}

int main(int argc, char **argv)
{
	const char *mountpoint = NULL;
	char user_options[4096] = "";
	bool print_stats = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			size_t at = strlen(user_options);
			snprintf(user_options + at, sizeof user_options - at, "%s%s", at ? "," : "", argv[++i]);
		} else if (strcmp(argv[i], "--stats") == 0) {
			print_stats = true;
		} else if (!mountpoint && argv[i][0] != '-') {
			mountpoint = argv[i];
		} else {
			mountpoint = NULL;
			break;
		}
	}
	if (!mountpoint) {
		fprintf(stderr, "usage: %s MOUNTPOINT [-o OPTIONS] [--stats]\n", argv[0]);
		return 2;
	}

	/* Block SIGINT and SIGTERM before any thread exists: every thread (ours and the library's) inherits the mask,
	 * so the signals wait for the signal thread's sigwait. */
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	static struct memfs fs;              /* static: zeroed, and alive for every thread until exit */
	pthread_mutex_init(&fs.lock, NULL);
	pthread_mutex_init(&fs.qlock, NULL);
	pthread_cond_init(&fs.qcond, NULL);
	fs.next_ino = ROOT_INO;
	fs.hash_cap = 1024;
	fs.hash = calloc(fs.hash_cap, sizeof *fs.hash);
	struct node *root = fs.hash ? alloc_node(&fs, S_IFDIR | 0755) : NULL;
	if (!root) {
		fprintf(stderr, "memfs: out of memory\n");
		return 1;
	}
	root->nlink = 2;
	root->parent = root;                 /* ".." of the root is the root */
	root->uid = getuid();
	root->gid = getgid();
	fs.entry_timeout = option_seconds(user_options, "entry_timeout", 1.0);
	fs.attr_timeout = option_seconds(user_options, "attr_timeout", 1.0);
	fs.negative_timeout = option_seconds(user_options, "negative_timeout", 1.0);
	fs.direct_io = option_flag(user_options, "direct_io");
	/* memfs's answers, not the library's: the library refuses them (it would have nothing to do with them). */
	remove_option(user_options, "entry_timeout");
	remove_option(user_options, "attr_timeout");
	remove_option(user_options, "negative_timeout");
	remove_option(user_options, "direct_io");
	fs.max_chunks = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE) / 2 / CHUNK;

	struct fastfuse_ops ops = {
		.lookup = memfs_lookup, .forget = memfs_forget, .getattr = memfs_getattr, .setattr = memfs_setattr,
		.readlink = memfs_readlink, .mknod = memfs_mknod, .mkdir = memfs_mkdir, .unlink = memfs_unlink,
		.rmdir = memfs_rmdir, .symlink = memfs_symlink, .rename = memfs_rename, .link = memfs_link,
		.open = memfs_open, .create = memfs_create, .read = memfs_read, .write = memfs_write,
		.release = memfs_release, .flush = memfs_flush, .fsync = memfs_fsync, .fallocate = memfs_fallocate,
		.copy_file_range = memfs_copy_file_range, .opendir = memfs_opendir, .readdir = memfs_readdir,
		.releasedir = memfs_releasedir, .fsyncdir = memfs_fsyncdir, .statfs = memfs_statfs,
		.setxattr = memfs_setxattr, .getxattr = memfs_getxattr, .listxattr = memfs_listxattr,
		.removexattr = memfs_removexattr,
	};

	/* Ours first, the user's after (a later fsname= wins). */
	bool check_permissions = !option_flag(user_options, "no_default_permissions");
	remove_option(user_options, "no_default_permissions");      /* ours: the library does not know it */
	fs.sync_read = option_flag(user_options, "sync_read");
	remove_option(user_options, "sync_read");
	char options[4200];
	snprintf(options, sizeof options, "fsname=memfs,subtype=memfs%s%s%s", check_permissions ? ",default_permissions" : "",
	         user_options[0] ? "," : "", user_options);

	if (pthread_create(&fs.reader, NULL, reader_main, &fs) != 0) {
		fprintf(stderr, "memfs: cannot start the reader thread\n");
		return 1;
	}
	fastfuse_session *s = fastfuse_mount(mountpoint, options, &ops, sizeof ops, &fs, 0);
	int rc = 0;
	if (!s) {
		fprintf(stderr, "memfs: %s\n", fastfuse_last_error());
		rc = 1;
	} else {
		struct shutdown sd = { .signals = signals, .session = s };
		pthread_t signal_thread;
		pthread_create(&signal_thread, NULL, signal_main, &sd);
		printf("memfs: serving %s (%s)\n", mountpoint, fastfuse_version());
		fflush(stdout);

		if (fastfuse_run(s) != 0) {      /* until unmounted: by the signal thread, or umount from outside */
			fprintf(stderr, "memfs: %s\n", fastfuse_last_error());
			rc = 1;
		}
		atomic_store(&sd.done, true);
		pthread_kill(signal_thread, SIGTERM);   /* wake it if no signal came (umount from outside) */
		pthread_join(signal_thread, NULL);
	}

	/* Stop the reader: it answers what is queued first (the session has ended, so those replies are dropped). */
	pthread_mutex_lock(&fs.qlock);
	fs.stopping = true;
	pthread_cond_signal(&fs.qcond);
	pthread_mutex_unlock(&fs.qlock);
	pthread_join(fs.reader, NULL);

	if (s) {
		struct fastfuse_stats st = { .size = sizeof st };
		if (fastfuse_stats_get(s, &st) == 0)
			printf("memfs: READ requests %llu, queued %lu, answered by the reader thread %lu; failed replies %lu; "
			       "deferred replies pending %llu\n",
			       (unsigned long long)st.count[FUSE_READ], atomic_load(&fs.reads_queued),
			       atomic_load(&fs.reads_answered), atomic_load(&fs.replies_failed),
			       (unsigned long long)st.pending);
		if (print_stats) {
			char text[16384];
			if (fastfuse_stats(s, text, sizeof text) > 0) fputs(text, stdout);
		}
		fastfuse_destroy(s);
	}
	free_tree(&fs);
	return rc;
}
