package heartbeat

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

func init() { Register("physics", func() Detector { return &Physics{} }) }

// Physics checks the physical relations of a mapped network, each a linear
// model whose coefficients are learned from attack-free data:
//
//   - mass balance: a tank's level change against the flows that fill it,
//     its level and the hour of day (the unmetered demand);
//   - pump and valve: the flow of a running pump or open valve against the
//     pressures either side and the level it pumps into (a slowed pump gives
//     less flow for the same head);
//   - pressure: each station pressure against the status and flow of the
//     pumps beside it and the levels they serve (a replayed status or flow
//     contradicts the live pressure).
//
// The score is the largest absolute residual in units of that relation's
// residual standard deviation on training data.
type Physics struct {
	Relations []Relation `json:"relations"`
}

// Relation is one learned linear relation: Target (or its change since the
// previous row, when Delta) ≈ Coef · (1, regressors, hour-of-day dummies),
// checked only on rows where the status signal Cond is on (Cond < 0:
// always).
type Relation struct {
	Name   string      `json:"name"`
	Kind   string      `json:"kind"` // mass-balance, link-flow or pressure
	Target int         `json:"target"`
	Delta  bool        `json:"delta,omitempty"`
	Cond   int         `json:"cond"`
	Regs   []Regressor `json:"regs"`
	Hour   bool        `json:"hour,omitempty"`
	Coef   []float64   `json:"coef"`
	Sigma  float64     `json:"sigma"`
	N      int         `json:"n"`
}

// Regressor is a signal, read at the current row (Lag 0) or the previous
// one (Lag 1).
type Regressor struct {
	Sig int `json:"sig"`
	Lag int `json:"lag,omitempty"`
}

// Name implements Detector.
func (p *Physics) Name() string { return "physics" }

// needsPrev reports whether the relation reads the previous row.
func (r *Relation) needsPrev() bool {
	if r.Delta {
		return true
	}
	for _, g := range r.Regs {
		if g.Lag > 0 {
			return true
		}
	}
	return false
}

func (r *Relation) width() int {
	w := 1 + len(r.Regs)
	if r.Hour {
		w += 23
	}
	return w
}

// design fills f with the relation's features and returns the target, or
// ok false when the row does not qualify.
func (r *Relation) design(f []float64, t time.Time, x, prev []float64, havePrev bool) (y float64, ok bool) {
	if r.Cond >= 0 && x[r.Cond] <= 0.5 {
		return 0, false
	}
	if !havePrev && r.needsPrev() {
		return 0, false
	}
	f[0] = 1
	for i, g := range r.Regs {
		if g.Lag > 0 {
			f[1+i] = prev[g.Sig]
		} else {
			f[1+i] = x[g.Sig]
		}
	}
	if r.Hour {
		b := 1 + len(r.Regs)
		for h := 0; h < 23; h++ {
			f[b+h] = 0
		}
		if h := t.Hour(); h > 0 {
			f[b+h-1] = 1
		}
	}
	y = x[r.Target]
	if r.Delta {
		y -= prev[r.Target]
	}
	return y, true
}

func (r *Relation) predict(f []float64) float64 {
	s := 0.0
	for i, c := range r.Coef {
		s += c * f[i]
	}
	return s
}

// physicalRelations builds the relations a map implies.
func physicalRelations(m *Map, signals []string) []Relation {
	if m == nil {
		return nil
	}
	idx := indexOf(signals)
	get := func(s string) int {
		if i, ok := idx[s]; ok && s != "" {
			return i
		}
		return -1
	}
	var rels []Relation
	addRegs := func(regs []Regressor, sigs ...int) []Regressor {
	next:
		for _, s := range sigs {
			if s < 0 {
				continue
			}
			for _, g := range regs {
				if g.Sig == s && g.Lag == 0 {
					continue next
				}
			}
			regs = append(regs, Regressor{Sig: s})
		}
		return regs
	}
	for _, tk := range m.Tanks {
		l := get(tk.Level)
		if l < 0 {
			continue
		}
		regs := []Regressor{{Sig: l, Lag: 1}}
		var names []string
		for _, f := range tk.Inflows {
			if i := get(f); i >= 0 {
				regs = append(regs, Regressor{Sig: i}, Regressor{Sig: i, Lag: 1})
				names = append(names, f)
			}
		}
		name := fmt.Sprintf("mass balance of %s: change of %s vs inflows %s and hourly demand", tk.Name, tk.Level, strings.Join(names, "+"))
		if len(names) == 0 {
			name = fmt.Sprintf("level change of %s (%s) vs hourly demand", tk.Name, tk.Level)
		}
		rels = append(rels, Relation{Name: name, Kind: "mass-balance", Target: l, Delta: true, Cond: -1, Regs: regs, Hour: true})
	}
	links := m.links()
	// station returns the links sharing a pressure signal with l.
	station := func(l Link) []Link {
		var out []Link
		for _, o := range links {
			if (o.up() != "" && (o.up() == l.up() || o.up() == l.down())) || (o.down() != "" && (o.down() == l.down() || o.down() == l.up())) {
				out = append(out, o)
			}
		}
		return out
	}
	for _, l := range links {
		f, s := get(l.Flow), get(l.Status)
		if f < 0 || s < 0 {
			continue
		}
		regs := addRegs(nil, get(l.up()), get(l.down()), get(l.Tank))
		for _, o := range station(l) {
			if o.Name != l.Name {
				regs = addRegs(regs, get(o.Status), get(o.Flow))
			}
		}
		rels = append(rels, Relation{Name: fmt.Sprintf("%s running: flow %s vs head %s→%s and level %s", l.Name, l.Flow, l.up(), l.down(), l.Tank), Kind: "link-flow", Target: f, Cond: s, Regs: regs})
	}
	done := map[string]bool{}
	for _, l := range links {
		for _, p := range []string{l.up(), l.down()} {
			pi := get(p)
			if pi < 0 || done[p] {
				continue
			}
			done[p] = true
			var regs []Regressor
			var names []string
			for _, o := range links {
				if o.up() != p && o.down() != p {
					continue
				}
				names = append(names, o.Name)
				regs = addRegs(regs, get(o.Status), get(o.Flow), get(o.Tank))
				other := o.up()
				if other == p {
					other = o.down()
				}
				regs = addRegs(regs, get(other))
			}
			rels = append(rels, Relation{Name: fmt.Sprintf("pressure %s vs status and flow of %s and the levels they serve", p, strings.Join(names, ",")), Kind: "pressure", Target: pi, Cond: -1, Regs: regs, Hour: true})
		}
	}
	return rels
}

// fitRelations learns the coefficients and residual scale of rels; a
// relation with too few qualifying rows is dropped.
func fitRelations(rels []Relation, cfg *Config, segs []Segment) []Relation {
	// A regressor that hardly varies in training (a pump that almost never
	// runs) would get a coefficient fitted on a handful of rows and
	// extrapolate wildly when it does vary, so it is dropped: it must
	// differ from its most common value on at least minActive rows.
	active := activeCounts(cfg, segs)
	minActive := max(50, rows(segs)/100)
	var out []Relation
	for _, r := range rels {
		r.Coef, r.Sigma, r.N = nil, 0, 0
		var regs []Regressor
		for _, g := range r.Regs {
			if active[g.Sig] >= minActive {
				regs = append(regs, g)
			}
		}
		r.Regs = regs
		if r.Cond >= 0 && active[r.Cond] < minActive && active[r.Cond] == 0 {
			continue
		}
		w := r.width()
		var xs [][]float64
		var ys []float64
		for _, s := range segs {
			for i, x := range s.X {
				f := make([]float64, w)
				var prev []float64
				if i > 0 {
					prev = s.X[i-1]
				}
				y, ok := r.design(f, s.Times[i], x, prev, i > 0)
				if !ok {
					continue
				}
				xs = append(xs, f)
				ys = append(ys, y)
			}
		}
		if len(xs) < 5*w {
			continue
		}
		coef, err := ridge(xs, ys, w, 1e-6, true)
		if err != nil {
			continue
		}
		r.Coef = coef
		var m moments
		for i, f := range xs {
			m.add(ys[i] - r.predict(f))
		}
		r.Sigma = floorScale(m.std(), cfg.Resolution)
		r.N = len(xs)
		out = append(out, r)
	}
	return out
}

// Fit implements Detector.
func (p *Physics) Fit(cfg *Config, segs []Segment) error {
	if cfg.Map == nil {
		return diag.Errorf("physics: no signal map (pass --map, or use C-Town signal names)")
	}
	p.Relations = fitRelations(physicalRelations(cfg.Map, cfg.Signals), cfg, segs)
	if len(p.Relations) == 0 {
		return fmt.Errorf("physics: no relation could be learned from the map and %d training rows", rows(segs))
	}
	return nil
}

// relScorer evaluates relations row by row.
type relScorer struct {
	rels []Relation
	prev prevTracker
}

func newRelScorer(cfg *Config, rels []Relation) *relScorer {
	return &relScorer{rels: rels, prev: newPrevTracker(cfg)}
}

// residuals calls fn with each qualifying relation's standardised residual.
func (s *relScorer) residuals(t time.Time, x []float64, fn func(i int, z float64)) {
	adj := s.prev.adjacent(t)
	h := t.Hour()
	for i := range s.rels {
		r := &s.rels[i]
		if r.Cond >= 0 && x[r.Cond] <= 0.5 || !adj && r.needsPrev() {
			continue
		}
		// The features of Relation.design, without filling the hour dummies.
		pred := r.Coef[0]
		for k, g := range r.Regs {
			v := x[g.Sig]
			if g.Lag > 0 {
				v = s.prev.x[g.Sig]
			}
			pred += r.Coef[1+k] * v
		}
		if r.Hour && h > 0 {
			pred += r.Coef[len(r.Regs)+h]
		}
		y := x[r.Target]
		if r.Delta {
			y -= s.prev.x[r.Target]
		}
		fn(i, (y-pred)/r.Sigma)
	}
	s.prev.set(t, x)
}

type physicsScorer struct{ rs *relScorer }

// NewScorer implements Detector.
func (p *Physics) NewScorer(cfg *Config) Scorer {
	return &physicsScorer{rs: newRelScorer(cfg, p.Relations)}
}

func (s *physicsScorer) Update(t time.Time, x []float64) (float64, int) {
	best, arg := 0.0, 0
	s.rs.residuals(t, x, func(i int, z float64) {
		if a := math.Abs(z); a > best {
			best, arg = a, i
		}
	})
	return best, arg
}

// Explain implements Detector.
func (p *Physics) Explain(cfg *Config, arg int) string {
	if arg < 0 || arg >= len(p.Relations) {
		return "physics"
	}
	return p.Relations[arg].Name
}

// activeCounts returns, per signal, the number of training rows on which
// it differs by more than the resolution from its most common value.
func activeCounts(cfg *Config, segs []Segment) []int {
	n := len(cfg.Signals)
	res := cfg.Resolution
	if res <= 0 {
		res = 1e-9
	}
	modes := make([]float64, n)
	for j := range n {
		counts := map[int64]int{}
		best, bestN := int64(0), -1
		for _, s := range segs {
			for _, x := range s.X {
				k := int64(math.Round(x[j] / res))
				counts[k]++
				if counts[k] > bestN {
					best, bestN = k, counts[k]
				}
			}
		}
		modes[j] = float64(best) * res
	}
	out := make([]int, n)
	for _, s := range segs {
		for _, x := range s.X {
			for j, v := range x {
				if math.Abs(v-modes[j]) > res {
					out[j]++
				}
			}
		}
	}
	return out
}

// Technique implements Classifier: a running pump or open valve that moves
// the wrong flow for its head has had its speed or setting changed (T0836
// Modify Parameter); any other broken relation means a reading does not
// match the physics, as with spoofed or replayed values (T0832
// Manipulation of View).
func (p *Physics) Technique(_ *Config, arg int) string {
	if arg >= 0 && arg < len(p.Relations) && p.Relations[arg].Kind == "link-flow" {
		return TechModifyParameter
	}
	return TechManipulationOfView
}
