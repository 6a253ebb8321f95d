package heartbeat

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
	"github.com/google/go-cmp/cmp"
)

func batadalSignals(t *testing.T) []string {
	dir := shareddata.Path(t, "telemetry", "batadal")
	rr, err := NewRowReader(mustOpen(t, filepath.Join(dir, "BATADAL_dataset03.csv")), "d03", ReadOptions{LabelColumn: "ATT_FLAG"})
	if err != nil {
		t.Fatal(err)
	}
	return rr.Signals
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestMapFromNetworkCTown derives the map from CTOWN.inp and compares it
// with the hand-written built-in map.
func TestMapFromNetworkCTown(t *testing.T) {
	inp := filepath.Join(shareddata.Path(t, "water", "networks", "CTOWN"), "CTOWN.inp")
	sigs := batadalSignals(t)
	got, err := MapFromNetwork(inp, sigs)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check("derived", sigs); err != nil {
		t.Fatal(err)
	}
	want := CTownMap()
	byName := func(ls []Link) map[string]Link {
		m := map[string]Link{}
		for _, l := range ls {
			m[l.Name] = l
		}
		return m
	}
	sortTanks := func(ts []Tank) []Tank {
		out := append([]Tank(nil), ts...)
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	// Tank inflows come from [CONTROLS]: PU3 and PU9 have no control in
	// CTOWN.inp, so they are not feeders there.
	wantTanks := sortTanks(want.Tanks)
	for i := range wantTanks {
		var keep []string
		for _, f := range wantTanks[i].Inflows {
			if f != "F_PU3" && f != "F_PU9" {
				keep = append(keep, f)
			}
		}
		wantTanks[i].Inflows = keep
	}
	if diff := cmp.Diff(wantTanks, sortTanks(got.Tanks)); diff != "" {
		t.Errorf("tanks (-built-in +derived):\n%s", diff)
	}
	g := byName(append(got.Pumps, got.Valves...))
	for _, w := range append(want.Pumps, want.Valves...) {
		d, ok := g[w.Name]
		if !ok {
			t.Errorf("%s missing from the derived map", w.Name)
			continue
		}
		if d.Status != w.Status || d.Flow != w.Flow {
			t.Errorf("%s: derived %+v, built-in %+v", w.Name, d, w)
		}
		if w.Tank != "" && d.Tank != "" && d.Tank != w.Tank {
			t.Errorf("%s switched by %s, built-in says %s", w.Name, d.Tank, w.Tank)
		}
	}
	// Every station's pressures are found along the station pipes.
	for _, name := range []string{"PU1", "PU2", "PU3", "PU4", "PU5", "PU6", "PU7", "PU8", "PU9", "PU10", "PU11", "V2"} {
		d, w := g[name], byName(append(want.Pumps, want.Valves...))[name]
		if d.up() != w.up() || d.down() != w.down() {
			t.Errorf("%s pressures %s→%s, built-in %s→%s", name, d.up(), d.down(), w.up(), w.down())
		}
	}
}

func TestMapFromNetworkErrors(t *testing.T) {
	_, err := parseNetworkMap(strings.NewReader("[JUNCTIONS]\nJ1 0\n[RESERVOIRS]\nR1 10\n[PIPES]\nP1 R1 J1 10 100 100\n"), "x.inp", nil)
	if err == nil || !strings.Contains(err.Error(), "not an EPANET network file") {
		t.Errorf("got %v", err)
	}
	_, err = parseNetworkMap(strings.NewReader("[TITLE]\nx\n"), "x.inp", nil)
	if err == nil || !strings.Contains(err.Error(), "x.inp") {
		t.Errorf("got %v", err)
	}
	_, err = parseNetworkMap(strings.NewReader("[PIPES]\nP1 J1 J2 abc\n"), "x.inp", nil)
	if err == nil || !strings.Contains(err.Error(), "x.inp:2") {
		t.Errorf("got %v", err)
	}
}
