package sim

import (
	"math"
	"math/rand/v2"

	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/graph/csr"
)

// adaptive learns across campaigns which attacker steps succeed without
// being seen, by Thompson sampling: every edge has a Beta posterior on the
// probability that one attempt succeeds unseen. Each campaign draws one
// value per edge from the posteriors and follows the most likely unseen
// route under the draw. Posteriors are fixed within an epoch and updated at
// its end from the epoch's summed counts, so results do not depend on how
// campaigns are spread over workers or shards.
type adaptive struct{}

func (adaptive) Name() string { return "adaptive" }
func (adaptive) Describe() string {
	return "learns across campaigns which steps succeed unseen (Thompson sampling on Beta posteriors per edge, updated every epoch) and converges on the blind spots"
}

// adaptivePrior is the weight, in pseudo-attempts, of the attacker's prior
// knowledge of an edge's success probability.
const adaptivePrior = 2

func (adaptive) Plan(env *Env) (Plan, error) {
	g := env.Graph
	m := g.G.M()
	p := &adaptivePlan{env: env, alpha: make([]float64, m), beta: make([]float64, m),
		attempts: make([]int64, m), unseen: make([]int64, m)}
	p.posterior()
	// The edges that can lead to each target at all (under any draw).
	reach := edgeWeights(env, func(*Env, int) float64 { return 1 })
	dist := targetDistances(g, reach, env.Targets)
	p.relevant = make([][]int32, len(g.Targets))
	for _, t := range env.Targets {
		for e := range m {
			if g.Tech[e] != 0 && !math.IsInf(reach[e], 1) && !math.IsInf(dist[t][g.G.Head[e]], 1) {
				p.relevant[t] = append(p.relevant[t], int32(e))
			}
		}
	}
	p.objectives = singleObjectives(env)
	return p, nil
}

type adaptivePlan struct {
	env         *Env
	alpha, beta []float64 // posteriors, derived from the integer counts
	// Counts of all epochs so far: the posteriors are a function of them
	// alone, so a worker given the counts has the same posteriors.
	attempts, unseen []int64
	relevant         [][]int32 // per target: attacker steps that can lead to it
	objectives       [][]int32
}

func (p *adaptivePlan) Objectives() [][]int32 { return p.objectives }

// Learn implements Learner.
func (p *adaptivePlan) Learn(attempts, unseen []int64) {
	addInts(p.attempts, attempts)
	addInts(p.unseen, unseen)
	p.posterior()
}

// posterior sets the Beta posteriors from the prior (the edge's success
// probability, weighted adaptivePrior) and the counts.
func (p *adaptivePlan) posterior() {
	g := p.env.Graph
	for e := range p.alpha {
		q := g.Prob[e]
		p.alpha[e] = 1 + adaptivePrior*q + float64(p.unseen[e])
		p.beta[e] = 1 + adaptivePrior*(1-q) + float64(p.attempts[e]-p.unseen[e])
	}
}

func (p *adaptivePlan) NewActor() Actor {
	g := p.env.Graph
	a := &adaptiveActor{plan: p, g: g, w: make([]float64, g.G.M()), dist: make([][]float64, len(g.Targets))}
	for e := range a.w {
		a.w[e] = math.Inf(1)
		if g.Tech[e] == 0 && (p.env.Removed == nil || !p.env.Removed[e]) {
			a.w[e] = 0
		}
	}
	for _, t := range p.env.Targets {
		a.dist[t] = make([]float64, g.G.N)
	}
	return a
}

type adaptiveActor struct {
	plan *adaptivePlan
	g    *graph.Graph
	w    []float64
	dist [][]float64
	last []int32 // edges given a weight by the previous campaign
	h    csr.Heap
}

func (a *adaptiveActor) Begin(c *Campaign) {
	for _, e := range a.last {
		a.w[e] = math.Inf(1)
	}
	a.last = a.last[:0]
	removed := a.plan.env.Removed
	for _, t := range c.Objective {
		for _, e := range a.plan.relevant[t] {
			if removed != nil && removed[e] || !math.IsInf(a.w[e], 1) {
				continue
			}
			theta := betaSample(c.Rand, a.plan.alpha[e], a.plan.beta[e])
			a.w[e] = -math.Log(max(theta, 1e-12))
			a.last = append(a.last, e)
		}
	}
	for _, t := range c.Objective {
		a.g.G.DistancesTo(a.w, a.g.Targets[t], a.dist[t], &a.h)
	}
}

func (a *adaptiveActor) Choose(c *Campaign) int32 {
	if c.Replan {
		c.Replan = false
		for _, e := range c.Exhausted {
			a.w[e] = math.Inf(1) // restored by the next Begin: it is in last
		}
		for _, t := range c.Objective {
			a.g.G.DistancesTo(a.w, a.g.Targets[t], a.dist[t], &a.h)
		}
	}
	return chooseNearest(c, a.g, a.w, a.dist, false, false)
}

// gammaSample draws from Gamma(shape, 1) (Marsaglia and Tsang, 2000).
func gammaSample(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gammaSample(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// betaSample draws from Beta(a, b).
func betaSample(r *rand.Rand, a, b float64) float64 {
	x := gammaSample(r, a)
	y := gammaSample(r, b)
	return x / (x + y)
}
