package sense_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
	"go.yaml.in/yaml/v3"
)

// tcpFrame builds an Ethernet/IPv4/TCP frame with correct checksums.
func tcpFrame(src, dst netip.AddrPort, seq, ack uint32, flags uint8, payload []byte) []byte {
	b := make([]byte, 14+20+20+len(payload))
	b[12], b[13] = 0x08, 0x00
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	ip[8], ip[9] = 64, 6
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp, src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	copy(tcp[20:], payload)
	capture.FixChecksums(capture.LinkEthernet, b)
	return b
}

// conversation scripts a TCP connection packet by packet.
type conversation struct {
	cli, srv   netip.AddrPort
	cseq, sseq uint32
	ts         time.Time
	frames     [][]byte
	times      []time.Time
}

func (c *conversation) add(fromClient bool, flags uint8, payload []byte) {
	c.ts = c.ts.Add(10 * time.Millisecond)
	var f []byte
	if fromClient {
		f = tcpFrame(c.cli, c.srv, c.cseq, c.sseq, flags, payload)
		c.cseq += uint32(len(payload))
	} else {
		f = tcpFrame(c.srv, c.cli, c.sseq, c.cseq, flags, payload)
		c.sseq += uint32(len(payload))
	}
	if flags&(capture.FlagSYN|capture.FlagFIN) != 0 {
		if fromClient {
			c.cseq++
		} else {
			c.sseq++
		}
	}
	c.frames = append(c.frames, f)
	c.times = append(c.times, c.ts)
}

func (c *conversation) pcap(t *testing.T) []byte {
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.LinkEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range c.frames {
		if err := w.Write(c.times[i], f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexb(s string) []byte {
	var out []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			}
		}
		out = append(out, v)
	}
	return out
}

// plant returns a capture of one Modbus/TCP session exercising reads,
// writes, device identification, an exception, an out-of-order segment and
// a retransmission.
func plant(t *testing.T) []byte {
	c := &conversation{cli: netip.MustParseAddrPort("10.0.0.1:40000"), srv: netip.MustParseAddrPort("10.0.0.2:502"),
		cseq: 1000, sseq: 5000, ts: time.Unix(1700000000, 0)}
	c.add(true, capture.FlagSYN, nil)
	c.add(false, capture.FlagSYN|capture.FlagACK, nil)
	c.add(true, capture.FlagACK, nil)
	// FC3 read holding 100..101, the request split in two segments sent
	// out of order.
	req := hexb("000100000006010300640002")
	c.add(true, capture.FlagACK|capture.FlagPSH, req[:5])
	first := len(c.frames) - 1
	c.add(true, capture.FlagACK|capture.FlagPSH, req[5:])
	c.frames[first], c.frames[first+1] = c.frames[first+1], c.frames[first]
	c.add(false, capture.FlagACK|capture.FlagPSH, hexb("00010000000701030400ff0014")) // 255, 20
	// The response again (retransmission): must not be logged twice.
	c.frames = append(c.frames, c.frames[len(c.frames)-1])
	c.times = append(c.times, c.ts.Add(time.Millisecond))
	// FC6 write 100 = 55, and two ADUs in one segment (FC16 with an
	// exception answer, and FC43/14).
	c.add(true, capture.FlagACK|capture.FlagPSH, hexb("000200000006010600640037"))
	c.add(false, capture.FlagACK|capture.FlagPSH, hexb("000200000006010600640037"))
	c.add(true, capture.FlagACK|capture.FlagPSH, append(hexb("000300000009011000640001020007"), hexb("000400000005012b0e0100")...))
	c.add(false, capture.FlagACK|capture.FlagPSH, append(hexb("000300000003019002"),
		hexb("00040000001a012b0e0101000003000441636d650105504c432d390203312e30")...))
	c.add(true, capture.FlagFIN|capture.FlagACK, nil)
	c.add(false, capture.FlagFIN|capture.FlagACK, nil)
	return c.pcap(t)
}

func runPlant(t *testing.T, data []byte, jsonOut bool) (string, *sense.Result, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	res, err := sense.Run(context.Background(), sense.Config{Pcaps: []string{in}, OutDir: out, JSON: jsonOut,
		Engine: sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}},
		Now:    func() time.Time { return time.Unix(1700000100, 0) }})
	return out, res, err
}

func TestRunModbusSession(t *testing.T) {
	out, res, err := runPlant(t, plant(t), false)
	if err != nil {
		t.Fatal(err)
	}
	logData, err := os.ReadFile(filepath.Join(out, "modbus.log"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(logData), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		rows = append(rows, strings.Join(f[6:], " "))
	}
	want := []string{
		"1 1 READ_HOLDING_REGISTERS REQ -",
		"1 1 READ_HOLDING_REGISTERS RESP -",
		"2 1 WRITE_SINGLE_REGISTER REQ -",
		"2 1 WRITE_SINGLE_REGISTER RESP -",
		"3 1 WRITE_MULTIPLE_REGISTERS REQ -",
		"4 1 ENCAP_INTERFACE_TRANSPORT REQ -",
		"3 1 WRITE_MULTIPLE_REGISTERS_EXCEPTION RESP ILLEGAL_DATA_ADDRESS",
		"4 1 ENCAP_INTERFACE_TRANSPORT RESP -",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("modbus.log rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(string(logData), "#separator \\x09\n") || !strings.Contains(string(logData), "#close\t2023-11-14-22-15-00\n") {
		t.Errorf("header or trailer missing:\n%s", logData)
	}
	if res.Stats.Flows != 1 || res.Stats.Transactions != 4 || res.Rows["modbus"] != 8 {
		t.Errorf("stats %+v rows %v", res.Stats, res.Rows)
	}

	var inv sense.InventoryFile
	invData, err := os.ReadFile(filepath.Join(out, "inventory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(invData, &inv); err != nil {
		t.Fatalf("inventory.yaml: %v\n%s", err, invData)
	}
	if len(inv.Devices) != 2 {
		t.Fatalf("%d devices, want 2:\n%s", len(inv.Devices), invData)
	}
	cli, srv := inv.Devices[0], inv.Devices[1]
	if cli.IP != "10.0.0.1" || strings.Join(cli.Roles, ",") != "modbus_client" {
		t.Errorf("client %+v", cli)
	}
	if srv.IP != "10.0.0.2" || strings.Join(srv.Roles, ",") != "modbus_server" || srv.Vendor != "Acme" || srv.Product != "PLC-9" || srv.Revision != "1.0" ||
		srv.Kind != "plc" || len(srv.Services) != 1 || srv.Services[0] != (sense.InvService{Protocol: "modbus", Port: 502}) {
		t.Errorf("server %+v", srv)
	}
	if len(srv.Stations) != 1 || srv.Stations[0].Station != 1 {
		t.Fatalf("stations %+v", srv.Stations)
	}
	pts := srv.Stations[0].Points
	got := ""
	for _, p := range pts {
		got += p.Kind + " " + itoa(p.Start) + "+" + itoa(p.Count) + " r" + itoa(uint32(p.Reads)) + " w" + itoa(uint32(p.Writes))
		if p.Min != nil {
			got += " [" + itoa(uint32(*p.Min)) + "," + itoa(uint32(*p.Max)) + "]"
		}
		got += "; "
	}
	// The exception answer to FC16 means the write did not happen: no point.
	if want := "holding_register 100+1 r1 w1 [55,255]; holding_register 101+1 r1 w0 [20,20]; "; got != want {
		t.Errorf("points %q, want %q", got, want)
	}
	if f := srv.Stations[0].Functions; f["READ_HOLDING_REGISTERS"] != 1 || f["WRITE_MULTIPLE_REGISTERS"] != 1 {
		t.Errorf("functions %v", f)
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func TestRunJSON(t *testing.T) {
	out, _, err := runPlant(t, plant(t), true)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "modbus.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d JSON lines, want 8", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if m["id.resp_p"] != float64(502) || m["uid"] == "" {
			t.Errorf("row %s", l)
		}
		if _, ok := m["exception"]; ok && m["pdu_type"] != "RESP" {
			t.Errorf("unset exception written: %s", l)
		}
	}
}

func TestRunTruncatedCapture(t *testing.T) {
	data := plant(t)
	out, res, err := runPlant(t, data[:len(data)-30], false)
	var d *diag.Diagnostic
	if !errors.As(err, &d) || d.Packet != 13 || !diag.IsBadInput(err) {
		t.Fatalf("err = %v, want a diagnostic naming packet 13", err)
	}
	if res == nil || res.Rows["modbus"] != 8 {
		t.Fatalf("result %+v: the packets before the damage must still be decoded", res)
	}
	weird, _ := os.ReadFile(filepath.Join(out, "weird.log"))
	if !strings.Contains(string(weird), "capture_truncated_or_corrupt") {
		t.Errorf("weird.log lacks the truncation:\n%s", weird)
	}
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, []byte("this is not a capture file at all"), 0o644)
	for _, tc := range []struct {
		name string
		cfg  sense.Config
		want string
	}{
		{"missing", sense.Config{Pcaps: []string{filepath.Join(dir, "nope.pcap")}, OutDir: dir}, "no such file"},
		{"not a capture", sense.Config{Pcaps: []string{bad}, OutDir: dir}, "not a pcap or pcapng file"},
		{"no output", sense.Config{Pcaps: []string{bad}}, "no output directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sense.Run(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !diag.IsBadInput(err) {
				t.Fatalf("err = %v, want bad input containing %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "modbus.log")); err == nil {
		t.Error("outputs written for a bad input")
	}
}

// TestPortNumbers checks the default live-capture ports: each registered
// analyzer's ports once (DNP3 listens on TCP and UDP 20000), ascending.
func TestPortNumbers(t *testing.T) {
	got := sense.PortNumbers()
	if want := []uint16{502, 20000}; !slices.Equal(got, want) {
		t.Errorf("PortNumbers() = %v, want %v", got, want)
	}
}
