/* metadrv: metadata workloads for perf/run (FastFuse end-to-end benchmark).
 *
 *   metadrv populate   DIR N [SIZE] [THREADS]   create f0000000..f(N-1) with SIZE bytes each
 *   metadrv statstorm  DIR N REPEAT THREADS     stat every file REPEAT times, files split over threads
 *   metadrv walk       DIR EXPECTED             ls -l-like: readdir + lstat of every entry
 *   metadrv cwu        DIR N THREADS            create + write 4 KiB + close, then unlink, of N files
 *   metadrv waitmount  MNT TIMEOUT_MS [PID]           poll stat(MNT) until st_dev differs from its parent's;
 *                                               prints the CLOCK_REALTIME (ns) of the first answered stat
 *                                               (perf/run takes $EPOCHREALTIME before it forks the
 *                                               daemon: startup = that - the fork time)
 *
 * Results are printed as one line of JSON on stdout. Times come from
 * clock_gettime(CLOCK_MONOTONIC); latencies are per operation.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static uint64_t mono(void) { return now_ns(CLOCK_MONOTONIC); }

static void die(const char *what, const char *path) {
    fprintf(stderr, "metadrv: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(1);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Latency samples are stored in ns, clamped to 32 bits (4.29 s). */
static void print_lat(uint32_t *lat, size_t n) {
    if (n == 0) { printf("\"p50_us\":null,\"p99_us\":null,\"max_us\":null"); return; }
    qsort(lat, n, sizeof *lat, cmp_u32);
    size_t i50 = n / 2, i99 = (size_t)((double)n * 0.99);
    if (i99 >= n) i99 = n - 1;
    printf("\"p50_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f", lat[i50] / 1e3, lat[i99] / 1e3, lat[n - 1] / 1e3);
}

static inline uint32_t clamp32(uint64_t v) { return v > 0xffffffffull ? 0xffffffffu : (uint32_t)v; }

static void fname(char *buf, size_t sz, const char *dir, long i) {
    snprintf(buf, sz, "%s/f%07ld", dir, i);
}

/* ---------------- populate ---------------- */
struct pop_arg { const char *dir; long from, to; size_t size; };
static void *pop_thread(void *p) {
    struct pop_arg *a = p;
    char path[4096];
    char *buf = NULL;
    if (a->size) { buf = malloc(a->size); memset(buf, 'x', a->size); }
    for (long i = a->from; i < a->to; i++) {
        fname(path, sizeof path, a->dir, i);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0) die("create", path);
        if (a->size && write(fd, buf, a->size) != (ssize_t)a->size) die("write", path);
        if (close(fd) != 0) die("close", path);
    }
    free(buf);
    return NULL;
}
static int cmd_populate(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *dir = argv[2];
    long n = atol(argv[3]);
    size_t size = argc > 4 ? (size_t)atol(argv[4]) : 0;
    int th = argc > 5 ? atoi(argv[5]) : 1;
    if (th < 1) th = 1;
    pthread_t t[64]; struct pop_arg a[64];
    uint64_t t0 = mono();
    for (int k = 0; k < th; k++) {
        a[k] = (struct pop_arg){dir, n * k / th, n * (k + 1) / th, size};
        pthread_create(&t[k], NULL, pop_thread, &a[k]);
    }
    for (int k = 0; k < th; k++) pthread_join(t[k], NULL);
    uint64_t el = mono() - t0;
    printf("{\"op\":\"populate\",\"files\":%ld,\"elapsed_s\":%.6f}\n", n, el / 1e9);
    return 0;
}

/* ---------------- stat storm ---------------- */
struct st_arg { const char *dir; long from, to; int repeat; uint32_t *lat; size_t nlat; long errors; };
static void *st_thread(void *p) {
    struct st_arg *a = p;
    char path[4096];
    struct stat st;
    size_t k = 0;
    for (int r = 0; r < a->repeat; r++)
        for (long i = a->from; i < a->to; i++) {
            fname(path, sizeof path, a->dir, i);
            uint64_t t0 = mono();
            if (stat(path, &st) != 0) a->errors++;
            a->lat[k++] = clamp32(mono() - t0);
        }
    a->nlat = k;
    return NULL;
}
static int cmd_statstorm(int argc, char **argv) {
    if (argc < 6) return 2;
    const char *dir = argv[2];
    long n = atol(argv[3]);
    int repeat = atoi(argv[4]), th = atoi(argv[5]);
    if (th < 1 || th > 64) th = 1;
    pthread_t t[64]; struct st_arg a[64];
    uint32_t *lat = malloc(sizeof(uint32_t) * (size_t)n * (size_t)repeat);
    size_t off = 0;
    for (int k = 0; k < th; k++) {
        long from = n * k / th, to = n * (k + 1) / th;
        a[k] = (struct st_arg){dir, from, to, repeat, lat + off, 0, 0};
        off += (size_t)(to - from) * (size_t)repeat;
    }
    uint64_t t0 = mono();
    for (int k = 0; k < th; k++) pthread_create(&t[k], NULL, st_thread, &a[k]);
    for (int k = 0; k < th; k++) pthread_join(t[k], NULL);
    uint64_t el = mono() - t0;
    long errors = 0;
    for (int k = 0; k < th; k++) errors += a[k].errors;
    long ops = n * repeat;
    printf("{\"op\":\"statstorm\",\"ops\":%ld,\"threads\":%d,\"errors\":%ld,\"elapsed_s\":%.6f,\"ops_per_s\":%.1f,",
           ops, th, errors, el / 1e9, ops / (el / 1e9));
    print_lat(lat, off);
    printf("}\n");
    free(lat);
    return errors ? 1 : 0;
}

/* ---------------- walk (ls -l) ---------------- */
static int cmd_walk(int argc, char **argv) {
    if (argc < 3) return 2;
    const char *dir = argv[2];
    long expected = argc > 3 ? atol(argv[3]) : -1;
    uint64_t t0 = mono();
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) die("open", dir);
    DIR *d = fdopendir(dfd);
    if (!d) die("fdopendir", dir);
    struct dirent *de;
    struct stat st;
    long entries = 0, errors = 0;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0)))
            continue;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) errors++;
        entries++;
    }
    if (errno) die("readdir", dir);
    closedir(d);
    uint64_t el = mono() - t0;
    printf("{\"op\":\"walk\",\"entries\":%ld,\"errors\":%ld,\"elapsed_s\":%.6f,\"entries_per_s\":%.1f}\n",
           entries, errors, el / 1e9, entries / (el / 1e9));
    if (expected >= 0 && entries != expected) {
        fprintf(stderr, "metadrv: walk saw %ld entries, expected %ld\n", entries, expected);
        return 1;
    }
    return errors ? 1 : 0;
}

/* ---------------- create + write + close, unlink ---------------- */
struct cwu_arg { const char *dir; long from, to; uint32_t *lat_c, *lat_u; uint64_t el_c, el_u; pthread_barrier_t *bar; };
static void *cwu_thread(void *p) {
    struct cwu_arg *a = p;
    char path[4096], buf[4096];
    memset(buf, 'y', sizeof buf);
    pthread_barrier_wait(a->bar);
    uint64_t s = mono();
    for (long i = a->from; i < a->to; i++) {
        fname(path, sizeof path, a->dir, i);
        uint64_t t0 = mono();
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0) die("create", path);
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) die("write", path);
        if (close(fd) != 0) die("close", path);
        a->lat_c[i - a->from] = clamp32(mono() - t0);
    }
    a->el_c = mono() - s;
    pthread_barrier_wait(a->bar);
    s = mono();
    for (long i = a->from; i < a->to; i++) {
        fname(path, sizeof path, a->dir, i);
        uint64_t t0 = mono();
        if (unlink(path) != 0) die("unlink", path);
        a->lat_u[i - a->from] = clamp32(mono() - t0);
    }
    a->el_u = mono() - s;
    return NULL;
}
static int cmd_cwu(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *dir = argv[2];
    long n = atol(argv[3]);
    int th = argc > 4 ? atoi(argv[4]) : 1;
    if (th < 1 || th > 64) th = 1;
    uint32_t *lc = malloc(sizeof(uint32_t) * n), *lu = malloc(sizeof(uint32_t) * n);
    pthread_t t[64]; struct cwu_arg a[64];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, th + 1);
    for (int k = 0; k < th; k++) {
        long from = n * k / th, to = n * (k + 1) / th;
        a[k] = (struct cwu_arg){dir, from, to, lc + from, lu + from, 0, 0, &bar};
        pthread_create(&t[k], NULL, cwu_thread, &a[k]);
    }
    uint64_t t0 = mono();
    pthread_barrier_wait(&bar);
    uint64_t t1 = mono();
    pthread_barrier_wait(&bar);
    for (int k = 0; k < th; k++) pthread_join(t[k], NULL);
    uint64_t t2 = mono();
    (void)t0;
    double ec = (t1 - t0) / 1e9, eu = (t2 - t1) / 1e9, et = (t2 - t0) / 1e9;
    printf("{\"op\":\"cwu\",\"files\":%ld,\"threads\":%d,\"elapsed_s\":%.6f,\"files_per_s\":%.1f,"
           "\"create_write_close_s\":%.6f,\"create_per_s\":%.1f,\"unlink_s\":%.6f,\"unlink_per_s\":%.1f,",
           n, th, et, n / et, ec, n / ec, eu, n / eu);
    printf("\"create\":{");
    print_lat(lc, n);
    printf("},\"unlink\":{");
    print_lat(lu, n);
    printf("}}\n");
    return 0;
}

/* ---------------- mount polling / startup ---------------- */
static int mounted(const char *mnt, dev_t parent_dev) {
    struct stat st;
    if (stat(mnt, &st) != 0) return 0;
    return st.st_dev != parent_dev;
}
static dev_t parent_dev_of(const char *mnt) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", mnt);
    struct stat st;
    if (stat(dirname(tmp), &st) != 0) die("stat parent of", mnt);
    return st.st_dev;
}
static int poll_mount(const char *mnt, long timeout_ms, pid_t child) {
    /* child > 0: give up early when that process has exited (kill(pid, 0) fails). */
    dev_t pd = parent_dev_of(mnt);
    uint64_t deadline = mono() + (uint64_t)timeout_ms * 1000000ull;
    struct timespec nap = {0, 100000}; /* 100 us */
    while (!mounted(mnt, pd)) {
        if (child > 0) {
            if (kill(child, 0) != 0 && errno == ESRCH) {
                fprintf(stderr, "metadrv: daemon %d exited before mounting %s\n", (int)child, mnt);
                return -1;
            }
        }
        if (mono() > deadline) {
            fprintf(stderr, "metadrv: %s not mounted after %ld ms\n", mnt, timeout_ms);
            return -1;
        }
        nanosleep(&nap, NULL);
    }
    return 0;
}
static int cmd_waitmount(int argc, char **argv) {
    if (argc < 4) return 2;
    pid_t child = argc > 4 ? (pid_t)atol(argv[4]) : 0;
    if (poll_mount(argv[2], atol(argv[3]), child) != 0) return 1;
    printf("%llu\n", (unsigned long long)now_ns(CLOCK_REALTIME));
    return 0;
}
int main(int argc, char **argv) {
    int rc = 2;
    if (argc >= 2) {
        if (!strcmp(argv[1], "populate")) rc = cmd_populate(argc, argv);
        else if (!strcmp(argv[1], "statstorm")) rc = cmd_statstorm(argc, argv);
        else if (!strcmp(argv[1], "walk")) rc = cmd_walk(argc, argv);
        else if (!strcmp(argv[1], "cwu")) rc = cmd_cwu(argc, argv);
        else if (!strcmp(argv[1], "waitmount")) rc = cmd_waitmount(argc, argv);
    }
    if (rc == 2) fprintf(stderr, "usage: see the header of perf/driver/metadrv.c\n");
    fflush(stdout);
    return rc;
}
