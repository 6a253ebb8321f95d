package traffic

import (
	"fmt"
	"os"
	"strings"
)

// Net is a SUMO road network (.net.xml): the normal edges with their lanes,
// the junctions with their right-of-way matrices, the connections between
// lanes and the traffic-light programs. Internal (junction) edges are kept
// only through the connections that name them (Via).
type Net struct {
	File        string
	Edges       []*Edge
	Junctions   []*Junction
	Connections []*Connection
	// TLLogics holds every program in file order; Active returns the one
	// SUMO runs for each signal (the last loaded).
	TLLogics []*TLLogic

	edgeByID map[string]*Edge
	laneByID map[string]*Lane
	juncByID map[string]*Junction
	internal map[string]float64 // internal lane id → length
	// viaNext maps an internal lane to the internal lane that continues it
	// (a left turn that waits inside the junction crosses two internal
	// lanes; the junction's intLanes lists the second).
	viaNext map[string]string
}

// Edge is one directed road between two junctions.
type Edge struct {
	ID       string
	From, To string
	Priority int
	Lanes    []*Lane
	Pos      Pos
}

// Lane is one lane of an edge; Index 0 is the rightmost.
type Lane struct {
	ID     string
	Edge   *Edge
	Index  int
	Speed  float64 // m/s
	Length float64 // m
}

// Junction is a node of the network; Requests hold, for each link index of
// a controlled junction, the foes and response bit strings (the rightmost
// character is link 0, as SUMO writes them).
type Junction struct {
	ID       string
	Type     string
	X, Y     float64
	IncLanes []string
	IntLanes []string // internal lanes; IntLanes[i] is the path of Requests[i]
	Requests []Request
	Pos      Pos
}

// Request is one row of a junction's right-of-way matrix.
type Request struct {
	Index    int
	Response string // links this one must yield to
	Foes     string // links whose paths cross or merge with this one
}

// bit reports whether a request string lists link j (rightmost character is 0).
func bit(s string, j int) bool {
	k := len(s) - 1 - j
	return k >= 0 && k < len(s) && s[k] == '1'
}

// Connection joins a lane of one edge to a lane of another across a
// junction, controlled by signal TL at LinkIndex when TL is set.
type Connection struct {
	From, To         string
	FromLane, ToLane int
	Via              string
	TL               string
	LinkIndex        int // -1 when uncontrolled
	Dir, State       string
	ViaLength        float64 // length of the internal lane, m (0 when none)
	Pos              Pos
}

// TLLogic is one traffic-light program.
type TLLogic struct {
	ID, Type, ProgramID string
	Offset              float64
	Phases              []Phase
	Pos                 Pos
}

// Phase is one signal phase: its duration and one state character per link
// index (G g green, y Y yellow, r red, s stop sign, o O off, u red-yellow).
type Phase struct {
	Duration       float64
	MinDur, MaxDur float64 // for actuated programs; equal to Duration otherwise
	State          string
}

// Cycle is the sum of the phase durations.
func (l *TLLogic) Cycle() float64 {
	var c float64
	for _, p := range l.Phases {
		c += p.Duration
	}
	return c
}

// Edge returns the normal edge named id, or nil.
func (n *Net) Edge(id string) *Edge { return n.edgeByID[id] }

// Lane returns the lane named id, or nil.
func (n *Net) Lane(id string) *Lane { return n.laneByID[id] }

// Junction returns the junction named id, or nil.
func (n *Net) Junction(id string) *Junction { return n.juncByID[id] }

// Active returns the program SUMO runs for each signal: the last one loaded
// for each id, in order of first appearance.
func (n *Net) Active() []*TLLogic {
	last := map[string]*TLLogic{}
	var order []string
	for _, l := range n.TLLogics {
		if _, ok := last[l.ID]; !ok {
			order = append(order, l.ID)
		}
		last[l.ID] = l
	}
	out := make([]*TLLogic, len(order))
	for i, id := range order {
		out[i] = last[id]
	}
	return out
}

// ReadNetFile reads a SUMO .net.xml file.
func ReadNetFile(path string) (*Net, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read network: %w", err)
	}
	return ParseNet(path, data)
}

// ParseNet parses a SUMO network held in data; file names it in diagnostics.
// Every problem found is returned together as a diag.List.
func ParseNet(file string, data []byte) (*Net, error) {
	d := newXMLDoc(file, data)
	n := &Net{File: file, edgeByID: map[string]*Edge{}, laneByID: map[string]*Lane{},
		juncByID: map[string]*Junction{}, internal: map[string]float64{}, viaNext: map[string]string{}}
	var edge *Edge // current normal edge
	var internalEdge bool
	var tl *TLLogic
	var junc *Junction
	sawNet := false
	d.walk(func(e *element) {
		if e.depth == 1 {
			if e.name != "net" {
				d.errAt(e.off, "", "give a SUMO network file (netconvert output)", "root element is <%s>, not <net>", e.name)
			}
			sawNet = true
			return
		}
		if e.depth == 2 {
			edge, tl, junc, internalEdge = nil, nil, nil, false
		}
		switch {
		case e.name == "edge" && e.depth == 2:
			id := d.need(e, "id")
			if e.str("function") == "internal" || strings.HasPrefix(id, ":") {
				internalEdge = true
				return
			}
			if f := e.str("function"); f != "" && f != "normal" {
				internalEdge = true // crossings and walking areas carry no vehicles
				return
			}
			if n.edgeByID[id] != nil {
				d.errAt(e.off, "edge.id", "", "edge %q defined twice", id)
				return
			}
			edge = &Edge{ID: id, From: d.need(e, "from"), To: d.need(e, "to"),
				Priority: d.int(e, "priority", -1), Pos: d.at(e)}
			n.Edges = append(n.Edges, edge)
			n.edgeByID[id] = edge
		case e.name == "lane" && e.depth == 3:
			id := d.need(e, "id")
			length := d.nonNeg(e, "length", 0)
			if internalEdge {
				n.internal[id] = length
				return
			}
			if edge == nil {
				return
			}
			ln := &Lane{ID: id, Edge: edge, Index: d.int(e, "index", len(edge.Lanes)),
				Speed: d.nonNeg(e, "speed", 13.89), Length: length}
			if _, ok := e.attr("length"); !ok {
				d.errAt(e.off, "lane.length", "", "lane %q has no length", id)
			}
			if ln.Speed <= 0 || ln.Length <= 0 {
				d.errAt(e.off, "lane", "", "lane %q needs a positive speed and length (speed=%v length=%v)", id, ln.Speed, ln.Length)
			}
			if ln.Index != len(edge.Lanes) {
				d.errAt(e.off, "lane.index", "", "lane %q has index %d, expected %d", id, ln.Index, len(edge.Lanes))
				ln.Index = len(edge.Lanes)
			}
			if n.laneByID[id] != nil {
				d.errAt(e.off, "lane.id", "", "lane %q defined twice", id)
				return
			}
			edge.Lanes = append(edge.Lanes, ln)
			n.laneByID[id] = ln
		case e.name == "tlLogic" && e.depth == 2:
			tl = &TLLogic{ID: d.need(e, "id"), Type: e.str("type"), ProgramID: e.str("programID"),
				Offset: d.float(e, "offset", 0), Pos: d.at(e)}
			if tl.Type == "" {
				tl.Type = "static"
			}
			n.TLLogics = append(n.TLLogics, tl)
		case e.name == "phase" && e.depth == 3 && tl != nil:
			p := Phase{Duration: d.nonNeg(e, "duration", 0), State: d.need(e, "state")}
			if _, ok := e.attr("duration"); !ok {
				d.errAt(e.off, "phase.duration", "", "<phase> needs attribute \"duration\"")
			}
			p.MinDur = d.nonNeg(e, "minDur", p.Duration)
			p.MaxDur = d.nonNeg(e, "maxDur", p.Duration)
			if p.MaxDur < p.MinDur {
				d.errAt(e.off, "phase.maxDur", "", "maxDur %v is below minDur %v", p.MaxDur, p.MinDur)
			}
			for _, c := range p.State {
				if !strings.ContainsRune("GgyYrRsoOu", c) {
					d.errAt(e.off, "phase.state", "use the SUMO signal characters G g y r s o O u", "unknown signal state %q in %q", c, p.State)
					break
				}
			}
			if len(tl.Phases) > 0 && len(tl.Phases[0].State) != len(p.State) {
				d.errAt(e.off, "phase.state", "", "state %q has %d links, the first phase has %d", p.State, len(p.State), len(tl.Phases[0].State))
			}
			tl.Phases = append(tl.Phases, p)
		case e.name == "junction" && e.depth == 2:
			id := d.need(e, "id")
			if n.juncByID[id] != nil {
				d.errAt(e.off, "junction.id", "", "junction %q defined twice", id)
				return
			}
			junc = &Junction{ID: id, Type: e.str("type"), X: d.float(e, "x", 0), Y: d.float(e, "y", 0),
				IncLanes: strings.Fields(e.str("incLanes")), IntLanes: strings.Fields(e.str("intLanes")), Pos: d.at(e)}
			n.Junctions = append(n.Junctions, junc)
			n.juncByID[id] = junc
		case e.name == "request" && e.depth == 3 && junc != nil:
			r := Request{Index: d.int(e, "index", len(junc.Requests)), Response: e.str("response"), Foes: e.str("foes")}
			if strings.Trim(r.Response+r.Foes, "01") != "" {
				d.errAt(e.off, "request", "", "response and foes must be strings of 0 and 1")
			}
			if r.Index != len(junc.Requests) {
				d.errAt(e.off, "request.index", "", "request index %d out of order (expected %d)", r.Index, len(junc.Requests))
			}
			junc.Requests = append(junc.Requests, r)
		case e.name == "connection" && e.depth == 2:
			from := d.need(e, "from")
			if strings.HasPrefix(from, ":") {
				// Internal lane to an outgoing edge, or to the next internal
				// lane of a turn that waits inside the junction.
				if via := e.str("via"); via != "" {
					n.viaNext[fmt.Sprintf("%s_%d", from, d.int(e, "fromLane", 0))] = via
				}
				return
			}
			c := &Connection{From: from, To: d.need(e, "to"), FromLane: d.int(e, "fromLane", 0),
				ToLane: d.int(e, "toLane", 0), Via: e.str("via"), TL: e.str("tl"),
				LinkIndex: d.int(e, "linkIndex", -1), Dir: e.str("dir"), State: e.str("state"), Pos: d.at(e)}
			if c.TL != "" && c.LinkIndex < 0 {
				d.errAt(e.off, "connection.linkIndex", "", "connection controlled by %q has no linkIndex", c.TL)
			}
			n.Connections = append(n.Connections, c)
		}
	})
	if !sawNet && len(d.errs) == 0 {
		d.errAt(0, "", "", "no <net> element found")
	}
	if len(d.errs) == 0 {
		n.check(d)
	}
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return n, nil
}

// check resolves references once the whole file is read.
func (n *Net) check(d *xmlDoc) {
	add := func(p Pos, field, format string, args ...any) {
		if len(d.errs) < maxDiags {
			d.errs = append(d.errs, p.errorf(field, format, args...))
		}
	}
	for _, e := range n.Edges {
		if len(e.Lanes) == 0 {
			add(e.Pos, "edge", "edge %q has no lanes", e.ID)
		}
	}
	tls := map[string]*TLLogic{}
	for _, l := range n.Active() {
		tls[l.ID] = l
		if len(l.Phases) == 0 {
			add(l.Pos, "tlLogic", "signal %q program %q has no phases", l.ID, l.ProgramID)
		} else if l.Cycle() <= 0 {
			add(l.Pos, "tlLogic", "signal %q program %q has a zero cycle", l.ID, l.ProgramID)
		}
	}
	for _, c := range n.Connections {
		from, to := n.edgeByID[c.From], n.edgeByID[c.To]
		switch {
		case from == nil:
			add(c.Pos, "connection.from", "unknown edge %q", c.From)
			continue
		case to == nil:
			add(c.Pos, "connection.to", "unknown edge %q", c.To)
			continue
		case c.FromLane < 0 || c.FromLane >= len(from.Lanes):
			add(c.Pos, "connection.fromLane", "edge %q has no lane %d", c.From, c.FromLane)
		case c.ToLane < 0 || c.ToLane >= len(to.Lanes):
			add(c.Pos, "connection.toLane", "edge %q has no lane %d", c.To, c.ToLane)
		}
		if c.Via != "" {
			c.ViaLength = n.internal[c.Via]
		}
		if c.TL != "" {
			l := tls[c.TL]
			if l == nil {
				add(c.Pos, "connection.tl", "unknown signal %q", c.TL)
			} else if len(l.Phases) > 0 && c.LinkIndex >= len(l.Phases[0].State) {
				add(c.Pos, "connection.linkIndex", "link index %d beyond signal %q's %d states", c.LinkIndex, c.TL, len(l.Phases[0].State))
			}
		}
	}
}
