package grid

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

func noShed(m FreqModel) FreqModel {
	m.UFLS = nil
	m.Reserve = 0
	return m
}

// TestFreqSteadyState checks the settled deviation against the textbook
// result Δf = −ΔP/(D + 1/R) (pu, load base = generation base).
func TestFreqSteadyState(t *testing.T) {
	for _, tc := range []struct {
		name string
		f0   float64
		dP   float64
		d, r float64
		tr   float64
	}{
		{"50Hz-reheat", 50, 100, 1, 0.05, 7},
		{"60Hz-nonreheat", 60, 250, 2, 0.04, 0},
		{"load-drop", 50, -80, 1.5, 0.06, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := noShed(DefaultFreqModel(tc.f0, 5000, 5000))
			m.D, m.R, m.TR = tc.d, tc.r, tc.tr
			r, err := m.Simulate(Step(tc.dP, 0), 200, 0.01, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := -tc.dP / 5000 / (tc.d + 1/tc.r) * tc.f0
			if got := r.FinalHz - tc.f0; math.Abs(got-want) > 1e-6 {
				t.Errorf("settled deviation %.9f Hz, analytic %.9f Hz", got, want)
			}
			if math.Abs(m.SteadyStateDeviation(tc.dP)-want) > 1e-12 {
				t.Errorf("SteadyStateDeviation %v, want %v", m.SteadyStateDeviation(tc.dP), want)
			}
			// Initial rate of change: ΔP·f0/(2H·Pbase).
			if rocof := tc.dP * tc.f0 / (2 * m.H * 5000); math.Abs(r.MaxRoCoF-math.Abs(rocof)) > 1e-9 {
				t.Errorf("max RoCoF %v, analytic initial %v", r.MaxRoCoF, math.Abs(rocof))
			}
		})
	}
}

// TestFreqInertiaDamping: without governors (huge droop) the response is
// first order, Δf(t) = −ΔP/Dl·(1 − exp(−t·Dl/M)).
func TestFreqInertiaDamping(t *testing.T) {
	m := noShed(DefaultFreqModel(50, 1000, 800))
	m.R = 1e12
	r, err := m.Simulate(Step(40, 0), 5, 0.01, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	M := 2 * m.H * m.BaseMW / m.F0
	dl := m.D * m.LoadMW / m.F0
	for _, s := range r.Trace {
		want := -40 / dl * (1 - math.Exp(-s.T*dl/M))
		if math.Abs(s.Hz-50-want) > 1e-8 {
			t.Errorf("t=%.1f: Δf %.10f, analytic %.10f", s.T, s.Hz-50, want)
		}
	}
	if len(r.Trace) != 11 {
		t.Errorf("%d trace samples, want 11", len(r.Trace))
	}
}

// TestFreqReserveLimit: when governors run out of reserve, damping alone
// holds the rest: Δf = −(ΔP − reserve)/(D·Pload/f0).
func TestFreqReserveLimit(t *testing.T) {
	m := DefaultFreqModel(50, 1000, 1000)
	m.UFLS = nil
	m.Reserve = 30
	r, err := m.Simulate(Step(50, 0), 300, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := -(50 - 30) / (m.D * m.LoadMW / m.F0)
	if math.Abs(r.FinalHz-50-want) > 1e-5 {
		t.Errorf("settled deviation %v, want %v", r.FinalHz-50, want)
	}
	if math.Abs(r.ReserveUsed-30) > 1e-6 {
		t.Errorf("governors delivered %v MW, reserve is 30", r.ReserveUsed)
	}
}

func TestFreqUFLS(t *testing.T) {
	m := DefaultFreqModel(50, 1000, 900)
	m.Reserve = 20
	r, err := m.Simulate(Step(150, 1), 60, 0.005, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Trips) == 0 {
		t.Fatalf("a 150 MW loss with 20 MW of reserve tripped no UFLS stage (nadir %.3f Hz)", r.NadirHz)
	}
	for k, tr := range r.Trips {
		st := m.UFLS[tr.Stage-1]
		if tr.Hz >= st.Hz || tr.T < 1+st.Delay {
			t.Errorf("trip %d: stage %d at %.3f Hz, t=%.3f (threshold %.2f Hz, delay %v)", k, tr.Stage, tr.Hz, tr.T, st.Hz, st.Delay)
		}
		if k > 0 && tr.Stage < r.Trips[k-1].Stage {
			t.Errorf("stages tripped out of order: %v", r.Trips)
		}
	}
	if want := float64(len(r.Trips)) * 0.05 * 900; math.Abs(r.ShedMW-want) > 1e-9 {
		t.Errorf("shed %v MW, want %v", r.ShedMW, want)
	}
	// Shedding arrests the decline above the next, untripped, stage.
	if n := len(r.Trips); n < len(m.UFLS) && r.NadirHz < m.UFLS[n].Hz {
		t.Errorf("nadir %.3f Hz is below untripped stage %d (%.2f Hz)", r.NadirHz, n+1, m.UFLS[n].Hz)
	}
	if r.FinalHz < r.NadirHz || r.FinalHz > 50 {
		t.Errorf("final %.3f Hz, nadir %.3f Hz", r.FinalHz, r.NadirHz)
	}
}

// TestMeterSwitching: fast switching is filtered by the inertia into its
// average (half the switched load), slow switching acts like a step, and
// no attack does nothing.
func TestMeterSwitching(t *testing.T) {
	m := noShed(DefaultFreqModel(50, 2000, 1800))
	nadir := func(mw, period float64) float64 {
		r, err := m.Simulate(MeterSwitching(mw, period, 1, 0), 120, 0.01, 0)
		if err != nil {
			t.Fatal(err)
		}
		return 50 - r.NadirHz
	}
	step, err := m.Simulate(Step(100, 1), 120, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	fast, slow := nadir(100, 0.2), nadir(100, 120)
	if nadir(0, 10) != 0 {
		t.Error("no switching moved the frequency")
	}
	if math.Abs(slow-(50-step.NadirHz)) > 1e-9 {
		t.Errorf("a 120 s period (one half-cycle of 60 s) gives nadir drop %v, the step gives %v", slow, 50-step.NadirHz)
	}
	half, err := m.Simulate(Step(50, 1), 120, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The ripple adds a little on top of the average's drop.
	if h := 50 - half.NadirHz; fast < h || fast > 1.1*h {
		t.Errorf("0.2 s switching of 100 MW dropped frequency by %v Hz, a 50 MW step by %v Hz", fast, h)
	}
}

func TestFreqModelFromCase(t *testing.T) {
	c, err := ReadCase(filepath.Join(shareddata.Path(t, "grid", "cases"), "case_ACTIVSg500.m"))
	if err != nil {
		t.Fatal(err)
	}
	m := FreqModelFromCase(c, 60)
	if m.BaseMW <= m.LoadMW || m.LoadMW <= 0 || len(m.UFLS) != 6 || m.UFLS[0].Hz != 58.8 {
		t.Errorf("model %+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	bad := m
	bad.H = 0
	if bad.Validate() == nil {
		t.Error("H = 0 accepted")
	}
}

// TestSweepPeriods: with the default, well-damped parameters (no shedding,
// no reserve limit) the nadir of a switching attack deepens with the
// period towards the step response. An underdamped system could resonate
// below it; this one has almost no overshoot, so the step bounds it.
func TestSweepPeriods(t *testing.T) {
	m := noShed(DefaultFreqModel(50, 2000, 1800))
	res, err := m.SweepPeriods(100, []float64{0.5, 2, 8, 30, 200}, 120)
	if err != nil {
		t.Fatal(err)
	}
	step, err := m.Simulate(Step(100, 1), 120, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range res {
		if r.NadirHz < step.NadirHz-1e-9 {
			t.Errorf("period %v s: nadir %.4f Hz below the step response's %.4f Hz", r.Period, r.NadirHz, step.NadirHz)
		}
		if k > 0 && r.NadirHz > res[k-1].NadirHz+1e-9 {
			t.Errorf("period %v s: nadir %.4f Hz shallower than at %v s (%.4f Hz)", r.Period, r.NadirHz, res[k-1].Period, res[k-1].NadirHz)
		}
	}
	if _, err := m.SweepPeriods(100, []float64{0}, 10); err == nil {
		t.Error("period 0 accepted")
	}
}
