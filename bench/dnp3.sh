#!/usr/bin/env bash
# bench/dnp3.sh: DNP3 decoder and analyzer cost per frame/packet, in CPU time.
#
# The machine these numbers come from is shared (2 cores, many jobs): wall
# time says little, so each Go benchmark runs alone in its own process under
# /usr/bin/time and the script divides the process's user+system CPU time by
# the frames (decoder) or packets (analyzer, pipeline) it handled. Setup
# (reading the capture) is included, so the figures are slightly pessimistic.
# The whole-binary comparison with tshark is part of bench/sense.sh.
#
# Usage: bench/dnp3.sh   (from the repository root; N scales the iterations, default
# 10000000: about 10 s of CPU in all)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
go test -c -o "$TMP/dnp3.test" ./internal/ot/dnp3
go test -c -o "$TMP/sense.test" ./internal/sense

# run BINARY BENCH ITER UNIT: prints CPU ns per UNIT (frames/op or packets/op).
run() {
	local bin=$1 bench=$2 iter=$3 unit=$4 out cpu per
	out=$( { /usr/bin/time -f 'CPU %U %S' "$bin" -test.run XXX -test.bench "^${bench}\$" \
		-test.benchtime "${iter}x" -test.benchmem; } 2>&1)
	cpu=$(echo "$out" | awk '/^CPU/ {print $2 + $3}')
	per=$(echo "$out" | awk -v u="$unit" '/^Benchmark/ {for (i = 1; i < NF; i++) if ($(i+1) == u) print $i}')
	allocs=$(echo "$out" | awk '/^Benchmark/ {for (i = 1; i < NF; i++) if ($(i+1) == "allocs/op") print $i}')
	printf '%-48s %9.0f ns CPU per %-6s %s allocs/op\n' "$bench" \
		"$(echo "$cpu * 1000000000 / ($iter * $per)" | bc -l)" "${unit%%s/op}" "$allocs"
}
run "$TMP/dnp3.test" BenchmarkDecode/read-request "$N" frames/op
run "$TMP/dnp3.test" BenchmarkDecode/unsolicited-event "$N" frames/op
run "$TMP/dnp3.test" BenchmarkDecode/static-response-252B $((N / 20)) frames/op
run "$TMP/dnp3.test" BenchmarkDecode/two-frame-fragment $((N / 20)) frames/op
run "$TMP/sense.test" BenchmarkDNP3Analyzer/icsnpp-dnp3_example $((N / 10000)) packets/op
run "$TMP/sense.test" BenchmarkDNP3Analyzer/zeek-dnp3 $((N / 1000)) packets/op
# The whole sensor path (pcap, layers, flow table, TCP reassembly, analyzer,
# logs, inventory) on a capture of PACKETS DNP3 packets built from the
# shared traces, repeated with shifted times and addresses.
PACKETS=${PACKETS:-300000}
DATA=${CITADEL_SHARED_DATA:-../shared/data}/pcap
go build -o "$TMP/pcaprepeat" ./internal/capture/internal/pcaprepeat
"$TMP/pcaprepeat" -n "$PACKETS" -o "$TMP/dnp3.pcap" \
	"$DATA/icsnpp-dnp3/testing/traces/dnp3_example.pcap" "$DATA/zeek/testing/btest/Traces/dnp3/dnp3.pcap"
SENSE_BENCH_DNP3_PCAP="$TMP/dnp3.pcap" run "$TMP/sense.test" BenchmarkPipelineDNP3 2 packets/op
