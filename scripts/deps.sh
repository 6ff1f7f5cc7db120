#!/usr/bin/env bash
# Install what building and testing FastFuse needs on a fresh Debian machine (idempotent, quiet when all is there).
# Usage: scripts/deps.sh [extra-package ...]
# Prints nothing on standard output: callers capture other scripts' results there (bin=$(scripts/publish.sh)).
# Progress and apt's own output go to standard error.
set -euo pipefail
exec 1>&2   # from here on, standard output is standard error (apt-get and dpkg included)
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v ld.lld >/dev/null 2>&1 || need+=(lld)
command -v fusermount3 >/dev/null 2>&1 || need+=(fuse3)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v file >/dev/null 2>&1 || need+=(file)
[ -f /usr/include/linux/fuse.h ] || need+=(linux-libc-dev)
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "[deps] installing: ${need[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  if [ ! -f /tmp/.fastfuse-apt-updated ]; then
    $sudo_cmd apt-get update -qq && touch /tmp/.fastfuse-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
