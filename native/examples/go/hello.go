// hello.go — the hello filesystem of hello.c in Go, through cgo and libfastfuse's C ABI (fastfuse.h).
//
//	native/build.sh
//	cd native/examples/go && CGO_CFLAGS="-I$PWD/../../include" CGO_LDFLAGS="-L$PWD/../../../out/native -lfastfuse -Wl,-rpath,$PWD/../../../out/native" go build -o ../../../out/native/hello-go .
//	out/native/hello-go /tmp/mnt        # serves until SIGINT/SIGTERM, then unmounts and exits 0
//
// The callbacks are Go functions exported to C (//export); ops.c puts them in a struct fastfuse_ops, because a Go
// file that exports functions may only declare C in its preamble. Go memory is never handed to the library to keep:
// the userdata is NULL and the state is a Go global.
package main

/*
#include <stdlib.h>
#include "fastfuse.h"
fastfuse_session *hello_mount(const char *mountpoint);
*/
import "C"

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

const (
	rootIno  = 1
	helloIno = 2
)

var (
	helloName = []byte("hello")
	helloData = []byte("Hello from Go\n")
	mountedAt = uint64(time.Now().Unix())
	uid, gid  = uint32(os.Getuid()), uint32(os.Getgid())
)

func fill(ino uint64, a *C.struct_fuse_attr) C.int {
	a.ino = C.uint64_t(ino)
	a.atime, a.mtime, a.ctime = C.uint64_t(mountedAt), C.uint64_t(mountedAt), C.uint64_t(mountedAt)
	a.uid, a.gid = C.uint32_t(uid), C.uint32_t(gid)
	a.blksize = 4096
	switch ino {
	case rootIno:
		a.mode, a.nlink, a.size = C.uint32_t(syscall.S_IFDIR|0o555), 2, 4096
	case helloIno:
		a.mode, a.nlink, a.size, a.blocks = C.uint32_t(syscall.S_IFREG|0o444), 1, C.uint64_t(len(helloData)), 1
	default:
		return -C.int(syscall.ENOENT)
	}
	return 0
}

//export goLookup
func goLookup(ud unsafe.Pointer, ctx *C.struct_fastfuse_ctx, parent C.uint64_t, name *C.char, namelen C.size_t, out *C.struct_fuse_entry_out) C.int {
	if parent != rootIno {
		if parent == helloIno {
			return -C.int(syscall.ENOTDIR)
		}
		return -C.int(syscall.ENOENT)
	}
	if string(C.GoBytes(unsafe.Pointer(name), C.int(namelen))) != string(helloName) {
		return -C.int(syscall.ENOENT)
	}
	out.nodeid, out.entry_valid, out.attr_valid = helloIno, 1, 1
	return fill(helloIno, &out.attr)
}

//export goGetattr
func goGetattr(ud unsafe.Pointer, ctx *C.struct_fastfuse_ctx, ino C.uint64_t, fh C.uint64_t, hasFh C.int, out *C.struct_fuse_attr_out) C.int {
	out.attr_valid = 1
	return fill(uint64(ino), &out.attr)
}

//export goOpen
func goOpen(ud unsafe.Pointer, ctx *C.struct_fastfuse_ctx, ino C.uint64_t, flags C.int, out *C.struct_fuse_open_out) C.int {
	switch {
	case ino == rootIno:
		return -C.int(syscall.EISDIR)
	case ino != helloIno:
		return -C.int(syscall.ENOENT)
	case flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0:
		return -C.int(syscall.EACCES)
	}
	out.open_flags = C.FOPEN_KEEP_CACHE
	return 0
}

//export goRead
func goRead(ud unsafe.Pointer, ctx *C.struct_fastfuse_ctx, ino C.uint64_t, fh C.uint64_t, off C.int64_t, size C.size_t, buf unsafe.Pointer, length *C.size_t) C.int {
	if ino != helloIno {
		return -C.int(syscall.EISDIR)
	}
	if off < 0 {
		return -C.int(syscall.EINVAL)
	}
	start := int(off)
	if start > len(helloData) {
		start = len(helloData)
	}
	n := copy(unsafe.Slice((*byte)(buf), int(size)), helloData[start:])
	*length = C.size_t(n)
	return 0
}

//export goReaddir
func goReaddir(ud unsafe.Pointer, ctx *C.struct_fastfuse_ctx, ino C.uint64_t, fh C.uint64_t, off C.int64_t, db *C.struct_fastfuse_dirbuf) C.int {
	if ino != rootIno {
		return -C.int(syscall.ENOTDIR)
	}
	entries := []struct {
		name string
		ino  uint64
		kind uint32
	}{{".", rootIno, syscall.S_IFDIR}, {"..", rootIno, syscall.S_IFDIR}, {"hello", helloIno, syscall.S_IFREG}}
	for i := int(off); i >= 0 && i < len(entries); i++ {
		name := C.CString(entries[i].name)
		added := C.fastfuse_dir_add(db, name, C.uint64_t(entries[i].ino), C.uint32_t(entries[i].kind), C.int64_t(i+1))
		C.free(unsafe.Pointer(name))
		if added <= 0 {
			break
		}
	}
	return 0
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s MOUNTPOINT\n", os.Args[0])
		os.Exit(2)
	}
	// The Go runtime takes SIGINT and SIGTERM for this channel on whatever thread they land.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	mnt := C.CString(os.Args[1])
	defer C.free(unsafe.Pointer(mnt))
	s := C.hello_mount(mnt)
	if s == nil {
		fmt.Fprintf(os.Stderr, "hello-go: %s\n", C.GoString(C.fastfuse_last_error()))
		os.Exit(1)
	}
	if C.fastfuse_start(s) != 0 {
		fmt.Fprintf(os.Stderr, "hello-go: %s\n", C.GoString(C.fastfuse_last_error()))
		C.fastfuse_destroy(s)
		os.Exit(1)
	}
	fmt.Printf("%s: serving %s (Ctrl-C to unmount)\n", C.GoString(C.fastfuse_version()), os.Args[1])
	<-sigs
	r := C.fastfuse_unmount(s, 0)
	if r == C.int(syscall.EBUSY) {
		r = C.fastfuse_unmount(s, 1)
	}
	if r != 0 {
		fmt.Fprintf(os.Stderr, "hello-go: unmount: %s\n", C.GoString(C.fastfuse_last_error()))
	}
	C.fastfuse_destroy(s)
	if r != 0 {
		os.Exit(1)
	}
}
