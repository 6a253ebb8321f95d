package cascade

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
)

// Outage is an element out of service from At hours to the horizon.
type Outage struct {
	Element *model.Element
	At      float64 // hours after the start
}

// Measure is what an engine computes for one sector's outages over the
// horizon.
type Measure struct {
	MWhUnserved  float64
	VehicleHours float64
	// Notes says how the figures were obtained, for the report.
	Notes []string
}

// Engine measures the consequences of a sector's outages. The declared
// engine reads the figures declared in the model; physical engines compute
// them with a model of the grid, the water network or the streets.
type Engine interface {
	// Name is the engine's registered name.
	Name() string
	// Measure scores outages, in time order, over horizon hours.
	Measure(outages []Outage, horizon float64) (Measure, error)
}

// Factory makes an engine for a city; arg is the engine's argument from
// the command line (such as the path of a MATPOWER case), "" when none.
type Factory func(c *model.City, arg string) (Engine, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register adds an engine under name. It panics when the name is taken:
// registration happens in init functions.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("cascade: engine " + name + " registered twice")
	}
	registry[name] = f
}

// EngineNames lists the registered engines in order.
func EngineNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewEngine makes the engine registered under name for city c.
func NewEngine(name string, c *model.City, arg string) (Engine, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, diag.Errorf("unknown engine %q (engines: %s)", name, strings.Join(EngineNames(), ", "))
	}
	return f(c, arg)
}

// Declared is the default engine: energy not served is each element's
// declared load_mw times its hours out, delay its declared
// delay_vehicle_hours per hour times its hours out.
type Declared struct{}

func init() {
	Register("declared", func(*model.City, string) (Engine, error) { return Declared{}, nil })
}

// Name implements Engine.
func (Declared) Name() string { return "declared" }

// Measure implements Engine.
func (Declared) Measure(outages []Outage, horizon float64) (Measure, error) {
	var m Measure
	for _, o := range outages {
		h := horizon - o.At
		if h <= 0 {
			continue
		}
		m.MWhUnserved += o.Element.LoadMW * h
		m.VehicleHours += o.Element.DelayVehicleHours * h
	}
	return m, nil
}

// addDeclared adds the declared engine's figures for outages, those a
// physical engine does not model, to m.
func (m *Measure) addDeclared(outages []Outage, horizon float64) {
	d, _ := Declared{}.Measure(outages, horizon)
	m.MWhUnserved += d.MWhUnserved
	m.VehicleHours += d.VehicleHours
}

// stepwise integrates up to horizon a rate that changes only at the
// outages an engine models (owns): it passes each of them, in time order,
// to add, then asks solve for the rate from then on, once per group of
// simultaneous outages. It returns the integral and the outages the engine
// does not model, for the declared engine.
func stepwise(outages []Outage, horizon float64, owns func(Outage) bool, add func(Outage), solve func(Outage) (float64, error)) (total float64, declared []Outage, err error) {
	rate, since := 0.0, 0.0
	for i, o := range outages {
		if !owns(o) {
			declared = append(declared, o)
			continue
		}
		total += rate * (o.At - since)
		since = o.At
		add(o)
		if i+1 < len(outages) && outages[i+1].At == o.At && owns(outages[i+1]) {
			continue // one solve for simultaneous outages
		}
		if rate, err = solve(o); err != nil {
			return 0, nil, err
		}
	}
	if horizon > since {
		total += rate * (horizon - since)
	}
	return total, declared, nil
}

// sectorsOf lists the sectors of outages in first-seen order.
func sectorsOf(outages []Outage) []model.Sector {
	var s []model.Sector
	for _, o := range outages {
		if !slices.Contains(s, o.Element.Sector) {
			s = append(s, o.Element.Sector)
		}
	}
	return s
}

func sortedSectors[V any](m map[model.Sector]V) []model.Sector {
	s := make([]model.Sector, 0, len(m))
	for k := range m {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}
