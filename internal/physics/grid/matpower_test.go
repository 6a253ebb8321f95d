package grid

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/shareddata"
)

func TestReadSharedCases(t *testing.T) {
	dir := shareddata.Path(t, "grid", "cases")
	tests := []struct {
		name                  string
		buses, gens, branches int
		names                 bool
	}{
		{"case9", 9, 3, 9, false},
		{"case14", 14, 5, 20, true},
		{"case30", 30, 6, 41, false},
		{"case_ieee30", 30, 6, 41, true},
		{"case39", 39, 10, 46, false},
		{"case57", 57, 7, 80, true},
		{"case118", 118, 54, 186, true},
		{"case300", 300, 69, 411, false},
		{"case_ACTIVSg200", 200, 49, 245, true},
		{"case_ACTIVSg500", 500, 90, 597, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ReadCase(filepath.Join(dir, tc.name+".m"))
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tc.name || c.BaseMVA != 100 || c.Version != "2" {
				t.Errorf("name %q, baseMVA %v, version %q", c.Name, c.BaseMVA, c.Version)
			}
			if len(c.Bus) != tc.buses || len(c.Gen) != tc.gens || len(c.Branch) != tc.branches {
				t.Errorf("%d buses, %d gens, %d branches; want %d, %d, %d", len(c.Bus), len(c.Gen), len(c.Branch), tc.buses, tc.gens, tc.branches)
			}
			if len(c.GenCost) != len(c.Gen) {
				t.Errorf("%d gencost rows for %d gens", len(c.GenCost), len(c.Gen))
			}
			if (c.BusName != nil) != tc.names {
				t.Errorf("bus names present = %v, want %v", c.BusName != nil, tc.names)
			}
		})
	}
}

func TestParseCaseSyntax(t *testing.T) {
	// The same 3-bus case in several spellings must parse to the same data.
	base := `function mpc = tiny
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	1	3	0	0	0	0	1	1	0	345	1	1.1	0.9;
	2	1	90	30	0	0	1	1	0	345	1	1.1	0.9;
	3	2	0	0	0	0	1	1	0	345	1	1.1	0.9;
];
mpc.gen = [
	1	0	0	300	-300	1	100	1	250	10	0	0	0	0	0	0	0	0	0	0	0;
	3	85	0	Inf	-Inf	1.02	100	1	270	10	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	1	2	0.01	0.1	0.02	250	250	250	0	0	1	-360	360;
	2	3	0.01	0.1	0.02	250	250	250	0.98	5	1	-360	360;
];
`
	variants := map[string]string{
		"newline-rows": strings.ReplaceAll(base, ";\n\t", "\n\t"),
		"one-line-semicolons": strings.Replace(base, `mpc.bus = [
	1	3	0	0	0	0	1	1	0	345	1	1.1	0.9;
	2	1	90	30	0	0	1	1	0	345	1	1.1	0.9;
	3	2	0	0	0	0	1	1	0	345	1	1.1	0.9;
];`, `mpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9; 2,1,90,30,0,0,1,1,0,345,1,1.1,0.9; 3 2 0 0 0 0 1 1 0 345 1 1.1 0.9];`, 1),
		"comments-continuations": strings.Replace(base, "\t2\t1\t90\t30", "% a comment ] [ ;\n\t2\t1\t... continued\n\t90\t30", 1),
		"version-1":              strings.NewReplacer("mpc.", "", "function mpc = tiny", "function [baseMVA, bus, gen, branch] = tiny", "version = '2';", "").Replace(base),
	}
	want, err := ParseCase("base.m", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if want.Name != "tiny" || want.Gen[1].Qmax <= 1e300 || want.Branch[1].Ratio != 0.98 {
		t.Fatalf("unexpected parse: %+v", want)
	}
	for name, src := range variants {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCase(name+".m", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Bus) != 3 || len(got.Gen) != 2 || len(got.Branch) != 2 {
				t.Fatalf("parsed %d buses, %d gens, %d branches", len(got.Bus), len(got.Gen), len(got.Branch))
			}
			for i := range got.Bus {
				g, w := got.Bus[i], want.Bus[i]
				g.Line, w.Line = 0, 0
				if g != w {
					t.Errorf("bus %d: %+v, want %+v", i, g, w)
				}
			}
			for i := range got.Branch {
				g, w := got.Branch[i], want.Branch[i]
				g.Line, w.Line = 0, 0
				if g != w {
					t.Errorf("branch %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestParseCaseErrors(t *testing.T) {
	good := "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9];\nmpc.gen = [1 0 0 10 -10 1 100 1 10 0];\nmpc.branch = [1 1 0 0.1 0 0 0 0 0 0 1];\n"
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"ragged-row", strings.Replace(good, "[1 0 0 10 -10 1 100 1 10 0]", "[1 0 0 10 -10 1 100 1 10 0;\n 1 0 0 10 -10 1 100 1 10]", 1), 4, "row has 9 columns"},
		{"bad-bus-type", strings.Replace(good, "[1 3 0", "[1 7 0", 1), 2, "bus type 7"},
		{"unknown-gen-bus", strings.Replace(good, "[1 0 0 10", "[5 0 0 10", 1), 3, "generator bus 5"},
		{"missing-branch", strings.Replace(good, "mpc.branch = [1 1 0 0.1 0 0 0 0 0 0 1];\n", "", 1), 0, "mpc.branch: missing"},
		{"expression", strings.Replace(good, "100;", "100 * 2;", 1), 1, "expressions are not supported"},
		{"unclosed", strings.Replace(good, "1 10 0];", "1 10 0;", 1), 4, "not closed"},
		{"bad-number", strings.Replace(good, "0.1 0", "0.1.2 0", 1), 4, "malformed number"},
		{"nan", strings.Replace(good, "345", "NaN", 1), 2, "not allowed"},
		{"zero-impedance", strings.Replace(good, "0 0.1 0", "0 0 0", 1), 4, "zero impedance"},
		{"duplicate-bus", strings.Replace(good, "1.1 0.9]", "1.1 0.9; 1 1 0 0 0 0 1 1 0 345 1 1.1 0.9]", 1), 2, "defined twice"},
		{"too-few-columns", strings.Replace(good, "0 0 0 0 1]", "0 0 0 1]", 1), 4, "at least 11"},
		{"unterminated-string", "mpc.version = '2;\n" + good, 1, "unterminated string"},
		{"bad-char", good + "mpc.x = @;\n", 5, "unexpected character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCase("bad.m", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			if !diag.IsBadInput(err) {
				t.Errorf("error %v is not a bad-input diagnostic", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			var d *diag.Diagnostic
			var l diag.List
			switch {
			case errors.As(err, &d):
			case errors.As(err, &l) && len(l) > 0:
				d = l[0]
			default:
				t.Fatalf("error %T is not a diagnostic", err)
			}
			if d.File != "bad.m" || d.Line != tc.line {
				t.Errorf("diagnostic at %s:%d, want bad.m:%d (%v)", d.File, d.Line, tc.line, err)
			}
		})
	}
}

func FuzzParseCase(f *testing.F) {
	f.Add([]byte("mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9];\nmpc.gen = [1 0 0 10 -10 1 100 1 10 0];\nmpc.branch = [1 1 0 0.1 0 0 0 0 0 0 1];\n"))
	f.Add([]byte("function mpc = x\n%% c\nmpc.bus_name = {\n\t'a b';\n};\nmpc.v = [1, -2 ...\n 3; 4 5 6]'\n"))
	f.Add([]byte("mpc.version = '2'; mpc.baseMVA = Inf; x = {'it''s'} "))
	// Real cases as seeds, so that mutations reach the solvers.
	if root := shareddata.Root(); root != "" {
		for _, name := range []string{"case9", "case14"} {
			if data, err := os.ReadFile(filepath.Join(root, "grid", "cases", name+".m")); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCase("fuzz.m", data)
		if err != nil {
			if !diag.IsBadInput(err) {
				t.Fatalf("error %v is not a bad-input diagnostic", err)
			}
			return
		}
		// A parsed case must be safe to solve: errors, never panics.
		_, _ = SolveDC(c, Options{})
		_, _ = SolveAC(c, Options{MaxIter: 5})
	})
}
