package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/model"
)

func parse(t testing.TB, src string) *model.City {
	t.Helper()
	c, err := model.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	return c
}

func analyze(t testing.TB, c *model.City, apply ...string) (*Graph, *Analysis) {
	t.Helper()
	g, err := Build(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	an, err := g.Analyze(Options{K: 3, Apply: apply, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return g, an
}

type wantStep struct{ stage, tech, asset string }

func steps(g *Graph, p PathResult) []wantStep {
	var out []wantStep
	for _, s := range g.Steps(p.Edges) {
		out = append(out, wantStep{s.Stage, s.Technique, s.Asset})
	}
	return out
}

func cutIDs(g *Graph, an *Analysis) []string {
	var ids []string
	for _, f := range an.Fixes {
		ids = append(ids, g.Fixes[f.Fix].ID)
	}
	slices.Sort(ids)
	return ids
}

const laptopCity = `
zones:
  - {id: corp, sector: it}
  - {id: plant, sector: water}
elements: [{id: pump1, kind: pump, sector: water}]
assets:
  - {id: ws, kind: workstation, services: [{protocol: rdp}], zones: [corp]}
  - {id: laptop, kind: maintenance-laptop, services: [{protocol: smb}], auth: shared-password, zones: [corp, plant]}
  - {id: plc, kind: plc, services: [{protocol: modbus}], zones: [plant], physical: {controls: [pump1]}}
entry_points: [{id: phish, kind: phishing, assets: [ws]}]
targets: [{id: pump, sector: water, loss: pump stopped, elements: [pump1]}]
`

// TestLaptopBridge is the IT → maintenance laptop → water PLC chain, checked by hand.
func TestLaptopBridge(t *testing.T) {
	g, an := analyze(t, parse(t, laptopCity))
	tr := an.Targets[0]
	if !tr.Reachable || len(tr.Paths) != 1 {
		t.Fatalf("want exactly one path, got %d (reachable %v)", len(tr.Paths), tr.Reachable)
	}
	// phishing 0.3 · discovery 0.95 · shared password 0.4 · bridge 0.9 · Modbus command 0.8 · impact 0.9
	if want := 0.3 * 0.95 * 0.4 * 0.9 * 0.8 * 0.9; math.Abs(tr.Probability-want) > 1e-12 {
		t.Errorf("probability %v, want %v", tr.Probability, want)
	}
	want := []wantStep{
		{"initial-access", "T0865", "ws"},
		{"pivot", "T0846", "ws"},
		{"pivot", "T0859", "laptop"},
		{"pivot", "T0864", "laptop"},
		{"pivot", "T0855", "plc"},
		{"impact", "T0831", "plc"},
	}
	if got := steps(g, tr.Paths[0]); !slices.Equal(got, want) {
		t.Errorf("steps\n got %v\nwant %v", got, want)
	}
	// The cheapest cut: fix the laptop's shared password (cost 1) rather than
	// un-bridging it (2) or allow-listing the PLC (4).
	if got := cutIDs(g, an); !slices.Equal(got, []string{"credentials:laptop"}) || an.Cut.Cost != 1 {
		t.Errorf("cut %v cost %v, want [credentials:laptop] cost 1", got, an.Cut.Cost)
	}
	if f := an.Fixes[0]; f.PathsCut != 1 || math.Abs(f.RiskRemoved-tr.Risk) > 1e-12 {
		t.Errorf("fix cuts %d paths and removes %v risk, want 1 and %v", f.PathsCut, f.RiskRemoved, tr.Risk)
	}
	// Applying it leaves no path.
	_, after := analyze(t, parse(t, laptopCity), "credentials:laptop")
	if after.Targets[0].Reachable || after.Risk != 0 {
		t.Errorf("target still reachable after the fix: %+v", after.Targets[0])
	}
	// Removing the laptop from the plant zone also cuts the path.
	_, after = analyze(t, parse(t, laptopCity), "unbridge:laptop:plant")
	if after.Targets[0].Reachable {
		t.Error("target still reachable after un-bridging the laptop")
	}
}

const exposedCity = `
zones: [{id: field, sector: traffic}]
elements: [{id: x1, kind: intersection, sector: traffic}]
assets:
  - {id: tc, kind: traffic-controller, services: [{protocol: ntcip}, {protocol: http}], auth: default-credentials, zones: [field], physical: {controls: [x1]}}
entry_points: [{id: inet, kind: internet, assets: [tc]}]
targets: [{id: red, sector: traffic, loss: all red, elements: [x1], criticality: critical}]
`

func TestInternetExposedController(t *testing.T) {
	g, an := analyze(t, parse(t, exposedCity))
	tr := an.Targets[0]
	if len(tr.Paths) != 1 {
		t.Fatalf("%d paths, want 1 (the two services of tc must not count as two paths)", len(tr.Paths))
	}
	if want := 1 * 0.95 * 0.9 * 0.9 * 0.9; math.Abs(tr.Probability-want) > 1e-12 {
		t.Errorf("probability %v, want %v", tr.Probability, want)
	}
	if math.Abs(tr.Risk-10*tr.Probability) > 1e-12 {
		t.Errorf("risk %v, want 10 × %v for a critical target", tr.Risk, tr.Probability)
	}
	want := []wantStep{{"recon", "T0883", "tc"}, {"initial-access", "T0812", "tc"}, {"impact", "T0855", "tc"}, {"impact", "T0831", "tc"}}
	if got := steps(g, tr.Paths[0]); !slices.Equal(got, want) {
		t.Errorf("steps\n got %v\nwant %v", got, want)
	}
	if got := cutIDs(g, an); !slices.Equal(got, []string{"credentials:tc"}) {
		t.Errorf("cut %v, want credentials:tc (cost 1 < remove-exposure 2)", got)
	}
}

func TestConduits(t *testing.T) {
	base := `
zones: [{id: corp, sector: it}, {id: plant, sector: water}]
elements: [{id: p, kind: pump, sector: water}]
assets:
  - {id: plc, kind: plc, services: [{protocol: modbus}, {protocol: ssh}], auth: default-credentials, zones: [plant], physical: {controls: [p]}}
entry_points: [{id: wifi, kind: public-wifi, zones: [corp]}]
targets: [{id: t, sector: water, loss: l, elements: [p]}]
conduits:
`
	for _, tc := range []struct {
		name, conduit string
		reachable     bool
		firstTech     []string
	}{
		{"no conduit", "", false, nil},
		{"diode towards corp", "  - {id: c, from: plant, to: corp, enforcement: data-diode}\n", false, nil},
		{"diode towards plant", "  - {id: c, from: corp, to: plant, enforcement: data-diode}\n", true, []string{"T0860", "T0886"}},
		{"firewall modbus only", "  - {id: c, from: corp, to: plant, enforcement: firewall, allow: [{protocol: modbus}]}\n", true, []string{"T0860", "T0886", "T0855"}},
		{"firewall ssh only", "  - {id: c, from: corp, to: plant, enforcement: firewall, allow: [{protocol: ssh}]}\n", true, []string{"T0860", "T0886", "T0812"}},
		{"firewall https only", "  - {id: c, from: corp, to: plant, enforcement: firewall, allow: [{protocol: https}]}\n", false, nil},
		{"vpn", "  - {id: c, from: corp, to: plant, enforcement: vpn, allow: [{protocol: modbus}]}\n", true, []string{"T0860", "T0822"}},
		{"reverse direction both", "  - {id: c, from: plant, to: corp, enforcement: firewall, direction: both}\n", true, []string{"T0860", "T0886"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, an := analyze(t, parse(t, base+tc.conduit))
			tr := an.Targets[0]
			if tr.Reachable != tc.reachable {
				t.Fatalf("reachable %v, want %v", tr.Reachable, tc.reachable)
			}
			if !tc.reachable {
				return
			}
			got := steps(g, tr.Paths[0])
			for i, tech := range tc.firstTech {
				if got[i].tech != tech {
					t.Errorf("step %d technique %s, want %s (steps %v)", i, got[i].tech, tech, got)
				}
			}
		})
	}
	// The VPN conduit's probability is in the path.
	_, an := analyze(t, parse(t, base+"  - {id: c, from: corp, to: plant, enforcement: vpn, allow: [{protocol: modbus}]}\n"))
	if want := 0.9 * 1 * 0.3 * 0.8 * 0.9; math.Abs(an.Targets[0].Probability-want) > 1e-12 {
		t.Errorf("VPN path probability %v, want %v", an.Targets[0].Probability, want)
	}
}

func TestRequireAllAndUncuttable(t *testing.T) {
	src := `
zones: [{id: plant, sector: water}]
elements: [{id: p1, kind: pump, sector: water}, {id: p2, kind: pump, sector: water}]
assets:
  - {id: plc1, kind: plc, services: [{protocol: modbus}], zones: [plant], physical: {controls: [p1]}}
  - {id: plc2, kind: plc, services: [{protocol: modbus}], zones: [plant], physical: {controls: [p2]}}
  - {id: hmi, kind: hmi, services: [{protocol: vnc}], zones: [plant], physical: {controls: [p1, p2]}}
entry_points:
  - {id: cab, kind: physical, zones: [plant]}
  - {id: phish, kind: phishing, assets: [hmi]}
targets:
  - {id: both, sector: water, loss: both pumps, elements: [p1, p2], require: all}
  - {id: one, sector: water, loss: one pump, elements: [p1]}
`
	g, an := analyze(t, parse(t, src))
	both, one := an.Targets[0], an.Targets[1]
	// Only the HMI commands both pumps; the phished HMI has no fixable step.
	if !both.Reachable || len(both.Paths) == 0 {
		t.Fatal("the require-all target has no path, want one through the HMI")
	}
	for _, p := range both.Paths {
		st := steps(g, p)
		if st[len(st)-1].asset != "hmi" {
			t.Errorf("a require-all path ends at %s, want hmi", st[len(st)-1].asset)
		}
	}
	if !one.Reachable || len(one.Paths) < 2 {
		t.Errorf("target 'one' has %d paths, want at least 2 (plc1 and hmi)", len(one.Paths))
	}
	if !slices.Equal(an.Cut.Uncuttable, []int{0, 1}) {
		t.Errorf("uncuttable %v, want both targets (phishing the HMI has no fix in the catalogue)", an.Cut.Uncuttable)
	}
}

func TestUnknownFix(t *testing.T) {
	g, err := Build(parse(t, laptopCity), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Analyze(Options{Apply: []string{"credentials:nosuch"}})
	if err == nil || !strings.Contains(err.Error(), "unknown fix credentials:nosuch") {
		t.Fatalf("error %v, want unknown fix", err)
	}
}

// randomCity makes a small random city for property tests.
func randomCity(r *rand.Rand) string {
	var b strings.Builder
	nz := 2 + r.IntN(3)
	b.WriteString("zones:\n")
	for z := range nz {
		fmt.Fprintf(&b, "  - {id: z%d, sector: water}\n", z)
	}
	b.WriteString("conduits:\n")
	for c := range r.IntN(3) {
		enf := []string{"firewall", "vpn", "none", "data-diode"}[r.IntN(4)]
		from := r.IntN(nz)
		to := (from + 1 + r.IntN(nz-1)) % nz
		fmt.Fprintf(&b, "  - {id: c%d, from: z%d, to: z%d, enforcement: %s, allow: [{protocol: %s}]}\n", c, from, to, enf, []string{"modbus", "ssh", "https"}[r.IntN(3)])
	}
	b.WriteString("elements: [{id: e0, kind: pump, sector: water}, {id: e1, kind: valve, sector: water}]\nassets:\n")
	na := 3 + r.IntN(4)
	for a := range na {
		z0 := r.IntN(nz)
		zones := fmt.Sprintf("z%d", z0)
		if r.IntN(4) == 0 {
			zones += fmt.Sprintf(", z%d", (z0+1)%nz)
		}
		auth := []string{"none", "default-credentials", "shared-password", "unique-password"}[r.IntN(4)]
		proto := []string{"modbus", "ssh", "https", "dnp3"}[r.IntN(4)]
		phys := ""
		if r.IntN(2) == 0 {
			phys = fmt.Sprintf(", physical: {controls: [e%d]}", r.IntN(2))
		}
		cves := ""
		if r.IntN(4) == 0 {
			cves = ", cves: [CVE-2020-0001]"
		}
		fmt.Fprintf(&b, "  - {id: a%d, kind: plc, services: [{protocol: %s}], auth: %s, zones: [%s]%s%s}\n", a, proto, auth, zones, phys, cves)
	}
	fmt.Fprintf(&b, "entry_points:\n  - {id: inet, kind: internet, assets: [a0]}\n  - {id: wifi, kind: public-wifi, zones: [z%d]}\n", r.IntN(nz))
	b.WriteString("targets:\n  - {id: t0, sector: water, loss: l, elements: [e0]}\n  - {id: t1, sector: water, loss: l, elements: [e1]}\n")
	return b.String()
}

// TestMinCutIsMinimal checks on random small cities that no set of fixes
// cheaper than the reported cut separates every cuttable target from the
// attacker, and that applying the cut does.
func TestMinCutIsMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	checked := 0
	for trial := 0; trial < 400 && checked < 120; trial++ {
		c := parse(t, randomCity(r))
		g, an := analyze(t, c)
		if len(g.Fixes) > 14 {
			continue
		}
		checked++
		uncut := map[int]bool{}
		for _, ti := range an.Cut.Uncuttable {
			uncut[ti] = true
		}
		w := g.Weights()
		best := math.Inf(1)
		for mask := 0; mask < 1<<len(g.Fixes); mask++ {
			removed := make([]bool, g.G.M())
			cost := 0.0
			for i, f := range g.Fixes {
				if mask&(1<<i) != 0 {
					removed[f.Edge] = true
					cost += f.Cost
				}
			}
			if cost >= best {
				continue
			}
			tree := g.G.Dijkstra(w, removed, g.Source)
			ok := true
			for ti, tn := range g.Targets {
				if !uncut[ti] && !math.IsInf(tree.Dist[tn], 1) {
					ok = false
				}
			}
			if ok {
				best = cost
			}
		}
		if math.Abs(best-an.Cut.Cost) > 1e-9 {
			t.Fatalf("trial %d: cut cost %v, brute force finds %v\n%s", trial, an.Cut.Cost, best, randomCity(r))
		}
		_, after := analyze(t, c, cutIDs(g, an)...)
		for ti, tr := range after.Targets {
			if !uncut[ti] && tr.Reachable {
				t.Fatalf("trial %d: target %d reachable after applying the cut %v", trial, ti, cutIDs(g, an))
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d random cities were small enough to brute-force", checked)
	}
}

func TestSampleCityPaths(t *testing.T) {
	g, an := analyze(t, model.Sample())
	c := g.City
	// Every sector has a reachable target.
	sectors := map[model.Sector]bool{}
	for _, tr := range an.Targets {
		if tr.Reachable {
			sectors[c.Targets[tr.Index].Sector] = true
		}
	}
	for _, s := range []model.Sector{"traffic", "energy", "public-safety", "water"} {
		if !sectors[s] {
			t.Errorf("no reachable %s target", s)
		}
	}
	has := func(target string, want []string) bool {
		for _, tr := range an.Targets {
			if c.Targets[tr.Index].ID != target {
				continue
			}
			for _, p := range tr.Paths {
				var got []string
				for _, s := range g.Steps(p.Edges) {
					got = append(got, s.Technique+"@"+s.Asset)
				}
				if isSubsequence(want, got) {
					return true
				}
			}
		}
		return false
	}
	if !has("hospital-route-signals", []string{"T0883@tc-centre-0042", "T0812@tc-centre-0042"}) {
		t.Error("no path internet → exposed traffic controller with default credentials")
	}
	if !has("chlorine-dosing", []string{"T0865@it-workstations", "T0859@water-maint-laptop", "T0864@water-maint-laptop", "T0855@"}) {
		t.Error("no path IT → maintenance laptop → water PLC")
	}
	if !has("feeder-f3-open", []string{"T0822@grid-vendor-vpn"}) {
		t.Error("no path through the vendor VPN")
	}
	if !has("mass-meter-switching", []string{"T0859@ami-headend"}) {
		t.Error("no path IT → AMI head-end")
	}
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && strings.HasPrefix(g, want[i]) {
			i++
		}
	}
	return i == len(want)
}

func BenchmarkAnalyzeSample(b *testing.B) {
	c := model.Sample()
	for b.Loop() {
		g, _ := Build(c, nil)
		g.Analyze(Options{})
	}
}

func TestUnknownTechnique(t *testing.T) {
	c := parse(t, strings.Replace(exposedCity, "criticality: critical}", "criticality: critical, technique: T0999}", 1))
	_, err := Build(c, nil)
	if err == nil || !strings.Contains(err.Error(), "test.yaml:7:103:") || !strings.Contains(err.Error(), "T0999 is not an active ATT&CK technique") {
		t.Fatalf("error %v, want the technique's position", err)
	}
}
