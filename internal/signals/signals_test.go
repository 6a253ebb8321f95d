package signals

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/heartbeat"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sense"
)

const city = `
zones: [{id: plant, sector: water}]
elements: [{id: t1, kind: tank, sector: water}]
assets:
  - id: tank-rtu
    kind: rtu
    zones: [plant]
    services: [{protocol: modbus}]
    addresses: [10.0.0.2]
    physical: {reports: [t1]}
    signals:
      - {name: L_T1, point: "holding_register:0", scale: 0.01}
      - {name: P_J1, point: "holding_register:1", station: 1, scale: 0.1, offset: -5}
entry_points: [{id: cab, kind: physical, zones: [plant]}]
targets: [{id: t, sector: water, loss: tank level falsified, elements: [t1], via: view}]
`

// process is a tank whose level follows the daily demand and a junction
// pressure that follows the level.
func process(r *rand.Rand, h int) (level, pressure float64) {
	level = 3 + math.Sin(2*math.Pi*float64(h%24)/24) + 0.02*r.NormFloat64()
	pressure = 20 + 2*level + 0.1*r.NormFloat64()
	return level, pressure
}

func TestSamples(t *testing.T) {
	c, err := model.Parse("city.yaml", []byte(city))
	if err != nil {
		t.Fatal(err)
	}
	m := New(c)
	if got := strings.Join(m.Names(), ","); got != "L_T1,P_J1" {
		t.Fatalf("names %s", got)
	}
	flow := &sense.Flow{Orig: netip.MustParseAddrPort("10.0.0.9:40000"), Resp: netip.MustParseAddrPort("10.0.0.2:502")}
	tx := &sense.Transaction{Proto: "modbus", Flow: flow, TS: time.Unix(100, 0), RespTS: time.Unix(101, 0), Station: 1,
		Ops: []sense.Op{{Kind: sense.HoldingRegister, Index: 0, HasValue: true, Value: 312}, {Kind: sense.HoldingRegister, Index: 1, HasValue: true, Value: 262},
			{Kind: sense.HoldingRegister, Index: 2, HasValue: true, Value: 7}, {Kind: sense.Coil, Index: 0, HasValue: true, Value: 1}}}
	var got []heartbeat.Sample
	m.Samples(tx, func(s heartbeat.Sample) { got = append(got, s) })
	want := []heartbeat.Sample{{Time: time.Unix(101, 0), Signal: "L_T1", Value: 3.12}, {Time: time.Unix(101, 0), Signal: "P_J1", Value: 21.2}}
	if len(got) != len(want) {
		t.Fatalf("samples %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Signal != want[i].Signal || math.Abs(got[i].Value-want[i].Value) > 1e-9 || !got[i].Time.Equal(want[i].Time) {
			t.Fatalf("samples %+v, want %+v", got, want)
		}
	}
	// Another station does not serve P_J1; another address serves nothing.
	tx.Station = 2
	got = nil
	m.Samples(tx, func(s heartbeat.Sample) { got = append(got, s) })
	if len(got) != 1 || got[0].Signal != "L_T1" {
		t.Errorf("station 2: %+v, want only L_T1 (station any)", got)
	}
	flow.Resp = netip.MustParseAddrPort("10.0.0.3:502")
	got = nil
	m.Samples(tx, func(s heartbeat.Sample) { got = append(got, s) })
	if len(got) != 0 {
		t.Errorf("unknown responder: %+v", got)
	}
}

// TestWatchFromTraffic trains a heartbeat on the process, then plays Modbus
// reads of the same process through the watch: nothing while it is normal,
// an alarm in the shared schema once the pressure reading is offset.
func TestWatchFromTraffic(t *testing.T) {
	c, err := model.Parse("city.yaml", []byte(city))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tab := &heartbeat.Table{Path: "train", Signals: []string{"L_T1", "P_J1"}}
	for h := range 2400 {
		l, p := process(r, h)
		tm := t0.Add(time.Duration(h) * time.Hour)
		tab.Times = append(tab.Times, tm)
		tab.Stamps = append(tab.Stamps, tm.Format("2006-01-02 15"))
		tab.X = append(tab.X, []float64{math.Round(l*100) / 100, math.Round(p*10) / 10})
	}
	hb, err := heartbeat.Train([]*heartbeat.Table{tab}, heartbeat.TrainOptions{Resolution: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewWatch(New(c), &heartbeat.Model{Signals: []string{"L_T1", "F_PU1"}}, c); err == nil || !strings.Contains(err.Error(), "F_PU1") {
		t.Fatalf("a model needing an unmapped signal: %v", err)
	}
	w, err := NewWatch(New(c), hb, c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	alerts := sense.NewAlertWriter(&buf)
	flow := &sense.Flow{Orig: netip.MustParseAddrPort("10.0.0.9:40000"), Resp: netip.MustParseAddrPort("10.0.0.2:502")}
	start := t0.Add(3000 * time.Hour)
	var firstAlarm time.Time
	for h := range 400 {
		l, p := process(r, h)
		if h >= 300 {
			p += 6 // the pressure reading is offset: it no longer follows the level
		}
		tm := start.Add(time.Duration(h) * time.Hour)
		tx := &sense.Transaction{Proto: "modbus", Flow: flow, TS: tm, RespTS: tm, Station: 1, FuncName: "READ_HOLDING_REGISTERS",
			Ops: []sense.Op{{Kind: sense.HoldingRegister, Index: 0, HasValue: true, Value: math.Round(l * 100)},
				{Kind: sense.HoldingRegister, Index: 1, HasValue: true, Value: math.Round((p + 5) * 10)}}}
		before := w.Alarms
		w.Observe(tx, alerts)
		if w.Alarms > before && firstAlarm.IsZero() {
			firstAlarm = tm
		}
	}
	w.Finish(alerts)
	if err := alerts.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows < 398 {
		t.Errorf("%d rows scored of 400", w.Rows)
	}
	if firstAlarm.IsZero() || firstAlarm.Before(start.Add(300*time.Hour)) || firstAlarm.After(start.Add(303*time.Hour)) {
		t.Fatalf("first alarm at %v, want within 3 h of the offset at %v (%s)", firstAlarm, start.Add(300*time.Hour), w)
	}
	var a sense.Alert
	if err := json.Unmarshal(bytes.SplitN(buf.Bytes(), []byte("\n"), 2)[0], &a); err != nil {
		t.Fatal(err)
	}
	if a.AppProto != "heartbeat" || a.Process == nil || a.OT == nil || len(a.OT.AssetIDs) != 1 || a.OT.AssetIDs[0] != "tank-rtu" || a.Technique() == "" {
		t.Errorf("alert %s", buf.String())
	}
}
