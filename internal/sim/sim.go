package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/citadel-city/citadel/internal/graph"
)

// Options configure a simulation.
type Options struct {
	Campaigns int64   // number of campaigns; must be positive
	Seed      uint64  // campaign i draws from a PCG stream derived from (Seed, i)
	Attacker  string  // policy name (see Attackers); "" means greedy
	Workers   int     // goroutines; 0 means one per CPU
	Shards    int     // shards per epoch (each run as a unit and merged); 0 means 1
	Epoch     int64   // campaigns per epoch; 0 means Campaigns/50 clamped to [500, 10000]
	Budget    float64 // attacker's time budget, hours; 0 means 720 (30 days)
	Response  float64 // hours from detection to containment; 0 means 4, negative means 0 (instant)
	Retries   int     // failed attempts allowed per edge beyond the first; 0 means 2, negative means none
	Sigma     float64 // σ of the lognormal step time; 0 means 0.8
	Fixes     []string
	Sensors   []string // extra zones or conduits monitored, by id

	Consequencer Consequencer // nil means Declared
	Harm         Harm         // zero means DefaultHarm

	// Decisions (Run only).
	NoDecisions       bool  // skip fix ranking and sensor placement
	FixCandidates     int   // fixes most used by successful campaigns added to the minimum cut; 0 means 10
	SensorPicks       int   // sensors to place greedily; 0 means 3
	DecisionCampaigns int64 // campaigns per re-simulation; 0 means min(Campaigns, 20000)

	// Runner runs the shards; nil runs them in this process.
	Runner Runner

	// Progress, when set, is called from the calling goroutine after every
	// shard with the campaigns done and the total of the current phase.
	Progress func(phase string, done, total int64)
}

func (o *Options) defaults() {
	if o.Attacker == "" {
		o.Attacker = "greedy"
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Shards <= 0 {
		o.Shards = 1
	}
	if o.Epoch <= 0 {
		o.Epoch = min(max(o.Campaigns/50, 500), 10_000)
	}
	if o.Budget <= 0 {
		o.Budget = 720
	}
	switch {
	case o.Response == 0:
		o.Response = 4
	case o.Response < 0:
		o.Response = 0
	}
	switch {
	case o.Retries == 0:
		o.Retries = 2
	case o.Retries < 0:
		o.Retries = 0
	}
	o.Retries = min(o.Retries, 200)
	if o.Sigma <= 0 {
		o.Sigma = 0.8
	}
	if o.Consequencer == nil {
		o.Consequencer = Declared{}
	}
	if o.Harm == (Harm{}) {
		o.Harm = DefaultHarm
	}
	if o.FixCandidates == 0 {
		o.FixCandidates = 10
	}
	if o.SensorPicks == 0 {
		o.SensorPicks = 3
	}
	if o.DecisionCampaigns <= 0 {
		o.DecisionCampaigns = min(o.Campaigns, 20_000)
	}
}

// Sim is one configured simulation: a graph, the fixes and sensors in
// place, and a prepared attacker.
type Sim struct {
	g        *graph.Graph
	opt      Options
	env      *Env
	plan     Plan
	removed  []bool
	sensors  Sensors
	sites    []site
	det      []float64
	lnHours  []float64
	instant  []bool
	targetOf []int32 // node → target index, -1
	objs     [][]int32
	nbins    int
}

// New prepares a simulation of g. Bad options (no campaigns, unknown
// attacker, fix or sensor ids, no reachable target) are bad-input errors.
func New(g *graph.Graph, opt Options) (*Sim, error) {
	if opt.Campaigns <= 0 {
		return nil, badInputf("campaign count must be positive, got %d", opt.Campaigns)
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"budget", opt.Budget}, {"response time", opt.Response}, {"step-time sigma", opt.Sigma}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) || math.Abs(v.x) > 1e6 {
			return nil, badInputf("%s %g is out of range (at most 10⁶ hours)", v.name, v.x)
		}
	}
	opt.defaults()
	reach := ReachableTargets(g)
	if len(reach) == 0 {
		return nil, badInputf("no target of %s can be reached from any entry point: nothing to simulate (check entry_points and targets)", cityName(g))
	}
	removed, err := g.Removed(opt.Fixes)
	if err != nil {
		return nil, err
	}
	sensors, err := ModelSensors(g, opt.Sensors)
	if err != nil {
		return nil, err
	}
	return newSim(g, opt, reach, removed, sensors)
}

func cityName(g *graph.Graph) string {
	if g.City.Name != "" {
		return g.City.Name
	}
	return "the model"
}

func newSim(g *graph.Graph, opt Options, reach []int32, removed []bool, sensors Sensors) (*Sim, error) {
	a, err := lookupAttacker(opt.Attacker)
	if err != nil {
		return nil, err
	}
	m := g.G.M()
	s := &Sim{g: g, opt: opt, removed: removed, sensors: sensors, sites: edgeSites(g),
		lnHours: make([]float64, m), instant: make([]bool, m), targetOf: make([]int32, g.G.N)}
	s.det = detection(g, s.sites, sensors)
	for e := range m {
		s.lnHours[e] = math.Log(max(float64(g.Hours[e]), 1.0/60))
		s.instant[e] = instantEdge(g, e)
	}
	for v := range s.targetOf {
		s.targetOf[v] = -1
	}
	for t, v := range g.Targets {
		s.targetOf[v] = int32(t)
	}
	s.env = &Env{Graph: g, Removed: removed, Detect: s.det, Retries: opt.Retries, Targets: reach}
	if s.plan, err = a.Plan(s.env); err != nil {
		return nil, fmt.Errorf("plan %s attacker: %w", a.Name(), err)
	}
	s.objs = s.plan.Objectives()
	if len(s.objs) == 0 {
		return nil, badInputf("attacker %s has no objective in this model", a.Name())
	}
	s.nbins = binOf(opt.Budget*2) + 1
	return s, nil
}

// ReachableTargets returns the targets some path reaches from the attacker.
func ReachableTargets(g *graph.Graph) []int32 {
	w := make([]float64, g.G.M())
	for e := range w {
		w[e] = 1
		if g.Prob[e] <= 0 {
			w[e] = math.Inf(1)
		}
	}
	tree := g.G.Dijkstra(w, nil, g.Source)
	var out []int32
	for t, v := range g.Targets {
		if !math.IsInf(tree.Dist[v], 1) {
			out = append(out, int32(t))
		}
	}
	return out
}

// Time-to-impact histogram: bins 2 % wide from one minute.
const (
	binMin   = 1.0 / 60 // hours
	binRatio = 1.02
)

var lnBinRatio = math.Log(binRatio)

func binOf(hours float64) int {
	if hours <= binMin {
		return 0
	}
	return int(math.Log(hours/binMin) / lnBinRatio)
}

// binHours is the geometric middle of bin b, in hours.
func binHours(b int) float64 { return binMin * math.Pow(binRatio, float64(b)+0.5) }

// Run plays all the campaigns, epoch by epoch; within an epoch the
// campaigns are split into shards, each run on all workers and merged.
func (s *Sim) Run(ctx context.Context) (*Tally, error) {
	return s.run(ctx, "simulate")
}

func (s *Sim) run(ctx context.Context, phase string) (*Tally, error) {
	n := s.opt.Campaigns
	total := s.newTally()
	learner, _ := s.plan.(Learner)
	ws := make([]*worker, s.opt.Workers)
	for i := range ws {
		ws[i] = &worker{sim: s, c: newCampaign(s), a: s.plan.NewActor()}
	}
	for lo := int64(0); lo < n; lo += s.opt.Epoch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+s.opt.Epoch, n)
		epoch := s.newTally()
		k := int64(s.opt.Shards)
		var shards []Shard
		for sh := range k {
			a, b := lo+(hi-lo)*sh/k, lo+(hi-lo)*(sh+1)/k
			if a < b {
				shards = append(shards, Shard{a, b})
			}
		}
		if s.opt.Runner != nil {
			var learned *Counts
			if learner != nil {
				learned = &Counts{Attempts: total.Attempts, Unseen: total.Unseen}
			}
			ts, err := s.opt.Runner.RunShards(ctx, s, shards, learned)
			if err != nil {
				return nil, err
			}
			if len(ts) != len(shards) {
				return nil, fmt.Errorf("runner returned %d tallies for %d shards", len(ts), len(shards))
			}
			for i, t := range ts {
				if err := s.checkTally(t, shards[i]); err != nil {
					return nil, err
				}
				epoch.Merge(t)
			}
			if s.opt.Progress != nil {
				s.opt.Progress(phase, hi, n)
			}
		} else {
			for _, sh := range shards {
				epoch.Merge(s.runShard(ws, sh.Lo, sh.Hi))
				if s.opt.Progress != nil {
					s.opt.Progress(phase, sh.Hi, n)
				}
			}
		}
		if learner != nil {
			learner.Learn(epoch.Attempts, epoch.Unseen)
		}
		total.Epochs = append(total.Epochs, EpochTally{Campaigns: epoch.Campaigns, Successes: epoch.Successes, DetectedBeforeImpact: epoch.DetectedBeforeImpact})
		epoch.Epochs = nil
		total.Merge(epoch)
	}
	return total, nil
}

// Shard is a range of campaigns [Lo, Hi).
type Shard struct{ Lo, Hi int64 }

// Counts are the adaptive attacker's per-edge counts of all past epochs:
// what a shard needs besides the Spec to play as this process would.
type Counts struct {
	Attempts []int64 `json:"attempts"`
	Unseen   []int64 `json:"unseen"`
}

// Runner runs the shards of one epoch somewhere (other processes, other
// machines) and returns their tallies in the order of the shards. It must
// return a tally for every shard or an error: never a smaller sample.
type Runner interface {
	RunShards(ctx context.Context, s *Sim, shards []Shard, learned *Counts) ([]*Tally, error)
}

// checkTally rejects a tally that does not match its shard or this
// simulation's shape.
func (s *Sim) checkTally(t *Tally, sh Shard) error {
	if t == nil || t.Campaigns != sh.Hi-sh.Lo || len(t.Targets) != len(s.g.Targets) || len(t.Attempts) != s.g.G.M() ||
		len(t.Unseen) != s.g.G.M() || len(t.Used) != s.g.G.M() || len(t.ObjCampaigns) != len(s.objs) || len(t.ObjSuccesses) != len(s.objs) {
		return fmt.Errorf("shard %d–%d: tally does not match the simulation (wrong model or options on the worker?)", sh.Lo, sh.Hi)
	}
	for _, tt := range t.Targets {
		if len(tt.Hist) != s.nbins {
			return fmt.Errorf("shard %d–%d: histogram of %d bins, want %d", sh.Lo, sh.Hi, len(tt.Hist), s.nbins)
		}
	}
	if t.Effects == nil {
		t.Effects = map[string]int64{}
	}
	return nil
}

// Spec is what defines a simulation's campaigns besides the model: two
// simulations of the same model with equal Specs play the same campaigns.
type Spec struct {
	Campaigns int64    `json:"campaigns"`
	Seed      uint64   `json:"seed"`
	Attacker  string   `json:"attacker"`
	Epoch     int64    `json:"epoch"`
	Budget    float64  `json:"budget_h"`
	Response  float64  `json:"response_h"`
	Retries   int      `json:"retries"`
	Sigma     float64  `json:"sigma"`
	Fixes     []string `json:"fixes,omitempty"`
	Sensors   []string `json:"sensors,omitempty"`
}

// Spec returns the simulation's spec, defaults resolved.
func (s *Sim) Spec() Spec {
	o := s.opt
	resp := o.Response
	if resp == 0 {
		resp = -1 // 0 after defaults means instant containment
	}
	return Spec{Campaigns: o.Campaigns, Seed: o.Seed, Attacker: o.Attacker, Epoch: o.Epoch, Budget: o.Budget,
		Response: resp, Retries: retriesFlag(o.Retries), Sigma: o.Sigma, Fixes: o.Fixes, Sensors: o.Sensors}
}

func retriesFlag(r int) int {
	if r == 0 {
		return -1
	}
	return r
}

// Options returns options that reproduce the spec.
func (sp Spec) Options() Options {
	return Options{Campaigns: sp.Campaigns, Seed: sp.Seed, Attacker: sp.Attacker, Epoch: sp.Epoch, Budget: sp.Budget,
		Response: sp.Response, Retries: sp.Retries, Sigma: sp.Sigma, Fixes: sp.Fixes, Sensors: sp.Sensors}
}

// RunTask plays one shard of the simulation of g defined by spec, as a
// remote worker does: learned are the adaptive attacker's counts of the
// past epochs (nil for other attackers), workers the goroutines to use.
func RunTask(g *graph.Graph, spec Spec, sh Shard, learned *Counts, workers int) (*Tally, error) {
	opt := spec.Options()
	opt.Workers = workers
	s, err := New(g, opt)
	if err != nil {
		return nil, err
	}
	if sh.Lo < 0 || sh.Hi > spec.Campaigns || sh.Lo >= sh.Hi {
		return nil, fmt.Errorf("shard %d–%d outside the %d campaigns", sh.Lo, sh.Hi, spec.Campaigns)
	}
	if l, ok := s.plan.(Learner); ok && learned != nil {
		m := g.G.M()
		if len(learned.Attempts) != m || len(learned.Unseen) != m {
			return nil, fmt.Errorf("learned counts for %d edges, the graph has %d", len(learned.Attempts), m)
		}
		l.Learn(learned.Attempts, learned.Unseen)
	}
	return s.RunShard(sh.Lo, sh.Hi), nil
}

// RunShard plays campaigns [lo, hi) with the attacker as it stands and
// returns their tally. Shards of one epoch may run anywhere in any order;
// their merged tallies are the same.
func (s *Sim) RunShard(lo, hi int64) *Tally {
	ws := make([]*worker, s.opt.Workers)
	for i := range ws {
		ws[i] = &worker{sim: s, c: newCampaign(s), a: s.plan.NewActor()}
	}
	return s.runShard(ws, lo, hi)
}

// chunk is the number of campaigns a worker takes at a time.
const chunk = 256

func (s *Sim) runShard(ws []*worker, lo, hi int64) *Tally {
	var next atomic.Int64
	next.Store(lo)
	var wg sync.WaitGroup
	for _, w := range ws {
		w.t = s.newTally()
		wg.Go(func() {
			for {
				a := next.Add(chunk) - chunk
				if a >= hi {
					return
				}
				for i := a; i < min(a+chunk, hi); i++ {
					w.campaign(i)
				}
			}
		})
	}
	wg.Wait()
	out := s.newTally()
	for _, w := range ws {
		w.flush()
		out.Merge(w.t)
	}
	return out
}

// worker plays campaigns with its own campaign state, actor and tally.
type worker struct {
	_       [64]byte // keep workers' hot fields on separate cache lines
	sim     *Sim
	c       *Campaign
	a       Actor
	t       *Tally
	effects map[string]*int64
	key     []byte
	_       [64]byte
}

func (w *worker) campaign(i int64) {
	s := w.sim
	c := w.c
	oi := i % int64(len(s.objs))
	obj := s.objs[oi]
	out := c.run(i, obj, w.a, w.t.edges())
	t := w.t
	t.Campaigns++
	t.ObjCampaigns[oi]++
	success := out.remaining == 0
	if success {
		t.ObjSuccesses[oi]++
	}
	first := math.Inf(1)
	for _, ti := range c.hit {
		first = min(first, c.achieved[ti])
	}
	detected := !math.IsInf(out.detectedAt, 1)
	if success {
		t.Successes++
		for _, e := range c.taken {
			t.Used[e]++
		}
	}
	if detected {
		t.Detected++
		if out.detectedAt < first {
			t.DetectedBeforeImpact++
		}
	}
	if out.contained {
		t.Contained++
	}
	for _, ti := range obj {
		tt := &t.Targets[ti]
		tt.Campaigns++
		at := c.achieved[ti]
		if at >= 0 {
			tt.Successes++
			tt.Hist[min(binOf(at), s.nbins-1)]++
		}
		if detected {
			tt.Detected++
			if at < 0 || out.detectedAt < at {
				tt.DetectedBeforeImpact++
			}
		}
	}
	if len(c.hit) > 0 {
		slices.Sort(c.hit)
		w.key = w.key[:0]
		for _, ti := range c.hit {
			w.key = appendEffect(w.key, int(ti))
		}
		if w.effects == nil {
			w.effects = map[string]*int64{}
		}
		if p := w.effects[string(w.key)]; p != nil {
			*p++
		} else {
			v := int64(1)
			w.effects[string(w.key)] = &v
		}
	}
}

// flush moves the worker's effect counts into its tally.
func (w *worker) flush() {
	for k, p := range w.effects {
		w.t.Effects[k] += *p
	}
	clear(w.effects)
}
