package cascade

import (
	"container/heap"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
)

// DefaultHorizon is the horizon of an evaluation when Options leave it 0.
const DefaultHorizon = 24 * time.Hour

// Options tune an evaluation.
type Options struct {
	// Horizon is how far the cascade is followed; 0 means DefaultHorizon.
	Horizon time.Duration
	// Engines measure a sector's consequences; sectors without one use
	// the Declared engine.
	Engines map[model.Sector]Engine
}

// Impact is the outcome of a cascade: what went out when, and what it
// cost. Times are minutes after the start of the scenario.
type Impact struct {
	City     string   `json:"city"`
	HorizonH float64  `json:"horizon_h"`
	Effects  []string `json:"effects"`
	// Events lists every element and facility that went out within the
	// horizon, in time order.
	Events []Event `json:"events"`
	// People counts, per service, the people of the elements out at the
	// horizon (populations of one service are assumed not to overlap).
	People          []ServiceLoss    `json:"people"`
	Facilities      []FacilityImpact `json:"facilities"`
	EmergencyRoutes []RouteBlock     `json:"emergency_routes"`
	MWhUnserved     float64          `json:"mwh_unserved"`
	VehicleHours    float64          `json:"vehicle_hours"`
	// Engines names the engine that measured each sector with outages.
	Engines map[model.Sector]string `json:"engines"`
	Notes   []string                `json:"notes,omitempty"`
	// Consequence sums the impact in the model's terms: people is the
	// largest count of any one service (a lower bound on the people
	// affected), critical_facilities the facilities affected.
	Consequence model.Consequence `json:"consequence"`
}

// Event is an element or facility going out.
type Event struct {
	AtMin  float64      `json:"at_min"`
	ID     string       `json:"id"`
	Name   string       `json:"name,omitempty"`
	What   string       `json:"what"` // "element" or "facility"
	Sector model.Sector `json:"sector,omitempty"`
	// Cause is "effect" for an initial effect, else the kind of
	// dependency lost (power, water, control, communication).
	Cause model.DependencyKind `json:"cause"`
	// Via is the needed element whose loss set it off (the last one with
	// require: all).
	Via string `json:"via,omitempty"`
	// Backup is the backup that carried it until then, e.g. "battery 4 h".
	Backup string `json:"backup,omitempty"`
}

// ServiceLoss counts the people without one service.
type ServiceLoss struct {
	Service string  `json:"service"` // power, water, traffic-control, transit, public-safety, it
	People  int     `json:"people"`
	FromMin float64 `json:"from_min"` // when the first of them lost it
	// PeopleHours sums each element's people times its hours out.
	PeopleHours float64  `json:"people_hours"`
	Elements    []string `json:"elements"`
}

// FacilityImpact is a critical facility that lost something it needs.
type FacilityImpact struct {
	ID         string             `json:"id"`
	Name       string             `json:"name,omitempty"`
	Kind       model.FacilityKind `json:"kind"`
	Population int                `json:"population"`
	AtMin      float64            `json:"at_min"` // when it was first affected
	Lost       []NeedLoss         `json:"lost"`
}

// NeedLoss is one need of a facility lost (after its backup).
type NeedLoss struct {
	Kind   model.DependencyKind `json:"kind"`
	Via    string               `json:"via"`
	AtMin  float64              `json:"at_min"`
	Backup string               `json:"backup,omitempty"`
}

// RouteBlock is an element of an emergency route out of service.
type RouteBlock struct {
	Element string  `json:"element"`
	Name    string  `json:"name,omitempty"`
	AtMin   float64 `json:"at_min"`
}

// Evaluate compiles c and evaluates effects on it; see Graph.Evaluate.
func Evaluate(c *model.City, effects []Effect, opt Options) (*Impact, error) {
	g, err := Compile(c)
	if err != nil {
		return nil, fmt.Errorf("cascade graph: %w", err)
	}
	return g.Evaluate(effects, opt)
}

// event is a pending outage of node at t hours, set off by rule (-1: an
// initial effect) through the loss of via.
type event struct {
	t    float64
	node int
	rule int
	via  int
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	if q[i].node != q[j].node {
		return q[i].node < q[j].node
	}
	return q[i].rule < q[j].rule
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// Evaluate propagates effects through the graph up to the horizon and
// measures the impact. Unknown elements and a negative horizon are bad
// input (diag).
func (g *Graph) Evaluate(effects []Effect, opt Options) (*Impact, error) {
	horizon := opt.Horizon
	if horizon == 0 {
		horizon = DefaultHorizon
	}
	if horizon < 0 {
		return nil, diag.Errorf("negative horizon %v", horizon)
	}
	if len(effects) == 0 {
		return nil, diag.Errorf("no effect given (e.g. --effect feeder-f3@0h)")
	}
	H := horizon.Hours()
	c := g.city
	q := make(eventQueue, 0, len(effects)+len(g.rules))
	imp := &Impact{City: c.Name, HorizonH: H, Engines: map[model.Sector]string{},
		Events: []Event{}, People: []ServiceLoss{}, Facilities: []FacilityImpact{}, EmergencyRoutes: []RouteBlock{}}
	for _, e := range effects {
		i, ok := g.index[e.Element]
		if !ok || i >= g.elements {
			return nil, diag.Errorf("effect %s: unknown element %q (%s)", e, e.Element, g.suggest(e.Element))
		}
		if e.At < 0 {
			return nil, diag.Errorf("effect %s: negative time", e)
		}
		q = append(q, event{t: e.At.Hours(), node: i, rule: -1, via: -1})
		imp.Effects = append(imp.Effects, e.String())
	}
	heap.Init(&q)

	n := g.elements + len(c.Facilities)
	down := make([]float64, n)
	for i := range down {
		down[i] = math.Inf(1)
	}
	lost := make([]int32, len(g.rules))     // needs of each rule lost so far
	fired := make([]float64, len(g.rules))  // when each rule's target loses it
	firedVia := make([]int32, len(g.rules)) // the need that set it off
	for i := range fired {
		fired[i] = math.Inf(1)
	}
	var outages []Outage
	for q.Len() > 0 {
		ev := heap.Pop(&q).(event)
		if ev.t > H {
			break
		}
		if !math.IsInf(down[ev.node], 1) {
			continue // already out, earlier or at the same time
		}
		down[ev.node] = ev.t
		imp.Events = append(imp.Events, g.eventOf(ev))
		if ev.node < g.elements {
			outages = append(outages, Outage{Element: &c.Elements[ev.node], At: ev.t})
		}
		for _, k := range g.users[ev.node] {
			r := &g.rules[k]
			if !math.IsInf(fired[k], 1) {
				continue
			}
			lost[k]++
			if r.all && int(lost[k]) < len(r.needs) {
				continue
			}
			fired[k] = ev.t + r.backupH
			firedVia[k] = int32(ev.node)
			heap.Push(&q, event{t: fired[k], node: r.target, rule: int(k), via: ev.node})
		}
	}

	g.countPeople(imp, down, H)
	g.countFacilities(imp, down, fired, firedVia, H)
	for i := range c.Elements {
		if e := &c.Elements[i]; e.EmergencyRoute && down[i] <= H {
			imp.EmergencyRoutes = append(imp.EmergencyRoutes, RouteBlock{Element: e.ID, Name: e.Name, AtMin: minutes(down[i])})
		}
	}
	sort.SliceStable(imp.EmergencyRoutes, func(i, j int) bool { return imp.EmergencyRoutes[i].AtMin < imp.EmergencyRoutes[j].AtMin })

	bySector := map[model.Sector][]Outage{}
	for _, o := range outages {
		bySector[o.Element.Sector] = append(bySector[o.Element.Sector], o)
	}
	for _, s := range sectorsOf(outages) {
		eng := opt.Engines[s]
		if eng == nil {
			eng = Declared{}
		}
		m, err := eng.Measure(bySector[s], H)
		if err != nil {
			return nil, fmt.Errorf("%s engine for %s: %w", eng.Name(), s, err)
		}
		imp.Engines[s] = eng.Name()
		imp.MWhUnserved += m.MWhUnserved
		imp.VehicleHours += m.VehicleHours
		imp.Notes = append(imp.Notes, m.Notes...)
	}

	cq := &imp.Consequence
	for _, s := range imp.People {
		cq.People = max(cq.People, s.People)
	}
	cq.CriticalFacilities = len(imp.Facilities)
	cq.MWhUnserved = imp.MWhUnserved
	cq.VehicleHours = imp.VehicleHours
	return imp, nil
}

func (g *Graph) eventOf(ev event) Event {
	e := Event{AtMin: minutes(ev.t), ID: g.id(ev.node), Cause: "effect"}
	if ev.node < g.elements {
		el := &g.city.Elements[ev.node]
		e.What, e.Name, e.Sector = "element", el.Name, el.Sector
	} else {
		f := &g.city.Facilities[ev.node-g.elements]
		e.What, e.Name = "facility", f.Name
	}
	if ev.rule >= 0 {
		r := &g.rules[ev.rule]
		e.Cause, e.Via, e.Backup = r.kind, g.id(ev.via), r.backup
	}
	return e
}

// services names what people lose when an element of a sector is out.
var services = map[model.Sector]string{
	"energy": "power", "water": "water", "traffic": "traffic-control",
	"transit": "transit", "public-safety": "public-safety", "it": "it",
}

func (g *Graph) countPeople(imp *Impact, down []float64, H float64) {
	idx := map[string]int{}
	for i := range g.elements {
		e := &g.city.Elements[i]
		if down[i] > H || e.Population == 0 {
			continue
		}
		svc := services[e.Sector]
		if svc == "" {
			svc = string(e.Sector)
		}
		k, ok := idx[svc]
		if !ok {
			k = len(imp.People)
			idx[svc] = k
			imp.People = append(imp.People, ServiceLoss{Service: svc, FromMin: math.Inf(1)})
		}
		s := &imp.People[k]
		s.People += e.Population
		s.PeopleHours += float64(e.Population) * (H - down[i])
		s.FromMin = math.Min(s.FromMin, minutes(down[i]))
		s.Elements = append(s.Elements, e.ID)
	}
	sort.SliceStable(imp.People, func(i, j int) bool {
		if imp.People[i].FromMin != imp.People[j].FromMin {
			return imp.People[i].FromMin < imp.People[j].FromMin
		}
		return imp.People[i].Service < imp.People[j].Service
	})
}

func (g *Graph) countFacilities(imp *Impact, down, fired []float64, via []int32, H float64) {
	for i := range g.city.Facilities {
		node := g.elements + i
		if down[node] > H {
			continue
		}
		f := &g.city.Facilities[i]
		fi := FacilityImpact{ID: f.ID, Name: f.Name, Kind: f.Kind, Population: f.Population, AtMin: minutes(down[node])}
		for _, k := range g.byTarget[node] {
			if r := &g.rules[k]; fired[k] <= H {
				fi.Lost = append(fi.Lost, NeedLoss{Kind: r.kind, Via: g.id(int(via[k])), AtMin: minutes(fired[k]), Backup: r.backup})
			}
		}
		sort.SliceStable(fi.Lost, func(a, b int) bool { return fi.Lost[a].AtMin < fi.Lost[b].AtMin })
		imp.Facilities = append(imp.Facilities, fi)
	}
	sort.SliceStable(imp.Facilities, func(i, j int) bool { return imp.Facilities[i].AtMin < imp.Facilities[j].AtMin })
}

// minutes converts hours to minutes, rounded to a hundredth of a minute
// so that reports do not show float noise.
func minutes(h float64) float64 { return math.Round(h*6000) / 100 }

func (g *Graph) suggest(id string) string {
	ids := make([]string, g.elements)
	for i := range g.elements {
		ids[i] = g.city.Elements[i].ID
	}
	if best, ok := diag.Closest(id, ids); ok {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "see the model's elements"
}
