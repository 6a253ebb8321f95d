package modbus_test

import (
	"encoding/binary"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
)

// TestMemory100kFlows holds 100,000 concurrent Modbus connections, each
// with a request waiting for its response and half an ADU buffered in the
// other direction, and checks the heap stays under 512 MiB.
func TestMemory100kFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("100k flows: skipped with -short")
	}
	const flows = 100_000
	t0 := time.Unix(0, 0)
	out := sense.NewOutput(sense.NewLogWriter(io.Discard, sense.WeirdSchema, sense.TSV, t0),
		sense.NewLogWriter(io.Discard, modbus.Schema, sense.TSV, t0))
	inv := sense.NewInventory()
	out.OnTransaction = inv.Add
	eng := sense.NewEngine(sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}, MaxFlows: flows}, out)
	req := []byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0x64, 0, 2}
	half := []byte{0, 1, 0, 0, 0, 7, 1, 3, 4, 0}
	p := capture.Packet{LinkType: capture.LinkEthernet, TS: time.Unix(1700000000, 0)}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range flows {
		for k, fr := range [][]byte{segment(true, 100, 0x18, req), segment(false, 500, 0x18, half)} {
			// Client 10.a.b.c:port, one flow each.
			ip := fr[14:]
			off := 12
			if k == 1 {
				off = 16
			}
			binary.BigEndian.PutUint32(ip[off:], 0x0a000000|uint32(i>>4))
			port := 20000 + uint16(i&15)
			if k == 0 {
				binary.BigEndian.PutUint16(ip[20:], port)
			} else {
				binary.BigEndian.PutUint16(ip[22:], port)
			}
			capture.FixChecksums(capture.LinkEthernet, fr)
			p.Number++
			p.Data = fr
			eng.Packet(&p)
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := eng.Stats().Flows; got != flows || eng.Stats().Evicted != 0 {
		t.Fatalf("flows %d evicted %d", got, eng.Stats().Evicted)
	}
	heap := after.HeapInuse - min(before.HeapInuse, after.HeapInuse)
	t.Logf("%d concurrent flows: %.1f MiB of heap, %d bytes per flow", flows, float64(heap)/(1<<20), heap/flows)
	if heap > 512<<20 {
		t.Errorf("heap %d MiB for %d flows, want < 512 MiB", heap>>20, flows)
	}
	runtime.KeepAlive(eng)
}
