/* A second process for the lock tests: opens PATH read-write and runs its commands in order, one result line
 * each (stdout, unbuffered), so a test compares what the same script gets on ext4 and through a mount.
 *   setlk:T:S:L  setlkw:T:S:L  getlk:T:S:L     fcntl F_SETLK/F_SETLKW/F_GETLK, T = r|w|u, S start, L length
 *   ofd-setlk... ofd-setlkw... ofd-getlk...    the same with open file description locks
 *   alarm:MS     SIGALRM after MS ms, handler without SA_RESTART (a waiting F_SETLKW then fails with EINTR)
 *   sleep:MS     wait      (read one line from stdin)      reopen  (close the file: this process's locks go)
 *   rawpid       getlk from now on prints the lock's pid as a number
 * Results: "ok", an errno name, or for getlk "unlck" / "T S L pid=parent|-1|other" (rawpid: "pid=N").    */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EDEADLK: return "EDEADLK";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ENOLCK: return "ENOLCK";
    case ENOSYS: return "ENOSYS";
    case EIO: return "EIO";
    default: return "E?";
    }
}

static void on_alarm(int sig) { (void)sig; }

static int rawpid;

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) return 2;
    const char *path = argv[1];
    int fd = open(path, O_RDWR);
    if (fd < 0) { printf("open %s\n", errname(errno)); return 1; }
    for (int i = 2; i < argc; i++) {
        char cmd[32], t = 0;
        long long s = 0, l = 0;
        if (sscanf(argv[i], "%31[a-z-]:%c:%lld:%lld", cmd, &t, &s, &l) == 4) {
            struct flock fl;
            memset(&fl, 0, sizeof fl);
            fl.l_type = t == 'r' ? F_RDLCK : t == 'w' ? F_WRLCK : F_UNLCK;
            fl.l_whence = SEEK_SET;
            fl.l_start = s;
            fl.l_len = l;
            int c = !strcmp(cmd, "setlk") ? F_SETLK : !strcmp(cmd, "setlkw") ? F_SETLKW : !strcmp(cmd, "getlk") ? F_GETLK
                  : !strcmp(cmd, "ofd-setlk") ? F_OFD_SETLK : !strcmp(cmd, "ofd-setlkw") ? F_OFD_SETLKW
                  : !strcmp(cmd, "ofd-getlk") ? F_OFD_GETLK : -1;
            if (c < 0) { printf("bad %s\n", argv[i]); return 2; }
            if (fcntl(fd, c, &fl) < 0) { printf("%s\n", errname(errno)); continue; }
            if (c != F_GETLK && c != F_OFD_GETLK) { printf("ok\n"); continue; }
            if (fl.l_type == F_UNLCK) { printf("unlck\n"); continue; }
            if (rawpid) {
                printf("%c %lld %lld pid=%d\n", fl.l_type == F_RDLCK ? 'r' : 'w', (long long)fl.l_start, (long long)fl.l_len,
                       (int)fl.l_pid);
                continue;
            }
            printf("%c %lld %lld pid=%s\n", fl.l_type == F_RDLCK ? 'r' : 'w', (long long)fl.l_start, (long long)fl.l_len,
                   fl.l_pid == getppid() ? "parent" : fl.l_pid == -1 ? "-1" : "other");
        } else if (sscanf(argv[i], "alarm:%lld", &s) == 1) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_alarm;          /* no SA_RESTART */
            sigaction(SIGALRM, &sa, NULL);
            struct itimerval it = { { 0, 0 }, { s / 1000, (s % 1000) * 1000 } };
            setitimer(ITIMER_REAL, &it, NULL);
            printf("ok\n");
        } else if (sscanf(argv[i], "sleep:%lld", &s) == 1) {
            usleep((useconds_t)(s * 1000));
            printf("ok\n");
        } else if (!strcmp(argv[i], "wait")) {
            char line[64];
            if (!fgets(line, sizeof line, stdin)) return 3;
            printf("ok\n");
        } else if (!strcmp(argv[i], "rawpid")) {
            rawpid = 1;
            printf("ok\n");
        } else if (!strcmp(argv[i], "reopen")) {
            close(fd);
            fd = open(path, O_RDWR);
            printf(fd < 0 ? "E\n" : "ok\n");
        } else {
            printf("bad %s\n", argv[i]);
            return 2;
        }
    }
    return 0;
}
