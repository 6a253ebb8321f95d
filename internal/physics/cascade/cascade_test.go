package cascade

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/google/go-cmp/cmp"
)

// base is the smallest valid model around the elements and dependencies
// a test declares.
const base = `
zones: [{id: z, sector: energy}]
assets: [{id: a, kind: rtu, zones: [z]}]
entry_points: [{id: e, kind: physical, zones: [z]}]
targets: [{id: t, sector: energy, loss: l, elements: [A]}]
`

func city(t *testing.T, yaml string) *model.City {
	t.Helper()
	c, err := model.Parse("test.yaml", []byte(base+yaml))
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	return c
}

func eval(t *testing.T, c *model.City, effects string, horizon time.Duration) *Impact {
	t.Helper()
	effs, err := ParseEffects(effects)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Evaluate(c, effs, Options{Horizon: horizon})
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

// times maps each event's id to its minute.
func times(imp *Impact) map[string]float64 {
	m := map[string]float64{}
	for _, e := range imp.Events {
		m[e.ID] = e.AtMin
	}
	return m
}

// TestHandComputed checks cascades whose timings were worked out by hand.
func TestHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		yaml    string
		effects string
		horizon time.Duration
		want    map[string]float64 // id → minute out
	}{
		{
			// A out at 1 h; B holds 2 h on battery (3 h), C 3 h on its
			// tank (6 h), facility F 10 h on its generator (16 h).
			name: "chain with backups",
			yaml: `
elements: [{id: A, kind: feeder-breaker, sector: energy}, {id: B, kind: pump, sector: water}, {id: C, kind: tank, sector: water}]
dependencies:
  - {element: B, needs: [A], kind: power, backup: {kind: battery, hours: 2}}
  - {element: C, needs: [B], kind: water, backup: {kind: tank, hours: 3}}
facilities: [{id: F, kind: hospital, needs: [{elements: [C], kind: water, backup: {kind: generator, hours: 10}}]}]
`,
			effects: "A@1h", horizon: 24 * time.Hour,
			want: map[string]float64{"A": 60, "B": 180, "C": 360, "F": 960},
		},
		{
			name: "chain cut by the horizon",
			yaml: `
elements: [{id: A, kind: feeder-breaker, sector: energy}, {id: B, kind: pump, sector: water}, {id: C, kind: tank, sector: water}]
dependencies:
  - {element: B, needs: [A], kind: power, backup: {kind: battery, hours: 2}}
  - {element: C, needs: [B], kind: water, backup: {kind: tank, hours: 3}}
`,
			effects: "A@1h", horizon: 5 * time.Hour,
			want: map[string]float64{"A": 60, "B": 180},
		},
		{
			// X and Y need each other; Z needs Y. X out at 0: Y at 2 h,
			// Z at 2.5 h; X's own dependency on Y fires at 3 h but X is
			// already out: the cycle ends.
			name: "cycle",
			yaml: `
elements: [{id: A, kind: generator, sector: energy}, {id: X, kind: substation, sector: energy}, {id: Y, kind: pump, sector: water}, {id: Z, kind: valve, sector: water}]
dependencies:
  - {element: X, needs: [Y], kind: water, backup: {kind: tank, hours: 1}}
  - {element: Y, needs: [X], kind: power, backup: {kind: battery, hours: 2}}
  - {element: Z, needs: [Y], kind: control, backup: {kind: battery, hours: 0.5}}
`,
			effects: "X@0h", horizon: 24 * time.Hour,
			want: map[string]float64{"X": 0, "Y": 120, "Z": 150},
		},
		{
			name: "cycle without backups",
			yaml: `
elements: [{id: A, kind: generator, sector: energy}, {id: X, kind: substation, sector: energy}, {id: Y, kind: pump, sector: water}]
dependencies:
  - {element: X, needs: [Y, A], kind: water}
  - {element: Y, needs: [X], kind: power}
`,
			effects: "A@30m", horizon: time.Hour,
			want: map[string]float64{"A": 30, "X": 30, "Y": 30},
		},
		{
			// P needs either feed (any): out at the first loss, 1 h.
			// Q has redundant feeds (all): out at the last loss, 3 h,
			// plus its 1 h battery.
			name: "parallel needs",
			yaml: `
elements: [{id: A, kind: feeder-breaker, sector: energy}, {id: B, kind: feeder-breaker, sector: energy}, {id: P, kind: pump, sector: water}, {id: Q, kind: signal-group, sector: traffic}]
dependencies:
  - {element: P, needs: [A, B], kind: power}
  - {element: Q, needs: [A, B], kind: power, require: all, backup: {kind: battery, hours: 1}}
`,
			effects: "A@1h,B@3h", horizon: 24 * time.Hour,
			want: map[string]float64{"A": 60, "B": 180, "P": 60, "Q": 240},
		},
		{
			// Two dependencies of one element: the first to fail wins.
			name: "earliest dependency wins",
			yaml: `
elements: [{id: A, kind: feeder-breaker, sector: energy}, {id: W, kind: pump, sector: water}, {id: H, kind: intersection, sector: traffic}]
dependencies:
  - {element: W, needs: [A], kind: power, backup: {kind: generator, hours: 8}}
  - {element: H, needs: [A], kind: power, backup: {kind: battery, hours: 4}}
facilities:
  - id: F
    kind: hospital
    needs:
      - {elements: [A], kind: power, backup: {kind: generator, hours: 48}}
      - {elements: [W], kind: water, backup: {kind: tank, hours: 2}}
`,
			effects: "A@0h", horizon: 72 * time.Hour,
			want: map[string]float64{"A": 0, "W": 480, "H": 240, "F": 600},
		},
		{
			name:    "an effect after the horizon does nothing",
			yaml:    `elements: [{id: A, kind: feeder-breaker, sector: energy}]`,
			effects: "A@25h", horizon: 24 * time.Hour,
			want: map[string]float64{},
		},
		{
			name:    "the earlier of two effects on one element counts",
			yaml:    `elements: [{id: A, kind: feeder-breaker, sector: energy}]`,
			effects: "A@5h,A@2h", horizon: 24 * time.Hour,
			want: map[string]float64{"A": 120},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imp := eval(t, city(t, tc.yaml), tc.effects, tc.horizon)
			if diff := cmp.Diff(tc.want, times(imp)); diff != "" {
				t.Errorf("minutes out (-want +got):\n%s", diff)
			}
			for i := 1; i < len(imp.Events); i++ {
				if imp.Events[i].AtMin < imp.Events[i-1].AtMin {
					t.Errorf("events out of order: %+v", imp.Events)
				}
			}
		})
	}
}

// TestMeasures checks people, facilities, routes, energy and delay.
func TestMeasures(t *testing.T) {
	c := city(t, `
elements:
  - {id: A, kind: feeder-breaker, sector: energy, population: 1000, load_mw: 10}
  - {id: S, kind: signal-group, sector: traffic, population: 500, delay_vehicle_hours: 100, emergency_route: true}
  - {id: W, kind: pump, sector: water, population: 2000}
  - {id: V, kind: pump, sector: water, population: 300}
dependencies:
  - {element: S, needs: [A], kind: power, backup: {kind: battery, hours: 2}}
  - {element: W, needs: [A], kind: power, backup: {kind: tank, hours: 6}}
  - {element: V, needs: [A], kind: power, backup: {kind: tank, hours: 20}}
facilities:
  - {id: F, kind: fire-station, population: 40, needs: [{elements: [W], kind: water}, {elements: [S], kind: communication, backup: {kind: battery, hours: 1}}]}
`)
	// A out at 2 h over 12 h: 10 MW × 10 h = 100 MWh. S out at 4 h:
	// 100 veh·h/h × 8 h = 800 veh·h. W out at 8 h; V (22 h) beyond.
	imp := eval(t, c, "A@2h", 12*time.Hour)
	want := &Impact{
		HorizonH: 12,
		Effects:  []string{"A@2h"},
		People: []ServiceLoss{
			{Service: "power", People: 1000, FromMin: 120, PeopleHours: 10000, Elements: []string{"A"}},
			{Service: "traffic-control", People: 500, FromMin: 240, PeopleHours: 4000, Elements: []string{"S"}},
			{Service: "water", People: 2000, FromMin: 480, PeopleHours: 8000, Elements: []string{"W"}},
		},
		Facilities: []FacilityImpact{{ID: "F", Kind: "fire-station", Population: 40, AtMin: 300, Lost: []NeedLoss{
			{Kind: "communication", Via: "S", AtMin: 300, Backup: "battery 1 h"},
			{Kind: "water", Via: "W", AtMin: 480},
		}}},
		EmergencyRoutes: []RouteBlock{{Element: "S", AtMin: 240}},
		Events:          []Event{},
		MWhUnserved:     100,
		VehicleHours:    800,
		Engines:         map[model.Sector]string{"energy": "declared", "traffic": "declared", "water": "declared"},
		Consequence:     model.Consequence{People: 2000, CriticalFacilities: 1, MWhUnserved: 100, VehicleHours: 800},
	}
	if diff := cmp.Diff(want, imp, cmpIgnoreEvents); diff != "" {
		t.Errorf("impact (-want +got):\n%s", diff)
	}
	if ev := imp.Events[len(imp.Events)-1]; ev.ID != "W" || ev.Cause != "power" || ev.Via != "A" || ev.Backup != "tank 6 h" {
		t.Errorf("last event %+v, want W losing power from A after its tank", ev)
	}
}

var cmpIgnoreEvents = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Events" }, cmp.Ignore())

// TestSample checks the sample city's chain from feeder F3, by hand from
// its dependencies: the plant stops at once, the hospital route's cabinet
// batteries last 4 h, the tanks carry the booster stations 12 h, the
// hospital has no water storage, the fire station 6 h of it.
func TestSample(t *testing.T) {
	imp := eval(t, model.Sample(), "feeder-f3@0h", 24*time.Hour)
	var got []string
	for _, e := range imp.Events {
		got = append(got, e.ID+"@"+trimFloat(e.AtMin))
	}
	want := []string{"feeder-f3@0", "treatment-plant@0", "riverside-wtp@0", "hospital-route@240", "booster-pumps@720", "st-marys@720", "fire-station-2@1080"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	cq := imp.Consequence
	// 6.5 MW × 24 h; 300 veh·h/h × 20 h.
	if cq.MWhUnserved != 156 || cq.VehicleHours != 6000 || cq.CriticalFacilities != 3 || cq.People != 260000 {
		t.Errorf("consequence %+v", cq)
	}
	if len(imp.EmergencyRoutes) != 1 || imp.EmergencyRoutes[0].Element != "hospital-route" || imp.EmergencyRoutes[0].AtMin != 240 {
		t.Errorf("emergency routes %+v", imp.EmergencyRoutes)
	}
	// Over three days the hospital's 48 h generator runs dry too.
	imp = eval(t, model.Sample(), "feeder-f3@0h", 72*time.Hour)
	var lost []string
	for _, f := range imp.Facilities {
		if f.ID == "st-marys" {
			for _, l := range f.Lost {
				lost = append(lost, string(l.Kind)+"@"+trimFloat(l.AtMin))
			}
		}
	}
	if diff := cmp.Diff([]string{"water@720", "power@2880"}, lost); diff != "" {
		t.Errorf("st-marys losses (-want +got):\n%s", diff)
	}
	var text bytes.Buffer
	if err := imp.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"+12 h   booster-pumps", "lost water from treatment-plant after its tank 12 h backup", "without water:", "260,000", "energy not served: 468.0 MWh"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, text.String())
		}
	}
	if _, err := json.Marshal(imp); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	c := model.Sample()
	for _, tc := range []struct{ effects, want string }{
		{"feeder-f33@0h", `unknown element "feeder-f33" (did you mean "feeder-f3"?)`},
		{"st-marys@0h", `unknown element "st-marys"`},
		{"feeder-f3@-1h", "negative time"},
		{"feeder-f3@soon", `bad time "soon"`},
		{"feeder-f3@", "missing time"},
		{"feeder-f3@0h,,", "effect 2 is empty"},
		{"@2h", "names no element"},
		{"", "effect 1 is empty"},
		{"feeder-f3@1e300", "beyond ten years"},
	} {
		t.Run(tc.effects, func(t *testing.T) {
			effs, err := ParseEffects(tc.effects)
			if err == nil {
				_, err = Evaluate(c, effs, Options{})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !diag.IsBadInput(err) {
				t.Fatalf("not bad input: %v", err)
			}
		})
	}
	if _, err := Evaluate(c, nil, Options{}); err == nil || !diag.IsBadInput(err) {
		t.Errorf("no effects: %v", err)
	}
	if _, err := Evaluate(c, []Effect{{Element: "feeder-f3"}}, Options{Horizon: -time.Hour}); err == nil || !diag.IsBadInput(err) {
		t.Errorf("negative horizon: %v", err)
	}
}

// TestModelMistakes checks the validation of dependencies and facilities.
func TestModelMistakes(t *testing.T) {
	_, err := model.Parse("m.yaml", []byte(base+`
elements: [{id: A, kind: feeder-breaker, sector: energy, load_mw: -1}, {id: B, kind: pump, sector: water}]
dependencies:
  - {element: B, needs: [AA], kind: power}
  - {element: B, needs: [A], kind: powr}
  - {element: B, needs: [A], kind: power, backup: {kind: battery, hours: -2}}
  - {element: B, needs: [A], kind: power, backup: {kind: none, hours: 3}}
  - {element: B, needs: [A], kind: power, backup: {kind: generator}}
  - {element: A, needs: [A], kind: power}
  - {element: C, needs: [], kind: water}
facilities:
  - {id: A, kind: hospital, needs: [{elements: [B], kind: water}]}
  - {id: F, kind: hosptal, needs: []}
`))
	if err == nil {
		t.Fatal("a broken model was accepted")
	}
	for _, want := range []string{
		`m.yaml:7:67: elements[0].load_mw: negative load`,
		`m.yaml:9:26: dependencies[0].needs[0]: unknown element "AA" (hint: did you mean "A"?)`,
		`m.yaml:10:36: dependencies[1].kind: unknown dependencykind "powr" (hint: did you mean "power"?)`,
		`dependencies[2].backup.hours: negative backup duration -2 h`,
		`dependencies[3].backup.hours: a backup of kind none lasting 3 h`,
		`dependencies[4].backup.hours: the generator backup lasts 0 hours`,
		`dependencies[5].needs[0]: element "A" needs itself`,
		`dependencies[6].element: unknown element "C"`,
		`dependencies[6].needs: the dependency needs no element`,
		`facilities[0].id: facility id "A" is also an element id`,
		`facilities[1].kind: unknown facilitykind "hosptal" (hint: did you mean "hospital"?)`,
		`facilities[1].needs: the facility needs nothing`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("diagnostics lack %q:\n%v", want, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"0h", 0}, {"0", 0}, {"90m", 90 * time.Minute}, {"1.5", 90 * time.Minute}, {"2d", 48 * time.Hour}, {"1h30m", 90 * time.Minute},
	} {
		got, err := ParseTime(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseEffects(f *testing.F) {
	for _, s := range []string{"feeder-f3@0h", "a@1.5,b@2d", "x@-1h", "@", ",,", "a@1e400", "a@NaN", "a@9999999h"} {
		f.Add(s)
	}
	c := model.Sample()
	g, err := Compile(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		effs, err := ParseEffects(s)
		if err != nil {
			if !diag.IsBadInput(err) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		for _, e := range effs {
			if e.At < 0 {
				t.Fatalf("negative time accepted: %q", s)
			}
		}
		if _, err := g.Evaluate(effs, Options{}); err != nil && !diag.IsBadInput(err) {
			t.Fatalf("evaluate: %v", err)
		}
	})
}

func BenchmarkSampleImpact(b *testing.B) {
	c := model.Sample()
	effs := []Effect{{Element: "feeder-f3"}, {Element: "substation-east", At: 2 * time.Hour}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(c, effs, Options{Horizon: 72 * time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLargeGraph evaluates one effect on a city of 10,000 elements,
// each needing two earlier ones (15,000 dependencies with backups, plus
// 500 facilities): the event-driven search scales with the graph.
func BenchmarkLargeGraph(b *testing.B) {
	const n = 10000
	c := &model.City{Name: "large"}
	for i := range n {
		c.Elements = append(c.Elements, model.Element{ID: "e" + strconv.Itoa(i), Sector: "energy", Population: 10, LoadMW: 0.5})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 1; i < n; i++ {
		needs := []string{"e" + strconv.Itoa(rng.IntN(i))}
		if i%2 == 0 {
			needs = append(needs, "e"+strconv.Itoa(rng.IntN(i)))
		}
		c.Dependencies = append(c.Dependencies, model.Dependency{Element: "e" + strconv.Itoa(i), Needs: needs, Kind: "power",
			Backup: &model.Backup{Kind: "battery", Hours: float64(rng.IntN(4))}})
	}
	for i := range 500 {
		c.Facilities = append(c.Facilities, model.Facility{ID: "f" + strconv.Itoa(i), Kind: "school",
			Needs: []model.Need{{Elements: []string{"e" + strconv.Itoa(rng.IntN(n))}, Kind: "power"}}})
	}
	g, err := Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	effs := []Effect{{Element: "e0"}}
	b.ReportAllocs()
	for b.Loop() {
		imp, err := g.Evaluate(effs, Options{Horizon: 1000 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if len(imp.Events) < n/10 {
			b.Fatalf("only %d events", len(imp.Events))
		}
	}
}
