#!/usr/bin/env bash
# bench/physics.sh: the physical twin's speed goals (issue 7) in one run:
# AC power flow on case_ACTIVSg500 (goal ≤ 5 ms) and on a 10,000-bus
# synthetic grid (goal ≤ 200 ms), one cascade impact evaluation of the
# sample city (goal ≤ 50 ms), the traffic model on SUMO's scenarios and the
# water library re-run of C-Town. Each engine's own script (bench/grid.sh,
# bench/cascade.sh, bench/traffic.sh, bench/water.sh) compares with peers.
#
# Usage: bench/physics.sh [benchtime]   (default 20x)
set -euo pipefail
cd "$(dirname "$0")/.."
bt="${1:-20x}"
run() { # package, benchmark regexp
	go test "$1" -run '^$' -bench "$2" -benchtime "$bt" -benchmem 2>/dev/null | awk '/^Benchmark/ {
		name=$1; sub(/-[0-9]+$/, "", name)
		for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") printf "%-58s %10.3f ms/op\n", name, $i/1e6
	}'
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); $(go version)"
run ./internal/physics/grid/ 'PowerFlow$|PowerFlowSynthetic10k'
run ./internal/physics/cascade/ 'SampleImpact'
run ./internal/physics/traffic/ 'BenchmarkRun'
run ./internal/physics/water/ 'RunStreamCTOWN|LoadCTOWN'
