package water

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/citadel-city/citadel/internal/atomicfile"
)

// num formats a result value as the shortest decimal that round-trips to
// the same float32, as the reference CSV files do.
func num(b []byte, v float64) []byte {
	// Fast path for whole numbers, which 'g' prints as plain integers
	// below 1e6 (settings, zero flows, statuses).
	if v > -1e6 && v < 1e6 {
		if i := int64(v); float64(i) == v && (i != 0 || !math.Signbit(v)) {
			return strconv.AppendInt(b, i, 10)
		}
	}
	return strconv.AppendFloat(b, v, 'g', -1, 32)
}

// WriteNodesCSV writes period,time_s,node_id,demand,head,pressure,quality.
func (r *Results) WriteNodesCSV(w io.Writer) error {
	return r.writeCSV(w, "period,time_s,node_id,demand,head,pressure,quality\n", func(b []byte, sn *Snapshot) []byte {
		for i, n := range r.Net.Nodes {
			b = rowStart(b, sn, n.ID)
			for _, v := range [...]float64{sn.Demand[i], sn.Head[i], sn.Pressure[i], sn.Quality[i]} {
				b = append(b, ',')
				b = num(b, v)
			}
			b = append(b, '\n')
		}
		return b
	})
}

// WriteLinksCSV writes period,time_s,link_id,flow,velocity,headloss,quality,status,setting.
func (r *Results) WriteLinksCSV(w io.Writer) error {
	return r.writeCSV(w, "period,time_s,link_id,flow,velocity,headloss,quality,status,setting\n", func(b []byte, sn *Snapshot) []byte {
		for k, l := range r.Net.Links {
			b = rowStart(b, sn, l.ID)
			for _, v := range [...]float64{sn.Flow[k], sn.Velocity[k], sn.Headloss[k], sn.LinkQuality[k]} {
				b = append(b, ',')
				b = num(b, v)
			}
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(sn.Status[k]), 10)
			b = append(b, ',')
			b = num(b, sn.Setting[k])
			b = append(b, '\n')
		}
		return b
	})
}

func rowStart(b []byte, sn *Snapshot, id string) []byte {
	b = strconv.AppendInt(b, int64(sn.Period), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, sn.Time, 10)
	b = append(b, ',')
	return append(b, csvField(id)...)
}

// writeCSV formats the periods in parallel chunks (formatting floats is
// the cost of writing results) and writes them in order.
func (r *Results) writeCSV(w io.Writer, header string, period func([]byte, *Snapshot) []byte) error {
	if _, err := io.WriteString(w, header); err != nil {
		return err
	}
	n := len(r.Periods)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/16))
	bufs := make([][]byte, workers)
	var wg sync.WaitGroup
	for c := 0; c < workers; c++ {
		lo, hi := c*n/workers, (c+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			for p := lo; p < hi; p++ {
				b = period(b, &r.Periods[p])
			}
			bufs[c] = b
		}()
	}
	wg.Wait()
	for _, b := range bufs {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func csvField(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' {
			return strconv.Quote(s)
		}
	}
	return s
}

// WriteDir writes nodes.csv and links.csv into dir (created when missing),
// atomically, the two files concurrently.
func (r *Results) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	errc := make(chan error, 1)
	go func() {
		if err := atomicfile.Write(filepath.Join(dir, "links.csv"), 0o644, r.WriteLinksCSV); err != nil {
			errc <- fmt.Errorf("write links.csv: %w", err)
			return
		}
		errc <- nil
	}()
	err := atomicfile.Write(filepath.Join(dir, "nodes.csv"), 0o644, r.WriteNodesCSV)
	if err != nil {
		err = fmt.Errorf("write nodes.csv: %w", err)
	}
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

// Summary condenses a run for people and for an attack scorer.
type Summary struct {
	Title        string          `json:"title,omitempty"`
	Junctions    int             `json:"junctions"`
	Reservoirs   int             `json:"reservoirs"`
	Tanks        int             `json:"tanks"`
	Pipes        int             `json:"pipes"`
	Pumps        int             `json:"pumps"`
	Valves       int             `json:"valves"`
	FlowUnits    string          `json:"flow_units"`
	Headloss     string          `json:"headloss"`
	Periods      int             `json:"periods"`
	DurationS    int64           `json:"duration_s"`
	Warnings     []string        `json:"warnings"`
	TankEvents   []TankEvent     `json:"tank_events"`
	LowPressure  []PressureIssue `json:"negative_pressures"`
	Energy       []PumpEnergy    `json:"pump_energy"`
	TotalKWh     float64         `json:"total_kwh"`
	TotalCost    float64         `json:"total_cost"`
	NotSimulated []string        `json:"not_simulated,omitempty"`
}

// TankEvent says that a tank was empty or full at some reporting periods.
type TankEvent struct {
	Tank    string `json:"tank"`
	State   string `json:"state"` // "empty", "full" or "overflowing"
	Periods int    `json:"periods"`
	FirstS  int64  `json:"first_time_s"`
}

// PressureIssue is a junction with negative pressure at some periods.
type PressureIssue struct {
	Node    string  `json:"node"`
	Periods int     `json:"periods"`
	Min     float64 `json:"min_pressure"`
	FirstS  int64   `json:"first_time_s"`
}

// Summarize computes the summary of a run.
func (r *Results) Summarize() *Summary {
	net := r.Net
	s := &Summary{FlowUnits: net.Options.Flow.String(), Headloss: net.Options.Headloss.String(), Periods: len(r.Periods),
		Warnings: append([]string{}, r.Warnings...), Energy: r.Energy, TankEvents: []TankEvent{}, LowPressure: []PressureIssue{},
		NotSimulated: net.Ignored}
	if len(net.Title) > 0 {
		s.Title = net.Title[0]
	}
	if len(r.Periods) > 0 {
		s.DurationS = r.Periods[len(r.Periods)-1].Time
	}
	s.Junctions, s.Reservoirs, s.Tanks, s.Pipes, s.Pumps, s.Valves = net.Counts()
	for i, n := range net.Nodes {
		switch n.Kind {
		case Junction:
			var pi PressureIssue
			for _, sn := range r.Periods {
				if p := sn.Pressure[i]; p < 0 {
					if pi.Periods == 0 {
						pi.FirstS = sn.Time
						pi.Min = p
					}
					pi.Periods++
					pi.Min = math.Min(pi.Min, p)
				}
			}
			if pi.Periods > 0 {
				pi.Node = n.ID
				s.LowPressure = append(s.LowPressure, pi)
			}
		case Tank:
			for _, st := range []string{"empty", "full", "overflowing"} {
				ev := TankEvent{Tank: n.ID, State: st}
				for _, sn := range r.Periods {
					lvl := sn.Head[i] - n.Elev
					full := lvl >= n.MaxLevel-1e-3
					// An overflow-capable tank that is full and still fed spills.
					spill := full && n.Overflow && sn.Demand[i] > 0
					if st == "empty" && lvl <= n.MinLevel+1e-3 || st == "full" && full && !spill || st == "overflowing" && spill {
						if ev.Periods == 0 {
							ev.FirstS = sn.Time
						}
						ev.Periods++
					}
				}
				if ev.Periods > 0 {
					s.TankEvents = append(s.TankEvents, ev)
				}
			}
		}
	}
	for _, e := range r.Energy {
		s.TotalKWh += e.KWh
		s.TotalCost += e.Cost
	}
	if len(s.LowPressure) > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("negative pressures at %d junctions", len(s.LowPressure)))
	}
	return s
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if s.Title != "" {
		fmt.Fprintf(bw, "%s\n", s.Title)
	}
	fmt.Fprintf(bw, "network: %d junctions, %d reservoirs, %d tanks, %d pipes, %d pumps, %d valves (%s, %s)\n",
		s.Junctions, s.Reservoirs, s.Tanks, s.Pipes, s.Pumps, s.Valves, s.FlowUnits, s.Headloss)
	fmt.Fprintf(bw, "simulated: %d reporting periods, %s\n", s.Periods, clock(s.DurationS))
	for _, w := range s.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", w)
	}
	for _, e := range s.TankEvents {
		fmt.Fprintf(bw, "tank %s %s at %d periods (first at %s)\n", e.Tank, e.State, e.Periods, clock(e.FirstS))
	}
	const maxShown = 10
	for i, p := range s.LowPressure {
		if i == maxShown {
			fmt.Fprintf(bw, "... and %d more junctions with negative pressure\n", len(s.LowPressure)-maxShown)
			break
		}
		fmt.Fprintf(bw, "negative pressure at %s: %d periods, min %.3f (first at %s)\n", p.Node, p.Periods, p.Min, clock(p.FirstS))
	}
	if len(s.Energy) > 0 {
		fmt.Fprintf(bw, "pumps: %.1f kWh, cost %.2f\n", s.TotalKWh, s.TotalCost)
	}
	for _, n := range s.NotSimulated {
		fmt.Fprintf(bw, "not simulated: %s\n", n)
	}
	return bw.Flush()
}
