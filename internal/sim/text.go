package sim

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteText writes a readable summary of the report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Citadel simulation of %s: %s campaigns, attacker %s, seed %d\n", r.Model, thousands(r.Campaigns), r.Attacker, r.Seed)
	fmt.Fprintf(&b, "  budget %g h, containment %g h after detection, %d retries per step, consequences: %s\n", r.BudgetH, r.ResponseH, r.Retries, r.Consequencer)
	if len(r.AppliedFixes) > 0 {
		fmt.Fprintf(&b, "  with fixes: %s\n", strings.Join(r.AppliedFixes, ", "))
	}
	if len(r.AddedSensors) > 0 {
		fmt.Fprintf(&b, "  with added sensors: %s\n", strings.Join(r.AddedSensors, ", "))
	}
	o := r.Overall
	fmt.Fprintf(&b, "  objective achieved %s, any impact %s, detected before impact %s, contained %s\n",
		pct(o.PSuccess), pct(o.PAnyImpact), pct(o.PDetectedBeforeImpact), pct(o.PContained))
	fmt.Fprintf(&b, "  risk %s harm per campaign (expected); p95 %s; expected people affected %s\n\n",
		thousands(int64(o.Risk)), thousands(int64(o.Consequence.P95.Harm)), thousands(int64(o.Consequence.Expected.People)))

	b.WriteString("TARGETS by expected harm (harm: people-equivalents, docs/simulate.md)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  target\tcampaigns\tP(success) [95% CI]\tP(detected first)\timpact p50\tp90\texpected harm\t")
	ts := append([]TargetResult(nil), r.Targets...)
	sortTargets(ts)
	for _, t := range ts {
		if !t.Reachable {
			fmt.Fprintf(tw, "  %s\t-\tunreachable\t\t\t\t\t\n", t.ID)
			continue
		}
		if t.Campaigns == 0 {
			continue
		}
		p50, p90 := "-", "-"
		if t.TimeToImpact != nil {
			p50, p90 = hours(t.TimeToImpact.P50), hours(t.TimeToImpact.P90)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s [%s, %s]\t%s\t%s\t%s\t%s\t\n", t.ID, thousands(t.Campaigns), pct(t.PSuccess),
			pct(t.PSuccessCI95[0]), pct(t.PSuccessCI95[1]), pct(t.PDetectedBeforeImpact), p50, p90, thousands(int64(t.Consequence.Expected.Harm)))
	}
	tw.Flush()
	if len(r.Objectives) > 0 {
		b.WriteString("\nCOORDINATED objectives (all targets of the group hit together)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, ob := range r.Objectives {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", ob.Name, pct(ob.PSuccess), strings.Join(ob.Targets, ", "))
		}
		tw.Flush()
	}
	if len(r.Effects) > 0 {
		b.WriteString("\nEFFECT SETS (targets hit together), most likely first\n")
		for i, e := range r.Effects {
			if i == 8 {
				fmt.Fprintf(&b, "  ... %d more\n", len(r.Effects)-8)
				break
			}
			fmt.Fprintf(&b, "  %s  %s  (harm %s)\n", pct(e.Probability), strings.Join(e.Targets, " + "), thousands(int64(e.Consequence.Harm)))
		}
	}
	if len(r.Fixes) > 0 {
		b.WriteString("\nFIXES by risk removed per unit of cost (each re-simulated with the same seed)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  fix\tcost\trisk removed\tper cost\tP(success)\tmin cut\t")
		for _, f := range r.Fixes {
			cut := ""
			if f.InMinCut {
				cut = "yes"
			}
			fmt.Fprintf(tw, "  %s\t%.1f\t%s\t%s\t%s → %s\t%s\t\n", f.ID, f.Cost, thousands(int64(f.RiskRemoved)), thousands(int64(f.RemovedPerCost)),
				pct(f.PSuccessBefore), pct(f.PSuccessAfter), cut)
		}
		tw.Flush()
	}
	if len(r.Sensors) > 0 {
		b.WriteString("\nSENSORS to add next (greedy on detection before impact)\n")
		for _, s := range r.Sensors {
			fmt.Fprintf(&b, "  %d. %s %s: detected before impact %s → %s, risk %s → %s\n", s.Rank, s.Kind, s.ID,
				pct(s.PDetectedBeforeImpactBefore), pct(s.PDetectedBeforeImpactAfter), thousands(int64(s.RiskBefore)), thousands(int64(s.RiskAfter)))
		}
	}
	if r.Attacker == "adaptive" && len(r.Learning) > 1 {
		b.WriteString("\nLEARNING (adaptive attacker, per epoch)\n")
		step := max(1, len(r.Learning)/10)
		for i := 0; i < len(r.Learning); i += step {
			l := r.Learning[i]
			fmt.Fprintf(&b, "  after %s campaigns: success %s, detected before impact %s\n", thousands(l.Campaigns), pct(l.PSuccess), pct(l.PDetectedBeforeImpact))
		}
		if last := r.Learning[len(r.Learning)-1]; (len(r.Learning)-1)%step != 0 {
			fmt.Fprintf(&b, "  after %s campaigns: success %s, detected before impact %s\n", thousands(last.Campaigns), pct(last.PSuccess), pct(last.PDetectedBeforeImpact))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sortTargets orders targets by expected harm, then P(success), the
// unreachable last.
func sortTargets(ts []TargetResult) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.Reachable != b.Reachable {
			return a.Reachable
		}
		if a.Consequence.Expected.Harm != b.Consequence.Expected.Harm {
			return a.Consequence.Expected.Harm > b.Consequence.Expected.Harm
		}
		return a.PSuccess > b.PSuccess
	})
}

func pct(p float64) string { return fmt.Sprintf("%.1f%%", 100*p) }

func hours(sec float64) string {
	h := sec / 3600
	if h >= 48 {
		return fmt.Sprintf("%.1f d", h/24)
	}
	return fmt.Sprintf("%.1f h", h)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// WriteSummary writes the top lines of the report: the overall figures,
// the n targets of highest expected harm, the best fix and the next sensor
// (for `citadel assess`, which runs a default simulation).
func (r *Report) WriteSummary(w io.Writer, n int) error {
	var b strings.Builder
	o := r.Overall
	fmt.Fprintf(&b, "SIMULATION (%s campaigns, %s attacker, seed %d): objective achieved %s, detected before impact %s, risk %s harm per campaign\n",
		thousands(r.Campaigns), r.Attacker, r.Seed, pct(o.PSuccess), pct(o.PDetectedBeforeImpact), thousands(int64(o.Risk)))
	ts := append([]TargetResult(nil), r.Targets...)
	sortTargets(ts)
	for i, t := range ts {
		if i == n || t.Campaigns == 0 {
			break
		}
		p50 := "-"
		if t.TimeToImpact != nil {
			p50 = hours(t.TimeToImpact.P50)
		}
		fmt.Fprintf(&b, "  %-28s P(success) %s, impact in %s (median), detected first %s, expected harm %s\n",
			t.ID, pct(t.PSuccess), p50, pct(t.PDetectedBeforeImpact), thousands(int64(t.Consequence.Expected.Harm)))
	}
	if len(r.Fixes) > 0 {
		f := r.Fixes[0]
		fmt.Fprintf(&b, "  best fix: %s (risk %s → %s, %s per unit of cost)\n", f.ID, thousands(int64(f.RiskBefore)), thousands(int64(f.RiskAfter)), thousands(int64(f.RemovedPerCost)))
	}
	if len(r.Sensors) > 0 {
		s := r.Sensors[0]
		fmt.Fprintf(&b, "  next sensor: %s %s (detected before impact %s → %s)\n", s.Kind, s.ID, pct(s.PDetectedBeforeImpactBefore), pct(s.PDetectedBeforeImpactAfter))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
