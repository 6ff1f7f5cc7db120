#!/bin/sh
# Build libfastfuse.so (NativeAOT shared library) and put it, with fastfuse.h, in out/native/.
#   native/build.sh            → out/native/libfastfuse.so, out/native/fastfuse.h
#   native/build.sh --examples → also out/native/hello (needs cc)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/out/native"
cd "$root"
dotnet publish native/FastFuse.Native -c Release -r linux-x64 -o "$out" -nologo -v quiet
version=$(sed -n 's:.*<Version>\([0-9.]*\)</Version>.*:\1:p' Directory.Build.props | head -1)
cp "$out/FastFuse.Native.so" "$out/libfastfuse.so.$version"
# the soname is libfastfuse.so.MAJOR: programs linked with -lfastfuse look for that name at run time
ln -sf "libfastfuse.so.$version" "$out/libfastfuse.so.${version%%.*}"
ln -sf "libfastfuse.so.${version%%.*}" "$out/libfastfuse.so"
cp native/include/fastfuse.h "$out/fastfuse.h"
echo "built $out/libfastfuse.so"
if [ "${1:-}" = "--examples" ]; then
    cc -O2 -Wall -Wextra -I native/include native/examples/hello.c -L "$out" -lfastfuse -Wl,-rpath,'$ORIGIN' -o "$out/hello"
    echo "built $out/hello"
fi
