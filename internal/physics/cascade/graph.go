package cascade

import (
	"fmt"
	"strings"

	"github.com/citadel-city/citadel/internal/model"
)

// Graph is the compiled dependency graph of a city: nodes are its elements
// followed by its facilities; rules are its dependencies. A Graph is
// read-only once compiled and may be evaluated concurrently.
type Graph struct {
	city     *model.City
	elements int // nodes [0, elements) are elements, the rest facilities
	index    map[string]int
	rules    []rule
	users    [][]int32 // node → rules that need it
	byTarget [][]int32 // node → its own rules
}

// rule is one dependency: target stops when its needs fail, after backup.
type rule struct {
	target  int
	needs   []int
	all     bool
	kind    model.DependencyKind
	backupH float64
	backup  string // "battery 4 h", "" without backup
}

// Compile builds the dependency graph of c. A model read by model.Load is
// always compilable; a model built in code may fail with a bad reference.
func Compile(c *model.City) (*Graph, error) {
	n := len(c.Elements) + len(c.Facilities)
	g := &Graph{city: c, elements: len(c.Elements), index: make(map[string]int, n), users: make([][]int32, n), byTarget: make([][]int32, n)}
	for i := range c.Elements {
		g.index[c.Elements[i].ID] = i
	}
	add := func(target int, needs []string, kind model.DependencyKind, req model.Require, b *model.Backup, where string) error {
		r := rule{target: target, all: req == model.RequireAll, kind: kind}
		seen := map[int]bool{}
		for _, id := range needs {
			j, ok := g.index[id]
			if !ok || j >= g.elements {
				return fmt.Errorf("%s: unknown element %q", where, id)
			}
			if !seen[j] {
				seen[j] = true
				r.needs = append(r.needs, j)
			}
		}
		if len(r.needs) == 0 {
			return fmt.Errorf("%s: needs no element", where)
		}
		if b != nil && b.Kind != model.BackupNone && b.Hours > 0 {
			r.backupH = b.Hours
			r.backup = fmt.Sprintf("%s %s", b.Kind, hoursText(b.Hours))
		} else if b != nil && b.Hours < 0 {
			return fmt.Errorf("%s: negative backup hours", where)
		}
		k := len(g.rules)
		g.rules = append(g.rules, r)
		g.byTarget[target] = append(g.byTarget[target], int32(k))
		for _, j := range r.needs {
			g.users[j] = append(g.users[j], int32(k))
		}
		return nil
	}
	for i := range c.Dependencies {
		d := &c.Dependencies[i]
		t, ok := g.index[d.Element]
		if !ok {
			return nil, fmt.Errorf("dependencies[%d]: unknown element %q", i, d.Element)
		}
		if err := add(t, d.Needs, d.Kind, d.Require, d.Backup, fmt.Sprintf("dependencies[%d]", i)); err != nil {
			return nil, err
		}
	}
	for i := range c.Facilities {
		f := &c.Facilities[i]
		node := g.elements + i
		if _, dup := g.index[f.ID]; dup {
			return nil, fmt.Errorf("facilities[%d]: id %q is already used", i, f.ID)
		}
		g.index[f.ID] = node
		for j := range f.Needs {
			nd := &f.Needs[j]
			if err := add(node, nd.Elements, nd.Kind, nd.Require, nd.Backup, fmt.Sprintf("facilities[%d].needs[%d]", i, j)); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

// City returns the model the graph was compiled from.
func (g *Graph) City() *model.City { return g.city }

func (g *Graph) id(node int) string {
	if node < g.elements {
		return g.city.Elements[node].ID
	}
	return g.city.Facilities[node-g.elements].ID
}

// hoursText writes a duration in hours compactly: "4 h", "1.5 h", "30 min".
func hoursText(h float64) string {
	if h < 1 {
		return fmt.Sprintf("%s min", trimFloat(h*60))
	}
	return trimFloat(h) + " h"
}

func trimFloat(x float64) string {
	s := fmt.Sprintf("%.2f", x)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
