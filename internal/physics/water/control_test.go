package water

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

func runInp(t *testing.T, inp string) *Results {
	t.Helper()
	net, err := Parse("test.inp", strings.NewReader(inp))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const ruleNet = `[JUNCTIONS]
 J1 0 0
 J2 0 100
[RESERVOIRS]
 R 100
[TANKS]
 T 50 10 0 20 50 0
[PIPES]
 P1 R J1 1000 12 100
 P2 J1 J2 1000 12 100
 P3 J1 T 1000 12 100
[RULES]
RULE close-at-2
IF SYSTEM TIME >= 2:00
THEN PIPE P2 STATUS IS CLOSED
PRIORITY 1

RULE tank-high
IF TANK T LEVEL ABOVE 15
THEN PIPE P3 STATUS IS CLOSED
ELSE PIPE P3 STATUS IS OPEN
[TIMES]
 Duration 4
 Hydraulic Timestep 1:00
[END]
`

func TestRules(t *testing.T) {
	res := runInp(t, ruleNet)
	net := res.Net
	p2 := net.LinkIndex("P2")
	for _, sn := range res.Periods {
		closed := sn.Status[p2] == Closed
		if want := sn.Time >= 7200; closed != want {
			t.Errorf("t=%d: P2 closed=%v, want %v", sn.Time, closed, want)
		}
	}
	// The tank fills towards 20 ft but the rule stops it near 15 ft.
	ti := net.NodeIndex("T")
	last := res.Periods[len(res.Periods)-1]
	if lvl := last.Head[ti] - 50; lvl < 14.5 || lvl > 16 {
		t.Errorf("tank level %g, want about 15 (rule closes its inlet)", lvl)
	}
}

const valveNet = `[JUNCTIONS]
 A 0 0
 B 0 0
 C 0 50
[RESERVOIRS]
 R 200
 S 0
[PIPES]
 P3 C S 5000 6 120
 P1 R A 100 12 120
 P2 B C 100 12 120
[VALVES]
 V A B 12 %s %s
[OPTIONS]
 Units GPM
[END]
`

func TestValveKinds(t *testing.T) {
	for _, tc := range []struct {
		kind, setting string
		check         func(t *testing.T, pa, pb, q, hl float64, st Status)
	}{
		{"PRV", "30", func(t *testing.T, pa, pb, q, hl float64, st Status) {
			if st != Active || math.Abs(pb-30) > 0.01 {
				t.Errorf("PRV: status %v, downstream pressure %g, want active at 30", st, pb)
			}
		}},
		{"PSV", "80", func(t *testing.T, pa, pb, q, hl float64, st Status) {
			// Upstream pressure is about 86.6 psi with no valve loss; the
			// PSV cannot hold 80 psi upstream without throttling: it opens.
			if pa < 80-0.01 {
				t.Errorf("PSV: upstream pressure %g below its setting 80 (status %v)", pa, st)
			}
		}},
		{"PBV", "10", func(t *testing.T, pa, pb, q, hl float64, st Status) {
			if math.Abs(hl-10/0.4333) > 0.05 {
				t.Errorf("PBV: head loss %g ft, want %g (10 psi)", hl, 10/0.4333)
			}
		}},
		{"FCV", "40", func(t *testing.T, pa, pb, q, hl float64, st Status) {
			if math.Abs(q-40) > 0.01 {
				t.Errorf("FCV: flow %g, want 40", q)
			}
		}},
		{"TCV", "5", func(t *testing.T, pa, pb, q, hl float64, st Status) {
			// h = K v²/2g with v in ft/s.
			v := q / 448.831 / (math.Pi / 4)
			if want := 5 * v * v / 2 / 32.2; math.Abs(hl-want) > 1e-3*want+1e-4 {
				t.Errorf("TCV: head loss %g, want %g", hl, want)
			}
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			res := runInp(t, strings.Replace(strings.Replace(valveNet, "%s", tc.kind, 1), "%s", tc.setting, 1))
			net := res.Net
			sn := res.Periods[0]
			a, b, v := net.NodeIndex("A"), net.NodeIndex("B"), net.LinkIndex("V")
			tc.check(t, sn.Pressure[a], sn.Pressure[b], sn.Flow[v], sn.Head[a]-sn.Head[b], sn.Status[v])
			// Mass balance: what R supplies goes to C's demand and to S.
			r, s := net.NodeIndex("R"), net.NodeIndex("S")
			if bal := sn.Demand[r] + sn.Demand[s] + sn.Demand[net.NodeIndex("C")]; math.Abs(bal) > 1e-4*math.Abs(sn.Demand[r]) {
				t.Errorf("mass balance off by %g", bal)
			}
		})
	}
}

func TestChezyManningResistance(t *testing.T) {
	// A single C-M pipe: the head loss must match the EPANET manual's
	// Manning resistance h = 4.66 n² L Q² / D^5.33 (US units, ft and cfs).
	inp := `[JUNCTIONS]
 J 0 448.831
[RESERVOIRS]
 R 100
[PIPES]
 P R J 1000 12 0.012
[OPTIONS]
 Headloss C-M
[END]
`
	res := runInp(t, inp)
	sn := res.Periods[0]
	hl := 100 - sn.Head[res.Net.NodeIndex("J")]
	want := 4.66 * 0.012 * 0.012 * 1000 * 1 / math.Pow(1, 5.33)
	if math.Abs(hl-want)/want > 0.01 {
		t.Fatalf("Manning head loss %g ft, want %g", hl, want)
	}
}

func TestUnsolvableIsBadInput(t *testing.T) {
	// A junction with demand reachable only through a closed pipe: EPANET
	// solves it with a 1e-8 conductance (huge negative pressure) and warns.
	inp := `[JUNCTIONS]
 J1 0 10
 J2 0 10
[RESERVOIRS]
 R 100
[PIPES]
 P1 R J1 100 12 100
 P2 J1 J2 100 12 100 0 CLOSED
[END]
`
	res := runInp(t, inp)
	s := res.Summarize()
	if len(s.LowPressure) == 0 {
		t.Fatal("no negative pressure reported for a cut-off junction")
	}
}

func TestEmitterFlow(t *testing.T) {
	// An emitter discharges K·p^0.5 (gpm, psi).
	inp := `[JUNCTIONS]
 J 0 0
[RESERVOIRS]
 R 100
[PIPES]
 P R J 10 24 140
[EMITTERS]
 J 10
[END]
`
	res := runInp(t, inp)
	sn := res.Periods[0]
	j := res.Net.NodeIndex("J")
	want := 10 * math.Sqrt(sn.Pressure[j])
	if math.Abs(sn.Demand[j]-want) > 1e-3*want {
		t.Fatalf("emitter outflow %g, want %g at %g psi", sn.Demand[j], want, sn.Pressure[j])
	}
}

func TestVolumeCurveTankMatchesCylinder(t *testing.T) {
	// A tank described by a linear volume curve behaves like the cylinder
	// with the same area.
	base := `[JUNCTIONS]
 J 0 200
[RESERVOIRS]
 R 120
[TANKS]
 %s
[PIPES]
 P1 R J 1000 12 100
 P2 J T 500 12 100
[CURVES]
 VC 0 0 20 %g
[TIMES]
 Duration 12
[END]
`
	d := 30.0
	area := math.Pi * d * d / 4
	cyl := runInp(t, fmt.Sprintf(base, "T 100 5 0 20 30 0", 20*area))
	curve := runInp(t, fmt.Sprintf(base, "T 100 5 0 20 0 0 VC", 20*area))
	ti := cyl.Net.NodeIndex("T")
	for p := range cyl.Periods {
		a, b := cyl.Periods[p].Head[ti], curve.Periods[p].Head[ti]
		if math.Abs(a-b) > 1e-3 {
			t.Fatalf("period %d: cylinder head %g, volume-curve head %g", p, a, b)
		}
	}
	if cyl.Periods[0].Head[ti] == cyl.Periods[len(cyl.Periods)-1].Head[ti] {
		t.Fatal("tank level did not change")
	}
}

func TestReportStartAndStep(t *testing.T) {
	inp := strings.Replace(ruleNet, "[TIMES]\n Duration 4\n Hydraulic Timestep 1:00\n", "[TIMES]\n Duration 6\n Hydraulic Timestep 0:30\n Report Timestep 2:00\n Report Start 2:00\n", 1)
	res := runInp(t, inp)
	var times []int64
	for _, sn := range res.Periods {
		times = append(times, sn.Time)
	}
	if fmt.Sprint(times) != "[7200 14400 21600]" {
		t.Fatalf("report times %v, want [7200 14400 21600]", times)
	}
}

func TestLeakageFAVAD(t *testing.T) {
	// EPANET 2.3 pipe leakage: Q = Co·(L/100)·(A0 + m·h)·√h with
	// Co = 0.6·√(2g), A0 in mm² per 100 ft (converted to ft²), h in ft.
	inp := `[JUNCTIONS]
 J 0 0
 K 0 0
[RESERVOIRS]
 R 100
[PIPES]
 P1 R J 1000 12 100
 P2 J K 500 12 100
[LEAKAGE]
 P1 50 2
[END]
`
	res := runInp(t, inp)
	sn := res.Periods[0]
	j := res.Net.NodeIndex("J")
	h := sn.Pressure[j] / 0.4333 // ft of head (psi → ft)
	want := 4.8149866e-6 * (1000.0 / 100) * (50/(0.3048*0.3048) + 2*h) * math.Sqrt(h) * 448.831
	if got := sn.Demand[j]; math.Abs(got-want) > 1e-3*want {
		t.Fatalf("leakage at J %g gpm, FAVAD gives %g at %g ft", got, want, h)
	}
	if k := res.Net.NodeIndex("K"); math.Abs(sn.Demand[k]) > 1e-9 {
		t.Fatalf("no leak expected at K, got %g", sn.Demand[k])
	}
	// The reservoir supplies the leak.
	if r := res.Net.NodeIndex("R"); math.Abs(sn.Demand[r]+sn.Demand[j]) > 1e-3 {
		t.Fatalf("mass balance: reservoir %g, leak %g", sn.Demand[r], sn.Demand[j])
	}
}

func TestTankFullAndOverflowEvents(t *testing.T) {
	// A small tank fed by a high reservoir fills; with Overflow YES it then
	// spills instead of closing its inlet.
	base := `[JUNCTIONS]
 J 0 0
[RESERVOIRS]
 R 200
[TANKS]
 T 100 5 0 10 10 0 * %s
[PIPES]
 P1 R J 100 12 100
 P2 J T 100 12 100
[TIMES]
 Duration 6
[END]
`
	for _, tc := range []struct{ flag, want string }{{"NO", "full"}, {"YES", "overflowing"}} {
		res := runInp(t, fmt.Sprintf(base, tc.flag))
		s := res.Summarize()
		found := false
		for _, e := range s.TankEvents {
			if e.Tank == "T" && e.State == tc.want {
				found = true
			}
		}
		if !found {
			t.Errorf("overflow %s: tank events %+v, want %q", tc.flag, s.TankEvents, tc.want)
		}
	}
}
