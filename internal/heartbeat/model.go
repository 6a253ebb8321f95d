package heartbeat

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// ModelVersion is the version of the model file format.
const ModelVersion = 1

// TrainOptions says how to train a Model.
type TrainOptions struct {
	// Detectors are the registry names to use; all registered when empty
	// (physics only when a map applies).
	Detectors []string
	// FAR is the target false-alarm rate: the share of held-out attack-free
	// rows allowed to raise an alarm (default 0.01).
	FAR float64
	// CalFraction is the share of training rows, the last ones of each
	// file, held out to calibrate thresholds (default 0.25).
	CalFraction float64
	// Resolution floors every scale (default 0.01).
	Resolution float64
	// Alarm is the persistence rule (defaults: DefaultAlarmRule).
	Alarm *AlarmRule
	// Map gives the physical roles of the signals; nil selects the
	// built-in C-Town map when the data has its signals.
	Map *Map
	// UseUnlabelled trains on rows labelled unlabelled (-999) too.
	UseUnlabelled bool
}

// AlarmRule is the alarm persistence (hysteresis) an operator needs: an
// alarm is raised when the fused score reaches 1, and held while it stays
// above Off or for Hold rows after it last reached 1.
type AlarmRule struct {
	Hold int     `json:"hold"`
	Off  float64 `json:"off"`
}

// DefaultAlarmRule holds an alarm 3 rows after the last trigger and while
// the score stays above half the threshold. It was fixed before any
// evaluation on attack data.
var DefaultAlarmRule = AlarmRule{Hold: 3, Off: 0.5}

// Model is a trained ensemble: detectors fitted on attack-free data and a
// threshold for each, scaled so the alarm rate on held-out attack-free
// data meets the target false-alarm rate.
type Model struct {
	Version    int              `json:"version"`
	Signals    []string         `json:"signals"`
	Resolution float64          `json:"resolution"`
	StepSec    float64          `json:"step_seconds"`
	Map        *Map             `json:"map,omitempty"`
	FAR        float64          `json:"far"`
	Alarm      AlarmRule        `json:"alarm"`
	TrainRows  int              `json:"train_rows"`
	CalRows    int              `json:"calibration_rows"`
	CalAlarm   float64          `json:"calibration_alarm_rate"`
	Detectors  []FittedDetector `json:"detectors"`

	cfg *Config
}

// FittedDetector is one detector of a Model with its threshold.
type FittedDetector struct {
	Name      string          `json:"name"`
	Threshold float64         `json:"threshold"`
	Params    json.RawMessage `json:"params"`

	d Detector
}

// Config returns the configuration the detectors were fitted with.
func (m *Model) Config() *Config {
	if m.cfg == nil {
		m.cfg = &Config{Signals: m.Signals, Resolution: m.Resolution, Step: time.Duration(m.StepSec * float64(time.Second)), Map: m.Map}
	}
	return m.cfg
}

// segments splits tables into runs of consecutive training rows: attack
// rows (and unlabelled ones unless useUnlabelled) break a run.
func segments(tabs []*Table, signals []string, useUnlabelled bool, res float64) ([][]Segment, error) {
	var out [][]Segment
	for _, t := range tabs {
		x, err := t.Reorder(signals)
		if err != nil {
			return nil, err
		}
		var segs []Segment
		var cur Segment
		flush := func() {
			if len(cur.X) > 0 {
				segs = append(segs, cur)
			}
			cur = Segment{}
		}
		for r := range x {
			if t.Labels != nil {
				l := t.Labels[r]
				if l == Attack || (l == Unlabelled && !useUnlabelled) {
					flush()
					continue
				}
			}
			quantize(x[r], res)
			cur.Times = append(cur.Times, t.Times[r])
			cur.X = append(cur.X, x[r])
		}
		flush()
		out = append(out, segs)
	}
	return out, nil
}

// splitTail splits segs so the last frac of their rows is held out.
func splitTail(segs []Segment, frac float64) (fit, cal []Segment) {
	n := rows(segs)
	keep := n - int(math.Round(frac*float64(n)))
	seen := 0
	for _, s := range segs {
		switch {
		case seen+len(s.X) <= keep:
			fit = append(fit, s)
		case seen >= keep:
			cal = append(cal, s)
		default:
			k := keep - seen
			fit = append(fit, Segment{Times: s.Times[:k], X: s.X[:k]})
			cal = append(cal, Segment{Times: s.Times[k:], X: s.X[k:]})
		}
		seen += len(s.X)
	}
	return fit, cal
}

func medianStep(tabs []*Table) time.Duration {
	var d []float64
	for _, t := range tabs {
		for i := 1; i < len(t.Times) && i < 2000; i++ {
			d = append(d, float64(t.Times[i].Sub(t.Times[i-1])))
		}
	}
	if len(d) == 0 {
		return time.Hour
	}
	return time.Duration(quantile(d, 0.5))
}

// Train fits the detectors on the attack-free rows of tabs (which must have
// the same signals), calibrates their thresholds on the held-out tail of
// each table, then refits the detectors on all training rows.
func Train(tabs []*Table, opt TrainOptions) (*Model, error) {
	if len(tabs) == 0 {
		return nil, diag.Errorf("no training data")
	}
	if opt.FAR == 0 {
		opt.FAR = 0.01
	}
	if opt.FAR <= 0 || opt.FAR >= 1 {
		return nil, diag.Errorf("false-alarm rate %g is not between 0 and 1", opt.FAR)
	}
	if opt.CalFraction == 0 {
		opt.CalFraction = 0.25
	}
	if opt.CalFraction <= 0 || opt.CalFraction >= 1 {
		return nil, diag.Errorf("calibration fraction %g is not between 0 and 1", opt.CalFraction)
	}
	if opt.Resolution == 0 {
		opt.Resolution = 0.01
	}
	rule := DefaultAlarmRule
	if opt.Alarm != nil {
		rule = *opt.Alarm
	}
	signals := append([]string(nil), tabs[0].Signals...)
	mp := opt.Map
	if mp == nil {
		if c := CTownMap(); c.covers(signals) {
			mp = c
		}
	} else if err := mp.Check("map", signals); err != nil {
		return nil, err
	}
	m := &Model{Version: ModelVersion, Signals: signals, Resolution: opt.Resolution, Map: mp, FAR: opt.FAR, Alarm: rule}
	m.StepSec = medianStep(tabs).Seconds()
	cfg := m.Config()
	per, err := segments(tabs, signals, opt.UseUnlabelled, opt.Resolution)
	if err != nil {
		return nil, err
	}
	var all, fit, cal []Segment
	for _, segs := range per {
		f, c := splitTail(segs, opt.CalFraction)
		all = append(all, segs...)
		fit = append(fit, f...)
		cal = append(cal, c...)
	}
	m.TrainRows, m.CalRows = rows(all), rows(cal)
	if m.CalRows < 24 || rows(fit) < 48 {
		return nil, diag.Errorf("only %d attack-free training rows; need at least 100", m.TrainRows)
	}
	names := opt.Detectors
	if len(names) == 0 {
		for _, n := range DetectorNames() {
			if n == "physics" && mp == nil {
				continue
			}
			names = append(names, n)
		}
	}
	// Fit on the head, score the held-out tail.
	calScores := make([][]float64, len(names))
	for i, name := range names {
		d, err := NewDetector(name)
		if err != nil {
			return nil, diag.Errorf("%v", err)
		}
		if err := d.Fit(cfg, fit); err != nil {
			return nil, fmt.Errorf("fit %s: %w", name, err)
		}
		for _, s := range cal {
			sc := d.NewScorer(cfg)
			for r, x := range s.X {
				v, _ := sc.Update(s.Times[r], x)
				calScores[i] = append(calScores[i], v)
			}
		}
	}
	// Per-detector thresholds at FAR/len(names), then one common factor so
	// the alarm rate after persistence meets FAR on the held-out rows.
	th := make([]float64, len(names))
	for i := range names {
		q := quantile(append([]float64(nil), calScores[i]...), 1-opt.FAR/float64(len(names)))
		th[i] = math.Max(q, 1e-6)
	}
	fused := func(f float64) []float64 {
		out := make([]float64, len(calScores[0]))
		for r := range out {
			for i := range names {
				out[r] = math.Max(out[r], calScores[i][r]/(th[i]*f))
			}
		}
		return out
	}
	rate := func(f float64) float64 {
		al := 0
		var a alarmState
		// Alarm state restarts at each held-out segment.
		k := 0
		sc := fused(f)
		for _, s := range cal {
			a = alarmState{}
			for range s.X {
				if a.step(rule, sc[k]) {
					al++
				}
				k++
			}
		}
		return float64(al) / float64(len(sc))
	}
	lo, hi := 0.25, 1.0
	for rate(hi) > opt.FAR && hi < 1e6 {
		lo, hi = hi, hi*2
	}
	for range 40 {
		mid := math.Sqrt(lo * hi)
		if rate(mid) > opt.FAR {
			lo = mid
		} else {
			hi = mid
		}
	}
	m.CalAlarm = rate(hi)
	// Refit on every training row.
	for i, name := range names {
		d, _ := NewDetector(name)
		if err := d.Fit(cfg, all); err != nil {
			return nil, fmt.Errorf("fit %s: %w", name, err)
		}
		p, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", name, err)
		}
		m.Detectors = append(m.Detectors, FittedDetector{Name: name, Threshold: th[i] * hi, Params: p, d: d})
	}
	return m, nil
}

// alarmState applies an AlarmRule row by row.
type alarmState struct {
	on    bool
	since int // rows since the score last reached 1
}

func (a *alarmState) step(rule AlarmRule, s float64) bool {
	switch {
	case s >= 1:
		a.on, a.since = true, 0
	case a.on:
		a.since++
		if a.since > rule.Hold && s < rule.Off {
			a.on = false
		}
	}
	return a.on
}

// WriteJSON writes the model as indented JSON.
func (m *Model) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(m)
}

// ReadModel reads a model written by WriteJSON.
func ReadModel(r io.Reader, name string) (*Model, error) {
	var m Model
	dec := json.NewDecoder(r)
	if err := dec.Decode(&m); err != nil {
		return nil, &diag.Diagnostic{File: name, Msg: "not a heartbeat model: " + err.Error(), Hint: "create one with citadel heartbeat train"}
	}
	if m.Version != ModelVersion {
		return nil, &diag.Diagnostic{File: name, Msg: fmt.Sprintf("model version %d, want %d", m.Version, ModelVersion), Hint: "retrain the model"}
	}
	if len(m.Signals) == 0 || len(m.Detectors) == 0 {
		return nil, &diag.Diagnostic{File: name, Msg: "model has no signals or no detectors", Hint: "retrain the model"}
	}
	n := len(m.Signals)
	for i := range m.Detectors {
		fd := &m.Detectors[i]
		d, err := NewDetector(fd.Name)
		if err != nil {
			return nil, &diag.Diagnostic{File: name, Field: fmt.Sprintf("detectors[%d].name", i), Msg: err.Error()}
		}
		if err := json.Unmarshal(fd.Params, d); err != nil {
			return nil, &diag.Diagnostic{File: name, Field: fmt.Sprintf("detectors[%d].params", i), Msg: err.Error(), Hint: "retrain the model"}
		}
		if err := validate(d, n); err != nil {
			return nil, &diag.Diagnostic{File: name, Field: fmt.Sprintf("detectors[%d].params", i), Msg: err.Error(), Hint: "retrain the model"}
		}
		if !(fd.Threshold > 0) {
			return nil, &diag.Diagnostic{File: name, Field: fmt.Sprintf("detectors[%d].threshold", i), Msg: "threshold must be positive"}
		}
		fd.d = d
	}
	return &m, nil
}

// validate checks that a decoded detector's indices and sizes fit n
// signals, so a corrupt model cannot make a scorer index out of range.
func validate(d Detector, n int) error {
	bad := fmt.Errorf("parameters do not match %d signals", n)
	okRel := func(rels []Relation) bool {
		for _, r := range rels {
			if r.Target < 0 || r.Target >= n || r.Cond >= n || len(r.Coef) != r.width() || !(r.Sigma > 0) {
				return false
			}
			for _, g := range r.Regs {
				if g.Sig < 0 || g.Sig >= n || g.Lag < 0 || g.Lag > 1 {
					return false
				}
			}
		}
		return true
	}
	switch d := d.(type) {
	case *Envelope:
		if len(d.Modes) != n || len(d.Scale) != n || len(d.DScale) != n || len(d.Global) != n || len(d.ByMode) != n {
			return bad
		}
		for j := range n {
			if !(d.Scale[j] > 0) || !(d.DScale[j] > 0) {
				return bad
			}
			for _, k := range d.Modes[j] {
				if k < 0 || k >= n {
					return bad
				}
			}
		}
	case *PCA:
		if len(d.Mean) != n || len(d.Scale) != n || d.K < 0 || d.K > n || len(d.P) != n*d.K {
			return bad
		}
		for _, s := range d.Scale {
			if !(s > 0) {
				return bad
			}
		}
	case *Physics:
		if !okRel(d.Relations) {
			return bad
		}
	case *CUSUM:
		if !okRel(d.Rels) {
			return bad
		}
		if len(d.Rels) == 0 && (len(d.Mean) != n || len(d.Scale) != n) {
			return bad
		}
		for j := range d.Mean {
			if len(d.Mean[j]) != 24 || len(d.Scale[j]) != 24 {
				return bad
			}
		}
	}
	return nil
}

// Result is the verdict on one row.
type Result struct {
	Score     float64 // fused score: the largest detector score over its threshold
	Alarm     bool
	Rising    bool   // the alarm started on this row
	Explain   string // which detectors fired and on which signals or relations; empty without alarm
	Technique string // ATT&CK for ICS technique of the strongest hit, when alarmed
}

// Stream is a trained model's streaming state: Update consumes one row at
// a time.
type Stream struct {
	m       *Model
	scorers []Scorer
	alarm   alarmState
	last    []string
	tech    string
}

// NewStream returns fresh streaming state for m.
func (m *Model) NewStream() *Stream {
	s := &Stream{m: m}
	for i := range m.Detectors {
		s.scorers = append(s.scorers, m.Detectors[i].d.NewScorer(m.Config()))
	}
	return s
}

// Update scores one row (values in Model.Signals order; x is rounded to
// the model's resolution in place).
func (s *Stream) Update(t time.Time, x []float64) Result {
	m := s.m
	cfg := m.Config()
	quantize(x, m.Resolution)
	var res Result
	type hit struct {
		v    float64
		why  string
		tech string
	}
	var hits []hit
	for i, sc := range s.scorers {
		v, arg := sc.Update(t, x)
		fd := &m.Detectors[i]
		n := v / fd.Threshold
		res.Score = math.Max(res.Score, n)
		if n >= 1 {
			tech := TechManipulationOfView
			if c, ok := fd.d.(Classifier); ok {
				tech = c.Technique(cfg, arg)
			}
			hits = append(hits, hit{n, fmt.Sprintf("%s %.1fx: %s", fd.Name, n, fd.d.Explain(cfg, arg)), tech})
			if r, ok := sc.(Restarter); ok {
				r.Restart()
			}
		}
	}
	was := s.alarm.on
	res.Alarm = s.alarm.step(m.Alarm, res.Score)
	res.Rising = res.Alarm && !was
	if len(hits) > 0 {
		sort.Slice(hits, func(a, b int) bool { return hits[a].v > hits[b].v })
		s.last = s.last[:0]
		for _, h := range hits {
			s.last = append(s.last, h.why)
		}
		s.tech = hits[0].tech
	}
	if res.Alarm {
		res.Technique = s.tech
		res.Explain = strings.Join(s.last, "; ")
		if len(hits) == 0 {
			res.Explain = "held: " + res.Explain
		}
	}
	return res
}

// Detect scores every row of t, which must have the model's signals.
func (m *Model) Detect(t *Table) ([]Result, error) {
	x, err := t.Reorder(m.Signals)
	if err != nil {
		return nil, err
	}
	s := m.NewStream()
	out := make([]Result, len(x))
	for r := range x {
		out[r] = s.Update(t.Times[r], x[r])
	}
	return out, nil
}

// WriteScores writes DATETIME,score,alarm,explain for each row.
func WriteScores(w io.Writer, t *Table, res []Result) error {
	if _, err := io.WriteString(w, "DATETIME,score,alarm,explain\n"); err != nil {
		return err
	}
	for r, x := range res {
		a := 0
		if x.Alarm {
			a = 1
		}
		if _, err := fmt.Fprintf(w, "%s,%.4f,%d,%s\n", csvQuote(t.Stamps[r]), x.Score, a, csvQuote(x.Explain)); err != nil {
			return err
		}
	}
	return nil
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// quantize rounds x to multiples of res, the reading resolution, so that
// training data and live data carry the same rounding (BATADAL's dataset 03
// has full precision, dataset 04 two decimals).
func quantize(x []float64, res float64) {
	if res <= 0 {
		return
	}
	for i, v := range x {
		x[i] = math.Round(v/res) * res
	}
}
