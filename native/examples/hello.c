/*
 * hello.c — a read-only filesystem with one file, "hello", that reads "Hello from C\n", written against
 * libfastfuse's C ABI.
 *
 *   native/build.sh
 *   cc -I native/include native/examples/hello.c -L out/native -lfastfuse -Wl,-rpath,'$ORIGIN' -o out/native/hello
 *   out/native/hello /tmp/mnt [-o OPTIONS]      # serves until SIGINT/SIGTERM, then unmounts and exits 0
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fastfuse.h"

#define ROOT_INO  1
#define HELLO_INO 2

static const char hello_name[] = "hello";
static const char hello_data[] = "Hello from C\n";

struct hello { uint64_t mounted_at; uint32_t uid, gid; };

static int fill_attr(const struct hello *h, uint64_t ino, struct fuse_attr *a)
{
	a->ino = ino;
	a->atime = a->mtime = a->ctime = h->mounted_at;
	a->uid = h->uid;
	a->gid = h->gid;
	a->blksize = 4096;
	switch (ino) {
	case ROOT_INO:
		a->mode = S_IFDIR | 0555;
		a->nlink = 2;
		a->size = 4096;
		return 0;
	case HELLO_INO:
		a->mode = S_IFREG | 0444;
		a->nlink = 1;
		a->size = sizeof hello_data - 1;
		a->blocks = 1;
		return 0;
	default:
		return -ENOENT;
	}
}

static int hello_lookup(void *ud, const struct fastfuse_ctx *ctx, uint64_t parent, const char *name, size_t namelen,
                        struct fuse_entry_out *out)
{
	(void)ctx;
	if (parent != ROOT_INO) return parent == HELLO_INO ? -ENOTDIR : -ENOENT;
	if (namelen != sizeof hello_name - 1 || memcmp(name, hello_name, namelen) != 0) return -ENOENT;
	out->nodeid = HELLO_INO;
	out->entry_valid = 1;
	out->attr_valid = 1;
	return fill_attr(ud, HELLO_INO, &out->attr);
}

static int hello_getattr(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int has_fh,
                         struct fuse_attr_out *out)
{
	(void)ctx; (void)fh; (void)has_fh;
	out->attr_valid = 1;
	return fill_attr(ud, ino, &out->attr);
}

static int hello_open(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, int flags, struct fuse_open_out *out)
{
	(void)ud; (void)ctx;
	if (ino == ROOT_INO) return -EISDIR;
	if (ino != HELLO_INO) return -ENOENT;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) return -EACCES;
	out->open_flags = FOPEN_KEEP_CACHE;
	return 0;
}

static int hello_read(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off, size_t size,
                      void *buf, size_t *len)
{
	(void)ud; (void)ctx; (void)fh;
	if (ino != HELLO_INO) return -EISDIR;
	size_t total = sizeof hello_data - 1;
	if (off < 0) return -EINVAL;
	if ((uint64_t)off >= total) { *len = 0; return 0; }
	size_t n = total - (size_t)off;
	if (n > size) n = size;
	memcpy(buf, hello_data + off, n);
	*len = n;
	return 0;
}

static int hello_readdir(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, uint64_t fh, int64_t off,
                         struct fastfuse_dirbuf *db)
{
	(void)ctx; (void)fh;
	if (ino != ROOT_INO) return -ENOTDIR;
	/* offsets: 0 → ".", 1 → "..", 2 → "hello"; next_off is the index of the following entry */
	for (int64_t i = off; i < 3; i++) {
		int added;
		if (i == 2 && fastfuse_dir_is_plus(db)) {
			struct fuse_entry_out e = { .nodeid = HELLO_INO, .entry_valid = 1, .attr_valid = 1 };
			fill_attr(ud, HELLO_INO, &e.attr);
			added = fastfuse_dir_add_plus(db, hello_name, &e, i + 1);
		} else {
			const char *name = i == 0 ? "." : i == 1 ? ".." : hello_name;
			added = fastfuse_dir_add(db, name, i == 2 ? HELLO_INO : ROOT_INO, i == 2 ? S_IFREG : S_IFDIR, i + 1);
		}
		if (added <= 0) break;
	}
	return 0;
}

static int hello_statfs(void *ud, const struct fastfuse_ctx *ctx, uint64_t ino, struct fuse_statfs_out *out)
{
	(void)ud; (void)ctx; (void)ino;
	out->st.bsize = out->st.frsize = 4096;
	out->st.blocks = 1;
	out->st.files = 2;
	out->st.namelen = 255;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "-o") == 0)) {
		fprintf(stderr, "usage: %s MOUNTPOINT [-o OPTIONS]\n", argv[0]);
		return 2;
	}

	/* Block SIGINT and SIGTERM before any thread exists: the workers inherit the mask, so the signals stay
	 * pending until the main thread takes them with sigwait — no async-signal-safety concerns. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	struct hello h = { .mounted_at = (uint64_t)time(NULL), .uid = getuid(), .gid = getgid() };
	struct fastfuse_ops ops = {
		.lookup = hello_lookup,
		.getattr = hello_getattr,
		.open = hello_open,
		.read = hello_read,
		.readdir = hello_readdir,
		.statfs = hello_statfs,
	};

	fastfuse_session *s = fastfuse_mount(argv[1], argc == 4 ? argv[3] : "fsname=hello,subtype=hello",
	                                     &ops, sizeof ops, &h, 0);
	if (!s) {
		fprintf(stderr, "hello: %s\n", fastfuse_last_error());
		return 1;
	}
	if (fastfuse_start(s) != 0) {
		fprintf(stderr, "hello: %s\n", fastfuse_last_error());
		fastfuse_destroy(s);
		return 1;
	}
	printf("%s: serving %s (Ctrl-C to unmount)\n", fastfuse_version(), argv[1]);
	fflush(stdout);

	int sig = 0;
	sigwait(&sigs, &sig);

	int r = fastfuse_unmount(s, 0);
	if (r == EBUSY) r = fastfuse_unmount(s, 1); /* files still open: detach lazily */
	if (r != 0) fprintf(stderr, "hello: unmount: %s\n", fastfuse_last_error());
	fastfuse_destroy(s);
	return r == 0 ? 0 : 1;
}
