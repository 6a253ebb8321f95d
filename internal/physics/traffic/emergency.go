package traffic

import (
	"math"

	"github.com/citadel-city/citadel/internal/diag"
)

// Emergency-vehicle behaviour: it drives at the speed of the traffic
// around it, but other drivers pull over, so it keeps at least
// evPullOver of the speed limit scaled by the free space in the cell; it
// crosses a red or flashing junction after slowing down for evRedPenalty
// seconds, and waits while the lane it enters is jammed full.
const (
	evPullOver   = 0.3
	evRedPenalty = 5.0
)

type evRun struct {
	trip             EmergencyTrip
	path             []int
	edge             int // position in path
	x                float64
	wait             float64
	started, done    bool
	arrive, freeFlow float64
}

func (m *model) newEmergency() []*evRun {
	var out []*evRun
	for _, tr := range m.sc.Emergency {
		ev := &evRun{trip: tr}
		if p, err := m.route(tr.From, tr.To); err == nil {
			ev.path = p
			for _, e := range p {
				ev.freeFlow += m.edgeCost(e)
			}
		}
		out = append(out, ev)
	}
	return out
}

// CheckEmergency reports trips whose edges are unknown or not connected.
func CheckEmergency(n *Net, trips []EmergencyTrip) error {
	m := &model{net: n, edges: n.Edges, edgeIdx: map[string]int{}}
	for i, e := range n.Edges {
		m.edgeIdx[e.ID] = i
	}
	m.out = make([][]int, len(n.Edges))
	seen := map[[2]int]bool{}
	for _, c := range n.Connections {
		a, ok1 := m.edgeIdx[c.From]
		b, ok2 := m.edgeIdx[c.To]
		if ok1 && ok2 && !seen[[2]int{a, b}] {
			seen[[2]int{a, b}] = true
			m.out[a] = append(m.out[a], b)
		}
	}
	for _, tr := range trips {
		if _, err := m.route(tr.From, tr.To); err != nil {
			return diag.Errorf("emergency trip %s→%s: %v", tr.From, tr.To, err)
		}
	}
	return nil
}

// moveEmergency advances every emergency vehicle by one step.
func (m *model) moveEmergency(evs []*evRun, sr []*sigRun, t, dt float64) {
	for _, ev := range evs {
		if ev.done || ev.path == nil || t < ev.trip.Depart {
			continue
		}
		ev.started = true
		if ev.wait > 0 {
			ev.wait -= dt
			continue
		}
		e := ev.path[ev.edge]
		// The best lane towards the next edge.
		best, bestV := -1, -1.0
		for _, li := range m.edgeLns[e] {
			cl := m.lanes[li]
			if ev.edge+1 < len(ev.path) && !m.laneReaches(cl, ev.path[ev.edge+1]) {
				continue
			}
			i := int(ev.x / cl.cellLen)
			if i >= cl.ncell {
				i = cl.ncell - 1
			}
			v := cl.vf
			if n := cl.n[i]; n > 0.01 {
				v = math.Min(cl.vf, cl.y[i]*cl.cellLen/(n*dt))
				v = math.Max(v, evPullOver*cl.vf*math.Max(0, 1-n/cl.jam))
			}
			if v > bestV {
				best, bestV = li, v
			}
		}
		if best < 0 {
			continue
		}
		cl := m.lanes[best]
		ev.x += bestV * dt
		if ev.x < cl.length {
			continue
		}
		if ev.edge == len(ev.path)-1 {
			ev.done, ev.arrive = true, t+dt
			continue
		}
		// At the stop line: the next edge must have room.
		next := ev.path[ev.edge+1]
		room := false
		for _, li := range m.edgeLns[next] {
			if m.lanes[li].n[0] < 0.95*m.lanes[li].jam {
				room = true
			}
		}
		if !room {
			ev.x = cl.length
			continue
		}
		for _, cn := range m.conns[[2]int{e, next}] {
			if cn.TL == "" || cn.FromLane != cl.lane.Index {
				continue
			}
			for _, s := range sr {
				if s.sig.ID == cn.TL && (s.flash || cn.LinkIndex >= len(s.state) || !Green(s.state[cn.LinkIndex])) {
					ev.wait = evRedPenalty
				}
			}
			break
		}
		ev.edge++
		ev.x = 0
	}
}

func (m *model) laneReaches(cl *cellLane, next int) bool {
	for _, cn := range m.conns[[2]int{cl.edge, next}] {
		if cn.FromLane == cl.lane.Index {
			return true
		}
	}
	return false
}

func (m *model) emergencyResults(evs []*evRun, end float64) []EmergencyResult {
	var out []EmergencyResult
	for _, ev := range evs {
		r := EmergencyResult{From: ev.trip.From, To: ev.trip.To, Depart: ev.trip.Depart, Arrived: ev.done, FreeFlow: ev.freeFlow}
		for _, e := range ev.path {
			r.Path = append(r.Path, m.edges[e].ID)
		}
		if ev.done {
			r.TravelTime = ev.arrive - ev.trip.Depart
		} else {
			r.TravelTime = math.Max(0, end-ev.trip.Depart)
		}
		out = append(out, r)
	}
	return out
}

// ParseEmergency parses FROM_EDGE:TO_EDGE[@T] (T in seconds or a duration).
func ParseEmergency(s string) (EmergencyTrip, error) {
	var tr EmergencyTrip
	spec, at, hasAt := cutLast(s, '@')
	from, to, ok := cutLast(spec, ':')
	if !ok || from == "" || to == "" {
		return tr, diag.Errorf("emergency trip %q: want FROM_EDGE:TO_EDGE[@T]", s)
	}
	tr.From, tr.To = from, to
	if hasAt {
		d, err := ParseSeconds(at)
		if err != nil {
			return tr, diag.Errorf("emergency trip %q: %v", s, err)
		}
		tr.Depart = d
	}
	return tr, nil
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
