#!/bin/sh
# Build libfastfuse.so (NativeAOT shared library) and put it, with fastfuse.h, in out/native/.
#   native/build.sh            → out/native/libfastfuse.so, out/native/fastfuse.h
#   native/build.sh --examples → also out/native/hello (needs cc)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/out/native"
cd "$root"
dotnet publish native/FastFuse.Native -c Release -r linux-x64 -o "$out" -nologo -v quiet
cp "$out/FastFuse.Native.so" "$out/libfastfuse.so"
cp native/include/fastfuse.h "$out/fastfuse.h"
echo "built $out/libfastfuse.so"
if [ "${1:-}" = "--examples" ]; then
    cc -O2 -Wall -Wextra -I native/include native/examples/hello.c -L "$out" -lfastfuse -Wl,-rpath,'$ORIGIN' -o "$out/hello"
    echo "built $out/hello"
fi
