package heartbeat

import (
	"fmt"
	"math"
	"strings"
	"time"
)

func init() { Register("envelope", func() Detector { return &Envelope{} }) }

// Envelope learns, for every signal, the range of its value and of its
// hourly change, overall and per operating mode: the mode of a signal is
// the previous and current state of the pumps and valves the map ties it
// to, so "tank T1 above 4.5 m while PU2 stays on" or "PU7 on with the flow
// of a slowed pump" fall outside the envelope of that mode. The score is
// the largest excess over a learned range, in units of the signal's
// standard deviation (of its value or of its change).
type Envelope struct {
	MinCount int              `json:"min_count"` // a mode needs this many training rows to have its own range
	Modes    [][]int          `json:"modes"`     // per signal: indices of the status signals of its mode
	Scale    []float64        `json:"scale"`     // per signal: standard deviation of the value
	DScale   []float64        `json:"dscale"`    // per signal: standard deviation of the change
	Global   []Range          `json:"global"`    // per signal: range over all modes
	ByMode   []map[int]*Range `json:"by_mode"`   // per signal: range per mode key
}

// Range is a learned range of values and of row-to-row changes.
type Range struct {
	N   int     `json:"n"`
	Lo  float64 `json:"lo"`
	Hi  float64 `json:"hi"`
	DN  int     `json:"dn"`
	DLo float64 `json:"dlo"`
	DHi float64 `json:"dhi"`
}

func (r *Range) add(v float64) {
	if r.N == 0 || v < r.Lo {
		r.Lo = v
	}
	if r.N == 0 || v > r.Hi {
		r.Hi = v
	}
	r.N++
}

func (r *Range) addD(d float64) {
	if r.DN == 0 || d < r.DLo {
		r.DLo = d
	}
	if r.DN == 0 || d > r.DHi {
		r.DHi = d
	}
	r.DN++
}

// Name implements Detector.
func (e *Envelope) Name() string { return "envelope" }

// modeKey packs the previous and current on/off state of the mode signals
// into an integer (two bits per signal).
func modeKey(modes []int, prev, x []float64, havePrev bool) int {
	k := 0
	for _, j := range modes {
		cur := x[j] > 0.5
		p := cur
		if havePrev {
			p = prev[j] > 0.5
		}
		k <<= 2
		if p {
			k |= 2
		}
		if cur {
			k |= 1
		}
	}
	return k
}

// Fit implements Detector.
func (e *Envelope) Fit(cfg *Config, segs []Segment) error {
	n := len(cfg.Signals)
	if e.MinCount == 0 {
		e.MinCount = 24
	}
	e.Modes = cfg.Map.modeSignals(cfg.Signals)
	e.Scale = make([]float64, n)
	e.DScale = make([]float64, n)
	e.Global = make([]Range, n)
	e.ByMode = make([]map[int]*Range, n)
	mv := make([]moments, n)
	md := make([]moments, n)
	for j := range e.ByMode {
		e.ByMode[j] = map[int]*Range{}
	}
	for _, s := range segs {
		for r, x := range s.X {
			havePrev := r > 0
			var prev []float64
			if havePrev {
				prev = s.X[r-1]
			}
			for j, v := range x {
				mv[j].add(v)
				e.Global[j].add(v)
				var rm *Range
				if len(e.Modes[j]) > 0 {
					k := modeKey(e.Modes[j], prev, x, havePrev)
					rm = e.ByMode[j][k]
					if rm == nil {
						rm = &Range{}
						e.ByMode[j][k] = rm
					}
					rm.add(v)
				}
				if havePrev {
					d := v - prev[j]
					md[j].add(d)
					e.Global[j].addD(d)
					if rm != nil {
						rm.addD(d)
					}
				}
			}
		}
	}
	for j := range n {
		e.Scale[j] = floorScale(mv[j].std(), cfg.Resolution)
		e.DScale[j] = floorScale(md[j].std(), cfg.Resolution)
		for k, r := range e.ByMode[j] {
			if r.N < e.MinCount {
				delete(e.ByMode[j], k)
			}
		}
	}
	return nil
}

type envelopeScorer struct {
	e    *Envelope
	prev prevTracker
}

// NewScorer implements Detector.
func (e *Envelope) NewScorer(cfg *Config) Scorer {
	return &envelopeScorer{e: e, prev: newPrevTracker(cfg)}
}

const globalMode = 1023

func (s *envelopeScorer) Update(t time.Time, x []float64) (float64, int) {
	e := s.e
	adj := s.prev.adjacent(t)
	best, arg := 0.0, 0
	for j, v := range x {
		r := &e.Global[j]
		key := globalMode
		if len(e.Modes[j]) > 0 {
			k := modeKey(e.Modes[j], s.prev.x, x, adj)
			if rm := e.ByMode[j][k]; rm != nil {
				r, key = rm, k
			}
		}
		if ex := math.Max(v-r.Hi, r.Lo-v) / e.Scale[j]; ex > best {
			best, arg = ex, (2*j)*1024+key
		}
		if adj {
			d := v - s.prev.x[j]
			dr := r
			if dr.DN < e.MinCount {
				dr = &e.Global[j]
			}
			if ex := math.Max(d-dr.DHi, dr.DLo-d) / e.DScale[j]; ex > best {
				best, arg = ex, (2*j+1)*1024+key
			}
		}
	}
	s.prev.set(t, x)
	return best, arg
}

// Explain implements Detector.
func (e *Envelope) Explain(cfg *Config, arg int) string {
	key := arg % 1024
	j, kind := (arg/1024)/2, (arg/1024)%2
	if j >= len(cfg.Signals) {
		return "envelope"
	}
	what := "value"
	if kind == 1 {
		what = "rate of change"
	}
	r := &e.Global[j]
	mode := ""
	if key != globalMode && j < len(e.Modes) {
		if rm := e.ByMode[j][key]; rm != nil {
			r = rm
		}
		var parts []string
		ms := e.Modes[j]
		for i, m := range ms {
			b := key >> (2 * (len(ms) - 1 - i)) & 3
			parts = append(parts, fmt.Sprintf("%s %s→%s", cfg.Signals[m], onOff(b&2 != 0), onOff(b&1 != 0)))
		}
		mode = " with " + strings.Join(parts, ", ")
	}
	lo, hi := r.Lo, r.Hi
	if kind == 1 {
		lo, hi = r.DLo, r.DHi
	}
	return fmt.Sprintf("%s %s outside learned range [%.3g, %.3g]%s", cfg.Signals[j], what, lo, hi, mode)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Technique implements Classifier: a flow outside the range of its own
// pump's or valve's state points at a changed speed or setting (T0836
// Modify Parameter); anything else at readings that do not match the
// process (T0832 Manipulation of View).
func (e *Envelope) Technique(cfg *Config, arg int) string {
	j, kind := (arg/1024)/2, (arg/1024)%2
	if kind == 0 && j >= 0 && j < len(e.Modes) && len(e.Modes[j]) == 1 && cfg.Map != nil {
		for _, l := range cfg.Map.links() {
			if l.Flow == cfg.Signals[j] && l.Status == cfg.Signals[e.Modes[j][0]] {
				return TechModifyParameter
			}
		}
	}
	return TechManipulationOfView
}
