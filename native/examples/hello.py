#!/usr/bin/env python3
"""hello.py — the hello filesystem of hello.c, in Python with ctypes over libfastfuse.so.

    native/build.sh
    python3 native/examples/hello.py /tmp/mnt [-o OPTIONS]     # serves until SIGINT/SIGTERM, then unmounts

The library is looked up next to this file's ../../out/native/, or through FASTFUSE_LIB.
Callbacks run on the library's worker threads; ctypes takes the GIL for each call.
"""
import ctypes as C
import errno
import os
import signal
import stat
import sys
import time

# ---- <linux/fuse.h> structs (the layouts FastFuse shares with the kernel) -----------------------------------

class fuse_attr(C.Structure):
    _fields_ = [("ino", C.c_uint64), ("size", C.c_uint64), ("blocks", C.c_uint64),
                ("atime", C.c_uint64), ("mtime", C.c_uint64), ("ctime", C.c_uint64),
                ("atimensec", C.c_uint32), ("mtimensec", C.c_uint32), ("ctimensec", C.c_uint32),
                ("mode", C.c_uint32), ("nlink", C.c_uint32), ("uid", C.c_uint32), ("gid", C.c_uint32),
                ("rdev", C.c_uint32), ("blksize", C.c_uint32), ("flags", C.c_uint32)]

class fuse_entry_out(C.Structure):
    _fields_ = [("nodeid", C.c_uint64), ("generation", C.c_uint64), ("entry_valid", C.c_uint64),
                ("attr_valid", C.c_uint64), ("entry_valid_nsec", C.c_uint32), ("attr_valid_nsec", C.c_uint32),
                ("attr", fuse_attr)]

class fuse_attr_out(C.Structure):
    _fields_ = [("attr_valid", C.c_uint64), ("attr_valid_nsec", C.c_uint32), ("dummy", C.c_uint32),
                ("attr", fuse_attr)]

class fuse_open_out(C.Structure):
    _fields_ = [("fh", C.c_uint64), ("open_flags", C.c_uint32), ("backing_id", C.c_int32)]

assert C.sizeof(fuse_attr) == 88 and C.sizeof(fuse_entry_out) == 128
assert C.sizeof(fuse_attr_out) == 104 and C.sizeof(fuse_open_out) == 16

class fastfuse_ctx(C.Structure):
    _fields_ = [("unique", C.c_uint64), ("nodeid", C.c_uint64), ("uid", C.c_uint32), ("gid", C.c_uint32),
                ("pid", C.c_uint32), ("umask", C.c_uint32)]

# ---- struct fastfuse_ops: every member a function pointer, in the header's order -----------------------------

P = C.c_void_p
CTX = C.POINTER(fastfuse_ctx)
U64, I64, U32, SZ = C.c_uint64, C.c_int64, C.c_uint32, C.c_size_t

LOOKUP = C.CFUNCTYPE(C.c_int, P, CTX, U64, C.c_char_p, SZ, C.POINTER(fuse_entry_out))
GETATTR = C.CFUNCTYPE(C.c_int, P, CTX, U64, U64, C.c_int, C.POINTER(fuse_attr_out))
OPEN = C.CFUNCTYPE(C.c_int, P, CTX, U64, C.c_int, C.POINTER(fuse_open_out))
READ = C.CFUNCTYPE(C.c_int, P, CTX, U64, U64, I64, SZ, P, C.POINTER(SZ))
READDIR = C.CFUNCTYPE(C.c_int, P, CTX, U64, U64, I64, P)

OPS = ["lookup", "getattr", "setattr", "readlink", "mknod", "mkdir", "unlink", "rmdir", "symlink", "rename",
       "link", "open", "read", "write", "statfs", "release", "fsync", "setxattr", "getxattr", "listxattr",
       "removexattr", "flush", "opendir", "readdir", "releasedir", "fsyncdir", "access", "create", "forget",
       "fallocate", "lseek", "copy_file_range", "init", "destroy", "getlk", "setlk", "bmap", "syncfs"]
TYPED = {"lookup": LOOKUP, "getattr": GETATTR, "open": OPEN, "read": READ, "readdir": READDIR}

class fastfuse_ops(C.Structure):
    _fields_ = [(name, TYPED.get(name, C.c_void_p)) for name in OPS]

# ---- the library ----------------------------------------------------------------------------------------------

here = os.path.dirname(os.path.abspath(__file__))
lib = C.CDLL(os.environ.get("FASTFUSE_LIB", os.path.join(here, "..", "..", "out", "native", "libfastfuse.so")))
lib.fastfuse_mount.restype = C.c_void_p
lib.fastfuse_mount.argtypes = [C.c_char_p, C.c_char_p, C.POINTER(fastfuse_ops), SZ, P, C.c_int]
lib.fastfuse_start.argtypes = [C.c_void_p]
lib.fastfuse_unmount.argtypes = [C.c_void_p, C.c_int]
lib.fastfuse_destroy.argtypes = [C.c_void_p]
lib.fastfuse_destroy.restype = None
lib.fastfuse_last_error.restype = C.c_char_p
lib.fastfuse_version.restype = C.c_char_p
lib.fastfuse_dir_add.argtypes = [P, C.c_char_p, U64, U32, I64]
lib.fastfuse_dir_is_plus.argtypes = [P]

# ---- the filesystem -------------------------------------------------------------------------------------------

ROOT, HELLO = 1, 2
NAME, DATA = b"hello", b"Hello from Python\n"
MOUNTED_AT = int(time.time())

def fill(ino, a):
    a.ino = ino
    a.atime = a.mtime = a.ctime = MOUNTED_AT
    a.uid, a.gid, a.blksize = os.getuid(), os.getgid(), 4096
    if ino == ROOT:
        a.mode, a.nlink, a.size = stat.S_IFDIR | 0o555, 2, 4096
    elif ino == HELLO:
        a.mode, a.nlink, a.size, a.blocks = stat.S_IFREG | 0o444, 1, len(DATA), 1
    else:
        return -errno.ENOENT
    return 0

@LOOKUP
def lookup(ud, ctx, parent, name, namelen, out):
    if parent != ROOT:
        return -errno.ENOENT
    if name[:namelen] != NAME:
        return -errno.ENOENT
    e = out.contents
    e.nodeid, e.entry_valid, e.attr_valid = HELLO, 1, 1
    return fill(HELLO, e.attr)

@GETATTR
def getattr(ud, ctx, ino, fh, has_fh, out):
    out.contents.attr_valid = 1
    return fill(ino, out.contents.attr)

@OPEN
def open_(ud, ctx, ino, flags, out):
    if ino != HELLO:
        return -errno.EISDIR if ino == ROOT else -errno.ENOENT
    if flags & os.O_ACCMODE != os.O_RDONLY:
        return -errno.EACCES
    return 0

@READ
def read(ud, ctx, ino, fh, off, size, buf, length):
    chunk = DATA[off:off + size]
    C.memmove(buf, chunk, len(chunk))
    length[0] = len(chunk)
    return 0

@READDIR
def readdir(ud, ctx, ino, fh, off, db):
    if ino != ROOT:
        return -errno.ENOTDIR
    entries = [(b".", ROOT, stat.S_IFDIR), (b"..", ROOT, stat.S_IFDIR), (NAME, HELLO, stat.S_IFREG)]
    for i in range(off, len(entries)):
        name, ino_, kind = entries[i]
        # in READDIRPLUS mode this adds the entry without attributes: the kernel looks it up
        if lib.fastfuse_dir_add(db, name, ino_, kind, i + 1) <= 0:
            break
    return 0

def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "-o"):
        print(f"usage: {sys.argv[0]} MOUNTPOINT [-o OPTIONS]", file=sys.stderr)
        return 2
    options = sys.argv[3] if len(sys.argv) == 4 else "fsname=hello-py,subtype=hello"
    ops = fastfuse_ops(lookup=lookup, getattr=getattr, open=open_, read=read, readdir=readdir)

    # As in hello.c: block the signals before the library starts threads, then take them with sigwait.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    s = lib.fastfuse_mount(sys.argv[1].encode(), options.encode(), C.byref(ops), C.sizeof(ops), None, 0)
    if not s:
        print(f"hello.py: {lib.fastfuse_last_error().decode()}", file=sys.stderr)
        return 1
    if lib.fastfuse_start(s) != 0:
        print(f"hello.py: {lib.fastfuse_last_error().decode()}", file=sys.stderr)
        lib.fastfuse_destroy(s)
        return 1
    print(f"{lib.fastfuse_version().decode()}: serving {sys.argv[1]} (Ctrl-C to unmount)", flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    r = lib.fastfuse_unmount(s, 0)
    if r == errno.EBUSY:
        r = lib.fastfuse_unmount(s, 1)
    if r != 0:
        print(f"hello.py: unmount: {lib.fastfuse_last_error().decode()}", file=sys.stderr)
    lib.fastfuse_destroy(s)
    return 0 if r == 0 else 1

if __name__ == "__main__":
    sys.exit(main())
