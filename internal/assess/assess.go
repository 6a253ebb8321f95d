// Package assess runs Citadel's main job: it builds the attack graph of a
// city model, ranks the attack paths to every physical target, computes the
// cheapest set of fixes that cuts them, and reports the result as text,
// JSON (docs/assess-json.md) or a Graphviz graph.
package assess

import (
	"context"
	"fmt"
	"slices"

	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/intel"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sim"
)

// SchemaVersion is the version of the JSON report; it changes when a field
// changes meaning or is removed.
const SchemaVersion = 1

// Options tune an assessment.
type Options struct {
	K        int         // paths per target (default 3)
	Fixes    []string    // fixes to apply, by id
	Feed     *intel.Feed // vulnerability feed, or nil
	Workers  int         // 0: one per CPU
	Simulate int64       // campaigns of the default simulation (greedy attacker, seed 1); 0: none
}

// Report is the JSON document `citadel assess --json` prints.
type Report struct {
	SchemaVersion int         `json:"schema_version"`
	City          string      `json:"city"`
	Model         string      `json:"model"`
	Intel         string      `json:"intel,omitempty"`
	Summary       Summary     `json:"summary"`
	Targets       []Target    `json:"targets"`
	Fixes         []Fix       `json:"fixes"`
	Cut           Cut         `json:"cut"`
	Applied       []string    `json:"applied_fixes,omitempty"`
	Delta         *Delta      `json:"delta,omitempty"`
	Simulation    *sim.Report `json:"simulation,omitempty"`
	AttackNotice  string      `json:"attack_notice"`
}

// Summary counts what was analysed.
type Summary struct {
	Zones            int     `json:"zones"`
	Assets           int     `json:"assets"`
	Devices          int     `json:"devices"`
	Bridges          int     `json:"bridges"`
	EntryPoints      int     `json:"entry_points"`
	Targets          int     `json:"targets"`
	TargetsReachable int     `json:"targets_reachable"`
	VulnerableAssets int     `json:"vulnerable_assets"`
	KEVAssets        int     `json:"kev_assets"`
	GraphNodes       int     `json:"graph_nodes"`
	GraphEdges       int     `json:"graph_edges"`
	Risk             float64 `json:"risk"`
}

// Target is one physical target and the paths to it.
type Target struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Sector      string            `json:"sector"`
	Loss        string            `json:"loss"`
	Criticality string            `json:"criticality"`
	Reachable   bool              `json:"reachable"`
	Probability float64           `json:"probability"`
	Risk        float64           `json:"risk"`
	Consequence model.Consequence `json:"consequence"`
	Paths       []Path            `json:"paths"`
}

// Path is one attack path.
type Path struct {
	Probability float64 `json:"probability"`
	Hours       float64 `json:"hours"`
	Steps       []Step  `json:"steps"`
}

// Step is one attacker step.
type Step struct {
	Asset         string  `json:"asset,omitempty"`
	Zone          string  `json:"zone,omitempty"`
	Technique     string  `json:"technique"`
	TechniqueName string  `json:"technique_name"`
	Stage         string  `json:"stage"`
	Action        string  `json:"action"`
	Probability   float64 `json:"probability"`
	Hours         float64 `json:"hours"`
	Fix           string  `json:"fix,omitempty"`
}

// Fix is one fix of the minimum cut.
type Fix struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	Asset       string   `json:"asset,omitempty"`
	Action      string   `json:"action"`
	Cost        float64  `json:"cost"`
	PathsCut    int      `json:"paths_cut"`
	RiskRemoved float64  `json:"risk_removed"`
	Targets     []string `json:"targets,omitempty"`
}

// Cut summarises the minimum cut.
type Cut struct {
	Cost       float64  `json:"cost"`
	Fixes      int      `json:"fixes"`
	Uncuttable []string `json:"uncuttable_targets,omitempty"`
}

// Delta compares an assessment with fixes applied to the one without.
type Delta struct {
	RiskBefore float64       `json:"risk_before"`
	RiskAfter  float64       `json:"risk_after"`
	Targets    []TargetDelta `json:"targets"`
}

// TargetDelta is the change of one target's probability.
type TargetDelta struct {
	ID                string  `json:"id"`
	ProbabilityBefore float64 `json:"probability_before"`
	ProbabilityAfter  float64 `json:"probability_after"`
}

// Run assesses city c.
func Run(ctx context.Context, c *model.City, opt Options) (*Report, error) {
	g, err := graph.Build(c, opt.Feed)
	if err != nil {
		return nil, err
	}
	an, err := g.Analyze(graph.Options{K: opt.K, Apply: opt.Fixes, Workers: opt.Workers})
	if err != nil {
		return nil, err
	}
	r := newReport(c, g, an)
	if opt.Feed != nil {
		r.Intel = opt.Feed.Dir()
	}
	if len(opt.Fixes) > 0 {
		base, err := g.Analyze(graph.Options{K: 1, Workers: opt.Workers})
		if err != nil {
			return nil, err
		}
		d := &Delta{RiskBefore: base.Risk, RiskAfter: an.Risk}
		for i, t := range an.Targets {
			d.Targets = append(d.Targets, TargetDelta{ID: c.Targets[i].ID, ProbabilityBefore: base.Targets[i].Probability, ProbabilityAfter: t.Probability})
		}
		r.Delta = d
	}
	if opt.Simulate > 0 && r.Summary.TargetsReachable > 0 {
		sr, err := sim.Run(ctx, g, sim.Options{Campaigns: opt.Simulate, Seed: 1, Fixes: opt.Fixes, Workers: opt.Workers, NoDecisions: true})
		if err != nil {
			return nil, fmt.Errorf("default simulation: %w", err)
		}
		r.Simulation = sr
	}
	return r, nil
}

func newReport(c *model.City, g *graph.Graph, an *graph.Analysis) *Report {
	r := &Report{SchemaVersion: SchemaVersion, City: c.Name, Model: c.File, AttackNotice: intel.Notice,
		Applied: an.Applied, Fixes: []Fix{}}
	s := &r.Summary
	s.Zones, s.Assets, s.EntryPoints, s.Targets = len(c.Zones), len(c.Assets), len(c.Entries), len(c.Targets)
	for i, a := range c.Assets {
		s.Devices += a.Count
		if len(a.Zones) > 1 {
			s.Bridges++
		}
		if vs := g.Vulns[i]; len(vs) > 0 {
			s.VulnerableAssets++
			if slices.ContainsFunc(vs, func(v intel.Vuln) bool { return v.KEV }) {
				s.KEVAssets++
			}
		}
	}
	s.GraphNodes, s.GraphEdges = g.G.N, g.G.M()
	s.Risk = an.Risk
	for _, tr := range an.Targets {
		mt := &c.Targets[tr.Index]
		t := Target{ID: mt.ID, Name: mt.Name, Sector: string(mt.Sector), Loss: mt.Loss, Criticality: string(mt.Criticality),
			Reachable: tr.Reachable, Probability: tr.Probability, Risk: tr.Risk, Consequence: mt.Consequence, Paths: []Path{}}
		if tr.Reachable {
			s.TargetsReachable++
		}
		for _, p := range tr.Paths {
			pp := Path{Probability: p.Probability, Hours: p.Hours}
			for _, st := range g.Steps(p.Edges) {
				pp.Steps = append(pp.Steps, Step(st))
			}
			t.Paths = append(t.Paths, pp)
		}
		r.Targets = append(r.Targets, t)
	}
	for _, fr := range an.Fixes {
		f := g.Fixes[fr.Fix]
		ff := Fix{ID: f.ID, Kind: f.Kind, Asset: f.Asset, Action: f.Action, Cost: f.Cost, PathsCut: fr.PathsCut, RiskRemoved: fr.RiskRemoved}
		for _, ti := range fr.Targets {
			ff.Targets = append(ff.Targets, c.Targets[ti].ID)
		}
		r.Fixes = append(r.Fixes, ff)
	}
	r.Cut = Cut{Cost: an.Cut.Cost, Fixes: len(an.Fixes)}
	for _, ti := range an.Cut.Uncuttable {
		r.Cut.Uncuttable = append(r.Cut.Uncuttable, c.Targets[ti].ID)
	}
	return r
}

// sectorOrder lists sectors in report order.
var sectorOrder = []string{"traffic", "energy", "transit", "public-safety", "water", "it"}

func sectorRank(s string) int {
	if i := slices.Index(sectorOrder, s); i >= 0 {
		return i
	}
	return len(sectorOrder)
}

// stepLine formats a step for the terminal.
func stepLine(s Step) string {
	name := s.TechniqueName
	if name == "" {
		name = "?"
	}
	return fmt.Sprintf("%-14s %-6s %-32s %s", s.Stage, s.Technique, trunc(name, 32), s.Action)
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
