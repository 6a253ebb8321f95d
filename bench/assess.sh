#!/usr/bin/env bash
# Times `citadel assess` on generated cities of 10k, 100k and 1M devices and
# prints the median wall time of several runs and the peak resident memory.
# The goal (issue 2): 1M devices in at most 10 s and 4 GiB on 2 cores.
#
# Wall time depends on what else the machine runs; cpu_s (user + system,
# median) is the steadier figure on a shared machine.
#
# Usage: bench/assess.sh [RUNS]   (default 5 runs per size)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/citadel" ./cmd/citadel
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(go version)"
printf "%-10s %-8s %-8s %-10s %-10s %-10s %s\n" devices assets nodes median_s cpu_s peak_MiB "runs (s)"
for n in 10000 100000 1000000; do
	city="$out/city-$n.yaml"
	"$out/citadel" gen --devices "$n" --seed 1 -o "$city"
	times=()
	cpus=()
	peak=0
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" "$out/citadel" assess "$city" --json > "$out/report-$n.json"
		read -r s kb u sy < "$out/time.txt"
		times+=("$s")
		cpus+=("$(awk -v a="$u" -v b="$sy" 'BEGIN{print a+b}')")
		(( kb > peak )) && peak=$kb
	done
	median=$(printf "%s\n" "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	cpu=$(printf "%s\n" "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	assets=$(python3 -c "import json;print(json.load(open('$out/report-$n.json'))['summary']['assets'])" 2>/dev/null || echo "?")
	nodes=$(python3 -c "import json;print(json.load(open('$out/report-$n.json'))['summary']['graph_nodes'])" 2>/dev/null || echo "?")
	printf "%-10s %-8s %-8s %-10s %-10s %-10s %s\n" "$n" "$assets" "$nodes" "$median" "$cpu" "$((peak / 1024))" "${times[*]}"
done
