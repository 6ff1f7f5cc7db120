#!/usr/bin/env python3
"""memfs.py — a read-write filesystem kept in memory, in Python 3 with ctypes over libfastfuse.so.

    native/build.sh
    python3 native/examples/memfs.py /tmp/mnt [-o OPTIONS]   # serves until SIGINT/SIGTERM, then unmounts, exits 0
    python3 native/examples/memfs.py --layout                # the struct layouts this file declares, one per line

Files, directories, symlinks and hard links; chmod/chown/truncate/utimens; rename with RENAME_NOREPLACE and
RENAME_EXCHANGE; statfs. Everything is lost at unmount.

Most callbacks answer in the synchronous style: return 0 or -errno and fill the out struct the library passes.
`read` shows the asynchronous style: it copies ctx->req, queues the request to a Python worker thread and returns
FASTFUSE_ASYNC; the worker answers with fastfuse_reply_buf (or fastfuse_reply_err). A library without the reply
functions (before 0.2) gets a synchronous read instead.

The library: $FASTFUSE_LIB, else libfastfuse.so next to this file, else ../../out/native/ (the repo's build), else
wherever ctypes.util.find_library("fastfuse") finds it. Callbacks run on the library's worker threads (ctypes takes
the GIL for each call); one lock keeps the tree consistent. An exception in a callback answers EIO.

For tests, MEMFS_FAIL=WORD makes a lookup of the name WORD, and a read of a file that holds exactly the bytes WORD,
raise an exception inside the callback (and the read worker): both must answer EIO.
"""
import ctypes as C
import ctypes.util
import errno
import os
import queue
import signal
import stat
import sys
import threading
import time
import traceback

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
    # backing_id is `padding` in <linux/fuse.h> before 7.40
    _fields_ = [("fh", C.c_uint64), ("open_flags", C.c_uint32), ("backing_id", C.c_int32)]

class fuse_setattr_in(C.Structure):
    _fields_ = [("valid", C.c_uint32), ("padding", C.c_uint32), ("fh", C.c_uint64), ("size", C.c_uint64),
                ("lock_owner", C.c_uint64), ("atime", C.c_uint64), ("mtime", C.c_uint64), ("ctime", C.c_uint64),
                ("atimensec", C.c_uint32), ("mtimensec", C.c_uint32), ("ctimensec", C.c_uint32),
                ("mode", C.c_uint32), ("unused4", C.c_uint32), ("uid", C.c_uint32), ("gid", C.c_uint32),
                ("unused5", C.c_uint32)]

class fuse_kstatfs(C.Structure):
    _fields_ = [("blocks", C.c_uint64), ("bfree", C.c_uint64), ("bavail", C.c_uint64), ("files", C.c_uint64),
                ("ffree", C.c_uint64), ("bsize", C.c_uint32), ("namelen", C.c_uint32), ("frsize", C.c_uint32),
                ("padding", C.c_uint32), ("spare", C.c_uint32 * 6)]

class fuse_statfs_out(C.Structure):
    _fields_ = [("st", fuse_kstatfs)]

FATTR_MODE, FATTR_UID, FATTR_GID, FATTR_SIZE = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FATTR_ATIME, FATTR_MTIME, FATTR_ATIME_NOW, FATTR_MTIME_NOW, FATTR_CTIME = 1 << 4, 1 << 5, 1 << 7, 1 << 8, 1 << 10
RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4

# ---- fastfuse.h --------------------------------------------------------------------------------------------------

FASTFUSE_ASYNC = 0x41535943   # "ASYC"

class fastfuse_ctx(C.Structure):
    _fields_ = [("unique", C.c_uint64), ("nodeid", C.c_uint64), ("uid", C.c_uint32), ("gid", C.c_uint32),
                ("pid", C.c_uint32), ("umask", C.c_uint32),
                ("req", C.c_void_p)]   # fastfuse_req *, an opaque token (since 0.2)

assert C.sizeof(fuse_attr) == 88 and C.sizeof(fuse_entry_out) == 128 and C.sizeof(fuse_attr_out) == 104
assert C.sizeof(fuse_open_out) == 16 and C.sizeof(fuse_setattr_in) == 88 and C.sizeof(fuse_statfs_out) == 80
assert C.sizeof(fastfuse_ctx) == 40

P, I, SZ = C.c_void_p, C.c_int, C.c_size_t
U64, I64, U32 = C.c_uint64, C.c_int64, C.c_uint32
CTX = C.POINTER(fastfuse_ctx)
ENTRY, ATTR, OPEN = C.POINTER(fuse_entry_out), C.POINTER(fuse_attr_out), C.POINTER(fuse_open_out)
CB = C.CFUNCTYPE

# Every member of struct fastfuse_ops in the header's order, with the prototype of the ones memfs sets
# (None: a member memfs leaves NULL, declared as a plain pointer).
OPS = [
    ("lookup", CB(I, P, CTX, U64, P, SZ, ENTRY)),
    ("getattr", CB(I, P, CTX, U64, U64, I, ATTR)),
    ("setattr", CB(I, P, CTX, U64, C.POINTER(fuse_setattr_in), ATTR)),
    ("readlink", CB(I, P, CTX, U64, P, SZ, C.POINTER(SZ))),
    ("mknod", CB(I, P, CTX, U64, P, SZ, U32, U32, ENTRY)),
    ("mkdir", CB(I, P, CTX, U64, P, SZ, U32, ENTRY)),
    ("unlink", CB(I, P, CTX, U64, P, SZ)),
    ("rmdir", CB(I, P, CTX, U64, P, SZ)),
    ("symlink", CB(I, P, CTX, U64, P, SZ, P, SZ, ENTRY)),
    ("rename", CB(I, P, CTX, U64, P, SZ, U64, P, SZ, U32)),
    ("link", CB(I, P, CTX, U64, U64, P, SZ, ENTRY)),
    ("open", CB(I, P, CTX, U64, I, OPEN)),
    ("read", CB(I, P, CTX, U64, U64, I64, SZ, P, C.POINTER(SZ))),
    ("write", CB(I, P, CTX, U64, U64, I64, P, SZ, U32, C.POINTER(U32))),
    ("statfs", CB(I, P, CTX, U64, C.POINTER(fuse_statfs_out))),
    ("release", CB(I, P, CTX, U64, U64, I, U32, U64)),
    ("fsync", CB(I, P, CTX, U64, U64, I)),
    ("setxattr", None), ("getxattr", None), ("listxattr", None), ("removexattr", None),
    ("flush", CB(I, P, CTX, U64, U64, U64)),
    ("opendir", CB(I, P, CTX, U64, I, OPEN)),
    ("readdir", CB(I, P, CTX, U64, U64, I64, P)),
    ("releasedir", CB(I, P, CTX, U64, U64, I)),
    ("fsyncdir", CB(I, P, CTX, U64, U64, I)),
    ("access", None),
    ("create", CB(I, P, CTX, U64, P, SZ, U32, I, ENTRY, OPEN)),
    ("forget", CB(None, P, U64, U64)),
    ("fallocate", None), ("lseek", None), ("copy_file_range", None), ("init", None),
    ("destroy", CB(None, P)),
    ("getlk", None), ("setlk", None), ("bmap", None), ("syncfs", None),
    ("forget_multi", None), ("tmpfile", None), ("statx", None), ("poll", None), ("ioctl", None),
]
PROTO = dict(OPS)

class fastfuse_ops(C.Structure):
    # Grow-only: fastfuse_mount gets sizeof(this), so a newer library treats the members after ioctl as NULL.
    _fields_ = [(name, proto or C.c_void_p) for name, proto in OPS]

assert C.sizeof(fastfuse_ops) == 43 * C.sizeof(C.c_void_p)

# ---- the library -------------------------------------------------------------------------------------------------

def find_library():
    if os.environ.get("FASTFUSE_LIB"):
        return os.environ["FASTFUSE_LIB"]
    here = os.path.dirname(os.path.abspath(__file__))
    for path in (os.path.join(here, "libfastfuse.so"), os.path.join(here, "..", "..", "out", "native", "libfastfuse.so")):
        if os.path.exists(path):
            return path
    return ctypes.util.find_library("fastfuse") or "libfastfuse.so"

def load_library():
    lib = C.CDLL(find_library())
    lib.fastfuse_mount.restype = C.c_void_p
    lib.fastfuse_mount.argtypes = [C.c_char_p, C.c_char_p, C.POINTER(fastfuse_ops), SZ, P, I]
    lib.fastfuse_run.argtypes = [P]
    lib.fastfuse_unmount.argtypes = [P, I]
    lib.fastfuse_destroy.argtypes = [P]
    lib.fastfuse_destroy.restype = None
    lib.fastfuse_last_error.restype = C.c_char_p
    lib.fastfuse_version.restype = C.c_char_p
    lib.fastfuse_dir_add.argtypes = [P, C.c_char_p, U64, U32, I64]
    lib.fastfuse_dir_add_plus.argtypes = [P, C.c_char_p, ENTRY, I64]
    lib.fastfuse_dir_is_plus.argtypes = [P]
    if hasattr(lib, "fastfuse_reply_buf"):   # 0.2
        lib.fastfuse_reply_buf.argtypes = [P, C.c_char_p, SZ]
        lib.fastfuse_reply_err.argtypes = [P, I]
        lib.fastfuse_req_interrupted.argtypes = [P]
    return lib

lib = None   # loaded in main(), after the signals are blocked

# ---- the tree ----------------------------------------------------------------------------------------------------

ROOT = 1
TTL = 1   # seconds the kernel may cache names and attributes

class Node:
    __slots__ = ("ino", "mode", "uid", "gid", "rdev", "nlink", "nlookup", "data", "children", "parent", "target",
                 "atime", "mtime", "ctime")

    def __init__(self, ino, mode, uid, gid, rdev=0):
        now = time.time_ns()
        self.ino, self.mode, self.uid, self.gid, self.rdev = ino, mode, uid, gid, rdev
        self.nlink = 2 if stat.S_ISDIR(mode) else 1
        self.nlookup = 0                    # the kernel's references (lookup replies minus forgets)
        self.data = bytearray()             # a regular file's bytes
        self.children = {} if stat.S_ISDIR(mode) else None   # name (bytes) -> ino
        self.parent = 0                     # a directory's parent, for ".."
        self.target = b""                   # a symlink's target
        self.atime = self.mtime = self.ctime = now

    def size(self):
        if self.children is not None:
            return 4096
        return len(self.target) if stat.S_ISLNK(self.mode) else len(self.data)

    def fill(self, a):
        a.ino, a.mode, a.nlink, a.uid, a.gid, a.rdev = self.ino, self.mode, self.nlink, self.uid, self.gid, self.rdev
        a.size = self.size()
        a.blocks = (a.size + 511) // 512
        a.blksize = 4096
        a.atime, a.atimensec = divmod(self.atime, 10**9)
        a.mtime, a.mtimensec = divmod(self.mtime, 10**9)
        a.ctime, a.ctimensec = divmod(self.ctime, 10**9)

class MemFs:
    def __init__(self):
        self.lock = threading.RLock()
        self.nodes = {}
        self.next_ino = ROOT
        self.next_fh = 1
        self.dirs = {}      # opendir handle -> the entries it lists, taken at offset 0
        root = self.new_node(stat.S_IFDIR | 0o755, os.getuid(), os.getgid())
        root.parent = ROOT
        root.nlookup = 1 << 62   # never forgotten

    def new_node(self, mode, uid, gid, rdev=0):
        node = Node(self.next_ino, mode, uid, gid, rdev)
        self.nodes[node.ino] = node
        self.next_ino += 1
        return node

    def node(self, ino):
        node = self.nodes.get(ino)
        if node is None:
            raise OSError(errno.ENOENT, "no such node")
        return node

    def dir(self, ino):
        node = self.node(ino)
        if node.children is None:
            raise OSError(errno.ENOTDIR, "not a directory")
        return node

    def child(self, parent, name):
        ino = self.dir(parent).children.get(name)
        if ino is None:
            raise OSError(errno.ENOENT, "no such entry")
        return self.nodes[ino]

    def entry(self, node, out):
        """Fill a fuse_entry_out for a reply that gives the kernel one more reference to node."""
        e = out.contents
        e.nodeid, e.entry_valid, e.attr_valid = node.ino, TTL, TTL
        node.fill(e.attr)
        node.nlookup += 1
        return 0

    def maybe_free(self, node):
        if node.nlink == 0 and node.nlookup == 0 and node.ino != ROOT:
            del self.nodes[node.ino]

    def add(self, parent, name, mode, ctx, rdev=0):
        """A new node in directory parent (EEXIST if the name is taken), owned by the caller."""
        d = self.dir(parent)
        if name in d.children:
            raise OSError(errno.EEXIST, "exists")
        c = ctx.contents
        gid = d.gid if d.mode & stat.S_ISGID else c.gid
        node = self.new_node(mode, c.uid, gid, rdev)
        d.children[name] = node.ino
        if node.children is not None:
            node.parent = d.ino
            d.nlink += 1
        d.mtime = d.ctime = node.ctime
        return node

    def drop_link(self, d, name):
        node = self.nodes[d.children.pop(name)]
        if node.children is not None:
            node.nlink = 0
            d.nlink -= 1
        else:
            node.nlink -= 1
        d.mtime = d.ctime = node.ctime = time.time_ns()
        self.maybe_free(node)

fs = MemFs()

def name_of(p, n):
    return C.string_at(p, n)

def masked(mode, ctx):
    return mode & ~ctx.contents.umask

# ---- callbacks -----------------------------------------------------------------------------------------------

CALLBACKS = {}

def callback(name):
    """Make f the `name` member of the table: its result (None = 0) is the answer; an OSError answers its errno,
    any other exception EIO (printed), so nothing escapes into ctypes (which would print it and answer 0)."""
    def wrap(f):
        proto = PROTO[name]
        if proto._restype_ is None:
            def safe(*args):
                try:
                    f(*args)
                except BaseException:
                    traceback.print_exc()
        else:
            def safe(*args):
                try:
                    r = f(*args)
                    return 0 if r is None else r
                except OSError as e:
                    return -(e.errno or errno.EIO)
                except BaseException:
                    traceback.print_exc()
                    return -errno.EIO
        CALLBACKS[name] = proto(safe)   # kept referenced for the whole mount
        return f
    return wrap

FAIL = os.environ.get("MEMFS_FAIL", "").encode() or None

@callback("lookup")
def lookup(ud, ctx, parent, name, namelen, out):
    n = name_of(name, namelen)
    if n == FAIL:
        raise RuntimeError("MEMFS_FAIL: an exception in lookup")
    with fs.lock:
        return fs.entry(fs.child(parent, n), out)

@callback("forget")
def forget(ud, ino, nlookup):
    with fs.lock:
        node = fs.nodes.get(ino)
        if node is not None and ino != ROOT:
            node.nlookup = max(0, node.nlookup - nlookup)
            fs.maybe_free(node)

@callback("getattr")
def getattr_(ud, ctx, ino, fh, has_fh, out):
    with fs.lock:
        fs.node(ino).fill(out.contents.attr)
    out.contents.attr_valid = TTL

def set_time(valid, bit, now_bit, sec, nsec):
    if valid & now_bit:
        return time.time_ns()
    return sec * 10**9 + nsec if valid & bit else None

@callback("setattr")
def setattr_(ud, ctx, ino, in_, out):
    s = in_.contents
    v = s.valid
    with fs.lock:
        node = fs.node(ino)
        now = time.time_ns()
        if v & FATTR_SIZE and not stat.S_ISREG(node.mode):
            return -errno.EISDIR if node.children is not None else -errno.EINVAL
        if v & FATTR_MODE:
            node.mode = stat.S_IFMT(node.mode) | (s.mode & 0o7777)
        if v & FATTR_UID:
            node.uid = s.uid
        if v & FATTR_GID:
            node.gid = s.gid
        if v & FATTR_SIZE:
            if s.size < len(node.data):
                del node.data[s.size:]
            else:
                node.data.extend(bytes(s.size - len(node.data)))
            node.mtime = now
        t = set_time(v, FATTR_ATIME, FATTR_ATIME_NOW, s.atime, s.atimensec)
        if t is not None:
            node.atime = t
        t = set_time(v, FATTR_MTIME, FATTR_MTIME_NOW, s.mtime, s.mtimensec)
        if t is not None:
            node.mtime = t
        node.ctime = s.ctime * 10**9 + s.ctimensec if v & FATTR_CTIME else now
        node.fill(out.contents.attr)
    out.contents.attr_valid = TTL

@callback("readlink")
def readlink(ud, ctx, ino, buf, size, length):
    with fs.lock:
        node = fs.node(ino)
        if not stat.S_ISLNK(node.mode):
            return -errno.EINVAL
        target = node.target[:size]
    C.memmove(buf, target, len(target))
    length[0] = len(target)

@callback("mknod")
def mknod(ud, ctx, parent, name, namelen, mode, rdev, out):
    if stat.S_IFMT(mode) not in (stat.S_IFREG, stat.S_IFIFO, stat.S_IFSOCK, stat.S_IFCHR, stat.S_IFBLK):
        return -errno.EINVAL
    with fs.lock:
        return fs.entry(fs.add(parent, name_of(name, namelen), masked(mode, ctx), ctx, rdev), out)

@callback("mkdir")
def mkdir(ud, ctx, parent, name, namelen, mode, out):
    with fs.lock:
        return fs.entry(fs.add(parent, name_of(name, namelen), stat.S_IFDIR | masked(mode & 0o7777, ctx), ctx), out)

@callback("symlink")
def symlink(ud, ctx, parent, name, namelen, target, targetlen, out):
    with fs.lock:
        node = fs.add(parent, name_of(name, namelen), stat.S_IFLNK | 0o777, ctx)
        node.target = name_of(target, targetlen)
        return fs.entry(node, out)

@callback("link")
def link(ud, ctx, ino, newparent, newname, newnamelen, out):
    with fs.lock:
        node, d, name = fs.node(ino), fs.dir(newparent), name_of(newname, newnamelen)
        if node.children is not None:
            return -errno.EPERM
        if name in d.children:
            return -errno.EEXIST
        d.children[name] = node.ino
        node.nlink += 1
        d.mtime = d.ctime = node.ctime = time.time_ns()
        return fs.entry(node, out)

@callback("unlink")
def unlink(ud, ctx, parent, name, namelen):
    with fs.lock:
        d, n = fs.dir(parent), name_of(name, namelen)
        if fs.child(parent, n).children is not None:
            return -errno.EISDIR
        fs.drop_link(d, n)

@callback("rmdir")
def rmdir(ud, ctx, parent, name, namelen):
    with fs.lock:
        d, n = fs.dir(parent), name_of(name, namelen)
        node = fs.child(parent, n)
        if node.children is None:
            return -errno.ENOTDIR
        if node.children:
            return -errno.ENOTEMPTY
        fs.drop_link(d, n)

@callback("rename")
def rename(ud, ctx, parent, name, namelen, newparent, newname, newnamelen, flags):
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
        return -errno.EINVAL   # RENAME_WHITEOUT is for overlay filesystems
    with fs.lock:
        src_dir, dst_dir = fs.dir(parent), fs.dir(newparent)
        old, new = name_of(name, namelen), name_of(newname, newnamelen)
        node = fs.child(parent, old)
        dst_ino = dst_dir.children.get(new)
        now = time.time_ns()
        if dst_ino == node.ino:
            return 0   # two names of one node (or the same name): nothing to do
        if flags & RENAME_EXCHANGE:
            if dst_ino is None:
                return -errno.ENOENT
            other = fs.nodes[dst_ino]
            src_dir.children[old], dst_dir.children[new] = other.ino, node.ino
            for moved, to in ((node, dst_dir), (other, src_dir)):
                if moved.children is not None and moved.parent != to.ino:
                    fs.nodes[moved.parent].nlink -= 1
                    to.nlink += 1
                    moved.parent = to.ino
                moved.ctime = now
        else:
            if dst_ino is not None:
                if flags & RENAME_NOREPLACE:
                    return -errno.EEXIST
                target = fs.nodes[dst_ino]
                if target.children is not None:
                    if node.children is None:
                        return -errno.EISDIR
                    if target.children:
                        return -errno.ENOTEMPTY
                elif node.children is not None:
                    return -errno.ENOTDIR
                fs.drop_link(dst_dir, new)
            del src_dir.children[old]
            dst_dir.children[new] = node.ino
            if node.children is not None and src_dir is not dst_dir:
                src_dir.nlink -= 1
                dst_dir.nlink += 1
                node.parent = dst_dir.ino
            node.ctime = now
        src_dir.mtime = src_dir.ctime = dst_dir.mtime = dst_dir.ctime = now

def new_handle():
    fh = fs.next_fh
    fs.next_fh += 1
    return fh

@callback("open")
def open_(ud, ctx, ino, flags, out):
    with fs.lock:
        node = fs.node(ino)
        if node.children is not None:
            return -errno.EISDIR
        if flags & os.O_TRUNC and flags & os.O_ACCMODE != os.O_RDONLY and stat.S_ISREG(node.mode):
            node.data.clear()   # the kernel sends O_TRUNC here when it negotiated FUSE_ATOMIC_O_TRUNC
            node.mtime = node.ctime = time.time_ns()
        out.contents.fh = new_handle()

@callback("create")
def create(ud, ctx, parent, name, namelen, mode, flags, entry, open_out):
    with fs.lock:
        node = fs.add(parent, name_of(name, namelen), stat.S_IFREG | masked(mode & 0o7777, ctx), ctx)
        open_out.contents.fh = new_handle()
        return fs.entry(node, entry)

def read_bytes(ino, off, size):
    with fs.lock:
        node = fs.node(ino)
        if not stat.S_ISREG(node.mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if node.data == FAIL:
            raise RuntimeError("MEMFS_FAIL: an exception in read")
        node.atime = time.time_ns()
        return bytes(node.data[off:off + size])

# The asynchronous read: the callback only queues the request; this thread answers it.
reads = queue.Queue()
answered = [0]   # READs the worker answered

def read_worker():
    while True:
        job = reads.get()
        if job is None:
            return
        req, ino, off, size = job
        try:
            if lib.fastfuse_req_interrupted(req) == 1:
                r = lib.fastfuse_reply_err(req, -errno.EINTR)
            else:
                data = read_bytes(ino, off, size)
                r = lib.fastfuse_reply_buf(req, data, len(data))
                answered[0] += r == 0
        except OSError as e:
            r = lib.fastfuse_reply_err(req, -(e.errno or errno.EIO))
        except BaseException:
            traceback.print_exc()
            r = lib.fastfuse_reply_err(req, -errno.EIO)
        if r != 0 and r != -errno.EALREADY:   # EALREADY: the session ended and answered it EIO already
            print(f"memfs.py: reply to READ: {lib.fastfuse_last_error().decode()}", file=sys.stderr, flush=True)

@callback("read")
def read(ud, ctx, ino, fh, off, size, buf, length):
    if ASYNC_READ:
        reads.put((ctx.contents.req, ino, off, size))   # ctx itself is gone after we return: copy the token
        return FASTFUSE_ASYNC
    data = read_bytes(ino, off, size)
    C.memmove(buf, data, len(data))
    length[0] = len(data)

@callback("write")
def write(ud, ctx, ino, fh, off, data, size, write_flags, written):
    with fs.lock:
        node = fs.node(ino)
        if not stat.S_ISREG(node.mode):
            return -errno.EINVAL
        if off > len(node.data):
            node.data.extend(bytes(off - len(node.data)))
        node.data[off:off + size] = C.string_at(data, size)
        node.mtime = node.ctime = time.time_ns()
    written[0] = size

@callback("statfs")
def statfs(ud, ctx, ino, out):
    st = out.contents.st
    with fs.lock:
        used = sum((n.size() + 4095) // 4096 for n in fs.nodes.values())
        files = len(fs.nodes)
    st.bsize = st.frsize = 4096
    st.blocks = max(1 << 20, used)            # 4 GiB, or what is used
    st.bfree = st.bavail = st.blocks - used
    st.files, st.ffree = files + (1 << 20), 1 << 20
    st.namelen = 255

@callback("release")
def release(ud, ctx, ino, fh, flags, release_flags, lock_owner):
    return 0

@callback("flush")
def flush(ud, ctx, ino, fh, lock_owner):
    return 0

@callback("fsync")
def fsync(ud, ctx, ino, fh, datasync):
    return 0

@callback("fsyncdir")
def fsyncdir(ud, ctx, ino, fh, datasync):
    return 0

@callback("opendir")
def opendir(ud, ctx, ino, flags, out):
    with fs.lock:
        fs.dir(ino)
        fh = new_handle()
        fs.dirs[fh] = None
    out.contents.fh = fh

@callback("releasedir")
def releasedir(ud, ctx, ino, fh, flags):
    with fs.lock:
        fs.dirs.pop(fh, None)

@callback("readdir")
def readdir(ud, ctx, ino, fh, off, db):
    with fs.lock:
        d = fs.dir(ino)
        listing = fs.dirs.get(fh)
        if listing is None or off == 0:   # a listing is taken once per pass (rewinddir starts a new one)
            listing = [(b".", d.ino), (b"..", d.parent)] + sorted(d.children.items())
            fs.dirs[fh] = listing
        plus = lib.fastfuse_dir_is_plus(db) == 1
        for i in range(off, len(listing)):
            name, child = listing[i]
            node = fs.nodes.get(child)
            if node is None:   # removed since the listing was taken
                continue
            if plus and name not in (b".", b".."):
                e = fuse_entry_out(nodeid=node.ino, entry_valid=TTL, attr_valid=TTL)
                node.fill(e.attr)
                r = lib.fastfuse_dir_add_plus(db, name, C.byref(e), i + 1)
                if r == 1:
                    node.nlookup += 1   # the kernel holds one more reference, as after a lookup
            else:
                r = lib.fastfuse_dir_add(db, name, node.ino, stat.S_IFMT(node.mode), i + 1)
            if r <= 0:
                break
        d.atime = time.time_ns()

@callback("destroy")
def destroy(ud):
    print("memfs.py: destroy", flush=True)

# ---- main ----------------------------------------------------------------------------------------------------

ASYNC_READ = False

CONSTANTS = ["FASTFUSE_ASYNC", "FATTR_MODE", "FATTR_UID", "FATTR_GID", "FATTR_SIZE", "FATTR_ATIME", "FATTR_MTIME",
             "FATTR_ATIME_NOW", "FATTR_MTIME_NOW", "FATTR_CTIME"]

def layout():
    """Every struct this file declares, as `struct SIZE` and `struct.member OFFSET` lines, and the header constants
    it uses, as `define NAME VALUE` (a test compares them with the C compiler's)."""
    for name in CONSTANTS:
        print(f"define {name} {globals()[name]}")
    for s in (fuse_attr, fuse_entry_out, fuse_attr_out, fuse_open_out, fuse_setattr_in, fuse_kstatfs,
              fuse_statfs_out, fastfuse_ctx, fastfuse_ops):
        print(f"{s.__name__} {C.sizeof(s)}")
        for name, _ in s._fields_:
            if name not in ("padding", "backing_id", "dummy", "unused4", "unused5", "spare"):   # renamed across versions
                print(f"{s.__name__}.{name} {getattr(s, name).offset}")

def main(argv):
    global lib, ASYNC_READ
    if argv[1:] == ["--layout"]:
        layout()
        return 0
    if len(argv) == 4 and argv[2] == "-o":
        options = argv[3]
    elif len(argv) == 3 and not argv[2].startswith("-"):
        options = argv[2]
    elif len(argv) == 2 and not argv[1].startswith("-"):
        options = "fsname=memfs-py,subtype=memfs,default_permissions"
    else:
        print(f"usage: {argv[0]} MOUNTPOINT [-o OPTIONS] | --layout", file=sys.stderr)
        return 2

    # Block the signals before the library (and its runtime's threads) exist: they inherit the mask, so SIGINT and
    # SIGTERM reach only the sigwait below. Python's own SIGINT handler never runs.
    sigs = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    lib = load_library()
    ASYNC_READ = hasattr(lib, "fastfuse_reply_buf")

    ops = fastfuse_ops(**CALLBACKS)
    s = lib.fastfuse_mount(argv[1].encode(), options.encode(), C.byref(ops), C.sizeof(ops), None, 0)
    if not s:
        print(f"memfs.py: {lib.fastfuse_last_error().decode()}", file=sys.stderr)
        return 1

    # fastfuse_run serves on this thread until the filesystem is unmounted; a signal unmounts it from another.
    state = {"session": s, "unmount": 0}
    guard = threading.Lock()

    def on_signal():
        signal.sigwait(sigs)
        with guard:
            if state["session"]:
                r = lib.fastfuse_unmount(s, 0)
                if r == errno.EBUSY:   # files still open: detach
                    r = lib.fastfuse_unmount(s, 1)
                if r != 0:
                    print(f"memfs.py: unmount: {lib.fastfuse_last_error().decode()}", file=sys.stderr, flush=True)
                state["unmount"] = r

    threading.Thread(target=on_signal, name="signals", daemon=True).start()
    worker = threading.Thread(target=read_worker, name="reads")
    if ASYNC_READ:
        worker.start()
    how = "read answered asynchronously" if ASYNC_READ else "synchronous read: this library has no fastfuse_reply_*"
    print(f"{lib.fastfuse_version().decode()}: serving {argv[1]} ({how}; Ctrl-C to unmount)", flush=True)

    r = lib.fastfuse_run(s)
    if r != 0:
        print(f"memfs.py: fastfuse_run: {os.strerror(r)}", file=sys.stderr)
    with guard:
        state["session"] = None
    if ASYNC_READ:
        reads.put(None)
        worker.join()
    lib.fastfuse_destroy(s)
    if ASYNC_READ:
        print(f"memfs.py: {answered[0]} reads answered from the worker thread", flush=True)
    return 0 if r == 0 and state["unmount"] == 0 else 1

if __name__ == "__main__":
    sys.exit(main(sys.argv))
