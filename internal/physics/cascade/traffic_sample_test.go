package cascade

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/traffic"
)

var hospitalRoute = []string{"main-3rd", "main-4th", "main-5th"}

// sampleScenario is the embedded street network with its rush hour and the
// three ambulance trips, as the ctm:sample engine runs it, with signals
// dark.
func sampleScenario(t testing.TB, dark ...string) *traffic.Result {
	t.Helper()
	net, err := traffic.ParseNet("riverton.net.xml", rivertonNet)
	if err != nil {
		t.Fatal(err)
	}
	rou, err := traffic.ParseRoutes("riverton.rou.xml", rivertonRoutes)
	if err != nil {
		t.Fatal(err)
	}
	sc := &traffic.Scenario{Net: net, Routes: rou, Duration: 3600}
	for _, f := range []float64{900, 1800, 2700} {
		sc.Emergency = append(sc.Emergency, traffic.EmergencyTrip{From: sampleEVFrom, To: sampleEVTo, Depart: f})
	}
	if len(dark) > 0 {
		sc.Attacks = []traffic.Attack{{Kind: traffic.Dark, From: 0, To: 3600, Signals: dark}}
	}
	res, err := traffic.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func meanEV(res *traffic.Result) float64 {
	var s float64
	for _, ev := range res.Emergency {
		s += ev.TravelTime
	}
	return s / float64(len(res.Emergency))
}

// TestSampleStreets checks the embedded network: nine fixed-time signals
// whose plans never show conflicting greens, and a rush hour that runs
// without monitor trips or gridlock, conserves vehicles and keeps travel
// times plausible for 1-2 km through a signalised grid.
func TestSampleStreets(t *testing.T) {
	net, err := traffic.ParseNet("riverton.net.xml", rivertonNet)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range net.Signals() {
		ids = append(ids, s.ID)
		for i, ph := range s.Logic.Phases {
			if c := s.ConflictingGreens(ph.State); len(c) > 0 {
				t.Errorf("signal %s phase %d %q: conflicting greens %v", s.ID, i, ph.State, c)
			}
		}
	}
	if got := strings.Join(ids, " "); len(ids) != 9 || !strings.Contains(got, "main-4th") || !strings.Contains(got, "river-5th") {
		t.Errorf("signals %q, want the nine of market/main/river × 3rd/4th/5th", got)
	}

	res := sampleScenario(t)
	if math.Abs(res.Loaded-res.Inserted-res.Waiting) > 1e-6 || math.Abs(res.Inserted-res.Arrived-res.Running) > 1e-6 {
		t.Errorf("vehicles not conserved: loaded %g inserted %g waiting %g arrived %g running %g",
			res.Loaded, res.Inserted, res.Waiting, res.Arrived, res.Running)
	}
	if want := 4440.0; math.Abs(res.Loaded-want) > 1 {
		t.Errorf("loaded %g vehicles, the flows sum to %g", res.Loaded, want)
	}
	if len(res.MMUTrips) > 0 || res.Gridlock != nil {
		t.Errorf("intact network: monitor trips %v, gridlock %v", res.MMUTrips, res.Gridlock)
	}
	if res.Arrived < 0.9*res.Loaded || res.MeanTravelTime < 60 || res.MeanTravelTime > 200 || res.DelayVehHours <= 0 || res.DelayVehHours > 150 {
		t.Errorf("implausible rush hour: arrived %g of %g, mean travel time %g s, delay %g veh·h",
			res.Arrived, res.Loaded, res.MeanTravelTime, res.DelayVehHours)
	}
	for _, ev := range res.Emergency {
		if !ev.Arrived || ev.TravelTime > 2*ev.FreeFlow {
			t.Errorf("ambulance with signals working: %+v", ev)
		}
	}
}

// TestSampleStreetsDark darkens the hospital route, then every signal:
// delay and the ambulance's travel time must rise, by a plausible amount
// (dark junctions are all-way stops of 1,440 veh/h against Main St's
// 1,300 veh/h of through traffic plus the cross streets).
func TestSampleStreetsDark(t *testing.T) {
	base, route, all := sampleScenario(t), sampleScenario(t, hospitalRoute...), sampleScenario(t, "market-3rd", "market-4th", "market-5th",
		"main-3rd", "main-4th", "main-5th", "river-3rd", "river-4th", "river-5th")
	delay := func(r *traffic.Result) float64 { return r.DelayVehHours + r.DepartDelayVehHours }
	extra, extraAll := delay(route)-delay(base), delay(all)-delay(base)
	t.Logf("delay %.1f veh·h, hospital route dark +%.1f, all dark +%.1f; ambulance %.0f s, %.0f s, %.0f s",
		delay(base), extra, extraAll, meanEV(base), meanEV(route), meanEV(all))
	if extra < 20 || extra > 400 {
		t.Errorf("hospital route dark: %+.1f veh·h of delay, want a clear increase of 20 to 400", extra)
	}
	if extraAll <= extra {
		t.Errorf("every signal dark (%+.1f veh·h) no worse than the hospital route alone (%+.1f)", extraAll, extra)
	}
	if meanEV(route) < meanEV(base)+60 {
		t.Errorf("ambulance %.0f s with the route dark, %.0f s with it working: want at least a minute lost", meanEV(route), meanEV(base))
	}
}

// TestSampleImpactStreets runs the sample city's feeder F3 chain with the
// streets measured: the hospital route's cabinets hold 4 h, so its extra
// delay, run here independently, counts for the last 20 of 24 hours, and
// the note gives the ambulance's measured travel time.
func TestSampleImpactStreets(t *testing.T) {
	c := model.Sample()
	eng, err := NewEngine("ctm", c, SampleStreets)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Evaluate(c, []Effect{{Element: "feeder-f3"}}, Options{Horizon: 24 * time.Hour, Engines: map[model.Sector]Engine{"traffic": eng}})
	if err != nil {
		t.Fatal(err)
	}
	base, dark := sampleScenario(t), sampleScenario(t, hospitalRoute...)
	want := (dark.DelayVehHours + dark.DepartDelayVehHours - base.DelayVehHours - base.DepartDelayVehHours) * 20
	if imp.VehicleHours <= 0 || math.Abs(imp.VehicleHours-want) > 1e-6*want {
		t.Errorf("%g vehicle-hours, want %g", imp.VehicleHours, want)
	}
	notes := strings.Join(imp.Notes, "\n")
	if imp.Engines["traffic"] != "ctm" || !strings.Contains(notes, "hospital-route out at +4 h: signals main-3rd,main-4th,main-5th dark") ||
		!strings.Contains(notes, "emergency route main-west_main-3rd→main-5th_st-marys") {
		t.Errorf("engines %v, notes %q", imp.Engines, notes)
	}

	for _, arg := range []string{"sample,1s", "sample,soon"} {
		if _, err := NewEngine("ctm", c, arg); err == nil || !diag.IsBadInput(err) || !strings.Contains(err.Error(), "a minute or more") {
			t.Errorf("arg %q: error %v, want bad input about the window", arg, err)
		}
	}
	bad := city(t, `elements: [{id: A, kind: signal-group, sector: traffic, ref: "signal:main-4th,main-9th"}]`)
	if _, err := NewEngine("ctm", bad, SampleStreets); err == nil || !diag.IsBadInput(err) || !strings.Contains(err.Error(), `no signal "main-9th"`) {
		t.Errorf("unknown signal: %v", err)
	}
}

// BenchmarkSampleImpactStreets is one evaluation of the sample city's
// feeder F3 chain with the streets measured, after the first: the CTM hour
// with the hospital route dark is reused (BenchmarkSampleStreetsRun is
// its cost).
func BenchmarkSampleImpactStreets(b *testing.B) {
	c := model.Sample()
	eng, err := NewEngine("ctm", c, SampleStreets)
	if err != nil {
		b.Fatal(err)
	}
	effs := []Effect{{Element: "feeder-f3"}}
	opt := Options{Horizon: 24 * time.Hour, Engines: map[model.Sector]Engine{"traffic": eng}}
	if _, err := Evaluate(c, effs, opt); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(c, effs, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSampleStreetsRun is the cost of a new set of dark signals: one
// CTM hour of the centre with the hospital route dark (the engine reuses
// the result for later evaluations with the same set).
func BenchmarkSampleStreetsRun(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sampleScenario(b, hospitalRoute...)
	}
}
