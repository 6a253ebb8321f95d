#!/usr/bin/env bash
# bench/grid.sh: time Citadel's power flow on the shared MATPOWER cases and,
# when a peer engine is available on this machine, the same cases with it in
# the same run.
#
# Peers: MATPOWER under GNU Octave (needs `octave` and MATPOWER_DIR pointing
# at a MATPOWER checkout: MATPOWER is not a Debian package), or pandapower
# (needs `python3 -c "import pandapower"`; not a Debian package either).
# Without a peer the script says so and prints Citadel's figures alone.
#
# Usage: bench/grid.sh [benchtime]   (default 200x; the machine may be loaded,
# so read the numbers as upper bounds)
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${1:-200x}"
data="${CITADEL_SHARED_DATA:-../shared/data}/grid/cases"
if [ ! -d "$data" ]; then
	echo "grid cases not found in $data (set CITADEL_SHARED_DATA)" >&2
	exit 1
fi

echo "== Citadel (go test -bench, $benchtime per benchmark)"
go test ./internal/physics/grid/ -run '^$' \
	-bench 'PowerFlow$|PowerFlowSynthetic10k|Cascade|Contingencies|Frequency|ReadCase' \
	-benchtime "$benchtime" -benchmem | awk '
	BEGIN { printf "%-46s %12s %12s\n", "benchmark", "wall ms/op", "cpu ms/op" }
	/^Benchmark/ {
		name=$1; sub(/-[0-9]+$/, "", name); cpu = "-"
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "ns/op") ns = $i
			if ($(i+1) == "cpu-ms/op") cpu = $i
		}
		printf "%-46s %12.3f %12s\n", name, ns / 1e6, cpu
	}'
echo "(cpu ms/op is the process CPU time per operation, steadier than wall time on a shared machine)"

# Citadel's per-case time for the peer comparison: AC Newton, 1e-8 tolerance.
citadel_ms() {
	go test ./internal/physics/grid/ -run '^$' -bench "PowerFlow/$1/ac\$" -benchtime "$benchtime" |
		awk '/^Benchmark/ { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") printf "%.3f", $i / 1e6 }'
}

peer=""
if command -v octave >/dev/null 2>&1 && [ -n "${MATPOWER_DIR:-}" ] && [ -f "$MATPOWER_DIR/lib/runpf.m" ]; then
	peer=matpower
elif python3 -c 'import pandapower' >/dev/null 2>&1; then
	peer=pandapower
fi

if [ -z "$peer" ]; then
	echo
	echo "== peer: none available on this machine."
	echo "   MATPOWER is not packaged by Debian (octave is: apt-get install octave, then set MATPOWER_DIR"
	echo "   to a MATPOWER checkout), and pandapower is not a Debian package; no comparison was run."
	exit 0
fi

echo
echo "== peer: $peer (AC Newton, tolerance 1e-8, time of the solve only, best of 20)"
printf "%-20s %12s %12s %8s\n" case citadel_ms peer_ms ratio
for c in case118 case300 case_ACTIVSg500; do
	ours=$(citadel_ms "$c")
	case "$peer" in
	matpower)
		theirs=$(octave --no-gui --quiet --eval "
			addpath(genpath('$MATPOWER_DIR/lib')); addpath('$MATPOWER_DIR/data'); addpath(genpath('$MATPOWER_DIR/mips/lib'));
			mpopt = mpoption('verbose', 0, 'out.all', 0, 'pf.alg', 'NR', 'pf.tol', 1e-8);
			mpc = loadcase('$data/$c.m'); best = Inf;
			for k = 1:20, t = tic; r = runpf(mpc, mpopt); best = min(best, toc(t)); end
			printf('%.3f', best * 1000);" 2>/dev/null)
		;;
	pandapower)
		theirs=$(python3 - "$data/$c.m" <<'PY'
import sys, time, warnings
warnings.filterwarnings("ignore")
import pandapower as pp, pandapower.converter as pc
net = pc.from_mpc(sys.argv[1], f_hz=60)
best = 1e9
for _ in range(20):
    t = time.perf_counter(); pp.runpp(net, algorithm="nr", tolerance_mva=1e-6, numba=False); best = min(best, time.perf_counter() - t)
print(f"{best*1000:.3f}")
PY
)
		;;
	esac
	ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { if (b > 0 && a > 0) printf "%.1fx", a / b; else print "-" }')
	printf "%-20s %12s %12s %8s\n" "$c" "$ours" "${theirs:-failed}" "$ratio"
done
