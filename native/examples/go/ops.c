/* ops.c — the callback table of hello.go: its exported Go functions, in a struct fastfuse_ops. */
#include "fastfuse.h"
#include "_cgo_export.h"

fastfuse_session *hello_mount(const char *mountpoint)
{
	/* The exported functions take non-const pointers where the table's members take const ones: same ABI. */
	struct fastfuse_ops ops = {
		.lookup = (void *)goLookup,
		.getattr = (void *)goGetattr,
		.open = (void *)goOpen,
		.read = (void *)goRead,
		.readdir = (void *)goReaddir,
	};
	return fastfuse_mount(mountpoint, "fsname=hello-go,subtype=hello", &ops, sizeof ops, NULL, 0);
}
