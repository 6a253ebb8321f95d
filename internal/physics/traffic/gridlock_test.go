package traffic

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// ring is four signalised junctions A B C D joined by a one-way ring of
// one-lane edges, with an entry and an exit at each junction. Each flow
// enters at one junction, drives three ring edges and leaves. Each signal
// alternates 30 s for the ring movements (link 0 ring→ring, link 2
// ring→exit) and 30 s for the entry (link 1 entry→ring).
func ring(t *testing.T, vph int) (*Net, *Routes) {
	nodes := []string{"A", "B", "C", "D"}
	var edges []tEdge
	var conns []tConn
	var tls, routes strings.Builder
	for i, a := range nodes {
		b := nodes[(i+1)%4]
		prev := nodes[(i+3)%4]
		edges = append(edges, tEdge{a + b, a, b, 100}, tEdge{"in" + a, "o" + a, a, 100}, tEdge{"out" + a, a, "x" + a, 100})
		conns = append(conns, tConn{prev + a, a + b, a, 0}, tConn{"in" + a, a + b, a, 1}, tConn{prev + a, "out" + a, a, 2})
		fmt.Fprintf(&tls, `<tlLogic id=%q type="static" programID="0" offset="0"><phase duration="30" state="GrG"/><phase duration="30" state="rGr"/></tlLogic>`, a)
		c, d := nodes[(i+2)%4], nodes[(i+3)%4]
		fmt.Fprintf(&routes, `<route id="r%s" edges="in%s %s%s %s%s %s%s out%s"/>`, a, a, a, b, b, c, c, d, d)
		fmt.Fprintf(&routes, `<flow id="f%s" route="r%s" begin="0" end="3600" vehsPerHour="%d"/>`, a, a, vph)
	}
	return synthNet(t, edges, conns, tls.String()), synthRoutes(t, routes.String())
}

// TestRingConflicts: without internal lanes the monitor falls back to
// edges: entry→ring (link 1) merges with ring→ring (link 0) and, coming
// from another approach and not a right turn, is taken to cross
// ring→exit (link 2); links 0 and 2 share their approach.
func TestRingConflicts(t *testing.T) {
	n, _ := ring(t, 100)
	for _, s := range n.Signals() {
		if got := s.ConflictingGreens("GGG"); len(got) != 2 || got[0] != [2]int{0, 1} || got[1] != [2]int{1, 2} {
			t.Errorf("signal %s: all green conflicts %v, want links 0–1 and 1–2", s.ID, got)
		}
		if got := s.ConflictingGreens("GrG"); len(got) != 0 {
			t.Errorf("signal %s: ring phase conflicts %v", s.ID, got)
		}
	}
}

func TestGridlock(t *testing.T) {
	for _, tc := range []struct {
		vph  int
		want bool
	}{
		{150, false},
		{900, true},
	} {
		n, r := ring(t, tc.vph)
		res, err := Run(context.Background(), &Scenario{Net: n, Routes: r, Duration: 3600})
		if err != nil {
			t.Fatal(err)
		}
		checkConservation(t, res)
		if len(res.MMUTrips) > 0 {
			t.Errorf("the ring's plan tripped the conflict monitor: %v", res.MMUTrips)
		}
		if got := res.Gridlock != nil; got != tc.want {
			t.Fatalf("%d veh/h per entry: gridlock %+v, want %v (arrived %.0f, spilled %v)", tc.vph, res.Gridlock, tc.want, res.Arrived, res.SpilledLanes)
		}
		if res.Gridlock != nil {
			if len(res.Gridlock.Lanes) != 4 {
				t.Errorf("gridlock cycle %v, want the four ring lanes", res.Gridlock.Lanes)
			}
			// Once locked, nothing moves: the last half hour adds no arrivals.
			last := res.Series[len(res.Series)-1].Arrived
			mid := res.Series[len(res.Series)/2].Arrived
			if res.Gridlock.Since < 1800 && last-mid > 1e-6 {
				t.Errorf("%.1f vehicles arrived after gridlock at %.0f s", last-mid, res.Gridlock.Since)
			}
			t.Logf("%d veh/h: gridlock from %.0f s on %v; %.0f arrived", tc.vph, res.Gridlock.Since, res.Gridlock.Lanes, res.Arrived)
		}
	}
}

// TestActuatedDetectors: a gap-out actuated signal gives the green to the
// loaded approach; falsified detectors (stuck-on: every phase to its
// maximum; stuck-off: every phase ends at its minimum) cost delay.
func TestActuatedDetectors(t *testing.T) {
	n := synthNet(t, []tEdge{{"a", "oa", "J", 139}, {"b", "ob", "J", 139}, {"a2", "J", "xa", 139}, {"b2", "J", "xb", 139}},
		[]tConn{{"a", "a2", "J", 0}, {"b", "b2", "J", 1}},
		`<tlLogic id="J" type="actuated" programID="0" offset="0">
		<phase duration="30" minDur="5" maxDur="50" state="Gr"/><phase duration="3" state="yr"/>
		<phase duration="30" minDur="5" maxDur="50" state="rG"/><phase duration="3" state="ry"/></tlLogic>`)
	r := synthRoutes(t, `<route id="ra" edges="a a2"/><route id="rb" edges="b b2"/>
		<flow id="fa" route="ra" begin="0" end="1800" vehsPerHour="600"/><flow id="fb" route="rb" begin="0" end="1800" vehsPerHour="60"/>`)
	run := func(att string) *Result {
		sc := &Scenario{Net: n, Routes: r, Duration: 1800}
		if att != "" {
			a, err := ParseAttack(att)
			if err != nil {
				t.Fatal(err)
			}
			sc.Attacks = []Attack{a}
		}
		res, err := Run(context.Background(), sc)
		if err != nil {
			t.Fatal(err)
		}
		checkConservation(t, res)
		return res
	}
	honest, on, off := run(""), run("detector:0-1800:stuck-on"), run("detector:0-1800:stuck-off")
	total := func(r *Result) float64 { return r.DelayVehHours + r.DepartDelayVehHours }
	t.Logf("delay veh·h: honest %.2f, stuck-on %.2f, stuck-off %.2f", total(honest), total(on), total(off))
	if !(total(honest) < total(on) && total(on) < total(off)) {
		t.Errorf("want honest < stuck-on < stuck-off delay")
	}
	if total(off) < 5*total(honest) {
		t.Errorf("stuck-off (5 s of every 16 s, about 560 veh/h for a 600 veh/h approach) should cost far more than honest detection")
	}
}
