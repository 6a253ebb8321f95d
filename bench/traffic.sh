#!/usr/bin/env bash
# Times `citadel traffic run` on the two SUMO reference scenarios (1 h each)
# with the built-in cell transmission model and, when sumo is installed,
# with --engine sumo (SUMO 1.15 driven over TraCI on loopback), and prints
# the median wall and CPU time of several runs with the key aggregates.
#
# Wall time depends on what else the machine runs; cpu_s (user + system of
# citadel and sumo, median) is the steadier figure on a shared machine.
#
# Usage: bench/traffic.sh [RUNS]   (default 5 runs per scenario and engine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/citadel" ./cmd/citadel
data=${CITADEL_SHARED_DATA:-../shared/data}/traffic
echo "machine: $(nproc) cores; $(go version); sumo: $(command -v sumo >/dev/null && sumo --version | head -1 || echo 'not installed')"
engines=(ctm)
command -v sumo >/dev/null && engines+=(sumo)
printf "%-20s %-6s %-9s %-8s %-9s %-9s %-9s %s\n" scenario engine median_s cpu_s inserted arrived mean_tt "runs (s)"
for sc in "single-intersection single-intersection.net.xml single-intersection-vhvh.rou.xml" \
	"grid4x4 4x4.net.xml 4x4c1.rou.xml"; do
	read -r name net rou <<<"$sc"
	for eng in "${engines[@]}"; do
		times=()
		cpus=()
		for _ in $(seq "$runs"); do
			/usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$out/citadel" traffic run \
				"$data/$name/inputs/$net" "$data/$name/inputs/$rou" --engine "$eng" --json >"$out/traffic-$name-$eng.json"
			read -r s u sy <"$out/time.txt"
			times+=("$s")
			cpus+=("$(awk -v a="$u" -v b="$sy" 'BEGIN{print a+b}')")
		done
		median=$(printf "%s\n" "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
		cpu=$(printf "%s\n" "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
		read -r ins arr tt < <(python3 -c "import json;r=json.load(open('$out/traffic-$name-$eng.json'))['result'];print(round(r['inserted']),round(r['arrived']),round(r['mean_travel_time_s'],1))")
		printf "%-20s %-6s %-9s %-8s %-9s %-9s %-9s %s\n" "$name" "$eng" "$median" "$cpu" "$ins" "$arr" "$tt" "${times[*]}"
	done
done
echo "SUMO's reference (statistics.xml): single-intersection 2152 inserted, 2090 arrived, 103.4 s; grid4x4 10133, 9776, 124.8 s"
