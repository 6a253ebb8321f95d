package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/intel"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; if the change is intended run 'go test ./internal/assess -update' and review the diff", path)
	}
}

func sampleReport(t *testing.T, fixes ...string) *Report {
	t.Helper()
	r, err := Run(context.Background(), model.Sample(), Options{K: 3, Fixes: fixes, Workers: 2, Simulate: 20000})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestJSONGolden pins the JSON schema and the sample city's result.
func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.json", buf.Bytes())

	// The documented top-level shape.
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "targets", "fixes", "cut", "summary", "attack_notice"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks top-level %q", k)
		}
	}
	t0 := doc["targets"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "sector", "paths"} {
		if _, ok := t0[k]; !ok {
			t.Errorf("target lacks %q", k)
		}
	}
	step := t0["paths"].([]any)[0].(map[string]any)["steps"].([]any)[0].(map[string]any)
	for _, k := range []string{"asset", "technique", "stage"} {
		if _, ok := step[k]; !ok {
			t.Errorf("step lacks %q", k)
		}
	}
	f0 := doc["fixes"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "kind", "asset", "paths_cut", "risk_removed"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("fix lacks %q", k)
		}
	}
}

func TestTextAndDOT(t *testing.T) {
	r := sampleReport(t)
	var text, dot bytes.Buffer
	if err := r.WriteText(&text, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.txt", text.Bytes())
	for _, s := range []string{"T0883", "Internet Accessible Device", "water-maint-laptop", "FIXES", "The MITRE Corporation"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text report lacks %q", s)
		}
	}
	if err := r.WriteDOT(&dot); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dot.String(), "// Attack paths") || !strings.Contains(dot.String(), "digraph attack_paths {") || !strings.Contains(dot.String(), "color=red") {
		t.Errorf("DOT output malformed:\n%.400s", dot.String())
	}
}

// TestFixDelta applies the top fixes and checks that risk falls.
func TestFixDelta(t *testing.T) {
	base := sampleReport(t)
	top := []string{base.Fixes[0].ID, base.Fixes[1].ID}
	r := sampleReport(t, top...)
	if r.Delta == nil {
		t.Fatal("no delta with fixes applied")
	}
	if r.Delta.RiskBefore != base.Summary.Risk {
		t.Errorf("risk before %v, want %v", r.Delta.RiskBefore, base.Summary.Risk)
	}
	removed := base.Fixes[0].RiskRemoved
	if r.Delta.RiskAfter > r.Delta.RiskBefore-removed+1e-9 {
		t.Errorf("risk %v → %v, want a fall of at least %v", r.Delta.RiskBefore, r.Delta.RiskAfter, removed)
	}
	// Applying the whole cut leaves no path to any cuttable target.
	var all []string
	for _, f := range base.Fixes {
		all = append(all, f.ID)
	}
	cut := sampleReport(t, all...)
	for _, tg := range cut.Targets {
		if tg.Reachable {
			t.Errorf("target %s reachable after applying the minimum cut", tg.ID)
		}
	}
}

// TestWithIntel assesses the sample city with the real CISA feed: the
// Unitronics booster PLCs match CVE-2023-6448, which is in KEV.
func TestWithIntel(t *testing.T) {
	dir := shareddata.Path(t, "intel")
	feed, err := intel.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), model.Sample(), Options{Feed: feed, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.KEVAssets == 0 {
		t.Fatalf("no asset matched a KEV entry: %+v", r.Summary)
	}
	found := false
	for _, tg := range r.Targets {
		for _, p := range tg.Paths {
			for _, s := range p.Steps {
				if s.Asset == "booster-plcs" && s.Technique == "T0866" && strings.Contains(s.Action, "CVE-2023-6448 (CISA KEV)") && s.Probability == 0.9 {
					found = true
				}
			}
		}
	}
	if !found {
		t.Error("no path exploits CVE-2023-6448 (KEV) on the booster PLCs with probability 0.9")
	}
}
