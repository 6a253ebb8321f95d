#!/usr/bin/env bash
# bench/sense.sh: OT sensor throughput, citadel sense against tshark in the
# same run.
#
# Builds a capture of about PACKETS (default 1,000,000) Modbus/TCP packets
# from the shared captures (ct-samples Plant1 and Zeek's modbusBig repeated
# with shifted times and addresses, checksums recomputed) and, when the DNP3
# traces are present, one of DNP3 packets; then runs, RUNS times each
# (default 5), `citadel sense` (decode, logs, inventory, detection) and
# tshark with its Modbus/DNP3 dissector printing per-PDU fields, and prints
# packets/s of both and the ratio (median of the runs, whole process), by
# wall-clock time and by CPU time (the fair figure on a shared machine).
#
# Zeek and Suricata are not packaged for Debian 12 (apt-cache policy shows
# no candidate), so tshark (apt-get install tshark) is the peer.
#
# Usage: bench/sense.sh            (from the repository root)
#        PACKETS=200000 RUNS=3 bench/sense.sh
#        SKIP_DNP3=1 bench/sense.sh   (Modbus only)
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-1000000}
RUNS=${RUNS:-5}
DATA=${CITADEL_SHARED_DATA:-../shared/data}/pcap
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! command -v tshark >/dev/null; then
	echo "tshark not found: apt-get install tshark (the peer of this benchmark)" >&2
	exit 1
fi
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(tshark --version | head -1)"
go build -o "$TMP/citadel" ./cmd/citadel
go build -o "$TMP/pcaprepeat" ./internal/capture/internal/pcaprepeat

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# measure CMD... runs CMD and prints "wall cpu rss": seconds (cpu = user +
# system time of the process and its children: robust on a loaded machine)
# and maximum resident set size in MB.
measure() {
	/usr/bin/time -f "%e %U %S %M" -o "$TMP/time" "$@" >/dev/null 2>&1
	awk '{printf "%s %.3f %.1f\n", $1, $2 + $3, $4 / 1024}' "$TMP/time"
}

bench() { # name pcap tshark-filter tshark-fields...
	local name=$1 pcap=$2 filter=$3
	shift 3
	local fields=()
	for f in "$@"; do fields+=(-e "$f"); done
	local n
	n=$("$TMP/citadel" sense --pcap "$pcap" --out "$TMP/out" --json | sed -n 's/.*"packets":\([0-9]*\).*/\1/p')
	local cw=() cc=() cr=() tw=() tc=() w c r
	for ((i = 0; i < RUNS; i++)); do
		read -r w c r < <(measure "$TMP/citadel" sense --pcap "$pcap" --out "$TMP/out")
		cw+=("$w") cc+=("$c") cr+=("$r")
		read -r w c r < <(measure tshark -n -r "$pcap" -Y "$filter" -T fields "${fields[@]}")
		tw+=("$w") tc+=("$c")
	done
	local a b c d
	a=$(printf '%s\n' "${cw[@]}" | median)
	b=$(printf '%s\n' "${tw[@]}" | median)
	c=$(printf '%s\n' "${cc[@]}" | median)
	d=$(printf '%s\n' "${tc[@]}" | median)
	printf '%-7s %9d packets  wall: citadel %6.2f s %9.0f pkt/s  tshark %7.2f s %8.0f pkt/s  ratio %5.1fx\n' \
		"$name" "$n" "$a" "$(echo "$n / $a" | bc -l)" "$b" "$(echo "$n / $b" | bc -l)" "$(echo "$b / $a" | bc -l)"
	printf '%-7s %9s          cpu:  citadel %6.2f s %9.0f pkt/s  tshark %7.2f s %8.0f pkt/s  ratio %5.1fx\n' \
		"" "" "$c" "$(echo "$n / $c" | bc -l)" "$d" "$(echo "$n / $d" | bc -l)" "$(echo "$d / $c" | bc -l)"
	printf '%-7s %9s          citadel maximum RSS: %s MB\n' "" "" "$(printf '%s\n' "${cr[@]}" | median)"
}

"$TMP/pcaprepeat" -n "$PACKETS" -o "$TMP/modbus.pcap" \
	"$DATA/ct-samples/Protocols/Modbus/ModbusTCP/Plant1_ModbusTCP.pcap" \
	"$DATA/zeek/testing/btest/Traces/modbus/modbusBig.pcap"
bench modbus "$TMP/modbus.pcap" modbus frame.number mbtcp.trans_id mbtcp.unit_id modbus.func_code modbus.exception_code

DNP3=("$DATA/zeek/testing/btest/Traces/dnp3/dnp3.pcap" "$DATA/ics-pcap/DNP3/DNP3-TestDataPart1/DNP3-TestDataPart1.pcap")
if [ -z "${SKIP_DNP3:-}" ] && [ -f "${DNP3[0]}" ] && [ -f "${DNP3[1]}" ]; then
	"$TMP/pcaprepeat" -n "$PACKETS" -o "$TMP/dnp3.pcap" "${DNP3[@]}"
	bench dnp3 "$TMP/dnp3.pcap" dnp3 frame.number dnp3.src dnp3.dst dnp3.al.func
fi
echo "(medians of $RUNS runs; wall = elapsed time, cpu = user+system time of the whole process; both tools write their output)"
