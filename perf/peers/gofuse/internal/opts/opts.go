// Package opts parses the FastFuse-style command line shared by the go-fuse peers:
//
//	PROG [SOURCE] MOUNTPOINT -f -o entry_timeout=S,attr_timeout=S,negative_timeout=S[,direct_io]
//
// so that perf/run can start every peer with the same option string.
package opts

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

type Options struct {
	Positional      []string
	EntryTimeout    time.Duration
	AttrTimeout     time.Duration
	NegativeTimeout time.Duration
	DirectIO        bool
	Debug           bool
}

func secs(v string) time.Duration {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad timeout %q\n", v)
		os.Exit(2)
	}
	return time.Duration(f * float64(time.Second))
}

// Parse reads os.Args. Defaults match libfuse: 1 s entry/attr, 0 s negative.
func Parse(npos int, usage string) *Options {
	o := &Options{EntryTimeout: time.Second, AttrTimeout: time.Second}
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-f":
		case a == "-d":
			o.Debug = true
		case a == "-o" && i+1 < len(args):
			i++
			for _, kv := range strings.Split(args[i], ",") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "entry_timeout":
					o.EntryTimeout = secs(v)
				case "attr_timeout":
					o.AttrTimeout = secs(v)
				case "negative_timeout":
					o.NegativeTimeout = secs(v)
				case "direct_io":
					o.DirectIO = true
				case "":
				default:
					fmt.Fprintf(os.Stderr, "ignoring unknown option %q\n", kv)
				}
			}
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(os.Stderr, "unknown flag %q\nusage: %s\n", a, usage)
			os.Exit(2)
		default:
			o.Positional = append(o.Positional, a)
		}
	}
	if len(o.Positional) != npos {
		fmt.Fprintf(os.Stderr, "usage: %s\n", usage)
		os.Exit(2)
	}
	return o
}

// FsOptions returns the go-fuse options used by every peer.
func (o *Options) FsOptions(name string) *fs.Options {
	e, a, n := o.EntryTimeout, o.AttrTimeout, o.NegativeTimeout
	return &fs.Options{
		EntryTimeout:    &e,
		AttrTimeout:     &a,
		NegativeTimeout: &n,
		MountOptions: fuse.MountOptions{
			FsName:       name,
			Name:         name,
			Debug:        o.Debug,
			MaxWrite:     fuse.MAX_KERNEL_WRITE, // 128 KiB, go-fuse's maximum
			DirectMount:  os.Geteuid() == 0,     // mount(2) like libfuse does as root; falls back to fusermount3
			AllowOther:   false,
			MaxReadAhead: 128 * 1024,
		},
	}
}

// Serve mounts root, unmounts on SIGINT/SIGTERM, and waits.
func Serve(mnt string, root fs.InodeEmbedder, fo *fs.Options) {
	server, err := fs.Mount(mnt, root, fo)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mount %s: %v\n", mnt, err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		for i := 0; i < 50; i++ {
			if server.Unmount() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		os.Exit(1)
	}()
	server.Wait()
}
