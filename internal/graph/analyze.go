package graph

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/graph/csr"
	"github.com/citadel-city/citadel/internal/intel"
	"github.com/citadel-city/citadel/internal/model"
)

// Options tune an analysis.
type Options struct {
	K       int      // paths per target; 0 means 3
	Apply   []string // ids of fixes to apply before the analysis
	Workers int      // parallel workers; 0 means one per CPU
}

// Analysis is the result of analysing an attack graph.
type Analysis struct {
	Targets []TargetResult
	Fixes   []FixResult // the minimum cut, ranked by risk removed
	Cut     CutResult
	Risk    float64 // sum of the targets' risks
	Applied []string
}

// TargetResult is what the analysis found for one target.
type TargetResult struct {
	Index       int
	Reachable   bool
	Probability float64 // of the most likely path
	Risk        float64 // criticality weight × probability
	Paths       []PathResult
}

// PathResult is one attack path.
type PathResult struct {
	Probability float64
	Hours       float64
	Edges       []int32
}

// FixResult is one fix of the minimum cut.
type FixResult struct {
	Fix         int32 // index into Graph.Fixes
	PathsCut    int   // reported paths that use the fix's edge
	RiskRemoved float64
	Targets     []int // targets whose most likely path it cuts
}

// CutResult describes the minimum cut.
type CutResult struct {
	Cost       float64
	Uncuttable []int // targets with a path that no fix can cut
}

// CriticalityWeight is the weight of a target's criticality in its risk.
var CriticalityWeight = map[model.Criticality]float64{"low": 1, "medium": 2, "high": 5, "critical": 10}

// stepEpsilon is added to the weight of every attacker step, so that of two
// equally likely paths the shorter ranks first and no cycle weighs zero.
const stepEpsilon = 1e-4

// Weights returns the edge weights: −ln p plus a small cost per attacker step.
func (g *Graph) Weights() []float64 {
	w := make([]float64, g.G.M())
	for e, p := range g.Prob {
		switch {
		case p <= 0:
			w[e] = math.Inf(1)
		default:
			w[e] = -math.Log(p)
		}
		if g.Tech[e] != 0 {
			w[e] += stepEpsilon
		}
	}
	return w
}

// Removed returns the edge mask of the fixes with the given ids (nil when
// there are none), or a bad-input error naming the unknown ids.
func (g *Graph) Removed(apply []string) ([]bool, error) {
	if len(apply) == 0 {
		return nil, nil
	}
	byID := make(map[string]int32, len(g.Fixes))
	for i := range g.Fixes {
		byID[g.Fixes[i].ID] = int32(i)
	}
	removed := make([]bool, g.G.M())
	var bad []string
	for _, id := range apply {
		f, ok := byID[id]
		if !ok {
			bad = append(bad, id)
			continue
		}
		removed[g.Fixes[f].Edge] = true
	}
	if len(bad) > 0 {
		return nil, diag.Errorf("unknown fix %s: fix ids look like credentials:ASSET, mfa:ASSET, patch:ASSET, allowlist:ASSET, unbridge:ASSET:ZONE, unexpose:ENTRY:ASSET or close:CONDUIT; 'citadel assess --json' lists them", strings.Join(bad, ", "))
	}
	return removed, nil
}

// Analyze ranks the paths to every target and computes the minimum cut.
func (g *Graph) Analyze(opt Options) (*Analysis, error) {
	k := opt.K
	if k <= 0 {
		k = 3
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	removed, err := g.Removed(opt.Apply)
	if err != nil {
		return nil, err
	}
	w := g.Weights()
	tree := g.G.Dijkstra(w, removed, g.Source)
	an := &Analysis{Targets: make([]TargetResult, len(g.Targets)), Applied: opt.Apply}

	// Paths per target, in parallel; each worker has its own scratch space.
	parallel(len(g.Targets), workers, func() func(i int) {
		kp := csr.NewKPaths(g.G, w, removed, tree)
		return func(ti int) {
			tr := &an.Targets[ti]
			tr.Index = ti
			for _, p := range kp.Distinct(g.Targets[ti], k, g.signature) {
				tr.Paths = append(tr.Paths, g.pathResult(p.Edges))
			}
			if len(tr.Paths) > 0 {
				tr.Reachable = true
				tr.Probability = tr.Paths[0].Probability
				tr.Risk = g.weight(ti) * tr.Probability
			}
		}
	})
	for _, tr := range an.Targets {
		an.Risk += tr.Risk
	}
	if err := g.cut(an, w, removed, tree, workers); err != nil {
		return nil, err
	}
	return an, nil
}

// signature identifies a path by its attacker steps, ignoring structural
// edges (which service of an asset was used to reach the same login).
func (g *Graph) signature(edges []int32) string {
	var b strings.Builder
	for _, e := range edges {
		if g.Tech[e] != 0 {
			fmt.Fprintf(&b, "%d,", e)
		}
	}
	return b.String()
}

func (g *Graph) weight(ti int) float64 {
	return CriticalityWeight[g.City.Targets[ti].Criticality]
}

func (g *Graph) pathResult(edges []int32) PathResult {
	pr := PathResult{Probability: 1, Edges: edges}
	for _, e := range edges {
		pr.Probability *= g.Prob[e]
		pr.Hours += float64(g.Hours[e])
	}
	return pr
}

// cut computes the minimum cut separating every cuttable target from the
// attacker, and the risk each of its fixes removes on its own.
func (g *Graph) cut(an *Analysis, w []float64, removed []bool, tree csr.Tree, workers int) error {
	m := g.G.M()
	capacity := make([]float64, m)
	for e := range m {
		if f := g.Fix[e]; f >= 0 {
			capacity[e] = g.Fixes[f].Cost
		} else {
			capacity[e] = math.Inf(1)
		}
	}
	// Targets reachable over unfixable edges alone cannot be cut.
	inf := make([]float64, m)
	for e := range m {
		inf[e] = 1
		if g.Fix[e] >= 0 {
			inf[e] = math.Inf(1)
		}
	}
	free := g.G.Dijkstra(inf, removed, g.Source)
	cutRemoved := make([]bool, m)
	if removed != nil {
		copy(cutRemoved, removed)
	}
	for ti, tn := range g.Targets {
		if !math.IsInf(free.Dist[tn], 1) {
			an.Cut.Uncuttable = append(an.Cut.Uncuttable, ti)
			for _, e := range g.G.Out(tn) {
				cutRemoved[e] = true // leave it out of the cut
			}
		}
	}
	value, edges := g.G.MinCut(capacity, cutRemoved, g.Source, g.Sink)
	if math.IsInf(value, 1) {
		return fmt.Errorf("internal: infinite cut after removing uncuttable targets")
	}
	an.Cut.Cost = value

	// Which reported paths use each edge.
	uses := map[int32]int{}
	bestUses := map[int32][]int{}
	for ti, tr := range an.Targets {
		for pi, p := range tr.Paths {
			for _, e := range p.Edges {
				uses[e]++
				if pi == 0 {
					bestUses[e] = append(bestUses[e], ti)
				}
			}
		}
	}
	an.Fixes = make([]FixResult, len(edges))
	parallel(len(edges), workers, func() func(i int) {
		kp := csr.NewKPaths(g.G, w, removed, tree)
		return func(i int) {
			e := edges[i]
			fr := FixResult{Fix: g.Fix[e], PathsCut: uses[e], Targets: bestUses[e]}
			for _, ti := range bestUses[e] {
				before := an.Targets[ti].Risk
				after := 0.0
				if p, ok := kp.ShortestAvoiding(g.Targets[ti], []int32{e}); ok {
					after = g.weight(ti) * g.pathResult(p.Edges).Probability
				}
				fr.RiskRemoved += before - after
			}
			an.Fixes[i] = fr
		}
	})
	sort.SliceStable(an.Fixes, func(i, j int) bool {
		a, b := an.Fixes[i], an.Fixes[j]
		if a.RiskRemoved != b.RiskRemoved {
			return a.RiskRemoved > b.RiskRemoved
		}
		if a.PathsCut != b.PathsCut {
			return a.PathsCut > b.PathsCut
		}
		return g.Fixes[a.Fix].ID < g.Fixes[b.Fix].ID
	})
	return nil
}

// parallel runs job(i) for i in [0,n) on workers goroutines; newJob is
// called once per worker to set up its scratch space.
func parallel(n, workers int, newJob func() func(i int)) {
	if n == 0 {
		return
	}
	workers = min(workers, n)
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range workers {
		wg.Go(func() {
			job := newJob()
			for i := range next {
				job(i)
			}
		})
	}
	wg.Wait()
}

// StepInfo describes one attacker step of a path for reports.
type StepInfo struct {
	Asset         string
	Zone          string
	Technique     string
	TechniqueName string
	Stage         string
	Action        string
	Probability   float64
	Hours         float64
	Fix           string
}

// Steps describes the attacker steps of a path (structural edges are left
// out). The first compromise of an asset is initial access, later ones are
// pivots.
func (g *Graph) Steps(edges []int32) []StepInfo {
	var out []StepInfo
	compromised := false
	for _, e := range edges {
		if g.Tech[e] == 0 {
			continue
		}
		r := g.Rule[e]
		s := StepInfo{Technique: g.Techs[g.Tech[e]], Probability: g.Prob[e], Hours: float64(g.Hours[e])}
		if t, ok := intel.LookupTechnique(s.Technique); ok {
			s.TechniqueName = t.Name
		}
		if f := g.Fix[e]; f >= 0 {
			s.Fix = g.Fixes[f].ID
		}
		var stage Stage
		switch {
		case r == REntryZone || r == RExpose:
			stage = StageRecon
		case r.Compromise():
			stage = StageInitialAccess
			if compromised {
				stage = StagePivot
			}
			compromised = true
		case r == RBridge || r == RDiscover || r == RConduit:
			stage = StagePivot
		case r == RExecControl || r == RImpact:
			stage = StageImpact
		}
		s.Stage = stage.String()
		s.Asset, s.Zone, s.Action = g.describe(e)
		out = append(out, s)
	}
	return out
}

// describe says what an edge's step does, in words.
func (g *Graph) describe(e int32) (asset, zone, action string) {
	c := g.City
	from, to := g.Nodes[g.G.Tail[e]], g.Nodes[g.G.Head[e]]
	assetOf := func(n Node) *model.Asset { return &c.Assets[n.Ref] }
	switch g.Rule[e] {
	case REntryZone:
		en, z := c.Entries[from.Ref], c.Zones[to.Ref]
		return "", z.ID, fmt.Sprintf("from %s (%s) reach zone %s", en.ID, en.Kind, z.ID)
	case RExpose:
		en, a := c.Entries[to.Ref], c.Assets[to.Sub]
		return a.ID, "", fmt.Sprintf("find %s (%s %s) exposed at %s", a.ID, a.Vendor, a.Product, en.ID)
	case RPhish:
		a := assetOf(to)
		return a.ID, "", fmt.Sprintf("phish a user of %s", a.ID)
	case RLogin:
		a := assetOf(to)
		how := map[model.AuthState]string{model.AuthNone: "without authentication", model.AuthDefault: "with default credentials", model.AuthShared: "with a shared password"}[a.Auth]
		if how == "" {
			how = "with weak service credentials"
		}
		return a.ID, "", fmt.Sprintf("log in to %s %s", a.ID, how)
	case RExploit:
		a := assetOf(to)
		return a.ID, "", fmt.Sprintf("exploit %s on %s", g.bestVuln(to.Ref), a.ID)
	case RCommand:
		a := assetOf(to)
		var protos []string
		for _, s := range a.Services {
			if info, _ := s.Protocol.Info(); info.Access == model.AccessControl {
				protos = append(protos, string(s.Protocol))
			}
		}
		return a.ID, "", fmt.Sprintf("send unauthenticated %s commands to %s", strings.Join(slices.Compact(protos), "/"), a.ID)
	case RBridge:
		a, z := assetOf(from), c.Zones[to.Ref]
		return a.ID, z.ID, fmt.Sprintf("pivot through %s (%s, member of %s) into zone %s", a.ID, a.Kind, strings.Join(a.Zones, " and "), z.ID)
	case RDiscover:
		a, z := assetOf(from), c.Zones[to.Ref]
		return a.ID, z.ID, fmt.Sprintf("from %s discover the systems of zone %s", a.ID, z.ID)
	case RConduit:
		cd := c.Conduits[from.Ref]
		return "", cd.To, fmt.Sprintf("pass conduit %s (%s → %s, %s)", cd.ID, cd.From, cd.To, cd.Enforcement)
	case RExecControl:
		a := assetOf(from)
		if len(a.Physical.Controls) == 0 {
			return a.ID, "", fmt.Sprintf("use %s to falsify what it reports of %s", a.ID, strings.Join(boundElements(a), ", "))
		}
		return a.ID, "", fmt.Sprintf("use %s to command %s", a.ID, strings.Join(boundElements(a), ", "))
	case RImpact:
		a, t := assetOf(from), c.Targets[to.Ref]
		return a.ID, "", fmt.Sprintf("%s: %s", t.ID, t.Loss)
	}
	return "", "", ""
}

func boundElements(a *model.Asset) []string {
	if a.Physical == nil {
		return nil
	}
	els := append(slices.Clone(a.Physical.Controls), a.Physical.Reports...)
	if len(els) > 4 {
		els = append(els[:4], fmt.Sprintf("and %d more", len(els)-4))
	}
	return els
}

func (g *Graph) bestVuln(ai int32) string {
	vs := g.Vulns[ai]
	if len(vs) == 0 {
		return "a vulnerability"
	}
	best := vs[0]
	for _, v := range vs[1:] {
		if (v.KEV && !best.KEV) || (v.KEV == best.KEV && v.CVSS > best.CVSS) {
			best = v
		}
	}
	s := best.CVE
	if best.KEV {
		s += " (CISA KEV)"
	}
	return s
}
