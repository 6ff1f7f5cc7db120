// gofuse-memfs: an in-memory filesystem on go-fuse's fs API, equivalent to
// FastFuse's MemFs for the operations perf/ measures (lookup, getattr,
// setattr, create, mkdir, unlink, rmdir, rename, readdir(plus), open, read,
// write, flush, fsync). Started like `fastfuse memfs MOUNTPOINT -f -o ...`.
// With -o direct_io, Open/Create return FOPEN_DIRECT_IO.
package main

import (
	"context"
	"sync"
	"syscall"
	"time"

	"fastfuse.perf/gofuse/internal/opts"
	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

var directIO bool

type meta struct {
	mu    sync.Mutex
	mode  uint32
	uid   uint32
	gid   uint32
	atime time.Time
	mtime time.Time
	ctime time.Time
}

func (m *meta) init(ctx context.Context, mode uint32) {
	now := time.Now()
	m.mode, m.atime, m.mtime, m.ctime = mode, now, now, now
	if c, ok := ctx.(*fuse.Context); ok && c != nil {
		m.uid, m.gid = c.Owner.Uid, c.Owner.Gid
	}
}

func (m *meta) fill(a *fuse.Attr) {
	a.Mode = m.mode
	a.Owner = fuse.Owner{Uid: m.uid, Gid: m.gid}
	a.SetTimes(&m.atime, &m.mtime, &m.ctime)
}

func (m *meta) setattr(in *fuse.SetAttrIn) {
	now := time.Now()
	if mode, ok := in.GetMode(); ok {
		m.mode = m.mode&syscall.S_IFMT | mode&07777
	}
	if uid, ok := in.GetUID(); ok {
		m.uid = uid
	}
	if gid, ok := in.GetGID(); ok {
		m.gid = gid
	}
	if t, ok := in.GetATime(); ok {
		m.atime = t
	}
	if t, ok := in.GetMTime(); ok {
		m.mtime = t
	}
	m.ctime = now
}

// ---------- directories ----------

type dirNode struct {
	fs.Inode
	meta
}

var _ = (fs.NodeGetattrer)((*dirNode)(nil))
var _ = (fs.NodeSetattrer)((*dirNode)(nil))
var _ = (fs.NodeCreater)((*dirNode)(nil))
var _ = (fs.NodeMkdirer)((*dirNode)(nil))
var _ = (fs.NodeUnlinker)((*dirNode)(nil))
var _ = (fs.NodeRmdirer)((*dirNode)(nil))
var _ = (fs.NodeRenamer)((*dirNode)(nil))

func (d *dirNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.mu.Lock()
	d.fill(&out.Attr)
	d.mu.Unlock()
	out.Nlink = 2
	out.Size = 4096
	return 0
}

func (d *dirNode) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	d.mu.Lock()
	d.setattr(in)
	d.mu.Unlock()
	return d.Getattr(ctx, fh, out)
}

func (d *dirNode) touch() {
	d.mu.Lock()
	d.mtime = time.Now()
	d.ctime = d.mtime
	d.mu.Unlock()
}

func (d *dirNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if d.GetChild(name) != nil {
		return nil, nil, 0, syscall.EEXIST
	}
	f := &fileNode{}
	f.meta.init(ctx, syscall.S_IFREG|mode&07777)
	ch := d.NewPersistentInode(ctx, f, fs.StableAttr{Mode: syscall.S_IFREG})
	d.touch()
	var a fuse.AttrOut
	f.Getattr(ctx, nil, &a)
	out.Attr = a.Attr
	var ff uint32
	if directIO {
		ff = fuse.FOPEN_DIRECT_IO
	}
	return ch, nil, ff, 0
}

func (d *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if d.GetChild(name) != nil {
		return nil, syscall.EEXIST
	}
	nd := &dirNode{}
	nd.meta.init(ctx, syscall.S_IFDIR|mode&07777)
	ch := d.NewPersistentInode(ctx, nd, fs.StableAttr{Mode: syscall.S_IFDIR})
	d.touch()
	var a fuse.AttrOut
	nd.Getattr(ctx, nil, &a)
	out.Attr = a.Attr
	return ch, 0
}

func (d *dirNode) Unlink(ctx context.Context, name string) syscall.Errno {
	ch := d.GetChild(name)
	if ch == nil {
		return syscall.ENOENT
	}
	if ch.IsDir() {
		return syscall.EISDIR
	}
	d.touch()
	return 0 // the bridge removes the child from the tree
}

func (d *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	ch := d.GetChild(name)
	if ch == nil {
		return syscall.ENOENT
	}
	if !ch.IsDir() {
		return syscall.ENOTDIR
	}
	if len(ch.Children()) > 0 {
		return syscall.ENOTEMPTY
	}
	d.touch()
	return 0
}

func (d *dirNode) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if d.GetChild(name) == nil {
		return syscall.ENOENT
	}
	d.touch()
	return 0 // the bridge moves the child in the tree
}

// ---------- regular files ----------

// Contents are kept in fixed 128 KiB chunks (nil = hole), so growing a file never
// copies what was already written.
const chunkSize = 128 << 10

type fileNode struct {
	fs.Inode
	meta
	dmu    sync.RWMutex
	chunks [][]byte
	size   int64
}

var _ = (fs.NodeOpener)((*fileNode)(nil))
var _ = (fs.NodeReader)((*fileNode)(nil))
var _ = (fs.NodeWriter)((*fileNode)(nil))
var _ = (fs.NodeGetattrer)((*fileNode)(nil))
var _ = (fs.NodeSetattrer)((*fileNode)(nil))
var _ = (fs.NodeFlusher)((*fileNode)(nil))
var _ = (fs.NodeFsyncer)((*fileNode)(nil))

func (f *fileNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		f.dmu.Lock()
		f.truncate(0)
		f.dmu.Unlock()
	}
	if directIO {
		return nil, fuse.FOPEN_DIRECT_IO, 0
	}
	return nil, 0, 0
}

func (f *fileNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.mu.Lock()
	f.fill(&out.Attr)
	f.mu.Unlock()
	f.dmu.RLock()
	out.Size = uint64(f.size)
	f.dmu.RUnlock()
	out.Nlink = 1
	out.Blocks = (out.Size + 511) / 512
	out.Blksize = 4096
	return 0
}

func (f *fileNode) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if sz, ok := in.GetSize(); ok {
		f.dmu.Lock()
		f.truncate(int64(sz))
		f.dmu.Unlock()
		f.mu.Lock()
		f.mtime = time.Now()
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.setattr(in)
	f.mu.Unlock()
	return f.Getattr(ctx, fh, out)
}

// truncate must be called with dmu held.
func (f *fileNode) truncate(n int64) {
	if n < f.size {
		keep := int((n + chunkSize - 1) / chunkSize)
		for i := keep; i < len(f.chunks); i++ {
			f.chunks[i] = nil
		}
		f.chunks = f.chunks[:keep]
		if r := n % chunkSize; r != 0 && keep > 0 && f.chunks[keep-1] != nil {
			c := f.chunks[keep-1]
			for i := r; i < chunkSize; i++ {
				c[i] = 0
			}
		}
	}
	f.size = n
}

func (f *fileNode) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	f.dmu.RLock()
	defer f.dmu.RUnlock()
	if off >= f.size {
		return fuse.ReadResultData(nil), 0
	}
	n := int64(len(dest))
	if off+n > f.size {
		n = f.size - off
	}
	for done := int64(0); done < n; {
		pos := off + done
		idx, co := int(pos/chunkSize), int(pos%chunkSize)
		part := dest[done:n]
		if len(part) > chunkSize-co {
			part = part[:chunkSize-co]
		}
		if idx < len(f.chunks) && f.chunks[idx] != nil {
			copy(part, f.chunks[idx][co:])
		} else {
			for i := range part {
				part[i] = 0
			}
		}
		done += int64(len(part))
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (f *fileNode) Write(ctx context.Context, fh fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	f.dmu.Lock()
	end := off + int64(len(data))
	for need := int((end + chunkSize - 1) / chunkSize); len(f.chunks) < need; {
		f.chunks = append(f.chunks, nil)
	}
	for done := 0; done < len(data); {
		pos := off + int64(done)
		idx, co := int(pos/chunkSize), int(pos%chunkSize)
		if f.chunks[idx] == nil {
			f.chunks[idx] = make([]byte, chunkSize)
		}
		done += copy(f.chunks[idx][co:], data[done:])
	}
	if end > f.size {
		f.size = end
	}
	f.dmu.Unlock()
	f.mu.Lock()
	f.mtime = time.Now()
	f.ctime = f.mtime
	f.mu.Unlock()
	return uint32(len(data)), 0
}

func (f *fileNode) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno { return 0 }

func (f *fileNode) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	return 0
}

func main() {
	o := opts.Parse(1, "gofuse-memfs MOUNTPOINT -f -o entry_timeout=S,attr_timeout=S,negative_timeout=S[,direct_io]")
	directIO = o.DirectIO
	root := &dirNode{}
	root.meta.init(context.Background(), syscall.S_IFDIR|0755)
	opts.Serve(o.Positional[0], root, o.FsOptions("gofuse-memfs"))
}
