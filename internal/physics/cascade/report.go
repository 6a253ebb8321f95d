package cascade

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the impact for people: the timeline of outages, then
// the consequences with the minutes until each.
func (imp *Impact) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Cascade impact on %s over %s\n", orName(imp.City), hoursText(imp.HorizonH))
	fmt.Fprintf(&b, "  effects: %s\n\nTIMELINE\n", strings.Join(imp.Effects, ", "))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, e := range imp.Events {
		what := string(e.Sector)
		if e.What == "facility" {
			what = "facility"
		}
		why := "initial effect"
		if e.Cause != "effect" {
			why = fmt.Sprintf("lost %s from %s", e.Cause, e.Via)
			if e.Backup != "" {
				why += " after its " + e.Backup + " backup"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", clock(e.AtMin), e.ID, what, why)
	}
	tw.Flush()
	b.WriteString("\nCONSEQUENCES\n")
	if len(imp.People) == 0 {
		b.WriteString("  nobody loses a service\n")
	}
	for _, s := range imp.People {
		fmt.Fprintf(&b, "  without %-16s %9s people from %s, %s people-hours (%s)\n", s.Service+":", thousands(s.People), clock(s.FromMin), thousands(int(s.PeopleHours+0.5)), strings.Join(s.Elements, ", "))
	}
	fmt.Fprintf(&b, "  critical facilities affected: %d\n", len(imp.Facilities))
	for _, f := range imp.Facilities {
		var lost []string
		for _, l := range f.Lost {
			s := fmt.Sprintf("%s from %s at %s", l.Kind, l.Via, clock(l.AtMin))
			if l.Backup != "" {
				s += " (after " + l.Backup + ")"
			}
			lost = append(lost, s)
		}
		fmt.Fprintf(&b, "    %s %s (%s, serves %s): loses %s\n", clock(f.AtMin), f.ID, f.Kind, thousands(f.Population), strings.Join(lost, "; "))
	}
	fmt.Fprintf(&b, "  emergency routes blocked: %d\n", len(imp.EmergencyRoutes))
	for _, r := range imp.EmergencyRoutes {
		fmt.Fprintf(&b, "    %s %s\n", clock(r.AtMin), r.Element)
	}
	fmt.Fprintf(&b, "  energy not served: %.1f MWh\n", imp.MWhUnserved)
	fmt.Fprintf(&b, "  traffic delay: %.0f vehicle-hours\n", imp.VehicleHours)
	if len(imp.Engines) > 0 {
		var es []string
		for _, s := range sortedSectors(imp.Engines) {
			es = append(es, fmt.Sprintf("%s=%s", s, imp.Engines[s]))
		}
		fmt.Fprintf(&b, "  measured by: %s\n", strings.Join(es, ", "))
	}
	for _, n := range imp.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orName(s string) string {
	if s == "" {
		return "the city"
	}
	return s
}

// clock formats minutes as "+0 min", "+4 h", "+12 h 30 min".
func clock(min float64) string {
	if min < 60 {
		return "+" + trimFloat(min) + " min"
	}
	h := int(min / 60)
	rest := min - float64(h*60)
	if rest < 0.005 {
		return fmt.Sprintf("+%d h", h)
	}
	return fmt.Sprintf("+%d h %s min", h, trimFloat(rest))
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
