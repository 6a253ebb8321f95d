package grid

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewFreqModel(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	c := &Case{Bus: []Bus{{ID: 1, Type: Ref, Pd: 80}}, Gen: []Gen{{Bus: 1, Status: 1, Pmax: 200}}}
	for _, tc := range []struct {
		name      string
		c         *Case
		o         FreqOverrides
		base, h   float64
		reserve   float64
		wantError bool
	}{
		{name: "case", c: c, base: 200, h: 5, reserve: 20},
		{name: "case-overridden", c: c, o: FreqOverrides{BaseMW: f(300), H: f(3)}, base: 300, h: 3, reserve: 20},
		{name: "no-case", o: FreqOverrides{BaseMW: f(1000), LoadMW: f(800)}, base: 1000, h: 5, reserve: 100},
		{name: "no-case-no-load", o: FreqOverrides{BaseMW: f(1000)}, wantError: true},
		{name: "invalid", c: c, o: FreqOverrides{H: f(0)}, wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewFreqModel(tc.c, 50, tc.o)
			if tc.wantError {
				var bad interface{ BadInput() bool }
				if err == nil || !errors.As(err, &bad) || !bad.BadInput() {
					t.Fatalf("err = %v, want a bad-input error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.BaseMW != tc.base || m.H != tc.h || m.Reserve != tc.reserve {
				t.Errorf("base %v H %v reserve %v, want %v %v %v", m.BaseMW, m.H, m.Reserve, tc.base, tc.h, tc.reserve)
			}
		})
	}
}

func TestWriteTraceFile(t *testing.T) {
	m := DefaultFreqModel(50, 1000, 800)
	res, err := m.Simulate(Step(50, 1), 2, 0.01, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := res.WriteTraceFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != FreqTraceCSVHeader || len(lines) != len(res.Trace)+1 || len(res.Trace) < 4 {
		t.Fatalf("trace file has %d lines for %d samples:\n%s", len(lines), len(res.Trace), data)
	}
	if got := strings.Count(lines[1], ","); got != 5 {
		t.Errorf("first row %q has %d commas, want 5", lines[1], got)
	}
}

func TestReadLoadProfileFileMissing(t *testing.T) {
	_, err := ReadLoadProfileFile(filepath.Join(t.TempDir(), "none.csv"))
	var bad interface{ BadInput() bool }
	if err == nil || !errors.As(err, &bad) {
		t.Fatalf("err = %v, want a bad-input error", err)
	}
}
