package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/model"
)

// chainCity has one route: internet exposure (0.95), default-credential
// login (0.9), command of the pump (0.9), impact (0.9).
const chainCity = `name: chain
zones:
  - {id: field, sector: water%s}
elements:
  - {id: pump, kind: pump, sector: water}
assets:
  - {id: plc, kind: plc, services: [{protocol: http}], auth: default-credentials, zones: [field], physical: {controls: [pump]}}
entry_points:
  - {id: internet, kind: internet, assets: [plc]}
targets:
  - {id: stop-pump, sector: water, loss: pump stopped, elements: [pump], consequence: {people: 1000}}
`

// twoRoutes reaches the pump through either of two controllers in separate
// zones: one with default credentials (0.9), one with a shared password (0.4).
const twoRoutes = `name: two-routes
zones:
  - {id: za, sector: water}
  - {id: zb, sector: water}
elements:
  - {id: pump, kind: pump, sector: water}
assets:
  - {id: a, kind: plc, services: [{protocol: http}], auth: default-credentials, zones: [za], physical: {controls: [pump]}}
  - {id: b, kind: plc, services: [{protocol: http}], auth: shared-password, zones: [zb], physical: {controls: [pump]}}
entry_points:
  - {id: internet, kind: internet, assets: [a, b]}
targets:
  - {id: stop-pump, sector: water, loss: pump stopped, elements: [pump], consequence: {people: 1000}}
`

func buildGraph(t testing.TB, src string) *graph.Graph {
	t.Helper()
	c, err := model.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// within checks that the estimate k/n is inside the 99.9 % binomial
// interval around p (normal approximation, z = 3.29).
func within(t *testing.T, what string, k, n int64, p float64) {
	t.Helper()
	est := float64(k) / float64(n)
	half := 3.29 * math.Sqrt(p*(1-p)/float64(n))
	t.Logf("%s: estimate %.4f (%d/%d), closed form %.4f, 99.9%% interval ±%.4f", what, est, k, n, p, half)
	if math.Abs(est-p) > half {
		t.Errorf("%s: estimate %.4f outside %.4f ± %.4f", what, est, p, half)
	}
}

func runTally(t *testing.T, g *graph.Graph, opt Options) *Tally {
	t.Helper()
	s, err := New(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestChainClosedForm(t *testing.T) {
	g := buildGraph(t, sprintf(chainCity, ""))
	const n = 40_000
	tests := []struct {
		name    string
		retries int
		want    float64
	}{
		{"no retries", -1, 0.95 * 0.9 * 0.9 * 0.9},
		{"two retries", 2, (1 - math.Pow(0.05, 3)) * math.Pow(1-math.Pow(0.1, 3), 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, a := range []string{"greedy", "stealthy", "killchain", "adaptive"} {
				tl := runTally(t, g, Options{Campaigns: n, Seed: 3, Attacker: a, Retries: tc.retries})
				within(t, a, tl.Successes, tl.Campaigns, tc.want)
				if tl.Detected != 0 {
					t.Errorf("%s: %d campaigns detected in a city without sensors", a, tl.Detected)
				}
			}
		})
	}
}

func TestTwoParallelRoutes(t *testing.T) {
	g := buildGraph(t, twoRoutes)
	pa := 0.95 * 0.9 * 0.9 * 0.9
	pb := 0.95 * 0.4 * 0.9 * 0.9
	for _, a := range []string{"greedy", "adaptive"} {
		tl := runTally(t, g, Options{Campaigns: 40_000, Seed: 5, Attacker: a, Retries: -1})
		within(t, a+": either route", tl.Successes, tl.Campaigns, 1-(1-pa)*(1-pb))
	}
	// With route a fixed, only route b is left.
	tl := runTally(t, g, Options{Campaigns: 40_000, Seed: 5, Retries: -1, Fixes: []string{"credentials:a"}})
	within(t, "route b alone", tl.Successes, tl.Campaigns, pb)
}

func TestMonitoredZoneDetection(t *testing.T) {
	// Containment is instant: the campaign succeeds only if the three steps
	// before impact are unseen; the sensor sees T0883 with 0.2, T0812 with
	// 0.3 and T0855 (a PLC commanding its pump) with 0.8.
	g := buildGraph(t, sprintf(chainCity, ", monitored: true"))
	want := 0.95 * (1 - SensorDetect["T0883"]) * 0.9 * (1 - SensorDetect["T0812"]) * 0.9 * (1 - SensorDetect["T0855"]) * 0.9
	tl := runTally(t, g, Options{Campaigns: 40_000, Seed: 9, Retries: -1, Response: -1})
	within(t, "success with instant containment", tl.Successes, tl.Campaigns, want)

	// Without containment (response beyond the budget), P(detected before
	// impact) has a closed form over where the chain stops.
	p := []float64{0.95, 0.9, 0.9, 0.9}
	d := []float64{SensorDetect["T0883"], SensorDetect["T0812"], SensorDetect["T0855"], SensorDetect["T0831"]}
	unseen := 0.0
	reach := 1.0
	for k := range p {
		u := 1.0
		for i := 0; i <= k; i++ {
			u *= 1 - d[i]
		}
		unseen += reach * (1 - p[k]) * u
		reach *= p[k]
	}
	unseen += reach * (1 - d[0]) * (1 - d[1]) * (1 - d[2])
	tl = runTally(t, g, Options{Campaigns: 40_000, Seed: 9, Retries: -1, Response: 10_000, Budget: 1000})
	within(t, "detected before impact", tl.DetectedBeforeImpact, tl.Campaigns, 1-unseen)
	within(t, "success without containment", tl.Successes, tl.Campaigns, reach)

	// The same city seen through --sensor instead of the model.
	g2 := buildGraph(t, sprintf(chainCity, ""))
	tl = runTally(t, g2, Options{Campaigns: 40_000, Seed: 9, Retries: -1, Response: -1, Sensors: []string{"field"}})
	within(t, "success with --sensor field", tl.Successes, tl.Campaigns, want)
}

func sampleGraph(t testing.TB) *graph.Graph {
	t.Helper()
	g, err := graph.Build(model.Sample(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func reportJSON(t *testing.T, g *graph.Graph, opt Options) []byte {
	t.Helper()
	r, err := Run(context.Background(), g, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministicAcrossWorkersAndShards(t *testing.T) {
	g := sampleGraph(t)
	for _, a := range []string{"adaptive", "coordinated"} {
		base := Options{Campaigns: 6000, Seed: 42, Attacker: a, Epoch: 500, DecisionCampaigns: 1000, SensorPicks: 1, FixCandidates: 2}
		one := base
		one.Workers, one.Shards = 1, 1
		want := reportJSON(t, g, one)
		for _, v := range []struct{ workers, shards int }{{1, 1}, {4, 1}, {1, 4}, {3, 7}} {
			o := base
			o.Workers, o.Shards = v.workers, v.shards
			if got := reportJSON(t, g, o); !bytes.Equal(got, want) {
				t.Errorf("%s: %d workers, %d shards: JSON differs from 1 worker, 1 shard", a, v.workers, v.shards)
			}
		}
		o := base
		o.Seed = 43
		if got := reportJSON(t, g, o); bytes.Equal(got, want) {
			t.Errorf("%s: seeds 42 and 43 give the same report", a)
		}
	}
}

func TestShardsMergeToTheWhole(t *testing.T) {
	g := sampleGraph(t)
	s, err := New(g, Options{Campaigns: 10_000, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	whole := s.RunShard(0, 10_000)
	parts := s.newTally()
	for _, r := range [][2]int64{{7500, 10_000}, {0, 2500}, {2500, 7500}} {
		parts.Merge(s.RunShard(r[0], r[1]))
	}
	a, _ := json.Marshal(whole)
	b, _ := json.Marshal(parts)
	if !bytes.Equal(a, b) {
		t.Error("shards merged out of order differ from the whole range")
	}
}

func TestAdaptiveBeatsStatic(t *testing.T) {
	g := sampleGraph(t)
	const n = 60_000
	get := func(a string, sensors []string) *Report {
		r, err := Run(context.Background(), g, Options{Campaigns: n, Seed: 11, Attacker: a, NoDecisions: true, Sensors: sensors})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ad := get("adaptive", nil)
	kc := get("killchain", nil)
	t.Logf("sample city: adaptive success %.3f detected-before-impact %.3f; killchain %.3f %.3f",
		ad.Overall.PSuccess, ad.Overall.PDetectedBeforeImpact, kc.Overall.PSuccess, kc.Overall.PDetectedBeforeImpact)
	if !(ad.Overall.PSuccess > kc.Overall.PSuccess && ad.Overall.PDetectedBeforeImpact < kc.Overall.PDetectedBeforeImpact) {
		t.Error("adaptive attacker does not beat killchain on the sample city")
	}
	// With sensors the greedy attacker ignores, the adaptive one learns to
	// avoid them.
	sensors := []string{"traffic-field-centre", "it-dmz", "it-corp"}
	ad = get("adaptive", sensors)
	gr := get("greedy", sensors)
	st := get("stealthy", sensors)
	t.Logf("with sensors %v: adaptive success %.3f detected-before-impact %.3f; greedy %.3f %.3f; stealthy (knows the sensors) %.3f %.3f", sensors,
		ad.Overall.PSuccess, ad.Overall.PDetectedBeforeImpact, gr.Overall.PSuccess, gr.Overall.PDetectedBeforeImpact,
		st.Overall.PSuccess, st.Overall.PDetectedBeforeImpact)
	if !(ad.Overall.PDetectedBeforeImpact < gr.Overall.PDetectedBeforeImpact) {
		t.Error("with sensors, adaptive attacker is not seen less than greedy")
	}
	if ad.Overall.PDetectedBeforeImpact > st.Overall.PDetectedBeforeImpact+0.01 {
		t.Error("with sensors, adaptive attacker is seen much more than the stealthy one that knows the sensors")
	}
}

func TestAdaptiveFindsBlindSpot(t *testing.T) {
	// Route a (default credentials) is the likelier but its zone is
	// monitored and containment is instant; route b (shared password) is
	// unwatched. Greedy keeps taking a; adaptive learns to take b.
	src := strings.Replace(twoRoutes, "{id: za, sector: water}", "{id: za, sector: water, monitored: true}", 1)
	g := buildGraph(t, src)
	opt := Options{Campaigns: 20_000, Seed: 4, Retries: -1, Response: -1, Epoch: 1000, NoDecisions: true}
	gr, err := Run(context.Background(), g, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Attacker = "adaptive"
	ad, err := Run(context.Background(), g, opt)
	if err != nil {
		t.Fatal(err)
	}
	first, last := ad.Learning[0], ad.Learning[len(ad.Learning)-1]
	t.Logf("greedy success %.3f; adaptive epoch 1 %.3f, epoch %d %.3f, overall %.3f", gr.Overall.PSuccess, first.PSuccess, last.Epoch, last.PSuccess, ad.Overall.PSuccess)
	if !(last.PSuccess > first.PSuccess+0.05 && ad.Overall.PSuccess > gr.Overall.PSuccess+0.05) {
		t.Error("adaptive attacker did not learn the unwatched route")
	}
}

func TestFixResimulationLowersRisk(t *testing.T) {
	g := sampleGraph(t)
	r, err := Run(context.Background(), g, Options{Campaigns: 20_000, Seed: 2, SensorPicks: 1, FixCandidates: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Fixes) == 0 {
		t.Fatal("no fix ranked")
	}
	top := r.Fixes[0]
	t.Logf("top fix %s: risk %.0f → %.0f (cost %.1f)", top.ID, top.RiskBefore, top.RiskAfter, top.Cost)
	if !(top.RiskAfter < top.RiskBefore) || top.RemovedPerCost <= 0 {
		t.Errorf("top fix %s does not lower risk: %.0f → %.0f", top.ID, top.RiskBefore, top.RiskAfter)
	}
	for i := 1; i < len(r.Fixes); i++ {
		if r.Fixes[i].RemovedPerCost > r.Fixes[i-1].RemovedPerCost {
			t.Errorf("fixes not ranked by risk removed per cost at %d", i)
		}
	}
	if len(r.Sensors) != 1 || r.Sensors[0].PDetectedBeforeImpactAfter <= r.Sensors[0].PDetectedBeforeImpactBefore {
		t.Errorf("sensor placement: %+v", r.Sensors)
	}
	// The what-if: the same fix applied through Options.Fixes.
	w, err := Run(context.Background(), g, Options{Campaigns: 20_000, Seed: 2, NoDecisions: true, Fixes: []string{top.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(w.Overall.Risk-top.RiskAfter) > 1e-6*top.RiskAfter {
		t.Errorf("--fix %s gives risk %.0f, the ranking's re-simulation %.0f", top.ID, w.Overall.Risk, top.RiskAfter)
	}
}

func TestBadInput(t *testing.T) {
	g := sampleGraph(t)
	unreachable := buildGraph(t, `name: island
zones:
  - {id: field, sector: water}
elements:
  - {id: pump, kind: pump, sector: water}
assets:
  - {id: plc, kind: plc, services: [{protocol: http}], auth: default-credentials, zones: [field], physical: {controls: [pump]}}
  - {id: web, kind: server, services: [{protocol: https}], auth: unique-password, zones: [field]}
entry_points:
  - {id: internet, kind: internet, assets: [web]}
targets:
  - {id: stop-pump, sector: water, loss: pump stopped, elements: [pump]}
`)
	tests := []struct {
		name string
		g    *graph.Graph
		opt  Options
	}{
		{"zero campaigns", g, Options{}},
		{"negative campaigns", g, Options{Campaigns: -5}},
		{"unknown fix", g, Options{Campaigns: 10, Fixes: []string{"patch:nothing"}}},
		{"unknown sensor", g, Options{Campaigns: 10, Sensors: []string{"it-dmz", "no-such-zone"}}},
		{"unknown attacker", g, Options{Campaigns: 10, Attacker: "telepath"}},
		{"unreachable targets", unreachable, Options{Campaigns: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.g, tc.opt)
			if err == nil || !diag.IsBadInput(err) {
				t.Fatalf("got %v, want a bad-input error", err)
			}
			t.Log(err)
		})
	}
}

func TestNoAllocationPerCampaign(t *testing.T) {
	g := sampleGraph(t)
	for _, a := range []string{"greedy", "killchain", "adaptive", "coordinated"} {
		s, err := New(g, Options{Campaigns: 1000, Seed: 1, Attacker: a})
		if err != nil {
			t.Fatal(err)
		}
		w := &worker{sim: s, c: newCampaign(s), a: s.plan.NewActor(), t: s.newTally()}
		for i := range int64(2000) { // warm up: effect sets, buffers
			w.campaign(i)
		}
		i := int64(0)
		allocs := testing.AllocsPerRun(500, func() {
			w.campaign(i % 2000)
			i++
		})
		if allocs != 0 {
			t.Errorf("%s: %.2f allocations per campaign", a, allocs)
		}
	}
}

func TestTextReports(t *testing.T) {
	r, err := Run(context.Background(), sampleGraph(t), Options{Campaigns: 3000, Seed: 1, Attacker: "adaptive", SensorPicks: 1, FixCandidates: 1, DecisionCampaigns: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var full, sum strings.Builder
	if err := r.WriteText(&full); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteSummary(&sum, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TARGETS by expected harm", "fake-camera-feeds", "FIXES", "SENSORS", "LEARNING"} {
		if !strings.Contains(full.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if lines := strings.Count(sum.String(), "\n"); lines != 6 {
		t.Errorf("summary has %d lines, want 6:\n%s", lines, sum.String())
	}
}

func TestDeclaredConsequence(t *testing.T) {
	c := model.Sample()
	idx := map[string]int{}
	for i, tg := range c.Targets {
		idx[tg.ID] = i
	}
	g := buildGraph(t, sprintf(chainCity, ""))
	noDecl := strings.Replace(sprintf(chainCity, ""), ", consequence: {people: 1000}", "", 1)
	noDecl = strings.Replace(noDecl, "{id: pump, kind: pump, sector: water}", "{id: pump, kind: pump, sector: water, population: 777}", 1)
	g2 := buildGraph(t, noDecl)
	tests := []struct {
		name    string
		c       *model.City
		targets []int
		want    model.Consequence
		harm    float64
	}{
		{"one", c, []int{idx["feeder-f3-open"]}, model.Consequence{People: 18000, CriticalFacilities: 2, MWhUnserved: 160}, 18000 + 20000 + 3200},
		{"two add up", c, []int{idx["traffic-centre-all-red"], idx["traction-power-cut"]},
			model.Consequence{People: 165000, CriticalFacilities: 2, VehicleHours: 75000}, 165000 + 20000 + 37500},
		{"declared", g.City, []int{0}, model.Consequence{People: 1000}, 1000},
		{"population when none declared", g2.City, []int{0}, model.Consequence{People: 777}, 777},
		{"none", c, nil, model.Consequence{}, 0},
	}
	for _, tc := range tests {
		got, err := Declared{}.Consequence(tc.c, tc.targets)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want || DefaultHarm.Of(got) != tc.harm {
			t.Errorf("%s: got %+v harm %g, want %+v harm %g", tc.name, got, DefaultHarm.Of(got), tc.want, tc.harm)
		}
		var key []byte
		for _, ti := range tc.targets {
			key = appendEffect(key, ti)
		}
		if back := decodeEffect(string(key)); len(back) != len(tc.targets) {
			t.Errorf("%s: effect key %q decodes to %v", tc.name, key, back)
		}
	}
	if _, err := (Declared{}).Consequence(c, []int{len(c.Targets)}); err == nil {
		t.Error("out-of-range target accepted")
	}
}
