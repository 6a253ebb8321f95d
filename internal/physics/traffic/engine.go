package traffic

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Engine simulates a scenario.
type Engine interface {
	Name() string
	Run(ctx context.Context, sc *Scenario) (*Result, error)
}

var engines = map[string]Engine{}

// RegisterEngine adds an engine to the registry.
func RegisterEngine(e Engine) { engines[e.Name()] = e }

// EngineByName returns a registered engine.
func EngineByName(name string) (Engine, error) {
	if e, ok := engines[name]; ok {
		return e, nil
	}
	var names []string
	for n := range engines {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown engine %q (have %s)", name, strings.Join(names, ", "))
}

// CTM is the built-in cell transmission model engine.
type CTM struct{}

// Name is "ctm".
func (CTM) Name() string { return "ctm" }

// Run simulates with the cell transmission model.
func (CTM) Run(ctx context.Context, sc *Scenario) (*Result, error) { return Run(ctx, sc) }

func init() { RegisterEngine(CTM{}) }

// Evaluate runs the scenario with engine e and, when it has attacks and
// baseline is set, the same scenario without them.
func Evaluate(ctx context.Context, e Engine, sc *Scenario, baseline bool) (*Report, error) {
	res, err := e.Run(ctx, sc)
	if err != nil {
		return nil, err
	}
	rep := &Report{Result: res, Attacks: sc.Attacks}
	if baseline && len(sc.Attacks) > 0 {
		b := *sc
		b.Attacks = nil
		if rep.Baseline, err = e.Run(ctx, &b); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
	}
	return rep, nil
}
