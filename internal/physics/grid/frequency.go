package grid

import (
	"fmt"
	"math"
	"slices"

	"github.com/citadel-city/citadel/internal/diag"
)

// FreqModel is an aggregate system frequency response model (after
// Anderson and Mirheydar): one equivalent machine with inertia H on the
// generation base, load damping D, and a governor with droop R feeding a
// reheat steam turbine, limited by the spinning reserve. Powers are in MW,
// frequency in Hz.
type FreqModel struct {
	F0      float64 `json:"f0_hz"`      // nominal frequency, Hz (50 or 60)
	BaseMW  float64 `json:"base_mw"`    // generation base (online capacity), MW
	LoadMW  float64 `json:"load_mw"`    // system load, MW
	H       float64 `json:"h_s"`        // inertia constant on BaseMW, s
	D       float64 `json:"d"`          // load damping: % load change per % frequency change
	R       float64 `json:"droop"`      // governor droop, pu (0.05 = 5 %)
	TG      float64 `json:"tg_s"`       // governor time constant, s
	TR      float64 `json:"tr_s"`       // reheat time constant, s (0 = non-reheat)
	FH      float64 `json:"fh"`         // high-pressure turbine fraction
	Reserve float64 `json:"reserve_mw"` // spinning reserve available to governors, MW (0 = unlimited)
	// UFLS are the under-frequency load-shedding stages, in falling
	// threshold order.
	UFLS []UFLSStage `json:"ufls"`
}

// UFLSStage sheds a share of the initial load when frequency stays below
// a threshold for a delay.
type UFLSStage struct {
	Hz    float64 `json:"hz"`
	Share float64 `json:"share"`   // fraction of the initial load shed
	Delay float64 `json:"delay_s"` // relay and breaker time, s
}

// DefaultFreqModel returns typical parameters for a system with the given
// nominal frequency, online capacity and load: H = 5 s, D = 1, R = 5 %,
// TG = 0.2 s, TR = 7 s, FH = 0.3, reserve 10 % of capacity, and six UFLS
// stages of 5 % of load each, from 1 Hz below nominal down in 0.2 Hz steps
// (scaled by f0/50), with 0.1 s delays.
func DefaultFreqModel(f0, baseMW, loadMW float64) FreqModel {
	m := FreqModel{F0: f0, BaseMW: baseMW, LoadMW: loadMW, H: 5, D: 1, R: 0.05, TG: 0.2, TR: 7, FH: 0.3, Reserve: 0.1 * baseMW}
	for k := range 6 {
		m.UFLS = append(m.UFLS, UFLSStage{Hz: f0 - (1+0.2*float64(k))*f0/50, Share: 0.05, Delay: 0.1})
	}
	return m
}

// FreqModelFromCase sizes the default model on a case: the base is the
// capacity of the in-service generators, the load the case's total load.
func FreqModelFromCase(c *Case, f0 float64) FreqModel {
	base, load := 0.0, 0.0
	for _, g := range c.Gen {
		if g.On() {
			base += math.Max(g.Pmax, 0)
		}
	}
	for _, b := range c.Bus {
		if b.Type != Isolated {
			load += b.Pd
		}
	}
	return DefaultFreqModel(f0, base, load)
}

// FreqOverrides replaces parameters of a FreqModel; a nil field keeps the
// model's value.
type FreqOverrides struct {
	BaseMW, LoadMW, H, D, R, TG, Reserve *float64
}

// NewFreqModel sizes the default model on the case c (FreqModelFromCase)
// or, when c is nil, on the BaseMW and LoadMW overrides, which must then
// both be positive; it applies the overrides and validates the result.
// Every problem is a bad-input error.
func NewFreqModel(c *Case, f0 float64, o FreqOverrides) (FreqModel, error) {
	var m FreqModel
	switch {
	case c != nil:
		m = FreqModelFromCase(c, f0)
	case o.BaseMW != nil && *o.BaseMW > 0 && o.LoadMW != nil && *o.LoadMW > 0:
		m = DefaultFreqModel(f0, *o.BaseMW, *o.LoadMW)
	default:
		return m, diag.Errorf("give a case file, or a positive generation base and load")
	}
	for _, f := range []struct {
		v   *float64
		dst *float64
	}{{o.BaseMW, &m.BaseMW}, {o.LoadMW, &m.LoadMW}, {o.H, &m.H}, {o.D, &m.D}, {o.R, &m.R}, {o.TG, &m.TG}, {o.Reserve, &m.Reserve}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if err := m.Validate(); err != nil {
		return m, diag.Errorf("%v", err)
	}
	return m, nil
}

// Validate reports parameters that make the model meaningless.
func (m *FreqModel) Validate() error {
	switch {
	case !(m.F0 > 0):
		return fmt.Errorf("frequency model: nominal frequency %v must be positive", m.F0)
	case !(m.BaseMW > 0):
		return fmt.Errorf("frequency model: generation base %v MW must be positive", m.BaseMW)
	case !(m.H > 0):
		return fmt.Errorf("frequency model: inertia H %v s must be positive", m.H)
	case m.D < 0 || m.LoadMW < 0 || m.Reserve < 0:
		return fmt.Errorf("frequency model: damping, load and reserve must not be negative")
	case !(m.R > 0):
		return fmt.Errorf("frequency model: droop R %v must be positive", m.R)
	case !(m.TG > 0) || m.TR < 0 || m.FH < 0 || m.FH > 1:
		return fmt.Errorf("frequency model: need TG > 0, TR >= 0 and 0 <= FH <= 1")
	}
	for k, s := range m.UFLS {
		if !(s.Hz > 0 && s.Hz < m.F0) || s.Share < 0 || s.Share > 1 || s.Delay < 0 {
			return fmt.Errorf("frequency model: UFLS stage %d (%v Hz, share %v, delay %v s) is invalid", k+1, s.Hz, s.Share, s.Delay)
		}
	}
	return nil
}

// SteadyStateDeviation is the settled frequency deviation (Hz) after a
// sustained load step of dP MW, with no reserve limit and no shedding:
// Δf/f0 = −ΔP/(D·Pload + Pbase/R), that is −ΔP/(D + 1/R) in pu.
func (m *FreqModel) SteadyStateDeviation(dP float64) float64 {
	return -dP / (m.D*m.LoadMW + m.BaseMW/m.R) * m.F0
}

// LoadProfile gives the load disturbance (MW, positive = more load) at
// time t in seconds.
type LoadProfile func(t float64) float64

// MeterSwitching is a mass smart-meter attack: mw of load switched on for
// the first half of each period and off for the second half, from start
// until stop (stop ≤ start means for ever).
func MeterSwitching(mw, period, start, stop float64) LoadProfile {
	return func(t float64) float64 {
		if t < start || (stop > start && t >= stop) || period <= 0 {
			return 0
		}
		if math.Mod(t-start, period) < period/2 {
			return mw
		}
		return 0
	}
}

// Step is a sustained load change of mw from time start.
func Step(mw, start float64) LoadProfile {
	return func(t float64) float64 {
		if t >= start {
			return mw
		}
		return 0
	}
}

// FreqSample is one point of a frequency trace.
type FreqSample struct {
	T       float64 `json:"t_s"`
	Hz      float64 `json:"hz"`
	LoadMW  float64 `json:"disturbance_mw"`
	MechMW  float64 `json:"governor_mw"`
	ShedMW  float64 `json:"shed_mw"`
	RoCoFHz float64 `json:"rocof_hz_s"`
}

// TripEvent records a UFLS stage operating.
type TripEvent struct {
	Stage  int     `json:"stage"` // 1-based
	T      float64 `json:"t_s"`
	Hz     float64 `json:"hz"`
	ShedMW float64 `json:"shed_mw"`
}

// FreqResult summarises a simulation.
type FreqResult struct {
	NadirHz     float64      `json:"nadir_hz"`
	NadirT      float64      `json:"nadir_t_s"`
	ZenithHz    float64      `json:"zenith_hz"`
	FinalHz     float64      `json:"final_hz"`
	MaxRoCoF    float64      `json:"max_rocof_hz_s"` // largest |df/dt|
	Trips       []TripEvent  `json:"ufls_trips"`
	ShedMW      float64      `json:"load_shed_mw"`
	ReserveUsed float64      `json:"max_governor_mw"`
	Trace       []FreqSample `json:"trace,omitempty"`
}

// Simulate integrates the model over duration seconds with step dt (0
// means 10 ms) under the load profile, with fourth-order Runge–Kutta. The
// trace keeps one sample every sampleEvery seconds (0 = no trace).
//
// State: Δf (Hz), governor output xg and reheat state z (MW). Equations:
//
//	2H·Pbase/f0 · dΔf/dt = Pm − ΔPL + shed − D·Pload·Δf/f0
//	TG · dxg/dt = −(Pbase/R)·Δf/f0 − xg, xg within ±Reserve
//	Pm = FH·xg + z,  TR · dz/dt = (1−FH)·xg − z
func (m *FreqModel) Simulate(load LoadProfile, duration, dt, sampleEvery float64) (*FreqResult, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if !(duration > 0) || dt < 0 {
		return nil, fmt.Errorf("frequency simulation: duration %v and step %v must be positive", duration, dt)
	}
	if dt == 0 {
		dt = 0.01
	}
	stages := slices.Clone(m.UFLS)
	tripped := make([]bool, len(stages))
	below := make([]float64, len(stages)) // time each stage has been under threshold
	for k := range below {
		below[k] = -1
	}
	M := 2 * m.H * m.BaseMW / m.F0
	gain := m.BaseMW / m.R / m.F0
	damp := m.D * m.LoadMW / m.F0
	limit := func(x float64) float64 {
		if m.Reserve > 0 {
			return math.Max(-m.Reserve, math.Min(m.Reserve, x))
		}
		return x
	}
	shed := 0.0
	type state struct{ df, xg, z float64 }
	deriv := func(s state, t float64) state {
		xg := limit(s.xg)
		var pm float64
		if m.TR > 0 {
			pm = m.FH*xg + s.z
		} else {
			pm = xg
		}
		d := state{df: (pm - load(t) + shed - damp*s.df) / M}
		d.xg = (-gain*s.df - s.xg) / m.TG
		// Anti-windup: the governor does not integrate past its limit.
		if m.Reserve > 0 && ((s.xg >= m.Reserve && d.xg > 0) || (s.xg <= -m.Reserve && d.xg < 0)) {
			d.xg = 0
		}
		if m.TR > 0 {
			d.z = ((1-m.FH)*xg - s.z) / m.TR
		}
		return d
	}
	res := &FreqResult{NadirHz: m.F0, ZenithHz: m.F0}
	var s state
	nextSample := 0.0
	steps := int(math.Ceil(duration/dt - 1e-9))
	for i := 0; i <= steps; i++ {
		t := float64(i) * dt
		d := deriv(s, t)
		hz := m.F0 + s.df
		rocof := d.df
		if hz < res.NadirHz {
			res.NadirHz, res.NadirT = hz, t
		}
		res.ZenithHz = math.Max(res.ZenithHz, hz)
		res.MaxRoCoF = math.Max(res.MaxRoCoF, math.Abs(rocof))
		pm := limit(s.xg)
		if m.TR > 0 {
			pm = m.FH*limit(s.xg) + s.z
		}
		res.ReserveUsed = math.Max(res.ReserveUsed, pm)
		if sampleEvery > 0 && t >= nextSample-1e-9 {
			res.Trace = append(res.Trace, FreqSample{T: t, Hz: hz, LoadMW: load(t), MechMW: pm, ShedMW: shed, RoCoFHz: rocof})
			nextSample += sampleEvery
		}
		// UFLS relays: a stage trips after its delay below threshold.
		for k, st := range stages {
			if tripped[k] {
				continue
			}
			if hz < st.Hz {
				if below[k] < 0 {
					below[k] = t
				}
				if t-below[k] >= st.Delay-1e-9 {
					tripped[k] = true
					mw := st.Share * m.LoadMW
					shed += mw
					res.Trips = append(res.Trips, TripEvent{Stage: k + 1, T: t, Hz: hz, ShedMW: mw})
				}
			} else {
				below[k] = -1
			}
		}
		if i == steps {
			break
		}
		k1 := deriv(s, t)
		k2 := deriv(state{s.df + dt/2*k1.df, s.xg + dt/2*k1.xg, s.z + dt/2*k1.z}, t+dt/2)
		k3 := deriv(state{s.df + dt/2*k2.df, s.xg + dt/2*k2.xg, s.z + dt/2*k2.z}, t+dt/2)
		k4 := deriv(state{s.df + dt*k3.df, s.xg + dt*k3.xg, s.z + dt*k3.z}, t+dt)
		s.df += dt / 6 * (k1.df + 2*k2.df + 2*k3.df + k4.df)
		s.xg += dt / 6 * (k1.xg + 2*k2.xg + 2*k3.xg + k4.xg)
		s.z += dt / 6 * (k1.z + 2*k2.z + 2*k3.z + k4.z)
		if m.Reserve > 0 {
			s.xg = math.Max(-m.Reserve, math.Min(m.Reserve, s.xg))
		}
		if math.IsNaN(s.df) || math.IsInf(s.df, 0) {
			return nil, fmt.Errorf("frequency simulation diverged at t = %.3f s (step %v s too large?)", t, dt)
		}
	}
	res.FinalHz = m.F0 + s.df
	res.ShedMW = shed
	return res, nil
}

// PeriodResult is the response to a switching attack at one period.
type PeriodResult struct {
	Period  float64 `json:"period_s"`
	NadirHz float64 `json:"nadir_hz"`
	Zenith  float64 `json:"zenith_hz"`
	Trips   int     `json:"ufls_trips"`
	ShedMW  float64 `json:"load_shed_mw"`
}

// SweepPeriods simulates the meter-switching attack of mw at each period
// (from t = 1 s, for duration seconds) and returns the responses, so that
// the most damaging rhythm can be found: the nadir is deepest when the
// half-period lets frequency fall furthest before the load comes off, and
// UFLS trips accumulate over repeated cycles.
func (m *FreqModel) SweepPeriods(mw float64, periods []float64, duration float64) ([]PeriodResult, error) {
	out := make([]PeriodResult, 0, len(periods))
	for _, p := range periods {
		if !(p > 0) {
			return nil, fmt.Errorf("sweep: period %v s must be positive", p)
		}
		r, err := m.Simulate(MeterSwitching(mw, p, 1, 0), duration, 0, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, PeriodResult{Period: p, NadirHz: r.NadirHz, Zenith: r.ZenithHz, Trips: len(r.Trips), ShedMW: r.ShedMW})
	}
	return out, nil
}
