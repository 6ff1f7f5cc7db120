/* async_fs: the asynchronous reply API of fastfuse.h from C, for NativeAsyncTests. Every file in its root answers
 * some request in another way: inline replies, replies from a second thread, data from a file descriptor, iovecs,
 * an interrupt callback, supplementary groups, refused replies (a second one, a wrong one) and a request never
 * answered. It prints what the refused replies returned, for the test to check. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fastfuse.h"
#include "say.h"

_Static_assert(sizeof(struct fastfuse_ctx) == 40, "fastfuse_ctx");

enum { ROOT = 1, NOW, LATER, FD, FDLATER, IOV, WRONG, SLOW, GROUPS, SINK, NEVER, COUNT };
static const char *names[COUNT] = { 0, 0, "now", "later", "fd", "fdlater", "iov", "wrong", "slow", "groups", "sink", "never" };
static const char later_data[] = "later-data\n";
static int backing = -1;              /* a temporary file of FD_SIZE bytes, i % 251 */
#define FD_SIZE (200 * 1024)
static uint64_t sink_size;
static fastfuse_req *never_req;

static void fill(uint64_t ino, struct fuse_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = ino; a->nlink = 1; a->mode = S_IFREG | 0444;
	switch (ino) {
	case ROOT: a->mode = S_IFDIR | 0755; a->nlink = 2; break;
	case LATER: a->size = sizeof later_data - 1; break;
	case FD: case FDLATER: a->size = FD_SIZE; break;
	case IOV: a->size = 9; break;
	case SLOW: a->size = 100; break;
	case GROUPS: a->mode = S_IFLNK | 0777; a->size = 1; break;
	case SINK: a->mode = S_IFREG | 0666; a->size = __atomic_load_n(&sink_size, __ATOMIC_SEQ_CST); break;
	}
}

/* ---- the second thread: a queue of requests to answer later ---- */
struct job { struct job *next; int op; fastfuse_req *req; uint64_t ino; int64_t off; size_t size; };
static struct job *head, **tail = &head;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qc = PTHREAD_COND_INITIALIZER;

static int later(int op, fastfuse_req *req, uint64_t ino, int64_t off, size_t size)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j) return -ENOMEM;
	j->op = op; j->req = req; j->ino = ino; j->off = off; j->size = size;
	pthread_mutex_lock(&qm);
	*tail = j; tail = &j->next;
	pthread_cond_signal(&qc);
	pthread_mutex_unlock(&qm);
	return FASTFUSE_ASYNC;
}

static void answer(struct job *j)
{
	struct fuse_entry_out e; struct fuse_attr_out a; struct fuse_open_out o;
	int r = 0;
	switch (j->op) {
	case FUSE_LOOKUP:
		memset(&e, 0, sizeof e); e.nodeid = j->ino; fill(j->ino, &e.attr);
		r = fastfuse_reply_entry(j->req, &e); break;
	case FUSE_GETATTR:
		memset(&a, 0, sizeof a); fill(j->ino, &a.attr);
		r = fastfuse_reply_attr(j->req, &a); break;
	case FUSE_OPEN:
		memset(&o, 0, sizeof o); o.fh = j->ino * 10; o.open_flags = FOPEN_DIRECT_IO;
		r = fastfuse_reply_open(j->req, &o); break;
	case FUSE_READ:
		if (j->ino == FDLATER) { r = fastfuse_reply_data_fd(j->req, backing, j->off, j->size); break; }
		{
			size_t len = sizeof later_data - 1, n = j->off >= (int64_t)len ? 0 : len - (size_t)j->off;
			if (n > j->size) n = j->size;
			r = fastfuse_reply_buf(j->req, later_data + j->off, n);
		}
		break;
	case FUSE_WRITE:
		r = fastfuse_reply_write(j->req, j->size); break;
	case FUSE_READDIRPLUS: case FUSE_READDIR: {
		char *buf = malloc(j->size);
		size_t used = 0;
		for (int64_t i = j->off; buf && i < COUNT; i++) {
			size_t n;
			const char *name = i == 0 ? "." : i == 1 ? ".." : names[i];
			if (j->op == FUSE_READDIRPLUS) {
				/* every entry of a READDIRPLUS answer is a direntplus; "." and ".." carry node id 0 */
				struct fuse_entry_out pe; memset(&pe, 0, sizeof pe);
				if (i >= 2) { pe.nodeid = (uint64_t)i; fill((uint64_t)i, &pe.attr); }
				else { pe.attr.ino = ROOT; pe.attr.mode = S_IFDIR; }
				n = fastfuse_add_direntry_plus(buf + used, j->size - used, name, &pe, i + 1);
			} else n = fastfuse_add_direntry(buf + used, j->size - used, name, i < 2 ? ROOT : (uint64_t)i, i < 2 ? S_IFDIR : S_IFREG, i + 1);
			if (n == 0 || n > j->size - used) break;
			used += n;
		}
		r = buf ? fastfuse_reply_buf(j->req, buf, used) : fastfuse_reply_err(j->req, ENOMEM);
		free(buf);
		break;
	}
	}
	if (r != 0) say("later reply failed: %d %s", r, fastfuse_last_error());
}

static void *answerer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&qm);
		while (!head) pthread_cond_wait(&qc, &qm);
		struct job *j = head;
		head = j->next; if (!head) tail = &head;
		pthread_mutex_unlock(&qm);
		if (j->op < 0) { free(j); return NULL; }
		answer(j);
		free(j);
	}
}

/* ---- callbacks ---- */
static int lookup(void *ud, const struct fastfuse_ctx *c, uint64_t parent, const char *name, size_t len, struct fuse_entry_out *out)
{
	(void)ud; (void)len; (void)out;
	if (parent != ROOT) return -ENOENT;
	for (uint64_t i = NOW; i < COUNT; i++) {
		if (strcmp(name, names[i]) != 0) continue;
		if (i == NEVER) { never_req = c->req; say("never waiting"); return FASTFUSE_ASYNC; }
		if (i == LATER || i == FDLATER) return later(FUSE_LOOKUP, c->req, i, 0, 0);
		struct fuse_entry_out e; memset(&e, 0, sizeof e); e.nodeid = i; fill(i, &e.attr);
		int r = fastfuse_reply_entry(c->req, &e);          /* inline, then a return value that must not count */
		return r == 0 ? -EIO : r;
	}
	return -ENOENT;
}

static int getattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int has_fh, struct fuse_attr_out *out)
{
	(void)ud; (void)fh; (void)has_fh;
	if (ino == LATER) return later(FUSE_GETATTR, c->req, ino, 0, 0);
	if (ino == WRONG) {
		struct fuse_entry_out e; memset(&e, 0, sizeof e);
		int wrong = fastfuse_reply_entry(c->req, &e);     /* does not answer GETATTR: refused, request still open */
		struct fuse_attr_out a; memset(&a, 0, sizeof a); fill(ino, &a.attr);
		int right = fastfuse_reply_attr(c->req, &a);
		int second = fastfuse_reply_attr(c->req, &a);     /* answered already */
		say("wrong=%d right=%d second=%d", wrong, right, second);
		return FASTFUSE_ASYNC;
	}
	fill(ino, &out->attr);                                /* the synchronous style still works */
	return 0;
}

static int setattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, const struct fuse_setattr_in *in, struct fuse_attr_out *out)
{
	(void)ud; (void)out;
	if (ino != SINK) return -EPERM;
	if (in->valid & FATTR_SIZE) __atomic_store_n(&sink_size, in->size, __ATOMIC_SEQ_CST);
	struct fuse_attr_out a; memset(&a, 0, sizeof a); fill(ino, &a.attr);
	return fastfuse_reply_attr(c->req, &a) == 0 ? FASTFUSE_ASYNC : -EIO;
}

static int readlink_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, char *buf, size_t size, size_t *len)
{
	(void)ud; (void)buf; (void)size; (void)len;
	if (ino != GROUPS) return -EINVAL;
	uint32_t g[64]; char text[1024]; size_t at = 0;
	int n = fastfuse_req_getgroups(c->req, 64, g);
	if (n < 0) return n;
	text[0] = 0;
	for (int i = 0; i < n && i < 64; i++) at += (size_t)snprintf(text + at, sizeof text - at, "%s%u", i ? "," : "", g[i]);
	if (at == 0) text[at++] = '-';
	return fastfuse_reply_buf(c->req, text, at) == 0 ? FASTFUSE_ASYNC : -EIO;
}

static int open_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, int flags, struct fuse_open_out *out)
{
	(void)ud;
	if (ino == SINK && (flags & O_TRUNC)) __atomic_store_n(&sink_size, 0, __ATOMIC_SEQ_CST);
	if (ino == LATER) return later(FUSE_OPEN, c->req, ino, 0, 0);
	out->fh = ino * 10; out->open_flags = FOPEN_DIRECT_IO;
	return 0;
}

static void on_interrupt(fastfuse_req *req, void *data)
{
	say("interrupted %s", (const char *)data);
	int r = fastfuse_reply_err(req, EINTR);
	if (r != 0) say("interrupt reply failed: %d", r);
}

static int read_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, size_t size, void *buf, size_t *len)
{
	(void)ud; (void)buf; (void)len;
	if (fh != ino * 10) return -EBADF;
	switch (ino) {
	case LATER: case FDLATER: return later(FUSE_READ, c->req, ino, off, size);
	case FD: return fastfuse_reply_data_fd(c->req, backing, off, size) == 0 ? FASTFUSE_ASYNC : -EIO;
	case IOV: {
		static char a[] = "abc", b[] = "defg", d[] = "hi";
		struct iovec v[3] = { { a, 3 }, { b, 4 }, { d, 2 } };
		if (off != 0) return fastfuse_reply_buf(c->req, NULL, 0) == 0 ? FASTFUSE_ASYNC : -EIO;
		return fastfuse_reply_iov(c->req, v, 3) == 0 ? FASTFUSE_ASYNC : -EIO;
	}
	case SLOW:
		if (fastfuse_req_interrupt_func(c->req, on_interrupt, "slow") != 0) return -EIO;
		say("slow waiting interrupted=%d", fastfuse_req_interrupted(c->req));
		return FASTFUSE_ASYNC;                            /* answered only by the interrupt */
	}
	return -EIO;
}

static int write_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, const void *d, size_t size, uint32_t wf, uint32_t *written)
{
	(void)ud; (void)fh; (void)d; (void)wf; (void)written;
	if (ino != SINK) return -EBADF;
	uint64_t end = (uint64_t)off + size;
	if (end > __atomic_load_n(&sink_size, __ATOMIC_SEQ_CST)) __atomic_store_n(&sink_size, end, __ATOMIC_SEQ_CST);
	return later(FUSE_WRITE, c->req, ino, off, size);
}

static int flush(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, uint64_t owner)
{ (void)ud; (void)ino; (void)fh; (void)owner; return fastfuse_reply_err(c->req, 0) == 0 ? FASTFUSE_ASYNC : -EIO; }

static int readdir(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, struct fastfuse_dirbuf *db)
{
	(void)ud; (void)ino; (void)fh;
	return later(fastfuse_dir_is_plus(db) ? FUSE_READDIRPLUS : FUSE_READDIR, c->req, ROOT, off, fastfuse_dir_size(db));
}

int main(int argc, char **argv)
{
	sigset_t sigs; sigemptyset(&sigs); sigaddset(&sigs, SIGINT); sigaddset(&sigs, SIGTERM); sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	char tmpl[] = "/tmp/async_fs-XXXXXX";
	backing = mkstemp(tmpl);
	if (backing < 0) { perror("mkstemp"); return 1; }
	unlink(tmpl);
	for (int i = 0; i < FD_SIZE; i++) { char b = (char)(i % 251); if (write(backing, &b, 1) != 1) return 1; }
	pthread_t t;
	pthread_create(&t, NULL, answerer, NULL);
	struct fastfuse_ops ops = { .lookup = lookup, .getattr = getattr, .setattr = setattr, .readlink = readlink_,
		.open = open_, .read = read_, .write = write_, .flush = flush, .readdir = readdir };
	fastfuse_session *s = fastfuse_mount(argv[1], argc > 2 ? argv[2] : "fsname=async_fs", &ops, sizeof ops, NULL, 2);
	if (!s) { fprintf(stderr, "async_fs: %s\n", fastfuse_last_error()); return 1; }
	if (fastfuse_start(s) != 0) { fprintf(stderr, "async_fs: %s\n", fastfuse_last_error()); return 1; }
	say("serving");
	int sig;
	for (;;) {                                            /* SIGUSR1: print what the library's heap has allocated */
		sigwait(&sigs, &sig);
		if (sig != SIGUSR1) break;
		struct fastfuse_stats now = { .size = sizeof now };
		fastfuse_stats_get(s, &now);
		say("heap %llu deferred %llu", (unsigned long long)now.request_path_allocated_bytes, (unsigned long long)now.deferred_replies);
	}
	struct fastfuse_stats st = { .size = sizeof st };
	fastfuse_stats_get(s, &st);                           /* before the end: the never-answered LOOKUP is pending */
	fastfuse_unmount(s, 1);
	fastfuse_destroy(s);
	/* The request never answered was answered EIO when the session ended: its token is dead now. */
	if (never_req) say("late=%d", fastfuse_reply_err(never_req, ENOENT));
	say("pending=%llu", (unsigned long long)st.pending);
	later(-1, NULL, 0, 0, 0);
	pthread_join(t, NULL);
	return 0;
}
