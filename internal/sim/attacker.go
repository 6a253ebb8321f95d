package sim

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/graph/csr"
	"github.com/citadel-city/citadel/internal/model"
)

// Attacker is a kind of attacker policy.
type Attacker interface {
	// Name is the policy's name on the command line.
	Name() string
	// Describe says in one line how the policy picks its actions.
	Describe() string
	// Plan prepares the policy for one simulation.
	Plan(env *Env) (Plan, error)
}

// Env is what an attacker policy may know of the city when it plans.
type Env struct {
	Graph   *graph.Graph
	Removed []bool    // edges removed by applied fixes; nil when none
	Detect  []float64 // per edge: probability that one attempt is seen
	Retries int       // failed attempts an edge allows beyond the first
	// Targets are the targets reachable in the unfixed model: the
	// candidates for objectives, the same in every re-simulation.
	Targets []int32
}

// Plan is an attacker prepared for one simulation. It is shared by the
// workers and must not change during an epoch.
type Plan interface {
	// Objectives lists the campaigns' objectives: campaign i pursues
	// objective i mod len(Objectives()).
	Objectives() [][]int32
	// NewActor returns a per-worker actor with its own scratch space.
	NewActor() Actor
}

// Actor plays campaigns for one worker.
type Actor interface {
	// Begin is called at the start of every campaign.
	Begin(c *Campaign)
	// Choose returns the next edge to attempt, from c.Frontier(), or -1 to
	// give up.
	Choose(c *Campaign) int32
}

// Learner is a plan that learns between epochs. Learn receives, per edge,
// the attempts made and the attempts that succeeded unseen during the
// epoch, summed over all campaigns of the epoch.
type Learner interface {
	Learn(attempts, unseen []int64)
}

var registry = map[string]Attacker{}

// Register adds an attacker policy; it panics on a duplicate name.
func Register(a Attacker) {
	if _, dup := registry[a.Name()]; dup {
		panic("sim: attacker " + a.Name() + " registered twice")
	}
	registry[a.Name()] = a
}

// Attackers returns the registered policies by name.
func Attackers() []Attacker {
	out := make([]Attacker, 0, len(registry))
	for _, a := range registry {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// AttackerNames returns the registered policy names, sorted.
func AttackerNames() []string {
	var out []string
	for _, a := range Attackers() {
		out = append(out, a.Name())
	}
	return out
}

func init() {
	Register(weighted{name: "greedy", desc: "takes the fastest expected route to its target (hours / probability per step)", weight: greedyWeight})
	Register(weighted{name: "stealthy", desc: "knows where the sensors are and takes the route least likely to be seen", weight: stealthyWeight})
	Register(weighted{name: "killchain", desc: "works the four kill-chain stages in order: all useful recon, initial access, every useful pivot, then impact", weight: greedyWeight, staged: true})
	Register(coordinated{})
	Register(adaptive{})
}

// lookupAttacker returns the named policy or a bad-input error.
func lookupAttacker(name string) (Attacker, error) {
	if a, ok := registry[name]; ok {
		return a, nil
	}
	return nil, badInputf("unknown attacker %q: choose one of %s", name, strings.Join(AttackerNames(), ", "))
}

// pEventually is the probability that an edge succeeds within its attempts.
func pEventually(p float64, retries int) float64 {
	return 1 - math.Pow(1-p, float64(retries+1))
}

// greedyWeight is the expected hours to take the edge plus a day for each
// factor e of the chance of never taking it.
func greedyWeight(env *Env, e int) float64 {
	g := env.Graph
	p := g.Prob[e]
	if p <= 0 {
		return math.Inf(1)
	}
	return float64(g.Hours[e])/p - 24*math.Log(pEventually(p, env.Retries))
}

// stealthyWeight is −ln of the chance of taking the edge unseen (an edge
// needs about 1/p attempts), plus the failure term and a little time.
func stealthyWeight(env *Env, e int) float64 {
	g := env.Graph
	p := g.Prob[e]
	if p <= 0 {
		return math.Inf(1)
	}
	d := min(env.Detect[e], 0.999)
	return -math.Log(1-d)/p - math.Log(pEventually(p, env.Retries)) + 1e-3*float64(g.Hours[e])/p
}

// edgeWeights evaluates a weight function on every edge: attacker steps get
// w, instant edges 0, removed edges +Inf.
func edgeWeights(env *Env, w func(*Env, int) float64) []float64 {
	g := env.Graph
	out := make([]float64, g.G.M())
	for e := range out {
		switch {
		case env.Removed != nil && env.Removed[e]:
			out[e] = math.Inf(1)
		case g.Tech[e] == 0:
			out[e] = 0
		default:
			out[e] = w(env, e)
		}
	}
	return out
}

// singleObjectives makes one objective per target.
func singleObjectives(env *Env) [][]int32 {
	out := make([][]int32, len(env.Targets))
	for i, t := range env.Targets {
		out[i] = []int32{t}
	}
	return out
}

// weighted is a static policy: it moves along the best route to the nearest
// remaining objective target under fixed edge weights.
type weighted struct {
	name, desc string
	weight     func(*Env, int) float64
	staged     bool // killchain: earliest stage first
}

func (p weighted) Name() string     { return p.name }
func (p weighted) Describe() string { return p.desc }

func (p weighted) Plan(env *Env) (Plan, error) {
	w := edgeWeights(env, p.weight)
	return &staticPlan{env: env, w: w, dist: targetDistances(env.Graph, w, env.Targets), objectives: singleObjectives(env), staged: p.staged}, nil
}

// targetDistances returns, for every target (by target index; nil for
// targets not listed), the distance from every node to it under w.
func targetDistances(g *graph.Graph, w []float64, targets []int32) [][]float64 {
	dist := make([][]float64, len(g.Targets))
	var h csr.Heap
	for _, t := range targets {
		dist[t] = make([]float64, g.G.N)
		g.G.DistancesTo(w, g.Targets[t], dist[t], &h)
	}
	return dist
}

type staticPlan struct {
	env        *Env
	w          []float64
	dist       [][]float64
	objectives [][]int32
	staged     bool
}

func (p *staticPlan) Objectives() [][]int32 { return p.objectives }
func (p *staticPlan) NewActor() Actor       { return newDistActor(p, p.staged) }

func newDistActor(p *staticPlan, staged bool) *distActor {
	g := p.env.Graph
	a := &distActor{g: g, w: p.w, shared: p.dist, dist: p.dist, staged: staged,
		own: make([][]float64, len(g.Targets)), wl: append([]float64(nil), p.w...)}
	for _, t := range p.env.Targets {
		a.own[t] = make([]float64, g.G.N)
	}
	return a
}

// distActor picks the frontier edge that minimises the edge's weight plus
// the distance from its head to the nearest target not yet achieved; the
// staged variant first minimises the kill-chain stage.
//
// Distances are shared by all campaigns until an edge is exhausted by
// failures; the actor then replans on its own copy without the exhausted
// edges, so that it does not take steps that only lead back to them.
type distActor struct {
	g      *graph.Graph
	w      []float64
	shared [][]float64
	dist   [][]float64 // shared, or own after a replan
	staged bool
	own    [][]float64
	wl     []float64 // w with this campaign's exhausted edges at +Inf
	dirty  []int32
	h      csr.Heap
}

func (a *distActor) Begin(*Campaign) {
	for _, e := range a.dirty {
		a.wl[e] = a.w[e]
	}
	a.dirty = a.dirty[:0]
	a.dist = a.shared
}

// replan recomputes the distances without the exhausted edges.
func (a *distActor) replan(c *Campaign) {
	c.Replan = false
	for _, e := range c.Exhausted {
		if !math.IsInf(a.wl[e], 1) {
			a.wl[e] = math.Inf(1)
			a.dirty = append(a.dirty, e)
		}
	}
	for _, t := range c.Objective {
		a.g.G.DistancesTo(a.wl, a.g.Targets[t], a.own[t], &a.h)
	}
	a.dist = a.own
}

func (a *distActor) Choose(c *Campaign) int32 {
	if c.Replan {
		a.replan(c)
	}
	return chooseNearest(c, a.g, a.w, a.dist, a.staged, false)
}

// stageOf ranks an edge in the kill chain for the killchain policy.
func stageOf(r graph.Rule, compromised bool) int {
	switch r {
	case graph.REntryZone, graph.RExpose:
		return 0
	case graph.RPhish, graph.RLogin, graph.RExploit, graph.RCommand:
		if !compromised {
			return 1
		}
		return 2
	case graph.RBridge, graph.RDiscover, graph.RConduit:
		return 2
	}
	return 3
}

// chooseNearest is the shared choice rule of the distance-driven actors.
// With noImpact, impact edges are not considered.
func chooseNearest(c *Campaign, g *graph.Graph, w []float64, dist [][]float64, staged, noImpact bool) int32 {
	best, bestStage, bestScore := int32(-1), math.MaxInt, math.Inf(1)
	for _, e := range c.Frontier() {
		if noImpact && g.Rule[e] == graph.RImpact {
			continue
		}
		h := g.G.Head[e]
		score := math.Inf(1)
		for _, t := range c.Objective {
			if c.Achieved(t) {
				continue
			}
			score = min(score, w[e]+dist[t][h])
		}
		if math.IsInf(score, 1) {
			continue
		}
		stage := 0
		if staged {
			stage = stageOf(g.Rule[e], c.Compromised)
		}
		if stage < bestStage || (stage == bestStage && score < bestScore) {
			best, bestStage, bestScore = e, stage, score
		}
	}
	return best
}

// coordinated attacks several targets at once: it gains control of every
// target of its group first and only then triggers the impacts together.
type coordinated struct{}

func (coordinated) Name() string { return "coordinated" }
func (coordinated) Describe() string {
	return "hits a group of targets at once (e.g. all signals red and traction power cut): takes control of every target first, then triggers them together"
}

func (coordinated) Plan(env *Env) (Plan, error) {
	w := edgeWeights(env, greedyWeight)
	groups := CoordinatedGroups(env.Graph.City, env.Targets)
	if len(groups) == 0 {
		return nil, badInputf("coordinated attacker: no group of two or more reachable targets in the model")
	}
	objs := make([][]int32, len(groups))
	for i, gr := range groups {
		objs[i] = gr.Targets
	}
	return &coordPlan{staticPlan{env: env, w: w, dist: targetDistances(env.Graph, w, env.Targets), objectives: objs}}, nil
}

type coordPlan struct{ staticPlan }

func (p *coordPlan) NewActor() Actor { return &coordActor{newDistActor(&p.staticPlan, false)} }

type coordActor struct{ *distActor }

func (a *coordActor) Choose(c *Campaign) int32 {
	g := a.g
	if c.Replan {
		a.replan(c)
	}
	// Ready: every remaining target has an impact edge out of a held node.
	ready := true
	for _, t := range c.Objective {
		if c.Achieved(t) {
			continue
		}
		r := false
		for _, e := range g.G.In(g.Targets[t]) {
			if c.Held(g.G.Tail[e]) && !math.IsInf(a.w[e], 1) && c.Tries(e) <= c.sim.opt.Retries {
				r = true
				break
			}
		}
		if !r {
			ready = false
			break
		}
	}
	return chooseNearest(c, g, a.w, a.dist, false, !ready)
}

// Group is a set of targets the coordinated attacker hits at once.
type Group struct {
	Name    string
	Targets []int32
}

// CoordinatedGroups returns the coordinated attacker's objectives among the
// reachable targets: all targets of each sector with two or more, traffic
// with transit (signals red and traction power cut), and every critical
// target at once.
func CoordinatedGroups(c *model.City, reachable []int32) []Group {
	bySector := map[model.Sector][]int32{}
	var sectors []model.Sector
	var critical []int32
	for _, t := range reachable {
		s := c.Targets[t].Sector
		if bySector[s] == nil {
			sectors = append(sectors, s)
		}
		bySector[s] = append(bySector[s], t)
		if c.Targets[t].Criticality == "critical" {
			critical = append(critical, t)
		}
	}
	slices.Sort(sectors)
	var out []Group
	for _, s := range sectors {
		if len(bySector[s]) >= 2 {
			out = append(out, Group{Name: string(s), Targets: bySector[s]})
		}
	}
	if tr, tt := bySector["traffic"], bySector["transit"]; len(tr) > 0 && len(tt) > 0 {
		g := append(slices.Clone(tr), tt...)
		slices.Sort(g)
		out = append(out, Group{Name: "traffic+transit", Targets: g})
	}
	if len(critical) >= 2 {
		out = append(out, Group{Name: "all-critical", Targets: critical})
	}
	return out
}

func badInputf(format string, args ...any) error { return diag.Errorf(format, args...) }
