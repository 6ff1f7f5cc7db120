// gofuse-loopback: go-fuse's fs.NewLoopbackRoot, started with the same
// options as `fastfuse loopback SOURCE MOUNTPOINT -f -o ...`.
// With -o direct_io every Open/Create returns FOPEN_DIRECT_IO.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"fastfuse.perf/gofuse/internal/opts"
	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// dioNode is a LoopbackNode whose opened files bypass the page cache.
type dioNode struct {
	fs.LoopbackNode
}

func (n *dioNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	fh, ff, e := n.LoopbackNode.Open(ctx, flags)
	return fh, ff | fuse.FOPEN_DIRECT_IO, e
}

func (n *dioNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	in, fh, ff, e := n.LoopbackNode.Create(ctx, name, flags, mode, out)
	return in, fh, ff | fuse.FOPEN_DIRECT_IO, e
}

func main() {
	o := opts.Parse(2, "gofuse-loopback SOURCE MOUNTPOINT -f -o entry_timeout=S,attr_timeout=S,negative_timeout=S[,direct_io]")
	src, mnt := o.Positional[0], o.Positional[1]
	var st syscall.Stat_t
	if err := syscall.Stat(src, &st); err != nil {
		fmt.Fprintf(os.Stderr, "stat %s: %v\n", src, err)
		os.Exit(1)
	}
	root := &fs.LoopbackRoot{Path: src, Dev: uint64(st.Dev)}
	if o.DirectIO {
		root.NewNode = func(r *fs.LoopbackRoot, _ *fs.Inode, _ string, _ *syscall.Stat_t) fs.InodeEmbedder {
			return &dioNode{fs.LoopbackNode{RootData: r}}
		}
	}
	var rootNode fs.InodeEmbedder
	if o.DirectIO {
		rootNode = &dioNode{fs.LoopbackNode{RootData: root}}
	} else {
		n, err := fs.NewLoopbackRoot(src)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loopback %s: %v\n", src, err)
			os.Exit(1)
		}
		rootNode = n
	}
	opts.Serve(mnt, rootNode, o.FsOptions("gofuse-loopback"))
}
