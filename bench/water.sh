#!/usr/bin/env bash
# bench/water.sh: whole-process time of `citadel water run` on the shared
# EPANET networks (median of N runs), compared with EPANET's own CLI
# (runepanet) on the same input when it is installed, plus the Go
# benchmarks of the library re-run (the call an attack simulator repeats).
#
# EPANET is not packaged in Debian 12 (apt-cache search epanet finds
# nothing), so without a runepanet on PATH no ratio is printed; the issue
# quotes EPANET 2.3.5 at about 0.08 s for CTOWN and 0.005 s for Net3.
#
# Usage: bench/water.sh [runs]   (default 7). Timings depend on machine load.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
data=${CITADEL_SHARED_DATA:-../shared/data}/water/networks
[[ -d $data ]] || { echo "missing $data (see ../shared/data/water/SOURCES.md)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/citadel" ./cmd/citadel

now() { date +%s.%N; }
# median_time CMD... : runs CMD $runs times, prints the median wall time (s).
median_time() {
	local ts=()
	for ((i = 0; i < runs; i++)); do
		local t0 t1
		t0=$(now)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
		t1=$(now)
		ts+=("$(echo "$t1 - $t0" | bc -l)")
	done
	printf '%s\n' "${ts[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.4f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

epanet=$(command -v runepanet || true)
printf '%-10s %8s %12s %12s %8s\n' network periods citadel_s epanet_s ratio
for n in Net1 Net3 Anytown ky2 Balerma ctown_map CTOWN; do
	inp=$data/$n/$n.inp
	[[ -f $inp ]] || continue
	tc=$(median_time "$tmp/citadel" water run "$inp" --out "$tmp/out-$n")
	periods=$(sed -n 's/^ *"n_periods": \([0-9]*\),*$/\1/p' "$data/$n/ref/meta.json")
	if [[ -n $epanet ]]; then
		te=$(median_time "$epanet" "$inp" "$tmp/$n.rpt" "$tmp/$n.out")
		printf '%-10s %8s %12s %12s %8.2f\n' "$n" "$periods" "$tc" "$te" "$(echo "$tc / $te" | bc -l)"
	else
		printf '%-10s %8s %12s %12s %8s\n' "$n" "$periods" "$tc" "n/a" "n/a"
	fi
done
[[ -n $epanet ]] || echo "runepanet not found on PATH: no EPANET comparison (EPANET is not packaged in Debian)."
echo "library re-run of a loaded network (Go benchmarks):"
go test -run XXX -bench 'BenchmarkRun/(Net1|Net3|ky2|CTOWN)$|BenchmarkLoadCTOWN|BenchmarkWriteCSVCTOWN' -benchtime 5x ./internal/physics/water/ | grep Benchmark
