package sim

import (
	"math"
	"math/rand/v2"

	"github.com/citadel-city/citadel/internal/graph"
)

// Campaign is the state of one campaign, as attackers see it. A worker
// reuses one Campaign for all its campaigns: nothing is allocated per step.
type Campaign struct {
	// Index is the campaign's index in the simulation.
	Index int64
	// Rand is the campaign's own random stream.
	Rand *rand.Rand
	// Objective is the campaign's targets (indexes into the model's targets).
	Objective []int32
	// Time is the attacker's clock, in hours.
	Time float64
	// Compromised reports whether the attacker has compromised any asset.
	Compromised bool

	sim      *Sim
	pcg      *rand.PCG
	stamp    uint32
	held     []uint32 // node held when held[v] == stamp
	tryStamp []uint32 // tries[e] valid when tryStamp[e] == stamp
	tries    []uint8
	frontier []int32
	stack    []int32
	taken    []int32   // edges that succeeded, in order
	achieved []float64 // per target: time achieved, or -1
	hit      []int32   // targets achieved, in order
	// Exhausted lists the edges that failed beyond their retries in this
	// campaign; Replan is set when one is added, for actors to clear.
	Exhausted []int32
	Replan    bool
}

func newCampaign(s *Sim) *Campaign {
	n, m, nt := s.g.G.N, s.g.G.M(), len(s.g.Targets)
	pcg := rand.NewPCG(0, 0)
	c := &Campaign{
		sim: s, pcg: pcg, Rand: rand.New(pcg),
		held: make([]uint32, n), tryStamp: make([]uint32, m), tries: make([]uint8, m),
		frontier: make([]int32, 0, 64), stack: make([]int32, 0, 64), taken: make([]int32, 0, 32),
		achieved: make([]float64, nt), hit: make([]int32, 0, nt),
	}
	for i := range c.achieved {
		c.achieved[i] = -1
	}
	return c
}

// splitmix64 scrambles campaign indexes into PCG seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// reset prepares the campaign for index i.
func (c *Campaign) reset(i int64, obj []int32) {
	c.Index = i
	c.pcg.Seed(c.sim.opt.Seed^splitmix64(uint64(i)), splitmix64(uint64(i)^0x5851f42d4c957f2d))
	c.stamp++
	if c.stamp == 0 { // wrapped: clear the marks
		clear(c.held)
		clear(c.tryStamp)
		c.stamp = 1
	}
	for _, t := range c.hit {
		c.achieved[t] = -1
	}
	c.Objective = obj
	c.hit = c.hit[:0]
	c.Exhausted = c.Exhausted[:0]
	c.Replan = false
	c.frontier = c.frontier[:0]
	c.taken = c.taken[:0]
	c.Time = 0
	c.Compromised = false
}

// Held reports whether the attacker holds node v.
func (c *Campaign) Held(v int32) bool { return c.held[v] == c.stamp }

// Tries returns how many times edge e failed in this campaign.
func (c *Campaign) Tries(e int32) int {
	if c.tryStamp[e] != c.stamp {
		return 0
	}
	return int(c.tries[e])
}

// Achieved reports whether target t was achieved.
func (c *Campaign) Achieved(t int32) bool { return c.achieved[t] >= 0 }

// Frontier returns the actions open to the attacker: edges out of held
// nodes to nodes not held, not removed and not exhausted by failed retries.
// The slice is valid until the next step.
func (c *Campaign) Frontier() []int32 {
	s := c.sim
	out := c.frontier[:0]
	for _, e := range c.frontier {
		if c.Held(s.g.G.Head[e]) || c.Tries(e) > s.opt.Retries {
			continue
		}
		out = append(out, e)
	}
	c.frontier = out
	return out
}

// hold gives the attacker node v and everything structural edges reach from
// it, and opens the attacker actions out of them.
func (c *Campaign) hold(v int32) {
	s := c.sim
	g := s.g
	if c.Held(v) {
		return
	}
	c.held[v] = c.stamp
	c.stack = append(c.stack[:0], v)
	for len(c.stack) > 0 {
		u := c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
		if t := s.targetOf[u]; t >= 0 && c.achieved[t] < 0 {
			c.achieved[t] = c.Time
			c.hit = append(c.hit, t)
		}
		for _, e := range g.G.Out(u) {
			if s.removed != nil && s.removed[e] {
				continue
			}
			h := g.G.Head[e]
			if c.Held(h) {
				continue
			}
			if s.instant[e] {
				c.held[h] = c.stamp
				c.stack = append(c.stack, h)
				continue
			}
			if g.Tech[e] != 0 {
				c.frontier = append(c.frontier, e)
			}
		}
	}
}

// outcome is what a campaign came to.
type outcome struct {
	detectedAt float64 // +Inf when never seen
	contained  bool
	remaining  int // objective targets not achieved
}

// run plays campaign i against objective obj with actor a, recording the
// attempts in et.
func (c *Campaign) run(i int64, obj []int32, a Actor, et *edgeTally) outcome {
	s := c.sim
	g := s.g
	c.reset(i, obj)
	for _, e := range g.G.Out(g.Source) {
		if s.removed != nil && s.removed[e] {
			continue
		}
		if p := g.Prob[e]; p >= 1 || c.Rand.Float64() < p {
			c.hold(g.G.Head[e])
		}
	}
	out := outcome{detectedAt: math.Inf(1)}
	end := s.opt.Budget
	a.Begin(c)
	for {
		out.remaining = 0
		for _, t := range obj {
			if c.achieved[t] < 0 {
				out.remaining++
			}
		}
		if out.remaining == 0 {
			break
		}
		e := a.Choose(c)
		if e < 0 {
			break
		}
		dt := math.Exp(s.lnHours[e] + s.opt.Sigma*c.Rand.NormFloat64())
		ok := c.Rand.Float64() < g.Prob[e]
		seen := c.Rand.Float64() < s.det[e]
		if c.Time+dt > end {
			out.contained = end < s.opt.Budget
			c.Time = end
			break
		}
		c.Time += dt
		et.attempts[e]++
		if ok && !seen {
			et.unseen[e]++
		}
		if seen && math.IsInf(out.detectedAt, 1) {
			out.detectedAt = c.Time
			end = min(end, c.Time+s.opt.Response)
		}
		if ok {
			c.taken = append(c.taken, e)
			if g.Rule[e].Compromise() {
				c.Compromised = true
			}
			c.hold(g.G.Head[e])
			continue
		}
		if c.tryStamp[e] != c.stamp {
			c.tryStamp[e] = c.stamp
			c.tries[e] = 0
		}
		if c.tries[e] < math.MaxUint8 {
			c.tries[e]++
		}
		if int(c.tries[e]) == s.opt.Retries+1 {
			c.Exhausted = append(c.Exhausted, e)
			c.Replan = true
		}
	}
	return out
}

// instantEdge reports whether an edge is taken without attacker action.
func instantEdge(g *graph.Graph, e int) bool {
	return g.Tech[e] == 0 && g.Prob[e] >= 1 && g.G.Tail[e] != g.Source
}
