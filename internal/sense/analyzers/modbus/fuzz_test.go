package modbus_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
	"github.com/citadel-city/citadel/internal/shareddata"
)

// segment returns an Ethernet/IPv4/TCP frame carrying payload.
func segment(fromClient bool, seq uint32, flags uint8, payload []byte) []byte {
	b := make([]byte, 54+len(payload))
	b[12], b[13] = 8, 0
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	cli, srv := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	sp, dp := uint16(40000), uint16(502)
	if !fromClient {
		cli, srv, sp, dp = srv, cli, dp, sp
	}
	copy(ip[12:], cli)
	copy(ip[16:], srv)
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp, sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12], tcp[13] = 5<<4, flags
	copy(tcp[20:], payload)
	capture.FixChecksums(capture.LinkEthernet, b)
	return b
}

func seedPcap(frames ...[]byte) []byte {
	var buf bytes.Buffer
	w, _ := capture.NewWriter(&buf, capture.LinkEthernet)
	for i, f := range frames {
		w.Write(time.Unix(1700000000, int64(i)*1e6), f, len(f))
	}
	w.Flush()
	return buf.Bytes()
}

// FuzzPipeline runs arbitrary capture bytes through the whole sensor path
// (reader, layers, flow table, reassembly, Modbus analyzer, logs,
// inventory, learning, detection): it must never panic.
func FuzzPipeline(f *testing.F) {
	req := []byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0x64, 0, 2}
	resp := []byte{0, 1, 0, 0, 0, 7, 1, 3, 4, 0, 0xff, 0, 0x14}
	f.Add(seedPcap(segment(true, 100, 0x02, nil), segment(true, 101, 0x18, req[:5]), segment(true, 106, 0x18, req[5:]),
		segment(false, 500, 0x18, resp), segment(true, 113, 0x11, nil)))
	f.Add(seedPcap(segment(true, 101, 0x18, req[5:]), segment(true, 96, 0x18, req[:5]), segment(false, 7, 0x18, resp[:9])))
	// The first kilobytes of the reference captures, when present.
	if root := shareddata.Root(); root != "" {
		for _, rel := range []string{"ct-samples/Protocols/Modbus/ModbusTCP/Plant1_ModbusTCP.pcap",
			"zeek/testing/btest/Traces/modbus/fuzz-72.pcap", "zeek/testing/btest/Traces/modbus/4SICS-GeekLounge-151022-min.pcap",
			"icsnpp-modbus/testing/traces/modbus_example.pcap"} {
			if b, err := os.ReadFile(filepath.Join(root, "pcap", rel)); err == nil {
				f.Add(b[:min(len(b), 4096)])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := capture.NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		t0 := time.Unix(0, 0)
		weird := sense.NewLogWriter(io.Discard, sense.WeirdSchema, sense.TSV, t0)
		mlog := sense.NewLogWriter(io.Discard, modbus.Schema, sense.JSON, t0)
		out := sense.NewOutput(weird, mlog)
		inv := sense.NewInventory()
		base := sense.NewBaseline()
		det := sense.NewDetector(nil, sense.NewAlertWriter(io.Discard))
		out.OnTransaction = func(tx *sense.Transaction) { inv.Add(tx); base.Learn(tx); det.Observe(tx) }
		eng := sense.NewEngine(sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}, MaxFlows: 4}, out)
		var p capture.Packet
		for range 5000 {
			if r.Next(&p) != nil {
				break
			}
			eng.Packet(&p)
		}
		eng.Finish()
		if err := inv.WriteYAML(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := base.WriteJSON(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNoAllocsPerPacket checks the steady-state hot path: once a flow
// exists, a request and its response cost no allocation end to end
// (decoding, logs, inventory and every detection rule with a baseline).
func TestNoAllocsPerPacket(t *testing.T) {
	req := []byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0x64, 0, 2}
	resp := []byte{0, 1, 0, 0, 0, 7, 1, 3, 4, 0, 0xff, 0, 0x14}
	t0 := time.Unix(0, 0)
	weird := sense.NewLogWriter(io.Discard, sense.WeirdSchema, sense.TSV, t0)
	mlog := sense.NewLogWriter(io.Discard, modbus.Schema, sense.TSV, t0)
	out := sense.NewOutput(weird, mlog)
	inv := sense.NewInventory()
	base := sense.NewBaseline()
	out.OnTransaction = func(tx *sense.Transaction) { inv.Add(tx); base.Learn(tx) }
	eng := sense.NewEngine(sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}}, out)
	cseq, sseq := uint32(100), uint32(500)
	p := capture.Packet{LinkType: capture.LinkEthernet, TS: time.Unix(1700000000, 0)}
	send := func(fromClient bool, payload []byte) {
		seq := &sseq
		if fromClient {
			seq = &cseq
		}
		p.Number++
		p.TS = p.TS.Add(time.Millisecond)
		p.Data = segment(fromClient, *seq, 0x18, payload)
		*seq += uint32(len(payload))
		eng.Packet(&p)
	}
	// Warm up: the flow, the inventory entries and the buffers.
	for range 3 {
		send(true, req)
		send(false, resp)
	}
	// Then detect against the learned baseline, every rule on.
	alerts := sense.NewAlertWriter(io.Discard)
	det := sense.NewDetector(base, alerts)
	out.OnTransaction = func(tx *sense.Transaction) { inv.Add(tx); det.Observe(tx) }
	frames := [][]byte{segment(true, 0, 0x18, req), segment(false, 0, 0x18, resp)}
	allocs := testing.AllocsPerRun(500, func() {
		for i, fr := range frames {
			seq := &cseq
			if i == 1 {
				seq = &sseq
			}
			binary.BigEndian.PutUint32(fr[14+20+4:], *seq)
			capture.FixChecksums(capture.LinkEthernet, fr)
			*seq += uint32(len(fr) - 54)
			p.Number++
			p.TS = p.TS.Add(time.Millisecond)
			p.Data = fr
			eng.Packet(&p)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request/response, want 0", allocs)
	}
	if alerts.Count() != 0 {
		t.Errorf("%d alerts on learned traffic", alerts.Count())
	}
	if got := mlog.Rows(); got < 1000 {
		t.Errorf("only %d modbus.log rows: the packets were not decoded", got)
	}
}
