#!/usr/bin/env bash
# Install the fastfuse binary and its mount(8) helper link, so fstab lines and `mount -t fuse.fastfuse` work:
#   PREFIX/bin/fastfuse            the static binary (PREFIX defaults to /usr/local)
#   /sbin/mount.fuse.fastfuse      -> PREFIX/bin/fastfuse: mount(8) runs it for type fuse.fastfuse; started by that
#                                  name, fastfuse reads mount(8)'s helper arguments (SOURCE MOUNTPOINT -o OPTIONS)
# Usage: scripts/install.sh [PREFIX]      DESTDIR=/staging scripts/install.sh puts both under /staging instead.
# The binary is FASTFUSE_BIN if set, else built by scripts/publish.sh. Prints the installed paths on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
dest=${DESTDIR:-}
bin=${FASTFUSE_BIN:-}
[ -n "$bin" ] || bin=$(scripts/publish.sh)
[ -x "$bin" ] || { echo "install.sh: $bin is not an executable" >&2; exit 1; }
mkdir -p "$dest$prefix/bin" "$dest/sbin"
install -m 0755 "$bin" "$dest$prefix/bin/fastfuse"
ln -sfn "$prefix/bin/fastfuse" "$dest/sbin/mount.fuse.fastfuse"
echo "$dest$prefix/bin/fastfuse"
echo "$dest/sbin/mount.fuse.fastfuse"
