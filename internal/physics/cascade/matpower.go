package cascade

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/grid"
)

// Matpower is the grid engine: the elements whose ref points into a
// MATPOWER case ("branch:N", the N-th row of mpc.branch counted from 1;
// "bus:N", bus number N) are opened in the case — a branch is taken out of
// service, a bus is isolated by opening every branch that touches it — and
// the load lost is measured with a DC power-flow cascade (overloaded
// branches trip, islands balance or go dark; grid.Cascade). Energy not
// served is the load lost, above what the intact case already loses,
// integrated over the hours between outages and up to the horizon.
// Elements without such a ref keep their declared load_mw.
type Matpower struct {
	file     string
	cs       *grid.Case
	branches map[*model.Element][]int // element → 0-based branch rows it opens
	base     float64                  // MW the intact case fails to serve
}

func init() {
	Register("matpower", func(c *model.City, arg string) (Engine, error) { return NewMatpower(c, arg) })
}

// SampleCase names the embedded grid of the sample city, sample/riverton.m, for
// NewMatpower.
const SampleCase = "sample"

//go:embed sample/riverton.m
var rivertonCase []byte

// NewMatpower reads the case in file (SampleCase: the embedded grid of the
// sample city) and maps the city's element refs to its branches.
func NewMatpower(c *model.City, file string) (*Matpower, error) {
	if file == "" {
		return nil, diag.Errorf("the matpower engine needs a case file: matpower:CASE.m (or matpower:sample for the sample city's grid)")
	}
	var (
		cs  *grid.Case
		err error
	)
	if file == SampleCase {
		cs, err = grid.ParseCase("riverton.m", rivertonCase)
	} else {
		cs, err = grid.ReadCase(file)
	}
	if err != nil {
		return nil, err
	}
	return newMatpower(c, file, cs)
}

func newMatpower(c *model.City, file string, cs *grid.Case) (*Matpower, error) {
	m := &Matpower{file: file, cs: cs, branches: map[*model.Element][]int{}}
	buses := map[int]bool{}
	for _, b := range cs.Bus {
		buses[b.ID] = true
	}
	for i := range c.Elements {
		e := &c.Elements[i]
		kind, num, ok := strings.Cut(e.Ref, ":")
		if !ok || (kind != "branch" && kind != "bus") {
			continue
		}
		n, err := strconv.Atoi(num)
		switch {
		case err != nil:
			return nil, diag.Errorf("element %s: ref %q: %s:N needs a number", e.ID, e.Ref, kind)
		case kind == "branch" && (n < 1 || n > len(cs.Branch)):
			return nil, diag.Errorf("element %s: ref %q: case %s has branches 1 to %d", e.ID, e.Ref, file, len(cs.Branch))
		case kind == "branch":
			m.branches[e] = []int{n - 1}
		case !buses[n]:
			return nil, diag.Errorf("element %s: ref %q: case %s has no bus %d", e.ID, e.Ref, file, n)
		default:
			var rows []int
			for k, br := range cs.Branch {
				if br.From == n || br.To == n {
					rows = append(rows, k)
				}
			}
			m.branches[e] = rows
		}
	}
	res, err := grid.Cascade(cs, grid.CascadeOptions{})
	if err != nil {
		return nil, fmt.Errorf("intact case %s: %w", file, err)
	}
	m.base = res.UnservedMW
	return m, nil
}

// Name implements Engine.
func (*Matpower) Name() string { return "matpower" }

// Measure implements Engine.
func (m *Matpower) Measure(outages []Outage, horizon float64) (Measure, error) {
	var out Measure
	var open []int
	owns := func(o Outage) bool { _, ok := m.branches[o.Element]; return ok }
	add := func(o Outage) {
		for _, r := range m.branches[o.Element] {
			if !slices.Contains(open, r) {
				open = append(open, r)
			}
		}
	}
	solve := func(o Outage) (float64, error) {
		res, err := grid.Cascade(m.cs, grid.CascadeOptions{Outages: open})
		if err != nil {
			return 0, fmt.Errorf("case %s with %s out: %w", m.file, o.Element.ID, err)
		}
		lostMW := max(0, res.UnservedMW-m.base)
		trips := 0
		for _, k := range res.Tripped {
			if !slices.Contains(open, k) {
				trips++
			}
		}
		out.Notes = append(out.Notes, fmt.Sprintf("%s out at %s: case %s loses %.1f MW (DC cascade: branches opened %d, tripped on overload %d, islands %d)",
			o.Element.ID, clock(minutes(o.At)), m.cs.Name, lostMW, len(open), trips, len(res.Islands)))
		return lostMW, nil
	}
	mwh, declared, err := stepwise(outages, horizon, owns, add, solve)
	if err != nil {
		return Measure{}, err
	}
	out.MWhUnserved += mwh
	out.addDeclared(declared, horizon)
	return out, nil
}
