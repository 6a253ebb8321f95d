package cascade

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/water"
)

// TestRivertonNetwork runs the sample city's water network for its 72 h:
// it solves without warnings, every junction keeps at least 35 m, and
// each tank cycles (moves by more than a metre) without emptying.
func TestRivertonNetwork(t *testing.T) {
	net, err := water.Parse("riverton.inp", bytes.NewReader(rivertonNetwork))
	if err != nil {
		t.Fatal(err)
	}
	res, err := water.Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
	if got := res.Periods[len(res.Periods)-1].Time; got != 72*3600 {
		t.Errorf("ran %d s, want 72 h", got)
	}
	lo, hi := map[string]float64{}, map[string]float64{}
	minP := math.Inf(1)
	for _, sn := range res.Periods {
		for i, n := range net.Nodes {
			switch n.Kind {
			case water.Junction:
				minP = min(minP, sn.Pressure[i])
			case water.Tank:
				lv := sn.Head[i] - n.Elev
				if _, ok := lo[n.ID]; !ok {
					lo[n.ID], hi[n.ID] = lv, lv
				}
				lo[n.ID], hi[n.ID] = min(lo[n.ID], lv), max(hi[n.ID], lv)
			}
		}
	}
	if minP < 35 {
		t.Errorf("lowest junction pressure %.1f m, want >= 35 m in normal operation", minP)
	}
	for _, id := range []string{"T1", "T2", "T3"} {
		tk := net.Node(id)
		if hi[id]-lo[id] < 1 || lo[id] <= tk.MinLevel+0.1 {
			t.Errorf("tank %s levels %.2f..%.2f m: want a cycle of more than 1 m above its minimum %.1f m", id, lo[id], hi[id], tk.MinLevel)
		}
	}
}

// drainHours is the hand check: the hours until the base demands of the
// junctions of zone, times the hourly DAY pattern, add up to volume m³.
func drainHours(t *testing.T, net *water.Network, zone func(string) bool, volume float64) float64 {
	t.Helper()
	lps := 0.0
	for _, n := range net.Nodes {
		if n.Kind == water.Junction && zone(n.ID) {
			for _, d := range n.Demands {
				lps += d.Base
			}
		}
	}
	var pat []float64
	for _, p := range net.Patterns {
		if p.ID == "DAY" {
			pat = p.Factors
		}
	}
	if lps == 0 || len(pat) != 24 {
		t.Fatalf("zone demand %g L/s, DAY pattern %v", lps, pat)
	}
	for h := 0; h < 240; h++ {
		step := lps * pat[h%24] * 3.6 // m³ in this hour
		if step >= volume {
			return float64(h) + volume/step
		}
		volume -= step
	}
	t.Fatal("never drains")
	return 0
}

// usable is a cylindrical tank's volume (m³) between two levels.
func usable(n *water.Node, from, to float64) float64 {
	return (from - to) * math.Pi * n.Diameter * n.Diameter / 4
}

func waterEngine(t testing.TB, c *model.City) *Water {
	t.Helper()
	w, err := NewWater(c, SampleNetwork)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func elementOf(t testing.TB, c *model.City, id string) *model.Element {
	t.Helper()
	for i := range c.Elements {
		if c.Elements[i].ID == id {
			return &c.Elements[i]
		}
	}
	t.Fatalf("no element %s", id)
	return nil
}

// TestWaterBoostersOut: feeder F7 opens at 0 h, the booster pumps stop;
// the north and east zones live on tanks T2 and T3 alone, whose outflow is
// then exactly their zones' demand: each empties when the zone's demand
// has drawn its usable volume. Then their 16 junctions fall below 20 m.
func TestWaterBoostersOut(t *testing.T) {
	c := model.Sample()
	w := waterEngine(t, c)
	imp := evalWater(t, c, "feeder-f7@0h", w)
	r, err := w.Simulate(outagesOf(t, c, imp, "water"), 24)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, tk := range r.Tanks {
		got[tk.Tank] = tk.AtH
	}
	for _, z := range []struct{ tank, prefix string }{{"T2", "H"}, {"T3", "E"}} {
		tk := w.net.Node(z.tank)
		want := drainHours(t, w.net, func(id string) bool { return strings.HasPrefix(id, z.prefix) }, usable(tk, tk.InitLevel, tk.MinLevel))
		at, ok := got[z.tank]
		t.Logf("tank %s empty at %.3f h, hand check %.3f h", z.tank, at, want)
		// reported at the first 5-minute period at or after it empties
		if !ok || at < want-1.0/60 || at > want+6.0/60 {
			t.Errorf("tank %s empty at %.3f h (reported %v), hand check %.3f h", z.tank, at, ok, want)
		}
	}
	if _, ok := got["T1"]; ok {
		t.Errorf("T1 empties with the plant running: %+v", r.Tanks)
	}
	if len(r.Low) != 16 || math.Abs(r.DemandShare-240.0/800) > 1e-9 || r.People != 126000 {
		t.Errorf("low pressure at %d junctions, share %.3f, %d people; want the 16 H and E junctions, 240/800 L/s, 126,000 people", len(r.Low), r.DemandShare, r.People)
	}
	for _, l := range r.Low {
		if !strings.ContainsAny(l.Node[:1], "HE") || l.FromH < got["T2"]-1.0/60 && l.FromH < got["T3"]-1.0/60 {
			t.Errorf("junction %s below 20 m from %.2f h, before its tank empties", l.Node, l.FromH)
		}
	}
	if r.UndeliveredM3 <= 0 {
		t.Errorf("undelivered %g m³", r.UndeliveredM3)
	}
	if n := strings.Join(imp.Notes, "\n"); !strings.Contains(n, "tanks empty: T2 at +8 h") || !strings.Contains(n, "below 20 m from +8 h") {
		t.Errorf("notes %q", imp.Notes)
	}
}

// TestWaterFeederF3: feeder F3 stops the treatment plant's high-lift pumps
// at 0 h; the low zone's tank T1 carries the city. By hand, it empties
// no later than when the low zone's own demand has drawn its usable volume,
// and no earlier than when the whole city's demand has drawn it less the
// room left in T2 and T3 (the most the boosters can add to its outflow).
func TestWaterFeederF3(t *testing.T) {
	c := model.Sample()
	w := waterEngine(t, c)
	imp := evalWater(t, c, "feeder-f3@0h", w)
	if imp.Engines["water"] != "epanet" {
		t.Fatalf("engines %v", imp.Engines)
	}
	r, err := w.Simulate(outagesOf(t, c, imp, "water"), 24)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tanks) == 0 || r.Tanks[0].Tank != "T1" {
		t.Fatalf("tanks empty %+v, want T1 first", r.Tanks)
	}
	t1, t2, t3 := w.net.Node("T1"), w.net.Node("T2"), w.net.Node("T3")
	v1 := usable(t1, t1.InitLevel, t1.MinLevel)
	room := usable(t2, t2.MaxLevel, t2.InitLevel) + usable(t3, t3.MaxLevel, t3.InitLevel)
	low := func(id string) bool { return strings.HasPrefix(id, "J") }
	all := func(string) bool { return true }
	early, late := drainHours(t, w.net, all, v1-room), drainHours(t, w.net, low, v1)
	if at := r.Tanks[0].AtH; at < early || at > late+6.0/60 {
		t.Errorf("T1 empty at %.2f h, hand bounds %.2f..%.2f h", at, early, late)
	}
	t.Logf("T1 empty at %.2f h (hand bounds %.2f..%.2f h); tanks %+v; %d junctions below 20 m, %d people, %.0f m³ undelivered",
		r.Tanks[0].AtH, early, late, r.Tanks, len(r.Low), r.People, r.UndeliveredM3)
	if len(r.Tanks) != 3 {
		t.Errorf("tanks empty %+v: with the plant out for 24 h all three should", r.Tanks)
	}
	if r.Low[0].FromH < r.Tanks[0].AtH-1.0/60 {
		t.Errorf("low pressure from %.2f h, before T1 empties at %.2f h", r.Low[0].FromH, r.Tanks[0].AtH)
	}
}

// TestWaterCutLater: boosters cut at 4 h run exactly like the intact
// network until then, and after it T2 only falls (its pumps' level
// controls can no longer restart them).
func TestWaterCutLater(t *testing.T) {
	c := model.Sample()
	w := waterEngine(t, c)
	bp := elementOf(t, c, "booster-pumps")
	net, err := w.cutNetwork(w.links[bp], map[string]float64{"PU1": 4, "PU2": 4, "PU3": 4})
	if err != nil {
		t.Fatal(err)
	}
	run, err := w.run(net, 24*3600)
	if err != nil {
		t.Fatal(err)
	}
	base, err := w.run(w.net.Clone(), 24*3600)
	if err != nil {
		t.Fatal(err)
	}
	const t2 = 1 // T2's index among the tanks
	for p, tm := range run.times {
		d := float64(run.level[p][t2] - base.level[p][t2])
		switch {
		case tm <= 4*3600 && math.Abs(d) > 1e-3:
			t.Fatalf("at %d s T2 at %.4f m, intact %.4f m", tm, run.level[p][t2], base.level[p][t2])
		case tm > 4*3600 && run.level[p][t2] > run.level[p-1][t2]+1e-4:
			t.Fatalf("T2 rises at %d s (%.4f → %.4f m) with its pumps out", tm, run.level[p-1][t2], run.level[p][t2])
		}
	}
}

// TestWaterBadRefs: refs the network lacks are bad input naming them.
func TestWaterBadRefs(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"pump:NOPE", `no pump "NOPE"`},
		{"pump:P0", `no pump "P0"`}, // a pipe
		{"pump:PU1,PU9", `no pump "PU9"`},
		{"link:X1", `no link "X1"`},
		{"tank:J1", `no tank "J1"`},
	} {
		c := city(t, "elements:\n  - {id: A, kind: pump, sector: water, ref: \""+tc.ref+"\"}\n")
		_, err := NewEngine("epanet", c, SampleNetwork)
		var bad interface{ BadInput() bool }
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "element A") || !errors.As(err, &bad) || !bad.BadInput() {
			t.Errorf("%s: %v, want bad input with %s", tc.ref, err, tc.want)
		}
	}
	if _, err := NewEngine("epanet", model.Sample(), ""); err == nil {
		t.Error("no network: no error")
	}
	if _, err := NewEngine("epanet", model.Sample(), "testdata/none.inp"); err == nil {
		t.Error("missing file: no error")
	}
}

// BenchmarkWaterEvaluate is one cascade evaluation of the sample city with
// the water engine: feeder F3 out, the network run for 24 h with its
// high-lift and booster pumps cut (the intact run is cached).
func BenchmarkWaterEvaluate(b *testing.B) {
	c := model.Sample()
	w := waterEngine(b, c)
	effs, err := ParseEffects("feeder-f3@0h")
	if err != nil {
		b.Fatal(err)
	}
	g, err := Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{Horizon: 24 * time.Hour, Engines: map[model.Sector]Engine{"water": w}}
	b.ReportAllocs()
	for b.Loop() {
		w.runs = nil // measure the hydraulic run, not the cache
		if _, err := g.Evaluate(effs, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWaterEvaluateCached is the same evaluation repeated, as the
// simulator's campaigns do: the run of the same cuts is kept.
func BenchmarkWaterEvaluateCached(b *testing.B) {
	c := model.Sample()
	w := waterEngine(b, c)
	effs, err := ParseEffects("feeder-f3@0h")
	if err != nil {
		b.Fatal(err)
	}
	g, err := Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{Horizon: 24 * time.Hour, Engines: map[model.Sector]Engine{"water": w}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Evaluate(effs, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// evalWater evaluates effects on c over 24 h with w as the water engine.
func evalWater(t *testing.T, c *model.City, effects string, w *Water) *Impact {
	t.Helper()
	effs, err := ParseEffects(effects)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Evaluate(c, effs, Options{Horizon: 24 * time.Hour, Engines: map[model.Sector]Engine{"water": w}})
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

// outagesOf lists the impact's element outages of one sector, in time order.
func outagesOf(t *testing.T, c *model.City, imp *Impact, sector model.Sector) []Outage {
	t.Helper()
	var out []Outage
	for _, e := range imp.Events {
		if e.What == "element" && e.Sector == sector {
			out = append(out, Outage{Element: elementOf(t, c, e.ID), At: e.AtMin / 60})
		}
	}
	return out
}

// TestWaterCache: the same cuts give the same result, kept; other cuts or
// another horizon run again.
func TestWaterCache(t *testing.T) {
	c := model.Sample()
	w := waterEngine(t, c)
	bp := elementOf(t, c, "booster-pumps")
	a, err := w.Simulate([]Outage{{Element: bp, At: 0}}, 24)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.Simulate([]Outage{{Element: bp, At: 0}}, 24)
	d, _ := w.Simulate([]Outage{{Element: bp, At: 1}}, 24)
	e, _ := w.Simulate([]Outage{{Element: bp, At: 0}}, 12)
	if a != b || a == d || a == e || len(w.runs) != 3 {
		t.Errorf("cache: same %v, other time %v, other horizon %v, %d runs kept", a == b, a == d, a == e, len(w.runs))
	}
	if len(e.Tanks) != 2 || len(a.Tanks) != 2 || e.Tanks[0] != a.Tanks[0] || e.Tanks[1] != a.Tanks[1] {
		t.Errorf("tanks empty within 12 h %+v, within 24 h %+v: want T2 and T3 at the same times", e.Tanks, a.Tanks)
	}
	if d.Tanks[0].AtH <= a.Tanks[0].AtH {
		t.Errorf("cut an hour later, tanks empty at %.2f h, not after %.2f h", d.Tanks[0].AtH, a.Tanks[0].AtH)
	}
}
