package sense_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/ot/dnp3"
	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/shareddata"
)

// dnp3ZeekCase is one capture with the dnp3.log Zeek wrote for it.
type dnp3ZeekCase struct {
	name   string
	pcap   []string // below the shared data root
	log    []string // Zeek's dnp3.log; nil: no baseline, only "no crash"
	masked bool     // timestamps masked in the baseline
	// checksums: Zeek ran without -C, so packets with bad IP checksums
	// were dropped.
	checksums bool
	// want is the minimum share of reference rows matched; every shortfall
	// is explained in the comment of the case.
	want float64
	// wantExtra is the number of rows we write that Zeek does not.
	wantExtra int
}

func dnp3Path(parts ...string) []string { return append([]string{"pcap"}, parts...) }

func zeekDNP3(trace, baseline string) dnp3ZeekCase {
	c := dnp3ZeekCase{
		name:   "zeek/" + trace,
		pcap:   dnp3Path("zeek", "testing", "btest", "Traces", "dnp3", trace+".pcap"),
		masked: true, want: 1,
	}
	if baseline != "" {
		c.log = dnp3Path("zeek", "testing", "btest", "Baseline", "scripts.base.protocols.dnp3."+baseline, "dnp3.log")
	}
	return c
}

var dnp3ZeekCases = []dnp3ZeekCase{
	zeekDNP3("dnp3", "events"),
	zeekDNP3("dnp3_del_measure", "dnp3_del_measure"),
	zeekDNP3("dnp3_file_del", "dnp3_file_del"),
	zeekDNP3("dnp3_file_read", "dnp3_file_read"),
	zeekDNP3("dnp3_read", "dnp3_read"),
	zeekDNP3("dnp3_select_operate", "dnp3_select_operate"),
	zeekDNP3("dnp3_udp_en_spon", "dnp3_udp_en_spon"),
	zeekDNP3("dnp3_udp_select_operate", "dnp3_udp_select_operate"),
	zeekDNP3("dnp3_write", "dnp3_write"),
	zeekDNP3("dnp3_link_only", ""),
	zeekDNP3("dnp3-flowbuffer-overflow-assert", ""),
	zeekDNP3("dnp3_read_p20001", ""),
	{name: "icsnpp/dnp3_example", pcap: dnp3Path("icsnpp-dnp3", "testing", "traces", "dnp3_example.pcap"),
		log: dnp3Path("icsnpp-dnp3", "testing", "baseline", "analyzer.basic", "dnp3.log"), masked: true, want: 1},
	{name: "ics-pcap/DNP3-Read", pcap: dnp3Path("ics-pcap", "DNP3", "DNP3-Read", "DNP3-Read.pcap"),
		log: dnp3Path("ics-pcap", "DNP3", "DNP3-Read", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/DNP3-Write", pcap: dnp3Path("ics-pcap", "DNP3", "DNP3-Write", "DNP3-Write.pcap"),
		log: dnp3Path("ics-pcap", "DNP3", "DNP3-Write", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/DNP3-TestDataPart1", pcap: dnp3Path("ics-pcap", "DNP3", "DNP3-TestDataPart1", "DNP3-TestDataPart1.pcap"),
		log: dnp3Path("ics-pcap", "DNP3", "DNP3-TestDataPart1", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/digitalbond dnp3_test_data_part1",
		pcap: dnp3Path("ics-pcap", "DNP3", "digitalbond pcaps", "dnp3_test_data_part1", "dnp3_test_data_part1.pcap"),
		log:  dnp3Path("ics-pcap", "DNP3", "digitalbond pcaps", "dnp3_test_data_part1", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/EIP-ViewDeviceStatus", pcap: dnp3Path("ics-pcap", "EIP", "EIP-ViewDeviceStatus", "EIP-ViewDeviceStatus.pcap"),
		log: dnp3Path("ics-pcap", "EIP", "EIP-ViewDeviceStatus", "dnp3.log"), checksums: true, want: 1},
}

// dnp3ReadLog returns the rows of a Zeek TSV log as maps from field name.
func dnp3ReadLog(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields\t") {
			fields = strings.Split(line, "\t")[1:]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := map[string]string{}
		for i, v := range strings.Split(line, "\t") {
			if i < len(fields) {
				m[fields[i]] = v
			}
		}
		rows = append(rows, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func dnp3Project(rows []map[string]string, fields []string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		v := make([]string, len(fields))
		for i, f := range fields {
			v[i] = r[f]
		}
		out = append(out, strings.Join(v, "\t"))
	}
	return out
}

// dnp3Match counts reference rows found in got, as multisets, and returns
// the unmatched rows of both sides.
func dnp3Match(ref, got []string) (n int, missing, extra []string) {
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	for _, r := range ref {
		if count[r] > 0 {
			count[r]--
			n++
		} else {
			missing = append(missing, r)
		}
	}
	for _, g := range got {
		if count[g] > 0 {
			count[g]--
			extra = append(extra, g)
		}
	}
	return n, missing, extra
}

// TestDNP3AgainstZeek runs the sensor on every public DNP3 capture that has
// a Zeek dnp3.log and compares the rows field by field (uids differ by
// construction; masked timestamps are not compared).
func TestDNP3AgainstZeek(t *testing.T) {
	for _, tc := range dnp3ZeekCases {
		t.Run(tc.name, func(t *testing.T) {
			pcap := shareddata.Path(t, tc.pcap...)
			dir := t.TempDir()
			res, err := sense.Run(context.Background(), sense.Config{
				Pcaps: []string{pcap}, OutDir: dir,
				Engine: sense.EngineConfig{Analyzers: []sense.Analyzer{sense.DNP3Analyzer{}}, IgnoreChecksums: !tc.checksums},
				Now:    func() time.Time { return time.Unix(0, 0) },
			})
			if err != nil {
				t.Fatalf("sense.Run: %v", err)
			}
			got := dnp3ReadLog(t, filepath.Join(dir, "dnp3.log"))
			if tc.log == nil {
				t.Logf("%d dnp3.log rows, weirds %v (no Zeek baseline: checks only that nothing breaks)", len(got), res.Weirds)
				return
			}
			ref := dnp3ReadLog(t, shareddata.Path(t, tc.log...))
			fields := []string{"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "fc_request", "fc_reply", "iin"}
			if tc.masked {
				fields = fields[1:]
			}
			n, missing, extra := dnp3Match(dnp3Project(ref, fields), dnp3Project(got, fields))
			rate := 1.0
			if len(ref) > 0 {
				rate = float64(n) / float64(len(ref))
			}
			t.Logf("%s: %d/%d reference rows matched (%.1f%%), %d extra rows, weirds %v",
				tc.name, n, len(ref), 100*rate, len(extra), res.Weirds)
			for i, m := range missing {
				if i < 10 {
					t.Logf("missing: %s", m)
				}
			}
			for i, e := range extra {
				if i < 10 {
					t.Logf("extra:   %s", e)
				}
			}
			if rate < tc.want || len(extra) != tc.wantExtra {
				t.Errorf("matched %.3f (want >= %.3f), %d extra rows (want %d)", rate, tc.want, len(extra), tc.wantExtra)
			}
		})
	}
}

// dnp3Harness drives a DNP3 stream directly with encoded frames.
type dnp3Harness struct {
	flow   sense.Flow
	ww     *sense.LogWriter
	log    bytes.Buffer
	weird  bytes.Buffer
	out    *sense.Output
	lw     *sense.LogWriter
	s      sense.Stream
	txs    []sense.Transaction
	pkt    uint64
	ts     time.Time
	seq    [2]uint8
	master uint16
	outst  uint16
}

func newDNP3Harness(t testing.TB) *dnp3Harness {
	h := &dnp3Harness{master: 1, outst: 1024, ts: time.Unix(1700000000, 0)}
	h.flow = sense.Flow{UID: "Ctest", Transport: sense.TCP,
		Orig: netip.MustParseAddrPort("10.0.0.1:40000"), Resp: netip.MustParseAddrPort("10.0.0.2:20000")}
	h.lw = sense.NewLogWriter(&h.log, sense.DNP3Schema, sense.TSV, time.Unix(0, 0))
	h.ww = sense.NewLogWriter(&h.weird, sense.WeirdSchema, sense.TSV, time.Unix(0, 0))
	h.out = sense.NewOutput(h.ww, h.lw)
	h.out.OnTransaction = func(tx *sense.Transaction) {
		c := *tx
		c.Ops = append([]sense.Op(nil), tx.Ops...)
		h.txs = append(h.txs, c)
	}
	h.s = sense.DNP3Analyzer{}.NewStream(&h.flow, h.out)
	return h
}

// send encodes an application fragment from the master (orig) or the
// outstation and delivers it, in chunks of chunk bytes (0: at once).
func (h *dnp3Harness) send(orig bool, frag []byte, chunk int) {
	lh := dnp3.LinkHeader{Control: 0x44, Dst: h.master, Src: h.outst}
	d := 1
	if orig {
		lh = dnp3.LinkHeader{Control: 0xC4, Dst: h.outst, Src: h.master}
		d = 0
	}
	var wire []byte
	wire, h.seq[d] = dnp3.AppendFragmentFrames(nil, lh, h.seq[d], frag)
	h.pkt++
	h.ts = h.ts.Add(time.Second)
	m := &sense.Meta{Packet: h.pkt, TS: h.ts, IsOrig: orig}
	for len(wire) > 0 {
		n := len(wire)
		if chunk > 0 {
			n = min(n, chunk)
		}
		h.s.Data(m, wire[:n])
		wire = wire[n:]
	}
}

// rows flushes the logs and returns the dnp3.log rows without ts, uid and
// connection fields.
func (h *dnp3Harness) rows() []string {
	h.lw.Close(time.Unix(0, 0))
	h.ww.Close(time.Unix(0, 0))
	var out []string
	for _, l := range strings.Split(h.log.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f := strings.Split(l, "\t")
			out = append(out, strings.Join(f[6:], " "))
		}
	}
	return out
}

func dnp3Hex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDNP3Transactions(t *testing.T) {
	const (
		crob      = "0C 01 28 01 00 03 00 03 01 64 00 00 00 C8 00 00 00 00" // latch on, point 3
		crobOther = "0C 01 28 01 00 04 00 04 01 64 00 00 00 C8 00 00 00 00" // latch off, point 4
	)
	h := newDNP3Harness(t)
	h.send(true, dnp3Hex(t, "C0 03"+crob), 0)                                    // SELECT
	h.send(false, dnp3Hex(t, "C0 81 00 00"+crob), 0)                             // RESPONSE
	h.send(true, dnp3Hex(t, "C1 04"+crob), 7)                                    // OPERATE, matching
	h.send(false, dnp3Hex(t, "C1 81 00 00"+crob), 3)                             // RESPONSE
	h.send(true, dnp3Hex(t, "C2 04"+crobOther), 0)                               // OPERATE without SELECT
	h.send(false, dnp3Hex(t, "C2 81 00 04"+crobOther), 0)                        // RESPONSE, PARAM_ERROR
	h.send(true, dnp3Hex(t, "C3 01 1E 02 00 00 01"), 0)                          // READ g30v2 0..1
	h.send(false, dnp3Hex(t, "C3 81 00 00 1E 02 00 00 01 01 0A 00 01 F6 FF"), 5) // values 10, -10
	h.send(false, dnp3Hex(t, "F0 82 90 00 02 01 28 01 00 07 00 81"), 0)          // unsolicited, BI 7 on
	h.send(true, dnp3Hex(t, "D0 00"), 0)                                         // CONFIRM
	h.send(true, dnp3Hex(t, "C4 0D"), 0)                                         // COLD_RESTART, no answer
	h.s.Close(&sense.Meta{Packet: h.pkt + 1, TS: h.ts.Add(time.Second)})

	wantRows := []string{
		"SELECT RESPONSE 0", "OPERATE RESPONSE 0", "OPERATE RESPONSE 4", "READ RESPONSE 0",
		"- UNSOLICITED_RESPONSE 36864", "COLD_RESTART - -",
	}
	if got := h.rows(); strings.Join(got, "|") != strings.Join(wantRows, "|") {
		t.Errorf("dnp3.log rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}
	if n := strings.Count(h.weird.String(), "dnp3_operate_without_matching_select\tno_select"); n != 1 {
		t.Errorf("%d operate-without-select weirds, want 1:\n%s", n, h.weird.String())
	}
	type txSummary struct {
		fn               string
		req, resp, unsol bool
		write            bool
		exc              string
		ops              string
	}
	var got []txSummary
	for _, tx := range h.txs {
		var ops []string
		for _, o := range tx.Ops {
			ops = append(ops, fmt.Sprintf("%s:%d:%v:%v", o.Kind, o.Index, o.Write, o.Value))
		}
		got = append(got, txSummary{tx.FuncName, tx.HasRequest, tx.HasResponse, tx.Unsolicited, tx.Write, tx.Exception, strings.Join(ops, ",")})
		if tx.Station != 1024 || tx.Client != 1 {
			t.Errorf("%s: station %d client %d", tx.FuncName, tx.Station, tx.Client)
		}
	}
	want := []txSummary{
		{"SELECT", true, true, false, true, "", "binary_output:3:true:1"},
		{"OPERATE", true, true, false, true, "", "binary_output:3:true:1"},
		{"OPERATE", true, true, false, true, "PARAMETER_ERROR", "binary_output:4:true:0"},
		{"READ", true, true, false, false, "", "analog_input:0:false:10,analog_input:1:false:-10"},
		{"UNSOLICITED_RESPONSE", false, true, true, false, "", "binary_input:7:false:1"},
		{"CONFIRM", true, false, false, false, "", ""},
		{"COLD_RESTART", true, false, false, true, "", ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("transactions:\n%v\nwant\n%v", got, want)
	}
}

func TestDNP3AnalyzerZeroAllocs(t *testing.T) {
	flow := sense.Flow{UID: "Ctest", Transport: sense.TCP,
		Orig: netip.MustParseAddrPort("10.0.0.1:40000"), Resp: netip.MustParseAddrPort("10.0.0.2:20000")}
	lw := sense.NewLogWriter(io.Discard, sense.DNP3Schema, sense.TSV, time.Unix(0, 0))
	out := sense.NewOutput(nil, lw)
	out.OnTransaction = func(*sense.Transaction) {}
	s := sense.DNP3Analyzer{}.NewStream(&flow, out)
	read := dnp3Hex(t, "C3 01 1E 02 00 00 01")
	resp := dnp3Hex(t, "C3 81 00 00 1E 02 00 00 01 01 0A 00 01 F6 FF")
	var reqWire, respWire []byte
	reqWire, _ = dnp3.AppendFragmentFrames(nil, dnp3.LinkHeader{Control: 0xC4, Dst: 1024, Src: 1}, 0, read)
	respWire, _ = dnp3.AppendFragmentFrames(nil, dnp3.LinkHeader{Control: 0x44, Dst: 1, Src: 1024}, 0, resp)
	mo := &sense.Meta{Packet: 1, TS: time.Unix(1, 0), IsOrig: true}
	mr := &sense.Meta{Packet: 2, TS: time.Unix(2, 0)}
	allocs := testing.AllocsPerRun(200, func() {
		s.Data(mo, reqWire)
		s.Data(mr, respWire[:7])
		s.Data(mr, respWire[7:])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request/response, want 0", allocs)
	}
	if lw.Rows() < 200 {
		t.Errorf("%d dnp3.log rows written, want >= 200", lw.Rows())
	}
}

// FuzzDNP3Analyzer feeds arbitrary bytes to both directions of a flow.
func FuzzDNP3Analyzer(f *testing.F) {
	wire, _ := dnp3.AppendFragmentFrames(nil, dnp3.LinkHeader{Control: 0xC4, Dst: 1024, Src: 1}, 0,
		dnp3Hex(f, "C0 03 0C 01 28 01 00 03 00 03 01 64 00 00 00 C8 00 00 00 00"))
	f.Add(wire, []byte{0, 5, 1, 200})
	wire, _ = dnp3.AppendFragmentFrames(nil, dnp3.LinkHeader{Control: 0x44, Dst: 1, Src: 1024}, 0,
		dnp3Hex(f, "C3 81 00 00 1E 02 00 00 01 01 0A 00 01 F6 FF"))
	f.Add(wire, []byte{1, 3})
	f.Fuzz(func(t *testing.T, in, plan []byte) {
		h := newDNP3Harness(t)
		k := 0
		for len(in) > 0 {
			var step byte = 255
			if len(plan) > 0 {
				step = plan[k%len(plan)]
				k++
			}
			n := min(len(in), 1+int(step>>1))
			h.s.Data(&sense.Meta{Packet: uint64(k), IsOrig: step&1 == 0}, in[:n])
			if step == 0x7E {
				h.s.Gap(&sense.Meta{IsOrig: true}, 10)
			}
			in = in[n:]
		}
		h.s.Close(&sense.Meta{})
	})
}

// dnp3Payloads returns the TCP/UDP payloads of a capture with their
// direction (true: towards port 20000).
func dnp3Payloads(tb testing.TB, parts ...string) (payloads [][]byte, orig []bool) {
	r, err := capture.Open(shareddata.Path(tb, parts...))
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var p capture.Packet
	var l capture.Layers
	for r.Next(&p) == nil {
		if capture.Decode(p.LinkType, p.Data, &l, capture.Options{IgnoreChecksums: true}) != nil || len(l.Payload) == 0 {
			continue
		}
		payloads = append(payloads, append([]byte(nil), l.Payload...))
		orig = append(orig, l.DstPort == 20000)
	}
	return payloads, orig
}

// BenchmarkDNP3Analyzer measures the analyzer alone (link, transport,
// application decoding, request/response pairing, dnp3.log rows in TSV and
// transactions) on the payloads of real captures, per packet.
func BenchmarkDNP3Analyzer(b *testing.B) {
	for _, c := range []struct {
		name  string
		parts []string
	}{
		{"icsnpp-dnp3_example", dnp3Path("icsnpp-dnp3", "testing", "traces", "dnp3_example.pcap")},
		{"zeek-dnp3", dnp3Path("zeek", "testing", "btest", "Traces", "dnp3", "dnp3.pcap")},
	} {
		b.Run(c.name, func(b *testing.B) {
			payloads, orig := dnp3Payloads(b, c.parts...)
			flow := sense.Flow{UID: "Cbench", Transport: sense.TCP,
				Orig: netip.MustParseAddrPort("10.0.0.1:40000"), Resp: netip.MustParseAddrPort("10.0.0.2:20000")}
			lw := sense.NewLogWriter(io.Discard, sense.DNP3Schema, sense.TSV, time.Unix(0, 0))
			out := sense.NewOutput(nil, lw)
			ntx := 0
			out.OnTransaction = func(*sense.Transaction) { ntx++ }
			s := sense.DNP3Analyzer{}.NewStream(&flow, out)
			var m sense.Meta
			var bytes int64
			for _, p := range payloads {
				bytes += int64(len(p))
			}
			b.SetBytes(bytes)
			b.ReportAllocs()
			for b.Loop() {
				for i, p := range payloads {
					m.Packet++
					m.IsOrig = orig[i]
					s.Data(&m, p)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(payloads)), "ns/packet")
			b.ReportMetric(float64(b.N*len(payloads))/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
