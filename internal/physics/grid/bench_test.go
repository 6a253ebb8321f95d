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
				for b.Loop() {
					if _, err := m.solve(c, m.opt); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkReadCase times the parser on the largest case.
func BenchmarkReadCase(b *testing.B) {
	path := filepath.Join(shareddata.Path(b, "grid", "cases"), "case_ACTIVSg500.m")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCase(path); err != nil {
			b.Fatal(err)
		}
	}
}
