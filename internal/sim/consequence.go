package sim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/citadel-city/citadel/internal/model"
)

// Consequencer scores the physical consequence of an effect set: the
// targets a campaign achieved, together. A physics engine (water, power,
// traffic, cascades) plugs in here; Declared uses the model's declared
// consequences until then.
type Consequencer interface {
	// Name names the consequencer in reports.
	Name() string
	// Consequence returns the consequence of achieving the targets (indexes
	// into c.Targets, ascending) together.
	Consequence(c *model.City, targets []int) (model.Consequence, error)
}

// Declared scores an effect set by adding the targets' declared
// consequences. A target that declares none counts the people who depend on
// its elements (the largest element population). Overlaps (the same people
// losing two services) are counted twice: an upper bound that a physics
// engine would refine.
type Declared struct{}

// Name implements Consequencer.
func (Declared) Name() string { return "declared" }

// Consequence implements Consequencer.
func (Declared) Consequence(c *model.City, targets []int) (model.Consequence, error) {
	var sum model.Consequence
	for _, t := range targets {
		if t < 0 || t >= len(c.Targets) {
			return sum, fmt.Errorf("target %d out of range", t)
		}
		x := c.Targets[t].Consequence
		if x == (model.Consequence{}) {
			x.People = elementPeople(c, c.Targets[t].Elements)
		}
		sum.People += x.People
		sum.CriticalFacilities += x.CriticalFacilities
		sum.MWhUnserved += x.MWhUnserved
		sum.VehicleHours += x.VehicleHours
	}
	return sum, nil
}

// elementPeople is the largest population of the elements.
func elementPeople(c *model.City, elements []string) int {
	most := 0
	for _, el := range elements {
		for i := range c.Elements {
			if c.Elements[i].ID == el {
				most = max(most, c.Elements[i].Population)
			}
		}
	}
	return most
}

// Harm weighs the dimensions of a consequence into one number, in
// people-equivalents, to rank fixes and sensors; docs/simulate.md explains
// the defaults.
type Harm struct {
	Person           float64
	CriticalFacility float64
	MWhUnserved      float64
	VehicleHourDelay float64
}

// DefaultHarm is the default weighting: a person without service counts 1,
// a critical facility (hospital, fire station) 10,000, a MWh unserved 20 and
// a vehicle-hour of delay 0.5.
var DefaultHarm = Harm{Person: 1, CriticalFacility: 10_000, MWhUnserved: 20, VehicleHourDelay: 0.5}

// Of returns the harm of a consequence.
func (h Harm) Of(x model.Consequence) float64 {
	return h.Person*float64(x.People) + h.CriticalFacility*float64(x.CriticalFacilities) +
		h.MWhUnserved*x.MWhUnserved + h.VehicleHourDelay*x.VehicleHours
}

// consequenceCache caches a Consequencer by effect set; it is safe for
// concurrent use and counts the evaluations it made.
type consequenceCache struct {
	c     *model.City
	cons  Consequencer
	mu    sync.Mutex
	memo  map[string]model.Consequence
	evals int
}

func newConsequenceCache(c *model.City, cons Consequencer) *consequenceCache {
	return &consequenceCache{c: c, cons: cons, memo: map[string]model.Consequence{}}
}

// get returns the consequence of the effect set with the given key.
func (cc *consequenceCache) get(key string) (model.Consequence, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if x, ok := cc.memo[key]; ok {
		return x, nil
	}
	x, err := cc.cons.Consequence(cc.c, decodeEffect(key))
	if err != nil {
		return x, fmt.Errorf("consequence of %v: %w", decodeEffect(key), err)
	}
	cc.memo[key] = x
	cc.evals++
	return x, nil
}

// An effect key is the ascending target indexes in decimal, each followed
// by a comma: text, so that tallies travel as JSON.
func appendEffect(b []byte, t int) []byte {
	return append(strconv.AppendInt(b, int64(t), 10), ',')
}

func decodeEffect(key string) []int {
	out := make([]int, 0, 4)
	for f := range strings.SplitSeq(key, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}
