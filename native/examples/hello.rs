//! hello.rs — the hello filesystem of hello.c in Rust, std only: the C ABI (fastfuse.h) declared by hand below.
//!
//!   native/build.sh
//!   rustc -O native/examples/hello.rs -L out/native -l fastfuse -C link-arg=-Wl,-rpath,$PWD/out/native -o out/native/hello-rs
//!   out/native/hello-rs /tmp/mnt        # serves until SIGINT/SIGTERM, then unmounts and exits 0
//!
//! Builds with any rustc from 1.63 (Debian 12's) on, std only. Only the part of the ABI this filesystem uses is declared. The structs are the kernel's <linux/fuse.h> layouts
//! (fuse_attr 88 bytes, fuse_entry_out 128, fuse_attr_out 104, fuse_open_out 16), checked by the asserts in main;
//! the callback table is a prefix of struct fastfuse_ops, which fastfuse_mount accepts with its size.

use std::ffi::{c_void, CStr, CString};
use std::os::raw::{c_char, c_int};
use std::mem::size_of;

const ENOENT: c_int = 2;
const EINVAL: c_int = 22;
const EISDIR: c_int = 21;
const ENOTDIR: c_int = 20;
const EACCES: c_int = 13;
const EBUSY: c_int = 16;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const ROOT: u64 = 1;
const HELLO: u64 = 2;
const NAME: &[u8] = b"hello";
const DATA: &[u8] = b"Hello from Rust\n";

#[repr(C)]
#[derive(Default)]
struct FuseAttr {
    ino: u64, size: u64, blocks: u64, atime: u64, mtime: u64, ctime: u64,
    atimensec: u32, mtimensec: u32, ctimensec: u32, mode: u32, nlink: u32, uid: u32, gid: u32, rdev: u32,
    blksize: u32, flags: u32,
}

#[repr(C)]
struct FuseEntryOut { nodeid: u64, generation: u64, entry_valid: u64, attr_valid: u64, entry_valid_nsec: u32, attr_valid_nsec: u32, attr: FuseAttr }

#[repr(C)]
struct FuseAttrOut { attr_valid: u64, attr_valid_nsec: u32, dummy: u32, attr: FuseAttr }

#[repr(C)]
struct FuseOpenOut { fh: u64, open_flags: u32, backing_id: i32 }

/// struct fastfuse_ctx: who asked.
#[repr(C)]
struct Ctx { unique: u64, nodeid: u64, uid: u32, gid: u32, pid: u32, umask: u32 }

type Cb = Option<unsafe extern "C" fn()>;   // a callback this filesystem leaves NULL (ENOSYS)

/// The first 24 members of struct fastfuse_ops, in the header's order.
#[repr(C)]
struct Ops {
    lookup: Option<unsafe extern "C" fn(*mut c_void, *const Ctx, u64, *const c_char, usize, *mut FuseEntryOut) -> c_int>,
    getattr: Option<unsafe extern "C" fn(*mut c_void, *const Ctx, u64, u64, c_int, *mut FuseAttrOut) -> c_int>,
    setattr: Cb, readlink: Cb, mknod: Cb, mkdir: Cb, unlink: Cb, rmdir: Cb, symlink: Cb, rename: Cb, link: Cb,
    open: Option<unsafe extern "C" fn(*mut c_void, *const Ctx, u64, c_int, *mut FuseOpenOut) -> c_int>,
    read: Option<unsafe extern "C" fn(*mut c_void, *const Ctx, u64, u64, i64, usize, *mut c_void, *mut usize) -> c_int>,
    write: Cb, statfs: Cb, release: Cb, fsync: Cb, setxattr: Cb, getxattr: Cb, listxattr: Cb, removexattr: Cb, flush: Cb,
    opendir: Cb,
    readdir: Option<unsafe extern "C" fn(*mut c_void, *const Ctx, u64, u64, i64, *mut c_void) -> c_int>,
}

#[link(name = "fastfuse")]
extern "C" {
    fn fastfuse_mount(mountpoint: *const c_char, options: *const c_char, ops: *const Ops, ops_size: usize,
                      userdata: *mut c_void, threads: c_int) -> *mut c_void;
    fn fastfuse_start(s: *mut c_void) -> c_int;
    fn fastfuse_unmount(s: *mut c_void, lazy: c_int) -> c_int;
    fn fastfuse_destroy(s: *mut c_void);
    fn fastfuse_last_error() -> *const c_char;
    fn fastfuse_version() -> *const c_char;
    fn fastfuse_dir_add(db: *mut c_void, name: *const c_char, ino: u64, mode_type: u32, next_off: i64) -> c_int;
}

// libc, for the signal mask (std has no sigwait): sigset_t is 128 bytes on Linux.
type SigSet = [u64; 16];
extern "C" {
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, sig: c_int) -> c_int;
    fn pthread_sigmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, sig: *mut c_int) -> c_int;
    fn getuid() -> u32;
    fn getgid() -> u32;
}

struct Hello { mounted_at: u64, uid: u32, gid: u32 }

fn fill(h: &Hello, ino: u64, a: &mut FuseAttr) -> c_int {
    a.ino = ino;
    a.atime = h.mounted_at;
    a.mtime = h.mounted_at;
    a.ctime = h.mounted_at;
    a.uid = h.uid;
    a.gid = h.gid;
    a.blksize = 4096;
    match ino {
        ROOT => { a.mode = S_IFDIR | 0o555; a.nlink = 2; a.size = 4096; 0 }
        HELLO => { a.mode = S_IFREG | 0o444; a.nlink = 1; a.size = DATA.len() as u64; a.blocks = 1; 0 }
        _ => -ENOENT,
    }
}

unsafe extern "C" fn lookup(ud: *mut c_void, _: *const Ctx, parent: u64, name: *const c_char, len: usize, out: *mut FuseEntryOut) -> c_int {
    if parent != ROOT { return if parent == HELLO { -ENOTDIR } else { -ENOENT }; }
    if std::slice::from_raw_parts(name as *const u8, len) != NAME { return -ENOENT; }
    let e = &mut *out;
    e.nodeid = HELLO;
    e.entry_valid = 1;
    e.attr_valid = 1;
    fill(&*(ud as *const Hello), HELLO, &mut e.attr)
}

unsafe extern "C" fn getattr(ud: *mut c_void, _: *const Ctx, ino: u64, _fh: u64, _has_fh: c_int, out: *mut FuseAttrOut) -> c_int {
    (*out).attr_valid = 1;
    fill(&*(ud as *const Hello), ino, &mut (*out).attr)
}

unsafe extern "C" fn open(_: *mut c_void, _: *const Ctx, ino: u64, flags: c_int, out: *mut FuseOpenOut) -> c_int {
    if ino == ROOT { return -EISDIR; }
    if ino != HELLO { return -ENOENT; }
    if flags & 3 != 0 || flags & 0o1000 != 0 { return -EACCES; }   // O_ACCMODE, O_TRUNC
    (*out).open_flags = 2;                                         // FOPEN_KEEP_CACHE
    0
}

unsafe extern "C" fn read(_: *mut c_void, _: *const Ctx, ino: u64, _fh: u64, off: i64, size: usize, buf: *mut c_void, len: *mut usize) -> c_int {
    if ino != HELLO { return -EISDIR; }
    if off < 0 { return -EINVAL; }
    let start = (off as usize).min(DATA.len());
    let n = (DATA.len() - start).min(size);
    std::ptr::copy_nonoverlapping(DATA.as_ptr().add(start), buf as *mut u8, n);
    *len = n;
    0
}

unsafe extern "C" fn readdir(_: *mut c_void, _: *const Ctx, ino: u64, _fh: u64, off: i64, db: *mut c_void) -> c_int {
    if ino != ROOT { return -ENOTDIR; }
    let entries: [(&[u8], u64, u32); 3] = [(b".\0", ROOT, S_IFDIR), (b"..\0", ROOT, S_IFDIR), (b"hello\0", HELLO, S_IFREG)];
    for (i, (name, ino, kind)) in entries.iter().enumerate().skip(off.max(0) as usize) {
        if fastfuse_dir_add(db, name.as_ptr() as *const c_char, *ino, *kind, i as i64 + 1) <= 0 { break; }
    }
    0
}

fn error() -> String { unsafe { CStr::from_ptr(fastfuse_last_error()).to_string_lossy().into_owned() } }

fn main() {
    assert_eq!((size_of::<FuseAttr>(), size_of::<FuseEntryOut>(), size_of::<FuseAttrOut>(), size_of::<FuseOpenOut>(), size_of::<Ctx>()),
               (88, 128, 104, 16, 32));
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: {} MOUNTPOINT", args[0]);
        std::process::exit(2);
    }
    unsafe {
        // SIGINT and SIGTERM blocked before any thread exists: the workers inherit the mask, main takes them.
        let mut sigs: SigSet = [0; 16];
        sigemptyset(&mut sigs);
        sigaddset(&mut sigs, 2);
        sigaddset(&mut sigs, 15);
        pthread_sigmask(0 /* SIG_BLOCK */, &sigs, std::ptr::null_mut());

        let mut hello = Hello { mounted_at: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), uid: getuid(), gid: getgid() };
        let ops = Ops {
            lookup: Some(lookup), getattr: Some(getattr), setattr: None, readlink: None, mknod: None, mkdir: None,
            unlink: None, rmdir: None, symlink: None, rename: None, link: None, open: Some(open), read: Some(read),
            write: None, statfs: None, release: None, fsync: None, setxattr: None, getxattr: None, listxattr: None,
            removexattr: None, flush: None, opendir: None, readdir: Some(readdir),
        };
        let mnt = CString::new(args[1].as_str()).unwrap();
        let s = fastfuse_mount(mnt.as_ptr(), b"fsname=hello-rs,subtype=hello\0".as_ptr() as *const c_char, &ops, size_of::<Ops>(),
                               &mut hello as *mut Hello as *mut c_void, 0);
        if s.is_null() {
            eprintln!("hello-rs: {}", error());
            std::process::exit(1);
        }
        if fastfuse_start(s) != 0 {
            eprintln!("hello-rs: {}", error());
            fastfuse_destroy(s);
            std::process::exit(1);
        }
        println!("{}: serving {} (Ctrl-C to unmount)", CStr::from_ptr(fastfuse_version()).to_string_lossy(), args[1]);
        let mut sig: c_int = 0;
        sigwait(&sigs, &mut sig);
        let mut r = fastfuse_unmount(s, 0);
        if r == EBUSY { r = fastfuse_unmount(s, 1); }
        if r != 0 { eprintln!("hello-rs: unmount: {}", error()); }
        fastfuse_destroy(s);
        std::process::exit(if r == 0 { 0 } else { 1 });
    }
}
