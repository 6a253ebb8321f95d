package heartbeat

import (
	"fmt"
	"math"
	"time"
)

func init() { Register("cusum", func() Detector { return &CUSUM{} }) }

// CUSUM accumulates small, persistent deviations that stay under every
// per-row threshold: a two-sided cumulative sum (Page's CUSUM) of
// standardised residuals, each clipped to ±Clip and reduced by the slack K
// so that noise drains away and only a sustained shift builds up. With a
// network map the residuals are those of the physical relations (see
// Physics); without one they are each signal's deviation from its mean for
// the hour of day.
type CUSUM struct {
	K     float64     `json:"k"`    // slack per row, in standard deviations (default 0.5)
	Clip  float64     `json:"clip"` // residuals are clipped to ±Clip (default 4)
	Rels  []Relation  `json:"relations,omitempty"`
	Mean  [][]float64 `json:"mean,omitempty"`  // per signal, per hour of day (no map)
	Scale [][]float64 `json:"scale,omitempty"` // per signal, per hour of day (no map)
}

// Name implements Detector.
func (c *CUSUM) Name() string { return "cusum" }

// Fit implements Detector.
func (c *CUSUM) Fit(cfg *Config, segs []Segment) error {
	if c.K == 0 {
		c.K = 0.5
	}
	if c.Clip == 0 {
		c.Clip = 4
	}
	c.Rels = nil
	c.Mean, c.Scale = nil, nil
	if cfg.Map != nil {
		c.Rels = fitRelations(physicalRelations(cfg.Map, cfg.Signals), cfg, segs)
		if len(c.Rels) > 0 {
			return nil
		}
	}
	n := len(cfg.Signals)
	m := make([][24]moments, n)
	for _, s := range segs {
		for r, x := range s.X {
			h := s.Times[r].Hour()
			for j, v := range x {
				m[j][h].add(v)
			}
		}
	}
	c.Mean = make([][]float64, n)
	c.Scale = make([][]float64, n)
	for j := range n {
		c.Mean[j] = make([]float64, 24)
		c.Scale[j] = make([]float64, 24)
		for h := range 24 {
			c.Mean[j][h] = m[j][h].mean
			c.Scale[j][h] = floorScale(m[j][h].std(), cfg.Resolution)
		}
	}
	if rows(segs) < 48 {
		return fmt.Errorf("cusum: %d training rows; need at least 48", rows(segs))
	}
	return nil
}

type cusumScorer struct {
	c      *CUSUM
	rs     *relScorer
	hi, lo []float64
	prev   prevTracker
}

// NewScorer implements Detector.
func (c *CUSUM) NewScorer(cfg *Config) Scorer {
	n := len(c.Rels)
	s := &cusumScorer{c: c, prev: newPrevTracker(cfg)}
	if n > 0 {
		s.rs = newRelScorer(cfg, c.Rels)
	} else {
		n = len(c.Mean)
	}
	s.hi = make([]float64, n)
	s.lo = make([]float64, n)
	return s
}

// Restart zeroes the sums, as Page's CUSUM does after it signals.
func (s *cusumScorer) Restart() {
	clear(s.hi)
	clear(s.lo)
}

func (s *cusumScorer) step(i int, z float64) {
	c := s.c
	z = math.Max(-c.Clip, math.Min(c.Clip, z))
	s.hi[i] = math.Max(0, s.hi[i]+z-c.K)
	s.lo[i] = math.Max(0, s.lo[i]-z-c.K)
}

func (s *cusumScorer) Update(t time.Time, x []float64) (float64, int) {
	if !s.prev.adjacent(t) {
		clear(s.hi)
		clear(s.lo)
	}
	s.prev.t, s.prev.valid = t, true
	if s.rs != nil {
		s.rs.residuals(t, x, s.step)
	} else {
		h := t.Hour()
		for j, v := range x {
			s.step(j, (v-s.c.Mean[j][h])/s.c.Scale[j][h])
		}
	}
	best, arg := 0.0, 0
	for i := range s.hi {
		if s.hi[i] > best {
			best, arg = s.hi[i], 2*i
		}
		if s.lo[i] > best {
			best, arg = s.lo[i], 2*i+1
		}
	}
	return best, arg
}

// Explain implements Detector.
func (c *CUSUM) Explain(cfg *Config, arg int) string {
	i, dir := arg/2, "upward"
	if arg%2 == 1 {
		dir = "downward"
	}
	if len(c.Rels) > 0 {
		if i < len(c.Rels) {
			return fmt.Sprintf("sustained %s drift in %s", dir, c.Rels[i].Name)
		}
		return "cusum"
	}
	if i < len(cfg.Signals) {
		return fmt.Sprintf("sustained %s drift of %s from its hourly mean", dir, cfg.Signals[i])
	}
	return "cusum"
}
