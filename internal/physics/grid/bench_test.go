package grid

import (
	"path/filepath"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// BenchmarkPowerFlow times complete solves (building Ybus, ordering,
// factorisations, Newton iterations, results) on the shared cases.
func BenchmarkPowerFlow(b *testing.B) {
	dir := shareddata.Path(b, "grid", "cases")
	for _, name := range []string{"case118", "case300", "case_ACTIVSg500"} {
		c, err := ReadCase(filepath.Join(dir, name+".m"))
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range []struct {
			name  string
			solve func(*Case, Options) (*Result, error)
			opt   Options
		}{
			{"ac", SolveAC, Options{}},
			{"ac-qlim", SolveAC, Options{EnforceQLimits: true}},
			{"dc", SolveDC, Options{}},
		} {
			b.Run(name+"/"+m.name, func(b *testing.B) {
				b.ReportAllocs()
				cpu0, ops := cpuTime(), 0
				for b.Loop() {
					ops++
					if _, err := m.solve(c, m.opt); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu0, ops)
			})
		}
	}
}

// BenchmarkReadCase times the parser on the largest case.
func BenchmarkReadCase(b *testing.B) {
	path := filepath.Join(shareddata.Path(b, "grid", "cases"), "case_ACTIVSg500.m")
	b.ReportAllocs()
	cpu0, ops := cpuTime(), 0
	for b.Loop() {
		ops++
		if _, err := ReadCase(path); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, ops)
}

// tile builds a synthetic grid of k copies of c, bus IDs offset by
// 100000 per copy, joined in a chain by three tie lines between
// consecutive copies; only the first copy keeps its reference bus.
func tile(c *Case, k int) *Case {
	out := &Case{Name: c.Name + "-tiled", Version: c.Version, BaseMVA: c.BaseMVA}
	var pq []int
	for _, b := range c.Bus {
		if b.Type == PQ {
			pq = append(pq, b.ID)
		}
	}
	for i := range k {
		off := 100000 * i
		for _, b := range c.Bus {
			b.ID += off
			if i > 0 && b.Type == Ref {
				b.Type = PV
			}
			out.Bus = append(out.Bus, b)
		}
		for _, g := range c.Gen {
			g.Bus += off
			out.Gen = append(out.Gen, g)
		}
		for _, br := range c.Branch {
			br.From += off
			br.To += off
			out.Branch = append(out.Branch, br)
		}
		if i > 0 {
			for _, id := range []int{pq[0], pq[len(pq)/2], pq[len(pq)-1]} {
				out.Branch = append(out.Branch, Branch{From: id + off - 100000, To: id + off, R: 0.002, X: 0.02, Status: 1})
			}
		}
	}
	return out
}

// BenchmarkPowerFlowSynthetic10k times the AC power flow on a 10,000-bus
// grid made of 20 copies of case_ACTIVSg500.
func BenchmarkPowerFlowSynthetic10k(b *testing.B) {
	c, err := ReadCase(filepath.Join(shareddata.Path(b, "grid", "cases"), "case_ACTIVSg500.m"))
	if err != nil {
		b.Fatal(err)
	}
	big := tile(c, 20)
	b.ReportAllocs()
	cpu0, ops := cpuTime(), 0
	for b.Loop() {
		ops++
		r, err := SolveAC(big, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Iterations), "iterations")
	}
	reportCPU(b, cpu0, ops)
}

// BenchmarkCascade times one DC cascade on case_ACTIVSg500 after the loss
// of its most loaded branch, with ratings 15 % above the base-case flows.
func BenchmarkCascade(b *testing.B) {
	c, err := ReadCase(filepath.Join(shareddata.Path(b, "grid", "cases"), "case_ACTIVSg500.m"))
	if err != nil {
		b.Fatal(err)
	}
	base, err := SolveDC(c, Options{})
	if err != nil {
		b.Fatal(err)
	}
	worst := 0
	for k := range c.Branch {
		c.Branch[k].RateA = max(1.15*abs(base.Branch[k].PF), 10)
		if abs(base.Branch[k].PF) > abs(base.Branch[worst].PF) {
			worst = k
		}
	}
	b.ReportAllocs()
	cpu0, ops := cpuTime(), 0
	for b.Loop() {
		ops++
		if _, err := Cascade(c, CascadeOptions{Outages: []int{worst}}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, ops)
}

// BenchmarkFrequency times a 60 s frequency simulation at 10 ms steps.
func BenchmarkFrequency(b *testing.B) {
	m := DefaultFreqModel(50, 5000, 4500)
	b.ReportAllocs()
	cpu0, ops := cpuTime(), 0
	for b.Loop() {
		ops++
		if _, err := m.Simulate(MeterSwitching(300, 4, 1, 0), 60, 0.01, 0); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, ops)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// BenchmarkContingencies times a full AC N-1 analysis of case_ACTIVSg500
// (one base solve, then one solve per branch with the factorisation
// reused); divide by the number of branches for the cost of one.
func BenchmarkContingencies(b *testing.B) {
	c, err := ReadCase(filepath.Join(shareddata.Path(b, "grid", "cases"), "case_ACTIVSg500.m"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	cpu0, ops := cpuTime(), 0
	for b.Loop() {
		ops++
		rep, err := Contingencies(c, ContingencyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(rep.Results)
	}
	reportCPU(b, cpu0, ops)
	b.ReportMetric(float64(n), "contingencies")
}
