package water

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/shareddata"
)

const tinyNet = `[TITLE]
tiny
[JUNCTIONS]
 J1 100 10
 J2 90  5 P1
[RESERVOIRS]
 R1 200
[PIPES]
 P1 R1 J1 1000 12 100
 P2 J1 J2 1000 8 100 0 CV
[PATTERNS]
 P1 1 2
[COORDINATES]
 J1 1 2
[OPTIONS]
 Units GPM
[END]
`

func TestParseTiny(t *testing.T) {
	net, err := Parse("tiny.inp", strings.NewReader(tinyNet))
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Nodes) != 3 || net.Nodes[2].ID != "R1" || net.Nodes[2].Kind != Reservoir {
		t.Fatalf("nodes %+v", net.Nodes)
	}
	if l := net.Link("P2"); l == nil || l.Kind != CVPipe {
		t.Fatalf("P2 %+v", l)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	// Mass balance: the reservoir supplies both demands.
	sn := res.Periods[0]
	if d := sn.Demand[2]; d > -14.99 || d < -15.01 {
		t.Fatalf("reservoir outflow %g, want -15", d)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, inp, want string
		line            int
	}{
		{"bad number", "[JUNCTIONS]\n J1 abc\n", `"abc" is not a number`, 2},
		{"unknown node", "[JUNCTIONS]\n J1 1\n[RESERVOIRS]\n R 2\n[PIPES]\n P1 J1 X 1 1 1\n", "undefined node X", 6},
		{"unknown section", "[JUNCTIONS]\n J1 1\n[FOO]\n", "unknown section", 3},
		{"bad option", "[OPTIONS]\n Units FOO\n", "unknown flow unit", 2},
		{"dup node", "[JUNCTIONS]\n J1 1\n J1 2\n", "defined twice", 3},
		{"no source", "[JUNCTIONS]\n J1 1\n J2 1\n[PIPES]\n P J1 J2 1 1 1\n", "no tanks or reservoirs", 0},
		{"bad pattern ref", "[JUNCTIONS]\n J1 1 1 NOPE\n[RESERVOIRS]\n R 2\n[PIPES]\n P J1 R 1 1 1\n", "undefined pattern NOPE", 2},
		{"bad pump", "[JUNCTIONS]\n J1 1\n[RESERVOIRS]\n R 2\n[PUMPS]\n P R J1 HEAD C\n", "undefined curve C", 6},
		{"bad control", "[JUNCTIONS]\n J1 1\n[RESERVOIRS]\n R 2\n[PIPES]\n P J1 R 1 1 1\n[CONTROLS]\n LINK P OPEN AT TIME xx\n", "invalid time", 8},
		{"prv at tank", "[JUNCTIONS]\n J1 1\n[RESERVOIRS]\n R 2\n[VALVES]\n V R J1 12 PRV 10\n", "cannot be connected to a tank", 6},
		{"prvs in series", "[JUNCTIONS]\n J1 1\n J2 1\n J3 1\n[RESERVOIRS]\n R 2\n[PIPES]\n P R J1 1 1 1\n[VALVES]\n V1 J1 J2 12 PRV 10\n V2 J2 J3 12 PRV 5\n", "illegal connection with PRV V1", 11},
		{"unconnected", "[JUNCTIONS]\n J1 1\n J2 1\n[RESERVOIRS]\n R 2\n[PIPES]\n P J1 R 1 1 1\n", "not connected", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.inp", strings.NewReader(tc.inp))
			if err == nil {
				t.Fatal("no error")
			}
			if !diag.IsBadInput(err) {
				t.Fatalf("error %v is not bad input", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			l, ok := err.(diag.List)
			if !ok {
				t.Fatalf("error type %T", err)
			}
			if l[0].Line != tc.line {
				t.Fatalf("line %d, want %d (%v)", l[0].Line, tc.line, err)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		v, u string
		want int64
	}{
		{"1", "", 3600}, {"1:30", "", 5400}, {"12:32:34", "", 45154}, {"6", "AM", 21600}, {"6", "PM", 64800},
		{"12", "AM", 0}, {"90", "MIN", 5400}, {"2", "DAYS", 172800}, {"0.5", "HOURS", 1800},
	} {
		got, ok := parseClock(tc.v, tc.u)
		if !ok || got != tc.want {
			t.Errorf("parseClock(%q,%q) = %d,%v want %d", tc.v, tc.u, got, ok, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tinyNet)
	f.Add("[JUNCTIONS]\n J1 1\n[RESERVOIRS]\n R 2\n[PIPES]\n P J1 R 1 1 1\n[CONTROLS]\n LINK P CLOSED IF NODE J1 ABOVE 3\n[RULES]\nRULE 1\nIF NODE J1 PRESSURE > 2\nTHEN LINK P STATUS IS CLOSED\n")
	f.Add("[TANKS]\n T 1 2 0 5 10 0 C\n[CURVES]\n C 0 0 10 100\n")
	if dir := shareddata.Root(); dir != "" {
		for _, n := range []string{"Net1", "2PRVs", "cheung"} {
			if b, err := os.ReadFile(filepath.Join(dir, "water", "networks", n, n+".inp")); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		net, err := Parse("fuzz.inp", strings.NewReader(s))
		if err != nil {
			if !diag.IsBadInput(err) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		if len(net.Nodes) > 50 || len(net.Links) > 50 {
			return
		}
		net.Options.Duration = min(net.Options.Duration, 6*3600)
		// A parsed network must simulate or fail cleanly, never panic.
		_, _ = Run(context.Background(), net)
	})
}

func TestDemandCategories(t *testing.T) {
	inp := `[JUNCTIONS]
 J1 0 999 ;replaced by [DEMANDS]
 J2 0 5
[RESERVOIRS]
 R 100
[PIPES]
 P1 R J1 100 12 100
 P2 J1 J2 100 12 100
[DEMANDS]
 J1 10 PA ;residential
 J1 20    ;commercial, default pattern 1
[PATTERNS]
 1  2
 PA 3
[END]
`
	net, err := Parse("d.inp", strings.NewReader(inp))
	if err != nil {
		t.Fatal(err)
	}
	if d := net.Node("J1").Demands; len(d) != 2 || d[0].Base != 10 || d[1].Base != 20 {
		t.Fatalf("J1 demands %+v", d)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	sn := res.Periods[0]
	// 10·3 + 20·2 at J1; J2 uses the default pattern "1": 5·2.
	if got := sn.Demand[net.NodeIndex("J1")]; math.Abs(got-70) > 1e-4 {
		t.Fatalf("J1 demand %g, want 70", got)
	}
	if got := sn.Demand[net.NodeIndex("J2")]; math.Abs(got-10) > 1e-4 {
		t.Fatalf("J2 demand %g, want 10", got)
	}
}
