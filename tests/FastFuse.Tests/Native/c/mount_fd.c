/* mount_fd: a program that makes the mount(2) itself and hands the /dev/fuse descriptor to fastfuse_mount_fd
 * (as a parent passing /dev/fd/N would), for NativeExtraTests. On SIGTERM it unmounts with umount2 and waits for
 * the session to end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fastfuse.h"

static const char text[] = "served from a descriptor\n";
static pthread_t caller;
static int init_on_caller = -1, lookup_on_caller = -1;
static const char *mountpoint;

static void init(void *ud, struct fastfuse_conn *conn) { (void)ud; (void)conn; init_on_caller = pthread_equal(pthread_self(), caller) != 0; }

static int lookup(void *ud, const struct fastfuse_ctx *c, uint64_t parent, const char *name, size_t len, struct fuse_entry_out *out)
{
	(void)ud; (void)c; (void)len;
	lookup_on_caller = pthread_equal(pthread_self(), caller) != 0;
	if (parent != 1 || strcmp(name, "hello") != 0) return -ENOENT;
	out->nodeid = 2; out->attr.ino = 2; out->attr.mode = S_IFREG | 0444; out->attr.nlink = 1; out->attr.size = sizeof text - 1;
	return 0;
}
static int getattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int has_fh, struct fuse_attr_out *out)
{
	(void)ud; (void)c; (void)fh; (void)has_fh;
	out->attr.ino = ino; out->attr.nlink = 1;
	out->attr.mode = ino == 1 ? S_IFDIR | 0755 : S_IFREG | 0444;
	out->attr.size = ino == 1 ? 0 : sizeof text - 1;
	return 0;
}
static int read_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, size_t size, void *buf, size_t *len)
{
	(void)ud; (void)ino; (void)fh;
	size_t n = (size_t)off >= sizeof text - 1 ? 0 : sizeof text - 1 - (size_t)off;
	if (n > size) n = size;
	memcpy(buf, text + off, n); *len = n;
	return fastfuse_reply_buf(c->req, buf, n) == 0 ? FASTFUSE_ASYNC : -EIO;   /* in place: buf is the reply room */
}

static int mount_one(const char *mp)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) { perror("/dev/fuse"); return -1; }
	char data[128];
	snprintf(data, sizeof data, "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("mount_fd", mp, "fuse.mount_fd", MS_NOSUID | MS_NODEV, data) != 0) { perror("mount"); close(fd); return -1; }
	return fd;
}

/* SIGTERM: unmount; the session then ends and fastfuse_run returns on the main thread. */
static void *on_signal(void *arg)
{
	sigset_t *sigs = arg;
	int sig;
	sigwait(sigs, &sig);
	if (umount2(mountpoint, MNT_DETACH) != 0) perror("umount2");
	return NULL;
}

int main(int argc, char **argv)
{
	(void)argc;
	sigset_t sigs; sigemptyset(&sigs); sigaddset(&sigs, SIGINT); sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	struct fastfuse_ops ops = { .lookup = lookup, .getattr = getattr, .read = read_, .init = init };
	/* A mount option cannot apply to a mount made already: refused, with the reason. */
	if (fastfuse_mount_fd(0, "allow_other", &ops, sizeof ops, NULL, 1) != NULL) { fprintf(stderr, "allow_other accepted\n"); return 1; }
	printf("refused: %s\n", fastfuse_last_error());
	if (fastfuse_mount_fd(-1, NULL, &ops, sizeof ops, NULL, 1) != NULL) return 1;
	printf("refused: %s\n", fastfuse_last_error());
	int fd = mount_one(argv[1]);
	if (fd < 0) return 1;
	fastfuse_session *s = fastfuse_mount_fd(fd, argc > 2 ? argv[2] : "threads=1", &ops, sizeof ops, NULL, 0);
	if (!s) { fprintf(stderr, "mount_fd: %s\n", fastfuse_last_error()); return 1; }
	mountpoint = argv[1];
	caller = pthread_self();
	pthread_t t;
	pthread_create(&t, NULL, on_signal, &sigs);
	printf("serving\n"); fflush(stdout);
	int r = fastfuse_run(s);   /* serves, its first loop on this thread, until the kernel ends the connection */
	pthread_join(t, NULL);
	printf("ended %d init_on_caller=%d lookup_on_caller=%d\n", r, init_on_caller, lookup_on_caller); fflush(stdout);
	fastfuse_destroy(s);
	return r;
}
