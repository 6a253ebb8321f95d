package grid

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
)

// twoBus returns a case with a reference bus 1 and a load bus 2 joined by
// one branch.
func twoBus(r, x, b, ratio, angle, pd, qd float64) *Case {
	return &Case{Name: "two", BaseMVA: 100,
		Bus: []Bus{
			{ID: 1, Type: Ref, Vm: 1, Vmax: 1.1, Vmin: 0.9},
			{ID: 2, Type: PQ, Pd: pd, Qd: qd, Vm: 1, Vmax: 1.1, Vmin: 0.9},
		},
		Gen:    []Gen{{Bus: 1, Vg: 1, Status: 1, Qmax: 999, Qmin: -999, Pmax: 999}},
		Branch: []Branch{{From: 1, To: 2, R: r, X: x, B: b, Ratio: ratio, Angle: angle, Status: 1}},
	}
}

// TestPhaseShifterNoLoad: with no load, no current flows, so the phase
// shifter alone sets the angle of bus 2 to minus its shift, in both models.
func TestPhaseShifterNoLoad(t *testing.T) {
	c := twoBus(0.01, 0.1, 0, 0, 10, 0, 0)
	for _, solve := range []func(*Case, Options) (*Result, error){SolveDC, SolveAC} {
		r, err := solve(c, Options{Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Bus[1].Va+10) > 1e-9 || math.Abs(r.Branch[0].PF) > 1e-9 {
			t.Errorf("%s: Va2 = %v, PF = %v; want -10 and 0", r.Method, r.Bus[1].Va, r.Branch[0].PF)
		}
	}
}

// TestDCTwoBus checks the DC flow analytically: a load P at bus 2 over a
// branch of reactance x and tap a gives θ2 = −P·x·a and PF = P.
func TestDCTwoBus(t *testing.T) {
	c := twoBus(0.05, 0.2, 0.3, 0.95, 0, 50, 20)
	r, err := SolveDC(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantVa := -0.5 * 0.2 * 0.95 * 180 / math.Pi
	if math.Abs(r.Bus[1].Va-wantVa) > 1e-9 || math.Abs(r.Branch[0].PF-50) > 1e-9 || math.Abs(r.Gen[0].Pg-50) > 1e-9 {
		t.Errorf("Va2 %v (want %v), PF %v, Pg %v (want 50)", r.Bus[1].Va, wantVa, r.Branch[0].PF, r.Gen[0].Pg)
	}
}

// TestACTwoBusPowerBalance: the slack generation equals load plus losses,
// and the losses equal r·|I|² computed from the solved voltages.
func TestACTwoBusPowerBalance(t *testing.T) {
	c := twoBus(0.02, 0.1, 0, 0, 0, 80, 30)
	r, err := SolveAC(c, Options{Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	br := r.Branch[0]
	if math.Abs(br.PT+80) > 1e-8 || math.Abs(br.QT+30) > 1e-8 {
		t.Errorf("receiving end %v %v, want -80 -30", br.PT, br.QT)
	}
	// |I|² = |S_T|²/|V2|² in pu; losses = r·|I|².
	i2 := (0.8*0.8 + 0.3*0.3) / (r.Bus[1].Vm * r.Bus[1].Vm)
	if loss := (br.PF + br.PT) / 100; math.Abs(loss-0.02*i2) > 1e-10 {
		t.Errorf("losses %v pu, r·|I|² = %v", loss, 0.02*i2)
	}
	if math.Abs(r.Gen[0].Pg-br.PF) > 1e-9 || math.Abs(r.Gen[0].Qg-br.QF) > 1e-9 {
		t.Errorf("slack gen %v %v, branch from end %v %v", r.Gen[0].Pg, r.Gen[0].Qg, br.PF, br.QF)
	}
}

// TestOutOfServiceAndIsolated: an out-of-service branch carries nothing
// and changes nothing; an isolated bus keeps its case voltage and its
// generator reports zero output.
func TestOutOfServiceAndIsolated(t *testing.T) {
	base := twoBus(0.02, 0.1, 0.05, 0, 0, 80, 30)
	c := *base
	c.Bus = append(append([]Bus(nil), base.Bus...), Bus{ID: 7, Type: Isolated, Pd: 10, Vm: 0.97, Va: 12})
	c.Gen = append(append([]Gen(nil), base.Gen...), Gen{Bus: 7, Pg: 10, Status: 1, Vg: 1, Qmax: 9, Qmin: -9}, Gen{Bus: 1, Pg: 5, Status: 0, Vg: 1})
	c.Branch = append(append([]Branch(nil), base.Branch...), Branch{From: 1, To: 2, R: 0.01, X: 0.05, Status: 0}, Branch{From: 2, To: 7, X: 0.1, Status: 1})
	for _, solve := range []func(*Case, Options) (*Result, error){SolveDC, SolveAC} {
		want, err := solve(base, Options{Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		got, err := solve(&c, Options{Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		if got.Bus[1] != want.Bus[1] {
			t.Errorf("%s: bus 2 %+v, without the extra elements %+v", got.Method, got.Bus[1], want.Bus[1])
		}
		if b := got.Bus[2]; b.Vm != 0.97 || b.Va != 12 || b.Type != Isolated {
			t.Errorf("%s: isolated bus %+v, want its case values", got.Method, b)
		}
		for _, k := range []int{1, 2} {
			if b := got.Branch[k]; b.PF != 0 || b.QF != 0 || b.PT != 0 || b.QT != 0 {
				t.Errorf("%s: branch %d out of service or to an isolated bus carries %+v", got.Method, k+1, b)
			}
		}
		for _, k := range []int{1, 2} {
			if g := got.Gen[k]; g.Pg != 0 || g.Qg != 0 {
				t.Errorf("%s: gen %d off or isolated has output %+v", got.Method, k+1, g)
			}
		}
	}
}

// TestSeveralGensAtOneBus: Q is shared in proportion to the Q ranges and
// the slack P goes to the first generator at the reference bus.
func TestSeveralGensAtOneBus(t *testing.T) {
	c := twoBus(0.02, 0.1, 0, 0, 0, 80, 30)
	c.Gen = []Gen{
		{Bus: 1, Vg: 1, Status: 1, Pg: 0, Qmax: 100, Qmin: -100, Pmax: 999},
		{Bus: 1, Vg: 1, Status: 1, Pg: 20, Qmax: 50, Qmin: -50, Pmax: 999},
	}
	r, err := SolveAC(c, Options{Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	br := r.Branch[0]
	if math.Abs(r.Gen[0].Pg+r.Gen[1].Pg-br.PF) > 1e-9 || r.Gen[1].Pg != 20 {
		t.Errorf("Pg %v + %v, branch %v: the second generator must keep its 20 MW", r.Gen[0].Pg, r.Gen[1].Pg, br.PF)
	}
	q1, q2 := r.Gen[0].Qg, r.Gen[1].Qg
	if math.Abs(q1+q2-br.QF) > 1e-9 || math.Abs((q1+100)/200-(q2+50)/100) > 1e-12 {
		t.Errorf("Qg %v and %v are not at the same fraction of their ranges (total %v)", q1, q2, br.QF)
	}
}

func TestSolveErrors(t *testing.T) {
	island := twoBus(0.02, 0.1, 0, 0, 0, 80, 30)
	island.Bus = append(island.Bus, Bus{ID: 3, Type: PQ, Pd: 5, Vm: 1}, Bus{ID: 4, Type: PQ, Vm: 1})
	island.Branch = append(island.Branch, Branch{From: 3, To: 4, X: 0.1, Status: 1})
	heavy := twoBus(0.02, 0.1, 0, 0, 0, 2000, 900)
	noRef := twoBus(0.02, 0.1, 0, 0, 0, 80, 30)
	noRef.Gen[0].Status = 0
	qInfeasible := twoBus(0.02, 0.1, 0, 0, 0, 80, 30)
	qInfeasible.Gen[0].Qmax, qInfeasible.Gen[0].Qmin = 1, 0
	tests := []struct {
		name string
		c    *Case
		dc   bool
		opt  Options
		msg  string
	}{
		{"island-ac", island, false, Options{}, "buses 3, 4 form an island without a reference bus"},
		{"island-dc", island, true, Options{}, "buses 3, 4 form an island without a reference bus"},
		{"no-convergence", heavy, false, Options{}, "did not converge"},
		{"no-reference", noRef, false, Options{}, "no reference bus"},
		{"q-infeasible", qInfeasible, false, Options{EnforceQLimits: true}, "exceed their Q limits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.dc {
				_, err = SolveDC(tc.c, tc.opt)
			} else {
				_, err = SolveAC(tc.c, tc.opt)
			}
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.msg)
			}
			if !diag.IsBadInput(err) {
				t.Errorf("error %v is not bad input", err)
			}
			var ce *ConvergenceError
			if tc.name == "no-convergence" && !errors.As(err, &ce) {
				t.Errorf("error %T is not a ConvergenceError", err)
			}
		})
	}
}

// TestTwoIslandsTwoReferences: islands with a reference bus each solve as
// if alone (MATPOWER accepts several reference buses).
func TestTwoIslandsTwoReferences(t *testing.T) {
	a := twoBus(0.02, 0.1, 0.01, 0, 0, 80, 30)
	b := twoBus(0.01, 0.05, 0, 1.02, 3, 40, 10)
	both := &Case{Name: "both", BaseMVA: 100}
	both.Bus = append(append(both.Bus, a.Bus...), Bus{ID: 11, Type: Ref, Vm: 1, Va: 7}, Bus{ID: 12, Type: PQ, Pd: 40, Qd: 10, Vm: 1})
	both.Gen = append(append(both.Gen, a.Gen...), Gen{Bus: 11, Vg: 1, Status: 1, Qmax: 999, Qmin: -999, Pmax: 999})
	both.Branch = append(append(both.Branch, a.Branch...), Branch{From: 11, To: 12, R: 0.01, X: 0.05, Ratio: 1.02, Angle: 3, Status: 1})
	b.Bus[0].Va = 7
	for _, solve := range []func(*Case, Options) (*Result, error){SolveDC, SolveAC} {
		ra, err := solve(a, Options{Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := solve(b, Options{Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		r, err := solve(both, Options{Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]BusResult(nil), ra.Bus...), rb.Bus...)
		want[2].ID, want[3].ID = 11, 12
		for i := range want {
			g, w := r.Bus[i], want[i]
			if g.ID != w.ID || math.Abs(g.Vm-w.Vm) > 1e-10 || math.Abs(g.Va-w.Va) > 1e-9 {
				t.Errorf("%s: bus %d %+v, alone %+v", r.Method, g.ID, g, w)
			}
		}
		if r.Bus[2].Va != 7 {
			t.Errorf("%s: second reference angle %v, want 7 from the case", r.Method, r.Bus[2].Va)
		}
	}
}
