package cascade

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/traffic"
	"github.com/citadel-city/citadel/internal/shareddata"
)

// TestTrafficEngine darkens signals of SUMO's 4x4 grid: the engine's
// vehicle-hours must be the CTM's extra delay per hour of the route
// file's demand, run here independently, times the hours out, plus the
// declared delay of elements without a signal ref.
func TestTrafficEngine(t *testing.T) {
	dir := shareddata.Path(t, "traffic", "grid4x4", "inputs")
	netFile, rouFile := filepath.Join(dir, "4x4.net.xml"), filepath.Join(dir, "4x4c1.rou.xml")
	c := city(t, `
elements:
  - {id: A, kind: feeder-breaker, sector: energy}
  - {id: S1, kind: signal-group, sector: traffic, ref: "signal:5,6"}
  - {id: S2, kind: signal-group, sector: traffic, ref: "signal:9"}
  - {id: D, kind: signal-group, sector: traffic, delay_vehicle_hours: 7}
dependencies:
  - {element: S1, needs: [A], kind: power, backup: {kind: battery, hours: 2}}
  - {element: D, needs: [A], kind: power}
`)
	eng, err := NewEngine("ctm", c, netFile+","+rouFile+",20m")
	if err != nil {
		t.Fatal(err)
	}
	run := func(dark ...string) float64 {
		sc := &traffic.Scenario{Net: mustNet(t, netFile), Routes: mustRoutes(t, rouFile), Duration: 1200}
		if len(dark) > 0 {
			sc.Attacks = []traffic.Attack{{Kind: traffic.Dark, From: 0, To: 1200, Signals: dark}}
		}
		res, err := traffic.Run(context.Background(), sc)
		if err != nil {
			t.Fatal(err)
		}
		return res.DelayVehHours + res.DepartDelayVehHours
	}
	base, one, both := run(), run("5", "6"), run("5", "6", "9")
	if one <= base || both <= base {
		t.Fatalf("dark signals add no delay: base %g, 5+6 %g, 5+6+9 %g", base, one, both)
	}
	// A at 0 h: D out at once (declared 7 veh·h/h for 10 h), S1 at 2 h
	// (dark for 8 h); S2 at 6 h (with S1: 4 h).
	imp, err := Evaluate(c, []Effect{{Element: "A"}, {Element: "S2", At: 6 * time.Hour}},
		Options{Horizon: 10 * time.Hour, Engines: map[model.Sector]Engine{"traffic": eng}})
	if err != nil {
		t.Fatal(err)
	}
	want := 7*10 + (one-base)*3*4 + (both-base)*3*4 // 20-minute window: ×3 per hour
	if d := imp.VehicleHours - want; d > 1e-6*want || d < -1e-6*want {
		t.Errorf("%g vehicle-hours, want %g (notes %q)", imp.VehicleHours, want, imp.Notes)
	}
	if imp.Engines["traffic"] != "ctm" || len(imp.Notes) != 2 {
		t.Errorf("engines %v, notes %q", imp.Engines, imp.Notes)
	}

	for _, tc := range []struct{ arg, want string }{
		{netFile, "needs a network and routes"},
		{netFile + "," + rouFile + ",1s", "a minute or more"},
		{filepath.Join(dir, "nosuch.net.xml") + "," + rouFile, "nosuch.net.xml"},
	} {
		if _, err := NewEngine("ctm", c, tc.arg); err == nil || !diag.IsBadInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("arg %q: error %v, want bad input with %q", tc.arg, err, tc.want)
		}
	}
	bad := city(t, `elements: [{id: A, kind: signal-group, sector: traffic, ref: "signal:5,77"}]`)
	if _, err := NewEngine("ctm", bad, netFile+","+rouFile+",2m"); err == nil || !diag.IsBadInput(err) || !strings.Contains(err.Error(), `no signal "77"`) {
		t.Errorf("unknown signal: %v", err)
	}
}

func mustNet(t *testing.T, f string) *traffic.Net {
	t.Helper()
	n, err := traffic.ReadNetFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustRoutes(t *testing.T, f string) *traffic.Routes {
	t.Helper()
	r, err := traffic.ReadRoutesFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
