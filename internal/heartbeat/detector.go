package heartbeat

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// Segment is a run of consecutive attack-free rows used for training.
type Segment struct {
	Times []time.Time
	X     [][]float64 // X[row][signal], columns in Config.Signals order
}

// Config is what every detector is fitted with.
type Config struct {
	Signals []string // column names, in row order
	// Resolution is the smallest meaningful change of a reading: scales
	// never fall below it, so readings rounded to it (BATADAL's dataset 04
	// has two decimals) do not look like anomalies.
	Resolution float64
	// Step is the sampling interval; a gap longer than 1.5 steps restarts
	// the detectors' memory of the previous row.
	Step time.Duration
	// Map names the physical roles of the signals; nil when unknown.
	Map *Map
}

// Detector is one kind of anomaly detector. It is fitted on attack-free
// data and then scores rows one at a time through a Scorer. Fitted
// detectors marshal to JSON (their exported fields) for the model file.
type Detector interface {
	// Name is the registry name, such as "pca".
	Name() string
	// Fit learns normal behaviour from attack-free segments.
	Fit(cfg *Config, segs []Segment) error
	// NewScorer returns fresh streaming state for this fitted detector.
	NewScorer(cfg *Config) Scorer
	// Explain says in words what the contributor arg of a score is (a
	// signal, a relation), for alarm explanations.
	Explain(cfg *Config, arg int) string
}

// Scorer is the streaming state of one fitted detector: Update consumes one
// row (values in Config.Signals order, not retained) and returns a
// non-negative anomaly score and the index of its main contributor, which
// Detector.Explain turns into words. Its memory does not grow with the
// number of rows.
type Scorer interface {
	Update(t time.Time, x []float64) (score float64, arg int)
}

// ATT&CK for ICS techniques an alarm can point at.
const (
	TechManipulationOfView = "T0832" // readings that contradict the process: spoofed, replayed, offset
	TechModifyParameter    = "T0836" // the process itself behaves differently: a changed speed, setting or threshold
)

// Classifier is implemented by detectors that can say which ATT&CK for
// ICS technique a contributor most likely indicates; for the others an
// alarm is taken as T0832 Manipulation of View.
type Classifier interface {
	Technique(cfg *Config, arg int) string
}

// Restarter is a Scorer whose accumulated state restarts once it has
// raised an alarm (a CUSUM restarts its sums after signalling).
type Restarter interface {
	Restart()
}

var (
	regMu    sync.Mutex
	registry = map[string]func() Detector{}
)

// Register adds a detector kind. It panics when the name is taken.
func Register(name string, newDetector func() Detector) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("heartbeat: detector registered twice: " + name)
	}
	registry[name] = newDetector
}

// NewDetector returns an unfitted detector of the named kind.
func NewDetector(name string) (Detector, error) {
	regMu.Lock()
	defer regMu.Unlock()
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown detector %q (known: %v)", name, detectorNames())
	}
	return f(), nil
}

// DetectorNames lists the registered detector kinds, sorted.
func DetectorNames() []string {
	regMu.Lock()
	defer regMu.Unlock()
	return detectorNames()
}

func detectorNames() []string {
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// prevTracker remembers the previous row for rate-of-change features.
type prevTracker struct {
	step  time.Duration
	t     time.Time
	x     []float64
	valid bool
}

func newPrevTracker(cfg *Config) prevTracker {
	return prevTracker{step: cfg.Step, x: make([]float64, len(cfg.Signals))}
}

// adjacent reports whether t follows the remembered row within 1.5 steps.
func (p *prevTracker) adjacent(t time.Time) bool {
	if !p.valid {
		return false
	}
	d := t.Sub(p.t)
	return d > 0 && (p.step <= 0 || d <= p.step+p.step/2)
}

func (p *prevTracker) set(t time.Time, x []float64) {
	p.t = t
	copy(p.x, x)
	p.valid = true
}

// moments accumulates a mean and variance (Welford).
type moments struct {
	n       int
	mean, m float64
}

func (m *moments) add(v float64) {
	m.n++
	d := v - m.mean
	m.mean += d / float64(m.n)
	m.m += d * (v - m.mean)
}

func (m *moments) std() float64 {
	if m.n < 2 {
		return 0
	}
	return math.Sqrt(m.m / float64(m.n-1))
}

func floorScale(s, res float64) float64 {
	if s < res || math.IsNaN(s) {
		return res
	}
	return s
}

// rows counts the rows of segs.
func rows(segs []Segment) int {
	n := 0
	for _, s := range segs {
		n += len(s.X)
	}
	return n
}
