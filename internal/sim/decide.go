package sim

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/citadel-city/citadel/internal/graph"
)

// FixResult is one candidate fix, verified by re-simulation with the same
// seed (common random numbers) and DecisionCampaigns campaigns.
type FixResult struct {
	ID             string  `json:"id"`
	Kind           string  `json:"kind"`
	Action         string  `json:"action"`
	Cost           float64 `json:"cost"`
	InMinCut       bool    `json:"in_min_cut"`
	UsedBy         float64 `json:"used_by"` // share of successful campaigns that took the fixed step
	RiskBefore     float64 `json:"risk_before"`
	RiskAfter      float64 `json:"risk_after"`
	RiskRemoved    float64 `json:"risk_removed"`
	RemovedPerCost float64 `json:"risk_removed_per_cost"`
	PSuccessBefore float64 `json:"p_success_before"`
	PSuccessAfter  float64 `json:"p_success_after"`
}

// SensorResult is one sensor of the greedy placement, in the order chosen.
type SensorResult struct {
	Rank                        int     `json:"rank"`
	ID                          string  `json:"id"`
	Kind                        string  `json:"kind"` // zone or conduit
	PDetectedBeforeImpactBefore float64 `json:"p_detected_before_impact_before"`
	PDetectedBeforeImpactAfter  float64 `json:"p_detected_before_impact_after"`
	RiskBefore                  float64 `json:"risk_before"`
	RiskAfter                   float64 `json:"risk_after"`
}

// Run simulates g with the options and, unless NoDecisions, ranks fixes and
// places sensors by re-simulation.
func Run(ctx context.Context, g *graph.Graph, opt Options) (*Report, error) {
	s, err := New(g, opt)
	if err != nil {
		return nil, err
	}
	cache := newConsequenceCache(g.City, s.opt.Consequencer)
	t, err := s.Run(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.report(t, cache)
	if err != nil {
		return nil, err
	}
	if !s.opt.NoDecisions {
		if r.Fixes, err = s.rankFixes(ctx, t, cache); err != nil {
			return nil, err
		}
		if r.Sensors, err = s.placeSensors(ctx, cache); err != nil {
			return nil, err
		}
	}
	r.ConsequenceEvaluations = cache.evals
	return r, nil
}

// variant is a re-simulation of s with other fixes or sensors (by id) and
// n campaigns, sharing the seed and the runner.
func (s *Sim) variant(ctx context.Context, phase string, fixes, sensors []string, n int64) (*Tally, error) {
	opt := s.opt
	opt.Campaigns = n
	opt.Progress = nil
	opt.Fixes = fixes
	opt.Sensors = sensors
	v, err := New(s.g, opt)
	if err != nil {
		return nil, err
	}
	return v.run(ctx, phase)
}

func (s *Sim) progress(phase string, done, total int64) {
	if s.opt.Progress != nil {
		s.opt.Progress(phase, done, total)
	}
}

// rankFixes re-simulates every candidate fix: the minimum cut of the attack
// graph and the fixable steps most used by successful campaigns.
func (s *Sim) rankFixes(ctx context.Context, main *Tally, cache *consequenceCache) ([]FixResult, error) {
	g := s.g
	an, err := g.Analyze(graph.Options{K: 1, Apply: s.opt.Fixes, Workers: s.opt.Workers})
	if err != nil {
		return nil, fmt.Errorf("minimum cut: %w", err)
	}
	inCut := map[int32]bool{}
	var cands []int32
	for _, f := range an.Fixes {
		inCut[f.Fix] = true
		cands = append(cands, f.Fix)
	}
	type used struct {
		fix int32
		n   int64
	}
	var us []used
	for e, n := range main.Used {
		if f := g.Fix[e]; f >= 0 && n > 0 && !inCut[f] && (s.removed == nil || !s.removed[e]) {
			us = append(us, used{f, n})
		}
	}
	sort.Slice(us, func(i, j int) bool {
		if us[i].n != us[j].n {
			return us[i].n > us[j].n
		}
		return us[i].fix < us[j].fix
	})
	for i := 0; i < len(us) && i < s.opt.FixCandidates; i++ {
		cands = append(cands, us[i].fix)
	}
	n := s.opt.DecisionCampaigns
	base := main
	if n != s.opt.Campaigns {
		if base, err = s.variant(ctx, "fixes", s.opt.Fixes, s.opt.Sensors, n); err != nil {
			return nil, err
		}
	}
	before, err := s.risk(base, cache)
	if err != nil {
		return nil, err
	}
	out := make([]FixResult, 0, len(cands))
	for i, f := range cands {
		fx := g.Fixes[f]
		t, err := s.variant(ctx, "fixes", append(slices.Clone(s.opt.Fixes), fx.ID), s.opt.Sensors, n)
		if err != nil {
			return nil, err
		}
		after, err := s.risk(t, cache)
		if err != nil {
			return nil, err
		}
		fr := FixResult{ID: fx.ID, Kind: fx.Kind, Action: fx.Action, Cost: fx.Cost, InMinCut: inCut[f],
			UsedBy:     ratio(main.Used[fx.Edge], main.Successes),
			RiskBefore: before, RiskAfter: after, RiskRemoved: before - after,
			PSuccessBefore: ratio(base.Successes, base.Campaigns), PSuccessAfter: ratio(t.Successes, t.Campaigns)}
		if fx.Cost > 0 {
			fr.RemovedPerCost = fr.RiskRemoved / fx.Cost
		}
		out = append(out, fr)
		s.progress("fixes", int64(i+1), int64(len(cands)))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].RemovedPerCost != out[j].RemovedPerCost {
			return out[i].RemovedPerCost > out[j].RemovedPerCost
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// placeSensors chooses greedily the next sensors (zones or conduits not yet
// monitored) that most raise the probability of detection before impact,
// re-simulating half the decision campaigns per candidate.
func (s *Sim) placeSensors(ctx context.Context, cache *consequenceCache) ([]SensorResult, error) {
	c := s.g.City
	n := max(s.opt.DecisionCampaigns/2, 1)
	cur := s.sensors.clone()
	ids := slices.Clone(s.opt.Sensors)
	base, err := s.variant(ctx, "sensors", s.opt.Fixes, ids, n)
	if err != nil {
		return nil, err
	}
	curP := ratio(base.DetectedBeforeImpact, base.Campaigns)
	curRisk, err := s.risk(base, cache)
	if err != nil {
		return nil, err
	}
	out := []SensorResult{}
	for rank := 1; rank <= s.opt.SensorPicks; rank++ {
		type cand struct {
			id, kind string
			zone     int
			p, risk  float64
		}
		var best *cand
		try := func(id, kind string, zone int) error {
			t, err := s.variant(ctx, "sensors", s.opt.Fixes, append(slices.Clone(ids), id), n)
			if err != nil {
				return err
			}
			risk, err := s.risk(t, cache)
			if err != nil {
				return err
			}
			cd := &cand{id, kind, zone, ratio(t.DetectedBeforeImpact, t.Campaigns), risk}
			if best == nil || cd.p > best.p || (cd.p == best.p && cd.risk < best.risk) {
				best = cd
			}
			return nil
		}
		for zi, z := range c.Zones {
			if cur.Zones[zi] {
				continue
			}
			if err := try(z.ID, "zone", zi); err != nil {
				return nil, err
			}
		}
		for ci, cd := range c.Conduits {
			if cur.Conduits[ci] {
				continue
			}
			if err := try(cd.ID, "conduit", -1-ci); err != nil {
				return nil, err
			}
		}
		if best == nil || best.p <= curP {
			break // no sensor adds detection
		}
		out = append(out, SensorResult{Rank: rank, ID: best.id, Kind: best.kind,
			PDetectedBeforeImpactBefore: curP, PDetectedBeforeImpactAfter: best.p, RiskBefore: curRisk, RiskAfter: best.risk})
		ids = append(ids, best.id)
		if best.zone >= 0 {
			cur.Zones[best.zone] = true
		} else {
			cur.Conduits[-1-best.zone] = true
		}
		curP, curRisk = best.p, best.risk
		s.progress("sensors", int64(rank), int64(s.opt.SensorPicks))
	}
	return out, nil
}
