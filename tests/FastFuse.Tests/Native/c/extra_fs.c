/* extra_fs: the parts of fastfuse.h past the request/reply core, for NativeExtraTests — notifications (store,
 * retrieve, inval_entry, inval_inode, delete, inc_epoch, poll, prune, resend), FUSE passthrough (backing files),
 * poll, ioctl, statx, tmpfile, forget_multi. Commands written to the file "ctl" are run on a second thread, which
 * prints what each returned. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

_Static_assert(sizeof(struct fastfuse_statx_out) == 288, "fastfuse_statx_out");
_Static_assert(offsetof(struct fastfuse_statx_out, stat) == 32, "stat");
_Static_assert(offsetof(struct fastfuse_statx, btime) == 80, "btime");

enum { ROOT = 1, POLLME, CTL, CACHED, GHOST, GHOST2, PASS, IOC, HOLD, GATE, FIRST_F = 20, LAST_F = 39, FIRST_TMP = 100 };
static const char pass_data[] = "through the backing file\n";
static fastfuse_session *session;
static int pass_fd = -1, ghost_on, ghost2_on, poll_ready, reads_of_pass, reads_of_cached;
static uint64_t poll_kh, cached_size, next_tmp = FIRST_TMP;
static int have_kh;
static uint64_t multi_calls, multi_nodes, single_forgets;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void wait_for_gate(void);

static const char *name_of(uint64_t ino)
{
	switch (ino) {
	case POLLME: return "pollme"; case CTL: return "ctl"; case CACHED: return "cached"; case GHOST: return "ghost";
	case GHOST2: return "ghost2"; case PASS: return "pass"; case IOC: return "ioc"; case HOLD: return "hold"; case GATE: return "gate";
	}
	return NULL;
}

static void fill(uint64_t ino, struct fuse_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = ino; a->nlink = 1; a->mode = S_IFREG | 0666; a->blksize = 4096;
	if (ino == ROOT) { a->mode = S_IFDIR | 0755; a->nlink = 2; }
	if (ino == CACHED) a->size = __atomic_load_n(&cached_size, __ATOMIC_SEQ_CST);
	if (ino == PASS) a->size = sizeof pass_data - 1;
	if (ino >= FIRST_TMP) a->nlink = 0;
}

static void entry(uint64_t ino, struct fuse_entry_out *e, uint64_t valid)
{
	memset(e, 0, sizeof *e);
	e->nodeid = ino; e->entry_valid = valid; e->attr_valid = valid;
	fill(ino, &e->attr);
}

static int lookup(void *ud, const struct fastfuse_ctx *c, uint64_t parent, const char *name, size_t len, struct fuse_entry_out *out)
{
	(void)ud; (void)c; (void)len;
	if (parent != ROOT) return -ENOENT;
	if (name[0] == 'f' && strlen(name) == 3) { entry(FIRST_F + (uint64_t)atoi(name + 1), out, 3600); return 0; }
	for (uint64_t i = POLLME; i <= GATE; i++) {
		if (strcmp(name, name_of(i)) != 0) continue;
		if ((i == GHOST && !__atomic_load_n(&ghost_on, __ATOMIC_SEQ_CST)) || (i == GHOST2 && !__atomic_load_n(&ghost2_on, __ATOMIC_SEQ_CST)))
			break;
		entry(i, out, 3600);   /* an hour: only a notification makes the kernel ask again */
		return 0;
	}
	memset(out, 0, sizeof *out);
	out->entry_valid = 3600;   /* a negative entry, cached for an hour */
	return 0;
}

static int getattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int has_fh, struct fuse_attr_out *out)
{ (void)ud; (void)c; (void)fh; (void)has_fh; fill(ino, &out->attr); out->attr_valid = 3600; return 0; }

static int setattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, const struct fuse_setattr_in *in, struct fuse_attr_out *out)
{ (void)ud; (void)c; (void)in; fill(ino, &out->attr); return 0; }

static int open_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, int flags, struct fuse_open_out *out)
{
	(void)ud; (void)flags;
	out->fh = ino;
	if (ino == CACHED) out->open_flags = FOPEN_KEEP_CACHE;
	if (ino == POLLME || ino == IOC || ino == CTL || ino == HOLD || ino == GATE) out->open_flags = FOPEN_DIRECT_IO;
	if (ino == PASS) {
		fastfuse_session *s = fastfuse_req_session(c->req);
		int id = fastfuse_backing_open(s, pass_fd);
		if (id <= 0) { say("backing_open=%d %s", id, fastfuse_last_error()); return id < 0 ? id : -EIO; }
		say("backing_open ok session=%d", s == session);
		return fastfuse_open_passthrough(out, id);
	}
	return 0;
}

static int read_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, size_t size, void *buf, size_t *len)
{
	(void)ud; (void)c; (void)fh;
	if (ino == PASS) __atomic_add_fetch(&reads_of_pass, 1, __ATOMIC_SEQ_CST);
	if (ino == CACHED) __atomic_add_fetch(&reads_of_cached, 1, __ATOMIC_SEQ_CST);
	if (ino == HOLD) { say("holding"); usleep(1500 * 1000); }   /* keeps this worker busy while forgets queue up */
	if (ino == GATE && off == 0) wait_for_gate();               /* blocks this worker until "open" comes through ctl */
	const char *text = ino == POLLME ? "ready\n" : "R";
	size_t n = strlen(text);
	if ((size_t)off >= n) { *len = 0; return 0; }
	n -= (size_t)off; if (n > size) n = size;
	memcpy(buf, text + off, n); *len = n;
	return 0;
}

/* The gate: a READ of "gate" blocks its worker until the command "open" (a WRITE, which another worker must serve)
 * opens it, or 20 s pass. */
static pthread_mutex_t gate_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_c = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void wait_for_gate(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&gate_m);
	say("gated");
	while (!gate_open && pthread_cond_timedwait(&gate_c, &gate_m, &until) == 0) { }
	say("gate %s", gate_open ? "opened" : "timed out");
	pthread_mutex_unlock(&gate_m);
}

static void retrieved(void *data, int err, int64_t off, const void *buf, size_t size)
{ say("retrieved %s err=%d off=%lld %.*s", (const char *)data, err, (long long)off, (int)size, (const char *)buf); }

static void run(const char *cmd)
{
	if (strcmp(cmd, "store") == 0) {
		__atomic_store_n(&cached_size, 5, __ATOMIC_SEQ_CST);
		say("store=%d", fastfuse_notify_store(session, CACHED, 0, "hello", 5));
	} else if (strcmp(cmd, "retrieve") == 0) {
		say("retrieve=%d", fastfuse_notify_retrieve(session, CACHED, 0, 5, retrieved, "cached"));
	} else if (strcmp(cmd, "ghost") == 0) {
		__atomic_store_n(&ghost_on, 1, __ATOMIC_SEQ_CST);
		say("inval_entry=%d", fastfuse_notify_inval_entry(session, ROOT, "ghost", 5, 0));
	} else if (strcmp(cmd, "ghost2") == 0) {
		__atomic_store_n(&ghost2_on, 1, __ATOMIC_SEQ_CST);
		say("inc_epoch=%d", fastfuse_notify_inc_epoch(session));
	} else if (strcmp(cmd, "grow") == 0) {
		__atomic_store_n(&cached_size, 4096, __ATOMIC_SEQ_CST);
		say("inval_inode=%d", fastfuse_notify_inval_inode(session, CACHED, -1, 0));
	} else if (strcmp(cmd, "unghost") == 0) {
		__atomic_store_n(&ghost_on, 0, __ATOMIC_SEQ_CST);
		say("delete=%d", fastfuse_notify_delete(session, ROOT, GHOST, "ghost", 5));
	} else if (strcmp(cmd, "ready") == 0) {
		pthread_mutex_lock(&m);
		poll_ready = 1;
		int kh = have_kh;
		uint64_t h = poll_kh;
		pthread_mutex_unlock(&m);
		say("notify_poll=%d had_kh=%d", kh ? fastfuse_notify_poll(session, h) : -ENOENT, kh);
	} else if (strcmp(cmd, "open") == 0) {
		pthread_mutex_lock(&gate_m);
		gate_open = 1;
		pthread_cond_broadcast(&gate_c);
		pthread_mutex_unlock(&gate_m);
		say("gate open");
	} else if (strcmp(cmd, "misc") == 0) {
		uint64_t ids[1] = { FIRST_F };
		say("resend=%d prune=%d bad_entry=%d unknown_inode=%d", fastfuse_notify_resend(session), fastfuse_notify_prune(session, ids, 1),
			fastfuse_notify_inval_entry(session, ROOT, NULL, 0, 0), fastfuse_notify_inval_inode(session, 999999, 0, 0));
	} else say("unknown command %s", cmd);
}

/* the second thread: commands from ctl, and ioctl replies */
struct job { struct job *next; char cmd[64]; fastfuse_req *req; size_t out_size; };
static struct job *head, **tail = &head;
static pthread_cond_t qc = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;

static void push(const char *cmd, size_t n, fastfuse_req *req, size_t out_size)
{
	struct job *j = calloc(1, sizeof *j);
	if (n >= sizeof j->cmd) n = sizeof j->cmd - 1;
	memcpy(j->cmd, cmd, n);
	j->req = req; j->out_size = out_size;
	pthread_mutex_lock(&qm);
	*tail = j; tail = &j->next;
	pthread_cond_signal(&qc);
	pthread_mutex_unlock(&qm);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&qm);
		while (!head) pthread_cond_wait(&qc, &qm);
		struct job *j = head;
		head = j->next; if (!head) tail = &head;
		pthread_mutex_unlock(&qm);
		if (strcmp(j->cmd, "quit") == 0) { free(j); return NULL; }
		if (j->req) {                                  /* FS_IOC_GETFLAGS, answered later */
			uint64_t flags = 0x80;                     /* FS_NOATIME_FL */
			int r = fastfuse_reply_ioctl(j->req, 0, &flags, j->out_size < sizeof flags ? j->out_size : sizeof flags);
			if (r != 0) say("ioctl reply failed: %d %s", r, fastfuse_last_error());
		} else run(j->cmd);
		free(j);
	}
}

static int write_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, const void *d, size_t size, uint32_t wf, uint32_t *written)
{
	(void)ud; (void)c; (void)fh; (void)off; (void)wf;
	if (ino != CTL) return -EPERM;
	size_t n = size;
	while (n > 0 && (((const char *)d)[n - 1] == '\n')) n--;
	push(d, n, NULL, 0);
	*written = (uint32_t)size;
	return 0;
}

static int poll_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, uint64_t kh, uint32_t flags, uint32_t events, uint32_t *revents)
{
	(void)ud; (void)fh;
	if (ino != POLLME) { *revents = events & (POLLIN | POLLOUT); return 0; }
	pthread_mutex_lock(&m);
	uint32_t ready = poll_ready ? (uint32_t)(events & POLLIN) : 0;
	if (!ready && (flags & FUSE_POLL_SCHEDULE_NOTIFY)) { poll_kh = kh; have_kh = 1; }
	pthread_mutex_unlock(&m);
	return fastfuse_reply_poll(c->req, ready) == 0 ? FASTFUSE_ASYNC : -EIO;
}

static int ioctl_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, uint32_t flags, uint32_t cmd, uint64_t arg,
                  const void *in, size_t in_size, void *out, size_t out_size, int32_t *result, size_t *out_len)
{
	(void)ud; (void)fh; (void)flags; (void)arg; (void)in; (void)in_size; (void)out; (void)result; (void)out_len;
	if (ino != IOC || cmd != 0x80086601u) return -ENOTTY;       /* FS_IOC_GETFLAGS */
	push("ioctl", 5, c->req, out_size);
	return FASTFUSE_ASYNC;
}

static int statx_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int has_fh, uint32_t sx_flags, uint32_t sx_mask, struct fastfuse_statx_out *out)
{
	(void)ud; (void)c; (void)fh; (void)has_fh; (void)sx_flags; (void)sx_mask;
	struct fuse_attr a; fill(ino, &a);
	out->attr_valid = 0;
	out->stat.mask = 0x7ff | 0x800;   /* STATX_BASIC_STATS | STATX_BTIME */
	out->stat.ino = ino; out->stat.mode = (uint16_t)a.mode; out->stat.nlink = a.nlink; out->stat.size = a.size;
	out->stat.blksize = 4096;
	out->stat.btime.tv_sec = 1234567890; out->stat.btime.tv_nsec = 42;
	return 0;
}

static int tmpfile_(void *ud, const struct fastfuse_ctx *c, uint64_t parent, uint32_t mode, int flags, struct fuse_entry_out *e, struct fuse_open_out *o)
{
	(void)ud; (void)parent; (void)mode; (void)flags; (void)e; (void)o;
	struct fuse_entry_out ne; struct fuse_open_out no;
	entry(__atomic_fetch_add(&next_tmp, 1, __ATOMIC_SEQ_CST), &ne, 0);
	memset(&no, 0, sizeof no); no.fh = ne.nodeid; no.open_flags = FOPEN_DIRECT_IO;
	say("tmpfile umask=%o", c->umask);
	return fastfuse_reply_create(c->req, &ne, &no) == 0 ? FASTFUSE_ASYNC : -EIO;
}

static void forget(void *ud, uint64_t ino, uint64_t n) { (void)ud; (void)ino; (void)n; __atomic_add_fetch(&single_forgets, 1, __ATOMIC_SEQ_CST); }
static void forget_multi(void *ud, size_t count, const struct fuse_forget_one *f)
{
	(void)ud; (void)f;
	__atomic_add_fetch(&multi_calls, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&multi_nodes, count, __ATOMIC_SEQ_CST);
}

static int readdir(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, struct fastfuse_dirbuf *db)
{
	(void)ud; (void)c; (void)ino; (void)fh;
	for (int64_t i = off; i < 2; i++)
		if (fastfuse_dir_add(db, i == 0 ? "." : "..", ROOT, S_IFDIR, i + 1) <= 0) break;
	return 0;
}

static void init(void *ud, struct fastfuse_conn *conn)
{
	(void)ud;
	uint64_t passthrough = 1ULL << 37;
	if (conn->capable & passthrough) { conn->want |= passthrough; conn->max_stack_depth = 1; }
	say("init passthrough=%d", (conn->capable & passthrough) != 0);
}

int main(int argc, char **argv)
{
	sigset_t sigs; sigemptyset(&sigs); sigaddset(&sigs, SIGINT); sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	char tmpl[] = "/tmp/extra_fs-XXXXXX";
	pass_fd = mkstemp(tmpl);
	if (pass_fd < 0 || write(pass_fd, pass_data, sizeof pass_data - 1) != (ssize_t)(sizeof pass_data - 1)) return 1;
	unlink(tmpl);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	struct fastfuse_ops ops = { .lookup = lookup, .getattr = getattr, .setattr = setattr, .open = open_, .read = read_,
		.write = write_, .readdir = readdir, .forget = forget, .forget_multi = forget_multi, .init = init,
		.tmpfile = tmpfile_, .statx = statx_, .poll = poll_, .ioctl = ioctl_ };
	const char *options = argc > 2 ? argv[2] : "fsname=extra_fs";
	session = fastfuse_mount(argv[1], options, &ops, sizeof ops, NULL, strstr(options, "threads=") ? 0 : 2);
	if (!session) { fprintf(stderr, "extra_fs: %s\n", fastfuse_last_error()); return 1; }
	if (fastfuse_start(session) != 0) { fprintf(stderr, "extra_fs: %s\n", fastfuse_last_error()); return 1; }
	say("serving");
	int sig; sigwait(&sigs, &sig);
	say("reads pass=%d cached=%d", reads_of_pass, reads_of_cached);
	say("forgets multi_calls=%llu multi_nodes=%llu single=%llu", (unsigned long long)multi_calls, (unsigned long long)multi_nodes, (unsigned long long)single_forgets);
	fastfuse_unmount(session, 1);
	fastfuse_destroy(session);
	say("null session store=%d", fastfuse_notify_store(NULL, CACHED, 0, "x", 1));
	push("quit", 4, NULL, 0);
	pthread_join(t, NULL);
	return 0;
}
