package traffic

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Report is a run under attack beside the same scenario without attacks.
type Report struct {
	Result   *Result  `json:"result"`
	Baseline *Result  `json:"baseline,omitempty"`
	Attacks  []Attack `json:"attacks,omitempty"`
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	res := r.Result
	fmt.Fprintf(&b, "engine %s, %.0f s simulated\n", res.Engine, res.Duration)
	for _, a := range r.Attacks {
		on := "all signals"
		if len(a.Signals) > 0 {
			on = strings.Join(a.Signals, ",")
		}
		fmt.Fprintf(&b, "attack %s %.0f-%.0f s on %s\n", a.Kind, a.From, a.To, on)
	}
	row := func(name, unit string, f func(*Result) float64) {
		fmt.Fprintf(&b, "  %-28s %10.1f", name, f(res))
		if r.Baseline != nil {
			base := f(r.Baseline)
			fmt.Fprintf(&b, "  (baseline %.1f, %+.1f)", base, f(res)-base)
		}
		fmt.Fprintf(&b, " %s\n", unit)
	}
	row("vehicles loaded", "", func(x *Result) float64 { return x.Loaded })
	row("vehicles inserted", "", func(x *Result) float64 { return x.Inserted })
	row("vehicles arrived", "", func(x *Result) float64 { return x.Arrived })
	row("still running at end", "", func(x *Result) float64 { return x.Running })
	row("still waiting to enter", "", func(x *Result) float64 { return x.Waiting })
	row("throughput", "veh/h", func(x *Result) float64 { return x.ThroughputVehPerHour })
	row("mean travel time", "s", func(x *Result) float64 { return x.MeanTravelTime })
	row("mean depart delay", "s", func(x *Result) float64 { return x.MeanDepartDelay })
	row("delay in the network", "veh·h", func(x *Result) float64 { return x.DelayVehHours })
	row("delay waiting to enter", "veh·h", func(x *Result) float64 { return x.DepartDelayVehHours })
	if res.Engine != "ctm" {
		b.WriteString("queues, spillback and gridlock are measured by the ctm engine only\n")
		return r.writeTail(w, &b)
	}
	row("spillback", "lane·s", func(x *Result) float64 { return x.SpillbackLaneSeconds })
	if len(res.MaxQueue) > 0 {
		b.WriteString("longest queues:\n")
		for i, q := range res.MaxQueue {
			if i == 5 {
				break
			}
			fmt.Fprintf(&b, "  %-16s %6.0f m of %4.0f m at %5.0f s\n", q.Lane, q.Meters, q.Length, q.Time)
		}
	}
	if len(res.SpilledLanes) > 0 {
		fmt.Fprintf(&b, "spilled back to the upstream junction: %s\n", strings.Join(res.SpilledLanes, " "))
	}
	if g := res.Gridlock; g != nil {
		fmt.Fprintf(&b, "GRIDLOCK from %.0f s: %s\n", g.Since, strings.Join(g.Lanes, " → "))
	} else {
		b.WriteString("no gridlock\n")
	}
	return r.writeTail(w, &b)
}

// writeTail adds the emergency trips and the conflict monitor's trips and
// writes b to w.
func (r *Report) writeTail(w io.Writer, b *strings.Builder) error {
	res := r.Result
	for i, e := range res.Emergency {
		st := "arrived"
		if !e.Arrived {
			st = "NOT ARRIVED by the end"
		}
		fmt.Fprintf(b, "emergency %s→%s at %.0f s: %.0f s (free flow %.0f s) %s", e.From, e.To, e.Depart, e.TravelTime, e.FreeFlow, st)
		if r.Baseline != nil && i < len(r.Baseline.Emergency) {
			fmt.Fprintf(b, "; baseline %.0f s", r.Baseline.Emergency[i].TravelTime)
		}
		b.WriteString("\n")
	}
	for _, m := range res.MMUTrips {
		until := "end of run"
		if !math.IsInf(m.Until, 1) {
			until = fmt.Sprintf("%.0f s", m.Until)
		}
		fmt.Fprintf(b, "conflict monitor: signal %s to all-red flash at %.0f s until %s (%d conflicting pairs, e.g. links %d and %d)\n",
			m.Signal, m.Time, until, m.Pairs, m.LinkA, m.LinkB)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
