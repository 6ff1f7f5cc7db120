module fastfuse.perf/gofuse

go 1.19

require (
	github.com/hanwen/go-fuse/v2 v2.1.0
	github.com/kylelemons/godebug v0.0.0-20170820004349-d65d576e9348 // indirect
	golang.org/x/sync v0.0.0-20201207232520-09787c993a3a // indirect
	golang.org/x/sys v0.0.0-20180830151530-49385e6e1522 // indirect
)

// Built offline from Debian's packages (golang-github-hanwen-go-fuse-dev & friends):
// perf/run builds with GOPROXY=off GOFLAGS=-mod=mod.
replace (
	github.com/hanwen/go-fuse/v2 => /usr/share/gocode/src/github.com/hanwen/go-fuse
	github.com/kylelemons/godebug => /usr/share/gocode/src/github.com/kylelemons/godebug
	golang.org/x/sync => /usr/share/gocode/src/golang.org/x/sync
	golang.org/x/sys => /usr/share/gocode/src/golang.org/x/sys
)
