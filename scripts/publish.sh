#!/usr/bin/env bash
# Build the `fastfuse` static-pie binary with NativeAOT into out/bin/fastfuse.
# Standard output: the binary's path, one line, nothing else (bin=$(scripts/publish.sh)); progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh >&2
out=out/bin
dotnet publish runtime/FastFuse.Cli -c Release -r linux-x64 --nologo -v quiet \
  -p:StaticExecutable=true -p:InvariantGlobalization=true -p:LinkerFlavor=lld -o "$out" >&2
# The assembly is FastFuse.Cli (a `fastfuse` assembly would clash with `FastFuse` in the AOT compiler's
# case-insensitive lookup); the binary users run is `fastfuse`.
mv -f "$out/FastFuse.Cli" "$out/fastfuse"
rm -f "$out"/*.pdb "$out/FastFuse.Cli.dbg"
echo "$out/fastfuse"
