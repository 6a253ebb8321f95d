package traffic

import (
	"fmt"
	"math"
	"os"
	"strings"
)

// Routes is the demand of a SUMO route file (.rou.xml): vehicle types,
// named routes, flows and single vehicles or trips.
type Routes struct {
	File   string
	VTypes map[string]*VType
	Routes map[string]*Route
	Flows  []*Flow // single vehicles and trips become flows of one vehicle
}

// VType is a vehicle type; only what the macroscopic model uses is kept.
type VType struct {
	ID       string
	Length   float64 // m, SUMO default 5
	MinGap   float64 // m, SUMO default 2.5
	MaxSpeed float64 // m/s, SUMO default 55.55
	Pos      Pos
}

// DefaultVType is SUMO's default passenger car.
var DefaultVType = VType{ID: "DEFAULT_VEHTYPE", Length: 5, MinGap: 2.5, MaxSpeed: 55.55}

// Route is a named sequence of edges.
type Route struct {
	ID    string
	Edges []string
	Pos   Pos
}

// Flow is a stream of vehicles from Begin to End seconds along Route (or
// from edge From to edge To, routed on the network). Exactly one of Rate
// (vehicles per second, from vehsPerHour or period), Probability (per
// second) or Number (spread evenly over the interval) is set.
type Flow struct {
	ID          string
	Type        string
	Route       string   // named route, or
	Edges       []string // an inline route, or
	From, To    string   // origin and destination edges
	Begin, End  float64
	Rate        float64 // veh/s
	Probability float64 // per second
	Number      int
	Pos         Pos
}

// VehPerSecond is the mean demand rate of the flow while it is active.
func (f *Flow) VehPerSecond() float64 {
	switch {
	case f.Rate > 0:
		return f.Rate
	case f.Probability > 0:
		return f.Probability
	case f.Number > 0 && f.End > f.Begin:
		return float64(f.Number) / (f.End - f.Begin)
	}
	return 0
}

// ReadRoutesFile reads a SUMO .rou.xml file.
func ReadRoutesFile(path string) (*Routes, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	return ParseRoutes(path, data)
}

// ParseRoutes parses a SUMO route file held in data.
func ParseRoutes(file string, data []byte) (*Routes, error) {
	d := newXMLDoc(file, data)
	r := &Routes{File: file, VTypes: map[string]*VType{}, Routes: map[string]*Route{}}
	var cur *Flow // vehicle/flow/trip whose children are being read
	sawRoot := false
	d.walk(func(e *element) {
		if e.depth == 1 {
			if e.name != "routes" && e.name != "additional" {
				d.errAt(e.off, "", "give a SUMO route file", "root element is <%s>, not <routes>", e.name)
			}
			sawRoot = true
			return
		}
		if e.depth == 2 {
			cur = nil
		}
		switch e.name {
		case "vType":
			if e.depth != 2 {
				return
			}
			t := &VType{ID: d.need(e, "id"), Length: d.nonNeg(e, "length", DefaultVType.Length),
				MinGap: d.nonNeg(e, "minGap", DefaultVType.MinGap), MaxSpeed: d.nonNeg(e, "maxSpeed", DefaultVType.MaxSpeed), Pos: d.at(e)}
			if t.Length+t.MinGap <= 0 {
				d.errAt(e.off, "vType", "", "vehicle type %q has zero length and gap", t.ID)
			}
			r.VTypes[t.ID] = t
		case "route":
			edges := strings.Fields(d.need(e, "edges"))
			if e.depth == 3 && cur != nil {
				cur.Edges = edges
				return
			}
			if e.depth != 2 {
				return
			}
			id := d.need(e, "id")
			if r.Routes[id] != nil {
				d.errAt(e.off, "route.id", "", "route %q defined twice", id)
			}
			r.Routes[id] = &Route{ID: id, Edges: edges, Pos: d.at(e)}
		case "flow", "vehicle", "trip":
			if e.depth != 2 {
				return
			}
			f := &Flow{ID: d.need(e, "id"), Type: e.str("type"), Route: e.str("route"),
				From: e.str("from"), To: e.str("to"), Pos: d.at(e)}
			if e.name == "flow" {
				f.Begin = d.nonNeg(e, "begin", 0)
				f.End = d.nonNeg(e, "end", math.Inf(1))
				n := 0
				if _, ok := e.attr("vehsPerHour"); ok {
					f.Rate = d.nonNeg(e, "vehsPerHour", 0) / 3600
					n++
				}
				if _, ok := e.attr("period"); ok {
					p := d.nonNeg(e, "period", 0)
					if p <= 0 {
						d.errAt(e.off, "flow.period", "", "period must be positive")
					} else {
						f.Rate = 1 / p
					}
					n++
				}
				if _, ok := e.attr("probability"); ok {
					f.Probability = d.nonNeg(e, "probability", 0)
					if f.Probability > 1 {
						d.errAt(e.off, "flow.probability", "", "probability %v above 1", f.Probability)
					}
					n++
				}
				if _, ok := e.attr("number"); ok {
					f.Number = d.int(e, "number", 0)
					if f.Number < 0 {
						d.errAt(e.off, "flow.number", "", "number must not be negative")
					}
					n++
				}
				switch {
				case n == 0:
					d.errAt(e.off, "flow", "add vehsPerHour, period, probability or number", "flow %q has no rate", f.ID)
				case n > 1:
					d.errAt(e.off, "flow", "", "flow %q sets more than one of vehsPerHour, period, probability and number", f.ID)
				}
				if f.Number > 0 && math.IsInf(f.End, 1) {
					d.errAt(e.off, "flow.end", "", "flow %q with number needs an end", f.ID)
				}
				if f.End < f.Begin {
					d.errAt(e.off, "flow.end", "", "flow %q ends (%v) before it begins (%v)", f.ID, f.End, f.Begin)
				}
			} else {
				dep := d.nonNeg(e, "depart", 0)
				if v, _ := e.attr("depart"); v == "triggered" || v == "containerTriggered" {
					d.errAt(e.off, "vehicle.depart", "", "triggered departures are not supported")
				}
				f.Begin, f.End, f.Number = dep, dep+1, 1
			}
			r.Flows = append(r.Flows, f)
			cur = f
		}
	})
	if !sawRoot && len(d.errs) == 0 {
		d.errAt(0, "", "", "no <routes> element found")
	}
	for _, f := range r.Flows {
		if len(d.errs) >= maxDiags {
			break
		}
		switch {
		case f.Route != "":
			if r.Routes[f.Route] == nil {
				d.errs = append(d.errs, f.Pos.errorf("route", "unknown route %q", f.Route))
			}
		case len(f.Edges) > 0:
		case f.From != "" && f.To != "":
		default:
			d.errs = append(d.errs, f.Pos.errorf("", "%q needs a route, an inline <route> or from and to", f.ID))
		}
		if f.Type != "" && r.VTypes[f.Type] == nil && f.Type != DefaultVType.ID {
			d.errs = append(d.errs, f.Pos.errorf("type", "unknown vehicle type %q", f.Type))
		}
	}
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return r, nil
}
