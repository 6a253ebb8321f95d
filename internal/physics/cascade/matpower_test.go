package cascade

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/shareddata"
)

const triCity = `
elements:
  - {id: A, kind: feeder-breaker, sector: energy, ref: "branch:1", load_mw: 99}
  - {id: B, kind: feeder-breaker, sector: energy, ref: "branch:2", load_mw: 99}
  - {id: S, kind: substation, sector: energy, ref: "bus:3", load_mw: 99}
  - {id: D, kind: generator, sector: energy, load_mw: 4}
`

// TestMatpowerHandComputed opens branches of a three-bus ring: A alone
// loses nothing (the ring feeds bus 2 the other way), A and B together
// leave bus 2 (30 MW) dark; D has no grid ref and keeps its declared load.
func TestMatpowerHandComputed(t *testing.T) {
	c := city(t, triCity)
	eng, err := NewEngine("matpower", c, filepath.Join("testdata", "tri.m"))
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Horizon: 10 * time.Hour, Engines: map[model.Sector]Engine{"energy": eng}}
	for _, tc := range []struct {
		effects string
		want    float64
	}{
		{"A@0h", 0},
		{"A@0h,B@2h", 30 * 8},         // 30 MW from 2 h to 10 h
		{"A@0h,B@0h", 30 * 10},        // simultaneous: one solve
		{"S@4h", 20 * 6},              // bus 3 isolated: 20 MW for 6 h
		{"S@4h,A@6h", 20*2 + 50*4},    // then bus 2 too: 50 MW for 4 h
		{"A@0h,D@5h", 0 + 4*5},        // D's declared 4 MW for 5 h
		{"A@0h,B@2h,B@1h", 30 * 9},    // the earlier effect on B counts
		{"A@11h", 0},                  // beyond the horizon
		{"S@0h,A@0h,B@0h", 50 * 10.0}, // everything but the generator bus
	} {
		effs, err := ParseEffects(tc.effects)
		if err != nil {
			t.Fatal(err)
		}
		imp, err := Evaluate(c, effs, opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.effects, err)
		}
		if d := imp.MWhUnserved - tc.want; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: %g MWh unserved, want %g (notes %q)", tc.effects, imp.MWhUnserved, tc.want, imp.Notes)
		}
		if imp.Engines["energy"] != "matpower" && len(imp.Events) > 0 {
			t.Errorf("%s: energy measured by %q", tc.effects, imp.Engines["energy"])
		}
	}
}

func TestMatpowerBadRefs(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"branch:4", "has branches 1 to 3"},
		{"branch:0", "has branches 1 to 3"},
		{"bus:9", "has no bus 9"},
		{"branch:x", "needs a number"},
	} {
		c := city(t, `elements: [{id: A, kind: feeder-breaker, sector: energy, ref: "`+tc.ref+`"}]`)
		_, err := NewEngine("matpower", c, filepath.Join("testdata", "tri.m"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !diag.IsBadInput(err) {
			t.Errorf("ref %s: error %v, want bad input with %q", tc.ref, err, tc.want)
		}
	}
	c := city(t, triCity)
	for _, arg := range []string{"", filepath.Join("testdata", "nosuch.m")} {
		if _, err := NewEngine("matpower", c, arg); err == nil || !diag.IsBadInput(err) {
			t.Errorf("case %q: error %v, want bad input", arg, err)
		}
	}
}

// TestMatpowerCase9 opens parts of MATPOWER's case9 (load 315 MW):
// line 4-5 (row 2) alone leaves the ring feeding bus 5 through 6-5 within
// its ratings; the transformer of generator 3 (row 4) strands that unit,
// but generators 1 and 2 (550 MW of Pmax) cover the load; rows 2 and 3
// together, or isolating bus 5, lose its 90 MW.
func TestMatpowerCase9(t *testing.T) {
	dir := shareddata.Path(t, "grid", "cases")
	c := city(t, `
elements:
  - {id: A, kind: feeder-breaker, sector: energy, ref: "branch:2"}
  - {id: B, kind: feeder-breaker, sector: energy, ref: "branch:3"}
  - {id: G, kind: transformer, sector: energy, ref: "branch:4"}
  - {id: S, kind: substation, sector: energy, ref: "bus:5"}
`)
	eng, err := NewEngine("matpower", c, filepath.Join(dir, "case9.m"))
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Horizon: 24 * time.Hour, Engines: map[model.Sector]Engine{"energy": eng}}
	for _, tc := range []struct {
		effects string
		want    float64
	}{
		{"A@0h", 0},
		{"G@0h", 0},
		{"A@0h,B@6h", 90 * 18},
		{"S@0h", 90 * 24},
	} {
		effs, _ := ParseEffects(tc.effects)
		imp, err := Evaluate(c, effs, opt)
		if err != nil {
			t.Fatal(err)
		}
		if d := imp.MWhUnserved - tc.want; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: %g MWh, want %g (notes %q)", tc.effects, imp.MWhUnserved, tc.want, imp.Notes)
		}
	}
}

// TestSampleGrid checks that the sample city's grid (sample/riverton.m)
// and its declared loads agree: each feeder and the east substation lose
// the load the model declares for them.
func TestSampleGrid(t *testing.T) {
	c := model.Sample()
	eng, err := NewEngine("matpower", c, SampleCase)
	if err != nil {
		t.Fatal(err)
	}
	for _, effects := range []string{"feeder-f3@0h", "feeder-f1@1h", "feeder-f7@3h", "substation-east@2h", "feeder-f3@0h,substation-east@2h,feeder-f1@2h,feeder-f7@23h"} {
		effs, err := ParseEffects(effects)
		if err != nil {
			t.Fatal(err)
		}
		declared, err := Evaluate(c, effs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		grid, err := Evaluate(c, effs, Options{Engines: map[model.Sector]Engine{"energy": eng}})
		if err != nil {
			t.Fatal(err)
		}
		if d := grid.MWhUnserved - declared.MWhUnserved; d > 1e-6 || d < -1e-6 || declared.MWhUnserved == 0 {
			t.Errorf("%s: grid %g MWh, declared %g MWh", effects, grid.MWhUnserved, declared.MWhUnserved)
		}
	}
}

// BenchmarkSampleImpactMatpower is one evaluation of the sample city with
// its grid measured by DC cascades (two outage times: two cascades).
func BenchmarkSampleImpactMatpower(b *testing.B) {
	c := model.Sample()
	eng, err := NewEngine("matpower", c, SampleCase)
	if err != nil {
		b.Fatal(err)
	}
	effs := []Effect{{Element: "feeder-f3"}, {Element: "substation-east", At: 2 * time.Hour}}
	opt := Options{Horizon: 72 * time.Hour, Engines: map[model.Sector]Engine{"energy": eng}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(c, effs, opt); err != nil {
			b.Fatal(err)
		}
	}
}
