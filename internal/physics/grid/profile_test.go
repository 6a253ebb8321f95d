package grid

import (
	"math"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
)

func TestReadLoadProfile(t *testing.T) {
	p, err := ReadLoadProfile("p.csv", strings.NewReader("t_s,mw\n0,0\n1,100\n# comment\n3,-20\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ t, want float64 }{{-1, 0}, {0, 0}, {0.5, 50}, {1, 100}, {2, 40}, {3, -20}, {9, -20}} {
		if got := p(tc.t); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("p(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	bad := []struct {
		src  string
		line int
		msg  string
	}{
		{"t_s,mw\n0,1\n0,2\n", 3, "does not increase"},
		{"t_s,mw\n0,1,2\n", 2, "want 2 columns"},
		{"t_s,mw\n0,x\n", 2, "not two finite numbers"},
		{"t_s,mw\n", 0, "no data rows"},
	}
	for _, tc := range bad {
		_, err := ReadLoadProfile("p.csv", strings.NewReader(tc.src))
		d, ok := err.(*diag.Diagnostic)
		if !ok || d.Line != tc.line || !strings.Contains(d.Msg, tc.msg) {
			t.Errorf("%q: error %v, want line %d mentioning %q", tc.src, err, tc.line, tc.msg)
		}
	}
}

// TestProfileDrivesFrequency: a profile that ramps to a plateau settles
// at the analytic deviation of the plateau.
func TestProfileDrivesFrequency(t *testing.T) {
	p, err := ReadLoadProfile("p.csv", strings.NewReader("t_s,mw\n0,0\n5,60\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := noShed(DefaultFreqModel(60, 3000, 3000))
	r, err := m.Simulate(p, 200, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := m.SteadyStateDeviation(60); math.Abs(r.FinalHz-60-want) > 1e-6 {
		t.Errorf("settled at %v Hz deviation, want %v", r.FinalHz-60, want)
	}
}

func FuzzReadLoadProfile(f *testing.F) {
	f.Add([]byte("t_s,mw\n0,0\n1,100\n3,-20\n"))
	f.Add([]byte("0,1\n1,2"))
	f.Add([]byte("t,mw\n1e308,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadLoadProfile("fuzz.csv", strings.NewReader(string(data)))
		if err != nil {
			if !diag.IsBadInput(err) {
				t.Fatalf("error %v is not bad input", err)
			}
			return
		}
		for _, x := range []float64{-1, 0, 0.5, 1e9} {
			if v := p(x); math.IsNaN(v) {
				t.Fatalf("profile(%v) is NaN", x)
			}
		}
	})
}
