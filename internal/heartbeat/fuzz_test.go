package heartbeat

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzParseMap checks that no map file makes the parser or the relation
// builder panic.
func FuzzParseMap(f *testing.F) {
	f.Add(synthMapYAML)
	f.Add(string(ctownYAML))
	f.Add("tanks: [{name: T, level: a, inflows: [a, a]}]\npumps: [{name: P, status: a, flow: a, tank: a}]\n")
	f.Add("pumps: 3\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseMap(strings.NewReader(in), "f.yaml")
		if err != nil {
			return
		}
		_ = m.Check("f.yaml", synthSignals)
		physicalRelations(m, synthSignals)
		m.modeSignals(synthSignals)
	})
}

// FuzzReadModel checks that a model file that is accepted can score rows
// without panicking, whatever its contents.
func FuzzReadModel(f *testing.F) {
	cfg := synthConfig(f)
	seg := synth(5, 600, nil)
	tab := &Table{Path: "synth", Signals: synthSignals, Times: seg.Times, X: seg.X}
	m, err := Train([]*Table{tab}, TrainOptions{Map: cfg.Map, Resolution: 0.001})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"version":1,"signals":["a"],"detectors":[{"name":"cusum","threshold":1,"params":{"k":1,"clip":1,"mean":[[1]],"scale":[[1]]}}]}`))
	f.Add([]byte(`{"version":1,"signals":["a","b"],"step_seconds":3600,"detectors":[{"name":"physics","threshold":1,"params":{"relations":[{"target":1,"cond":0,"regs":[{"sig":0,"lag":1}],"coef":[1,2],"sigma":1}]}}]}`))
	row := []float64{3, 50, 1, 3, 29}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ReadModel(bytes.NewReader(in), "f.json")
		if err != nil {
			return
		}
		s := m.NewStream()
		x := make([]float64, len(m.Signals))
		t0 := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
		for r := range 30 {
			for i := range x {
				x[i] = row[(i+r)%len(row)]
			}
			s.Update(t0.Add(time.Duration(r)*time.Hour), x)
		}
	})
}

// FuzzNetworkMap checks that no network file makes the map derivation
// panic.
func FuzzNetworkMap(f *testing.F) {
	f.Add("[TANKS]\nT1 1 2\n[PUMPS]\nPU1 J1 J2 HEAD 1\n[PIPES]\nP1 J2 J3 10\n[CONTROLS]\nLINK PU1 OPEN IF NODE T1 BELOW 2\n")
	f.Add("[VALVES]\nV1 J1 J2 1 FCV 3\n[PIPES]\nP J1 J1 0\n")
	f.Add("[JUNCTIONS]\nJ1 0\nJ2 0\nJ3 0\n[RESERVOIRS]\nR1 10\n[TANKS]\nT1 50 1 0 4 10 0\n[PUMPS]\nPU1 J1 J2 HEAD C1\n[CURVES]\nC1 10 20\n" +
		"[PIPES]\nP0 R1 J1 10 100 100\nP1 J2 J3 10 100 100\nP2 J3 T1 500 100 100\n[CONTROLS]\nLINK PU1 OPEN IF NODE T1 BELOW 2\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := parseNetworkMap(strings.NewReader(in), "f.inp", []string{"L_T1", "F_PU1", "S_PU1", "P_J3", "F_V1"})
		if err == nil {
			physicalRelations(m, synthSignals)
		}
	})
}
