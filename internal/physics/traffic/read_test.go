package traffic

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

func singleDir(t testing.TB) string {
	return shareddata.Path(t, "traffic", "single-intersection")
}

func gridDir(t testing.TB) string {
	return shareddata.Path(t, "traffic", "grid4x4")
}

func TestReadSharedNets(t *testing.T) {
	for _, tc := range []struct {
		path                            []string
		edges, conns, tls, progs, juncs int
	}{
		{[]string{"traffic", "single-intersection", "inputs", "single-intersection.net.xml"}, 8, 12, 1, 1, 5},
		{[]string{"traffic", "grid4x4", "inputs", "4x4.net.xml"}, 40, 0, 16, 17, 32},
	} {
		p := shareddata.Path(t, tc.path...)
		n, err := ReadNetFile(p)
		if err != nil {
			t.Fatal(err)
		}
		controlled := 0
		for _, c := range n.Connections {
			if c.TL != "" {
				controlled++
			}
		}
		if len(n.Edges) != tc.edges || len(n.Active()) != tc.tls || len(n.TLLogics) != tc.progs || len(n.Junctions) != tc.juncs {
			t.Errorf("%s: %d edges %d active %d programs %d junctions", filepath.Base(p), len(n.Edges), len(n.Active()), len(n.TLLogics), len(n.Junctions))
		}
		if tc.conns > 0 && controlled != tc.conns {
			t.Errorf("%s: %d controlled connections, want %d", filepath.Base(p), controlled, tc.conns)
		}
		for _, s := range n.Signals() {
			for i, st := range PlanOf(s.Logic).States {
				if c := s.ConflictingGreens(st); len(c) > 0 {
					t.Errorf("%s: signal %s phase %d %q: conflicting greens %v in the shipped plan", filepath.Base(p), s.ID, i, st, c)
				}
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"syntax", "<net>\n  <edge id=\"a\" from=\"x\" to=\"y\">\n  </edgy>\n</net>", "x.net.xml:3:"},
		{"root", "<routes/>", "x.net.xml:1:1: root element is <routes>"},
		{"bad speed", "<net>\n<edge id=\"a\" from=\"x\" to=\"y\">\n <lane id=\"a_0\" index=\"0\" speed=\"fast\" length=\"10\"/>\n</edge></net>", "x.net.xml:3:2: lane.speed: attribute speed=\"fast\" is not a finite number"},
		{"bad state", "<net>\n<tlLogic id=\"t\" programID=\"0\">\n<phase duration=\"5\" state=\"GZ\"/>\n</tlLogic></net>", "x.net.xml:3:1: phase.state: unknown signal state 'Z'"},
		{"unknown edge", "<net>\n<connection from=\"a\" to=\"b\"/>\n</net>", "x.net.xml:2:1: connection.from: unknown edge \"a\""},
		{"empty", "", "no <net> element"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNet("x.net.xml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"no rate", "<routes>\n<route id=\"r\" edges=\"a\"/>\n<flow id=\"f\" route=\"r\" begin=\"0\" end=\"10\"/>\n</routes>", "x.rou.xml:3:1: flow: flow \"f\" has no rate"},
		{"unknown route", "<routes>\n  <flow id=\"f\" route=\"q\" end=\"10\" period=\"2\"/>\n</routes>", "x.rou.xml:2:3: route: unknown route \"q\""},
		{"two rates", "<routes><flow id=\"f\" from=\"a\" to=\"b\" period=\"2\" probability=\"0.1\"/></routes>", "more than one"},
		{"neg", "<routes><flow id=\"f\" from=\"a\" to=\"b\" vehsPerHour=\"-3\"/></routes>", "must not be negative"},
		{"unclosed", "<routes>\n<flow id=\"f\"", "x.rou.xml:2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRoutes("x.rou.xml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadRoutes(t *testing.T) {
	r, err := ReadRoutesFile(filepath.Join(singleDir(t), "inputs", "single-intersection-vhvh.rou.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var vph float64
	for _, f := range r.Flows {
		if f.Begin == 0 {
			vph += f.VehPerSecond() * 3600
		}
	}
	if len(r.Routes) != 12 || vph != 2500 {
		t.Errorf("%d routes, %v veh/h in the first block; want 12 and 2500 (SUMO loaded 2500 in the first hour)", len(r.Routes), vph)
	}
	g, err := ReadRoutesFile(filepath.Join(gridDir(t), "inputs", "4x4c1.rou.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Flows) != 8 || g.Flows[0].Probability != 0.35 || g.Flows[0].From != "16to0" {
		t.Errorf("4x4c1: %d flows, first %+v", len(g.Flows), g.Flows[0])
	}
}

func FuzzParseNet(f *testing.F) {
	f.Add([]byte(`<net><edge id="a" from="x" to="y"><lane id="a_0" index="0" speed="13.9" length="100"/></edge>` +
		`<tlLogic id="t" type="static" programID="0" offset="0"><phase duration="30" state="Gr"/><phase duration="30" state="rG"/></tlLogic>` +
		`<junction id="y" type="traffic_light" incLanes="a_0" intLanes=":y_0_0"><request index="0" response="0" foes="0"/></junction>` +
		`<connection from="a" to="a" fromLane="0" toLane="0" tl="t" linkIndex="0"/></net>`))
	f.Add([]byte("<net><edge id=\"a\"><lane/></edge></net>"))
	f.Add([]byte("<?xml version=\"1.0\"?>\n<net>\n<junction id=\"j\"><request index=\"7\" foes=\"2\"/></junction></net>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNet("fuzz.net.xml", data)
		if err != nil {
			return
		}
		for _, s := range n.Signals() {
			p := PlanOf(s.Logic)
			p.PhaseAt(17)
			s.GreenIntervals(p, 200)
			for _, st := range p.States {
				s.ConflictingGreens(st)
			}
		}
	})
}

func FuzzParseRoutes(f *testing.F) {
	f.Add([]byte(`<routes><vType id="car" length="4"/><route id="r" edges="a b"/><flow id="f" type="car" route="r" begin="0" end="100" vehsPerHour="600"/></routes>`))
	f.Add([]byte(`<routes><flow id="f" from="a" to="b" begin="0" end="100" probability="0.3"/><vehicle id="v" depart="3"><route edges="a"/></vehicle></routes>`))
	f.Add([]byte(`<routes><flow id="f" from="a" to="b" number="10"/></routes>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRoutes("fuzz.rou.xml", data)
		if err != nil {
			return
		}
		for _, fl := range r.Flows {
			if v := fl.VehPerSecond(); v < 0 {
				t.Fatalf("negative rate %v", v)
			}
		}
	})
}
