package traffic

import (
	"fmt"
	"math"
	"sort"
)

// Signal is one traffic-light controller: the program it runs, the
// connections each of its link indices drives and the conflict matrix its
// monitor checks.
type Signal struct {
	ID    string
	Logic *TLLogic        // the program as loaded (the last one for this id)
	Links [][]*Connection // connections driven by each link index
	// Conflict[a][b] is true when the paths of links a and b cross or
	// merge (SUMO's foes matrix): they may show green together only when
	// one is a minor green 'g' that yields to the other.
	Conflict [][]bool
	// Yield[a][b] is true when a, shown as a minor green 'g', must give way
	// to b (SUMO's response matrix).
	Yield [][]bool
}

// Signals builds a controller for every active program of the network.
func (n *Net) Signals() []*Signal {
	var out []*Signal
	for _, l := range n.Active() {
		if len(l.Phases) == 0 {
			continue
		}
		k := len(l.Phases[0].State)
		s := &Signal{ID: l.ID, Logic: l, Links: make([][]*Connection, k)}
		for _, c := range n.Connections {
			if c.TL == l.ID && c.LinkIndex >= 0 && c.LinkIndex < k {
				s.Links[c.LinkIndex] = append(s.Links[c.LinkIndex], c)
			}
		}
		s.Conflict, s.Yield = make([][]bool, k), make([][]bool, k)
		for a := range k {
			s.Conflict[a], s.Yield[a] = make([]bool, k), make([]bool, k)
		}
		for a := range k {
			for b := range k {
				if a == b {
					continue
				}
				for _, ca := range s.Links[a] {
					for _, cb := range s.Links[b] {
						foe, yield := n.foes(ca, cb)
						foeBack, _ := n.foes(cb, ca)
						if foe || foeBack {
							s.Conflict[a][b] = true
						}
						if yield {
							s.Yield[a][b] = true
						}
					}
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// foes reports whether connections a and b cross or merge inside their
// junction, and whether a must yield to b, from the junction's request
// matrix. Connections without internal lanes fall back to geometry by
// edges: two movements from different approaches conflict unless both are
// right turns into different edges.
func (n *Net) foes(a, b *Connection) (foe, yield bool) {
	ea, eb := n.edgeByID[a.From], n.edgeByID[b.From]
	if ea == nil || eb == nil || ea.To != eb.To {
		return false, false
	}
	if j := n.juncByID[ea.To]; j != nil && a.Via != "" && b.Via != "" {
		ia, ib := n.requestIndex(j, a.Via), n.requestIndex(j, b.Via)
		if ia >= 0 && ib >= 0 && ia < len(j.Requests) {
			r := j.Requests[ia]
			return bit(r.Foes, ib), bit(r.Response, ib)
		}
	}
	if a.From == b.From {
		return false, false
	}
	if a.To == b.To {
		return true, false
	}
	return !(a.Dir == "r" && b.Dir == "r"), false
}

// requestIndex finds the junction's request row of a connection through
// its internal lane, following the lanes of a turn that waits inside the
// junction until one is listed in intLanes; -1 when none is.
func (n *Net) requestIndex(j *Junction, via string) int {
	for range 4 {
		if i := indexOf(j.IntLanes, via); i >= 0 {
			return i
		}
		next, ok := n.viaNext[via]
		if !ok {
			return -1
		}
		via = next
	}
	return -1
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// Green reports whether a state character lets vehicles go: G and g
// (green), o and O (signal off, priority rules) and s (stop, then go) —
// s and g with reduced capacity in the model.
func Green(c byte) bool {
	switch c {
	case 'G', 'g', 'o', 'O', 's':
		return true
	}
	return false
}

// greenOutput reports whether a state drives a green lamp, which is what a
// conflict monitor watches (off, stop and yellow states do not).
func greenOutput(c byte) bool { return c == 'G' || c == 'g' }

// ConflictingGreens returns every pair of links (a < b) that show green
// together in state although they conflict: what a malfunction management
// unit checks each time the controller drives its outputs. A pair where one
// link is a minor green 'g' yielding to the other is permissive, not a
// conflict.
func (s *Signal) ConflictingGreens(state string) [][2]int {
	var out [][2]int
	for a := 0; a < len(state) && a < len(s.Conflict); a++ {
		if !greenOutput(state[a]) {
			continue
		}
		for b := a + 1; b < len(state) && b < len(s.Conflict); b++ {
			if !greenOutput(state[b]) || !s.Conflict[a][b] {
				continue
			}
			if (state[a] == 'g' && s.Yield[a][b]) || (state[b] == 'g' && s.Yield[b][a]) {
				continue
			}
			out = append(out, [2]int{a, b})
		}
	}
	return out
}

// Plan is a fixed-time signal plan derived from a program: phase
// durations, cycle and offset, which attacks may change.
type Plan struct {
	Offset    float64
	Durations []float64
	States    []string
}

// PlanOf returns the fixed-time plan of a program.
func PlanOf(l *TLLogic) Plan {
	p := Plan{Offset: l.Offset}
	for _, ph := range l.Phases {
		p.Durations = append(p.Durations, ph.Duration)
		p.States = append(p.States, ph.State)
	}
	return p
}

// Cycle is the plan's cycle length in seconds.
func (p Plan) Cycle() float64 {
	var c float64
	for _, d := range p.Durations {
		c += d
	}
	return c
}

// Splits returns each phase's share of the cycle.
func (p Plan) Splits() []float64 {
	c := p.Cycle()
	out := make([]float64, len(p.Durations))
	for i, d := range p.Durations {
		if c > 0 {
			out[i] = d / c
		}
	}
	return out
}

// PhaseAt returns the phase index in force at time t (seconds) and the
// time left in it. Time in cycle is (t − offset) mod cycle: the first
// phase begins at the offset.
func (p Plan) PhaseAt(t float64) (phase int, left float64) {
	c := p.Cycle()
	if c <= 0 {
		return 0, math.Inf(1)
	}
	tc := math.Mod(t-p.Offset, c)
	if tc < 0 {
		tc += c
	}
	for i, d := range p.Durations {
		if tc < d {
			return i, d - tc
		}
		tc -= d
	}
	return len(p.Durations) - 1, 0
}

// Switch is one interval during which a connection showed green, as
// SUMO's SaveTLSSwitchTimes output writes it.
type Switch struct {
	TL, ProgramID    string
	FromLane, ToLane string
	Begin, End       float64
}

// maxPhaseChanges bounds the phase changes GreenIntervals walks through.
const maxPhaseChanges = 10_000_000

// GreenIntervals lists, for every connection the signal drives, each green
// interval of the fixed-time plan that has ended by time end, in order of
// end time — the switch times SUMO logs for a static program.
func (s *Signal) GreenIntervals(p Plan, end float64) []Switch {
	var out []Switch
	k := len(s.Links)
	start := make([]float64, k)
	on := make([]bool, k)
	t := 0.0
	for iter := 0; t <= end && iter < maxPhaseChanges; iter++ {
		ph, left := p.PhaseAt(t)
		if math.IsInf(left, 1) || left <= 0 {
			break
		}
		st := p.States[ph]
		for a := range k {
			g := a < len(st) && Green(st[a])
			if g && !on[a] {
				on[a], start[a] = true, t
			} else if !g && on[a] {
				on[a] = false
				for _, c := range s.Links[a] {
					out = append(out, Switch{TL: s.ID, ProgramID: s.Logic.ProgramID,
						FromLane: fmt.Sprintf("%s_%d", c.From, c.FromLane), ToLane: fmt.Sprintf("%s_%d", c.To, c.ToLane),
						Begin: start[a], End: t})
				}
			}
		}
		t += left
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].End < out[j].End })
	return out
}
