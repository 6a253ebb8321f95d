package traffic

import (
	"container/heap"
	"fmt"
	"math"

	"github.com/citadel-city/citadel/internal/diag"
)

// Params are the model's constants. Zero fields take the defaults.
type Params struct {
	Step        float64 // time step, s (default 1, SUMO's default step)
	SatFlow     float64 // saturation flow per lane, veh/h (default 1800)
	JamSpacing  float64 // road length per vehicle at jam density, m (default: the vehicle type's length + minGap, SUMO's 7.5)
	StopHeadway float64 // seconds between vehicles crossing an all-way stop or flashing-red junction (default 2.5)
	MinorFactor float64 // capacity share of a minor green 'g' or stop 's' movement (default 0.5)
	MMUReset    float64 // seconds after an all-green attack ends before a technician resets the monitor (default 0)
	// GridlockHold is how long a cycle of spilled-back lanes must persist to
	// count as gridlock, s (default 120).
	GridlockHold float64
}

func (p Params) withDefaults(r *Routes) Params {
	if p.Step <= 0 {
		p.Step = 1
	}
	if p.SatFlow <= 0 {
		p.SatFlow = 1800
	}
	if p.JamSpacing <= 0 {
		p.JamSpacing = DefaultVType.Length + DefaultVType.MinGap
		// The mean over the types the flows use.
		var sum float64
		var k int
		for _, f := range r.Flows {
			if t := r.VTypes[f.Type]; t != nil {
				sum += t.Length + t.MinGap
				k++
			} else {
				sum += DefaultVType.Length + DefaultVType.MinGap
				k++
			}
		}
		if k > 0 {
			p.JamSpacing = sum / float64(k)
		}
	}
	if p.StopHeadway <= 0 {
		p.StopHeadway = 2.5
	}
	if p.MinorFactor <= 0 {
		p.MinorFactor = 0.5
	}
	if p.GridlockHold <= 0 {
		p.GridlockHold = 120
	}
	return p
}

// Scenario is a network, its demand and what happens to it.
type Scenario struct {
	Net      *Net
	Routes   *Routes
	Duration float64 // s
	Params   Params
	Attacks  []Attack
	// Emergency lists emergency-vehicle trips whose travel time to report.
	Emergency []EmergencyTrip
}

// EmergencyTrip is an emergency vehicle leaving the start of edge From at
// time Depart for the end of edge To.
type EmergencyTrip struct {
	From, To string
	Depart   float64
}

// commodity is one route: vehicles that share origin, path and destination.
type commodity struct {
	id    string // route or flow id
	edges []int  // edge indices
	flows []*Flow
	segLo int // first segment id (one segment per edge of the route)
	fflow float64
	rtLen float64
}

// cellLane is one lane cut into cells.
type cellLane struct {
	lane    *Lane
	edge    int
	ncell   int
	cellLen float64
	length  float64 // lane plus junction crossing, m
	vf, w   float64 // free-flow and backward wave speeds, m/s
	vfr     float64 // vf·dt / cellLen (≤ 1)
	wr      float64 // w·dt / cellLen
	q       float64 // capacity, veh per step
	jam     float64 // vehicles per cell at jam density
	crit    float64 // vehicles per cell at critical density
	n       []float64
	segs    []int       // segments this lane carries
	nc      [][]float64 // [cell][local segment]
	moves   []move      // per local segment: how it leaves the lane
	// scratch
	s, r []float64
	y    []float64 // y[i]: flow out of cell i in this step
}

// move is how a segment leaves a lane: through a connection (signal and
// link) to the lanes of the next edge that carry the next segment, or out
// of the network.
type move struct {
	sink    bool
	sig     int // index into sim.sigs, -1 when uncontrolled
	link    int
	minor   bool // uncontrolled minor link (yield or stop)
	targets []int
	nextSeg int
}

// model is the compiled network.
type model struct {
	sc       *Scenario
	p        Params
	net      *Net
	edges    []*Edge
	edgeIdx  map[string]int
	lanes    []*cellLane
	edgeLns  [][]int // edge → cell lanes
	coms     []*commodity
	segCom   []int // segment → commodity
	segPos   []int // segment → position in route
	segLanes [][]int
	sigs     []*Signal
	out      [][]int // edge → successor edges (for routing)
	conns    map[[2]int][]*Connection
}

// compile builds the cell network and the commodities.
func compile(sc *Scenario) (*model, error) {
	if sc.Net == nil || sc.Routes == nil {
		return nil, fmt.Errorf("scenario needs a network and routes")
	}
	m := &model{sc: sc, net: sc.Net, p: sc.Params.withDefaults(sc.Routes), edgeIdx: map[string]int{},
		conns: map[[2]int][]*Connection{}}
	m.edges = sc.Net.Edges
	for i, e := range m.edges {
		m.edgeIdx[e.ID] = i
	}
	m.out = make([][]int, len(m.edges))
	for _, c := range sc.Net.Connections {
		a, ok1 := m.edgeIdx[c.From]
		b, ok2 := m.edgeIdx[c.To]
		if !ok1 || !ok2 {
			continue
		}
		k := [2]int{a, b}
		if len(m.conns[k]) == 0 {
			m.out[a] = append(m.out[a], b)
		}
		m.conns[k] = append(m.conns[k], c)
	}
	m.sigs = sc.Net.Signals()
	sigIdx := map[string]int{}
	for i, s := range m.sigs {
		sigIdx[s.ID] = i
	}
	if err := m.buildCommodities(); err != nil {
		return nil, err
	}
	dt := m.p.Step
	kj := 1 / m.p.JamSpacing // veh/m
	q := m.p.SatFlow / 3600  // veh/s
	m.edgeLns = make([][]int, len(m.edges))
	laneIdx := map[*Lane]int{}
	for ei, e := range m.edges {
		for _, ln := range e.Lanes {
			vf := ln.Speed
			kc := q / vf
			if kc >= kj {
				return nil, diag.Errorf("lane %s: speed %.2f m/s is too low for a saturation flow of %.0f veh/h at jam spacing %.1f m", ln.ID, vf, m.p.SatFlow, m.p.JamSpacing)
			}
			w := q / (kj - kc)
			// The lane carries its vehicles across the junction too: add the
			// mean length of the internal lanes its connections use.
			length := ln.Length + m.meanVia(ln)
			nc := int(math.Floor(length / (vf * dt)))
			if nc < 1 {
				nc = 1
			}
			cl := &cellLane{lane: ln, edge: ei, ncell: nc, cellLen: length / float64(nc), length: length, vf: vf, w: w}
			cl.vfr = math.Min(1, vf*dt/cl.cellLen)
			cl.wr = math.Min(1, w*dt/cl.cellLen)
			cl.q = q * dt
			cl.jam = kj * cl.cellLen
			cl.crit = kc * cl.cellLen
			cl.n = make([]float64, nc)
			cl.s, cl.r, cl.y = make([]float64, nc), make([]float64, nc), make([]float64, nc)
			laneIdx[ln] = len(m.lanes)
			m.edgeLns[ei] = append(m.edgeLns[ei], len(m.lanes))
			m.lanes = append(m.lanes, cl)
		}
	}
	// Which lanes carry each segment: those with a connection to the next
	// edge of the route, or every lane on the last edge.
	nseg := len(m.segCom)
	m.segLanes = make([][]int, nseg)
	for s := range nseg {
		c := m.coms[m.segCom[s]]
		p := m.segPos[s]
		e := c.edges[p]
		if p == len(c.edges)-1 {
			m.segLanes[s] = append([]int(nil), m.edgeLns[e]...)
			continue
		}
		for _, cn := range m.conns[[2]int{e, c.edges[p+1]}] {
			li := laneIdx[m.edges[e].Lanes[cn.FromLane]]
			if indexOfInt(m.segLanes[s], li) < 0 {
				m.segLanes[s] = append(m.segLanes[s], li)
			}
		}
	}
	for s := range nseg {
		for _, li := range m.segLanes[s] {
			m.lanes[li].segs = append(m.lanes[li].segs, s)
		}
	}
	for _, cl := range m.lanes {
		k := len(cl.segs)
		cl.nc = make([][]float64, cl.ncell)
		for i := range cl.nc {
			cl.nc[i] = make([]float64, k)
		}
		cl.moves = make([]move, k)
		for j, s := range cl.segs {
			c := m.coms[m.segCom[s]]
			p := m.segPos[s]
			if p == len(c.edges)-1 {
				cl.moves[j] = move{sink: true, sig: -1}
				continue
			}
			mv := move{sig: -1, nextSeg: s + 1, targets: m.segLanes[s+1]}
			for _, cn := range m.conns[[2]int{cl.edge, c.edges[p+1]}] {
				if cn.FromLane != cl.lane.Index {
					continue
				}
				if cn.TL != "" {
					if si, ok := sigIdx[cn.TL]; ok {
						mv.sig, mv.link = si, cn.LinkIndex
					}
				} else if cn.State == "m" || cn.State == "s" || cn.State == "w" || cn.State == "=" {
					mv.minor = true
				}
				break
			}
			cl.moves[j] = mv
		}
	}
	return m, nil
}

// meanVia is the mean internal-lane length of the connections leaving ln.
func (m *model) meanVia(ln *Lane) float64 {
	var sum float64
	var k int
	for _, c := range m.net.Connections {
		if c.From == ln.Edge.ID && c.FromLane == ln.Index && c.ViaLength > 0 {
			sum += c.ViaLength
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return sum / float64(k)
}

func indexOfInt(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// buildCommodities turns the flows into routes over edge indices.
func (m *model) buildCommodities() error {
	var errs diag.List
	byKey := map[string]*commodity{}
	for _, f := range m.sc.Routes.Flows {
		var edges []string
		key := ""
		switch {
		case f.Route != "":
			edges, key = m.sc.Routes.Routes[f.Route].Edges, "route "+f.Route
		case len(f.Edges) > 0:
			edges, key = f.Edges, "flow "+f.ID
		default:
			key = "trip " + f.From + ">" + f.To
			if c := byKey[key]; c != nil {
				c.flows = append(c.flows, f)
				continue
			}
			path, err := m.route(f.From, f.To)
			if err != nil {
				errs = append(errs, f.Pos.errorf("", "flow %q: %v", f.ID, err))
				continue
			}
			for _, e := range path {
				edges = append(edges, m.edges[e].ID)
			}
		}
		if c := byKey[key]; c != nil {
			c.flows = append(c.flows, f)
			continue
		}
		c := &commodity{id: f.ID, flows: []*Flow{f}}
		if f.Route != "" {
			c.id = f.Route
		}
		ok := true
		for i, id := range edges {
			e, found := m.edgeIdx[id]
			if !found {
				errs = append(errs, f.Pos.errorf("", "flow %q: route uses unknown edge %q", f.ID, id))
				ok = false
				break
			}
			if i > 0 && len(m.conns[[2]int{c.edges[i-1], e}]) == 0 {
				errs = append(errs, f.Pos.errorf("", "flow %q: no connection from edge %q to %q", f.ID, edges[i-1], id))
				ok = false
				break
			}
			if indexOfInt(c.edges, e) >= 0 {
				errs = append(errs, f.Pos.errorf("", "flow %q: route visits edge %q twice (loops are not modelled)", f.ID, id))
				ok = false
				break
			}
			c.edges = append(c.edges, e)
		}
		if !ok || len(c.edges) == 0 {
			if ok {
				errs = append(errs, f.Pos.errorf("", "flow %q has an empty route", f.ID))
			}
			continue
		}
		byKey[key] = c
		c.segLo = len(m.segCom)
		for p, e := range c.edges {
			m.segCom = append(m.segCom, len(m.coms))
			m.segPos = append(m.segPos, p)
			ln := m.edges[e].Lanes[0]
			c.fflow += (ln.Length + m.meanVia(ln)) / ln.Speed
			c.rtLen += ln.Length
		}
		m.coms = append(m.coms, c)
	}
	return errs.Err()
}

// edgeCost is the free-flow time of an edge, s.
func (m *model) edgeCost(e int) float64 {
	ln := m.edges[e].Lanes[0]
	return ln.Length / ln.Speed
}

// route finds the fastest path at free-flow speeds from edge from to edge
// to, as SUMO routes trips without a route.
func (m *model) route(from, to string) ([]int, error) {
	a, ok := m.edgeIdx[from]
	if !ok {
		return nil, fmt.Errorf("unknown edge %q", from)
	}
	b, ok := m.edgeIdx[to]
	if !ok {
		return nil, fmt.Errorf("unknown edge %q", to)
	}
	dist := make([]float64, len(m.edges))
	prev := make([]int, len(m.edges))
	for i := range dist {
		dist[i], prev[i] = math.Inf(1), -1
	}
	dist[a] = m.edgeCost(a)
	pq := &edgeHeap{{a, dist[a]}}
	for pq.Len() > 0 {
		it := heap.Pop(pq).(edgeItem)
		if it.d > dist[it.e] {
			continue
		}
		if it.e == b {
			break
		}
		for _, nb := range m.out[it.e] {
			d := it.d + m.edgeCost(nb)
			if d < dist[nb] {
				dist[nb], prev[nb] = d, it.e
				heap.Push(pq, edgeItem{nb, d})
			}
		}
	}
	if math.IsInf(dist[b], 1) {
		return nil, fmt.Errorf("no path from edge %q to %q", from, to)
	}
	var path []int
	for e := b; e >= 0; e = prev[e] {
		path = append(path, e)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, nil
}

type edgeItem struct {
	e int
	d float64
}

type edgeHeap []edgeItem

func (h edgeHeap) Len() int           { return len(h) }
func (h edgeHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h edgeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *edgeHeap) Push(x any)        { *h = append(*h, x.(edgeItem)) }
func (h *edgeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
