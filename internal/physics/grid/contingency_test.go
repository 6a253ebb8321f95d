package grid

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// TestContingenciesMatchFreshSolves checks the reused-factorisation N-1
// results against independent solves of the case with the branch open.
func TestContingenciesMatchFreshSolves(t *testing.T) {
	for _, name := range []string{"case30", "case118"} {
		c, err := ReadCase(filepath.Join(shareddata.Path(t, "grid", "cases"), name+".m"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Contingencies(c, ContingencyOptions{PF: Options{Tol: 1e-10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Results) != len(c.Branch) {
			t.Fatalf("%s: %d results for %d branches", name, len(rep.Results), len(c.Branch))
		}
		if rep.Factorizations > 2 || rep.Refactorizations < len(c.Branch) {
			t.Errorf("%s: %d factorisations and %d refactorisations: the analysis was not reused", name, rep.Factorizations, rep.Refactorizations)
		}
		islanded, checked := 0, 0
		for _, ct := range rep.Results {
			if ct.Islanded {
				islanded++
				continue
			}
			if ct.Branch%7 != 0 { // a sample keeps the test fast
				continue
			}
			checked++
			cc := *c
			cc.Branch = append([]Branch(nil), c.Branch...)
			cc.Branch[ct.Branch].Status = 0
			fresh, err := SolveAC(&cc, Options{Tol: 1e-10})
			if err != nil {
				if ct.Converged {
					t.Errorf("%s branch %d: fresh solve fails (%v), contingency converged", name, ct.Branch+1, err)
				}
				continue
			}
			minVm, maxLoad := math.Inf(1), 0.0
			for _, b := range fresh.Bus {
				minVm = math.Min(minVm, b.Vm)
			}
			for k, br := range fresh.Branch {
				if r := c.Branch[k].RateA; r > 0 && br.Status != 0 {
					maxLoad = math.Max(maxLoad, math.Max(math.Hypot(br.PF, br.QF), math.Hypot(br.PT, br.QT))/r)
				}
			}
			if !ct.Converged || math.Abs(ct.MinVm-minVm) > 1e-8 || math.Abs(ct.MaxLoading-maxLoad) > 1e-8 {
				t.Errorf("%s branch %d: N-1 gives min Vm %v, max loading %v; fresh solve %v, %v",
					name, ct.Branch+1, ct.MinVm, ct.MaxLoading, minVm, maxLoad)
			}
		}
		t.Logf("%s: %d contingencies, %d islanded, %d checked against fresh solves, %d factorisations, %d refactorisations",
			name, len(rep.Results), islanded, checked, rep.Factorizations, rep.Refactorizations)
		if checked == 0 {
			t.Errorf("%s: nothing checked", name)
		}
		ranked := rep.Ranked()
		for k := 1; k < len(ranked); k++ {
			a, b := ranked[k-1], ranked[k]
			if a.Converged && !a.Islanded && b.Islanded || a.Converged && b.Converged && !a.Islanded && !b.Islanded && a.MaxLoading < b.MaxLoading {
				t.Fatalf("%s: ranking puts %+v before %+v", name, a, b)
			}
		}
	}
}

func TestContingencyCounts(t *testing.T) {
	rep := &ContingencyReport{Results: []Contingency{
		{Islanded: true},
		{Islanded: true, Overloads: []int{1}},
		{Converged: false},
		{Converged: true, Overloads: []int{2, 3}},
		{Converged: true, Overloads: []int{4}},
		{Converged: true, Overloads: []int{4}},
		{Converged: true},
	}}
	i, d, o := rep.Counts()
	if i != 2 || d != 1 || o != 3 {
		t.Errorf("Counts() = %d islanded, %d diverged, %d overloaded; want 2, 1, 3", i, d, o)
	}
}
