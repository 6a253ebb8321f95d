package heartbeat

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// synthSignals and synthMap describe a one-tank, one-pump process.
var synthSignals = []string{"L_T1", "F_PU1", "S_PU1", "P_J0", "P_J1"}

const synthMapYAML = `
network: synthetic
tanks: [{name: T1, level: L_T1, inflows: [F_PU1]}]
pumps: [{name: PU1, status: S_PU1, flow: F_PU1, suction: P_J0, discharge: P_J1, tank: L_T1}]
`

// attack changes the readings (x) of row r in [from, to); it may also
// change the physical state through phys.
type attack struct {
	from, to int
	read     func(r int, x []float64, hist [][]float64)
	slow     float64 // pump speed factor during the attack (0: unchanged)
}

// synth simulates n hourly rows of the process: the pump switches on
// below 2 m and off above 5 m, pumps 60−2·L l/s, hourly demand follows a
// daily cycle, the discharge pressure follows level and pump state.
func synth(seed uint64, n int, atk *attack) Segment {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	seg := Segment{}
	level, on := 3.0, true
	var hist [][]float64
	for r := range n {
		t := t0.Add(time.Duration(r) * time.Hour)
		if level < 2 {
			on = true
		} else if level > 5 {
			on = false
		}
		flow, s := 0.0, 0.0
		if on {
			s = 1
			flow = 60 - 2*level + rng.NormFloat64()
			if atk != nil && atk.slow > 0 && r >= atk.from && r < atk.to {
				flow *= atk.slow
			}
		}
		h := float64(t.Hour())
		demand := 30 + 15*math.Sin(2*math.Pi*h/24) + 2*rng.NormFloat64()
		x := []float64{level, flow, s, 3 + 0.05*rng.NormFloat64(), 20 + level + 8*s + 0.1*rng.NormFloat64()}
		hist = append(hist, append([]float64(nil), x...))
		if atk != nil && atk.read != nil && r >= atk.from && r < atk.to {
			atk.read(r, x, hist)
		}
		seg.Times = append(seg.Times, t)
		seg.X = append(seg.X, x)
		level += (flow-demand)*0.02 + 0.005*rng.NormFloat64()
		level = math.Max(0, level)
	}
	return seg
}

func synthConfig(t testing.TB) *Config {
	m, err := ParseMap(strings.NewReader(synthMapYAML), "synth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check("synth.yaml", synthSignals); err != nil {
		t.Fatal(err)
	}
	return &Config{Signals: synthSignals, Resolution: 0.001, Step: time.Hour, Map: m}
}

func scoreSeg(d Detector, cfg *Config, s Segment) []float64 {
	sc := d.NewScorer(cfg)
	out := make([]float64, len(s.X))
	for r, x := range s.X {
		out[r], _ = sc.Update(s.Times[r], x)
	}
	return out
}

// TestDetectorsOnInjectedAttacks fits each detector on a clean simulation,
// sets its threshold at the largest score it gives a clean test run (no
// false alarm there), and checks that it flags an injected attack on the
// same run (same seed, so the process noise is identical) within maxDelay
// rows, and that it does not flag the attacks it is not meant to see.
func TestDetectorsOnInjectedAttacks(t *testing.T) {
	cfg := synthConfig(t)
	train := []Segment{synth(1, 3000, nil)}
	const from, to = 400, 520
	attacks := map[string]*attack{
		// Pressure reading offset by 0.6 (6σ of its noise, well inside its range).
		"offset": {from: from, to: to, read: func(_ int, x []float64, _ [][]float64) { x[4] += 0.6 }},
		// Slow drift of the pressure reading, 0.01 per hour.
		"drift": {from: from, to: to, read: func(r int, x []float64, _ [][]float64) { x[4] += 0.01 * float64(r-from) }},
		// Level reading replayed from a day earlier; the process goes on.
		"replay": {from: from, to: to, read: func(r int, x []float64, h [][]float64) { x[0] = h[r-24][0] }},
		// Pump slowed to 80% of its speed; readings are true.
		"slow pump": {from: from, to: to, slow: 0.8},
	}
	tests := []struct {
		det      string
		atk      string
		maxDelay int // -1: must not be detected before the attack ends
	}{
		{"physics", "offset", 0},
		{"physics", "replay", 24},
		{"physics", "slow pump", 6},
		{"cusum", "drift", 60},
		{"cusum", "offset", 3},
		{"envelope", "slow pump", 6},
		{"envelope", "offset", -1},
		{"pca", "offset", 6},
	}
	for _, tt := range tests {
		t.Run(tt.det+"/"+tt.atk, func(t *testing.T) {
			d, err := NewDetector(tt.det)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Fit(cfg, train); err != nil {
				t.Fatal(err)
			}
			clean := scoreSeg(d, cfg, synth(2, 700, nil))
			th := 0.0
			for _, v := range clean {
				th = math.Max(th, v)
			}
			got := scoreSeg(d, cfg, synth(2, 700, attacks[tt.atk]))
			first := -1
			for r := from; r < to; r++ {
				if got[r] > th {
					first = r - from
					break
				}
			}
			switch {
			case tt.maxDelay < 0 && first >= 0:
				t.Errorf("flagged after %d rows; this detector should not see this attack", first)
			case tt.maxDelay >= 0 && first < 0:
				t.Errorf("not detected (threshold %.3g, max score in attack %.3g)", th, maxOf(got[from:to]))
			case tt.maxDelay >= 0 && first > tt.maxDelay:
				t.Errorf("detected after %d rows, want at most %d", first, tt.maxDelay)
			}
			for r := 0; r < from; r++ {
				if got[r] != clean[r] {
					t.Fatalf("row %d before the attack scored %v, clean %v", r, got[r], clean[r])
				}
			}
		})
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// TestModelRoundTrip trains an ensemble, writes and reads the model, and
// checks the read model scores like the trained one; a model read against
// other signals is refused.
func TestModelRoundTrip(t *testing.T) {
	cfg := synthConfig(t)
	seg := synth(3, 2000, nil)
	tab := &Table{Path: "synth", Signals: synthSignals, Times: seg.Times, X: seg.X}
	for _, tm := range seg.Times {
		tab.Stamps = append(tab.Stamps, tm.Format("2006-01-02 15:04"))
	}
	m, err := Train([]*Table{tab}, TrainOptions{Map: cfg.Map, Resolution: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Detectors) != 4 {
		t.Errorf("%d detectors, want 4", len(m.Detectors))
	}
	if m.CalAlarm > m.FAR {
		t.Errorf("calibration alarm rate %v above target %v", m.CalAlarm, m.FAR)
	}
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadModel(bytes.NewReader(buf.Bytes()), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	test := synth(4, 500, attackOffset())
	tt := &Table{Path: "t", Signals: synthSignals, Times: test.Times, X: test.X}
	for _, tm := range test.Times {
		tt.Stamps = append(tt.Stamps, tm.Format("2006-01-02 15:04"))
	}
	r1, err := m.Detect(tt)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := m2.Detect(tt)
	if err != nil {
		t.Fatal(err)
	}
	alarms := 0
	for i := range r1 {
		if r1[i] != r2[i] {
			t.Fatalf("row %d: %+v after reading, %+v before", i, r2[i], r1[i])
		}
		if r1[i].Alarm {
			alarms++
			if r1[i].Explain == "" {
				t.Errorf("row %d: alarm without explanation", i)
			}
		}
	}
	if !r1[400].Alarm || !strings.Contains(r1[400].Explain, "P_J1") {
		t.Errorf("offset on P_J1 at row 400: %+v", r1[400])
	}
	if alarms > 150 {
		t.Errorf("%d alarmed rows of 500 with a 100-row attack", alarms)
	}
	var out bytes.Buffer
	if err := WriteScores(&out, tt, r1); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "DATETIME,score,alarm,explain\n2016-01-01 00:00,") {
		t.Errorf("scores start %q", out.String()[:60])
	}
	tt.Signals = []string{"L_T1", "F_PU1", "S_PU1", "P_J0", "P_J9"}
	if _, err := m2.Detect(tt); err == nil || !strings.Contains(err.Error(), "P_J9") {
		t.Errorf("other signals: got %v", err)
	}
	for _, bad := range []string{`{}`, `{"version":1,"signals":["a"],"detectors":[{"name":"pca","threshold":1,"params":{"mean":[1,2]}}]}`, `{"version":1,"signals":["a"],"detectors":[{"name":"nope","threshold":1,"params":{}}]}`} {
		if _, err := ReadModel(strings.NewReader(bad), "bad.json"); err == nil {
			t.Errorf("model %s accepted", bad)
		}
	}
}

func attackOffset() *attack {
	return &attack{from: 400, to: 500, read: func(_ int, x []float64, _ [][]float64) { x[4] += 1 }}
}

func TestParseMapErrors(t *testing.T) {
	_, err := ParseMap(strings.NewReader("tanks:\n  - {name: T1, levle: L_T1}\n"), "m.yaml")
	if err == nil || !strings.Contains(err.Error(), "m.yaml:2") {
		t.Errorf("unknown field: got %v", err)
	}
	m := CTownMap()
	if len(m.Tanks) != 7 || len(m.Pumps) != 11 {
		t.Errorf("C-Town map: %d tanks %d pumps", len(m.Tanks), len(m.Pumps))
	}
	if err := m.Check("ctown", []string{"L_T1"}); err == nil || !strings.Contains(err.Error(), "tanks[1].level: signal L_T2") {
		t.Errorf("check: %v", err)
	}
}
