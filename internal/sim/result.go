package sim

import (
	"math"
	"slices"
	"sort"

	"github.com/citadel-city/citadel/internal/model"
)

// Report is the result of a simulation with its decisions; its JSON form is
// documented in docs/simulate-json.md.
type Report struct {
	Model        string   `json:"model"`
	Attacker     string   `json:"attacker"`
	Seed         uint64   `json:"seed"`
	Campaigns    int64    `json:"campaigns"`
	BudgetH      float64  `json:"budget_h"`
	ResponseH    float64  `json:"response_h"`
	Retries      int      `json:"retries"`
	Epoch        int64    `json:"epoch"`
	Consequencer string   `json:"consequencer"`
	AppliedFixes []string `json:"applied_fixes"`
	AddedSensors []string `json:"added_sensors"`

	Overall    Overall           `json:"overall"`
	Targets    []TargetResult    `json:"targets"`
	Objectives []ObjectiveResult `json:"objectives,omitempty"`
	Effects    []EffectResult    `json:"effects"`
	Fixes      []FixResult       `json:"fixes"`
	Sensors    []SensorResult    `json:"sensors"`
	Learning   []EpochResult     `json:"learning"`

	// ConsequenceEvaluations is the number of distinct effect sets scored
	// by the consequencer over the simulation and its re-simulations.
	ConsequenceEvaluations int `json:"consequence_evaluations"`
}

// Overall summarises all campaigns.
type Overall struct {
	PSuccess              float64 `json:"p_success"` // whole objective achieved
	PAnyImpact            float64 `json:"p_any_impact"`
	PDetected             float64 `json:"p_detected"`
	PDetectedBeforeImpact float64 `json:"p_detected_before_impact"`
	PContained            float64 `json:"p_contained"`
	// Risk is the expected harm of a campaign, in people-equivalents.
	Risk        float64          `json:"risk"`
	Consequence ConsequenceStats `json:"consequence"`
}

// ConsequenceStats are the expected and 95th-percentile consequence of a
// campaign, per dimension and as harm.
type ConsequenceStats struct {
	Expected Amount `json:"expected"`
	P95      Amount `json:"p95"`
}

// Amount is a consequence in each dimension and its harm.
type Amount struct {
	People             float64 `json:"people"`
	CriticalFacilities float64 `json:"critical_facilities"`
	MWhUnserved        float64 `json:"mwh_unserved"`
	VehicleHours       float64 `json:"vehicle_hours"`
	Harm               float64 `json:"harm"`
}

func amountOf(x model.Consequence, h Harm) Amount {
	return Amount{People: float64(x.People), CriticalFacilities: float64(x.CriticalFacilities),
		MWhUnserved: x.MWhUnserved, VehicleHours: x.VehicleHours, Harm: h.Of(x)}
}

// TargetResult is what the campaigns aimed at one target came to.
type TargetResult struct {
	ID                    string            `json:"id"`
	Sector                string            `json:"sector"`
	Criticality           string            `json:"criticality"`
	Loss                  string            `json:"loss"`
	Reachable             bool              `json:"reachable"`
	Campaigns             int64             `json:"campaigns"`
	PSuccess              float64           `json:"p_success"`
	PSuccessCI95          [2]float64        `json:"p_success_ci95"`
	PDetected             float64           `json:"p_detected"`
	PDetectedBeforeImpact float64           `json:"p_detected_before_impact"`
	TimeToImpact          *Quantiles        `json:"time_to_impact_s"`
	Consequence           TargetConsequence `json:"consequence"`
}

// Quantiles of a time, in seconds.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
}

// TargetConsequence is a target's declared consequence and what the
// campaigns aimed at it are expected to cost.
type TargetConsequence struct {
	Declared model.Consequence `json:"declared"`
	Harm     float64           `json:"harm"`
	Expected Amount            `json:"expected"`
	P95      Amount            `json:"p95"`
}

// ObjectiveResult is one objective of the coordinated attacker.
type ObjectiveResult struct {
	Name      string   `json:"name"`
	Targets   []string `json:"targets"`
	Campaigns int64    `json:"campaigns"`
	PSuccess  float64  `json:"p_success"`
}

// EffectResult is one effect set: the targets achieved together.
type EffectResult struct {
	Targets     []string `json:"targets"`
	Probability float64  `json:"probability"`
	Consequence Amount   `json:"consequence"`
}

// EpochResult is one point of the learning curve.
type EpochResult struct {
	Epoch                 int     `json:"epoch"`
	Campaigns             int64   `json:"campaigns"` // campaigns run by the end of the epoch
	PSuccess              float64 `json:"p_success"`
	PDetectedBeforeImpact float64 `json:"p_detected_before_impact"`
}

// wilson is the 95 % Wilson score interval of k successes in n trials.
func wilson(k, n int64) [2]float64 {
	if n == 0 {
		return [2]float64{0, 1}
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	den := 1 + z*z/nn
	mid := (p + z*z/(2*nn)) / den
	half := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return [2]float64{max(0, mid-half), min(1, mid+half)}
}

func ratio(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// quantile returns the q-quantile of a histogram, in seconds.
func quantile(hist []int64, q float64) float64 {
	var n int64
	for _, v := range hist {
		n += v
	}
	if n == 0 {
		return 0
	}
	need := int64(math.Ceil(q * float64(n)))
	var cum int64
	for b, v := range hist {
		cum += v
		if cum >= need {
			return math.Round(binHours(b) * 3600)
		}
	}
	return math.Round(binHours(len(hist)-1) * 3600)
}

// effectStat is one effect set's count and consequence.
type effectStat struct {
	key   string
	count int64
	amt   Amount
}

// effectStats scores the tally's effect sets, sorted by key.
func (s *Sim) effectStats(t *Tally, cache *consequenceCache) ([]effectStat, error) {
	keys := make([]string, 0, len(t.Effects))
	for k := range t.Effects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]effectStat, 0, len(keys))
	for _, k := range keys {
		x, err := cache.get(k)
		if err != nil {
			return nil, err
		}
		out = append(out, effectStat{k, t.Effects[k], amountOf(x, s.opt.Harm)})
	}
	return out, nil
}

// consequenceStats are the expected and p95 consequence of n campaigns
// whose effects are es (campaigns without effect cost nothing).
func consequenceStats(es []effectStat, n int64) ConsequenceStats {
	var cs ConsequenceStats
	if n == 0 {
		return cs
	}
	get := []func(*Amount) *float64{
		func(a *Amount) *float64 { return &a.People },
		func(a *Amount) *float64 { return &a.CriticalFacilities },
		func(a *Amount) *float64 { return &a.MWhUnserved },
		func(a *Amount) *float64 { return &a.VehicleHours },
		func(a *Amount) *float64 { return &a.Harm },
	}
	for _, f := range get {
		type pt struct {
			v float64
			c int64
		}
		var pts []pt
		var sum float64
		var with int64
		for i := range es {
			v := *f(&es[i].amt)
			sum += v * float64(es[i].count)
			with += es[i].count
			pts = append(pts, pt{v, es[i].count})
		}
		pts = append(pts, pt{0, n - with})
		sort.Slice(pts, func(i, j int) bool { return pts[i].v < pts[j].v })
		*f(&cs.Expected) = sum / float64(n)
		need := int64(math.Ceil(0.95 * float64(n)))
		var cum int64
		for _, p := range pts {
			cum += p.c
			if cum >= need {
				*f(&cs.P95) = p.v
				break
			}
		}
	}
	return cs
}

// risk is the expected harm of a campaign.
func (s *Sim) risk(t *Tally, cache *consequenceCache) (float64, error) {
	es, err := s.effectStats(t, cache)
	if err != nil {
		return 0, err
	}
	return consequenceStats(es, t.Campaigns).Expected.Harm, nil
}

// report turns a tally into a report (without decisions).
func (s *Sim) report(t *Tally, cache *consequenceCache) (*Report, error) {
	c := s.g.City
	r := &Report{Model: c.Name, Attacker: s.opt.Attacker, Seed: s.opt.Seed, Campaigns: t.Campaigns,
		BudgetH: s.opt.Budget, ResponseH: s.opt.Response, Retries: s.opt.Retries, Epoch: s.opt.Epoch,
		Consequencer: s.opt.Consequencer.Name(), AppliedFixes: nonNil(s.opt.Fixes), AddedSensors: nonNil(s.opt.Sensors),
		Fixes: []FixResult{}, Sensors: []SensorResult{}}
	es, err := s.effectStats(t, cache)
	if err != nil {
		return nil, err
	}
	var anyImpact int64
	for _, e := range es {
		anyImpact += e.count
		var ids []string
		for _, ti := range decodeEffect(e.key) {
			ids = append(ids, c.Targets[ti].ID)
		}
		r.Effects = append(r.Effects, EffectResult{Targets: ids, Probability: ratio(e.count, t.Campaigns), Consequence: e.amt})
	}
	sort.SliceStable(r.Effects, func(i, j int) bool { return r.Effects[i].Probability > r.Effects[j].Probability })
	r.Overall = Overall{
		PSuccess: ratio(t.Successes, t.Campaigns), PAnyImpact: ratio(anyImpact, t.Campaigns),
		PDetected: ratio(t.Detected, t.Campaigns), PDetectedBeforeImpact: ratio(t.DetectedBeforeImpact, t.Campaigns),
		PContained: ratio(t.Contained, t.Campaigns), Consequence: consequenceStats(es, t.Campaigns),
	}
	r.Overall.Risk = r.Overall.Consequence.Expected.Harm
	reach := make([]bool, len(c.Targets))
	for _, ti := range s.env.Targets {
		reach[ti] = true
	}
	for ti := range c.Targets {
		tg := &c.Targets[ti]
		tt := &t.Targets[ti]
		p := ratio(tt.Successes, tt.Campaigns)
		declared, err := cache.get(string(appendEffect(nil, ti)))
		if err != nil {
			return nil, err
		}
		amt := amountOf(declared, s.opt.Harm)
		tr := TargetResult{ID: tg.ID, Sector: string(tg.Sector), Criticality: string(tg.Criticality), Loss: tg.Loss,
			Reachable: reach[ti], Campaigns: tt.Campaigns, PSuccess: p, PSuccessCI95: wilson(tt.Successes, tt.Campaigns),
			PDetected: ratio(tt.Detected, tt.Campaigns), PDetectedBeforeImpact: ratio(tt.DetectedBeforeImpact, tt.Campaigns),
			Consequence: TargetConsequence{Declared: declared, Harm: amt.Harm, Expected: scale(amt, p)}}
		if p >= 0.05 {
			tr.Consequence.P95 = amt
		}
		if tt.Successes > 0 {
			tr.TimeToImpact = &Quantiles{P50: quantile(tt.Hist, 0.5), P90: quantile(tt.Hist, 0.9)}
		}
		r.Targets = append(r.Targets, tr)
	}
	if s.opt.Attacker == "coordinated" {
		for i, gr := range CoordinatedGroups(c, s.env.Targets) {
			var ids []string
			for _, ti := range gr.Targets {
				ids = append(ids, c.Targets[ti].ID)
			}
			r.Objectives = append(r.Objectives, ObjectiveResult{Name: gr.Name, Targets: ids, Campaigns: t.ObjCampaigns[i],
				PSuccess: ratio(t.ObjSuccesses[i], t.ObjCampaigns[i])})
		}
	}
	var cum int64
	for i, ep := range t.Epochs {
		cum += ep.Campaigns
		r.Learning = append(r.Learning, EpochResult{Epoch: i + 1, Campaigns: cum, PSuccess: ratio(ep.Successes, ep.Campaigns),
			PDetectedBeforeImpact: ratio(ep.DetectedBeforeImpact, ep.Campaigns)})
	}
	return r, nil
}

func scale(a Amount, p float64) Amount {
	return Amount{People: a.People * p, CriticalFacilities: a.CriticalFacilities * p, MWhUnserved: a.MWhUnserved * p,
		VehicleHours: a.VehicleHours * p, Harm: a.Harm * p}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
