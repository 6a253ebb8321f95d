package cascade

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/traffic"
)

// defaultTrafficWindow is the demand window the traffic engine simulates.
const defaultTrafficWindow = time.Hour

// Traffic is the street engine: the elements whose ref is
// "signal:ID[,ID...]" (tlLogic ids of a SUMO network) go dark — no power,
// drivers treat the junctions as all-way stops (traffic.Dark) — and the
// cell transmission model of internal/physics/traffic measures the delay
// (in the network and waiting to enter) over one demand window of the
// route file, beyond the same window with every signal working. That
// extra delay per hour, for the set of signals dark at each moment, is
// integrated over the hours to the horizon: the route file's demand is
// taken as typical of every hour. Elements without such a ref keep their
// declared delay_vehicle_hours.
type Traffic struct {
	sc      traffic.Scenario
	signals map[*model.Element][]string
	base    float64 // veh·h of delay of the window with no signal dark
}

func init() {
	Register("ctm", func(c *model.City, arg string) (Engine, error) { return NewTraffic(c, arg) })
}

// NewTraffic reads arg, "NET.net.xml,ROUTES.rou.xml[,WINDOW]" (WINDOW a
// duration, default 1 h), runs the window once without outages, and maps
// the city's signal refs to the network's signals.
func NewTraffic(c *model.City, arg string) (*Traffic, error) {
	parts := strings.Split(arg, ",")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return nil, diag.Errorf("the ctm engine needs a network and routes: ctm:NET.net.xml,ROUTES.rou.xml[,WINDOW]")
	}
	window := defaultTrafficWindow
	if len(parts) == 3 {
		var err error
		if window, err = ParseTime(parts[2]); err != nil || window < time.Minute {
			return nil, diag.Errorf("ctm engine window %q: give a duration of a minute or more, e.g. 1h", parts[2])
		}
	}
	for _, f := range parts[:2] {
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			return nil, diag.Errorf("ctm engine: %s not found", f)
		}
	}
	net, err := traffic.ReadNetFile(parts[0])
	if err != nil {
		return nil, err
	}
	routes, err := traffic.ReadRoutesFile(parts[1])
	if err != nil {
		return nil, err
	}
	t := &Traffic{sc: traffic.Scenario{Net: net, Routes: routes, Duration: window.Seconds()}, signals: map[*model.Element][]string{}}
	known := map[string]bool{}
	for _, s := range net.Signals() {
		known[s.ID] = true
	}
	for i := range c.Elements {
		e := &c.Elements[i]
		ids, ok := strings.CutPrefix(e.Ref, "signal:")
		if !ok {
			continue
		}
		for _, id := range strings.Split(ids, ",") {
			if !known[id] {
				return nil, diag.Errorf("element %s: ref %q: network %s has no signal %q", e.ID, e.Ref, parts[0], id)
			}
			t.signals[e] = append(t.signals[e], id)
		}
	}
	if t.base, err = t.delay(nil); err != nil {
		return nil, fmt.Errorf("network without outages: %w", err)
	}
	return t, nil
}

// Name implements Engine.
func (*Traffic) Name() string { return "ctm" }

// delay runs the window with the signals dark and returns its delay.
func (t *Traffic) delay(dark []string) (float64, error) {
	sc := t.sc
	if len(dark) > 0 {
		sc.Attacks = []traffic.Attack{{Kind: traffic.Dark, From: 0, To: sc.Duration, Signals: dark}}
	}
	res, err := traffic.Run(context.Background(), &sc)
	if err != nil {
		return 0, err
	}
	return res.DelayVehHours + res.DepartDelayVehHours, nil
}

// Measure implements Engine.
func (t *Traffic) Measure(outages []Outage, horizon float64) (Measure, error) {
	var out Measure
	var dark []string
	var declared []Outage
	rate, since := 0.0, 0.0
	perHour := t.sc.Duration / 3600
	for i, o := range outages {
		ids, ok := t.signals[o.Element]
		if !ok {
			declared = append(declared, o)
			continue
		}
		out.VehicleHours += rate * (o.At - since)
		since = o.At
		for _, id := range ids {
			if !slices.Contains(dark, id) {
				dark = append(dark, id)
			}
		}
		if i+1 < len(outages) && outages[i+1].At == o.At {
			if _, next := t.signals[outages[i+1].Element]; next {
				continue // one run for simultaneous outages
			}
		}
		d, err := t.delay(dark)
		if err != nil {
			return Measure{}, fmt.Errorf("%s dark: %w", strings.Join(dark, ","), err)
		}
		rate = max(0, d-t.base) / perHour
		out.Notes = append(out.Notes, fmt.Sprintf("%s out at %s: signals %s dark, %.1f vehicle-hours of delay per hour beyond the %.1f of the intact network (ctm)",
			o.Element.ID, clock(minutes(o.At)), strings.Join(dark, ","), rate, t.base/perHour))
	}
	if horizon > since {
		out.VehicleHours += rate * (horizon - since)
	}
	d, _ := Declared{}.Measure(declared, horizon)
	out.MWhUnserved += d.MWhUnserved
	out.VehicleHours += d.VehicleHours
	return out, nil
}
