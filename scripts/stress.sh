#!/usr/bin/env bash
# The unmount storm (and the dispatcher fuzz) with more iterations than CI runs.
# Usage: scripts/stress.sh [--long] [--fuzz]
#   default   200 storm cycles (as in CI)
#   --long    1,000 storm cycles and 5,000,000 fuzz buffers
#   --fuzz    also run the dispatcher fuzz (1,000,000 buffers; 5,000,000 with --long)
# Needs root and /dev/fuse (the storm mounts by DirectMount). Prints the reply counters and the elapsed time.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=200
fuzz_iterations=1000000
filter="FullyQualifiedName~FastFuse.Tests.Robustness.UnmountStormTests"
for a in "$@"; do
  case "$a" in
    --long) cycles=1000; fuzz_iterations=5000000 ;;
    --fuzz) filter="$filter|FullyQualifiedName~FastFuse.Tests.Robustness.DispatcherFuzzTests" ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "stress.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
export FASTFUSE_STORM_CYCLES=$cycles FASTFUSE_FUZZ_ITERATIONS=$fuzz_iterations
log=$(mktemp /tmp/fastfuse-stress.XXXXXX.log)
start=$(date +%s.%N)
set +e
dotnet test tests/FastFuse.Tests --filter "$filter" --logger "console;verbosity=detailed" >"$log" 2>&1
rc=$?
set -e
end=$(date +%s.%N)
grep -E '^\s*(storm|fuzz): ' "$log" | sed -E 's/^\s+//' | sort -u || true
grep -E '^\s*(Passed|Failed|Total tests|Error Message)' "$log" | head -20 || true
printf 'stress: %d storm cycles, exit %d, elapsed %.1f s (full log: %s)\n' "$cycles" "$rc" "$(echo "$end - $start" | bc)" "$log"
exit $rc
