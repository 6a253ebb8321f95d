package sense_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/citadel-city/citadel/internal/diag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
)

// session scripts one Modbus/TCP connection from client to 10.0.0.2:502:
// each ADU is a request answered by the given response.
func session(t *testing.T, client string, start time.Time, step time.Duration, pairs ...[2]string) []byte {
	c := &conversation{cli: netip.MustParseAddrPort(client), srv: netip.MustParseAddrPort("10.0.0.2:502"),
		cseq: 1000, sseq: 5000, ts: start}
	c.add(true, capture.FlagSYN, nil)
	c.add(false, capture.FlagSYN|capture.FlagACK, nil)
	for _, p := range pairs {
		c.ts = c.ts.Add(step)
		c.add(true, capture.FlagACK|capture.FlagPSH, hexb(p[0]))
		c.add(false, capture.FlagACK|capture.FlagPSH, hexb(p[1]))
	}
	return c.pcap(t)
}

func runDetect(t *testing.T, data []byte, learn bool, base *sense.Baseline) (string, []sense.Alert) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, err := sense.Run(context.Background(), sense.Config{Pcaps: []string{in}, OutDir: out, Learn: learn, Baseline: base,
		Engine: sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}}}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var alerts []sense.Alert
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if l == "" {
			continue
		}
		var a sense.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		alerts = append(alerts, a)
	}
	return out, alerts
}

func techniques(alerts []sense.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Alert.Metadata.MitreTechniqueID[0]+" "+a.Alert.Signature)
	}
	slices.Sort(out)
	return out
}

func TestLearnThenDetect(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	// Normal: the HMI reads registers 100..101 and writes setpoint 100 in
	// [50, 60].
	normal := session(t, "10.0.0.1:40000", t0, time.Second,
		[2]string{"000100000006010300640002", "00010000000701030400320003"},
		[2]string{"000200000006010600640032", "000200000006010600640032"},
		[2]string{"00030000000601060064003c", "00030000000601060064003c"},
	)
	out, alerts := runDetect(t, normal, true, nil)
	if len(alerts) != 0 {
		t.Fatalf("alerts while learning normal traffic: %v", techniques(alerts))
	}
	base, err := sense.LoadBaseline(filepath.Join(out, "baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The same traffic raises nothing.
	if _, alerts := runDetect(t, normal, false, base); len(alerts) != 0 {
		t.Fatalf("alerts on the learned traffic: %v", techniques(alerts))
	}
	// Attack: the HMI writes 999 (outside [50, 60]); a new host writes the
	// setpoint and uses a function never seen (FC16).
	attack := append(session(t, "10.0.0.1:40001", t0.Add(time.Hour), time.Second,
		[2]string{"0004000000060106006403e7", "0004000000060106006403e7"}),
		session(t, "10.0.0.66:50000", t0.Add(time.Hour+time.Minute), time.Second,
			[2]string{"000500000009011000640001020037", "000500000006011000640001"})[24:]...) // second pcap without its file header
	_, alerts = runDetect(t, attack, false, base)
	got := techniques(alerts)
	want := []string{
		"T0836 OT value outside the learned envelope",
		"T0855 OT function never used on this station",
		"T0855 OT write from a host that never wrote this point",
		"T0886 OT new talker",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, a := range alerts {
		if a.EventType != "alert" || a.AppProto != "modbus" || a.Proto != "TCP" || a.DestPort != 502 || a.OT == nil || a.OT.Packet == 0 {
			t.Errorf("malformed alert %+v", a)
		}
		if a.Alert.SignatureID == sense.SIDOutOfEnvelope && (a.OT.Expected != "modbus 10.0.0.2 1 holding_register 100 in [50, 60]" || a.OT.Observed != "999") {
			t.Errorf("envelope expectation %q, observed %q", a.OT.Expected, a.OT.Observed)
		}
	}
}

func TestStatelessRules(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	var pairs [][2]string
	// A heartbeat coil toggled 25 times is normal; 25 distinct coils
	// switched on then off within a few seconds is mass toggling.
	for i := range 25 {
		v := "ff00"
		if i%2 == 1 {
			v = "0000"
		}
		pairs = append(pairs, [2]string{"00010000000601050010" + v, "00010000000601050010" + v})
	}
	_, alerts := runDetect(t, session(t, "10.0.0.1:40000", t0, 100*time.Millisecond, pairs...), false, nil)
	if len(alerts) != 0 {
		t.Errorf("heartbeat toggling: %v", techniques(alerts))
	}
	pairs = nil
	for _, v := range []string{"ff00", "0000"} {
		for c := range 25 {
			adu := fmt.Sprintf("0001000000060105%04x%s", 0x20+c, v)
			pairs = append(pairs, [2]string{adu, adu})
		}
	}
	_, alerts = runDetect(t, session(t, "10.0.0.1:40000", t0, 50*time.Millisecond, pairs...), false, nil)
	if got := techniques(alerts); strings.Join(got, ",") != "T0806 OT mass toggling of coils/relays" {
		t.Errorf("mass toggling: %v", got)
	}
	// A unit-id sweep with exceptions and identification requests.
	pairs = nil
	for u := 1; u <= 12; u++ {
		unit := "0" + string("0123456789abcdef"[u])
		pairs = append(pairs, [2]string{"00010000000" + "5" + unit + "2b0e0100", "00010000000" + "3" + unit + "ab0b"})
	}
	for range 20 {
		pairs = append(pairs, [2]string{"000200000006010300000001", "000200000003018302"})
	}
	pairs = append(pairs, [2]string{"000300000006000600010001", "000300000006000600010001"}) // broadcast write
	_, alerts = runDetect(t, session(t, "10.0.0.1:40000", t0, 10*time.Millisecond, pairs...), false, nil)
	want := []string{"T0814 OT exception storm", "T0846 OT modbus station sweep", "T0855 OT broadcast write", "T0888 OT device identification enumeration"}
	if got := techniques(alerts); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recon: %v, want %v", got, want)
	}
}

func TestPollingBreak(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	poll := [2]string{"000100000006010300640002", "00010000000701030400320003"}
	var pairs [][2]string
	for range 15 {
		pairs = append(pairs, poll)
	}
	out, alerts := runDetect(t, session(t, "10.0.0.1:40000", t0, time.Second, pairs...), true, nil)
	if len(alerts) != 0 {
		t.Fatalf("alerts while learning: %v", techniques(alerts))
	}
	base, err := sense.LoadBaseline(filepath.Join(out, "baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Regular polling raises nothing; a 10 s silence (the learned period is
	// 1 s) is a break.
	steady := session(t, "10.0.0.1:40000", t0, time.Second, pairs...)
	if _, alerts := runDetect(t, steady, false, base); len(alerts) != 0 {
		t.Fatalf("alerts on steady polling: %v", techniques(alerts))
	}
	c := &conversation{cli: netip.MustParseAddrPort("10.0.0.1:40000"), srv: netip.MustParseAddrPort("10.0.0.2:502"), cseq: 1000, sseq: 5000, ts: t0}
	c.add(true, capture.FlagSYN, nil)
	c.add(false, capture.FlagSYN|capture.FlagACK, nil)
	for i := range 6 {
		step := time.Second
		if i == 4 {
			step = 10 * time.Second
		}
		c.ts = c.ts.Add(step)
		c.add(true, capture.FlagACK|capture.FlagPSH, hexb(poll[0]))
		c.add(false, capture.FlagACK|capture.FlagPSH, hexb(poll[1]))
	}
	_, alerts = runDetect(t, c.pcap(t), false, base)
	if got := techniques(alerts); strings.Join(got, ",") != "T0815 OT polling interrupted" {
		t.Fatalf("alerts %v, want the polling break", got)
	}
}

func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"format":1,"talkers":{"modbus 10.0.0.1 -> 10.0.0.2:502":true},"functions":{"modbus 10.0.0.2 1":{"READ_COILS":true}},` +
		`"points":{"modbus 10.0.0.2 1 coil 5":{"writers":{"10.0.0.1":true},"reads":1,"writes":2,"has_value":true,"min":0,"max":1}},` +
		`"polling":{"modbus 10.0.0.1 10.0.0.2 1 READ_COILS":{"count":12,"mean_s":1,"m2":0,"max_s":1.1}}}`))
	f.Add([]byte(`{"format":1,"points":{"x":null},"polling":{"a b c d e":null}}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`{"format":1,"talkers":null,"functions":{"modbus 10.0.0.2 1":null},"points":null,"polling":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := sense.ParseBaseline("fuzz", data)
		if err != nil {
			return
		}
		// The detector must index whatever parsed, and run on it.
		d := sense.NewDetector(b, sense.NewAlertWriter(io.Discard))
		flow := &sense.Flow{UID: "C1", Transport: sense.TCP, Orig: netip.MustParseAddrPort("10.0.0.1:4000"), Resp: netip.MustParseAddrPort("10.0.0.2:502")}
		tx := &sense.Transaction{Proto: "modbus", Flow: flow, TS: time.Unix(1, 0), HasRequest: true, Station: 1, Func: 5, FuncName: "WRITE_SINGLE_COIL",
			Write: true, Ops: []sense.Op{{Kind: sense.Coil, Index: 5, Write: true, HasValue: true, Value: 3}}}
		d.Observe(tx)
		tx.TS = time.Unix(100, 0)
		d.Observe(tx)
		b.Learn(tx)
	})
}

// TestBaselineBadKeys: a key the detector cannot read is bad input, not a
// rule silently switched off.
func TestBaselineBadKeys(t *testing.T) {
	good := `{"format":1,"talkers":{"modbus 10.0.0.1 -> 10.0.0.2:502":true},"functions":{"modbus 10.0.0.2 1":{"READ_COILS":true}},` +
		`"points":{"modbus 10.0.0.2 1 coil 5":{"reads":1}},"polling":{"modbus 10.0.0.1 10.0.0.2 1 READ_COILS":{"count":3}}}`
	if _, err := sense.ParseBaseline("b.json", []byte(good)); err != nil {
		t.Fatalf("a learned baseline is refused: %v", err)
	}
	for _, tc := range []struct{ edit, want string }{
		{strings.Replace(good, "10.0.0.1 -> 10.0.0.2:502", "10.0.0.1 to 10.0.0.2", 1), `talkers: "modbus 10.0.0.1 to 10.0.0.2"`},
		{strings.Replace(good, `"modbus 10.0.0.2 1":{`, `"modbus plc-1 1":{`, 1), `functions: "modbus plc-1 1"`},
		{strings.Replace(good, "coil 5", "coil five", 1), `points: "modbus 10.0.0.2 1 coil five"`},
		{strings.Replace(good, "10.0.0.1 10.0.0.2 1 READ_COILS", "10.0.0.1 10.0.0.2 x READ_COILS", 1), `polling: "modbus 10.0.0.1 10.0.0.2 x READ_COILS"`},
	} {
		_, err := sense.ParseBaseline("b.json", []byte(tc.edit))
		if err == nil || !strings.Contains(err.Error(), "b.json: unreadable baseline keys: "+tc.want) || !diag.IsBadInput(err) {
			t.Errorf("error %v, want it to name %s", err, tc.want)
		}
	}
}
