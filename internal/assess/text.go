package assess

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// TextOptions limit the terminal report.
type TextOptions struct {
	Targets int // targets shown with their paths (0: 20)
	Fixes   int // fixes shown (0: 15)
}

// WriteText writes the readable report: per target its top paths, each
// step with asset, technique and stage; then the top fixes.
func (r *Report) WriteText(w io.Writer, opt TextOptions) error {
	if opt.Targets <= 0 {
		opt.Targets = 20
	}
	if opt.Fixes <= 0 {
		opt.Fixes = 15
	}
	var b strings.Builder
	s := r.Summary
	name := r.City
	if name == "" {
		name = "an unnamed city"
	}
	fmt.Fprintf(&b, "Citadel assessment of %s (%s)\n", name, r.Model)
	fmt.Fprintf(&b, "  %d zones, %d assets (%s devices), %d bridging assets, %d entry points\n",
		s.Zones, s.Assets, thousands(s.Devices), s.Bridges, s.EntryPoints)
	fmt.Fprintf(&b, "  %d of %d targets reachable; total risk %.2f; attack graph %s nodes, %s edges\n",
		s.TargetsReachable, s.Targets, s.Risk, thousands(s.GraphNodes), thousands(s.GraphEdges))
	if r.Intel != "" {
		fmt.Fprintf(&b, "  vulnerability feed %s: %d assets with known vulnerabilities, %d with CISA KEV entries\n", r.Intel, s.VulnerableAssets, s.KEVAssets)
	} else {
		fmt.Fprintf(&b, "  no vulnerability feed (--intel DIR): only the CVEs the model declares are used\n")
	}
	if len(r.Applied) > 0 {
		fmt.Fprintf(&b, "  fixes applied: %s\n", strings.Join(r.Applied, ", "))
	}

	targets := slices.Clone(r.Targets)
	slices.SortStableFunc(targets, func(a, b Target) int {
		if c := cmp.Compare(b.Risk, a.Risk); c != 0 {
			return c
		}
		return cmp.Compare(sectorRank(a.Sector), sectorRank(b.Sector))
	})
	fmt.Fprintf(&b, "\nTARGETS by risk (risk = criticality weight × probability of the most likely path)\n")
	for i, t := range targets {
		if i == opt.Targets {
			fmt.Fprintf(&b, "\n  … %d more targets (use --targets N or --json)\n", len(targets)-i)
			break
		}
		fmt.Fprintf(&b, "\n[%s] %s  (%s)  risk %.2f\n  loss: %s\n", t.Criticality, t.ID, t.Sector, t.Risk, t.Loss)
		if !t.Reachable {
			fmt.Fprintf(&b, "  no attack path from any entry point\n")
			continue
		}
		for pi, p := range t.Paths {
			fmt.Fprintf(&b, "  path %d: probability %.3f, about %.0f h of attacker effort\n", pi+1, p.Probability, p.Hours)
			for si, st := range p.Steps {
				fmt.Fprintf(&b, "    %2d. %s\n", si+1, stepLine(st))
			}
		}
	}
	fmt.Fprintf(&b, "\nFIXES: minimum cut of %d fixes, cost %.1f", r.Cut.Fixes, r.Cut.Cost)
	switch {
	case len(r.Cut.Uncuttable) > 0:
		fmt.Fprintf(&b, "; no fix in the catalogue cuts every path to %s", strings.Join(r.Cut.Uncuttable, ", "))
	case r.Summary.TargetsReachable == 0:
		fmt.Fprintf(&b, "; no target is reachable, so there is no path to cut")
	default:
		fmt.Fprintf(&b, "; applied together they cut every path to every target")
	}
	fmt.Fprintf(&b, "\n  %-3s %-40s %8s %6s %6s  %s\n", "#", "fix", "risk cut", "paths", "cost", "action")
	for i, f := range r.Fixes {
		if i == opt.Fixes {
			fmt.Fprintf(&b, "  … %d more fixes (use --fixes N or --json)\n", len(r.Fixes)-i)
			break
		}
		fmt.Fprintf(&b, "  %-3d %-40s %8.2f %6d %6.1f  %s\n", i+1, trunc(f.ID, 40), f.RiskRemoved, f.PathsCut, f.Cost, f.Action)
	}
	if d := r.Delta; d != nil {
		fmt.Fprintf(&b, "\nDELTA with the applied fixes: total risk %.2f → %.2f\n", d.RiskBefore, d.RiskAfter)
		for _, t := range d.Targets {
			if t.ProbabilityBefore != t.ProbabilityAfter {
				fmt.Fprintf(&b, "  %-30s %.3f → %.3f\n", t.ID, t.ProbabilityBefore, t.ProbabilityAfter)
			}
		}
	}
	if r.Simulation != nil {
		b.WriteString("\n")
		if err := r.Simulation.WriteSummary(&b, 5); err != nil {
			return err
		}
		b.WriteString("  (citadel simulate runs more campaigns, other attackers, and ranks fixes and sensors by re-simulation)\n")
	}
	fmt.Fprintf(&b, "\nTechnique names from MITRE ATT&CK®. %s\n", r.AttackNotice)
	_, err := io.WriteString(w, b.String())
	return err
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
