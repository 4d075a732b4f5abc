#!/usr/bin/env bash
# Re-captures the GC traces shipped beside this script (needs a Go toolchain).
# Usage: ./capture.sh [OUTDIR] [REPEATS]   — defaults: ./traces and 3 runs per GOGC value.
# Each run writes gogcNNN_runK.trace.txt (stderr: one gctrace line per GC cycle)
# and gogcNNN_runK.summary.json (stdout: the program's own runtime.MemStats summary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/traces"}
repeats=${2:-3}
mkdir -p "$out"
bin=$(mktemp -d)/alloc
go build -o "$bin" "$here/alloc.go"
for run in $(seq 1 "$repeats"); do          # interleave settings so drift hits all of them alike
  for gogc in 50 100 200 400; do
    name=$(printf 'gogc%03d_run%d' "$gogc" "$run")
    GOGC=$gogc GODEBUG=gctrace=1 "$bin" 2>"$out/$name.trace.txt" >"$out/$name.summary.json"
    echo "$name: $(grep -c '^gc ' "$out/$name.trace.txt") GC cycles"
  done
done
rm -f "$bin"
