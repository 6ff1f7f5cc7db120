#!/usr/bin/env bash
# scripts/dist.sh — the release folder, in one command:
#   dist/bin/fastfuse                         the CLI: static-pie, stripped
#   dist/lib/libfastfuse.so.MAJOR.MINOR.PATCH the C ABI as a shared library, soname libfastfuse.so.MAJOR, with the
#   dist/lib/libfastfuse.so.MAJOR, .so        symlinks a program finds and links against
#   dist/lib/libfastfuse.a                    the same as a static archive: the library and the NativeAOT runtime in
#                                             one archive; a program links it with -lm -lpthread -ldl -lrt (its
#                                             pkg-config Libs.private), into a shared-libc or a cc -static program
#   dist/include/fastfuse.h
#   dist/lib/pkgconfig/fastfuse.pc            relocatable (paths from the .pc file's own place)
# The version is <Version> in Directory.Build.props, the one the CLI prints, fastfuse_version() answers and the
# header's FASTFUSE_VERSION_* macros say (checked here). Standard output: the dist folder's path; progress on stderr.
# Environment: FASTFUSE_BIN, the CLI to ship when it is already built (default: scripts/publish.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps.sh binutils pkg-config
version=$(sed -n 's:.*<Version>\([0-9.]*\)</Version>.*:\1:p' Directory.Build.props | head -1)
IFS=. read -r major minor patch <<<"$version"
h=native/include/fastfuse.h
for part in "MAJOR $major" "MINOR $minor" "PATCH $patch"; do
  set -- $part
  grep -q "^#define FASTFUSE_VERSION_$1 $2\$" "$h" || { echo "dist: $h does not say FASTFUSE_VERSION_$1 $2 (version $version)" >&2; exit 1; }
done

dist=$root/dist work=$root/out/dist-work
rm -rf "$dist" "$work"
mkdir -p "$dist/bin" "$dist/lib/pkgconfig" "$dist/include" "$work"

echo "[dist] fastfuse $version: the CLI" >&2
# FASTFUSE_BIN: a fastfuse binary already published by scripts/publish.sh (the test suite passes the one ./test built).
bin=${FASTFUSE_BIN:-}
[ -n "$bin" ] || bin=$(scripts/publish.sh)
install -m 755 "$bin" "$dist/bin/fastfuse"
strip --strip-all "$dist/bin/fastfuse"

echo "[dist] libfastfuse.so.$version" >&2
dotnet publish native/FastFuse.Native -c Release -r linux-x64 -o "$work/shared" -nologo -v quiet >&2
install -m 755 "$work/shared/FastFuse.Native.so" "$dist/lib/libfastfuse.so.$version"
ln -s "libfastfuse.so.$version" "$dist/lib/libfastfuse.so.$major"
ln -s "libfastfuse.so.$major" "$dist/lib/libfastfuse.so"

echo "[dist] libfastfuse.a" >&2
dotnet publish native/FastFuse.Native -c Release -r linux-x64 -o "$work/static" -nologo -v quiet -p:NativeLib=Static >&2
# The runtime's own archives come from the NativeAOT runtime pack this build used (named in the assets file).
rt=$(python3 - "$root/native/FastFuse.Native/obj/project.assets.json" <<'PY'
import json, os, sys
deps = json.load(open(sys.argv[1]))["project"]["frameworks"]["net10.0"]["downloadDependencies"]
pack = next(d for d in deps if d["name"].lower() == "microsoft.netcore.app.runtime.nativeaot.linux-x64")
version = pack["version"].strip("[]").split(",")[0].strip()
home = os.environ.get("NUGET_PACKAGES") or os.path.join(os.path.expanduser("~"), ".nuget", "packages")
print(os.path.join(home, pack["name"].lower(), version, "runtimes", "linux-x64", "native"))
PY
)
[ -f "$rt/libRuntime.WorkstationGC.a" ] || { echo "dist: no NativeAOT runtime archives in $rt" >&2; exit 1; }
# libbootstrapperdll.o starts the runtime from a static constructor and defines nothing a program calls: an archive
# would never pull it in. Joined with the library's own object (ld -r), it comes with the first fastfuse_ call.
ld -r --whole-archive "$work/static/FastFuse.Native.a" "$rt/libbootstrapperdll.o" -o "$work/fastfuse.o"
# The runtime's System.Native was built against an older glibc whose mknod() called __xmknod, which today's glibc
# keeps only as a compat symbol of libc.so and not at all in libc.a: this shim answers it, so the archive links into
# a program with a shared libc and into a `cc -static` one alike, with nothing more than -lm -lpthread -ldl -lrt.
cat >"$work/xmknod.c" <<'C'
#include <sys/stat.h>
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev) { (void)ver; return mknod(path, mode, *dev); }
C
cc -O2 -fPIC -c "$work/xmknod.c" -o "$work/xmknod.o"
{
  echo "CREATE $dist/lib/libfastfuse.a"
  echo "ADDMOD $work/fastfuse.o"
  echo "ADDMOD $work/xmknod.o"
  # The order the runtime links them in (libaotminipal after System.Native, which calls it).
  for a in libRuntime.WorkstationGC.a libRuntime.VxsortDisabled.a libeventpipe-disabled.a libstandalonegc-disabled.a \
           libSystem.Native.a libSystem.IO.Compression.Native.a libaotminipal.a libz.a libstdc++compat.a; do
    echo "ADDLIB $rt/$a"
  done
  echo "SAVE"
  echo "END"
} | ar -M
strip --strip-debug "$dist/lib/libfastfuse.a"

install -m 644 "$h" "$dist/include/fastfuse.h"
cat >"$dist/lib/pkgconfig/fastfuse.pc" <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: fastfuse
Description: FastFuse's C ABI: a FUSE runtime that speaks /dev/fuse itself
URL: https://github.com/fastfuse/fastfuse
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lfastfuse
Libs.private: -lm -lpthread -ldl -lrt
PC
rm -rf "$work"
echo "[dist] $(du -sh "$dist" | cut -f1) in $dist:" >&2
(cd "$dist" && find . -type f -o -type l | sort | while read -r f; do printf '  %-36s %s\n' "$f" "$( [ -L "$f" ] && echo "-> $(readlink "$f")" || du -h "$f" | cut -f1)"; done) >&2
echo "$dist"
