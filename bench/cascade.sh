#!/usr/bin/env bash
# Times one cascade impact evaluation (issue 7: the sample city in at most
# 50 ms): the sample city with the declared engine and with its MATPOWER
# grid, a 10,000-element graph, and the whole `citadel impact` command.
#
# Wall time depends on what else the machine runs; on a shared machine the
# benchmark figures vary by a factor of 3 or more between runs.
#
# Usage: bench/cascade.sh [COUNT]   (default 3 benchmark runs)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
out=bench/out
mkdir -p "$out"
echo "machine: $(nproc) cores; $(go version)"
go test -run '^$' -bench . -benchmem -count "$count" ./internal/physics/cascade | grep -E '^Benchmark'
CGO_ENABLED=0 go build -o "$out/citadel" ./cmd/citadel
/usr/bin/time -f "citadel impact --effect feeder-f3@0h: %e s wall, %U s user, %M KiB peak" \
	"$out/citadel" impact --effect feeder-f3@0h > "$out/impact.txt"
