//go:build unix

package sense_test

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
	"github.com/citadel-city/citadel/internal/sense/internal/sensetest"
	"github.com/citadel-city/citadel/internal/shareddata"
)

// BenchmarkPipelineModbus runs the whole sensor path on the largest Modbus
// capture (ct-samples Plant1, 15,387 packets, checksums ignored so every
// packet is decoded): pcap parsing, layers, flow table, reassembly, Modbus
// framing and decoding, request/response pairing, modbus.log and weird.log
// rows (to io.Discard), the passive inventory and the stateless detection
// rules. It reports packets/s.
func BenchmarkPipelineModbus(b *testing.B) {
	// SENSE_BENCH_PCAP overrides the capture (bench/sense.sh passes the
	// 1M-packet one it builds).
	path := os.Getenv("SENSE_BENCH_PCAP")
	if path == "" {
		path = shareddata.Path(b, "pcap", "ct-samples", "Protocols", "Modbus", "ModbusTCP", "Plant1_ModbusTCP.pcap")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var packets uint64
	cpu0 := cpuTime()
	for b.Loop() {
		packets += runOnce(b, data)
	}
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
	// On a shared, loaded machine wall time says little: also report
	// throughput per second of CPU time used by the process.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(packets)/cpu.Seconds(), "packets/cpu-s")
	}
}

// cpuTime returns the user+system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runOnce(b *testing.B, data []byte) uint64 {
	t0 := time.Unix(0, 0)
	weird := sense.NewLogWriter(io.Discard, sense.WeirdSchema, sense.TSV, t0)
	mlog := sense.NewLogWriter(io.Discard, modbus.Schema, sense.TSV, t0)
	out := sense.NewOutput(weird, mlog)
	inv := sense.NewInventory()
	det := sense.NewDetector(nil, sense.NewAlertWriter(io.Discard))
	out.OnTransaction = func(tx *sense.Transaction) { inv.Add(tx); det.Observe(tx) }
	eng := sense.NewEngine(sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}, IgnoreChecksums: true}, out)
	sensetest.Feed(b, data, eng)
	weird.Close(t0)
	mlog.Close(t0)
	return eng.Stats().Packets
}
