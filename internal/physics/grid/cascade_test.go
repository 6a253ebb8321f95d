package grid

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// fourBus: generator at bus 1, loads at 2 (100 MW), 3 (100 MW) and 4
// (50 MW); branches 1-2, 1-3, 2-3 and 3-4, all x = 0.1.
func fourBus() *Case {
	return &Case{Name: "four", BaseMVA: 100,
		Bus: []Bus{
			{ID: 1, Type: Ref, Vm: 1},
			{ID: 2, Type: PQ, Pd: 100, Qd: 20, Vm: 1},
			{ID: 3, Type: PQ, Pd: 100, Qd: 20, Vm: 1},
			{ID: 4, Type: PQ, Pd: 50, Qd: 10, Vm: 1},
		},
		Gen: []Gen{{Bus: 1, Pg: 250, Vg: 1, Status: 1, Pmax: 300, Qmax: 300, Qmin: -300}},
		Branch: []Branch{
			{From: 1, To: 2, R: 0.01, X: 0.1, RateA: 250, Status: 1},
			{From: 1, To: 3, R: 0.01, X: 0.1, RateA: 150, Status: 1},
			{From: 2, To: 3, R: 0.01, X: 0.1, RateA: 60, Status: 1},
			{From: 3, To: 4, R: 0.01, X: 0.1, RateA: 60, Status: 1},
		},
	}
}

func TestCascadeHandChecked(t *testing.T) {
	withGen4 := fourBus()
	withGen4.Gen = append(withGen4.Gen, Gen{Bus: 4, Pg: 0, Vg: 1, Status: 1, Pmax: 30, Qmax: 50, Qmin: -50})
	tests := []struct {
		name       string
		c          *Case
		outages    []int
		tripped    []int
		served     float64
		islands    int
		deadIsland bool
	}{
		// Intact: 1-3 carries 2/3 of the 150 MW for buses 3 and 4 plus a
		// share of bus 2: nothing overloads.
		{"intact", fourBus(), nil, nil, 250, 1, false},
		// Losing 1-3 pushes 150 MW through 2-3 (rating 60): it trips and
		// buses 3 and 4 are left without generation.
		{"outage-dead-island", fourBus(), []int{1}, []int{1, 2}, 100, 2, true},
		// With a 30 MW unit at bus 4 the island keeps 30 MW of its 150.
		{"outage-shed-island", withGen4, []int{1}, []int{1, 2}, 130, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Cascade(tc.c, CascadeOptions{Outages: tc.outages})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Tripped, tc.tripped) {
				t.Errorf("tripped %v, want %v", r.Tripped, tc.tripped)
			}
			if math.Abs(r.ServedMW-tc.served) > 1e-9 || math.Abs(r.UnservedMW-(250-tc.served)) > 1e-9 {
				t.Errorf("served %v unserved %v, want %v and %v", r.ServedMW, r.UnservedMW, tc.served, 250-tc.served)
			}
			if len(r.Islands) != tc.islands {
				t.Errorf("%d islands, want %d", len(r.Islands), tc.islands)
			}
			dead := slices.ContainsFunc(r.Islands, func(is Island) bool { return is.Dead })
			if dead != tc.deadIsland {
				t.Errorf("dead island %v, want %v", dead, tc.deadIsland)
			}
			// The original case is not modified.
			if tc.c.Branch[1].Status != 1 || tc.c.Bus[2].Pd != 100 {
				t.Error("cascade modified its input case")
			}
		})
	}
}

// TestCascadeSharedCases stresses real cases and checks the invariants:
// load is conserved, and the final state overloads nothing.
func TestCascadeSharedCases(t *testing.T) {
	dir := shareddata.Path(t, "grid", "cases")
	for _, tc := range []struct {
		name string
		ac   bool
	}{{"case30", false}, {"case118", false}, {"case_ACTIVSg200", false}, {"case30", true}} {
		c, err := ReadCase(filepath.Join(dir, tc.name+".m"))
		if err != nil {
			t.Fatal(err)
		}
		// Ratings at 0 mean unlimited in case118; give every branch a
		// rating just above its base-case flow so that an outage cascades.
		base, err := SolveDC(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for k := range c.Branch {
			c.Branch[k].RateA = math.Max(1.15*math.Abs(base.Branch[k].PF), 10)
		}
		// Open the most loaded branch.
		worst := 0
		for k := range base.Branch {
			if math.Abs(base.Branch[k].PF) > math.Abs(base.Branch[worst].PF) {
				worst = k
			}
		}
		r, err := Cascade(c, CascadeOptions{AC: tc.ac, Outages: []int{worst}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s ac=%v: %d rounds, %d branches tripped, %d islands, %.1f of %.1f MW unserved, collapsed %v",
			tc.name, tc.ac, len(r.Rounds), len(r.Tripped), len(r.Islands), r.UnservedMW, r.LoadMW, r.Collapsed)
		if math.Abs(r.ServedMW+r.UnservedMW-r.LoadMW) > 1e-6 || r.ServedMW < 0 || r.ServedMW > r.LoadMW+1e-9 {
			t.Errorf("%s: served %v + unserved %v != load %v", tc.name, r.ServedMW, r.UnservedMW, r.LoadMW)
		}
		if len(r.Tripped) < 2 {
			t.Errorf("%s: the cascade did not spread (tripped %v)", tc.name, r.Tripped)
		}
		if r.Final != nil {
			for k, b := range r.Final.Branch {
				if b.Status != 0 && c.Branch[k].RateA > 0 && !tc.ac && math.Abs(b.PF) > c.Branch[k].RateA*(1+1e-6) {
					t.Errorf("%s: branch %d still overloaded at the end: %v > %v", tc.name, k+1, b.PF, c.Branch[k].RateA)
				}
			}
		}
	}
}
