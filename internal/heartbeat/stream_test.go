package heartbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// synthModel trains an ensemble on the synthetic process.
func synthModel(t testing.TB) *Model {
	t.Helper()
	cfg := synthConfig(t)
	seg := synth(3, 2000, nil)
	tab := &Table{Path: "synth", Signals: synthSignals, Times: seg.Times, X: seg.X}
	m, err := Train([]*Table{tab}, TrainOptions{Map: cfg.Map, Resolution: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAssembler(t *testing.T) {
	a := NewAssembler([]string{"a", "b"})
	t0 := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	steps := []struct {
		s    Sample
		ok   bool
		time time.Time
		row  []float64
	}{
		{Sample{at(0), "a", 1}, false, time.Time{}, nil},
		{Sample{at(1), "a", 2}, false, time.Time{}, nil}, // hour 0 incomplete: b never seen
		{Sample{at(1), "b", 5}, false, time.Time{}, nil},
		{Sample{at(1), "x", 9}, false, time.Time{}, nil}, // unknown signal
		{Sample{at(2), "b", 6}, true, at(1), []float64{2, 5}},
		{Sample{at(0), "a", 7}, false, time.Time{}, nil},      // late
		{Sample{at(3), "a", 3}, true, at(2), []float64{2, 6}}, // a held from hour 1
	}
	for i, st := range steps {
		tm, row, ok := a.Add(st.s)
		if ok != st.ok || !tm.Equal(st.time) || fmt.Sprint(row) != fmt.Sprint(st.row) {
			t.Errorf("step %d: got %v %v %v, want %v %v %v", i, tm, row, ok, st.time, st.row, st.ok)
		}
	}
	if tm, row, ok := a.Flush(); !ok || !tm.Equal(at(3)) || fmt.Sprint(row) != "[3 6]" {
		t.Errorf("flush: %v %v %v", tm, row, ok)
	}
	if a.Late != 1 || a.Unknown != 1 {
		t.Errorf("late %d unknown %d", a.Late, a.Unknown)
	}
}

func TestParseTelemetry(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"time":"2016-07-04T00:00:00Z","values":{"b":2,"a":1}}`, "a=1 b=2"},
		{`{"time":"04/07/16 00","signal":"L_T1","value":2.44}`, "L_T1=2.44"},
		{`{"time":"04/07/16 00","signal":"L_T1"}`, "error: telemetry message: signal L_T1 without a value"},
		{`{"time":"soon","values":{"a":1}}`, "error: telemetry message: timestamp \"soon\""},
		{`{"time":"04/07/16 00"}`, "error: telemetry message: no values"},
		{`{"time":"04/07/16 00","valeus":{"a":1}}`, "error: telemetry message: json: unknown field"},
		{`not json`, "error: telemetry message: invalid character"},
	}
	for _, tt := range tests {
		s, err := ParseTelemetry([]byte(tt.in))
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var parts []string
			for _, x := range s {
				parts = append(parts, fmt.Sprintf("%s=%g", x.Signal, x.Value))
			}
			got = strings.Join(parts, " ")
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: got %q, want prefix %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseTelemetry(f *testing.F) {
	f.Add([]byte(`{"time":"2016-07-04T00:00:00Z","values":{"b":2,"a":1}}`))
	f.Add([]byte(`{"time":"04/07/16 00","signal":"L_T1","value":2.44}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseTelemetry(in)
		if err == nil && len(s) == 0 {
			t.Fatal("no samples and no error")
		}
	})
}

// synthCSV writes a synthetic run with a +1 offset on P_J1 from row 400.
func synthCSV(n int) (string, []time.Time) {
	seg := synth(4, n, attackOffset())
	var b strings.Builder
	b.WriteString("DATETIME," + strings.Join(synthSignals, ",") + "\n")
	for r, x := range seg.X {
		fmt.Fprintf(&b, "%s", seg.Times[r].Format("2006-01-02 15:04"))
		for _, v := range x {
			fmt.Fprintf(&b, ",%.4f", v)
		}
		b.WriteString("\n")
	}
	return b.String(), seg.Times
}

func checkOffsetAlerts(t *testing.T, alerts []Alert, times []time.Time) {
	t.Helper()
	var hit *Alert
	for i := range alerts {
		at := time.Time(alerts[i].Timestamp)
		if !at.Before(times[400]) && !at.After(times[405]) {
			hit = &alerts[i]
		}
	}
	if hit == nil {
		t.Fatalf("no alert at the offset's start among %d alerts", len(alerts))
	}
	if hit.Technique() != TechManipulationOfView || hit.Alert.Metadata.MitreTechniqueName[0] != "Manipulation of View" ||
		hit.Process == nil || !strings.Contains(hit.Process.Explain, "P_J1") || hit.AppProto != "heartbeat" || hit.EventType != "alert" {
		t.Errorf("alert %+v", *hit)
	}
	if len(alerts) > 10 {
		t.Errorf("%d alerts for one attack", len(alerts))
	}
}

func TestWatchRows(t *testing.T) {
	m := synthModel(t)
	in, times := synthCSV(500)
	rr, err := NewRowReader(strings.NewReader(in), "live.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var alerts []Alert
	n, err := m.WatchRows(context.Background(), rr, func(a Alert) error { alerts = append(alerts, a); return nil })
	if err != nil || n != 500 {
		t.Fatalf("%d rows, %v", n, err)
	}
	checkOffsetAlerts(t, alerts, times)
	// The same rows through per-signal telemetry messages.
	msgs := make(chan []byte, 4000)
	seg := synth(4, 500, attackOffset())
	for r, x := range seg.X {
		for j, v := range x {
			msgs <- fmt.Appendf(nil, `{"time":%q,"signal":%q,"value":%g}`, seg.Times[r].Format(time.RFC3339), synthSignals[j], v)
		}
	}
	msgs <- []byte("garbage")
	close(msgs)
	var alerts2 []Alert
	bad := 0
	n, err = m.WatchSamples(context.Background(), msgs, 0, func(a Alert) error { alerts2 = append(alerts2, a); return nil }, func(error) { bad++ })
	if err != nil || n != 500 || bad != 1 {
		t.Fatalf("telemetry: %d rows, %d bad, %v", n, bad, err)
	}
	if len(alerts2) != len(alerts) {
		t.Errorf("%d alerts from telemetry, %d from CSV", len(alerts2), len(alerts))
	}
	// A bad row stops a CSV watch with its position.
	rr, _ = NewRowReader(strings.NewReader(strings.Replace(in, "\n2016-01-01 05:00,", "\n2016-01-01 05:00,x", 1)), "live.csv", ReadOptions{})
	if _, err := m.WatchRows(context.Background(), rr, func(Alert) error { return nil }); err == nil || !strings.Contains(err.Error(), "live.csv:7:") {
		t.Errorf("bad row: %v", err)
	}
}

// TestWatchMQTT runs a real Mosquitto broker on loopback, publishes the
// synthetic run as telemetry and checks the alert. It is skipped when
// mosquitto is not installed.
func TestWatchMQTT(t *testing.T) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/mosquitto"); e != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("mosquitto not installed under CI=true: .ci/run installs the Debian package mosquitto")
			}
			t.Skip("mosquitto not installed (apt-get install mosquitto); skipping the MQTT test")
		}
		bin = "/usr/sbin/mosquitto"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("mosquitto did not listen on %s: %s", addr, logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	m := synthModel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, _ := url.Parse("mqtt://" + addr)
	pub, err := autopaho.NewConnection(ctx, autopaho.ClientConfig{ServerUrls: []*url.URL{u}, KeepAlive: 20, ClientConfig: paho.ClientConfig{ClientID: "hb-test-pub"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	publish := func(payload []byte) {
		if _, err := pub.Publish(ctx, &paho.Publish{QoS: 1, Topic: "city/water/telemetry", Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	// Probe until the subscriber sees messages (a probe is a bad message).
	probed := make(chan struct{})
	var alerts []Alert
	watchDone := make(chan error, 1)
	const n = 500
	go func() {
		once := false
		_, err := m.WatchMQTT(ctx, MQTTOptions{Broker: "mqtt://" + addr, Topic: "city/+/telemetry", ClientID: "hb-test-sub"}, n-1, func(a Alert) error { alerts = append(alerts, a); return nil }, func(error) {
			if !once {
				once = true
				close(probed)
			}
		})
		watchDone <- err
	}()
	for waiting := true; waiting; {
		publish([]byte(`{"time":"2016-01-01T00:00:00Z"}`))
		select {
		case <-probed:
			waiting = false
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("subscriber never received a message")
		}
	}
	seg := synth(4, n, attackOffset())
	for r, x := range seg.X {
		vals := map[string]float64{}
		for j, v := range x {
			vals[synthSignals[j]] = v
		}
		p, _ := json.Marshal(map[string]any{"time": seg.Times[r].Format(time.RFC3339), "values": vals})
		publish(p)
	}
	if err := <-watchDone; err != nil {
		t.Fatal(err)
	}
	cancel()
	<-pub.Done()
	checkOffsetAlerts(t, alerts, seg.Times)
}
