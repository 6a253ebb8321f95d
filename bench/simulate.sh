#!/usr/bin/env bash
# Times `citadel simulate` on the embedded sample city: 1,000,000 campaigns
# per attacker policy (no decisions), and prints the median wall time, CPU
# time and campaigns/s of several runs. The goal (issue 5): 1M campaigns in
# at most 60 s on 2 cores. It also checks that the JSON is bit-identical
# across runs and worker counts, then runs the Go benchmark.
#
# Wall time depends on what else the machine runs; cpu_s (user + system) is
# the steadier figure on a shared machine.
#
# Usage: bench/simulate.sh [RUNS] [CAMPAIGNS]   (default 3 runs, 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
n=${2:-1000000}
out=bench/out
mkdir -p "$out"
bin="$out/citadel-simulate"
CGO_ENABLED=0 go build -o "$bin" ./cmd/citadel
echo "machine: $(nproc) cores; $(go version); $n campaigns per run"
printf "%-12s %-9s %-8s %-14s %s\n" attacker median_s cpu_s campaigns/s "runs (s)"
for a in greedy stealthy killchain adaptive coordinated; do
	times=()
	cpus=()
	for i in $(seq "$runs"); do
		/usr/bin/time -f "%e %U %S" -o "$out/sim-time.txt" "$bin" simulate --campaigns "$n" --attacker "$a" --seed 1 --no-decisions --json > "$out/sim-$a-$i.json"
		read -r s u sy < "$out/sim-time.txt"
		times+=("$s")
		cpus+=("$(awk -v a="$u" -v b="$sy" 'BEGIN{print a+b}')")
		if ! cmp -s "$out/sim-$a-1.json" "$out/sim-$a-$i.json"; then
			echo "$a: run $i differs from run 1" >&2
			exit 1
		fi
	done
	median=$(printf "%s\n" "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	cpu=$(printf "%s\n" "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	rate=$(awk -v n="$n" -v s="$median" 'BEGIN{printf "%.0f", n/s}')
	printf "%-12s %-9s %-8s %-14s %s\n" "$a" "$median" "$cpu" "$rate" "${times[*]}"
done
# Same seed, one worker and 4 shards: the same bytes.
"$bin" simulate --campaigns 100000 --attacker adaptive --seed 1 --no-decisions --json --workers 1 --shards 4 > "$out/sim-w1.json"
"$bin" simulate --campaigns 100000 --attacker adaptive --seed 1 --no-decisions --json > "$out/sim-w0.json"
if cmp -s "$out/sim-w1.json" "$out/sim-w0.json"; then
	echo "adaptive, 100k campaigns: 1 worker x 4 shards == all workers x 1 shard (bit-identical JSON)"
else
	echo "adaptive: 1 worker x 4 shards differs from all workers" >&2
	exit 1
fi
go test -run '^$' -bench Campaigns -benchtime 200000x ./internal/sim/
