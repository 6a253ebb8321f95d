package cascade

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
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
	// baseEV are the emergency trips of sc with no signal dark.
	baseEV []traffic.EmergencyResult

	mu   sync.Mutex
	runs map[string]*traffic.Result // by sorted dark signals: runs are deterministic
}

func init() {
	Register("ctm", func(c *model.City, arg string) (Engine, error) { return NewTraffic(c, arg) })
}

// NewTraffic reads arg, "NET.net.xml,ROUTES.rou.xml[,WINDOW]" (WINDOW a
// duration, default 1 h) or "sample[,WINDOW]" (SampleStreets: the embedded
// street network of the sample city), runs the window once without
// outages, and maps the city's signal refs to the network's signals.
func NewTraffic(c *model.City, arg string) (*Traffic, error) {
	parts := strings.Split(arg, ",")
	if parts[0] == SampleStreets && len(parts) <= 2 {
		return newSampleTraffic(c, parts[1:])
	}
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return nil, diag.Errorf("the ctm engine needs a network and routes: ctm:NET.net.xml,ROUTES.rou.xml[,WINDOW] (or ctm:sample for the sample city's streets)")
	}
	window, err := trafficWindow(parts[2:])
	if err != nil {
		return nil, err
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
	return newTraffic(c, parts[0], traffic.Scenario{Net: net, Routes: routes, Duration: window.Seconds()})
}

// trafficWindow reads the optional WINDOW of the engine's argument.
func trafficWindow(opt []string) (time.Duration, error) {
	if len(opt) == 0 {
		return defaultTrafficWindow, nil
	}
	w, err := ParseTime(opt[0])
	if err != nil || w < time.Minute {
		return 0, diag.Errorf("ctm engine window %q: give a duration of a minute or more, e.g. 1h", opt[0])
	}
	return w, nil
}

// newTraffic maps the signal refs of c to the signals of sc's network
// (named file in messages) and runs sc without outages.
func newTraffic(c *model.City, file string, sc traffic.Scenario) (*Traffic, error) {
	t := &Traffic{sc: sc, signals: map[*model.Element][]string{}}
	known := map[string]bool{}
	for _, s := range sc.Net.Signals() {
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
				return nil, diag.Errorf("element %s: ref %q: network %s has no signal %q", e.ID, e.Ref, file, id)
			}
			t.signals[e] = append(t.signals[e], id)
		}
	}
	base, err := t.run(nil)
	if err != nil {
		return nil, fmt.Errorf("network without outages: %w", err)
	}
	t.base = base.DelayVehHours + base.DepartDelayVehHours
	t.baseEV = base.Emergency
	return t, nil
}

// Name implements Engine.
func (*Traffic) Name() string { return "ctm" }

// run simulates the window with the signals dark, once per set of
// signals: later calls with the same set reuse the result.
func (t *Traffic) run(dark []string) (*traffic.Result, error) {
	key := slices.Clone(dark)
	slices.Sort(key)
	k := strings.Join(key, ",")
	t.mu.Lock()
	defer t.mu.Unlock()
	if res, ok := t.runs[k]; ok {
		return res, nil
	}
	sc := t.sc
	if len(dark) > 0 {
		sc.Attacks = []traffic.Attack{{Kind: traffic.Dark, From: 0, To: sc.Duration, Signals: key}}
	}
	res, err := traffic.Run(context.Background(), &sc)
	if err != nil {
		return nil, err
	}
	if t.runs == nil {
		t.runs = map[string]*traffic.Result{}
	}
	t.runs[k] = res
	return res, nil
}

// Measure implements Engine.
func (t *Traffic) Measure(outages []Outage, horizon float64) (Measure, error) {
	var out Measure
	var dark []string
	perHour := t.sc.Duration / 3600
	owns := func(o Outage) bool { _, ok := t.signals[o.Element]; return ok }
	add := func(o Outage) {
		for _, id := range t.signals[o.Element] {
			if !slices.Contains(dark, id) {
				dark = append(dark, id)
			}
		}
	}
	solve := func(o Outage) (float64, error) {
		res, err := t.run(dark)
		if err != nil {
			return 0, fmt.Errorf("%s dark: %w", strings.Join(dark, ","), err)
		}
		rate := max(0, res.DelayVehHours+res.DepartDelayVehHours-t.base) / perHour
		out.Notes = append(out.Notes, fmt.Sprintf("%s out at %s: signals %s dark, %.1f vehicle-hours of delay per hour beyond the %.1f of the intact network (ctm)%s",
			o.Element.ID, clock(minutes(o.At)), strings.Join(dark, ","), rate, t.base/perHour, t.emergencyNote(res.Emergency)))
		return rate, nil
	}
	vh, declared, err := stepwise(outages, horizon, owns, add, solve)
	if err != nil {
		return Measure{}, err
	}
	out.VehicleHours += vh
	out.addDeclared(declared, horizon)
	return out, nil
}
